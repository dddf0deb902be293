"""What the analyses infer of values (ndims, numbers, no axis of length 1, symbolic shapes)
against what the values are when the normalized code runs.

The passes drop ``unbroadcast`` calls, keep values by reference and choose code by these
facts; a wrong one is a wrong gradient that a test at other shapes may not see. Here
each case's normalized function runs, statement by statement (ir_values.py, a runner of
its own that shares nothing with the code generator), at the case's arguments, and every
value every name takes is compared with what was inferred for those argument kinds: the
reference cases (one per rule at least, tests/test_reference.py), programs written as
users write them, and fuzzed programs.
"""

import copy
import warnings

import numpy as np
import pytest
from ir_values import contradictions
from test_reference import CASES

from adcompile import TransformError
from adcompile.rules import REGISTRY
from adcompile.rules.shapes import SHAPES


def _plain(args):
    return not any(isinstance(a, (dict, list, tuple)) for a in args)


_PLAIN_CASES = [c for c in CASES if _plain(c.args())]


@pytest.mark.parametrize("c", _PLAIN_CASES, ids=[c.name for c in _PLAIN_CASES])
def test_facts_hold_for_each_reference_case(c):
    wrt = c.wrt if len(c.wrt) > 1 else c.wrt[0]
    assert contradictions(c.fn, copy.deepcopy(c.args()), wrt) == []


W3 = np.array([0.5, -1.0, 2.0])


def rows_and_slices(x, y):
    inner = x[1:-1] * y[2:] + x[:-2]
    edges = np.concatenate([x[:1], inner, x[-1:]])
    grid = edges[:, None] * y[None, :]
    return np.sum(np.triu(grid[:3, :3]) * W3) + np.sum(np.roll(grid, 1, axis=0) ** 2)


def a_loop_with_a_branch(u, n):
    s = 0.0
    for i in range(n):
        if s > 10.0:
            break
        u = np.flip(u) * 1.5 + np.mean(u)
        s = s + np.sum(u[1:] * u[:-1])
    return s + u @ u


def a_list_of_layers(x, w1, w2):
    hs = [x]
    for w in (w1, w2):
        hs.append(np.tanh(hs[-1] @ w))
    total = 0.0
    for h in hs:
        total = total + np.sum(h ** 2, axis=-1).mean()
    return total


def numbers_and_arrays(a, b):
    m = max(a, 0.5) * np.sqrt(b)
    c = float(np.sum(b)) * a
    return np.sum(m * c) + a ** 2 + np.cumsum(b)[-1] * np.squeeze(np.array([[a]]))


USER_PROGRAMS = [
    (rows_and_slices, (np.linspace(0.1, 1.0, 5), np.linspace(-1.0, 1.0, 5)), 0),
    (a_loop_with_a_branch, (np.linspace(0.1, 0.9, 4), 3), 0),
    (a_list_of_layers, (np.ones((2, 3)) * 0.3, np.eye(3) * 0.5, np.ones((3, 4)) * 0.1), (1, 2)),
    (numbers_and_arrays, (0.7, np.linspace(0.5, 1.5, 3)), (0, 1)),
    (numbers_and_arrays, (np.array(0.7), np.linspace(0.5, 1.5, 3)), (0, 1)),
]


@pytest.mark.parametrize("f, args, wrt", USER_PROGRAMS,
                         ids=[f"{p[0].__name__}-{i}" for i, p in enumerate(USER_PROGRAMS)])
def test_facts_hold_for_programs_as_users_write_them(f, args, wrt):
    assert contradictions(f, copy.deepcopy(list(args)), wrt) == []


def test_facts_hold_for_fuzzed_programs():
    """The random programs of tests/fuzz (those of arrays and numbers adcompile takes), each
    at its argument sets."""
    from fuzz.check import _load, _materialize, _signature, _unload
    from fuzz.generator import generate

    checked, wrong = 0, {}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        for seed in range(60):
            program = generate(seed)
            params, wrt = _signature(program.source)
            name, path, module = _load(program.source, f"facts{seed}")
            try:
                for given in program.argsets:
                    kwargs = _materialize(given, module)
                    args = [kwargs[p] for p in params]
                    if not _plain(args):
                        break
                    positions = tuple(params.index(p) for p in wrt)
                    try:
                        found = contradictions(module.f, copy.deepcopy(args),
                                               positions if len(positions) > 1 else positions[0])
                    except (TransformError, TypeError):   # refused, or checked when it runs
                        break
                    checked += 1
                    if found:
                        wrong[seed] = found
            finally:
                _unload(name, path)
    assert checked > 100
    assert not wrong, wrong


def test_the_check_sees_a_wrong_fact(monkeypatch):
    """With np.triu's result said to have its input's ndim (as it was), the check names the
    value: np.triu of a vector is a matrix."""
    assert contradictions(triangle_of_a_vector, [W3.copy()]) == []
    monkeypatch.setattr(REGISTRY.rule_for(np.triu), "shape", SHAPES["same"])
    found = contradictions(triangle_of_a_vector, [W3.copy()])
    assert found and "ndim 1, ran 2" in found[0]


def triangle_of_a_vector(v):
    return np.sum(np.triu(v) * W3)
