"""Idioms adcompile used to refuse, written as users write them:

- a write through an item of an array, ``D[i][j] = v`` and ``D[i][j] += v``: NumPy writes
  through the view ``D[i]``, so it is ``D[i, j] = v`` where ``i`` is an int;
- ``list(zip(xs, ys))`` of values being differentiated, also walked by a for loop;
- ``for row in B: row -= c`` (``row *= s``, ``row[:] = ...``): NumPy changes ``B``
  through its rows;
- ``sorted(pairs, key=lambda p: p[0])`` of a list of tuples of values being
  differentiated: the order comes from the keys with their gradient stopped.

Each gradient is checked against central finite differences and, where autograd runs the
code (it cannot assign into arrays: a twin written without that), against autograd, with
second derivatives where they make sense. The variants that are not the same write (a
list of lists, an index not known to be an int, an array of one dimension) stay refused,
at the user's line.
"""

import inspect
import re

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from conftest import assert_close, assert_grad, numerical_grad, with_autograd_numpy

import adcompile as ad
from tests.generated_names import generated_names

rng = np.random.default_rng(5)


def line_of(f, text):
    """The line number, in this file, of the first line of ``f`` holding ``text``."""
    lines, first = inspect.getsourcelines(f)
    return first + next(i for i, line in enumerate(lines) if text in line)


def assert_refused_at(f, args, text, words, error=ad.TransformError, at=None):
    """Calling ``ad.grad(f)`` raises ``error`` naming this file, the line of ``f`` holding
    ``text`` and the column where ``at`` (default: ``text``) starts on it, and matching
    ``words``."""
    line = line_of(f, text)
    col = inspect.getsourcelines(f)[0][line - line_of(f, "def ")].index(at or text) + 1
    with pytest.raises(error, match=words) as caught:
        ad.grad(f)(*args)
    assert f"{__file__}:{line}:{col}" in str(caught.value), str(caught.value)
    assert not generated_names(str(caught.value), f), str(caught.value)


# ---------------------------------------------------------------------------
# D[i][j] = v on an array
# ---------------------------------------------------------------------------

def gaussian_kernel_energy(x, scale):
    n = len(x)
    D = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            D[i][j] = np.sum((x[i] - x[j]) ** 2)   # as one writes it for nested lists
    return np.sum(np.exp(-D / scale)) + np.sum(D[0] * D[-1])


def gaussian_kernel_energy_twin(x, scale):
    D = np.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=-1)
    return np.sum(np.exp(-D / scale)) + np.sum(D[0] * D[-1])


def test_a_matrix_filled_item_by_item():
    x, scale = rng.normal(size=(4, 2)), 1.5
    g = assert_grad(gaussian_kernel_energy, x, scale, wrt=(0, 1))
    expected = with_autograd_numpy(globals(), autograd.grad(gaussian_kernel_energy_twin, (0, 1)),
                                   x, scale)
    for got, want in zip(g, expected):
        assert_close(got, want, 1e-10, 1e-12, "against autograd")
    hessian = ad.hessian(gaussian_kernel_energy)(x, scale)
    expected = with_autograd_numpy(globals(), autograd.hessian(gaussian_kernel_energy_twin),
                                   x, scale)
    assert_close(hessian, expected, 1e-9, 1e-10, "hessian against autograd")
    assert re.search(r"\bD_2\[i, j(_2)?\] = t2\b", ad.show(gaussian_kernel_energy,
                                                            args=(x, scale)))


def accumulated_grid(w, rates):
    G = np.zeros((3, 3))
    for step in range(2):
        for i in range(3):
            for j in range(3):
                G[i][j] += rates[step] * w[i] * w[j] * (i + 1)
        G[step][1:] = np.tanh(G[step][1:])
    n = len(G)
    for i in range(n):
        G[n - 1 - i][i % 2] -= 0.5 * G[i][0]
    return np.sum(G * G)


def accumulated_grid_twin(w, rates):
    G = anp.zeros((3, 3))
    factor = anp.array([1.0, 2.0, 3.0])[:, None]
    for step in range(2):
        G = G + rates[step] * anp.outer(w, w) * factor
        row = anp.concatenate([G[step][:1], anp.tanh(G[step][1:])])
        G = anp.concatenate([G[:step], row[None], G[step + 1:]])
    for i in range(3):
        k, c = 2 - i, i % 2
        mask = anp.zeros((3, 3))
        mask[k, c] = 1.0
        G = G - mask * (0.5 * G[i][0])
    return anp.sum(G * G)


def test_items_added_into_through_a_row_in_a_loop():
    w, rates = rng.normal(size=3), np.array([0.7, -0.4])
    g = assert_grad(accumulated_grid, w, rates, wrt=(0, 1))
    for got, want in zip(g, autograd.grad(accumulated_grid_twin, (0, 1))(w, rates)):
        assert_close(got, want, 1e-10, 1e-12, "against autograd")
    assert_close(ad.hessian(accumulated_grid)(w, rates),
                 autograd.hessian(accumulated_grid_twin)(w, rates), 1e-9, 1e-10, "hessian")


def diagonal_layer(params, x):
    W, d = params["W"].copy(), params["d"]
    for i in range(len(d)):
        W[i][i] = d[i]                  # a learned diagonal
    h = np.tanh(W @ x)
    return np.sum(h ** 2)


def test_a_dict_of_params_with_a_diagonal_written_by_items():
    params = {"W": rng.normal(size=(3, 3)), "d": rng.normal(size=3)}
    x = rng.normal(size=3)
    g = ad.grad(diagonal_layer)(params, x)
    for key, value in params.items():
        expected = numerical_grad(lambda v: diagonal_layer({**params, key: v}, x), (value,), 0)
        assert_close(g[key], expected, 1e-6, 1e-8, f"d/d{key}")
    assert np.all(np.diag(g["W"]) == 0.0)   # overwritten entries have no gradient


def blocks_of_a_tensor(x, T):
    for i in range(2):                  # T is the caller's: the write is the function's own
        for j in range(2):
            T[i][j][0] = x * T[i][j][1]
    return np.sum(T ** 2)


def test_an_argument_written_through_two_items():
    T = rng.normal(size=(2, 2, 3))
    before = T.copy()
    assert_grad(blocks_of_a_tensor, 0.6, T, wrt=(0, 1))
    np.testing.assert_array_equal(T, before)


def written_at_a_given_index(x, B, k):
    B = B.copy()
    B[k][0] = x
    return np.sum(B ** 2)


def into_a_list_of_lists(x):
    rows = [[0.0] * 3 for _ in range(3)]
    for i in range(3):
        rows[i][i] = x
    return rows[0][0] + rows[1][1]


def into_a_list_of_lists_read_by_rows(x):
    rows = [[0.0] * 3 for _ in range(3)]
    for i in range(3):
        rows[i][i] = x
    return sum(rows[0]) + rows[1][1]


def into_a_given_list_of_lists(x, rows):
    for i in range(2):
        rows[i][0] = x * rows[i][1]
    return rows[0][0] * rows[1][0]


def into_a_slice_of_rows(x, B):
    B = B.copy()
    B[1:][0] = x
    return np.sum(B)


def into_an_array_of_ints(x, B):
    for i in range(2):
        B[i][0] = x
    return np.sum(B * x)


def test_what_is_not_the_same_write_stays_refused():
    B = rng.normal(size=(2, 3))
    # an index not known to be an int: B[k][0] is B[k, 0] only where k is one
    assert_refused_at(written_at_a_given_index, (0.5, B, 1), "k][0]",
                      r"B\[k\]\[0\] = \.\.\. is differentiated as B\[k, 0\].* 'k' an int")
    # a list of lists the function made, a row read whole: the write changes an inner list
    # (used entry by entry only, it is a table: frontend/list_tables.py)
    assert_refused_at(into_a_list_of_lists_read_by_rows, (0.5,), "rows[i][i]",
                      "changes in place an item of the list rows")
    assert_close(assert_grad(into_a_list_of_lists, 0.5), 2.0, 1e-12, 1e-12)
    # one the caller gives: known when the code runs
    assert_refused_at(into_a_given_list_of_lists, (0.5, [[1.0, 2.0], [3.0, 4.0]]),
                      "rows[i][0]", "into an item of an array, not of a list", TypeError)
    # a row of a slice: B[1:][0] is B[1], not B[1, 0]
    assert_refused_at(into_a_slice_of_rows, (0.5, B), "B[1:][0]", "item or slice assignment")
    # integers: NumPy rounds the value written (also in a loop over an argument)
    assert_refused_at(into_an_array_of_ints, (1.5, np.array([[1, 2], [3, 4]])), "B[i][0]",
                      "array of integers", TypeError)


def into_an_array_of_ints_by_one_index(x, B):
    for i in range(2):
        B[i, 0] = x
    return np.sum(B * x)


def test_a_loop_writing_into_an_argument_of_ints_is_refused_when_it_runs():
    # (it was taken for an array of floats: x rounded, and a gradient through it)
    assert_refused_at(into_an_array_of_ints_by_one_index, (1.5, np.array([[1, 2], [3, 4]])),
                      "B[i, 0]", "array of integers", TypeError)
    assert_grad(into_an_array_of_ints_by_one_index, 1.5, np.ones((2, 2)))


def lookup_table(x, table):
    table[1][0] = 3                     # nothing differentiated: Python's own write
    return x * table[1][0] + x * x * table[0][1]


def test_a_write_that_is_not_differentiated_runs_as_written():
    table = [[1, 2], [5, 6]]
    assert_grad(lookup_table, 0.5, table, forward=False, keywords=False)
    assert ad.grad(lookup_table)(0.5, [[1, 2], [5, 6]]) == pytest.approx(3.0 + 2 * 0.5 * 2)


# ---------------------------------------------------------------------------
# list(zip(xs, ys))
# ---------------------------------------------------------------------------

def mlp(Ws, bs, x):
    h = x
    for W, b in list(zip(Ws, bs)):
        h = np.tanh(W @ h + b)
    return np.sum(h ** 2)


def test_layers_zipped_into_a_list():
    Ws = [rng.normal(size=(3, 3)), rng.normal(size=(2, 3))]
    bs = [rng.normal(size=3), rng.normal(size=2)]
    x = rng.normal(size=3)
    g = ad.grad(mlp, wrt=(0, 1))(Ws, bs, x)
    expected = with_autograd_numpy(globals(), autograd.grad(mlp, (0, 1)), Ws, bs, x)
    for got, want in zip(g[0] + g[1], expected[0] + expected[1]):
        assert_close(got, want, 1e-10, 1e-12, "against autograd")
    for k in range(2):
        fd = numerical_grad(lambda W: mlp([W if j == k else Ws[j] for j in range(2)], bs, x),
                            (Ws[k],), 0)
        assert_close(g[0][k], fd, 1e-6, 1e-8, f"d/dWs[{k}]")
    params = {"W": Ws, "b": bs}

    def mlp_of_a_dict(params, x):
        h = x
        for W, b in list(zip(params["W"], params["b"])):
            h = np.tanh(W @ h + b)
        return np.sum(h ** 2)

    got = ad.grad(mlp_of_a_dict)(params, x)
    for a, b in zip(got["W"] + got["b"], g[0] + g[1]):
        assert_close(a, b, 1e-12, 1e-14, "a dict of lists")


def paired_features(x, n):
    xs = [x * k for k in range(1, n + 1)]
    ys = [np.sin(x + k) for k in range(n)]
    pairs = list(zip(xs, ys))
    total = sum(a * b for a, b in pairs)
    for a, b in pairs[::-1]:
        total = total * 0.5 + np.tanh(a - b)
    return total


def test_a_list_of_pairs_kept_and_walked_twice():
    x = 0.4
    assert_grad(paired_features, x, 3)
    want = with_autograd_numpy(globals(), autograd.grad(paired_features), x, 3)
    assert_close(ad.grad(paired_features)(x, 3), want, 1e-12, 1e-14, "against autograd")
    want = with_autograd_numpy(globals(), autograd.grad(autograd.grad(paired_features)), x, 3)
    assert_close(ad.grad(ad.grad(paired_features))(x, 3), want, 1e-10, 1e-12, "grad of grad")


def weighted_rows(X, t):
    s = 0.0
    for row, y in list(zip(X, t)):
        s = s + np.dot(row, row) * y
    return s


def test_rows_of_an_array_zipped_with_targets():
    X, t = rng.normal(size=(4, 2)), rng.normal(size=4)
    assert_grad(weighted_rows, X, t, wrt=(0, 1))
    for got, want in zip(ad.grad(weighted_rows, wrt=(0, 1))(X, t), with_autograd_numpy(
            globals(), autograd.grad(weighted_rows, (0, 1)), X, t)):
        assert_close(got, want, 1e-12, 1e-14, "against autograd")
    assert_close(ad.hessian(weighted_rows)(X, t),
                 with_autograd_numpy(globals(), autograd.hessian(weighted_rows), X, t),
                 1e-10, 1e-12, "hessian")


def zipped_with_a_plain_list(Ws, scales):
    return sum([np.sum(W) * s for W, s in list(zip(Ws, scales))])


def test_a_structure_zipped_with_a_list_not_differentiated_stays_refused():
    assert_refused_at(zipped_with_a_plain_list, ([np.ones(2), np.ones(2)], [1.0, 2.0]),
                      "zip(Ws, scales)", "zip of a structure with something that is not one")


# ---------------------------------------------------------------------------
# for row in B: row -= c
# ---------------------------------------------------------------------------

def standardized(X, w):
    X = X.copy()
    for row in X:
        row -= np.mean(row)
        row /= np.sqrt(np.mean(row ** 2) + 1e-3)
    return np.sum(np.tanh(X) * w)


def standardized_twin(X, w):
    X = X - anp.mean(X, axis=1, keepdims=True)
    X = X / anp.sqrt(anp.mean(X ** 2, axis=1, keepdims=True) + 1e-3)
    return anp.sum(anp.tanh(X) * w)


def test_rows_standardized_in_place():
    X, w = rng.normal(size=(3, 4)), rng.normal(size=4)
    g = assert_grad(standardized, X, w, wrt=(0, 1))
    for got, want in zip(g, autograd.grad(standardized_twin, (0, 1))(X, w)):
        assert_close(got, want, 1e-10, 1e-12, "against autograd")
    assert_close(ad.hessian(standardized)(X, w), autograd.hessian(standardized_twin)(X, w),
                 1e-8, 1e-10, "hessian")
    code = ad.show(standardized, args=(X, w))
    assert "require_rows" not in code   # (X has two dimensions here)
    assert "require_rows(X_2, " in ad.show(standardized)   # (any kind of argument)


def layer_applied_to_rows(H, W, scale):
    for i, row in enumerate(H):        # H is the caller's: the changes are the function's own
        row[:] = np.tanh(W @ row)
        row[0] += i * scale
        row *= scale
    return np.sum(H ** 2)


def layer_applied_to_rows_twin(H, W, scale):
    H = anp.tanh(H @ W.T)
    H = H + anp.outer(anp.arange(len(H)) * scale, anp.eye(H.shape[1])[0])
    return anp.sum((H * scale) ** 2)


def test_a_layer_applied_row_by_row_under_enumerate():
    H, W = rng.normal(size=(3, 2)), rng.normal(size=(2, 2))
    before = H.copy()
    g = assert_grad(layer_applied_to_rows, H, W, 0.8, wrt=(0, 1, 2))
    np.testing.assert_array_equal(H, before)
    for got, want in zip(g, autograd.grad(layer_applied_to_rows_twin, (0, 1, 2))(H, W, 0.8)):
        assert_close(got, want, 1e-10, 1e-12, "against autograd")
    assert_close(ad.hessian(layer_applied_to_rows, wrt=1)(H, W, 0.8),
                 autograd.hessian(layer_applied_to_rows_twin, 1)(H, W, 0.8), 1e-8, 1e-10,
                 "hessian")


def scaled_items(x, v):
    v = v * x
    for item in v:                      # numbers: item *= x leaves v as it is
        item *= x
    return np.sum(v)


def rows_of_a_list(x):
    rows = [x * 1.0, x * 2.0]
    for row in rows:                    # arrays the list holds: changed in place
        row -= 1.0
    return np.sum(rows[0] * rows[1])


def test_the_arrays_of_a_list_changed_through_the_loop_walking_it():
    x = np.array([0.3, -0.5, 0.8])
    g = assert_grad(rows_of_a_list, x)
    assert_close(g, autograd.grad(lambda x: anp.sum((x - 1.0) * (2.0 * x - 1.0)))(x),
                 1e-12, 1e-12)


def momentum_on_lists(w, b, X, y):
    """Three steps of gradient descent with momentum, on lists of parameters and
    velocities walked together, as a hand-written optimiser does."""
    params, velocity = [w * 1.0, b * 1.0], [np.zeros_like(w), np.zeros_like(b)]
    for _ in range(3):
        r = X @ params[0] + params[1] - y
        grads = [X.T @ r / len(y), np.mean(r) * np.ones_like(params[1])]
        for p, v, g in zip(params, velocity, grads):
            v *= 0.9
            v -= 0.1 * g
            p += v
    r = X @ params[0] + params[1] - y
    return 0.5 * np.mean(r ** 2)


def momentum_on_lists_twin(w, b, X, y):
    params, velocity = [w, b], [anp.zeros_like(w), anp.zeros_like(b)]
    for _ in range(3):
        r = anp.dot(X, params[0]) + params[1] - y
        grads = [anp.dot(X.T, r) / len(y), anp.mean(r) * anp.ones_like(params[1])]
        velocity = [0.9 * v - 0.1 * g for v, g in zip(velocity, grads)]
        params = [p + v for p, v in zip(params, velocity)]
    r = anp.dot(X, params[0]) + params[1] - y
    return 0.5 * anp.mean(r ** 2)


def test_an_optimiser_walking_parameters_and_velocities_with_zip():
    X, y = rng.normal(size=(6, 3)), rng.normal(size=6)
    w, b = rng.normal(size=3), rng.normal(size=1)
    g = assert_grad(momentum_on_lists, w, b, X, y, wrt=(0, 1, 2))
    for got, want in zip(g, autograd.grad(momentum_on_lists_twin, (0, 1, 2))(w, b, X, y)):
        assert_close(got, want, 1e-12, 1e-12, "against autograd")


def rows_shifted_by_zip(x, shifts):
    B = np.outer(x, x)
    for row, c in zip(B, shifts):       # (two shifts: the last row is left as it is)
        row -= c * x
    return np.sum(B ** 2)


def test_rows_of_an_array_walked_with_zip():
    x = np.array([0.3, -0.5, 0.8])
    g = assert_grad(rows_shifted_by_zip, x, [1.0, 2.0])

    def twin(x):
        B = anp.outer(x, x)
        return anp.sum((B - anp.outer(anp.array([1.0, 2.0, 0.0]), x)) ** 2)
    assert_close(g, autograd.grad(twin)(x), 1e-12, 1e-12, "against autograd")


def numbers_of_a_list(x):
    items = [x * 1.0, x * 2.0]
    for item in items:                  # numbers: item *= 2.0 leaves the list as it is
        item *= 2.0
    return items[0] * items[1]


def row_read_after_a_change(x, B):
    B = B * x
    for row in B:
        row -= 1.0
    B[0, 0] = 5.0
    return np.sum(row * B)


def last_row_read_after_the_loop(x, B):
    B = B * x
    for row in B:
        row -= 1.0
    return np.sum(row * B)


@pytest.mark.parametrize("rows", [1, 2])
def test_the_last_row_changed_is_read_after_the_loop(rows):
    # (Python's row is a view of B's last row, which the loop changed: the loop's last row)
    assert_grad(last_row_read_after_the_loop, 0.5, rng.normal(size=(rows, 3)), wrt=(0, 1))


def row_filled(B):
    B = B.copy()
    for row in B:
        row.fill(1.0)
        row -= 2.0
    return np.sum(B ** 3)


def items_changed_not_differentiated(x, v, rows):
    for item in v:                      # numbers: v keeps its values
        item -= 1.0
    for row in rows:                    # arrays a list holds: changed in place
        row -= 1.0
    return x * np.sum(v) + x * x * np.sum(rows[0])


def test_a_loop_nothing_differentiated_reaches_runs_as_written():
    v, rows = np.ones(3), [np.full(2, 3.0), np.ones(2)]
    assert ad.grad(items_changed_not_differentiated)(0.5, v, rows) == pytest.approx(
        3.0 + 2 * 0.5 * 4.0)   # (rows[0] is 2.0, 2.0 after the loop)
    np.testing.assert_array_equal(v, np.ones(3))
    np.testing.assert_array_equal(rows[0], np.full(2, 3.0))   # (the gradient's own copy)


def test_what_is_not_a_change_through_the_rows_stays_refused():
    B = rng.normal(size=(2, 3))
    assert_refused_at(scaled_items, (0.5, np.ones(3)), "in v:", "here it is an array of 1 "
                      "dimension", TypeError, at="v:")
    assert_refused_at(numbers_of_a_list, (0.5,), "in items:", "here one is a float",
                      TypeError, at="items:")
    # (the last row, changed through the array, is the loop's row after it, as Python's
    # view is: what stays refused is the write into B that row, a view of it, would see)
    assert_refused_at(row_read_after_a_change, (0.5, B), "B[0, 0] = 5.0",
                      "'row', which may share its memory")
    assert_refused_at(row_filled, (B,), "row.fill", "changes the array 'row' in place")


# ---------------------------------------------------------------------------
# sorted(pairs, key=lambda p: p[0])
# ---------------------------------------------------------------------------

def discounted_gain(x, relevance):
    scored = []
    for i in range(len(relevance)):
        scored.append((relevance[i], np.sin(x * (i + 1)) ** 2))
    ranked = sorted(scored, key=lambda p: p[0], reverse=True)
    gain = 0.0
    for rank, (rel, value) in enumerate(ranked):
        gain = gain + value / np.log2(rank + 2.0)
    return gain


def test_items_ranked_by_a_score_not_differentiated():
    x, relevance = 0.7, [0.5, 2.0, 1.0, 2.0]   # (a tie: sorted keeps the first first)
    assert_grad(discounted_gain, x, relevance, forward=False, keywords=False)
    want = with_autograd_numpy(globals(), autograd.grad(discounted_gain), x, relevance)
    assert_close(ad.grad(discounted_gain)(x, relevance), want, 1e-12, 1e-14, "autograd")
    want = with_autograd_numpy(globals(), autograd.grad(autograd.grad(discounted_gain)),
                               x, relevance)
    assert_close(ad.grad(ad.grad(discounted_gain))(x, relevance), want, 1e-10, 1e-12,
                 "grad of grad")
    code = ad.show(discounted_gain, args=(x, relevance))
    assert "sorted(range(len(keys)), key=keys.__getitem__, reverse=True)" in code


def smallest_first(x):
    pairs = [(x, 1.0), (x * x, 2.0), (1.0 - x, 3.0)]
    total = 0.0
    for key, weight in sorted(pairs, key=lambda p: p[0]):
        total = total * 0.5 + key * weight
    return total


def test_pairs_walked_in_the_order_of_a_key_being_differentiated():
    # (the order is piecewise constant in x: its gradient is stopped, as autograd's
    # comparisons are)
    for x in (0.3, 0.8):
        assert_grad(smallest_first, x)
        want = with_autograd_numpy(globals(), autograd.grad(smallest_first), x)
        assert_close(ad.grad(smallest_first)(x), want, 1e-12, 1e-14, "autograd")
        assert_close(ad.hessian(smallest_first)(x), with_autograd_numpy(
            globals(), autograd.hessian(smallest_first), x), 1e-10, 1e-12, "hessian")


def sorted_by_a_sum(x):
    pairs = [(x, 1.0), (x * x, 2.0)]
    ranked = sorted(pairs, key=lambda p: p[0] + p[1])
    return ranked[0][0]


def sorted_by_a_missing_item(x):
    pairs = [(x, 1.0), (x * x, 2.0)]
    ranked = sorted(pairs, key=lambda p: p[2])
    return ranked[0][0]


def test_other_keys_of_a_list_of_pairs_stay_refused():
    assert_refused_at(sorted_by_a_sum, (0.5,), "sorted(pairs", "'pairs' is a list of tuples",
                      at="pairs, key")
    assert_refused_at(sorted_by_a_missing_item, (0.5,), "sorted(pairs", "item 2 of 2-tuples")
