"""Adjoints of ``np.linalg`` functions.

Matrices may be stacked (``(..., n, n)``), as NumPy allows; ``T(a)`` below is
``np.swapaxes(a, -1, -2)``. Where a function is not differentiable (a singular
matrix for ``inv``/``solve``/``det``, repeated eigenvalues for eigenvectors)
the gradient is whatever the formula gives there, as in JAX: inf or NaN.
"""
# ruff: noqa: F821, F841

import numpy as np

from . import adjoint, tangent


@adjoint(np.linalg.inv, shape="same")
def inv(y, x):
    x_bar += -np.swapaxes(y, -1, -2) @ y_bar @ np.swapaxes(y, -1, -2)


@tangent(np.linalg.inv)
def inv_tangent(y, x):
    y_dot += -y @ x_dot @ y


@adjoint(np.linalg.solve, shape="second")
def solve(z, a, b):
    # z = a^-1 b: b_bar = a^-T z_bar, a_bar = -b_bar z^T
    b_bar += solve_bar(z_bar, a, b)
    a_bar += solve_bar_matrix(z_bar, a, b, z)


@tangent(np.linalg.solve)
def solve_tangent(z, a, b):
    z_dot += solve_dot(a, a_dot, b, z)
    z_dot += np.linalg.solve(a, b_dot)


@adjoint(np.linalg.det, shape="drop2")
def det(y, x):
    # d det(x) = det(x) tr(x^-1 dx)
    x_bar += np.expand_dims(y_bar * y, (-1, -2)) * np.swapaxes(np.linalg.inv(x), -1, -2)


@tangent(np.linalg.det)
def det_tangent(y, x):
    y_dot += y * np.trace(np.linalg.solve(x, x_dot), axis1=-2, axis2=-1)


@adjoint(np.linalg.slogdet, shape="unknown")
def slogdet(y, x):
    # y = (sign, log|det x|): the sign is piecewise constant, d log|det x| = tr(x^-1 dx)
    x_bar += np.expand_dims(y_bar[1], (-1, -2)) * np.swapaxes(np.linalg.inv(x), -1, -2)


@tangent(np.linalg.slogdet)
def slogdet_tangent(y, x):
    y_dot += pair(0.0, np.trace(np.linalg.solve(x, x_dot), axis1=-2, axis2=-1))


@adjoint(np.linalg.cholesky, shape="same")
def cholesky(y, x):
    # the symmetric gradient (x is symmetric; NumPy reads its lower triangle), as in JAX
    x_bar += cholesky_bar(y_bar, y)


@tangent(np.linalg.cholesky)
def cholesky_tangent(y, x):
    y_dot += cholesky_dot(x_dot, y)


@adjoint(np.linalg.norm, shape="reduce")
def norm(y, x, ord=None, axis=None, keepdims=False):
    # ties (ord 1/inf, repeated singular values) share or pick as documented in norm_bar;
    # the gradient at x = 0 is 0
    if ord is None and axis is None and ndim(x) == 1:
        x_bar += y_bar * x / (y + (y == 0))
    else:
        x_bar += norm_bar(y_bar, x, y, ord, axis, keepdims)


@tangent(np.linalg.norm)
def norm_tangent(y, x, ord=None, axis=None, keepdims=False):
    y_dot += norm_dot(x_dot, x, y, ord, axis, keepdims)


@adjoint(np.linalg.eigvalsh, shape="drop1")
def eigvalsh(w, x):
    # x = V diag(w) V^T: w_bar goes back as V diag(w_bar) V^T (distinct eigenvalues)
    x_bar += eigh_bar(w_bar, None, x)


@tangent(np.linalg.eigvalsh)
def eigvalsh_tangent(w, x):
    w_dot += eigh_dot(x_dot, x)[0]


@adjoint(np.linalg.eigh, shape="unknown")
def eigh(y, x):
    # y = (w, V); the eigenvectors' adjoint needs distinct eigenvalues (else inf/NaN)
    x_bar += eigh_bar(y_bar[0], y_bar[1], x)


@tangent(np.linalg.eigh)
def eigh_tangent(y, x):
    y_dot += eigh_dot(x_dot, x)


@adjoint(np.linalg.svd, shape="unknown")
def svd(y, x, full_matrices=True, compute_uv=True, hermitian=False):
    if compute_uv is False or compute_uv == 0:
        # singular values only: x = U diag(s) V^T gives x_bar = U diag(s_bar) V^T
        x_bar += svd_values_bar(y_bar, x)
    else:
        unsupported("np.linalg.svd with compute_uv=True (the gradient of U and V); "
                    "pass compute_uv=False for the singular values")


@tangent(np.linalg.svd)
def svd_tangent(y, x, full_matrices=True, compute_uv=True, hermitian=False):
    if compute_uv is False or compute_uv == 0:
        y_dot += svd_values_dot(x_dot, x)
    else:
        unsupported("np.linalg.svd with compute_uv=True (the tangent of U and V); "
                    "pass compute_uv=False for the singular values")
