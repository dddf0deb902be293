"""A name for a row of an array, changed in place, or kept while the array is changed:
``a = alpha[t]; a[:] = v; a /= a.sum()`` (a forward algorithm normalising each row) and
``prev = alpha[t - 1]; alpha[t] = prev @ A``. Where ``alpha`` is an array of two or more
dimensions and ``t`` an int, ``a`` is a view of the row: NumPy changes ``alpha`` through
it, and every read of ``a`` reads the row as it is then. adcompile computes ``a[:] = v``
as a new value, and the aliasing analysis cannot tell the rows ``t`` and ``t - 1`` apart,
so both were refused. Each read of the name is the read of the row it views, each change
through it a change of that row: from the statement on to the end of its block, the pass
writes the name's uses as those through the array::

    alpha[t][:] = v                # (alpha[t][j] = v is alpha[t, j] = v: items.py)
    alpha[t] /= alpha[t].sum()
    a = alpha[t]                   # (only where ``a`` is read after the block)

That is what Python computes where nothing in the block binds ``a``, ``alpha`` or a name
of the index again, ``alpha`` has two or more dimensions and the index is an int. The
last two are decided when normalizing (``RowViews.row_view``): the index must be known to
be an int (a range loop's variable, a constant, ``len``, arithmetic on those); where the
block changes the row through ``a`` (``a[j] = v``, which Python allows only for an array),
``require_rows(alpha, where)`` checks the dimensions when the code runs (dropped where the
argument kinds show them: pipeline.drop_array_checks); where it only reads ``a`` (or
updates it by ``a op= e``, which for a number binds a new one), ``alpha`` must be made in
the function with two or more dimensions (``np.zeros((T, K))``). Elsewhere, and where
nothing differentiated reaches ``alpha``, the block runs as written: the pass leaves both
versions, as the branches of an ``if`` marked ``ROW_VIEW``. A syntax-only pass of
``desugar``; a block that changes the name otherwise (``a.fill(v)``, ``out=a``), reads it
in a nested function, or binds its names again is left as it is (the aliasing analysis
refuses what it cannot tell).
"""

import ast

import numpy as np

from .. import ir
from ..ir.naming import names_in
from .item_desugar import INT_OPERATORS
from .row_loops import _changing_call

#: the attribute of the ``if`` this pass wrote (the block through the array, the user's
#: block): (the array's name, the index, whether ``require_rows`` is to check it)
ROW_VIEW = "_adcompile_row_view"

#: NumPy functions whose result has the dimensions of the shape they are given
_SHAPED = (np.zeros, np.ones, np.empty, np.full)


def write_row_views(fn, source, structures=()):
    """Rewrite (in place) each block of ``fn``, a copy of ``source``'s def, that from a
    statement ``a = B[i]`` on changes the row through ``a``, or changes ``B`` while it
    reads ``a`` (see the module's docstring); not where ``B`` is one of the parameters
    given ``structures`` (whose items are arrays of their own)."""
    if not any(isinstance(n, ast.Subscript) for n in ast.walk(fn)):
        return
    local = set(source.params) | ir.assigns([fn])
    declared = {n for node in ast.walk(fn) if isinstance(node, (ast.Global, ast.Nonlocal))
                for n in node.names} | set(structures)
    rows = _made_with_rows(fn, source, local)

    def block(stmts, outside):
        for s in stmts:
            for inner in _blocks(s):
                block(inner, outside)
        for i in reversed(range(len(stmts))):
            found = _row_view(stmts[i], declared)
            if found is None:
                continue
            choice = _rewritten(stmts, i, found, rows, fn)
            if choice is not None:
                stmts[i:] = [choice]

    block(fn.body, fn)


def _blocks(s):
    """The blocks of statements ``s`` holds (not those of a nested def or class)."""
    if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return []
    found = [getattr(s, f) for f in ("body", "orelse", "finalbody")
             if isinstance(getattr(s, f, None), list) and getattr(s, f)
             and isinstance(getattr(s, f)[0], ast.stmt)]
    return found + [h.body for h in getattr(s, "handlers", [])]


def _row_view(s, declared):
    """(a, B, index) for ``a = B[index]`` with ``index`` one expression of names, constants
    and arithmetic (or ``len(name)``), else None."""
    if not (isinstance(s, ast.Assign) and len(s.targets) == 1
            and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Subscript)
            and isinstance(s.value.value, ast.Name)):
        return None
    a, base, index = s.targets[0].id, s.value.value.id, s.value.slice
    names = {n.id for n in ast.walk(index) if isinstance(n, ast.Name)}
    if a == base or a in names or {a, base} & declared or not _plain_index(index):
        return None
    return a, base, index


def _plain_index(e):
    """Whether ``e`` is a name, a constant int, ``len(name)`` or arithmetic on those: an
    expression that gives the same value each time while its names keep theirs."""
    if isinstance(e, ast.Name):
        return True
    if isinstance(e, ast.Constant):
        return type(e.value) is int
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, (ast.USub, ast.UAdd)):
        return _plain_index(e.operand)
    if isinstance(e, ast.BinOp) and isinstance(e.op, INT_OPERATORS):
        return _plain_index(e.left) and _plain_index(e.right)
    return isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "len" \
        and len(e.args) == 1 and isinstance(e.args[0], ast.Name) and not e.keywords


def _rewritten(stmts, i, found, rows, fn):
    """The ``if`` marked ``ROW_VIEW`` for the block ``stmts`` from its statement ``i`` (``a =
    B[index]``, ``found``: (a, B, index)) on, or None where the pass leaves it."""
    a, base, index = found
    rest = stmts[i + 1:]
    uses = _uses(rest, a, base, {n.id for n in ast.walk(index) if isinstance(n, ast.Name)})
    if uses is None:
        return None
    through_row, changes_row, changes_base, reads_row = uses
    if not (through_row or base in rows and (changes_row or changes_base and reads_row)):
        return None
    view = stmts[i]

    def row(ctx=ast.Load):
        return ast.copy_location(ast.Subscript(value=ast.Name(id=base, ctx=ast.Load()),
                                               slice=ir.copy_tree(index), ctx=ctx()), view)

    new = [_through_array(s, a, row) for s in ir.copy_tree(rest)]
    if _read_outside(fn, rest, a):   # (the row as it is at the block's end, for what follows)
        new = [ir.copy_tree(view)] + new + [ir.copy_tree(view)]
    choice = ast.copy_location(ast.If(test=ast.Constant(True), body=new or [ast.Pass()],
                                      orelse=stmts[i:]), view)
    ast.fix_missing_locations(choice)
    setattr(choice, ROW_VIEW, (ast.copy_location(ast.Name(id=base, ctx=ast.Load()),
                                                 view.value.value),
                               index, through_row and base not in rows))
    return choice


def _uses(rest, a, base, index_names):
    """(whether ``rest`` changes an item through ``a``, changes ``a`` by ``a op= e``,
    changes ``B`` in place, reads ``a``); None where it uses them otherwise: binds ``a``,
    ``B`` or a name of the index, reads ``a`` in a nested function, sets an attribute of
    ``a`` or ``B``, or changes ``a`` by a method or ``out=``."""
    through_row = changes_row = changes_base = reads_row = False
    augmented = {id(n.target) for n in ir.walk_tree(rest)
                 if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)}
    watched = {a, base} | index_names
    for node in ir.walk_tree(rest):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            if watched & names_in(node):
                return None
        elif isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                reads_row |= node.id == a
            elif id(node) in augmented and node.id == a:
                changes_row = True
            elif id(node) in augmented and node.id == base:
                changes_base = True
            elif node.id in watched:
                return None
        elif isinstance(node, (ast.ExceptHandler, ast.alias)):
            if {getattr(node, "name", None), getattr(node, "asname", None)} & watched:
                return None
        elif isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load) \
                and isinstance(node.value, ast.Name) and node.value.id in (a, base):
            return None
        elif isinstance(node, ast.Call) and (_changing_call(node, a) or _changing_call(
                node, base)):
            return None
        elif isinstance(node, ast.Subscript) and not isinstance(node.ctx, ast.Load):
            root = node
            while isinstance(root, ast.Subscript):
                root = root.value
            if isinstance(root, ast.Name) and root.id == a:
                through_row = True
            elif isinstance(root, ast.Name) and root.id == base:
                changes_base = True
    return through_row, changes_row, changes_base, reads_row


def _through_array(s, a, row):
    """``s`` (a copy) with each read of ``a`` as a read of the row ``row()`` and each change
    through ``a`` made through the row."""
    def through(v):
        is_row = isinstance(v, ast.Name) and v.id == a
        return row(type(v.ctx)) if is_row else v

    for node in list(ir.walk_tree(s)):
        for field, value in ast.iter_fields(node):
            if isinstance(value, list):
                value[:] = [through(v) for v in value]
            else:
                setattr(node, field, through(value))
    return s


def _read_outside(fn, rest, a):
    """Whether ``fn`` reads ``a`` somewhere but in the statements ``rest``."""
    inside = {id(n) for n in ir.walk_tree(rest)}
    return any(isinstance(n, ast.Name) and n.id == a and isinstance(n.ctx, ast.Load)
               and id(n) not in inside for n in ast.walk(fn))


def _made_with_rows(fn, source, local):
    """The names every binding of which in ``fn`` makes an array of two or more dimensions
    (``np.zeros((T, K))``, ``np.full((n, m), v)``) or updates it in place (``B op= e``)."""
    kinds = {}
    for node in ast.walk(fn):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            for n in node.names:
                kinds[n] = False
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            kinds.setdefault(node.id, True)
        if isinstance(node, ast.Assign):
            made = len(node.targets) == 1 and _shaped(node.value, source, local)
            for t in node.targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                        kinds[n.id] = kinds.get(n.id, True) and made and t is n
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.NamedExpr,
                               ast.comprehension)):
            targets = [node.target] if not isinstance(node, ast.With) else [
                i.optional_vars for i in node.items if i.optional_vars is not None]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        kinds[n.id] = False
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            kinds[node.target.id] = False
        elif isinstance(node, (ast.ExceptHandler, ast.alias, ast.FunctionDef, ast.ClassDef,
                               ast.AsyncFunctionDef)) and node is not fn:
            name = getattr(node, "asname", None) or getattr(node, "name", None)
            if name:
                kinds[name.split(".")[0]] = False
    return {n for n, sure in kinds.items() if sure and n not in source.params}


def _shaped(value, source, local):
    """Whether ``value`` is ``np.zeros(shape, ...)`` (``ones``, ``empty``, ``full``) of a
    shape written as a tuple of two or more lengths."""
    if not isinstance(value, ast.Call) or not value.args:
        return False
    what = source.callee(value.func, local).what
    try:
        if not any(what is f for f in _SHAPED):
            return False
    except TypeError:
        return False
    shape = value.args[0]
    return isinstance(shape, (ast.Tuple, ast.List)) and len(shape.elts) >= 2 \
        and not any(isinstance(e, ast.Starred) for e in shape.elts)


class RowViews:
    """Part of ``normalize.Normalizer``: the block this pass wrote, or the user's."""

    def row_view(self, choice):
        """The statements of ``choice`` (the ``if`` marked ``ROW_VIEW``) through the array,
        after ``require_rows`` where it is asked for, where a value being differentiated
        may reach the array, the index is known to be an int and the array is neither a
        list of values being differentiated nor a structure; else the user's block."""
        base, index, checked = getattr(choice, ROW_VIEW)
        through = self.varies(base) and self._is_int(index) \
            and self.scope.env.get(base.id) not in self.out.lists \
            and not self.names_structure(base)
        if through and checked:
            self.require_rows(base)
        for s in choice.body if through else choice.orelse:
            self.statement(s)
