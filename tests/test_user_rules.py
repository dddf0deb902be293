"""User rules: ad.adjoint_rule, ad.primitive and ad.tangent_rule, checked against finite
differences in reverse and forward mode, inside loops, and in built modules."""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_grad

import adcompile as ad
from samples import user_rules as ur

#: the tests folder; the user's module (samples.user_rules) imports adcompile from beside it
TESTS = Path(__file__).resolve().parent


@pytest.mark.parametrize("n", [0, 1, 4])
def test_rule_for_a_function_without_source_in_a_loop(n):
    assert_grad(ur.c_function_in_a_loop, 0.3, n)


def test_rule_is_inlined_and_names_resolve_in_the_rules_module():
    code = ad.show(ur.c_function_in_a_loop)
    assert "TWO_OVER_SQRT_PI" in code and "exp(-" in code and "exp = math.exp" in code


def test_primitive_of_our_own_is_not_inlined():
    rng = np.random.default_rng(0)
    w, X = rng.normal(size=3), rng.normal(size=(5, 3))
    assert_grad(ur.uses_softplus, w, X)
    code = ad.show(ur.uses_softplus, args=(w, X))
    assert "softplus(" in code and "logaddexp" not in code and "sigmoid(" in code


def test_primitive_with_tangent():
    assert_grad(ur.uses_squared_norm, np.array([0.3, -0.5, 1.1]))
    assert "y_dot" not in ad.show(ur.uses_squared_norm, mode="forward")


def test_primitive_without_rule_is_an_error():
    with pytest.raises(ad.TransformError, match="no adjoint rule"):
        ad.grad(ur.calls_no_rule_yet)


def test_forward_mode_needs_a_tangent_for_non_elementwise_rules():
    @ad.primitive(shape="unknown")
    def total(v):
        return np.sum(v)

    @total.adjoint
    def _(y, v):
        v_bar += np.full(np.shape(v), y_bar)  # noqa: F821

    def twice(v):
        return total(v) * 2.0

    assert ad.grad(twice)(np.ones(3)).tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(ad.TransformError) as info:
        ad.jvp(twice)(np.ones(3), np.ones(3))
    message = str(info.value)
    # the public names of the fix, not an internal decorator
    assert "the adjoint rule of total (" in message
    assert "write one with @total.tangent (or ad.tangent_rule(total))" in message
    assert "'y_dot += ...' line per input" in message
    assert "@tangent" not in message.replace("@total.tangent", "")


def test_forward_mode_error_names_tangent_rule_for_an_adjoint_rule():
    def spread(v):
        return np.sum(v) * np.ones(2)

    @ad.adjoint_rule(spread)
    def _(y, v):
        v_bar += np.full(np.shape(v), np.sum(y_bar))  # noqa: F821

    def uses(v):
        return np.sum(spread(v) * 3.0)

    assert ad.grad(uses)(np.ones(3)).tolist() == [6.0, 6.0, 6.0]
    with pytest.raises(ad.TransformError) as info:
        ad.jvp(uses)(np.ones(3), np.ones(3))
    message = str(info.value)
    assert "result shape 'unknown'" in message
    assert "write one with ad.tangent_rule(spread)," in message
    assert "spread.tangent" not in message      # spread is no ad.primitive


def test_bad_templates_are_refused():
    with pytest.raises(ad.TransformError, match="only 'input_bar"):
        @ad.adjoint_rule(np.frexp)
        def bad(y, x):
            y_bar += x  # noqa: F821
    with pytest.raises(ValueError, match="shape"):
        ad.adjoint_rule(np.frexp, shape="round")


def test_built_module_imports_the_primitive_and_inlines_the_rule(tmp_path):
    out = tmp_path / "built.py"
    ad.build([ur.c_function_in_a_loop, ur.uses_softplus], str(out))
    text = out.read_text()
    assert "from samples.user_rules import softplus" in text
    assert "sigmoid" in text
    script = (
        "import sys, numpy as np\n"
        f"sys.path[:0] = [{str(tmp_path)!r}, {str(TESTS)!r}, {str(TESTS.parent)!r}]\n"
        "import built\n"
        "print(built.grad_c_function_in_a_loop(0.3, 3))\n"
        "w = np.array([0.1, 0.2, -0.3]); X = np.eye(3)\n"
        "print(built.grad_uses_softplus(w, X).tolist())\n")
    result = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    assert float(lines[0]) == pytest.approx(ad.grad(ur.c_function_in_a_loop)(0.3, 3), rel=1e-12)
    got = np.array(eval(lines[1]))
    np.testing.assert_allclose(got, ad.grad(ur.uses_softplus)(np.array([0.1, 0.2, -0.3]),
                                                              np.eye(3)), rtol=1e-12)


def test_an_input_without_adjoint_must_be_declared_constant():
    # default deny: a value being differentiated given to an input the rule has no adjoint
    # line for is refused, unless the rule declares the input constant (zero derivative)
    x, w = np.array([0.2, 0.9, 1.4]), np.array([1.5, -0.5, 2.0])
    assert_grad(ur.uses_signed, x, w)
    with pytest.raises(ad.TransformError, match="argument 's'.* does not differentiate"):
        ad.grad(ur.uses_signed_undeclared)(x, w)
    assert_grad(ur.uses_signed_undeclared, x, w, wrt=1)   # s gets no value being differentiated


def test_constant_inputs_must_be_inputs_without_an_adjoint():
    with pytest.raises(ValueError, match="constant inputs"):
        @ad.adjoint_rule(np.fabs, constant=("x",))
        def fabs(y, x):
            x_bar += y_bar * np.sign(x)  # noqa: F821


def erf_elsewhere(x):
    return math.erf(x) * x


def test_rule_reads_its_modules_names_when_called_from_another_module():
    # the template reads TWO_OVER_SQRT_PI, a global of samples.user_rules, not of this module
    assert ur.erf_adjoint is not None   # (the rule of samples.user_rules is registered)
    g = ad.grad(erf_elsewhere)(0.3)
    assert abs(g - (math.erf(0.3) + 0.3 * 2.0 / math.sqrt(math.pi) * math.exp(-0.09))) < 1e-12
