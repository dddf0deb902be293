"""Which names are known to hold a number (a Python or NumPy scalar, immutable, so that
``x += e`` makes a new one, and which shares memory with nothing)."""

import ast
import operator

import numpy as np

from .. import ir
from .callees import callee_of
from .propagation import UNSET, propagate


def infer_numbers(fn, known, ndim_of=None):
    """Which names are known to hold a number (a Python or NumPy scalar, immutable, so that
    ``x += e`` makes a new one), from ``known``: parameter -> True for an argument that is
    one, and ``ndim_of`` (from ``infer_ndims``) if given: arithmetic and ufuncs give a
    NumPy scalar, not a 0-d array, where the result has no dimension. Returns
    ``is_number(expression)``."""
    callee = callee_of(fn)
    # the Ops of x op= e on names: x stays an array there, a 0-d one too (x + e makes a NumPy
    # scalar of a 0-d x, x += e changes it in place: another name may share it)
    updates = {id(r.statement) for r in fn.rebindings if isinstance(r.statement, ir.Op)
               and isinstance(r.origin[1], ast.AugAssign)}

    def operands(s):
        return [e for v, e in zip(s.rule.inputs, s.inputs) if v in s.rule.differentiable_inputs]

    def op(s, of):
        rule = s.rule
        parts = [of(e) for e in operands(s)]
        if UNSET in parts:
            return UNSET
        if id(s) in updates and s.inputs and of(s.inputs[0]) is not True:
            return UNSET if of(s.inputs[0]) is UNSET else False
        if rule.filename.endswith("math.py"):
            return True    # math.* returns a float
        if rule.name == "getitem" and ndim_of is not None and _picks_one_entry(s, ndim_of):
            return True    # x[i] of a 1-d x, x[i, j] of a 2-d one: a NumPy scalar
        if rule.name in ("copy", "max_", "min_", "pos") or any(
                k in _NUMBER_OPERATORS or isinstance(k, np.ufunc) for k in rule.keys):
            # (max(a, b) and a copy are one of their operands, a 0-d array too)
            return all(p is True for p in parts) or rule.name not in ("copy", "max_", "min_") \
                and ndim_of is not None and ndim_of(ir.load(s.target)) == 0
        return rule.shape.number(s.statics)   # np.sum(x) is a NumPy scalar, whatever x is

    def expression(e, of):
        if isinstance(e, ast.Constant):
            return isinstance(e.value, (bool, int, float))
        if isinstance(e, (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare)):
            parts = [of(c) for c in ast.iter_child_nodes(e) if isinstance(c, ast.expr)]
            return UNSET if UNSET in parts else all(p is True for p in parts)
        if isinstance(e, ast.Call):
            obj = callee(e.func)
            if any(obj is f for f in (len, int, float, round, bool)) \
                    or getattr(obj, "__module__", "") == "math":
                return True
            if isinstance(obj, np.ufunc) or any(obj is f for f in (abs, min, max)):
                parts = [of(a) for a in e.args]
                return UNSET if UNSET in parts else bool(parts) and all(
                    p is True for p in parts) and not e.keywords
        return False

    _, number_of = propagate(fn, {p: v or None for p, v in known.items()}, False, True, op,
                              lambda e, of: False, expression)
    return lambda e: number_of(e) is True


#: operators whose result is a number when their operands are
_NUMBER_OPERATORS = (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
                     operator.neg, operator.mod, operator.floordiv, abs, float)


def _picks_one_entry(s, ndim_of):
    """Whether ``s``, ``y = x[index]``, reads one entry of an array ``x`` of known
    dimensions with an integer for each (a NumPy scalar, not a view)."""
    x, index = s.inputs
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    ndim = ndim_of(x)
    return ndim is not None and ndim == len(parts) and all(
        _is_int_constant(p) or isinstance(p, ast.Name) and ndim_of(p) == 0 for p in parts)


def _is_int_constant(e):
    """Whether ``e`` is an int written as a constant, negative ones too (``-2``)."""
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, (ast.USub, ast.UAdd)):
        e = e.operand
    return isinstance(e, ast.Constant) and type(e.value) is int
