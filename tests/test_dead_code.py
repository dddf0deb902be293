"""Generated code has no dead names: every name it assigns is read.

Checked on the examples' and benchmarks' functions, the golden functions and the
functions of 100 fuzzed programs (300 with ``-m long``), in every form a user sees
(``ad.show``: the gradient, specialised to example arguments where there are some, and
forward mode). A statement kept only for what a call may do (a user's function called with
inactive arguments) stays, as a bare call: it assigns no name.
"""

import ast
import collections
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import adcompile as ad
from adcompile.errors import TransformError

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import workloads  # noqa: E402
from golden_functions import CASES  # noqa: E402
from tests.fuzz.generator import FEATURES, generate  # noqa: E402


def unused_names(code):
    """The names ``code`` (one generated function) assigns and never reads. A loop's
    target is exempt (``for i in ...`` needs a name even when the body ignores it)."""
    tree = ast.parse(code).body[0]
    stored, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (stored if isinstance(node.ctx, ast.Store) else read).add(node.id)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            read.add(node.target.id)   # (x += e reads x; a dead one still shows as unread
                                        # in the name's other uses)
    targets = {n.id for node in ast.walk(tree) if isinstance(node, (ast.For, ast.comprehension))
               for n in ast.walk(node.target) if isinstance(n, ast.Name)}
    return sorted(stored - read - targets - {"_"})


def _example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ROOT / "examples"))
    spec.loader.exec_module(module)
    return module


def _named_functions():
    """(label, function, wrt, example arguments or None)."""
    found = [(f"golden.{name}", f, wrt, args) for name, (f, args, wrt) in CASES.items()]
    found += [("bench.scalar", workloads.scalar, (0, 1), workloads.scalar_args()),
              ("bench.mlp", workloads.mlp_loss, (0, 1, 2, 3), workloads.mlp_args()),
              ("bench.rnn", workloads.rnn_loss, (0, 1, 2), workloads.rnn_args()),
              ("bench.gmm", workloads.gmm_objective, (0, 1, 2), workloads.gmm_args(3, 2, 5)),
              ("bench.recurrence", workloads.recurrence, (0, 1, 2), None)]
    examples = [("computation_graph", "f", ("x", "y", "z")),
                ("digits_mlp", "mlp_loss", ("W1", "b1", "W2", "b2")),
                ("newton_cg", "logistic_loss", "w"), ("one_neuron", "loss", ("w", "v")),
                ("reverse_vs_forward", "layer_sum", 0), ("sgd_replacement", "residual_loss", 0),
                ("window_classifier", "loss", ("W", "b", "u", "E"))]
    for module, name, wrt in examples:
        found.append((f"examples.{module}.{name}", getattr(_example(module), name), wrt, None))
    return found


@pytest.mark.parametrize("label,f,wrt,args", _named_functions(),
                         ids=[x[0] for x in _named_functions()])
def test_examples_assign_no_dead_name(label, f, wrt, args):
    forms = [ad.show(f, wrt=wrt), ad.show(f, wrt=wrt, mode="forward")]
    if args is not None:
        forms.append(ad.show(f, wrt=wrt, args=tuple(args)))
    for code in forms:
        assert not unused_names(code), f"{label}: {unused_names(code)} unused in\n{code}"


def _fuzzed(seed, tmp_dir):
    program = generate(seed, ())
    path = tmp_dir / f"fuzzed_{seed}.py"
    path.write_text(program.source)
    spec = importlib.util.spec_from_file_location(f"fuzzed_{seed}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f, program.argsets[0]


#: the fuzzed programs checked: a third of programs 0-299 by default (every kind of program
#: among them), the others with -m long
SEEDS = range(300)


@pytest.mark.parametrize("seeds", [
    pytest.param(SEEDS[::3], id="every_third"),
    pytest.param([s for s in SEEDS if s % 3], id="the_others", marks=pytest.mark.long)])
def test_fuzzed_programs_assign_no_dead_name(tmp_path, seeds):
    kinds = collections.Counter(kind for seed in seeds for kind in generate(seed, ()).features)
    assert all(kinds[kind] >= 3 for kind in FEATURES), kinds
    dead = {}
    for seed in seeds:
        try:
            f, args = _fuzzed(seed, tmp_path)
            code = ad.show(f, args=tuple(args.values()))
        except (TransformError, TypeError, ValueError, NotImplementedError):
            continue   # (refused: nothing generated)
        if unused_names(code):
            dead[seed] = unused_names(code)
    assert not dead, f"programs (seed: names) whose gradient assigns names nothing reads: {dead}"


def test_the_check_finds_a_dead_name():
    assert unused_names("def g(x):\n    t = np.sin(x)\n    y = x\n    return y\n") == ["t"]
    assert unused_names("def g(x):\n    for i in range(3):\n        x += 1\n    return x\n") == []
