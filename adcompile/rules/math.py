"""Adjoints of the ``math`` module's functions (Python scalars in, Python floats out)."""
# ruff: noqa: F821, F841

import math

from . import adjoint, nondifferentiable


@adjoint(math.exp, shape="scalar")
def exp(y, x):
    x_bar += y_bar * y


@adjoint(math.log, shape="scalar")
def log(y, x):
    x_bar += y_bar / x


@adjoint(math.sqrt, shape="scalar")
def sqrt(y, x):
    x_bar += y_bar / (2 * y)


@adjoint(math.sin, shape="scalar")
def sin(y, x):
    x_bar += y_bar * math.cos(x)


@adjoint(math.cos, shape="scalar")
def cos(y, x):
    x_bar += -y_bar * math.sin(x)


@adjoint(math.tan, shape="scalar")
def tan(y, x):
    x_bar += y_bar * (1 + y * y)


@adjoint(math.tanh, shape="scalar")
def tanh(y, x):
    x_bar += y_bar * (1 - y * y)


@adjoint(math.copysign, shape="scalar", constant=('y',))
def copysign(z, x, y):
    # |x| with the sign of y: the slope is +-1 (0 at x = 0, as for abs); y's sign is constant
    x_bar += z_bar * (math.copysign(1.0, x) * math.copysign(1.0, y) if x != 0 else 0.0)


nondifferentiable(math.floor, math.ceil, math.trunc, math.isnan, math.isinf,
                  math.isfinite)
