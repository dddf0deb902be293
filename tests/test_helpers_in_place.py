"""Helper functions that change an array argument in place, as scientific code writes
them: boundary conditions applied to the state of a time loop, a vector normalised in
place, an optimiser's step updating the weights and the velocity. After ``apply_bc(u)``
the caller's ``u`` is the changed array, as in Python (frontend/in_place_calls.py).

Each gradient is checked against central finite differences, forward mode against
them too (``assert_grad``), and against autograd running a functional twin of the
program (autograd does not differentiate assignments into arrays). The variants whose
change could be seen through another name, or that are not changes in place only, stay
refused at the user's line.
"""

import re

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from conftest import assert_close, assert_grad, numerical_grad

import adcompile as ad

rng = np.random.default_rng(7)
U0 = np.sin(np.linspace(0.0, np.pi, 9)) + 0.1 * rng.normal(size=9)


# -- a PDE step with boundary conditions applied in place, in a time loop ---------------


def heat_step(u, nu):
    """One explicit step of the heat equation."""
    lap = np.zeros_like(u)
    lap[1:-1] = u[:-2] - 2.0 * u[1:-1] + u[2:]
    return u + nu * lap


def apply_dirichlet(u):
    u[0] = 0.0
    u[-1] = 0.0


def heat_energy(u0, nu):
    u = u0.copy()
    for _ in range(4):
        u = heat_step(u, nu)
        apply_dirichlet(u)
    return np.sum(u ** 2)


def heat_energy_twin(u0, nu):
    u = u0
    for _ in range(4):
        u = u + nu * anp.concatenate([anp.zeros(1), u[:-2] - 2.0 * u[1:-1] + u[2:],
                                      anp.zeros(1)])
        u = anp.concatenate([anp.zeros(1), u[1:-1], anp.zeros(1)])
    return anp.sum(u ** 2)


def test_boundary_conditions_in_a_time_loop():
    g = assert_grad(heat_energy, U0, 0.2, wrt=(0, 1))
    want = autograd.grad(heat_energy_twin, (0, 1))(U0, 0.2)
    assert_close(g[0], want[0], 1e-12, 1e-12)
    assert_close(g[1], want[1], 1e-12, 1e-12)


def test_boundary_conditions_second_order():
    assert_close(ad.hessian(heat_energy)(U0, 0.2),
                 autograd.hessian(heat_energy_twin)(U0, 0.2), 1e-10, 1e-12)


def test_the_generated_code_changes_the_state_in_place():
    code = ad.show(heat_energy, args=(U0, 0.2))
    # (both writes into the one array u_2: an item written in place keeps the array's name)
    assert "u_2[0] = 0.0" in code and "u_2[-1] = 0.0" in code
    assert "apply_dirichlet" not in code


# -- a vector normalised in place -------------------------------------------------------


def normalise(p):
    p[:] = p / np.sum(p)


def cross_entropy(z, k):
    probs = np.exp(z - np.max(z))
    normalise(probs)
    return -np.log(probs[k])


def cross_entropy_twin(z, k):
    e = anp.exp(z - anp.max(z))
    return -anp.log((e / anp.sum(e))[k])


def test_a_vector_normalised_in_place():
    z = rng.normal(size=5)
    g = assert_grad(cross_entropy, z, 3)
    assert_close(g, autograd.grad(cross_entropy_twin)(z, 3), 1e-12, 1e-12)
    assert_close(ad.hessian(cross_entropy)(z, 3), autograd.hessian(cross_entropy_twin)(z, 3),
                 1e-10, 1e-12)


# -- a helper in a branch; one returning a value too ------------------------------------


def clamp_ends(u, low):
    u[0] = max(u[0], low)
    u[-1] = max(u[-1], low)


def clamped_if_asked(x, clamp):
    u = 2.0 * x
    if clamp:
        clamp_ends(u, 0.5)
    return np.sum(u ** 3)


def clamped_twin(x, clamp):
    u = 2.0 * x
    if clamp:
        u = anp.concatenate([anp.maximum(u[:1], 0.5), u[1:-1], anp.maximum(u[-1:], 0.5)])
    return anp.sum(u ** 3)


@pytest.mark.parametrize("clamp", [True, False])
def test_a_helper_in_a_branch(clamp):
    x = np.array([0.1, -0.4, 0.7, 0.9, 0.2])
    g = assert_grad(clamped_if_asked, x, clamp)
    assert_close(g, autograd.grad(clamped_twin)(x, clamp), 1e-12, 1e-12)


def zero_first_and_sum(u):
    u[0] = 0.0
    return np.sum(u)


def uses_both(x):
    u = x * x
    s = zero_first_and_sum(u)
    return s * np.sum(u ** 2)


def uses_both_twin(x):
    u = anp.concatenate([anp.zeros(1), (x * x)[1:]])
    return anp.sum(u) * anp.sum(u ** 2)


def test_a_helper_that_returns_a_value_too():
    g = assert_grad(uses_both, U0)
    assert_close(g, autograd.grad(uses_both_twin)(U0), 1e-12, 1e-12)


# -- nested helpers; a helper calling one in a loop -------------------------------------


def mirror_ends(u):
    u[0] = u[1]
    u[-1] = u[-2]


def enforce_boundary(u, scale):
    mirror_ends(u)
    u[1:-1] *= scale


def gauss_seidel_sweep(u, f, h):
    for i in range(1, len(u) - 1):
        u[i] = 0.5 * (u[i - 1] + u[i + 1] + h * h * f[i])


def relax(u, f, sweeps):
    for _ in range(sweeps):
        gauss_seidel_sweep(u, f, 0.1)
        mirror_ends(u)


def poisson_residual(f, u0):
    u = u0.copy()
    relax(u, f, 3)
    enforce_boundary(u, 1.5)
    return np.sum(u ** 2) + np.dot(u, f)


def poisson_residual_twin(f, u0):
    u = list(u0)
    for _ in range(3):
        for i in range(1, len(u) - 1):
            u[i] = 0.5 * (u[i - 1] + u[i + 1] + 0.01 * f[i])
        u[0], u[-1] = u[1], u[-2]
    u = anp.array(u)
    u = anp.concatenate([u[1:2], 1.5 * u[1:-1], u[-2:-1]])
    u = anp.concatenate([u[:1], u[1:-1], u[-1:]])
    return anp.sum(u ** 2) + anp.dot(u, f)


def test_nested_helpers_and_a_helper_in_a_loop_in_a_helper():
    f = rng.normal(size=7)
    u0 = rng.normal(size=7)
    g = assert_grad(poisson_residual, f, u0, wrt=(0, 1))
    want = autograd.grad(poisson_residual_twin, (0, 1))(f, u0)
    assert_close(g[0], want[0], 1e-12, 1e-12)
    assert_close(g[1], want[1], 1e-12, 1e-12)
    assert_close(ad.hessian(poisson_residual)(f, u0),
                 autograd.hessian(poisson_residual_twin)(f, u0), 1e-10, 1e-12)


def gains_then_boundary(gains, x):
    u = x * 1.0
    for name in gains:           # (a loop over a dict: written out once per key)
        u = np.tanh(u * gains[name])
        apply_dirichlet(u)
    return np.sum(u ** 2)


def gains_then_boundary_twin(gains, x):
    u = x * 1.0
    for name in gains:
        u = anp.tanh(u * gains[name])
        u = anp.concatenate([anp.zeros(1), u[1:-1], anp.zeros(1)])
    return anp.sum(u ** 2)


def test_a_helper_in_a_loop_over_a_dict():
    gains = {"first": rng.normal(size=6), "second": rng.normal(size=6)}
    x = rng.normal(size=6)
    g = assert_grad(gains_then_boundary, gains, x, wrt=1)
    assert_close(g, autograd.grad(gains_then_boundary_twin, 1)(gains, x), 1e-12, 1e-12)
    by_leaf = ad.grad(gains_then_boundary)(gains, x)
    want = autograd.grad(gains_then_boundary_twin)(gains, x)
    for name in gains:
        assert_close(by_leaf[name], want[name], 1e-12, 1e-12)
        assert_close(by_leaf[name], numerical_grad(
            lambda v, name=name: gains_then_boundary({**gains, name: v}, x), (gains[name],), 0))


# -- several arrays changed by one call: an optimiser's step ----------------------------


def momentum_step(w, velocity, grad, lr):
    velocity[:] = 0.9 * velocity + grad
    w[:] -= lr * velocity


def quadratic_grad(w, A, b):
    return A @ w - b


def trained_loss(w0, A, b):
    w = w0.copy()
    velocity = np.zeros_like(w)
    for _ in range(5):
        momentum_step(w, velocity, quadratic_grad(w, A, b), 0.05)
    return 0.5 * w @ A @ w - b @ w


def trained_loss_twin(w0, A, b):
    w, velocity = w0, anp.zeros_like(w0)
    for _ in range(5):
        velocity = 0.9 * velocity + (anp.dot(A, w) - b)
        w = w - 0.05 * velocity
    return 0.5 * anp.dot(w, anp.dot(A, w)) - anp.dot(b, w)


def test_an_optimiser_step_changing_two_arrays():
    M = rng.normal(size=(4, 4))
    A, b, w0 = M @ M.T + 4 * np.eye(4), rng.normal(size=4), rng.normal(size=4)
    g = assert_grad(trained_loss, w0, A, b, wrt=(0, 1, 2))
    want = autograd.grad(trained_loss_twin, (0, 1, 2))(w0, A, b)
    for got, expected in zip(g, want):
        assert_close(got, expected, 1e-10, 1e-12)


# -- fills, scatter-adds, keywords, the differentiated function's argument -------------


def scatter_counts(out, index, values):
    np.add.at(out, index, values)


def reset(buf, value):
    buf.fill(value)


def copy_into(dst, src):
    np.copyto(dst, src)


def histogram_loss(x, index):
    bins = np.zeros(4)
    scatter_counts(bins, index, x ** 2)
    smooth = np.empty(4)
    reset(smooth, 1.0)
    copy_into(dst=smooth, src=0.5 * (bins + np.roll(bins, 1)))
    return np.sum(np.sin(bins) * smooth)


def histogram_loss_twin(x, index):
    bins = anp.dot(anp.array((index[:, None] == np.arange(4)).T, dtype=float), x ** 2)
    smooth = 0.5 * (bins + anp.concatenate([bins[-1:], bins[:-1]]))
    return anp.sum(anp.sin(bins) * smooth)


def test_fills_scatter_adds_and_keywords():
    x, index = rng.normal(size=6), np.array([0, 2, 2, 3, 0, 1])
    g = assert_grad(histogram_loss, x, index)
    assert_close(g, autograd.grad(histogram_loss_twin)(x, index), 1e-12, 1e-12)


def through_a_local_name_too(u):
    w = u
    w[0] = 5.0 * u[2]     # (w is u: Python changes u)
    u[1] = u[0] * u[1]


def reads_after_the_local_name(x):
    u = x * 1.0
    through_a_local_name_too(u)
    return np.sum(u * x)


def reads_after_the_local_name_twin(x):
    u = x * 1.0
    u = anp.concatenate([5.0 * u[2:3], 5.0 * u[2:3] * u[1:2], u[2:]])
    return anp.sum(u * x)


def test_a_helper_changing_the_array_through_a_name_of_its_own():
    x = rng.normal(size=4)
    g = assert_grad(reads_after_the_local_name, x)
    assert_close(g, autograd.grad(reads_after_the_local_name_twin)(x), 1e-12, 1e-12)


def on_the_argument(x):
    apply_dirichlet(x)
    return np.sum(x ** 2)


def test_changing_the_differentiated_functions_argument():
    x = U0.copy()
    g = assert_grad(on_the_argument, x)   # (checks that the caller's array stays as it was)
    assert np.all(x == U0)
    assert_close(g, np.r_[0.0, 2 * U0[1:-1], 0.0], 1e-12, 1e-12)


def weighted_with_a_mask(x, weights):
    apply_dirichlet(weights)   # (nothing differentiated flows in: it runs as written)
    return np.sum(np.sin(x) * weights)


def test_a_helper_on_an_array_not_differentiated():
    weights = np.linspace(1.0, 2.0, len(U0))
    g = assert_grad(weighted_with_a_mask, U0, weights)   # (weights stays as it was)
    assert np.all(weights == np.linspace(1.0, 2.0, len(U0)))
    assert_close(g, np.cos(U0) * np.r_[0.0, weights[1:-1], 0.0], 1e-12, 1e-12)
    assert "private_copy(weights)" in ad.show(weighted_with_a_mask, args=(U0, weights))


# -- helpers updating their parameter by op= ----------------------------------------------


def diffuse(u, nu):
    """One explicit step of the heat equation on a ring, in place."""
    u += nu * (np.roll(u, 1) - 2.0 * u + np.roll(u, -1))


def ring_energy(u0, nu):
    u = u0.copy()          # (an array only when the code runs: checked there)
    for _ in range(4):
        diffuse(u, nu)
    return np.sum(u ** 2)


def ring_energy_twin(u0, nu):
    u = u0
    for _ in range(4):
        u = u + nu * (anp.roll(u, 1) - 2.0 * u + anp.roll(u, -1))
    return anp.sum(u ** 2)


def test_a_step_updating_the_state_by_op_equals():
    g = assert_grad(ring_energy, U0, 0.2, wrt=(0, 1))
    want = autograd.grad(ring_energy_twin, (0, 1))(U0, 0.2)
    assert_close(g[0], want[0], 1e-12, 1e-12)
    assert_close(g[1], want[1], 1e-12, 1e-12)
    assert_close(ad.hessian(ring_energy)(U0, 0.2),
                 autograd.hessian(ring_energy_twin)(U0, 0.2), 1e-10, 1e-12)


def test_the_check_that_the_state_is_an_array_goes_where_the_kinds_show_it():
    assert "require_ndarray(u" in ad.show(ring_energy)
    assert "require_ndarray" not in ad.show(ring_energy, args=(U0, 0.2))


def momentum_update(w, v, g, lr, mu):
    v *= mu
    v -= lr * g
    w += v


def unrolled_training(w0, X, y):
    """Three steps of gradient descent with momentum on a least-squares loss, in place;
    the loss after them (the inner gradient written by hand, as meta-learning code does)."""
    w = w0.copy()
    v = np.zeros(w0.shape)
    for _ in range(3):
        g = X.T @ (X @ w - y) / len(y)
        momentum_update(w, v, g, 0.1, 0.9)
    r = X @ w - y
    return 0.5 * np.mean(r ** 2)


def unrolled_training_twin(w0, X, y):
    w, v = w0, anp.zeros(w0.shape)
    for _ in range(3):
        g = anp.dot(X.T, anp.dot(X, w) - y) / len(y)
        v = 0.9 * v - 0.1 * g
        w = w + v
    r = anp.dot(X, w) - y
    return 0.5 * anp.mean(r ** 2)


def test_an_optimiser_step_updating_weights_and_velocity_by_op_equals():
    X, y, w0 = rng.normal(size=(6, 3)), rng.normal(size=6), rng.normal(size=3)
    g = assert_grad(unrolled_training, w0, X, y, wrt=(0, 1, 2))
    want = autograd.grad(unrolled_training_twin, (0, 1, 2))(w0, X, y)
    for got, expected in zip(g, want):
        assert_close(got, expected, 1e-12, 1e-12)


def add_and_total(acc, v):
    acc += v
    return np.sum(acc)


def array_and_number_callers(x):
    a = np.zeros(x.shape)   # surely an array: the helper changes it in place
    s1 = add_and_total(a, x * x)
    t = 2.0 * x[0]          # a number: the helper's t += 1.0 leaves it as it is
    s2 = add_and_total(t, 1.0)
    return s1 * s2 + np.sum(a * x) + t


def array_and_number_callers_twin(x):
    a = x * x
    t = 2.0 * x[0]
    return anp.sum(a) * (t + 1.0) + anp.sum(a * x) + t


def test_one_helper_given_an_array_and_a_number():
    x = np.array([0.3, -0.8, 1.1])
    g = assert_grad(array_and_number_callers, x)
    assert_close(g, autograd.grad(array_and_number_callers_twin)(x), 1e-12, 1e-12)


def test_a_number_given_to_an_updating_step_is_refused_when_the_code_runs():
    def scalar_state(x):
        t = x * 2.0
        diffuse(t, 0.1)     # (Python leaves t as it is: the call does nothing)
        return np.sum(t * x)

    with pytest.raises(TypeError, match=line_of(scalar_state, "diffuse(t, 0.1)")
                       + r": diffuse\(\) updates its parameter .* \(it holds a float\)"):
        ad.grad(scalar_state)(0.3)
    assert_grad(scalar_state, np.array([0.3, 0.4, -0.2]))   # (an array: changed in place)


def add_in_place(v, d):
    v += d


def passes_it_on(v, d):
    add_in_place(v, d)
    add_in_place(v, d * d)


def calls_a_helper_passing_it_on(x):
    a = np.ones(3)
    passes_it_on(a, x)
    return np.sum(a * x)


def test_a_helper_passing_its_parameter_to_one_updating_it():
    x = np.array([0.3, -0.8, 1.1])
    g = assert_grad(calls_a_helper_passing_it_on, x)
    assert_close(g, autograd.grad(lambda x: anp.sum((1.0 + x + x * x) * x))(x), 1e-12, 1e-12)

    def number_passed_on(x):
        t = 2.0 * x
        passes_it_on(t, x)
        return t * x

    with pytest.raises(TypeError, match=line_of(passes_it_on, "add_in_place(v, d)")
                       + r": add_in_place\(\) updates .* \(it holds a float\)"):
        ad.grad(number_passed_on)(0.3)


def read_through_a_view_after_op_equals(x):
    a = np.zeros(3)
    w = a[1:]
    add_in_place(a, x)
    return np.sum(w * x[1:])


def integers_updated_by_op_equals(x):
    a = np.zeros(3, dtype=int)
    add_in_place(a, x)
    return np.sum(a * x)


def grows_it_by_op_equals(x):
    a = np.zeros(3)
    add_in_place(a, np.outer(x, x))
    return np.sum(a)


# -- what stays refused ------------------------------------------------------------------


def line_of(func, text):
    """file:line: of the line of ``func``'s source that holds ``text``."""
    import inspect
    lines, first = inspect.getsourcelines(func)
    k = next(i for i, line in enumerate(lines) if text in line)
    return rf"test_helpers_in_place\.py:{first + k}:\d+"


def read_through_another_name(x):
    u = x * 2.0
    w = u
    apply_dirichlet(u)
    return np.sum(w * u)


def read_through_a_view(x):
    u = x * 2.0
    w = u[1:]
    apply_dirichlet(u)
    return np.sum(w ** 2)


def changes_two(u, v):
    u[0] = v[1]


def passes_it_twice(x):
    u = x * 2.0
    changes_two(u, u)
    return np.sum(u)


def passes_an_item(x):
    u = np.stack([x, x])
    apply_dirichlet(u[0])
    return np.sum(u ** 2)


class Grid:
    def __init__(self, u):
        self.u = u


def passes_an_attribute(x):
    g = Grid(x * 2.0)
    apply_dirichlet(g.u)
    return np.sum(g.u ** 2)


def rebinds_it(u):
    u[0] = 0.0
    u = u * 2.0
    return np.sum(u)


def deletes_it(u):
    u[0] = 1.0
    del u


def changes_it_in_a_nested_function(u):
    def inner():
        u[0] = 0.0
    inner()


def calls_a_rebinding_helper(x):
    u = x * 2.0
    s = rebinds_it(u)
    return s + np.sum(u)


def calls_a_deleting_helper(x):
    u = x * 2.0
    deletes_it(u)
    return np.sum(u ** 2)


def calls_a_nested_changer(x):
    u = x * 2.0
    changes_it_in_a_nested_function(u)
    return np.sum(u ** 2)


def zero_third_and_sum(u):
    u[2] = 0.0
    return np.sum(u)


def changes_it_inside_an_expression(u):
    u[0] = 1.0
    return 2.0 * zero_third_and_sum(u)   # (not a statement: u keeps its old name here)


def calls_a_helper_changing_it_inside_an_expression(x):
    u = x * 2.0
    s = changes_it_inside_an_expression(u)
    return s * np.sum(u)


def normalises_the_rows(x):
    M = np.outer(x, x) + 1.0
    for row in M:
        normalise(row)        # (row is a view of M: Python changes M)
    return np.sum(M * M)


@pytest.mark.parametrize("f, where, words", [
    (read_through_another_name, (apply_dirichlet, "u[0] = 0.0"), "'w', which may share"),
    (read_through_a_view, (apply_dirichlet, "u[0] = 0.0"), "'w', which may share"),
    # (a call whose value is not used is inlined as r = f(...) is: the change refused in
    # the helper, where the other name is read after it)
    (passes_it_twice, (changes_two, "u[0] = v[1]"), "'u', which may share"),
    (calls_a_rebinding_helper, (rebinds_it, "u[0] = 0.0"), "is read afterwards"),
    (read_through_a_view_after_op_equals, (add_in_place, "v += d"), "'w', which may share"),
    (integers_updated_by_op_equals, (add_in_place, "v += d"), "integers"),
    (grows_it_by_op_equals, (add_in_place, "v += d"), "another shape"),
    (calls_a_deleting_helper, (deletes_it, "u[0] = 1.0"), "'u', which may share"),
    (calls_a_nested_changer, (changes_it_in_a_nested_function, "u[0] = 0.0"),
     "'u', which may share"),
    (calls_a_helper_changing_it_inside_an_expression, (zero_third_and_sum, "u[2] = 0.0"),
     "'u', which may share"),
    (normalises_the_rows, (normalise, "p[:] = p / np.sum(p)"), "'M', which may share"),
])
def test_what_stays_refused(f, where, words):
    with pytest.raises(ad.TransformError, match=line_of(*where) + ": .*" + words):
        ad.grad(f)(U0.copy())


def test_an_attribute_given_to_a_helper_that_changes_it():
    # (g.u held in a name for the call and put back: held_arguments.py)
    expected = 8.0 * U0
    expected[[0, -1]] = 0.0
    assert_close(assert_grad(passes_an_attribute, U0.copy()), expected)


def test_a_row_changed_by_a_helper_stays_refused_when_the_code_runs():
    with pytest.raises(TypeError, match=line_of(apply_dirichlet, "u[0] = 0.0")
                       + ": .*'u', which may share"):
        ad.grad(passes_an_item)(U0.copy())


def test_a_refusal_in_the_helper_names_the_call():
    with pytest.raises(ad.TransformError) as info:
        ad.grad(read_through_a_view)(U0.copy())
    assert re.search(line_of(read_through_a_view, "apply_dirichlet(u)") + r" in "
                     r"read_through_a_view", str(info.value))


# -- a helper changing its argument in place and returning it, called as w = step(w) -----

SX, SY = rng.normal(size=(6, 3)), rng.normal(size=6)


def descent_step(w, lr, X, y):
    w -= lr * X.T @ (X @ w - y)
    return w


def descended(lr, w0, X, y):
    w = w0.copy()
    total = 0.0
    for _ in range(3):
        total = total + np.sum(w ** 2)   # (the array the step before changed: new values)
        w = descent_step(w, lr, X, y)
    return w @ w + total


def descended_twin(lr, w0, X, y):
    w, total = w0, 0.0
    for _ in range(3):
        total = total + anp.sum(w ** 2)
        w = w - lr * anp.dot(X.T, anp.dot(X, w) - y)
    return anp.dot(w, w) + total


def test_a_step_changing_its_argument_called_as_w_equals_step_w_in_a_loop():
    # (the loop's w is, at the start of each iteration and after the loop, the array the
    # last step changed: Python's w, which the step changed in place and returned)
    args = (0.02, rng.normal(size=3), SX, SY)
    got = assert_grad(descended, *args, wrt=(0, 1))
    want = autograd.grad(descended_twin, (0, 1))(*args)
    for g, w in zip(got, want):
        assert_close(g, w, 1e-12, 1e-12)
    assert_close(ad.hessian(descended, wrt=1)(*args),
                 autograd.hessian(descended_twin, 1)(*args), 1e-10, 1e-12)


def descended_keeping_the_previous(lr, w0, X, y):
    w = w0.copy()
    prev = w
    for _ in range(3):
        prev = w   # the same array: the step changes it too
        w = descent_step(w, lr, X, y)
    return w @ w + np.sum(prev)


def descended_keeping_a_history(lr, w0, X, y):
    w = w0.copy()
    history = []
    for _ in range(3):
        history.append(w)   # the same array each time
        w = descent_step(w, lr, X, y)
    return w @ w + sum(np.sum(h) for h in history)


def descended_but_read_unbound(lr, w0, X, y):
    w = w0.copy()
    for _ in range(3):
        u = descent_step(w, lr, X, y)   # w is that array too, not bound again
        s = np.sum(w)
    return u @ u + s


def descended_with_a_break(lr, w0, X, y):
    w = w0.copy()
    for i in range(3):
        w = descent_step(w, lr, X, y)
        if i == 1:
            break
        w = w * 1.0
    return w @ w


@pytest.mark.parametrize("f", [descended_keeping_the_previous, descended_keeping_a_history,
                               descended_but_read_unbound, descended_with_a_break])
def test_a_step_whose_old_array_another_name_holds_stays_refused(f):
    # (another name holds the array the step changes, or a jump may leave w the old
    # array: Python's name sees the change, the generated code's would not)
    with pytest.raises((ad.TransformError, TypeError), match="in place"):
        ad.grad(f, wrt=(0, 1))(0.02, rng.normal(size=3), SX, SY)


def scaled_down(w, lr):
    w -= lr * w
    return w


def zero_d_descended(lr, w0):
    w = np.asarray(w0 * 1.0)   # a 0-d array, changed in place by w -= ...
    for _ in range(3):
        w = scaled_down(w, lr)
    return w * w


def test_a_step_on_a_zero_d_array_stays_checked():
    # (x_2 = x op e of a 0-d array is a number, where Python's x stays the array: the
    # carried name is not known to see the update)
    with pytest.raises((ad.TransformError, TypeError), match="in place"):
        ad.grad(zero_d_descended, wrt=(0, 1))(0.1, 0.7)


# -- helpers and methods changing a dict or an object the caller made ---------------------

PW, PB, PX = rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(4, 3))


def decay_(params, s):
    params["w"] *= s                   # the caller's array, changed in place
    params["b"] = params["b"] + s      # the caller's dict given a new item


def clip_(params, on):
    if on:
        params["w"] = np.tanh(params["w"])


def two_steps_(params, s):
    decay_(params, s)
    clip_(params, s > 0.5)


def fit_with_a_dict_helper(w, b, x):
    params = {"w": w * 1.0, "b": b + 0.0}
    for _ in range(2):
        decay_(params, 0.9)
    two_steps_(params, 0.7)
    clip_(params, x[0, 0] > 0.0)
    return np.sum(np.tanh(x @ params["w"] + params["b"]))


def fit_with_a_dict_helper_autograd(w, b, x):
    for _ in range(2):
        w, b = w * 0.9, b + 0.9
    w, b = anp.tanh(w * 0.7), b + 0.7
    if x[0, 0] > 0.0:
        w = anp.tanh(w)
    return anp.sum(anp.tanh(anp.dot(x, w) + b))


class Dense:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def decay(self, s):
        self.W *= s

    def shift(self, v):
        self.b = self.b + v

    def __call__(self, x):
        return np.tanh(x @ self.W + self.b)


def fit_with_methods(w, b, x):
    layer = Dense(w * 1.0, b)
    for k in range(3):
        layer.decay(0.9)
        layer.shift(0.1 * k)
    return np.sum(layer(x))


def fit_with_methods_autograd(w, b, x):
    for k in range(3):
        w, b = w * 0.9, b + 0.1 * k
    return anp.sum(anp.tanh(anp.dot(x, w) + b))


@pytest.mark.parametrize("f, twin", [
    (fit_with_a_dict_helper, fit_with_a_dict_helper_autograd),
    (fit_with_methods, fit_with_methods_autograd)], ids=lambda f: f.__name__)
def test_a_helper_or_method_changing_the_caller_s_structure(f, twin):
    for x in (PX, -np.abs(PX)):
        for wrt in (0, 1):
            got = assert_grad(f, PW, PB, x, wrt=wrt)
            assert_close(got, autograd.grad(twin, wrt)(PW, PB, x))


def inner_changed_(d):
    d["inner"]["w"] = d["inner"]["w"] * 2.0


def holds_the_inner_dict_too(w, b, x):
    d = {"inner": {"w": w * 1.0}, "b": b}
    inner = d["inner"]
    inner_changed_(d)                  # ERR: inner is changed too
    return np.sum(inner["w"]) + np.sum(d["inner"]["w"])


def holds_the_array_too(w, b, x):
    a = w * 1.0
    d = {"w": a, "b": b + 0.0}
    decay_(d, 0.5)                     # changes a too
    return np.sum(a) + np.sum(d["w"])


def changes_then_copies_(d):
    d["w"] = d["w"] * 3.0              # ERR: the caller's dict (d is bound again below)
    d = dict(d)
    d["b"] = 0.0


def calls_a_helper_copying_late(w, b, x):
    d = {"w": w * 1.0, "b": b + 0.0}
    changes_then_copies_(d)
    return np.sum(d["w"] * d["b"])


def doubles_then_shifts_(a, b):
    for _ in range(2):
        a["w"] = a["w"] * 2.0
    b["b"] = b["b"] + 1.0


def passes_one_dict_twice(w, b, x):
    d = {"w": w * 1.0, "b": b + 0.0}
    doubles_then_shifts_(d, d)          # ERR: one dict under two parameters
    return np.sum(d["w"]) * np.sum(d["b"])


def changes_the_argument(params, x):
    decay_(params, 0.5)                # the caller's dict: refused in the helper
    return np.sum(params["w"])


def test_a_helper_changing_a_structure_stays_refused_where_it_cannot_be_followed():
    cases = [
        (holds_the_inner_dict_too, (PW, PB, PX), holds_the_inner_dict_too,
         "inner_changed_(d)", r"inner_changed_\(\) cannot be followed here: .*under another "
                              r"name"),
        (holds_the_array_too, (PW, PB, PX), decay_, 'params["w"] *= s',
         r"and 'a', which may hold the same array, is read afterwards"),
        (passes_one_dict_twice, (PW, PB, PX), passes_one_dict_twice,
         "doubles_then_shifts_(d, d)", r"given under two parameters"),
        (calls_a_helper_copying_late, (PW, PB, PX), changes_then_copies_, 'd["w"] = d["w"]',
         r"changes a structure this function was given"),
        (changes_the_argument, ({"w": PW.copy(), "b": PB.copy()}, PX), decay_,
         'params["w"] *= s', r"changes a structure this function was given")]
    for f, args, where, text, words in cases:
        with pytest.raises(ad.TransformError, match=line_of(where, text) + ": .*" + words):
            ad.grad(f)(*args)


# -- an array a dict or an object holds, given to a helper that changes it in place -------

def unit_(u):
    u /= np.sqrt(np.sum(u ** 2))


def kick_(u, s):
    u[0] += s


def fit_with_held_arrays(w, b, x):
    params = {"w": w * 1.0, "b": b + 0.0}
    layer = Dense(w * 2.0, b)
    unit_(params["w"])                  # the dict's array, changed in place
    for k in range(2):
        kick_(layer.W, 0.1 * k)         # the object's
    return np.sum(np.tanh(x @ params["w"] + params["b"])) + np.sum(layer(x))


def fit_with_held_arrays_autograd(w, b, x):
    pw = w / anp.sqrt(anp.sum(w ** 2))
    W = 2.0 * w + anp.array([[0.1, 0.1], [0.0, 0.0], [0.0, 0.0]])
    return anp.sum(anp.tanh(anp.dot(x, pw) + b)) + anp.sum(anp.tanh(anp.dot(x, W) + b))


def test_a_held_array_given_to_a_helper_that_changes_it():
    for wrt in (0, 1):
        got = assert_grad(fit_with_held_arrays, PW, PB, PX, wrt=wrt)
        assert_close(got, autograd.grad(fit_with_held_arrays_autograd, wrt)(PW, PB, PX))


def held_array_read_by_another_name(w, b, x):
    a = w * 1.0
    params = {"w": a, "b": b}
    unit_(params["w"])                  # changes a too
    return np.sum(params["w"]) + np.sum(a)


def held_array_read_through_a_view(w, b, x):
    params = {"w": w * 1.0, "b": b}
    top = params["w"][0]
    unit_(params["w"])                  # changes top too
    return np.sum(params["w"]) + np.sum(top)


def test_a_held_array_changed_by_a_helper_read_by_another_name_stays_refused():
    for f, name in ((held_array_read_by_another_name, "'a'"),
                    (held_array_read_through_a_view, "'top'")):
        with pytest.raises(ad.TransformError, match=line_of(unit_, "u /= np.sqrt")
                           + f": .*, and {name}, which may share its memory"):
            ad.grad(f)(PW, PB, PX)
