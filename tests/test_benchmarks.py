"""The benchmark runner's pieces that need no timing: the logistic-regression workload's
hand-written gradient (against central finite differences), the geometric mean over the
six workloads of issue 17, and the README section --write-readme replaces."""

import math
import os
import sys

import numpy as np
import pytest
from conftest import assert_close, numerical_grad

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import run  # noqa: E402
import workloads  # noqa: E402


def test_logistic_hand_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 5))
    y = (rng.random(40) < 0.5).astype(np.float64)
    args = (0.3 * rng.normal(size=5), 0.2, X, y)
    dw, db = workloads.logistic_hand_grad(*args)
    assert_close(dw, numerical_grad(workloads.logistic_loss, args, 0))
    assert_close(db, numerical_grad(workloads.logistic_loss, args, 1))


def test_every_geomean_workload_is_a_workload():
    names = {w.name for w in workloads.WORKLOADS}
    assert set(run.GEOMEAN_WORKLOADS) <= names and len(run.GEOMEAN_WORKLOADS) == 6


def rows(ratios):
    return [{"workload": w, "contender": c, "x_hand": r} for (w, c), r in ratios.items()]


def test_geomeans_over_the_six_for_contenders_timed_on_all():
    ratios = {(w, "a"): 2.0 ** i for i, w in enumerate(run.GEOMEAN_WORKLOADS)}
    ratios.update({(w, "b"): 3.0 for w in run.GEOMEAN_WORKLOADS[:5]})   # one missing
    ratios[("heat", "a")] = 1000.0   # not one of the six
    means = dict(run.geomeans(rows(ratios)))
    assert set(means) == {"a"}
    assert means["a"] == pytest.approx(math.exp(sum(i * math.log(2.0) for i in range(6)) / 6))
    assert run.geomeans(rows({(w, "a"): 1.0 for w in run.GEOMEAN_WORKLOADS[:5]})) == []


def test_write_readme_replaces_only_the_marked_section(tmp_path):
    path = tmp_path / "README.md"
    path.write_text(f"# x\n\nbefore\n{run.README_START}\nold table\n{run.README_END}\nafter\n",
                    encoding="utf-8")
    run.write_readme(path, ["| new |", "| table |"])
    text = path.read_text(encoding="utf-8")
    assert "old table" not in text and "| new |\n| table |" in text
    assert text.startswith("# x\n\nbefore\n" + run.README_START)
    assert text.endswith(run.README_END + "\nafter\n")
    path.write_text("no markers\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="benchmarks:start"):
        run.write_readme(path, ["x"])


def test_the_readme_has_the_section():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as file:
        text = file.read()
    assert 0 <= text.find(run.README_START) < text.find(run.README_END)
