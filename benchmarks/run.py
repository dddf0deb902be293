"""Time adcompile's gradients against the forward pass, hand-written NumPy gradients and peers.

    python benchmarks/run.py               # a plain table
    python benchmarks/run.py --markdown    # the same as a Markdown table, for the README

For each workload in ``workloads.WORKLOADS`` the contenders are: the forward
pass, the hand-written gradient, adcompile's ``ad.grad(f, wrt=...)`` and, when
installed, autograd, PyTorch (CPU, float64) and JAX (jitted and not). Before
anything is timed, every gradient is checked against the hand-written one
(relative error at most 1e-8 in the max norm, per gradient), so a wrong
gradient is never timed; compilation (adcompile's, JAX's jit) happens in a
warm-up call that is not timed. A workload adcompile cannot differentiate yet
(its transform or its first call raises) is timed without it: the table shows
adcompile as not supported and, below it, the error's first line.

Timing is interleaved: each round times every contender once, in a rotated
order, so that drift (frequency scaling, the other core's load) hits all of
them alike. A sample is a loop of enough calls to last about --sample
seconds; a contender's time is the median over rounds of the time per call.
Ratios are ratios of those medians. Progress goes to stderr, the table to stdout.

Every library runs on one thread by default (--threads 1): NumPy's OpenBLAS,
PyTorch's OpenMP/MKL and XLA each keep a thread pool whose idle threads
spin-wait, and interleaving them on a 2-core machine made each slow the others
down about 2x. --threads 0 leaves every library at its own default.
"""

import argparse
import gc
import importlib.metadata
import math
import os
import platform
import statistics
import sys
import time
import types

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def make_parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--budget", type=float, default=36.0,
                        help="seconds of timing in all, shared by the workloads (default 36)")
    parser.add_argument("--sample", type=float, default=0.005,
                        help="seconds one timed sample lasts at least (default 0.005)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for every library (default 1; 0: each library's default)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this workload (repeatable)")
    parser.add_argument("--no-peers", action="store_true", help="skip autograd, torch and JAX")
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


if __name__ == "__main__":
    OPTIONS = make_parser().parse_args()
    limit_threads(OPTIONS.threads)

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import adcompile as ad  # noqa: E402
import workloads  # noqa: E402

RTOL = 1e-8
FORWARD, HAND, ADCOMPILE = "forward", "hand-written", "adcompile"


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


# --- correctness ----------------------------------------------------------------------

def as_numpy(value):
    if hasattr(value, "detach"):  # torch
        value = value.detach().numpy()
    return np.asarray(value, dtype=np.float64)


def check_gradient(name, workload, got, expected):
    """Raise unless ``got`` matches ``expected`` gradient by gradient to RTOL (max norm)."""
    if len(got) != len(expected):
        raise AssertionError(f"{workload.name}: {name} returned {len(got)} gradients, "
                             f"expected {len(expected)}")
    for i, (g, e) in enumerate(zip(got, expected)):
        g, e = as_numpy(g), as_numpy(e)
        if g.shape != e.shape:
            raise AssertionError(f"{workload.name}: {name}'s gradient {i} has shape {g.shape}, "
                                 f"expected {e.shape}")
        scale = np.max(np.abs(e)) if e.size else 0.0
        error = np.max(np.abs(g - e)) if e.size else 0.0
        if not error <= RTOL * scale:
            raise AssertionError(
                f"{workload.name}: {name}'s gradient w.r.t. argument {workload.wrt[i]} differs "
                f"from the hand-written one: max abs error {error:.3g}, max abs value {scale:.3g}")


# --- peers: each returns [(label, zero-argument callable computing the gradient)] -------

def with_numpy(f, module):
    """``f`` with its global ``np`` bound to ``module`` (autograd.numpy, jax.numpy)."""
    return types.FunctionType(f.__code__, dict(f.__globals__, np=module), f.__name__,
                              f.__defaults__, f.__closure__)


def static(value):
    """Whether an argument is passed to the peers as it is: a Python int (a step count)."""
    return type(value) is int


def peer_autograd(workload, args):
    import autograd
    import autograd.numpy as anp
    forward = (workload.peers.get("autograd")
               or with_numpy(workload.peers.get("numpy", workload.forward), anp))
    gradient = autograd.grad(forward, argnum=workload.wrt)
    return [("autograd", lambda: gradient(*args))]


def peer_torch(workload, args):
    import torch
    threads = int(os.environ.get("OMP_NUM_THREADS", "0"))
    if threads and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    forward = workload.peers.get("torch")
    if forward is None:
        return []
    targs = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a if static(a)
             else torch.tensor(a, dtype=torch.float64) for a in args]
    params = [targs[i].requires_grad_(True) for i in workload.wrt]

    def gradient():
        return torch.autograd.grad(forward(*targs), params)

    return [("torch", gradient)]


def peer_jax(workload, args):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    forward = (workload.peers.get("jax")
               or with_numpy(workload.peers.get("numpy", workload.forward), jnp))
    jargs = [a if static(a) else jnp.asarray(a, dtype=jnp.float64) for a in args]
    gradient = jax.grad(forward, argnums=workload.wrt)
    jitted = jax.jit(gradient, static_argnums=[i for i, a in enumerate(args) if static(a)])
    return [("jax.jit(jax.grad)", lambda: jax.block_until_ready(jitted(*jargs))),
            ("jax.grad (no jit)", lambda: jax.block_until_ready(gradient(*jargs)))]


PEERS = {"autograd": peer_autograd, "torch": peer_torch, "jax": peer_jax}


def peer_versions():
    versions = []
    for name in PEERS:
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name} not installed")
    return versions


# --- timing ---------------------------------------------------------------------------

def calls_per_sample(fn, target):
    """How many calls of ``fn`` make a sample of about ``target`` seconds, like timeit.autorange."""
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= target / 4:
            return max(1, math.ceil(n * target / elapsed)), elapsed / n
        n *= 4 if elapsed * 4 < target / 4 else 2


def sample(fn, n):
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - start) / n
    finally:
        if enabled:
            gc.enable()


def time_interleaved(contenders, budget, target, min_rounds=7, max_rounds=2000):
    """Per contender label: the list of per-call times, one per round."""
    plan = []
    round_cost = 0.0
    for label, fn in contenders:
        n, per_call = calls_per_sample(fn, target)
        plan.append((label, fn, n))
        round_cost += n * per_call
    rounds = int(min(max_rounds, max(min_rounds, budget // max(round_cost, 1e-9))))
    log(f"    {rounds} rounds of {len(plan)} contenders, ~{round_cost * 1e3:.1f} ms a round")
    times = {label: [] for label, _, _ in plan}
    for r in range(rounds):
        k = r % len(plan)
        for label, fn, n in plan[k:] + plan[:k]:
            times[label].append(sample(fn, n))
    return times


# --- a workload -----------------------------------------------------------------------

def first_line(error):
    """``TypeName: first line of the message`` (a TransformError's next lines show the source)."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def adcompile_gradient(workload, args, expected):
    """``(callable, None)``: adcompile's gradient, checked and warmed up; or ``(None, why)``
    when adcompile raises on the workload. A wrong gradient still raises AssertionError."""
    try:
        ad_gradient = ad.grad(workload.forward, wrt=workload.wrt)
        got = ad_gradient(*args)  # also the compiling warm-up
    except Exception as error:  # any failure means "not supported (yet)"
        why = f"not supported ({first_line(error)})"
        log(f"    {ADCOMPILE}: {why}")
        return None, why
    check_gradient(ADCOMPILE, workload, got, expected)
    return (lambda: ad_gradient(*args)), None


def bench(workload, budget, target, use_peers):
    """The table rows of one workload, and its notes (lines to print below the table)."""
    log(f"{workload.name}: {workload.description}")
    args = workload.make_args()
    forward = lambda: workload.forward(*args)  # noqa: E731
    hand_grad = lambda: workload.hand_grad(*args)  # noqa: E731

    expected = workload.hand_grad(*args)
    ad_grad, why = adcompile_gradient(workload, args, expected)
    unsupported = {ADCOMPILE: why} if ad_grad is None else {}  # label -> why
    contenders = [(FORWARD, forward), (HAND, hand_grad)]
    if ad_grad is not None:
        contenders.append((ADCOMPILE, ad_grad))
    if use_peers:
        for name, make in PEERS.items():
            try:
                peers = make(workload, args)
            except ImportError:
                continue
            for label, fn in peers:
                check_gradient(label, workload, fn(), expected)  # also the warm-up (jit)
                contenders.append((label, fn))

    times = time_interleaved(contenders, budget, target)
    medians = {label: statistics.median(ts) for label, ts in times.items()}
    rows = []
    order = [FORWARD, HAND, ADCOMPILE] + [label for label, _ in contenders[2:]
                                          if label != ADCOMPILE]
    for label in order:
        if label in unsupported:
            rows.append({"workload": workload.name, "contender": label,
                         "unsupported": unsupported[label]})
            continue
        t = medians[label]
        rows.append({
            "workload": workload.name,
            "contender": label,
            "median": t,
            "min": min(times[label]),
            "x_forward": t / medians[FORWARD] if label != FORWARD else None,
            "x_hand": t / medians[HAND] if label != FORWARD else None,
        })
    notes = [f"{workload.name}: {label}: {why}" for label, why in unsupported.items()]
    return rows, notes


# --- output ---------------------------------------------------------------------------

def fmt_time(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale or unit == "ns":
            value = seconds / scale
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
    raise AssertionError


def fmt_ratio(r):
    if r is None:
        return "—"
    return f"{r:.2f}×" if r < 10 else f"{r:.1f}×" if r < 100 else f"{r:.0f}×"


HEADER = ["workload", "contender", "median", "min", "÷ forward", "÷ hand-written"]


def table_cells(rows):
    cells, last = [], None
    for row in rows:
        name = row["workload"] if row["workload"] != last else ""
        if "unsupported" in row:
            cells.append([name, row["contender"], "not supported", "—", "—", "—"])
        else:
            cells.append([name, row["contender"], fmt_time(row["median"]), fmt_time(row["min"]),
                          fmt_ratio(row["x_forward"]), fmt_ratio(row["x_hand"])])
        last = row["workload"]
    return cells


def print_plain(rows, descriptions, environment, notes):
    cells = table_cells(rows)
    widths = [max(len(r[i]) for r in cells + [HEADER]) for i in range(len(HEADER))]
    left = {0, 1}

    def line(r):
        return "  ".join(c.ljust(w) if i in left else c.rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    print(environment)
    for name, text in descriptions:
        print(f"  {name}: {text}")
    print()
    print(line(HEADER))
    print(line(["-" * w for w in widths]))
    for i, r in enumerate(cells):
        if i and r[0]:
            print()
        print(line(r))
    if notes:
        print()
        for note in notes:
            print(note)


def print_markdown(rows, descriptions, environment, notes):
    print(f"_{environment}_")
    print()
    for name, text in descriptions:
        print(f"- `{name}`: {text}")
    print()
    print("| " + " | ".join(HEADER) + " |")
    print("|" + "|".join([":---", ":---"] + ["---:"] * (len(HEADER) - 2)) + "|")
    for r in table_cells(rows):
        r = [f"`{r[0]}`" if r[0] else ""] + r[1:]
        print("| " + " | ".join(r) + " |")
    if notes:
        print()
        for note in notes:
            name, rest = note.split(": ", 1)
            print(f"- `{name}`: {rest}")


def environment_line(use_peers, threads):
    blas = ""
    try:
        config = np.show_config(mode="dicts")
        info = config["Build Dependencies"]["blas"]
        blas = f" ({info.get('name', '?')} {info.get('version', '')})".replace(" )", ")")
    except Exception:  # older NumPy: no dicts mode
        pass
    parts = [f"Python {platform.python_version()}", f"NumPy {np.__version__}{blas}",
             f"adcompile {ad.__version__}"]
    if use_peers:
        parts += peer_versions()
    parts.append(f"{os.cpu_count()} CPUs, {platform.machine()}")
    parts.append(f"{threads} thread(s) per library" if threads > 0 else "default threads")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if os.environ.get(var):
            parts.append(f"{var}={os.environ[var]}")
    return "; ".join(parts)


def main(options):
    parser = make_parser()

    chosen = [w for w in workloads.WORKLOADS if not options.only or w.name in options.only]
    unknown = set(options.only or ()) - {w.name for w in workloads.WORKLOADS}
    if unknown:
        parser.error(f"unknown workload(s) {sorted(unknown)}; there are "
                     f"{[w.name for w in workloads.WORKLOADS]}")
    use_peers = not options.no_peers
    rows, notes = [], []
    for workload in chosen:
        more_rows, more_notes = bench(workload, options.budget / len(chosen), options.sample,
                                      use_peers)
        rows += more_rows
        notes += more_notes
    descriptions = [(w.name, w.description) for w in chosen]
    environment = environment_line(use_peers, options.threads)
    (print_markdown if options.markdown else print_plain)(rows, descriptions, environment, notes)


if __name__ == "__main__":
    main(OPTIONS)
