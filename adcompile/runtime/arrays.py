"""The adjoints of indexing and of the functions that move, copy or cast an array's entries
(transpose, tile, repeat, diag, trace, pad, astype)."""

import numpy as np

from .values import pair, zeros_like


def getitem_bar(y_bar, x, index):
    """The adjoint of ``y = x[index]``: y_bar scattered into zeros shaped like x."""
    if isinstance(x, (tuple, list)) or getattr(x, "dtype", None) == object:
        # a part of a tuple or list result (eigh, np.split), or of its adjoint (see pair)
        x_bar = zeros_like(x)
        part = x[index]
        if type(y_bar) in (int, float) and isinstance(part, (np.ndarray, np.generic)):
            y_bar = np.result_type(part, y_bar, 1.0).type(y_bar)   # in the part's precision
        x_bar[index] = y_bar
        return x_bar
    dtype = np.result_type(x, y_bar, 1.0)   # float32 stays
    parts = index if isinstance(index, tuple) else (index,)
    if all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts):
        x_bar = np.zeros(np.shape(x), dtype=dtype)
        x_bar[index] = y_bar  # basic indexing never repeats an entry
        return x_bar
    if dtype == np.float64 and 0 < np.size(x) <= 4 * np.size(y_bar):
        return _summed_at(np.shape(x), index, y_bar)
    x_bar = np.zeros(np.shape(x), dtype=dtype)
    np.add.at(x_bar, index, y_bar)
    return x_bar


def _summed_at(shape, index, y_bar):
    """``np.add.at(np.zeros(shape), index, y_bar)`` in float64, as one ``np.bincount`` of
    the flat positions ``index`` selects (a third of add.at's time for gmm's 2,500 entries
    of ``icf[:, index]``): the same sums, made in the same order from zero. For a ``y_bar``
    about as big as the array (the positions cost a pass over all of it)."""
    size = int(np.prod(shape))
    positions = np.arange(size).reshape(shape)[index]
    weights = np.broadcast_to(np.asarray(y_bar, dtype=np.float64), positions.shape)
    return np.bincount(positions.ravel(), weights.ravel(), minlength=size).reshape(shape)


def transpose_bar(y_bar, axes):
    """The adjoint of ``y = np.transpose(x, axes)``: the inverse permutation applied to y_bar."""
    if axes is None:
        return np.transpose(y_bar)
    n = np.ndim(y_bar)
    return np.transpose(y_bar, tuple(int(i) for i in np.argsort([a % n for a in axes])))


def tile_bar(y_bar, x, reps):
    """The adjoint of ``y = np.tile(x, reps)``: the sum over the copies."""
    shape = np.shape(x)
    reps = tuple(reps) if np.ndim(reps) else (int(reps),)
    d = max(len(reps), len(shape))
    reps = (1,) * (d - len(reps)) + reps
    full = (1,) * (d - len(shape)) + shape
    g = np.reshape(y_bar, [n for pair in zip(reps, full) for n in pair])
    return np.reshape(np.sum(g, axis=tuple(range(0, 2 * d, 2))), shape)[()]


def repeat_bar(y_bar, x, repeats, axis=None):
    """The adjoint of ``y = np.repeat(x, repeats, axis)``: the copies of each entry summed."""
    shape = np.shape(x)
    if not shape:   # (NumPy repeats a number as a vector, whatever the axis)
        axis = None
    flat = (int(np.prod(shape)),) if axis is None else shape
    axis = 0 if axis is None else axis % len(shape)
    g = np.zeros(flat, dtype=np.result_type(x, y_bar, 1.0))
    index = np.repeat(np.arange(flat[axis]), repeats)
    np.add.at(g, (slice(None),) * axis + (index,), y_bar)
    return np.reshape(g, shape)[()]


def diag_bar(y_bar, x, k=0):
    """The adjoint of ``y = np.diag(x, k)``: for a matrix x, y_bar on its k-th diagonal."""
    if np.ndim(x) == 1:
        return np.array(np.diag(y_bar, k))
    g = np.zeros(np.shape(x), dtype=np.result_type(x, y_bar, 1.0))
    i = np.arange(len(y_bar))
    g[i + max(-k, 0), i + max(k, 0)] = y_bar
    return g


def trace_bar(y_bar, x, offset=0, axis1=0, axis2=1):
    """The adjoint of ``y = np.trace(x, offset, axis1, axis2)``."""
    shape = np.shape(x)
    a1, a2 = axis1 % len(shape), axis2 % len(shape)
    y_bar = np.asarray(y_bar, dtype=np.result_type(x, y_bar, 1.0))   # float32 stays float32
    eye = np.eye(shape[a1], shape[a2], k=offset, dtype=y_bar.dtype)
    rest = [n for i, n in enumerate(shape) if i not in (a1, a2)]
    g = np.broadcast_to(eye, tuple(rest) + eye.shape) * np.reshape(y_bar, np.shape(y_bar) + (1, 1))
    return np.moveaxis(g, (-2, -1), (a1, a2))


def _meshgrid_axis(k, n, indexing):
    """The axis of the outputs of ``np.meshgrid`` of ``n`` inputs along which its ``k``-th
    input runs: the k-th, but for indexing 'xy' the first two swapped."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"np.meshgrid's indexing is 'xy' or 'ij', not {indexing!r}")
    return 1 - k if indexing == "xy" and n >= 2 and k < 2 else k


def meshgrid_bar(g, x, k, indexing="xy"):
    """The adjoint of the ``k``-th input ``x`` of ``np.meshgrid(...)`` from ``g``, the
    adjoints of its outputs (one per input: a tuple or an object array, see pair): the
    ``k``-th summed over the axes x was repeated along, in x's shape (meshgrid flattens
    its inputs)."""
    g = list(g)
    axis = _meshgrid_axis(k, len(g), indexing)
    piece = np.asarray(g[k])
    others = tuple(i for i in range(piece.ndim) if i != axis)
    return np.reshape(np.sum(piece, axis=others), np.shape(x))


def meshgrid_dot(t, like, k, indexing="xy"):
    """The tangent of ``np.meshgrid(...)`` along its ``k``-th input alone, ``t``: zeros shaped
    like each output (``like``: the outputs, or their adjoints) but the k-th, t laid along
    its axis; the transpose of ``meshgrid_bar``."""
    like = list(like)
    axis = _meshgrid_axis(k, len(like), indexing)
    dtype = np.result_type(t, 1.0)
    out = [np.zeros(np.shape(v), dtype=dtype) for v in like]
    shape = [1] * np.ndim(like[k])
    shape[axis] = -1
    out[k] = out[k] + np.reshape(t, shape)
    return pair(*out)


def convolve_padding(a, v, mode="full"):
    """(before, after): the entries of the full convolution of ``a`` and ``v`` (``n + m -
    1`` of them) before and after the part ``np.convolve(a, v, mode)`` returns."""
    n, m = np.size(a), np.size(v)
    if mode == "full":
        return (0, 0)
    length = max(n, m) if mode == "same" else max(n, m) - min(n, m) + 1
    start = (min(n, m) - 1) // 2 if mode == "same" else min(n, m) - 1
    return (start, n + m - 1 - start - length)


def pad_bar(y_bar, x, pad_width, mode="constant"):
    """The adjoint of ``y = np.pad(x, pad_width, mode)``: for mode 'constant' the part of y_bar
    over x; for the modes that copy entries of x ('edge', 'reflect', 'symmetric', 'wrap') each
    entry of y_bar added to the entry of x it copies (found by padding the entries' indices)."""
    shape = np.shape(x)
    if mode == "constant":
        widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (len(shape), 2))
        index = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, shape))
        return np.array(np.asarray(y_bar)[index])[()]
    if mode not in ("edge", "reflect", "symmetric", "wrap"):
        raise ValueError(f"adcompile: the gradient of np.pad with mode={mode!r} is not "
                         f"supported; only 'constant', 'edge', 'reflect', 'symmetric', 'wrap'")
    source = np.pad(np.arange(np.size(x)).reshape(shape), pad_width, mode=mode)
    g = np.bincount(np.ravel(source), weights=np.ravel(y_bar), minlength=np.size(x))
    return np.reshape(g.astype(np.result_type(y_bar, 1.0), copy=False), shape)[()]


def pad_dot(x_dot, pad_width, mode="constant"):
    """The tangent of ``y = np.pad(x, pad_width, mode)``: x_dot padded with zeros ('constant')
    or with copies of its entries, as x is; another mode raises as ``pad_bar`` does (a mode
    given by a name is known only here)."""
    if mode not in ("constant", "edge", "reflect", "symmetric", "wrap"):
        raise ValueError(f"adcompile: the derivative of np.pad with mode={mode!r} is not "
                         f"supported; only 'constant', 'edge', 'reflect', 'symmetric', 'wrap'")
    return np.pad(x_dot, pad_width, mode=mode)


def astype_bar(g, dtype, precision=None):
    """The adjoint of ``y = x.astype(dtype)`` given ``precision = np.result_type(x)``: g in x's
    precision (float64 for an integer x) for a floating type, zero for an integer or bool type
    (a piecewise constant cast). Without ``precision``, the tangent of y: g cast to dtype
    (for an integer type zero, in g's precision)."""
    floating = np.issubdtype(np.dtype(dtype), np.inexact)
    if precision is None:
        to = np.dtype(dtype) if floating else np.result_type(g, 1.0)
    else:
        to = np.result_type(precision, 1.0)
    return np.array(g, dtype=to) if floating else np.zeros(np.shape(g), dtype=to)


def item_place(x, index):
    """Where ``x.item(index)`` reads (an int, of the flattened x, or a tuple of ints): the
    tuple of ints indexing that entry of ``x``, found by NumPy's own ``item`` of the flat
    positions (negative and tuple indices as it reads them)."""
    flat = np.arange(np.size(x)).reshape(np.shape(x)).item(index)
    return tuple(int(i) for i in np.unravel_index(flat, np.shape(x)))


def with_item(x, index, value):
    """``x`` with ``x[index] = value``, as a new array: what ``x[index] = value`` on an array
    of the function computes (the generated code writes it ``x_2 = x.copy()``, ``x_2[index]
    = value``)."""
    if not isinstance(x, np.ndarray):
        # a list or dict changed in place keeps its type; a copy as an array would not
        raise TypeError(f"adcompile differentiates an assignment into an array, not into a "
                        f"{type(x).__name__}: build a new {type(x).__name__} (or an array) "
                        f"instead of assigning a value being differentiated into one")
    out = x.copy()
    out[index] = value
    return out


def added_at(x, index, value):
    """``x`` after ``np.add.at(x, index, value)``, as a new array: ``value`` added at each
    entry ``index`` names, once per time it names it."""
    out = with_item(x, Ellipsis, x)   # (a copy; a list or dict refused as for x[i] = v)
    np.add.at(out, index, value)
    return out


def subtracted_at(x, index, value):
    """``x`` after ``np.subtract.at(x, index, value)``, as a new array."""
    out = with_item(x, Ellipsis, x)
    np.subtract.at(out, index, value)
    return out


def without_item(g, index):
    """The adjoint of ``x`` in ``z = with_item(x, index, v)``: ``z_bar``, zero where ``v``
    was written (what was there before does not reach ``z``)."""
    out = np.array(g, copy=True)
    out[index] = 0
    return out


def item_written(g, index):
    """The adjoint of ``v`` in ``z = with_item(x, index, v)``, before it is summed to ``v``'s
    shape, from ``g``, the adjoint of ``z``: ``g[index]``, where an integer-array index
    writes an entry more than once only at the write that stays (NumPy's own: found by
    writing the positions)."""
    got = np.asarray(g)[index]
    parts = index if isinstance(index, tuple) else (index,)
    if all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts):
        return got   # basic indexing writes each entry once
    positions = np.arange(np.size(got)).reshape(np.shape(got))
    winner = np.full(np.shape(g), -1, dtype=np.intp)
    winner[index] = positions
    return np.where(winner[index] == positions, got, 0)


def item_tangent(x, index, value_dot):
    """The tangent of ``z = with_item(x, index, v)`` along ``v`` alone: zeros shaped like
    ``x`` holding ``value_dot`` at ``index``."""
    out = np.zeros(np.shape(x), dtype=np.result_type(x, value_dot, 1.0))
    out[index] = value_dot
    return out
