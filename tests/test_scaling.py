"""Large and deeply nested functions (issue 20): a 2,000-statement function, expressions
nested as deep as Python's parser allows and sums of thousands of terms transform, with
gradients that match central finite differences; what cannot be split is refused with a
TransformError, never a RecursionError. (benchmarks/transform_scaling.py times larger
functions.)"""

import ast
import importlib
import os
import sys
import time

import numpy as np
import pytest
from conftest import assert_close, numerical_grad

import adcompile as ad
from adcompile.frontend.nesting import LIMIT, SPLIT, depth, split_nesting

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import transform_scaling  # noqa: E402


@pytest.fixture
def module(tmp_path, monkeypatch):
    """``make(name, text, recursion_limit=None)``: function ``f`` of a module holding
    ``text``, imported from a file (adcompile reads the source); with ``recursion_limit``,
    compiled under that limit (Python's own parser needs it for the longest chains)."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(name, text, recursion_limit=None):
        (tmp_path / f"{name}.py").write_text(text)
        old = sys.getrecursionlimit()
        if recursion_limit is not None:
            sys.setrecursionlimit(recursion_limit)
        try:
            return importlib.import_module(name).f
        finally:
            sys.setrecursionlimit(old)

    return make


def _returning(expression):
    return f"import numpy as np\n\n\ndef f(x):\n    return {expression}\n"


def _check(f, x):
    assert_close(ad.grad(f)(x), numerical_grad(f, (x,), 0))


def test_a_2000_statement_function_transforms_in_seconds(module):
    f = module("straight_2000", transform_scaling.source(2000))
    x, y = np.linspace(0.1, 0.3, 3), np.full(3, 0.5)
    start = time.process_time()
    g = ad.grad(f, wrt=(0, 1))(x, y)
    assert time.process_time() - start < 60   # (a quadratic pass took minutes)
    assert_close(g[0], numerical_grad(f, (x, y), 0))
    assert_close(g[1], numerical_grad(f, (x, y), 1))


@pytest.mark.parametrize("expression", [
    "np.sum(" + "np.sin(" * 195 + "x" + ")" * 195 + ")",               # calls, 195 deep
    "np.sum(" + "(" * 195 + "x" + " + 0.1) * 0.99" * 195 + ")",         # parentheses
    "np.sum(" + "x" + " * 0.99 + 0.01" * 300 + ")",                     # a chain, 300 deep
    "np.sum(" + "- " * 300 + "x)",                                      # unary minus
    "np.sum(np.tanh(x * " + " * ".join(["np.cos(x)"] * 120) + "))",
], ids=["sin195", "parens195", "chain300", "neg300", "product_of_calls"])
def test_deep_nesting_is_split_and_differentiated(module, expression):
    f = module(f"deep_{abs(hash(expression))}", _returning(expression))
    _check(f, np.linspace(0.1, 0.3, 3))
    assert "part1 = " in ad.grad(f).source   # (split into parts)


def test_a_sum_of_5000_terms_under_a_limit_python_needs_to_parse_it(module):
    # Python's parser (3.11) refuses 5,000 terms under the default recursion limit: a user
    # writing this raised it; adcompile's passes must not need more
    terms = " + ".join(f"x * {i}" for i in range(1, 5001))
    text = _returning(f"np.sum({terms})")
    f = module("sum_5000", text, recursion_limit=2500)
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(2500)
    try:
        g = ad.grad(f)(np.linspace(0.1, 0.3, 3))
    finally:
        sys.setrecursionlimit(old)
    assert_close(g, np.full(3, 5000 * 5001 / 2))
    assert_close(g, numerical_grad(f, (np.linspace(0.1, 0.3, 3),), 0))


def test_a_product_of_500_factors(module):
    # (benchmarks/transform_scaling.py's cases and 2,000 factors take longer: see README)
    f = module("product_500", _returning("np.sum(" + " * ".join(["x"] * 500) + ")"))
    _check(f, np.array([0.998, 1.0, 1.001]))


def test_split_parts_stay_shallow(module):
    text = ("import numpy as np\n\n\ndef f(x):\n    s = np.exp(x) * (" + "x * 0.9 + " * 60
            + "x)\n    return np.sum(s)\n")
    f = module("shallow", text)
    _check(f, np.linspace(0.1, 0.3, 3))
    from adcompile.frontend.source import FunctionSource
    node = FunctionSource(f).node
    assert len(node.body) > 2 and all(depth(s) < SPLIT + 8 for s in node.body)


def test_split_keeps_the_order_of_calls():
    # a part with a call evaluated before the part taken out is taken out first, so that
    # calls run in the order Python runs them; one without (a name) stays where it is
    chain = "x" + " * 0.9 + 0.1" * 40
    fn = ast.parse(f"def f(x, g):\n    return y + g(x) * ({chain}) + g(y)\n").body[0]
    split_nesting(fn, lambda node, message: AssertionError(message))
    lines = [ast.unparse(s) for s in fn.body]
    assert lines[0] == "part1 = g(x)"
    assert lines[1].startswith("part2 = x * 0.9 + 0.1")
    assert lines[-1].startswith("return y + part1 * (part2 + 0.1 * 0.9")
    assert lines[-1].endswith(") + g(y)")
    f = ast.parse("def f(x):\n    return x\n").body[0]
    before = ast.dump(f)
    split_nesting(f, None)
    assert ast.dump(f) == before   # (shallow code is left as it is)


def test_too_deep_where_it_cannot_be_split_is_refused_with_its_place(module):
    chain = "x" + " * 0.99 + 0.01" * (LIMIT + 20)
    text = ("import numpy as np\n\n\ndef f(x):\n    g = lambda v: " + chain.replace("x", "v")
            + "\n    return np.sum(g(x))\n")
    f = module("refused_lambda", text)
    with pytest.raises(ad.TransformError) as info:
        ad.grad(f)(np.ones(3))
    message = str(info.value)
    assert f"nested more than {LIMIT} levels deep" in message
    assert "refused_lambda.py:5:" in message


def test_source_too_deep_for_the_parser_now_is_a_transform_error(module):
    terms = " + ".join(f"x * {i}" for i in range(1, 5001))
    f = module("sum_5000_limit", _returning(f"np.sum({terms})"), recursion_limit=2500)
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        with pytest.raises(ad.TransformError, match="too deep for Python's parser"):
            ad.grad(f)
    finally:
        sys.setrecursionlimit(old)


def test_deep_nesting_differentiated_twice_and_in_forward_mode(module):
    f = module("deep_twice", _returning("np.sum(" + "np.sin(" * 195 + "x" + ")" * 195 + ")"))
    x = np.linspace(0.1, 0.3, 3)
    grad = ad.grad(f)
    assert_close(ad.hessian(f)(x), np.array([numerical_grad(lambda v: grad(v)[i], (x,), 0)
                                             for i in range(3)]))
    _, tangent = ad.jvp(f)(x, np.ones(3))
    assert_close(tangent, np.sum(grad(x)))


def test_cycle_collection_off_only_while_transforming(module):
    """The passes run without cyclic garbage collection (compiler.without_cycle_collection);
    afterwards it is as it was: on after a gradient and after a refusal, still off when the
    caller had turned it off."""
    import gc

    from adcompile.compiler import without_cycle_collection
    f = module("gc_ok", "import numpy as np\n\n\ndef f(x):\n    return np.sum(np.sin(x) * x)\n")
    refused = module("gc_refused", "def f(x):\n    exec('y = x')\n    return x\n")
    x = np.linspace(0.1, 0.5, 4)
    assert gc.isenabled()
    with without_cycle_collection():
        assert not gc.isenabled()
    assert gc.isenabled()
    assert_close(ad.grad(f)(x), np.sin(x) + x * np.cos(x))
    assert gc.isenabled()
    with pytest.raises(ad.TransformError):
        ad.grad(refused)(x)
    assert gc.isenabled()
    g = module("gc_off", "import numpy as np\n\n\ndef f(x):\n    return np.sum(x ** 3)\n")
    gc.disable()
    try:
        assert_close(ad.grad(g)(x), 3 * x ** 2)
        assert not gc.isenabled()
    finally:
        gc.enable()
