"""Benchmark workloads: each a plain-NumPy function, its arguments, and a hand-written gradient.

Every workload is a ``Workload`` in ``WORKLOADS``; the runner (``run.py``) needs
nothing else. To add one (a loop, an RNN, a GMM, ...), write:

* ``forward(*args)``: the scalar-valued function adcompile differentiates, in
  plain NumPy, defined with ``def`` in this file (adcompile reads its source)
  and calling no other user function (adcompile does not transform those yet);
* ``make_args()``: its positional arguments, built from a fixed seed, float64
  (a Python ``int`` argument, such as a step count, is passed to every
  contender as it is, and is static under ``jax.jit``);
* ``hand_grad(*args)``: the gradients with respect to ``wrt``, written by hand
  as a careful person would, as a tuple in the order of ``wrt``;
* optionally, versions of ``forward`` for the peers in ``peers``. autograd and
  JAX run ``forward`` itself with ``np`` rebound to their NumPy (so they time
  the very same program) unless ``peers`` gives them another; PyTorch needs its
  own version under the key ``"torch"`` (``torch`` has ``amax``, ``dim``, ...),
  or is skipped for that workload. A ``forward`` that uses ``math`` for speed on
  Python floats gives, under the key ``"numpy"``, the same program with ``np``
  in place of ``math``; autograd and JAX then run that one, ``np`` rebound.

``wrt`` holds positional indices; every gradient is a tuple in that order.
"""

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    forward: Callable
    wrt: tuple
    make_args: Callable[[], tuple]
    hand_grad: Callable
    # peer name ("autograd", "jax", "torch") -> a version of forward written for that peer;
    # "numpy" -> forward in NumPy alone, run by autograd and JAX with np rebound
    peers: dict = field(default_factory=dict)


# --- 1. the lecture's scalar example ---------------------------------------------------

def scalar(x, y):
    return x ** 3 * (x + 3 * y)


def scalar_hand_grad(x, y):
    return 4 * x ** 3 + 9 * x ** 2 * y, 3 * x ** 3


def scalar_args():
    return 2.0, 3.0


# --- 2. a two-layer MLP with a softmax cross-entropy loss ------------------------------

MLP_BATCH, MLP_IN, MLP_HIDDEN, MLP_OUT = 256, 784, 256, 10


def mlp_loss(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    m = np.max(logits, axis=1, keepdims=True)
    z = logits - m
    lse = np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(Y * (z - lse)) / X.shape[0]


def mlp_hand_grad(W1, b1, W2, b2, X, Y):
    n = X.shape[0]
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    # softmax; the shift by the row maximum has zero gradient, so it is not differentiated
    p = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    p /= np.sum(p, axis=1, keepdims=True)
    # d loss / d logits = (softmax - Y) / n, since each row of Y sums to one
    dlogits = p - Y
    dlogits /= n
    dW2 = h.T @ dlogits
    db2 = np.sum(dlogits, axis=0)
    da = dlogits @ W2.T
    da *= 1.0 - h * h
    dW1 = X.T @ da
    db1 = np.sum(da, axis=0)
    return dW1, db1, dW2, db2


def mlp_args(seed=0):
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((MLP_IN, MLP_HIDDEN)) / np.sqrt(MLP_IN)
    b1 = 0.1 * rng.standard_normal(MLP_HIDDEN)
    W2 = rng.standard_normal((MLP_HIDDEN, MLP_OUT)) / np.sqrt(MLP_HIDDEN)
    b2 = 0.1 * rng.standard_normal(MLP_OUT)
    X = rng.standard_normal((MLP_BATCH, MLP_IN))
    Y = np.eye(MLP_OUT)[rng.integers(0, MLP_OUT, MLP_BATCH)]
    return W1, b1, W2, b2, X, Y


def mlp_loss_torch(W1, b1, W2, b2, X, Y):
    import torch
    h = torch.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    m = torch.amax(logits, dim=1, keepdim=True)
    z = logits - m
    lse = torch.log(torch.sum(torch.exp(z), dim=1, keepdim=True))
    return -torch.sum(Y * (z - lse)) / X.shape[0]


# --- 3. a scalar recurrence: a 1,000-step loop on Python floats -------------------------

# x -> a x + b sin(x) with a = 0.5, b = 1 repels from 0 and settles on the fixed point
# x* = 1.8955 (0.5 x* = sin x*), where its slope a + b cos x* = 0.18 contracts: |x| < 2
# always, and the gradient, x* / (1 - a - b cos x*) = 2.314 and sin x* / (...) = 1.157,
# is well conditioned (central differences agree to 1e-10).
RECURRENCE_STEPS = 1000


def recurrence(a, b, x0, n):
    x = x0
    for i in range(n):
        x = a * x + b * math.sin(x)
    return x


def recurrence_hand_grad(a, b, x0, n):
    sin, cos = math.sin, math.cos
    # forward, keeping each step's input and its sine
    xs = [0.0] * n
    ss = [0.0] * n
    x = x0
    for i in range(n):
        s = sin(x)
        xs[i] = x
        ss[i] = s
        x = a * x + b * s
    # reverse: x_{i+1} = a x_i + b s_i, so a_bar += x_bar x_i, b_bar += x_bar s_i and
    # x_bar *= a + b cos x_i
    x_bar, a_bar, b_bar = 1.0, 0.0, 0.0
    for x, s in zip(reversed(xs), reversed(ss)):
        a_bar += x_bar * x
        b_bar += x_bar * s
        x_bar *= a + b * cos(x)
    return a_bar, b_bar


def recurrence_args():
    return 0.5, 1.0, 1.0, RECURRENCE_STEPS


def recurrence_numpy(a, b, x0, n):
    x = x0
    for i in range(n):
        x = a * x + b * np.sin(x)
    return x


def recurrence_torch(a, b, x0, n):
    import torch
    x = x0
    for i in range(n):
        x = a * x + b * torch.sin(x)
    return x


# --- 4. an RNN (tanh) with a squared-error loss at every step ----------------------------

RNN_HIDDEN, RNN_IN, RNN_STEPS = 64, 32, 50


def rnn_loss(W, U, b, h0, xs, ys):
    h = h0
    loss = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + b)
        loss = loss + 0.5 * np.sum((h - ys[t]) ** 2)
    return loss


def rnn_hand_grad(W, U, b, h0, xs, ys):
    """Backpropagation through time: the hidden states in one array, the input
    projections and the weight gradients each one matrix product over all steps."""
    steps = xs.shape[0]
    hs = np.empty((steps + 1, h0.shape[0]))
    hs[0] = h0
    inputs = xs @ U.T
    inputs += b
    a = np.empty_like(h0)
    for t in range(steps):
        np.dot(W, hs[t], out=a)
        a += inputs[t]
        np.tanh(a, out=hs[t + 1])
    h = hs[1:]
    residual = h - ys           # d loss / d h_t through step t's own term
    dtanh = h * h
    np.subtract(1.0, dtanh, out=dtanh)
    da = np.empty_like(residual)  # d loss / d (pre-activation at step t)
    dh = np.zeros_like(h0)
    for t in range(steps - 1, -1, -1):
        dh += residual[t]
        np.multiply(dh, dtanh[t], out=da[t])
        np.dot(da[t], W, out=dh)  # dh is now d loss / d h_{t-1} through step t
    dW = da.T @ hs[:-1]
    dU = da.T @ xs
    db = da.sum(axis=0)
    return dW, dU, db, dh


def rnn_stepwise_hand_grad(W, U, b, h0, xs, ys):
    """Backpropagation through time that keeps the program's own forward computation (one
    step at a time, as rnn_loss is written) and writes each step's adjoints by hand."""
    h = h0
    hs = [h0]
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + b)
        hs.append(h)
    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    dh = np.zeros_like(h0)
    for t in range(xs.shape[0] - 1, -1, -1):
        h = hs[t + 1]
        dh += h - ys[t]
        da = dh * (1.0 - h * h)
        dW += np.outer(da, hs[t])
        dU += np.outer(da, xs[t])
        db += da
        dh = W.T @ da
    return dW, dU, db, dh


def rnn_args(seed=0):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((RNN_HIDDEN, RNN_HIDDEN)) * (0.9 / np.sqrt(RNN_HIDDEN))
    U = rng.standard_normal((RNN_HIDDEN, RNN_IN)) / np.sqrt(RNN_IN)
    b = 0.1 * rng.standard_normal(RNN_HIDDEN)
    h0 = 0.5 * rng.standard_normal(RNN_HIDDEN)
    xs = rng.standard_normal((RNN_STEPS, RNN_IN))
    ys = 0.5 * rng.standard_normal((RNN_STEPS, RNN_HIDDEN))
    return W, U, b, h0, xs, ys


def rnn_loss_torch(W, U, b, h0, xs, ys):
    import torch
    h = h0
    loss = 0.0
    for t in range(xs.shape[0]):
        h = torch.tanh(W @ h + U @ xs[t] + b)
        loss = loss + 0.5 * torch.sum((h - ys[t]) ** 2)
    return loss


# --- the list the runner reads ---------------------------------------------------------

WORKLOADS = [
    Workload(
        name="scalar",
        description="x**3 * (x + 3*y) at (2, 3), d/dx and d/dy",
        forward=scalar,
        wrt=(0, 1),
        make_args=scalar_args,
        hand_grad=scalar_hand_grad,
        peers={"torch": scalar},  # only operators: runs on tensors as it is
    ),
    Workload(
        name="mlp",
        description=(f"MLP {MLP_IN}->{MLP_HIDDEN} (tanh)->{MLP_OUT}, softmax cross-entropy, "
                     f"batch {MLP_BATCH}, d/dW1 db1 dW2 db2"),
        forward=mlp_loss,
        wrt=(0, 1, 2, 3),
        make_args=mlp_args,
        hand_grad=mlp_hand_grad,
        peers={"torch": mlp_loss_torch},
    ),
    Workload(
        name="scalar_loop",
        description=(f"x <- a*x + b*sin(x), {RECURRENCE_STEPS} steps on Python floats "
                     f"(a=0.5, b=1, x0=1), d/da and d/db"),
        forward=recurrence,
        wrt=(0, 1),
        make_args=recurrence_args,
        hand_grad=recurrence_hand_grad,
        peers={"numpy": recurrence_numpy, "torch": recurrence_torch},
    ),
    Workload(
        name="rnn",
        description=(f"RNN h <- tanh(W h + U x_t + b), hidden {RNN_HIDDEN}, input {RNN_IN}, "
                     f"{RNN_STEPS} steps, squared error at each step, d/dW dU db dh0"),
        forward=rnn_loss,
        wrt=(0, 1, 2, 3),
        make_args=rnn_args,
        hand_grad=rnn_hand_grad,
        peers={"torch": rnn_loss_torch},
    ),
    Workload(
        name="rnn_stepwise",
        description=("the same RNN against a hand-written gradient that keeps the program's "
                     "step-by-step forward computation"),
        forward=rnn_loss,
        wrt=(0, 1, 2, 3),
        make_args=rnn_args,
        hand_grad=rnn_stepwise_hand_grad,
    ),
]
