"""Adjoints of the ``math`` module's functions (Python scalars in, Python floats out)."""
# ruff: noqa: F821, F841

import math

from . import adjoint, nondifferentiable


@adjoint(math.exp, shape="scalar")
def exp(y, x):
    x_bar += y_bar * y


@adjoint(math.log, shape="scalar", optional=("base",))
def log(y, x, base):
    # math.log(x) or math.log(x, base) = log(x) / log(base)
    if base is None:
        x_bar += y_bar / x
    else:
        x_bar += y_bar / (x * math.log(base))
        base_bar += -y_bar * (y / (base * math.log(base)))


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


@adjoint(math.log10, shape="scalar")
def log10(y, x):
    x_bar += y_bar / (x * math.log(10.0))


@adjoint(math.log2, shape="scalar")
def log2(y, x):
    x_bar += y_bar / (x * math.log(2.0))


@adjoint(math.log1p, shape="scalar")
def log1p(y, x):
    x_bar += y_bar / (1.0 + x)


@adjoint(math.expm1, shape="scalar")
def expm1(y, x):
    x_bar += y_bar * (y + 1.0)


@adjoint(math.exp2, shape="scalar")
def exp2(y, x):
    x_bar += y_bar * (y * math.log(2.0))


@adjoint(math.cbrt, shape="scalar")
def cbrt(y, x):
    # infinite at x = 0, as np.cbrt's
    x_bar += y_bar / (3.0 * y * y) if y != 0 else y_bar * math.inf


@adjoint(math.sinh, shape="scalar")
def sinh(y, x):
    x_bar += y_bar * math.cosh(x)


@adjoint(math.cosh, shape="scalar")
def cosh(y, x):
    x_bar += y_bar * math.sinh(x)


@adjoint(math.asin, shape="scalar")
def asin(y, x):
    x_bar += y_bar / math.sqrt(1.0 - x * x)


@adjoint(math.acos, shape="scalar")
def acos(y, x):
    x_bar += -y_bar / math.sqrt(1.0 - x * x)


@adjoint(math.atan, shape="scalar")
def atan(y, x):
    x_bar += y_bar / (1.0 + x * x)


@adjoint(math.atan2, shape="scalar")
def atan2(z, a, b):
    # z = atan2(a, b), the angle of the point (b, a)
    a_bar += z_bar * (b / (a * a + b * b))
    b_bar += z_bar * (-a / (a * a + b * b))


@adjoint(math.asinh, shape="scalar")
def asinh(y, x):
    x_bar += y_bar / math.sqrt(x * x + 1.0)


@adjoint(math.acosh, shape="scalar")
def acosh(y, x):
    x_bar += y_bar / math.sqrt(x * x - 1.0)


@adjoint(math.atanh, shape="scalar")
def atanh(y, x):
    x_bar += y_bar / (1.0 - x * x)


@adjoint(math.hypot, shape="scalar")
def hypot(z, x, y):
    # two coordinates; at the origin (the kink) the gradient is 0, as for a norm
    x_bar += z_bar * (x / z) if z != 0 else 0.0
    y_bar += z_bar * (y / z) if z != 0 else 0.0


@adjoint(math.fabs, shape="scalar")
def fabs(y, x):
    # 0 at the kink, as for abs
    x_bar += y_bar * math.copysign(1.0, x) if x != 0 else 0.0


@adjoint(math.erf, shape="scalar")
def erf(y, x):
    x_bar += y_bar * (2.0 / math.sqrt(math.pi) * math.exp(-x * x))


@adjoint(math.erfc, shape="scalar")
def erfc(y, x):
    x_bar += -y_bar * (2.0 / math.sqrt(math.pi) * math.exp(-x * x))


@adjoint(math.lgamma, shape="scalar")
def lgamma(y, x):
    # d log|gamma(x)| = digamma(x), polygamma of order 0
    x_bar += y_bar * polygamma(x, 0)


@adjoint(math.gamma, shape="scalar")
def gamma(y, x):
    x_bar += y_bar * (y * polygamma(x, 0))


@adjoint(math.degrees, shape="scalar", linear=True)
def degrees(y, x):
    x_bar += y_bar * (180.0 / math.pi)


@adjoint(math.radians, shape="scalar", linear=True)
def radians(y, x):
    x_bar += y_bar * (math.pi / 180.0)


@adjoint(math.fmod, shape="scalar")
def fmod(z, x, y):
    # x - q * y with the quotient q = (x - z) / y truncated: piecewise constant
    x_bar += z_bar
    y_bar += -z_bar * ((x - z) / y)


@adjoint(math.pow, shape="scalar")
def pow(z, x, y):
    # as x ** y (python.py): 0 where y == 0, log(x) taken as 0 where x == 0
    x_bar += z_bar * scaled_power(y, x, y - 1)
    y_bar += z_bar * (z * log_or_zero(x))


nondifferentiable(math.floor, math.ceil, math.trunc, math.isnan, math.isinf,
                  math.isfinite, math.factorial, math.gcd, math.isclose, math.comb,
                  math.perm, math.isqrt)
