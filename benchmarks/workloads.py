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
  ``None`` under a peer's key skips that peer for the workload.

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


# --- 5. ADBench's GMM objective: a Gaussian mixture with a Wishart prior --------------------

# The GMM task of ADBench (Srajer, Kukelova and Fitzgibbon, 2018), written here from its
# description. Component k has weight softmax(alphas)_k, mean means[k] and precision
# Q_k^T Q_k, where Q_k is lower triangular: its diagonal is exp(icf[k, :d]) and
# icf[k, d:] fills its strictly-lower triangle column by column ((1,0), (2,0), ...,
# (d-1,0), (2,1), ...). The value is the negative log posterior: the negative
# log-likelihood of the points x plus, for each component, the negative log density of a
# Wishart prior on its precision, with scale matrix I / gamma^2 and d + m + 1 degrees of
# freedom. Every term is kept, constants included.
GMM_D, GMM_K, GMM_N = 10, 25, 1000


def gmm_objective(alphas, means, icf, x, gamma, m):
    n, d = x.shape
    k = alphas.shape[0]
    qs = icf[:, :d]  # log-diagonals of the Q_k
    # Q_k[r, c] for r > c is icf[k, d + (entries in the columns before c) + (r - c - 1)]
    j = np.arange(d)
    lower = j[:, None] > j[None, :]
    before = j * (2 * d - j - 1) // 2
    index = np.where(lower, d + before[None, :] + j[:, None] - j[None, :] - 1, 0)
    Q = np.exp(qs)[:, :, None] * np.eye(d) + icf[:, index] * lower  # (k, d, d)
    xc = x[None, :, :] - means[:, None, :]  # (k, n, d): x_i - mu_k
    Qx = xc @ np.swapaxes(Q, 1, 2)  # Qx[k, i] = Q_k (x_i - mu_k)
    # log(weight_k N(x_i | mu_k, (Q_k^T Q_k)^-1)) up to -log sum(exp(alphas)) - d/2 log(2 pi)
    b = alphas[:, None] + np.sum(qs, axis=1)[:, None] - 0.5 * np.sum(Qx ** 2, axis=2)
    bmax = np.max(b, axis=0)
    lse = bmax + np.log(np.sum(np.exp(b - bmax), axis=0))  # (n,): logsumexp over k
    amax = np.max(alphas)
    lse_alphas = amax + np.log(np.sum(np.exp(alphas - amax)))
    neg_log_likelihood = 0.5 * n * d * math.log(2 * math.pi) - np.sum(lse) + n * lse_alphas
    # -log Wishart(Q^T Q | I / gamma^2, nu) = 0.5 gamma^2 |Q|_F^2 - m log det Q - C, with
    # log det Q = sum(q), C = nu d (log gamma - log(2) / 2) - log Gamma_d(nu / 2)
    nu = d + m + 1
    log_gamma_d = 0.25 * d * (d - 1) * math.log(math.pi)
    for i in range(d):
        log_gamma_d = log_gamma_d + math.lgamma(0.5 * (nu - i))
    c = nu * d * (np.log(gamma) - 0.5 * math.log(2.0)) - log_gamma_d  # np: gamma may be traced
    frobenius = np.sum(np.exp(2 * qs)) + np.sum(icf[:, d:] ** 2)
    neg_log_prior = 0.5 * gamma ** 2 * frobenius - m * np.sum(qs) - k * c
    return neg_log_likelihood + neg_log_prior


def gmm_lower_indices(d):
    """(rows, cols) of Q's strictly-lower entries in the order icf[:, d:] holds them."""
    cols, rows = np.triu_indices(d, 1)  # (c, r) with c < r, c-major: column by column
    return rows, cols


def gmm_hand_grad(alphas, means, icf, x, gamma, m):
    n, d = x.shape
    k = alphas.shape[0]
    qs = icf[:, :d]
    ls = icf[:, d:]
    rows, cols = gmm_lower_indices(d)
    diag = np.arange(d)
    eq = np.exp(qs)
    Q = np.zeros((k, d, d))
    Q[:, rows, cols] = ls
    Q[:, diag, diag] = eq
    xc = x[None, :, :] - means[:, None, :]
    z = xc @ Q.transpose(0, 2, 1)  # z[k, i] = Q_k (x_i - mu_k)
    # the program's own forward computation (np.einsum("kid,kid->ki", z, z) would be
    # faster than this sum over a short last axis, in the forward pass as well)
    b = alphas[:, None] + qs.sum(axis=1)[:, None] - 0.5 * np.sum(z ** 2, axis=2)
    # d value / d b[k, i] = -r[k, i], the responsibilities (softmax of b over k)
    r = np.exp(b - b.max(axis=0))
    r /= r.sum(axis=0)
    counts = r.sum(axis=1)
    w = np.exp(alphas - alphas.max())
    w /= w.sum()
    d_alphas = n * w - counts
    # b[k, i] holds -0.5 |z[k, i]|^2, so d value / d z[k, i] = r[k, i] z[k, i]; z becomes it
    z *= r[:, :, None]
    dQ = z.transpose(0, 2, 1) @ xc  # sum_i (r z)[k, i] (x_i - mu_k)^T
    d_means = -np.einsum("kab,ka->kb", Q, z.sum(axis=1))  # -Q_k^T sum_i (r z)[k, i]
    # q[k] enters through exp on Q's diagonal, through b (its sum: -counts), and the prior
    d_icf = np.empty_like(icf)
    d_icf[:, :d] = dQ[:, diag, diag] * eq - counts[:, None] - m + gamma ** 2 * eq * eq
    d_icf[:, d:] = dQ[:, rows, cols] + gamma ** 2 * ls
    return d_alphas, d_means, d_icf


def gmm_args(d=GMM_D, k=GMM_K, n=GMM_N, seed=0):
    rng = np.random.default_rng(seed)
    alphas = rng.standard_normal(k)
    means = rng.uniform(-2.0, 2.0, (k, d))
    icf = 0.3 * rng.standard_normal((k, d * (d + 1) // 2))
    x = rng.uniform(-2.0, 2.0, (n, d))
    return alphas, means, icf, x, 1.0, 0


# --- 6. logistic regression: 10,000 points, 100 features -----------------------------------

LOGISTIC_N, LOGISTIC_D = 10_000, 100


def logistic_loss(w, b, X, y):
    """The mean negative log-likelihood of labels y in {0, 1} under p = sigmoid(X w + b):
    log(1 + exp(z)) - y z per point, with log(1 + exp(z)) as np.logaddexp(0, z)."""
    z = X @ w + b
    return np.sum(np.logaddexp(0.0, z) - y * z) / X.shape[0]


def logistic_hand_grad(w, b, X, y):
    # d/dz [log(1 + exp(z)) - y z] = sigmoid(z) - y; sigmoid as 0.5 (1 + tanh(z / 2)),
    # which does not overflow
    z = X @ w
    z += b
    z *= 0.5
    p = np.tanh(z, out=z)
    p += 1.0
    p *= 0.5
    p -= y
    p /= X.shape[0]
    return p @ X, float(np.sum(p))


def logistic_args(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((LOGISTIC_N, LOGISTIC_D))
    w_true = rng.standard_normal(LOGISTIC_D) / np.sqrt(LOGISTIC_D)
    y = (rng.random(LOGISTIC_N) < 1.0 / (1.0 + np.exp(-(X @ w_true)))).astype(np.float64)
    w = 0.1 * rng.standard_normal(LOGISTIC_D)
    return w, 0.1, X, y


def logistic_loss_torch(w, b, X, y):
    import torch
    z = X @ w + b
    return torch.sum(torch.logaddexp(torch.zeros_like(z), z) - y * z) / X.shape[0]


# --- a 1-d heat-equation stepper written with slice assignment ---------------------------

HEAT_N, HEAT_STEPS = 200, 1000


def heat(u0, r, steps):
    """Explicit finite differences for u_t = u_xx with fixed ends; the squared final state."""
    u = u0
    for _ in range(steps):
        v = u.copy()
        v[1:-1] = u[1:-1] + r * (u[2:] - 2.0 * u[1:-1] + u[:-2])
        u = v
    return np.sum(u * u)


def heat_hand_grad(u0, r, steps):
    us = [u0]
    u = u0
    for _ in range(steps):
        v = u.copy()
        v[1:-1] = u[1:-1] + r * (u[2:] - 2.0 * u[1:-1] + u[:-2])
        us.append(v)
        u = v
    g = 2.0 * u
    r_bar = 0.0
    for t in range(steps - 1, -1, -1):
        u = us[t]
        inner = g[1:-1]
        r_bar += inner @ (u[2:] - 2.0 * u[1:-1] + u[:-2])
        old = np.zeros_like(g)
        old[0], old[-1] = g[0], g[-1]
        old[1:-1] += (1.0 - 2.0 * r) * inner
        old[2:] += r * inner
        old[:-2] += r * inner
        g = old
    return g, r_bar


def heat_args():
    x = np.linspace(0.0, 1.0, HEAT_N)
    return np.sin(np.pi * x) + 0.1 * np.sin(7 * np.pi * x), 0.2, HEAT_STEPS


def heat_numpy(u0, r, steps):
    u = u0
    for _ in range(steps):
        u = np.concatenate([u[:1], u[1:-1] + r * (u[2:] - 2.0 * u[1:-1] + u[:-2]), u[-1:]])
    return np.sum(u * u)


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
    Workload(
        name="gmm",
        description=(f"ADBench GMM: negative log posterior of a {GMM_K}-component Gaussian "
                     f"mixture with a Wishart prior, d={GMM_D}, n={GMM_N}, "
                     f"d/dalphas dmeans dicf"),
        forward=gmm_objective,
        wrt=(0, 1, 2),
        make_args=gmm_args,
        hand_grad=gmm_hand_grad,
    ),
    Workload(
        name="logistic",
        description=(f"logistic regression, {LOGISTIC_N:,} points x {LOGISTIC_D} features, "
                     f"mean negative log-likelihood, d/dw and d/db"),
        forward=logistic_loss,
        wrt=(0, 1),
        make_args=logistic_args,
        hand_grad=logistic_hand_grad,
        peers={"torch": logistic_loss_torch},
    ),
    Workload(
        name="heat",
        description=(f"1-d heat equation, explicit steps written with slice assignment "
                     f"(v[1:-1] = ...), N={HEAT_N}, {HEAT_STEPS} steps, d/du0 and d/dr"),
        forward=heat,
        wrt=(0, 1),
        make_args=heat_args,
        hand_grad=heat_hand_grad,
        # JAX traces the 1,000 steps into one graph of array slices: jax.jit had not
        # finished compiling it after four minutes here
        peers={"numpy": heat_numpy, "jax": None},
    ),
]
