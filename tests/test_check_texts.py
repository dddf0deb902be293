"""The checks generated code makes when it runs name the user's place and statement only
(``require_immutable(a, "f.py:5:5: a *= x", "update", "a", "b")``): the explanation of
their errors is the runtime helper's, and the error a user sees says as much as before
(the statement, the names, what to write instead). Each check here is made to fail; the
modules ``ad.build`` writes carry the texts with the helpers (test_build.py)."""

import ast
import copy
import inspect
import re

import numpy as np
import pytest

import adcompile as ad
from adcompile import runtime
from adcompile.runtime import values


def line_of(f, text):
    """``file:line`` of the first line of ``f`` holding ``text``."""
    lines, start = inspect.getsourcelines(f)
    return f"{re.escape(__file__)}:{start + next(i for i, x in enumerate(lines) if text in x)}"


def through_atleast_2d(x):
    y = x * 1.0
    z = np.atleast_2d(y)
    z[0, 1] = x[0] ** 3
    return np.sum(y * x)


def piece_of_a_split_scaled(x):
    y = x * 1.0
    a, b = np.split(y, 2)
    a *= b
    return np.sum(y * x)


def one_array_twice_in_a_list(x):
    params = [x * 1.0, x * 2.0]
    params[1] = params[0]
    for i in range(2):
        params[i] *= 1.5
    return np.sum(params[0]) + np.sum(params[1])


def changes_its_argument(w, a, b):
    a[0] = 5.0   # (b too, where the caller passed one array twice)
    return np.sum(w * b)


def deep_copy_of_one_array_under_two_names(params, v):
    a = params["w"]
    e = copy.deepcopy({"a": a, "b": params["w"]})
    e["a"][0] = v
    return np.sum(e["b"] ** 2) + v


def diffuse(u, rate):
    u *= 1.0 - rate


def diffused(x):
    t = x * 2.0
    diffuse(t, 0.1)
    return np.sum(t * x)


def written_into_an_argument(x, ys):
    ys[0] = 3.0
    ys[1] = x[0]
    return ys[0] * ys[1]


X = np.array([0.3, -0.5, 0.8])
W = np.array([1.0, 2.0, 3.0])
B = W * 2.0

#: (function, wrt, arguments, error, its message, the check in the general code)
CASES = [
    (through_atleast_2d, 0, (X,), TypeError,
     line_of(through_atleast_2d, "z[0, 1] =") + r":5: 'z\[0, 1\] = x\[0\] \*\* 3' changes the "
     r"array 'z' in place, and 'y', which may share its memory \(the same array under "
     r"another name, or a view of it\), is read afterwards; adcompile computes z as a new "
     r"array here, so the two would differ. Copy 'z' before assigning into it \(z = "
     r"z\.copy\(\)\), or where it is made$", "require_immutable"),
    (piece_of_a_split_scaled, 0, (np.arange(4.0),), TypeError,
     line_of(piece_of_a_split_scaled, "a *= b") + r":5: 'a \*= b' changes the array 'a' in "
     r"place, and 'y', which may share its memory, is read afterwards; adcompile computes a "
     r"as a new array here, so the two would differ. Write a = a \* \.\.\. to make a new "
     r"array \(then 'y' keeps its value\), or copy 'a' where it is made$",
     "require_immutable"),
    (one_array_twice_in_a_list, 0, (X,), TypeError,
     line_of(one_array_twice_in_a_list, "*= 1.5") + r":9: 'params\[i\] \*= 1\.5' changes in "
     r"place an array of the list 'params', and another item of the list is the same array "
     r"or a view of it; adcompile computes the changed item as a new array, so the two would "
     r"differ\. Give each item an array of its own \(a copy\)$", "require_sole_item"),
    (changes_its_argument, 0, (W, B, B), TypeError,
     line_of(changes_its_argument, "def ") + r":1: changes_its_argument\(\) changes 'a' in "
     r"place, and another argument or a module-level value it reads shares an array or "
     r"object with it: Python's change would show through both, the gradient's code would "
     r"not; pass separate objects$", "require_unshared"),
    (deep_copy_of_one_array_under_two_names, (0, 1), ({"w": W}, 0.5), TypeError,
     line_of(deep_copy_of_one_array_under_two_names, "deepcopy") + r":9: "
     r"\"copy\.deepcopy\(\{'a': a, 'b': params\['w'\]\}\)\" copies a structure holding one "
     r"array in two places: the copy holds one new array twice, which adcompile would take "
     r"for two; copy the arrays one by one$", "require_distinct"),
    (diffused, 0, (0.3,), TypeError,
     line_of(diffused, "diffuse(t") + r":5: diffuse\(\) updates its parameter by 'v op= e', "
     r"which changes the caller's 't' in place, as adcompile computes it, only where 't' is "
     r"a NumPy array; here it is not one \(it holds a float\)$", "require_ndarray"),
    (written_into_an_argument, 0, (X, [1.0, 2.0]), TypeError,
     line_of(written_into_an_argument, "ys[0] =") + r":5: adcompile differentiates an "
     r"assignment into an item of an array, not of a list or dict \('ys'\), where what it "
     r"holds is differentiated afterwards: build a new list or dict \(or use an array\) "
     r"instead of assigning into this one$", "require_array_written"),
]


def _checks(text, name):
    """The calls of the runtime check ``name`` in the generated code ``text``."""
    return [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Name) and n.func.id == name]


@pytest.mark.parametrize("f, wrt, args, error, message, check", CASES,
                         ids=[c[0].__name__ for c in CASES])
def test_the_check_names_the_statement_and_its_error_explains(f, wrt, args, error, message,
                                                              check):
    with pytest.raises(error) as caught:
        ad.grad(f, wrt=wrt)(*args)
    assert re.match(message, str(caught.value)), str(caught.value)
    try:
        text = ad.show(f, wrt=wrt)   # (the general code, for arguments of any kind)
    except ad.TransformError:   # (a structure read: the code for the example's)
        text = ad.show(f, wrt=wrt, args=args)
    calls = _checks(text, check)
    assert calls, text
    for call in calls:
        texts = [a.value for a in call.args
                 if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        place, _, said = texts[0].partition(": ")
        assert re.fullmatch(r".+:\d+:\d+", place), texts
        # (the statement and names: no explanation, which is the helper's)
        assert len(said) <= 60 and all(len(t) <= 20 for t in texts[1:]), texts
        assert "\n" not in "".join(texts), texts


def test_every_check_text_is_the_runtimes():
    """The texts the checks compose their errors from are module-level strings of the
    runtime, which ``ad.build`` copies beside the helpers that read them."""
    for name in ("REBOUND_ITEM", "REBOUND_SWAP", "REBOUND_WRITE", "REBOUND_UPDATE",
                 "REBOUND_SWAPPED", "SHARED", "SHARED_ITEM", "HELD_TWICE", "IN_PLACE_CALL",
                 "UNTYPED_WRITE"):
        assert isinstance(getattr(values, name), str)
    assert runtime.require_immutable is values.require_immutable


@pytest.mark.parametrize("statement, symbol", [("x += 1", "+"), ("x[i] **= 2", "**"),
                                               ("y[a == b] //= c", "//"),
                                               ("x[f(k=-1)] @= w", "@"), ("x = y", "+")])
def test_the_operator_an_update_error_suggests(statement, symbol):
    said = values.rebinding_reason(statement, "update", "x", "z")
    assert f"Write x = x {symbol} ..." in said
