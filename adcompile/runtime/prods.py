"""np.prod and np.cumprod: products of the other entries, exact where ``x`` has zeros, and
their first and second derivatives."""

import numpy as np


def _axes(axis, ndim):
    """``axis`` (None, an int or a tuple, maybe negative) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    return tuple(sorted(a % ndim for a in (axis if isinstance(axis, tuple) else (axis,))))


def prod_others(x, axis=None):
    """For each entry of ``x``, the product of the other entries it is multiplied with in
    ``np.prod(x, axis)``: exclusive products from both ends, exact where ``x`` has zeros."""
    x = np.asarray(x, dtype=np.result_type(x, 1.0))
    if x.ndim == 0:   # (the product of a number, along any axis, is the number)
        return np.ones_like(x)[()]
    axes = _axes(axis, x.ndim)
    keep = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, keep + list(axes))
    flat = moved.reshape(moved.shape[:len(keep)] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return np.transpose((left * right).reshape(moved.shape), np.argsort(keep + list(axes)))


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
    axis = None if np.ndim(x) == 0 else axis   # (NumPy scans a number as a vector)
    J = _cumprod_jacobian(x, axis)
    g = y_bar if axis is None else np.moveaxis(y_bar, axis, -1)
    g = np.einsum("...j,...ji->...i", g, J)
    return np.reshape(g, np.shape(x))[()] if axis is None else np.moveaxis(g, -1, axis)


def cumprod_dot(x_dot, x, axis=None):
    """The tangent of ``y = np.cumprod(x, axis)``."""
    axis = None if np.ndim(x) == 0 else axis
    J = _cumprod_jacobian(x, axis)
    t = np.ravel(x_dot) if axis is None else np.moveaxis(x_dot, axis, -1)
    t = np.einsum("...ji,...i->...j", J, np.broadcast_to(t, J.shape[:-1]))
    return t if axis is None else np.moveaxis(t, -1, axis)


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
