"""Functions the CLI and build tests differentiate (a real file, as adcompile needs)."""

import math

import numpy as np

from tests.samples import cf_helpers

SCALE = 0.5
OFFSET = np.array([1.0, -2.0, 0.5])
SHAPE = (3,)


def f(x, y):
    return x ** 3 * (x + 3 * y)


def graph(x, y, z):
    return (x + y) * max(y, z)


def least_squares(w, A, b):
    e = A @ w - b - OFFSET
    return SCALE * np.sum(e ** 2)


def scalar_math(x):
    return math.sin(x) * math.exp(x) + math.sqrt(x)


def np_shadow(x):
    np = 3.0  # a local that shadows the module: generated code must not use it for NumPy
    return np * x * x


def residual_and_join(x):
    r = np.sin(x)          # (np.r_'s adjoint helper is called r_bar too)
    z = np.r_[r, x]
    return np.sum(r ** 2) + np.sum(z ** 3)


def unsupported(x):
    try:
        x = x * 2
    except ValueError:
        pass
    return x



def rnn_with_helper(W, U, h, xs):
    """A loop calling a helper from another module, whose globals travel with it."""
    for t in range(len(xs)):
        h = cf_helpers.scaled_softplus(W @ h + U @ xs[t]) * 0.1
    return np.sum(h ** 2)
