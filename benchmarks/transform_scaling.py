"""How adcompile's transformation time grows with the size of the function (issue 20).

    python -m benchmarks.transform_scaling                  # 100, 1,000, 5,000, 20,000
    python -m benchmarks.transform_scaling --sizes 100 300 1000 --loop-body 300

Generated straight-line functions of n statements, each of one of four shapes
(``a7 = a6 * 0.999 + np.sin(a0)``, ``a8 = a7 + a1 * y``, ``a9 = np.tanh(a8) - 0.5 * a2``,
``a10 = a9 * x + 0.1``), returning ``np.sum`` of the last; and a function whose ``for``
loop has a body of that many statements. For each: the time of ``ad.grad(f)(x, y)`` on
a fresh function (the transformation: parse, check and normalize at ``ad.grad``, then the
code for the arguments generated, compiled and run once at the first call; the general
code behind ``.source`` is made only when read), CPU and wall-clock seconds, and
the exponent ``b`` of the least-squares fit ``time = a * n ** b`` over the straight-line
sizes (1: linear). The functions are written to a temporary directory and imported, as
adcompile reads a function's source from its file.
"""

import argparse
import importlib
import math
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import adcompile as ad  # noqa: E402

SHAPES = ("a{j} * 0.999 + np.sin(a{k})", "a{j} + a{k} * y", "np.tanh(a{j}) - 0.5 * a{k}",
          "a{j} * x + 0.1")


def straight_line(n, indent="    "):
    """The statements ``a1 = ...`` to ``a{n-1} = ...`` after ``a0 = x * y``."""
    lines = [f"{indent}a0 = x * y"]
    for i in range(1, n):
        value = SHAPES[i % 4].format(j=i - 1, k=max(0, i - 7))
        lines.append(f"{indent}a{i} = {value}")
    return lines


def source(n, loop=False):
    """A function of ``n`` straight-line statements, or (``loop``) of a three-step loop
    whose body has them."""
    head = ["import numpy as np", "", "", "def f(x, y):"]
    if not loop:
        return "\n".join(head + straight_line(n) + [f"    return np.sum(a{n - 1})"]) + "\n"
    body = straight_line(n, "        ")[1:] + [f"        a0 = a{n - 1} * 0.5"]
    return "\n".join(head + ["    a0 = x * y", "    for step in range(3):"] + body
                     + ["    return np.sum(a0)"]) + "\n"


def load(folder, name, text):
    """The function ``f`` of module ``name`` holding ``text``, written into ``folder``."""
    with open(os.path.join(folder, name + ".py"), "w") as out:
        out.write(text)
    return importlib.import_module(name).f


def time_gradient(f):
    """(CPU seconds, wall seconds) of ad.grad(f)(x, y) on a function not seen before."""
    x, y = np.linspace(0.1, 0.3, 3), np.full(3, 0.5)
    cpu, wall = time.process_time(), time.perf_counter()
    ad.grad(f)(x, y)
    return time.process_time() - cpu, time.perf_counter() - wall


def exponent(sizes, times):
    """The exponent b of the least-squares fit time = a * n ** b (None below two sizes)."""
    if len(sizes) < 2:
        return None
    xs, ys = [math.log(n) for n in sizes], [math.log(t) for t in times]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((u - mx) * (v - my) for u, v in zip(xs, ys)) / sum((u - mx) ** 2 for u in xs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000, 20000],
                        help="straight-line statements (default 100 1000 5000 20000)")
    parser.add_argument("--loop-body", type=int, default=1000, metavar="N",
                        help="statements in the loop's body (default 1000; 0: no loop)")
    options = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="adcompile_scaling_")
    sys.path.insert(0, folder)
    rows, cpu_times = [], []
    print("| function | statements | CPU s | wall s | CPU ms per statement |")
    print("|:---|---:|---:|---:|---:|")
    for n in options.sizes:
        cpu, wall = time_gradient(load(folder, f"straight_{n}", source(n)))
        cpu_times.append(cpu)
        rows.append(("straight-line", n, cpu, wall))
        print(f"| straight-line | {n:,} | {cpu:.2f} | {wall:.2f} | {1000 * cpu / n:.2f} |",
              flush=True)
    if options.loop_body:
        n = options.loop_body
        cpu, wall = time_gradient(load(folder, f"loop_{n}", source(n, loop=True)))
        print(f"| loop body | {n:,} | {cpu:.2f} | {wall:.2f} | {1000 * cpu / n:.2f} |",
              flush=True)
    b = exponent(options.sizes, cpu_times)
    if b is not None:
        print(f"\ngrowth exponent (CPU time ~ n^b, least squares over "
              f"{', '.join(f'{n:,}' for n in options.sizes)}): b = {b:.2f}")
    return rows


if __name__ == "__main__":
    main()
