"""Assignments to a tuple of names ending with a starred one (``first, *rest = x``,
``coef, *_ = np.linalg.lstsq(A, b, rcond=None)``), as the item reads they stand for: a
syntax-only pass of ``desugar``.

``a, b, *rest = value`` binds ``a`` and ``b`` to the first two items and ``rest`` to the
list of the others, as Python does; written as ``unpacked = list(value); a =
unpacked[0]; b = unpacked[1]; rest = unpacked[2:]``, each is differentiated as an item
read (the list of an array's items: numbers of a vector, views of a matrix's rows;
``list`` takes the items of an iterator too, as the assignment does). A starred name
nothing reads (``*_``) is not bound. A value with fewer items than the names raises
IndexError there, where Python raises ValueError. A starred name before other names
(``first, *middle, last = x``: for a value of one item, Python raises, where the reads
would bind ``first`` and ``last`` to the same item) and targets that are not names stay
refused (assignments.py).
"""

import ast

from ..ir import names_read
from ..ir.naming import fresh_name, names_in


def desugar_starred(fn):
    """In place, each assignment of ``fn`` to names ending with a starred one (see above),
    in every block."""
    if not any(_ends_starred(s) for s in ast.walk(fn)):
        return   # (most functions)
    taken, read = names_in(fn), names_read(fn)
    for node in list(ast.walk(fn)):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and any(_ends_starred(s) for s in block):
                block[:] = [t for s in block for t in (
                    _reads(s, taken, read) if _ends_starred(s) else [s])]


def _ends_starred(s):
    """Whether ``s`` is ``a, b, *rest = value``: names, the last one starred."""
    if not (isinstance(s, ast.Assign) and len(s.targets) == 1
            and isinstance(s.targets[0], (ast.Tuple, ast.List))):
        return False
    *names, last = s.targets[0].elts or [None]
    return isinstance(last, ast.Starred) and isinstance(last.value, ast.Name) \
        and all(isinstance(e, ast.Name) for e in names)


def _reads(s, taken, read):
    """The assignments ``s`` (``a, b, *rest = value``) stands for."""
    *names, last = s.targets[0].elts
    whole = fresh_name("unpacked", taken)

    def item(index):
        return ast.Subscript(value=ast.Name(id=whole, ctx=ast.Load()), slice=index,
                             ctx=ast.Load())

    # (list(value): the items Python takes, also of an iterator, a map or a zip)
    made = [ast.Assign(targets=[ast.Name(id=whole, ctx=ast.Store())],
                       value=ast.Call(func=ast.Name(id="list", ctx=ast.Load()), args=[s.value],
                                      keywords=[]))]
    made += [ast.Assign(targets=[ast.Name(id=e.id, ctx=ast.Store())],
                        value=item(ast.Constant(i))) for i, e in enumerate(names)]
    if last.value.id in read:
        rest = ast.Slice(lower=ast.Constant(len(names)) if names else None, upper=None,
                         step=None)
        made.append(ast.Assign(targets=[ast.Name(id=last.value.id, ctx=ast.Store())],
                               value=item(rest)))
    return [ast.fix_missing_locations(ast.copy_location(m, s)) for m in made]
