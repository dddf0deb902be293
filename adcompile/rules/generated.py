"""Adjoints of the runtime helpers generated code calls.

With these, generated gradient code is itself differentiable: ``ad.grad`` of
a gradient, Hessians, and forward-over-reverse Hessian-vector products. Each
helper is linear in its first argument (an adjoint), except the matmul and dot
helpers, which are bilinear in the adjoint and the other operand.
"""
# ruff: noqa: F821, F841

import numpy as np

from .. import runtime
from . import adjoint, nondifferentiable, tangent


@adjoint(runtime.unbroadcast, shape="unknown", linear=True)
def unbroadcast(y, g, x):
    # summing over the broadcast axes; its adjoint broadcasts back
    g_bar += rebroadcast(y_bar, g)


@adjoint(runtime.rebroadcast, shape="unknown", linear=True)
def rebroadcast(y, t, like):
    t_bar += unbroadcast(y_bar, t)


@adjoint(runtime.as_gradient, shape="unknown", linear=True)
def as_gradient(y, g, x):
    g_bar += unbroadcast(y_bar, g)


@adjoint(runtime.getitem_bar, shape="unknown", linear=True)
def getitem_bar(y, g, x, index):
    # scattering g into zeros at index; its adjoint gathers
    g_bar += y_bar[index]


@adjoint(runtime.unreduce, shape="unknown", linear=True)
def unreduce(y, g, x, axis=None, keepdims=False):
    g_bar += np.sum(y_bar, axis=axis, keepdims=keepdims)


@adjoint(runtime.transpose_bar, shape="same", linear=True)
def transpose_bar(y, g, axes=None):
    g_bar += np.transpose(y_bar, axes)


@adjoint(runtime.matmul_bar_left, shape="unknown")
def matmul_bar_left(u, g, x, y):
    # u = the adjoint of x in x @ y, bilinear in (g, y): <a, u> = <a @ y, g>
    g_bar += np.matmul(u_bar, y)
    y_bar += matmul_bar_right(g, u_bar, y)


@tangent(runtime.matmul_bar_left)
def matmul_bar_left_tangent(u, g, x, y):
    u_dot += matmul_bar_left(g_dot, x, y)
    u_dot += matmul_bar_left(g, x, y_dot)


@adjoint(runtime.matmul_bar_right, shape="unknown")
def matmul_bar_right(u, g, x, y):
    # u = the adjoint of y in x @ y: <b, u> = <x @ b, g>
    g_bar += np.matmul(x, u_bar)
    x_bar += matmul_bar_left(g, x, u_bar)


@tangent(runtime.matmul_bar_right)
def matmul_bar_right_tangent(u, g, x, y):
    u_dot += matmul_bar_right(g_dot, x, y)
    u_dot += matmul_bar_right(g, x_dot, y)


@adjoint(runtime.dot_bar_left, shape="unknown")
def dot_bar_left(u, g, x, y):
    g_bar += np.dot(u_bar, y)
    y_bar += dot_bar_right(g, u_bar, y)


@tangent(runtime.dot_bar_left)
def dot_bar_left_tangent(u, g, x, y):
    u_dot += dot_bar_left(g_dot, x, y)
    u_dot += dot_bar_left(g, x, y_dot)


@adjoint(runtime.dot_bar_right, shape="unknown")
def dot_bar_right(u, g, x, y):
    g_bar += np.dot(x, u_bar)
    x_bar += dot_bar_left(g, x, u_bar)


@tangent(runtime.dot_bar_right)
def dot_bar_right_tangent(u, g, x, y):
    u_dot += dot_bar_right(g_dot, x, y)
    u_dot += dot_bar_right(g, x_dot, y)


@adjoint(np.full, shape="unknown", linear=True)
def full(y, shape, fill, dtype=None):
    # generated code fills with an adjoint (the adjoint of a full sum)
    fill_bar += unbroadcast(y_bar, fill)


nondifferentiable(runtime.zeros_like, runtime.reduced_size, runtime.argmax_mask)
