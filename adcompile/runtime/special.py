"""Special functions the derivatives of ``math.lgamma``, ``math.gamma`` and SciPy's gamma
family need: the digamma function and its derivatives (polygamma), in NumPy alone."""

import numpy as np


def polygamma(x, n=0):
    """The n-th derivative of the digamma function psi = d/dx log(gamma(x)) at x (n = 0:
    digamma itself); x a number (a Python float comes back) or an array (its floating
    precision is kept). Arguments are shifted up by the recurrence psi_n(x) = psi_n(x + 1)
    - (-1)^n n! / x^(n+1) until large enough for the asymptotic series; digamma of a
    negative number goes through the reflection formula. Poles (x = 0, -1, ...) give inf or
    NaN, as SciPy's do."""
    dtype = np.result_type(x, 1.0)
    v = np.array(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if n == 0 and np.any(v < 0):
            reflected = _polygamma_positive(np.where(v < 0, 1.0 - v, v), 0)
            out = np.where(v < 0, reflected - np.pi / np.tan(np.pi * v), reflected)
        else:
            out = _polygamma_positive(v, n)
    if isinstance(x, (int, float)) and not isinstance(x, (bool, np.ndarray)):
        return float(out)
    return out.astype(dtype)[()]


def _factorial(n):
    """n! as a float (the helpers use no module but NumPy)."""
    out = 1.0
    for k in range(2, n + 1):
        out *= k
    return out


def _polygamma_positive(v, n):
    """psi_n(v) by upward recurrence to v >= 8 + n and the asymptotic series there (with
    the Bernoulli numbers B_2, B_4, ..., B_14)."""
    bernoulli = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
    sign = -1.0 if n % 2 == 0 else 1.0          # (-1)^(n+1)
    start = 8.0 + n
    acc = np.zeros(np.shape(v))
    steps = int(max(0.0, np.ceil(start - np.min(v)))) if np.size(v) else 0
    for _ in range(steps):
        low = v < start
        acc = acc + np.where(low, sign * _factorial(n) / np.where(low, v, 1.0) ** (n + 1),
                             0.0)
        v = np.where(low, v + 1.0, v)
    if n == 0:
        series = np.log(v) - 0.5 / v
        for k, b in enumerate(bernoulli, start=1):
            series = series - b / (2 * k * v ** (2 * k))
        return acc + series
    series = _factorial(n - 1) / v ** n + _factorial(n) / (2 * v ** (n + 1))
    for k, b in enumerate(bernoulli, start=1):
        series = series + b * _factorial(2 * k + n - 1) / (_factorial(2 * k)
                                                               * v ** (2 * k + n))
    return acc + sign * series
