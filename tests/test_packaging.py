"""What the repository ships besides the code: license, changelog, type marker, extras, and
README statements that can be checked against the package."""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np

import adcompile as ad

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def pyproject():
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def test_license_is_the_mit_license_pyproject_names():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 the adcompile developers" in text
    assert "THE SOFTWARE IS PROVIDED \"AS IS\"" in text
    assert pyproject()["project"]["license"] == {"text": "MIT"}


def test_changelog_lists_steps_newest_first():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n")
    dates = re.findall(r"^## (\d{4}-\d{2}-\d{2})", text, re.MULTILINE)
    assert len(dates) >= 3 and dates == sorted(dates, reverse=True)
    assert text.index("## Unreleased") < text.index(f"## {dates[0]}")


def test_ci_runs_the_readmes_two_commands_test_command():
    """The Quickstart's second command is the one that runs the tests; CI (.ci/run) runs
    exactly it, and its tools are in the test extras."""
    block = README.split("## Quickstart", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("  #", 1)[0].strip() for line in block.splitlines()]
    assert len(commands) == 2 and commands[0].endswith("adcompile demo")
    test_command = commands[1]
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    if " -n " in test_command:   # pytest-xdist's option
        assert any(d.startswith("pytest-xdist")
                   for d in pyproject()["project"]["optional-dependencies"]["test"])


def test_py_typed_is_shipped_as_package_data(tmp_path):
    """setuptools, reading pyproject.toml, copies adcompile/py.typed into a build (of a copy of
    the sources, so that nothing is written into the checkout)."""
    assert (ROOT / "adcompile" / "py.typed").exists()
    assert "py.typed" in pyproject()["tool"]["setuptools"]["package-data"]["adcompile"]
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "adcompile", source / "adcompile",
                    ignore=shutil.ignore_patterns("__pycache__"))
    build = tmp_path / "build"
    done = subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; "
         f"setup(script_args=['-q', 'build_py', '--build-lib', {str(build)!r}])"],
        cwd=source, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (build / "adcompile" / "py.typed").exists()
    assert (build / "adcompile" / "frontend" / "source.py").exists()


def test_bench_extra_installs_the_peers_the_readme_names():
    extra = pyproject()["project"]["optional-dependencies"]["bench"]
    assert sorted(extra) == ["autograd", "jax", "torch"]
    section = README.split("## Benchmarks", 1)[1].split("\n## ", 1)[0]
    assert "pip install -e '.[bench]'" in section
    named = re.search(r"peers that are installed \(([^)]*):", section).group(1)
    assert sorted(re.split(r",\s*|\s+and\s+", " ".join(named.split()))) == sorted(extra)
    runner = (ROOT / "benchmarks" / "run.py").read_text(encoding="utf-8")
    for peer in extra:                                  # each one the benchmarks can time
        assert f"import {peer}" in runner


def test_readme_hessian_vector_product_returns_gradient_and_hv():
    """README: ``ad.jvp(ad.grad(loss))(w, X, y, v)`` gives the pair (gradient, H v)."""
    assert "ad.jvp(ad.grad(loss))(w, X, y, v)              # (gradient, H v)" in README

    def loss(w, X, y):
        return np.sum((X @ w - y) ** 2)

    rng = np.random.default_rng(0)
    w, X, y, v = rng.normal(size=3), rng.normal(size=(5, 3)), rng.normal(size=5), \
        rng.normal(size=3)
    result = ad.jvp(ad.grad(loss))(w, X, y, v)
    assert isinstance(result, tuple) and len(result) == 2
    gradient, hv = result
    np.testing.assert_allclose(gradient, 2 * X.T @ (X @ w - y))
    np.testing.assert_allclose(hv, 2 * X.T @ X @ v)
