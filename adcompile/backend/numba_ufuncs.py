"""NumPy's own loops for the transcendental ufuncs of large arrays, called from numba's
compiled code (backend="numba").

numba compiles ``np.exp(a)``, ``np.tanh(a)``, ... as a loop calling the C library's
function for one number at a time, where NumPy's loops compute several at once: numba's
``np.tanh`` of a 256 x 256 array takes 10-25 times NumPy's, and its values differ from
NumPy's in the last bit. The lowering (numba_lowering.py) makes these calls, on the
arrays the code passes them, calls of the versions here: for a float32 or float64 array
of at least ``LARGE`` entries they run NumPy's ufunc in numba's object mode (the values
NumPy gives, a new C-ordered array); for anything else, numba's own. ``np.logaddexp``
takes this path only where its operands have one precision (NumPy keeps a float32
array's precision next to a Python float, numba does not)."""

import numpy as np

#: the ufuncs of one argument whose calls the lowering rewrites
UNARY = ("exp", "expm1", "exp2", "log", "log1p", "log2", "log10", "sin", "cos", "tan",
         "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh",
         "arctanh")
#: ... and of two
BINARY = ("logaddexp",)

#: from how many entries NumPy's loop is worth object mode's entry (a few microseconds)
LARGE = 1024


def ufunc_helpers(kinds, overload):
    """canonical name (``numpy_tanh``) -> stub, their overloads registered."""
    import numba
    made = {}
    for name in UNARY:
        made[f"numpy_{name}"] = _unary(getattr(np, name), kinds, overload, numba)
    for name in BINARY:
        made[f"numpy_{name}"] = _binary(getattr(np, name), kinds, overload, numba)
    return made


def _large_float_array(t, kinds):
    return isinstance(t, kinds.types.Array) and t.ndim >= 1 \
        and t.dtype in (kinds.types.float32, kinds.types.float64)


def _unary(ufunc, kinds, overload, numba):
    def stub(a):
        raise NotImplementedError

    @overload(stub)
    def _stub(a):
        if not _large_float_array(a, kinds):
            return lambda a: ufunc(a)   # (numba's own)
        result = kinds.types.Array(a.dtype, a.ndim, "C")

        def numpy_loop(a):
            if a.size < LARGE:
                return np.ascontiguousarray(ufunc(a))
            with numba.objmode(out=result):
                out = np.ascontiguousarray(ufunc(a))
            return out
        return numpy_loop

    return stub


def _binary(ufunc, kinds, overload, numba):
    types = kinds.types
    sizes = {(True, True): numba.njit(lambda a, b: a.size + b.size),
             (True, False): numba.njit(lambda a, b: a.size),
             (False, True): numba.njit(lambda a, b: b.size)}

    def stub(a, b):
        raise NotImplementedError

    @overload(stub)
    def _stub(a, b):
        arrays = [t for t in (a, b) if isinstance(t, types.Array)]
        precisions = {kinds.entries(t) for t in (a, b)}
        if not arrays or len(precisions) != 1 \
                or not all(_large_float_array(t, kinds) for t in arrays):
            return lambda a, b: ufunc(a, b)   # (numba's own)
        result = types.Array(arrays[0].dtype, max(t.ndim for t in arrays), "C")
        size = sizes[isinstance(a, types.Array), isinstance(b, types.Array)]

        def numpy_loop(a, b):
            if size(a, b) < LARGE:
                return np.ascontiguousarray(ufunc(a, b))
            with numba.objmode(out=result):
                out = np.ascontiguousarray(ufunc(a, b))
            return out
        return numpy_loop

    return stub
