"""The number of dimensions of a value where it is known (Python scalars, literals, and the
argument dimensions a call specialises on); rule templates use it to pick the plain form of
a rule (``z_bar @ y.T``) and to drop ``unbroadcast`` where nothing was broadcast.
"""

import ast

import numpy as np

from ..runtime import iterated, private_copy
from .callees import callee_of
from .propagation import UNSET, propagate


def infer_ndims(fn, known):
    """Known ndim of each name, from the parameters' ``known`` ndims and the rules' shapes.

    A name assigned in several places (after a branch, in a loop) has a known ndim only
    if every assignment agrees."""

    lists = getattr(fn, "lists", set())

    def op(s, of):
        if s.rule.name == "getitem":
            base = of(s.inputs[0])
            return UNSET if base is UNSET else _indexed_ndim(base, s.expr.slice, of)
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
            if UNSET in dims:
                return UNSET
            return dims[0] + 1 if dims[0] is not None and len(set(dims)) == 1 else None
        dims = [of(e) for e in s.inputs]
        return UNSET if UNSET in dims else s.rule.shape.ndim(dims, s.statics)

    def subscript(e, of):
        return _indexed_ndim(of(e.value), e.slice, of)

    callee = callee_of(fn)
    return propagate(fn, known, None, 0, op, subscript,
                      lambda e, of: _expression_ndim(e, callee, of))


#: NumPy functions whose result has as many dimensions as their shape argument has entries
_SHAPED = (np.zeros, np.ones, np.empty, np.full)
#: NumPy functions that make a 1-d or a 2-d array
_ONE_D = (np.arange, np.linspace, np.logspace, np.geomspace)
_TWO_D = (np.eye, np.identity)


def _expression_ndim(e, callee, of):
    """ndim of an expression kept as written: arithmetic, comparisons and ufuncs broadcast
    their operands (``0.5 + k ** 2`` of an int k: 0), ``x.T`` has ``x``'s, a whole reduction
    (``np.sum(x)``, ``x.mean()``) and ``math``'s functions give a number, else see
    ``_made_ndim``."""
    if isinstance(e, (ast.BinOp, ast.UnaryOp, ast.Compare)) and not (
            isinstance(e, ast.BinOp) and isinstance(e.op, ast.MatMult)):
        return _broadcast_ndim([c for c in ast.iter_child_nodes(e) if isinstance(c, ast.expr)],
                               of)
    if isinstance(e, ast.Attribute) and e.attr == "T":
        return of(e.value)   # X.T of an array (or a NumPy scalar) of known dimensions: as many
    if not isinstance(e, ast.Call) or any(isinstance(a, ast.Starred) for a in e.args):
        return _made_ndim(e, callee, of)
    if isinstance(e.func, ast.Attribute) and e.func.attr in _WHOLE_REDUCTIONS \
            and not e.args and not e.keywords:
        return 0   # x.sum()
    if isinstance(e.func, ast.Attribute) and e.func.attr == "copy" and not e.args \
            and not e.keywords:
        made = of(e.func.value)   # x.copy() of an array: x's (of a list, a number: unknown)
        if made is UNSET or made is not None and made > 0:
            return made
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
    if (obj is iterated or obj is private_copy) and len(e.args) == 1:
        # (an array as it is: what a for walks; a copy of an argument changed in place)
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
    if UNSET in dims:
        return UNSET
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


def _indexed_ndim(base, index, of):
    """ndim of ``x[index]`` for an ``x`` of ``base`` dimensions: known for integer indexes
    (each removes a dimension), plain slices and ``...`` (which keep them) and ``None``
    (which adds one)."""
    if base is UNSET:
        return UNSET
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
        if n is UNSET:
            return UNSET
        if n != 0 or (isinstance(p, ast.Constant) and not isinstance(p.value, int)):
            return None
        removed += 1
    return base - removed if removed <= base else None
