"""Copies of structured parameters as practitioners write them: ``dict(params)``,
``params.copy()``, ``{**params, "w": ...}``, ``list(layers)``, ``tuple(layers)`` and dict
comprehensions over a dict of parameters (an inner SGD step, a scaled copy).

Each gradient is checked against finite differences and against autograd running the same
code; the copies keep Python's semantics (a shallow copy: assigning into the copy leaves
the original as it was, the items themselves are shared), and what would change the
caller's structure or an array both share is refused.
"""

import copy
from typing import NamedTuple

import autograd
import numpy as np
import pytest
from conftest import assert_close, numerical_grad, with_autograd_numpy
from test_structures import assert_same_structure, assert_tree_close

import adcompile as ad
from adcompile import TransformError

rng = np.random.default_rng(19)


def params_and_x():
    return {"w": rng.normal(size=3), "b": rng.normal(size=3)}, rng.normal(size=3)


def copy_then_assign(params, x):
    p = dict(params)
    p["w"] = p["w"] * 2.0     # the copy changes; params does not
    return np.sum(p["w"] * x) + np.sum(params["w"] * p["b"]) + np.sum(params["w"] ** 2)


def copy_method(params, x):
    p = params.copy()
    p["b"] = np.tanh(p["b"] + x)
    return np.sum(p["b"] * params["b"]) + np.sum(p["w"])


def unpacked_with_override(params, x):
    p = {**params, "w": params["w"] * x}
    q = {"scale": 3.0, **p}
    return np.sum(q["w"] ** 2) + np.sum(q["b"] * q["scale"]) + np.sum(params["w"])


def inner_sgd_step(params, x):
    """A step of gradient descent written as a dict comprehension, then the loss at the
    new parameters (as meta-learning code writes it)."""
    new = {k: v - 0.1 * v * x for k, v in params.items()}
    return np.sum(np.tanh(new["w"] * x + new["b"]) ** 2)


def comprehension_over_keys(params, x):
    scaled = {k: params[k] * (i + 1.0) for i, k in enumerate(params)}
    return np.sum(scaled["w"] * scaled["b"] * x)


def list_copy_of_layers(layers, x):
    ls = list(layers)
    ls[0] = ls[0] * 3.0
    first = tuple(layers)
    return np.sum(ls[0] * x) + np.sum(first[0] * ls[1]) + np.sum(layers[0])


@pytest.mark.parametrize("f", [copy_then_assign, copy_method, unpacked_with_override,
                               inner_sgd_step, comprehension_over_keys],
                         ids=lambda f: f.__name__)
def test_copies_of_a_dict_of_parameters(f):
    params, x = params_and_x()
    g = ad.grad(f)(params, x)
    assert_same_structure(g, params)
    ad.check_grad(f, params, x)
    if f is not copy_method:   # (autograd's dicts of boxes have no .copy())
        expected = with_autograd_numpy(globals(), autograd.grad(f), params, x)
        assert_tree_close(g, expected)


def test_copies_of_a_list_of_layers():
    layers, x = [rng.normal(size=3), rng.normal(size=3)], rng.normal(size=3)
    g = ad.grad(list_copy_of_layers)(layers, x)
    assert_same_structure(g, layers)
    ad.check_grad(list_copy_of_layers, layers, x)
    expected = with_autograd_numpy(globals(), autograd.grad(list_copy_of_layers), layers, x)
    assert_tree_close(g, expected)


def test_copy_of_a_dict_made_here_is_its_own():
    def f(w, x):
        d = {"a": w * 1.0, "b": x}
        e = dict(d)
        e["a"] = e["a"] * 5.0     # d["a"] stays w * 1.0
        return np.sum(d["a"] * x) + np.sum(e["a"])

    w, x = rng.normal(size=3), rng.normal(size=3)
    np.testing.assert_allclose(ad.grad(f)(w, x), x + 5.0, rtol=1e-12)


def changes_the_shared_array(params, x):
    p = dict(params)
    p["w"] += x                    # params["w"] is the same array: Python changes it too
    return np.sum(params["w"] * x)


def assigns_into_a_tuple_copy(layers, x):
    t = tuple(layers)
    t[0] = x
    return np.sum(t[0])


def changes_an_inner_structure(params, x):
    p = dict(params)
    p["inner"]["a"] = x            # the inner dict is the caller's (a shallow copy)
    return np.sum(params["inner"]["a"])


def test_what_a_copy_shares_is_refused_where_it_would_change():
    params, x = params_and_x()
    with pytest.raises(TransformError, match=r"p\['w'\] \+= x"):
        ad.grad(changes_the_shared_array)(params, x)
    with pytest.raises(TransformError, match="a tuple of 2: it cannot be assigned into"):
        ad.grad(assigns_into_a_tuple_copy)([x, x], x)
    nested = {"inner": {"a": rng.normal(size=3)}, "w": rng.normal(size=3)}
    with pytest.raises(TransformError, match="changes a structure"):
        ad.grad(changes_an_inner_structure)(nested, x)


def test_comprehension_over_a_structure_with_a_condition_on_the_keys():
    # (the keys decide which items there are, when the function is transformed)
    def f(params, x):
        kept = {k: v for k, v in params.items() if k != "b"}
        return np.sum(kept["w"] * x) + sum(np.sum(v ** 2) for k, v in params.items()
                                           if not k.startswith("w"))

    params, x = params_and_x()
    got = ad.grad(f)(params, x)
    assert_tree_close(got, {"w": x, "b": 2 * params["b"]})

    def g(params, x):   # a condition on the values: refused
        return sum(np.sum(v * x) for v in params.values() if np.sum(v) > 0)

    with pytest.raises(TransformError, match="decided by the keys alone"):
        ad.grad(g)(params, x)


# -- NamedTuple layers: a loop's variable, _replace, a list of new layers ------------------


class Layer(NamedTuple):
    W: np.ndarray
    b: np.ndarray


def layers_by_loop_variable(layers, x):
    for layer in layers:              # (layer.W: the loop's variable holds an item)
        x = np.tanh(x @ layer.W + layer.b)
    return np.sum(x ** 2)


def halved_layers(layers, x):
    new = [layer._replace(W=layer.W * 0.5) for layer in layers]
    return layers_by_loop_variable(new, x) + np.sum(layers[0].W)


def rebuilt_layers(layers, x):
    new = [Layer(np.sin(W), b * x[0, 0]) for W, b in layers]
    return np.sum(new[0].W * new[1].b[0]) + np.sum(new[1].b)


def two_layers():
    return [Layer(rng.normal(size=(3, 3)), rng.normal(size=3)),
            Layer(rng.normal(size=(3, 2)), rng.normal(size=2))]


@pytest.mark.parametrize("f", [layers_by_loop_variable, halved_layers, rebuilt_layers],
                         ids=lambda f: f.__name__)
def test_namedtuple_layers(f):
    layers, x = two_layers(), rng.normal(size=(4, 3))
    g = ad.grad(f)(layers, x)
    assert_same_structure(g, layers)
    assert type(g[0]) is Layer
    ad.check_grad(f, layers, x)


def test_replace_keeps_the_other_fields_and_the_original():
    def f(layer, x):
        moved = layer._replace(W=x)
        return np.sum(moved.W * layer.W) + np.sum(moved.b * layer.b)

    layer, x = Layer(rng.normal(size=3), rng.normal(size=3)), rng.normal(size=3)
    g = ad.grad(f)(layer, x)
    np.testing.assert_allclose(g.W, x, rtol=1e-12)
    np.testing.assert_allclose(g.b, 2 * layer.b, rtol=1e-12)
    # a NamedTuple not differentiated is an object: its method given x is refused
    with pytest.raises(TransformError, match="_replace"):
        ad.grad(f, wrt=1)(layer, x)


# -- state given as a dict or object not differentiated, copied and updated in a loop -------

def integrate_a_copied_dict(k, state, steps=3):
    state = dict(state)   # (the caller's dict stays as it was)
    for _ in range(steps):
        state["vel"] = state["vel"] - 0.1 * k * state["pos"]
        state["pos"] = state["pos"] + 0.1 * state["vel"]
    return np.sum(state["pos"] ** 2)


def integrate_a_copied_dict_updated(k, state, steps=3):
    state = state.copy()
    for _ in range(steps):   # (both new values computed from the old state, then stored)
        state.update(vel=state["vel"] - 0.1 * k * state["pos"],
                     pos=state["pos"] + 0.1 * state["vel"])
    return np.sum(state["pos"] ** 2)


def integrate_a_dict_comprehension(k, state, steps=3):
    state = {name: value for name, value in state.items()}
    for _ in range(steps):
        state["vel"] = state["vel"] - 0.1 * k * state["pos"]
        state["pos"] = state["pos"] + 0.1 * state["vel"]
    return np.sum(state["pos"] ** 2)


class Body:
    """A plain object holding a state."""

    def __init__(self, pos, vel):
        self.pos, self.vel = pos, vel


class Bounded(Body):
    """A state whose velocity is clipped when it is set: a property runs code."""

    @property
    def vel(self):
        return self._vel

    @vel.setter
    def vel(self, value):
        self._vel = np.clip(value, -1.0, 1.0)


def integrate_a_copied_object(k, body, steps=3):
    body = copy.copy(body)
    for _ in range(steps):
        body.vel = body.vel - 0.1 * k * body.pos
        body.pos += 0.1 * body.vel   # (a new array: Python's changes the caller's in place)
    return np.sum(body.pos ** 2)


def state_parts():
    return rng.normal(size=3), rng.normal(size=3)


@pytest.mark.parametrize("f", [integrate_a_copied_dict, integrate_a_dict_comprehension,
                               integrate_a_copied_dict_updated], ids=lambda f: f.__name__)
def test_a_copied_state_dict_not_differentiated_is_updated(f):
    pos, vel = state_parts()
    state = {"pos": pos, "vel": vel}
    k = 1.3
    got = ad.grad(f)(k, state)
    assert_close(got, numerical_grad(lambda q: f(q, {"pos": pos, "vel": vel}), (k,), 0))
    expected = with_autograd_numpy(globals(), autograd.grad(f), k, state)
    assert_close(got, expected)
    assert state["pos"] is pos and state["vel"] is vel   # (the caller's dict, as it was)
    both = ad.grad(f, wrt=(0, 1))(k, state)   # (the state differentiated too)
    assert_close(both[0], got)
    assert_same_structure(both[1], state)


def test_a_copied_object_not_differentiated_is_updated():
    pos, vel = state_parts()
    k = 1.3
    got = ad.grad(integrate_a_copied_object)(k, Body(pos.copy(), vel.copy()))
    expected = numerical_grad(lambda q: integrate_a_copied_object(
        q, Body(pos.copy(), vel.copy())), (k,), 0)
    assert_close(got, expected)
    body = Body(pos.copy(), vel.copy())
    g_k, g_body = ad.grad(integrate_a_copied_object, wrt=(0, 1))(k, body)
    assert_close(g_k, expected)
    assert isinstance(g_body, Body)
    assert_close(g_body.pos, numerical_grad(lambda p: integrate_a_copied_object(
        k, Body(p, vel.copy())), (pos.copy(),), 0))


def test_a_copied_object_whose_attribute_is_a_property_is_refused():
    pos, vel = state_parts()
    with pytest.raises(TransformError, match="assigning to its attribute 'vel' is not "
                                             "supported") as info:
        ad.grad(integrate_a_copied_object)(1.3, Bounded(pos, vel))
    assert f"{__file__}:" in str(info.value).splitlines()[0]


def integrate_a_made_object(k, pos, vel):
    body = Body(pos * 1.0, vel)   # (made here: the function's own to change)
    for _ in range(3):
        body.vel = body.vel - 0.1 * k * body.pos
        body.pos = body.pos + 0.1 * body.vel
    return np.sum(body.pos ** 2) + np.sum(vel * body.vel)


def test_an_object_the_function_makes_is_updated():
    pos, vel = state_parts()
    k = 1.3
    for wrt in (0, 1, 2):
        got = ad.grad(integrate_a_made_object, wrt=wrt)(k, pos, vel)
        assert_close(got, numerical_grad(integrate_a_made_object, (k, pos, vel), wrt))
        assert_close(got, with_autograd_numpy(globals(), autograd.grad(
            integrate_a_made_object, wrt), k, pos, vel))


def made_object_changed_in_place(pos, vel):
    p = pos * 1.0
    body = Body(p, vel * 1.0)
    body.pos += body.vel   # (changes p too)
    return np.sum(p * pos)


def test_an_object_the_function_makes_changed_in_place_through_another_name_is_refused():
    pos, vel = state_parts()
    with pytest.raises(TransformError, match=r"'body.pos \+= body.vel' changes the array "
                                             r"'body.pos' in place, and 'p'") as info:
        ad.grad(made_object_changed_in_place)(pos, vel)
    assert f"{__file__}:" in str(info.value).splitlines()[0]


# -- d.update(...) on a dict the function made ---------------------------------------------

def kalman_state_updated(q, ys):
    state = dict(m=np.zeros(2), P=np.eye(2))
    F = np.array([[1.0, 0.1], [0.0, 1.0]])
    total = 0.0
    for y in ys:
        m, P = F @ state["m"], F @ state["P"] @ F.T + q * np.eye(2)
        s = P[0, 0] + 0.2
        k = P[:, 0] / s
        r = y - m[0]
        state.update(m=m + k * r, P=P - np.outer(k, k) * s)
        total = total + r ** 2 / s + np.log(s)
    return total


def updated_from_a_display_and_keywords(x):
    d = {"a": np.sin(x), "b": x ** 2}
    alias, rows = d, [d]
    d.update({"a": d["b"], "c": x * 3.0}, b=d["a"])   # (the old items: a swap)
    return np.sum(alias["a"] * np.arange(1.0, 4.0) + rows[0]["b"] ** 3 * d["c"])


def updated_from_another_dict(x):
    d = {"a": x * 1.0}
    other = {"a": x ** 2, "c": np.cos(x)}
    d.update(other)
    other["a"] = x * 5.0   # (a change of other alone: d holds the arrays, not other)
    return np.sum(d["a"] * d["c"] + other["a"])


@pytest.mark.parametrize("f, args", [
    (kalman_state_updated, (0.05, [0.3, -0.2, 0.8])),
    (updated_from_a_display_and_keywords, (rng.normal(size=3),)),
    (updated_from_another_dict, (rng.normal(size=3),))], ids=lambda v: getattr(v, "__name__", ""))
def test_a_dict_made_here_updated(f, args):
    got = ad.grad(f)(*args)
    assert_close(got, numerical_grad(f, args, 0))
    assert_close(got, with_autograd_numpy(globals(), autograd.grad(f), *args))


def update_the_caller_s_dict(params, x):
    params.update(w=params["w"] * x)   # (Python changes the caller's dict)
    return np.sum(params["w"])


def update_to_hold_itself(x):
    d = {"a": x * 1.0}
    d.update(b=d)
    d["a"] = x * 3.0
    return np.sum(d["b"]["a"])   # (3 x: d["b"] is d)


def test_an_update_that_would_not_be_python_s_is_refused():
    params, x = params_and_x()
    with pytest.raises(TransformError, match="changes a structure this function was given"):
        ad.grad(update_the_caller_s_dict)(params, x)
    with pytest.raises(TransformError, match="hold itself"):
        ad.grad(update_to_hold_itself)(x)
