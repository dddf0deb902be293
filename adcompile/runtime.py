"""The few helpers generated code calls.

Generated functions look these up by name; ``adcompile build`` copies the
source of the ones a module uses into it, so a built module needs only
NumPy. Keep every helper self-contained: it may use ``np`` and nothing else.
"""

import numpy as np


def unbroadcast(g, x):
    """Sum the gradient ``g`` over the axes NumPy broadcast ``x`` along, giving x's shape."""
    shape = getattr(x, "shape", ())
    if getattr(g, "shape", ()) == shape:
        return g[()] if not shape and isinstance(g, np.ndarray) else g
    extra = np.ndim(g) - len(shape)
    if extra > 0:
        g = _sum_axes(g, tuple(range(extra)))[(0,) * extra]
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = _sum_axes(g, axes)
    if not shape:
        return g[()] if isinstance(g, np.ndarray) else g
    return np.array(np.broadcast_to(g, shape))  # a new array: g was smaller than x


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


def zeros_like(x):
    """The zero gradient of ``x``: 0.0 for a Python number, an array of zeros otherwise."""
    if isinstance(x, (int, float)):
        return 0.0
    if isinstance(x, (tuple, list)):  # a tuple or list result (slogdet, split): per part
        return pair(*[zeros_like(v) for v in x])
    if type(x) is np.ndarray and x.dtype.kind == "f":
        return np.zeros_like(x)
    return np.zeros(np.shape(x), dtype=np.result_type(x, 1.0))


def unreduce(g, x, axis=None, keepdims=False):
    """Broadcast the gradient ``g`` of a reduction of ``x`` back to x's shape."""
    if not isinstance(g, np.ndarray):   # a Python number takes x's precision
        g = np.asarray(g, dtype=np.result_type(x, g))
    if not keepdims and axis is not None:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, np.shape(x))


def unreduce_times(g, e, x, axis=None, keepdims=False, out=None):
    """``unreduce(g, x, axis, keepdims) * e``, multiplied before ``g`` is broadcast to x's
    shape: one pass over ``e`` instead of a broadcast copy and a product. ``out`` is ``e``
    where nothing reads ``e`` afterwards: the product goes into its memory if it fits."""
    g = np.asarray(g, dtype=np.result_type(x, g))   # a Python number takes x's precision
    if not keepdims and axis is not None:
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


def scaled_power(c, x, p):
    """``c * x ** p``, and 0 where ``c`` is 0 (the derivative of ``x ** y`` in x is
    ``scaled_power(y, x, y - 1)``: 0 where y is 0, as x ** 0 is constant). Where x is 0 and
    p < 0 the power is infinite, as NumPy gives it, never a ZeroDivisionError nor a warning;
    a Python number in gives a Python number out."""
    if type(c) in (bool, int, float) and type(x) in (int, float) and type(p) in (int, float):
        if c == 0:
            return 0.0
        if x == 0 and p < 0:   # Python raises; NumPy's power is inf (-inf for -0.0 ** odd)
            with np.errstate(divide="ignore"):
                return float(c * np.power(float(x), p))
        if x < 0 and p != int(p):   # not real: NaN as in NumPy, not a complex number
            return float("nan")
        return c * x ** p
    if np.result_type(x, p).kind in "biu":   # integers to a negative power are an error
        x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore"):
        power = np.power(x, p)
    # where c is 0 the power may be inf: it is replaced before the product (0 * inf is NaN)
    return (c * np.where(c == 0, 1, power))[()]


def log_or_zero(x):
    """``log(x)``, and 0 where x is 0 (in d(x ** y)/dy = x ** y log(x), as in JAX): a Python
    number for a Python number, x's precision for an array."""
    if type(x) in (bool, int, float):
        return float(np.log(x)) if x != 0 else 0.0
    return np.log(np.where(x == 0, 1, x))[()]


def reduced_size(x, axis=None):
    """How many entries of ``x`` each result of a reduction over ``axis`` combines."""
    shape = np.shape(x)
    if axis is None:
        return int(np.prod(shape))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return int(np.prod([shape[a] for a in axes]))


def argmax_mask(x, y, axis=None, keepdims=False):
    """Where ``x`` attains its maximum ``y`` along ``axis``, divided by the number of ties."""
    if not keepdims and axis is not None:
        y = np.expand_dims(y, axis)
    hit = x == y
    share = hit / np.sum(hit, axis=axis, keepdims=True)
    return share.astype(np.result_type(x, 1.0), copy=False)   # float32 stays float32


def matmul_bar_left(z_bar, x, y, to=None):
    """The adjoint of ``x`` in ``z = x @ y`` for operands of any dimensions; with ``to``,
    summed to the shape of ``to``, which ``x`` was broadcast from (see unbroadcast_product)."""
    if to is not None:
        if np.ndim(x) >= 2 and np.ndim(y) >= 2:
            return unbroadcast_product(z_bar, np.swapaxes(y, -1, -2), to)
        return unbroadcast(matmul_bar_left(z_bar, x, y), to)
    if np.ndim(y) == 1:
        if np.ndim(x) == 1:
            return z_bar * y
        return unbroadcast(np.expand_dims(z_bar, -1) * y, x)
    if np.ndim(x) == 1:
        return unbroadcast((y @ np.expand_dims(z_bar, -1))[..., 0], x)
    return unbroadcast(z_bar @ np.swapaxes(y, -1, -2), x)


def matmul_bar_right(z_bar, x, y):
    """The adjoint of ``y`` in ``z = x @ y`` for operands of any dimensions."""
    if np.ndim(x) == 1:
        if np.ndim(y) == 1:
            return z_bar * x
        return unbroadcast(np.expand_dims(x, -1) * np.expand_dims(z_bar, -2), y)
    if np.ndim(y) == 1:
        return unbroadcast((np.swapaxes(x, -1, -2) @ np.expand_dims(z_bar, -1))[..., 0], y)
    return unbroadcast(np.swapaxes(x, -1, -2) @ z_bar, y)


def unbroadcast_product(g, y, x):
    """``unbroadcast(g @ y, x)`` for an ``x`` with one row (or none) where ``g @ y`` has many:
    the product is linear in the rows of ``g``, so they are summed first, and the product
    is one row long instead of many."""
    if np.ndim(g) >= 2 and np.ndim(y) >= 2 and g.shape[-2] > 1:
        shape = np.shape(x)
        if len(shape) < 2 or shape[-2] == 1:
            g = _sum_axes(g, (g.ndim - 2,))
    return unbroadcast(g @ y, x)


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
    x_bar = np.zeros(np.shape(x), dtype=np.result_type(x, y_bar, 1.0))   # float32 stays
    parts = index if isinstance(index, tuple) else (index,)
    if all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts):
        x_bar[index] = y_bar  # basic indexing never repeats an entry
    else:
        np.add.at(x_bar, index, y_bar)
    return x_bar


def dot_bar_left(z_bar, x, y):
    """The adjoint of ``x`` in ``z = np.dot(x, y)``."""
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        return unbroadcast(z_bar * y, x)
    if np.ndim(y) > 2:   # not a matrix product of stacks: a tensordot
        return tensordot_bar_left(z_bar, x, y, dot_axes(x, y))
    return matmul_bar_left(z_bar, x, y)


def dot_bar_right(z_bar, x, y):
    """The adjoint of ``y`` in ``z = np.dot(x, y)``."""
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        return unbroadcast(z_bar * x, y)
    if np.ndim(y) > 2:
        return tensordot_bar_right(z_bar, x, y, dot_axes(x, y))
    return matmul_bar_right(z_bar, x, y)


def dot_axes(x, y):
    """np.dot(x, y) of arrays as np.tensordot(x, y, dot_axes(x, y)): x's last axis with y's
    second to last (its only one for a vector)."""
    return [np.ndim(x) - 1], [max(np.ndim(y) - 2, 0)]


def transpose_bar(y_bar, axes):
    """The adjoint of ``y = np.transpose(x, axes)``: the inverse permutation applied to y_bar."""
    if axes is None:
        return np.transpose(y_bar)
    n = np.ndim(y_bar)
    return np.transpose(y_bar, np.argsort([a % n for a in axes]))


def as_gradient(g, x):
    """The gradient handed back for argument ``x``: a float for a Python number, else a new
    writable array of x's shape and floating precision (never a view of, or the same object
    as, another value; float32 for float32 x even where the adjoint started from the Python
    number 1.0)."""
    if isinstance(x, (int, float)) and not isinstance(x, np.ndarray):
        return float(g)
    shape = np.shape(x)
    dtype = getattr(x, "dtype", None)
    g = np.array(g, dtype=dtype if dtype is not None and dtype.kind in "fc"
                 else np.result_type(g, 1.0))
    return g if g.shape == shape else np.array(np.broadcast_to(g, shape))


def outer_sum(pairs):
    """sum(np.outer(u, v) for u, v in pairs), as one matrix product."""
    if not pairs:
        return 0.0
    left, right = zip(*pairs)
    return outer_steps(left, right)


def outer_steps(us, vs):
    """sum(np.outer(u, v) for u, v in zip(us, vs)) for the vectors of a loop's steps (lists,
    or arrays with the steps first), as one matrix product when their lengths agree."""
    if len(us) == 0:
        return 0.0
    try:
        left, right = np.asarray(us), np.asarray(vs)
    except ValueError:      # the vectors' lengths changed from one step to the next
        left = right = None
    if left is None or left.ndim != 2 or right.ndim != 2:
        return sum(np.outer(u, v) for u, v in zip(us, vs))
    return left.T @ right


def sum_steps(values):
    """sum(values) for the values of a loop's steps (a list, or an array with the steps
    first), in one NumPy call when they share a shape."""
    if len(values) == 0:
        return 0.0
    try:
        return np.asarray(values).sum(axis=0)
    except ValueError:      # shapes differ: added as the steps added them
        return sum(values[1:], values[0])


def stacked(values):
    """The values of a loop's steps as one array, steps first; the list itself if their
    shapes differ."""
    try:
        return np.array(values)
    except ValueError:
        return values


def step_arrays(*lists):
    """Each list of a loop's saved values as one array, steps first, if every list has
    values, all float64 arrays or NumPy float64 numbers of one shape; else None for each.
    (Arithmetic on the arrays then gives, row by row, what it gives on the values.)"""
    arrays = []
    for values in lists:
        if not values or not set(map(type, values)) <= {np.ndarray, np.float64}:
            break
        try:
            array = np.array(values)
        except ValueError:   # the values' shapes differ
            break
        if array.dtype != np.float64:
            break
        arrays.append(array)
    else:
        return arrays[0] if len(arrays) == 1 else tuple(arrays)
    return None if len(lists) == 1 else (None,) * len(lists)


def rebroadcast(t, y):
    """A tangent term ``t`` at the shape of the result ``y`` it is part of (forward mode)."""
    shape = np.shape(y)
    if np.shape(t) == shape:
        return t
    return np.array(np.broadcast_to(t, shape))


def _axes(axis, ndim):
    """``axis`` (None, an int or a tuple, maybe negative) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    return tuple(sorted(a % ndim for a in (axis if isinstance(axis, tuple) else (axis,))))


def prod_others(x, axis=None):
    """For each entry of ``x``, the product of the other entries it is multiplied with in
    ``np.prod(x, axis)``: exclusive products from both ends, exact where ``x`` has zeros."""
    x = np.asarray(x, dtype=np.result_type(x, 1.0))
    axes = _axes(axis, x.ndim)
    keep = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, keep + list(axes))
    flat = moved.reshape(moved.shape[:len(keep)] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return np.transpose((left * right).reshape(moved.shape), np.argsort(keep + list(axes)))


def cofactor(x):
    """The cofactor matrix of (each matrix of) ``x``, the derivative of ``det(x)``: det(x)
    times the transposed inverse where x is invertible, and its limit where x is singular.
    From the SVD x = U diag(s) Vt: adj(x) = det(U) det(Vt) V diag(the product of the other
    singular values) U^T, which divides by no singular value."""
    u, s, vt = np.linalg.svd(x)
    sign = np.linalg.det(u) * np.linalg.det(vt)
    adjugate = np.swapaxes(vt, -1, -2) @ (prod_others(s, axis=-1)[..., :, None]
                                          * np.swapaxes(u, -1, -2))
    return np.swapaxes(sign[..., None, None] * adjugate, -1, -2)


def _cumprod_jacobian(x, axis):
    """``x`` with ``axis`` last (flattened if None) and d cumprod[..., j] / d x[..., i] as
    ``J[..., j, i]``; built column by column, exact where ``x`` has zeros."""
    x = np.asarray(x, dtype=np.result_type(x, 1.0))
    x = np.ravel(x) if axis is None else np.moveaxis(x, axis, -1)
    n = x.shape[-1]
    J = np.zeros(x.shape + (n,), dtype=x.dtype)
    for i in range(n):
        others = x.copy()
        others[..., i] = 1.0
        J[..., i:, i] = np.cumprod(others, axis=-1)[..., i:]
    return J


def cumprod_bar(y_bar, x, axis=None):
    """The adjoint of ``y = np.cumprod(x, axis)``."""
    J = _cumprod_jacobian(x, axis)
    g = y_bar if axis is None else np.moveaxis(y_bar, axis, -1)
    g = np.einsum("...j,...ji->...i", g, J)
    return np.reshape(g, np.shape(x))[()] if axis is None else np.moveaxis(g, -1, axis)


def cumprod_dot(x_dot, x, axis=None):
    """The tangent of ``y = np.cumprod(x, axis)``."""
    J = _cumprod_jacobian(x, axis)
    t = np.ravel(x_dot) if axis is None else np.moveaxis(x_dot, axis, -1)
    t = np.einsum("...ji,...i->...j", J, np.broadcast_to(t, J.shape[:-1]))
    return t if axis is None else np.moveaxis(t, -1, axis)


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


def _tensordot_axes(x, y, axes):
    """np.tensordot's ``axes`` as two lists of paired axes (non-negative)."""
    nx, ny = np.ndim(x), np.ndim(y)
    if isinstance(axes, (int, np.integer)):
        return list(range(nx - axes, nx)), list(range(axes))
    ax, ay = axes
    ax = [ax] if isinstance(ax, (int, np.integer)) else list(ax)
    ay = [ay] if isinstance(ay, (int, np.integer)) else list(ay)
    return [a % nx for a in ax], [a % ny for a in ay]


def inner_axes(x, y):
    """np.inner(x, y) as np.tensordot(x, y, inner_axes(x, y))."""
    return 0 if np.ndim(x) == 0 or np.ndim(y) == 0 else ([-1], [-1])


def tensordot_bar_left(z_bar, x, y, axes=2):
    """The adjoint of ``x`` in ``z = np.tensordot(x, y, axes)``."""
    ax, ay = _tensordot_axes(x, y, axes)
    free_x = [i for i in range(np.ndim(x)) if i not in ax]
    free_y = [i for i in range(np.ndim(y)) if i not in ay]
    g = np.tensordot(z_bar, y, axes=(list(range(len(free_x), len(free_x) + len(free_y))), free_y))
    order = free_x + [ax[k] for k in sorted(range(len(ay)), key=lambda k: ay[k])]
    return np.transpose(g, np.argsort(order))[()]


def tensordot_bar_right(z_bar, x, y, axes=2):
    """The adjoint of ``y`` in ``z = np.tensordot(x, y, axes)``."""
    ax, ay = _tensordot_axes(x, y, axes)
    free_x = [i for i in range(np.ndim(x)) if i not in ax]
    free_y = [i for i in range(np.ndim(y)) if i not in ay]
    g = np.tensordot(x, z_bar, axes=(free_x, list(range(len(free_x)))))
    order = [ay[k] for k in sorted(range(len(ax)), key=lambda k: ax[k])] + free_y
    return np.transpose(g, np.argsort(order))[()]


def _kron_blocks(z_bar, x, y):
    """z_bar of ``z = np.kron(x, y)`` with x's and y's axes interleaved, and their shapes
    padded to a common length."""
    n = max(np.ndim(x), np.ndim(y))
    sx = (1,) * (n - np.ndim(x)) + np.shape(x)
    sy = (1,) * (n - np.ndim(y)) + np.shape(y)
    return np.reshape(z_bar, [d for pair in zip(sx, sy) for d in pair]), sx, sy, n


def kron_bar_left(z_bar, x, y):
    """The adjoint of ``x`` in ``z = np.kron(x, y)``."""
    Z, sx, sy, n = _kron_blocks(z_bar, x, y)
    Y = np.reshape(y, [d for s in sy for d in (1, s)])
    return np.reshape(np.sum(Z * Y, axis=tuple(range(1, 2 * n, 2))), np.shape(x))[()]


def kron_bar_right(z_bar, x, y):
    """The adjoint of ``y`` in ``z = np.kron(x, y)``."""
    Z, sx, sy, n = _kron_blocks(z_bar, x, y)
    X = np.reshape(x, [d for s in sx for d in (s, 1)])
    return np.reshape(np.sum(Z * X, axis=tuple(range(0, 2 * n, 2))), np.shape(y))[()]


def _einsum_subscripts(spec):
    """The subscripts of each operand of ``np.einsum(spec, ...)`` and of its result, as lists
    of labels (a letter, or "..." for an ellipsis); the implicit result (no '->') spelled out."""
    def labels(s):
        head, dots, tail = s.partition("...")
        return list(head) + ([dots] if dots else []) + list(tail)

    spec = spec.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    inputs = [labels(s) for s in inputs.split(",")]
    if not arrow:   # NumPy's order: the ellipsis, then the letters used once, sorted
        letters = [c for s in inputs for c in s if c != "..."]
        once = sorted(c for c in set(letters) if letters.count(c) == 1)
        output = "".join((["..."] if any("..." in s for s in inputs) else []) + once)
    return inputs, labels(output)


def einsum_bar(z_bar, spec, a, b, k, *more):
    """The adjoint of operand ``k`` in ``z = np.einsum(spec, a, b, *more)``, or of ``a`` in
    ``z = np.einsum(spec, a)`` when ``b`` is None: z_bar contracted with the other operands onto
    operand k's subscripts, broadcast along a subscript used nowhere else ('ij->i'), put on
    the diagonal where a subscript repeats ('ii->i'), and, for an ellipsis, summed over the
    dimensions NumPy broadcast operand k's along ('...i,...i' of shapes (3, 1, 4) and (2, 4))."""
    operands = [a] if b is None else [a, b, *more]
    dtype = np.result_type(z_bar, *operands, 1.0)   # a number z_bar: the operands' precision
    inputs, output = _einsum_subscripts(spec)
    mine, shape = inputs[k], np.shape(operands[k])
    others = [s for i, s in enumerate(inputs) if i != k]
    reach = set(output).union(*others)   # "..." too, where the ellipsis reaches z or another
    kept = list(dict.fromkeys(c for c in mine if c in reach))   # once each, in order
    # NumPy keeps the ellipsis's dimensions: where operand k has none, they are summed after
    lost = "..." in reach and "..." not in mine
    g = np.einsum(",".join("".join(s) for s in [output] + others) + "->"
                  + "".join(["..."] * lost + kept),
                  np.asarray(z_bar, dtype=dtype), *[o for i, o in enumerate(operands) if i != k])
    if lost:
        g = np.sum(g, axis=tuple(range(g.ndim - len(kept))))
    # the dimensions of operand k each label stands for
    n_dots = len(shape) - (len(mine) - 1) if "..." in mine else 0
    sizes, at = {}, 0
    for c in mine:
        width = n_dots if c == "..." else 1
        sizes.setdefault(c, []).append(shape[at:at + width])
        at += width
    if "..." in kept:
        g = _ellipsis_to(g, kept.index("..."), len(kept) - 1, sizes["..."][0])
    terms, factors, result = ["".join(kept)], [g], ""
    fresh = (c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in spec)
    seen = set()
    for c in mine:
        n = sizes[c].pop(0)      # its dimensions: one for a letter, any number for "..."
        if c in seen:            # a repeated subscript: only its diagonal is used
            f = next(fresh)
            terms.append(c + f)
            factors.append(np.eye(n[0], dtype=dtype))
            c = f
        elif c not in reach:     # summed over within this operand: every entry gets z_bar
            terms.append(c)
            factors.append(np.ones(n, dtype=dtype))
        seen.add(c)
        result += c
    return np.einsum(",".join(terms) + "->" + result, *factors)[()]


def _ellipsis_to(g, at, n_letters, dims):
    """``g`` with the ellipsis dimensions it has from position ``at`` (it has ``n_letters``
    other dimensions) made ``dims``, an operand's: summed over those NumPy broadcast the
    operand along (leading ones it lacks, its axes of length 1), broadcast along those the
    operand has and g lacks (an ellipsis summed within the operand)."""
    have = g.shape[at:g.ndim - (n_letters - at)]
    extra = len(have) - len(dims)
    if extra > 0:
        g = np.sum(g, axis=tuple(range(at, at + extra)))
        have = have[extra:]
    have = (1,) * (len(dims) - len(have)) + tuple(have)
    ones = tuple(at + i for i, (h, d) in enumerate(zip(have, dims)) if d == 1 and h != 1)
    g = np.reshape(g, g.shape[:at] + have + g.shape[g.ndim - (n_letters - at):])
    if ones:
        g = np.sum(g, axis=ones, keepdims=True)
    return np.broadcast_to(g, g.shape[:at] + tuple(dims) + g.shape[at + len(dims):])


def pair(*values):
    """A tuple result's adjoint or tangent (np.linalg.slogdet, eigh): an object array, so that
    adding two of them adds their parts."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v
    return out


def _T(a):
    return np.swapaxes(a, -1, -2)


def solve_dot(a, a_dot, b, z):
    """The tangent of ``z = np.linalg.solve(a, b)`` along ``a_dot``: -a^-1 a_dot z."""
    if np.ndim(b) == 1:
        return -np.linalg.solve(a, (a_dot @ np.asarray(z)[..., None]))[..., 0]
    return -np.linalg.solve(a, a_dot @ z)


def _phi(a):
    """The lower triangle of ``a`` with its diagonal halved."""
    return np.tril(a) - 0.5 * np.eye(a.shape[-1], dtype=a.dtype) * a


def cholesky_dot(x_dot, L):
    """The tangent of ``L = np.linalg.cholesky(x)`` along x_dot, of which only the lower
    triangle counts (cholesky reads no other)."""
    s = read_symmetric(x_dot, "L")
    inner = np.linalg.solve(L, _T(np.linalg.solve(L, _T(s))))      # L^-1 s L^-T
    return L @ _phi(inner)


def _norm_axes(x, ord, axis):
    """(reduced axes, whether a matrix norm) of ``np.linalg.norm(x, ord, axis)``."""
    n = np.ndim(x)
    if axis is None:
        if ord is None or n == 1:
            return tuple(range(n)), False
        return (0, 1), True
    if isinstance(axis, tuple) and len(axis) == 2:
        return tuple(a % n for a in axis), True
    a = axis[0] if isinstance(axis, tuple) else axis
    return (a % n,), False


def _share(hit, axes, dtype):
    """A 0/1 mask ``hit`` divided by its count along ``axes`` (ties share), of ``dtype``."""
    hit = hit.astype(dtype)
    return hit / np.sum(hit, axis=axes, keepdims=True)


def norm_bar(y_bar, x, y, ord=None, axis=None, keepdims=False):
    """The adjoint of ``y = np.linalg.norm(x, ord, axis, keepdims)``. The gradient at 0 is 0;
    ties (ord=1, inf, -inf, the extreme singular value) share the gradient evenly."""
    x = np.asarray(x, dtype=np.result_type(x, 1.0))
    y_bar = np.asarray(y_bar, dtype=np.result_type(x, y_bar))   # a number takes x's precision
    axes, matrix = _norm_axes(x, ord, axis)
    if not keepdims:
        y_bar, y = np.expand_dims(y_bar, axes), np.expand_dims(y, axes)
    if not matrix:
        if ord is None or ord == 2:
            return y_bar * x / (y + (y == 0))
        if ord == 1:
            return y_bar * np.sign(x)
        if ord in (np.inf, -np.inf):
            return y_bar * np.sign(x) * _share(np.abs(x) == y, axes, x.dtype)
        if ord == 0:
            return np.zeros_like(x)
        return y_bar * np.sign(x) * np.abs(x) ** (ord - 1) / (y + (y == 0)) ** (ord - 1)
    if ord is None or ord == "fro":
        return y_bar * x / (y + (y == 0))
    m = np.moveaxis(x, axes, (-2, -1))
    yb = np.moveaxis(y_bar, axes, (-2, -1))
    if ord in (1, -1, np.inf, -np.inf):
        # a column (ord 1) or row (ord inf) of extreme absolute sum: its signs
        along = -2 if ord in (1, -1) else -1
        sums = np.sum(np.abs(m), axis=along, keepdims=True)
        best = np.max(sums, axis=-1 if along == -2 else -2, keepdims=True) if ord > 0 else \
            np.min(sums, axis=-1 if along == -2 else -2, keepdims=True)
        g = yb * np.sign(m) * _share(sums == best, (-1, -2), x.dtype)
    else:
        u, s, vt = np.linalg.svd(m, full_matrices=False)
        if ord == "nuc":
            g = yb * (u @ vt)
        elif ord in (2, -2):
            best = s[..., :1] if ord == 2 else s[..., -1:]
            w = _share(s == best, (-1,), x.dtype)
            g = yb * ((u * w[..., None, :]) @ vt)
        else:
            raise ValueError(f"adcompile: the gradient of np.linalg.norm with ord={ord!r} is "
                             f"not supported")
    return np.moveaxis(g, (-2, -1), axes)


def norm_dot(x_dot, x, y, ord=None, axis=None, keepdims=False):
    """The tangent of ``y = np.linalg.norm(x, ord, axis, keepdims)``."""
    axes, _ = _norm_axes(x, ord, axis)
    d = norm_bar(np.ones(np.shape(y), dtype=np.result_type(y, 1.0)), x, y, ord, axis, keepdims)
    return np.sum(d * x_dot, axis=axes, keepdims=keepdims)[()]


def _eigh_gaps(w):
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it."""
    gaps = w[..., None, :] - w[..., :, None]
    n = w.shape[-1]
    return np.where(np.eye(n, dtype=bool), 0.0, 1.0 / (gaps + np.eye(n, dtype=gaps.dtype)))


def eigh_dot(x_dot, x, UPLO="L"):
    """The tangent (w_dot, V_dot) of ``w, V = np.linalg.eigh(x, UPLO)`` along x_dot, of which
    only the triangle eigh reads counts (see read_symmetric)."""
    w, V = np.linalg.eigh(x, UPLO)
    s = _T(V) @ read_symmetric(x_dot, UPLO) @ V
    return pair(np.diagonal(s, axis1=-2, axis2=-1).copy(), V @ (_eigh_gaps(w) * s))


def svd_values_dot(x_dot, x, hermitian=False):
    """The tangent of ``s = np.linalg.svd(x, compute_uv=False, hermitian=hermitian)``:
    diag(U^T x_dot V) (for hermitian=True, of the matrix read from x's lower triangle)."""
    if hermitian:
        x, x_dot = read_symmetric(x), read_symmetric(x_dot)
    u, _, vt = np.linalg.svd(x, full_matrices=False)
    return np.einsum("...ik,...ij,...kj->...k", u, x_dot, vt)


def read_symmetric(x, UPLO="L"):
    """The symmetric matrix (or stack of them) that np.linalg.eigh(x, UPLO), eigvalsh,
    cholesky (the lower triangle) and svd(hermitian=True) (the lower one) work with: the
    triangle of ``x`` they read, mirrored across the diagonal; the other one is ignored."""
    if UPLO in ("U", "u"):
        return np.triu(x) + np.swapaxes(np.triu(x, 1), -1, -2)
    return np.tril(x) + np.swapaxes(np.tril(x, -1), -1, -2)


def read_symmetric_bar(g, UPLO="L"):
    """The adjoint of ``read_symmetric(x, UPLO)``: an entry of the triangle read gets g at its
    place and at its mirror image (its own only, on the diagonal); the other triangle 0."""
    both = np.where(np.eye(np.shape(g)[-1], dtype=bool), g, g + np.swapaxes(g, -1, -2))
    return np.triu(both) if UPLO in ("U", "u") else np.tril(both)


def add_pieces(bars, pieces):
    """A list's adjoints plus one piece each (np.concatenate(xs) for a list xs)."""
    return [b + p for b, p in zip(bars, pieces)]


def array_of_pieces(bars):
    """The adjoint of ``pieces = array_bar(g, xs)`` (differentiated gradient code): for a
    list ``xs``, the pieces' adjoints (held one per entry by an object array, see pair)
    stacked as g was; for an array or a number, g's copy's adjoint itself."""
    if isinstance(bars, np.ndarray) and bars.dtype == object:
        return np.stack(list(bars))
    return bars


def _as_items(bar, xs):
    """``bar(y_bar, items)`` for a list or tuple ``xs``; for an array, its rows' pieces
    stacked back into one array."""
    if isinstance(xs, (list, tuple)):
        return bar(list(xs))
    return np.array(bar(list(xs)))


def concatenate_bar(y_bar, xs, axis=0):
    """The adjoint of ``y = np.concatenate(xs, axis)``: y_bar cut back into pieces shaped like
    the items (axis None: of the flattened items)."""
    if not isinstance(xs, (list, tuple)):
        return _as_items(lambda items: concatenate_bar(y_bar, items, axis), xs)
    if axis is None:
        sizes = [np.size(x) for x in xs]
        return [np.reshape(p, np.shape(x))[()] for p, x in
                zip(np.split(y_bar, np.cumsum(sizes)[:-1]), xs)]
    sizes = [np.shape(x)[axis] for x in xs]
    return [np.array(p) for p in np.split(y_bar, np.cumsum(sizes)[:-1], axis=axis)]


def r_bar(y_bar, xs):
    """The adjoint of ``y = np.r_[xs]``: y_bar cut along the first axis into pieces shaped like
    the items (a number took one entry)."""
    pieces, start = [], 0
    for x in xs:
        n = np.shape(x)[0] if np.ndim(x) else 1
        pieces.append(np.reshape(y_bar[start:start + n], np.shape(x))[()])
        start += n
    return pieces


def c_bar(y_bar, xs):
    """The adjoint of ``y = np.c_[xs]``: y_bar cut along its last axis into pieces shaped like
    the items (a 1-d item or a number took one column)."""
    pieces, start = [], 0
    for x in xs:
        n = np.shape(x)[-1] if np.ndim(x) >= 2 else 1
        pieces.append(np.reshape(y_bar[..., start:start + n], np.shape(x))[()])
        start += n
    return pieces


def r_join(pieces):
    """The adjoint of ``pieces = r_bar(g, xs)`` (differentiated gradient code): np.r_ of the
    pieces' adjoints (a list, or an object array holding them, see pair)."""
    return np.r_[tuple(pieces)]


def c_join(pieces):
    """The adjoint of ``pieces = c_bar(g, xs)``: np.c_ of the pieces' adjoints."""
    return np.c_[tuple(pieces)]


def stack_bar(y_bar, xs, axis=0):
    """The adjoint of ``y = np.stack(xs, axis)`` (and ``np.array(xs)``): y_bar's slices along
    axis, each shaped like its item."""
    if not isinstance(xs, (list, tuple)):
        return _as_items(lambda items: stack_bar(y_bar, items, axis), xs)
    return [np.reshape(p, np.shape(x))[()] for p, x in
            zip(np.moveaxis(y_bar, axis, 0), xs)]


def array_bar(y_bar, xs):
    """The adjoint of ``y = np.array(xs)``: the items' slices of y_bar for a list or tuple,
    a copy of y_bar for an array or a number."""
    if isinstance(xs, (list, tuple)):
        return stack_bar(y_bar, xs, 0)
    return np.array(y_bar, dtype=np.result_type(y_bar, 1.0))[()]


def hstack_bar(y_bar, xs):
    """The adjoint of ``y = np.hstack(xs)``."""
    if not isinstance(xs, (list, tuple)):
        return _as_items(lambda items: hstack_bar(y_bar, items), xs)
    if all(np.ndim(x) <= 1 for x in xs):   # 1-d (or 0-d) items are joined end to end
        pieces = concatenate_bar(y_bar, [np.atleast_1d(x) for x in xs], 0)
        return [np.reshape(p, np.shape(x))[()] for p, x in zip(pieces, xs)]
    return concatenate_bar(y_bar, xs, 1)


def vstack_bar(y_bar, xs):
    """The adjoint of ``y = np.vstack(xs)``: 0-d and 1-d items are rows."""
    if not isinstance(xs, (list, tuple)):
        return _as_items(lambda items: vstack_bar(y_bar, items), xs)
    pieces = concatenate_bar(y_bar, [np.atleast_2d(x) for x in xs], 0)
    return [np.reshape(p, np.shape(x))[()] for p, x in zip(pieces, xs)]


def _svd_gaps(s):
    """F[i, j] = 1 / (s[j]^2 - s[i]^2) off the diagonal, 0 on it."""
    return _eigh_gaps(s * s)


def svd_dot(x_dot, y, hermitian=False):
    """The tangent (U_dot, s_dot, Vt_dot) of the thin SVD ``y = (U, s, Vt) =
    np.linalg.svd(x, full_matrices=False)`` along x_dot (distinct nonzero singular values).
    With dP = U^T x_dot V: s_dot = diag(dP), U_dot = U F*(dP S + S dP^T) + (I - U U^T) x_dot V
    S^-1 and V_dot = V F*(S dP + dP^T S) + (I - V V^T) x_dot^T U S^-1. For hermitian=True
    only x_dot's lower triangle counts (see read_symmetric)."""
    if hermitian:
        x_dot = read_symmetric(x_dot)
    U, s, Vt = y
    V = _T(Vt)
    dP = _T(U) @ x_dot @ V
    F = _svd_gaps(s)
    row, col = s[..., None, :], s[..., :, None]
    dU = U @ (F * (dP * row + col * _T(dP))) + (x_dot @ V - U @ dP) / row
    dV = V @ (F * (col * dP + _T(dP) * row)) + (_T(x_dot) @ U - V @ _T(dP)) / row
    return pair(dU, np.diagonal(dP, axis1=-2, axis2=-1).copy(), _T(dV))


def as_column(v, b):
    """``v`` as a matrix of columns where ``b`` is a vector (np.linalg.solve's right-hand side
    with one dimension is a column): v[..., None], else v."""
    return np.expand_dims(v, -1) if np.ndim(b) == 1 else v


def from_column(w, b):
    """The inverse of as_column: w[..., 0] where ``b`` is a vector, else w."""
    return w[..., 0] if np.ndim(b) == 1 else w


def norm_hvp(g, v, x, y, ord=None, axis=None, keepdims=False):
    """The derivative of ``norm_bar(g, x, y, ord, axis, keepdims)`` along ``v`` (``y`` being
    x's norm): the norm's Hessian at x applied to v, times g. Zero where the norm is
    piecewise linear (ord 0, 1, inf, the matrix 1 and inf norms) and where x is 0."""
    x = np.asarray(x, dtype=np.result_type(x, 1.0))
    v = np.broadcast_to(v, x.shape)
    axes, matrix = _norm_axes(x, ord, axis)
    if not keepdims:
        g, y = np.expand_dims(g, axes), np.expand_dims(y, axes)
    if not matrix or ord is None or ord == "fro":
        if ord in (0, 1, np.inf, -np.inf):
            return np.zeros_like(x)
        # y = (sum |x|^p)^(1/p), G = sign(x) |x|^(p-1) / y^(p-1):
        # H v = (p - 1) / y (|x|^(p-2) / y^(p-2) v - G <G, v>)
        p = 2 if ord is None or ord == "fro" else ord
        safe = y + (y == 0)
        G = np.sign(x) * np.abs(x) ** (p - 1) / safe ** (p - 1)
        Gv = np.sum(G * v, axis=axes, keepdims=True)
        h = (p - 1) / safe * (np.abs(x) ** (p - 2) / safe ** (p - 2) * v - G * Gv)
        return g * np.where(y == 0, 0.0, h)
    if ord in (1, -1, np.inf, -np.inf):
        return np.zeros_like(x)
    if ord not in ("nuc", 2, -2):
        raise ValueError(f"adcompile: the gradient of np.linalg.norm with ord={ord!r} is "
                         f"not supported")
    # the gradient is U diag(w) V^T (w: ones for 'nuc', the extreme singular value's share
    # for 2 and -2); its derivative along v follows U and V
    m = np.moveaxis(x, axes, (-2, -1))
    usv = np.linalg.svd(m, full_matrices=False)
    s = usv[1]
    if ord == "nuc":
        w = np.ones_like(s)
    else:
        w = _share(s == (s[..., :1] if ord == 2 else s[..., -1:]), (-1,), x.dtype)
    dU, _, dVt = svd_dot(np.moveaxis(v, axes, (-2, -1)), usv)
    h = (dU * w[..., None, :]) @ usv[2] + (usv[0] * w[..., None, :]) @ dVt
    return g * np.moveaxis(h, (-2, -1), axes)


def prod_hvp(c, x, axis=None):
    """The Hessian of ``np.prod(x, axis)`` applied to ``c``, one product at a time: for each
    entry k, the sum over the other entries i of its product of c[i] times the product of the
    entries other than i and k. Exact where x has zeros."""
    x = np.asarray(x, dtype=np.result_type(x, 1.0))
    c = np.broadcast_to(c, x.shape)
    axes = _axes(axis, x.ndim)
    keep = [a for a in range(x.ndim) if a not in axes]
    order = keep + list(axes)
    moved = np.transpose(x, order)
    flat = moved.reshape(moved.shape[:len(keep)] + (-1,))
    cs = np.transpose(c, order).reshape(flat.shape)
    out = np.zeros(flat.shape, dtype=x.dtype)
    for k in range(flat.shape[-1]):
        others = flat.copy()
        others[..., k] = 1.0
        p = prod_others(others, axis=-1)   # the product of the entries other than i and k
        out[..., k] = np.sum(cs * p, axis=-1) - cs[..., k] * p[..., k]
    return np.transpose(out.reshape(moved.shape), np.argsort(order))


def cumprod_hvp(g, v, x, axis=None):
    """The derivative of ``cumprod_bar(g, x, axis)`` along ``v``: sum over j, i of g[j] v[i]
    d2 y[j] / dx[i] dx[k] for ``y = np.cumprod(x, axis)``, the second derivative being the
    product of x[:j + 1] without its entries i and k (i != k; both <= j). Exact where x has
    zeros."""
    x = np.asarray(x, dtype=np.result_type(x, 1.0))

    def last(a):   # the cumulative axis last (flattened if None)
        return np.ravel(a) if axis is None else np.moveaxis(a, axis, -1)

    xs = last(x)
    gs, vs = last(g), np.broadcast_to(last(v), xs.shape)
    out = np.zeros(xs.shape, dtype=x.dtype)
    for k in range(xs.shape[-1]):
        others = xs.copy()
        others[..., k] = 1.0
        J = _cumprod_jacobian(others, -1)   # J[..., j, i]: the product of x[:j + 1] but i, k
        J[..., :, k] = 0.0
        J[..., :k, :] = 0.0
        out[..., k] = np.einsum("...j,...ji,...i->...", gs, J, vs)
    return np.reshape(out, np.shape(x)) if axis is None else np.moveaxis(out, -1, axis)


def require_immutable(x, message):
    """Raise TypeError(message) unless ``x`` is a number (or another immutable value): the
    generated code computes ``x op= e`` as a new value, which is what Python does for a
    number but not for an array another variable shares (see ``aliasing``)."""
    if not isinstance(x, (int, float, complex, np.generic, str, bytes, tuple, frozenset)):
        raise TypeError(message)


def private_copy(x):
    """A copy of an argument the function changes in place, so that the generated code
    changes its own copy, not the caller's object (an array; a list, tuple or dict with
    arrays in it; another object as ``copy.deepcopy`` copies it)."""
    if isinstance(x, np.ndarray):
        return x.copy()
    import copy
    return copy.deepcopy(x)
