"""Special functions derivatives need, in NumPy alone: the logistic function (the shares
of ``np.logaddexp``), and the digamma function and its derivatives (polygamma) for
``math.lgamma``, ``math.gamma`` and SciPy's gamma family."""

import numpy as np

from .broadcast import _lazy


def stable_sigmoid(d):
    """The logistic function 1 / (1 + e^-d), elementwise, to the relative precision of its
    tiny values and without overflow: where d is so negative that the result is below the
    smallest normal number of d's precision (or e^-d would overflow), d is raised to where
    it is just below it. An array keeps its floating precision (an integer one becomes
    float64); a number gives a NumPy float. One new array and five passes over it, no
    selection by a mask (which costs as much as all of them): this is the adjoint of
    softplus, ``np.logaddexp(0, z)``, where logistic losses spend their gradient's time."""
    if _lazy(d):   # a Dask array: the same passes, as its own ufuncs (computing nothing)
        floor = float(np.log(np.finfo(np.result_type(d.dtype, 1.0)).tiny)) - 0.5
        return 1.0 / (1.0 + np.exp(-np.maximum(d, floor)))
    d = np.asarray(d)
    if d.dtype.kind != "f":
        d = d.astype(np.result_type(d, 1.0))
    floor = float(np.log(np.finfo(d.dtype).tiny)) - 0.5   # 1 / (1 + e^-floor) < tiny
    out = np.empty_like(d)    # (an array, also for a 0-d d: the passes write into it)
    np.maximum(d, floor, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.add(out, 1.0, out=out)
    np.divide(1.0, out, out=out)
    return out[()]


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


# -- the incomplete gamma and beta functions' derivatives in their parameters ---------------
# (the cdfs of scipy.stats.gamma, beta and t in a, b and df), by their power series

def gammainc_dlog_da(z, a):
    """d/da log P(a, z), P the regularized lower incomplete gamma function (the cdf of the
    standard gamma distribution), for z > 0 (0 elsewhere). P(a, z) = sum_n w_n with
    w_0 = z^a e^-z / gamma(a + 1) and w_n = w_(n-1) z / (a + n), so d/da P = sum_n w_n
    (log z - psi(a + n + 1)): the ratio of the sums does without w_0 (which would
    underflow), the terms rescaled as they grow. NaN where the series has not converged
    after 200000 terms (z beyond that)."""
    z, a = np.broadcast_arrays(np.asarray(z, dtype=np.float64), np.asarray(a, dtype=np.float64))
    inside = (z > 0) & (a > 0)
    z, a = np.where(inside, z, 1.0), np.where(inside, a, 1.0)
    log_z = np.log(z)
    psi = polygamma(a + 1.0, 0)
    term, total, weighted = np.ones(z.shape), np.ones(z.shape), log_z - psi
    done = ~inside
    for n in range(1, 200001):
        term = term * z / (a + n)
        psi = psi + 1.0 / (a + n)
        total = total + term
        weighted = weighted + term * (log_z - psi)
        big = total > 1e280
        if np.any(big):
            term, total, weighted = (np.where(big, v * 1e-280, v) for v in (term, total, weighted))
        done = done | ((n > z - a) & (term <= 1e-17 * total))
        if np.all(done):
            break
    return np.where(inside, np.where(done, weighted / total, np.nan), 0.0)[()]


def betainc_dlog(u, a, b, density, cdf, which):
    """d/da (which 0) or d/db (which 1) of log I_u(a, b), the regularized incomplete beta
    function (the cdf of the standard beta distribution), given ``density`` and ``cdf``
    (scipy.stats.beta's pdf and cdf at u); 0 outside 0 < u < 1. Where u < (a + 1) /
    (a + b + 2), I = F H with F = u^a (1 - u)^b / (a B(a, b)) = density u (1 - u) / a and
    H = sum_n c_n, c_0 = 1, c_n = c_(n-1) u (a + b + n - 1) / (a + n): d log I = d log F +
    d H / H term by term. Elsewhere I = 1 - J, J = I_(1-u)(b, a) written so."""
    u, a, b, density, cdf = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64)
                                                  for v in (u, a, b, density, cdf)))
    inside = (u > 0) & (u < 1)
    u, density = np.where(inside, u, 0.5), np.where(inside, density, 0.0)
    direct = u < (a + 1.0) / (a + b + 2.0)
    v, p, q = np.where(direct, u, 1.0 - u), np.where(direct, a, b), np.where(direct, b, a)
    dp, dq = _betainc_series(v, p, q)   # d log J / dp, d log J / dq for J = I_v(p, q)
    # swapped: J = F' H' with F' = density u (1 - u) / b
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(direct, 1.0, -(density * u * (1.0 - u) / b) * _series_sum(v, p, q)
                         / np.where(cdf > 0, cdf, 1.0))
    out = scale * (np.where(direct, dp, dq) if which == 0 else np.where(direct, dq, dp))
    return np.where(inside, out, 0.0)[()]


def _betainc_series(v, p, q):
    """(d/dp, d/dq) of log I_v(p, q) by the series (v < (p + 1) / (p + q + 2))."""
    log_v, log_w = np.log(v), np.log1p(-v)
    psi_pq = polygamma(p + q, 0)
    term, total = np.ones(v.shape), np.ones(v.shape)
    by_p, by_q = np.zeros(v.shape), np.zeros(v.shape)
    g, h = np.zeros(v.shape), np.zeros(v.shape)
    for n in range(1, 200001):
        g = g + 1.0 / (p + q + n - 1) - 1.0 / (p + n)
        h = h + 1.0 / (p + q + n - 1)
        term = term * v * (p + q + n - 1) / (p + n)
        total = total + term
        by_p, by_q = by_p + term * g, by_q + term * h
        if np.all(term <= 1e-17 * total):
            break
    lost = np.where(term <= 1e-17 * total, 0.0, np.nan)   # (not converged: NaN, not a guess)
    return (log_v - 1.0 / p - polygamma(p, 0) + psi_pq + by_p / total + lost,
            log_w - polygamma(q, 0) + psi_pq + by_q / total + lost)


def _series_sum(v, p, q):
    """H = sum_n c_n of ``_betainc_series``: I_v(p, q) = v^p (1 - v)^q / (p B(p, q)) H."""
    term, total = np.ones(v.shape), np.ones(v.shape)
    for n in range(1, 200001):
        term = term * v * (p + q + n - 1) / (p + n)
        total = total + term
        if np.all(term <= 1e-17 * total):
            break
    return np.where(term <= 1e-17 * total, total, np.nan)
