"""``x ** y`` and ``np.power`` at x == 0, following JAX's convention.

d(x ** y)/dy is ``log(x) * x ** y`` with log(x) taken as 0 where x == 0 (so 0
there); d(x ** y)/dx is ``y * x ** (y - 1)``, 0 where y == 0 (x ** 0 is
constant), and inf where x == 0 and 0 < y < 1, as NumPy computes it: never a
ZeroDivisionError (Python raises one for ``0.0 ** -0.5``), never NaN. Where
finite differences exist at such points they are the reference; where they do
not (the kink of x ** y at x == 0 for y == 0 or 0 < y < 1) the convention is
checked as a closed form. Second derivatives are in tests/test_second_order.py.
"""

import itertools

import numpy as np
import pytest
from conftest import assert_close, assert_grad
from test_rules import covers

import adcompile as ad

# a gradient that divides by zero or takes log of 0 is a bug here
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def power(x, y):
    return x ** y


def np_power(x, y, w):
    return np.sum(w * np.power(x, y))


def operator_power(x, y, w):
    return np.sum(w * x ** y)


def root(x):
    return np.sum(x ** 0.5 + np.power(x, 0.25))


def cube_and_square(x):
    return np.sum(x ** 3 + x ** 2 + x ** 1 + x ** 0)


# -- Python floats, ints and NumPy scalars -----------------------------------------------------

#: (x, y): points where x ** y has both partial derivatives, checked against differences
SMOOTH_AT_ZERO = [(0.0, 2.0), (0.0, 3.0), (0.0, 1.0), (0.0, 2.5), (-0.0, 2.0)]


@covers(("python", "pow"))
@pytest.mark.parametrize("x,y,kind", [(x, y, kind) for x, y in SMOOTH_AT_ZERO
                                      for kind in (float, np.float64, int)
                                      if kind is not int or y == int(y) and str(x) == "0.0"],
                         ids=str)
def test_power_at_zero_matches_differences(x, y, kind):
    # d/dx at x = 0 is 0 for y > 1 and 1 for y = 1; d/dy is 0: x ** (y +- h) is 0
    if y == 2.5:   # (-h) ** 2.5 is not real: x's differences only from the right
        g = ad.grad(power, wrt=(0, 1))(kind(x), kind(y))
        assert g == (0.0, 0.0)
        assert_grad(power, kind(x), kind(y), wrt=1)
        return
    gx, gy = assert_grad(power, kind(x), kind(y), wrt=(0, 1))
    assert gy == 0.0 and gx == (1.0 if y == 1 else 0.0)


@covers(("python", "pow"))
@pytest.mark.parametrize("kind", [float, np.float64, int], ids=["float", "float64", "int"])
def test_zero_exponent_at_zero_base(kind):
    # x ** 0 is 1 for every x: d/dx is 0 (differences agree); d/dy at x = 0 is 0 by the
    # convention (0 ** -h is inf: no differences there). No ZeroDivisionError from 0.0 ** -1.
    assert_grad(power, kind(0), kind(0), wrt=0)
    assert ad.grad(power, wrt=(0, 1))(kind(0), kind(0)) == (0.0, 0.0)
    value, dot = ad.jvp(power, wrt=(0, 1))(kind(0), kind(0), (1.0, 1.0))
    assert value == 1 and dot == 0.0
    # away from x = 0 the y == 0 exponent has its log(x) term
    gx, gy = assert_grad(power, kind(2), kind(0), wrt=(0, 1))
    assert gx == 0.0 and gy == pytest.approx(np.log(2.0), rel=1e-12)


@covers(("python", "pow"))
@pytest.mark.parametrize("y", [0.5, 0.25, 0.9])
@pytest.mark.parametrize("kind", [float, np.float64], ids=["float", "float64"])
def test_fractional_exponent_at_zero_base_is_infinite(y, kind):
    # d/dx x ** y = y * x ** (y - 1) -> inf as x -> 0+; NumPy's value, not Python's error
    gx, gy = ad.grad(power, wrt=(0, 1))(kind(0.0), kind(y))
    assert gx == np.inf and isinstance(gx, float)
    assert gy == 0.0
    assert_grad(power, kind(0.0), kind(y), wrt=1)
    _, dot = ad.jvp(power)(kind(0.0), kind(y), 1.0)
    assert dot == np.inf
    # the differences from the right grow without bound, as the derivative says
    slopes = [(power(h, y) - power(0.0, y)) / h for h in (1e-3, 1e-6, 1e-9, 1e-12)]
    assert all(a < b for a, b in itertools.pairwise(slopes))


@covers(("python", "pow"))
def test_constant_exponents_at_zero():
    # constant exponents keep their plain code (2 * x) except where x ** (y - 1) is infinite
    # at 0, whose derivative goes through scaled_power
    assert_grad(cube_and_square, 0.0)
    assert_grad(cube_and_square, np.array([0.0, -1.5, 2.0]))
    source = ad.show(cube_and_square)
    assert "2 * x" in source and "3 * x ** 2" in source
    assert "scaled_power" not in source and "np.log" not in source
    for x in (0.0, np.float64(0.0), np.zeros(3)):
        g = ad.grad(root)(x)
        assert np.all(g == np.inf)
        assert np.all(ad.jvp(root)(x, np.ones_like(x) if np.ndim(x) else 1.0)[1] == np.inf)
    assert "scaled_power(0.5, x, -0.5)" in ad.show(root)
    assert_grad(root, np.array([1e-3, 0.5, 2.0]))


# -- arrays: broadcasting, np.power and ** ----------------------------------------------------

@covers(("python", "pow"))
@pytest.mark.parametrize("case", [np_power, operator_power], ids=lambda c: c.__name__)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_power_of_arrays_at_zero(case, dtype):
    rng = np.random.default_rng(3)
    # d/dx: integer exponents (0, 1, 2, 3) at bases 0, negative and positive: differences exist
    x = np.array([[0.0], [-1.5], [0.7], [-0.0]])
    y = np.array([0.0, 1.0, 2.0, 3.0])
    w = rng.uniform(0.5, 1.5, (4, 4))
    if dtype is np.float64:
        assert_grad(case, x, y, w, wrt=0)
    gx = ad.grad(case, wrt=0)(x.astype(dtype), y.astype(dtype), w.astype(dtype))
    assert gx.dtype == dtype
    expected = np.sum(w * np.where(y == 0, 0.0, y * np.abs(x) ** np.maximum(y - 1, 0)
                                   * np.sign(x) ** np.maximum(y - 1, 0)), axis=1, keepdims=True)
    assert_close(gx, expected, 1e-6 if dtype is np.float32 else 1e-12, 1e-6)
    # d/dy: positive exponents at bases 0 (where x ** (y +- h) is 0) and positive
    x = np.array([[0.0, 1.3, 0.0], [0.4, 0.0, 2.0]])
    y = np.array([[0.5], [2.5]])
    w = rng.uniform(0.5, 1.5, (2, 3))
    if dtype is np.float64:
        gy = assert_grad(case, x, y, w, wrt=1)
        assert_close(gy, np.sum(w * x ** y * np.log(np.where(x == 0, 1.0, x)), axis=1,
                                keepdims=True), 1e-12, 0)
    assert ad.grad(case, wrt=1)(x.astype(dtype), y.astype(dtype), w.astype(dtype)).dtype == dtype


@covers(("python", "pow"))
def test_power_of_arrays_at_the_kinks():
    # x == 0 with y == 0 or 0 < y < 1: no differences, the convention; no NaN, no warning
    x = np.array([0.0, 0.0, 0.0, 0.0, 2.0])
    y = np.array([0.0, 0.5, 1.0, 2.0, 0.0])
    w = np.ones(5)
    gx, gy = ad.grad(np_power, wrt=(0, 1))(x, y, w)
    assert_close(gx, [0.0, np.inf, 1.0, 0.0, 0.0], 0, 0)
    assert_close(gy, [0.0, 0.0, 0.0, 0.0, np.log(2.0)], 1e-15, 0)
    _, dot = ad.jvp(np_power, wrt=(0, 1))(x, y, w, (np.ones(5), np.ones(5)))
    assert dot == np.inf
    _, dot = ad.jvp(np_power, wrt=(0, 1))(x[2:], y[2:], w[2:], (np.ones(3), np.ones(3)))
    assert dot == pytest.approx(1.0 + np.log(2.0), rel=1e-15)
    # broadcasting a Python exponent, and a scalar base against an array exponent
    assert_close(ad.grad(operator_power)(x, 0.0, w), np.zeros(5), 0, 0)
    assert_close(ad.grad(operator_power, wrt=1)(0.0, y, w), np.zeros(5), 0, 0)
