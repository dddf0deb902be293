"""Programs written the way numeric Python is written, that adcompile refused although
they are common, or refused with a message that was not true.

- ``for i, x in enumerate(xs, start=1)`` (and ``enumerate(xs, 1)``, of ``zip`` too) was
  refused: "only 'for i, x in enumerate(xs)' is supported". The count is now the loop's
  step plus ``start``, an int known when transforming or a value not differentiated
  evaluated once before the loop, as Python does.
- A function whose default is a list, dict or set that calls change (``cache={}``,
  ``seen=[]``) was refused once it had run, saying its file had been edited after the
  import: the default's contents were compared with the literal in the file.
- ``S[np.diag_indices_from(S)] += lam`` (ridge and jitter terms), ``np.tril_indices_from``,
  ``np.triu_indices_from``, ``np.trunc``, ``np.rint``, ``np.fix`` and ``x.round()`` were
  refused for want of an adjoint rule: they are piecewise constant or give integers (zero
  gradient), as ``np.diag_indices``, ``np.floor`` and ``np.round`` already were.
- A list literal of tuples given to one of Python's functions (``sorted([(k, v), ...])``,
  ``list([(a, b), ...])``, ``tuple``, ``sum``) had each tuple made a NumPy array, as for
  NumPy's functions: ``list([(a, b), (c, d)])[0] * 2`` doubled a and b where Python repeats
  the tuple (a wrong value and gradient, with no error), and sorted compared arrays (a
  ValueError from the generated code). It is refused at the line.
- A list literal of lists or tuples of values being differentiated given straight to a
  function of the user's (``as_matrix([[c, -s], [s, c]])``, ``weighted([(a, b), ...])``,
  ``sorted([...], key=...)``) crashed when the code was emitted (AttributeError: 'Struct'
  object has no attribute '_fields'). A list of lists is passed on as the same list bound
  to a name is; a list of tuples is refused at the line, as one bound to a name is.
- ``sum(terms.values())``, ``list(params.values())``, ``max(d.values())`` of a dict being
  differentiated were refused (".values() of a value being differentiated is not
  supported"); given to Python's functions that read the items at once, the view is the
  list of the dict's items (keys, pairs).
- ``del G`` (freeing a temporary after its last use, ``del a, c`` at the end of a loop's
  body) was refused; a ``del`` of names only is dropped (it changes no value of a function
  that runs). ``del`` of an item, slice or attribute stays refused.
- Copies NumPy makes, written afterwards, were refused as if they could be views: an
  index with a list (``z = y[[0, 2]]``, ``Y[[0, 1], 1]``) and ``np.diag`` of a vector
  (``D = np.diag(x); D[0, 1] = v``). (``np.diag`` of a matrix is a view, and stays one.)
"""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import adcompile as ad
from conftest import assert_close, assert_grad, autograd_gradient, with_autograd_numpy
V = np.array([0.3, -1.2, 2.5, 0.7])
W = np.array([0.5, 1.5, -0.5, 2.0])
A = np.array([[0.5, -1.0, 0.25], [1.5, 0.75, -0.5], [0.2, 0.3, -0.9], [1.1, -0.6, 0.4]])


# -- enumerate with a start ---------------------------------------------------------------

def weighted_by_position(x):
    s = 0.0
    for i, v in enumerate(x, start=1):
        s = s + v * i
    return s ** 2


def powers_of_pairs(x, w):
    s = 0.0
    for k, (a, b) in enumerate(zip(x, w), 2):
        s = s + a * b ** k
    return s


def count_read_after_the_loop(x):
    hs = [x[0] * 1.0, x[1] ** 2, x[2]]
    total = 0.0
    for t, h in enumerate(hs, start=-1):
        total = total + h * t
    return total + t * x[3]


FIRST_STEP = 3


def start_from_a_global_with_break(x):
    acc = 0.0
    for i, v in enumerate(x[::-1], FIRST_STEP):
        acc = acc + np.sin(v) * i
        if i > 4:
            break
    return acc


def cumulative_energy_one_based(x):
    y = np.zeros(len(x) + 1)
    for i, v in enumerate(x, 1):
        y[i] = y[i - 1] + v ** 2
    return np.sum(y * np.arange(len(y)))


def rows_to_their_position(M):
    s = 0.0
    for i, row in enumerate(M, start=1):
        s = s + np.sum(row ** i)
    return s


@pytest.mark.parametrize("f, args, wrt", [
    (weighted_by_position, (V,), 0),
    (powers_of_pairs, (V, W), (0, 1)),
    (count_read_after_the_loop, (V,), 0),
    (start_from_a_global_with_break, (V,), 0),
    (rows_to_their_position, (np.abs(A) + 0.1,), 0),
])
def test_enumerate_with_a_start(f, args, wrt):
    got = assert_grad(f, *args, wrt=wrt)
    want = autograd_gradient(f, *args, wrt=wrt if isinstance(wrt, int) else wrt[0])
    assert_close(got if isinstance(wrt, int) else got[0], want, 1e-10, 1e-12)


def test_enumerate_with_a_start_into_a_preallocated_array():
    got = assert_grad(cumulative_energy_one_based, V)
    # (autograd assigns into no array it differentiates: y as the cumulative sum)
    assert_close(got, autograd.grad(lambda x: anp.sum(
        anp.concatenate([anp.zeros(1), anp.cumsum(x ** 2)]) * anp.arange(5)))(V), 1e-10, 1e-12)


def test_enumerate_start_is_read_once_before_the_loop():
    global FIRST_STEP
    try:
        FIRST_STEP = 1   # (read when the gradient runs, as the function reads it)
        got = ad.grad(start_from_a_global_with_break)(V)
        assert_close(got, np.cos(V) * np.arange(4, 0, -1), 1e-12, 1e-12)
    finally:
        FIRST_STEP = 3
    assert "FIRST_STEP" in ad.show(start_from_a_global_with_break, args=(V,))


def start_from_a_value_being_differentiated(x):
    s = 0.0
    for i, v in enumerate(x, start=x[0]):
        s = s + v * i
    return s


def enumerate_with_an_unknown_keyword(x):
    s = 0.0
    for i, v in enumerate(x, begin=1):
        s = s + v * i
    return s


@pytest.mark.parametrize("f, pattern", [
    (start_from_a_value_being_differentiated, "enumerate's start depends on a value being "
                                              "differentiated"),
    (enumerate_with_an_unknown_keyword, r"enumerate\(xs, start\) are supported"),
])
def test_enumerate_with_a_start_refused(f, pattern):
    with pytest.raises(ad.TransformError, match="test_hostile_probes_5.py:") as info:
        ad.grad(f)(V)
    assert info.match(pattern)
    assert "enumerate(x" in str(info.value)


# -- mutable default values ---------------------------------------------------------------

def remembered_calls(x, seen=[]):
    seen.append(1)
    return np.sum(x ** 2) * len(seen)


def scaled_by_options(x, opts={"scale": 2.0}):
    opts["calls"] = opts.get("calls", 0) + 1
    return np.sum(x ** 2) * opts["scale"]


def test_a_default_list_or_dict_changed_by_earlier_calls_is_not_an_edited_file():
    remembered_calls(V)
    scaled_by_options(V)
    calls = len(remembered_calls.__defaults__[0])
    got = ad.grad(remembered_calls)(V)   # (the call appends once more, as Python's does)
    assert_close(got, 2 * V * (calls + 1), 1e-12, 1e-12)
    assert len(remembered_calls.__defaults__[0]) == calls + 1
    got = ad.grad(scaled_by_options)(V)
    assert_close(got, autograd_gradient(scaled_by_options, V), 1e-12, 1e-12)
    assert_close(got, 4 * V, 1e-12, 1e-12)


# -- index and rounding functions: zero gradient ------------------------------------------

def ridge_inverse(M):
    S = M.T @ M
    S[np.diag_indices_from(S)] += 1.0
    return np.sum(np.linalg.inv(S))


def upper_triangle_energy(M):
    S = M.T @ M
    S[np.tril_indices_from(S, -1)] = 0.0
    return np.sum(S ** 2) + np.sum(S[np.triu_indices_from(S, 1)])


def rounded_levels(x):
    return (np.sum(np.trunc(x) * x) + np.sum(np.rint(x * 3) * x ** 2)
            + np.sum(np.fix(x) + x.round(1) * x) + np.sum(x.round() ** 2))


def test_diagonal_and_triangle_indices_of_a_matrix_being_differentiated():
    got = assert_grad(ridge_inverse, A)
    assert_close(got, autograd.grad(lambda M: anp.sum(anp.linalg.inv(M.T @ M + anp.eye(3))))(A),
                 1e-9, 1e-12)
    got = assert_grad(upper_triangle_energy, A)
    assert_close(got, autograd.grad(lambda M: anp.sum(anp.triu(M.T @ M) ** 2)
                                    + anp.sum(anp.triu(M.T @ M, 1)))(A), 1e-10, 1e-12)
    h = ad.hessian(ridge_inverse)(A)
    assert_close(h, autograd.hessian(lambda M: anp.sum(anp.linalg.inv(M.T @ M + anp.eye(3))))(A),
                 1e-8, 1e-10)


def test_rounding_functions_have_zero_gradient():
    x = np.array([0.33, -1.21, 2.37, 0.61])   # (away from the steps)
    got = assert_grad(rounded_levels, x)
    assert_close(got, autograd_gradient(rounded_levels, x), 1e-12, 1e-12)


# -- del of names ---------------------------------------------------------------------------

def gram_energy_freed(x):
    G = np.outer(x, x)
    s = np.sum(G ** 2)
    del G
    return s + np.sum(x)


def temporaries_freed_in_a_loop(x):
    h = x * 1.0
    total = 0.0
    for i in range(3):
        a = np.tanh(h)
        c = a * 2.0
        total = total + np.sum(c)
        h = h + c
        del a, c
    return total


def freed_in_one_branch_then_reassigned(x):
    t = x * 2
    if x[0] > 0:
        s = np.sum(t)
        del t
        t = x ** 3
    else:
        s = np.sum(t ** 2)
    return s + np.sum(t)


@pytest.mark.parametrize("f", [gram_energy_freed, temporaries_freed_in_a_loop,
                               freed_in_one_branch_then_reassigned])
def test_del_of_names_is_dropped(f):
    for x in (V, -V):
        got = assert_grad(f, x)
        assert_close(got, autograd_gradient(f, x), 1e-10, 1e-12)
    h = ad.hessian(f)(V)
    assert_close(h, with_autograd_numpy(globals(), autograd.hessian(f), V), 1e-9, 1e-12)


def item_deleted(x):
    d = {"a": x, "b": x * 2}
    del d["a"]
    return np.sum(d["b"])


def name_and_item_deleted(x):
    ys = [x * 1.0, x * 2.0]
    t = x ** 2
    del t, ys[0]
    return np.sum(ys[0])


@pytest.mark.parametrize("f", [item_deleted, name_and_item_deleted])
def test_del_of_an_item_is_refused(f):
    with pytest.raises(ad.TransformError, match=r"test_hostile_probes_5.py:\d+:\d+: del cannot"):
        ad.grad(f)(V)


# -- Python's functions given a list literal of tuples ----------------------------------

def repeated_pair(x):
    pairs = list([(x[0], x[1]), (x[2], x[0])])
    q = pairs[0] * 2   # (x0, x1, x0, x1): the generated code had 2 * [x0, x1]
    return q[1] * x[2]


def sorted_by_label(x):
    pairs = sorted([("b", np.sum(x ** 2)), ("a", np.sum(np.sin(x)))])
    return pairs[0][1] * 2.0 + pairs[1][1]


def sorted_by_first(x):
    pairs = sorted([(2, np.sum(x ** 2)), (1, np.sum(np.sin(x)))])
    return pairs[0][1] * 2.0 + pairs[1][1]


def pairs_concatenated(x):
    pairs = tuple([(x[0], x[1] ** 2), (x[2], x[0])])
    q = pairs[0] + pairs[1]   # (x0, x1 ** 2, x2, x0)
    return q[1] * q[2]


@pytest.mark.parametrize("f, line", [
    (repeated_pair, "pairs = list([(x[0], x[1]), (x[2], x[0])])"),
    (sorted_by_label, "pairs = sorted([(\"b\", np.sum(x ** 2))"),
    (sorted_by_first, "pairs = sorted([(2, np.sum(x ** 2))"),
    (pairs_concatenated, "pairs = tuple([(x[0], x[1] ** 2), (x[2], x[0])])"),
])
def test_a_python_function_given_tuples_of_values_being_differentiated_is_refused(f, line):
    with pytest.raises(ad.TransformError, match=r"test_hostile_probes_5.py:\d+:\d+: \w+ given "
                                                r"a list of tuples") as info:
        ad.grad(f)(V)
    assert line in str(info.value)


def numpy_given_tuples(x):
    R = np.array([(np.cos(x[0]), -np.sin(x[0])), (np.sin(x[0]), np.cos(x[0]))])
    return np.sum(R @ x[1:3]) + np.sum(np.stack([(x[0], x[1]), (x[2], x[3])]) ** 2)


def test_numpy_given_tuples_of_values_being_differentiated_makes_arrays_of_them():
    got = assert_grad(numpy_given_tuples, V)
    assert_close(got, autograd_gradient(numpy_given_tuples, V), 1e-12, 1e-12)


# -- a list literal of lists or tuples given to a function of the user's -------------------

def as_matrix(rows):
    return np.array(rows)


def rotated(x):
    R = as_matrix([[np.cos(x[0]), -np.sin(x[0])], [np.sin(x[0]), np.cos(x[0])]])
    return np.sum(R @ x[1:3]) + np.sum(as_matrix([[x[3], 1.0]]) ** 2)


def test_a_list_of_lists_written_in_the_call_is_passed_on():
    got = assert_grad(rotated, V)
    assert_close(got, autograd_gradient(rotated, V), 1e-12, 1e-12)


def constant_and_varied_rows(x):
    return np.sum(as_matrix([[1.0, 0.0], [x[0], x[1] ** 2]]) @ x[2:4])


def test_a_list_of_constant_and_varied_lists_written_in_the_call_is_refused_as_a_named_one():
    with pytest.raises(ad.TransformError, match=r"probes_5.py:\d+:\d+: a list holding both "
                                                r"lists and other values"):
        ad.grad(constant_and_varied_rows)(V)


def weighted(pairs):
    s = 0.0
    for a, b in pairs:
        s = s + a * b
    return s


def weighted_pairs_written_in_the_call(x):
    return weighted([(x[0], x[1] ** 2), (x[2], 2.0)])


def first_value(pairs):
    return pairs[0][1]


def first_of_pairs_written_in_the_call(x):
    return first_value([(x[0], x[1] ** 2), (x[2], 2.0)]) * 3.0


def sorted_pairs_by_key(x):
    pairs = sorted([(2, np.sum(x ** 2)), (1, np.sum(np.sin(x)))], key=lambda p: p[0])
    return pairs[0][1] * 2.0 + pairs[1][1]


@pytest.mark.parametrize("f", [weighted_pairs_written_in_the_call,
                               first_of_pairs_written_in_the_call, sorted_pairs_by_key])
def test_a_list_of_tuples_written_in_the_call_is_refused(f):
    with pytest.raises(ad.TransformError, match=r"test_hostile_probes_5.py:\d+:\d+: a list of "
                                                r"tuples .* not given to a function"):
        ad.grad(f)(V)


# -- dict views given to Python's functions ------------------------------------------------

def terms_summed(x):
    terms = {}
    terms["l2"] = np.sum(x ** 2)
    terms["l1"] = np.sum(np.abs(x))
    terms["l2"] = terms["l2"] * 0.5
    return sum(terms.values()) + max(terms.values()) * min(terms.values())


def pieces_joined(x):
    parts = {"head": x[:2] * 2.0, "tail": x[2:] ** 2}
    return np.sum(np.concatenate(list(parts.values())) ** 2) + len(parts.keys()) * x[0]


def penalty(params):
    return sum(np.sum(v ** 2) for v in params.values()) + np.sum(np.stack(
        tuple(params.values())) ** 3)


def test_dict_views_given_to_python_functions():
    for f in (terms_summed, pieces_joined):
        got = assert_grad(f, V)
        assert_close(got, autograd_gradient(f, V), 1e-12, 1e-12)
    params = {"w": V[:3], "b": W[:3]}
    got = ad.grad(penalty)(params)
    want = autograd_gradient(penalty, params)
    for k in params:
        assert_close(got[k], want[k], 1e-12, 1e-12)
        assert_close(got[k], 2 * params[k] + 3 * params[k] ** 2, 1e-12, 1e-12)


def view_kept_while_the_dict_grows(x):
    d = {"a": np.sum(x ** 2)}
    values = d.values()
    d["b"] = np.sum(x)   # (Python's view sees b too)
    return sum(values)


def test_a_dict_view_kept_is_still_refused():
    with pytest.raises(ad.TransformError, match=r"probes_5.py:\d+:\d+: method .values\(\)"):
        ad.grad(view_kept_while_the_dict_grows)(V)


# -- copies NumPy makes, written afterwards --------------------------------------------------

def picked_entries_written(x):
    y = x * 1.0
    z = y[[0, 2]]
    z[0] = 5.0 * x[1]
    return np.sum(z * y[1:]) + np.sum(y ** 2)


def picked_entries_then_array_written(x):
    Y = np.outer(x, x)
    z = Y[[0, 1], 1]
    Y[0, 1] = 3.0 * x[2]
    return np.sum(z ** 2) + np.sum(Y)


def diagonal_matrix_written(x):
    D = np.diag(x)
    D[0, 1] = x[2] ** 2
    return np.sum(D * np.outer(x, x))


def diagonal_of_a_matrix_then_matrix_written(x):
    A = np.outer(x, x)
    d = np.diag(A)   # a view of A: sees the write
    A[1, 1] = 4.0 * x[0]
    return np.sum(d ** 2)


@pytest.mark.parametrize("f", [picked_entries_written, picked_entries_then_array_written,
                               diagonal_matrix_written])
def test_copies_numpy_makes_written_afterwards(f):
    x = np.array([0.5, -1.5, 2.0])
    value, _ = ad.value_and_grad(f)(x)
    assert value == pytest.approx(f(x))
    assert_grad(f, x)


def test_the_diagonal_of_a_matrix_stays_a_view():
    with pytest.raises((ad.TransformError, TypeError), match="may share its memory"):
        ad.grad(diagonal_of_a_matrix_then_matrix_written)(np.array([0.5, -1.5, 2.0]))

