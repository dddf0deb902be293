"""Calls to the user's own functions, inlined: the callee's body, renamed, in place of the
call, with its own module's globals kept apart. Part of ``normalize.Normalizer``.

Each inlined call gets a ``state.Scope`` of its own (made by ``Normalizer.enter``,
which runs the same passes on the callee as on the differentiated function); the
caller's scope is put back when the callee's body is done.
"""

import ast
import inspect

from .. import ir, runtime
from ..errors import TransformError
from ..ir.trees import Node, unnamed
from ..ir.naming import names_in
from .closures import Closure
from .in_place_calls import CHANGES
from .local_functions import StandIn
from .source import FunctionSource, own_signature
from .structure_sharing import carry_back, changed_structures, share_ownership
from .syntax import MISSING, Deferred, is_literal, made_by_adcompile
from .variadic import expand_unpacking, specialize
from ..ir.parsing import parse


class Inline:
    """Part of ``normalize.Normalizer``: inlining calls of the user's functions."""

    def inline(self, target, func, call, unpack=None, tree_ok=False):
        """Inline a call to a user-defined function: its body, renamed, in place of the call.

        Returns the name of the result; with ``unpack=n``, a callee returning a literal tuple
        of n values gives the list of their operands instead; with ``tree_ok``, a callee
        returning a structure (trees.py) gives its Node. ``func`` may be a nested function
        or a ``Closure`` (closures.py)."""
        given, naming, self.inlining.naming = func, self.inlining.naming, None
        named_as = naming[1] if naming is not None and naming[0] is given else {}
        func, call = self.open_closure(func, call)
        name = getattr(func, "__qualname__", func.__name__)
        key = self.recursion_key(func, call)
        if key in self.inlining.stack or func is self.inlining.root.func:
            raise self.scope.src.error(call, f"{name}() is recursive (directly or through "
                                             f"other functions); recursion cannot be "
                                             f"differentiated")
        call = expand_unpacking(call)
        self._refuse_unknown_unpacking(call, name)
        source = self.inlining.sources.get(func)
        if source is None:
            source = self._source_of(func, call, name)
            if made_by_adcompile(func) is None:   # (a gradient's code depends on the call's
                self.inlining.sources[func] = source   # structures: see _source_of)
        func, call, source = specialize(func, call, source, self.scope.src.error, name)
        env, varied, trees = self._bind_parameters(func, call, source, name)
        ints = self.argument_ints(func, call)   # (see static_ints.py)
        choices = self.argument_choices(func, call)   # (see static_choices.py)
        if isinstance(target, Deferred):  # name the caller's variable in the caller's scope
            target = target()
        caller, changed = self.scope, None
        self.inlining.stack.append(key)
        try:
            done, result = self._inline_body(source, (env, varied, trees, ints, named_as,
                                                      choices), target, call, name, unpack)
            changed, callee = changed_structures(self.scope, trees), self.scope
            self.inlining.finished = (given, env, self.scope)
            if isinstance(result, Node) and not tree_ok:
                raise caller.src.error(call, f"{name}() returns a structure of values being "
                                             f"differentiated: assign it to a name "
                                             f"(s = {name}(...)) and read its items")
            if isinstance(result, Node):   # what the callee made is the caller's to change
                for part in result.nodes():
                    if self.scope.own_trees.get(id(part)) is part:
                        caller.own_trees[id(part)] = part
            if done:
                return result
        finally:
            self.inlining.stack.pop()
            self.scope = caller
            if changed:   # (what the callee changed in the caller's structures: the caller's)
                carry_back(caller, callee, changed, lambda reason: caller.src.error(
                    call, f"{name}() cannot be followed here: {reason}"))
        if target is None or (isinstance(result, ast.Name) and result.id in self.out.lists):
            return result.id if isinstance(result, ast.Name) else self._bind(result)
        if self.is_varied_operand(result):
            return self.emit(target, result, call, self.registry.special["copy"], [result], {})
        self.out.body.append(ir.Keep(ir.assign(target, result), [target]))
        return target

    def _refuse_unknown_unpacking(self, call, name):
        """Refuse ``*args`` or ``**kwargs`` in a call of ``name`` that the call still has
        after expand_unpacking (of a length known only when the code runs)."""
        unpacked = [a for a in call.args if isinstance(a, ast.Starred)] + [
            k.value for k in call.keywords if k.arg is None]
        if unpacked:
            text = ast.unparse(unpacked[0]) if isinstance(unpacked[0], ast.Starred) \
                else f"**{ast.unparse(unpacked[0])}"
            error = self.scope.src.error(unpacked[0], f"{text} in a "
                                                    f"call to {name}() passes arguments known "
                                                    f"only when the code runs (*args or "
                                                    f"**kwargs of unknown length); pass them "
                                                    f"one by one, or literals: *(a, b), "
                                                    f"**{{'k': v}}")
            if not isinstance(unpacked[0], ast.Starred):   # (**opts: static_choices.py)
                self.add_spread_needs(error, unpacked[0], call)
            raise error

    def in_place_call(self, stmt):
        """``u = f(u)`` or ``r, u = f(u)`` written for the user's call statement ``f(u)``,
        ``r = f(u)``, where ``f`` changes its argument ``u`` in place (in_place_calls.py):
        the user's statement, then each changed name of the caller bound to the callee's
        last version of the array, the object Python's name holds after the call. (A call
        kept as written changes the arrays themselves; a call not inlined from the
        function found, or given another array, binds nothing: what reads the old values
        is then the aliasing analysis's to refuse.)"""
        user, func, changed, checked = getattr(stmt, CHANGES)
        call = user.value
        before = {name: self.scope.env.get(name) for name, _ in changed}
        self.inlining.finished = None   # (its versions of the arrays named as the caller's)
        self.inlining.naming = (func, {
            param: self.scope.named_as.get(name, name) for name, param in changed})
        if isinstance(user, ast.Expr) and self.varies(call) and self.callee(call.func).is_(func) \
                and self.registry.rule_for(func) is None:
            for name in checked:
                self._require_ndarray(name, user, func)
            mark = len(self.out.body)
            self.inline(None, func, call, tree_ok=True)   # (its value is not used)
            for s in ir.walk(self.out.body[mark:]):
                if isinstance(s, ir.Keep) and s.origin is None:
                    s.origin = (self.scope.src, user)
        else:
            self.statement(user)
        self.inlining.naming = None
        if self.inlining.finished is not None and self.inlining.finished[0] is func:
            for name, param in changed:
                self._bind_changed(name, param, before[name])

    def _require_ndarray(self, name, user, func):
        """Before the call statement ``user`` of ``func``, whose ``v op= e`` on its parameter
        changes the caller's ``name`` in place (in_place_calls.py), ``require_ndarray(name,
        "file:line:col: f()", name)``: a TypeError when the code runs where ``name`` holds no
        NumPy array (dropped where the argument kinds show it does:
        pipeline.drop_array_checks)."""
        where = self.scope.src.error(user, "").where
        check = ast.Call(func=ir.load(self.runtime_name(runtime.require_ndarray)),
                         args=[self.operand(ir.load(name)),
                               ast.Constant(f"{where}: {func.__name__}()"),
                               ast.Constant(name)], keywords=[])
        self.out.body.append(ir.Keep(ast.Expr(check), [], pure=False))

    def _bind_changed(self, name, param, before):
        """After an in-place call, the caller's ``name`` (generated name ``before``) given the
        callee's last version of its parameter ``param``, if the callee was given that array
        (``inlining.finished``). The callee's versions of it are versions of the caller's
        variable (``out.origin``: the aliasing analysis takes a later version of a variable
        to hold the array changed, as Python's name does)."""
        _, given, callee = self.inlining.finished
        new = callee.env.get(param)
        first = given.get(param)   # (a copy of the caller's name, where the callee assigns it)
        if before is None or before not in (first, self.out.copies.get(first)) \
                or self.scope.env.get(name) != before or not isinstance(new, str):
            return
        self.scope.env[name] = new
        self.scope.defined.add(name)
        origin = self.out.origin.get(before, (self.scope.number, name))
        for n, o in list(self.out.origin.items()):
            if o == (callee.number, param):
                self.out.origin[n] = origin
        if first != before:   # (its copy too: the callee's u += v changes the caller's array)
            self.out.origin[first] = origin

    def _source_of(self, func, call, name):
        """The source to inline for a call ``call`` of ``func``: its own, or for a gradient
        adcompile made (``g = ad.grad(f)``, called in the function being differentiated), the
        code it runs, in the form adcompile differentiates again (as ``ad.hessian`` does)."""
        if isinstance(func, StandIn):
            return func.source
        made = made_by_adcompile(func)
        if made is None:
            return FunctionSource(func)
        transform, kind = made
        structures = self._argument_structures(func, call)
        if transform.deferred is not None and structures:   # (for the structures given)
            transform = transform.specialised(structures)
        if transform.deferred is not None:
            error = self.scope.src.error(call, f"{name}() is the {kind} of a function that "
                                               f"reads an argument as a structure (a dict, "
                                               f"list or object of arrays), and this call "
                                               f"does not pass it one by name; assign the "
                                               f"structure to a name first (params = {{...}}), "
                                               f"then pass the name")
            # (known once the caller is called with a structure: compiler.Transform waits)
            error.needs_structure = True
            raise error
        try:
            return transform.differentiable_source(kind)
        except TransformError as error:
            raise self.scope.src.error(call, f"{name}() cannot be differentiated inside the "
                                             f"function: {error}") from None

    def _argument_structures(self, func, call):
        """Parameter -> the structure (unnamed, ir.trees.unnamed) the call ``call`` of
        ``func`` gives it, for each argument that names one (``params``, ``layers[0]``)."""
        try:
            bound = own_signature(func).bind(*call.args, **{k.arg: k.value
                                                                 for k in call.keywords})
        except TypeError:
            return {}
        return {param: unnamed(self.tree_of(arg)) for param, arg in bound.arguments.items()
                if isinstance(arg, ast.expr) and isinstance(self.tree_of(arg), Node)}

    def _bind_parameters(self, func, call, source, name):
        """(env, varied) for the callee: each parameter's generated name, and the parameters
        given values being differentiated. A constant argument, or one for a parameter the
        callee assigns, is first copied to a name of its own, so that a loop in the callee
        never writes to the caller's variable."""
        try:
            bound = own_signature(func).bind(*call.args, **{k.arg: k.value
                                                                 for k in call.keywords})
        except TypeError as exc:
            raise self.scope.src.error(call, f"call to {name}(): {exc}") from None
        operands, trees = {}, {}
        for param, p in own_signature(func).parameters.items():
            if param in bound.arguments and self.might_be_tree(bound.arguments[param]):
                trees[param] = self.tree_value(bound.arguments[param])
            elif param in bound.arguments:
                argument = bound.arguments[param]
                if isinstance(argument, ast.expr):
                    argument = self.resolve_expression(argument)
                operands[param] = self.function_argument(argument)
            elif p.default is not inspect.Parameter.empty:
                if self._is_function(p.default):   # (nonlinearity=np.tanh: as if passed)
                    operands[param] = Closure(p.default)
                    continue
                if not is_literal(p.default):
                    raise self.scope.src.error(call, f"{name}() is called without {param}=, "
                                                     f"whose default is not a literal; pass "
                                                     f"it explicitly")
                operands[param] = parse(repr(p.default), mode="eval").body
        stored = {n.id for b in source.node.body for n in ir.scope_stores(b)}
        env, varied = {}, set()
        for param, op in operands.items():
            if isinstance(op, Closure):   # a function: see functions.py
                env[param] = op
                if op.varies(self.out.varied_ssa):
                    varied.add(param)
                continue
            if not isinstance(op, ast.Name) or (param in stored and op.id not in self.out.lists):
                fresh = self.namer.fresh(param)
                self.inlining.fresh_parameters[fresh] = param
                if isinstance(op, ast.Name) and op.id in self.out.varied_ssa:
                    self.emit(fresh, op, call, self.registry.special["copy"], [op], {})
                else:
                    self.out.body.append(ir.Keep(ir.assign(fresh, op), [fresh]))
                if isinstance(op, ast.Name):
                    self.out.copies[fresh] = op.id
                op = ir.load(fresh)
            env[param] = op.id
            if op.id in self.out.varied_ssa:
                varied.add(param)
        varied |= {p for p, t in trees.items()
                   if any(leaf.name in self.out.varied_ssa for leaf in t.leaves())}
        for param in trees:   # (an object that is also a value here: for what reads it whole)
            given = bound.arguments[param]
            if isinstance(given, ast.Name) and isinstance(self.scope.env.get(given.id), str):
                env[param] = self.scope.env[given.id]
        return env, varied, trees

    def _inline_body(self, source, binding, target, call, name, unpack):
        """Normalize the callee's statements in a scope of its own (``binding``: its
        parameters' env, those that vary, those bound to structures); returns (True, what
        ``inline`` returns) when done, else (False, the operand of the returned value)."""
        caller = self.scope
        env, varied, trees, ints, named_as, choices = binding
        fn = self.enter(source, env, varied, caller.src.call_site(call, caller.callers), trees,
                        choices)
        for fresh, param in self.inlining.fresh_parameters.items():   # (arr_3: the callee's arr)
            self.out.origin.setdefault(fresh, (self.scope.number, param))
        self.inlining.fresh_parameters.clear()
        share_ownership(caller, self.scope, trees)
        self.scope.named_as = named_as
        self.seed_argument_ints(ints, fn)
        last = fn.body[-1] if fn.body and isinstance(fn.body[-1], ast.Return) else None
        self.statements(fn.body if last is None else fn.body[:-1])
        # (a function that ends without a return value returns None)
        value = ast.Constant(None) if last is None or last.value is None else last.value
        if self.might_be_tree(value):
            return True, self.tree_value(value)
        if isinstance(value, ast.Call) and self.global_method(value) is not None:
            # return cls.from_params(q): what it makes is what this call returns
            return True, self._global_method(target, value, self.global_method(value),
                                             tree_ok=True)
        value = self.resolve_expression(value)
        if isinstance(value, (ast.Tuple, ast.List)) and unpack == len(value.elts):
            return True, [self.operand(e) for e in value.elts]
        if isinstance(value, (ast.Tuple, ast.List)) and self.varies(value):
            if self.out.loop_depth:
                raise caller.src.error(call, f"{name}() returns a tuple; inside a loop, "
                                             f"unpack it where you call it: a, b = "
                                             f"{name}(...)")
            return False, ir.load(self.new_list_result(value, fn.body[-1]))
        if target is not None and self.varies(value) and not isinstance(value, ast.Name):
            # y = helper(x): the helper's last primitive assigns y itself
            return True, self.emit_value(target, value)
        return False, self.operand(value)

    def map_free_names(self, fn):
        """Free names of an inlined callee that mean something else (or nothing) in the
        function being differentiated get fresh names bound to the callee's objects."""
        root = self.inlining.root
        root_names = names_in(root.node)
        for name in sorted(ir.names_read(fn) - self.scope.locals - set(self.scope.functions)):
            obj = self.scope.src.resolve(name, MISSING)
            if obj is MISSING:
                continue
            same = root.resolve(name, MISSING) is obj and name not in self.inlining.root_locals
            generated = name in self.namer.taken and name not in root_names \
                and name not in self.inlining.kept_free
            if same and not generated:
                self.namer.take(name)
                self.inlining.kept_free.add(name)
                continue
            fresh = self.namer.fresh(name)
            self.out.extra_globals[fresh] = obj
            self.scope.free_map[name] = fresh

    def new_list_result(self, value, node):
        """A list of the operands of a tuple of values being differentiated (what a callee
        returns), read at once; returns its name."""
        depth, self.out.loop_depth = self.out.loop_depth, 0   # a tuple result is read at once
        try:
            name = self.namer.temp()
            elements = [self.operand(e) for e in value.elts]
            self.out.lists.add(name)
            self.out.varied_ssa.add(name)
            self.out.body.append(ir.ListNew(name, elements, node, True))
            return name
        finally:
            self.out.loop_depth = depth

    def _bind(self, expr):
        """A temporary bound to ``expr``; returns its name."""
        name = self.namer.temp()
        self.out.body.append(ir.Keep(ir.assign(name, expr), [name]))
        return name
