"""Adjoints of NumPy's statistics: sums and means that skip NaN, weighted averages,
quantiles (median, percentile), covariance and correlation matrices."""
# ruff: noqa: F821, F841

import numpy as np

from . import adjoint, tangent


@adjoint(np.nansum, shape="reduce")
def nansum(y, x, axis=None, keepdims=False):
    # the NaN entries were left out: no gradient there (np.isnan)
    x_bar += np.where(np.isnan(x), 0.0, unreduce(y_bar, x, axis=axis, keepdims=keepdims))


@tangent(np.nansum)
def nansum_tangent(y, x, axis=None, keepdims=False):
    y_dot += np.sum(np.where(np.isnan(x), 0.0, x_dot), axis=axis, keepdims=keepdims)


@adjoint(np.nanmean, shape="reduce")
def nanmean(y, x, axis=None, keepdims=False):
    # the mean of the entries that are not NaN: each gets 1 / their count
    x_bar += np.where(np.isnan(x), 0.0, unreduce(y_bar, x, axis=axis, keepdims=keepdims) / np.sum(np.where(np.isnan(x), 0.0, np.ones_like(x)), axis=axis, keepdims=True))


@tangent(np.nanmean)
def nanmean_tangent(y, x, axis=None, keepdims=False):
    y_dot += np.nanmean(np.where(np.isnan(x), np.nan, x_dot), axis=axis, keepdims=keepdims)


@adjoint(np.nanmax, np.nanmin, shape="reduce")
def nanmax(y, x, axis=None, keepdims=False):
    # np.max's and np.min's gradient over the entries that are not NaN: those equal to the
    # result get it, ties sharing it evenly (argmax_mask); NaN entries get none, in a slice
    # of NaN only (whose result is NaN) too
    x_bar += np.where(np.isnan(x), 0.0, unreduce(y_bar, x, axis=axis, keepdims=keepdims) * argmax_mask(x, y, axis=axis, keepdims=keepdims))


@tangent(np.nanmax)
def nanmax_tangent(y, x, axis=None, keepdims=False):
    y_dot += np.sum(np.where(np.isnan(x), 0.0, x_dot * argmax_mask(x, y, axis=axis, keepdims=keepdims)), axis=axis, keepdims=keepdims)


@adjoint(np.average, shape="reduce", optional=("weights",))
def average(y, a, weights, axis=None, returned=False, keepdims=False):
    # y = sum(w a) / sum(w) along axis, w the weights shaped to broadcast against a (a 1-d
    # weights runs along axis); returned=True (a pair), or one not known when transforming,
    # is refused
    if returned is False or returned == 0:
        if weights is None:
            a_bar += unreduce(y_bar / reduced_size(a, axis=axis), a, axis=axis, keepdims=keepdims)
        else:
            w = np.reshape(weights, weights_shape(a, weights, axis))
            total = np.sum(w + np.zeros_like(a), axis=axis, keepdims=True)
            spread = unreduce(y_bar, a, axis=axis, keepdims=keepdims) / total
            a_bar += spread * w
            weights_bar += np.reshape(unbroadcast(spread * (a - np.sum(w * a, axis=axis, keepdims=True) / total), w), np.shape(weights))
    else:
        unsupported("np.average with returned=True: take the sum of the weights separately")


@tangent(np.average)
def average_tangent(y, a, weights, axis=None, returned=False, keepdims=False):
    if returned is False or returned == 0:
        if weights is None:
            y_dot += np.average(a_dot, axis=axis, keepdims=keepdims)
        else:
            y_dot += np.average(a_dot, axis=axis, weights=weights, keepdims=keepdims)
            y_dot += np.sum(np.reshape(weights_dot, weights_shape(a, weights, axis)) * (a - np.sum(np.reshape(weights, weights_shape(a, weights, axis)) * a, axis=axis, keepdims=True) / np.sum(np.reshape(weights, weights_shape(a, weights, axis)) + np.zeros_like(a), axis=axis, keepdims=True)), axis=axis, keepdims=keepdims) / np.sum(np.reshape(weights, weights_shape(a, weights, axis)) + np.zeros_like(a), axis=axis, keepdims=keepdims)
    else:
        unsupported("np.average with returned=True: take the sum of the weights separately")


# np.quantile, np.percentile and np.median: the quantile of a number q is a weighted sum of (at
# most) two entries of x, those at floor and ceil of q (n - 1) in sorted order; they get the
# gradient (quantile_weights, piecewise constant). An array of q puts its axes first; each q's
# part of the gradient is spread so (quantile_bar). An active q is refused (no q_bar line).

@adjoint(np.quantile, shape="quantile")
def quantile(y, x, q, axis=None, keepdims=False, method="linear"):
    if method == "linear":
        x_bar += quantile_bar(y_bar, x, q, axis=axis, keepdims=keepdims)
    else:
        unsupported("np.quantile is differentiated with the default method='linear' only")


@tangent(np.quantile)
def quantile_tangent(y, x, q, axis=None, keepdims=False, method="linear"):
    if method != "linear":
        unsupported("np.quantile is differentiated with the default method='linear' only")
    else:
        y_dot += quantile_dot(x_dot, x, q, axis=axis, keepdims=keepdims)


@adjoint(np.percentile, shape="quantile")
def percentile(y, x, q, axis=None, keepdims=False, method="linear"):
    if method == "linear":
        x_bar += quantile_bar(y_bar, x, np.divide(q, 100.0), axis=axis, keepdims=keepdims)
    else:
        unsupported("np.percentile is differentiated with the default method='linear' only")


@tangent(np.percentile)
def percentile_tangent(y, x, q, axis=None, keepdims=False, method="linear"):
    if method != "linear":
        unsupported("np.percentile is differentiated with the default method='linear' only")
    else:
        y_dot += quantile_dot(x_dot, x, np.divide(q, 100.0), axis=axis, keepdims=keepdims)


@adjoint(np.median, shape="reduce")
def median(y, x, axis=None, keepdims=False):
    # the middle entry, or the two middle ones half each
    x_bar += unreduce(y_bar, x, axis=axis, keepdims=keepdims) * quantile_weights(x, 0.5, axis)


@tangent(np.median)
def median_tangent(y, x, axis=None, keepdims=False):
    y_dot += np.sum(x_dot * quantile_weights(x, 0.5, axis), axis=axis, keepdims=keepdims)


# np.cov and np.corrcoef of one array m (variables in rows, or in columns with rowvar=False;
# a vector is one variable): with X the variables' rows, Xc = X - its row means and f the
# divisor (n - 1, n with bias=True, n - ddof), C = Xc Xc^T / f, so that for an adjoint G of
# C, X gets (G + G^T) Xc / f (the centring needs nothing: Xc's rows sum to zero)

@adjoint(np.cov, shape="unknown")
def cov(y, m, rowvar=True, bias=False, ddof=None):
    if rowvar is True or rowvar == 1:
        X = np.atleast_2d(m)
    elif rowvar is False or rowvar == 0:
        X = np.atleast_2d(np.transpose(m))
    else:
        unsupported("np.cov with rowvar= other than a constant True or False")
    Xc = X - np.mean(X, axis=1, keepdims=True)
    if ddof is None and (bias is False or bias == 0):
        f = np.shape(X)[1] - 1.0
    elif ddof is None and (bias is True or bias == 1):
        f = np.shape(X)[1] * 1.0
    elif ddof is not None:
        f = np.shape(X)[1] - ddof
    else:
        unsupported("np.cov with bias= or ddof= that are not constants")
    G = np.reshape(y_bar, (np.shape(X)[0], np.shape(X)[0]))
    Xb = (G + np.transpose(G)) @ Xc / f
    if rowvar is True or rowvar == 1:
        m_bar += np.reshape(Xb, np.shape(m))
    else:
        m_bar += np.reshape(np.transpose(Xb), np.shape(m))


@tangent(np.cov)
def cov_tangent(y, m, rowvar=True, bias=False, ddof=None):
    # dC = (dXc Xc^T + Xc dXc^T) / f
    if rowvar is True or rowvar == 1:
        X = np.atleast_2d(m)
    elif rowvar is False or rowvar == 0:
        X = np.atleast_2d(np.transpose(m))
    else:
        unsupported("np.cov with rowvar= other than a constant True or False")
    Xc = X - np.mean(X, axis=1, keepdims=True)
    if ddof is None and (bias is False or bias == 0):
        f = np.shape(X)[1] - 1.0
    elif ddof is None and (bias is True or bias == 1):
        f = np.shape(X)[1] * 1.0
    elif ddof is not None:
        f = np.shape(X)[1] - ddof
    else:
        unsupported("np.cov with bias= or ddof= that are not constants")
    if rowvar is True or rowvar == 1:
        y_dot += np.reshape(((np.atleast_2d(m_dot) - np.mean(np.atleast_2d(m_dot), axis=1, keepdims=True)) @ np.transpose(Xc) + Xc @ np.transpose(np.atleast_2d(m_dot) - np.mean(np.atleast_2d(m_dot), axis=1, keepdims=True))) / f, np.shape(y))
    else:
        y_dot += np.reshape(((np.atleast_2d(np.transpose(m_dot)) - np.mean(np.atleast_2d(np.transpose(m_dot)), axis=1, keepdims=True)) @ np.transpose(Xc) + Xc @ np.transpose(np.atleast_2d(np.transpose(m_dot)) - np.mean(np.atleast_2d(np.transpose(m_dot)), axis=1, keepdims=True))) / f, np.shape(y))


@adjoint(np.corrcoef, shape="unknown")
def corrcoef(y, x, rowvar=True):
    # R = C / (s s^T) with C = Xc Xc^T (the divisor cancels) and s = sqrt(diag(C)): for an
    # adjoint G of R, C gets G / (s s^T) and its diagonal d = s^2 also
    # -(sum_j G[i, j] R[i, j] + sum_j G[j, i] R[j, i]) / (2 d[i]); then as for np.cov
    if rowvar is True or rowvar == 1:
        X = np.atleast_2d(x)
    elif rowvar is False or rowvar == 0:
        X = np.atleast_2d(np.transpose(x))
    else:
        unsupported("np.corrcoef with rowvar= other than a constant True or False")
    Xc = X - np.mean(X, axis=1, keepdims=True)
    C = Xc @ np.transpose(Xc)
    s = np.sqrt(np.diagonal(C))
    G = np.reshape(y_bar, np.shape(C))
    R = C / np.outer(s, s)
    C_bar = G / np.outer(s, s) - np.diag(0.5 * (np.sum(G * R, axis=1) + np.sum(G * R, axis=0)) / (s * s))
    Xb = (C_bar + np.transpose(C_bar)) @ Xc
    if rowvar is True or rowvar == 1:
        x_bar += np.reshape(Xb, np.shape(x))
    else:
        x_bar += np.reshape(np.transpose(Xb), np.shape(x))


@tangent(np.corrcoef)
def corrcoef_tangent(y, x, rowvar=True):
    # dR = dC / (s s^T) - R (dd[i] / d[i] + dd[j] / d[j]) / 2, dC = dXc Xc^T + Xc dXc^T
    y_dot += corrcoef_dot(x_dot, x, rowvar)
