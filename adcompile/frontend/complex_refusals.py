"""Complex values refused wherever they appear in a differentiated function.

adcompile differentiates real values only: a complex literal, type or dtype,
a global holding a complex value, or a function known to compute complex
values is refused when the function is transformed, being differentiated or
not (the values that only running the code shows to be complex are guarded
later: analysis/complex_values.py).
"""

import ast

import numpy as np

from ..ir import walk_tree
from ..ir.trees import complex_leaf

#: modules whose functions compute complex values from real ones
COMPLEX_MODULES = ("cmath", "numpy.fft", "numpy.lib.scimath", "scipy.fft", "scipy.fftpack")


_COMPLEX_WHY = ("adcompile differentiates real values only: its rules would give a complex "
                "value a wrong gradient; compute with the real and imaginary parts as "
                "separate real values")


def refuse_complex(fn, error, callee, varies):
    """Refuse the first thing in ``fn`` that brings a complex value in: a complex literal
    (``1j``), the type ``complex`` or a NumPy complex type (``complex(a, b)``,
    ``x.astype(np.complex128)``, ``dtype="c16"``), a name for a complex number or array,
    the functions of ``COMPLEX_MODULES``, np.roots, and np.linalg.eig and eigvals of a
    matrix not being differentiated (differentiated, they refuse complex eigenvalues when
    the gradient runs: runtime.real_eigen). Refused wherever they
    are, being differentiated or not: a complex value that is not differentiated still
    makes the derivatives of what it is combined with complex. (Complex arguments are
    refused when the function is called: arguments.py.)"""
    for node in walk_tree(fn):
        what = None
        if isinstance(node, ast.Constant) and isinstance(node.value, complex):
            what = f"a complex number ({ast.unparse(node)})"
        elif isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load):
            called = callee(node)
            if called.kind == "object":
                what = _complex_object(called.what, node)
        elif isinstance(node, ast.Call):
            what = _complex_dtype(node)
            called = callee(node.func)
            if what is None and called.kind == "object" \
                    and any(called.what is f for f in (np.linalg.eig, np.linalg.eigvals)) \
                    and not any(varies(a) for a in node.args):
                what = (f"{ast.unparse(node.func)} of a matrix not being differentiated "
                        f"(its eigenvalues may be complex)")
        if what is not None:
            raise error(node, f"{what} cannot be used in a differentiated function: "
                              f"{_COMPLEX_WHY}")


def _complex_object(obj, node):
    """How to name ``obj`` (written ``node``) if it is complex or makes complex values."""
    if isinstance(obj, (complex, np.complexfloating)) \
            or isinstance(obj, np.ndarray) and obj.dtype.kind == "c":
        return f"{ast.unparse(node)}, a complex value,"
    if isinstance(obj, (dict, list, tuple)):
        path = complex_leaf(obj)
        if path is not None:
            return f"{ast.unparse(node)}{''.join(f'[{k!r}]' for k in path)}, a complex value,"
    if obj is complex or isinstance(obj, type) and issubclass(obj, np.complexfloating):
        return f"the complex type {ast.unparse(node)}"
    module = getattr(obj, "__module__", None) or ""
    if callable(obj) and any(module == m or module.startswith(m + ".") for m in COMPLEX_MODULES):
        return f"{ast.unparse(node)} (it computes complex values)"
    if obj is np.roots:
        return f"{ast.unparse(node)} (its results may be complex)"
    return None


def _complex_dtype(call):
    """How to name a complex dtype given as a string to ``call`` (``dtype="complex128"``,
    ``x.astype("c8")``), or None."""
    given = [k.value for k in call.keywords if k.arg == "dtype"]
    if isinstance(call.func, ast.Attribute) and call.func.attr == "astype" and call.args:
        given.append(call.args[0])
    for value in given:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            try:
                kind = np.dtype(value.value).kind
            except TypeError:
                continue
            if kind == "c":
                return f"the complex dtype {value.value!r}"
    return None
