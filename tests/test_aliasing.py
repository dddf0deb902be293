"""In-place changes and the names that share memory (analysis/points_to.py, mutations.py).

Each function below is either differentiated correctly (checked against
central finite differences) or refused with a TransformError at the line
that changes the array. The refused ones all gave a silently wrong gradient
before the alias analysis: an in-place change through a name, a view, a list
or a loop the old check did not see.
"""

import operator

import numpy as np
import pytest
import scipy.linalg
from conftest import assert_close, assert_grad, numerical_grad

import adcompile as ad
from adcompile.analysis import points_to
from adcompile.frontend import normalize
from adcompile.frontend.source import FunctionSource

X = np.array([0.3, -1.2, 0.8])


# ---------------------------------------------------------------------------
# x op= e on a number, or on an array nothing else shares: a new value, exact
# ---------------------------------------------------------------------------

def number_alias(x, y):
    b = x
    b += y          # numbers: b is a new number, x keeps its value
    return b * x


def number_in_a_list(x):
    c = x * 1.0
    hs = [c]
    c += 5.0        # hs[0] keeps the old number
    return hs[0] * x + c


def array_nothing_shares(x):
    y = x * 2.0
    y += 1.0
    return np.sum(y * y)


def array_accumulated_in_a_loop(x):
    s = x * 0.0
    for i in range(3):
        s += x * i
    return np.sum(s ** 2)


def alias_read_only_before(x):
    y = x
    z = np.sum(y * y)
    y += 1.0        # changes x too, but x is not read afterwards
    return z + np.sum(y * y)


def number_swapped_and_updated(x, y):
    a, b = x, y
    for i in range(3):
        a, b = b, a
        a *= 1.5
    return a * b + x


@pytest.mark.parametrize("f, args", [
    (number_alias, (0.7, -1.3)),
    (number_in_a_list, (0.7,)),
    (array_nothing_shares, (X,)),
    (array_accumulated_in_a_loop, (X,)),
    (number_swapped_and_updated, (0.7, 1.1)),
])
def test_new_value_is_exact(f, args):
    assert_grad(f, *args)


def test_alias_read_only_before_the_change():
    # keywords=False: by keyword the general code runs, which checks that y is a number
    assert_grad(alias_read_only_before, X, keywords=False)


# ---------------------------------------------------------------------------
# x op= e on an array another name shares and reads afterwards: refused
# ---------------------------------------------------------------------------

def array_in_a_list(a):
    c = a * 1.0
    hs = [c]
    c += 5.0
    return np.sum(hs[0] * a)


def array_through_asarray(a):
    c = a * 1.0
    d = np.asarray(c)
    c += 5.0
    return np.sum(d * a)


def argument_through_ravel(a, k):
    v = np.ravel(k)
    y = np.sum(a * v)
    k += 1.0
    return y + np.sum(a * v)


def made_array_through_reshape(a):
    k = np.ones(2)
    v = k.reshape(2)
    k += 1.0
    return np.sum(a * v)


def through_a_slice(a):
    k = a * 2.0
    v = k[1:]
    k *= 3.0
    return np.sum(v)


def through_a_transpose(a):
    k = np.outer(a, a)
    v = k.T
    k -= 1.0
    return np.sum(v * v)


def rows_of_a_loop(a):
    m = np.outer(a, a)
    for row in m:
        row += a
    return np.sum(m * m)


def parameter_of_a_helper(a):
    v = a * 1.0
    w = add_in_place(v)
    return np.sum(v * w)


def add_in_place(p):
    p += 1.0
    return p


def written_through_float64_of_it(a):
    c = a * 1.0
    d = np.float64(c)        # of an array of float64s: c itself, not a copy
    d[0] = 5.0
    return np.sum(c * a)


def float64_of_it_read_after_a_change(a):
    c = a * 1.0
    d = np.float64(c)
    c *= 2.0
    return np.sum(d * a)


@pytest.mark.parametrize("f, args, line", [
    (array_in_a_list, (X,), "c += 5.0"),
    (argument_through_ravel, (X, np.ones(3)), "k += 1.0"),
    (parameter_of_a_helper, (X,), "p += 1.0"),
    # (np.float64(c) was taken for a new array: gradients of the unchanged c)
    (written_through_float64_of_it, (X,), "d[0] = 5.0"),
    (float64_of_it_read_after_a_change, (X,), "c *= 2.0"),
])
def test_shared_array_changed_in_place_is_refused(f, args, line):
    with pytest.raises(ad.TransformError, match="in place") as info:
        ad.grad(f)(*args)
    assert line in str(info.value) and "test_aliasing.py:" in str(info.value)


def test_the_same_array_or_a_view_sees_the_change():
    # np.asarray(c), k[1:] and k.T are certainly c's and k's memory: they get their new
    # values after the change (frontend/views.py), as Python's names show them
    assert_grad(array_through_asarray, X, keywords=False)
    assert_close(ad.grad(array_through_asarray)(X), 2 * X + 5.0)
    assert_grad(through_a_slice, X, keywords=False)
    assert_close(ad.grad(through_a_slice)(X), [0.0, 6.0, 6.0])
    assert_grad(through_a_transpose, X, keywords=False)
    assert_close(ad.grad(through_a_transpose)(X), 4 * (np.outer(X, X) - 1.0) @ X)
    # the rows a loop walks are views of m: m changes (frontend/row_loops.py)
    assert_grad(rows_of_a_loop, X, keywords=False)
    g = 2 * (np.outer(X, X) + X)
    assert_close(ad.grad(rows_of_a_loop)(X), g @ X + g.T @ X + g.sum(axis=0))


def test_a_constant_array_changed_in_place_before_any_read():
    # nothing in k += 1.0 is differentiated and the gradient reads v only after it: run in
    # place, as in Python (v sees the change)
    assert_grad(made_array_through_reshape, X[:2])
    np.testing.assert_allclose(ad.grad(made_array_through_reshape)(X[:2]), [2.0, 2.0])


def test_the_same_functions_of_numbers_differentiate():
    # with numbers nothing is shared: the same code is differentiated
    assert_grad(array_in_a_list, 0.7)
    assert_grad(array_through_asarray, 0.7)


def argument_in_a_list(a):
    c = a
    hs = [c]
    c += 5.0
    return hs[0] * a


def test_general_code_checks_that_the_value_is_a_number(tmp_path, monkeypatch):
    # without argument types (ad.show, a built module) the code checks it when it runs
    text = ad.show(argument_in_a_list)
    assert "require_immutable(c, " in text
    g = ad.grad(argument_in_a_list)
    assert g(0.7) == pytest.approx(numerical_grad(argument_in_a_list, (0.7,), 0))
    assert g(a=0.7) == g(0.7)
    for a in (np.array(0.7), np.array([0.7])):   # arrays: refused when the code is made
        with pytest.raises(ad.TransformError, match="'c \\+= 5.0' changes the array 'c' in"):
            g(a)
    ad.build(argument_in_a_list, tmp_path / "built_alias.py")
    monkeypatch.syspath_prepend(str(tmp_path))
    import built_alias
    assert built_alias.grad_argument_in_a_list(0.7) == pytest.approx(g(0.7))
    with pytest.raises(TypeError, match="'c \\+= 5.0' changes the array 'c' in place"):
        built_alias.grad_argument_in_a_list(np.array(0.7))


def accumulated_number(x):
    s = 0.0
    for i in range(3):
        s += x * i
    return s


def test_no_check_where_nothing_is_shared():
    assert "require_immutable" not in ad.show(array_accumulated_in_a_loop)
    assert "require_immutable" not in ad.show(accumulated_number)


# ---------------------------------------------------------------------------
# changes kept as written (k[0] = v, k.fill, np.copyto, out=, append): refused
# when a primitive read the array before them, or in the same loop
# ---------------------------------------------------------------------------

def item_set_after_a_read(a):
    k = np.ones(3)
    y = np.sum(k * a)
    k[0] = 5.0
    return y + np.sum(k)


def item_set_before_any_read(a):
    k = np.ones(3)
    k[0] = 5.0
    return np.sum(k * a)


def changed_while_iterated(a):
    k = np.ones(3)
    s = 0.0
    for v in k:
        k[2] = 5.0
        s = s + a * v
    return s


def list_appended_after_stack(x):
    hs = [x]
    y = np.stack(hs)
    hs.append(x * 2.0)
    return np.sum(y * y) + np.sum(hs[1])


def shuffled_after_a_read(a, k):
    y = np.sum(np.sin(k * a))
    np.random.shuffle(k)
    return y


def changed_by_an_unknown_function(a, k):
    y = np.sum(np.sin(k * a))
    scale_rows(k)
    return y


def scale_rows(m):   # not differentiated: called on an inactive array, kept as a call
    m *= 2.0


def operator_iadd_after_a_read(a, k):
    y = np.sum(np.sin(k * a))
    operator.iadd(k, 1.0)   # (k += 1.0: in place for an array)
    return y


def operator_setitem_through_its_result(a, k):
    m = operator.imul(k, 1.0)   # (k itself, changed in place and returned)
    y = np.sum(np.sin(k * a))
    operator.setitem(m, 0, 5.0)
    return y


def two_outputs_given_by_position(a, k):
    y = np.sum(np.sin(k * a))
    np.modf(k, k, np.empty(3))   # (both outputs positional: k is the first)
    return y


def outputs_given_as_a_tuple(a, k):
    y = np.sum(np.sin(k * a))
    np.divmod(k, 2.0, out=(np.empty(3), k))
    return y


def numpy_out_by_position(a, k):
    y = np.sum(np.sin(k * a))
    np.cumsum(np.ones(3), 0, None, k)   # (out is cumsum's fourth parameter)
    return y


def dot_out_by_position(a, k):
    y = np.sum(np.sin(k * a))
    np.dot(np.eye(3), np.ones(3), k)
    return y


def method_out_by_position(a, k):
    y = np.sum(np.sin(k * a))
    c = np.ones(3) * 2.0
    c.clip(0.0, 1.0, k)   # (x.clip(lo, hi, out))
    return y


def nan_to_num_without_a_copy(a, k):
    y = np.sum(np.sin(k * a))
    np.nan_to_num(k, copy=False)
    return y


def median_overwriting_its_input(a, k):
    y = np.sum(np.sin(k * a))
    m = np.median(k, overwrite_input=True)   # (NumPy partitions k in place)
    return y * m


def scipy_solve_overwriting_b(a, k):
    y = np.sum(np.sin(k * a))
    z = scipy.linalg.solve(np.eye(3) * 2.0, k, overwrite_b=True)   # (z may be k itself)
    return y + np.sum(z)


def changed_through_what_an_output_call_returns(a, k):
    y = np.cumsum(np.ones(3), 0, None, k)   # (y is k itself)
    t = np.sum(np.sin(k * a))
    y[0] = 7.0
    return t


@pytest.mark.parametrize("f, args, line", [
    (changed_through_what_an_output_call_returns, (X, np.arange(3.0)), "y[0] = 7.0"),
    (numpy_out_by_position, (X, np.arange(3.0)), "np.cumsum(np.ones(3), 0, None, k)"),
    (dot_out_by_position, (X, np.arange(3.0)), "np.dot(np.eye(3), np.ones(3), k)"),
    (method_out_by_position, (X, np.arange(3.0)), "c.clip(0.0, 1.0, k)"),
    (nan_to_num_without_a_copy, (X, np.arange(3.0)), "np.nan_to_num(k, copy=False)"),
    # (were missed: the reverse pass read k changed, a wrong gradient with no error)
    (median_overwriting_its_input, (X, np.array([2.0, 0.5, 1.0])), "overwrite_input=True"),
    (scipy_solve_overwriting_b, (X, np.arange(3.0)), "overwrite_b=True"),
    (operator_iadd_after_a_read, (X, np.arange(3.0)), "operator.iadd(k, 1.0)"),
    (operator_setitem_through_its_result, (X, np.arange(3.0)), "operator.setitem(m, 0, 5.0)"),
    (two_outputs_given_by_position, (X, np.arange(3.0)), "np.modf(k, k, np.empty(3))"),
    (outputs_given_as_a_tuple, (X, np.arange(3.0)), "np.divmod(k, 2.0, out="),
    (item_set_after_a_read, (X,), "k[0] = 5.0"),
    (changed_while_iterated, (0.7,), "k[2] = 5.0"),
    (shuffled_after_a_read, (X, np.arange(3.0)), "np.random.shuffle(k)"),
    (changed_by_an_unknown_function, (X, np.arange(3.0)), "scale_rows(k)"),
])
def test_change_after_a_read_is_refused(f, args, line):
    with pytest.raises(ad.TransformError, match="may change in place") as info:
        ad.grad(f)(*args)
    assert line in str(info.value)


def list_popped_after_stack(x):
    hs = [x, x * 3.0]
    y = np.stack(hs)
    hs.pop()
    return np.sum(y * y) + np.sum(hs[0])


def test_change_before_any_read_is_differentiated():
    assert_grad(item_set_before_any_read, X)


def outputs_by_position_before_the_reads(a):
    m = np.ones(3)
    r = np.round(a * 3.0, 0, m)   # (m holds the rounded values: no derivative, a value)
    c = np.zeros(3)
    np.cumsum(np.arange(3.0), 0, None, c)   # (c holds the sums)
    s = np.empty(3)
    np.arange(3.0).clip(0.5, 1.5, s)
    return np.sum(m * a) + np.sum(c * a * a) + np.sum(s * a) + 0.0 * np.sum(r)


def test_outputs_given_by_position_are_seen_and_kept():
    # the statements writing m, c, s are not dropped (nothing reads r: they write), and
    # what they write is read afterwards (m: rounded, so a constant of the gradient)
    got = assert_grad(outputs_by_position_before_the_reads, X)
    m, c, s = np.round(X * 3.0), np.cumsum(np.arange(3.0)), np.clip(np.arange(3.0), 0.5, 1.5)
    assert_close(got, m + 2.0 * c * X + s, 1e-12, 1e-12)


def test_appending_leaves_what_was_read():
    # np.stack(hs)'s adjoint covers the items hs had then; appending adds items after them
    assert_grad(list_appended_after_stack, X)


def test_popping_after_a_read_is_refused():
    with pytest.raises(ad.TransformError, match="may change in place"):
        ad.grad(list_popped_after_stack)(X)


# ---------------------------------------------------------------------------
# the analysis itself
# ---------------------------------------------------------------------------

def views_and_copies(a):
    k = np.arange(3.0)
    v = k[1:]
    w = k.T
    c = k.copy()
    d = np.array(k)
    e = np.asarray(k)
    hs = [c]
    h = hs[0]
    return a * (np.sum(v) + np.sum(w) + np.sum(d) + np.sum(e) + np.sum(h))


def test_points_to_facts():
    fn = normalize(FunctionSource(views_and_copies), ["a"])
    facts = points_to.of(fn)

    def shares(x, y):
        return bool(facts.reach(x) & facts.reach(y))

    assert shares("k", "v") and shares("k", "w") and shares("k", "e")
    assert not shares("k", "c") and not shares("k", "d")
    assert shares("c", "hs") and shares("c", "h") and not shares("k", "h")


def test_numbers_share_nothing():
    fn = normalize(FunctionSource(number_swapped_and_updated), ["x", "y"])
    facts = points_to.of(fn)
    assert facts.reach("i") == set()   # a loop index is a number whatever the arguments


def test_gradient_values_of_the_accepted_cases():
    # the closed forms, besides finite differences
    assert ad.grad(number_alias)(0.7, -1.3) == pytest.approx(2 * 0.7 - 1.3)
    assert_close(ad.grad(array_nothing_shares)(X), 4 * (2 * X + 1))


# ---------------------------------------------------------------------------
# arguments the function changes in place: the gradient changes a private copy
# ---------------------------------------------------------------------------

def reverses_its_argument(x, g):
    z = g.copy()
    t = z[1:]
    g[...] = g[::-1]
    return np.tanh(np.min(t)) * x + np.sum(g * x)


def changes_a_list_argument(x, rows):
    rows[0][1] = 5.0
    return np.sum(rows[0] * x)


def test_arguments_changed_in_place_are_copied():
    g = np.array([-1.72, 0.84, -1.85])
    before = g.copy()
    assert_grad(reverses_its_argument, 0.5, g)
    assert np.array_equal(g, before)          # not written into (the function itself does)
    assert "g = private_copy(g)" in ad.show(reverses_its_argument)
    rows = [np.ones(3), np.ones(3)]
    gradient = ad.grad(changes_a_list_argument)(X, rows)
    assert_close(gradient, [1.0, 5.0, 1.0])
    assert rows[0][1] == 1.0


# ---------------------------------------------------------------------------
# x op= e on an array nothing differentiated flows through, another name for which is read
# afterwards: run in place, as Python does
# ---------------------------------------------------------------------------

def constants_updated_through_a_view(x, g, n):
    z = g                     # the caller's array (a private copy is changed)
    t = z[1:]                 # a view of it
    s = 0.0
    for i in range(n):
        z *= 0.5              # changes t too
        s = s + x * np.sum(t)
    w = np.ones(3)
    u = w
    u += g                    # changes w too
    return s + np.sum(w * x)


def constants_updated_through_a_view_by_hand(x, g, n):
    g = g.copy()
    s = 0.0
    for i in range(n):
        g = g * 0.5
        s = s + x * np.sum(g[1:])
    return s + np.sum((np.ones(3) + g) * x)


def constant_read_by_the_gradient_then_updated(x, g):
    z = g.copy()
    t = z[1:]
    s = np.sum(x * t)         # the backward sweep reads t
    z *= 0.5                  # changes t: refused
    return s + np.sum(t)


def test_an_array_not_differentiated_is_updated_in_place_where_another_name_sees_it():
    g = np.array([0.5, -1.0, 2.0])
    for n in (0, 1, 3):
        assert_grad(constants_updated_through_a_view, 0.7, g, n)
        assert ad.grad(constants_updated_through_a_view)(0.7, g, n) == pytest.approx(
            numerical_grad(constants_updated_through_a_view_by_hand, (0.7, g, n), 0))
    assert "augmented(z, '*', 0.5)" in ad.show(constants_updated_through_a_view, args=(0.7, g, 2))
    # (refused, at the latest when the code runs: z may be a number for all its code knows)
    with pytest.raises((ad.TransformError, TypeError), match="in place"):
        ad.grad(constant_read_by_the_gradient_then_updated)(0.7, g)


# a function of the user's called on values not differentiated (kept as written) that
# updates only locals it made itself leaves its arguments as they were

def updates_its_own_locals(p, q):
    r = p + 0.5
    r += -(r * p)            # r is a new array: p is not changed
    return r * q


def changes_its_argument(p, q):
    s = q
    s -= 1.0                 # q's array
    return p


def calls_a_helper_on_a_kept_array(a, g):
    z = g * 1.0
    y = np.sum(a * z)
    return y + np.sum(updates_its_own_locals(z, 0.5))


def calls_a_changing_helper(a, g):
    z = g * 1.0
    y = np.sum(a * z)        # the reverse pass reads z
    return y + changes_its_argument(0.5, z)


def test_a_helper_changing_only_its_own_locals_is_no_hazard():
    g = np.array([0.5, -1.0, 2.0])
    assert_grad(calls_a_helper_on_a_kept_array, X, g, keywords=False)
    np.testing.assert_allclose(ad.grad(calls_a_helper_on_a_kept_array)(X, g), g)
    with pytest.raises(ad.TransformError, match="may change in place"):
        ad.grad(calls_a_changing_helper)(X, g)


# a copy of an array not differentiated, updated at an index by a value being differentiated:
# the copy's entries are no objects, so nothing else sees the update (its other names would
# be its views); a copy of a list holds the list's arrays, and is still refused

def copy_updated_at_a_row(v, A):
    B = A.copy()
    B[0] += v
    return np.sum(B * A)


def product_updated_at_pairs(v, A):
    B = A * 1.0
    B[[0, 0], [1, 2]] += v[:2]
    return np.sum(B * A)


def copy_of_a_list_updated(v, A):
    B = A.copy()
    B[0] += v
    return np.sum(A[0] * v)


def test_a_copy_of_an_array_updated_at_an_index():
    A = np.arange(9.0).reshape(3, 3) * 0.1 + 0.3
    assert_close(assert_grad(copy_updated_at_a_row, X, A), A[0], 1e-12, 1e-12)
    assert_close(assert_grad(product_updated_at_pairs, X, A), [A[0, 1], A[0, 2], 0.0],
                 1e-12, 1e-12)
    assert "require_immutable" not in ad.show(copy_updated_at_a_row, args=(X, A))
    # (a list given for A: B, its copy, holds A's arrays, and B[0] += v changes A[0] too)
    with pytest.raises(ad.TransformError, match=r"'B\[0\] \+= v' changes the array B\[0\] in "
                                                r"place, and 'A\[0\]', which may hold the same"):
        ad.grad(copy_of_a_list_updated)(X, [A[0].copy(), A[1].copy()])


SPRING_FROM, SPRING_TO = np.array([0, 1, 2]), np.array([1, 2, 3])


def relaxed_springs(x, k):
    for _ in range(3):
        force = np.zeros_like(x)
        stretch = x[SPRING_TO] - x[SPRING_FROM]
        np.add.at(force, SPRING_FROM, k * stretch)
        np.subtract.at(force, SPRING_TO, k * stretch)
        x = x + 0.1 * force
    return np.sum(x ** 2)


def test_np_add_at_and_subtract_at_into_one_array_in_a_loop():
    # (the new array np.add.at's rule makes was taken to share memory with the index
    # array, and the second change of it refused when the code ran)
    x = np.array([0.0, 1.1, 1.9, 3.2])
    assert_close(ad.grad(relaxed_springs)(x, 0.7),
                 numerical_grad(relaxed_springs, (x, 0.7), 0))
