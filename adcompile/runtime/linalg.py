"""Linear algebra: the derivatives of det (the cofactor), solve, cholesky, eigh and svd, the
tangent of qr, and the symmetric matrix eigh, cholesky and svd(hermitian=True) read."""

import numpy as np

from .prods import prod_others
from .values import pair


def _T(a):
    """Each matrix of ``a`` transposed (its last two axes swapped)."""
    return np.swapaxes(a, -1, -2)


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


def solve_dot(a, a_dot, b, z):
    """The tangent of ``z = np.linalg.solve(a, b)`` along ``a_dot``: -a^-1 a_dot z."""
    if np.ndim(b) == 1:
        return -np.linalg.solve(a, (a_dot @ np.asarray(z)[..., None]))[..., 0]
    return -np.linalg.solve(a, a_dot @ z)


def _phi(a):
    """The lower triangle of ``a`` with its diagonal halved."""
    return np.tril(a) - 0.5 * np.eye(a.shape[-1], dtype=a.dtype) * a


def identity_part(w, q):
    """The adjoint of ``q`` where a matrix function reads it as a matrix, given ``w``, that
    of the matrix: ``w`` for a matrix, its trace for a number (read as q times the identity,
    as scipy.linalg.solve_sylvester does). For code that learns q's ndim only when it runs;
    a vector (which SciPy reads otherwise) is refused there."""
    if np.ndim(q) == 0:
        return np.trace(w)
    if np.ndim(q) != 2:
        raise ValueError(f"scipy.linalg.solve_sylvester with q of {np.ndim(q)} dimensions is "
                         f"not differentiated; give the matrix q stands for")
    return w


def identity_spread(u, w, q):
    """The transpose of ``identity_part(w, q)`` (the adjoint of ``w`` given ``u``, that of
    the result): ``u`` times the identity for a number ``q``, ``u`` for a matrix."""
    if np.ndim(q) == 0:
        return u * np.eye(np.shape(w)[-1], dtype=np.result_type(u, w, 1.0))
    return u


def cholesky_dot(x_dot, L):
    """The tangent of ``L = np.linalg.cholesky(x)`` along x_dot, of which only the lower
    triangle counts (cholesky reads no other)."""
    s = read_symmetric(x_dot, "L")
    inner = np.linalg.solve(L, _T(np.linalg.solve(L, _T(s))))      # L^-1 s L^-T
    return L @ _phi(inner)


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


def _right_solve(b, r):
    """``b @ inv(r)`` for (stacks of) invertible ``r``: the solution z of z r = b."""
    return _T(np.linalg.solve(_T(r), _T(b)))


def _square_qr_dot(q, r, x_dot):
    """(q_dot, r_dot) of ``q, r = np.linalg.qr(x)`` along x_dot, x not wider than tall:
    with Z = x_dot r^-1 and X = q^T Z, whose part below the diagonal makes the skew matrix
    W = tril(X, -1) - tril(X, -1)^T: r_dot = (X - W) r, q_dot = Z - q (X - W)."""
    z = _right_solve(x_dot, r)
    x = _T(q) @ z
    lower = np.tril(x, -1)
    upper = x - lower + _T(lower)
    return z - q @ upper, upper @ r


def qr_dot(x_dot, y):
    """The tangent (Q_dot, R_dot) of the reduced QR ``y = (Q, R) = np.linalg.qr(x)`` along
    x_dot (x of full rank; for x wider than tall, R2 = Q^T Y moves with Q and Y)."""
    q, r = y
    k = q.shape[-1]
    if r.shape[-1] == k:
        return pair(*_square_qr_dot(q, r, x_dot))
    q_dot, r1_dot = _square_qr_dot(q, r[..., :k], x_dot[..., :k])
    r2_dot = _T(q) @ (x_dot[..., k:] - q_dot @ r[..., k:])
    return pair(q_dot, np.concatenate([r1_dot, r2_dot], axis=-1))


def _lstsq_parts(y, a, b):
    """(X, R, n) for y = np.linalg.lstsq(a, b): the solution and the residual b - a x as
    matrices of columns, and a's number of columns; a ValueError where a is not of full
    column rank (the solution is then the least-norm one, whose derivative differs)."""
    a = np.asarray(a)
    m, n = a.shape
    if y[2] < n:
        raise ValueError(f"np.linalg.lstsq is differentiated for a matrix of full column "
                         f"rank ({n}); this {m}x{n} matrix has rank {y[2]}")
    X = np.reshape(y[0], (n, -1))
    return X, np.reshape(b, (m, -1)) - a @ X, n


def lstsq_bar(y_bar, y, a, b):
    """(a_bar, b_bar) for ``y = (x, residuals, rank, s) = np.linalg.lstsq(a, b)``, a of full
    column rank: x = (a^T a)^-1 a^T b gives, with z = (a^T a)^-1 x_bar and r = b - a x,
    a_bar = r z^T - a z x^T and b_bar = a z; at the solution a^T r = 0, so the residuals
    |r|^2 give 2 r res_bar to b and -2 r res_bar x^T to a; the singular values
    U diag(s_bar) V^T to a."""
    X, R, n = _lstsq_parts(y, a, b)
    G = np.reshape(np.broadcast_to(y_bar[0], np.shape(y[0])), (n, -1))
    Z = np.linalg.solve(_T(a) @ a, G)
    AZ = a @ Z
    a_bar, b_bar = R @ _T(Z) - AZ @ _T(X), AZ
    res_bar = np.asarray(y_bar[1])
    if res_bar.size and np.size(y[1]):
        W = 2 * R * np.broadcast_to(np.ravel(res_bar), (R.shape[1],))
        a_bar, b_bar = a_bar - W @ _T(X), b_bar + W
    s_bar = np.asarray(y_bar[3])
    if np.any(s_bar):
        U, _, Vt = np.linalg.svd(a, full_matrices=False)
        a_bar = a_bar + (U * s_bar) @ Vt
    return pair(a_bar, np.reshape(b_bar, np.shape(b)))


def lstsq_dot(a_dot, b_dot, y, a, b):
    """The tangent (x_dot, residuals_dot, 0, s_dot) of ``y = np.linalg.lstsq(a, b)`` along
    a_dot and b_dot (a of full column rank; see lstsq_bar): x_dot = (a^T a)^-1 (a_dot^T r -
    a^T a_dot x + a^T b_dot), the residuals' 2 r . (b_dot - a_dot x), s_dot = diag(U^T a_dot
    V)."""
    X, R, n = _lstsq_parts(y, a, b)
    # (a zero tangent, 0.0, in the solution's precision: float32 stays float32)
    A_dot = np.broadcast_to(np.asarray(a_dot, dtype=np.result_type(a_dot, X)), np.shape(a))
    B_dot = np.reshape(np.broadcast_to(np.asarray(b_dot, dtype=np.result_type(b_dot, X)),
                                       np.shape(b)), R.shape)
    moved = B_dot - A_dot @ X
    X_dot = np.linalg.solve(_T(a) @ a, _T(A_dot) @ R + _T(a) @ moved)
    res_dot = 2 * np.sum(R * moved, axis=0) if np.size(y[1]) else np.zeros_like(y[1])
    U, _, Vt = np.linalg.svd(a, full_matrices=False)
    s_dot = np.sum(U * (A_dot @ _T(Vt)), axis=0)
    return pair(np.reshape(X_dot, np.shape(y[0])), res_dot, 0, s_dot)
