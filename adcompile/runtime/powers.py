"""The derivatives of ``x ** y``: powers and logarithms that are 0 where NumPy's are not
defined but the derivative is; and of a polynomial's coefficients (``np.polyval``)."""

import numpy as np

from .broadcast import unbroadcast


def scaled_power(c, x, p):
    """``c * x ** p``, and 0 where ``c`` is 0 (the derivative of ``x ** y`` in x is
    ``scaled_power(y, x, y - 1)``: 0 where y is 0, as x ** 0 is constant). Where x is 0 and
    p < 0 the power is infinite, as NumPy gives it, never a ZeroDivisionError nor a warning;
    a Python number in gives a Python number out."""
    if type(c) in (bool, int, float) and type(x) in (int, float) and type(p) in (int, float):
        if c == 0:
            return 0.0
        if x == 0 and p < 0:   # Python raises; NumPy's power is inf (-inf for -0.0 ** odd)
            with np.errstate(divide="ignore"):
                return float(c * np.power(float(x), p))
        if x < 0 and p != int(p):   # not real: NaN as in NumPy, not a complex number
            return float("nan")
        return c * x ** p
    if np.result_type(x, p).kind in "biu":   # integers to a negative power are an error
        x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore"):
        power = np.power(x, p)
    # where c is 0 the power may be inf: it is replaced before the product (0 * inf is NaN)
    return (c * np.where(c == 0, 1, power))[()]


def log_or_zero(x):
    """``log(x)``, and 0 where x is 0 (in d(x ** y)/dy = x ** y log(x), as in JAX): a Python
    number for a Python number, x's precision for an array."""
    if type(x) in (bool, int, float):
        return float(np.log(x)) if x != 0 else 0.0
    return np.log(np.where(x == 0, 1, x))[()]


def _falling(m, k):
    """m (m - 1) ... (m - k + 1): the k-th derivative of x ** m is that times x ** (m - k)."""
    out = 1
    for j in range(k):
        out *= m - j
    return out


def polyval_derivative(p, x, k=1):
    """The k-th derivative in x of ``np.polyval(p, x)`` (coefficients ``p``, highest power
    first), by Horner's rule on the derivative's coefficients, in the precision of p and x."""
    p = np.asarray(p)   # (a np.poly1d: its coefficients; len() of one is its order)
    n = len(p)
    y = np.zeros(np.shape(x), dtype=np.result_type(p, x, 1.0))
    for i in range(n - k):   # (the terms of degree k and more)
        y = y * x + p[i] * _falling(n - 1 - i, k)
    return y[()]


def polyval_bar(g, p, x, k=0):
    """The adjoint of the coefficients ``p`` in ``y = polyval_derivative(p, x, k)``
    (``np.polyval`` for k = 0), for the adjoint ``g`` of y: for each ``p[i]``, the sum of
    ``g`` times the k-th derivative of its power of x, the powers made one product at a
    time. (Coefficients of more dimensions, each ``p[i]`` an array NumPy broadcasts with
    x, get the sum over the axes it was broadcast along.)"""
    x, p = np.asarray(x), np.asarray(p)
    n = len(p)
    dtype = np.result_type(g, x, p, 1.0)
    acc = np.broadcast_to(np.asarray(g, dtype=dtype), np.broadcast_shapes(np.shape(g), x.shape))
    out = np.zeros(p.shape, dtype=dtype)
    for i in range(n - 1 - k, -1, -1):   # degree n - 1 - i, from k up
        out[i] = _falling(n - 1 - i, k) * unbroadcast(acc, p[i])
        acc = acc * x
    return out
