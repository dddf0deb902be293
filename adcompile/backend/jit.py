"""Generated code compiled by numba in nopython mode: ``ad.grad(f, backend="numba")``.

numba is optional and imported only when a gradient with this backend is first made
(``require_numba``). The generated adjoint is the same code as without the backend,
lowered to what numba's nopython mode compiles (for the gradient of a function whose value
is a number, its products over a data matrix first done in blocks of rows:
numba_blocks.py; then numba_lowering.py: the seed a positional
parameter, the tape's reversed walks loops over indices, NumPy's reductions with an axis
or keepdims calls of numba versions, its transcendental ufuncs on large arrays calls of
NumPy's own loops); each runtime helper the code calls is replaced by a
version numba compiles (numba_helpers.py, numba_reductions.py, numba_products.py,
numba_sums.py, numba_scatter.py, numba_steps.py and the modules named below):
``zeros_like``, ``filled_like``,
``unbroadcast``, ``reduced_size``, ``real_sign``, ``require_floating``,
``require_float_array``, ``require_array``, ``require_rows``, ``require_ndarray``,
``require_array_written``, ``require_positions``,
``require_length``, ``require_update_shape``,
``unreduce``, ``unreduce_times`` and ``argmax_mask`` (reductions over all axes or one),
``stable_sigmoid``, ``in_place``, ``getitem_bar`` (basic indexing, and an index of one
array of integers among slices), ``without_item`` and ``item_written`` (basic indexing),
``matmul_bar_left`` and ``matmul_bar_right`` (vectors, matrices and stacks of matrices:
``a @ b`` itself is lowered to a numba version that multiplies stacks too),
``as_gradient``, ``concatenate_bar`` (numba_joins.py), ``dot_bar_left`` and
``dot_bar_right``, ``scaled_power`` and ``log_or_zero`` (numba_powers.py), ``diff_bar``
(numba_differences.py), ``prod_others`` (numba_prods.py), the check of a value that may be
complex, and loop fission's helpers
(``step_arrays``, ``stacked``, ``sum_steps``, ``outer_steps``, ``step_rows``, for float64
arrays). Code that calls any other helper (``np.add.at`` of two index arrays, an
einsum's adjoint, ``cumprod_bar``, ...) is not compiled. A numba version that meets values
only the Python helper gives the result for raises ``RunsAsPython`` (numba_python_calls.py): that call
runs as plain Python. Where the gradient has a second code to try (numba_forms.py: loop fission's
code first, then the code made for differentiating again), a refusal of the first
compiles the second.

Where the code holds a construct numba cannot compile, the gradient runs the plain
Python code instead and says so once, with a ``NumbaFallbackWarning`` naming the
construct and the line of generated code (numba's own first line of the error): this is
what the issue asks for ("falling back with a clear message"), and it keeps a program
that runs without the backend running with it. ``warnings.simplefilter("error",
NumbaFallbackWarning)`` makes the fallback an error. numba's semantics apply to the
compiled code: the globals it reads (arrays, numbers) are frozen when it compiles, and
integers are 64-bit machine integers; a product, power or shift of two integers whose
result is not Python's runs its call as plain Python (numba_integers.py), and an error
from inside numba's compiler falls back as its refusals do.
"""

import ast
import builtins
import itertools
import linecache
import os
import re
import threading
import time
import traceback
import types
import warnings

from .. import ir
from . import numba_helpers
from .numba_blocks import blocked
from .numba_integers import BeyondMachineIntegers
from .numba_lowering import NotCompilable, lowered
from .numba_prologue import split_prologue
from .numba_python_calls import RunsAsPython
from .helpers import RUNTIME
from ..ir.parsing import parse

#: the backends ``ad.grad(f, backend=...)`` knows
BACKENDS = (None, "python", "numba")

_counter = itertools.count(1)


class NumbaFallbackWarning(UserWarning):
    """numba could not compile a gradient's generated code; the plain Python code runs."""


def check_backend(backend):
    """``backend`` made canonical (None for plain Python), or a ValueError."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be None, 'python' or 'numba', not {backend!r}")
    if backend == "numba":
        require_numba()
        return "numba"
    return None


def require_numba():
    """Import numba, or raise ImportError saying how to install it."""
    try:
        import numba  # noqa: F401
    except ImportError as error:
        raise ImportError("backend='numba' needs numba: pip install numba (or pip install "
                          "'adcompile[numba]')") from error


# --- compiling ---------------------------------------------------------------------------

def _namespace(text, source, aliases, extra):
    """The globals the compiled function reads: the modules and helpers under their
    aliases, and the modules, functions and classes it reads from the user's globals and
    closure. Any other value it reads from them (an array, a number) is refused: numba
    would freeze it when it compiles, and a later change would go unseen. ``extra``: names
    the code reads -> Python callables, or the canonical name of a numba helper (the names
    ``lowered`` gives the NumPy calls it rewrites)."""
    tree = parse(text)
    node = tree.body[0]
    local = ir.assigns([node]) | {a.arg for a in node.args.args + node.args.kwonlyargs}
    free = ir.names_read(tree) - local
    helpers = numba_helpers.helpers()
    namespace = {"__builtins__": builtins}
    runtime = {}
    for canonical, alias in aliases.items():
        if alias not in free or canonical not in RUNTIME:
            continue
        if canonical in ("np", "math", "slice"):
            runtime[alias] = RUNTIME[canonical]
        elif canonical in helpers:
            runtime[alias] = helpers[canonical]
        else:
            raise NotCompilable(f"the runtime helper {canonical}() (line "
                                f"{_first_use(tree, alias)} of the generated code), which "
                                f"has no numba version")
    for name, obj in (extra or {}).items():
        if name not in free or name in runtime:
            continue
        equivalent = obj if isinstance(obj, str) else "stop_gradient" \
            if obj is RUNTIME["stop_gradient"] else getattr(obj, "numba_equivalent", None)
        if equivalent is None:
            raise NotCompilable(f"{name} (line {_first_use(tree, name)} of the generated "
                                f"code), a Python callable numba cannot compile")
        runtime[name] = helpers[equivalent]
    for name in sorted(free - set(runtime)):
        if name in source.closure:
            try:
                value = source.closure[name].cell_contents
            except ValueError:   # an empty cell: numba reports the name as undefined
                continue
        elif name in source.globals:
            value = source.globals[name]
        else:
            continue   # a builtin (range, len, ...), or undefined: numba says which
        if isinstance(value, types.ModuleType) and not _frozen_module(value):
            raise NotCompilable(
                f"a read of the module {name} (line {_first_use(tree, name)} of the generated "
                f"code): numba would freeze the values it reads from it when it compiles")
        if not isinstance(value, (types.ModuleType, types.FunctionType, type)) \
                and not hasattr(value, "py_func"):   # (a numba-compiled function)
            raise NotCompilable(
                f"a read of the global or closure variable {name} (a "
                f"{type(value).__name__}, line {_first_use(tree, name)} of the generated "
                f"code): numba would freeze its value when it compiles; pass it as an "
                f"argument")
        namespace[name] = value
    namespace.update(runtime)
    return namespace


def _defaults(args, func):
    """The default values of the lowered function's parameters ``args``: the user's (their
    expressions were evaluated where the user's function was defined), 1.0 for the seed."""
    if func is None:
        raise NotCompilable("a function that was garbage collected")
    code = func.__code__
    positional = code.co_varnames[:code.co_argcount]
    given = dict(zip(positional[len(positional) - len(func.__defaults__ or ()):],
                     func.__defaults__ or ()))
    given.update(func.__kwdefaults__ or {})
    given["out_bar"] = 1.0
    names = [a.arg for a in args.args]
    return tuple(given[n] for n in names[len(names) - len(args.defaults):]) or None


def _frozen_module(module):
    """Whether numba may freeze what the code reads from ``module``: NumPy's and math's
    functions and constants, which do not change."""
    name = getattr(module, "__name__", "")
    return name in ("math", "cmath") or name == "numpy" or name.startswith("numpy.")


def _first_use(tree, name):
    return min((n.lineno for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name),
               default="?")


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def numba_message(error, text):
    """What numba says failed, in a line, and the line of the generated code ``text`` where
    (numba's messages run to dozens of lines of its own frames)."""
    lines = [_ANSI.sub("", line).strip() for line in str(error).splitlines()]
    lines = [line for line in lines if line]
    skip = ("Failed in ", "During:", "<source", "- ", "File ", "Enable logging",
            "This error may", "Rewrite ", "Resolution failure", "No implementation of",
            "Of which", "There are", "The function", "Known signatures", "*", "^")
    head = next((line for line in lines if not line.startswith(skip)), lines[0] if lines else "")
    if any(line.startswith("No implementation of") for line in lines):
        found = next(line for line in lines if line.startswith("No implementation of"))
        signature = next((line.lstrip("> ").strip() for line in lines if line.startswith(">>>")),
                         "")
        head = found + (f" {signature}" if signature else "")
    where = [re.search(r'line (\d+)', line) for line in lines if line.startswith("File ")]
    where = [m for m in where if m]
    message = f"{type(error).__name__}: {head.rstrip(':')}"
    if where:
        number = int(where[-1].group(1))
        code = text.splitlines()[number - 1].strip() if 0 < number <= len(text.splitlines()) \
            else ""
        if code:
            message += f", at line {number} of the generated code: {code}"
    return message


class Compiled:
    """The gradient code for one specialisation, compiled by numba when first called (numba
    compiles for the types of the arguments) and run by it; or, once numba refused it, the
    plain Python function ``python`` (with a NumbaFallbackWarning). ``compile_seconds``:
    the time numba took to compile, per signature (a list); ``fallback``: why the plain
    code runs, or None. ``key``: for the gradient of a function whose value is a number, the
    kinds of its arguments (dispatch.ndims), with which its products over a data matrix are
    done in blocks of rows (numba_blocks.py). ``then``: None, or a function giving the
    next code to compile where numba refuses this one ((text, name, aliases, extra), or
    None when there is none): ``passed_over`` says why numba refused the codes before."""

    def __init__(self, python, text, name, source, aliases, extra, key=None, then=None):
        self.python = python
        self.name = name
        self.fallback = None
        self.beyond = False   # (whether a call numba's code handed back ran as Python)
        self.compile_seconds = []
        self.jitted = None
        self.text = None
        self.passed_over = []   # (why numba refused the codes tried before this one)
        self.prologue = None   # (the checks of the arguments run as Python first)
        self._refused_seconds = 0.0
        self._then = then
        self._key, self._source = key, source
        self._prepare(text, name, aliases, extra)

    def _prepare(self, text, name, aliases, extra):
        """Lower ``text`` and make the function numba compiles from it, or refuse it."""
        numpy = aliases.get("np", "np")
        try:
            text, self.prologue = split_prologue(text, name, self._source, aliases, extra)
            if self._key is not None:
                text = blocked(text, self._key, aliases, numpy)
            self.text, numpy_calls = lowered(text, numpy,
                                             aliases.get("step_arrays", "step_arrays"))
            self.jitted = self._jit(self.text, name, self._source, aliases,
                                    dict(extra or {}, **numpy_calls))
        except NotCompilable as error:
            self._refused(f"the generated code calls {error}" if "(line" in str(error)
                          else f"the generated code has {error}")

    def _refused(self, why, stacklevel=6):
        """numba refused the code: the next code to try (``then()``: (text, name, aliases,
        extra), or None), if there is one, else the plain Python function (the warning
        points ``stacklevel`` frames up from ``_fall_back``: the user's call)."""
        self.jitted = None
        then, self._then = self._then, None
        code = then() if then is not None else None
        if code is None:
            self._fall_back(why, stacklevel)
            return
        self.passed_over.append(why)
        self._prepare(*code)

    def _jit(self, text, name, source, aliases, extra):
        import numba
        namespace = _namespace(text, source, aliases, extra)
        filename = f"<adcompile numba {name}#{next(_counter)}>"
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        exec(compile(text, filename, "exec"), namespace)
        fn = namespace[name]
        fn.__defaults__ = _defaults(parse(text).body[0].args, source.func)
        return numba.njit(fn)

    def _fall_back(self, why, stacklevel):
        self.fallback = why
        warnings.warn(f"numba cannot compile {self.name}(): {why}; the gradient runs as "
                      f"plain Python (adcompile's code, as without backend='numba')",
                      NumbaFallbackWarning, stacklevel=stacklevel)

    def for_types_seen(self):
        """numba's compiled function, to call directly with arguments of the types of a call
        that ran compiled (the fast path for numbers, fastpath.py, which calls this object
        again, to run as Python, where the compiled code raises BeyondMachineIntegers);
        None if it falls back."""
        return self.jitted if self.compile_seconds and self.prologue is None else None

    def _beyond(self, error, args, kwargs):
        """A call numba's compiled code handed back (numba_python_calls.py: integers that
        left 64 bits, numba_integers.py; a loop's steps of shapes that differ,
        numba_steps.py) run as Python."""
        if not self.beyond:
            self.beyond = True
            why = "Python's integers are unbounded" if isinstance(
                error, BeyondMachineIntegers) else "Python's helpers take such values"
            warnings.warn(f"{self.name}(): {error} in numba's compiled code; calls that "
                          f"compute such values run as plain Python ({why})",
                          NumbaFallbackWarning, stacklevel=4)
        return self.python(*args, **kwargs)

    def __call__(self, *args, **kwargs):
        jitted = self.jitted
        if jitted is None:
            return self.python(*args, **kwargs)
        start = 0.0
        if self.prologue is not None:
            self.prologue(*args, **kwargs)
        try:
            if self.compile_seconds:
                return jitted(*args, **kwargs)
            start = time.perf_counter()
            with warnings.catch_warnings():   # the first call: numba compiles, runs once
                _quiet_performance_warnings()
                result = jitted(*args, **kwargs)
            self.compile_seconds.append(time.perf_counter() - start + self._refused_seconds)
            return result
        except RunsAsPython as error:
            return self._beyond(error, args, kwargs)
        except Exception as error:
            if not _compiling_error(error):
                raise   # (an error of the compiled code as it ran: Python's would be the same)
            self._refused(numba_message(error, self.text), stacklevel=5)
            if self.jitted is not None:   # the next code, compiled on this call
                if start:   # (the seconds numba spent on the code it refused count)
                    self._refused_seconds += time.perf_counter() - start
                return self(*args, **kwargs)
            return self.python(*args, **kwargs)


class Report:
    """What the numba backend did for the callables of one kind made of one transform
    (``grad_f.numba``): ``variants``, one ``Compiled`` per specialisation called so far."""

    def __init__(self):
        self.variants = []
        self._lock = threading.Lock()

    def compiled(self, python, text, name, source, aliases, extra, key=None, then=None):
        made = Compiled(python, text, name, source, aliases, extra, key, then)
        with self._lock:
            self.variants.append(made)
        return made

    @property
    def compile_seconds(self):
        """The seconds numba spent compiling (each first call of a variant: compiling and
        one run)."""
        return sum(sum(v.compile_seconds) for v in self.variants)

    @property
    def fallbacks(self):
        """Why variants run as plain Python: one message per variant numba refused."""
        return [v.fallback for v in self.variants if v.fallback is not None]

    def __repr__(self):
        compiled = sum(v.jitted is not None for v in self.variants)
        return (f"<numba backend: {compiled} variant(s) compiled in "
                f"{self.compile_seconds:.2f} s, {len(self.fallbacks)} run as Python>")


def _quiet_performance_warnings():
    """numba's hints about its own code's speed (np.dot of arrays it does not know to be
    contiguous, ...), which say nothing the user can act on, are not shown."""
    from numba.core.errors import NumbaPerformanceWarning
    warnings.simplefilter("ignore", NumbaPerformanceWarning)


def _compiling_error(error):
    """Whether ``error`` is numba refusing to compile (not the compiled code raising): one
    of numba's errors, or any other raised from inside its compiler (a construct it types
    but cannot lower raises NotImplementedError there), or its compiled code refusing an
    argument it cannot convert (numba types a list by its first item, and a list of arrays
    of different ndims, ``[W, b]``, is "heterogeneous")."""
    from numba.core import compiler
    from numba.core.errors import NumbaError
    if isinstance(error, NumbaError) or "cannot determine Numba type" in str(error):
        return True
    if isinstance(error, TypeError) and str(error).startswith("can't unbox"):
        return True
    where = os.path.normcase(os.path.abspath(compiler.__file__))
    return any(os.path.normcase(os.path.abspath(frame.filename)) == where
               for frame in traceback.extract_tb(error.__traceback__))
