"""``xs.insert(i, v)`` on a list the function makes, ``i`` an int literal, and
``xs.reverse()``, as the appends and item assignments they amount to: a syntax-only pass of
``desugar``.

Python puts ``v`` at position ``i`` (counted from the end where negative, and clamped to
the list) and moves the items from there one place on. Written out::

    inserted = v
    at = min(i, len(xs))               # (i < 0: max(len(xs) + i, 0))
    xs.append(inserted)
    for k in range(len(xs) - 1, at, -1):
        xs[k] = xs[k - 1]
    xs[at] = inserted

and ``xs.reverse()`` swaps the items of each pair of positions from the two ends::

    for k in range(len(xs) // 2):
        swapped = xs[k]
        xs[k] = xs[len(xs) - 1 - k]
        xs[len(xs) - 1 - k] = swapped

the list is changed in place as ``insert`` and ``reverse`` change it (every name for it
sees the new items), and what lists.py and list_items.py do for appends and item
assignments differentiates it. Only where ``xs`` surely is a list: a name of the
function's own (no parameter) that every binding gives a list display, a list
comprehension or a display repeated (``xs = []``, ``xs = [a, b]``, ``hs, cs = [], []``);
``insert`` or ``reverse`` of anything else (an object of the user's, a list given as an
argument, a position known only when the code runs) stays as written, and on values being
differentiated is refused (validate.py).
"""

import ast

from .. import ir
from ..ir.naming import fresh_name, names_in
from .source import int_constant

#: nodes whose bodies are scopes of their own
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def write_list_inserts(fn):
    """Rewrite (in place) each ``xs.insert(i, v)`` and ``xs.reverse()`` statement of
    ``fn``'s own scope on a list it makes (see above) as the statements it stands for."""
    if not any(_inserting(s) is not None for s in ast.walk(fn)):
        return   # (most functions)
    lists, taken = _made_lists(fn), names_in(fn)
    todo = [fn]
    while todo:
        node = todo.pop()
        for field in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            todo.extend(s for s in block if not isinstance(s, _SCOPES))
            if any(_inserting(s) in lists for s in block):
                block[:] = [t for s in block for t in (
                    _written_out(s, taken) if _inserting(s) in lists else [s])]


def _inserting(s):
    """The name ``xs`` when statement ``s`` is ``xs.insert(i, v)`` with ``i`` an int
    literal, or ``xs.reverse()``, else None."""
    call = s.value if isinstance(s, ast.Expr) else None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name) and not call.keywords):
        return None
    if call.func.attr == "insert" and len(call.args) == 2 \
            and int_constant(call.args[0]) is not None \
            and not isinstance(call.args[1], ast.Starred):
        return call.func.value.id
    if call.func.attr == "reverse" and not call.args:
        return call.func.value.id
    return None


def _made_lists(fn):
    """The names of ``fn`` that every binding (anywhere in it, nested functions too) gives
    a new list, and no parameter, import, def or ``global`` names."""
    made, others = set(), {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)}
    listed = set()   # (the Name nodes a list is bound to)
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                listed.update(_bound_lists(target, node.value))
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            listed.update(_bound_lists(node.target, node.value))
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Add, ast.Mult)):
            listed.add(node.target)   # (xs += ys, xs *= 2: a list still, the same one)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            others.update(node.names)
        elif isinstance(node, ast.alias):
            others.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            others.add(node.name)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            (made if node in listed else others).add(node.id)
    return made - others


def _bound_lists(target, value):
    """The names (nodes) in ``target`` that ``target = value`` gives a new list."""
    if isinstance(target, ast.Name):
        return {target} if _makes_list(value) else set()
    if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) \
            and len(target.elts) == len(value.elts) \
            and not any(isinstance(e, ast.Starred) for e in target.elts + value.elts):
        return set().union(*(_bound_lists(t, v) for t, v in zip(target.elts, value.elts)))
    return set()


def _makes_list(e):
    """Whether expression ``e`` makes a new list: a display, a comprehension, a display
    repeated (``[0.0] * n``: a list, or a TypeError)."""
    if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Mult):
        return isinstance(e.left, (ast.List, ast.ListComp)) \
            or isinstance(e.right, (ast.List, ast.ListComp))
    return isinstance(e, (ast.List, ast.ListComp))


def _load(n):
    return ast.Name(id=n, ctx=ast.Load())


def _store(n):
    return ast.Name(id=n, ctx=ast.Store())


def _call(func, *args):
    return ast.Call(func=func if isinstance(func, ast.AST) else _load(func), args=list(args),
                    keywords=[])


def _written_out(s, taken):
    """The statements ``xs.insert(i, v)`` or ``xs.reverse()`` (``s``) stands for (see the
    module's docstring), each marked as written out from ``s``."""
    made = _reversal(s, taken) if s.value.func.attr == "reverse" else _inserted(s, taken)
    for node in ast.walk(ast.Module(body=made, type_ignores=[])):
        if isinstance(node, ast.stmt):   # (messages quote the user's statement)
            setattr(node, ir.WRITTEN_OUT, s)
    return made


def _inserted(s, taken):
    """The statements ``xs.insert(i, v)`` (``s``) stands for."""
    name = s.value.func.value.id
    i, value = int_constant(s.value.args[0]), s.value.args[1]
    inserted, at, k = (fresh_name(base, taken) for base in ("inserted", "at", "k"))
    load, store, call = _load, _store, _call

    def item(index, ctx):
        return ast.Subscript(value=load(name), slice=index, ctx=ctx)

    length = call("len", load(name))
    position = call("min", ast.Constant(i), length) if i >= 0 else call(
        "max", ast.BinOp(left=length, op=ast.Add(), right=ast.Constant(i)), ast.Constant(0))
    before = ast.BinOp(left=load(k), op=ast.Sub(), right=ast.Constant(1))
    shift = ast.For(target=store(k), iter=call(
        "range", ast.BinOp(left=call("len", load(name)), op=ast.Sub(), right=ast.Constant(1)),
        load(at), ast.Constant(-1)),
        body=[ast.Assign(targets=[item(load(k), ast.Store())], value=item(before, ast.Load()))],
        orelse=[])
    made = [ast.Assign(targets=[store(inserted)], value=value),
            ast.Assign(targets=[store(at)], value=position),
            ast.Expr(call(ast.Attribute(value=load(name), attr="append", ctx=ast.Load()),
                          load(inserted))),
            shift,
            ast.Assign(targets=[item(load(at), ast.Store())], value=load(inserted))]
    return [ast.fix_missing_locations(ast.copy_location(m, s)) for m in made]


def _reversal(s, taken):
    """The statements ``xs.reverse()`` (``s``) stands for: a swap of the items of each pair
    of positions from the two ends (see the module's docstring)."""
    name = s.value.func.value.id
    swapped, k = (fresh_name(base, taken) for base in ("swapped", "k"))

    def item(index, ctx):
        return ast.Subscript(value=_load(name), slice=index, ctx=ctx)

    def length():
        return _call("len", _load(name))

    def mirror():   # (len(xs) - 1 - k: a node of its own at each place)
        return ast.BinOp(left=ast.BinOp(left=length(), op=ast.Sub(), right=ast.Constant(1)),
                         op=ast.Sub(), right=_load(k))

    loop = ast.For(target=_store(k), iter=_call("range", ast.BinOp(
        left=length(), op=ast.FloorDiv(), right=ast.Constant(2))), body=[
        ast.Assign(targets=[_store(swapped)], value=item(_load(k), ast.Load())),
        ast.Assign(targets=[item(_load(k), ast.Store())], value=item(mirror(), ast.Load())),
        ast.Assign(targets=[item(mirror(), ast.Store())], value=_load(swapped))], orelse=[])
    return [ast.fix_missing_locations(ast.copy_location(loop, s))]
