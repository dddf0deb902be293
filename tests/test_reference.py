"""adcompile against autograd: a second, independent reference beside finite differences.

HIPS autograd differentiates by recording a tape of its own NumPy wrappers at run time and
shares nothing with adcompile (no source reading, its own adjoint for every primitive). Each
case below is a module-level function written once, with NumPy. adcompile reads its source;
autograd runs its *twin*: the same source text executed again in a namespace where ``np`` is
``autograd.numpy`` (and ``math`` a few autograd functions). Where autograd 1.9 cannot
differentiate a NumPy function (``AUTOGRAD_GAPS``) the twin's ``np`` holds that function
written in ones autograd can differentiate, and where the same source cannot run under
autograd at all (``x.dot(y)``, ``float(x)``) a case names a hand-written twin.

For every case, at random float64 inputs drawn from a seed derived from the case's name and
kept away from kinks, poles and ties:

- reverse mode: ``ad.grad`` equals ``autograd.grad`` (relative 1e-7), and both equal central
  finite differences;
- forward mode: ``ad.jvp`` along a random tangent equals autograd's gradient contracted with
  the tangent, and a central difference along the tangent;
- ``order=2`` cases: ``ad.hessian`` in both modes equals ``autograd.hessian`` (and finite
  differences of autograd's gradient); ``order=3`` (a number in): also the third derivative.

Enumeration: ``test_every_registered_rule_has_a_reference_case`` fails when a rule of
``adcompile/rules`` (not a user rule another test registers) has a key, such as ``np.sum``
or ``x.sum()`` or ``@``, that no case calls, read off the cases' syntax trees. The rules of
``rules/generated.py`` (the helpers generated code calls) are covered by second- and
third-order cases: a helper counts when it is in the generated code that the higher
derivative differentiates. Rules autograd cannot check (``WITHOUT_AUTOGRAD``, with reasons:
the second-derivative helpers adcompile refuses to differentiate again) are checked against
finite differences only, and for their refusal; an entry there for a rule that no longer
exists fails the meta-test, and so does a new rule no case reaches
(``test_the_meta_test_sees_a_new_rule_and_a_stale_entry`` shows both).

Cases failing because of an adcompile bug are ``xfail(strict=True)`` with the bug described:
when the bug is fixed, the case fails until the mark is removed.
"""

import ast
import builtins
import copy
import functools
import inspect
import math
import operator
import textwrap
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from conftest import numerical_grad

import adcompile as ad
from adcompile import runtime
from adcompile.rules import REGISTRY, Rule

autograd = pytest.importorskip("autograd")
import autograd.numpy as anp
import autograd.scipy.special as ag_special

try:
    import autograd.scipy.linalg as ag_linalg
    import autograd.scipy.stats as ag_stats
    import autograd.scipy.stats.beta
    import autograd.scipy.stats.gamma
    import autograd.scipy.stats.multivariate_normal  # noqa: F401
    import autograd.scipy.stats.norm  # noqa: F401
    import autograd.scipy.stats.poisson
    import autograd.scipy.stats.t
except ImportError:   # autograd.scipy needs SciPy
    ag_stats = ag_linalg = None

# a gradient that divides by zero or takes the log of a negative number is a bug here
# (autograd warns when a differentiated argument only enters a comparison: np.where's condition)
pytestmark = [pytest.mark.filterwarnings("error::RuntimeWarning"),
              pytest.mark.filterwarnings("ignore:Output seems independent of input"),
              pytest.mark.filterwarnings("ignore:(r|c)_ is slow for array inputs")]

RTOL_AUTOGRAD = 1e-7     # two exact methods, only rounding between them
RTOL_FD, ATOL_FD = 1e-5, 1e-6
EPS = 1e-6


# ===========================================================================
# cases
# ===========================================================================

@dataclass
class Case:
    fn: object
    specs: tuple
    wrt: tuple                 # positional indices differentiated
    order: int = 1             # 2: also Hessians; 3: also the third derivative (a number in)
    hessian_wrt: tuple = ()    # which of wrt the Hessians are taken for (default: all)
    twin: object = None        # a hand-written autograd version, when the source cannot run
    xfail: dict = field(default_factory=dict)   # check ("reverse", ...) -> the bug
    covers: tuple = ()         # rules a case covers that have no key to find (python.copy)
    rtol: float = RTOL_FD
    name: str = ""

    def args(self):
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        return [spec(rng) if callable(spec) else spec for spec in self.specs]


CASES = []
SOURCES = []      # functions whose source the autograd twins are built from (cases, helpers)


def case(*specs, wrt=0, order=1, hessian_wrt=(), twin=None, xfail=None, covers=(),
         rtol=RTOL_FD):
    """Register the decorated function as a case at the inputs ``specs`` (a callable draws
    one from a random generator; anything else is passed as it is). Stack the decorator for
    more inputs. ``xfail`` (a known adcompile bug): {check: (reason, the exception it
    raises)}, check being one of "reverse", "forward", "second", "third" (a wrong value
    raises AssertionError)."""

    def register(fn):
        if fn not in SOURCES:
            SOURCES.append(fn)
        reasons = dict(xfail or {})
        index = sum(c.fn is fn for c in CASES)
        CASES.append(Case(fn, specs, wrt if isinstance(wrt, tuple) else (wrt,), order,
                          hessian_wrt, twin, reasons, covers, rtol,
                          fn.__name__ + (f"-{index}" if index else "")))
        return fn

    return register


def helper(fn):
    """A user function the cases call: its autograd twin is built too."""
    SOURCES.append(fn)
    return fn


# -- inputs -------------------------------------------------------------------

def normal(*shape, scale=1.0):
    return lambda rng: scale * rng.normal(size=shape)


def uniform(lo, hi, *shape):
    """Uniform on [lo, hi]; a Python float when no shape is given."""
    def draw(rng):
        v = rng.uniform(lo, hi, shape)
        return float(v) if shape == () else v
    return draw


def away(lo, hi, *shape):
    """|v| uniform on [lo, hi] with a random sign: away from the kink or pole at 0."""
    def draw(rng):
        v = rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)
        return float(v) if shape == () else v
    return draw


def avoiding(points, *shape, lo=-2.0, hi=2.0, margin=0.05):
    """Uniform on [lo, hi], redrawn until no entry is within ``margin`` of ``points``
    (branch thresholds, integers of a quotient)."""
    def draw(rng):
        while True:
            v = rng.uniform(lo, hi, shape)
            if np.min(np.abs(np.subtract.outer(np.ravel(v), points))) > margin:
                return float(v) if shape == () else v
    return draw


def distinct(*shape, gap=0.02):
    """Normal entries, pairwise at least ``gap`` apart (no ties for max, min, maximum)."""
    def draw(rng):
        while True:
            v = rng.normal(size=shape)
            if np.all(np.diff(np.sort(np.ravel(v))) > gap):
                return v
    return draw


def invertible(*shape):
    return lambda rng: rng.uniform(-0.5, 0.5, shape) + 2.0 * np.eye(shape[-1])


def symmetric_distinct(*shape, gap=0.3, mirrored=True):
    """A matrix x whose symmetric part x + x^T (``mirrored=False``: the matrices eigh reads
    from its lower and from its upper triangle) has eigenvalues at least ``gap`` apart."""
    def draw(rng):
        while True:
            x = rng.normal(size=shape)
            spectra = ([np.linalg.eigvalsh(x + np.swapaxes(x, -1, -2))] if mirrored else
                       [np.linalg.eigvalsh(x), np.linalg.eigvalsh(x, UPLO="U")])
            if all(np.all(np.diff(e, axis=-1) > gap) for e in spectra):
                return x
    return draw


def singular_distinct(*shape, gap=0.3):
    """A matrix with singular values above ``gap`` and at least ``gap`` apart."""
    def draw(rng):
        while True:
            x = rng.normal(size=shape)
            s = np.linalg.svd(x, compute_uv=False)
            if np.all(s > gap) and np.all(np.diff(s, axis=-1) < -gap):
                return x
    return draw


def labels(n, k):
    return lambda rng: rng.integers(0, k, n)


def const(value):
    """A fixed array passed as it is (not differentiated)."""
    return lambda rng: np.array(value, dtype=float)


# constants the cases close over: weights that make every output entry count differently
W23 = np.random.default_rng(1).uniform(0.5, 1.5, (2, 3))
W34 = np.random.default_rng(2).uniform(0.5, 1.5, (3, 4))
W44 = np.random.default_rng(3).uniform(0.5, 1.5, (4, 4))
C3 = np.array([0.5, -1.0, 1.5])
IDX5 = np.array([0, 2, 2, 1, 0])
number = uniform(-1.5, 1.5)


# ===========================================================================
# python.py: assignment, operators, builtins
# ===========================================================================

def filled_twin(x):
    return anp.sum((anp.ones((2, 3)) * x) ** 2 * anp.arange(6.0).reshape(2, 3))


@case(normal(3), twin=filled_twin)
def filled(x):
    return np.sum(np.full((2, 3), x) ** 2 * np.arange(6.0).reshape(2, 3))


def item_assignment_twin(x, v):
    y = x * 2.0
    y = anp.concatenate([y[:1], anp.sin(x[:2] * v), y[3:]])
    y = anp.concatenate([y[:4], (v[1] * x[0]) ** 2 * anp.ones(1)])
    return anp.sum(y ** 3)


@case(normal(5), normal(2), wrt=(0, 1), order=2, twin=item_assignment_twin)
def item_assignment(x, v):
    y = np.copy(x) * 2.0
    y[1:3] = np.sin(x[:2] * v)
    z = y.copy()
    z[-1] = (v[1] * x[0]) ** 2
    return np.sum(z ** 3)


def copied_arrays_twin(x, v):
    y = anp.concatenate([v[:1] ** 2, x[1:]])
    return anp.sum(y * x ** 2) + anp.sum(anp.sin(x * v[1]))


@case(normal(5), normal(2), wrt=(0, 1), order=2, twin=copied_arrays_twin)
def copied_arrays(x, v):
    y = copy.copy(x)             # a new array: the change below leaves x as it is
    y[0] = v[0] ** 2
    z = copy.deepcopy(x * v[1])
    return np.sum(y * x ** 2) + np.sum(np.sin(z))


def conjugate_methods_twin(x):
    return anp.sum(x ** 3 + x * anp.cos(x)) + anp.sum(x * W34)


@case(normal(3, 4), order=2, twin=conjugate_methods_twin)
def conjugate_methods(x):
    # (autograd's arrays have no .conj(), .conjugate() or .real: the twin is written out)
    return np.sum(x.conj() * x.real ** 2 + x.conjugate() * np.cos(x)) + np.sum(x.T.real.T * W34)


SCATTER = np.zeros((5, 3))
SCATTER[[0, 3, 0], [0, 1, 2]] = 1.0      # entry 0 gets v[0] and v[2]: np.add.at adds both


def scatter_added_twin(x, v):
    return anp.sum((x + anp.dot(SCATTER, v) - anp.array([0, 0, 0, 0, 1.0]) * anp.sum(v[:2] * v[0]))
                   ** 3)


@case(normal(5), normal(3), wrt=(0, 1), order=2, twin=scatter_added_twin)
def scatter_added(x, v):
    y = x * 1.0
    np.add.at(y, np.array([0, 3, 0]), v)
    np.subtract.at(y, np.array([4, 4]), v[:2] * v[0])
    return np.sum(y ** 3)


def _full_convolution(n, m):
    """The matrix taking the outer product of operands of lengths n and m (flattened) to
    their full convolution."""
    out = np.zeros((n + m - 1, n * m))
    for i in range(n):
        for j in range(m):
            out[i + j, i * m + j] = 1.0
    return out


CONVOLVE_5_3 = _full_convolution(5, 3)


def convolved_twin(a, v):
    full = anp.dot(CONVOLVE_5_3, anp.reshape(anp.outer(a, v), (-1,)))
    return anp.sum(anp.sin(full[1:6]) * anp.arange(1.0, 6.0)) + anp.sum(full ** 2) \
        + anp.sum(anp.cos(full[2:5]))


@case(normal(5), normal(3), wrt=(0, 1), order=2, twin=convolved_twin)
def convolved(a, v):
    return np.sum(np.sin(np.convolve(a, v, "same")) * np.arange(1.0, 6.0)) \
        + np.sum(np.convolve(v, a) ** 2) + np.sum(np.cos(np.convolve(a, v, "valid")))


def _full_correlation(n, m):
    """The matrix taking the outer product of operands of lengths n and m (flattened) to
    their full correlation (np.correlate(a, v, "full")[k] = sum_j a[k + j - m + 1] v[j])."""
    out = np.zeros((n + m - 1, n * m))
    for i in range(n):
        for j in range(m):
            out[i - j + m - 1, i * m + j] = 1.0
    return out


CORRELATE_5_3, CORRELATE_3_5 = _full_correlation(5, 3), _full_correlation(3, 5)


def correlated_twin(a, v):
    full = anp.dot(CORRELATE_5_3, anp.reshape(anp.outer(a, v), (-1,)))
    swapped = anp.dot(CORRELATE_3_5, anp.reshape(anp.outer(v, a), (-1,)))
    return anp.sum(anp.sin(full[1:6]) * anp.arange(1.0, 6.0)) + anp.sum(swapped ** 2) \
        + anp.sum(anp.cos(full[2:5])) + anp.sum(swapped[1:6] * anp.arange(5.0))


@case(normal(5), normal(3), wrt=(0, 1), order=2, twin=correlated_twin)
def correlated(a, v):
    return np.sum(np.sin(np.correlate(a, v, "same")) * np.arange(1.0, 6.0)) \
        + np.sum(np.correlate(v, a, "full") ** 2) + np.sum(np.cos(np.correlate(a, v))) \
        + np.sum(np.correlate(v, a, mode="same") * np.arange(5.0))


def peak_to_peak_twin(x):
    return (anp.max(x) - anp.min(x)) ** 2 \
        + anp.sum((anp.max(x, axis=0) - anp.min(x, axis=0)) * anp.arange(1.0, 5.0))


@case(distinct(3, 4, gap=0.05), order=2, twin=peak_to_peak_twin)
def peak_to_peak(x):
    return np.ptp(x) ** 2 + np.sum(np.ptp(x, axis=0) * np.arange(1.0, 5.0))


def vandermonde_twin(x):
    columns = anp.stack([x ** 3, x ** 2, x, anp.ones_like(x)], axis=1)
    rising = anp.stack([anp.ones_like(x), x, x ** 2], axis=1)
    return anp.sum(anp.sin(columns) * W44[:, :4]) + anp.sum(rising ** 2)


@case(away(0.3, 1.5, 4), order=2, twin=vandermonde_twin)
def vandermonde(x):
    return np.sum(np.sin(np.vander(x)) * W44[:, :4]) + np.sum(np.vander(x, 3, True) ** 2)


def item_assignment_of_a_number_twin(s, v):
    y = v * s
    y = anp.concatenate([y[:1] + s ** 2, anp.sin(s * v[0]) * anp.ones(1), y[2:]])
    return anp.sum(y ** 3)


@case(number, normal(3), wrt=(0, 1), order=3, twin=item_assignment_of_a_number_twin)
def item_assignment_of_a_number(s, v):
    y = v * s
    y[1] = np.sin(s * v[0])
    y[0] += s ** 2
    return np.sum(y ** 3)


@case(normal(2, 3), normal(3), wrt=(0, 1), covers=(("python", "copy"),))
def copies_and_unpacking(x, y):
    a, b = y, x
    c = a
    d = b
    return np.sum(np.sin(c * d) + d)


@case(normal(3, 1), normal(4), wrt=(0, 1))
@case(number, normal(2, 3), wrt=(0, 1))
def add(x, y):
    return np.sum(np.sin(x + y))


@case(uniform(-1, 1), normal(2, 3), wrt=(0, 1))
def add_ufunc(x, y):
    return np.sum(np.add(x, y) ** 3)


@case(normal(2, 3, 4), normal(3, 1), wrt=(0, 1))
def sub(x, y):
    return np.sum(np.cos(x - y))


@case(normal(3), uniform(-1, 1), wrt=(0, 1))
def sub_ufunc(x, y):
    return np.sum(np.subtract(y, x) ** 3)


@case(normal(2, 1, 3), normal(4, 1), wrt=(0, 1))
@case(number, number, wrt=(0, 1))
def mul(x, y):
    return np.sum(np.sin(x * y))


@case(normal(3, 4), normal(4), wrt=(0, 1))
def mul_ufunc(x, y):
    return np.sum(np.multiply(x, y) ** 2)


@case(normal(3, 1), away(0.5, 2.0, 4), wrt=(0, 1))
@case(number, away(0.5, 2.0), wrt=(0, 1))
def truediv(x, y):
    return np.sum(np.sin(x / y))


@case(away(0.5, 2.0, 2, 3), normal(3), wrt=(0, 1))
def divide_ufunc(x, y):
    return np.sum(np.divide(y, x) ** 2)


@case(uniform(0.5, 2.0, 3, 1), normal(4), wrt=(0, 1))
@case(uniform(0.5, 2.0), uniform(-2.0, 2.0), wrt=(0, 1), order=2)
def pow_both_active(x, y):
    return np.sum(x ** y)


@case(normal(2, 3))
def pow_constant_exponent(x):
    return np.sum(x ** 3 - 2.0 * x ** 2 + x ** 1)


@case(uniform(0.5, 2.0, 4))
def pow_fractional_exponent(x):
    return np.sum(x ** 2.5 + x ** -1.5 + x ** 0.5)


@case(normal(4), uniform(0.5, 2.0), wrt=(0, 1))
def pow_constant_base(x, b):
    return np.sum(2.0 ** x + b ** x)


@case(uniform(0.5, 2.0, 2, 3), normal(3), wrt=(0, 1))
def power_ufunc(x, y):
    return np.sum(np.power(x, y))


@case(normal(3, 2))
@case(number)
def neg(x):
    return np.sum(-x * np.sin(-x))


@case(normal(4))
def negative_ufunc(x):
    return np.sum(np.negative(x) * x ** 2)


def pos_twin(x):
    return anp.sum(x * anp.sin(x))


@case(normal(4), twin=pos_twin)   # autograd's boxes have no unary +
def pos(x):
    return np.sum(+x * np.sin(x))


def float_twin(x):
    return x[0] * x[0] + anp.sin(x[1])


@case(normal(3), twin=float_twin)   # float() of an autograd box raises
def float_builtin(x):
    return float(x[0]) * x[0] + np.sin(float(x[1]))


def numpy_casts_twin(x):
    return anp.sum(x * x) + anp.sin(x[0])


@case(normal(3), twin=numpy_casts_twin)   # (autograd has no np.float64 of a box)
def numpy_casts(x):
    return np.sum(np.float64(x) * x) + np.sin(np.float64(x[0]))


@case(away(0.3, 2.0, 2, 3))
@case(away(0.3, 2.0))
def abs_builtin(x):
    return np.sum(abs(x) ** 1.5)


@case(distinct(2), distinct(2), wrt=(0, 1))
def max_min_builtins(x, y):
    a = max(x[0], y[0]) * min(x[1], y[1])
    b = max(x[1] * 2.0, y[0]) + min(y[1], x[0])
    return a * b


@case(normal(3, 4), normal(4, 2), wrt=(0, 1))
@case(normal(4), normal(4, 2), wrt=(0, 1))
@case(normal(3, 4), normal(4), wrt=(0, 1))
@case(normal(4), normal(4), wrt=(0, 1))
@case(normal(2, 3, 4), normal(4, 2), wrt=(0, 1), order=2)
def matmul(x, y):
    return np.sum(np.sin(x @ y))


@case(normal(2, 3, 4), normal(2, 4, 2), wrt=(0, 1))
@case(normal(4, 3), normal(2, 3, 2), wrt=(0, 1))
def matmul_ufunc(x, y):
    return np.sum(np.matmul(x, y) ** 2)


@case(normal(4, 5))
def getitem_basic(x):
    return (x[1, 2] * x[-1, 0] + np.sum(x[1] * x[2]) + np.sum(x[1:3, ::2] ** 2)
            + np.sum(x[::-1, 1] * x[:, 3]) + np.sum(x[..., 1] ** 3) + np.sum(x[None, :, 0] ** 2))


@case(normal(4, 3), const([2, 0, 2]))
def getitem_advanced(x, idx):
    rows = x[idx.astype(int)]
    picked = x[[0, 3, 3], [2, 1, 1]]
    return np.sum(rows ** 2 * C3) + np.sum(np.sin(picked)) + np.sum(x[x > 0] ** 3)


@case(normal(3, 4), 2)
def getitem_with_an_int_argument(x, i):
    return np.sum(np.sin(x[i])) + np.sum(x[:, i] ** 2) + np.sum(x[i - 1:, i:] ** 3)


# (y is 0.7 and x is away from its multiples: the quotients are constant near the inputs)
@case(avoiding(np.arange(-7, 8) * 0.7, 2, 3), 0.7, wrt=(0, 1))
def mod_operator(x, y):
    return np.sum((x % 0.7) ** 2) + np.sum(np.sin(x % y))


@case(avoiding(np.arange(-7, 8) * 0.7, 3), 0.7, wrt=(0, 1))
def remainder_and_fmod(x, y):
    return np.sum(np.remainder(x, 0.7) ** 2 + np.fmod(x, y) * x) + np.sum(np.fmod(x, 0.7) ** 2)


def divmod_builtin_twin(x, y):
    q, r = anp.floor(x / y), anp.mod(x, y)
    return anp.sum(r ** 2 * q) + anp.sum(anp.sin(anp.mod(x[0], y)) * anp.floor(x[0] / y))


@case(avoiding(np.arange(-7, 8) * 0.7, 3), 0.7, wrt=(0, 1), order=2,
      twin=divmod_builtin_twin)   # (autograd's boxes have no divmod)
def divmod_builtin(x, y):
    q, r = divmod(x, y)
    first = divmod(x[0], y)
    return np.sum(r ** 2 * q) + np.sin(first[1]) * first[0]


# ===========================================================================
# math.py
# ===========================================================================

@case(uniform(0.3, 1.2), order=3)
def math_exp_log_sqrt(x):
    return math.exp(x) * math.log(x) + math.sqrt(x) / x


@case(uniform(-1.0, 1.0))
def math_trig(x):
    return math.sin(x) * math.cos(2.0 * x) + math.tan(x) - math.tanh(x) ** 2


@case(away(0.3, 2.0), away(0.3, 2.0), wrt=(0, 1))
def math_copysign(x, y):
    return math.copysign(x, y) * x + math.copysign(2.0, y) * y


@case(uniform(0.2, 0.9), order=2)
def math_logs_and_exps(x):
    return (math.log10(x) * math.log2(x + 1.0) + math.log1p(x) ** 2 + math.expm1(x) * x
            + math.exp2(x) + math.cbrt(x + 0.5) + math.log(x, 3.0))


@case(uniform(-0.9, 0.9), order=2)
def math_hyperbolic_and_inverse(x):
    return (math.sinh(x) * math.cosh(x) + math.asin(x) + math.acos(x) * x + math.atan(x)
            + math.asinh(x) + math.acosh(x + 2.0) + math.atanh(x) ** 2)


@case(away(0.3, 2.0), uniform(0.4, 2.0), wrt=(0, 1))
def math_two_arguments(x, y):
    return (math.atan2(x, y) + math.hypot(x, y) * x + math.fabs(x) * y + math.pow(y, x)
            + math.log(y, x * x + 2.0) + math.degrees(x) * math.radians(y))


@case(avoiding(np.arange(-4.0, 5.0) * 0.7, lo=-2.0, hi=2.0), uniform(0.65, 0.75), wrt=(0, 1))
def math_fmod(x, y):
    return math.fmod(x, y) * x + math.fmod(3.0, y)


@case(uniform(0.3, 3.0), order=3)
def math_gamma_family(x):
    return math.lgamma(x) * math.erf(x) + math.gamma(x) + math.erfc(x) ** 2


@case(normal(3), number, wrt=(0, 1), order=2)
def builtin_sum_and_pow(x, y):
    terms = [x * y, np.sin(x), y ** 2]
    return np.sum(sum(terms) ** 2) + pow(y, 3) + math.fsum([y, y * y])


# ===========================================================================
# numpy.py: elementwise functions
# ===========================================================================

@case(normal(2, 3))
def np_exp(x):
    return np.sum(W23 * np.exp(x))


@case(uniform(0.2, 3.0, 2, 3))
def np_log(x):
    return np.sum(W23 * np.log(x))


@case(uniform(0.2, 3.0, 2, 3))
def np_sqrt(x):
    return np.sum(W23 * np.sqrt(x))


@case(normal(2, 3))
def np_sin(x):
    return np.sum(W23 * np.sin(x))


@case(normal(2, 3))
def np_cos(x):
    return np.sum(W23 * np.cos(x))


@case(uniform(-1.2, 1.2, 2, 3))
def np_tan(x):
    return np.sum(W23 * np.tan(x))


@case(normal(2, 3))
def np_tanh(x):
    return np.sum(W23 * np.tanh(x))


@case(away(0.2, 2.0, 2, 3))
def np_abs(x):
    return np.sum(W23 * np.abs(x) ** 1.5)


@case(away(0.2, 2.0, 2, 3))
def np_fabs(x):
    return np.sum(W23 * np.fabs(x) ** 1.5)


@case(normal(2, 3))
def np_exp2(x):
    return np.sum(W23 * np.exp2(x))


@case(normal(2, 3))
def np_expm1(x):
    return np.sum(W23 * np.expm1(x))


@case(uniform(0.2, 3.0, 2, 3))
def np_log2(x):
    return np.sum(W23 * np.log2(x))


@case(uniform(0.2, 3.0, 2, 3))
def np_log10(x):
    return np.sum(W23 * np.log10(x))


@case(uniform(-0.5, 2.0, 2, 3))
def np_log1p(x):
    return np.sum(W23 * np.log1p(x))


@case(away(0.2, 2.0, 2, 3))
def np_cbrt(x):
    return np.sum(W23 * np.cbrt(x))


@case(normal(2, 3))
def np_square(x):
    return np.sum(W23 * np.square(x))


@case(away(0.3, 2.0, 2, 3))
def np_reciprocal(x):
    return np.sum(W23 * np.reciprocal(x))


@case(uniform(-0.9, 0.9, 2, 3))
def np_arcsin(x):
    return np.sum(W23 * np.arcsin(x))


@case(uniform(-0.9, 0.9, 2, 3))
def np_arccos(x):
    return np.sum(W23 * np.arccos(x))


@case(normal(2, 3))
def np_arctan(x):
    return np.sum(W23 * np.arctan(x))


@case(normal(2, 3))
def np_sinh(x):
    return np.sum(W23 * np.sinh(x))


@case(normal(2, 3))
def np_cosh(x):
    return np.sum(W23 * np.cosh(x))


@case(normal(2, 3))
def np_arcsinh(x):
    return np.sum(W23 * np.arcsinh(x))


@case(uniform(1.2, 3.0, 2, 3))
def np_arccosh(x):
    return np.sum(W23 * np.arccosh(x))


@case(uniform(-0.9, 0.9, 2, 3))
def np_arctanh(x):
    return np.sum(W23 * np.arctanh(x))


@case(away(0.3, 2.0, 3, 1), away(0.3, 2.0, 4), wrt=(0, 1))
def np_arctan2(a, b):
    return np.sum(np.arctan2(a, b) ** 2)


@case(away(0.3, 2.0, 2, 3), away(0.3, 2.0, 3), wrt=(0, 1))
def np_hypot(x, y):
    return np.sum(W23 * np.hypot(x, y))


@case(away(0.3, 2.0, 2, 3), away(0.3, 2.0, 3), wrt=(0, 1), order=2)
def np_copysign(x, y):
    return np.sum(W23 * np.copysign(x, y)) + np.sum(np.copysign(x * x, x) * W23)


@case(uniform(0.5, 2.0, 2, 3), normal(3), wrt=(0, 1), order=2)
def np_float_power(x, y):
    return np.sum(W23 * np.float_power(x, y)) + np.sum(np.float_power(x, 3) * W23)


@case(normal(3, 1), normal(4), wrt=(0, 1), order=2)   # (second order: runtime.stable_sigmoid)
def np_logaddexp(x, y):
    return np.sum(np.logaddexp(x, y) ** 2)


@case(normal(3, 4), order=2)
def np_logaddexp_reduce(x):
    return (np.logaddexp.reduce(x[0]) + np.sum(np.logaddexp.reduce(x, axis=1) ** 2)
            + np.sum(np.logaddexp.reduce(x, 0, keepdims=True) * W34)
            + np.logaddexp.reduce(x, axis=None) ** 2)


@case(avoiding([-0.5, 0.5], 3, 4))
def np_clip(x):
    return np.sum(W34 * np.clip(x, -0.5, 0.5)) + np.sum(x.clip(-0.5, 0.5) ** 3)


@case(avoiding([-0.6, 0.4], 3, 4), -0.6, 0.4, wrt=(0, 1, 2))
def np_clip_active_bounds(x, lo, hi):
    return np.sum(W34 * np.clip(x, lo, hi) ** 2)


@case(away(0.1, 2.0, 3, 1), normal(3, 4), normal(4), wrt=(0, 1, 2))
def np_where(c, a, b):
    return np.sum(np.where(c > 0, np.sin(a), b ** 2))


@case(avoiding([0.0], 3, 4), wrt=0)
def np_where_masks_a_nan_branch(x):
    # the unselected branch of the first where is NaN (log of a negative number), but only
    # its masked entries: the gradient must stay finite
    safe = np.where(x > 0, x, 1.0)
    return np.sum(np.where(x > 0, np.log(safe), x ** 2))


@case(distinct(3, 1), distinct(4), wrt=(0, 1))
def np_maximum_minimum(x, y):
    return np.sum(W34 * np.maximum(x, y)) + np.sum(np.minimum(x, y * 0.5) ** 2)


# ===========================================================================
# numpy.py: products
# ===========================================================================

def dot_method_twin(x, y):
    return anp.sum(anp.sin(anp.dot(x, y)))


@case(normal(3, 4), normal(4, 2), wrt=(0, 1))
@case(normal(4), normal(4), wrt=(0, 1))
@case(normal(3, 4), normal(4), wrt=(0, 1))
@case(uniform(-1, 1), normal(3), wrt=(0, 1), order=2)
@case(normal(2, 3, 4), normal(4, 2), wrt=(0, 1))
def np_dot(x, y):
    return np.sum(np.sin(np.dot(x, y)))


@case(normal(3, 4), normal(4, 2), wrt=(0, 1), twin=dot_method_twin)   # boxes have no .dot
def dot_method(x, y):
    return np.sum(np.sin(x.dot(y)))


@case(normal(3), normal(4), wrt=(0, 1))
def np_outer(x, y):
    return np.sum(W34 * np.outer(x, y) ** 2)


@case(normal(4), normal(4), wrt=(0, 1))
@case(normal(2, 3), normal(4, 3), wrt=(0, 1))
def np_inner(x, y):
    return np.sum(np.sin(np.inner(x, y)))


@case(normal(3, 4), normal(4, 2), 1, wrt=(0, 1), order=2)
@case(normal(2, 3), normal(3, 2), ([0], [1]), wrt=(0, 1))
@case(normal(2, 3, 4), normal(3, 4), 2, wrt=(0, 1))
def np_tensordot(x, y, axes):
    return np.sum(np.sin(np.tensordot(x, y, axes)))


@case(normal(2), normal(3), wrt=(0, 1), order=2)
@case(normal(2, 2), normal(2, 3), wrt=(0, 1))
def np_kron(x, y):
    return np.sum(np.sin(np.kron(x, y)))


@case(normal(3, 4), normal(4, 2), wrt=(0, 1))
def einsum_two_operands(x, y):
    return (np.sum(np.sin(np.einsum("ij,jk->ik", x, y)))
            + np.sum(np.einsum("ij,ij->i", x, x) ** 2)
            + np.sum(np.einsum("i,j->ij", x[0], y[:, 1]) ** 2))


@case(normal(3, 4))
def einsum_one_operand(x):
    return (np.sum(np.einsum("ij->ji", x) * W34.T) + np.sum(np.einsum("ij->i", x) ** 2)
            + np.einsum("ij->", x) ** 2)


@case(normal(2, 3, 4), normal(4, 2), "...ij,jk->...ik", wrt=(0, 1), order=2)
@case(normal(3, 4), normal(2, 4, 3), "ij,...jk->...ik", wrt=(0, 1))
@case(normal(2, 3, 3), normal(3), "...ij,j->...i", wrt=(0, 1))
def einsum_with_an_ellipsis(x, y, spec):
    return np.sum(np.sin(np.einsum(spec, x, y))) + np.sum(np.einsum("...j->...", x) ** 2)


@case(normal(2, 3, 4), normal(5, 4, 2), wrt=(0, 1))
@case(normal(3, 4), normal(2, 4, 3), wrt=(0, 1))
def np_dot_of_higher_dimensional_arrays(x, y):
    return np.sum(np.sin(np.dot(x, y)))


def einsum_diagonal_twin(x):
    # autograd's einsum VJP builds a subscript with a repeated output index and fails
    return (anp.trace(x) ** 2 + anp.sum(anp.diag(x) ** 3)
            + anp.sum(anp.dot(anp.diag(x), x) ** 2))


@case(normal(3, 3), order=2, twin=einsum_diagonal_twin)
def einsum_diagonal(x):
    return (np.einsum("ii->", x) ** 2 + np.sum(np.einsum("ii->i", x) ** 3)
            + np.sum(np.einsum("ii,ij->j", x, x) ** 2))


# ===========================================================================
# numpy.py: reductions, with axis and keepdims
# ===========================================================================

@case(normal(2, 3, 4))
def np_sum(x):
    return (np.sum(x) ** 2 + np.sum(np.sum(x, axis=0) ** 2)
            + np.sum(np.sum(x, axis=-1, keepdims=True) * x)
            + np.sum(np.sum(x, axis=(0, 2)) ** 3) + np.sum(np.sum(x, 1) ** 2))


@case(normal(2, 3, 4))
def sum_method(x):
    return x.sum() ** 2 + np.sum(x.sum(axis=1) ** 2) + np.sum(x.sum(axis=(1, 2), keepdims=True) * x)


@case(normal(2, 3, 4))
def np_mean(x):
    return (np.mean(x) ** 2 + np.sum(np.mean(x, axis=0) ** 2)
            + np.sum(np.mean(x, axis=-1, keepdims=True) * x) + np.sum(x.mean(axis=(0, 2)) ** 3)
            + x.mean() * x[0, 0, 0])


@case(distinct(3, 4))
def np_max_min(x):
    return (np.max(x) ** 2 + np.sum(np.max(x, axis=0) ** 2) + np.sum(np.amax(x, axis=1) * C3)
            + np.min(x) * np.amin(x) + np.sum(np.min(x, axis=-1, keepdims=True) * x)
            + np.sum(np.amin(x, axis=(0, 1), keepdims=True)))


@case(distinct(2, 3, 4))
def max_min_methods(x):
    return x.max() * x.min() + np.sum(x.max(axis=(0, 2)) ** 2) + np.sum(x.min(axis=1) * W34[:2])


@case(uniform(0.5, 1.5, 2, 3, 2))
@case(away(0.3, 1.5, 3, 4), order=2)
def np_prod(x):
    return (np.prod(x) + np.sum(np.prod(x, axis=1) ** 2)
            + np.sum(np.prod(x, axis=(0, -1), keepdims=True) * x) + np.sum(x.prod(axis=0)))


@case(normal(3, 4))
def np_var(x):
    return (np.var(x) + np.sum(np.var(x, axis=0) * np.arange(1.0, 5.0))
            + np.sum(np.var(x, axis=1, ddof=1) ** 2)
            + np.sum(x.var(axis=-1, keepdims=True) * x))


@case(normal(3, 4))
def np_std(x):
    return (np.std(x) + np.sum(np.std(x, axis=0) ** 2) + np.sum(np.std(x, axis=1, ddof=1) * C3)
            + np.sum(x.std(axis=(0, 1), keepdims=True) * x))


@case(normal(3, 4))
def np_cumsum(x):
    return (np.sum(np.cumsum(x) * np.arange(12.0)) + np.sum(np.cumsum(x, axis=1) ** 2)
            + np.sum(x.cumsum(axis=0) * W34))


def cumprod_twin(x):
    # (x.cumprod() of a box calls autograd's cumprod, which has no VJP)
    return (anp.sum(_ag_cumprod(x) * anp.arange(12.0)) + anp.sum(_ag_cumprod(x, axis=1) ** 2)
            + anp.sum(_ag_cumprod(x, axis=0) * W34))


@case(away(0.3, 1.5, 3, 4), order=2, twin=cumprod_twin)
def np_cumprod(x):
    return (np.sum(np.cumprod(x) * np.arange(12.0)) + np.sum(np.cumprod(x, axis=1) ** 2)
            + np.sum(x.cumprod(axis=0) * W34))


# ===========================================================================
# numpy.py: shapes
# ===========================================================================

def transpose_method_twin(x):
    y = anp.transpose(x, (2, 0, 1))
    return (anp.sum(anp.sin(anp.transpose(x)) * anp.transpose(x)) + anp.sum(y[0] * y[1])
            + anp.sum(anp.transpose(x) ** 2 * anp.arange(2.0)))


@case(normal(2, 3, 4))
def np_transpose(x):
    return (np.sum(np.sin(np.transpose(x)) * np.arange(2.0))
            + np.sum(np.transpose(x, (1, 2, 0))[0] ** 3 * np.arange(2.0)))


@case(normal(2, 3, 4), twin=transpose_method_twin)   # boxes take no x.transpose(2, 0, 1)
def transpose_methods(x):
    y = x.transpose(2, 0, 1)
    return (np.sum(np.sin(x.transpose()) * x.T) + np.sum(y[0] * y[1])
            + np.sum(x.T ** 2 * np.arange(2.0)))


@case(normal(3, 4))
def transpose_attribute(x):
    return np.sum(np.sin(x.T @ W34)) + np.sum(x.T[1] ** 3)


@case(normal(3, 4))
def np_reshape(x):
    return (np.sum(np.reshape(x, (2, 6)) * np.arange(6.0)) + np.sum(np.sin(np.reshape(x, -1)))
            + np.sum(np.reshape(x, (4, 3))[1] ** 2))


@case(normal(3, 4))
def reshape_method(x):
    return (np.sum(x.reshape(6, 2)[2] ** 2) + np.sum(x.reshape((2, -1)) * np.arange(6.0))
            + np.sum(np.sin(x.reshape(-1))))


@case(normal(3, 4))
def ravel_and_flatten(x):
    return (np.sum(np.ravel(x) * np.arange(12.0)) + np.sum(x.ravel()[::3] ** 2)
            + np.sum(np.sin(x.flatten())))


@case(normal(3, 4))
def np_expand_dims(x):
    return np.sum(np.expand_dims(x, 1) * x) + np.sum(np.expand_dims(x[0], -1) ** 2 * W34[0])


@case(normal(3, 1, 4))
def np_squeeze(x):
    return (np.sum(np.squeeze(x) * W34) + np.sum(x.squeeze(axis=1)[0] ** 3)
            + np.sum(x.squeeze() ** 2))


@case(normal(2, 3, 4))
def np_swapaxes(x):
    return np.sum(np.swapaxes(x, 0, 2)[0] * W34[:, :2]) + np.sum(x.swapaxes(1, 2)[1] ** 3)


@case(normal(2, 3, 4))
def np_moveaxis(x):
    return np.sum(np.moveaxis(x, 0, -1)[1] ** 3) + np.sum(np.moveaxis(x, (0, 1), (2, 0))[0] ** 2)


@case(normal(3, 1))
def np_broadcast_to(x):
    return np.sum(np.broadcast_to(x, (2, 3, 4)) * W34) + np.sum(np.broadcast_to(x, (3, 4)) ** 3)


@case(normal(3))
@case(normal(2, 2), order=2)
def np_tile(x):
    return (np.sum(np.sin(np.tile(x, 2)) * np.tile(x, (2, 1)).ravel()[0])
            + np.sum(np.tile(x, (2, 1, 1)) ** 3))


@case(normal(2, 3), order=2)
def np_repeat(x):
    return (np.sum(np.repeat(x, 2) * np.arange(12.0)) + np.sum(np.repeat(x, 3, axis=1) ** 3)
            + np.sum(np.sin(x.repeat(2, axis=0))))


@case(normal(3, 4))
def np_flip(x):
    return np.sum(np.flip(x) * W34) + np.sum(np.flip(x, axis=1)[0] * np.arange(4.0))


@case(normal(3, 4))
def np_roll(x):
    return np.sum(np.roll(x, 2) * W34) + np.sum(np.roll(x, -1, axis=1) ** 3 * W34)


@case(normal(3))
def np_diag_of_a_vector(v):
    return np.sum(np.diag(v) * np.arange(9.0).reshape(3, 3)) + np.sum(np.diag(v, -1) ** 3)


@case(normal(3, 4), order=2)
def np_diag_of_a_matrix(x):
    return np.sum(np.diag(x) ** 3) + np.sum(np.diag(x, 1) * C3) + np.sum(np.diag(x, k=-1) ** 2)


@case(normal(3, 3))
@case(normal(2, 3, 4), order=2)
def np_trace(x):
    return np.sum(np.trace(x) ** 3) + np.sum(np.trace(x, 1) ** 2) + np.sum(x.trace() * 2.0)


@case(normal(3, 4))
def np_triu_tril(x):
    return (np.sum(np.triu(x) * W34) + np.sum(np.triu(x, 1) ** 3) + np.sum(np.tril(x) ** 2 * W34)
            + np.sum(np.sin(np.tril(x, k=-1))))


@case(normal(2, 3), normal(2, 2), wrt=(0, 1), order=2, hessian_wrt=(0,))
def np_concatenate(x, y):
    return (np.sum(np.concatenate([x, y], axis=1) ** 3)
            + np.sum(np.sin(np.concatenate((x.ravel(), y.ravel(), x[0])))))


@case(normal(3), normal(3), order=2, hessian_wrt=(0,))
def argument_changed_in_place(x, g):
    # g is changed in place: the gradient code changes a private copy of it
    g[0] = 1.0
    return np.sum(np.sin(x) * g) + np.sum(x ** 2 * g)


@case(normal(2, 3), normal(2, 3), wrt=(0, 1), order=2, hessian_wrt=(0,))
def np_r_and_c(x, y):
    return (np.sum(np.r_[x, y ** 2] ** 3) + np.sum(np.sin(np.r_[x[0], 1.5, y[1]]))
            + np.sum(np.c_[x, y * x] ** 2) + np.sum(np.c_[x[0], y[1]] ** 3))


@case(normal(2, 3), normal(2, 3), wrt=(0, 1), order=2, hessian_wrt=(0,))
def np_stack(x, y):
    return (np.sum(np.stack([x, y ** 2]) ** 3)
            + np.sum(np.sin(np.stack((x, y), axis=-1)) * x[..., None]))


@case(normal(2, 3), normal(2, 2), wrt=(0, 1), order=2, hessian_wrt=(0,))
def np_hstack_vstack(x, y):
    return (np.sum(np.hstack([x, y]) ** 3) + np.sum(np.hstack((x[0], y[1])) ** 2)
            + np.sum(np.sin(np.vstack([x, x * 2.0]))) + np.sum(np.vstack((x[0], x[1])) ** 3))


@case(number, number, normal(3), wrt=(0, 1, 2), order=2, hessian_wrt=(2,))
def np_array_and_asarray(a, b, v):
    return (np.sum(np.array([a, b * a, 2.0]) * C3) ** 2 + np.sum(np.array([v, v ** 2]) ** 3)
            + np.sum(np.sin(np.asarray([v, C3 * b]))))


@case(normal(4, 6), order=2)
def np_split(x):
    top, bottom = np.split(x, 2)
    a, b, c = np.split(x, [1, 3], axis=1)
    pieces = np.array_split(x, 3, axis=1)
    return (np.sum(top * bottom) + np.sum(a ** 3) + np.sum(np.sin(c))
            + np.sum(pieces[1] ** 2) + np.sum(np.array_split(x[0], 4)[3] ** 3) + np.sum(b))


@case(normal(3), ((1, 2),), "constant")
@case(normal(2, 3), ((2, 0), (1, 1)), "edge")
@case(normal(4), ((3, 2),), "reflect")
@case(normal(2, 3), ((1, 2), (3, 0)), "symmetric")
@case(normal(3), ((1, 5),), "wrap")
def np_pad(x, widths, mode):
    return np.sum(np.sin(np.pad(x, widths, mode=mode)) * np.pad(x, widths, mode=mode) ** 2)


@case(normal(2, 3), order=2)
def np_pad_literal(x):
    return np.sum(np.pad(x, 1) ** 3) + np.sum(np.pad(x, ((1, 0), (0, 2)), mode="reflect") ** 2)


@case(away(0.3, 2.0, 2, 3), order=2)
def astype_method(x):
    return np.sum(x.astype(np.float64) ** 3) + np.sum(x.astype(float) * W23)


# ===========================================================================
# linalg.py
# ===========================================================================

@case(invertible(3, 3))
@case(invertible(2, 3, 3))
def linalg_inv(x):
    return np.sum(np.linalg.inv(x) * np.arange(9.0).reshape(3, 3))


@case(invertible(3, 3), normal(3), wrt=(0, 1))
@case(invertible(3, 3), normal(3, 2), wrt=(0, 1))
@case(invertible(2, 3, 3), normal(2, 3, 2), wrt=(0, 1))
@case(invertible(2, 3, 3), normal(3), wrt=(0, 1), order=2)
def linalg_solve(a, b):
    return np.sum(np.sin(np.linalg.solve(a, b)))


@case(invertible(3, 3), order=2)
@case(invertible(2, 3, 3))
def linalg_det(x):
    return np.sum(np.linalg.det(x) ** 2)


@case(normal(3, 3, scale=0.5))
def linalg_det_and_slogdet(x):
    a = x + 2.0 * np.eye(3)
    sign, logdet = np.linalg.slogdet(a)
    return np.linalg.det(a) * 0.1 + sign * logdet


@case(normal(3, 3))
@case(normal(2, 3, 3))
def linalg_cholesky(x):
    spd = x @ np.swapaxes(x, -1, -2) + np.eye(3)
    return np.sum(np.linalg.cholesky(spd) * np.arange(9.0).reshape(3, 3))


@case(normal(3, 3, scale=0.3))
def linalg_cholesky_reads_the_lower_triangle(x):
    # x + 3I is not symmetric: NumPy reads its lower triangle, so x's upper one has no effect
    return np.sum(np.linalg.cholesky(x + 3.0 * np.eye(3)) ** 2 * W44[:3, :3])


@case(symmetric_distinct(3, 3, gap=0.6, mirrored=False))
def linalg_eigh_reads_one_triangle(x):
    lower, vectors = np.linalg.eigh(x)
    upper = np.linalg.eigvalsh(x, UPLO="U")
    return np.sum(lower * C3) + np.sum(vectors ** 2 * W44[:3, :3]) + np.sum(upper ** 2)


S0 = np.diag([1.0, 2.5, 4.0]) + 0.1 * np.ones((3, 3))
S1 = np.array([[0.3, 0.5, -0.2], [0.5, -0.4, 0.1], [-0.2, 0.1, 0.6]])


@case(uniform(-0.5, 0.5), order=3)
def third_order_through_eigvalsh_and_cholesky(t):
    a = S0 + t * S1
    return np.sum(np.linalg.eigvalsh(a) ** 3 * C3) + np.sum(np.linalg.cholesky(a) ** 3)


@case(away(0.3, 2.0, 4), order=2)
def linalg_norm_vector(x):
    return (np.linalg.norm(x) + np.linalg.norm(x, 3) ** 2 + np.linalg.norm(x, 1)
            + np.linalg.norm(x, ord=np.inf) + np.linalg.norm(x, 2.5))


@case(singular_distinct(3, 4))
def linalg_norm_matrix(x):
    return (np.linalg.norm(x) ** 2 + np.linalg.norm(x, "fro") + np.linalg.norm(x, "nuc")
            + np.linalg.norm(x, 2) + np.sum(np.linalg.norm(x, axis=1) * C3)
            + np.sum(np.linalg.norm(x, 3, axis=0, keepdims=True) * x))


@case(singular_distinct(3, 4), away(0.3, 2.0, 4), order=2)
def vector_and_matrix_norms(x, v):
    return (np.linalg.vector_norm(x) + np.sum(np.linalg.vector_norm(x, axis=1) * C3)
            + np.linalg.vector_norm(v, ord=3) ** 2 + np.linalg.vector_norm(v, ord=1)
            + np.linalg.matrix_norm(x) ** 2 + np.linalg.matrix_norm(x, ord="nuc"))


@case(normal(3, 4), normal(4), wrt=(0, 1), order=2)
def rolled_and_vector_products(x, y):
    cube = x[:, None, :] * x[:, :, None]
    return (np.sum(np.rollaxis(cube, 2) ** 2) + np.sum(np.rollaxis(cube, 0, 3) ** 3) + np.sum(np.positive(cube) * x[0])
            + np.sum(np.vecdot(x, y) ** 2) + np.sum(np.vecdot(x, x, axis=0) * y))


@case(symmetric_distinct(3, 3))
@case(symmetric_distinct(2, 3, 3))
def linalg_eigvalsh(x):
    w = np.linalg.eigvalsh(x + np.swapaxes(x, -1, -2))
    return np.sum(w * C3 + w ** 2)


@case(symmetric_distinct(3, 3), order=2)
def linalg_eigh(x):
    values, vectors = np.linalg.eigh(x + x.T)
    return np.sum(values * C3) + np.sum(vectors ** 2 * W34[:, :3])   # free of the signs of V


@case(singular_distinct(3, 4), order=2)
@case(singular_distinct(4, 2))
def linalg_svd_values(x):
    return np.sum(np.linalg.svd(x, compute_uv=False) ** 2 * np.arange(1.0, 3.5)[:min(x.shape)])


@case(singular_distinct(3, 4))
@case(singular_distinct(4, 3))
def linalg_svd_thin(x):
    # free of the signs of the singular vectors: U diag(s) V^T, the projector V V^T, squares
    # of U's and V's entries
    U, s, Vt = np.linalg.svd(x, full_matrices=False)
    k = min(x.shape)
    return (np.sum(((U * s) @ Vt) ** 2 * W44[:x.shape[0], :x.shape[1]])
            + np.sum((Vt.T @ Vt) * W44[:x.shape[1], :x.shape[1]])
            + np.sum(U ** 2 * W44[:x.shape[0], :k]) + np.sum(Vt ** 2 * W44[:k, :x.shape[1]]))


@case(singular_distinct(3, 4))
def reshape_of_a_constant_beside_svd(x):
    _, _, Vt = np.linalg.svd(x, full_matrices=False)
    return np.sum(Vt * np.arange(12.0).reshape(x.shape))


# ===========================================================================
# generated.py: the helpers generated code calls, through higher derivatives
# ===========================================================================

@case(normal(4), order=2)
def helpers_getitem(x):
    return np.sum(x[1:] ** 3) + x[0] ** 2 * x[2] + np.sum(x[::-2] ** 2)


@case(normal(3, 1), order=2)
@case(uniform(0.5, 1.5), order=3)
def helpers_unbroadcast(x):
    # the gradient sums over the broadcast axes (unbroadcast); the third derivative of a
    # number broadcast against an array reaches its adjoint's adjoint (rebroadcast)
    return np.sum((x * W34) ** 4)


@case(normal(3, 4), order=2)
def helpers_unreduce(x):
    return np.sum(np.sin(np.sum(x, axis=1))) + np.sum(np.mean(x, axis=0) ** 3) + np.mean(x) ** 2


def zero_d_update_twin(x):
    s = 0.0
    for k in range(3):
        s = 0.5 * s + x[k] ** 3
    return s * x[0]


@case(normal(3), order=2, twin=zero_d_update_twin)
def helpers_zero_d_update(x):
    # x op= e on a 0-d array: the generated code makes its new value an array again
    # (require_update_shape), which the second derivative differentiates as the identity
    s = np.zeros(())
    for v in x:
        s *= 0.5
        s += v ** 3
    return s * x[0]


@case(normal(2, 3, 4), order=2)
def helpers_transpose(x):
    return np.sum(np.transpose(x, (2, 0, 1)) ** 3 * np.arange(24.0).reshape(4, 2, 3))


# ===========================================================================
# the rest of the library: more elementwise functions, arrays.py, statistics.py, pinv and
# matrix_power (order=2: their adjoints' helpers are differentiated too)
# ===========================================================================

@case(distinct(3, 4), distinct(4), wrt=(0, 1), order=2)
def library_elementwise(x, y):
    return (np.sum(np.logaddexp2(x, y) ** 2) + np.sum(np.deg2rad(x) * np.radians(y) ** 2)
            + np.sum(np.rad2deg(x) * np.degrees(y)) + np.sum(np.fmax(x, y) ** 3)
            + np.sum(np.fmin(x, y) ** 2) + np.sum(np.sinc(x) * y) + np.sum(np.nan_to_num(x * y))
            + np.sum(np.heaviside(x, y) * W34))


@case(normal(3, 4), order=2)
def library_conjugate(x):
    return np.sum(np.conj(x) * np.sin(x)) + np.sum(np.real(x) ** 3 * np.conjugate(x) * W34)


@case(normal(2, 3), normal(3), wrt=(0, 1), order=2)
def library_cross(a, b):
    return np.sum(np.cross(a, b) ** 2) + np.sum(np.cross(b, a * a) * C3)


@case(normal(3, 2), normal(2, 3), wrt=(0, 1), order=2)
def library_cross_axes(a, b):
    return (np.sum(np.cross(a, b, axisa=0, axisc=0) ** 2) + np.sum(np.cross(a, b.T, axis=0) * W23.T)
            + np.sum(np.cross(b, a, 1, 0, 1) * W23))


@case(normal(2, 2), normal(2, 1), normal(2), wrt=(0, 1, 2), order=2)
def library_block(a, b, v):
    return (np.sum(np.block([[a, b], [b.T, np.ones((1, 1))]]) ** 2 * np.arange(9.0).reshape(3, 3))
            + np.sum(np.block([v, a[0] * v]) ** 3) + np.sum(np.block([[v], [a]]) * W23.T))


@case(normal(3, 4), order=2)
def library_rearrangements(x):
    return (np.sum(np.flipud(x) * W34 * x) + np.sum(np.fliplr(x) ** 2 * W34) + np.sum(np.rot90(x) ** 3)
            + np.sum(np.atleast_3d(x) ** 2) + np.sum(np.atleast_1d(x[0, 0]) * x[0])
            + np.sum(np.atleast_2d(x[1]) ** 3) + np.sum(np.diagonal(x) ** 3)
            + np.sum(np.diagonal(x, 1) ** 2) + np.sum(np.diff(x) ** 3) + np.sum(np.diff(x, 2, axis=0) ** 2))


@case(normal(2, 4), order=2)
def library_splits(x):
    a, b = np.hsplit(x, 2)
    c, d = np.vsplit(x, 2)
    p, q = np.dsplit(np.atleast_3d(x * x), [0])
    return np.sum(a * b) + np.sum(c * d * 2.0) + np.sum(q * q)


@case(normal(2, 4), normal(2), wrt=(0, 1), order=2)
def library_joins(x, v):
    return (np.sum(np.column_stack([v, x]) ** 3) + np.sum(np.dstack([x, x * v[:, None]]) ** 3)
            + np.sum(np.append(x, v) ** 3) + np.sum(np.append(x, x * x, axis=1) ** 2))


def library_methods_twin(x):
    return anp.sum(_ag_diagonal(x, 1) ** 2) + anp.sum(_ag_take(x, [1, 1], axis=0) ** 3)


@case(normal(3, 4), order=2, twin=library_methods_twin)   # autograd's boxes' own methods
def library_methods(x):
    return np.sum(x.diagonal(1) ** 2) + np.sum(x.take([1, 1], axis=0) ** 3)


@case(distinct(3, 4), order=2)
def library_selections(x):
    order = np.argsort(x, axis=1)
    return (np.sum(np.take(x, IDX5) ** 3)
            + np.sum(np.take(x, [0, 0, 2], axis=1) ** 2)
            + np.sum(np.take_along_axis(x, order, axis=1) ** 3 * W34)
            + np.sum(np.sort(x) ** 3 * W34) + np.sum(np.sort(x, axis=0) ** 3 * W34)
            + np.sum(np.sort(x, axis=None) ** 2 * np.arange(12.0)))


@case(distinct(3, 4), uniform(0.5, 1.5, 3, 4), wrt=(0, 1), order=2)
def library_statistics(x, w):
    return (np.nansum(x * x) + np.sum(np.nanmean(x, axis=0) ** 3) + np.nanmean(x ** 3)
            + np.sum(np.average(x, axis=1, weights=w) ** 2) + np.average(x, weights=w * w)
            + np.sum(np.average(x, axis=0, weights=w[:, 0]) ** 3) + np.average(x) ** 2
            + np.median(x ** 3) + np.sum(np.median(x, axis=0) ** 2)
            + np.sum(np.quantile(x ** 3, 0.3, axis=1, keepdims=True) * w[:, :1])
            + np.percentile(x, 60.0) ** 2)


@case(uniform(0.5, 1.5, 3, 4), order=2)
def library_dtype_reductions(x):
    # (float64 arguments: dtype=np.float64 computes as without it; test_rules_float32.py has
    # float32 ones)
    return (np.sum(x ** 3, dtype=np.float64) + np.sum(np.mean(x, axis=0, dtype=float) ** 3)
            + np.sum(x.sum(axis=1, dtype=np.float64, keepdims=True) ** 2)
            + np.prod(x[0], dtype=np.float64) + np.sum(np.prod(x, axis=1, dtype="float64") ** 2)
            + np.sum(np.cumsum(x, axis=1, dtype=np.float64) ** 2))


def library_item_twin(x):
    m = anp.reshape(x, (2, 3))
    return x[1] * 3.0 + x[-1] ** 2 + m[1, 1] * m[0, 2] + anp.sin(x[2:3])[0] \
        + anp.sum(x * x) ** 2


@case(normal(6), order=2, twin=library_item_twin)   # (autograd's boxes have no .item())
def library_item(x):
    m = x.reshape(2, 3)
    return x.item(1) * 3.0 + x.item(-1) ** 2 + m.item(1, 1) * m.item((0, 2)) \
        + np.sin(x[2:3]).item() + np.sum(x * x).item() ** 2


@case(normal(3, 4), normal(4, 3), wrt=(0, 1), order=2)
def library_vdot(a, b):
    return np.vdot(a, b) + np.vdot(np.sin(a), a) ** 2 + np.vdot(b[0], a[:, 0]) * np.vdot(a, a)


NAN34 = np.where(np.arange(12).reshape(3, 4) % 5 == 1, np.nan, 0.0)


@case(distinct(3, 4), order=2)
def library_nan_extremes(x):
    y = x + NAN34
    return (np.nanmax(y) ** 2 + np.sum(np.nanmax(y, axis=0) * W34[0])
            + np.sum(np.nanmin(y, axis=1, keepdims=True) ** 3) + np.nanmin(y * W34))


@case(normal(4), normal(3), wrt=(0, 1), order=2)
def library_meshgrid(x, y):
    a, b = np.meshgrid(x, y ** 2)
    c, d = np.meshgrid(np.sin(x), y, indexing="ij")
    p, q, r = np.meshgrid(x, y, x[:2])
    return np.sum(a * b * W34) + np.sum(c ** 2 * d) + np.sum(p * q * r ** 2) \
        + np.sum(np.meshgrid(x)[0] ** 3)


@case(normal(6), order=2)
def library_bincount(x):
    return np.sum(np.bincount(IDX5, weights=x[:5]) ** 2 * np.arange(1.0, 4.0)) \
        + np.sum(np.sin(np.bincount([3, 0, 3, 1, 1, 0], x ** 2, minlength=6)))


@case(normal(3, 4), normal(4), wrt=(0, 1), order=2)
def library_insert_delete(x, v):
    return (np.sum(np.insert(x, 1, v[0]) ** 2 * np.arange(13.0))
            + np.sum(np.insert(x, [0, 4], v[:2], axis=1) ** 3)
            + np.sum(np.sin(np.insert(x, 1, np.cos(v), axis=0)))
            + np.sum(np.delete(x, 1) ** 2 * np.arange(11.0))
            + np.sum(np.delete(x, [0, 3], axis=1) ** 3) + np.sum(np.sin(np.delete(x * v, -1, axis=0))))


@case(normal(3, 5), order=2)
def library_cov(m):
    return (np.sum(np.cov(m) * W44[:3, :3]) + np.sum(np.cov(m, rowvar=False) ** 2)
            + np.sum(np.cov(m, bias=True) ** 2) + np.sum(np.cov(m, ddof=0) ** 3) + np.cov(m[0]) ** 2)


@case(invertible(3, 3), order=2)
@case(lambda rng: rng.uniform(-0.5, 0.5, (3, 2)) + 2.0 * np.eye(3, 2))
def library_pinv(x):
    return np.sum(np.linalg.pinv(x) ** 2 * np.arange(1.0, 1.0 + np.size(x)).reshape(np.shape(x)[::-1]))


@case(lambda rng: rng.uniform(-0.3, 0.3, (3, 3)) + np.eye(3), order=2)
def library_matrix_power(x):
    return (np.sum(np.linalg.matrix_power(x, 3) * W23[:1].T) + np.sum(np.linalg.matrix_power(x, -2) ** 2)
            + np.sum(np.linalg.matrix_power(x, 1) ** 3) + np.sum(np.linalg.matrix_power(x, 0)))


# ===========================================================================
# rules/scipy/ (when SciPy is installed): the twins call autograd.scipy
# ===========================================================================

try:
    import scipy.linalg
    import scipy.special
    import scipy.stats
except ImportError:   # SciPy's rules are not registered: no cases
    scipy = None

if scipy is not None:
    @case(normal(3, 4), uniform(0.5, 1.5, 4), wrt=(0, 1), order=2)
    def scipy_special(x, y):
        return (np.sum(scipy.special.expit(x) * y) + np.sum(scipy.special.logit(scipy.special.expit(x)) ** 2)
                + np.sum(scipy.special.erf(x) + scipy.special.erfc(x * y))
                + np.sum(scipy.special.ndtr(x) * y) + np.sum(scipy.special.log_ndtr(x * y) ** 2)
                + np.sum(scipy.special.gammaln(y + x * x) * x) + np.sum(scipy.special.digamma(y + 1.0) * x)
                + np.sum(scipy.special.psi(y * y + 0.5)) + np.sum(scipy.special.polygamma(1, y + x * x))
                + np.sum(scipy.special.xlogy(x, y)) + np.sum(scipy.special.xlog1py(x, y * y))
                + np.sum(scipy.special.betaln(y, y * y + 1.0) * x)
                + np.sum(scipy.special.gamma(y + x * x) * x)
                + np.sum(scipy.special.erfinv(0.45 * np.tanh(x * y)) ** 2))

    @case(normal(3, 4), uniform(0.5, 1.5, 3, 1), wrt=(0, 1), order=2)
    def scipy_reductions(x, b):
        return (scipy.special.logsumexp(x) + np.sum(scipy.special.logsumexp(x, axis=1) ** 2)
                + np.sum(scipy.special.logsumexp(x, axis=0, b=b, keepdims=True) ** 2)
                + np.sum(scipy.special.softmax(x, axis=1) * W34)
                + np.sum(scipy.special.log_softmax(x, axis=0) ** 2))

    @case(normal(3, 4), normal(4), uniform(0.5, 1.5, 3, 1), wrt=(0, 1, 2), order=2)
    def scipy_norm(x, mu, sigma):
        return (np.sum(scipy.stats.norm.logpdf(x, mu, sigma)) + np.sum(scipy.stats.norm.pdf(x, mu, sigma))
                + np.sum(scipy.stats.norm.cdf(x, loc=mu, scale=sigma) ** 2)
                + np.sum(scipy.stats.norm.logcdf(x, mu, sigma)) + np.sum(scipy.stats.norm.logpdf(x)))

    @case(normal(5, 3), normal(3), normal(3, 3, scale=0.5), wrt=(0, 1, 2), order=2)
    def scipy_multivariate_normal(x, mean, root):
        cov = root @ root.T + np.eye(3)
        return (np.sum(scipy.stats.multivariate_normal.logpdf(x, mean, cov) * np.arange(1.0, 6.0))
                + scipy.stats.multivariate_normal.logpdf(x[0], mean=mean, cov=cov))

    @case(normal(5, 3), normal(3), normal(3, 3, scale=0.5), wrt=(0, 1, 2), order=2)
    def scipy_multivariate_normal_pdf(x, mean, root):
        cov = root @ root.T + np.eye(3)
        return (np.sum(scipy.stats.multivariate_normal.pdf(x, mean, cov) * np.arange(1.0, 6.0))
                + scipy.stats.multivariate_normal.pdf(x[0], mean=mean, cov=cov))

    @case(normal(3, 4), uniform(1.5, 5.0, 4), uniform(-0.5, 0.5), uniform(0.5, 1.5, 3, 1),
          wrt=(0, 1, 2, 3), order=2)
    def scipy_student_t(x, df, loc, scale):
        return (np.sum(scipy.stats.t.logpdf(x, df, loc, scale)) + np.sum(scipy.stats.t.pdf(x, df, loc, scale))
                + np.sum(scipy.stats.t.logpdf(x, df)))

    @case(normal(3, 4), uniform(1.5, 5.0, 4), uniform(-0.5, 0.5), uniform(0.5, 1.5, 3, 1),
          wrt=(0, 2, 3), order=2)
    def scipy_student_t_cdf(x, df, loc, scale):
        return (np.sum(scipy.stats.t.cdf(x, df, loc, scale) ** 2)
                + np.sum(scipy.stats.t.logcdf(x, df, loc, scale)) + np.sum(scipy.stats.t.cdf(x, df)))

    @case(uniform(0.5, 3.0, 2, 3), uniform(0.8, 3.0, 3), uniform(-0.4, 0.3), uniform(0.5, 2.0),
          wrt=(0, 1, 2, 3), order=2)
    def scipy_gamma(x, a, loc, scale):
        return (np.sum(scipy.stats.gamma.logpdf(x, a, loc, scale)) + np.sum(scipy.stats.gamma.pdf(x, a, loc, scale))
                + np.sum(scipy.stats.gamma.logpdf(x, a)))

    @case(uniform(0.5, 3.0, 2, 3), uniform(0.8, 3.0, 3), uniform(-0.4, 0.3), uniform(0.5, 2.0),
          wrt=(0, 2, 3), order=2)
    def scipy_gamma_cdf(x, a, loc, scale):
        return (np.sum(scipy.stats.gamma.cdf(x, a, loc, scale) ** 2)
                + np.sum(scipy.stats.gamma.logcdf(x, a, loc, scale)) + np.sum(scipy.stats.gamma.cdf(x, a)))

    @case(uniform(0.2, 0.8, 2, 3), uniform(0.8, 3.0, 3), uniform(0.8, 3.0), uniform(-0.1, 0.1),
          uniform(1.0, 1.3), wrt=(0, 1, 2, 3, 4), order=2)
    def scipy_beta(x, a, b, loc, scale):
        return (np.sum(scipy.stats.beta.logpdf(x, a, b, loc, scale)) + np.sum(scipy.stats.beta.pdf(x, a, b, loc, scale))
                + np.sum(scipy.stats.beta.logpdf(x, a, b)))

    @case(uniform(0.2, 0.8, 2, 3), uniform(0.8, 3.0, 3), uniform(0.8, 3.0), uniform(-0.1, 0.1),
          uniform(1.0, 1.3), wrt=(0, 3, 4), order=2)
    def scipy_beta_cdf(x, a, b, loc, scale):
        return (np.sum(scipy.stats.beta.cdf(x, a, b, loc, scale) ** 2)
                + np.sum(scipy.stats.beta.logcdf(x, a, b, loc, scale)) + np.sum(scipy.stats.beta.cdf(x, a, b)))

    @case(uniform(0.05, 0.95, 3, 4), uniform(0.5, 1.5, 4), wrt=(0, 1), order=2)
    def scipy_more_special(x, y):
        return (np.sum(scipy.special.beta(x + 0.5, y) * y) + np.sum(scipy.special.rgamma(3.0 * x - 1.5) ** 2)
                + np.sum(scipy.special.erfcinv(x + 0.02)) + np.sum(scipy.special.ndtri(x) * y)
                + np.sum(scipy.special.j0(6.0 * x) * y) + np.sum(scipy.special.j1(4.0 * x - 2.0) ** 2)
                + np.sum(scipy.special.y0(x + 0.5) * y) + np.sum(scipy.special.y1(2.0 * x + 0.5) ** 2)
                + np.sum(scipy.special.entr(x) * y) + np.sum(scipy.special.rel_entr(x, y) ** 2)
                + np.sum(scipy.special.kl_div(x, y) * y))

    @case(uniform(0.5, 4.0, 2, 3), uniform(1.5, 5.0, 3), uniform(-0.4, 0.3), uniform(0.5, 2.0),
          wrt=(0, 2, 3), order=2)
    def scipy_chi2(x, df, loc, scale):
        return (np.sum(scipy.stats.chi2.logpdf(x, df, loc, scale)) + np.sum(scipy.stats.chi2.pdf(x, df, loc, scale))
                + np.sum(scipy.stats.chi2.logpdf(x, df)) + np.sum(scipy.stats.chi2.cdf(x, df, loc, scale) ** 2)
                + np.sum(scipy.stats.chi2.logcdf(x, df, loc, scale)) + np.sum(scipy.stats.chi2.cdf(x, df)))

    @case(uniform(0.05, 0.95, 2, 3), uniform(-0.5, 0.5), uniform(0.5, 2.0, 3), wrt=(0, 1, 2), order=2)
    def scipy_norm_quantiles(q, loc, scale):
        return (np.sum(scipy.stats.norm.ppf(q, loc, scale) ** 2) + np.sum(scipy.stats.norm.ppf(q) * scale)
                + np.sum(scipy.stats.norm.isf(q, loc, scale) ** 3) + np.sum(scipy.stats.norm.isf(q)))

    @case(normal(3, 4), uniform(0.5, 3.0, 4), order=2)
    def scipy_bessel_incomplete_gamma(x, a):
        return (np.sum(scipy.special.i0(x) * a) + np.sum(scipy.special.i1(x) ** 2)
                + np.sum(scipy.special.i0e(x) * a) + np.sum(scipy.special.i1e(x) ** 2)
                + np.sum(scipy.special.gammainc(a, x * x + 0.1) * a)
                + np.sum(scipy.special.gammaincc(a, np.exp(x)) ** 2))

    @case(uniform(0.5, 3.0, 2, 3), uniform(-0.4, 0.3), uniform(0.5, 2.0, 3), uniform(0.4, 1.5, 3),
          wrt=(0, 1, 2, 3), order=2)
    def scipy_closed_forms(x, loc, scale, s):
        # x - loc > 0.2: inside expon's and lognorm's supports, off laplace's corner
        return (np.sum(scipy.stats.norm.sf(x, loc, scale) ** 2) + np.sum(scipy.stats.norm.logsf(x, loc=loc, scale=scale))
                + np.sum(scipy.stats.expon.logpdf(x, loc, scale)) + np.sum(scipy.stats.expon.pdf(x, loc, scale) ** 2)
                + np.sum(scipy.stats.expon.cdf(x, loc, scale=scale)) + np.sum(scipy.stats.expon.logcdf(x, loc, scale))
                + np.sum(scipy.stats.expon.sf(x, loc, scale) ** 2) + np.sum(scipy.stats.laplace.logpdf(-x, loc, scale))
                + np.sum(scipy.stats.laplace.pdf(x, loc, scale) ** 2) + np.sum(scipy.stats.laplace.cdf(-x, loc, scale) ** 2)
                + np.sum(scipy.stats.laplace.cdf(x, loc, scale)) + np.sum(scipy.stats.lognorm.logpdf(x, s, loc, scale))
                + np.sum(scipy.stats.lognorm.pdf(x, s, loc=loc, scale=scale) ** 2))

    @case(uniform(0.5, 4.0, 5), np.array([0.0, 1.0, 2.0, 4.0, 7.0]), order=2)
    def scipy_poisson(mu, k):
        return (np.sum(scipy.stats.poisson.logpmf(k, mu)) + np.sum(scipy.stats.poisson.pmf(k, mu))
                + np.sum(scipy.stats.poisson.cdf(k, mu)) + np.sum(scipy.stats.poisson.logcdf(k, mu, -1.0)))

    @case(lambda rng: rng.uniform(-0.5, 0.5, (3, 3)) + 3.0 * np.eye(3), normal(3, 2), wrt=(0, 1),
          order=2)
    def scipy_solve_triangular(a, b):
        return (np.sum(scipy.linalg.solve_triangular(a, b, lower=True) ** 2)
                + np.sum(scipy.linalg.solve_triangular(a, b[:, 0], trans=1) * W23[0])
                + np.sum(scipy.linalg.solve_triangular(a, b, trans="T", lower=True, unit_diagonal=True) * W23.T)
                + np.sum(scipy.linalg.solve_triangular(a, b, unit_diagonal=True) ** 3))

    @case(normal(3, 3, scale=0.5), normal(3, 2), wrt=(0, 1), order=2)
    def scipy_solve(root, b):
        a = root @ root.T + np.eye(3) + np.triu(root, 1)   # a symmetric solve reads one triangle
        return (np.sum(scipy.linalg.solve(a, b) ** 2) + np.sum(scipy.linalg.solve(a, b[:, 0]) * W23[0])
                + np.sum(scipy.linalg.solve(a, b, transposed=True) * W23.T)
                + np.sum(scipy.linalg.solve(a, b, assume_a="sym") ** 3)
                + np.sum(scipy.linalg.solve(a, b, assume_a="pos", lower=True) * W23.T))

    @case(normal(3, 3, scale=0.5), wrt=0, order=2)
    def scipy_inv_det(root):
        a = root @ root.T + np.eye(3) + np.triu(root, 1)   # a symmetric inverse reads one triangle
        return (np.sum(scipy.linalg.inv(a) * W34[:, :3]) + np.sum(scipy.linalg.inv(a, assume_a="pos") ** 2)
                + np.sum(scipy.linalg.inv(a, assume_a="sym", lower=True) * W34[:, 1:])
                + scipy.linalg.det(a) ** 2 + scipy.linalg.det(a * 0.5))

    @case(normal(3, 3, scale=0.5), normal(3, 2), wrt=(0, 1), order=2)
    def scipy_cholesky_solves(root, b):
        a = root @ root.T + np.eye(3) + np.triu(root, 1)   # cho_factor reads one triangle
        factor = scipy.linalg.cho_factor(a)
        lower = scipy.linalg.cho_factor(a, lower=True)
        c, low = factor
        return (np.sum(scipy.linalg.cho_solve(factor, b) * b) + np.sum(scipy.linalg.cho_solve(lower, b[:, 0]) ** 2)
                + np.sum(factor[0] * W34[:, :3]) + np.sum(lower[0] ** 2)
                + np.sum(scipy.linalg.cho_solve((c, low), b) * W23.T)
                + np.sum(scipy.linalg.cho_solve((np.linalg.cholesky(a), True), b[:, 1]) ** 2)
                + np.sum(scipy.linalg.cholesky(a) * W34[:, 1:]) + np.sum(scipy.linalg.cholesky(a, lower=True) ** 3))

    @case(normal(3, 3, scale=0.5), normal(3, 3, scale=0.3), normal(3, 3), wrt=(0, 1, 2), order=2)
    def scipy_sqrtm_and_sylvester(root, b, q):
        a = root @ root.T + np.eye(3)
        return (np.sum(scipy.linalg.sqrtm(a) * q) + np.sum(scipy.linalg.sqrtm(a + 0.2 * root) ** 2)
                + np.sum(scipy.linalg.solve_sylvester(a, b + 2.0 * np.eye(3), q) ** 2))

    @case(normal(3, 3, scale=0.5), order=2)
    def scipy_expm(a):
        return np.sum(scipy.linalg.expm(a) * W34[:, :3]) + np.sum(scipy.linalg.expm(a * 0.5) ** 2)


# ===========================================================================
# corners: argument forms, axes, indexing
# ===========================================================================

@case(normal(2, 3, 4))
def reductions_with_negative_and_tuple_axes(x):
    return (np.sum(np.mean(x, axis=(-1, 0)) ** 2) + np.sum(x.sum(0) * W34)
            + np.sum(np.sum(x, axis=None, keepdims=True) * x) + np.var(x, ddof=1)
            + np.sum(np.cumsum(x, axis=-1) ** 2) + np.sum(np.prod(x, axis=(-2,)) * W34[0]))


@case(normal(2, 3, 4))
def shape_functions_with_tuple_arguments(x):
    return (np.sum(np.roll(x, (1, -1), axis=(0, 2)) * x) + np.sum(np.flip(x, axis=(0, 2)) * x)
            + np.sum(np.expand_dims(x, (0, 2)) ** 2 * 0.5)
            + np.sum(np.squeeze(x[:, :1, None], axis=(1, 2)) ** 3)
            + np.sum(np.repeat(x, np.array([1, 0, 2]), axis=1) ** 2))


@case(normal(2, 3), normal(2, 3), wrt=(0, 1))
def concatenate_flat_and_stack_middle(x, y):
    return (np.sum(np.concatenate([x, y], axis=None) * np.arange(12.0))
            + np.sum(np.stack([x, y], axis=1) ** 3) + np.sum(np.split(y, 3, axis=-1)[2] ** 2))


@case(normal(3))
def pad_with_constant_values(x):
    return np.sum(np.pad(x, (2, 1), constant_values=2.0) ** 3)


@case(normal(2, 3, 3))
def matrix_norms_of_a_stack(x):
    return (np.sum(np.linalg.norm(x, axis=(1, 2)))
            + np.sum(np.linalg.norm(x, "fro", axis=(1, 2)) ** 2)
            + np.sum(np.linalg.norm(x, -np.inf, axis=2)))


@case(normal(3, 4), normal(4, 2), wrt=(0, 1))
def einsum_implicit_output_and_axes_zero(x, y):
    return (np.sum(np.sin(np.einsum("ij,jk", x, y))) + np.sum(np.einsum("ij,jk->ki", x, y) ** 2)
            + np.sum(np.tensordot(x[0], y[0], axes=0) ** 2))


@case(normal(2, 2), normal(3), wrt=(0, 1))
def products_of_mixed_dimensions(x, v):
    return (np.sum(np.outer(x, v) ** 2) + np.sum(np.kron(v, x) ** 2)
            + np.inner(v, v) * np.sum(np.dot(2.0, x)) + np.trace(x @ x))


@case(normal(4, 3))
def indexing_corners(x):
    return (np.sum(x[..., None] * x[:, None, :]) + np.sum(x[-1:0:-2, ::-1] ** 2)
            + np.sum(x[np.array([True, False, True, True])] ** 3)
            + np.sum(x[np.array([3, 0, 3])][:, 1] ** 2)
            + np.sum(np.diag(np.diag(x[:3])) ** 2))


@case(uniform(-1, 1), uniform(-1, 1), uniform(-1, 1), wrt=(0, 1, 2))
def nested_list_of_numbers(a, b, c):
    m = np.array([[a, b], [c * a, 1.0]])
    return np.sum(m @ m) + np.linalg.det(m)


@case(lambda rng: np.array(rng.uniform(-1, 1)), normal(3), wrt=(0, 1))
def zero_dimensional_array_argument(s, v):
    return np.sum(np.sin(s * v)) + s ** 2


def mixing_python_floats_twin(x):   # (float() of a box raises)
    total = anp.sum(x ** 2)
    return anp.sqrt(total) * anp.sum(x) + anp.exp(-total) + abs(x[0] - 2.0)


@case(normal(3), twin=mixing_python_floats_twin)
def mixing_python_floats_and_arrays(x):
    total = float(np.sum(x ** 2))
    return math.sqrt(total) * np.sum(x) + math.exp(-total) + abs(x[0] - 2.0)


@case(normal(3, 2), normal(2))
def method_chains(x, y):
    return (x.T @ (x @ y)).sum() + (x.reshape(-1, 1) @ y.reshape(1, -1)).max(axis=1).sum()


@case(uniform(0.5, 1.5, 4))
def while_on_an_array_condition(x):
    while np.sum(x) < 20.0:
        x = x * 1.5
    if np.all(x > 0):
        x = np.sqrt(x)
    return np.sum(x * np.arange(4.0))


@case(normal(5))
def reversed_ranges(x):
    total = 0.0
    for i in range(len(x) - 1, 0, -2):
        total = total * 0.5 + x[i] * x[i - 1]
    for i in reversed(range(3)):
        total = total + np.sin(x[i]) * i
    return total


@case(normal(3), normal(3), wrt=(0, 1))
def two_lists_zipped(x, y):
    # (a list of tuples, pairs.append((a, b)), is refused: "a list of values being
    # differentiated must be created outside loops")
    products = []
    sums = []
    for i in range(3):
        products.append(x[i] * y[i])
        sums.append(x[i] + y)
    total = 0.0
    for a, b in zip(products, sums):
        total = total + a * np.sum(b ** 2)
    return total


@case(normal(3, 4))
def keyword_forms(x):
    return (np.sum(np.transpose(x, axes=(1, 0)) * W34.T)
            + np.sum(np.swapaxes(x, axis1=0, axis2=1) ** 3)
            + np.sum(np.expand_dims(x, axis=-1) ** 2) + np.sum(np.concatenate((x, x ** 2), 1) * 0.5)
            + np.sum(np.clip(x, a_min=-0.5, a_max=None) ** 2) + np.sum(x.clip(None, 0.5) ** 3)
            + np.sum(np.linalg.norm(x, axis=-1) * C3) + x.std(ddof=1))


@case(normal(3, 4), order=2)
def keyword_spellings(x):
    # NumPy 2's min=/max= of np.clip, a dtype= of np.asarray and np.array, astype's copy=
    # (x.clip(min=...) is checked in test_rules.py: autograd's array boxes refuse min=)
    return (np.sum(np.clip(x, min=-0.5, max=0.7) * W34) + np.sum(np.clip(x, max=0.5) ** 3)
            + np.sum(np.asarray(x, dtype=float) ** 3) + np.sum(np.array(x, dtype=np.float64) * W34)
            + np.sum(x.astype(float, copy=False) ** 2 * W34))


@case(normal(4), normal(2, 4, 3), wrt=(0, 1))
def matmul_of_a_vector_and_a_stack(x, y):
    return np.sum(np.sin(x @ y)) + np.sum(np.matmul(y.swapaxes(1, 2), x) ** 2)


@case(normal(3, 2, 4), normal(2, 3, 5), wrt=(0, 1))
def tensordot_with_permuted_axis_pairs(x, y):
    return np.sum(np.sin(np.tensordot(x, y, axes=([1, 0], [0, 1]))))


@case(normal(2, 3, 4), normal(2, 4, 2), wrt=(0, 1))
def einsum_batched(x, y):
    return np.sum(np.sin(np.einsum("bij,bjk->bik", x, y))) + np.einsum("bij,bij->", x, x)


@case(normal(2, 3))
def where_maximum_with_numbers(x):
    return (np.sum(np.where(x > 0, x, 0.0) ** 2) + np.sum(np.maximum(x, 0.0) * W23)
            + np.sum(np.minimum(0.5, x) ** 3) + np.sum(np.where(x < 0, 1.0, np.sin(x))))


@case(normal(3, 4), 2)
def integers_from_the_data(x, n):
    m = len(x) * n
    k = int(m / 2)
    return np.sum(x[:k] ** 2) * m + x.shape[1] * np.sum(x[k - 1])


# ===========================================================================
# control flow, user functions, lists
# ===========================================================================

@case(avoiding([-0.5, 0.5], 6), order=2)
def if_elif_else_in_a_loop(x):
    total = 0.0
    for v in x:
        if v > 0.5:
            total = total + np.sin(v) * v
        elif v > -0.5:
            total = total + v ** 3
        else:
            total = total - np.exp(v)
    return total


@case(uniform(1.0, 2.0), uniform(-1.0, 0.0), wrt=(0, 1))
@case(uniform(-1.0, 0.0), uniform(1.0, 2.0), wrt=(0, 1))
def if_assigning_different_names(x, y):
    if x > y:
        z = x * y
        w = np.sin(x)
    else:
        z = x + y
        u = np.cos(y)
        w = u * x
    return z * w


@case(away(0.2, 1.5, 5))
def conditional_expression(x):
    total = 0.0
    for v in x:
        term = v ** 2 if v > 0 else np.sin(v)
        total += term
    return total


@case(uniform(-1.0, 1.0), normal(5), wrt=(0, 1), order=2, hessian_wrt=(0,))
def horner_over_range(x, coeffs):
    acc = 0.0
    for i in range(len(coeffs)):
        acc = acc * x + coeffs[i]
    return acc


@case(normal(4, 3), normal(3), wrt=(0, 1), order=2, hessian_wrt=(1,))
def loop_over_rows(X, w):
    s = 0.0
    for row in X:
        s = s + np.tanh(row @ w)
    return s


@case(normal(3), normal(2, 3), uniform(-1, 1), wrt=(0, 1, 2))
def enumerate_a_list(a, b, c):
    items = [a, b * 2.0, np.sin(c) * a]
    total = 0.0
    for i, v in enumerate(items):
        total = total + (i + 1.0) * np.sum(v ** 2)
    return total


@case(normal(3, 4), normal(3, 4), wrt=(0, 1))
def zip_rows(xs, ys):
    total = 0.0
    for x, y in zip(xs, ys):
        total += np.sum(x * y) ** 2
    return total


@case(normal(3, 2), normal(4), wrt=(0, 1))
def nested_loops(X, v):
    total = 0.0
    for i in range(X.shape[0]):
        for j in range(len(v)):
            if (i + j) % 2 == 0:
                total = total + X[i, j % 2] * v[j]
            else:
                total = total + np.sin(X[i, 1] * v[j])
    return total


def _trip_count_changes():
    # s_k = x * c_k with c_0 = 1, c_(k+1) = 1.7 c_k + 0.1: the loop count changes at 10 / c_k
    c, points = 1.0, []
    for _ in range(12):
        points.append(10.0 / c)
        c = 1.7 * c + 0.1
    return points


@case(avoiding(_trip_count_changes(), lo=0.3, hi=3.0, margin=0.02), order=2)
def while_with_data_dependent_trips(x):
    s = x
    n = 0
    while s < 10.0:
        s = s * 1.7 + 0.1 * x
        n += 1
    return s * x + n


@case(normal(6))
def break_and_continue(x):
    total = 0.0
    for v in x:
        if v < 0:
            continue
        total = total + v ** 2
        if total > 1.0:
            break
    return total * x[0]


@case(avoiding([1.0], 6), uniform(0.5, 1.5), wrt=(0, 1))
def early_return(x, scale):
    for i in range(x.shape[0]):
        if x[i] > 1.0:
            return np.sum(x[:i] ** 2) * scale + x[i]
    return np.sum(np.sin(x)) * scale


@helper
def affine(x, W, b=0.0, activation="tanh"):
    z = W @ x + b
    if activation == "tanh":
        return np.tanh(z)
    return z


@helper
def scaled(v, scale=2.0):
    return scale * v


@case(normal(3), normal(3, 3), normal(3), wrt=(0, 1, 2), order=2, hessian_wrt=(2,))
def calls_with_keywords_and_defaults(x, W, b):
    h = affine(x, W, b=b)
    h2 = affine(h, W, activation="linear")
    return np.sum(scaled(h2) ** 2) + np.sum(scaled(h, scale=0.5))


@helper
def norm_and_direction(v):
    n = np.sqrt(np.sum(v ** 2))
    return n, v / n


@case(normal(4))
def helper_returning_a_tuple(x):
    n, d = norm_and_direction(x)
    m, e = norm_and_direction(d * np.arange(1.0, 5.0))
    return n * m + np.sum(e * x)


@case(normal(3), 4)
def list_append_index_pop_iterate(x, n):
    hs = []
    h = x
    for i in range(n):
        h = np.sin(h) * 1.5 + 0.1 * i
        hs.append(h)
    last = hs.pop()
    total = np.sum(last * hs[0]) + np.sum(hs[-1]) + np.sum(hs[1] ** 2)
    for v in reversed(hs):
        total = total + np.sum(v ** 3)
    for v in hs:
        total = total * 0.9 + np.sum(np.cos(v))
    return total


@case(normal(3), normal(3), wrt=(0, 1))
def unpacking_swaps_and_augmented_assignment(x, y):
    a, b = x, y
    a, b = b, a * 2.0
    (c, d), e = (a + b, a * b), a - b
    c += d
    c *= e
    c -= 0.5 * a
    c /= 1.0 + b ** 2
    c **= 2
    return np.sum(c)


@case(normal(3), 3.0)
def reassigned_parameter(x, k):
    x = x * k
    x = np.sin(x) + x
    k = k + 1.0
    return np.sum(x ** 2) * k


@case(normal(4, 3), normal(4, 3), wrt=(0, 1))
def enumerate_zip_with_slices(xs, ys):
    total = 0.0
    for i, (x, y) in enumerate(zip(xs, ys)):
        total = total + np.sum(x[i % 3:] * y[: 3 - i % 3]) * (i + 1)
    return total


@case(normal(5), normal(2))
def convolution_by_a_loop_of_slices(x, w):
    out = []
    for i in range(len(x) - len(w) + 1):
        out.append(np.sum(x[i:i + len(w)] * w))
    y = np.array(out)
    return np.sum(np.tanh(y) * np.arange(1.0, len(y) + 1.0))


@case(uniform(0.5, 0.9), 1e-8)
def while_with_break_on_data(x, tol):
    # a fixed-point iteration stopped by a data-dependent test, at most 50 steps
    y = x
    k = 0
    while k < 50:
        y_new = np.cos(y) * x
        k += 1
        if abs(y_new - y) < tol:
            break
        y = y_new
    return y_new + y


@case(normal(3, 2))
def while_popping_a_list(X):
    rows = []
    for row in X:
        rows.append(row * 2.0)
    total = 0.0
    while len(rows) > 0:
        r = rows.pop()
        total = total * 0.5 + np.sum(np.sin(r))
    return total


@case(normal(3, 4))
def return_from_a_nested_loop(X):
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            if X[i, j] > 1.2:
                return X[i, j] * np.sum(X[i] ** 2)
    return np.sum(X ** 3)


@case(normal(4), 3)
def loop_with_power_and_min(x, n):
    acc = 1.0
    for i in range(n):
        acc *= x[i]
        acc = min(acc, 2.0 + x[i + 1])
    return acc * np.sum(x)


@helper
def layer(x, W, *, scale, bias=None):
    y = x @ W * scale
    if bias is not None:
        y = y + bias
    return np.maximum(y, 0.05 * y)


@case(normal(4, 3), normal(3, 3), normal(3), wrt=(0, 1, 2))
def keyword_only_helper_and_leaky_relu(X, W, b):
    h = layer(X, W, scale=0.5)
    h = layer(h, W, scale=2.0, bias=b)
    return np.sum(h ** 2)


def make_scaler(a):
    def scale(v):
        return v * a + np.sin(v)
    return scale


SCALE = make_scaler(1.3)


def closure_twin(x):   # (SCALE is a NumPy closure: its twin is written out)
    def scale(v):
        return v * 1.3 + anp.sin(v)
    return anp.sum(scale(x) ** 2) + anp.sum(scale(scale(x)))


@case(normal(3), twin=closure_twin)
def calls_a_closure(x):
    return np.sum(SCALE(x) ** 2) + np.sum(SCALE(SCALE(x)))


@case(normal(2, 4, 3), normal(3, 3), normal(3, 3), normal(3, 3), wrt=(0, 1, 2, 3))
def attention(X, Wq, Wk, Wv):
    Q, K, V = X @ Wq, X @ Wk, X @ Wv
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(3.0)
    scores = scores - np.max(scores, axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / np.sum(weights, axis=-1, keepdims=True)
    return np.sum((weights @ V) ** 2)


@case(normal(4, 5), uniform(0.5, 1.5, 5), normal(5), wrt=(0, 1, 2), order=2, hessian_wrt=(1,))
def layer_norm(x, gamma, beta):
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    y = (x - mu) / np.sqrt(var + 1e-5) * gamma + beta
    return np.sum(np.tanh(y) * W44[:, :1])


@case(normal(6, 2), normal(3, 2), uniform(0.5, 1.5, 3), wrt=(0, 1, 2))
def gaussian_mixture_log_likelihood(X, means, scales):
    d = X[:, None, :] - means[None, :, :]
    logp = -0.5 * np.sum(d ** 2, axis=2) / scales ** 2 - 2.0 * np.log(scales)
    m = np.max(logp, axis=1, keepdims=True)
    return -np.sum(m[:, 0] + np.log(np.sum(np.exp(logp - m), axis=1)))


@case(uniform(0.2, 0.8), 6, order=3)
def python_scalars_in_a_loop(x, n):
    s = 0.0
    t = x
    for k in range(1, n):
        t = t * x / k
        s += math.sin(t) + math.exp(-t) * k
    return s


@case(avoiding([0.0], 4, 3))
def break_out_of_an_inner_loop(X):
    total = 0.0
    for row in X:
        for v in row:
            if v < 0:
                break
            total = total + v * row[0]
        total = total * 0.9
    return total


@case(normal(6), uniform(1.0, 2.0))
def continue_in_a_while(x, limit):
    i = 0
    total = 0.0
    while i < len(x):
        v = x[i]
        i += 1
        if abs(v) > limit:
            continue
        total = total + np.exp(v) * limit
    return total


@case(avoiding([0.2], 6))
def loop_variables_used_after_the_loop(x):
    last = 0.0
    for i, v in enumerate(x):
        last = v * i
        if v > 0.2:
            found = v
    return last * x[-1] + found * i


@case(uniform(0.5, 1.5, 3))
def reassigned_parameter_in_a_loop(x):
    for _ in range(3):
        x = np.sqrt(x) + 0.1 * x ** 2
    return np.sum(x * C3)


@case(normal(4), normal(4), wrt=(0, 1))
def aliases_and_rebinding(x, y):
    a = x
    b = a
    a = a * 2.0
    c = b + a
    x = y
    return np.sum(c * x) + np.sum(b)


@helper
def first_positive_or_sum(v):
    for i in range(len(v)):
        if v[i] > 0.8:
            return v[i] * 2.0
    return np.sum(v)


@case(avoiding([0.8], 3, 4))
def helper_with_an_early_return_in_a_loop(X):
    total = 0.0
    for row in X:
        total = total + first_positive_or_sum(row) ** 2
    return total


@case(normal(3))
def chained_comparison_and_boolean_operators(x):
    total = 0.0
    for v in x:
        if -0.5 < v < 0.5 or v > 1.5:
            total = total + v ** 2
        elif not (v > 0 and v < 1.5):
            total = total + np.sin(v)
    return total


@case(uniform(0.5, 1.5), order=2)
def while_true_with_break(x):
    s = x
    while True:
        s = s * 1.3 + 0.2
        if s > 5.0:
            break
    return s * x


# -- models -------------------------------------------------------------------

@helper
def softmax_cross_entropy(logits, onehot):
    m = np.max(logits, axis=1, keepdims=True)
    z = logits - m
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(onehot * logp, axis=1))


ONEHOT = np.eye(3)[np.random.default_rng(5).integers(0, 3, 6)]


@case(distinct(6, 3), const(ONEHOT), order=2)
def softmax_cross_entropy_loss(logits, onehot):
    return softmax_cross_entropy(logits, onehot)


@case(normal(4, 5, scale=0.5), normal(5, scale=0.1), normal(5, 3, scale=0.5), normal(3, scale=0.1),
      normal(6, 4), labels(6, 3), wrt=(0, 1, 2, 3), order=2, hessian_wrt=(3,))
def mlp_two_layers(W1, b1, W2, b2, X, y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    m = np.max(logits, axis=1, keepdims=True)
    logp = logits - m - np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True))
    return -np.mean(logp[np.arange(len(y)), y]) + 1e-3 * (np.sum(W1 ** 2) + np.sum(W2 ** 2))


@case(normal(4, 5, scale=0.5), normal(5, 3, scale=0.5), normal(6, 4), const(ONEHOT),
      wrt=(0, 1))
def mlp_through_helpers(W1, W2, X, onehot):
    h = affine(X.T, W1.T).T
    return softmax_cross_entropy(h @ W2, onehot)


def mlp_parameters(rng):
    return {"W1": rng.normal(size=(4, 5)) * 0.5, "b1": rng.normal(size=5) * 0.1,
            "W2": rng.normal(size=(5, 3)) * 0.5, "b2": rng.normal(size=3) * 0.1}


@case(mlp_parameters, normal(6, 4), labels(6, 3))
def mlp_with_a_dict_of_parameters(params, X, y):
    h = np.tanh(X @ params["W1"] + params["b1"])
    logits = h @ params["W2"] + params["b2"]
    m = np.max(logits, axis=1, keepdims=True)
    logp = logits - m - np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True))
    return -np.mean(logp[np.arange(len(y)), y])


@case(lambda rng: [rng.normal(size=(3, 3)) * 0.6 for _ in range(3)], normal(3))
def deep_linear_network_with_a_list_of_layers(layers, x):
    h = x
    for W in layers:
        h = np.tanh(W @ h)
    return np.sum(h ** 2)


@case(lambda rng: (rng.normal(size=4), float(rng.uniform(-0.5, 0.5))), normal(10, 4),
      const((np.arange(10) % 2).astype(float)))
def logistic_regression_with_a_tuple_of_parameters(params, X, y):
    w, b = params
    p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


@case(lambda rng: {"layers": [{"W": rng.normal(size=(3, 3)) * 0.5, "b": rng.normal(size=3) * 0.1}
                              for _ in range(2)], "scale": float(rng.uniform(0.5, 1.5))},
      normal(3))
def nested_structure(params, x):
    h = x
    for layer in params["layers"]:
        h = np.tanh(layer["W"] @ h + layer["b"])
    return params["scale"] * np.sum(h ** 2)


@case(normal(4, 4, scale=0.4), normal(4, 3, scale=0.4), normal(4, scale=0.1), normal(4),
      normal(5, 3), normal(5, 4), wrt=(0, 1, 2, 3), order=2, hessian_wrt=(2,))
def rnn(W, U, b, h, xs, ys):
    loss = 0.0
    for t in range(len(xs)):
        h = np.tanh(W @ h + U @ xs[t] + b)
        loss = loss + np.sum((h - ys[t]) ** 2)
    return loss


@case(normal(4, 3, scale=0.3), normal(3), normal(5, 4), wrt=(0, 1))
def rnn_keeping_the_states(W, h, xs):
    states = []
    for x in xs:
        h = np.tanh(h @ W.T[:3, :3] + x[:3] * 0.5)
        states.append(h)
    H = np.stack(states)
    return np.sum(H[-1] ** 2) + np.sum(np.mean(H, axis=0) * C3)


@case(normal(4), uniform(-0.5, 0.5), normal(10, 4), const((np.arange(10) % 2).astype(float)),
      wrt=(0, 1), order=2, hessian_wrt=(0,))
def logistic_regression(w, b, X, y):
    z = X @ w + b
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)) + 0.01 * np.sum(w ** 2)


# ===========================================================================
# the autograd twins
# ===========================================================================

def _ag_fmod(x, y):
    return x - y * anp.trunc(x / y)     # trunc: zero gradient in autograd


def _ag_cumprod(x, axis=None):
    # a running product, one slice at a time
    a = anp.ravel(x) if axis is None else anp.moveaxis(x, axis, 0)
    out = [a[0]]
    for i in range(1, a.shape[0]):
        out.append(out[-1] * a[i])
    out = anp.stack(out)
    return out if axis is None else anp.moveaxis(out, 0, axis)


def _ag_flip(x, axis=None):
    axes = range(anp.ndim(x)) if axis is None else np.atleast_1d(axis) % anp.ndim(x)
    index = tuple(slice(None, None, -1) if a in axes else slice(None) for a in range(anp.ndim(x)))
    return x[index]


def _ag_pad(x, pad_width, mode="constant", constant_values=0.0):
    # every mode but 'constant' copies entries: gather them with the index map numpy's own
    # pad gives on integer ranges
    widths = np.broadcast_to(np.array(pad_width, dtype=int), (anp.ndim(x), 2))
    if mode == "constant":
        for axis, (before, after) in enumerate(widths):
            shape = list(anp.shape(x))
            before = anp.full(shape[:axis] + [before] + shape[axis + 1:], constant_values)
            after = anp.full(shape[:axis] + [after] + shape[axis + 1:], constant_values)
            x = anp.concatenate([before, x, after], axis)
        return x
    for axis, (before, after) in enumerate(widths):
        index = np.pad(np.arange(anp.shape(x)[axis]), (before, after), mode=mode)
        x = x[(slice(None),) * axis + (index,)]
    return x


def _ag_repeat(x, repeats, axis=None):
    if axis is None:
        x, axis = anp.ravel(x), 0
    index = np.repeat(np.arange(anp.shape(x)[axis]), repeats)
    return x[(slice(None),) * (axis % anp.ndim(x)) + (index,)]


def _ag_concatenate(xs, axis=0):
    if axis is None:
        return anp.concatenate([anp.ravel(x) for x in xs])
    return anp.concatenate(xs, axis)


def _ag_roll(x, shift, axis=None):
    if isinstance(shift, tuple):
        for s, a in zip(shift, axis):
            x = anp.roll(x, s, axis=a)
        return x
    return anp.roll(x, shift, axis=axis)


def _ag_clip(x, a_min=None, a_max=None, min=None, max=None):  # noqa: A002 (NumPy's names)
    a_min, a_max = (min, max) if a_min is None and a_max is None else (a_min, a_max)
    x = x if a_min is None else anp.maximum(x, a_min)
    return x if a_max is None else anp.minimum(x, a_max)


def _ag_broadcast_to(x, shape):
    return x + anp.zeros(shape)


def _ag_tile(x, reps):
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    return anp.tile(x, (1,) * (anp.ndim(x) - len(reps)) + reps)


def _ag_diag(x, k=0):
    if anp.ndim(x) == 1:
        return anp.diag(x, k)
    rows = np.arange(min(x.shape[0] - max(-k, 0), x.shape[1] - max(k, 0))) + max(-k, 0)
    return x[rows, rows + k]


def _ag_solve(a, b):
    if anp.ndim(b) == 1 and anp.ndim(a) > 2:   # one vector for a stack of matrices
        b = anp.expand_dims(b, -1) + anp.zeros(anp.shape(a)[:-1] + (1,))
        return anp.linalg.solve(a, b)[..., 0]
    return anp.linalg.solve(a, b)


def _ag_eigvalsh(x, UPLO="L"):
    return anp.linalg.eigh(x, UPLO=UPLO)[0]


def _ag_cholesky(x):
    return anp.linalg.cholesky(anp.tril(x) + anp.swapaxes(anp.tril(x, -1), -1, -2))


def _ag_norm(x, ord=None, axis=None, keepdims=False):
    # the orders the cases use, written out
    if ord is None or ord == "fro":
        return anp.sqrt(anp.sum(x ** 2, axis=axis, keepdims=keepdims))
    if anp.ndim(x) == 2 and axis is None:
        s = anp.linalg.svd(x, compute_uv=False)
        return {"nuc": anp.sum(s), 2: s[0], -2: s[-1]}[ord]
    if ord == np.inf:
        return anp.max(anp.abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return anp.min(anp.abs(x), axis=axis, keepdims=keepdims)
    return anp.sum(anp.abs(x) ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


def _ag_heaviside(x, h):
    return anp.where(x > 0, 1.0, 0.0) + anp.where(x == 0, 1.0, 0.0) * h


def _ag_cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = anp.moveaxis(a, axisa, -1), anp.moveaxis(b, axisb, -1)
    shape = np.broadcast_shapes(anp.shape(a), anp.shape(b))
    return anp.moveaxis(anp.cross(a + anp.zeros(shape), b + anp.zeros(shape)), -1, axisc)


def _ag_dstack(xs):
    return anp.concatenate([anp.atleast_3d(x) for x in xs], axis=2)


def _ag_take(x, indices, axis=None):
    if axis is None:
        return anp.ravel(x)[np.asarray(indices)]
    return x[(slice(None),) * (axis % anp.ndim(x)) + (np.asarray(indices),)]


def _ag_fancy(shape, indices, axis):
    """The fancy index of np.take_along_axis(x, indices, axis) for x of ``shape``."""
    axis = axis % len(shape)
    return tuple(indices if d == axis else
                 np.arange(n).reshape((-1,) + (1,) * (len(shape) - d - 1))
                 for d, n in enumerate(np.broadcast_shapes(
                     np.shape(indices)[:axis] + (1,) + np.shape(indices)[axis + 1:], shape)))


def _ag_take_along_axis(x, indices, axis):
    if axis is None:
        return anp.ravel(x)[indices]
    return x[_ag_fancy(anp.shape(x), indices, axis)]


def _ag_sort(x, axis=-1):
    if axis is None:
        x, axis = anp.ravel(x), 0
    return _ag_take_along_axis(x, np.argsort(x._value if hasattr(x, "_value") else x, axis=axis,
                                             kind="stable"), axis)


def _ag_quantile(x, q, axis=None, keepdims=False):
    if axis is None:
        x, axis = anp.ravel(x), 0
    s = anp.moveaxis(_ag_sort(x, axis), axis, 0)
    n = anp.shape(s)[0]
    pos = q * (n - 1)
    lo, frac = int(np.floor(pos)), pos - np.floor(pos)
    out = s[lo] * (1.0 - frac) + s[min(lo + 1, n - 1)] * frac
    return anp.expand_dims(out, axis) if keepdims else out


def _ag_nansum(x, axis=None, keepdims=False):
    return anp.sum(anp.where(anp.isnan(x), 0.0, x), axis=axis, keepdims=keepdims)


def _ag_delete(arr, obj, axis=None):
    # the entries kept, picked by their positions (NumPy's np.delete of the positions)
    places = np.delete(np.arange(anp.size(arr)).reshape(anp.shape(arr)), obj, axis)
    return anp.ravel(arr)[places]


def _ag_insert(arr, obj, values, axis=None):
    # each entry picked from arr or from values (broadcast), by the positions np.insert
    # makes of theirs
    arr_shape, values_shape = anp.shape(arr), anp.shape(values)
    from_arr = np.insert(np.arange(anp.size(arr)).reshape(arr_shape), obj,
                         np.full(values_shape, -1), axis)
    from_values = np.insert(np.full(arr_shape, -1), obj,
                            np.arange(anp.size(values)).reshape(values_shape), axis)
    return anp.where(from_arr >= 0, anp.ravel(arr)[np.maximum(from_arr, 0)],
                     anp.ravel(values)[np.maximum(from_values, 0)])


def _ag_bincount(x, weights=None, minlength=0):
    # the weights times the one-hot matrix of the bins
    bins = np.asarray(x)
    one_hot = np.arange(max(bins.max() + 1, minlength))[:, None] == bins[None, :]
    return anp.dot(one_hot.astype(float), weights)


def _ag_meshgrid(*xs, indexing="xy"):
    # each input flattened and broadcast along its own axis ('xy': the first two swapped)
    n = len(xs)
    axes = [1 - k if indexing == "xy" and n >= 2 and k < 2 else k for k in range(n)]
    shape = [0] * n
    for x, axis in zip(xs, axes):
        shape[axis] = anp.size(x)
    outs = []
    for x, axis in zip(xs, axes):
        along = [1] * n
        along[axis] = -1
        outs.append(anp.reshape(x, along) + anp.zeros(shape))
    return tuple(outs)


def _ag_nanmax(x, axis=None, keepdims=False):
    return anp.max(anp.where(anp.isnan(x), -np.inf, x), axis=axis, keepdims=keepdims)


def _ag_nanmean(x, axis=None, keepdims=False):
    return _ag_nansum(x, axis, keepdims) / np.sum(~np.isnan(x._value if hasattr(x, "_value") else x),
                                                  axis=axis, keepdims=keepdims)


def _ag_average(a, axis=None, weights=None, keepdims=False):
    if weights is None:
        return anp.mean(a, axis=axis, keepdims=keepdims)
    if anp.shape(weights) != anp.shape(a):
        shape = [1] * anp.ndim(a)
        shape[axis] = anp.size(weights)
        weights = anp.reshape(weights, shape)
    total = anp.sum(weights + anp.zeros(anp.shape(a)), axis=axis, keepdims=keepdims)
    return anp.sum(weights * a, axis=axis, keepdims=keepdims) / total


def _ag_diagonal(x, offset=0):
    rows = np.arange(min(x.shape[0] - max(-offset, 0), x.shape[1] - max(offset, 0))) + max(-offset, 0)
    return x[rows, rows + offset]


def _ag_cov(m, rowvar=True, bias=False, ddof=None):
    X = anp.atleast_2d(m) if rowvar else anp.atleast_2d(anp.transpose(m))
    Xc = X - anp.mean(X, axis=1, keepdims=True)
    f = anp.shape(X)[1] - (ddof if ddof is not None else 0 if bias else 1)
    out = anp.dot(Xc, anp.transpose(Xc)) / f
    return out[0, 0] if anp.shape(out) == (1, 1) else out


def _ag_matrix_power(x, n):
    base = anp.linalg.inv(x) if n < 0 else x
    out = anp.eye(anp.shape(x)[-1])
    for _ in range(abs(n)):
        out = anp.dot(out, base)
    return out


def _ag_multi_dot(xs):
    out = xs[0]
    for x in xs[1:]:
        out = anp.dot(out, x)
    return out


def _ag_corrcoef(x, rowvar=True):
    c = _ag_cov(x, rowvar)
    s = anp.sqrt(anp.diag(c))
    return c / anp.outer(s, s)


def _ag_linspace(start, stop, num=50, endpoint=True):
    t = np.linspace(0.0, 1.0, num, endpoint=endpoint)
    t = t.reshape((num,) + (1,) * max(np.ndim(start), np.ndim(stop)))
    return start * (1.0 - t) + stop * t


def _ag_eigvals(x):
    return anp.linalg.eig(x)[0]


def _ag_logaddexp(x, y):
    return anp.logaddexp(x, y)


# (autograd's np.logaddexp is a function: the ufunc's reduce, log-sum-exp along an axis)
_ag_logaddexp.reduce = lambda x, axis=0, keepdims=False: ag_special.logsumexp(
    x, axis=axis, keepdims=keepdims)


#: NumPy functions autograd 1.9 cannot differentiate, written for the twins in ones it can
AUTOGRAD_GAPS = {
    "logaddexp": (_ag_logaddexp, "np.logaddexp is a function, without the ufunc's reduce"),
    "cbrt": (lambda x: anp.sign(x) * anp.abs(x) ** (1.0 / 3.0), "no VJP for np.cbrt"),
    "fmod": (_ag_fmod, "no VJP for np.fmod"),
    "cumprod": (_ag_cumprod, "no VJP for np.cumprod"),
    "vdot": (lambda a, b: anp.sum(anp.ravel(a) * anp.ravel(b)), "no VJP for np.vdot"),
    "meshgrid": (_ag_meshgrid, "no VJP for np.meshgrid"),
    "bincount": (_ag_bincount, "no VJP for np.bincount"),
    "insert": (_ag_insert, "no VJP for np.insert"),
    "delete": (_ag_delete, "no VJP for np.delete"),
    "nanmax": (_ag_nanmax, "no VJP for np.nanmax"),
    "nanmin": (lambda x, axis=None, keepdims=False: -_ag_nanmax(-x, axis, keepdims),
               "no VJP for np.nanmin"),
    "cumsum": (lambda x, axis=None, dtype=None: anp.cumsum(x, axis=axis) if dtype is None else
               anp.cumsum(x.astype(dtype), axis=axis), "its VJP takes no dtype="),
    "flip": (_ag_flip, "no VJP for np.flip"),
    "pad": (_ag_pad, "pads in mode 'constant' only, and its VJP fails without an explicit mode"),
    "clip": (_ag_clip, "np.clip's VJP covers x only, not the bounds"),
    "roll": (_ag_roll, "its VJP fails for a tuple of shifts"),
    "repeat": (_ag_repeat, "its VJP takes one count for all entries, not an array of counts"),
    "concatenate": (_ag_concatenate, "its VJP fails for axis=None"),
    "outer": (lambda x, y: anp.outer(anp.ravel(x), anp.ravel(y)),
              "its VJP fails for operands of more than one dimension"),
    "broadcast_to": (_ag_broadcast_to, "its VJP asserts on new leading axes"),
    "tile": (_ag_tile, "a wrong gradient when reps is shorter than x.ndim (np.tile(x, 2), x 2-d)"),
    "diag": (_ag_diag, "its VJP of a diagonal of a non-square matrix fails"),
    "asarray": (anp.array, "a list of boxes becomes an object array"),
    "linalg.eigvalsh": (_ag_eigvalsh, "no VJP for np.linalg.eigvalsh"),
    "linalg.matrix_power": (_ag_matrix_power, "no VJP for np.linalg.matrix_power"),
    "heaviside": (_ag_heaviside, "no VJP for np.heaviside"),
    "copysign": (lambda x, y: anp.abs(x) * anp.where(y < 0, -1.0, 1.0),   # (y is never 0 here)
                 "no VJP for np.copysign"),
    "float_power": (lambda x, y: anp.power(1.0 * x, y), "no VJP for np.float_power"),
    "cross": (_ag_cross, "its VJP does not sum over the axes an operand was broadcast along"),
    "dstack": (_ag_dstack, "no VJP for np.dstack"),
    "take": (_ag_take, "no VJP for np.take"),
    "take_along_axis": (_ag_take_along_axis, "no VJP for np.take_along_axis"),
    "sort": (_ag_sort, "no gradient of sort for arrays of more than one dimension"),
    "quantile": (_ag_quantile, "no VJP for np.quantile"),
    "percentile": (lambda x, q, axis=None, keepdims=False: _ag_quantile(x, q / 100.0, axis, keepdims),
                   "no VJP for np.percentile"),
    "median": (lambda x, axis=None, keepdims=False: _ag_quantile(x, 0.5, axis, keepdims),
               "no VJP for np.median"),
    "nansum": (_ag_nansum, "no VJP for np.nansum"),
    "cov": (_ag_cov, "no VJP for np.cov"),
    "nanmean": (_ag_nanmean, "no VJP for np.nanmean"),
    "average": (_ag_average, "no VJP for np.average"),
    "diagonal": (_ag_diagonal, "its VJP supports the last two axes and offset 0 only"),
    "linalg.cholesky": (_ag_cholesky, ("its gradient assumes a symmetric input, where NumPy "
                                       "reads the lower triangle only")),
    "linalg.solve": (_ag_solve, "its VJP fails for a stack of matrices and one vector"),
    "linalg.multi_dot": (_ag_multi_dot, "no VJP for np.linalg.multi_dot"),
    "linalg.eigvals": (_ag_eigvals, "no VJP for np.linalg.eigvals"),
    "corrcoef": (_ag_corrcoef, "no VJP for np.corrcoef"),
    "linspace": (_ag_linspace, "its VJP does not sum over the axes an end point was broadcast "
                               "along"),
    "positive": (lambda x: 1.0 * x, "no VJP for np.positive"),
    "vecdot": (lambda x, y, axis=-1: anp.sum(x * y, axis=axis), "no VJP for np.vecdot"),
    "linalg.vector_norm": (lambda x, axis=None, keepdims=False, ord=2:
                           _ag_norm(anp.ravel(x) if axis is None else x, None if ord == 2 else ord,
                                    axis, keepdims),
                           "no VJP for np.linalg.vector_norm"),
    "linalg.matrix_norm": (lambda x, keepdims=False, ord="fro": _ag_norm(x, ord),
                           "no VJP for np.linalg.matrix_norm"),
    "linalg.norm": (_ag_norm, ("no gradient for vector ord=1 or matrix ord=2, NaN for ord=inf, "
                               "a gradient of the wrong shape with axis and keepdims=True")),
}


def _ag_log(x, base=None):
    return anp.log(x) if base is None else anp.log(x) / anp.log(base)


def _ag_xlogy(x, y):
    return x * anp.log(y)


def _ag_softmax(x, axis=None):
    e = anp.exp(x - ag_special.logsumexp(x, axis=axis, keepdims=True))
    return e


def _ag_log_softmax(x, axis=None):
    return x - ag_special.logsumexp(x, axis=axis, keepdims=True)


def _ag_logsumexp(a, axis=None, b=None, keepdims=False):
    # written out: autograd's VJP covers a only, not b
    top = np.max(a._value if hasattr(a, "_value") else a, axis=axis, keepdims=True)
    weighted = anp.exp(a - top) if b is None else b * anp.exp(a - top)
    out = anp.log(anp.sum(weighted, axis=axis, keepdims=True)) + top
    return out if keepdims else (anp.squeeze(out, axis) if axis is not None else anp.squeeze(out))


def _ag_norm_logpdf(x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    return -0.5 * z * z - anp.log(scale) - 0.5 * np.log(2 * np.pi)


def _ag_norm_cdf(x, loc=0.0, scale=1.0):
    return 0.5 * ag_special.erfc(-(x - loc) / (scale * np.sqrt(2.0)))


def _ag_norm_sf(x, loc=0.0, scale=1.0):
    return 0.5 * ag_special.erfc((x - loc) / (scale * np.sqrt(2.0)))


def _ag_expon(kind):
    """scipy.stats.expon's ``kind`` of function, written out (autograd has no expon)."""
    def at(x, loc=0.0, scale=1.0):
        z = (x - loc) / scale
        inside = z >= 0
        if kind in ("logpdf", "pdf"):
            log = anp.where(inside, -z - anp.log(scale), -np.inf)
            return log if kind == "logpdf" else anp.exp(log)
        if kind == "sf":
            return anp.where(inside, anp.exp(-z), 1.0)
        cdf = anp.where(inside, -anp.expm1(-z), 0.0)
        return cdf if kind == "cdf" else anp.log(cdf)
    return at


def _ag_laplace(kind):
    """scipy.stats.laplace's logpdf, pdf or cdf, written out (autograd has no laplace)."""
    def at(x, loc=0.0, scale=1.0):
        z = (x - loc) / scale
        if kind == "cdf":
            return anp.where(z < 0, 0.5 * anp.exp(z), 1.0 - 0.5 * anp.exp(-z))
        log = -anp.abs(z) - anp.log(2.0 * scale)
        return log if kind == "logpdf" else anp.exp(log)
    return at


def _ag_lognorm(log):
    """scipy.stats.lognorm's logpdf (``log``) or pdf, written out, for z > 0."""
    def at(x, s, loc=0.0, scale=1.0):
        z = (x - loc) / scale
        out = (-anp.log(s * z * np.sqrt(2.0 * np.pi)) - anp.log(z) ** 2 / (2.0 * s * s)
               - anp.log(scale))
        return out if log else anp.exp(out)
    return at


def _ag_mvn_logpdf(x, mean=None, cov=1):
    r = x - mean
    w = anp.linalg.solve(cov, anp.transpose(anp.atleast_2d(r)))
    quad = anp.sum(anp.transpose(w) * anp.atleast_2d(r), axis=-1)
    out = -0.5 * (quad + anp.linalg.slogdet(cov)[1] + anp.shape(cov)[0] * np.log(2 * np.pi))
    return out if anp.ndim(x) > 1 else out[0]


def _ag_standardized(density):
    """A density of autograd's without loc and scale, given them: z = (x - loc) / scale."""
    def with_loc_scale(x, *shape, loc=0.0, scale=1.0, log=False):
        z = (x - loc) / scale
        return density(z, *shape) - anp.log(scale) if log else density(z, *shape) / scale
    return with_loc_scale


def _ag_located(name, log):
    """scipy.stats.<name>.logpdf / pdf with its shape parameters, then loc and scale."""
    logpdf = _ag_standardized(getattr(ag_stats, name).logpdf)
    n = {"t": 1, "gamma": 1, "beta": 2}[name]

    def density(x, *args, loc=0.0, scale=1.0):
        shape, rest = args[:n], args[n:]
        loc, scale = (*rest, loc, scale)[:2] if rest else (loc, scale)
        out = logpdf(x, *shape, loc=loc, scale=scale, log=True)
        return out if log else anp.exp(out)
    return density


def _ag_located_cdf(name, log):
    """scipy.stats.<name>.cdf / logcdf: autograd's cdf (differentiated in x) at z."""
    n = {"t": 1, "gamma": 1, "beta": 2}[name]

    def cdf(x, *args, loc=0.0, scale=1.0):
        shape, rest = args[:n], args[n:]
        loc, scale = (*rest, loc, scale)[:2] if rest else (loc, scale)
        out = getattr(ag_stats, name).cdf((x - loc) / scale, *shape)
        return anp.log(out) if log else out
    return cdf


def _ag_chi2(kind):
    """scipy.stats.chi2's ``kind`` of function, written out: gamma of df / 2 at z / 2."""
    def at(x, df, loc=0.0, scale=1.0):
        z = (x - loc) / scale
        if kind in ("cdf", "logcdf"):
            cdf = ag_special.gammainc(0.5 * df, 0.5 * z)
            return cdf if kind == "cdf" else anp.log(cdf)
        log = ((0.5 * df - 1.0) * anp.log(z) - 0.5 * z - 0.5 * df * np.log(2.0)
               - ag_special.gammaln(0.5 * df) - anp.log(scale))
        return log if kind == "logpdf" else anp.exp(log)
    return at


def _ag_poisson(kind):
    def f(k, mu, loc=0.0):
        out = getattr(ag_stats.poisson, "cdf" if kind == "logcdf" else kind)(k - loc, mu)
        return anp.log(out) if kind == "logcdf" else out
    return f


def _ag_solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False):
    # autograd's takes neither unit_diagonal nor trans=2: ones put on the diagonal, 2 as 1
    if unit_diagonal:
        a = (anp.tril(a, -1) if lower else anp.triu(a, 1)) + np.eye(anp.shape(a)[0])
    return ag_linalg.solve_triangular(a, b, trans=1 if trans in (2, "C") else trans, lower=lower)


def _ag_read(a, assume_a, lower):
    """The matrix scipy.linalg reads: all of a, or one triangle mirrored (assume_a 'sym',
    'her', 'pos')."""
    if assume_a in ("sym", "her", "pos"):
        return anp.tril(a) + anp.transpose(anp.tril(a, -1)) if lower \
            else anp.triu(a) + anp.transpose(anp.triu(a, 1))
    return a


def _ag_scipy_solve(a, b, lower=False, assume_a=None, transposed=False):
    a = _ag_read(a, assume_a, lower)
    return anp.linalg.solve(anp.transpose(a) if transposed else a, b)


def _ag_scipy_inv(a, assume_a=None, lower=False):
    return anp.linalg.inv(_ag_read(a, assume_a, lower))


def _ag_ndtr(x):
    return 0.5 * ag_special.erfc(-x / np.sqrt(2.0))


def _ag_cho_factor(a, lower=False):
    # the factor in one triangle, a's own entries in the other (as SciPy returns it)
    if lower:
        return anp.tril(_ag_cholesky(a)) + anp.triu(a, 1), True
    upper = anp.transpose(_ag_cholesky(anp.transpose(a)))
    return anp.triu(upper) + anp.tril(a, -1), False


def _ag_cho_solve(c_and_lower, b):
    c, lower = c_and_lower
    factor = anp.tril(c) if lower else anp.transpose(anp.triu(c))
    return anp.linalg.solve(anp.dot(factor, anp.transpose(factor)), b)


def _ag_expm(a):
    # scaling and squaring with a Taylor series of 24 terms (plenty for |a| <= 4)
    a = a / 16.0
    term, out = np.eye(anp.shape(a)[0]), np.eye(anp.shape(a)[0])
    for k in range(1, 25):
        term = anp.dot(term, a) / k
        out = out + term
    for _ in range(4):
        out = anp.dot(out, out)
    return out


class _Namespace:
    """A module's names with some replaced."""

    def __init__(self, base, **replaced):
        self._base = base
        self.__dict__.update(replaced)

    def __getattr__(self, name):
        return getattr(self._base, name)


AUTOGRAD_NP = _Namespace(
    anp, **{k: f for k, (f, _) in AUTOGRAD_GAPS.items() if "." not in k},
    linalg=_Namespace(anp.linalg, **{k.split(".")[1]: f for k, (f, _) in AUTOGRAD_GAPS.items()
                                     if k.startswith("linalg.")}))

#: ``math`` for the twins: autograd does not differentiate the math module
AUTOGRAD_MATH = _Namespace(math, exp=anp.exp, log=_ag_log, sqrt=anp.sqrt, sin=anp.sin,
                           cos=anp.cos, tan=anp.tan, tanh=anp.tanh,
                           copysign=lambda x, y: anp.abs(x) * anp.sign(y),   # no VJP either
                           log10=anp.log10, log2=anp.log2, log1p=anp.log1p, expm1=anp.expm1,
                           exp2=anp.exp2, cbrt=lambda x: x ** (1.0 / 3.0), sinh=anp.sinh,
                           cosh=anp.cosh, asin=anp.arcsin, acos=anp.arccos, atan=anp.arctan,
                           atan2=anp.arctan2, asinh=anp.arcsinh, acosh=anp.arccosh,
                           atanh=anp.arctanh, hypot=lambda x, y: anp.sqrt(x * x + y * y),
                           fabs=anp.abs, erf=ag_special.erf, erfc=ag_special.erfc,
                           lgamma=ag_special.gammaln, gamma=ag_special.gamma,
                           degrees=anp.degrees, radians=anp.radians, fmod=_ag_fmod,
                           pow=lambda x, y: x ** y, fsum=sum)

#: ``scipy`` for the twins: autograd.scipy, with what it lacks written out
AUTOGRAD_SCIPY = _Namespace(
    __import__("scipy"),
    special=_Namespace(ag_special, xlogy=_ag_xlogy, ndtr=_ag_ndtr,
                       i0e=lambda x: ag_special.ive(0, x), i1e=lambda x: ag_special.ive(1, x),
                       log_ndtr=lambda x: anp.log(_ag_ndtr(x)), xlog1py=lambda x, y: x * anp.log1p(y),
                       softmax=_ag_softmax, log_softmax=_ag_log_softmax, logsumexp=_ag_logsumexp,
                       entr=lambda x: -x * anp.log(x), rel_entr=lambda x, y: x * anp.log(x / y),
                       kl_div=lambda x, y: x * anp.log(x / y) - x + y,
                       ndtri=lambda p: np.sqrt(2.0) * ag_special.erfinv(2.0 * p - 1.0)),
    # the densities written out (autograd's wrap SciPy's, which reject its boxes here)
    stats=_Namespace(ag_stats, norm=_Namespace(
        ag_stats.norm, logpdf=_ag_norm_logpdf,
        pdf=lambda x, loc=0.0, scale=1.0: anp.exp(_ag_norm_logpdf(x, loc, scale)),
        cdf=_ag_norm_cdf, logcdf=lambda x, loc=0.0, scale=1.0: anp.log(_ag_norm_cdf(x, loc, scale)),
        sf=_ag_norm_sf, logsf=lambda x, loc=0.0, scale=1.0: anp.log(_ag_norm_sf(x, loc, scale)),
        ppf=lambda q, loc=0.0, scale=1.0: loc + scale * np.sqrt(2.0) * ag_special.erfinv(2.0 * q - 1.0),
        isf=lambda q, loc=0.0, scale=1.0: loc - scale * np.sqrt(2.0) * ag_special.erfinv(2.0 * q - 1.0)),
        expon=_Namespace(__import__("scipy.stats").stats.expon,
                         **{k: _ag_expon(k) for k in ("logpdf", "pdf", "cdf", "logcdf", "sf")}),
        laplace=_Namespace(__import__("scipy.stats").stats.laplace,
                           **{k: _ag_laplace(k) for k in ("logpdf", "pdf", "cdf")}),
        lognorm=_Namespace(__import__("scipy.stats").stats.lognorm, logpdf=_ag_lognorm(True),
                           pdf=_ag_lognorm(False)),
        multivariate_normal=_Namespace(
            ag_stats.multivariate_normal, logpdf=_ag_mvn_logpdf,
            pdf=lambda x, mean=None, cov=1: anp.exp(_ag_mvn_logpdf(x, mean, cov))),
        # t, gamma and beta with loc and scale (autograd's t takes them, but its cdf is
        # differentiated in x and loc only; its gamma and beta take neither)
        **{name: _Namespace(getattr(ag_stats, name), logpdf=_ag_located(name, True),
                            pdf=_ag_located(name, False), cdf=_ag_located_cdf(name, False),
                            logcdf=_ag_located_cdf(name, True))
           for name in ("t", "gamma", "beta")},
        # (autograd's chi2 logpdf has a gradient for whole df only: written out)
        chi2=_Namespace(ag_stats.chi2, **{k: _ag_chi2(k) for k in ("logpdf", "pdf", "cdf", "logcdf")}),
        poisson=_Namespace(ag_stats.poisson, logpmf=_ag_poisson("logpmf"), pmf=_ag_poisson("pmf"),
                           cdf=_ag_poisson("cdf"), logcdf=_ag_poisson("logcdf"))),
    linalg=_Namespace(ag_linalg, solve=_ag_scipy_solve, inv=_ag_scipy_inv, det=anp.linalg.det,
                      solve_triangular=_ag_solve_triangular,
                      cho_factor=_ag_cho_factor,
                      cho_solve=_ag_cho_solve, expm=_ag_expm,
                      cholesky=lambda a, lower=False: _ag_cho_factor(anp.tril(a) if lower else anp.triu(a), lower)[0]),
) if ag_stats is not None else None

_TWINS = {}


def twin_of(c):
    """The autograd version of case ``c``: its hand-written twin, or its source executed with
    ``np`` = autograd.numpy (each case and helper of this module once, in one namespace, so
    that the twins call each other)."""
    if c.twin is not None:
        return c.twin
    if not _TWINS:
        namespace = dict(globals(), np=AUTOGRAD_NP, math=AUTOGRAD_MATH, scipy=AUTOGRAD_SCIPY)
        for fn in SOURCES:
            tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
            tree.body[0].decorator_list = []
            code = compile(tree, f"<autograd twin of {fn.__name__}>", "exec")
            exec(code, namespace)  # noqa: S102
        _TWINS.update({fn.__name__: namespace[fn.__name__] for fn in SOURCES})
    return _TWINS[c.fn.__name__]


# ===========================================================================
# issue 16: builtins over sequences, comprehensions, more NumPy
# ===========================================================================

def nonsymmetric_real(rng):
    """A 3 x 3 matrix with real eigenvalues at least 0.3 apart."""
    while True:
        x = np.array([[2.0, 1.0, 0.0], [0.5, 3.0, 0.2], [0.1, 0.3, -1.0]]) \
            + rng.uniform(-0.3, 0.3, (3, 3))
        w = np.linalg.eigvals(x)
        if not np.iscomplexobj(w) and np.min(np.abs(np.subtract.outer(w, w)) + np.eye(3)) > 0.3:
            return x


@case(distinct(4, gap=0.1), order=2,
      covers=(("python", "max_list"), ("python", "min_list")))
def max_min_of_sequences(x):
    items = []
    for i in range(4):
        items.append(x[i] ** 3 - x[i])
    return max(x * x) * min(items) + max(x[0], x[1] * 2.0, x[2]) * x[3]


@case(normal(4), order=2)
def split_results_used_twice(x):
    # the pieces' adjoints from sum() and from indexing add piece by piece (parts), not as
    # lists joined end to end
    p = np.split(x, 2)
    return np.sum(sum(p) ** 3) + np.sum(p[0] * p[1] * x[1:3]) + np.sum(sum(p) * C3[:2])


@case(number, order=3)
def split_third_derivative(t):
    # the third derivative cuts the joined adjoint of the pieces back into pieces (cut_parts)
    p = np.array_split(t * C3[[0, 1, 2, 0, 1]] + t * t, 2)
    return np.sum(p[0] ** 3) * np.sum(p[1] * p[1][0]) + np.sum(p[0] * t)


@case(distinct(4, gap=0.1), order=2)
def sorted_of_a_list(x):
    s = sorted([np.sin(x[i]) * x[i] for i in range(4)])
    return s[0] * s[1] + s[3] ** 2 - s[2]


@case(distinct(4, gap=0.1), order=2)
def numpy_of_sorted_and_list(x):
    # NumPy makes an array of the list sorted and list give (np.asarray's rule, first)
    s = sorted(x)
    return np.std(list(x)) * np.prod(s) + np.max(tuple(x * x)) + np.mean(s[1:3])


@case(normal(3, 4), order=2)
def numpy_of_the_rows_of_a_matrix(a):
    return np.sum(np.sum(list(a), axis=0) ** 2 * C3[[0, 1, 2, 0]]) + np.var(sorted(a[:, 1]))


def entries_as_floats_twin(x):
    a, b, c, d = list(x)
    return a * b + np.sin(c) * d + sum(v ** 3 for v in list(x * x))


@case(distinct(4, gap=0.1), order=2, twin=entries_as_floats_twin)
def entries_as_floats(x):
    # (autograd's arrays have no .tolist(): the twin writes list(x))
    a, b, c, d = x.tolist()
    return a * b + np.sin(c) * d + sum(v ** 3 for v in (x * x).tolist())


@case(distinct(4, gap=0.1), order=2)
def list_and_tuple_of_sequences(x):
    vs = list(x * x)
    t = tuple([np.sin(x[0]), x[1] * x[2]])
    return vs[0] * vs[3] + sum(vs) * t[1] + t[0] * vs[2]


@case(distinct(6, gap=0.05), order=2)
def partition_entries(x):
    return np.sum(np.partition(x, 2) ** 2 * np.arange(1.0, 7.0))


@case(normal(6), order=2)
def gradient_of_a_grid(x):
    # (autograd's np.gradient takes no spacing and fails on 2-d arrays:
    # test_rules_selections.py checks those)
    return np.sum(np.gradient(x) ** 2 * x)


@case(normal(2), uniform(-1.0, 1.0), wrt=(0, 1))
def linspace_ends(a, b):
    return np.sum(np.sin(np.linspace(a, b, 5)) * np.arange(10.0).reshape(5, 2))


@case(nonsymmetric_real, order=2)
def eig_of_a_real_spectrum(x):
    w, V = np.linalg.eig(x)
    return np.sum(w ** 3) + np.sum(np.linalg.eigvals(x) * C3)


@case(nonsymmetric_real)
def eig_vectors_of_a_real_spectrum(x):
    w, V = np.linalg.eig(x)
    return np.sum(V ** 2 * W44[:3, :3])


@case(normal(4, 2), normal(2, 3), normal(3), wrt=(0, 1, 2))
def multi_dot_chain(a, b, c):
    return np.sum(np.linalg.multi_dot([a, b, c]) ** 2)


@case(normal(3, 6), wrt=0)
def corrcoef_of_rows(x):
    return np.sum(np.corrcoef(x) ** 3 * W44[:3, :3])


# ===========================================================================
# checks
# ===========================================================================

def _close(a, b, rtol, atol):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=atol)


def _scale(value):
    return max(1.0, float(np.max(np.abs(value)))) if np.size(value) else 1.0


def assert_three_agree(what, adcompile_value, autograd_value, fd_value, rtol_fd=RTOL_FD):
    """adcompile = autograd (to rounding) and both = finite differences; on failure, all
    three are shown, so that the report says which one is off."""
    scale = _scale(autograd_value)
    ok_ref = _close(autograd_value, fd_value, rtol_fd, ATOL_FD * scale)
    ok_ad = _close(adcompile_value, autograd_value, RTOL_AUTOGRAD, 1e-9 * scale)
    ok_ad_fd = _close(adcompile_value, fd_value, rtol_fd, ATOL_FD * scale)
    assert ok_ref and ok_ad and ok_ad_fd, (
        f"{what}: adcompile {'=' if ok_ad else '!='} autograd; "
        f"autograd {'=' if ok_ref else '!='} finite differences; "
        f"adcompile {'=' if ok_ad_fd else '!='} finite differences\n"
        f"adcompile: {np.array2string(np.asarray(adcompile_value), precision=10)}\n"
        f"autograd:  {np.array2string(np.asarray(autograd_value), precision=10)}\n"
        f"finite differences: {np.array2string(np.asarray(fd_value), precision=10)}")


def _param(c, check):
    marks = []
    if check in c.xfail:
        reason, raises = c.xfail[check]
        marks = [pytest.mark.xfail(strict=True, reason=reason, raises=raises)]
    return pytest.param(c, id=c.name, marks=marks)


def _cases(check, order=1):
    return [_param(c, check) for c in CASES if c.order >= order]


def _replace(args, k, value):
    args = list(args)
    args[k] = value if isinstance(args[k], np.ndarray) else float(value)
    return args


# differentiated arguments may be structures (dicts, lists, tuples) of arrays and numbers

def _leaves(v, path=()):
    """(path, leaf) for each array or number of ``v``."""
    if isinstance(v, dict):
        return [leaf for key in v for leaf in _leaves(v[key], path + (key,))]
    if isinstance(v, (list, tuple)):
        return [leaf for i, item in enumerate(v) for leaf in _leaves(item, path + (i,))]
    return [(path, v)]


def _structure(v):
    if isinstance(v, dict):
        return {key: _structure(item) for key, item in v.items()}
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, [_structure(item) for item in v])
    return "leaf"


def _get(v, path):
    for key in path:
        v = v[key]
    return v


def _map(fn, v, *others):
    """``v`` with each leaf x replaced by fn(x, the same leaf of each of ``others``)."""
    if isinstance(v, dict):
        return {key: _map(fn, item, *(o[key] for o in others)) for key, item in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_map(fn, item, *(o[i] for o in others)) for i, item in enumerate(v))
    out = fn(v, *others)
    return out if isinstance(v, np.ndarray) else float(out)


@pytest.mark.parametrize("c", _cases("reverse"))
def test_reverse_mode(c):
    args, f, twin = c.args(), c.fn, twin_of(c)
    value = f(*args)
    assert _close(twin(*args), value, 1e-12, 1e-12), "the twin is not the same function"
    wrt = c.wrt if len(c.wrt) > 1 else c.wrt[0]
    gradient = ad.grad(f, wrt=wrt)(*args)
    grads = gradient if len(c.wrt) > 1 else (gradient,)
    assert isinstance(grads, tuple) and len(grads) == len(c.wrt)
    for k, g in zip(c.wrt, grads):
        assert _structure(g) == _structure(args[k]), f"d/d{k}: the gradient's structure"
        reference = autograd.grad(twin, k)(*args)
        for path, x in _leaves(args[k]):
            def along(leaf, k=k, path=path):
                moved = list(args)
                moved[k] = _with(args[k], path, leaf)
                return f(*moved)

            gk = _get(g, path)
            assert np.shape(gk) == np.shape(x), f"d/d{k}{list(path)}: shape {np.shape(gk)}"
            if isinstance(x, np.ndarray) and x.ndim:
                assert isinstance(gk, np.ndarray) and gk.dtype == np.float64, type(gk)
            elif not isinstance(x, np.ndarray):
                assert isinstance(gk, float), f"{type(gk).__name__} for a number"
            fd = numerical_grad(along, [x], 0, eps=EPS)
            assert_three_agree(f"{c.name}: gradient w.r.t. argument {k}{list(path) or ''}",
                               gk, _get(reference, path), fd, c.rtol)


def _with(v, path, leaf):
    """A copy of structure ``v`` with the leaf at ``path`` replaced."""
    if not path:
        return leaf
    items = dict(v) if isinstance(v, dict) else list(v)
    items[path[0]] = _with(v[path[0]], path[1:], leaf)
    return items if isinstance(v, (dict, list)) else type(v)(items)


@pytest.mark.parametrize("c", _cases("forward"))
def test_forward_mode(c):
    args, f, twin = c.args(), c.fn, twin_of(c)
    rng = np.random.default_rng(7)
    tangents = [_map(lambda x: rng.uniform(-1.0, 1.0, np.shape(x)), args[k]) for k in c.wrt]
    wrt = c.wrt if len(c.wrt) > 1 else c.wrt[0]
    value, dot = ad.jvp(f, wrt=wrt)(*args, tangents=tuple(tangents) if len(c.wrt) > 1
                                    else tangents[0])
    assert np.ndim(dot) == 0 and _close(value, f(*args), 1e-12, 1e-12), (value, dot)
    reference = 0.0
    for k, t in zip(c.wrt, tangents):
        g = autograd.grad(twin, k)(*args)
        reference += sum(float(np.sum(_get(g, path) * leaf)) for path, leaf in _leaves(t))

    def along(h):
        moved = list(args)
        for k, t in zip(c.wrt, tangents):
            moved[k] = _map(lambda x, d: np.asarray(x) + h * np.asarray(d), args[k], t)
        return f(*moved)

    h = EPS * max(1.0, max(_scale(x) for k in c.wrt for _, x in _leaves(args[k])))
    fd = (along(h) - along(-h)) / (2 * h)
    assert_three_agree(f"{c.name}: directional derivative", dot, reference, fd, c.rtol)


@pytest.mark.parametrize("c", _cases("second", order=2))
def test_second_order(c):
    args, f, twin = c.args(), c.fn, twin_of(c)
    for k in c.hessian_wrt or c.wrt:
        reference = autograd.hessian(twin, k)(*args)
        g = autograd.grad(twin, k)
        x = np.asarray(args[k], dtype=float)
        columns = []
        for i in np.ndindex(x.shape):
            h = EPS * max(1.0, abs(float(x[i])))
            step = np.zeros(x.shape)
            step[i] = h
            columns.append((np.asarray(g(*_replace(args, k, x + step)))
                            - np.asarray(g(*_replace(args, k, x - step)))) / (2 * h))
        fd = np.moveaxis(np.array(columns).reshape(x.shape + x.shape), range(x.ndim),
                         range(x.ndim, 2 * x.ndim))
        gradient = ad.grad(f, wrt=k)      # ad.hessian(f, wrt=k, mode) is the Jacobian of it
        for mode in ("reverse", "forward"):
            H = ad.jacobian(gradient, wrt=k, mode=mode)(*args)
            assert_three_agree(f"{c.name}: Hessian w.r.t. argument {k} ({mode} over reverse)",
                               H, reference, fd, 1e-4)


@pytest.mark.parametrize("c", _cases("third", order=3))
def test_third_order(c):
    args, f, twin = c.args(), c.fn, twin_of(c)
    assert not isinstance(args[0], np.ndarray), "third-order cases take a number first"
    d3 = ad.grad(ad.grad(ad.grad(f)))(*args)
    reference = autograd.grad(autograd.grad(autograd.grad(twin)))(*args)
    d2 = autograd.grad(autograd.grad(twin))
    h = 1e-5 * max(1.0, abs(args[0]))
    fd = (d2(args[0] + h, *args[1:]) - d2(args[0] - h, *args[1:])) / (2 * h)
    assert_three_agree(f"{c.name}: third derivative", d3, reference, fd, 1e-4)


def test_a_wrong_gradient_is_caught():
    """The comparison is not vacuous: a twin that differs in one term fails it."""
    c = next(c for c in CASES if c.fn is np_sin)
    args = c.args()
    wrong = autograd.grad(lambda x: anp.sum(W23 * anp.sin(x)) + 1e-6 * anp.sum(x ** 2))(*args)
    with pytest.raises(AssertionError, match="adcompile != autograd"):
        assert_three_agree("np_sin", ad.grad(np_sin)(*args), wrong,
                           numerical_grad(np_sin, args, 0))


# ===========================================================================
# rules autograd cannot check: finite differences only
# ===========================================================================

def refused_prod(x):
    return np.prod(C3 * x)


def refused_cumprod(x):
    return np.sum(np.cumprod(C3 * x) ** 2)


def refused_norm(x):
    return np.linalg.norm(C3 * x, 3) ** 2


def refused_array(x):
    return np.sum(np.array([C3 * x, np.sin(C3 * x)]) ** 3)


def refused_sum(x):
    return np.sum(sum([C3 * x, np.sin(C3 * x)]) ** 3)


def refused_r_c(x):
    return np.sum(np.r_[C3 * x, np.sin(C3 * x)] ** 3) + np.sum(np.c_[C3 * x, C3 * x * x] ** 3)


#: rule -> (why autograd is no reference for it, a program whose second derivative's code
#: calls the rule's helper, reached at x = 0.7)
WITHOUT_AUTOGRAD = {
    ("generated", name): (
        ("a second-derivative helper of adcompile's own generated code, with nothing like it "
         "in autograd; adcompile refuses to differentiate it (a third derivative) and the "
         "check is that it refuses, after its second derivative agrees with finite "
         "differences of the gradient"), program)
    for name, program in [("prod_hvp", refused_prod), ("cumprod_dot", refused_cumprod),
                          ("cumprod_hvp", refused_cumprod), ("norm_dot", refused_norm),
                          ("norm_hvp", refused_norm), ("array_of_pieces", refused_array),
                          ("r_join", refused_r_c), ("c_join", refused_r_c),
                          ("sum_join", refused_sum)]
}


#: generated rules no case of this module reaches, and where they are checked instead
CHECKED_ELSEWHERE = {
    ("generated", name): ("the transpose of a helper of first-order gradient code, reached only "
                          "by a third derivative; its second derivatives are checked against "
                          "finite differences in test_rules_selections.py")
    for name in ("extreme_dot", "sorted_dot", "gradient_of", "items_dot")
}
CHECKED_ELSEWHERE.update({("generated", name): (
    "the adjoint (tangent) of x.tolist() where x's number of dimensions is known only when "
    "the code runs (no case here leaves it unknown); it and its own derivatives are checked "
    "against finite differences in test_rules_selections.py") for name in ("entries_bar",
                                                                          "entries_dot")})
CHECKED_ELSEWHERE[("generated", "placed_dot")] = (
    "the transpose of placed_bar (the adjoint of np.insert and np.delete), reached in reverse "
    "mode only by a third derivative; checked against finite differences of the second "
    "derivative, and in forward mode, in test_rules_library.py")
CHECKED_ELSEWHERE[("generated", "meshgrid_dot")] = (
    "the transpose of meshgrid_bar (np.meshgrid's adjoint), reached in reverse mode only by a "
    "third derivative; checked against finite differences of the second derivative, and "
    "in forward mode, in test_rules_library.py")
CHECKED_ELSEWHERE.update({("generated", name): (
    "q read as q times the identity where its ndim is known only when the code runs (a "
    "number: the trace), and its transpose; checked as a transpose pair and against finite "
    "differences to third order in test_rules_scipy_linalg.py")
    for name in ("identity_part", "identity_spread")})
CHECKED_ELSEWHERE[("generated", "multi_dot_bar")] = (
    "a second derivative through np.linalg.multi_dot is refused; test_rules_selections.py "
    "checks the refusal")
CHECKED_ELSEWHERE.update({key: (
    "autograd defines no derivative of np.polyval; it and the helper of its gradient code "
    "are checked against finite differences, in reverse and forward mode and to second order, "
    "in test_rules_library.py") for key in [("numpy", "polyval"), ("generated", "polyval_bar"),
                              ("generated", "polyval_derivative")]})
CHECKED_ELSEWHERE.update({key: (
    "autograd defines no derivative of np.interp; it and the helpers of its gradient code are "
    "checked against finite differences, in reverse and forward mode and to second order, "
    "in test_rules_library.py") for key in [("numpy", "interp")] + [
    ("generated", name) for name in ("interp_slope", "interp_fp_bar", "interp_linear",
                                     "interp_slope_bar")]})
CHECKED_ELSEWHERE.update({key: (
    "autograd defines no derivative of np.lib.stride_tricks.sliding_window_view; it and the "
    "helper of its gradient code are checked against finite differences, in reverse and "
    "forward mode and to second order, in test_rules_library.py")
    for key in [("arrays", "sliding_window_view"), ("generated", "sliding_window_bar")]})
CHECKED_ELSEWHERE[("arrays", "running_extreme")] = (
    "autograd has no derivative of the methods of ufuncs (np.maximum.accumulate); checked "
    "against finite differences in reverse and forward mode and to second order in "
    "test_rules_library.py")
CHECKED_ELSEWHERE[("generated", "quantile_dot")] = (
    "the tangent of np.quantile and np.percentile, and the transpose of quantile_bar (so "
    "reached in reverse mode only by a third derivative); autograd has no derivative of "
    "np.quantile; checked against finite differences in forward mode, for a number and "
    "arrays of q, in test_rules_library.py, and in float32 in test_rules_float32.py")
CHECKED_ELSEWHERE[("scipy", "log_expit")] = (
    "autograd has no scipy.special.log_expit; it is checked against finite differences, in "
    "reverse and forward mode, in test_rules_scipy.py, and in float32 in "
    "test_rules_float32.py")
CHECKED_ELSEWHERE[("linalg", "qr")] = (
    "autograd defines no derivative of np.linalg.qr; it is checked against finite differences "
    "(tall, square, wide and stacked matrices), in reverse and forward mode and to second "
    "order, in test_rules_library.py")
CHECKED_ELSEWHERE[("numpy", "full_like")] = (
    "autograd's np.full_like does not differentiate its fill value; it is checked against "
    "finite differences, to second order, in test_higher_order.py")
CHECKED_ELSEWHERE.update({key: (
    "autograd defines no derivative of np.linalg.lstsq; it is checked against finite "
    "differences (the solution, the residuals and the singular values, of square and tall "
    "matrices, b a vector or columns), in reverse and forward mode, with its refusals (a "
    "matrix not of full column rank, a second derivative), in test_rules_library.py")
    for key in [("linalg", "lstsq"), ("generated", "lstsq_bar"), ("generated", "lstsq_dot")]})
CHECKED_ELSEWHERE.update({("generated", name): (
    "the derivative of an incomplete gamma or beta function in its parameter (scipy.stats "
    "cdfs in a, b, df), which autograd does not differentiate: its values are checked against "
    "40-digit mpmath and its refused second derivative in test_rules_scipy_stats.py")
    for name in ("gammainc_dlog_da", "betainc_dlog")})
if ag_stats is not None:   # (SciPy installed: its rules are registered)
    CHECKED_ELSEWHERE.update({("scipy", name): (
        "scipy.stats.multivariate_normal.cdf/logcdf are refused when differentiated (autograd "
        "has no multivariate normal cdf); test_rules_scipy_stats.py checks the refusal")
        for name in ("mvn_cdf", "mvn_logcdf")})


@pytest.mark.parametrize("key", sorted(WITHOUT_AUTOGRAD), ids=lambda k: k[1])
def test_rules_without_autograd(key):
    _, program = WITHOUT_AUTOGRAD[key]
    x = 0.7
    second = ad.grad(ad.grad(program))
    code = ad.show(second, args=(x,))
    assert key[1] in _called_names(code), f"{key[1]} is not in the code of {program.__name__}''"
    first = ad.grad(program)
    h = 1e-5
    fd = (first(x + h) - first(x - h)) / (2 * h)
    assert _close(second(x), fd, 1e-5, 1e-6), (second(x), fd)
    with pytest.raises(ad.TransformError, match="third derivative"):
        ad.grad(ad.grad(ad.grad(program)))(x)
    # autograd has a third derivative here: adcompile's refusal is a limitation, not a pole
    assert np.isfinite(autograd.grad(autograd.grad(autograd.grad(twin_of_program(program))))(x))


def twin_of_program(fn):
    namespace = dict(globals(), np=AUTOGRAD_NP)
    source = textwrap.dedent(inspect.getsource(fn))
    exec(compile(source, "<autograd twin>", "exec"), namespace)  # noqa: S102
    return namespace[fn.__name__]


# ===========================================================================
# meta-test: every rule of adcompile/rules has a reference case
# ===========================================================================

PACKAGE_RULES = Path(ad.__file__).resolve().parent / "rules"
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
              ast.Div: operator.truediv, ast.Pow: operator.pow, ast.MatMult: operator.matmul,
              ast.Mod: operator.mod, ast.USub: operator.neg, ast.UAdd: operator.pos}


def package_rules():
    return [r for r in REGISTRY.rules if r.module is not None]


def _key(rule):
    return (rule.module, rule.name)


def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id] + parts[::-1]
    return None


def used_keys(fn):
    """What ``fn`` calls or applies, as registry keys: the objects its dotted names and
    operators stand for, and ``.name()`` / ``.name`` for methods and attributes of values."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn))).body[0]
    tree.decorator_list = []
    names = dict(vars(builtins), **fn.__globals__)
    objects, strings = [], set()
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    local = _locals(tree)
    for node in ast.walk(tree):
        if isinstance(node, (ast.BinOp, ast.AugAssign, ast.UnaryOp)) \
                and type(node.op) in _OPERATORS:
            objects.append(_OPERATORS[type(node.op)])
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            objects.append(operator.getitem)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            objects.append(runtime.with_item)   # x[index] = v
        elif isinstance(node, (ast.Attribute, ast.Name)):
            path = _dotted(node)
            if path and path[0] in names and path[0] not in local:
                obj = names[path[0]]
                for part in path[1:]:
                    obj = getattr(obj, part, None)
                ufunc = getattr(obj, "__self__", None) if path[-1] == "at" else None
                if ufunc is np.add or ufunc is np.subtract:   # np.add.at(x, i, v)
                    obj = runtime.added_at if ufunc is np.add else runtime.subtracted_at
                objects.append(obj)
            elif isinstance(node, ast.Attribute):
                strings.add(f".{node.attr}()" if id(node) in calls else f".{node.attr}")
    return objects, strings


def _locals(tree):
    return {a.arg for a in tree.args.args} | {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _called_names(code):
    """The runtime helpers and NumPy functions generated code calls (as registry keys)."""
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Call):
            path = _dotted(node.func)
            if path and len(path) == 1 and hasattr(runtime, path[0]):
                found.append(path[0])
            elif path and path[0] == "np":
                found.append(".".join(path))
    return found


def _helper_name(key):
    if getattr(key, "__module__", None) == runtime.__name__:
        return key.__name__
    return "np." + key.__name__


def higher_order_code(c):
    """The generated code that a case's second (and third) derivatives differentiate."""
    args = c.args()
    try:
        code = [ad.show(c.fn, wrt=k, args=args) for k in (c.hessian_wrt or c.wrt)]
        if c.order >= 3:
            code.append(ad.show(ad.grad(ad.grad(c.fn)), args=args))
    except ad.TransformError:
        return ""     # a case failing on a bug (xfail) covers nothing
    return "\n".join(code)


@functools.cache
def what_the_cases_use():
    """(objects, method and attribute keys, rules claimed with covers=, the helpers called by
    the code that second and third derivatives differentiate) over all cases."""
    objects, strings, claimed, helpers = [], set(), set(), set()
    for c in CASES:
        o, s = used_keys(c.fn)
        objects += o
        strings |= s
        claimed |= set(c.covers)
        if c.order >= 2 and not {"second", "third"} & set(c.xfail):
            helpers |= set(_called_names(higher_order_code(c)))
    return objects, strings, claimed, helpers


def _same_ufunc_method(a, b):
    """Whether ``a`` and ``b`` are the same method of the same ufunc (np.logaddexp.reduce)."""
    return isinstance(getattr(a, "__self__", None), np.ufunc) \
        and getattr(b, "__self__", None) is a.__self__ and a.__name__ == b.__name__


def coverage_problems():
    """(keys of rules no case reaches, stale entries, rules both listed and claimed)."""
    rules = package_rules()
    registered = {_key(r) for r in rules}
    objects, strings, claimed, helpers = what_the_cases_use()
    missing = []
    for rule in rules:
        key = _key(rule)
        if key in WITHOUT_AUTOGRAD or key in CHECKED_ELSEWHERE:
            continue
        if not rule.keys:
            if key not in claimed:
                missing.append(f"{key}: no key; claim it with case(covers=...)")
            continue
        for k in rule.keys:
            if key[0] == "generated":
                found = _helper_name(k) in helpers
            elif isinstance(k, str):
                found = k in strings
            else:   # (a bound method, scipy.stats.norm.logpdf, np.logaddexp.reduce, is made
                # anew at each access)
                found = any(o is k or inspect.ismethod(k) and inspect.ismethod(o) and o == k
                            or _same_ufunc_method(o, k) for o in objects)
            if not found:
                missing.append(f"{key}: {k if isinstance(k, str) else getattr(k, '__name__', k)}")
    stale = sorted(set(WITHOUT_AUTOGRAD) - registered) + sorted(claimed - registered) \
        + sorted(set(CHECKED_ELSEWHERE) - registered)
    both = sorted(k for k in WITHOUT_AUTOGRAD if k in claimed)
    return missing, stale, both


def test_every_registered_rule_has_a_reference_case():
    assert len(package_rules()) > 100, "the registry looks empty"
    missing, stale, both = coverage_problems()
    assert not missing, f"registered rules without an autograd reference case: {missing}"
    assert not stale, f"entries for rules that are not registered (any more): {stale}"
    assert not both, f"listed as without autograd, yet claimed by a case: {both}"


def test_the_meta_test_sees_a_new_rule_and_a_stale_entry(monkeypatch):
    new = Rule(name="nextafter", output="y", inputs=["x"], statics={}, body=[], keys=[np.nextafter],
               filename=str(PACKAGE_RULES / "numpy.py"))
    user = Rule(name="mine", output="y", inputs=["x"], statics={}, body=[], keys=[np.i0],
                filename=__file__)      # a user rule: ignored
    monkeypatch.setattr(REGISTRY, "rules", [*REGISTRY.rules, new, user])
    monkeypatch.setitem(WITHOUT_AUTOGRAD, ("numpy", "gone"), ("a rule since removed", None))
    missing, stale, _ = coverage_problems()
    assert missing == ["('numpy', 'nextafter'): nextafter"]
    assert stale == [("numpy", "gone")]


def test_case_names_are_unique_and_twins_exist():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
    for c in CASES:
        assert callable(twin_of(c)), c.name
