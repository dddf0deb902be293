"""SciPy's special functions and log-densities (adcompile/rules/scipy/), against central
finite differences in both modes; skipped when SciPy is not installed (it is optional),
and ``test_without_scipy`` checks that adcompile then loads without those rules."""

import subprocess
import sys

import numpy as np
import pytest
from conftest import (FEW, arrays, assert_close, assert_grad, assert_hessian, numerical_grad,
                      reals, weights)
from hypothesis import given
from hypothesis import strategies as st
from test_rules import covers

import adcompile as ad

try:
    import scipy.special
    import scipy.stats
except ImportError:   # the rules are not registered: claim none
    scipy = None

special = scipy.special if scipy is not None else None
norm = scipy.stats.norm if scipy is not None else None
mvn = scipy.stats.multivariate_normal if scipy is not None else None

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")
needs_scipy = pytest.mark.skipif(scipy is None, reason="SciPy is not installed")


def claims(*keys):
    return covers(*keys) if scipy is not None else (lambda test: test)


def sp_unary(x, w):
    return np.sum(w * special.expit(x)) + np.sum(special.logit(special.expit(x)) ** 2) + np.sum(w * special.erf(x)) \
        + np.sum(special.erfc(x) ** 2) + np.sum(w * special.gammaln(x + 3.0)) + np.sum(special.digamma(x + 3.0)) \
        + np.sum(special.psi(x * x + 1.0)) + np.sum(w * special.polygamma(1, x + 3.0)) \
        + np.sum(w * special.ndtr(x)) + np.sum(special.log_ndtr(x) ** 2) \
        + np.sum(w * special.gamma(x + 2.5)) + np.sum(special.erfinv(0.45 * np.tanh(x)) ** 2) \
        + np.sum(w * special.log_expit(x))


def sp_binary(x, y, w):
    return np.sum(w * special.xlogy(x, y * y + 0.5)) + np.sum(special.xlog1py(x, y * y)) \
        + np.sum(w * special.betaln(x * x + 0.5, y * y + 1.0))


def sp_reductions(x, b, w):
    return special.logsumexp(x) + np.sum(special.logsumexp(x, axis=-1) ** 2) \
        + np.sum(special.logsumexp(x, axis=0, b=b, keepdims=True) ** 2) \
        + np.sum(w * special.softmax(x, axis=-1)) + np.sum(w * special.log_softmax(x, axis=0)) \
        + np.sum(special.softmax(x) ** 2)


@claims(("scipy", "expit"), ("scipy", "logit"), ("scipy", "erf"), ("scipy", "erfc"),
        ("scipy", "ndtr"), ("scipy", "log_ndtr"), ("scipy", "gamma"), ("scipy", "erfinv"),
        ("scipy", "log_expit"), ("scipy", "gammaln"), ("scipy", "digamma"), ("scipy", "polygamma_"),
        ("scipy", "xlogy"), ("scipy", "xlog1py"), ("scipy", "betaln"), ("scipy", "logsumexp"),
        ("scipy", "softmax"), ("scipy", "log_softmax"))
@needs_scipy
@FEW
@given(data=st.data())
def test_scipy_special(data):
    n, m = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 4))
    x = data.draw(arrays((n, m), reals(-2, 2)))
    w = data.draw(weights((n, m)))
    assert_grad(sp_unary, x, w)
    y = data.draw(arrays((m,), reals(-2, 2)))
    assert_grad(sp_binary, x, y, w, wrt=(0, 1))
    b = data.draw(arrays((n, 1), reals(0.5, 2.0)))
    assert_grad(sp_reductions, x, b, w, wrt=(0, 1))



def logsumexp_weighted_by_a_wider_b(x, B):
    # b repeats a along axes a has as 1 (SciPy broadcasts a and b together)
    return np.sum(special.logsumexp(x[None, :], b=B, axis=-1) ** 2) \
        + special.logsumexp(x[None, :], b=B) + np.sum(special.logsumexp(x[:, None], b=B.T, axis=0))


def logsumexp_weighted_by_more_dimensions(x, B):
    return np.sum(special.logsumexp(x, b=B, axis=-1) ** 2)


@needs_scipy
def test_logsumexp_of_a_broadcast_by_b():
    """logsumexp(a, b=B) where B broadcasts a to a larger shape failed inside the gradient
    code (a's shape was taken for the one reduced); a B of more dimensions than a (the result
    has B's) is refused at the user's line."""
    x = np.array([0.3, -0.5, 1.0])
    B = np.array([[1.0, 2.0, 0.5], [0.3, 1.0, 1.0]])
    assert_grad(logsumexp_weighted_by_a_wider_b, x, B, wrt=(0, 1))
    for transform in (lambda *a: ad.grad(logsumexp_weighted_by_more_dimensions)(*a),
                      lambda *a: ad.jvp(logsumexp_weighted_by_more_dimensions)(*a, np.ones(3))):
        with pytest.raises(ad.TransformError, match="b of more dimensions than a") as info:
            transform(x, B)
        assert "test_rules_scipy.py" in str(info.value)


def sp_more_unary(x, w):
    # x in (0.05, 0.95): rgamma, j0, j1 of it and of its multiples; erfcinv of x + 0.02 (in
    # (0, 2)); ndtri of x; y0, y1 of x + 0.5 (away from their pole at 0)
    return np.sum(w * special.rgamma(3.0 * x - 1.5)) + np.sum(special.erfcinv(x + 0.02) ** 2) \
        + np.sum(w * special.ndtri(x)) + np.sum(special.j0(6.0 * x) * w) \
        + np.sum(special.j1(4.0 * x - 2.0) ** 2) + np.sum(w * special.y0(x + 0.5)) \
        + np.sum(special.y1(2.0 * x + 0.5) ** 2) + np.sum(w * special.entr(x))


def sp_more_binary(x, y, w):
    return np.sum(w * special.beta(x + 0.5, y * y + 0.3)) + np.sum(special.rel_entr(x, y * y + 0.1)) \
        + np.sum(w * special.kl_div(x, y * y + 0.1))


@claims(("scipy", "rgamma"), ("scipy", "erfcinv"), ("scipy", "ndtri"), ("scipy", "j0"),
        ("scipy", "j1"), ("scipy", "y0"), ("scipy", "y1"), ("scipy", "entr"), ("scipy", "beta"),
        ("scipy", "rel_entr"), ("scipy", "kl_div"))
@needs_scipy
@FEW
@given(data=st.data())
def test_more_scipy_special(data):
    n, m = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 4))
    x = data.draw(arrays((n, m), reals(0.05, 0.95)))
    w = data.draw(weights((n, m)))
    assert_grad(sp_more_unary, x, w)
    y = data.draw(arrays((m,), reals(-1.5, 1.5)))
    assert_grad(sp_more_binary, x, y, w, wrt=(0, 1))


def reciprocal_gamma_and_j1(x):
    return np.sum(special.rgamma(x) * np.arange(1.0, 1.0 + np.size(x))) + np.sum(special.j1(x))


@needs_scipy
def test_rgamma_at_the_poles_and_j1_at_zero():
    """rgamma crosses 0 at the poles of gamma (0, -1, -2, ...) with slope (-1)^n n!, j1 has
    slope 1/2 at 0: where the formulas (psi, j1(x) / x) have no value; in both modes."""
    x = np.array([0.0, -1.0, -2.0, -3.0])
    want = np.array([1.0, -2.0, 6.0, -24.0]) + np.array([0.5, 0.0, 0.0, 0.0])
    want[1:] += [special.j0(v) - special.j1(v) / v for v in x[1:]]
    assert_close(ad.grad(reciprocal_gamma_and_j1)(x), want, 1e-12, 1e-12)
    assert_grad(reciprocal_gamma_and_j1, x)


def sp_bessel(x, w):
    return np.sum(w * special.i0(x)) + np.sum(special.i1(x) ** 2) + np.sum(w * special.i0e(x)) \
        + np.sum(special.i1e(x) * w) + np.sum(special.i1(x * x) * special.i0e(x))


def sp_incomplete_gamma(x, a, w):
    return np.sum(w * special.gammainc(a, x)) + np.sum(special.gammaincc(a, x * 2.0) ** 2) \
        + np.sum(special.gammainc(1.5, x) * special.gammaincc(0.7, x))


@claims(("scipy", "i0"), ("scipy", "i1"), ("scipy", "i0e"), ("scipy", "i1e"),
        ("scipy", "gammainc"), ("scipy", "gammaincc"))
@needs_scipy
@FEW
@given(data=st.data())
def test_bessel_and_incomplete_gamma(data):
    n, m = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 4))
    # |x| >= 0.05: i0e and i1e have a corner at 0 (checked there below)
    x = data.draw(arrays((n, m), reals(0.05, 3))) * data.draw(arrays((n, m), st.sampled_from([-1.0, 1.0])))
    w = data.draw(weights((n, m)))
    assert_grad(sp_bessel, x, w)
    a = data.draw(arrays((m,), reals(0.5, 4.0)))
    assert_grad(sp_incomplete_gamma, np.abs(x), a, w)


@needs_scipy
@pytest.mark.parametrize("f, x", [(sp_bessel, np.array([[-1.3, 0.4, 2.2]])),
                                  (sp_incomplete_gamma, np.array([[0.3, 1.1, 2.5]]))])
def test_bessel_and_incomplete_gamma_second_derivatives(f, x):
    w = np.array([[0.7, -1.1, 0.4]])
    args = (x, w) if f is sp_bessel else (x, np.array([0.6, 1.0, 2.5]), w)
    assert_hessian(f, *args)
    first = ad.grad(f)
    fd = np.array([numerical_grad(lambda v: np.ravel(first(v, *args[1:]))[i], (x,), 0)
                   for i in range(x.size)]).reshape(x.shape + x.shape)
    assert_close(ad.hessian(f, mode="forward")(*args), fd, 1e-6, 1e-6)


def i1_family(x):
    return np.sum(special.i1(x) + 2.0 * special.i1e(x) + 3.0 * special.i0(x))


def i0e_at(x):
    return special.i0e(x)


@needs_scipy
def test_bessel_at_zero():
    # i1'(0) = 1/2 (the limit of i0 - i1 / x), i1e'(0) = 1/2, i0'(0) = i1(0) = 0, in both modes
    x = np.array([0.0, 1e-300, -1e-8])
    expected = np.full(3, 0.5 + 2.0 * 0.5)
    # at x = -e: i1e(x) = x/2 - |x| x/2 + O(x^3) has slope 1/2 - e, i0's slope is i1(x) = -e/2
    expected[2] -= 2.0 * 1e-8 + 3.0 * 0.5e-8
    assert_close(ad.grad(i1_family)(x), expected, 1e-12, 1e-15)
    assert_close(ad.jvp(i1_family)(x, tangents=np.array([1.0, 0.0, 0.0]))[1], 1.5, 1e-15, 0)
    # the second derivative at 0: i1''(0) = 0, i0''(0) = i1'(0) = 1/2, and i1e'' = -sign(x) +
    # O(x) (a jump at 0: 0 there, the where's constant branch)
    assert_close(ad.hessian(i1_family)(np.zeros(2)), np.diag([1.5, 1.5]), 1e-12, 1e-12)
    # i0e = e^-|x| i0(x) has a corner at 0 (slopes 1 on the left, -1 on the right): 0 there,
    # as np.abs gives, and the slopes on each side
    assert ad.grad(i0e_at)(0.0) == 0.0
    h = 1e-7
    assert_close([ad.grad(i0e_at)(-h), ad.grad(i0e_at)(h)],
                 [(i0e_at(0.0) - i0e_at(-2 * h)) / (2 * h), (i0e_at(2 * h) - i0e_at(0.0)) / (2 * h)],
                 1e-6, 1e-6)


def gammainc_near_zero(x, a):
    return np.sum(special.gammainc(a, x)) - np.sum(special.gammaincc(a, x) * 2.0)


@needs_scipy
def test_incomplete_gamma_at_zero():
    # d/dx P(a, x) = x^(a-1) e^-x / Gamma(a) at x = 0: 1 for a = 1, 0 for a > 1
    g = ad.grad(gammainc_near_zero)(np.zeros(2), np.array([1.0, 2.5]))
    assert_close(g, [3.0, 0.0], 0, 0)


def gammainc_in_a(a, x):
    return np.sum(special.gammainc(a, x))


def gammaincc_in_a(x, a):
    return np.sum(special.gammaincc(a * a, x))


@needs_scipy
@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f", [gammainc_in_a, gammaincc_in_a])
def test_incomplete_gamma_in_a_is_refused(f, mode):
    """The derivative in the shape parameter a is not given (autograd has none either): an
    error at the user's call, never a zero."""
    args = (np.array([1.5, 2.0]), np.array([0.5, 1.0]))
    wrt = 0 if f is gammainc_in_a else 1
    with pytest.raises(ad.TransformError, match="argument 'a'") as info:
        if mode == "forward":
            ad.jvp(f, wrt=wrt)(*args, tangents=np.ones(2))
        else:
            ad.grad(f, wrt=wrt)(*args)
    assert "test_rules_scipy.py" in str(info.value)

def st_norm(x, mu, sigma):
    return np.sum(norm.logpdf(x, mu, sigma)) + np.sum(norm.pdf(x, loc=mu, scale=sigma)) \
        + np.sum(norm.cdf(x, mu, sigma) ** 2) + np.sum(norm.logcdf(x, scale=sigma)) \
        + np.sum(norm.logpdf(x)) + np.sum(norm.cdf(x, loc=mu)) + np.sum(norm.pdf(x))


def st_mvn(x, mean, cov):
    return np.sum(mvn.logpdf(x, mean, cov) * np.arange(1.0, x.shape[0] + 1)) \
        + mvn.logpdf(x[0], mean=mean, cov=cov) + np.sum(mvn.logpdf(x, cov=cov))


@claims(("scipy", "norm_logpdf"), ("scipy", "norm_pdf"), ("scipy", "norm_cdf"),
        ("scipy", "norm_logcdf"), ("scipy", "mvn_logpdf"))
@needs_scipy
@FEW
@given(data=st.data())
def test_scipy_stats_densities(data):
    n, d = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 3))
    x = data.draw(arrays((n, d), reals(-2, 2)))
    mu = data.draw(arrays((d,), reals(-1, 1)))
    sigma = data.draw(arrays((n, 1), reals(0.5, 2.0)))
    assert_grad(st_norm, x, mu, sigma, wrt=(0, 1, 2))
    a = data.draw(arrays((d, d), reals(-1, 1)))
    # not symmetric: SciPy reads the lower triangle, and so does the gradient
    cov = a @ a.T + d * np.eye(d) + np.triu(data.draw(arrays((d, d), reals(-0.3, 0.3))), 1)
    assert_grad(st_mvn, x, mu, cov, wrt=(0, 1, 2))


def st_second(x, mu, cov):
    return np.sum(scipy.stats.multivariate_normal.logpdf(x, mu, cov)) \
        + np.sum(scipy.stats.norm.logcdf(x, mu[0], cov[0, 0])) \
        + scipy.special.logsumexp(x) + np.sum(scipy.special.gammaln(x * x + 1.0))


@needs_scipy
@pytest.mark.parametrize("wrt", [0, 1, 2])
def test_scipy_second_derivatives(wrt):
    rng = np.random.default_rng(wrt)
    point = [rng.normal(size=(3, 2)), rng.normal(size=2), np.array([[2.0, 0.3], [0.3, 1.5]])]
    first = ad.grad(st_second, wrt=wrt)
    h = 1e-5
    x = point[wrt]
    columns = []
    for e in np.eye(x.size):
        up, down = list(point), list(point)
        up[wrt], down[wrt] = x + h * e.reshape(x.shape), x - h * e.reshape(x.shape)
        columns.append((first(*up) - first(*down)) / (2 * h))
    fd = np.moveaxis(np.array(columns).reshape(x.shape + x.shape), range(x.ndim),
                     range(x.ndim, 2 * x.ndim))
    for mode in ("reverse", "forward"):
        assert_close(ad.hessian(st_second, wrt=wrt, mode=mode)(*point), fd, 1e-5, 1e-6)


def mvn_without_cov(x):
    return scipy.stats.multivariate_normal.logpdf(x)


def logsumexp_sign(x):
    return scipy.special.logsumexp(x, return_sign=True)[0]


@needs_scipy
def test_scipy_refusals_are_at_the_users_call():
    with pytest.raises(ad.TransformError, match="without cov") as info:
        ad.grad(mvn_without_cov)(np.zeros(2))
    assert "test_rules_scipy.py" in str(info.value)
    with pytest.raises(ad.TransformError, match="return_sign"):
        ad.grad(logsumexp_sign)(np.zeros(2))
    with pytest.raises(ad.TransformError, match="forward mode: .*return_sign"):
        ad.jvp(logsumexp_sign)(np.zeros(2), np.ones(2))   # (it was an IndexError)


#: (a script's parts: SciPy imported after adcompile, our rule of expit, a user's rule)
LAZY_HEAD = """
import sys
import numpy as np
import adcompile as ad
assert "scipy" not in sys.modules, "import adcompile imported SciPy"
import scipy.special as special
x = np.array([0.3, -1.2])
"""
LAZY_OURS = """
def f(x):
    return np.sum(special.expit(x))
e = special.expit(x)
np.testing.assert_allclose(ad.grad(f)(x), e * (1 - e))
"""
LAZY_USERS = """
@ad.adjoint_rule(special.erf)
def erf_rule(y, x):
    x_bar += y_bar * 3.0
def g(x):
    return np.sum(special.erf(x))
np.testing.assert_allclose(ad.grad(g)(x), [3.0, 3.0])
"""


@needs_scipy
@pytest.mark.parametrize("parts", [(LAZY_OURS, LAZY_USERS), (LAZY_USERS, LAZY_OURS)],
                         ids=["ours_first", "users_first"])
def test_scipy_rules_are_loaded_when_the_users_code_has_imported_scipy(tmp_path, parts):
    # a user's rule for a SciPy function replaces ours, also when it is given before
    # adcompile looked up any SciPy function (and so before it loaded its SciPy rules)
    path = tmp_path / "lazy.py"
    path.write_text(LAZY_HEAD + "".join(parts) + "print('ok')\n")
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                         check=False, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ok"]


def test_without_scipy(tmp_path):
    """With SciPy hidden (import fails), adcompile loads, registers no SciPy rule, and
    differentiates."""
    script = tmp_path / "hidden.py"
    script.write_text("import sys\nsys.modules['scipy'] = None   # import scipy fails\n"
                      "import numpy as np\nimport adcompile as ad\n"
                      "from adcompile.rules import REGISTRY\n"
                      "assert not [r for r in REGISTRY.rules if r.filename.endswith('scipy.py')]\n"
                      "def g(x):\n    return np.sum(np.sort(x) ** 2)\n"
                      "print(ad.grad(g)(np.array([2.0, 1.0])))\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=False,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[4.", "2.]"]


@needs_scipy
def test_readme_table_of_scipy_primitives_is_current():
    from pathlib import Path

    from adcompile.rules import table
    readme = (Path(ad.__file__).resolve().parent.parent / "README.md").read_text()
    start, end = readme.find(table.SCIPY_START), readme.find(table.SCIPY_END)
    assert 0 <= start < end, "README.md lacks the SciPy primitives markers"
    assert readme[start:end + len(table.SCIPY_END)] == table.scipy_block(), \
        "README.md's table of SciPy primitives is stale: run python -m adcompile.rules.table"
