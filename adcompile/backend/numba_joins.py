"""The numba version of ``concatenate_bar`` (runtime/joins.py), the adjoint of
``np.concatenate(xs, axis)``: the gradient cut back into one piece per item
(backend="numba", jit.py). An LSTM written ``z = np.concatenate([h, x]); gates = W @ z + b``
calls it once a step.

It takes a floating array ``y_bar`` of one or more dimensions and the items as a list (of
arrays of one type) or a tuple of arrays, with an integer axis (a constant or not,
negative too) or None, and gives the Python helper's pieces: new C-ordered arrays of
``y_bar``'s dtype, each of its item's shape, a list for a list of items and a tuple for a
tuple (numba's lists hold values of one type; the generated code reads the pieces by
position). Other types are refused at typing (an array of items, 0-d items, numbers), so
that the plain code runs. Where ``y_bar``'s shape is not the items' joined (which the
generated code never gives) the call runs as Python (``RunsAsPython``)."""

import numpy as np

from .numba_python_calls import RunsAsPython


class PiecesAsPython(RunsAsPython):
    """A gradient whose shape is not that of the items joined: Python's helper cuts it."""


def join_helpers(kinds, overload):
    """canonical name -> stub, its overload registered."""
    import numba

    jitted = {"cut": numba.njit(_cut), "flat": numba.njit(_flat_piece),
              "length": numba.njit(_length), "blocks_of": numba.njit(_blocks_of)}
    types = kinds.types

    def concatenate_bar(y_bar, xs, axis=0):
        raise NotImplementedError   # (only numba calls it: see the overload)

    @overload(concatenate_bar)
    def _concatenate_bar(y_bar, xs, axis=0):
        if not kinds.array(y_bar, floating=True) or y_bar.ndim == 0:
            return None
        items = _item_types(xs, types)
        if items is None or any(t.ndim == 0 for t in items):
            return None
        flatten = kinds.absent(axis)
        if not flatten and not (isinstance(axis, types.Integer) or isinstance(axis, int)):
            return None
        if flatten and y_bar.ndim != 1 or not flatten and any(t.ndim != y_bar.ndim
                                                              for t in items):
            return None
        return _cutting(len(items) if isinstance(xs, types.BaseTuple) else None,
                        "flat" if flatten else "cut", jitted)

    return {"concatenate_bar": concatenate_bar}


def _cutting(count, piece, jitted):
    """The implementation for a list of items (``count`` None: a list of pieces) or a tuple
    of ``count`` (a tuple of pieces, written out: numba builds tuples of a known length and
    indexes a tuple of several types by constants only)."""
    if count is None:
        text = ("def made(y_bar, xs, axis=0):\n"
                "    lengths = np.empty(len(xs), np.int64)\n"
                "    for k in range(len(xs)):\n"
                "        lengths[k] = length(y_bar, xs[k], axis)\n"
                "    blocks, starts = blocks_of(y_bar, lengths, axis)\n"
                "    return [piece(blocks, starts[k], starts[k + 1], xs[k])\n"
                "            for k in range(len(xs))]\n")
    else:
        text = ("def made(y_bar, xs, axis=0):\n"
                "    lengths = np.array(({}), np.int64)\n"
                "    blocks, starts = blocks_of(y_bar, lengths, axis)\n"
                "    return ({})\n").format(
                    "".join(f"length(y_bar, xs[{k}], axis), " for k in range(count)),
                    "".join(f"piece(blocks, starts[{k}], starts[{k + 1}], xs[{k}]), "
                            for k in range(count)))
    namespace = {"np": np, "piece": jitted[piece], "length": jitted["length"],
                 "blocks_of": jitted["blocks_of"]}
    exec(text, namespace)
    return namespace["made"]


def _item_types(xs, types):
    """The numba types of the items of ``xs``: a list of arrays, or a tuple of arrays;
    None for anything else."""
    if isinstance(xs, types.List):
        items = [xs.dtype]
    elif isinstance(xs, types.BaseTuple) and len(xs) > 0:
        items = list(xs.types)
    else:
        return None
    if not all(isinstance(t, types.Array) for t in items):
        return None
    return items


def _length(y, x, axis):
    """How long the item ``x`` is along the axis joined (its size for axis None);
    PiecesAsPython where its other lengths are not the gradient ``y``'s."""
    if axis is None:
        return x.size
    a = axis + y.ndim if axis < 0 else axis
    if not 0 <= a < y.ndim:
        raise PiecesAsPython("an axis out of range")
    for d in range(y.ndim):
        if d != a and x.shape[d] != y.shape[d]:
            raise PiecesAsPython("a gradient whose shape is not the joined items'")
    return x.shape[a]


def _blocks_of(y_bar, lengths, axis):
    """``y_bar`` as a C-ordered array of three dimensions (the axes before ``axis``, axis,
    those after; for axis None, (1, size, 1)), and where along its middle axis each item's
    piece starts (one more entry: the end), from the items' ``lengths`` along it;
    PiecesAsPython where they do not add up to y_bar's length."""
    y = np.ascontiguousarray(y_bar)
    starts = np.zeros(len(lengths) + 1, np.int64)
    for k in range(len(lengths)):
        starts[k + 1] = starts[k] + lengths[k]
    if axis is None:
        if starts[-1] != y.size:
            raise PiecesAsPython("a gradient whose shape is not the joined items'")
        return y.reshape((1, y.size, 1)), starts
    a = axis + y.ndim if axis < 0 else axis
    outer, inner = 1, 1
    for d in range(y.ndim):
        if d < a:
            outer *= y.shape[d]
        elif d > a:
            inner *= y.shape[d]
    if starts[-1] != y.shape[a]:
        raise PiecesAsPython("a gradient whose shape is not the joined items'")
    return y.reshape((outer, y.shape[a], inner)), starts


def _cut(blocks, start, stop, x):
    """The piece of ``blocks`` (see _blocks_of) from ``start`` to ``stop`` along its middle
    axis: a new C-ordered array of x's shape."""
    return blocks[:, start:stop, :].copy().reshape(x.shape)


def _flat_piece(blocks, start, stop, x):
    """The piece of the flattened gradient from ``start`` to ``stop``, shaped like ``x`` (a
    new C-ordered array)."""
    return blocks[0, start:stop, 0].copy().reshape(x.shape)
