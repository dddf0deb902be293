"""Loops over a fixed sequence of functions, unrolled: ``for act in (np.tanh, relu):``.

A network's activations, or the terms of a sum, are often held in a sequence of
functions walked by a loop::

    for g in (np.sin, np.cos):
        total = total + np.sum(g(x))

Where the sequence is a display of functions the function names (``np.sin``, a
module-level ``relu``), or a module-level tuple or list of functions (``ACTS``), and the
loop variable only stands for the function in the body, the loop is written out once
per function, the variable read as that function (``np.sin``, ``relu``, or ``ACTS[0]``
where no name of the module is it): the rest of
the compiler then finds each call's rule, or inlines it, as if written so. Other loops
over functions stay loops, and a call through their variable is refused as a function
held in a variable.

A loop zipping such a sequence with others (``for (W, b), act in zip(layers, ACTS):``,
the others names, attributes, or items of those with constant keys: ``params["layers"]``)
is written out once per function too, each copy a loop over the one-item slices of
the others (``for (W, b), in zip(layers[0:1]):``), which keeps zip's stopping at the
shortest. The sequence may also be a local name assigned a display of functions once,
and read only by loops.
"""

import ast
import types

from ..ir import copy_tree, walk_tree
from .references import placed


def unroll_function_loops(fn, source):
    """Write out (in place) each loop of ``fn`` (a copy of ``source``'s def; nested defs
    aside) over a fixed sequence of functions (see the module's docstring)."""
    nodes = list(walk_tree(fn))
    if not any(isinstance(n, ast.For) for n in nodes):
        return
    local = set(source.params) | {n.id for n in nodes if isinstance(n, ast.Name)
                                  and not isinstance(n.ctx, ast.Load)}
    _block(fn.body, fn, source, local)


def _block(block, fn, source, local):
    at = 0
    while at < len(block):
        stmt = block[at]
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and not isinstance(stmt, (ast.FunctionDef, ast.Lambda,
                                                                 ast.AsyncFunctionDef,
                                                                 ast.ClassDef)):
                _block(inner, fn, source, local)
        items = _functions_walked(stmt, fn, source, local)
        if items is None:
            copies = _zipped_copies(stmt, fn, source, local)
            if copies is None:
                at += 1
                continue
        else:
            copies = [_Substitute(stmt.target.id, item).visit(copy_tree(s))
                      for item in items for s in stmt.body]
        block[at:at + 1] = copies
        at += len(copies)


def _functions_walked(stmt, fn, source, local):
    """The expressions for the functions the loop ``stmt`` walks, one per iteration, if it
    is ``for v in SEQ:`` over a fixed sequence of functions whose body only reads ``v``
    (no else, no break or continue, ``v`` read nowhere else); else None."""
    if not (isinstance(stmt, ast.For) and isinstance(stmt.target, ast.Name) and not stmt.orelse
            and isinstance(stmt.iter, (ast.Tuple, ast.List, ast.Name, ast.Attribute))):
        return None
    items = _function_items(stmt.iter, source, local, fn)
    if items is None or not _only_read_in(stmt, stmt.target.id, fn):
        return None
    return items


def _only_read_in(stmt, v, fn):
    """Whether the body of loop ``stmt`` only reads ``v``, nothing else mentions it but
    other loops binding it, and the body has no jumps out of the loop."""
    if any(isinstance(n, (ast.Break, ast.Continue, ast.Global, ast.Nonlocal))
           for s in stmt.body for n in walk_tree(s)):
        return False
    if any(isinstance(n, ast.Name) and n.id == v and not isinstance(n.ctx, ast.Load)
           for s in stmt.body for n in walk_tree(s)):
        return False
    # (not read after the loop but in another loop binding v: for hook in (f, g): hook(a)
    # twice; there each read is of what that loop binds)
    bound_by_loops = {id(n) for n in walk_tree(stmt)} | {
        id(n) for loop in walk_tree(fn)
        if isinstance(loop, ast.For) and isinstance(loop.target, ast.Name)
        and loop.target.id == v for s in [loop.target, *loop.body] for n in walk_tree(s)}
    return all(id(n) in bound_by_loops for n in walk_tree(fn)
               if isinstance(n, ast.Name) and n.id == v)


def _zipped_copies(stmt, fn, source, local):
    """The statements for ``for t1, f, ... in zip(seq1, FUNCS, ...):`` where some of the
    zipped sequences are fixed sequences of functions (their variables only read in the
    body): for each step of the shortest of those, a loop over the one-item slices of
    the other sequences (or the body alone where there are none) with each function's
    variable read as the function; else None. Under ``enumerate`` (``for i, (layer,
    act) in enumerate(zip(...))``, ``i`` only read in the body) ``i`` is read as the step."""
    if not isinstance(stmt, ast.For):
        return None
    it, target, counter = stmt.iter, stmt.target, None
    if isinstance(it, ast.Call) and source.callee(it.func, local).is_(enumerate) \
            and len(it.args) == 1 and not it.keywords and isinstance(target, ast.Tuple) \
            and len(target.elts) == 2 and isinstance(target.elts[0], ast.Name) \
            and _only_read_in(stmt, target.elts[0].id, fn):
        counter, it, target = target.elts[0].id, it.args[0], target.elts[1]
    if not (not stmt.orelse and isinstance(it, ast.Call)
            and source.callee(it.func, local).is_(zip) and it.args and not it.keywords
            and isinstance(target, ast.Tuple) and len(target.elts) == len(it.args)):
        return None
    functions, rest = {}, []
    for t, seq in zip(target.elts, it.args):
        items = _function_items(seq, source, local, fn) if isinstance(t, ast.Name) else None
        if items is not None and _only_read_in(stmt, t.id, fn):
            functions[t.id] = items
        elif _named_sequence(seq):
            rest.append((t, seq))
        else:
            return None
    if not functions or mentioned_in(stmt.body, [seq for _, seq in rest]):
        return None
    copies = []
    for k in range(min(len(items) for items in functions.values())):
        body = [copy_tree(s) for s in stmt.body]
        for v, items in functions.items():
            body = [_Substitute(v, items[k]).visit(s) for s in body]
        if counter is not None:
            body = [_Substitute(counter, ast.Constant(k)).visit(s) for s in body]
        if not rest:
            copies.extend(body)
            continue
        window = ast.Slice(lower=ast.Constant(k), upper=ast.Constant(k + 1))
        copies.append(placed(ast.For(
            target=ast.Tuple(elts=[copy_tree(t) for t, _ in rest], ctx=ast.Store()),
            iter=ast.Call(func=copy_tree(it.func), keywords=[], args=[
                ast.Subscript(value=copy_tree(seq), slice=window, ctx=ast.Load())
                for _, seq in rest]), body=body, orelse=[]), stmt))
    return copies


def _named_sequence(seq):
    """Whether ``seq`` is a name, an attribute of one, or an item or slice of those with
    constant keys (``layers``, ``self.layers``, ``params["layers"]``, ``params[1:]``):
    reading it again, one item at a time, reads what the loop would."""
    while isinstance(seq, (ast.Attribute, ast.Subscript)):
        if isinstance(seq, ast.Subscript) and not _constant_key(seq.slice):
            return False
        seq = seq.value
    return isinstance(seq, ast.Name)


def _constant_key(e):
    if isinstance(e, ast.Slice):
        return all(p is None or _constant_key(p) for p in (e.lower, e.upper, e.step))
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
        return _constant_key(e.operand)
    return isinstance(e, ast.Constant) and isinstance(e.value, (int, str)) \
        and not isinstance(e.value, bool)


def mentioned_in(body, seqs):
    """Whether ``body`` mentions the name any of ``seqs`` starts from (it might change it,
    which zip, walking what the name held when the loop began, would not see)."""
    bases = set()
    for seq in seqs:
        while isinstance(seq, (ast.Attribute, ast.Subscript)):
            seq = seq.value
        bases.add(seq.id)
    return any(isinstance(n, ast.Name) and n.id in bases for s in body for n in walk_tree(s))


def _function_items(seq, source, local, fn):
    """The expressions for the functions the sequence ``seq`` holds, if it is a display of
    functions, names a module-level tuple or list of them, or a local name assigned such a
    display once (see _local_display); else None."""
    if isinstance(seq, ast.Name) and seq.id in local:
        seq = _local_display(seq.id, fn)
        if seq is None:
            return None
    if isinstance(seq, (ast.Tuple, ast.List)):
        if seq.elts and all(names_function(source.callee(e, local)) for e in seq.elts):
            return seq.elts
        return None
    called = source.callee(seq, local) if isinstance(seq, (ast.Name, ast.Attribute)) else None
    if called is None or called.kind != "object" or type(called.what) not in (tuple, list):
        return None
    values = called.what
    if not values or not all(is_function_object(f) for f in values):
        return None
    return [_spelling(f, source, local) or ast.Subscript(value=copy_tree(seq),
                                                          slice=ast.Constant(k), ctx=ast.Load())
            for k, f in enumerate(values)]


def _local_display(name, fn):
    """The tuple or list display the local ``name`` is assigned, when one statement of
    ``fn``'s own body (outside loops and branches) assigns it that and loops walking it are
    all that reads it (``acts = [np.tanh, relu]``); else None."""
    found = None
    for stmt in fn.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == name:
            if found is not None or not isinstance(stmt.value, (ast.Tuple, ast.List)):
                return None
            found = stmt
    if found is None:
        return None
    walked = {n for node in walk_tree(fn) if isinstance(node, ast.For)
              for n in walk_tree(node.iter)}
    for node in walk_tree(fn):
        if isinstance(node, ast.Name) and node.id == name and node is not found.targets[0] \
                and node not in walked:
            return None
    return found.value


def _spelling(obj, source, local):
    """A name or ``module.name`` of the function's module that is ``obj`` (``np.tanh``,
    ``relu``), for code that reads as if written so; None if there is none."""
    name = getattr(obj, "__name__", None)
    if not isinstance(name, str) or not name.isidentifier():
        return None
    if name not in local and source.resolve(name, None) is obj:
        return ast.Name(id=name, ctx=ast.Load())
    for module_name, module in source.globals.items():
        if isinstance(module, types.ModuleType) and module_name not in local \
                and getattr(module, name, None) is obj:
            return ast.Attribute(value=ast.Name(id=module_name, ctx=ast.Load()), attr=name,
                                 ctx=ast.Load())
    return None


def names_function(callee):
    """Whether the ``source.Callee`` ``callee`` is a function (see is_function_object)."""
    return callee.kind == "object" and is_function_object(callee.what)


def is_function_object(obj):
    """A function (the user's, NumPy's, math's, a ufunc): not a class or a module."""
    return callable(obj) and not isinstance(obj, (type, types.ModuleType))


class _Substitute(ast.NodeTransformer):
    """Each read of the loop variable ``v`` as a copy of ``item``."""

    def __init__(self, v, item):
        self.v, self.item = v, item

    def visit_Name(self, node):
        if node.id == self.v and isinstance(node.ctx, ast.Load):
            return placed(copy_tree(self.item), node)
        return node
