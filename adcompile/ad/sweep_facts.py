"""What the passes after the reverse pass (sweeps.py) need to know of the function and
its sweeps: the known ndims of their names, the forward arrays no other value shares, the
names with the shape of another, the elementwise definitions, the loops a checkpointed
backward sweep may run again, the functions whose values are floats.
"""

import ast
from collections import defaultdict

import numpy as np

from .. import ir
from ..rules import keeps_precision


# NumPy and math functions whose values are floats (or complex) for any input, bools
# included (math's inverse functions are asin, ..., NumPy's arcsin, ...)
FLOAT_FUNCTIONS = frozenset({
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "cbrt", "sin", "cos",
    "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh",
    "arctanh", "asin", "acos", "atan", "asinh", "acosh", "atanh"})


def may_rerun(fn):
    """``may_rerun(index, iterable)``: whether the body of every top-level loop ``for index
    in iterable`` of ``fn`` only computes values (no effect, no jump, no list), so that a
    checkpointed backward sweep may run it again."""
    ok, refused = set(), set()
    for s in fn.body:
        if isinstance(s, ir.Loop) and s.kind == "for":
            only_values = all(
                isinstance(t, (ir.Op, ir.Carry, ir.If, ir.Loop))
                or isinstance(t, ir.Keep) and t.pure for t in ir.walk(s.body))
            (ok if only_values else refused).add((s.index, ast.dump(s.iterable)))
    allowed = ok - refused
    return lambda index, iterable: (index, ast.dump(iterable)) in allowed


def known_ndims(sw):
    """Name -> ndim, where known, for the names of the sweeps (an adjoint has the ndim of
    its variable)."""
    ctx, fn = sw.context, sw.fn
    ndims = {}
    code = sw.forward + sw.backward
    for name in ir.names_used(code):
        primal = ctx.namer.bar_of.get(name, name)
        n = ctx.ndim_of(ir.load(primal))
        if n is not None:
            ndims[name] = n
    if not fn.tuple_output and len(fn.outputs) == 1:
        n = ctx.ndim_of(fn.outputs[0])
        if n is not None:
            ndims["out_bar"] = n
    return ndims


_MAKES_NEW = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.MatMult)
_READS_ONLY = {"sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "dot",
               "matmul", "inner", "outer", "tensordot", "einsum", "trace", "cumsum", "cumprod"}


def owned_arrays(fn, aliases):
    """Forward names whose arrays no other value shares: each made once, by arithmetic or a
    NumPy ufunc (a new array), and read only by arithmetic, ufuncs and reductions (never
    viewed, listed, copied, kept as written or returned)."""
    np_name = aliases["np"]

    def numpy_call(expr, names=None):
        return isinstance(expr, ast.Call) and not expr.keywords \
            and isinstance(expr.func, ast.Attribute) and isinstance(expr.func.value, ast.Name) \
            and expr.func.value.id == np_name and (
                isinstance(getattr(np, expr.func.attr, None), np.ufunc)
                or names is not None and expr.func.attr in names)

    def makes_new(expr):
        return isinstance(expr, ast.BinOp) and isinstance(expr.op, _MAKES_NEW) \
            or isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub) \
            or numpy_call(expr)

    counts, made, shared = defaultdict(int), set(), set()
    for s in ir.walk(fn.body):
        if isinstance(s, ir.Op):
            counts[s.target] += 1
            if makes_new(s.expr):
                made.add(s.target)
            if not (makes_new(s.expr) or numpy_call(s.expr, _READS_ONLY)
                    or isinstance(s.expr, ast.Compare)):
                shared |= set(s.input_names)
        else:   # anything else may keep a reference (a list, a copy, a view)
            shared |= ir.own_reads(s)
            for name in s.defines if isinstance(s, ir.Keep) else [getattr(s, "target", None)]:
                counts[name] += 1
    return {n for n in made if counts[n] == 1 and n not in shared}


def elementwise_definitions(fn):
    """Name -> the inputs of the elementwise primitive that keeps their precision
    (rules.keeps_precision) assigning it at the top level of ``fn``, where neither the name
    nor an input is assigned afterwards: after the forward sweep the name has the shape and
    precision that its inputs give."""
    found, later = {}, set()
    for s in reversed(fn.body):
        if isinstance(s, ir.Op) and keeps_precision(s.rule) and s.target not in later \
                and not later.intersection(s.input_names):
            found[s.target] = s.inputs
        later |= ir.defined_names(s)
    return found


def same_shape_names(fn):
    """Forward names whose value has the shape (and kind) of another name's: ``y = x ** 2``,
    ``y = np.exp(x)``, ``y = x * x``, an elementwise op of one name and numbers. Both
    assigned once."""
    counts, same = defaultdict(int), {}
    for s in ir.walk(fn.body):
        for name in ([s.target] if isinstance(s, (ir.Op, ir.Carry, ir.ListGet)) else
                     s.defines if isinstance(s, ir.Keep) else []):
            counts[name] += 1
        if isinstance(s, ir.Op) and s.rule.shape.elementwise:
            names = [e for e in s.inputs if not (isinstance(e, ast.Constant)
                                                 and type(e.value) in (int, float))]
            if names and all(isinstance(e, ast.Name) and e.id == names[0].id for e in names):
                same[s.target] = names[0].id   # (y = x * x too)
    return {y: x for y, x in same.items() if counts[y] == 1 and counts[x] <= 1}
