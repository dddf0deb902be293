"""Copies of structured parameters inside the differentiated function, module-level model
objects called like functions, and the real-valued spellings of NumPy's complex helpers,
as practitioners write them.

- ``copy.copy(params)``, ``copy.deepcopy(params)`` (dicts, lists of ``(W, b)`` tuples),
  ``{k: v.copy() for ...}``, ``dict(params)``, ``params.copy()``, ``{**params, "W": W2}``,
  ``list(layers)``, then arrays of the copy changed in place (``new["W"][0] = v``): a deep
  copy's arrays are its own; a shallow copy's are the caller's, which Python changes too
  (refused where the old array is read afterwards, differentiated where it is not);
- ``model(x)`` for ``model = MLP(...)`` at module level: its ``__call__``, the object's
  arrays constants read when the code runs;
- ``.conj()``, ``np.conj``, ``np.conjugate``, ``.real``, ``np.real`` of real values, and
  ``np.mean(..., where=mask)``.

Each gradient is checked leaf by leaf against central finite differences of the function
as written (conftest.numerical_grad, on a deep copy of the arguments: the function may
change the caller's arrays), and against autograd where autograd can run the code.
"""

import copy
import dataclasses
from typing import NamedTuple

import autograd
import numpy as np
import pytest
from conftest import (assert_close, assert_grad, assert_hessian, assert_like_autograd,
                      numerical_grad, with_autograd_numpy)
from test_peer_examples import leaves, replaced

import adcompile as ad
from adcompile import TransformError

rng = np.random.default_rng(23)


# -- checking a gradient of a structure ---------------------------------------------------


def _paths(tree):
    """The paths (tuples of keys) to the array and float leaves of ``tree``."""
    return [path for path, _ in leaves(tree)]


def _at(tree, path):
    for k in path:
        tree = tree[k]
    return tree


def _with_leaf(tree, path, value):
    """A deep copy of ``tree`` with ``value`` at ``path`` (the function may change the
    copy's other arrays in place)."""
    return replaced(copy.deepcopy(tree), path, value)


def assert_tree_grad(f, params, *rest, autograd_too=False, forward=True):
    """adcompile's gradient of ``f`` in its structured first argument equals central finite
    differences leaf by leaf (and autograd's, ``autograd_too``), has the argument's
    structure, and leaves the arguments as they were; forward mode along a random tangent
    equals the finite-difference directional derivative. Returns the gradient."""
    before = copy.deepcopy((params, rest))
    g = ad.grad(f)(params, *rest)
    _assert_like(g, params)
    for path in _paths(params):
        expected = numerical_grad(
            lambda v, path=path: f(_with_leaf(params, path, v), *copy.deepcopy(rest)),
            (_at(params, path),), 0)
        assert_close(_at(g, path), expected, what=f"d{f.__name__}/d{path}")
    for a, b in zip(_paths(params), _paths(before[0])):
        np.testing.assert_array_equal(_at(params, a), _at(before[0], b))
    if forward:
        tangent = _tangent_like(params)
        _, dot = ad.jvp(f)(params, *rest, tangents=tangent)
        expected = sum(float(np.sum(_at(g, p) * _at(tangent, p))) for p in _paths(params))
        assert_close(dot, expected, what=f"forward mode of {f.__name__}")
    if autograd_too:
        want = with_autograd_numpy(globals(), autograd.grad(f), params, *rest)
        for path in _paths(params):
            assert_close(_at(g, path), _at(want, path), 1e-9, 1e-11,
                         f"{f.__name__} against autograd at {path}")
    return g


def _assert_like(g, x):
    """``g`` has the structure of ``x``: its dicts' keys, its lists' and tuples' lengths and
    types, and a float (or an array of the same shape) for each float (array) leaf."""
    if isinstance(x, (dict, list, tuple)):
        assert type(g) is type(x) and len(g) == len(x)
        for a, b in (zip(g.values(), x.values()) if isinstance(x, dict) else zip(g, x)):
            _assert_like(a, b)
        if isinstance(x, dict):
            assert list(g) == list(x)
    elif isinstance(x, np.ndarray):
        assert isinstance(g, np.ndarray) and g.shape == x.shape and g.dtype == x.dtype
    else:
        assert isinstance(g, float), type(g)


def _tangent_like(tree):
    if isinstance(tree, dict):
        return {k: _tangent_like(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_tangent_like(v) for v in tree)
    return rng.uniform(-1.0, 1.0, np.shape(tree)) if isinstance(tree, np.ndarray) \
        else float(rng.uniform(-1.0, 1.0))


def mlp_params():
    return {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=4), "scale": 0.7}


def two_layers():
    return [(rng.normal(size=(3, 4)), rng.normal(size=4)),
            (rng.normal(size=(4, 2)), rng.normal(size=2))]


def forward(params, x):
    return np.tanh(x @ params["W"] + params["b"]) * params["scale"]


# -- copies that are rebound, not changed in place ------------------------------------------


def dict_copy_scaled(params, x):
    p = dict(params)
    p["W"] = p["W"] * 2.0
    return np.sum(forward(p, x) ** 2) + np.sum(forward(params, x))


def copy_method_replaced(params, x):
    p = params.copy()
    p["b"] = p["b"] + x[0, 0]
    return np.sum(forward(p, x) * forward(params, x))


def unpacked_with_new_weights(params, x):
    W2 = params["W"] * params["scale"]
    p = {**params, "W": W2}
    return np.sum(forward(p, x) ** 2)


def sgd_step_then_loss(params, x):
    """One step of gradient descent on a quadratic, written as dict comprehensions, then the
    loss at the new parameters beside the old (as meta-learning code does)."""
    lr = 0.1
    g = {k: 2.0 * v for k, v in params.items()}
    new = {k: v - lr * g[k] for k, v in params.items()}
    return np.sum(forward(new, x) ** 2) + np.sum(new["b"] * params["b"])


def shallow_copy_module(params, x):
    p = copy.copy(params)
    p["W"] = np.sin(p["W"])
    return np.sum(forward(p, x)) + np.sum(params["W"] ** 2)


@pytest.mark.parametrize("f", [dict_copy_scaled, copy_method_replaced, unpacked_with_new_weights,
                               sgd_step_then_loss, shallow_copy_module],
                         ids=lambda f: f.__name__)
def test_copies_given_new_items(f):
    # (autograd's dict of boxes has no .copy(), and its copy.copy cannot be assigned into)
    assert_tree_grad(f, mlp_params(), rng.normal(size=(5, 3)),
                     autograd_too=f not in (copy_method_replaced, shallow_copy_module))


def run_layers(layers, x):
    for W, b in layers:
        x = np.tanh(x @ W + b)
    return x


def layers_list_copy(layers, x):
    ls = list(layers)
    W, b = ls[0]
    ls[0] = (W * 0.5, b)
    return np.sum(run_layers(ls, x) ** 2) + np.sum(run_layers(layers, x))


def layers_shallow_copy(layers, x):
    ls = copy.copy(layers)
    ls[-1] = (ls[-1][0], ls[-1][1] * 3.0)
    return np.sum(run_layers(ls, x) * run_layers(layers, x))


@pytest.mark.parametrize("f", [layers_list_copy, layers_shallow_copy], ids=lambda f: f.__name__)
def test_copies_of_a_list_of_layers(f):
    # (autograd's copy.copy of a list of its boxes cannot be assigned into)
    assert_tree_grad(f, two_layers(), rng.normal(size=(5, 3)), autograd_too=f is layers_list_copy)


# -- copies whose arrays are changed in place ---------------------------------------------


def fresh_arrays_changed(params, x):
    new = {k: v.copy() for k, v in params.items() if k != "scale"}
    new["W"][:, 0] = x[0] * 2.0       # the copy's array: params["W"] keeps its values
    new["b"] += x[1, 0]
    new["scale"] = params["scale"]
    return np.sum(forward(new, x) ** 2) + np.sum(forward(params, x))


def deep_copy_changed(params, x):
    p = copy.deepcopy(params)
    p["W"][:, 1] = np.tanh(x[0])
    p["W"][2, 3] *= p["scale"]
    p["scale"] += 1.0
    return np.sum(forward(p, x) * forward(params, x))


def deep_copy_of_layers_changed(layers, x):
    ls = copy.deepcopy(layers)
    first = ls[0]                      # the same tuple: it sees the change below
    ls[0][0][:, 1] = x[0] * 0.5
    ls[1][1][:] = 0.0
    return np.sum(run_layers(ls, x) ** 2) + np.sum(first[0] * layers[0][0])


def changed_in_a_loop(params, x):
    p = copy.deepcopy(params)
    for i in range(3):
        p["W"][i] = p["W"][i] * x[i, 0] + p["b"][:4]
    return np.sum(forward(p, x) ** 2)


def changed_in_a_branch(params, x):
    p = {k: v.copy() for k, v in params.items() if k != "scale"}
    p["scale"] = 1.0
    if np.sum(x) > 0:
        p["W"][0, 0] = x[0, 0] ** 2
    else:
        p["b"][1:] -= x[0]
    return np.sum(forward(p, x) ** 2) + np.sum(params["b"] * p["b"])


def changed_at_a_computed_index(params, x):
    p = copy.deepcopy(params)
    for k in range(2):
        p["b"][k + 1] += x[0, k] * params["scale"]   # (the index is computed once)
    return np.sum(forward(p, x))


def item_of_a_copy_read_after_the_change(params, x):
    p = copy.deepcopy(params)
    W = p["W"]
    p["W"][:, 0] = x[0]
    return np.sum(x @ W) + np.sum(p["W"] * params["W"])   # (W is the array that changed)


def shallow_copy_changed_and_original_unread(params, x):
    p = dict(params)
    p["W"][:, 0] = x[0]               # Python changes params["W"] too; it is not read again
    return np.sum(forward(p, x) ** 2)


@pytest.mark.parametrize("f", [fresh_arrays_changed, deep_copy_changed, changed_in_a_loop,
                               changed_at_a_computed_index, item_of_a_copy_read_after_the_change,
                               shallow_copy_changed_and_original_unread],
                         ids=lambda f: f.__name__)
def test_arrays_of_a_copy_changed_in_place(f):
    assert_tree_grad(f, mlp_params(), rng.normal(size=(5, 3)))


def changed_on_one_branch(params, x):
    p = copy.deepcopy(params)
    if x[0, 0] > 0:
        p["W"][1] *= 3.0
    return np.sum(forward(p, x) ** 2)


def test_arrays_of_a_copy_changed_on_either_branch():
    params, x = mlp_params(), rng.normal(size=(5, 3))
    for f in (changed_in_a_branch, changed_on_one_branch):
        assert_tree_grad(f, params, np.abs(x))
        assert_tree_grad(f, params, -np.abs(x))


def test_an_array_of_a_dict_made_here_changed_through_it():
    def f(w, x):
        a = w * 1.0
        d = {"a": a, "x": x}
        d["a"][0] = x[1] ** 2          # a is that array: it changes too
        return np.sum(a * x) + np.sum(d["a"] * d["x"])

    assert_grad(f, rng.normal(size=3), rng.normal(size=3), wrt=(0, 1))


def test_arrays_of_a_deep_copy_of_layers_changed_in_place():
    layers, x = two_layers(), rng.normal(size=(5, 3))
    g = assert_tree_grad(deep_copy_of_layers_changed, layers, x)
    # column 1 of the copy no longer depends on layers[0][0]: its gradient there is what
    # the second term multiplies it by, first[0], the copy (the same tuple) as changed
    assert_close(g[0][0][:, 1], x[0] * 0.5, 1e-12, 1e-12)


def test_second_order_through_a_changed_copy():
    params, x = mlp_params(), rng.normal(size=(2, 3))

    def loss(w):
        return deep_copy_changed({"W": np.reshape(w, (3, 4)), "b": params["b"],
                                  "scale": params["scale"]}, x)

    assert_hessian(loss, params["W"].ravel())


class Layer(NamedTuple):
    W: np.ndarray
    b: np.ndarray


@dataclasses.dataclass
class Params:
    W: np.ndarray
    b: np.ndarray


@dataclasses.dataclass
class Zeroed:
    """Parameters whose deep copy is made by their own rule: zero weights."""

    W: np.ndarray
    b: np.ndarray

    def __deepcopy__(self, memo):
        return Zeroed(np.zeros_like(self.W), copy.deepcopy(self.b, memo))


def namedtuple_layers_copied(layers, x):
    ls = copy.deepcopy(layers)
    ls[0].W[0] = x[0] ** 2            # the copy's array: layers[0].W keeps its values
    last = copy.copy(layers[1])
    h = np.tanh(x @ ls[0].W + ls[0].b)
    return np.sum(h @ last.W + last.b) + np.sum(ls[0].W * layers[0].W)


def dataclass_copied(p, x):
    q = copy.deepcopy(p)
    q.b[:] = q.b * 2.0               # (the copy's array: p.b keeps its values)
    return np.sum(np.tanh(x @ q.W + q.b) * (p.b + 1.0))


def test_copies_of_namedtuples_and_dataclasses():
    layers = [Layer(rng.normal(size=(3, 3)), rng.normal(size=3)),
              Layer(rng.normal(size=(3, 2)), rng.normal(size=2))]
    x = rng.normal(size=(4, 3))
    g = ad.grad(namedtuple_layers_copied)(layers, x)
    assert type(g[0]) is Layer
    for k, layer in enumerate(layers):
        for field in ("W", "b"):
            def moved(v, k=k, field=field):
                new = [copy.deepcopy(item) for item in layers]
                new[k] = new[k]._replace(**{field: v})
                return namedtuple_layers_copied(new, x)

            assert_close(getattr(g[k], field), numerical_grad(moved, (getattr(layer, field),), 0))
    p = Params(rng.normal(size=(3, 2)), rng.normal(size=2))
    g = ad.grad(dataclass_copied)(p, x)
    for field in ("W", "b"):
        def moved(v, field=field):
            return dataclass_copied(dataclasses.replace(copy.deepcopy(p), **{field: v}), x)

        assert_close(getattr(g, field), numerical_grad(moved, (getattr(p, field),), 0))


def test_a_class_that_copies_its_own_way_is_refused():
    def f(p, x):
        q = copy.deepcopy(p)
        return np.sum(x @ q.W + q.b)

    with pytest.raises(TransformError, match="is a Zeroed holding values being differentiated"):
        ad.grad(f)(Zeroed(rng.normal(size=(3, 2)), rng.normal(size=2)), rng.normal(size=(4, 3)))


# -- what Python would change under another name: refused --------------------------------


def shallow_copy_changed_then_original_read(params, x):
    p = dict(params)
    p["W"][:, 0] = x[0]
    return np.sum(forward(p, x)) + np.sum(params["W"])   # (Python: params["W"] changed too)


def copy_copy_changed_then_original_read(params, x):
    p = copy.copy(params)
    p["b"] *= 2.0
    return np.sum(forward(p, x) * params["b"])




def shared_by_a_dict_made_here(params, x):
    d = {"W": params["W"] * 1.0}
    e = dict(d)
    e["W"][0] = 0.0
    return np.sum(forward({"W": d["W"], "b": params["b"], "scale": 1.0}, x))


def callers_array_changed(params, x):
    params["W"][:, 0] = x[0]
    return np.sum(forward(params, x))


def test_changes_another_name_would_see_are_refused():
    params, x = mlp_params(), rng.normal(size=(5, 3))
    with pytest.raises(TransformError, match=r"changes the array \"p\['W'\]\" in place, and "
                                             r"\"params\['W'\]\""):
        ad.grad(shallow_copy_changed_then_original_read)(params, x)
    with pytest.raises(TransformError, match=r"params\['b'\]"):
        ad.grad(copy_copy_changed_then_original_read)(params, x)
    with pytest.raises(TransformError, match="changes a structure this function was given"):
        ad.grad(callers_array_changed)(params, x)
    with pytest.raises(TransformError, match=r"changes the array \"e\['W'\]\" in place, and "
                                             r"\"d\['W'\]\""):
        ad.grad(shared_by_a_dict_made_here)(params, x)


def test_a_deep_copy_with_a_memo_is_refused():
    def f(params, x):
        p = copy.deepcopy(params, {})
        return np.sum(forward(p, x))

    with pytest.raises(TransformError):
        ad.grad(f)(mlp_params(), rng.normal(size=(5, 3)))


def test_a_copy_of_an_array_argument_is_its_own():
    def f(x, v):
        y = copy.copy(x)
        y[0] = v ** 2
        z = copy.deepcopy(x)
        z[1:] *= v
        return np.sum(y * x) + np.sum(np.sin(z))

    x = rng.normal(size=4)
    assert_grad(f, x, 0.6, wrt=(0, 1))


# -- a module-level model called like a function --------------------------------------------


class MLP:
    """A model as a class with __call__, its arrays in a list of layers."""

    def __init__(self, sizes, seed):
        r = np.random.default_rng(seed)
        self.layers = [(r.normal(size=(m, n)) / np.sqrt(m), r.normal(size=n))
                       for m, n in zip(sizes[:-1], sizes[1:])]

    def __call__(self, x):
        for W, b in self.layers:
            x = np.tanh(x @ W + b)
        return x


class Scaled:
    """A model whose __call__ calls another method."""

    def __init__(self, seed):
        self.W = np.random.default_rng(seed).normal(size=(3, 2))
        self.scale = 1.5

    def features(self, x):
        return np.sin(x @ self.W)

    def __call__(self, x):
        return self.scale * self.features(x)


model = MLP([3, 5, 2], seed=1)
scaled = Scaled(seed=2)


def model_loss(x):
    return np.sum(model(x) ** 2)


def scaled_loss(x):
    return np.sum(scaled(x) * model(x))


def test_a_module_level_model_called_like_a_function():
    x = rng.normal(size=(4, 3))
    assert_like_autograd(model_loss, x)
    assert_like_autograd(scaled_loss, x)
    assert_hessian(model_loss, rng.normal(size=3))


def test_a_models_arrays_are_read_when_the_gradient_runs():
    global model
    saved = model
    try:
        x = rng.normal(size=(4, 3))
        grad = ad.grad(model_loss)
        before = grad(x)
        model.layers = [(W * 2.0, b) for W, b in model.layers]   # the same object, new arrays
        after = grad(x)
        assert not np.allclose(before, after)
        assert_close(after, numerical_grad(model_loss, (x,), 0))
        model = MLP([3, 4, 2], seed=5)    # another object: the code was made for the old one
        with pytest.raises(ad.StaleGradient, match="'model' no longer holds"):
            grad(x)
        assert_close(ad.grad(model_loss)(x), numerical_grad(model_loss, (x,), 0))
    finally:
        model = saved


def scaled_features(x):
    return np.cos(x)


class Features:
    """A model whose method calls a module-level function."""

    def __init__(self):
        self.W = np.random.default_rng(4).normal(size=(3, 3))

    def features(self, x):
        return scaled_features(x @ self.W)

    def __call__(self, x):
        return self.features(x) ** 2


featurizer = Features()


def features_loss(x):
    return np.sum(featurizer(x))


def test_a_models_methods_and_what_they_call_redefined_make_the_gradient_stale():
    global scaled_features
    saved = scaled_features
    x = rng.normal(size=(2, 3))
    try:
        grad = ad.grad(features_loss)
        assert_close(grad(x), numerical_grad(features_loss, (x,), 0))
        scaled_features = np.sin          # (what a notebook cell run again does)
        with pytest.raises(ad.StaleGradient, match="'scaled_features' no longer holds"):
            grad(x)
        assert_close(ad.grad(features_loss)(x), numerical_grad(features_loss, (x,), 0))
    finally:
        scaled_features = saved
    grad = ad.grad(features_loss)
    method = Features.features
    try:
        Features.features = lambda self, x: np.tanh(x @ self.W)
        with pytest.raises(ad.StaleGradient, match="'Features.features' no longer holds"):
            grad(x)
        assert_close(ad.grad(features_loss)(x), numerical_grad(features_loss, (x,), 0))
    finally:
        Features.features = method


# -- the real-valued spellings of complex helpers; masked means ----------------------------


LAPLACIAN = np.array([[2.0, -1.0, 0.0], [-1.0, 2.0, -1.0], [0.0, -1.0, 2.0]])


def energy(x):
    """A quadratic energy written for complex fields, run on real ones."""
    return np.real(np.dot(x, LAPLACIAN @ x)) + np.sum(x.conj() * x) \
        + np.sum(np.conjugate(x) ** 3) + np.sum(np.conj(x).real * x.T.conj())


def test_conjugates_and_real_parts_of_real_values():
    x = rng.normal(size=3)
    assert_grad(energy, x)
    assert_hessian(energy, x)

    def energy_autograd(x):   # (autograd's arrays have no .conj() or .real)
        return np.real(np.dot(x, LAPLACIAN @ x)) + np.sum(np.conj(x) * x) \
            + np.sum(np.conjugate(x) ** 3) + np.sum(np.real(np.conj(x)) * np.conj(x))

    assert_close(ad.grad(energy)(x), with_autograd_numpy(globals(), autograd.grad(energy_autograd),
                                                         x), 1e-10, 1e-12)


VALID = np.array([[True, True, False], [True, False, False], [True, True, True],
                  [False, True, True]])


def masked_mse(params, x, y):
    """The mean squared error over the targets that are present."""
    pred = x @ params["W"][:, :3] + params["b"][:3]
    return np.mean((pred - y) ** 2, where=VALID) \
        + 0.1 * np.sum(np.mean(np.abs(pred), axis=0, where=VALID) ** 2)


def test_a_masked_mean_of_errors():
    params = mlp_params()
    params.pop("scale")
    assert_tree_grad(masked_mse, params, rng.normal(size=(4, 3)), rng.normal(size=(4, 3)))


PIECE = np.array([[0, 2, 1], [1, 1, 0]])    # which formula each entry takes


def piecewise(x, y):
    """A piecewise model whose pieces are chosen by a constant table."""
    z = np.choose(PIECE, (x, y ** 2, np.sin(x * y)))
    return np.sum(z ** 2) + np.sum(np.choose([1, 0, 1], [x[0], y[1]]) * y[0])


def test_choose_with_constant_indices():
    x, y = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    assert_grad(piecewise, x, y, wrt=(0, 1))
    assert_hessian(piecewise, x, y)
    narrow = ad.grad(piecewise)(x.astype(np.float32), y.astype(np.float32))
    assert narrow.dtype == np.float32

    def out_of_range(x):
        return np.sum(np.choose(np.array([0, 2]), [x, 2.0 * x]))

    with pytest.raises(ValueError, match="invalid entry"):   # as NumPy raises
        ad.grad(out_of_range)(np.ones(2))

    def clipped(x):
        return np.sum(np.choose(np.array([0, 2]), [x, 2.0 * x], mode="clip"))

    with pytest.raises(TransformError, match="np.choose"):
        ad.grad(clipped)(np.ones(2))


# -- arguments whose arrays share memory, given to code that changes a copy's array ----------

def deep_copy_of_tied_weights(params, v):
    new = copy.deepcopy(params)   # (Python's deep copy keeps the two names of one array one)
    new["a"][0] = v
    return np.sum(new["b"] ** 2) + v


def shallow_copy_of_tied_weights(params, v):
    p = dict(params)
    p["a"][0] = v * 2.0   # (the caller's array, which params["b"] is too)
    return np.sum(params["b"] ** 2) * v


def tied_weights_read(params, v):
    return np.sum(params["a"] * params["b"]) * v


@pytest.mark.parametrize("f", [deep_copy_of_tied_weights, shallow_copy_of_tied_weights])
def test_arrays_shared_between_leaves_are_refused_where_a_copys_array_changes(f):
    # one array under two keys: Python's change shows through both, which code that takes
    # each leaf for an array of its own would miss (it gave 1.0 and 14.0 where differences
    # give 2.0 and 16.0)
    w = np.array([1.0, 2.0, 3.0])
    with pytest.raises(TransformError, match="share memory"):
        ad.grad(f, wrt=(0, 1))({"a": w, "b": w}, 0.5)
    with pytest.raises(TransformError, match="share memory"):
        ad.grad(f, wrt=(0, 1))({"a": w, "b": w[:]}, 0.5)   # (a view of it)
    # separate arrays: differentiated
    params = {"a": w.copy(), "b": w.copy()}
    got = ad.grad(f, wrt=(0, 1))({k: v.copy() for k, v in params.items()}, 0.5)

    def value(v):
        return f({k: a.copy() for k, a in params.items()}, v)
    assert_close(got[1], numerical_grad(value, (0.5,), 0))


def test_tied_weights_only_read_are_differentiated_leaf_by_leaf():
    # (nothing changes them in place: each leaf's gradient, as JAX and autograd give)
    w = np.array([1.0, 2.0, 3.0])
    got = ad.grad(tied_weights_read)({"a": w, "b": w}, 0.5)
    assert_close(got["a"], 0.5 * w)
    assert_close(got["b"], 0.5 * w)

def fresh_copies_of_tied_weights(params, v):
    new = {k: w.copy() for k, w in params.items()}   # (arrays of its own: nothing shared)
    new["a"][0] = v
    new["b"] *= v
    return np.sum(new["a"] * new["b"]) + np.sum(params["b"] ** 2)


def view_of_tied_weights_in_a_copy(params, v):
    new = {"a": params["a"][1:], "b": params["b"] * 1.0}   # (a view of the caller's array)
    new["a"][0] = v
    return np.sum(new["a"] ** 2) * v


def test_changing_fresh_copies_of_tied_weights_is_differentiated():
    # the changed arrays are the function's own, so that the arguments share one array
    # changes nothing: each leaf's gradient, as with separate arrays
    w = np.array([1.0, 2.0, 3.0])
    got = ad.grad(fresh_copies_of_tied_weights, wrt=(0, 1))({"a": w, "b": w}, 0.5)
    separate = ad.grad(fresh_copies_of_tied_weights, wrt=(0, 1))(
        {"a": w.copy(), "b": w.copy()}, 0.5)
    for k in "ab":
        assert_close(got[0][k], numerical_grad(
            lambda a: fresh_copies_of_tied_weights({**{"a": w, "b": w}, k: a}, 0.5), (w,), 0))
        assert_close(got[0][k], separate[0][k])
    assert_close(got[1], numerical_grad(
        lambda v: fresh_copies_of_tied_weights({"a": w, "b": w}, v), (0.5,), 0))
    assert np.array_equal(w, [1.0, 2.0, 3.0])   # (the caller's array unchanged)


def test_a_view_of_tied_weights_changed_through_a_copy_is_refused():
    w = np.array([1.0, 2.0, 3.0])
    with pytest.raises(TransformError, match="share memory"):
        ad.grad(view_of_tied_weights_in_a_copy, wrt=(0, 1))({"a": w, "b": w}, 0.5)
    got = ad.grad(view_of_tied_weights_in_a_copy, wrt=1)({"a": w.copy(), "b": w.copy()}, 0.5)
    assert_close(got, numerical_grad(
        lambda v: view_of_tied_weights_in_a_copy({"a": w.copy(), "b": w.copy()}, v),
        (0.5,), 0))



def deep_copy_of_one_array_under_two_names(params, v):
    a = params["w"]
    e = copy.deepcopy({"a": a, "b": params["w"]})   # (one array, copied once, held twice)
    e["a"][0] = v
    return np.sum(e["b"] ** 2) + v


def deep_copy_of_one_name_held_twice(params, v):
    e = copy.deepcopy({"a": params["w"], "b": params["w"]})
    e["a"][0] = v
    return np.sum(e["b"] ** 2) + v


def deep_copy_of_a_view_and_its_array(params, v):
    e = copy.deepcopy({"a": params["w"][:], "b": params["w"]})   # (two arrays: two copies)
    e["a"][0] = v
    return np.sum(e["b"] ** 2) + v


def test_a_deep_copy_holding_one_array_twice_is_refused_where_it_would_be_wrong():
    # Python's deepcopy copies an array held in two places once (its memo): a change
    # through one place shows through the other. Copying each place on its own gave 1.0
    # where differences give 2.0; now refused, when transforming (one name held twice) or
    # when the code runs (two names of one array)
    params = {"w": np.array([1.0, 2.0, 3.0])}
    with pytest.raises(TransformError):
        ad.grad(deep_copy_of_one_name_held_twice, wrt=(0, 1))(params, 0.5)
    with pytest.raises(TypeError, match="copies a structure holding one array in two places"):
        ad.grad(deep_copy_of_one_array_under_two_names, wrt=(0, 1))(params, 0.5)
    got = ad.grad(deep_copy_of_a_view_and_its_array, wrt=(0, 1))(params, 0.5)

    def value(v):
        return deep_copy_of_a_view_and_its_array(copy.deepcopy(params), v)
    assert_close(got[1], numerical_grad(value, (0.5,), 0))
    assert_tree_grad(deep_copy_of_a_view_and_its_array, params, 0.5)
