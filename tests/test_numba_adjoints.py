"""The numba versions of the runtime's adjoints of joins, differences, products and powers
(adcompile/backend/numba_joins.py, ...) against the Python helpers: each gives the helper's
values, dtype and shape for the types it accepts (several axes and numbers of dimensions),
runs as Python the values it cannot cut as Python does, and refuses at typing the types it
does not take; and programs written as users write them that call them compile (no
fallback) and give the plain gradient and finite differences' with backend="numba".

Every test needs numba (the ``numba`` fixture skips without it)."""

import numpy as np
import pytest
from conftest import assert_close, numerical_grad
from test_numba import compiled, fallback_warning
from test_numba_helpers import helper, jit_once

import adcompile as ad
from adcompile.runtime import joins

RNG = np.random.default_rng(31)


@pytest.fixture
def numba():
    return pytest.importorskip("numba")


def same(got, expected):
    """``got`` has ``expected``'s type, dtype, shape and values, exactly."""
    assert isinstance(got, type(expected)) or isinstance(expected, np.ndarray), \
        (type(got), type(expected))
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.dtype == expected.dtype and got.shape == expected.shape, \
        (got.dtype, got.shape, expected.dtype, expected.shape)
    np.testing.assert_array_equal(got, expected)


def refused(numba, fn, *args):
    with pytest.raises(numba.core.errors.TypingError):
        numba.njit(fn)(*args)


# --- concatenate_bar ---------------------------------------------------------------------

#: (the shapes of the items, the axis): 1-d to 3-d, every axis, negative ones, None
JOINS = [([(3,), (4,)], 0), ([(2,), (0,), (5,)], 0), ([(3,), (4,)], -1),
         ([(2, 3), (4, 3)], 0), ([(2, 3), (2, 1), (2, 4)], 1), ([(2, 3), (2, 5)], -1),
         ([(2, 3, 4), (2, 1, 4)], 1), ([(2, 3, 4), (2, 3, 2)], 2), ([(1, 3, 2), (4, 3, 2)], -3),
         ([(2, 3), (4,), (1, 1, 2)], None), ([(3,), (2,)], None)]


def items_and_gradient(shapes, axis, dtype):
    xs = [RNG.normal(size=s) for s in shapes]
    joined = np.concatenate([x.ravel() for x in xs]) if axis is None \
        else np.concatenate(xs, axis)
    return xs, RNG.normal(size=joined.shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shapes, axis", JOINS, ids=lambda v: str(v))
def test_concatenate_bar_gives_pythons_pieces(numba, shapes, axis, dtype):
    concatenate_bar = helper("concatenate_bar")
    xs, y_bar = items_and_gradient(shapes, axis, dtype)
    expected = joins.concatenate_bar(y_bar, xs, axis)
    as_tuple = jit_once(lambda y, xs, axis: concatenate_bar(y, xs, axis))
    got = as_tuple(y_bar, tuple(xs), axis)
    assert isinstance(got, tuple) and len(got) == len(expected)
    for piece, reference in zip(got, expected):
        same(piece, reference)
        assert piece.flags.c_contiguous and not np.shares_memory(piece, y_bar)
    if len({len(s) for s in shapes}) == 1:   # (a list holds arrays of one type)
        listed = jit_once(lambda y, a, b, axis: concatenate_bar(y, [a, b], axis))
        if len(xs) == 2:
            got = listed(y_bar, xs[0], xs[1], axis)
            assert len(got) == 2
            for piece, reference in zip(got, expected):
                same(piece, reference)


def test_concatenate_bar_takes_a_constant_axis_and_the_default(numba):
    concatenate_bar = helper("concatenate_bar")
    xs, y_bar = items_and_gradient([(2, 3), (2, 2)], 1, np.float64)
    got = jit_once(lambda y, a, b: concatenate_bar(y, [a, b], 1))(y_bar, *xs)
    for piece, reference in zip(got, joins.concatenate_bar(y_bar, xs, 1)):
        same(piece, reference)
    xs, y_bar = items_and_gradient([(2, 3), (1, 3)], 0, np.float64)
    got = jit_once(lambda y, a, b: concatenate_bar(y, (a, b)))(y_bar, *xs)
    for piece, reference in zip(got, joins.concatenate_bar(y_bar, xs)):
        same(piece, reference)


def test_concatenate_bar_runs_as_python_a_gradient_not_of_the_joined_shape(numba):
    from adcompile.backend.numba_joins import PiecesAsPython
    concatenate_bar = helper("concatenate_bar")
    cut = jit_once(lambda y, a, b, axis: concatenate_bar(y, (a, b), axis))
    a, b = np.ones((2, 3)), np.ones((2, 4))
    for y_bar, axis in [(np.ones((2, 6)), 1), (np.ones((3, 7)), 1), (np.ones((2, 7)), 2),
                        (np.ones((2, 7)), -3)]:
        with pytest.raises(PiecesAsPython):
            cut(y_bar, a, b, axis)
    with pytest.raises(PiecesAsPython):
        jit_once(lambda y, a, b: concatenate_bar(y, (a, b), None))(np.ones(13), a, b)


def test_concatenate_bar_refuses_what_it_does_not_take(numba):
    concatenate_bar = helper("concatenate_bar")
    a = np.ones(3)
    refused(numba, lambda y, a: concatenate_bar(y, (a, a), 0), np.ones(6, np.int64), a)
    refused(numba, lambda y, a: concatenate_bar(y, (a, a), 0), np.ones(6, np.complex128), a)
    refused(numba, lambda y, a: concatenate_bar(y, a, 0), np.ones(3), a)   # (an array)
    refused(numba, lambda y, a: concatenate_bar(y, (a, 1.0), 0), np.ones(4), a)
    refused(numba, lambda y, a: concatenate_bar(y, (a, a[0:1].reshape(())), None),
            np.ones(4), a)   # (a 0-d item)
    refused(numba, lambda y, a: concatenate_bar(y, (a, a), 0.5), np.ones(6), a)
    refused(numba, lambda y, a: concatenate_bar(y, (a, a.reshape((1, 3))), 0), np.ones(6), a)


# --- programs that join arrays ------------------------------------------------------------

def lstm_concatenated(W, b, h0, c0, xs):
    """An LSTM whose four gates are one product of the state and the input joined."""
    H = h0.shape[0]
    h, c = h0, c0
    loss = 0.0
    for t in range(xs.shape[0]):
        z = np.concatenate([h, xs[t]])
        gates = W @ z + b
        i = 1.0 / (1.0 + np.exp(-gates[:H]))
        f = 1.0 / (1.0 + np.exp(-gates[H:2 * H]))
        o = 1.0 / (1.0 + np.exp(-gates[2 * H:3 * H]))
        g = np.tanh(gates[3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        loss = loss + np.sum(h * h)
    return loss


def features_side_by_side(w, A, B):
    """A linear model over two blocks of features joined column-wise."""
    X = np.concatenate((A, B), axis=1)
    return np.sum(np.tanh(X @ w) ** 2)


def padded_signal(x, left, right):
    """A signal padded with learned ends, then smoothed."""
    y = np.concatenate([left, x, right])
    return np.sum((y[1:] - y[:-1]) ** 2) + np.sum(y ** 2) * 0.1


def flattened_and_joined(x, A):
    """A vector and a matrix's entries joined."""
    return np.sum(np.concatenate([x, A.ravel()]) ** 2)


def m(*shape):
    return RNG.normal(size=shape) * 0.4


H, I, T = 4, 3, 5
JOIN_PROGRAMS = [
    (lstm_concatenated, (m(4 * H, H + I), m(4 * H), m(H), m(H), m(T, I)), (0, 1, 2, 3, 4)),
    (features_side_by_side, (m(5), m(6, 2), m(6, 3)), (0, 1, 2)),
    (padded_signal, (m(7), m(2), m(3)), (0, 1, 2)),
    (flattened_and_joined, (m(3), m(2, 2)), (0, 1)),
]


def check(f, args, wrt):
    """The gradient with backend="numba" compiles (no fallback, no call run as Python) and
    gives the plain gradient's types (but a Python float for a NumPy float), shapes and
    dtypes, its values to rounding, and finite differences'."""
    g, got = compiled(f, wrt, args)
    assert not any(v.beyond for v in g.numba.variants)
    plain = ad.grad(f, wrt=wrt)(*args)
    for index, value, reference in zip(wrt, got, plain):
        assert type(value) is type(reference) or isinstance(reference, np.floating) \
            and type(value) is float, (type(value), type(reference))
        assert np.shape(value) == np.shape(reference) == np.shape(args[index])
        assert np.asarray(value).dtype == np.asarray(reference).dtype
        assert_close(value, reference, 1e-10, 1e-12)
        assert_close(value, numerical_grad(f, args, index))
    return g


@pytest.mark.parametrize("f, args, wrt", JOIN_PROGRAMS, ids=lambda v: getattr(v, "__name__", ""))
def test_programs_that_join_arrays_compile(numba, f, args, wrt):
    g = check(f, args, wrt)
    assert "concatenate_bar(" in g.numba.variants[0].text


def test_a_join_numba_cannot_type_still_falls_back(numba):
    """Items of different dimensions in a list (numba's lists hold one type): the code runs
    as Python, saying so, and gives the plain gradient."""
    def f(x, A):
        return np.sum(np.concatenate([x, A], axis=None) ** 2)
    args = (m(3), m(2, 2))
    g = ad.grad(f, wrt=(0, 1), backend="numba")
    with pytest.warns(fallback_warning()):
        got = g(*args)
    assert len(g.numba.fallbacks) == 1
    for value, reference in zip(got, ad.grad(f, wrt=(0, 1))(*args)):
        assert_close(value, reference, 0, 0)


# --- dot_bar_left, dot_bar_right ----------------------------------------------------------

#: the shapes of x and y in np.dot(x, y) where it is a matrix product
DOTS = [((3,), (3,)), ((4, 3), (3,)), ((3,), (3, 2)), ((4, 3), (3, 2)), ((2, 4, 3), (3, 2)),
        ((1, 3), (3, 1))]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape, y_shape", DOTS, ids=str)
def test_dot_bars_give_pythons_adjoints(numba, x_shape, y_shape, dtype):
    from adcompile.runtime import products
    x, y = RNG.normal(size=x_shape).astype(dtype), RNG.normal(size=y_shape).astype(dtype)
    z_bar = np.asarray(RNG.normal(size=np.shape(np.dot(x, y)))).astype(dtype)
    for name in ("dot_bar_left", "dot_bar_right"):
        bar = helper(name)
        got = jit_once(lambda g, x, y: bar(g, x, y))(z_bar, x, y)
        expected = getattr(products, name)(z_bar, x, y)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=10 * np.finfo(dtype).eps, atol=0)


def test_dot_bars_refuse_numbers_and_tensordots(numba):
    for name in ("dot_bar_left", "dot_bar_right"):
        bar = helper(name)
        refused(numba, lambda g, x, y: bar(g, x, y), np.ones(3), 2.0, np.ones(3))
        refused(numba, lambda g, x, y: bar(g, x, y), np.ones(3), np.ones(3), 2.0)
        refused(numba, lambda g, x, y: bar(g, x, y), np.ones((2, 2)), np.ones(3),
                np.ones((2, 3, 2)))   # (np.dot of a stack on the right: a tensordot)
        refused(numba, lambda g, x, y: bar(g, x, y), np.ones((2, 4)), np.ones((2, 4, 3)),
                np.ones(3))   # (a stack times a vector: numba's matmul_bar_* refuse it)
        refused(numba, lambda g, x, y: bar(g, x, y), np.ones(2), np.ones((2, 3)),
                np.ones(3, np.int64))


def layer_on_each_input(W, xs):
    """A layer applied to each matrix of a list of inputs."""
    total = 0.0
    for i in range(len(xs)):
        total = total + np.sum(np.tanh(np.dot(W, xs[i])) ** 2)
    return total


def each_input_through_a_layer(W, xs):
    """Each matrix of a list of inputs times a layer's weights."""
    total = 0.0
    for i in range(len(xs)):
        total = total + np.sum(np.tanh(np.dot(xs[i], W)) ** 2)
    return total


@pytest.mark.parametrize("f, helper_name", [(layer_on_each_input, "dot_bar_left"),
                                            (each_input_through_a_layer, "dot_bar_right")],
                         ids=["left", "right"])
def test_programs_with_products_of_list_items_compile(numba, f, helper_name):
    args = (m(3, 3), [m(3, 3) for _ in range(4)])
    g = check(f, args, (0,))
    assert f"{helper_name}(" in g.numba.variants[0].text


# --- scaled_power, log_or_zero ------------------------------------------------------------

#: (c, x, p) of scaled_power: numbers, arrays of one and two dimensions broadcast, zeros of
#: c and x, negative powers, negative x to fractional powers
POWERS = [(2.0, 1.5, 0.5), (0.0, 0.0, -1.0), (1.0, 0.0, -1.0), (1.0, -0.0, -1.0),
          (2.0, -2.0, 0.5), (3.0, -2.0, 2.0),
          (2.0, np.array([0.0, 1.0, -1.0, 2.0]), -1.0),
          (0.0, np.array([0.0, 2.0]), -2.0),
          (np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 1.0, -1.0, 2.0]),
           np.array([-1.0, 0.5, 0.5, 2.0])),
          (np.array([0.0, 1.0]), 0.0, -1.0),
          (np.array([[0.0], [1.0]]), np.array([1.0, 0.0, 2.0]), -0.5),
          (np.array([[1.5, 0.0]]), np.array([[2.0, 3.0], [0.5, 0.0]]), np.array([2.0, -1.0]))]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("c, x, p", POWERS, ids=str)
def test_scaled_power_gives_pythons_values(numba, c, x, p):
    from adcompile.runtime import powers
    scaled_power = helper("scaled_power")
    got = jit_once(lambda c, x, p: scaled_power(c, x, p))(c, x, p)
    expected = powers.scaled_power(c, x, p)
    same(got, expected)
    if isinstance(expected, np.ndarray):   # (float32 arrays with float32 numbers)
        down = [np.float32(v) if np.ndim(v) == 0 else v.astype(np.float32) for v in (c, x, p)]
        if any(np.ndim(v) for v in down[::2]) or np.ndim(down[1]):
            got = jit_once(lambda c, x, p: scaled_power(c, x, p))(*down)
            same(got, powers.scaled_power(*down))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("x", [0.0, 2.0, -1.0, 3, 0, np.array([0.0, 2.0, -1.0]),
                               np.array([[0.0, 2.0], [0.5, 1.0]], np.float32)], ids=repr)
def test_log_or_zero_gives_pythons_values(numba, x):
    from adcompile.runtime import powers
    log_or_zero = helper("log_or_zero")
    got = jit_once(lambda x: log_or_zero(x))(x)
    same(got, powers.log_or_zero(x))


def test_powers_refuse_integers_mixed_precisions_and_0d(numba):
    scaled_power, log_or_zero = helper("scaled_power"), helper("log_or_zero")
    power = lambda c, x, p: scaled_power(c, x, p)   # noqa: E731
    refused(numba, power, 2, 3, -1)   # (Python's 3 ** -1 is a float)
    refused(numba, power, 2.0, np.arange(3), 2.0)
    refused(numba, power, 2.0, np.ones(3, np.float32), 0.5)   # (a float64 number)
    refused(numba, power, np.ones(3), np.ones(3, np.float32), np.ones(3))
    refused(numba, power, 2.0, np.array(2.0), 0.5)
    refused(numba, lambda x: log_or_zero(x), np.arange(3))
    refused(numba, lambda x: log_or_zero(x), np.array(2.0))
    refused(numba, lambda x: log_or_zero(x), True)


def power_sum(x, p):
    """A sum of powers, differentiated in the entries and the power."""
    return np.sum(x ** p)


def generalised_mean(x, p):
    """The power mean of positive entries."""
    return np.mean(x ** p) ** (1.0 / p)


def powers_per_entry(x, p):
    """Each entry to its own power."""
    return np.sum(np.tanh(x) ** p)


def power_series(x, p):
    """Powers of a rising order."""
    total = 0.0
    for k in range(3):
        total = total + np.sum(x ** (p + k)) / (k + 1)
    return total


def scalar_power(a, b):
    """A number to a power, both differentiated."""
    return a ** b + b ** 2


POWER_PROGRAMS = [
    (power_sum, (RNG.uniform(0.5, 2.0, 5), 1.7), (0, 1)),
    (generalised_mean, (RNG.uniform(0.5, 2.0, 5), 2.5), (0, 1)),
    (powers_per_entry, (RNG.uniform(0.5, 2.0, (2, 3)), RNG.uniform(1.0, 2.0, 3)), (0, 1)),
    (power_series, (RNG.uniform(0.5, 2.0, 4), 1.3), (0, 1)),
    (scalar_power, (1.3, 2.5), (0, 1)),
]


@pytest.mark.parametrize("f, args, wrt", POWER_PROGRAMS, ids=lambda v: getattr(v, "__name__", ""))
def test_programs_with_variable_powers_compile(numba, f, args, wrt):
    g = check(f, args, wrt)
    assert "scaled_power(" in g.numba.variants[0].text


# --- diff_bar -----------------------------------------------------------------------------

#: (g's shape, n, axis): 1-d to 3-d, every axis, negative ones, several differences
DIFFS = [((5,), 1, -1), ((5,), 3, 0), ((1,), 1, -1), ((0,), 2, -1), ((3, 4), 1, 0),
         ((3, 4), 2, 1), ((3, 4), 1, -2), ((2, 3, 4), 1, 1), ((2, 3, 4), 2, -1),
         ((2, 0, 3), 1, 2)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape, n, axis", DIFFS, ids=str)
def test_diff_bar_gives_pythons_values(numba, shape, n, axis, dtype):
    from adcompile.runtime import gathers
    diff_bar = helper("diff_bar")
    g = RNG.normal(size=shape).astype(dtype)
    if g.size:
        g.flat[0] = -0.0   # (the signs of zeros are the helper's)
    got = jit_once(lambda g, n, axis: diff_bar(g, n, axis))(g, n, axis)
    expected = gathers.diff_bar(g, n, axis)
    same(got, expected)
    assert np.array_equal(np.signbit(got), np.signbit(expected))
    if axis == -1:
        same(jit_once(lambda g, n: diff_bar(g, n))(g, n), expected)
        same(jit_once(lambda g: diff_bar(g, n, -1))(g), expected)   # (constants)


def test_diff_bar_runs_as_python_no_differences_and_refuses_other_types(numba):
    from adcompile.backend.numba_differences import DifferencesAsPython
    diff_bar = helper("diff_bar")
    call = jit_once(lambda g, n, axis: diff_bar(g, n, axis))
    for n, axis in [(0, -1), (-1, 0), (1, 2), (1, -3)]:
        with pytest.raises(DifferencesAsPython):
            call(np.ones((2, 3)), n, axis)
    refused(numba, lambda g: diff_bar(g, 1, -1), np.arange(3))
    refused(numba, lambda g: diff_bar(g, 1, -1), np.array(1.0))
    refused(numba, lambda g: diff_bar(g, 1.0, -1), np.ones(3))
    refused(numba, lambda g: diff_bar(g, 1, (0,)), np.ones(3))


def roughness(x):
    """The sum of squared steps between neighbours (a smoothness penalty)."""
    return np.sum(np.diff(x) ** 2)


def curvature_of_rows(X, w):
    """Second differences along each row of a weighted matrix."""
    return np.sum(np.tanh(np.diff(X * w, 2)) ** 2)


def total_variation(x, y):
    """A data term and a smooth total variation."""
    return np.sum((x - y) ** 2) + 0.5 * np.sum(np.sqrt(np.diff(x) ** 2 + 1e-3))


DIFF_PROGRAMS = [
    (roughness, (m(6),), (0,)),
    (curvature_of_rows, (m(3, 6), m(6)), (0, 1)),
    (total_variation, (m(7), m(7)), (0, 1)),
]


@pytest.mark.parametrize("f, args, wrt", DIFF_PROGRAMS, ids=lambda v: getattr(v, "__name__", ""))
def test_programs_with_differences_compile(numba, f, args, wrt):
    g = check(f, args, wrt)
    assert "diff_bar(" in g.numba.variants[0].text


# --- prod_others --------------------------------------------------------------------------

#: (x's shape, axis): 1-d to 3-d, every axis, negative ones, None; lines of one entry
PRODS = [((5,), None), ((5,), 0), ((5,), -1), ((1,), None), ((3, 4), None),
         ((3, 4), 0), ((3, 4), 1), ((3, 4), -2), ((2, 3, 4), 1), ((2, 3, 4), -1),
         ((2, 3, 4), None)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape, axis", PRODS, ids=str)
def test_prod_others_gives_pythons_values(numba, shape, axis, dtype):
    from adcompile.runtime import prods
    prod_others = helper("prod_others")
    x = RNG.uniform(0.5, 1.5, size=shape).astype(dtype)
    if x.size > 3:   # (zeros: the products stay exact)
        x.flat[1] = 0.0
        x.flat[-1] = -0.0
    got = jit_once(lambda x, axis: prod_others(x, axis))(x, axis)
    expected = prods.prod_others(x, axis)
    same(got, expected)
    assert got.flags.c_contiguous and not np.shares_memory(got, x)
    if axis is None:
        same(jit_once(lambda x: prod_others(x))(x), expected)


def test_prod_others_refuses_what_it_does_not_take(numba):
    from adcompile.backend.numba_prods import ProductsAsPython
    prod_others = helper("prod_others")
    from adcompile.runtime import prods
    call = jit_once(lambda x, axis: prod_others(x, axis))
    with pytest.raises(ProductsAsPython):
        call(np.ones((2, 3)), 2)
    for x, axis in [(np.ones(0), 0), (np.ones(0), None), (np.ones((2, 0, 3)), 1),
                    (np.ones((0, 3)), 1)]:   # (the helper raises)
        with pytest.raises(ProductsAsPython):
            call(x, axis)
        with pytest.raises(ValueError):
            prods.prod_others(x, axis)
    refused(numba, lambda x: prod_others(x, 0), np.arange(3))
    refused(numba, lambda x: prod_others(x, (0, 1)), np.ones((2, 3)))
    refused(numba, lambda x: prod_others(x, None), np.array(2.0))
    refused(numba, lambda x: prod_others(x, None), 2.0)


def likelihood_of_independent_events(p):
    """The probability that all of several independent events happen."""
    return np.prod(p)


def none_fails(p, q):
    """The probability that no part fails, each failing with probability p * q."""
    return np.prod(1.0 - p * q)


def geometric_mean(x):
    """The geometric mean of positive entries."""
    return np.prod(x) ** (1.0 / x.size)


PROD_PROGRAMS = [
    (likelihood_of_independent_events, (RNG.uniform(0.2, 0.9, 5),), (0,)),
    (none_fails, (RNG.uniform(0.1, 0.9, (2, 3)), RNG.uniform(0.1, 0.9, 3)), (0, 1)),
    (geometric_mean, (RNG.uniform(0.5, 2.0, 4),), (0,)),
]


@pytest.mark.parametrize("f, args, wrt", PROD_PROGRAMS, ids=lambda v: getattr(v, "__name__", ""))
def test_programs_with_products_of_entries_compile(numba, f, args, wrt):
    g = check(f, args, wrt)
    assert "prod_others(" in g.numba.variants[0].text
