"""scipy.stats.norm's densities, cdfs and survival functions, and the multivariate normal's
density (its cdf is refused).
The templates' free names are this module's (see rules/scipy/__init__.py).
"""
# ruff: noqa: F821, F841

import math

import numpy as np
import scipy.linalg
import scipy.special
import scipy.stats

from .. import refused
from . import rules_reading
from .locations import covariance, shifted, standardized

rule, tangent_of = rules_reading(globals())
special = scipy.special
stats = scipy.stats
linalg = scipy.linalg


# -- scipy.stats.norm: z = (x - loc) / scale; loc and scale may be left out (0 and 1) --------

@rule(stats.norm.logpdf, optional=("loc", "scale"))
def norm_logpdf(y, x, loc, scale):
    # y = -z^2 / 2 - log(scale) - log(2 pi) / 2
    z, s = standardized(x, loc, scale)
    x_bar += unbroadcast(-y_bar * z / s, x)
    loc_bar += unbroadcast(y_bar * z / s, loc)
    scale_bar += unbroadcast(y_bar * (z * z - 1.0) / s, scale)


@rule(stats.norm.pdf, optional=("loc", "scale"))
def norm_pdf(y, x, loc, scale):
    # the density y times the derivatives of its logarithm
    z, s = standardized(x, loc, scale)
    x_bar += unbroadcast(-y_bar * y * z / s, x)
    loc_bar += unbroadcast(y_bar * y * z / s, loc)
    scale_bar += unbroadcast(y_bar * y * (z * z - 1.0) / s, scale)


@rule(stats.norm.cdf, optional=("loc", "scale"))
def norm_cdf(y, x, loc, scale):
    # y = Phi(z): the standard density at z, over scale
    z, s = standardized(x, loc, scale)
    density = np.exp(-0.5 * z * z) / (math.sqrt(2.0 * math.pi) * s)
    x_bar += unbroadcast(y_bar * density, x)
    loc_bar += unbroadcast(-y_bar * density, loc)
    scale_bar += unbroadcast(-y_bar * density * z, scale)


@rule(stats.norm.logcdf, optional=("loc", "scale"))
def norm_logcdf(y, x, loc, scale):
    # y = log Phi(z): the standard density over Phi(z), as exp(log density - y) (no 0 / 0 far
    # in the lower tail)
    z, s = standardized(x, loc, scale)
    ratio = np.exp(-0.5 * z * z - 0.5 * math.log(2.0 * math.pi) - y) / s
    x_bar += unbroadcast(y_bar * ratio, x)
    loc_bar += unbroadcast(-y_bar * ratio, loc)
    scale_bar += unbroadcast(-y_bar * ratio * z, scale)


@rule(stats.norm.sf, optional=("loc", "scale"))
def norm_sf(y, x, loc, scale):
    # y = 1 - Phi(z) = Phi(-z): minus the cdf's derivatives
    z, s = standardized(x, loc, scale)
    density = np.exp(-0.5 * z * z) / (math.sqrt(2.0 * math.pi) * s)
    x_bar += unbroadcast(-y_bar * density, x)
    loc_bar += unbroadcast(y_bar * density, loc)
    scale_bar += unbroadcast(y_bar * density * z, scale)


@rule(stats.norm.logsf, optional=("loc", "scale"))
def norm_logsf(y, x, loc, scale):
    # y = log Phi(-z): minus the standard density over Phi(-z), as exp(log density - y) (no
    # 0 / 0 far in the upper tail)
    z, s = standardized(x, loc, scale)
    ratio = np.exp(-0.5 * z * z - 0.5 * math.log(2.0 * math.pi) - y) / s
    x_bar += unbroadcast(-y_bar * ratio, x)
    loc_bar += unbroadcast(y_bar * ratio, loc)
    scale_bar += unbroadcast(y_bar * ratio * z, scale)

# -- scipy.stats.norm's quantile functions: y = loc + scale ndtri(q) (ppf), loc - scale
#    ndtri(q) = loc + scale ndtri(1 - q) (isf); z = (y - loc) / scale is the standard quantile,
#    whose derivative in q is 1 / density(z), -1 / density(z) for isf -----------------------

@rule(stats.norm.ppf, optional=("loc", "scale"))
def norm_ppf(y, q, loc, scale):
    z, s = standardized(y, loc, scale)
    q_bar += unbroadcast(y_bar * s * np.exp(0.5 * z * z + 0.5 * math.log(2.0 * math.pi)), q)
    loc_bar += unbroadcast(y_bar, loc)
    scale_bar += unbroadcast(y_bar * z, scale)


@rule(stats.norm.isf, optional=("loc", "scale"))
def norm_isf(y, q, loc, scale):
    z, s = standardized(y, loc, scale)
    q_bar += unbroadcast(-y_bar * s * np.exp(0.5 * z * z + 0.5 * math.log(2.0 * math.pi)), q)
    loc_bar += unbroadcast(y_bar, loc)
    scale_bar += unbroadcast(y_bar * z, scale)


# -- scipy.stats.multivariate_normal.logpdf and pdf -----------------------------------------
#    r = x - mean for each point: a row of x (the last axis), or, where d is 1, each entry of a
#    vector x (SciPy reads it so); w = C^-1 r for each, the points as the rows of a matrix. SciPy
#    reads C's lower triangle (eigh): the gradient of the symmetric matrix, (C^-1 r r^T C^-1 - C^-1)
#    / 2 summed over the points, goes onto that triangle. A covariance given as a number or a
#    vector of variances (c I, diag(v)) and allow_singular=True (a density on a subspace,
#    through a pseudo-inverse) are refused

@rule(stats.multivariate_normal.logpdf, shape="unknown", optional=("mean", "cov"))
def mvn_logpdf(y, x, mean, cov, allow_singular=False):
    # y = -(d log(2 pi) + log det C + r^T C^-1 r) / 2 for each point
    c = covariance(cov, allow_singular)
    r = shifted(x, mean)
    w = np.linalg.solve(c, np.reshape(r, (-1, np.shape(c)[-1])).T).T
    gw = np.reshape(y_bar, (-1, 1)) * w
    x_bar += unbroadcast(np.reshape(-gw, np.shape(r)), x)
    mean_bar += unbroadcast(np.reshape(gw, np.shape(r)), mean)
    cov_bar += read_symmetric_bar(0.5 * (gw.T @ w - np.sum(y_bar) * np.linalg.inv(c)), "L")


@tangent_of(stats.multivariate_normal.logpdf)
def mvn_logpdf_tangent(y, x, mean, cov, allow_singular=False):
    c = covariance(cov, allow_singular)
    r = shifted(x, mean)
    d = np.shape(c)[-1]
    w = np.linalg.solve(c, np.reshape(r, (-1, d)).T).T
    y_dot += np.reshape(-np.sum(np.reshape(np.broadcast_to(x_dot, np.shape(r)), (-1, d)) * w, axis=-1), np.shape(y))
    y_dot += np.reshape(np.sum(np.reshape(np.broadcast_to(mean_dot, np.shape(r)), (-1, d)) * w, axis=-1), np.shape(y))
    y_dot += np.reshape(0.5 * (np.sum(w * (w @ read_symmetric(cov_dot, "L")), axis=-1) - np.trace(np.linalg.solve(c, read_symmetric(cov_dot, "L")))), np.shape(y))


@rule(stats.multivariate_normal.pdf, shape="unknown", optional=("mean", "cov"))
def mvn_pdf(y, x, mean, cov, allow_singular=False):
    # the density y = exp(logpdf): logpdf's adjoint with y_bar y for logpdf's bar
    c = covariance(cov, allow_singular)
    r = shifted(x, mean)
    g = y_bar * y
    w = np.linalg.solve(c, np.reshape(r, (-1, np.shape(c)[-1])).T).T
    gw = np.reshape(g, (-1, 1)) * w
    x_bar += unbroadcast(np.reshape(-gw, np.shape(r)), x)
    mean_bar += unbroadcast(np.reshape(gw, np.shape(r)), mean)
    cov_bar += read_symmetric_bar(0.5 * (gw.T @ w - np.sum(g) * np.linalg.inv(c)), "L")


@tangent_of(stats.multivariate_normal.pdf)
def mvn_pdf_tangent(y, x, mean, cov, allow_singular=False):
    c = covariance(cov, allow_singular)
    r = shifted(x, mean)
    d = np.shape(c)[-1]
    w = np.linalg.solve(c, np.reshape(r, (-1, d)).T).T
    y_dot += -y * np.reshape(np.sum(np.reshape(np.broadcast_to(x_dot, np.shape(r)), (-1, d)) * w, axis=-1), np.shape(y))
    y_dot += y * np.reshape(np.sum(np.reshape(np.broadcast_to(mean_dot, np.shape(r)), (-1, d)) * w, axis=-1), np.shape(y))
    y_dot += 0.5 * y * np.reshape(np.sum(w * (w @ read_symmetric(cov_dot, "L")), axis=-1) - np.trace(np.linalg.solve(c, read_symmetric(cov_dot, "L"))), np.shape(y))


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
