"""The derivatives of ``x ** y``: powers and logarithms that are 0 where NumPy's are not
defined but the derivative is."""

import numpy as np


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
