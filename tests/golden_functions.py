"""The functions whose code after every pass is pinned by tests/test_pipeline.py.

Written the way users write them. Kept in a module of their own so that editing the
tests does not move their line numbers (error messages and some names depend on
them). Each entry of ``CASES`` names a function, the arguments its golden code is
specialised to, and the parameters it is differentiated with respect to.
"""

import numpy as np


def cubic(x, y):
    return x ** 3 * (x + 3 * y)


def layer(W, x, b):
    h = np.tanh(W @ x + b)
    return np.sum(h * h)


def recurrence(x, a, n):
    h = x
    for i in range(n):
        h = a * h + np.sin(h)
    return h


def clipped(x, n):
    s = 0.0
    for i in range(n):
        if x > 1.0:
            x = np.sqrt(x)
        else:
            x = x * x + 0.5
        s = s + x
    return s


def halving(x):
    steps = []
    while x > 1.0:
        x = x / 2.0
        steps.append(x * x)
    total = x
    for v in steps:
        total = total + v
    return total


def _cases():
    rng = np.random.default_rng(14)
    W = rng.standard_normal((3, 4))
    x = rng.standard_normal(4)
    b = rng.standard_normal(3)
    return {
        "cubic": (cubic, (2.0, 3.0), ("x", "y")),
        "layer": (layer, (W, x, b), ("W", "b")),
        "recurrence": (recurrence, (0.7, 0.9, 4), ("x", "a")),
        "clipped": (clipped, (0.6, 4), "x"),
        "halving": (halving, (9.0,), "x"),
    }


#: name -> (function, example arguments, wrt)
CASES = _cases()
