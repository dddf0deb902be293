"""Gradients adcompile made, called inside a function being differentiated: a gradient
penalty, a meta-learning (MAML) inner step, a few steps of gradient descent in a loop.
The call is inlined as the code the gradient runs, in the form adcompile differentiates
again (as ``ad.hessian`` does); checked against finite differences and autograd."""

import autograd
import numpy as np
import pytest

import adcompile as ad

from conftest import assert_close, assert_grad, with_autograd_numpy

rng = np.random.default_rng(11)


def energy(x):
    return np.sum(np.sin(x) ** 3) + 0.5 * np.sum(x * x)


energy_grad = ad.grad(energy)


def gradient_penalty(x):
    return energy(x) + 0.1 * np.sum(energy_grad(x) ** 2)


def gradient_penalty_autograd(x):   # (the same, with autograd's gradient inside)
    return energy(x) + 0.1 * np.sum(autograd.grad(energy)(x) ** 2)


def mse(w, b, X, y):
    return np.mean((X @ w + b - y) ** 2)


mse_grads = ad.grad(mse, wrt=(0, 1))
mse_grad = ad.grad(mse)


def maml_loss(w, b, X, y, X_val, y_val, lr=0.1):
    w_adapted = w - lr * mse_grad(w, b, X, y)
    return mse(w_adapted, b, X_val, y_val)


def descend(w, b, X, y, steps=3):
    for _ in range(steps):
        gw, gb = mse_grads(w, b, X, y)
        w = w - 0.05 * gw
        b = b - 0.05 * gb
    return mse(w, b, X, y)


def sgd_step(w, b, grad_fn, X, y):
    return w - 0.1 * grad_fn(w, b, X, y)[0]


def gradient_passed_along(w, b, X, y):
    return mse(sgd_step(w, b, mse_grads, X, y), b, X, y)


def data(n=6, d=3):
    return rng.normal(size=d), 0.3, rng.normal(size=(n, d)), rng.normal(size=n)


def test_gradient_penalty():
    x = rng.normal(size=4)
    assert_grad(gradient_penalty, x)
    want = with_autograd_numpy(globals(), autograd.grad(gradient_penalty_autograd), x)
    assert_close(ad.grad(gradient_penalty)(x), want, 1e-12, 1e-12)
    # the inner gradient's code is inlined in the form differentiated again
    assert "out_bar_inner = 1.0" in ad.show(gradient_penalty)


def test_maml_inner_step():
    w, b, X, y = data()
    X_val, y_val = rng.normal(size=(5, 3)), rng.normal(size=5)
    assert_grad(maml_loss, w, b, X, y, X_val, y_val, wrt=(0, 1, 2))


def test_steps_of_descent_in_a_loop():
    w, b, X, y = data()
    assert_grad(descend, w, b, X, y, wrt=(0, 1))
    assert_grad(gradient_passed_along, w, b, X, y, wrt=(0, 1))


def test_higher_orders_through_the_inner_gradient():
    x = rng.normal(size=3)
    gradient = ad.grad(gradient_penalty)
    eps = 1e-6
    by_differences = np.array([(gradient(x + eps * e) - gradient(x - eps * e)) / (2 * eps)
                               for e in np.eye(3)])
    assert_close(ad.hessian(gradient_penalty)(x), by_differences, 1e-6, 1e-7)
    want = with_autograd_numpy(globals(), autograd.hessian(gradient_penalty_autograd), x)
    assert_close(ad.hessian(gradient_penalty)(x), want, 1e-10, 1e-12)


def made_inline(x):   # as jax.grad(f)(x) is written inside jax code
    return energy(x) + 0.1 * np.sum(ad.grad(energy)(x) ** 2)


def made_locally(w, b, X, y, X_val, y_val):
    inner = ad.grad(mse, wrt=(0, 1))
    gw, gb = inner(w, b, X, y)
    return mse(w - 0.1 * gw, b - 0.1 * gb, X_val, y_val)


def made_then_replaced(x, flag):
    g = ad.grad(energy)
    if flag:
        g = energy_grad
    return np.sum(g(x))


def test_gradients_made_inside_the_function():
    x = rng.normal(size=4)
    assert_close(ad.grad(made_inline)(x), ad.grad(gradient_penalty)(x), 1e-15, 0)
    assert_grad(made_inline, x)
    w, b, X, y = data()
    assert_grad(made_locally, w, b, X, y, rng.normal(size=(5, 3)), rng.normal(size=5),
                wrt=(0, 1))
    with pytest.raises(ad.TransformError, match="held in a variable"):
        ad.grad(made_then_replaced)(x, True)


def value_and_gradient_inside(w, b, X, y):
    value, g = mse_value_and_grad(w, b, X, y)
    return value + np.sum(g ** 2)


mse_value_and_grad = ad.value_and_grad(mse)


def with_aux(w):
    return np.sum(w ** 2), "note"


aux_grad = ad.grad(with_aux, has_aux=True)


def aux_inside(w):
    g, note = aux_grad(w)
    return np.sum(g ** 2)


def dict_loss(params, X):
    return np.sum(np.tanh(X @ params["W"]) ** 2)


dict_grad = ad.grad(dict_loss)


def dict_inside(params, X):
    g = dict_grad(params, X)
    return np.sum(g["W"] ** 2)


def dict_display_inside(W, X):
    g = dict_grad({"W": W}, X)
    return np.sum(g["W"] ** 2)


def mlp_loss(params, X, y):
    h = np.tanh(X @ params["W1"] + params["b1"])
    return np.mean((h @ params["W2"] + params["b2"] - y) ** 2)


mlp_grad = ad.grad(mlp_loss)


def maml_mlp(params, X, y, X_val, y_val, lr=0.1):
    grads = mlp_grad(params, X, y)
    adapted = {name: params[name] - lr * grads[name] for name in params}
    return mlp_loss(adapted, X_val, y_val)


def maml_mlp_autograd(params, X, y, X_val, y_val, lr=0.1):
    grads = autograd.grad(mlp_loss)(params, X, y)
    adapted = {name: params[name] - lr * grads[name] for name in params}
    return mlp_loss(adapted, X_val, y_val)


def test_gradients_of_structures_inside():
    params, X = {"W": rng.normal(size=(3, 2))}, rng.normal(size=(4, 3))
    got = ad.grad(dict_inside)(params, X)
    want = with_autograd_numpy(globals(), autograd.grad(
        lambda p, X: np.sum(autograd.grad(dict_loss)(p, X)["W"] ** 2)), params, X)
    assert_close(got["W"], want["W"], 1e-12, 1e-12)
    params = {"W1": rng.normal(size=(3, 4)) / 2, "b1": rng.normal(size=4),
              "W2": rng.normal(size=4) / 2, "b2": 0.1}
    data_ = (rng.normal(size=(6, 3)), rng.normal(size=6), rng.normal(size=(5, 3)),
             rng.normal(size=5))
    got = ad.grad(maml_mlp)(params, *data_)
    want = with_autograd_numpy(globals(), autograd.grad(maml_mlp_autograd), params, *data_)
    for name in params:
        assert_close(got[name], want[name], 1e-10, 1e-12)

    def of_leaves(W1, b1, W2, b2, X, y, X_val, y_val):
        return maml_mlp({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, X, y, X_val, y_val)

    assert_grad(of_leaves, *params.values(), *data_, wrt=(0, 1, 2, 3))


@pytest.mark.parametrize("f, args, message", [
    (value_and_gradient_inside, data(), r"value_and_grad of mse\(\) is not supported"),
    (aux_inside, (rng.normal(size=3),), r"has_aux=True\) is not supported"),
    (dict_display_inside, (rng.normal(size=(3, 2)), rng.normal(size=(4, 3))),
     r"reads an argument as a structure"),
])
def test_what_cannot_be_called_inside_is_refused_at_the_call(f, args, message):
    with pytest.raises(ad.TransformError, match=message) as error:
        ad.grad(f)(*args)
    assert "test_nested_grads.py:" in str(error.value) and "^" in str(error.value)


def two_structures(params, other, X):
    g = dict_grad(params, X)
    h = dict_grad(other, X)
    return np.sum(g["W"]) + np.sum(h["W"] ** 2)


def test_one_gradient_called_with_two_structures():
    # dict_grad's code for {"W"} of two shapes, and of another leaf kind, each its own
    X = rng.normal(size=(4, 3))
    params, other = {"W": rng.normal(size=(3, 2))}, {"W": rng.normal(size=3), "b": 1.0}

    def of_leaves(W, V, X):
        return two_structures({"W": W}, {"W": V, "b": 1.0}, X)

    got = ad.grad(two_structures, wrt=(0, 1))(params, other, X)
    want = ad.grad(of_leaves, wrt=(0, 1))(params["W"], other["W"], X)
    assert_close(got[0]["W"], want[0], 1e-14, 0)
    assert_close(got[1]["W"], want[1], 1e-14, 0)
    assert_grad(of_leaves, params["W"], other["W"], X, wrt=(0, 1))


def wrong_options(x):
    return np.sum(ad.grad(energy, wrt=5)(x))


def test_a_gradient_made_with_wrong_options_is_refused_with_why():
    with pytest.raises(ad.TransformError, match=r"ad.grad\(energy, wrt=5\): .*out of range"):
        ad.grad(wrong_options)(np.ones(3))


# --- the gradient of a nested def or lambda, as JAX users write it -------------------------


def maml_nested(params, X, y, X_val, y_val, lr=0.1):
    def inner(p):   # reads the enclosing function's X and y
        return np.mean((X @ p["w"] + p["b"] - y) ** 2)

    g = ad.grad(inner)(params)
    fast = {k: params[k] - lr * g[k] for k in params}

    def outer(p):
        return np.mean((X_val @ p["w"] + p["b"] - y_val) ** 2)

    return outer(fast)


def maml_nested_autograd(params, X, y, X_val, y_val, lr=0.1):
    def inner(p):
        return np.mean((X @ p["w"] + p["b"] - y) ** 2)

    g = autograd.grad(inner)(params)
    fast = {k: params[k] - lr * g[k] for k in params}
    return np.mean((X_val @ fast["w"] + fast["b"] - y_val) ** 2)


def test_maml_with_a_nested_inner_loss():
    params = {"w": rng.normal(size=3), "b": 0.3}
    args = (rng.normal(size=(6, 3)), rng.normal(size=6), rng.normal(size=(5, 3)),
            rng.normal(size=5))
    got = ad.grad(maml_nested)(params, *args)
    want = with_autograd_numpy(globals(), autograd.grad(maml_nested_autograd), params, *args)
    for k in params:
        assert_close(got[k], want[k], 1e-10, 1e-12, k)

    def of_leaves(w, b, X, y, X_val, y_val):
        return maml_nested({"w": w, "b": b}, X, y, X_val, y_val)

    assert_grad(of_leaves, params["w"], params["b"], *args, wrt=(0, 1))


def hypergradient(lam, w, X, y):
    """d (validation loss after one step) / d lam: the nested loss reads lam, which the
    outer gradient differentiates through the inner one."""
    def train_loss(v):
        return np.mean((X @ v - y) ** 2) + lam * np.sum(v ** 2)

    step = w - 0.1 * ad.grad(train_loss)(w)
    return np.mean((X @ step - y) ** 2)


def hypergradient_autograd(lam, w, X, y):
    def train_loss(v):
        return np.mean((X @ v - y) ** 2) + lam * np.sum(v ** 2)

    step = w - 0.1 * autograd.grad(train_loss)(w)
    return np.mean((X @ step - y) ** 2)


def input_penalty(W, x):
    grad_x = ad.grad(lambda z: np.sum(np.tanh(z @ W) ** 2))(x)
    return np.sum(grad_x ** 2)


def aliased_nested(W, x):
    def f(z):
        return np.sum(np.sin(z @ W))

    g = ad.grad(f)
    return np.sum(g(x) ** 2) + np.sum(g(2 * x))


def by_name_nested(W, x):
    def f(a, z):
        return np.sum(np.sin(z @ a))

    return np.sum(ad.grad(f, wrt="z")(W, x) ** 2)


def nested_in_loop(W, x):
    total = 0.0
    for k in range(1, 3):
        def f(z):
            return np.sum(np.sin(k * z @ W))

        total = total + np.sum(ad.grad(f)(x) ** 2)
    return total


class Critic:
    def __init__(self, W):
        self.W = W

    def penalised(self, x):
        def score(z):
            return np.sum(np.tanh(z @ self.W))

        return score(x) + np.sum(ad.grad(score)(x) ** 2)


@pytest.mark.parametrize("f", [input_penalty, aliased_nested, by_name_nested,
                               nested_in_loop])
def test_gradients_of_nested_functions(f):
    W, x = rng.normal(size=(3, 2)), rng.normal(size=3)
    assert_grad(f, W, x, wrt=(0, 1))


def test_gradient_of_a_nested_function_reading_what_is_differentiated():
    lam, w, X, y = 0.3, rng.normal(size=3), rng.normal(size=(6, 3)), rng.normal(size=6)
    got = ad.grad(hypergradient, wrt=(0, 1))(lam, w, X, y)
    want = with_autograd_numpy(globals(), autograd.grad(hypergradient_autograd, (0, 1)),
                               lam, w, X, y)
    assert_close(got[0], want[0], 1e-10, 1e-12)
    assert_close(got[1], want[1], 1e-10, 1e-12)
    assert_grad(hypergradient, lam, w, X, y, wrt=(0, 1))


def test_gradient_of_a_nested_function_in_a_method():
    critic, x = Critic(rng.normal(size=(3, 2))), rng.normal(size=(4, 3))
    assert_grad(critic.penalised, x)


def f(z):   # (a module-level f: the nested defs named f below are not it)
    return np.sum(z ** 2)


def shadows_module_function(W, x):
    def f(z):
        return np.sum(np.sin(z @ W))

    g = ad.grad(f)
    return np.sum(g(x) ** 2)


def test_a_nested_def_is_not_the_module_function_of_its_name():
    W, x = rng.normal(size=(3, 2)), rng.normal(size=3)
    assert_grad(shadows_module_function, W, x, wrt=(0, 1))


def value_and_grad_nested(x):
    def f(z):
        return np.sum(np.sin(z))

    value, g = ad.value_and_grad(f)(x)
    return value + np.sum(g)


def reads_another_nested(x):
    def act(z):
        return np.tanh(z)

    def f(z):
        return np.sum(act(z))

    return np.sum(ad.grad(f)(x) ** 2)


@pytest.mark.parametrize("function", [value_and_grad_nested, reads_another_nested])
def test_what_nested_gradients_cannot_do_is_refused(function):
    with pytest.raises(ad.TransformError, match="is passed to ad.") as error:
        ad.grad(function)(np.ones(3))
    assert "test_nested_grads.py:" in str(error.value)


def nested_without_rule(w, x):
    def inner(z):
        return np.sum(np.fft.fft(z * w).real)

    return np.sum(ad.grad(inner)(x) ** 2)


def nested_wrong_options(w, x):
    def inner(z):
        return np.sum(np.sin(z * w))

    return np.sum(ad.grad(inner, wrt=3)(x) ** 2)


def test_errors_of_nested_gradients_point_at_their_lines():
    import inspect
    first = inspect.getsourcelines(nested_without_rule)[1]
    with pytest.raises(ad.TransformError, match=rf"test_nested_grads.py:{first + 2}:"):
        ad.grad(nested_without_rule)(np.ones(3), np.ones(3))
    with pytest.raises(ad.TransformError, match=r"ad.grad\(inner, wrt=3\): wrt=3 is out of"):
        ad.grad(nested_wrong_options)(np.ones(3), np.ones(3))
