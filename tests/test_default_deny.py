"""Default deny: what the analysis does not know is active and, without a rule, refused.

A constant is only what is provably constant: a value computed from constants by
functions that cannot see the function's variables. Each function below once gave
a silently wrong gradient (the unknown thing was taken for a constant) or would
if the rule were relaxed; each must now be refused at its line, or differentiated
correctly.
"""

import heapq
import inspect
import math

import autograd
import numpy as np
import pytest
from conftest import assert_grad

import adcompile as ad

X = np.array([0.5, -1.5, 2.0])


def unknown_numpy_function(x):
    return np.sum(np.i0(x))


def unknown_c_function(x):
    return math.remainder(x, 0.7) * x   # (a C function without a rule)


def unknown_method(x):
    return np.sum(x.byteswap())


def unknown_attribute(x):
    return np.sum(x.imag)


def index_depending_on_x(x):
    k = np.arange(3.0)
    return np.sum(k[x > 0] * x[0]) + k[int(x[0])]


def unknown_subscriptable(x):
    return np.sum(np.s_[x, x][0])


def container_to_unknown_function(x):
    return heapq.nsmallest(1, [x[0], x[1] * 2.0])[0] * x[2]


def evaluated_string(a):
    return eval("a * a") * a


def executed_string(a):
    exec("b = a * a")
    return a


def locals_read(a):
    b = a * a
    return locals()["b"] * a


def vars_read(a):
    b = a * a
    return vars()["b"] * a


def evaluated_variable(a):
    text = "a * a"
    return eval(text) * a


def evaluated_comprehension(a):
    # (inside eval a comprehension does not see the function's locals: not inlined)
    return eval("[a * i for i in range(2)]")[1]


def evaluated_in_globals(a):
    return eval("a * a", globals()) * a


def locals_of_a_global_name(a):
    return locals()["np"].sin(a)


def globals_of_a_local_name(a):
    np = a * 2.0
    return globals()["np"] * a


b = 5.0   # (a global: to eval, a local not bound yet is the global of its name)


def evaluated_before_assigned(a):
    v = eval("b") * a     # Python reads the global b: the local is not bound yet
    b = a * 2.0
    return v + b


def locals_before_assigned(a):
    v = locals()["b"] * a     # a KeyError in Python
    b = a * 2.0
    return v + b


def locals_counted(a):
    return a * len(locals())


def computed_attribute(a):
    name = "s" + "in"
    return getattr(np, name)(a)


def frame_read(a):
    b = a * a
    return inspect.currentframe().f_locals["b"]


def eval_under_another_name(a):
    e = eval
    return e("a * a") * a


def function_passed_in(a, g):
    return g("a * a") * a     # g may be eval: what it returns is not known to be constant


def dict_of_values(a):
    d = {"a": a}
    key = "a" if a > 0 else "b"   # (d.get("a", 0.0), a key known now, is d["a"])
    return d.get(key, 0.0) * a


@pytest.mark.parametrize("f, x, word", [
    (unknown_numpy_function, X, r"np\.i0"),
    (unknown_c_function, 1.5, r"math\.remainder"),
    (unknown_method, X, r"\.byteswap\(\)"),
    (unknown_attribute, X, r"\.imag"),
    (unknown_subscriptable, X, r"index"),
    (executed_string, 1.5, r"exec\(\)"),
    (computed_attribute, 1.5, r"getattr\(\)"),
    (frame_read, 1.5, r"currentframe|f_locals"),
    (dict_of_values, 1.5, r"\.get\(\)"),
    (container_to_unknown_function, X, r"nsmallest"),
    (eval_under_another_name, 1.5, r"eval\(\)"),
    (evaluated_variable, 1.5, r"eval\(\)"),
    (evaluated_comprehension, 1.5, r"eval\(\)"),
    (evaluated_in_globals, 1.5, r"eval\(\)"),
    (locals_of_a_global_name, 1.5, r"locals\(\)"),
    (globals_of_a_local_name, 1.5, r"globals\(\)"),
    (locals_counted, 1.5, r"locals\(\)"),
    (evaluated_before_assigned, 1.5, r"eval\(\)"),
    (locals_before_assigned, 1.5, r"locals\(\)"),
])
def test_unknown_is_refused_not_ignored(f, x, word):
    with pytest.raises(ad.TransformError, match=word) as info:
        ad.grad(f)(x)
    assert "test_default_deny.py:" in str(info.value)


def test_reflection_with_constant_text_is_the_code_it_stands_for():
    # eval("a * a") is a * a in the function's scope, locals()["b"] and vars()["b"] are b,
    # globals()["np"] is the module's np, getattr(np, "s" + "in") is np.sin
    for f in (evaluated_string, locals_read, vars_read, constant_text_everywhere):
        assert_grad(f, 1.5)
    for f in (evaluated_string, locals_read, vars_read):   # (autograd has no math.tanh)
        np.testing.assert_allclose(ad.grad(f)(1.5), autograd.grad(f)(1.5), rtol=1e-12)
    assert "a * a" in ad.show(evaluated_string) and "eval(" not in ad.show(evaluated_string)


def executed_into_a_snapshot(a):
    b = a * 0.5
    exec("b = a * a + 1.0")   # (binds b in a snapshot of the locals: b stays a * 0.5)
    return b * a


def executed_call(a):
    b = a * 0.5
    exec("b = abs(a)")   # (a call: not known to do nothing)
    return b * a


def test_exec_of_assignments_to_locals_does_nothing_as_in_python():
    assert executed_into_a_snapshot(1.5) == 1.5 * 0.5 * 1.5   # (Python's own rule)
    assert_grad(executed_into_a_snapshot, 1.5)
    assert "exec(" not in ad.show(executed_into_a_snapshot)
    for f in (executed_call, executed_string):   # (executed_string: b is no local)
        with pytest.raises(ad.TransformError, match=r"exec\(\)"):
            ad.grad(f)


def constant_text_everywhere(a):
    b = a * 0.5
    v = eval("b * 1.5 + " + "a", globals(), locals())
    v = getattr(math, "ta" + "nh")(v) + globals()["math"].cos(b)
    return v * vars()["b"]


def literal_attribute(a):
    return getattr(np, "sin")(a) + getattr(a, "real", 0.0) * 0.0


def zero_gradient_functions(x):
    # the allowlist: piecewise constant functions and facts about shapes
    return np.sum(x * np.sign(x) * np.floor(3.0)) + len(x) + x.shape[0] + np.argmax(x)


def constants_from_unknown_functions(x):
    # unknown functions of constants give constants: nothing active reaches them
    k = np.i0(np.arange(3.0))
    return np.sum(x * k) + math.gamma(2.5)


@pytest.mark.parametrize("f, x", [
    (zero_gradient_functions, X),
    (constants_from_unknown_functions, X),
    (index_depending_on_x, X),
])
def test_known_constants_are_differentiated(f, x):
    assert_grad(f, x)


def test_getattr_with_a_literal_name_is_an_attribute():
    # getattr(np, "sin") is np.sin; getattr(a, "real", 0.0) has a default: a call kept
    # as written, of a value being differentiated, so refused
    with pytest.raises(ad.TransformError, match="getattr"):
        ad.grad(literal_attribute)(0.3)
    assert ad.grad(computed_attribute_free)(0.3) == pytest.approx(np.cos(0.3))


def computed_attribute_free(a):
    return getattr(np, "sin")(a)


def subscripts_in_a_variable(x, spec):
    return np.sum(np.einsum(spec, x) ** 2)


def einsum_of_x_as_subscripts(x, spec):
    return np.sum(np.einsum(x, spec))


def where_of_active_condition(x):
    return np.sum(np.where(x, x * 2.0, x))   # the condition's derivative is zero


def test_rule_inputs_without_adjoint_lines():
    assert_grad(subscripts_in_a_variable, X, "i->i")
    with pytest.raises(ad.TransformError, match="sublist form"):   # x is an operand there
        ad.grad(einsum_of_x_as_subscripts)(X, "i")
    assert_grad(where_of_active_condition, X)


def test_a_function_held_in_a_variable_is_unknown():
    # called with eval, function_passed_in gave the gradient of a constant times a (9, not 27)
    with pytest.raises(ad.TransformError, match="'g', a function held in a variable"):
        ad.grad(function_passed_in)(3.0, eval)


def iterator_used_up(x, xs):
    it = iter(xs)
    first = list(it)   # nothing reads first, but list() used the iterator up
    rest = sum(it)
    return x * (1.0 + rest)


def test_an_unread_call_that_uses_up_an_iterator_stays():
    # Dropping the unread list(it) as pure made sum(it) 3 instead of 0: gradient 4, not 1
    assert ad.grad(iterator_used_up)(2.0, [1.0, 2.0]) == 1.0
    assert "list(it)" in ad.show(iterator_used_up, args=(2.0, [1.0, 2.0]))


def test_builtins_that_use_up_iterators_are_never_pure():
    from adcompile.frontend.effects import is_pure_function
    assert not any(is_pure_function(f) for f in (sum, max, list, sorted, math.fsum, math.prod))
    assert all(is_pure_function(f) for f in (len, abs, math.sin, np.exp, np.zeros))
