"""Assignments into arrays: ``x[index] = v`` and ``x[index] op= v`` on values being
differentiated.

``x[index] = v`` on an array ``x`` is the primitive ``x_2 = with_item(x, index, v)``: a
new version of ``x`` holding ``v`` at ``index`` (its rule: what was at ``index`` before
does not reach ``x_2``; ``v``'s adjoint is what ``x_2``'s holds at ``index``, where an
integer-array index writes an entry twice only at the write that stays). The generated
code writes it as ``x_2 = x.copy()`` and ``x_2[index] = v``, or in place where nothing
else reads ``x`` (backend/emit.py). Python
changes ``x`` in place, so every other name that shares its memory (``y = x``, a view
``x[1:]``) would see the change: it is recorded as a rebinding, which the aliasing
analysis refuses where such a name is read afterwards, as for ``x += e``.
``x[index] op= v`` is ``x[index] = x[index] op v``, which is what Python computes, also
for an index that repeats an entry. Part of ``normalize.Normalizer``.
"""

import ast
import copy

import numpy as np

from .. import ir, runtime
from .syntax import Deferred, index_expression, is_trivial


class Items:
    """Part of ``normalize.Normalizer``: assignments into arrays."""

    def item_statement(self, stmt):
        """``x = $with_item(x, index, v)`` desugared from the user's ``x[index] = v`` (see
        ``desugar_items``): differentiated where ``x`` or ``v`` may vary, else the user's
        statement kept as written (it changes ``x`` in place, as it does in Python)."""
        user = getattr(stmt, ITEM)
        base, index, value = stmt.value.args
        if isinstance(user, ast.Assign) and self.add_to_item(user.targets[0], user.value, user):
            return None   # (gradient code adding to an item of a list's adjoint: list_items.py)
        call = getattr(stmt, FILLING, None)   # x.fill(v) or np.copyto(x, v), as x[...] = v
        if call is not None and not (self.varies(base) or self.varies(value)):
            mark = len(self.out.body)
            self.expression_statement(call)   # (as written: x may be any object)
            for s in self.out.body[mark:]:    # (errors quote the user's line)
                if isinstance(s, ir.Keep) and s.origin is None:
                    s.origin = (self.scope.src, call)
            return None
        if call is not None and call.value.func.attr == "copyto" \
                and not self.callee(call.value.func).is_(np.copyto):
            raise self.scope.src.error(call, f"{ast.unparse(call.value.func)} is not numpy's "
                                             f"copyto: it cannot be differentiated")
        if call is not None and call.value.func.attr == "fill_diagonal" \
                and not self.callee(call.value.func).is_(np.fill_diagonal):
            raise self.scope.src.error(call, f"{ast.unparse(call.value.func)} is not numpy's "
                                             f"fill_diagonal: it cannot be differentiated")
        if call is not None and call.value.func.attr == "at" \
                and self.callee(call.value.func).what != getattr(
                    np, call.value.func.value.attr).at:
            raise self.scope.src.error(call, f"{ast.unparse(call.value.func)} is not numpy's "
                                             f"ufunc.at: it cannot be differentiated")
        if call is not None and call.value.func.attr == "at" \
                and (self.varies(base) or self.varies(value)):
            return self.ufunc_at(call.value, user)
        if self.varies(base) or self.varies(value):
            target = ast.Subscript(value=base, slice=index, ctx=ast.Store())
            return self.assign_item(target, value, user)
        if base.id in self.scope.trees:
            raise self.refuse_tree_use(base, base.id)
        place = ast.Subscript(value=base, slice=index, ctx=ast.Store())
        kept = ast.AugAssign(target=place, op=user.op, value=user.value) \
            if isinstance(user, ast.AugAssign) else ast.Assign(targets=[place], value=value)
        self.keep(ast.copy_location(kept, user), pure=False)
        self.out.body[-1].origin = (self.scope.src, user)   # (errors quote the user's line)
        return None

    def assign_item(self, target, value, stmt):
        """``x[index] = value`` (``stmt``, the user's statement) as ``with_item``."""
        base = target.value
        if not isinstance(base, ast.Name):
            raise self.scope.src.error(stmt, f"assigning into {ast.unparse(base)} (a part of "
                                             f"an array) is not supported; index the array "
                                             f"once, as x[i, j] = ...")
        generated = self._changed_array(base, stmt)
        if self.varies(target.slice):
            raise self.scope.src.error(target.slice, "an index that depends on the "
                                                     "differentiated input cannot be "
                                                     "differentiated")
        if generated in self.out.lists:
            return self.set_list_item(generated, target.slice, value, stmt)
        self._changed_by(runtime.with_item, base, target.slice, value, stmt)

    def ufunc_at(self, call, stmt):
        """``np.add.at(x, index, v)`` or ``np.subtract.at`` (``stmt``) as ``x =
        added_at(x, index, v)``: a new version of ``x``, which Python changes in place."""
        base, index, value = call.args
        generated = self._changed_array(base, stmt)
        if self.varies(index):
            raise self.scope.src.error(index, "an index that depends on the differentiated "
                                              "input cannot be differentiated")
        if generated in self.out.lists:
            raise self.scope.src.error(stmt, f"{ast.unparse(call.func)} of a list is not "
                                             f"supported; use an array")
        helper = AT_HELPERS[AT_UFUNCS[call.func.value.attr]]
        self._changed_by(helper, base, index, value, stmt)

    def _changed_by(self, helper, base, index, value, stmt):
        """Emit ``x = helper(x, index, value)`` (``helper``: with_item, added_at,
        subtracted_at; ``base``: the user's ``x``) for the user's statement ``stmt``, which
        changes ``x`` in place."""
        old = self.operand(base)
        index = self._item_index(index)
        new_value = self.operand(value)
        call = ast.Call(func=ir.load(self.runtime_name(helper)), args=[old, index, new_value],
                        keywords=[])
        self.emit(Deferred(self.define, base.id), call, stmt,
                  rule=self.registry.rule_for(helper), inputs=[old, index, new_value],
                  statics={})
        # Python changes the array in place: see aliasing, and views.py for its other names
        self.out.rebindings.append(ir.Rebinding(self.out.body[-1], (self.scope.src, stmt)))
        self.refresh_views(self.out.rebindings[-1], base.id, old.id, self.scope.env[base.id],
                           stmt)

    def _outside(self, name):
        """Whether the user's ``name`` is a variable outside the function (its globals or
        closure): not a parameter, never assigned in the function as the user wrote it."""
        src = self.scope.src
        return name not in src.params and not any(
            isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
            for n in ast.walk(src.node)) and src.resolve(name, None) is not None

    def _changed_array(self, base, stmt):
        """The generated name of user name ``base``, which ``stmt`` changes in place (checked:
        it has a value, it is no list or dict kept as written, no structure)."""
        generated = self.scope.env.get(base.id)
        if generated is None:
            if self._outside(base.id):
                raise self.scope.src.error(
                    stmt, f"assigning into {base.id!r}, a variable outside the function (a "
                          f"global or closure variable), is not supported: it would change "
                          f"{base.id} for every later call; return the value instead, or "
                          f"assign into a copy ({base.id} = {base.id}.copy() first)")
            raise self.scope.src.error(stmt, f"{base.id!r} is assigned into before it has a "
                                             f"value")
        container = self._container_made(generated)
        if container is not None:
            raise self.scope.src.error(stmt, f"assigning a value being differentiated into "
                                             f"{base.id!r}, a {container}, is not supported; "
                                             f"build a new one, or use an array")
        if self.struct_of(base) is not None:
            raise self.refuse_struct(stmt, base.id)
        return generated

    def _container_made(self, name):
        """'dict', 'list' or 'set' when generated name ``name`` was last made by a statement
        kept as written that makes one ({}, [], dict(...)), else None."""
        for s in reversed(self.out.body):
            if isinstance(s, ir.Keep) and name in s.defines:
                value = getattr(s.stmt, "value", None)
                kinds = {ast.Dict: "dict", ast.DictComp: "dict", ast.List: "list",
                         ast.ListComp: "list", ast.Set: "set", ast.SetComp: "set"}
                if type(value) in kinds:
                    return kinds[type(value)]
                if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
                        and value.func.id in ("dict", "list", "set"):
                    return value.func.id
                return None
        return None

    def _item_index(self, index):
        """The operand of an index (slices as ``slice(...)``, for a call's argument)."""
        index = self.rename(index)
        if _plain_slices(index):   # (kept in the code: x[1:-1] reads better than a name)
            return index_expression(index)
        if isinstance(index, ast.Slice) or not is_trivial(index):
            name = self.namer.temp()
            self.out.body.append(ir.Keep(ir.assign(name, index_expression(index)), [name]))
            return ir.load(name)
        return index

    def with_item_name(self):
        return self.runtime_name(runtime.with_item)

    def runtime_name(self, helper):
        """The name generated code calls the runtime ``helper`` by (bound in extra_globals;
        the emitted code writes a call of ``with_item`` as a copy and an assignment)."""
        extra = self.out.extra_globals
        name = next((n for n, obj in extra.items() if obj is helper), None)
        if name is None:
            name = self.namer.fresh(helper.__name__)
            extra[name] = helper
        return name


def _plain_slices(index):
    """Whether ``index`` is a slice, or a tuple of slices and constants, with constant or
    name bounds."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    return any(isinstance(p, ast.Slice) for p in parts) and all(
        is_trivial(p) and (not isinstance(p, ast.Slice) or all(
            b is None or isinstance(b, (ast.Constant, ast.Name, ast.UnaryOp))
            for b in (p.lower, p.upper, p.step))) for p in parts)


#: the attribute of an ``x = with_item(x, index, v)`` desugared from ``x[index] = v``: the
#: user's statement
ITEM = "_adcompile_item"
#: the name the desugared call calls (not an identifier: never a user's name)
WITH_ITEM = "$with_item"
#: the attribute of a desugared ``x.fill(v)``, ``np.copyto(x, v)`` or ``np.add.at(x, i, v)``
#: that keeps the call
FILLING = "_adcompile_filling"
#: ufunc name -> the name its desugared ``.at`` calls (Scope.known: the runtime helper)
AT_UFUNCS = {"add": "$added_at", "subtract": "$subtracted_at"}
#: those names -> the helpers
AT_HELPERS = {"$added_at": runtime.added_at, "$subtracted_at": runtime.subtracted_at}


def desugar_items(fn):
    """Rewrite, in the ``def`` ``fn`` (in place), each ``x[index] = v`` and ``x[index] op=
    v`` on a name ``x`` as ``x = $with_item(x, index, v)`` (``v``: ``x[index] op v``), the
    user's statement kept on it (``ITEM``): every analysis of names then sees that ``x``
    changes there. Normalizing it (``Items.item_statement``) either differentiates it or,
    where nothing in it is differentiated, keeps the user's statement as written. An index
    that is not a plain expression is first bound to a name of its own, read once as
    Python reads it."""
    taken = ir.names_mentioned([fn])
    counter = iter(range(1, 1 << 30))

    def fresh(kind="index"):
        while True:
            name = f"_{kind}{next(counter)}"
            if name not in taken:
                taken.add(name)
                return name

    def rewrite(stmts):
        out = []
        for s in stmts:
            for field in ("body", "orelse"):
                if isinstance(getattr(s, field, None), list):
                    setattr(s, field, rewrite(getattr(s, field)))
            if isinstance(s, ast.Assign) and len(s.targets) > 1 and any(
                    isinstance(t, ast.Subscript) for t in s.targets):
                # x[0] = x[-1] = v: v once, then each target from the left, as Python does
                name = fresh("value")
                split = [ast.copy_location(ast.Assign(
                    targets=[ast.Name(id=name, ctx=ast.Store())], value=s.value), s)]
                split += [ast.copy_location(ast.Assign(
                    targets=[t], value=ast.Name(id=name, ctx=ast.Load())), s) for t in s.targets]
                out.extend(rewrite(split))
                continue
            filled = _filled(s)
            if filled is not None:   # x.fill(v), np.copyto(x, v): x[...] = v
                new = _desugared(filled, filled.targets[0].value.id, filled.targets[0].slice)
                setattr(new, FILLING, s)
                out.append(new)
                continue
            target = s.targets[0] if isinstance(s, ast.Assign) and len(s.targets) == 1 \
                else s.target if isinstance(s, ast.AugAssign) else None
            if not (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)):
                out.append(s)
                continue
            index = target.slice
            if isinstance(s, ast.AugAssign) and not is_trivial(index):
                name = fresh()
                out.append(ast.copy_location(ast.Assign(
                    targets=[ast.Name(id=name, ctx=ast.Store())], value=index), s))
                index = ast.Name(id=name, ctx=ast.Load())
            out.append(_desugared(s, target.value.id, index))
        return out

    fn.body = rewrite(fn.body)
    return fn


def _filled(s):
    """``x[...] = v`` for the statement ``x.fill(v)`` or ``np.copyto(x, v)`` (``x`` a name;
    no keyword), else None. Which object ``x`` is, and that ``np.copyto`` is NumPy's, is
    known only when normalizing (``Items.item_statement``)."""
    call = s.value if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) else None
    if call is None or call.keywords or not isinstance(call.func, ast.Attribute) \
            or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    if call.func.attr == "fill" and len(call.args) == 1 and isinstance(call.func.value, ast.Name):
        name, value = call.func.value, call.args[0]
    elif call.func.attr == "copyto" and len(call.args) == 2 \
            and isinstance(call.args[0], ast.Name):
        name, value = call.args
    elif call.func.attr == "at" and isinstance(call.func.value, ast.Attribute) \
            and call.func.value.attr in AT_UFUNCS and len(call.args) == 3 \
            and isinstance(call.args[0], ast.Name):
        # np.add.at(x, index, v): x[...] = added_at(x, index, v)
        name = call.args[0]
        value = ast.copy_location(ast.Call(
            func=ast.Name(id=AT_UFUNCS[call.func.value.attr], ctx=ast.Load()),
            args=[ast.Name(id=name.id, ctx=ast.Load()), *call.args[1:]], keywords=[]), call)
    elif call.func.attr == "fill_diagonal" and len(call.args) == 2 \
            and isinstance(call.args[0], ast.Name):
        # np.fill_diagonal(x, v): x[np.diag_indices(min(np.shape(x)), np.ndim(x))] = v, the
        # diagonal NumPy fills (of a matrix that is not square too; wrap= is refused)
        name, value = call.args
        numpy = call.func.value

        def of_numpy(attr, *args):
            return ast.Call(func=ast.Attribute(value=copy.deepcopy(numpy), attr=attr,
                                               ctx=ast.Load()), args=list(args), keywords=[])

        x = ast.Name(id=name.id, ctx=ast.Load())
        index = of_numpy("diag_indices", ast.Call(
            func=ast.Name(id="min", ctx=ast.Load()), args=[of_numpy("shape", x)], keywords=[]),
            of_numpy("ndim", copy.deepcopy(x)))
        place = ast.Subscript(value=copy.deepcopy(x), slice=index, ctx=ast.Store())
        return ast.fix_missing_locations(ast.copy_location(
            ast.Assign(targets=[place], value=value), s))
    else:
        return None
    place = ast.Subscript(value=ast.Name(id=name.id, ctx=ast.Load()),
                          slice=ast.Constant(Ellipsis), ctx=ast.Store())
    return ast.copy_location(ast.Assign(targets=[place], value=value), s)


def _desugared(s, name, index):
    """``name = $with_item(name, index, value)`` for the user's statement ``s``."""
    value = s.value
    if isinstance(s, ast.AugAssign):
        place = ast.Subscript(value=ast.Name(id=name, ctx=ast.Load()), slice=index,
                              ctx=ast.Load())
        value = ast.copy_location(ast.BinOp(left=place, op=s.op, right=s.value), s)
    call = ast.Call(func=ast.Name(id=WITH_ITEM, ctx=ast.Load()),
                    args=[ast.Name(id=name, ctx=ast.Load()), index, value], keywords=[])
    new = ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())],
                     value=ast.copy_location(call, s))
    ast.copy_location(new, s)
    setattr(new, ITEM, s)
    return new
