"""Rule preludes (adcompile/rules/preludes.py): statements several rules begin with, written
once and named in each rule, read as the statements written out; and template temporaries
that are a number or another name at a use, which the generated code does not assign."""
# ruff: noqa: F821, F841

import ast

import numpy as np
import pytest
from conftest import assert_grad
from test_rules_scipy import needs_scipy

import adcompile as ad
from adcompile.rules import parse_rule
from adcompile.rules.preludes import prelude

try:
    import scipy.stats
    from adcompile.rules.scipy.locations import shifted, standardized
except ImportError:   # (SciPy is optional)
    scipy = None


def named(y, x, loc, scale):
    z, s = standardized(x, loc, scale)
    x_bar += unbroadcast(-y_bar * z / s, x)


def written_out(y, x, loc, scale):
    if scale is None:
        s = 1.0
    else:
        s = scale
    if loc is None:
        z = x / s
    else:
        z = (x - loc) / s
    x_bar += unbroadcast(-y_bar * z / s, x)


def named_in_a_branch(y, x, loc):
    if ndim(x) == 2:
        r = shifted(x, loc)
        x_bar += r
    else:
        x_bar += shifted(x, loc)


@needs_scipy
def test_a_rule_naming_a_prelude_holds_its_statements():
    """The prelude's parameters are the rule's names given, its results the targets."""
    assert ast.dump(ast.Module(parse_rule(named).body, [])) \
        == ast.dump(ast.Module(parse_rule(written_out).body, []))
    body = parse_rule(named_in_a_branch).body
    assert "shifted" not in ast.unparse(body[0].body[0])   # (in a branch too)
    # a call that is not a whole assignment's value is not a prelude's: left as written
    assert "shifted(x, loc)" in ast.unparse(body[0].orelse[0])


@prelude
def two_args(a, b):
    t = a * b
    u = t + 1.0
    return u


def keeps_its_own_temporaries(y, x):
    u = two_args(x, 2.0)
    x_bar += y_bar * u


def test_a_preludes_other_temporaries_are_named_after_it():
    text = ast.unparse(parse_rule(keeps_its_own_temporaries).body)
    assert "two_args_t = x * 2.0" in text and "u = two_args_t + 1.0" in text


def wrong_count(y, x):
    u = two_args(x)
    x_bar += u


def wrong_targets(y, x):
    u, v = two_args(x, x)
    x_bar += u


def test_a_prelude_called_wrongly_is_an_error():
    with pytest.raises(ad.TransformError, match="takes 2 positional arguments"):
        parse_rule(wrong_count)
    with pytest.raises(ad.TransformError, match="gives 1 values"):
        parse_rule(wrong_targets)


def test_a_prelude_must_return_its_temporaries_and_leave_its_parameters():
    def no_return(a):
        t = a

    def assigns_a_parameter(a):
        a = 2.0
        return a

    with pytest.raises(ad.TransformError, match="must end by returning"):
        prelude(no_return)
    with pytest.raises(ad.TransformError, match="assigns its parameters"):
        prelude(assigns_a_parameter)


def normal_terms(x, mu, sigma):
    return np.sum(scipy.stats.norm.logpdf(x, mu, sigma)) + np.sum(scipy.stats.norm.cdf(x)) \
        + np.sum(scipy.stats.t.logpdf(x, 4.0, scale=sigma))


def poisson_terms(mu, k):
    return np.sum(scipy.stats.poisson.logpmf(k, mu)) + np.sum(scipy.stats.poisson.cdf(k, mu, loc=1))


@needs_scipy
def test_generated_code_reads_the_location_and_scale_given():
    """No ``s = 1.0`` for a scale left out nor ``s = sigma`` for one given: the code reads
    sigma (and divides by nothing); the gradient is the finite differences'."""
    x = np.array([0.3, -1.2, 2.0])
    assert_grad(normal_terms, x, 0.2, 1.5, wrt=(0, 1, 2))
    for mode in ("reverse", "forward"):
        code = ad.show(normal_terms, wrt=(0, 1, 2), mode=mode, args=(x, 0.2, 1.5))
        assert "= 1.0\n" not in code and "_s = " not in code and "/ 1.0" not in code, code
        assert "(x - mu) / sigma" in code and "np.exp(-0.5 * x * x)" in code
    k = np.array([0, 1, 3])
    code = ad.show(poisson_terms, args=(2.0, k))
    assert "_n = k\n" not in code and "k - 1" in code
    assert_grad(poisson_terms, 2.0, k)
