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
- ``del G`` (freeing a temporary after its last use, ``del a, c`` at the end of a loop's
  body) was refused; a ``del`` of names only is dropped (it changes no value of a function
  that runs). ``del`` of an item, slice or attribute stays refused.
"""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import adcompile as ad
from conftest import assert_close, assert_grad, with_autograd_numpy

V = np.array([0.3, -1.2, 2.5, 0.7])
W = np.array([0.5, 1.5, -0.5, 2.0])
A = np.array([[0.5, -1.0, 0.25], [1.5, 0.75, -0.5], [0.2, 0.3, -0.9], [1.1, -0.6, 0.4]])


def autograd_gradient(f, *args, wrt=0):
    return with_autograd_numpy(globals(), autograd.grad(f, wrt), *args)


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
