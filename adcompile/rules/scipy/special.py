"""SciPy's special functions: elementwise (expit, erf, gammaln, i0, gammainc, ...) and along
an axis (logsumexp, softmax, log_softmax).
The templates' free names are this module's (see rules/scipy/__init__.py).
"""
# ruff: noqa: F821, F841

import math

import numpy as np
import scipy.linalg
import scipy.special
import scipy.stats

from . import rules_reading

rule, tangent_of = rules_reading(globals())
special = scipy.special
stats = scipy.stats
linalg = scipy.linalg


# -- scipy.special: elementwise ------------------------------------------------------------

@rule(special.expit)
def expit(y, x):
    x_bar += y_bar * (y * (1.0 - y))


@rule(special.log_expit)
def log_expit(y, x):
    # log(1 / (1 + e^-x)): its derivative 1 - expit(x), written expit(-x) (no cancellation)
    x_bar += y_bar * special.expit(-x)


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


@rule(special.gamma)
def gamma(y, x):
    # gamma'(x) = gamma(x) psi(x)
    x_bar += y_bar * (y * polygamma(x, 0))


@rule(special.erfinv)
def erfinv(y, x):
    # the inverse of erf: 1 / erf'(y) = sqrt(pi) / 2 e^(y^2)
    x_bar += y_bar * (math.sqrt(math.pi) / 2.0 * np.exp(y * y))


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



@rule(special.beta)
def beta(z, a, b):
    # B(a, b) = exp(betaln(a, b)): B times betaln's derivatives
    a_bar += unbroadcast(z_bar * z * (polygamma(a, 0) - polygamma(a + b, 0)), a)
    b_bar += unbroadcast(z_bar * z * (polygamma(b, 0) - polygamma(a + b, 0)), b)


@rule(special.rgamma)
def rgamma(y, x):
    # 1 / gamma(x): -psi(x) / gamma(x); at the poles of gamma (x = 0, -1, ...), where rgamma
    # crosses 0, its slope (-1)^n n! at x = -n
    pole = (x <= 0) & (x == np.round(x))
    n = np.where(pole, -x, 0.0)
    x_bar += y_bar * np.where(pole, (1.0 - 2.0 * (n % 2)) * special.gamma(n + 1.0), -y * polygamma(np.where(pole, 1.0, x), 0))


@rule(special.erfcinv)
def erfcinv(y, x):
    # the inverse of erfc: 1 / erfc'(y) = -sqrt(pi) / 2 e^(y^2)
    x_bar += -y_bar * (math.sqrt(math.pi) / 2.0 * np.exp(y * y))


@rule(special.ndtri)
def ndtri(y, x):
    # the inverse of the standard normal cdf: 1 / density(y) = sqrt(2 pi) e^(y^2 / 2)
    x_bar += y_bar * np.exp(0.5 * y * y + 0.5 * math.log(2.0 * math.pi))


# entropy terms: entr(x) = -x log x, rel_entr(x, y) = x log(x / y), kl_div(x, y) = x log(x / y)
# - x + y, for x > 0 and y > 0 (0 at x = 0 for y >= 0). At x = 0 their slope in x is -inf
# (+inf for entr), as log's is: given so; in y it is 0 there (the limit from x > 0)

@rule(special.entr)
def entr(y, x):
    x_bar += -y_bar * (np.log(x) + 1.0)


@rule(special.rel_entr)
def rel_entr(z, x, y):
    x_bar += unbroadcast(z_bar * (np.log(x / y) + 1.0), x)
    y_bar += unbroadcast(-z_bar * x / y, y)


@rule(special.kl_div)
def kl_div(z, x, y):
    x_bar += unbroadcast(z_bar * np.log(x / y), x)
    y_bar += unbroadcast(z_bar * (1.0 - x / y), y)


# Bessel functions of the first (j) and second (y) kinds, orders 0 and 1: j0' = -j1, y0' = -y1,
# j1'(x) = j0(x) - j1(x) / x (1/2 at x = 0), y1'(x) = y0(x) - y1(x) / x

@rule(special.j0)
def j0(y, x):
    x_bar += -y_bar * special.j1(x)


@rule(special.j1)
def j1(y, x):
    x_bar += y_bar * np.where(x == 0, 0.5, special.j0(x) - y / np.where(x == 0, 1.0, x))


@rule(special.y0)
def y0(y, x):
    x_bar += -y_bar * special.y1(x)


@rule(special.y1)
def y1(y, x):
    x_bar += y_bar * (special.y0(x) - y / x)


# modified Bessel functions of the first kind, orders 0 and 1, and their exponentially scaled
# forms i0e(x) = exp(-|x|) i0(x), i1e(x) = exp(-|x|) i1(x)

@rule(special.i0)
def i0(y, x):
    x_bar += y_bar * special.i1(x)


@rule(special.i1)
def i1(y, x):
    # i1'(x) = i0(x) - i1(x) / x, whose limit at x = 0 is 1/2 (i1(x) = x/2 + x^3/16 + ...)
    x_bar += y_bar * np.where(x == 0, 0.5, special.i0(x) - y / np.where(x == 0, 1.0, x))


@rule(special.i0e)
def i0e(y, x):
    # i1e(x) - sign(x) i0e(x): 0 at x = 0, where i0e has a corner (slopes 1 and -1), as
    # np.abs's rule gives there
    x_bar += y_bar * (special.i1e(x) - np.sign(x) * y)


@rule(special.i1e)
def i1e(y, x):
    # i0e(x) - i1e(x) / x - sign(x) i1e(x), 1/2 at x = 0 (i1e is smooth there: i1e(0) = 0)
    x_bar += y_bar * np.where(x == 0, 0.5, special.i0e(x) - y / np.where(x == 0, 1.0, x) - np.sign(x) * y)


# the regularized incomplete gamma functions P(a, x) and Q(a, x) = 1 - P(a, x), differentiated
# in x only: d/dx P(a, x) = x^(a-1) e^(-x) / Gamma(a). Their derivative in a (no closed form)
# is not given: a call whose a is being differentiated is refused (a has no adjoint line)

@rule(special.gammainc)
def gammainc(y, a, x):
    # xlogy: (a - 1) log x is 0 at x = 0 for a = 1 (the derivative e^(-x) there)
    x_bar += unbroadcast(y_bar * np.exp(special.xlogy(a - 1.0, x) - x - special.gammaln(a)), x)


@rule(special.gammaincc)
def gammaincc(y, a, x):
    x_bar += unbroadcast(-y_bar * np.exp(special.xlogy(a - 1.0, x) - x - special.gammaln(a)), x)

# -- scipy.special: reductions along an axis -----------------------------------------------

@rule(special.logsumexp, shape="reduce", optional=("b",))
def logsumexp(y, a, b, axis=None, keepdims=False, return_sign=False):
    # y = log sum(b exp(a)), over a and b broadcast together (ab): a gets the softmax weights
    # b exp(a - y), b gets exp(a - y), each summed over what broadcasting repeated. A b of more
    # dimensions than a is refused (y's dimensions would be b's, not a's), and so is a
    # return_sign not known when transforming (return_sign=flag)
    if return_sign is False or return_sign == 0:
        if b is None:
            a_bar += unreduce(y_bar, a, axis=axis, keepdims=keepdims) * np.exp(a - unreduce(y, a, axis=axis, keepdims=keepdims))
        elif ndim(b) > ndim(a):
            unsupported("scipy.special.logsumexp with b of more dimensions than a is not "
                        "differentiated; give a those dimensions (a[None, :])")
        else:
            ab = np.broadcast_to(a, np.broadcast_shapes(np.shape(a), np.shape(b)))
            share = unreduce(y_bar, ab, axis=axis, keepdims=keepdims) * np.exp(ab - unreduce(y, ab, axis=axis, keepdims=keepdims))
            a_bar += unbroadcast(share * b, a)
            b_bar += unbroadcast(share, b)
    else:
        unsupported("scipy.special.logsumexp with return_sign=True is not differentiated")


@tangent_of(special.logsumexp)
def logsumexp_tangent(y, a, b, axis=None, keepdims=False, return_sign=False):
    if return_sign is True or return_sign == 1:
        unsupported("scipy.special.logsumexp with return_sign=True is not differentiated")
    elif b is None:
        y_dot += np.sum(a_dot * np.exp(a - unreduce(y, a, axis=axis, keepdims=keepdims)), axis=axis, keepdims=keepdims)
    elif ndim(b) > ndim(a):
        unsupported("scipy.special.logsumexp with b of more dimensions than a is not "
                    "differentiated; give a those dimensions (a[None, :])")
    else:
        ab = np.broadcast_to(a, np.broadcast_shapes(np.shape(a), np.shape(b)))
        y_dot += np.sum(a_dot * b * np.exp(ab - unreduce(y, ab, axis=axis, keepdims=keepdims)), axis=axis, keepdims=keepdims)
        y_dot += np.sum(b_dot * np.exp(ab - unreduce(y, ab, axis=axis, keepdims=keepdims)), axis=axis, keepdims=keepdims)


@rule(special.softmax, shape="like")
def softmax(y, x, axis=None):
    x_bar += y * (y_bar - np.sum(y_bar * y, axis=axis, keepdims=True))


@tangent_of(special.softmax)
def softmax_tangent(y, x, axis=None):
    y_dot += y * (x_dot - np.sum(x_dot * y, axis=axis, keepdims=True))


@rule(special.log_softmax, shape="like")
def log_softmax(y, x, axis=None):
    x_bar += y_bar - np.exp(y) * np.sum(y_bar, axis=axis, keepdims=True)


@tangent_of(special.log_softmax)
def log_softmax_tangent(y, x, axis=None):
    y_dot += x_dot - np.sum(np.exp(y) * x_dot, axis=axis, keepdims=True)
