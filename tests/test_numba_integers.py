"""Python's integers in numba's compiled gradients (backend/numba_integers.py): a product,
power or shift of two integers that numba's 64-bit integers would wrap, or that Python
gives as a float (``n ** -1``), runs that call as plain Python, with a warning, instead of
giving another gradient than the plain code's (silently, before)."""

import math
import types
import warnings

import numpy as np
import pytest
from conftest import assert_close, numerical_grad
from test_numba import fallback_warning, numba  # noqa: F401 (a fixture)

import adcompile as ad


def power_of_three(x, n):
    k = 1
    for i in range(n):
        k = k * 3
    return x * (k % 1000003)


def reciprocal_of_an_integer(x, n):
    return x * n ** -1 + x * 2 ** (n - 5)


def sum_of_eighth_powers(x, n):
    t = 0
    for i in range(n):
        t += i * i * i * i * i * i * i * i
    return x * math.log(t + 1)


def shifted(x, n):
    return x * ((n << 61) % 1000) + x * (n << 3)


CASES = [(power_of_three, (0.5, 45)), (reciprocal_of_an_integer, (0.5, 3)),
         (sum_of_eighth_powers, (0.5, 300)), (shifted, (0.5, 7))]


@pytest.mark.parametrize("f, args", CASES, ids=[f.__name__ for f, _ in CASES])
def test_integers_beyond_64_bits_give_pythons_gradient(numba, f, args):
    g = ad.grad(f, backend="numba")
    with pytest.warns(fallback_warning(), match="run as plain Python"):
        got = g(*args)
    assert got == ad.grad(f)(*args)
    assert_close(got, numerical_grad(f, args, 0))
    assert g.numba.variants[0].jitted is not None   # (compiled: for other calls)


def test_a_call_whose_integers_fit_runs_compiled_and_the_fast_path_checks_them_too(numba):
    fresh = types.FunctionType(power_of_three.__code__, globals())   # (not cached)
    g = ad.grad(fresh, backend="numba")
    with warnings.catch_warnings():
        warnings.simplefilter("error", fallback_warning())
        assert g(0.5, 10) == ad.grad(power_of_three)(0.5, 10)
        assert g(0.5, 12) == ad.grad(power_of_three)(0.5, 12)   # (the fast path for numbers)
    assert not g.numba.variants[0].beyond
    with pytest.warns(fallback_warning()):
        assert g(0.5, 45) == ad.grad(power_of_three)(0.5, 45)
    assert g(0.5, 50) == ad.grad(power_of_three)(0.5, 50)


def test_the_checked_operations_give_pythons_result_or_refuse(numba):
    from adcompile.backend.numba_integers import BeyondMachineIntegers, _checked
    checked = _checked()
    big = 1 << 63
    values = [0, 1, -1, 2, -2, 7, -7, big - 1, -big, -big + 1, 3037000499, 3037000500,
              -3037000500, 1 << 32, -(1 << 31), 1 << 62, -(1 << 62)]
    operations = [("int_times", lambda a, b: a * b, values),
                  ("int_shifted", lambda a, b: a << b, range(-1, 66)),
                  ("int_power", lambda a, b: a ** b, range(-2, 66))]
    refused = 0
    for name, python, seconds in operations:
        for a in values:
            for b in seconds:
                try:
                    got = checked[name](a, b)
                except BeyondMachineIntegers:
                    refused += 1
                    exact = python(a, b) if b >= 0 or name == "int_times" else 0.5
                    assert not isinstance(exact, int) or abs(exact) >= 1 << 62 \
                        or name == "int_shifted" and a == 0 and b >= 63, (name, a, b)
                    continue
                assert got == python(a, b) and isinstance(got, int), (name, a, b)
    assert refused > 100


def test_floats_and_arrays_are_multiplied_as_before(numba):
    def scaled(x, v, n):
        return np.sum((v * x) ** 2) * n * 2 + x ** 2.5 * (n << 2)

    args = (0.7, np.array([1.0, -2.0, 0.5]), 3)
    g = ad.grad(scaled, wrt=(0, 1), backend="numba")
    with warnings.catch_warnings():
        warnings.simplefilter("error", fallback_warning())
        got = g(*args)
    plain = ad.grad(scaled, wrt=(0, 1))(*args)
    assert_close(got[0], plain[0], 1e-12, 0)
    assert_close(got[1], plain[1], 1e-12, 0)
    assert_close(got[0], numerical_grad(scaled, args, 0))
