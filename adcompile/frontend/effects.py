"""Which inactive expressions may do something besides computing a value.

A statement kept as written (``ir.Keep``) whose names nothing reads is dropped only
if it is *pure*. Its calls decide: a call is pure when the function is one whose
only effect is its result, which adcompile knows for functions with a rule (they
are mathematical primitives), functions registered as non-differentiable (``len``,
``np.shape``), the ``math`` module, NumPy's ufuncs and array constructors, and a
few builtins; never with an output argument (``out=``, or by position), and never a builtin that can use up
an iterator (``sum``, ``max``, ``list``, ...: later code would see it used up).
Anything else (``print``, a method of a value, ``np.random``, a function held in a
variable) may have an effect.
"""

import ast
import builtins
import math

import numpy as np

from ..analysis.call_effects import positional_outputs
from ..rules import REGISTRY

_PURE_BUILTINS = {getattr(builtins, name) for name in (
    "abs", "bool", "complex", "divmod", "enumerate", "float", "int", "len", "pow", "range",
    "reversed", "round", "str", "zip")}
_CONSUMING = {getattr(builtins, name) for name in (
    "all", "any", "dict", "frozenset", "list", "max", "min", "set", "sorted", "sum", "tuple")
} | {math.fsum, math.prod}
_PURE_NUMPY = {np.zeros, np.ones, np.empty, np.full, np.zeros_like, np.ones_like,
               np.empty_like, np.full_like, np.arange, np.linspace, np.logspace,
               np.geomspace, np.eye, np.identity, np.asarray, np.array}


def is_pure_function(obj):
    """Whether calling ``obj`` has no effect but its result."""
    try:
        if obj in _CONSUMING:
            return False
    except TypeError:   # (unhashable)
        return False
    if isinstance(obj, np.ufunc) or getattr(obj, "__module__", None) == "math" \
            and getattr(math, getattr(obj, "__name__", ""), None) is obj:
        return True
    try:
        if obj in _PURE_BUILTINS or obj in _PURE_NUMPY:
            return True
    except TypeError:   # (unhashable)
        return False
    return REGISTRY.rule_for(obj) is not None or REGISTRY.is_nondifferentiable(obj)


def is_pure(tree, callee):
    """Whether evaluating ``tree`` (a user's expression) only computes a value;
    ``callee(func)``: the frontend's source.Callee of a call's function expression."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if any(k.arg == "out" or k.arg is None for k in node.keywords):
                return False
            found = callee(node.func)
            if found.kind != "object" or not is_pure_function(found.what) \
                    or positional_outputs(found.what, node):   # (np.round(x, 0, m))
                return False
        elif isinstance(node, (ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom)):
            return False
    return True
