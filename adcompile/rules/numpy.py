"""Adjoints of NumPy functions and array methods."""
# ruff: noqa: F821, F841

import math

import numpy as np

from . import adjoint, adjoint_from, nondifferentiable, tangent


@adjoint(np.exp)
def exp(y, x):
    x_bar += y_bar * y


@adjoint(np.log)
def log(y, x):
    x_bar += y_bar / x


@adjoint(np.sqrt)
def sqrt(y, x):
    x_bar += y_bar / (2 * y)


@adjoint(np.sin)
def sin(y, x):
    x_bar += y_bar * np.cos(x)


@adjoint(np.cos)
def cos(y, x):
    x_bar += -y_bar * np.sin(x)


@adjoint(np.tan)
def tan(y, x):
    x_bar += y_bar * (1 + y * y)


@adjoint(np.tanh)
def tanh(y, x):
    x_bar += y_bar * (1 - y * y)


@adjoint(np.abs, np.fabs)
def abs(y, x):
    # sign(0) = 0: the zero subgradient at the kink, as in JAX
    x_bar += y_bar * real_sign(x)


@adjoint(np.exp2)
def exp2(y, x):
    x_bar += y_bar * (y * math.log(2.0))


@adjoint(np.expm1)
def expm1(y, x):
    x_bar += y_bar * (y + 1.0)


@adjoint(np.log2)
def log2(y, x):
    x_bar += y_bar / (x * math.log(2.0))


@adjoint(np.log10)
def log10(y, x):
    x_bar += y_bar / (x * math.log(10.0))


@adjoint(np.log1p)
def log1p(y, x):
    x_bar += y_bar / (1.0 + x)


@adjoint(np.cbrt)
def cbrt(y, x):
    # infinite at x = 0, as in JAX
    x_bar += y_bar / (3.0 * y * y)


@adjoint(np.square)
def square(y, x):
    x_bar += y_bar * (2.0 * x)


@adjoint(np.reciprocal)
def reciprocal(y, x):
    x_bar += -y_bar * (y * y)


@adjoint(np.arcsin)
def arcsin(y, x):
    x_bar += y_bar / np.sqrt(1.0 - x * x)


@adjoint(np.arccos)
def arccos(y, x):
    x_bar += -y_bar / np.sqrt(1.0 - x * x)


@adjoint(np.arctan)
def arctan(y, x):
    x_bar += y_bar / (1.0 + x * x)


@adjoint(np.arctan2)
def arctan2(z, a, b):
    # z = arctan2(a, b), the angle of the point (b, a)
    a_bar += unbroadcast(z_bar * (b / (a * a + b * b)), a)
    b_bar += unbroadcast(z_bar * (-a / (a * a + b * b)), b)


@adjoint(np.sinh)
def sinh(y, x):
    x_bar += y_bar * np.cosh(x)


@adjoint(np.cosh)
def cosh(y, x):
    x_bar += y_bar * np.sinh(x)


@adjoint(np.arcsinh)
def arcsinh(y, x):
    x_bar += y_bar / np.sqrt(x * x + 1.0)


@adjoint(np.arccosh)
def arccosh(y, x):
    x_bar += y_bar / np.sqrt(x * x - 1.0)


@adjoint(np.arctanh)
def arctanh(y, x):
    x_bar += y_bar / (1.0 - x * x)


@adjoint(np.hypot)
def hypot(z, x, y):
    # NaN at the origin, where hypot has a kink
    x_bar += unbroadcast(z_bar * (x / z), x)
    y_bar += unbroadcast(z_bar * (y / z), y)


@adjoint(np.copysign, constant=("y",))
def copysign(z, x, y):
    # z = |x| with the sign (bit) of y: x's gradient where the signs agree, its negative where
    # they differ, 0 at x == 0 (abs's zero subgradient); y == 0 counts by its sign bit
    # (-0.0 is negative), as the value does. A step in y: zero gradient
    x_bar += unbroadcast(z_bar * (real_sign(x) * np.copysign(1.0, y)), x)


@adjoint(np.logaddexp)
def logaddexp(z, x, y):
    # z = log(e^x + e^y): the shares e^(x - z) = sigmoid(x - y) and sigmoid(y - x), made
    # from the difference without z (so z need not be computed when only the gradient is);
    # runtime.stable_sigmoid neither overflows nor loses the relative precision of a tiny share
    x_bar += unbroadcast(z_bar * stable_sigmoid(x - y), x)
    y_bar += unbroadcast(z_bar * stable_sigmoid(y - x), y)


@adjoint(np.logaddexp2)
def logaddexp2(z, x, y):
    # z = log2(2^x + 2^y): the shares 2^(x - z) and 2^(y - z), from the difference as for
    # logaddexp, in powers of 2
    e = np.exp2(-np.abs(x - y))
    x_bar += unbroadcast(z_bar * (np.exp2(np.minimum(x - y, 0.0)) / (1.0 + e)), x)
    y_bar += unbroadcast(z_bar * (np.exp2(np.minimum(y - x, 0.0)) / (1.0 + e)), y)


@adjoint(np.deg2rad, np.radians, linear=True)
def deg2rad(y, x):
    x_bar += y_bar * (math.pi / 180.0)


@adjoint(np.rad2deg, np.degrees, linear=True)
def rad2deg(y, x):
    x_bar += y_bar * (180.0 / math.pi)


@adjoint(np.conjugate, np.real, methods=("conj", "conjugate"), attributes=("real",),
         linear=True)
def conjugate(y, x):
    # the conjugate and the real part of a real value are the value itself (complex values
    # are refused: frontend/complex_refusals.py, analysis/complex_values.py)
    x_bar += y_bar


@adjoint(np.fmax)
def fmax(z, x, y):
    # np.maximum's gradient, but a NaN loses: the other operand gets it all
    x_bar += unbroadcast(z_bar * ((x > y) | np.isnan(y)) + 0.5 * z_bar * (x == y), x)
    y_bar += unbroadcast(z_bar * ((y > x) | np.isnan(x)) + 0.5 * z_bar * (x == y), y)


@adjoint(np.fmin)
def fmin(z, x, y):
    x_bar += unbroadcast(z_bar * ((x < y) | np.isnan(y)) + 0.5 * z_bar * (x == y), x)
    y_bar += unbroadcast(z_bar * ((y < x) | np.isnan(x)) + 0.5 * z_bar * (x == y), y)


@adjoint(np.sinc)
def sinc(y, x):
    # y = sin(pi x) / (pi x): the slope (cos(pi x) - y) / x, 0 at x = 0
    x_bar += y_bar * np.where(x == 0, 0.0, (np.cos(np.pi * x) - y) / np.where(x == 0, 1.0, x))


@adjoint(np.nan_to_num)
def nan_to_num(y, x, copy=True, nan=0.0, posinf=None, neginf=None):
    # finite entries pass; NaN and infinities become constants
    x_bar += y_bar * np.isfinite(x)


@adjoint(np.interp, shape="like")
def interp(y, x, xp, fp, left=None, right=None, period=None):
    # piecewise linear interpolation in the table (xp, fp): the slope of x's segment in x
    # (0 beyond the table), the interpolation weights in fp (see runtime/interpolation.py);
    # the breakpoints xp are not differentiated (refused where they vary)
    x_bar += y_bar * interp_slope(x, xp, fp, left, right, period)
    fp_bar += interp_fp_bar(y_bar, x, xp, fp, left, right, period)


@tangent(np.interp)
def interp_tangent(y, x, xp, fp, left=None, right=None, period=None):
    y_dot += x_dot * interp_slope(x, xp, fp, left, right, period)
    y_dot += interp_linear(x, xp, fp_dot, left, right, period)


@adjoint(np.polyval, shape="unknown")
def polyval(y, p, x):
    # y = p[0] x^(n-1) + ... + p[n-1]: in x, the derivative polynomial's value; in p (a
    # vector of coefficients), the powers of x (see runtime/powers.py)
    x_bar += unbroadcast(y_bar * polyval_derivative(p, x, 1), x)
    p_bar += polyval_bar(y_bar, p, x, 0)


@tangent(np.polyval)
def polyval_tangent(y, p, x):
    y_dot += x_dot * polyval_derivative(p, x, 1)
    y_dot += np.polyval(p_dot, x)


@adjoint(np.vander, shape="unknown")
def vander(y, x, N=None, increasing=False):
    # column j holds x ** p_j; its derivative p_j x ** (p_j - 1) is p_j times the
    # neighbouring column (the next one for decreasing powers): no division, exact at 0
    x_bar += np.sum(y_bar * np.where(increasing, np.concatenate([np.zeros_like(y[:, :1]), y[:, :-1] * np.arange(1, np.shape(y)[1])], axis=1), np.concatenate([y[:, 1:] * np.arange(np.shape(y)[1] - 1, 0, -1), np.zeros_like(y[:, :1])], axis=1)), axis=1)


@tangent(np.vander)
def vander_tangent(y, x, N=None, increasing=False):
    y_dot += np.expand_dims(x_dot, -1) * np.where(increasing, np.concatenate([np.zeros_like(y[:, :1]), y[:, :-1] * np.arange(1, np.shape(y)[1])], axis=1), np.concatenate([y[:, 1:] * np.arange(np.shape(y)[1] - 1, 0, -1), np.zeros_like(y[:, :1])], axis=1))


@adjoint(np.heaviside, constant=("x",))
def heaviside(y, x, h):
    # a step in x (zero gradient); the value h at x == 0 passes h's gradient there
    h_bar += unbroadcast(y_bar * (x == 0), h)


@adjoint(np.clip, methods=("clip",), optional=("a_min", "a_max"),
         spellings={"min": "a_min", "max": "a_max"})
def clip(y, x, a_min, a_max):
    # y = minimum(maximum(x, a_min), a_max), as NumPy computes it: x at a bound (a tie) keeps
    # its gradient; a bound gets it where y is that bound and not x (crossed bounds, a_min >
    # a_max, give a_max). Either bound may be None or left out (x.clip(max=1)).
    x_bar += unbroadcast(y_bar * (y == x), x)
    a_min_bar += unbroadcast(y_bar * ((y == a_min) & (y != x)), a_min)
    a_max_bar += unbroadcast(y_bar * ((y == a_max) & (y != x)), a_max)


@adjoint(np.where, constant=('c',))
def where(y, c, a, b):
    # the condition is not differentiated; masking (not multiplying by c) keeps an inf or
    # NaN in the unselected branch's adjoint out of the other's
    if ndim(c) == 0 and ndim(a) == 0 and ndim(b) == 0:  # numbers, not 0-d arrays
        a_bar += y_bar if c else 0.0
        b_bar += 0.0 if c else y_bar
    else:
        a_bar += unbroadcast(np.where(c, y_bar, 0.0), a)
        b_bar += unbroadcast(np.where(c, 0.0, y_bar), b)


@adjoint(np.maximum)
def maximum(z, x, y):
    # a tie splits the gradient evenly, as in JAX (z_bar times a mask keeps its precision)
    x_bar += unbroadcast(z_bar * (x > y) + 0.5 * z_bar * (x == y), x)
    y_bar += unbroadcast(z_bar * (y > x) + 0.5 * z_bar * (x == y), y)


@adjoint(np.minimum)
def minimum(z, x, y):
    x_bar += unbroadcast(z_bar * (x < y) + 0.5 * z_bar * (x == y), x)
    y_bar += unbroadcast(z_bar * (y < x) + 0.5 * z_bar * (x == y), y)


def matrix_product(z, x, y):
    # The adjoint of z = x @ y, np.matmul(x, y) and np.dot(x, y), registered for each of them:
    # the plain forms for vectors and matrices; operands of other or unknown dimensions go to
    # the primitive's own helpers (stacks of matrices for @, a tensordot for np.dot)
    if ndim(x) == 2 and ndim(y) == 2:
        x_bar += z_bar @ y.T
        y_bar += x.T @ z_bar
    elif ndim(x) == 2 and ndim(y) == 1:
        x_bar += np.outer(z_bar, y)
        y_bar += x.T @ z_bar
    elif ndim(x) == 1 and ndim(y) == 2:
        x_bar += y @ z_bar
        y_bar += np.outer(x, z_bar)
    elif ndim(x) == 1 and ndim(y) == 1:
        x_bar += z_bar * y
        y_bar += z_bar * x
    else:
        x_bar += product_bar_left(z_bar, x, y)
        y_bar += product_bar_right(z_bar, x, y)


adjoint_from(matrix_product, np.dot, methods=("dot",), shape="dot", name="dot",
             helpers={"product_bar_left": "dot_bar_left", "product_bar_right": "dot_bar_right"})


@tangent(np.dot)
def dot_tangent(z, x, y):
    z_dot += np.dot(x_dot, y)
    z_dot += np.dot(x, y_dot)


@adjoint(np.transpose, methods=("transpose",), attributes=("T",), shape="same",
         linear=True)
def transpose(y, x, axes=None):
    if axes is None:
        x_bar += np.transpose(y_bar)
    else:
        x_bar += transpose_bar(y_bar, axes)


# dtype= (a real floating type, frontend/dtypes.py) computes a reduction in that precision;
# the adjoint goes back in the precision of the value reduced (astype_bar)

@adjoint(np.sum, methods=("sum",), shape="reduce", linear=True, floating=("dtype",))
def sum(y, x, axis=None, dtype=None, keepdims=False):
    if dtype is None and ndim(x) == 0:
        x_bar += y_bar
    elif dtype is None and axis is None and not keepdims:
        x_bar += filled_like(x, y_bar)
    elif dtype is None and (axis is None or keepdims):
        x_bar += np.broadcast_to(y_bar, np.shape(x))
    elif dtype is None:
        x_bar += unreduce(y_bar, x, axis=axis, keepdims=keepdims)
    else:
        x_bar += astype_bar(unreduce(y_bar, x, axis=axis, keepdims=keepdims), dtype, np.result_type(x))


@adjoint(np.mean, methods=("mean",), shape="reduce", linear=True, floating=("dtype",))
def mean(y, x, axis=None, dtype=None, keepdims=False):
    if dtype is None and ndim(x) == 0:
        x_bar += y_bar
    elif dtype is None and axis is None:
        x_bar += filled_like(x, y_bar / reduced_size(x))
    elif dtype is None:
        x_bar += unreduce(y_bar / reduced_size(x, axis=axis), x, axis=axis, keepdims=keepdims)
    else:
        x_bar += astype_bar(unreduce(y_bar / reduced_size(x, axis=axis), x, axis=axis, keepdims=keepdims), dtype, np.result_type(x))


@adjoint(np.max, np.amax, np.min, np.amin, methods=("max", "min"), shape="reduce")
def max(y, x, axis=None, keepdims=False):
    # max and min alike: the entries equal to the result get it; ties share it evenly, as in
    # JAX (argmax_mask marks where x equals y)
    x_bar += unreduce(y_bar, x, axis=axis, keepdims=keepdims) * argmax_mask(x, y, axis=axis, keepdims=keepdims)


@tangent(np.max)
def max_tangent(y, x, axis=None, keepdims=False):
    # the mean of the tangents of the maximal entries (ties share, as in the adjoint)
    y_dot += np.sum(x_dot * argmax_mask(x, y, axis=axis, keepdims=keepdims), axis=axis,
                    keepdims=keepdims)


@adjoint(np.ptp, shape="reduce")
def ptp(y, x, axis=None, keepdims=False):
    # max - min: the largest entries get y_bar, the smallest -y_bar (ties share, as max's)
    x_bar += unreduce(y_bar, x, axis=axis, keepdims=keepdims) * (argmax_mask(x, np.max(x, axis=axis, keepdims=keepdims), axis=axis, keepdims=keepdims) - argmax_mask(x, np.min(x, axis=axis, keepdims=keepdims), axis=axis, keepdims=keepdims))


@tangent(np.ptp)
def ptp_tangent(y, x, axis=None, keepdims=False):
    y_dot += np.sum(x_dot * (argmax_mask(x, np.max(x, axis=axis, keepdims=keepdims), axis=axis, keepdims=keepdims) - argmax_mask(x, np.min(x, axis=axis, keepdims=keepdims), axis=axis, keepdims=keepdims)), axis=axis, keepdims=keepdims)


@adjoint(np.prod, methods=("prod",), shape="reduce", floating=("dtype",))
def prod(y, x, axis=None, dtype=None, keepdims=False):
    # the product of the other entries, not y / x: exact where x has zeros
    if dtype is None:
        x_bar += unreduce(y_bar, x, axis=axis, keepdims=keepdims) * prod_others(x, axis=axis)
    else:
        x_bar += astype_bar(unreduce(y_bar, x, axis=axis, keepdims=keepdims) * prod_others(x.astype(dtype), axis=axis), dtype, np.result_type(x))


@tangent(np.prod)
def prod_tangent(y, x, axis=None, dtype=None, keepdims=False):
    y_dot += np.sum(x_dot * prod_others(x, axis=axis), axis=axis, dtype=dtype, keepdims=keepdims)


@adjoint(np.var, methods=("var",), shape="reduce")
def var(y, x, axis=None, ddof=0, keepdims=False):
    x_bar += unreduce(y_bar, x, axis=axis, keepdims=keepdims) * (2.0 * (x - np.mean(x, axis=axis, keepdims=True)) / (reduced_size(x, axis=axis) - ddof))


@tangent(np.var)
def var_tangent(y, x, axis=None, ddof=0, keepdims=False):
    y_dot += np.sum(x_dot * (x - np.mean(x, axis=axis, keepdims=True)), axis=axis, keepdims=keepdims) * (2.0 / (reduced_size(x, axis=axis) - ddof))


@adjoint(np.std, methods=("std",), shape="reduce")
def std(y, x, axis=None, ddof=0, keepdims=False):
    # where the spread is zero the gradient is 0 (a subgradient of this norm at its kink)
    x_bar += unreduce(y_bar / (y + (y == 0)), x, axis=axis, keepdims=keepdims) * ((x - np.mean(x, axis=axis, keepdims=True)) / (reduced_size(x, axis=axis) - ddof))


@tangent(np.std)
def std_tangent(y, x, axis=None, ddof=0, keepdims=False):
    y_dot += np.sum(x_dot * (x - np.mean(x, axis=axis, keepdims=True)), axis=axis, keepdims=keepdims) / ((y + (y == 0)) * (reduced_size(x, axis=axis) - ddof))


@adjoint(np.cumsum, methods=("cumsum",), shape="scan", linear=True, floating=("dtype",))
def cumsum(y, x, axis=None, dtype=None):
    # each x[i] feeds every y[j], j >= i: a cumulative sum from the end (flattened if axis is None)
    if dtype is None and ndim(x) == 0:
        x_bar += y_bar[0]
    elif dtype is None:
        x_bar += np.reshape(np.flip(np.cumsum(np.flip(y_bar, axis), axis=axis), axis), np.shape(x))
    else:
        x_bar += astype_bar(np.reshape(np.flip(np.cumsum(np.flip(y_bar, axis), axis=axis), axis), np.shape(x)), dtype, np.result_type(x))


@adjoint(np.cumprod, methods=("cumprod",), shape="scan")
def cumprod(y, x, axis=None):
    x_bar += cumprod_bar(y_bar, x, axis=axis)


@tangent(np.cumprod)
def cumprod_tangent(y, x, axis=None):
    y_dot += cumprod_dot(x_dot, x, axis=axis)


# -- products: bilinear, so each has a tangent line per operand ---------------------------------

@adjoint(np.outer, shape="outer")
def outer(z, x, y):
    # np.outer flattens its operands
    x_bar += np.reshape(z_bar @ np.ravel(y), np.shape(x))
    y_bar += np.reshape(np.ravel(x) @ z_bar, np.shape(y))


@tangent(np.outer)
def outer_tangent(z, x, y):
    z_dot += np.outer(x_dot, y)
    z_dot += np.outer(x, y_dot)


@adjoint(np.vdot, shape="unknown")
def vdot(z, a, b):
    # the dot product of the flattened operands (of real values: complex ones are refused, so
    # a's conjugate is a itself)
    a_bar += np.reshape(z_bar * np.ravel(b), np.shape(a))
    b_bar += np.reshape(z_bar * np.ravel(a), np.shape(b))


@tangent(np.vdot)
def vdot_tangent(z, a, b):
    z_dot += np.vdot(a_dot, b)
    z_dot += np.vdot(a, b_dot)


@adjoint(np.inner, shape="inner")
def inner(z, x, y):
    if ndim(x) == 1 and ndim(y) == 1:
        x_bar += z_bar * y
        y_bar += z_bar * x
    else:
        x_bar += tensordot_bar_left(z_bar, x, y, inner_axes(x, y))
        y_bar += tensordot_bar_right(z_bar, x, y, inner_axes(x, y))


@tangent(np.inner)
def inner_tangent(z, x, y):
    z_dot += np.inner(x_dot, y)
    z_dot += np.inner(x, y_dot)


@adjoint(np.tensordot, shape="tensordot")
def tensordot(z, x, y, axes=2):
    x_bar += tensordot_bar_left(z_bar, x, y, axes)
    y_bar += tensordot_bar_right(z_bar, x, y, axes)


@tangent(np.tensordot)
def tensordot_tangent(z, x, y, axes=2):
    z_dot += np.tensordot(x_dot, y, axes)
    z_dot += np.tensordot(x, y_dot, axes)


@adjoint(np.kron, shape="elementwise")
def kron(z, x, y):
    x_bar += kron_bar_left(z_bar, x, y)
    y_bar += kron_bar_right(z_bar, x, y)


@tangent(np.kron)
def kron_tangent(z, x, y):
    z_dot += np.kron(x_dot, y)
    z_dot += np.kron(x, y_dot)


@adjoint(np.cross, shape="unknown")
def cross(z, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    # 3-vectors: <z_bar, a x b> = <a, b x z_bar> = <b, z_bar x a>, along the last axes, or
    # along axisa of a, axisb of b and axisc of z (all three along axis where it is given)
    # moved last, the products taken there and the adjoints moved back
    # (axis given as a variable: which it is, None or an axis, is chosen when the code runs)
    # 2-vectors (deprecated by NumPy) are refused where the code is made knowing their
    # length, and else by a check made when the code runs (ad/templates.py), at the line
    if axis is None and (known_length(a, axisa) == 2 or known_length(b, axisb) == 2) \
            or axis is not None and (known_length(a, axis) == 2 or known_length(b, axis) == 2):
        unsupported("np.cross of 2-vectors is not differentiated (NumPy deprecates them): "
                    "give 3-vectors, with a zero third entry")
    if axis is None and axisa == -1 and axisb == -1 and axisc == -1:
        a_bar += cross_bar(z_bar, a, b)
        b_bar += cross_bar(-z_bar, b, a)
    elif axis is None:
        g = np.moveaxis(z_bar, axisc, -1)
        a_last = np.moveaxis(a, axisa, -1)
        b_last = np.moveaxis(b, axisb, -1)
        a_bar += np.moveaxis(cross_bar(g, a_last, b_last), -1, axisa)
        b_bar += np.moveaxis(cross_bar(-g, b_last, a_last), -1, axisb)
    elif axis is not None:
        g = np.moveaxis(z_bar, axis, -1)
        a_last = np.moveaxis(a, axis, -1)
        b_last = np.moveaxis(b, axis, -1)
        a_bar += np.moveaxis(cross_bar(g, a_last, b_last), -1, axis)
        b_bar += np.moveaxis(cross_bar(-g, b_last, a_last), -1, axis)
    else:
        ka = axisa if axis is None else axis
        kb = axisb if axis is None else axis
        g = np.moveaxis(z_bar, axisc if axis is None else axis, -1)
        a_last = np.moveaxis(a, ka, -1)
        b_last = np.moveaxis(b, kb, -1)
        a_bar += np.moveaxis(cross_bar(g, a_last, b_last), -1, ka)
        b_bar += np.moveaxis(cross_bar(-g, b_last, a_last), -1, kb)


@tangent(np.cross)
def cross_tangent(z, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    z_dot += np.cross(a_dot, b, axisa, axisb, axisc, axis)
    z_dot += np.cross(a, b_dot, axisa, axisb, axisc, axis)


@adjoint(np.einsum, shape="unknown", optional=("b",), constant=('spec',))
def einsum(z, spec, a, b):
    # one operand (b is None) or two; the subscripts are a string constant, with an ellipsis
    # or not (einsum_bar sums what NumPy broadcast an operand's ellipsis dimensions along)
    a_bar += einsum_bar(z_bar, spec, a, b, 0)
    b_bar += einsum_bar(z_bar, spec, a, b, 1)


@tangent(np.einsum)
def einsum_tangent(z, spec, a, b):
    if b is None:
        z_dot += np.einsum(spec, a_dot)
    else:
        z_dot += np.einsum(spec, a_dot, b)
        z_dot += np.einsum(spec, a, b_dot)


# -- shapes: linear in x, so their tangent is the primitive applied to x_dot -------------------

@adjoint(np.reshape, methods=("reshape",), shape="reshape", linear=True)
def reshape(y, x, shape=None):
    x_bar += np.reshape(y_bar, np.shape(x))


@adjoint(np.ravel, methods=("ravel", "flatten"), shape="flat", linear=True)
def ravel(y, x):
    x_bar += np.reshape(y_bar, np.shape(x))


@adjoint(np.expand_dims, shape="expand", linear=True)
def expand_dims(y, x, axis=None):
    x_bar += np.reshape(y_bar, np.shape(x))


@adjoint(np.squeeze, methods=("squeeze",), shape="squeeze", linear=True)
def squeeze(y, x, axis=None):
    x_bar += np.reshape(y_bar, np.shape(x))


@adjoint(np.swapaxes, methods=("swapaxes",), shape="same", linear=True)
def swapaxes(y, x, axis1=None, axis2=None):
    x_bar += np.swapaxes(y_bar, axis1, axis2)


@adjoint(np.moveaxis, shape="same", linear=True)
def moveaxis(y, x, source=None, destination=None):
    x_bar += np.moveaxis(y_bar, destination, source)


@adjoint(np.rollaxis, shape="same", linear=True)
def rollaxis(y, x, axis=None, start=0):
    # np.moveaxis(x, a, s - 1) for a < s, else np.moveaxis(x, a, s), with a = axis made
    # non-negative and s = start (ndim added to a negative one; start may be ndim): moved
    # back from there (written out where axis and start are known numbers)
    if start == 0:
        x_bar += np.moveaxis(y_bar, 0, axis)
    elif axis >= 0 and start > 0 and axis < start:
        x_bar += np.moveaxis(y_bar, start - 1, axis)
    elif axis >= 0 and start > 0:
        x_bar += np.moveaxis(y_bar, start, axis)
    else:
        a = axis % np.ndim(x)
        s = start + np.ndim(x) * (start < 0)
        x_bar += np.moveaxis(y_bar, s - (a < s), a)


@adjoint(np.vecdot, shape="unknown")
def vecdot(z, x, y, axis=-1):
    # sum(x * y) along axis of each operand (its own: np.vecdot(v, m, axis=0) of a vector v
    # and a matrix m contracts v with m's columns), the other axes broadcast; real (NumPy
    # conjugates a complex x). Another axis than the last is moved last, and back
    if axis == -1:
        x_bar += unbroadcast(np.expand_dims(z_bar, -1) * y, x)
        y_bar += unbroadcast(np.expand_dims(z_bar, -1) * x, y)
    else:
        x_bar += np.moveaxis(unbroadcast(np.expand_dims(z_bar, -1) * np.moveaxis(y, axis, -1), np.moveaxis(x, axis, -1)), -1, axis)
        y_bar += np.moveaxis(unbroadcast(np.expand_dims(z_bar, -1) * np.moveaxis(x, axis, -1), np.moveaxis(y, axis, -1)), -1, axis)


@tangent(np.vecdot)
def vecdot_tangent(z, x, y, axis=-1):
    z_dot += np.vecdot(x_dot, y, axis=axis)
    z_dot += np.vecdot(x, y_dot, axis=axis)


@adjoint(np.broadcast_to, shape="reshape", linear=True)
def broadcast_to(y, x, shape=None):
    x_bar += unbroadcast(y_bar, x)


@adjoint(np.tile, shape="unknown", linear=True)
def tile(y, x, reps=None):
    x_bar += tile_bar(y_bar, x, reps)


@adjoint(np.repeat, methods=("repeat",), shape="scan", linear=True)
def repeat(y, x, repeats=None, axis=None):
    # a repeated entry's copies all add to its adjoint
    x_bar += repeat_bar(y_bar, x, repeats, axis)


@adjoint(np.flip, shape="like", linear=True)
def flip(y, x, axis=None):
    x_bar += np.flip(y_bar, axis)


@adjoint(np.roll, shape="like", linear=True)
def roll(y, x, shift=None, axis=None):
    x_bar += np.roll(y_bar, np.negative(shift), axis)


@adjoint(np.diag, shape="diag", linear=True)
def diag(y, x, k=0):
    if ndim(x) == 1:
        x_bar += np.diag(y_bar, k)
    else:
        x_bar += diag_bar(y_bar, x, k)


@adjoint(np.trace, methods=("trace",), shape="drop2", linear=True)
def trace(y, x, offset=0, axis1=0, axis2=1):
    x_bar += trace_bar(y_bar, x, offset, axis1, axis2)


@adjoint(np.triu, shape="matrix", linear=True)
def triu(y, x, k=0):
    if ndim(x) == 1:   # a vector's copies, one per row: summed
        x_bar += np.sum(np.triu(y_bar, k), axis=0)
    elif ndim(x) >= 2:
        x_bar += np.triu(y_bar, k)
    else:
        x_bar += unbroadcast(np.triu(y_bar, k), x)


@adjoint(np.tril, shape="matrix", linear=True)
def tril(y, x, k=0):
    if ndim(x) == 1:   # a vector's copies, one per row: summed
        x_bar += np.sum(np.tril(y_bar, k), axis=0)
    elif ndim(x) >= 2:
        x_bar += np.tril(y_bar, k)
    else:
        x_bar += unbroadcast(np.tril(y_bar, k), x)


# -- sequences of arrays: the list's items get one piece each of the adjoint --------------------
# (forward mode applies the primitive to the list of the items' tangents: see forward.py)

@adjoint(np.concatenate, shape="unknown", sequence="xs")
def concatenate(y, xs, axis=0):
    xs_bar += concatenate_bar(y_bar, xs, axis)



@adjoint(np.r_, shape="unknown", sequence="xs")
def r_(y, xs):
    # np.r_[a, b, ...]: the items, numbers as 1-element arrays, joined along the first axis
    xs_bar += r_bar(y_bar, xs)


@adjoint(np.c_, shape="unknown", sequence="xs")
def c_(y, xs):
    # np.c_[a, b, ...]: 1-d items (and numbers) as columns, the others joined along their
    # last axis
    xs_bar += c_bar(y_bar, xs)


@adjoint(np.stack, shape="unknown", sequence="xs")
def stack(y, xs, axis=0):
    xs_bar += stack_bar(y_bar, xs, axis)



@adjoint(np.hstack, shape="unknown", sequence="xs")
def hstack(y, xs):
    xs_bar += hstack_bar(y_bar, xs)



@adjoint(np.vstack, shape="unknown", sequence="xs")
def vstack(y, xs):
    xs_bar += vstack_bar(y_bar, xs)



@adjoint(np.array, np.asarray, shape="unknown", sequence="xs")
def array(y, xs, dtype=None):
    # np.array([a, b]) stacks its items; np.array(x) of an array is a copy of it. A dtype=
    # casts as astype does: an integer or bool type gives a zero gradient
    if dtype is None:
        xs_bar += array_bar(y_bar, xs)
    else:
        xs_bar += array_bar(astype_bar(y_bar, dtype, np.result_type(y_bar)), xs)



@adjoint(np.split, np.array_split, shape="sequence", linear=True)
def split(y, x, indices_or_sections=None, axis=0):
    # y is a list of pieces; their adjoints (zero for unused pieces) are put back together
    x_bar += join_parts(y_bar, axis)


@adjoint(np.convolve, shape="unknown")
def convolve(y, a, v, mode="full"):
    # y_bar placed in the full convolution, correlated with the other operand
    if ndim(a) == 0 or ndim(v) == 0:
        unsupported("np.convolve of a number is not differentiated; multiply by it instead")
    a_bar += np.convolve(np.pad(y_bar, convolve_padding(a, v, mode)), v[::-1], "valid")
    v_bar += np.convolve(np.pad(y_bar, convolve_padding(a, v, mode)), a[::-1], "valid")


@tangent(np.convolve)
def convolve_tangent(y, a, v, mode="full"):
    if ndim(a) == 0 or ndim(v) == 0:
        unsupported("np.convolve of a number is not differentiated; multiply by it instead")
    y_dot += np.convolve(a_dot, v, mode)
    y_dot += np.convolve(a, v_dot, mode)


@adjoint(np.correlate, shape="unknown")
def correlate(y, a, v, mode="valid"):
    # the full correlation y[k] = sum_n a[n + k - (m - 1)] v[n] (y_bar padded to it) is
    # a convolution of a with v reversed: its adjoints correlate y_bar with the other one
    a_bar += np.correlate(np.pad(y_bar, correlate_padding(a, v, mode)), v[::-1], "valid")
    v_bar += np.correlate(np.pad(y_bar, correlate_padding(a, v, mode)), a, "valid")[::-1]


@tangent(np.correlate)
def correlate_tangent(y, a, v, mode="valid"):
    y_dot += np.correlate(a_dot, v, mode)
    y_dot += np.correlate(a, v_dot, mode)


@adjoint(np.pad, shape="same")
def pad(y, x, pad_width=None, mode="constant", constant_values=0):
    # the padding is constant or copies entries of x; only x is differentiated
    if mode == "linear_ramp" or mode == "maximum" or mode == "mean" or mode == "median" \
            or mode == "minimum" or mode == "empty":
        unsupported("np.pad with a ramp, statistic or empty mode: only the modes 'constant', "
                    "'edge', 'reflect', 'symmetric' and 'wrap' are differentiated")
    else:
        x_bar += pad_bar(y_bar, x, pad_width, mode)


@tangent(np.pad)
def pad_tangent(y, x, pad_width=None, mode="constant", constant_values=0):
    # linear in x; the constant padding of the tangent is zero (a statistic's padding is
    # not the statistic of the tangent: np.pad(x_dot, mode="maximum") is wrong, refused)
    if mode == "linear_ramp" or mode == "maximum" or mode == "mean" or mode == "median" \
            or mode == "minimum" or mode == "empty":
        unsupported("np.pad with a ramp, statistic or empty mode: only the modes 'constant', "
                    "'edge', 'reflect', 'symmetric' and 'wrap' are differentiated")
    else:
        y_dot += np.pad(x_dot, pad_width, mode=mode)


@adjoint(methods=("astype",), shape="like")
def astype(y, x, dtype=None, copy=True):
    # a cast to an integer or bool type is piecewise constant: zero gradient (copy=False
    # may give x itself: the aliasing analysis reads the call's copy=)
    x_bar += astype_bar(y_bar, dtype, np.result_type(x))


@tangent(method="astype")
def astype_tangent(y, x, dtype=None, copy=True):
    y_dot += astype_bar(x_dot, dtype)


@adjoint(methods=("item",), shape="unknown")
def item(y, x, index=None):
    # x.item() of a one-entry array, x.item(i) of the flattened x, x.item(i, j) (read as
    # x.item((i, j))): one entry as a Python number, whose adjoint goes back to its place
    if index is None:
        x_bar += filled_like(x, y_bar)
    else:
        x_bar += getitem_bar(y_bar, x, item_place(x, index))


@tangent(method="item")
def item_tangent(y, x, index=None):
    # (the tangent of a NumPy number may be a Python float, which has no .item())
    if index is None:
        y_dot += np.asarray(x_dot).item()
    else:
        y_dot += np.asarray(x_dot).item(index)


nondifferentiable(np.result_type, np.shape, np.ndim, np.size, np.argmax, np.argmin, np.argsort,
                  np.zeros_like, np.ones_like, np.empty_like, np.sign, np.floor, np.ceil,
                  np.round, np.trunc, np.rint, np.fix, np.isnan, np.isfinite, np.isinf, np.equal, np.not_equal, np.less,
                  np.less_equal, np.greater, np.greater_equal)


@adjoint(np.full, shape="unknown", constant=("shape",))
def full(y, shape, fill, dtype=None):
    # an array filled with a value being differentiated (older gradient code too); in an
    # integer or bool dtype the value is rounded: zero gradient (as astype)
    if dtype is None:
        fill_bar += unbroadcast(y_bar, fill)
    else:
        fill_bar += unbroadcast(astype_bar(y_bar, dtype, np.result_type(fill)), fill)


@tangent(np.full)
def full_tangent(y, shape, fill, dtype=None):
    if dtype is None:
        y_dot += np.full(shape, fill_dot)
    else:
        y_dot += astype_bar(np.full(shape, fill_dot), dtype)


@adjoint(np.full_like, shape="like", constant=("a",))
def full_like(y, a, fill_value, dtype=None):
    # an array shaped like a (whose values do not matter) filled with fill_value, in a's
    # type or dtype: zero gradient where that is an integer or bool type (as astype)
    fill_value_bar += unbroadcast(astype_bar(y_bar, np.result_type(y), np.result_type(fill_value)), fill_value)


@tangent(np.full_like)
def full_like_tangent(y, a, fill_value, dtype=None):
    y_dot += astype_bar(np.zeros(np.shape(y)) + fill_value_dot, np.result_type(y))
