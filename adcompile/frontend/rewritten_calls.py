"""Calls differentiated as the other calls they stand for.

Python's ``max``/``min`` of several values is a chain of two-argument calls;
``sum(xs, start)`` is ``start + sum(xs)``; ``np.select`` with list literals is the
chain of ``np.where`` it computes;
``np.einsum`` is brought to the forms its rule takes (subscripts, two
operands at a time: rules/einsum.py); ``np.block`` of nested lists is one list of its items
and their places. Part of ``normalize.Normalizer``.
"""

import ast
import math

import numpy as np

from .. import ir, runtime
from ..rules import einsum as einsum_forms
from .source import int_constant
from .syntax import Ready

#: NumPy's trapezoidal rule (np.trapz before NumPy 2.0, np.trapezoid since)
TRAPEZOIDS = tuple(f for f in (getattr(np, "trapezoid", None), getattr(np, "trapz", None))
                   if f is not None)


#: reductions whose where= and initial= are written out (RewrittenCalls.masked_reduction):
#: function -> (its name, the value a masked entry stands for, the binary function joining
#: the initial value)
MASKED_REDUCTIONS = {np.sum: ("sum", 0.0, None), np.mean: ("mean", 0.0, None),
                     np.max: ("max", -math.inf, "maximum"),
                     np.amax: ("max", -math.inf, "maximum"), np.min: ("min", math.inf, "minimum"),
                     np.amin: ("min", math.inf, "minimum")}


class RewrittenCalls:
    """Part of ``normalize.Normalizer``: calls emitted as the calls they stand for."""

    def extreme(self, target, e, name):
        """Emit Python's ``max``/``min`` (``name``) of several arguments, or of a list literal,
        as a chain of two-argument calls, ``max(max(a, b), c)`` (on a tie Python returns the
        first, and so does the chain); of one sequence (a list, an array) with the rule of
        a sequence. Returns the result's name, or None for a call of two arguments."""
        args = list(e.args)
        if len(args) == 1 and isinstance(args[0], (ast.List, ast.Tuple)) \
                and args[0].elts and not any(isinstance(a, ast.Starred) for a in args[0].elts):
            args = list(args[0].elts)
            if len(args) == 1:
                return self.emit_copy(target, self.operand(args[0]), e)
        elif len(args) == 1:
            rule = self.registry.special[f"{name}_list"]
            func = self.rename(e.func)
            return self.emit_mapped(target, e, rule, args, [],
                                    lambda ins, a, kws: ast.Call(func=func, args=a, keywords=kws),
                                    ast.unparse(e.func))
        elif len(args) == 2:
            return None
        current = args[0]
        for i, item in enumerate(args[1:]):
            call = ast.copy_location(ast.Call(func=e.func, args=[current, item], keywords=[]), e)
            if i == len(args) - 2:
                return self.emit_call(target, call)
            current = Ready(ir.load(self.emit_call(None, call)))

    def sum_from(self, target, e):
        """Python's ``sum(xs, start)`` (or ``start=``) as ``start + sum(xs)``, the sum of
        the items (sum's rule) added to the start value, which is what Python computes up
        to rounding (it adds the items to the start one by one). Returns the result's name,
        or None for a call of another form (refused by sum's rule)."""
        given = dict(zip(("iterable", "start"), e.args))
        for k in e.keywords:
            if k.arg not in ("iterable", "start") or k.arg in given:
                return None
            given[k.arg] = k.value
        if len(e.args) > 2 or "iterable" not in given or "start" not in given:
            return None
        start = given["start"]
        if isinstance(start, (ast.List, ast.Tuple, ast.ListComp)):
            raise self.scope.src.error(start, "sum(..., start) with a list or tuple start "
                                              "joins lists, which is not supported for "
                                              "values being differentiated; build the list "
                                              "with a loop, or index the lists")
        items = ast.copy_location(ast.Call(func=e.func, args=[given["iterable"]],
                                           keywords=[]), e)
        total = Ready(ir.load(self.emit_value(None, items)))   # (the items first, as Python)
        return self.emit_value(target, ast.copy_location(
            ast.BinOp(left=start, op=ast.Add(), right=total), e), e)

    def select(self, target, e):
        """``np.select(condlist, choicelist, default)`` with list literals as the chain of
        ``np.where`` it is: ``np.where(c0, a0, np.where(c1, a1, default))`` (the first true
        condition picks), so that np.where's rule (which masks, never multiplies) applies."""
        given = dict(zip(("condlist", "choicelist", "default"), e.args))
        for k in e.keywords:
            if k.arg not in ("condlist", "choicelist", "default") or k.arg in given:
                raise self.scope.src.error(e, f"np.select with {k.arg}= is not supported")
            given[k.arg] = k.value
        conds, choices = given.get("condlist"), given.get("choicelist")
        if not all(isinstance(a, (ast.List, ast.Tuple)) and a.elts
                   and not any(isinstance(x, ast.Starred) for x in a.elts)
                   for a in (conds, choices)) or len(conds.elts) != len(choices.elts):
            raise self.scope.src.error(e, "np.select is differentiated with list literals of "
                                          "as many conditions as choices: "
                                          "np.select([c0, c1], [a0, a1], default)")
        where = self.numpy_function("where", e)
        result = given.get("default", ast.Constant(0))
        for c, a in reversed(list(zip(conds.elts, choices.elts))):
            result = ast.copy_location(ast.Call(func=where, args=[c, a, result], keywords=[]), e)
        return self.emit_value(target, result, e)

    def choose(self, target, e):
        """``np.choose(a, [c0, c1, ...])`` of indices ``a`` not being differentiated and a list
        (or tuple) literal of choices as the ``np.select`` it is: ``np.select([i == 0, i ==
        1, ...], [c0, c1, ...])``, ``i`` being ``np.choose(a, np.arange(n))`` (``a`` itself,
        or NumPy's error for an index out of range, as np.choose raises). Returns the
        result's name, or None for a call of another form (refused: no rule)."""
        if len(e.args) != 2 or e.keywords or self.varies(e.args[0]):
            return None
        choices = e.args[1]
        if not (isinstance(choices, (ast.List, ast.Tuple)) and choices.elts
                and not any(isinstance(c, ast.Starred) for c in choices.elts)):
            return None
        n = len(choices.elts)
        chosen = ast.Call(func=e.func, args=[e.args[0], self._numpy_call(
            "arange", e, [ast.Constant(n)], {})], keywords=[])
        index = ast.Name(id=self._kept_value(self.operand(ast.fix_missing_locations(
            ast.copy_location(chosen, e)))), ctx=ast.Load())
        conds = [ast.Compare(left=index, ops=[ast.Eq()], comparators=[ast.Constant(k)])
                 for k in range(n)]
        call = ast.Call(func=self.numpy_function("select", e), args=[
            ast.List(elts=conds, ctx=ast.Load()), choices], keywords=[])
        return self.select(target, ast.fix_missing_locations(ast.copy_location(call, e)))

    def np_block(self, target, e):
        """``np.block`` of a (nested) list literal as ``block_of(items, layout)``: the items
        in order, and a constant, the nested tuples of their positions, for where each sits
        (runtime/joins.py), so that the items are one list the rule's adjoint cuts y_bar
        back into. Another argument (a list's name: its nesting is not known) is refused."""
        given = _given(e, ("arrays",))
        given = given.get("arrays") if given is not None and len(e.args) <= 1 else None
        items = []

        def layout(part, depth):
            if not isinstance(part, ast.List) and self.holds_list(part):
                raise self.scope.src.error(part, "np.block given a list or tuple held in a "
                                                 "variable among its items (NumPy reads a "
                                                 "list as one more level of nesting and "
                                                 "refuses a tuple); write the lists out")
            if not isinstance(part, ast.List):
                items.append(part)
                return len(items) - 1, depth
            if not part.elts or any(isinstance(p, (ast.Starred, ast.Tuple)) for p in part.elts):
                raise self.scope.src.error(part, "np.block is differentiated with nested "
                                                 "lists of arrays, none empty, no tuple or "
                                                 "*starred item among them")
            parts = [layout(p, depth + 1) for p in part.elts]
            if len({d for _, d in parts}) > 1:
                raise self.scope.src.error(part, "np.block needs lists nested to the same "
                                                 "depth throughout")
            return tuple(p for p, _ in parts), parts[0][1]

        if not isinstance(given, ast.List):
            raise self.scope.src.error(e, "np.block is differentiated with a list literal "
                                          "(nested lists of arrays, np.block([[a, b], [c, "
                                          "d]])), not a list held in a variable")
        where, _ = layout(given, 0)
        rule = self.registry.rule_for(np.block)
        func = ir.load(self.runtime_name(runtime.block_of))
        flat = ast.copy_location(ast.List(elts=items, ctx=ast.Load()), given)
        return self.emit_mapped(target, e, rule, [flat, ast.Constant(where)], [],
                                lambda ins, args, kws: ast.Call(func=func, args=args,
                                                                keywords=[]), "np.block")

    def quantiles(self, target, e):
        """``np.quantile(x, [q0, q1], ...)`` (or ``np.percentile``, a tuple literal of q too)
        as ``np.stack([np.quantile(x, q0, ...), np.quantile(x, q1, ...)])``: NumPy puts the
        axis of q first, and the rule differentiates one q at a time. Returns the result's
        name, or None for a call with another q."""
        q = e.args[1] if len(e.args) > 1 else next(
            (k.value for k in e.keywords if k.arg == "q"), None)
        if not (isinstance(q, (ast.List, ast.Tuple)) and q.elts
                and not any(isinstance(x, (ast.Starred, ast.List, ast.Tuple)) for x in q.elts)):
            return None
        calls, given = [], list(e.args)
        if given and given[0] is not q:   # (x evaluated once, as NumPy does)
            given[0] = Ready(self.operand(given[0]))
        for item in q.elts:
            args = [item if a is q else a for a in given]
            keywords = [ast.keyword(arg=k.arg, value=item) if k.value is q else k
                        for k in e.keywords]
            calls.append(ast.copy_location(ast.Call(func=e.func, args=args, keywords=keywords), e))
        stacked = ast.copy_location(ast.Call(
            func=self.numpy_function("stack", e),
            args=[ast.copy_location(ast.List(elts=calls, ctx=ast.Load()), e)], keywords=[]), e)
        return self.emit_value(target, stacked, e)

    def trapezoid(self, target, e):
        """``np.trapezoid(y, x=None, dx=1.0, axis=-1)`` with a literal axis as what NumPy
        computes: ``np.sum(d * (y[..., 1:] + y[..., :-1]), axis=axis) / 2.0`` (the slices
        along ``axis``), ``d`` the spacing ``dx`` or, along the last axis, ``np.diff(x,
        axis=-1)`` (coordinates along another axis are refused). Returns the result's
        name, or None for a call of another form."""
        given = _given(e, ("y", "x", "dx", "axis"))
        if given is None or "y" not in given or isinstance(given["y"], (ast.List, ast.Tuple)) \
                or len(e.args) > 4 or given["axis"] is None:
            return None
        k = given["axis"]
        y = self.array_of(self.operand(given["y"]), given["y"])

        def along(part):
            return self._along(y, k, part, e)

        def numpy(name, *args, **keywords):
            return self._numpy_call(name, e, args, keywords)

        x = given.get("x")
        if x is None or isinstance(x, ast.Constant) and x.value is None:
            d = given.get("dx", ast.Constant(1.0))
        elif k == -1:   # (np.diff along the last axis: of a 1-d x too)
            d = numpy("diff", Ready(self.operand(x)), axis=ast.Constant(-1))
        else:
            raise self.scope.src.error(e, "np.trapezoid with coordinates x along an axis "
                                          "other than the last is not supported; move that "
                                          "axis last (np.moveaxis(y, axis, -1))")
        total = ast.BinOp(left=d, op=ast.Mult(), right=ast.BinOp(
            left=along(ast.Slice(lower=ast.Constant(1))), op=ast.Add(),
            right=along(ast.Slice(upper=ast.Constant(-1)))))
        result = ast.BinOp(left=numpy("sum", total, axis=ast.Constant(k)), op=ast.Div(),
                           right=ast.Constant(2.0))
        result = ast.fix_missing_locations(ast.copy_location(result, e))
        return self.emit_value(target, result, e)

    def diff_padded(self, target, e):
        """``np.diff(x, n, axis, prepend=p, append=a)`` with a literal axis as what NumPy
        computes: the differences of ``np.concatenate([p', x, a'], axis)``, where ``p'`` is
        ``p`` broadcast to the shape of ``x`` with one entry along the axis (``0 * x[...,
        :1] + p``: a number put in front of each row; an array of the same number of
        dimensions as it is). Returns the result's name, or None for a call of another
        form (refused by np.diff's rule)."""
        given = _given(e, ("a", "n", "axis", "prepend", "append"))
        if given is None or "a" not in given or isinstance(given["a"], (ast.List, ast.Tuple)) \
                or given["axis"] is None:
            return None
        k = given["axis"]
        x = self.array_of(self.operand(given["a"]), given["a"])
        def padding(value):   # (np.zeros_like(x[..., :1]) + p: one entry along the axis)
            first = self._along(x, k, ast.Slice(upper=ast.Constant(1)), e)
            return ast.BinOp(left=self._numpy_call("zeros_like", e, [first], {}), op=ast.Add(),
                             right=value)

        parts = [padding(given["prepend"])] if "prepend" in given else []
        parts.append(Ready(x))
        if "append" in given:
            parts.append(padding(given["append"]))
        joined = self._numpy_call("concatenate", e, [ast.List(elts=parts, ctx=ast.Load())],
                                  {"axis": ast.Constant(k)})
        keywords = {"axis": ast.Constant(k)}
        if "n" in given:
            keywords["n"] = given["n"]
        result = self._numpy_call("diff", e, [joined], keywords)
        result = ast.fix_missing_locations(ast.copy_location(result, e))
        return self.emit_value(target, result, e)

    def masked_reduction(self, target, e, kind):
        """``np.sum(x, axis, where=m, initial=c)`` as what NumPy computes: ``np.sum(np.where(m,
        x, 0.0), axis) + c``; ``np.max`` (``np.min``) with ``initial=c`` as ``np.maximum(np.max(
        np.where(m, x, -inf), axis), c)`` (where= needs initial=, as in NumPy); ``np.mean(x,
        axis, where=m)`` as that sum over the number of entries ``m`` keeps (``_kept``).
        ``kind``: an entry of MASKED_REDUCTIONS. Returns the result's name, or None for a call
        of another form (refused by the reduction's rule)."""
        name, neutral, join = kind
        given = dict(zip(("a", "axis"), e.args))
        for k in e.keywords:
            if k.arg not in ("a", "axis", "keepdims", "where", "initial") or k.arg in given:
                return None
            given[k.arg] = k.value
        if len(e.args) > 2 or "a" not in given or join is not None and "initial" not in given \
                or name == "mean" and ("initial" in given or "where" not in given):
            return None
        if name == "mean":   # (a, read twice below, computed once, as Python does)
            given["a"] = Ready(self.operand(given["a"]))
        x = given["a"]
        if "where" in given:
            x = self._numpy_call("where", e, [given["where"], x, ast.Constant(neutral)], {})
        axes = {k: given[k] for k in ("axis", "keepdims") if k in given}
        result = self._numpy_call("sum" if name == "mean" else name, e, [x], axes)
        if name == "mean":
            result = ast.BinOp(left=result, op=ast.Div(), right=self._kept(given, e, axes))
        if "initial" in given:
            result = ast.BinOp(left=result, op=ast.Add(), right=given["initial"]) \
                if join is None else self._numpy_call(join, e, [result, given["initial"]], {})
        return self.emit_value(target, ast.fix_missing_locations(ast.copy_location(result, e)),
                               e)

    def _kept(self, given, e, axes):
        """The number of entries of ``given["a"]`` the mask ``given["where"]`` keeps, along
        ``axes`` (np.mean's divisor), in the precision of ``a``: ``np.sum(np.where(m,
        np.ones_like(a), 0.0), axis)`` (``a`` an operand by now: read twice, computed once)."""
        ones = self._numpy_call("ones_like", e, [given["a"]], {})
        kept = self._numpy_call("where", e, [given["where"], ones, ast.Constant(0.0)], {})
        return self._numpy_call("sum", e, [kept], axes)

    def _along(self, base, k, part, e):
        """``base[:, ..., part]`` (``part`` at axis ``k`` >= 0) or ``base[..., part, :, ...]``
        (k < 0) for operand ``base``, as an operand."""
        index = [ast.Slice()] * k + [part] if k >= 0 else \
            [ast.Constant(Ellipsis), part] + [ast.Slice()] * (-k - 1)
        index = part if k == 0 else ast.Tuple(elts=index, ctx=ast.Load())
        return Ready(self.emit_index(None, base, index, e))

    def _numpy_call(self, name, e, args, keywords):
        """``numpy.<name>(*args, **keywords)`` through the function's name for NumPy."""
        return ast.Call(func=self.numpy_function(name, e), args=list(args), keywords=[
            ast.keyword(arg=a, value=v) for a, v in keywords.items()])

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
                raise self.scope.src.error(e, f"np.einsum subscripts {args[0].value!r} for "
                                              f"{len(operands)} operands are not supported")
            if len(operands) <= 2 and len(keywords) == len(e.keywords):
                return None
        elif args and not self.varies(args[0]) \
                and not any(isinstance(a, (ast.List, ast.Tuple)) for a in args[1:]):
            return None   # subscripts in a variable: the rule reads them
        else:
            found = einsum_forms.from_sublists(args)
            if found is None or found[0] is None:
                raise self.scope.src.error(e, "np.einsum's sublist form is differentiated with "
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


def _given(e, names):
    """The arguments of the call ``e`` by parameter (``names``, in order), ``axis`` as the
    int it spells (None if it spells none; -1 if not given); None for a keyword not among
    ``names`` or given twice."""
    given = dict(zip(names, e.args))
    for k in e.keywords:
        if k.arg not in names or k.arg in given:
            return None
        given[k.arg] = k.value
    given["axis"] = int_constant(given.get("axis", ast.Constant(-1)))
    return given
