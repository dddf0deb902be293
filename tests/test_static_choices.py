"""Functions chosen by values a call gives that are not differentiated: a string, bool,
None or int picking an activation from a dict, by an ``if`` or by ``getattr``, a function
passed for a parameter (``act=np.tanh``), an option of ``**opts``, the same in a helper
given the parameter (frontend/static_choices.py). The code is made for each value a call
gives, as JAX's static_argnames would, and the value read again at every call: code made
for one value never runs for another. Every gradient against central differences, and
autograd where it runs the function."""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from conftest import assert_close, assert_grad, numerical_grad, with_autograd_numpy

import adcompile as ad

rng = np.random.default_rng(11)


def relu_squared(z):
    return np.maximum(z, 0.0) ** 2


ACTS = {"tanh": np.tanh, "relu": relu_squared, "sin": np.sin}


def loss_from_a_dict(w, x, kind="tanh"):
    act = ACTS[kind]
    return np.sum(act(x @ w) ** 2)


def loss_of_a_function(w, x, act=np.tanh):
    return np.sum(act(x @ w))


def loss_by_an_if(w, x, kind="tanh"):
    if kind == "tanh":
        f = np.tanh
    elif kind == "sin":
        f = np.sin
    else:
        f = relu_squared
    return np.sum(f(x @ w) * x[:, 0])


def loss_by_flags(w, x, squash=True, scale=None):
    g = np.tanh if squash else np.sin
    if scale is not None:
        return np.sum(g(x @ w)) * scale
    return np.sum(g(x @ w))


def activate(z, kind):
    return ACTS[kind](z)


def loss_through_a_helper(w, x, kind="tanh"):
    return np.sum(activate(x @ w, kind) ** 2)


def data():
    return rng.normal(size=3) * 0.5, rng.normal(size=(4, 3))


def autograd_dict():
    return {"tanh": anp.tanh, "relu": lambda z: anp.maximum(z, 0.0) ** 2, "sin": anp.sin}


def by_autograd(f, w, x, *rest):
    """autograd's gradient of ``f`` in w, np and ACTS autograd's while it runs."""
    saved = ACTS.copy()
    ACTS.update(autograd_dict())
    try:
        return with_autograd_numpy(globals(), autograd.grad(f), w, x, *rest)
    finally:
        ACTS.update(saved)


@pytest.mark.parametrize("f", [loss_from_a_dict, loss_by_an_if, loss_through_a_helper])
def test_a_string_chooses_the_function(f):
    w, x = data()
    g = ad.grad(f)
    for kind in ("sin", "tanh", "relu", "sin", "tanh"):   # each value its own code, none stale
        got = assert_grad(f, w, x, kind)
        assert_close(got, by_autograd(f, w, x, kind), 1e-10, 1e-12)
        assert_close(g(w, x, kind), got, 0, 0)
        assert_close(g(w, x, kind=kind), got, 0, 0)
    assert_close(g(w, x), by_autograd(f, w, x, "tanh"), 1e-10, 1e-12)   # the default
    assert not np.allclose(g(w, x, "sin"), g(w, x, "tanh"))


def test_a_function_given_for_a_parameter():
    w, x = data()
    g = ad.grad(loss_of_a_function)
    for act, twin in ((np.sin, anp.sin), (np.tanh, anp.tanh), (relu_squared, None),
                      (np.sin, anp.sin)):
        got = assert_grad(loss_of_a_function, w, x, act)
        assert_close(g(w, x, act=act), got, 0, 0)
        if twin is not None:
            want = with_autograd_numpy(globals(), autograd.grad(loss_of_a_function), w, x,
                                       twin)
            assert_close(got, want, 1e-10, 1e-12)
    assert_close(g(w, x), numerical_grad(loss_of_a_function, (w, x), 0))   # the default
    assert_close(g(w, x, lambda z: z ** 3), numerical_grad(
        lambda w, x: loss_of_a_function(w, x, lambda z: z ** 3), (w, x), 0))


def test_bools_and_none_choose_branches():
    w, x = data()
    g = ad.grad(loss_by_flags)
    for squash, scale in ((True, None), (False, None), (True, 2), (False, 3), (True, None)):
        got = assert_grad(loss_by_flags, w, x, squash, scale)
        want = with_autograd_numpy(globals(), autograd.grad(loss_by_flags), w, x, squash,
                                   scale)
        assert_close(got, want, 1e-10, 1e-12)
        assert_close(g(w, x, squash=squash, scale=scale), got, 0, 0)
    # None given by keyword is None, not the parameter left to its default
    assert_close(g(w, x, scale=None), g(w, x), 0, 0)
    # 1 and True are other values: other code
    assert_close(g(w, x, 1), g(w, x, True), 0, 0)
    assert_close(g(w, x, 0), g(w, x, False), 0, 0)


def by_mode(x, mode):
    f = np.sin if mode == 1 else np.cos
    return f(x) * x


def test_an_int_chooses_for_numbers():
    # (the fast path for numbers, which keeps a call's code by the arguments' types, must
    # not keep the code made for one int)
    g = ad.grad(by_mode)
    for mode in (1, 0, 1, 2, 0):
        want = numerical_grad(by_mode, (0.3, mode), 0)
        assert g(0.3, mode) == pytest.approx(want, rel=1e-8)
        assert g(0.3, mode=mode) == pytest.approx(want, rel=1e-8)


def test_value_and_grad_and_vjp():
    w, x = data()
    value, grad = ad.value_and_grad(loss_from_a_dict)(w, x, "relu")
    assert value == pytest.approx(loss_from_a_dict(w, x, "relu"))
    assert_close(grad, numerical_grad(loss_from_a_dict, (w, x, "relu"), 0))
    value, grad = ad.value_and_grad(loss_from_a_dict)(w, x, "sin")
    assert value == pytest.approx(loss_from_a_dict(w, x, "sin"))


def test_second_order():
    w, x = data()
    h = ad.hessian(loss_from_a_dict)
    for kind in ("sin", "tanh", "sin"):
        saved = ACTS.copy()
        ACTS.update(autograd_dict())
        try:
            want = with_autograd_numpy(globals(), autograd.hessian(loss_from_a_dict), w, x,
                                       kind)
        finally:
            ACTS.update(saved)
        assert_close(h(w, x, kind), want, 1e-9, 1e-11)
    g = ad.grad(loss_from_a_dict)
    fd = np.array([numerical_grad(lambda w: g(w, x, "sin")[i], (w,), 0)
                   for i in range(len(w))])
    assert_close(h(w, x, "sin"), fd, 1e-6, 1e-8)


def test_show_is_the_code_for_the_values_given():
    w, x = data()
    text = ad.show(loss_from_a_dict, args=(w, x, "sin"))
    body = text.split('"""', 2)[2]   # (after the signature, which has the default)
    assert "cos(" in body and "tanh" not in body, text
    text = ad.show(loss_from_a_dict, args=(w, x, "tanh"))
    assert "tanh" in text.split('"""', 2)[2] and "cos(" not in text, text
    # without args, the general code (for any shapes) for the defaults
    text = ad.show(loss_from_a_dict)
    assert "tanh(" in text and "cos(" not in text and "x @ w" in text, text
    text = ad.show(loss_of_a_function, args=(w, x, np.sin))
    assert "cos(" in text, text
    assert "kind" in ad.grad(loss_from_a_dict).source


def no_default(w, x, kind):
    return np.sum(ACTS[kind](x @ w))


def chooses_by_a_value_differentiated(w, x):
    f = np.sin if np.sum(w) > 0.0 else np.tanh
    return np.sum(f(x @ w))


def chooses_by_an_array(w, x, flags):
    f = np.sin if flags[0] else np.tanh
    return np.sum(f(x @ w))


def test_what_stays_refused():
    w, x = data()
    g = ad.grad(no_default)
    with pytest.raises(ad.TransformError, match=r"argument 'kind' is \['sin'\] at this call"):
        g(w, x, ["sin"])   # (unhashable: no code is made for it)
    with pytest.raises(ad.TransformError, match=r"argument 'kind' is np\.str_\('sin'\)|"
                                                r"argument 'kind' is 'sin' at this call"):
        g(w, x, np.str_("sin"))   # (not a str: a constant would read otherwise)
    with pytest.raises(ad.TransformError, match="a function held in a variable"):
        g(w, x, "cosh")   # (no such key: no function known)
    assert_close(g(w, x, "sin"), numerical_grad(no_default, (w, x, "sin"), 0))
    with pytest.raises(ad.TransformError,
                       match=r"argument .kind. is not given, and has no default"):
        ad.show(no_default)
    # a function chosen by a value being differentiated, or by an array: default deny
    with pytest.raises(ad.TransformError, match="held in a variable"):
        ad.grad(chooses_by_a_value_differentiated)(w, x)
    with pytest.raises(ad.TransformError, match=r"argument flags\[0\] is not readable \(flags "
                                                     r"is array\(\[ True\]\)"):
        ad.grad(chooses_by_an_array)(w, x, np.array([True]))


def loss_with_tanh(w, x):
    return loss_from_a_dict(w, x, "tanh")


def test_build_refuses_code_made_for_one_value(tmp_path):
    w, x = data()
    with pytest.raises(ad.TransformError, match=r"depends on the value of 'kind'"):
        ad.build(loss_from_a_dict, tmp_path / "m.py", args=(w, x, "sin"))
    with pytest.raises(ad.TransformError, match="a function held in a variable"):
        ad.build(loss_from_a_dict, tmp_path / "m.py")
    # a function of yours that gives the value: a constant the helper is given
    path = ad.build(loss_with_tanh, tmp_path / "m.py")
    from conftest import load_module
    built = load_module(tmp_path, path.read_text(), "built_choice")
    assert_close(built.grad_loss_with_tanh(w, x), ad.grad(loss_from_a_dict)(w, x, "tanh"),
                 1e-12, 1e-14)
    assert_grad(loss_with_tanh, w, x)


def test_desugar_stage_shows_the_value():
    w, x = data()
    text = ad.show(loss_by_an_if, args=(w, x, "sin"), stage="desugar")
    assert "f = np.sin" in text and "kind ==" not in text and "tanh" not in text.split(
        "\n", 1)[1], text


def loss_of_options(w, x, **opts):
    scale = opts.get("scale", 1.0)
    act = ACTS[opts.get("kind", "tanh")]
    if "squared" in opts:
        return np.sum(act(x @ w) ** 2) * scale
    return np.sum(act(x @ w)) * scale


def test_options_of_keyword_arguments():
    w, x = data()
    g = ad.grad(loss_of_options)
    for opts in ({}, {"kind": "sin"}, {"kind": "relu", "scale": 2.0}, {"squared": True},
                 {"kind": "sin", "squared": None}, {}):
        got = g(w, x, **opts)
        assert_close(got, numerical_grad(loss_of_options, (w, x), 0, opts))
        want = by_autograd(lambda w, x: loss_of_options(w, x, **opts), w, x)
        assert_close(got, want, 1e-10, 1e-12)
    with pytest.raises(ad.TransformError, match=r"option 'kind' of \*\*opts is \['sin'\]"):
        g(w, x, kind=["sin"])


def activation_by_name(w, x, name="tanh"):
    return np.sum(getattr(np, name)(x @ w))


def helper_with_a_default(z, kind="sin"):
    return ACTS[kind](z)


def loss_with_the_helpers_default(w, x):
    return np.sum(helper_with_a_default(x @ w) + helper_with_a_default(x @ w, "tanh"))


def apply(f, z):
    return f(z) * 2.0


def loss_passing_the_function_on(w, x, act=np.tanh):
    return np.sum(apply(act, x @ w))


def test_more_ways_of_choosing():
    w, x = data()
    g = ad.grad(activation_by_name)
    for name in ("sin", "tanh", "sin"):
        assert_close(g(w, x, name), numerical_grad(activation_by_name, (w, x, name), 0))
    with pytest.raises(ad.TransformError, match="no attribute 'sinn'"):
        g(w, x, "sinn")
    assert_grad(loss_with_the_helpers_default, w, x)
    for act in (np.sin, relu_squared, np.tanh):
        assert_grad(loss_passing_the_function_on, w, x, act)


def test_forward_mode():
    w, x = data()
    v = rng.normal(size=3)
    for kind in ("sin", "tanh"):
        value, dot = ad.jvp(loss_from_a_dict)(w, x, kind, v)
        assert value == pytest.approx(loss_from_a_dict(w, x, kind))
        want = numerical_grad(loss_from_a_dict, (w, x, kind), 0) @ v
        assert dot == pytest.approx(want, rel=1e-6)


def returns_early(w, x, kind="tanh"):
    if kind == "tanh":
        return np.sum(np.tanh(x @ w))
    act = ACTS[kind]
    return np.sum(act(x @ w) ** 2)


def chosen_in_a_loop(w, x, kind="tanh"):
    h = x @ w
    for _ in range(2):
        if kind == "sin":
            h = np.sin(h)
        elif kind is None:
            break
    act = ACTS["tanh" if kind is None else kind]
    return np.sum(act(h))


def test_branches_that_return_or_loop():
    w, x = data()
    for kind in ("tanh", "sin", "relu", "tanh"):
        assert_grad(returns_early, w, x, kind)
    for kind in ("sin", None, "tanh", None):
        assert_grad(chosen_in_a_loop, w, x, kind)
        got = ad.grad(chosen_in_a_loop)(w, x, kind)
        assert_close(got, by_autograd(chosen_in_a_loop, w, x, kind), 1e-10, 1e-12)


UNRULED = {"spacing": np.spacing, "i0": np.i0, "sin": np.sin}


def applies_an_unruled_function(w, x, kind="sin"):
    act = UNRULED[kind]
    return np.sum(act(x @ w))


def test_a_function_chosen_so_still_needs_its_rule():
    # (what is chosen by a value a call gives is still a call on values being
    # differentiated: without a rule, refused; never run as a constant)
    w, x = data()
    g = ad.grad(applies_an_unruled_function)
    assert_close(g(w, x), numerical_grad(applies_an_unruled_function, (w, x), 0))
    for kind in ("spacing", "i0"):
        with pytest.raises(ad.TransformError, match=r"no adjoint rule"):
            g(w, x, kind)
    with pytest.raises(ad.TransformError, match=r"no adjoint rule"):
        ad.grad(loss_of_a_function)(w, x, np.spacing)
    with pytest.raises(ad.TransformError, match=r"argument 'act' is <numpy.vectorize"):
        ad.grad(loss_of_a_function)(w, x, np.vectorize(np.tanh))
    assert_close(g(w, x, "sin"), numerical_grad(applies_an_unruled_function, (w, x), 0))


# -- a local naming a function inside a loop or a branch; loops over functions sharing their
# variable ---------------------------------------------------------------------------------

def damped(z, s):
    return np.tanh(z) * s


def shifted(z, s):
    return np.sin(z) + s


def alias_in_a_loop(w, x):
    h = x @ w
    total = 0.0
    for k in range(2):
        fn = damped                           # a name for the helper, in the loop's body
        total = total + np.sum(fn(h, 0.5 * k))
        if k == 1:
            g = shifted
            total = total + np.sum(g(h, 1.0))
    return total


def hooks_walked_twice(w, x):
    h = x @ w
    for hook in (damped, shifted):
        h = hook(h, 0.9)
    total = np.sum(h)
    for hook in (shifted, damped, damped):   # (the same variable, another loop)
        total = total + np.sum(hook(h, 0.5))
    return total


def test_a_helper_named_in_a_loop_and_hooks_walked_by_two_loops():
    w, x = data()
    for f in (alias_in_a_loop, hooks_walked_twice):
        got = assert_grad(f, w, x)
        assert_close(got, by_autograd(f, w, x), 1e-10, 1e-12)


def hook_read_after_its_loop(w, x):
    h = x @ w
    for hook in (damped, shifted):
        h = hook(h, 0.9)          # ERR: not written out, hook is read after the loop
    return np.sum(hook(h, 0.5))


def named_before_its_loop_reads(w, x):
    h = x @ w
    total = 0.0
    for k in range(2):
        if k:
            total = total + np.sum(fn(h, 1.0))   # ERR: the name of the iteration before
        fn = damped
    return total


def test_a_function_variable_read_outside_what_binds_it_stays_refused():
    w, x = data()
    for f in (hook_read_after_its_loop, named_before_its_loop_reads):
        with pytest.raises(ad.TransformError, match="a function held in a variable") as info:
            ad.grad(f)(w, x)
        assert "# ERR" in str(info.value)
