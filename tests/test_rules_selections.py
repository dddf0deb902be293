"""Builtins and NumPy functions added for issue 16: comprehensions as loops, ``max``/``min`` of
several values or of a sequence, ``sorted``, ``np.select``, ``np.partition``,
``np.gradient``, ``np.linspace``, ``np.linalg.eig``/``eigvals``/``multi_dot``,
``np.corrcoef``, and the adjoints of their helpers (second derivatives).

Each rule is checked against central finite differences in reverse and forward mode
(``assert_grad``) at inputs Hypothesis draws away from ties, and marked with ``@covers`` for
the registry's enumeration (test_rules.py). Their float32 cases are in test_rules_float32.py,
their autograd cases in test_reference.py.
"""

import numpy as np
import pytest
from conftest import FEW, arrays, assert_close, assert_grad, numerical_grad, reals
from hypothesis import assume, given
from hypothesis import strategies as st
from test_rules import covers

import adcompile as ad
from adcompile import runtime

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def distinct(n, lo=-2.0, hi=2.0):
    """n floats in [lo, hi] in any order, at least 0.6 (hi - lo) / n apart (no ties: the
    gradient of a selection is unique)."""
    return st.tuples(st.permutations(range(n)),
                     st.lists(st.floats(0.0, 0.4), min_size=n, max_size=n)).map(
        lambda t: lo + (np.array(t[0]) + np.array(t[1])) * (hi - lo) / n)


def hessian_matches_fd(f, x, rtol=1e-4, atol=1e-5):
    """ad.hessian (reverse over reverse) equals central differences of ad.grad."""
    H = ad.hessian(f)(x)
    g = ad.grad(f)
    columns = [numerical_grad(lambda y, i=i: g(y).ravel()[i], [x], 0) for i in range(x.size)]
    assert_close(H, np.array(columns).reshape(H.shape), rtol, atol, "Hessian")


# ===========================================================================
# comprehensions (frontend/comprehensions.py): the loops they stand for
# ===========================================================================

def sum_over_range(x):
    return sum(x[i] ** 2 * x[i + 1] for i in range(3))


def sum_filtered(x):
    return sum([np.sin(x[i]) for i in range(4) if i != 2])


def sum_nested(x):
    return sum(x[i] * sum(x[i] * x[j] for j in range(i)) for i in range(4))


def sum_two_loops(x):
    return sum(x[i] * x[j] ** 2 for i in range(2) for j in range(3))


def sum_over_rows(x):
    return sum(np.sum(row ** 2) * row[0] for row in x)


def sum_over_literal(a, b):
    return sum(np.sum(w ** 3) for w in (a, b))


def list_comprehension_kept(x):
    ys = [np.tanh(x[i]) * x[i] for i in range(4)]
    return ys[0] * ys[3] + sum(ys)


def variable_not_overwritten(x):
    i = 3
    s = sum(x[i] ** 2 for i in range(3))
    return s * x[i]


def comprehension_shadowed(x):
    # the inner comprehension's i is its own
    return sum(x[i] * sum(x[i] for i in range(2)) for i in range(4))


@pytest.mark.parametrize("f", [sum_over_range, sum_filtered, sum_nested, sum_two_loops,
                               variable_not_overwritten, comprehension_shadowed,
                               list_comprehension_kept])
@FEW
@given(x=distinct(4))
def test_comprehensions(f, x):
    assert_grad(f, x)


@FEW
@given(x=distinct(6).map(lambda v: v.reshape(2, 3)))
def test_comprehension_over_rows(x):
    assert_grad(sum_over_rows, x)


def test_comprehension_over_a_literal_and_a_structure():
    a, b = np.array([0.3, -1.2]), np.array([[0.5, 0.7], [1.1, -0.4]])
    assert_grad(sum_over_literal, a, b, wrt=(0, 1))
    g = ad.grad(lambda_free_sum)([a, b])
    assert_close(g[0], 3 * a ** 2)
    assert_close(g[1], 3 * b ** 2)


def lambda_free_sum(ws):
    return sum(np.sum(w ** 3) for w in ws)


def conditional_comprehension(x, c):
    return sum(x[i] for i in range(3)) if c else 0.0


def test_comprehension_that_may_not_run_is_refused():
    with pytest.raises(ad.TransformError, match="generator expression"):
        ad.grad(conditional_comprehension)(np.ones(3), True)


# ===========================================================================
# python.py: max/min of several values and of a sequence, sorted
# ===========================================================================

def max_of_three(x):
    return max(x[0] * x[1], x[2], np.sin(x[3]))


def min_of_three(x):
    return min(x[0] * x[1], x[2], np.sin(x[3]))


def max_of_literal(x):
    return max([x[0] * x[1], x[2], x[3] ** 2]) * x[0]


def max_of_generator(x):
    return max(x[i] * (i + 1) for i in range(4)) ** 2


def min_of_loop_list(x):
    items = []
    for i in range(4):
        items.append(x[i] ** 3 - x[i])
    return min(items) * x[1]


def max_of_array(x):
    return max(x * x) + min(x * x)


def sorted_list(x):
    s = sorted([x[0], x[1] * 2.0, x[2], x[3]])
    return s[0] * 1.0 + s[1] * 2.0 + s[2] ** 2 + s[3] * s[0]


def sorted_reversed(x):
    s = sorted([np.sin(x[i]) for i in range(4)], reverse=True)
    return s[0] - 2.0 * s[1] + 3.0 * s[3]


def sorted_array(x):
    s = sorted(x ** 2)
    return s[0] * 3.0 + s[-1]


@covers(("python", "max_list"), ("python", "min_list"))
@pytest.mark.parametrize("f", [max_of_three, min_of_three, max_of_literal, max_of_generator,
                               min_of_loop_list, max_of_array])
@FEW
@given(x=distinct(4, 0.2, 2.0))
def test_max_min(f, x):
    assert_grad(f, x)


def test_max_of_a_tie_takes_the_first_as_python_does():
    x = np.array([1.0, 1.0, 0.5, -1.0])   # x * x: 1, 1, 0.25, 1
    assert_close(ad.grad(max_of_array)(x), [2.0, 0.0, 1.0, 0.0])
    assert_close(ad.grad(max_of_three)(np.array([1.0, 1.0, 1.0, 0.0])), [1.0, 1.0, 0.0, 0.0])


@covers(("python", "sorted_"))
@pytest.mark.parametrize("f", [sorted_list, sorted_reversed, sorted_array])
@FEW
@given(x=distinct(4))
def test_sorted(f, x):
    # (sorted_list sorts x[0], 2 x[1], x[2], x[3]: no two of those within the differences'
    # step of each other, where it has a kink)
    items = np.array([x[0], 2 * x[1], x[2], x[3]])
    assume(np.min(np.abs(np.subtract.outer(items, items)) + np.eye(4)) > 1e-3)
    assert_grad(f, x)


def sorted_with_key(x):
    return sorted([x[0], x[1]], key=abs)[0]


def sorted_with_a_method_as_key(x):
    rank = {1.0: 1, -2.0: 0}
    return sorted([x[0], x[1]], key=rank.get)[0]


def test_sorted_with_key():
    # a function as key= is called on each item (frontend/higher_order.py); a method of
    # a local object is left to sorted's rule, which refuses key=
    assert_grad(sorted_with_key, np.array([1.0, -2.0]))
    with pytest.raises(ad.TransformError, match="key="):
        ad.grad(sorted_with_a_method_as_key)(np.array([1.0, -2.0]))


def list_of_an_array(x):
    vs = list(x ** 2)
    return vs[0] * vs[3] + sum(vs) * vs[1]


def tuple_of_a_list(x):
    t = tuple([np.sin(x[0]), x[1] * x[2], x[3]])
    return t[0] * t[1] + t[2] ** 3


def rows_of_a_matrix(x):
    rows = list(np.outer(x, x[::-1]))
    return np.sum(rows[0] * rows[2]) + sum(np.sum(r ** 2) for r in rows)


def sorted_column(x):
    # sorted rows of a column: items that are arrays (their tangents are pieces, one per
    # row, as their adjoints are; a matrix of them gave a wrong second derivative)
    s = sorted(np.reshape(x * x, (4, 1)))
    return np.sum(s[0] * s[3]) + np.sum(s[1] ** 3)


def sorted_list_of_an_array(x):
    s = sorted(list(np.tanh(x)), key=lambda v: -v)
    return s[0] * 3.0 + s[1] * s[3]


@covers(("python", "items"))
@pytest.mark.parametrize("f", [list_of_an_array, tuple_of_a_list, rows_of_a_matrix,
                               sorted_list_of_an_array])
@FEW
@given(x=distinct(4))
def test_list_and_tuple_of_a_sequence(f, x):
    assert_grad(f, x)


def test_list_of_an_array_is_a_value_not_a_list_to_change():
    def appended(x):
        vs = list(x)
        vs.append(x[0])
        return vs[-1]

    with pytest.raises(ad.TransformError, match=r"vs.append"):
        ad.grad(appended)(np.ones(3))


def entries_of_a_vector(x):
    a, b, c, d = (x ** 2).tolist()
    return a * d + np.sin(b) * c + sum(v ** 3 for v in x.tolist())


def entries_reduced_by_numpy(x):
    return np.std(x.tolist()) + np.prod(np.tanh(x).tolist())


def entries_in_a_loop(x):
    total = 0.0
    for i, v in enumerate(x.tolist()):
        total = total + v * v * (i + 1)
    return total


@covers(("python", "tolist"))
@pytest.mark.parametrize("f", [entries_of_a_vector, entries_reduced_by_numpy,
                               entries_in_a_loop])
@FEW
@given(x=distinct(4))
def test_tolist_of_a_vector(f, x):
    assert_grad(f, x)


def entries_of_a_joined_array(x):
    # (the number of dimensions of what np.concatenate gives is known only when the code
    # runs: a vector here; for a matrix x, lists of its rows' entries)
    v = np.concatenate([x, x[:1]]).tolist()
    return np.sum(np.sin(v[0])) + np.sum(np.exp(v[2])) + v[1] * v[3] if x.ndim == 1 \
        else np.sum(np.sin(v[0]))


@covers(("generated", "entries_bar"), ("generated", "entries_dot"))
def test_tolist_where_the_dimensions_are_known_when_the_code_runs():
    x = np.array([0.3, -1.1, 0.8])
    assert "entries_bar" in ad.show(entries_of_a_joined_array, args=(x,))
    assert_grad(entries_of_a_joined_array, x)
    hessian_matches_fd(entries_of_a_joined_array, x)
    # (refused when the code runs, at the user's line, as where the ndim is known)
    at = rf"test_rules_selections.py:{entries_of_a_joined_array.__code__.co_firstlineno + 3}:"
    with pytest.raises(ValueError, match=at + r".* 1-d array x only(.|\n)*\.tolist\(\)"):
        ad.grad(entries_of_a_joined_array)(np.ones((4, 2)))
    with pytest.raises(ValueError, match=at + r"\d+: forward mode: .* 1-d array x only"):
        ad.jvp(entries_of_a_joined_array)(np.ones((4, 2)), np.ones((4, 2)))
    # the helpers are each other's transposes, and their own second derivatives
    x, g3 = np.array([0.3, -1.1, 0.8]), np.array([0.5, 2.0, -1.0])

    def through_the_helpers(x):
        back = runtime.entries_bar(x * x, x)
        along = runtime.entries_dot(np.sin(x), x)
        return np.sum(back * g3) * along[1] + along[0] * along[2]

    assert_grad(through_the_helpers, x)
    hessian_matches_fd(through_the_helpers, x)


def entries_of_a_matrix(x):
    rows = np.outer(x, x).tolist()
    return rows[0][1] * 2.0


def test_tolist_of_a_matrix_is_refused_at_its_line():
    with pytest.raises(ad.TransformError, match=r"1-d array x only") as info:
        ad.grad(entries_of_a_matrix)(np.ones(3))
    assert "rows = np.outer(x, x).tolist()" in str(info.value)
    with pytest.raises(ad.TransformError, match=r"forward mode: .*1-d array x only"):
        ad.jvp(entries_of_a_matrix)(np.ones(3), np.ones(3))


@covers(("generated", "extreme_bar"), ("generated", "extreme_dot"),
        ("generated", "sorted_bar"), ("generated", "sorted_dot"),
        ("generated", "items_bar"), ("generated", "items_dot"))
@pytest.mark.parametrize("f", [max_of_array, min_of_loop_list, sorted_list, list_of_an_array,
                               rows_of_a_matrix, sorted_column, entries_of_a_vector,
                               entries_reduced_by_numpy])
def test_second_derivatives_of_selections(f):
    hessian_matches_fd(f, np.array([0.3, -1.1, 0.8, 1.7]))


# ===========================================================================
# np.select (rewritten_calls.py writes it as np.where)
# ===========================================================================

def select_default(x):
    return np.sum(np.select([x > 0.5, x < -0.5], [x ** 2, np.sin(x)], default=x * 3.0))


def select_constant_default(x):
    return np.sum(np.select([x > 0.5, x < 1.0], [x ** 2, x * x * x], 7.0) * x)


@pytest.mark.parametrize("f", [select_default, select_constant_default])
@FEW
@given(x=distinct(5))
def test_select(f, x):
    assume(np.all(np.abs(np.abs(x) - 0.5) > 0.01) and np.all(np.abs(x - 1.0) > 0.01))
    assert_grad(f, x)


def select_of_a_list_variable(x):
    choices = [x, x * 2.0]
    return np.sum(np.select([x > 0, x < 0], choices))


def test_select_needs_list_literals():
    with pytest.raises(ad.TransformError, match="list literals"):
        ad.grad(select_of_a_list_variable)(np.ones(3))


# ===========================================================================
# arrays.py: np.partition, np.gradient, np.linspace
# ===========================================================================

def partition_case(x, kth, axis):
    return np.sum(np.partition(x, kth, axis=axis) * np.arange(1.0, 1.0 + x.size).reshape(x.shape))


def partition_flat(x):
    return np.sum(np.partition(x, 2, axis=None) ** 2 * np.arange(6.0))


@covers(("arrays", "partition"))
@FEW
@given(x=distinct(6))
def test_partition(x):
    assert_grad(partition_case, x, 2, -1)
    assert_grad(partition_case, x.reshape(2, 3), 1, 0)
    assert_grad(partition_case, x.reshape(2, 3), (0, 2), 1)
    assert_grad(partition_flat, x.reshape(3, 2))


def gradient_1d(x, h):
    return np.sum(np.gradient(x, h) ** 2 * x)


def gradient_coordinates(x):
    return np.sum(np.gradient(x, np.array([0.0, 0.5, 1.5, 1.7, 3.0]), edge_order=2) ** 2)


def gradient_2d(x):
    a, b = np.gradient(x)
    return np.sum(a * b * x) + np.sum(np.gradient(x, 0.5, axis=1) ** 3)


@covers(("arrays", "gradient"))
@FEW
@given(x=distinct(12))
def test_gradient(x):
    assert_grad(gradient_1d, x[:5], 0.3)
    assert_grad(gradient_coordinates, x[:5])
    assert_grad(gradient_2d, x.reshape(3, 4))


def gradient_two_spacings(x):
    return np.sum(np.gradient(x, 0.5, 2.0)[0])


def test_gradient_with_a_spacing_per_axis_is_refused():
    with pytest.raises(ad.TransformError, match="3 positional arguments"):
        ad.grad(gradient_two_spacings)(np.ones((3, 3)))


def linspace_both(a, b):
    return np.sum(np.linspace(a, b, 5) ** 2)


def linspace_open(a, b):
    return np.sum(np.sin(np.linspace(a, b, 4, endpoint=False)))


def linspace_arrays(a, b):
    return np.sum(np.linspace(a, b, 3, axis=1) ** 2 * np.arange(6.0).reshape(2, 3))


def linspace_one(a):
    return np.sum(np.linspace(a, 2.0, 1) ** 2)


@covers(("arrays", "linspace"))
@FEW
@given(a=st.floats(-2, 2), b=st.floats(-2, 2), v=distinct(2))
def test_linspace(a, b, v):
    assert_grad(linspace_both, a, b, wrt=(0, 1))
    assert_grad(linspace_open, a, b, wrt=(0, 1))
    assert_grad(linspace_arrays, v, b, wrt=(0, 1))
    assert_grad(linspace_one, a)


def linspace_typed(a, b):
    return np.sum(np.linspace(a, b, 5, dtype=np.float64) ** 2) \
        + np.sum(np.sin(np.linspace(b, a, 3, dtype=float)))


def linspace_rounded(a):
    return np.sum(np.linspace(0.0, a, 5, dtype=int) ** 2)


def linspace_asked(a, step):
    return np.sum(np.linspace(0.0, a, 5, retstep=step)[0] ** 2)


def test_linspace_dtype_and_retstep():
    """A real floating dtype written in the call is differentiated (a dtype but a string was
    let through, a string refused); an integer one, which rounds the values, refused;
    retstep given a variable refused when the code runs, at the user's line."""
    assert_grad(linspace_typed, 0.4, 1.7, wrt=(0, 1))
    with pytest.raises(ad.TransformError, match="dtype= of np.linspace .* real floating"):
        ad.grad(linspace_rounded)(2.0)
    line = linspace_asked.__code__.co_firstlineno + 1
    with pytest.raises(ValueError, match=rf"test_rules_selections.py:{line}:\d+: np.linspace "
                                         rf"with retstep=True is not differentiated"):
        ad.grad(linspace_asked)(2.0, True)


@covers(("generated", "gradient_bar"), ("generated", "gradient_of"))
def test_second_derivative_of_gradient():
    hessian_matches_fd(gradient_2d, np.array([[0.3, -1.1, 0.8], [1.7, 0.2, -0.6]]))


# ===========================================================================
# linalg.py: eig, eigvals, multi_dot
# ===========================================================================

NONSYMMETRIC = np.array([[2.0, 1.0, 0.0], [0.5, 3.0, 0.2], [0.1, 0.3, -1.0]])


def eig_values(x):
    w, V = np.linalg.eig(x)
    return np.sum(w ** 3)


def eig_vectors(x):
    # (a sign-free function of each eigenvector: V[:, k] is defined up to its sign)
    w, V = np.linalg.eig(x)
    return np.sum(V ** 2 * np.arange(9.0).reshape(3, 3)) + np.sum(w * np.array([1.0, 2.0, 3.0]))


def eigvals_case(x):
    return np.sum(np.linalg.eigvals(x) ** 2 * np.array([1.0, 2.0, 3.0]))


@covers(("linalg", "eig"), ("linalg", "eigvals"))
@FEW
@given(d=st.lists(st.floats(-0.3, 0.3), min_size=9, max_size=9).map(np.array))
def test_eig(d):
    x = NONSYMMETRIC + d.reshape(3, 3)
    w = np.linalg.eigvals(x)
    assume(not np.iscomplexobj(w) and np.min(np.abs(w[:, None] - w[None, :]) + np.eye(3)) > 0.3)
    for f in (eig_values, eig_vectors, eigvals_case):
        assert_grad(f, x, rtol=1e-4)


def test_eig_of_complex_eigenvalues_is_refused_when_run():
    rotation = np.array([[0.0, 1.0], [-1.0, 0.0]])
    for f in (eig_values, eigvals_case):
        with pytest.raises(ValueError, match="complex"):
            ad.grad(f)(np.pad(rotation, ((0, 1), (0, 1))) + np.diag([0.0, 0.0, 2.0]))


@covers(("generated", "real_eigen"))
def test_second_derivative_of_eig():
    hessian_matches_fd(eig_values, NONSYMMETRIC)


def multi_dot_chain(a, b, c):
    return np.sum(np.linalg.multi_dot([a, b, c, np.ones(2)]) ** 2)


def multi_dot_vectors(v, m):
    return np.linalg.multi_dot([v, m, m.T, v])


@covers(("linalg", "multi_dot"))
@FEW
@given(data=st.data())
def test_multi_dot(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    a, b, c = rng.normal(size=(4, 2)), rng.normal(size=(2, 5)), rng.normal(size=(5, 2))
    assert_grad(multi_dot_chain, a, b, c, wrt=(0, 1, 2))
    assert_grad(multi_dot_vectors, rng.normal(size=3), rng.normal(size=(3, 4)), wrt=(0, 1))


def test_multi_dot_adjoint_follows_the_cheapest_order():
    from adcompile.runtime.selections import _chain_order
    # (10 x 100) (100 x 5) (5 x 50): (AB)C costs 5000 + 2500, A(BC) 25000 + 50000
    assert _chain_order([10, 100, 5, 50])[0][2] == 1
    assert _chain_order([50, 5, 100, 10])[0][2] == 0


def multi_dot_scaled(w, a, b):
    return np.sum(w * np.linalg.multi_dot([a, b, a]))


@covers(("generated", "multi_dot_bar"))
def test_multi_dot_second_derivatives_are_refused():
    rng = np.random.default_rng(5)
    w, a, b = rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.normal(size=(3, 2))
    for wrt in (0, 1):
        with pytest.raises(ad.TransformError, match="multi_dot"):
            ad.jacobian(ad.grad(multi_dot_scaled, wrt=1), wrt=wrt)(w, a, b)


# ===========================================================================
# statistics.py: np.corrcoef
# ===========================================================================

def corrcoef_rows(x):
    return np.sum(np.corrcoef(x) ** 3 * np.arange(9.0).reshape(3, 3))


def corrcoef_columns(x):
    return np.sum(np.sin(np.corrcoef(x, rowvar=False)))


@covers(("statistics", "corrcoef"))
@FEW
@given(data=st.data())
def test_corrcoef(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    assert_grad(corrcoef_rows, rng.normal(size=(3, 5)))
    assert_grad(corrcoef_columns, rng.normal(size=(6, 2)))


# runtime.real_value: the check pipeline.guard_complex puts on values that may turn out
# complex (tests/test_complex.py); for a real value, the identity

def checked_identity(x, w):
    return np.sum(runtime.real_value(x, "x") ** 2 * w)


@covers(("generated", "real_value"))
@FEW
@given(data=st.data())
def test_the_check_is_the_identity_for_real_values(data):
    shape = data.draw(st.sampled_from([(), (3,), (2, 3)]))
    x = data.draw(arrays(shape, reals(-2, 2)))
    w = data.draw(arrays(shape, reals(0.5, 2)))
    g = assert_grad(checked_identity, x, w, wrt=(0, 1))
    np.testing.assert_allclose(g[0], 2.0 * x * w, rtol=1e-12)
    h = ad.hessian(checked_identity)(np.atleast_1d(x), np.atleast_1d(w))
    np.testing.assert_allclose(h, np.diag(2.0 * np.atleast_1d(w).ravel()).reshape(h.shape))
