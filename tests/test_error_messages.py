"""Messages name what the user wrote, never a name adcompile made.

A refusal (or a check when the generated code runs) that is about a value adcompile gave
a name of its own shows the user's expression for it: ``B[1:]`` for the slice a zip
walks, ``q['u']`` for an item of a dict built in the function, ``vals[1]`` for an item
of a list display, ``layers[k][0]`` for the first items of a list of tuples. Each test
checks the message's file:line (the statement refused), the user's expression, and that
no numbered name the user never wrote is in it (generated_names.py, which the refusal
corpus of test_errors.py checks too).
"""

import inspect

import autograd
import numpy as np
import pytest
from conftest import assert_grad, with_autograd_numpy

import adcompile as ad
from tests.generated_names import generated_names

X = np.array([0.5, -1.5, 2.0])


def line_of(f, text):
    """The line number in this file of the first line of ``f`` holding ``text``."""
    lines, first = inspect.getsourcelines(f)
    return first + next(i for i, line in enumerate(lines) if text in line)


def refused(f, args, text, *expressions, wrt=0, error=ad.TransformError, callers=()):
    """``ad.grad(f)(*args)`` raises ``error`` at the line of ``f`` holding ``text`` (or at
    the line holding ``text`` of the first of ``callers``, a helper ``f`` calls, with ``f``'s
    line below it), naming each of ``expressions`` and no name adcompile made."""
    with pytest.raises(error) as caught:
        ad.grad(f, wrt=wrt)(*args)
    message = str(caught.value)
    at = callers[0] if callers else f
    assert f"{__file__}:{line_of(at, text)}:" in message.splitlines()[0], message
    for expression in expressions:
        assert expression in message, f"{expression!r} is not named:\n{message}"
    assert not generated_names(message, f, *callers), message
    return message


# ---------------------------------------------------------------------------
# the meta-check itself
# ---------------------------------------------------------------------------

def test_the_check_finds_a_generated_name():
    message = (f"{__file__}:12:5: 'B[k] -= 0.1 * b' changes the array 'B' in place, and "
               f"'t3', which may share its memory, is read afterwards\n"
               f"        a -= 0.1 * b\n        ^\nhint: copy layers0")
    assert generated_names(message, step) == {"t3", "layers0"}


def test_the_check_allows_what_the_user_and_numpy_write():
    message = (f"{__file__}:12:5: np.float64 and W1 (which log1p reads)\n"
               f"        W1 = x2 + 1\n  called from {__file__}:3:1 in f: y = g(x2)")
    assert generated_names(message) == set()


# ---------------------------------------------------------------------------
# other names of an array changed in place by a helper
# ---------------------------------------------------------------------------

def step(u, dt):
    u += dt * np.roll(u, 1)


def aliased_in_a_loop(u0, dt):
    u = u0 + 0.0
    for _ in range(3):
        w = u
        step(w, dt)
    return np.sum(u ** 2)


def aliased_item_in_a_loop(u0, dt):
    us = [u0 + 0.0]
    for _ in range(3):
        w = us[0]
        step(w, dt)
    return np.sum(us[0])


def test_an_alias_changed_by_a_helper_names_both_names():
    message = refused(aliased_in_a_loop, (X, 0.1), "u += dt", "'w'", "'u'", callers=(step,))
    assert f"called from {__file__}:{line_of(aliased_in_a_loop, 'step(w, dt)')}" in message


def test_an_alias_of_a_list_item_changed_by_a_helper_names_the_item():
    refused(aliased_item_in_a_loop, (X, 0.1), "u += dt", "'us[0]'", callers=(step,))


# ---------------------------------------------------------------------------
# items of structures
# ---------------------------------------------------------------------------

def scaled_values(params, s):
    for p in params.values():
        p *= s
    return np.sum(params["u"] ** 2)


def scaled_values_of_a_copy(params, s):
    q = {k: v * 1.0 for k, v in params.items()}
    for p in q.values():
        p *= s
    return np.sum(q["u"] ** 2)


def scaled_values_of_a_display(x, y):
    vals = {"a": x * 1.0, "b": y}
    for v in vals.values():
        v *= x[0]
    return np.sum(vals["a"]) + np.sum(vals["b"])


def stepped_item(params, dt):
    for _ in range(2):
        step(params["u"], dt)
    return np.sum(params["u"] ** 2)


def test_the_values_of_a_dict_argument():
    refused(scaled_values, ({"u": X, "v": X[:2]}, 2.0), "p *= s", "\"params['u']\"")


def test_the_values_of_a_dict_made_by_a_comprehension():
    refused(scaled_values_of_a_copy, ({"u": X, "v": X[:2]}, 2.0), "p *= s", "\"q['u']\"")


def test_the_values_of_a_dict_display():
    refused(scaled_values_of_a_display, (X, X + 1.0), "v *= x[0]", "\"vals['a']\"")


def test_a_dict_item_given_to_a_helper_that_changes_it():
    # (the call is inlined: refused in the helper, the dict being the caller's)
    refused(stepped_item, ({"u": X}, 0.1), "u += dt * np.roll(u, 1)", "\"params['u']\"",
            "u = u + ...", callers=(step,))


# ---------------------------------------------------------------------------
# lists of tuples
# ---------------------------------------------------------------------------

def shrunk_layers(layers, lr):
    for W, b in layers:
        W -= lr * W
    return np.sum(layers[0][0])


def shrunk_local_layers(W1, b1, W2, b2, lr):
    layers = [(W1 * 1.0, b1), (W2 * 1.0, b2)]
    for W, b in layers:
        W -= lr * W
    return np.sum(layers[0][0]) + np.sum(layers[1][1])


def shrunk_appended_layers(W1, b1, W2, b2, lr):
    layers = []
    layers.append((W1 * 1.0, b1))
    layers.append((W2 * 1.0, b2))
    for i in range(2):
        W, b = layers[i]
        W *= lr
    return np.sum(layers[0][0])


LAYERS = [(np.ones((2, 2)), np.ones(2)), (2 * np.ones((2, 2)), np.ones(2))]


def test_a_list_of_tuples_argument():
    refused(shrunk_layers, (LAYERS, 0.1), "W -= lr * W", "'layers[0][0]'")


def test_a_list_of_tuples_made_in_the_function():
    refused(shrunk_local_layers, (*LAYERS[0], *LAYERS[1], 0.1), "W -= lr * W",
            "'layers[k][0]'")


def test_a_list_of_tuples_appended_to():
    refused(shrunk_appended_layers, (*LAYERS[0], *LAYERS[1], 0.1), "W *= lr",
            "'layers[k][0]'")


def grid_updated_in_a_loop(x, y):
    grid = [[x, y * 1.0], [y + 0.0, x]]   # (the loop carries each item in a variable)
    for i in range(3):
        grid[0][1] = grid[0][1] * x + grid[1][0]
        grid[1][1] += 0.5 * x   # (grid[1][1] is x itself, which is read afterwards)
    return np.sum(grid[0][1] + grid[1][0] * grid[1][1])


def test_items_of_a_list_of_lists_carried_by_a_loop():
    # (the loop carries each item in a variable of its own: grid_1_1 in the generated code)
    refused(grid_updated_in_a_loop, (X, X + 1.0), "grid[1][1] += 0.5 * x", "grid[1][1]")


# ---------------------------------------------------------------------------
# views walked beside the array
# ---------------------------------------------------------------------------

def smoothed_rows(B):
    for a, b in zip(B, B[1:]):
        a -= 0.1 * b
    return np.sum(B ** 2)


def test_a_slice_walked_beside_its_array():
    refused(smoothed_rows, (np.ones((4, 2)),), "a -= 0.1 * b", "'B[1:]'")


# ---------------------------------------------------------------------------
# the checks in the generated code
# ---------------------------------------------------------------------------

def scaled_items(x, ints):
    vals = [x * 1.0, ints]
    vals[1] *= x[0]
    return np.sum(vals[0]) + np.sum(vals[1])


def grown_items(x, ints):
    vals = [x * 1.0, ints]
    vals[1] += x
    return np.sum(vals[0]) + np.sum(vals[1])


@pytest.mark.parametrize("f, text", [(scaled_items, "vals[1] *= x[0]"),
                                     (grown_items, "vals[1] += x")])
def test_an_integer_item_of_a_list_updated_in_place(f, text):
    message = refused(f, (X, np.arange(3)), text, f"{text} puts values being differentiated "
                                                  f"into an array of integers", error=TypeError)
    assert "UFuncTypeError" in message
    assert_grad(f, X, X + 1.0)   # (floating items: the same code differentiates)



# ---------------------------------------------------------------------------
# a name given a list of its own value
# ---------------------------------------------------------------------------

def doubled_as_a_list(s):
    s = [s, 2 * s]
    return s[0] * s[1] + s[1]


def doubled_in_a_branch(x):
    s = x
    if x > 0:
        s = [s, 3 * s]
    else:
        s = [s, s]
    return s[0] * s[1]


def extended_after_doubling(x):
    s = x * 1.0
    s = [s, 2 * s]
    s.append(x)
    return s[0] + s[2] * s[1]


@pytest.mark.parametrize("f", [doubled_as_a_list, doubled_in_a_branch,
                               extended_after_doubling])
@pytest.mark.parametrize("x", [0.7, -1.3])
def test_a_list_holding_what_its_name_held(f, x):
    # (once taken for a list of lists: "'s[0] * s[1]' applies a primitive to a whole list")
    gradient = assert_grad(f, x)
    assert np.isclose(gradient, with_autograd_numpy(globals(), autograd.grad(f), x))


# ---------------------------------------------------------------------------
# library functions without a rule
# ---------------------------------------------------------------------------

def lu_solved(A, b):
    import scipy.linalg
    lu = scipy.linalg.lu_factor(A)
    return np.sum(scipy.linalg.lu_solve(lu, b))


def eigh_values(A):
    import scipy.linalg
    w, v = scipy.linalg.eigh(A)
    return np.sum(w)


def least_squares(A, b):
    import scipy.linalg
    x, *_ = scipy.linalg.lstsq(A, b)
    return np.sum(x)


SPD = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])


@pytest.mark.parametrize("f, args, called", [
    (lu_solved, (SPD, X), "scipy.linalg.lu_factor"),
    (eigh_values, (SPD,), "scipy.linalg.eigh"),
    (least_squares, (np.vstack([SPD, X]), np.arange(4.0)), "scipy.linalg.lstsq")])
def test_a_scipy_function_without_a_rule_says_so(f, args, called):
    pytest.importorskip("scipy.linalg")
    message = refused(f, args, f"{called}(", f"{called}() has no adjoint rule",
                      f"ad.adjoint_rule({called})")
    assert message.splitlines()[0].endswith("(in its code)")


# ---------------------------------------------------------------------------
# a refusal found in generated code differentiated again: at the user's line
# ---------------------------------------------------------------------------

def lstsq_fit(A, b):
    x = np.linalg.lstsq(A, b, rcond=None)[0]
    return np.sum(x ** 2)


def lstsq_through_a_helper(b):
    return lstsq_fit(SPD, b) * 2.0


def cubed_display(x):
    return np.sum(np.array([x, x ** 2, np.sin(x)]) ** 3)


def _generated_line(message):
    """The line of ``message`` naming the generated code's place."""
    return next(line for line in message.splitlines() if "in the generated code at" in line)


def test_a_second_derivative_refused_in_generated_code_points_at_the_users_line():
    first = ad.grad(lstsq_fit)
    with pytest.raises(ad.TransformError) as caught:
        ad.grad(lambda A, b: np.sum(first(A, b)))(SPD, X)
    message = str(caught.value)
    line = line_of(lstsq_fit, "np.linalg.lstsq")
    assert message.startswith(f"{__file__}:{line}:9: a second derivative through "
                              f"np.linalg.lstsq"), message
    assert message.splitlines()[1].strip() == "x = np.linalg.lstsq(A, b, rcond=None)[0]"
    assert "<adcompile grad_lstsq_fit" in _generated_line(message)   # (where it was found)
    assert "lstsq_bar(" in _generated_line(message)


def test_a_hessian_through_a_helper_refused_points_at_the_helpers_column():
    # (the helper inlined into a function of another indentation: its own column)
    with pytest.raises(ad.TransformError) as caught:
        ad.hessian(lstsq_through_a_helper)(X)
    message = str(caught.value)
    first, code, caret = message.splitlines()[:3]
    assert first.startswith(f"{__file__}:{line_of(lstsq_fit, 'np.linalg.lstsq')}:9:"), message
    assert caret.index("^") == code.index("np.linalg"), message
    assert f"called from {__file__}:{line_of(lstsq_through_a_helper, 'lstsq_fit(')}:" \
        in message, message


def test_a_third_derivative_refused_points_at_the_users_line_through_two_generated_codes():
    third = ad.grad(ad.grad(ad.grad(cubed_display)))
    with pytest.raises(ad.TransformError) as caught:
        third(0.5)
    message = str(caught.value)
    line = line_of(cubed_display, "np.array")
    assert message.startswith(f"{__file__}:{line}:19: a third derivative through np.array"), \
        message
    assert "<adcompile grad_grad_cubed_display" in _generated_line(message)
