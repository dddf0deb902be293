"""Scientific and optimisation code written the way it is written in practice (a loss of
math functions of scalars, a trajectory in preallocated arrays, quantiles of a sample),
each a program on which adcompile once refused, crashed or erred. Every gradient is
checked against central finite differences and, where autograd has the functions, against
autograd.
"""

import math

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from conftest import assert_close, assert_grad, numerical_grad
from test_second_order import assert_second_order

import adcompile as ad


def polar_loss(a, b):
    # math.hypot's and math.fabs's adjoints are conditional terms (0 at the kink) inside a
    # sum: differentiated again (a Hessian), they were refused in the generated code
    r = math.sqrt(a * a + b * b)
    return (math.log(1 + r) + math.atan2(b, a) * math.tanh(a) + math.hypot(a, 2.0) ** 2
            + math.fabs(b) * a)


def test_second_derivatives_of_math_hypot_and_fabs():
    for a, b in ((0.7, -0.4), (-1.3, 0.6)):
        assert_grad(polar_loss, a, b, wrt=(0, 1))
        assert_second_order(polar_loss, a, b, wrt=0)
        assert_second_order(polar_loss, a, b, wrt=1)
    H = ad.hessian(polar_loss, wrt=(0, 1))(0.7, -0.4)
    a, b = 0.7, -0.4
    expected = autograd.hessian(lambda v: (
        anp.log(1 + anp.sqrt(v[0] ** 2 + v[1] ** 2)) + anp.arctan2(v[1], v[0]) * anp.tanh(v[0])
        + (v[0] ** 2 + 4.0) + anp.abs(v[1]) * v[0]))(np.array([a, b]))
    assert_close(np.array([[H[0][0], H[0][1]], [H[1][0], H[1][1]]]), expected)


def interquartile_spread(x):
    # several quantiles in one call: NumPy returns them along a first axis
    q = np.percentile(x, [25, 75])
    return q[1] - q[0] + np.quantile(x, 0.3)


def trimmed_band(X):
    lo, hi = np.percentile(X - X.mean(), (10, 90), axis=0)
    return np.sum(hi * lo) + np.sum(np.quantile(np.abs(X), q=[0.2, 0.5], axis=1,
                                                keepdims=True) ** 2)


def test_quantiles_of_a_list_literal_of_q():
    rng = np.random.default_rng(11)
    x = rng.normal(size=7)
    assert_grad(interquartile_spread, x)
    X = rng.normal(size=(6, 3))
    assert_grad(trimmed_band, X)
    t = rng.normal(size=x.shape)
    value, dot = ad.jvp(interquartile_spread)(x, t)
    h = 1e-6
    expected = (interquartile_spread(x + h * t) - interquartile_spread(x - h * t)) / (2 * h)
    assert_close(value, interquartile_spread(x))
    assert_close(dot, expected)


G = 9.81


def projectile(v0, steps=12, dt=0.05):
    # a trajectory in preallocated arrays: one component at a time, then the whole row
    pos = np.zeros((steps + 1, 2))
    vel = np.zeros((steps + 1, 2))
    vel[0] = v0
    for k in range(steps):
        vel[k + 1, 0] = vel[k, 0] * 0.99
        vel[k + 1, 1] = vel[k, 1] - G * dt
        pos[k + 1] = pos[k] + dt * vel[k + 1]
    return pos[-1, 0] + pos[-1, 1] ** 2


def nonlinear_trajectory(v0, steps=6):
    # the row read (a view) after the updates of its iteration, by nonlinear functions
    pos = np.zeros((steps + 1, 2))
    vel = np.zeros((steps + 1, 2))
    vel[0] = v0
    for k in range(steps):
        vel[k + 1, 0] = vel[k, 0] * 0.9 + np.sin(vel[k, 1])
        vel[k + 1, 1] = vel[k, 1] - 0.1 * vel[k, 0] ** 2
        row = vel[k + 1]
        pos[k + 1] = pos[k] + 0.1 * row ** 2 + np.sin(row)
    return np.sum(pos ** 2) + np.sum(vel ** 3)


def last_row_after_the_loop(v0, steps=5):
    # the view is read after the loop, after another update of its row: refused
    vel = np.zeros((steps + 1, 2))
    vel[0] = v0
    for k in range(steps):
        vel[k + 1, 0] = vel[k, 0] * 0.9 + vel[k, 1] ** 2
        last = vel[k + 1]
        vel[k + 1, 1] = vel[k, 1] * 0.5
    return np.sum(np.sin(last) * last)


def test_rows_of_a_trajectory_read_after_their_updates():
    # refused before: the row read in an iteration was taken to be read in the next one,
    # after that iteration's update
    v0 = np.array([3.0, 4.0])
    assert_grad(projectile, v0)
    assert_grad(nonlinear_trajectory, np.array([0.7, -0.3]))
    t = np.array([1.0, 0.5])
    _, dot = ad.jvp(nonlinear_trajectory)(np.array([0.7, -0.3]), t)
    h = 1e-6
    x = np.array([0.7, -0.3])
    assert_close(dot, (nonlinear_trajectory(x + h * t) - nonlinear_trajectory(x - h * t)) / (2 * h))


def test_a_row_read_after_a_later_update_is_still_refused():
    with pytest.raises(ad.TransformError, match=r"sci\.py:\d+:\d+: .*'last'"):
        ad.grad(last_row_after_the_loop)(np.array([0.7, -0.3]))


def dirichlet_energy(u, x):
    # the energy of a field on a nonuniform grid, integrated by the trapezoidal rule
    ux = np.gradient(u, x)
    return np.trapezoid(0.5 * ux ** 2 + u ** 4, x)


def integrals(Y, x, h):
    return (np.sum(np.trapezoid(Y, x) ** 2) + np.sum(np.trapezoid(Y, dx=h, axis=0) ** 2)
            + np.sum(np.trapezoid(np.sin(Y), None, h, 1)) + np.trapezoid(Y[0] ** 2))


def test_trapezoidal_rule():
    if not hasattr(np, "trapezoid"):
        pytest.skip("np.trapezoid is NumPy 2.0's name for np.trapz")
    rng = np.random.default_rng(3)
    x = np.cumsum(rng.uniform(0.2, 1.0, size=6))
    u = rng.normal(size=6)
    assert_grad(dirichlet_energy, u, x)
    Y = rng.normal(size=(3, 6))
    assert_grad(integrals, Y, x, 0.3, wrt=(0, 1, 2))
    t = rng.normal(size=Y.shape)
    value, dot = ad.jvp(integrals)(Y, x, 0.3, t)
    h = 1e-6
    assert_close(value, integrals(Y, x, 0.3))
    assert_close(dot, (integrals(Y + h * t, x, 0.3) - integrals(Y - h * t, x, 0.3)) / (2 * h))
    assert_second_order(integrals, Y[:2, :4], x[:4], 0.3, wrt=0)


def trapezoid_along_first_axis(Y, x):
    return np.sum(np.trapezoid(Y, x, axis=0))


def test_trapezoid_with_coordinates_along_another_axis_is_refused():
    if not hasattr(np, "trapezoid"):
        pytest.skip("np.trapezoid is NumPy 2.0's name for np.trapz")
    with pytest.raises(ad.TransformError, match=r"sci\.py:\d+:\d+: np.trapezoid with coord"):
        ad.grad(trapezoid_along_first_axis)(np.ones((3, 2)), np.arange(3.0))


def moving_grid_energy(u, x):
    # the grid itself differentiated: np.gradient's spacing is a constant for its rule
    return np.sum(np.gradient(u, x) ** 2)


def test_a_differentiated_spacing_is_refused_naming_the_argument():
    u, x = np.sin(np.arange(5.0)), np.cumsum(np.ones(5))
    assert_grad(moving_grid_energy, u, x)   # the grid not differentiated
    with pytest.raises(ad.TransformError,
                       match=r"sci\.py:\d+:\d+: 'x', argument 'varargs' of np.gradient, depends "
                             r"on the differentiated input"):
        ad.grad(moving_grid_energy, wrt=1)(u, x)


def increments(t, v, X, p):
    # time steps kept as long as the samples (the first one from a made-up earlier time),
    # and differences of a grid with its boundary values joined
    dt = np.diff(t, prepend=t[0] - 0.1)
    return (np.sum(v * dt) + np.sum(np.diff(X, axis=0, prepend=p) ** 2)
            + np.sum(np.diff(X, n=2, append=X[:, :1] * 2, prepend=p) ** 3)
            + np.sum(np.diff(v, append=0.0) ** 2))


def test_differences_with_prepend_and_append():
    rng = np.random.default_rng(5)
    t = np.cumsum(rng.uniform(0.1, 1.0, size=5))
    v, X = rng.normal(size=5), rng.normal(size=(3, 4))
    assert_grad(increments, t, v, X, 0.3, wrt=(0, 1, 2, 3))
    tangents = (rng.normal(size=5), rng.normal(size=5), rng.normal(size=(3, 4)), 0.7)
    value, dot = ad.jvp(increments, wrt=(0, 1, 2, 3))(t, v, X, 0.3, tangents)
    h = 1e-6
    moved = [[a + s * h * b for a, b in zip((t, v, X, 0.3), tangents)] for s in (1, -1)]
    assert_close(value, increments(t, v, X, 0.3))
    assert_close(dot, (increments(*moved[0]) - increments(*moved[1])) / (2 * h))


def diffuse(u, r):
    # one explicit step, in place, the array handed back
    u[1:-1] += r * (u[2:] - 2 * u[1:-1] + u[:-2])
    return u


def diffuse_in_place(u, r):
    u[1:-1] += r * (u[2:] - 2 * u[1:-1] + u[:-2])


def heat_by_steps(u0, r=0.2, steps=5):
    u = u0.copy()
    for _ in range(steps):
        u = diffuse(u, r)
    return np.sum(u ** 2)


def heat_by_steps_in_place(u0, r=0.2, steps=5):
    u = u0.copy()
    for _ in range(steps):
        diffuse_in_place(u, r)
    return np.sum(u ** 2)


def heat_history(u0, r=0.2, steps=4):
    # every item of hist is the same array in Python (the last state): refused
    u = u0.copy()
    hist = []
    for _ in range(steps):
        u = diffuse(u, r)
        hist.append(u)
    return np.sum(np.stack(hist) ** 2)


def test_a_step_function_that_updates_its_argument_in_place_and_returns_it():
    # refused before in a loop: the step's own result, read in its iteration, was taken to
    # be an older name of the array
    u0 = np.sin(np.linspace(0.0, 3.0, 7))
    g = assert_grad(heat_by_steps, u0, 0.3, wrt=(0, 1))
    # the step as a statement changing u in place (refused before: test_helpers_in_place.py)
    g_in_place = assert_grad(heat_by_steps_in_place, u0, 0.3, wrt=(0, 1))
    assert_close(g_in_place[0], g[0], 1e-12, 1e-12)
    assert_close(g_in_place[1], g[1], 1e-12, 1e-12)
    with pytest.raises(ad.TransformError, match=r"sci\.py:\d+:\d+: .*'hist'"):
        ad.grad(heat_history)(u0)


def clamped_ends(x):
    # boundary values set by one chained assignment
    y = np.zeros(5)
    a = y[0] = y[-1] = x[0] * x[1]
    y[1:4] = x[1:4] ** 2
    return np.sum(y * np.arange(5.0)) + a


def test_chained_assignment_into_items():
    # refused before ("item or slice assignment cannot be differentiated"), unlike y[0] = v
    assert_grad(clamped_ends, np.linspace(-1.0, 1.5, 6))


def gp_nll_jittered(log_ell, X, y, noise=0.1):
    # a kernel matrix with noise added on its diagonal in place
    d = X[:, None, :] - X[None, :, :]
    K = np.exp(-0.5 * np.sum(d ** 2, axis=-1) / np.exp(2 * log_ell))
    np.fill_diagonal(K, K.diagonal() + noise)
    L = np.linalg.cholesky(K)
    a = np.linalg.solve(K, y)
    return 0.5 * y @ a + np.sum(np.log(np.diag(L)))


def diagonal_replaced(A, v):
    B = A * 1.0
    np.fill_diagonal(B, v ** 2)
    return np.sum(B ** 3)


def diagonal_wrapped(A):
    B = A.copy()
    np.fill_diagonal(B, 0.0, wrap=True)
    return np.sum(B ** 2)


def test_fill_diagonal():
    rng = np.random.default_rng(8)
    X, y = rng.normal(size=(5, 2)), rng.normal(size=5)
    assert_grad(gp_nll_jittered, 0.2, X, y)
    for shape in ((3, 3), (4, 2), (2, 4)):
        A = rng.normal(size=shape)
        assert_grad(diagonal_replaced, A, rng.normal(size=min(shape)), wrt=(0, 1))
    A = rng.normal(size=(3, 3))
    value, dot = ad.jvp(diagonal_replaced, wrt=(0, 1))(A, np.ones(3), (A, np.ones(3)))
    assert_close(dot, (diagonal_replaced(A * (1 + 1e-6), np.ones(3) + 1e-6)
                       - diagonal_replaced(A * (1 - 1e-6), np.ones(3) - 1e-6)) / 2e-6)
    with pytest.raises(ad.TransformError, match=r"sci\.py:\d+:\d+: .*fill_diagonal"):
        ad.grad(diagonal_wrapped)(A)


def variable_projection(rates, t, y):
    # separable least squares: the linear coefficients solved for, the decay rates
    # differentiated through the solution
    A = np.exp(-np.outer(t, rates))
    coef, res, rank, sv = np.linalg.lstsq(A, y, rcond=None)
    return np.sum((A @ coef - y) ** 2) + 1e-2 * np.sum(coef ** 2)


def test_least_squares_inside_a_loss():
    t = np.linspace(0.0, 3.0, 12)
    y = 2.0 * np.exp(-0.7 * t) + 0.5 * np.exp(-2.5 * t) + 0.01 * np.cos(7 * t)
    rates = np.array([0.5, 2.0])
    assert_grad(variable_projection, rates, t, y)
    assert_grad(variable_projection, rates, t, y, wrt=2)


# -- sorting a working copy in place ----------------------------------------------------------

def trimmed_mean(x, k=1):
    s = x.copy()
    s.sort()
    return np.mean(s[k:-k])


def sorted_columns_with_a_row_kept(x, w):
    y = np.tanh(x) * 2.0
    first = y[0]           # a view of y: sorted with it
    y.sort(axis=0)
    return np.sum(y * w) + np.sum(first ** 2)


def sorted_list_in_place(x):
    xs = [x[0], x[1] ** 2, x[2]]
    xs.sort()
    return xs[0] - xs[-1]


def test_an_array_sorted_in_place():
    x = np.array([0.3, -1.2, 0.8, 2.0, -0.1, 0.55])
    g = assert_grad(trimmed_mean, x)
    assert_close(g, autograd.grad(lambda x: anp.mean(anp.sort(x)[1:-1]))(x), 1e-12, 1e-12)
    w = np.arange(6.0).reshape(2, 3)
    assert_grad(sorted_columns_with_a_row_kept, x.reshape(2, 3), w)
    # a list's sort is Python's: refused, saying what to write
    with pytest.raises(ad.TransformError, match=r"xs.sort\(\) of a list .* xs = sorted\(xs\)"):
        ad.grad(sorted_list_in_place)(x)


# -- double buffering in a time-stepping loop --------------------------------------------------

def heat_swapped(u0, r=0.2, steps=6):
    u, un = u0.copy(), u0.copy()
    for _ in range(steps):
        un[1:-1] = u[1:-1] + r * (u[2:] - 2 * u[1:-1] + u[:-2])
        u, un = un, u
    return np.sum(u ** 2 * np.arange(u.size))


def heat_swapped_copying(u0, r=0.2, steps=6):
    u, un = u0.copy(), u0.copy()
    for _ in range(steps):
        un = un.copy()
        un[1:-1] = u[1:-1] + r * (u[2:] - 2 * u[1:-1] + u[:-2])
        u, un = un, u
    return np.sum(u ** 2 * np.arange(u.size))


def test_double_buffering_is_differentiated():
    u0 = np.sin(np.linspace(0.0, 3.0, 9))
    # the two arrays swapped: each made by a copy of its own, passed on as a permutation
    # (analysis/iteration_objects.py), no longer refused
    got = assert_grad(heat_swapped, u0)
    # the form with a copy each step: the same values, and their gradient
    assert heat_swapped_copying(u0) == heat_swapped(u0)
    assert_close(assert_grad(heat_swapped_copying, u0), got, 1e-12, 1e-12)
