"""The lecture examples: closed forms derived by hand, and central finite differences."""

import numpy as np
import pytest
from conftest import FEW, assert_close, assert_grad, reals
from hypothesis import assume, given
from hypothesis import strategies as st

import adcompile as ad

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


# ---------------------------------------------------------------------------
# f(x, y) = x**3 * (x + 3y)
# ---------------------------------------------------------------------------

def cubic(x, y):
    return x ** 3 * (x + 3 * y)


def test_cubic_at_2_3():
    gx, gy = ad.grad(cubic, wrt=(0, 1))(2.0, 3.0)
    assert (gx, gy) == (140.0, 24.0)
    assert type(gx) in (float, np.float64) and type(gy) in (float, np.float64)
    assert_grad(cubic, 2.0, 3.0, wrt=(0, 1))
    assert_grad(cubic, 2, 3, wrt=(0, 1))            # ints in, floats out
    assert ad.grad(cubic, wrt=("x", "y"))(x=2.0, y=3.0) == (140.0, 24.0)
    value, (gx, gy) = ad.value_and_grad(cubic, wrt=(0, 1))(2.0, 3.0)
    assert value == 8.0 * 11.0 and (gx, gy) == (140.0, 24.0)


@FEW
@given(x=reals(-3, 3), y=reals(-3, 3))
def test_cubic_closed_form(x, y):
    gx, gy = assert_grad(cubic, x, y, wrt=(0, 1))
    assert_close(gx, 3 * x ** 2 * (x + 3 * y) + x ** 3, 1e-12, 1e-12)
    assert_close(gy, 3 * x ** 3, 1e-12, 1e-12)


def test_cubic_elementwise_on_arrays():
    x, y = np.array([2.0, -1.0, 0.0]), np.array([3.0, 0.5, 1.0])
    g = ad.vjp(cubic, wrt=(0, 1))(x, y, np.ones(3))[1]
    assert_close(g[0], 3 * x ** 2 * (x + 3 * y) + x ** 3, 1e-12, 0)
    assert_close(g[1], 3 * x ** 3, 1e-12, 0)


# ---------------------------------------------------------------------------
# (x + y) * max(y, z)
# ---------------------------------------------------------------------------

def sum_times_max(x, y, z):
    return (x + y) * max(y, z)


def test_sum_times_max_at_1_2_0():
    g = ad.grad(sum_times_max, wrt=(0, 1, 2))(1.0, 2.0, 0.0)
    assert g == (2.0, 5.0, 0.0)
    assert_grad(sum_times_max, 1.0, 2.0, 0.0, wrt=(0, 1, 2))
    # the other branch of max: z wins
    assert ad.grad(sum_times_max, wrt=(0, 1, 2))(1.0, 2.0, 4.0) == (4.0, 4.0, 3.0)


@FEW
@given(x=reals(-3, 3), y=reals(-3, 3), z=reals(-3, 3))
def test_sum_times_max_vs_finite_differences(x, y, z):
    assume(abs(y - z) > 1e-3)
    assert_grad(sum_times_max, x, y, z, wrt=(0, 1, 2))


# ---------------------------------------------------------------------------
# one hidden neuron: l = 0.5 * (y - v * sigmoid(w @ x))**2
# ---------------------------------------------------------------------------

def neuron_loss(w, v, x, y):
    z = w @ x
    s = 1 / (1 + np.exp(-z))
    return 0.5 * (y - v * s) ** 2


@FEW
@given(n=st.integers(1, 5), seed=st.integers(0, 2 ** 32 - 1))
def test_one_neuron_regression(n, seed):
    rng = np.random.default_rng(seed)
    w, x = rng.normal(size=n), rng.normal(size=n)
    v, y = float(rng.normal()), float(rng.normal())
    gw, gv = assert_grad(neuron_loss, w, v, x, y, wrt=("w", "v"))
    s = 1 / (1 + np.exp(-(w @ x)))
    r = v * s - y
    assert_close(gv, r * s, 1e-10, 1e-12)
    assert_close(gw, r * v * s * (1 - s) * x, 1e-10, 1e-12)
    # and with respect to the data
    assert_grad(neuron_loss, w, v, x, y, wrt=(2, 3))


# ---------------------------------------------------------------------------
# two-layer network: z = W1 x + b1, a = tanh(z) (or relu), tau = W2 a + b2
# ---------------------------------------------------------------------------

def two_layer_tanh(W1, b1, W2, b2, x, y):
    z = W1 @ x + b1
    a = np.tanh(z)
    tau = W2 @ a + b2
    return 0.5 * np.sum((y - tau) ** 2)


def two_layer_relu(W1, b1, W2, b2, x, y):
    z = W1 @ x + b1
    a = np.maximum(z, 0)
    tau = W2 @ a + b2
    return 0.5 * np.sum((y - tau) ** 2)


ALL = ("W1", "b1", "W2", "b2", "x", "y")


def network(seed, n_in, n_hidden, n_out):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n_hidden, n_in)), rng.normal(size=n_hidden),
            rng.normal(size=(n_out, n_hidden)), rng.normal(size=n_out),
            rng.normal(size=n_in), rng.normal(size=n_out))


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@FEW
@given(seed=st.integers(0, 2 ** 32 - 1), n_in=st.integers(1, 4), n_hidden=st.integers(1, 4),
       n_out=st.integers(1, 3))
def test_two_layer_network(activation, seed, n_in, n_hidden, n_out):
    W1, b1, W2, b2, x, y = args = network(seed, n_in, n_hidden, n_out)
    z = W1 @ x + b1
    if activation == "tanh":
        f = two_layer_tanh
        a = np.tanh(z)
        da = 1 - a ** 2
    else:
        assume(np.min(np.abs(z)) > 1e-2)   # away from relu's kink
        f = two_layer_relu
        a = np.maximum(z, 0)
        da = (z > 0).astype(float)
    tau = W2 @ a + b2
    dJ_dtau = tau - y
    dJ_dz = (W2.T @ dJ_dtau) * da             # by hand, as in the lecture
    grads = assert_grad(f, *args, wrt=ALL)
    gW1, gb1, gW2, gb2, gx, gy = grads
    assert_close(gW1, np.outer(dJ_dz, x), 1e-10, 1e-12)
    assert_close(gb1, dJ_dz, 1e-10, 1e-12)
    assert_close(gW2, np.outer(dJ_dtau, a), 1e-10, 1e-12)
    assert_close(gb2, dJ_dtau, 1e-10, 1e-12)
    assert_close(gx, W1.T @ dJ_dz, 1e-10, 1e-12)
    assert_close(gy, -dJ_dtau, 1e-10, 1e-12)
    # a single wrt gives the same numbers
    assert_close(ad.grad(f, wrt="W1")(*args), gW1, 1e-12, 0)
    assert_close(ad.grad(f, wrt=4)(*args), gx, 1e-12, 0)


# ---------------------------------------------------------------------------
# batched MLP with softmax cross-entropy (logsumexp with max subtraction)
# ---------------------------------------------------------------------------

def mlp_cross_entropy(W1, b1, W2, b2, X, Y):
    H = np.tanh(X @ W1 + b1)
    logits = H @ W2 + b2
    m = np.max(logits, axis=1, keepdims=True)
    shifted = logits - m
    lse = np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    log_probs = shifted - lse
    return -np.mean(np.sum(Y * log_probs, axis=1))


@FEW
@given(seed=st.integers(0, 2 ** 32 - 1), n=st.integers(1, 4), d=st.integers(1, 3),
       h=st.integers(1, 4), c=st.integers(2, 4))
def test_mlp_softmax_cross_entropy(seed, n, d, h, c):
    rng = np.random.default_rng(seed)
    W1, b1 = rng.normal(size=(d, h)), rng.normal(size=h)
    W2, b2 = rng.normal(size=(h, c)), rng.normal(size=c)
    X = rng.normal(size=(n, d))
    Y = np.eye(c)[rng.integers(0, c, size=n)]
    args = (W1, b1, W2, b2, X, Y)
    logits = np.tanh(X @ W1 + b1) @ W2 + b2
    assume(np.all(np.abs(np.diff(np.sort(logits, axis=1), axis=1)) > 1e-4))  # no max ties
    gW1, gb1, gW2, gb2 = assert_grad(mlp_cross_entropy, *args, wrt=(0, 1, 2, 3))
    H = np.tanh(X @ W1 + b1)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    d_logits = (p - Y) / n
    assert_close(gW2, H.T @ d_logits, 1e-9, 1e-12)
    assert_close(gb2, d_logits.sum(axis=0), 1e-9, 1e-12)
    d_pre = (d_logits @ W2.T) * (1 - H ** 2)
    assert_close(gW1, X.T @ d_pre, 1e-9, 1e-12)
    assert_close(gb1, d_pre.sum(axis=0), 1e-9, 1e-12)
    value, _ = ad.value_and_grad(mlp_cross_entropy)(*args)
    assert_close(value, mlp_cross_entropy(*args), 1e-12, 0)


def test_mlp_large_logits_are_stable():
    # the max subtraction keeps exp from overflowing; the gradient stays finite and exact
    rng = np.random.default_rng(1)
    W1, b1 = rng.normal(size=(3, 4)), rng.normal(size=4)
    W2, b2 = 300.0 * rng.normal(size=(4, 3)), rng.normal(size=3)
    X, Y = rng.normal(size=(5, 3)), np.eye(3)[[0, 1, 2, 0, 1]]
    g = ad.grad(mlp_cross_entropy, wrt=2)(W1, b1, W2, b2, X, Y)
    assert np.all(np.isfinite(g))
    H = np.tanh(X @ W1 + b1)
    logits = H @ W2 + b2
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    assert_close(g, H.T @ ((p - Y) / 5), 1e-9, 1e-12)
