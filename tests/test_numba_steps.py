"""The numba versions of loop fission's helpers (adcompile/backend/numba_steps.py) against
Python's (adcompile/runtime/steps.py): ``step_arrays``, ``stacked``, ``sum_steps``,
``outer_steps`` and ``step_rows`` give Python's values, dtypes and shapes for the lists of
a loop's steps they take, raise StepsAsPython (the call then runs as Python) where
Python's helper would give something else (None, the list itself, a sum step by step,
0.0, a copy of rows), and refuse at typing the types they do not take.

Every test needs numba (the ``numba`` fixture skips without it)."""

import numpy as np
import pytest
from test_numba_helpers import helper, jit_once

from adcompile.runtime import steps

RNG = np.random.default_rng(8)


@pytest.fixture
def numba():
    return pytest.importorskip("numba")


def as_python():
    from adcompile.backend.numba_steps import StepsAsPython
    return StepsAsPython


def same(got, expected, exact=True):
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.dtype == expected.dtype and got.shape == expected.shape, \
        (got.dtype, got.shape, expected.dtype, expected.shape)
    if exact:
        np.testing.assert_array_equal(got, expected)
    else:   # (a matrix product: BLAS adds in its own order)
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-14)


def ragged_and_empty(numba, call):
    """numba functions calling ``call`` on a list of two arrays (those given) and on an
    empty list of arrays."""
    def empty(a):
        out = [a.copy()]
        out.pop()
        return call(out)
    return jit_once(lambda a, b: call([a.copy(), b.copy()])), jit_once(empty)


STEP_VALUES = [RNG.normal(size=(6, 4)), RNG.normal(size=(1, 3)),
               RNG.normal(size=(5, 2, 3)), RNG.normal(size=(6, 4)).astype(np.float32)]


@pytest.mark.parametrize("values", STEP_VALUES, ids=lambda v: f"{v.shape}-{v.dtype}")
def test_stacked_and_sum_steps_give_pythons_arrays(numba, values):
    stacked, sum_steps = helper("stacked"), helper("sum_steps")
    rows = list(values.copy())
    same(jit_once(lambda v: stacked([r.copy() for r in v]))(values), steps.stacked(rows))
    same(jit_once(lambda v: sum_steps([r.copy() for r in v]))(values), steps.sum_steps(rows))
    same(jit_once(lambda a: sum_steps(a))(values), steps.sum_steps(values))
    same(jit_once(lambda a: sum_steps(a))(values[::-1]), steps.sum_steps(values[::-1]))


def test_step_arrays_give_pythons_arrays_for_float64(numba):
    step_arrays = helper("step_arrays")
    a, b = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 2, 2))
    one = jit_once(lambda a: step_arrays([r.copy() for r in a]))
    two = jit_once(lambda a, b: step_arrays([r.copy() for r in a], [r.copy() for r in b]))
    same(one(a), steps.step_arrays(list(a)))
    for got, expected in zip(two(a, b), steps.step_arrays(list(a), list(b))):
        same(got, expected)
    got = one(a)
    assert got.flags.c_contiguous and not np.shares_memory(got, a)   # (new, as np.array's)


@pytest.mark.parametrize("us, vs", [
    (RNG.normal(size=(7, 4)), RNG.normal(size=(7, 3))),
    (RNG.normal(size=(7, 4)), np.asfortranarray(RNG.normal(size=(7, 3)))),
    (RNG.normal(size=(14, 4))[::2], RNG.normal(size=(7, 6))[:, ::2]),
    (RNG.normal(size=(1, 2)), RNG.normal(size=(1, 5))),
], ids=["c", "fortran", "strided", "one_step"])
def test_outer_steps_of_lists_and_arrays(numba, us, vs):
    outer_steps = helper("outer_steps")
    expected = steps.outer_steps(list(us), list(vs))
    same(jit_once(lambda u, v: outer_steps(u, v))(us, vs), expected, exact=False)
    same(jit_once(lambda u, v: outer_steps([r.copy() for r in u], v))(us, vs), expected,
         exact=False)
    same(jit_once(lambda u, v: outer_steps(u, [r.copy() for r in v]))(us, vs), expected,
         exact=False)


@pytest.mark.parametrize("n, steps_of", [
    (6, lambda n: range(n)), (6, lambda n: range(n - 1, -1, -1)), (9, lambda n: range(1, n, 3)),
    (9, lambda n: range(8, 0, -2)), (9, lambda n: range(7, -1, -3)), (4, lambda n: range(2, 3)),
])
def test_step_rows_is_pythons_view(numba, n, steps_of):
    step_rows = helper("step_rows")
    x = RNG.normal(size=(n, 3))
    jitted = jit_once(lambda x, a, b, c: step_rows(x, range(a, b, c)))
    r = steps_of(n)
    got = jitted(x, r.start, r.stop, r.step)
    same(got, steps.step_rows(x, r))
    same(got, x[r])
    assert np.shares_memory(got, x)   # (a view, as Python's helper gives)


def test_values_python_gives_otherwise_run_as_python(numba):
    """Shapes that differ, no steps, rows past the end: StepsAsPython, where Python's helper
    gives None, the list itself, a sum step by step, 0.0 or a copy."""
    ragged = [np.ones(3), np.ones(2)]
    assert steps.step_arrays(ragged) is None and steps.stacked(ragged) is ragged
    assert steps.step_arrays([]) is None and steps.sum_steps([]) == 0.0
    for name in ("step_arrays", "stacked", "sum_steps"):
        ragged, empty = ragged_and_empty(numba, helper(name))
        same(ragged(np.ones(3), np.ones(3)), np.ones((2, 3)) if name != "sum_steps"
             else np.full(3, 2.0))
        with pytest.raises(as_python()):
            ragged(np.ones(3), np.ones(2))
        with pytest.raises(as_python()):
            empty(np.ones(3))
    outer_steps = helper("outer_steps")
    pairs = jit_once(lambda u, v: outer_steps(u, v))
    for us, vs in ((np.ones((3, 2)), np.ones((2, 2))), (np.ones((0, 2)), np.ones((0, 2)))):
        with pytest.raises(as_python()):
            pairs(us, vs)
    step_rows = helper("step_rows")
    rows = jit_once(lambda x, a, b, c: step_rows(x, range(a, b, c)))
    for a, b, c in ((0, 4, 1), (-1, 2, 1), (2, 2, 1), (3, -2, -1)):
        with pytest.raises(as_python()):
            rows(np.ones((3, 2)), a, b, c)


def test_types_python_does_not_stack_are_refused(numba):
    """step_arrays stacks float64 arrays alone (Python's gives None for Python floats,
    whose arithmetic is not an array's; numba does not tell them from NumPy's); the others
    take floating arrays of one or more dimensions."""
    errors = numba.core.errors.TypingError
    step_arrays, stacked = helper("step_arrays"), helper("stacked")
    for values in (np.ones(3), np.ones((3, 2), np.float32), np.ones((3, 2), np.int64)):
        with pytest.raises(errors):
            numba.njit(lambda a: step_arrays([r for r in a]))(values)
    with pytest.raises(errors):
        numba.njit(lambda a: stacked([r for r in a]))(np.ones((3, 2), np.int64))
    with pytest.raises(errors):
        numba.njit(lambda a: helper("sum_steps")(a))(np.ones(3))
    with pytest.raises(errors):
        numba.njit(lambda a, b: helper("outer_steps")(a, b))(np.ones((3, 2)),
                                                             np.ones((3, 2), np.float32))
    with pytest.raises(errors):
        numba.njit(lambda x: helper("step_rows")(x, np.arange(2)))(np.ones((3, 2)))
