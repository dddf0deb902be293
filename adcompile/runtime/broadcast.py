"""Broadcasting and reductions: a gradient summed back to the shape of an operand NumPy
broadcast, or spread out again over the entries a reduction combined."""

import numpy as np


def unbroadcast(g, x):
    """Sum the gradient ``g`` over the axes NumPy broadcast ``x`` along, giving x's shape
    (``g`` of fewer dimensions: the adjoint of an item ``x`` was written into, which has
    x's shape without its leading axes of length 1)."""
    shape = getattr(x, "shape", ())
    if getattr(g, "shape", ()) == shape:
        return g[()] if not shape and isinstance(g, np.ndarray) else g
    if not shape and type(g) is np.ndarray:   # to a number: one sum over everything
        return g.sum()
    extra = np.ndim(g) - len(shape)
    if extra < 0:   # (x[i] = v with v of leading axes of length 1, which NumPy drops)
        g = np.reshape(g, (1,) * -extra + np.shape(g))
    elif extra > 0:
        g = _sum_axes(g, tuple(range(extra)))[(0,) * extra]
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = _sum_axes(g, axes)
    if not shape:
        return g[()] if isinstance(g, np.ndarray) else g
    if _lazy(g):   # (a Dask array: never changed in place, and np.array would compute it)
        return np.broadcast_to(g, shape)
    return np.array(np.broadcast_to(g, shape))  # a new array: g was smaller than x


def _lazy(a):
    """Whether ``a`` is an array of another library that NumPy functions dispatch to
    (``__array_function__``: a Dask array), which ``np.asarray`` would compute."""
    return hasattr(type(a), "__array_function__") and not isinstance(a, (np.ndarray, np.generic))


def _sum_axes(g, axes):
    """``np.sum(g, axis=axes, keepdims=True)``, as a product with a vector of ones where the
    axes allow: BLAS sums over the leading axes, or the second last, several times faster
    than np.sum, which is slow over any axis but the last."""
    if not isinstance(g, np.ndarray) or g.dtype.kind not in "fc" or g.size == 0:
        return np.sum(g, axis=axes, keepdims=True)
    n = g.ndim
    if axes == (n - 2,):
        return np.expand_dims(np.ones(g.shape[-2], dtype=g.dtype) @ g, -2)
    if axes == tuple(range(len(axes))) and g.flags.c_contiguous:
        leading = g.shape[:len(axes)]
        rows = g.reshape(int(np.prod(leading)), -1)
        summed = np.ones(rows.shape[0], dtype=g.dtype) @ rows
        return summed.reshape((1,) * len(axes) + g.shape[len(axes):])
    return np.sum(g, axis=axes, keepdims=True)


def filled_like(x, value, *like):
    """An array shaped like ``x`` filled with ``value``, in the common precision of ``x``,
    ``value`` and ``like`` (the values x stands for a result of, see
    optimize/shape_reads.py): the adjoint of a sum or mean of all of x's entries.
    ``np.full_like`` makes an array of x's kind: a Dask array chunked as ``x`` (nothing
    computed) for a Dask ``x``."""
    return np.full_like(x, value, dtype=np.result_type(x, value, *like))


def unreduce(g, x, axis=None, keepdims=False):
    """Broadcast the gradient ``g`` of a reduction of ``x`` back to x's shape."""
    if not isinstance(g, np.ndarray) and not _lazy(g):   # a number takes x's precision
        g = np.asarray(g, dtype=np.result_type(x, g))
    if not np.ndim(x):   # (a number's axis 0 is no axis; scipy's logsumexp keeps one)
        g = np.reshape(g, ())   # (still a view no one writes into, as below)
    elif not keepdims and axis is not None:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, np.shape(x))


def in_place(ufunc, a, b):
    """``ufunc(a, b)`` (``np.multiply``, ``add``, ``subtract`` or ``divide``), written into ``a``'s memory where it fits: ``a`` is an array that
    nothing reads afterwards (see optimize/in_place.py), and the result has its shape and
    precision."""
    if type(a) is np.ndarray and a.flags.writeable and a.dtype == np.result_type(a, b):
        shape = np.shape(b)
        if shape == a.shape or len(shape) <= a.ndim and all(
                n == 1 or n == m for n, m in zip(reversed(shape), reversed(a.shape))):
            return ufunc(a, b, out=a)
    if ufunc is np.multiply:   # (the operator: numbers stay Python numbers)
        return a * b
    if ufunc is np.add:
        return a + b
    if ufunc is np.subtract:
        return a - b
    return a / b


def unreduce_times(g, e, x, axis=None, keepdims=False, out=None):
    """``unreduce(g, x, axis, keepdims) * e``, multiplied before ``g`` is broadcast to x's
    shape: one pass over ``e`` instead of a broadcast copy and a product. ``out`` is ``e``
    where nothing reads ``e`` afterwards: the product goes into its memory if it fits."""
    if not _lazy(g):
        g = np.asarray(g, dtype=np.result_type(x, g))   # a Python number takes x's precision
    if not np.ndim(x) and np.size(g) == 1:   # (as in unreduce)
        g = np.reshape(g, ())
    elif not keepdims and axis is not None:
        g = np.expand_dims(g, axis)
    if type(out) is np.ndarray and out.flags.writeable and out.dtype == np.result_type(g, e) \
            and np.broadcast_shapes(g.shape, out.shape) == out.shape:
        product = np.multiply(g, e, out=out)
    else:
        product = g * e
    if product.shape == np.shape(x):
        return product
    shape = np.broadcast_shapes(np.shape(x), product.shape)
    return product if product.shape == shape else np.array(np.broadcast_to(product, shape))


def rebroadcast(t, y):
    """A tangent term ``t`` at the shape of the result ``y`` it is part of (forward mode)."""
    shape = np.shape(y)
    if np.shape(t) == shape:
        return t
    return np.array(np.broadcast_to(t, shape))


def reduced_size(x, axis=None):
    """How many entries of ``x`` each result of a reduction over ``axis`` combines."""
    shape = np.shape(x)
    if axis is None:
        return int(np.prod(shape))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return int(np.prod([shape[a] for a in axes]))


def argmax_mask(x, y, axis=None, keepdims=False):
    """Where ``x`` attains its maximum ``y`` along ``axis``, divided by the number of ties."""
    if np.ndim(x) == 0:   # (a number's axis 0 is no axis: y is x)
        return np.asarray(x == y, dtype=np.result_type(x, 1.0))[()]
    if not keepdims and axis is not None:
        y = np.expand_dims(y, axis)
    hit = x == y
    if type(hit) is np.ndarray and reduced_size(hit, axis) < 128:
        # counted in bytes: a sum of booleans in int64 takes 7 times as long
        count = np.add.reduce(hit.view(np.int8), axis=axis, keepdims=True, dtype=np.int8)
    else:
        count = np.sum(hit, axis=axis, keepdims=True)
    share = hit / count
    return share.astype(np.result_type(x, 1.0), copy=False)   # float32 stays float32
