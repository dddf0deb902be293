"""Peak memory and time of a long recurrence's gradient, with and without ad.checkpoint.

    python benchmarks/checkpoint.py              # 100,000 steps
    python benchmarks/checkpoint.py --steps 10000 --every 10 --every sqrt

Two recurrences: ``x <- a*x + b*sin(x)`` on Python floats, and the same on a vector of 8
floats with a matrix (``x <- tanh(W x) + b``). For each, the gradient of the unmarked
function (every step kept) and of the same function marked with ``ad.checkpoint(every=k)``
for each ``--every``: the peak of memory traced by tracemalloc during one call (above
what was allocated before it), and the best time of --repeats calls (without
tracemalloc, which slows allocation). Every checkpointed gradient is checked against
the unmarked one first.
"""

import argparse
import gc
import os
import sys
import time
import tracemalloc
import types

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import adcompile as ad  # noqa: E402


def scalar_recurrence(x, a, b, n):
    for i in range(n):
        x = a * x + b * np.sin(x)
    return x


def vector_recurrence(x, W, b, n):
    for i in range(n):
        x = np.tanh(W @ x) + b
    return np.sum(x * x)


def scalar_args(n):
    return 1.0, 0.5, 1.0, n


def vector_args(n):
    rng = np.random.default_rng(0)
    return rng.normal(size=8), 0.3 * rng.normal(size=(8, 8)), 0.1 * rng.normal(size=8), n


def copy_marked(f, every):
    g = types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__,
                           f.__closure__)
    return g if every is None else ad.checkpoint(g, every=every)


def peak_bytes(gradient, args):
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    gradient(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


def best_time(gradient, args, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        gradient(*args)
        best = min(best, time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--every", action="append",
                        help="steps between checkpoints, or sqrt (repeatable; default sqrt)")
    parser.add_argument("--repeats", type=int, default=5)
    options = parser.parse_args()
    everies = [None] + [e if e == "sqrt" else int(e) for e in (options.every or ["sqrt"])]
    n = options.steps
    print(f"| recurrence ({n:,} steps) | kept | peak memory | time | ÷ memory | ÷ time |")
    print("|:---|:---|---:|---:|---:|---:|")
    for f, make_args, wrt in ((scalar_recurrence, scalar_args, (0, 1, 2)),
                              (vector_recurrence, vector_args, (0, 1, 2))):
        args = make_args(n)
        base = None
        for every in everies:
            gradient = ad.grad(copy_marked(f, every), wrt=wrt)
            got = gradient(*args)   # (compiles)
            if base is None:
                expected = got
            else:
                for g, e in zip(got, expected):
                    np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-12)
            memory, seconds = peak_bytes(gradient, args), best_time(gradient, args,
                                                                    options.repeats)
            if base is None:
                base = (memory, seconds)
            kept = "every step" if every is None else f"checkpoint every={every}"
            print(f"| {f.__name__} | {kept} | {memory / 2**20:.2f} MiB | {seconds * 1e3:.1f} ms "
                  f"| {memory / base[0]:.3f}× | {seconds / base[1]:.2f}× |")


if __name__ == "__main__":
    main()
