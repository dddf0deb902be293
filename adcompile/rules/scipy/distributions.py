"""scipy.stats.t, gamma, chi2, beta and poisson: densities, cdfs and their logs.
The templates' free names are this module's (see rules/scipy/__init__.py).
"""
# ruff: noqa: F821, F841

import numpy as np
import scipy.linalg
import scipy.special
import scipy.stats

from . import rules_reading
from .locations import shifted, standardized

rule, tangent_of = rules_reading(globals())
special = scipy.special
stats = scipy.stats
linalg = scipy.linalg


# -- scipy.stats.t, gamma, beta: z = (x - loc) / scale, shape parameters df, a, b ------------
# With d = dy/dz for the standardized log-density: x gets d / scale, loc -d / scale and scale
# -(z d + 1) / scale. The cdf's derivative in x is the density; in a shape parameter it is that
# of the regularized incomplete gamma (gamma) or beta function (beta; t through
# I_u(df / 2, 1 / 2), u = df / (df + z^2)), summed by its power series (runtime/special.py).

@rule(stats.t.logpdf, optional=("loc", "scale"))
def t_logpdf(y, x, df, loc, scale):
    # y = gammaln((df + 1) / 2) - gammaln(df / 2) - log(pi df) / 2 - log(scale)
    #     - (df + 1) / 2 log(1 + z^2 / df)
    z, s = standardized(x, loc, scale)
    d = -(df + 1.0) * z / (df + z * z)
    x_bar += unbroadcast(y_bar * d / s, x)
    loc_bar += unbroadcast(-y_bar * d / s, loc)
    scale_bar += unbroadcast(-y_bar * (z * d + 1.0) / s, scale)
    df_bar += unbroadcast(y_bar * 0.5 * (polygamma(0.5 * (df + 1.0), 0) - polygamma(0.5 * df, 0) - np.log1p(z * z / df) + (z * z - 1.0) / (df + z * z)), df)


@rule(stats.t.pdf, optional=("loc", "scale"))
def t_pdf(y, x, df, loc, scale):
    # the density y times the derivatives of its logarithm
    z, s = standardized(x, loc, scale)
    d = -(df + 1.0) * z / (df + z * z)
    x_bar += unbroadcast(y_bar * y * d / s, x)
    loc_bar += unbroadcast(-y_bar * y * d / s, loc)
    scale_bar += unbroadcast(-y_bar * y * (z * d + 1.0) / s, scale)
    df_bar += unbroadcast(y_bar * y * 0.5 * (polygamma(0.5 * (df + 1.0), 0) - polygamma(0.5 * df, 0) - np.log1p(z * z / df) + (z * z - 1.0) / (df + z * z)), df)


@rule(stats.t.cdf, optional=("loc", "scale"))
def t_cdf(y, x, df, loc, scale):
    # the standard density at z, over scale (df: see above)
    z, s = standardized(x, loc, scale)
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
    z, s = standardized(x, loc, scale)
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
    z, s = standardized(x, loc, scale)
    d = (a - 1.0) / z - 1.0
    x_bar += unbroadcast(y_bar * d / s, x)
    loc_bar += unbroadcast(-y_bar * d / s, loc)
    scale_bar += unbroadcast(-y_bar * (z * d + 1.0) / s, scale)
    a_bar += unbroadcast(y_bar * (np.log(z) - polygamma(a, 0)), a)


@rule(stats.gamma.pdf, optional=("loc", "scale"))
def gamma_pdf(y, x, a, loc, scale):
    z, s = standardized(x, loc, scale)
    d = (a - 1.0) / z - 1.0
    x_bar += unbroadcast(y_bar * y * d / s, x)
    loc_bar += unbroadcast(-y_bar * y * d / s, loc)
    scale_bar += unbroadcast(-y_bar * y * (z * d + 1.0) / s, scale)
    a_bar += unbroadcast(y_bar * y * (np.log(z) - polygamma(a, 0)), a)


@rule(stats.gamma.cdf, optional=("loc", "scale"))
def gamma_cdf(y, x, a, loc, scale):
    # the standard density at z, over scale (a: see above)
    z, s = standardized(x, loc, scale)
    density = stats.gamma.pdf(z, a) / s
    x_bar += unbroadcast(y_bar * density, x)
    loc_bar += unbroadcast(-y_bar * density, loc)
    scale_bar += unbroadcast(-y_bar * density * z, scale)
    a_bar += unbroadcast(y_bar * y * gammainc_dlog_da(z, a), a)


@rule(stats.gamma.logcdf, optional=("loc", "scale"))
def gamma_logcdf(y, x, a, loc, scale):
    z, s = standardized(x, loc, scale)
    ratio = np.exp(stats.gamma.logpdf(z, a) - y) / s
    x_bar += unbroadcast(y_bar * ratio, x)
    loc_bar += unbroadcast(-y_bar * ratio, loc)
    scale_bar += unbroadcast(-y_bar * ratio * z, scale)
    a_bar += unbroadcast(y_bar * gammainc_dlog_da(z, a), a)


# chi2 with df degrees of freedom is gamma with a = df / 2 and twice the scale: in z, y =
# (df / 2 - 1) log z - z / 2 - (df / 2) log 2 - gammaln(df / 2) - log(scale), for z > 0

@rule(stats.chi2.logpdf, optional=("loc", "scale"))
def chi2_logpdf(y, x, df, loc, scale):
    z, s = standardized(x, loc, scale)
    d = (0.5 * df - 1.0) / z - 0.5
    x_bar += unbroadcast(y_bar * d / s, x)
    loc_bar += unbroadcast(-y_bar * d / s, loc)
    scale_bar += unbroadcast(-y_bar * (z * d + 1.0) / s, scale)
    df_bar += unbroadcast(y_bar * 0.5 * (np.log(0.5 * z) - polygamma(0.5 * df, 0)), df)


@rule(stats.chi2.pdf, optional=("loc", "scale"))
def chi2_pdf(y, x, df, loc, scale):
    z, s = standardized(x, loc, scale)
    d = (0.5 * df - 1.0) / z - 0.5
    x_bar += unbroadcast(y_bar * y * d / s, x)
    loc_bar += unbroadcast(-y_bar * y * d / s, loc)
    scale_bar += unbroadcast(-y_bar * y * (z * d + 1.0) / s, scale)
    df_bar += unbroadcast(y_bar * y * 0.5 * (np.log(0.5 * z) - polygamma(0.5 * df, 0)), df)


@rule(stats.chi2.cdf, optional=("loc", "scale"))
def chi2_cdf(y, x, df, loc, scale):
    # P(df / 2, z / 2): the standard density at z over scale; in df, half the incomplete gamma
    # function's derivative in its a
    z, s = standardized(x, loc, scale)
    density = stats.chi2.pdf(z, df) / s
    x_bar += unbroadcast(y_bar * density, x)
    loc_bar += unbroadcast(-y_bar * density, loc)
    scale_bar += unbroadcast(-y_bar * density * z, scale)
    df_bar += unbroadcast(y_bar * y * 0.5 * gammainc_dlog_da(0.5 * z, 0.5 * df), df)


@rule(stats.chi2.logcdf, optional=("loc", "scale"))
def chi2_logcdf(y, x, df, loc, scale):
    z, s = standardized(x, loc, scale)
    ratio = np.exp(stats.chi2.logpdf(z, df) - y) / s
    x_bar += unbroadcast(y_bar * ratio, x)
    loc_bar += unbroadcast(-y_bar * ratio, loc)
    scale_bar += unbroadcast(-y_bar * ratio * z, scale)
    df_bar += unbroadcast(y_bar * 0.5 * gammainc_dlog_da(0.5 * z, 0.5 * df), df)


@rule(stats.beta.logpdf, optional=("loc", "scale"))
def beta_logpdf(y, x, a, b, loc, scale):
    # y = (a - 1) log z + (b - 1) log(1 - z) - betaln(a, b) - log(scale), for 0 < z < 1
    z, s = standardized(x, loc, scale)
    d = (a - 1.0) / z - (b - 1.0) / (1.0 - z)
    x_bar += unbroadcast(y_bar * d / s, x)
    loc_bar += unbroadcast(-y_bar * d / s, loc)
    scale_bar += unbroadcast(-y_bar * (z * d + 1.0) / s, scale)
    a_bar += unbroadcast(y_bar * (np.log(z) - polygamma(a, 0) + polygamma(a + b, 0)), a)
    b_bar += unbroadcast(y_bar * (np.log1p(-z) - polygamma(b, 0) + polygamma(a + b, 0)), b)


@rule(stats.beta.pdf, optional=("loc", "scale"))
def beta_pdf(y, x, a, b, loc, scale):
    z, s = standardized(x, loc, scale)
    d = (a - 1.0) / z - (b - 1.0) / (1.0 - z)
    x_bar += unbroadcast(y_bar * y * d / s, x)
    loc_bar += unbroadcast(-y_bar * y * d / s, loc)
    scale_bar += unbroadcast(-y_bar * y * (z * d + 1.0) / s, scale)
    a_bar += unbroadcast(y_bar * y * (np.log(z) - polygamma(a, 0) + polygamma(a + b, 0)), a)
    b_bar += unbroadcast(y_bar * y * (np.log1p(-z) - polygamma(b, 0) + polygamma(a + b, 0)), b)


@rule(stats.beta.cdf, optional=("loc", "scale"))
def beta_cdf(y, x, a, b, loc, scale):
    # the standard density at z, over scale (a, b: see above)
    z, s = standardized(x, loc, scale)
    density = stats.beta.pdf(z, a, b) / s
    x_bar += unbroadcast(y_bar * density, x)
    loc_bar += unbroadcast(-y_bar * density, loc)
    scale_bar += unbroadcast(-y_bar * density * z, scale)
    a_bar += unbroadcast(y_bar * y * betainc_dlog(z, a, b, density * s, y, 0), a)
    b_bar += unbroadcast(y_bar * y * betainc_dlog(z, a, b, density * s, y, 1), b)


@rule(stats.beta.logcdf, optional=("loc", "scale"))
def beta_logcdf(y, x, a, b, loc, scale):
    z, s = standardized(x, loc, scale)
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
    n = shifted(k, loc)
    mu_bar += unbroadcast(y_bar * np.where(np.isfinite(y), np.where(n == 0, 0.0, n / np.where(n == 0, 1.0, mu)) - 1.0, 0.0), mu)


@rule(stats.poisson.pmf, optional=("loc",))
def poisson_pmf(y, k, mu, loc):
    n = shifted(k, loc)
    mu_bar += unbroadcast(y_bar * y * (np.where(n == 0, 0.0, n / np.where(n == 0, 1.0, mu)) - 1.0), mu)


@rule(stats.poisson.cdf, optional=("loc",))
def poisson_cdf(y, k, mu, loc):
    # P(N <= n) = Q(floor(n) + 1, mu), the regularized upper incomplete gamma function: its
    # derivative in mu is minus the probability of floor(n)
    n = shifted(k, loc)
    mu_bar += unbroadcast(-y_bar * stats.poisson.pmf(np.floor(n), mu), mu)


@rule(stats.poisson.logcdf, optional=("loc",))
def poisson_logcdf(y, k, mu, loc):
    # the cdf's derivative over the cdf, 0 where n < 0 (y = -inf there)
    n = shifted(k, loc)
    mu_bar += unbroadcast(-y_bar * np.exp(stats.poisson.logpmf(np.floor(n), mu) - np.where(n >= 0, y, 0.0)), mu)
