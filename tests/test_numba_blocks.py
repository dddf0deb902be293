"""Products over a data matrix done in blocks of rows by the numba backend
(backend/numba_blocks.py): the rewrite of the generated text, which needs no numba, and
the compiled gradients of models linear in the rows of their data (logistic, Poisson,
least-squares, probit regression) checked against finite differences and the plain Python
gradient, for data sizes that fill no block, several and a part of one, and for arguments
the blocks must not be used with (a vector NumPy broadcasts, a matrix in Fortran order or
of every other column, float32)."""

import ast

import numpy as np
import pytest
from conftest import assert_close, numerical_grad
from test_numba import compiled, numba  # noqa: F401 (a fixture)

import adcompile as ad
from adcompile.backend.numba_blocks import BLOCK_BYTES, blocked

RNG = np.random.default_rng(5)
ALIASES = {name: name for name in ("filled_like", "in_place", "stable_sigmoid",
                                   "unbroadcast", "reduced_size", "unreduce_times")}
VECTOR, MATRIX = (1, True, False), (2, True, False)


def logistic(w, b, X, y):
    z = X @ w + b
    return np.sum(np.logaddexp(0.0, z) - y * z) / X.shape[0]


def least_squares(w, X, y):
    r = X @ w - y
    return 0.5 * np.sum(r ** 2) / len(y)


def poisson(w, X, y):
    z = X @ w
    return np.mean(np.exp(z) - y * z)


def probit_like(w, X, y):
    p = 1 / (1 + np.exp(-(X @ w)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def ridge(w, b, X, y, lam):
    z = X.dot(w) + b
    return np.mean((z - y) ** 2) + lam * np.sum(w ** 2)


def weighted(w, X, y, s):
    return np.sum(s * np.logaddexp(0.0, -y * (X @ w)))


def centred(w, X, y):
    z = X @ w
    return np.sum((z - np.mean(z) - y) ** 2)


def returns_rows(w, X, y):
    z = X @ w
    return np.sum(np.tanh(z) * y)


def data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return rng.standard_normal(d) / np.sqrt(d), X, (rng.random(n) < 0.5).astype(float)


def generated(f, args, wrt=0):
    return ad.show(f, wrt=wrt, args=args)


# -- the rewrite of the text --------------------------------------------------------------

def test_the_logistic_gradient_walks_its_matrix_in_blocks_of_rows():
    w, X, y = data(20, 3)
    text = blocked(generated(logistic, (w, 0.1, X, y), (0, 1)), (VECTOR, 0, MATRIX, VECTOR),
                   ALIASES)
    fn = ast.parse(text).body[0]
    branch = next(s for s in fn.body if isinstance(s, ast.If))
    loop = next(s for s in branch.body if isinstance(s, ast.For))
    body = ast.unparse(loop)
    assert "X_rows_1 = np.ascontiguousarray(X[start_1:start_1 + step_1])" in body
    assert "y_rows_1 = y[start_1:start_1 + step_1]" in body
    assert "X_rows_1.dot(w)" in body and "X_rows_1.T.dot(z_bar)" in body
    assert ast.unparse(branch.test) == "n_rows_1 > 0 and y.shape[0] == n_rows_1"
    # the code as it was, where the arguments do not allow blocks
    assert "z = X.dot(w) + b" in ast.unparse(branch.orelse)
    assert ast.unparse(fn.body[-1]) == "return (w_bar, b_bar)"


@pytest.mark.parametrize("f, args, key", [
    (centred, data(20, 3), (VECTOR, MATRIX, VECTOR)),          # a sum read row by row
    (logistic, (data(20, 3)[0], 0.1) + data(20, 3)[1:], (VECTOR, 0, None, VECTOR)),
    (least_squares, data(20, 3), (VECTOR, (2, True, False), None)),   # y of unknown kind
    (least_squares, (np.ones((3, 2)),) + data(20, 3)[1:], (MATRIX, MATRIX, VECTOR)),
], ids=["sum_read_by_rows", "matrix_of_unknown_ndim", "vector_of_unknown_ndim",
        "matrix_times_matrix"])
def test_code_of_other_forms_is_left_as_it_was(f, args, key):
    wrt = (0, 1) if f is logistic else 0
    text = generated(f, args, wrt)
    assert blocked(text, key, ALIASES) == text


def test_a_row_vector_read_after_the_blocks_leaves_the_code_as_it_was():
    text = ("def grad_f(w, X, y, *, out_bar=1.0):\n"
            "    z = X.dot(w)\n"
            "    w_bar = X.T.dot(z * y)\n"
            "    return (w_bar, z)\n")
    assert blocked(text, (VECTOR, MATRIX, VECTOR), ALIASES) == text


@pytest.mark.parametrize("between", [
    "    u = in_place(np.multiply, s, 2.0)\n",     # writes into an array the blocks read
    "    record(z)\n",                             # a call the analysis does not know
    "    q = z.sum()\n",                           # a row vector read whole
    "    q = z.shape[1]\n",                        # (an error NumPy raises)
    "    z = z * 2\n",                             # a name assigned twice
])
def test_statements_the_blocks_cannot_move_leave_the_code_as_it_was(between):
    text = ("def grad_f(w, X, y, s, *, out_bar=1.0):\n"
            "    z = X.dot(w) * s\n" + between +
            "    z_bar = z * y\n"
            "    w_bar = X.T.dot(z_bar)\n"
            "    return w_bar\n")
    assert blocked(text, (VECTOR, MATRIX, VECTOR, VECTOR), ALIASES) == text
    assert blocked(text.replace(between, ""), (VECTOR, MATRIX, VECTOR, VECTOR), ALIASES) \
        != text.replace(between, "")


def test_numbers_in_a_row_statement_read_all_of_a_vector():
    # (w.dot(w) and len(w) are numbers: w is not cut into blocks there, even where it has
    # one entry per row of X and the blocks cut it elsewhere)
    text = ("def grad_f(w, X, *, out_bar=1.0):\n"
            "    z = X.dot(w) * w.dot(w) + w / len(w)\n"
            "    w_bar = X.T.dot(z * w)\n"
            "    return w_bar\n")
    got = blocked(text, (VECTOR, MATRIX), ALIASES)
    loop = ast.unparse(next(s for s in ast.walk(ast.parse(got)) if isinstance(s, ast.For)))
    assert "X_rows_1.dot(w) * w.dot(w) + w_rows_1 / len(w)" in loop
    assert "X_rows_1.T.dot(z * w_rows_1)" in loop


def test_a_mean_over_the_rows_is_a_sum_over_the_blocks_divided_after_them():
    text = ("def vjp_f(w, X, y, *, out_bar=1.0):\n"
            "    z = X.dot(w) - y\n"
            "    value = np.mean(z ** 2)\n"
            "    w_bar = X.T.dot(out_bar * z)\n"
            "    return (value, w_bar)\n")
    got = ast.unparse(ast.parse(blocked(text, (VECTOR, MATRIX, VECTOR), ALIASES)))
    assert "part_1 = np.sum(z ** 2)" in got and "part_1 += np.sum(z ** 2)" in got
    assert got.endswith("value = part_1 / n_rows_1\n    w_bar = part_2\n"
                        "    return (value, w_bar)")


# -- the compiled gradients ---------------------------------------------------------------

def check_against_fd_and_plain(f, args, wrt):
    """The compiled gradient (no fallback) against central differences and the plain
    Python gradient (to rounding: the blocks add in another order); arrays of the plain
    gradient's dtype. (numba gives a gradient with respect to a number as a Python float,
    where the plain code may give a NumPy float.)"""
    g, got = compiled(f, wrt, args)
    wrts = wrt if isinstance(wrt, tuple) else (wrt,)
    got = got if isinstance(wrt, tuple) else (got,)
    plain = ad.grad(f, wrt=wrt)(*args)
    plain = plain if isinstance(wrt, tuple) else (plain,)
    for index, value, reference in zip(wrts, got, plain):
        assert np.shape(value) == np.shape(reference) == np.shape(args[index])
        assert np.asarray(value).dtype == np.asarray(reference).dtype
        assert_close(value, numerical_grad(f, args, index))
        assert_close(value, reference, 1e-12, 1e-13)
    return g


def rows_per_block(d):
    return max(1, BLOCK_BYTES // (d * 8))


@pytest.mark.parametrize("n", [1, 7, 2 * rows_per_block(2048), 3 * rows_per_block(2048) + 5])
@pytest.mark.parametrize("f", [least_squares, poisson, probit_like], ids=lambda f: f.__name__)
def test_blocked_gradients_match_finite_differences_and_plain_python(numba, f, n):
    w, X, y = data(n, 2048, seed=n)
    g = check_against_fd_and_plain(f, (w * 0.1, X, y), 0)
    assert "_rows_1" in g.numba.variants[0].text


@pytest.mark.parametrize("order", ["C", "F", "every_other_column", "a_vector_broadcast"])
def test_logistic_regression_for_arguments_of_every_layout(numba, order):
    w, X, y = data(3 * rows_per_block(512) + 2, 1024, seed=3)
    X = X[:, ::2] if order == "every_other_column" else np.ascontiguousarray(X[:, :512])
    if order == "F":
        X = np.asfortranarray(X)
    if order == "a_vector_broadcast":   # (the code as it was runs: y is not one per row)
        y = np.array([1.0])
    g = check_against_fd_and_plain(logistic, (w[:512], 0.3, X, y), (0, 1))
    assert "_rows_1" in g.numba.variants[0].text


def hinge(w, X, y):
    return np.mean(np.maximum(0.0, 1.0 - y * (X @ w)))


def two_products(w, v, X, y):
    return np.sum(np.tanh(X @ w) * (X @ v) - y)


@pytest.mark.parametrize("f, wrt", [(weighted, 0), (ridge, (0, 1)), (hinge, 0),
                                    (two_products, (0, 1))],
                         ids=lambda v: getattr(v, "__name__", str(v)))
def test_more_models_weights_penalties_kinks_and_two_products(numba, f, wrt):
    w, X, y = data(2 * rows_per_block(1024) + 3, 1024, seed=4)
    more = {weighted: (np.random.default_rng(1).random(len(y)),), ridge: (0.01,)}
    args = {ridge: (w, 0.2, X, y), two_products: (w, -w, X, y)}.get(f, (w, X, y)) \
        + more.get(f, ())
    g = check_against_fd_and_plain(f, args, wrt)
    assert "_rows_1" in g.numba.variants[0].text


def test_value_and_grad_sums_the_value_over_the_blocks(numba):
    w, X, y = data(3 * rows_per_block(1024) + 1, 1024, seed=8)
    g = ad.value_and_grad(logistic, wrt=(0, 1), backend="numba")
    value, (w_bar, b_bar) = g(w, 0.4, X, y)
    assert "_rows_1" in g.numba.variants[0].text and not g.numba.fallbacks
    plain_value, (plain_w, plain_b) = ad.value_and_grad(logistic, wrt=(0, 1))(w, 0.4, X, y)
    assert_close(value, logistic(w, 0.4, X, y), 1e-12, 1e-13)
    assert_close(w_bar, plain_w, 1e-12, 1e-13)
    assert_close(b_bar, plain_b, 1e-12, 1e-13)


def test_float32_data_keeps_its_precision(numba):
    w, X, y = data(2 * rows_per_block(1024) + 3, 1024, seed=6)
    args = (w.astype(np.float32), X.astype(np.float32), y.astype(np.float32))
    g, got = compiled(least_squares, 0, args)
    plain = ad.grad(least_squares)(*args)
    assert got.dtype == plain.dtype == np.float32
    np.testing.assert_allclose(got, plain, rtol=2e-4, atol=1e-5)


def offset_by_a_norm(w, X, y, c):
    z = X.dot(w) + c.dot(c)
    return np.sum((z - y) ** 2)


def test_a_number_made_of_a_vector_one_entry_per_row_is_not_cut_into_blocks(numba):
    """``c.dot(c)`` in a statement the blocks run, with ``c`` as long as ``X`` has rows: the
    inner product of the whole of ``c`` in each block, not of the block's entries (it was
    the block's, a silent wrong gradient)."""
    w, X, y = data(2 * rows_per_block(256) + 7, 256, seed=12)
    c = np.random.default_rng(2).standard_normal(len(y)) * 0.05
    g = check_against_fd_and_plain(offset_by_a_norm, (w, X, y, c), 0)
    assert "_rows_1" in g.numba.variants[0].text and "c.dot(c)" in g.numba.variants[0].text
