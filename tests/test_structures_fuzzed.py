"""Structured parameters as the fuzzer's ``structures`` programs hold them (tests/fuzz/
structures.py), where it found adcompile refusing or wrong: each written the way a user
would, its gradient checked leaf by leaf against central finite differences
(``ad.check_grad``) and, where autograd takes the same code, against autograd.
"""

import collections

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import adcompile as ad

rng = np.random.default_rng(11)


def model():
    return {"x": 0.3, "y": -0.7, "v": rng.normal(size=3),
            "layers": [(rng.normal(size=(2, 2)), rng.normal(size=2)) for _ in range(2)]}


def assert_tree_close(a, b, tol=1e-9):
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_tree_close(a[k], b[k], tol)
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_tree_close(x, y, tol)
    else:
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# -- an if on the key of a loop over a dict's items: only the branch that key takes -------


def numbers_only(params, c):
    for key, leaf in params.items():
        if key != "layers":
            c = c + 0.1 * np.sum(leaf) * c
    return c


def numbers_only_autograd(params, c):
    for key, leaf in params.items():
        if key != "layers":
            c = c + 0.1 * anp.sum(leaf) * c
    return c


def test_an_if_on_the_key_of_a_loop_over_items_decides_which_items_are_read():
    # np.sum of the list of layers would be refused (a structure used as an array): the
    # if, decided by the key in each unrolled copy of the body, never reads it
    params = model()
    g = ad.grad(numbers_only)(params, 1.5)
    assert_tree_close(g, autograd.grad(numbers_only_autograd)(params, 1.5))
    assert np.all(g["layers"][0][0] == 0.0) and g["x"] != 0.0
    ad.check_grad(numbers_only, params, 1.5)


def keys_and_else(params, c):
    for key in params:
        if key in ("x", "y"):
            c = c + params[key] * c
        elif key == "v":
            c = c * np.tanh(params[key][0])
        else:
            W, b = params[key][-1]
            c = c + np.sum(W @ np.array([c, 0.5]) + b)
    return c


def test_an_if_elif_else_on_the_keys_of_a_dict_walked_by_its_keys():
    params = model()
    g = ad.grad(keys_and_else)(params, 0.8)
    assert g["layers"][0][0].shape == (2, 2) and np.all(g["layers"][0][0] == 0.0)
    assert np.any(g["layers"][1][0] != 0.0)
    ad.check_grad(keys_and_else, params, 0.8)
    ad.check_grad(keys_and_else, params, 0.8, wrt=1)


def test_an_if_the_keys_do_not_decide_is_still_a_branch():
    def f(params, c):
        for key, leaf in params.items():
            if c > 0.0 and key == "x":
                c = c - leaf * 2.0
            else:
                c = c + 0.5
        return c

    params = {"x": 0.4, "y": 0.1}
    for c in (1.5, -1.5):
        g = ad.grad(f)(params, c)
        ad.check_grad(f, params, c)
        assert g["x"] == (-2.0 if c > 0 else 0.0)


# -- layers zipped with a module-level tuple of activations, read from the structure -------

ACTS = (np.tanh, np.sin, np.cos)


def by_activation(params, x):
    for (W, b), act in zip(params["layers"], ACTS):
        x = act(W @ x + b)
    return np.sum(x) * params["x"]


def by_activation_autograd(params, x):
    acts = (anp.tanh, anp.sin, anp.cos)
    for (W, b), act in zip(params["layers"], acts):
        x = act(anp.dot(W, x) + b)
    return anp.sum(x) * params["x"]


def pairs_after_the_first(params, x):
    s, t = params[0]
    for (W, b), act in zip(params[1:], ACTS):
        x = act(W @ x * s + b)
    return np.sum(x) + t


def test_layers_read_from_a_structure_zipped_with_activations():
    params, x = model(), rng.normal(size=2)
    g = ad.grad(by_activation)(params, x)
    assert_tree_close(g, autograd.grad(by_activation_autograd)(params, x))
    ad.check_grad(by_activation, params, x)
    ad.check_grad(by_activation, params, x, wrt=1)
    # a list of pairs whose first holds numbers, the layers after it
    pairs = [(0.7, -0.2)] + params["layers"]
    g = ad.grad(pairs_after_the_first)(pairs, x)
    assert isinstance(g, list) and len(g) == 3 and g[0][1] == 1.0
    ad.check_grad(pairs_after_the_first, pairs, x)


# -- break, continue and return inside a loop over the layers (unrolled) ------------------


def early_exit(params, x):
    for W, b in params["layers"]:
        x = np.tanh(W @ x + b)
        if np.sum(x) > 0.2:
            return np.sum(x) * 2.0
        x = x * 1.5
    return x[0]


def early_exit_autograd(params, x):
    for W, b in params["layers"]:
        x = anp.tanh(anp.dot(W, x) + b)
        if anp.sum(x) > 0.2:
            return anp.sum(x) * 2.0
        x = x * 1.5
    return x[0]


def skips_and_stops(layers, x):
    total = 0.0
    for i, (W, b) in enumerate(layers):
        if x[0] > 0.9:
            break
        x = np.sin(W @ x + b)
        if i == 1:
            continue
        total = total + np.sum(x)
    return total + x[1]


def skips_and_stops_autograd(layers, x):
    total = 0.0
    for i, (W, b) in enumerate(layers):
        if x[0] > 0.9:
            break
        x = anp.sin(anp.dot(W, x) + b)
        if i == 1:
            continue
        total = total + anp.sum(x)
    return total + x[1]


def test_a_return_break_or_continue_inside_a_loop_over_layers():
    # each unrolled copy after a break (or a return, which leaves the loop) runs only if
    # none before it broke; the points below leave the loop at different layers
    layers = [(rng.normal(size=(2, 2)), rng.normal(size=2)) for _ in range(3)]
    for x in (np.ones(2), -np.ones(2), np.array([0.3, -0.2]), np.array([2.0, 0.0]),
              np.array([-0.5, 0.8])):
        for f, peer, params in ((early_exit, early_exit_autograd, {"layers": layers}),
                                (skips_and_stops, skips_and_stops_autograd, layers)):
            value, g = ad.value_and_grad(f)(params, x)
            assert value == f(params, x)
            assert_tree_close(g, autograd.grad(peer)(params, x))
            ad.check_grad(f, params, x)
            ad.check_grad(f, params, x, wrt=1)
            tangent = ([(np.ones((2, 2)), np.zeros(2))] * 3, np.zeros(2))
            if isinstance(params, dict):
                tangent = ({"layers": tangent[0]}, tangent[1])
            _, dot = ad.jvp(f, wrt=(0, 1))(params, x, tangents=tangent)
            expected = sum(np.sum(gW) for gW, _ in (g["layers"] if isinstance(g, dict) else g))
            assert np.isclose(dot, expected)


def test_a_break_that_leaves_the_loop_variable_read_after_the_loop_is_refused():
    def last_layer_seen(layers, x):
        for W, b in layers:
            x = np.tanh(W @ x + b)
            if x[0] > 0.0:
                break
        return np.sum(W @ x)

    layers = [(rng.normal(size=(2, 2)), rng.normal(size=2)) for _ in range(2)]
    with pytest.raises(ad.TransformError, match=r"test_structures_fuzzed\.py:\d+:\d+: a break in "
                                                r"a loop over a structure .* 'W' is read after"):
        ad.grad(last_layer_seen)(layers, np.ones(2))


# -- a dict comprehension over a display of keys; an array leaf indexed by a loop ---------


def inner_step(params, c):
    fast = {k: params[k] - 0.1 * np.tanh(params[k]) for k in ("x", "y")}
    total = 0.0
    for k in ["x", "v"]:
        total = total + np.sum(params[k] ** 2)
    return fast["x"] * fast["y"] + c * total


def inner_step_autograd(params, c):
    fast = {k: params[k] - 0.1 * anp.tanh(params[k]) for k in ("x", "y")}
    total = 0.0
    for k in ["x", "v"]:
        total = total + anp.sum(params[k] ** 2)
    return fast["x"] * fast["y"] + c * total


def test_a_dict_comprehension_and_a_loop_over_a_display_of_keys():
    params = model()
    g = ad.grad(inner_step)(params, 0.7)
    assert_tree_close(g, autograd.grad(inner_step_autograd)(params, 0.7))
    ad.check_grad(inner_step, params, 0.7)


class Held(collections.namedtuple("Held", "x v")):
    pass


def walks_a_list(params, n0):
    hs = [params.x]
    for _ in range(n0):
        hs.append(hs[-1] * 0.5)
    c = 0.0
    for i in range(len(hs)):   # (the loop indexes the array params.v, not the structure)
        c = c + hs[i] * params.v[i % 3]
    return c


def test_an_array_leaf_indexed_by_a_loop_whose_range_is_not_known_until_it_runs():
    params = Held(0.6, rng.normal(size=3))
    for n0 in (0, 2, 4):
        g = ad.grad(walks_a_list)(params, n0)
        assert type(g) is Held
        ad.check_grad(walks_a_list, params, n0)


def first_bias(params, c):
    for li in range(len(params["layers"])):
        bias = params["layers"][li][1]
        if c > 0.0:
            return c * bias[1]
        c = c + np.sum(params["layers"][li][0])
    return c


def test_a_return_in_a_loop_indexing_the_layers_in_forward_mode():
    # (the leaves read in the copies after the first, under the test of the break, were
    # merged after it as variables of their own: the forward code named them $...)
    params = model()
    for c in (0.5, -0.5, -20.0):
        g = ad.grad(first_bias)(params, c)
        ad.check_grad(first_bias, params, c)
        ad.check_grad(first_bias, params, c, wrt=1)
        tangent = {"x": 0.0, "y": 0.0, "v": np.zeros(3),
                   "layers": [(np.ones((2, 2)), np.ones(2))] * 2}
        value, dot = ad.jvp(first_bias, wrt=(0,))(params, c, tangents=(tangent,))
        assert value == first_bias(params, c)
        expected = sum(np.sum(gW) + np.sum(gb) for gW, gb in g["layers"])
        assert np.isclose(dot, expected)
