"""The adjoints of joining arrays (np.concatenate, stack, hstack, vstack, np.block, np.r_, np.c_,
np.array of a list): the gradient cut back into one piece per item."""

import numpy as np

from .broadcast import rebroadcast, unbroadcast
from .values import adjoint_list, pair


def add_pieces(bars, pieces):
    """A list's adjoints plus one piece each (np.concatenate(xs) for a list xs)."""
    return [b + p for b, p in zip(bars, pieces)]


def add_nested_pieces(bars, items, bar, pieces):
    """Add ``pieces`` (an array's rows, or a list: one piece per item) to ``bar``, the adjoint
    list of the list of lists ``items``; each item, a list or tuple of its own (np.array of
    a list of rows), takes its piece, cut again, into its own adjoint list, found in
    ``bars`` by its identity (``adjoint_list``)."""
    for k, (item, piece) in enumerate(zip(items, pieces)):
        if isinstance(item, (list, tuple)):
            add_nested_pieces(bars, item, adjoint_list(bars, item), piece)
        else:
            bar[k] = bar[k] + piece


def join_parts(pieces, axis=0):
    """The adjoint of ``x`` in ``pieces = np.split(x, n, axis)`` (array_split, hsplit, vsplit,
    dsplit) from the pieces' adjoints (a list, or an object array, see parts): joined back
    along the axis split."""
    return np.concatenate(list(pieces), axis=axis)


def cut_parts(g, pieces, axis=0):
    """The adjoint of ``join_parts(pieces, axis)`` (differentiated gradient code): g cut
    back into pieces shaped like ``pieces``, in an object array (see parts)."""
    return pair(*concatenate_bar(g, list(pieces), axis))


def array_of_pieces(bars):
    """The adjoint of ``pieces = array_bar(g, xs)`` (differentiated gradient code): for a
    list ``xs``, the pieces' adjoints (held one per entry by an object array, see pair)
    stacked as g was (a zero of one item, a number, as big as the others); for an array or a
    number, g's copy's adjoint itself. (Also the tangent of np.array of a tuple a primitive
    returns, from the pair of its items' tangents: see ad/forward.py.)"""
    if isinstance(bars, np.ndarray) and bars.dtype == object:
        return np.stack(np.broadcast_arrays(*bars))
    return bars


def _as_items(bar, xs):
    """``bar(y_bar, items)`` for a list or tuple ``xs``; for an array, its rows' pieces
    stacked back into one array."""
    if isinstance(xs, (list, tuple)):
        return bar(list(xs))
    return np.array(bar(list(xs)))


def concatenate_bar(y_bar, xs, axis=0):
    """The adjoint of ``y = np.concatenate(xs, axis)``: y_bar cut back into pieces shaped like
    the items (axis None: of the flattened items)."""
    if not isinstance(xs, (list, tuple)):
        return _as_items(lambda items: concatenate_bar(y_bar, items, axis), xs)
    if axis is None:
        sizes = [np.size(x) for x in xs]
        return [np.reshape(p, np.shape(x))[()] for p, x in
                zip(np.split(y_bar, np.cumsum(sizes)[:-1]), xs)]
    sizes = [np.shape(x)[axis] for x in xs]
    return [np.array(p) for p in np.split(y_bar, np.cumsum(sizes)[:-1], axis=axis)]


def r_bar(y_bar, xs):
    """The adjoint of ``y = np.r_[xs]``: y_bar cut along the first axis into pieces shaped like
    the items (a number took one entry)."""
    pieces, start = [], 0
    for x in xs:
        n = np.shape(x)[0] if np.ndim(x) else 1
        pieces.append(np.reshape(y_bar[start:start + n], np.shape(x))[()])
        start += n
    return pieces


def c_bar(y_bar, xs):
    """The adjoint of ``y = np.c_[xs]``: y_bar cut along its last axis into pieces shaped like
    the items (a 1-d item or a number took one column)."""
    pieces, start = [], 0
    for x in xs:
        n = np.shape(x)[-1] if np.ndim(x) >= 2 else 1
        pieces.append(np.reshape(y_bar[..., start:start + n], np.shape(x))[()])
        start += n
    return pieces


def r_join(pieces):
    """The adjoint of ``pieces = r_bar(g, xs)`` (differentiated gradient code): np.r_ of the
    pieces' adjoints (a list, or an object array holding them, see pair)."""
    return np.r_[tuple(pieces)]


def c_join(pieces):
    """The adjoint of ``pieces = c_bar(g, xs)``: np.c_ of the pieces' adjoints."""
    return np.c_[tuple(pieces)]


def stack_bar(y_bar, xs, axis=0):
    """The adjoint of ``y = np.stack(xs, axis)`` (and ``np.array(xs)``): y_bar's slices along
    axis, each shaped like its item."""
    if not isinstance(xs, (list, tuple)):
        return _as_items(lambda items: stack_bar(y_bar, items, axis), xs)
    return [np.reshape(p, np.shape(x))[()] for p, x in
            zip(np.moveaxis(y_bar, axis, 0), xs)]


def array_bar(y_bar, xs):
    """The adjoint of ``y = np.array(xs)``: the items' slices of y_bar for a list or tuple,
    a copy of y_bar for an array or a number."""
    if isinstance(xs, (list, tuple)):
        return stack_bar(y_bar, xs, 0)
    return np.array(y_bar, dtype=np.result_type(y_bar, 1.0))[()]


def hstack_bar(y_bar, xs):
    """The adjoint of ``y = np.hstack(xs)``."""
    if not isinstance(xs, (list, tuple)):
        return _as_items(lambda items: hstack_bar(y_bar, items), xs)
    if all(np.ndim(x) <= 1 for x in xs):   # 1-d (or 0-d) items are joined end to end
        pieces = concatenate_bar(y_bar, [np.atleast_1d(x) for x in xs], 0)
        return [np.reshape(p, np.shape(x))[()] for p, x in zip(pieces, xs)]
    return concatenate_bar(y_bar, xs, 1)


def vstack_bar(y_bar, xs):
    """The adjoint of ``y = np.vstack(xs)``: 0-d and 1-d items are rows."""
    if not isinstance(xs, (list, tuple)):
        return _as_items(lambda items: vstack_bar(y_bar, items), xs)
    pieces = concatenate_bar(y_bar, [np.atleast_2d(x) for x in xs], 0)
    return [np.reshape(p, np.shape(x))[()] for p, x in zip(pieces, xs)]


def sum_bar(y_bar, xs):
    """The adjoint of ``y = sum(xs)`` (Python's sum, or math.fsum): y_bar for each item,
    summed down to the item's shape where the items broadcast against each other."""
    if not isinstance(xs, (list, tuple)):
        return _as_items(lambda items: sum_bar(y_bar, items), xs)
    return [unbroadcast(y_bar, x) for x in xs]


def sum_join(bars, g):
    """The adjoint of ``pieces = sum_bar(g, xs)`` (differentiated gradient code): the pieces'
    adjoints broadcast to g's shape and added."""
    total = 0.0
    for b in bars:
        total = total + rebroadcast(b, g)
    return total


def block_of(xs, layout):
    """``np.block`` of the items ``xs`` nested as ``layout`` says: nested tuples of the
    items' positions in ``xs`` (``((0, 1), (2, 3))`` for ``np.block([[a, b], [c, d]])``; an
    int for one item)."""
    def nested(part):
        return xs[part] if isinstance(part, int) else [nested(p) for p in part]

    return np.block(nested(layout))


def block_bar(y_bar, xs, layout):
    """The adjoint of ``y = block_of(xs, layout)``: y_bar cut back into one piece per item.
    NumPy gives each item leading axes of length 1 up to the result's number of dimensions
    (the deeper of the nesting and of the items), joins the innermost lists along the last
    axis, the lists holding them along the one before, and so on out; the cut retraces that,
    an inner block's extent along an outer axis being that of its first item."""
    depth, part = 0, layout
    while not isinstance(part, int):
        depth, part = depth + 1, part[0]
    ndim = max([depth] + [np.ndim(x) for x in xs])
    shapes = [(1,) * (ndim - np.ndim(x)) + np.shape(x) for x in xs]
    pieces = [None] * len(xs)

    def first(part):
        return part if isinstance(part, int) else first(part[0])

    def cut(g, part, level):
        if isinstance(part, int):
            pieces[part] = np.reshape(g, np.shape(xs[part]))[()]
            return
        axis = level - depth
        sizes = [shapes[first(p)][axis] for p in part]
        for p, piece in zip(part, np.split(g, np.cumsum(sizes)[:-1], axis=axis)):
            cut(piece, p, level + 1)

    cut(np.asarray(y_bar), layout, 0)
    return pieces
