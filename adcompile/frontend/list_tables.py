"""A table of reals kept as a list of lists, read and written entry by entry: ``R =
[[1e10] * (m + 1) for _ in range(n + 1)]`` then ``R[i][j] = c + softmin(R[i - 1][j], ...)``
(soft-DTW, edit distances, tables of dynamic programs). adcompile keeps the lists of
values being differentiated by name, and a change of a list another list holds is one it
cannot follow, so ``R[i][j] = v`` was refused. Where the function uses ``R`` only so, the
table is the 2-d array of those entries::

    R = np.full((n + 1, m + 1), 1e10)
    R[i, j] = c + softmin(R[i - 1, j], ...)

which holds the same numbers at the same places, each entry read as the float it holds
(an ``np.float64``, which is a float), and whose entries are written by ``R[i, j] = v`` as
the list's were (a negative index counts from the end of its axis, as from that of the
list; an index out of range is an IndexError both ways).

That holds where ``R`` is assigned once, by that comprehension (``[[c] * k for _ in
range(n)]``, ``c`` a float written as a literal, ``k`` and ``n`` not reading the
comprehension's variable), and read only as ``R[i][j]`` (or its target: ``R[i][j] = v``,
``R[i][j] op= v``) with indices of names, int literals and arithmetic, and as ``len(R)``;
nowhere passed on, walked, sliced or read as a row, nor named in a nested function. An
entry written is then a float of the table's (a value that is not a real number fails
there: an array, ``None``; an int written is kept as the float equal to it). A syntax-only
pass of ``desugar``, made only where the module names NumPy (``np``, ``numpy``).
"""

import ast
import builtins

import numpy as np

from .. import ir
from .row_views import _plain_index


def write_list_tables(fn, source):
    """Rewrite (in place) each table of ``fn``, a copy of ``source``'s def, kept as a list
    of lists and used only entry by entry (see the module's docstring)."""
    local = set(source.params) | ir.assigns([fn])
    numpy = next((n for n in ("np", "numpy") if n not in local
                  and source.resolve(n, None) is np), None)
    if numpy is None or any(source.callee(ast.Name(id=b, ctx=ast.Load()), local).what
                            is not getattr(builtins, b) for b in ("range", "len")):
        return
    ints = _int_names(fn, set(source.params))
    for node in list(ast.walk(fn)):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            shape = _table(node.value)
            name = node.targets[0].id
            if shape is not None and name not in source.params \
                    and _entries_only(fn, name, node, ints):
                _rewrite(fn, node, name, shape, numpy)


def _table(value):
    """(n, k, c) for ``[[c] * k for _ in range(n)]`` (or ``k * [c]``) with ``c`` a float
    literal, else None."""
    if not (isinstance(value, ast.ListComp) and len(value.generators) == 1):
        return None
    gen = value.generators[0]
    it = gen.iter
    if gen.ifs or gen.is_async or not isinstance(gen.target, ast.Name) \
            or not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name)
                    and it.func.id == "range" and len(it.args) == 1 and not it.keywords):
        return None
    elt = value.elt
    if not (isinstance(elt, ast.BinOp) and isinstance(elt.op, ast.Mult)):
        return None
    display, count = (elt.left, elt.right) if isinstance(elt.left, ast.List) \
        else (elt.right, elt.left)
    if not (isinstance(display, ast.List) and len(display.elts) == 1):
        return None
    fill = display.elts[0]
    constant = fill.operand if isinstance(fill, ast.UnaryOp) and isinstance(
        fill.op, (ast.USub, ast.UAdd)) else fill
    if not (isinstance(constant, ast.Constant) and type(constant.value) is float):
        return None
    if any(isinstance(n, ast.Name) and n.id == gen.target.id for n in ast.walk(count)) \
            or not (_plain_index(count) and _plain_index(it.args[0])):
        return None   # (k is computed for each row: the same number only so)
    return it.args[0], count, fill


def _entries_only(fn, name, made, ints):
    """Whether ``fn`` binds ``name`` only by the statement ``made`` and reads it only as
    ``name[i][j]`` (indices of the names ``ints``, int literals, ``len`` and arithmetic)
    and ``len(name)``, in no nested function."""
    allowed = set()
    for node in ast.walk(fn):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                             ast.ClassDef)) and node is not fn:
            if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node)):
                return False
        elif isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            return False
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Subscript) \
                and isinstance(node.value.value, ast.Name) and node.value.value.id == name:
            if not all(_plain_index(e) and all(n.id in ints for n in ast.walk(e) if isinstance(
                    n, ast.Name) and n.id != "len") for e in (node.slice, node.value.slice)):
                return False
            allowed.add(id(node.value.value))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "len" and len(node.args) == 1 and not node.keywords \
                and isinstance(node.args[0], ast.Name) and node.args[0].id == name:
            allowed.add(id(node.args[0]))
    allowed.add(id(made.targets[0]))
    return all(id(n) in allowed for n in ast.walk(fn)
               if isinstance(n, ast.Name) and n.id == name)


def _rewrite(fn, made, name, shape, numpy):
    """``made`` as ``name = np.full((n, k), c)`` and each ``name[i][j]`` as ``name[i, j]``."""
    rows, columns, fill = shape
    made.value = ast.copy_location(ast.Call(
        func=ast.Attribute(value=ast.Name(id=numpy, ctx=ast.Load()), attr="full",
                           ctx=ast.Load()),
        args=[ast.Tuple(elts=[rows, columns], ctx=ast.Load()), fill], keywords=[]),
        made.value)
    for node in ast.walk(fn):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Subscript) \
                and isinstance(node.value.value, ast.Name) and node.value.value.id == name:
            node.slice = ast.Tuple(elts=[node.value.slice, node.slice], ctx=ast.Load())
            node.value = node.value.value
    ast.fix_missing_locations(made)


def _int_names(fn, params):
    """The names of ``fn`` every binding of which gives them an int: a range loop's
    variable, ``n = len(x)``, ``n, m = len(x), len(y)``, arithmetic on such names and int
    literals (not a parameter, nor a name bound any other way)."""
    bindings = {}   # name -> the values given it (None: not known)
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bindings.setdefault(node.id, [])
        if isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.target, ast.Name):
            it = node.iter
            ranged = isinstance(it, ast.Call) and isinstance(it.func, ast.Name) \
                and it.func.id == "range" and not it.keywords
            bindings.setdefault(node.target.id, []).append(
                ast.Constant(0) if ranged else None)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            if isinstance(target, ast.Name):
                bindings.setdefault(target.id, []).append(value)
            elif isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) \
                    and len(target.elts) == len(value.elts):
                for t, v in zip(target.elts, value.elts):
                    if isinstance(t, ast.Name):
                        bindings.setdefault(t.id, []).append(v)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.NamedExpr)):
            if isinstance(node.target, ast.Name):
                bindings.setdefault(node.target.id, []).append(None)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for n in node.names:
                bindings.setdefault(n, []).append(None)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bindings.setdefault(node.name, []).append(None)
    ints = set()
    changed = True
    while changed:
        changed = False
        for name, values in bindings.items():
            if name not in ints and name not in params and values \
                    and all(v is not None and _int_valued(v, ints) for v in values):
                ints.add(name)
                changed = True
    return ints


def _int_valued(e, ints):
    """Whether ``e`` is an int literal, ``len(...)``, one of the names ``ints``, or
    arithmetic on those."""
    if isinstance(e, ast.Constant):
        return type(e.value) is int
    if isinstance(e, ast.Name):
        return e.id in ints
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, (ast.USub, ast.UAdd)):
        return _int_valued(e.operand, ints)
    if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub, ast.Mult,
                                                      ast.FloorDiv, ast.Mod)):
        return _int_valued(e.left, ints) and _int_valued(e.right, ints)
    return isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "len" \
        and len(e.args) == 1 and not e.keywords
