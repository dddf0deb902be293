"""Scientific and optimisation code written the way it is written in practice (a loss of
math functions of scalars, a trajectory in preallocated arrays, quantiles of a sample),
each a program on which adcompile once refused, crashed or erred. Every gradient is
checked against central finite differences and, where autograd has the functions, against
autograd.
"""

import math

import autograd
import autograd.numpy as anp
import numpy as np
from conftest import assert_close, assert_grad, numerical_grad
from test_second_order import assert_second_order

import adcompile as ad


def polar_loss(a, b):
    # math.hypot's and math.fabs's adjoints are conditional terms (0 at the kink) inside a
    # sum: differentiated again (a Hessian), they were refused in the generated code
    r = math.sqrt(a * a + b * b)
    return (math.log(1 + r) + math.atan2(b, a) * math.tanh(a) + math.hypot(a, 2.0) ** 2
            + math.fabs(b) * a)


def test_second_derivatives_of_math_hypot_and_fabs():
    for a, b in ((0.7, -0.4), (-1.3, 0.6)):
        assert_grad(polar_loss, a, b, wrt=(0, 1))
        assert_second_order(polar_loss, a, b, wrt=0)
        assert_second_order(polar_loss, a, b, wrt=1)
    H = ad.hessian(polar_loss, wrt=(0, 1))(0.7, -0.4)
    a, b = 0.7, -0.4
    expected = autograd.hessian(lambda v: (
        anp.log(1 + anp.sqrt(v[0] ** 2 + v[1] ** 2)) + anp.arctan2(v[1], v[0]) * anp.tanh(v[0])
        + (v[0] ** 2 + 4.0) + anp.abs(v[1]) * v[0]))(np.array([a, b]))
    assert_close(np.array([[H[0][0], H[0][1]], [H[1][0], H[1][1]]]), expected)


def interquartile_spread(x):
    # several quantiles in one call: NumPy returns them along a first axis
    q = np.percentile(x, [25, 75])
    return q[1] - q[0] + np.quantile(x, 0.3)


def trimmed_band(X):
    lo, hi = np.percentile(X - X.mean(), (10, 90), axis=0)
    return np.sum(hi * lo) + np.sum(np.quantile(np.abs(X), q=[0.2, 0.5], axis=1,
                                                keepdims=True) ** 2)


def test_quantiles_of_a_list_literal_of_q():
    rng = np.random.default_rng(11)
    x = rng.normal(size=7)
    assert_grad(interquartile_spread, x)
    X = rng.normal(size=(6, 3))
    assert_grad(trimmed_band, X)
    t = rng.normal(size=x.shape)
    value, dot = ad.jvp(interquartile_spread)(x, t)
    h = 1e-6
    expected = (interquartile_spread(x + h * t) - interquartile_spread(x - h * t)) / (2 * h)
    assert_close(value, interquartile_spread(x))
    assert_close(dot, expected)
