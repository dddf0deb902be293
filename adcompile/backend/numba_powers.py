"""numba versions of the derivatives of ``x ** y`` (runtime/powers.py): ``scaled_power(c, x,
p)``, ``c * x ** p`` and 0 where c is 0, and ``log_or_zero(x)``, ``log(x)`` and 0 where x
is 0 (backend="numba", jit.py). ``np.sum(x ** p)`` differentiated in x and p calls both.

They take floating numbers and arrays of one precision: all float64 (arrays, and numbers,
which numba does not tell from Python floats), or float32 arrays with float32 numbers;
``log_or_zero`` takes integer numbers too. Other types are refused at typing and the plain
code runs: integers in a power (Python's ``2 ** -1`` is a float, and the helper makes
integer arrays float64), a float64 number next to a float32 array (NumPy's precision then
depends on whether it is a Python float), 0-d arrays (the helper gives a number). The
values are the helpers': a power NumPy's, infinite where x is 0 and p negative, NaN where
x is negative and p not an integer; where c is 0 the result is 0.0 (the helper's for Python
numbers: for an array c, c's own zero, as NumPy multiplies it)."""

import numpy as np


def power_helpers(kinds, overload):
    """canonical name -> stub, their overloads registered."""
    types = kinds.types

    def scaled_power(c, x, p):
        raise NotImplementedError   # (only numba calls it: see the overload)

    def log_or_zero(x):
        raise NotImplementedError

    @overload(scaled_power)
    def _scaled_power(c, x, p):
        dtype = _precision((c, x, p), types)
        if dtype is None:
            return None
        if not any(isinstance(t, types.Array) for t in (c, x, p)):
            def number(c, x, p):
                if c == 0:
                    return 0.0
                return c * np.power(x, p)
            return number
        one = dtype(1.0)
        if not isinstance(c, types.Array):
            def by_number(c, x, p):
                power = np.power(x, p)
                if c == 0:
                    return c * np.full(np.shape(power), one)
                return c * power
            return by_number

        def by_array(c, x, p):
            return c * np.where(c == 0, one, np.power(x, p))
        return by_array

    @overload(log_or_zero)
    def _log_or_zero(x):
        if isinstance(x, (types.Float, types.Integer)) and not isinstance(x, types.Boolean):
            return lambda x: np.log(np.float64(x)) if x != 0 else 0.0
        if _precision((x,), types) is None or not isinstance(x, types.Array):
            return None
        one = np.float32(1.0) if x.dtype == types.float32 else np.float64(1.0)
        return lambda x: np.log(np.where(x == 0, one, x))

    return {"scaled_power": scaled_power, "log_or_zero": log_or_zero}


def _precision(operands, types):
    """np.float64 where every operand is float64 (a number or an array of one or more
    dimensions), np.float32 where the arrays are float32 and the numbers too; else
    None."""
    arrays = [t for t in operands if isinstance(t, types.Array)]
    if any(t.ndim == 0 for t in arrays):
        return None
    kinds = {t.dtype if isinstance(t, types.Array) else t for t in operands}
    if kinds == {types.float64}:
        return np.float64
    if kinds == {types.float32} and arrays:
        return np.float32
    return None
