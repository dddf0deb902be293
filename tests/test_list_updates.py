"""``xs[i] op= v`` on a list of arrays, as an optimiser's step is written inside a function
being differentiated (unrolled training, meta-learning): Python changes the array the list
holds in place, generated code makes the item anew (frontend/list_items.py). The two agree
where nothing else holds that array, which the analysis shows for other names
(analysis/rebindings.py) and the code checks for the list's other items when it runs
(``require_sole_item``). Gradients are checked against finite differences and against
autograd running a functional twin.
"""

import re

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from conftest import assert_close, assert_grad

import adcompile as ad

rng = np.random.default_rng(11)
X, Y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))


def mlp_loss(params, X, Y):
    h = np.tanh(X @ params[0] + params[1])
    return np.mean((h @ params[2] - Y) ** 2)


def unrolled(W1, b1, W2, lr):
    """The loss after three steps of gradient descent on a list of weights, updated in
    place item by item (the inner gradient by hand, as meta-learning code writes it)."""
    params = [W1 * 1.0, b1 * 1.0, W2 * 1.0]
    for _ in range(3):
        h = np.tanh(X @ params[0] + params[1])
        r = 2.0 * (h @ params[2] - Y) / Y.size
        dh = (r @ params[2].T) * (1.0 - h ** 2)
        grads = [X.T @ dh, np.sum(dh, axis=0), h.T @ r]
        for i in range(len(params)):
            params[i] -= lr * grads[i]
    return mlp_loss(params, X, Y)


def unrolled_twin(W1, b1, W2, lr):
    params = [W1, b1, W2]
    for _ in range(3):
        h = anp.tanh(anp.dot(X, params[0]) + params[1])
        r = 2.0 * (anp.dot(h, params[2]) - Y) / Y.size
        dh = anp.dot(r, params[2].T) * (1.0 - h ** 2)
        grads = [anp.dot(X.T, dh), anp.sum(dh, axis=0), anp.dot(h.T, r)]
        params = [p - lr * g for p, g in zip(params, grads)]
    h = anp.tanh(anp.dot(X, params[0]) + params[1])
    return anp.mean((anp.dot(h, params[2]) - Y) ** 2)


W1, B1, W2 = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2))


def test_unrolled_gradient_descent_on_a_list_of_weights():
    g = assert_grad(unrolled, W1, B1, W2, 0.3, wrt=(0, 1, 2, 3))
    want = autograd.grad(unrolled_twin, (0, 1, 2, 3))(W1, B1, W2, 0.3)
    for got, expected in zip(g, want):
        assert_close(got, expected, 1e-12, 1e-12)


def test_the_same_in_code_for_arguments_of_unknown_kinds():
    """(called by keyword: the general code, where the item may be a number)"""
    g = ad.grad(unrolled, wrt=(0, 3))(W1=W1, b1=B1, W2=W2, lr=0.3)
    want = autograd.grad(unrolled_twin, (0, 3))(W1, B1, W2, 0.3)
    assert_close(g[0], want[0], 1e-12, 1e-12)
    assert_close(g[1], want[1], 1e-12, 1e-12)


def scaled_twice(x):
    params = [x * 1.0, x * 2.0]
    total = params[0] + params[1]
    params[1] *= 2.0              # (total was made before: it keeps its values, as in Python)
    params[0] += x
    return np.sum(total * params[1] * params[0])


def test_items_updated_in_place_then_read_second_order():
    x = np.array([0.3, -0.5, 0.8])
    assert_grad(scaled_twice, x)
    twin = autograd.hessian(lambda x: anp.sum(3.0 * x * 4.0 * x * 2.0 * x))
    assert_close(ad.hessian(scaled_twice)(x), twin(x), 1e-10, 1e-12)


def numbers_in_a_list(x):
    params = [x[0] * 1.0, x[1] * 2.0]
    for i in range(2):
        params[i] -= 0.1 * params[i] ** 2
    return params[0] * params[1]


def test_a_list_of_numbers_updated_by_op_equals():
    assert_grad(numbers_in_a_list, np.array([0.3, -0.5]))


def the_same_array_twice(x):
    w = x * 1.0
    params = [w, w]
    for i in range(2):
        params[i] -= 0.1 * params[i]
    return np.sum(params[0] * params[1])


def a_view_beside_its_array(x):
    w = np.outer(x, x)
    params = [w, w[0]]
    for i in range(2):
        params[i] *= 1.5
    return np.sum(params[0]) + np.sum(params[1])


@pytest.mark.parametrize("f, line", [(the_same_array_twice, "params[i] -= 0.1 * params[i]"),
                                     (a_view_beside_its_array, "params[i] *= 1.5")])
def test_another_item_holding_the_array_is_refused_when_the_code_runs(f, line):
    """Python's list shows the change through the other item; the new item would not."""
    x = np.array([0.3, -0.5, 0.8])
    with pytest.raises(TypeError, match=re.escape(repr(line)) + " changes in place an "
                       "array of the list 'params', and another item of the list is the same "
                       "array or a view of it"):
        ad.grad(f)(x)


def read_before_the_update(x):
    params = [x * 1.0, x * 2.0]
    first = params[0]
    for i in range(2):
        params[i] *= 1.5
    return np.sum(first * params[1])


def test_another_name_of_the_item_read_afterwards_is_refused():
    with pytest.raises(ad.TransformError, match=r"test_list_updates\.py:\d+:\d+: 'params\[i\] "
                       r"\*= 1\.5' changes the array params\[i\] in place, and 'first'"):
        ad.grad(read_before_the_update)(np.array([0.3, -0.5, 0.8]))


def integers_in_the_list(x):
    params = [np.zeros(3, dtype=int), x * 1.0]
    for i in range(2):
        params[i] += x
    return np.sum(params[0] * params[1])


def test_an_array_of_integers_in_the_list_is_named_by_its_item():
    """NumPy cannot store floats in it in place (Python raises); the message names the
    item as the user wrote it, not a temporary of the generated code."""
    with pytest.raises(TypeError, match=r"test_list_updates\.py:\d+:\d+: params\[i\] \+= x "
                       r"puts values being differentiated into an array of integers"):
        ad.grad(integers_in_the_list)(np.ones(3))
