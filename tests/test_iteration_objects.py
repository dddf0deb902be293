"""Arrays made anew in each iteration, and buffers a loop swaps, changed in place
(analysis/iteration_objects.py): ``new = best.copy(); new[c] = ...; best = new``, ``cur =
np.empty(m); cur[j] = ... prev[j] ...; prev = cur``, ``prev, cur = cur, prev`` and ``a, b =
b, a`` with writes in the loop. The points-to facts alone take the names for one array;
each iteration writes an array no other name holds then, and these programs are
differentiated. Each gradient is checked against central finite differences (and forward
mode) and, where a twin without assignments into arrays computes the same, autograd's.
What would be seen through another name (two names of one array swapped, an argument's
array, a row appended to a list, a view taken before the write) stays refused at its line.
"""

import numpy as np
import pytest
from conftest import assert_close, assert_grad, autograd_gradient

import adcompile as ad

rng = np.random.default_rng(77)
XS = rng.normal(size=5)
YS = rng.normal(size=4)
U0 = rng.normal(size=7)
GAMMA = 0.4


def softmin3(a, b, c):
    m = min(a, b, c)
    return m - GAMMA * np.log(np.exp((m - a) / GAMMA) + np.exp((m - b) / GAMMA)
                              + np.exp((m - c) / GAMMA))


# -- a new array each iteration ---------------------------------------------------------

def knapsack_soft(values, weights):
    """A relaxed 0/1 knapsack: each item's table a copy of the last, written entry by entry
    while the last is read."""
    cap = 5
    best = np.zeros(cap + 1)
    for i in range(len(values)):
        new = best.copy()
        for c in range(weights[i], cap + 1):
            new[c] = np.logaddexp(best[c], best[c - weights[i]] + values[i])
        best = new
    return best[cap]


def knapsack_soft_twin(values, weights):
    cap = 5
    best = [0.0] * (cap + 1)
    for i in range(len(values)):
        best = [best[c] if c < weights[i] else
                np.logaddexp(best[c], best[c - weights[i]] + values[i]) for c in range(cap + 1)]
    return best[cap]


def soft_dtw_fresh_rows(x, y):
    """Soft-DTW keeping two rows, the current one a new array each row of the table."""
    n, m = len(x), len(y)
    prev = np.full(m + 1, 1e10)
    prev[0] = 0.0
    for i in range(1, n + 1):
        cur = np.empty(m + 1)
        cur[0] = 1e10
        for j in range(1, m + 1):
            cost = (x[i - 1] - y[j - 1]) ** 2
            cur[j] = cost + softmin3(prev[j], cur[j - 1], prev[j - 1])
        prev = cur
    return prev[m]


def soft_dtw_twin(x, y):
    n, m = len(x), len(y)
    prev = [0.0] + [1e10] * m
    for i in range(1, n + 1):
        cur = [1e10]
        for j in range(1, m + 1):
            cur.append((x[i - 1] - y[j - 1]) ** 2 + softmin3(prev[j], cur[j - 1], prev[j - 1]))
        prev = cur
    return prev[m]


# -- buffers swapped -------------------------------------------------------------------------

def soft_dtw_rolling_rows(x, y):
    """The same recursion in two preallocated rows, swapped after each row."""
    n, m = len(x), len(y)
    prev = np.full(m + 1, 1e10)
    prev[0] = 0.0
    cur = np.empty(m + 1)
    for i in range(1, n + 1):
        cur[0] = 1e10
        for j in range(1, m + 1):
            cost = (x[i - 1] - y[j - 1]) ** 2
            cur[j] = cost + softmin3(prev[j], cur[j - 1], prev[j - 1])
        prev, cur = cur, prev
    return prev[m]


def soft_edit_distance(x, y):
    """A soft edit distance between two sequences of reals, rows swapped, each row written
    through a slice and entry by entry."""
    n, m = len(x), len(y)
    prev = np.arange(m + 1, dtype=float)
    cur = np.zeros(m + 1)
    for i in range(1, n + 1):
        cur[:1] = float(i)
        for j in range(1, m + 1):
            sub = prev[j - 1] + (x[i - 1] - y[j - 1]) ** 2
            cur[j] = softmin3(prev[j] + 1.0, cur[j - 1] + 1.0, sub)
        prev, cur = cur, prev
    return prev[m]


def soft_edit_distance_twin(x, y):
    n, m = len(x), len(y)
    prev = [float(j) for j in range(m + 1)]
    for i in range(1, n + 1):
        cur = [float(i)]
        for j in range(1, m + 1):
            sub = prev[j - 1] + (x[i - 1] - y[j - 1]) ** 2
            cur.append(softmin3(prev[j] + 1.0, cur[j - 1] + 1.0, sub))
        prev = cur
    return prev[m]


def diffusion_double_buffer(u0, k):
    """Explicit diffusion steps between two buffers, swapped after each step."""
    a = u0.copy()
    b = np.zeros_like(u0)
    for _ in range(4):
        b[1:-1] = a[1:-1] + k * (a[:-2] - 2.0 * a[1:-1] + a[2:])
        b[0], b[-1] = a[0], a[-1]
        a, b = b, a
    return np.sum(a ** 2) + np.sum(b)


def diffusion_twin(u0, k):
    a = u0
    b = np.zeros_like(u0)
    for _ in range(4):
        inner = a[1:-1] + k * (a[:-2] - 2.0 * a[1:-1] + a[2:])
        a, b = np.concatenate([a[:1], inner, a[-1:]]), a
    return np.sum(a ** 2) + np.sum(b)


def diffusion_copied_in_place(u0, k):
    """The new buffer first a copy of the old one by ``b[:] = a``, then updated in place."""
    a = u0.copy()
    b = u0.copy()
    for _ in range(3):
        b[:] = a
        b[1:-1] += k * (a[:-2] - 2 * a[1:-1] + a[2:])
        a, b = b, a
    return np.sum(a ** 2)


def diffusion_copied_twin(u0, k):
    a = u0
    for _ in range(3):
        a = np.concatenate([a[:1], a[1:-1] + k * (a[:-2] - 2 * a[1:-1] + a[2:]), a[-1:]])
    return np.sum(a ** 2)


def swapped_by_while_then_written(x):
    """Swapped by a while loop, one written after it while the other is read."""
    a = x * 1.0
    b = x * 2.0
    n = 0
    while n < 3:
        a, b = b, a
        n += 1
    a[0] = 0.0
    return np.sum(a ** 2) + np.sum(b ** 2)


def swapped_by_while_twin(x):
    a, b = x * 2.0, x * 1.0
    return np.sum(a[1:] ** 2) + np.sum(b ** 2)


CASES = [
    (knapsack_soft, knapsack_soft_twin, (XS, [1, 2, 3, 2, 1]), 0),
    (soft_dtw_fresh_rows, soft_dtw_twin, (XS, YS), (0, 1)),
    (soft_dtw_rolling_rows, soft_dtw_twin, (XS, YS), (0, 1)),
    (soft_edit_distance, soft_edit_distance_twin, (XS, YS), (0, 1)),
    (diffusion_double_buffer, diffusion_twin, (U0, 0.2), (0, 1)),
    (diffusion_copied_in_place, diffusion_copied_twin, (U0, 0.2), (0, 1)),
    (swapped_by_while_then_written, swapped_by_while_twin, (XS,), 0),
]


@pytest.mark.parametrize("f, twin, args, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_arrays_of_each_iteration_and_swapped_buffers(f, twin, args, wrt):
    assert_close(twin(*args), f(*args), 1e-12, 1e-12, "the twin's value")
    got = assert_grad(f, *args, wrt=wrt)
    want = autograd_gradient(twin, *args, wrt=wrt)
    for g, w in zip(got if isinstance(wrt, tuple) else (got,),
                    want if isinstance(wrt, tuple) else (want,)):
        assert_close(g, w, 1e-9, 1e-11, f"{f.__name__} against autograd")


def test_the_generated_code_of_a_knapsack_reads_the_last_table():
    code = ad.show(knapsack_soft, args=(XS, [1, 2, 3, 2, 1]))
    assert "new_2 = best.copy()" in code and "best = best_2" in code, code


# -- what stays refused ----------------------------------------------------------------------

def one_array_under_both_names(u0):
    a = u0.copy()
    b = a
    for _ in range(3):
        b[1:-1] = 0.5 * (a[:-2] + a[2:])
        a, b = b, a
    return np.sum(a ** 2)


def not_a_permutation(u0):
    a = u0.copy()
    b = np.zeros_like(u0)
    for _ in range(3):
        b[1:-1] = 0.5 * (a[:-2] + a[2:])
        a, b = b, b
    return np.sum(a ** 2)


def argument_swapped_in(u0, w):
    a = w
    b = np.zeros_like(u0)
    for _ in range(3):
        b[1:-1] = 0.5 * (a[:-2] + a[2:]) * u0[1:-1]
        a, b = b, a
    return np.sum(a ** 2) + np.sum(w)


def buffer_appended(u0):
    a = u0.copy()
    b = np.zeros_like(u0)
    kept = []
    for _ in range(3):
        kept.append(a)
        b[1:-1] = 0.5 * (a[:-2] + a[2:])
        a, b = b, a
    return np.sum(kept[0] ** 2)


def table_appended_then_written(x):
    best = np.zeros(4)
    tables = []
    for i in range(3):
        new = best.copy()
        tables.append(new)
        new[i] = best[i] + x[i]
        best = new
    return np.sum(tables[0] ** 2)


def view_taken_before_the_write(x):
    best = np.zeros(4)
    head = best[:2]
    for i in range(3):
        new = best.copy()
        head = new[:2]
        new[0] = np.sum(head) + x[i]
        best = new
    return np.sum(head ** 2)


def table_not_copied_each_iteration(x):
    best = np.zeros(4)
    new = best.copy()
    for i in range(3):
        new[i] = best[i + 1] + x[i]
        best = new
    return np.sum(best ** 2)


def test_one_array_under_two_names_is_renewed_under_both():
    """Not the arrays of each iteration nor buffers swapped: one array under two names,
    each given the new value after the write (frontend/views.py), as before."""
    assert_grad(not_a_permutation, U0)
    assert_grad(table_not_copied_each_iteration, XS)


@pytest.mark.parametrize("f, args, line", [
    (one_array_under_both_names, (U0,), "b[1:-1] = 0.5 * (a[:-2] + a[2:])"),
    (argument_swapped_in, (U0, U0 * 2.0), "b[1:-1] = 0.5 * (a[:-2] + a[2:]) * u0[1:-1]"),
    (buffer_appended, (U0,), "b[1:-1] = 0.5 * (a[:-2] + a[2:])"),
    (table_appended_then_written, (XS,), "new[i] = best[i] + x[i]"),
    (view_taken_before_the_write, (XS,), "new[0] = np.sum(head) + x[i]"),
])
def test_what_another_name_would_see_stays_refused(f, args, line):
    with pytest.raises(ad.TransformError) as info:
        ad.grad(f)(*args)
    assert "test_iteration_objects.py:" in str(info.value).splitlines()[0]
    assert line in str(info.value)
