"""Adjoints of Python's operators and numeric builtins.

In every rule ``z`` (or ``y``) is the result, ``z_bar`` its adjoint.
"""
# The templates are read, not run: names like z_bar are bound where they are inlined.
# ruff: noqa: F821, F841

import builtins
import copy as copying
import logging
import math
import operator
import warnings

import numpy as np

from .. import runtime
from ..runtime import log_or_zero, scaled_power, unbroadcast
from . import REGISTRY, adjoint, adjoint_from, inert, nondifferentiable, tangent
from .numpy import matrix_product


@adjoint()
def copy(y, x):
    x_bar += y_bar


REGISTRY.special = {"copy": REGISTRY.added[-1]}


@adjoint(operator.add, np.add)
def add(z, x, y):
    x_bar += unbroadcast(z_bar, x)
    y_bar += unbroadcast(z_bar, y)


@adjoint(operator.sub, np.subtract)
def sub(z, x, y):
    x_bar += unbroadcast(z_bar, x)
    y_bar += -unbroadcast(z_bar, y)   # negate after summing: the sum may be smaller


@adjoint(operator.mul, np.multiply)
def mul(z, x, y):
    x_bar += unbroadcast(z_bar * y, x)
    y_bar += unbroadcast(z_bar * x, y)


@adjoint(operator.truediv, np.divide)
def truediv(z, x, y):
    x_bar += unbroadcast(z_bar / y, x)
    y_bar += unbroadcast(-z_bar * z / y, y)


@adjoint(operator.pow, np.power)
def pow(z, x, y):
    # As in JAX: d/dx is y * x ** (y - 1), and 0 where y == 0 (x ** 0 is constant); at x == 0
    # it is inf for 0 < y < 1, never a ZeroDivisionError (scaled_power). d/dy is z * log(x)
    # with log(x) taken as 0 where x == 0.
    if y == 0:
        pass
    elif y >= 1 or y < 0:
        # a constant exponent whose x ** (y - 1) is finite at x == 0 (or for which x ** y
        # itself is not): plain code, x ** 2 gives 2 * x
        x_bar += unbroadcast(z_bar * (y * x ** (y - 1)), x)
    else:
        x_bar += unbroadcast(z_bar * scaled_power(y, x, y - 1), x)
    y_bar += unbroadcast(z_bar * (z * log_or_zero(x)), y)


# np.float_power(x, y): x ** y computed in double precision (an integer x to a negative
# power too); its derivatives are the power's
adjoint_from(pow, np.float_power, name="float_power")

# pow(x, y), the builtin with two arguments: x ** y (pow(x, y, mod) is refused)
adjoint_from(pow, builtins.pow, name="pow_builtin")


@adjoint(sum, math.fsum, shape="unknown", sequence="xs")
def sum_(y, xs):
    # Python's sum of a list (or tuple, or an array's rows): each item gets y_bar, summed
    # down to its own shape where the items broadcast. (No start value: forward mode applies
    # sum to the items' tangents, which a start value would be added to; the frontend
    # writes sum(xs, start) as start + sum(xs), rewritten_calls.py.)
    xs_bar += sum_bar(y_bar, xs)


@adjoint(operator.neg, np.negative)
def neg(y, x):
    x_bar += -y_bar


@adjoint(operator.pos, float, np.float64, np.positive)
def pos(y, x):
    # (np.float64(x): the same values, in double precision; gradients come back in the
    # argument's)
    x_bar += y_bar


@adjoint(abs)
def abs_(y, x):
    x_bar += y_bar * real_sign(x)


@adjoint(max, shape="elementwise")
def max_(m, x, y):
    # Python's max returns its first argument on a tie; the gradient follows it.
    x_bar += m_bar * (x >= y)
    y_bar += m_bar * (y > x)


@adjoint(min, shape="elementwise")
def min_(m, x, y):
    x_bar += m_bar * (x <= y)
    y_bar += m_bar * (y < x)


# x @ y and np.matmul: the matrix product's template (numpy.py), whose other operands are
# stacks of matrices
adjoint_from(matrix_product, operator.matmul, np.matmul, shape="matmul", name="matmul",
             helpers={"product_bar_left": "matmul_bar_left",
                      "product_bar_right": "matmul_bar_right"})


@tangent(operator.matmul)
def matmul_tangent(z, x, y):
    z_dot += x_dot @ y
    z_dot += x @ y_dot


@adjoint(operator.getitem, shape="unknown", linear=True, constant=('index',))
def getitem(y, x, index):
    x_bar += getitem_bar(y_bar, x, index)


@adjoint(runtime.with_item, shape="same", constant=('index',))
def with_item(z, x, index, v):
    # x[index] = v on an array: what was at index before does not reach z
    x_bar += without_item(z_bar, index)
    v_bar += unbroadcast(item_written(z_bar, index), v)


@tangent(runtime.with_item)
def with_item_tangent(z, x, index, v):
    z_dot += without_item(x_dot, index)
    z_dot += item_tangent(x, index, v_dot)


@adjoint(runtime.added_at, shape="same", constant=('index',))
def added_at(z, x, index, v):
    # np.add.at(x, index, v): v's adjoint gathers z_bar at each entry it was added to
    x_bar += z_bar
    v_bar += unbroadcast(z_bar[index], v)


@tangent(runtime.added_at)
def added_at_tangent(z, x, index, v):
    z_dot += x_dot
    z_dot += added_at(zeros_like(x), index, v_dot)


@adjoint(runtime.subtracted_at, shape="same", constant=('index',))
def subtracted_at(z, x, index, v):
    x_bar += z_bar
    v_bar += -unbroadcast(z_bar[index], v)


@tangent(runtime.subtracted_at)
def subtracted_at_tangent(z, x, index, v):
    z_dot += x_dot
    z_dot += subtracted_at(zeros_like(x), index, v_dot)


@adjoint(np.copy, copying.copy, copying.deepcopy, methods=("copy",), shape="like")
def copy_array(y, x):
    # (copy.copy and copy.deepcopy of an array or a number: a new one of the same values;
    # of a structure, a structure of those: frontend/tree_values.py)
    x_bar += y_bar


@tangent(np.copy)
def copy_array_tangent(y, x):
    y_dot += x_dot


@adjoint(operator.mod, np.mod, np.fmod)
def mod(z, x, y):
    # x % y is x - q * y with a piecewise-constant quotient q = (x - z) / y (floor for %
    # and np.mod, truncation for np.fmod); at the jumps, the gradient of the piece on the right
    x_bar += unbroadcast(z_bar, x)
    y_bar += unbroadcast(-z_bar * ((x - z) / y), y)


@adjoint(divmod, shape="sequence")
def divmod_(y, x, d):
    # y = (q, r) = (x // d, x % d): the quotient is piecewise constant (no gradient), the
    # remainder r = x - q d, as x % d is
    x_bar += unbroadcast(y_bar[1], x)
    d_bar += unbroadcast(-y_bar[1] * y[0], d)


@tangent(divmod)
def divmod_tangent(y, x, d):
    y_dot += pair(zeros_like(y[0]), rebroadcast(x_dot, y[1]))
    y_dot += pair(zeros_like(y[0]), rebroadcast(-d_dot * y[0], y[1]))


nondifferentiable(len, int, round, bool, isinstance, type, range, operator.floordiv,
                  operator.not_, operator.invert, operator.lt, operator.le,
                  operator.gt, operator.ge, operator.eq, operator.ne)
inert(print, warnings.warn)
# a log line of a value in a loss: logging's functions, and its loggers' methods (a bound
# method is inert when its function is, see Registry.is_inert)
_LOG_LEVELS = ("debug", "info", "warning", "error", "critical", "exception", "log")
inert(*(getattr(logging, name) for name in _LOG_LEVELS),
      *(getattr(logging.Logger, name) for name in _LOG_LEVELS),
      *(getattr(logging.LoggerAdapter, name) for name in _LOG_LEVELS))


# max(xs) and min(xs) of a sequence (a list of values, or an array's entries): the frontend
# (rewritten_calls.py) takes these rules for a call with one argument; several arguments,
# or a list literal, are a chain of the two-argument rules above
@adjoint(shape="unknown", sequence="xs")
def max_list(m, xs):
    # the first item equal to the result (the one Python returns) gets the gradient
    xs_bar += extreme_bar(m_bar, xs, m)


@tangent(rule=REGISTRY.added[-1])
def max_list_tangent(m, xs):
    m_dot += extreme_dot(xs_dot, xs, m)


@adjoint(shape="unknown", sequence="xs")
def min_list(m, xs):
    xs_bar += extreme_bar(m_bar, xs, m)


@tangent(rule=REGISTRY.added[-1])
def min_list_tangent(m, xs):
    m_dot += extreme_dot(xs_dot, xs, m)


REGISTRY.special.update({r.name: r for r in REGISTRY.added[-2:]})   # max_list, min_list


@adjoint(list, tuple, shape="sequence", sequence="xs")
def items(y, xs):
    # list(x) of an array (its rows, or its entries) or of a list: the k-th item is xs's
    xs_bar += items_bar(y_bar, xs)


@tangent(list)
def items_tangent(y, xs):
    y_dot += items_dot(xs_dot, xs)


@adjoint(methods=("tolist",), shape="sequence")
def tolist(y, x):
    # x.tolist() of a vector: its entries as Python floats, list(x)'s items. Of a matrix it
    # gives lists of lists, which Python's operators join and repeat: refused (where the
    # number of dimensions is known only when the code runs, checked there, and by
    # entries_bar)
    if ndim(x) == 1:
        x_bar += items_bar(y_bar, x)
    elif ndim(x) != 1:
        unsupported("x.tolist() is differentiated for a 1-d array x only (of a matrix it "
                    "gives nested lists); use list(x) for its rows, or x.ravel().tolist()")
    else:
        x_bar += entries_bar(y_bar, x)


@tangent(method="tolist")
def tolist_tangent(y, x):
    if ndim(x) == 1:
        y_dot += items_dot(x_dot, x)
    elif ndim(x) != 1:
        unsupported("x.tolist() is differentiated for a 1-d array x only (of a matrix it "
                    "gives nested lists); use list(x) for its rows, or x.ravel().tolist()")
    else:
        y_dot += entries_dot(x_dot, x)


@adjoint(sorted, shape="sequence", sequence="xs")
def sorted_(y, xs, key=None, reverse=False):
    # a list of numbers (or an array's entries) in order: each item's gradient is the one of
    # its place in y (ties: in the order the stable sort leaves them)
    if key is None:
        xs_bar += sorted_bar(y_bar, xs, reverse)
    else:
        unsupported("sorted with key= is not differentiated; sort the values themselves")


@tangent(sorted)
def sorted_tangent(y, xs, key=None, reverse=False):
    if key is None:
        y_dot += sorted_dot(xs_dot, xs, reverse)
    else:
        unsupported("sorted with key= is not differentiated; sort the values themselves")
