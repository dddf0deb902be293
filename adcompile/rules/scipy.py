"""Adjoints of SciPy's special functions and log-densities (an optional dependency: this module
is loaded only when SciPy is installed; see ``load_builtin_rules``).

A user's call of ``scipy.special.logsumexp`` or ``scipy.stats.norm.logpdf`` is differentiated
at that call, as NumPy's functions are, never by reading SciPy's source. The templates'
free names (``scipy``, ``np``, ``math``) are looked up here, as a user rule's are in its
module. ``scipy.stats`` densities are methods of distribution objects
(``scipy.stats.norm.logpdf``); the registry finds them by object and method.
"""
# ruff: noqa: F821, F841

import math

import numpy as np
import scipy.special
import scipy.stats

from . import adjoint, tangent


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
