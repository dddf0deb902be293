"""In-place changes through the rows a for loop walks: ``for row in B: row -= c`` (also
``row *= s``, ``row[:] = v``, ``row[j] += v``, under ``for i, row in enumerate(B)``, and
``for p, v, g in zip(params, velocity, grads)`` changing ``p`` and ``v``). Where ``B`` is
an array of two or more dimensions each ``row`` is a view of it, and NumPy changes ``B``;
where it is a list of arrays, ``row`` is the list's own array. adcompile computes ``row
-= c`` as a new array. So the loop is written as the loop over positions it is, each
change of ``row`` made through ``B`` and ``row`` read again after it::

    for k in range(len(B)):            # for k, g in zip(range(len(B)), grads): with zip
        row = B[k]
        B[k] -= c          # (B[k][j] = v is B[k, j] = v: item_desugar.py)
        row = B[k]

Where ``B`` has one dimension its items are numbers, which ``row -= c`` replaces without
changing ``B``: normalizing puts ``require_rows(B, where)`` before the loop
(``RowChecks``), a TypeError when the code runs unless ``B`` has two or more dimensions
(dropped where the argument kinds show it: pipeline.drop_array_checks); for a list,
``require_array_items(B, where)``, unless its items are arrays (``B[k] -= c`` on a list
checks that no other item is the same array: list_items.py). Where nothing
differentiated reaches ``B`` the user's loop runs as written, as Python runs it whatever
``B`` is: the pass leaves both loops, as the branches of an ``if`` marked ``ROWS``, and
normalizing takes one (``RowChecks.row_loop``). A syntax-only pass of ``desugar``; a
loop whose body binds ``row`` or ``B`` otherwise, changes ``row`` in another way
(``row.fill(v)``, a target of several items), reads ``row`` in a nested function, or
walks one array under two names (``zip(B, B)``) is left as it is (the aliasing analysis
refuses it).
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
            for b in ("range", "len", "enumerate", "zip", "min")):
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
    index, targets, arrays = walked
    rows = {row: array for row, array in zip(targets, arrays) if array is not None
            and _changes_rows_only(loop.body, row, set(arrays) - {None}, index)}
    if not rows or len(set(rows.values())) < len(rows):
        return None   # (zip(B, B): one array under two names, left to aliasing)
    as_written = ir.copy_tree(loop)
    k = index or fresh_name("k", taken)

    def at(row):
        return ast.Subscript(value=ast.Name(id=rows[row], ctx=ast.Load()),
                             slice=ast.Name(id=k, ctx=ast.Load()), ctx=ast.Load())

    def read_again(s, row):
        return ast.copy_location(ast.Assign(targets=[ast.Name(id=row, ctx=ast.Store())],
                                            value=at(row)), s)

    def through_array(stmts):
        out = []
        for s in stmts:
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(s, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    setattr(s, field, through_array(inner))
            for handler in getattr(s, "handlers", []):
                handler.body = through_array(handler.body)
            row, target = next(((r, t) for r in rows for t in [_changed_target(s, r)]
                                if t is not None), (None, None))
            if target is None:
                out.append(s)
                continue
            if isinstance(target, ast.Name):   # row op= e: B[k] op= e
                s.target = ast.copy_location(at(row), target)
                s.target.ctx = ast.Store()
            else:   # row[j] = v: B[k][j] = v
                while isinstance(target.value, ast.Subscript):
                    target = target.value
                target.value = ast.copy_location(at(row), target.value)
            out += [s, read_again(s, row)]
        return out

    body = [read_again(loop, row) for row in rows] + through_array(loop.body)
    new = _over_positions(loop, k, rows, targets if index is None else [], body)
    ast.fix_missing_locations(ast.copy_location(new, loop))
    for node in ast.walk(new.iter):
        ast.copy_location(node, loop.iter)
    choice = ast.copy_location(ast.If(test=ast.Constant(True), body=[new],
                                      orelse=[as_written]), loop)
    setattr(choice, ROWS, [a for t, a in zip(targets, _iterables(loop)) if t in rows])
    return choice


def _over_positions(loop, k, rows, targets, body):
    """The loop with ``body`` over the positions ``k`` of the arrays the names ``rows``
    walk; for ``zip(B, cs)`` (``targets``: the loop's), over ``zip(range(len(B)), cs)``,
    the other targets taking their items as before."""
    new = ast.For(target=ast.Name(id=k, ctx=ast.Store()),
                  iter=_positions([rows[row] for row in rows]),
                  body=body, orelse=loop.orelse, type_comment=None)
    others = [(t, a) for t, a in zip(targets, _iterables(loop)) if t not in rows]
    if others:
        new.target = ast.Tuple(elts=[new.target] + [ast.Name(id=t, ctx=ast.Store())
                                                     for t, _ in others], ctx=ast.Store())
        new.iter = ast.Call(func=ast.Name(id="zip", ctx=ast.Load()),
                            args=[new.iter] + [a for _, a in others], keywords=[])
    return new


def _positions(arrays):
    """``range(len(B))``, or ``range(min(len(B), len(C)))`` for several arrays: the positions
    a loop walking them together visits."""
    lengths = [ast.Call(func=ast.Name(id="len", ctx=ast.Load()),
                        args=[ast.Name(id=a, ctx=ast.Load())], keywords=[]) for a in arrays]
    count = lengths[0] if len(lengths) == 1 else ast.Call(
        func=ast.Name(id="min", ctx=ast.Load()), args=lengths, keywords=[])
    return ast.Call(func=ast.Name(id="range", ctx=ast.Load()), args=[count], keywords=[])


def _iterables(loop):
    """What ``loop`` walks: ``[B]`` for ``for row in B`` and ``enumerate(B)``, the arguments
    of ``zip(B, cs)``."""
    it = loop.iter
    return list(it.args) if isinstance(it, ast.Call) else [it]


def _walked(loop):
    """(index or None, the names of the loop's targets, for each the name of the array it
    walks or None) of ``for row in B``, ``for i, row in enumerate(B)`` or ``for row, c in
    zip(B, cs)`` (targets all names, all different), else None."""
    it, target = loop.iter, loop.target
    if isinstance(it, ast.Name) and isinstance(target, ast.Name):
        return None, [target.id], [it.id]
    if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and not it.keywords
            and isinstance(target, ast.Tuple)
            and all(isinstance(t, ast.Name) for t in target.elts)
            and len({t.id for t in target.elts}) == len(target.elts)):
        return None
    names = [t.id for t in target.elts]
    if it.func.id == "enumerate" and len(it.args) == 1 and isinstance(it.args[0], ast.Name) \
            and len(names) == 2:
        return names[0], names[1:], [it.args[0].id]
    if it.func.id == "zip" and len(it.args) == len(names) \
            and not any(isinstance(a, ast.Starred) for a in it.args):
        return None, names, [a.id if isinstance(a, ast.Name) else None for a in it.args]
    return None


def _changes_rows_only(body, row, arrays, index):
    """Whether ``body`` changes ``row`` in place (``row op= e``, ``row[j] = v``) and
    otherwise only reads it, binds neither ``row``, the ``arrays`` walked nor the loop's
    ``index``, and reads ``row`` in no nested function."""
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
    return changed and not bound & (arrays | {index}) \
        and all(not isinstance(n, ast.Name) or n.id != row or isinstance(n.ctx, ast.Load)
                or n in _augmented_names(body) for n in ir.walk_tree(body))


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
    """The names (nodes) ``x op= e`` targets in ``body``."""
    return {n.target for n in ir.walk_tree(body)
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
        if not any(self.varies(w) for w in walked):
            return self.statement(choice.orelse[0])
        for w in walked:
            self.require_rows(w)
        return self.statement(choice.body[0])

    def require_rows(self, walked):
        """``require_rows(B, where)`` (``walked``: the user's ``B``) before a loop that walks
        ``B``'s positions, changing its rows through it; for a list of values being
        differentiated, ``require_array_items(B, where)`` (its items changed in place are
        its own only where they are arrays: list_items.py checks no other item shares
        one); a TransformError where ``B`` is a structure (whose items are arrays of their
        own)."""
        error = self.scope.src.error(walked, f"the loop changes in place the rows of "
                                             f"{walked.id!r} it walks, which adcompile makes "
                                             f"through {walked.id!r} where it is an array of "
                                             f"two or more dimensions (each row a view of "
                                             f"it), or a list of arrays")
        if self.names_structure(walked):
            raise self.scope.src.error(walked, f"{error.reason}; {walked.id!r} is a "
                                               f"structure: assign the new items into it "
                                               f"instead ({walked.id}[i] = row - ...)")
        listed = self.scope.env.get(walked.id) in self.out.lists
        helper = runtime.require_array_items if listed else runtime.require_rows
        check = ast.Call(func=ir.load(self.runtime_name(helper)),
                         args=[self.operand(walked), ast.Constant(error.where)], keywords=[])
        self.out.body.append(ir.Keep(ast.Expr(check), [], pure=False))
