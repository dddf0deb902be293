"""Check one generated program: adcompile's gradients against central finite differences.

A program is written to a module file of its own (adcompile reads source from
files), imported, and, at each of its argument sets, differentiated with
respect to its differentiable parameters (``x`` and ``y``, and the array ``v``
when it has one; or ``params``, a structure: see structures.py) five ways:
``ad.value_and_grad`` called twice with positional arguments, ``ad.grad`` with
every argument by keyword (the general, unspecialised code), ``ad.value_and_grad``
with 0-d arrays for ``x`` and ``y`` (and the numbers in ``params``), and forward
mode (``ad.jvp`` along each unit tangent, one per number differentiated, in the
argument's structure). A structure's gradient must have its structure and
container types, and each of its float leaves is compared (trees.py flattens
them). Each value and gradient is compared with plain evaluation and with
central finite differences in float64, computed by the code here (for the call
with 0-d arrays, by plain evaluation with 0-d arrays: a program that aliases and
changes a 0-d array computes something else than with floats).
Every fourth program also has its second derivative in ``x`` checked, and,
when autograd is installed, the gradient is compared with autograd's to 1e-8
(leaf by leaf for a structure of dicts, lists and tuples; autograd takes no
NamedTuple or object). Programs taking a structure have no second order check.

Every call, of adcompile's code, of the program itself (for the differences)
or of autograd, gets fresh copies of the arguments: the user's function may
change an array argument in place, adcompile's code must not (a gradient
that changes an argument is ``wrong``).

Outcomes:

- ``ok``: every valid argument set agrees;
- ``rejected``: adcompile raised ``TransformError`` (refusing is always allowed);
- ``invalid``: no argument set is usable: plain evaluation raises or gives a
  non-finite or huge value, the finite differences are unstable (two step
  sizes disagree), or a branch, loop trip count or kink (``abs``, ``max``,
  ``min``, ``np.where``...) changes within the finite-difference steps. Not a
  failure;
- ``wrong``: a value or gradient disagrees (confirmed with a second,
  fourth-order difference before being reported), a gradient has the wrong
  type or shape, or adcompile's code changed an argument in place;
- ``crash``: adcompile raised anything other than ``TransformError``, while
  transforming or from the code it generated;
- ``suspect``: the program reads or runs code by name (``eval``, ``exec``,
  ``getattr``, ``locals()``, ``vars()``, ``globals()``), adcompile did not
  refuse it, and no argument set could verify its gradient. Counted as a
  failure: such a gradient is trusted only once checked.
"""

import ast
import collections
import contextlib
import functools
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
import types
import warnings
from dataclasses import dataclass

import numpy as np

import adcompile as ad
import adcompile.api as _api

from . import trees
from .generator import FEATURES, REFLECTIVE_NAMES, generate
from .numba_check import check_numba

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
#: the parameters differentiated, when f has them (``params``: a structure, see structures.py)
DIFFERENTIABLE = ("params", "x", "y", "v")

STATUSES = ("ok", "rejected", "invalid", "wrong", "crash", "suspect")
FAILURES = ("wrong", "crash", "suspect")


@dataclass
class Outcome:
    status: str
    detail: str = ""
    #: what a reduced program must still show to count as the same failure
    signature: str = ""
    #: the argument set (keyword dict, arrays as tuples) at which it failed
    where: dict = None
    #: for the programs whose second derivative is checked: "checked", "refused" (adcompile
    #: raised TransformError on grad of grad) or "not smooth" (differences disagree)
    second: str = ""
    #: the program's kinds (names from generator.FEATURES), empty for the classic kind
    kinds: frozenset = frozenset()
    #: with --backend numba, for a program checked OK: "compiled", "fell back" (numba could not
    #: compile it, the plain code ran) or "mixed"
    numba: str = ""


# ---------------------------------------------------------------------------
# arguments: arrays are made afresh, and copied before every call
# ---------------------------------------------------------------------------

def _materialize(kwargs, namespace=None):
    """An argument set with its arrays (tuples in a Program) as float64 arrays and its
    structures (Trees) built, with the classes of ``namespace`` (the program's module)."""
    return {k: trees.build(v, namespace) for k, v in kwargs.items()}


def _plain(kwargs):
    """An argument set as a Program holds it (arrays as tuples, structures as Trees): printed
    in reports, and the argument set a reduced program is checked at."""
    return {k: tuple(np.ravel(v).tolist()) if isinstance(v, np.ndarray) and v.ndim == 1 else
            trees.plain(v) for k, v in kwargs.items()}


def _copies(kwargs):
    return {k: trees.copy(v) for k, v in kwargs.items()}


def _changed(originals, passed):
    """The names of the arguments a call changed in place (an array, or a leaf or item of a
    structure)."""
    return [k for k, v in originals.items() if _changed_in_place(v, passed[k])]


def _changed_in_place(original, passed):
    if not (trees.is_structure(original) or isinstance(original, np.ndarray)):
        return False
    if trees.structure_problem(passed, original):
        return True
    for path, leaf in trees.leaves(original):
        now = trees.get(passed, path)
        if not (np.array_equal(leaf, now, equal_nan=True) if isinstance(leaf, np.ndarray)
                else now is leaf):
            return True
    return False


def _entries(kwargs, wrt):
    """(name, path, index) of every number differentiated: path () for an argument that is
    not a structure, else the leaf's (see trees.py); index None for a number or a 0-d array."""
    out = []
    for name in wrt:
        for path, value in trees.leaves(kwargs[name]):
            if isinstance(value, np.ndarray) and value.ndim:
                out += [(name, path, i) for i in np.ndindex(value.shape)]
            else:
                out.append((name, path, None))
    return out


def _at(value, index):
    return float(value) if index is None else float(np.asarray(value)[index])


def _moved(kwargs, name, path, index, delta):
    """A copy of the argument set with one number moved by delta (of the same type)."""
    moved = _copies(kwargs)
    value = trees.get(moved[name], path)
    if isinstance(value, np.ndarray):
        value[() if index is None else index] += delta
    else:
        moved[name] = trees.replace(moved[name], path, value + delta)
    return moved


def _label(name, path, index):
    name = trees.label(name, path)
    return name if index is None else f"{name}[{', '.join(map(str, index))}]"


def _signature(source):
    """(parameters of f, the parameters differentiated) read from the program's text."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == "f":
            params = tuple(a.arg for a in node.args.args)
            return params, tuple(p for p in DIFFERENTIABLE if p in params)
    raise ValueError("the program has no function f")


def reflective(source):
    """The reflective builtins (eval, getattr, locals()...) the program calls, sorted."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in REFLECTIVE_NAMES:
            names.add(node.func.id)
    return sorted(names)


# ---------------------------------------------------------------------------
# an instrumented copy of the program, for plain evaluation and tracing
# ---------------------------------------------------------------------------

_KINKS = {"abs", "max", "min"}
_NP_KINKS = {"abs", "maximum", "minimum", "fabs", "max", "min", "amax", "amin", "where"}


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
        if fn in (np.max, np.amax, np.min, np.amin):
            # the entry that is the largest (smallest) one
            side = (int(np.argmax(args[0]) if fn in (np.max, np.amax) else np.argmin(args[0])),)
        elif fn is np.where:
            side = tuple(np.ravel(np.asarray(args[0], dtype=bool)).tolist())
        elif len(args) == 1:
            side = tuple(np.ravel(np.sign(args[0])).tolist())
        else:
            side = tuple(np.ravel(np.sign(np.subtract(args[0], args[1]))).tolist())
        self.trace.append((k, side))
        return fn(*args)

    def run(self, kwargs):
        """The value and the trace of f on (copies of) the arguments."""
        self.trace = []
        self.largest = 0.0
        # an overflow makes the point unusable, for NumPy numbers as for Python floats
        # (which raise OverflowError): an infinite intermediate the value does not depend
        # on still makes its adjoint 0 * inf = nan, in adcompile as in any reverse mode
        with np.errstate(all="ignore", over="raise"):
            value = self.f(**_copies(kwargs))
        return value, tuple(self.trace)


def _step(x):
    return max(1.0, abs(x))


def _real_scalar(value):
    """value as a float, or None if it is not a real number (a 0-d array counts)."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value[()]
    if np.ndim(value) != 0 or isinstance(value, (bool, np.bool_)) or \
            not isinstance(value, (int, float, np.number)) or np.iscomplexobj(value):
        return None
    return float(value)


def _reference(traced, kwargs, wrt):
    """(value, {(name, path): d value / d leaf}), or a reason why this point is unusable
    (path: the leaf's in a structure, see trees.py; () for an argument that is not one).
    A gradient is a float for a number, an array of the leaf's shape for an array."""
    try:
        raw, trace = traced.run(kwargs)
    except Exception as exc:  # noqa: BLE001 - any error makes the point unusable
        return f"plain evaluation raises {type(exc).__name__}: {exc}"
    value = _real_scalar(raw)
    if value is None:
        return f"value {raw!r} is not a real scalar"
    if not np.isfinite(value) or abs(value) > MAX_VALUE:
        return f"value {value!r} is not finite or too large"
    if traced.largest > MAX_TERM:
        # r - (y + r) with r = 3.6e16 is 0 in float64: the differences see no y there,
        # adcompile's reverse mode sees the -1 of the expression (seed 72755)
        return f"a term of {traced.largest:.3g} is added: rounding hides small terms"
    grads = {(name, path): (np.zeros(np.shape(leaf)) if np.ndim(leaf) else 0.0)
             for name in wrt for path, leaf in trees.leaves(kwargs[name])}
    for name, path, index in _entries(kwargs, wrt):
        estimates = []
        for step in STEPS:
            h = step * _step(_at(trees.get(kwargs[name], path), index))
            sides = []
            for sign in (1, -1):
                try:
                    v, t = traced.run(_moved(kwargs, name, path, index, sign * h))
                except Exception as exc:  # noqa: BLE001
                    return f"evaluation near the point raises {type(exc).__name__}"
                if t != trace:
                    return (f"control flow or a kink changes within a step of {h:g} in "
                            f"{trees.label(name, path)}")
                v = _real_scalar(v)
                if v is None or not np.isfinite(v):
                    return "value near the point is not finite"
                sides.append(v)
            estimates.append((sides[0] - sides[1]) / (2 * h))
        if not np.isclose(estimates[0], estimates[1], rtol=1e-4, atol=1e-6):
            return (f"finite differences in {_label(name, path, index)} unstable: "
                    f"{estimates[0]!r} vs {estimates[1]!r}")
        if index is None:
            grads[name, path] = estimates[0]
        else:
            grads[name, path][index] = estimates[0]
    return value, grads


def _fourth_order(traced, kwargs, name, path=(), index=None, h=1e-3):
    """A second opinion: the 5-point central difference, or None if a branch changes."""
    _, trace = traced.run(kwargs)
    h = h * _step(_at(trees.get(kwargs[name], path), index))
    total = 0.0
    for offset, weight in ((2, -1), (1, 8), (-1, -8), (-2, 1)):
        try:
            v, t = traced.run(_moved(kwargs, name, path, index, offset * h))
        except Exception:  # noqa: BLE001
            return None
        if t != trace or _real_scalar(v) is None:
            return None
        total += weight * _real_scalar(v)
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


def check_program(source, argsets, label="p", second_order=False, zero_d=True,
                  late_refusals=False, backend=None):
    """The Outcome of one program (module text defining ``f``) at its argument sets (keyword
    dicts; arrays may be given as tuples); ``second_order``: also check grad of grad (d2f/dx2)
    against differences of the gradient.

    Two leniencies, for a suite that must pass while adcompile is being fixed (the long run
    uses neither): ``zero_d=False`` compares the call with 0-d arrays with the differences
    of the program run on floats, and not its value (as the fuzzer did before: blind to a
    program that changes a 0-d argument in place through an alias); ``late_refusals=True``
    counts the TypeError of adcompile's call-time check ``runtime.require_immutable`` (an
    in-place change it cannot follow, found when the generated code runs) as a refusal,
    not a crash (the contract asks for a TransformError), and so runtime.require_sole_item's
    (LATE_REFUSALS).

    ``backend="numba"``: a program checked OK is differentiated again with that backend,
    and its results compared with the plain code's (numba_check.py)."""
    try:
        traced = _Traced(source)
        params, wrt = _signature(source)
    except Exception as exc:  # noqa: BLE001 - the program itself is broken
        return Outcome("invalid", f"the program does not load: {exc!r}")
    lines_before = set(linecache.cache)
    try:
        name, path, module = _load(source, label)
    except Exception as exc:  # noqa: BLE001
        return Outcome("invalid", f"the module does not import: {exc!r}")
    try:
        argsets = [_materialize(a, module) for a in argsets]
    except Exception as exc:  # noqa: BLE001 - (a reduced program's class lost a field)
        _unload(name, path)
        return Outcome("invalid", f"the arguments do not fit the program: {exc!r}")
    try:
        with _time_limit(TIMEOUT), warnings.catch_warnings(), np.errstate(all="ignore"):
            # overflow or nan in values the program never uses is not our concern
            warnings.simplefilter("ignore", RuntimeWarning)
            outcome = _check_module(module.f, traced, argsets,
                                    params, wrt, second_order, source, zero_d, late_refusals,
                                    backend)
    finally:
        _unload(name, path)
        _forget(module.f, lines_before)
    return _judge_reflection(source, outcome)


def _judge_reflection(source, outcome):
    """A reflective program adcompile accepted is trusted only if some gradient was verified."""
    names = reflective(source)
    if not names or outcome.status != "invalid":
        return outcome
    used = ", ".join(f"{n}()" for n in names)
    return Outcome("suspect", f"the program calls {used}, adcompile did not refuse it, and no "
                              f"argument set could verify its gradient ({outcome.detail})",
                   f"suspect:{used}")


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


class _Mutated(Exception):
    """adcompile's code changed an argument in place."""


def _call(fn, params, kwargs, by_keyword=False, **extra):
    """fn on fresh copies of the arguments; raises _Mutated if it changed one of them."""
    passed = _copies(kwargs)
    if by_keyword:
        result = fn(**passed, **extra)
    else:
        result = fn(*[passed[p] for p in params], **extra)
    changed = _changed(kwargs, passed)
    if changed:
        raise _Mutated(", ".join(changed))
    return result


def _zero_d(kwargs):
    """The argument set with its numbers differentiated (x, y, the numbers in params) as 0-d
    arrays."""
    out = {k: np.array(v, dtype=float) if k in ("x", "y") else v for k, v in kwargs.items()}
    if "params" in out:
        for path, leaf in trees.leaves(out["params"]):
            if np.ndim(leaf) == 0:
                out["params"] = trees.replace(out["params"], path, np.array(leaf, dtype=float))
    return out


#: adcompile's call-time checks of an in-place change whose TypeError names the line: where
#: the arguments' types do not show that x of ``x += e`` is a number; where another item of
#: a list may be the array ``xs[i] += e`` changes (``[g, g]``: the items are known when the
#: code runs)
LATE_REFUSALS = ("require_immutable", "require_sole_item")


def _late_refusal(exc):
    """Whether exc is adcompile's call-time refusal of an in-place change (see check_program)."""
    return isinstance(exc, TypeError) and _where(exc).endswith(
        tuple(f":{name}" for name in LATE_REFUSALS))


def _check_module(f, traced, argsets, params, wrt, second_order=False, source=None, zero_d=True,
                  late_refusals=False, backend=None):
    positions = tuple(params.index(n) for n in wrt)
    # transformation: refusing is fine, anything else but success is a crash
    try:
        by_position = ad.value_and_grad(f, wrt=positions)
        by_name = ad.grad(f, wrt=wrt)
        forward = ad.jvp(f, wrt=positions)
    except ad.TransformError as exc:
        return Outcome("rejected", str(exc).splitlines()[0], "rejected")
    except Exception as exc:  # noqa: BLE001
        return _crash("transform", exc)

    # (autograd takes dicts, lists and tuples, neither NamedTuples nor objects)
    peer = _autograd_version(source, positions) if source is not None \
        and all(_autograd_takes(argsets[0][n]) for n in wrt) else None
    reasons = []
    valid = 0
    second = ""
    checked = []   # (kwargs, value, positional gradient, keyword gradient), for the backend
    for kwargs in argsets:
        reference = _reference(traced, kwargs, wrt)
        if isinstance(reference, str):
            reasons.append(reference)
            continue
        valid += 1
        zero_kwargs = _zero_d(kwargs)
        zero_reference = _reference(traced, zero_kwargs, wrt) if zero_d else reference
        results = []
        stage = "positional"
        try:
            for call in ("positional", "positional, again"):
                stage = call
                v, g = _call(by_position, params, kwargs)
                results.append((call, kwargs, reference, v, g))
            stage = "keywords"
            results.append((stage, kwargs, reference, None, _call(by_name, params, kwargs, True)))
            if not isinstance(zero_reference, str):
                # (a point where the program with 0-d arrays is unusable is skipped; so is a
                # refusal of 0-d arrays alone: an in-place change of one, unlike a number's,
                # is seen through its aliases)
                stage = "0-d arrays"
                try:
                    v, g = _call(ad.value_and_grad(f, wrt=positions), params, zero_kwargs)
                except (ad.TransformError, TypeError) as exc:
                    if isinstance(exc, TypeError) and not (late_refusals and _late_refusal(exc)):
                        raise
                else:
                    if zero_d:
                        results.append((stage, zero_kwargs, zero_reference, v, g))
                    else:   # (the gradient has the 0-d arrays' types, the floats' values)
                        results.append((stage, zero_kwargs, reference, None, g))
            stage = "forward"
            results.append((stage, kwargs, reference) + _forward(forward, params, wrt, kwargs))
        except ad.TransformError as exc:
            return Outcome("rejected", str(exc).splitlines()[0], "rejected")
        except _Mutated as exc:
            return Outcome("wrong", f"at {_plain(kwargs)}: the generated code ({stage}) changed "
                                    f"its argument {exc} in place", "wrong:mutates",
                           where=_plain(kwargs))
        except Exception as exc:  # noqa: BLE001
            if late_refusals and _late_refusal(exc):
                return Outcome("rejected", f"at call time ({stage}): " + str(exc).splitlines()[0],
                               "rejected")
            outcome = _crash(f"call ({stage})", exc, f" at {_plain(kwargs)}")
            outcome.where = _plain(kwargs)
            return outcome
        problem = _compare(traced, wrt, results)
        if problem is None and second_order and valid == 1 and "x" in params:
            problem = _check_second_order(f, by_position, params, kwargs, late_refusals,
                                          wrt.index("x"))
            if isinstance(problem, str):
                second, problem = problem, None
        if problem is None and peer is not None:
            problem = _compare_with_autograd(peer, traced, params, wrt, kwargs, results[0][4])
        if problem is not None:
            problem.where = _plain(kwargs)
            return problem
        checked.append((kwargs, results[0][3], results[0][4], results[2][4]))
    if not valid:
        return Outcome("invalid", "; ".join(sorted(set(reasons))))
    how = ""
    if backend == "numba":
        problem, how = check_numba(f, _call, params, wrt, checked, Outcome, _crash)
        if problem is not None:
            return problem
    return Outcome("ok", f"{valid} of {len(argsets)} argument sets checked"
                         + (f"; second order {second}" if second else ""), second=second,
                   numba=how)


def _autograd_takes(value):
    """Whether autograd differentiates ``value``: a number, an array, or dicts, lists and
    (plain) tuples of those."""
    if not trees.is_structure(value):
        return True
    if not (type(value) in (dict, list, tuple)):
        return False
    return all(_autograd_takes(child) for _, child in trees.children(value))


def _forward(forward, params, wrt, kwargs):
    """(value, gradient) from forward mode: one jvp per number differentiated, along its unit
    tangent (in the argument's structure); the gradient has the reverse mode's structure, its
    entries the jvp's outputs (for an array, the list of them)."""
    value = None
    grads = {}
    structured = any(trees.is_structure(kwargs[n]) for n in wrt)
    for name, path, index in _entries(kwargs, wrt):
        tangents = [trees.zeros_like(kwargs[n]) for n in wrt]
        position = wrt.index(name)
        leaf = trees.get(tangents[position], path)
        if index is None:
            tangents[position] = trees.replace(tangents[position], path, 1.0)
        else:
            leaf[index] = 1.0
        tangents = tuple(tangents)
        v, out = _call(forward, params, kwargs,
                       tangents=tangents if len(wrt) > 1 or structured else tangents[0])
        value = v
        grads.setdefault((name, path), []).append(out)
    gradient = []
    for name in wrt:
        g = kwargs[name]
        for path, leaf in trees.leaves(kwargs[name]):
            outs = grads[name, path]
            g = trees.replace(g, path, outs[0] if np.ndim(leaf) == 0 else outs)
        gradient.append(g)
    return value, tuple(gradient)


def _autograd_version(source, positions):
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
    # autograd has no adjoint for asarray of a traced value; np.array is the same there
    # (autograd rebinds what NumPy changes in place, so aliases do not matter to it)
    shim = types.ModuleType("autograd_numpy")
    shim.__dict__.update(vars(anp))
    shim.asarray = anp.array
    ns["np"] = shim
    f = ns["f"]
    return [autograd.grad(f, i) for i in positions]


def _compare_with_autograd(peer, traced, params, wrt, kwargs, grads):
    """adcompile's gradient (already checked against finite differences) against autograd's,
    to 1e-8; a disagreement counts only if the 5-point difference sides with autograd.
    (autograd cannot run every program: float(box), in-place changes of its arrays...; those
    are skipped, and where it rebinds what NumPy changes in place, the differences side
    with adcompile.)"""
    for name, g, peer_grad in zip(wrt, grads, peer):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")   # "output seems independent of input"
                args = _copies(kwargs)
                theirs = peer_grad(*[args[p] for p in params])
            pairs = [(path, np.asarray(trees.get(g, path), dtype=float),
                      np.asarray(trees.get(theirs, path), dtype=float))
                     for path, _ in trees.leaves(kwargs[name])]
        except Exception:  # noqa: BLE001 - (also a structure autograd gave otherwise)
            return None
        for path, ours, their_leaf in pairs:
            problem = _against_autograd(traced, kwargs, name, path, ours, their_leaf)
            if problem is not None:
                return problem
    return None


def _against_autograd(traced, kwargs, name, path, ours, theirs):
    """An Outcome if adcompile's gradient ``ours`` of one leaf is wrong where autograd's
    ``theirs`` is right (the 5-point difference sides with autograd), else None."""
    if theirs.shape != ours.shape:
        return None
    close = np.isclose(ours, theirs, rtol=1e-8, atol=1e-10)
    if close.all():
        return None
    worst = np.unravel_index(np.argmax(np.abs(ours - theirs) * ~close), ours.shape)
    index = worst if ours.ndim else None
    second = _fourth_order(traced, kwargs, name, path, index)
    o, t = _at(ours, index), _at(theirs, index)
    if second is not None and abs(t - second) < abs(o - second) / 10:
        return Outcome("wrong", f"at {_plain(kwargs)}: d/d{_label(name, path, index)} = {o!r}, "
                                f"autograd gives {t!r} (5-point difference: {second!r})",
                       "wrong:autograd")
    return None


def _check_second_order(f, by_position, params, kwargs, late_refusals=False, which=0):
    """d2f/dx2 from ad.grad(ad.grad(f)) against central differences of adcompile's gradient
    (already checked against finite differences of f; ``which``: the place of x's in it):
    an Outcome if it is wrong, else what happened ("checked", "refused", "not smooth").
    Refusing is allowed."""
    x = params.index("x")
    try:
        second = ad.grad(ad.grad(f, wrt=x), wrt=x)
        got = _call(second, params, kwargs)
    except ad.TransformError:
        return "refused"
    except _Mutated as exc:
        return Outcome("wrong", f"at {_plain(kwargs)}: grad of grad changed its argument {exc}",
                       "wrong:mutates")
    except Exception as exc:  # noqa: BLE001
        if late_refusals and _late_refusal(exc):
            return "refused"
        return _crash("grad of grad", exc, f" at {_plain(kwargs)}")
    estimates = []
    for step in (1e-5, 1e-4):
        h = step * _step(kwargs["x"])
        sides = [_call(by_position, params, _moved(kwargs, "x", (), None, s * h))[1][which]
                 for s in (1, -1)]
        estimates.append((float(sides[0]) - float(sides[1])) / (2 * h))
    if not np.isclose(estimates[0], estimates[1], rtol=1e-3, atol=1e-5):
        return "not smooth"   # the gradient is not smooth enough here to tell
    if np.ndim(got) != 0 or not np.isclose(float(got), estimates[0], rtol=1e-4, atol=1e-5):
        return Outcome("wrong", f"at {_plain(kwargs)}: d2f/dx2 (grad of grad) = {got!r}, "
                                f"differences of the gradient give {estimates[0]!r}", "wrong:second")
    return "checked"


def _type_ok(call, argument, g):
    """Whether a gradient has the type and shape the contract says (SPEC: a Python float for a
    float, an ndarray of the argument's shape for an array, a 0-d array for a 0-d array;
    forward mode: one number). For a leaf of a structure, ``argument`` is the leaf."""
    if call == "forward":
        parts = g if isinstance(g, list) else [g]
        return all(np.ndim(p) == 0 and not isinstance(p, (bool, np.bool_)) for p in parts) \
            and (not isinstance(g, list) or len(g) == np.size(argument))
    if isinstance(argument, np.ndarray) and argument.ndim:
        return isinstance(g, np.ndarray) and g.shape == argument.shape and g.dtype.kind == "f"
    if isinstance(argument, np.ndarray):
        return isinstance(g, (np.ndarray, np.generic)) and np.shape(g) == ()
    return _is_float_like(g)


def _compare(traced, wrt, results):
    for call, kwargs, (value, expected), v, g in results:
        where = _plain(kwargs)
        if v is not None and not (_real_scalar(v) is not None and np.isclose(
                _real_scalar(v), value, rtol=VALUE_RTOL, atol=1e-12)):
            return Outcome("wrong", f"at {where}: value ({call}) {v!r}, expected {value!r}",
                           "wrong:value")
        if not (isinstance(g, tuple) and len(g) == len(wrt)):
            return Outcome("wrong", f"at {where}: gradient ({call}) {g!r} is not a "
                                    f"{len(wrt)}-tuple", "wrong:structure")
        for name, gi in zip(wrt, g):
            problem = trees.structure_problem(gi, kwargs[name], f"d/d{name}") \
                if call != "forward" else None
            if problem:
                return Outcome("wrong", f"at {where}: {problem} ({call})", "wrong:structure")
            for path, leaf in trees.leaves(kwargs[name]):
                problem = _compare_leaf(traced, call, kwargs, name, path, trees.get(gi, path),
                                        expected[name, path])
                if problem is not None:
                    return problem
    return None


def _compare_leaf(traced, call, kwargs, name, path, g, expected):
    """An Outcome if the gradient ``g`` of one leaf (an argument that is not a structure, or
    a leaf of one) is not what the finite differences ``expected`` say, else None."""
    where, leaf = _plain(kwargs), trees.get(kwargs[name], path)
    if not _type_ok(call, leaf, g):
        return Outcome("wrong", f"at {where}: d/d{trees.label(name, path)} ({call}) is "
                                f"{type(g).__name__} {g!r}", "wrong:type")
    g = np.asarray(g, dtype=float).reshape(np.shape(leaf))
    for index in (np.ndindex(g.shape) if g.ndim else [None]):
        got, e = _at(g, index), _at(expected, index)
        if np.isclose(got, e, rtol=RTOL, atol=ATOL):
            continue
        second = _fourth_order(traced, kwargs, name, path, index)
        if second is not None and np.isclose(got, second, rtol=RTOL, atol=ATOL):
            continue
        return Outcome("wrong", f"at {where}: d/d{_label(name, path, index)} ({call}) = {got!r}, "
                                f"finite differences give {e!r} (5-point: {second!r})",
                       "wrong:gradient")
    return None


def check_seed(seed, exclude=(), **leniency):
    """(Program, Outcome) for one seed; ``exclude``: program kinds not to generate;
    ``leniency``: zero_d, late_refusals, as for check_program."""
    program = generate(seed, exclude)
    outcome = check_program(program.source, program.argsets, label=str(seed),
                            second_order=seed % 4 == 0, **leniency)
    outcome.kinds = program.features
    return program, outcome


def minimize(program, outcome, budget=1000, **leniency):
    """The program reduced line by line, as long as it shows the same failure (at the
    argument set where it failed, if it failed at a call)."""
    from .reduce import reduce_lines

    argsets = (outcome.where,) if outcome.where is not None else program.argsets

    def same(source):
        return check_program(source, argsets, label=f"{program.seed}r",
                             **leniency).signature == outcome.signature

    return reduce_lines(program.source, same, budget=budget)


# ---------------------------------------------------------------------------
# many seeds
# ---------------------------------------------------------------------------

#: a crash or suspect program is reduced only for the first few seeds of its signature (in
#: one worker): one cause often fails many programs the same way; every wrong one is reduced
REDUCE_PER_SIGNATURE = 3
_reduced = collections.Counter()


def _run(seed, reduce=True, exclude=(), **leniency):
    program, outcome = check_seed(seed, exclude, **leniency)
    minimal = None
    if outcome.status in FAILURES and reduce:
        _reduced[outcome.signature] += 1
        if outcome.status == "wrong" or _reduced[outcome.signature] <= REDUCE_PER_SIGNATURE:
            minimal = minimize(program, outcome, **leniency)
        else:
            minimal = ""   # left out, see format_failure
    return seed, outcome, minimal


def run(seeds, jobs=1, reduce=True, progress=None, exclude=(), **leniency):
    """[(seed, Outcome, minimal program)] for the seeds, in order (the minimal program is None
    where not reduced, "" where left out after REDUCE_PER_SIGNATURE alike); ``exclude``:
    program kinds (names from generator.FEATURES) not to generate; ``leniency``: zero_d,
    late_refusals, as for check_program."""
    work = functools.partial(_run, reduce=reduce, exclude=tuple(exclude), **leniency)
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


def _counts(outcomes):
    counts = collections.Counter(outcome.status for outcome in outcomes)
    return ", ".join(f"{counts[s]} {s}" for s in STATUSES)


def summary(results):
    outcomes = [outcome for _, outcome, _ in results]
    seconds = collections.Counter(outcome.second for outcome in outcomes if outcome.second)
    text = f"{len(results)} programs checked: " + _counts(outcomes)
    if seconds:
        text += " (second order: " + ", ".join(f"{n} {what}" for what, n in
                                                sorted(seconds.items())) + ")"
    numba = collections.Counter(outcome.numba for outcome in outcomes if outcome.numba)
    if numba:
        text += " (numba: " + ", ".join(f"{numba[how]} {how}" for how in
                                        ("compiled", "fell back", "mixed")) + ")"
    return text


def by_kind(results):
    """One line per program kind: how the programs using it fared (a program may use
    several kinds; "classic" are those using none)."""
    lines = []
    for kind in ("classic",) + FEATURES:
        outcomes = [o for _, o, _ in results if (kind in o.kinds or kind == "classic" and not o.kinds)]
        lines.append(f"{kind:>10}: {len(outcomes):5d} programs, " + _counts(outcomes))
    return lines


def format_failure(seed, outcome, minimal):
    kinds = f" [{', '.join(sorted(outcome.kinds))}]" if outcome.kinds else ""
    text = [f"seed {seed}{kinds}: {outcome.status.upper()}: {outcome.detail}"]
    if minimal:
        text.append("minimal program (line-reduced, same failure):")
        text.append("    " + minimal.rstrip("\n").replace("\n", "\n    "))
    elif minimal == "":
        text.append(f"(not reduced: {REDUCE_PER_SIGNATURE} programs failing as {outcome.signature} "
                    f"were reduced before)")
    return "\n".join(text)
