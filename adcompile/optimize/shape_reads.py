"""Adjoints that read a forward value only for its shape and precision.

The adjoint of ``np.sum(t)`` is ``filled_like(t, g)``, and that of ``np.mean(t)`` divides
by ``reduced_size(t)``: neither reads t's entries. Where ``t`` is computed elementwise
(``keeps_precision``) from values the code keeps anyway, those values stand for it, and
the forward sweep need not compute ``t`` at all. In the gradient of
``np.sum(np.logaddexp(0.0, z) - y * z)``, ``filled_like(t, g)`` becomes
``filled_like(z, g, y)``: z's shape, the common precision of z, y and g, and neither the
logaddexp nor the difference is run (the logaddexp costs as much as the matrix product
that makes z).

An input ``w`` of the summand's number of dimensions has its shape when ``w`` has no axis
of length 1 (a broadcast against it can only keep each of its axes) or when the symbolic
shapes say so.
"""

import ast

from .. import ir


def free_shape_reads(stmts, defined, kept, same_shape, helpers):
    """Rewrite (in place) the calls of ``stmts`` (the backward sweep) that read a forward
    value ``t`` only for its shape (and precision), where nothing else reads ``t``, to read
    instead inputs that ``t`` is computed from elementwise: ``filled_like(t, g)``,
    ``reduced_size(t, ...)``, and where ``t`` is computed from one value alone (which then
    has its precision), ``unreduce(g, t, ...)`` and ``unreduce_times(g, e, t, ...)``.

    ``defined(name)``: the inputs (names and numbers) of the elementwise, precision-keeping
    primitive that assigns ``name`` for good (outside loops, no input assigned again), or
    None; the backward sweep must not have assigned any name on the way before the call; ``kept``: the names the
    code reads besides (the gradients, the value, the parameters); ``same_shape(t, w)``:
    whether ``w`` is known to have the shape of ``t``; ``helpers``: the generated code's
    names of ``filled_like``, ``reduced_size``, ``unreduce`` and ``unreduce_times``.
    """
    filled, size, unreduce, times = helpers
    position = {filled: 0, size: 0, unreduce: 1, times: 2}
    # (call, argument index, index of its statement); a name's first assigning statement
    sites, first_assigned = [], {}
    name_type, store = ast.Name, ast.Store
    for at, s in enumerate(stmts):
        for n in ir.walk_tree(s):   # (one walk for both)
            if n.__class__ is name_type:
                if isinstance(n.ctx, store):
                    first_assigned.setdefault(n.id, at)
            elif _site(n, helpers):
                sites.append((n, position[n.func.id], at))
    if not sites:
        return stmts
    read = set(kept) | _reads_except(stmts, {n.args[i] for n, i, _ in sites})
    never = len(stmts)
    for call, i, at in sites:
        t = call.args[i]
        if not isinstance(t, ast.Name) or t.id in read:
            continue
        found = _leaves(t.id, defined, read)
        # (a value the backward sweep restores: assigned up to the call's statement)
        if found is None or any(first_assigned.get(v, never) <= at for v in found[1]):
            continue
        leaves = found[0]
        if len(leaves) > 1 and call.func.id != filled:
            continue
        witness = next((w for w in leaves if same_shape(t.id, w)), None)
        if witness is None:
            continue
        call.args[i] = ir.load(witness)
        if call.func.id == filled:   # the precision of all of them
            call.args += [ir.load(w) for w in leaves if w != witness]
    return stmts


def _site(node, helpers):
    """Whether ``node`` calls one of ``helpers`` (see free_shape_reads) as they are written
    in adjoints (``unreduce`` and ``unreduce_times`` with ``axis`` and ``keepdims``)."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return False
    filled, size, unreduce, times = helpers
    name, arity = node.func.id, len(node.args)
    keywords = {k.arg for k in node.keywords}
    return name == filled and arity == 2 and not keywords \
        or name == size and arity == 1 and keywords <= {"axis"} \
        or (name == unreduce and arity == 2 or name == times and arity == 3) \
        and keywords <= {"axis", "keepdims"}


def _leaves(name, defined, read):
    """(the names that ``name``'s value is computed from elementwise, through the values
    nothing else reads (those are not computed then), in order; all the names on the way),
    or None if a primitive on the way has an input that is neither a name nor a number."""
    leaves, todo, seen = [], [name], set()
    while todo:
        v = todo.pop(0)
        if v in seen:
            continue
        seen.add(v)
        inputs = defined(v) if v == name or v not in read else None
        if inputs is None:
            if v == name:
                return None
            leaves.append(v)
            continue
        for e in inputs:
            if isinstance(e, ast.Name):
                todo.append(e.id)
            elif not (isinstance(e, ast.Constant) and type(e.value) in (int, float)):
                return None   # (a complex number would change the precision)
    return leaves, seen


def _reads_except(stmts, skipped):
    """Names read by ``stmts`` except the Name nodes in ``skipped``."""
    found = set()
    for n in ir.walk_tree(stmts):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n not in skipped:
            found.add(n.id)
    return found


