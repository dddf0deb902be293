"""Primitives whose result is a list or tuple (np.split and its kin, sorted, np.gradient of a
2-d array, eig, eigh, svd, slogdet), the result used more than once.

Each use gives the result's adjoint a term; a rule that cuts an adjoint into one piece per
item (``sum``, ``np.concatenate``, ``np.stack`` of the result) gives a list, which ``+``
joins end to end: these terms are put in an object array (``runtime.parts``) and add item
by item. Checked against central finite differences (reverse and forward mode), in loops,
and to second order (np.split's adjoint ``join_parts`` and its own adjoint ``cut_parts``);
autograd cases are in test_reference.py.
"""

import numpy as np
import pytest
from conftest import assert_close, assert_grad, numerical_grad
from test_rules import covers
from test_second_order import assert_second_order

import adcompile as ad
from adcompile import runtime

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

RNG = np.random.default_rng(5)
X4 = np.array([0.3, -1.2, 2.1, 0.7])
X24 = RNG.normal(size=(2, 4))
X224 = RNG.normal(size=(2, 2, 4))
M = RNG.normal(size=(3, 3))
X34 = np.array([[0.4, -1.0, 0.3, 2.0], [-0.7, 0.2, 1.1, -0.5], [1.3, 0.6, -0.9, 0.8]])
SPD = M @ M.T + 3.0 * np.eye(3)


def split_summed_twice(x):
    p = np.split(x, 2)
    return np.sum(sum(p)) + np.sum(sum(p) * x[:2])


def split_joined_and_summed(x):
    p = np.split(x, 2)
    return np.sum(np.concatenate(p) ** 2) + np.sum(sum(p))


def split_indexed_and_summed(x):
    p = np.split(x, 2)
    return np.sum(p[0] * p[1]) + np.sum(sum(p) ** 3)


def split_unpacked_and_stacked(x):
    a, b = np.split(x, 2)
    p = np.split(x, 2)
    return np.sum(a * b) + np.sum(np.stack(p) ** 2) + np.sum(np.hstack(p) * x) + np.sum(np.vstack(p))


def array_split_uneven(x):
    p = np.array_split(x, 3)
    return np.sum(np.concatenate(p) ** 2) + np.sum(p[0]) * np.sum(p[2]) + np.sum(p[1] ** 3)


def hsplit_twice(x):
    p = np.hsplit(x, 2)
    return np.sum(sum(p) ** 2) + np.sum(sum(p) * p[1])


def vsplit_twice(x):
    p = np.vsplit(x, 2)
    return np.sum(sum(p) ** 2) + np.sum(p[0] * p[1]) + np.sum(np.vstack(p) * x)


def dsplit_twice(x):
    p = np.dsplit(x, 2)
    return np.sum(sum(p) ** 2) + np.sum(p[0] * p[1])


def split_in_a_loop(x):
    p = np.split(x, 2)
    t = 0.0
    for i in range(3):
        t = t + np.sum(p[0] * p[1]) * i + np.sum(sum(p) ** 2)
    return t


def split_loop_over_pieces(x):
    p = np.split(x, 2)
    t = 0.0
    for piece in p:
        t = t + np.sum(piece ** 2)
    return t + np.sum(sum(p))


def split_in_branches(x):
    p = np.split(x, 2)
    if x[0] > 0:
        y = sum(p)
    else:
        y = p[0]
    return np.sum(y * sum(p))


def parts_named_by_the_user(x):
    parts = np.split(x, 2)
    join_parts = sum(parts)
    return np.sum(join_parts) + np.sum(sum(parts) ** 2)


def sorted_of_an_array(x):
    s = sorted(x)
    return s[0] * s[2] + sum(s) * sum(s)


def sorted_of_a_list_literal(x):
    s = sorted([x[0], x[1] * 2.0, x[2]])
    return s[0] * s[2] + sum(s) * sum(s)


def sorted_in_a_loop(x):
    s = sorted(x)
    t = 0.0
    for i in range(2):
        t = t + s[i] * s[i + 1] + sum(s)
    return t


def gradient_of_a_grid_twice(x):
    g = np.gradient(x)
    return np.sum(g[0] * g[1]) + np.sum(sum(g) ** 2) + np.sum(np.stack(g))


def eig_twice(a):
    w, v = np.linalg.eig(a)
    r = np.linalg.eig(a)
    return np.sum(r[0] * w) + np.sum(r[0]) ** 2 + np.sum(v[:, 0] * r[1][:, 0] * w[0])


def eigh_twice(a):
    w, v = np.linalg.eigh(a)
    r = np.linalg.eigh(a)
    return np.sum(r[0] * w) + np.sum(r[1][:, 0] ** 2 * r[0]) + np.sum(v[0] ** 3)


def slogdet_twice(a):
    r = np.linalg.slogdet(a)
    sign, logdet = np.linalg.slogdet(a)
    return r[1] * logdet + r[1] + sum(r)


def svd_twice(a):
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    r = np.linalg.svd(a, full_matrices=False)
    return np.sum(r[1] * s) + np.sum(r[0] @ np.diag(r[1]) @ r[2] * a) + np.sum(s)


CASES = [
    (split_summed_twice, X4), (split_joined_and_summed, X4), (split_indexed_and_summed, X4),
    (split_unpacked_and_stacked, X4), (array_split_uneven, np.append(X4, 0.4)),
    (hsplit_twice, X24), (vsplit_twice, X24), (dsplit_twice, X224), (split_in_a_loop, X4),
    (split_loop_over_pieces, X4), (split_in_branches, X4), (split_in_branches, -X4),
    (parts_named_by_the_user, X4), (sorted_of_an_array, X4), (sorted_of_a_list_literal, X4),
    (sorted_in_a_loop, X4), (gradient_of_a_grid_twice, X24), (eig_twice, SPD),
    (eigh_twice, SPD), (slogdet_twice, SPD), (svd_twice, M),
]


@covers(("generated", "parts"))
@pytest.mark.parametrize("f, x", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_a_sequence_result_used_twice(f, x):
    g = assert_grad(f, x)
    assert np.shape(g) == np.shape(x)


@covers(("generated", "join_parts"), ("generated", "parts"))
@pytest.mark.parametrize("f, x", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_second_order(f, x):
    assert_second_order(f, x)


def split_of_a_number(t):
    p = np.array_split(t * np.array([0.5, -1.0, 1.5, 0.5, 2.0]) + t * t, 2)
    return np.sum(p[0] ** 3) * np.sum(p[1] * p[1][0]) + np.sum(p[0] * t)


@covers(("generated", "cut_parts"), ("generated", "join_parts"))
def test_third_derivative_through_a_split():
    third = ad.grad(ad.grad(ad.grad(split_of_a_number)))(0.6)
    assert_close(third, numerical_grad(ad.grad(ad.grad(split_of_a_number)), (0.6,), 0),
                 1e-6, 1e-6)
    assert "cut_parts" in ad.show(ad.grad(ad.grad(split_of_a_number)), args=(0.6,))


def test_float32_is_kept():
    x = X4.astype(np.float32)
    for f in (split_summed_twice, split_indexed_and_summed, sorted_of_an_array):
        g = ad.grad(f)(x)
        assert g.dtype == np.float32, f.__name__
        assert_close(g, ad.grad(f)(X4), 1e-5, 1e-5)


def test_the_pieces_add_item_by_item():
    # two adjoints of a list result add as the items' adjoints, whatever their shapes
    a, b = np.ones(2), np.arange(3.0)
    total = runtime.parts([a, b]) + runtime.parts([b[:2], b])
    assert [np.shape(t) for t in total] == [(2,), (3,)]
    assert_close(total[0], a + b[:2], 0, 0)
    assert_close(total[1], 2 * b, 0, 0)
    # an array of pieces (the rows of an array) stays an array
    rows = np.ones((2, 3))
    assert runtime.parts(rows) is rows
    # join_parts and cut_parts are each other's transpose
    pieces = runtime.parts([np.ones((2, 1)), np.ones((2, 3))])
    g = RNG.normal(size=(2, 4))
    cut = runtime.cut_parts(g, pieces, 1)
    assert_close(runtime.join_parts(cut, 1), g, 0, 0)


# -- Python's operators on the lists and tuples primitives give ---------------------------


def repeated_sorted(x):
    return sorted(x) * 2          # Python repeats the list


def joined_pieces(x):
    return np.split(x, 2) + np.split(x * 2.0, 2)   # Python joins the lists


def repeated_copy(x):
    t = tuple(x)
    u = t
    return u * 2


def repeated_method_copy(x):
    s = sorted(x).copy()          # list.copy(): a list (it lost the mark: a wrong gradient)
    return s * 2


@pytest.mark.parametrize("f", [repeated_sorted, joined_pieces, repeated_copy,
                               repeated_method_copy])
def test_an_operator_on_a_list_a_primitive_gives_is_refused(f):
    # (it was taken for NumPy's elementwise operator: a gradient of the wrong shape, or of
    # the wrong values, for what Python computes as a longer list)
    def loss(x):
        return np.sum(np.array(f(x))[-1] * 3.0)

    with pytest.raises(ad.TransformError, match="applies an operator to a list or tuple"):
        ad.grad(loss)(X4)


def negated_array_of_sorted(x):
    return np.sum(-np.array(sorted(x)) * np.arange(4.0))


def test_an_operator_on_the_array_of_such_a_list_is_numpys():
    assert_grad(negated_array_of_sorted, X4)


# -- NumPy's functions of the lists and tuples primitives give ------------------------------
# (NumPy makes an array of the list; the adjoint of the function read the list's shape and
# dtype and failed when the gradient ran: the list goes through np.asarray's rule first)


def sum_of_sorted(x):
    return np.sum(sorted(x)) * np.sum(x ** 2)


def mean_of_list(x):
    return np.mean(list(x)) ** 2 + x[0]


def max_of_tuple(x):
    return np.max(tuple(x)) * x[1]


def prod_of_sorted(x):
    return np.prod(sorted(x))


def std_of_list(x):
    return np.std(list(x))


def named_sorted_reduced_twice(x):
    s = sorted(x)
    return np.std(s) + np.sum(s) * np.var(s) + np.dot(s, x)


def columns_of_rows(a):
    rows = list(a)
    return np.sum(np.sum(rows, axis=0) ** 2 * np.array([1.0, -2.0, 0.5, 3.0]))


def stacked_sorted_rows(a):
    return np.sum(np.stack(sorted(a, key=lambda r: r[0])) ** 2 * np.arange(4.0))


def slice_of_sorted(x):
    return np.sum(np.sin(sorted(x)[1:3])) + np.mean(sorted(x)[::-1][:2])


def differences_of_sorted(x):
    return np.sum(np.diff(sorted(x), prepend=0.0) ** 2) + np.trapezoid(sorted(x))


def logsumexp_of_list(x):
    from scipy.special import logsumexp
    return logsumexp(list(x))


def dot_method_of_list(x):
    return x.dot(list(x * x)) + np.square(tuple(x))[2]


def keyword_of_pieces(x):
    return np.sum(np.maximum(np.split(x, 2), 0.25) ** 2) + np.average(x, weights=list(x * x))


def builtins_keep_their_meaning(x):
    s = sorted(x)
    return sum(sorted(x)) * len(s) + max(s[0], s[1]) * sum(list(x))


LISTS_TO_NUMPY = [
    (sum_of_sorted, X4), (mean_of_list, X4), (max_of_tuple, X4), (prod_of_sorted, X4),
    (std_of_list, X4), (named_sorted_reduced_twice, X4), (columns_of_rows, X34),
    (stacked_sorted_rows, X34), (slice_of_sorted, X4), (differences_of_sorted, X4),
    (logsumexp_of_list, X4), (dot_method_of_list, X4), (keyword_of_pieces, X4),
    (builtins_keep_their_meaning, X4),
]


@pytest.mark.parametrize("f, x", LISTS_TO_NUMPY, ids=lambda v: getattr(v, "__name__", ""))
def test_numpy_of_a_list_a_primitive_gives(f, x):
    g = assert_grad(f, x)
    assert np.shape(g) == np.shape(x)


@pytest.mark.parametrize("f", [std_of_list, prod_of_sorted, named_sorted_reduced_twice,
                               differences_of_sorted, logsumexp_of_list])
def test_numpy_of_a_list_to_second_order(f):
    assert_second_order(f, X4)
    inner = ad.grad(f)
    assert_close(ad.grad(lambda x: np.sum(inner(x) ** 2))(X4),
                 numerical_grad(lambda x: np.sum(inner(x) ** 2), (X4,), 0), 1e-5, 1e-6)


def test_numpy_of_a_list_is_made_an_array_once():
    code = ad.show(std_of_list, args=(X4,))
    assert code.count("np.asarray(") == 1
    # Python's own functions take the list as it is
    assert "asarray" not in ad.show(builtins_keep_their_meaning, args=(X4,))


def reversed_sorted_times_weights(x):
    return np.sum(sorted(x)[::-1] * np.arange(4.0))


def test_an_operator_on_a_slice_of_such_a_list_is_refused():
    # (a slice of the list is a list: the product was taken for the elementwise one of an
    # array of the entries in sorted order, a wrong gradient)
    with pytest.raises(ad.TransformError, match="applies an operator to a list or tuple") \
            as info:
        ad.grad(reversed_sorted_times_weights)(X4)
    assert "sorted(x)[::-1] * np.arange(4.0)" in str(info.value)


# -- a list held in a name among the items of a NumPy join -------------------------------------

def lists_joined(x):
    # each list is the array NumPy makes of it: rows (2, 4) and pieces (2, 2) here
    rows = [x, 2.0 * x]
    pieces = np.split(x, 2)
    return (np.sum(np.concatenate([rows, rows]) ** 2) + np.sum(np.stack([rows, rows], axis=1) * x)
            + np.sum(np.array([pieces, pieces]) ** 3) + np.sum(np.vstack([rows, x]) ** 2))


def lists_summed(x):
    rows = [x, 2.0 * x]
    return np.sum(sum([rows, rows]))


def test_a_list_in_a_name_among_the_items_is_the_array_numpy_makes():
    """np.concatenate([rows, rows]) makes an array of each list (a silent zero gradient
    before: the list's items were not seen as being differentiated there)."""
    assert_grad(lists_joined, X4)
    assert_second_order(lists_joined, X4)
    # Python's sum adds the lists end to end (and fails on 0 + list): refused, not an array
    with pytest.raises(ad.TransformError, match="list of tuples"):
        ad.grad(lists_summed)(X4)
