"""The random-program fuzzer (tests/fuzz): ``python -m tests.fuzz --count N`` checks seeded
programs (loops, branches, break/continue, early returns, helpers, lists) against finite
differences; each must be differentiated correctly or refused with TransformError."""

import os

from fuzz.check import FAILURES, format_failure, generate, run, summary


def test_generator_is_deterministic():
    assert generate(12345) == generate(12345)
    assert generate(1).source != generate(2).source


def test_seeded_programs():
    """Programs 0-299: every one differentiated correctly (reverse and forward mode, general
    and specialised code) or refused; most are differentiated, so the check has teeth."""
    results = run(range(300), jobs=min(2, os.cpu_count() or 1), reduce=False)
    failures = [format_failure(seed, outcome, None) for seed, outcome, _ in results
                if outcome.status in FAILURES]
    assert not failures, "\n".join(failures)
    ok = sum(outcome.status == "ok" for _, outcome, _ in results)
    assert ok >= 200, summary(results)
    # every fourth program is differentiated twice; each builds a list, and second order
    # refuses none of them since lists differentiate twice
    checked = sum(outcome.second == "checked" for _, outcome, _ in results)
    assert checked >= 50, summary(results)


def test_a_point_where_the_program_overflows_is_not_used():
    # seed 60651 cubes a value until it overflows to inf at one argument set; the result
    # does not depend on it, but its adjoint is 0 * inf = nan (as in any reverse mode)
    (_, outcome, _), = run([60651], jobs=1, reduce=False)
    assert outcome.status == "ok", outcome


def test_a_point_where_rounding_hides_a_term_is_not_used():
    # seed 72755 computes r - (y + r) with r = -3.6e16 at one argument set: 0 in float64,
    # so finite differences (and forward mode's tangent, by the same rounding) see no y
    # there, while the reverse sweep gives the expression's -1
    (_, outcome, _), = run([72755], jobs=1, reduce=False)
    assert outcome.status == "ok", outcome
