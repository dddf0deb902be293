"""The adjoints of picking entries (np.take, np.take_along_axis, np.sort, np.diagonal, the
quantiles), of differences (np.diff) and of more joins (np.column_stack, np.dstack): an
adjoint scattered back where the entries came from, duplicates adding up."""

import numpy as np

from .broadcast import unreduce
from .joins import _as_items, concatenate_bar


def _scatter_add(shape, index, g, dtype):
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated entries add up)."""
    out = np.zeros(shape, dtype=dtype)
    np.add.at(out, index, g)
    return out


def _float_type(*values):
    return np.result_type(*values, 1.0)


def take_bar(g, x, indices, axis=None):
    """The adjoint of ``y = np.take(x, indices, axis)``."""
    dtype = _float_type(g, x)
    if axis is None:
        flat = _scatter_add(np.size(x), np.ravel(indices), np.ravel(g), dtype)
        return np.reshape(flat, np.shape(x))[()]
    axis = axis % np.ndim(x)
    moved = np.moveaxis(np.asarray(g), list(range(axis, axis + np.ndim(indices))),
                        list(range(np.ndim(indices))))
    shape = np.shape(x)
    out = _scatter_add((shape[axis],) + shape[:axis] + shape[axis + 1:], np.asarray(indices),
                       moved, dtype)
    return np.moveaxis(out, 0, axis)


def take_along_axis_bar(g, x, indices, axis=-1):
    """The adjoint of ``y = np.take_along_axis(x, indices, axis)`` (axis None: of the
    flattened x)."""
    dtype = _float_type(g, x)
    if axis is None:
        flat = _scatter_add(np.size(x), np.ravel(indices), np.ravel(g), dtype)
        return np.reshape(flat, np.shape(x))
    indices = np.asarray(indices)
    axis = axis % np.ndim(x)
    shape = np.broadcast_shapes(indices.shape[:axis] + (1,) + indices.shape[axis + 1:],
                                np.shape(x)[:axis] + (1,) + np.shape(x)[axis + 1:])
    shape = shape[:axis] + (indices.shape[axis],) + shape[axis + 1:]
    # (an axis of x of length 1 that indices broadcast along: its one entry gets every sum)
    index = tuple(np.broadcast_to(indices, shape) if d == axis else
                  (np.arange(n) if np.shape(x)[d] == n else np.zeros(n, dtype=int))
                  .reshape((-1,) + (1,) * (len(shape) - d - 1))
                  for d, n in enumerate(shape))
    full = np.shape(x)[:axis] + (np.shape(x)[axis],) + np.shape(x)[axis + 1:]
    return _scatter_add(full, index, np.broadcast_to(g, shape), dtype)


def diagonal_bar(g, x, offset=0, axis1=0, axis2=1):
    """The adjoint of ``y = np.diagonal(x, offset, axis1, axis2)``: g put on that diagonal
    of zeros shaped like x (g's last axis runs along the diagonal)."""
    ndim = np.ndim(x)
    a, b = axis1 % ndim, axis2 % ndim
    moved = np.moveaxis(np.zeros(np.shape(x), dtype=_float_type(g, x)), (a, b), (-2, -1))
    n = np.shape(g)[-1]
    rows = np.arange(n) + max(-offset, 0)
    moved[..., rows, rows + offset] = g
    return np.moveaxis(moved, (-2, -1), (a, b))


def diff_bar(g, n=1, axis=-1):
    """The adjoint of ``y = np.diff(x, n, axis)``: the transpose of taking differences, n
    times (each time one entry longer along axis)."""
    for _ in range(n):
        width = [(0, 0)] * np.ndim(g)
        width[axis] = (1, 1)
        g = -np.diff(np.pad(g, width), axis=axis)
    return g


def sliding_window_bar(g, x, window_shape, axis=None):
    """The adjoint of ``y = np.lib.stride_tricks.sliding_window_view(x, window_shape,
    axis)``: each window's adjoint added back where the window was read (windows overlap:
    their entries add up). g's last axes run over a window, in the order of ``axis``; an
    axis given twice (windows of windows) starts each window at the sum of its offsets."""
    shape = np.shape(x)
    windows = tuple(window_shape) if np.iterable(window_shape) else (window_shape,)
    if axis is None:
        axes = tuple(range(len(shape)))
    else:
        axes = tuple(a % len(shape) for a in (axis if np.iterable(axis) else (axis,)))
    lengths = list(shape)   # (of y's leading axes)
    for a, w in zip(axes, windows):
        lengths[a] -= w - 1
    g = np.asarray(g)
    out = np.zeros(shape, dtype=_float_type(g, x))
    for offsets in np.ndindex(*windows):
        starts = [0] * len(shape)
        for a, k in zip(axes, offsets):
            starts[a] += k
        index = tuple(slice(k, k + n) for k, n in zip(starts, lengths))
        out[index] += g[(Ellipsis,) + offsets]
    return out


def running_source(y, axis=0):
    """For ``y``, a running maximum or minimum along ``axis`` (``np.maximum.accumulate(x,
    axis)``), the index along ``axis`` of the entry of x each entry of y is: where y last
    changed (a tie keeps the earlier entry). Integer; its gradient is zero."""
    y = np.asarray(y)
    if axis is None:
        return running_source(np.ravel(y), 0)
    axis = axis % y.ndim
    if y.shape[axis] == 0:
        return np.zeros(y.shape, dtype=int)
    position = np.arange(y.shape[axis]).reshape((-1,) + (1,) * (y.ndim - axis - 1))
    changed = np.diff(y, axis=axis, prepend=np.take(y, [0], axis=axis)) != 0
    return np.maximum.accumulate(np.where(changed, position, 0), axis=axis)


def placed_bar(g, x, source):
    """The adjoint of ``x`` in a ``y`` some of whose entries are x's (np.insert, np.delete):
    ``source``, shaped like y, holds the flat position in x of each entry of y, -1 where
    it is not one of x's; g goes back to those positions (repeats adding up)."""
    source = np.ravel(source)
    kept = source >= 0
    flat = _scatter_add(np.size(x), source[kept], np.ravel(g)[kept], _float_type(g, x))
    return np.reshape(flat, np.shape(x))[()]


def placed_dot(t, source):
    """The entries of ``t`` at the flat positions ``source``, zero where it is -1: the
    tangent of a y some of whose entries are x's along ``t``, x's tangent (the transpose
    of ``placed_bar``)."""
    source = np.asarray(source)
    return np.where(source >= 0, np.take(t, np.maximum(source, 0)), 0)


def insert_sources(arr, obj, values, axis=None):
    """For ``y = np.insert(arr, obj, values, axis)``, where each entry of y comes from (see
    ``placed_bar``): the flat positions in arr, and those in values (values broadcast to
    the slots: a position repeats), each -1 where the entry is the other's; made by
    np.insert itself of the positions. A ValueError for an arr of integers or bools, into
    which NumPy truncates values."""
    if np.asarray(arr).dtype.kind not in "fc":
        raise ValueError("np.insert of values being differentiated into an array of "
                         "integers or bools truncates them (NumPy casts values to the "
                         "array's type): make the array floating first (.astype(float))")
    arr_shape, values_shape = np.shape(arr), np.shape(values)
    places = np.arange(int(np.prod(arr_shape))).reshape(arr_shape)
    inserted = np.arange(int(np.prod(values_shape))).reshape(values_shape)
    return (np.insert(places, obj, np.full(values_shape, -1), axis),
            np.insert(np.full(arr_shape, -1), obj, inserted, axis))


def quantile_bar(g, x, q, axis=None, keepdims=False):
    """The adjoint of ``y = np.quantile(x, q, axis, keepdims)`` (NumPy's linear method), q
    a number or an array of them (y's leading axes then index q): each q's part of ``g``
    spread over the entries its quantile weighs (``quantile_weights``)."""
    if np.ndim(q) == 0:
        return unreduce(g, x, axis=axis, keepdims=keepdims) * quantile_weights(x, q, axis)
    q, g = np.asarray(q), np.asarray(g)
    total = np.zeros(np.shape(x), dtype=_float_type(g, x))
    for at in np.ndindex(q.shape):
        total += unreduce(g[at], x, axis=axis, keepdims=keepdims) * quantile_weights(
            x, q[at], axis)
    return total


def quantile_dot(t, x, q, axis=None, keepdims=False):
    """The tangent of ``y = np.quantile(x, q, axis, keepdims)`` along ``t`` (x's tangent):
    for each q, ``t`` weighed as its quantile weighs x; the adjoint of quantile_bar."""
    if np.ndim(q) == 0:
        return np.sum(t * quantile_weights(x, q, axis), axis=axis, keepdims=keepdims)
    q = np.asarray(q)
    parts = [np.sum(t * quantile_weights(x, q[at], axis), axis=axis, keepdims=keepdims)
             for at in np.ndindex(q.shape)]
    return np.reshape(np.asarray(parts), q.shape + np.shape(parts[0]))


def quantile_weights(x, q, axis=None):
    """Weights w, shaped like x, with ``np.quantile(x, q, axis) == np.sum(w * x, axis)`` for
    NumPy's default (linear) method and a number q: 1 - f and f on the sorted entries at
    floor and ceil of q (n - 1), f its fraction (ties: the entries sorting first). The
    quantile's gradient, piecewise constant."""
    if np.ndim(q) != 0:
        raise ValueError("adcompile differentiates quantiles of one q at a time; call "
                         "np.quantile (or percentile) once per q, or give the q as a list "
                         "literal (np.quantile(x, [0.25, 0.75]))")
    values = np.asarray(x)
    if axis is None:
        return np.reshape(quantile_weights(np.ravel(values), q, 0), np.shape(values))
    if not isinstance(axis, (int, np.integer)):
        raise TypeError("adcompile differentiates quantiles along one axis or all of them")
    n = values.shape[axis]
    position = float(q) * (n - 1)
    low = int(np.floor(position))
    high = min(low + 1, n - 1)
    frac = position - low
    order = np.argsort(values, axis=axis, kind="stable")
    picks = np.zeros(np.shape(order), dtype=_float_type(values))
    shape = [1] * values.ndim
    shape[axis] = n
    picks += np.reshape(np.arange(n) == low, shape) * (1.0 - frac)
    picks += np.reshape(np.arange(n) == high, shape) * frac
    return take_along_axis_bar(picks, values, order, axis)


def column_stack_bar(y_bar, xs):
    """The adjoint of ``y = np.column_stack(xs)``: 0-d and 1-d items were columns."""
    if not isinstance(xs, (list, tuple)):
        return _as_items(lambda items: column_stack_bar(y_bar, items), xs)
    columns = [np.reshape(x, (-1, 1)) if np.ndim(x) < 2 else x for x in xs]
    pieces = concatenate_bar(y_bar, columns, 1)
    return [np.reshape(p, np.shape(x))[()] for p, x in zip(pieces, xs)]


def dstack_bar(y_bar, xs):
    """The adjoint of ``y = np.dstack(xs)``: items were made 3-d, then joined along axis 2."""
    if not isinstance(xs, (list, tuple)):
        return _as_items(lambda items: dstack_bar(y_bar, items), xs)
    pieces = concatenate_bar(y_bar, [np.atleast_3d(x) for x in xs], 2)
    return [np.reshape(p, np.shape(x))[()] for p, x in zip(pieces, xs)]


def weights_shape(a, weights, axis=None):
    """The shape np.average gives ``weights`` to broadcast against ``a``: its own when they
    have the same shape, else (a 1-d weights along ``axis``) ones but along axis."""
    if np.shape(weights) == np.shape(a):
        return np.shape(a)
    shape = [1] * np.ndim(a)
    shape[axis % np.ndim(a)] = np.size(weights)
    return tuple(shape)


def upper_block(x, g):
    """The block matrix [[x, g], [0, x]] of square matrices x and g (stacked alike): its
    n-th power holds d(x^n) along g in its upper right block."""
    zero = np.zeros(np.broadcast_shapes(np.shape(x), np.shape(g)), dtype=_float_type(x, g))
    top = np.concatenate([x + zero, g + zero], axis=-1)
    bottom = np.concatenate([zero, x + zero], axis=-1)
    return np.concatenate([top, bottom], axis=-2)

