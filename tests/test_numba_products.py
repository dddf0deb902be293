"""The numba versions of matrix products of stacks and their adjoints
(adcompile/backend/numba_products.py), of ``unbroadcast`` past two dimensions
(numba_sums.py) and of ``getitem_bar`` for an index with an array of integers
(numba_scatter.py): each gives the runtime helper's value, dtype and shape on a grid of
shapes (by default a spread of them: ADCOMPILE_NUMBA_FULL=1 runs them all), and gradients
of functions that need them, compiled, equal finite differences and the plain gradient.

Every test needs numba (the ``numba`` fixture skips without it)."""

import numpy as np
import pytest
from conftest import assert_close, numerical_grad
from test_numba_helpers import (compiled_gradient, grid, helper, jit_once, refused, same,
                                sample)

from adcompile.runtime import arrays, broadcast, products

RNG = np.random.default_rng(23)


@pytest.fixture
def numba():
    return pytest.importorskip("numba")


def normal(shape, dtype=np.float64):
    return RNG.normal(size=shape).astype(dtype)


# --- a @ b and its adjoints ----------------------------------------------------------------

PRODUCTS = [((3, 4, 5), (3, 5, 2)), ((1, 4, 5), (3, 5, 2)), ((3, 4, 5), (1, 5, 2)),
            ((3, 4, 5), (5, 2)), ((4, 5), (3, 5, 2)), ((4, 5), (5, 2)), ((4, 5), (5,)),
            ((5,), (5, 2)), ((5,), (5,)), ((2, 1, 3), (2, 3, 1))]


@pytest.mark.parametrize("a_shape, b_shape, dtype",
                         sample(grid(PRODUCTS, [np.float64, np.float32]), 2))
def test_products_and_their_adjoints_equal_the_runtime_helpers(numba, a_shape, b_shape,
                                                               dtype):
    matmul, left, right = (helper(name) for name in ("matmul", "matmul_bar_left",
                                                      "matmul_bar_right"))
    x, y = normal(a_shape, dtype), normal(b_shape, dtype)
    z_bar = normal(np.shape(x @ y), dtype)[()]
    ulps = 8 * max(a_shape[-1], 1)   # (BLAS's sums in another order, for a stack)
    # (np.asarray: numba hands a float32 number back as a Python float)
    same(jit_once(lambda a, b: np.asarray(matmul(a, b)))(x, y), x @ y, ulps)
    same(jit_once(lambda g, a, b: left(g, a, b))(z_bar, x, y),
         products.matmul_bar_left(z_bar, x, y), ulps)
    same(jit_once(lambda g, a, b: right(g, a, b))(z_bar, x, y),
         products.matmul_bar_right(z_bar, x, y), ulps)


BROADCAST_FROM = [((3, 4, 5), (3, 1, 5)), ((3, 4, 5), (1, 4, 5)), ((3, 4, 5), (4, 5)),
                  ((3, 4, 5), (5,)), ((3, 4, 5), (1, 1, 5)), ((3, 4, 5), (3, 4, 5)),
                  ((4, 5), (1, 5)), ((4, 5), (5,))]


@pytest.mark.parametrize("x_shape, to_shape", sample(BROADCAST_FROM, 1))
def test_the_left_adjoint_summed_to_what_x_was_broadcast_from(numba, x_shape, to_shape):
    left = helper("matmul_bar_left")
    x, y, to = normal(x_shape), normal(x_shape[:-2] + (5, 2)), normal(to_shape)
    z_bar = normal(np.shape(x @ y))
    jitted = jit_once(lambda g, a, b, t: left(g, a, b, to=t))
    same(jitted(z_bar, x, y, to), products.matmul_bar_left(z_bar, x, y, to=to), 40)


def test_products_refuse_mixed_precisions_integers_and_stacks_with_vectors(numba):
    matmul, left = helper("matmul"), helper("matmul_bar_left")
    product = lambda a, b: matmul(a, b)   # noqa: E731
    refused(numba, product, np.ones((2, 3, 4)), np.ones((2, 4, 2), np.float32))
    refused(numba, product, np.ones((2, 3, 4), np.int64), np.ones((2, 4, 2), np.int64))
    refused(numba, product, np.ones((2, 3, 4)), np.ones(4))
    refused(numba, lambda g, a, b: left(g, a, b), np.ones((2, 3)), np.ones((2, 3, 4)),
            np.ones(4))


def test_stacks_that_do_not_broadcast_are_a_value_error_as_in_numpy(numba):
    matmul = helper("matmul")
    a, b = np.ones((2, 3, 4)), np.ones((3, 4, 2))
    with pytest.raises(ValueError):
        a @ b
    with pytest.raises(ValueError):
        jit_once(lambda a, b: matmul(a, b))(a, b)


SWAPS = [((3, 4, 5), 1, 2), ((3, 4, 5), -1, 0), ((3, 4, 5), 1, 1), ((2, 3), 0, -1),
         ((4,), 0, 0), ((2, 3, 4, 5), 3, 1)]


@pytest.mark.parametrize("shape, i, j", sample(SWAPS, 1))
def test_swapaxes_is_numpys_view(numba, shape, i, j):
    swapaxes = helper("swapaxes")
    jitted = jit_once(lambda a, i, j: swapaxes(a, i, j))
    a = normal(shape)
    for b in (a, a[..., ::2]):
        got = jitted(b, i, j)
        assert got.shape == np.swapaxes(b, i, j).shape
        assert np.array_equal(got, np.swapaxes(b, i, j))
        assert np.shares_memory(got, b)
    with pytest.raises(ValueError):
        jitted(a, len(shape), 0)


def test_the_lowering_rewrites_products_and_swapaxes():
    from adcompile.backend.numba_lowering import lowered
    text = ("def f(x, y, out_bar=1.0):\n"
            "    a = x @ np.swapaxes(y, 1, 2)\n"
            "    return np.swapaxes(a, 0, axis2=1) @ (x @ y)\n")
    code, names = lowered(text)
    assert names == {"matmul_1": "matmul", "swapaxes_1": "swapaxes"}
    assert "a = matmul_1(x, swapaxes_1(y, 1, 2))" in code
    assert "return matmul_1(np.swapaxes(a, 0, axis2=1), matmul_1(x, y))" in code


# --- unbroadcast past two dimensions -------------------------------------------------------

SUMMED = [((2, 3, 4), (2, 1, 4)), ((2, 3, 4), (3, 4)), ((2, 3, 4), (4,)), ((2, 3, 4), (1, 1, 1)),
          ((2, 3, 4), (2, 3, 1)), ((2, 3, 4), ()), ((2, 3, 4), (1, 3, 4)),
          ((2, 3, 4, 5), (3, 1, 5)), ((2, 3, 4), (2, 3, 4)), ((2, 3, 1), (2, 1, 1))]


@pytest.mark.parametrize("g_shape, x_shape, dtype",
                         sample(grid(SUMMED, [np.float64, np.float32]), 2))
def test_unbroadcast_of_stacks(numba, g_shape, x_shape, dtype):
    unbroadcast = helper("unbroadcast")
    g, x = normal(g_shape, dtype), normal(x_shape, dtype)[()]
    if not x_shape:
        x = RNG.normal()   # (a number: the runtime's sum is a NumPy number)
    jitted = jit_once(lambda g, x: np.asarray(unbroadcast(g, x)))   # (see above)
    same(jitted(g, x), broadcast.unbroadcast(g, x), 4 * g.size)
    strided = np.swapaxes(normal(g_shape[:-2] + g_shape[:-3:-1], dtype), -1, -2)
    same(jitted(strided, x), broadcast.unbroadcast(strided, x), 4 * g.size)


# --- getitem_bar with an array of integers ---------------------------------------------------

ARRAY_INDEXES = [((5,), [0, 2, 2, -1]), ((3, 4), (slice(None), [[0, 1], [3, 3]])),
                 ((3, 4), ([2, 0, 2], slice(1, None))), ((2, 3, 4), (slice(None), [1, 1])),
                 ((2, 3, 4), (slice(None, 1), slice(None), [[0], [3]])),
                 ((4, 3), [1, 1, -4]), ((6,), (slice(None, None, 2), ))]


def _index(index):
    parts = index if isinstance(index, tuple) else (index,)
    made = tuple(np.array(p) if isinstance(p, list) else p for p in parts)
    return made if isinstance(index, tuple) else made[0]


@pytest.mark.parametrize("shape, index, dtypes", sample(grid(
    ARRAY_INDEXES, [(np.float64, np.float64), (np.float32, np.float32),
                    (np.float32, np.float64)]), 2))
def test_getitem_bar_sums_where_an_array_of_integers_repeats(numba, shape, index, dtypes):
    getitem_bar = helper("getitem_bar")
    index = _index(index)
    x = normal(shape, dtypes[1])
    g = normal(np.shape(x[index]), dtypes[0])
    jitted = jit_once(lambda g, x, i: getitem_bar(g, x, i))
    same(jitted(g, x, index), arrays.getitem_bar(g, x, index), 4)
    if dtypes[1] == np.float64:
        same(jitted(1.5, x, index), arrays.getitem_bar(1.5, x, index), 4)


def test_an_index_out_of_range_is_an_index_error_as_in_numpy(numba):
    getitem_bar = helper("getitem_bar")
    jitted = jit_once(lambda g, x, i: getitem_bar(g, x, i))
    with pytest.raises(IndexError):
        arrays.getitem_bar(np.ones(2), np.ones(3), np.array([0, 3]))
    with pytest.raises(IndexError):
        jitted(np.ones(2), np.ones(3), np.array([0, 3]))
    with pytest.raises(IndexError):
        jitted(np.ones(2), np.ones(3), np.array([0, -4]))


# --- compiled gradients that call them -------------------------------------------------------

def stacked_products(A, B):
    return np.sum(np.tanh(A @ np.swapaxes(B, 1, 2)) ** 2)


def shared_matrix(A, W, c):
    h = np.tanh(A @ W + c[:, None, :])   # (a matrix with every one of a stack)
    return np.sum(h * h)


def picked_columns(x, cols):
    return np.sum(np.sin(x[:, cols]) * x[:, cols])


def picked_rows(x, rows, w):
    return np.sum((x[rows] @ w) ** 2)


GRADIENTS = [
    (stacked_products, (normal((3, 4, 5)), normal((3, 2, 5))), (0, 1),
     ["matmul_bar_left(", "matmul_bar_right("]),
    (shared_matrix, (normal((3, 4, 5)), normal((5, 2)), normal((3, 2))), (0, 1, 2),
     ["matmul_bar_left(", "matmul_bar_right("]),
    (picked_columns, (normal((3, 4)), np.array([[0, 3], [3, 1]])), 0, ["getitem_bar("]),
    (picked_rows, (normal((4, 3)), np.array([1, 1, 2, 0, 1]), normal(3)), (0, 2),
     ["getitem_bar("]),
]


@pytest.mark.parametrize("f, args, wrt, calls", sample(GRADIENTS, 1),
                         ids=[case[0].__name__ for case in sample(GRADIENTS, 1)])
def test_compiled_gradients_equal_finite_differences_and_plain_python(numba, f, args, wrt,
                                                                      calls):
    import adcompile as ad
    g, got = compiled_gradient(f, wrt, args)
    for call in calls:
        assert call in g.numba.variants[0].text, call
    plain = ad.grad(f, wrt=wrt)(*args)
    plain = plain if isinstance(wrt, tuple) else (plain,)
    for index, value, reference in zip(wrt if isinstance(wrt, tuple) else (wrt,), got, plain):
        assert np.shape(value) == np.shape(reference)
        assert np.asarray(value).dtype == np.asarray(reference).dtype
        assert_close(value, numerical_grad(f, args, index))
        assert_close(value, reference, 1e-12, 1e-13)
