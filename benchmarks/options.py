"""The command line of the benchmark runner, and the thread limits it sets.

Kept apart from run.py because the thread counts must be in the environment before
NumPy (and the peers) are imported, which importing run.py does: ``python -m
benchmarks`` and ``python benchmarks/run.py`` parse their options and call
``limit_threads`` first, then import the runner.
"""

import argparse
import os

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def make_parser():
    """The runner's parser (run.py's docstring says what it does)."""
    parser = argparse.ArgumentParser(
        description="Time adcompile's gradients against the forward pass, hand-written NumPy "
                    "gradients and peers (see benchmarks/run.py).")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--write-readme", nargs="?", const="README.md", default=None,
                        metavar="PATH",
                        help="also write the Markdown tables into README.md (or PATH), "
                             "between its <!-- benchmarks:start --> and "
                             "<!-- benchmarks:end --> comments")
    parser.add_argument("--budget", type=float, default=36.0,
                        help="seconds of timing in all, shared by the workloads (default 36)")
    parser.add_argument("--sample", type=float, default=0.005,
                        help="seconds one timed sample lasts at least (default 0.005)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for every library (default 1; 0: each library's default)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this workload (repeatable)")
    parser.add_argument("--no-peers", action="store_true", help="skip autograd, torch and JAX")
    parser.add_argument("--no-numba", action="store_true",
                        help="skip adcompile's numba backend (timed when numba is installed)")
    parser.add_argument("--ratios", choices=("median", "min"), default="median",
                        help="the statistic the ratios are of (default median)")
    parser.add_argument("--transform-repeats", type=int, default=5, metavar="N",
                        help="fresh transformations per workload, the best counts (default 5)")
    return parser


def limit_threads(threads):
    """Set the thread counts of NumPy's BLAS and the peers; must run before they are imported."""
    if threads > 0:
        for var in THREAD_VARIABLES:
            os.environ[var] = str(threads)
        flags = os.environ.get("XLA_FLAGS", "")
        eigen = str(threads > 1).lower()
        os.environ["XLA_FLAGS"] = (f"{flags} --xla_cpu_multi_thread_eigen={eigen}"
                                   f" intra_op_parallelism_threads={threads}").strip()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
