"""The numba version of ``prod_others(x, axis)`` (runtime/prods.py), for each entry the
product of the others ``np.prod(x, axis)`` multiplies it with, exact where x has zeros
(backend="numba", jit.py; the gradient of ``np.prod`` calls it).

It takes a floating array of one or more dimensions and an axis that is None or an integer
(a constant or not, negative too); other types (integer arrays, which the helper makes
float64, tuples of axes, numbers) are refused at typing, so that the plain code runs. For
each line along the axis (all entries for None) it multiplies, as the helper's cumulative
products do and in the same order, the entries before each one from the first and those
after it from the last, and gives a new C-ordered array of x's shape and dtype. An axis
out of range and an array of no entries run as Python (``RunsAsPython``: the helper raises its
error)."""

import numpy as np

from .numba_python_calls import RunsAsPython


class ProductsAsPython(RunsAsPython):
    """A prod_others the Python helper computes (an axis out of range, an array
    of no entries)."""


def prod_helpers(kinds, overload):
    """canonical name -> stub, its overload registered."""
    import numba

    others = numba.njit(_others)
    types = kinds.types

    def prod_others(x, axis=None):
        raise NotImplementedError   # (only numba calls it: see the overload)

    @overload(prod_others)
    def _prod_others(x, axis=None):
        if not kinds.array(x, floating=True) or x.ndim == 0:
            return None
        if kinds.absent(axis):
            def flat(x, axis=None):
                return others(np.ascontiguousarray(x).reshape((1, x.size, 1))).reshape(x.shape)
            return flat
        if not isinstance(axis, (types.Integer, int)):
            return None
        ndim = x.ndim

        def along(x, axis=None):
            a = axis + ndim if axis < 0 else axis
            if not 0 <= a < ndim:
                raise ProductsAsPython("an axis out of range")
            outer, inner = 1, 1
            for d in range(ndim):
                if d < a:
                    outer *= x.shape[d]
                elif d > a:
                    inner *= x.shape[d]
            lines = np.ascontiguousarray(x).reshape((outer, x.shape[a], inner))
            return others(lines).reshape(x.shape)
        return along

    return {"prod_others": prod_others}


def _others(x):
    """For each entry of the 3-d array ``x``, the product of the others along its middle
    axis: the entries before it multiplied from the first, those after it from the last
    (the helper's cumulative products, starting from one), and the two multiplied."""
    outer, m, inner = x.shape
    if x.size == 0:   # (the helper cannot reshape an empty array's lines)
        raise ProductsAsPython("an array of no entries")
    out = np.empty(x.shape, x.dtype)
    one = np.ones(1, x.dtype)[0]
    for i in range(outer):
        for k in range(inner):
            left = one
            for j in range(m):
                out[i, j, k] = left
                left = left * x[i, j, k]
            right = one
            for j in range(m - 1, -1, -1):
                out[i, j, k] = out[i, j, k] * right
                right = right * x[i, j, k]
    return out
