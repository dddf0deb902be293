"""SciPy's special functions and log-densities (adcompile/rules/scipy/), against central
finite differences in both modes; skipped when SciPy is not installed (it is optional),
and ``test_without_scipy`` checks that adcompile then loads without those rules."""

import subprocess
import sys

import numpy as np
import pytest
from conftest import FEW, arrays, assert_close, assert_grad, reals, weights
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
