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
for an index that repeats an entry. ``x[i][j] = v`` through the view ``x[i]`` of an array
is ``x[i, j] = v`` where ``i`` (and each part of ``j`` that is not a slice) is known to be
an int, else refused at the user's line (``chained_write``). Part of
``normalize.Normalizer``.
"""

import ast

import numpy as np

from .. import ir, runtime
from .item_desugar import AT_HELPERS, AT_UFUNCS, CHAINED, FILLING, INT_OPERATORS, ITEM
from .syntax import Deferred, index_expression, is_trivial


class Items:
    """Part of ``normalize.Normalizer``: assignments into arrays."""

    def item_statement(self, stmt):
        """``x = $with_item(x, index, v)`` desugared from the user's ``x[index] = v`` (see
        ``desugar_items``): differentiated where ``x`` or ``v`` may vary, else the user's
        statement kept as written (it changes ``x`` in place, as it does in Python)."""
        user = getattr(stmt, ITEM)
        base, index, value = stmt.value.args
        if getattr(stmt, CHAINED, None) is not None:   # x[i][j] = v
            if not (self.varies(base) or self.varies(value)):
                self.keep(user, pure=False)   # (as written: x may be a list of lists)
                self.out.body[-1].origin = (self.scope.src, user)
                return None
            self.chained_write(stmt, user)
        if isinstance(user, ast.Assign) and self.add_to_item(user.targets[0], user.value, user):
            return None   # (gradient code adding to an item of a list's adjoint: list_items.py)
        call = getattr(stmt, FILLING, None)   # x.fill(v) or np.copyto(x, v), as x[...] = v
        if call is not None and not (self.varies(base) or self.varies(value)
                                     or self.varies(call.value)):
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
        if call is not None and call.value.func.attr == "sort":
            value = self.sorted_value(call.value, base)
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

    def filled_place(self, stmt):
        """The statement to normalize for ``place[...] = v`` desugared from the user's
        ``place.fill(v)`` or ``np.copyto(place, v)`` (``place`` read by constant keys:
        ``d["w"]``, ``box.a``): that assignment where ``place`` or ``v`` may vary, else the
        user's call, kept as written (it may be any object's method)."""
        call = getattr(stmt, FILLING)
        if not (self.varies(stmt.targets[0].value) or self.varies(stmt.value)
                or self.varies(call.value)):
            return call
        if call.value.func.attr == "copyto" and not self.callee(call.value.func).is_(np.copyto):
            raise self.scope.src.error(call, f"{ast.unparse(call.value.func)} is not numpy's "
                                             f"copyto: it cannot be differentiated")
        return stmt

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

    def chained_write(self, stmt, user):
        """Refuse the user's ``x[i][j] = v`` (``user``; ``stmt``: it desugared as ``x =
        $with_item(x, (i, j), v)``) unless it is that write: ``i`` and the parts of ``j`` that
        are not slices known to be ints (a range loop's variable, a constant, arithmetic on
        those), and ``x`` no list of values being differentiated (whose item ``x[i]``, an
        array, would change in place under every name it has). That ``x`` is an array, not
        a list or dict given by the caller, is checked when the code runs where it is not
        known (``require_float_array``: pipeline.guard_integer_writes)."""
        base = stmt.value.args[0]
        target = user.targets[0] if isinstance(user, ast.Assign) else user.target
        if self.scope.env.get(base.id) in self.out.lists:
            raise self.scope.src.error(user, (
                f"{ast.unparse(target)} = ... changes in place an item of the list {base.id} "
                f"of values being differentiated (a list or array it holds, which every other "
                f"name of that item sees): not supported; replace the item "
                f"({ast.unparse(target.value)} = ...), or use a 2-d array"))
        unknown = [p for p in getattr(stmt, CHAINED) if not self._is_int(p)]
        if unknown:
            parts = []
            while isinstance(target, ast.Subscript):
                parts.append(ast.unparse(target.slice).strip("()"))
                target = target.value
            spelled = f"{base.id}[{', '.join(reversed(parts))}]"
            written = ast.unparse(user.targets[0] if isinstance(user, ast.Assign)
                                  else user.target)
            raise self.scope.src.error(unknown[0], (
                f"{written} = ... is differentiated as {spelled} = ..., the same write where "
                f"{base.id} is an array and {ast.unparse(unknown[0])!r} an int; that it is an "
                f"int is not known here (it is for a range loop's variable, a constant, "
                f"len(...) and arithmetic on those). If {base.id} is an array, write "
                f"{spelled} = ..."))

    def _is_int(self, e):
        """Whether the user's expression ``e`` is known to be an int: a constant, a range
        (or enumerate) loop's variable, an int known now, arithmetic on those, ``len``."""
        if type(self.static_value(e)) is int:
            return True
        if isinstance(e, ast.Name):
            return self.scope.env.get(e.id) in self.out.ints
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, (ast.USub, ast.UAdd)):
            return self._is_int(e.operand)
        if isinstance(e, ast.BinOp) and isinstance(e.op, INT_OPERATORS):
            return self._is_int(e.left) and self._is_int(e.right)
        return isinstance(e, ast.Call) and len(e.args) == 1 and not e.keywords and (
            self.callee(e.func).is_(len) or self.callee(e.func).is_(int))

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
        # Python changes the array in place: see analysis/rebindings.py, and views.py for its
        # other names
        self.out.rebindings.append(ir.Rebinding(self.out.body[-1], (self.scope.src, stmt)))
        self.refresh_views(self.out.rebindings[-1], base.id, old.id, self.scope.env[base.id],
                           stmt)

    def sorted_value(self, call, base):
        """``np.sort(x, ...)``, the value ``x.sort(...)`` (``call``) gives the array ``x``
        (``base``) in place; refused where ``x`` is a list (whose sort is Python's)."""
        generated = self.scope.env.get(base.id)
        if generated in self.out.lists or self._container_made(generated) is not None:
            raise self.scope.src.error(call, f"{base.id}.sort() of a list of values being "
                                             f"differentiated is not supported; write "
                                             f"{base.id} = sorted({base.id})")
        name = self.runtime_name(np.sort)
        self.scope.known[name] = np.sort
        return ast.copy_location(ast.Call(func=ir.load(name), args=[base] + call.args,
                                          keywords=call.keywords), call)

    def _outside(self, name):
        """Whether the user's ``name`` is a variable outside the function (its globals or
        closure): not a parameter, never assigned in the function as the user wrote it."""
        src = self.scope.src
        return name not in src.params and not any(
            isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
            for n in ast.walk(src.node)) and src.resolve(name, None) is not None

    def outside_error(self, stmt, name):
        """The refusal of ``stmt``, which assigns into ``name``, a variable outside the
        function (see _outside)."""
        return self.scope.src.error(
            stmt, f"assigning into {name!r}, a variable outside the function (a global or "
                  f"closure variable), is not supported: it would change {name} for every "
                  f"later call; return the value instead, or assign into a copy ({name} = "
                  f"{name}.copy() first)")

    def _changed_array(self, base, stmt):
        """The generated name of user name ``base``, which ``stmt`` changes in place (checked:
        it has a value, it is no list or dict kept as written, no structure)."""
        generated = self.scope.env.get(base.id)
        if generated is None:
            if self._outside(base.id):
                raise self.outside_error(stmt, base.id)
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
        kept as written that makes one ({}, [], dict(...)), '<class> object' for an object
        of a class other than an array's, else None (looking in the blocks around this one
        too: a loop carries the name)."""
        kept = (s for body in [self.out.body] + self.out.enclosing[::-1]
                for s in reversed(body))
        for s in kept:
            if isinstance(s, ir.Keep) and name in s.defines:
                value = getattr(s.stmt, "value", None)
                kinds = {ast.Dict: "dict", ast.DictComp: "dict", ast.List: "list",
                         ast.ListComp: "list", ast.Set: "set", ast.SetComp: "set"}
                if type(value) in kinds:
                    return kinds[type(value)]
                if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
                        and value.func.id in ("dict", "list", "set"):
                    return value.func.id
                if isinstance(value, ast.Call):
                    # an object of a class other than an array's (collections.defaultdict)
                    made = self.callee(value.func)
                    if made.kind == "object" and isinstance(made.what, type) \
                            and not issubclass(made.what, np.ndarray):
                        return f"{made.what.__name__} object"
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
