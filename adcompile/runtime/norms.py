"""np.linalg.norm: its adjoint, tangent and Hessian-vector product, for vector and matrix
norms of every order."""

import numpy as np

from .linalg import svd_dot


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
