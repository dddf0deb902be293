"""How a primitive's result shape follows from its inputs': one object per kind.

A rule declares the kind of its result with a name (``shape="reduce"``); the name is
looked up here once, in ``SHAPES``, and the rule holds the ``ResultShape`` object. The
analyses then ask the object, never the name:

- ``ndim(dims, statics)``: the result's number of dimensions from the inputs' (``None``
  where unknown) and the call's static arguments (ast expressions), or ``None``;
- ``full(fulls, statics)``: whether the result is known to have no axis of length 1,
  from whether each input is (True, False or None for unknown);
- ``number(statics)``: whether the result is a NumPy scalar whatever the inputs are
  (``np.sum(x)``);
- ``elementwise``: the result has the broadcast shape of the inputs;
- ``like_first``: the result has the shape of the first input, whatever the call's other
  arguments (``np.roll``, ``np.flip``, ``np.copy``);
- ``scalar``: the result is a number;
- ``tangent_from_adjoint``: forward mode may read the tangent off the adjoint (the
  Jacobian is diagonal after broadcasting).

"unknown" is always safe: it knows nothing, so it only keeps shortcuts away.
"""

import ast
from collections.abc import Callable
from dataclasses import dataclass


def _unknown_ndim(dims, statics):
    """Nothing is known of the result's dimensions: None."""


def _never(*args):
    """The default of the yes-or-no questions: not known to be so."""
    return False


@dataclass(frozen=True, eq=False)
class ResultShape:
    """A kind of result shape, named as rules name it (``shape="matmul"``)."""

    name: str
    ndim: Callable = _unknown_ndim   # (input ndims, statics) -> result ndim or None
    full: Callable = _never          # (input fullness, statics) -> result known full
    number: Callable = _never        # (statics) -> result a NumPy scalar, whatever the inputs
    elementwise: bool = False
    scalar: bool = False
    tangent_from_adjoint: bool = False
    sequence: bool = False           # a Python list or tuple of values (sorted, np.split)
    like_first: bool = False

    def __repr__(self):
        return f"ResultShape({self.name!r})"

    def __eq__(self, other):
        """A kind is only itself; comparing it with a name (``rule.shape == "scalar"``, the
        old string tags) is an error rather than a silent False."""
        if isinstance(other, str):
            raise TypeError(f"compare {self!r} with a kind of shapes.SHAPES, or ask it "
                            f"(.elementwise, .scalar, .ndim(...)), not with {other!r}")
        return self is other

    __hash__ = object.__hash__


# -- helpers reading the static arguments ------------------------------------------------------

def _axis_count(axis):
    """How many axes a static ``axis`` names: 1 for an int literal (not a bool), n for a
    tuple of n, else None."""
    if isinstance(axis, ast.Tuple):
        return len(axis.elts)
    if isinstance(axis, ast.Constant) and isinstance(axis.value, int) \
            and not isinstance(axis.value, bool):
        return 1
    return None


def _known_first(ndim):
    """``ndim`` for a kind whose result is unknown when its first input's ndim is."""

    def first_known(dims, statics):
        return None if dims[0] is None else ndim(dims, statics)

    first_known.__doc__ = ndim.__doc__
    return first_known


def _all_full(fulls, statics):
    """Full when every operand is: a product's axes are its operands' axes."""
    return all(f is True for f in fulls)


# -- result ndim of each kind ------------------------------------------------------------------

def _elementwise_ndim(dims, statics):
    """The most dimensions among the inputs."""
    return max(dims) if dims and None not in dims else None


def _product_ndim(a, b):
    """ndim of a product of a vector or matrix with a vector or matrix."""
    if a == 1 and b == 1:
        return 0
    if 1 <= a <= 2 and 1 <= b <= 2:
        return 1 if 1 in (a, b) else 2
    return None


def _matmul_ndim(dims, statics):
    """``x @ y``: vectors and matrices, or a stack of matrix products."""
    a, b = dims[0], dims[1]
    if a is None or b is None:
        return None
    plain = _product_ndim(a, b)
    if plain is None and a >= 2 and b >= 2:
        return max(a, b)
    return plain


def _dot_ndim(dims, statics):
    """``np.dot(x, y)``: a number times an array, vectors and matrices."""
    a, b = dims[0], dims[1]
    if a is None or b is None:
        return None
    if a == 0 or b == 0:
        return max(a, b)
    return _product_ndim(a, b)


def _scan_ndim(dims, statics):
    """``np.cumsum(x, axis)``: flattened when axis is None, else x's dimensions (a
    number's scan is a vector, whatever the axis)."""
    axis = statics.get("axis")
    if dims[0] == 0:
        return 1
    if isinstance(axis, ast.Constant):
        return 1 if axis.value is None else dims[0]
    return dims[0] if dims[0] == 1 else None


def _reshape_ndim(dims, statics):
    """``x.reshape(shape)``: as many dimensions as the static shape (a tuple or an int)."""
    new = statics.get("shape")
    if isinstance(new, ast.UnaryOp) and isinstance(new.op, ast.USub):
        new = new.operand   # reshape(-1)
    if isinstance(new, ast.Tuple):
        return len(new.elts)
    if isinstance(new, ast.Constant) and isinstance(new.value, int):
        return 1
    return None


def _drop(n):
    """``ndim`` of a result with ``n`` fewer dimensions than the first input."""

    def dropped(dims, statics):
        left = dims[0] - n
        return left if left >= 0 else None

    dropped.__doc__ = f"The first input's dimensions but {n}."
    return dropped


def _solve_ndim(dims, statics):
    """``np.linalg.solve(a, b)`` of one matrix ``a``: b's dimensions. (Of a stack of
    matrices, NumPy 2 and 1 read a vector b differently: not known.)"""
    return dims[1] if dims[0] == 2 else None


def _rearranged_ndim(dims, statics):
    """``np.partition(x, kth, axis)``: x's dimensions, or one where axis is None (x
    flattened)."""
    axis = statics.get("axis")
    if not isinstance(axis, ast.Constant):
        return None
    return 1 if axis.value is None else dims[0]


def _matrix_ndim(dims, statics):
    """At least a matrix: a matrix (or a stack of them) keeps its dimensions; ``np.triu``
    of a vector is the matrix of its copies, one per row, a triangle of it kept, and
    ``scipy.linalg.expm`` of a number a 1 x 1 matrix."""
    return max(dims[0], 2)


def _diag_ndim(dims, statics):
    """``np.diag``: a vector makes a matrix, a matrix gives its diagonal."""
    return {1: 2, 2: 1}.get(dims[0])


def _expand_ndim(dims, statics):
    """``np.expand_dims(x, axis)``: one more dimension per axis."""
    n = _axis_count(statics.get("axis"))
    return None if n is None else dims[0] + n


def _squeeze_ndim(dims, statics):
    """``np.squeeze(x, axis)``: one dimension fewer per axis (a number stays one)."""
    n = _axis_count(statics.get("axis"))
    return 0 if dims[0] == 0 else None if n is None else dims[0] - n


def _inner_ndim(dims, statics):
    """``np.inner(x, y)``: the last axes contracted (a number scales)."""
    a, b = dims[0], dims[1]
    if b is None:
        return None
    return a + b if 0 in (a, b) else a + b - 2


def _tensordot_axes(axes):
    """How many axes pairs a static ``axes`` of np.tensordot contracts, or None."""
    if isinstance(axes, ast.Constant) and isinstance(axes.value, int):
        return axes.value
    if isinstance(axes, (ast.Tuple, ast.List)) and len(axes.elts) == 2 \
            and all(isinstance(p, (ast.Tuple, ast.List)) for p in axes.elts):
        return len(axes.elts[0].elts)
    return None


def _tensordot_ndim(dims, statics):
    """``np.tensordot(x, y, axes)``: each contracted pair removes two dimensions."""
    a, b = dims[0], dims[1]
    pairs = _tensordot_axes(statics.get("axes"))
    if b is None or pairs is None:
        return None
    return a + b - 2 * pairs


def _reduce_ndim(dims, statics):
    """``np.sum(x, axis, keepdims)``: x's dimensions but the summed ones (all of them when
    axis is None), or all of them with keepdims."""
    axis, keepdims = statics.get("axis"), statics.get("keepdims")
    if not isinstance(keepdims, ast.Constant):
        return None
    if keepdims.value:   # (of a number: a number for NumPy, a vector for scipy's logsumexp)
        return None if dims[0] == 0 else dims[0]
    if dims[0] == 0:
        return 0
    if isinstance(axis, ast.Constant) and axis.value is None:
        return 0
    if dims[0] is None:
        return None
    if isinstance(axis, ast.Constant) and isinstance(axis.value, int):
        return dims[0] - 1
    if isinstance(axis, ast.Tuple):
        return dims[0] - len(axis.elts)
    return None


def _reduce_full(fulls, statics):
    """The remaining axes are the operand's when keepdims is False."""
    keepdims = statics.get("keepdims")
    return fulls[0] is True and isinstance(keepdims, ast.Constant) and keepdims.value is False


def _reduce_number(statics):
    """A reduction over all axes (``axis=None``; not ``axis=0``, nor ``axis=False``, which
    is axis 0) without keepdims is a NumPy scalar."""
    axis, keepdims = statics.get("axis"), statics.get("keepdims")
    return isinstance(axis, ast.Constant) and axis.value is None \
        and isinstance(keepdims, ast.Constant) and not keepdims.value


def _quantile_ndim(dims, statics):
    """``np.quantile(x, q, axis, keepdims)``: q's dimensions, then x's as a reduction
    leaves them."""
    reduced = _reduce_ndim(dims[:1], statics)
    return None if reduced is None or dims[1] is None else dims[1] + reduced


# -- the kinds, and the one table from names to them -----------------------------------------

ELEMENTWISE = ResultShape("elementwise", _elementwise_ndim, elementwise=True,
                          tangent_from_adjoint=True)
SCALAR = ResultShape("scalar", lambda dims, statics: 0, full=lambda fulls, statics: True,
                     scalar=True, tangent_from_adjoint=True)
UNKNOWN = ResultShape("unknown")
#: a Python list or tuple (sorted(x), np.split(x, 2), np.linalg.eigh(a)): Python's operators
#: concatenate or repeat it (frontend/expressions.py refuses them on one)
SEQUENCE = ResultShape("sequence", sequence=True)

_KINDS = (
    ELEMENTWISE,
    SCALAR,
    ResultShape("same", lambda dims, statics: dims[0]),   # (the first input's ndim)
    ResultShape("like", lambda dims, statics: dims[0], full=lambda fulls, statics: fulls[0] is True,
                like_first=True),
    ResultShape("reduce", _reduce_ndim, full=_reduce_full, number=_reduce_number),
    ResultShape("quantile", _quantile_ndim),
    ResultShape("matmul", _matmul_ndim, full=_all_full),
    ResultShape("dot", _dot_ndim, full=_all_full),
    UNKNOWN,
    SEQUENCE,
    ResultShape("scan", _scan_ndim),
    ResultShape("reshape", _reshape_ndim),
    ResultShape("flat", lambda dims, statics: 1),
    ResultShape("expand", _known_first(_expand_ndim)),
    ResultShape("squeeze", _known_first(_squeeze_ndim)),
    ResultShape("diag", _known_first(_diag_ndim)),
    ResultShape("matrix", _known_first(_matrix_ndim)),
    ResultShape("rearranged", _known_first(_rearranged_ndim)),
    ResultShape("drop1", _known_first(_drop(1))),
    ResultShape("drop2", _known_first(_drop(2))),
    ResultShape("outer", lambda dims, statics: 2),
    ResultShape("inner", _known_first(_inner_ndim)),
    ResultShape("tensordot", _known_first(_tensordot_ndim)),
    ResultShape("solve", _solve_ndim),
)

#: the names rules and users give result shapes -> the kinds
SHAPES = {kind.name: kind for kind in _KINDS}


def result_shape(shape):
    """The ``ResultShape`` a rule declares, given by name (``"reduce"``) or as the object;
    a ValueError names the known kinds otherwise."""
    if isinstance(shape, ResultShape):
        return shape
    if isinstance(shape, str) and shape in SHAPES:
        return SHAPES[shape]
    raise ValueError(f"shape must be one of {tuple(SHAPES)}, not {shape!r}")
