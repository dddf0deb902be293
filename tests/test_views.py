"""An update Python makes in place, seen through the other names of the array
(adcompile/frontend/views.py): ``u = v.T; w = u; w -= e`` changes ``u`` and ``v`` too.

Where each name is certainly the same array or a basic view of it, the other names get
their new values right after the update, and the gradient is exact: checked against
central finite differences (on copies of the arguments: the functions change them),
against the same function written without in-place updates (autograd cannot run
in-place writes), in forward mode and to second order. Where the relation is not
certain the old refusal stands.
"""

import math

import numpy as np
import pytest
from conftest import assert_close, assert_grad
from test_second_order import gradient_differences

import adcompile as ad

X = np.array([0.3, -0.7, 1.1])
M = np.array([[0.5, -1.2, 0.8], [1.5, 0.2, -0.4]])


def through_a_transpose_and_a_name(x, v):
    u = v.T
    w = u
    w -= x * x
    return np.sum(np.sin(v)) + np.sum(u * w)


def through_a_transpose_and_a_name_by_hand(x, v):
    v = v - x * x
    return np.sum(np.sin(v)) + np.sum(v * v)


def into_a_reversed_view(x, v):
    z = v[::-1]
    z[1:] = np.array([np.mean(z), x]) * x
    d = v
    return np.sum(d ** 3) + np.sum(z * v)


def into_a_reversed_view_by_hand(x, v):
    z = v[::-1]
    z = np.concatenate([z[:1], np.array([np.mean(z), x]) * x])
    v = z[::-1]
    return np.sum(v ** 3) + np.sum(z * v)


def row_of_a_matrix(x, m):
    r = m[1]
    c = m[:, 0]
    r += np.tanh(x * r)
    return np.sum(m * m) + np.sum(c ** 3)


def row_of_a_matrix_by_hand(x, m):
    r = m[1] + np.tanh(x * m[1])
    m = np.stack([m[0], r])
    return np.sum(m * m) + np.sum(m[:, 0] ** 3)


def overlapping_views(x, v):
    u = v
    w = u[::-1]
    t = u[1:]
    u += w * x               # (NumPy buffers the overlap: as if w were copied first)
    return np.cos(np.sum(t) * x) + np.sum(w ** 2)


def overlapping_views_by_hand(x, v):
    v = v + v[::-1] * x
    return np.cos(np.sum(v[1:]) * x) + np.sum(v[::-1] ** 2)


def in_a_branch(x, v, c):
    u = v.T
    if c < 0.5:
        np.copyto(u, v * x)
    else:
        u[0] = x
    return np.sum(v ** 2) + np.sum(u)


def in_a_branch_by_hand(x, v, c):
    if c < 0.5:
        v = v * x
    else:
        v = np.concatenate([np.array([x]), v[1:]])
    return np.sum(v ** 2) + np.sum(v)


def in_a_loop(x, v):
    total = 0.0
    for i in range(3):
        m = np.outer(v, v) * x
        row = m[1]
        row *= i + 1.0       # changes m
        total = total + np.sum(np.sin(m))
    return total


def in_a_loop_by_hand(x, v):
    total = 0.0
    for i in range(3):
        m = np.outer(v, v) * x
        m = np.stack([m[0], m[1] * (i + 1.0), m[2]])
        total = total + np.sum(np.sin(m))
    return total


def twice(x, v):
    u = v.T
    t = v[1:]
    u += x
    t *= x                   # a view of the new v
    return np.sum(u * v) + np.sum(t ** 2)


def twice_by_hand(x, v):
    v = v + x
    v = np.concatenate([v[:1], v[1:] * x])
    return np.sum(v * v) + np.sum(v[1:] ** 2)


def carried_by_a_loop(x, v):
    u = v.T
    w = u
    for i in range(3):
        w -= x * v[0]        # v, u and w are one array in every iteration
    return np.sum(u * v)


def carried_by_a_loop_by_hand(x, v):
    for i in range(3):
        v = v - x * v[0]
    return np.sum(v * v)


def branches_in_a_loop(x, v):
    u = v.T
    t = v[1:]
    for i in range(3):
        if i % 2 == 0:
            t *= x
        else:
            u += np.sin(t[0])
    return np.sum(u * v) + np.sum(t)


def branches_in_a_loop_by_hand(x, v):
    for i in range(3):
        if i % 2 == 0:
            v = np.concatenate([v[:1], v[1:] * x])
        else:
            v = v + np.sin(v[1])
    return np.sum(v * v) + np.sum(v[1:])


def while_with_a_break(x, v):
    t = v[1:]
    k = 0
    while k < 3:
        k += 1
        t[0] = t[1] * x
        if k == 2:
            break
    return np.sum(v ** 2) + np.sum(t)


def while_with_a_break_by_hand(x, v):
    for k in range(2):
        v = np.concatenate([v[:1], v[2:3] * x, v[2:]])
    return np.sum(v ** 2) + np.sum(v[1:])


def view_of_a_view(x, v):
    a = v[1:]
    b = a[1:]
    b += x
    return np.sum(v ** 2) + np.sum(a ** 3)


def view_of_a_view_by_hand(x, v):
    v = np.concatenate([v[:2], v[2:] + x])
    return np.sum(v ** 2) + np.sum(v[1:] ** 3)


def added_to_itself(x, v):
    w = v
    v += w * x
    return np.sum(w ** 2)


def added_to_itself_by_hand(x, v):
    return np.sum((v + v * x) ** 2)


def nested_loops(x, v):
    u = v[::-1]
    for i in range(2):
        for j in range(2):
            u[j] = u[j + 1] * x + v[0]
    return np.sum(v ** 2) + np.sum(u)


def nested_loops_by_hand(x, v):
    for i in range(2):
        for j in range(2):
            u = v[::-1]
            u = np.concatenate([u[:j], u[j + 1:j + 2] * x + v[0], u[j + 1:]])
            v = u[::-1]
    return np.sum(v ** 2) + np.sum(v[::-1])


def returned_early(x, v):
    u = v.T
    for i in range(3):
        u += x
        if i == 1:
            return np.sum(v ** 2)
    return 0.0


def returned_early_by_hand(x, v):
    return np.sum((v + 2 * x) ** 2)


def transposed_into_itself(x, m):
    m += m.T * x             # (NumPy buffers the overlap)
    return np.sum(m ** 2)


def transposed_into_itself_by_hand(x, m):
    return np.sum((m + m.T * x) ** 2)


def name_reassigned_in_a_loop(x, v):
    u = v.T
    w = u                    # v's memory, whatever u names later
    t = 0.0
    for i in range(2):
        w -= x
        u = v * 2.0          # u is another array from here on
        t = t + np.sum(u)
    return np.sum(v ** 2) + t


def name_reassigned_in_a_loop_by_hand(x, v):
    t = 0.0
    for i in range(2):
        v = v - x
        t = t + np.sum(v * 2.0)
    return np.sum(v ** 2) + t


def through_a_reshape(x, v):
    w = v.reshape(3)         # v itself, for a 1-d v
    t = w[1:]
    w[0] = x * t[1]
    t *= x
    return np.sum(v ** 2) + np.sum(w * t[0])


def through_a_reshape_by_hand(x, v):
    v = np.stack([x * v[2], v[1], v[2]])
    v = np.concatenate([v[:1], v[1:] * x])
    return np.sum(v ** 2) + np.sum(v * v[1])


def reshaped_by_numpy(x, v):
    w = np.reshape(v, (-1,))
    v += x
    return np.sum(w ** 3)


def reshaped_by_numpy_by_hand(x, v):
    return np.sum((v + x) ** 3)


CASES = [
    (through_a_reshape, through_a_reshape_by_hand, (0.4, X)),
    (reshaped_by_numpy, reshaped_by_numpy_by_hand, (0.4, X)),
    (through_a_transpose_and_a_name, through_a_transpose_and_a_name_by_hand, (0.4, X)),
    (into_a_reversed_view, into_a_reversed_view_by_hand, (0.4, X)),
    (row_of_a_matrix, row_of_a_matrix_by_hand, (0.4, M)),
    (overlapping_views, overlapping_views_by_hand, (0.4, X)),
    (in_a_branch, in_a_branch_by_hand, (0.4, X, 0.2)),
    (in_a_branch, in_a_branch_by_hand, (0.4, X, 0.9)),
    (in_a_loop, in_a_loop_by_hand, (0.4, X)),
    (twice, twice_by_hand, (0.4, X)),
    (carried_by_a_loop, carried_by_a_loop_by_hand, (0.4, X)),
    (branches_in_a_loop, branches_in_a_loop_by_hand, (0.4, X)),
    (while_with_a_break, while_with_a_break_by_hand, (0.4, X)),
    (view_of_a_view, view_of_a_view_by_hand, (0.4, X)),
    (added_to_itself, added_to_itself_by_hand, (0.4, X)),
    (nested_loops, nested_loops_by_hand, (0.4, X)),
    (returned_early, returned_early_by_hand, (0.4, X)),
    (transposed_into_itself, transposed_into_itself_by_hand, (0.4, M[:, :2])),
    (name_reassigned_in_a_loop, name_reassigned_in_a_loop_by_hand, (0.4, X)),
]


def copies(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


@pytest.mark.parametrize("f, by_hand, args", CASES)
def test_the_other_names_see_the_update(f, by_hand, args):
    assert f(*copies(args)) == pytest.approx(by_hand(*copies(args)), rel=1e-12)
    # (FD, forward mode, the arguments left as they were; by position: called by keyword,
    # the code is made for arguments of unknown kinds, where a view cannot be told from a
    # copy, and refuses at call time)
    assert_grad(f, *args, wrt=(0, 1), keywords=False)
    for got, expected in zip(ad.grad(f, wrt=(0, 1))(*copies(args)),
                             ad.grad(by_hand, wrt=(0, 1))(*args)):
        assert_close(got, expected)
    # the array not differentiated: its views are kept as written, and related too (but
    # np.outer of it kept as written has no known ndim: a view cannot be told from a copy)
    if f is in_a_loop:
        with pytest.raises(TypeError, match="in place"):
            ad.grad(f)(*copies(args))
        return
    assert_grad(f, *args, wrt=0, keywords=False)
    assert_close(ad.grad(f)(*copies(args)), ad.grad(by_hand)(*args))


@pytest.mark.parametrize("f, by_hand, args", CASES[2:4])
def test_second_order_sees_the_update_too(f, by_hand, args):
    # the gradient code differentiated again is made for the arguments' kinds, where a view
    # is told from a copy (it was the code for arguments of unknown kinds, which refused
    # when it ran); the Hessian is that of the code written by hand
    got = ad.hessian(f, wrt=1)(*copies(args))
    assert_close(got, ad.hessian(by_hand, wrt=1)(*copies(args)))
    assert_close(got, gradient_differences(by_hand, copies(args), 1), 1e-5, 1e-6)


def test_the_caller_keeps_its_array():
    v = X.copy()
    ad.grad(through_a_transpose_and_a_name, wrt=(0, 1))(0.4, v)
    assert np.array_equal(v, X)


def test_numbers_are_not_views():
    # a number's copy is not changed by w -= ...: the same code, with numbers
    def numbers(x, y):
        u = x * 1.0
        w = u
        w -= y
        return u * w
    assert ad.grad(numbers, wrt=(0, 1))(0.5, 0.25) == pytest.approx((2 * 0.5 - 0.25, -0.5))
    assert_grad(numbers, 0.5, 0.25, wrt=(0, 1))


def relation_broken_in_a_loop(x, v):
    u = v.T
    for i in range(2):
        u += x               # v too, in the first iteration only
        u = u * 2.0          # u is another array from here on
    return np.sum(u * v)


def reassigned_on_one_path(x, v, c):
    u = v.T
    if c > 0:
        v = v * 2.0          # v is u's memory only on the other path
    w = u
    w += x
    return np.sum(v ** 2)


def held_by_a_dict(x, v):
    u = v.T
    d = {"a": u}
    v += x
    return np.sum(d["a"] ** 2)


def name_reassigned_in_a_loop_and_read(x, v):
    u = v.T
    w = u
    for i in range(2):
        w -= x               # in the second iteration u is not v's memory
        u = v * 2.0
    return np.sum(v ** 2) + np.sum(u)


def view_of_a_view_reassigned_in_a_loop(x, v):
    u = v[1:]
    w = u[1:]
    for i in range(2):
        w += x               # v's memory in both iterations
        u = v * 2.0          # (the loop would have to put w back into u's old values)
    return np.sum(v ** 2) + np.sum(u)


def through_a_join(x, v, c):
    u = v.T
    if c < 0.5:
        u = v * 2.0          # another array on this path: u may or may not be v's view
    u += x
    return np.sum(v * u)


def through_a_list(x, v):
    u = v.T
    hs = [u]
    u += x
    return np.sum(hs[0] * v)


def through_a_reshape_of_a_matrix(x, m):
    w = m.reshape(4)         # a view or a copy, as m's strides decide
    w[0] = x
    return np.sum(m ** 2)


def zero_d_array(x, v):
    u = v
    w = u
    w += x
    return np.sum(u) * v


@pytest.mark.parametrize("f, args", [
    (through_a_join, (0.4, X, 0.2)),
    (through_a_list, (0.4, X)),
    (relation_broken_in_a_loop, (0.4, X)),
    (reassigned_on_one_path, (0.4, X, 1.0)),
    (reassigned_on_one_path, (0.4, X, -1.0)),
    (held_by_a_dict, (0.4, X)),
    (view_of_a_view_reassigned_in_a_loop, (0.4, X)),
    (through_a_reshape_of_a_matrix, (0.4, M[:, :2])),
    (through_a_reshape_of_a_matrix, (0.4, M[:, :2].T)),
])
def test_what_may_share_memory_stays_refused(f, args):
    with pytest.raises(ad.TransformError, match="in place"):
        ad.grad(f, wrt=(0, 1))(*copies(args))


def test_a_view_a_loop_changes_and_carries_is_followed():
    # w is the view v.T in every iteration (w -= x keeps it so): v gets its new value after
    # each change (views.py), and the loop's v and w, carried from those, are read by the
    # next iteration and after the loop (u, made anew, shares nothing)
    assert_grad(name_reassigned_in_a_loop_and_read, 0.4, X.copy(), wrt=(0, 1),
                keywords=False)


def test_arrays_of_unknown_dimensions_stay_refused():
    # a 0-d array: the code is made for arrays of unknown ndim, where a copy and a view
    # cannot be told apart
    g = ad.grad(zero_d_array, wrt=(0, 1))
    with pytest.raises((ad.TransformError, TypeError), match="in place"):
        g(0.4, np.array(0.7))
    assert g(0.4, 0.7) == pytest.approx((0.0, 2 * 0.7))   # numbers: u is not changed


def asarray_updated_in_a_loop(x, y):
    c = x * y
    d = np.asarray(x)        # x itself for a 0-d array x, a new 0-d array for a number
    for i in range(1, 3):
        c = math.cos(d - 0.1 * i)
        d *= -1.25
    d *= y
    x = np.tanh(y)           # (a new variable: x is not read again)
    return np.tanh(d) + np.tanh(c)


def test_a_parameter_not_read_again_keeps_its_gradient():
    # (fuzz seed 521: the loop took x for a name it changes, and the gradient of a 0-d x
    # came back as a float)
    for x in (0.7, np.array(0.7)):
        g = ad.grad(asarray_updated_in_a_loop, wrt=(0, 1))(x, 0.3)
        assert isinstance(g[0], np.ndarray) == isinstance(x, np.ndarray)
        assert_grad(asarray_updated_in_a_loop, x, 0.3, wrt=(0, 1), keywords=False)


def grows(p, q, m=2):
    s = p
    for i in range(m - 2):
        s += q               # s is p: a loop that never runs must not take p's name
        q = p
    return s


def calls_grows(x, y, n):
    a = x + 0.5
    hs = [0.5, y]
    k = 0
    while k < 2:
        k += 1
        a = a + grows(y, x, 2)
        hs.append(a)
    return np.cos(grows(hs[-1], a, n))


def test_an_inlined_parameter_is_not_the_callers_name():
    # (fuzz seed 5856, a silent wrong gradient of this branch: the loop in grows carried
    # p, which is the caller's y, and d/dy came out 0)
    for n in (0, 2, 3):
        assert_grad(calls_grows, 0.59, 1.03, n, wrt=(0, 1), keywords=False)


def two_loops_one_of_numbers(x, v, c):
    u = v.T
    w = u
    for i in range(3):
        w -= x * v[0]        # v, u and w are one array in every iteration
    a = c * 1.0
    b = a
    for i in range(3):
        b -= x               # numbers: a keeps its value
    return np.sum(u * v) + a * b


def two_loops_one_of_numbers_by_hand(x, v, c):
    for i in range(3):
        v = v - x * v[0]
    return np.sum(v * v) + c * (c - 3 * x)


def test_the_updates_of_two_loops_are_not_tied(monkeypatch):
    # the updates of one loop are kept or undone together, and those of the next loop are
    # not tied to them, even where the record of the first loop is freed before the second
    # is made and its memory reused for it (here: as if every such record had one address)
    from adcompile.frontend import loop_views
    monkeypatch.setattr(loop_views, "id", lambda obj: 0, raising=False)
    f, by_hand, args = two_loops_one_of_numbers, two_loops_one_of_numbers_by_hand, (0.4, X, 0.5)
    assert f(*copies(args)) == pytest.approx(by_hand(*copies(args)), rel=1e-12)
    for got, expected in zip(ad.grad(f, wrt=(0, 1, 2))(*copies(args)),
                             ad.grad(by_hand, wrt=(0, 1, 2))(*args)):
        assert_close(got, expected)
    assert_grad(f, *args, wrt=(0, 1, 2), keywords=False)
