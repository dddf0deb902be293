"""Calls of functions that have adjoint rules: arguments mapped onto a rule's slots.

A call's positional and keyword arguments are matched to the rule's inputs
(flattened to operands) and statics (kept inactive); ``max``/``min``,
``np.select`` and ``np.einsum`` are first rewritten into the calls their rules
take (rewritten_calls.py), and a call of the user's own function is handed to
inlining. Part of ``normalize.Normalizer``.
"""

import ast
import inspect

import numpy as np

from .. import ir, runtime
from .hints import METHOD_HINT
from .rewritten_calls import MASKED_REDUCTIONS, TRAPEZOIDS
from .source import Callee
from .syntax import (TAKING_ITEMS, Ready, backwards, called_method, is_user_function,
                     reversed_argument, user_method)
from .variadic import expand_unpacking


class Calls:
    """Part of ``normalize.Normalizer``: calls of functions and methods with rules."""

    def _rewritten_numpy(self, target, e, called):
        """Emit a NumPy call written out as what it computes (rewritten_calls.py): a
        reduction with where= or initial=, a quantile, np.diff with prepend= or append=,
        np.trapezoid, np.select, np.choose and np.block; returns the target's name, or None
        for a call of another form."""
        if called.is_(np.block):
            return self.np_block(target, e)
        if called.is_(np.select):
            return self.select(target, e)
        if called.is_(np.choose):
            return self.choose(target, e)
        if any(called.is_(f) for f in MASKED_REDUCTIONS) \
                and any(k.arg in ("where", "initial") for k in e.keywords):
            return self.masked_reduction(target, e, MASKED_REDUCTIONS[called.what])
        if called.is_(np.quantile) or called.is_(np.percentile):
            return self.quantiles(target, e)
        if called.is_(np.diff) and any(k.arg in ("prepend", "append") for k in e.keywords):
            return self.diff_padded(target, e)
        if any(called.is_(f) for f in TRAPEZOIDS):
            return self.trapezoid(target, e)
        return None

    def _refuse_unpacking(self, e):
        """Refuse ``*args`` and ``**kwargs`` left in the call ``e`` (of lengths known only
        when the code runs)."""
        for a in e.args:
            if isinstance(a, ast.Starred):
                raise self.scope.src.error(a, f"starred arguments (*{ast.unparse(a.value)}) in "
                                              f"a call on a value being differentiated pass a "
                                              f"number of arguments known only when the code "
                                              f"runs; pass them one by one, or a tuple literal "
                                              f"*(a, b)")
        for k in e.keywords:
            if k.arg is None:
                error = self.scope.src.error(k.value, f"**{ast.unparse(k.value)} (**kwargs) "
                                                      f"in a call on a value being "
                                                      f"differentiated passes keywords known "
                                                      f"only when the code runs; pass them "
                                                      f"one by one, or a dict literal "
                                                      f"**{{'k': v}}")
                self.add_spread_needs(error, k.value, e)   # (**opts: static_choices.py)
                raise error

    def emit_call(self, target, e):
        """Emit ``target = e`` for an active call ``e``; returns the target's name."""
        e = expand_unpacking(e)
        called = self.callee(e.func)
        self._refuse_unpacking(e)
        if called.kind == "method":
            return self._emit_method(target, e, called.what)
        what = called.what
        e = self._read_backwards(e, called)
        if (called.is_(max) or called.is_(min)) and not e.keywords:
            done = self.extreme(target, e, what.__name__)
            if done is not None:
                return done
        if called.is_(sum) and (len(e.args) > 1 or e.keywords):
            done = self.sum_from(target, e)
            if done is not None:
                return done
        if called.is_(np.einsum):
            done = self.einsum(target, e)
            if done is not None:
                return done
        done = self._rewritten_numpy(target, e, called)
        if done is not None:
            return done
        done = self._object_method(target, e, called)
        if done is not None:
            return done
        if called.kind == "object" and self.registry.rule_for(what) is None \
                and is_user_function(what):
            if getattr(what, "_adcompile_primitive", False):
                raise self.scope.src.error(e, f"{ast.unparse(e.func)}() is declared a primitive "
                                              f"(ad.primitive) but has no adjoint rule; add one "
                                              f"with @{ast.unparse(e.func)}.adjoint")
            return self.inline(target, what, e)
        rule = self.registry.rule_for(what) if called.kind == "object" else None
        if rule is None:
            raise self.unknown_call(e, called)
        e = self._stack_lists(e, rule, what)
        func, spelled = self.rename(e.func), ast.unparse(e.func)
        self._check_positions(e, rule, len(e.args), what, spelled)
        return self.emit_mapped(target, e, rule, list(e.args), e.keywords,
                                lambda ins, args, kws: ast.Call(func=func, args=args,
                                                                keywords=kws),
                                spelled, arrays=_makes_arrays(what))

    def _read_backwards(self, e, called):
        """Call ``e`` of ``list``, ``sum``, ... (``TAKING_ITEMS``) given ``reversed(hs)``:
        the call given ``hs[::-1]``, whose items it reads at once in the same order; ``e``
        itself for another call. A reversed iterator kept is refused (Python reads it
        lazily, and once: a reversed copy read twice would give its items twice)."""
        reversing = reversed_argument(e.args[0], self.callee) if e.args else None
        if reversing is not None and any(called.is_(f) for f in TAKING_ITEMS):
            return ast.copy_location(ast.Call(func=e.func, args=[backwards(reversing)]
                                              + e.args[1:], keywords=e.keywords), e)
        if called.is_(reversed):
            raise self.scope.src.error(e, f"{ast.unparse(e)} of values being differentiated "
                                          f"is supported where its items are read at once "
                                          f"(for v in reversed(xs), list(reversed(xs)), "
                                          f"sum(...), tuple(...), sorted(...)), not kept as "
                                          f"an iterator, which Python reads lazily and once; "
                                          f"use xs[::-1] for a reversed copy")
        return e

    def global_method(self, e):
        """The method bound to a module-level object or class of the user's that the call
        ``e`` calls by ``NAME.method(...)`` (see ``_global_method``), else None."""
        if not (isinstance(e.func, ast.Attribute) and isinstance(e.func.value, ast.Name)):
            return None
        called = self.callee(e.func)
        if called.kind != "object" or self.registry.rule_for(called.what) is not None:
            return None
        return called.what if user_method(called.what) is not None else None

    def _object_method(self, target, e, called):
        """Emit a call of a method of a module-level object of the user's class, inlined
        (``_global_method``): ``MODEL.loss(w, x)``, or ``model(x)`` as ``model.__call__(x)``.
        Returns the target's name, or None for another call."""
        what = called.what
        if called.kind != "object" or self.registry.rule_for(what) is not None:
            return None
        if user_method(what) is not None and isinstance(e.func, ast.Attribute) \
                and isinstance(e.func.value, ast.Name):
            return self._global_method(target, e, what)
        if isinstance(e.func, ast.Name) and called_method(what) is not None:
            method = ast.copy_location(ast.Attribute(value=e.func, attr="__call__",
                                                     ctx=ast.Load()), e.func)
            return self._global_method(target, ast.copy_location(ast.Call(
                func=method, args=e.args, keywords=e.keywords), e), called_method(what))
        return None

    def _global_method(self, target, e, method, tree_ok=False):
        """``MODEL.loss(w, x)``, ``method`` bound to a module-level object: inlined as
        ``Model.loss(MODEL, w, x)`` (a class method ``Layer.from_params(p)`` as
        ``from_params(Layer, p)``), ``MODEL`` in the generated code bound to the object
        it names now (as a function called by name is: normalize._capture_called_globals;
        its attributes are read when the code runs, never differentiated)."""
        if isinstance(method.__self__, type):   # Layer.from_params(p): cls is Layer, called
            first = e.func.value                  # as a class where it is (functions.py)
        else:
            obj = self.operand(e.func.value)
            if not isinstance(obj, ast.Name):
                raise self.unknown_call(e, Callee("object", method))
            self.out.extra_globals.setdefault(obj.id, method.__self__)
            first = Ready(obj)
        call = ast.copy_location(ast.Call(func=e.func, args=[first] + e.args,
                                          keywords=e.keywords), e)
        return self.inline(target, user_method(method), call, tree_ok=tree_ok)

    def _stack_lists(self, e, rule, what):
        """``np.sum(terms)``, a NumPy function given a list (or a list display or
        comprehension) of values being differentiated where it takes an array: the call
        with ``np.asarray(terms)``, which is what NumPy does with it (stacking the items;
        np.asarray's rule differentiates that)."""
        if not _makes_arrays(what):
            return e
        numpy = e.func
        while isinstance(numpy, ast.Attribute):
            numpy = numpy.value
        if not isinstance(numpy, ast.Name) or not self.callee(numpy).is_(np):
            return e   # (from numpy import sum: no name for np.asarray; refused later)

        def stacked(slot, a):
            if slot not in rule.inputs or slot in rule.sequences or not (
                    isinstance(a, ast.Name) and self.scope.env.get(a.id) in self.out.lists
                    or isinstance(a, (ast.List, ast.Tuple, ast.ListComp)) and self.varies(a)):
                return a
            call = ast.Call(func=ast.Attribute(value=ast.Name(id=numpy.id, ctx=ast.Load()),
                                               attr="asarray", ctx=ast.Load()),
                            args=[a], keywords=[])
            return ast.copy_location(call, a)

        slots = list(rule.inputs) + list(rule.statics)
        return ast.copy_location(ast.Call(
            func=e.func, args=[stacked(s, a) for s, a in zip(slots, e.args)]
            + e.args[len(slots):],
            keywords=[ast.keyword(arg=k.arg, value=stacked(rule.spellings.get(k.arg, k.arg),
                                                           k.value)) for k in e.keywords]), e)

    def _emit_method(self, target, e, name):
        """``value.name(...)`` with the rule of the method, ``value`` its first input."""
        rule = self.registry.by_method.get(name)
        receiver = e.func.value
        if rule is None and not self.varies(receiver):
            # model.loss(x): which function runs depends on the object, known only at the call
            raise self.scope.src.error(
                e, f"the method call {ast.unparse(e.func)}(...) gives values being "
                   f"differentiated to a method of an object, whose code adcompile cannot "
                   f"read before the call", hint=f"call the method through its class, as "
                   f"TheClass.{name}({ast.unparse(receiver)}, ...), or call a function")
        if rule is None:
            raise self.scope.src.error(e, f"method .{name}() of a value being differentiated "
                                          f"is not supported", hint=METHOD_HINT)
        if not self.varies(receiver):
            self._require_array(e, receiver, name)
        packed = self.registry.varargs_methods.get(name)
        if packed and len(e.args) > 1:  # x.transpose(2, 0, 1) means x.transpose((2, 0, 1))
            e = ast.Call(func=e.func, args=[ast.Tuple(elts=list(e.args), ctx=ast.Load())],
                         keywords=e.keywords)
        self._check_positions(e, rule, len(e.args) + 1, getattr(np, name, None), f".{name}()")
        return self.emit_mapped(target, e, rule, [receiver] + list(e.args), e.keywords,
                                lambda ins, args, kws: ast.Call(
                                    func=ast.Attribute(value=ins[0], attr=e.func.attr,
                                                       ctx=ast.Load()),
                                    args=args[1:], keywords=kws), f".{name}()",
                                arrays=True, receiver=receiver)

    def _require_array(self, e, receiver, name):
        """Before ``receiver.name(...)`` with NumPy's rule for the method, the receiver not
        being differentiated (``A.dot(x)``): ``require_array(receiver, "file:line:col:
        A.dot(...)")``, a TypeError when the code runs where it is another object
        (``model.take(x)`` of a class of the user's has its own method, whose derivative
        NumPy's rule is not)."""
        where = self.scope.src.error(e, "").where
        check = ast.Call(func=ir.load(self.runtime_name(runtime.require_array)),
                         args=[self.operand(receiver),
                               ast.Constant(f"{where}: {self.scope.src.written(e.func)}(...)")],
                         keywords=[])
        self.out.body.append(ir.Keep(ast.Expr(check), [], pure=False))

    def _check_positions(self, e, rule, count, func, describe):
        """Positional arguments after the inputs go to the rule's statics in its order; refuse
        a call where that is not the function's own order (np.sum(x, 0, np.float32) passes a
        dtype, not keepdims)."""
        try:
            signature = inspect.signature(func).parameters
        except (TypeError, ValueError):
            return
        params = list(signature)
        slots = list(rule.inputs) + list(rule.statics)
        for i, p in enumerate(signature.values()):
            if p.kind is p.VAR_POSITIONAL and i >= len(rule.inputs) and count > i + 1:
                # np.gradient(f, dx, dy): the rule takes one value where the function takes
                # any number (its other parameters are keywords only)
                raise self.scope.src.error(e, f"{describe} with {count} positional arguments "
                                              f"is not supported (the rule takes one "
                                              f"*{p.name} argument)")
            if p.kind is p.VAR_POSITIONAL and i < len(rule.inputs) < count:
                # np.meshgrid(a, b, c, d): the rule's inputs are the first few of *xi
                raise self.scope.src.error(e, f"{describe} with {count} positional arguments "
                                              f"is not supported (the rule takes at most "
                                              f"{len(rule.inputs)})")
        for i in range(len(rule.inputs), min(count, len(slots), len(params))):
            if params[i] != slots[i]:
                raise self.scope.src.error(e, f"pass {params[i]!r} to {describe} by keyword: "
                                              f"given by position, adcompile's rule would "
                                              f"read it as {slots[i]!r}")

    def emit_mapped(self, target, e, rule, args, keywords, rebuild, describe, arrays=False,
                    receiver=None):
        """Map call arguments onto the rule's inputs and statics, flattening active ones;
        ``arrays``: whether the callee makes an array of each input (NumPy's functions, and
        the arguments of an array's methods other than ``receiver``), so that a list or
        tuple a rule gave (sorted(x)) is made one first (see ``array_of``)."""
        slots = list(rule.inputs) + list(rule.statics)
        if len(args) > len(slots):
            raise self.scope.src.error(e, f"{describe} with {len(args)} positional arguments "
                                          f"is not supported (the rule takes "
                                          f"{', '.join(slots)})")
        given = {}
        new_args = []
        for slot, a in zip(slots, args):
            self.check_floating(rule, slot, a, describe)
            value = self.rule_operand(rule, slot, a, describe)
            if arrays and a is not receiver and slot in rule.inputs \
                    and slot not in rule.sequences:
                value = self.array_of(value, a)
            given[slot] = value
            new_args.append(value)
        new_keywords = []
        for k in keywords:
            slot = rule.spellings.get(k.arg, k.arg)   # (np.clip's min= is its a_min)
            if slot not in slots:
                raise self.scope.src.error(k.value, f"keyword argument {k.arg}= of {describe} "
                                                    f"is not supported")
            if slot in given:
                raise self.scope.src.error(k.value, f"argument {slot} given twice")
            self.check_floating(rule, slot, k.value, describe)
            value = self.rule_operand(rule, slot, k.value, describe)
            if arrays and slot in rule.inputs and slot not in rule.sequences:
                value = self.array_of(value, k.value)
            given[slot] = value
            new_keywords.append(ast.keyword(arg=k.arg, value=value))
        for v in rule.optional:   # an optional input left out (np.einsum with one operand)
            given.setdefault(v, ast.Constant(None))
        missing = [v for v in rule.inputs if v not in given]
        if missing:
            raise self.scope.src.error(e, f"{describe} is missing argument {missing[0]!r}")
        inputs = [given[v] for v in rule.inputs]
        statics = self._defaults(rule, {s: given[s] for s in rule.statics if s in given})
        expr = rebuild(inputs, new_args, new_keywords)
        return self.emit(target, expr, e, rule=rule, inputs=inputs, statics=statics)

    def rule_operand(self, rule, slot, a, describe=None):
        """The operand for argument ``a`` in the rule's ``slot``: a static, an input, or for a
        sequence input (np.concatenate's list) a list literal of operands or a list's name
        (``describe``: the call, for the refusal of a static that varies)."""
        if slot not in rule.inputs:
            if describe is not None and self.varies(a):
                raise self.scope.src.error(a, f"{ast.unparse(a)!r}, argument {slot!r} of "
                                              f"{describe}, depends on the differentiated "
                                              f"input, and adcompile does not differentiate "
                                              f"that argument (its rule takes it as a "
                                              f"constant); compute it from values not "
                                              f"differentiated, or wrap it in "
                                              f"ad.stop_gradient(...) where its derivative is "
                                              f"not wanted")
            return self.static(a)
        if slot not in rule.sequences or not self.varies(a):
            return self.operand(a)
        if isinstance(a, (ast.List, ast.Tuple)):
            if any(isinstance(e, ast.Starred) for e in a.elts):
                raise self.scope.src.error(a, "a starred item in a list of values being "
                                              "differentiated is not supported")
            self._refuse_nested_items(rule, a, describe)
            items = type(a)(elts=[self.sequence_item(e) for e in a.elts], ctx=ast.Load())
            if rule.tangent is None:
                return items
            # a rule with a tangent template reads the list's tangent: a list of its own
            name = self.namer.temp("items")
            self.out.lists.add(name)
            self.out.varied_ssa.add(name)
            self.out.body.append(ir.ListNew(name, items.elts, a, isinstance(a, ast.Tuple)))
            return ir.load(name)
        return self.operand(a)   # a list's name, or an array (a sequence of its rows)

    def _refuse_nested_items(self, rule, a, describe):
        """Refuse a tuple or list literal of values being differentiated among the items of
        ``a``, a literal given to a sequence input of a Python function (``sorted([(k, v),
        ...])``, ``list``, ``sum``): NumPy's functions make an array of each such item
        (``sequence_item``), Python's keep the tuple (sorted compares tuples, sum adds
        them as sequences)."""
        if not any(getattr(k, "__module__", None) in ("builtins", "math") for k in rule.keys):
            return
        for e in a.elts:
            if isinstance(e, (ast.List, ast.Tuple)) and self.varies(e) or self.holds_list(e):
                called = describe or ast.unparse(a)
                raise self.scope.src.error(e, f"{called} given a list of tuples (or lists) "
                                              f"of values being differentiated is not "
                                              f"supported; give it the values themselves "
                                              f"(sorted(values), or the positions "
                                              f"sorted by a key not differentiated)")

    def array_of(self, value, node):
        """``value``, an operand, as the array NumPy makes of it: a list or tuple a rule gave
        (sorted(x), list(x), np.split's pieces) goes through np.asarray's rule first, so that
        the adjoints that follow see an array (and its items' adjoints are the pieces of the
        array's); any other operand is returned as it is. ``node``: the argument."""
        if not (isinstance(value, ast.Name) and value.id in self.out.sequences):
            return value
        call = ast.Call(func=self.numpy_function("asarray", node, "a list or tuple"),
                        args=[value], keywords=[])
        asarray = self.registry.rule_for(np.asarray)
        return ir.load(self.emit(None, call, node, rule=asarray, inputs=[value],
                                 statics=self._defaults(asarray, {})))

    def holds_list(self, e):
        """Whether ``e`` names a list (or a tuple a rule gave) of values being differentiated."""
        return isinstance(e, ast.Name) and self.varies(e) and (
            self.scope.env.get(e.id) in self.out.lists
            or self.scope.env.get(e.id) in self.out.sequences)

    def sequence_item(self, e):
        """An item of a list literal NumPy makes an array of (np.array([[c, -s], [s, c]]),
        np.stack, np.concatenate): a nested literal of values being differentiated is the
        array NumPy makes of it, np.array(item)."""
        if isinstance(e, (ast.List, ast.Tuple)) and self.varies(e):
            call = ast.copy_location(ast.Call(func=self.numpy_function("array", e), args=[e],
                                              keywords=[]), e)
            return ir.load(self.emit_value(None, call))
        if self.holds_list(e):   # a list in a name: the array NumPy makes of it too
            value = self.operand(e)
            asarray = self.registry.rule_for(np.asarray)
            call = ast.Call(func=self.numpy_function("asarray", e, "a list or tuple"),
                            args=[value], keywords=[])
            return ir.load(self.emit(None, call, e, rule=asarray, inputs=[value],
                                     statics=self._defaults(asarray, {})))
        return self.operand(e)

    def numpy_function(self, name, node, what="a nested list"):
        """An expression for ``numpy.<name>`` in the generated code: through the name the
        function being differentiated gives NumPy (``what``: what is made an array, for the
        refusal where it has none)."""
        for module in ("np", "numpy"):
            if self.scope.src.resolve(module, None) is np and module not in self.scope.locals:
                module = self.scope.free_map.get(module, module)   # (an inlined helper's name)
                return ast.Attribute(value=ast.Name(id=module, ctx=ast.Load()), attr=name,
                                     ctx=ast.Load())
        raise self.scope.src.error(node, f"{what} here is turned into numpy.{name}(...), "
                                         f"but this function has no name for NumPy; import numpy "
                                         f"as np in its module")


def _makes_arrays(what):
    """Whether ``what`` is one of NumPy's (or SciPy's) functions, which make an array of
    each input."""
    return isinstance(what, np.ufunc) or (getattr(what, "__module__", None) or "") \
        .startswith(("numpy", "scipy"))
