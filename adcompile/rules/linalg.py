"""Adjoints of ``np.linalg`` functions.

Matrices may be stacked (``(..., n, n)``), as NumPy allows; ``T(a)`` below is
``np.swapaxes(a, -1, -2)``. Where a function is not differentiable (a singular
matrix for ``inv``/``solve``/``det``, repeated eigenvalues for eigenvectors)
the gradient is whatever the formula gives there, as in JAX: inf or NaN.
"""
# ruff: noqa: F821, F841

import numpy as np

from . import adjoint, tangent


@adjoint(np.linalg.inv, shape="like")
def inv(y, x):
    x_bar += -np.swapaxes(y, -1, -2) @ y_bar @ np.swapaxes(y, -1, -2)


@tangent(np.linalg.inv)
def inv_tangent(y, x):
    y_dot += -y @ x_dot @ y


@adjoint(np.linalg.solve, shape="solve")
def solve(z, a, b):
    # z = a^-1 b: b_bar = a^-T z_bar, a_bar = -b_bar z^T; a vector b is a column (NumPy solves
    # for a column when b has one dimension)
    if ndim(a) == 2 and ndim(b) == 1:
        w = np.linalg.solve(a.T, z_bar)
        b_bar += w
        a_bar += -np.outer(w, z)
    elif ndim(a) == 2 and ndim(b) == 2:
        w = np.linalg.solve(a.T, z_bar)
        b_bar += w
        a_bar += -(w @ z.T)
    else:
        w = np.linalg.solve(np.swapaxes(a, -1, -2), as_column(z_bar, b))
        b_bar += unbroadcast(from_column(w, b), b)
        a_bar += unbroadcast(-(w @ np.swapaxes(as_column(z, b), -1, -2)), a)


@tangent(np.linalg.solve)
def solve_tangent(z, a, b):
    z_dot += solve_dot(a, a_dot, b, z)
    z_dot += np.linalg.solve(a, b_dot)


@adjoint(np.linalg.det, shape="drop2")
def det(y, x):
    # d det(x) = <cofactor(x), dx>, det(x) x^-T where x is invertible (and defined where it
    # is not: a singular matrix has a gradient too)
    if ndim(x) == 2:
        x_bar += y_bar * cofactor(x)
    else:   # (y_bar in y's precision: a Python float would make the product float64)
        x_bar += np.expand_dims(y_bar * np.ones_like(y), (-1, -2)) * cofactor(x)


@tangent(np.linalg.det)
def det_tangent(y, x):
    y_dot += np.sum(cofactor(x) * x_dot, axis=(-2, -1))


@adjoint(np.linalg.slogdet, shape="sequence")
def slogdet(y, x):
    # y = (sign, log|det x|): the sign is piecewise constant, d log|det x| = tr(x^-1 dx)
    x_bar += np.expand_dims(y_bar[1], (-1, -2)) * np.swapaxes(np.linalg.inv(x), -1, -2)


@tangent(np.linalg.slogdet)
def slogdet_tangent(y, x):
    y_dot += pair(0.0, np.trace(np.linalg.solve(x, x_dot), axis1=-2, axis2=-1))


@adjoint(np.linalg.cholesky, shape="like")
def cholesky(y, x):
    # x = L L^T: P = phi(L^T L_bar), the lower triangle with its diagonal halved; S = L^-T P
    # L^-1 is the gradient for a symmetric x, as in JAX. NumPy reads only x's lower triangle:
    # read_symmetric_bar puts S there (an entry below the diagonal stands for two)
    Lt = np.swapaxes(y, -1, -2)
    P = Lt @ y_bar
    phi = np.tril(P) - 0.5 * np.triu(np.tril(P))
    S = np.linalg.solve(Lt, np.swapaxes(np.linalg.solve(Lt, np.swapaxes(phi, -1, -2)), -1, -2))
    x_bar += read_symmetric_bar(S, "L")


@tangent(np.linalg.cholesky)
def cholesky_tangent(y, x):
    y_dot += cholesky_dot(x_dot, y)


@adjoint(np.linalg.norm, shape="reduce")
def norm(y, x, ord=None, axis=None, keepdims=False):
    # the 2-norm (Frobenius for matrices): x / y, 0 where y = 0. Other orders: norm_bar, where
    # ties (ord 1/inf, repeated singular values) share as documented; the gradient at 0 is 0
    if ord is None and axis is None and ndim(x) == 1:
        x_bar += y_bar * x / (y + (y == 0))
    elif ord is None or ord == "fro":
        x_bar += unreduce(y_bar / (y + (y == 0)), x, axis=axis, keepdims=keepdims) * x
    else:
        x_bar += norm_bar(y_bar, x, y, ord, axis, keepdims)


@tangent(np.linalg.norm)
def norm_tangent(y, x, ord=None, axis=None, keepdims=False):
    y_dot += norm_dot(x_dot, x, y, ord, axis, keepdims)


@adjoint(np.linalg.vector_norm, shape="reduce")
def vector_norm(y, x, axis=None, keepdims=False, ord=2):
    # the 2-norm of the entries along axis (all of them for None, whatever x's ndim): x / y, 0
    # where y = 0; another ord of a vector as np.linalg.norm's
    if ord == 2:
        x_bar += unreduce(y_bar / (y + (y == 0)), x, axis=axis, keepdims=keepdims) * x
    elif ndim(x) != 1:
        unsupported("np.linalg.vector_norm with an ord other than 2 is differentiated for "
                    "vectors only; give np.linalg.norm an int axis")
    else:
        x_bar += norm_bar(y_bar, x, y, ord, None, keepdims)


@tangent(np.linalg.vector_norm)
def vector_norm_tangent(y, x, axis=None, keepdims=False, ord=2):
    if ord == 2:
        y_dot += np.sum(x * x_dot, axis=axis, keepdims=keepdims) / (y + (y == 0))
    elif ndim(x) != 1:
        unsupported("np.linalg.vector_norm with an ord other than 2 is differentiated for "
                    "vectors only; give np.linalg.norm an int axis")
    else:
        y_dot += norm_dot(x_dot, x, y, ord, None, keepdims)


@adjoint(np.linalg.matrix_norm, shape="unknown")
def matrix_norm(y, x, keepdims=False, ord="fro"):
    # np.linalg.norm of the matrices on the last two axes
    x_bar += norm_bar(y_bar, x, y, ord, (-2, -1), keepdims)


@tangent(np.linalg.matrix_norm)
def matrix_norm_tangent(y, x, keepdims=False, ord="fro"):
    y_dot += norm_dot(x_dot, x, y, ord, (-2, -1), keepdims)


@adjoint(np.linalg.eigvalsh, shape="drop1")
def eigvalsh(w, x, UPLO="L"):
    # eigvalsh reads the UPLO triangle of x, the matrix A = read_symmetric(x, UPLO) = V diag(w)
    # V^T: w_bar goes back as V diag(w_bar) V^T (distinct eigenvalues), put on that triangle
    V = np.linalg.eigh(x, UPLO)[1]
    x_bar += read_symmetric_bar((V * np.expand_dims(w_bar, -2)) @ np.swapaxes(V, -1, -2), UPLO)


@tangent(np.linalg.eigvalsh)
def eigvalsh_tangent(w, x, UPLO="L"):
    w_dot += eigh_dot(x_dot, x, UPLO)[0]


@adjoint(np.linalg.eigh, shape="sequence")
def eigh(y, x, UPLO="L"):
    # y = (w, V), A = read_symmetric(x, UPLO) = V diag(w) V^T (eigh reads the UPLO triangle of
    # x): A_bar = V (diag(w_bar) + F * (V^T V_bar)) V^T with F[i, j] = 1 / (w[j] - w[i]) off
    # the diagonal (distinct eigenvalues, else inf/NaN), put on the triangle read
    V = y[1]
    eye = np.eye(np.shape(V)[-1], dtype=V.dtype)
    F = (1.0 - eye) / (np.expand_dims(y[0], -2) - np.expand_dims(y[0], -1) + eye)
    inner = np.expand_dims(y_bar[0], -2) * eye + F * (np.swapaxes(V, -1, -2) @ y_bar[1])
    x_bar += read_symmetric_bar(V @ inner @ np.swapaxes(V, -1, -2), UPLO)


@tangent(np.linalg.eigh)
def eigh_tangent(y, x, UPLO="L"):
    y_dot += eigh_dot(x_dot, x, UPLO)


@adjoint(np.linalg.svd, shape="unknown")
def svd(y, x, full_matrices=True, compute_uv=True, hermitian=False):
    # g is the gradient for the matrix factorised: x itself, or for hermitian=True the matrix
    # read from x's lower triangle (NumPy calls eigh), and then g goes onto that triangle
    if compute_uv is False or compute_uv == 0:
        # singular values only: x = U diag(s) V^T gives x_bar = U diag(s_bar) V^T
        usv = np.linalg.svd(x, full_matrices=False, hermitian=hermitian)
        g = (usv[0] * np.expand_dims(y_bar, -2)) @ usv[2]
    elif full_matrices is False or full_matrices == 0:
        # the thin SVD x = U diag(s) V^T, y = (U, s, V^T), with distinct nonzero singular
        # values (else inf/NaN); derived in docs/svd.md. With F[i, j] = 1 / (s[j]^2 - s[i]^2)
        # off the diagonal, J = U^T U_bar and K = V^T V_bar:
        # x_bar = U (F*(J - J^T) S + diag(s_bar) + S F*(K - K^T)) V^T
        #         + (I - U U^T) U_bar S^-1 V^T + U S^-1 V_bar^T (I - V V^T)
        U = y[0]
        s = y[1]
        Vt = y[2]
        eye = np.eye(np.shape(s)[-1], dtype=s.dtype)
        F = (1.0 - eye) / (np.expand_dims(s * s, -2) - np.expand_dims(s * s, -1) + eye)
        J = np.swapaxes(U, -1, -2) @ y_bar[0]
        K = Vt @ np.swapaxes(y_bar[2], -1, -2)
        inner = (F * (J - np.swapaxes(J, -1, -2))) * np.expand_dims(s, -2) \
            + np.expand_dims(y_bar[1], -2) * eye \
            + np.expand_dims(s, -1) * (F * (K - np.swapaxes(K, -1, -2)))
        left = (y_bar[0] - U @ J) / np.expand_dims(s, -2)
        right = y_bar[2] - (y_bar[2] @ np.swapaxes(Vt, -1, -2)) @ Vt
        g = U @ inner @ Vt + left @ Vt + (U / np.expand_dims(s, -2)) @ right
    else:
        unsupported("np.linalg.svd with full_matrices=True (the default) and compute_uv=True: "
                    "the extra columns of U or V are not unique; pass full_matrices=False "
                    "for the thin SVD, or compute_uv=False for the singular values only")
    if hermitian is False or hermitian == 0:
        x_bar += g
    elif hermitian is True or hermitian == 1:
        x_bar += read_symmetric_bar(g, "L")
    else:
        unsupported("np.linalg.svd with hermitian= other than a constant True or False")


@tangent(np.linalg.svd)
def svd_tangent(y, x, full_matrices=True, compute_uv=True, hermitian=False):
    if compute_uv is False or compute_uv == 0:
        y_dot += svd_values_dot(x_dot, x, hermitian)
    elif full_matrices is False or full_matrices == 0:
        y_dot += svd_dot(x_dot, y, hermitian)
    else:
        unsupported("np.linalg.svd with full_matrices=True (the default) and compute_uv=True: "
                    "the extra columns of U or V are not unique; pass full_matrices=False "
                    "for the thin SVD, or compute_uv=False for the singular values only")


@adjoint(np.linalg.qr, shape="sequence")
def qr(y, x, mode="reduced"):
    # the reduced QR y = (Q, R) of a matrix of full rank, k = min(m, n): x = [X, Y] with X
    # its first k columns, X = Q R1, Y = Q R2 (none for k = n). R2_bar sends Q R2_bar to Y
    # and Y R2_bar^T to Q; then, with M = R1 R1_bar^T - Q_bar^T Q made symmetric from its
    # lower triangle, X_bar = (Q_bar + Q sym(M)) R1^-T. (Where a column has zeros below the
    # diagonal, LAPACK's signs jump: the gradient is that of the factors returned, as in
    # JAX and PyTorch.) Other modes give no Q, or columns of Q that are not unique
    if mode == "reduced":
        Q = y[0]
        k = np.shape(Q)[-1]
        R1 = y[1][..., :k]
        R2_bar = y_bar[1][..., k:]
        Q_bar = y_bar[0] + (Q @ y[1][..., k:]) @ np.swapaxes(R2_bar, -1, -2)
        M = R1 @ np.swapaxes(y_bar[1][..., :k], -1, -2) - np.swapaxes(Q_bar, -1, -2) @ Q
        B = Q_bar + Q @ (np.tril(M) + np.swapaxes(np.tril(M, -1), -1, -2))
        X_bar = np.swapaxes(np.linalg.solve(R1, np.swapaxes(B, -1, -2)), -1, -2)
        x_bar += np.concatenate([X_bar, Q @ R2_bar], axis=-1)
    else:
        unsupported("np.linalg.qr with mode= other than 'reduced' (the default): 'complete' "
                    "adds columns to Q that are not unique, 'r' and 'raw' leave Q out; use "
                    "the reduced QR")


@tangent(np.linalg.qr)
def qr_tangent(y, x, mode="reduced"):
    if mode == "reduced":
        y_dot += qr_dot(x_dot, y)
    else:
        unsupported("np.linalg.qr with mode= other than 'reduced' (the default)")


@adjoint(np.linalg.pinv, shape="same")
def pinv(y, x, rcond=None, hermitian=False):
    # P = pinv(A), differentiable where the rank of A is locally constant (Golub and Pereyra):
    # A_bar = -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A), G = y_bar
    if hermitian is True or hermitian == 1:
        unsupported("np.linalg.pinv with hermitian=True: call it without (the result is the same)")
    else:
        Gt = np.swapaxes(y_bar, -1, -2)
        Pt = np.swapaxes(y, -1, -2)
        left = Gt @ y @ Pt
        right = Pt @ y @ Gt
        x_bar += -(Pt @ y_bar @ Pt) + (left - x @ (y @ left)) + (right - (right @ y) @ x)


@tangent(np.linalg.pinv)
def pinv_tangent(y, x, rcond=None, hermitian=False):
    # dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P (of a matrix read whole:
    # with hermitian=True NumPy reads one triangle, and dA would be that triangle's)
    if hermitian is True or hermitian == 1:
        unsupported("np.linalg.pinv with hermitian=True: call it without (the result is the same)")
    Pt = np.swapaxes(y, -1, -2)
    y_dot += -(y @ x_dot @ y) + (y @ Pt @ np.swapaxes(x_dot, -1, -2)) @ (np.eye(np.shape(x)[-2], dtype=y.dtype) - x @ y) + (np.eye(np.shape(x)[-1], dtype=y.dtype) - y @ x) @ (np.swapaxes(x_dot, -1, -2) @ Pt @ y)


@adjoint(np.linalg.matrix_power, shape="like")
def matrix_power(y, a, n=1):
    # d(A^n) = sum_k A^k dA A^(n-1-k), the upper right block of [[A, dA], [0, A]]^n
    # (upper_block); its adjoint is the same sum with A^T and y_bar. A negative n is the power
    # -n of inv(A), whose adjoint goes back through inv
    m = np.shape(a)[-1]
    if n >= 0:
        a_bar += np.linalg.matrix_power(upper_block(np.swapaxes(a, -1, -2), y_bar), n)[..., :m, m:]
    elif n < 0:
        qt = np.swapaxes(np.linalg.inv(a), -1, -2)
        q_bar = np.linalg.matrix_power(upper_block(qt, y_bar), -n)[..., :m, m:]
        a_bar += -(qt @ q_bar @ qt)
    else:   # n not a constant
        q = np.linalg.inv(a) if n < 0 else a
        qt = np.swapaxes(q, -1, -2)
        q_bar = np.linalg.matrix_power(upper_block(qt, y_bar), abs(n))[..., :m, m:]
        a_bar += -(qt @ q_bar @ qt) if n < 0 else q_bar


@tangent(np.linalg.matrix_power)
def matrix_power_tangent(y, a, n=1):
    m = np.shape(a)[-1]
    if n >= 0:
        y_dot += np.linalg.matrix_power(upper_block(a, a_dot), n)[..., :m, m:]
    elif n < 0:
        q = np.linalg.inv(a)
        y_dot += np.linalg.matrix_power(upper_block(q, -(q @ a_dot @ q)), -n)[..., :m, m:]
    else:
        q = np.linalg.inv(a) if n < 0 else a
        y_dot += np.linalg.matrix_power(upper_block(q, -(q @ a_dot @ q) if n < 0 else a_dot), abs(n))[..., :m, m:]


@adjoint(np.linalg.eig, shape="sequence")
def eig(y, x):
    # y = (w, V), x = V diag(w) V^-1 with real, distinct eigenvalues (complex ones are refused
    # when the gradient is computed: real_eigen) and unit columns of V (NumPy's choice):
    # x_bar = V^-T (diag(w_bar) + F * (V^T Vb)) V^T, F[i, j] = 1 / (w[j] - w[i]) off the
    # diagonal, Vb = V_bar - V diag(diag(V^T V_bar)) (the part keeping the columns' length)
    w = real_eigen(y[0], "np.linalg.eig")
    V = real_eigen(y[1], "np.linalg.eig")
    eye = np.eye(np.shape(V)[-1], dtype=V.dtype)
    F = (1.0 - eye) / (np.expand_dims(w, -2) - np.expand_dims(w, -1) + eye)
    Vb = y_bar[1] - V * np.expand_dims(np.sum(V * y_bar[1], axis=-2), -2)
    inner = np.expand_dims(y_bar[0], -2) * eye + F * (np.swapaxes(V, -1, -2) @ Vb)
    x_bar += np.linalg.solve(np.swapaxes(V, -1, -2), inner @ np.swapaxes(V, -1, -2))


@tangent(np.linalg.eig)
def eig_tangent(y, x):
    # M = V^-1 dx V: dw = diag(M), dV = V (F * M), less each column's change of length
    y_dot += eig_dot(x_dot, y[0], y[1])


@adjoint(np.linalg.eigvals, shape="drop1")
def eigvals(w, x):
    # the eigenvalues' part of eig's adjoint: V^-T diag(w_bar) V^T
    V = real_eigen(np.linalg.eig(x)[1], "np.linalg.eigvals")
    x_bar += np.linalg.solve(np.swapaxes(V, -1, -2), np.expand_dims(w_bar, -1) * np.swapaxes(V, -1, -2))


@tangent(np.linalg.eigvals)
def eigvals_tangent(w, x):
    w_dot += eig_dot(x_dot, w, np.linalg.eig(x)[1])[0]


@adjoint(np.linalg.multi_dot, shape="unknown", sequence="xs")
def multi_dot(y, xs):
    # the product of the chain in the cheapest order (the matrix-chain problem); the adjoint
    # goes down the same tree of products
    xs_bar += multi_dot_bar(y_bar, xs)


@tangent(np.linalg.multi_dot)
def multi_dot_tangent(y, xs):
    y_dot += multi_dot_dot(xs_dot, xs)


@adjoint(np.linalg.lstsq, shape="sequence")
def lstsq(y, a, b, rcond=None):
    # y = (x, residuals, rank, s) for a matrix a of full column rank (lstsq_bar checks the
    # rank): x = (a^T a)^-1 a^T b, its residuals and a's singular values
    bars = lstsq_bar(y_bar, y, a, b)
    a_bar += bars[0]
    b_bar += bars[1]


@tangent(np.linalg.lstsq)
def lstsq_tangent(y, a, b, rcond=None):
    y_dot += lstsq_dot(a_dot, 0.0, y, a, b)
    y_dot += lstsq_dot(0.0, b_dot, y, a, b)

