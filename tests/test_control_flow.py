"""Control flow (SPEC.md, "What is differentiated"): if/elif/else, for, while,
break/continue, early return, loop-carried values, what the generated code caches,
and non-differentiable arguments (ints, bools, strings, None, shapes) steering it.

Every gradient is compared with central finite differences in float64
(conftest.numerical_grad, through conftest.assert_grad, which also checks the
gradient's type and shape), and where one is easy, with a closed form derived by
hand; the RNN is compared with a backprop-through-time written here with NumPy.
The functions under test live at module level: adcompile reads their source with
``inspect``. Inputs are kept away from the points where a branch or a trip count
changes, since the functions are discontinuous there.
"""

import math
import time

import numpy as np
import pytest
from conftest import (arrays, assert_close, assert_grad, assert_gradient_like, nonzero,
                      numerical_grad, numerical_vjp, reals)
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import adcompile as ad

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

#: the property tests of this file: few examples, no deadline (compilation is slow once)
CF = settings(max_examples=15, deadline=None)


def vec(seed, n, scale=1.0):
    return scale * np.random.default_rng(seed).normal(size=n)


# ===========================================================================
# 1. if / elif / else
# ===========================================================================

def piecewise(x):
    if x > 1.0:
        y = x * x
    elif x > 0.0:
        y = 2.0 * x - 1.0 + np.sin(x)
    else:
        y = -x ** 3
    return y * x


def piecewise_derivative(x):
    if x > 1.0:
        return 3.0 * x ** 2
    if x > 0.0:
        return 4.0 * x - 1.0 + np.sin(x) + x * np.cos(x)
    return -4.0 * x ** 3


def test_if_elif_else_every_branch():
    for x in (1.7, 0.4, -0.8, 3.0, -2.5):
        g = assert_grad(piecewise, x)
        assert_close(g, piecewise_derivative(x), 1e-12, 1e-12)


def test_same_compiled_gradient_takes_different_branches_on_different_calls():
    # the cache (per function, per argument types) must not freeze the branch of the first call
    g = ad.grad(piecewise)
    vg = ad.value_and_grad(piecewise)
    for x in (1.5, -1.5, 0.5, 1.5, 0.5, -1.5, -0.25, 2.0):
        assert_close(g(x), piecewise_derivative(x), 1e-12, 1e-12, f"x = {x}")
        value, gx = vg(x)
        assert_close(value, piecewise(x), 1e-14, 0, f"value at x = {x}")
        assert_close(gx, piecewise_derivative(x), 1e-12, 1e-12, f"x = {x}")


@CF
@given(x=reals(-3.0, 3.0))
def test_if_elif_else_property(x):
    assume(abs(x - 1.0) > 1e-3 and abs(x) > 1e-3)
    g = assert_grad(piecewise, x)
    assert_close(g, piecewise_derivative(x), 1e-12, 1e-12)


def branch_different_vars(x, y):
    a = x + y
    b = x * y
    if x > y:
        a = np.sin(x) * y
    else:
        b = np.exp(y) - x
    return a * b


def branch_defined_before(x):
    y = 3.0 * x
    if x < 0.5:
        y = np.cos(x) * y
    return y * x


def branch_only_defines(x, y):
    if x > 0.0:
        z = x * y
        w = z * z + y
    else:
        w = np.exp(x) * y
    return w * x


def test_branches_assigning_different_variables():
    for x, y in ((1.2, 0.3), (-0.4, 0.9), (0.5, 0.5 + 0.25), (2.0, -1.0)):
        assert_grad(branch_different_vars, x, y, wrt=(0, 1))
    # by hand: x > y: (sin(x) * y) * (x * y); else: (x + y) * (exp(y) - x)
    gx, gy = ad.grad(branch_different_vars, wrt=(0, 1))(1.2, 0.3)
    assert_close(gx, np.cos(1.2) * 0.3 * 1.2 * 0.3 + np.sin(1.2) * 0.3 * 0.3, 1e-12, 1e-14)
    assert_close(gy, 2 * np.sin(1.2) * 0.3 * 1.2, 1e-12, 1e-14)
    gx, gy = ad.grad(branch_different_vars, wrt=(0, 1))(-0.4, 0.9)
    assert_close(gx, (np.exp(0.9) + 0.4) - (-0.4 + 0.9), 1e-12, 1e-14)
    assert_close(gy, (np.exp(0.9) + 0.4) + (-0.4 + 0.9) * np.exp(0.9), 1e-12, 1e-14)


def test_variable_assigned_in_one_branch_defined_before():
    # not taken: y * x = 3 x**2;  taken: 3 x**2 cos(x)
    for x in (0.9, 2.0):
        assert_close(assert_grad(branch_defined_before, x), 6.0 * x, 1e-12, 1e-14)
    for x in (0.2, -1.3):
        assert_close(assert_grad(branch_defined_before, x),
                     6.0 * x * np.cos(x) - 3.0 * x ** 2 * np.sin(x), 1e-12, 1e-14)


def test_variable_defined_in_a_branch_only():
    for x, y in ((0.7, -1.1), (-0.6, 0.8)):
        assert_grad(branch_only_defines, x, y, wrt=(0, 1))


def nested_branches(x, y):
    if x > 0.0:
        if y > 0.0:
            r = x * y
        else:
            r = x - y * y
    else:
        if y > x:
            r = np.exp(x) * y
        elif y > 2.0 * x:
            r = x * x * y
        else:
            r = np.sin(y) + x
    return r * r


@pytest.mark.parametrize("x, y", [(1.0, 2.0), (1.0, -2.0), (-1.0, 0.5), (-1.0, -1.5),
                                  (-1.0, -3.0)])
def test_nested_branches_every_leaf(x, y):
    assert_grad(nested_branches, x, y, wrt=(0, 1))


@CF
@given(x=reals(-2.0, 2.0), y=reals(-2.0, 2.0))
def test_nested_branches_property(x, y):
    assume(min(abs(x), abs(y), abs(y - x), abs(y - 2.0 * x)) > 1e-3)
    assert_grad(nested_branches, x, y, wrt=(0, 1))


def branch_on_sum(x):
    if np.sum(x) > 1.0:
        y = np.sum(np.sin(x) * x)
    else:
        y = np.sum(x ** 3)
    return y


def branch_on_max(x, w):
    if np.max(x) > 0.5:
        return np.sum(np.tanh(w * x))
    return np.sum(w * w * x)


def branch_on_all_positive(x):
    if np.all(x > 0.0):
        return np.sum(np.log(x))
    return np.sum(x * x)


def test_condition_on_an_array_reduced_to_a_bool():
    g = ad.grad(branch_on_sum)
    big, small = np.array([0.5, 1.0, 0.2]), np.array([0.5, -1.0, 0.2])
    for x in (big, small, big):
        assert_grad(branch_on_sum, x)
    assert_close(g(big), np.cos(big) * big + np.sin(big), 1e-12, 1e-14)
    assert_close(g(small), 3 * small ** 2, 1e-12, 1e-14)
    w = np.array([0.3, -0.7, 1.1])
    for x in (np.array([0.9, -0.2, 0.1]), np.array([0.2, -0.2, 0.1])):
        assert_grad(branch_on_max, x, w, wrt=(0, 1))
    pos, mixed = np.array([0.5, 2.0, 1.5]), np.array([0.5, -2.0, 1.5])
    assert_close(assert_grad(branch_on_all_positive, pos), 1.0 / pos, 1e-12, 1e-14)
    assert_close(assert_grad(branch_on_all_positive, mixed), 2.0 * mixed, 1e-12, 1e-14)


@CF
@given(x=arrays((4,)))
def test_condition_on_an_array_property(x):
    assume(abs(np.sum(x) - 1.0) > 1e-3)
    g = assert_grad(branch_on_sum, x)
    expected = np.cos(x) * x + np.sin(x) if np.sum(x) > 1.0 else 3 * x ** 2
    assert_close(g, expected, 1e-12, 1e-14)


def branch_in_loop(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] > 0.0:
            s = s + x[i] * x[i]
        else:
            s = s * 0.5 - x[i]
    return s


def branch_on_carried(x, w):
    s = 0.0
    for i in range(len(x)):
        if s > 1.0:
            s = s * w - x[i]
        else:
            s = s + w * x[i] ** 2
    return s


def carried_trace(x, w):
    """The values of s that branch_on_carried compares with 1.0."""
    s, seen = 0.0, []
    for v in x:
        seen.append(s)
        s = s * w - v if s > 1.0 else s + w * v ** 2
    return seen


def test_if_inside_loop():
    x = np.array([0.5, -1.0, 2.0, -0.3, 0.8])
    assert_grad(branch_in_loop, x)
    w = 0.9
    assert min(abs(s - 1.0) for s in carried_trace(x, w)) > 1e-2
    assert_grad(branch_on_carried, x, w, wrt=(0, 1))


@CF
@given(x=arrays((5,), nonzero(0.1, 2.0)), w=reals(0.2, 1.5))
def test_if_inside_loop_property(x, w):
    assert_grad(branch_in_loop, x)
    assume(min(abs(s - 1.0) for s in carried_trace(x, w)) > 1e-3)
    assert_grad(branch_on_carried, x, w, wrt=(0, 1))


# ===========================================================================
# 2. for over range(...), arrays, lists, enumerate, zip; nesting; while;
#    break / continue; early return
# ===========================================================================

def running_sum(x, n):
    s = 0.0
    for i in range(n):
        s = s + x[i]
    return s


def power_loop(x, n):
    p = 1.0
    for i in range(n):
        p = p * x
    return p


@pytest.mark.parametrize("n", [0, 1, 2, 7, 50])
def test_range_n_trip_counts(n):
    x = vec(0, 50)
    g = assert_grad(running_sum, x, n)
    expected = np.zeros(50)
    expected[:n] = 1.0
    assert_close(g, expected, 0, 0)
    gp = assert_grad(power_loop, 0.97, n)
    assert_close(gp, n * 0.97 ** (n - 1) if n else 0.0, 1e-12, 1e-14)


def test_one_compiled_gradient_for_every_trip_count():
    x = vec(1, 50)
    g = ad.grad(running_sum)
    gp = ad.grad(power_loop)
    for n in (3, 0, 50, 1, 3):
        expected = np.zeros(50)
        expected[:n] = 1.0
        assert_close(g(x, n), expected, 0, 0, f"n = {n}")
        assert_gradient_like(gp(1.01, n), 1.01)
        assert_close(gp(1.01, n), n * 1.01 ** (n - 1) if n else 0.0, 1e-12, 1e-14, f"n = {n}")


@CF
@given(x=reals(-1.5, 1.5), n=st.integers(0, 8))
def test_power_loop_property(x, n):
    g = assert_grad(power_loop, x, n)
    assert_close(g, n * x ** (n - 1) if n else 0.0, 1e-10, 1e-12)


def range_start_stop(x, a, b):
    s = 0.0
    for i in range(a, b):
        s = s + x[i] * i
    return s * s


def range_step(x, a, b, step):
    s = 0.0
    for i in range(a, b, step):
        s = np.sin(s) + x[i] * (i + 1)
    return s


@pytest.mark.parametrize("a, b", [(2, 7), (0, 10), (4, 5), (6, 6), (7, 3)])
def test_range_with_start_and_stop_arguments(a, b):
    x = vec(2, 10)
    g = assert_grad(range_start_stop, x, a, b)
    s = sum(x[i] * i for i in range(a, b))
    expected = np.zeros(10)
    for i in range(a, b):
        expected[i] = 2 * s * i
    assert_close(g, expected, 1e-12, 1e-14)


@pytest.mark.parametrize("a, b, step", [(0, 10, 3), (1, 10, 2), (9, -1, -2), (9, 2, -3),
                                        (5, 4, -1), (2, 9, -1), (3, 3, 2)])
def test_range_with_step_including_negative(a, b, step):
    x = vec(3, 10)
    g = assert_grad(range_step, x, a, b, step)
    touched = set(range(a, b, step))
    assert all(g[i] == 0.0 for i in range(10) if i not in touched)


def horner_reversed(x, w):
    s = 0.0
    for i in range(len(x) - 1, -1, -1):
        s = s * w + x[i]
    return s


@CF
@given(n=st.integers(0, 6), seed=st.integers(0, 2 ** 32 - 1), w=reals(-1.5, 1.5))
def test_negative_step_horner_closed_form(n, seed, w):
    x = vec(seed, n)
    gx, gw = assert_grad(horner_reversed, x, w, wrt=(0, 1))
    # s = sum_i x[i] w**i
    assert_close(gx, np.array([w ** i for i in range(n)]), 1e-12, 1e-14)
    assert_close(gw, sum(i * x[i] * w ** (i - 1) for i in range(1, n)), 1e-10, 1e-12)


def loop_over_elements(x, w):
    s = 0.0
    for v in x:
        s = s * w + np.sin(v)
    return s


def loop_over_rows(X, w):
    s = 0.0
    for row in X:
        s = s + np.tanh(row @ w) ** 2
    return s


def loop_over_tuple(a, b, w):
    s = 0.0
    for v in (a, b, a * b):
        s = s + np.sum(v * w) ** 2
    return s


def loop_over_list_of_constants(w, xs):
    s = 0.0
    for v in xs:
        s = s + np.sum(np.tanh(v * w))
    return s


def test_for_over_the_elements_of_a_1d_array():
    x = np.array([0.3, -1.2, 0.8, 2.0])
    gx, gw = assert_grad(loop_over_elements, x, 0.7, wrt=(0, 1))
    # s = sum_i sin(x[i]) w**(n-1-i)
    assert_close(gx, np.cos(x) * 0.7 ** np.arange(3, -1, -1.0), 1e-12, 1e-14)
    assert_close(assert_grad(loop_over_elements, np.array([0.5]), 0.7), np.cos([0.5]), 1e-12, 0)
    assert_close(assert_grad(loop_over_elements, np.zeros(0), 0.7), np.zeros(0), 0, 0)


def test_for_over_the_rows_of_a_2d_array():
    rng = np.random.default_rng(4)
    X, w = rng.normal(size=(5, 3)), rng.normal(size=3)
    gX, gw = assert_grad(loop_over_rows, X, w, wrt=(0, 1))
    t = np.tanh(X @ w)
    assert_close(gw, X.T @ (2 * t * (1 - t ** 2)), 1e-12, 1e-14)
    assert_close(gX, np.outer(2 * t * (1 - t ** 2), w), 1e-12, 1e-14)


def test_for_over_a_tuple_of_active_arrays():
    a, b, w = vec(5, 3), vec(6, 3), vec(7, 3)
    assert_grad(loop_over_tuple, a, b, w, wrt=(0, 1, 2))


@pytest.mark.parametrize("container", [list, tuple])
def test_for_over_a_list_or_tuple_argument(container):
    xs = container([vec(8, 3), vec(9, 3), vec(10, 3)])
    w = vec(11, 3)
    g = assert_grad(loop_over_list_of_constants, w, xs)
    assert_close(g, sum(v * (1 - np.tanh(v * w) ** 2) for v in xs), 1e-12, 1e-14)


def loop_enumerate(x, w):
    s = 0.0
    for i, v in enumerate(x):
        s = s + w[i] * v * v
    return s


def loop_enumerate_rows(X, w):
    s = 0.0
    for i, row in enumerate(X):
        s = s + (i + 1.0) * np.sum(row * w) ** 2
    return s


def loop_zip(x, y):
    s = 0.0
    for a, b in zip(x, y):
        s = s + a * np.cos(b)
    return s


def loop_zip_rows(X, y, w):
    s = 0.0
    for row, target in zip(X, y):
        r = row @ w - target
        s = s + r * r
    return s


def loop_enumerate_zip(x, y):
    s = 0.0
    for i, (a, b) in enumerate(zip(x, y)):
        s = s + (i + 1) * a * b
    return s


def loop_zip_tuples(a, b, w):
    s = 0.0
    for u, v in zip((a, b), [w, w * w]):
        s = s + np.sum(u * v)
    return s


def test_enumerate_and_zip():
    x, w = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.3, -0.2])
    gx, gw = assert_grad(loop_enumerate, x, w, wrt=(0, 1))
    assert_close(gx, 2 * w * x, 1e-12, 0)
    assert_close(gw, x * x, 1e-12, 0)
    X = np.random.default_rng(12).normal(size=(4, 3))
    assert_grad(loop_enumerate_rows, X, w, wrt=(0, 1))
    y = np.array([0.2, 1.1, -0.4])
    gx, gy = assert_grad(loop_zip, x, y, wrt=(0, 1))
    assert_close(gx, np.cos(y), 1e-12, 0)
    assert_close(gy, -x * np.sin(y), 1e-12, 0)
    targets = np.array([0.1, -0.3, 0.7, 0.2])
    gX, gt, gw = assert_grad(loop_zip_rows, X, targets, w, wrt=(0, 1, 2))
    r = X @ w - targets
    assert_close(gw, 2 * X.T @ r, 1e-12, 1e-14)
    assert_close(gt, -2 * r, 1e-12, 1e-14)
    gx, gy = assert_grad(loop_enumerate_zip, x, y, wrt=(0, 1))
    assert_close(gx, np.arange(1.0, 4.0) * y, 1e-12, 0)
    assert_grad(loop_zip_tuples, x, y, w, wrt=(0, 1, 2))


@CF
@given(seed=st.integers(0, 2 ** 32 - 1), n=st.integers(0, 5))
def test_loops_over_arrays_property(seed, n):
    rng = np.random.default_rng(seed)
    x, y, w = rng.normal(size=n), rng.normal(size=n), float(rng.uniform(-1.2, 1.2))
    assert_grad(loop_over_elements, x, w, wrt=(0, 1))
    assert_grad(loop_zip, x, y, wrt=(0, 1))
    assert_grad(loop_enumerate_zip, x, y, wrt=(0, 1))
    X = rng.normal(size=(n, 2))
    assert_grad(loop_over_rows, X, rng.normal(size=2), wrt=(0, 1))


def nested_two(x, W):
    s = 0.0
    for i in range(len(W)):
        for j in range(len(x)):
            s = np.tanh(s + W[i, j] * x[j])
    return s


def nested_triangular(x):
    s = 0.0
    for i in range(len(x)):
        for j in range(i):
            s = s + x[i] * x[j]
    return s


def nested_three(x, T):
    s = 0.0
    for i in range(len(T)):
        for j in range(i, len(T)):
            for k in range(len(x)):
                s = np.sin(s) + T[i, j, k] * x[k]
    return s


def nested_rows_elements(X, w):
    s = 0.0
    for row in X:
        for v in row:
            s = s * w + v
    return s


def test_nested_loops_depth_two():
    rng = np.random.default_rng(13)
    x, W = rng.normal(size=4), rng.normal(size=(3, 4))
    assert_grad(nested_two, x, W, wrt=(0, 1))
    g = assert_grad(nested_triangular, x)
    assert_close(g, np.sum(x) - x, 1e-12, 1e-14)  # d/dx_k sum_{j<i} x_i x_j = sum_{j != k} x_j
    X = rng.normal(size=(3, 2))
    gX, gw = assert_grad(nested_rows_elements, X, 0.8, wrt=(0, 1))
    assert_close(gX.ravel(), 0.8 ** np.arange(5, -1, -1.0), 1e-12, 1e-14)


def test_nested_loops_depth_three():
    rng = np.random.default_rng(14)
    x, T = rng.normal(size=4), 0.5 * rng.normal(size=(3, 3, 4))
    assert_grad(nested_three, x, T, wrt=(0, 1))


@CF
@given(seed=st.integers(0, 2 ** 32 - 1), n=st.integers(0, 4), m=st.integers(0, 3))
def test_nested_loops_property(seed, n, m):
    rng = np.random.default_rng(seed)
    x, W = rng.normal(size=n), rng.normal(size=(m, n))
    assert_grad(nested_two, x, W, wrt=(0, 1))
    assert_close(assert_grad(nested_triangular, x), np.sum(x) - x, 1e-12, 1e-12)
    assert_grad(nested_three, x, 0.5 * rng.normal(size=(m, m, n)), wrt=(0, 1))


# --- while -----------------------------------------------------------------

def halve_until_small(x):
    while x > 1.0:
        x = x * 0.5
    return x * x + np.sin(x)


def halvings(x):
    k = 0
    while x > 1.0:
        x, k = x * 0.5, k + 1
    return k


@pytest.mark.parametrize("x, k", [(0.3, 0), (-4.0, 0), (1.5, 1), (3.0, 2), (100.0, 7)])
def test_while_data_dependent_trip_count(x, k):
    assert halvings(x) == k
    g = assert_grad(halve_until_small, x)
    y = x * 0.5 ** k
    assert_close(g, (2 * y + np.cos(y)) * 0.5 ** k, 1e-12, 1e-14)


def test_while_one_compiled_gradient_for_every_trip_count():
    g = ad.grad(halve_until_small)
    for x in (100.0, 0.3, 3.0, 100.0, 1.5):
        k = halvings(x)
        y = x * 0.5 ** k
        assert_close(g(x), (2 * y + np.cos(y)) * 0.5 ** k, 1e-12, 1e-14, f"x = {x}")


@CF
@given(e=reals(-2.0, 6.0))
def test_while_property(e):
    assume(abs(e - round(e)) > 0.05)   # x = 2**e: away from the powers of two
    x = 2.0 ** e
    k = halvings(x)
    g = assert_grad(halve_until_small, x)
    y = x * 0.5 ** k
    assert_close(g, (2 * y + np.cos(y)) * 0.5 ** k, 1e-12, 1e-14)


def while_array(x):
    while np.sum(x * x) > 1.0:
        x = x * 0.5
    return np.sum(np.sin(x) * x)


def while_counter(x, n):
    i = 0
    s = x
    while i < n:
        s = np.sin(s) + x
        i = i + 1
    return s


def while_true_break(x):
    s = x
    while True:
        s = s * 1.5 + 0.1
        if s > 10.0:
            break
    return s * s


def growth_trace(x):
    s, seen = x, []
    while True:
        s = s * 1.5 + 0.1
        seen.append(s)
        if s > 10.0:
            return seen


def test_while_on_an_array_condition():
    for x in (np.array([0.3, -0.2]), np.array([3.0, -2.0, 1.0]), np.array([40.0, 0.1])):
        k = 0
        while np.sum((x * 0.5 ** k) ** 2) > 1.0:
            k += 1
        g = assert_grad(while_array, x)
        y = x * 0.5 ** k
        assert_close(g, (np.cos(y) * y + np.sin(y)) * 0.5 ** k, 1e-12, 1e-14)


@CF
@given(x=arrays((3,), reals(-6.0, 6.0)))
def test_while_on_an_array_condition_property(x):
    r = np.sum(x * x)
    assume(all(abs(r * 0.25 ** j - 1.0) > 1e-2 for j in range(40) if r * 0.25 ** j > 1e-3))
    assert_grad(while_array, x)


def test_while_with_a_counter_and_while_true_with_break():
    g = ad.grad(while_counter)
    for n in (0, 1, 4):
        assert_grad(while_counter, 0.6, n)
    assert_close(g(0.6, 0), 1.0, 0, 0)
    assert_close(g(0.6, 1), np.cos(0.6) + 1.0, 1e-12, 0)
    for x in (0.5, 2.0, 9.0, 12.0):
        trace = growth_trace(x)
        assert min(abs(s - 10.0) for s in trace) > 1e-2
        g = assert_grad(while_true_break, x)
        assert_close(g, 2 * trace[-1] * 1.5 ** len(trace), 1e-12, 1e-14)


# --- break / continue --------------------------------------------------------

def first_negative_else_cubes(x):
    # the else clause runs when the loop ends without a break
    found = 0.0
    for v in x:
        if v < 0:
            found = v ** 2
            break
    else:
        found = np.sum(x ** 3)
    return found * 2 + x[0]


def fixed_point_else_scaled(x, tol):
    y, n = x, 0
    while n < 30:
        y_new = np.cos(y)
        if abs(y_new - y) < tol:
            y = y_new
            break
        y = y_new
        n += 1
    else:
        y = y * 10
    return y


def inner_breaks_are_the_inner_loops(X, broke):
    # (a user's variable named as the flag the rewrite adds)
    total = broke
    for row in X:
        for v in row:
            if v > 1.0:
                break
            total += v
        else:
            total += 100 * row[0]
        if total > 500:
            break
    else:
        total = total * 2
    return total


def returns_breaks_or_else(x):
    for v in x:
        if v > 2:
            return v ** 3
        if v < -2:
            break
    else:
        return np.sum(x) * 2
    return x[0]


def else_without_a_break(x):
    s = 0.0
    for v in x:
        s += v
    else:
        s = s * 2
    return s * x[0]


def test_else_clauses_of_loops():
    # (were refused: "an else clause on a for loop is not supported")
    for x in ([0.1, -0.7, 0.2], [0.1, 0.7, 0.2]):
        g = assert_grad(first_negative_else_cubes, np.array(x))
        want = [1.0, -2.8, 0.0] if x[1] < 0 else 6 * np.array(x) ** 2 + [1.0, 0.0, 0.0]
        assert_close(g, want, 1e-12, 1e-12)
    assert_grad(fixed_point_else_scaled, 0.5, 1e-3)     # the loop breaks
    assert_grad(fixed_point_else_scaled, 0.5, 1e-30)    # it runs out: the else clause
    for X in ([[0.1, 0.2], [0.3, 1.5], [0.4, 0.1]], [[3.0, 0.2], [0.3, 0.5], [0.4, 0.1]]):
        assert_grad(inner_breaks_are_the_inner_loops, np.array(X), 0.5, wrt=(0, 1))
    for x in ([0.1, 3.0], [0.1, -3.0], [0.1, 0.5]):
        assert_grad(returns_breaks_or_else, np.array(x))
    x = np.array([0.1, 0.7, 0.2])
    assert_close(assert_grad(else_without_a_break, x), 2 * x[0] + 2 * np.sum(x) * np.eye(3)[0],
                 1e-12, 1e-12)
    assert "broke" not in ad.show(else_without_a_break, args=(x,))
    for f, args in [(first_negative_else_cubes, (np.array([0.1, -0.7, 0.2]),)),
                    (fixed_point_else_scaled, (0.5, 1e-30))]:
        first = ad.grad(f)
        h = 1e-5
        x0 = args[0]
        if isinstance(x0, float):
            want = (first(x0 + h, *args[1:]) - first(x0 - h, *args[1:])) / (2 * h)
            assert_close(ad.grad(first)(*args), want, 1e-6, 1e-7)
        else:
            want = np.array([(first(x0 + h * e, *args[1:]) - first(x0 - h * e, *args[1:]))
                             / (2 * h) for e in np.eye(x0.size)])
            assert_close(ad.hessian(f)(*args), want, 1e-6, 1e-7)



def for_break(x, limit):
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] * x[i]
        if s > limit:
            break
    return s * np.sum(x)


def for_continue(x):
    s = 0.0
    for v in x:
        if v < 0.0:
            continue
        s = s + np.sin(v) * v
    return s


def while_continue(x, n):
    i = 0
    s = 0.0
    while i < n:
        i = i + 1
        if x[i - 1] < 0.0:
            continue
        s = s * 0.5 + x[i - 1] ** 3
    return s


def nested_break(X):
    s = 0.0
    for row in X:
        for v in row:
            if v > 1.0:
                break
            s = s + v * v
        s = s * 0.5
    return s


def break_count(x, limit):
    s = 0.0
    for i, v in enumerate(x):
        s = s + v * v
        if s > limit:
            return i + 1
    return len(x)


def test_break_depending_on_the_data():
    x = np.array([0.5, 1.0, -1.5, 0.7, 2.0])
    for limit, count in ((0.1, 1), (1.0, 2), (3.0, 3), (4.0, 5), (100.0, 5)):
        assert break_count(x, limit) == count
        g = assert_grad(for_break, x, limit)
        s = np.sum(x[:count] ** 2)
        expected = np.full(5, s)
        expected[:count] += 2 * x[:count] * np.sum(x)
        assert_close(g, expected, 1e-12, 1e-14)
    # one compiled gradient, different break points on different calls
    g = ad.grad(for_break)
    assert np.count_nonzero(g(x, 0.1) != g(x, 100.0)) > 0


@CF
@given(x=arrays((5,)), limit=reals(0.0, 6.0))
def test_break_property(x, limit):
    partial_sums = np.cumsum(x * x)
    assume(np.min(np.abs(partial_sums - limit)) > 1e-3)
    assert_grad(for_break, x, limit)


def test_continue_depending_on_the_data():
    x = np.array([0.5, -1.0, 2.0, -0.3, 0.8])
    g = assert_grad(for_continue, x)
    assert_close(g, np.where(x > 0, np.cos(x) * x + np.sin(x), 0.0), 1e-12, 1e-14)
    for n in (0, 3, 5):
        assert_grad(while_continue, x, n)
    X = np.array([[0.5, 2.0, 0.3], [-0.4, 0.2, 1.5], [1.2, 0.1, 0.1]])
    g = assert_grad(nested_break, X)
    assert g[0, 2] == 0.0 and g[1, 2] == 0.0 and np.all(g[2] == 0.0)


@CF
@given(x=arrays((5,), nonzero(0.05, 2.0)), n=st.integers(0, 5))
def test_continue_property(x, n):
    assert_grad(for_continue, x)
    assert_grad(while_continue, x, n)
    assume(np.min(np.abs(x - 1.0)) > 1e-3)
    assert_grad(nested_break, x.reshape(1, 5))


# --- early return --------------------------------------------------------------

def early_return_branch(x):
    if x > 0.0:
        return np.sqrt(x) * np.sin(x)
    y = x * x
    return y * np.exp(x)


def early_return_loop(x, limit):
    s = 0.0
    for i in range(len(x)):
        s = s + np.exp(x[i])
        if s > limit:
            return s * x[i]
    return -s


def early_return_while(x):
    s = x
    while s < 100.0:
        s = s * s + 1.0
        if s > 50.0:
            return s * 0.5
    return s


def early_return_nested(X, t):
    for i in range(len(X)):
        for j in range(len(X[i])):
            if X[i, j] > t:
                return X[i, j] * np.sum(X[i])
    return np.sum(X * X)


def test_early_return_in_a_branch():
    g = ad.grad(early_return_branch)
    for x in (1.3, -0.7, 0.2, -2.0):
        assert_grad(early_return_branch, x)
        if x > 0:
            expected = 0.5 / np.sqrt(x) * np.sin(x) + np.sqrt(x) * np.cos(x)
        else:
            expected = (2 * x + x * x) * np.exp(x)
        assert_close(g(x), expected, 1e-12, 1e-14, f"x = {x}")


def test_early_return_in_a_loop():
    x = np.array([0.1, -0.5, 0.3, 0.9])
    exps = np.cumsum(np.exp(x))
    for limit in (0.5, 2.0, 3.0, 100.0):
        assert np.min(np.abs(exps - limit)) > 1e-2
        g = assert_grad(early_return_loop, x, limit)
        hits = np.nonzero(exps > limit)[0]
        if len(hits) == 0:
            assert_close(g, -np.exp(x), 1e-12, 1e-14)
        else:
            k = hits[0]
            expected = np.where(np.arange(4) <= k, np.exp(x) * x[k], 0.0)
            expected[k] += exps[k]
            assert_close(g, expected, 1e-12, 1e-14)
    for x in (1.5, 3.0, 0.5, -20.0):   # the return inside the loop
        assert_grad(early_return_while, x)
    assert_close(assert_grad(early_return_while, 150.0), 1.0, 0, 0)   # the loop never runs
    assert_close(assert_grad(early_return_while, 3.0), (2 * 3.0) * (2 * 10.0) * 0.5, 1e-12, 0)
    X = np.array([[0.5, 0.2, 1.5], [2.5, 0.1, 0.3]])
    for t in (1.0, 2.0, 3.0):
        assert_grad(early_return_nested, X, t)


@CF
@given(x=arrays((4,)), limit=reals(0.0, 8.0))
def test_early_return_property(x, limit):
    assume(np.min(np.abs(np.cumsum(np.exp(x)) - limit)) > 1e-3)
    assert_grad(early_return_loop, x, limit)


# ===========================================================================
# 3. loop-carried values: a scalar recurrence, an RNN against hand-written
#    backprop-through-time, and a 10,000-step recurrence
# ===========================================================================

def scalar_recurrence(x, w):
    s = 0.0
    for i in range(len(x)):
        s = s * w + x[i]
    return s


@CF
@given(seed=st.integers(0, 2 ** 32 - 1), n=st.integers(0, 8), w=reals(-1.5, 1.5))
def test_scalar_recurrence(seed, n, w):
    x = vec(seed, n)
    gx, gw = assert_grad(scalar_recurrence, x, w, wrt=(0, 1))
    # s = sum_i x[i] w**(n-1-i)
    assert_close(gx, np.array([w ** (n - 1 - i) for i in range(n)]), 1e-12, 1e-14)
    assert_close(gw, sum((n - 1 - i) * x[i] * w ** (n - 2 - i) for i in range(n - 1)),
                 1e-10, 1e-12)


def rnn_loss(W, U, h0, xs, c):
    h = h0
    for t in range(len(xs)):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(c * h)


def rnn_bptt(W, U, h0, xs, c):
    """Hand-written backprop-through-time for rnn_loss: (dW, dU, dh0, dxs)."""
    hs = [h0]
    for t in range(len(xs)):
        hs.append(np.tanh(W @ hs[-1] + U @ xs[t]))
    dW, dU, dxs = np.zeros_like(W), np.zeros_like(U), np.zeros_like(xs)
    dh = c.copy()                       # dL/dh_T
    for t in range(len(xs) - 1, -1, -1):
        da = dh * (1.0 - hs[t + 1] ** 2)  # through tanh
        dW += np.outer(da, hs[t])
        dU += np.outer(da, xs[t])
        dxs[t] = U.T @ da
        dh = W.T @ da                    # to h_{t}
    return dW, dU, dh, dxs


def rnn_problem(seed, hidden=16, inputs=8, steps=20):
    rng = np.random.default_rng(seed)
    W = 1.5 * rng.normal(size=(hidden, hidden)) / np.sqrt(hidden)
    U = rng.normal(size=(hidden, inputs)) / np.sqrt(inputs)
    h0 = rng.normal(size=hidden)
    xs = rng.normal(size=(steps, inputs))
    c = rng.normal(size=hidden)
    return W, U, h0, xs, c


def test_rnn_reference_bptt_matches_finite_differences():
    # the reference itself, checked against the plain forward function
    W, U, h0, xs, c = args = rnn_problem(0, hidden=5, inputs=3, steps=6)
    dW, dU, dh0, dxs = rnn_bptt(*args)
    for where, expected in ((0, dW), (1, dU), (2, dh0), (3, dxs)):
        assert_close(expected, numerical_grad(rnn_loss, args, where), 1e-6, 1e-8)


@pytest.mark.parametrize("seed", [0, 1])
def test_rnn_matches_backprop_through_time(seed):
    args = rnn_problem(seed)
    dW, dU, dh0, dxs = rnn_bptt(*args)
    assert np.max(np.abs(dh0)) > 1e-3   # the gradient reaches the initial state
    gW, gU, gh0 = assert_grad(rnn_loss, *args, wrt=("W", "U", "h0"))
    assert_close(gW, dW, 1e-10, 1e-13, "dW")
    assert_close(gU, dU, 1e-10, 1e-13, "dU")
    assert_close(gh0, dh0, 1e-10, 1e-13, "dh0")
    gxs = ad.grad(rnn_loss, wrt="xs")(*args)
    assert_gradient_like(gxs, args[3])
    assert_close(gxs, dxs, 1e-10, 1e-13, "dxs")


def test_rnn_with_different_sequence_lengths_from_one_compiled_gradient():
    g = ad.grad(rnn_loss, wrt=(0, 1, 2))
    W, U, h0, xs, c = rnn_problem(2, hidden=6, inputs=4, steps=9)
    for T in (9, 0, 1, 4):
        expected = rnn_bptt(W, U, h0, xs[:T], c)[:3]
        for got, want in zip(g(W, U, h0, xs[:T], c), expected):
            assert_close(got, want, 1e-10, 1e-13, f"T = {T}")


def long_recurrence(a, b, s0, n):
    s = s0
    for i in range(n):
        s = s * a + b
    return s


def long_recurrence_closed_form(a, b, s0, n):
    """(ds/da, ds/db, ds/ds0) of s_n = a**n s0 + b (1 - a**n) / (1 - a)."""
    an = a ** n
    d_a = n * a ** (n - 1) * s0 + b * (-n * a ** (n - 1) * (1 - a) + (1 - an)) / (1 - a) ** 2
    return d_a, (1 - an) / (1 - a), an


def best_time(fn, repeats=7):
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def test_10000_step_recurrence_gradient_and_linear_time():
    a, b, s0, n = 0.9999, 1e-3, 0.5, 10000
    args = (a, b, s0, n)
    g = ad.grad(long_recurrence, wrt=(0, 1, 2))
    grads = g(*args)
    for got, x in zip(grads, args):
        assert_gradient_like(got, x)
    expected = long_recurrence_closed_form(*args)
    for i, eps in enumerate((1e-7, 1e-6, 1e-6)):
        # for a, a step of 1e-7 keeps the O((n h)**2) truncation error of the difference
        # small; for b and s0, 1e-6 keeps the rounding error of 10,000 steps small
        fd = numerical_grad(long_recurrence, args, i, eps=eps)
        assert_close(grads[i], fd, 1e-6, 1e-9, f"finite differences, argument {i}")
        assert_close(grads[i], expected[i], 1e-8, 1e-12, f"closed form, argument {i}")
    # reverse mode is a constant factor slower than the forward pass, not n times:
    # a coarse linearity check, generous so that it is not flaky
    forward = best_time(lambda: long_recurrence(*args))
    backward = best_time(lambda: g(*args))
    assert backward <= 20 * forward, \
        f"gradient {backward * 1e3:.2f} ms vs forward {forward * 1e3:.2f} ms"


# ===========================================================================
# 4. caching exactly what is needed
# ===========================================================================

def repeated_sin(x, w, n):
    for i in range(n):
        x = np.sin(x * w)
    return x


def test_running_sum_caches_nothing_in_its_loop():
    x = vec(15, 6)
    # Called with an array, s is known to stay a float and x[i] to be one: nothing is saved.
    # (The general code, for arguments of unknown shapes, keeps operand shapes for
    # unbroadcast and may save them.)
    source = ad.show(running_sum, args=(x, 6))
    assert source.count(".append(") == 0, source
    assert_grad(running_sum, x, 6)


def test_repeated_sin_pushes_in_its_forward_loop():
    for wrt in (0, 1, (0, 1)):
        source = ad.show(repeated_sin, wrt=wrt)
        assert source.count(".append(") >= 1, source
        assert ad.grad(repeated_sin, wrt=wrt).source.count(".append(") >= 1
    for n in (0, 1, 5):
        gx, gw = assert_grad(repeated_sin, 0.7, 1.3, n, wrt=(0, 1))
    assert_close(ad.grad(repeated_sin)(0.7, 1.3, 2),
                 np.cos(np.sin(0.7 * 1.3) * 1.3) * 1.3 * np.cos(0.7 * 1.3) * 1.3, 1e-12, 1e-14)


# ===========================================================================
# 7. non-differentiable arguments flow through untouched
# ===========================================================================

def with_flag(x, flag):
    if flag:
        return np.sum(np.sin(x))
    return np.sum(x ** 2)


def with_mode(x, mode):
    if mode == "tanh":
        y = np.tanh(x)
    elif mode == "relu":
        y = np.maximum(x, 0.0)
    else:
        y = x
    return np.sum(y * y)


def with_optional(x, w=None):
    if w is None:
        w = 2.0
    return np.sum(w * x * x)


def with_optional_not_none(x, bias=None):
    y = x * x
    if bias is not None:
        y = y + bias * x
    return np.sum(y)


def with_shape(X, shape):
    rows, cols = shape
    ones = np.ones(shape)
    s = 0.0
    for i in range(rows):
        s = s + np.sum(X[i, :cols] ** 2 * ones[i]) * (i + 1)
    return s


def with_len_int(x, k):
    n = int(len(x) / 2)
    s = 0.0
    for i in range(n):
        s = s + x[i] * x[n + i]
    for j in range(int(k)):
        s = s * 0.5
    return s


def int_of_active(x):
    k = int(x)
    s = x
    for i in range(k):
        s = s * x
    return s + len([x, x]) * x


def comparison_as_value(x, y):
    bigger = x > y
    if bigger:
        return x * y * y
    return x + y


def test_bool_flag_chooses_a_branch():
    x = np.array([0.3, -1.2, 2.0])
    g = ad.grad(with_flag)
    for flag in (True, False, True):
        expected = np.cos(x) if flag else 2 * x
        assert_close(assert_grad(with_flag, x, flag), expected, 1e-12, 1e-14)
        assert_close(g(x, flag), expected, 1e-12, 1e-14)


def test_string_mode_compared_with_eq():
    x = np.array([0.3, -1.2, 2.0])
    g = ad.grad(with_mode)
    expected_by_mode = {"tanh": 2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
                        "relu": np.where(x > 0, 2 * x, 0.0), "identity": 2 * x}
    for mode in ("tanh", "relu", "identity", "tanh", "relu"):
        expected = expected_by_mode[mode]
        assert_close(assert_grad(with_mode, x, mode), expected, 1e-12, 1e-14, mode)
        assert_close(g(x, mode), expected, 1e-12, 1e-14, mode)


def test_none_optional_argument():
    x = np.array([0.3, -1.2, 2.0])
    g = ad.grad(with_optional)
    assert_close(assert_grad(with_optional, x), 4 * x, 1e-12, 0)
    assert_close(g(x), 4 * x, 1e-12, 0)
    assert_close(g(x, None), 4 * x, 1e-12, 0)
    w = np.array([1.0, 0.5, -2.0])
    assert_close(assert_grad(with_optional, x, w), 2 * w * x, 1e-12, 0)
    assert_close(g(x, w=w), 2 * w * x, 1e-12, 0)
    assert_close(assert_grad(with_optional, x, w, wrt="w"), x * x, 1e-12, 0)
    assert_close(assert_grad(with_optional_not_none, x), 2 * x, 1e-12, 0)
    assert_close(assert_grad(with_optional_not_none, x, 0.5), 2 * x + 0.5, 1e-12, 0)
    assert_close(assert_grad(with_optional_not_none, x, 0.5, wrt="bias"), np.sum(x), 1e-12, 0)


def test_shape_tuple_argument():
    X = np.random.default_rng(16).normal(size=(3, 4))
    g = ad.grad(with_shape)
    for shape in ((3, 4), (2, 4), (3, 2), (1, 1), (0, 4)):
        rows, cols = shape
        expected = np.zeros((3, 4))
        expected[:rows, :cols] = 2 * X[:rows, :cols] * (np.arange(rows) + 1.0)[:, None]
        assert_close(assert_grad(with_shape, X, shape), expected, 1e-12, 1e-14, str(shape))
        assert_close(g(X, shape), expected, 1e-12, 1e-14, str(shape))


def test_len_int_range_and_comparisons_are_not_differentiated():
    x = np.array([0.5, -1.0, 2.0, 0.25, 3.0, -0.5])
    for k in (0, 2, 3.0):
        g = assert_grad(with_len_int, x, k)
        expected = np.concatenate([x[3:], x[:3]]) * 0.5 ** int(k)
        assert_close(g, expected, 1e-12, 0)
    # int() of an active value is a constant: d/dx (x**(k+1) + 2x) = (k+1) x**k + 2
    for x in (0.5, 1.5, 2.7, 3.2):
        k = int(x)
        assert_close(assert_grad(int_of_active, x), (k + 1) * x ** k + 2, 1e-12, 1e-14)
    assert_close(assert_grad(comparison_as_value, 2.0, 0.5, wrt=(0, 1)), (0.25, 2.0), 1e-15, 0)
    assert_close(assert_grad(comparison_as_value, -2.0, 0.5, wrt=(0, 1)), (1.0, 1.0), 1e-15, 0)


@CF
@given(x=reals(0.1, 4.0))
def test_int_of_active_property(x):
    assume(abs(x - round(x)) > 1e-3)
    k = int(x)
    assert_close(assert_grad(int_of_active, x), (k + 1) * x ** k + 2, 1e-10, 1e-12)


# ===========================================================================
# vjp and value_and_grad through loops
# ===========================================================================

def loop_vector_output(x, n):
    y = x
    for i in range(n):
        y = np.sin(y) * x
    return y


@pytest.mark.parametrize("n", [0, 1, 3])
def test_vjp_of_a_loop_with_an_array_output(n):
    x = np.array([0.3, -0.8, 1.1])
    out_bar = np.array([1.0, -2.0, 0.5])
    value, g = ad.vjp(loop_vector_output)(x, n, out_bar)
    assert_close(value, loop_vector_output(x, n), 1e-14, 0, "value")
    assert_gradient_like(g, x)
    assert_close(g, numerical_vjp(loop_vector_output, (x, n), 0, out_bar), 1e-5, 1e-6)


def test_value_and_grad_through_a_loop():
    x = vec(17, 8)
    value, (gx, gw) = ad.value_and_grad(scalar_recurrence, wrt=(0, 1))(x, 0.9)
    assert_close(value, scalar_recurrence(x, 0.9), 1e-14, 0, "value")
    assert_close(gx, 0.9 ** np.arange(7, -1, -1.0), 1e-12, 1e-14)


def reversed_range(x, n):
    s = x
    for i in reversed(range(n)):
        s = s * x + i
    return s


def reversed_rows(X):
    s = 0.0
    for row in reversed(X):
        s = np.sin(s) + np.sum(row * row)
    return s


@pytest.mark.parametrize("n", [0, 1, 4])
def test_for_over_reversed_range(n):
    assert_grad(reversed_range, 0.6, n)


def test_for_over_reversed_rows():
    assert_grad(reversed_rows, np.array([[0.3, -0.2], [0.5, 0.1], [-0.4, 0.7]]))


def loop_of_constants(x, n):
    c = 0.0
    for i in range(n):
        c = c + math.lgamma(i + 2.0)
    return x * c


def test_a_loop_with_nothing_to_reverse_is_not_reversed():
    code = ad.show(loop_of_constants, args=(0.5, 3))
    assert "reversed(" not in code and "pass" not in code and "stack" not in code
    assert_grad(loop_of_constants, 0.5, 3)


# ---------------------------------------------------------------------------
# code specialised on axes of length 1, through a loop: any operand with such an axis
# (or a scalar among arrays) may have been broadcast, and its adjoint is summed back
# ---------------------------------------------------------------------------

def broadcasting_loop(x, y, W, zs):
    h = x
    s = 0.0
    for i in range(zs.shape[0]):
        h = np.tanh(W @ h + y * h) + zs[i]
        s = s + np.sum(h * h)
    return s + np.sum(np.mean(W, axis=0) * h)


@st.composite
def broadcasting_loop_args(draw):
    k = draw(st.integers(1, 3))
    steps = draw(st.integers(0, 3))
    y_shape = draw(st.sampled_from([(), (1,), (k,)]))
    W_shape = draw(st.sampled_from([(k, k), (1, k)]))
    zs_shape = (steps, draw(st.sampled_from([1, k])))
    values = reals(-1.0, 1.0)
    y = draw(arrays(y_shape, values)) if y_shape else draw(values)
    return (draw(arrays((k,), values)), y, draw(arrays(W_shape, values)),
            draw(arrays(zs_shape, values)))


@CF
@given(args=broadcasting_loop_args(), wrt=st.sampled_from([0, 1, 2, 3]))
def test_loop_over_operands_with_axes_of_length_one(args, wrt):
    assert_grad(broadcasting_loop, *args, wrt=wrt)


def pair_from_several_returns(p, q):
    if p > 0.3:
        return p * q, np.sin(q)
    for i in range(3):
        q = q * p
        if q > 2.0:
            return q, p
    return -p, q * q


def uses_pairs_from_several_returns(x, y):
    a, b = pair_from_several_returns(x, y)
    c, d = pair_from_several_returns(y * 0.5, x)
    return a * b + c - d


def returns_a_pair_or_a_number(x):
    if x > 0:
        return x, x * 2
    return x


@pytest.mark.parametrize("args", [(0.5, 1.2), (0.1, 2.0), (-0.7, 3.0), (2.5, 1.5)])
def test_a_tuple_returned_from_several_places(args):
    # (each path, the early return inside the loop included, is taken by one of the args)
    assert_grad(uses_pairs_from_several_returns, *args, wrt=(0, 1))


def test_a_tuple_and_a_number_returned_is_refused():
    with pytest.raises(ad.TransformError, match="tuple of the same length"):
        ad.grad(returns_a_pair_or_a_number)(1.0)


# -- a conditional expression inside another: assigned to a variable first (nesting.py) --

def accumulates_conditionally(x):
    y = 0.0
    for i in range(4):
        y += math.sin(x * i) if i % 2 else math.cos(x) * i
    return y


def effect_before_the_condition(x):
    ls = [1.0]

    def pop_one():
        return ls.pop()

    # Python calls pop_one() before it tests len(ls): the condition sees the list empty
    return pop_one() * x + (x if len(ls) > 0 else 2.0 * x)


def softplus_by_entries(x):
    out = np.empty_like(x)
    for i in range(len(x)):
        out[i] = np.log1p(np.exp(x[i])) if x[i] < 20.0 else x[i]
    return np.sum(out * np.arange(1.0, len(x) + 1.0))


def test_conditional_expressions_inside_expressions():
    for x in (0.3, 1.7, -0.8):
        ad.check_grad(accumulates_conditionally, x)
    ad.check_grad(softplus_by_entries, np.array([-1.0, 0.5, 25.0, 3.0]))
    assert ad.grad(effect_before_the_condition)(0.7) == pytest.approx(3.0)
    ad.check_grad(effect_before_the_condition, 0.7)
