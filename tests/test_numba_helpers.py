"""The numba versions of the runtime helpers (adcompile/backend/numba_helpers.py,
numba_reductions.py) and of NumPy's reductions with an axis or keepdims: each gives the
Python helper's value, dtype and shape for the types it accepts, and refuses at typing
the types where it cannot (the gradient then runs as plain Python); gradients of small
functions that call them, compiled, equal finite differences and the plain gradient.

Every test needs numba (the ``numba`` fixture skips without it)."""

import itertools
import os
import types
import warnings

import numpy as np
import pytest
from conftest import assert_close, numerical_grad

import adcompile as ad
from adcompile.runtime import broadcast, special
from benchmarks import workloads

RNG = np.random.default_rng(5)
EPS64 = np.finfo(np.float64).eps
EPS32 = np.finfo(np.float32).eps
#: every case of the grids below (numba compiles each, a second or more apiece); by
#: default a spread of them (ADCOMPILE_NUMBA_FULL=1 runs them all)
FULL = os.environ.get("ADCOMPILE_NUMBA_FULL") == "1"


def sample(cases, every):
    """The cases of a grid the run checks: all with ADCOMPILE_NUMBA_FULL=1, else every
    ``every``-th."""
    cases = list(cases)
    return cases if FULL else cases[::4 * every][:2]   # (the default run: seconds)


def grid(cases, *more):
    """Each case (a tuple) followed by each combination of the values of ``more``."""
    return [case + rest for case in cases for rest in itertools.product(*more)]


@pytest.fixture
def numba():
    return pytest.importorskip("numba")


def helper(name):
    from adcompile.backend import numba_helpers
    return numba_helpers.helpers()[name]


#: the dispatchers jit_once made, by the code of the function and what its closure holds
_JITTED = {}


def jit_once(fn):
    """``numba.njit(fn)``, one dispatcher for each code and closure (what the function's
    free variables hold, which numba compiles in as constants): the cases of a test share
    what numba compiled for the argument types they have in common, as a user's code
    calling one function with them does. (A new dispatcher compiles again: half a second
    at -O0 for a one-line function, a second or more for a helper's types.) The closure's
    cells are copied: a later case may rebind the variables the first one's function
    reads."""
    import numba
    try:
        cells = tuple((type(c.cell_contents), repr(c.cell_contents), c.cell_contents)
                      for c in fn.__closure__ or ())
        key = (fn.__code__, cells)
        hash(key)
    except (TypeError, ValueError):   # (an array held, or an empty cell)
        return numba.njit(fn)
    found = _JITTED.get(key)
    if found is None:   # (numba reads the closure when it compiles for new types: a copy
        #                 of the function whose cells keep what the key says they hold)
        cells = tuple(types.CellType(c.cell_contents) for c in fn.__closure__ or ())
        kept = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__,
                                  cells or None)
        found = _JITTED[key] = numba.njit(kept)
    return found


def same(got, expected, ulps=0):
    """``got`` has ``expected``'s dtype and shape and its values (NaN where it is NaN),
    within ``ulps`` units in the last place of that dtype (0: exactly)."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.dtype == expected.dtype and got.shape == expected.shape, \
        (got.dtype, got.shape, expected.dtype, expected.shape)
    eps = np.finfo(expected.dtype).eps if expected.dtype.kind == "f" else 0
    np.testing.assert_allclose(got, expected, rtol=ulps * eps, atol=0, equal_nan=True)


def refused(numba, fn, *args):
    with pytest.raises(numba.core.errors.TypingError):
        numba.njit(fn)(*args)


# --- stable_sigmoid ----------------------------------------------------------------------

EDGES = [-800.0, -745.0, -709.0, -700.0, -104.0, -88.0, -20.0, -1e-300, 0.0, 1e-300, 3.0,
         40.0, 800.0, np.inf, -np.inf, np.nan]


@pytest.mark.parametrize("dtype", sample([np.float64, np.float32, np.int64, np.bool_], 1))
def test_stable_sigmoid_of_arrays(numba, dtype):
    stable_sigmoid = helper("stable_sigmoid")
    jitted = jit_once(lambda d: stable_sigmoid(d))
    values = np.concatenate([EDGES, 30 * RNG.normal(size=200)])
    if dtype is np.bool_:
        values = values > 0
    with np.errstate(invalid="ignore", over="ignore"):
        d = values.astype(dtype)
    for a in (d, d.reshape(4, -1), d.reshape(4, -1)[:, ::3], d[::-1]):
        # (NumPy's exp and numba's differ in the last bit; tiny values keep their precision)
        same(jitted(a), special.stable_sigmoid(a), ulps=4)


def test_stable_sigmoid_of_numbers(numba):
    stable_sigmoid = helper("stable_sigmoid")
    # (as a 0-d array: numba hands a float32 number back as a Python float)
    jitted = jit_once(lambda d: np.asarray(stable_sigmoid(d)))
    for d in EDGES + [3, -800, True]:
        got, expected = jitted(d), special.stable_sigmoid(d)
        same(got, expected, ulps=4)
    same(jitted(np.float32(-90.0)), special.stable_sigmoid(np.float32(-90.0)), ulps=4)
    assert jitted(-800.0) > 0.0   # (the floor: no underflow to zero, no overflow)


def test_stable_sigmoid_refuses_what_it_cannot_match(numba):
    stable_sigmoid = helper("stable_sigmoid")
    refused(numba, lambda d: stable_sigmoid(d), np.ones(3, np.float16))
    refused(numba, lambda d: stable_sigmoid(d), np.ones(3, np.complex128))
    refused(numba, lambda d: stable_sigmoid(d), np.array(1.0))   # (0-d)


# --- unreduce, unreduce_times, argmax_mask ----------------------------------------------

def reduced(x, axis, keepdims):
    return np.sum(x, axis=axis, keepdims=keepdims)


UNREDUCE_CASES = [((3, 4), 0, False), ((3, 4), 1, False), ((3, 4), -1, False),
                  ((3, 4), 1, True), ((3, 4), 0, True), ((5,), 0, False), ((5,), 0, True),
                  ((2, 3, 4), 2, False), ((2, 3, 4), 1, True), ((2, 3, 4), None, True)]


def _called_with(numba, name, axis, keepdims, *extra):
    """A numba function calling the helper ``name`` with constant axis and keepdims, as
    the generated code does."""
    stub = helper(name)
    if len(extra) == 1:
        return jit_once(lambda a, b, c: stub(a, b, c, axis=axis, keepdims=keepdims))
    return jit_once(lambda a, b: stub(a, b, axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("shape, axis, keepdims, dtype",
                         sample(grid(UNREDUCE_CASES, [np.float64, np.float32]), 3))
def test_unreduce(numba, shape, axis, keepdims, dtype):
    x = RNG.normal(size=shape).astype(dtype)
    g = reduced(RNG.normal(size=shape), axis, keepdims).astype(dtype)
    jitted = _called_with(numba, "unreduce", axis, keepdims)
    same(jitted(g, x), broadcast.unreduce(g, x, axis, keepdims))
    number = dtype(1.5)   # (a number of x's precision: a float32 one for float32)
    if keepdims or axis in (None, 0, -1):   # (else NumPy's expand_dims refuses a number)
        same(jitted(number, x), broadcast.unreduce(number, x, axis, keepdims))
    else:
        with pytest.raises(np.exceptions.AxisError):
            broadcast.unreduce(number, x, axis, keepdims)
        with pytest.raises(numba.core.errors.TypingError):
            jitted(number, x)


def test_unreduce_refuses_a_float64_number_for_float32_and_tuples_of_axes(numba):
    unreduce = helper("unreduce")
    x32 = np.ones((3, 4), np.float32)
    # a Python float keeps float32, np.float64 does not: numba sees one type for both
    refused(numba, lambda g, x: unreduce(g, x, axis=None, keepdims=False), 2.0, x32)
    refused(numba, lambda g, x: unreduce(g, x, axis=(0, 1), keepdims=False), 2.0,
            np.ones((3, 4)))
    refused(numba, lambda g, x, k: unreduce(g, x, axis=0, keepdims=k), np.ones(4),
            np.ones((3, 4)), False)   # (keepdims not a constant)


@pytest.mark.parametrize("shape, axis, keepdims, dtypes", sample(grid(
    UNREDUCE_CASES, [(np.float64, np.float64), (np.float32, np.float32),
                     (np.float32, np.float64), (np.float64, np.float32)]), 13))
def test_unreduce_times(numba, shape, axis, keepdims, dtypes):
    g_type, e_type = dtypes
    x = RNG.normal(size=shape).astype(g_type)
    e = RNG.normal(size=shape).astype(e_type)
    g = reduced(RNG.normal(size=shape), axis, keepdims).astype(g_type)
    stub = helper("unreduce_times")
    jitted = jit_once(lambda g, e, x: stub(g, e, x, axis=axis, keepdims=keepdims))
    same(jitted(g, e, x), broadcast.unreduce_times(g, e, x, axis, keepdims))
    number = g_type(0.75)
    if keepdims or axis in (None, 0, -1):   # (else NumPy's expand_dims refuses a number)
        same(jitted(number, e, x), broadcast.unreduce_times(number, e, x, axis, keepdims))
    wider = RNG.normal(size=(3, 1)) if shape == (3, 4) else None   # (x narrower than e)
    if wider is not None and axis is None:
        same(jitted(number, e, wider), broadcast.unreduce_times(number, e, wider))


def maxima(x, axis, keepdims):
    return np.max(x, axis=axis, keepdims=keepdims)


@pytest.mark.parametrize("shape, axis, keepdims, dtype", sample(grid(
    UNREDUCE_CASES + [((3, 4), None, False)], [np.float64, np.float32]), 7))
def test_argmax_mask_with_ties_and_nans(numba, shape, axis, keepdims, dtype):
    x = RNG.integers(0, 3, size=shape).astype(dtype)   # (ties)
    jitted = _called_with(numba, "argmax_mask", axis, keepdims)
    same(jitted(x, maxima(x, axis, keepdims)),
         broadcast.argmax_mask(x, maxima(x, axis, keepdims), axis, keepdims))
    x.flat[1] = np.nan
    with np.errstate(invalid="ignore"):
        same(jitted(x, maxima(x, axis, keepdims)),
             broadcast.argmax_mask(x, maxima(x, axis, keepdims), axis, keepdims))


# --- NumPy's reductions with an axis or keepdims -------------------------------------------

REDUCTION_CASES = [((3, 4), 0, False), ((3, 4), 1, True), ((3, 4), -1, False),
                   ((3, 4), 0, True), ((3, 4), None, True), ((5,), 0, True), ((5,), 0, False)]


@pytest.mark.parametrize("shape, axis, keepdims, dtype, name", sample(grid(
    REDUCTION_CASES, [np.float64, np.float32, np.int64], ["max_along", "min_along",
                                                         "sum_along"]), 7))
def test_reductions_along_an_axis(numba, shape, axis, keepdims, dtype, name):
    reduce = {"max_along": np.max, "min_along": np.min, "sum_along": np.sum}[name]
    stub = helper(name)
    jitted = jit_once(lambda a: np.asarray(stub(a, axis, keepdims)))
    a = (10 * RNG.normal(size=shape)).astype(dtype)
    ulps = 4 if name == "sum_along" else 0   # (numba sums in another order than NumPy)
    same(jitted(a), reduce(a, axis=axis, keepdims=keepdims), ulps)
    if dtype is not np.int64 and name != "sum_along":
        a.flat[2] = np.nan
        same(jitted(a), reduce(a, axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("shape, axis, keepdims", REDUCTION_CASES)
def test_means_along_an_axis(numba, shape, axis, keepdims):
    stub = helper("mean_along")
    jitted = jit_once(lambda a: np.asarray(stub(a, axis, keepdims)))
    a = 10 * RNG.normal(size=shape)
    same(jitted(a), np.mean(a, axis=axis, keepdims=keepdims), 4)
    refused(numba, lambda a: stub(a, axis, keepdims), a.astype(np.float32))
    refused(numba, lambda a: stub(a, axis, keepdims), a.astype(np.int64))


def centred_columns(x):
    return np.sum((x - np.mean(x, axis=0)) ** 2 * np.abs(x)) + np.sum(
        np.mean(x, axis=1, keepdims=True) ** 2)


def test_gradients_of_means_along_axes_and_of_abs_compile(numba):
    args = (normal(5, 3),)
    g, (got,) = compiled_gradient(centred_columns, 0, args)
    text = g.numba.variants[0].text
    assert "mean_along_1(" in text and "real_sign(" in text
    assert_close(got, numerical_grad(centred_columns, args, 0))
    assert_close(got, ad.grad(centred_columns)(*args), 1e-12, 1e-13)


def filled_buffer(x, buffer):
    out = buffer.copy()
    out[0] = x[0] * 10
    out[2] = x[1] * x[2]
    return np.sum(out * x)


def test_a_write_into_an_array_of_unknown_dtype_is_checked_and_compiles(numba):
    from adcompile.backend.jit import NumbaFallbackWarning
    args = (normal(4), normal(4))
    g, (got,) = compiled_gradient(filled_buffer, 0, args)
    assert "require_float_array(" in g.numba.variants[0].text
    assert_close(got, numerical_grad(filled_buffer, args, 0))
    assert_close(got, ad.grad(filled_buffer)(*args), 1e-12, 1e-13)
    # (integers: refused at typing; the plain code runs and raises the error)
    g = ad.grad(filled_buffer, backend="numba")
    with pytest.warns(NumbaFallbackWarning), pytest.raises(TypeError, match="integers"):
        g(normal(4), np.arange(4))


def rows_read_while_halved(x, data, shape):
    B = data.reshape(shape).copy()   # (not differentiated; its dimensions known when run)
    for row in B:
        B[0] *= 0.5
        x = x * np.sum(row)
    return x


def test_the_check_of_a_loop_changing_what_it_walks_compiles(numba):
    args = (0.7, normal(6), (2, 3))
    g, (got,) = compiled_gradient(rows_read_while_halved, 0, args)
    text = g.numba.variants[0].text
    assert "require_positions(" in text
    # (the analysis takes B for what data or shape may hold: their check runs as Python
    # first, though the lists of per-step values are made empty before it)
    assert text.index("_stack = []") < text.index("private_copy(") and "require_unshared(" not in text
    assert_close(got, numerical_grad(rows_read_while_halved, args, 0))
    assert_close(got, ad.grad(rows_read_while_halved)(*args), 1e-12, 1e-13)


def rows_centred(x, data, shape):
    B = np.reshape(data, shape) * x     # (its number of dimensions known when it runs)
    for row in B:
        row -= np.mean(row)
    return np.sum(B ** 2)


def test_the_check_of_a_loop_changing_rows_in_place_compiles(numba):
    from adcompile.backend.jit import NumbaFallbackWarning
    args = (0.7, normal(6), (2, 3))
    g, (got,) = compiled_gradient(rows_centred, 0, args)
    assert "require_rows(" in g.numba.variants[0].text
    assert_close(got, numerical_grad(rows_centred, args, 0))
    assert_close(got, ad.grad(rows_centred)(*args), 1e-12, 1e-13)
    # (one dimension: refused at typing; the plain code runs and raises the error)
    g = ad.grad(rows_centred, backend="numba")
    with pytest.warns(NumbaFallbackWarning), pytest.raises(TypeError, match="1 dimension"):
        g(0.7, normal(6), (6,))


def test_a_maximum_over_an_empty_axis_is_an_error_as_in_numpy(numba):
    stub = helper("max_along")
    jitted = jit_once(lambda a: stub(a, 0, False))
    with pytest.raises(ValueError, match="zero-size"):
        np.max(np.ones((0, 3)), axis=0)
    with pytest.raises(ValueError, match="zero-size"):
        jitted(np.ones((0, 3)))


def test_reductions_refuse_three_dimensions_and_tuples_of_axes(numba):
    stub = helper("max_along")
    refused(numba, lambda a: stub(a, 1, False), np.ones((2, 3, 4)))
    refused(numba, lambda a: stub(a, (0, 1), False), np.ones((2, 3)))


def test_the_lowering_rewrites_only_what_numba_does_not_compile():
    from adcompile.backend.numba_lowering import lowered
    text = ("def f(x, np_1, out_bar=1.0):\n"
            "    a = np.max(x, axis=1, keepdims=True)\n"
            "    b = np.sum(x, axis=0)\n"
            "    c = np.sum(x, 0, keepdims=True) + np.amin(x, 0)\n"
            "    d = np.max(x) + np.sum(x, axis=0, dtype=np.float32)\n"
            "    return a, b, c, d\n")
    code, names = lowered(text)
    assert names == {"max_along_1": "max_along", "sum_along_1": "sum_along",
                     "min_along_1": "min_along"}
    assert "a = max_along_1(x, 1, True)" in code
    assert "b = np.sum(x, axis=0)" in code
    assert "c = sum_along_1(x, 0, True) + min_along_1(x, 0, False)" in code
    assert "d = np.max(x) + np.sum(x, axis=0, dtype=np.float32)" in code


# --- NumPy's loops for the transcendental ufuncs of large arrays ----------------------------

@pytest.mark.parametrize("name", sample(["tanh", "exp", "log1p", "logaddexp"], 1))
def test_large_arrays_get_numpys_ufunc_values_small_ones_numbas(numba, name):
    from adcompile.backend.numba_ufuncs import LARGE
    stub, ufunc = helper(f"numpy_{name}"), getattr(np, name)
    binary = name == "logaddexp"
    jitted = jit_once(lambda a: stub(0.0, a) if binary else stub(a))
    large = np.abs(RNG.normal(size=(LARGE // 16, 32)))
    for a in (large, np.asfortranarray(large), large[:, ::2], large.astype(np.float32)):
        if binary and a.dtype == np.float32:
            continue   # (numba's own there: 0.0 is float64 to numba, weak to NumPy)
        got = jitted(a)
        same(got, ufunc(0.0, a) if binary else ufunc(a))   # (to the bit)
        assert got.flags.c_contiguous
    small = large[:3]
    same(jitted(small), ufunc(0.0, small) if binary else ufunc(small), ulps=4)
    number = jit_once(lambda v: np.asarray(stub(0.0, v) if binary else stub(v)))
    same(number(0.7), np.asarray(ufunc(0.0, 0.7) if binary else ufunc(0.7)), ulps=4)


def test_large_arrays_get_the_python_stable_sigmoid(numba):
    stable_sigmoid = helper("stable_sigmoid")
    jitted = jit_once(lambda d: stable_sigmoid(d))
    d = np.concatenate([EDGES, 30 * RNG.normal(size=2000)])
    for a in (d, d.astype(np.float32), d.reshape(8, -1).T):
        # (numba's exp: its last bit may differ from NumPy's)
        same(jitted(a), special.stable_sigmoid(a), ulps=4)
        assert jitted(a).flags.c_contiguous


def test_reduced_size_counts_as_the_python_helper(numba):
    reduced_size = helper("reduced_size")
    x = normal(3, 4, 5)
    for axis in (0, 2, -1, (0, 2), (1,)):
        jitted = jit_once(lambda x, axis: reduced_size(x, axis))
        assert jitted(x, axis) == broadcast.reduced_size(x, axis)
    assert jit_once(lambda x: reduced_size(x))(x) == broadcast.reduced_size(x) == 60
    assert jit_once(lambda v: reduced_size(v))(2.5) == broadcast.reduced_size(2.5) == 1


def means(x, y):
    return np.mean(x ** 2) + np.mean(np.tanh(x) * y) ** 2


def test_gradients_of_means_compile(numba):
    args = (normal(4, 3), normal(4, 3))
    g, (got,) = compiled_gradient(means, 0, args)
    assert "reduced_size(" in g.numba.variants[0].text
    assert_close(got, numerical_grad(means, args, 0))
    assert_close(got, ad.grad(means)(*args), 1e-12, 1e-13)


def test_the_lowering_rewrites_ufuncs_on_their_positional_arguments_alone():
    from adcompile.backend.numba_lowering import lowered
    text = ("def f(x, out_bar=1.0):\n"
            "    a = np.tanh(x) + np.tanh(2 * x) + np.logaddexp(0.0, x)\n"
            "    b = np.exp(x, out=x) + np.sqrt(x) + np.exp(*x)\n"
            "    return a, b\n")
    code, names = lowered(text)
    assert names == {"numpy_tanh_1": "numpy_tanh", "numpy_logaddexp_1": "numpy_logaddexp",
                     "int_times_1": "int_times"}   # (2 * x: see test_numba_integers.py)
    assert "a = numpy_tanh_1(x) + numpy_tanh_1(int_times_1(2, x)) + numpy_logaddexp_1(0.0, x)" \
        in code
    assert "b = np.exp(x, out=x) + np.sqrt(x) + np.exp(*x)" in code


# --- indexing: getitem_bar, without_item, item_written -----------------------------------

INDEXES = [((5,), slice(1, -1)), ((5,), (slice(None, None, 2),)), ((3,), (slice(None), None)),
           ((3, 4), (slice(None), None, slice(None))), ((3, 4), 1), ((3, 4), (slice(None), -2)),
           ((3, 4), (Ellipsis, 2)), ((2, 3, 4), (0, slice(1, None), None))]


@pytest.mark.parametrize("shape, index", sample(INDEXES, 2))
def test_getitem_bar_and_the_adjoints_of_an_item_assignment(numba, shape, index):
    from adcompile.runtime import arrays
    getitem_bar, without_item, item_written = (
        helper("getitem_bar"), helper("without_item"), helper("item_written"))
    scatter = jit_once(lambda g, x, i: getitem_bar(g, x, i))
    x = RNG.normal(size=shape)
    g = RNG.normal(size=np.shape(x[index]))
    same(scatter(g, x, index), arrays.getitem_bar(g, x, index))
    for g_type, x_type in ((np.float32, np.float32), (np.float64, np.float32),
                           (np.float32, np.float64)):
        same(scatter(g.astype(g_type), x.astype(x_type), index),
             arrays.getitem_bar(g.astype(g_type), x.astype(x_type), index))
    same(scatter(1.5, x, index), arrays.getitem_bar(1.5, x, index))   # (a number: float64 x)
    z_bar = RNG.normal(size=shape)
    same(jit_once(lambda g, i: without_item(g, i))(z_bar, index),
         arrays.without_item(z_bar, index))
    same(jit_once(lambda g, i: item_written(g, i))(z_bar, index),
         arrays.item_written(z_bar, index))


def test_indexing_adjoints_refuse_what_they_cannot_sum_and_a_float64_number_for_float32(
        numba):
    getitem_bar, without_item = helper("getitem_bar"), helper("without_item")
    x = np.ones(4)
    scatter = lambda g, x, i: getitem_bar(g, x, i)   # noqa: E731
    refused(numba, scatter, np.ones(2), x, np.array([True, False, True, False]))   # (a mask)
    refused(numba, scatter, np.ones(2), np.ones((4, 4)), (np.array([0, 1]), np.array([1, 2])))
    refused(numba, scatter, np.ones(2), np.ones((4, 4)), (1, np.array([0, 0])))
    refused(numba, scatter, np.ones((2, 1)), np.ones((4, 4)), (np.array([0, 0]), None))
    refused(numba, scatter, 1.0, x.astype(np.float32), 1)
    refused(numba, lambda g, i: without_item(g, i), x, np.array([1, 2]))


# --- compiled gradients that call them ----------------------------------------------------

def row_max(x):
    m = np.max(x, axis=1, keepdims=True)
    return np.sum(np.exp(x - m))


def col_sums(x, w):
    s = np.sum(x, axis=0)
    return np.sum(np.sin(s) * w)


def last_axis(x, w):
    return np.sum(np.cos(np.sum(x * x, axis=-1)) * w)


def kept_total(x):
    t = np.sum(x * x, keepdims=True)
    return np.sum(np.sin(t * x))


def cube(x, w):
    return np.sum(np.tanh(np.sum(x * x, axis=2)) * w)


def largest(x):
    return np.max(x) * np.sum(x * x)


def col_min(x):
    return np.sum(np.min(x, axis=0) ** 2)


def softplus(w, b, X, y):
    z = X @ w + b
    return np.sum(np.logaddexp(0.0, z) - y * z) / X.shape[0]


def softplus32(w, X, zero):
    # (zero an argument: numba makes np.logaddexp(0.0, z) float64 for a float32 z)
    return np.sum(np.logaddexp(zero, X @ w))


def spread(x, w):
    return np.sum(np.tanh(x[:, None] * w))


def picks(x):
    return x[1] * np.sum(x[::2] ** 2) + np.sum(x[2:] * x[:-2])


def wide(x, y):
    # (40 x 40 entries: NumPy's own loops for tanh, exp and logaddexp)
    return np.sum(np.tanh(x) * np.exp(-x) + np.logaddexp(0.0, x * y))


def normal(*shape):
    return RNG.normal(size=shape)


GRADIENT_CASES = [
    (row_max, (normal(3, 4),), 0, ["unreduce_times(", "argmax_mask(", "max_along_1("]),
    (col_sums, (normal(3, 4), normal(4)), 0, ["unreduce("]),
    (last_axis, (normal(3, 4), normal(3)), 0, ["unreduce_times("]),
    (kept_total, (normal(3, 4),), 0, ["sum_along_1("]),
    (cube, (normal(2, 3, 4), normal(2, 3)), 0, ["unreduce_times("]),
    (largest, (normal(5),), 0, ["argmax_mask("]),
    (col_min, (normal(3, 4),), 0, ["argmax_mask(", "min_along_1("]),
    (softplus, (normal(3), 0.1, normal(6, 3), 1.0 * (RNG.random(6) < 0.5)), (0, 1),
     ["stable_sigmoid("]),
    (spread, (normal(3), normal(4)), 0, ["getitem_bar("]),
    (picks, (normal(6),), 0, ["getitem_bar("]),
    (workloads.heat, (normal(7), 0.2, 3), (0, 1), ["getitem_bar(", "without_item(",
                                                   "item_written("]),
    (wide, (normal(40, 40), normal(40, 40)), (0, 1),
     ["numpy_tanh_1(", "numpy_exp_1(", "stable_sigmoid("]),
    (workloads.mlp_loss, (0.3 * normal(5, 4), normal(4), normal(4, 3), normal(3), normal(6, 5),
                          np.eye(3)[RNG.integers(0, 3, 6)]), (0, 1, 2, 3),
     ["unreduce_times(", "argmax_mask(", "max_along_1(", "sum_along_1("]),
]


def compiled_gradient(f, wrt, args):
    from adcompile.backend.jit import NumbaFallbackWarning
    g = ad.grad(f, wrt=wrt, backend="numba")
    with warnings.catch_warnings():
        warnings.simplefilter("error", NumbaFallbackWarning)
        got = g(*args)
    assert g.numba.fallbacks == [] and g.numba.variants[0].jitted is not None
    return g, got if isinstance(wrt, tuple) else (got,)


@pytest.mark.parametrize("f, args, wrt, calls", sample(GRADIENT_CASES, 1),
                         ids=[case[0].__name__ for case in sample(GRADIENT_CASES, 1)])
def test_compiled_gradients_equal_finite_differences_and_plain_python(numba, f, args, wrt,
                                                                      calls):
    g, got = compiled_gradient(f, wrt, args)
    for call in calls:   # (the code numba compiled calls what this test is about)
        assert call in g.numba.variants[0].text, call
    plain = ad.grad(f, wrt=wrt)(*args)
    plain = plain if isinstance(wrt, tuple) else (plain,)
    for index, value, reference in zip(wrt if isinstance(wrt, tuple) else (wrt,), got, plain):
        # (a number's gradient: a float; plain Python's may be NumPy's float64)
        assert type(value) is type(reference) or type(value) is float \
            and isinstance(reference, float)
        assert np.shape(value) == np.shape(reference)
        assert np.asarray(value).dtype == np.asarray(reference).dtype
        assert_close(value, numerical_grad(f, args, index))
        assert_close(value, reference, 1e-12, 1e-13)


@pytest.mark.parametrize("f, args", sample([
    (row_max, (normal(3, 4),)), (col_sums, (normal(3, 4), normal(4))),
    (softplus32, (normal(3), normal(6, 3), np.float32(0.0))),
    (spread, (normal(3), normal(4))),
], 1), ids=lambda v: getattr(v, "__name__", None))
def test_float32_gradients_stay_float32(numba, f, args):
    args = tuple(a.astype(np.float32) if isinstance(a, np.ndarray) else a for a in args)
    g, (got,) = compiled_gradient(f, 0, args)
    plain = ad.grad(f)(*args)
    assert got.dtype == plain.dtype == np.float32 and got.shape == args[0].shape
    assert_close(got, plain, 4 * EPS32, 4 * EPS32)


def test_the_logistic_workload_compiles_and_equals_the_hand_written_gradient(numba):
    w, b, X, y = workloads.logistic_args()
    args = (w, b, X[:50], y[:50])
    g, got = compiled_gradient(workloads.logistic_loss, (0, 1), args)
    for value, expected in zip(got, workloads.logistic_hand_grad(*args)):
        assert_close(value, expected, 1e-12, 1e-14)


@pytest.mark.skipif(not FULL, reason="numba takes half a minute to compile gmm's gradient: "
                                     "ADCOMPILE_NUMBA_FULL=1 runs it")
def test_the_gmm_workload_compiles_and_equals_the_hand_written_gradient(numba):
    args = workloads.gmm_args(d=3, k=2, n=5)
    g, got = compiled_gradient(workloads.gmm_objective, (0, 1, 2), args)
    for call in ("matmul_1(", "matmul_bar_left(", "matmul_bar_right(", "getitem_bar("):
        assert call in g.numba.variants[0].text, call
    for index, value, expected in zip((0, 1, 2), got, workloads.gmm_hand_grad(*args)):
        assert_close(value, expected, 1e-10, 1e-12)
        assert_close(value, numerical_grad(workloads.gmm_objective, args, index))


# -- arguments changed in place: a private copy compiled, the check of sharing in Python -------

def changes_its_argument(w, a, b):
    a[0] = 5.0   # (b too, where the caller passed one array twice)
    return np.sum(w * b) + np.sum(np.sin(w) * a)


def test_a_function_changing_its_argument_compiles_and_checks_sharing(numba):
    w = RNG.normal(size=2)
    a, b = RNG.normal(size=2), RNG.normal(size=2)
    kept = a.copy()
    g, (got,) = compiled_gradient(changes_its_argument, 0, (w, a, b))
    assert "private_copy(" in g.numba.variants[0].text
    assert "require_unshared(" not in g.numba.variants[0].text   # (run as Python, first)
    assert_close(got, numerical_grad(lambda *v: changes_its_argument(v[0], v[1].copy(), v[2]),
                                     (w, a, b), 0))
    assert np.array_equal(a, kept)   # (the caller's array, as it was)
    with pytest.raises(TypeError, match="shares an array or object"):
        g(w, a, a)
    with pytest.raises(TypeError, match="shares an array or object"):
        g(w, b, b[::-1])   # (a view)

