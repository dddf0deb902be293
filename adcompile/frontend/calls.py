"""Calls to the user's own functions, inlined: the callee's body, renamed, in place of the
call, with its own module's globals kept apart. Part of ``normalize.Normalizer``.
"""

import ast
import inspect

from .. import ir
from .source import FunctionSource
from .syntax import Deferred, is_literal, stores


class Calls:

    def inline(self, target, func, call, unpack=None):
        """Inline a call to a user-defined function: its body, renamed, in place of the call.

        Returns the name of the result; with ``unpack=n``, a callee returning a literal tuple
        of n values gives the list of their operands instead."""
        name = getattr(func, "__qualname__", func.__name__)
        if func in self.call_stack or func is self.root.func:
            raise self.src.error(call, f"{name}() is recursive (directly or through other "
                                       f"functions); recursion cannot be differentiated")
        unpacked = [a for a in call.args if isinstance(a, ast.Starred)] + [
            k.value for k in call.keywords if k.arg is None]
        if unpacked:
            raise self.src.error(unpacked[0], f"*args or **kwargs in a call to {name}() are not "
                                              f"supported; pass the arguments one by one")
        source = self.sources.get(func)
        if source is None:
            source = self.sources[func] = FunctionSource(func)
        try:
            bound = inspect.signature(func).bind(*call.args, **{k.arg: k.value
                                                                 for k in call.keywords})
        except TypeError as exc:
            raise self.src.error(call, f"call to {name}(): {exc}") from None
        operands = {}
        for param, p in inspect.signature(func).parameters.items():
            if param in bound.arguments:
                operands[param] = self.operand(bound.arguments[param])
            elif p.default is not inspect.Parameter.empty:
                if not is_literal(p.default):
                    raise self.src.error(call, f"{name}() is called without {param}=, whose "
                                               f"default is not a literal; pass it explicitly")
                operands[param] = ast.parse(repr(p.default), mode="eval").body
        stored = {n.id for b in source.node.body for n in stores(b)}
        env, varied = {}, set()
        for param, op in operands.items():
            if not isinstance(op, ast.Name) or (param in stored and op.id not in self.lists):
                # a constant, or a parameter the callee assigns: its own name, so that a loop
                # in the callee never writes to the caller's variable
                fresh = self.namer.fresh(param)
                if isinstance(op, ast.Name) and op.id in self.varied_ssa:
                    self.emit(fresh, op, call, self.registry.special["copy"], [op], {})
                else:
                    self.body.append(ir.Keep(ir.assign(fresh, op), [fresh]))
                op = ir.load(fresh)
            env[param] = op.id
            if op.id in self.varied_ssa:
                varied.add(param)
        if isinstance(target, Deferred):  # name the caller's variable in the caller's scope
            target = target()
        scope = self._scope()
        self.call_stack.append(func)
        try:
            fn = self._enter(source, env, varied)
            self.loops, self.terminated = [], False
            self.check_function(fn)
            self.statements(fn.body[:-1])
            value = fn.body[-1].value
            if value is None:
                raise self.src.error(fn.body[-1], f"{name}() returns nothing")
            if isinstance(value, (ast.Tuple, ast.List)) and unpack == len(value.elts):
                return [self.operand(e) for e in value.elts]
            if isinstance(value, (ast.Tuple, ast.List)) and self.is_active(value):
                if self.loop_depth:
                    raise self.src.error(call, f"{name}() returns a tuple; inside a loop, "
                                               f"unpack it where you call it: a, b = {name}(...)")
                result = ir.load(self.new_list_result(value, fn.body[-1]))
            elif target is not None and self.is_active(value) and not isinstance(value, ast.Name):
                # y = helper(x): the helper's last primitive assigns y itself
                return self.emit_value(target, value)
            else:
                result = self.operand(value)
        finally:
            self.call_stack.pop()
            self._restore(scope)
        if target is None or (isinstance(result, ast.Name) and result.id in self.lists):
            return result.id if isinstance(result, ast.Name) else self._bind(result)
        if self.is_active_operand(result):
            return self.emit(target, result, call, self.registry.special["copy"], [result], {})
        target = target() if isinstance(target, Deferred) else target
        self.body.append(ir.Keep(ir.assign(target, result), [target]))
        return target

    def new_list_result(self, value, node):
        depth, self.loop_depth = self.loop_depth, 0   # a tuple result is read at once
        try:
            name = self.namer.temp()
            elements = [self.operand(e) for e in value.elts]
            self.lists.add(name)
            self.varied_ssa.add(name)
            self.body.append(ir.ListNew(name, elements, node, True))
            return name
        finally:
            self.loop_depth = depth

    def _bind(self, expr):
        name = self.namer.temp()
        self.body.append(ir.Keep(ir.assign(name, expr), [name]))
        return name
