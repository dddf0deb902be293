"""Forward mode (ad.jvp) and dense Jacobians (ad.jacobian).

Every ``assert_grad`` in the suite also checks ``ad.jvp`` along random
tangents against the finite-difference gradient, so each rule's tangent and
each control-flow construct is covered there; this file tests the API, the
generated code and non-scalar outputs.
"""

import numpy as np
import pytest
from conftest import assert_close, numerical_grad, reals
from hypothesis import given, settings
from hypothesis import strategies as st

import adcompile as ad


def lecture(x, y):
    return x ** 3 * (x + 3 * y)


def vector_out(x):
    return np.sin(x) * x[0] + np.sum(x ** 2)


def r3_to_r4(x):
    a = x[0] * x[1]
    b = np.tanh(x[2])
    return np.array([1.0, 0.0, 0.0, 0.0]) * a + np.array([0.0, 1.0, 1.0, 0.0]) * b \
        + x[0] ** 2 * np.array([0.0, 0.0, 1.0, 1.0])


def matrix_in(W, x):
    return np.tanh(W @ x)


def two_outputs(x, y):
    return x * y, x + np.sin(y)


def loop_and_branch(x, n):
    s = 0.0
    for i in range(n):
        if s < 2.0:
            s = s + x * x
        else:
            s = s * 0.5
    return s


def accumulate_list(x):
    hs = []
    h = x
    for i in range(3):
        h = np.sin(h) + x
        hs.append(h)
    return hs[0] * hs[2]


def numerical_jacobian(f, x):
    """Column by column: each output entry's gradient by central differences."""
    out = np.asarray(f(x))
    rows = [numerical_grad(lambda z, k=k: float(np.ravel(f(z))[k]), (x,), 0)
            for k in range(out.size)]
    return np.array(rows).reshape(out.shape + np.shape(x))


def test_lecture_partials_one_sweep_per_input():
    push = ad.jvp(lecture, wrt=(0, 1))
    assert push(2.0, 3.0, (1.0, 0.0)) == (88.0, 140.0)
    assert push(2.0, 3.0, tangents=(0.0, 1.0)) == (88.0, 24.0)


def test_single_wrt_takes_one_tangent():
    value, dot = ad.jvp(lecture, wrt="y")(2.0, 3.0, 2.0)
    assert (value, dot) == (88.0, 48.0)


@settings(max_examples=15, deadline=None)
@given(st.lists(reals(), min_size=3, max_size=3), st.lists(reals(), min_size=3, max_size=3))
def test_jvp_of_vector_output_is_jacobian_times_tangent(x, v):
    x, v = np.array(x), np.array(v)
    value, dot = ad.jvp(vector_out)(x, v)
    assert_close(value, vector_out(x), 1e-12, 1e-12, "value")
    assert dot.shape == x.shape
    assert_close(dot, numerical_jacobian(vector_out, x) @ v, what="J v")


def test_tuple_output_gives_tuple_of_tangents():
    value, dot = ad.jvp(two_outputs, wrt=(0, 1))(0.5, 0.25, (1.0, 2.0))
    assert value == two_outputs(0.5, 0.25)
    assert_close(dot[0], 0.25 * 1.0 + 0.5 * 2.0)
    assert_close(dot[1], 1.0 + np.cos(0.25) * 2.0)


def test_matrix_tangent():
    rng = np.random.default_rng(0)
    W, x, V = rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(3, 2))
    _, dot = ad.jvp(matrix_in, wrt=0)(W, x, V)
    eps = 1e-6
    expected = (matrix_in(W + eps * V, x) - matrix_in(W - eps * V, x)) / (2 * eps)
    assert_close(dot, expected)


@pytest.mark.parametrize("n", [0, 1, 5])
def test_loops_and_branches(n):
    x = 0.7
    _, dot = ad.jvp(loop_and_branch)(x, n, 1.0)
    assert_close(dot, numerical_grad(loop_and_branch, (x, n), 0))


def test_lists():
    _, dot = ad.jvp(accumulate_list)(0.4, 1.0)
    assert_close(dot, numerical_grad(accumulate_list, (0.4,), 0))


def test_generated_code_interleaves_tangents():
    code = ad.show(lecture, wrt=(0, 1), mode="forward", args=(2.0, 3.0))
    assert code.startswith("def jvp_lecture(x, y, *, x_dot, y_dot):")
    assert "stack" not in code and "_bar" not in code
    assert "out_dot = " in code and "return (out, out_dot)" in code
    # one tangent statement right after the statement it differentiates
    lines = [line.strip() for line in code.splitlines()]
    out = lines.index(next(line for line in lines if line.startswith("out = ")))
    assert lines[out + 1].startswith("out_dot = ")


def test_jvp_source_and_wrapped():
    push = ad.jvp(lecture)
    assert push.__wrapped__ is lecture
    assert "def jvp_lecture(x, y, *, x_dot):" in push.source


def test_bad_tangents():
    with pytest.raises(ValueError, match="tuple of 2 tangents"):
        ad.jvp(lecture, wrt=(0, 1))(2.0, 3.0, 1.0)
    with pytest.raises(TypeError, match="needs tangents"):
        ad.jvp(lecture)()


def test_jacobian_r3_to_r4_both_modes():
    x = np.array([0.3, -0.8, 0.5])
    expected = numerical_jacobian(r3_to_r4, x)
    for mode in (None, "forward", "reverse"):
        J = ad.jacobian(r3_to_r4, mode=mode)(x)
        assert J.shape == (4, 3)
        assert_close(J, expected, what=f"jacobian ({mode})")


def test_jacobian_shapes_matrix_input():
    rng = np.random.default_rng(1)
    W, x = rng.normal(size=(3, 2)), rng.normal(size=2)
    for mode in ("forward", "reverse"):
        J = ad.jacobian(matrix_in, wrt=0, mode=mode)(W, x)
        assert J.shape == (3, 3, 2)
        eps = 1e-6
        for i in range(3):
            for j in range(2):
                E = np.zeros_like(W)
                E[i, j] = eps
                column = (matrix_in(W + E, x) - matrix_in(W - E, x)) / (2 * eps)
                assert_close(J[:, i, j], column, what=f"{mode} J[:, {i}, {j}]")


def test_jacobian_of_scalar_function_is_gradient():
    J = ad.jacobian(lecture, wrt=(0, 1))(2.0, 3.0)
    assert [float(j) for j in J] == [140.0, 24.0]


def test_jacobian_rejects_bad_mode_and_tuple_output():
    with pytest.raises(ValueError, match="mode"):
        ad.jacobian(lecture, mode="sideways")
    with pytest.raises(ValueError, match="tuple"):
        ad.jacobian(two_outputs)


def pairs_reset_then_appended(x, y, k):
    # (fuzzer seed 44568) a list of pairs a loop replaces by constants, then appends to:
    # the tangent of the constant list is a list of zeros, which the append extends
    a, b = x * 0.5, y
    pairs = ((a, b), (x, a))
    for step in range(k):
        for p, q in pairs:
            pairs = ((a, 0.5), (q, step), (0.5, 2.0))
        pairs = pairs + ((a * b, 0.5),)
        for p, q in pairs:
            a = np.sin(p) - q
    return a * b


def test_tangent_of_a_list_replaced_by_constants_then_appended_to():
    args = (0.46, -0.33, 2)
    expected = [numerical_grad(pairs_reset_then_appended, args, k) for k in (0, 1)]
    for tangents, column in (((1.0, 0.0), 0), ((0.0, 1.0), 1)):
        value, tangent = ad.jvp(pairs_reset_then_appended, wrt=(0, 1))(*args, tangents=tangents)
        assert_close(value, pairs_reset_then_appended(*args), 1e-14, 0)
        assert_close(tangent, expected[column], 1e-7, 1e-9)
    assert_close(np.array(ad.grad(pairs_reset_then_appended, wrt=(0, 1))(*args)),
                 np.array(expected), 1e-7, 1e-9)


def rounded_into_ints(w):
    y = np.array([w[0] * 5.0, w[1] * 5.0], dtype=int)
    z = np.asarray(w * 3.0, np.int64)
    m = np.array(w * 4.0, dtype=bool)
    return np.sum(y * w[:2]) + np.sum(z * w) + np.sum(m * w) + w[2]


def test_the_tangent_of_an_array_made_in_an_integer_dtype_is_zero():
    # np.array(xs, dtype=int) rounds the values: the tangent was the tangents rounded
    # (np.array([5 * w_dot[0], ...], dtype=int)), not zero, once a tangent times the
    # factor reached 1 (np.array and np.asarray have no tangent rule of their own)
    w = np.array([0.43, -1.27, 0.81])
    want = numerical_grad(rounded_into_ints, (w,), 0)
    for t in np.eye(3) * 2.0:
        assert_close(ad.jvp(rounded_into_ints)(w, tangents=t)[1], want @ t)
    assert_close(ad.grad(rounded_into_ints)(w), want)
