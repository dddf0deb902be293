"""Where a value not being differentiated may turn out complex when the code runs, and meets
one that is.

Complex literals, types and the functions known to compute complex values are refused when
the function is transformed (frontend/validate.py), and complex arguments when it is called
(api.py). What is left is what only running the code shows: a function with no rule, or one
whose results may be complex (scipy.linalg.sqrtm), applied to values not being
differentiated, and a Python number raised to a fractional power (``c ** 0.5`` of a negative
``c``). Such a value, combined with a differentiated one, makes the gradient complex, or
real and wrong once an adjoint is added into a real array in place (NumPy drops the
imaginary part with only a warning). So the statement that gives it to differentiated code
checks it: ``t = real_value(<expression>, what)`` raises a ValueError for a complex value.
"""

import ast
import builtins
import sys
import types

import numpy as np

from .. import ir
from ..ir.defuse import own_reads

#: functions (module, names) with rules whose results may be complex for real arguments not
#: differentiated (their rules refuse complex results when the value is differentiated)
MAY_BE_COMPLEX = (("numpy.linalg", ("eig", "eigvals")),
                  ("scipy.linalg", ("sqrtm", "logm", "eig", "eigvals", "funm", "schur")))

#: builtins that make no complex value from real ones
_REAL_BUILTINS = frozenset(("len", "range", "int", "float", "bool", "abs", "min", "max", "sum",
                            "round", "isinstance", "print", "enumerate", "zip", "reversed",
                            "sorted", "list", "tuple", "dict", "str", "divmod"))


def complex_guards(fn, ndim_of, resolve, registry):
    """Where ``fn`` is to check values, as ``(keeps, unguarded)``: ``keeps``, pairs of an
    ``ir.Keep`` assignment whose value a differentiated computation reads and may be
    complex, and the expression that may make it so; ``unguarded``, whether such a value
    is read another way (then the gradients handed back are checked instead).
    ``resolve(expr)`` is the object a name or attribute chain refers to (None when
    unknown). (Arguments, and the leaves of structured ones, are checked when the function
    is called: api.py.)"""

    def maker(e):   # the part of e that may make a complex value of real ones, or None
        for node in ast.walk(e):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
                if _fractional(node.right) and ndim_of(node.left) in (0, None):
                    return node
            elif isinstance(node, ast.Call) and _may_be_complex_call(node, resolve, registry,
                                                                     ndim_of):
                return node
        return None

    statements = list(ir.walk(fn.body))
    marked, defined_by = _marks(statements, maker)
    keeps, unguarded = [], False
    for s in statements:
        if isinstance(s, (ir.Keep, ir.Carry, ir.If, ir.Loop, ir.Jump)):
            continue
        if any(maker(e) is not None for e in _expressions(s)):
            unguarded = True   # (written in place: Ops have only names and trivial operands)
        for name in sorted(own_reads(s) & marked.keys()):
            for keep in defined_by.get(name, ()):
                if not (isinstance(keep.stmt, ast.Assign) and len(keep.stmt.targets) == 1):
                    unguarded = True
                elif all(keep is not k for k, _ in keeps):
                    keeps.append((keep, marked[name]))
            unguarded = unguarded or name not in defined_by
    return keeps, unguarded


def _marks(statements, maker):
    """``(marked, defined_by)``: each name a Keep or Carry defines that may be complex -> the
    expression that may make it so; each name -> the Keeps that define it."""
    marked, defined_by = {}, {}
    for _ in range(2):   # (twice: a loop's later statements may define what earlier ones read)
        for s in statements:
            if isinstance(s, ir.Keep) and s.defines:
                for name in s.defines:
                    defined_by.setdefault(name, [])
                    if s not in defined_by[name]:
                        defined_by[name].append(s)
                read = sorted(own_reads(s) & marked.keys())
                made = marked[read[0]] if read else maker(s.stmt)
                if made is not None:
                    marked.update((name, made) for name in s.defines)
            elif isinstance(s, ir.Carry) and s.source in marked:
                marked[s.target] = marked[s.source]
    return marked, defined_by


def _expressions(s):
    """The expressions an IR statement (not a Keep) holds itself."""
    if isinstance(s, ir.Op):
        return [s.expr]
    found = []
    for value in vars(s).values():
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, ast.expr):
                found.append(v)
    return found


def _real_numpy(obj):
    """Whether ``obj`` is a function or type of NumPy's or of ``math`` that computes real
    values from real ones (NumPy's that make complex values are refused when transforming,
    or listed in MAY_BE_COMPLEX)."""
    owner = getattr(obj, "__self__", None)
    if isinstance(owner, (np.random.RandomState, np.random.Generator)):
        return True   # np.random.randn
    module = getattr(obj, "__module__", None) or ""
    if module == "math" or module == "adcompile.runtime":   # (private_copy and the like)
        return True
    if not (module == "numpy" or module.startswith("numpy.")) or module.startswith(
            ("numpy.fft", "numpy.polynomial", "numpy.lib.scimath")):
        return False
    return obj not in _NUMPY_COMPLEX


#: NumPy functions that may make complex values of real ones
_NUMPY_COMPLEX = (np.roots, np.sort_complex, np.linalg.eig, np.linalg.eigvals)


def _fractional(exponent):
    """Whether a power's exponent may not be an integer."""
    return not (isinstance(exponent, ast.Constant) and type(exponent.value) is int)


def _may_be_complex_call(call, resolve, registry, ndim_of):
    """Whether ``call`` may make a complex value from real arguments."""
    func = call.func
    if isinstance(func, ast.Name) and func.id == "pow" and len(call.args) >= 2 \
            and resolve(func) is builtins.pow:
        return _fractional(call.args[1]) and ndim_of(call.args[0]) in (0, None)
    obj = resolve(func)
    if obj is None:
        if isinstance(func, ast.Attribute):   # a method: real for an array or a number
            return ndim_of(func.value) is None
        return True
    for module, names in MAY_BE_COMPLEX:
        loaded = sys.modules.get(module)
        if loaded is not None and any(getattr(loaded, n, None) is obj for n in names):
            return True
    if registry.rule_for(obj) is not None or registry.is_nondifferentiable(obj) \
            or registry.is_inert(obj) or _real_numpy(obj):
        return False
    if isinstance(obj, types.BuiltinFunctionType) and getattr(builtins, obj.__name__, None) \
            is obj:
        return obj.__name__ not in _REAL_BUILTINS
    if isinstance(obj, type) and obj.__module__ == "builtins":
        return obj.__name__ not in _REAL_BUILTINS
    return True
