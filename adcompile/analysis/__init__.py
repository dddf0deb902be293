"""What the reverse sweep needs to know about a normalized function.

- activity: a name is *active* when it depends on a differentiated parameter
  (varied) and the returned value depends on it (useful); only active names
  get adjoints. Loops make these fixed points.
- ndim: the number of dimensions of a value when it is known (Python
  scalars, literals, and the argument dimensions a call specialises on);
  rule templates use it to pick the plain form of a rule (``z_bar @ y.T``)
  and to drop ``unbroadcast`` where nothing was broadcast.
- full: a value known to have no axis of length 1 (arguments without one, and
  what broadcasting primitives, matrix products, integer indexing and
  reductions make of them): a broadcast can only have added axes to it, so
  ``unbroadcast`` against it is dropped where no operand has more dimensions.
"""

import ast
import operator

import numpy as np

from .. import ir
from ..rules import broadcasts
from ..runtime import iterated


def _flows(fn):
    """(target, sources) pairs: the target's value depends differentiably on the sources."""
    pairs = []
    for s in ir.walk(fn.body):
        if isinstance(s, ir.Op):
            diff = set(s.rule.differentiable_inputs)
            sources = [e.id for v, e in zip(s.rule.inputs, s.inputs)
                       if v in diff and isinstance(e, ast.Name)]
            sources += [x.id for v, e in zip(s.rule.inputs, s.inputs)  # np.stack([a, b])
                        if v in diff and isinstance(e, (ast.List, ast.Tuple))
                        for x in e.elts if isinstance(x, ast.Name)]
            pairs.append((s.target, sources))
        elif isinstance(s, ir.Carry):
            pairs.append((s.target, [s.source]))
        elif isinstance(s, ir.ListNew):
            pairs.append((s.target, [e.id for e in s.elements if isinstance(e, ast.Name)]))
        elif isinstance(s, (ir.ListAppend, ir.ListAdd, ir.ListSet)):
            if isinstance(s.value, ast.Name):
                pairs.append((s.target, [s.value.id]))
        elif isinstance(s, ir.ListGet):
            pairs.append((s.target, [s.source]))
    return pairs


def varied_names(fn):
    """The names of ``fn`` a flow from the wrt parameters reaches (see activity)."""
    return ir.closure(set(fn.wrt), [((target,), sources) for target, sources in _flows(fn)])


def activity(fn):
    """The set of active names of ``fn`` (an ``ir.NormalFunction``): varied (a flow from
    the wrt parameters reaches them) and useful (a flow from them reaches the outputs),
    each a closure along the flows (ir.closure), the second against them."""
    pairs = _flows(fn)
    varied = varied_names(fn)
    # (uses come after definitions: backwards, one round)
    useful = ir.closure({e.id for e in fn.outputs if isinstance(e, ast.Name)},
                        [(sources, (target,)) for target, sources in reversed(pairs)])
    return varied & useful


_UNSET = object()


def infer_ndims(fn, known):
    """Known ndim of each name, from the parameters' ``known`` ndims and the rules' shapes.

    A name assigned in several places (after a branch, in a loop) has a known ndim only
    if every assignment agrees."""

    lists = getattr(fn, "lists", set())

    def op(s, of):
        if s.rule.name == "getitem":
            base = of(s.inputs[0])
            return _UNSET if base is _UNSET else _indexed_ndim(base, s.expr.slice, of)
        if s.rule.name == "array" and isinstance(s.inputs[0], ast.Name) \
                and s.inputs[0].id not in lists:   # np.asarray(x) of an array or a number
            made = of(s.inputs[0])
            # (of a number, a 0-d array, which can be changed in place: an array of
            # unknown ndim, as a 0-d argument is, api._ndims)
            return None if made == 0 else made
        if s.rule.name == "array" and isinstance(s.inputs[0], (ast.List, ast.Tuple)) \
                and s.inputs[0].elts and not any(k.arg == "ndmin" for k in getattr(
                    s.expr, "keywords", ())):   # np.array([a, b]): one more than a's
            dims = [of(e) for e in s.inputs[0].elts]
            if _UNSET in dims:
                return _UNSET
            return dims[0] + 1 if dims[0] is not None and len(set(dims)) == 1 else None
        dims = [of(e) for e in s.inputs]
        return _UNSET if _UNSET in dims else s.rule.shape.ndim(dims, s.statics)

    def subscript(e, of):
        return _indexed_ndim(of(e.value), e.slice, of)

    callee = callee_of(fn)
    return _propagate(fn, known, None, 0, op, subscript,
                      lambda e, of: _expression_ndim(e, callee, of))


def infer_full(fn, known, ndim_of):
    """Which names are known to be *full*: no axis of length 1 (a number is full). Where
    all the operands of a broadcasting operation are full, the result has the shape of
    each operand of the most dimensions, so nothing was broadcast into it.

    ``known``: parameter -> True for an argument known to be full; ``ndim_of`` from
    ``infer_ndims``. Returns ``full_of(expression)``, True when known to be full."""

    def indexes_numbers(index):   # x[i, j] with integers i, j: removes axes, adds none
        parts = index.elts if isinstance(index, ast.Tuple) else [index]
        return all(ndim_of(p) == 0 and not (isinstance(p, ast.Constant)
                                            and not isinstance(p.value, int)) for p in parts)

    def op(s, of):
        if s.rule.name == "getitem":
            base = of(s.inputs[0])
            return base if base is _UNSET else base is True and indexes_numbers(s.expr.slice)
        full = [of(e) for e in s.inputs]
        return _UNSET if _UNSET in full else _result_full(s, full)

    def subscript(e, of):
        base = of(e.value)
        return base if base is _UNSET else base is True and indexes_numbers(e.slice)

    callee = callee_of(fn)

    def expression(e, of):   # iterated(xs): xs itself where it is an array
        if isinstance(e, ast.Call) and len(e.args) == 1 and not e.keywords \
                and callee(e.func) is iterated:
            return of(e.args[0])
        parts = _elementwise_operands(e)
        if parts is not None:   # x * 2.0 where nothing is differentiated (a kept statement)
            full = [of(p) for p in parts]
            return _UNSET if _UNSET in full else all(f is True for f in full)
        return _made_full(e, callee)

    _, full_of = _propagate(fn, {p: f or None for p, f in known.items()}, False, True, op,
                            subscript, expression)
    return lambda e: full_of(e) is True


def may_make_complex(fn, ndim_of):
    """Whether ``fn`` raises a number to a power that may not be an integer with Python's
    ``**`` or ``pow`` (a negative float to the power 0.5 is complex there): then the
    gradients and tangents handed back go through ``as_gradient``, which refuses a complex
    one (and where a value not being differentiated that may be complex could not be checked
    where it is made: pipeline.guard_complex)."""
    if getattr(fn, "complex_possible", False):
        return True
    for s in ir.walk(fn.body):
        code = s.expr if isinstance(s, ir.Op) else s.stmt if isinstance(s, ir.Keep) else None
        for e in ir.walk_tree(code) if code is not None else ():
            if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Pow):
                base, exponent = e.left, e.right
            elif isinstance(e, ast.Call) and isinstance(e.func, ast.Name) \
                    and e.func.id == "pow" and len(e.args) == 2:
                base, exponent = e.args
            else:
                continue
            if not (isinstance(exponent, ast.Constant) and type(exponent.value) is int) \
                    and ndim_of(base) in (0, None):
                return True
    return False


def infer_shapes(fn, ndim_of):
    """The shape of each name, symbolically, where it is known: an axis of a parameter is
    ``(p, k, c)``, of length max(0, n + c) for the length n of axis k of argument p (c <= 0:
    slices with constant bounds shorten it, ``x[1:-1]`` by 2). Elementwise primitives of
    operands of one shape (and numbers) have it; a copy and an assignment into an array
    keep it. Returns ``shape_of(expression)``: a tuple, or None when unknown. It tells
    where nothing was broadcast: two values of the same symbolic shape have the same
    shape, whatever the arguments."""

    def op(s, of):
        if s.rule.name == "getitem":
            base = of(s.inputs[0])
            return base if base in (_UNSET, None) else _sliced(base, s.expr.slice, of)
        if s.rule.name in ("copy", "copy_array", "with_item"):
            return of(s.inputs[0])
        if s.rule.shape.scalar:
            return ()
        if broadcasts(s.rule):
            return _broadcast_shape([of(e) for e in s.inputs])
        return None

    def subscript(e, of):
        base = of(e.value)
        return base if base in (_UNSET, None) else _sliced(base, e.slice, of)

    def expression(e, of):   # x * 2.0 where nothing is differentiated (a kept statement)
        parts = _elementwise_operands(e)
        return None if parts is None else _broadcast_shape([of(p) for p in parts])

    known = {p: tuple((p, k, 0) for k in range(ndim_of(ir.load(p))))
             for p in fn.params if ndim_of(ir.load(p)) is not None}
    _, shape_of = _propagate(fn, known, None, (), op, subscript, expression)
    return shape_of


def _broadcast_shape(shapes):
    """The symbolic shape of a broadcasting operation's result from its operands' ``shapes``:
    the one shape all the operands not numbers have, else None (``_UNSET`` while one is)."""
    shapes = set(shapes)
    if _UNSET in shapes:
        return _UNSET
    shapes.discard(())
    return shapes.pop() if len(shapes) == 1 and None not in shapes else \
        () if not shapes else None


def _elementwise_operands(e):
    """The operands of ``e`` if it is an arithmetic operator NumPy applies elementwise
    (``a * b``, ``-a``; not ``a @ b``), else None."""
    if isinstance(e, ast.BinOp) and not isinstance(e.op, ast.MatMult):
        return [e.left, e.right]
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, (ast.USub, ast.UAdd)):
        return [e.operand]
    return None


def indexed_shape(shape_of, base, index):
    """The symbolic shape of ``base[index]`` (``index`` as the generated code passes it:
    ``slice(a, b)`` calls for slices), or None."""
    def as_slice(p):
        if isinstance(p, ast.Call) and isinstance(p.func, ast.Name) and p.func.id == "slice" \
                and not p.keywords and 1 <= len(p.args) <= 3:
            args = [None if isinstance(a, ast.Constant) and a.value is None else a
                    for a in p.args]
            if len(args) == 1:
                args = [None] + args
            return ast.Slice(*(args + [None] * (3 - len(args))))
        return p
    shape = shape_of(base)
    if shape is None:
        return None
    parts = [as_slice(p) for p in (index.elts if isinstance(index, ast.Tuple) else [index])]
    return _sliced(shape, ast.Tuple(elts=parts, ctx=ast.Load()), shape_of)


def _sliced(base, index, of):
    """The symbolic shape of ``x[index]`` for ``x`` of shape ``base``: integers remove an
    axis, ``x[a:b]`` with constant a >= 0 and b < 0 (or absent) and ``x[::-1]`` keep a
    parameter's axis, shortened; anything else is unknown (None)."""
    parts = list(index.elts) if isinstance(index, ast.Tuple) else [index]
    if len(parts) > len(base):
        return None
    out = []
    for axis, p in zip(base, parts):
        if isinstance(p, ast.Slice):
            length = _slice_length(axis, p)
            if length is None:
                return None
            out.append(length)
        elif of(p) == () and not (isinstance(p, ast.Constant)
                                  and not isinstance(p.value, int)):
            continue   # an integer: the axis goes
        else:
            return None
    return tuple(out) + tuple(base[len(parts):])


def _slice_length(axis, s):
    """The symbolic length of ``axis`` sliced by ``s``, or None."""
    def constant(e):
        if e is None:
            return None
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub) \
                and isinstance(e.operand, ast.Constant):
            e = ast.Constant(-e.operand.value)
        return e.value if isinstance(e, ast.Constant) and type(e.value) is int else False
    lower, upper, step = constant(s.lower), constant(s.upper), constant(s.step)
    if False in (lower, upper, step) or not isinstance(axis, tuple):
        return None
    if step == -1 and lower is None and upper is None:
        return axis
    if step not in (None, 1) or lower is not None and lower < 0 \
            or upper is not None and upper >= 0:
        return None
    p, k, c = axis
    return p, k, c - (lower or 0) + (upper or 0)


_FILLED = (np.zeros, np.ones, np.empty, np.full)


def _made_full(e, callee):
    """Whether ``e`` makes an array of constant lengths, none of them 1 (np.zeros(3),
    np.ones((2, 3)))."""
    if not (isinstance(e, ast.Call) and e.args and any(callee(e.func) is f for f in _FILLED)):
        return False
    shape = e.args[0]
    lengths = shape.elts if isinstance(shape, ast.Tuple) else [shape]
    return all(isinstance(n, ast.Constant) and type(n.value) is int and n.value > 1
               for n in lengths)


def _result_full(s, full):
    """Whether the result of the primitive ``s`` is full, from whether its operands are
    (``full``): a number is; a broadcasting primitive's result and a copy are when all
    their operands are; otherwise the result's shape kind says."""
    if s.rule.shape.scalar:
        return True
    if broadcasts(s.rule) or s.rule.name == "copy" and not s.rule.keys:
        return all(f is True for f in full)   # (the copy of a value: y = x, a call's argument)
    return s.rule.shape.full(full, s.statics)


def callee_of(fn):
    """``callee(func_expr)``: the object a call's function expression names in ``fn`` when it
    is a global or a module's attribute (``np.zeros``, an inlined helper's import), else
    None (a local variable, a method of a value)."""
    found = getattr(fn, "_callee", None)
    if found is not None:
        return found
    local = set(fn.params) | {n for s in ir.walk(fn.body) for n in ir.defined_names(s)}

    def callee(func):
        chain = []
        while isinstance(func, ast.Attribute):
            chain.append(func.attr)
            func = func.value
        if not isinstance(func, ast.Name) or func.id in local:
            return None
        extra = getattr(fn, "extra_globals", {})
        obj = extra[func.id] if func.id in extra else fn.source.resolve(func.id, None)
        for attr in reversed(chain):
            obj = getattr(obj, attr, None)
        return obj

    fn._callee = callee
    return callee


#: NumPy functions whose result has as many dimensions as their shape argument has entries
_SHAPED = (np.zeros, np.ones, np.empty, np.full)
#: NumPy functions that make a 1-d or a 2-d array
_ONE_D = (np.arange, np.linspace, np.logspace, np.geomspace)
_TWO_D = (np.eye, np.identity)


def _expression_ndim(e, callee, of):
    """ndim of an expression kept as written: arithmetic, comparisons and ufuncs broadcast
    their operands (``0.5 + k ** 2`` of an int k: 0), a whole reduction (``np.sum(x)``,
    ``x.mean()``) and ``math``'s functions give a number, else see ``_made_ndim``."""
    if isinstance(e, (ast.BinOp, ast.UnaryOp, ast.Compare)) and not (
            isinstance(e, ast.BinOp) and isinstance(e.op, ast.MatMult)):
        return _broadcast_ndim([c for c in ast.iter_child_nodes(e) if isinstance(c, ast.expr)],
                               of)
    if not isinstance(e, ast.Call) or any(isinstance(a, ast.Starred) for a in e.args):
        return _made_ndim(e, callee, of)
    if isinstance(e.func, ast.Attribute) and e.func.attr in _WHOLE_REDUCTIONS \
            and not e.args and not e.keywords:
        return 0   # x.sum()
    obj = callee(e.func)
    if obj is None or e.keywords:
        return _made_ndim(e, callee, of)
    if getattr(obj, "__module__", None) == "math" or any(obj is f for f in (len, int, float)):
        return 0
    if len(e.args) == 1 and getattr(obj, "__name__", None) in _WHOLE_REDUCTIONS \
            and (getattr(obj, "__module__", None) or "").split(".")[0] == "numpy":
        return 0   # np.sum(x)
    if isinstance(obj, np.ufunc) and len(e.args) == obj.nin or obj is abs:
        return _broadcast_ndim(e.args, of)
    if obj is iterated and len(e.args) == 1:   # (an array as it is: what a for walks)
        return _broadcast_ndim(e.args, of)
    if any(obj is f for f in (np.asarray, np.array, np.copy)) and len(e.args) == 1:
        # np.asarray(x): x's (a list's unknown); of a number, a 0-d array, which can be
        # changed in place: an array of unknown ndim, as a 0-d argument is (api._ndims)
        made = _broadcast_ndim(e.args, of)
        return None if made == 0 else made
    return _made_ndim(e, callee, of)


#: reductions that give a number when given no axis
_WHOLE_REDUCTIONS = {"sum", "mean", "prod", "max", "min", "amax", "amin", "std", "var"}


def _broadcast_ndim(parts, of):
    """ndim of the broadcast of ``parts``: the largest of theirs."""
    dims = [of(p) for p in parts]
    if _UNSET in dims:
        return _UNSET
    return None if None in dims or not dims else max(dims)


def _made_ndim(e, callee, of):
    """ndim of an array made by a NumPy constructor (np.zeros((2, 3)): 2), else None."""
    if not isinstance(e, ast.Call):
        return None
    obj = callee(e.func)
    if obj is None:
        return None
    if any(obj is f for f in _ONE_D):
        return 1
    if any(obj is f for f in _TWO_D):
        return 2
    if any(obj is f for f in (np.zeros_like, np.ones_like, np.empty_like, np.full_like)) \
            and e.args:
        return of(e.args[0])
    if any(obj is f for f in _SHAPED) and e.args:
        shape = e.args[0]
        if isinstance(shape, (ast.Tuple, ast.List)) \
                and not any(isinstance(p, ast.Starred) for p in shape.elts):
            return len(shape.elts)
        counts = isinstance(shape, ast.Call) and any(callee(shape.func) is f for f in (len, int))
        return 1 if counts or of(shape) == 0 else None   # np.zeros(n), np.zeros(len(w))
    return None


def infer_numbers(fn, known, ndim_of=None):
    """Which names are known to hold a number (a Python or NumPy scalar, immutable, so that
    ``x += e`` makes a new one), from ``known``: parameter -> True for an argument that is
    one, and ``ndim_of`` (from ``infer_ndims``) if given: arithmetic and ufuncs give a
    NumPy scalar, not a 0-d array, where the result has no dimension. Returns
    ``is_number(expression)``."""
    callee = callee_of(fn)

    def operands(s):
        return [e for v, e in zip(s.rule.inputs, s.inputs) if v in s.rule.differentiable_inputs]

    def op(s, of):
        rule = s.rule
        parts = [of(e) for e in operands(s)]
        if _UNSET in parts:
            return _UNSET
        if rule.filename.endswith("math.py"):
            return True    # math.* returns a float
        if rule.name == "getitem" and ndim_of is not None and _picks_one_entry(s, ndim_of):
            return True    # x[i] of a 1-d x, x[i, j] of a 2-d one: a NumPy scalar
        if rule.name in ("copy", "max_", "min_", "pos") or any(
                k in _NUMBER_OPERATORS or isinstance(k, np.ufunc) for k in rule.keys):
            # (max(a, b) and a copy are one of their operands, a 0-d array too)
            return all(p is True for p in parts) or rule.name not in ("copy", "max_", "min_") \
                and ndim_of is not None and ndim_of(ir.load(s.target)) == 0
        return rule.shape.number(s.statics)   # np.sum(x) is a NumPy scalar, whatever x is

    def expression(e, of):
        if isinstance(e, ast.Constant):
            return isinstance(e.value, (bool, int, float))
        if isinstance(e, (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare)):
            parts = [of(c) for c in ast.iter_child_nodes(e) if isinstance(c, ast.expr)]
            return _UNSET if _UNSET in parts else all(p is True for p in parts)
        if isinstance(e, ast.Call):
            obj = callee(e.func)
            if any(obj is f for f in (len, int, float, round, bool)) \
                    or getattr(obj, "__module__", "") == "math":
                return True
            if isinstance(obj, np.ufunc) or any(obj is f for f in (abs, min, max)):
                parts = [of(a) for a in e.args]
                return _UNSET if _UNSET in parts else bool(parts) and all(
                    p is True for p in parts) and not e.keywords
        return False

    _, number_of = _propagate(fn, {p: v or None for p, v in known.items()}, False, True, op,
                              lambda e, of: False, expression)
    return lambda e: number_of(e) is True


#: operators whose result is a number when their operands are
_NUMBER_OPERATORS = (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
                     operator.neg, operator.mod, operator.floordiv, abs, float)


def _propagate(fn, known, unknown, number, op, subscript, expression=None):
    """A property of each name's value (its ndim, whether it is full) from the parameters'
    ``known`` values: ``number`` is the property of a number, ``unknown`` the one that says
    nothing, ``op(s, of)`` that of a primitive's result, ``subscript(e, of)`` that of
    ``x[index]`` and ``expression(e, of)``, if given, that of other expressions. A name
    assigned in several places (after a branch, in a loop) has a property only if every
    assignment agrees.

    Returns ({name: property}, of(expression) -> property or ``unknown``)."""
    prop = _Propagation(fn, known, unknown, number, op, subscript, expression)
    prop.run()

    def known_value(e):
        v = prop.of(e)
        return unknown if v is _UNSET else v

    return {k: v for k, v in prop.values.items() if v is not unknown}, known_value


class _Propagation:
    """The state of ``_propagate``: each name's property so far (``values``)."""

    def __init__(self, fn, known, unknown, number, op, subscript, expression):
        self.fn, self.unknown, self.number = fn, unknown, number
        self.op, self.subscript, self.expression = op, subscript, expression
        self.values = {p: v for p, v in known.items() if v is not None}
        self.read = set()   # (see run)
        self._slices = None   # (see _slice)
        for p in fn.params:
            self.values.setdefault(p, unknown)

    def of(self, e):
        """The property of expression ``e``'s value (``_UNSET`` while a name it reads has
        none yet)."""
        if isinstance(e, ast.Constant):
            return self.number if isinstance(e.value, (int, float)) \
                and not isinstance(e.value, bool) else self.unknown
        if isinstance(e, ast.Name):
            self.read.add(e.id)
            return self.values.get(e.id, _UNSET)
        if isinstance(e, ast.UnaryOp) and isinstance(e.operand, ast.Constant):
            return self.of(e.operand)
        if isinstance(e, ast.Attribute) and e.attr in ("ndim", "size"):
            return self.number
        if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Attribute) \
                and e.value.attr == "shape" and not isinstance(e.slice, (ast.Slice, ast.Tuple)):
            return self.number
        if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Name):
            return self.subscript(e, self.of)
        return self.unknown if self.expression is None else self.expression(e, self.of)

    def run(self):
        """Each name starts unset; an assignment sets it, a disagreeing one makes it
        ``unknown`` for good. Values only move unset -> v -> unknown, so this stops.
        Another round is needed only when a name read in this one changed after it was read
        (a loop's carried name, a use before the definition): else every read saw the
        final value, and the next round would find what this one found (for straight-line
        code, one round)."""
        stale = True
        while stale:
            stale = False
            self.read = set()   # the names read so far in this round
            for name, v in self.assignments():
                if v is _UNSET:
                    continue
                old = self.values.get(name, _UNSET)
                new = v if old is _UNSET else (old if old == v else self.unknown)
                if new != old or old is _UNSET:
                    self.values[name] = new
                    if name in self.read:
                        stale = True

    def assignments(self):
        """(name, property of the value assigned) for each assignment in the function; a
        list's items are the name ``"name[]"``."""
        for s in ir.walk(self.fn.body):
            if isinstance(s, ir.Keep):
                yield from self._kept(s.stmt, s.defines)
            elif isinstance(s, ir.Op):
                yield s.target, self.op(s, self.of)
            elif isinstance(s, ir.Carry):
                yield s.target, self.of(ir.load(s.source))
            elif isinstance(s, ir.ListNew):
                yield s.target, self.unknown
                for e in s.elements:
                    yield s.target + "[]", self.of(e)
            elif isinstance(s, (ir.ListAppend, ir.ListAdd, ir.ListSet)):
                yield s.target + "[]", self.of(s.value)
            elif isinstance(s, ir.ListGet):
                self.read.add(s.source + "[]")
                # (by a slice, hs[:i + 1] with i a variable, the value is a list, not an item)
                yield s.target, self.unknown if self._slice(s.index) \
                    else self.values.get(s.source + "[]", _UNSET)
            elif isinstance(s, ir.Loop):
                yield from self._loop_names(s)

    def _slice(self, index):
        """Whether ``index`` may be a slice: ``slice(...)``, or a name a statement kept as
        written gives one (the frontend names a slice with variable bounds so)."""
        if isinstance(index, ast.Name):
            if self._slices is None:
                self._slices = {s.stmt.targets[0].id for s in ir.walk(self.fn.body)
                                if isinstance(s, ir.Keep) and isinstance(s.stmt, ast.Assign)
                                and isinstance(s.stmt.targets[0], ast.Name)
                                and not isinstance(s.stmt.value, ast.Name)
                                and self._slice(s.stmt.value)}
            return index.id in self._slices
        return isinstance(index, ast.Slice) or isinstance(index, ast.Call) \
            and isinstance(index.func, ast.Name) and index.func.id == "slice"

    def _kept(self, stmt, defines):
        """A statement kept as written: ``name = expression`` has the expression's property,
        the names other statements define have none."""
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name):
            yield stmt.targets[0].id, self.of(stmt.value)
        else:
            for d in defines:
                yield d, self.unknown

    def _loop_names(self, loop):
        """A for loop's index and a loop's counter are numbers."""
        if loop.index:
            yield loop.index, self.number if loop.kind == "for" else self.unknown
        if loop.counter:
            yield loop.counter, self.number


def _indexed_ndim(base, index, of):
    """ndim of ``x[index]`` for an ``x`` of ``base`` dimensions: known for integer indexes
    (each removes a dimension), plain slices and ``...`` (which keep them) and ``None``
    (which adds one)."""
    if base is _UNSET:
        return _UNSET
    if base is None:
        return None
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    removed = 0
    for p in parts:
        if isinstance(p, ast.Slice) or isinstance(p, ast.Constant) and p.value is Ellipsis:
            continue
        if isinstance(p, ast.Constant) and p.value is None:
            removed -= 1
            continue
        n = of(p)
        if n is _UNSET:
            return _UNSET
        if n != 0 or (isinstance(p, ast.Constant) and not isinstance(p.value, int)):
            return None
        removed += 1
    return base - removed if removed <= base else None


def _picks_one_entry(s, ndim_of):
    """Whether ``s``, ``y = x[index]``, reads one entry of an array ``x`` of known
    dimensions with an integer for each (a NumPy scalar, not a view)."""
    x, index = s.inputs
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    ndim = ndim_of(x)
    return ndim is not None and ndim == len(parts) and all(
        isinstance(p, ast.Constant) and type(p.value) is int
        or isinstance(p, ast.Name) and ndim_of(p) == 0 for p in parts)
