"""Generated code compiled by numba in nopython mode: ``ad.grad(f, backend="numba")``.

numba is optional and imported only when a gradient with this backend is first made
(``require_numba``). The generated adjoint is the same code as without the backend,
lowered to what numba's nopython mode compiles (``lowered``):

- the seed ``out_bar``, keyword-only in generated code, becomes a positional parameter
  with its default (numba compiles no keyword-only parameters); the docstring goes;
- the tape's reversed walks, ``for x, y in zip(reversed(x_steps), reversed(y_steps))``,
  become loops over indices, ``for k in range(len(x_steps) - 1, -1, -1): x = x_steps[k];
  ...``: the per-step lists are numba's own lists (typed by what is appended), made and
  read inside the compiled function;
- each runtime helper the code calls is replaced by a version numba compiles
  (``_numba_helpers``): ``zeros_like``, ``unbroadcast``, ``filled_like`` and the check
  of a gradient's value, for numbers and arrays of up to two dimensions. Code that calls
  any other helper (an array's scatter, a matrix product's adjoint, ...) is not compiled.

Where the code holds a construct numba cannot compile, the gradient runs the plain
Python code instead and says so once, with a ``NumbaFallbackWarning`` naming the
construct and the line of generated code (numba's own first line of the error): this is
what the issue asks for ("falling back with a clear message"), and it keeps a program
that runs without the backend running with it. ``warnings.simplefilter("error",
NumbaFallbackWarning)`` makes the fallback an error. numba's semantics apply to the
compiled code: the globals it reads (arrays, numbers) are frozen when it compiles, and
integer arithmetic is machine integers.
"""

import ast
import builtins
import itertools
import linecache
import re
import threading
import time
import types
import warnings

from .. import ir
from .helpers import RUNTIME

#: the backends ``ad.grad(f, backend=...)`` knows
BACKENDS = (None, "python", "numba")

_counter = itertools.count(1)


class NumbaFallbackWarning(UserWarning):
    """numba could not compile a gradient's generated code; the plain Python code runs."""


class NotCompilable(Exception):
    """The generated code holds a construct the lowering for numba does not handle."""


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


# --- lowering ----------------------------------------------------------------------------

def lowered(text):
    """The generated function ``text`` rewritten for numba's nopython mode (see the module's
    docstring); NotCompilable where a construct has no such form."""
    node = ast.parse(text).body[0]
    args = node.args
    if args.vararg or args.kwarg or args.posonlyargs:
        raise NotCompilable("a function with *args, **kwargs or positional-only parameters")
    if any(d is None for d in args.kw_defaults):
        raise NotCompilable("keyword-only parameters without defaults")
    if args.kwonlyargs and len(args.defaults) < len(args.args) and not args.kw_defaults:
        raise NotCompilable("keyword-only parameters")
    args.args += args.kwonlyargs
    # (the user's default values are set on the function, as compile.py does: see _jit)
    args.defaults = [ast.Constant(None) for _ in args.defaults + args.kw_defaults]
    args.kwonlyargs, args.kw_defaults = [], []
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    taken = ir.names_mentioned([node])
    node.body = _indexed_loops(body, _fresh_names("k", taken))
    return ast.unparse(ast.fix_missing_locations(node)) + "\n"


def _fresh_names(stem, taken):
    for i in itertools.count(1):
        name = f"{stem}_{i}"
        if name not in taken:
            yield name


def _reversed_range(iterable):
    """``range(stop - 1, start - 1, -1)`` for ``reversed(range(stop))`` or ``reversed(
    range(start, stop))``; ``list(range(start, stop, step))[::-1]`` with a step; else
    None."""
    if not (_called(iterable, "reversed") and len(iterable.args) == 1
            and _called(iterable.args[0], "range") and 1 <= len(iterable.args[0].args) <= 3):
        return None
    bounds = iterable.args[0].args
    if len(bounds) == 3:
        return ast.Subscript(value=ir.call(ir.load("list"), iterable.args[0]),
                             slice=ast.Slice(step=ast.Constant(-1)), ctx=ast.Load())
    start, stop = (ast.Constant(0), bounds[0]) if len(bounds) == 1 else bounds
    return ir.call(ir.load("range"), ast.BinOp(left=stop, op=ast.Sub(), right=ast.Constant(1)),
                   ast.BinOp(left=start, op=ast.Sub(), right=ast.Constant(1)),
                   ast.Constant(-1))


def _reversed_lists(iterable):
    """The names of the lists a ``reversed(a)`` or ``zip(reversed(a), reversed(b), ...)``
    walks backwards, else None."""
    parts = iterable.args if _called(iterable, "zip") else [iterable]
    names = []
    for part in parts:
        if not (_called(part, "reversed") and len(part.args) == 1
                and isinstance(part.args[0], ast.Name)):
            return None
        names.append(part.args[0].id)
    return names


def _called(node, name):
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
        and node.func.id == name and not node.keywords


def _indexed_loops(body, names):
    """``body`` with each loop over reversed lists made a loop over their indices."""
    out = []
    for s in body:
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                setattr(s, field, _indexed_loops(getattr(s, field), names))
        if isinstance(s, ast.For) and _reversed_range(s.iter) is not None:
            s.iter = _reversed_range(s.iter)
        lists = _reversed_lists(s.iter) if isinstance(s, ast.For) else None
        if lists is None:
            out.append(s)
            continue
        targets = s.target.elts if isinstance(s.target, ast.Tuple) and len(lists) > 1 \
            else [s.target]
        if len(targets) != len(lists):
            out.append(s)
            continue
        k = next(names)
        start = ast.BinOp(left=ir.call(ir.load("len"), ir.load(lists[0])), op=ast.Sub(),
                          right=ast.Constant(1))
        s.target = ast.Name(id=k, ctx=ast.Store())
        s.iter = ir.call(ir.load("range"), start, ast.Constant(-1), ast.Constant(-1))
        reads = [ast.Assign(targets=[target],
                            value=ast.Subscript(value=ir.load(name), slice=ir.load(k),
                                                ctx=ast.Load()))
                 for target, name in zip(targets, lists)]
        s.body = reads + s.body
        out.append(s)
    return out


# --- helpers numba compiles --------------------------------------------------------------

_helpers_made = None
_helpers_lock = threading.Lock()


def _numba_helpers():
    """canonical helper name -> a function numba compiles in its place (made once)."""
    global _helpers_made
    with _helpers_lock:
        if _helpers_made is None:
            _helpers_made = _make_numba_helpers()
    return _helpers_made


def _make_numba_helpers():
    from numba.core import types
    from numba.extending import overload

    def is_number(t):
        return isinstance(t, (types.Float, types.Integer, types.Boolean))

    helpers = _broadcast_helpers(types, overload, is_number)
    helpers.update(_gradient_helpers(types, overload, is_number))
    helpers.update(_check_helpers(types, overload))
    return helpers


def _broadcast_helpers(types, overload, is_number):
    """numba versions of the helpers that make and sum arrays of a value's shape."""
    import numpy as np

    def zeros_like(x):
        raise NotImplementedError   # (only numba calls it: see the overload)

    def filled_like(x, value, *like):
        raise NotImplementedError

    def scalar_seed(value):
        raise NotImplementedError

    def stop_gradient(x):
        raise NotImplementedError

    @overload(zeros_like, jit_options={"nogil": True})
    def _zeros_like(x):
        if is_number(x):
            return lambda x: 0.0
        if isinstance(x, types.Array) and isinstance(x.dtype, types.Float):
            return lambda x: np.zeros_like(x)
        return None

    @overload(filled_like)
    def _filled_like(x, value, *like):
        # in float32 when x and the arrays of like are (a number takes their precision)
        arrays = [x] + [t for t in like if isinstance(t, types.Array)]
        if isinstance(x, types.Array) and is_number(value) \
                and all(isinstance(t, types.Array) or is_number(t) for t in like):
            if all(a.dtype == types.float32 for a in arrays):
                return lambda x, value, *like: np.full(x.shape, value, dtype=np.float32)
            return lambda x, value, *like: np.full(x.shape, value, dtype=np.float64)
        return None

    @overload(scalar_seed)
    def _scalar_seed(value):
        if is_number(value) or isinstance(value, types.Array) and value.ndim == 0:
            return lambda value: 1.0

        def refuse(value):
            raise ValueError("the function must return a scalar; use ad.vjp to pull back a "
                             "non-scalar output")
        return refuse

    @overload(stop_gradient)
    def _stop_gradient(x):
        return lambda x: x

    unbroadcast = _unbroadcast_helper(types, overload, is_number)
    return {"zeros_like": zeros_like, "unbroadcast": unbroadcast, "filled_like": filled_like,
            "scalar_seed": scalar_seed, "stop_gradient": stop_gradient}


def _unbroadcast_helper(types, overload, is_number):
    """The numba version of ``unbroadcast``."""
    import numpy as np

    def unbroadcast(g, x):
        raise NotImplementedError

    @overload(unbroadcast)
    def _unbroadcast(g, x):
        # the sum of g over the axes NumPy broadcast x along: g itself where the shapes agree
        if is_number(x):
            if is_number(g):
                return lambda g, x: g
            if isinstance(g, types.Array):
                return lambda g, x: np.sum(g)
            return None
        if not isinstance(x, types.Array) or x.ndim > 2:
            return None
        if is_number(g):
            return lambda g, x: np.full(x.shape, g)
        if not isinstance(g, types.Array) or g.ndim > 2 or g.ndim < x.ndim:
            return None
        if x.ndim == 1 and g.ndim == 1:
            def one(g, x):
                if g.shape[0] == x.shape[0]:
                    return g
                return np.full(x.shape, np.sum(g))
            return one
        if x.ndim == 1:   # g: 2-d, summed over its rows, and over columns if x has one entry
            def rows(g, x):
                s = np.sum(g, axis=0)
                if s.shape[0] == x.shape[0]:
                    return s
                return np.full(x.shape, np.sum(s))
            return rows

        def two(g, x):
            if g.shape == x.shape:
                return g
            out = g
            if x.shape[0] == 1 and g.shape[0] != 1:
                out = np.sum(out, axis=0).reshape((1, out.shape[1]))
            if x.shape[1] == 1 and out.shape[1] != 1:
                out = np.sum(out, axis=1).reshape((out.shape[0], 1))
            return out.copy()
        return two

    return unbroadcast


def _gradient_helpers(types, overload, is_number):
    """numba versions of the helpers of a sum's adjoint and of the gradients handed back."""
    import numpy as np

    def unreduce_times(g, e, x, axis=None, keepdims=False, out=None):
        raise NotImplementedError

    def absent(t):
        return t is None or isinstance(t, (types.NoneType, types.Omitted))

    @overload(unreduce_times)
    def _unreduce_times(g, e, x, axis=None, keepdims=False, out=None):
        # the adjoint of a sum over all entries times e: g (a number) times e, at x's shape
        if not (absent(axis) and is_number(g) and isinstance(e, types.Array)
                and isinstance(x, types.Array) and e.ndim == x.ndim):
            return None

        def times(g, e, x, axis=None, keepdims=False, out=None):
            if e.shape == x.shape:
                return g * e
            return np.broadcast_to(g * e, x.shape).copy()
        return times

    def in_place(ufunc, a, b):
        raise NotImplementedError

    @overload(in_place)
    def _in_place(ufunc, a, b):
        # the operation itself (a new array): numba's arrays are not worth the check
        key = getattr(ufunc, "typing_key", None)
        if key is np.multiply:
            return lambda ufunc, a, b: a * b
        if key is np.add:
            return lambda ufunc, a, b: a + b
        if key is np.subtract:
            return lambda ufunc, a, b: a - b
        if key is np.divide:
            return lambda ufunc, a, b: a / b
        return None

    return {"unreduce_times": unreduce_times, "as_gradient": _as_gradient_helper(
        types, overload, is_number), "in_place": in_place}


def _as_gradient_helper(types, overload, is_number):
    """The numba version of ``as_gradient`` (the gradients handed back)."""
    import numpy as np

    def as_gradient(g, x):
        raise NotImplementedError

    @overload(as_gradient)
    def _as_gradient(g, x):
        # the gradient handed back for x: a float for a number, else a new array of x's
        # shape and floating precision
        if is_number(x):
            if is_number(g):
                return lambda g, x: float(g)
            return None
        if not isinstance(x, types.Array):
            return None
        dtype = x.dtype if isinstance(x.dtype, types.Float) else types.float64
        if is_number(g):
            return lambda g, x: np.full(x.shape, g, dtype=dtype)
        if not isinstance(g, types.Array) or g.ndim > x.ndim:
            return None

        def array(g, x):
            if g.shape == x.shape:
                return g.astype(dtype)
            return np.broadcast_to(g, x.shape).astype(dtype)
        return array

    return as_gradient


def _check_helpers(types, overload):
    """The numba version of the check of a value that may be complex (pipeline.guard_complex)."""

    def real_value(value, what):
        raise NotImplementedError

    @overload(real_value)
    def _real_value(value, what):
        # a real number or array is itself; a complex one is refused when it runs
        kind = value.dtype if isinstance(value, types.Array) else value
        if isinstance(kind, (types.Float, types.Integer, types.Boolean)):
            return lambda value, what: value
        if isinstance(kind, types.Complex):
            def refuse(value, what):
                raise ValueError("a value not being differentiated gave a complex value, "
                                 "which is combined with values being differentiated: these "
                                 "gradients are of real values only")
            return refuse
        return None

    return {"real_value": real_value}


# --- compiling ---------------------------------------------------------------------------

def _namespace(text, source, aliases, extra):
    """The globals the compiled function reads: the modules and helpers under their
    aliases, and the modules, functions and classes it reads from the user's globals and
    closure. Any other value it reads from them (an array, a number) is refused: numba
    would freeze it when it compiles, and a later change would go unseen."""
    tree = ast.parse(text)
    node = tree.body[0]
    local = ir.assigns([node]) | {a.arg for a in node.args.args + node.args.kwonlyargs}
    free = ir.names_read(tree) - local
    helpers = _numba_helpers()
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
        equivalent = "stop_gradient" if obj is RUNTIME["stop_gradient"] \
            else getattr(obj, "numba_equivalent", None)
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
    code runs, or None."""

    def __init__(self, python, text, name, source, aliases, extra):
        self.python = python
        self.name = name
        self.fallback = None
        self.compile_seconds = []
        self.jitted = None
        self.text = None
        try:
            self.text = lowered(text)
            self.jitted = self._jit(self.text, name, source, aliases, extra)
        except NotCompilable as error:
            self._fall_back(f"the generated code calls {error}" if "(line" in str(error)
                            else f"the generated code has {error}")

    def _jit(self, text, name, source, aliases, extra):
        import numba
        namespace = _namespace(text, source, aliases, extra)
        filename = f"<adcompile numba {name}#{next(_counter)}>"
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        exec(compile(text, filename, "exec"), namespace)
        fn = namespace[name]
        fn.__defaults__ = _defaults(ast.parse(text).body[0].args, source.func)
        return numba.njit(fn)

    def _fall_back(self, why):
        self.fallback = why
        warnings.warn(f"numba cannot compile {self.name}(): {why}; the gradient runs as "
                      f"plain Python (adcompile's code, as without backend='numba')",
                      NumbaFallbackWarning, stacklevel=4)

    def for_types_seen(self):
        """numba's compiled function, to call directly with arguments of the types of a call
        that ran compiled (the fast path for numbers, fastpath.py); None if it falls back."""
        return self.jitted if self.compile_seconds else None

    def __call__(self, *args, **kwargs):
        jitted = self.jitted
        if jitted is None:
            return self.python(*args, **kwargs)
        try:
            if self.compile_seconds:
                return jitted(*args, **kwargs)
            start = time.perf_counter()   # the first call: numba compiles, then runs once
            result = jitted(*args, **kwargs)
            self.compile_seconds.append(time.perf_counter() - start)
            return result
        except Exception as error:
            if not _compiling_error(error):
                raise   # (an error of the compiled code as it ran: Python's would be the same)
            self._fall_back(numba_message(error, self.text))
            self.jitted = None
            return self.python(*args, **kwargs)


class Report:
    """What the numba backend did for the callables of one kind made of one transform
    (``grad_f.numba``): ``variants``, one ``Compiled`` per specialisation called so far."""

    def __init__(self):
        self.variants = []
        self._lock = threading.Lock()

    def compiled(self, python, text, name, source, aliases, extra):
        made = Compiled(python, text, name, source, aliases, extra)
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


def _compiling_error(error):
    """Whether ``error`` is numba refusing to compile (not the compiled code raising)."""
    from numba.core.errors import NumbaError
    return isinstance(error, NumbaError) or "cannot determine Numba type" in str(error)
