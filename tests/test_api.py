"""The public API of SPEC.md: grad, value_and_grad, vjp, show, check_grad, and how the
generated callables behave (caching, argument handling, the Python constructs of a body)."""

import ast
import builtins
import importlib
import math
import sys
import warnings

import numpy as np
import pytest
from conftest import (assert_close, assert_grad, assert_gradient_like, numerical_grad,
                      numerical_vjp)

import adcompile as ad
from tests.samples import lecture

RNG = np.random.default_rng(12345)


def f_xy(x, y):
    return x * x * y + 3.0 * y


def f_arrays(x, y):
    return np.sum(np.sin(x) * y)


def f_three(a, b, c):
    return a * b * b + np.sum(c) * a


# ---------------------------------------------------------------------------
# ad.grad: call forms and wrt
# ---------------------------------------------------------------------------

def test_grad_as_function_default_wrt_is_0():
    g = ad.grad(f_xy)(2.0, 3.0)
    assert g == 12.0 and isinstance(g, float)
    assert_grad(f_xy, 2.0, 3.0)


@ad.grad
def bare_decorated(x, y):
    return x * x * y


@ad.grad(wrt=("x", "y"))
def decorated_with_wrt(x, y):
    return x * x * y


@ad.grad(wrt=1)
def decorated_with_index(x, y):
    return x * x * y


def test_grad_as_bare_decorator():
    assert bare_decorated(2.0, 3.0) == 12.0
    f = bare_decorated.__wrapped__
    assert f(2.0, 3.0) == 12.0                       # the original function
    assert_close(bare_decorated(2.0, 3.0), numerical_grad(f, (2.0, 3.0), 0))
    assert_close(bare_decorated(x=-1.0, y=0.5), -1.0, 0, 0)


def test_grad_as_decorator_with_wrt():
    assert decorated_with_wrt(2.0, 3.0) == (12.0, 4.0)
    assert decorated_with_index(2.0, 3.0) == 4.0
    assert decorated_with_wrt.__wrapped__(2.0, 3.0) == 12.0


@pytest.mark.parametrize("wrt,expected", [
    (0, "a"), (1, "b"), (2, "c"), (-1, "c"), (-3, "a"), ("b", "b"), ("c", "c"),
    ((0, 2), ("a", "c")), (("c", "a"), ("c", "a")), ((1,), ("b",)), ((-1, "a", 1), ("c", "a", "b")),
])
def test_grad_wrt_forms(wrt, expected):
    a, b, c = 1.5, -0.5, RNG.normal(size=(2, 3))
    g = assert_grad(f_three, a, b, c, wrt=wrt)
    full = {"a": b * b + np.sum(c), "b": 2 * a * b, "c": a * np.ones((2, 3))}
    if isinstance(wrt, tuple):
        assert isinstance(g, tuple) and len(g) == len(expected)
        for gi, name in zip(g, expected):
            assert_close(gi, full[name])
    else:
        assert not isinstance(g, tuple)
        assert_close(g, full[expected])


@pytest.mark.parametrize("bad", ["z", "out_bar", 3, -4, 10, ("a", "nope"), (0, 7)])
def test_bad_wrt_raises_value_error(bad):
    with pytest.raises(ValueError):
        ad.grad(f_three, wrt=bad)(1.0, 2.0, np.ones(2))


@pytest.mark.parametrize("api", [ad.value_and_grad, ad.vjp])
def test_bad_wrt_raises_value_error_everywhere(api):
    with pytest.raises(ValueError, match="z"):
        api(f_three, wrt="z")
    with pytest.raises(ValueError):
        api(f_three, wrt=5)
    with pytest.raises(ValueError):
        ad.show(f_three, wrt="z")
    with pytest.raises(ValueError):
        ad.check_grad(f_three, 1.0, 2.0, np.ones(2), wrt=9)


def keyword_only(x, *, k, scale=2.0):
    return np.sum(x * k) * scale


def test_wrt_keyword_only_parameter_and_defaults():
    x, k = RNG.normal(size=3), RNG.normal(size=3)
    g = assert_grad(keyword_only, x, kwargs={"k": k}, wrt="k")
    assert_close(g, 2.0 * x)
    gx, gk = ad.grad(keyword_only, wrt=("x", "k"))(x, k=k, scale=3.0)
    assert_close(gx, 3.0 * k)
    assert_close(gk, 3.0 * x)


def with_default(x, y=2.0):
    return x * x * y


def test_parameter_defaults_are_kept():
    assert ad.grad(with_default)(3.0) == 12.0
    assert ad.grad(with_default)(3.0, 1.0) == 6.0
    assert ad.grad(with_default, wrt="y")(3.0) == 9.0
    assert ad.grad(with_default)(y=1.0, x=3.0) == 6.0


# ---------------------------------------------------------------------------
# value_and_grad and vjp
# ---------------------------------------------------------------------------

def test_value_and_grad():
    x, y = RNG.normal(size=(2, 3)), RNG.normal(size=3)
    value, g = ad.value_and_grad(f_arrays)(x, y)
    assert_close(value, f_arrays(x, y), 1e-14, 0)
    assert_gradient_like(g, x)
    assert_close(g, numerical_grad(f_arrays, (x, y), 0))
    value, (gx, gy) = ad.value_and_grad(f_arrays, wrt=(0, 1))(x, y)
    assert_close(gy, numerical_grad(f_arrays, (x, y), 1))
    value, g = ad.value_and_grad(f_xy, wrt="y")(2.0, 3.0)
    assert (value, g) == (21.0, 7.0)
    value, g = ad.value_and_grad(f_xy)(x=2.0, y=3.0)
    assert (value, g) == (21.0, 12.0)


@ad.value_and_grad
def value_and_grad_decorated(x):
    return np.sum(x ** 2)


@ad.value_and_grad(wrt=(0, 1))
def value_and_grad_decorated_wrt(x, y):
    return np.sum(x * y)


def test_value_and_grad_decorators():
    x = np.array([1.0, -2.0])
    value, g = value_and_grad_decorated(x)
    assert value == 5.0
    assert_close(g, 2 * x, 0, 0)
    value, (gx, gy) = value_and_grad_decorated_wrt(x, 2 * x)
    assert value == 10.0
    assert_close(gx, 2 * x, 0, 0)
    assert_close(gy, x, 0, 0)


def vector_valued(x, W):
    return np.tanh(W @ x) * x[0]


def two_outputs(x, y):
    a = x * y
    b = np.sum(np.exp(x)) * y
    return a, b


def test_vjp_array_output_positional_and_keyword():
    x, W = RNG.normal(size=3), RNG.normal(size=(3, 3))
    out_bar = RNG.normal(size=3)
    value, g = ad.vjp(vector_valued)(x, W, out_bar)
    assert_close(value, vector_valued(x, W), 1e-14, 0)
    assert_gradient_like(g, x)
    assert_close(g, numerical_vjp(vector_valued, (x, W), 0, out_bar))
    value2, g2 = ad.vjp(vector_valued)(x, W, out_bar=out_bar)
    assert_close(value2, value, 0, 0)
    assert_close(g2, g, 0, 0)
    value3, g3 = ad.vjp(vector_valued)(x=x, W=W, out_bar=out_bar)
    assert_close(g3, g, 1e-14, 0)
    value, (gx, gW) = ad.vjp(vector_valued, wrt=(0, "W"))(x, W, out_bar)
    assert_close(gx, g, 1e-14, 0)
    assert_gradient_like(gW, W)
    assert_close(gW, numerical_vjp(vector_valued, (x, W), 1, out_bar))


def test_vjp_scalar_output_scales_by_out_bar():
    value, g = ad.vjp(f_xy)(2.0, 3.0, 0.5)
    assert (value, g) == (21.0, 6.0)
    value, g = ad.vjp(f_xy, wrt=(0, 1))(2.0, 3.0, out_bar=-2.0)
    assert g == (-24.0, -14.0)


def test_vjp_tuple_output():
    x, y = RNG.normal(size=(2, 3)), RNG.normal(size=3)
    out_bar = (RNG.normal(size=(2, 3)), 1.5)
    value, (gx, gy) = ad.vjp(two_outputs, wrt=(0, 1))(x, y, out_bar)
    a, b = two_outputs(x, y)
    assert isinstance(value, tuple) and len(value) == 2
    assert_close(value[0], a, 1e-14, 0)
    assert_close(value[1], b, 1e-14, 0)
    assert_gradient_like(gx, x)
    assert_gradient_like(gy, y)
    assert_close(gx, numerical_vjp(two_outputs, (x, y), 0, out_bar))
    assert_close(gy, numerical_vjp(two_outputs, (x, y), 1, out_bar))
    _, g = ad.vjp(two_outputs)(x, y, out_bar=out_bar)
    assert_close(g, gx, 1e-14, 0)
    # only the second output pulled back
    zero_first = (np.zeros((2, 3)), 1.0)
    _, g = ad.vjp(two_outputs)(x, y, zero_first)
    assert_close(g, numerical_vjp(two_outputs, (x, y), 0, zero_first))


def test_vjp_needs_out_bar():
    with pytest.raises(TypeError):
        ad.vjp(vector_valued)()


# ---------------------------------------------------------------------------
# non-scalar outputs, zero gradients, non-differentiated arguments
# ---------------------------------------------------------------------------

def non_scalar(x):
    return x * 2.0


def test_grad_of_non_scalar_output_raises():
    with pytest.raises(ValueError, match="vjp") as info:
        ad.grad(non_scalar)(np.ones(3))
    assert "scalar" in str(info.value)
    with pytest.raises(ValueError, match="vjp"):
        ad.value_and_grad(non_scalar)(np.ones((2, 2)))
    with pytest.raises(ValueError, match="vjp"):
        ad.grad(two_outputs)(1.0, 2.0)
    assert ad.grad(non_scalar)(1.5) == 2.0          # a scalar output is fine
    # an output whose ndim the code does not give (a 0-d array's ndim is not specialised
    # on): the value is computed and checked
    with pytest.raises(ValueError, match="scalar"):
        ad.grad(scaled)(np.ones(2), np.array(2.0))
    assert ad.grad(scaled)(np.array(1.5), np.array(2.0)) == 2.0


def scaled(x, s):
    return x * s


def sum_of_squares(x, n):
    return np.sum(x ** n)


def test_grad_computes_no_value_it_knows_is_a_number():
    g = ad.grad(sum_of_squares)
    assert_close(g(np.arange(3.0), 2), [0.0, 2.0, 4.0], 0, 0)
    transform = g._adcompile[0]
    assert list(transform.variants["grad"]) == [((1, True, False), 0)] and not transform.variants["vjp"]
    assert_close(g(np.arange(3.0), 2), [0.0, 2.0, 4.0], 0, 0)   # (the cached one)


def ignores_some(x, y, z):
    unused = y * 2.0
    return np.sum(x * 3.0)


@pytest.mark.parametrize("y,z", [(np.ones((2, 3)), 4.0), (2.0, np.ones(5)), (3, np.ones(()))])
def test_gradient_of_unused_argument_is_zero(y, z):
    x = RNG.normal(size=4)
    gx, gy, gz = ad.grad(ignores_some, wrt=(0, 1, 2))(x, y, z)
    assert_close(gx, 3.0 * np.ones(4), 0, 0)
    for g, arg in [(gy, y), (gz, z)]:
        assert_gradient_like(g, arg)
        assert np.all(np.asarray(g) == 0.0)


def with_statics(x, n, flag, shape, label):
    z = x * np.ones(shape)
    return np.sum(z) * n + float(flag) + len(label)


def test_non_differentiated_arguments_may_be_anything():
    x = RNG.normal(size=3)
    g = ad.grad(with_statics)(x, 4, True, (2, 3), "name")
    assert_close(g, 8.0 * np.ones(3))
    assert_grad(with_statics, x, 4, True, (2, 3), "name")
    assert_grad(with_statics, 1.5, 2, False, [4], "")
    g = ad.grad(with_statics)(x, n=2, flag=False, shape=(1, 3), label="a")
    assert_close(g, 2.0 * np.ones(3))


# ---------------------------------------------------------------------------
# ad.show
# ---------------------------------------------------------------------------

def product(x, y):
    return x * y


def test_show_returns_readable_source():
    text = ad.show(f_xy)
    assert isinstance(text, str)
    assert "def grad_f_xy(" in text and "x_bar" in text
    compile(text, "<show>", "exec")
    text = ad.show(f_xy, wrt=("x", "y"))
    assert "x_bar" in text and "y_bar" in text
    assert "def grad_" in ad.show(bare_decorated)          # a decorated gradient: its original
    assert ad.show(bare_decorated) == ad.show(bare_decorated.__wrapped__)


def test_a_variables_adjoint_keeps_its_name_beside_a_helper_named_so():
    text = ad.show(lecture.residual_and_join, args=(np.ones(3),))
    assert "r_bar = " in text and "r_bar_2" not in text and "r_rule_bar(" in text, text
    assert_grad(lecture.residual_and_join, np.array([0.3, -0.7, 1.1]))
    assert ad.show(product).count("_rule_bar") == 0   # (only where the names meet)
    # (a function the code calls is no variable: sorted's adjoint helper keeps its name)
    text = ad.show(sorted_pair, args=(np.array([0.3, -0.2, 0.9]),))
    assert "sorted_bar(" in text and "_rule_bar" not in text, text


def sorted_pair(x):
    s = sorted([x[0] * 2.0, x[1], x[2] ** 2])
    return s[0] * s[2]


def test_show_of_a_made_function_shows_what_it_runs():
    both = ad.grad(f_xy, wrt=(0, 1))
    assert ad.show(both) == ad.show(f_xy, wrt=(0, 1)) != ad.show(f_xy)
    assert ad.show(ad.jvp(f_xy, wrt=1)) == ad.show(f_xy, wrt=1, mode="forward")
    assert ad.show(both, wrt=0) == ad.show(f_xy)   # what is asked for overrides


def test_show_specialised_on_arguments():
    general = ad.show(product, wrt=(0, 1))
    scalars = ad.show(product, wrt=(0, 1), args=(2.0, 3.0))
    arrays = ad.show(product, wrt=(0, 1), args=(np.ones(2), np.ones((3, 2))))
    for text in (general, scalars, arrays):
        assert "def grad_product(" in text and "x_bar" in text and "y_bar" in text
        compile(text, "<show>", "exec")
    # two scalars: nothing is broadcast, so no unbroadcast in the code
    assert "unbroadcast" not in scalars
    assert "unbroadcast" in general


def recurrence_with_bias(W, b, h, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t] + b)
    return np.sum(h * h)


@pytest.mark.parametrize("shapes", [((3, 3), (3,), (3,), (4, 3)),     # no axis of length 1
                                    ((3, 3), (1,), (3,), (4, 3)),     # b broadcast
                                    ((1, 3), (3,), (3,), (2, 3)),     # W @ h broadcast
                                    ((3, 3), (3,), (3,), (2, 1))])    # xs[t] broadcast
def test_specialised_on_axes_of_length_one(shapes):
    """Arguments with no axis of length 1 (*full*) cannot be broadcast up by other full
    values of no more dimensions, so where every operand is full the code has no
    unbroadcast; an axis of length 1 anywhere keeps it."""
    args = [RNG.normal(size=s) * 0.5 for s in shapes]
    for wrt in range(3):
        assert_grad(recurrence_with_bias, *args, wrt=wrt)
    code = ad.show(recurrence_with_bias, wrt=(0, 1, 2), args=args)
    full = all(1 not in s for s in shapes)
    assert ("unbroadcast" in code) != full, code


def test_show_rejects_unknown_mode():
    with pytest.raises(ValueError):
        ad.show(f_xy, mode="sideways")


# ---------------------------------------------------------------------------
# .source and .__wrapped__ on every returned callable
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: ad.grad(f_xy), lambda: ad.grad(f_xy, wrt=(0, 1)), lambda: ad.grad(wrt="y")(f_xy),
    lambda: ad.value_and_grad(f_xy), lambda: ad.value_and_grad(wrt=1)(f_xy),
    lambda: ad.vjp(f_xy), lambda: ad.vjp(wrt=(0, 1))(f_xy),
], ids=["grad", "grad-tuple", "grad-decorator", "value_and_grad", "value_and_grad-decorator",
        "vjp", "vjp-decorator"])
def test_source_and_wrapped(make):
    fn = make()
    assert fn.__wrapped__ is f_xy
    assert isinstance(fn.source, str) and "def " in fn.source and "_bar" in fn.source
    compile(fn.source, "<source>", "exec")


def test_source_and_wrapped_on_decorated():
    for fn in (bare_decorated, decorated_with_wrt, value_and_grad_decorated):
        assert isinstance(fn.source, str) and "_bar" in fn.source
        assert callable(fn.__wrapped__) and fn.__wrapped__.__name__ in fn.source


# ---------------------------------------------------------------------------
# ad.check_grad
# ---------------------------------------------------------------------------

def floor_plus(x):
    return np.sum(x + np.floor(x))


def test_check_grad_passes_on_correct_gradients():
    x, y = RNG.normal(size=(2, 3)), RNG.normal(size=3)
    err = ad.check_grad(f_arrays, x, y)
    assert isinstance(err, float) and 0.0 <= err < 1e-6
    assert ad.check_grad(f_arrays, x, y, wrt=(0, 1)) < 1e-6
    assert ad.check_grad(f_xy, 2.0, 3.0, wrt="y") < 1e-6
    assert ad.check_grad(bare_decorated, 2.0, 3.0) < 1e-6       # accepts a decorated gradient


def scales_its_argument(x, a, p):
    y = np.asarray(x)   # (x itself: the caller's array changes)
    y *= a
    p["w"] *= 2.0
    return np.sum(y ** 2) + np.sum(p["w"] * a)


def test_check_grad_gives_each_evaluation_its_own_arguments():
    # a function that changes its arguments in place would change them under the finite
    # differences (and the caller's arrays): each evaluation gets copies of them
    x, p = RNG.normal(size=3), {"w": RNG.normal(size=2)}
    x0, w0 = x.copy(), p["w"].copy()
    assert ad.check_grad(scales_its_argument, x, 0.5, p, wrt=(0, 1)) < 1e-6
    assert np.array_equal(x, x0) and np.array_equal(p["w"], w0)


def test_check_grad_raises_naming_the_worst_entry():
    # floor jumps at 1.0: finite differences see a huge slope there, the gradient does not
    x = np.array([0.5, 0.25, 1.0, 2.5])
    with pytest.raises(AssertionError) as info:
        ad.check_grad(floor_plus, x)
    message = str(info.value)
    assert "x[2]" in message and "floor_plus" in message


def test_check_grad_scalar_mismatch():
    with pytest.raises(AssertionError, match="x"):
        ad.check_grad(floor_plus, 3.0)
    assert ad.check_grad(floor_plus, 3.5) < 1e-6


# ---------------------------------------------------------------------------
# caching and redefinition
# ---------------------------------------------------------------------------

def cached_function(x):
    return np.sum(np.exp(x) * x)


def test_generated_code_is_cached(monkeypatch):
    x = RNG.normal(size=3)
    first = ad.grad(cached_function)
    g1 = first(x)
    first(1.5)
    calls = []
    real_compile = builtins.compile
    monkeypatch.setattr(builtins, "compile", lambda *a, **k: calls.append(a) or real_compile(*a, **k))
    second = ad.grad(cached_function)
    g2 = second(x)
    second(2.5)
    ad.grad(cached_function)(x)
    monkeypatch.undo()
    assert calls == [], "calling ad.grad(f) again parsed or compiled code again"
    assert second.source == first.source
    assert_close(g1, g2, 0, 0)


def helper_of_inline(x):
    return x * x


def uses_helper(x):
    return helper_of_inline(x) + x


def test_gradient_made_again_inline_is_found_again():
    # ad.grad(f)(x) in a loop: the callable is made once per transform, and a new one is
    # made when what f reads by name changes
    global helper_of_inline
    first = ad.grad(uses_helper)
    assert ad.grad(uses_helper) is first and ad.grad(uses_helper, wrt=0) is first
    assert ad.value_and_grad(uses_helper) is not first
    assert first(2.0) == 5.0
    saved = helper_of_inline
    try:
        def helper_of_inline(x):   # noqa: F811
            return x * x * x

        again = ad.grad(uses_helper)
        assert again is not first and again(2.0) == 13.0
    finally:
        helper_of_inline = saved
    assert ad.grad(uses_helper)(2.0) == 5.0


def test_redefined_function_gets_new_code():
    def f(x):
        return x * x

    g1 = ad.grad(f)
    assert g1(3.0) == 6.0

    def f(x):  # noqa: F811
        return x * x * x

    g2 = ad.grad(f)
    assert g2(3.0) == 27.0
    assert g1(3.0) == 6.0
    assert g1.source != g2.source


def make_scaled(c):
    def scaled(x):
        return c * x * x
    return scaled


def test_closures_with_the_same_code_are_distinct():
    assert ad.grad(make_scaled(2.0))(1.0) == 4.0
    assert ad.grad(make_scaled(3.0))(1.0) == 6.0


def test_reloaded_module_gets_new_code(tmp_path, monkeypatch):
    module = tmp_path / "adc_reload_target.py"
    module.write_text("def f(x):\n    return x * x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    mod = importlib.import_module("adc_reload_target")
    try:
        assert ad.grad(mod.f)(3.0) == 6.0
        module.write_text("def f(x):\n    return 5.0 * x * x * x\n")
        mod = importlib.reload(mod)
        assert ad.grad(mod.f)(1.0) == 15.0
    finally:
        sys.modules.pop("adc_reload_target", None)


# ---------------------------------------------------------------------------
# the caller's values, repeated calls, returned arrays
# ---------------------------------------------------------------------------

def in_place_update(x, y):
    x += y
    x *= 2.0
    return np.sum(x * x)


def test_callers_arrays_are_not_mutated():
    x, y = RNG.normal(size=3), RNG.normal(size=3)
    x0, y0 = x.copy(), y.copy()
    gx, gy = ad.grad(in_place_update, wrt=(0, 1))(x, y)
    assert np.array_equal(x, x0) and np.array_equal(y, y0)
    assert_close(gx, 8 * (x0 + y0))
    assert_close(gy, 8 * (x0 + y0))
    out_bar = np.ones(3)
    ad.vjp(non_scalar)(x, out_bar)
    assert np.array_equal(out_bar, np.ones(3)) and np.array_equal(x, x0)


def test_repeated_calls_give_the_same_result():
    x, W = RNG.normal(size=3), RNG.normal(size=(3, 3))
    fn = ad.vjp(vector_valued, wrt=(0, 1))
    out_bar = np.ones(3)
    first = fn(x, W, out_bar)
    for _ in range(3):
        again = fn(x, W, out_bar)
        assert_close(again[0], first[0], 0, 0)
        assert_close(again[1][0], first[1][0], 0, 0)
        assert_close(again[1][1], first[1][1], 0, 0)
    g = ad.grad(f_arrays)
    assert_close(g(W, x), g(W, x), 0, 0)


def add_two(x, y):
    return np.sum(x + y)


def test_returned_gradients_are_independent_writable_arrays():
    # a caller may update gradients in place (clipping, scaling) without side effects
    x, y = RNG.normal(size=3), RNG.normal(size=3)
    gx, gy = ad.grad(add_two, wrt=(0, 1))(x, y)
    assert gx.flags.writeable and gy.flags.writeable
    assert not np.shares_memory(gx, gy)
    gx *= 0.5
    assert_close(gy, np.ones(3), 0, 0)
    out_bar = np.ones(3)
    _, g = ad.vjp(non_scalar)(x, out_bar)
    assert g.flags.writeable and not np.shares_memory(g, out_bar)
    g = ad.grad(cached_function)(x)
    g[0] = 0.0


def times_two(x):
    return x * 2.0


def sum_of(x):
    return np.sum(x)


def math_of(x):
    return float(x) * 3.0


@pytest.mark.parametrize("fn", [times_two, sum_of, math_of, cached_function])
def test_zero_dim_array_gets_zero_dim_array_gradient(fn):
    # SPEC: "an ndarray of the argument's shape for an array" -- 0-d arrays included
    x = np.array(0.75)
    g = ad.grad(fn)(x)
    assert isinstance(g, np.ndarray) and g.shape == () and g.dtype == np.float64
    assert_close(g, numerical_grad(fn, (x,), 0))


@pytest.mark.parametrize("fn", [times_two, sum_of, math_of, cached_function])
@pytest.mark.parametrize("x", [0.75, 2], ids=["float", "int"])
def test_python_number_gets_float_gradient(fn, x):
    g = ad.grad(fn)(x)
    assert isinstance(g, float) and not isinstance(g, np.ndarray), repr(g)


# ---------------------------------------------------------------------------
# the Python constructs of a function body
# ---------------------------------------------------------------------------

def augmented(x, y):
    x = x * 2
    x += y
    x *= x
    x -= 1.0
    x /= 2.0
    x **= 2
    return np.sum(x)


def unpack_and_swap(x, y):
    a, b = x, y * 2.0
    a, b = b, a
    return np.sum(a * 3.0 + b * b)


def unpack_array(x):
    first, second = x
    return np.sum(first * second ** 2)


def nested_unpack(x, y):
    (a, b), c = (x, y * 2.0), x * 3.0
    return np.sum(a * b * c)


def swap_parameters(x, y):
    x, y = y, x
    return np.sum(x * 2.0 + y * y * 3.0)


def reassign_parameter(x, y):
    x = x * y
    x = np.sin(x)
    y = x + y
    return np.sum(x * y)


def multiple_targets(x):
    a = b = x * 2.0
    c = d = 3.0
    return np.sum(a * b + c * d * a)


def constants_and_unused(x, y):
    c = 3.0
    k = np.arange(3.0)
    unused = np.exp(x) * 100.0
    also_unused = y * y
    return np.sum(c * x + k) + 2


def prints_and_len(x):
    n = len(x)
    assert x.shape == (n,)
    print("n =", n)
    print(x.shape)
    return np.sum(x * x) / n


def annotated_and_docstring(x: np.ndarray) -> float:
    """A docstring and annotations are ignored."""
    y: np.ndarray = x * 3.0
    pass
    return np.sum(y * x)


@pytest.mark.parametrize("fn,args,wrt", [
    (augmented, (RNG.normal(size=3), RNG.normal(size=3)), (0, 1)),
    (augmented, (0.7, -0.3), (0, 1)),
    (unpack_and_swap, (RNG.normal(size=3), RNG.normal(size=3)), (0, 1)),
    (unpack_and_swap, (1.5, -2.0), (0, 1)),
    (unpack_array, (RNG.normal(size=(2, 3)),), 0),
    (nested_unpack, (RNG.normal(size=3), RNG.normal(size=3)), (0, 1)),
    (nested_unpack, (0.5, -1.5), (0, 1)),
    (swap_parameters, (RNG.normal(size=3), RNG.normal(size=3)), (0, 1)),
    (reassign_parameter, (RNG.normal(size=(2, 3)), RNG.normal(size=3)), (0, 1)),
    (reassign_parameter, (0.3, 1.2), ("x", "y")),
    (multiple_targets, (RNG.normal(size=4),), 0),
    (multiple_targets, (1.25,), 0),
    (constants_and_unused, (RNG.normal(size=3), 4.0), (0, 1)),
    (prints_and_len, (RNG.normal(size=5),), 0),
    (annotated_and_docstring, (RNG.normal(size=2),), 0),
], ids=lambda v: getattr(v, "__name__", None))
def test_python_constructs(fn, args, wrt):
    assert_grad(fn, *args, wrt=wrt)


def test_python_constructs_closed_forms(capsys):
    x, y = np.array([1.0, -2.0, 0.5]), np.array([0.5, 0.25, -1.0])
    gx, gy = ad.grad(unpack_and_swap, wrt=(0, 1))(x, y)
    assert_close(gx, 2 * x, 0, 0)
    assert_close(gy, 6.0 * np.ones(3), 0, 0)
    assert_close(ad.grad(multiple_targets)(x), 8 * x + 18.0, 1e-15, 0)
    gx, gy = ad.grad(constants_and_unused, wrt=(0, 1))(x, 4.0)
    assert_close(gx, 3.0 * np.ones(3), 0, 0)
    assert gy == 0.0 and isinstance(gy, float)
    capsys.readouterr()
    g = ad.grad(prints_and_len)(x)
    assert_close(g, 2 * x / 3, 1e-15, 0)
    assert capsys.readouterr().out == "n = 3\n(3,)\n"


# ---------------------------------------------------------------------------
# errors, never a wrong gradient
# ---------------------------------------------------------------------------

counter = 0


def uses_global(x):
    global counter
    return x * 2.0


def test_global_declaration_is_a_transform_error():
    with pytest.raises(ad.TransformError) as info:
        ad.grad(uses_global)
    assert isinstance(info.value, ValueError)
    assert f"{__file__}:" in str(info.value) and "global" in str(info.value)


def test_wrapper_names_say_what_they_compute():
    def cube(x):
        return x ** 3

    assert ad.grad(cube).__name__ == "grad_cube"
    assert ad.value_and_grad(cube).__name__ == "value_and_grad_cube"
    assert ad.vjp(cube).__name__ == "vjp_cube"
    assert ad.jvp(cube).__name__ == "jvp_cube"


# ---------------------------------------------------------------------------
# every callable takes exactly f's arguments (out_bar is never positional for grad)
# ---------------------------------------------------------------------------

def one_param(x):
    return x * x


def square_sum(x):
    return np.sum(x * x)


def scaled_product(x, s):
    return x * s


X = object()   # stands for the argument in WRONG_CALLS

WRONG_CALLS = [
    # (arguments, keyword arguments, what the message says)
    ((X, 5.0), {}, "positional"),                 # the old bug: 5 was taken as out_bar
    ((X, 5), {}, "positional"),
    ((X, 1.0, 1.0), {}, "positional"),
    ((), {}, "missing"),
    ((X,), {"z": 1.0}, "unexpected keyword argument 'z'"),
    ((X,), {"x": 1.0}, "multiple values"),
    ((X,), {"out_bar": 5.0}, "unexpected keyword argument 'out_bar'"),
]


@pytest.mark.parametrize("x", [2.0, np.array([1.0, 2.0]), np.array(2.0)],
                         ids=["number", "array", "0-d array"])
@pytest.mark.parametrize("fn", [one_param, square_sum])
@pytest.mark.parametrize("make", [ad.grad, ad.value_and_grad], ids=["grad", "value_and_grad"])
@pytest.mark.parametrize("args, kwargs, needle", WRONG_CALLS,
                         ids=["extra-float", "extra-int", "two-extra", "none", "unknown-keyword",
                              "twice", "out_bar-keyword"])
def test_grad_takes_exactly_the_functions_arguments(make, fn, x, args, kwargs, needle):
    """One number, one array, one 0-d array (whose ndim is not specialised on: the code
    that checks the value runs), with each kind of wrong call."""
    if fn is one_param and np.ndim(x):
        return   # (its value is not a scalar: another test)
    args = tuple(x if a is X else a for a in args)
    g = make(fn)
    with pytest.raises(TypeError, match=needle):
        g(*args, **kwargs)
    # the callable still works, and is not changed by the calls it refused
    expected = 2 * x
    result = g(x) if make is ad.grad else g(x)[1]
    assert_close(result, expected, 0, 0)
    with pytest.raises(TypeError, match=needle):
        g(*args, **kwargs)


def test_an_extra_argument_is_never_a_seed():
    # it used to be bound to out_bar: ad.grad(f)(x, 5) was 5 times the gradient
    for x in (3.0, np.array(3.0), np.float32(3.0)):
        with pytest.raises(TypeError, match="takes 1 positional argument but 2 were given"):
            ad.grad(one_param)(x, 5)
        with pytest.raises(TypeError):
            ad.value_and_grad(one_param)(x, 5)
        with pytest.raises(TypeError):
            ad.grad(ad.grad(one_param))(x, 5)
    with pytest.raises(TypeError, match="use ad.vjp"):
        ad.grad(one_param)(3.0, out_bar=5.0)
    with pytest.raises(TypeError):
        ad.grad(scaled_product)(np.ones(2), np.array(2.0), 3.0)   # (the checking code)
    assert ad.grad(ad.grad(one_param))(3.0) == 2.0


def test_keyword_only_and_default_parameters_are_bound_as_by_python():
    x, k = RNG.normal(size=3), RNG.normal(size=3)
    g = ad.grad(keyword_only)
    with pytest.raises(TypeError, match="positional"):
        g(x, k)                       # k is keyword-only
    with pytest.raises(TypeError, match="'k'"):
        g(x)                          # and required
    with pytest.raises(TypeError, match="unexpected keyword argument 'K'"):
        g(x, k=k, K=1.0)
    assert_close(g(x, k=k), 2.0 * k, 0, 0)
    assert ad.grad(with_default)(3.0) == 12.0
    with pytest.raises(TypeError, match="positional"):
        ad.grad(with_default)(3.0, 1.0, 1.0)


@pytest.mark.parametrize("args, kwargs, needle", [
    ((2.0, 3.0, 1.0, 5.0), {}, "positional"),                # one too many before out_bar
    ((2.0, 3.0), {"out_bar": 1.0, "z": 1.0}, "unexpected keyword argument 'z'"),
    ((2.0,), {"out_bar": 1.0}, "missing"),
    ((2.0, 1.0), {}, "missing"),                              # 1.0 is out_bar: y is missing
    ((), {}, "out_bar"),
    ((2.0, 3.0, 1.0), {"x": 2.0}, "multiple values"),
    ((2.0, 3.0, 1.0), {"out_bar": 1.0}, "positional"),       # out_bar twice
])
def test_vjp_takes_the_functions_arguments_then_out_bar(args, kwargs, needle):
    pullback = ad.vjp(f_xy, wrt=(0, 1))
    with pytest.raises(TypeError, match=needle):
        pullback(*args, **kwargs)
    assert pullback(2.0, 3.0, 1.0) == pullback(2.0, 3.0, out_bar=1.0) == (21.0, (12.0, 7.0))
    assert pullback(2.0, 3.0, 2.0)[1] == (24.0, 14.0)


@pytest.mark.parametrize("args, kwargs, needle", [
    ((2.0, 3.0, 1.0, 5.0), {}, "positional"),
    ((2.0, 3.0), {"tangents": 1.0, "z": 1.0}, "unexpected keyword argument 'z'"),
    ((2.0, 3.0), {"x_dot": 1.0}, "unexpected keyword argument 'x_dot'"),
    ((2.0,), {"tangents": 1.0}, "missing"),
    ((), {}, "tangents"),
    ((2.0, 3.0, 1.0), {"y": 2.0}, "multiple values"),
])
def test_jvp_takes_the_functions_arguments_then_tangents(args, kwargs, needle):
    push = ad.jvp(f_xy)
    with pytest.raises(TypeError, match=needle):
        push(*args, **kwargs)
    assert push(2.0, 3.0, 1.0) == push(2.0, 3.0, tangents=1.0) == (21.0, 12.0)


@pytest.mark.parametrize("make", [ad.jacobian, ad.hessian])
@pytest.mark.parametrize("args, kwargs", [
    ((np.ones(3), np.ones(3), 1.0), {}), ((np.ones(3),), {}), ((), {}),
    ((np.ones(3), np.ones(3)), {"z": 1.0}), ((np.ones(3), np.ones(3)), {"x": np.ones(3)}),
    ((np.ones(3), np.ones(3)), {"out_bar": 1.0}),
], ids=["extra", "missing", "none", "unknown-keyword", "twice", "out_bar"])
def test_jacobian_and_hessian_take_the_functions_arguments(make, args, kwargs):
    with pytest.raises(TypeError):
        make(f_arrays)(*args, **kwargs)
    x, y = np.array([0.1, 0.2, 0.3]), np.array([1.0, 2.0, 3.0])
    H = make(f_arrays)(x, y) if make is ad.hessian else make(f_arrays)(x, y=y)
    expected = np.diag(-np.sin(x) * y) if make is ad.hessian else np.cos(x) * y
    assert_close(H, expected, 1e-12, 1e-12)


def test_jacobian_of_a_parameter_given_by_keyword_or_left_at_its_default():
    def pair(x, y=2.0):
        return np.stack([x * y, x + y])

    assert_close(ad.jacobian(pair)(x=1.5), [2.0, 1.0], 0, 0)
    assert_close(ad.jacobian(pair, wrt="y")(1.5), [1.5, 1.0], 0, 0)
    assert_close(ad.jacobian(pair, wrt="y")(y=3.0, x=1.5), [1.5, 1.0], 0, 0)


def test_check_grad_takes_the_functions_arguments():
    with pytest.raises(TypeError):
        ad.check_grad(one_param, 2.0, 1.0)
    assert ad.check_grad(one_param, 2.0) < 1e-6


def test_generated_code_takes_out_bar_by_keyword_only():
    for text in (ad.show(f_xy), ad.show(f_xy, args=(1.0, 2.0)), ad.vjp(f_xy).source,
                 ad.vjp(non_scalar).source):
        assert "*, out_bar=1.0)" in text, text
    # a gradient takes no out_bar (ad.vjp does): nor does the code its .source shows
    assert ad.grad(f_xy).source.startswith("def grad_f_xy(x, y):\n")
    vjp_code = ad.vjp(non_scalar)._adcompile[0].compiled((), "vjp")
    with pytest.raises(TypeError):
        vjp_code(np.ones(2), np.ones(2))
    _, g = vjp_code(np.ones(2), out_bar=np.arange(2.0))
    assert_close(g, [0.0, 2.0], 0, 0)


# ---------------------------------------------------------------------------
# grad of a value that is not a scalar: always the ValueError, never another error
# ---------------------------------------------------------------------------

def summed_keepdims(x):
    return np.sum(x, axis=0, keepdims=True)


def first_entry_slice(x):
    return x[:1]


def array_of_sum(x):
    return np.array([x.sum()])


def matrix_times_vector(x, w):
    return x @ w


def stacked(x):
    return np.stack([np.sum(x), np.sum(x * x)])


def cubes(x):
    return np.sum(x ** 3)


@pytest.mark.parametrize("fn, args", [
    (summed_keepdims, (np.ones(3),)),
    (summed_keepdims, (np.ones(1),)),
    (summed_keepdims, (np.ones((3, 1)),)),
    (first_entry_slice, (np.ones(3),)),
    (first_entry_slice, (np.ones(1),)),
    (array_of_sum, (np.ones(3),)),      # the reverse sweep of np.array([...]) raised AxisError
    (array_of_sum, (np.ones((2, 2)),)),
    (array_of_sum, (np.ones(1),)),
    (matrix_times_vector, (np.ones((1, 3)), np.ones(3))),
    (matrix_times_vector, (np.ones((2, 3)), np.ones(3))),
    (matrix_times_vector, (np.ones(3), np.ones((3, 1)))),
    (stacked, (np.ones(2),)),
    (stacked, (1.5,)),
    (scaled_product, (np.ones(1), np.array(2.0))),   # ndim not known to the code: checked
    (scaled_product, (np.array(2.0), np.ones(1))),
], ids=lambda v: getattr(v, "__name__", None))
def test_grad_of_a_non_scalar_value_is_a_value_error(fn, args):
    """A shape-(1,) value is not a scalar (as in JAX), whether its ndim is known when the
    code is made or only when it runs."""
    for make in (ad.grad, ad.value_and_grad, ad.grad(wrt=(0,))):
        g = make(fn)
        for _ in range(2):   # (the second call: the cached code)
            with pytest.raises(ValueError, match="scalar") as info:
                g(*args)
            assert "vjp" in str(info.value) and fn.__name__ in str(info.value)
            assert type(info.value) is ValueError, repr(info.value)
    # the vector-Jacobian product of the same function is fine
    value = fn(*args)
    out_bar = np.ones(np.shape(value))
    got, gradient = ad.vjp(fn)(*args, out_bar)
    assert_close(got, value, 0, 0)
    assert_close(gradient, numerical_vjp(fn, args, 0, out_bar))


def test_second_derivative_of_a_vector_gradient_is_a_value_error():
    x = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match="scalar"):
        ad.grad(ad.grad(cubes))(x)
    with pytest.raises(ValueError, match="scalar"):
        ad.value_and_grad(ad.grad(cubes))(x)
    assert ad.grad(ad.grad(cubes))(2.0) == 12.0
    assert_close(ad.hessian(cubes)(x), np.diag(6 * x), 1e-12, 0)


def test_checked_value_runs_no_reverse_sweep_on_a_non_scalar(monkeypatch):
    # the check comes between the forward and reverse sweeps: the reverse sweep of
    # np.array([...]) is never asked to pull back the seed 1.0 through a shape (1,) value
    from adcompile import runtime
    from adcompile.backend.helpers import RUNTIME
    calls = []
    real = runtime.array_bar
    monkeypatch.setitem(RUNTIME, "array_bar", lambda *a: calls.append(a) or real(*a))

    def one_of(x):
        return np.array([x.sum()])

    with pytest.raises(ValueError, match="scalar"):
        ad.grad(one_of)(np.ones(3))
    assert calls == []
    _, g = ad.vjp(one_of)(np.ones(3), np.array([2.0]))
    assert_close(g, 2.0 * np.ones(3), 0, 0)
    assert len(calls) == 1    # (the vjp's reverse sweep)


def test_scalar_values_of_unknown_ndim_still_give_gradients():
    # 0-d arrays: the code checks the value and goes on
    assert ad.grad(scaled_product)(np.array(1.5), np.array(2.0)) == 2.0
    value, g = ad.value_and_grad(scaled_product, wrt=(0, 1))(np.array(1.5), np.array(2.0))
    assert value == 3.0 and g == (2.0, 1.5)
    g = ad.grad(summed_keepdims)(np.array(2.0))
    assert isinstance(g, np.ndarray) and g.shape == () and g == 1.0


# ---------------------------------------------------------------------------
# what a differentiated argument may be: a number or an array of numbers
# ---------------------------------------------------------------------------

def pair_product(t):
    return t[0] * t[1]


def times_two_sum(t, scale=1.0):
    return np.sum(t * 2.0) * scale


class Holder:
    def __mul__(self, other):
        return 1.0


with warnings.catch_warnings():
    warnings.simplefilter("ignore", PendingDeprecationWarning)
    MATRIX = np.matrix([[1.0, 2.0]])

NOT_DIFFERENTIABLE = [
    # (tuples, lists, dicts of arrays are structures: tests/test_structures.py)
    (None, "None"),
    ("abc", "a str"),
    (Holder(), "test_api.Holder"),
    (np.array(["a", "b"]), "dtype <U1"),
    (np.array([1.0, 2.0], dtype=object), "dtype object"),
    (np.array([True, False]), "array of bool"),
    (np.bool_(True), "numpy.bool_"),
    (MATRIX, "numpy.matrix"),
    (np.ma.masked_array([1.0, 2.0]), "MaskedArray"),
]


@pytest.mark.parametrize("value, kind", NOT_DIFFERENTIABLE,
                         ids=[k for _, k in NOT_DIFFERENTIABLE])
def test_differentiated_argument_must_be_a_number_or_an_array(value, kind):
    def calls():
        yield lambda: ad.grad(pair_product)(value)
        yield lambda: ad.grad(pair_product, wrt="t")(t=value)
        yield lambda: ad.value_and_grad(pair_product)(value)
        yield lambda: ad.vjp(pair_product)(value, 1.0)
        yield lambda: ad.jvp(pair_product)(value, 1.0)
        yield lambda: ad.grad(times_two_sum)(value)
        yield lambda: ad.grad(times_two_sum, wrt=(0, 1))(value, 2.0)
        yield lambda: ad.jacobian(times_two_sum)(value)
        yield lambda: ad.check_grad(times_two_sum, value)

    for call in calls():
        with pytest.raises(TypeError) as info:
            call()
        message = str(info.value)
        assert "argument 't'" in message and kind in message, message


def test_arguments_not_differentiated_may_be_structures():
    # the check is for the wrt parameters only
    assert ad.grad(times_two_sum, wrt="scale")(np.ones(2), 3.0) == 4.0
    assert ad.grad(with_statics)(1.5, 2, True, [4], "") == 8.0
    g = ad.grad(pair_product, wrt=0)
    assert g((1.0, 2.0)) == (2.0, 1.0)   # a structure: its gradient in its structure
    assert_close(g(np.array([1.0, 2.0])), [2.0, 1.0], 0, 0)   # the same callable, an array
    assert g((1.0, 3.0)) == (3.0, 1.0)


def test_a_python_bool_is_an_int():
    # (SPEC: a float gradient for an int argument; True is the int 1)
    g = ad.grad(one_param)(True)
    assert g == 2.0 and type(g) is float


def test_argument_types_are_checked_once_per_combination_of_types(monkeypatch):
    from adcompile.arguments import Arguments
    checked = []
    real = Arguments.positional
    monkeypatch.setattr(Arguments, "positional",
                        lambda self, args: checked.append(args) or real(self, args))
    g = ad.grad(f_xy, wrt=(0, 1))
    for _ in range(3):
        assert g(2.0, 3.0) == (12.0, 7.0)
    assert len(checked) == 1
    g(2, 3.0)
    g(2, 3.0)
    assert len(checked) == 2
    # a tuple is a structure, which f_xy does not read as one: refused, each time
    with pytest.raises(ad.TransformError, match="tuple"):
        g((2.0,), 3.0)
    with pytest.raises(ad.TransformError, match="tuple"):
        g((2.0,), 3.0)          # (a refused combination is not remembered as checked)


def test_inline_grad_checks_and_compiles_once(monkeypatch):
    # ad.grad(f)(x) written inline makes a new callable each time; they share what the
    # first one checked and compiled
    from adcompile.arguments import Arguments
    checked = []
    real = Arguments.positional
    monkeypatch.setattr(Arguments, "positional",
                        lambda self, args: checked.append(args) or real(self, args))
    def f(x, y):   # (a function no other test has differentiated)
        return np.sum(np.sin(x) * y)

    for _ in range(3):
        assert ad.grad(f, wrt=(0, 1))(0.0, 3.0) == (3.0, 0.0)
    assert len(checked) == 1
    x, y = RNG.normal(size=3), RNG.normal(size=3)
    for _ in range(3):
        gx, gy = ad.grad(f, wrt=(0, 1))(x, y)
        assert_close(gx, np.cos(x) * y, 1e-12, 0)
        assert_close(gy, np.sin(x), 1e-12, 0)
    assert len(checked) == 2
    ad.grad(f, wrt=(0, 1))(x[:2], y[:2])   # (the same kinds of arrays)
    assert len(checked) == 2
    ad.grad(f, wrt=(0, 1))(x[:1], y[:1])   # (an axis of length 1: another code)
    assert len(checked) == 3


def test_a_gradient_follows_the_types_of_its_arguments():
    # the fast path for numbers calls the code for the last types seen; any other call
    # takes the general path, and the fast path then follows it
    def f(x, y):
        return np.sum(x * x * y + 3.0 * y)

    def expected(x, y):
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        return [np.sum(d) if np.ndim(a) == 0 else d for a, d in ((x, 2 * x * y),
                                                                  (y, x * x + 3.0 + 0 * y))]

    g = ad.grad(f, wrt=(0, 1))
    calls = [(2.0, 3.0), (2, 3), (np.float32(2.0), 3.0), (True, 3.0),
             (np.array([2.0, 1.0]), 3.0), (2.0, np.array([3.0, 1.0])), (np.array(2.0), 3.0),
             (np.arange(2), 3), (2.0, 3.0)]
    for _ in range(2):
        for args in calls:
            for result in (g(*args), g(x=args[0], y=args[1]), ad.grad(f, wrt=(0, 1))(*args)):
                want = expected(*args)
                assert_close(result[0], want[0], 1e-6, 0)
                assert_close(result[1], want[1], 1e-6, 0)
                assert [np.shape(r) for r in result] == [np.shape(w) for w in want]
                for a, r in zip(args, result):   # floats for numbers, an array for one
                    if {type(b) for b in args} <= {float, int}:
                        assert type(r) is float, (args, result)
                    elif np.ndim(a):
                        assert type(r) is np.ndarray, (args, result)
    with pytest.raises(TypeError, match="bool"):
        g(np.array([True]), 3.0)
    assert g(2.0, 3.0) == (12.0, 7.0)


def test_a_gradient_called_from_threads_with_changing_types():
    import threading

    def f(x, y):
        return x * x * y

    g = ad.grad(f, wrt=(0, 1))
    wrong = []

    def work(k):
        for i in range(400):
            x = (2.0, 2, np.float64(2.0), np.int32(2))[(i + k) % 4]
            result = g(x, 3.0)
            if result != (12.0, 4.0) or np.ndim(result[0]) != 0:
                wrong.append((x, result))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []


def shadows_the_helpers(type, keywords):
    return type * keywords ** 2


def test_parameters_named_as_the_fast_path_helpers():
    g = ad.grad(shadows_the_helpers, wrt=(0, 1))
    for _ in range(2):
        assert g(2.0, 3.0) == (9.0, 12.0)
        assert g(type=2.0, keywords=3.0) == (9.0, 12.0)


def locals_named_as_the_fast_path_helpers(x, y):
    x_type = x * y
    general = x_type + 1.0
    absent = general * x
    return absent * y


def product(x, y):
    return x * x * y


def steps_of_module_functions(x, y):
    s = 0.0
    for _ in range(3):
        s = s + math.sin(x) * np.cos(y) + math.exp(-x * y)
    return s


SCALE = 2.0


def reads_a_global(x):
    return SCALE * math.sin(x) * x


def test_the_fast_path_runs_the_code_for_numbers_in_place_of_calling_it():
    # once the code for numbers is known, the callable's function runs its statements
    # (fastpath.NumberPath.inlined): same results, for every kind of number and argument
    g = ad.grad(locals_named_as_the_fast_path_helpers, wrt=(0, 1))
    v = ad.value_and_grad(locals_named_as_the_fast_path_helpers, wrt=(0, 1))
    f = locals_named_as_the_fast_path_helpers
    for args in [(2.0, 3.0), (2, 3.0), (np.float64(2.0), 3), (2.0, 3.0)]:
        x, y = map(float, args)
        want = (2 * x * y * y + y, 2 * x * x * y + x)
        assert g(*args) == pytest.approx(want, rel=1e-14)
        value, grads = v(*args)
        assert value == f(x, y) and grads == pytest.approx(want, rel=1e-14)
        p = ad.grad(product, wrt=(0, 1))
        assert p(*args) == pytest.approx((2 * x * y, x * x), rel=1e-14)
        assert "for numbers" in p.__code__.co_filename   # (its statements, inlined)
    # (locals named as the fast path's globals: the call is kept)
    assert "for numbers" not in g.__code__.co_filename
    # modules' functions in a loop (read as globals of their own where inlined)
    s = ad.grad(steps_of_module_functions, wrt=(0, 1))
    for _ in range(2):
        x, y = 0.3, 0.7
        want = (3 * (math.cos(x) * math.cos(y) - y * math.exp(-x * y)),
                3 * (-math.sin(x) * math.sin(y) - x * math.exp(-x * y)))
        assert s(x, y) == pytest.approx(want, rel=1e-14)
    assert "for numbers" in s.__code__.co_filename
    assert g(x=2.0, y=3.0) == pytest.approx((39.0, 26.0), rel=1e-14)
    assert ad.vjp(f, wrt=(0, 1))(2.0, 3.0, 2.0)[1] == pytest.approx((78.0, 52.0), rel=1e-14)
    with pytest.raises(TypeError, match="out_bar"):
        g(2.0, 3.0, out_bar=2.0)


def cubic_mix(x, y):
    return x ** 3 * (x + 3 * y)


def times_count(x, n):
    return x * n


def _inlined_text(g):
    import linecache
    return "".join(linecache.cache[g.__code__.co_filename][2])


def test_the_fast_path_drops_products_by_one_only_of_floats():
    # the inlined code for float arguments runs without out_bar (1.0): out_bar * v is v
    # for a float v (fastpath._times_one_dropped); an int must still become a float
    g = ad.grad(cubic_mix, wrt=(0, 1))
    general = ad.grad(cubic_mix, wrt=(0, 1), backend="python")
    want = (4 * 2.0 ** 3 + 9 * 2.0 ** 2 * 3.0, 3 * 2.0 ** 3)
    for args in [(2.0, 3.0), (2.0, 3.0), (2, 3), (2, 3), (np.float64(2.0), 3.0), (2.0, 3.0),
                 (2.0, 3)]:
        got = g(*args)
        assert got == want and all(type(v) is float or type(v) is np.float64 for v in got)
        assert got == general(*args)
        if type(args[0]) is int:
            assert "out_bar * " in _inlined_text(g)   # (1.0 * int is a float)
    g(2.0, 3.0)
    text = _inlined_text(g)
    assert "out_bar" not in text.split("return general")[0].split("out_bar is absent")[1]
    # (another thread recording ints' types before the code changes: ints never run it)
    g.__globals__.update(x_type=int, y_type=int)
    assert g(2, 3) == want and type(g(2, 3)[1]) is float
    c = ad.grad(times_count)
    for x, n in [(2.0, 3), (2.0, 3), (2.0, 3.0), (2.0, 3)]:
        assert c(x, n) == 3.0 and type(c(x, n)) is float
    assert "out_bar * n" in _inlined_text(c) or "n * out_bar" in _inlined_text(c)


def test_a_product_by_one_is_dropped_only_of_certain_floats():
    from adcompile.fastpath import _is_float
    floats = {"x"}

    def is_float(text):
        return _is_float(ast.parse(text, mode="eval").body, floats)

    for text in ["x", "2.0", "-x", "x * 3", "3 / x", "x ** 2", "x + 2.0 * x"]:
        assert is_float(text), text
    for text in ["n", "3", "x ** 0.5", "x ** x", "3 * n", "f(x)", "x * n", "x if x else 1"]:
        assert not is_float(text), text


def test_the_fast_path_keeps_calling_code_that_reads_the_user_s_variables():
    # code reading a global or a closure variable reads it when it runs: it is not copied
    global SCALE
    g = ad.grad(reads_a_global)
    try:
        for scale in (2.0, 3.0):
            SCALE = scale
            assert g(0.5) == pytest.approx(scale * (math.cos(0.5) * 0.5 + math.sin(0.5)))
    finally:
        SCALE = 2.0
    k = 2.0

    def closes_over_k(x):
        return k * x * x

    h = ad.grad(closes_over_k)
    assert h(3.0) == 12.0
    k = 5.0
    assert h(3.0) == 30.0
    assert "for numbers" not in g.__code__.co_filename + h.__code__.co_filename


INT_CASES = [
    (cubes, np.arange(1, 4)),
    (cubes, np.arange(6, dtype=np.int32).reshape(2, 3)),
    (cubes, np.arange(3, dtype=np.uint8)),
    (sum_of, np.arange(4)),
    (cached_function, np.arange(3, dtype=np.int16)),
    (square_sum, np.array(3)),
]


@pytest.mark.parametrize("fn, x", INT_CASES, ids=lambda v: getattr(v, "__name__", None))
def test_int_arrays_get_float_gradients_of_their_shape(fn, x):
    as_float = x.astype(np.float64)
    expected = ad.grad(fn)(as_float)
    for g in (ad.grad(fn)(x), ad.value_and_grad(fn)(x)[1], ad.vjp(fn)(x, 1.0)[1],
              ad.grad(fn, wrt=(0,))(x)[0]):
        # (float64, or the float type NumPy computes in: np.exp of int16 is float32)
        assert isinstance(g, np.ndarray) and g.dtype.kind == "f" and g.shape == x.shape, \
            repr(g)
        assert x.dtype.itemsize < 4 or g.dtype == np.float64, repr(g)
        assert_close(g, expected, 1e-6, 0)
    assert_close(ad.jvp(fn)(x, np.ones(x.shape))[1], np.sum(expected), 1e-6, 0)
    assert_close(ad.hessian(fn)(x), ad.hessian(fn)(as_float), 1e-6, 1e-12)


@pytest.mark.parametrize("x", [3, np.int64(3), np.int32(3), np.uint8(3)])
def test_int_numbers_get_float_gradients(x):
    for fn in (one_param, cubes, square_sum):
        g = ad.grad(fn)(x)
        assert isinstance(g, float) and not isinstance(g, np.ndarray), repr(g)
        assert g == ad.grad(fn)(3.0)


# ---------------------------------------------------------------------------
# ad.show in a notebook; .source, docstrings and type hints of what adcompile makes
# ---------------------------------------------------------------------------

def test_show_returns_a_str_a_notebook_displays_as_code():
    import html
    import re
    code = ad.show(f_xy, wrt=("x", "y"))
    plain = str(code)
    assert isinstance(code, str) and code == plain and type(plain) is str
    assert code.startswith("def grad_f_xy(x, y, *, out_bar=1.0):")
    rendered = code._repr_html_()
    assert "<pre" in rendered
    # the code comes back from the HTML with its tags taken away (highlighted or not)
    assert html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip() == plain.strip()
    markdown = code._repr_markdown_()
    assert markdown == f"```python\n{plain.rstrip()}\n```\n"
    assert isinstance(ad.show(f_xy, stage="normalize"), type(code))


def test_show_html_without_pygments_is_escaped_pre(monkeypatch):
    import html
    monkeypatch.setitem(sys.modules, "pygments", None)   # import pygments: ImportError
    code = ad.show(f_xy)
    assert code._repr_html_() == \
        f'<pre class="adcompile-code"><code>{html.escape(str(code))}</code></pre>'


def test_show_html_is_highlighted_with_pygments():
    pytest.importorskip("pygments", reason="Pygments is not installed (optional)")
    rendered = ad.show(f_xy)._repr_html_()
    assert "<span" in rendered and "style=" in rendered


def test_show_html_escapes_the_code():
    from adcompile.backend.display import Code
    code = Code('def f(x):\n    return "<b>" if x < 1 else "&"\n')
    rendered = code._repr_html_()
    assert "<b>" not in rendered and "&lt;" in rendered
    assert Code("s = '```'\n")._repr_markdown_().startswith("````python\n")


def test_source_is_the_code_the_callable_runs_and_named_as_it():
    from adcompile.checked_gradients import checked_gradient
    grad = ad.grad(f_xy)
    assert grad.source.startswith("def grad_f_xy(x, y):\n")       # no out_bar: grad takes none
    # the general variant: what a call with arguments of unknown dimensions runs
    assert grad.source == checked_gradient(grad._adcompile[0], (), "grad").source
    assert ad.value_and_grad(f_xy).source.startswith("def value_and_grad_f_xy(x, y):\n")
    assert ad.vjp(f_xy).source.startswith("def vjp_f_xy(x, y, *, out_bar=1.0):\n")
    assert ad.jvp(f_xy).source.startswith("def jvp_f_xy(x, y, *, x_dot):\n")
    for fn in (grad, ad.value_and_grad(f_xy), ad.vjp(f_xy), ad.jvp(f_xy)):
        assert fn.source.startswith(f"def {fn.__name__}(")
        compile(fn.source, "<source>", "exec")


def documented(x, y):
    """The user's own docstring."""
    return x * y


def test_generated_callables_have_a_docstring():
    doc = ad.grad(f_xy).__doc__
    assert doc.startswith("grad_f_xy(x, y) -> the gradient")
    assert "with respect to x" in doc and "out_bar" in doc and ".source" in doc
    doc = ad.grad(f_xy, wrt=("x", "y")).__doc__
    assert "with respect to (x, y)" in doc and "tuple" in doc
    doc = ad.vjp(f_xy).__doc__
    assert doc.startswith("vjp_f_xy(x, y, out_bar) -> (value, the gradient)")
    assert "out_bar=" in doc
    assert ad.value_and_grad(f_xy).__doc__.startswith("value_and_grad_f_xy(x, y) -> (value, ")
    assert ad.jvp(f_xy).__doc__.startswith("jvp_f_xy(x, y, tangents) -> (value, value_dot)")
    assert ad.jacobian(f_xy).__doc__.startswith("jacobian_f_xy(x, y) -> the Jacobian")
    assert ad.hessian(f_xy).__doc__.startswith("jacobian_grad_f_xy(x, y) -> the Jacobian")
    assert "The user's own docstring" not in ad.grad(documented).__doc__


def test_public_functions_are_annotated():
    import inspect
    import typing
    from adcompile import api, cli, jacobians
    for fn in (api.grad, api.value_and_grad, api.vjp, api.jvp, jacobians.hessian,
               jacobians.jacobian, api.show, api.build, api.check_grad, cli.main):
        hints = typing.get_type_hints(fn)
        assert "return" in hints, fn.__name__
        params = [p for p in inspect.signature(fn).parameters]
        assert set(params) <= set(hints), (fn.__name__, set(params) - set(hints))


def test_mypy_accepts_the_api_and_the_command_line(tmp_path):
    pytest.importorskip("mypy", reason="mypy is not installed (an optional tool)")
    import subprocess
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path),
                             "adcompile/api.py", "adcompile/jacobians.py",
                             "adcompile/cli.py"],
                            cwd=root, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
