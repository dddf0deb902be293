"""Flatten a function into the normalized form of ``ir``: one primitive per statement.

Active expressions (those that depend on a differentiated parameter) are
split so that each assignment applies one primitive to names; every
assignment gets a name of its own (a variable assigned again becomes
``h_2``); inactive expressions stay as the user wrote them. Anything that
cannot be differentiated correctly is rejected here, with the user's
file:line:col.
"""

import ast
import copy
import inspect
import itertools

import numpy as np

from .. import aliasing, ir
from . import liveness
from .. import einsum as einsum_forms
from .calls import Calls
from .control import ControlFlow
from .lists import Lists, appended_tuples
from .lower import lower_function
from ..naming import Namer, names_in
from ..rules import REGISTRY
from .syntax import (
    MISSING,
    Deferred,
    Part,
    Ready,
    base_of,
    has_call,
    index_expression,
    is_append,
    is_pop,
    is_trivial,
    is_user_function,
    operator_named,
    symbol,
)
from .validate import attributes_by_name, refuse_unsupported

BINOPS = {
    ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "truediv", ast.Pow: "pow",
    ast.MatMult: "matmul", ast.FloorDiv: "floordiv", ast.Mod: "mod",
    ast.BitAnd: "and_", ast.BitOr: "or_", ast.BitXor: "xor",
    ast.LShift: "lshift", ast.RShift: "rshift",
}
UNARYOPS = {ast.USub: "neg", ast.UAdd: "pos", ast.Not: "not_", ast.Invert: "invert"}


class Normalizer(ControlFlow, Lists, Calls):
    def __init__(self, source, wrt, registry=REGISTRY):
        self.root = source
        self.registry = registry
        if "out_bar" in source.params:
            raise source.error(source.node, "a parameter named 'out_bar' clashes with the seed "
                                            "argument of generated gradients; rename it")
        for node in ast.walk(source.node):
            if isinstance(node, ast.Name) and node.id == "out_bar":
                raise source.error(node, "a variable named 'out_bar' clashes with the seed "
                                         "argument of generated gradients; rename it")
        self.namer = Namer(names_in(source.node) | {"out_bar"})
        self.body = []
        self.wrt = list(wrt)
        self.varied_ssa = set(wrt)   # generated names whose values are being differentiated
        self.lists = set()           # generated names bound to lists of such values
        self.structs = {}            # generated name of a list of tuples -> lists.Struct
        self.extra_globals = {}      # generated name -> object, for names an inlined callee reads
        self.call_stack = []         # functions being inlined, to refuse recursion
        self.loops = []              # enclosing loops' names for the variables they assign
        self.loop_depth = 0          # loops around the current statement, across inlined calls
        self.terminated = False      # the current block ended with break/continue
        self.sources = {}            # inlined function -> its FunctionSource
        self.kept_free = set()       # callees' free names that mean the same in the root
        self.maybe_undefined = set() # names with no value on some path (first set in a loop)
        self.rebindings = []         # ir.Rebinding for each x op= e on a name
        self.origin = {}             # generated name -> (scope, the user's variable)
        self._scopes = itertools.count()   # numbers the function and each inlined call
        self.root_locals = set(source.params) | {
            n.id for n in ast.walk(source.node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        self.fn = self._enter(source, {p: p for p in source.params}, set(wrt))
        self.origin.update({p: (0, p) for p in source.params})

    def _enter(self, source, env, varied_params):
        """Make ``source`` the function being normalized; returns its lowered ``def``."""
        fn = copy.deepcopy(source.node)
        lower_function(fn, source.error)
        liveness.annotate(fn)
        if source is self.root:  # names the lowering added (result, returned) are taken too
            self.namer.taken |= names_in(fn)
        self.src = source
        self.scope = next(self._scopes)
        self.env = dict(env)
        self.locals = set(source.params)
        for node in ast.walk(fn):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self.locals.add(node.id)
        attributes_by_name(fn, self.callee)
        self.tuple_appends = appended_tuples(fn)
        self._defined = set()
        self.free_map = {}
        if source is not self.root:
            self._map_free_names(fn)
        self.varied = self._varied_names(fn, set(varied_params))
        return fn

    def _scope(self):
        return (self.src, self.env, self.locals, self._defined, self.free_map, self.varied,
                self.loops, self.terminated, self.scope, self.tuple_appends)

    def _restore(self, scope):
        (self.src, self.env, self.locals, self._defined, self.free_map, self.varied,
         self.loops, self.terminated, self.scope, self.tuple_appends) = scope

    def _map_free_names(self, fn):
        """Free names of an inlined callee that mean something else (or nothing) in the
        function being differentiated get fresh names bound to the callee's objects."""
        root_names = names_in(self.root.node)
        for name in sorted(ir.names_read(fn) - self.locals):
            obj = self.src.resolve(name, MISSING)
            if obj is MISSING:
                continue
            same = self.root.resolve(name, MISSING) is obj and name not in self.root_locals
            generated = name in self.namer.taken and name not in root_names \
                and name not in self.kept_free
            if same and not generated:
                self.namer.take(name)
                self.kept_free.add(name)
                continue
            fresh = self.namer.fresh(name)
            self.extra_globals[fresh] = obj
            self.free_map[name] = fresh

    # -- activity before renaming: which user names may depend on wrt -------

    def _varied_names(self, fn, varied):
        assigns = [n for n in ast.walk(fn)
                   if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For))
                   or is_append(n)]
        changed = True
        while changed:
            changed = False
            for node in assigns:
                if isinstance(node, ast.For):
                    targets, varies = self._loop_targets(node, varied), True
                elif isinstance(node, ast.Expr):  # xs.append(value)
                    targets = [node.value.func.value]
                    varies = self.varies(node.value.args[0], varied)
                else:
                    if node.value is None:
                        continue
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    varies = self.varies(node.value, varied)
                if isinstance(node, ast.AugAssign):
                    varies = varies or self.varies(node.target, varied)
                if varies:
                    for t in targets:
                        for n in _target_names(t):
                            if n.id not in varied:
                                varied.add(n.id)
                                changed = True
        return varied

    def _loop_targets(self, node, varied):
        """The targets of a for loop that take values depending on wrt."""
        it, target = node.iter, node.target
        kind, what = self.callee(it.func) if isinstance(it, ast.Call) else (None, None)
        if kind == "object" and what is range:
            return []
        if kind == "object" and what is enumerate and isinstance(target, ast.Tuple) \
                and len(target.elts) == 2 and it.args:
            return [target.elts[1]] if self.varies(it.args[0], varied) else []
        if kind == "object" and what is zip and isinstance(target, ast.Tuple) \
                and len(target.elts) == len(it.args):
            return [t for t, a in zip(target.elts, it.args) if self.varies(a, varied)]
        if isinstance(it, (ast.Tuple, ast.List)):
            return [target] if any(self.varies(e, varied) for e in it.elts) else []
        return [target] if self.varies(it, varied) else []

    def varies(self, e, varied=None):
        """Whether expression ``e`` (in user names) may depend on a differentiated input."""
        varied = self.varied if varied is None else varied
        if isinstance(e, Ready):   # an operand already in generated names
            return self.is_active_operand(e.operand)
        if isinstance(e, ast.Name):
            return e.id in varied
        if isinstance(e, ast.Constant):
            return False
        if isinstance(e, ast.Compare) or (isinstance(e, ast.UnaryOp)
                                          and isinstance(e.op, (ast.Not, ast.Invert))):
            return False
        if isinstance(e, ast.Attribute):
            if e.attr in self.registry.nondiff_attributes:
                return False
            return self.varies(e.value, varied)
        if isinstance(e, ast.Subscript):   # np.r_[a, b] depends on a and b
            return self.varies(e.value, varied) or self.varies(e.slice, varied)
        if isinstance(e, ast.Call):
            kind, what = self.callee(e.func)
            if kind == "unknown" and not isinstance(e.func, ast.Call):
                # a function held in a variable (a parameter: it could be eval): default deny.
                # (What a known function returns, ad.grad(f)(y), sees only its arguments.)
                return True
            if kind == "object" and (self.registry.is_nondifferentiable(what)
                                     or self.registry.is_inert(what)):
                return False
            if kind == "method" and e.func.attr in self.registry.nondiff_methods:
                return False
            parts = list(e.args) + [k.value for k in e.keywords]
            if kind == "method":
                parts.append(e.func.value)
            return any(self.varies(p, varied) for p in parts)
        return any(self.varies(c, varied) for c in ast.iter_child_nodes(e)
                   if isinstance(c, ast.expr))

    def callee(self, func):
        """('object', obj) for a resolvable function, ('method', name) for ``value.name``,
        else ('unknown', description)."""
        if isinstance(func, ast.Name):
            if func.id in self.locals:
                return "unknown", func.id
            obj = self.src.resolve(func.id, None)
            return ("object", obj) if obj is not None else ("unknown", func.id)
        if isinstance(func, ast.Attribute):
            chain = []
            base = func
            while isinstance(base, ast.Attribute):
                chain.append(base.attr)
                base = base.value
            if isinstance(base, ast.Name) and base.id not in self.locals:
                obj = self.src.resolve(base.id, None)
                for attr in reversed(chain):
                    if obj is None:
                        break
                    obj = getattr(obj, attr, None)
                if obj is not None:
                    return "object", obj
                return "unknown", ast.unparse(func)
            return "method", func.attr
        return "unknown", ast.unparse(func)

    def check_call(self, e):
        """Reject a call that could read or change a value being differentiated without a rule,
        wherever it appears (also inside print(...) or len(...))."""
        kind, what = self.callee(e.func)
        args = list(e.args) + [k.value for k in e.keywords]
        if kind == "method":
            if not self.varies(e.func.value):
                return
            if what in self.registry.by_method or what in self.registry.nondiff_methods:
                return
            if what in ("append", "pop") and isinstance(e.func.value, ast.Name):
                return  # xs.append(value), x = xs.pop(): only as statements, checked there
            raise self.src.error(e, f"method .{what}() of a value being differentiated is not "
                                    f"supported (it has no adjoint rule, and it may change the "
                                    f"value in place)")
        if kind == "object" and (self.registry.rule_for(what) is not None
                                 or self.registry.is_nondifferentiable(what)
                                 or self.registry.is_inert(what) or is_user_function(what)
                                 or what in (enumerate, zip, reversed)):
            return
        if kind == "method" and what == "append":
            return
        if kind == "object" and isinstance(what, type) and issubclass(what, BaseException):
            return  # raise ValueError(f"bad {x}"): reads x; its value is never differentiated
        if not any(self.varies(a) for a in args):
            return
        raise self.unknown_call(e, kind, what)

    def unknown_call(self, e, kind, what):
        """The error for a call, on a value being differentiated, to something with no rule."""
        if kind == "object":
            name = getattr(what, "__qualname__", None) or ast.unparse(e.func)
            return self.src.error(e, f"call to {ast.unparse(e.func)!r} ({name}) cannot be "
                                     f"differentiated: it has no adjoint rule")
        return self.src.error(e, f"call to {what!r}, a function held in a variable: adcompile "
                                 f"cannot read what it does (it could read the function's "
                                 f"variables, as eval does); call a module-level function, or "
                                 f"compute the value outside and pass it in")

    # -- statements ----------------------------------------------------------

    def check_function(self, fn):
        """Reject what can never be differentiated, wherever it is in ``fn``."""
        refuse_unsupported(fn, self.src.error, self.callee)
        for node in ast.walk(fn):
            if isinstance(node, ast.Call):
                self.check_call(node)

    def run(self):
        fn = self.fn
        self.check_function(fn)
        statements = list(fn.body)
        if not statements or not isinstance(statements[-1], ast.Return):
            raise self.src.error(fn, f"function {fn.name!r} must end with a return statement "
                                     f"returning the value to differentiate")
        self.statements(statements[:-1])
        return self._finish(statements[-1])

    def _finish(self, ret):
        mark = len(self.body)
        fn = self._function(ret)
        for s in ir.walk(fn.body[mark:]):   # statements made for the returned expression
            if isinstance(s, ir.Keep) and s.origin is None:
                s.origin = (self.src, ret)
        aliasing.check_mutations(fn, aliasing.of(fn))
        return fn

    def _function(self, ret):
        """The normalized function, ``ret`` (the final return) normalized last."""
        if ret.value is None:
            raise self.src.error(ret, "return without a value: nothing to differentiate")
        value = ret.value
        if isinstance(value, (ast.Tuple, ast.List)):
            outputs = [self.operand(e) for e in value.elts]
            tuple_output = True
        else:
            tuple_output = False
            if isinstance(value, ast.IfExp) and self.is_active(value):
                # return a if c else b: out = a if c else b (an if statement); return out
                name = self.namer.fresh("out")
                self.assignment(ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())],
                                           value=value, lineno=ret.lineno,
                                           col_offset=ret.col_offset))
                outputs = [ir.load(self.env[name])]
            elif self.is_active(value) and not isinstance(value, ast.Name):
                target = self.namer.fresh("out")
                self.emit_value(target, value)
                outputs = [ir.load(target)]
            else:
                outputs = [self.operand(value)]
        for out in outputs:
            if isinstance(out, ast.Name) and out.id in self.lists:
                raise self.src.error(ret, "returning a list of values being differentiated is "
                                          "not supported; return a tuple of them")
        fn = ir.NormalFunction(self.src, list(self.src.params), self.wrt, self.body,
                               outputs, tuple_output, self.namer)
        fn.extra_globals = self.extra_globals
        fn.lists = self.lists
        fn.rebindings = self.rebindings
        fn.maybe_undefined = self.maybe_undefined
        fn.origin = self.origin
        return fn

    def statements(self, stmts):
        for stmt in stmts:
            if self.terminated:
                break  # unreachable after break/continue
            self.statement(stmt)

    def block(self, stmts):
        """Normalize a nested block; returns its IR statements and whether it ended with a jump."""
        saved_body, saved_terminated = self.body, self.terminated
        self.body, self.terminated = [], False
        self.statements(stmts)
        result = (self.body, self.terminated)
        self.body, self.terminated = saved_body, saved_terminated
        return result

    def statement(self, stmt):
        """Normalize one user statement; statements kept as written remember it (errors
        about them point at it)."""
        body, mark = self.body, len(self.body)
        self._statement(stmt)
        for s in ir.walk(body[mark:]):
            if isinstance(s, ir.Keep) and s.origin is None:
                s.origin = (self.src, stmt)

    def _statement(self, stmt):
        if isinstance(stmt, ast.Pass):
            return
        if isinstance(stmt, ast.If):
            return self.branch(stmt)
        if isinstance(stmt, (ast.For, ast.While)):
            return self.loop(stmt)
        if isinstance(stmt, (ast.Break, ast.Continue)):
            return self.jump(stmt)
        if isinstance(stmt, ast.Return):
            raise self.src.error(stmt, "internal: a return that was not lowered")
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
        raise self.src.error(stmt, f"a {type(stmt).__name__} statement cannot be differentiated")

    def expression_statement(self, stmt):
        e = stmt.value
        if isinstance(e, ast.Constant):
            return
        if isinstance(e, ast.Call):
            kind, what = self.callee(e.func)
            if kind == "object" and self.registry.is_inert(what):
                return self.keep(stmt, pure=False)
        if is_pop(e) and self.env.get(e.func.value.id) in self.lists:
            return self.pop(None, e, stmt)
        if self.is_active(e):
            raise self.src.error(stmt, "an expression statement on a value being differentiated "
                                       "(it could change the value in place); assign its result")
        self.keep(stmt, pure=False)

    def keep(self, stmt, pure=True, defines=()):
        self.body.append(ir.Keep(self.rename(stmt), list(defines), pure))

    def augmented(self, stmt):
        target = stmt.target
        if not isinstance(target, ast.Name):
            if self.varies(base_of(target)) or self.varies(stmt.value):
                raise self.src.error(stmt, f"in-place update of {ast.unparse(target)!r} "
                                           f"cannot be differentiated; build a new array instead")
            return self.keep(stmt, pure=False)
        value = ast.BinOp(left=ast.Name(id=target.id, ctx=ast.Load()), op=stmt.op,
                          right=stmt.value)
        ast.copy_location(value, stmt)
        old = self.env.get(target.id)   # (None: x is unbound, a NameError when it runs)
        self.assignment(ast.Assign(targets=[ast.Name(id=target.id, ctx=ast.Store())],
                                   value=value, lineno=stmt.lineno, col_offset=stmt.col_offset))
        if old is not None:
            # Python changes an array x in place here; see aliasing.rebinding_hazards. The
            # last statement made computes new = old op e (its first operand is old's name).
            self.rebindings.append(ir.Rebinding(self.body[-1], (self.src, stmt)))

    def assignment(self, stmt):
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
        if isinstance(value, ast.IfExp) and self.is_active(value):
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
                if self.varies(value) or self.varies(base_of(t)):
                    raise self.src.error(stmt, f"{what} ({ast.unparse(target)} = ...) "
                                               f"cannot be differentiated; build a new array")
                if not isinstance(target, ast.Name):
                    return self.keep(stmt, pure=False)
        if isinstance(target, ast.Name):
            if is_pop(value) and self.env.get(value.func.value.id) in self.lists:
                return self.pop(target.id, value, stmt)
            if isinstance(value, (ast.List, ast.Tuple)) and target.id in self.varied:
                return self.new_list(target.id, value, stmt)
            if not self.is_active(value):
                return self.keep_assignment(target.id, value)
            shared_list = None
            if isinstance(value, ast.Name) and (self.env.get(value.id) in self.lists
                                                or self.struct_of(value) is not None):
                shared_list = self.env[value.id]
            elif isinstance(value, ast.Call) and self.callee(value.func)[0] == "object" \
                    and is_user_function(self.callee(value.func)[1]):
                result = self.inline(Deferred(self.define, target.id),
                                     self.callee(value.func)[1], value)
                if result not in self.lists:
                    return
                shared_list = result
            if shared_list is not None:  # the same list under another name
                self.env[target.id] = shared_list
                self._defined.add(target.id)
                return
            # the target is named only after the right-hand side is read: y = y + 1
            return self.emit_value(Deferred(self.define, target.id), value, node=stmt)
        # tuple unpacking: a, b = value; (a, b), c = (x, y), z
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
            if self.is_active_operand(operand):
                self.emit_copy(self.define(name), operand, stmt)
            else:
                self._keep_renamed(name, operand)

    def _unpack(self, target, value, stmt):
        """(name, value) pairs for a tuple assignment, or None if nothing in it is active."""
        if isinstance(target, ast.Name):
            return [(target.id, value)]
        if not isinstance(target, (ast.Tuple, ast.List)) or any(
                isinstance(t, ast.Starred) for t in target.elts):
            raise self.src.error(stmt, "starred assignment is not supported")
        if isinstance(value, (ast.Tuple, ast.List)):
            if len(value.elts) != len(target.elts):
                raise self.src.error(stmt, "tuple assignment with mismatched lengths")
            pairs = []
            for t, v in zip(target.elts, value.elts):
                inner = self._unpack(t, v, stmt)
                if inner is None:
                    inner = self._unpack_active(t, v, stmt)
                pairs.extend(inner)
            return pairs
        if not self.is_active(value):
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
                raise self.src.error(stmt, f"unpacking {len(parts)}-tuples into "
                                           f"{ast.unparse(target)} is not supported")
            return [(t.id, Ready(p)) for t, p in zip(target.elts, parts)]
        kind, what = self.callee(value.func) if isinstance(value, ast.Call) else (None, None)
        if kind == "object" and is_user_function(what) and all(
                isinstance(t, ast.Name) for t in target.elts):
            # a, b = helper(x): bind the helper's returned values directly
            parts = self.inline(None, what, value, unpack=len(target.elts))
            if isinstance(parts, list):
                return [(t.id, Ready(p)) for t, p in zip(target.elts, parts)]
            value = ast.Name(id=parts, ctx=ast.Load())
            return [(t.id, Part(ir.load(parts), i)) for i, t in enumerate(target.elts)]
        if not self.is_active(value):
            if all(isinstance(t, ast.Name) for t in target.elts):
                whole = self.operand(value)
                return [(t.id, ast.Subscript(value=whole, slice=ast.Constant(i), ctx=ast.Load()))
                        for i, t in enumerate(target.elts)]
        if not all(isinstance(t, ast.Name) for t in target.elts):
            raise self.src.error(stmt, "nested unpacking of a value that is not a tuple literal "
                                       "is not supported; unpack one level per statement")
        whole = self.operand(value)
        return [(t.id, Part(whole, i)) for i, t in enumerate(target.elts)]

    def keep_assignment(self, name, value):
        self._keep_renamed(name, self.rename(value))

    def _keep_renamed(self, name, value):
        """Keep ``name = value`` where ``value`` is already in generated names."""
        new = self.define(name)
        self.body.append(ir.Keep(ir.assign(new, value), [new], pure=not has_call(value)))

    def keep_tuple(self, target, value):
        value = self.rename(value)
        target = copy.deepcopy(target)
        defines = []
        for t in target.elts:
            t.id = self.define(t.id)
            defines.append(t.id)
        self.body.append(ir.Keep(ast.Assign(targets=[target], value=value, lineno=0), defines,
                                 pure=not has_call(value)))

    def define(self, name):
        """The name of a new assignment to user variable ``name``."""
        if name not in self.env and name not in self._defined:
            # the first assignment keeps the user's name; an inlined callee's names are fresh
            new = name if self.src is self.root else self.namer.fresh(name)
        else:
            new = self.namer.version(name)
        self._defined.add(name)
        self.env[name] = new
        self.origin[new] = (self.scope, name)
        return new

    # -- expressions ---------------------------------------------------------

    def is_active(self, e):
        return self.varies(e)

    def is_active_operand(self, e):
        """Whether a flattened operand (in generated names) is a value being differentiated."""
        return isinstance(e, ast.Name) and e.id in self.varied_ssa

    def rename(self, tree):
        """A copy of ``tree`` with user names replaced by their current versions."""
        tree = copy.deepcopy(tree)
        for node in ast.walk(tree):   # len(layers) of a list of tuples: the length of a part
            if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords \
                    and self.struct_of(node.args[0]) is not None \
                    and self.callee(node.func) == ("object", len):
                node.args[0] = ir.load(self.struct_of(node.args[0]).lists[0])
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) \
                    and self.struct_of(node) is not None:
                raise self.refuse_struct(node, node.id)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                if node.id in self.env:
                    node.id = self.env[node.id]
                elif node.id in self.free_map:
                    node.id = self.free_map[node.id]
        return tree

    def operand(self, e):
        """An expression usable as a primitive's operand: a name or a trivial inactive expression."""
        if isinstance(e, Ready):
            return e.operand
        if isinstance(e, (ast.List, ast.Tuple)) and self.is_active(e):
            return self.sequence(frozenset(), e)
        if not self.is_active(e):
            e = self.rename(e)
            if is_trivial(e):
                return e
            name = self.namer.temp()
            self.body.append(ir.Keep(ir.assign(name, e), [name], pure=not has_call(e)))
            return ir.load(name)
        if isinstance(e, ast.Name):
            if self.struct_of(e) is not None:
                raise self.refuse_struct(e, e.id)
            return ir.load(self.env.get(e.id, e.id))
        return ir.load(self.emit_value(None, e))

    def static(self, e):
        if self.is_active(e):
            raise self.src.error(e, f"{ast.unparse(e)!r} is used as a shape, axis or index but "
                                    f"depends on the differentiated input")
        return self.operand(e)

    def emit_value(self, target, e, node=None):
        """Emit ``target = e`` for an active expression ``e`` as one primitive; return the target.

        A ``target`` of None names a fresh temporary once the operands are flattened, so
        temporaries are numbered in the order they are computed."""
        node = node or e
        if isinstance(e, ast.Name):
            return self.emit_copy(target, self.operand(e), node)
        if isinstance(e, ast.BinOp):
            op = operator_named(BINOPS[type(e.op)])
            inputs = [self.operand(e.left), self.operand(e.right)]
            expr = ast.BinOp(left=inputs[0], op=e.op, right=inputs[1])
            return self.emit_rule(target, expr, op, inputs, {}, e,
                                  describe=f"the operator {symbol(e.op)}")
        if isinstance(e, ast.UnaryOp):
            op = operator_named(UNARYOPS[type(e.op)])
            inputs = [self.operand(e.operand)]
            return self.emit_rule(target, ast.UnaryOp(op=e.op, operand=inputs[0]), op, inputs,
                                  {}, e, describe=f"the operator {symbol(e.op)}")
        if isinstance(e, ast.Call):
            return self.emit_call(target, e)
        if isinstance(e, ast.Attribute):
            rule = self.registry.by_attribute.get(e.attr)
            if rule is None:
                raise self.src.error(e, f"attribute .{e.attr} of a value being differentiated "
                                        f"is not supported")
            inputs = [self.operand(e.value)]
            expr = ast.Attribute(value=inputs[0], attr=e.attr, ctx=ast.Load())
            return self.emit(target, expr, e, rule=rule, inputs=inputs,
                             statics=self._defaults(rule, {}))
        if isinstance(e, ast.Subscript) and self.callee(e.value)[0] == "object" \
                and self.registry.rule_for(self.callee(e.value)[1]) is not None:
            return self.emit_joined(target, e)   # np.r_[a, b]
        if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Subscript) \
                and self.struct_of(e.value.value) is not None:   # layers[i][1]
            parts = self.struct_item(e.value, e)
            j = e.slice.value if isinstance(e.slice, ast.Constant) else None
            if not isinstance(j, int) or not -len(parts) <= j < len(parts):
                raise self.refuse_struct(e, e.value.value.id)
            return self.emit_copy(target, parts[j], e)
        if isinstance(e, ast.Subscript) and self.struct_of(e.value) is not None:
            raise self.refuse_struct(e, e.value.id)   # the whole tuple layers[i]
        if isinstance(e, ast.Subscript):
            if self.is_active(e.slice):
                raise self.src.error(e.slice, "an index that depends on the differentiated "
                                              "input cannot be differentiated")
            base = self.operand(e.value)
            index = self.rename(e.slice)
            if not is_trivial(index):
                name = self.namer.temp()
                self.body.append(ir.Keep(ir.assign(name, index_expression(index)), [name],
                                         pure=not has_call(index)))
                index = ir.load(name)
            return self.emit_index(target, base, index, e).id
        what = {ast.IfExp: "a conditional expression (a if c else b) inside another expression",
                ast.BoolOp: "'and'/'or' on values being differentiated",
                ast.Tuple: "a tuple of values being differentiated",
                ast.List: "a list of values being differentiated",
                ast.Dict: "a dict of values being differentiated",
                ast.Set: "a set of values being differentiated",
                ast.JoinedStr: "an f-string of a value being differentiated",
                ast.Starred: "starred arguments"}.get(type(e), type(e).__name__)
        hint = "; assign it to a variable first: y = a if c else b" \
            if isinstance(e, ast.IfExp) else ""
        raise self.src.error(e, f"{what} is not supported{hint}")

    def emit_joined(self, target, e):
        """``np.r_[a, b, ...]`` or ``np.c_[...]``: a primitive of the list of the items."""
        rule = self.registry.rule_for(self.callee(e.value)[1])
        items = e.slice.elts if isinstance(e.slice, ast.Tuple) else [e.slice]
        for item in items:
            if isinstance(item, (ast.Slice, ast.Starred)) or isinstance(item, ast.Constant) \
                    and isinstance(item.value, str):
                raise self.src.error(item, f"{ast.unparse(e.value)}[...] with slices or string "
                                           f"directives is not supported; list the arrays "
                                           f"to join")
        joined = ast.Tuple(elts=[self.sequence_item(item) for item in items], ctx=ast.Load())
        expr = ast.Subscript(value=self.rename(e.value), slice=joined, ctx=ast.Load())
        return self.emit(target, expr, e, rule=rule, inputs=[joined], statics={})

    def emit_call(self, target, e):
        kind, what = self.callee(e.func)
        for a in e.args:
            if isinstance(a, ast.Starred):
                raise self.src.error(a, "starred arguments (*args) in a call on a value being "
                                        "differentiated are not supported")
        for k in e.keywords:
            if k.arg is None:
                raise self.src.error(k.value, "**kwargs in a call on a value being "
                                              "differentiated are not supported")
        if kind == "method":
            rule = self.registry.by_method.get(what)
            if rule is None:
                raise self.src.error(e, f"method .{what}() of a value being differentiated "
                                        f"is not supported")
            receiver = e.func.value
            packed = self.registry.varargs_methods.get(what)
            if packed and len(e.args) > 1:  # x.transpose(2, 0, 1) means x.transpose((2, 0, 1))
                e = ast.Call(func=e.func, args=[ast.Tuple(elts=list(e.args), ctx=ast.Load())],
                             keywords=e.keywords)
            self._check_positions(e, rule, len(e.args) + 1, getattr(np, what, None), f".{what}()")
            return self.emit_mapped(target, e, rule, [receiver] + list(e.args), e.keywords,
                                    lambda ins, args, kws: ast.Call(
                                        func=ast.Attribute(value=ins[0], attr=e.func.attr,
                                                           ctx=ast.Load()),
                                        args=args[1:], keywords=kws), f".{what}()")
        if kind == "object" and what is np.einsum:
            done = self.einsum(target, e)
            if done is not None:
                return done
        if kind == "object" and self.registry.rule_for(what) is None and is_user_function(what):
            if getattr(what, "_adcompile_primitive", False):
                raise self.src.error(e, f"{ast.unparse(e.func)}() is declared a primitive "
                                        f"(ad.primitive) but has no adjoint rule; add one with "
                                        f"@{ast.unparse(e.func)}.adjoint")
            return self.inline(target, what, e)
        if kind == "object":
            rule = self.registry.rule_for(what)
            if rule is not None:
                func = self.rename(e.func)
                self._check_positions(e, rule, len(e.args), what, ast.unparse(e.func))
                return self.emit_mapped(target, e, rule, list(e.args), e.keywords,
                                        lambda ins, args, kws: ast.Call(func=func, args=args,
                                                                        keywords=kws),
                                        ast.unparse(e.func))
        raise self.unknown_call(e, kind, what)

    def einsum(self, target, e):
        """Emit ``np.einsum`` in the forms its rule takes (see einsum.py): the sublist form
        as subscripts, three or more operands as a chain of two-operand calls. Returns the
        result's name, or None when the call is already of a form the rule takes."""
        args = list(e.args)
        keywords = [k for k in e.keywords if k.arg != "optimize"]   # (a speed setting only)
        if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
            operands = args[1:]
            spec = einsum_forms.explicit(args[0].value, len(operands))
            if spec is None:
                raise self.src.error(e, f"np.einsum subscripts {args[0].value!r} for "
                                        f"{len(operands)} operands are not supported")
            if len(operands) <= 2 and len(keywords) == len(e.keywords):
                return None
        elif args and not self.is_active(args[0]) \
                and not any(isinstance(a, (ast.List, ast.Tuple)) for a in args[1:]):
            return None   # subscripts in a variable: the rule reads them
        else:
            found = einsum_forms.from_sublists(args)
            if found is None or found[0] is None:
                raise self.src.error(e, "np.einsum's sublist form is differentiated with "
                                        "literal sublists of integers (and ...) only")
            spec, operands = found
        current = operands[0]
        steps = einsum_forms.pairwise(spec) if len(operands) > 2 else [(spec, 1)]
        for i, (subscripts, k) in enumerate(steps):
            parts = [current, operands[k]] if len(operands) > 1 else [current]
            call = ast.copy_location(ast.Call(func=e.func, args=[ast.Constant(subscripts)] + parts,
                                              keywords=keywords), e)
            if i == len(steps) - 1:
                return self.emit_call(target, call)
            current = Ready(ir.load(self.emit_call(None, call)))

    def _check_positions(self, e, rule, count, func, describe):
        """Positional arguments after the inputs go to the rule's statics in its order; refuse
        a call where that is not the function's own order (np.sum(x, 0, np.float32) passes a
        dtype, not keepdims)."""
        try:
            params = list(inspect.signature(func).parameters)
        except (TypeError, ValueError):
            return
        slots = list(rule.inputs) + list(rule.statics)
        for i in range(len(rule.inputs), min(count, len(slots), len(params))):
            if params[i] != slots[i]:
                raise self.src.error(e, f"pass {params[i]!r} to {describe} by keyword: given by "
                                        f"position, adcompile's rule would read it as "
                                        f"{slots[i]!r}")

    def emit_mapped(self, target, e, rule, args, keywords, rebuild, describe):
        """Map call arguments onto the rule's inputs and statics, flattening active ones."""
        slots = list(rule.inputs) + list(rule.statics)
        if len(args) > len(slots):
            raise self.src.error(e, f"{describe} with {len(args)} positional arguments is not "
                                    f"supported (the rule takes {', '.join(slots)})")
        given = {}
        new_args = []
        for slot, a in zip(slots, args):
            value = self.rule_operand(rule, slot, a)
            given[slot] = value
            new_args.append(value)
        new_keywords = []
        for k in keywords:
            if k.arg not in slots:
                raise self.src.error(k.value, f"keyword argument {k.arg}= of {describe} is not "
                                              f"supported")
            if k.arg in given:
                raise self.src.error(k.value, f"argument {k.arg} given twice")
            value = self.rule_operand(rule, k.arg, k.value)
            given[k.arg] = value
            new_keywords.append(ast.keyword(arg=k.arg, value=value))
        for v in rule.optional:   # an optional input left out (np.einsum with one operand)
            given.setdefault(v, ast.Constant(None))
        missing = [v for v in rule.inputs if v not in given]
        if missing:
            raise self.src.error(e, f"{describe} is missing argument {missing[0]!r}")
        inputs = [given[v] for v in rule.inputs]
        statics = self._defaults(rule, {s: given[s] for s in rule.statics if s in given})
        expr = rebuild(inputs, new_args, new_keywords)
        return self.emit(target, expr, e, rule=rule, inputs=inputs, statics=statics)

    def rule_operand(self, rule, slot, a):
        """The operand for argument ``a`` in the rule's ``slot``: a static, an input, or for a
        sequence input (np.concatenate's list) a list literal of operands or a list's name."""
        if slot not in rule.inputs:
            return self.static(a)
        if slot not in rule.sequences or not self.is_active(a):
            return self.operand(a)
        if isinstance(a, (ast.List, ast.Tuple)):
            if any(isinstance(e, ast.Starred) for e in a.elts):
                raise self.src.error(a, "a starred item in a list of values being "
                                        "differentiated is not supported")
            return type(a)(elts=[self.sequence_item(e) for e in a.elts], ctx=ast.Load())
        return self.operand(a)   # a list's name, or an array (a sequence of its rows)

    def sequence_item(self, e):
        """An item of a list literal NumPy makes an array of (np.array([[c, -s], [s, c]]),
        np.stack, np.concatenate): a nested literal of values being differentiated is the
        array NumPy makes of it, np.array(item)."""
        if isinstance(e, (ast.List, ast.Tuple)) and self.is_active(e):
            call = ast.copy_location(ast.Call(func=self.numpy_function("array", e), args=[e],
                                              keywords=[]), e)
            return ir.load(self.emit_value(None, call))
        return self.operand(e)

    def numpy_function(self, name, node):
        """An expression for ``numpy.<name>`` in the generated code: through the name the
        function being differentiated gives NumPy."""
        for module in ("np", "numpy"):
            if self.src.resolve(module, None) is np and module not in self.locals:
                module = self.free_map.get(module, module)   # (an inlined helper's name)
                return ast.Attribute(value=ast.Name(id=module, ctx=ast.Load()), attr=name,
                                     ctx=ast.Load())
        raise self.src.error(node, f"a nested list here is turned into numpy.{name}(...), "
                                   f"but this function has no name for NumPy; import numpy "
                                   f"as np in its module")

    @staticmethod
    def _defaults(rule, statics):
        full = {s: copy.deepcopy(d) for s, d in rule.statics.items()}
        full.update(statics)
        return full

    def emit_rule(self, target, expr, obj, inputs, statics, node, describe):
        rule = self.registry.rule_for(obj)
        if rule is None:
            if self.registry.is_nondifferentiable(obj):
                target = target() if isinstance(target, Deferred) else target or self.namer.temp()
                self.body.append(ir.Keep(ir.assign(target, expr), [target], pure=True))
                return target
            raise self.src.error(node, f"{describe} of a value being differentiated has no "
                                       f"adjoint rule")
        return self.emit(target, expr, node, rule=rule, inputs=inputs,
                         statics=self._defaults(rule, statics))

    def emit_copy(self, target, operand, node):
        return self.emit(target, operand, node, rule=self.registry.special["copy"],
                         inputs=[operand], statics={})

    def emit(self, target, expr, node, rule, inputs, statics):
        for v, e in zip(rule.inputs, inputs):
            if isinstance(e, ast.Name) and e.id in self.lists and v not in rule.sequences:
                raise self.src.error(node, f"{ast.unparse(node)!r} applies a primitive to a "
                                           f"whole list of values being differentiated, which "
                                           f"is not supported; index the list or loop over it")
            if v not in rule.differentiable_inputs and v not in rule.constant and (
                    self.is_active_operand(e) or isinstance(e, (ast.List, ast.Tuple)) and any(
                        self.is_active_operand(x) for x in e.elts)):
                # default deny: a value being differentiated where the rule has no adjoint
                raise self.src.error(node, f"{ast.unparse(node)!r} gives a value being "
                                           f"differentiated as argument {v!r}, which the rule "
                                           f"{rule.describe()} does not differentiate")
        if target is None:
            target = self.namer.temp()
        elif isinstance(target, Deferred):
            target = target()
        self.varied_ssa.add(target)
        self.body.append(ir.Op(target, expr, rule, inputs, statics, node))
        return target


def _target_names(target):
    """The variables an assignment to ``target`` changes: for ``xs[i] = ...`` the list or
    array ``xs``, not the index ``i``."""
    if isinstance(target, ast.Name):
        yield target
    elif isinstance(target, (ast.Tuple, ast.List)):
        for t in target.elts:
            yield from _target_names(t)
    elif isinstance(target, (ast.Subscript, ast.Attribute, ast.Starred)):
        yield from _target_names(base_of(target))


def normalize(source, wrt):
    return Normalizer(source, wrt).run()
