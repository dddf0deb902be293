"""Statements, one at a time: each assignment gets a name of its own (SSA renaming).

A user statement becomes IR statements: an active assignment one primitive
(its operands flattened first), an inactive one kept as written but renamed,
tuple unpacking one assignment per name; ``define`` gives each assignment to a
user variable a new generated name (``h``, then ``h_2``). Branches and loops
are in control.py and loops.py. Part of ``normalize.Normalizer``.
"""

import ast
import copy

from .. import ir
from ..ir.trees import Node
from .items import ITEM
from .source import NOT_A_CALL
from .syntax import Deferred, Part, Ready, has_call, is_append, is_pop, is_user_function


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
        self.out.body, self.scope.terminated = [], False
        self.statements(stmts)
        result = (self.out.body, self.scope.terminated)
        self.out.body, self.scope.terminated = saved_body, saved_terminated
        return result

    def statement(self, stmt):
        """Normalize one user statement; statements kept as written remember it (errors
        about them point at it)."""
        body, mark = self.out.body, len(self.out.body)
        if self.scope.structured or _builds_structure(stmt) or self.is_fixed_display(stmt) \
                or isinstance(stmt, ast.Assign) and self.constructed(stmt.value) is not None \
                or self._calls_made_object(stmt):
            resolved = self.resolve_statement(stmt)
            if resolved is None:   # (it bound or unrolled structures)
                return
            stmt = resolved
        self._statement(stmt)
        self.record_kept_views(body[mark:], stmt)   # (see views.py)
        for s in ir.walk(body[mark:]):
            if isinstance(s, ir.Keep) and s.origin is None:
                s.origin = (self.scope.src, stmt)

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
        if self.varies(e) and self.scope.src.generated:
            # gradient code keeps a computation of the user's whose value nothing needed,
            # for what its calls may do: here it is that computation again, differentiated
            return self.emit_value(None, e, node=stmt)
        if self.varies(e):
            raise self.scope.src.error(stmt, "an expression statement on a value being "
                                             "differentiated (it could change the value in "
                                             "place); assign its result")
        self.keep(stmt, pure=False)

    def keep(self, stmt, pure=True, defines=()):
        """Keep ``stmt`` as written, in generated names."""
        self.out.body.append(ir.Keep(self.rename(stmt), list(defines), pure))

    def augmented(self, stmt):
        """``x op= e`` as ``x = x op e``, remembered as a rebinding (see aliasing)."""
        target = stmt.target
        if not isinstance(target, ast.Name):
            if self.varies(ir.base_of(target)) or self.varies(stmt.value):
                raise self.scope.src.error(stmt, f"in-place update of {ast.unparse(target)!r} "
                                                 f"cannot be differentiated; build a new array "
                                                 f"instead")
            return self.keep(stmt, pure=False)
        value = ast.BinOp(left=ast.Name(id=target.id, ctx=ast.Load()), op=stmt.op,
                          right=stmt.value)
        ast.copy_location(value, stmt)
        if self.concatenate(target.id, value, stmt):   # pr += [(a, b)]
            return
        old = self.scope.env.get(target.id)   # (None: x is unbound, a NameError when it runs)
        self.assignment(ast.Assign(targets=[ast.Name(id=target.id, ctx=ast.Store())],
                                   value=value, lineno=stmt.lineno, col_offset=stmt.col_offset))
        if old is not None:
            # Python changes an array x in place here; see aliasing.rebinding_hazards. The
            # last statement made computes new = old op e (its first operand is old's name).
            self.out.rebindings.append(ir.Rebinding(self.out.body[-1], (self.scope.src, stmt)))
            if isinstance(self.out.body[-1], ir.Op):   # the other names of an array x
                self.refresh_views(self.out.rebindings[-1], target.id, old,
                                   self.scope.env[target.id], stmt)

    def assignment(self, stmt):
        """Normalize ``targets = value``: to one name, to several, to a tuple of names."""
        targets = stmt.targets
        if len(targets) > 1:  # a = b = value
            first = targets[0]
            self.assignment(ast.Assign(targets=[first], value=stmt.value,
                                       lineno=stmt.lineno, col_offset=stmt.col_offset))
            for t in targets[1:]:
                self.assignment(ast.Assign(targets=[t], value=copy.deepcopy(first),
                                           lineno=stmt.lineno, col_offset=stmt.col_offset))
            return
        target, value = targets[0], stmt.value
        if isinstance(value, ast.IfExp) and self.varies(value):
            # y = a if c else b is the if statement that assigns y in both branches
            branches = [ast.Assign(targets=[copy.deepcopy(target)], value=v, lineno=stmt.lineno,
                                   col_offset=stmt.col_offset) for v in (value.body, value.orelse)]
            return self.branch(ast.If(test=value.test, body=branches[:1], orelse=branches[1:],
                                      lineno=stmt.lineno, col_offset=stmt.col_offset))
        if isinstance(target, ast.Subscript) and self.add_to_item(target, value, stmt):
            return
        for t in ast.walk(target):
            if isinstance(t, (ast.Subscript, ast.Attribute, ast.Starred)):
                what = {ast.Subscript: "item or slice assignment", ast.Attribute:
                        "attribute assignment", ast.Starred: "starred assignment"}[type(t)]
                if self.varies(value) or self.varies(ir.base_of(t)):
                    raise self.scope.src.error(stmt, f"{what} ({ast.unparse(target)} = ...) "
                                                     f"cannot be differentiated; build a new "
                                                     f"array")
                if not isinstance(target, ast.Name):
                    return self.keep(stmt, pure=False)
        if isinstance(target, ast.Name):
            return self._assign_name(target, value, stmt)
        return self._assign_tuple(target, value, stmt)

    def _assign_name(self, target, value, stmt):
        """``name = value``: a list made or popped from, an inactive value kept, a list under
        another name, an inlined call, or one primitive."""
        if is_pop(value) and self.scope.env.get(value.func.value.id) in self.out.lists:
            return self.pop(target.id, value, stmt)
        if isinstance(value, (ast.List, ast.Tuple)) and target.id in self.scope.varied:
            return self.new_list(target.id, value, stmt)
        if self.concatenate(target.id, value, stmt):   # pr = pr + [(a, b)]
            return
        if not self.varies(value) and not self.must_inline(value):
            return self.keep_assignment(target.id, value)
        shared_list = None
        if isinstance(value, ast.Name) and (self.scope.env.get(value.id) in self.out.lists
                                            or self.struct_of(value) is not None):
            shared_list = self.scope.env[value.id]
        elif isinstance(value, ast.Call) and self.callee(value.func).kind == "object" \
                and is_user_function(self.callee(value.func).what) \
                and self.registry.rule_for(self.callee(value.func).what) is None:
            result = self.inline(Deferred(self.define, target.id),
                                 self.callee(value.func).what, value, tree_ok=True)
            if isinstance(result, Node):   # the helper returns a structure
                return self.bind_tree(target.id, result, stmt)
            if result not in self.out.lists:
                return
            shared_list = result
        if shared_list is not None:  # the same list under another name
            self.scope.env[target.id] = shared_list
            self.scope.defined.add(target.id)
            return
        # the target is named only after the right-hand side is read: y = y + 1
        return self.emit_value(Deferred(self.define, target.id), value, node=stmt)

    def _assign_tuple(self, target, value, stmt):
        """Tuple unpacking: a, b = value; (a, b), c = (x, y), z."""
        if _new_lists_side_by_side(target, value):
            # xs, ps = [], []: one list each, as ``xs = []`` then ``ps = []`` make them
            for t, v in zip(target.elts, value.elts):
                self._assign_name(t, v, stmt)
            return
        pairs = self._unpack(target, value, stmt)
        if pairs is None:
            return self.keep_tuple(target, value)
        operands = []  # every right-hand side is read before any name is assigned
        for name, part in pairs:
            if isinstance(part, Ready):
                operands.append(part.operand)
            elif isinstance(part, ast.AST) and not isinstance(part, Part):
                operands.append(self.operand(part))
            else:
                operands.append(part)
        for (name, source), operand in zip(pairs, operands):
            if isinstance(operand, Part):
                operand = self.emit_index(None, operand.whole, ast.Constant(operand.index), stmt)
            if self.is_varied_operand(operand):
                self.emit_copy(self.define(name), operand, stmt)
            else:
                self._keep_renamed(name, operand)

    def _unpack(self, target, value, stmt):
        """(name, value) pairs for a tuple assignment, or None if nothing in it is active."""
        if isinstance(target, ast.Name):
            return [(target.id, value)]
        if not isinstance(target, (ast.Tuple, ast.List)) or any(
                isinstance(t, ast.Starred) for t in target.elts):
            raise self.scope.src.error(stmt, "starred assignment is not supported")
        if isinstance(value, (ast.Tuple, ast.List)):
            if len(value.elts) != len(target.elts):
                raise self.scope.src.error(stmt, "tuple assignment with mismatched lengths")
            pairs = []
            for t, v in zip(target.elts, value.elts):
                inner = self._unpack(t, v, stmt)
                if inner is None:
                    inner = self._unpack_active(t, v, stmt)
                pairs.extend(inner)
            return pairs
        if not self.varies(value) and not self.must_inline(value):
            return None
        return self._unpack_active(target, value, stmt)

    def _unpack_active(self, target, value, stmt):
        """Pairs for ``a, b = value`` where value is not a literal: a = value[0], b = value[1]."""
        if isinstance(target, ast.Name):
            return [(target.id, value)]
        parts = self.struct_item(value, stmt)
        if parts is not None:   # a, b = layers[i]
            if len(parts) != len(target.elts) or not all(
                    isinstance(t, ast.Name) for t in target.elts):
                raise self.scope.src.error(stmt, f"unpacking {len(parts)}-tuples into "
                                                 f"{ast.unparse(target)} is not supported")
            return [(t.id, Ready(p)) for t, p in zip(target.elts, parts)]
        called = self.callee(value.func) if isinstance(value, ast.Call) else NOT_A_CALL
        if called.kind == "object" and is_user_function(called.what) \
                and self.registry.rule_for(called.what) is None \
                and all(isinstance(t, ast.Name) for t in target.elts):
            # a, b = helper(x): bind the helper's returned values directly
            parts = self.inline(None, called.what, value, unpack=len(target.elts), tree_ok=True)
            if isinstance(parts, Node):   # the helper returns a structure: unpack it
                self.bind(target, parts, stmt)
                return []
            if isinstance(parts, list):
                return [(t.id, Ready(p)) for t, p in zip(target.elts, parts)]
            value = ast.Name(id=parts, ctx=ast.Load())
            return [(t.id, Part(ir.load(parts), i)) for i, t in enumerate(target.elts)]
        if not self.varies(value):
            if all(isinstance(t, ast.Name) for t in target.elts):
                whole = self.operand(value)
                return [(t.id, ast.Subscript(value=whole, slice=ast.Constant(i), ctx=ast.Load()))
                        for i, t in enumerate(target.elts)]
        if not all(isinstance(t, ast.Name) for t in target.elts):
            raise self.scope.src.error(stmt, "nested unpacking of a value that is not a tuple "
                                             "literal is not supported; unpack one level per "
                                             "statement")
        whole = self.operand(value)
        return [(t.id, Part(whole, i)) for i, t in enumerate(target.elts)]

    def keep_assignment(self, name, value):
        """Keep ``name = value`` for an inactive user expression ``value``."""
        value = self.hoist_local_calls(value)
        self._keep_renamed(name, self.rename(value), self.is_pure(value))

    def _keep_renamed(self, name, value, pure=None):
        """Keep ``name = value`` where ``value`` is already in generated names (``pure``:
        whether it only computes a value; by default, whether it calls nothing)."""
        new = self.define(name)
        pure = not has_call(value) if pure is None else pure
        self.out.body.append(ir.Keep(ir.assign(new, value), [new], pure=pure))

    def keep_tuple(self, target, value):
        """Keep ``a, b = value`` when nothing in it is active."""
        pure = self.is_pure(value)
        value = self.rename(value)
        target = copy.deepcopy(target)
        defines = []
        for t in target.elts:
            t.id = self.define(t.id)
            defines.append(t.id)
        self.out.body.append(ir.Keep(ast.Assign(targets=[target], value=value, lineno=0),
                                     defines, pure=pure))

    def define(self, name):
        """The name of a new assignment to user variable ``name``."""
        if name in self.scope.trees or name in self.scope.constants:
            self.forget_tree(name)
        if name not in self.scope.env and name not in self.scope.defined:
            # the first assignment keeps the user's name; an inlined callee's names are fresh
            new = name if self.scope.src is self.inlining.root else self.namer.fresh(name)
        else:
            new = self.namer.version(name)
        self.scope.defined.add(name)
        self.scope.env[name] = new
        self.out.origin[new] = (self.scope.number, name)
        return new


def _builds_structure(stmt):
    """Whether ``stmt`` binds a name to a dict display, perhaps inside a list or tuple
    display: a structure if it holds values being differentiated (trees.py)."""
    def holds_dict(e):
        return isinstance(e, ast.Dict) or isinstance(e, (ast.List, ast.Tuple)) \
            and any(holds_dict(x) for x in e.elts)
    return isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and holds_dict(stmt.value)


def _new_lists_side_by_side(target, value):
    """Whether ``target = value`` is ``a, b = [...], [...]`` (names, and list or tuple
    displays that read none of them: assigned one after the other, the same)."""
    if not (isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List))
            and len(target.elts) == len(value.elts)
            and all(isinstance(t, ast.Name) for t in target.elts)
            and any(isinstance(v, (ast.List, ast.Tuple)) for v in value.elts)):
        return False
    names = {t.id for t in target.elts}
    return len(names) == len(target.elts) and not any(
        isinstance(n, ast.Name) and n.id in names for v in value.elts for n in ast.walk(v))
