"""Frozen scipy.stats distributions (``scipy.stats.norm(mu, s).logpdf(x)``) differentiated as
the calls they stand for (frontend/frozen.py): the same gradients as the unfrozen calls,
against central finite differences in both modes (Hypothesis drawing the points), autograd
where it has the density, float32 kept; what cannot be rewritten is refused."""

import inspect

import numpy as np
import pytest
from conftest import FEW, arrays, assert_grad, reals
from hypothesis import given
from hypothesis import strategies as st

import adcompile as ad

scipy_stats = pytest.importorskip("scipy.stats")
norm, t, gamma, beta = scipy_stats.norm, scipy_stats.t, scipy_stats.gamma, scipy_stats.beta
poisson, mvn = scipy_stats.poisson, scipy_stats.multivariate_normal

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

CONSTANT = norm(0.5, 2.0)   # a frozen distribution read from the module: a constant


def frozen_inline(x, mu, s):
    return (np.sum(norm(mu, s).logpdf(x)) + np.sum(norm(loc=mu, scale=s).pdf(x))
            + np.sum(scipy_stats.norm(mu, scale=s).cdf(x) ** 2) + np.sum(norm(mu, s).logcdf(x)))


def unfrozen(x, mu, s):
    return (np.sum(norm.logpdf(x, mu, s)) + np.sum(norm.pdf(x, loc=mu, scale=s))
            + np.sum(norm.cdf(x, mu, scale=s) ** 2) + np.sum(norm.logcdf(x, mu, s)))


def frozen_variable(x, mu, s):
    d = norm(loc=mu, scale=s)
    mu = mu * 3.0      # the distribution keeps the parameters it was made with
    return np.sum(d.logpdf(x)) + np.sum(d.pdf(x)) + np.sum(d.cdf(x) ** 2) + np.sum(d.logcdf(x))


def shapes_frozen(x, df, a, b):
    u = 1.0 / (1.0 + np.exp(-x))     # in (0, 1) for the beta density
    dt = t(df, 0.2, 1.5)
    return (np.sum(dt.logpdf(x)) + np.sum(dt.pdf(x)) + np.sum(gamma(a, scale=2.0).logpdf(x * x + 0.5))
            + np.sum(beta(a, b).logpdf(u)) + np.sum(t(df).cdf(x)) + np.sum(gamma(a).cdf(x * x + 0.5)))


def shapes_unfrozen(x, df, a, b):
    u = 1.0 / (1.0 + np.exp(-x))
    return (np.sum(t.logpdf(x, df, 0.2, 1.5)) + np.sum(t.pdf(x, df, 0.2, 1.5))
            + np.sum(gamma.logpdf(x * x + 0.5, a, scale=2.0)) + np.sum(beta.logpdf(u, a, b))
            + np.sum(t.cdf(x, df)) + np.sum(gamma.cdf(x * x + 0.5, a)))


def shape_densities_frozen(x, df, a, b):
    u = 1.0 / (1.0 + np.exp(-x))
    return (np.sum(t(df, scale=1.5).logpdf(x)) + np.sum(gamma(a).pdf(x * x + 0.5))
            + np.sum(beta(a, b, loc=-0.1, scale=1.2).logpdf(u)))


def mixture_in_a_loop(x, mus, sigmas):
    total = 0.0
    for k in range(2):
        component = norm(mus[k], sigmas[k])
        total = total + np.sum(component.logpdf(x))
    return total


def counts_and_gaussians(mu, mean, cov, x):
    return (np.sum(poisson(mu).logpmf(np.array([0, 2, 3]))) + np.sum(poisson(mu).cdf(2))
            + np.sum(mvn(mean, cov).logpdf(x)) + mvn(mean=mean, cov=cov).pdf(x[0]))



def closed_forms_frozen(x, s, loc, scale):
    tail = norm(loc, scale)
    waiting = scipy_stats.expon(loc, scale=scale)
    return (np.sum(tail.sf(x)) + np.sum(tail.logsf(x)) + np.sum(waiting.logpdf(x))
            + np.sum(waiting.cdf(x) ** 2) + np.sum(waiting.logcdf(x)) + np.sum(waiting.sf(x))
            + np.sum(scipy_stats.laplace(loc, scale).logpdf(x)) + np.sum(scipy_stats.laplace(loc).cdf(x))
            + np.sum(scipy_stats.lognorm(s, loc, scale).logpdf(x))
            + np.sum(scipy_stats.lognorm(s, scale=scale).pdf(x)))


def closed_forms_unfrozen(x, s, loc, scale):
    return (np.sum(norm.sf(x, loc, scale)) + np.sum(norm.logsf(x, loc, scale))
            + np.sum(scipy_stats.expon.logpdf(x, loc, scale=scale))
            + np.sum(scipy_stats.expon.cdf(x, loc, scale) ** 2) + np.sum(scipy_stats.expon.logcdf(x, loc, scale))
            + np.sum(scipy_stats.expon.sf(x, loc, scale)) + np.sum(scipy_stats.laplace.logpdf(x, loc, scale))
            + np.sum(scipy_stats.laplace.cdf(x, loc)) + np.sum(scipy_stats.lognorm.logpdf(x, s, loc, scale))
            + np.sum(scipy_stats.lognorm.pdf(x, s, scale=scale)))

def reads_a_constant(x):
    return np.sum(CONSTANT.logpdf(x) * x) + np.sum(CONSTANT.cdf(x))


@FEW
@given(data=st.data())
def test_frozen_norm_is_the_unfrozen_call(data):
    n = data.draw(st.integers(1, 4))
    x = data.draw(arrays((n,), reals(-2, 2)))
    mu, s = data.draw(reals(-1, 1)), data.draw(reals(0.5, 2.0))
    for f in (frozen_inline, frozen_variable):
        g = assert_grad(f, x, mu, s, wrt=(0, 1, 2))
        want = ad.grad(unfrozen, wrt=(0, 1, 2))(x, mu, s)
        for a, b in zip(g, want):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@FEW
@given(data=st.data())
def test_frozen_shape_distributions(data):
    n = data.draw(st.integers(1, 3))
    x = data.draw(arrays((n,), reals(-1.5, 1.5)))
    df, a, b = data.draw(reals(1.5, 6.0)), data.draw(reals(0.8, 3.0)), data.draw(reals(0.8, 3.0))
    g = assert_grad(shapes_frozen, x, df, a, b, wrt=(0, 1, 2, 3))
    for got, want in zip(g, ad.grad(shapes_unfrozen, wrt=(0, 1, 2, 3))(x, df, a, b)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert_grad(shape_densities_frozen, x, df, a, b, wrt=(0, 1, 2, 3))



@FEW
@given(data=st.data())
def test_frozen_survival_functions_and_closed_forms(data):
    n = data.draw(st.integers(1, 3))
    loc, s, scale = data.draw(reals(-0.5, 0.2)), data.draw(reals(0.4, 2.0)), data.draw(reals(0.5, 2.0))
    x = abs(loc) + data.draw(arrays((n,), reals(0.1, 3.0)))   # inside expon's and lognorm's supports
    g = assert_grad(closed_forms_frozen, x, s, loc, scale, wrt=(0, 1, 2, 3))
    for got, want in zip(g, ad.grad(closed_forms_unfrozen, wrt=(0, 1, 2, 3))(x, s, loc, scale)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)

@FEW
@given(data=st.data())
def test_frozen_in_a_loop_and_other_families(data):
    x = data.draw(arrays((3,), reals(-2, 2)))
    mus = data.draw(arrays((2,), reals(-1, 1)))
    sigmas = data.draw(arrays((2,), reals(0.5, 2.0)))
    assert_grad(mixture_in_a_loop, x, mus, sigmas, wrt=(0, 1, 2))
    mu = data.draw(reals(0.5, 3.0))
    mean = data.draw(arrays((2,), reals(-1, 1)))
    cov = np.array([[1.5, 0.3], [0.3, 1.0]])
    assert_grad(counts_and_gaussians, mu, mean, cov, np.array([[0.1, -0.3], [1.0, 0.5]]),
                wrt=(0, 1, 2, 3))


def test_a_frozen_distribution_from_the_module_is_a_constant():
    x = np.array([0.3, -1.2, 2.0])
    g = assert_grad(reads_a_constant, x)
    z = (x - 0.5) / 2.0
    want = norm.logpdf(x, 0.5, 2.0) - z / 2.0 * x + norm.pdf(x, 0.5, 2.0)
    np.testing.assert_allclose(g, want, rtol=1e-12)


def test_float32_as_the_unfrozen_call():
    # (SciPy computes these densities in float64 for float32 arguments: the rules are exempt
    # from keeping float32, test_rules_float32.EXEMPT; frozen, they give what unfrozen do)
    x = np.array([0.3, -1.2], dtype=np.float32)
    args = (x, np.array(0.5, dtype=np.float32), np.float32(1.5))
    g = ad.grad(frozen_variable, wrt=(0, 1, 2))(*args)
    want = ad.grad(unfrozen, wrt=(0, 1, 2))(*args)
    assert [np.asarray(v).dtype for v in g] == [np.asarray(v).dtype for v in want]
    for a, b in zip(g, want):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_against_autograd():
    autograd = pytest.importorskip("autograd")
    ag_norm = pytest.importorskip("autograd.scipy.stats.norm")
    anp = autograd.numpy

    def twin(x, mu, s):
        return (anp.sum(ag_norm.logpdf(x, mu, s)) + anp.sum(ag_norm.pdf(x, mu, s))
                + anp.sum(ag_norm.cdf(x, mu, s) ** 2) + anp.sum(ag_norm.logcdf(x, mu, s)))

    x, mu, s = np.array([0.3, -1.2, 2.0]), 0.4, 1.3
    g = ad.grad(frozen_variable, wrt=(0, 1, 2))(x, mu, s)
    for k in range(3):
        np.testing.assert_allclose(g[k], autograd.grad(twin, k)(x, mu, s), rtol=1e-10)


def quantiles(x, mu):
    d = norm(mu, 1.0)
    return np.sum(d.ppf(x)) + np.sum(d.logpdf(x))


def passed_in(x, d):
    return np.sum(d.logpdf(x))


def frozen_cdf_in_df(x, df):
    return np.sum(t(df).cdf(x))


def line_of(f, text):
    lines, start = inspect.getsourcelines(f)
    return start + next(i for i, line in enumerate(lines) if text in line)


def test_what_is_not_rewritten_is_refused():
    x = np.array([0.3, -1.2])
    with pytest.raises(ad.TransformError) as caught:   # ppf has no rule: d stays frozen
        ad.grad(quantiles, wrt=1)(x, 0.3)
    assert f":{line_of(quantiles, 'norm(mu')}:" in str(caught.value)
    assert "frozen distribution, and d.ppf(...)" in str(caught.value)
    with pytest.raises(ad.TransformError, match="d.ppf"):   # x in ppf, which has no rule
        ad.grad(quantiles)(x, 0.3)
    with pytest.raises(ad.TransformError):   # a frozen distribution passed in: unknown object
        ad.grad(passed_in)(x, norm(0.0, 1.0))
    assert_grad(frozen_cdf_in_df, x, 3.0, wrt=(0, 1))   # (and the cdf in df is differentiated)


def chosen(x, mu, wide):
    if wide:
        d = norm(mu, 3.0)
    else:
        d = norm(mu, 1.0)
    return np.sum(d.logpdf(x))


def test_a_variable_assigned_twice_is_refused_by_name():
    with pytest.raises(ad.TransformError, match="d is assigned more than once"):
        ad.grad(chosen, wrt=1)(np.array([0.3]), 0.2, True)
