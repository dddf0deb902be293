"""Time adcompile's gradients against the forward pass, hand-written NumPy gradients and peers.

    python -m benchmarks                   # a plain table (from the repository's root)
    python -m benchmarks --markdown        # the same as a Markdown table
    python -m benchmarks --write-readme    # ... also written into README.md
    python benchmarks/run.py ...           # the same

``--write-readme`` replaces what lies between the comments ``<!-- benchmarks:start -->``
and ``<!-- benchmarks:end -->`` of README.md with the Markdown tables.

For each workload in ``workloads.WORKLOADS`` the contenders are: the forward
pass, the hand-written gradient, adcompile's ``ad.grad(f, wrt=...)`` and, when
installed, autograd, PyTorch (CPU, float64) and JAX (jitted and not), and with numba
installed adcompile's numba backend (``backend="numba"``, timed even where it runs
as plain Python; the notes say why, or how long numba took to compile). Before
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
Ratios are ratios of those medians, or with --ratios min of the minima: on a
machine other processes load, a sample now and then runs at half speed, the
medians of two runs can differ by 2x while the minima agree within a few per
cent. Progress goes to stderr, the table to stdout.

Before the gradients, the transformation is timed: per workload, the time of
``ad.grad(f, wrt=...)`` (which parses, normalizes and generates the general code
once) and of the gradient's first call (which generates the code specialised to
the arguments, compiles it and runs it once), each the best of
--transform-repeats fresh transformations of a fresh function object (a new
function with ``f``'s code, which adcompile's cache has not seen). The clock is
the process's CPU time: a transformation is single-threaded Python, so on an idle
machine it equals wall time, and on a shared one it does not count the
milliseconds the scheduler gives other processes (wall times of 10 ms and more
varied by 50% there; with --threads 0 the first call's run counts the CPU time of
every BLAS thread). It is printed as a second table.

The script benchmarks the adcompile of the checkout it is in (its parent
directory comes first on sys.path), not whichever adcompile is installed.

Every library runs on one thread by default (--threads 1): NumPy's OpenBLAS,
PyTorch's OpenMP/MKL and XLA each keep a thread pool whose idle threads
spin-wait, and interleaving them on a 2-core machine made each slow the others
down about 2x. --threads 0 leaves every library at its own default.
"""

import gc
import importlib.metadata
import math
import os
import platform
import statistics
import sys
import time
import types
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]  # workloads, and this checkout's adcompile

from options import limit_threads, make_parser  # noqa: E402 (imports no library)

if __name__ == "__main__":
    OPTIONS = make_parser().parse_args()
    limit_threads(OPTIONS.threads)

import numpy as np  # noqa: E402

import adcompile as ad  # noqa: E402
import workloads  # noqa: E402

RTOL = 1e-8
FORWARD, HAND, ADCOMPILE = "forward", "hand-written", "adcompile"
INLINE = "adcompile, inline"   # ad.grad(f, wrt=...)(*args) each call: a new callable
NUMBA = "adcompile, numba"     # ad.grad(f, wrt=..., backend="numba")


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
    if "jax" in workload.peers and workload.peers["jax"] is None:
        return []   # the workload says JAX cannot run it in reasonable time
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


# --- transformation time -------------------------------------------------------------

def fresh(f):
    """A new function object with ``f``'s code: adcompile's cache (keyed by the function)
    has not seen it, so ``ad.grad`` transforms it afresh."""
    return types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__,
                              f.__closure__)


def transformation_time(workload, repeats):
    """``{"transform": s, "first_call": s}``, CPU seconds, each the best of ``repeats``
    fresh transformations, or ``{"unsupported": why}`` when adcompile raises."""
    args = workload.make_args()
    best = {"transform": math.inf, "first_call": math.inf}
    for _ in range(max(1, repeats)):
        f = fresh(workload.forward)
        gc.collect()
        try:
            start = time.process_time()
            gradient = ad.grad(f, wrt=workload.wrt)
            made = time.process_time()
            gradient(*args)
            called = time.process_time()
        except Exception as error:  # reported with the gradient timing too
            return {"unsupported": f"not supported ({first_line(error)})"}
        best["transform"] = min(best["transform"], made - start)
        best["first_call"] = min(best["first_call"], called - made)
    return best


TRANSFORM_HEADER = ["workload", "transform ms", "first call ms", "total ms"]


def transform_cells(transform_rows):
    cells = []
    for name, row in transform_rows:
        if "unsupported" in row:
            cells.append([name, "not supported", "—", "—"])
        else:
            t, c = row["transform"] * 1e3, row["first_call"] * 1e3
            cells.append([name, f"{t:.1f}", f"{c:.1f}", f"{t + c:.1f}"])
    return cells


TRANSFORM_NOTE = ("Transformation: ad.grad(f, wrt=...) (parse, check, normalize), then the "
                  "first call (generate the code for its arguments, compile, run once); CPU "
                  "time, best of {n} fresh transformations.")


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


def numba_gradient(workload, args, expected):
    """``(callable, notes)``: adcompile's gradient with the numba backend, checked and
    compiled (its first call), and notes saying how long numba took to compile it or why
    it runs as plain Python (it is timed either way: it is what backend="numba" gives);
    ``(None, [])`` when numba is not installed."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return None, []
    from adcompile.backend.jit import NumbaFallbackWarning
    gradient = ad.grad(workload.forward, wrt=workload.wrt, backend="numba")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NumbaFallbackWarning)
        got = gradient(*args)
    check_gradient(NUMBA, workload, got, expected)
    report = gradient.numba
    if report.fallbacks:
        why = report.fallbacks[0].split("\n")[0]
        notes = [f"{workload.name}: {NUMBA}: runs as plain Python: {why}"]
    else:
        notes = [(f"{workload.name}: {NUMBA}: numba compiled the gradient in "
                  f"{report.compile_seconds:.2f} s (its first call)")]
    log(f"    {notes[0].split(': ', 2)[2]}")
    return (lambda: gradient(*args)), notes


def inline_gradient(workload, args):
    """``ad.grad(f, wrt=...)(*args)`` written inline, which makes a new callable each call
    (the transformation and the compiled code are cached)."""
    f, wrt = workload.forward, workload.wrt
    return lambda: ad.grad(f, wrt=wrt)(*args)


def bench(workload, budget, target, use_peers, ratios="median", use_numba=True):
    """The table rows of one workload, and its notes (lines to print below the table)."""
    log(f"{workload.name}: {workload.description}")
    args = workload.make_args()
    forward = lambda: workload.forward(*args)  # noqa: E731
    hand_grad = lambda: workload.hand_grad(*args)  # noqa: E731

    expected = workload.hand_grad(*args)
    ad_grad, why = adcompile_gradient(workload, args, expected)
    unsupported = {ADCOMPILE: why} if ad_grad is None else {}  # label -> why
    contenders = [(FORWARD, forward), (HAND, hand_grad)]
    numba_notes = []
    if ad_grad is not None:
        contenders += [(ADCOMPILE, ad_grad), (INLINE, inline_gradient(workload, args))]
        numba_grad, numba_notes = numba_gradient(workload, args, expected) if use_numba \
            else (None, [])
        if numba_grad is not None:
            contenders.append((NUMBA, numba_grad))
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
    of = medians if ratios == "median" else {label: min(ts) for label, ts in times.items()}
    rows = []
    order = [FORWARD, HAND, ADCOMPILE] + [label for label, _ in contenders[2:]
                                          if label != ADCOMPILE]
    order = [label for label in order if label in times or label in unsupported]
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
            "x_forward": of[label] / of[FORWARD] if label != FORWARD else None,
            "x_hand": of[label] / of[HAND] if label != FORWARD else None,
        })
    notes = [f"{workload.name}: {label}: {why}" for label, why in unsupported.items()]
    return rows, notes + numba_notes


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

#: the six workloads of issue 17 the geometric means are over
GEOMEAN_WORKLOADS = ("scalar", "scalar_loop", "mlp", "rnn", "gmm", "logistic")
GEOMEAN_NOTE = ("Geometric mean of the ratios to the hand-written gradient over " +
                ", ".join(f"`{w}`" for w in GEOMEAN_WORKLOADS) +
                " (for each contender timed on all six):")


def geomeans(rows):
    """``[(contender, geometric mean of its ratios to the hand-written gradient)]`` over
    GEOMEAN_WORKLOADS, for the contenders timed on each of them; [] unless all six ran."""
    ran = {row["workload"] for row in rows}
    if not ran.issuperset(GEOMEAN_WORKLOADS):
        return []
    ratios = {}
    for row in rows:
        if row["workload"] in GEOMEAN_WORKLOADS and row.get("x_hand") is not None:
            ratios.setdefault(row["contender"], {})[row["workload"]] = row["x_hand"]
    return [(label, math.exp(sum(map(math.log, r.values())) / len(r)))
            for label, r in ratios.items() if len(r) == len(GEOMEAN_WORKLOADS)]


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


def plain_lines(header, cells, left):
    """``line(cells)``: a row of a plain table with columns as wide as their widest cell."""
    widths = [max(len(r[i]) for r in cells + [header]) for i in range(len(header))]

    def line(r):
        return "  ".join(c.ljust(w) if i in left else c.rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    return line, widths


def print_plain(rows, descriptions, environment, notes, transform_rows, repeats):
    cells = table_cells(rows)
    line, widths = plain_lines(HEADER, cells, {0, 1})

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
    means = geomeans(rows)
    if means:
        print()
        print(GEOMEAN_NOTE.replace("`", ""))
        for label, mean in means:
            print(f"  {label}: {fmt_ratio(mean)}")
    if notes:
        print()
        for note in notes:
            print(note)
    if transform_rows:
        cells = transform_cells(transform_rows)
        line, widths = plain_lines(TRANSFORM_HEADER, cells, {0})
        print()
        print(TRANSFORM_NOTE.format(n=repeats))
        print()
        print(line(TRANSFORM_HEADER))
        print(line(["-" * w for w in widths]))
        for r in cells:
            print(line(r))


def markdown_lines(rows, descriptions, environment, notes, transform_rows, repeats):
    """The tables as Markdown lines (what --markdown prints and --write-readme writes)."""
    out = [f"_{environment}_", ""]
    out += [f"- `{name}`: {text}" for name, text in descriptions]
    out += ["", "| " + " | ".join(HEADER) + " |",
            "|" + "|".join([":---", ":---"] + ["---:"] * (len(HEADER) - 2)) + "|"]
    for r in table_cells(rows):
        r = [f"`{r[0]}`" if r[0] else ""] + r[1:]
        out.append("| " + " | ".join(r) + " |")
    means = geomeans(rows)
    if means:
        out += ["", GEOMEAN_NOTE, "",
                "| contender | geomean ÷ hand-written |", "|:---|---:|"]
        out += [f"| {label} | {fmt_ratio(mean)} |" for label, mean in means]
    if notes:
        out.append("")
        for note in notes:
            name, rest = note.split(": ", 1)
            out.append(f"- `{name}`: {rest}")
    if transform_rows:
        out += ["", TRANSFORM_NOTE.format(n=repeats).replace("ad.grad(f, wrt=...)",
                                                            "`ad.grad(f, wrt=...)`"), "",
                "| " + " | ".join(TRANSFORM_HEADER) + " |",
                "|:---|" + "---:|" * (len(TRANSFORM_HEADER) - 1)]
        for r in transform_cells(transform_rows):
            out.append("| " + " | ".join([f"`{r[0]}`"] + r[1:]) + " |")
    return out


def print_markdown(*tables):
    print("\n".join(markdown_lines(*tables)))


README_START, README_END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"


def write_readme(path, lines):
    """Replace what lies between README_START and README_END in the file at ``path`` (both
    markers must be there, in that order) with ``lines``."""
    with open(path, encoding="utf-8") as file:
        text = file.read()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise SystemExit(f"{path} has no {README_START} ... {README_END} section to write "
                         f"the tables into")
    head = text[:start + len(README_START)]
    marker = "<!-- written by `python -m benchmarks --write-readme`; do not edit -->"
    block = "\n".join(["", marker, ""] + lines + [""])
    with open(path, "w", encoding="utf-8") as file:
        file.write(head + block + text[end:])
    log(f"wrote the tables into {path}")


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
    try:
        parts.append(f"numba {importlib.metadata.version('numba')}")
    except importlib.metadata.PackageNotFoundError:
        pass
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
    log(f"adcompile {ad.__version__} from {os.path.dirname(ad.__file__)}")
    transform_rows = []
    if options.transform_repeats > 0:
        log(f"transformation time, best of {options.transform_repeats}")
        for workload in chosen:
            transform_rows.append((workload.name,
                                   transformation_time(workload, options.transform_repeats)))
    rows, notes = [], []
    for workload in chosen:
        more_rows, more_notes = bench(workload, options.budget / len(chosen), options.sample,
                                      use_peers, options.ratios, not options.no_numba)
        rows += more_rows
        notes += more_notes
    descriptions = [(w.name, w.description) for w in chosen]
    environment = environment_line(use_peers, options.threads)
    if options.ratios == "min":
        environment += "; ratios of the minima"
    tables = (rows, descriptions, environment, notes, transform_rows, options.transform_repeats)
    (print_markdown if options.markdown else print_plain)(*tables)
    if options.write_readme:
        write_readme(options.write_readme, markdown_lines(*tables))


if __name__ == "__main__":
    main(OPTIONS)
