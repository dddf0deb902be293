"""The generated code rewritten for numba's nopython mode (backend="numba", jit.py).

- the seed ``out_bar``, keyword-only in generated code, becomes a positional parameter
  (numba compiles no keyword-only parameters); the docstring goes;
- the tape's reversed walks, ``for x, y in zip(reversed(x_steps), reversed(y_steps))``,
  become loops over indices (the entry of a ``t1 = range(...)`` at index ``k`` read as
  ``t1.start + k * t1.step``: numba does not index ranges);
- loop fission's ``if h_2s is not None:`` after ``h_2s = step_arrays(h_2_steps)`` keeps its
  body alone: numba's ``step_arrays`` gives arrays, or runs the call as Python, never None
  (numba_steps.py), so the step-by-step loop of the ``else`` never runs; a list ``L = []``
  nothing else mentions then goes (numba cannot type a list it never sees a value of);
- NumPy's reductions numba does not compile with the arguments the code gives them,
  ``np.max(a, axis=1)``, ``np.min(a, axis=0, keepdims=True)``, ``np.sum(a, axis=1,
  keepdims=True)``, ``np.mean(a, axis=0)``, become calls of numba versions (numba_reductions.py) under fresh
  names, and ``np.exp(a)``, ``np.tanh(a)``, ... calls of versions that run NumPy's own
  loops on large arrays (numba_ufuncs.py);
- ``np.concatenate([a, b])`` becomes ``np.concatenate((a, b))`` (numba joins tuples),
  ``np.roll(a, s, None)`` ``np.roll(a, s)`` (numba's takes no axis);
- ``a @ b`` becomes a call of a numba version that also multiplies stacks of matrices,
  and ``np.swapaxes(a, i, j)`` one that compiles in a fraction of the time
  (numba_products.py);
- ``a * b``, ``a ** b`` and ``a << b`` become calls of versions that, for two integers,
  give Python's result or raise (numba_integers.py);
- ``x.reshape(s)`` and ``np.reshape(x, s)`` reshape ``np.ascontiguousarray(x)``: numba's
  reshape of an array that is not contiguous (the adjoint of ``A.T.reshape(-1)``) raised
  NotImplementedError when the code ran; NumPy's copies such an array in C order too;
- ``while True:`` (``while 1:``) becomes ``while running_1:``, ``running_1 = True`` first:
  numba reads the bytecode of a loop whose test Python compiled away wrongly, and the
  compiled code of ``while True: ... if n >= 4: n = m; break`` never left the loop
  (numba's issue #5267 is one of the kind that computes a wrong value).
"""

import ast
import itertools

from .. import ir
from .numba_integers import OPERATORS
from .numba_reductions import REWRITTEN
from .numba_ufuncs import BINARY, UNARY
from ..ir.parsing import parse


def _roll_of_flattened(call):
    """Whether ``call`` is ``np.roll(a, shift, None)`` (or ``axis=None``): numba's np.roll
    with the axis left out."""
    axis = call.args[2] if len(call.args) == 3 else \
        next((k.value for k in call.keywords if k.arg == "axis"), None) \
        if len(call.args) == 2 and len(call.keywords) == 1 else False
    return isinstance(axis, ast.Constant) and axis.value is None \
        and not any(isinstance(a, ast.Starred) for a in call.args)


class NotCompilable(Exception):
    """The generated code holds a construct the lowering for numba does not handle."""


# --- lowering ----------------------------------------------------------------------------

def lowered(text, numpy="np", step_arrays="step_arrays"):
    """The generated function ``text`` rewritten for numba's nopython mode (see the module's
    docstring), and the names it calls numba versions of NumPy's functions by (name ->
    the helper's canonical name); NotCompilable where a construct has no such form.
    ``numpy``, ``step_arrays``: the names the code reads NumPy and that helper by."""
    node = parse(text).body[0]
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
    taken = ir.names_mentioned([node]) | {a.arg for a in args.args}
    body = _stacked_only(body, step_arrays)
    body = _without_unused_lists(body)
    node.body = _indexed_loops(body, _fresh_names("k", taken), _ranges(node))
    node.body = _tested_loops(node.body, next(_fresh_names("running", taken)))
    calls = _NumpyCalls(numpy, taken)
    node = calls.visit(node)
    return ast.unparse(ast.fix_missing_locations(node)) + "\n", calls.names


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


def _stacked_only(body, step_arrays):
    """``body`` with each ``if <s> is not None: A else: B`` after ``s = step_arrays(...)``
    (or ``s, ... = step_arrays(...)``) made ``A``, in blocks at any depth."""
    out = []
    for s in body:
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                setattr(s, field, _stacked_only(getattr(s, field), step_arrays))
        if out and _stacked_test(s, out[-1], step_arrays):
            out += s.body
        else:
            out.append(s)
    return out


def _stacked_test(s, before, step_arrays):
    """Whether ``s`` is ``if <name> is not None:`` testing the first name ``before``
    assigns from a call of ``step_arrays``."""
    if not (isinstance(s, ast.If) and isinstance(before, ast.Assign)
            and len(before.targets) == 1 and _called(before.value, step_arrays)):
        return False
    target = before.targets[0]
    first = target.elts[0] if isinstance(target, ast.Tuple) and target.elts else target
    test = s.test
    return isinstance(first, ast.Name) and isinstance(test, ast.Compare) \
        and isinstance(test.left, ast.Name) and test.left.id == first.id \
        and len(test.ops) == 1 and isinstance(test.ops[0], ast.IsNot) \
        and isinstance(test.comparators[0], ast.Constant) \
        and test.comparators[0].value is None


def _without_unused_lists(body):
    """``body`` without the statements ``L = []`` (at any depth) of names it mentions
    nowhere else."""
    counts = {}
    for n in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(n, ast.Name):
            counts[n.id] = counts.get(n.id, 0) + 1

    def kept(block):
        out = []
        for s in block:
            if isinstance(s, ast.Assign) and len(s.targets) == 1 \
                    and isinstance(s.targets[0], ast.Name) and counts[s.targets[0].id] == 1 \
                    and isinstance(s.value, ast.List) and not s.value.elts:
                continue
            for field in ("body", "orelse"):
                if getattr(s, field, None):
                    setattr(s, field, kept(getattr(s, field)) or
                            ([ast.Pass()] if field == "body" else []))
            out.append(s)
        return out
    return kept(body)


def _ranges(node):
    """The names the function ``node`` assigns only ``range(...)`` to (``t1 =
    range(len(xs))``), each at one place."""
    stores = {}
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            stores[n.id] = stores.get(n.id, 0) + 1
    return {s.targets[0].id for s in ast.walk(node)
            if isinstance(s, ast.Assign) and len(s.targets) == 1
            and isinstance(s.targets[0], ast.Name) and _called(s.value, "range")
            and stores[s.targets[0].id] == 1}


def _indexed_loops(body, names, ranges=frozenset()):
    """``body`` with each loop over reversed lists made a loop over their indices
    (``ranges``: names of ranges, read by their start and step)."""
    out = []
    for s in body:
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                setattr(s, field, _indexed_loops(getattr(s, field), names, ranges))
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
        reads = [ast.Assign(targets=[target], value=_entry(name, k, ranges))
                 for target, name in zip(targets, lists)]
        s.body = reads + s.body
        out.append(s)
    return out




def _tested_loops(body, flag):
    """``body`` with the test of each ``while`` loop that is a true constant made the name
    ``flag``, assigned True first where there are any (see the module's docstring)."""
    loops = [n for s in body for n in ast.walk(s) if isinstance(n, ast.While)
             and isinstance(n.test, ast.Constant) and n.test.value]
    for loop in loops:
        loop.test = ir.load(flag)
    if not loops:
        return body
    return [ast.Assign(targets=[ast.Name(id=flag, ctx=ast.Store())],
                       value=ast.Constant(True))] + body


def _entry(name, k, ranges):
    """The entry at index ``k`` of the list, array or range (a name of ``ranges``)
    ``name``."""
    if name in ranges:
        return ast.BinOp(left=ast.Attribute(value=ir.load(name), attr="start", ctx=ast.Load()),
                         op=ast.Add(),
                         right=ast.BinOp(left=ir.load(k), op=ast.Mult(),
                                         right=ast.Attribute(value=ir.load(name), attr="step",
                                                             ctx=ast.Load())))
    return ast.Subscript(value=ir.load(name), slice=ir.load(k), ctx=ast.Load())


def _reshape_of(call, numpy):
    """Whether ``call`` is ``x.reshape(...)`` or ``np.reshape(x, shape)`` (``numpy``: the
    name NumPy is read by) with positional arguments alone."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "reshape") or call.keywords \
            or any(isinstance(a, ast.Starred) for a in call.args):
        return False
    if isinstance(func.value, ast.Name) and func.value.id == numpy:
        return len(call.args) == 2
    return bool(call.args)


class _NumpyCalls(ast.NodeTransformer):
    """Calls of NumPy's functions made calls of numba versions under fresh names
    (``max_along_1(a, 1, True)``, ``numpy_tanh_1(a)``): ``np.max(a, axis=..., keepdims=...)``
    (``amax``, ``min``, ``amin``) with an axis or keepdims and ``np.sum(a, ...,
    keepdims=...)``, which numba does not compile (numba_reductions.py), the
    transcendental ufuncs of numba_ufuncs.py, on their positional arguments alone,
    ``a @ b`` (``matmul_1(a, b)``) and ``np.swapaxes`` (numba_products.py).
    ``names``: the names given (name -> the helper's canonical name)."""

    def __init__(self, numpy, taken):
        self.numpy = numpy
        self.taken = taken
        self.names = {}
        self._by_helper = {}

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if _reshape_of(node, self.numpy):   # (numba reshapes contiguous arrays only)
            if isinstance(func.value, ast.Name) and func.value.id == self.numpy:
                node.args[0] = self._contiguous(node.args[0])
            else:
                func.value = self._contiguous(func.value)
            return node
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id == self.numpy):
            return node
        if func.attr in REWRITTEN:
            return self._reduction(node, REWRITTEN[func.attr])
        if func.attr == "concatenate" and node.args and isinstance(node.args[0], ast.List) \
                and not any(isinstance(e, ast.Starred) for e in node.args[0].elts):
            # (numba joins a tuple of arrays, not a list; NumPy the same arrays either way)
            node.args[0] = ast.Tuple(elts=node.args[0].elts, ctx=ast.Load())
            return node
        if func.attr == "roll" and _roll_of_flattened(node):
            # (numba's np.roll takes no axis: None, the flattened array rolled, is its own)
            node.args, node.keywords = node.args[:2], []
            return node
        if func.attr == "swapaxes" and len(node.args) == 3 and not node.keywords \
                and not any(isinstance(a, ast.Starred) for a in node.args):
            return ir.call(ir.load(self._name("swapaxes")), *node.args)
        if (func.attr in UNARY and len(node.args) == 1 or func.attr in BINARY
                and len(node.args) == 2) and not node.keywords \
                and not any(isinstance(a, ast.Starred) for a in node.args):
            return ir.call(ir.load(self._name(f"numpy_{func.attr}")), *node.args)
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.MatMult):   # (stacks of matrices: numba_products.py)
            return ir.call(ir.load(self._name("matmul")), node.left, node.right)
        helper = OPERATORS.get(type(node.op).__name__)
        if helper is not None and not any(isinstance(side, ast.Constant)   # (not integers)
                                          and type(side.value) is float
                                          for side in (node.left, node.right)):
            # (Python's integers: numba_integers.py)
            return ir.call(ir.load(self._name(helper)), node.left, node.right)
        return node

    def _contiguous(self, e):
        return ir.call(ast.Attribute(value=ir.load(self.numpy), attr="ascontiguousarray",
                                     ctx=ast.Load()), e)

    def _reduction(self, node, helper):
        keywords = {k.arg: k.value for k in node.keywords}
        if len(node.args) > 2 or len(node.args) + len(keywords) < 2 or None in keywords \
                or set(keywords) - {"axis", "keepdims"} \
                or len(node.args) == 2 and "axis" in keywords \
                or any(isinstance(a, ast.Starred) for a in node.args):
            return node   # (a plain reduction, which numba compiles, or other arguments)
        if helper == "sum_along" and "keepdims" not in keywords:
            return node
        axis = node.args[1] if len(node.args) == 2 else keywords.get("axis", ast.Constant(None))
        return ir.call(ir.load(self._name(helper)), node.args[0], axis,
                       keywords.get("keepdims", ast.Constant(False)))

    def _name(self, helper):
        if helper not in self._by_helper:
            name = next(_fresh_names(helper, self.taken))
            self.taken.add(name)
            self._by_helper[helper] = name
            self.names[name] = helper
        return self._by_helper[helper]
