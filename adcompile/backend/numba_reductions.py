"""numba versions of the helpers of reductions' adjoints (runtime/broadcast.py):
``unreduce``, ``unreduce_times`` and ``argmax_mask``, and of NumPy's reductions with an
axis or keepdims (``max_along``, ``min_along``, ``sum_along``, ``mean_along``), for
arrays of any number of dimensions reduced over all their axes (``axis=None``) or one
(an int). The generated code
passes ``keepdims`` as a constant; numba asks the overloads first without constants'
values and then with them, and an overload that needs the value refuses the first time.
A tuple of axes, a float16 or complex array, and a number whose precision next to a
float32 array depends on whether it is a Python float or a NumPy one are refused (the
gradient then runs as plain Python)."""

import numpy as np

from .numba_helpers import _UNKNOWN

#: NumPy's reductions numba_lowering.py rewrites -> the helper it calls instead
REWRITTEN = {"max": "max_along", "amax": "max_along", "min": "min_along",
             "amin": "min_along", "sum": "sum_along", "mean": "mean_along"}


def reduction_helpers(kinds, overload):
    """canonical name -> stub for the helpers of this module, their overloads registered."""
    made = {"unreduce": _unreduce_helper(kinds, overload),
            "unreduce_times": _unreduce_times_helper(kinds, overload),
            "argmax_mask": _argmax_mask_helper(kinds, overload)}
    made.update(_extreme_helpers(kinds, overload))
    made["sum_along"] = _sum_along_helper(kinds, overload)
    made["mean_along"] = _mean_along_helper(kinds, overload)
    return made


def _float_dtype(t, kinds):
    """The NumPy dtype of a float32 or float64 array or number type ``t``, else None."""
    kind = kinds.entries(t)
    return {kinds.types.float32: np.float32, kinds.types.float64: np.float64}.get(kind)


def number_dtype(g, x, kinds):
    """The precision ``np.asarray(g, dtype=np.result_type(x, g))`` gives a number ``g``
    next to the float array ``x``: x's for float64 (any real number) or for float32 and a
    float32 number; None where NumPy's answer depends on more than g's numba type (a
    float64 number next to float32: a Python float keeps float32, np.float64 does not)."""
    dtype = _float_dtype(x, kinds)
    if dtype is np.float64 or dtype is np.float32 and g == kinds.types.float32:
        return dtype
    return None


def _axis_and_keepdims(axis, keepdims, kinds):
    """``(axis, keepdims)`` when numba knows what the code passes: axis None or an int
    (its value may be unknown: then ``_UNKNOWN``), keepdims a constant; else None."""
    keep = kinds.literal(keepdims, False)
    if not isinstance(keep, bool):
        return None
    if kinds.absent(axis):
        return None, keep
    if isinstance(axis, kinds.types.Integer):
        value = kinds.literal(axis, None)
        return (value if isinstance(value, int) else _UNKNOWN), keep
    return None


def _number_expands(known):
    """Whether NumPy expands a number's 0-d array along the axis of ``known`` (``(axis,
    keepdims)``) without an error, as ``np.expand_dims`` does for axis 0 or -1 only."""
    axis, keepdims = known
    return axis is None or keepdims or axis in (0, -1)


def _unreduce_helper(kinds, overload):
    """The numba version of ``unreduce(g, x, axis, keepdims)``: g broadcast back to x's
    shape (a read-only view where g is an array, as NumPy's; a new array for a number)."""
    types = kinds.types

    def unreduce(g, x, axis=None, keepdims=False):
        raise NotImplementedError

    @overload(unreduce)
    def _unreduce(g, x, axis=None, keepdims=False):
        known = _axis_and_keepdims(axis, keepdims, kinds)
        if known is None or not isinstance(x, types.Array) or x.ndim == 0:
            return None
        expand = known[0] is not None and not known[1]
        if kinds.number(g):
            dtype = number_dtype(g, x, kinds)
            if dtype is None or not _number_expands(known):
                return None
            return lambda g, x, axis=None, keepdims=False: np.full(x.shape, g, dtype=dtype)
        if not isinstance(g, types.Array):
            return None
        if expand:
            return lambda g, x, axis=None, keepdims=False: \
                np.broadcast_to(np.expand_dims(g, axis), x.shape)
        return lambda g, x, axis=None, keepdims=False: np.broadcast_to(g, x.shape)

    return unreduce


def _unreduce_times_helper(kinds, overload):
    """The numba version of ``unreduce_times(g, e, x, axis, keepdims, out)``: ``unreduce(g,
    x, axis, keepdims) * e`` in the precision NumPy gives it, at x's shape (or the
    product's, where it is larger); ``out`` is not written (the result is a new array)."""
    types = kinds.types
    pieces = _Pieces()

    def unreduce_times(g, e, x, axis=None, keepdims=False, out=None):
        raise NotImplementedError

    @overload(unreduce_times)
    def _unreduce_times(g, e, x, axis=None, keepdims=False, out=None):
        known = _axis_and_keepdims(axis, keepdims, kinds)
        e_dtype = _float_dtype(e, kinds)
        if known is None or not isinstance(x, types.Array) or x.ndim == 0 or e_dtype is None \
                or e.ndim != x.ndim:
            return None
        expand = known[0] is not None and not known[1] and isinstance(g, types.Array)
        if kinds.number(g):
            # (g as NumPy makes it an array)
            dtype = number_dtype(g, x, kinds) if _number_expands(known) else None
        elif _float_dtype(g, kinds) is not None and g.ndim + expand <= x.ndim:
            from numba.np.numpy_support import as_dtype
            dtype = np.result_type(_float_dtype(g, kinds), as_dtype(x.dtype)).type
        else:
            return None
        if dtype not in (np.float32, np.float64):
            return None
        product = np.result_type(dtype, e_dtype).type   # (of two arrays, as NumPy's)
        cast_g = pieces.cast(product, isinstance(g, types.Array)
                             and _float_dtype(g, kinds) is not product)
        cast_e = pieces.cast(product, e_dtype is not product)
        return _times(cast_g, pieces.expand if expand else pieces.keep_shape, cast_e,
                      pieces.broadcast_shape)

    return unreduce_times


class _Pieces:
    """Small numba functions the implementations choose among when numba types a call."""

    def __init__(self):
        import numba
        self.njit = numba.njit
        self.same = numba.njit(lambda v: v)
        self.keep_shape = numba.njit(lambda v, axis: v)
        self.expand = numba.njit(lambda v, axis: np.expand_dims(v, axis))
        self.broadcast_shape = numba.njit(lambda a, b: np.broadcast_shapes(a, b))
        self._casts = {}

    def cast(self, dtype, needed):
        """A function giving an array (a new one) or number in precision ``dtype``, or the
        identity where ``needed`` is false."""
        if not needed:
            return self.same
        if dtype not in self._casts:
            self._casts[dtype] = self.njit(lambda v: np.asarray(v).astype(dtype))
        return self._casts[dtype]


def _times(cast_g, spread, cast_e, broadcast_shape):
    def times(g, e, x, axis=None, keepdims=False, out=None):
        made = spread(cast_g(g), axis) * cast_e(e)
        if made.shape == x.shape:
            return made
        shape = broadcast_shape(x.shape, made.shape)
        if made.shape == shape:
            return made
        return np.broadcast_to(made, shape).copy()
    return times


def _argmax_mask_helper(kinds, overload):
    """The numba version of ``argmax_mask(x, y, axis, keepdims)``: where x equals its
    maximum y along axis, one over the number of ties there (NaN where none equals it, as
    NumPy's 0 / 0), in x's precision."""
    types = kinds.types

    def argmax_mask(x, y, axis=None, keepdims=False):
        raise NotImplementedError

    @overload(argmax_mask)
    def _argmax_mask(x, y, axis=None, keepdims=False):
        known = _axis_and_keepdims(axis, keepdims, kinds)
        dtype = _float_dtype(x, kinds)
        if known is None or dtype is None or x.ndim == 0 \
                or not (kinds.number(y) or isinstance(y, types.Array)):
            return None
        if known[0] is None or x.ndim == 1:
            # over everything (or a vector's one axis: numba's sum of it is a number); y is
            # a number or has x's dimensions with ones
            def everywhere(x, y, axis=None, keepdims=False):
                hit = x == y
                return (hit / np.sum(hit)).astype(dtype)
            return everywhere
        if not isinstance(y, types.Array) or y.ndim != x.ndim - (not known[1]) \
                or known[0] is _UNKNOWN:
            return None
        a = known[0] % x.ndim   # (a constant: numba's sum over an axis it knows is quicker)
        if not known[1]:
            def along(x, y, axis=None, keepdims=False):
                hit = x == np.expand_dims(y, a)
                return (hit / np.expand_dims(np.sum(hit, axis=a), a)).astype(dtype)
            return along

        def kept(x, y, axis=None, keepdims=False):
            hit = x == y
            return (hit / np.expand_dims(np.sum(hit, axis=a), a)).astype(dtype)
        return kept

    return argmax_mask


def _reduced_axis(a, axis, keepdims, kinds):
    """``(axis, keepdims)`` for a reduction of the array type ``a`` numba compiles here:
    axis None or an int numba knows (made non-negative), keepdims a constant; else None."""
    known = _axis_and_keepdims(axis, keepdims, kinds)
    if known is None or not isinstance(a, kinds.types.Array) or a.ndim == 0 \
            or not isinstance(a.dtype, (kinds.types.Float, kinds.types.Integer)):
        return None
    if known[0] is _UNKNOWN or known[0] is not None and not -a.ndim <= known[0] < a.ndim:
        return None
    return (known[0] % a.ndim if known[0] is not None else None), known[1]


def _extreme_helpers(kinds, overload):
    """numba versions of ``np.max`` and ``np.min`` with ``axis`` and ``keepdims``, for
    arrays of up to two dimensions: NaN where a NaN is, an error for an empty axis, the
    array's dtype, as NumPy's."""

    def max_along(a, axis=None, keepdims=False):
        raise NotImplementedError

    def min_along(a, axis=None, keepdims=False):
        raise NotImplementedError

    for stub, whole, pair in ((max_along, np.max, np.maximum), (min_along, np.min, np.minimum)):
        overload(stub)(_extreme_overload(kinds, whole, pair))
    return {"max_along": max_along, "min_along": min_along}


def _extreme_overload(kinds, whole, pair):
    import numba

    @numba.njit
    def down(a):   # (along the first axis of a matrix)
        if a.shape[0] == 0:
            raise ValueError("zero-size array to reduction operation which has no identity")
        out = a[0].copy()
        for i in range(1, a.shape[0]):
            pair(out, a[i], out)
        return out

    @numba.njit
    def across(a):   # (along the second)
        out = np.empty(a.shape[0], a.dtype)
        for i in range(a.shape[0]):
            out[i] = whole(a[i])
        return out

    def typed(a, axis=None, keepdims=False):
        known = _reduced_axis(a, axis, keepdims, kinds)
        if known is None or known[0] is not None and a.ndim > 2:
            return None
        from numba.np.numpy_support import as_dtype
        ones, dtype = (1,) * a.ndim, as_dtype(a.dtype).type
        if known[0] is None or a.ndim == 1:
            if known[1]:
                return lambda a, axis=None, keepdims=False: np.full(ones, whole(a), dtype)
            return lambda a, axis=None, keepdims=False: whole(a)
        along = down if known[0] == 0 else across
        if known[1]:
            return lambda a, axis=None, keepdims=False: np.expand_dims(along(a), axis)
        return lambda a, axis=None, keepdims=False: along(a)
    return typed


def _sum_along_helper(kinds, overload):
    """The numba version of ``np.sum(a, axis, keepdims=True)`` (numba's sum, which numba
    compiles without keepdims), in the dtype NumPy gives the sum."""

    def sum_along(a, axis=None, keepdims=False):
        raise NotImplementedError

    @overload(sum_along)
    def _sum_along(a, axis=None, keepdims=False):
        known = _reduced_axis(a, axis, keepdims, kinds)
        if known is None:
            return None
        ones = (1,) * a.ndim
        from numba.np.numpy_support import as_dtype
        dtype = np.sum(np.zeros(1, as_dtype(a.dtype))).dtype.type   # (int32 sums to int64)
        if known[0] is None or a.ndim == 1:
            if known[1]:
                return lambda a, axis=None, keepdims=False: np.full(ones, np.sum(a), dtype)
            return lambda a, axis=None, keepdims=False: np.sum(a)
        if known[1]:
            return lambda a, axis=None, keepdims=False: \
                np.expand_dims(np.sum(a, axis=axis), axis)
        return lambda a, axis=None, keepdims=False: np.sum(a, axis=axis)

    return sum_along


def _mean_along_helper(kinds, overload):
    """The numba version of ``np.mean(a, axis, keepdims)`` for a float64 array (numba's
    mean takes no axis): the sum along the axis over its length. Other dtypes are refused
    (NumPy's mean keeps float32, and gives float64 for integers)."""

    def mean_along(a, axis=None, keepdims=False):
        raise NotImplementedError

    @overload(mean_along)
    def _mean_along(a, axis=None, keepdims=False):
        known = _reduced_axis(a, axis, keepdims, kinds)
        if known is None or a.dtype != kinds.types.float64:
            return None
        ones = (1,) * a.ndim
        if known[0] is None or a.ndim == 1:
            if known[1]:
                return lambda a, axis=None, keepdims=False: np.full(ones, np.mean(a))
            return lambda a, axis=None, keepdims=False: np.mean(a)
        if known[1]:
            return lambda a, axis=None, keepdims=False: \
                np.expand_dims(np.sum(a, axis=axis) / a.shape[axis], axis)
        return lambda a, axis=None, keepdims=False: np.sum(a, axis=axis) / a.shape[axis]

    return mean_along
