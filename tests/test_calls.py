"""Calls to user functions (SPEC.md: "calls to other user functions (transformed too,
recursively)"): helpers at module level, imported from another module
(tests/samples/cf_helpers.py), defined in an enclosing scope; called once, twice, in a
loop, with keyword and default arguments; returning tuples; calling other helpers;
returning early. Recursion is rejected with TransformError, never a wrong gradient.

Every gradient is compared with central finite differences (conftest.assert_grad) and,
where one is easy, with a closed form derived by hand.
"""

import re

import numpy as np
import pytest
from conftest import assert_close, assert_grad, nonzero, reals
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import adcompile as ad
from tests.samples import cf_helpers
from tests.samples.cf_helpers import clipped_square, rotate, scaled_softplus, smooth_abs, softplus

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

CF = settings(max_examples=15, deadline=None)

#: cf_helpers has its own SCALE (3.0): an inlined helper must read its module's global
SCALE = 5.0


def sig(z):
    """Reference sigmoid (not differentiated)."""
    return 1.0 / (1.0 + np.exp(-z))


def sech2(z):
    return 1.0 - np.tanh(z) ** 2


# ---------------------------------------------------------------------------
# module-level helpers
# ---------------------------------------------------------------------------

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def affine(W, x, b):
    return W @ x + b


def call_once(x):
    return sigmoid(x) * x


def call_twice(x, y):
    return sigmoid(x) * sigmoid(2.0 * y)


def call_nested(x, y):
    return sigmoid(sigmoid(x * y) + y)


def call_once_summed(x):
    return np.sum(call_once(x))


def call_affine(W, x, b):
    return np.sum(affine(W, x, b) ** 2)


def test_helper_called_once():
    for x in (0.7, -1.3):
        g = assert_grad(call_once, x)
        assert_close(g, sig(x) + x * sig(x) * (1 - sig(x)), 1e-12, 1e-14)
    x = np.array([0.5, -2.0, 1.0])
    g = assert_grad(call_once_summed, x)
    assert_close(g, sig(x) + x * sig(x) * (1 - sig(x)), 1e-12, 1e-14)


def test_helper_called_twice_with_different_arguments():
    x, y = 0.4, -0.9
    gx, gy = assert_grad(call_twice, x, y, wrt=(0, 1))
    assert_close(gx, sig(x) * (1 - sig(x)) * sig(2 * y), 1e-12, 1e-14)
    assert_close(gy, sig(x) * 2 * sig(2 * y) * (1 - sig(2 * y)), 1e-12, 1e-14)
    gx, gy = assert_grad(call_nested, x, y, wrt=(0, 1))
    inner = sig(x * y)
    outer = sig(inner + y)
    d_outer = outer * (1 - outer)
    assert_close(gx, d_outer * inner * (1 - inner) * y, 1e-12, 1e-14)
    assert_close(gy, d_outer * (inner * (1 - inner) * x + 1), 1e-12, 1e-14)


def test_helper_with_matrix_arguments():
    rng = np.random.default_rng(0)
    W, x, b = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=3)
    gW, gx, gb = assert_grad(call_affine, W, x, b, wrt=(0, 1, 2))
    r = W @ x + b
    assert_close(gW, 2 * np.outer(r, x), 1e-12, 1e-14)
    assert_close(gx, 2 * W.T @ r, 1e-12, 1e-14)
    assert_close(gb, 2 * r, 1e-12, 1e-14)


# --- names: the helper's locals and parameters must not clobber the caller's ---

def clobber(z):
    z = z * 2.0
    s = z + 1.0
    return s * z


def uses_same_names(x):
    z = x + 1.0
    s = np.sin(x)
    y = clobber(z)
    return y + z * s


def passes_its_own_argument(x):
    y = clobber(x)
    return x * y


def test_helper_locals_do_not_clobber_the_callers_variables():
    for x in (0.3, -1.7):
        z = x + 1.0
        g = assert_grad(uses_same_names, x)
        assert_close(g, 8 * z + 2 + np.sin(x) + z * np.cos(x), 1e-12, 1e-14)
        # x * (2x + 1)(2x) = 4x**3 + 2x**2
        assert_close(assert_grad(passes_its_own_argument, x), 12 * x ** 2 + 4 * x, 1e-12, 1e-14)


# --- in a loop ---------------------------------------------------------------------

def call_in_loop(x, w, n):
    h = x
    for i in range(n):
        h = sigmoid(w * h + 0.5)
    return h


def cell(W, h, x):
    return np.tanh(affine(W, h, x))


def rnn_with_cell(W, h0, xs):
    h = h0
    for t in range(len(xs)):
        h = cell(W, h, xs[t])
    return np.sum(h)


def test_helper_called_inside_a_loop():
    g = ad.grad(call_in_loop, wrt=(0, 1))
    for n in (0, 1, 5):
        gx, gw = assert_grad(call_in_loop, 0.3, 1.2, n, wrt=(0, 1))
        assert_close(g(0.3, 1.2, n), (gx, gw), 1e-14, 0)
    # by hand for n = 2
    h1 = sig(1.2 * 0.3 + 0.5)
    h2 = sig(1.2 * h1 + 0.5)
    gx, gw = g(0.3, 1.2, 2)
    assert_close(gx, h2 * (1 - h2) * 1.2 * h1 * (1 - h1) * 1.2, 1e-12, 1e-14)
    assert_close(gw, h2 * (1 - h2) * (h1 + 1.2 * h1 * (1 - h1) * 0.3), 1e-12, 1e-14)
    rng = np.random.default_rng(1)
    W, h0, xs = 0.5 * rng.normal(size=(4, 4)), rng.normal(size=4), rng.normal(size=(6, 4))
    assert_grad(rnn_with_cell, W, h0, xs, wrt=(0, 1, 2))


@CF
@given(x=reals(-2.0, 2.0), w=reals(-2.0, 2.0), n=st.integers(0, 6))
def test_helper_in_loop_property(x, w, n):
    assert_grad(call_in_loop, x, w, n, wrt=(0, 1))


# --- keyword and default arguments ----------------------------------------------------

def scaled(z, scale=2.0, shift=0.0):
    return scale * np.tanh(z) + shift * z


def keyword_calls(x, y):
    return scaled(x) + scaled(x, 3.0) + scaled(x, shift=y) + scaled(z=y, scale=x, shift=0.5)


def test_keyword_and_default_arguments():
    x, y = 0.6, -1.1
    gx, gy = assert_grad(keyword_calls, x, y, wrt=(0, 1))
    assert_close(gx, 2 * sech2(x) + 3 * sech2(x) + 2 * sech2(x) + y + np.tanh(y), 1e-12, 1e-14)
    assert_close(gy, x + x * sech2(y) + 0.5, 1e-12, 1e-14)


# --- tuples --------------------------------------------------------------------------

def normalize2(x, y):
    r = np.sqrt(x * x + y * y)
    return r, x / r, y / r


def tuple_unpacked(x, y):
    r, c, s = normalize2(x, y)
    return r * c + s * s


def tuple_indexed(x, y):
    res = normalize2(x, y)
    return res[0] * res[2] + res[1]


def test_helper_returning_a_tuple():
    for x, y in ((0.8, -0.6), (-1.5, 2.0)):
        r2 = x * x + y * y
        gx, gy = assert_grad(tuple_unpacked, x, y, wrt=(0, 1))
        # r c + s**2 = x + y**2 / r**2
        assert_close(gx, 1 - 2 * x * y ** 2 / r2 ** 2, 1e-12, 1e-14)
        assert_close(gy, 2 * y * x ** 2 / r2 ** 2, 1e-12, 1e-14)
        # r s + c = y + x / r
        gx, gy = assert_grad(tuple_indexed, x, y, wrt=(0, 1))
        assert_close(gx, y ** 2 / r2 ** 1.5, 1e-12, 1e-14)
        assert_close(gy, 1 - x * y / r2 ** 1.5, 1e-12, 1e-14)


# --- a helper calling a helper; a helper returning early -------------------------------

def dense(W, b, x, activation="tanh"):
    z = affine(W, x, b)
    if activation == "tanh":
        return np.tanh(z)
    return np.maximum(z, 0.0)


def leaky(z):
    if z > 0.0:
        return z * z
    return 0.1 * z


def leaky_product(x):
    return leaky(x) * leaky(-x)


def leaky_sum(x):
    s = 0.0
    for v in x:
        s = s + leaky(v)
    return s


def test_helper_calling_a_helper():
    rng = np.random.default_rng(2)
    W, b, x = rng.normal(size=(3, 2)), rng.normal(size=3), rng.normal(size=2)
    for f in (dense_tanh_loss, dense_relu_loss):
        assert_grad(f, W, b, x, wrt=(0, 1, 2))


def dense_tanh_loss(W, b, x):
    return np.sum(dense(W, b, x) ** 2)


def dense_relu_loss(W, b, x):
    return np.sum(dense(W, b, x, activation="relu") * np.arange(1.0, 4.0))


def test_helper_with_an_early_return_in_a_branch():
    g = ad.grad(leaky_product)
    for x in (0.7, -0.7, 1.5, -0.2):
        assert_close(assert_grad(leaky_product, x), -0.3 * x ** 2 if x > 0 else 0.3 * x ** 2,
                     1e-12, 1e-14)
        assert_close(g(x), -0.3 * x ** 2 if x > 0 else 0.3 * x ** 2, 1e-12, 1e-14)
    x = np.array([0.5, -1.0, 2.0, -0.1])
    assert_close(assert_grad(leaky_sum, x), np.where(x > 0, 2 * x, 0.1), 1e-12, 1e-14)


@CF
@given(x=nonzero(0.01, 3.0))
def test_helper_with_an_early_return_property(x):
    assert_close(assert_grad(leaky_product, x), -0.3 * x ** 2 if x > 0 else 0.3 * x ** 2,
                 1e-12, 1e-14)


def poly(x, coeffs):
    s = 0.0
    for c in coeffs:
        s = s * x + c
    return s


def loop_inside_helper(x, coeffs):
    return poly(np.sin(x), coeffs) * x


def steps_for(n):
    k = 0
    while k * k < n:
        k = k + 1
    return k


def helper_on_constants_only(x, n):
    s = x
    for i in range(steps_for(n)):
        s = s * x
    return s


def test_helpers_with_loops_and_on_non_differentiable_values():
    coeffs = np.array([0.5, -1.0, 2.0])
    for x in (0.4, -1.2):
        p = 0.5 * np.sin(x) ** 2 - np.sin(x) + 2.0
        dp = (np.sin(x) - 1.0) * np.cos(x)
        assert_close(assert_grad(loop_inside_helper, x, coeffs), p + x * dp, 1e-12, 1e-14)
    assert [steps_for(n) for n in (0, 1, 4, 5, 10)] == [0, 1, 2, 3, 4]
    for n in (0, 4, 10):
        k = steps_for(n)
        assert_close(assert_grad(helper_on_constants_only, 1.3, n), (k + 1) * 1.3 ** k,
                     1e-12, 1e-14)


# ---------------------------------------------------------------------------
# helpers imported from another module
# ---------------------------------------------------------------------------

def imported_calls(x):
    return np.sum(softplus(x) + scaled_softplus(x) + cf_helpers.smooth_abs(x, eps=0.5)
                  + smooth_abs(x))


def imported_tuple(x, y, angle):
    u, v = rotate(x, y, angle)
    return u * u + 3.0 * v


def imported_branch(x):
    s = 0.0
    for v in x:
        s = s + clipped_square(v) + cf_helpers.clipped_square(v, limit=0.5)
    return s


def test_helpers_imported_from_another_module():
    x = np.array([0.5, -1.5, 2.0])
    g = assert_grad(imported_calls, x)
    # scaled_softplus multiplies by cf_helpers.SCALE = 3, not by this module's SCALE = 5
    assert cf_helpers.SCALE == 3.0 and SCALE == 5.0
    expected = sig(x) + 3.0 * sig(x) + x / np.sqrt(x * x + 0.5) + x / np.sqrt(x * x + 0.1)
    assert_close(g, expected, 1e-12, 1e-14)


def test_imported_helper_returning_a_tuple_using_math():
    x, y, a = 0.7, -0.4, 0.9
    gx, gy, ga = assert_grad(imported_tuple, x, y, a, wrt=(0, 1, 2))
    u, v = rotate(x, y, a)
    assert_close(gx, 2 * u * np.cos(a) + 3 * np.sin(a), 1e-12, 1e-14)
    assert_close(gy, -2 * u * np.sin(a) + 3 * np.cos(a), 1e-12, 1e-14)
    assert_close(ga, -2 * u * v + 3 * u, 1e-12, 1e-14)


def test_imported_helper_with_an_early_return():
    x = np.array([0.3, -1.0, 0.8, 2.5, 1.5])
    g = assert_grad(imported_branch, x)
    d1 = np.where(x > 2.0, 4.0, 2 * x)
    d2 = np.where(x > 0.5, 1.0, 2 * x)
    assert_close(g, d1 + d2, 1e-12, 1e-14)


# ---------------------------------------------------------------------------
# helpers defined in an enclosing scope (closures)
# ---------------------------------------------------------------------------

def make_model(scale, offset):
    def squash(z):
        return scale * np.tanh(z) + offset

    def model(x, w):
        s = 0.0
        for i in range(len(x)):
            s = s + squash(w * x[i]) ** 2
        return s

    return model


model_a = make_model(1.0, 0.0)
model_b = make_model(3.0, 0.5)


def make_closure_calling_module_helper(k):
    def inner(z):
        return sigmoid(k * z)

    def loss(x):
        return np.sum(inner(x) * inner(-x))

    return loss


def test_helper_from_an_enclosing_scope():
    x, w = np.array([0.4, -0.9, 1.3]), 0.7
    for model, scale, offset in ((model_a, 1.0, 0.0), (model_b, 3.0, 0.5), (model_a, 1.0, 0.0)):
        gx, gw = assert_grad(model, x, w, wrt=(0, 1))
        q = scale * np.tanh(w * x) + offset
        dq = scale * sech2(w * x)
        assert_close(gx, 2 * q * dq * w, 1e-12, 1e-14)
        assert_close(gw, np.sum(2 * q * dq * x), 1e-12, 1e-14)
    # the same code, different closure values: different gradients
    assert ad.grad(model_a)(x, w)[0] != ad.grad(model_b)(x, w)[0]
    loss = make_closure_calling_module_helper(2.0)
    x = np.array([0.5, -1.0])
    # sig(2x) sig(-2x): derivative 2 sig(2x) sig(-2x) (sig(-2x) - sig(2x))
    expected = 2 * sig(2 * x) * sig(-2 * x) * (sig(-2 * x) - sig(2 * x))
    assert_close(assert_grad(loss, x), expected, 1e-12, 1e-14)


# ---------------------------------------------------------------------------
# the lecture examples written with helpers
# ---------------------------------------------------------------------------

def half_square(r):
    return 0.5 * r ** 2


def neuron_loss_with_helpers(w, v, x, y):
    s = sigmoid(w @ x)
    return half_square(y - v * s)


def mse(y, tau):
    return 0.5 * np.sum((y - tau) ** 2)


def two_layer_with_helpers(W1, b1, W2, b2, x, y, activation="tanh"):
    a = dense(W1, b1, x, activation)
    tau = affine(W2, a, b2)
    return mse(y, tau)


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 5), seed=st.integers(0, 2 ** 32 - 1))
def test_one_neuron_regression_with_helpers(n, seed):
    rng = np.random.default_rng(seed)
    w, x = rng.normal(size=n), rng.normal(size=n)
    v, y = float(rng.normal()), float(rng.normal())
    gw, gv = assert_grad(neuron_loss_with_helpers, w, v, x, y, wrt=("w", "v"))
    s = sig(w @ x)
    r = v * s - y
    assert_close(gv, r * s, 1e-10, 1e-12)
    assert_close(gw, r * v * s * (1 - s) * x, 1e-10, 1e-12)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), n_in=st.integers(1, 4), n_hidden=st.integers(1, 4),
       n_out=st.integers(1, 3))
def test_two_layer_network_with_helpers(activation, seed, n_in, n_hidden, n_out):
    rng = np.random.default_rng(seed)
    W1, b1 = rng.normal(size=(n_hidden, n_in)), rng.normal(size=n_hidden)
    W2, b2 = rng.normal(size=(n_out, n_hidden)), rng.normal(size=n_out)
    x, y = rng.normal(size=n_in), rng.normal(size=n_out)
    z = W1 @ x + b1
    if activation == "tanh":
        a, da = np.tanh(z), sech2(z)
    else:
        assume(np.min(np.abs(z)) > 1e-2)   # away from relu's kink
        a, da = np.maximum(z, 0.0), (z > 0).astype(float)
    tau = W2 @ a + b2
    d_tau = tau - y
    d_z = (W2.T @ d_tau) * da
    grads = assert_grad(two_layer_with_helpers, W1, b1, W2, b2, x, y, activation,
                        wrt=("W1", "b1", "W2", "b2", "x"))
    gW1, gb1, gW2, gb2, gx = grads
    assert_close(gW1, np.outer(d_z, x), 1e-10, 1e-12)
    assert_close(gb1, d_z, 1e-10, 1e-12)
    assert_close(gW2, np.outer(d_tau, a), 1e-10, 1e-12)
    assert_close(gb2, d_tau, 1e-10, 1e-12)
    assert_close(gx, W1.T @ d_z, 1e-10, 1e-12)


# ---------------------------------------------------------------------------
# recursion: rejected, never a wrong gradient
# ---------------------------------------------------------------------------

def rec_power(x, n):
    if n == 0:
        return 1.0
    return x * rec_power(x, n - 1)


def calls_rec_power(x):
    return rec_power(x, 3) + x


def ping(x, n):
    if n <= 0:
        return x
    return pong(x * 2.0, n - 1)


def pong(x, n):
    return ping(np.sin(x), n - 1)


def calls_ping(x):
    return ping(x, 4) * x


@pytest.mark.parametrize("f, args", [(rec_power, (1.5, 3)), (calls_rec_power, (1.5,)),
                                     (ping, (0.5, 4)), (pong, (0.5, 4)), (calls_ping, (0.5,))],
                         ids=["direct", "direct-via-caller", "mutual-ping", "mutual-pong",
                              "mutual-via-caller"])
def test_recursion_is_rejected(f, args):
    f(*args)   # the plain function runs
    with pytest.raises(ad.TransformError) as info:
        ad.grad(f)(*args)
    msg = str(info.value)
    assert isinstance(info.value, ValueError)
    assert re.search(r"recurs", msg, re.IGNORECASE), msg
    assert __file__ in msg, msg


def test_helpers_in_modules_named_like_numpy_or_adcompile_are_user_functions(tmp_path,
                                                                              monkeypatch):
    for name in ("numpy_helpers", "adcompile_utils"):
        (tmp_path / f"{name}.py").write_text("def helper(x):\n    return x * x * x\n")
    (tmp_path / "calls_them.py").write_text(
        "import numpy_helpers\nimport adcompile_utils\n\n\n"
        "def f(x):\n    return numpy_helpers.helper(x) + adcompile_utils.helper(x)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import calls_them
    assert ad.grad(calls_them.f)(2.0) == 24.0
