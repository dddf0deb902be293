"""Statements, one at a time: each assignment gets a name of its own (SSA renaming).

A user statement becomes IR statements: an expression statement kept (a
print) or refused, ``define`` giving each assignment to a user variable a new
generated name (``h``, then ``h_2``). Assignments are in assignments.py,
branches and loops in control.py and loops.py. Part of ``normalize.Normalizer``.
"""

import ast

from .. import ir
from ..ir.trees import Node
from .held_arguments import PUT_BACK
from .in_place_calls import CHANGES
from .item_desugar import FILLING, ITEM
from .row_loops import ROWS
from .row_views import ROW_VIEW
from .syntax import is_append, is_pop, is_user_function
from .tree_values import dict_display


class Statements:
    """Part of ``normalize.Normalizer``: user statements to IR statements."""

    def statements(self, stmts):
        """Normalize ``stmts`` in order, up to a break or continue that ends the block."""
        for stmt in stmts:
            if self.scope.terminated:
                break  # unreachable after break/continue
            self.statement(stmt)

    def block(self, stmts):
        """Normalize a nested block; returns its IR statements and whether it ended with a
        jump."""
        saved_body, saved_terminated = self.out.body, self.scope.terminated
        self.out.enclosing.append(saved_body)
        self.out.body, self.scope.terminated = [], False
        self.statements(stmts)
        result = (self.out.body, self.scope.terminated)
        self.out.body, self.scope.terminated = saved_body, saved_terminated
        self.out.enclosing.pop()
        return result

    def statement(self, stmt):
        """Normalize one user statement; statements kept as written remember it (errors
        about them point at it)."""
        if getattr(stmt, CHANGES, None) is not None:   # f(u) changing u (in_place_calls.py)
            return self.in_place_call(stmt)
        if getattr(stmt, PUT_BACK, False) and not self.names_structure(stmt.targets[0].value):
            return None   # (d["w"] = _held1 after a helper changed it: the same array)
        if getattr(stmt, FILLING, None) is not None and getattr(stmt, ITEM, None) is None:
            stmt = self.filled_place(stmt)   # np.copyto(d["w"], v) as d["w"][...] = v
        body, mark = self.out.body, len(self.out.body)
        if self.scope.structured or _builds_structure(stmt, self.callee) \
                or self.is_fixed_display(stmt) \
                or isinstance(stmt, ast.Assign) and self.constructed(stmt.value) is not None \
                or self._calls_made_object(stmt):
            resolved = self.resolve_statement(stmt)
            if resolved is None:   # (it bound or unrolled structures)
                return
            if isinstance(resolved, ast.If) and isinstance(resolved.test, ast.Constant):
                # isinstance(params, dict), hasattr(model, "b"): decided by the structure
                return self.statements(resolved.body if resolved.test.value else
                                       resolved.orelse)
            stmt = resolved
        self._statement(stmt)
        self._remember_constant(stmt)
        self.record_kept_views(body[mark:], stmt)   # (see views.py)
        for s in ir.walk(body[mark:]):
            if isinstance(s, ir.Keep) and s.origin is None:
                s.origin = (self.scope.src, stmt)

    def _remember_constant(self, stmt):
        """After ``n = len(params) // 2`` or ``key = "W3"``, outside loops, for a name the
        function assigns only there: ``n`` is known now (trees.static_value), so a key
        spelled from it (``params[f"W{n}"]``) reads a leaf."""
        if not (self.scope.structured and self.out.loop_depth == 0 and isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                and stmt.targets[0].id in self.scope.assigned_once):
            return
        value = self.static_value(stmt.value)
        if isinstance(value, (int, str)) and not isinstance(value, bool):
            self.scope.constants[stmt.targets[0].id] = value

    def _calls_made_object(self, stmt):
        """Whether ``stmt`` calls an object it makes (``Layer(W, b)(x)``, ``Layer(W,
        b).forward(x)``): the object is then a structure (resolve.py), and the statements
        from here on are resolved."""
        for node in ir.walk_tree([v for _, v in ast.iter_fields(stmt) if isinstance(v, ast.expr)]):
            if isinstance(node, ast.Call):
                inner = node.func.value if isinstance(node.func, ast.Attribute) else node.func
                if isinstance(inner, ast.Call) and self.constructed(inner) is not None:
                    self.scope.structured = True
                    return True
        return False

    def _statement(self, stmt):
        """Normalize ``stmt`` by its kind."""
        if isinstance(stmt, ast.Pass):
            return
        if getattr(stmt, ITEM, None) is not None:   # x[index] = v (see items.py)
            return self.item_statement(stmt)
        if isinstance(stmt, ast.If) and getattr(stmt, ROWS, None) is not None:
            return self.row_loop(stmt)   # for row in B: row -= c (row_loops.py)
        if isinstance(stmt, ast.If) and getattr(stmt, ROW_VIEW, None) is not None:
            return self.row_view(stmt)   # a = B[t]; a[:] = v (row_views.py)
        if isinstance(stmt, ast.If):
            return self.branch(stmt)
        if isinstance(stmt, (ast.For, ast.While)):
            return self.loop(stmt)
        if isinstance(stmt, (ast.Break, ast.Continue)):
            return self.jump(stmt)
        if isinstance(stmt, ast.Return):
            raise self.scope.src.error(stmt, "internal: a return that was not lowered")
        if is_append(stmt) and self.varies(stmt.value.func.value):
            return self.append(stmt)
        if isinstance(stmt, ast.Expr):
            return self.expression_statement(stmt)
        if isinstance(stmt, (ast.Assert, ast.Raise)):
            return self.keep(stmt, pure=False)
        if isinstance(stmt, ast.AnnAssign):
            if stmt.value is None:
                return
            stmt = ast.Assign(targets=[stmt.target], value=stmt.value,
                              lineno=stmt.lineno, col_offset=stmt.col_offset)
        if isinstance(stmt, ast.AugAssign):
            return self.augmented(stmt)
        if isinstance(stmt, ast.Assign):
            return self.assignment(stmt)
        raise self.scope.src.error(stmt, f"a {type(stmt).__name__} statement cannot be "
                                         f"differentiated")

    def _refuse_reordering(self, e):
        """Refuse ``d.move_to_end(k)`` or ``d.popitem()`` of a dict (an ``OrderedDict``)
        holding values being differentiated: the change of its order or items in place,
        which every name of it would see, saying what to write instead."""
        if not (isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute)
                and e.func.attr in ("move_to_end", "popitem")):
            return
        tree = self.tree_of(e.func.value) if self.might_be_tree(e.func.value) else None
        if isinstance(tree, Node) and tree.kind == "dict" and self.varies(e.func.value):
            held = ast.unparse(e.func.value)
            raise self.scope.src.error(e, f"{ast.unparse(e)} changes the order or the items of "
                                          f"{held}, a dict of values being differentiated, in "
                                          f"place, which adcompile does not follow; make a new "
                                          f"one in the order wanted ({{k: {held}[k] for k in "
                                          f"keys}}, or OrderedDict of it)")

    def expression_statement(self, stmt):
        """An expression as a statement: print(x) and the like are kept, a pop normalized,
        anything else on a value being differentiated refused."""
        e = stmt.value
        if isinstance(e, ast.Constant):
            return
        if isinstance(e, ast.Call):
            called = self.callee(e.func)
            if called.kind == "object" and self.registry.is_inert(called.what):
                return self.keep(stmt, pure=False)
        if is_pop(e) and self.scope.env.get(e.func.value.id) in self.out.lists:
            return self.pop(None, e, stmt)
        if self.varies(e) and self.inlined_call_statement(stmt):
            return None
        if self.varies(e) and self.scope.src.generated:
            # gradient code keeps a computation of the user's whose value nothing needed,
            # for what its calls may do: here it is that computation again, differentiated
            return self.emit_value(None, e, node=stmt)
        self._refuse_reordering(e)
        if self.varies(e):
            raise self.scope.src.error(stmt, "an expression statement on a value being "
                                             "differentiated (it could change the value in "
                                             "place); assign its result",
                                       _out_hint(e) or self._returning_hint(e))
        self.keep(stmt, pure=False)

    def inlined_call_statement(self, stmt):
        """Inline the call statement ``stmt`` of a function of the user's (``step(u, s)``,
        ``scale_(params, 0.5)``, ``box.push(s)``) whose value is not used, as ``_ =
        step(u, s)`` would be; returns whether it did. What the callee changes in place is
        then what its own statements change: arrays as new versions the aliasing analysis
        checks, the caller's structures as the structures it made (``Changes``)."""
        e = stmt.value
        if not isinstance(e, ast.Call):
            return False
        called = self.callee(e.func)
        if called.kind != "object" or not is_user_function(called.what) \
                or self.registry.rule_for(called.what) is not None \
                or getattr(called.what, "_adcompile_primitive", False):
            return False
        mark = len(self.out.body)
        self.inline(None, called.what, e, tree_ok=True)
        for s in ir.walk(self.out.body[mark:]):
            if isinstance(s, ir.Keep) and s.origin is None:
                s.origin = (self.scope.src, stmt)
        return True

    def _returning_hint(self, e):
        """For ``step(u, r)`` as a statement, a function of the user's that may change its
        argument ``u`` in place: how to write it as a function returning the new array
        (None for any other expression)."""
        what = self.callee(e.func).what if isinstance(e, ast.Call) else None
        if not is_user_function(what):
            return None
        changed = next((i for i, a in enumerate(e.args) if isinstance(
            a, (ast.Name, ast.Subscript, ast.Attribute)) and self.varies(a)), None)
        if changed is None:
            return None
        function = ast.unparse(e.func)
        if "$" in function:   # (self.bump() resolved to its class's method)
            function = getattr(what, "__qualname__", function)
        # (as the user wrote them: self.bump(), f(params["u"]) are resolved)
        call, argument = self.scope.src.written(e), self.scope.src.written(e.args[changed])
        if "$" in call + argument:
            return None
        return (f"adcompile follows a helper's change to an array argument where the array "
                f"is passed by its name, once, and the helper only changes it in place (u[i] "
                f"= v, u += v, u.fill(v)), never assigning the name (u = ...); else have "
                f"{function} return the new array "
                f"(return it at its end, or build a new one) and write {argument} = {call}")

    def keep(self, stmt, pure=True, defines=()):
        """Keep ``stmt`` as written, in generated names."""
        self.out.body.append(ir.Keep(self.rename(stmt), list(defines), pure))

    def define(self, name):
        """The name of a new assignment to user variable ``name``."""
        if name in self.scope.trees or name in self.scope.constants:
            self.forget_tree(name)
        if name not in self.scope.env and name not in self.scope.defined:
            # the first assignment keeps the user's name; an inlined callee's names are fresh
            new = name if self.scope.src is self.inlining.root else self.namer.fresh(name)
        else:
            new = self.namer.version(self.scope.named_as.get(name, name))
        self.scope.defined.add(name)
        self.scope.env[name] = new
        self.out.origin[new] = (self.scope.number, name)
        return new


def _builds_structure(stmt, callee):
    """Whether ``stmt`` binds a name to a dict display (or ``dict(k=v, ...)``), perhaps
    inside a list or tuple display or a deep copy of one (``copy.deepcopy({...})``): a
    structure if it holds values being differentiated (trees.py)."""
    def holds_dict(e):
        return isinstance(e, ast.Dict) or dict_display(e, callee) is not None \
            or isinstance(e, (ast.List, ast.Tuple)) \
            and any(holds_dict(x) for x in e.elts) \
            or isinstance(e, ast.Call) and len(e.args) == 1 and holds_dict(e.args[0]) \
            and "deepcopy" in (getattr(e.func, "id", None), getattr(e.func, "attr", None))
    return isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and holds_dict(stmt.value)


def _out_hint(e):
    """For ``np.multiply(x, x, out=y)`` as a statement: how to write it with the result
    assigned instead (None for any other expression)."""
    out = next((k.value for k in e.keywords if k.arg == "out"), None) \
        if isinstance(e, ast.Call) else None
    if out is None:
        return None
    where = next((k.value for k in e.keywords if k.arg == "where"), None)
    call = ast.Call(func=e.func, args=e.args,
                    keywords=[k for k in e.keywords if k.arg not in ("out", "where")])
    if where is not None:   # (ufunc_out.WHERE_FILL: the ufuncs adcompile writes so itself)
        return (f"drop out= and where= and assign the result: {ast.unparse(out)} = "
                f"np.where({ast.unparse(where)}, {ast.unparse(call)}, {ast.unparse(out)}), "
                f"each input replaced where the mask is False by a value where the function "
                f"and its derivative are finite (np.where(mask, a, 1.0)), or the gradient "
                f"there is NaN")
    return f"drop out= and assign the result: {ast.unparse(out)} = {ast.unparse(call)}"
