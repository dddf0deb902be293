"""Models written as PyTorch users write them: a layer is an object with ``__call__``, a
model holds a list of layers and its ``forward`` loops over them (``for layer in
self.layers``, ``self.layers[-1](x)``, ``last = self.layers[-1]``). Each gradient is
checked against finite differences, leaf by leaf, and against autograd running the same
classes (autograd differentiates the arrays the objects are built from).

(A call of a layer reached through a list, ``layer(x)`` in ``for layer in layers`` or
``layers[-1](x)``, was refused as a call of "a function held in a variable": only a
parameter called directly, ``layer(x)`` with ``layer`` the argument, was read as its
class's ``__call__``.)
"""

import dataclasses

import autograd
import numpy as np
import pytest
from conftest import assert_close, numerical_grad, with_autograd_numpy

import adcompile as ad
from adcompile import TransformError

rng = np.random.default_rng(23)


class Linear:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def __call__(self, x):
        return x @ self.W + self.b


class MLP:
    """Layers in a list; tanh between them, none after the last."""

    def __init__(self, layers):
        self.layers = layers

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = np.tanh(layer(x))
        last = self.layers[-1]
        return last(x)

    def loss(self, x, y):
        return np.mean((self.forward(x) - y) ** 2)


class IndexedMLP(MLP):
    """The same network, its layers reached by index."""

    def forward(self, x):
        h = x
        for i in range(len(self.layers) - 1):
            h = np.tanh(self.layers[i](h))
        return self.layers[-1](h)


def make_params(sizes):
    return [(rng.standard_normal((a, b)) / np.sqrt(a), 0.1 * rng.standard_normal(b))
            for a, b in zip(sizes[:-1], sizes[1:])]


def build(params, cls=MLP):
    return cls([Linear(W, b) for W, b in params])


def net_loss(net, x, y):
    return net.loss(x, y)


def params_loss(params, x, y, cls=MLP):
    """The loss as a function of the arrays the layers are made of (for the references)."""
    return build(params, cls).loss(x, y)


def layer_gradients(net):
    return [(layer.W, layer.b) for layer in net.layers]


def reference(params, x, y, cls):
    """(finite differences, autograd) of the loss in the arrays of each layer."""
    fd = []
    for i, (W, b) in enumerate(params):
        def at(j, v, i=i):
            changed = list(params)
            layer = list(changed[i])
            layer[j] = v
            changed[i] = tuple(layer)
            return params_loss(changed, x, y, cls)
        fd.append((numerical_grad(lambda v: at(0, v), (W,), 0),
                   numerical_grad(lambda v: at(1, v), (b,), 0)))
    ag = with_autograd_numpy(globals(), autograd.grad(params_loss), params, x, y, cls)
    return fd, ag


@pytest.mark.parametrize("cls", [MLP, IndexedMLP])
@pytest.mark.parametrize("sizes", [[3, 5, 1], [3, 6, 4, 2]])
def test_model_object_gradient(cls, sizes):
    params = make_params(sizes)
    x = rng.standard_normal((7, sizes[0]))
    y = rng.standard_normal((7, sizes[-1]))
    net = build(params, cls)
    got = ad.grad(net_loss)(net, x, y)
    assert isinstance(got, cls) and len(got.layers) == len(params)
    fd, ag = reference(params, x, y, cls)
    for i, (layer, want_fd, want_ag) in enumerate(zip(got.layers, fd, ag)):
        for j, attr in enumerate("Wb"):
            value = getattr(layer, attr)
            assert value.shape == params[i][j].shape
            assert_close(value, want_fd[j], 1e-5, 1e-7, f"layer {i}, {attr} (finite diff.)")
            assert_close(value, want_ag[j], 1e-10, 1e-12, f"layer {i}, {attr} (autograd)")
    # the caller's model is left as it was
    for layer, (W, b) in zip(net.layers, params):
        assert layer.W is W and layer.b is b


def test_bound_method_of_model_holding_layers():
    params = make_params([4, 5, 3])
    net = build(params)
    x, y = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    got = ad.grad(net.loss)(x, y)
    want = with_autograd_numpy(globals(), autograd.grad(net.loss), x, y)
    assert_close(got, want, 1e-10, 1e-12)
    assert_close(got, numerical_grad(net.loss, (x, y), 0), 1e-5, 1e-7)


def apply_layers(layers, x):
    for layer in layers:
        x = np.tanh(layer(x))
    return np.sum(x ** 2)


def last_layer_only(layers, x):
    return np.sum(layers[-1](np.tanh(layers[0](x))) ** 2)


@pytest.mark.parametrize("f", [apply_layers, last_layer_only])
def test_input_gradient_through_list_of_layer_objects(f):
    """d loss / d x with the layers not differentiated (an adversarial example's gradient):
    a plain list of layer objects is read as the structure it is."""
    layers = [Linear(W, b) for W, b in make_params([3, 4, 2])]
    x = rng.standard_normal((5, 3))
    got = ad.grad(f, wrt=1)(layers, x)
    assert_close(got, numerical_grad(f, (layers, x), 1), 1e-5, 1e-7)
    assert_close(got, with_autograd_numpy(globals(), autograd.grad(f, 1), layers, x),
                 1e-10, 1e-12)


def test_list_of_layers_differentiated():
    params = make_params([3, 4, 2])
    layers = [Linear(W, b) for W, b in params]
    x = rng.standard_normal((5, 3))
    got = ad.grad(apply_layers)(layers, x)
    for i, (layer, (W, b)) in enumerate(zip(got, params)):
        want_W = numerical_grad(lambda v, i=i: apply_layers(
            [Linear(v, l.b) if k == i else l for k, l in enumerate(layers)], x), (W,), 0)
        assert_close(layer.W, want_W, 1e-5, 1e-7, f"layer {i}")


def test_another_depth_is_not_served_stale_code():
    grad = ad.grad(net_loss)
    x = rng.standard_normal((4, 3))
    y = rng.standard_normal((4, 1))
    for sizes in ([3, 5, 1], [3, 2, 2, 1], [3, 5, 1]):
        params = make_params(sizes)
        got = grad(build(params), x, y)
        assert len(got.layers) == len(sizes) - 1
        _, ag = reference(params, x, y, MLP)
        for layer, (want_W, want_b) in zip(got.layers, ag):
            assert_close(layer.W, want_W, 1e-10, 1e-12)
            assert_close(layer.b, want_b, 1e-10, 1e-12)


def test_functions_in_a_list_argument():
    """A list of functions passed in is a structure the code is specialised on, as a list
    of layer objects is: calling its items calls those functions, and so does a list
    mixing a layer object with a function. (Both were refused as calls of functions held
    in variables.)"""
    x = rng.standard_normal((2, 3))
    acts = [np.sin, np.cos]
    got = ad.grad(apply_layers, wrt=1)(acts, x)
    assert_close(got, numerical_grad(apply_layers, (acts, x), 1), 1e-5, 1e-7)
    assert_close(got, with_autograd_numpy(globals(), autograd.grad(apply_layers, 1), acts, x),
                 1e-10, 1e-12)
    W = rng.standard_normal((3, 3))
    mixed = [Linear(W, np.zeros(3)), np.tanh]
    assert_close(ad.grad(apply_layers, wrt=1)(mixed, x),
                 numerical_grad(apply_layers, (mixed, x), 1), 1e-5, 1e-7)
    got = ad.grad(apply_layers)(mixed, x)
    assert got[1] is np.tanh
    assert_close(got[0].W, numerical_grad(
        lambda v: apply_layers([Linear(v, np.zeros(3)), np.tanh], x), (W,), 0), 1e-5, 1e-7)


class CountingLinear(Linear):
    def __call__(self, x):
        self.calls = self.calls + 1
        return x @ self.W + self.b


def test_layer_that_changes_itself_is_refused():
    layer = CountingLinear(np.eye(3), np.zeros(3))
    layer.calls = 0
    x = rng.standard_normal((2, 3))
    for wrt in (0, 1):
        with pytest.raises(TransformError, match="self.calls"):
            ad.grad(apply_layers, wrt=wrt)([layer], x)


# --- parameters in a dataclass, updated with dataclasses.replace (as flax users write) ----


@dataclasses.dataclass(frozen=True)
class Regression:
    W: np.ndarray
    b: np.ndarray
    lr: float = 0.1


def unrolled_descent(p, x, y):
    for _ in range(3):
        r = x @ p.W + p.b - y
        p = dataclasses.replace(p, W=p.W - p.lr * x.T @ r / len(y),
                                b=p.b - p.lr * np.mean(r, axis=0))
    return np.sum((x @ p.W + p.b - y) ** 2)


def of_arrays(W, b, lr, x, y):
    return unrolled_descent(Regression(W, b, lr), x, y)


def test_dataclass_replace_in_a_loop():
    p = Regression(rng.standard_normal((3, 2)), rng.standard_normal(2))
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    got = ad.grad(unrolled_descent)(p, x, y)
    assert isinstance(got, Regression)
    want = with_autograd_numpy(globals(), autograd.grad(of_arrays, (0, 1, 2)), p.W, p.b,
                               p.lr, x, y)
    for value, expected, name in zip((got.W, got.b, got.lr), want, "W b lr".split()):
        assert_close(value, expected, 1e-10, 1e-12, name)
    assert_close(got.W, numerical_grad(of_arrays, (p.W, p.b, p.lr, x, y), 0), 1e-5, 1e-7)


# --- modules calling modules: __call__ of a base class, containers, residual blocks --------


class Module:
    def __call__(self, x):
        return self.forward(x)


class Dense(Module):
    def __init__(self, weight, bias):
        self.weight = weight
        self.bias = bias

    def forward(self, x):
        return x @ self.weight.T + self.bias


class Tanh(Module):
    def forward(self, x):
        return np.tanh(x)


class Sequential(Module):
    def __init__(self, *layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class Residual(Module):
    def __init__(self, inner):
        self.inner = inner

    def forward(self, x):
        return x + self.inner(x)


def module_loss(model, x, y):
    return np.mean((model(x) - y) ** 2)


def build_modules(W1, b1, W2, b2, W3, b3):
    return Sequential(Dense(W1, b1), Tanh(), Residual(Sequential(Dense(W2, b2), Tanh())),
                      Dense(W3, b3))


def loss_of_arrays(W1, b1, W2, b2, W3, b3, x, y):
    return module_loss(build_modules(W1, b1, W2, b2, W3, b3), x, y)


def test_modules_that_call_modules():
    """Module.__call__ is inlined once per module it is called on (the model, the
    residual block, its inner Sequential, each layer): a call on another part of the
    model is no recursion."""
    arrays = [rng.standard_normal((4, 3)), rng.standard_normal(4), rng.standard_normal((4, 4)),
              rng.standard_normal(4), rng.standard_normal((1, 4)), rng.standard_normal(1)]
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 1))
    got = ad.grad(module_loss)(build_modules(*arrays), x, y)
    want = with_autograd_numpy(globals(), autograd.grad(loss_of_arrays, tuple(range(6))),
                               *arrays, x, y)
    dense = [got.layers[0], got.layers[2].inner.layers[0], got.layers[3]]
    for i, layer in enumerate(dense):
        assert_close(layer.weight, want[2 * i], 1e-10, 1e-12, f"dense {i} weight")
        assert_close(layer.bias, want[2 * i + 1], 1e-10, 1e-12, f"dense {i} bias")
    assert_close(ad.grad(module_loss, wrt=1)(build_modules(*arrays), x, y),
                 numerical_grad(module_loss, (build_modules(*arrays), x, y), 1), 1e-5, 1e-7)


def recursing_on_a_copy(params, x, n):
    if n == 0:
        return np.sum(params["w"] * x)
    params = {**params}   # (a structure made while inlining: no part of the argument)
    return recursing_on_a_copy(params, x, n - 1)


def recursing(params, x, n):
    if n == 0:
        return np.sum(params["w"] * x)
    return recursing(params, x, n - 1)


@pytest.mark.parametrize("f", [recursing, recursing_on_a_copy])
def test_recursion_over_the_same_structure_stays_refused(f):
    with pytest.raises(TransformError, match="is recursive"):
        ad.grad(f)({"w": np.ones(2)}, np.ones(2), 3)


# --- a method of a module-level object, called in the function differentiated -----------


class Scaled:
    def __init__(self, scale):
        self.scale = scale

    def loss(self, w, x):
        return np.sum(np.tanh(w * x * self.scale) ** 2)


SCALED = Scaled(3.0)


def through_module_object(w, x):
    return SCALED.loss(w, x) + np.sum(w ** 2)


def test_method_of_a_module_level_object():
    w, x = rng.standard_normal(3), rng.standard_normal(3)
    grad = ad.grad(through_module_object)
    assert_close(grad(w, x), numerical_grad(through_module_object, (w, x), 0), 1e-5, 1e-7)
    assert_close(grad(w, x), with_autograd_numpy(globals(), autograd.grad(through_module_object),
                                                 w, x), 1e-10, 1e-12)
    # the object's attributes are read when the gradient runs, as the function reads them
    SCALED.scale = 0.5
    try:
        assert_close(grad(w, x), numerical_grad(through_module_object, (w, x), 0), 1e-5, 1e-7)
    finally:
        SCALED.scale = 3.0


class Sines(Scaled):
    def loss(self, w, x):
        return np.sum(np.sin(w * x * self.scale))


def test_a_module_level_object_bound_anew():
    """A gradient made for the object the name meant (as for a function called by name)
    raises StaleGradient once the name holds another; ad.grad made again follows the new
    binding."""
    global SCALED
    w, x = rng.standard_normal(3), rng.standard_normal(3)
    made = ad.grad(through_module_object)
    made(w, x)
    old = SCALED
    SCALED = Sines(3.0)
    try:
        with pytest.raises(ad.StaleGradient, match="'SCALED'"):
            made(w, x)
        assert_close(ad.grad(through_module_object)(w, x),
                     numerical_grad(through_module_object, (w, x), 0), 1e-5, 1e-7)
    finally:
        SCALED = old


class Critic:
    def __init__(self, scale):
        self.scale = scale

    def features(self, z):
        return np.tanh(z) * self.scale

    def score(self, w, x):
        return np.sum(self.features(w * x) ** 2) + self.penalty(w)

    def penalty(self, w):
        return 0.1 * np.sum(w ** 2)


CRITIC = Critic(1.5)


def scored(w, x):
    return CRITIC.score(w, x)


def test_a_module_level_object_calling_its_own_methods():
    w, x = rng.standard_normal(3), rng.standard_normal(3)
    got = ad.grad(scored)(w, x)
    assert_close(got, numerical_grad(scored, (w, x), 0), 1e-5, 1e-7)
    assert_close(got, with_autograd_numpy(globals(), autograd.grad(scored), w, x), 1e-10, 1e-12)


# -- an activation held by the model or in a dict of parameters ---------------------------


def relu(z):
    return np.maximum(z, 0.0)


class ActivatedMLP(MLP):
    """The activation is an attribute, as hand-written NumPy networks hold it."""

    def __init__(self, layers, act):
        super().__init__(layers)
        self.act = act

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = self.act(layer(x))
        return self.layers[-1](x)


def activated_loss(params, x, y, act):
    return ActivatedMLP([Linear(W, b) for W, b in params], act).loss(x, y)


@pytest.mark.parametrize("act", [np.tanh, relu, np.sin, lambda z: z / (1.0 + z * z)],
                         ids=["ufunc", "function", "another ufunc", "lambda"])
def test_activation_held_by_the_model(act):
    params = make_params([3, 5, 4, 2])
    x, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    net = ActivatedMLP([Linear(W, b) for W, b in params], act)
    got = ad.grad(net_loss)(net, x, y)
    assert got.act is act   # (not differentiated: handed back as it was)
    for i, (W, b) in enumerate(params):
        def at(v, i=i):
            changed = list(params)
            changed[i] = (v, b)
            return activated_loss(changed, x, y, act)
        assert_close(got.layers[i].W, numerical_grad(at, (W,), 0), 1e-5, 1e-7, f"layer {i}")
    want = with_autograd_numpy(globals(), autograd.grad(activated_loss), params, x, y, act)
    if act is not relu:   # (autograd's np.maximum of the user's relu: the same numbers)
        for layer, (want_W, want_b) in zip(got.layers, want):
            assert_close(layer.W, want_W, 1e-10, 1e-12)
            assert_close(layer.b, want_b, 1e-10, 1e-12)
    # the input's gradient, the model not differentiated
    got_x = ad.grad(net_loss, wrt=1)(net, x, y)
    assert_close(got_x, numerical_grad(net_loss, (net, x, y), 1), 1e-5, 1e-7)


def test_another_activation_is_another_specialisation():
    params = make_params([3, 4, 1])
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 1))
    net = ActivatedMLP([Linear(W, b) for W, b in params], np.tanh)
    grad = ad.grad(net_loss)
    for act in (np.tanh, relu, np.tanh, np.cos):
        net.act = act
        got = grad(net, x, y)
        want = numerical_grad(lambda v: activated_loss([(v, params[0][1]), params[1]], x, y,
                                                       act), (params[0][0],), 0)
        assert_close(got.layers[0].W, want, 1e-5, 1e-7, act.__name__)


def dict_params_loss(params, x, y):
    h = x
    for layer in params["layers"]:
        h = layer["act"](h @ layer["W"] + layer["b"])
    return np.mean((h - y) ** 2)


def test_activations_in_a_dict_of_parameters():
    params = {"layers": [{"W": W, "b": b, "act": act} for (W, b), act in
                         zip(make_params([3, 4, 2]), (np.tanh, relu))]}
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    got = ad.grad(dict_params_loss)(params, x, y)
    for i, layer in enumerate(params["layers"]):
        assert got["layers"][i]["act"] is layer["act"]
        for key in "Wb":
            def at(v, i=i, key=key):
                changed = {"layers": [dict(l) for l in params["layers"]]}
                changed["layers"][i][key] = v
                return dict_params_loss(changed, x, y)
            assert_close(got["layers"][i][key], numerical_grad(at, (layer[key],), 0),
                         1e-5, 1e-7, f"layer {i}, {key}")


def flat_params_loss(params, x):
    return np.sum(params["act"](x @ params["W"]) ** 2)


def test_activation_in_a_dict_not_differentiated():
    # (a dict holding a function is read as the structure it is, as one holding objects)
    params = {"W": rng.standard_normal((3, 2)), "act": np.tanh}
    x = rng.standard_normal((4, 3))
    got = ad.grad(flat_params_loss, wrt=1)(params, x)
    assert_close(got, numerical_grad(flat_params_loss, (params, x), 1), 1e-5, 1e-7)
    want = with_autograd_numpy(globals(), autograd.grad(flat_params_loss, 1), params, x)
    assert_close(got, want, 1e-10, 1e-12)


def read_into_a_variable(params, x):
    f = params["act"]
    g = params["out"]
    return np.sum(g(f(x @ params["W"])))


class Readout:
    def __init__(self, W, act):
        self.W, self.act = W, act

    def __call__(self, x):
        act = self.act
        h = act(x @ self.W)
        return act(h * h)


def readout_loss(model, x):
    return np.sum(model(x) ** 2)


@pytest.mark.parametrize("act, out", [(np.tanh, np.sin), (relu, lambda v: v * v * 0.5),
                                      (lambda z: z / (1.0 + z * z), np.exp)],
                         ids=["ufuncs", "functions", "lambdas"])
def test_an_activation_read_into_a_variable(act, out):
    # f = params["act"]; f(x), f = self.act: a call of the function the structure holds
    # (it was refused as a call of a function held in a variable)
    W, x = rng.standard_normal((3, 2)), rng.standard_normal((4, 3))
    params = {"W": W, "act": act, "out": out}
    got = ad.grad(read_into_a_variable)(params, x)
    assert got["act"] is act and got["out"] is out
    assert_close(got["W"], numerical_grad(
        lambda v: read_into_a_variable({**params, "W": v}, x), (W,), 0), 1e-5, 1e-7)
    got_x = ad.grad(read_into_a_variable, wrt=1)(params, x)
    assert_close(got_x, numerical_grad(read_into_a_variable, (params, x), 1), 1e-5, 1e-7)
    if act is np.tanh:
        want = with_autograd_numpy(globals(), autograd.grad(read_into_a_variable, 1), params, x)
        assert_close(got_x, want, 1e-10, 1e-12)
    model = Readout(W, act)
    assert_close(ad.grad(readout_loss, wrt=1)(model, x),
                 numerical_grad(readout_loss, (model, x), 1), 1e-5, 1e-7)
    assert_close(ad.grad(readout_loss)(model, x).W, numerical_grad(
        lambda v: readout_loss(Readout(v, act), x), (W,), 0), 1e-5, 1e-7)


def test_an_activation_read_into_a_variable_to_second_order():
    params = {"W": rng.standard_normal((3, 2)), "act": np.tanh, "out": np.sin}
    x = rng.standard_normal(3)
    H = ad.hessian(read_into_a_variable, wrt=1)(params, x)
    g = ad.grad(read_into_a_variable, wrt=1)
    want = np.array([numerical_grad(lambda v, i=i: g(params, v)[i], (x,), 0)
                     for i in range(3)])
    assert_close(H, want, 1e-5, 1e-7)


def chosen_on_a_branch(params, x, c):
    f = params["act"]
    if c > 0:
        f = np.sin
    return np.sum(f(x))


def passed_on(params, x):
    f = params["act"]
    return np.sum(apply_one(f, x))


def apply_one(g, v):
    return g(v)


@pytest.mark.parametrize("f, line", [(chosen_on_a_branch, "return np.sum(f(x))"),
                                     (passed_on, "return g(v)")])
def test_a_held_function_the_code_does_not_fix_is_refused_at_its_line(f, line):
    # (a name that holds one function on one path and another on another, or a function
    # passed on to a function of the user's: what is called is not known statically)
    params = {"act": np.tanh}
    args = (params, np.ones(3), 1.0) if f is chosen_on_a_branch else (params, np.ones(3))
    with pytest.raises(TransformError, match="held in a variable") as info:
        ad.grad(f, wrt=1)(*args)
    assert line in str(info.value)


# -- a list of activations passed beside the parameters ------------------------------------


def mlp_zipped(params, x, acts):
    for (W, b), a in zip(params, acts):
        x = a(x @ W + b)
    return np.sum(x ** 2)


def mlp_enumerated(params, x, acts):
    total = 0.0
    for i, (a, (W, b)) in enumerate(zip(acts, params)):
        x = a(x @ W + b)
        total = total + (i + 1.0) * np.sum(x)
    return total


def chained(x, acts):
    h = x
    for a in acts:
        h = a(h)
    return np.sum(h)


ACTS = [np.tanh, np.sin, lambda v: v ** 2]


@pytest.mark.parametrize("f", [mlp_zipped, mlp_enumerated])
def test_activations_zipped_with_parameters(f):
    # the loop over the activations (a structure) is written out once per function, each
    # step a loop over the one-item slices of params, so that zip stops where it stops
    params = make_params([3, 4, 4, 2])
    x = rng.standard_normal((5, 3))
    got_x = ad.grad(f, wrt=1)(params, x, ACTS)
    assert_close(got_x, numerical_grad(f, (params, x, ACTS), 1), 1e-5, 1e-7)
    want = with_autograd_numpy(globals(), autograd.grad(f, (0, 1)), params, x, ACTS)
    assert_close(got_x, want[1], 1e-10, 1e-12)
    got = ad.grad(f)(params, x, ACTS)
    for (gW, gb), (wW, wb) in zip(got, want[0]):
        assert_close(gW, wW, 1e-10, 1e-12)
        assert_close(gb, wb, 1e-10, 1e-12)
    # fewer activations than layers, and fewer layers than activations: zip stops
    for few, acts in [(params, ACTS[:2]), (params[:1], ACTS)]:
        assert_close(ad.grad(f, wrt=1)(few, x, acts),
                     numerical_grad(f, (few, x, acts), 1), 1e-5, 1e-7)


def test_activations_walked_by_a_loop():
    x = rng.standard_normal(4)
    got = ad.grad(chained)(x, ACTS)
    assert_close(got, numerical_grad(chained, (x, ACTS), 0), 1e-5, 1e-7)
    assert_close(got, with_autograd_numpy(globals(), autograd.grad(chained), x, ACTS),
                 1e-10, 1e-12)
    H = ad.hessian(chained)(x, ACTS)
    g = ad.grad(chained)
    assert_close(H, np.array([numerical_grad(lambda v, i=i: g(v, ACTS)[i], (x,), 0)
                              for i in range(4)]), 1e-5, 1e-7)


def zipped_and_changed(params, x, acts):
    for (W, b), a in zip(params, acts):
        x = a(x @ W + b)
        params = params[1:]
    return np.sum(x)


def test_a_zipped_list_the_loop_changes_is_refused():
    # (zip walks what params held when the loop began; the slices would see the change)
    with pytest.raises(TransformError, match="zip of a structure") as info:
        ad.grad(zipped_and_changed, wrt=1)(make_params([3, 3, 3]), np.ones(3), ACTS[:2])
    assert "zip(params, acts)" in str(info.value)


# -- a model not differentiated whose method calls its other methods ----------------------


@dataclasses.dataclass
class Ridge:
    """A model whose loss calls its penalty, which calls another of its methods: kept as
    they are (the model is not differentiated), they change nothing."""

    W: np.ndarray
    lam: float

    def loss(self, x, y):
        return np.mean((np.tanh(x @ self.W) - y) ** 2) + self.lam * self.penalty()

    def penalty(self):
        return self.squared(self.W) + 0.5 * self.squared(self.W[0])

    def squared(self, A):
        return np.sum(A ** 2)


class PlainRidge:
    """The same, a plain class."""

    def __init__(self, W, lam):
        self.W, self.lam = W, lam

    loss, penalty, squared = Ridge.loss, Ridge.penalty, Ridge.squared


def model_loss(model, x, y):
    return model.loss(x, y) + np.sum(model.W[:, 0] * x[0])


@pytest.mark.parametrize("cls", [Ridge, PlainRidge])
def test_methods_of_a_model_not_differentiated_calling_its_methods(cls):
    model = cls(rng.standard_normal((3, 2)), 0.3)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    for wrt in (1, 2):
        got = ad.grad(model_loss, wrt=wrt)(model, x, y)
        assert_close(got, numerical_grad(model_loss, (model, x, y), wrt), 1e-5, 1e-7)
        want = with_autograd_numpy(globals(), autograd.grad(model_loss, wrt), model, x, y)
        assert_close(got, want, 1e-10, 1e-12)


class ScalingRidge(Ridge):
    def squared(self, A):   # scales the model's array in place: after the loss read it
        A *= 0.5
        return np.sum(A ** 2)


class ZeroingRidge(Ridge):
    def penalty(self):
        self.zero_first()
        return self.squared(self.W)

    def zero_first(self):
        self.W[0, 0] = 0.0


def test_a_method_changing_the_model_it_reads_is_refused():
    # (the loss read W before the penalty changed it: the reverse pass would see the
    # changed array, as it would where the object held its own function to call)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    own = PlainRidge(rng.standard_normal((3, 2)), 0.3)
    own.penalty = lambda: np.sum(own.W ** 2)
    for model in (ScalingRidge(rng.standard_normal((3, 2)), 0.3),
                  ZeroingRidge(rng.standard_normal((3, 2)), 0.3), own):
        with pytest.raises(TransformError, match="may change in place an array .* through "
                                                 "'model.W'"):
            ad.grad(model_loss, wrt=1)(model, x, y)
