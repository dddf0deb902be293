"""The rest of the numeric library: ``math``, Python's ``sum`` and ``pow``, more NumPy.

Each rule here is checked against central finite differences (reverse and forward mode,
``assert_grad``) at values Hypothesis draws away from kinks, poles and ties, and marked
with ``@covers`` for the registry's enumeration (``test_rules.py``). Their float32 cases
are in test_rules_float32.py, their autograd cases in test_reference.py.
"""

import math

import autograd
import numpy as np
import pytest
from conftest import (
    FEW,
    SOME,
    arrays,
    assert_close,
    assert_grad,
    assert_hessian,
    nonzero,
    operand,
    reals,
    shapes,
    weights,
    with_autograd_numpy,
)
from hypothesis import given
from hypothesis import strategies as st
from test_rules import covers
from test_second_order import assert_second_order

import adcompile as ad
from adcompile import runtime

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


# ===========================================================================
# math.py
# ===========================================================================

def m_log10(x, a):
    return a * math.log10(x)


def m_log2(x, a):
    return a * math.log2(x)


def m_log1p(x, a):
    return a * math.log1p(x)


def m_expm1(x, a):
    return a * math.expm1(x)


def m_exp2(x, a):
    return a * math.exp2(x)


def m_cbrt(x, a):
    return a * math.cbrt(x)


def m_sinh(x, a):
    return a * math.sinh(x)


def m_cosh(x, a):
    return a * math.cosh(x)


def m_asin(x, a):
    return a * math.asin(x)


def m_acos(x, a):
    return a * math.acos(x)


def m_atan(x, a):
    return a * math.atan(x)


def m_asinh(x, a):
    return a * math.asinh(x)


def m_acosh(x, a):
    return a * math.acosh(x)


def m_atanh(x, a):
    return a * math.atanh(x)


def m_fabs(x, a):
    return a * math.fabs(x)


def m_erf(x, a):
    return a * math.erf(x)


def m_erfc(x, a):
    return a * math.erfc(x)


def m_lgamma(x, a):
    return a * math.lgamma(x)


def m_gamma(x, a):
    return a * math.gamma(x)


def m_degrees(x, a):
    return a * math.degrees(x)


def m_radians(x, a):
    return a * math.radians(x)


def m_log_one(x, a):
    return a * math.log(x)


MATH_UNARY = [  # rule name, case, domain, an int in the domain
    ("log10", m_log10, reals(0.1, 5), 3), ("log2", m_log2, reals(0.1, 5), 2),
    ("log1p", m_log1p, reals(-0.9, 5), 0), ("expm1", m_expm1, reals(-3, 3), 1),
    ("exp2", m_exp2, reals(-3, 3), 2), ("cbrt", m_cbrt, nonzero(0.2, 5), -2),
    ("sinh", m_sinh, reals(-3, 3), 1), ("cosh", m_cosh, reals(-3, 3), -1),
    ("asin", m_asin, reals(-0.9, 0.9), 0), ("acos", m_acos, reals(-0.9, 0.9), 0),
    ("atan", m_atan, reals(-4, 4), 2), ("asinh", m_asinh, reals(-4, 4), -3),
    ("acosh", m_acosh, reals(1.1, 5), 2), ("atanh", m_atanh, reals(-0.9, 0.9), 0),
    ("fabs", m_fabs, nonzero(0.1, 3), -2), ("erf", m_erf, reals(-3, 3), 1),
    ("erfc", m_erfc, reals(-3, 3), -1), ("lgamma", m_lgamma, reals(0.2, 6), 3),
    ("lgamma", m_lgamma, reals(-2.9, -2.1), 1), ("gamma", m_gamma, reals(0.2, 4), 2),
    ("gamma", m_gamma, reals(-1.9, -1.1), 2), ("degrees", m_degrees, reals(-4, 4), 1),
    ("radians", m_radians, reals(-90, 90), 45), ("log", m_log_one, reals(0.1, 5), 2),
]


@covers(*[("math", name) for name, *_ in MATH_UNARY])
@pytest.mark.parametrize("name,case,domain,integer", MATH_UNARY,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(MATH_UNARY)])
@FEW
@given(data=st.data())
def test_math_unary(name, case, domain, integer, data):
    x, a = data.draw(domain), data.draw(nonzero(0.5, 2.0))
    assert_grad(case, x, a)
    assert_grad(case, np.float64(x), a)
    assert_grad(case, x, a, wrt=(0, 1))
    assert_grad(case, integer, 2)


def m_atan2(x, y):
    return math.atan2(x, y) * 2.0


def m_hypot(x, y):
    return math.hypot(x, y) * x


def m_fmod(x, y):
    return math.fmod(x, y) * 1.5 + x


def m_pow(x, y):
    return math.pow(x, y) + math.pow(x, 2) + math.pow(2.0, y)


def m_log_base(x, y):
    return math.log(x, y) + math.log(3.0, y) + math.log(x, 10)  # noqa: FURB163 (the rule tested)


def m_copysign(x, y):
    return math.copysign(x, y) * x


MATH_BINARY = [  # rule name, case, domain of x, domain of y
    ("atan2", m_atan2, reals(-3, 3), reals(0.2, 3)),   # away from the cut at y < 0 = x
    ("atan2", m_atan2, nonzero(0.2, 3), reals(-3, 3)),
    ("hypot", m_hypot, reals(-3, 3), nonzero(0.2, 3)),
    ("fmod", m_fmod, st.sampled_from([0.35 + 0.5 * k for k in range(-8, 8)]),
     st.sampled_from([0.6, -0.7, 1.1, -1.3])),
    ("pow", m_pow, reals(0.2, 3), reals(-2, 2)),
    ("log", m_log_base, reals(0.2, 5), st.one_of(reals(0.2, 0.8), reals(1.3, 5))),
]


@covers(*[("math", name) for name, *_ in MATH_BINARY])
@pytest.mark.parametrize("name,case,xs,ys", MATH_BINARY,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(MATH_BINARY)])
@FEW
@given(data=st.data())
def test_math_binary(name, case, xs, ys, data):
    x, y = data.draw(xs), data.draw(ys)
    assert_grad(case, x, y, wrt=(0, 1))
    assert_grad(case, np.float64(x), y, wrt=1)


def test_math_hypot_and_fabs_at_their_kinks():
    # the zero subgradient at the kink, as np.abs and np.linalg.norm have it
    assert ad.grad(m_hypot, wrt=(0, 1))(0.0, 0.0) == (0.0, 0.0)
    assert ad.grad(m_fabs)(0.0, 1.0) == 0.0


def m_second(x):
    return math.lgamma(x) * math.erf(x) + math.gamma(x) + math.log(x, 2.0) + math.sinh(x)  # noqa: FURB163


def test_math_second_derivatives():
    h = 1e-5
    first = ad.grad(m_second)
    second = ad.grad(ad.grad(m_second))
    for x in (0.7, 2.3):
        assert_close(second(x), (first(x + h) - first(x - h)) / (2 * h), 1e-6, 1e-6)


# -- np.polyval: a polynomial's value, in its coefficients and its variable ---------------------

def polyval_case(p, x, w):
    return np.sum(w * np.polyval(p, x)) + np.sum(np.polyval(np.poly1d([1.0, -2.0, 0.5]), x))


def polyval_helper(g, x, p):
    return (np.sum(runtime.polyval_bar(g * x, p, x, 1) * np.arange(1.0, len(p) + 1))
            + np.sum(runtime.polyval_derivative(p * 2.0, x, 2) * g))


@covers(("numpy", "polyval"), ("generated", "polyval_bar"), ("generated", "polyval_derivative"))
@SOME
@given(data=st.data())
def test_polyval(data):
    shape = data.draw(shapes(0, 2))
    x = data.draw(operand(shape))
    p = data.draw(arrays((data.draw(st.integers(1, 4)),)))
    assert_grad(polyval_case, p, x, data.draw(weights(shape)), wrt=(0, 1))
    # the helper of its gradient code, differentiated itself (second order)
    g = data.draw(operand(shape))
    assert_grad(polyval_helper, g, x, p, wrt=(0, 1))


def test_polyval_second_derivative():
    # d2/dx2 of p(x) = 2 x^3 - x + 4 is 12 x; the mixed derivative in p[0], x is 3 x^2
    p = np.array([2.0, 0.0, -1.0, 4.0])
    second = ad.grad(ad.grad(lambda x, p: np.polyval(p, x)))
    assert_close(second(0.7, p), 12 * 0.7, 1e-12, 0)
    assert_close(ad.hessian(lambda v: np.polyval(v[:4], v[4]))(np.append(p, 0.7))[0, 4],
                 3 * 0.7 ** 2, 1e-12, 0)


# -- np.interp: piecewise linear in x, linear in fp --------------------------------------------

TABLE = np.array([-1.0, 0.0, 0.5, 1.5, 2.0])   # (xp: the breakpoints, not differentiated)


def interp_plain(x, fp, w):
    return np.sum(w * np.interp(x, TABLE, fp) ** 2)


def interp_bounds(x, fp, w):
    return np.sum(w * np.sin(np.interp(x, TABLE, fp, left=0.25, right=-1.5)))


def interp_periodic(x, fp, w):
    return np.sum(w * np.interp(x, TABLE, fp, period=2.5) ** 3)


def interp_helpers(x, fp, s):
    # the helpers of np.interp's gradient code, each differentiated (second order)
    left, right, period = 0.25, None, None
    return (np.sum(runtime.interp_slope(x, TABLE, fp, left, right, period) * fp[1:3].sum())
            + np.sum(runtime.interp_fp_bar(s * x, x, TABLE, fp, left, right, period) * fp)
            + np.sum(runtime.interp_linear(x, TABLE, fp * fp, left, right, period) * x)
            + np.sum(runtime.interp_slope_bar(s * x, x, TABLE, fp, left, right, period) ** 2))


def off_the_table(lo=-1.6, hi=2.6):
    """Reals away from the breakpoints (kinks of np.interp in x) by more than the finite
    differences' step."""
    return reals(lo, hi).filter(lambda v: np.min(np.abs(TABLE - v)) > 1e-3
                                and np.min(np.abs(TABLE + 2.5 - v)) > 1e-3
                                and np.min(np.abs(TABLE - 2.5 - v)) > 1e-3)


@covers(("numpy", "interp"), ("generated", "interp_slope"), ("generated", "interp_fp_bar"),
        ("generated", "interp_linear"), ("generated", "interp_slope_bar"))
@SOME
@given(data=st.data())
def test_interp(data):
    shape = data.draw(shapes(0, 2))
    x = data.draw(operand(shape, off_the_table()))
    fp = data.draw(arrays((5,)))
    w = data.draw(weights(shape))
    for f in (interp_plain, interp_bounds, interp_periodic):
        assert_grad(f, x, fp, w, wrt=(0, 1))
    assert_grad(interp_helpers, x, fp, data.draw(operand(shape, nonzero())), wrt=(0, 1, 2))


def test_interp_at_and_beyond_the_table():
    # beyond the table the value is fp's end (or left/right): no slope in x, all of the
    # adjoint to that end of fp (none to fp where left/right is given); a point of the
    # table takes the slope of the segment starting there (the last point: the last one)
    x = np.array([-3.0, -1.0, 0.5, 2.0, 7.0])
    fp = np.array([1.0, 3.0, 2.0, 6.0, 4.0])
    gx, gfp = ad.grad(lambda x, fp: np.sum(np.interp(x, TABLE, fp)), wrt=(0, 1))(x, fp)
    assert_close(gx, [0.0, 2.0, 4.0, -4.0, 0.0], 1e-15, 0)
    assert_close(gfp, [2.0, 0.0, 1.0, 0.0, 2.0], 1e-15, 0)
    gfp = ad.grad(lambda fp: np.sum(np.interp(x, TABLE, fp, left=0.0, right=9.0)))(fp)
    assert_close(gfp, [1.0, 0.0, 1.0, 0.0, 1.0], 1e-15, 0)
    one = ad.grad(lambda x, fp: np.sum(np.interp(x, [0.5], fp) * x), wrt=(0, 1))
    assert_close(one(np.array([0.0, 0.5, 1.0]), np.array([3.0]))[1], [1.5], 1e-15, 0)


def test_interp_breakpoints_are_not_differentiated():
    with pytest.raises(ad.TransformError, match="xp"):
        ad.grad(lambda xp, x: np.sum(np.interp(x, xp, np.array([1.0, 2.0]))))(
            np.array([0.0, 1.0]), 0.5)


# -- the sigmoid helper (the shares of np.logaddexp) ------------------------------------------

def sigmoid_case(x, w):
    return np.sum(w * runtime.stable_sigmoid(x)) + np.sum(runtime.stable_sigmoid(x * x - 2.0) ** 2)


@covers(("generated", "stable_sigmoid"))
@FEW
@given(data=st.data())
def test_sigmoid_helper(data):
    shape = data.draw(shapes(0, 2))
    x = data.draw(operand(shape, reals(-4.0, 4.0)))
    assert_grad(sigmoid_case, x, data.draw(weights(shape)))
    # second order: the derivative of the helper's own adjoint, against differences of it
    t, h = data.draw(reals(-4.0, 4.0)), 1e-5
    first, second = ad.grad(squared_sigmoid), ad.grad(ad.grad(squared_sigmoid))
    assert_close(second(t), (first(t + h) - first(t - h)) / (2 * h), 1e-6, 1e-8)


def squared_sigmoid(t):
    return float(runtime.stable_sigmoid(t)) ** 2


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_keeps_tiny_values_and_never_overflows(dtype):
    """1 / (1 + e^-d) to a few units in the last place wherever it is a normal number of
    d's precision, below the smallest normal number elsewhere, in d's precision; no
    overflow however negative d is; integers and numbers as NumPy does."""
    d = np.array([-800.0, -750.0, -700.0, -100.0, -88.0, -87.0, -30.0, -1e-3, 0.0, 2.5, 40.0,
                  800.0, np.inf, -np.inf], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        got = runtime.stable_sigmoid(d)
    assert got.dtype == dtype and got.shape == d.shape
    # the reference, in extended precision where the platform has it
    wide = d.astype(np.longdouble)
    with np.errstate(over="ignore"):
        want = (1 / (1 + np.exp(-wide))).astype(np.float64)
    tiny = np.finfo(dtype).tiny
    normal = want > tiny
    np.testing.assert_allclose(got[normal], want[normal],
                               rtol=1e-6 if dtype == np.float32 else 4e-16)
    assert np.all(got[~normal] <= tiny) and np.all(got >= 0)
    assert runtime.stable_sigmoid(np.array([-1, 0, 3])).dtype == np.float64
    number = runtime.stable_sigmoid(-2.0)
    assert isinstance(number, np.float64) and number == 1 / (1 + math.exp(2.0))


# -- the polygamma helper (d/dx of lgamma and gamma) ------------------------------------------

def polygamma_case(x, w):
    return np.sum(w * runtime.polygamma(x, 0)) + np.sum(runtime.polygamma(x, 2) * 0.01)


@covers(("generated", "polygamma"))
@FEW
@given(data=st.data())
def test_polygamma_helper(data):
    shape = data.draw(shapes(0, 2))
    x = data.draw(operand(shape, st.one_of(reals(0.5, 9.0), reals(-2.7, -2.3))))
    assert_grad(polygamma_case, x, data.draw(weights(shape)))


def test_polygamma_against_series():
    # psi(1) = -Euler's gamma, psi'(1) = pi^2 / 6, psi''(1) = -2 zeta(3); psi(1/2) and
    # the reflection formula for negative x: psi(1 - x) - psi(x) = pi cot(pi x)
    assert_close(runtime.polygamma(1.0), -0.5772156649015329, 1e-14, 0)
    assert_close(runtime.polygamma(1.0, 1), math.pi ** 2 / 6, 1e-14, 0)
    assert_close(runtime.polygamma(1.0, 2), -2 * 1.2020569031595942, 1e-13, 0)
    assert_close(runtime.polygamma(0.5), -0.5772156649015329 - 2 * math.log(2), 1e-14, 0)
    x = np.array([-2.3, -0.4, 0.3, 1.7])
    assert_close(runtime.polygamma(1 - x) - runtime.polygamma(x), np.pi / np.tan(np.pi * x),
                 1e-12, 1e-12)
    assert isinstance(runtime.polygamma(2.5), float)
    assert runtime.polygamma(x.astype(np.float32), 1).dtype == np.float32


# ===========================================================================
# python.py: pow(x, y), sum of a list
# ===========================================================================

def pow_builtin(x, y, w):
    return np.sum(w * pow(x, y)) + np.sum(pow(x, 2))


@covers(("python", "pow_builtin"))
@FEW
@given(data=st.data())
def test_pow_builtin(data):
    shape = data.draw(shapes(0, 2))
    x = data.draw(operand(shape, reals(0.3, 2.0)))
    y = data.draw(reals(-2.0, 2.0))
    assert_grad(pow_builtin, x, y, data.draw(weights(shape)), wrt=(0, 1))


def pow_builtin_modulo(x):
    return pow(x, 2, 5)


def test_pow_builtin_with_a_modulus_is_refused():
    with pytest.raises(ad.TransformError, match="pow"):
        ad.grad(pow_builtin_modulo)(3.0)


def sum_literal(x, y):
    return sum([x, x * y, 3.0]) * y


def sum_named(x, y, w):
    terms = [x * y, np.sin(x), y]
    return np.sum(w * sum(terms))


def sum_rows(x, w):
    return np.sum(w * sum(x))


def sum_start(x):
    return sum([x, 2.0 * x], 1.5) ** 2


def sum_arrays_from_zeros(a, b, c):
    xs = [a, b * a, c]
    return np.sum(sum(xs, np.zeros(3)) ** 2)


def sum_generator_from_a_start(a, b, c):
    xs = [a, b, a * b]
    total = sum((x ** 2 for x in xs), np.zeros(3))
    shifted = sum((np.sin(x) * c for x in xs), start=c * 2.0)
    return np.sum(total * shifted) + sum(xs[0], 0.0) * sum(sorted(xs[1]), c)


def test_sum_with_a_start_value():
    # start + sum(xs): the start value is added once (in forward mode too, where the sum
    # of the items' tangents must not have it)
    assert_grad(sum_start, 0.5)
    args = (np.array([0.3, -1.2, 2.0]), np.array([0.5, 0.1, -0.7]), 0.8)
    for f in (sum_arrays_from_zeros, sum_generator_from_a_start):
        g = assert_grad(f, *args, wrt=(0, 1, 2))
        want = with_autograd_numpy(globals(), autograd.grad(f, (0, 1, 2)), *args)
        for mine, theirs in zip(g, want):
            assert_close(mine, theirs, 1e-10, 1e-12)
    assert_second_order(sum_generator_from_a_start, *args, wrt=0)
    assert_second_order(sum_generator_from_a_start, *args, wrt=2)


def sum_joining_lists(x):
    parts = sum([[x[0], x[1]], [x[2]]], [])
    return parts[0] * parts[2]


def test_sum_joining_lists_is_refused_at_its_start():
    with pytest.raises(ad.TransformError, match=r"list or tuple start joins lists") as info:
        ad.grad(sum_joining_lists)(np.ones(3))
    assert "sum([[x[0], x[1]], [x[2]]], [])" in str(info.value)


def fsum_case(x, y):
    return math.fsum([x, x * y, math.sin(y)]) * x


@covers(("python", "sum_"))
@SOME
@given(data=st.data())
def test_sum_of_a_list(data):
    x, y = data.draw(reals()), data.draw(reals())
    assert_grad(sum_literal, x, y, wrt=(0, 1))
    assert_grad(fsum_case, x, y, wrt=(0, 1))
    n = data.draw(st.integers(1, 3))
    xs = data.draw(arrays((n,)))
    ym = data.draw(arrays((2, n)))
    assert_grad(sum_named, xs, ym, data.draw(weights((2, n))), wrt=(0, 1))
    rows = data.draw(arrays((data.draw(st.integers(1, 3)), n)))
    assert_grad(sum_rows, rows, data.draw(weights((n,))))


@covers(("generated", "sum_bar"))
def test_sum_second_derivative():
    h = 1e-5
    first = ad.grad(sum_literal, wrt=(0, 1))
    second = ad.hessian(sum_literal, wrt=1)
    x, y = 0.7, -1.3
    fd = (first(x, y + h)[1] - first(x, y - h)[1]) / (2 * h)
    assert_close(second(x, y), fd, 1e-6, 1e-6)
    assert_close(ad.hessian(sum_named, wrt=0)(np.array([0.3, 0.5]), np.ones((2, 2)),
                                              np.ones((2, 2))),
                 np.diag(-2 * np.sin([0.3, 0.5])), 1e-12, 1e-12)


def uses_sum_join(x, w):
    return np.sum(runtime.sum_join(x * np.ones((2, 1)), w) * w)   # (pieces as rows)


def sum_cubed(x):
    return sum([x, x * x]) ** 3


@covers(("generated", "sum_join"))
def test_third_derivative_through_sum_is_refused():
    x = np.array([0.5, -1.0])
    with pytest.raises(ad.TransformError, match="third derivative"):
        ad.grad(uses_sum_join)(x, np.ones(2))
    with pytest.raises(ad.TransformError, match="third derivative"):
        ad.jvp(uses_sum_join)(x, np.ones(2), x)
    assert_close(ad.grad(ad.grad(sum_cubed))(0.5), 6 * 0.75 * 2 ** 2 + 3 * 0.75 ** 2 * 2, 1e-12)
    with pytest.raises(ad.TransformError, match="third derivative"):
        ad.grad(ad.grad(ad.grad(sum_cubed)))(0.5)


# ===========================================================================
# numpy.py: more elementwise functions
# ===========================================================================

def np_logaddexp2(x, y, w):
    return np.sum(w * np.logaddexp2(x, y))


def np_fmax(x, y, w):
    return np.sum(w * np.fmax(x, y))


def np_fmin(x, y, w):
    return np.sum(w * np.fmin(x, y))


def np_heaviside(x, h, w):
    return np.sum(w * np.heaviside(x, h))


def np_copysign(x, y, w):
    return np.sum(w * np.copysign(x, y))


@covers(("numpy", "logaddexp2"), ("numpy", "fmax"), ("numpy", "fmin"), ("numpy", "heaviside"),
        ("numpy", "copysign"))
@pytest.mark.parametrize("case", [np_logaddexp2, np_fmax, np_fmin, np_heaviside, np_copysign],
                         ids=lambda c: c.__name__)
@SOME
@given(data=st.data())
def test_numpy_binary_elementwise(case, data):
    # x and y on grids with different offsets never tie; x == 0 happens for heaviside
    sx, sy = data.draw(st.sampled_from([((3, 1), (4,)), ((2, 3), (2, 3)), ((), (3,)),
                                        ((2, 1, 3), (4, 1))]))
    x = data.draw(operand(sx, st.sampled_from([0.1 + 0.5 * k for k in range(-4, 4)])))
    y = data.draw(operand(sy, st.sampled_from([0.35 + 0.5 * k for k in range(-4, 4)])))
    w = data.draw(weights(np.broadcast_shapes(sx, sy)))
    assert_grad(case, x, y, w, wrt=(0, 1))
    if case is np_heaviside:   # h's gradient where x == 0 (x's derivative does not exist there)
        x = data.draw(operand(sx, st.sampled_from([-1.0, 0.0, 1.0])))
        assert_grad(case, x, y, w, wrt=1)


def copysign_of_itself(x, y):
    return np.sum(np.copysign(x * x, x - y) * x) + np.sum(np.copysign(2.0, x) * x)


def test_copysign_at_zeros():
    # at x == 0 the zero subgradient (as abs, and math.copysign); a zero y counts by its sign
    # bit, as the value does (-0.0 is negative); y's gradient is zero
    x = np.array([0.0, 1.5, -1.5, 2.0, -2.0])
    y = np.array([1.0, 0.0, 0.0, -0.0, -0.0])
    gx, gy = ad.grad(np_copysign, wrt=(0, 1))(x, y, np.ones(5))
    assert_close(gx, [0.0, 1.0, -1.0, -1.0, 1.0], 0, 0)
    assert_close(gy, np.zeros(5), 0, 0)
    _, dot = ad.jvp(np_copysign)(x, y, np.ones(5), np.array([7.0, 1.0, 2.0, 3.0, 5.0]))
    assert dot == 1.0   # (0 * 7 + 1 - 2 - 3 + 5)


@covers(("numpy", "copysign"))
@FEW
@given(x=arrays((2, 3), nonzero(0.25, 2.0)), y=arrays((3,), reals(0.1, 0.2)))
def test_copysign_of_itself_to_second_order(x, y):
    # copysign(x * x, x - y): the sign of x - y (y small, x away from 0: never 0) times x^2
    assert_grad(copysign_of_itself, x, y, wrt=(0, 1))
    assert_second_order(copysign_of_itself, x, y, wrt=0)


def np_float_power(x, y, w):
    return np.sum(w * np.float_power(x, y)) + np.sum(np.float_power(x, 3) + np.float_power(2.0, y))


@covers(("python", "float_power"))
@FEW
@given(data=st.data())
def test_float_power(data):
    sx, sy = data.draw(st.sampled_from([((3, 1), (4,)), ((2, 3), (2, 3)), ((), (3,))]))
    x = data.draw(operand(sx, reals(0.3, 2.0)))
    y = data.draw(operand(sy, reals(-2.0, 2.0)))
    w = data.draw(weights(np.broadcast_shapes(sx, sy)))
    assert_grad(np_float_power, x, y, w, wrt=(0, 1))
    assert_second_order(np_float_power, x, y, w, wrt=0)
    assert_second_order(np_float_power, x, y, w, wrt=1)


def float_power_of_integers(y):
    # an integer base to negative powers, which np.power refuses
    return np.sum(np.float_power(np.arange(1, 4), -y) * np.array([1.0, 2.0, 3.0]))


def test_float_power_of_an_integer_base_and_its_precision():
    y = np.array([0.5, 1.5, 2.5])
    assert_grad(float_power_of_integers, y)
    assert_close(ad.grad(float_power_of_integers)(y),
                 -np.arange(1, 4.0) ** -y * np.log(np.arange(1, 4.0)) * [1.0, 2.0, 3.0], 1e-12, 0)
    narrow = np.array([0.5, 1.5], dtype=np.float32)
    g = ad.grad(lambda x: np.sum(np.float_power(x, 2.5)))(narrow)
    assert g.dtype == np.float32   # (the result is float64; the gradient in x's precision)
    assert_close(g, 2.5 * narrow.astype(np.float64) ** 1.5, 1e-6, 0)


def np_fmax_nan(x, y):
    return np.sum(np.fmax(x, y) * np.array([1.0, 2.0, 3.0])) + np.sum(np.fmin(y, x) ** 2)


def test_fmax_fmin_pass_the_gradient_past_a_nan():
    x = np.array([0.5, np.nan, 2.0])
    y = np.array([np.nan, 1.5, 1.0])
    gx, gy = ad.grad(np_fmax_nan, wrt=(0, 1))(x, y)
    assert_close(gx, [1.0 + 2 * 0.5, 0.0, 3.0], 0, 0)
    assert_close(gy, [0.0, 2.0 + 2 * 1.5, 2 * 1.0], 0, 0)


def np_angles(x, w):
    return np.sum(w * (np.deg2rad(x) + np.radians(x) ** 2 + np.rad2deg(x) + np.degrees(x) ** 2))


def np_sinc(x, w):
    return np.sum(w * np.sinc(x))


def np_nan_to_num(x, w):
    return np.sum(w * np.nan_to_num(x * x, posinf=5.0))


@covers(("numpy", "deg2rad"), ("numpy", "rad2deg"), ("numpy", "sinc"), ("numpy", "nan_to_num"))
@pytest.mark.parametrize("case", [np_angles, np_sinc, np_nan_to_num], ids=lambda c: c.__name__)
@SOME
@given(data=st.data())
def test_numpy_unary_elementwise(case, data):
    shape = data.draw(shapes())
    assert_grad(case, data.draw(operand(shape, reals(-3, 3))), data.draw(weights(shape)))


def np_conjugates(x, w):
    # of real values, the conjugate and the real part are the values themselves
    return np.sum(w * (np.conj(x) * x.conj() + np.conjugate(x) ** 3 + x.conjugate()
                       + np.real(x) * x.real + x.T.conj().T))


@covers(("numpy", "conjugate"))
@SOME
@given(data=st.data())
def test_conjugate_and_real_part_of_real_values(data):
    shape = data.draw(shapes())
    # (a Python float has .conjugate() and .real, not .conj())
    assert_grad(np_conjugates, data.draw(operand(shape, python_float=False)),
                data.draw(weights(shape)))


def conjugate_of_complex(x):
    return np.sum(np.real(np.conj(x * 1j)))


def test_conjugate_of_a_complex_value_is_still_refused():
    with pytest.raises(ad.TransformError, match="complex number"):
        ad.grad(conjugate_of_complex)(np.ones(3))
    with pytest.raises(TypeError, match="complex array"):
        ad.grad(np_conjugates)(np.ones(3) + 1j, np.ones(3))


def sinc_at_zero(x):
    return np.sum(np.sinc(x) * np.array([1.0, 2.0]))


def nan_to_num_case(x):
    return np.sum(np.nan_to_num(x + np.array([np.inf, np.nan, -np.inf, 0.0]), posinf=1.0, neginf=-1.0) * 2.0)


def test_sinc_and_nan_to_num_at_special_points():
    assert_close(ad.grad(sinc_at_zero)(np.array([0.0, 0.5])),
                 [0.0, 2 * (np.cos(np.pi / 2) - np.sinc(0.5)) / 0.5], 1e-12, 1e-12)
    # NaN and infinities become constants: no gradient there
    assert_close(ad.grad(nan_to_num_case)(np.ones(4)), [0.0, 0.0, 0.0, 2.0], 0, 0)


def np_cross(a, b, w):
    return np.sum(w * np.cross(a, b))


@covers(("numpy", "cross"), ("generated", "cross_bar"))
@FEW
@given(data=st.data())
def test_cross(data):
    sa, sb = data.draw(st.sampled_from([((3,), (3,)), ((2, 3), (3,)), ((4, 1, 3), (2, 3))]))
    a, b = data.draw(arrays(sa)), data.draw(arrays(sb))
    w = data.draw(weights(np.broadcast_shapes(sa, sb)))
    assert_grad(np_cross, a, b, w, wrt=(0, 1))
    h = 1e-5
    first = ad.grad(np_cross, wrt=0)
    second = ad.jacobian(first, wrt=1)(a, b, w)
    step = np.zeros(sb)
    step.flat[0] = h
    fd = (first(a, b + step, w) - first(a, b - step, w)) / (2 * h)
    assert_close(second[(...,) + np.unravel_index(0, sb)], fd, 1e-6, 1e-6)



def np_cross_axes(a, b, w):
    # a's vectors down its columns, b's along its rows, the products down z's columns; and
    # one axis for all three
    return np.sum(w * np.cross(a, b, axisa=0, axisb=-1, axisc=0)) \
        + np.sum(np.cross(a, np.swapaxes(b, 0, 1), axis=0) ** 2) + np.sum(np.cross(a.T, b, 1, -1, 1) ** 2)


def np_cross_axis_variable(a, b, k):
    return np.sum(np.cross(a, np.swapaxes(b, 0, 1), axis=k) ** 2)


@covers(("numpy", "cross"))
@FEW
@given(data=st.data())
def test_cross_along_other_axes(data):
    n = data.draw(st.integers(1, 3))
    a, b = data.draw(arrays((3, n))), data.draw(arrays((n, 3)))
    assert_grad(np_cross_axes, a, b, data.draw(weights((3, n))), wrt=(0, 1))
    assert_grad(np_cross_axis_variable, a, b, 0, wrt=(0, 1))
    want = with_autograd_numpy(globals(), autograd.grad(np_cross_axes, (0, 1)), a, b, np.ones((3, n)))
    for got, expected in zip(ad.grad(np_cross_axes, wrt=(0, 1))(a, b, np.ones((3, n))), want):
        assert_close(got, expected, 1e-12, 1e-12)


def test_cross_along_other_axes_second_order():
    rng = np.random.default_rng(3)
    a, b, w = rng.normal(size=(3, 2)), rng.normal(size=(2, 3)), rng.normal(size=(3, 2))
    assert_second_order(np_cross_axes, a, b, w, wrt=0)
    assert_second_order(np_cross_axes, a, b, w, wrt=1)


def cross_of_rows(t, w):
    # a is 2 x 3, its length 2 known where the code is made: 3-vectors along its rows
    a = np.array([t, 2.0 * t + 1.0])
    return np.sum(np.cross(a, w) ** 2) + np.sum(np.cross(a, w, axis=-1) * 0.5)


def cross_of_a_pair_down_the_columns(t, w):
    a = np.array([t, 2.0 * t + 1.0])
    return np.sum(np.cross(a, w, axisa=0) ** 2)


def cross_of_a_pair_along_axis(t, w):
    a = np.array([t, 2.0 * t + 1.0])
    return np.sum(np.cross(a, np.array([w[:2], w[1:]]).T, axis=0))


def cross_of_a_made_pair(t):
    a = np.array([t[0], t[1]])
    return np.sum(np.cross(a, np.zeros(2) + t[2]) ** 2)


def cross_of_a_constant_pair(t):
    return np.sum(np.cross(np.array([1.0, 2.0]) * t[0], t[1:]))


def cross_of_sliced_pairs(t, w):
    v = np.array([t[0], t[1], t[2]])
    return np.sum(np.cross(v[1:], w))


@covers(("numpy", "cross"))
@pytest.mark.filterwarnings("ignore::DeprecationWarning")   # (NumPy's, for 2-vectors)
def test_cross_of_two_vectors_is_refused_where_the_code_knows_their_length():
    """np.cross of 2-vectors (deprecated by NumPy) has no rule. Where the code is made
    knowing the length of the axis the vectors lie along (an array of items written out,
    of constant lengths, sliced from one), it is refused then, in both modes, at the user's
    line; a length of 2 along another axis is no refusal."""
    t, w = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.3, -0.7])
    assert_grad(cross_of_rows, t, w, wrt=(0, 1))
    for f, args in ((cross_of_a_pair_down_the_columns, (t, w)),
                    (cross_of_a_pair_along_axis, (t, w)), (cross_of_a_made_pair, (t,)),
                    (cross_of_a_constant_pair, (t,)), (cross_of_sliced_pairs, (t, w[:2]))):
        for differentiate in (ad.grad(f), lambda *a, f=f: ad.jvp(f)(*a, tangents=t)):
            with pytest.raises(ad.TransformError, match="np.cross of 2-vectors") as info:
                differentiate(*args)
            assert "test_rules_library.py:" in str(info.value).splitlines()[0]


def cross_along(a, b, axis):
    return np.sum(np.cross(a, b, axis=axis) ** 2)


def cross_of_arguments(a, b):
    return np.sum(np.cross(a, b) * np.cross(b, a * a))


@covers(("numpy", "cross"))
@pytest.mark.filterwarnings("ignore::DeprecationWarning")   # (NumPy's, for 2-vectors)
def test_cross_of_two_vectors_is_refused_when_the_code_runs_at_the_users_line():
    """Where the length of the vectors' axis is known only when the code runs (arguments),
    2-vectors are refused then, a ValueError naming the user's line; 3-vectors, along an
    axis given as a variable too, are differentiated."""
    rng_cross = np.random.default_rng(5)
    a, b = rng_cross.normal(size=(4, 3)), rng_cross.normal(size=(4, 3))
    assert_grad(cross_of_arguments, a, b, wrt=(0, 1))
    assert_grad(cross_along, a.T.copy(), b.T.copy(), 0, wrt=(0, 1))
    assert_grad(cross_along, a, b, None, wrt=(0, 1))
    for f, args in ((cross_of_arguments, (a[:, :2], b[:, :2])),
                    (cross_of_arguments, (a[:, :2], b)),
                    (cross_along, (a[:2], b[:2], 0))):
        with pytest.raises(ValueError, match="np.cross of 2-vectors") as info:
            ad.grad(f, wrt=(0, 1))(*args)
        assert "test_rules_library.py:" in str(info.value).splitlines()[0]


def np_block(a, b, v, w):
    # 2 x 2 blocks, vectors as rows, a 1-d join
    m = np.block([[a, b], [b.T, np.eye(np.shape(b)[1])]])
    row = np.block([[v, v[:1] * 2.0], [a[0], b[0, :1] * 3.0]])
    return np.sum(w * m) + np.sum(m ** 2) + np.sum(row ** 3) + np.sum(np.block([v, a[-1], v * v]) ** 2)


@covers(("arrays", "block"), ("generated", "block_of"), ("generated", "block_bar"))
@FEW
@given(data=st.data())
def test_block(data):
    n, k = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 2))
    a, b, v = data.draw(arrays((n, n))), data.draw(arrays((n, k))), data.draw(arrays((n,)))
    w = data.draw(weights((n + k, n + k)))
    assert_grad(np_block, a, b, v, w, wrt=(0, 1, 2))
    want = with_autograd_numpy(globals(), autograd.grad(np_block, (0, 1, 2)), a, b, v, w)
    for got, expected in zip(ad.grad(np_block, wrt=(0, 1, 2))(a, b, v, w), want):
        assert_close(got, expected, 1e-12, 1e-12)


def test_block_second_order():
    rng = np.random.default_rng(4)
    a, b, v, w = rng.normal(size=(2, 2)), rng.normal(size=(2, 1)), rng.normal(size=2), rng.normal(size=(3, 3))
    for wrt in (0, 1, 2):
        assert_second_order(np_block, a, b, v, w, wrt=wrt)


def np_block_3d(x, y):
    # nesting shallower than the items: each join along one of the last axes
    return np.sum(np.block([[x, y], [y, x]]) ** 2 * np.arange(1.0, 1.0 + 2 * 4 * 6).reshape(2, 4, 6))


def np_block_numbers(v, a):
    # numbers among the items, and a block of one item (autograd's np.block takes neither)
    return np.sum(np.block([[v, 2.0], [a, v[0] * 3.0]]) ** 3) + np.sum(np.block([1.0, v, a[0]]) ** 2) \
        + np.sum(np.block([[a]]) * a)


def test_block_of_items_deeper_than_the_nesting_and_of_numbers():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(2, 2, 3)), rng.normal(size=(2, 2, 3))
    assert_grad(np_block_3d, x, y, wrt=(0, 1))
    v, a = rng.normal(size=2), rng.normal(size=2)
    assert_grad(np_block_numbers, v, a, wrt=(0, 1))
    assert_second_order(np_block_numbers, v, a)


def block_of_a_variable(a):
    parts = [[a, a], [a, a]]
    return np.sum(np.block(parts))


def block_uneven(a):
    return np.sum(np.block([[a, a], a]))


def block_of_tuples(a):
    return np.sum(np.block([(a, a)]))


def block_with_a_list_item(a):
    row = [a, 2.0 * a]
    return np.sum(np.block([row]) ** 2)   # NumPy: np.block([[a, 2a]]), one level deeper


@pytest.mark.parametrize("f, message", [(block_of_a_variable, "list literal"),
                                        (block_uneven, "same depth"),
                                        (block_of_tuples, "no tuple"),
                                        (block_with_a_list_item, "held in a variable")])
def test_block_forms_refused(f, message):
    with pytest.raises(ad.TransformError, match=message) as info:
        ad.grad(f)(np.ones((2, 2)))
    assert "test_rules_library.py" in str(info.value)

# ===========================================================================
# arrays.py: rearrangements and selections
# ===========================================================================

def a_flips(x, w):
    return np.sum(w * np.flipud(x)) + np.sum(np.fliplr(x) ** 2 * w)


def a_rot90(x, w):
    return np.sum(np.rot90(x) ** 2) + np.sum(w * np.rot90(x, 2)) + np.sum(np.rot90(x, -1, axes=(1, 0)) ** 3)


def a_atleast(x, w):
    return np.sum(np.atleast_1d(x[0, 0]) * 3.0) + np.sum(np.atleast_2d(x[0]) ** 2) \
        + np.sum(np.atleast_3d(x) ** 3) + np.sum(w * np.atleast_2d(x))


def a_diagonal(x, w):
    return np.sum(np.diagonal(x) ** 2) + np.sum(x.diagonal(1) ** 3) + np.sum(np.diagonal(x, -1) * 2.0)


def a_diff(x, w):
    return np.sum(np.diff(x) ** 2) + np.sum(np.diff(x, axis=0) ** 3) + np.sum(np.diff(x, n=2) ** 2)


def a_splits(x, w):
    a, b = np.hsplit(x, [1])
    c, d = np.vsplit(x, [1])
    return np.sum(a ** 2) + np.sum(w[:, 1:] * b) + np.sum(c * d[:1] * 2.0)


def a_append(x, w):
    return np.sum(np.append(x, x[0] * 2.0) ** 2) + np.sum(w[:1] * np.append(x, x[:1] ** 2, axis=0)[-1:]) \
        + np.sum(np.append(x[:, :1], x, axis=1) ** 3)


IDX = np.array([0, 2, 2, 1, 0])
SPREAD = st.sampled_from([0.1 * k + 0.03 for k in range(-20, 20)])   # distinct draws differ by 0.1


def a_take(x, w):
    return np.sum(np.take(x, IDX) ** 2) + np.sum(np.take(x, IDX[:3] % 2, axis=0) ** 3) \
        + np.sum(x.take([1, 1], axis=1) * 1.5) + np.take(x, 1)


def a_take_along_axis(x, w):
    order = np.argsort(w, axis=1)
    return np.sum(np.take_along_axis(x, order, axis=1) * w) \
        + np.sum(np.take_along_axis(x, np.zeros((2, 1), dtype=int), axis=0) ** 2) \
        + np.sum(np.take_along_axis(x, np.array([0, 0, 1]), axis=None) ** 3)


def a_sort(x, w):
    return np.sum(w * np.sort(x)) + np.sum(np.sort(x, axis=0) ** 3 * w) + np.sum(np.sort(x, axis=None) * np.ravel(w))


def a_sliding_windows(x, w):
    # windows over both axes (a 2x2 filter), along one axis (negative), of a flat copy
    windows = np.lib.stride_tricks.sliding_window_view(x, (2, 2))
    rows = np.lib.stride_tricks.sliding_window_view(x, 2, axis=-2)
    flat = np.lib.stride_tricks.sliding_window_view(np.ravel(x), 3)
    return np.sum(np.einsum("ijkl,kl->ij", windows, w[:2, :2]) ** 2) + np.sum(rows ** 3) \
        + np.sum(flat.max(axis=-1) * flat.mean(axis=-1))


def a_running_extremes(x, w):
    # a running maximum down the rows, a running minimum along each row and of a flat copy
    return np.sum(np.maximum.accumulate(x) * w) + np.sum(np.minimum.accumulate(x, axis=1) ** 3) \
        + np.sum(np.maximum.accumulate(np.ravel(x), axis=0) ** 2 * np.ravel(w))


ARRAY_CASES = [  # rule keys, case, minimal shape of x
    ((("arrays", "flipud"), ("arrays", "fliplr")), a_flips, (1, 1)),
    ((("arrays", "rot90"),), a_rot90, (1, 1)),
    ((("arrays", "atleast_nd"),), a_atleast, (1, 1)),
    ((("arrays", "diagonal"), ("generated", "diagonal_bar")), a_diagonal, (2, 2)),
    ((("arrays", "diff"), ("generated", "diff_bar")), a_diff, (2, 3)),
    ((("arrays", "hsplit"), ("arrays", "vsplit")), a_splits, (2, 2)),
    ((("arrays", "append"),), a_append, (1, 1)),
    ((("arrays", "take"), ("generated", "take_bar")), a_take, (3, 3)),
    ((("arrays", "take_along_axis"), ("generated", "take_along_axis_bar")), a_take_along_axis,
     (1, 2)),
    ((("arrays", "sort"),), a_sort, (1, 1)),
    ((("arrays", "running_extreme"),), a_running_extremes, (1, 1)),
    ((("arrays", "sliding_window_view"), ("generated", "sliding_window_bar")), a_sliding_windows,
     (2, 2)),
]


@covers(*[key for keys, *_ in ARRAY_CASES for key in keys])
@pytest.mark.parametrize("keys,case,min_shape", ARRAY_CASES, ids=[c[1].__name__ for c in ARRAY_CASES])
@FEW
@given(data=st.data())
def test_arrays(keys, case, min_shape, data):
    shape = tuple(data.draw(st.integers(m, m + 2)) for m in min_shape)
    x = data.draw(arrays(shape, SPREAD, unique=True))   # entries 0.1 apart: no ties for sort
    w = data.draw(arrays(shape, nonzero(0.5, 2.0), unique=True))
    assert_grad(case, x, w)


def windows_of_windows(x):
    # sliding_window_view(x, (2, 3), axis=(0, 0)) of a vector: y[i, j, k] = x[i + j + k]
    w = np.lib.stride_tricks.sliding_window_view(x, (2, 3), axis=(0, 0))
    m = np.lib.stride_tricks.sliding_window_view(x[:6].reshape(2, 3), (2, 2), axis=(1, 1))
    return np.sum(w ** 2 * np.arange(w.size).reshape(w.shape)) + np.sum(np.sin(m) * m.sum())


def test_windows_of_windows():
    """An axis given twice to sliding_window_view (windows of windows, as NumPy's
    documentation shows) made the gradient code fail with NotImplementedError, naming no line
    of the user's; each window starts at the sum of its offsets."""
    x = np.array([0.3, -1.2, 0.8, 2.0, -0.4, 1.1, 0.6])
    assert_grad(windows_of_windows, x)
    assert_hessian(windows_of_windows, x)


def a_second(x):
    return np.sum(np.sort(x) ** 3 * np.arange(x.size)) + np.sum(np.take(x, IDX[:2]) ** 3) \
        + np.sum(np.diff(x) ** 3) + np.sum(np.flipud(x) * x)


def a_windows_second(x):
    w = np.lib.stride_tricks.sliding_window_view(x, (2, 2))
    return np.sum(np.prod(w, axis=(-2, -1)) ** 2) + np.sum(np.sin(w[..., 0, 1]) * x[1:, :-1])


def ufunc_methods(x, y):
    d = np.subtract.outer(x, y)
    return (np.sum(np.add.reduce(d ** 2)) + np.multiply.reduce(x[:3]) * np.maximum.reduce(y)
            + np.sum(np.add.accumulate(d, axis=1) ** 2) + np.sum(np.multiply.accumulate(x))
            + np.minimum.reduce(x, axis=None) + np.sum(np.multiply.outer(x, y[:2]) ** 2)
            + np.sum(np.add.reduce(d, 1, keepdims=True) ** 3))


def cumulative_products(x):   # (np.cumprod, which autograd does not differentiate)
    return np.array([np.prod(x[:k + 1]) for k in range(len(x))])


def ufunc_methods_spelled(x, y):   # (the same, as the functions they equal)
    d = x[:, None] - y[None, :]
    return (np.sum(np.sum(d ** 2, axis=0)) + np.prod(x[:3]) * np.max(y)
            + np.sum(np.cumsum(d, axis=1) ** 2) + np.sum(cumulative_products(x)) + np.min(x)
            + np.sum((x[:, None] * y[None, :2]) ** 2) + np.sum(np.sum(d, axis=1) ** 3))


def reduce_with_dtype(x):   # (reduce's third positional parameter is dtype, not keepdims)
    return np.sum(np.add.reduce(x, 0, np.float64) ** 2)


def test_ufunc_methods_as_the_functions_they_equal():
    x, y = np.array([0.3, -1.2, 0.8, 1.9]), np.array([0.5, -0.7, 1.1])
    assert_grad(ufunc_methods, x, y, wrt=(0, 1))
    got = ad.grad(ufunc_methods, wrt=(0, 1))(x, y)
    want = with_autograd_numpy(globals(), autograd.grad(ufunc_methods_spelled, (0, 1)), x, y)
    assert_close(got[0], want[0], 1e-12, 1e-12)
    assert_close(got[1], want[1], 1e-12, 1e-12)
    with pytest.raises(ad.TransformError, match="np.add.reduce"):
        ad.grad(reduce_with_dtype)(np.ones((2, 3)))


def logaddexp_reduced(x, w):
    # along axis 0 (the default), along rows, over all entries, keeping the axis
    return (np.sum(np.logaddexp.reduce(x) * w[0]) + np.sum(np.logaddexp.reduce(x, axis=1) ** 2)
            + np.logaddexp.reduce(x, axis=None) * w[1, 1]
            + np.sum(np.logaddexp.reduce(x, 0, keepdims=True) ** 3)
            + np.logaddexp.reduce(np.ravel(x) * 3.0))


def logaddexp_reduced_spelled(x, w):   # (the same, with the log-sum-exp written out)
    def lse(v, axis, keepdims=False):
        return np.log(np.sum(np.exp(v), axis=axis, keepdims=keepdims))

    return (np.sum(lse(x, 0) * w[0]) + np.sum(lse(x, 1) ** 2) + lse(x, None) * w[1, 1]
            + np.sum(lse(x, 0, True) ** 3) + lse(np.ravel(x) * 3.0, 0))


def logaddexp_reduce_dtype(x):
    return np.logaddexp.reduce(x, 0, np.float32)


@covers(("arrays", "logaddexp_reduce"))
def test_logaddexp_reduce():
    x = np.array([[0.3, -1.2, 0.8], [2.0, 0.5, -0.7], [1.1, -0.4, 0.9]])
    w = np.array([[0.5, -1.5, 2.0], [1.0, 0.7, -0.3], [0.2, 0.1, 0.4]])
    assert_grad(logaddexp_reduced, x, w)
    want = with_autograd_numpy(globals(), autograd.grad(logaddexp_reduced_spelled), x, w)
    assert_close(ad.grad(logaddexp_reduced)(x, w), want, 1e-12, 1e-12)
    assert_close(ad.hessian(logaddexp_reduced)(x, w),
                 gradient_differences(logaddexp_reduced, x, w), 1e-6, 1e-7)
    big = np.array([800.0, 799.0, -5.0])   # (exp overflows: the shares do not)
    assert_close(ad.grad(lambda v: np.logaddexp.reduce(v))(big),
                 np.exp(big - np.logaddexp.reduce(big)), 1e-12, 1e-300)
    with pytest.raises(ad.TransformError, match="dtype= or out="):
        ad.grad(logaddexp_reduce_dtype)(x[0])


def running_maximum_second(x):
    return np.sum(np.maximum.accumulate(x, axis=1) ** 3) + np.sum(np.minimum.accumulate(x) ** 2 * x)


def gradient_differences(f, x, *rest, h=1e-5):
    """The Hessian of ``f`` in its first argument at the array ``x`` (the others ``rest``)
    as central differences of adcompile's gradient: H[..., i] = (grad(x + h e_i) -
    grad(x - h e_i)) / 2h. (A function of module level, not a lambda made for each drawn
    example, is transformed once.)"""
    first = ad.grad(f)
    fd = np.zeros(x.shape + x.shape)
    for i in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[i] = h
        fd[(...,) + i] = (first(x + step, *rest) - first(x - step, *rest)) / (2 * h)
    return fd


def test_running_extremes_second_derivative():
    x = np.array([[0.3, -1.2, 0.8], [2.0, 0.5, -0.7], [1.1, -0.4, 0.9]])
    assert_close(ad.hessian(running_maximum_second)(x),
                 gradient_differences(running_maximum_second, x), 1e-6, 1e-7)


def test_sliding_windows_second_derivative():
    # the helper of the gradient (sliding_window_bar) has a rule of its own: both Hessians
    # equal differences of the gradient
    x = np.array([[0.3, -1.2, 0.8], [2.0, 0.5, -0.7], [1.1, -0.4, 0.9]])
    fd = gradient_differences(a_windows_second, x)
    for mode in ("reverse", "forward"):
        assert_close(ad.hessian(a_windows_second, mode=mode)(x), fd, 1e-6, 1e-6)


def test_array_rules_second_derivative():
    x = np.array([0.3, -1.2, 0.8, 2.0])
    h = 1e-5
    first = ad.grad(a_second)
    fd = np.array([(first(x + h * e) - first(x - h * e)) / (2 * h) for e in np.eye(4)])
    for mode in ("reverse", "forward"):
        assert_close(ad.hessian(a_second, mode=mode)(x), fd, 1e-6, 1e-6)


def a_dsplit(x, w):
    p, q = np.dsplit(x, [1])
    return np.sum(p ** 2) + np.sum(w * q)


def a_joins(x, v, w):
    return np.sum(w * np.column_stack([v, x, v * v])) + np.sum(np.dstack([x, x * x, v[:, None] * x]) ** 2)


@covers(("arrays", "dsplit"), ("arrays", "column_stack"), ("arrays", "dstack"),
        ("generated", "column_stack_bar"), ("generated", "dstack_bar"))
@FEW
@given(data=st.data())
def test_dsplit_column_stack_dstack(data):
    n, m = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    x3 = data.draw(arrays((n, m, 3)))
    assert_grad(a_dsplit, x3, data.draw(weights((n, m, 2))))
    x, v = data.draw(arrays((n, m))), data.draw(arrays((n,)))
    assert_grad(a_joins, x, v, data.draw(weights((n, m + 2))), wrt=(0, 1))
    h = ad.hessian(a_joins, wrt=1)(x, v, np.ones((n, m + 2)))
    assert_close(h, np.diag(2.0 + 2.0 * np.sum(x * x, axis=1)), 1e-12, 1e-12)


def test_split_functions_refuse_lists_of_pieces_they_do_not_take():
    with pytest.raises(ad.TransformError):
        ad.grad(np_atleast_two)(np.ones(2))


def np_atleast_two(x):
    a, b = np.atleast_2d(x, x)
    return np.sum(a * b)


# ===========================================================================
# statistics.py
# ===========================================================================

MASK = np.array([[0.0, np.nan, 0.0, 0.0], [np.nan, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, np.nan]])


def s_nansum(x, w):
    y = x + MASK[:x.shape[0], :x.shape[1]]
    # (only sums of y: a product with NaN would have a NaN gradient of its own)
    return np.nansum(y) ** 2 + np.sum(w[0] * np.nansum(y, axis=0)) + np.sum(np.nansum(y, axis=1, keepdims=True) ** 2)


def s_nanmean(x, w):
    y = x + MASK[:x.shape[0], :x.shape[1]]
    return np.nanmean(y) ** 2 + np.sum(w[0] * np.nanmean(y, axis=0)) + np.sum(np.nanmean(y, axis=1, keepdims=True) ** 3)


def s_average(x, w):
    return np.average(x, weights=w) + np.sum(np.average(x, axis=1, weights=w * w) ** 2) \
        + np.sum(np.average(x, axis=0, weights=w[:, 0]) ** 3) + np.average(x) \
        + np.sum(np.average(x ** 2, axis=1, keepdims=True))


def s_quantiles(x, w):
    return np.median(x) + np.sum(w[0] * np.median(x, axis=0)) + np.sum(np.quantile(x, 0.3, axis=1) ** 3) \
        + np.percentile(x, 71.0) * 2.0 + np.sum(np.median(x, axis=1, keepdims=True) * w[:, :1])


STAT_CASES = [
    ((("statistics", "nansum"),), s_nansum, (2, 3)),
    ((("statistics", "nanmean"),), s_nanmean, (3, 4)),
    ((("statistics", "average"),), s_average, (1, 1)),
    ((("statistics", "quantile"), ("statistics", "percentile"), ("statistics", "median")),
     s_quantiles, (1, 1)),
]


@covers(*[key for keys, *_ in STAT_CASES for key in keys])
@pytest.mark.parametrize("keys,case,min_shape", STAT_CASES, ids=[c[1].__name__ for c in STAT_CASES])
@FEW
@given(data=st.data())
def test_statistics(keys, case, min_shape, data):
    shape = tuple(data.draw(st.integers(m, m + 2)) for m in min_shape)
    if case is s_nanmean:
        shape = (3, 4)
    shape = tuple(min(s, 3 if i == 0 else 4) for i, s in enumerate(shape))
    x = data.draw(arrays(shape, SPREAD, unique=True))   # no ties for the quantiles
    w = data.draw(arrays(shape, reals(0.5, 2.0)))
    assert_grad(case, x, w, wrt=(0, 1) if case is s_average else 0)


def median_of_four(x):
    return np.median(x)


def quantile_of_array_q(x):
    return np.sum(np.quantile(x, np.array([0.2, 0.8])))


def quantile_active_q(x, q):
    return np.quantile(x, q)


def quantile_method(x):
    return np.quantile(x, 0.5, method="nearest")


def percentile_method(x):
    return np.percentile(x, 30.0, method="lower")


def average_returned(x, w):
    return np.average(x, weights=w, returned=True)[0]


def quantiles_of_q(x, q):
    return np.sum(np.quantile(x, q, axis=1) ** 2)


def quantiles_kept(x, q):
    return np.sum(np.quantile(x, q, axis=0, keepdims=True) ** 3)


def percentiles_of_q(x, q):
    return np.sum(np.percentile(x, q) * np.arange(1.0, 1.0 + np.size(q)).reshape(np.shape(q)))


def percentiles_of_local_q(x):
    q = np.array([10.0, 50.0, 95.0])
    return np.sum(np.percentile(x, q) ** 2)


@covers(("generated", "quantile_bar"), ("generated", "quantile_dot"))
@pytest.mark.parametrize("f, q", [
    (quantiles_of_q, np.array([0.1, 0.6])),
    (quantiles_of_q, np.array([[0.1, 0.6], [0.3, 0.9]])),
    (quantiles_kept, np.array([0.25, 0.5, 0.75])),
    (percentiles_of_q, np.array([[10.0, 40.0], [60.0, 90.0]])),
    (percentiles_of_q, [10.0, 70.0]),   # (a list given as an argument)
    (percentiles_of_q, 30.0),
])
def test_quantiles_of_an_array_of_q(f, q):
    x = np.random.default_rng(5).permutation(35).reshape(5, 7) / 7.0   # no ties
    assert_grad(f, x, q)   # (and forward mode; autograd has no rule for np.quantile)
    assert ad.grad(f)(x.astype(np.float32), q).dtype == np.float32


def test_percentiles_of_a_local_array_of_q():
    x = np.random.default_rng(6).permutation(9) / 3.0
    assert_grad(percentiles_of_local_q, x)
    # the helpers of its gradient (quantile_bar, and quantile_dot, its transpose) have rules
    # of their own: the Hessian equals differences of the gradient
    assert_close(ad.hessian(percentiles_of_local_q)(x),
                 gradient_differences(percentiles_of_local_q, x), 1e-6, 1e-7)


def test_statistics_closed_forms_and_refusals():
    # the two middle entries share the gradient of an even count's median
    assert_close(ad.grad(median_of_four)(np.array([4.0, 1.0, 3.0, 2.0])), [0, 0, 0.5, 0.5], 0, 0)
    # q = 0.2 weighs the sorted entries 1 and 2 by 0.4 and 0.6, q = 0.8 entries 3 and 4 by
    # 0.6 and 0.4: an array of q sums what each q gives
    assert_close(ad.grad(quantile_of_array_q)(np.array([4.0, 1.0, 3.0, 2.0])),
                 [0.4, 0.4, 0.6, 0.6], 1e-12, 1e-12)
    with pytest.raises(ad.TransformError, match="q"):
        ad.grad(quantile_active_q, wrt=(0, 1))(np.arange(4.0), 0.3)
    with pytest.raises(ad.TransformError, match="method='linear'"):
        ad.grad(quantile_method)(np.arange(4.0))
    # (forward mode gave the linear method's tangent)
    with pytest.raises(ad.TransformError, match="forward mode: np.quantile .* method='linear'"):
        ad.jvp(quantile_method)(np.arange(4.0), np.arange(4.0))
    with pytest.raises(ad.TransformError, match="forward mode: np.percentile .* method='linear'"):
        ad.jvp(percentile_method)(np.arange(4.0), np.arange(4.0))
    with pytest.raises(ad.TransformError, match="returned=True"):
        ad.grad(average_returned)(np.arange(4.0), np.ones(4))


def quantile_by(x, method):
    return np.sum(np.quantile(x, 0.3, method=method) ** 2)


def average_asked(x, w, returned):
    return np.average(x, weights=w, returned=returned)[0]


def test_statistics_refusals_of_a_keyword_given_a_variable():
    """method= or returned= given a variable: what the rule refuses is known only when the
    code runs, and is refused there, at the user's line (the gradient of method='lower'
    was the linear one's; returned=True raised NumPy's error). (np.quantile's method given by
    a name is refused when the code is made, whatever it holds.)"""
    x = np.random.default_rng(8).permutation(7) / 3.0
    line = quantile_by.__code__.co_firstlineno + 1
    with pytest.raises(ValueError, match=rf"test_rules_library.py:{line}:\d+: np.quantile "
                                         rf"is differentiated with the default method='linear"):
        ad.grad(quantile_by)(x, "lower")
    with pytest.raises(ValueError, match="forward mode: np.quantile"):
        ad.jvp(quantile_by)(x, "nearest", np.ones(7))
    with pytest.raises(ValueError, match="np.quantile is differentiated with the default"):
        ad.grad(quantile_by)(x, "linear")   # (by a name, refused whatever it holds)
    with pytest.raises(ValueError, match=r"np.average with returned=True(.|\n)*returned=returned"):
        ad.grad(average_asked)(x, np.ones(7), True)


def s_second(x, w):
    return np.nanmean(x ** 2) * np.average(x, weights=w) + np.median(x ** 3) + np.nansum(x ** 3)


def test_statistics_second_derivatives():
    x, w = np.array([0.3, -1.2, 0.8]), np.array([1.0, 2.0, 0.5])
    h = 1e-5
    for wrt in (0, 1):
        first = ad.grad(s_second, wrt=wrt)
        point = [x, w]
        fd = []
        for e in np.eye(3):
            up, down = list(point), list(point)
            up[wrt], down[wrt] = point[wrt] + h * e, point[wrt] - h * e
            fd.append((first(*up) - first(*down)) / (2 * h))
        for mode in ("reverse", "forward"):
            assert_close(ad.hessian(s_second, wrt=wrt, mode=mode)(x, w), np.array(fd), 1e-6, 1e-6)


# ===========================================================================
# linalg.py: pinv, matrix_power
# ===========================================================================

def l_pinv(x, w):
    return np.sum(w * np.linalg.pinv(x))


def l_matrix_power(x, w):
    return np.sum(w * np.linalg.matrix_power(x, 3)) + np.sum(np.linalg.matrix_power(x, 1) ** 2) \
        + np.sum(np.linalg.matrix_power(x, -2) * w) + np.sum(np.linalg.matrix_power(x, 0))


POWER = 2


def l_matrix_power_variable(x):
    return np.sum(np.linalg.matrix_power(x, POWER) ** 2) + np.sum(np.linalg.matrix_power(x, -POWER))


@covers(("linalg", "pinv"), ("linalg", "matrix_power"), ("generated", "upper_block"))
@FEW
@given(data=st.data())
def test_pinv_and_matrix_power(data):
    m, n = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    b = data.draw(st.integers(1, 2))
    shape = data.draw(st.sampled_from([(m, n), (b, m, n)]))
    x = data.draw(arrays(shape, reals(-1, 1))) + np.eye(m, n) * 3.0   # full rank
    assert_grad(l_pinv, x, data.draw(weights(shape[:-2] + (n, m))))
    sq = data.draw(arrays(shape[:-2] + (n, n), reals(-0.3, 0.3))) + np.eye(n)
    assert_grad(l_matrix_power, sq, data.draw(weights(sq.shape)))
    assert_grad(l_matrix_power_variable, sq)


def l_pinv_hermitian(x):
    return np.sum(np.linalg.pinv(x, hermitian=True) * np.arange(9.0).reshape(3, 3))


def test_pinv_hermitian_is_refused_in_both_modes():
    """NumPy reads one triangle of x with hermitian=True: forward mode, which read all of
    x_dot, gave a wrong tangent along a direction that is not symmetric."""
    x = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
    with pytest.raises(ad.TransformError, match="pinv with hermitian=True"):
        ad.grad(l_pinv_hermitian)(x)
    with pytest.raises(ad.TransformError, match="forward mode: np.linalg.pinv with hermitian"):
        ad.jvp(l_pinv_hermitian)(x, np.arange(9.0).reshape(3, 3) / 9)


def test_pinv_and_matrix_power_second_derivatives():
    x = np.array([[1.5, 0.2], [-0.3, 1.1], [0.4, 0.7]])
    w = np.array([[1.0, -2.0, 0.5], [0.3, 1.5, -1.0]])
    sq = x[:2] + np.eye(2)
    for case, point, v in ((l_pinv, x, w), (l_matrix_power, sq, np.ones((2, 2)))):
        first = ad.grad(case)
        h = 1e-5
        fd = np.array([(first(point + h * e.reshape(point.shape), v)
                        - first(point - h * e.reshape(point.shape), v)) / (2 * h)
                       for e in np.eye(point.size)])
        fd = np.moveaxis(fd.reshape(point.shape + point.shape), range(2), range(2, 4))
        for mode in ("reverse", "forward"):
            assert_close(ad.hessian(case, mode=mode)(point, v), fd, 1e-5, 1e-6)


def l_lstsq(a, b, w, u, v):
    # the solution, the residuals (none for a square a) and the singular values
    x, res, rank, s = np.linalg.lstsq(a, b, rcond=None)
    return np.sum(w * x) + np.sum(u[:np.size(res)] * res) + np.sum(v * s)


def l_lstsq_solution(a, b):
    return np.sum(np.sin(np.linalg.lstsq(a, b, rcond=None)[0]))


@covers(("linalg", "lstsq"), ("generated", "lstsq_bar"), ("generated", "lstsq_dot"))
@FEW
@given(data=st.data())
def test_lstsq(data):
    # a of full column rank with distinct singular values (at a tie theirs have no
    # derivative), square or tall; b a vector or a matrix of columns; assert_grad checks
    # forward mode too
    n = data.draw(st.integers(1, 3))
    m = n + data.draw(st.integers(0, 3))
    a = data.draw(arrays((m, n), reals(-0.3, 0.3))) + np.eye(m, n) * (3.0 + 1.5 * np.arange(n))
    b = data.draw(arrays(data.draw(st.sampled_from([(m,), (m, 2)])), reals(-2, 2)))
    w = data.draw(weights((n,) + b.shape[1:]))
    u = data.draw(weights(b.shape[1:] or (1,)))
    v = data.draw(weights((n,)))
    assert_grad(l_lstsq, a, b, w, u, v, wrt=(0, 1))
    assert_grad(l_lstsq_solution, a, b, wrt=(0, 1))


def test_lstsq_of_a_matrix_not_of_full_column_rank_is_refused():
    a = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])   # rank 1
    with pytest.raises(ValueError, match="full column rank"):
        ad.grad(l_lstsq_solution)(a, np.ones(3))
    with pytest.raises(ValueError, match="full column rank"):
        ad.jvp(l_lstsq_solution)(a, np.ones(3), np.ones((3, 2)))
    with pytest.raises(ValueError, match="full column rank"):   # wide: least norm
        ad.grad(l_lstsq_solution)(np.eye(2, 3), np.ones(2))
    with pytest.raises(ad.TransformError, match="second derivative through np.linalg.lstsq"):
        ad.hessian(l_lstsq_solution)(np.eye(3, 2) + 1.0, np.ones(3))


def l_qr(x, w, v):
    Q, R = np.linalg.qr(x)
    return np.sum(w * Q) + np.sum(v * R ** 2)


def l_qr_mode(x):
    return np.sum(np.linalg.qr(x, mode="complete")[0])


@covers(("linalg", "qr"))
@FEW
@given(data=st.data())
def test_qr(data):
    # the reduced QR of a matrix of full rank: tall, square, wide (through its square part),
    # stacked; assert_grad checks forward mode too
    m, n = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    shape = data.draw(st.sampled_from([(m, n), (2, m, n)]))
    # full rank, and no column with zeros below the diagonal, where LAPACK's QR jumps from
    # one sign of the column to the other (its reflector is the identity only there)
    offset = np.sqrt(np.arange(2.0, 2.0 + m * n)).reshape(m, n) / 7.0
    x = data.draw(arrays(shape, reals(-1, 1))) + np.eye(m, n) * 3.0 + offset
    k = min(m, n)
    w = data.draw(weights(shape[:-2] + (m, k)))
    v = data.draw(weights(shape[:-2] + (k, n)))
    assert_grad(l_qr, x, w, v)


def test_qr_second_derivatives_and_refused_modes():
    rng = np.random.default_rng(4)
    for shape in ((3, 2), (2, 3)):
        x = rng.uniform(-1, 1, shape) + np.eye(*shape) * 2.0
        k = min(shape)
        w, v = rng.uniform(0.5, 1.5, (shape[0], k)), rng.uniform(0.5, 1.5, (k, shape[1]))
        first = ad.grad(l_qr)
        h = 1e-5
        fd = np.array([(first(x + h * e.reshape(shape), w, v)
                        - first(x - h * e.reshape(shape), w, v)) / (2 * h)
                       for e in np.eye(x.size)])
        fd = np.moveaxis(fd.reshape(shape + shape), range(2), range(2, 4))
        for mode in ("reverse", "forward"):
            assert_close(ad.hessian(l_qr, mode=mode)(x, w, v), fd, 1e-5, 1e-6)
    with pytest.raises(ad.TransformError, match="mode= other than 'reduced'"):
        ad.grad(l_qr_mode)(np.eye(3))


def s_cov(m, w):
    k = m.shape[0]
    return np.sum(np.cov(m) * w[:k, :k]) + np.sum(np.cov(m, rowvar=False) ** 2) \
        + np.sum(np.cov(m, bias=True) * w[:k, :k] ** 2) + np.sum(np.cov(m, ddof=0) ** 2) \
        + np.cov(m[0]) * 2.0 + np.sum(np.cov(m[0], rowvar=False))


def cov_variable_bias(m, bias):
    return np.sum(np.cov(m, bias=bias))


@covers(("statistics", "cov"))
@FEW
@given(data=st.data())
def test_cov(data):
    k, n = data.draw(st.integers(2, 3)), data.draw(st.integers(3, 5))   # rowvar=False: k rows
    m = data.draw(arrays((k, n)))
    assert_grad(s_cov, m, data.draw(weights((5, 5))))
    h = ad.hessian(s_cov)(m, np.ones((5, 5)))
    assert h.shape == (k, n, k, n)
    with pytest.raises(ad.TransformError, match="not constants"):
        ad.grad(cov_variable_bias)(m, True)


# ===========================================================================
# numpy.py: np.ptp, np.vander, np.correlate
# ===========================================================================

def n_ptp(x, w):
    return np.ptp(x) ** 2 + np.sum(np.ptp(x, axis=0) * w[0]) \
        + np.sum(np.ptp(x, axis=-1, keepdims=True) ** 2 * w[:, :1])


@covers(("numpy", "ptp"))
@FEW
@given(data=st.data())
def test_ptp(data):
    shape = (data.draw(st.integers(2, 4)), data.draw(st.integers(2, 4)))
    x = data.draw(arrays(shape, SPREAD, unique=True))   # no ties for the max and min
    assert_grad(n_ptp, x, data.draw(weights(shape)))


def test_ptp_of_ties_shares_as_max_and_min_do():
    # two largest entries share the max's gradient, a constant array has none
    x = np.array([2.0, 0.5, 2.0, -1.0])
    assert_close(ad.grad(lambda x: np.ptp(x))(x), np.array([0.5, 0.0, 0.5, -1.0]), 0, 0)
    assert_close(ad.grad(lambda x: np.ptp(x))(np.ones(3)), np.zeros(3), 0, 0)


def n_vander(x, w):
    n = x.size
    return np.sum(np.vander(x) * w[:n, :n]) + np.sum(np.vander(x, 3) ** 2 * w[:n, :3]) \
        + np.sum(np.vander(x, 4, increasing=True) * w[:n, 2:]) + np.sum(np.vander(x, 1))


@covers(("numpy", "vander"))
@FEW
@given(data=st.data())
def test_vander(data):
    n = data.draw(st.integers(1, 5))
    assert_grad(n_vander, data.draw(arrays((n,))), data.draw(weights((6, 6))))


def test_vander_at_zero_and_of_no_columns():
    # the powers' derivatives at 0 (0 ** 0 columns: no division by x)
    assert_grad(n_vander, np.array([0.0, 1.5, -0.7]), np.arange(36.0).reshape(6, 6) / 10)
    assert_close(ad.grad(lambda x: np.sum(np.vander(x, 0)) + np.sum(x))(np.ones(2)),
                 np.ones(2), 0, 0)


def n_correlate(a, v):
    n = max(a.size, v.size)
    return np.sum(np.sin(np.correlate(a, v, "same")) * np.arange(1.0, n + 1)) \
        + np.sum(np.correlate(v, a, mode="full") ** 2) + np.sum(np.cos(np.correlate(a, v)))


@covers(("numpy", "correlate"))
def test_correlate():
    rng = np.random.default_rng(12)
    # (v longer than a: NumPy swaps them, and "same" then starts one entry later)
    for n, m in [(5, 3), (3, 5), (4, 4), (1, 3), (6, 1), (2, 5), (6, 2), (4, 7)]:
        assert_grad(n_correlate, rng.normal(size=n), rng.normal(size=m), wrt=(0, 1))
    x = rng.normal(size=6)
    h = ad.hessian(lambda x: np.sum(np.correlate(x, x[:3] ** 2, "same") ** 2))(x)
    first = ad.grad(lambda x: np.sum(np.correlate(x, x[:3] ** 2, "same") ** 2))
    fd = np.array([(first(x + 1e-5 * e) - first(x - 1e-5 * e)) / 2e-5 for e in np.eye(6)])
    assert_close(h, fd, 1e-5, 1e-6)


# ===========================================================================
# reductions with where= and initial= (frontend/rewritten_calls.py)
# ===========================================================================

KEPT = np.array([[True, False, True], [False, False, True]])


def r_sum_where(x):
    return np.sum(x ** 2, where=x > 0) + np.sum(np.sum(np.sin(x), axis=0, where=KEPT) ** 2) \
        + np.sum(x * 3.0, initial=1.5) ** 2 + np.sum(np.sum(x, 1, keepdims=True, where=KEPT,
                                                            initial=0.5) ** 2)


def r_extremes_initial(x):
    return np.max(x, initial=0.0) + np.min(x, initial=0.0) \
        + np.sum(np.max(x, axis=1, where=KEPT, initial=-5.0, keepdims=True) ** 2) \
        + np.sum(np.amin(x, axis=0, where=KEPT, initial=0.7) ** 2)   # (a column all masked)


def test_reductions_with_where_and_initial():
    x = np.array([[0.3, -1.2, 0.8], [2.0, -0.1, 0.55]])
    assert_grad(r_sum_where, x)
    assert_grad(r_extremes_initial, x)
    assert_grad(r_extremes_initial, -x)
    narrow = ad.grad(r_sum_where)(x.astype(np.float32))   # (the masks keep the precision)
    assert narrow.dtype == np.float32
    assert_close(narrow, ad.grad(r_sum_where)(x), 1e-5, 1e-5)
    # NumPy refuses a where= mask for max without initial=; so does the gradient
    with pytest.raises(ad.TransformError, match="where= of np.max is not supported"):
        ad.grad(lambda x: np.max(x, where=KEPT))(x)


MIXED = np.array([[True, False, True], [True, True, False]])   # (some entry of each column)


def r_mean_where(x):
    # the mean of the entries the mask keeps: over a row, a column, all, kept dimensions
    return np.mean(x ** 2, where=KEPT) + np.sum(np.mean(np.sin(x), axis=1, where=KEPT) ** 2) \
        + np.sum(np.mean(x, 0, where=MIXED, keepdims=True) * x) \
        + np.mean(np.exp(x), where=x > 0)   # (a mask of the value's signs: constant)


def test_mean_with_where():
    x = np.array([[0.3, -1.2, 0.8], [2.0, -0.1, 0.55]])
    assert_grad(r_mean_where, x)
    assert_close(ad.grad(r_mean_where)(x), autograd.grad(r_mean_where_autograd)(x), 1e-10, 1e-12)
    narrow = ad.grad(r_mean_where)(x.astype(np.float32))
    assert narrow.dtype == np.float32
    assert_close(narrow, ad.grad(r_mean_where)(x), 1e-5, 1e-5)
    # NumPy's mean has no initial=; neither has its gradient
    with pytest.raises(ad.TransformError, match="initial"):
        ad.grad(mean_with_initial)(x)


def mean_with_initial(x):
    return np.mean(x, where=KEPT, initial=1.0)


def r_mean_where_autograd(x):
    anp = autograd.numpy

    def mean(v, mask, axis=None, keepdims=False):
        mask = np.broadcast_to(mask, np.shape(v))
        return anp.sum(anp.where(mask, v, 0.0), axis=axis, keepdims=keepdims) \
            / np.sum(mask, axis=axis, keepdims=keepdims)

    return mean(x ** 2, KEPT) + anp.sum(mean(anp.sin(x), KEPT, axis=1) ** 2) \
        + anp.sum(mean(x, MIXED, axis=0, keepdims=True) * x) \
        + mean(anp.exp(x), x > 0)


# ===========================================================================
# numpy.py: dtype= of np.sum, np.mean, np.prod, np.cumsum (frontend/dtypes.py)
# ===========================================================================

def r_dtype_sums(x, w):
    return np.sum(x ** 2, dtype=np.float64) + np.sum(w[0] * np.sum(x, axis=0, dtype=float)) \
        + np.sum(x.sum(1, np.float64, keepdims=True) ** 2) + np.sum(np.sin(x).sum(axis=1, dtype="f8") ** 3)


def r_dtype_means(x, w):
    return np.mean(x ** 3, dtype=np.float64) + np.sum(w[0] * np.mean(x, axis=0, dtype=np.float64)) \
        + np.sum(x.mean(axis=-1, dtype=np.double, keepdims=True) ** 2)


def r_dtype_prods(x, w):
    return np.prod(x, dtype=np.float64) + np.sum(w[0] * np.prod(x, axis=0, dtype=np.float64)) \
        + np.sum(x.prod(axis=1, dtype=float, keepdims=True) ** 2)


def r_dtype_cumsums(x, w):
    return np.sum(np.cumsum(x, dtype=np.float64) ** 2) + np.sum(w * np.cumsum(x, axis=1, dtype=float)) \
        + np.sum(np.sin(x.cumsum(0, np.float64)))


DTYPE_CASES = [r_dtype_sums, r_dtype_means, r_dtype_prods, r_dtype_cumsums]


@covers(("numpy", "sum"), ("numpy", "mean"), ("numpy", "prod"), ("numpy", "cumsum"))
@pytest.mark.parametrize("case", DTYPE_CASES, ids=[c.__name__ for c in DTYPE_CASES])
@FEW
@given(data=st.data())
def test_reductions_with_a_floating_dtype(case, data):
    shape = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 4)))
    x = data.draw(arrays(shape, reals(-1.5, 1.5)))
    w = data.draw(weights(shape))
    assert_grad(case, x, w)


@pytest.mark.parametrize("case", DTYPE_CASES, ids=[c.__name__ for c in DTYPE_CASES])
def test_reductions_with_a_dtype_second_derivatives(case):
    x = np.array([[0.3, -1.2, 0.8], [1.4, 0.5, -0.7]])
    w = np.array([[1.0, 0.5, 2.0], [0.25, 1.5, 1.0]])

    def f(x):
        return case(x, w)

    for mode in ("reverse", "forward"):
        assert_close(ad.hessian(f, mode=mode)(x), gradient_differences(f, x), 1e-6, 1e-7)


def sum_dtype_int(x):
    return np.sum(x, dtype=int)


def mean_dtype_int32(x):
    return np.mean(x ** 2, dtype=np.int32)


def sum_dtype_bool(x):
    return x.sum(dtype=bool) * 1.0


def cumsum_dtype_uint(x):
    return np.sum(np.cumsum(x, dtype="u8"))


def sum_dtype_variable(x, like):
    return np.sum(x ** 2, dtype=like.dtype)


def prod_dtype_argument(x, kind):
    return np.prod(x, dtype=kind)


def prod_dtype_local(x):
    kind = np.float64   # (a local the code assigns once: read as what it holds)
    return np.prod(x, dtype=kind)


def test_reductions_refuse_an_integer_dtype_and_one_known_only_when_run():
    x = np.array([0.3, 1.7, 2.2])
    for f in (sum_dtype_int, mean_dtype_int32, sum_dtype_bool, cumsum_dtype_uint):
        with pytest.raises(ad.TransformError, match="truncates each entry") as e:
            ad.grad(f)(x)
        assert "dtype=" in str(e.value) and f.__code__.co_filename in str(e.value)
    for f in (sum_dtype_variable, prod_dtype_argument):
        with pytest.raises(ad.TransformError, match="not a type adcompile can read"):
            ad.grad(f)(x, np.float64)
    assert_grad(prod_dtype_local, x)
    # not differentiated, any dtype runs as written
    assert ad.grad(lambda x, c: np.sum(x) * np.sum(c, dtype=int), wrt=0)(x, x)[0] == 3.0


def test_a_dtype_given_by_position_goes_where_numpy_takes_it():
    x = np.array([[0.3, -1.2], [0.8, 1.5]])
    assert_grad(lambda x: np.sum(np.sum(x, 0, np.float64) ** 2), x)
    with pytest.raises(ad.TransformError, match="keyword"):
        ad.grad(lambda x: np.sum(np.sum(x, 0, np.float64, None, True) ** 2))(x)


# ===========================================================================
# numpy.py: x.item()
# ===========================================================================

def n_item(x, w):
    # x.item(): one entry as a Python float (of a flat index, a tuple, several ints, a
    # negative index, a one-entry array)
    m = x.reshape(2, -1)
    return x.item(1) * 3.0 + x.item(-1) ** 2 + m.item(1, 1) * m.item((0, 1)) \
        + np.sin(x[2:3]).item() + np.sum(w * x).item() ** 2 + np.float64(np.sum(x ** 2)).item()


@covers(("numpy", "item"))
@FEW
@given(data=st.data())
def test_item(data):
    n = 2 * data.draw(st.integers(2, 4))
    x, w = data.draw(arrays((n,))), data.draw(weights((n,)))
    assert_grad(n_item, x, w)
    assert type(n_item(x, w)) is float
    assert_close(ad.hessian(n_item)(x, w), gradient_differences(lambda x: n_item(x, w), x),
                 1e-6, 1e-7)


def item_for_logging(w, X, y):
    # a loss that keeps a number for a log line (x.item(), a float: no array to hold on to)
    r = X @ w - y
    loss = np.mean(r ** 2)
    history = [loss.item(), np.abs(w).max().item()]
    return loss + 0.01 * history[0] ** 2


def test_item_of_values_being_differentiated():
    rng = np.random.default_rng(3)
    w, X, y = rng.normal(size=3), rng.normal(size=(5, 3)), rng.normal(size=5)
    assert_grad(item_for_logging, w, X, y, wrt=(0, 1))
    # NumPy's errors stay NumPy's: .item() of several entries
    with pytest.raises(ValueError, match="size 1"):
        ad.grad(lambda x: x.item() * 2.0)(np.ones(2))
    with pytest.raises(IndexError):
        ad.grad(lambda x: x.item(5) * 2.0)(np.ones(2))
    # forward mode: the tangent of a NumPy number of a Python float is a Python float
    assert ad.jvp(lambda a: np.float64(a * 2.0).item() * 3.0)(0.5, tangents=1.0) == (3.0, 6.0)
    # an index computed with int() of a value being differentiated is piecewise constant
    assert_close(ad.grad(lambda x: x.item(int(x[0])) * 2.0)(np.array([1.0, 3.0])), [0.0, 2.0],
                 0, 0)


# ===========================================================================
# numpy.py: np.vdot; statistics.py: np.nanmax, np.nanmin
# ===========================================================================

def n_vdot(a, b):
    return np.vdot(a, b) + np.vdot(np.sin(a), a) ** 2 + np.vdot(b, b.T) * np.vdot(a[0, 0], 2.0)


@covers(("numpy", "vdot"))
@FEW
@given(data=st.data())
def test_vdot(data):
    shape = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    # (np.vdot flattens: b of another shape with as many entries)
    a, b = data.draw(arrays(shape)), data.draw(arrays(shape[::-1]))
    assert_grad(n_vdot, a, b, wrt=(0, 1))
    assert_close(ad.hessian(n_vdot)(a, b), gradient_differences(n_vdot, a, b), 1e-6, 1e-7)


def s_nanmax(x, w):
    y = x + MASK[:x.shape[0], :x.shape[1]]
    return np.nanmax(y) ** 2 + np.sum(w[0] * np.nanmax(y, axis=0)) \
        + np.sum(np.nanmin(y, axis=1, keepdims=True) ** 3) + np.nanmin(y * w)


@covers(("statistics", "nanmax"))
@FEW
@given(data=st.data())
def test_nanmax_nanmin(data):
    shape = (data.draw(st.integers(2, 3)), data.draw(st.integers(2, 4)))
    x = data.draw(arrays(shape, SPREAD, unique=True))   # no ties
    w = data.draw(arrays(shape, reals(0.5, 2.0), unique=True))
    g = assert_grad(s_nanmax, x, w)
    assert np.all(g[np.isnan(MASK[:shape[0], :shape[1]])] == 0.0)
    assert_close(ad.hessian(s_nanmax)(x, w), gradient_differences(s_nanmax, x, w), 1e-6, 1e-7)


def nanmax_of_rows(x):
    return np.sum(np.nanmax(x, axis=1) * np.array([1.0, 2.0, 3.0]))


def nanmax_masked(x):
    m = np.nanmax(x, axis=1)
    return np.sum(np.where(np.isnan(m), 0.0, m))


def test_nanmax_ties_share_as_max_does_and_nan_entries_get_nothing():
    x = np.array([[0.5, np.nan, 0.5], [2.0, -1.0, np.nan], [np.nan, 1.0, 1.0]])
    expected = np.array([[0.5, 0.0, 0.5], [2.0, 0.0, 0.0], [0.0, 1.5, 1.5]])
    assert_close(ad.grad(nanmax_of_rows)(x), expected, 0, 0)
    assert_close(ad.jvp(nanmax_of_rows)(x, tangents=np.ones_like(x))[1], 6.0, 0, 0)
    # the ties of np.max's rule, without NaN
    assert_close(ad.grad(lambda x: np.nanmax(x))(np.array([1.0, 3.0, 3.0])), [0.0, 0.5, 0.5],
                 0, 0)
    # a row of NaN only: its maximum is NaN (NumPy warns); its entries get no gradient
    x = np.array([[np.nan, np.nan], [1.0, 2.0]])
    with pytest.warns(RuntimeWarning):
        g = ad.grad(nanmax_masked)(x)
    assert_close(g, [[0.0, 0.0], [0.0, 1.0]], 0, 0)


# ===========================================================================
# arrays.py: np.meshgrid
# ===========================================================================

def a_meshgrid(x, y, w):
    a, b = np.meshgrid(x, y ** 2)                    # indexing "xy": shapes (len y, len x)
    c, d = np.meshgrid(np.sin(x), y, indexing="ij")
    (e,) = np.meshgrid(x)
    p, q, r = np.meshgrid(x, y, x[:2], sparse=True)
    return np.sum(a * b * w) + np.sum(c ** 2 * d) + np.sum(e ** 3) + np.sum(p * q * r) \
        + np.sum(np.meshgrid(x.reshape(-1, 1), y)[1] ** 3)   # (inputs are flattened)


@covers(("arrays", "meshgrid"), ("generated", "meshgrid_bar"), ("generated", "meshgrid_dot"))
@FEW
@given(data=st.data())
def test_meshgrid(data):
    n, m = data.draw(st.integers(2, 4)), data.draw(st.integers(1, 3))
    x, y = data.draw(arrays((n,))), data.draw(arrays((m,)))
    w = data.draw(weights((m, n)))
    assert_grad(a_meshgrid, x, y, w, wrt=(0, 1))
    # second derivatives: through meshgrid_bar's rule (meshgrid_dot), and forward mode
    for mode in ("reverse", "forward"):
        assert_close(ad.hessian(a_meshgrid, mode=mode)(x, y, w),
                     gradient_differences(a_meshgrid, x, y, w), 1e-6, 1e-7)


def meshgrid_of_four(x):
    a, b, c, d = np.meshgrid(x, x, x, x)
    return np.sum(a * b * c * d)


def meshgrid_views(x, y):
    a, b = np.meshgrid(x, y, copy=False)
    return np.sum(a * b)


def meshgrid_potential(x, y):
    # a user's field on a grid: V(X, Y) summed with the grid's cell sizes
    X, Y = np.meshgrid(x, y, indexing="ij")
    V = np.exp(-(X ** 2 + Y ** 2)) * np.cos(X * Y)
    return np.sum(V) * (x[1] - x[0]) * (y[1] - y[0])


def test_meshgrid_refusals_and_a_grid_of_a_user():
    x = np.array([0.3, -1.2, 0.8])
    with pytest.raises(ad.TransformError, match="4 positional arguments"):
        ad.grad(meshgrid_of_four)(x)
    with pytest.raises(ad.TransformError, match="copy=True"):
        ad.grad(meshgrid_views)(x, x)
    with pytest.raises(ad.TransformError, match="copy=True"):
        ad.jvp(meshgrid_views)(x, x, tangents=x)
    assert_grad(meshgrid_potential, np.linspace(-1.0, 1.0, 5), np.linspace(0.0, 2.0, 4),
                wrt=(0, 1))


def meshgrid_of_a_number(t):
    a, b = np.meshgrid(t * np.array([0.3, -1.2, 0.8]), t ** 2 * np.array([0.5, 1.5]))
    return np.sum(np.sin(a * b + a))


def test_meshgrid_third_derivative():
    # the third derivative differentiates meshgrid_bar's adjoint, meshgrid_dot
    third = ad.grad(ad.grad(ad.grad(meshgrid_of_a_number)))
    second = ad.grad(ad.grad(meshgrid_of_a_number))
    t, h = 0.7, 1e-5
    assert_close(third(t), (second(t + h) - second(t - h)) / (2 * h), 1e-6, 1e-7)


# ===========================================================================
# arrays.py: np.bincount with weights
# ===========================================================================

BINS = np.array([0, 2, 2, 4, 1, 2])


def a_bincount(x, w):
    n = x.size
    return np.sum(np.bincount(BINS[:n], weights=x) ** 2 * w[:5]) \
        + np.sum(np.bincount(BINS[:n], x ** 2, minlength=7) * np.arange(7.0)) \
        + np.sum(np.sin(np.bincount([1, 0, 1, 0, 0, 1][:n], weights=np.cos(x))))


@covers(("arrays", "bincount"))
@FEW
@given(data=st.data())
def test_bincount(data):
    n = data.draw(st.integers(4, 6))
    x, w = data.draw(arrays((n,))), data.draw(weights((5,)))
    assert_grad(a_bincount, x, w)
    assert_close(ad.hessian(a_bincount)(x, w), gradient_differences(a_bincount, x, w), 1e-6,
                 1e-7)


def histogram_loss(values, labels):
    # per-class totals of a weight vector, as a user computes a class-balanced loss
    totals = np.bincount(labels, weights=values ** 2, minlength=3)
    counts = np.bincount(labels, minlength=3)
    return np.sum(totals / np.maximum(counts, 1)) + np.bincount(labels, weights=values)[0]


def test_bincount_of_weights_and_of_bins_being_differentiated():
    values = np.array([0.3, -1.2, 0.8, 2.0, -0.4])
    assert_grad(histogram_loss, values, np.array([0, 2, 2, 0, 2]))
    # the bins, computed from values being differentiated, are integers: no gradient there
    assert_close(ad.grad(lambda x: np.sum(np.bincount((x > 0).astype(int), weights=x) ** 2))(
        values), [2 * 3.1, -2 * 1.6, 2 * 3.1, 2 * 3.1, -2 * 1.6], 1e-12, 1e-12)
    # float32 weights: the sums are float64 (NumPy's), the gradient float32
    g = ad.grad(histogram_loss)(values.astype(np.float32), np.array([0, 2, 2, 0, 2]))
    assert g.dtype == np.float32
    assert_close(g, ad.grad(histogram_loss)(values, np.array([0, 2, 2, 0, 2])), 1e-6, 1e-6)


# ===========================================================================
# arrays.py: np.insert, np.delete
# ===========================================================================

def a_insert(x, v, w):
    n = x.shape[1]
    return np.sum(np.insert(x, 1, v[0]) ** 2 * w[:x.size + 1]) \
        + np.sum(np.insert(x, [0, n], v[:2], axis=1) ** 3) \
        + np.sum(np.sin(np.insert(x, 1, np.cos(v[:n]), axis=0))) \
        + np.sum(np.insert(x, slice(0, 2), 7.0, axis=1) * x[0, 0])


def a_delete(x, w):
    n = x.shape[1]
    return np.sum(np.delete(x, 1) ** 2 * w[:x.size - 1]) \
        + np.sum(np.delete(x, [0, n - 1], axis=1) ** 3) + np.sum(np.sin(np.delete(x, -1, axis=0))) \
        + np.sum(np.delete(x, slice(0, None, 2), axis=1) ** 2) \
        + np.sum(np.delete(x.ravel(), np.arange(x.size) % 3 == 0) ** 3)


@covers(("arrays", "insert"), ("arrays", "delete"), ("generated", "placed_bar"),
        ("generated", "placed_dot"))
@FEW
@given(data=st.data())
def test_insert_and_delete(data):
    shape = (data.draw(st.integers(2, 3)), data.draw(st.integers(2, 4)))
    x = data.draw(arrays(shape))
    v, w = data.draw(arrays((shape[1],))), data.draw(weights((13,)))
    assert_grad(a_insert, x, v, w, wrt=(0, 1))
    assert_grad(a_delete, x, w)
    for f, rest in ((a_insert, (v, w)), (a_delete, (w,))):
        for mode in ("reverse", "forward"):
            assert_close(ad.hessian(f, mode=mode)(x, *rest), gradient_differences(f, x, *rest),
                         1e-6, 1e-7)


def insert_into_integers(v):
    return np.sum(np.insert(np.arange(4), 1, v) * 2.0)


def drop_and_pad(theta, k):
    # a user's model: one parameter dropped, a fixed one inserted in its place
    free = np.delete(theta, k)
    full = np.insert(free, k, 1.0)
    return np.sum((full - np.arange(full.size)) ** 2) + np.sum(free ** 3)


def insert_third(t):
    return np.sum(np.sin(np.insert(t * np.array([0.3, -1.2]), 1, t ** 2) * np.delete(
        t * np.array([1.0, 0.5, 2.0, 3.0]) + t ** 3, 0)))


def test_insert_and_delete_of_a_user_and_their_refusal():
    theta = np.array([0.3, -1.2, 0.8, 2.0])
    for k in (0, 2, -1):
        g = assert_grad(drop_and_pad, theta, k)
        assert g[k] == 0.0 or k == -1 and g[-1] == 0.0
    # NumPy truncates values inserted into an array of integers: refused when the gradient runs
    with pytest.raises(ValueError, match="truncates them"):
        ad.grad(insert_into_integers)(0.7)
    # the third derivative differentiates placed_bar's adjoint, placed_dot
    third = ad.grad(ad.grad(ad.grad(insert_third)))
    second = ad.grad(ad.grad(insert_third))
    assert_close(third(0.7), (second(0.7 + 1e-5) - second(0.7 - 1e-5)) / 2e-5, 1e-6, 1e-7)


# ===========================================================================
# python.py: divmod
# ===========================================================================

def p_divmod(x, y, w):
    q, r = divmod(x, y)
    return np.sum(r ** 2 * q * w) + divmod(x[0], 1.0)[1] * 3.0 + np.sum(divmod(y, x)[1])


@covers(("python", "divmod_"))
@pytest.mark.parametrize("y", [0.7, -1.3, 2.9])
def test_divmod(y):
    x = np.array([1.25, -2.35, 3.6, 0.45])   # (away from the multiples of y and of 1: the
    w = np.array([1.0, 0.5, 2.0, -1.0])     # quotients are constant near x, as y / x's)
    assert_grad(p_divmod, x, y, w, wrt=(0, 1))
    f = lambda x: p_divmod(x, y, w)
    for mode in ("reverse", "forward"):
        assert_close(ad.hessian(f, mode=mode)(x), gradient_differences(f, x), 1e-6, 1e-7)


def divmod_of_numbers(a, b):
    q, r = divmod(a, b)
    return r ** 2 + q * a


def minutes_and_seconds(t):
    # a user's clock: whole minutes (no gradient) and the seconds left (a slope of 1)
    minutes, seconds = divmod(t * 60.0, 60.0)
    return seconds * 2.0 + minutes


def test_divmod_of_python_numbers():
    g = assert_grad(divmod_of_numbers, 2.7, 0.8, wrt=(0, 1))
    # q = 3, r = 0.3: d/da = 2r + q, d/db = -2 r q
    assert_close(g, (0.6 + 3.0, -2 * 0.3 * 3.0), 1e-12, 1e-12)
    assert_grad(divmod_of_numbers, -2.7, 0.8, wrt=(0, 1))
    assert_close(ad.grad(minutes_and_seconds)(1.3), 120.0, 1e-12, 1e-12)


# -- np.positive, np.rollaxis, np.vecdot, np.linalg.vector_norm and matrix_norm -------------

def rolled(x, w, k):
    # axis to the front, the last axis before another, forward past others, axis k
    cube = x[:, None, :] * x[:, :, None]
    return (np.sum(np.rollaxis(cube, 2) * w) + np.sum(np.rollaxis(cube, 0, 3) ** 2)
            + np.sum(np.rollaxis(x, -1, -2) * x.T) + np.sum(np.rollaxis(cube, -1, -3) ** 3)
            + np.sum(np.rollaxis(cube, 1, 3) * np.positive(cube))
            + np.sum(np.rollaxis(cube, k) ** 2 * 0.5) + np.sum(np.rollaxis(cube, k, 2) ** 3))


@covers(("numpy", "rollaxis"), ("python", "pos"))
@FEW
@given(data=st.data())
def test_rollaxis_and_positive(data):
    n, m = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    x = data.draw(arrays((n, m)))
    w = data.draw(weights((m, n, m)))
    assert_grad(rolled, x, w, data.draw(st.sampled_from([0, 1, -1])))


def vector_products(x, y, w):
    # rows of x with y, columns of x with themselves, pairs broadcast along axis 0
    return (np.sum(np.vecdot(x, y) * w) + np.sum(np.vecdot(x, x, axis=0) ** 2)
            + np.sum(np.vecdot(x[:, :, None], x[:, None, :], axis=0) ** 2)
            + np.sum(np.vecdot(y, x.T * 2.0, axis=0) ** 2) + np.sum(np.vecdot(x.T, y[:, None], axis=-2) ** 3))


@covers(("numpy", "vecdot"))
@FEW
@given(data=st.data())
def test_vecdot(data):
    n, m = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 4))
    x, y = data.draw(arrays((n, m))), data.draw(arrays((m,)))
    assert_grad(vector_products, x, y, data.draw(weights((n,))), wrt=(0, 1))
    assert_second_order(vector_products, x, y, np.ones(n), wrt=0)


def array_norms(x, v):
    return (np.linalg.vector_norm(x) + np.sum(np.linalg.vector_norm(x, axis=0) ** 2)
            + np.sum(np.linalg.vector_norm(x, axis=(0, 1), keepdims=True) * x)
            + np.linalg.vector_norm(v, ord=1) + np.linalg.vector_norm(v, ord=3) ** 2
            + np.linalg.matrix_norm(x) ** 2 + np.linalg.matrix_norm(x, ord="nuc")
            + np.sum(np.linalg.matrix_norm(x[None] * v[:, None, None], ord=2, keepdims=True)))


def vector_norm_of_a_matrix(x):
    return np.linalg.vector_norm(x, ord=1)


@covers(("linalg", "vector_norm"), ("linalg", "matrix_norm"))
@FEW
@given(data=st.data())
def test_vector_and_matrix_norms(data):
    n, m = data.draw(st.integers(1, 3)), data.draw(st.integers(2, 4))
    # distinct singular values, none 0 (the 2-norm and the nuclear norm are smooth there)
    x = data.draw(arrays((n, m), reals(-0.3, 0.3))) + np.eye(n, m) * np.arange(1.0, n + 1.0)[:, None]
    v = data.draw(arrays((3,), reals(0.3, 2.0))) * data.draw(arrays((3,), st.sampled_from([-1.0, 1.0])))
    assert_grad(array_norms, x, v, wrt=(0, 1))


def vector_norms(v):
    return np.linalg.vector_norm(v) + np.linalg.vector_norm(v, ord=1) + np.linalg.vector_norm(v, ord=3) ** 2


def test_vector_norms_at_zero_and_other_orders_of_matrices():
    # the gradient at 0 is 0 (as np.linalg.norm's); ord=1 of a matrix (the sum of |x|, not
    # np.linalg.norm's matrix 1-norm) is refused in both modes
    assert_close(ad.grad(vector_norms)(np.zeros(3)), np.zeros(3), 0, 0)
    for differentiate in (ad.grad(vector_norm_of_a_matrix),
                          lambda x: ad.jvp(vector_norm_of_a_matrix)(x, tangents=x)):
        with pytest.raises(ad.TransformError, match="vector_norm with an ord other than 2"):
            differentiate(np.ones((2, 3)))
    assert_grad(vector_norm_of_a_matrix, np.array([0.5, -2.0, 1.5]))
