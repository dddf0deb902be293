"""The fuzzer's ``--backend numba`` (tests/fuzz/numba_check.py): a program checked OK is
differentiated again with backend="numba" and its results compared with the plain code's;
a difference is ``wrong``, an error the plain code does not raise a ``crash``, a fallback to
plain Python is counted, not a failure."""

import types

import numpy as np
from fuzz import check, numba_check
from fuzz.__main__ import main
from test_numba import numba  # noqa: F401 (a fixture)

import adcompile as ad

PROGRAM = """
import numpy as np
def f(x, y, v):
    s = np.sum(v * v) * x + y * np.tanh(x)
    return s * x - y
"""
ARGSETS = [{"x": 0.3, "y": -0.7, "v": (0.5, 1.5, -2.0)}]


def test_a_program_numba_compiles_is_ok_and_counted_as_compiled(numba):
    outcome = check.check_program(PROGRAM, ARGSETS, backend="numba")
    assert outcome.status == "ok" and outcome.numba == "compiled", outcome
    assert "(numba: 1 compiled, 0 fell back, 0 mixed)" in check.summary([(0, outcome, None)])


def test_a_fallback_is_recorded_not_a_failure(numba):
    source = PROGRAM.replace("np.sum(v * v)", "np.sum(np.cumprod(v))")   # (cumprod_bar: Python)
    outcome = check.check_program(source, ARGSETS, backend="numba")
    assert outcome.status == "ok" and outcome.numba == "fell back", outcome


def test_without_the_option_numba_is_not_used():
    outcome = check.check_program(PROGRAM, ARGSETS)
    assert outcome.status == "ok" and outcome.numba == ""
    assert "numba" not in check.summary([(0, outcome, None)])


def _off_by(amount, to_value=False):
    """An ``ad`` whose numba value_and_grad is off by ``amount`` in its gradient (or value)."""
    def value_and_grad(f, wrt, backend=None):
        made = ad.value_and_grad(f, wrt=wrt, backend=backend)

        def shifted(*args):
            value, grads = made(*args)
            if to_value:
                return value + amount, grads
            return value, (grads[0] + amount,) + tuple(grads[1:])
        shifted.numba = made.numba
        return shifted
    return types.SimpleNamespace(value_and_grad=value_and_grad, grad=ad.grad)


def test_a_numba_gradient_off_in_the_last_digits_but_one_is_wrong(numba, monkeypatch):
    monkeypatch.setattr(numba_check, "ad", _off_by(1e-7))
    outcome = check.check_program(PROGRAM, ARGSETS, backend="numba")
    assert outcome.status == "wrong" and outcome.signature == "wrong:numba:gradient", outcome
    monkeypatch.setattr(numba_check, "ad", _off_by(1e-7, to_value=True))
    outcome = check.check_program(PROGRAM, ARGSETS, backend="numba")
    assert outcome.status == "wrong" and outcome.signature == "wrong:numba:value", outcome


def test_a_gradient_of_another_type_is_wrong(numba, monkeypatch):
    monkeypatch.setattr(numba_check, "ad", _off_by(np.float32(0)))
    outcome = check.check_program(PROGRAM, ARGSETS, backend="numba")
    assert outcome.status == "wrong" and "float32" in outcome.detail, outcome


def test_an_error_only_numba_raises_is_a_crash(numba, monkeypatch):
    monkeypatch.setattr(numba_check, "ad", _off_by("text"))
    outcome = check.check_program(PROGRAM, ARGSETS, backend="numba")
    assert outcome.status == "crash" and "numba, positional" in outcome.detail, outcome


def test_the_command_line_option(numba, capsys):
    assert main(["--count", "3", "--start", "1", "--jobs", "1", "--backend", "numba"]) == 0
    out = capsys.readouterr().out
    assert "3 programs checked" in out and "(numba: " in out
