"""Products of vectors and matrices of known dimensions written ``a.dot(b)`` in specialised
code (optimize/dots.py): where they are, where they are not (stacks of matrices, unknown
dimensions), and that the gradients stay right."""

import ast

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adcompile as ad
from adcompile.optimize import dot_products

from conftest import assert_grad

RNG = np.random.default_rng(7)


def matvec_chain(W, V, h, x):
    a = np.tanh(W @ h + np.dot(V, x))
    return np.sum(np.matmul(a, W) ** 2)


def stacked(A, B):
    return np.sum(np.sin(A @ B))


def inner(u, v):
    return np.tanh(u @ v)


def recurrence(W, h, xs):
    for x in xs:
        h = np.tanh(W @ h + x)
    return np.sum(h * h)


def products_in(code):
    """The products of the generated ``code``: (``@`` and ``np.matmul``/``np.dot`` calls,
    ``.dot`` method calls)."""
    operators, methods = 0, 0
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            operators += 1
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("dot", "matmul"):
            if isinstance(node.func.value, ast.Name) and node.func.value.id == "np":
                operators += 1
            else:
                methods += 1
    return operators, methods


def test_vector_and_matrix_products_are_dot_methods_where_specialised():
    args = (RNG.standard_normal((5, 5)), RNG.standard_normal((5, 3)),
            RNG.standard_normal(5), RNG.standard_normal(3))
    code = ad.show(matvec_chain, wrt=(0, 1, 2, 3), args=args)
    operators, methods = products_in(code)
    assert operators == 0 and methods >= 6, code
    assert "W.dot(h)" in code and "V.dot(x)" in code and "a.dot(W)" in code, code
    for wrt in range(4):
        assert_grad(matvec_chain, *args, wrt=wrt)


def test_general_code_keeps_the_operator_and_values_are_those_of_the_function():
    args = (RNG.standard_normal((4, 4)), RNG.standard_normal(4), RNG.standard_normal((6, 4)))
    general = ad.show(recurrence, wrt=(0, 1))
    assert products_in(general)[1] == 0, general   # (ndims unknown: spelled as written)
    assert ".dot(" in ad.show(recurrence, wrt=(0, 1), args=args)
    value, _ = ad.value_and_grad(recurrence, wrt=(0, 1))(*args)
    assert value == recurrence(*args)   # (the same BLAS calls: the same bits)
    assert_grad(recurrence, *args, wrt=(0, 1))


def test_stacks_of_matrices_keep_the_matmul_operator():
    A, B = RNG.standard_normal((3, 4, 5)), RNG.standard_normal((3, 5, 2))
    code = ad.show(stacked, wrt=(0, 1), args=(A, B))
    assert "A @ B" in code and ".dot(" not in code, code
    assert_grad(stacked, A, B, wrt=0)
    assert_grad(stacked, A, B, wrt=1)


def test_matrix_times_stack_keeps_the_matmul_operator():
    A, B = RNG.standard_normal((4, 5)), RNG.standard_normal((3, 5, 2))
    code = ad.show(stacked, wrt=(0, 1), args=(A, B))
    assert "A @ B" in code, code
    assert_grad(stacked, A, B, wrt=(0, 1))


def test_inner_product_of_vectors():
    u, v = RNG.standard_normal(6), RNG.standard_normal(6)
    code = ad.show(inner, wrt=(0, 1), args=(u, v))
    assert "u.dot(v)" in code, code
    assert_grad(inner, u, v, wrt=(0, 1))


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([((4, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((3,), (3,))]),
       st.booleans())
def test_products_of_each_kind_match_finite_differences(shapes, fortran):
    def f(a, b):
        return np.sum(np.cos(a @ b))

    a, b = (RNG.standard_normal(s) for s in shapes)
    if fortran:   # (a transposed view: the product reads it in place)
        a = np.asfortranarray(a)
    assert_grad(f, a, b, wrt=(0, 1))


def test_rewrite_reads_only_known_dimensions():
    code = ast.parse("y = W @ h\nz = S @ h\nW_T = W.T\nv = W_T @ y\nu = (W + W) @ h\n"
                     "p = np.dot(W, h)\nq = np.dot(W, h, out=y)\nr = np.matmul(S, S)")
    dot_products(code.body, {"W": 2, "h": 1, "y": 1, "S": 3}, "np")
    assert ast.unparse(code).splitlines() == [
        "y = W.dot(h)", "z = S @ h", "W_T = W.T", "v = W_T.dot(y)", "u = (W + W) @ h",
        "p = W.dot(h)", "q = np.dot(W, h, out=y)", "r = np.matmul(S, S)"]


def test_a_name_assigned_twice_is_not_taken_for_a_transpose():
    code = ast.parse("M = W.T\nM = np.ones((2, 2, 2))\nv = M @ h")
    dot_products(code.body, {"W": 2, "h": 1}, "np")
    assert ast.unparse(code).splitlines()[-1] == "v = M @ h"


@pytest.mark.parametrize("nd", [1, 2])
def test_gradient_of_a_loop_of_products(nd):
    W = RNG.standard_normal((4, 4)) * 0.5
    h = RNG.standard_normal(4 if nd == 1 else (4, 2))
    xs = RNG.standard_normal((5, 4) if nd == 1 else (5, 4, 2))
    assert_grad(recurrence, W, h, xs, wrt=(0, 1))
