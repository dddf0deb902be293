"""Complex numbers are refused, never differentiated wrongly.

adcompile's rules are written for real values: given a complex intermediate they return
complex gradients, or real ones of the wrong sign (``abs(x * 1j)``). So whatever brings a
complex value into a differentiated function is refused: complex literals, the complex
types, the functions that make complex values from real ones (np.fft, cmath, np.emath,
np.roots, eig of a matrix not differentiated) and names for complex constants when the
function is transformed; complex arguments when it is called; and the complex values its
code makes when it runs (a negative Python float to a fractional power) when the gradient
reaches them.
"""

import cmath
import inspect
import math
from dataclasses import dataclass

import numpy as np
import pytest
from conftest import assert_grad

import adcompile as ad

X = np.array([0.3, -1.2, 2.1])
PHASES = np.exp(1j * np.arange(3.0))
UNIT = 1j
SETTINGS = {"scale": [1.0, 2.0 + 1j]}


def line_of(f, text):
    """The file line of the first line of ``f``'s source containing ``text``."""
    lines, start = inspect.getsourcelines(f)
    return start + next(i for i, line in enumerate(lines) if text in line)


def abs_of_shifted(x):
    return np.sum(np.abs(x * 1j + 1))


def abs_builtin(x):
    return abs(x * (1 + 2j))


def unit_circle(x):
    return np.sum(np.abs(np.exp(1j * x)) ** 2)


def complex_constructor(x):
    return np.sum(np.abs(complex(1.0, 2.0) * x))


def complex_type(x):
    return np.sum(np.abs(x.astype(np.complex128) * 2.0))


def complex_dtype_string(x):
    z = np.zeros(3, dtype="complex128")
    return np.sum(x * np.abs(z + 1.0))


def fft_of_a_constant(x):
    w = np.fft.fft(np.ones(3))
    return np.sum(np.abs(w * x))


def cmath_function(x):
    return abs(cmath.exp(x[0]))


def emath_sqrt(x):
    return np.sum(np.abs(np.emath.sqrt(x - 3.0)))


def global_complex_array(x):
    return np.sum(np.abs(PHASES * x))


def global_complex_number(x):
    return np.sum(np.abs(UNIT * x))


def global_complex_leaf(x):
    return np.sum(np.abs(SETTINGS["scale"][1] * x))


def eig_of_a_constant(x):
    w, v = np.linalg.eig(np.array([[0.0, -1.0], [1.0, 0.0]]))
    return np.sum(np.abs(w[0] * x))


def roots_of_a_constant(x):
    r = np.roots(np.array([1.0, 0.0, 1.0]))
    return np.sum(np.abs(r[0] * x))


def rotate(z, x):
    return z * x * 1j


def calls_a_complex_helper(x):
    return np.sum(np.abs(rotate(2.0, x)))


REFUSED = [
    (abs_of_shifted, "1j", "a complex number (1j)"),
    (abs_builtin, "2j", "a complex number (2j)"),
    (unit_circle, "1j", "a complex number (1j)"),
    (complex_constructor, "complex(", "the complex type complex"),
    (complex_type, "complex128", "the complex type np.complex128"),
    (complex_dtype_string, "complex128", "the complex dtype 'complex128'"),
    (fft_of_a_constant, "np.fft", "np.fft.fft (it computes complex values)"),
    (cmath_function, "cmath.exp", "cmath.exp (it computes complex values)"),
    (emath_sqrt, "np.emath", "np.emath.sqrt (it computes complex values)"),
    (global_complex_array, "PHASES", "PHASES, a complex value,"),
    (global_complex_number, "UNIT", "UNIT, a complex value,"),
    (global_complex_leaf, "SETTINGS", "SETTINGS['scale'][1], a complex value,"),
    (eig_of_a_constant, "np.linalg.eig", "np.linalg.eig of a matrix not being differentiated"),
    (roots_of_a_constant, "np.roots", "np.roots (its results may be complex)"),
]


@pytest.mark.parametrize("f, text, what", REFUSED, ids=lambda v: getattr(v, "__name__", ""))
def test_complex_values_are_refused_at_the_users_line(f, text, what):
    for call in (lambda: ad.grad(f)(X), lambda: ad.jvp(f)(X, X), lambda: ad.hessian(f)(X)):
        with pytest.raises(ad.TransformError) as caught:
            call()
        message = str(caught.value)
        assert what in message and "real values only" in message, message
        assert f":{line_of(f, text)}:" in message, message
    with pytest.raises(ad.TransformError):
        ad.show(f, args=(X,))


def test_complex_in_an_inlined_function_points_there_and_at_the_call():
    with pytest.raises(ad.TransformError) as caught:
        ad.grad(calls_a_complex_helper)(X)
    message = str(caught.value)
    assert f":{line_of(rotate, '1j')}:" in message
    assert f":{line_of(calls_a_complex_helper, 'rotate(')}" in message, message


def real_twin(x):
    # |x * 1j + 1| written with real numbers: what the refused functions should be
    return np.sum(np.sqrt(x * x + 1.0)) + np.sum(np.cos(x) ** 2 + np.sin(x) ** 2)


def eig_differentiated(a):
    w, v = np.linalg.eig(a)
    return np.sum(w ** 2)


def test_real_functions_are_unaffected():
    g = assert_grad(real_twin, X)
    np.testing.assert_allclose(g, X / np.sqrt(X * X + 1.0), rtol=1e-10, atol=1e-12)
    a = np.array([[2.0, 0.5], [0.3, 1.0]])
    assert_grad(eig_differentiated, a)
    rotation = np.array([[0.0, -1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="complex"):
        ad.grad(eig_differentiated)(rotation)   # complex eigenvalues: refused when it runs


def with_constant(x, c):
    return np.sum(x * c)


@pytest.mark.parametrize("c", [1j, np.complex64(1.0), np.ones(3, dtype=complex)])
def test_complex_arguments_are_refused_when_called(c):
    for wrt in (0, 1):
        with pytest.raises(TypeError, match="complex"):
            ad.grad(with_constant, wrt=wrt)(X, c)


def fractional_power(x):
    return abs((x - 3.0) ** 1.5)


def fractional_power_returned(x):
    return (x - 3.0) ** 0.5 * 2.0


def test_complex_values_made_when_the_code_runs_are_refused_then():
    # in Python, a negative float to a fractional power is a complex number: abs() of it
    # would have a gradient of the wrong sign (2.12 for -2.12)
    for call in (lambda: ad.grad(fractional_power)(1.0),
                 lambda: ad.jvp(fractional_power)(1.0, 1.0)):
        with pytest.raises(ValueError, match="complex"):
            call()
    # not made real by abs: the derivative of the power is NaN there, as NumPy's power is
    with np.errstate(invalid="ignore"):
        g = ad.grad(fractional_power_returned)(1.0)
    assert type(g) is float and np.isnan(g)
    # where the power is real the gradient is the real one
    assert_grad(fractional_power, 4.0)
    assert_grad(fractional_power_returned, 4.0)


def power_of_a_constant(a, c):
    return np.sum(a * c ** 0.5)


def test_a_complex_value_the_gradient_only_reads_is_refused():
    # regression: c ** 0.5 of a negative Python float is complex; the gradient of a read it
    # as a factor and came back complex, without the check the gradient of a variable
    # usually gets
    a = np.ones(2)
    for transform, extra in ((ad.grad, ()), (ad.value_and_grad, ()), (ad.jvp, (np.ones(2),))):
        with pytest.raises(ValueError, match="complex"):
            transform(power_of_a_constant)(a, -1.0, *extra)
    np.testing.assert_allclose(ad.grad(power_of_a_constant)(a, 4.0), [2.0, 2.0])
    np.testing.assert_allclose(ad.jvp(power_of_a_constant)(a, 4.0, np.ones(2))[1], 4.0)


# -- complex values not being differentiated that only running the code shows ---------------
# (a function without a rule, or a fractional power, applied to constants; a complex leaf of
# a structured argument not differentiated): refused, never combined into a gradient. Before
# these checks, accumulating into x_bar[i] in a loop dropped the imaginary part and gave a
# real gradient of the wrong sign.

def loop_over_a_root(x, coefficients):
    r = np.polynomial.polynomial.polyroots(coefficients)[0]   # no rule: any value
    s = 0.0
    for i in range(2):
        s = s + np.linalg.norm(x[i] * r)
    return s


def loop_over_a_power(x, c):
    s = 0.0
    for i in range(2):
        s = s + np.linalg.norm(x[i] * c ** 0.5)
    return s


def loop_over_a_leaf(x, p):
    s = 0.0
    for i in range(2):
        s = s + np.linalg.norm(x[i] * p["c"][1])
    return s


def appended_root(x, coefficients):
    roots = []
    roots.append(np.polynomial.polynomial.polyroots(coefficients)[0])
    s = 0.0
    for i in range(2):
        s = s + np.linalg.norm(x[i] * roots[-1])
    return s


def carried_power(x, c):
    s, k = 0.0, 1.0
    for i in range(2):
        s = s + np.linalg.norm(x[i] * k)
        k = k * c ** 0.5      # made in one iteration, read in the next
    return s


def root_of(coefficients):
    return np.polynomial.polynomial.polyroots(coefficients)[0]


def through_a_helper(x, coefficients):
    return np.linalg.norm(x * root_of(coefficients)) + np.sum(x * x)


COMPLEX_ROOTS = np.array([1.0, 0.0, 1.0])    # 1 + z**2: roots +-1j
REAL_ROOTS = np.array([-4.0, 0.0, 1.0])      # z**2 - 4: roots -2, 2


@pytest.mark.parametrize("f, args, text", [
    (loop_over_a_root, (X, COMPLEX_ROOTS), "polyroots"),
    (loop_over_a_power, (X, -4.0), "c ** 0.5"),
    (through_a_helper, (X, COMPLEX_ROOTS), "root_of(coefficients)"),   # (run as it is)
    (appended_root, (X, COMPLEX_ROOTS), "polyroots"),
    (carried_power, (X, -4.0), "c ** 0.5"),
], ids=lambda v: getattr(v, "__name__", ""))
def test_complex_constants_made_when_the_code_runs_are_refused(f, args, text):
    for call in (lambda: ad.grad(f)(*args), lambda: ad.value_and_grad(f)(*args),
                 lambda: ad.jvp(f)(*args, np.ones(3)), lambda: ad.hessian(f)(*args)):
        with pytest.raises(ValueError, match="complex") as caught:
            call()
        assert text in str(caught.value), caught.value
        assert f":{line_of(f, text)}" in str(caught.value), caught.value


def test_the_same_functions_with_real_constants_are_differentiated():
    g = assert_grad(loop_over_a_root, X, REAL_ROOTS)
    np.testing.assert_allclose(g, [2.0 * np.sign(X[0]), 2.0 * np.sign(X[1]), 0.0])
    g = assert_grad(loop_over_a_power, X, 4.0)
    np.testing.assert_allclose(g, [2.0 * np.sign(X[0]), 2.0 * np.sign(X[1]), 0.0])
    assert_grad(through_a_helper, X, REAL_ROOTS)
    g = assert_grad(carried_power, X, 4.0)
    np.testing.assert_allclose(g, [np.sign(X[0]), 2.0 * np.sign(X[1]), 0.0])
    g = assert_grad(appended_root, X, REAL_ROOTS)
    np.testing.assert_allclose(g, [2.0 * np.sign(X[0]), 2.0 * np.sign(X[1]), 0.0])
    h = ad.hessian(through_a_helper)(X, REAL_ROOTS)
    r = 2.0 * X / np.linalg.norm(X)      # |x * -2| = 2 |x|: Hessian 2 (I - u u^T) / |x| + 2 I
    np.testing.assert_allclose(h, (2.0 * np.eye(3) - np.outer(r, r) / 2.0) / np.linalg.norm(X)
                               + 2.0 * np.eye(3), rtol=1e-10)
    assert "real_value" in ad.show(loop_over_a_root, args=(X, REAL_ROOTS))


@pytest.mark.parametrize("p", [{"c": [1.0, 1j]}, {"c": (2.0, np.complex64(1.0))},
                               {"c": [0.0, np.ones(2, dtype=complex)]}])
def test_complex_leaves_of_arguments_not_differentiated_are_refused(p):
    real = {"c": [1.0, -2.0]}
    assert_grad(loop_over_a_leaf, X, real)   # (checked at every call, not once per types)
    for call in (lambda: ad.grad(loop_over_a_leaf)(X, p),
                 lambda: ad.grad(loop_over_a_leaf)(X, p=p),
                 lambda: ad.jvp(loop_over_a_leaf)(X, p, np.ones(3))):
        with pytest.raises(TypeError, match=r"argument 'p' .* complex value at \['c'\]\[1\]"):
            call()
    with pytest.raises(TypeError, match="complex"):
        ad.grad(loop_over_a_leaf)(1.5, p)   # (numbers: the other lookup by types)
    with pytest.raises(TypeError, match="complex"):
        ad.grad(loop_over_a_leaf, wrt=1)(X, {"c": [1.0, 1j]})


@dataclass
class Settings:
    scale: object


def scaled(x, settings):
    return np.sum(x * settings.scale)


def test_complex_attributes_of_objects_not_differentiated_are_refused():
    with pytest.raises(TypeError, match="argument 'settings' of scaled.. holds complex"):
        ad.grad(scaled)(X, Settings(np.ones(3) * 1j))
    np.testing.assert_allclose(ad.grad(scaled)(X, Settings(np.arange(3.0))), np.arange(3.0))
    with pytest.raises(TypeError, match="argument 'settings' of scaled.. holds complex"):
        ad.grad(scaled)(X, Settings(np.ones(3) * 1j))
    np.testing.assert_allclose(ad.grad(scaled)(X, Settings(np.arange(3.0))), np.arange(3.0))


def test_constants_that_are_real_by_construction_are_not_checked():
    def uses_numpy_constants(x, n):
        w = np.arange(3.0) + np.eye(3)[0] + np.zeros(3) + math.sqrt(n) + np.random.rand(3)
        return np.sum(x * w)
    assert "real_value" not in ad.show(uses_numpy_constants, args=(X, 2))

