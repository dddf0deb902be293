"""Copies a hand derivation would not write (optimize/copies.py, and the in-place item
writes of backend/emit.written_items): merged into the names they copy, only where that
cannot change what the code reads."""

import ast
import textwrap

import numpy as np
import pytest

import adcompile as ad
from adcompile.optimize import merge_copies

from conftest import assert_grad


def merged(code, later="", params=()):
    """The code (one sweep) after merge_copies, and the renaming it reports."""
    body = ast.parse(textwrap.dedent(code)).body
    outputs = [ast.parse(later, mode="eval").body] if later else []
    renamed = merge_copies([body, []], outputs, set(params))
    return "\n".join(ast.unparse(s) for s in body), renamed


@pytest.mark.parametrize("code, expected", [
    # a tuple assignment's values, computed first into temporaries
    ("t1 = np.exp(a)\nt2 = np.exp(b)\nscale = t1\ndf = t2\ny = scale * df",
     "scale = np.exp(a)\ndf = np.exp(b)\ny = scale * df"),
    # a temporary copying a variable
    ("delta = a - b\nt6 = delta\ny = t6 * t6", "delta = a - b\ny = delta * delta"),
    # a later version of a variable copying an earlier one, in a chain
    ("v_2 = a.copy()\nv_2[0] = 1.0\nv_3 = v_2\nv_4 = v_3\ny = v_4 * 2",
     "v_2 = a.copy()\nv_2[0] = 1.0\ny = v_2 * 2"),
    # inside a loop's body
    ("for i in range(n):\n    t1 = f(i)\n    z = t1\n    g(z)",
     "for i in range(n):\n    z = f(i)\n    g(z)"),
])
def test_copies_merge_into_the_names_they_copy(code, expected):
    assert merged(code)[0] == expected


@pytest.mark.parametrize("code", [
    "h = a * 2\nx = h\ny = x + h",                         # two variables: neither says more
    "t1 = f(a)\nt1 = g(t1)\nz = t1\ny = z",                 # the copied name bound twice
    "t1 = f(a)\nz = t1\nz = g(z)\ny = z",                   # the copy's name bound twice
    "for i in range(n):\n    y = z\n    t1 = f(i)\n    z = t1",   # read before the copy
    "t1 = f(a)\nif c:\n    z = t1\ny = z",                  # the binding in another block
    "for i in range(n):\n    t1 = f(i)\n    if c:\n        break\n    z = t1\ny = z",
])
def test_copies_stay_where_merging_could_change_what_is_read(code):
    wanted = "\n".join(ast.unparse(s) for s in ast.parse(code).body)
    assert merged(code) == (wanted, {})


def test_a_parameter_is_never_renamed_and_the_renaming_is_reported():
    assert merged("t1 = x\ny = t1 * 2", params=["x"])[0] == "y = x * 2"
    code, renamed = merged("t1 = f(x)\nscale = t1\nout = scale", later="scale + t1")
    assert code == "scale = f(x)\nout = scale" and renamed == {"t1": "scale"}


def kernel(theta, x):
    lengthscale, signal, noise = np.exp(theta[0]), np.exp(theta[1]), np.exp(theta[2])
    d = x[:, None] - x[None, :]
    return np.sum(signal ** 2 * np.exp(-0.5 * d * d / lengthscale ** 2)
                  + noise ** 2 * np.eye(len(x)))


def heat(u0, r, steps):
    u = u0
    for _ in range(steps):
        v = u.copy()
        v[1:-1] = u[1:-1] + r * (u[2:] - 2.0 * u[1:-1] + u[:-2])
        u = v
    return np.sum(u * u)


def test_a_tuple_assignment_reads_as_written():
    text = ad.show(kernel, args=(np.zeros(3), np.linspace(0, 1, 4)))
    assert "    lengthscale = np.exp(theta[0])\n" in text, text
    assert not any(line.strip().startswith(("lengthscale = t", "noise = t"))
                   for line in text.splitlines()), text
    assert_grad(kernel, np.array([0.1, -0.3, 0.2]), np.linspace(0, 1, 4))


def test_an_item_written_in_place_keeps_its_array_s_name():
    text = ad.show(heat, wrt=(0, 1), args=(np.ones(6), 0.1, 3))
    assert "v_2[1:-1] = " in text and "v_3" not in text, text
    assert_grad(heat, np.linspace(0.0, 1.0, 6), 0.1, 3, wrt=(0, 1))
