"""The rest of the numeric library: ``math``, Python's ``sum`` and ``pow``, more NumPy.

Each rule here is checked against central finite differences (reverse and forward mode,
``assert_grad``) at values Hypothesis draws away from kinks, poles and ties, and marked
with ``@covers`` for the registry's enumeration (``test_rules.py``). Their float32 cases
are in test_rules_float32.py, their autograd cases in test_reference.py.
"""

import math

import numpy as np
import pytest
from conftest import FEW, SOME, arrays, assert_close, assert_grad, nonzero, operand, reals, \
    shapes, weights
from hypothesis import given
from hypothesis import strategies as st
from test_rules import covers

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
    return math.log(x, y) + math.log(3.0, y) + math.log(x, 10)


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
    return math.lgamma(x) * math.erf(x) + math.gamma(x) + math.log(x, 2.0) + math.sinh(x)


def test_math_second_derivatives():
    h = 1e-5
    first = ad.grad(m_second)
    second = ad.grad(ad.grad(m_second))
    for x in (0.7, 2.3):
        assert_close(second(x), (first(x + h) - first(x - h)) / (2 * h), 1e-6, 1e-6)


# -- the polygamma helper (d/dx of lgamma and gamma) ------------------------------------------

def polygamma_case(x, w):
    return np.sum(w * runtime.polygamma(x, 0)) + np.sum(runtime.polygamma(x, 2) ** 2)


@covers(("generated", "polygamma"))
@FEW
@given(data=st.data())
def test_polygamma_helper(data):
    shape = data.draw(shapes(0, 2))
    x = data.draw(operand(shape, st.one_of(reals(0.3, 9.0), reals(-2.8, -2.2))))
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


def test_sum_with_a_start_value_is_refused():
    # forward mode would add the start value to the tangent: refused, not wrong
    with pytest.raises(ad.TransformError, match="sum"):
        ad.grad(sum_start)(0.5)


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
