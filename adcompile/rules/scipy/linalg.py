"""scipy.linalg: triangular, Cholesky, general and Sylvester solves, inv, det, expm, sqrtm.
The templates' free names are this module's (see rules/scipy/__init__.py).
"""
# ruff: noqa: F821, F841

import numpy as np
import scipy.linalg
import scipy.special
import scipy.stats

from . import rules_reading

rule, tangent_of = rules_reading(globals())
special = scipy.special
stats = scipy.stats
linalg = scipy.linalg


# -- scipy.linalg ---------------------------------------------------------------------------
# T(m) below is np.swapaxes(m, -1, -2).

@rule(linalg.solve_triangular, shape="solve")
def solve_triangular(x, a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    if ndim(a) != 2 or ndim(b) < 1 or ndim(b) > 2:
        unsupported("scipy.linalg.solve_triangular is differentiated for one matrix a (not a "
                    "stack of them, SciPy's batch) and a vector or matrix b")
    if overwrite_b is False or overwrite_b == 0:   # (one not known when transforming: refused)
        pass
    else:
        unsupported("scipy.linalg.solve_triangular with overwrite_b=True is not differentiated: "
                    "SciPy may write into b, which the code reads as it was")
    # x = op(A)^-1 b, A the triangle of a that lower names (with ones on the diagonal for
    # unit_diagonal: a's diagonal is not read), op(A) = A (trans 0, 'N') or A^T (1, 'T', and
    # 2, 'C' for a real a). b_bar = op(A)^-T x_bar, solved with the other trans; A_bar =
    # -b_bar x^T (op = A) or -x b_bar^T (op = A^T), kept on the entries of a that are read
    if trans == 0 or trans == "N":
        w = linalg.solve_triangular(a, x_bar, trans=1, lower=lower, unit_diagonal=unit_diagonal)
        g = -(as_column(w, b) @ np.swapaxes(as_column(x, b), -1, -2))
    elif trans == 1 or trans == "T" or trans == 2 or trans == "C":
        w = linalg.solve_triangular(a, x_bar, trans=0, lower=lower, unit_diagonal=unit_diagonal)
        g = -(as_column(x, b) @ np.swapaxes(as_column(w, b), -1, -2))
    else:
        unsupported("scipy.linalg.solve_triangular with trans= other than a constant 0, 1, 2, "
                    "'N', 'T' or 'C'")
    b_bar += unbroadcast(w, b)
    if lower is True or lower == 1:
        if unit_diagonal is True or unit_diagonal == 1:
            a_bar += unbroadcast(np.tril(g, -1), a)
        elif unit_diagonal is False or unit_diagonal == 0:
            a_bar += unbroadcast(np.tril(g), a)
        else:
            unsupported("scipy.linalg.solve_triangular with unit_diagonal= other than a "
                        "constant True or False")
    elif lower is False or lower == 0:
        if unit_diagonal is True or unit_diagonal == 1:
            a_bar += unbroadcast(np.triu(g, 1), a)
        elif unit_diagonal is False or unit_diagonal == 0:
            a_bar += unbroadcast(np.triu(g), a)
        else:
            unsupported("scipy.linalg.solve_triangular with unit_diagonal= other than a "
                        "constant True or False")
    else:
        unsupported("scipy.linalg.solve_triangular with lower= other than a constant True or "
                    "False")



@tangent_of(linalg.solve_triangular)
def solve_triangular_tangent(x, a, b, trans=0, lower=False, unit_diagonal=False,
                             overwrite_b=False, check_finite=True):
    if ndim(a) != 2 or ndim(b) < 1 or ndim(b) > 2:
        unsupported("scipy.linalg.solve_triangular is differentiated for one matrix a (not a "
                    "stack of them, SciPy's batch) and a vector or matrix b")
    # x_dot = op(A)^-1 (b_dot - op(A_dot) x), A_dot the entries of a_dot on the triangle read
    x_dot += linalg.solve_triangular(a, b_dot, trans=trans, lower=lower, unit_diagonal=unit_diagonal)
    if unit_diagonal is True or unit_diagonal == 1:
        k = 1
    elif unit_diagonal is False or unit_diagonal == 0:
        k = 0
    else:
        unsupported("scipy.linalg.solve_triangular with unit_diagonal= other than a constant "
                    "True or False")
    if (trans == 0 or trans == "N") and (lower is True or lower == 1):
        x_dot += -linalg.solve_triangular(a, from_column(np.tril(a_dot, -k) @ as_column(x, b), b), trans=trans, lower=lower, unit_diagonal=unit_diagonal)
    elif (trans == 0 or trans == "N") and (lower is False or lower == 0):
        x_dot += -linalg.solve_triangular(a, from_column(np.triu(a_dot, k) @ as_column(x, b), b), trans=trans, lower=lower, unit_diagonal=unit_diagonal)
    elif (trans == 1 or trans == "T" or trans == 2 or trans == "C") and (lower is True or lower == 1):
        x_dot += -linalg.solve_triangular(a, from_column(np.swapaxes(np.tril(a_dot, -k), -1, -2) @ as_column(x, b), b), trans=trans, lower=lower, unit_diagonal=unit_diagonal)
    elif (trans == 1 or trans == "T" or trans == 2 or trans == "C") and (lower is False or lower == 0):
        x_dot += -linalg.solve_triangular(a, from_column(np.swapaxes(np.triu(a_dot, k), -1, -2) @ as_column(x, b), b), trans=trans, lower=lower, unit_diagonal=unit_diagonal)
    else:
        unsupported("scipy.linalg.solve_triangular with trans= or lower= not constants "
                    "(trans 0, 1, 2, 'N', 'T' or 'C'; lower True or False)")

@rule(linalg.expm, shape="matrix")
def expm(y, a):
    if ndim(a) < 2:
        unsupported("scipy.linalg.expm is differentiated for matrices (and stacks of "
                    "them), not for a number or a vector")
    # d expm(A)[E] = int_0^1 expm(sA) E expm((1-s)A) ds, the upper right block of
    # expm([[A, E], [0, A]]) (Van Loan); its adjoint is the same block of
    # expm([[A^T, y_bar], [0, A^T]])
    m = np.shape(a)[-1]
    a_bar += linalg.expm(upper_block(np.swapaxes(a, -1, -2), y_bar))[..., :m, m:]


@tangent_of(linalg.expm)
def expm_tangent(y, a):
    if ndim(a) < 2:
        unsupported("scipy.linalg.expm is differentiated for matrices (and stacks of "
                    "them), not for a number or a vector")
    m = np.shape(a)[-1]
    y_dot += linalg.expm(upper_block(a, a_dot))[..., :m, m:]


@rule(linalg.cholesky, shape="matrix")
def cholesky(y, a, lower=False, overwrite_a=False, check_finite=True):
    if ndim(a) < 2:
        unsupported("scipy.linalg.cholesky is differentiated for matrices (and stacks of "
                    "them), not for a number or a vector")
    if overwrite_a is False or overwrite_a == 0:   # (one not known when transforming: refused)
        pass
    else:
        unsupported("scipy.linalg.cholesky with overwrite_a=True is not differentiated: "
                    "SciPy may write into a, which the code reads as it was")
    # y = L (lower) or U = L^T, A = L L^T read from that triangle of a: np.linalg.cholesky's
    # adjoint (see linalg.py), put on the triangle read
    if lower is True or lower == 1:
        L = y
        G = y_bar
        side = "L"
    elif lower is False or lower == 0:
        L = np.swapaxes(y, -1, -2)
        G = np.swapaxes(y_bar, -1, -2)
        side = "U"
    else:
        unsupported("scipy.linalg.cholesky with lower= other than a constant True or False")
    Lt = np.swapaxes(L, -1, -2)
    P = Lt @ np.tril(G)
    phi = np.tril(P) - 0.5 * np.triu(np.tril(P))
    S = np.linalg.solve(Lt, np.swapaxes(np.linalg.solve(Lt, np.swapaxes(phi, -1, -2)), -1, -2))
    a_bar += read_symmetric_bar(S, side)


@tangent_of(linalg.cholesky)
def cholesky_tangent(y, a, lower=False, overwrite_a=False, check_finite=True):
    if ndim(a) < 2:
        unsupported("scipy.linalg.cholesky is differentiated for matrices (and stacks of "
                    "them), not for a number or a vector")
    if lower is True or lower == 1:
        y_dot += cholesky_dot(a_dot, y)
    elif lower is False or lower == 0:
        y_dot += np.swapaxes(cholesky_dot(np.swapaxes(a_dot, -1, -2), np.swapaxes(y, -1, -2)), -1, -2)
    else:
        unsupported("scipy.linalg.cholesky with lower= other than a constant True or False")


@rule(linalg.cho_factor, shape="unknown")
def cho_factor(y, a, lower=False, overwrite_a=False, check_finite=True):
    if ndim(a) < 2:
        unsupported("scipy.linalg.cho_factor is differentiated for matrices (and stacks of "
                    "them), not for a number or a vector")
    if overwrite_a is False or overwrite_a == 0:   # (one not known when transforming: refused)
        pass
    else:
        unsupported("scipy.linalg.cho_factor with overwrite_a=True is not differentiated: "
                    "SciPy may write into a, which the code reads as it was")
    # y = (c, lower): c holds the Cholesky factor of A in the triangle lower names (L, A = L
    # L^T, or U = L^T), read from that triangle of a, and a's own entries in the other one.
    # The factor's part goes back as np.linalg.cholesky's (see linalg.py) onto the triangle
    # read; the other triangle's is passed on as it is
    if lower is True or lower == 1:
        L = np.tril(y[0])
        G = np.tril(y_bar[0])
        rest = np.triu(y_bar[0], 1)
        side = "L"
    elif lower is False or lower == 0:
        L = np.swapaxes(np.triu(y[0]), -1, -2)
        G = np.swapaxes(np.triu(y_bar[0]), -1, -2)
        rest = np.tril(y_bar[0], -1)
        side = "U"
    else:
        unsupported("scipy.linalg.cho_factor with lower= other than a constant True or False")
    Lt = np.swapaxes(L, -1, -2)
    P = Lt @ G
    phi = np.tril(P) - 0.5 * np.triu(np.tril(P))
    S = np.linalg.solve(Lt, np.swapaxes(np.linalg.solve(Lt, np.swapaxes(phi, -1, -2)), -1, -2))
    a_bar += read_symmetric_bar(S, side) + rest


@tangent_of(linalg.cho_factor)
def cho_factor_tangent(y, a, lower=False, overwrite_a=False, check_finite=True):
    if ndim(a) < 2:
        unsupported("scipy.linalg.cho_factor is differentiated for matrices (and stacks of "
                    "them), not for a number or a vector")
    if lower is True or lower == 1:
        y_dot += pair(cholesky_dot(a_dot, np.tril(y[0])) + np.triu(a_dot, 1), 0.0)
    elif lower is False or lower == 0:
        y_dot += pair(np.swapaxes(cholesky_dot(np.swapaxes(a_dot, -1, -2), np.swapaxes(np.triu(y[0]), -1, -2)), -1, -2) + np.tril(a_dot, -1), 0.0)
    else:
        unsupported("scipy.linalg.cho_factor with lower= other than a constant True or False")


@rule(linalg.cho_solve, shape="unknown", sequence="c_and_lower")
def cho_solve(x, c_and_lower, b, overwrite_b=False, check_finite=True):
    if ndim(b) < 1 or ndim(b) > 2:
        unsupported("scipy.linalg.cho_solve is differentiated for one matrix a (not a "
                    "stack of them, SciPy's batch) and a vector or matrix b")
    if overwrite_b is False or overwrite_b == 0:   # (one not known when transforming: refused)
        pass
    else:
        unsupported("scipy.linalg.cho_solve with overwrite_b=True is not differentiated: "
                    "SciPy may write into b, which the code reads as it was")
    # x = A^-1 b with A = L L^T (or U^T U) from the triangle of c that lower names (the other
    # one is not read). b_bar = A^-1 x_bar; with S = -(b_bar x^T + x b_bar^T), the gradient
    # of the symmetric A, L gets S L and U gets U S, on their triangle. c_and_lower is
    # cho_factor's result or a new tuple (c, lower): a sequence, whose items get the pieces
    w = linalg.cho_solve(c_and_lower, x_bar)
    b_bar += w
    R = as_column(w, b) @ np.swapaxes(as_column(x, b), -1, -2)
    S = -(R + np.swapaxes(R, -1, -2))
    c = c_and_lower[0]
    # (the pieces in an object array, see runtime.pair, written with with_item so that
    # gradient code reading them can be differentiated again)
    c_and_lower_bar += with_item(zeros_like(c_and_lower), 0, np.where(c_and_lower[1], np.tril(S @ np.tril(c)), np.triu(np.triu(c) @ S)))



@tangent_of(linalg.cho_solve)
def cho_solve_tangent(x, c_and_lower, b, overwrite_b=False, check_finite=True):
    if ndim(b) < 1 or ndim(b) > 2:
        unsupported("scipy.linalg.cho_solve is differentiated for one matrix a (not a "
                    "stack of them, SciPy's batch) and a vector or matrix b")
    # x_dot = A^-1 (b_dot - A_dot x), A_dot = L_dot L^T + L L_dot^T (or U_dot^T U + U^T U_dot)
    x_dot += linalg.cho_solve(c_and_lower, b_dot)
    x_dot += -linalg.cho_solve(c_and_lower, from_column(np.where(c_and_lower[1], np.tril(c_and_lower_dot[0]) @ np.swapaxes(np.tril(c_and_lower[0]), -1, -2) + np.tril(c_and_lower[0]) @ np.swapaxes(np.tril(c_and_lower_dot[0]), -1, -2), np.swapaxes(np.triu(c_and_lower_dot[0]), -1, -2) @ np.triu(c_and_lower[0]) + np.swapaxes(np.triu(c_and_lower[0]), -1, -2) @ np.triu(c_and_lower_dot[0])) @ as_column(x, b), b))


@rule(linalg.inv, shape="like")
def inv(y, a, overwrite_a=False, check_finite=True, assume_a=None, lower=False):
    if ndim(a) < 2:
        unsupported("scipy.linalg.inv is differentiated for matrices (and stacks of "
                    "them), not for a number or a vector")
    if overwrite_a is False or overwrite_a == 0:   # (one not known when transforming: refused)
        pass
    else:
        unsupported("scipy.linalg.inv with overwrite_a=True is not differentiated: "
                    "SciPy may write into a, which the code reads as it was")
    # np.linalg.inv's adjoint (see linalg.py), of all of a (assume_a None, 'gen') or of the
    # triangle lower names, mirrored ('sym', 'her', 'pos': the other one is not read)
    if assume_a is None or assume_a == "gen" or assume_a == "general":
        a_bar += -np.swapaxes(y, -1, -2) @ y_bar @ np.swapaxes(y, -1, -2)
    elif assume_a == "sym" or assume_a == "symmetric" or assume_a == "her" \
            or assume_a == "hermitian" or assume_a == "pos" or assume_a == "positive definite":
        if lower is True or lower == 1:
            a_bar += read_symmetric_bar(-np.swapaxes(y, -1, -2) @ y_bar @ np.swapaxes(y, -1, -2), "L")
        elif lower is False or lower == 0:
            a_bar += read_symmetric_bar(-np.swapaxes(y, -1, -2) @ y_bar @ np.swapaxes(y, -1, -2), "U")
        else:
            unsupported("scipy.linalg.inv with lower= other than a constant True or False")
    else:
        unsupported("scipy.linalg.inv with assume_a= other than a constant None, 'gen', "
                    "'sym', 'her' or 'pos' is not differentiated")


@tangent_of(linalg.inv)
def inv_tangent(y, a, overwrite_a=False, check_finite=True, assume_a=None, lower=False):
    if ndim(a) < 2:
        unsupported("scipy.linalg.inv is differentiated for matrices (and stacks of "
                    "them), not for a number or a vector")
    if assume_a is None or assume_a == "gen" or assume_a == "general":
        y_dot += -y @ a_dot @ y
    elif assume_a == "sym" or assume_a == "symmetric" or assume_a == "her" \
            or assume_a == "hermitian" or assume_a == "pos" or assume_a == "positive definite":
        if lower is True or lower == 1:
            y_dot += -y @ read_symmetric(a_dot, "L") @ y
        elif lower is False or lower == 0:
            y_dot += -y @ read_symmetric(a_dot, "U") @ y
        else:
            unsupported("scipy.linalg.inv with lower= other than a constant True or False")
    else:
        unsupported("scipy.linalg.inv with assume_a= other than a constant None, 'gen', "
                    "'sym', 'her' or 'pos' is not differentiated")


@rule(linalg.det, shape="drop2")
def det(y, a, overwrite_a=False, check_finite=True):
    if ndim(a) < 2:
        unsupported("scipy.linalg.det is differentiated for matrices (and stacks of "
                    "them), not for a number or a vector")
    # np.linalg.det's adjoint (see linalg.py); overwrite_a may destroy a, which it reads
    if overwrite_a is False or overwrite_a == 0:   # (one not known when transforming: refused)
        pass
    else:
        unsupported("scipy.linalg.det with overwrite_a=True is not differentiated: a is read "
                    "again by the gradient")
    if ndim(a) == 2:
        a_bar += y_bar * cofactor(a)
    else:
        a_bar += np.expand_dims(y_bar * np.ones_like(y), (-1, -2)) * cofactor(a)


@tangent_of(linalg.det)
def det_tangent(y, a, overwrite_a=False, check_finite=True):
    if ndim(a) < 2:
        unsupported("scipy.linalg.det is differentiated for matrices (and stacks of "
                    "them), not for a number or a vector")
    if overwrite_a is True or overwrite_a == 1:
        unsupported("scipy.linalg.det with overwrite_a=True is not differentiated: a is read "
                    "again by the gradient")
    y_dot += np.sum(cofactor(a) * a_dot, axis=(-2, -1))


@rule(linalg.solve, shape="solve")
def solve(x, a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
          assume_a=None, transposed=False):
    if ndim(a) != 2 or ndim(b) < 1 or ndim(b) > 2:
        unsupported("scipy.linalg.solve is differentiated for one matrix a (not a "
                    "stack of them, SciPy's batch) and a vector or matrix b")
    # x = op(A)^-1 b, op(A) = A or (transposed) A^T, A the matrix scipy reads: all of a
    # (assume_a None, 'gen'), or a's triangle that lower names, mirrored ('sym', 'her', 'pos':
    # the other triangle is not read). b_bar = op(A)^-T x_bar, solved by scipy with the same
    # structure; op(A)_bar = -b_bar x^T, put on the entries of a read. (overwrite_a may
    # destroy a, which this adjoint reads again: refused)
    if overwrite_a is False or overwrite_a == 0:   # (one not known when transforming: refused)
        pass
    else:
        unsupported("scipy.linalg.solve with overwrite_a=True is not differentiated: a is "
                    "read again by the gradient")
    if overwrite_b is False or overwrite_b == 0:   # (one not known when transforming: refused)
        pass
    else:
        unsupported("scipy.linalg.solve with overwrite_b=True is not differentiated: "
                    "SciPy may write into b, which the code reads as it was")
    if assume_a is None or assume_a == "gen" or assume_a == "general":
        if transposed is False or transposed == 0:
            w = linalg.solve(a, x_bar, transposed=True)
            a_bar += -(as_column(w, b) @ np.swapaxes(as_column(x, b), -1, -2))
        elif transposed is True or transposed == 1:
            w = linalg.solve(a, x_bar)
            a_bar += -(as_column(x, b) @ np.swapaxes(as_column(w, b), -1, -2))
        else:
            unsupported("scipy.linalg.solve with transposed= other than a constant True or "
                        "False")
    elif assume_a == "sym" or assume_a == "symmetric" or assume_a == "her" \
            or assume_a == "hermitian" or assume_a == "pos" or assume_a == "positive definite":
        w = linalg.solve(a, x_bar, lower=lower, assume_a=assume_a)
        if lower is True or lower == 1:
            a_bar += read_symmetric_bar(-(as_column(w, b) @ np.swapaxes(as_column(x, b), -1, -2)), "L")
        elif lower is False or lower == 0:
            a_bar += read_symmetric_bar(-(as_column(w, b) @ np.swapaxes(as_column(x, b), -1, -2)), "U")
        else:
            unsupported("scipy.linalg.solve with lower= other than a constant True or False")
    else:
        unsupported("scipy.linalg.solve with assume_a= other than a constant None, 'gen', "
                    "'sym', 'her' or 'pos' is not differentiated")
    b_bar += w


@tangent_of(linalg.solve)
def solve_tangent(x, a, b, lower=False, overwrite_a=False, overwrite_b=False,
                  check_finite=True, assume_a=None, transposed=False):
    if ndim(a) != 2 or ndim(b) < 1 or ndim(b) > 2:
        unsupported("scipy.linalg.solve is differentiated for one matrix a (not a "
                    "stack of them, SciPy's batch) and a vector or matrix b")
    if overwrite_a is True or overwrite_a == 1:
        unsupported("scipy.linalg.solve with overwrite_a=True is not differentiated: a is "
                    "read again by the gradient")
    # x_dot = op(A)^-1 (b_dot - op(A_dot) x), A_dot the matrix of a_dot's entries scipy reads
    x_dot += linalg.solve(a, b_dot, lower=lower, assume_a=assume_a, transposed=transposed)
    if assume_a is None or assume_a == "gen" or assume_a == "general":
        if transposed is False or transposed == 0:
            x_dot += -linalg.solve(a, from_column(a_dot @ as_column(x, b), b))
        elif transposed is True or transposed == 1:
            x_dot += -linalg.solve(a, from_column(np.swapaxes(a_dot, -1, -2) @ as_column(x, b), b), transposed=True)
        else:
            unsupported("scipy.linalg.solve with transposed= other than a constant True or "
                        "False")
    elif assume_a == "sym" or assume_a == "symmetric" or assume_a == "her" \
            or assume_a == "hermitian" or assume_a == "pos" or assume_a == "positive definite":
        if lower is True or lower == 1:
            x_dot += -linalg.solve(a, from_column(read_symmetric(a_dot, "L") @ as_column(x, b), b), lower=True, assume_a=assume_a)
        elif lower is False or lower == 0:
            x_dot += -linalg.solve(a, from_column(read_symmetric(a_dot, "U") @ as_column(x, b), b), lower=False, assume_a=assume_a)
        else:
            unsupported("scipy.linalg.solve with lower= other than a constant True or False")
    else:
        unsupported("scipy.linalg.solve with assume_a= other than a constant None, 'gen', "
                    "'sym', 'her' or 'pos' is not differentiated")


@rule(linalg.solve_sylvester, shape="unknown")
def solve_sylvester(x, a, b, q):
    if ndim(a) != 2 or ndim(b) != 2 or ndim(q) > 2:
        unsupported("scipy.linalg.solve_sylvester is differentiated for matrices a and "
                    "b (not stacks of them, SciPy's batches) and a matrix or number q")
    # A X + X B = Q: dX solves A dX + dX B = dQ - dA X - X dB, so q_bar solves
    # A^T q_bar + q_bar B^T = x_bar, and a_bar = -q_bar X^T, b_bar = -X^T q_bar
    w = linalg.solve_sylvester(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2), x_bar)
    if ndim(q) == 0:   # (SciPy reads a number q as q times the identity)
        q_bar += np.trace(w)
    elif ndim(q) == 1:
        unsupported("scipy.linalg.solve_sylvester with a vector q is not differentiated; "
                    "give the matrix q stands for")
    elif ndim(q) == 2:
        q_bar += w
    else:   # (the ndim known only when the code runs)
        q_bar += identity_part(w, q)
    a_bar += -(w @ np.swapaxes(x, -1, -2))
    b_bar += -(np.swapaxes(x, -1, -2) @ w)


@tangent_of(linalg.solve_sylvester)
def solve_sylvester_tangent(x, a, b, q):
    if ndim(a) != 2 or ndim(b) != 2 or ndim(q) > 2:
        unsupported("scipy.linalg.solve_sylvester is differentiated for matrices a and "
                    "b (not stacks of them, SciPy's batches) and a matrix or number q")
    if ndim(q) == 1:
        unsupported("scipy.linalg.solve_sylvester with a vector q is not differentiated; "
                    "give the matrix q stands for")
    # (a number q is q times the identity: its tangent, a number, is read so too)
    x_dot += linalg.solve_sylvester(a, b, q_dot)
    x_dot += -linalg.solve_sylvester(a, b, a_dot @ x)
    x_dot += -linalg.solve_sylvester(a, b, x @ b_dot)


@rule(linalg.sqrtm, shape="matrix")
def sqrtm(y, a):
    if ndim(a) < 2:
        unsupported("scipy.linalg.sqrtm is differentiated for matrices (and stacks of "
                    "them), not for a number or a vector")
    # Y Y = A: dY Y + Y dY = dA, a Sylvester equation, so a_bar solves Y^T a_bar + a_bar Y^T
    # = y_bar. A matrix with a negative eigenvalue has a complex square root: differentiating
    # it is refused when the gradient is computed (real_eigen)
    Yt = np.swapaxes(real_eigen(y, "scipy.linalg.sqrtm"), -1, -2)
    a_bar += linalg.solve_sylvester(Yt, Yt, y_bar)


@tangent_of(linalg.sqrtm)
def sqrtm_tangent(y, a):
    if ndim(a) < 2:
        unsupported("scipy.linalg.sqrtm is differentiated for matrices (and stacks of "
                    "them), not for a number or a vector")
    Y = real_eigen(y, "scipy.linalg.sqrtm")
    y_dot += linalg.solve_sylvester(Y, Y, a_dot)
