"""Benchmark workloads: each a plain-NumPy function, its arguments, and a hand-written gradient.

Every workload is a ``Workload`` in ``WORKLOADS``; the runner (``run.py``) needs
nothing else. To add one (a loop, an RNN, a GMM, ...), write:

* ``forward(*args)``: the scalar-valued function adcompile differentiates, in
  plain NumPy, defined with ``def`` in this file (adcompile reads its source)
  and calling no other user function (adcompile does not transform those yet);
* ``make_args()``: its positional arguments, built from a fixed seed, float64;
* ``hand_grad(*args)``: the gradients with respect to ``wrt``, written by hand
  as a careful person would, as a tuple in the order of ``wrt``;
* optionally, versions of ``forward`` for the peers in ``peers``. autograd and
  JAX run ``forward`` itself with ``np`` rebound to their NumPy (so they time
  the very same program) unless ``peers`` gives them another; PyTorch needs its
  own version under the key ``"torch"`` (``torch`` has ``amax``, ``dim``, ...),
  or is skipped for that workload.

``wrt`` holds positional indices; every gradient is a tuple in that order.
"""

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
    # peer name ("autograd", "jax", "torch") -> a version of forward written for that peer
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
]
