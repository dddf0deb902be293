"""A gradient summed to the shape of what was broadcast, for arrays of any number of
dimensions, compiled by numba (backend="numba"): ``summed_to(g, like)`` is the runtime's
``unbroadcast(g, like)`` for a floating array ``g`` and an array ``like`` (numba's
``unbroadcast``, numba_helpers.py, calls it past two dimensions; the adjoints of stacked
matrix products, numba_products.py, call it too). It is ``g`` itself where the shapes
agree, else a new C-ordered array: one pass over ``g`` adds each entry to the entry of
the result it was broadcast from."""

import numpy as np


def sum_helpers(kinds, overload):
    """canonical name -> stub, its overload registered."""
    import numba

    add_into = numba.njit(_add_into)

    def summed_to(g, like):
        raise NotImplementedError

    @overload(summed_to)
    def _summed_to(g, like):
        if not kinds.array(g, floating=True) or not isinstance(like, kinds.types.Array) \
                or like.ndim > g.ndim or g.dtype not in (kinds.types.float32,
                                                         kinds.types.float64):
            return None
        if like.ndim == 0:
            return lambda g, like: np.sum(g)   # (a number, as the runtime's)
        if like.ndim == g.ndim:
            def same_rank(g, like):
                if g.shape == like.shape:
                    return np.ascontiguousarray(g)
                return add_into(np.zeros(like.shape, g.dtype), g)
            return same_rank
        return lambda g, like: add_into(np.zeros(like.shape, g.dtype), g)

    return {"summed_to": summed_to}


def _add_into(out, g):
    """``out`` (C-ordered, of the shape g was broadcast from) with each entry of ``g``
    added to the one it came from: the sum over the axes of broadcasting."""
    extra = g.ndim - out.ndim
    steps = np.zeros(g.ndim, np.int64)   # how far a step along each of g's axes goes in out
    step = 1
    for a in range(out.ndim - 1, -1, -1):
        n = out.shape[a]
        if n != 1:
            if n != g.shape[a + extra]:
                raise ValueError("a gradient of a shape that does not broadcast to its value's")
            steps[a + extra] = step
        step *= n
    flat = out.reshape(out.size)
    gc = np.ascontiguousarray(g)
    values = gc.reshape(gc.size)
    last = g.shape[g.ndim - 1]
    rows = values.size // last if last else 0
    along = steps[g.ndim - 1]
    for row in range(rows):
        rest, base = row, 0
        for a in range(g.ndim - 2, -1, -1):
            base += (rest % g.shape[a]) * steps[a]
            rest //= g.shape[a]
        start = row * last
        if along == 0:
            total = values[start]
            for j in range(1, last):
                total += values[start + j]
            flat[base] += total
        else:
            for j in range(last):
                flat[base + j] += values[start + j]
    return out
