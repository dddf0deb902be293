"""Programs written the way practitioners write them (attention blocks, a VAE, a mixture
density network, class-based models, integrators and filters, unrolled optimisers, the
Python idioms around them), probing for wrong gradients, crashes and needless refusals.
Every gradient is checked against central finite differences and, where autograd runs
the code, against autograd.

What the probe found:

- ``self.helper(x)`` of a ``@staticmethod`` (``self.act(h)``, ``self.ACT = staticmethod(
  np.tanh)``) in a method of a structure being differentiated was refused ("only plain
  methods ... can be called"); it calls the function, without ``self``.
- ``super().f(x)`` in a method was refused; it is the method Python's ``super()`` finds,
  the next class after the method's own in the object's MRO that defines it.
- A method called as it is on an object not differentiated (``m.bump()``) that changed
  the object's arrays in place after the gradient read them gave a wrong gradient with no
  error (the object's attributes, parameters of their own, were not seen as held by the
  object); it is refused at the line, as is a read of the object's attributes after such
  a method (``m.reset(); np.sum(m.w * x)``: the code read ``m.w`` where the function
  began, the value and gradient of the old attributes). A ``@staticmethod`` called on such an array
  (``Energy.squash(self.w)``) was refused as one that may change it.
- ``*hidden, last = layers`` (and ``first, *rest = ws``) of a structure being
  differentiated was refused ("cannot unpack a list of 3 into (*hidden, last)"): the
  starred target takes a list of the items in the middle, as Python's does.
- ``Ws, bs = zip(*layers)`` and ``for column in zip(*layers)`` of a structure being
  differentiated were refused ("starred arguments ... known only when the code runs"):
  the structure's length is known, so are the tuples zip makes.
- ``isinstance(params, dict)`` and ``hasattr(model, "b")`` of a structure were refused;
  they are known when the code is made (it is specialised on the structure), and decide
  the branch of an ``if`` (the other one, written for other arguments, is not made).
- A nested function with a default that is not a literal (``def term(a, scale=w)``,
  ``f = lambda z, p=k: ...``) was refused; the default is evaluated where the def runs,
  as Python does, and passed by each call that leaves it out.
- A ``types.SimpleNamespace`` of parameters was refused as an argument ("must be ... a
  structure of them (... or object)"): it is an object holding its attributes, as an
  object of the user's class.
- ``f.__defaults__`` (or a helper's) assigned after a gradient of ``f`` was made: a new
  ``ad.grad(f)`` reused the cached transformation, the gradient for the old defaults
  (a wrong gradient, with no error); it is refused, as the defaults are read from the
  source, saying so at the def.
- A method an array does not have (``M.summ()``, or ``M.ptp()`` under NumPy 2) was
  reported as "reads an argument as a structure", and a function a module does not have
  (``np.summ(x)``) as "a function held in a variable": both now say which attribute is
  missing where.
"""

import types

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from conftest import (assert_close, assert_grad, autograd_gradient, load_module,
                      numerical_grad, with_autograd_numpy)
from test_real_programs_ml import assert_leaves_close, leaf_gradients

import adcompile as ad

rng = np.random.default_rng(61)


def check_structure(f, struct, *rest, autograd_too=True):
    """adcompile's gradient in the dict or list of tuples ``struct`` equals finite
    differences, leaf by leaf, and (``autograd_too``) autograd's."""
    got = ad.grad(f)(struct, *rest)
    assert_leaves_close(got, leaf_gradients(f, struct, *rest))
    if autograd_too:
        assert_leaves_close(got, autograd_gradient(f, struct, *rest), 1e-9, 1e-11)
    return got


def attribute_gradients(f, obj, names, *rest):
    """Finite differences of ``f(obj, *rest)`` in each attribute of ``obj`` in ``names``."""
    def with_attribute(name, v):
        new = types.SimpleNamespace(**vars(obj)) if isinstance(obj, types.SimpleNamespace) \
            else object.__new__(type(obj))
        new.__dict__.update(vars(obj))
        setattr(new, name, v)
        return new
    return {n: numerical_grad(lambda v, n=n: f(with_attribute(n, v), *rest),
                              (getattr(obj, n),), 0) for n in names}


# -- an attention block, parameters in a dict ----------------------------------------------

T, D, HEADS = 4, 6, 2
X_SEQ = rng.normal(size=(T, D))
ATTN = {"Wq": rng.normal(size=(D, D)) * 0.3, "Wk": rng.normal(size=(D, D)) * 0.3,
        "Wv": rng.normal(size=(D, D)) * 0.3, "Wo": rng.normal(size=(D, D)) * 0.3,
        "gamma": 1.0 + 0.1 * rng.normal(size=D), "beta": 0.1 * rng.normal(size=D)}
LN_EPS = 1e-5
MASKED = -1e9


def layer_norm(x, gamma, beta, eps=LN_EPS):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def softmax(z, axis=-1):
    z = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def causal_attention(params, x):
    q, k, v = x @ params["Wq"], x @ params["Wk"], x @ params["Wv"]
    scores = q @ k.T / np.sqrt(q.shape[-1])
    future = np.triu(np.ones((x.shape[0], x.shape[0])), k=1).astype(bool)
    scores = np.where(future, MASKED, scores)
    out = softmax(scores) @ v @ params["Wo"]
    return np.sum(layer_norm(x + out, params["gamma"], params["beta"]) ** 2)


def multi_head(params, x, n_heads=HEADS):
    t, d = x.shape
    hd = d // n_heads
    q = (x @ params["Wq"]).reshape(t, n_heads, hd).transpose((1, 0, 2))
    k = (x @ params["Wk"]).reshape(t, n_heads, hd).transpose((1, 0, 2))
    v = (x @ params["Wv"]).reshape(t, n_heads, hd).transpose((1, 0, 2))
    s = q @ k.transpose((0, 2, 1)) / np.sqrt(hd)
    s = np.where(np.tril(np.ones((t, t))) == 0, -np.inf, s)
    o = (softmax(s) @ v).transpose((1, 0, 2)).reshape(t, d)
    return np.mean(np.tanh(o @ params["Wo"]))


def heads_by_einsum(params, x, n_heads=HEADS):
    t, d = x.shape
    hd = d // n_heads

    def split(m):
        return np.swapaxes(m.reshape(t, n_heads, hd), 0, 1)

    q, k, v = split(x @ params["Wq"]), split(x @ params["Wk"]), split(x @ params["Wv"])
    s = np.einsum("htd,hsd->hts", q, k) / np.sqrt(hd)
    s = s - s.max(-1, keepdims=True)
    w = np.exp(s)
    w /= w.sum(-1, keepdims=True)
    o = np.einsum("hts,hsd->htd", w, v)
    o = np.concatenate([o[i] for i in range(n_heads)], axis=-1)
    return np.sum(layer_norm(o, params["gamma"], params["beta"]) * x)


@pytest.mark.parametrize("f", [causal_attention, multi_head, heads_by_einsum])
def test_attention_blocks(f):
    check_structure(f, ATTN, X_SEQ)
    got = ad.grad(f, wrt=1)(ATTN, X_SEQ)
    assert_close(got, numerical_grad(f, (ATTN, X_SEQ), 1))
    assert_close(got, autograd_gradient(f, ATTN, X_SEQ, wrt=1), 1e-9, 1e-11)


# -- a VAE's loss and a mixture density network --------------------------------------------

DX, DZ, MIX = 5, 2, 3
X_VAE = rng.normal(size=(3, DX))
NOISE = rng.normal(size=(3, DZ))
VAE = {"enc_W": rng.normal(size=(DX, 2 * DZ)) * 0.3, "enc_b": np.zeros(2 * DZ),
       "dec_W": rng.normal(size=(DZ, DX)) * 0.3, "dec_b": 0.1 * np.ones(DX)}


def vae_loss(params, x, eps):
    h = x @ params["enc_W"] + params["enc_b"]
    mu, log_var = h[:, :DZ], h[:, DZ:]
    z = mu + np.exp(0.5 * log_var) * eps   # the reparameterisation trick, noise fixed
    recon = z @ params["dec_W"] + params["dec_b"]
    kl = -0.5 * np.sum(1 + log_var - mu ** 2 - np.exp(log_var))
    return (0.5 * np.sum((x - recon) ** 2) + kl) / x.shape[0]


def bernoulli_vae(params, x, eps):
    mu, log_sigma = np.split(np.dot(x, params["enc_W"]) + params["enc_b"], 2, axis=1)
    sigma = np.exp(log_sigma)
    logits = (mu + sigma * eps) @ params["dec_W"] + params["dec_b"]
    ll = -np.sum(np.logaddexp(0, -logits) * (x > 0) + np.logaddexp(0, logits) * (x <= 0))
    return 0.5 * np.sum(sigma ** 2 + mu ** 2 - 1 - 2 * log_sigma) - ll


def logsumexp(a, axis=None):
    m = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(a - m), axis=axis))


def mdn_nll(params, x, y):
    out = x @ params["W"] + params["b"]
    logit_pi, mu, log_s = out[:, :MIX], out[:, MIX:2 * MIX], out[:, 2 * MIX:]
    log_pi = logit_pi - logsumexp(logit_pi, axis=1)[:, None]
    z = (y[:, None] - mu) / np.exp(log_s)
    log_comp = -0.5 * z ** 2 - log_s - 0.5 * np.log(2 * np.pi)
    return -np.mean(logsumexp(log_pi + log_comp, axis=1))


def test_variational_and_mixture_losses():
    check_structure(vae_loss, VAE, X_VAE, NOISE)
    check_structure(bernoulli_vae, VAE, X_VAE, NOISE)
    x, y = rng.normal(size=(6, 2)), rng.normal(size=6)
    check_structure(mdn_nll, {"W": rng.normal(size=(2, 3 * MIX)) * 0.5,
                              "b": np.zeros(3 * MIX)}, x, y)


# -- class-based models --------------------------------------------------------------------

class LeakyModel:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    @property
    def weight_norm(self):
        return np.sum(self.W ** 2)

    @staticmethod
    def act(z, slope=0.1):
        return np.where(z > 0, z, slope * z)

    def predict(self, x):
        return self.act(x @ self.W + self.b)

    def __call__(self, x, y):
        return np.sum((self.predict(x) - y) ** 2) + 0.01 * self.weight_norm


class TanhReluModel:
    ACT = staticmethod(np.tanh)

    def __init__(self, W):
        self.W = W

    @staticmethod
    def relu(z):
        return np.maximum(z, 0.0)

    def energy(self, x):
        return np.sum(self.ACT(x @ self.W)) + np.sum(self.relu(x @ self.W) ** 2)


def model_loss(model, x, y):
    return model(x, y)


def model_energy(model, x):
    return model.energy(x)


X_OBJ, Y_OBJ = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))


def test_a_static_method_called_through_self():
    model = LeakyModel(rng.normal(size=(3, 2)), rng.normal(size=2))
    got = ad.grad(model_loss)(model, X_OBJ, Y_OBJ)
    want = attribute_gradients(model_loss, model, ("W", "b"), X_OBJ, Y_OBJ)
    assert isinstance(got, LeakyModel)
    for name in want:
        assert_close(getattr(got, name), want[name], what=name)
    # autograd: the same class, differentiated in the arrays it is built from
    twin = with_autograd_numpy(globals(), autograd.grad(
        lambda W, b: model_loss(LeakyModel(W, b), X_OBJ, Y_OBJ), (0, 1)), model.W, model.b)
    assert_close(got.W, twin[0], 1e-10, 1e-12)
    assert_close(got.b, twin[1], 1e-10, 1e-12)
    other = TanhReluModel(rng.normal(size=(3, 2)))
    got = ad.grad(model_energy)(other, X_OBJ)
    assert_close(got.W, attribute_gradients(model_energy, other, ("W",), X_OBJ)["W"])


class Energy:
    def __init__(self, w):
        self.w = w

    def f(self, x):
        return np.sum(self.w * x)

    @staticmethod
    def squash(z):
        return np.tanh(z)


class Doubled(Energy):
    def f(self, x):
        return super().f(x) * 2 + np.sum(super().squash(self.w))


class Squared(Energy):
    def f(self, x):
        return super().f(x ** 2)


class Both(Doubled, Squared):   # (MRO: Both, Doubled, Squared, Energy)
    def f(self, x):
        return super().f(x) + 1.0


class Chained(Doubled):
    def f(self, x):
        return super().f(x) ** 2


class ViaStaticByClass(Energy):
    def f(self, x):
        return np.sum(self.w * x) * 2 + np.sum(Energy.squash(self.w))


def energy_of(m, x):
    return m.f(x)


@pytest.mark.parametrize("cls", [Doubled, Both, Chained, ViaStaticByClass])
def test_super_calls_find_the_method_after_the_class_in_the_objects_order(cls):
    # super() was refused; in Both, Doubled's super() is Squared's f, not Energy's
    w, x = rng.normal(size=3), rng.normal(size=3)
    got = ad.grad(energy_of)(cls(w), x)
    assert_close(got.w, attribute_gradients(energy_of, cls(w), ("w",), x)["w"])
    twin = with_autograd_numpy(globals(), autograd.grad(lambda w: energy_of(cls(w), x)), w)
    assert_close(got.w, twin, 1e-10, 1e-12)
    # the object not differentiated: its methods inlined for x (a static method called on
    # self.w, which the gradient reads, was taken for one that may change it)
    got_x = ad.grad(energy_of, wrt=1)(cls(w), x)
    assert_close(got_x, numerical_grad(energy_of, (cls(w), x), 1))
    assert_close(got_x, with_autograd_numpy(globals(), autograd.grad(
        lambda x: energy_of(cls(w), x)), x), 1e-10, 1e-12)


class Bumped:
    def __init__(self, w):
        self.w = w

    def bump(self):
        self.w[0] += 1.0


def reads_then_bumps(m, x):
    y = np.sum(m.w * x)
    m.bump()   # changes m.w in place, after the product read it
    return y


def test_a_method_changing_the_object_after_the_gradient_read_it():
    # the method ran as it is and the reverse sweep read m.w changed: [1, 1, 2] for the
    # gradient [0, 1, 2], with no error
    with pytest.raises(ad.TransformError, match=r"'m\.bump\(\)' may change in place .*'m\.w'") \
            as info:
        ad.grad(reads_then_bumps, wrt=1)(Bumped(np.arange(3.0)), np.ones(3))
    assert "test_hostile_probes_6.py:" in str(info.value).splitlines()[0]


class Resettable(Bumped):
    def reset(self):
        self.w = np.zeros(3)

    def scale(self, s):
        self.w = self.w * s


def reads_after_a_reset(m, x):
    m.reset()   # binds m.w to another array: the code read m.w where the function began
    return np.sum(m.w * x)


def reads_after_a_scale(m, x):
    m.scale(2.0)
    return np.sum(m.w * x)


def reads_after_a_bump(m, x):
    m.bump()
    return np.sum(m.w * x)


def kept_before_a_bump(m, x):
    w = m.w
    m.bump()   # changes the array w is too: Python's value reads the change
    return np.sum(w * x)


def test_attributes_read_after_a_method_that_may_change_the_object():
    # value and gradient were those of the attributes when the function began (0.0 and 6.0
    # computed as 3.0, gradients [0, 1, 2]), with no error
    for f in (reads_after_a_reset, reads_after_a_scale, reads_after_a_bump):
        with pytest.raises(ad.TransformError, match=r"may change m, whose attributes .*m\.w"
                           ) as info:
            ad.grad(f, wrt=1)(Resettable(np.arange(3.0)), np.ones(3))
        assert "test_hostile_probes_6.py:" in str(info.value).splitlines()[0]
    # read into a variable first: the method changes that array, as Python's does
    value, got = ad.value_and_grad(kept_before_a_bump, wrt=1)(Resettable(np.arange(3.0)),
                                                               np.ones(3))
    assert value == kept_before_a_bump(Resettable(np.arange(3.0)), np.ones(3)) == 4.0
    assert_close(got, numerical_grad(lambda x: kept_before_a_bump(
        Resettable(np.arange(3.0)), x), (np.ones(3),), 0))


def test_a_simple_namespace_of_parameters():
    def loss(p, x):
        return np.sum(np.tanh(x @ p.W + p.b) ** 2) * p.scale

    p = types.SimpleNamespace(W=rng.normal(size=(3, 2)), b=rng.normal(size=2), scale=0.5)
    got = ad.grad(loss)(p, X_OBJ)
    assert isinstance(got, types.SimpleNamespace) and set(vars(got)) == {"W", "b", "scale"}
    want = attribute_gradients(loss, p, ("W", "b", "scale"), X_OBJ)
    for name in want:
        assert_close(getattr(got, name), want[name], what=name)
    twin = with_autograd_numpy(globals(), autograd.grad(
        lambda W, b: loss(types.SimpleNamespace(W=W, b=b, scale=0.5), X_OBJ), (0, 1)),
        p.W, p.b)
    assert_close(got.W, twin[0], 1e-10, 1e-12)
    assert_close(got.b, twin[1], 1e-10, 1e-12)


def unrolled_with_a_config(w, cfg):
    for _ in range(cfg.steps):
        w = w - cfg.lr * cfg.act(w)
    return np.sum(w ** 2)


def test_a_simple_namespace_of_settings_not_differentiated():
    # (refused before, as any argument of such a type: now read as the structure it is,
    # the code specialised on its steps and its function)
    w = np.array([0.3, -0.5, 1.0])
    for cfg in (types.SimpleNamespace(lr=0.1, steps=3, act=np.tanh),
                types.SimpleNamespace(lr=0.2, steps=2, act=np.sin)):
        got = ad.grad(unrolled_with_a_config)(w, cfg)
        assert_close(got, numerical_grad(unrolled_with_a_config, (w, cfg), 0))
        assert_close(got, autograd_gradient(unrolled_with_a_config, w, cfg), 1e-10, 1e-12)


# -- starred unpacking of a structure ------------------------------------------------------

LAYERS = [(rng.normal(size=(3, 3)) * 0.6, rng.normal(size=3)) for _ in range(3)]
X_VEC = rng.normal(size=3)


def hidden_then_output(layers, x):
    *hidden, (W_out, b_out) = layers
    for W, b in hidden:
        x = np.tanh(x @ W + b)
    return np.sum((x @ W_out + b_out) ** 2)


def first_and_rest(layers, x):
    first, *rest = layers
    x = np.sin(x @ first[0])
    for W, b in rest:
        x = x @ W + b
    return np.sum(x ** 2) * len(rest)


def ends_only(layers, x):
    a, *middle, z = layers
    return len(middle) * np.sum(a[0] ** 2) + np.sum(z[1] * x)


@pytest.mark.parametrize("f", [hidden_then_output, first_and_rest, ends_only])
def test_starred_unpacking_of_layers(f):
    check_structure(f, LAYERS, X_VEC)


def test_starred_unpacking_of_a_list_of_numbers():
    def weighted(ws):
        *init, last = ws
        head, *_ = ws
        return sum(init) * last + head ** 2

    ws = [0.5, -0.3, 1.2]
    got = ad.grad(weighted)(ws)
    want = [numerical_grad(lambda v, i=i: weighted(ws[:i] + [v] + ws[i + 1:]), (w,), 0)
            for i, w in enumerate(ws)]
    assert_close(got, want)
    assert_close(got, autograd_gradient(weighted, ws), 1e-12, 1e-12)


# -- zip(*layers): the layers' items by position ------------------------------------------

def weights_and_biases_apart(layers, x):
    Ws, bs = zip(*layers)
    for W, b in zip(Ws, bs):
        x = np.tanh(x @ W + b)
    return np.sum(x ** 2) + 0.1 * sum(np.sum(W ** 2) for W in Ws)


def columns_walked(layers, x):
    s = 0.0
    for column in zip(*layers):
        for part in column:
            s = s + np.sum(part) * x[0]
    return s ** 2


def stacked_by_position(layers):
    Ws, bs = zip(*layers)
    return np.sum(np.stack(Ws) ** 2) + np.sum(np.stack(bs)) * Ws[0][0, 1]


@pytest.mark.parametrize("f", [weights_and_biases_apart, columns_walked])
def test_zip_of_the_starred_layers(f):
    check_structure(f, LAYERS, X_VEC)


def test_zip_of_the_starred_layers_stacked():
    check_structure(stacked_by_position, LAYERS)


# -- isinstance and hasattr of a structure ------------------------------------------------

def penalty_of_any_container(p):
    if isinstance(p, dict):
        return sum(np.sum(v ** 2) for v in p.values())
    elif isinstance(p, (list, tuple)):
        return sum(np.sum(np.tanh(W)) * np.sum(b) for W, b in p)
    return np.sum(p ** 2)


class Holder:
    pass


def with_optional_bias(model, x):
    h = np.tanh(x @ model.W)
    if hasattr(model, "b"):
        h = h + model.b
    return np.sum(h ** 2)


def test_isinstance_of_a_structure_decides_the_branch():
    # refused before ("p is a dict of 2 ... other uses are not supported"), and the branch
    # for arrays (np.sum(p ** 2) of a dict) could not be made
    # (autograd boxes the dict it differentiates, which is then no dict: finite differences)
    check_structure(penalty_of_any_container, {"W": rng.normal(size=(2, 3)),
                                               "b": rng.normal(size=3)}, autograd_too=False)
    check_structure(penalty_of_any_container, [(rng.normal(size=2), rng.normal(size=3))],
                    autograd_too=False)


def test_hasattr_of_an_object_decides_the_branch():
    x = rng.normal(size=(4, 3))
    for names in (("W",), ("W", "b")):
        model = Holder()
        model.W = rng.normal(size=(3, 2))
        if "b" in names:
            model.b = rng.normal(size=2)
        got = ad.grad(with_optional_bias)(model, x)
        assert set(vars(got)) == set(names)
        want = attribute_gradients(with_optional_bias, model, names, x)
        for name in names:
            assert_close(getattr(got, name), want[name], what=name)


# -- nested functions with defaults that are not literals ----------------------------------

def default_read_from_a_parameter(x, w):
    def term(a, p=2, scale=w):
        return scale * a ** p

    def cube(a, **kw):
        return term(a, p=3, **kw)

    return np.sum(term(x)) + np.sum(cube(x, scale=1.5))


def default_rebound_after_the_def(x, w):
    def f(z, s=w):
        return s * z
    w = w * 3   # the default was evaluated at the def: f keeps the old w
    return np.sum(f(x)) + w


def lambda_default_of_an_expression(x, w):
    k = 2
    f = lambda z, p=k, s=w ** 2: s * np.sin(z) ** p   # noqa: E731
    return np.sum(f(x) + f(x, 1, 1.0))


def default_keyword_only(x, w):
    def f(z, *, s=w * 2, p=2):
        return s * z ** p
    return np.sum(f(x)) + np.sum(f(x, s=1.0)) + np.sum(f(x, p=3))


def default_array_changed_after_the_def(x):
    v = x * 1.0

    def f(z, base=v):
        return z * base
    v[0] = 10.0   # the default is that array: Python sees the change
    return np.sum(f(x))


@pytest.mark.parametrize("f", [default_read_from_a_parameter, default_rebound_after_the_def,
                               lambda_default_of_an_expression, default_keyword_only])
def test_nested_defaults_that_are_not_literals(f):
    x = np.array([0.3, -0.5, 1.2])
    got = assert_grad(f, x, 0.7, wrt=(0, 1))
    want = with_autograd_numpy(globals(), autograd.grad(f, (0, 1)), x, 0.7)
    assert_close(got[0], want[0], 1e-10, 1e-12)
    assert_close(got[1], want[1], 1e-10, 1e-12)


def test_a_nested_default_that_is_an_array_changed_later():
    assert_grad(default_array_changed_after_the_def, np.array([0.3, -0.5, 1.2]))


def test_nested_defaults_generated_code_reads_the_default_once():
    code = ad.show(default_rebound_after_the_def, wrt=(0, 1), args=(np.ones(3), 0.5))
    assert "f_s = w" in code


# -- physics and science -------------------------------------------------------------------

def oscillator(t, y, k):
    return np.array([y[1], -k[0] * y[0] - k[1] * y[1]])


def rk4(f, y0, t0, t1, n, *args):
    h = (t1 - t0) / n
    y, t = y0, t0
    for _ in range(n):
        k1 = f(t, y, *args)
        k2 = f(t + h / 2, y + h / 2 * k1, *args)
        k3 = f(t + h / 2, y + h / 2 * k2, *args)
        k4 = f(t + h, y + h * k3, *args)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        t += h
    return y


def oscillator_end(k, y0):
    return np.sum(rk4(oscillator, y0, 0.0, 1.0, 10, k) ** 2)


def kalman_nll(q, r, ys):
    F = np.array([[1.0, 1.0], [0.0, 1.0]])
    H = np.array([[1.0, 0.0]])
    Q, R = q * np.eye(2), np.array([[r]])
    m, P = np.zeros(2), np.eye(2)
    nll = 0.0
    for y in ys:
        m, P = F @ m, F @ P @ F.T + Q
        S = H @ P @ H.T + R
        v = y - H @ m
        K = np.linalg.solve(S, H @ P).T
        m, P = m + K @ v, P - K @ S @ K.T
        nll += 0.5 * (np.log(np.linalg.det(2 * np.pi * S)) + v @ np.linalg.solve(S, v))
    return nll


def spring_chain(x, v, k, dt=0.05, steps=5):
    for _ in range(steps):
        v = v + dt * k * (np.roll(x, 1) - 2 * x + np.roll(x, -1))
        x = x + dt * v
    return 0.5 * np.sum(v ** 2) + 0.5 * k * np.sum((np.roll(x, -1) - x) ** 2)


def heat_1d(u0, alpha, steps=6):
    u = u0.copy()
    for _ in range(steps):
        un = u.copy()
        u[1:-1] = un[1:-1] + alpha * (un[2:] - 2 * un[1:-1] + un[:-2])
        u[0] = 0.0
        u[-1] = 0.0
    return np.sum(u ** 2)


def heat_2d_in_place(u0, alpha, steps=3):
    u = u0.copy()
    for _ in range(steps):
        u[1:-1, 1:-1] = u[1:-1, 1:-1] + alpha * (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:]
                                                 + u[1:-1, :-2] - 4 * u[1:-1, 1:-1])
    return np.sum(u ** 2)


def gp_nll(hyp, X, y):
    ell, sf2 = np.exp(hyp["log_ell"]), np.exp(2 * hyp["log_sf"])
    d2 = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1)
    K = sf2 * np.exp(-0.5 * d2 / ell ** 2) + np.exp(2 * hyp["log_sn"]) * np.eye(len(y))
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(L))) + 0.5 * len(y) * np.log(2 * np.pi)


def test_an_rk4_integrator_given_the_right_hand_side():
    k, y0 = np.array([2.0, 0.3]), np.array([1.0, 0.0])
    got = assert_grad(oscillator_end, k, y0, wrt=(0, 1))
    want = with_autograd_numpy(globals(), autograd.grad(oscillator_end, (0, 1)), k, y0)
    assert_close(got[0], want[0], 1e-10, 1e-12)
    assert_close(got[1], want[1], 1e-10, 1e-12)


def test_a_kalman_filters_likelihood():
    ys = rng.normal(size=(5, 1)).cumsum(0)
    got = assert_grad(kalman_nll, 0.3, 0.5, ys, wrt=(0, 1))
    want = with_autograd_numpy(globals(), autograd.grad(kalman_nll, (0, 1)), 0.3, 0.5, ys)
    assert_close(got, want, 1e-9, 1e-11)


def test_a_spring_chain_with_roll():
    x0, v0 = rng.normal(size=6), np.zeros(6)
    got = assert_grad(spring_chain, x0, v0, 1.5, wrt=(0, 2))
    want = with_autograd_numpy(globals(), autograd.grad(spring_chain, (0, 2)), x0, v0, 1.5)
    assert_close(got[0], want[0], 1e-10, 1e-12)
    assert_close(got[1], want[1], 1e-10, 1e-12)


def test_finite_difference_pde_steps_written_into_slices():
    # (autograd assigns into no array: finite differences only)
    assert_grad(heat_1d, rng.normal(size=8), 0.2, wrt=(0, 1))
    assert_grad(heat_2d_in_place, rng.normal(size=(5, 5)), 0.1, wrt=(0, 1))


def test_a_gaussian_process_marginal_likelihood():
    X = rng.normal(size=(6, 1))
    check_structure(gp_nll, {"log_ell": 0.1, "log_sf": -0.2, "log_sn": -1.0}, X,
                    np.sin(X[:, 0]))


# -- optimisation idioms -------------------------------------------------------------------

X_REG, Y_REG = rng.normal(size=(6, 3)), rng.normal(size=6)
LABELS = np.sign(Y_REG)


def unrolled_inner_steps(w, X, y, inner_lr=0.1, inner_steps=3):
    w_fast = w
    for step in range(inner_steps):
        w_fast = w_fast - inner_lr * X.T @ (X @ w_fast - y) / len(y)
    return 0.5 * np.mean((X @ w_fast - y) ** 2)


def unrolled_adam(w, X, y, steps=3, lr=0.05, b1=0.9, b2=0.999, eps=1e-8):
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t in range(1, steps + 1):
        g = X.T @ (X @ w - y) / len(y)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        w = w - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return np.sum((X @ w - y) ** 2)


def stopped_when_no_progress(w, X, y, lr=0.1, max_iter=20):
    it, loss = 0, np.inf
    while it < max_iter:
        r = X @ w - y
        new = 0.5 * r @ r
        if new > loss - 1e-3:
            break
        loss = new
        w = w - lr * X.T @ r / len(y)
        it += 1
    return loss


def clipped_logistic(w, X, labels):
    return np.mean(np.logaddexp(0, -labels * np.clip(X @ w, -2.0, 2.0)))


def huber(w, X, y, delta=0.5):
    r = X @ w - y
    a = np.abs(r)
    return np.sum(np.where(a <= delta, 0.5 * r ** 2, delta * (a - 0.5 * delta)))


def svm_hinge(w, X, labels, C=1.0):
    return 0.5 * w @ w + C * np.sum(np.maximum(0, 1 - labels * (X @ w)))


@pytest.mark.parametrize("f, data", [
    (unrolled_inner_steps, (X_REG, Y_REG)), (unrolled_adam, (X_REG, Y_REG)),
    (stopped_when_no_progress, (X_REG, Y_REG)), (clipped_logistic, (X_REG, LABELS)),
    (huber, (X_REG, Y_REG)), (svm_hinge, (X_REG, LABELS)),
])
def test_optimisation_idioms(f, data):
    w = np.array([0.4, -0.3, 0.8])
    got = assert_grad(f, w, *data)
    assert_close(got, autograd_gradient(f, w, *data), 1e-9, 1e-11)


def multiclass_squared_hinge(W, X, labels):
    s = X @ W
    m = np.maximum(0, s - s[np.arange(len(labels)), labels][:, None] + 1.0)
    m[np.arange(len(labels)), labels] = 0
    return np.sum(m ** 2) / len(labels)


def test_a_multiclass_hinge_with_the_true_class_zeroed_in_place():
    assert_grad(multiclass_squared_hinge, rng.normal(size=(3, 4)), X_REG,
                np.array([0, 1, 2, 3, 1, 0]))


def momentum_on_a_copy(params, X, y, lr=0.1, mu=0.9, steps=2):
    params = dict(params)
    vel = {k: np.zeros_like(v) for k, v in params.items()}
    for _ in range(steps):
        r = X @ params["w"] + params["b"] - y
        grads = {"w": X.T @ r / len(y), "b": np.mean(r)}
        for k in params:
            vel[k] = mu * vel[k] - lr * grads[k]
            params[k] = params[k] + vel[k]
    return np.mean((X @ params["w"] + params["b"] - y) ** 2)


def test_momentum_steps_over_a_copied_dict():
    # (autograd cannot assign into the dict it differentiates: finite differences only)
    check_structure(momentum_on_a_copy, {"w": rng.normal(size=3), "b": 0.2}, X_REG, Y_REG,
                    autograd_too=False)


# -- Python idioms -------------------------------------------------------------------------

ACTIVATION = lambda z: np.tanh(z)   # noqa: E731
SCALE = 0.5


def enumerated_layers(layers, X, y):
    h = X
    for i, (W, b) in enumerate(layers):
        h = h @ W + b
        if i != len(layers) - 1:
            h = ACTIVATION(h)
    assert h.shape == (len(y), 3), f"bad shape {h.shape}"
    return SCALE * np.mean((h[:, 0] - y) ** 2)


def early_returns(x, thresh=0.0):
    s = np.sum(x ** 2)
    if s > 100:
        return s
    if x[0] > thresh:
        return np.sin(s)
    return np.cos(s) * x[1]


def counted_while(x):
    i, acc = 0, 0.0
    while i < len(x):
        acc = acc + x[i] * (i + 1)
        i += 1
    return acc ** 2


def passthrough(f, *args, **kwargs):
    return f(*args, **kwargs)


def distance(x, y, power=2):
    return np.sum((x - y) ** power)


def through_passthrough(x, y):
    return passthrough(distance, x, y, power=3) + passthrough(distance, x, y=y)


def moments(x):
    m = np.mean(x)
    return m, np.std(x), x - m


def unpacked_tuples(x):
    mu, sd, centred = moments(x)
    _, sd2, _ = moments(x ** 2)
    return np.sum(centred / sd) + sd2 * mu


def test_layers_enumerated_with_an_assert_and_module_level_lambda():
    X, y = rng.normal(size=(5, 3)), rng.normal(size=5)
    check_structure(enumerated_layers, LAYERS, X, y)


@pytest.mark.parametrize("f, x", [
    (early_returns, np.array([0.5, -0.3, 1.2])), (early_returns, np.array([-0.5, -0.3, 1.2])),
    (counted_while, np.array([0.5, -0.3, 1.2])), (unpacked_tuples, np.array([0.5, -0.3, 1.2, 2.0])),
])
def test_python_control_flow_idioms(f, x):
    got = assert_grad(f, x)
    assert_close(got, autograd_gradient(f, x), 1e-10, 1e-12)


def test_args_and_kwargs_passed_through():
    x, y = np.array([0.5, -0.3, 1.2]), np.array([0.1, 0.2, 0.3])
    got = assert_grad(through_passthrough, x, y, wrt=(0, 1))
    want = with_autograd_numpy(globals(), autograd.grad(through_passthrough, (0, 1)), x, y)
    assert_close(got[0], want[0], 1e-10, 1e-12)
    assert_close(got[1], want[1], 1e-10, 1e-12)


# -- defaults assigned after a gradient was made ------------------------------------------

def test_defaults_assigned_after_a_gradient_was_made(tmp_path):
    # the cached transformation was reused: ad.grad(f) made after f.__defaults__ changed
    # gave the gradient for the old defaults, where f now computes with the new ones
    mod = load_module(tmp_path, """
        import numpy as np

        def helper(v, power=2.0):
            return v ** power

        def f(x, scale=1.0):
            return scale * np.sum(helper(x))
    """)
    x = np.array([0.3, -0.5, 1.2])
    assert_close(ad.grad(mod.f)(x), 2 * x, 1e-14, 0)
    mod.f.__defaults__ = (3.0,)
    with pytest.raises(ad.TransformError, match=r"defaults of f\(\) are not those its def"):
        ad.grad(mod.f)(x)
    mod.f.__defaults__ = (1.0,)
    assert_close(ad.grad(mod.f)(x), 2 * x, 1e-14, 0)
    mod.helper.__defaults__ = (3.0,)
    with pytest.raises(ad.TransformError, match=r"defaults of helper\(\)") as info:
        ad.grad(mod.f)(x)
    assert ":4:" in str(info.value).splitlines()[0]   # (helper's def line)


# -- refused, at the user's line -----------------------------------------------------------

def refused(f, args, pattern, wrt=0):
    """``ad.grad(f)`` refuses, with a TransformError at a line of this file matching
    ``pattern``."""
    with pytest.raises(ad.TransformError, match=pattern) as info:
        ad.grad(f, wrt=wrt)(*args)
    assert f"{__file__.rsplit('/', 1)[-1]}:" in str(info.value).splitlines()[0]
    return info.value


def array_method_misspelt(M):
    return M.summ()


def numpy_function_misspelt(M):
    return np.summ(M)


def test_a_missing_attribute_is_named():
    refused(array_method_misspelt, (np.ones(3),),
            r"M\.summ: a NumPy array has no attribute 'summ'")
    refused(numpy_function_misspelt, (np.ones(3),),
            r"np\.summ: np \(module 'numpy'\) has no attribute 'summ'")


class ViaTypeOfSelf(TanhReluModel):
    def energy(self, x):
        return np.sum(type(self).relu(x @ self.W))


def walrus_condition(x):
    if (n := np.sum(x ** 2)) > 1:
        return n * x[0]
    return n


def zip_with_a_constant_list(ws, xs):
    return sum(w * np.sum(x) for w, x in zip(ws, xs)) ** 2


def default_in_a_loop(x):
    for p in (2.0, 3.0):
        def g(a, q=p):
            return a * q
        x = g(x)
    return x


def steps_a_dict_it_was_given(params, x, lr=0.1):
    for _ in range(2):
        params["w"] = params["w"] - lr * x * np.sum(params["w"] * x)
    return np.sum(params["w"] ** 2)


def test_a_static_method_read_through_the_type_of_self():
    """``type(self).relu(z)``: type(self) of an object being differentiated is its class,
    known when the code is made, and its static method is inlined (it was refused)."""
    model = ViaTypeOfSelf(rng.normal(size=(3, 2)))
    g = ad.grad(model_energy, wrt=1)(model, X_OBJ)
    z = X_OBJ @ model.W
    np.testing.assert_allclose(g, ((z > 0) * 1.0) @ model.W.T, rtol=1e-12)
    ad.check_grad(model_energy, model, X_OBJ)


def test_what_stays_refused():
    refused(walrus_condition, (np.ones(3),), r"assignment expression \(:=\)")
    refused(zip_with_a_constant_list, ([0.3, 0.4], [np.ones(2), np.arange(3.0)]),
            r"zip of a structure with something that is not one")
    refused(default_in_a_loop, (1.0,), r"default of a parameter of the nested function g")
    refused(steps_a_dict_it_was_given, ({"w": np.ones(3)}, np.ones(3)),
            r"assigning into params changes a structure this function was given")
