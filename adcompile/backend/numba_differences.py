"""The numba version of ``diff_bar(g, n, axis)`` (runtime/gathers.py), the adjoint of
``np.diff(x, n, axis)`` (backend="numba", jit.py): n times, the transpose of taking
differences along the axis, each time one entry longer: ``out[i] = g[i - 1] - g[i]``, a
missing entry 0.

It takes a floating array of one or more dimensions, an integer ``n`` and an integer axis
(constants or not, negative axes too); other types are refused at typing, so that the
plain code runs. It gives a new C-ordered array of g's dtype and the helper's values
(each entry ``-(g[i] - g[i - 1])``, as the helper's ``-np.diff`` of the padded gradient,
zeros' signs included). For ``n`` of 0 or less (the helper gives g itself) and an axis out of
range the call runs as Python (``RunsAsPython``)."""

import numpy as np

from .numba_python_calls import RunsAsPython


class DifferencesAsPython(RunsAsPython):
    """A diff_bar the Python helper computes: no differences taken, or no such axis."""


def difference_helpers(kinds, overload):
    """canonical name -> stub, its overload registered."""
    import numba
    from numba.np.unsafe.ndarray import to_fixed_tuple

    once = numba.njit(_once)
    types = kinds.types

    def diff_bar(g, n=1, axis=-1):
        raise NotImplementedError   # (only numba calls it: see the overload)

    @overload(diff_bar)
    def _diff_bar(g, n=1, axis=-1):
        if not kinds.array(g, floating=True) or g.ndim == 0 \
                or not all(isinstance(t, (types.Integer, int)) or kinds.absent(t)
                           for t in (n, axis)):
            return None
        ndim = g.ndim

        def transposed(g, n=1, axis=-1):
            a = axis + ndim if axis < 0 else axis
            if n <= 0 or not 0 <= a < ndim:
                raise DifferencesAsPython("no differences taken, or an axis out of range")
            shape = np.empty(ndim, np.int64)
            outer, inner = 1, 1
            for d in range(ndim):
                shape[d] = g.shape[d]
                if d < a:
                    outer *= g.shape[d]
                elif d > a:
                    inner *= g.shape[d]
            out = np.ascontiguousarray(g).reshape((outer, g.shape[a], inner))
            for _ in range(n):
                out = once(out)
            shape[a] = out.shape[1]
            return out.reshape(to_fixed_tuple(shape, ndim))
        return transposed

    return {"diff_bar": diff_bar}


def _once(g):
    """One transposed difference along the middle axis of the 3-d array ``g``, as the
    helper computes it: ``-(next - before)`` of the gradient with a zero at each end."""
    outer, m, inner = g.shape
    out = np.empty((outer, m + 1, inner), g.dtype)
    zero = np.zeros(1, g.dtype)[0]
    for i in range(outer):
        for k in range(inner):
            before = zero
            for j in range(m):
                out[i, j, k] = -(g[i, j, k] - before)
                before = g[i, j, k]
            out[i, m, k] = -(zero - before)
    return out
