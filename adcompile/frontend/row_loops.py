"""In-place changes through the rows a for loop walks: ``for row in B: row -= c`` (also
``row *= s``, ``row[:] = v``, ``row[j] += v``, and under ``for i, row in enumerate(B)``).
Where ``B`` is an array of two or more dimensions each ``row`` is a view of it, and NumPy
changes ``B``; adcompile computes ``row -= c`` as a new array. So the loop is written as
the loop over positions it is, each change of ``row`` made through ``B`` and ``row`` read
again after it::

    for k in range(len(B)):
        row = B[k]
        B[k] -= c          # (B[k][j] = v is B[k, j] = v: item_desugar.py)
        row = B[k]

Where ``B`` has one dimension its items are numbers, which ``row -= c`` replaces without
changing ``B``, and a list holds arrays of its own: normalizing puts ``require_rows(B,
where)`` before the loop (``RowChecks``), a TypeError when the code runs unless ``B`` has
two or more dimensions (dropped where the argument kinds show it:
pipeline.drop_array_checks). Where nothing differentiated reaches ``B`` the user's loop
runs as written, as Python runs it whatever ``B`` is: the pass leaves both loops, as the
branches of an ``if`` marked ``ROWS``, and normalizing takes one
(``RowChecks.row_loop``). A syntax-only pass of ``desugar``; a loop whose body
binds ``row`` or ``B`` otherwise, changes ``row`` in another way (``row.fill(v)``, a
target of several items), or reads ``row`` in a nested function is left as it is (the
aliasing analysis refuses it).
"""

import ast
import builtins

from .. import ir, runtime
from ..ir.naming import fresh_name, names_in

#: the attribute of the ``if`` this pass wrote (the loop over positions, the user's loop):
#: the user's name of the array the loop walks
ROWS = "_adcompile_rows"

#: methods and functions that change an array in place, other than by ``op=`` or an item
_CHANGING = {"fill", "sort", "put", "resize", "itemset", "partition", "copyto", "at",
             "fill_diagonal", "place", "putmask"}


def write_row_loops(fn, source):
    """Rewrite (in place) each for loop of ``fn``, a copy of ``source``'s def, that changes
    the rows of the array it walks in place (see the module's docstring)."""
    local = set(source.params) | ir.assigns([fn])
    if not any(isinstance(n, ast.For) for n in ast.walk(fn)) or any(
            source.callee(ast.Name(id=b, ctx=ast.Load()), local).what is not getattr(builtins, b)
            for b in ("range", "len", "enumerate")):
        return   # (a name of Python's that means something else here: left as written)
    taken = names_in(fn)

    def block(stmts):
        for i, s in enumerate(stmts):
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(s, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt) \
                        and not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef,
                                               ast.ClassDef)):
                    block(inner)
            for handler in getattr(s, "handlers", []):
                block(handler.body)
            if isinstance(s, ast.For):
                stmts[i] = _rewritten(s, taken) or s

    block(fn.body)


def _rewritten(loop, taken):
    """The loop over positions ``loop`` is (module docstring), or None."""
    walked = _walked(loop)
    if walked is None:
        return None
    index, row, array = walked
    if not _changes_rows_only(loop.body, row, array, index):
        return None
    as_written = ir.copy_tree(loop)
    k = index or fresh_name("k", taken)

    def at():
        return ast.Subscript(value=ast.Name(id=array, ctx=ast.Load()),
                             slice=ast.Name(id=k, ctx=ast.Load()), ctx=ast.Load())

    def read_again(s):
        return ast.copy_location(ast.Assign(targets=[ast.Name(id=row, ctx=ast.Store())],
                                            value=at()), s)

    def through_array(stmts):
        out = []
        for s in stmts:
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(s, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    setattr(s, field, through_array(inner))
            for handler in getattr(s, "handlers", []):
                handler.body = through_array(handler.body)
            target = _changed_target(s, row)
            if target is None:
                out.append(s)
                continue
            if isinstance(target, ast.Name):   # row op= e: B[k] op= e
                s.target = ast.copy_location(at(), target)
                s.target.ctx = ast.Store()
            else:   # row[j] = v: B[k][j] = v
                while isinstance(target.value, ast.Subscript):
                    target = target.value
                target.value = ast.copy_location(at(), target.value)
            out += [s, read_again(s)]
        return out

    body = [read_again(loop)] + through_array(loop.body)
    count = ast.Call(func=ast.Name(id="len", ctx=ast.Load()),
                     args=[ast.Name(id=array, ctx=ast.Load())], keywords=[])
    new = ast.For(target=ast.Name(id=k, ctx=ast.Store()), iter=ast.Call(
        func=ast.Name(id="range", ctx=ast.Load()), args=[count], keywords=[]),
        body=body, orelse=loop.orelse, type_comment=None)
    ast.fix_missing_locations(ast.copy_location(new, loop))
    for node in ast.walk(new.iter):
        ast.copy_location(node, loop.iter)
    choice = ast.copy_location(ast.If(test=ast.Constant(True), body=[new],
                                      orelse=[as_written]), loop)
    setattr(choice, ROWS, loop.iter if index is None else loop.iter.args[0])
    return choice


def _walked(loop):
    """(index or None, row, array) of ``for row in B`` or ``for i, row in enumerate(B)``
    (names all), else None."""
    it, target = loop.iter, loop.target
    if isinstance(it, ast.Name) and isinstance(target, ast.Name):
        return None, target.id, it.id
    if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) \
            and it.func.id == "enumerate" and len(it.args) == 1 and not it.keywords \
            and isinstance(it.args[0], ast.Name) and isinstance(target, ast.Tuple) \
            and len(target.elts) == 2 and all(isinstance(t, ast.Name) for t in target.elts) \
            and target.elts[0].id != target.elts[1].id:
        return target.elts[0].id, target.elts[1].id, it.args[0].id
    return None


def _changes_rows_only(body, row, array, index):
    """Whether ``body`` changes ``row`` in place (``row op= e``, ``row[j] = v``) and
    otherwise only reads it, binds neither ``row``, ``array`` nor the loop's ``index``, and
    reads ``row`` in no nested function."""
    changed = False
    for node in ir.walk_tree(body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
                             ast.Global, ast.Nonlocal)):
            if row in names_in(node):
                return False
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if _changed_target(node, row) is not None:
                changed = True
            elif any(_mentions(t, row) for t in targets):
                return False   # (row = ..., row[0] = row[1] = v, a, row[0] = ...)
        elif isinstance(node, ast.Call) and _changing_call(node, row):
            return False
    bound = {n.id for n in ir.walk_tree(body) if isinstance(n, ast.Name)
             and isinstance(n.ctx, (ast.Store, ast.Del))}
    return changed and not bound & {array, index} \
        and all(not isinstance(n, ast.Name) or n.id != row or isinstance(n.ctx, ast.Load)
                or id(n) in _augmented_names(body) for n in ir.walk_tree(body))


def _changed_target(s, row):
    """The target of ``s`` if it changes ``row`` in place: ``row op= e`` (the name),
    ``row[j] = v`` or ``row[j] op= v`` (the subscript); else None."""
    if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name) and s.target.id == row:
        return s.target
    target = s.targets[0] if isinstance(s, ast.Assign) and len(s.targets) == 1 \
        else s.target if isinstance(s, ast.AugAssign) else None
    base = target
    while isinstance(base, ast.Subscript):
        base = base.value
    if isinstance(target, ast.Subscript) and isinstance(base, ast.Name) and base.id == row:
        return target
    return None


def _augmented_names(body):
    """The ids of the names ``x op= e`` targets in ``body``."""
    return {id(n.target) for n in ir.walk_tree(body)
            if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)}


def _mentions(target, row):
    return any(isinstance(n, ast.Name) and n.id == row for n in ast.walk(target))


def _changing_call(call, row):
    """Whether ``call`` may change ``row`` in place otherwise (``row.fill(v)``,
    ``np.copyto(row, v)``, ``out=row``)."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _CHANGING and (
            _mentions(func.value, row) or any(_mentions(a, row) for a in call.args)):
        return True
    return any(k.arg == "out" and _mentions(k.value, row) for k in call.keywords)


class RowChecks:
    """Part of ``normalize.Normalizer``: the loop this pass wrote, or the user's."""

    def row_loop(self, choice):
        """The loop over positions of ``choice`` (the ``if`` marked ``ROWS``) after
        ``require_rows``, where a value being differentiated may reach the array it walks;
        else the user's loop, as written."""
        walked = getattr(choice, ROWS)
        if not self.varies(walked):
            return self.statement(choice.orelse[0])
        self.require_rows(walked)
        return self.statement(choice.body[0])

    def require_rows(self, walked):
        """``require_rows(B, where)`` (``walked``: the user's ``B``) before a loop that walks
        ``B``'s positions, changing its rows through it, or a TransformError where ``B`` is
        known to be a list or a structure (whose items are arrays of their own)."""
        error = self.scope.src.error(walked, f"the loop changes in place the rows of "
                                             f"{walked.id!r} it walks, which adcompile makes "
                                             f"through {walked.id!r} where it is an array of "
                                             f"two or more dimensions (each row a view of "
                                             f"it)")
        if self.scope.env.get(walked.id) in self.out.lists or self.names_structure(walked):
            raise self.scope.src.error(walked, f"{error.reason}; {walked.id!r} is a list: "
                                               f"assign the new rows into it instead "
                                               f"({walked.id}[i] = row - ...)")
        where = error.where
        check = ast.Call(func=ir.load(self.runtime_name(runtime.require_rows)),
                         args=[self.operand(walked), ast.Constant(where)], keywords=[])
        self.out.body.append(ir.Keep(ast.Expr(check), [], pure=False))
