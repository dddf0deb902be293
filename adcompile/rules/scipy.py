"""Adjoints of SciPy's special functions and log-densities (an optional dependency: this module
is loaded when the user's code has imported SciPy: see ``Registry.load_optional``).

A user's call of ``scipy.special.logsumexp`` or ``scipy.stats.norm.logpdf`` is differentiated
at that call, as NumPy's functions are, never by reading SciPy's source. The templates'
free names (``scipy``, ``np``, ``math``) are looked up here, as a user rule's are in its
module. ``scipy.stats`` densities are methods of distribution objects
(``scipy.stats.norm.logpdf``); the registry finds them by object and method.
"""
# ruff: noqa: F821, F841

import math

import numpy as np
import scipy.linalg
import scipy.special
import scipy.stats

from . import adjoint, refused, tangent


def rule(*objects, **options):
    """``adjoint`` for a SciPy rule: its template reads this module's names."""
    def register(func):
        adjoint(*objects, **options)(func)
        from . import REGISTRY
        REGISTRY.rule_for(objects[0]).user_globals = globals()
        return func
    return register


def tangent_of(obj):
    """``tangent`` for a SciPy rule."""
    def register(func):
        tangent(obj)(func)
        from . import REGISTRY
        REGISTRY.rule_for(obj).tangent_globals = globals()
        return func
    return register


special = scipy.special
stats = scipy.stats
linalg = scipy.linalg


# -- scipy.special: elementwise ------------------------------------------------------------

@rule(special.expit)
def expit(y, x):
    x_bar += y_bar * (y * (1.0 - y))


@rule(special.logit)
def logit(y, x):
    x_bar += y_bar / (x * (1.0 - x))


@rule(special.erf)
def erf(y, x):
    x_bar += y_bar * (2.0 / math.sqrt(math.pi) * np.exp(-x * x))


@rule(special.erfc)
def erfc(y, x):
    x_bar += -y_bar * (2.0 / math.sqrt(math.pi) * np.exp(-x * x))


@rule(special.ndtr)
def ndtr(y, x):
    # the standard normal cdf: its derivative the density
    x_bar += y_bar * np.exp(-0.5 * x * x - 0.5 * math.log(2.0 * math.pi))


@rule(special.log_ndtr)
def log_ndtr(y, x):
    # the density over the cdf, as exp(log density - y): no 0 / 0 far in the lower tail
    x_bar += y_bar * np.exp(-0.5 * x * x - 0.5 * math.log(2.0 * math.pi) - y)


@rule(special.gammaln)
def gammaln(y, x):
    x_bar += y_bar * polygamma(x, 0)


@rule(special.digamma)   # (scipy.special.psi is the same function)
def digamma(y, x):
    x_bar += y_bar * polygamma(x, 1)


@rule(special.polygamma, constant=("n",))
def polygamma_(y, n, x):
    # the order n is an integer: no derivative
    x_bar += unbroadcast(y_bar * polygamma(x, n + 1), x)


@rule(special.xlogy)
def xlogy(z, x, y):
    # x log(y), 0 where x == 0 (for every y: no gradient in y there)
    x_bar += unbroadcast(z_bar * np.log(y), x)
    y_bar += unbroadcast(z_bar * np.where(x == 0, 0.0, x / np.where(x == 0, 1.0, y)), y)


@rule(special.xlog1py)
def xlog1py(z, x, y):
    x_bar += unbroadcast(z_bar * np.log1p(y), x)
    y_bar += unbroadcast(z_bar * np.where(x == 0, 0.0, x / np.where(x == 0, 1.0, 1.0 + y)), y)


@rule(special.betaln)
def betaln(z, a, b):
    # log B(a, b) = gammaln(a) + gammaln(b) - gammaln(a + b)
    a_bar += unbroadcast(z_bar * (polygamma(a, 0) - polygamma(a + b, 0)), a)
    b_bar += unbroadcast(z_bar * (polygamma(b, 0) - polygamma(a + b, 0)), b)


# -- scipy.special: reductions along an axis -----------------------------------------------

@rule(special.logsumexp, shape="reduce", optional=("b",))
def logsumexp(y, a, b, axis=None, keepdims=False, return_sign=False):
    # y = log sum(b exp(a)): a gets the softmax weights b exp(a - y), b gets exp(a - y)
    if return_sign is True or return_sign == 1:
        unsupported("scipy.special.logsumexp with return_sign=True is not differentiated")
    elif b is None:
        a_bar += unreduce(y_bar, a, axis=axis, keepdims=keepdims) * np.exp(a - unreduce(y, a, axis=axis, keepdims=keepdims))
    else:
        share = unreduce(y_bar, a, axis=axis, keepdims=keepdims) * np.exp(a - unreduce(y, a, axis=axis, keepdims=keepdims))
        a_bar += unbroadcast(share * b, a)
        b_bar += unbroadcast(share, b)


@tangent_of(special.logsumexp)
def logsumexp_tangent(y, a, b, axis=None, keepdims=False, return_sign=False):
    if b is None:
        y_dot += np.sum(a_dot * np.exp(a - unreduce(y, a, axis=axis, keepdims=keepdims)), axis=axis, keepdims=keepdims)
    else:
        y_dot += np.sum(a_dot * b * np.exp(a - unreduce(y, a, axis=axis, keepdims=keepdims)), axis=axis, keepdims=keepdims)
        y_dot += np.sum(b_dot * np.exp(a - unreduce(y, a, axis=axis, keepdims=keepdims)), axis=axis, keepdims=keepdims)


@rule(special.softmax, shape="same")
def softmax(y, x, axis=None):
    x_bar += y * (y_bar - np.sum(y_bar * y, axis=axis, keepdims=True))


@tangent_of(special.softmax)
def softmax_tangent(y, x, axis=None):
    y_dot += y * (x_dot - np.sum(x_dot * y, axis=axis, keepdims=True))


@rule(special.log_softmax, shape="same")
def log_softmax(y, x, axis=None):
    x_bar += y_bar - np.exp(y) * np.sum(y_bar, axis=axis, keepdims=True)


@tangent_of(special.log_softmax)
def log_softmax_tangent(y, x, axis=None):
    y_dot += x_dot - np.sum(np.exp(y) * x_dot, axis=axis, keepdims=True)


# -- scipy.stats.norm: z = (x - loc) / scale; loc and scale may be left out (0 and 1) --------

@rule(stats.norm.logpdf, optional=("loc", "scale"))
def norm_logpdf(y, x, loc, scale):
    # y = -z^2 / 2 - log(scale) - log(2 pi) / 2
    if scale is None:
        s = 1.0
    else:
        s = scale
    if loc is None:
        z = x / s
    else:
        z = (x - loc) / s
    x_bar += unbroadcast(-y_bar * z / s, x)
    loc_bar += unbroadcast(y_bar * z / s, loc)
    scale_bar += unbroadcast(y_bar * (z * z - 1.0) / s, scale)


@rule(stats.norm.pdf, optional=("loc", "scale"))
def norm_pdf(y, x, loc, scale):
    # the density y times the derivatives of its logarithm
    if scale is None:
        s = 1.0
    else:
        s = scale
    if loc is None:
        z = x / s
    else:
        z = (x - loc) / s
    x_bar += unbroadcast(-y_bar * y * z / s, x)
    loc_bar += unbroadcast(y_bar * y * z / s, loc)
    scale_bar += unbroadcast(y_bar * y * (z * z - 1.0) / s, scale)


@rule(stats.norm.cdf, optional=("loc", "scale"))
def norm_cdf(y, x, loc, scale):
    # y = Phi(z): the standard density at z, over scale
    if scale is None:
        s = 1.0
    else:
        s = scale
    if loc is None:
        z = x / s
    else:
        z = (x - loc) / s
    density = np.exp(-0.5 * z * z) / (math.sqrt(2.0 * math.pi) * s)
    x_bar += unbroadcast(y_bar * density, x)
    loc_bar += unbroadcast(-y_bar * density, loc)
    scale_bar += unbroadcast(-y_bar * density * z, scale)


@rule(stats.norm.logcdf, optional=("loc", "scale"))
def norm_logcdf(y, x, loc, scale):
    # y = log Phi(z): the standard density over Phi(z), as exp(log density - y) (no 0 / 0 far
    # in the lower tail)
    if scale is None:
        s = 1.0
    else:
        s = scale
    if loc is None:
        z = x / s
    else:
        z = (x - loc) / s
    ratio = np.exp(-0.5 * z * z - 0.5 * math.log(2.0 * math.pi) - y) / s
    x_bar += unbroadcast(y_bar * ratio, x)
    loc_bar += unbroadcast(-y_bar * ratio, loc)
    scale_bar += unbroadcast(-y_bar * ratio * z, scale)


# -- scipy.stats.multivariate_normal.logpdf -------------------------------------------------

@rule(stats.multivariate_normal.logpdf, shape="unknown", optional=("mean", "cov"))
def mvn_logpdf(y, x, mean, cov, allow_singular=False):
    # y = -(d log(2 pi) + log det C + r^T C^-1 r) / 2, r = x - mean for each point (a row of
    # x, or x itself); w = C^-1 r. SciPy reads C's lower triangle (eigh): the gradient of the
    # symmetric matrix, (C^-1 r r^T C^-1 - C^-1) / 2, goes onto that triangle
    if cov is None:
        unsupported("scipy.stats.multivariate_normal.logpdf without cov: pass the covariance "
                    "matrix (a d x d array)")
    else:
        if mean is None:
            r = x
        else:
            r = x - mean
        c = read_symmetric(cov, "L")
        w = np.reshape(np.swapaxes(np.linalg.solve(c, np.swapaxes(np.atleast_2d(r), -1, -2)), -1, -2), np.shape(r))
        gw = np.expand_dims(y_bar, -1) * w
        x_bar += unbroadcast(-gw, x)
        mean_bar += unbroadcast(gw, mean)
        cov_bar += read_symmetric_bar(0.5 * (np.swapaxes(np.atleast_2d(gw), -1, -2) @ np.atleast_2d(w) - np.sum(y_bar) * np.linalg.inv(c)), "L")


@tangent_of(stats.multivariate_normal.logpdf)
def mvn_logpdf_tangent(y, x, mean, cov, allow_singular=False):
    if cov is None:
        unsupported("scipy.stats.multivariate_normal.logpdf without cov: pass the covariance "
                    "matrix (a d x d array)")
    else:
        if mean is None:
            r = x
        else:
            r = x - mean
        c = read_symmetric(cov, "L")
        w = np.reshape(np.swapaxes(np.linalg.solve(c, np.swapaxes(np.atleast_2d(r), -1, -2)), -1, -2), np.shape(r))
        y_dot += -np.sum(x_dot * w, axis=-1)
        y_dot += np.sum(mean_dot * w, axis=-1)
        y_dot += 0.5 * (np.sum(w * (w @ read_symmetric(cov_dot, "L")), axis=-1) - np.trace(np.linalg.solve(c, read_symmetric(cov_dot, "L"))))


@rule(stats.multivariate_normal.pdf, shape="unknown", optional=("mean", "cov"))
def mvn_pdf(y, x, mean, cov, allow_singular=False):
    # the density y = exp(logpdf): logpdf's adjoint with y_bar y for logpdf's bar
    if cov is None:
        unsupported("scipy.stats.multivariate_normal.pdf without cov: pass the covariance "
                    "matrix (a d x d array)")
    else:
        if mean is None:
            r = x
        else:
            r = x - mean
        g = y_bar * y
        c = read_symmetric(cov, "L")
        w = np.reshape(np.swapaxes(np.linalg.solve(c, np.swapaxes(np.atleast_2d(r), -1, -2)), -1, -2), np.shape(r))
        gw = np.expand_dims(g, -1) * w
        x_bar += unbroadcast(-gw, x)
        mean_bar += unbroadcast(gw, mean)
        cov_bar += read_symmetric_bar(0.5 * (np.swapaxes(np.atleast_2d(gw), -1, -2) @ np.atleast_2d(w) - np.sum(g) * np.linalg.inv(c)), "L")


@tangent_of(stats.multivariate_normal.pdf)
def mvn_pdf_tangent(y, x, mean, cov, allow_singular=False):
    if cov is None:
        unsupported("scipy.stats.multivariate_normal.pdf without cov: pass the covariance "
                    "matrix (a d x d array)")
    else:
        if mean is None:
            r = x
        else:
            r = x - mean
        c = read_symmetric(cov, "L")
        w = np.reshape(np.swapaxes(np.linalg.solve(c, np.swapaxes(np.atleast_2d(r), -1, -2)), -1, -2), np.shape(r))
        y_dot += -y * np.sum(x_dot * w, axis=-1)
        y_dot += y * np.sum(mean_dot * w, axis=-1)
        y_dot += 0.5 * y * (np.sum(w * (w @ read_symmetric(cov_dot, "L")), axis=-1) - np.trace(np.linalg.solve(c, read_symmetric(cov_dot, "L"))))


# SciPy computes the multivariate normal cdf by randomized quasi-Monte Carlo integration, to
# an absolute error of 1e-5 by default: its derivatives (conditional cdfs of one and two
# dimensions fewer) would be no more exact, so they are refused rather than approximated
for _name, _method in (("mvn_cdf", stats.multivariate_normal.cdf),
                       ("mvn_logcdf", stats.multivariate_normal.logcdf)):
    refused(_method, name=_name, inputs=("x", "mean", "cov"),
            reason="scipy.stats.multivariate_normal.cdf and logcdf are not differentiated "
                   "(SciPy integrates them numerically, to an absolute error of 1e-5 by "
                   "default, and their derivatives would be no more exact); pass values not "
                   "being differentiated, or give a rule with ad.adjoint_rule")
del _name, _method


# -- scipy.stats.t, gamma, beta: z = (x - loc) / scale, shape parameters df, a, b ------------
# With d = dy/dz for the standardized log-density: x gets d / scale, loc -d / scale and scale
# -(z d + 1) / scale. The cdf's derivative in x is the density; in a shape parameter it is that
# of the regularized incomplete gamma (gamma) or beta function (beta; t through
# I_u(df / 2, 1 / 2), u = df / (df + z^2)), summed by its power series (runtime/special.py).

@rule(stats.t.logpdf, optional=("loc", "scale"))
def t_logpdf(y, x, df, loc, scale):
    # y = gammaln((df + 1) / 2) - gammaln(df / 2) - log(pi df) / 2 - log(scale)
    #     - (df + 1) / 2 log(1 + z^2 / df)
    if scale is None:
        s = 1.0
    else:
        s = scale
    if loc is None:
        z = x / s
    else:
        z = (x - loc) / s
    d = -(df + 1.0) * z / (df + z * z)
    x_bar += unbroadcast(y_bar * d / s, x)
    loc_bar += unbroadcast(-y_bar * d / s, loc)
    scale_bar += unbroadcast(-y_bar * (z * d + 1.0) / s, scale)
    df_bar += unbroadcast(y_bar * 0.5 * (polygamma(0.5 * (df + 1.0), 0) - polygamma(0.5 * df, 0) - np.log1p(z * z / df) + (z * z - 1.0) / (df + z * z)), df)


@rule(stats.t.pdf, optional=("loc", "scale"))
def t_pdf(y, x, df, loc, scale):
    # the density y times the derivatives of its logarithm
    if scale is None:
        s = 1.0
    else:
        s = scale
    if loc is None:
        z = x / s
    else:
        z = (x - loc) / s
    d = -(df + 1.0) * z / (df + z * z)
    x_bar += unbroadcast(y_bar * y * d / s, x)
    loc_bar += unbroadcast(-y_bar * y * d / s, loc)
    scale_bar += unbroadcast(-y_bar * y * (z * d + 1.0) / s, scale)
    df_bar += unbroadcast(y_bar * y * 0.5 * (polygamma(0.5 * (df + 1.0), 0) - polygamma(0.5 * df, 0) - np.log1p(z * z / df) + (z * z - 1.0) / (df + z * z)), df)


@rule(stats.t.cdf, optional=("loc", "scale"))
def t_cdf(y, x, df, loc, scale):
    # the standard density at z, over scale (df: see above)
    if scale is None:
        s = 1.0
    else:
        s = scale
    if loc is None:
        z = x / s
    else:
        z = (x - loc) / s
    density = stats.t.pdf(z, df) / s
    x_bar += unbroadcast(y_bar * density, x)
    loc_bar += unbroadcast(-y_bar * density, loc)
    scale_bar += unbroadcast(-y_bar * density * z, scale)
    # F = I_u(df / 2, 1 / 2) / 2 for z <= 0, 1 - that for z > 0, u = df / (df + z^2)
    # dF/ddf = -+(dI/da / 2 + dI/du du/ddf) / 2, dI/du du/ddf = |z| u^(df/2 - 1) / (B (df + z^2)^1.5)
    small = z * z == 0
    zz = np.where(small, 1.0, z)
    u = df / (df + z * z)
    ib = special.betainc(0.5 * df, 0.5, u)
    power = np.exp(-(0.5 * df - 1.0) * np.log1p(z * z / df) - special.betaln(0.5 * df, 0.5))
    beta_density = np.where(small, 0.0, power * np.sqrt(df + zz * zz) / np.abs(zz))
    slope = power * np.abs(z) / (df + z * z) ** 1.5
    ddf = np.where(z > 0, -0.5, 0.5) * (0.5 * ib * betainc_dlog(u, 0.5 * df, 0.5, beta_density, ib, 0) + slope)
    df_bar += unbroadcast(y_bar * ddf, df)


@rule(stats.t.logcdf, optional=("loc", "scale"))
def t_logcdf(y, x, df, loc, scale):
    # the standard density over the cdf, as exp(log density - y) (df: see above)
    if scale is None:
        s = 1.0
    else:
        s = scale
    if loc is None:
        z = x / s
    else:
        z = (x - loc) / s
    ratio = np.exp(stats.t.logpdf(z, df) - y) / s
    x_bar += unbroadcast(y_bar * ratio, x)
    loc_bar += unbroadcast(-y_bar * ratio, loc)
    scale_bar += unbroadcast(-y_bar * ratio * z, scale)
    # dF/ddf = -+(dI/da / 2 + dI/du du/ddf) / 2, dI/du du/ddf = |z| u^(df/2 - 1) / (B (df + z^2)^1.5)
    small = z * z == 0
    zz = np.where(small, 1.0, z)
    u = df / (df + z * z)
    ib = special.betainc(0.5 * df, 0.5, u)
    power = np.exp(-(0.5 * df - 1.0) * np.log1p(z * z / df) - special.betaln(0.5 * df, 0.5))
    beta_density = np.where(small, 0.0, power * np.sqrt(df + zz * zz) / np.abs(zz))
    slope = power * np.abs(z) / (df + z * z) ** 1.5
    ddf = np.where(z > 0, -0.5, 0.5) * (0.5 * ib * betainc_dlog(u, 0.5 * df, 0.5, beta_density, ib, 0) + slope)
    df_bar += unbroadcast(y_bar * ddf / np.exp(y), df)


@rule(stats.gamma.logpdf, optional=("loc", "scale"))
def gamma_logpdf(y, x, a, loc, scale):
    # y = (a - 1) log z - z - gammaln(a) - log(scale), for z > 0
    if scale is None:
        s = 1.0
    else:
        s = scale
    if loc is None:
        z = x / s
    else:
        z = (x - loc) / s
    d = (a - 1.0) / z - 1.0
    x_bar += unbroadcast(y_bar * d / s, x)
    loc_bar += unbroadcast(-y_bar * d / s, loc)
    scale_bar += unbroadcast(-y_bar * (z * d + 1.0) / s, scale)
    a_bar += unbroadcast(y_bar * (np.log(z) - polygamma(a, 0)), a)


@rule(stats.gamma.pdf, optional=("loc", "scale"))
def gamma_pdf(y, x, a, loc, scale):
    if scale is None:
        s = 1.0
    else:
        s = scale
    if loc is None:
        z = x / s
    else:
        z = (x - loc) / s
    d = (a - 1.0) / z - 1.0
    x_bar += unbroadcast(y_bar * y * d / s, x)
    loc_bar += unbroadcast(-y_bar * y * d / s, loc)
    scale_bar += unbroadcast(-y_bar * y * (z * d + 1.0) / s, scale)
    a_bar += unbroadcast(y_bar * y * (np.log(z) - polygamma(a, 0)), a)


@rule(stats.gamma.cdf, optional=("loc", "scale"))
def gamma_cdf(y, x, a, loc, scale):
    # the standard density at z, over scale (a: see above)
    if scale is None:
        s = 1.0
    else:
        s = scale
    if loc is None:
        z = x / s
    else:
        z = (x - loc) / s
    density = stats.gamma.pdf(z, a) / s
    x_bar += unbroadcast(y_bar * density, x)
    loc_bar += unbroadcast(-y_bar * density, loc)
    scale_bar += unbroadcast(-y_bar * density * z, scale)
    a_bar += unbroadcast(y_bar * y * gammainc_dlog_da(z, a), a)


@rule(stats.gamma.logcdf, optional=("loc", "scale"))
def gamma_logcdf(y, x, a, loc, scale):
    if scale is None:
        s = 1.0
    else:
        s = scale
    if loc is None:
        z = x / s
    else:
        z = (x - loc) / s
    ratio = np.exp(stats.gamma.logpdf(z, a) - y) / s
    x_bar += unbroadcast(y_bar * ratio, x)
    loc_bar += unbroadcast(-y_bar * ratio, loc)
    scale_bar += unbroadcast(-y_bar * ratio * z, scale)
    a_bar += unbroadcast(y_bar * gammainc_dlog_da(z, a), a)


@rule(stats.beta.logpdf, optional=("loc", "scale"))
def beta_logpdf(y, x, a, b, loc, scale):
    # y = (a - 1) log z + (b - 1) log(1 - z) - betaln(a, b) - log(scale), for 0 < z < 1
    if scale is None:
        s = 1.0
    else:
        s = scale
    if loc is None:
        z = x / s
    else:
        z = (x - loc) / s
    d = (a - 1.0) / z - (b - 1.0) / (1.0 - z)
    x_bar += unbroadcast(y_bar * d / s, x)
    loc_bar += unbroadcast(-y_bar * d / s, loc)
    scale_bar += unbroadcast(-y_bar * (z * d + 1.0) / s, scale)
    a_bar += unbroadcast(y_bar * (np.log(z) - polygamma(a, 0) + polygamma(a + b, 0)), a)
    b_bar += unbroadcast(y_bar * (np.log1p(-z) - polygamma(b, 0) + polygamma(a + b, 0)), b)


@rule(stats.beta.pdf, optional=("loc", "scale"))
def beta_pdf(y, x, a, b, loc, scale):
    if scale is None:
        s = 1.0
    else:
        s = scale
    if loc is None:
        z = x / s
    else:
        z = (x - loc) / s
    d = (a - 1.0) / z - (b - 1.0) / (1.0 - z)
    x_bar += unbroadcast(y_bar * y * d / s, x)
    loc_bar += unbroadcast(-y_bar * y * d / s, loc)
    scale_bar += unbroadcast(-y_bar * y * (z * d + 1.0) / s, scale)
    a_bar += unbroadcast(y_bar * y * (np.log(z) - polygamma(a, 0) + polygamma(a + b, 0)), a)
    b_bar += unbroadcast(y_bar * y * (np.log1p(-z) - polygamma(b, 0) + polygamma(a + b, 0)), b)


@rule(stats.beta.cdf, optional=("loc", "scale"))
def beta_cdf(y, x, a, b, loc, scale):
    # the standard density at z, over scale (a, b: see above)
    if scale is None:
        s = 1.0
    else:
        s = scale
    if loc is None:
        z = x / s
    else:
        z = (x - loc) / s
    density = stats.beta.pdf(z, a, b) / s
    x_bar += unbroadcast(y_bar * density, x)
    loc_bar += unbroadcast(-y_bar * density, loc)
    scale_bar += unbroadcast(-y_bar * density * z, scale)
    a_bar += unbroadcast(y_bar * y * betainc_dlog(z, a, b, density * s, y, 0), a)
    b_bar += unbroadcast(y_bar * y * betainc_dlog(z, a, b, density * s, y, 1), b)


@rule(stats.beta.logcdf, optional=("loc", "scale"))
def beta_logcdf(y, x, a, b, loc, scale):
    if scale is None:
        s = 1.0
    else:
        s = scale
    if loc is None:
        z = x / s
    else:
        z = (x - loc) / s
    ratio = np.exp(stats.beta.logpdf(z, a, b) - y) / s
    x_bar += unbroadcast(y_bar * ratio, x)
    loc_bar += unbroadcast(-y_bar * ratio, loc)
    scale_bar += unbroadcast(-y_bar * ratio * z, scale)
    a_bar += unbroadcast(y_bar * betainc_dlog(z, a, b, stats.beta.pdf(z, a, b), np.exp(y), 0), a)
    b_bar += unbroadcast(y_bar * betainc_dlog(z, a, b, stats.beta.pdf(z, a, b), np.exp(y), 1), b)


# -- scipy.stats.poisson: k is a count, n = k - loc; only mu is differentiated -------------------

@rule(stats.poisson.logpmf, optional=("loc",))
def poisson_logpmf(y, k, mu, loc):
    # y = n log(mu) - mu - log(n!) for a whole n >= 0 (else -inf, and no gradient): n / mu - 1
    # (-1 at n = 0, for every mu). k and loc are counts: a call differentiating one is refused
    if loc is None:
        n = k
    else:
        n = k - loc
    mu_bar += unbroadcast(y_bar * np.where(np.isfinite(y), np.where(n == 0, 0.0, n / np.where(n == 0, 1.0, mu)) - 1.0, 0.0), mu)


@rule(stats.poisson.pmf, optional=("loc",))
def poisson_pmf(y, k, mu, loc):
    if loc is None:
        n = k
    else:
        n = k - loc
    mu_bar += unbroadcast(y_bar * y * (np.where(n == 0, 0.0, n / np.where(n == 0, 1.0, mu)) - 1.0), mu)


@rule(stats.poisson.cdf, optional=("loc",))
def poisson_cdf(y, k, mu, loc):
    # P(N <= n) = Q(floor(n) + 1, mu), the regularized upper incomplete gamma function: its
    # derivative in mu is minus the probability of floor(n)
    if loc is None:
        n = k
    else:
        n = k - loc
    mu_bar += unbroadcast(-y_bar * stats.poisson.pmf(np.floor(n), mu), mu)


@rule(stats.poisson.logcdf, optional=("loc",))
def poisson_logcdf(y, k, mu, loc):
    # the cdf's derivative over the cdf, 0 where n < 0 (y = -inf there)
    if loc is None:
        n = k
    else:
        n = k - loc
    mu_bar += unbroadcast(-y_bar * np.exp(stats.poisson.logpmf(np.floor(n), mu) - np.where(n >= 0, y, 0.0)), mu)


# -- scipy.linalg ---------------------------------------------------------------------------
# T(m) below is np.swapaxes(m, -1, -2).

@rule(linalg.solve_triangular, shape="second")
def solve_triangular(x, a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    # x = op(A)^-1 b, A the triangle of a that lower names (with ones on the diagonal for
    # unit_diagonal: a's diagonal is not read), op(A) = A (trans 0, 'N') or A^T (1, 'T', and
    # 2, 'C' for a real a). b_bar = op(A)^-T x_bar, solved with the other trans; A_bar =
    # -b_bar x^T (op = A) or -x b_bar^T (op = A^T), kept on the entries of a that are read
    if trans == 0 or trans == "N":
        w = linalg.solve_triangular(a, x_bar, trans=1, lower=lower, unit_diagonal=unit_diagonal)
        g = -(as_column(w, b) @ np.swapaxes(as_column(x, b), -1, -2))
    elif trans == 1 or trans == "T" or trans == 2 or trans == "C":
        w = linalg.solve_triangular(a, x_bar, trans=0, lower=lower, unit_diagonal=unit_diagonal)
        g = -(as_column(x, b) @ np.swapaxes(as_column(w, b), -1, -2))
    else:
        unsupported("scipy.linalg.solve_triangular with trans= other than a constant 0, 1, 2, "
                    "'N', 'T' or 'C'")
    b_bar += unbroadcast(w, b)
    if lower is True or lower == 1:
        if unit_diagonal is True or unit_diagonal == 1:
            a_bar += unbroadcast(np.tril(g, -1), a)
        elif unit_diagonal is False or unit_diagonal == 0:
            a_bar += unbroadcast(np.tril(g), a)
        else:
            unsupported("scipy.linalg.solve_triangular with unit_diagonal= other than a "
                        "constant True or False")
    elif lower is False or lower == 0:
        if unit_diagonal is True or unit_diagonal == 1:
            a_bar += unbroadcast(np.triu(g, 1), a)
        elif unit_diagonal is False or unit_diagonal == 0:
            a_bar += unbroadcast(np.triu(g), a)
        else:
            unsupported("scipy.linalg.solve_triangular with unit_diagonal= other than a "
                        "constant True or False")
    else:
        unsupported("scipy.linalg.solve_triangular with lower= other than a constant True or "
                    "False")



@tangent_of(linalg.solve_triangular)
def solve_triangular_tangent(x, a, b, trans=0, lower=False, unit_diagonal=False,
                             overwrite_b=False, check_finite=True):
    # x_dot = op(A)^-1 (b_dot - op(A_dot) x), A_dot the entries of a_dot on the triangle read
    x_dot += linalg.solve_triangular(a, b_dot, trans=trans, lower=lower, unit_diagonal=unit_diagonal)
    if unit_diagonal is True or unit_diagonal == 1:
        k = 1
    elif unit_diagonal is False or unit_diagonal == 0:
        k = 0
    else:
        unsupported("scipy.linalg.solve_triangular with unit_diagonal= other than a constant "
                    "True or False")
    if (trans == 0 or trans == "N") and (lower is True or lower == 1):
        x_dot += -linalg.solve_triangular(a, from_column(np.tril(a_dot, -k) @ as_column(x, b), b), trans=trans, lower=lower, unit_diagonal=unit_diagonal)
    elif (trans == 0 or trans == "N") and (lower is False or lower == 0):
        x_dot += -linalg.solve_triangular(a, from_column(np.triu(a_dot, k) @ as_column(x, b), b), trans=trans, lower=lower, unit_diagonal=unit_diagonal)
    elif (trans == 1 or trans == "T" or trans == 2 or trans == "C") and (lower is True or lower == 1):
        x_dot += -linalg.solve_triangular(a, from_column(np.swapaxes(np.tril(a_dot, -k), -1, -2) @ as_column(x, b), b), trans=trans, lower=lower, unit_diagonal=unit_diagonal)
    elif (trans == 1 or trans == "T" or trans == 2 or trans == "C") and (lower is False or lower == 0):
        x_dot += -linalg.solve_triangular(a, from_column(np.swapaxes(np.triu(a_dot, k), -1, -2) @ as_column(x, b), b), trans=trans, lower=lower, unit_diagonal=unit_diagonal)
    else:
        unsupported("scipy.linalg.solve_triangular with trans= or lower= not constants "
                    "(trans 0, 1, 2, 'N', 'T' or 'C'; lower True or False)")

@rule(linalg.expm, shape="same")
def expm(y, a):
    # d expm(A)[E] = int_0^1 expm(sA) E expm((1-s)A) ds, the upper right block of
    # expm([[A, E], [0, A]]) (Van Loan); its adjoint is the same block of
    # expm([[A^T, y_bar], [0, A^T]])
    m = np.shape(a)[-1]
    a_bar += linalg.expm(upper_block(np.swapaxes(a, -1, -2), y_bar))[..., :m, m:]


@tangent_of(linalg.expm)
def expm_tangent(y, a):
    m = np.shape(a)[-1]
    y_dot += linalg.expm(upper_block(a, a_dot))[..., :m, m:]


@rule(linalg.cholesky, shape="same")
def cholesky(y, a, lower=False, overwrite_a=False, check_finite=True):
    # y = L (lower) or U = L^T, A = L L^T read from that triangle of a: np.linalg.cholesky's
    # adjoint (see linalg.py), put on the triangle read
    if lower is True or lower == 1:
        L = y
        G = y_bar
        side = "L"
    elif lower is False or lower == 0:
        L = np.swapaxes(y, -1, -2)
        G = np.swapaxes(y_bar, -1, -2)
        side = "U"
    else:
        unsupported("scipy.linalg.cholesky with lower= other than a constant True or False")
    Lt = np.swapaxes(L, -1, -2)
    P = Lt @ np.tril(G)
    phi = np.tril(P) - 0.5 * np.triu(np.tril(P))
    S = np.linalg.solve(Lt, np.swapaxes(np.linalg.solve(Lt, np.swapaxes(phi, -1, -2)), -1, -2))
    a_bar += read_symmetric_bar(S, side)


@tangent_of(linalg.cholesky)
def cholesky_tangent(y, a, lower=False, overwrite_a=False, check_finite=True):
    if lower is True or lower == 1:
        y_dot += cholesky_dot(a_dot, y)
    elif lower is False or lower == 0:
        y_dot += np.swapaxes(cholesky_dot(np.swapaxes(a_dot, -1, -2), np.swapaxes(y, -1, -2)), -1, -2)
    else:
        unsupported("scipy.linalg.cholesky with lower= other than a constant True or False")


@rule(linalg.cho_factor, shape="unknown")
def cho_factor(y, a, lower=False, overwrite_a=False, check_finite=True):
    # y = (c, lower): c holds the Cholesky factor of A in the triangle lower names (L, A = L
    # L^T, or U = L^T), read from that triangle of a, and a's own entries in the other one.
    # The factor's part goes back as np.linalg.cholesky's (see linalg.py) onto the triangle
    # read; the other triangle's is passed on as it is
    if lower is True or lower == 1:
        L = np.tril(y[0])
        G = np.tril(y_bar[0])
        rest = np.triu(y_bar[0], 1)
        side = "L"
    elif lower is False or lower == 0:
        L = np.swapaxes(np.triu(y[0]), -1, -2)
        G = np.swapaxes(np.triu(y_bar[0]), -1, -2)
        rest = np.tril(y_bar[0], -1)
        side = "U"
    else:
        unsupported("scipy.linalg.cho_factor with lower= other than a constant True or False")
    Lt = np.swapaxes(L, -1, -2)
    P = Lt @ G
    phi = np.tril(P) - 0.5 * np.triu(np.tril(P))
    S = np.linalg.solve(Lt, np.swapaxes(np.linalg.solve(Lt, np.swapaxes(phi, -1, -2)), -1, -2))
    a_bar += read_symmetric_bar(S, side) + rest


@tangent_of(linalg.cho_factor)
def cho_factor_tangent(y, a, lower=False, overwrite_a=False, check_finite=True):
    if lower is True or lower == 1:
        y_dot += pair(cholesky_dot(a_dot, np.tril(y[0])) + np.triu(a_dot, 1), 0.0)
    elif lower is False or lower == 0:
        y_dot += pair(np.swapaxes(cholesky_dot(np.swapaxes(a_dot, -1, -2), np.swapaxes(np.triu(y[0]), -1, -2)), -1, -2) + np.tril(a_dot, -1), 0.0)
    else:
        unsupported("scipy.linalg.cho_factor with lower= other than a constant True or False")


@rule(linalg.cho_solve, shape="unknown", sequence="c_and_lower")
def cho_solve(x, c_and_lower, b, overwrite_b=False, check_finite=True):
    # x = A^-1 b with A = L L^T (or U^T U) from the triangle of c that lower names (the other
    # one is not read). b_bar = A^-1 x_bar; with S = -(b_bar x^T + x b_bar^T), the gradient
    # of the symmetric A, L gets S L and U gets U S, on their triangle. c_and_lower is
    # cho_factor's result or a new tuple (c, lower): a sequence, whose items get the pieces
    w = linalg.cho_solve(c_and_lower, x_bar)
    b_bar += w
    R = as_column(w, b) @ np.swapaxes(as_column(x, b), -1, -2)
    S = -(R + np.swapaxes(R, -1, -2))
    c = c_and_lower[0]
    # (the pieces in an object array, see runtime.pair, written with with_item so that
    # gradient code reading them can be differentiated again)
    c_and_lower_bar += with_item(zeros_like(c_and_lower), 0, np.where(c_and_lower[1], np.tril(S @ np.tril(c)), np.triu(np.triu(c) @ S)))



@tangent_of(linalg.cho_solve)
def cho_solve_tangent(x, c_and_lower, b, overwrite_b=False, check_finite=True):
    # x_dot = A^-1 (b_dot - A_dot x), A_dot = L_dot L^T + L L_dot^T (or U_dot^T U + U^T U_dot)
    x_dot += linalg.cho_solve(c_and_lower, b_dot)
    x_dot += -linalg.cho_solve(c_and_lower, from_column(np.where(c_and_lower[1], np.tril(c_and_lower_dot[0]) @ np.swapaxes(np.tril(c_and_lower[0]), -1, -2) + np.tril(c_and_lower[0]) @ np.swapaxes(np.tril(c_and_lower_dot[0]), -1, -2), np.swapaxes(np.triu(c_and_lower_dot[0]), -1, -2) @ np.triu(c_and_lower[0]) + np.swapaxes(np.triu(c_and_lower[0]), -1, -2) @ np.triu(c_and_lower_dot[0])) @ as_column(x, b), b))


@rule(linalg.inv, shape="same")
def inv(y, a, overwrite_a=False, check_finite=True, assume_a=None, lower=False):
    # np.linalg.inv's adjoint (see linalg.py), of all of a (assume_a None, 'gen') or of the
    # triangle lower names, mirrored ('sym', 'her', 'pos': the other one is not read)
    if assume_a is None or assume_a == "gen" or assume_a == "general":
        a_bar += -np.swapaxes(y, -1, -2) @ y_bar @ np.swapaxes(y, -1, -2)
    elif assume_a == "sym" or assume_a == "symmetric" or assume_a == "her" \
            or assume_a == "hermitian" or assume_a == "pos" or assume_a == "positive definite":
        if lower is True or lower == 1:
            a_bar += read_symmetric_bar(-np.swapaxes(y, -1, -2) @ y_bar @ np.swapaxes(y, -1, -2), "L")
        elif lower is False or lower == 0:
            a_bar += read_symmetric_bar(-np.swapaxes(y, -1, -2) @ y_bar @ np.swapaxes(y, -1, -2), "U")
        else:
            unsupported("scipy.linalg.inv with lower= other than a constant True or False")
    else:
        unsupported("scipy.linalg.inv with assume_a= other than a constant None, 'gen', "
                    "'sym', 'her' or 'pos' is not differentiated")


@tangent_of(linalg.inv)
def inv_tangent(y, a, overwrite_a=False, check_finite=True, assume_a=None, lower=False):
    if assume_a is None or assume_a == "gen" or assume_a == "general":
        y_dot += -y @ a_dot @ y
    elif assume_a == "sym" or assume_a == "symmetric" or assume_a == "her" \
            or assume_a == "hermitian" or assume_a == "pos" or assume_a == "positive definite":
        if lower is True or lower == 1:
            y_dot += -y @ read_symmetric(a_dot, "L") @ y
        elif lower is False or lower == 0:
            y_dot += -y @ read_symmetric(a_dot, "U") @ y
        else:
            unsupported("scipy.linalg.inv with lower= other than a constant True or False")
    else:
        unsupported("scipy.linalg.inv with assume_a= other than a constant None, 'gen', "
                    "'sym', 'her' or 'pos' is not differentiated")


@rule(linalg.det, shape="drop2")
def det(y, a, overwrite_a=False, check_finite=True):
    # np.linalg.det's adjoint (see linalg.py); overwrite_a may destroy a, which it reads
    if overwrite_a is True or overwrite_a == 1:
        unsupported("scipy.linalg.det with overwrite_a=True is not differentiated: a is read "
                    "again by the gradient")
    if ndim(a) == 2:
        a_bar += y_bar * cofactor(a)
    else:
        a_bar += np.expand_dims(y_bar * np.ones_like(y), (-1, -2)) * cofactor(a)


@tangent_of(linalg.det)
def det_tangent(y, a, overwrite_a=False, check_finite=True):
    y_dot += np.sum(cofactor(a) * a_dot, axis=(-2, -1))


@rule(linalg.solve, shape="second")
def solve(x, a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
          assume_a=None, transposed=False):
    # x = op(A)^-1 b, op(A) = A or (transposed) A^T, A the matrix scipy reads: all of a
    # (assume_a None, 'gen'), or a's triangle that lower names, mirrored ('sym', 'her', 'pos':
    # the other triangle is not read). b_bar = op(A)^-T x_bar, solved by scipy with the same
    # structure; op(A)_bar = -b_bar x^T, put on the entries of a read. (overwrite_a may
    # destroy a, which this adjoint reads again: refused)
    if ndim(a) != 2:
        unsupported("scipy.linalg.solve of a stack of matrices is not differentiated; "
                    "use np.linalg.solve")
    if overwrite_a is True or overwrite_a == 1:
        unsupported("scipy.linalg.solve with overwrite_a=True is not differentiated: a is "
                    "read again by the gradient")
    if assume_a is None or assume_a == "gen" or assume_a == "general":
        if transposed is False or transposed == 0:
            w = linalg.solve(a, x_bar, transposed=True)
            a_bar += -(as_column(w, b) @ np.swapaxes(as_column(x, b), -1, -2))
        elif transposed is True or transposed == 1:
            w = linalg.solve(a, x_bar)
            a_bar += -(as_column(x, b) @ np.swapaxes(as_column(w, b), -1, -2))
        else:
            unsupported("scipy.linalg.solve with transposed= other than a constant True or "
                        "False")
    elif assume_a == "sym" or assume_a == "symmetric" or assume_a == "her" \
            or assume_a == "hermitian" or assume_a == "pos" or assume_a == "positive definite":
        w = linalg.solve(a, x_bar, lower=lower, assume_a=assume_a)
        if lower is True or lower == 1:
            a_bar += read_symmetric_bar(-(as_column(w, b) @ np.swapaxes(as_column(x, b), -1, -2)), "L")
        elif lower is False or lower == 0:
            a_bar += read_symmetric_bar(-(as_column(w, b) @ np.swapaxes(as_column(x, b), -1, -2)), "U")
        else:
            unsupported("scipy.linalg.solve with lower= other than a constant True or False")
    else:
        unsupported("scipy.linalg.solve with assume_a= other than a constant None, 'gen', "
                    "'sym', 'her' or 'pos' is not differentiated")
    b_bar += w


@tangent_of(linalg.solve)
def solve_tangent(x, a, b, lower=False, overwrite_a=False, overwrite_b=False,
                  check_finite=True, assume_a=None, transposed=False):
    # x_dot = op(A)^-1 (b_dot - op(A_dot) x), A_dot the matrix of a_dot's entries scipy reads
    if ndim(a) != 2:
        unsupported("scipy.linalg.solve of a stack of matrices is not differentiated; "
                    "use np.linalg.solve")
    x_dot += linalg.solve(a, b_dot, lower=lower, assume_a=assume_a, transposed=transposed)
    if assume_a is None or assume_a == "gen" or assume_a == "general":
        if transposed is False or transposed == 0:
            x_dot += -linalg.solve(a, from_column(a_dot @ as_column(x, b), b))
        elif transposed is True or transposed == 1:
            x_dot += -linalg.solve(a, from_column(np.swapaxes(a_dot, -1, -2) @ as_column(x, b), b), transposed=True)
        else:
            unsupported("scipy.linalg.solve with transposed= other than a constant True or "
                        "False")
    elif assume_a == "sym" or assume_a == "symmetric" or assume_a == "her" \
            or assume_a == "hermitian" or assume_a == "pos" or assume_a == "positive definite":
        if lower is True or lower == 1:
            x_dot += -linalg.solve(a, from_column(read_symmetric(a_dot, "L") @ as_column(x, b), b), lower=True, assume_a=assume_a)
        elif lower is False or lower == 0:
            x_dot += -linalg.solve(a, from_column(read_symmetric(a_dot, "U") @ as_column(x, b), b), lower=False, assume_a=assume_a)
        else:
            unsupported("scipy.linalg.solve with lower= other than a constant True or False")
    else:
        unsupported("scipy.linalg.solve with assume_a= other than a constant None, 'gen', "
                    "'sym', 'her' or 'pos' is not differentiated")


@rule(linalg.solve_sylvester, shape="unknown")
def solve_sylvester(x, a, b, q):
    # A X + X B = Q: dX solves A dX + dX B = dQ - dA X - X dB, so q_bar solves
    # A^T q_bar + q_bar B^T = x_bar, and a_bar = -q_bar X^T, b_bar = -X^T q_bar
    w = linalg.solve_sylvester(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2), x_bar)
    q_bar += w
    a_bar += -(w @ np.swapaxes(x, -1, -2))
    b_bar += -(np.swapaxes(x, -1, -2) @ w)


@tangent_of(linalg.solve_sylvester)
def solve_sylvester_tangent(x, a, b, q):
    x_dot += linalg.solve_sylvester(a, b, q_dot)
    x_dot += -linalg.solve_sylvester(a, b, a_dot @ x)
    x_dot += -linalg.solve_sylvester(a, b, x @ b_dot)


@rule(linalg.sqrtm, shape="same")
def sqrtm(y, a):
    # Y Y = A: dY Y + Y dY = dA, a Sylvester equation, so a_bar solves Y^T a_bar + a_bar Y^T
    # = y_bar. A matrix with a negative eigenvalue has a complex square root: differentiating
    # it is refused when the gradient is computed (real_eigen)
    Yt = np.swapaxes(real_eigen(y, "scipy.linalg.sqrtm"), -1, -2)
    a_bar += linalg.solve_sylvester(Yt, Yt, y_bar)


@tangent_of(linalg.sqrtm)
def sqrtm_tangent(y, a):
    Y = real_eigen(y, "scipy.linalg.sqrtm")
    y_dot += linalg.solve_sylvester(Y, Y, a_dot)
