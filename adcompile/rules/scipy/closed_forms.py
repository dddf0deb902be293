"""scipy.stats.expon, laplace and lognorm: distributions whose densities and cdfs are closed
forms of elementary functions.
The templates' free names are this module's (see rules/scipy/__init__.py).

With z = (x - loc) / scale and d = dy/dz, x gets d / scale, loc -d / scale and scale
-(z d + 1) / scale (for a density: its derivative in z and the 1 / scale in front), as in
distributions.py. Outside a support (expon below loc, lognorm at loc and below) the density
is 0 and the log-density -inf whatever the parameters: no gradient there (0), as for a
Poisson count of probability 0. At the end of expon's support (z = 0) the derivatives are
those from inside it.
"""
# ruff: noqa: F821, F841

import numpy as np
import scipy.linalg
import scipy.special
import scipy.stats

from . import rules_reading
from .locations import standardized

rule, tangent_of = rules_reading(globals())
special = scipy.special
stats = scipy.stats
linalg = scipy.linalg


# -- scipy.stats.expon: y = -z - log(scale) for z >= 0 ----------------------------------------

@rule(stats.expon.logpdf, optional=("loc", "scale"))
def expon_logpdf(y, x, loc, scale):
    z, s = standardized(x, loc, scale)
    x_bar += unbroadcast(y_bar * np.where(z >= 0, -1.0 / s, 0.0), x)
    loc_bar += unbroadcast(y_bar * np.where(z >= 0, 1.0 / s, 0.0), loc)
    scale_bar += unbroadcast(y_bar * np.where(z >= 0, (z - 1.0) / s, 0.0), scale)


@rule(stats.expon.pdf, optional=("loc", "scale"))
def expon_pdf(y, x, loc, scale):
    # the density y times the derivatives of its logarithm (y = 0 outside the support)
    z, s = standardized(x, loc, scale)
    x_bar += unbroadcast(-y_bar * y / s, x)
    loc_bar += unbroadcast(y_bar * y / s, loc)
    scale_bar += unbroadcast(y_bar * y * (z - 1.0) / s, scale)


@rule(stats.expon.cdf, optional=("loc", "scale"))
def expon_cdf(y, x, loc, scale):
    # y = 1 - e^-z: the standard density e^-z (written e^-|z|: no overflow below the
    # support, where it is 0) over scale
    z, s = standardized(x, loc, scale)
    density = np.where(z >= 0, np.exp(-np.abs(z)), 0.0) / s
    x_bar += unbroadcast(y_bar * density, x)
    loc_bar += unbroadcast(-y_bar * density, loc)
    scale_bar += unbroadcast(-y_bar * density * z, scale)


@rule(stats.expon.logcdf, optional=("loc", "scale"))
def expon_logcdf(y, x, loc, scale):
    # y = log(1 - e^-z): dy/dz = e^-z / (1 - e^-z) = exp(-z - y), infinite at z = 0 (where
    # y = -inf), 0 below the support
    z, s = standardized(x, loc, scale)
    ratio = np.where(z >= 0, np.exp(-z - np.where(z >= 0, y, -z)), 0.0) / s
    x_bar += unbroadcast(y_bar * ratio, x)
    loc_bar += unbroadcast(-y_bar * ratio, loc)
    scale_bar += unbroadcast(-y_bar * ratio * z, scale)


@rule(stats.expon.sf, optional=("loc", "scale"))
def expon_sf(y, x, loc, scale):
    # y = e^-z for z >= 0, 1 below: dy/dz = -y inside, 0 below
    z, s = standardized(x, loc, scale)
    density = np.where(z >= 0, y, 0.0) / s
    x_bar += unbroadcast(-y_bar * density, x)
    loc_bar += unbroadcast(y_bar * density, loc)
    scale_bar += unbroadcast(y_bar * density * z, scale)


# -- scipy.stats.laplace: y = -|z| - log(2 scale); d = -sign(z), 0 at z = 0 (the corner,
#    as np.abs's rule gives there) -------------------------------------------------------------

@rule(stats.laplace.logpdf, optional=("loc", "scale"))
def laplace_logpdf(y, x, loc, scale):
    z, s = standardized(x, loc, scale)
    x_bar += unbroadcast(-y_bar * np.sign(z) / s, x)
    loc_bar += unbroadcast(y_bar * np.sign(z) / s, loc)
    scale_bar += unbroadcast(y_bar * (np.abs(z) - 1.0) / s, scale)


@rule(stats.laplace.pdf, optional=("loc", "scale"))
def laplace_pdf(y, x, loc, scale):
    z, s = standardized(x, loc, scale)
    x_bar += unbroadcast(-y_bar * y * np.sign(z) / s, x)
    loc_bar += unbroadcast(y_bar * y * np.sign(z) / s, loc)
    scale_bar += unbroadcast(y_bar * y * (np.abs(z) - 1.0) / s, scale)


@rule(stats.laplace.cdf, optional=("loc", "scale"))
def laplace_cdf(y, x, loc, scale):
    # e^z / 2 below loc, 1 - e^-z / 2 above: the density e^-|z| / 2 over scale
    z, s = standardized(x, loc, scale)
    density = 0.5 * np.exp(-np.abs(z)) / s
    x_bar += unbroadcast(y_bar * density, x)
    loc_bar += unbroadcast(-y_bar * density, loc)
    scale_bar += unbroadcast(-y_bar * density * z, scale)


# -- scipy.stats.lognorm, shape s: y = -log(s z sqrt(2 pi)) - log(z)^2 / (2 s^2) - log(scale)
#    for z > 0; d = -(1 + log(z) / s^2) / z, so scale gets log(z) / (s^2 scale) ---------------

@rule(stats.lognorm.logpdf, optional=("loc", "scale"))
def lognorm_logpdf(y, x, s, loc, scale):
    z, sc = standardized(x, loc, scale)
    inside = z > 0
    zz = np.where(inside, z, 1.0)
    lz = np.log(zz)
    d = np.where(inside, -(1.0 + lz / (s * s)) / zz, 0.0)
    x_bar += unbroadcast(y_bar * d / sc, x)
    loc_bar += unbroadcast(-y_bar * d / sc, loc)
    scale_bar += unbroadcast(y_bar * np.where(inside, lz / (s * s), 0.0) / sc, scale)
    s_bar += unbroadcast(y_bar * np.where(inside, (lz * lz / (s * s) - 1.0) / s, 0.0), s)


@rule(stats.lognorm.pdf, optional=("loc", "scale"))
def lognorm_pdf(y, x, s, loc, scale):
    # the density y times the derivatives of its logarithm (y = 0 outside the support)
    z, sc = standardized(x, loc, scale)
    inside = z > 0
    zz = np.where(inside, z, 1.0)
    lz = np.log(zz)
    x_bar += unbroadcast(-y_bar * y * (1.0 + lz / (s * s)) / (zz * sc), x)
    loc_bar += unbroadcast(y_bar * y * (1.0 + lz / (s * s)) / (zz * sc), loc)
    scale_bar += unbroadcast(y_bar * y * lz / (s * s * sc), scale)
    s_bar += unbroadcast(y_bar * y * (lz * lz / (s * s) - 1.0) / s, s)
