"""Probe 10: code written the way scientists and ML practitioners write it, in forms the
earlier probes did not try — functools.partial and functools.reduce over layers; model
classes with properties, inheritance and super(), static and class methods; parameters in
dicts of lists of dicts, walked by items(), values(), sorted keys and zip; changes in place
through views and aliases, out= of ufuncs and reductions, np.put/np.place/np.putmask,
masks assigned, x.flat, overlapping slices; ndarray methods (.clip, .cumsum, .prod,
.round, .trace, .diagonal, .swapaxes, .item(), .tolist()); float(), int(), math.fsum and
builtins over arrays mid-computation; values written into integer and boolean arrays and
dtype= conversions; indexing forms (lists of bools, tuples, slice objects, np.ix_);
library calls with constants beside the values differentiated; ties (np.maximum(x, x)),
exact zeros in products, remainders, axis=(); globals, early returns, while loops left on
convergence, recursion; loops over arrays they change; logsumexp, softplus and stable
sigmoids by hand, -inf masks; scipy.optimize-style objectives f(theta, *args) (and
scipy.optimize.minimize with the gradient as jac); fixed-seed random draws; objects and
namespaces as parameters; state dicts changed by helpers; named fields of linalg results.

Each program is checked by ``assert_grad`` (central finite differences in float64, forward
mode along random tangents, the call by keywords), many against autograd too, programs
over structures leaf by leaf; second derivatives, Jacobians in both modes and the numba
backend on subsets. Refused programs are listed (REFUSED): a TransformError at this file's
line (a TypeError naming it, for the two writes into int arrays checked when the code runs).

What the probe found (all fixed, with the regression tests at the end of this file, in
tests/test_forward.py and tests/test_rules.py):

- **Wrong jvp**: the tangent of ``np.array(xs, dtype=int)`` / ``np.asarray(x, np.int64)``
  (or dtype=bool) was the tangents rounded, not zero: ``np.array([5 * w[0]], dtype=int)``
  gave a non-zero jvp once a tangent times 5 reached 1 (forward mode applied the primitive,
  dtype= included, to the tangents). The tangent of such a linear primitive is now cast as
  astype's is (ad/forward.py).
- **Wrong gradients**: a rule's refusal that depends on a setting was skipped when the
  setting was given by a name rather than a literal, since an undecided template test
  takes its else branch: ``np.linspace(a, b, 4, dtype=int)`` was differentiated as floats
  (a gradient where the rounded values have none), ``np.quantile(x, q, method=m)`` and
  ``np.percentile`` as method="linear" (``m = "nearest"``, a default argument, a config
  dict), ``np.average(..., returned=flag)`` and ``logsumexp(..., return_sign=flag)`` failed
  inside the gradient code, ``scipy.linalg.det/solve(..., overwrite_a=flag)`` would read
  an overwritten matrix. These rules now refuse in their else branch, and a test checks
  every rule keeps to that.
- **Wrong jvp**: forward mode did not refuse what the adjoint refuses:
  ``np.quantile(x, q, method="nearest")`` and ``np.pad(x, 2, mode="maximum")`` got the
  tangent of linear interpolation or of padding the tangents (jvp along e_3: 1.9 for 2.0).
  A written-out tangent now first meets its adjoint's refusals (ad/templates.py), and a pad
  mode given by a name is checked when the jvp runs, as it was for the gradient
  (runtime.pad_dot).

Not fixed (standard reverse-mode behaviour, reported): ``np.where(x > 0, np.sqrt(x), 0.0)``
with negative entries has NaN gradients there (0 * the infinite or NaN derivative of the
branch not taken; NumPy warns in the forward computation); forward mode gives the right
value, and the mask applied to the input too (``np.sqrt(np.where(x > 0, x, 1.0))``) gives
the right gradient. A bisection's result is piecewise constant in its parameter: its
derivative (zero) is not the root's (a Newton step after it, as below, gives the root's).

Differentiated since (refused here at first): ``p.update({...})`` on a copy of a dict
argument (``dict_update_on_a_copy``: its items stored as ``p["b1"] = ...`` stores them);
a class method making the model a method is called on in one expression
(``classmethod_constructor``: ``Ridge.from_vector(theta).loss(X, y)``).
"""

import dataclasses
import functools
import inspect
import itertools
import math
import operator
import warnings
from typing import NamedTuple

import numpy as np
import pytest
import scipy.linalg
import scipy.optimize
import scipy.special
from conftest import assert_close, assert_grad, assert_hessian, autograd_gradient
from test_hostile_probes_9 import case_id, flatten, is_object, tree_numerical_grad

import adcompile as ad
from adcompile.backend.jit import NumbaFallbackWarning


def check_program(f, args, wrt, by_autograd):
    """The gradient equals finite differences (leaf by leaf for a structure, keeping its
    type), and autograd's where ``by_autograd``."""
    wrts = wrt if isinstance(wrt, tuple) else (wrt,)
    if any(isinstance(args[w], (dict, list, tuple)) or is_object(args[w])
           or dataclasses.is_dataclass(args[w]) for w in wrts):
        got = ad.grad(f, wrt=wrt)(*args)
        for g, w in zip(got if isinstance(wrt, tuple) else (got,), wrts):
            assert type(g) is type(args[w])
            want = flatten(tree_numerical_grad(f, args, w))
            for a, b in zip(flatten(g), want, strict=True):
                assert_close(a, b, 1e-5, 1e-7, f"{f.__name__}, a leaf")
    else:
        starred = any(p.kind == p.VAR_POSITIONAL
                      for p in inspect.signature(f).parameters.values())
        got = assert_grad(f, *args, wrt=wrt, keywords=not starred)
    if by_autograd:
        want = autograd_gradient(f, *args, wrt=wrt)
        for g, w in zip(got if isinstance(wrt, tuple) else (got,),
                        want if isinstance(wrt, tuple) else (want,)):
            for a, b in zip(flatten(g), flatten(w), strict=True):
                assert_close(a, b, 1e-7, 1e-9, f"{f.__name__} against autograd")


rng = np.random.default_rng(1010)
X3 = rng.normal(size=3)
X4 = rng.normal(size=4)
X5 = rng.normal(size=5)
X6 = rng.normal(size=6)
M3 = rng.normal(size=(3, 3))
M23 = rng.normal(size=(2, 3))
M34 = rng.normal(size=(3, 4))
B43 = rng.normal(size=(4, 3))
SPD = M3 @ M3.T + 3.0 * np.eye(3)
LAYERS = [(rng.normal(size=(3, 3)) * 0.6, rng.normal(size=3) * 0.3) for _ in range(3)]
XB = rng.normal(size=(5, 3))
YB = rng.normal(size=5)
LABELS = np.array([0, 2, 1, 1, 0])


# -- functools: partial and reduce over layers --------------------------------------------------

def dense(x, W, b):
    return np.tanh(x @ W + b)


def reduce_over_layers(layers, x):
    h = functools.reduce(lambda h, layer: dense(h, *layer), layers, x)
    return np.sum(h ** 2)


def reduce_with_a_named_step(layers, x):
    def step(h, layer):
        W, b = layer
        return np.maximum(h @ W + b, 0.1 * (h @ W + b))
    return np.sum(functools.reduce(step, layers, x))


def reduce_add_of_terms(x):
    terms = [x ** 2, np.sin(x), 3.0 * x]
    return np.sum(functools.reduce(operator.add, terms))


def reduce_mul_of_scalars(x):
    return functools.reduce(operator.mul, [x[0], x[1], x[2], 2.0])


def reduce_matmul_chain(A, B):
    return np.sum(functools.reduce(np.matmul, [A, B, A.T, B]))


def reduce_without_initial(x):
    return functools.reduce(lambda a, b: a * 0.5 + b, [x[0], x[1] ** 2, np.exp(x[2])])


def reduce_maximum(x, y):
    return np.sum(functools.reduce(np.maximum, [x, y, x * y]))


def partial_layer_with_weights(W, b, x):
    layer = functools.partial(dense, W=W, b=b)
    return np.sum(layer(layer(x)))


def list_of_partials(layers, x):
    fs = [functools.partial(dense, W=W, b=b) for W, b in layers]
    for f in fs:
        x = f(x)
    return np.sum(x)


def partial_of_einsum(A, x):
    quad = functools.partial(np.einsum, "i,ij,j->")
    return quad(x, A, x)


def partial_sum_over_axis(A):
    col_sums = functools.partial(np.sum, axis=0)
    return np.sum(col_sums(A) ** 2)


def partial_keyword_overridden(x, alpha):
    leaky = functools.partial(leaky, alpha=0.1)
    return np.sum(leaky(x, alpha=alpha) ** 2)


def leaky(z, alpha=0.01):
    return np.where(z > 0, z, alpha * z)


def apply_twice(f, x):
    return f(f(x))


def partial_handed_to_a_helper(x, s):
    scale = functools.partial(np.multiply, s)
    return np.sum(apply_twice(scale, np.sin(x)))


def partial_positional_data(theta, X, y):
    residual = functools.partial(lambda t, A, b: A @ t - b, A=X, b=y)
    return np.sum(residual(theta) ** 2)


FUNCTOOLS = [
    (reduce_over_layers, (LAYERS, X3), 0, False),
    (reduce_over_layers, (LAYERS, X3), 1, True),
    (reduce_with_a_named_step, (LAYERS, XB), 0, False),
    (reduce_add_of_terms, (X3,), 0, True),
    (reduce_mul_of_scalars, (X3,), 0, True),
    (reduce_matmul_chain, (M3, SPD), (0, 1), True),
    (reduce_without_initial, (X3,), 0, True),
    (reduce_maximum, (X3, X3[::-1] * 0.7), (0, 1), True),
    (partial_layer_with_weights, (M3, X3, X3 * 0.5), (0, 1, 2), True),
    (list_of_partials, (LAYERS, XB), 0, False),
    (partial_of_einsum, (M3, X3), (0, 1), True),
    (partial_sum_over_axis, (M34,), 0, True),
    (partial_keyword_overridden, (X4, 0.3), (0, 1), True),
    (partial_handed_to_a_helper, (X3, 0.7), (0, 1), True),
    (partial_positional_data, (X3, XB, YB), 0, True),
]


# -- classes: properties, inheritance, super(), static and class methods ------------------------

class Softplus:
    """A positive scale kept as its log."""

    def __init__(self, log_scale):
        self.log_scale = log_scale

    @property
    def scale(self):
        return np.exp(self.log_scale)


def property_of_a_parameter(log_scale, x):
    p = Softplus(log_scale)
    return np.sum((x / p.scale) ** 2) + np.sum(np.log(p.scale))


class Gaussian:
    def __init__(self, mu, log_sigma):
        self.mu = mu
        self.log_sigma = log_sigma

    @property
    def sigma(self):
        return np.exp(self.log_sigma)

    @property
    def precision(self):
        return 1.0 / self.sigma ** 2

    def nll(self, x):
        return 0.5 * np.sum(self.precision * (x - self.mu) ** 2) + len(x) * self.log_sigma


def properties_calling_properties(mu, log_sigma, x):
    return Gaussian(mu, log_sigma).nll(x)


class Linear:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def __call__(self, x):
        return x @ self.W + self.b


class TanhLinear(Linear):
    def __call__(self, x):
        return np.tanh(super().__call__(x))


def super_call_in_a_subclass(W, b, x):
    return np.sum(TanhLinear(W, b)(x) ** 2)


class ScaledLinear(Linear):
    def __init__(self, W, b, scale):
        super().__init__(W, b)
        self.scale = scale

    def __call__(self, x):
        return self.scale * super().__call__(x)


def super_init_and_call(W, b, s, x):
    return np.sum(ScaledLinear(W, b, s)(x) ** 2)


class Activations:
    @staticmethod
    def gelu(z):
        return 0.5 * z * (1.0 + np.tanh(0.7978845608 * (z + 0.044715 * z ** 3)))

    @staticmethod
    def swish(z):
        return z / (1.0 + np.exp(-z))


def staticmethods_in_the_loss(x):
    return np.sum(Activations.gelu(x)) + np.sum(Activations.swish(x) ** 2)


class Ridge:
    lam = 0.1

    def __init__(self, w):
        self.w = w

    @classmethod
    def from_vector(cls, theta):
        return cls(theta * 1.0)

    def loss(self, X, y):
        return np.mean((X @ self.w - y) ** 2) + self.lam * np.sum(self.w ** 2)


def classmethod_constructor(theta, X, y):
    return Ridge.from_vector(theta).loss(X, y)


class Affine:
    def __init__(self, params):
        self.params = params

    @property
    def W(self):
        return self.params["W"]

    @property
    def b(self):
        return self.params["b"]

    def forward(self, x):
        return np.tanh(x @ self.W + self.b)


def property_reading_a_dict(params, x):
    return np.sum(Affine(params).forward(x))


class Poly:
    degree = 3

    def __init__(self, coeffs):
        self.coeffs = coeffs

    def __call__(self, x):
        return sum(self.coeffs[k] * x ** k for k in range(self.degree))


def class_attribute_as_a_count(coeffs, x):
    return np.sum(Poly(coeffs)(x) ** 2)


class Base:
    def features(self, x):
        return x

    def predict(self, w, x):
        return self.features(x) @ w


class Quadratic(Base):
    def features(self, x):
        return np.concatenate([x, x ** 2], axis=-1)


def template_method_in_a_subclass(w, X):
    return np.sum(Quadratic().predict(w, X) ** 2)


class Pair(NamedTuple):
    a: np.ndarray
    b: np.ndarray

    @property
    def total(self):
        return self.a + self.b

    def dot(self):
        return np.sum(self.a * self.b)


def namedtuple_with_property(p):
    return np.sum(p.total ** 2) + p.dot()


class Sequential:
    def __init__(self, *layers):
        self.layers = layers

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def sequential_of_layers(W1, W2, x):
    net = Sequential(Linear(W1, 0.0), np.tanh, Linear(W2, 0.1))
    return np.sum(net(x) ** 2)


CLASSES = [
    (property_of_a_parameter, (0.3, X4), (0, 1), False),
    (properties_calling_properties, (0.2, -0.4, X4), (0, 1, 2), False),
    (super_call_in_a_subclass, (M3, X3, XB), (0, 1, 2), False),
    (super_init_and_call, (M3, X3, 0.8, XB), (0, 1, 2), False),
    (staticmethods_in_the_loss, (X4,), 0, False),
    (classmethod_constructor, (X3, XB, YB), 0, False),
    (property_reading_a_dict, ({"W": M3, "b": X3}, XB), 0, False),
    (class_attribute_as_a_count, (X3, X4), (0, 1), False),
    (template_method_in_a_subclass, (X6, XB), 0, False),
    (namedtuple_with_property, (Pair(X3, X3 ** 2),), 0, False),
    (sequential_of_layers, (M3, M3.T * 0.5, XB), (0, 1), False),
]


# -- parameters in nested structures, walked by items(), values(), sorted keys --------------

NESTED = {"enc": [{"W": rng.normal(size=(3, 3)) * 0.5, "b": rng.normal(size=3)},
                  {"W": rng.normal(size=(3, 2)) * 0.5, "b": rng.normal(size=2)}],
          "dec": {"W": rng.normal(size=(2, 3)) * 0.5, "b": rng.normal(size=3)}}
FLAT = {"w1": X3 * 1.0, "b1": 0.3, "w2": X3[::-1] * 0.5, "b2": -0.2}


def nested_dicts_of_lists_of_dicts(params, x):
    h = x
    for layer in params["enc"]:
        h = np.tanh(h @ layer["W"] + layer["b"])
    out = h @ params["dec"]["W"] + params["dec"]["b"]
    return np.sum((out - x) ** 2)


def enumerate_items(params):
    total = 0.0
    for i, (name, v) in enumerate(params.items()):
        total = total + (i + 1) * np.sum(v ** 2)
    return total


def zip_values_with_weights(params):
    weights = [1.0, 0.5, 0.25, 0.125]
    return sum(w * np.sum(np.sin(v)) for w, v in zip(weights, params.values()))


def sorted_keys(params):
    out = 0.0
    for k in sorted(params):
        out = out * 0.9 + np.sum(params[k])
    return out


def sorted_keys_reversed(params):
    keys = sorted(params.keys(), reverse=True)
    return sum(np.sum(params[k] ** 2) * len(k) for k in keys)


def dict_comprehension_rebuilt(params, x):
    scaled = {k: 2.0 * v for k, v in params.items()}
    return np.sum(np.tanh(x * scaled["w1"] + scaled["b1"]) * scaled["w2"]) + scaled["b2"]


def get_with_a_default(params, x):
    b = params.get("b1", 0.0)
    c = params.get("c", 1.5)
    return np.sum((x * params["w1"] + b) ** 2) * c


def prefix_filtered_keys(params):
    ws = [v for k, v in params.items() if k.startswith("w")]
    bs = [v for k, v in sorted(params.items()) if k.startswith("b")]
    return sum(np.sum(w ** 2) for w in ws) + sum(b ** 3 for b in bs)


def key_membership(params, x):
    out = np.sum(x * params["w1"])
    if "b1" in params:
        out = out + params["b1"]
    if "missing" in params:
        out = out * 100.0
    return out ** 2


def double_star_unpacking(params, x):
    return mlp2(x, **params)


def mlp2(x, w1, b1, w2, b2):
    return np.sum(np.tanh(x * w1 + b1) * w2) + b2


def list_of_tuples_of_dicts(pairs, x):
    for gate, proj in pairs:
        x = gate["s"] * np.tanh(x @ proj["W"])
    return np.sum(x)


def first_and_rest(layers, x):
    first, *rest = layers
    h = np.tanh(x @ first[0] + first[1])
    for W, b in rest:
        h = np.tanh(h @ W + b)
    return np.sum(h)


def len_of_a_dict_normalises(params):
    return sum(np.mean(v) ** 2 for v in params.values()) / len(params)


def items_into_a_dict_of_norms(params):
    norms = {k: np.sqrt(np.sum(v ** 2) + 1.0) for k, v in params.items()}
    return norms["w1"] * norms["w2"] + norms["b1"]


def tuple_keys(params):
    return sum(np.sum(params[(i, j)]) * (i + 2 * j) for i, j in sorted(params))


PAIRS = [({"s": 0.7}, {"W": M3 * 0.5}), ({"s": 1.3}, {"W": SPD * 0.1})]
TUPLE_KEYED = {(0, 1): X3 * 1.0, (1, 0): X4 * 1.0, (1, 1): 0.5}

STRUCTURES = [
    (nested_dicts_of_lists_of_dicts, (NESTED, X3), 0, True),
    (enumerate_items, (FLAT,), 0, True),
    (zip_values_with_weights, (FLAT,), 0, True),
    (sorted_keys, (FLAT,), 0, True),
    (sorted_keys_reversed, (FLAT,), 0, True),
    (dict_comprehension_rebuilt, (FLAT, X3), 0, True),
    (get_with_a_default, (FLAT, X3), 0, True),
    (prefix_filtered_keys, (FLAT,), 0, True),
    (key_membership, (FLAT, X3), 0, True),
    (double_star_unpacking, (FLAT, X3), 0, True),
    (list_of_tuples_of_dicts, (PAIRS, X3), 0, True),
    (first_and_rest, (LAYERS, X3), 0, True),
    (len_of_a_dict_normalises, (FLAT,), 0, True),
    (items_into_a_dict_of_norms, (FLAT,), 0, True),
    (tuple_keys, (TUPLE_KEYED,), 0, True),
]


# -- in-place changes through views, aliases, out= and masks -----------------------------------

def row_view_scaled(W, x):
    V = W * 1.0
    v = V[0]
    v *= 2.0
    return np.sum(np.tanh(V @ x))


def column_added_to(W, x):
    V = W.copy()
    V[:, 0] += x
    return np.sum(V ** 2 * W)


def add_into_the_first_operand(a, b):
    acc = a * 1.0
    np.add(acc, b, out=acc)
    np.multiply(acc, a, out=acc)
    return np.sum(acc)


def copyto_where(x, y):
    z = x * 1.0
    np.copyto(z, y ** 2, where=x > 0)
    return np.sum(z * x)


def ellipsis_assignment_of_a_product(A, x):
    B = np.empty_like(A)
    B[...] = A * x
    B[..., 0] = x
    return np.sum(B @ x)


def put_at_indices(x):
    y = np.zeros(5)
    np.put(y, [0, 3], x[:2] ** 2)
    return np.sum(y * np.arange(1.0, 6.0)) + np.sum(y ** 2)


def put_as_a_method(x):
    y = x * 1.0
    y.put([1, 2], [x[0] * 3.0, x[2] ** 2])
    return np.sum(y ** 2)


def place_by_mask(x):
    y = x * 1.0
    np.place(y, x > 0, x[:1] * 2.0)
    return np.sum(y * x)


def putmask_values(x):
    y = x * 1.0
    np.putmask(y, x < 0, x ** 2)
    return np.sum(y * np.arange(1.0, 1.0 + len(x)))


def relu_by_mask_assignment(x):
    y = x.copy()
    y[y < 0] = 0.0
    return np.sum(y ** 2)


def squared_where_positive(x):
    y = x.copy()
    y[y > 0] = y[y > 0] ** 2
    return np.sum(y * x)


def masked_add_of_a_masked_part(x, v):
    y = x * 1.0
    m = x > 0
    y[m] += v[m] * 3.0
    return np.sum(y ** 2)


def where_with_one_argument(x):
    (idx,) = np.where(x > 0)
    return np.sum(x[idx] ** 2) + np.sum(np.exp(x[np.where(x <= 0)]))


def nonzero_then_gather(A):
    rows, cols = np.nonzero(A > 0)
    return np.sum(A[rows, cols] ** 3)


def flat_read(A):
    return A.flat[4] * A.flat[0] + np.sum(A.flat[::2] ** 2)


def flat_write(A, s):
    B = A.copy()
    B.flat[[0, 4, 8]] = s
    return np.sum(B @ B)


def strided_view_scaled(x):
    y = x * 1.0
    y[::2] *= 3.0
    y[1::2] -= y[::2][: len(y) // 2]
    return np.sum(y ** 2)


def repeated_fancy_index_adds_once(x):
    y = x * 1.0
    y[[0, 0, 1]] += x[2]
    return np.sum(y ** 2)


def repeated_fancy_index_set_last_wins(x):
    y = np.zeros(3)
    y[[0, 0, 2]] = x
    return np.sum(y * np.array([1.0, 2.0, 3.0])) + np.sum(y ** 2)


def chained_slice_write(x):
    y = x * 1.0
    y[1:][0] = x[0] * 5.0
    return np.sum(y * x)


def view_method_written(x):
    y = x * 1.0
    z = y.view()
    z[0] = z[1] * z[2]
    return np.sum(y ** 2)


def reshaped_view_written(x):
    y = x * 1.0
    Y = y.reshape(2, 3)
    Y[1] *= Y[0]
    return np.sum(y * x)


def transposed_alias_added(A):
    B = A * 1.0
    C = B.T
    C += A
    return np.sum(B * A)


def matmul_in_place(x, W):
    h = x * 1.0
    h @= W
    return np.sum(h ** 2)


def power_and_divide_in_place(x):
    y = x * 1.0
    y **= 2
    y /= np.sum(y)
    y -= y.mean()
    return np.sum(y * x)


def clip_into_itself(x):
    y = x * 2.0
    np.clip(y, -0.5, 0.5, out=y)
    return np.sum(y * x)


def cumsum_into_a_buffer(x):
    buf = np.empty_like(x)
    np.cumsum(x, out=buf)
    return np.sum(buf ** 2)


def sum_into_a_buffer(A):
    buf = np.zeros(A.shape[1])
    np.sum(A ** 2, axis=0, out=buf)
    return np.sum(buf * A[0])


def dot_into_a_buffer(A, x):
    buf = np.empty(A.shape[0])
    np.dot(A, x, out=buf)
    return np.sum(np.tanh(buf))


def maximum_into_itself(x):
    y = x * 1.5
    np.maximum(y, 0.0, out=y)
    return np.sum(y * x)


def exp_out_method_chain(x):
    y = np.empty_like(x)
    np.exp(x, y)
    y.clip(0.0, 2.0, out=y)
    return np.sum(y)


def resize_in_place(x):
    y = x * 1.0
    y.resize(2, refcheck=False)
    return np.sum(y ** 2)


def swap_entries_in_place(x):
    y = x * 1.0
    y[0], y[2] = y[2], y[0] * 2.0
    return np.sum(y * np.arange(1.0, 4.0))


def row_views_in_a_list(A):
    B = A * 1.0
    rows = [B[i] for i in range(3)]
    rows[1] *= 2.0
    return np.sum(B ** 2)


def diagonal_view_written(A):
    B = A * 1.0
    d = B.diagonal()
    return np.sum(d * A[1])


def fill_diagonal_with_a_vector(A, v):
    B = A * 1.0
    np.fill_diagonal(B, v)
    return np.sum(B @ B)


VIEWS = [
    (row_view_scaled, (M3, X3), (0, 1), False),
    (column_added_to, (M3, X3), (0, 1), False),
    (add_into_the_first_operand, (X3, X3[::-1]), (0, 1), False),
    (copyto_where, (X4, X4[::-1]), (0, 1), False),
    (ellipsis_assignment_of_a_product, (M3, X3), (0, 1), False),
    (put_at_indices, (X3,), 0, False),
    (put_as_a_method, (X3,), 0, False),
    (place_by_mask, (X4,), 0, False),
    (putmask_values, (X4,), 0, False),
    (relu_by_mask_assignment, (X5,), 0, False),
    (squared_where_positive, (X5,), 0, False),
    (masked_add_of_a_masked_part, (X4, X4[::-1]), (0, 1), False),
    (where_with_one_argument, (X5,), 0, True),
    (nonzero_then_gather, (M3,), 0, True),
    (flat_read, (M3,), 0, False),
    (flat_write, (M3, 0.7), (0, 1), False),
    (strided_view_scaled, (X5,), 0, False),
    (repeated_fancy_index_adds_once, (X3,), 0, False),
    (repeated_fancy_index_set_last_wins, (X3,), 0, False),
    (chained_slice_write, (X3,), 0, False),
    (view_method_written, (X3,), 0, False),
    (reshaped_view_written, (X6,), 0, False),
    (transposed_alias_added, (M3,), 0, False),
    (matmul_in_place, (X3, M3), (0, 1), False),
    (power_and_divide_in_place, (X4,), 0, False),
    (clip_into_itself, (X4,), 0, False),
    (cumsum_into_a_buffer, (X4,), 0, False),
    (sum_into_a_buffer, (M3,), 0, False),
    (dot_into_a_buffer, (M3, X3), (0, 1), False),
    (maximum_into_itself, (X4,), 0, False),
    (exp_out_method_chain, (X4,), 0, False),
    (resize_in_place, (X3,), 0, False),
    (swap_entries_in_place, (X3,), 0, False),
    (row_views_in_a_list, (M3,), 0, False),
    (diagonal_view_written, (M3,), 0, False),
    (fill_diagonal_with_a_vector, (M3, X3), (0, 1), False),
]


# -- ndarray methods ---------------------------------------------------------------------------

def method_clip_keywords(x):
    return np.sum(x.clip(min=-0.5) ** 2) + np.sum(x.clip(None, 0.3)) + np.sum(x.clip(-0.2, 0.4))


def method_cumsum_cumprod(A):
    return np.sum(A.cumsum(axis=0) ** 2) + np.sum(A.cumprod(axis=1)) + np.sum(A.cumsum())


def method_prod(A):
    return np.sum(A.prod(axis=1)) + A.prod() + np.sum(A.prod(0, keepdims=True) * A)


def method_ptp(A):
    return np.sum(A.ptp(axis=0) ** 2) + A.ptp()


def method_round_fraction(x):
    return np.sum((x * 3.0 - (x * 3.0).round()) ** 2) + np.sum(x.round(1) * x)


def method_trace_diagonal(A):
    return A.trace() ** 2 + np.sum(A.diagonal(1) * A.diagonal(-1)) + A.trace(offset=1)


def method_swapaxes(T):
    return np.sum(T.swapaxes(0, 2) @ np.ones((3, 2))) + np.sum(T.swapaxes(-1, -2)[0] ** 2)


def method_item_of_a_sum(x):
    s = (x ** 2).sum().item()
    return s * np.sum(x)


def method_item_of_an_entry(A):
    return A.item(1) * A.item((2, 2)) + A[0, 0].item() ** 2


def method_tolist(x):
    values = x.tolist()
    return sum(v ** 2 for v in values) * values[0]


def method_dot(x, A):
    return x.dot(A).dot(x) + x.dot(x)


def method_reductions_with_keywords(A):
    return (np.sum(A.mean(axis=1, keepdims=True) * A) + A.var(ddof=1) + A.std(axis=0).sum()
            + A.max(axis=1).sum() - A.min())


def method_argmax_to_index(A):
    i = A.sum(axis=1).argmax()
    return np.sum(A[i] ** 2) + A.flatten()[A.argmin()]


def method_astype_reshape_family(x):
    y = x.astype(np.float64).reshape(2, -1)
    return np.sum(y.ravel() * y.flatten()) + np.sum(y.T.squeeze() ** 3) + np.sum(y[None].repeat(2, 0))


def method_sum_with_where(A):
    return A.sum(where=A > 0) + A.max(initial=0.0, where=A < 0.5)


def method_unbound_ndarray_sum(x):
    return np.ndarray.sum(x ** 2) + np.ndarray.dot(x, x)


def method_conjugate_transpose(A):
    return np.sum(A.transpose() @ A.T.copy()) + np.sum(A.transpose(1, 0) * A)


def method_any_all_for_branching(x):
    if (x > 2.0).any():
        return np.sum(x)
    if (x > -3.0).all():
        return np.sum(x ** 2)
    return 0.0


def method_nonzero_and_compress(x):
    return np.sum(x[(x > 0).nonzero()] ** 2) + np.sum(x.compress(x < 0) ** 3)


def method_take_and_choose(x):
    return np.sum(x.take([0, 2, 2]) ** 2) + np.sum(np.take(x, [[1, 0], [2, 1]]) * x[0])


def method_sort_and_argsort(x):
    y = x * 1.0
    order = y.argsort()
    return np.sum(x[order] * np.arange(len(x))) + np.sum(np.sort(x)[::-1][:2])


def method_squeeze_expand(x):
    col = x[:, None]
    return np.sum((col * col.T).squeeze()) + np.sum(np.expand_dims(x, 0).squeeze(0) ** 2)


def method_copy_then_fill(x):
    y = x.copy()
    y.fill(0.0)
    y[1] = x[0]
    return np.sum(y * x) + np.sum(x.copy() ** 2)


def method_matrix_power_by_dot(A):
    return np.sum(A.dot(A).dot(A)) + np.trace(np.linalg.matrix_power(A, 3))


METHODS = [
    (method_clip_keywords, (X5,), 0, False),
    (method_cumsum_cumprod, (M3,), 0, False),
    (method_prod, (M3,), 0, True),
    (method_ptp, (M34,), 0, False),
    (method_round_fraction, (X4,), 0, False),
    (method_trace_diagonal, (M3,), 0, False),
    (method_swapaxes, (rng.normal(size=(3, 4, 2)),), 0, True),
    (method_item_of_a_sum, (X3,), 0, False),
    (method_item_of_an_entry, (M3,), 0, False),
    (method_tolist, (X3,), 0, False),
    (method_dot, (X3, M3), (0, 1), False),
    (method_reductions_with_keywords, (M34,), 0, True),
    (method_argmax_to_index, (M34,), 0, False),
    (method_astype_reshape_family, (X6,), 0, False),
    (method_sum_with_where, (M3,), 0, False),
    (method_unbound_ndarray_sum, (X3,), 0, False),
    (method_conjugate_transpose, (M3,), 0, False),
    (method_any_all_for_branching, (X3,), 0, True),
    (method_nonzero_and_compress, (X5,), 0, False),
    (method_take_and_choose, (X3,), 0, False),
    (method_sort_and_argsort, (X4,), 0, False),
    (method_squeeze_expand, (X3,), 0, True),
    (method_copy_then_fill, (X3,), 0, False),
    (method_matrix_power_by_dot, (M3,), 0, False),
]


# -- Python numbers from arrays in the middle of a computation; builtins over arrays ----------

def float_of_a_sum_midway(x):
    s = float(np.sum(x ** 2))
    return s * x[0] + np.sum(x)


def float_of_an_entry(x):
    a = float(x[0])
    b = float(x[1] * x[2])
    return math.sin(a) * b + a ** 2


def int_of_a_value_as_index(x):
    k = int(abs(x[0]) * 2) % 3
    return x[k] ** 2 + np.sum(x)


def int_used_as_a_count(x):
    n = int(np.sum(x > 0)) + 1
    return np.sum(x ** 2) / n


def math_fsum_of_entries(x):
    return math.fsum([x[0], x[1] ** 2, np.sin(x[2])])


def math_fsum_of_a_generator(x):
    return math.fsum(v * v for v in x)


def builtin_sum_of_an_array(A):
    return np.sum(sum(A) ** 2)


def builtin_sum_with_a_start(x):
    return sum([x ** 2, np.cos(x)], np.zeros(3)).sum() + sum(x, 1.0)


def builtin_max_of_an_array(x):
    return max(x) * 2.0 + min(x) ** 2


def builtin_max_of_floats(a, b):
    return max(a, b, 0.1) * min(a * b, b) + max([a ** 2, b])


def builtin_max_of_a_generator(x):
    return max(v ** 2 for v in x) + min(abs(v - 0.1) for v in x)


def builtin_max_with_key(x):
    best = max([x[0] * 2.0, x[1], x[2] - 1.0], key=abs)
    return best ** 2


def builtin_abs_pow_round(x, y):
    return abs(x) * pow(y, 3) + pow(abs(x), 0.5) + round(2.7) * x


def builtin_sorted_array(x):
    s = sorted(x)
    return s[0] * 3.0 + s[-1] ** 2 + sum(s[1:-1])


def builtin_list_of_an_array(x):
    parts = list(x)
    parts.reverse()
    return sum(p * (i + 1) for i, p in enumerate(parts))


def unpacking_an_array(x):
    a, b, c = x
    return a * b + np.exp(c)


def starred_unpacking_an_array(x):
    head, *tail = x
    return head ** 2 * np.sum(np.array(tail) ** 2)


def iterating_rows(A):
    total = 0.0
    for row in A:
        total = total + np.sum(row) ** 2
    return total


def dict_of_a_zip_of_values(x):
    d = dict(zip(["a", "b", "c"], x))
    return d["a"] * d["c"] + d["b"] ** 2


def builtin_any_all_generators(x):
    if any(v > 5.0 for v in x):
        return 0.0
    if all(abs(v) < 10.0 for v in x):
        return float(np.sum(x ** 3))
    return np.sum(x)


def np_float64_of_a_value(x):
    return np.float64(x[0]) * x[1] + np.asarray(x[2], dtype=float) ** 2


def numpy_scalar_methods(x):
    s = np.sum(x)
    return s.item() * 0.0 + s.real ** 2 + np.float64(s).__abs__()


BUILTINS = [
    (float_of_a_sum_midway, (X3,), 0, False),
    (float_of_an_entry, (X3,), 0, False),
    (int_of_a_value_as_index, (X3,), 0, False),
    (int_used_as_a_count, (X4,), 0, False),
    (math_fsum_of_entries, (X3,), 0, False),
    (math_fsum_of_a_generator, (X3,), 0, False),
    (builtin_sum_of_an_array, (M34,), 0, True),
    (builtin_sum_with_a_start, (X3,), 0, True),
    (builtin_max_of_an_array, (X4,), 0, True),
    (builtin_max_of_floats, (0.4, -0.7), (0, 1), True),
    (builtin_max_of_a_generator, (X4,), 0, True),
    (builtin_max_with_key, (X3,), 0, False),
    (builtin_abs_pow_round, (-0.6, 0.8), (0, 1), True),
    (builtin_sorted_array, (X4,), 0, False),
    (builtin_list_of_an_array, (X4,), 0, True),
    (unpacking_an_array, (X3,), 0, True),
    (starred_unpacking_an_array, (X4,), 0, True),
    (iterating_rows, (M34,), 0, True),
    (dict_of_a_zip_of_values, (X3,), 0, True),
    (builtin_any_all_generators, (X3,), 0, False),
    (np_float64_of_a_value, (X3,), 0, False),
    (numpy_scalar_methods, (X3,), 0, False),
]


# -- control flow: globals, early returns, loops left by break, recursion ----------------------

CALLS = 0
HISTORY = []


def global_call_counter(x):
    global CALLS
    CALLS += 1
    return np.sum(np.sin(x) ** 2)


def global_history_appended(x):
    loss = np.sum(x ** 2)
    HISTORY.append(1)
    return loss * 0.5


def early_return_in_a_loop(x):
    acc = 0.0
    for i in range(len(x)):
        acc = acc + x[i] ** 2
        if acc > 1.5:
            return acc * 2.0
    return acc


def early_return_on_a_constant_test(x, n):
    h = x
    for i in range(10):
        if i == n:
            return np.sum(h)
        h = np.tanh(h * 1.5)
    return np.sum(h ** 2)


def newton_sqrt_until_converged(a):
    x = a
    while True:
        nxt = 0.5 * (x + a / x)
        if abs(nxt - x) < 1e-12:
            break
        x = nxt
    return x


def bisection_polished_by_newton(c):
    lo, hi = 0.0, 2.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if mid ** 3 - c > 0:
            hi = mid
        else:
            lo = mid
    x = 0.5 * (lo + hi)
    return x - (x ** 3 - c) / (3.0 * x ** 2)


def fixed_point_with_a_tolerance(theta):
    x = np.zeros(3)
    it = 0
    while it < 200:
        new = np.tanh(theta @ x + 0.5)
        if np.max(np.abs(new - x)) < 1e-13:
            x = new
            break
        x = new
        it += 1
    return np.sum(x ** 2)


def while_with_else(x):
    s = 0.0
    i = 0
    while i < 3:
        s = s + x[i] * (i + 1)
        i += 1
    else:
        s = s * 2.0
    return s ** 2


def for_with_else_and_break(x):
    out = 0.0
    for v in x:
        if v > 10.0:
            break
        out = out + v ** 2
    else:
        out = out + 1.0
    return out


def continue_on_a_value(x):
    total = 0.0
    for v in x:
        if v < 0:
            continue
        total = total + np.sqrt(v)
    return total


def recursive_horner(coeffs, x):
    if len(coeffs) == 1:
        return coeffs[0]
    return coeffs[0] + x * recursive_horner(coeffs[1:], x)


def recursive_power(x, n=4):
    return 1.0 if n == 0 else x * recursive_power(x, n - 1)


def nested_early_returns(a, b):
    if a > 0:
        if b > 0:
            return a * b
        return a - b ** 2
    return np.exp(a) + b


def loop_over_reversed_range(x):
    h = 0.0
    for i in reversed(range(len(x))):
        h = np.tanh(h + x[i])
    return h


def pairwise_and_combinations(x):
    s = sum((b - a) ** 2 for a, b in itertools.pairwise(x))
    t = sum(x[i] * x[j] for i, j in itertools.combinations(range(len(x)), 2))
    return s + t


def product_of_index_ranges(A):
    return sum(A[i, j] * (i - j) ** 2 for i, j in itertools.product(range(3), range(3)))


def chained_comparison_branch(x):
    if -1.0 < x[0] < 1.0:
        return np.sum(x ** 2)
    return np.sum(np.abs(x))


def conditional_expression_in_a_loop(x):
    return sum(v ** 2 if v > 0 else -v for v in x)


def assert_and_ndim_checks(x):
    assert x.ndim == 1, "a vector"
    if x.ndim == 1:
        x = x[None, :]
    x = np.atleast_2d(x)
    return np.sum(x @ x.T)


def errstate_context(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(x > 0, np.log(np.abs(x) + 1e-300), 0.0)
    return np.sum(y * x)


def isinstance_branch(x, s):
    if isinstance(s, float):
        s = np.array([s])
    return np.sum(x * s)


def del_statement(x):
    tmp = x ** 2
    y = tmp + 1.0
    del tmp
    return np.sum(np.log(y))


CONTROL = [
    (global_call_counter, (X3,), 0, True),
    (global_history_appended, (X3,), 0, True),
    (early_return_in_a_loop, (X5,), 0, True),
    (early_return_on_a_constant_test, (X3, 4), 0, True),
    (newton_sqrt_until_converged, (2.3,), 0, True),
    (bisection_polished_by_newton, (1.7,), 0, True),
    (fixed_point_with_a_tolerance, (M3 * 0.3,), 0, True),
    (while_with_else, (X3,), 0, True),
    (for_with_else_and_break, (X3,), 0, True),
    (continue_on_a_value, (X5,), 0, True),
    (recursive_horner, (X4, 0.7), (0, 1), True),
    (recursive_power, (0.8,), 0, True),
    (nested_early_returns, (0.5, -0.3), (0, 1), True),
    (nested_early_returns, (-0.5, 0.3), (0, 1), True),
    (loop_over_reversed_range, (X4,), 0, True),
    (pairwise_and_combinations, (X4,), 0, True),
    (product_of_index_ranges, (M3,), 0, True),
    (chained_comparison_branch, (X3,), 0, True),
    (conditional_expression_in_a_loop, (X5,), 0, True),
    (assert_and_ndim_checks, (X3,), 0, True),
    (errstate_context, (X5,), 0, False),
    (isinstance_branch, (X3, 0.4), (0, 1), False),
    (del_statement, (X3,), 0, True),
]


# -- numerical idioms and optimizer-style signatures -------------------------------------------

def logsumexp_by_hand(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def logsumexp_rows_keepdims(A):
    m = A.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(A - m).sum(axis=1, keepdims=True))
    return np.sum(lse ** 2)


def log_softmax_cross_entropy(W, X, labels):
    logits = X @ W
    logits = logits - logits.max(axis=1, keepdims=True)
    logp = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(logp[np.arange(len(labels)), labels])


def softplus_stable(x):
    return np.sum(np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x))))


def softplus_by_logaddexp(x):
    return np.sum(np.logaddexp(0.0, x) ** 2)


def sigmoid_stable_by_where(x):
    pos = 1.0 / (1.0 + np.exp(-np.abs(x)))
    s = np.where(x >= 0, pos, 1.0 - pos)
    return np.sum(s * x)


def sigmoid_stable_by_masks(x):
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return np.sum(out ** 2)


def log_sigmoid_bce(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, -z) * y + np.logaddexp(0.0, z) * (1.0 - y))


def scipy_style_least_squares(theta, *args):
    X, y = args
    r = X @ theta[:-1] + theta[-1] - y
    return 0.5 * r @ r


def scipy_style_with_a_lambda_and_args(theta, X, y, lam=0.1):
    return np.sum((X @ theta - y) ** 2) + lam * theta @ theta


def scipy_style_star_args_and_kwargs(theta, *args, **kwargs):
    X = args[0]
    return np.sum(np.tanh(X @ theta)) * kwargs.get("scale", 1.0)


def args_tuple_unpacked_in_a_helper(theta, args):
    X, y = args
    return np.mean((X @ theta - y) ** 2)


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_loop(x):
    total = 0.0
    for i in range(len(x) - 1):
        total += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2
    return total


def negative_log_likelihood_gaussian(params, x):
    mu, log_sigma = params
    sigma = np.exp(log_sigma)
    return np.sum(np.log(sigma) + 0.5 * ((x - mu) / sigma) ** 2) + 0.5 * len(x) * np.log(2 * np.pi)


def reparameterised_sample_fixed_seed(mu, log_sigma):
    eps = np.random.default_rng(0).normal(size=mu.shape)
    z = mu + np.exp(log_sigma) * eps
    return np.mean(z ** 2) - np.sum(log_sigma)


def dropout_mask_fixed_seed(W, x):
    rng_local = np.random.default_rng(3)
    keep = rng_local.random(W.shape[0]) > 0.3
    h = np.tanh(W @ x) * keep / 0.7
    return np.sum(h ** 2)


def legacy_global_seed(x):
    np.random.seed(7)
    noise = np.random.randn(*x.shape)
    return np.sum((x + 0.1 * noise) ** 2)


def kl_of_gaussians(mu, log_var):
    return -0.5 * np.sum(1.0 + log_var - mu ** 2 - np.exp(log_var))


def huber_by_where(r, delta):
    a = np.abs(r)
    return np.sum(np.where(a <= delta, 0.5 * r ** 2, delta * (a - 0.5 * delta)))


def log_det_by_cholesky(A):
    S = A @ A.T + 3.0 * np.eye(3)
    L = np.linalg.cholesky(S)
    return 2.0 * np.sum(np.log(np.diag(L)))


def entropy_with_eps(logits):
    p = np.exp(logits - logits.max())
    p = p / p.sum()
    return -np.sum(p * np.log(p + 1e-12))


def gumbel_softmax_fixed_noise(logits, tau):
    g = -np.log(-np.log(np.random.default_rng(1).uniform(0.05, 0.95, size=logits.shape)))
    z = (logits + g) / tau
    z = z - z.max()
    return np.sum(np.exp(z) / np.exp(z).sum() * np.arange(len(logits)))


def normalise_by_norm(x):
    return np.sum(x / np.linalg.norm(x) * np.array([1.0, -2.0, 0.5]))


def cosine_similarity(a, b):
    return a @ b / (np.sqrt(a @ a) * np.sqrt(b @ b))


def polynomial_features_by_vander(x, w):
    return np.sum((np.vander(x, 3, increasing=True) @ w) ** 2)


def trapezoid_by_hand(y):
    dx = 0.1
    return dx * (np.sum(y) - 0.5 * (y[0] + y[-1]))


def finite_difference_laplacian(u):
    lap = np.zeros_like(u)
    lap[1:-1] = u[:-2] - 2.0 * u[1:-1] + u[2:]
    return 0.5 * np.sum(lap ** 2) + np.sum(u ** 4)


IDIOMS = [
    (logsumexp_by_hand, (X5,), 0, True),
    (logsumexp_rows_keepdims, (M34,), 0, True),
    (log_softmax_cross_entropy, (M3, XB, LABELS), 0, True),
    (softplus_stable, (X5,), 0, True),
    (softplus_by_logaddexp, (X5,), 0, True),
    (sigmoid_stable_by_where, (X5 * 3.0,), 0, True),
    (sigmoid_stable_by_masks, (X5 * 3.0,), 0, False),
    (log_sigmoid_bce, (X3, XB, (YB > 0).astype(float)), 0, True),
    (scipy_style_least_squares, (X4, XB, YB), 0, True),
    (scipy_style_with_a_lambda_and_args, (X3, XB, YB), 0, True),
    (scipy_style_star_args_and_kwargs, (X3, XB), 0, True),
    (args_tuple_unpacked_in_a_helper, (X3, (XB, YB)), 0, True),
    (rosenbrock, (X4,), 0, True),
    (rosenbrock_loop, (X4,), 0, True),
    (negative_log_likelihood_gaussian, ((0.3, -0.2), X5), 0, True),
    (reparameterised_sample_fixed_seed, (X3, X3 * 0.2), (0, 1), True),
    (dropout_mask_fixed_seed, (M3, X3), (0, 1), True),
    (legacy_global_seed, (X3,), 0, True),
    (kl_of_gaussians, (X3, X3[::-1] * 0.3), (0, 1), True),
    (huber_by_where, (X5 * 2.0, 0.8), (0, 1), True),
    (log_det_by_cholesky, (M3,), 0, True),
    (entropy_with_eps, (X5,), 0, True),
    (gumbel_softmax_fixed_noise, (X4, 0.7), (0, 1), True),
    (normalise_by_norm, (X3,), 0, True),
    (cosine_similarity, (X3, X3[::-1] + 0.2), (0, 1), True),
    (polynomial_features_by_vander, (X4, X3), (0, 1), False),
    (trapezoid_by_hand, (X5,), 0, True),
    (finite_difference_laplacian, (X6,), 0, False),
]


# -- values written into integer and boolean arrays, dtype conversions ---------------------

def written_into_an_int_array(w):
    y = np.zeros(3, dtype=int)
    y[0] = w[0] * 10.0
    return np.sum(y * w) + np.sum(w ** 2)


def slice_written_into_int_labels(w):
    y = LABELS.copy()
    y[:3] = w * 4.0
    return np.sum(y * 1.5) + np.sum(y[:3] * w)


def full_like_an_int_array(w):
    y = np.full_like(LABELS, w[0] * 3.0)
    return np.sum(y * w[1]) + w[0]


def empty_like_labels_filled(w):
    y = np.empty_like(LABELS)
    y[:] = w[0] * 7.0
    return np.sum(y) * w[1]


def zeros_like_an_int_array_added(w):
    y = np.zeros_like(LABELS) + w[0]
    return np.sum(y ** 2)


def array_of_values_as_ints(w):
    y = np.array([w[0] * 5.0, w[1] * 5.0], dtype=int)
    return np.sum(y * w[:2]) + w[2]


def asarray_as_ints(w):
    return np.sum(np.asarray(w * 3.0, dtype=np.int64) * w) + np.sum(w)


def astype_int_then_used(w):
    k = (w * 4.0).astype(int)
    return np.sum(k * w) + np.sum((w * 2.0).astype(np.float64) ** 2)


def written_into_a_bool_array(w):
    m = np.zeros(3, dtype=bool)
    m[0] = w[0]
    return np.sum(m * w) + np.sum(w ** 2)


def ones_int_scaled(w):
    y = np.ones(3, dtype=int)
    y = y * w
    y[1] = w[2] ** 2
    return np.sum(y ** 2)


def float32_midway(w):
    y = np.float32(w[0]) * w[1]
    z = w.astype(np.float32).astype(np.float64)
    return float(y) + np.sum(z ** 2)


def full_with_a_dtype(w):
    y = np.full(3, w[0], dtype=np.int32)
    z = np.full(3, w[1])
    return np.sum(y * w) + np.sum(z * w)


def int_array_added_in_place(w):
    y = np.arange(3)
    y[1] += w[0] * 10.0
    return np.sum(y * w)


def real_and_imag_of_a_real_array(w):
    return np.sum(w.real ** 2) + np.sum(w.imag * w) + np.sum(np.real(w) * w)


DTYPES = [
    (written_into_an_int_array, (X3,), 0, False),
    (slice_written_into_int_labels, (X3,), 0, False),
    (full_like_an_int_array, (X3,), 0, False),
    (empty_like_labels_filled, (X3,), 0, False),
    (zeros_like_an_int_array_added, (X3,), 0, False),
    (array_of_values_as_ints, (X3,), 0, False),
    (asarray_as_ints, (X3,), 0, False),
    (astype_int_then_used, (X3,), 0, False),
    (written_into_a_bool_array, (X3 + 0.1,), 0, False),
    (ones_int_scaled, (X3,), 0, False),
    (float32_midway, (X3,), 0, False),
    (full_with_a_dtype, (X3 * 3.0,), 0, False),
    (int_array_added_in_place, (X3,), 0, False),
    (real_and_imag_of_a_real_array, (X3,), 0, False),
]


# -- indexing forms ---------------------------------------------------------------------------

def list_of_bools_as_a_mask(x):
    return np.sum(x[[True, False, True]] ** 2) * x[1]


def bool_array_literal_mask(x):
    keep = np.array([1, 0, 1], dtype=bool)
    return np.sum(x[keep] ** 3)


def tuple_index_is_an_entry(A):
    return A[(0, 1)] ** 2 + np.sum(A[[0, 1]]) + A[1, 2]


def tuple_index_from_a_name(A):
    t = (2, 0)
    rows = [2, 0]
    return A[t] * np.sum(A[rows] ** 2)


def index_with_a_slice_object(A):
    idx = (0, slice(1, None))
    s = slice(None, None, -1)
    return np.sum(A[idx] ** 2) + np.sum(A[s][0] * A[0])


def negative_steps_and_out_of_range(x):
    return (np.sum(x[::-1][1:] * x[1:]) + np.sum(x[-1:0:-1] ** 2) + np.sum(x[5:1:-2])
            + np.sum(x[2:100] ** 3) + np.sum(x[-100:2]))


def new_axes_and_ellipsis(A):
    return np.sum(A[None, ..., None] * A[:, None, :, None]) + np.sum(A[..., 1] ** 2)


def numpy_int_scalars_as_indices(x):
    i = np.int64(2)
    j = np.argmax(np.array([0.0, 3.0, 1.0]))
    return x[i] * x[j] + x[np.intp(0)] ** 2


def fancy_2d_assignment(A, v):
    B = A * 1.0
    B[[0, 1], [1, 2]] = v[:2]
    return np.sum(B @ B)


def ix_update(A, v):
    B = A * 1.0
    B[np.ix_([0, 2], [1])] += v[:2, None]
    return np.sum(B ** 2 * A)


def mask_2d_assignment(A, w):
    B = A * 1.0
    B[A > 0] = w
    return np.sum(B @ A)


def mask_2d_scaled_by_a_parameter(A, w):
    B = A * 1.0
    B[B < 0] *= w
    return np.sum(B ** 2)


def row_mask_with_a_slice(A):
    B = A * 1.0
    cols = np.array([True, False, True])
    B[:, cols] = B[:, cols] ** 2
    B[0, A[0] > 0] = 0.5
    return np.sum(B * A)


def take_along_an_axis(A):
    idx = np.argsort(A, axis=1)[:, :2]
    return np.sum(np.take_along_axis(A, idx, axis=1) ** 2) + np.sum(np.take(A, 1, axis=1))


def list_of_lists_index(A):
    return np.sum(A[[[0, 1], [2, 2]]] ** 2) + np.sum(A[[0, 2], :][:, [1]])


def index_by_a_computed_integer(x):
    k = len(x) // 2
    return x[k] ** 2 + x[k - 1] * x[-k]


def columns_swapped_through_views(A):
    B = A * 1.0
    B[:, 0], B[:, 1] = B[:, 1], B[:, 0]
    return np.sum(B * np.arange(9.0).reshape(3, 3))


def overlapping_slice_assignment(x):
    y = x * 1.0
    y[1:] = y[:-1]
    return np.sum(y * np.arange(1.0, 1.0 + len(x)))


def overlapping_slice_added(x):
    y = x * 1.0
    y[1:] += y[:-1]
    return np.sum(y * np.arange(1.0, 1.0 + len(x)))


def reversed_self_assignment(x):
    y = x * 1.0
    y[:] = y[::-1]
    return np.sum(y * np.arange(1.0, 1.0 + len(x)))


def out_is_a_slice_of_the_input(x):
    y = x * 1.0
    np.add(y[:-1], y[1:], out=y[1:])
    return np.sum(y * np.arange(1.0, 1.0 + len(x)))


def out_is_a_column(A, v):
    B = A * 1.0
    np.multiply(B[:, 0], v, out=B[:, 1])
    return np.sum(B ** 2)


def scalar_broadcast_into_a_slice(x, s):
    y = x * 1.0
    y[1:3] = s
    y[:1] = x[2:3]
    return np.sum(y * x)


INDEXING = [
    (list_of_bools_as_a_mask, (X3,), 0, False),
    (bool_array_literal_mask, (X3,), 0, True),
    (tuple_index_is_an_entry, (M3,), 0, True),
    (tuple_index_from_a_name, (M3,), 0, True),
    (index_with_a_slice_object, (M3,), 0, True),
    (negative_steps_and_out_of_range, (X6,), 0, True),
    (new_axes_and_ellipsis, (M23,), 0, True),
    (numpy_int_scalars_as_indices, (X3,), 0, True),
    (fancy_2d_assignment, (M3, X3), (0, 1), False),
    (ix_update, (M3, X3), (0, 1), False),
    (mask_2d_assignment, (M3, 0.6), (0, 1), False),
    (mask_2d_scaled_by_a_parameter, (M3, 0.6), (0, 1), False),
    (row_mask_with_a_slice, (M3,), 0, False),
    (take_along_an_axis, (M34,), 0, False),
    (list_of_lists_index, (M3,), 0, True),
    (index_by_a_computed_integer, (X5,), 0, True),
    (columns_swapped_through_views, (M3,), 0, False),
    (overlapping_slice_assignment, (X4,), 0, False),
    (overlapping_slice_added, (X4,), 0, False),
    (reversed_self_assignment, (X4,), 0, False),
    (out_is_a_slice_of_the_input, (X4,), 0, False),
    (out_is_a_column, (M3, X3), (0, 1), False),
    (scalar_broadcast_into_a_slice, (X4, 0.3), (0, 1), False),
]


# -- library calls with constants beside the values differentiated ------------------------

def diff_with_prepend_and_append(x):
    return np.sum(np.diff(x, prepend=1.0) ** 2) + np.sum(np.diff(x, append=x[0]) ** 3)


def diff_of_order_two_with_prepend(x):
    return np.sum(np.diff(x, n=2, prepend=[0.5, 0.25]) ** 2)


def interp_with_left_and_right(fp):
    xp = np.array([0.0, 1.0, 2.0, 3.0])
    xq = np.array([-0.5, 0.3, 1.7, 3.5])
    return np.sum(np.interp(xq, xp, fp, left=2.0, right=-1.0) ** 2)


def interp_with_a_period(fp):
    xp = np.array([0.0, 1.0, 2.0, 3.0])
    return np.sum(np.interp(np.array([3.5, -0.2, 1.2]), xp, fp, period=4.0) * np.array([1.0, 2.0, 3.0]))


def nan_to_num_with_values(x):
    y = np.log(x)
    return np.sum(np.nan_to_num(y, nan=0.5, neginf=-3.0) * x)


def insert_and_append_constants(x):
    y = np.insert(x, 1, 2.5)
    z = np.append(x ** 2, 1.0)
    return np.sum(y * z)


def r_and_hstack_with_numbers(x):
    y = np.r_[1.0, x, 0.5]
    z = np.hstack([2.0, x[::-1], 1.5])
    return np.sum(y * z) + np.sum(np.concatenate([x, [1.0]]) ** 2)


def clip_with_bounds_differentiated(x, lo, hi):
    return np.sum(np.clip(x, lo, hi) ** 2)


def clip_with_array_bounds(x, lo):
    return np.sum(np.clip(x, lo, lo + 1.0) * x)


def full_like_a_value(x, c):
    return np.sum(np.full_like(x, c) * x) + np.sum(np.full_like(x, 2.0) * x ** 2)


def bincount_weights_minlength(w):
    idx = np.array([0, 2, 2, 4])
    return np.sum(np.bincount(idx, weights=w, minlength=6) * np.arange(6.0))


def polyval_both(p, x):
    return np.sum(np.polyval(p, x) ** 2)


def trapezoid_with_coordinates(y, x):
    return np.trapezoid(y ** 2, x)


def gradient_with_coordinates(f):
    xs = np.array([0.0, 0.5, 1.5, 3.0, 3.5])
    return np.sum(np.gradient(f, xs) ** 2) + np.sum(np.gradient(f, 0.5, edge_order=2))


def linspace_with_differentiated_ends(a, b):
    t = np.linspace(a, b, 5)
    return np.sum(np.sin(t))


def where_with_numbers(x):
    return np.sum(np.where(x > 0, x, 0.3) ** 2) + np.sum(np.where(x < 0.5, 1.0, x ** 3))


def triu_tril_offsets(A):
    return np.sum(np.triu(A, 1) ** 2) + np.sum(np.tril(A, -1) * A) + np.sum(np.triu(A, -1) * 2.0)


def kron_outer_inner(a, b):
    return np.sum(np.kron(a, b) ** 2) + np.sum(np.outer(a, b) * 0.5) + np.inner(a, b) + np.vdot(a, b)


def cross_product(a, b):
    return np.sum(np.cross(a, b) ** 2)


def meshgrid_of_values(a, b):
    X, Y = np.meshgrid(a, b)
    return np.sum(np.sin(X) * Y ** 2)


def tensordot_int_axes(A, B):
    return np.sum(np.tensordot(A, B, axes=1) ** 2) + np.tensordot(A, A, axes=2)


def cumsum_reversed_and_roll(x):
    return np.sum(np.cumsum(x[::-1])[::-1] * x) + np.sum(np.roll(x, -1) * x)


def diag_with_offset(v):
    return np.sum(np.diag(v, k=1) @ np.diag(v, k=-1)) + np.sum(np.diag(np.diag(v)))


def sort_descending_topk(x):
    top = np.sort(x)[::-1][:3]
    return np.sum(top * np.array([3.0, 2.0, 1.0]))


def einsum_trace_and_diagonal(A):
    return np.einsum("ii", A) ** 2 + np.sum(np.einsum("ii->i", A) * A[0]) + np.einsum("ij,ij", A, A)


def logspace_from_parameters(a):
    return np.sum(np.logspace(0.0, a, 4))


def append_along_an_axis(A, v):
    return np.sum(np.append(A, v[None, :], axis=0) ** 2) + np.sum(np.insert(A, 0, v, axis=1))


def pad_constant_edge(x):
    return np.sum(np.pad(x, (1, 2), constant_values=0.5) * np.arange(7.0)) + np.sum(np.pad(x, 1, mode="edge") ** 2)


LIBRARY = [
    (diff_with_prepend_and_append, (X4,), 0, False),
    (diff_of_order_two_with_prepend, (X4,), 0, False),
    (interp_with_left_and_right, (X4,), 0, False),
    (interp_with_a_period, (X4,), 0, False),
    (nan_to_num_with_values, (np.abs(X4) + 0.1,), 0, False),
    (insert_and_append_constants, (X3,), 0, False),
    (r_and_hstack_with_numbers, (X3,), 0, False),
    (clip_with_bounds_differentiated, (X5, -0.4, 0.6), (0, 1, 2), False),
    (clip_with_array_bounds, (X4, X4[::-1] * 0.3), (0, 1), False),
    (full_like_a_value, (X3, 0.7), (0, 1), False),
    (bincount_weights_minlength, (X4,), 0, False),
    (polyval_both, (X3, X4), (0, 1), False),
    (trapezoid_with_coordinates, (X5, np.cumsum(np.abs(X5))), (0, 1), False),
    (gradient_with_coordinates, (X5,), 0, False),
    (linspace_with_differentiated_ends, (0.3, 1.7), (0, 1), True),
    (where_with_numbers, (X5,), 0, True),
    (triu_tril_offsets, (M3,), 0, True),
    (kron_outer_inner, (X3, X3[::-1] + 0.5), (0, 1), False),
    (cross_product, (X3, X3[::-1] + 0.5), (0, 1), True),
    (meshgrid_of_values, (X3, X4), (0, 1), False),
    (tensordot_int_axes, (M3, M34), (0, 1), True),
    (cumsum_reversed_and_roll, (X4,), 0, True),
    (diag_with_offset, (X3,), 0, True),
    (sort_descending_topk, (X5,), 0, True),
    (einsum_trace_and_diagonal, (M3,), 0, False),
    (logspace_from_parameters, (0.7,), 0, False),
    (append_along_an_axis, (M3, X3), (0, 1), False),
    (pad_constant_edge, (X4,), 0, False),
]


# -- Python's object model: closures, lazy views, dynamic keys, containers ------------------

def closure_sees_a_later_change(x):
    y = x * 1.0
    g = lambda: np.sum(y ** 2)   # noqa: E731
    y *= 2.0
    return g()


def generator_sees_a_later_change(x):
    y = x * 1.0
    gen = (v ** 2 for v in y)
    y *= 3.0
    return sum(gen)


def dict_values_view_is_live(x):
    d = {"a": x[0], "b": x[1]}
    vals = d.values()
    d["a"] = x[2] * 10.0
    return sum(vals)


def keys_built_by_f_strings(params, x):
    h = x
    for i in range(2):
        h = np.tanh(h @ params[f"W{i}"] + params["b" + str(i)])
    return np.sum(h ** 2)


def getattr_over_names(p):
    return sum(np.sum(getattr(p, name) ** 2) for name in ("a", "b"))


def dict_update_on_a_copy(params, x):
    p = dict(params)
    p.update({"b1": params["b1"] * 2.0})
    return np.sum(x * p["w1"] + p["b1"]) ** 2


def setdefault_and_defaultdict(x):
    acc = {}
    for i, v in enumerate(x):
        acc.setdefault(i % 2, []).append(v ** 2)
    return sum(sum(vs) * (k + 1) for k, vs in acc.items())


def list_methods_on_scalars(x):
    vals = [x[0], x[1] ** 2, x[2] * 3.0]
    vals.insert(1, x[1] * x[2])
    last = vals.pop()
    vals.extend([last, x[0] ** 3])
    del vals[0]
    return sum(v * (i + 1) for i, v in enumerate(vals, start=1))


def list_repeated_and_concatenated(layers, x):
    stack = layers[:1] * 2 + layers[1:]
    for W, b in stack:
        x = np.tanh(x @ W + b)
    return np.sum(x)


def zip_strict(xs, ws):
    return sum(np.sum(x * w) for x, w in zip(xs, ws, strict=True))


def range_counting_down(x):
    out = 0.0
    for i in range(len(x) - 1, -1, -1):
        out = out * 0.5 + x[i] ** 2
    return out


def activation_by_name(x, act="tanh"):
    acts = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0)}
    return np.sum(acts[act](x) ** 2)


def keyword_only_hyperparameters(w, X, y, *, lam=0.1, power=2):
    return np.mean((X @ w - y) ** 2) + lam * np.sum(np.abs(w) ** power)


def kwargs_forwarded_to_a_helper(w, X, **hyper):
    return penalised(w, X, **hyper)


def penalised(w, X, lam=0.5, scale=1.0):
    return scale * np.sum(np.tanh(X @ w)) + lam * w @ w


def itemgetter_on_parameters(params):
    w1, b2 = operator.itemgetter("w1", "b2")(params)
    return np.sum(w1 ** 2) * b2


def apply_along_axis_rows(A):
    return np.sum(np.apply_along_axis(lambda r: np.sum(r ** 2), 1, A))


def stack_of_a_comprehension(A):
    return np.sum(np.stack([np.tanh(row) * row[0] for row in A]) ** 2)


def map_over_rows(A):
    return sum(map(np.sum, A ** 2)) + sum(map(lambda r: r[0] * r[1], A))


def max_index_by_a_key(x):
    k = max(range(len(x)), key=lambda i: x[i])
    return x[k] ** 2 + np.sum(x)


def sorted_pairs_by_score(x, V):
    pairs = sorted(zip(x, V), key=lambda t: t[0])
    return sum(s * np.sum(v ** 2) * (i + 1) for i, (s, v) in enumerate(pairs))


def accumulated_into_a_0d_array(x):
    acc = np.zeros(())
    for v in x:
        acc += v ** 2
    return acc * 1.0


def accumulated_into_a_one_entry_array(x):
    loss = np.zeros(1)
    for v in x:
        loss += np.sin(v)
    return loss[0]


def preallocated_rows_filled(A, w):
    out = np.empty((A.shape[0], 2))
    for i in range(A.shape[0]):
        out[i] = [A[i] @ w, np.sum(A[i]) * w[0]]
    return np.sum(out ** 2)


def columns_filled_in_a_loop(A):
    out = np.zeros((3, 3))
    for j in range(3):
        out[:, j] = A[:, j] * (j + 1.0) + A[j, 0]
    return np.sum(out @ A)


def numpy_mean_of_a_list_of_scalars(x):
    return np.mean([x[0] ** 2, x[1], np.sin(x[2])]) + np.std([x[0], x[1]])


def average_with_weights_differentiated(x, w):
    return np.average(x ** 2, weights=np.exp(w))


def covariance_and_correlation(X):
    return np.sum(np.cov(X.T) ** 2) + np.sum(np.corrcoef(X.T))


def median_and_percentile(x):
    return np.median(x) ** 2 + np.percentile(x, 30.0)


def statistics_module(x):
    import statistics
    return statistics.mean([x[0], x[1] ** 2]) * 2.0


PYTHON = [
    (closure_sees_a_later_change, (X3,), 0, False),
    (generator_sees_a_later_change, (X3,), 0, False),
    (dict_values_view_is_live, (X3,), 0, True),
    (keys_built_by_f_strings, ({"W0": M3 * 0.5, "b0": X3, "W1": SPD * 0.1, "b1": X3 * 0.2}, X3), 0, True),
    (getattr_over_names, (Pair(X3, X4),), 0, False),
    (dict_update_on_a_copy, (FLAT, X3), 0, True),
    (setdefault_and_defaultdict, (X5,), 0, True),
    (list_methods_on_scalars, (X3,), 0, True),
    (list_repeated_and_concatenated, (LAYERS, X3), 0, True),
    (zip_strict, ([X3, X4], [X3 * 2.0, X4 + 1.0]), (0, 1), True),
    (range_counting_down, (X4,), 0, True),
    (activation_by_name, (X3, "relu"), 0, True),
    (activation_by_name, (X3, "tanh"), 0, True),
    (keyword_only_hyperparameters, (X3, XB, YB), 0, True),
    (kwargs_forwarded_to_a_helper, (X3, XB), 0, True),
    (itemgetter_on_parameters, (FLAT,), 0, True),
    (apply_along_axis_rows, (M34,), 0, False),
    (stack_of_a_comprehension, (M34,), 0, True),
    (map_over_rows, (M34,), 0, True),
    (max_index_by_a_key, (X4,), 0, True),
    (sorted_pairs_by_score, (X3, M34), (0, 1), True),
    (accumulated_into_a_0d_array, (X3,), 0, False),
    (accumulated_into_a_one_entry_array, (X3,), 0, False),
    (preallocated_rows_filled, (B43, X3), (0, 1), False),
    (columns_filled_in_a_loop, (M3,), 0, False),
    (numpy_mean_of_a_list_of_scalars, (X3,), 0, True),
    (average_with_weights_differentiated, (X4, X4[::-1]), (0, 1), False),
    (covariance_and_correlation, (B43,), 0, False),
    (median_and_percentile, (X5,), 0, False),
    (statistics_module, (X3,), 0, False),
]


# -- ties between a value and itself, zeros in products, remainders, odd axes ------------------

def maximum_of_a_value_and_itself(x):
    return np.sum(np.maximum(x, x) ** 2) + np.sum(np.minimum(x * 1.0, x) * 3.0)


def max_over_stacked_copies(x):
    return np.max(np.stack([x, x])) + np.sum(np.max(np.vstack([x, x, x]), axis=0) ** 2)


def builtin_max_of_equal_values(x):
    return max(x[0], x[0]) * 2.0 + min(x[1], x[1] * 1.0) ** 2


def clip_bound_equal_to_the_value(x):
    return np.sum(np.clip(x, x, x + 1.0) ** 2) + np.sum(np.clip(x, x - 1.0, x) * x)


def fmax_and_max_reduce_ties(x):
    return np.sum(np.fmax(x, x)) + np.maximum.reduce([x, x]).sum() ** 2


def amax_of_a_concatenation(x):
    return np.amax(np.concatenate([x, x])) * np.amin(np.concatenate([x, x[::-1]]))


def sort_with_ties(x):
    y = np.sort(np.concatenate([x, x]))
    return np.sum(y * np.arange(1.0, 1.0 + 2 * len(x)))


def median_of_an_even_length_with_ties(x):
    return np.median(np.concatenate([x, x])) ** 2


def prod_with_an_exact_zero(x):
    y = x * 1.0
    y[1] = 0.0 * y[1]
    return np.prod(x * np.array([1.0, 0.0, 1.0, 1.0])) + y.prod() + np.prod(x)


def prod_through_a_zero_entry(x):
    return np.prod(x) + np.sum(np.cumprod(x)) + np.prod(x, axis=0, keepdims=True).sum()


def remainder_of_values(x):
    return np.sum((x * 3.0) % 1.0 * x) + np.sum(np.fmod(x * 5.0, 2.0)) + np.sum(np.remainder(x, 0.7) ** 2)


def modf_and_divmod(x):
    frac, whole = np.modf(x * 2.5)
    q, r = divmod(x[0] * 4.0, 1.5)
    return np.sum(frac * x) + np.sum(whole) + r * q + r ** 2


def floor_divide_and_ldexp(x):
    return np.sum(np.floor_divide(x, 0.3) * x) + np.sum(np.ldexp(x, 3) ** 2)


def copysign_and_abs_forms(x):
    return np.sum(np.copysign(x, -1.0) * x) + np.sum(np.fabs(x) ** 3) + np.sum(np.absolute(x))


def math_functions_of_entries(x):
    a, b, c = x[0], x[1], x[2]
    return (math.log(abs(a) + 1.0, 3) + math.log2(b * b + 1.0) + math.log10(c * c + 2.0)
            + math.expm1(a) + math.log1p(b * b) + math.hypot(a, b, c) + math.atan2(a, b)
            + math.pow(abs(c) + 0.5, 1.5) + math.copysign(a, -1.0) + math.fabs(b))


def math_special_functions(x):
    a = abs(x[0]) + 0.5
    return math.gamma(a) + math.lgamma(a + 1.0) + math.erf(x[1]) + math.erfc(x[2]) + math.cbrt(a) + math.exp2(x[1])


def math_prod_and_dist(x):
    return math.prod([x[0], x[1], 2.0]) + math.dist([x[0], x[1]], [0.5, x[2]])


def numpy_exponents_and_logs(x):
    return (np.sum(np.exp2(x)) + np.sum(np.log2(x ** 2 + 1.0)) + np.sum(np.log10(x ** 2 + 1.0))
            + np.sum(np.power(2.0, x)) + np.sum(np.float_power(np.abs(x) + 0.5, 1.5)) + np.sum(x ** -2))


def reductions_over_an_empty_axis_tuple(A):
    return np.sum(np.sum(A, axis=()) ** 2) + np.sum(np.max(A, axis=()) * A) + np.sum(np.mean(A, axis=()))


def reductions_over_axis_tuples(T):
    return (np.sum(np.sum(T, axis=(0, 2)) ** 2) + np.sum(np.max(T, axis=(1, 2)))
            + np.sum(np.mean(T, axis=(-1, 0), keepdims=True) * T) + np.sum(np.std(T, axis=(0, 1))))


def sums_with_keepdims_none(A):
    return np.sum(np.sum(A, axis=None, keepdims=True) * A) + np.sum(A.max(axis=None, keepdims=True) * A)


TIES = [
    (maximum_of_a_value_and_itself, (X4,), 0, False),
    (max_over_stacked_copies, (X4,), 0, False),
    (builtin_max_of_equal_values, (X3,), 0, False),
    (clip_bound_equal_to_the_value, (X3,), 0, False),
    (fmax_and_max_reduce_ties, (X3,), 0, False),
    (amax_of_a_concatenation, (X4,), 0, False),
    (sort_with_ties, (X3,), 0, False),
    (median_of_an_even_length_with_ties, (X3,), 0, False),
    (prod_with_an_exact_zero, (X4,), 0, False),
    (prod_through_a_zero_entry, (np.array([0.7, 0.0, -1.3, 0.4]),), 0, False),
    (prod_through_a_zero_entry, (np.array([0.0, 0.5, 0.0, 2.0]),), 0, False),
    (remainder_of_values, (X4,), 0, False),
    (modf_and_divmod, (X3,), 0, False),
    (floor_divide_and_ldexp, (X3,), 0, False),
    (copysign_and_abs_forms, (X4,), 0, False),
    (math_functions_of_entries, (X3,), 0, False),
    (math_special_functions, (X3,), 0, False),
    (math_prod_and_dist, (X3,), 0, False),
    (numpy_exponents_and_logs, (X4,), 0, False),
    (reductions_over_an_empty_axis_tuple, (M3,), 0, False),
    (reductions_over_axis_tuples, (rng.normal(size=(2, 3, 4)),), 0, False),
    (sums_with_keepdims_none, (M3,), 0, False),
]


# -- loops over arrays changed while they are walked; loop variables after the loop -------------

def loop_over_an_array_it_changes(x):
    y = x * 1.0
    for v in y:
        y[-1] += v
    return np.sum(y ** 2)


def enumerate_adds_into_the_next(x):
    y = x * 1.0
    for i, v in enumerate(y[:-1]):
        y[i + 1] += v * 0.5
    return np.sum(y * np.arange(1.0, 1.0 + len(x)))


def rows_walked_while_the_matrix_changes(A):
    B = A * 1.0
    for i, row in enumerate(B):
        B[(i + 1) % 3] += row
    return np.sum(B ** 2)


def list_items_walked_while_replaced(x):
    vals = [x[0], x[1], x[2]]
    for i, v in enumerate(vals):
        if i + 1 < len(vals):
            vals[i + 1] = vals[i + 1] + v ** 2
    return sum(vals)


def loop_variable_after_the_loop(x):
    for v in x:
        pass
    for i in range(len(x)):
        w = x[i] * 2.0
    return v ** 2 + x[i] * w


def loop_variable_rebound_in_the_body(x):
    acc = 0.0
    for v in x:
        v = v * 2.0
        v += 1.0
        acc = acc + v ** 2
    return acc


def shrinking_array_in_a_loop(x):
    y = x
    total = 0.0
    while len(y) > 1:
        y = 0.5 * (y[1:] + y[:-1]) * y[0]
        total = total + np.sum(y)
    return total + y[0]


def parameter_rebound_in_a_loop(W, x):
    for _ in range(3):
        W = W * 0.9 + 0.1 * np.tanh(W)
        x = W @ x
    return np.sum(x)


def break_out_of_a_nested_loop(A):
    total = 0.0
    for i in range(3):
        for j in range(3):
            if i + j > 2:
                break
            total = total + A[i, j] ** 2
    return total


def trip_count_from_a_value(x):
    n = int(abs(x[0]) * 3) + 1
    y = x
    for _ in range(n):
        y = np.sin(y) + x
    return np.sum(y)


def dict_values_replaced_while_walking_keys(params):
    p = dict(params)
    for k in p:
        p[k] = p[k] * 2.0 + 0.1
    return sum(np.sum(v ** 2) for v in p.values())


def in_place_scan_over_rows(A):
    B = A * 1.0
    for i in range(1, B.shape[0]):
        B[i] = np.tanh(B[i] + B[i - 1] @ A)
    return np.sum(B)


LOOPS = [
    (loop_over_an_array_it_changes, (X3,), 0, False),
    (enumerate_adds_into_the_next, (X4,), 0, False),
    (rows_walked_while_the_matrix_changes, (M3,), 0, False),
    (list_items_walked_while_replaced, (X3,), 0, True),
    (loop_variable_after_the_loop, (X3,), 0, True),
    (loop_variable_rebound_in_the_body, (X3,), 0, True),
    (shrinking_array_in_a_loop, (X4,), 0, True),
    (parameter_rebound_in_a_loop, (M3 * 0.5, X3), (0, 1), True),
    (break_out_of_a_nested_loop, (M3,), 0, True),
    (trip_count_from_a_value, (X3,), 0, False),
    (dict_values_replaced_while_walking_keys, (FLAT,), 0, True),
    (in_place_scan_over_rows, (M3,), 0, False),
]


# -- objects passed as parameters, modules under other names, statements around the maths ------

class Params:
    """A plain class holding arrays (not a dataclass)."""

    def __init__(self, W, b):
        self.W = W
        self.b = b


def plain_object_of_parameters(p, x):
    return np.sum(np.tanh(x @ p.W + p.b) ** 2)


def simple_namespace_of_parameters(p, x):
    return np.sum((x * p.scale + p.shift) ** 2)


def method_of_an_argument_object(p, x):
    return p.energy(x)


class Energy:
    def __init__(self, k):
        self.k = k

    def energy(self, x):
        return 0.5 * self.k * np.sum(x ** 2)


def module_aliases(x):
    import numpy
    import numpy.linalg as la
    from numpy import exp as e
    from scipy.special import expit
    return la.norm(x) + numpy.sum(e(x)) + np.sum(expit(x)) + numpy.linalg.det(np.outer(x, x) + numpy.eye(3))


def raise_in_a_branch_not_taken(x):
    if x.ndim != 1:
        raise ValueError("a vector")
    loss = np.sum(x ** 2)
    if not np.isfinite(loss):
        raise FloatingPointError("diverged")
    return loss


def warnings_and_print_in_the_loss(x):
    import warnings
    loss = np.sum(np.cos(x))
    if loss > 100.0:
        warnings.warn("large loss")
    print(f"loss = {loss:.3f}", end="\r")
    return loss


def assert_on_a_value(x):
    loss = np.sum(x ** 2)
    assert loss >= 0.0, loss
    assert np.all(np.isfinite(x))
    return loss * 2.0


def numpy_random_reparameterised(mu, s):
    rng_local = np.random.default_rng(4)
    return np.sum((mu + s * rng_local.standard_normal(3)) ** 2)


def numpy_random_location_given(mu):
    rng_local = np.random.default_rng(0)
    return np.sum(rng_local.normal(mu, 1.0) ** 2)


def legacy_rand_times_a_value(x):
    np.random.seed(0)
    return np.sum(x * np.random.rand(3))


def shuffled_copy(x):
    rng_local = np.random.default_rng(3)
    y = x * 1.0
    rng_local.shuffle(y)
    return np.sum(y * np.arange(3.0))


def attention_masked_with_minus_infinity(S):
    mask = np.tril(np.ones((3, 3), dtype=bool))
    z = np.where(mask, S, -np.inf)
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)
    return np.sum(p * np.arange(9.0).reshape(3, 3))


def minus_infinity_assigned_then_logsumexp(s):
    z = s * 1.0
    z[1] = -np.inf
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m)))


def reciprocal_masked_by_a_product(x):
    y = np.where(x > 0, 1.0 / np.where(x > 0, x, 1.0), 0.0)
    return np.sum(y * (x > 0))


OBJECTS = [
    (plain_object_of_parameters, (Params(M3, X3), XB), 0, False),
    (simple_namespace_of_parameters, (__import__("types").SimpleNamespace(scale=0.7, shift=X3), X3), 0, False),
    (method_of_an_argument_object, (Energy(1.3), X3), 1, False),
    (module_aliases, (X3,), 0, False),
    (raise_in_a_branch_not_taken, (X3,), 0, True),
    (warnings_and_print_in_the_loss, (X3,), 0, False),
    (assert_on_a_value, (X3,), 0, True),
    (numpy_random_reparameterised, (X3, 0.5), (0, 1), True),
    (numpy_random_location_given, (X3,), 0, False),
    (legacy_rand_times_a_value, (X3,), 0, True),
    (shuffled_copy, (X3,), 0, False),
    (attention_masked_with_minus_infinity, (M3,), 0, False),
    (minus_infinity_assigned_then_logsumexp, (X4,), 0, False),
    (reciprocal_masked_by_a_product, (X4,), 0, True),
]


# -- state held in dicts and lists changed by helpers; results with named fields --------------

def rnn_step_into_a_state_dict(state, W, x):
    state["h"] = np.tanh(W @ state["h"] + x)
    state["steps"] = state["steps"] + 1


def rnn_with_a_state_dict(W, xs):
    state = {"h": np.zeros(3), "steps": 0}
    for x in xs:
        rnn_step_into_a_state_dict(state, W, x)
    return np.sum(state["h"] ** 2) / state["steps"]


def pushed_onto_a_history(history, v):
    history.append(v)


def history_list_filled_by_a_helper(x):
    history = []
    h = x
    for _ in range(3):
        h = np.sin(h) * 1.5
        pushed_onto_a_history(history, h)
    return sum(np.sum(v) for v in history)


def named_fields_of_linalg_results(A):
    S = A @ A.T + np.eye(3)
    eig = np.linalg.eigh(S)
    sv = np.linalg.svd(A)
    sl = np.linalg.slogdet(S)
    return np.sum(eig.eigenvalues ** 2) + np.sum(sv.S) + sl.logabsdet


def linalg_results_indexed(A):
    S = A @ A.T + np.eye(3)
    return np.sum(np.linalg.eigh(S)[0]) + np.linalg.slogdet(S)[1] + np.sum(np.linalg.svd(A, compute_uv=False))


def least_squares_pinv_and_solve(A, b):
    x1 = np.linalg.pinv(A) @ b
    x2 = np.linalg.solve(A.T @ A + np.eye(3), A.T @ b)
    x3 = np.linalg.lstsq(A, b, rcond=None)[0]
    return np.sum(x1 ** 2) + np.sum(x2) + np.sum(x3 * x1)


def batched_einsum_with_ellipsis(A, B):
    return np.sum(np.einsum("...ij,...jk->...ik", A, B, optimize=True) ** 2)


def qr_least_squares(A, b):
    Q, R = np.linalg.qr(A)
    return np.sum(np.linalg.solve(R, Q.T @ b) ** 2)


STATE = [
    (rnn_with_a_state_dict, (M3 * 0.5, [X3, X3 * 0.5, -X3]), 0, True),
    (history_list_filled_by_a_helper, (X3,), 0, True),
    (named_fields_of_linalg_results, (M3,), 0, False),
    (linalg_results_indexed, (M3,), 0, False),
    (least_squares_pinv_and_solve, (B43, X4), (0, 1), False),
    (batched_einsum_with_ellipsis, (rng.normal(size=(2, 3, 3)), rng.normal(size=(2, 3, 2))), (0, 1), False),
    (qr_least_squares, (B43, X4), (0, 1), False),
]


# -- the tests ---------------------------------------------------------------------------------

REFUSED = {
    "activation_by_name", "apply_along_axis_rows", "builtin_list_of_an_array",
    "chained_slice_write", "class_attribute_as_a_count",
    "clip_into_itself", "copyto_where", "cumsum_into_a_buffer", "dict_of_a_zip_of_values",
    "dict_values_view_is_live", "dot_into_a_buffer",
    "double_star_unpacking", "empty_like_labels_filled", "enumerate_adds_into_the_next",
    "exp_out_method_chain", "flat_read", "flat_write", "float32_midway",
    "floor_divide_and_ldexp", "generator_sees_a_later_change", "getattr_over_names",
    "global_call_counter", "history_list_filled_by_a_helper", "int_array_added_in_place",
    "itemgetter_on_parameters", "key_membership", "list_items_walked_while_replaced",
    "list_methods_on_scalars", "list_of_partials", "list_repeated_and_concatenated",
    "logspace_from_parameters", "math_functions_of_entries", "math_prod_and_dist",
    "max_index_by_a_key", "method_nonzero_and_compress", "method_ptp", "method_sum_with_where",
    "method_unbound_ndarray_sum", "modf_and_divmod", "named_fields_of_linalg_results",
    "numpy_random_location_given", "numpy_scalar_methods", "out_is_a_column",
    "pairwise_and_combinations", "partial_handed_to_a_helper", "partial_keyword_overridden",
    "partial_layer_with_weights", "partial_of_einsum", "partial_positional_data",
    "partial_sum_over_axis", "place_by_mask", "preallocated_rows_filled", "put_as_a_method",
    "put_at_indices", "putmask_values", "real_and_imag_of_a_real_array", "recursive_horner",
    "recursive_power", "reduce_over_layers", "reshaped_view_written", "resize_in_place",
    "row_views_in_a_list", "sequential_of_layers",
    "setdefault_and_defaultdict", "shuffled_copy", "slice_written_into_int_labels",
    "sorted_keys_reversed", "sorted_pairs_by_score", "statistics_module", "sum_into_a_buffer",
    "super_call_in_a_subclass", "super_init_and_call", "template_method_in_a_subclass",
    "view_method_written", "written_into_a_bool_array", "written_into_an_int_array",
    "zip_strict", "zip_values_with_weights",
}
#: refused when the code runs (a TypeError naming the line), not when it is transformed
REFUSED_WHEN_RUN = {"empty_like_labels_filled", "slice_written_into_int_labels"}

GROUPS = {"functools": FUNCTOOLS, "classes": CLASSES, "structures": STRUCTURES, "views": VIEWS,
          "methods": METHODS, "builtins": BUILTINS, "control": CONTROL, "idioms": IDIOMS,
          "dtypes": DTYPES, "indexing": INDEXING, "library": LIBRARY, "python": PYTHON,
          "ties": TIES, "loops": LOOPS, "objects": OBJECTS, "state": STATE}
ENTRIES = [(group, *entry) for group, entries in GROUPS.items() for entry in entries]
PROGRAMS = [e for e in ENTRIES if e[1].__name__ not in REFUSED]
REFUSALS = [e[:4] for e in ENTRIES if e[1].__name__ in REFUSED]
BY_NAME = {e[1].__name__: e[1:] for e in ENTRIES}


def test_every_refusal_is_a_program_here():
    assert REFUSED <= set(BY_NAME) and REFUSED_WHEN_RUN <= REFUSED


@pytest.mark.parametrize("group, f, args, wrt, by_autograd", PROGRAMS,
                         ids=[f"{p[0]}-{p[1].__name__}" for p in PROGRAMS])
def test_programs(group, f, args, wrt, by_autograd):
    check_program(f, args, wrt, by_autograd)


@pytest.mark.parametrize("group, f, args, wrt", REFUSALS,
                         ids=[f"{p[0]}-{p[1].__name__}" for p in REFUSALS])
def test_what_is_refused(group, f, args, wrt):
    """A TransformError at a line of this file (for a write into an array of ints the code
    checks when it runs, a TypeError naming the line)."""
    expected = TypeError if f.__name__ in REFUSED_WHEN_RUN else ad.TransformError
    with pytest.raises(expected) as info:
        ad.grad(f, wrt=wrt)(*args)
    assert f"{__file__.rsplit('/', 1)[-1]}:" in str(info.value).splitlines()[0]


SECOND_ORDER = ["logsumexp_by_hand", "softplus_stable", "rosenbrock", "method_cumsum_cumprod",
                "column_added_to", "power_and_divide_in_place", "loop_over_an_array_it_changes",
                "prod_through_a_zero_entry", "fixed_point_with_a_tolerance",
                "accumulated_into_a_0d_array", "scipy_style_least_squares",
                "sigmoid_stable_by_masks", "relu_by_mask_assignment", "reduce_matmul_chain"]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivatives(name):
    f, args, wrt, _ = BY_NAME[name]
    assert_hessian(f, *args, wrt=wrt[0] if isinstance(wrt, tuple) else wrt)


def scan_in_place(x):
    y = x * 1.0
    for i in range(1, len(y)):
        y[i] += np.tanh(y[i - 1])
    return y


def masked_and_swapped(x):
    y = x * 1.0
    y[y < 0] *= 2.0
    y[0], y[-1] = y[-1], y[0] ** 2
    return np.cumsum(y) * x


def numerical_jacobian(f, x, eps=1e-6):
    columns = []
    for i in range(len(x)):
        step = np.zeros_like(x)
        step[i] = eps
        columns.append((f(x + step) - f(x - step)) / (2 * eps))
    return np.stack(columns, axis=-1)


def softmax_with_a_masked_entry(x):
    z = x * 1.0
    z[1] = -np.inf
    z = z - z.max()
    return np.exp(z) / np.sum(np.exp(z))


@pytest.mark.parametrize("f", [scan_in_place, masked_and_swapped, softmax_with_a_masked_entry],
                         ids=case_id)
def test_jacobians_of_in_place_code(f):
    want = numerical_jacobian(f, X5)
    for mode in ("forward", "reverse"):
        assert_close(ad.jacobian(f, mode=mode)(X5), want, 1e-5, 1e-7, mode)


NUMBA = ["newton_sqrt_until_converged", "while_with_else", "index_by_a_computed_integer"]


@pytest.mark.parametrize("name", NUMBA)
def test_numba_backend_agrees(name):
    f, args, wrt, _ = BY_NAME[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error", NumbaFallbackWarning)   # these compile
        got = ad.grad(f, wrt=wrt, backend="numba")(*args)
    assert_close(got, ad.grad(f, wrt=wrt)(*args), 1e-10, 1e-12)


def test_scipy_minimize_with_the_gradient_as_jac():
    """The optimizer calls fun(theta, *args) and jac(theta, *args): the gradient takes the
    data as the objective does."""
    X = np.column_stack([XB, np.ones(len(XB))])
    y = X @ np.array([0.5, -1.0, 2.0, 0.3]) + 0.01 * np.arange(5.0)
    result = scipy.optimize.minimize(scipy_style_least_squares, np.zeros(4), args=(XB, y),
                                     jac=ad.grad(scipy_style_least_squares), method="BFGS",
                                     options={"gtol": 1e-10})
    assert result.success
    assert_close(result.x, np.linalg.lstsq(X, y, rcond=None)[0], 1e-5, 1e-7)
    value, g = ad.value_and_grad(scipy_style_least_squares)(result.x, XB, y)
    assert value == pytest.approx(result.fun) and np.max(np.abs(g)) < 1e-5


# -- what the probe found ----------------------------------------------------------------------

def linspace_into_ints(x, dtype=int):
    return np.sum(np.linspace(x[0], x[1] * 5.0, 4, dtype=dtype) * x[2])


def quantile_by_a_method_given(x, method="nearest"):
    return np.quantile(x, 0.3, method=method) + np.percentile(x, 40.0, method=method)


def average_returned_by_a_flag(x, flag=True):
    a, s = np.average(x, weights=np.abs(x) + 1.0, returned=flag)
    return a * s


def logsumexp_sign_by_a_flag(x, flag=True):
    v, s = scipy.special.logsumexp(x, return_sign=flag)
    return v * s


def det_overwritten_by_a_flag(A, flag=True):
    return scipy.linalg.det(A @ A.T + np.eye(3), overwrite_a=flag)


def quantile_nearest(x):
    return np.quantile(x, 0.3, method="nearest") + np.sum(x)


def padded_by_a_mode_given(x, mode="maximum"):
    return np.sum(np.pad(x, 2, mode=mode) * np.arange(8.0))


def padded_by_maximum(x):
    return np.sum(np.pad(x, 2, mode="maximum") * np.arange(8.0))


@pytest.mark.parametrize("f, args, message", [
    (linspace_into_ints, (X3,), r"dtype= of np\.linspace"),
    (quantile_by_a_method_given, (X5,), r"np\.(quantile|percentile) is differentiated with"),
    (average_returned_by_a_flag, (X4,), r"np\.average with returned=True"),
    (logsumexp_sign_by_a_flag, (X4,), r"logsumexp with return_sign=True"),
    (det_overwritten_by_a_flag, (M3,), r"scipy\.linalg\.det with overwrite_a=True")],
    ids=lambda v: getattr(v, "__name__", "-"))
def test_a_setting_given_by_a_name_is_refused_where_its_literal_would_be(f, args, message):
    """A rule's refusal that depends on a setting given by a name (``dtype=int``,
    ``method=m``, ``returned=flag``), which is not known when the code is made, was skipped:
    np.linspace(a, b, 4, dtype=int) was differentiated as floats (a gradient where the
    rounded values have none), np.quantile(x, q, method=m) as method='linear' (wrong), and
    np.average(..., returned=flag), logsumexp(..., return_sign=flag) failed in the gradient
    code. Refused now, in both modes, at the line."""
    for call in (lambda: ad.grad(f)(*args), lambda: ad.jvp(f)(*args, tangents=args[0])):
        with pytest.raises(ad.TransformError, match=message) as info:
            call()
        assert f"{__file__.rsplit('/', 1)[-1]}:" in str(info.value).splitlines()[0]
    # the literal settings the rules differentiate are differentiated
    assert_grad(quantile_literal_linear, X5)


def quantile_literal_linear(x):
    return (np.quantile(x, 0.3, method="linear") + np.percentile(x, 40.0)
            + np.sum(np.linspace(x[0], x[1], 4, retstep=False)) + np.average(x, returned=False)
            + scipy.special.logsumexp(x, return_sign=False))


@pytest.mark.parametrize("f", [quantile_nearest, padded_by_maximum], ids=case_id)
def test_forward_mode_refuses_what_reverse_mode_refuses(f):
    """np.quantile(x, q, method="nearest") and np.pad(x, 2, mode="maximum") are refused by
    their adjoints; their tangents had no such check, so jvp gave the tangent of linear
    interpolation or of edge padding (wrong). A tangent now refuses what its adjoint does."""
    for call in (lambda: ad.grad(f)(X4), lambda: ad.jvp(f)(X4, tangents=np.eye(4)[3])):
        with pytest.raises(ad.TransformError, match="differentiated"):
            call()


def test_a_pad_mode_given_by_a_name_is_checked_when_the_code_runs():
    # (pad_bar checked the mode for the gradient; the tangent padded the tangent with the
    # mode's own rule: the maximum of the tangents, a wrong jvp)
    for call in (lambda: ad.grad(padded_by_a_mode_given)(X4),
                 lambda: ad.jvp(padded_by_a_mode_given)(X4, tangents=np.eye(4)[3])):
        with pytest.raises(ValueError, match="np.pad with a ramp, statistic or empty mode"):
            call()
    assert_grad(padded_by_a_mode_given, X4, "edge")
