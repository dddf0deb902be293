"""Structured parameters (pytrees): models as practitioners hold them.

Each gradient is checked against central finite differences (``ad.check_grad``, leaf by
leaf) and, where autograd can take the same code, against autograd; and its structure,
types and dtypes against the argument's.
"""

import collections
import dataclasses
import subprocess
import sys

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import adcompile as ad

rng = np.random.default_rng(7)


def normal(*shape):
    return rng.normal(size=shape)


def assert_same_structure(g, x):
    """``g`` has the structure, types, shapes and float dtypes of ``x``."""
    assert type(g) is type(x), (type(g), type(x))
    if isinstance(x, dict):
        assert list(g) == list(x)
        for k in x:
            assert_same_structure(g[k], x[k])
    elif isinstance(x, (list, tuple)):
        assert len(g) == len(x)
        for a, b in zip(g, x):
            assert_same_structure(a, b)
    elif isinstance(x, np.ndarray):
        assert g.shape == x.shape and g.dtype == x.dtype
    elif dataclasses.is_dataclass(x) or hasattr(x, "__dict__"):
        for k, v in vars(x).items():
            assert_same_structure(getattr(g, k), v)


def assert_tree_close(a, b, tol=1e-9):
    if isinstance(a, dict):
        for k in a:
            assert_tree_close(a[k], b[k], tol)
    elif isinstance(a, (list, tuple)):
        for x, y in zip(a, b):
            assert_tree_close(x, y, tol)
    else:
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# -- an MLP with a dict of parameters ---------------------------------------------------


def mlp_dict(params, x, y):
    h = np.tanh(x @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    return np.mean((out - y) ** 2)


def mlp_dict_autograd(params, x, y):
    h = anp.tanh(x @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    return anp.mean((out - y) ** 2)


def dict_params():
    return {"W1": normal(3, 5), "b1": normal(5), "W2": normal(5, 2), "b2": normal(2)}


def test_dict_params_mlp():
    params, x, y = dict_params(), normal(4, 3), normal(4, 2)
    g = ad.grad(mlp_dict)(params, x, y)
    assert_same_structure(g, params)
    ad.check_grad(mlp_dict, params, x, y)
    assert_tree_close(g, autograd.grad(mlp_dict_autograd)(params, x, y))


def test_dict_params_show_names_the_leaves():
    params, x, y = dict_params(), normal(4, 3), normal(4, 2)
    code = ad.show(mlp_dict, args=(params, x, y))
    assert 'params_W1 = params["W1"]' in code.replace("'", '"')
    assert "return {" in code and "params_W1_bar" in code
    # without example arguments the structure is not known
    assert "args=" in ad.grad(mlp_dict).source


def test_non_float_leaves_pass_through():
    def scaled(params, x):
        for _ in range(params["n"]):
            x = np.tanh(x[params["ids"]] * params["w"])
        return np.sum(x) / len(params["name"])

    params = {"w": normal(3), "n": 3, "name": "layer", "ids": np.arange(3), "none": None}
    g = ad.grad(scaled)(params, normal(3))
    assert g["n"] == 3 and g["name"] == "layer" and g["none"] is None
    assert g["ids"] is params["ids"]
    ad.check_grad(scaled, params, normal(3))


def test_an_int_leaf_the_value_depends_on_is_refused():
    # an int the value is computed with has a derivative, which a gradient handing the int
    # back untouched would silently replace by the int itself (tests/test_hostile_probes_9)
    def scaled(params, x):
        return np.sum(params["w"] * x) * params["n"]

    with pytest.raises(ad.TransformError,
                       match=r"params\['n'\] holds integers \(an int or an array of ints\)"):
        ad.grad(scaled)({"w": normal(3), "n": 3}, normal(3))
    g = ad.grad(scaled)({"w": normal(3), "n": 3.0}, normal(3))
    assert isinstance(g["n"], float)


def test_float_leaves_and_float32():
    def f(p, x):
        return np.sum(p["a"] * x) * p["s"]

    g = ad.grad(f)({"a": np.ones(3, np.float32), "s": 2.0}, np.arange(3, dtype=np.float32))
    assert g["a"].dtype == np.float32
    assert isinstance(g["s"], float) or np.ndim(g["s"]) == 0
    assert float(g["s"]) == pytest.approx(3.0)


# -- a list of (W, b) layers of different widths, with a layer loop -----------------------


def predict(layers, x):
    for W, b in layers[:-1]:
        x = np.tanh(x @ W + b)
    W, b = layers[-1]
    return x @ W + b


def layers_loss(layers, x, y):
    return np.sum((predict(layers, x) - y) ** 2) + 1e-2 * sum(np.sum(W ** 2) for W, _ in layers)


def layers_loss_autograd(layers, x, y):
    h = x
    for W, b in layers[:-1]:
        h = anp.tanh(h @ W + b)
    W, b = layers[-1]
    out = h @ W + b
    return anp.sum((out - y) ** 2) + 1e-2 * sum(anp.sum(W ** 2) for W, _ in layers)


def make_layers(widths):
    return [(normal(m, n) * 0.5, normal(n)) for m, n in zip(widths[:-1], widths[1:])]


def test_list_of_layers():
    layers, x, y = make_layers([3, 7, 4, 2]), normal(5, 3), normal(5, 2)
    g = ad.grad(layers_loss)(layers, x, y)
    assert_same_structure(g, layers)
    ad.check_grad(layers_loss, layers, x, y)
    assert_tree_close(g, autograd.grad(layers_loss_autograd)(layers, x, y))


def test_loops_over_a_structure_are_unrolled():
    def indexed(layers, x):
        for i in range(len(layers)):
            x = np.tanh(x @ layers[i][0] + layers[i][1])
        return np.sum(x)

    def enumerated(layers, x):
        total = 0.0
        for i, (W, b) in enumerate(layers):
            x = np.tanh(x @ W + b)
            total = total + (i + 1) * np.sum(x)
        return total

    def reversed_pairs(layers, x):
        for (W, b), (V, c) in zip(layers, reversed(layers)):
            x = x + np.sum(W) * np.sum(V) + np.sum(b * c)
        return np.sum(x)

    layers = make_layers([3, 3, 3])
    for f in (indexed, enumerated, reversed_pairs):
        ad.check_grad(f, layers, normal(2, 3))
    code = ad.show(indexed, args=(layers, normal(2, 3)))
    assert "for " not in code   # (unrolled: no loop, no saved steps)


def test_dict_items_values_keys():
    def f(params, x):
        total = 0.0
        for name, value in params.items():
            total = total + np.sum(value * x) * len(name)
        for value in params.values():
            total = total + np.sum(value ** 2)
        for k in params:
            total = total + np.sum(params[k])
        return total

    ad.check_grad(f, {"a": normal(3), "bb": normal(3)}, normal(3))


def by_keys(params, x):
    total = 0.0
    for k in params:   # (nothing else reads params as a dict)
        total = total * 0.5 + np.sum(params[k] * x)
    return total


def by_sorted_keys(params, x):
    total = 0.0
    for k in sorted(params):
        total = total * 0.5 + np.sum(params[k] * x) * len(k)
    for k, v in sorted(params.items()):
        total = total * 0.25 + np.sum(v ** 2)
    return total


def test_a_dict_walked_by_its_keys_and_sorted():
    # the order matters (total * 0.5 each step): Python's, insertion or sorted
    params = {"bb": normal(3), "a": normal(3), "ccc": normal(3)}
    x = normal(3)
    for f in (by_keys, by_sorted_keys):
        ad.check_grad(f, params, x)
        ad.check_grad(f, params, x, wrt=1)   # (params not differentiated: walked as it is)


def test_nested_dicts_and_helpers():
    def dense(p, x):
        return x @ p["W"] + p["b"]

    def encoder(p, x):
        return np.tanh(dense(p["l1"], x))

    def model(params, x):
        h = encoder(params["enc"], x)
        return np.sum(dense(params["head"], h) ** 2)

    params = {"enc": {"l1": {"W": normal(3, 4), "b": normal(4)}},
              "head": {"W": normal(4, 1), "b": normal(1)}}
    g = ad.grad(model)(params, normal(2, 3))
    assert_same_structure(g, params)
    ad.check_grad(model, params, normal(2, 3))


def test_helpers_build_and_return_structures():
    def cell(state, x):
        return {"h": np.tanh(state["h"] * x + state["c"]), "c": state["c"] * x}

    def two_steps(params, x):
        state = {"h": params["h0"], "c": params["c0"]}
        state = cell(state, x)
        state = cell(state, x)
        h, c = state["h"], state["c"]
        return np.sum(h * c)

    ad.check_grad(two_steps, {"h0": normal(3), "c0": normal(3)}, normal(3))


# -- NamedTuple, dataclass and a model class --------------------------------------------

Layer = collections.namedtuple("Layer", "W b")


@dataclasses.dataclass
class Dense:
    W: np.ndarray
    b: np.ndarray
    activation: str = "tanh"


def namedtuple_loss(p, x):
    return np.sum(np.tanh(x @ p.W + p.b) ** 2)


def test_namedtuple_params():
    p = Layer(normal(3, 2), normal(2))
    g = ad.grad(namedtuple_loss)(p, normal(4, 3))
    assert isinstance(g, Layer)
    assert_same_structure(g, p)
    ad.check_grad(namedtuple_loss, p, normal(4, 3))


def test_dataclass_params():
    p = Dense(normal(3, 2), normal(2))
    g = ad.grad(namedtuple_loss)(p, normal(4, 3))
    assert isinstance(g, Dense) and g.activation == "tanh"
    assert_same_structure(g, p)
    ad.check_grad(namedtuple_loss, p, normal(4, 3))


class Model:
    def __init__(self):
        self.W = normal(3, 4)
        self.b = normal(4)
        self.V = normal(4, 1)
        self.name = "two layers"

    def hidden(self, x):
        return np.tanh(x @ self.W + self.b)

    def __call__(self, x, y):
        return np.mean((self.hidden(x) @ self.V - y) ** 2)


def test_model_class_with_methods():
    model, x, y = Model(), normal(5, 3), normal(5, 1)
    g = ad.grad(Model.__call__, wrt="self")(model, x, y)
    assert isinstance(g, Model) and g is not model and g.name == "two layers"
    assert_same_structure(g, model)
    ad.check_grad(Model.__call__, model, x, y)
    # the model is unchanged
    assert not np.shares_memory(g.W, model.W)


# -- forward mode, vjp, value_and_grad, several wrt ------------------------------------


def test_other_forms_take_structures():
    p, x = Layer(normal(3, 2), normal(2)), normal(4, 3)
    value, g = ad.value_and_grad(namedtuple_loss)(p, x)
    assert value == pytest.approx(namedtuple_loss(p, x))
    _, g2 = ad.vjp(namedtuple_loss)(p, x, 1.0)
    assert_tree_close(g, g2)
    tangent = Layer(normal(3, 2), normal(2))
    value, dot = ad.jvp(namedtuple_loss)(p, x, tangent)
    expected = np.sum(g.W * tangent.W) + np.sum(g.b * tangent.b)
    assert dot == pytest.approx(expected)
    gp, gx = ad.grad(namedtuple_loss, wrt=(0, 1))(p, x)
    assert isinstance(gp, Layer) and gx.shape == x.shape
    ad.check_grad(namedtuple_loss, p, x, wrt=(0, 1))


def test_different_structures_get_different_code():
    def total(p):
        return sum(np.sum(v ** 2) for v in p.values())

    g = ad.grad(total)
    assert list(g({"a": np.ones(2)})) == ["a"]
    assert list(g({"a": np.ones(2), "b": np.ones(3)})) == ["a", "b"]
    assert list(g({"b": 1.0})) == ["b"]


# -- refusals ---------------------------------------------------------------------------


def test_uses_that_are_refused():
    def computed_key(params, key):
        return np.sum(params[key])

    def whole(params):
        return np.sum(params * 2.0)

    def first_made_in_a_loop(params, xs):
        for x in xs:
            state = {"h": np.tanh(params["h0"] + x)}
        return np.sum(state["h"])

    with pytest.raises(ad.TransformError, match="index it with a constant"):
        ad.grad(computed_key)({"a": np.ones(2)}, "a")
    with pytest.raises(ad.TransformError, match="read its items with constant keys"):
        ad.grad(whole)([np.ones(2), np.ones(2)])
    with pytest.raises(ad.TransformError, match="new structure .* in each iteration"):
        ad.grad(first_made_in_a_loop)({"h0": np.ones(2)}, [np.ones(2)])

    def assigns_an_item(layers, x):
        layers[0] = x * 2
        return np.sum(layers[0] * layers[1])

    def assigns_into_a_leaf(p, x):
        p["W"][0] = x
        return np.sum(p["W"])

    with pytest.raises(ad.TransformError, match="changes a structure this function was given"):
        ad.grad(assigns_an_item)([np.ones(2), np.ones(2)], np.ones(2))
    with pytest.raises(ad.TransformError, match="changes a structure this function was given"):
        ad.grad(assigns_into_a_leaf)({"W": np.ones(2)}, 3.0)


@dataclasses.dataclass
class Doubled:
    """Parameters whose class reads its items, walks and counts itself its own way."""
    w: np.ndarray
    b: float

    def __getitem__(self, key):
        return getattr(self, key) * 2.0

    def __iter__(self):
        return iter([self.w * 5.0])

    def __len__(self):
        return 7


class Pair(collections.namedtuple("Pair", "w b")):
    def __iter__(self):
        return iter((self.b, self.w))


def test_a_class_s_own_item_loop_and_length_code_is_refused():
    """p["w"], for v in p, tuple(t), first, *rest = t and len(p) run the class's
    __getitem__, __iter__ and __len__ in Python; the gradient read the fields instead
    (p["w"] as p.w, the fields in their order, len as their number: wrong gradients). Such uses are refused at their
    line; the fields by name, and a NamedTuple's own tuple methods, are read as before."""
    def by_item(p, x):
        return np.sum(p["w"] * x) + p["b"]

    def by_loop(p):
        total = 0.0
        for v in p:
            total = total + np.sum(v)
        return total

    def by_length(p):
        return np.sum(p.w) * len(p)

    def unpacked(t):
        first, second = t
        return np.sum(first) * np.sum(second ** 2)

    def as_a_tuple(t):
        items = tuple(t)
        return np.sum(items[1] ** 2) * items[0]

    def starred(t):
        first, *rest = t
        return first * np.sum(rest[0])

    def by_name(p, t):
        return np.sum(p.w ** 2) * p.b + np.sum(t.w) * t.b + len(t) + np.sum(t[0])

    p, x = Doubled(np.array([0.3, -0.5]), 0.7), np.array([1.0, 2.0])
    t = Pair(np.array([0.3, -0.5]), 0.7)
    for f, args, construct in [(by_item, (p, x), "__getitem__"), (by_loop, (p,), "__iter__"),
                               (by_length, (p,), "holding values being differentiated"),
                               (unpacked, (t,), "cannot unpack"),
                               (as_a_tuple, (t,), "holding values being differentiated"),
                               (starred, (t,), "holding values being differentiated")]:
        with pytest.raises(ad.TransformError, match=construct) as info:
            ad.grad(f)(*args)
        assert "test_structures.py" in str(info.value).splitlines()[0]
    g = ad.grad(by_name, wrt=(0, 1))(p, t)
    assert g[0].w == pytest.approx(2 * p.w * p.b) and g[1].b == pytest.approx(np.sum(t.w))
    assert isinstance(g[0], Doubled) and isinstance(g[1], Pair)


def test_bad_structures_are_type_errors():
    def f(p):
        return np.sum(p["a"])

    loop = {"a": np.ones(2)}
    loop["self"] = loop
    with pytest.raises(TypeError, match="contains itself"):
        ad.grad(f)(loop)
    with pytest.raises(TypeError, match="complex"):
        ad.grad(f)({"a": np.ones(2, complex)})


# -- a built module ---------------------------------------------------------------------


def test_built_module_for_dict_params_imports_without_adcompile(tmp_path):
    params, x, y = dict_params(), normal(4, 3), normal(4, 2)
    path = ad.build(mlp_dict, tmp_path / "mlp_grad.py", args=(params, x, y))
    script = (
        "import sys, numpy as np\n"
        "sys.modules['adcompile'] = None\n"   # any import of adcompile fails
        "import mlp_grad\n"
        "rng = np.random.default_rng(7)\n"
        "p = {'W1': np.ones((3, 5)), 'b1': np.ones(5), 'W2': np.ones((5, 2)), 'b2': np.ones(2)}\n"
        "g = mlp_grad.grad_mlp_dict(p, np.ones((4, 3)), np.zeros((4, 2)))\n"
        "print(sorted(g), g['W1'].shape)\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=path.parent, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "['W1', 'W2', 'b1', 'b2'] (3, 5)"
    p = {"W1": np.ones((3, 5)), "b1": np.ones(5), "W2": np.ones((5, 2)), "b2": np.ones(2)}
    expected = ad.grad(mlp_dict)(p, np.ones((4, 3)), np.zeros((4, 2)))
    namespace = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    got = namespace["grad_mlp_dict"](p, np.ones((4, 3)), np.zeros((4, 2)))
    assert_tree_close(got, expected)


# -- structures returned, and derivatives of gradients of structures ---------------------


def stats(params, x):
    m = np.mean(params["w"] * x)
    return {"mean": m, "pair": (m * 2.0, np.sum(params["w"] ** 2))}


def test_returned_structure_vjp_and_jvp():
    p, x = {"w": normal(3)}, normal(3)
    out_bar = {"mean": 0.5, "pair": (-1.0, 2.0)}
    value, g = ad.vjp(stats)(p, x, out_bar)
    assert_tree_close(value, stats(p, x))

    def weighted(params, x):
        s = stats(params, x)
        return 0.5 * s["mean"] - 1.0 * s["pair"][0] + 2.0 * s["pair"][1]

    assert_tree_close(g, ad.grad(weighted)(p, x))
    ad.check_grad(weighted, p, x)
    tangent = {"w": normal(3)}
    value, dot = ad.jvp(stats)(p, x, tangent)
    assert_tree_close(value, stats(p, x))
    eps = 1e-6
    plus = stats({"w": p["w"] + eps * tangent["w"]}, x)
    minus = stats({"w": p["w"] - eps * tangent["w"]}, x)
    assert dot["mean"] == pytest.approx((plus["mean"] - minus["mean"]) / (2 * eps), rel=1e-6)
    assert dot["pair"][1] == pytest.approx((plus["pair"][1] - minus["pair"][1]) / (2 * eps),
                                           rel=1e-6)


def test_hessian_vector_product_with_dict_params():
    def loss(params, x):
        return np.sum(np.tanh(params["W"] @ x + params["b"]) ** 2)

    def flat(W, b, x):
        return np.sum(np.tanh(W @ x + b) ** 2)

    p, x = {"W": normal(2, 3), "b": normal(2)}, normal(3)
    v = {"W": normal(2, 3), "b": normal(2)}
    g, hv = ad.jvp(ad.grad(loss))(p, x, v)
    assert_same_structure(hv, p)
    expected = ad.jvp(ad.grad(flat, wrt=(0, 1)), wrt=(0, 1))(p["W"], p["b"], x, (v["W"], v["b"]))
    assert_tree_close(hv["W"], expected[1][0])
    assert_tree_close(hv["b"], expected[1][1])


def test_lists_and_tuples_of_numbers_and_arrays():
    def squares(x):
        return sum([t * t for t in x])

    def flat_norm(arrays):
        return np.sum(np.concatenate([a.ravel() for a in arrays]) ** 2)

    def stacked(arrays):
        return np.sum(np.stack(arrays) ** 3)

    assert ad.grad(squares)([1.0, 2.0, 3.0]) == [2.0, 4.0, 6.0]
    assert ad.grad(squares)((1.0, 2.0)) == (2.0, 4.0)
    arrays = [normal(2), normal(2, 2)]
    g = ad.grad(flat_norm)(arrays)
    assert_same_structure(g, arrays)
    assert_tree_close(g, [2 * a for a in arrays])
    ad.check_grad(stacked, [normal(3), normal(3)])


def test_bound_method_calls_methods_of_self():
    model, x, y = Model(), normal(5, 3), normal(5, 1)

    def flat(x, W, b, V, y):
        return np.mean((np.tanh(x @ W + b) @ V - y) ** 2)

    expected = ad.grad(flat)(x, model.W, model.b, model.V, y)
    assert_tree_close(ad.grad(model)(x, y), expected)          # __call__ of the object
    assert_tree_close(ad.grad(model.__call__)(x, y), expected)
    ad.check_grad(model.__call__, x, y)


def test_rnn_closure_over_dict_params():
    def rnn_loss(params, xs):
        def step(h, x):
            return np.tanh(params["W"] @ h + params["U"] @ x + params["b"])

        h = np.zeros(3)
        for x in xs:
            h = step(h, x)
        return np.sum(h ** 2)

    def rnn_autograd(params, xs):
        h = anp.zeros(3)
        for x in xs:
            h = anp.tanh(params["W"] @ h + params["U"] @ x + params["b"])
        return anp.sum(h ** 2)

    p = {"W": normal(3, 3) * 0.5, "U": normal(3, 2), "b": normal(3)}
    xs = normal(4, 2)
    g = ad.grad(rnn_loss)(p, xs)
    assert_same_structure(g, p)
    ad.check_grad(rnn_loss, p, xs)
    assert_tree_close(g, autograd.grad(rnn_autograd)(p, xs))


def test_jacobian_and_hessian_of_structures():
    def f(p, x):
        return np.tanh(p["W"] @ x + p["b"])

    def f_flat(W, b, x):
        return np.tanh(W @ x + b)

    def g(p, x):
        return np.sum(f(p, x) ** 2) + p["s"] ** 2 * np.sum(p["b"])

    def g_flat(W, b, s, x):
        return np.sum(f_flat(W, b, x) ** 2) + s ** 2 * np.sum(b)

    p, x = {"W": normal(2, 3), "b": normal(2)}, normal(3)
    for mode in ("reverse", "forward"):
        J = ad.jacobian(f, mode=mode)(p, x)
        JW, Jb = ad.jacobian(f_flat, wrt=(0, 1), mode=mode)(p["W"], p["b"], x)
        assert list(J) == ["W", "b"]
        assert_tree_close(J["W"], JW)
        assert_tree_close(J["b"], Jb)
    p["s"] = 0.7
    H = ad.hessian(g)(p, x)
    names = ("W", "b", "s")
    H_flat = ad.hessian(g_flat, wrt=(0, 1, 2))(p["W"], p["b"], p["s"], x)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            assert np.shape(H[a][b]) == np.shape(p[a]) + np.shape(p[b])
            assert_tree_close(H[a][b], H_flat[i][j])

    def g_autograd(W, b, s, x):   # an independent reference for the flat Hessian
        return anp.sum(anp.tanh(W @ x + b) ** 2) + s ** 2 * anp.sum(b)

    H_ref = autograd.hessian(g_autograd, 0)(p["W"], p["b"], p["s"], x)
    assert_tree_close(H["W"]["W"], H_ref, tol=1e-8)
    J = ad.jacobian(f)(p, x)
    eps = 1e-6
    for k in np.ndindex(2):
        step = np.zeros(2)
        step[k] = eps
        fd = (f({"W": p["W"], "b": p["b"] + step}, x)
              - f({"W": p["W"], "b": p["b"] - step}, x)) / (2 * eps)
        np.testing.assert_allclose(J["b"][(slice(None),) + k], fd, rtol=1e-6, atol=1e-9)


class Scaled:
    scale = 2.0   # data of the class: read from the class, not differentiated

    def __init__(self):
        self.W = normal(2, 3) * 0.3
        self.name = "scaled"

    @property
    def doubled(self):   # a property: its function is inlined
        return self.W * 2.0

    def hidden(self, x):
        return np.tanh(self.doubled @ x) * self.scale

    def loss(self, x):
        label = self.name.upper()   # (a method on values not differentiated: called as is)
        return np.sum(self.hidden(x) ** 2) * len(label)


def test_properties_class_data_and_plain_methods_of_a_model():
    model, x = Scaled(), normal(3)

    def flat(W, x):
        return np.sum((np.tanh((W * 2.0) @ x) * 2.0) ** 2) * 6

    g = ad.grad(Scaled.loss, wrt="self")(model, x)
    assert isinstance(g, Scaled) and g.name == "scaled"
    assert_tree_close(g.W, ad.grad(flat)(model.W, x))
    assert_tree_close(ad.grad(model.loss)(x), ad.grad(flat, wrt=1)(model.W, x))
    ad.check_grad(Scaled.loss, model, x)
    code = ad.show(Scaled.loss, wrt="self", args=(model, x))
    assert "Scaled.scale" in code and "replace_fields(self, W=" in code


def test_a_structure_keeps_the_value_a_variable_had_when_it_was_built():
    # regression (found by the fuzzer): the leaf was the variable's name, which the loop
    # carrying the variable assigns again, so d["a"] read the last value instead
    def f(x, y):
        d = {"a": y}
        for i in range(3):
            y = y * x
        return d["a"] * y

    def g(params, x):
        h = x
        state = {"h": h}
        for i in range(2):
            h = np.tanh(h * params["w"])
        return np.sum(state["h"] * h)

    for x, y in ((0.7, 1.3), (-1.1, 0.4)):
        np.testing.assert_allclose(ad.grad(f)(x, y), 3 * y * y * x * x, rtol=1e-12)
    params, x = {"w": rng.normal(size=3)}, rng.normal(size=3)

    def g_autograd(w, x):
        h = x
        for i in range(2):
            h = anp.tanh(h * w)
        return anp.sum(x * h)

    np.testing.assert_allclose(ad.grad(g)(params, x)["w"],
                               autograd.grad(g_autograd)(params["w"], x), rtol=1e-12)


# -- structures a loop carries ---------------------------------------------------------------

def state_dict_rnn(params, xs):
    state = {"h": np.zeros(3), "t": 0, "trace": [0.0, 0.0]}
    for x in xs:
        h = np.tanh(params["W"] @ state["h"] + x)
        state = {"h": h, "t": state["t"] + 1, "trace": [state["trace"][1], np.sum(h)]}
        if state["t"] > 10:
            break
    return np.sum(state["h"] ** 2) + state["trace"][0] * state["trace"][1]


def state_dict_rnn_autograd(W, xs):
    h, trace = anp.zeros(3), (0.0, 0.0)
    for x in xs:
        h = anp.tanh(W @ h + x)
        trace = (trace[1], anp.sum(h))
    return anp.sum(h ** 2) + trace[0] * trace[1]


def stepper_with_updates(x, n):
    s = {"pos": x, "vel": 0.0 * x}
    k = 0
    while k < n:
        k += 1
        s["vel"] = s["vel"] - 0.1 * np.sin(s["pos"])
        if k % 3 == 0:
            continue
        s["pos"] = s["pos"] + 0.1 * s["vel"]
    return np.sum(s["pos"] * s["vel"])


def test_a_structure_a_loop_carries():
    W, xs = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(4, 3))
    np.testing.assert_allclose(ad.grad(state_dict_rnn)({"W": W}, xs)["W"],
                               autograd.grad(state_dict_rnn_autograd)(W, xs), rtol=1e-10,
                               atol=1e-12)
    x = rng.normal(size=2)
    for n in (0, 4, 7):
        ad.check_grad(stepper_with_updates, x, n)
        np.testing.assert_allclose(ad.jvp(stepper_with_updates)(x, n, np.ones(2))[1],
                                   ad.grad(stepper_with_updates)(x, n) @ np.ones(2),
                                   rtol=1e-10)
    np.testing.assert_allclose(ad.hessian(stepper_with_updates)(x, 5),
                               autograd.hessian(lambda x: _stepper_autograd(x, 5))(x),
                               rtol=1e-8, atol=1e-12)


def _stepper_autograd(x, n):
    pos, vel, k = x, 0.0 * x, 0
    while k < n:
        k += 1
        vel = vel - 0.1 * anp.sin(pos)
        if k % 3 == 0:
            continue
        pos = pos + 0.1 * vel
    return anp.sum(pos * vel)


def test_a_structure_a_loop_carries_must_keep_its_shape():
    def grows(x):
        d = {"a": x}
        for i in range(2):
            d = {"a": d["a"] * 2, "b": x}
        return d["a"]

    def becomes_active(x, k):
        d = {"n": 1, "a": x}
        for i in range(k):
            d = {"n": d["a"] * 2, "a": d["a"]}
        return d["n"]

    with pytest.raises(ad.TransformError, match="another shape or kind"):
        ad.grad(grows)(1.0)
    with pytest.raises(ad.TransformError, match="holds a constant before the loop"):
        ad.grad(becomes_active)(1.0, 2)
