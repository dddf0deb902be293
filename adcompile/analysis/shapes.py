"""What is known of the shapes of values, to tell where nothing was broadcast.

- full: a value known to have no axis of length 1 (arguments without one, and
  what broadcasting primitives, matrix products, integer indexing and
  reductions make of them): a broadcast can only have added axes to it, so
  ``unbroadcast`` against it is dropped where no operand has more dimensions.
- symbolic shapes: the shape of a value in terms of the arguments' axes
  (``infer_shapes``): two values of the same symbolic shape have the same shape,
  whatever the arguments.
"""

import ast

import numpy as np

from .. import ir
from ..rules import broadcasts
from ..runtime import iterated
from .callees import callee_of
from .propagation import UNSET, propagate


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
            return base if base is UNSET else base is True and indexes_numbers(s.expr.slice)
        full = [of(e) for e in s.inputs]
        return UNSET if UNSET in full else _result_full(s, full)

    def subscript(e, of):
        base = of(e.value)
        return base if base is UNSET else base is True and indexes_numbers(e.slice)

    callee = callee_of(fn)

    def expression(e, of):   # iterated(xs): xs itself where it is an array
        if isinstance(e, ast.Call) and len(e.args) == 1 and not e.keywords \
                and callee(e.func) is iterated:
            return of(e.args[0])
        parts = _elementwise_operands(e)
        if parts is not None:   # x * 2.0 where nothing is differentiated (a kept statement)
            full = [of(p) for p in parts]
            return UNSET if UNSET in full else all(f is True for f in full)
        return _made_full(e, callee)

    _, full_of = propagate(fn, {p: f or None for p, f in known.items()}, False, True, op,
                            subscript, expression)
    return lambda e: full_of(e) is True


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
            return base if base in (UNSET, None) else _sliced(base, s.expr.slice, of)
        if s.rule.name == "array" and isinstance(s.inputs[0], (ast.List, ast.Tuple)):
            return _display_shape(s.inputs[0], of)
        if s.rule.name in ("copy", "copy_array", "with_item") or s.rule.shape.like_first:
            return of(s.inputs[0])
        if s.rule.shape.scalar:
            return ()
        if broadcasts(s.rule):
            return _broadcast_shape([of(e) for e in s.inputs])
        return None

    def subscript(e, of):
        base = of(e.value)
        return base if base in (UNSET, None) else _sliced(base, e.slice, of)

    callee = callee_of(fn)

    def expression(e, of):   # x * 2.0 where nothing is differentiated (a kept statement)
        parts = _elementwise_operands(e)
        if parts is None:
            return _constant_shape(e, callee)
        return _broadcast_shape([of(p) for p in parts])

    known = {p: tuple((p, k, 0) for k in range(ndim_of(ir.load(p))))
             for p in fn.params if ndim_of(ir.load(p)) is not None}
    _, shape_of = propagate(fn, known, None, (), op, subscript, expression)
    return shape_of


def _broadcast_shape(shapes):
    """The symbolic shape of a broadcasting operation's result from its operands' ``shapes``:
    the one shape all the operands not numbers have, else None (``UNSET`` while one is)."""
    shapes = set(shapes)
    if UNSET in shapes:
        return UNSET
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
    if False in (lower, upper, step) or step == 0:
        return None
    if type(axis) is int:   # a known length
        return len(range(axis)[lower:upper:step])
    if not isinstance(axis, tuple):
        return None
    if step == -1 and lower is None and upper is None:
        return axis
    if step not in (None, 1) or lower is not None and lower < 0 \
            or upper is not None and upper >= 0:
        return None
    p, k, c = axis
    return p, k, c - (lower or 0) + (upper or 0)


_FILLED = (np.zeros, np.ones, np.empty, np.full)


def _display_shape(display, of):
    """The shape of ``np.array([a, b, ...])``: the number of items before the one shape all
    of them have (None if they differ or one is unknown)."""
    shapes = {_display_shape(v, of) if isinstance(v, (ast.List, ast.Tuple)) else of(v)
              for v in display.elts}
    if UNSET in shapes:
        return UNSET
    if len(shapes) != 1 or None in shapes:
        return None
    return (len(display.elts),) + shapes.pop()


def _constant_shape(e, callee):
    """The shape of an array of constant lengths ``e`` makes (``np.zeros((2, 3))``,
    ``np.array([1.0, 2.0])``), as a tuple of ints, or None."""
    if not (isinstance(e, ast.Call) and e.args):
        return None
    made = callee(e.func)
    try:
        if any(made is f for f in _FILLED):
            lengths = ast.literal_eval(e.args[0])
            shape = tuple(lengths) if isinstance(lengths, tuple) else (lengths,)
            return shape if all(type(n) is int and n >= 0 for n in shape) else None
        if made is np.array and all(k.arg in ("dtype", "copy", "order") for k in e.keywords):
            return np.shape(np.array(ast.literal_eval(e.args[0]), dtype=float))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return None


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
