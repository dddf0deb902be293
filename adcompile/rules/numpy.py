"""Adjoints of NumPy functions and array methods."""
# ruff: noqa: F821, F841

import numpy as np

from . import adjoint, nondifferentiable, tangent


@adjoint(np.exp)
def exp(y, x):
    x_bar += y_bar * y


@adjoint(np.log)
def log(y, x):
    x_bar += y_bar / x


@adjoint(np.sqrt)
def sqrt(y, x):
    x_bar += y_bar / (2 * y)


@adjoint(np.sin)
def sin(y, x):
    x_bar += y_bar * np.cos(x)


@adjoint(np.cos)
def cos(y, x):
    x_bar += -y_bar * np.sin(x)


@adjoint(np.tan)
def tan(y, x):
    x_bar += y_bar * (1 + y * y)


@adjoint(np.tanh)
def tanh(y, x):
    x_bar += y_bar * (1 - y * y)


@adjoint(np.abs)
def abs(y, x):
    # sign(0) = 0: the zero subgradient at the kink, as in JAX
    x_bar += y_bar * np.sign(x)


@adjoint(np.maximum)
def maximum(z, x, y):
    # a tie splits the gradient evenly, as in JAX
    x_bar += unbroadcast(z_bar * ((x > y) + 0.5 * (x == y)), x)
    y_bar += unbroadcast(z_bar * ((y > x) + 0.5 * (x == y)), y)


@adjoint(np.minimum)
def minimum(z, x, y):
    x_bar += unbroadcast(z_bar * ((x < y) + 0.5 * (x == y)), x)
    y_bar += unbroadcast(z_bar * ((y < x) + 0.5 * (x == y)), y)


@adjoint(np.dot, methods=("dot",), shape="dot")
def dot(z, x, y):
    if ndim(x) == 2 and ndim(y) == 2:
        x_bar += z_bar @ y.T
        y_bar += x.T @ z_bar
    elif ndim(x) == 2 and ndim(y) == 1:
        x_bar += np.outer(z_bar, y)
        y_bar += x.T @ z_bar
    elif ndim(x) == 1 and ndim(y) == 2:
        x_bar += y @ z_bar
        y_bar += np.outer(x, z_bar)
    elif ndim(x) == 1 and ndim(y) == 1:
        x_bar += z_bar * y
        y_bar += z_bar * x
    else:
        x_bar += dot_bar_left(z_bar, x, y)
        y_bar += dot_bar_right(z_bar, x, y)


@tangent(np.dot)
def dot_tangent(z, x, y):
    z_dot += np.dot(x_dot, y)
    z_dot += np.dot(x, y_dot)


@adjoint(np.transpose, methods=("transpose",), attributes=("T",), shape="same",
         linear=True)
def transpose(y, x, axes=None):
    if axes is None:
        x_bar += np.transpose(y_bar)
    else:
        x_bar += transpose_bar(y_bar, axes)


@adjoint(np.sum, methods=("sum",), shape="reduce", linear=True)
def sum(y, x, axis=None, keepdims=False):
    if ndim(x) == 0:
        x_bar += y_bar
    elif axis is None and not keepdims:
        x_bar += np.full(np.shape(x), y_bar)
    elif axis is None or keepdims:
        x_bar += np.broadcast_to(y_bar, np.shape(x))
    else:
        x_bar += unreduce(y_bar, x, axis=axis, keepdims=keepdims)


@adjoint(np.mean, methods=("mean",), shape="reduce", linear=True)
def mean(y, x, axis=None, keepdims=False):
    if ndim(x) == 0:
        x_bar += y_bar
    elif axis is None:
        x_bar += np.broadcast_to(y_bar / np.size(x), np.shape(x))
    else:
        x_bar += unreduce(y_bar, x, axis=axis, keepdims=keepdims) / reduced_size(x, axis=axis)


@adjoint(np.max, np.amax, methods=("max",), shape="reduce")
def max(y, x, axis=None, keepdims=False):
    # ties share the gradient evenly, as in JAX
    x_bar += unreduce(y_bar, x, axis=axis, keepdims=keepdims) * argmax_mask(x, y, axis=axis, keepdims=keepdims)


@tangent(np.max)
def max_tangent(y, x, axis=None, keepdims=False):
    # the mean of the tangents of the maximal entries (ties share, as in the adjoint)
    y_dot += np.sum(x_dot * argmax_mask(x, y, axis=axis, keepdims=keepdims), axis=axis,
                    keepdims=keepdims)


nondifferentiable(np.shape, np.ndim, np.size, np.argmax, np.argmin, np.argsort,
                  np.zeros_like, np.ones_like, np.sign, np.floor, np.ceil, np.round,
                  np.isnan, np.isfinite, np.isinf, np.equal, np.not_equal, np.less,
                  np.less_equal, np.greater, np.greater_equal)
