"""SciPy's t, gamma, beta, Poisson, exponential, Laplace and log-normal distributions, the
normal's survival function, and the multivariate normal density
(adcompile/rules/scipy/), against central finite differences in both modes, with
Hypothesis drawing the points; skipped when SciPy is not installed (it is optional)."""

import numpy as np
import pytest
from conftest import FEW, arrays, assert_close, assert_grad, assert_hessian, numerical_grad, reals
from hypothesis import given
from hypothesis import strategies as st
from test_rules import covers
from test_rules_scipy import claims, needs_scipy

import adcompile as ad
import adcompile.runtime as rt

try:
    import scipy.stats
except ImportError:   # the rules are not registered: claim none
    scipy = None

if scipy is not None:
    t, g, d, p = scipy.stats.t, scipy.stats.gamma, scipy.stats.beta, scipy.stats.poisson
    mvn = scipy.stats.multivariate_normal
    n, e, lp, ln = scipy.stats.norm, scipy.stats.expon, scipy.stats.laplace, scipy.stats.lognorm

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def st_t(x, df, loc, scale):
    return np.sum(t.logpdf(x, df, loc, scale)) + np.sum(t.pdf(x, df, loc=loc, scale=scale)) \
        + np.sum(t.logpdf(x, df=df)) + np.sum(t.pdf(x, df, scale=scale) ** 2)


def st_t_cdf(x, df, loc, scale):
    return np.sum(t.cdf(x, df, loc, scale) ** 2) + np.sum(t.logcdf(x, df, loc=loc, scale=scale)) \
        + np.sum(t.cdf(x, df)) + np.sum(t.logcdf(x * 3.0, df, scale=scale))


def st_gamma(x, a, loc, scale):
    return np.sum(g.logpdf(x, a, loc, scale)) + np.sum(g.pdf(x, a, loc=loc, scale=scale) ** 2) \
        + np.sum(g.logpdf(x, a)) + np.sum(g.pdf(x, a=a, scale=scale))


def st_gamma_cdf(x, a, loc, scale):
    return np.sum(g.cdf(x, a, loc, scale) ** 2) + np.sum(g.logcdf(x, a, loc=loc, scale=scale)) \
        + np.sum(g.cdf(x, a)) + np.sum(g.logcdf(x, a, scale=scale))


def st_beta(x, a, b, loc, scale):
    return np.sum(d.logpdf(x, a, b, loc, scale)) + np.sum(d.pdf(x, a, b, loc=loc, scale=scale) ** 2) \
        + np.sum(d.logpdf(x, a, b)) + np.sum(d.pdf(x, a, b=b, scale=scale))


def st_beta_cdf(x, a, b, loc, scale):
    return np.sum(d.cdf(x, a, b, loc, scale) ** 2) + np.sum(d.logcdf(x, a, b, loc=loc, scale=scale)) \
        + np.sum(d.cdf(x, a, b)) + np.sum(d.logcdf(x, a, b, scale=scale))


def st_poisson(mu, k):
    return np.sum(p.logpmf(k, mu)) + np.sum(p.pmf(k, mu * mu) ** 2) + np.sum(p.cdf(k, mu, 1)) \
        + np.sum(p.logcdf(k, mu, loc=-1)) + np.sum(p.logpmf(k + 2, mu, loc=2) * mu)


@claims(("scipy", "t_logpdf"), ("scipy", "t_pdf"), ("scipy", "t_cdf"), ("scipy", "t_logcdf"))
@needs_scipy
@FEW
@given(data=st.data())
def test_student_t(data):
    n = data.draw(st.integers(1, 4))
    x = data.draw(arrays((n, 2), reals(-2, 2)))
    df = data.draw(arrays((2,), reals(1.5, 6.0)))
    loc = data.draw(reals(-1, 1))
    scale = data.draw(arrays((n, 1), reals(0.5, 2.0)))
    assert_grad(st_t, x, df, loc, scale, wrt=(0, 1, 2, 3))
    assert_grad(st_t_cdf, x, df, loc, scale, wrt=(0, 1, 2, 3))


@claims(("scipy", "gamma_logpdf"), ("scipy", "gamma_pdf"), ("scipy", "gamma_cdf"),
        ("scipy", "gamma_logcdf"))
@needs_scipy
@FEW
@given(data=st.data())
def test_gamma(data):
    n = data.draw(st.integers(1, 4))
    x = data.draw(arrays((n,), reals(0.5, 4.0)))
    a = data.draw(arrays((n,), reals(0.8, 3.0)))
    loc = data.draw(reals(-0.5, 0.3))
    scale = data.draw(reals(0.5, 2.0))
    assert_grad(st_gamma, x, a, loc, scale, wrt=(0, 1, 2, 3))
    assert_grad(st_gamma_cdf, x, a, loc, scale, wrt=(0, 1, 2, 3))


@claims(("scipy", "beta_logpdf"), ("scipy", "beta_pdf"), ("scipy", "beta_cdf"),
        ("scipy", "beta_logcdf"))
@needs_scipy
@FEW
@given(data=st.data())
def test_beta(data):
    n = data.draw(st.integers(1, 4))
    x = data.draw(arrays((n,), reals(0.2, 0.8)))
    a = data.draw(reals(0.8, 3.0))
    b = data.draw(arrays((n,), reals(0.8, 3.0)))
    loc = data.draw(reals(-0.1, 0.1))
    scale = data.draw(arrays((n,), reals(1.0, 1.3)))
    assert_grad(st_beta, x, a, b, loc, scale, wrt=(0, 1, 2, 3, 4))
    assert_grad(st_beta_cdf, x, a, b, loc, scale, wrt=(0, 1, 2, 3, 4))


@claims(("scipy", "poisson_logpmf"), ("scipy", "poisson_pmf"), ("scipy", "poisson_cdf"),
        ("scipy", "poisson_logcdf"))
@needs_scipy
@FEW
@given(data=st.data())
def test_poisson(data):
    n = data.draw(st.integers(1, 5))
    k = np.array(data.draw(st.lists(st.integers(0, 7), min_size=n, max_size=n)))
    mu = data.draw(arrays((n,), reals(0.5, 4.0)))
    assert_grad(st_poisson, mu, k)


def poisson_outside_support(mu):
    # k = 2.5 and k - loc = -1 have probability 0 (log-probability -inf): no gradient there;
    # k = 0 gives d/dmu (-mu) = -1 at every mu
    return np.sum(scipy.stats.poisson.logpmf(np.array([0.0, 3.0]), mu)) \
        + np.sum(scipy.stats.poisson.pmf(np.array([2.5, 1.0]), mu)) \
        + np.sum(scipy.stats.poisson.cdf(np.array([-1.0, 2.0]), mu))


@needs_scipy
def test_poisson_outside_its_support():
    mu = np.array([1.5, 0.7])
    gradient = ad.grad(poisson_outside_support)(mu)
    expected = np.array([-1.0, 3.0 / 0.7 - 1.0]) + np.array([0.0, p.pmf(1.0, 0.7) * (1.0 / 0.7 - 1.0)]) \
        + np.array([0.0, -p.pmf(2.0, 0.7)])
    assert np.allclose(gradient, expected, rtol=1e-12, atol=1e-12)



def st_norm_tails(x, loc, scale):
    return np.sum(n.sf(x, loc, scale) ** 2) + np.sum(n.logsf(x, loc=loc, scale=scale)) \
        + np.sum(n.sf(x)) + np.sum(n.logsf(x * 3.0, scale=scale))


def st_expon(x, loc, scale):
    return np.sum(e.logpdf(x, loc, scale)) + np.sum(e.pdf(x, loc=loc, scale=scale) ** 2) \
        + np.sum(e.cdf(x, loc, scale)) + np.sum(e.logcdf(x, loc=loc, scale=scale)) \
        + np.sum(e.sf(x, loc, scale) ** 2) + np.sum(e.logpdf(x)) + np.sum(e.cdf(x, scale=scale))


def st_laplace(x, loc, scale):
    return np.sum(lp.logpdf(x, loc, scale)) + np.sum(lp.pdf(x, loc=loc, scale=scale) ** 2) \
        + np.sum(lp.cdf(x, loc, scale) ** 2) + np.sum(lp.logpdf(x - loc)) + np.sum(lp.cdf(x, scale=scale))


def st_lognorm(x, s, loc, scale):
    return np.sum(ln.logpdf(x, s, loc, scale)) + np.sum(ln.pdf(x, s, loc=loc, scale=scale) ** 2) \
        + np.sum(ln.logpdf(x, s)) + np.sum(ln.pdf(x, s=s, scale=scale))


@claims(("scipy", "norm_sf"), ("scipy", "norm_logsf"), ("scipy", "expon_logpdf"),
        ("scipy", "expon_pdf"), ("scipy", "expon_cdf"), ("scipy", "expon_logcdf"),
        ("scipy", "expon_sf"), ("scipy", "laplace_logpdf"), ("scipy", "laplace_pdf"),
        ("scipy", "laplace_cdf"), ("scipy", "lognorm_logpdf"), ("scipy", "lognorm_pdf"))
@needs_scipy
@FEW
@given(data=st.data())
def test_closed_form_distributions(data):
    k = data.draw(st.integers(1, 4))
    loc = data.draw(reals(-0.5, 0.3))
    scale = data.draw(arrays((k, 1), reals(0.5, 2.0)))
    x = data.draw(arrays((k, 2), reals(-2, 2)))
    assert_grad(st_norm_tails, x, loc, scale, wrt=(0, 1, 2))
    # expon and lognorm inside their supports, for loc and for the default 0 (x - loc > 0.1
    # and x > 0.1: z >= 0.05 for every scale)
    above = abs(loc) + data.draw(arrays((k, 2), reals(0.1, 4.0)))
    assert_grad(st_expon, above, loc, scale, wrt=(0, 1, 2))
    # laplace away from its corner at loc
    side = data.draw(arrays((k, 2), st.sampled_from([-1.0, 1.0])))
    assert_grad(st_laplace, loc + side * data.draw(arrays((k, 2), reals(0.05, 3.0))), loc, scale,
                wrt=(0, 1, 2))
    s = data.draw(arrays((2,), reals(0.3, 2.0)))
    assert_grad(st_lognorm, above, s, loc, scale, wrt=(0, 1, 2, 3))


@needs_scipy
@pytest.mark.parametrize("f, args", [
    (st_norm_tails, (np.array([[-1.2, 0.4], [2.5, 0.1]]), 0.3, np.array([[0.8], [1.7]]))),
    (st_expon, (np.array([[0.6, 1.4], [2.5, 0.9]]), 0.3, np.array([[0.8], [1.7]]))),
    (st_laplace, (np.array([[-1.2, 0.9], [2.5, 0.1]]), 0.3, np.array([[0.8], [1.7]]))),
    (st_lognorm, (np.array([[0.6, 1.4], [2.5, 0.9]]), np.array([0.5, 1.2]), 0.3,
                  np.array([[0.8], [1.7]])))], ids=["norm", "expon", "laplace", "lognorm"])
def test_closed_form_distributions_second_derivatives(f, args):
    for wrt in range(len(args)):
        assert_hessian(f, *args, wrt=wrt)
        first = ad.grad(f, wrt=wrt)
        x = np.asarray(args[wrt], dtype=float)

        def column(v, i):
            moved = list(args)
            moved[wrt] = v
            return np.ravel(first(*moved))[i]

        fd = np.array([numerical_grad(column, (x,), 0, {"i": i}) for i in range(x.size)])
        assert_close(np.reshape(ad.hessian(f, wrt=wrt, mode="forward")(*args), fd.shape), fd,
                     1e-5, 1e-6)


def expon_at_its_edge(x):
    # x[0] at loc (the end of the support: the derivatives from inside it), x[1] below it
    # (density 0, log-density -inf, cdf 0, sf 1 whatever x: no gradient)
    return np.sum(e.logpdf(x, 0.5, 2.0)) + 2.0 * np.sum(e.pdf(x, 0.5, 2.0)) \
        + 3.0 * np.sum(e.cdf(x, 0.5, 2.0)) + 4.0 * np.sum(e.sf(x, 0.5, 2.0))


def expon_logcdf_at(x):
    return np.sum(e.logcdf(x, 0.5))


def lognorm_at_its_edge(x, s):
    # at loc and below: density 0 (and all its derivatives from inside), log-density -inf
    return np.sum(ln.pdf(x, s, 0.5)) + np.sum(ln.logpdf(x + np.array([0.0, 0.0, 1.0]), s, 0.5))


def laplace_at_its_corner(x):
    return np.sum(lp.logpdf(x, 0.5, 2.0)) + np.sum(lp.pdf(x, 0.5, 2.0)) + np.sum(lp.cdf(x, 0.5, 2.0))


@needs_scipy
def test_closed_form_distributions_at_the_edges():
    x = np.array([0.5, -1.0])
    # d/dx at z = 0+, scale 2: logpdf -1/2, pdf -e^0 / 4, cdf e^0 / 2, sf -e^0 / 2
    inside = [-1.0 / 2.0 + 2.0 * (-1.0 / 4.0) + 3.0 * (1.0 / 2.0) + 4.0 * (-1.0 / 2.0), 0.0]
    assert_close(ad.grad(expon_at_its_edge)(x), inside, 1e-14, 1e-15)
    h = 1e-7
    at = np.array([0.5])   # a one-sided difference from inside the support
    right = (expon_at_its_edge(at + 2 * h) - expon_at_its_edge(at)) / (2 * h)
    assert_close(ad.grad(expon_at_its_edge)(at)[0], right, 1e-6, 1e-6)
    assert_close(ad.jvp(expon_at_its_edge)(x, tangents=np.array([1.0, 1.0]))[1], inside[0], 1e-14, 0)
    # log(1 - e^-z): an infinite slope at z = 0, none below
    with np.errstate(divide="ignore"):
        assert list(ad.grad(expon_logcdf_at)(np.array([0.5, 0.0]))) == [np.inf, 0.0]
    with np.errstate(divide="ignore"):
        g = ad.grad(lognorm_at_its_edge)(np.array([0.5, -0.3, 0.2]), np.array([0.7, 1.0, 1.2]))
    assert_close(g, [0.0, 0.0, ad.grad(lambda v: ln.logpdf(v, 1.2, 0.5))(1.2)], 1e-14, 0)
    # laplace's log-density has a corner at loc: 0 there (as np.abs's rule gives); its cdf
    # has slope the density there
    assert_close(ad.grad(laplace_at_its_corner)(np.array([0.5])), [0.0 + 0.0 + 0.25], 1e-14, 0)

def st_mvn_pdf(x, mean, cov):
    return np.sum(mvn.pdf(x, mean, cov) * np.arange(1.0, x.shape[0] + 1)) \
        + mvn.pdf(x[0], mean=mean, cov=cov) + np.sum(mvn.pdf(x, cov=cov))


@claims(("scipy", "mvn_pdf"))
@needs_scipy
@FEW
@given(data=st.data())
def test_multivariate_normal_pdf(data):
    n, d = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 3))
    x = data.draw(arrays((n, d), reals(-1.5, 1.5)))
    mu = data.draw(arrays((d,), reals(-1, 1)))
    a = data.draw(arrays((d, d), reals(-1, 1)))
    # not symmetric: SciPy reads the lower triangle, and so does the gradient
    cov = a @ a.T + np.eye(d) + np.triu(data.draw(arrays((d, d), reals(-0.3, 0.3))), 1)
    assert_grad(st_mvn_pdf, x, mu, cov, wrt=(0, 1, 2))


def mvn_of_points_on_a_line(x, mean, cov):
    return np.sum(mvn.logpdf(x, mean, cov) * np.arange(1.0, len(x) + 1)) \
        + np.sum(mvn.pdf(x, mean=mean, cov=cov)) + np.sum(mvn.logpdf(x, cov=cov))


def mvn_with_variances(x, s):
    return mvn.logpdf(x, mean=np.zeros(3), cov=s)


def mvn_with_a_number_for_cov(x):
    return mvn.pdf(x, np.zeros(3), 2.0)


def mvn_allowed_singular(x):
    return mvn.logpdf(x, np.zeros(2), np.eye(2), allow_singular=True)


def mvn_allowed_singular_by_a_flag(x, allow):
    return mvn.logpdf(x, np.zeros(2), np.eye(2), allow_singular=allow)


@needs_scipy
def test_multivariate_normal_covariance_forms():
    """The densities of a vector of points of one dimension (SciPy reads each entry as a
    point where d is 1) are differentiated in both modes; a covariance given as a vector of
    variances (the gradient in x was that of the matrix np.tril of the vector's rows: wrong)
    or a number (a crash inside the gradient code), and allow_singular=True, are refused at
    the user's line."""
    x = np.array([0.3, -1.2, 0.8, 2.0])
    assert_grad(mvn_of_points_on_a_line, x, np.array([0.4]), np.array([[1.7]]), wrt=(0, 1, 2))
    assert_grad(mvn_of_points_on_a_line, x[:1], np.array([0.4]), np.array([[1.7]]),
                wrt=(0, 1, 2))
    for f, args in [(mvn_with_variances, (x[:3], np.array([1.0, 2.0, 0.5]))),
                    (mvn_with_a_number_for_cov, (x[:3],)),
                    (mvn_allowed_singular, (x[:2],))]:
        for transform in (lambda *a: ad.grad(f)(*a), lambda *a: ad.jvp(f)(*a, np.ones(3)[:2])):
            with pytest.raises(ad.TransformError, match="covariance given as a number or a "
                               "vector|allow_singular=True is not") as info:
                transform(*args)
            assert "test_rules_scipy_stats.py" in str(info.value)
    with pytest.raises(ValueError, match="allow_singular=True is not differentiated"):
        ad.grad(mvn_allowed_singular_by_a_flag)(x[:2], True)   # (known when the code runs)
    assert_grad(mvn_allowed_singular_by_a_flag, x[:2], False)


def poisson_in_k(k, mu):
    return np.sum(scipy.stats.poisson.logpmf(k, mu))


@needs_scipy
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_counts_are_refused(mode):
    """A Poisson count is not differentiated: asking for it is an error at the user's call,
    never a zero."""
    k, mu = np.array([0.3, 0.6]), np.array([1.5, 2.5])
    with pytest.raises(ad.TransformError, match="argument 'k'") as info:
        if mode == "forward":
            ad.jvp(poisson_in_k)(k, mu, tangents=np.ones(2))
        else:
            ad.grad(poisson_in_k)(k, mu)
    assert "test_rules_scipy_stats.py" in str(info.value)


def t_cdf_in_df(x, df):
    return np.sum(scipy.stats.t.cdf(x, df)) + np.sum(scipy.stats.t.logcdf(x, df))


def gamma_cdf_in_a(x, a):
    return np.sum(scipy.stats.gamma.cdf(x, a)) + np.sum(scipy.stats.gamma.logcdf(x, a))


def beta_cdf_in_a(x, a, b):
    return np.sum(scipy.stats.beta.cdf(x, a, b)) + np.sum(scipy.stats.beta.logcdf(x, a, b))


def beta_cdf_in_b(x, b, a):
    return beta_cdf_in_a(x, a, b)


def mp_cdf(name, x, p, q):
    """The cdf and its log in 40 digits (mpmath)."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    if name == "t":   # I_u(df / 2, 1 / 2) / 2 below 0, one minus that above
        half = mpmath.betainc(p / 2, mpmath.mpf(1) / 2, 0, p / (p + x * x), regularized=True) / 2
        value = half if x <= 0 else 1 - half
    elif name == "gamma":
        value = mpmath.gammainc(p, 0, x, regularized=True)
    else:
        value = mpmath.betainc(p, q, 0, x, regularized=True)
    return value + mpmath.log(value)


@needs_scipy
@pytest.mark.parametrize("f, name, xs, ps", [
    (t_cdf_in_df, "t", [-30.0, -2.0, -0.1, 0.0, 0.4, 3.0], [0.6, 1.0, 2.5, 8.0, 40.0, 300.0]),
    (gamma_cdf_in_a, "gamma", [1e-4, 0.3, 1.0, 5.0, 40.0, 200.0], [0.2, 0.9, 3.0, 12.0, 60.0, 150.0]),
    (beta_cdf_in_a, "beta", [1e-3, 0.1, 0.45, 0.7, 0.95, 0.999], [0.2, 0.8, 2.0, 9.0, 40.0, 0.5]),
    (beta_cdf_in_b, "beta-b", [1e-3, 0.1, 0.45, 0.7, 0.95, 0.999], [0.3, 1.0, 3.0, 7.0, 55.0, 0.6]),
])
def test_cdfs_in_shape_parameters_against_40_digits(f, name, xs, ps):
    """The derivative of the cdf and log-cdf in df, a and b (an incomplete beta or gamma
    function's in its parameter: series in runtime/special.py) equal mpmath's numerical
    derivative of the 40-digit functions, over tails, the middle and extreme parameters."""
    mpmath = pytest.importorskip("mpmath")
    x, p = np.array(xs), np.array(ps)
    other = 1.7
    g = ad.grad(f, wrt=1)(x, p, other) if name.startswith("beta") else ad.grad(f, wrt=1)(x, p)
    tangent = (ad.jvp(f, wrt=1)(x, p, other, np.ones(6)) if name.startswith("beta")
               else ad.jvp(f, wrt=1)(x, p, np.ones(6)))[1]
    for i in range(len(xs)):
        if name == "beta-b":
            want = mpmath.diff(lambda b: mp_cdf("beta", mpmath.mpf(xs[i]), mpmath.mpf(other), b),
                               mpmath.mpf(ps[i]))
        else:
            want = mpmath.diff(lambda v: mp_cdf(name.split("-")[0], mpmath.mpf(xs[i]), v,
                                                mpmath.mpf(other)), mpmath.mpf(ps[i]))
        assert abs(g[i] - float(want)) <= 1e-9 * abs(float(want)) + 1e-13, (i, g[i], want)
    assert abs(tangent - np.sum(g)) <= 1e-12 * np.sum(np.abs(g)) + 1e-14


def through_the_gamma_series(z, a):
    return np.sum(rt.gammainc_dlog_da(z, a))


def through_the_beta_series(u, a, b):
    return np.sum(rt.betainc_dlog(u, a, b, np.ones_like(u), np.ones_like(u) * 0.5, 0))


def gamma_cdf_twice(x, a):
    return np.sum(scipy.stats.gamma.cdf(x, a))


@covers(("generated", "gammainc_dlog_da"), ("generated", "betainc_dlog"))
def test_second_derivatives_in_shape_parameters_are_refused():
    z, a = np.array([0.5, 2.0]), np.array([1.5, 3.0])
    for f, args, w in ((through_the_gamma_series, (z, a), 1),
                       (through_the_beta_series, (z / 4, a, a), 2)):
        with pytest.raises(ad.TransformError, match="second derivative of a scipy.stats"):
            ad.grad(f, wrt=w)(*args)
        with pytest.raises(ad.TransformError, match="second derivative of a scipy.stats"):
            ad.jvp(f, wrt=w)(*args, np.ones(2))
    if scipy is not None:
        with pytest.raises(ad.TransformError, match="second derivative of a scipy.stats"):
            ad.hessian(gamma_cdf_twice, wrt=1)(z, a)
        h = ad.hessian(gamma_cdf_twice)(z, a)   # (in x: the density's derivative)
        assert np.allclose(np.diag(h), g.pdf(z, a) * ((a - 1.0) / z - 1.0), rtol=1e-10)


def mvn_cdf_of(x, mean):
    return mvn.cdf(x, mean, np.eye(2)) + mvn(mean, np.eye(2)).logcdf(x) \
        + mvn.logcdf(x, mean=mean, cov=np.eye(2))


def mvn_cdf_as_a_weight(w):
    return np.sum(w * mvn.cdf(np.array([0.3, -0.2]), np.zeros(2), np.eye(2)))


@claims(("scipy", "mvn_cdf"), ("scipy", "mvn_logcdf"))
@needs_scipy
def test_multivariate_normal_cdf_is_refused_when_differentiated():
    x, mean = np.array([0.3, -0.2]), np.zeros(2)
    for wrt in (0, 1):
        for transform in (lambda *a: ad.grad(mvn_cdf_of, wrt=wrt)(*a),
                          lambda *a: ad.jvp(mvn_cdf_of, wrt=wrt)(*a, np.ones(2))):
            with pytest.raises(ad.TransformError, match="multivariate_normal.cdf and logcdf "
                                                        "are not differentiated") as info:
                transform(x, mean)
            assert "test_rules_scipy_stats.py" in str(info.value)
    w = np.array([1.0, 2.0])   # a constant's cdf: a number like any other
    assert np.allclose(ad.grad(mvn_cdf_as_a_weight)(w),
                       mvn.cdf(np.array([0.3, -0.2]), np.zeros(2), np.eye(2)), rtol=1e-3)


def st_chi2(x, df, loc, scale):
    c = scipy.stats.chi2
    return np.sum(c.logpdf(x, df, loc, scale)) + np.sum(c.pdf(x, df, loc=loc, scale=scale) ** 2) \
        + np.sum(c.logpdf(x, df)) + np.sum(c.pdf(x, df=df, scale=scale)) \
        + np.sum(c.cdf(x, df, loc, scale) ** 2) + np.sum(c.logcdf(x, df, loc=loc, scale=scale)) \
        + np.sum(c.cdf(x, df)) + np.sum(c.logcdf(x, df, scale=scale))


@claims(("scipy", "chi2_logpdf"), ("scipy", "chi2_pdf"), ("scipy", "chi2_cdf"),
        ("scipy", "chi2_logcdf"))
@needs_scipy
@FEW
@given(data=st.data())
def test_chi2(data):
    n = data.draw(st.integers(1, 4))
    x = data.draw(arrays((n,), reals(0.5, 6.0)))
    df = data.draw(arrays((n,), reals(1.5, 6.0)))
    loc = data.draw(reals(-0.4, 0.3))
    scale = data.draw(reals(0.5, 2.0))
    assert_grad(st_chi2, x, df, loc, scale, wrt=(0, 1, 2, 3))


def test_chi2_is_gamma_of_half_the_degrees_and_twice_the_scale():
    """The derivatives in df of chi2's cdf are half those in a of gamma's at twice the scale."""
    x, df = np.array([0.7, 2.5, 5.0]), np.array([1.5, 3.0, 4.5])
    chi2 = ad.grad(st_chi2, wrt=(0, 1))(x, df, 0.1, 1.3)
    gamma = ad.grad(st_chi2_as_gamma, wrt=(0, 1))(x, df / 2, 0.1, 2.6)
    assert_close(chi2[0], gamma[0], 1e-10, 1e-12)
    assert_close(chi2[1], gamma[1] / 2, 1e-10, 1e-12)


def st_chi2_as_gamma(x, a, loc, scale):
    return np.sum(g.logpdf(x, a, loc, scale)) + np.sum(g.pdf(x, a, loc=loc, scale=scale) ** 2) \
        + np.sum(g.logpdf(x, a, scale=2.0)) + np.sum(g.pdf(x, a=a, scale=scale)) \
        + np.sum(g.cdf(x, a, loc, scale) ** 2) + np.sum(g.logcdf(x, a, loc=loc, scale=scale)) \
        + np.sum(g.cdf(x, a, scale=2.0)) + np.sum(g.logcdf(x, a, scale=scale))


def st_norm_quantiles(q, loc, scale):
    return np.sum(n.ppf(q) ** 3) + np.sum(n.ppf(q, loc, scale) ** 2) \
        + np.sum(n.isf(q, loc=loc, scale=scale) ** 2) + np.sum(n.isf(q) * q)


@claims(("scipy", "norm_ppf"), ("scipy", "norm_isf"))
@needs_scipy
@FEW
@given(data=st.data())
def test_norm_quantiles(data):
    k = data.draw(st.integers(1, 4))
    q = data.draw(arrays((k,), reals(0.02, 0.98)))
    loc = data.draw(reals(-1.0, 1.0))
    scale = data.draw(reals(0.5, 2.0))
    assert_grad(st_norm_quantiles, q, loc, scale, wrt=(0, 1, 2))
    # the quantile of the cdf is the point: ppf(cdf(x)) = x has slope 1
    x = data.draw(arrays((k,), reals(-2.0, 2.0)))
    assert_close(ad.grad(quantile_of_cdf)(x, loc, scale), np.ones(k), 1e-9, 1e-9)


def quantile_of_cdf(x, loc, scale):
    return np.sum(n.ppf(n.cdf(x, loc, scale), loc, scale))
