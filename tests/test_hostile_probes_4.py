"""Programs written the way numeric Python is written, that adcompile got wrong or crashed on.

- ``list(B)`` and ``tuple(B)`` of a matrix hold views of its rows, and ``list(hs)`` holds
  the arrays of ``hs``: changing ``B`` (or an array of ``hs``) in place changes what the
  list holds, and an item changed in place (``rows[0] += 1``) changes ``B``. The gradient
  computed those as new arrays: a wrong value and gradient, with no error.
"""

import autograd
import numpy as np
import pytest

import adcompile as ad
from conftest import assert_close, assert_grad, with_autograd_numpy

M = np.array([[1.0, 2.0, 0.5], [-0.7, 0.4, 1.3]])
V = np.array([0.3, -1.2, 2.5, 0.7])


def autograd_gradient(f, *args):
    return with_autograd_numpy(globals(), autograd.grad(f), *args)


# -- a list of an array's rows is a list of views of it ----------------------------------

def rows_then_matrix_changed(A):
    B = A * 1.0
    rows = list(B)
    B[0, 0] = 7.0 * A[1, 1]
    return np.sum(rows[0] ** 2)


def row_tuple_then_matrix_scaled(A):
    B = A * 1.0
    rows = tuple(B)
    B *= 2.0
    return np.sum(rows[1] ** 2)


def rows_of_an_argument_then_argument_changed(A):
    rows = list(A)
    A[0, 0] = 7.0
    return np.sum(rows[0] ** 2)


def list_of_arrays_copied_then_array_changed(x):
    a = x * 1.0
    hs = [a, x * 2.0]
    copied = list(hs)
    a[0] = 7.0
    return np.sum(copied[0] ** 2)


def row_of_the_list_updated(A):
    B = A * 1.0
    rows = list(B)
    rows[0] += 5.0
    return np.sum(B ** 2)


def piece_of_a_split_updated(A):
    B = A * 1.0
    pieces = np.split(B, 2)
    pieces[0] += 5.0
    return np.sum(B ** 2)


@pytest.mark.parametrize("f, arg, line", [
    (rows_then_matrix_changed, M, "B[0, 0] = 7.0 * A[1, 1]"),
    (row_tuple_then_matrix_scaled, M, "B *= 2.0"),
    (rows_of_an_argument_then_argument_changed, M, "A[0, 0] = 7.0"),
    (list_of_arrays_copied_then_array_changed, V, "a[0] = 7.0"),
    (row_of_the_list_updated, M, "rows[0] += 5.0"),
    (piece_of_a_split_updated, M, "pieces[0] += 5.0"),
])
def test_a_change_seen_through_a_list_of_views_is_refused(f, arg, line):
    with pytest.raises(ad.TransformError, match="test_hostile_probes_4.py:") as info:
        ad.grad(f)(arg.copy())
    assert line in str(info.value)


def entries_kept_while_the_vector_changes(x):
    # the entries of a 1-d array are NumPy scalars: the list keeps the old values
    y = x * 1.0
    entries = list(y)
    y[0] = 7.0
    return entries[0] ** 2 * np.sum(y * x)


def rows_only_read(A):
    rows = list(A * 2.0)
    B = A * 1.0
    B[0, 0] = 3.0
    return sum(np.sum(r ** 2) for r in rows) + np.sum(B * A)


def test_lists_that_share_nothing_with_the_changed_array_are_differentiated():
    assert_grad(entries_kept_while_the_vector_changes, V)
    assert_grad(rows_only_read, M)
