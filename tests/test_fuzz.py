"""The random-program fuzzer (tests/fuzz): ``python -m tests.fuzz --count N`` checks seeded
programs (loops, branches, break/continue, early returns, helpers, lists; arrays, aliases and
in-place changes, pairs, stacked arrays, containers, reflection) against finite differences;
each must be differentiated correctly or refused with TransformError."""

import collections
import os

import numpy as np
import pytest
from fuzz import check
from fuzz.check import FAILURES, format_failure, generate, run, summary
from fuzz.generator import CLASSIC_SHARE, FEATURES

#: Program kinds left out of programs 0-299 because adcompile still gets some of them wrong
#: there (found by the fuzzer; `python -m tests.fuzz --count 300 --reasons` lists them).
#: Remove a kind from here once it is fixed, to check it on every run. (The last one, "alias",
#: was fixed: the generated code wrote into an inactive argument the function changes.)
NOT_YET = ()
#: Where the arguments' types do not show that x is a number, the generated code checks it
#: before x += e (runtime.require_immutable) and refuses with a TypeError naming the line, when
#: it runs: that is a refusal, by design (see aliasing.check_rebindings).
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
    ok = [outcome for _, outcome, _ in results if outcome.status == "ok"]
    # (with the new kinds a program is refused more often: dicts, item assignment...)
    assert len(ok) >= 180, summary(results)
    assert sum("arrays" in outcome.kinds for outcome in ok) >= 50, summary(results)
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
    assert np.allclose(grads["v"], [10.0, 2.0, 2.0]) and np.isclose(grads["x"], 2 * 0.5 + 0.25)
    # the arguments themselves are never changed, by any of the evaluations
    assert kwargs["g"].tolist() == [1.0, 1.0, 1.0] and kwargs["v"].tolist() == [1.0, 2.0, 3.0]
    # on 0-d arrays, b += y changes x too: (x + y) ** 2 + ...
    value, grads = check._reference(traced, check._zero_d(kwargs), ("x", "y", "v"))
    assert np.isclose(value, 0.75 ** 2 + 20) and np.isclose(grads["x"], 2 * 0.75)


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
