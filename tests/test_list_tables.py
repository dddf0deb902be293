"""Tables of reals kept as lists of lists, read and written entry by entry
(frontend/list_tables.py): soft-DTW, soft edit distances and alignment scores written as
``R = [[1e10] * (m + 1) for _ in range(n + 1)]; R[i][j] = ...``. Each gradient is checked
against central finite differences (and forward mode) and against autograd, which runs
these programs as written. A table whose rows may be one list, or that is used otherwise
than entry by entry, is left as written and refused at the line that changes it.
"""

import numpy as np
import pytest
from conftest import assert_close, assert_grad, autograd_gradient

import adcompile as ad

rng = np.random.default_rng(31)
SEQ_A = rng.normal(size=(5, 2))
SEQ_B = rng.normal(size=(4, 2))
XS = rng.normal(size=5)
YS = rng.normal(size=4)


def softmin(a, b, c, gamma):
    m = min(a, b, c)
    return m - gamma * np.log(np.exp((m - a) / gamma) + np.exp((m - b) / gamma)
                              + np.exp((m - c) / gamma))


def soft_dtw(x, y, gamma=0.5):
    """Soft-DTW between two sequences of points, the table a list of lists."""
    n, m = len(x), len(y)
    R = [[1e10] * (m + 1) for _ in range(n + 1)]
    R[0][0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost = np.sum((x[i - 1] - y[j - 1]) ** 2)
            R[i][j] = cost + softmin(R[i - 1][j], R[i][j - 1], R[i - 1][j - 1], gamma)
    return R[n][m]


def soft_edit_distance(x, y):
    """A soft edit distance with unit gaps and squared differences for substitutions."""
    n, m = len(x), len(y)
    D = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        D[i][0] = float(i)
    for j in range(m + 1):
        D[0][j] = 1.0 * j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            D[i][j] = softmin(D[i - 1][j] + 1.0, D[i][j - 1] + 1.0,
                              D[i - 1][j - 1] + (x[i - 1] - y[j - 1]) ** 2, 0.3)
    return D[n][m] + D[-1][-2] / len(D)


def soft_alignment_score(x, y, gap):
    """A Needleman-Wunsch-like score with a soft maximum, the gap penalty learned too;
    entries added to in place."""
    n, m = len(x), len(y)
    S = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        S[i][0] = S[i - 1][0] - gap
    for j in range(1, m + 1):
        S[0][j] = S[0][j - 1] - gap
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            s = np.array([S[i - 1][j - 1] + x[i - 1] * y[j - 1], S[i - 1][j] - gap,
                          S[i][j - 1] - gap])
            top = np.max(s)
            S[i][j] = top + np.log(np.sum(np.exp(s - top)))
            S[i][j] -= 0.01 * i
    return S[n][m]


CASES = [
    (soft_dtw, (SEQ_A, SEQ_B), (0, 1)),
    (soft_edit_distance, (XS, YS), (0, 1)),
    (soft_alignment_score, (XS, YS, 0.7), (0, 1, 2)),
]


@pytest.mark.parametrize("f, args, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_tables_of_lists_of_lists(f, args, wrt):
    got = assert_grad(f, *args, wrt=wrt)
    want = autograd_gradient(f, *args, wrt=wrt)
    for g, w in zip(got, want):
        assert_close(g, w, 1e-9, 1e-11, f"{f.__name__} against autograd")


def test_the_table_is_an_array_in_the_generated_code():
    code = ad.show(soft_dtw, wrt=(0, 1), args=(SEQ_A, SEQ_B))
    assert "np.full((n + 1, m + 1), 10000000000.0)" in code, code


# -- left as written, and refused ----------------------------------------------------------

def rows_one_list(x):
    R = [[0.0] * 3] * 3   # (each row the same list: R[0][0] = v changes every row)
    R[0][0] = x[0] * 2.0
    return R[1][0] * x[1]


def row_read_whole(x):
    R = [[0.0] * 3 for _ in range(3)]
    R[0][1] = x[0] * 2.0
    return sum(R[0]) * x[1]


def index_given(x, k):
    R = [[0.0] * 3 for _ in range(3)]
    R[k][1] = x[0] * 2.0   # (k may be a bool, which an array reads as a mask)
    return R[1][1] * x[1]


def int_table(x):
    R = [[0] * 3 for _ in range(3)]   # (ints: not a table of reals)
    R[1][1] = x[0] * 2.0
    return R[1][1] * x[1]


@pytest.mark.parametrize("f, args, line", [
    (rows_one_list, (XS,), "R[0][0] = x[0] * 2.0"),
    (row_read_whole, (XS,), "R[0][1] = x[0] * 2.0"),
    (index_given, (XS, 1), "R[k][1] = x[0] * 2.0"),
    (int_table, (XS,), "R[1][1] = x[0] * 2.0"),
])
def test_tables_used_otherwise_stay_refused(f, args, line):
    with pytest.raises(ad.TransformError) as info:
        ad.grad(f)(*args)
    assert "test_list_tables.py:" in str(info.value).splitlines()[0]
    assert line in str(info.value)
