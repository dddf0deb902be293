"""Dynamic programs written through a name for a row of a preallocated array
(frontend/row_views.py): ``a = alpha[t]; a[:] = ...; a /= a.sum()``, and a previous row
kept while the next is written (``prev = alpha[t - 1]; alpha[t] = prev @ A``).

Each gradient is checked against central finite differences (and forward mode), and
against autograd's gradient of a twin written without assignments into arrays (which
autograd cannot trace). What the pass cannot show to be the row (an index not known to be
an int, an array rebound in the block, a row that escapes into a list or another name
while it is changed) stays refused at its line.
"""

import numpy as np
import pytest
from conftest import assert_close, assert_grad, autograd_gradient

import adcompile as ad

rng = np.random.default_rng(2024)
K, T = 3, 6
A_TRANS = rng.dirichlet(np.ones(K), size=K)
EMIT = rng.uniform(0.2, 1.0, size=(T, K))
SEQ_X = rng.normal(size=5)
SEQ_Y = rng.normal(size=4)


# -- HMM forward and backward recursions ---------------------------------------------------

def hmm_scaled_forward(A, E):
    """The scaled forward algorithm: each row normalised in place, the log-likelihood the
    sum of the logs of the scales."""
    T, K = E.shape
    alpha = np.zeros((T, K))
    alpha[0] = E[0] / K
    loglik = 0.0
    for t in range(T):
        a = alpha[t]
        if t > 0:
            a[:] = (alpha[t - 1] @ A) * E[t]
        c = a.sum()
        a /= c
        loglik = loglik + np.log(c)
    return loglik


def hmm_scaled_forward_twin(A, E):
    T, K = E.shape
    a = E[0] / K
    loglik = 0.0
    for t in range(T):
        if t > 0:
            a = (a @ A) * E[t]
        c = np.sum(a)
        a = a / c
        loglik = loglik + np.log(c)
    return loglik


def hmm_prev_row(A, E):
    """The previous row named, read after the next row is written and normalised."""
    T, K = E.shape
    alpha = np.zeros((T, K))
    alpha[0] = E[0]
    for t in range(1, T):
        prev = alpha[t - 1]
        alpha[t] = (prev @ A) * E[t]
        alpha[t] /= prev.sum()
    return np.log(alpha[-1].sum())


def hmm_prev_row_twin(A, E):
    T, K = E.shape
    prev = E[0]
    for t in range(1, T):
        cur = (prev @ A) * E[t] / np.sum(prev)
        prev = cur
    return np.log(np.sum(prev))


def hmm_both_rows_named(A, E):
    """``prev`` and ``cur`` both rows of alpha, ``cur`` written entry by entry."""
    T, K = E.shape
    alpha = np.zeros((T, K))
    alpha[0] = E[0]
    for t in range(1, T):
        prev = alpha[t - 1]
        cur = alpha[t]
        for j in range(K):
            cur[j] = np.dot(prev, A[:, j]) * E[t, j]
        cur *= 1.0 / cur.sum()
    return np.sum(alpha[1:] ** 2)


def hmm_both_rows_named_twin(A, E):
    T, K = E.shape
    prev, rows = E[0], []
    for t in range(1, T):
        cur = np.array([np.dot(prev, A[:, j]) * E[t, j] for j in range(K)])
        cur = cur * (1.0 / np.sum(cur))
        rows.append(cur)
        prev = cur
    return np.sum(np.stack(rows) ** 2)


def hmm_backward(A, E):
    """The backward recursion, each row scaled by its largest entry."""
    T, K = E.shape
    beta = np.ones((T, K))
    for t in range(T - 2, -1, -1):
        b = beta[t]
        b[:] = A @ (E[t + 1] * beta[t + 1])
        b /= b.max()
    return np.sum(beta[0] * E[0])


def hmm_backward_twin(A, E):
    T, K = E.shape
    b = np.ones(K)
    for t in range(T - 2, -1, -1):
        b = A @ (E[t + 1] * b)
        b = b / np.max(b)
    return np.sum(b * E[0])


def soft_viterbi(logA, logE):
    """A Viterbi-like recursion in log space with a soft maximum, each entry of the row
    written through its name."""
    T, K = logE.shape
    V = np.zeros((T, K))
    V[0] = logE[0]
    for t in range(1, T):
        row = V[t]
        for j in range(K):
            s = V[t - 1] + logA[:, j]
            m = np.max(s)
            row[j] = m + np.log(np.sum(np.exp(s - m))) + logE[t, j]
    return np.sum(V[-1])


def soft_viterbi_twin(logA, logE):
    T, K = logE.shape
    v = logE[0]
    for t in range(1, T):
        entries = []
        for j in range(K):
            s = v + logA[:, j]
            m = np.max(s)
            entries.append(m + np.log(np.sum(np.exp(s - m))) + logE[t, j])
        v = np.stack(entries)
    return np.sum(v)


def heat_rows(u0, k):
    """Explicit heat steps, each into the next row of a preallocated grid through its name."""
    U = np.zeros((4, len(u0)))
    U[0] = u0
    for n in range(3):
        row = U[n + 1]
        row[:] = U[n]
        row[1:-1] += k * (U[n, 2:] - 2 * U[n, 1:-1] + U[n, :-2])
    return np.sum(U ** 2)


def heat_rows_twin(u0, k):
    rows = [u0]
    for n in range(3):
        u = rows[-1]
        inner = u[1:-1] + k * (u[2:] - 2 * u[1:-1] + u[:-2])
        rows.append(np.concatenate([u[:1], inner, u[-1:]]))
    return np.sum(np.stack(rows) ** 2)


def row_read_after_the_loop(x):
    """The last row's name read after the loop: the row as the last iteration left it."""
    M = np.zeros((3, len(x)))
    for t in range(3):
        a = M[t]
        a[:] = x * (t + 1.0)
        a -= a.mean()
    return np.sum(a ** 3) + np.sum(M)


def row_read_after_the_loop_twin(x):
    a = None
    total = 0.0
    for t in range(3):
        a = x * (t + 1.0)
        a = a - np.mean(a)
        total = total + np.sum(a)
    return np.sum(a ** 3) + total


EM_LOG = np.log(EMIT)
A_LOG = np.log(A_TRANS)
CASES = [
    (hmm_scaled_forward, hmm_scaled_forward_twin, (A_TRANS, EMIT), (0, 1)),
    (hmm_prev_row, hmm_prev_row_twin, (A_TRANS, EMIT), (0, 1)),
    (hmm_both_rows_named, hmm_both_rows_named_twin, (A_TRANS, EMIT), (0, 1)),
    (hmm_backward, hmm_backward_twin, (A_TRANS, EMIT), (0, 1)),
    (soft_viterbi, soft_viterbi_twin, (A_LOG, EM_LOG), (0, 1)),
    (heat_rows, heat_rows_twin, (SEQ_X, 0.2), (0, 1)),
    (row_read_after_the_loop, row_read_after_the_loop_twin, (SEQ_X,), 0),
]


@pytest.mark.parametrize("f, twin, args, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_recursions_through_row_names(f, twin, args, wrt):
    assert_close(twin(*args), f(*args), 1e-12, 1e-12, "the twin's value")
    got = assert_grad(f, *args, wrt=wrt)
    want = autograd_gradient(twin, *args, wrt=wrt)
    for g, w in zip(got if isinstance(wrt, tuple) else (got,),
                    want if isinstance(wrt, tuple) else (want,)):
        assert_close(g, w, 1e-9, 1e-11, f"{f.__name__} against autograd")


def test_the_generated_code_writes_the_rows_of_the_array():
    """The block is written through alpha: no copy of the row named, no refusal."""
    code = ad.show(hmm_scaled_forward, wrt=(0, 1), args=(A_TRANS, EMIT))
    assert "alpha_2[t, :] = " in code or "alpha_3[t, :] = " in code, code
    assert "require_rows" not in code   # (alpha is made with two dimensions)


def test_a_row_of_an_argument_is_checked_when_the_code_runs():
    """The array an argument: ``require_rows`` when its dimensions are not known (a
    vector's items are numbers); a list (whose items are arrays of their own) is a
    structure, left as written and refused."""
    def f(x, B):
        a = B[1]
        a[:] = x * 2.0
        return np.sum(B ** 2) + np.sum(a * x)

    B = rng.normal(size=(3, 4))
    assert_grad(f, SEQ_X[:4], B, wrt=(0, 1))
    source = ad.show(f, wrt=0)
    assert "require_rows(B" in source
    with pytest.raises(TypeError, match="rows"):
        ad.grad(f)(SEQ_X[:4], np.zeros(4))
    with pytest.raises(ad.TransformError, match="a\\[:\\] = x \\* 2.0"):
        ad.grad(f)(SEQ_X[:4], [np.zeros(4), np.zeros(4)])


def test_a_number_read_from_a_vector_is_still_a_number():
    """``x = w[i]; x *= 2`` of a vector binds a new number: nothing to rewrite."""
    def f(w):
        total = 0.0
        for i in range(len(w)):
            x = w[i]
            x *= 2.0
            total = total + x * w[i]
        return total

    assert_grad(f, SEQ_X)


# -- what stays refused ----------------------------------------------------------------------

def row_appended_then_changed(x):
    M = np.zeros((3, len(x)))
    rows = []
    for t in range(3):
        a = M[t]
        rows.append(a)
        a[:] = x * t
    return np.sum(rows[0] * rows[2])


def row_under_another_name(x):
    M = np.zeros((3, len(x)))
    for t in range(3):
        a = M[t]
        b = a
        a[:] = x * t
        M[t] = b * 2.0
    return np.sum(M)


def index_not_known_to_be_an_int(x, idx):
    M = np.zeros((3, len(x)))
    for t in range(3):
        a = M[idx[t]]
        a[:] = x * t
    return np.sum(M)


def array_rebound_in_the_block(x):
    M = np.zeros((3, len(x)))
    for t in range(3):
        a = M[t]
        M = M * 2.0
        a[:] = x * t
    return np.sum(M)


def prev_row_of_an_argument(x, B):
    """B's dimensions are not known when transforming: ``prev`` may be a number, a copy."""
    for t in range(1, len(B)):
        prev = B[t - 1]
        B[t] = prev * x
        B[t] /= prev.sum()
    return np.sum(B)


@pytest.mark.parametrize("f, args, line", [
    (row_appended_then_changed, (SEQ_X,), "a[:] = x * t"),
    (row_under_another_name, (SEQ_X,), "a[:] = x * t"),
    (index_not_known_to_be_an_int, (SEQ_X, np.array([2, 0, 1])), "a[:] = x * t"),
    (array_rebound_in_the_block, (SEQ_X,), "a[:] = x * t"),
    (prev_row_of_an_argument, (SEQ_X, np.ones((3, 5))), "B[t] = prev * x"),
])
def test_what_the_pass_cannot_show_stays_refused(f, args, line):
    with pytest.raises(ad.TransformError) as info:
        ad.grad(f)(*args)
    assert "test_row_views.py:" in str(info.value).splitlines()[0]
    assert line in str(info.value)
