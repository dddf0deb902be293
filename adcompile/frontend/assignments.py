"""Assignments: to a name, to several names, tuple unpacking, and ``x op= e``.

An active assignment becomes one primitive (its operands flattened first), an
inactive one is kept as written but renamed; tuple unpacking becomes one
assignment per name, every right-hand side read before any name is assigned;
a call of the user's function is inlined into the names it binds. Part of
``normalize.Normalizer``.
"""

import ast
import copy

import numpy as np

from .. import ir, runtime
from ..ir.trees import Node
from .source import NOT_A_CALL
from .syntax import Deferred, Part, Ready, has_call, is_pop, is_user_function
from .texts import is_text


class Assignments:
    """Part of ``normalize.Normalizer``: user assignments to IR statements."""

    def augmented(self, stmt):
        """``x op= e`` as ``x = x op e``, remembered as a rebinding (see analysis/rebindings.py)."""
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
            # Python changes an array x in place here; see rebindings.rebinding_hazards. The
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
        if target.id in self.scope.varied:   # layers = [W] * 3
            value = self.repeated(value) or value
        if isinstance(value, (ast.List, ast.Tuple)) and target.id in self.scope.varied:
            return self.new_list(target.id, value, stmt)
        if self.concatenate(target.id, value, stmt):   # pr = pr + [(a, b)]
            return
        ranked = self.sorted_pairs(value, target.id)   # sorted(pairs, key=lambda p: p[0])
        if ranked is not None:
            self.bind_struct(target.id, ranked, stmt)
            return
        if not self.varies(value) and not self.must_inline(value) \
                or target.id in self.scope.texts and is_text(value):
            # (text made of values being differentiated is only printed: texts.py)
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
        elif isinstance(value, ast.Call) and self.global_method(value) is not None:
            # m = Layer.from_params(p), m = MODEL.build(p): a structure too
            result = self._global_method(Deferred(self.define, target.id), value,
                                         self.global_method(value), tree_ok=True)
            if isinstance(result, Node):
                self.scope.structured = True   # (m.loss(X, y) after it: resolve.py)
                return self.bind_tree(target.id, result, stmt)
            return
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
            self._require_length(ir.load(parts), len(target.elts), stmt)
            return [(t.id, Part(ir.load(parts), i)) for i, t in enumerate(target.elts)]
        if not self.varies(value):
            if all(isinstance(t, ast.Name) for t in target.elts):
                whole = self.operand(value)
                self._require_length(whole, len(target.elts), stmt)
                return [(t.id, ast.Subscript(value=whole, slice=ast.Constant(i), ctx=ast.Load()))
                        for i, t in enumerate(target.elts)]
        if not all(isinstance(t, ast.Name) for t in target.elts):
            raise self.scope.src.error(stmt, "nested unpacking of a value that is not a tuple "
                                             "literal is not supported; unpack one level per "
                                             "statement")
        whole = self.operand(value)
        if _length_of(value, self.callee) != len(target.elts):
            self._require_length(whole, len(target.elts), stmt)
        return [(t.id, Part(whole, i)) for i, t in enumerate(target.elts)]

    def _require_length(self, whole, n, stmt):
        """``require_length(whole, n, where)`` before ``a, b = whole`` reads its items: Python
        raises ValueError there for a value of another length (not needed where the value
        is a NumPy call that always gives n items: _length_of)."""
        error = self.scope.src.error(stmt, "")
        where = error.where
        check = ast.Call(func=ir.load(self.runtime_name(runtime.require_length)),
                         args=[whole, ast.Constant(n), ast.Constant(where)], keywords=[])
        self.out.body.append(ir.Keep(ast.Expr(check), [], pure=False))

    def keep_assignment(self, name, value):
        """Keep ``name = value`` for an inactive user expression ``value``."""
        value = self.hoist_local_calls(value)
        known_int = name in self.scope.assigned_once and self._is_int(value)
        self._keep_renamed(name, self.rename(value), self.is_pure(value))
        if known_int:   # (n = len(x), k = i + 1: see items.Items.chained_write)
            self.out.ints.add(self.scope.env[name])

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


def _length_of(value, callee):
    """The number of items the user's expression ``value`` always has, where it is a call of
    a NumPy function that gives a fixed number (``sign, logdet = np.linalg.slogdet(K)``,
    ``Q, R = np.linalg.qr(A)``, ``a, b = np.split(x, 2)``), else None."""
    if not isinstance(value, ast.Call) or any(isinstance(a, ast.Starred) for a in value.args) \
            or any(k.arg is None for k in value.keywords):
        return None
    called = callee(value.func)
    f = called.what if called.kind == "object" else None

    def given(position, keyword):   # (the argument's node, or None where not given)
        named = [k.value for k in value.keywords if k.arg == keyword]
        return named[0] if named else value.args[position] \
            if len(value.args) > position else None

    def constant(e, default):
        return default if e is None else e.value if isinstance(e, ast.Constant) else object()

    if any(f is g for g in (np.linalg.slogdet, np.linalg.eigh, np.linalg.eig)):
        return 2
    if f is np.linalg.qr:
        return 2 if constant(given(1, "mode"), "reduced") in ("reduced", "complete") else None
    if f is np.linalg.svd:
        return 3 if constant(given(2, "compute_uv"), True) is True else None
    if any(f is g for g in (np.split, np.array_split)):
        sections = given(1, "indices_or_sections")
        if isinstance(sections, (ast.List, ast.Tuple)):
            return len(sections.elts) + 1
        count = constant(sections, None)
        return count if type(count) is int else None
    return None

