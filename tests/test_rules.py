"""Every registered adjoint rule, checked against central finite differences.

Each rule in ``adcompile.rules.REGISTRY`` has at least one test below, marked
with ``@covers(module, rule_name)``; ``test_every_registered_rule_has_a_test``
fails when a rule is registered without one. The functions that adcompile
differentiates are defined at module level (adcompile reads their source).
Hypothesis draws shapes (scalars, 0-d to 3-d arrays, broadcasting pairs,
size-1 axes) and values kept away from kinks, poles and ties.
"""
# ruff: noqa: E731

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import (FEW, SOME, arrays, assert_close, assert_grad, assert_hessian, broadcast_pairs,
                      grid, nonzero, operand, reals, shapes, weights)
from hypothesis import assume, given
from hypothesis import strategies as st

import adcompile as ad
from adcompile import runtime as rt
from adcompile.rules import REGISTRY

# a gradient that divides by zero or takes log of a negative number is a bug here
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

#: (rule module stem, rule name) -> names of the tests that check the rule
COVERED = {}


def covers(*keys):
    """Record that the decorated test checks the rules ``keys`` = (module stem, rule name)."""

    def mark(test):
        for key in keys:
            COVERED.setdefault(key, []).append((test.__module__, test.__name__))
        return test

    return mark


class ShapeOf:
    """Stands in for the weight ``w`` in ``w * expr`` to learn the shape of ``expr``."""

    shape = None

    def __mul__(self, other):
        self.shape = np.shape(other)
        return 0.0


def output_shape(case, **args):
    """The shape of the expression a case multiplies by its weight parameter ``w``."""
    probe = ShapeOf()
    case(**{**args, "w": probe})
    assert probe.shape is not None
    return probe.shape


def draw_shape(data, min_shape, extra=2):
    """A shape with each axis at least ``min_shape``'s (and up to ``extra`` longer)."""
    return tuple(data.draw(st.integers(m, m + extra)) for m in min_shape)


# ===========================================================================
# meta-test
# ===========================================================================


def registered_rules():
    """(rule module, name) of every rule adcompile registers itself (not user rules)."""
    return {(rule.module, rule.name) for rule in REGISTRY.rules if rule.module is not None}


def test_every_registered_rule_has_a_test():
    import importlib

    import test_higher_order  # noqa: F401 - covers the rules of generated.py
    import test_second_order  # noqa: F401 - and more of them
    for path in sorted(Path(__file__).parent.glob("test_rules_*.py")):
        importlib.import_module(path.stem)   # tests of one question each (float32, x ** y, ...)
    registered = registered_rules()
    assert registered, "no rules registered?"
    missing = sorted(registered - set(COVERED))
    assert not missing, f"registered rules without a finite-difference test: {missing}"
    stale = sorted(set(COVERED) - registered)
    assert not stale, f"tests claim to cover rules that are not registered: {stale}"
    for key, tests in COVERED.items():
        for module, name in tests:
            test = getattr(sys.modules[module], name, None)
            assert name.startswith("test_") and callable(test), (key, module, name)


# ===========================================================================
# python.py: assignment, operators, builtins
# ===========================================================================

def copy_case(x, w):
    y = x
    z = y
    return np.sum(w * z * y)


def copy_tuple_case(x, y):
    a, b = y, x
    c = a
    return c * b + a


@covers(("python", "copy"))
@FEW
@given(data=st.data())
def test_copy(data):
    shape = data.draw(shapes())
    x = data.draw(operand(shape))
    w = data.draw(weights(shape))
    assert_grad(copy_case, x, w)
    y = data.draw(reals())
    assert_grad(copy_tuple_case, data.draw(reals()), y, wrt=(0, 1))


# -- + - * / ** on broadcasting arrays ----------------------------------------

def add_case(x, y, w):
    return np.sum(w * (x + y))


def sub_case(x, y, w):
    return np.sum(w * (x - y))


def mul_case(x, y, w):
    return np.sum(w * (x * y))


def truediv_case(x, y, w):
    return np.sum(w * (x / y))


def pow_active_case(x, y, w):
    return np.sum(w * x ** y)


def check_binary(data, case, x_elements, y_elements, wrt=(0, 1)):
    sx, sy = data.draw(broadcast_pairs())
    x = data.draw(operand(sx, x_elements))
    y = data.draw(operand(sy, y_elements))
    w = data.draw(weights(np.broadcast_shapes(sx, sy)))
    assert_grad(case, x, y, w, wrt=wrt)


@covers(("python", "add"))
@SOME
@given(data=st.data())
def test_add_broadcasting(data):
    check_binary(data, add_case, reals(), reals())


@covers(("python", "sub"))
@SOME
@given(data=st.data())
def test_sub_broadcasting(data):
    check_binary(data, sub_case, reals(), reals())


@covers(("python", "mul"))
@SOME
@given(data=st.data())
def test_mul_broadcasting(data):
    check_binary(data, mul_case, reals(), reals())


@covers(("python", "truediv"))
@SOME
@given(data=st.data())
def test_truediv_broadcasting(data):
    check_binary(data, truediv_case, reals(), nonzero())


@covers(("python", "pow"))
@SOME
@given(data=st.data())
def test_pow_active_exponent_broadcasting(data):
    check_binary(data, pow_active_case, reals(0.3, 2.0), reals(-2.0, 2.0))


@pytest.mark.parametrize("wrt", [0, 1])
@FEW
@given(data=st.data())
def test_binary_one_operand_active(data, wrt):
    for case, y_elements in [(add_case, reals()), (sub_case, reals()), (mul_case, reals()),
                             (truediv_case, nonzero())]:
        check_binary(data, case, reals(), y_elements, wrt=wrt)
    check_binary(data, pow_active_case, reals(0.3, 2.0), reals(), wrt=wrt)


# -- the same operators on Python scalars ------------------------------------------

def add_scalars(x, y):
    return x + y + 2


def sub_scalars(x, y):
    return 1.5 - x - y


def mul_scalars(x, y):
    return 3 * x * y


def truediv_scalars(x, y):
    return x / y + 1 / y - x / 4


def pow_scalars(x, y):
    return x ** y + 2.0 ** y


SCALAR_CASES = [(add_scalars, reals(-5, 5)), (sub_scalars, reals(-5, 5)),
                (mul_scalars, reals(-5, 5)), (truediv_scalars, nonzero(0.5, 5.0)),
                (pow_scalars, reals(0.3, 3.0))]


@pytest.mark.parametrize("case,elements", SCALAR_CASES, ids=lambda c: getattr(c, "__name__", ""))
@FEW
@given(data=st.data())
def test_binary_python_scalars(case, elements, data):
    x, y = data.draw(elements), data.draw(elements)
    for wrt in [0, 1, (0, 1), ("y", "x"), -1, "y"]:
        assert_grad(case, x, y, wrt=wrt)
    # a numpy scalar argument goes down the same scalar path
    assert_grad(case, np.float64(x), y, wrt=(0, 1))


@pytest.mark.parametrize("case", [add_scalars, sub_scalars, mul_scalars, truediv_scalars,
                                  pow_scalars])
def test_binary_python_ints(case):
    # int arguments: the gradient is a float
    g = assert_grad(case, 2, 3, wrt=(0, 1))
    assert all(type(v) in (float, np.float64) for v in g)


# -- ** with a constant exponent ---------------------------------------------------

def pow_const_int(x, w):
    return np.sum(w * x ** 3)


def pow_const_square(x, w):
    return np.sum(w * x ** 2)


def pow_const_negative(x, w):
    return np.sum(w * x ** -2)


def pow_const_float(x, w):
    return np.sum(w * x ** 2.5)


def pow_const_base(x, w):
    return np.sum(w * 2.0 ** x)


def pow_exponent_argument(x, n):
    # n is not differentiated: no log(x) term may appear
    return np.sum(x ** n)


@covers(("python", "pow"))
@pytest.mark.parametrize("case,elements", [
    (pow_const_int, reals(-2, 2)),          # negative and zero bases included
    (pow_const_square, reals(-2, 2)),
    (pow_const_negative, nonzero(0.3, 2.0)),
    (pow_const_float, reals(0.1, 2.0)),
    (pow_const_base, reals(-2, 2)),
], ids=lambda c: getattr(c, "__name__", ""))
@SOME
@given(data=st.data())
def test_pow_constant_exponent(case, elements, data):
    shape = data.draw(shapes())
    x = data.draw(operand(shape, elements))
    w = data.draw(weights(shape))
    assert_grad(case, x, w)


@covers(("python", "pow"))
@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.parametrize("x", [0.0, -0.0, -1.5, 2.0, np.array([0.0, -1.5, 2.0, -0.0]),
                               np.array([[-1.0, 0.0], [0.5, -3.0]])],
                         ids=["0.0", "-0.0", "-1.5", "2.0", "1d", "2d"])
def test_pow_integer_exponent_at_nonpositive_base(x, n):
    """x ** n for x <= 0 and an integer n: n * x ** (n - 1), never NaN (Tangent's bug)."""
    g = assert_grad(pow_exponent_argument, x, n)
    assert_close(g, n * np.asarray(x, dtype=float) ** (n - 1), 1e-12, 0)
    g = assert_grad(pow_const_int, x, 1.0)
    assert_close(g, 3 * np.asarray(x, dtype=float) ** 2, 1e-12, 0)


def pow_zero(x):
    return np.sum(x ** 0 + x)


def pow_one(x):
    return np.sum(x ** 1 * 2.0)


@covers(("python", "pow"))
@pytest.mark.parametrize("x", [0.0, -2.0, 1.5, np.array([0.0, -2.0, 1.5])],
                         ids=["0.0", "-2.0", "1.5", "array"])
def test_pow_exponents_zero_and_one(x):
    """d/dx x**0 = 0 and d/dx x**1 = 1 everywhere, including x = 0."""
    g = assert_grad(pow_zero, x)
    assert_close(g, np.ones_like(x), 0, 0)
    g = assert_grad(pow_one, x)
    assert_close(g, 2.0 * np.ones_like(x), 0, 0)


# -- unary operators -----------------------------------------------------------------

def neg_case(x, w):
    return np.sum(w * -x)


def neg_scalar(x):
    return -x - -(x * x)


def pos_case(x, w):
    return np.sum(w * +x)


def float_case(x):
    return float(x) * 3.0 + float(x * x)


@covers(("python", "neg"))
@FEW
@given(data=st.data())
def test_neg(data):
    shape = data.draw(shapes())
    assert_grad(neg_case, data.draw(operand(shape)), data.draw(weights(shape)))
    assert_grad(neg_scalar, data.draw(reals()))


@covers(("python", "pos"))
@FEW
@given(data=st.data())
def test_pos_and_float(data):
    shape = data.draw(shapes())
    assert_grad(pos_case, data.draw(operand(shape)), data.draw(weights(shape)))
    x = data.draw(reals())
    assert_grad(float_case, x)
    assert_grad(float_case, np.float64(x))
    assert_grad(float_case, np.array(x))
    assert_grad(float_case, 3)
    assert_grad(numpy_casts, data.draw(operand(shape)))


def numpy_casts(x):
    # np.float64(x): the same values, in double precision
    return np.sum(np.float64(x) ** 2) + np.sum(np.sin(np.float64(x)))


# -- builtins abs, max, min ---------------------------------------------------------

def abs_builtin_case(x, w):
    return np.sum(w * abs(x))


def abs_builtin_scalar(x):
    return abs(x) * x + abs(-2.0 * x)


@covers(("python", "abs_"))
@FEW
@given(data=st.data())
def test_abs_builtin(data):
    shape = data.draw(shapes())
    x = data.draw(operand(shape, nonzero(0.1, 3.0)))
    assert_grad(abs_builtin_case, x, data.draw(weights(shape)))
    assert_grad(abs_builtin_scalar, data.draw(nonzero(0.1, 3.0)))


def max_builtin(x, y):
    return max(x, y) * 2.0


def max_builtin_relu(x):
    return max(x, 0.0) + max(0.0, 3.0 * x)


def max_builtin_expression(x, y):
    return max(x * x, y) + max(y, x)


def min_builtin(x, y):
    return min(x, y) * 2.0


def min_builtin_relu(x):
    return min(x, 0.0) + min(0.0, 3.0 * x)


def min_builtin_expression(x, y):
    return min(x * x, y) + min(y, x)


def max_self(x):
    return max(x, x)


def min_self(x):
    return min(x, x)


@covers(("python", "max_"), ("python", "min_"))
@pytest.mark.parametrize("pair,relu,expression", [
    (max_builtin, max_builtin_relu, max_builtin_expression),
    (min_builtin, min_builtin_relu, min_builtin_expression)], ids=["max", "min"])
@SOME
@given(data=st.data())
def test_max_min_builtins(pair, relu, expression, data):
    # x and y on grids with different offsets never tie
    x, y = data.draw(grid(0.1)), data.draw(grid(0.35))
    assert_grad(pair, x, y, wrt=(0, 1))
    assert_grad(pair, y, x, wrt=(0, 1))
    assert_grad(relu, data.draw(nonzero(0.1, 3.0)))
    assert_grad(expression, x, y, wrt=(0, 1))
    assert_grad(pair, np.array(x), np.array(y), wrt=(0, 1))


@covers(("python", "max_"), ("python", "min_"))
@pytest.mark.parametrize("pair,same", [(max_builtin, max_self), (min_builtin, min_self)],
                         ids=["max", "min"])
def test_max_min_builtins_at_a_tie(pair, same):
    # max(x, x) is x: gradient 1. At a tie of two inputs the gradients sum to 1.
    assert ad.grad(same)(1.5) == 1.0
    gx, gy = ad.grad(pair, wrt=(0, 1))(1.5, 1.5)
    assert gx + gy == 2.0 and {gx, gy} <= {0.0, 1.0, 2.0}


# -- matmul -----------------------------------------------------------------------------

def matmul_operator(x, y, w):
    return np.sum(w * (x @ y))


def matmul_function(x, y, w):
    return np.sum(w * np.matmul(x, y))


MATMUL_SHAPES = {
    "2d@2d": lambda n, m, k, b: ((n, m), (m, k)),
    "2d@1d": lambda n, m, k, b: ((n, m), (m,)),
    "1d@2d": lambda n, m, k, b: ((m,), (m, k)),
    "1d@1d": lambda n, m, k, b: ((m,), (m,)),
    "3d@3d": lambda n, m, k, b: ((b, n, m), (b, m, k)),
    "3d@2d": lambda n, m, k, b: ((b, n, m), (m, k)),
    "2d@3d": lambda n, m, k, b: ((n, m), (b, m, k)),
    "3d@1d": lambda n, m, k, b: ((b, n, m), (m,)),
    "1d@3d": lambda n, m, k, b: ((m,), (b, m, k)),
    "batch-broadcast": lambda n, m, k, b: ((1, n, m), (b, m, k)),
}


@covers(("python", "matmul"))
@pytest.mark.parametrize("kind", list(MATMUL_SHAPES))
@FEW
@given(data=st.data())
def test_matmul(kind, data):
    n, m, k, b = (data.draw(st.integers(1, 4)) for _ in range(4))
    sx, sy = MATMUL_SHAPES[kind](n, m, k, b)
    x, y = data.draw(arrays(sx)), data.draw(arrays(sy))
    w = data.draw(weights(np.matmul(np.ones(sx), np.ones(sy)).shape))
    for case in (matmul_operator, matmul_function):
        assert_grad(case, x, y, w, wrt=(0, 1))
    assert_grad(matmul_operator, x, y, w, wrt=1)


M = np.array([[1.0, -2.0], [0.5, 3.0], [-1.5, 0.25]])   # a constant operand (a global)


def matmul_constant_operand(x, w):
    return np.sum(w * (M @ x)) + np.sum(x.T @ M.T)


def dot_constant_operand(x, w):
    return np.sum(w * np.dot(M, x)) + np.sum(M.T.dot(w) * x)


@covers(("python", "matmul"), ("numpy", "dot"), ("numpy", "transpose"))
@pytest.mark.parametrize("case", [matmul_constant_operand, dot_constant_operand],
                         ids=["@", "dot"])
@FEW
@given(data=st.data())
def test_matmul_with_constant_operand(case, data):
    # the constant's ndim is not known when the code is generated: the general form runs
    shape = data.draw(st.sampled_from([(2,), (2, 1), (2, 3)]))
    x = data.draw(arrays(shape))
    w = data.draw(weights((3,) + shape[1:]))
    assert_grad(case, x, w)


# -- indexing -----------------------------------------------------------------------------

IDX = np.array([0, 2, 0, 1, 0])        # repeated entries: their gradients add up
ROWS = np.array([0, 1, 0, 0])
COLS = np.array([2, 0, 2, 2])


def idx_int(x, w):
    return w * x[1]


def idx_negative_int(x, w):
    return w * x[-1]


def idx_slice(x, w):
    return np.sum(w * x[1:3])


def idx_tail(x, w):
    return np.sum(w * x[1:])


def idx_negative_slice(x, w):
    return np.sum(w * x[-3:-1])


def idx_step(x, w):
    return np.sum(w * x[::2])


def idx_reverse(x, w):
    return np.sum(w * x[::-1])


def idx_negative_step(x, w):
    return np.sum(w * x[-1:0:-2])


def idx_open_slice(x, w):
    return np.sum(w * x[:])


def idx_two_ints(x, w):
    return w * x[1, 2]


def idx_row(x, w):
    return np.sum(w * x[1])


def idx_column(x, w):
    return np.sum(w * x[:, -1])


def idx_tuple_slices(x, w):
    return np.sum(w * x[1:, ::-1])


def idx_3d_mixed(x, w):
    return np.sum(w * x[0, :, 1:3])


def idx_ellipsis(x, w):
    return np.sum(w * x[..., 0])


def idx_newaxis(x, w):
    return np.sum(w * x[:, None])


def idx_int_array(x, w):
    return np.sum(w * x[IDX])


def idx_list(x, w):
    return np.sum(w * x[[0, 0, 1]])


def idx_2d_int_arrays(x, w):
    return np.sum(w * x[ROWS, COLS])


def idx_int_array_and_slice(x, w):
    return np.sum(w * x[IDX, 1:])


def idx_of_expression(x, w):
    return np.sum(w * (x * x)[1:])


def idx_chained(x, w):
    return np.sum(w * x[1:][::-1][0])


INDEX_CASES = [  # case, minimal shape of x
    (idx_int, (3,)), (idx_negative_int, (1,)), (idx_slice, (3,)), (idx_tail, (2,)),
    (idx_negative_slice, (3,)),
    (idx_step, (1,)), (idx_reverse, (1,)), (idx_negative_step, (2,)), (idx_open_slice, (1,)),
    (idx_two_ints, (2, 3)), (idx_row, (2, 1)), (idx_column, (1, 1)), (idx_tuple_slices, (2, 1)),
    (idx_3d_mixed, (1, 1, 3)), (idx_ellipsis, (1,)), (idx_ellipsis, (2, 1, 1)),
    (idx_newaxis, (2, 2)), (idx_int_array, (3,)), (idx_int_array, (3, 2)), (idx_list, (2,)),
    (idx_2d_int_arrays, (2, 3)), (idx_int_array_and_slice, (3, 2)), (idx_of_expression, (2,)),
    (idx_chained, (3, 2)),
]


@covers(("python", "getitem"))
@pytest.mark.parametrize("case,min_shape", INDEX_CASES,
                         ids=[f"{c.__name__}-{len(s)}d" for c, s in INDEX_CASES])
@FEW
@given(data=st.data())
def test_getitem(case, min_shape, data):
    x = data.draw(arrays(draw_shape(data, min_shape)))
    w = data.draw(weights(output_shape(case, x=x)))
    assert_grad(case, x, w)


def idx_array_argument(x, idx, w):
    return np.sum(w * x[idx])


def idx_int_argument(x, i):
    return x[i] * 3.0 + x[i] * x[0]


def idx_repeated_reads(x):
    return x[0] * x[0] + x[0] * x[1] - x[-1]


def idx_mask_of_itself(x):
    return np.sum(x[x > 0] ** 2)


@covers(("python", "getitem"))
@FEW
@given(data=st.data())
def test_getitem_index_arguments(data):
    n = data.draw(st.integers(2, 6))
    x = data.draw(arrays((n, 2)))
    idx = np.array(data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=8)))
    assert_grad(idx_array_argument, x, idx, data.draw(weights((len(idx), 2))))
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    assert_grad(idx_array_argument, x, mask, data.draw(weights((int(mask.sum()), 2))))
    assert_grad(idx_int_argument, x[:, 0].copy(), data.draw(st.integers(-n, n - 1)))
    assert_grad(idx_repeated_reads, x[:, 0].copy())
    assert_grad(idx_mask_of_itself, data.draw(arrays((n,), nonzero(0.1, 2.0))))


def test_getitem_repeated_entries_closed_form():
    x = np.arange(4.0)
    g = ad.grad(idx_int_array)(x, np.ones(5))
    assert_close(g, [3.0, 1.0, 1.0, 0.0], 0, 0)


# ===========================================================================
# math.py: functions of Python floats
# ===========================================================================

def math_exp(x, a):
    return a * math.exp(x)


def math_log(x, a):
    return a * math.log(x)


def math_sqrt(x, a):
    return a * math.sqrt(x)


def math_sin(x, a):
    return a * math.sin(x)


def math_cos(x, a):
    return a * math.cos(x)


def math_tan(x, a):
    return a * math.tan(x)


def math_tanh(x, a):
    return a * math.tanh(x)


def math_chain(x, y):
    return math.exp(math.sin(x) * y) + math.log(1.0 + x * x) * math.sqrt(y) - math.tanh(x / y) \
        + math.cos(math.tan(0.5 * x))


MATH_CASES = [  # rule name, case, domain, an int in the domain
    ("exp", math_exp, reals(-3, 3), 1), ("log", math_log, reals(0.1, 5), 2),
    ("sqrt", math_sqrt, reals(0.1, 5), 3), ("sin", math_sin, reals(-4, 4), 2),
    ("cos", math_cos, reals(-4, 4), -1), ("tan", math_tan, reals(-1.3, 1.3), 1),
    ("tanh", math_tanh, reals(-3, 3), 1),
]


@covers(*[("math", name) for name, *_ in MATH_CASES])
@pytest.mark.parametrize("name,case,domain,integer", MATH_CASES, ids=[c[0] for c in MATH_CASES])
@FEW
@given(data=st.data())
def test_math_functions(name, case, domain, integer, data):
    x, a = data.draw(domain), data.draw(nonzero(0.5, 2.0))
    assert_grad(case, x, a)
    assert_grad(case, np.float64(x), a)
    assert_grad(case, x, a, wrt=(0, 1))
    assert_grad(case, integer, 2)


@covers(*[("math", name) for name, *_ in MATH_CASES])
@FEW
@given(x=reals(-1.5, 1.5), y=reals(0.5, 2.0))
def test_math_chain(x, y):
    assert_grad(math_chain, x, y, wrt=(0, 1))


# ===========================================================================
# numpy.py
# ===========================================================================

def np_exp(x, w):
    return np.sum(w * np.exp(x))


def np_log(x, w):
    return np.sum(w * np.log(x))


def np_sqrt(x, w):
    return np.sum(w * np.sqrt(x))


def np_sin(x, w):
    return np.sum(w * np.sin(x))


def np_cos(x, w):
    return np.sum(w * np.cos(x))


def np_tan(x, w):
    return np.sum(w * np.tan(x))


def np_tanh(x, w):
    return np.sum(w * np.tanh(x))


def np_abs(x, w):
    return np.sum(w * np.abs(x))


def np_absolute(x, w):
    return np.sum(w * np.absolute(x))


def np_fabs(x, w):
    return np.sum(w * np.fabs(x))


UNARY_CASES = [  # rule name, case, domain
    ("exp", np_exp, reals(-3, 3)), ("log", np_log, reals(0.1, 5)),
    ("sqrt", np_sqrt, reals(0.1, 5)), ("sin", np_sin, reals(-4, 4)),
    ("cos", np_cos, reals(-4, 4)), ("tan", np_tan, reals(-1.3, 1.3)),
    ("tanh", np_tanh, reals(-3, 3)), ("abs", np_abs, nonzero(0.1, 3)),
    ("abs", np_absolute, nonzero(0.1, 3)), ("abs", np_fabs, nonzero(0.1, 3)),
]


@covers(*[("numpy", name) for name, *_ in UNARY_CASES])
@pytest.mark.parametrize("name,case,domain", UNARY_CASES,
                         ids=[c[1].__name__ for c in UNARY_CASES])
@FEW
@given(data=st.data())
def test_numpy_unary(name, case, domain, data):
    shape = data.draw(shapes())
    x = data.draw(operand(shape, domain))
    w = data.draw(weights(shape))
    assert_grad(case, x, w)


def np_unary_chain(x):
    return np.sum(np.tanh(np.exp(np.sin(x)) * np.cos(x)) + np.sqrt(np.abs(x)) * np.log(x * x)
                  + np.tan(0.3 * x))


@covers(*[("numpy", name) for name, *_ in UNARY_CASES])
@FEW
@given(x=arrays(shapes(0, 2), nonzero(0.2, 2.0)))
def test_numpy_unary_chain(x):
    assert_grad(np_unary_chain, x)


# -- maximum / minimum -------------------------------------------------------------------

def np_maximum(x, y, w):
    return np.sum(w * np.maximum(x, y))


def np_minimum(x, y, w):
    return np.sum(w * np.minimum(x, y))


def np_relu(x, w):
    return np.sum(w * np.maximum(x, 0) + np.maximum(0.0, -x))


def np_clip_below(x, w):
    return np.sum(w * np.minimum(x, 0.0) + np.minimum(1, x))


@covers(("numpy", "maximum"), ("numpy", "minimum"))
@pytest.mark.parametrize("case", [np_maximum, np_minimum], ids=["maximum", "minimum"])
@SOME
@given(data=st.data())
def test_maximum_minimum(case, data):
    # the two grids are offset by 0.25: no ties anywhere, whatever broadcasting pairs up
    sx, sy = data.draw(broadcast_pairs())
    x, y = data.draw(operand(sx, grid(0.1))), data.draw(operand(sy, grid(0.35)))
    w = data.draw(weights(np.broadcast_shapes(sx, sy)))
    assert_grad(case, x, y, w, wrt=(0, 1))
    assert_grad(case, x, y, w, wrt=1)


@covers(("numpy", "maximum"), ("numpy", "minimum"))
@pytest.mark.parametrize("case", [np_relu, np_clip_below], ids=["relu", "clip"])
@FEW
@given(data=st.data())
def test_maximum_minimum_with_constant(case, data):
    shape = data.draw(shapes())
    x = data.draw(operand(shape, grid(0.1, 0.5, 6)))   # 1.0 and 0.0 are not on the grid
    assert_grad(case, x, data.draw(weights(shape)))


def np_maximum_self(x):
    return np.sum(np.maximum(x, x) + np.minimum(x, x))


@covers(("numpy", "maximum"), ("numpy", "minimum"))
def test_maximum_minimum_tie():
    # maximum(x, x) = minimum(x, x) = x: an even split of the tie still gives 1 each
    x = np.array([-1.0, 0.0, 2.0])
    assert_close(ad.grad(np_maximum_self)(x), 2.0 * np.ones(3), 0, 0)
    gx, gy = ad.grad(np_maximum, wrt=(0, 1))(x, x.copy(), np.ones(3))
    assert_close(gx + gy, np.ones(3), 0, 0)


# -- dot -------------------------------------------------------------------------------------

def dot_function(x, y, w):
    return np.sum(w * np.dot(x, y))


def dot_method(x, y, w):
    return np.sum(w * x.dot(y))


DOT_SHAPES = {
    "2d.2d": lambda n, m, k: ((n, m), (m, k)),
    "2d.1d": lambda n, m, k: ((n, m), (m,)),
    "1d.2d": lambda n, m, k: ((m,), (m, k)),
    "1d.1d": lambda n, m, k: ((m,), (m,)),
    "3d.1d": lambda n, m, k: ((k, n, m), (m,)),
    "3d.2d": lambda n, m, k: ((k, n, m), (m, n)),
    "2d.0d": lambda n, m, k: ((n, m), ()),
    "0d.1d": lambda n, m, k: ((), (m,)),
}


@covers(("numpy", "dot"))
@pytest.mark.parametrize("kind", list(DOT_SHAPES))
@FEW
@given(data=st.data())
def test_dot(kind, data):
    n, m, k = (data.draw(st.integers(1, 4)) for _ in range(3))
    sx, sy = DOT_SHAPES[kind](n, m, k)
    x = data.draw(operand(sx))
    y = data.draw(operand(sy))
    w = data.draw(weights(np.dot(np.ones(sx), np.ones(sy)).shape))
    assert_grad(dot_function, x, y, w, wrt=(0, 1))
    assert_grad(dot_function, x, y, w, wrt=0)
    assert_grad(dot_method, np.asarray(x), y, w, wrt=(0, 1))


# -- transpose -----------------------------------------------------------------------------

def transpose_attribute(x, w):
    return np.sum(w * x.T)


def transpose_function(x, w):
    return np.sum(w * np.transpose(x))


def transpose_method(x, w):
    return np.sum(w * x.transpose())


def transpose_axes_function(x, w):
    return np.sum(w * np.transpose(x, (1, 2, 0)))


def transpose_axes_keyword(x, w):
    return np.sum(w * np.transpose(x, axes=(2, 0, 1)))


def transpose_negative_axes(x, w):
    return np.sum(w * np.transpose(x, (-1, 0, 1)))


def transpose_axes_method_tuple(x, w):
    return np.sum(w * x.transpose((0, 2, 1)))


def transpose_axes_method_varargs(x, w):
    return np.sum(w * x.transpose(2, 0, 1))


def transpose_of_expression(x, w):
    return np.sum(w * (x * 2.0).T.T.T)


TRANSPOSE_CASES = [  # case, possible ndims of x
    (transpose_attribute, (0, 1, 2, 3)), (transpose_function, (1, 2, 3)),
    (transpose_method, (1, 2, 3)), (transpose_axes_function, (3,)),
    (transpose_axes_keyword, (3,)), (transpose_negative_axes, (3,)),
    (transpose_axes_method_tuple, (3,)),
    (transpose_axes_method_varargs, (3,)), (transpose_of_expression, (2, 3)),
]


@covers(("numpy", "transpose"))
@pytest.mark.parametrize("case,ndims", TRANSPOSE_CASES, ids=[c.__name__ for c, _ in TRANSPOSE_CASES])
@FEW
@given(data=st.data())
def test_transpose(case, ndims, data):
    ndim = data.draw(st.sampled_from(ndims))
    x = data.draw(arrays(data.draw(shapes(ndim, ndim))))
    w = data.draw(weights(output_shape(case, x=x)))
    assert_grad(case, x, w)


def transpose_axes_argument(x, w, axes):
    return np.sum(w * np.transpose(x, axes))


@covers(("numpy", "transpose"))
@FEW
@given(data=st.data())
def test_transpose_axes_from_argument(data):
    """axes passed as a (non-differentiated) argument: None or a permutation, unknown at
    compile time."""
    ndim = data.draw(st.integers(1, 3))
    x = data.draw(arrays(data.draw(shapes(ndim, ndim))))
    axes = data.draw(st.one_of(st.none(), st.permutations(range(ndim)).map(tuple)))
    w = data.draw(weights(output_shape(transpose_axes_argument, x=x, axes=axes)))
    assert_grad(transpose_axes_argument, x, w, axes)


# -- reductions: sum, mean, max ----------------------------------------------------------------

def sum_all(x, w):
    return w * np.sum(x)


def sum_method(x, w):
    return w * x.sum()


def sum_keepdims_all(x, w):
    return np.sum(w * np.sum(x, keepdims=True))


def sum_axis0(x, w):
    return np.sum(w * np.sum(x, axis=0))


def sum_axis_negative_keepdims(x, w):
    return np.sum(w * np.sum(x, axis=-1, keepdims=True))


def sum_axis_positional(x, w):
    return np.sum(w * np.sum(x, 1))


def sum_axis_tuple(x, w):
    return np.sum(w * np.sum(x, axis=(0, 2)))


def sum_axis_tuple_keepdims(x, w):
    return np.sum(w * np.sum(x, axis=(0, -1), keepdims=True))


def sum_method_axis(x, w):
    return np.sum(w * x.sum(axis=-2))


def sum_method_axis_keepdims(x, w):
    return np.sum(w * x.sum(1, keepdims=True))


def sum_keepdims_false(x, w):
    return np.sum(w * np.sum(x, axis=(-1, -2), keepdims=False))


def mean_all(x, w):
    return w * np.mean(x)


def mean_method(x, w):
    return w * x.mean()


def mean_keepdims_all(x, w):
    return np.sum(w * np.mean(x, keepdims=True))


def mean_axis0(x, w):
    return np.sum(w * np.mean(x, axis=0))


def mean_axis_negative_keepdims(x, w):
    return np.sum(w * np.mean(x, axis=-1, keepdims=True))


def mean_axis_positional(x, w):
    return np.sum(w * np.mean(x, 1))


def mean_axis_tuple(x, w):
    return np.sum(w * np.mean(x, axis=(0, 2)))


def mean_axis_tuple_keepdims(x, w):
    return np.sum(w * np.mean(x, axis=(0, -1), keepdims=True))


def mean_method_axis(x, w):
    return np.sum(w * x.mean(axis=-2))


def mean_method_axis_keepdims(x, w):
    return np.sum(w * x.mean(1, keepdims=True))


def mean_keepdims_false(x, w):
    return np.sum(w * np.mean(x, axis=(-1, -2), keepdims=False))


def max_all(x, w):
    return w * np.max(x)


def max_method(x, w):
    return w * x.max()


def max_amax(x, w):
    return np.sum(w * np.amax(x, axis=0))


def max_keepdims_all(x, w):
    return np.sum(w * np.max(x, keepdims=True))


def max_axis0(x, w):
    return np.sum(w * np.max(x, axis=0))


def max_axis_negative_keepdims(x, w):
    return np.sum(w * np.max(x, axis=-1, keepdims=True))


def max_axis_positional(x, w):
    return np.sum(w * np.max(x, 1))


def max_axis_tuple(x, w):
    return np.sum(w * np.max(x, axis=(0, 2)))


def max_axis_tuple_keepdims(x, w):
    return np.sum(w * np.max(x, axis=(0, -1), keepdims=True))


def max_method_axis(x, w):
    return np.sum(w * x.max(axis=-2))


def max_method_axis_keepdims(x, w):
    return np.sum(w * x.max(1, keepdims=True))


def max_keepdims_false(x, w):
    return np.sum(w * np.max(x, axis=(-1, -2), keepdims=False))


def reduction_cases(prefix, extra=()):
    """(case, minimal ndim, accepts a Python float) for each spelling of a reduction."""
    g = globals()
    table = [("all", 0, True), ("method", 0, False), ("keepdims_all", 0, True), ("axis0", 1, False),
             ("axis_negative_keepdims", 1, False), ("axis_positional", 2, False),
             ("axis_tuple", 3, False), ("axis_tuple_keepdims", 2, False),
             ("method_axis", 2, False), ("method_axis_keepdims", 2, False),
             ("keepdims_false", 2, False)] + list(extra)
    return [(g[f"{prefix}_{suffix}"], ndim, scalar) for suffix, ndim, scalar in table]


def check_reduction(case, min_ndim, scalar_ok, data, elements, max_side=4, unique=False):
    if scalar_ok and data.draw(st.booleans()):
        x = data.draw(elements)        # a Python float
    else:
        shape = data.draw(shapes(min_ndim, 3, max_side=max_side))
        x = data.draw(arrays(shape, elements, unique=unique))
    w = data.draw(weights(output_shape(case, x=x)))
    assert_grad(case, x, w)


@covers(("numpy", "sum"))
@pytest.mark.parametrize("case,min_ndim,scalar_ok", reduction_cases("sum"),
                         ids=lambda v: getattr(v, "__name__", None))
@FEW
@given(data=st.data())
def test_sum(case, min_ndim, scalar_ok, data):
    check_reduction(case, min_ndim, scalar_ok, data, reals())


@covers(("numpy", "mean"))
@pytest.mark.parametrize("case,min_ndim,scalar_ok", reduction_cases("mean"),
                         ids=lambda v: getattr(v, "__name__", None))
@FEW
@given(data=st.data())
def test_mean(case, min_ndim, scalar_ok, data):
    check_reduction(case, min_ndim, scalar_ok, data, reals())


@covers(("numpy", "max"))
@pytest.mark.parametrize("case,min_ndim,scalar_ok",
                         reduction_cases("max", extra=[("amax", 1, False)]),
                         ids=lambda v: getattr(v, "__name__", None))
@FEW
@given(data=st.data())
def test_max(case, min_ndim, scalar_ok, data):
    # distinct grid values: no ties, so the reduction is differentiable
    check_reduction(case, min_ndim, scalar_ok, data, grid(0.0, 0.25, 40), max_side=3,
                    unique=True)


def sum_static_arguments(x, w, axis, keepdims):
    return np.sum(w * np.sum(x, axis=axis, keepdims=keepdims))


def mean_static_arguments(x, w, axis, keepdims):
    return np.sum(w * np.mean(x, axis=axis, keepdims=keepdims))


def max_static_arguments(x, w, axis, keepdims):
    return np.sum(w * np.max(x, axis=axis, keepdims=keepdims))


@st.composite
def axis_arguments(draw, ndim):
    """axis = None, an int (maybe negative) or a tuple of distinct axes; keepdims True/False."""
    choices = [st.none()]
    if ndim:
        choices.append(st.integers(-ndim, ndim - 1))
        choices.append(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)
                       .map(lambda axes: tuple(a - ndim if i % 2 else a
                                               for i, a in enumerate(axes))))
    return draw(st.one_of(*choices)), draw(st.booleans())


@covers(("numpy", "sum"), ("numpy", "mean"), ("numpy", "max"))
@pytest.mark.parametrize("case", [sum_static_arguments, mean_static_arguments,
                                  max_static_arguments], ids=["sum", "mean", "max"])
@SOME
@given(data=st.data())
def test_reduction_axis_from_argument(case, data):
    """axis and keepdims passed as (non-differentiated) arguments, unknown at compile time."""
    shape = data.draw(shapes(0, 3, max_side=3))
    x = data.draw(arrays(shape, grid(0.0, 0.25, 40), unique=True))
    axis, keepdims = data.draw(axis_arguments(len(shape)))
    reference = {"sum": np.sum, "mean": np.mean, "max": np.max}[case.__name__.split("_")[0]]
    w = data.draw(weights(np.shape(reference(x, axis=axis, keepdims=keepdims))))
    assert_grad(case, x, w, axis, keepdims)


def max_with_ties(x):
    return np.sum(np.max(x, axis=1))


@covers(("numpy", "max"))
def test_max_reduction_tie_is_a_subgradient():
    # at a tie the gradient is split among the maximisers: each row's gradient sums to 1
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, 5.0, -1.0]])
    g = ad.grad(max_with_ties)(x)
    assert_close(g.sum(axis=1), np.ones(3), 0, 1e-15)
    assert_close(g[[0, 0, 1, 2], [0, 1, 0, 0]], [0, 0.5, 1 / 3, 0], 0, 1e-15)


# -- the generated code is specialised per argument ndim: same function, many ndims -------

def mixed_rules(x, y):
    return np.sum(np.tanh(x) * y + np.maximum(x, 0.0) * 2.0 - np.mean(x * y)) / 3.0


@covers(("python", "add"), ("python", "sub"), ("python", "mul"), ("python", "truediv"),
        ("numpy", "tanh"), ("numpy", "maximum"), ("numpy", "sum"), ("numpy", "mean"))
def test_one_function_many_ndims():
    rng = np.random.default_rng(0)
    f_grad = ad.grad(mixed_rules, wrt=(0, 1))
    for sx, sy in [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 1, 3), (4, 1)), ((3,), ())]:
        x = rng.uniform(0.2, 1.0, sx) * rng.choice([-1, 1], sx)
        y = rng.normal(size=sy)
        if sx == ():
            x = float(x)
        if sy == ():
            y = float(y)
        assert_grad(mixed_rules, x, y, wrt=(0, 1))
        g = f_grad(x, y)
        assert np.shape(g[0]) == np.shape(x) and np.shape(g[1]) == np.shape(y)


def test_rules_keyed_by_module_and_name():
    # the same rule name may be registered in two modules (math.exp and np.exp)
    names = [r.name for r in REGISTRY.rules if r.module is not None]
    keys = registered_rules()
    assert len(keys) == len(names), "two rules in one module share a name"


# -- more elementwise functions -------------------------------------------------------------

def np_exp2(x, w):
    return np.sum(w * np.exp2(x))


def np_expm1(x, w):
    return np.sum(w * np.expm1(x))


def np_log2(x, w):
    return np.sum(w * np.log2(x))


def np_log10(x, w):
    return np.sum(w * np.log10(x))


def np_log1p(x, w):
    return np.sum(w * np.log1p(x))


def np_cbrt(x, w):
    return np.sum(w * np.cbrt(x))


def np_square(x, w):
    return np.sum(w * np.square(x))


def np_reciprocal(x, w):
    return np.sum(w * np.reciprocal(x))


def np_arcsin(x, w):
    return np.sum(w * np.arcsin(x))


def np_arccos(x, w):
    return np.sum(w * np.arccos(x))


def np_arctan(x, w):
    return np.sum(w * np.arctan(x))


def np_sinh(x, w):
    return np.sum(w * np.sinh(x))


def np_cosh(x, w):
    return np.sum(w * np.cosh(x))


def np_arcsinh(x, w):
    return np.sum(w * np.arcsinh(x))


def np_arccosh(x, w):
    return np.sum(w * np.arccosh(x))


def np_arctanh(x, w):
    return np.sum(w * np.arctanh(x))


def np_negative(x, w):
    return np.sum(w * np.negative(x))


MORE_UNARY_CASES = [  # module, rule name, case, domain
    ("numpy", "exp2", np_exp2, reals(-3, 3)), ("numpy", "expm1", np_expm1, reals(-3, 3)),
    ("numpy", "log2", np_log2, reals(0.1, 5)), ("numpy", "log10", np_log10, reals(0.1, 5)),
    ("numpy", "log1p", np_log1p, reals(-0.8, 3)), ("numpy", "cbrt", np_cbrt, nonzero(0.2, 3)),
    ("numpy", "square", np_square, reals()), ("numpy", "reciprocal", np_reciprocal, nonzero(0.3, 3)),
    ("numpy", "arcsin", np_arcsin, reals(-0.9, 0.9)), ("numpy", "arccos", np_arccos, reals(-0.9, 0.9)),
    ("numpy", "arctan", np_arctan, reals(-3, 3)), ("numpy", "sinh", np_sinh, reals(-2, 2)),
    ("numpy", "cosh", np_cosh, reals(-2, 2)), ("numpy", "arcsinh", np_arcsinh, reals(-3, 3)),
    ("numpy", "arccosh", np_arccosh, reals(1.1, 4)), ("numpy", "arctanh", np_arctanh, reals(-0.9, 0.9)),
    ("python", "neg", np_negative, reals()),
]


@covers(*[(module, name) for module, name, *_ in MORE_UNARY_CASES])
@pytest.mark.parametrize("module,name,case,domain", MORE_UNARY_CASES,
                         ids=[c[2].__name__ for c in MORE_UNARY_CASES])
@FEW
@given(data=st.data())
def test_numpy_more_unary(module, name, case, domain, data):
    shape = data.draw(shapes())
    x = data.draw(operand(shape, domain))
    assert_grad(case, x, data.draw(weights(shape)))


def np_arctan2(x, y, w):
    return np.sum(w * np.arctan2(x, y))


def np_hypot(x, y, w):
    return np.sum(w * np.hypot(x, y))


def np_logaddexp(x, y, w):
    return np.sum(w * np.logaddexp(x, y))


def np_power(x, y, w):
    return np.sum(w * np.power(x, y))


def np_add(x, y, w):
    return np.sum(w * np.add(x, y))


def np_subtract(x, y, w):
    return np.sum(w * np.subtract(x, y))


def np_multiply(x, y, w):
    return np.sum(w * np.multiply(x, y))


def np_divide(x, y, w):
    return np.sum(w * np.divide(x, y))


BINARY_UFUNC_CASES = [  # module, rule name, case, x domain, y domain
    ("numpy", "arctan2", np_arctan2, nonzero(), nonzero()),
    ("numpy", "hypot", np_hypot, nonzero(), nonzero()),
    ("numpy", "logaddexp", np_logaddexp, reals(-3, 3), reals(-3, 3)),
    ("python", "pow", np_power, reals(0.3, 2.0), reals()),
    ("python", "add", np_add, reals(), reals()),
    ("python", "sub", np_subtract, reals(), reals()),
    ("python", "mul", np_multiply, reals(), reals()),
    ("python", "truediv", np_divide, reals(), nonzero()),
]


@covers(*[(module, name) for module, name, *_ in BINARY_UFUNC_CASES])
@pytest.mark.parametrize("module,name,case,xs,ys", BINARY_UFUNC_CASES,
                         ids=[c[2].__name__ for c in BINARY_UFUNC_CASES])
@FEW
@given(data=st.data())
def test_numpy_binary_ufuncs(module, name, case, xs, ys, data):
    check_binary(data, case, xs, ys)
    check_binary(data, case, xs, ys, wrt=data.draw(st.sampled_from([0, 1])))


def sum_logaddexp(x, y):
    return np.sum(np.logaddexp(x, y))


def sum_logaddexp2(x, y):
    return np.sum(np.logaddexp2(x, y))


@covers(("numpy", "logaddexp"), ("numpy", "logaddexp2"))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logaddexp_shares_far_apart(dtype):
    """d/dx log(e^x + e^y) = 1 / (1 + e^(y - x)): exact in relative terms for a tiny share,
    with no overflow warning, where x and y are far apart; infinite operands (z is then
    the larger, whose share is 1) and ties (one half each)."""
    x = np.array([0.0, 30.0, -30.0, 80.0, -80.0, 700.0, -700.0, 5.0, np.inf, -np.inf],
                 dtype=dtype)
    y = np.array([0.0, 0.0, 0.0, -5.0, 5.0, -700.0, 700.0, 5.0, 3.0, 3.0], dtype=dtype)
    g, g2 = ad.grad(sum_logaddexp, wrt=(0, 1)), ad.grad(sum_logaddexp2, wrt=(0, 1))
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # underflow is exact
        (x_bar, y_bar), (x_bar2, y_bar2) = g(x, y), g2(x, y)
    d = (x - y).astype(np.float64)
    d[-2:] = [np.inf, -np.inf]
    with np.errstate(over="ignore"):   # 1 / (1 + inf) = 0 is right
        cases = ((x_bar, y_bar, 1.0 / (1.0 + np.exp(-d)), 1.0 / (1.0 + np.exp(d))),
                 (x_bar2, y_bar2, 1.0 / (1.0 + np.exp2(-d)), 1.0 / (1.0 + np.exp2(d))))
    for share, other, expected, expected_other in cases:
        assert share.dtype == other.dtype == dtype
        tiny = np.finfo(dtype).tiny   # shares below it are subnormal or zero in dtype
        rtol = 1e-6 if dtype == np.float32 else 1e-14
        for got, want in ((share, expected), (other, expected_other)):
            normal = want > tiny
            np.testing.assert_allclose(got[normal], want[normal], rtol=rtol)
            assert np.all(np.abs(got[~normal]) <= 2 * tiny)


def np_power_constant(x, w):
    return np.sum(w * np.power(x, 3) + np.power(2.0, x))


@covers(("python", "pow"))
@FEW
@given(data=st.data())
def test_np_power_constant_exponent(data):
    shape = data.draw(shapes())
    assert_grad(np_power_constant, data.draw(operand(shape)), data.draw(weights(shape)))


# -- clip, where, sign -------------------------------------------------------------------------

def clip_constants(x, w):
    return np.sum(w * np.clip(x, -0.5, 1.0))


def clip_method(x, w):
    return np.sum(w * x.clip(-1.0, 0.5))


def clip_one_sided(x, w):
    return np.sum(w * np.clip(x, None, 0.5) + np.clip(x, -0.5, None))


def clip_keywords(x, w):
    # NumPy 2's spellings, and the method's: a bound left out is no bound
    return np.sum(w * (x.clip(min=-0.5) + x.clip(max=0.5) ** 2 + np.clip(x, min=-1.0, max=1.0)
                       + np.clip(x, a_min=-0.5, a_max=1.0) ** 3))


def clip_active_bounds(x, lo, hi, w):
    return np.sum(w * np.clip(x, lo, hi))


def clip_active_keywords(x, lo, hi, w):
    return np.sum(w * np.clip(x, min=lo, max=hi)) + np.sum(w * np.clip(x, max=hi) ** 2)


@covers(("numpy", "clip"))
@pytest.mark.parametrize("case", [clip_constants, clip_method, clip_one_sided, clip_keywords],
                         ids=lambda c: c.__name__)
@FEW
@given(data=st.data())
def test_clip(case, data):
    # the grid 0.1 + 0.5 k never meets the bounds: no ties
    method = case in (clip_method, clip_keywords)
    shape = data.draw(shapes(1 if method else 0))
    x = data.draw(operand(shape, grid(0.1, 0.5, 6), python_float=not method))
    assert_grad(case, x, data.draw(weights(shape)))


@covers(("numpy", "clip"))
@FEW
@given(data=st.data())
def test_clip_active_bounds(data):
    sx, sb = data.draw(broadcast_pairs())
    x = data.draw(operand(sx, grid(0.1)))
    lo = data.draw(operand(sb, grid(0.35, 0.5, 4)))
    hi = lo + 1.5                                       # offset 0.35 from the grid too
    w = data.draw(weights(np.broadcast_shapes(sx, sb)))
    assert_grad(clip_active_bounds, x, lo, hi, w, wrt=(0, 1, 2))
    assert_grad(clip_active_keywords, x, lo, hi, w, wrt=(0, 1, 2))


def clip_crossed_bounds(x, lo, hi):
    return np.sum(np.clip(x, lo, hi) ** 3 * np.arange(6.0).reshape(2, 3)) \
        + np.sum(x.clip(min=lo, max=hi) * np.arange(6.0).reshape(2, 3))


def clip_bound_named_none(x, lo):
    hi = None
    return np.sum(np.clip(x, lo, hi) ** 2)


def test_clip_with_crossed_bounds():
    """Where a_min > a_max NumPy's clip gives a_max (minimum(maximum(x, a_min), a_max)):
    a_min got the gradient there, a_max none (a wrong gradient, both modes); now a bound gets
    it where the result is that bound and not x."""
    x = np.array([0.3, -0.5, 1.0])
    lo = np.array([[0.0, -1.0, 0.5], [0.4, -0.6, 2.0]])   # 2.0 above hi's 1.5: crossed
    hi = np.array([1.5, 0.2, -0.3])                        # -0.3 below both of lo's 0.5, 2.0
    assert_grad(clip_crossed_bounds, x, lo, hi, wrt=(0, 1, 2))
    assert_hessian(clip_crossed_bounds, x, lo, hi, wrt=1)
    assert_grad(clip_bound_named_none, x, lo, wrt=(0, 1))


def clip_both_spellings(x):
    return np.sum(np.clip(x, a_min=0.0, min=0.0))


def test_clip_bound_given_twice_is_refused():
    with pytest.raises(ad.TransformError, match="argument a_min given twice"):
        ad.grad(clip_both_spellings)(np.array([0.5, -1.0]))


def where_case(c, x, y, w):
    return np.sum(w * np.where(c, x, y))


def where_of_itself(x, w):
    return np.sum(w * np.where(x > 0, np.log(np.abs(x) + 1.0), 2.0 * x))


def where_masks_nan(x):
    # log(x) is NaN where x < 0, but that side is not selected: the gradient stays finite
    return np.sum(np.where(x > 0, x * x, 0.0) + np.where(x > 0, 0.0, -x))


@covers(("numpy", "where"))
@FEW
@given(data=st.data())
def test_where(data):
    sx, sy = data.draw(broadcast_pairs())
    sc = data.draw(st.sampled_from([(), sx, sy, np.broadcast_shapes(sx, sy)]))
    c = np.array(data.draw(arrays(sc, reals())) > 0)
    x, y = data.draw(operand(sx)), data.draw(operand(sy))
    w = data.draw(weights(np.broadcast_shapes(sc, sx, sy)))
    assert_grad(where_case, c, x, y, w, wrt=(1, 2))
    shape = data.draw(shapes())
    assert_grad(where_of_itself, data.draw(operand(shape, nonzero(0.1, 2))),
                data.draw(weights(shape)))
    assert_grad(where_masks_nan, data.draw(arrays(shape, nonzero(0.1, 2))))


def sign_case(x, w):
    return np.sum(w * np.sign(x) * x)


@FEW
@given(data=st.data())
def test_sign_has_zero_gradient(data):
    shape = data.draw(shapes())
    x = data.draw(operand(shape, nonzero(0.1, 2)))
    w = data.draw(weights(shape))
    g = assert_grad(sign_case, x, w)
    assert_close(g, w * np.sign(x), 1e-12, 0)


# -- more reductions: min, prod, var, std (axis int / tuple / negative / None, keepdims) ----

def min_static_arguments(x, w, axis, keepdims):
    return np.sum(w * np.min(x, axis=axis, keepdims=keepdims))


def prod_static_arguments(x, w, axis, keepdims):
    return np.sum(w * np.prod(x, axis=axis, keepdims=keepdims))


def var_static_arguments(x, w, axis, keepdims):
    return np.sum(w * np.var(x, axis=axis, keepdims=keepdims))


def std_static_arguments(x, w, axis, keepdims):
    return np.sum(w * np.std(x, axis=axis, keepdims=keepdims))


REDUCTIONS = {"min": np.min, "prod": np.prod, "var": np.var, "std": np.std}


@covers(("numpy", "max"), ("numpy", "prod"), ("numpy", "var"), ("numpy", "std"))
@pytest.mark.parametrize("case", [min_static_arguments, prod_static_arguments,
                                  var_static_arguments, std_static_arguments],
                         ids=["min", "prod", "var", "std"])
@SOME
@given(data=st.data())
def test_more_reductions_axis_from_argument(case, data):
    shape = data.draw(shapes(0, 3, max_side=3))
    # distinct values (no ties for min, no zero spread for std), away from zero for prod
    x = data.draw(arrays(shape, grid(0.05, 0.05, 40), unique=True))
    axis, keepdims = data.draw(axis_arguments(len(shape)))
    reference = REDUCTIONS[case.__name__.split("_")[0]]
    if reference is np.std and np.size(x) and np.any(reference(x, axis=axis) == 0):
        return  # one entry per group: std has its kink there
    w = data.draw(weights(np.shape(reference(x, axis=axis, keepdims=keepdims))))
    assert_grad(case, x, w, axis, keepdims)


def min_spellings(x, w):
    return (np.sum(w * np.min(x, axis=0)) + np.amin(x) * 2.0 + np.sum(x.min(-1, keepdims=True))
            + x.min())


def prod_spellings(x, w):
    return np.sum(w * np.prod(x, axis=0)) + np.prod(x) + np.sum(x.prod(axis=(0, -1))) + x.prod()


def var_std_spellings(x, w):
    return (np.sum(w * np.var(x, axis=0)) + np.std(x) + np.sum(x.var(-1, keepdims=True))
            + np.sum(x.std(axis=(0, 1), ddof=1)) + np.var(x, ddof=1))


@covers(("numpy", "max"), ("numpy", "prod"), ("numpy", "var"), ("numpy", "std"))
@pytest.mark.parametrize("case", [min_spellings, prod_spellings, var_std_spellings],
                         ids=["min", "prod", "var-std"])
@FEW
@given(data=st.data())
def test_more_reductions_spellings(case, data):
    shape = data.draw(shapes(3, 3, min_side=2, max_side=3))
    x = data.draw(arrays(shape, grid(0.05, 0.05, 40), unique=True))
    w = data.draw(weights(shape[1:]))
    assert_grad(case, x, w)


def prod_with_zeros(x):
    return np.sum(np.prod(x, axis=1)) + np.prod(x)


@covers(("numpy", "prod"))
def test_prod_gradient_at_zeros():
    x = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 4.0]])
    g = assert_grad(prod_with_zeros, x)
    assert_close(g, [[6.0, 0, 0], [0, 0, 0], [8.0, 4.0, 2.0]], 0, 0)


def min_with_ties(x):
    return np.sum(np.min(x, axis=0))


@covers(("numpy", "max"))
def test_min_tie_is_shared():
    g = ad.grad(min_with_ties)(np.array([[1.0, 2.0], [1.0, 0.0]]))
    assert_close(g, [[0.5, 0.0], [0.5, 1.0]], 0, 0)


def std_of_constant(x):
    return np.std(x * 0.0 + 1.0) + np.sum(np.std(x, axis=0))


@covers(("numpy", "std"))
def test_std_zero_spread_has_zero_gradient():
    g = ad.grad(std_of_constant)(np.array([[1.0, 2.0, 3.0]]))
    assert_close(g, np.zeros((1, 3)), 0, 0)


def cumsum_case(x, w, axis):
    return np.sum(w * np.cumsum(x, axis=axis))


def cumprod_case(x, w, axis):
    return np.sum(w * np.cumprod(x, axis=axis))


def cumulative_spellings(x, w):
    return (np.sum(w * np.cumsum(x, 1)) + np.sum(x.cumsum() ** 2) + np.sum(w * x.cumprod(-1))
            + np.sum(np.cumprod(x)) + np.sum(np.cumsum(x, axis=-2)[0]))


@covers(("numpy", "cumsum"), ("numpy", "cumprod"))
@pytest.mark.parametrize("case", [cumsum_case, cumprod_case], ids=["cumsum", "cumprod"])
@FEW
@given(data=st.data())
def test_cumulative(case, data):
    shape = data.draw(shapes(0, 3))
    x = data.draw(operand(shape, nonzero(0.5, 1.5)))
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1))) \
        if shape else None
    reference = np.cumsum if case is cumsum_case else np.cumprod
    w = data.draw(weights(reference(x, axis=axis).shape))
    assert_grad(case, x, w, axis)


@covers(("numpy", "cumsum"), ("numpy", "cumprod"))
@FEW
@given(data=st.data())
def test_cumulative_spellings(data):
    shape = data.draw(shapes(2, 2))
    x = data.draw(arrays(shape, nonzero(0.5, 1.5)))
    assert_grad(cumulative_spellings, x, data.draw(weights(shape)))


def cumprod_zero(x):
    return np.sum(np.cumprod(x) * np.array([1.0, 2.0, 3.0, 4.0]))


@covers(("numpy", "cumprod"))
def test_cumprod_at_zero():
    assert_grad(cumprod_zero, np.array([2.0, 0.0, 3.0, 0.5]))
    assert_grad(cumprod_zero, np.array([0.0, 0.0, 3.0, 0.5]))


def logsumexp(x):
    m = x.max()
    return m + np.log(np.sum(np.exp(x - m)))


def logsumexp_rows(x, w):
    m = np.max(x, axis=-1, keepdims=True)
    return np.sum(w * (m[..., 0] + np.log(np.sum(np.exp(x - m), axis=-1))))


def softmax_cross_entropy(x, y):
    z = x - x.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return -np.mean(np.sum(y * np.log(p), axis=1))


@covers(("numpy", "max"), ("numpy", "sum"), ("numpy", "mean"))
@FEW
@given(data=st.data())
def test_logsumexp_user_code(data):
    shape = data.draw(shapes(1, 3, min_side=2))
    x = data.draw(arrays(shape, grid(0.05, 0.05, 40), unique=True))
    g = assert_grad(logsumexp, x)
    e = np.exp(x - x.max())
    assert_close(g, e / e.sum(), 1e-12, 1e-14)
    assert_grad(logsumexp_rows, x, data.draw(weights(shape[:-1])))
    if len(shape) == 2:
        y = data.draw(arrays(shape, reals(0.0, 1.0)))
        assert_grad(softmax_cross_entropy, x, y)


# -- shape operations (linear: forward mode applies the primitive to the tangent) -------------

REPS = np.array([2, 0, 1])      # np.repeat with per-entry counts, one of them zero


def reshape_function(x, w):
    return np.sum(w * np.reshape(x, (-1,)))


def reshape_method(x, w):
    return np.sum(w * x.reshape(1, -1, 1)) + np.sum(x.reshape((x.size,)) ** 2)


def reshape_shape_argument(x, w):
    return np.sum(w * np.reshape(x * x, x.shape[::-1]))


def ravel_spellings(x, w):
    return np.sum(w * np.ravel(x)) + np.sum(x.ravel() ** 2) + np.sum(x.flatten() ** 3)


def swapaxes_function(x, w):
    return np.sum(w * np.swapaxes(x, 0, -1))


def swapaxes_method(x, w):
    return np.sum(w * x.swapaxes(1, 0))


def moveaxis_case(x, w):
    return np.sum(w * np.moveaxis(x, 0, -1))


def moveaxis_tuples(x, w):
    return np.sum(w * np.moveaxis(x, (0, 1), (-1, 0)))


def expand_dims_case(x, w):
    return np.sum(w * np.expand_dims(x, 0))


def expand_dims_tuple(x, w):
    return np.sum(w * np.expand_dims(x, (0, -1)))


def squeeze_all(x, w):
    return np.sum(w * np.squeeze(x)) + np.sum(x.squeeze() ** 2)


def squeeze_axis(x, w):
    return np.sum(w * np.squeeze(x, axis=1))


def broadcast_to_case(x, w):
    return np.sum(w * np.broadcast_to(x, (2,) + np.shape(x)))


def broadcast_to_fixed(x, w):
    return np.sum(w * np.broadcast_to(x, (2, 3, 4)))


def tile_int(x, w):
    return np.sum(w * np.tile(x, 2))


def tile_tuple(x, w):
    return np.sum(w * np.tile(x, (2, 1, 3)))


def repeat_flat(x, w):
    return np.sum(w * np.repeat(x, 2))


def repeat_axis(x, w):
    return np.sum(w * np.repeat(x, 3, axis=-1)) + np.sum(x.repeat(2, axis=0) ** 2)


def repeat_counts(x, w):
    return np.sum(w * np.repeat(x, REPS, axis=0))


def flip_all(x, w):
    return np.sum(w * np.flip(x))


def flip_axes(x, w):
    return np.sum(w * np.flip(x, 0)) + np.sum(np.flip(x, (0, -1)) * x)


def roll_flat(x, w):
    return np.sum(w * np.roll(x, 2))


def roll_axes(x, w):
    return np.sum(w * np.roll(x, -1, axis=0)) + np.sum(np.roll(x, (1, 2), axis=(0, -1)) * x)


def diag_of_vector(x, w):
    return np.sum(w * np.diag(x)) + np.sum(np.diag(x, 1) ** 2) + np.sum(np.diag(x, -2) ** 3)


def diag_of_matrix(x, w):
    return np.sum(w * np.diag(x)) + np.sum(np.diag(x, 1) ** 2) + np.sum(np.diag(x, -1) ** 2)


def trace_case(x, w):
    return w * np.trace(x) + np.trace(x, 1) * x.trace(-1)


def trace_3d(x, w):
    return np.sum(w * np.trace(x, axis1=1, axis2=2)) + np.sum(np.trace(x, 0, -1, 0) ** 2)


def triangles(x, w):
    return np.sum(w * np.triu(x)) + np.sum(np.tril(x, -1) ** 2) + np.sum(np.triu(x, 1) * x)


def pad_case(x, w):
    return np.sum(w * np.pad(x, 1)) + np.sum(np.pad(x, 2, constant_values=3.0) ** 2)


def pad_widths(x, w):
    return np.sum(w * np.pad(x, ((1, 0), (0, 2))))


def astype_case(x, w):
    return np.sum(w * x.astype(float)) + np.sum(x.astype(int) * x)


def astype_keywords(x, w):
    return np.sum(w * x.astype(np.float64, copy=False)) + np.sum(x.astype("f8", copy=True) ** 2)


def array_dtypes(x, w):
    # a floating dtype= casts; an integer one gives a zero gradient, as astype(int) does
    return (np.sum(w * np.asarray(x, dtype=float)) + np.sum(np.array(x, np.float64) ** 2)
            + np.sum(np.asarray(x, dtype=int) * x) + np.sum(np.array(x, dtype="float64") ** 3)
            + np.sum(w * np.array([x, 2.0 * x], dtype=float)[1]))


SHAPE_CASES = [  # module, rule name, case, minimal shape of x (one entry per shape to test)
    ("numpy", "reshape", reshape_function, [(), (1,), (2, 1), (1, 2, 3)]),
    ("numpy", "reshape", reshape_method, [(1,), (2, 3), (2, 1, 2)]),
    ("numpy", "reshape", reshape_shape_argument, [(2, 3), (1, 2, 3)]),
    ("numpy", "ravel", ravel_spellings, [(1,), (2, 3), (1, 2, 3)]),
    ("numpy", "swapaxes", swapaxes_function, [(1,), (2, 3), (1, 2, 3)]),
    ("numpy", "swapaxes", swapaxes_method, [(2, 3), (1, 2, 3)]),
    ("numpy", "moveaxis", moveaxis_case, [(1,), (2, 3), (1, 2, 3)]),
    ("numpy", "moveaxis", moveaxis_tuples, [(2, 3, 1)]),
    ("numpy", "expand_dims", expand_dims_case, [(), (1,), (2, 3)]),
    ("numpy", "expand_dims", expand_dims_tuple, [(), (2,), (2, 3)]),
    ("numpy", "squeeze", squeeze_all, [(1,), (2, 1), (1, 2, 1)]),
    ("numpy", "squeeze", squeeze_axis, [(2, 1), (1, 1, 3)]),
    ("numpy", "broadcast_to", broadcast_to_case, [(), (1,), (2, 1), (1, 2, 3)]),
    ("numpy", "broadcast_to", broadcast_to_fixed, [(), (4,), (3, 1), (1, 4), (2, 3, 4)]),
    ("numpy", "tile", tile_int, [(), (2,), (2, 3)]),
    ("numpy", "tile", tile_tuple, [(), (2,), (1, 2), (2, 1, 3), (1, 1, 1, 2)]),
    ("numpy", "repeat", repeat_flat, [(), (2,), (2, 3)]),
    ("numpy", "repeat", repeat_axis, [(2,), (2, 3), (1, 2, 2)]),
    ("numpy", "repeat", repeat_counts, [(3,), (3, 2)]),
    ("numpy", "flip", flip_all, [(1,), (2, 3)]),
    ("numpy", "flip", flip_axes, [(2, 3), (1, 2, 3)]),
    ("numpy", "roll", roll_flat, [(1,), (3,), (2, 3)]),
    ("numpy", "roll", roll_axes, [(2, 2), (2, 1, 3)]),
    ("numpy", "diag", diag_of_vector, [(1,), (3,)]),
    ("numpy", "diag", diag_of_matrix, [(2, 2), (3, 2), (2, 4)]),
    ("numpy", "trace", trace_case, [(2, 2), (3, 2), (2, 4)]),
    ("numpy", "trace", trace_3d, [(2, 2, 2), (2, 3, 4)]),
    ("numpy", "triu", triangles, [(2, 2), (3, 2), (2, 2, 3)]),
    ("numpy", "tril", triangles, [(2, 2), (2, 4)]),
    ("numpy", "pad", pad_case, [(), (1,), (2, 3)]),
    ("numpy", "pad", pad_widths, [(1, 1), (2, 3)]),
    ("numpy", "astype", astype_case, [(1,), (2, 3)]),
    ("numpy", "astype", astype_keywords, [(1,), (2, 3)]),
    ("numpy", "array", array_dtypes, [(), (1,), (2, 3)]),
]


@covers(*[(module, name) for module, name, *_ in SHAPE_CASES])
@pytest.mark.parametrize("module,name,case,min_shapes", SHAPE_CASES,
                         ids=[f"{c[1]}-{c[2].__name__}" for c in SHAPE_CASES])
@FEW
@given(data=st.data())
def test_shape_operations(module, name, case, min_shapes, data):
    min_shape = data.draw(st.sampled_from(min_shapes))
    extra = 0 if case in (broadcast_to_fixed, squeeze_all, squeeze_axis, repeat_counts) else 1
    shape = draw_shape(data, min_shape, extra)
    if case is squeeze_all:
        shape = tuple(1 if n == 1 else n + 1 for n in min_shape)
    casts = case in (astype_case, astype_keywords, array_dtypes)
    elements = grid(0.25, 0.5, 6) if casts else reals()  # never an integer
    x = data.draw(operand(shape, elements, python_float=case is not astype_case
                          and case is not astype_keywords))
    w = data.draw(weights(output_shape(case, x=x)))
    assert_grad(case, x, w)


def scaled_cast_without_copy(x):
    y = x.astype(float, copy=False)   # x itself, for a float64 x
    y *= 2.0
    return np.sum(x * y)


def scaled_asarray_of_a_dtype(x):
    y = np.asarray(x, dtype=float)    # x itself, for a float64 x
    y[0] = 5.0
    return np.sum(x * y)


def scaled_cast_with_copy(x):
    y = x.astype(float, copy=True)
    y *= 2.0
    return np.sum(x * y)


@pytest.mark.parametrize("case", [scaled_cast_without_copy, scaled_asarray_of_a_dtype],
                         ids=lambda c: c.__name__)
def test_cast_that_may_be_the_array_itself_then_changed_is_refused(case):
    with pytest.raises(ad.TransformError, match="share its memory"):
        ad.grad(case)(np.array([0.5, -1.0, 2.0]))


def test_cast_with_a_copy_then_changed():
    assert_grad(scaled_cast_with_copy, np.array([0.5, -1.0, 2.0]))


def pad_mode(x, w, mode, widths):
    return np.sum(w * np.pad(x, widths, mode=mode))


def pad_modes_literal(x, w):
    return (np.sum(w * np.pad(x, ((2, 1), (0, 3)), mode="reflect"))
            + np.sum(np.pad(x, 1, mode="edge") ** 2) + np.sum(np.pad(x, (1, 2), "wrap") ** 3)
            + np.sum(np.pad(x, ((0, 1), (2, 0)), mode="symmetric") * 0.5))


PAD_MODES = [  # mode, shape of x, pad widths (asymmetric, and wider than x for reflect and wrap)
    ("edge", (3,), (2, 1)), ("edge", (2, 3), ((1, 0), (0, 2))),
    ("reflect", (3,), (1, 2)), ("reflect", (2, 3), ((1, 1), (2, 0))), ("reflect", (3,), (5, 4)),
    ("symmetric", (3,), (3, 0)), ("symmetric", (2, 3), ((2, 1), (1, 3))),
    ("wrap", (3,), (4, 1)), ("wrap", (2, 3), ((0, 3), (2, 2))), ("constant", (2, 3), ((1, 0), (2, 2))),
]


@covers(("numpy", "pad"))
@pytest.mark.parametrize("mode,shape,widths", PAD_MODES, ids=[f"{m}-{len(s)}d" for m, s, _ in PAD_MODES])
def test_pad_modes(mode, shape, widths):
    rng = np.random.default_rng(len(shape) + len(mode))
    x = rng.normal(size=shape)
    w = rng.normal(size=np.pad(x, widths, mode=mode).shape)
    g = assert_grad(pad_mode, x, w, mode, widths)
    # each entry of the padding is a copy of an entry of x, whose gradient gets its weight
    source = np.pad(np.arange(x.size).reshape(shape), widths, mode=mode)
    if mode != "constant":
        assert_close(g, np.bincount(source.ravel(), w.ravel(), x.size).reshape(shape), 1e-12, 1e-12)


@covers(("numpy", "pad"))
def test_pad_modes_literal():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 4))
    assert_grad(pad_modes_literal, x, rng.normal(size=(6, 7)))


def pad_mean(x):
    return np.sum(np.pad(x, 1, mode="mean") ** 2)


def pad_maximum(x):
    return np.sum(np.pad(x, 1, mode="maximum") * np.arange(5.0))


def test_pad_statistic_modes_are_refused():
    with pytest.raises(ad.TransformError, match="'constant', 'edge', 'reflect', 'symmetric'"):
        ad.grad(pad_mean)(np.arange(3.0))
    # forward mode too (it padded the tangent with its own maximum: a wrong derivative)
    with pytest.raises(ad.TransformError, match="forward mode: np.pad with a ramp, statistic"):
        ad.jvp(pad_maximum)(np.array([0.3, 2.0, -1.0]), np.array([1.0, -2.0, 0.5]))
    # a mode known only when the gradient runs: refused then, at the user's line
    line = pad_mode.__code__.co_firstlineno + 1
    with pytest.raises(ValueError, match=rf"test_rules.py:{line}:\d+: np.pad with a ramp, "
                                         rf"statistic or empty mode(.|\n)*mode=mode"):
        ad.grad(pad_mode)(np.arange(3.0), np.ones(5), "maximum", 1)
    with pytest.raises(ValueError, match=rf"test_rules.py:{line}:\d+: forward mode: np.pad"):
        ad.jvp(pad_mode)(np.arange(3.0), np.ones(5), "median", 1, np.ones(3))


# -- products: outer, inner, tensordot, kron, einsum ---------------------------------------------

def outer_case(x, y, w):
    return np.sum(w * np.outer(x, y))


def inner_case(x, y, w):
    return np.sum(w * np.inner(x, y))


def tensordot_case(x, y, w, axes):
    return np.sum(w * np.tensordot(x, y, axes))


def tensordot_literal(x, y, w):
    return np.sum(w * np.tensordot(x, y, axes=([0, 2], [1, 0])))


def kron_case(x, y, w):
    return np.sum(w * np.kron(x, y))


def einsum_case(x, y, w, spec):
    return np.sum(w * np.einsum(spec, x, y))


def einsum_literal(x, y, w):
    return np.sum(w * np.einsum("ij,jk->ik", x, y)) + np.einsum("ij,ij", x, x) * 0.5


def convolve_case(a, v):
    return (np.sum(np.sin(np.convolve(a, v, "same")) * np.arange(1.0, max(a.size, v.size) + 1))
            + np.sum(np.convolve(v, a) ** 2) + np.sum(np.cos(np.convolve(a, v, mode="valid"))))


@covers(("numpy", "convolve"))
def test_convolve():
    rng = np.random.default_rng(9)
    for n, m in [(5, 3), (3, 5), (4, 4), (1, 3), (6, 1)]:
        assert_grad(convolve_case, rng.normal(size=n), rng.normal(size=m), wrt=(0, 1))


@covers(("numpy", "outer"))
@FEW
@given(data=st.data())
def test_outer(data):
    x = data.draw(operand(data.draw(shapes(0, 2))))
    y = data.draw(operand(data.draw(shapes(0, 2))))
    w = data.draw(weights((np.size(x), np.size(y))))
    assert_grad(outer_case, x, y, w, wrt=(0, 1))


@covers(("numpy", "inner"))
@FEW
@given(data=st.data())
def test_inner(data):
    n = data.draw(st.integers(1, 3))
    sx, sy = data.draw(shapes(0, 2)), data.draw(shapes(0, 2))
    sx = sx[:-1] + (n,) if sx else sx
    sy = sy[:-1] + (n,) if sy else sy
    x, y = data.draw(operand(sx)), data.draw(operand(sy))
    w = data.draw(weights(np.shape(np.inner(x, y))))
    assert_grad(inner_case, x, y, w, wrt=(0, 1))


TENSORDOT_FORMS = [  # shape of x, shape of y, axes
    ((2, 3), (3, 4), 1), ((2, 3, 4), (3, 4, 2), 2), ((2,), (3,), 0), ((), (2, 3), 0),
    ((2, 3), (2, 3), 2), ((2, 3, 4), (4, 2), ([0, 2], [1, 0])), ((3, 2), (3,), ([0], [0])),
    ((2, 3), (4, 2), (0, 1)), ((2, 3, 4), (4, 3), ([-1, 1], [0, 1])),
]


@covers(("numpy", "tensordot"))
@pytest.mark.parametrize("sx,sy,axes", TENSORDOT_FORMS, ids=[str(f[2]) for f in TENSORDOT_FORMS])
@FEW
@given(data=st.data())
def test_tensordot(sx, sy, axes, data):
    x, y = data.draw(operand(sx)), data.draw(operand(sy))
    w = data.draw(weights(np.shape(np.tensordot(x, y, axes))))
    assert_grad(tensordot_case, x, y, w, axes, wrt=(0, 1))


@covers(("numpy", "tensordot"))
@FEW
@given(data=st.data())
def test_tensordot_literal_axes(data):
    x, y = data.draw(arrays((2, 3, 4))), data.draw(arrays((4, 2)))
    assert_grad(tensordot_literal, x, y, data.draw(weights((3,))), wrt=(0, 1))


@covers(("numpy", "kron"))
@FEW
@given(data=st.data())
def test_kron(data):
    x = data.draw(operand(data.draw(shapes(0, 3, max_side=3))))
    y = data.draw(operand(data.draw(shapes(0, 3, max_side=3))))
    w = data.draw(weights(np.shape(np.kron(x, y))))
    assert_grad(kron_case, x, y, w, wrt=(0, 1))


EINSUM_FORMS = [  # subscripts, shape of x, shape of y
    ("ij,jk->ik", (2, 3), (3, 4)), ("i,i->", (3,), (3,)), ("i,i", (3,), (3,)),
    ("ij,ij->i", (2, 3), (2, 3)), ("bij,bjk->bik", (2, 3, 4), (2, 4, 1)),
    ("ij,k->ijk", (2, 3), (2,)), ("ij,j", (2, 3), (3,)), ("ij,kj->ki", (2, 3), (4, 3)),
    ("ijk,i->", (2, 3, 2), (2,)), ("ij,jk", (2, 3), (3, 2)), ("i,j->j", (3,), (2,)),
]


@covers(("numpy", "einsum"))
@pytest.mark.parametrize("spec,sx,sy", EINSUM_FORMS, ids=[f[0] for f in EINSUM_FORMS])
@FEW
@given(data=st.data())
def test_einsum(spec, sx, sy, data):
    x, y = data.draw(arrays(sx)), data.draw(arrays(sy))
    w = data.draw(weights(np.shape(np.einsum(spec, x, y))))
    assert_grad(einsum_case, x, y, w, spec, wrt=(0, 1))


@covers(("numpy", "einsum"))
@FEW
@given(data=st.data())
def test_einsum_literal(data):
    x, y = data.draw(arrays((2, 3))), data.draw(arrays((3, 2)))
    assert_grad(einsum_literal, x, y, data.draw(weights((2, 2))), wrt=(0, 1))


def einsum_one(x, w, spec):
    return np.sum(w * np.einsum(spec, x))


def einsum_one_literal(x, w):
    return (np.einsum("ii->", x) * 2.0 + np.sum(w * np.einsum("ij->ji", x))
            + np.sum(np.einsum("ii->i", x) ** 2) + np.sum(np.einsum("ij->i", x) ** 3)
            + np.sum(np.einsum("ij", x) * w.T))


EINSUM_ONE_FORMS = [  # subscripts, shape of x: traces, diagonals, transposes, sums
    ("ii->", (3, 3)), ("ij->ji", (2, 3)), ("ij->i", (2, 3)), ("ii->i", (3, 3)), ("ij->", (2, 3)),
    ("ij", (2, 3)), ("ii", (2, 2)), ("iji->j", (2, 3, 2)), ("ijk->kj", (2, 3, 2)), ("i->", (3,)),
]


@covers(("numpy", "einsum"))
@pytest.mark.parametrize("spec,shape", EINSUM_ONE_FORMS, ids=[f[0] for f in EINSUM_ONE_FORMS])
@FEW
@given(data=st.data())
def test_einsum_one_operand(spec, shape, data):
    x = data.draw(arrays(shape))
    w = data.draw(weights(np.shape(np.einsum(spec, x))))
    assert_grad(einsum_one, x, w, spec)


@covers(("numpy", "einsum"))
def test_einsum_one_operand_literal():
    rng = np.random.default_rng(6)
    assert_grad(einsum_one_literal, rng.normal(size=(3, 3)), rng.normal(size=(3, 3)))


def einsum_diagonal(x, y):
    return np.einsum("ii,i->", x, y) + np.sum(np.einsum("ij,jj->ij", x, x) ** 2)


@covers(("numpy", "einsum"))
def test_einsum_repeated_index():
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(3, 3)), rng.normal(size=3)
    g = assert_grad(einsum_diagonal, x, y, wrt=(0, 1))
    assert_close(g[1], np.diag(x), 1e-12, 1e-12)


# (an ellipsis: tests/test_rules_products.py)


# -- more indexing reads ------------------------------------------------------------------------

IDX_2D = np.array([[0, 1], [1, 0], [0, 0]])     # an index array of two dimensions, repeated
IDX_NEG = np.array([-1, 0, -1, -1])


def idx_none_ellipsis(x, w):
    return np.sum(w * x[None, ..., 0])


def idx_mixed_basic(x, w):
    return np.sum(w * x[::-2, None, 1:])


def idx_negative_steps_2d(x, w):
    return np.sum(w * x[-1::-1, ::-2])


def idx_int_array_2d(x, w):
    return np.sum(w * x[IDX_2D])


def idx_columns_repeated(x, w):
    return np.sum(w * x[:, IDX_NEG])


def idx_ellipsis_array(x, w):
    return np.sum(w * x[..., IDX_NEG])


def idx_mask_2d(x, w):
    return np.sum(w * x[x > 0.0]) + np.sum(x[x < 0.0] ** 2)


MORE_INDEX_CASES = [
    (idx_none_ellipsis, (1,)), (idx_none_ellipsis, (2, 1, 2)), (idx_mixed_basic, (1, 2)),
    (idx_negative_steps_2d, (2, 3)), (idx_int_array_2d, (2,)), (idx_int_array_2d, (2, 3)),
    (idx_columns_repeated, (1, 1)), (idx_ellipsis_array, (2, 1, 1)),
]


@covers(("python", "getitem"))
@pytest.mark.parametrize("case,min_shape", MORE_INDEX_CASES,
                         ids=[f"{c.__name__}-{len(s)}d" for c, s in MORE_INDEX_CASES])
@FEW
@given(data=st.data())
def test_more_indexing(case, min_shape, data):
    x = data.draw(arrays(draw_shape(data, min_shape)))
    w = data.draw(weights(output_shape(case, x=x)))
    assert_grad(case, x, w)


@covers(("python", "getitem"))
@FEW
@given(data=st.data())
def test_boolean_mask_of_itself(data):
    x = data.draw(arrays(data.draw(shapes(1, 3)), nonzero(0.1, 2)))
    assert_grad(idx_mask_2d, x, np.float64(data.draw(nonzero(0.5, 2))))


def test_repeated_columns_accumulate():
    g = ad.grad(idx_columns_repeated)(np.zeros((2, 3)), np.ones((2, 4)))
    assert_close(g, [[1.0, 0.0, 3.0], [1.0, 0.0, 3.0]], 0, 0)


# ===========================================================================
# linalg.py
# ===========================================================================

def well_conditioned(data, n, batch=()):
    """A matrix (or a stack of them) near the identity: invertible, moderately conditioned."""
    x = data.draw(arrays(batch + (n, n), reals(-0.5, 0.5))) + 2.0 * np.eye(n)
    return x


def la_inv(x, w):
    return np.sum(w * np.linalg.inv(x))


def la_solve(a, b, w):
    return np.sum(w * np.linalg.solve(a, b))


def la_det(x, w):
    return np.sum(w * np.linalg.det(x))


def la_slogdet(x, w):
    sign, logdet = np.linalg.slogdet(x)
    return np.sum(w * logdet * sign)


def la_slogdet_indexed(x, w):
    result = np.linalg.slogdet(x)
    return np.sum(w * result[1]) + np.sum(result[0])


def la_cholesky(x, w):
    L = np.linalg.cholesky(x @ np.swapaxes(x, -1, -2) + 2.0 * np.eye(x.shape[-1]))
    return np.sum(w * L)


@covers(("linalg", "inv"), ("linalg", "det"), ("linalg", "slogdet"), ("linalg", "cholesky"))
@pytest.mark.parametrize("case", [la_inv, la_det, la_slogdet, la_slogdet_indexed, la_cholesky],
                         ids=lambda c: c.__name__)
@FEW
@given(data=st.data())
def test_linalg_square(case, data):
    n = data.draw(st.integers(1, 3))
    batch = data.draw(st.sampled_from([(), (2,)]))
    x = well_conditioned(data, n, batch)
    w = data.draw(weights(output_shape(case, x=x)))
    assert_grad(case, x, w)


@covers(("linalg", "solve"))
@FEW
@given(data=st.data())
def test_linalg_solve(data):
    n = data.draw(st.integers(1, 3))
    batch = data.draw(st.sampled_from([(), (2,)]))
    a = well_conditioned(data, n, batch)
    b = data.draw(arrays(data.draw(st.sampled_from([(n,), batch + (n, 1), batch + (n, 2)]))))
    w = data.draw(weights(np.linalg.solve(a, b).shape))
    assert_grad(la_solve, a, b, w, wrt=(0, 1))


def la_inv_closed_form(x):
    return np.sum(np.linalg.inv(x))


@covers(("linalg", "inv"))
def test_linalg_inv_closed_form():
    x = np.array([[2.0, 1.0], [0.5, 3.0]])
    y = np.linalg.inv(x)
    assert_close(ad.grad(la_inv_closed_form)(x), -y.T @ np.ones((2, 2)) @ y.T, 1e-12, 1e-14)


def la_norm(x, w, ord, axis, keepdims):
    return np.sum(w * np.linalg.norm(x, ord, axis, keepdims))


def la_norm_default(x, w):
    return w * np.linalg.norm(x) + np.sum(np.linalg.norm(x, axis=-1) ** 2)


NORM_FORMS = [  # shape of x, ord, axis, keepdims
    ((3,), None, None, False), ((3,), 2, None, False), ((3,), 1, None, False),
    ((3,), np.inf, None, False), ((3,), -np.inf, None, False), ((3,), 3, None, True),
    ((2, 3), None, None, False), ((2, 3), "fro", None, False), ((2, 3), "nuc", None, False),
    ((3, 2), 2, None, False), ((2, 3), -2, None, False), ((2, 3), 1, None, False),
    ((2, 3), -1, None, True), ((2, 3), np.inf, None, False), ((3, 2), -np.inf, None, False),
    ((2, 3), None, 1, False), ((2, 3), 1, 0, True), ((2, 3, 2), 2, -1, False),
    ((2, 3, 2), "fro", (0, 2), False), ((2, 3, 2), 1, (2, 1), True), ((2, 2, 3), "nuc", (1, 2), False),
    ((2, 3, 2), None, None, False),
]


@covers(("linalg", "norm"))
@pytest.mark.parametrize("shape,ord,axis,keepdims", NORM_FORMS,
                         ids=[f"{len(f[0])}d-{f[1]}-{f[2]}" for f in NORM_FORMS])
@FEW
@given(data=st.data())
def test_linalg_norm(shape, ord, axis, keepdims, data):
    # distinct absolute values and grid entries: no ties of the maximum, no zero entry
    x = data.draw(arrays(shape, grid(0.1, 0.25, 12), unique=True))
    matrix = np.ndim(x) >= 2 and ord is not None and (axis is None or isinstance(axis, tuple))
    if ord in (2, -2, "nuc") and matrix:
        s = np.linalg.svd(np.moveaxis(x, axis or (0, 1), (-2, -1)), compute_uv=False)
        assume(np.all(np.diff(s) < -0.05) and np.all(s > 0.05))
    if ord in (1, -1, np.inf, -np.inf) and matrix:
        axes = axis or (0, 1)
        m = np.moveaxis(np.abs(x), axes, (-2, -1))
        sums = np.sort(np.sum(m, axis=-2 if ord in (1, -1) else -1), axis=-1)
        assume(np.all(np.diff(sums, axis=-1) > 0.05))
    w = data.draw(weights(np.shape(np.linalg.norm(x, ord, axis, keepdims))))
    assert_grad(la_norm, x, w, ord, axis, keepdims)


@covers(("linalg", "norm"))
@FEW
@given(data=st.data())
def test_linalg_norm_default(data):
    x = data.draw(arrays(data.draw(shapes(1, 3)), nonzero(0.1, 2)))
    assert_grad(la_norm_default, x, data.draw(nonzero(0.5, 2)))


def la_eigvalsh(x, w):
    return np.sum(w * np.linalg.eigvalsh(x + np.swapaxes(x, -1, -2)))


def la_eigh(x, w):
    values, vectors = np.linalg.eigh(x + np.swapaxes(x, -1, -2))
    return np.sum(w * values) + np.sum(vectors ** 2 * np.arange(x.shape[-1]))  # sign-free


def la_svd_values(x, w):
    return np.sum(w * np.linalg.svd(x, compute_uv=False))


@covers(("linalg", "eigvalsh"), ("linalg", "eigh"), ("linalg", "svd"))
@pytest.mark.parametrize("case", [la_eigvalsh, la_eigh, la_svd_values], ids=lambda c: c.__name__)
@FEW
@given(data=st.data())
def test_linalg_spectral(case, data):
    n = data.draw(st.integers(1, 3))
    batch = data.draw(st.sampled_from([(), (2,)]))
    square = case is not la_svd_values or data.draw(st.booleans())
    x = data.draw(arrays(batch + (n, n if square else n + 1)))
    if case is la_svd_values:
        s = np.linalg.svd(x, compute_uv=False)
        assume(np.all(s > 0.05) and np.all(np.diff(s, axis=-1) < -0.05))
    else:
        e = np.linalg.eigvalsh(x + np.swapaxes(x, -1, -2))
        assume(np.all(np.diff(e, axis=-1) > 0.05))
    w = data.draw(weights(output_shape(case, x=x)))
    assert_grad(case, x, w)


# the thin SVD's U and V, through losses that do not depend on the signs of the singular
# vectors (a column of U and the matching row of V^T may both change sign)

def la_svd_product(x, C):
    U, s, Vt = np.linalg.svd(x, full_matrices=False)
    return np.sum((U * np.expand_dims(s, -2)) @ Vt * C)


def la_svd_projectors(x, C):
    U, s, Vt = np.linalg.svd(x, full_matrices=False)
    P = U @ np.swapaxes(U, -1, -2)
    Q = np.swapaxes(Vt, -1, -2) @ Vt
    return np.sum(P * C) + np.sum(Q ** 2 * np.arange(Q.shape[-1])) + np.sum(s ** 3)


def la_svd_vectors(x, C):
    result = np.linalg.svd(x, full_matrices=False)
    U, Vt = result[0], result[2]
    return np.sum(U ** 2 * C) + np.sum(U[..., :, :1] * Vt[..., :1, :] * x) + np.sum(np.abs(Vt[..., 0, :]))


def la_svd_fixed_factor(x):
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    return np.sum(u[:, 0] * (vt[0] @ x.T))


@covers(("linalg", "svd"))
@pytest.mark.parametrize("case", [la_svd_product, la_svd_projectors, la_svd_vectors],
                         ids=lambda c: c.__name__)
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 2)], ids=str)
def test_linalg_svd_vectors(case, shape):
    rng = np.random.default_rng(len(shape) * 10 + shape[-1])
    while True:   # distinct singular values, away from zero
        x = rng.normal(size=shape)
        s = np.linalg.svd(x, compute_uv=False)
        if np.all(s > 0.2) and np.all(np.diff(s, axis=-1) < -0.2):
            break
    U = np.linalg.svd(x, full_matrices=False)[0]
    weighted = {la_svd_product: x, la_svd_projectors: U @ np.swapaxes(U, -1, -2), la_svd_vectors: U}
    C = rng.normal(size=np.shape(weighted[case]))
    assert_grad(case, x, C)


@covers(("linalg", "svd"))
def test_linalg_svd_closed_form():
    # U diag(s) V^T is x itself: its gradient is C exactly
    x = np.array([[3.0, 1.0], [0.5, -2.0], [1.0, 0.0]])
    C = np.arange(6.0).reshape(3, 2)
    assert_close(ad.grad(la_svd_product)(x, C), C, 1e-12, 1e-12)
    assert_grad(la_svd_fixed_factor, x)


def la_svd_full(x):
    u, s, vt = np.linalg.svd(x)
    return np.sum(s)


def test_linalg_svd_full_matrices_are_refused():
    with pytest.raises(ad.TransformError, match="full_matrices=False"):
        ad.grad(la_svd_full)(np.eye(2))
    with pytest.raises(ad.TransformError, match="full_matrices=False"):
        ad.jvp(la_svd_full)(np.eye(2), np.eye(2))


# ===========================================================================
# zero-gradient functions, math.copysign
# ===========================================================================

def zero_gradient_functions(x):
    n = len(x)
    m = x.shape[0]
    z = np.zeros_like(x) + np.ones_like(x) + np.ones(x.shape) + np.ones(n)
    i = np.argmax(x)
    f = np.floor(x) + np.round(x) + np.ceil(x) + np.sign(x)
    c = (x > 0) * 1.0 + np.greater(x, 0.5) + (x <= -1.0)
    return (np.sum(x * z) + x[i] * 2.0 + np.sum(f * x) + np.sum(c * x) + m * np.sum(x) / n
            + x[x.argmin()] + np.sum(x.astype(int) * x))


@FEW
@given(data=st.data())
def test_zero_gradient_functions(data):
    # grid values 0.1 + 0.25 k: never an integer, a half-integer, 0.5 or -1 (no kinks)
    x = data.draw(arrays((data.draw(st.integers(1, 5)),), grid(0.1, 0.25, 12), unique=True))
    g = assert_grad(zero_gradient_functions, x)
    f = np.floor(x) + np.round(x) + np.ceil(x) + np.sign(x)
    c = (x > 0) * 1.0 + (x > 0.5) + (x <= -1.0)
    expected = 3.0 + f + c + 1.0 + x.astype(int)
    expected[np.argmax(x)] += 2.0
    expected[np.argmin(x)] += 1.0
    assert_close(g, expected, 1e-12, 1e-12)


def math_copysign(x, y):
    return math.copysign(x, y) * 3.0 + math.copysign(2.0, x)


@covers(("math", "copysign"))
@FEW
@given(x=nonzero(0.1, 3.0), y=nonzero(0.1, 3.0))
def test_math_copysign(x, y):
    g = assert_grad(math_copysign, x, y, wrt=(0, 1))
    assert_close(g, (3.0 * np.sign(x) * np.sign(y), 0.0), 0, 0)


# ===========================================================================
# README's table of primitives is generated from the registry
# ===========================================================================

def test_readme_table_of_primitives_is_current():
    from adcompile.rules import table

    readme = (Path(ad.__file__).resolve().parent.parent / "README.md").read_text()
    start, end = readme.find(table.START), readme.find(table.END)
    assert 0 <= start < end, "README.md lacks the primitives markers"
    assert readme[start:end + len(table.END)] == table.readme_block(), \
        "README.md's table of primitives is stale: run python -m adcompile.rules.table"
    for rule in REGISTRY.rules:
        if rule.module not in (None, "generated") and rule.keys:
            assert table.key_name(rule.keys[0]) in readme


# ===========================================================================
# sequences of arrays: np.concatenate, stack, hstack, vstack, array, split
# ===========================================================================

def seq_concatenate(a, b, w):
    return np.sum(w * np.concatenate([a, b * 2.0, a], axis=0)) + np.sum(np.concatenate((b, a), axis=-1) ** 2)


def seq_concatenate_flat(a, b, w):
    return np.sum(w * np.concatenate([a, b], axis=None))


def seq_stack(a, b, w):
    return np.sum(w * np.stack([a, b], axis=-1)) + np.sum(np.stack((b, a * a)) ** 2)


def seq_hstack_vstack(a, b, w):
    return np.sum(w * np.hstack([a, b])) + np.sum(np.vstack([a, b]) ** 2)


def seq_array(a, b, w):
    return np.sum(w * np.array([a, b, a * b])) + np.sum(np.asarray(a) ** 2)


def seq_split(a, b, w):
    p, q = np.split(np.concatenate([a, b]), 2)
    return np.sum(w * p * q) + np.sum(np.array_split(a, 2, axis=-1)[1] ** 2)


def seq_r(a, b, w):
    # np.r_ joins along the first axis; a number is a 1-element array there
    return np.sum(w * np.r_[a, b * 2.0, a]) + np.sum(np.r_[np.ravel(b), 1.5, a[..., 0].ravel()] ** 2)


def seq_c(a, b, w):
    # np.c_ joins along the last axis; a 1-d item (or a number) is a column
    return np.sum(w * np.c_[a, b * 2.0]) + np.sum(np.c_[np.ravel(a), np.ravel(b) * a.ravel()] ** 2)


SEQUENCE_CASES = [  # rule names, case
    (("r_",), seq_r), (("c_",), seq_c),
    (("concatenate",), seq_concatenate), (("concatenate",), seq_concatenate_flat),
    (("stack",), seq_stack), (("hstack", "vstack"), seq_hstack_vstack), (("array",), seq_array),
    (("split", "concatenate"), seq_split),
]


@covers(*[("numpy", name) for names, _ in SEQUENCE_CASES for name in names])
@pytest.mark.parametrize("names,case", SEQUENCE_CASES, ids=[c.__name__ for _, c in SEQUENCE_CASES])
@FEW
@given(data=st.data())
def test_sequences(names, case, data):
    shape = data.draw(shapes(1, 3, max_side=3))
    if case is seq_split:
        shape = (2 * shape[0],) + shape[1:]
    a, b = data.draw(arrays(shape)), data.draw(arrays(shape))
    w = data.draw(weights(output_shape(case, a=a, b=b)))
    assert_grad(case, a, b, w, wrt=(0, 1))


def seq_of_numbers(x, y):
    v = np.array([x, y * x, 2.0])
    return np.sum(v ** 2) + np.sum(np.stack([x, y]) * np.array([1.0, 3.0]))


def seq_of_a_list(x):
    hs = []
    for i in range(3):
        hs.append(x * (i + 1.0))
    return np.sum(np.stack(hs) ** 2) + np.sum(np.concatenate(hs) ** 3)


def seq_of_an_array(x):
    return np.sum(np.concatenate(x) ** 2) + np.sum(np.stack(x, axis=1) * x.T)


@covers(("numpy", "array"), ("numpy", "stack"), ("numpy", "concatenate"))
@FEW
@given(data=st.data())
def test_sequences_of_numbers_lists_and_arrays(data):
    assert_grad(seq_of_numbers, data.draw(reals()), data.draw(reals()), wrt=(0, 1))
    shape = data.draw(shapes(1, 2, max_side=3))
    assert_grad(seq_of_a_list, data.draw(arrays(shape)))
    assert_grad(seq_of_an_array, data.draw(arrays(shape[:1] + (2,))))


def split_only(x, w):
    p, q = np.split(x, 2, axis=-1)
    return np.sum(w * p * q) + np.sum(np.array_split(x, [1], axis=0)[0] ** 2)


@covers(("numpy", "split"))
@FEW
@given(data=st.data())
def test_split_forward_and_reverse(data):
    shape = data.draw(shapes(1, 3, max_side=3))
    shape = shape[:-1] + (2 * shape[-1],)
    x = data.draw(arrays(shape))
    assert_grad(split_only, x, data.draw(weights(shape[:-1] + (shape[-1] // 2,))))


# ===========================================================================
# the remainder: x % y = x - q y with a piecewise-constant quotient q
# ===========================================================================

def mod_case(x, y, w):
    return w * (x % y)


def np_mod_case(x, y, w):
    return np.sum(w * np.mod(x, y)) + np.sum(w * np.fmod(x, y))


@covers(("python", "mod"))
@pytest.mark.parametrize("x, y", [(0.7, 2.0), (-2.7, 2.0), (5.0, 0.7), (5.0, -0.7), (-5.0, 0.7)])
def test_mod(x, y):
    assert_grad(mod_case, x, y, 1.5, wrt=(0, 1))


def test_np_mod_and_fmod():
    x, y = np.array([1.3, -2.3, 3.7]), np.array([0.9, 1.1, -1.6])
    assert_grad(np_mod_case, x, y, np.array([0.5, -1.0, 2.0]), wrt=(0, 1))


# ===========================================================================
# the new runtime helpers work in a built module, without adcompile
# ===========================================================================

def built_helpers(x):
    a = np.tile(x, (2, 1)) * np.prod(x, axis=0) + np.repeat(np.cumprod(x, axis=1), 2, axis=0)
    b = np.concatenate([a, x * x])
    sign, logdet = np.linalg.slogdet(x @ x.T + 2.0 * np.eye(x.shape[0]))
    return np.sum(b ** 2) + np.linalg.norm(x, 2) + logdet + np.sum(np.einsum("ij,kj->ik", x, x))


def test_new_helpers_in_a_built_module(tmp_path):
    from test_build import run_isolated

    ad.build(built_helpers, tmp_path / "helpers_grad.py")
    x = np.array([[1.0, -0.5, 2.0], [0.25, 1.5, -1.0]])
    result = run_isolated("""
        import numpy as np, helpers_grad
        x = np.array([[1.0, -0.5, 2.0], [0.25, 1.5, -1.0]])
        print(repr(helpers_grad.grad_built_helpers(x).tolist()))
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert_close(eval(result.stdout.strip()), ad.grad(built_helpers)(x), 1e-12, 1e-12)
    assert_grad(built_helpers, x)


def reshape_minus_one(W, E):
    return np.sum(np.tanh(W @ E.reshape(-1)))


def np_reshape_minus_one(W, E):
    return np.sum(np.tanh(W @ np.reshape(E, -1)))


def np_reshape_minus_one_tuple(W, E):
    return np.sum(np.tanh(W @ np.reshape(E, (-1,))) * (W @ E.reshape((-1))))


@pytest.mark.parametrize("case", [reshape_minus_one, np_reshape_minus_one,
                                  np_reshape_minus_one_tuple], ids=lambda c: c.__name__)
def test_reshape_minus_one_keeps_the_number_of_dimensions(case):
    W, E = np.ones((3, 4)) * 0.1, np.arange(4.0).reshape(2, 2) / 4
    code = ad.show(case, wrt=(0, 1), args=(W, E))
    assert "np.outer(" in code and "matmul_bar" not in code
    assert_grad(case, W, E, wrt=(0, 1))


# ===========================================================================
# x[index] = v (runtime.with_item), copies, and the helpers of their adjoints
# (tests/test_items.py has the index forms, loops and refusals)
# ===========================================================================

def item_assignment_case(x, v):
    y = np.copy(x) * 2.0
    y[1:3] = np.sin(v)
    y[np.array([0, 4, 0])] += v[0] * x[:3]   # (an index that repeats an entry)
    y[y > 1.5] *= 0.5
    z = y.copy()
    z[-1] = v[1] ** 2
    return np.sum(z ** 3)


@covers(("python", "with_item"), ("python", "copy_array"))
def test_item_assignment_and_copies():
    rng = np.random.default_rng(5)
    for _ in range(3):
        assert_grad(item_assignment_case, rng.normal(size=5), rng.normal(size=2), wrt=(0, 1))


def ufunc_at_case(x, v):
    y = x * 1.0
    np.add.at(y, np.array([0, 3, 0]), v)            # (entry 0 twice: both add)
    np.subtract.at(y, np.array([4, 4]), v[:2] * v[0])
    return np.sum(y ** 3)


@covers(("python", "added_at"), ("python", "subtracted_at"))
def test_ufunc_at():
    rng = np.random.default_rng(8)
    for _ in range(3):
        assert_grad(ufunc_at_case, rng.normal(size=5), rng.normal(size=3), wrt=(0, 1))


def item_helpers_case(g, v):
    return (np.sum(np.sin(rt.without_item(g, slice(1, 3))) * g)
            + np.sum(rt.item_written(g, np.array([0, 4, 0])) ** 2)
            + np.sum(np.cos(rt.item_tangent(g, slice(0, 3), v)) * g))


@covers(("generated", "without_item"), ("generated", "item_written"),
        ("generated", "item_tangent"))
def test_item_helpers():
    rng = np.random.default_rng(6)
    assert_grad(item_helpers_case, rng.normal(size=5), rng.normal(size=3), wrt=(0, 1))
