"""Probe 8: in-place changes through every alias and view a user writes, values that
might be taken for constants, user-style models, second derivatives and the API's
``wrt``/``has_aux``/keyword forms, probing for silent wrong gradients and crashes.

Each program is checked by ``assert_grad`` (central finite differences in float64,
forward mode along random tangents, the call by keywords), many against autograd where
autograd runs the same code (no item assignment), some to second order.

What the probe found:

- backend="numba": a ``while True:`` loop left by a ``break`` (``n += 1; if n >= 4:
  break``) never left the loop in numba's compiled code and pushed onto the tape until
  memory ran out (numba reads the bytecode of a loop whose test Python compiled away
  wrongly). The lowering for numba now gives such a loop a name as its test
  (tests/test_numba_programs.py).
- backend="numba": the gradient of ``A.T.reshape(-1)`` (numba reshapes contiguous arrays
  only) raised NotImplementedError when it ran; the lowering reshapes a contiguous copy.
  (Both found by running this file's programs with backend="numba" as well.)
- ``B = A.copy(); B[0, :2] += v; return np.sum(B * A)``, with ``A`` a constant array and
  ``v`` differentiated (the usual order, ``ad.grad(f)(v, A)``), was refused: "'A', which
  may share its memory, is read afterwards" (a TypeError when the code ran for
  ``A.copy()``, a TransformError for ``A * 1.0``). The update of an array at an index
  was taken to change what the array "holds", as an update of a list's item does; it is
  differentiated now (tests/test_aliasing.py), a copy of a list of arrays still refused.

Everything else here was differentiated right, or refused at the user's line (the last
tests list the refusals, those made when transforming and those made when the code
runs). A gradient callable kept while a helper, a default or a method is redefined
computes the value and gradient of the function as it was made, consistently
(test_hostile.py pins that): not a wrong gradient, and not probed again here.
"""

import functools
import math
import operator
import types

import numpy as np
import pytest
from conftest import (assert_close, assert_grad, assert_hessian, assert_like_autograd,
                      autograd_gradient, numerical_grad)
from test_real_programs_ml import assert_leaves_close, leaf_gradients

import adcompile as ad

rng = np.random.default_rng(808)
X3 = rng.normal(size=3)
Y3 = rng.normal(size=3)
X4 = rng.normal(size=4)
X6 = rng.normal(size=6)
V2 = rng.normal(size=2)
M = rng.normal(size=(3, 3))
B43 = rng.normal(size=(4, 3))


def case_id(value):
    return getattr(value, "__name__", "")


# -- in-place changes through names, views and out= the analysis must see ------------------

def through_a_transpose(A):
    B = A.copy()
    C = B.T
    C[0] *= 2.0
    return np.sum(B * A)


def into_a_transpose_row(A):
    B = A.copy()
    C = B.T
    C[1] = C[2] * A[0, 0]
    return np.sum(B ** 2 * A)


def out_of_a_ufunc(x):
    y = np.zeros_like(x)
    np.multiply(x, x, out=y)
    return np.sum(y * x)


def out_is_the_input(x):
    y = x * 1.0
    np.sin(y, out=y)
    return np.sum(y * x)


def out_as_a_tuple(x):
    y = np.empty(3)
    np.add(x, x ** 2, out=(y,))
    return np.sum(y * x)


def out_given_by_position(x):
    y = np.empty(3)
    np.multiply(x, 2.0, y)
    return np.sum(y * x)


def negated_in_place(x):
    y = x * 1.0
    np.negative(y, out=y)
    return np.sum(y * x ** 2)


def matmul_into_a_buffer(A):
    C = np.empty((3, 3))
    np.matmul(A, A, out=C)
    return np.sum(C * A)


def copied_into(x):
    y = np.zeros(3)
    np.copyto(y, x ** 2)
    return np.sum(y * x)


def multiplied_where_positive(x):
    y = x * 1.0
    np.multiply(y, 3.0, out=y, where=y > 0)
    return np.sum(y * x)


def added_where_masked(x):
    y = np.zeros(3)
    z = np.add(x, 1.0, out=y, where=np.array([True, False, True]))
    return np.sum(z * x)


def divided_where_safe(x):
    y = np.zeros(3)
    np.divide(1.0, x, out=y, where=np.abs(x) > 0.2)
    return np.sum(y * x ** 2)


def head_of(v):
    return v[:2]


def changed_through_a_helpers_view(x):
    y = x * 1.0
    h = head_of(y)
    h += 1.0
    h *= y[2]
    return np.sum(y ** 2)


def filled_by_ellipsis(x):
    y = np.empty(3)
    y[...] = x * 2.0
    return np.sum(y ** 2)


def added_into_every_entry(x):
    y = x * 1.0
    y[:] += x ** 2
    return np.sum(y * x)


def argument_changed_through_its_view(x):
    v = x[1:]
    v *= 2.0
    return np.sum(x ** 2)


def argument_scaled_by_its_sum(x):
    s = np.sum(x)
    x *= s
    return np.sum(x)


def changed_in_a_loop_and_branch(x):
    y = x * 1.0
    for i in range(4):
        if i % 2 == 0:
            y[i % 3] *= y[(i + 1) % 3]
        else:
            y[:] = np.tanh(y)
    return np.sum(y)


def product_read_then_changed(x):
    y = x * 1.0
    z = y * y
    y += 1.0
    return np.sum(z * y)


def diagonal_by_einsum_read(A):
    B = A.copy()
    d = np.einsum("ii->i", B)
    return np.sum(d * A[0])


def asarray_of_a_local(x):
    y = x * 1.0
    z = np.asarray(y)
    z[0] = 5.0 * x[1]
    return np.sum(y * x)


def reversed_view_written(x):
    y = x * 1.0
    r = y[::-1]
    r[0] = r[1] * 2.0
    return np.sum(y * np.arange(1.0, 5.0))


def fancy_copy_scaled(x):
    y = x * 1.0
    z = y[[0, 2]]
    z *= 10.0
    return np.sum(y * x) + np.sum(z)


def masked_entries_scaled(x):
    y = x * 1.0
    y[y > 0] *= 3.0
    return np.sum(y * x)


def diagonal_filled(A):
    B = A.copy()
    np.fill_diagonal(B, A[0, 1])
    return np.sum(B * A)


def scattered_by_add_at(x):
    y = np.zeros(3)
    np.add.at(y, [0, 0, 2], x ** 2)
    return np.sum(y * x)


def rows_swapped_by_tuple(A):
    B = A.copy()
    B[0], B[1] = B[1], B[0]
    return np.sum(B * A)


def rows_swapped_by_fancy_index(A):
    B = A.copy()
    B[[0, 1]] = B[[1, 0]]
    return np.sum(B * A)


def block_of_a_view_updated(A):
    B = A.copy()
    V = B[1:, 1:]
    V[0] += V[1] * B[0, 0]
    return np.sum(B ** 2)


def sorted_in_place(x):
    y = x * 1.0
    y.sort()
    return np.sum(y * np.arange(4.0))


def columns_sorted_in_place(A):
    B = A * 1.0
    B.sort(axis=0)
    return np.sum(B * np.arange(9.0).reshape(3, 3))


def filled_with_an_entry(x):
    y = x * 1.0
    y.fill(x[0])
    return np.sum(y * x)


def entries_written_in_turn(x):
    y = x * 1.0
    y[-1] = y[0] + y[1]
    y[0] = y[-1] * 2
    return np.sum(y * x)


def row_then_entry_written(A):
    B = A.copy()
    B[0][1] = B[2][2] * 3.0
    return np.sum(B * A)


def chained_assignment(x):
    a = b = np.zeros(3)
    a[0] = x[0] ** 2
    return np.sum(b * x)


def same_array_unpacked_twice(x):
    y = x * 1.0
    a, b = y, y
    a += x
    return np.sum(b * x)


def whole_slice_is_a_view(x):
    y = x * 1.0
    v = y[:]
    v *= x
    return np.sum(y)


def rows_changed_while_zipped(A):
    B = A * 1.0
    for r, w in zip(B, A):
        r += w ** 2
    return np.sum(B)


def rows_scaled_by_their_first_entry(A):
    B = A * 1.0
    for r in B:
        r *= r[0]
    return np.sum(B * A)


def rows_written_while_enumerated(A):
    B = A * 1.0
    for i, r in enumerate(B):
        r[:] = r * (i + 1) + A[i, i]
    return np.sum(B ** 2)


def numpy_scalars_updated(x):
    s = np.sum(x)
    s += 1.0
    t = x[0]
    t *= 3.0
    return s * t + np.sum(x)


def one_entry_view_scaled(x):
    y = x * 1.0
    s = y[0:1]
    s *= 4.0
    return np.sum(y * x)


def broadcast_then_column_updated(A, v):
    B = A * 1.0
    B += v
    B[:, 0] -= v
    return np.sum(B ** 2)


VIEWS = [
    (through_a_transpose, (M,), 0), (into_a_transpose_row, (M,), 0),
    (out_of_a_ufunc, (X3,), 0), (out_is_the_input, (X3,), 0), (out_as_a_tuple, (X3,), 0),
    (out_given_by_position, (X3,), 0), (negated_in_place, (X3,), 0),
    (matmul_into_a_buffer, (M,), 0), (copied_into, (X3,), 0),
    (multiplied_where_positive, (X3,), 0), (added_where_masked, (X3,), 0),
    (divided_where_safe, (X3,), 0), (changed_through_a_helpers_view, (X3,), 0),
    (filled_by_ellipsis, (X3,), 0), (added_into_every_entry, (X3,), 0),
    (argument_changed_through_its_view, (X3,), 0), (argument_scaled_by_its_sum, (X3,), 0),
    (changed_in_a_loop_and_branch, (X3,), 0), (product_read_then_changed, (X3,), 0),
    (diagonal_by_einsum_read, (M,), 0), (asarray_of_a_local, (X3,), 0),
    (reversed_view_written, (X4,), 0), (fancy_copy_scaled, (X3,), 0),
    (masked_entries_scaled, (X3,), 0), (diagonal_filled, (M,), 0),
    (scattered_by_add_at, (X3,), 0), (rows_swapped_by_tuple, (M,), 0),
    (rows_swapped_by_fancy_index, (M,), 0), (block_of_a_view_updated, (M,), 0),
    (sorted_in_place, (X4,), 0), (columns_sorted_in_place, (M,), 0),
    (filled_with_an_entry, (X3,), 0), (entries_written_in_turn, (X3,), 0),
    (row_then_entry_written, (M,), 0), (chained_assignment, (X3,), 0),
    (same_array_unpacked_twice, (X3,), 0), (whole_slice_is_a_view, (X3,), 0),
    (rows_changed_while_zipped, (M,), 0), (rows_scaled_by_their_first_entry, (M,), 0),
    (rows_written_while_enumerated, (M,), 0), (numpy_scalars_updated, (X3,), 0),
    (one_entry_view_scaled, (X3,), 0), (broadcast_then_column_updated, (M, X3), (0, 1)),
]


@pytest.mark.parametrize("f, args, wrt", VIEWS, ids=case_id)
def test_changes_through_views_and_other_names(f, args, wrt):
    assert_grad(f, *args, wrt=wrt)


# -- a value read (by the tape too) before its array changes under it -----------------------

def view_read_then_base_changed(x):
    y = x * 1.0
    r = y[0:2]
    z = np.sum(r * x[:2])
    y[0] = 5.0 * x[2]
    return z + np.sum(y * x)


def view_read_then_base_scaled(x):
    y = x * 1.0
    r = y[1:]
    z = np.sum(np.sin(r) * r)
    y *= 3.0
    return z + np.sum(y)


def row_read_then_matrix_changed(A):
    B = A * 1.0
    r = B[1]
    s = r @ A[0]
    B[1, :] = B[1, :] ** 2
    return s * np.sum(B)


def transpose_read_then_changed(A):
    B = A * 1.0
    T = B.T
    s = np.sum(T * A)
    B[0, 1] = A[2, 2] ** 3
    return s + np.sum(B ** 2)


def read_each_step_then_changed(x):
    y = x * 1.0
    acc = 0.0
    for i in range(3):
        acc = acc + np.sum(y * y * x)
        y[i] = np.sin(y[i]) * x[(i + 1) % 3]
    return acc + np.sum(y)


def view_read_each_step(x):
    y = x * 1.0
    acc = 0.0
    for _ in range(3):
        v = y[:2]
        acc = acc + np.sum(v * np.cos(v))
        y[:] = y * 1.5 + x
    return acc


def row_views_feed_the_next_row(A):
    B = A * 1.0
    acc = 0.0
    for i in range(3):
        r = B[i]
        acc = acc + np.sum(r ** 3)
        B[(i + 1) % 3] += r
    return acc + np.sum(B)


def changed_until_a_break(x):
    y = x * 1.0
    n = 0
    acc = 0.0
    while True:
        acc = acc + np.sum(y ** 2)
        y[n % 3] *= 0.5 + y[(n + 1) % 3] ** 2
        n += 1
        if n >= 4:
            break
    return acc


def entries_from_their_transposes(A):
    B = A * 1.0
    for i in range(3):
        for j in range(3):
            if i != j:
                B[i, j] = B[i, j] * B[j, i] + B[i, i]
    return np.sum(B ** 2)


def reshaped_read_then_changed(x):
    y = x * 1.0
    R = y.reshape(2, 2)
    s = np.sum(R @ R)
    y[3] = x[0] ** 2
    return s + np.sum(y * x)


def reciprocal_kept(x):
    y = x * 1.0 + 2.0
    z = 1.0 / y
    y[0] = 10.0
    return np.sum(z) + np.sum(y * x)


def largest_replaced(x):
    y = x * 1.0
    m = np.max(y)
    y[np.argmax(y)] = -5.0
    return m * np.sum(y * x)


def sorted_copy_kept(x):
    y = x * 1.0
    s = np.sort(y)
    y[0] += 3.0
    return np.sum(s * np.arange(4.0)) + np.sum(y ** 2)


def product_of_matrices_kept(A):
    B = A * 1.0
    C = B @ B
    B[0] = 0.0
    return np.sum(C * A) + np.sum(B ** 2)


def mask_kept_then_negated(x):
    y = x * 1.0
    mask = y > 0
    y[:] = -y
    return np.sum(np.where(mask, y, 2 * y) * x)


def absolute_value_kept(x):
    y = x * 1.0
    a = np.abs(y)
    y *= -1.0
    return np.sum(a * x) + np.sum(y)


def index_of_the_changed_array(x):
    y = x * 1.0
    i = np.argmax(y)
    y[i] = -10.0
    j = np.argmax(y)
    return y[j] * x[i]


READ_THEN_CHANGED = [
    (view_read_then_base_changed, (X3,)), (view_read_then_base_scaled, (X3,)),
    (row_read_then_matrix_changed, (M,)), (transpose_read_then_changed, (M,)),
    (read_each_step_then_changed, (X3,)), (view_read_each_step, (X3,)),
    (row_views_feed_the_next_row, (M,)), (changed_until_a_break, (X3,)),
    (entries_from_their_transposes, (M,)), (reshaped_read_then_changed, (X4,)),
    (reciprocal_kept, (X3,)), (largest_replaced, (X3,)), (sorted_copy_kept, (X4,)),
    (product_of_matrices_kept, (M,)), (mask_kept_then_negated, (X3,)),
    (absolute_value_kept, (X3,)), (index_of_the_changed_array, (X3,)),
]


@pytest.mark.parametrize("f, args", READ_THEN_CHANGED, ids=case_id)
def test_values_read_before_their_array_changed(f, args):
    assert_grad(f, *args)


@pytest.mark.parametrize("f, args", [READ_THEN_CHANGED[i] for i in (0, 4, 10)],
                         ids=case_id)
def test_values_read_before_their_array_changed_second_order(f, args):
    assert_hessian(f, *args)


# -- writes at repeated, negative and fancy indices (NumPy's last write wins) ---------------

def set_at_an_index_and_its_negative(x, v):
    y = x * 1.0
    y[[2, -1]] = v
    return np.sum(y * x)


def added_at_an_index_and_its_negative(x, v):
    y = x * 1.0
    y[[2, -1]] += v
    return np.sum(y * x)


def added_at_an_index_array(x, v):
    y = x * 1.0
    idx = np.array([0, -3])
    y[idx] += v ** 2
    return np.sum(y * x)


def scaled_at_a_repeated_index(x, v):
    y = x * 1.0
    y[[1, 1]] *= v
    return np.sum(y * x)


def gathered_with_repeats(x, v):
    return np.sum(x[[2, -1, 0]] * np.array([1.0, 2.0, 3.0])) * np.sum(v)


def outer_written_by_ix(A, v):
    B = A * 1.0
    B[np.ix_([0, 2], [1, 2])] = np.outer(v, v)
    return np.sum(B * A)


def added_by_ix_with_a_repeated_row(A, v):
    B = A * 1.0
    B[np.ix_([0, 0], [1, 2])] += np.outer(v, v)
    return np.sum(B * A)


def masked_entries_from_another(x, w):
    y = x * 1.0
    m = x > 0
    y[m] = w[m] ** 2
    return np.sum(y * x)


def pairs_added_with_repeats(A, v):
    B = A * 1.0
    B[[0, 0, 1], [1, 1, 2]] += np.array([v[0], v[1], v[0] * v[1]])
    return np.sum(B * A)


def pairs_set_at_negative_repeats(A, v):
    B = A * 1.0
    B[[0, -3], [2, -1]] = v
    return np.sum(B * A)


def strided_then_last_updated(x, v):
    y = x * 1.0
    y[::2] += v
    y[-1:] *= v[0]
    return np.sum(y * x)


def repeated_rows_added(A, v):
    B = A * 1.0
    B[[2, -1]] += v[0] * A[0]
    return np.sum(B * A)


def repeats_added_in_a_loop(x, v):
    y = x * 1.0
    for k in range(2):
        y[[k, k - 3]] += v[k]
    return np.sum(y * x)


def set_by_a_list_of_booleans(x, v):
    y = x * 1.0
    y[[True, False, True]] = v
    return np.sum(y * x)


def set_then_added_at_the_same_entry(x, v):
    y = x * 1.0
    y[2] = v[0]
    y[-1] += v[1]
    return np.sum(y * x)


INDEX_WRITES = [
    set_at_an_index_and_its_negative, added_at_an_index_and_its_negative,
    added_at_an_index_array, scaled_at_a_repeated_index, gathered_with_repeats,
    masked_entries_from_another, strided_then_last_updated, repeats_added_in_a_loop,
    set_by_a_list_of_booleans, set_then_added_at_the_same_entry,
]
MATRIX_INDEX_WRITES = [outer_written_by_ix, added_by_ix_with_a_repeated_row,
                       pairs_added_with_repeats, pairs_set_at_negative_repeats,
                       repeated_rows_added]


@pytest.mark.parametrize("f", INDEX_WRITES, ids=case_id)
def test_writes_at_repeated_and_negative_indices(f):
    second = Y3 if f is masked_entries_from_another else V2
    assert_grad(f, X3, second, wrt=(0, 1))


@pytest.mark.parametrize("f", MATRIX_INDEX_WRITES, ids=case_id)
def test_matrix_writes_at_repeated_and_negative_indices(f):
    assert_grad(f, M, V2, wrt=(0, 1))
    if f in (outer_written_by_ix, added_by_ix_with_a_repeated_row):
        assert_hessian(f, M, V2, wrt=1)


# -- values that must not be taken for constants ----------------------------------------------

SCALE = np.array([1.0, 2.0, 3.0])


def weighted_by_a_global(x):
    return np.sum(SCALE * x ** 2)


def closure_of(w):
    def weighted_sines(x):
        return np.sum(w * np.sin(x))
    return weighted_sines


def distance_from(x0):
    def misfit(x):
        return np.sum((x - x0) ** 2) * np.sum(x0)
    return misfit


def default_weights(x, w=np.array([1.0, -2.0, 0.5])):
    return np.dot(w, x) ** 2


def by_the_operator_module(x):
    return np.sum(operator.add(operator.mul(x, x), operator.neg(x))) \
        + operator.truediv(x[0], x[1]) + np.sum(operator.pow(x, 3))


def reduced_by_multiplication(x):
    return functools.reduce(operator.mul, [x[0], x[1], x[2]])


def reduced_by_a_lambda(x):
    return functools.reduce(lambda a, b: a * b + 1.0, x)


def math_beside_numpy(x):
    return math.exp(x[0]) * np.exp(x[1]) + math.hypot(x[0], x[2]) + math.atan2(x[1], x[2])


def more_math(x):
    return (math.log1p(x[0] ** 2) + math.sqrt(1 + x[1] ** 2) * math.erf(x[2])
            + math.fabs(x[0]) + math.copysign(2.0, x[1]) * x[1])


def reductions_as_methods(A):
    return A.sum() + A.sum(axis=0).dot(A[:, 1]) + A.prod() + A.mean(axis=1).max()


def trace_of_a_method_product(A):
    return A.dot(A.T).trace()


def clipped_by_method(x):
    return np.sum(x.clip(-0.3, 0.3) * x) + np.sum(x.clip(min=0.0) ** 2)


def cumulative_methods(x):
    return np.sum(x.cumsum() ** 2) + np.sum(x.cumprod())


def column_products(A):
    return A.prod(axis=0).sum()


def spreads_by_method(A):
    return A.std() + A.var(axis=0).sum() + A.std(ddof=1)


def transposes_by_attribute(A):
    return np.sum(A.T @ A * A.T)


def cast_to_its_own_type(x):
    return np.sum(x.astype(np.float64) ** 2)


def item_times_entry(x):
    return x[1].item() * x[0]


def through_a_python_list(x):
    items = x.tolist()
    return items[0] * items[1] + sum(items)


def taken_in_sorted_order(x):
    return np.sum(x.take(x.argsort()) * np.arange(4.0))


def repeated_by_method(x):
    return np.sum(x.repeat(2) * np.arange(6.0))


def column_squeezed(x):
    return np.sum(x.reshape(-1, 1).squeeze() ** 3)


def checked_by_all(x):
    return np.sum(x ** 2) if (x > -10).all() else 0.0


def flattened(A):
    return np.sum(A.flatten() * np.arange(9.0))


def diagonal_by_method(A):
    return np.sum(A.diagonal() ** 2) + A.trace()


def positive_by_nonzero(x):
    return np.sum(x[(x > 0).nonzero()] ** 2)


def row_maxima_times_column_minima(A):
    return np.sum(A.max(axis=1) * A.min(axis=0))


def entry_at_the_argmax(A):
    return A[A.argmax() // 3, A.argmax() % 3] * A[0, 0]


def transposed_by_method(A):
    return np.sum(A.transpose(1, 0) * np.arange(9.0).reshape(3, 3))


def chain_of_methods(x):
    return np.sum(x.copy().reshape(2, 2).T.ravel() * np.arange(4.0))


def python_builtins(x):
    return abs(x[0]) + sum(abs(x)) + max(x[1], x[2]) + min(x)


def python_powers(x):
    return pow(x[0], 2) + pow(abs(x[1]), 0.5) + round(3.0) * x[2]


def floor_and_remainder(x):
    return (x[0] // 1.0) * x[1] + (x[0] % 1.0) * x[2]


CONSTANTS_OR_NOT = [
    (weighted_by_a_global, X3), (closure_of(np.array([0.5, -1.0, 2.0])), X3),
    (distance_from(np.array([0.1, 0.2, 0.3])), X3), (default_weights, X3),
    (by_the_operator_module, X3), (reduced_by_multiplication, X3), (reduced_by_a_lambda, X3),
    (math_beside_numpy, X3), (more_math, X3), (reductions_as_methods, M),
    (trace_of_a_method_product, M), (clipped_by_method, X3), (cumulative_methods, X3),
    (column_products, M), (spreads_by_method, M), (transposes_by_attribute, M),
    (cast_to_its_own_type, X3), (item_times_entry, X3), (through_a_python_list, X3),
    (taken_in_sorted_order, X4), (repeated_by_method, X3), (column_squeezed, X3),
    (checked_by_all, X3), (flattened, M), (diagonal_by_method, M), (positive_by_nonzero, X3),
    (row_maxima_times_column_minima, M), (entry_at_the_argmax, M), (transposed_by_method, M),
    (chain_of_methods, X4), (python_builtins, X3), (python_powers, X3),
    (floor_and_remainder, X3 + 5.0),
]


@pytest.mark.parametrize("f, x", CONSTANTS_OR_NOT, ids=case_id)
def test_values_that_are_not_constants(f, x):
    assert_grad(f, x)


def test_the_default_array_when_passed_is_differentiated():
    assert_grad(default_weights, X3, Y3, wrt=(0, 1))


COUNT = 1
FLAG = True
SCALAR = np.float64(2.0)
CONFIG = types.SimpleNamespace(lam=0.1, power=2)
WEIGHTS = {"a": 1.0}
COEFFS = [1.0]


def iterated_a_global_number_of_times(x):
    y = x
    for _ in range(COUNT):
        y = np.sin(y)
    return np.sum(y) * SCALAR


def flagged_and_configured(x):
    base = np.sum(x ** 2) if FLAG else np.sum(x ** 3)
    return base * WEIGHTS["a"] + CONFIG.lam * np.sum(x ** CONFIG.power)


def series_of_coefficients(x):
    return sum(c * np.sum(x ** (i + 1)) for i, c in enumerate(COEFFS))


class Scaled:
    scale = 1.0

    def loss(self, x):
        return self.scale * np.sum(x ** 3)


def loss_of(x, model):
    return model.loss(x)


def counter():
    n = 1

    def stepped(x):
        y = x
        for _ in range(n):
            y = np.cos(y) + y
        return np.sum(y)

    def set_n(v):
        nonlocal n
        n = v
    return stepped, set_n


def test_globals_closures_and_attributes_changed_between_calls():
    global COUNT, FLAG, SCALAR, COEFFS
    g = ad.grad(iterated_a_global_number_of_times)
    h = ad.grad(flagged_and_configured)
    s = ad.grad(series_of_coefficients)
    try:
        for count, flag, scalar, lam, power, a, coeffs in [
                (1, True, 2.0, 0.1, 2, 1.0, [1.0]), (3, False, 3.0, 1.0, 3, 4.0, [1.0, 2.0])]:
            COUNT, FLAG, SCALAR, COEFFS = count, flag, np.float64(scalar), coeffs
            CONFIG.lam, CONFIG.power, WEIGHTS["a"] = lam, power, a
            for grad, f in [(g, iterated_a_global_number_of_times), (h, flagged_and_configured),
                            (s, series_of_coefficients)]:
                assert_close(grad(X3), numerical_grad(f, (X3,), 0))
    finally:
        COUNT, FLAG, SCALAR, COEFFS = 1, True, np.float64(2.0), [1.0]
        CONFIG.lam, CONFIG.power, WEIGHTS["a"] = 0.1, 2, 1.0
    model = Scaled()
    g = ad.grad(loss_of)
    assert_close(g(X3, model), 3 * X3 ** 2, 1e-12, 1e-12)
    try:
        Scaled.scale = 2.0
        assert_close(g(X3, model), 6 * X3 ** 2, 1e-12, 1e-12)
        model.scale = 5.0
        assert_close(g(X3, model), 15 * X3 ** 2, 1e-12, 1e-12)
    finally:
        Scaled.scale = 1.0
    stepped, set_n = counter()
    g = ad.grad(stepped)
    for n in (1, 3):
        set_n(n)
        assert_close(g(X3), numerical_grad(stepped, (X3,), 0))


# -- keyword arguments of NumPy's functions that change the derivative -----------------------

MASK3 = np.array([True, False, True])


def summed_where(x):
    return np.sum(x ** 2, where=MASK3)


def maxima_with_initial_values(x):
    return np.max(x, initial=0.5) + np.sum(x, initial=2.0) * x[0]


def accumulated_by_ufuncs(x):
    return (np.sum(np.add.accumulate(x) ** 2) + np.multiply.reduce(x)
            + np.sum(np.maximum.accumulate(x) * x))


def reduced_by_ufuncs_along_axes(A):
    return np.sum(np.add.reduce(A, axis=1) ** 2) + np.sum(np.multiply.accumulate(A, axis=0))


def differences_with_ends(x):
    return np.sum(np.diff(x, prepend=x[-1]) ** 2) + np.sum(np.diff(x, n=2, append=0.0) ** 2)


def norms_of_every_order(A):
    return (np.linalg.norm(A, ord=1) + np.linalg.norm(A, ord=np.inf)
            + np.linalg.norm(A[0], ord=3) + np.sum(np.linalg.norm(A, axis=0, keepdims=True))
            + np.linalg.norm(A, "fro") + np.linalg.norm(A[1], ord=1))


def spectral_and_nuclear_norms(A):
    return np.linalg.norm(A, ord=2) + np.linalg.norm(A, ord="nuc")


def variances_with_ddof(A):
    return np.sum(np.var(A, ddof=1, axis=0, keepdims=True) ** 2) + np.std(A, ddof=2)


def weighted_averages(A, w):
    return np.average(A[0], weights=w) + np.sum(np.average(A, weights=w, axis=0) ** 2)


def padded_every_way(x):
    return (np.sum(np.pad(x, (1, 2), mode="reflect") * np.arange(6.0))
            + np.sum(np.pad(x, 2, mode="edge") * np.arange(7.0))
            + np.sum(np.pad(x, 1, mode="wrap") * np.arange(5.0))
            + np.sum(np.pad(x, 1, mode="symmetric") ** 3))


def filled_with_entries(x):
    return np.sum(np.full(3, x[0]) * x) + np.sum(np.full_like(x, x[1]) ** 2)


def selected_pieces(x):
    return np.sum(np.select([x < 0, x < 0.5], [x ** 2, np.sin(x)], default=x))


def order_statistics(x):
    return np.median(x) + np.percentile(x, 30) + np.quantile(x, 0.75)


def smallest_two(x):
    return np.sum(np.partition(x, 1)[:2])


def off_diagonals(A):
    return (np.trace(A, offset=1) + np.sum(np.diag(A, k=-1) ** 2)
            + np.sum(np.diag(A[0], k=1) * np.arange(16.0).reshape(4, 4))
            + np.sum(np.tril(A, k=-1) ** 2))


def products_of_every_kind(A):
    return (np.sum(np.kron(A[:2, :2], A[1:, 1:])) + np.sum(np.cross(A[0], A[1]) ** 2)
            + np.vdot(A[0], A[2]) + np.sum(np.tensordot(A, A, axes=([0], [1])) ** 2)
            + np.inner(A[0], A[1]))


def axis_moved(A):
    T = np.stack([A, A ** 2])
    return np.sum(np.moveaxis(T, 0, -1) * np.arange(18.0).reshape(3, 3, 2))


def powers_of_active_bases_and_exponents(x):
    return np.sum(np.abs(x) ** x) + np.sum(2.0 ** x) + x[0] ** 3


def sums_with_a_start(x):
    return sum([x[0], x[1]], x[2]) + sum(x, 1.0)


def python_sorted_ends(x):
    s = sorted(x)
    return s[0] * 2 + s[-1] * 3


def extremes_by_key(x):
    return max(x, key=abs) + min(x[0], x[1], key=lambda v: v ** 2)


def float_int_and_numpy_float(x):
    return float(x[0]) * x[1] + int(x[2] * 10) * x[0] + np.float64(x[1]) ** 2


def cube_of_a_matrix(A):
    return np.sum(np.linalg.matrix_power(A, 3))


def convolutions(x, k):
    return (np.sum(np.convolve(x, k, mode="same") ** 2)
            + np.sum(np.correlate(x, k, mode="valid") ** 2) + np.sum(np.convolve(x, k) ** 2))


def log_add_exps(x):
    return np.sum(np.logaddexp(x, x[::-1])) + np.sum(np.logaddexp2(x, 0.5))


def binary_ufuncs(x):
    return np.sum(np.hypot(x, 2.0) + np.arctan2(x, 1.5) + np.sinc(x) + np.fmod(x + 5, 1.3)
                  + np.remainder(x + 5, 1.3) + np.copysign(x, -1.0) + np.heaviside(x, 0.5) * x)


def einsums(A):
    return (np.einsum("ii->", A) + np.einsum("ij,ij->", A, A) + np.einsum("i,i", A[0], A[1])
            + np.sum(np.einsum("ij,jk->ik", A, A, optimize=True))
            + np.sum(np.einsum("ii->i", A) ** 2) + np.einsum("ij->", A))


def interpolated_values(fp):
    return np.sum(np.interp(np.array([0.5, 1.5, 2.2]), np.arange(4.0), fp) ** 2)


def interpolated_at(x):
    return np.sum(np.interp(x, np.arange(4.0), np.array([0.0, 1.0, 4.0, 9.0])) ** 2)


def rolled_and_tiled(x):
    return (np.sum(np.roll(x, 2) * np.arange(4.0)) + np.sum(np.tile(x, 2) * np.arange(8.0))
            + np.sum(np.roll(x.reshape(2, 2), 1, axis=1) * np.arange(4.0).reshape(2, 2)))


def cumulative_along_axes(A):
    return (np.sum(np.cumsum(A, axis=1) ** 2) + np.sum(np.cumprod(A, axis=0))
            + np.sum(np.cumsum(A) * np.arange(9.0)))


def clipped_between_arrays(x, lo):
    return np.sum(np.clip(x, lo, lo + 1.0) ** 2)


def where_of_one_argument(x):
    return np.sum(x[np.where(x > 0)] ** 2) + np.sum(x[np.nonzero(x < 0)] ** 3)


def sorted_along_rows(A):
    idx = np.argsort(A, axis=1)
    return np.sum(np.take_along_axis(A, idx, axis=1) * np.arange(9.0).reshape(3, 3))


def polynomial_values(p, x):
    return np.sum(np.polyval(p, x))


KEYWORDS = [
    (summed_where, (X3,), 0), (maxima_with_initial_values, (X3,), 0),
    (accumulated_by_ufuncs, (X4,), 0), (reduced_by_ufuncs_along_axes, (M,), 0),
    (differences_with_ends, (X4,), 0), (norms_of_every_order, (M,), 0),
    (spectral_and_nuclear_norms, (M,), 0), (variances_with_ddof, (M,), 0),
    (weighted_averages, (M, np.abs(X3) + 0.1), (0, 1)), (padded_every_way, (X3,), 0),
    (filled_with_entries, (X3,), 0), (selected_pieces, (X4,), 0), (order_statistics, (X4,), 0),
    (smallest_two, (X4,), 0), (off_diagonals, (M,), 0), (products_of_every_kind, (M,), 0),
    (axis_moved, (M,), 0), (powers_of_active_bases_and_exponents, (X3,), 0),
    (sums_with_a_start, (X3,), 0), (python_sorted_ends, (X3,), 0), (extremes_by_key, (X3,), 0),
    (float_int_and_numpy_float, (X3,), 0), (cube_of_a_matrix, (M,), 0),
    (convolutions, (X6, X3), (0, 1)), (log_add_exps, (X3,), 0), (binary_ufuncs, (X3,), 0),
    (einsums, (M,), 0), (interpolated_values, (X4,), 0),
    (interpolated_at, (np.array([0.3, 1.7, 2.5]),), 0), (rolled_and_tiled, (X4,), 0),
    (cumulative_along_axes, (M,), 0), (clipped_between_arrays, (X3, X3 * 0.5), (0, 1)),
    (where_of_one_argument, (X3,), 0), (sorted_along_rows, (M,), 0),
    (polynomial_values, (X3, X4), (0, 1)),
]


@pytest.mark.parametrize("f, args, wrt", KEYWORDS, ids=case_id)
def test_keyword_arguments_and_less_common_functions(f, args, wrt):
    assert_grad(f, *args, wrt=wrt)


# -- a constant array copied, then updated at an index by a value being differentiated -------

def copied_then_row_updated(v, A):
    B = A.copy()
    B[0, :2] += v
    return np.sum(B * A)


def scaled_then_pairs_updated(v, A):
    B = A * 1.0
    B[[0, 0], [1, 2]] += v
    return np.sum(B * A)


def copied_then_block_updated_by_ix(v, A):
    B = A.copy()
    B[np.ix_([0, 0], [1, 2])] += np.outer(v, v)
    return np.sum(B * A)


def shifted_then_column_updated(v, A):
    B = A + 0.0
    B[:2, 1] *= v
    return np.sum(B * A) + np.sum(B ** 2)


@pytest.mark.parametrize("f", [copied_then_row_updated, scaled_then_pairs_updated,
                               copied_then_block_updated_by_ix, shifted_then_column_updated],
                         ids=case_id)
def test_a_copy_of_a_constant_updated_at_an_index(f):
    # (were refused, 'A' "may share its memory" with its copy: at transformation, or for
    # A.copy() when the code ran, with a TypeError)
    assert_grad(f, V2, M)
    assert_grad(f, V2, M, wrt=(0, 1))
    assert_hessian(f, V2, M)


# -- user-style models ---------------------------------------------------------------------

def euler_with_a_copied_history(y0):
    y = y0.copy()
    traj = []
    for _ in range(3):
        traj.append(y.copy())
        y += 0.1 * np.sin(y)
    return np.sum(np.array(traj) ** 2) + np.sum(y)


def euler_into_a_preallocated_trajectory(y0):
    Y = np.zeros((4, 3))
    Y[0] = y0
    for i in range(3):
        Y[i + 1] = Y[i] + 0.1 * np.cos(Y[i])
    return np.sum(Y[-1] ** 2) + np.sum(Y)


def rk2_updating_its_state(y0, k):
    y = y0.copy()
    for _ in range(4):
        k1 = -k * y
        k2 = -k * (y + 0.05 * k1)
        y += 0.05 * k2
    return np.sum(y ** 2)


def velocity_verlet_in_place(q0, p0):
    q, p = q0.copy(), p0.copy()
    for _ in range(3):
        p -= 0.05 * np.sin(q)
        q += 0.1 * p
        p -= 0.05 * np.sin(q)
    return np.sum(q ** 2) + np.sum(p ** 2)


def heat_interior_updated(u0):
    u = u0.copy()
    for _ in range(3):
        u[1:-1] += 0.2 * (u[2:] - 2 * u[1:-1] + u[:-2])
    return np.sum(u ** 2)


def heat_interior_through_a_view(u0):
    u = u0.copy()
    for _ in range(3):
        lap = u[2:] - 2 * u[1:-1] + u[:-2]
        inner = u[1:-1]
        inner += 0.2 * lap
    return np.sum(u ** 2)


def kinetics_in_place(k):
    y = np.array([1.0, 0.5])
    for _ in range(5):
        dy = np.array([-k[0] * y[0] + k[1] * y[1], k[0] * y[0] - k[1] * y[1] ** 2])
        y += 0.1 * dy
    return np.sum(y ** 2)


def rnn_states_stacked(W, xs):
    h = np.zeros(3)
    hs = []
    for x in xs:
        h = np.tanh(W @ h + x)
        hs.append(h)
    return np.sum(np.stack(hs) ** 2)


def rnn_state_written_in_place(W, xs):
    h = np.zeros(3)
    out = 0.0
    for x in xs:
        pre = W @ h
        pre += x
        h[:] = np.tanh(pre)
        out = out + np.sum(h * x)
    return out


def gru_cell_updated_by_op_equals(W, xs):
    h = np.zeros(2)
    for x in xs:
        z = 1 / (1 + np.exp(-(W[0] @ h + x)))
        cand = np.tanh(W[1] @ h + x)
        h = h * (1 - z)
        h += z * cand
    return np.sum(h)


def attention(Q, K, V):
    s = Q @ K.T / math.sqrt(Q.shape[1])
    s = s - s.max(axis=1, keepdims=True)
    w = np.exp(s)
    w /= w.sum(axis=1, keepdims=True)
    return np.sum((w @ V) ** 2)


def causal_attention_masked_in_place(Q, K, V):
    s = Q @ K.T
    mask = np.triu(np.ones((3, 3)), 1) > 0
    s[mask] = -1e9
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    w = w / w.sum(-1, keepdims=True)
    return np.sum(w @ V)


def layer_norm_in_place(x, g, b):
    y = x - x.mean(axis=-1, keepdims=True)
    y /= np.sqrt((y ** 2).mean(axis=-1, keepdims=True) + 1e-5)
    y *= g
    y += b
    return np.sum(y ** 3)


def batch_norm_with_running_mean(x, gamma):
    running = np.zeros(3)
    mu = x.mean(axis=0)
    running *= 0.9
    running += 0.1 * mu
    xhat = (x - mu) / np.sqrt(x.var(axis=0) + 1e-5)
    return np.sum((gamma * xhat) ** 2) + np.sum(running ** 2)


def masked_mean_squared_error(pred, y):
    mask = ~np.isnan(y)
    diff = np.where(mask, pred - np.nan_to_num(y), 0.0)
    return np.sum(diff ** 2) / mask.sum()


def clipped_losses(pred, y):
    return np.sum(np.clip(pred - y, -1.0, 1.0) ** 2) + np.sum(np.maximum(pred, 0.5))


def hinge_by_where(w, X, y):
    m = y * (X @ w)
    return np.sum(np.where(m < 1, 1 - m, 0.0)) + 0.1 * w @ w


def log_where_positive(x):
    safe = np.where(x > 0, x, 1.0)
    return np.sum(np.where(x > 0, np.log(safe), 0.0))


def stable_softplus(x):
    return np.sum(np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))))


XS = rng.normal(size=(4, 3))
W3 = rng.normal(size=(3, 3)) * 0.5
W222 = rng.normal(size=(2, 2, 2)) * 0.5
XS2 = rng.normal(size=(3, 2))
Q, K, VV = rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), rng.normal(size=(3, 2))

MODELS = [
    (euler_with_a_copied_history, (X3,), 0, False),
    (euler_into_a_preallocated_trajectory, (X3,), 0, False),
    (rk2_updating_its_state, (X3, 0.7), (0, 1), False),
    (velocity_verlet_in_place, (X3, Y3), (0, 1), False),
    (heat_interior_updated, (X6,), 0, False), (heat_interior_through_a_view, (X6,), 0, False),
    (kinetics_in_place, (np.array([0.7, 0.3]),), 0, False),
    (rnn_states_stacked, (W3, XS), 0, True), (rnn_state_written_in_place, (W3, XS), 0, False),
    (gru_cell_updated_by_op_equals, (W222, XS2), 0, True),
    (attention, (Q, K, VV), (0, 1, 2), True),
    (causal_attention_masked_in_place, (Q, K, VV), (0, 1, 2), False),
    (layer_norm_in_place, (B43, X3, X3 * 0.1), (0, 1, 2), True),
    (batch_norm_with_running_mean, (B43, X3), (0, 1), False),
    (masked_mean_squared_error, (X4, np.array([1.0, np.nan, 0.5, np.nan])), 0, True),
    (clipped_losses, (X4, X4[::-1] * 0.7), (0, 1), True),
    (hinge_by_where, (X3, B43, np.array([1.0, -1.0, 1.0, -1.0])), 0, True),
    (log_where_positive, (np.array([0.5, -1.0, 2.0]),), 0, True),
    (stable_softplus, (X3,), 0, True),
]


@pytest.mark.parametrize("f, args, wrt, by_autograd", MODELS, ids=case_id)
def test_models_written_as_users_write_them(f, args, wrt, by_autograd):
    if by_autograd:
        assert_like_autograd(f, *args, wrt=wrt)
    else:
        assert_grad(f, *args, wrt=wrt)


@pytest.mark.parametrize("f, args", [(rk2_updating_its_state, (X3, 0.7)),
                                     (heat_interior_through_a_view, (X6[:4],)),
                                     (layer_norm_in_place, (B43[:2], X3, X3 * 0.1)),
                                     (kinetics_in_place, (np.array([0.7, 0.3]),))],
                         ids=case_id)
def test_models_second_order(f, args):
    assert_hessian(f, *args)


def lstm(p, xs):
    h, c = np.zeros(2), np.zeros(2)
    for x in xs:
        z = p["W"] @ np.concatenate([h, x]) + p["b"]
        i, f, o, g = z[0:2], z[2:4], z[4:6], z[6:8]
        i, f, o = 1 / (1 + np.exp(-i)), 1 / (1 + np.exp(-f)), 1 / (1 + np.exp(-o))
        c = f * c + i * np.tanh(g)
        h = o * np.tanh(c)
    return np.sum(h ** 2)


def lstm_cell_state_in_place(p, xs):
    h, c = np.zeros(2), np.zeros(2)
    for x in xs:
        z = p["W"] @ np.concatenate([h, x]) + p["b"]
        gates = 1 / (1 + np.exp(-z[:6]))
        c *= gates[2:4]
        c += gates[0:2] * np.tanh(z[6:8])
        h = gates[4:6] * np.tanh(c)
    return np.sum(h ** 2)


def mlp_of_layers(layers, X):
    h = X
    for W, b in layers:
        h = np.maximum(h @ W + b, 0.0)
    return np.sum(h ** 2)


def mlp_of_layers_in_place(layers, X):
    h = X
    for W, b in layers:
        h = h @ W
        h += b
        np.maximum(h, 0.0, out=h)
    return np.sum(h ** 2)


def mlp_of_named_weights(params, X):
    h = X
    for i in range(2):
        h = np.tanh(h @ params[f"W{i}"] + params[f"b{i}"])
    return np.mean(h)


LSTM = {"W": rng.normal(size=(8, 5)) * 0.5, "b": rng.normal(size=8) * 0.1}
LAYERS = [(rng.normal(size=(3, 3)), rng.normal(size=3)),
          (rng.normal(size=(3, 2)), rng.normal(size=2))]
NAMED = {"W0": rng.normal(size=(3, 3)), "b0": rng.normal(size=3),
         "W1": rng.normal(size=(3, 2)), "b1": rng.normal(size=2)}


@pytest.mark.parametrize("f, struct, by_autograd", [
    (lstm, LSTM, True), (lstm_cell_state_in_place, LSTM, False), (mlp_of_layers, LAYERS, True),
    (mlp_of_layers_in_place, LAYERS, False), (mlp_of_named_weights, NAMED, True)], ids=case_id)
def test_models_over_structures_of_parameters(f, struct, by_autograd):
    got = ad.grad(f)(struct, XS)
    assert_leaves_close(got, leaf_gradients(f, struct, XS))
    if by_autograd:
        assert_leaves_close(got, autograd_gradient(f, struct, XS), 1e-9, 1e-11)


# -- lists of arrays updated by op=, helpers that update their argument ------------------------

def arguments_listed_then_updated(a, b):
    params = [a, b]
    for i in range(2):
        params[i] -= 0.1 * params[i] ** 2
    return np.sum(params[0] * params[1])


def step(u, dt):
    u += dt * np.sin(u)


def step_by_slice(u, dt):
    u[:] = u + dt * np.cos(u)


def stepped_by_a_helper(u0):
    u = u0.copy()
    for _ in range(3):
        step(u, 0.1)
    return np.sum(u ** 2)


def energy_then_stepped(u0):
    u = u0.copy()
    s = np.sum(u ** 2)
    step(u, 0.2)
    return s * np.sum(u)


def stepped_in_a_branch(u0):
    u = u0.copy()
    if np.sum(u) > -100:
        step(u, 0.2)
    else:
        step_by_slice(u, 0.1)
    return np.sum(u ** 2)


def stepped_two_ways(u0):
    u = u0.copy()
    for _ in range(2):
        step_by_slice(u, 0.1)
        step(u, 0.05)
    return np.sum(u * u0)


def argument_stepped(u0):
    step(u0, 0.3)
    return np.sum(u0 ** 2)


def two_arrays(u, v):
    u += v
    v *= 2.0


def two_changed_by_a_helper(x):
    u = x * 1.0
    v = x * 2.0
    two_arrays(u, v)
    return np.sum(u * v * x)


def step_then_damp(u, dt):
    step(u, dt)
    u *= 0.9


def nested_helpers(u0):
    u = u0.copy()
    step_then_damp(u, 0.1)
    return np.sum(u ** 2)


def rows_zipped_with_rates(A, c):
    B = A * 1.0
    for row, ci in zip(B, c):
        row -= ci * row ** 2
    return np.sum(B * A)


def first_row_kept_while_rows_change(A, c):
    B = A * 1.0
    first = B[0]
    for row, ci in zip(B, c):
        row -= ci
    return np.sum(first * A[0]) + np.sum(B)


UPDATES = [
    (arguments_listed_then_updated, (X3, Y3), (0, 1)), (stepped_by_a_helper, (X3,), 0),
    (energy_then_stepped, (X3,), 0), (stepped_in_a_branch, (X3,), 0),
    (stepped_two_ways, (X3,), 0), (argument_stepped, (X3,), 0),
    (two_changed_by_a_helper, (X3,), 0), (nested_helpers, (X3,), 0),
    (rows_zipped_with_rates, (M, X3), (0, 1)), (first_row_kept_while_rows_change, (M, X3), (0, 1)),
]


@pytest.mark.parametrize("f, args, wrt", UPDATES, ids=case_id)
def test_lists_and_helpers_updating_arrays(f, args, wrt):
    assert_grad(f, *args, wrt=wrt)


@pytest.mark.parametrize("f, args", [(u[0], u[1]) for u in UPDATES[1:3]], ids=case_id)
def test_lists_and_helpers_updating_arrays_second_order(f, args):
    assert_hessian(f, *args)


# -- the API: several wrt, keywords, has_aux, nested gradients ---------------------------------

def sine_of_products(a, b):
    return np.sum(np.sin(a * b) * a ** 2)


def mixed_partial(a, b):
    return np.sum(ad.grad(sine_of_products, wrt=1)(a, b) * np.array([1.0, 2.0, 3.0]))


def built_and_updated(a):
    y = np.array([a, 2 * a, a * a])
    y[1] += y[2] * a
    y *= y[0]
    return np.sum(y)


def keyword_only_weights(x, *, w):
    return np.sum(w * x ** 3) + x @ w * np.sum(w ** 2)


def loss_with_aux(x, y, scale=1.0):
    z = x * y
    return scale * np.sum(z ** 2), {"z": z, "n": 3}


def aux_view_of_a_changed_array(x):
    y = x * 2.0
    head = y[:2]
    y[0] = 10.0 * x[1]
    return np.sum(y ** 2), head


def aux_alias_of_an_updated_array(x):
    y = x * 2.0
    z = y
    y += x
    return np.sum(y * x), z


def aux_of_the_changed_argument(x):
    x += 1.0
    return np.sum(x ** 2), x


def test_mixed_partials_through_a_nested_gradient():
    assert_grad(mixed_partial, X3, Y3, forward=False)


def test_second_derivative_of_a_list_built_then_updated():
    first = ad.grad(built_and_updated)
    assert_close(ad.grad(first)(0.7), numerical_grad(first, (0.7,), 0), 1e-6, 1e-8)


def test_hessian_with_respect_to_a_keyword_only_argument():
    first = ad.grad(keyword_only_weights, wrt="w")
    want = np.array([numerical_grad(lambda w, i=i: first(X3, w=w)[i], (Y3,), 0)
                     for i in range(3)])
    assert_close(ad.hessian(keyword_only_weights, wrt="w")(X3, w=Y3), want)
    assert_grad(keyword_only_weights, X3, kwargs={"w": Y3}, wrt=("x", "w"))


def test_has_aux_with_names_and_a_keyword():
    (gx, gy), aux = ad.grad(loss_with_aux, wrt=("x", "y"), has_aux=True)(X3, Y3, scale=2.0)
    assert_close(gx, 4 * X3 * Y3 ** 2, 1e-12, 1e-12)
    assert_close(gy, 4 * X3 ** 2 * Y3, 1e-12, 1e-12)
    assert_close(aux["z"], X3 * Y3, 0, 0)
    assert aux["n"] == 3
    g, _ = ad.grad(loss_with_aux, wrt="scale", has_aux=True)(X3, Y3, scale=2.0)
    assert_close(g, np.sum((X3 * Y3) ** 2), 1e-12, 1e-12)


@pytest.mark.parametrize("f", [aux_view_of_a_changed_array, aux_alias_of_an_updated_array,
                               aux_of_the_changed_argument], ids=case_id)
def test_aux_is_what_the_function_returns_after_its_changes(f):
    (value, aux), g = ad.value_and_grad(f, has_aux=True)(X3.copy())
    want_value, want_aux = f(X3.copy())
    assert_close(value, want_value, 1e-14, 0)
    assert_close(aux, want_aux, 0, 0)
    g2, aux2 = ad.grad(f, has_aux=True)(X3.copy())
    assert_close(aux2, want_aux, 0, 0)
    want = numerical_grad(lambda x: f(x)[0], (X3,), 0)
    assert_close(g, want)
    assert_close(g2, want)


# -- refused, at the user's line ---------------------------------------------------------------

def refused(f, args, pattern, wrt=0, when_run=False):
    """``ad.grad(f)`` refuses, with a TransformError (a TypeError from the check the code
    makes when it runs, ``when_run``) at a line of this file matching ``pattern``."""
    with pytest.raises(TypeError if when_run else ad.TransformError, match=pattern) as info:
        ad.grad(f, wrt=wrt)(*args)
    assert f"{__file__.rsplit('/', 1)[-1]}:" in str(info.value).splitlines()[0]


def written_through_flat(A):
    B = A * 1.0
    B.flat[0] = B.flat[4] ** 2
    return np.sum(B ** 2)


def written_through_a_transpose_attribute(A):
    B = A.copy()
    B.T[1] = B[0] * 2.0
    return np.sum(B ** 2 * A)


def written_through_a_column_then_entry(A):
    B = A.copy()
    B[:, 0][1] = B[0, 0] ** 2
    return np.sum(B * A)


def written_into_a_fancy_copy(A):
    B = A.copy()
    B[[0, 1]][0] = 100.0
    return np.sum(B * A)


def reshaped_view_updated(x):
    y = x.copy()
    z = y.reshape(2, 3)
    z[1] += z[0] ** 2
    return np.sum(y ** 2)


def raveled_view_written(A):
    B = A * 1.0
    r = np.ravel(B)
    r[::2] = r[::2] * 3.0
    return np.sum(B * A)


def swapped_axes_written(A):
    B = A.copy()
    S = B.swapaxes(0, 1)
    S[:, 0] = 0.0
    return np.sum(B * A)


def view_chosen_by_a_conditional(x, flag=True):
    y = x * 1.0
    w = x * 2.0
    z = y if flag else w
    z[0] = 7.0 * x[1]
    return np.sum(y * x) + np.sum(w)


def rows_listed_then_scaled(x):
    y = x.reshape(2, 3) * 1.0
    rows = [y[i] for i in range(2)]
    for r in rows:
        r *= 2.0
    return np.sum(y * y)


def list_of_locals_updated_then_local_read(x):
    w = x * 1.0
    v = x * 2.0
    params = [w, v]
    for i in range(2):
        params[i] *= 1.5
    return np.sum(w * v)


def argument_listed_updated_then_read(a, b):
    params = [a, b]
    params[0] -= 0.1 * params[0] ** 2
    return np.sum(a * b)


def dict_copied_item_updated(params, x):
    p = dict(params)
    p["w"] *= 2.0
    return np.sum(params["w"] * x)


def helper_returning_its_changed_argument(x):
    y = x * 1.0
    z = helper_scaling(y, x[0])
    z += 1.0
    return np.sum(y * x) + np.sum(z)


def helper_scaling(v, s):
    v *= s
    return v


def stepped_while_another_name_is_read(u0):
    u = u0.copy()
    v = u
    step(u, 0.2)
    return np.sum(v * u0)


def real_part_written(x):
    y = x * 1.0
    r = y.real
    r[0] = 3.0
    return np.sum(y * x)


def out_into_a_row(A):
    B = A.copy()
    np.exp(B[0], out=B[1])
    return np.sum(B * A)


def out_into_a_fancy_copy(A):
    B = A.copy()
    np.exp(B[0], out=B[[1]])   # (a copy of row 1: B stays as it was)
    return np.sum(B * A)


def test_out_into_a_row_writes_the_row():
    # sum(A0 * A0) + sum(exp(A0) * A1) + sum(A2 * A2)
    grad = 2 * M
    grad[1] = np.exp(M[0])
    grad[0] = 2 * M[0] + M[1] * np.exp(M[0])
    np.testing.assert_allclose(ad.grad(out_into_a_row)(M), grad, rtol=1e-12)
    ad.check_grad(out_into_a_row, M)


def cumulative_sum_into(x):
    y = np.empty(4)
    np.cumsum(x, out=y)
    return np.sum(y ** 2)


def put_into(x):
    y = x * 1.0
    np.put(y, [0, 2], x[1] ** 2)
    return np.sum(y * x)


def added_in_place_by_operator(x):
    y = x * 1.0
    z = y
    operator.iadd(y, x ** 2)
    return np.sum(z * x)


def set_by_dunder(x):
    y = x * 1.0
    y.__setitem__(1, x[0] * 4.0)
    return np.sum(y * x)


def mean_where(x):
    # (np.mean(x, where=m) is differentiated: test_rules_library.py; with dtype= it is not)
    return np.mean(x ** 2, where=MASK3, dtype=np.float64)


def padded_with_an_entry(x):
    return np.sum(np.pad(x, 2, constant_values=x[0]) * np.arange(7.0))


def written_through_atleast_2d(x):
    y = x * 1.0
    z = np.atleast_2d(y)
    z[0, 1] = x[0] ** 3
    return np.sum(y * x)


def written_through_squeeze(A):
    B = A[None, :, :] * 1.0
    S = np.squeeze(B)
    S[0, 0] = S[1, 1] * 4.0
    return np.sum(B ** 2)


def piece_of_a_split_scaled(x):
    y = x * 1.0
    a, b = np.split(y, 2)
    a *= b
    return np.sum(y * x)


def test_what_stays_refused():
    assignment = r"item or slice assignment \({}\[?.*\] = \.\.\.\) cannot be differentiated"
    refused(written_through_flat, (M,), assignment.format(r"B\.flat"))
    refused(written_through_a_transpose_attribute, (M,), assignment.format(r"B\.T"))
    refused(written_through_a_column_then_entry, (M,), assignment.format(r"B\[:, 0\]"))
    refused(written_into_a_fancy_copy, (M,), assignment.format(r"B\[\[0, 1\]\]"))
    shares = r"changes the array '{}' in place, and '{}', which may share its memory"
    refused(reshaped_view_updated, (X6,), shares.format("z", "y"))
    refused(raveled_view_written, (M,), shares.format("r", "B"))
    refused(swapped_axes_written, (M,), shares.format("S", "B"))
    refused(view_chosen_by_a_conditional, (X3,), shares.format("z", "y"))
    refused(stepped_while_another_name_is_read, (X3,), shares.format("u", "v"))
    refused(helper_returning_its_changed_argument, (X3,), shares.format("v", "y"))
    held = r"changes the array {} in place, and ['\"]{}['\"], which may hold the same array"
    refused(rows_listed_then_scaled, (X6,), held.format(r"rows\[k\]", "y"))
    refused(list_of_locals_updated_then_local_read, (X3,), held.format(r"params\[i\]", "v"))
    refused(argument_listed_updated_then_read, (X3, Y3), held.format(r"params\[0\]", "a"))
    refused(dict_copied_item_updated, ({"w": X3.copy()}, Y3),
            held.format(r"p\['w'\]", r"params\['w'\]"))
    refused(real_part_written, (X3,), shares.format("r", "y"))   # (y.real is y itself)
    statement = r"an expression statement on a value being differentiated"
    refused(out_into_a_fancy_copy, (M,), statement)
    refused(cumulative_sum_into, (X4,), statement)
    refused(put_into, (X3,), r"call to 'np\.put' \(put\) cannot be differentiated")
    refused(added_in_place_by_operator, (X3,), r"call to 'operator\.iadd'")
    refused(set_by_dunder, (X3,), r"method \.__setitem__\(\) of a value being differentiated")
    refused(mean_where, (X3,), r"keyword argument where= of np\.mean is not supported")
    refused(padded_with_an_entry, (X3,), r"argument 'constant_values' of np\.pad")


def test_what_is_refused_when_the_code_runs():
    """Views whose number of dimensions the analysis does not follow: the code checks when
    it runs that the name updated is a number, and says why it is not, at the line."""
    shares = r"changes the array '{}' in place, and '{}', which may share its memory"
    refused(written_through_atleast_2d, (X3,), shares.format("z", "y"), when_run=True)
    refused(written_through_squeeze, (M,), shares.format("S", "B"), when_run=True)
    refused(piece_of_a_split_scaled, (X4,), shares.format("a", "y"), when_run=True)
