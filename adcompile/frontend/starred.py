"""Assignments to a tuple of names one of which is starred (``first, *rest = x``, ``coef,
*_ = np.linalg.lstsq(A, b, rcond=None)``, ``a, *middle, z = xs``, ``*_, last = hs``), as
the item reads they stand for: a syntax-only pass of ``desugar``.

``a, *middle, z = value`` binds ``a`` and ``z`` to the first and last items and
``middle`` to the list of the others, as Python does; written as ``unpacked =
list(value)``, then ``a = unpacked[0]``, ``middle = unpacked[1:-1]``, ``z =
unpacked[-1]``, each is differentiated as an item read (the list of an array's items:
numbers of a vector, views of a matrix's rows; ``list`` takes the items of an iterator
too, as the assignment does), whatever the value's length, known or not. A starred name
nothing reads (``*_``) is not bound. Where names follow the starred one, ``if
len(unpacked) < n: raise ValueError(...)`` comes first: for a value of fewer items than
the names Python raises there, where the reads would give ``a`` and ``z`` the same item.
Names only before it (``a, b, *rest``) are read from the start: a value too short
raises IndexError there, where Python raises ValueError. Targets that are not names
(``a, *xs[1:] = ...``, nested tuples) stay refused (assignments.py).
"""

import ast

from ..ir import names_read
from ..ir.naming import fresh_name, names_in


def desugar_starred(fn, source):
    """In place, each assignment of ``fn`` (a copy of ``source``'s def) to names one of
    which is starred (see above), in every block."""
    if not any(_starred_names(s) for s in ast.walk(fn)):
        return   # (most functions)
    taken, read = names_in(fn), names_read(fn)
    for node in list(ast.walk(fn)):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and any(_starred_names(s) for s in block):
                block[:] = [t for s in block for t in (
                    _reads(s, taken, read, source) if _starred_names(s) else [s])]


def _starred_names(s):
    """Whether ``s`` is ``a, *middle, z = value``: names, one of them starred."""
    if not (isinstance(s, ast.Assign) and len(s.targets) == 1
            and isinstance(s.targets[0], (ast.Tuple, ast.List))):
        return False
    names = s.targets[0].elts
    starred = [e for e in names if isinstance(e, ast.Starred)]
    return len(starred) == 1 and isinstance(starred[0].value, ast.Name) \
        and all(isinstance(e, ast.Name) for e in names if e is not starred[0])


def _reads(s, taken, read, source):
    """The statements ``s`` (``a, *middle, z = value``) stands for."""
    names = s.targets[0].elts
    star = next(i for i, e in enumerate(names) if isinstance(e, ast.Starred))
    before, after = names[:star], names[star + 1:]
    whole = fresh_name("unpacked", taken)

    def load(name):
        return ast.Name(id=name, ctx=ast.Load())

    def item(index):
        return ast.Subscript(value=load(whole), slice=index, ctx=ast.Load())

    def assign(name, value):
        return ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=value)

    # (list(value): the items Python takes, also of an iterator, a map or a zip)
    made = [assign(whole, ast.Call(func=load("list"), args=[s.value], keywords=[]))]
    if after:
        made.append(_length_check(whole, len(before) + len(after), source.error(s, "").where))
    made += [assign(e.id, item(ast.Constant(i))) for i, e in enumerate(before)]
    if names[star].value.id in read:
        rest = ast.Slice(lower=ast.Constant(len(before)) if before else None,
                         upper=ast.Constant(-len(after)) if after else None, step=None)
        made.append(assign(names[star].value.id, item(rest)))
    made += [assign(e.id, item(ast.Constant(j - len(after)))) for j, e in enumerate(after)]
    return [ast.fix_missing_locations(ast.copy_location(m, s)) for m in made]


def _length_check(whole, n, where):
    """``if len(whole) < n: raise ValueError(...)``, Python's error for unpacking a value of
    fewer items than the names that are not starred (``where``: the assignment's place)."""
    length = ast.Call(func=ast.Name(id="len", ctx=ast.Load()),
                      args=[ast.Name(id=whole, ctx=ast.Load())], keywords=[])
    error = ast.Call(func=ast.Name(id="ValueError", ctx=ast.Load()), args=[ast.Constant(
        f"{where}: not enough values to unpack (expected at least {n})")], keywords=[])
    return ast.If(test=ast.Compare(left=length, ops=[ast.Lt()], comparators=[ast.Constant(n)]),
                  body=[ast.Raise(exc=error, cause=None)], orelse=[])
