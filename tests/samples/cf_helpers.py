"""User functions that tests/test_calls.py imports from another module.

adcompile must transform (inline) them with *this* module's globals: ``SCALE``
here is 3.0, while test_calls.py defines its own ``SCALE`` with another value,
and this module imports ``math`` and NumPy under names test_calls.py does not use.
"""

import math

import numpy as xp

SCALE = 3.0


def softplus(z):
    return xp.log(1.0 + xp.exp(z))


def scaled_softplus(z):
    # a helper calling a helper of its own module, and reading this module's global
    return SCALE * softplus(z)


def smooth_abs(z, eps=0.1):
    return xp.sqrt(z * z + eps)


def rotate(x, y, angle):
    c = math.cos(angle)
    s = math.sin(angle)
    return c * x - s * y, s * x + c * y


def clipped_square(z, limit=2.0):
    # early return in a branch, inside an imported helper
    if z > limit:
        return limit * (2.0 * z - limit)
    return z * z
