"""Copies a hand derivation would not write, merged into the names they copy.

Normalization gives every value a name of its own, and some of its names are
only copies of others: a tuple assignment computes its values first
(``t1 = np.exp(theta[0])``, then ``lengthscale = t1``), an item assignment
kept in place gives the array a new version (``v_2[1:-1] = ...``, then
``v_3 = v_2``). ``a = b`` binds a second name to the same object, so where
each of the two names is bound once, reading one where the code reads the
other changes nothing: the two become one name, the one that says more (the
user's rather than a temporary's, a variable's earlier version rather than
its later). The merge needs ``b``'s binding and the copy in one block, with
no jump between them (or ``b`` a parameter, kept), and no read of ``a`` before
the copy: then whenever the code reads ``a`` it holds ``b``'s object from the
same run of the block.
"""

import ast
import re
from collections import Counter

_TEMP = re.compile(r"t\d+$")
_VERSION = re.compile(r"(.+)_(\d+)$")
_JUMPS = (ast.Break, ast.Continue, ast.Return, ast.Raise)


def merge_copies(sweeps, later, params):
    """Merge the copies of ``sweeps`` (the forward and the backward sweep, lists of
    statements changed in place: copies go, names are replaced) into the names they copy,
    each pair into the one ``survivor`` picks; ``later``: the expressions read after them
    (the outputs and the gradients), ``params``: names bound when the code starts. Returns
    ``{old: new}``."""
    statements = [s for sweep in sweeps for s in sweep]
    bound, order, first_read = _facts(statements, later, params)
    merged, copies = {}, []

    def current(name):
        while name in merged:
            name = merged[name]
        return name

    for block in (b for sweep in sweeps for b in _blocks(sweep)):
        for j, s in enumerate(block):
            found = _copy(s, current)
            if found is None:
                continue
            a, b = found
            keep = survivor(a, b) if a != b else None
            if keep is None or bound[a] != 1 or bound[b] != 1 \
                    or first_read.get(a, order[id(s)]) < order[id(s)]:
                continue
            if b in params:   # (bound before the code starts, never renamed)
                if keep != b:
                    continue
            elif not _bound_before(block, j, b, current):
                continue
            drop = b if keep == a else a
            merged[drop] = keep
            first_read[keep] = min(first_read.get(a, order[id(s)]), first_read.get(b, 0))
            copies.append((block, s))
    for block, s in copies:
        block.remove(s)
    for node in _names(statements + list(later)):
        node.id = current(node.id)
    return {old: current(old) for old in merged}


def _bound_before(block, j, b, current):
    """Whether a statement of ``block`` before its ``j``-th binds ``b``, with no jump
    between it and the ``j``-th."""
    binding = next((i for i, t in enumerate(block[:j])
                    if b in {current(n) for n in _bound_by(t)}), None)
    return binding is not None and not any(isinstance(n, _JUMPS) for t in block[binding + 1:j]
                                           for n in ast.walk(t))


def _copy(s, current):
    """(a, b), in their current names, where ``s`` is ``a = b``; else None."""
    if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
            and isinstance(s.value, ast.Name):
        return current(s.targets[0].id), current(s.value.id)
    return None


def survivor(a, b):
    """Which name ``a = b`` keeps: the user's rather than a temporary's (``lengthscale =
    t1``, ``t6 = delta``), a variable's earlier version rather than its later (``v_3 =
    v_2``); None where neither says more (two variables: ``h = X``)."""
    if _TEMP.match(b) and not _TEMP.match(a):
        return a
    if _TEMP.match(a):
        return b
    va, vb = _VERSION.match(a), _VERSION.match(b)
    if va and _base(b) == va.group(1) and (vb is None or int(vb.group(2)) < int(va.group(2))):
        return b
    return None


def _base(name):
    version = _VERSION.match(name)
    return version.group(1) if version else name


def _facts(statements, later, params):
    """(name -> how many times the code binds it, a parameter once more; id of a statement
    -> its place in document order; name -> the place of its first read)."""
    bound, order, first_read = Counter(params), {}, {}
    count = 0
    for node in _in_order(statements + [ast.Expr(e) for e in later]):
        count += 1
        order[id(node)] = count
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                first_read.setdefault(node.id, count)
            else:
                bound[node.id] += 1
        elif isinstance(node, ast.arg):   # (a lambda's parameter)
            bound[node.arg] += 1
        elif isinstance(node, (ast.ExceptHandler, ast.FunctionDef, ast.ClassDef)):
            bound[node.name] += 1
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update({n: 2 for n in node.names})   # (never merged)
    return bound, order, first_read


def _in_order(nodes):
    """The nodes of ``nodes`` and their descendants, in document order."""
    todo = list(reversed(nodes))
    while todo:
        node = todo.pop()
        yield node
        todo.extend(reversed(list(ast.iter_child_nodes(node))))


def _blocks(statements):
    """Every list of statements: ``statements`` and the bodies nested in them."""
    todo = [statements]
    while todo:
        block = todo.pop()
        yield block
        for s in block:
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(s, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    todo.append(inner)


def _bound_by(s):
    """The names the simple statement ``s`` binds (none for a compound one)."""
    if not isinstance(s, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        return set()
    targets = s.targets if isinstance(s, ast.Assign) else [s.target]
    return {n.id for t in targets for n in ast.walk(t)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _names(trees):
    return [n for t in trees for n in ast.walk(t) if isinstance(n, ast.Name)]
