"""The adjoints of products of arrays: ``@``, np.dot, np.inner, np.tensordot and np.kron."""

import numpy as np

from .broadcast import _sum_axes, unbroadcast


def matmul_bar_left(z_bar, x, y, to=None):
    """The adjoint of ``x`` in ``z = x @ y`` for operands of any dimensions; with ``to``,
    summed to the shape of ``to``, which ``x`` was broadcast from (see unbroadcast_product)."""
    if to is not None:
        if np.ndim(x) >= 2 and np.ndim(y) >= 2:
            return unbroadcast_product(z_bar, np.swapaxes(y, -1, -2), to)
        return unbroadcast(matmul_bar_left(z_bar, x, y), to)
    if np.ndim(y) == 1:
        if np.ndim(x) == 1:
            return z_bar * np.asarray(y)   # (y may be a list: np.dot(x, [1.0, 2.0]))
        return unbroadcast(np.expand_dims(z_bar, -1) * y, x)
    if np.ndim(x) == 1:
        return unbroadcast((y @ np.expand_dims(z_bar, -1))[..., 0], x)
    return unbroadcast(z_bar @ np.swapaxes(y, -1, -2), x)


def matmul_bar_right(z_bar, x, y):
    """The adjoint of ``y`` in ``z = x @ y`` for operands of any dimensions."""
    if np.ndim(x) == 1:
        if np.ndim(y) == 1:
            return z_bar * np.asarray(x)   # (x may be a list: np.dot([1.0, 2.0], y))
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


def dot_bar_left(z_bar, x, y):
    """The adjoint of ``x`` in ``z = np.dot(x, y)``."""
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        return unbroadcast(z_bar * np.asarray(y), x)
    if np.ndim(y) > 2:   # not a matrix product of stacks: a tensordot
        return tensordot_bar_left(z_bar, x, y, dot_axes(x, y))
    return matmul_bar_left(z_bar, x, y)


def dot_bar_right(z_bar, x, y):
    """The adjoint of ``y`` in ``z = np.dot(x, y)``."""
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        return unbroadcast(z_bar * np.asarray(x), y)
    if np.ndim(y) > 2:
        return tensordot_bar_right(z_bar, x, y, dot_axes(x, y))
    return matmul_bar_right(z_bar, x, y)


def dot_axes(x, y):
    """np.dot(x, y) of arrays as np.tensordot(x, y, dot_axes(x, y)): x's last axis with y's
    second to last (its only one for a vector)."""
    return [np.ndim(x) - 1], [max(np.ndim(y) - 2, 0)]


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


def cross_bar(g, a, b):
    """The adjoint in ``a`` of ``z = np.cross(a, b)`` of 3-vectors (along the last axis; the
    rule moves the axes axisa=, axisb=, axisc= name there): <g, a x b> = <a, b x g>, summed
    down to a's shape where the operands broadcast."""
    if np.shape(a)[-1:] != (3,) or np.shape(b)[-1:] != (3,):
        raise ValueError("adcompile differentiates np.cross of 3-vectors only (2-vectors "
                         "are deprecated by NumPy)")
    return unbroadcast(np.cross(b, g), a)
