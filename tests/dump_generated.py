"""Write the generated code of every form of a corpus of functions into a directory, one file
per text, to compare what two versions of adcompile generate (a change meant to leave the
generated code as it was: ``diff -r`` the directories).

    PYTHONPATH=.:tests python tests/dump_generated.py OUT [--fuzz N] [--only modules,workloads,fuzz]

The corpus: every module-level function (not a test) of some test modules, of the examples
and of the benchmark workloads (with wrt=0, or the workload's wrt), and the fuzz programs
0..N-1 (wrt their differentiable parameters). For each: the general code of "grad", "vjp",
"grad2" and "jvp", the code specialised to example arguments where known ("grad", "vjp",
"jvp"), and for the second-order test modules and every fourth fuzz program the gradient of
the gradient. A TransformError (or any other error) is a text too. Paths are written as
<repo> and <tmp>, so that checkouts in other directories compare equal.
"""

import argparse
import importlib
import importlib.util
import inspect
import os
import sys
import tempfile
import types
import warnings
from pathlib import Path

import numpy as np

import adcompile as ad
from adcompile.arguments import Arguments
from adcompile.cache import cached_transform
from adcompile.dispatch import specialisation

FORMS = ("grad", "vjp", "grad2", "jvp")
TEST_MODULES = [
    "test_real_programs", "test_second_order", "golden_functions", "test_checkpoint",
    "test_lists", "test_lists_across_iterations", "test_views_in_loops", "test_views",
    "test_control_flow", "test_items", "test_higher_order", "test_structure_copies",
    "test_nested", "test_aliasing", "test_regressions", "test_graph", "test_fission",
    "test_dead_code", "test_gmm", "test_lectures"]
SECOND_ORDER = ("test_second_order", "test_higher_order")


class Writer:
    def __init__(self, out):
        self.out, self.count, self.hidden = Path(out), 0, [os.getcwd()]
        self.out.mkdir(parents=True, exist_ok=True)

    def write(self, name, text):
        for path in self.hidden:
            text = text.replace(path, "<repo>" if path == self.hidden[0] else "<tmp>")
        (self.out / name).write_text(text)
        self.count += 1


def _text(make):
    try:
        return make()
    except Exception as exc:   # (an error is a text too: it must not change either)
        return f"{type(exc).__name__}: {exc}"


def dump(writer, label, f, wrt=0, args=None, second=False):
    try:
        transform = cached_transform(f, wrt)
    except Exception as exc:
        writer.write(f"{label}.transform.txt", f"{type(exc).__name__}: {exc}")
        return
    variants = [("general", transform, ())]
    if args is not None:
        try:
            special, key, _ = specialisation(
                transform, Arguments(transform, "show", None), list(args), None)
            variants.append(("special", special, key))
        except Exception as exc:
            writer.write(f"{label}.special.txt", f"{type(exc).__name__}: {exc}")
    for kind, t, key in variants:
        for form in FORMS:
            if form != "grad2" or kind == "general":
                writer.write(f"{label}.{kind}.{form}.txt",
                             _text(lambda: t.generate(key, form)[0]))
    if second:
        writer.write(f"{label}.gradgrad.txt", _text(
            lambda: cached_transform(ad.grad(f, wrt=wrt), 0).generate((), "grad")[0]))


def _functions(module):
    for name, obj in sorted(vars(module).items()):
        if isinstance(obj, types.FunctionType) and obj.__module__ == module.__name__ \
                and not name.startswith("test_") and name != "main":
            yield name, obj


def _import(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def modules(writer):
    for name in TEST_MODULES:
        module = importlib.import_module(name)
        for fname, f in _functions(module):
            dump(writer, f"{name}.{fname}", f, second=name in SECOND_ORDER)
    for path in sorted(Path("examples").glob("*.py")):
        if not path.name.startswith("_"):
            module = _import(path, f"example_{path.stem}")
            for fname, f in _functions(module):
                dump(writer, f"example_{path.stem}.{fname}", f)


def workloads(writer):
    from benchmarks.workloads import WORKLOADS
    for w in WORKLOADS:
        dump(writer, f"workload_{w.name}", w.forward, w.wrt, w.make_args())


def fuzz(writer, count):
    from fuzz.check import DIFFERENTIABLE, generate
    folder = tempfile.mkdtemp()
    writer.hidden.append(folder)
    for seed in range(count):
        program = generate(seed)
        path = Path(folder) / f"fuzz_prog_{seed}.py"
        path.write_text(program.source)
        f = _import(path, f"fuzz_prog_{seed}").f
        params = list(inspect.signature(f).parameters)
        given = program.argsets[0]
        args = [np.array(given[p], dtype=float) if isinstance(given[p], (tuple, list))
                else given[p] for p in params if p in given]
        dump(writer, f"fuzz{seed}", f, tuple(p for p in DIFFERENTIABLE if p in params),
             args if len(args) == len(params) else None, second=seed % 4 == 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out")
    parser.add_argument("--fuzz", type=int, default=300, help="fuzz programs 0..N-1")
    parser.add_argument("--only", default="modules,workloads,fuzz")
    options = parser.parse_args()
    warnings.simplefilter("ignore")
    writer = Writer(options.out)
    parts = options.only.split(",")
    if "modules" in parts:
        modules(writer)
    if "workloads" in parts:
        workloads(writer)
    if "fuzz" in parts:
        fuzz(writer, options.fuzz)
    print(f"{writer.count} texts in {options.out}")


if __name__ == "__main__":
    main()
