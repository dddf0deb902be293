"""The random-program fuzzer (tests/fuzz): ``python -m tests.fuzz --count N`` checks seeded
programs (loops, branches, break/continue, early returns, helpers, lists; arrays, aliases and
in-place changes, pairs, stacked arrays, containers, reflection, parameters held in structures)
against finite differences; each must be differentiated correctly or refused with
TransformError."""

import collections
import os

import numpy as np
import pytest
from fuzz import check
from fuzz.check import FAILURES, format_failure, generate, run, summary
from fuzz.generator import CLASSIC_SHARE, FEATURES
from fuzz.structures import Tree
from generated_names import generated_names

#: Program kinds left out of programs 0-299 because adcompile still gets some of them wrong
#: there (found by the fuzzer; `python -m tests.fuzz --count 300 --reasons` lists them).
#: Remove a kind from here once it is fixed, to check it on every run. (The last one, "alias",
#: was fixed: the generated code wrote into an inactive argument the function changes.)
NOT_YET = ()
#: Where the arguments' types do not show that x is a number, the generated code checks it
#: before x += e (runtime.require_immutable) and refuses with a TypeError naming the line, when
#: it runs: that is a refusal, by design (see rebinding_checks.check_rebindings).
LATE_REFUSALS_OK = True


def test_generator_is_deterministic():
    assert generate(12345) == generate(12345)
    assert generate(1).source != generate(2).source
    with_arrays = next(s for s in range(100) if "arrays" in generate(s).features)
    assert generate(with_arrays) == generate(with_arrays)
    assert "v" in generate(with_arrays).argsets[0]


def test_new_kinds_are_mixed_in_and_the_classic_programs_kept():
    programs = [generate(seed) for seed in range(300)]
    kinds = collections.Counter(kind for p in programs for kind in p.features)
    classic = sum(not p.features for p in programs)
    assert abs(classic / len(programs) - CLASSIC_SHARE) < 0.1, classic
    for kind in FEATURES:
        assert kinds[kind] >= 8, kinds
    # a classic program is the same whether the kinds were excluded or not drawn
    p = next(p for p in programs if not p.features)
    assert generate(p.seed, exclude=FEATURES) == p
    assert not generate(p.seed, exclude=FEATURES).features
    assert all("def f(x, y, n0, k0, flag):" in generate(s, exclude=("arrays",)).source
               for s in range(20))


def test_seeded_programs():
    """Programs 0-299: every one differentiated correctly (reverse and forward mode, general
    and specialised code) or refused; most are differentiated, so the check has teeth."""
    results = run(range(300), jobs=min(2, os.cpu_count() or 1), reduce=False, exclude=NOT_YET,
                  late_refusals=LATE_REFUSALS_OK)
    failures = [format_failure(seed, outcome, None) for seed, outcome, _ in results
                if outcome.status in FAILURES]
    assert not failures, "\n".join(failures)
    # a refusal names what the program wrote, never a name adcompile made (t3, layers0)
    named = [(seed, outcome.detail) for seed, outcome, _ in results
             if outcome.status == "rejected" and generated_names(
                 outcome.detail, source=generate(seed, exclude=NOT_YET).source)]
    assert not named, named
    ok = [outcome for _, outcome, _ in results if outcome.status == "ok"]
    # (with the new kinds a program is refused more often: dicts, item assignment...)
    assert len(ok) >= 180, summary(results)
    assert sum("arrays" in outcome.kinds for outcome in ok) >= 50, summary(results)
    # the parameters held in structures: most of those programs are differentiated too
    structures = [o for _, o, _ in results if "structures" in o.kinds]
    assert sum(o.status == "ok" for o in structures) >= 0.6 * len(structures) >= 20, \
        summary(results)
    assert sum(not outcome.kinds for outcome in ok) >= 100, summary(results)
    # every fourth program is differentiated twice
    checked = sum(outcome.second == "checked" for _, outcome, _ in results)
    assert checked >= 40, summary(results)


def test_a_point_where_the_program_overflows_is_not_used():
    # seed 60651 cubes a value until it overflows to inf at one argument set; the result
    # does not depend on it, but its adjoint is 0 * inf = nan (as in any reverse mode)
    (_, outcome, _), = run([60651], jobs=1, reduce=False, exclude=FEATURES)
    assert outcome.status == "ok", outcome


def test_a_point_where_rounding_hides_a_term_is_not_used():
    # seed 72755 computes r - (y + r) with r = -3.6e16 at one argument set: 0 in float64,
    # so finite differences (and forward mode's tangent, by the same rounding) see no y
    # there, while the reverse sweep gives the expression's -1
    (_, outcome, _), = run([72755], jobs=1, reduce=False, exclude=FEATURES)
    assert outcome.status == "ok", outcome


def test_the_float_0d_mode_takes_the_0d_arrays_gradients_as_such():
    # (--float-0d compares the call with 0-d arrays with the differences taken on floats: its
    # gradients are 0-d arrays, not the floats the call with floats gives)
    results = run(range(12), jobs=1, reduce=False, exclude=FEATURES, zero_d=False)
    assert not [o for _, o, _ in results if o.status in ("wrong", "crash")], summary(results)
    assert sum(o.status == "ok" for _, o, _ in results) >= 8, summary(results)


def test_structures_take_the_numbers_of_the_program_without_them():
    seeds = [s for s in range(300) if "structures" in generate(s).features]
    assert len(seeds) >= 30, seeds
    layouts = collections.Counter()
    for seed in seeds:
        program, before = generate(seed), generate(seed, exclude=("structures",))
        assert "def f(params, " in program.source and "def f(x, y, " in before.source
        for new, old in zip(program.argsets, before.argsets):
            params = new["params"]
            assert isinstance(params, Tree)
            numbers = str(params)
            assert repr(old["x"]) in numbers and repr(old["y"]) in numbers
        layouts[params.kind] += 1
        layouts["with layers"] += "((" in numbers   # a 2x2 W, as nested tuples
    assert len(layouts) >= 5 and layouts["with layers"] >= len(seeds) // 2, layouts


# -- the checker itself ------------------------------------------------------------------

_ALIAS = """\
import numpy as np


def f(x, y, v, n0, k0, flag, g):
    b = x
    b += y
    g[0] = 5.0
    v *= 2.0
    return b * x + np.sum(v * g)
"""


def test_the_reference_runs_the_program_on_copies_and_follows_its_aliases():
    traced = check._Traced(_ALIAS)
    kwargs = check._materialize({"x": 0.5, "y": 0.25, "v": (1.0, 2.0, 3.0), "n0": 0, "k0": 0,
                                 "flag": False, "g": (1.0, 1.0, 1.0)})
    value, grads = check._reference(traced, kwargs, ("x", "y", "v"))
    # on floats, b is a new number: (x + y) * x + 2 * (5 v0 + v1 + v2)
    assert np.isclose(value, 0.75 * 0.5 + 2 * (5 + 2 + 3))
    assert np.allclose(grads["v", ()], [10.0, 2.0, 2.0]) and np.isclose(grads["x", ()], 2 * 0.5 + 0.25)
    # the arguments themselves are never changed, by any of the evaluations
    assert kwargs["g"].tolist() == [1.0, 1.0, 1.0] and kwargs["v"].tolist() == [1.0, 2.0, 3.0]
    # on 0-d arrays, b += y changes x too: (x + y) ** 2 + ...
    value, grads = check._reference(traced, check._zero_d(kwargs), ("x", "y", "v"))
    assert np.isclose(value, 0.75 ** 2 + 20) and np.isclose(grads["x", ()], 2 * 0.75)


def test_a_call_that_changes_its_argument_is_caught():
    def writes(x, v):
        v[0] = 0.0
        return x

    kwargs = {"x": 1.0, "v": np.ones(3)}
    with pytest.raises(check._Mutated, match="v"):
        check._call(writes, ("x", "v"), kwargs)
    assert kwargs["v"].tolist() == [1.0, 1.0, 1.0]


def test_reflection_that_is_accepted_must_be_verified():
    # getattr with a literal name is a plain attribute read, which adcompile may accept; but
    # here no argument set can check the gradient (plain evaluation divides by zero), so an
    # accepted program is "suspect", never merely "invalid"
    source = ("import numpy as np\n\n\ndef f(x, y, n0, k0, flag):\n"
              "    return getattr(np, 'sin')(x) * y / (n0 - n0)\n")
    argsets = ({"x": 0.5, "y": 0.25, "n0": 1, "k0": 0, "flag": False},)
    outcome = check.check_program(source, argsets)
    assert outcome.status in ("suspect", "rejected"), outcome
    assert check.reflective(source) == ["getattr"]
    fine = source.replace(" / (n0 - n0)", "")
    assert check.check_program(fine, argsets).status in ("ok", "rejected")


_STRUCTURED = """\
from typing import NamedTuple

import numpy as np


class Params(NamedTuple):
    x: object
    layers: object


def f(params, n0, k0, flag):
    h = np.array([params.x, 0.5])
    for W, b in params.layers:
        h = np.tanh(W @ h + b)
    return np.sum(h) * params.x
"""

_LAYERS = Tree("list", ((0, Tree("tuple", ((0, ((0.5, -0.25), (0.75, 1.0))), (1, (0.1, -0.2))))),))


def test_a_structure_is_checked_leaf_by_leaf():
    argsets = ({"params": Tree("Params", (("x", 0.4), ("layers", _LAYERS))), "n0": 1, "k0": 0,
                "flag": True},)
    assert check.check_program(_STRUCTURED, argsets).status == "ok"
    namespace = type("M", (), {"Params": collections.namedtuple("Params", "x layers")})
    kwargs = check._materialize(argsets[0], namespace)
    assert kwargs["params"].layers[0][0].shape == (2, 2)
    # an argument set goes to and from a Program's form unchanged (a reduction checks there)
    assert check._plain(kwargs) == argsets[0]
    entries = check._entries(kwargs, ("params",))
    # (a NamedTuple's leaves are reached by index)
    assert len(entries) == 1 + 4 + 2 and entries[0] == ("params", (0,), None)
    moved = check._moved(kwargs, "params", (1, 0, 0), (1, 0), 0.5)
    assert moved["params"].layers[0][0][1, 0] == 1.25 and kwargs["params"].layers[0][0][1, 0] == 0.75
    value, grads = check._reference(check._Traced(_STRUCTURED), kwargs, ("params",))
    assert grads["params", (1, 0, 0)].shape == (2, 2) and np.isfinite(value)


def test_a_wrong_leaf_of_a_structured_gradient_is_caught():
    kwargs = check._materialize({"params": Tree("dict", (("a", 0.5), ("w", (1.0, 2.0))))})
    expected = {("params", ("a",)): 2.0, ("params", ("w",)): np.array([1.0, 1.0])}
    good = ({"a": 2.0, "w": np.array([1.0, 1.0])},)
    source = "def f(params):\n    return params['a'] ** 2 * 2.0 + np.sum(params['w'])\n"
    traced = check._Traced("import numpy as np\n" + source)
    assert check._compare(traced, ("params",), [("positional", kwargs, (1.0, expected), None,
                                                 good)]) is None
    for bad, why in [(({"a": 2.0, "w": np.array([1.0, 0.0])},), "wrong:gradient"),
                     (({"a": 2.0},), "wrong:structure"),
                     (([2.0, np.array([1.0, 1.0])],), "wrong:structure"),
                     (({"a": 2.0, "w": [1.0, 1.0]},), "wrong:type")]:
        outcome = check._compare(traced, ("params",), [("positional", kwargs, (1.0, expected),
                                                        None, bad)])
        assert outcome is not None and outcome.signature == why, (bad, outcome)


def test_only_checks_the_programs_of_one_kind(capsys):
    from fuzz.__main__ import main

    assert main(["--only", "structures", "--count", "3", "--start", "20", "--jobs", "1",
                 "--no-reduce"]) == 0
    out = capsys.readouterr().out
    seeds = [s for s in range(20, 200) if "structures" in generate(s).features][:3]
    assert "3 programs checked" in out and f"seeds {seeds[0]}..{seeds[-1]}" in out, out
