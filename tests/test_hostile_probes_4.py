"""Programs written the way numeric Python is written, that adcompile got wrong or crashed on.

- ``list(B)`` and ``tuple(B)`` of a matrix hold views of its rows, and ``list(hs)`` holds
  the arrays of ``hs``: changing ``B`` (or an array of ``hs``) in place changes what the
  list holds, and an item changed in place (``rows[0] += 1``) changes ``B``. The gradient
  computed those as new arrays: a wrong value and gradient, with no error.
- ``y[k + 1:] op= v`` (an augmented update of a slice whose bounds are expressions:
  Doolittle's LU, forward substitution) generated code that did not parse.
"""

import numpy as np
import pytest

import adcompile as ad
from conftest import assert_close, assert_grad, autograd_gradient
M = np.array([[1.0, 2.0, 0.5], [-0.7, 0.4, 1.3]])
V = np.array([0.3, -1.2, 2.5, 0.7])


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


# -- augmented updates of slices with computed bounds ------------------------------------

def doolittle_lu_energy(A):
    A = A.copy()
    n = A.shape[0]
    for k in range(n):
        for i in range(k + 1, n):
            A[i, k] /= A[k, k]
            A[i, k + 1:] -= A[i, k] * A[k, k + 1:]
    return np.sum(A ** 2)


def prefix_smoothing(x):
    y = x * 1.0
    for k in range(len(x) - 1):
        y[k + 1:] += 0.5 * y[k]
    return np.sum(y ** 2)


def strided_scaling(x):
    y = x * 1.0
    for k in range(2):
        y[k::k + 1] *= 1.5 + y[0]
    return np.sum(y ** 2)


def column_block_update(A):
    B = A * 1.0
    for k in range(2):
        B[..., k + 1:] -= B[..., k:k + 1] * 0.3
    return np.sum(B ** 2)


def counts_not_differentiated(x):
    weights = np.ones(4)
    for k in range(2):
        weights[k + 1:] += 1.0
    return np.sum(weights * x)


SPD = np.array([[4.0, 2.0, 0.3], [0.5, 2.3, 1.1], [0.2, 0.4, 5.0]])


@pytest.mark.parametrize("f, arg", [
    (doolittle_lu_energy, SPD),
    (prefix_smoothing, V),
    (strided_scaling, V),
    (column_block_update, SPD),
    (counts_not_differentiated, V),
])
def test_augmented_update_of_a_slice_with_computed_bounds(f, arg):
    got = assert_grad(f, arg)
    if f is counts_not_differentiated:   # (autograd assigns only into arrays it does not
        assert_close(got, autograd_gradient(f, arg))   # differentiate)


def test_second_derivative_of_an_in_place_lu():
    h = ad.hessian(doolittle_lu_energy)(SPD)
    g = ad.grad(doolittle_lu_energy)
    eps = 1e-5
    for i, j in [(0, 0), (1, 2), (2, 1)]:
        d = np.zeros_like(SPD)
        d[i, j] = eps
        column = (g(SPD + d) - g(SPD - d)) / (2 * eps)
        assert_close(h[:, :, i, j], column, rtol=1e-5, atol=1e-6)


# -- values being differentiated written into arrays of integers -------------------------
# NumPy rounds a float written into an integer array (and makes it a truth value in a bool
# one): the function is piecewise constant in that value, whose gradient is zero, while the
# rule of the write handed it the entry's adjoint

def level_written_into_counts(x):
    counts = np.zeros(4, dtype=int)
    counts[0] = x[0] * 10
    return np.sum(counts * x)


def entry_written_into_positions(x):
    positions = np.arange(4)
    positions[1] = x[1]
    return np.sum(positions * x)


def literal_of_ints_filled(x):
    weights = np.array([1, 2, 3, 4])
    weights.fill(x[0] * 10)
    return np.sum(weights * x)


def scatter_added_into_ints(x):
    counts = np.zeros(4, dtype=np.int64)
    np.add.at(counts, [0, 1], x[:2] * 10)
    return np.sum(counts * x)


def flag_set_from_a_value(x):
    flags = np.zeros(4, dtype=bool)
    flags[1] = x[1]
    return np.sum(flags * x)


def rounded_copy_written_into(x):
    levels = x.astype(int)
    levels[0] = x[1] * 10
    return np.sum(levels * x)


def dtype_given_by_position(x):
    bins = np.zeros(4, np.int32)
    bins[2] = x[2] * 10
    return np.sum(bins * x)


def histogram_filled_in_a_loop(x):
    counts = np.zeros(4, dtype=int)
    for i in range(3):
        counts[i] = x[i] * 10
    return np.sum(counts * x)


@pytest.mark.parametrize("f, line", [
    (level_written_into_counts, "counts[0] = x[0] * 10"),
    (entry_written_into_positions, "positions[1] = x[1]"),
    (literal_of_ints_filled, "weights.fill(x[0] * 10)"),
    (scatter_added_into_ints, "np.add.at(counts, [0, 1], x[:2] * 10)"),
    (flag_set_from_a_value, "flags[1] = x[1]"),
    (rounded_copy_written_into, "levels[0] = x[1] * 10"),
    (dtype_given_by_position, "bins[2] = x[2] * 10"),
    (histogram_filled_in_a_loop, "counts[i] = x[i] * 10"),
])
def test_a_value_written_into_an_integer_array_is_refused(f, line):
    with pytest.raises(ad.TransformError, match="test_hostile_probes_4.py:") as info:
        ad.grad(f)(V)
    assert line in str(info.value) and "integers" in str(info.value)


def buffer_given_filled_in_a_loop(x, buffer):
    out = buffer.copy()
    for k in range(3):
        out[k] = x[k] * 10
    return np.sum(out * x)


def row_of_an_integer_matrix_written(x):
    table = np.zeros((2, 3), dtype=int)
    row = table[0]
    row[1] = x[1] * 3
    return np.sum(table[0] * x)


def transposed_integer_matrix_written(x):
    table = np.zeros((3, 2), dtype=int)
    columns = table.T
    columns[0] = x * 3
    return np.sum(table[:, 0] * x)


def test_a_write_through_a_view_of_an_integer_array_is_refused():
    with pytest.raises(ad.TransformError, match="test_hostile_probes_4.py:") as info:
        ad.grad(row_of_an_integer_matrix_written)(V[:3])
    assert "row[1] = x[1] * 3" in str(info.value)
    with pytest.raises(TypeError, match=r"columns\[0\] = x \* 3 writes a value being differentiated into an array of integers"):
        ad.grad(transposed_integer_matrix_written)(V[:3])


def test_a_write_into_an_array_of_unknown_dtype_is_checked_when_the_code_runs():
    with pytest.raises(TypeError, match=r"test_hostile_probes_4\.py:\d+:\d+: out\[k\] = x\[k\] \* 10 writes .* an array of integ"):
        ad.grad(buffer_given_filled_in_a_loop)(V, np.arange(4))
    got = assert_grad(buffer_given_filled_in_a_loop, V, np.arange(4.0))
    assert_close(got, autograd_gradient(lambda x, b: np.sum(
        np.concatenate([x[:3] * 10, b[3:]]) * x), V, np.arange(4.0)))


# -- x op= v on an array of integers: NumPy raises, Python's code stops there ------------

def counts_shifted(x):
    z = np.arange(4)
    z += x
    return np.sum(z * x)


def mask_scaled(x):
    m = np.ones(4, dtype=bool)
    m *= x
    return np.sum(m)


def buffer_given_shifted(x, buffer):
    buffer += x
    return np.sum(buffer * x)


def counter_from_an_integer_sum(x):
    total = np.sum(np.arange(4))   # a NumPy int: a number, made anew by += (checked)
    total += np.sum(x)
    start = 0
    for i in range(4):
        start += x[i] ** 2
    return total * start


@pytest.mark.parametrize("f", [counts_shifted, mask_scaled])
def test_an_update_adding_floats_into_an_integer_array_is_refused(f):
    with pytest.raises(TypeError, match="Cannot cast ufunc"):
        f(V)   # (what Python does: the gradient had been of z + x)
    with pytest.raises(ad.TransformError, match="an array of integers or booleans in place"):
        ad.grad(f)(V)


def test_an_update_of_an_array_of_unknown_dtype_is_checked_when_the_code_runs():
    with pytest.raises(TypeError, match=r"probes_4.py:\d+:5: buffer \+= x puts values"):
        ad.grad(buffer_given_shifted)(V, np.arange(4))
    got = assert_grad(buffer_given_shifted, V, np.arange(4.0))
    assert_close(got, autograd_gradient(lambda x, b: np.sum((b + x) * x), V, np.arange(4.0)))


def test_numbers_updated_are_made_anew_unchecked():
    got = assert_grad(counter_from_an_integer_sum, V)
    assert_close(got, autograd_gradient(counter_from_an_integer_sum, V))
    # (0 is a number when transforming: nothing to check)
    assert "require_floating(start" not in ad.show(counter_from_an_integer_sum, args=(V,))


def floating_arrays_written(x):
    a = np.zeros(4)
    a[0] = x[0] * 10
    b = np.arange(0.0, 4.0)
    b[1] = x[1]
    c = np.array([1, 2.5, 3, 4])
    c[2] = x[2] ** 2
    d = np.full(4, 2.0)
    d[3] = x[3]
    e = np.array([1, 2, 3, 4], float)
    e[0] = x[1] ** 3
    return np.sum(a * x) + np.sum(b * x) + np.sum(c * x) + np.sum(d * x) + np.sum(e * x)


def test_writes_into_floating_arrays_are_differentiated_unchecked():
    assert_grad(floating_arrays_written, V)
    code = ad.show(floating_arrays_written, args=(V,))
    # (a's shape is known: the value written needs no unbroadcast, nor a name of its own)
    assert "a[0] = x[0] * 10" in code and "require_float" not in code
    assert "require_float_array(out" in ad.show(buffer_given_filled_in_a_loop, args=(V, V))


def level_filled_into_an_integer_array(x):
    counts = np.full(3, x * 10, dtype=int)
    return np.sum(counts) * x


def level_filled_in_single_precision(x):
    return float(np.sum(np.full((2, 2), x ** 2, dtype=np.float32)) * x)


def test_np_full_of_a_value_in_an_integer_dtype_has_no_gradient_through_the_value():
    # np.full(3, 3.7, dtype=int) holds 3s: only the factor x differentiates (was 20.1: the
    # value's adjoint passed through the rounding, and its tangent was rounded)
    assert ad.grad(level_filled_into_an_integer_array)(0.37) == pytest.approx(9.0)
    assert ad.jvp(level_filled_into_an_integer_array)(0.37, 1.0)[1] == pytest.approx(9.0)
    # (4 x ** 3, rounded to single precision on the way: finite differences would see steps)
    assert ad.grad(level_filled_in_single_precision)(0.37) == pytest.approx(12 * 0.37 ** 2)
    assert ad.jvp(level_filled_in_single_precision)(0.37, 1.0)[1] == pytest.approx(
        12 * 0.37 ** 2, rel=1e-6)


# -- an index read in a kept update is not changed by it ---------------------------------

def kmeans_centroid_step(C):
    # counts[a[i]] += 1 was taken to change a, the labels the gradient reads in the same loop
    X = np.array([[0.0, 0.1], [0.2, 0.0], [1.0, 1.1], [0.9, 1.0], [0.5, 0.4]])
    d = np.sum((X[:, None, :] - C[None, :, :]) ** 2, axis=2)
    a = np.argmin(d, axis=1)
    sums = np.zeros_like(C)
    counts = np.zeros(C.shape[0])
    for i in range(X.shape[0]):
        sums[a[i]] += X[i] + 0.1 * C[a[i]]
        counts[a[i]] += 1
    return np.sum(sums / counts[:, None] * C)


def test_a_kept_update_at_an_index_read_from_an_array_is_differentiated():
    assert_grad(kmeans_centroid_step, np.array([[0.1, 0.0], [1.0, 0.9]]))
