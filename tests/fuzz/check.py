"""Check one generated program: adcompile's gradients against central finite differences.

A program is written to a module file of its own (adcompile reads source from
files), imported, and, at each of its argument sets, differentiated with
respect to ``x`` and ``y`` five ways: ``ad.value_and_grad`` called twice
with positional arguments, ``ad.grad`` with every argument by keyword (the
general, unspecialised code), ``ad.grad`` with 0-d arrays for ``x`` and
``y``, and forward mode (``ad.jvp`` along each of the two unit tangents).
Each value and gradient is compared with plain evaluation and with central
finite differences in float64, computed by the code here. Every fourth
program also has its second derivative in ``x`` checked, and, when autograd
is installed, the gradient is compared with autograd's to 1e-8.

Outcomes:

- ``ok``: every valid argument set agrees;
- ``rejected``: adcompile raised ``TransformError`` (refusing is always allowed);
- ``invalid``: no argument set is usable: plain evaluation raises or gives a
  non-finite or huge value, the finite differences are unstable (two step
  sizes disagree), or a branch, loop trip count or kink (``abs``, ``max``,
  ``min``...) changes within the finite-difference steps. Not a failure;
- ``wrong``: a value or gradient disagrees (confirmed with a second,
  fourth-order difference before being reported);
- ``crash``: adcompile raised anything other than ``TransformError``.
"""

import ast
import collections
import contextlib
import importlib.util
import itertools
import linecache
import multiprocessing
import os
import re
import signal
import sys
import tempfile
import threading
import traceback
import warnings
from dataclasses import dataclass

import numpy as np

import adcompile as ad
import adcompile.api as _api

from .generator import WRT, generate

RTOL = 1e-5
ATOL = 1e-6
VALUE_RTOL = 1e-9
STEPS = (1e-6, 1e-5)
MAX_VALUE = 1e4
MAX_TERM = 1e8
#: branches and loop iterations one evaluation may take (a reduced program can loop forever)
MAX_EVENTS = 100_000
#: seconds one program's check may take before it counts as hanging
TIMEOUT = 60

STATUSES = ("ok", "rejected", "invalid", "wrong", "crash")
FAILURES = ("wrong", "crash")


@dataclass
class Outcome:
    status: str
    detail: str = ""
    #: what a reduced program must still show to count as the same failure
    signature: str = ""
    #: the argument set (keyword dict) at which it failed
    where: dict = None
    #: for the programs whose second derivative is checked: "checked", "refused" (adcompile
    #: raised TransformError on grad of grad) or "not smooth" (differences disagree)
    second: str = ""


# ---------------------------------------------------------------------------
# an instrumented copy of the program, for plain evaluation and tracing
# ---------------------------------------------------------------------------

_KINKS = {"abs", "max", "min"}
_NP_KINKS = {"abs", "maximum", "minimum", "fabs"}


class _Instrument(ast.NodeTransformer):
    """Records every branch taken, loop iteration and side of a kink, in order."""

    def __init__(self):
        self.count = itertools.count()

    def _mark(self, test):
        return ast.Call(ast.Name("_branch", ast.Load()), [ast.Constant(next(self.count)), test], [])

    def visit_If(self, node):
        self.generic_visit(node)
        node.test = self._mark(node.test)
        return node

    visit_While = visit_If
    visit_IfExp = visit_If

    def visit_For(self, node):
        self.generic_visit(node)
        node.body.insert(0, ast.Expr(self._mark(ast.Constant(True))))
        return node

    def visit_BinOp(self, node):
        # the operands of + and -, to see the magnitudes where rounding hides small terms
        self.generic_visit(node)
        if isinstance(node.op, (ast.Add, ast.Sub)):
            node.left = ast.Call(ast.Name("_term", ast.Load()), [node.left], [])
            node.right = ast.Call(ast.Name("_term", ast.Load()), [node.right], [])
        return node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        node.value = ast.Call(ast.Name("_term", ast.Load()), [node.value], [])
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        f = node.func
        kink = (isinstance(f, ast.Name) and f.id in _KINKS) or (
            isinstance(f, ast.Attribute) and f.attr in _NP_KINKS
            and isinstance(f.value, ast.Name) and f.value.id == "np")
        if kink and not node.keywords:
            return ast.Call(ast.Name("_kink", ast.Load()),
                            [ast.Constant(next(self.count)), f, *node.args], [])
        return node


class _Traced:
    """The program, compiled with _Instrument: ``run(kwargs)`` gives (value, trace)."""

    def __init__(self, source):
        tree = _Instrument().visit(ast.parse(source))
        ast.fix_missing_locations(tree)
        self.trace = []
        self.largest = 0.0   # the largest term added or subtracted in the last run
        self.ns = {"__name__": "fuzz_traced", "_branch": self._branch, "_kink": self._kink,
                   "_term": self._term}
        exec(compile(tree, "<fuzz program, traced>", "exec"), self.ns)
        self.f = self.ns["f"]

    def _branch(self, k, value):
        self.trace.append((k, bool(value)))
        if len(self.trace) > MAX_EVENTS:
            raise RuntimeError("runaway loop")
        return value

    def _term(self, value):
        if isinstance(value, (int, float, np.number, np.ndarray)):
            self.largest = max(self.largest, float(np.max(np.abs(value), initial=0.0)))
        return value

    def _kink(self, k, fn, *args):
        if len(args) == 1:
            side = np.sign(args[0])
        else:
            side = np.sign(args[0] - args[1])
        self.trace.append((k, tuple(np.ravel(side).tolist())))
        return fn(*args)

    def run(self, kwargs):
        self.trace = []
        self.largest = 0.0
        # an overflow makes the point unusable, for NumPy numbers as for Python floats
        # (which raise OverflowError): an infinite intermediate the value does not depend
        # on still makes its adjoint 0 * inf = nan, in adcompile as in any reverse mode
        with np.errstate(all="ignore", over="raise"):
            value = self.f(**kwargs)
        return value, tuple(self.trace)


def _step(x):
    return max(1.0, abs(x))


def _reference(traced, kwargs):
    """(value, {name: d value / d name}), or a reason why this point is unusable."""
    try:
        value, trace = traced.run(kwargs)
    except Exception as exc:  # noqa: BLE001 - any error makes the point unusable
        return f"plain evaluation raises {type(exc).__name__}: {exc}"
    if np.ndim(value) != 0 or isinstance(value, (bool, np.bool_)) or \
            not isinstance(value, (int, float, np.number)):
        return f"value {value!r} is not a real scalar"
    value = float(value)
    if not np.isfinite(value) or abs(value) > MAX_VALUE:
        return f"value {value!r} is not finite or too large"
    if traced.largest > MAX_TERM:
        # r - (y + r) with r = 3.6e16 is 0 in float64: the differences see no y there,
        # adcompile's reverse mode sees the -1 of the expression (seed 72755)
        return f"a term of {traced.largest:.3g} is added: rounding hides small terms"
    grads = {}
    for name in WRT:
        estimates = []
        for step in STEPS:
            h = step * _step(kwargs[name])
            sides = []
            for sign in (1, -1):
                moved = dict(kwargs, **{name: kwargs[name] + sign * h})
                try:
                    v, t = traced.run(moved)
                except Exception as exc:  # noqa: BLE001
                    return f"evaluation near the point raises {type(exc).__name__}"
                if t != trace:
                    return f"control flow or a kink changes within a step of {h:g} in {name}"
                if not np.isfinite(v):
                    return "value near the point is not finite"
                sides.append(float(v))
            estimates.append((sides[0] - sides[1]) / (2 * h))
        if not np.isclose(estimates[0], estimates[1], rtol=1e-4, atol=1e-6):
            return f"finite differences in {name} unstable: {estimates[0]!r} vs {estimates[1]!r}"
        grads[name] = estimates[0]
    return value, grads


def _fourth_order(traced, kwargs, name, h=1e-3):
    """A second opinion: the 5-point central difference, or None if a branch changes."""
    _, trace = traced.run(kwargs)
    h = h * _step(kwargs[name])
    total = 0.0
    for offset, weight in ((2, -1), (1, 8), (-1, -8), (-2, 1)):
        try:
            v, t = traced.run(dict(kwargs, **{name: kwargs[name] + offset * h}))
        except Exception:  # noqa: BLE001
            return None
        if t != trace:
            return None
        total += weight * float(v)
    return total / (12 * h)


# ---------------------------------------------------------------------------
# the check
# ---------------------------------------------------------------------------

_counter = itertools.count()
_tmpdir = None


def _module_dir():
    global _tmpdir
    if _tmpdir is None:
        _tmpdir = tempfile.TemporaryDirectory(prefix="adcompile_fuzz_")
    return _tmpdir.name


def _load(source, label):
    name = f"fuzz_{label}_{os.getpid()}_{next(_counter)}"
    path = os.path.join(_module_dir(), name + ".py")
    with open(path, "w") as fh:
        fh.write(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return name, path, module


def _unload(name, path):
    sys.modules.pop(name, None)
    try:
        os.remove(path)
    except OSError:
        pass


def _where(exc):
    """The innermost frame of an exception inside adcompile, as file:function."""
    frames = [fr for fr in traceback.extract_tb(exc.__traceback__) if "adcompile" in fr.filename]
    if not frames:
        return "?"
    fr = frames[-1]
    return f"{os.path.basename(fr.filename)}:{fr.name}"


def _crash(stage, exc, where=""):
    summary = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    place = re.sub(r"#\d+", "", _where(exc))
    return Outcome("crash", f"{stage}{where}: {summary} (in {place})",
                   f"crash:{stage}:{type(exc).__name__}:{place}")


def _is_float_like(g):
    return isinstance(g, float) and not isinstance(g, np.ndarray)


def check_program(source, argsets, label="p", second_order=False):
    """The Outcome of one program (module text defining ``f``) at its argument sets;
    ``second_order``: also check grad of grad (d2f/dx2) against differences of the gradient."""
    try:
        traced = _Traced(source)
    except Exception as exc:  # noqa: BLE001 - the program itself is broken
        return Outcome("invalid", f"the program does not load: {exc!r}")
    lines_before = set(linecache.cache)
    try:
        name, path, module = _load(source, label)
    except Exception as exc:  # noqa: BLE001
        return Outcome("invalid", f"the module does not import: {exc!r}")
    try:
        with _time_limit(TIMEOUT), warnings.catch_warnings(), np.errstate(all="ignore"):
            # overflow or nan in values the program never uses is not our concern
            warnings.simplefilter("ignore", RuntimeWarning)
            return _check_module(module.f, traced, argsets, second_order, source)
    finally:
        _unload(name, path)
        _forget(module.f, lines_before)


class Timeout(Exception):
    """A check that took longer than TIMEOUT seconds."""


@contextlib.contextmanager
def _time_limit(seconds):
    """Raise Timeout after ``seconds`` (where SIGALRM exists, in the main thread)."""
    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise Timeout(f"no result after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _forget(f, lines_before):
    """Drop what adcompile keeps about a function we throw away.

    adcompile's transform cache is a WeakKeyDictionary whose values refer to
    their key, so entries are never freed, and each compiled variant registers
    its code with linecache; over thousands of programs (and a reducer's many
    variants) that is gigabytes."""
    cache = getattr(_api, "_cache", None)
    if cache is not None:
        cache.pop(f, None)
    for key in set(linecache.cache) - lines_before:
        linecache.cache.pop(key, None)


def _check_module(f, traced, argsets, second_order=False, source=None):
    # transformation: refusing is fine, anything else but success is a crash
    try:
        by_position = ad.value_and_grad(f, wrt=(0, 1))
        by_name = ad.grad(f, wrt=WRT)
        forward = ad.jvp(f, wrt=(0, 1))
    except ad.TransformError as exc:
        return Outcome("rejected", str(exc).splitlines()[0], "rejected")
    except Exception as exc:  # noqa: BLE001
        return _crash("transform", exc)

    peer = _autograd_version(source) if source is not None else None
    reasons = []
    valid = 0
    second = ""
    for kwargs in argsets:
        reference = _reference(traced, kwargs)
        if isinstance(reference, str):
            reasons.append(reference)
            continue
        valid += 1
        value, expected = reference
        positional = [kwargs[p] for p in ("x", "y", "n0", "k0", "flag")]
        zero_d = [np.array(kwargs["x"]), np.array(kwargs["y"])] + positional[2:]
        results = []
        try:
            for call in ("positional", "positional, again"):
                stage = call
                v, g = by_position(*positional)
                results.append((call, v, g))
            stage = "keywords"
            results.append((stage, None, by_name(**kwargs)))
            stage = "0-d arrays"
            results.append((stage, None, ad.grad(f, wrt=(0, 1))(*zero_d)))
            stage = "forward"
            v, dx = forward(*positional, tangents=(1.0, 0.0))
            _, dy = forward(*positional, tangents=(0.0, 1.0))
            results.append((stage, v, (dx, dy)))
        except ad.TransformError as exc:
            return Outcome("rejected", str(exc).splitlines()[0], "rejected")
        except Exception as exc:  # noqa: BLE001
            outcome = _crash(f"call ({stage})", exc, f" at {kwargs}")
            outcome.where = kwargs
            return outcome
        problem = _compare(traced, kwargs, value, expected, results)
        if problem is None and second_order and valid == 1:
            problem = _check_second_order(f, by_position, positional, kwargs)
            if isinstance(problem, str):
                second, problem = problem, None
        if problem is None and peer is not None:
            problem = _compare_with_autograd(peer, traced, kwargs, positional, results[0][2])
        if problem is not None:
            problem.where = kwargs
            return problem
    if not valid:
        return Outcome("invalid", "; ".join(sorted(set(reasons))))
    return Outcome("ok", f"{valid} of {len(argsets)} argument sets checked"
                         + (f"; second order {second}" if second else ""), second=second)


def _autograd_version(source):
    """The program run by autograd (a tape-based peer), when autograd is installed: its
    gradient is exact too, so it is compared far more tightly than finite differences."""
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        return None
    tree = ast.parse(source)

    class ToAutograd(ast.NodeTransformer):
        def visit_Attribute(self, node):
            self.generic_visit(node)
            if isinstance(node.value, ast.Name) and node.value.id == "math" \
                    and hasattr(anp, node.attr):
                node.value = ast.Name("np", ast.Load())
            return node

    tree = ToAutograd().visit(tree)
    ast.fix_missing_locations(tree)
    ns = {"__name__": "fuzz_autograd"}
    try:
        exec(compile(tree, "<fuzz program, autograd>", "exec"), ns)
    except Exception:  # noqa: BLE001
        return None
    ns["np"] = anp
    f = ns["f"]
    return [autograd.grad(f, 0), autograd.grad(f, 1)]


def _compare_with_autograd(peer, traced, kwargs, positional, grads):
    """adcompile's gradient (already checked against finite differences) against autograd's,
    to 1e-8; a disagreement counts only if the 5-point difference sides with autograd."""
    for name, g, peer_grad in zip(WRT, grads, peer):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")   # "output seems independent of input"
                theirs = float(peer_grad(*positional))
        except Exception:  # noqa: BLE001 - autograd cannot run every program (float(box))
            return None
        ours = float(g)
        if np.isclose(ours, theirs, rtol=1e-8, atol=1e-10):
            continue
        second = _fourth_order(traced, kwargs, name)
        if second is not None and abs(theirs - second) < abs(ours - second) / 10:
            return Outcome("wrong", f"at {kwargs}: d/d{name} = {ours!r}, autograd gives "
                                    f"{theirs!r} (5-point difference: {second!r})",
                           "wrong:autograd")
    return None


def _check_second_order(f, by_position, positional, kwargs):
    """d2f/dx2 from ad.grad(ad.grad(f)) against central differences of adcompile's gradient
    (already checked against finite differences of f): an Outcome if it is wrong, else
    what happened ("checked", "refused", "not smooth"). Refusing is allowed."""
    try:
        second = ad.grad(ad.grad(f, wrt=0), wrt=0)
        got = second(*positional)
    except ad.TransformError:
        return "refused"
    except Exception as exc:  # noqa: BLE001
        return _crash("grad of grad", exc, f" at {kwargs}")
    estimates = []
    for step in (1e-5, 1e-4):
        h = step * _step(positional[0])
        sides = [by_position(positional[0] + s * h, *positional[1:])[1][0] for s in (1, -1)]
        estimates.append((float(sides[0]) - float(sides[1])) / (2 * h))
    if not np.isclose(estimates[0], estimates[1], rtol=1e-3, atol=1e-5):
        return "not smooth"   # the gradient is not smooth enough here to tell
    if np.ndim(got) != 0 or not np.isclose(float(got), estimates[0], rtol=1e-4, atol=1e-5):
        return Outcome("wrong", f"at {kwargs}: d2f/dx2 (grad of grad) = {got!r}, differences "
                                f"of the gradient give {estimates[0]!r}", "wrong:second")
    return "checked"


def _compare(traced, kwargs, value, expected, results):
    for call, v, g in results:
        if v is not None and not (np.ndim(v) == 0 and np.isclose(float(v), value, rtol=VALUE_RTOL,
                                                                    atol=1e-12)):
            return Outcome("wrong", f"at {kwargs}: value ({call}) {v!r}, expected {value!r}",
                           "wrong:value")
        if not (isinstance(g, tuple) and len(g) == len(WRT)):
            return Outcome("wrong", f"at {kwargs}: gradient ({call}) {g!r} is not a pair",
                           "wrong:structure")
        for name, gi in zip(WRT, g):
            if call == "forward":
                ok_type = np.ndim(gi) == 0 and not isinstance(gi, (bool, np.bool_))
            elif call == "0-d arrays":
                ok_type = isinstance(gi, (np.ndarray, np.generic)) and np.shape(gi) == ()
            else:
                ok_type = _is_float_like(gi)
            if not ok_type:
                return Outcome("wrong", f"at {kwargs}: d/d{name} ({call}) is {type(gi).__name__} "
                                        f"{gi!r}", "wrong:type")
            gi = float(gi)
            e = expected[name]
            if np.isclose(gi, e, rtol=RTOL, atol=ATOL):
                continue
            second = _fourth_order(traced, kwargs, name)
            if second is not None and np.isclose(gi, second, rtol=RTOL, atol=ATOL):
                continue
            return Outcome("wrong", f"at {kwargs}: d/d{name} ({call}) = {gi!r}, finite "
                                    f"differences give {e!r} (5-point: {second!r})",
                           "wrong:gradient")
    return None


def check_seed(seed):
    """(Program, Outcome) for one seed."""
    program = generate(seed)
    return program, check_program(program.source, program.argsets, label=str(seed),
                                  second_order=seed % 4 == 0)


def minimize(program, outcome, budget=1000):
    """The program reduced line by line, as long as it shows the same failure (at the
    argument set where it failed, if it failed at a call)."""
    from .reduce import reduce_lines

    argsets = (outcome.where,) if outcome.where is not None else program.argsets

    def same(source):
        return check_program(source, argsets, label=f"{program.seed}r").signature == \
            outcome.signature

    return reduce_lines(program.source, same, budget=budget)


# ---------------------------------------------------------------------------
# many seeds
# ---------------------------------------------------------------------------

def _run(seed, reduce=True):
    program, outcome = check_seed(seed)
    minimal = None
    if outcome.status in FAILURES and reduce:
        minimal = minimize(program, outcome)
    return seed, outcome, minimal


def _run_reducing(seed):
    return _run(seed, True)


def _run_plain(seed):
    return _run(seed, False)


def run(seeds, jobs=1, reduce=True, progress=None):
    """[(seed, Outcome, minimal program or None)] for the seeds, in order."""
    work = _run_reducing if reduce else _run_plain
    if jobs <= 1:
        results = []
        for seed in seeds:
            results.append(work(seed))
            if progress:
                progress(results[-1])
        return results
    ctx = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    with ctx.Pool(jobs, maxtasksperchild=500) as pool:
        results = []
        for result in pool.imap(work, seeds, chunksize=4):
            results.append(result)
            if progress:
                progress(result)
    return results


def summary(results):
    counts = collections.Counter(outcome.status for _, outcome, _ in results)
    seconds = collections.Counter(outcome.second for _, outcome, _ in results if outcome.second)
    text = (f"{len(results)} programs checked: "
            + ", ".join(f"{counts[s]} {s}" for s in STATUSES))
    if seconds:
        text += " (second order: " + ", ".join(f"{n} {what}" for what, n in
                                                sorted(seconds.items())) + ")"
    return text


def format_failure(seed, outcome, minimal):
    text = [f"seed {seed}: {outcome.status.upper()}: {outcome.detail}"]
    if minimal is not None:
        text.append("minimal program (line-reduced, same failure):")
        text.append("    " + minimal.rstrip("\n").replace("\n", "\n    "))
    return "\n".join(text)
