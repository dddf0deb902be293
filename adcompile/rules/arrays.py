"""Adjoints of NumPy's rearrangements and selections: flips and rotations, views with more
dimensions, diagonals, differences, splits and joins, picking entries by index, sorting.

All but sorting are linear in their one array, so their tangent is the primitive applied
to the tangent; the adjoints scatter back (runtime/gathers.py), duplicates adding up.
"""
# ruff: noqa: F821, F841

import numpy as np

from . import adjoint, nondifferentiable, tangent


@adjoint(np.flipud, shape="like", linear=True)
def flipud(y, x):
    x_bar += np.flipud(y_bar)


@adjoint(np.fliplr, shape="like", linear=True)
def fliplr(y, x):
    x_bar += np.fliplr(y_bar)


@adjoint(np.rot90, shape="same", linear=True)
def rot90(y, x, k=1, axes=(0, 1)):
    # turning back: k quarter turns the other way
    x_bar += np.rot90(y_bar, -k, axes)


@adjoint(np.atleast_1d, np.atleast_2d, np.atleast_3d, shape="unknown", linear=True)
def atleast_nd(y, x):
    # one array (several give a list, which is refused): the same entries, more axes
    x_bar += np.reshape(y_bar, np.shape(x))


@adjoint(np.diagonal, methods=("diagonal",), shape="unknown", linear=True)
def diagonal(y, x, offset=0, axis1=0, axis2=1):
    x_bar += diagonal_bar(y_bar, x, offset, axis1, axis2)


@adjoint(np.diff, shape="same", linear=True)
def diff(y, x, n=1, axis=-1):
    # (prepend= and append= by keyword: the differences of the joined array, see
    # frontend/rewritten_calls.py; by position, refused: not parameters of this rule)
    x_bar += diff_bar(y_bar, n, axis)


# the pieces' adjoints (zero for unused pieces) joined back along the axis split

@adjoint(np.hsplit, shape="sequence", linear=True)
def hsplit(y, x, indices_or_sections=None):
    # the second axis, the first of a vector
    x_bar += join_parts(y_bar, min(np.ndim(x) - 1, 1))


@adjoint(np.vsplit, shape="sequence", linear=True)
def vsplit(y, x, indices_or_sections=None):
    x_bar += join_parts(y_bar, 0)


@adjoint(np.dsplit, shape="sequence", linear=True)
def dsplit(y, x, indices_or_sections=None):
    x_bar += join_parts(y_bar, 2)


@adjoint(np.column_stack, shape="unknown", sequence="xs")
def column_stack(y, xs):
    xs_bar += column_stack_bar(y_bar, xs)


@adjoint(np.dstack, shape="unknown", sequence="xs")
def dstack(y, xs):
    xs_bar += dstack_bar(y_bar, xs)


@adjoint(np.block, shape="unknown", sequence="xs")
def block(y, xs, layout=0):
    # np.block([[a, b], [c, d]]) is written block_of([a, b, c, d], ((0, 1), (2, 3))) (the
    # items, and where each sits: frontend/rewritten_calls.py); the adjoint cuts y_bar back
    xs_bar += block_bar(y_bar, xs, layout)


@adjoint(np.append, shape="unknown")
def append(y, arr, values, axis=None):
    # np.concatenate((arr, values), axis), both flattened when axis is None
    if axis is None:
        arr_bar += np.reshape(y_bar[:np.size(arr)], np.shape(arr))
        values_bar += np.reshape(y_bar[np.size(arr):], np.shape(values))
    else:
        arr_bar += np.take(y_bar, np.arange(np.shape(arr)[axis]), axis)
        values_bar += np.take(y_bar, np.arange(np.shape(arr)[axis], np.shape(y_bar)[axis]), axis)


@tangent(np.append)
def append_tangent(y, arr, values, axis=None):
    y_dot += np.append(arr_dot, np.zeros_like(values), axis)
    y_dot += np.append(np.zeros_like(arr), values_dot, axis)


@adjoint(np.meshgrid, shape="sequence", optional=("b", "c"))
def meshgrid(y, a, b, c, copy=True, sparse=False, indexing="xy"):
    # one, two or three inputs (more are refused), each flattened and repeated along the
    # other outputs' axes: its adjoint sums its output's adjoint over them (meshgrid_bar).
    # copy=False (outputs that are views of the inputs) is refused
    if copy is True or copy == 1:
        a_bar += meshgrid_bar(y_bar, a, 0, indexing)
        b_bar += meshgrid_bar(y_bar, b, 1, indexing)
        c_bar += meshgrid_bar(y_bar, c, 2, indexing)
    else:
        unsupported("np.meshgrid is differentiated with copy=True (the default) only: its "
                    "outputs are then new arrays, not views of the inputs")


@tangent(np.meshgrid)
def meshgrid_tangent(y, a, b, c, copy=True, sparse=False, indexing="xy"):
    if copy is True or copy == 1:
        y_dot += meshgrid_dot(a_dot, y, 0, indexing)
        y_dot += meshgrid_dot(b_dot, y, 1, indexing)
        y_dot += meshgrid_dot(c_dot, y, 2, indexing)
    else:
        unsupported("np.meshgrid is differentiated with copy=True (the default) only: its "
                    "outputs are then new arrays, not views of the inputs")


@adjoint(np.bincount, shape="flat", linear=True, optional=("weights",), constant=("x",))
def bincount(y, x, weights, minlength=0):
    # y[k] sums the weights of the entries of x equal to k, in float64 whatever their
    # precision: a weight's adjoint is y_bar at its bin, in its own precision. The bins are
    # integers: no gradient
    weights_bar += astype_bar(np.take(y_bar, x), np.float64, np.result_type(weights))


# np.delete and np.insert: y holds entries of arr (and of values) at places the positions of
# those entries, deleted or inserted alike, show; the adjoints go back there (placed_bar), the
# tangents are taken from there (placed_dot). The indices obj are integers: no gradient

@adjoint(np.delete, shape="unknown", linear=True, constant=("obj",))
def delete(y, arr, obj, axis=None):
    arr_bar += placed_bar(y_bar, arr, np.delete(np.arange(np.size(arr)).reshape(np.shape(arr)), obj, axis))


@adjoint(np.insert, shape="unknown", constant=("obj",))
def insert(y, arr, obj, values, axis=None):
    arr_bar += placed_bar(y_bar, arr, insert_sources(arr, obj, values, axis)[0])
    values_bar += placed_bar(y_bar, values, insert_sources(arr, obj, values, axis)[1])


@tangent(np.insert)
def insert_tangent(y, arr, obj, values, axis=None):
    y_dot += placed_dot(arr_dot, insert_sources(arr, obj, values, axis)[0])
    y_dot += placed_dot(values_dot, insert_sources(arr, obj, values, axis)[1])


@adjoint(np.take, methods=("take",), shape="unknown", linear=True, constant=("indices",))
def take(y, x, indices, axis=None):
    x_bar += take_bar(y_bar, x, indices, axis)


@adjoint(np.take_along_axis, shape="unknown", linear=True, constant=("indices",))
def take_along_axis(y, x, indices, axis=-1):
    x_bar += take_along_axis_bar(y_bar, x, indices, axis)


@adjoint(np.lib.stride_tricks.sliding_window_view, shape="unknown", linear=True)
def sliding_window_view(y, x, window_shape, axis=None):
    # a view of overlapping windows (subok= and writeable= are refused: not keywords of
    # this rule); the adjoint adds each window's back where it was read
    x_bar += sliding_window_bar(y_bar, x, window_shape, axis)


# np.maximum.accumulate and np.minimum.accumulate (a running extreme): each entry of y is one
# entry of x, the one where y last changed (running_source; a tie keeps the earlier one),
# which gets its gradient

@adjoint(np.maximum.accumulate, np.minimum.accumulate, shape="like")
def running_extreme(y, x, axis=0):
    x_bar += take_along_axis_bar(y_bar, x, running_source(y, axis), axis)


@tangent(np.maximum.accumulate, np.minimum.accumulate)
def running_extreme_tangent(y, x, axis=0):
    y_dot += np.take_along_axis(x_dot, running_source(y, axis), axis)


# np.logaddexp.reduce(x): log(sum(exp(x))) along axis 0 (or the axes given; None: all), what
# scipy.special.logsumexp computes: each entry gets the share exp(x - y) of the result's
# gradient. (Its third and fourth parameters are dtype and out, as for every ufunc.reduce.)

@adjoint(np.logaddexp.reduce, shape="reduce")
def logaddexp_reduce(y, x, axis=0, dtype=None, out=None, keepdims=False):
    # (a test not decided when the code is made takes the else branch: the refusal)
    if dtype is None and out is None:
        x_bar += unreduce(y_bar, x, axis=axis, keepdims=keepdims) * np.exp(x - unreduce(y, x, axis=axis, keepdims=keepdims))
    else:
        unsupported("np.logaddexp.reduce with dtype= or out= is not differentiated")


@tangent(np.logaddexp.reduce)
def logaddexp_reduce_tangent(y, x, axis=0, dtype=None, out=None, keepdims=False):
    if dtype is None and out is None:
        y_dot += np.sum(x_dot * np.exp(x - unreduce(y, x, axis=axis, keepdims=keepdims)), axis=axis, keepdims=keepdims)
    else:
        unsupported("np.logaddexp.reduce with dtype= or out= is not differentiated")


@adjoint(np.sort, shape="unknown")
def sort(y, x, axis=-1):
    # the sorted entries go back where they came from (ties: in the order a stable sort
    # leaves them); axis None sorts the flattened x
    x_bar += take_along_axis_bar(y_bar, x, np.argsort(x, axis=axis, kind="stable"), axis)


@tangent(np.sort)
def sort_tangent(y, x, axis=-1):
    if ndim(x) == 0:   # (np.sort(x, axis=None) of a number: a vector of one entry)
        y_dot += np.reshape(x_dot, (1,))
    elif axis is None:   # (the flattened x sorted; x's ndim may be known only when it runs)
        y_dot += np.ravel(x_dot)[np.argsort(x, axis=None, kind="stable")]
    else:
        y_dot += np.take_along_axis(x_dot, np.argsort(x, axis=axis, kind="stable"), axis)


nondifferentiable(np.searchsorted, np.argpartition, np.digitize, np.count_nonzero,
                  np.isclose, np.allclose, np.array_equal, np.signbit, np.diag_indices_from,
                  np.tril_indices_from, np.triu_indices_from)


@adjoint(np.partition, shape="rearranged")
def partition(y, x, kth=None, axis=-1):
    # y is a rearrangement of x: each entry of y goes back to the entry of x it is (ties in
    # value: in the order a stable sort leaves them). perm with x[perm] == y: the indices
    # sorting x, in the order of y's ranks
    x_bar += take_along_axis_bar(y_bar, x, np.take_along_axis(np.argsort(x, axis=axis, kind="stable"), np.argsort(np.argsort(y, axis=axis, kind="stable"), axis=axis, kind="stable"), axis), axis)


@tangent(np.partition)
def partition_tangent(y, x, kth=None, axis=-1):
    y_dot += np.take_along_axis(x_dot, np.take_along_axis(np.argsort(x, axis=axis, kind="stable"), np.argsort(np.argsort(y, axis=axis, kind="stable"), axis=axis, kind="stable"), axis), axis)


@adjoint(np.gradient, shape="unknown", linear=True)
def gradient(y, f, varargs=None, axis=None, edge_order=1):
    # linear in f. varargs: one spacing (a number, or coordinates along the one axis), not
    # differentiated; several are refused. The adjoint: the transpose of the difference
    # operator along each axis
    f_bar += gradient_bar(y_bar, f, varargs, axis, edge_order)


@adjoint(np.linspace, shape="unknown", floating=("dtype",))
def linspace(y, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    # y = start + (stop - start) t with t = linspace(0, 1, num, endpoint) along axis: start
    # gets (1 - t), stop gets t (exactly 1 at the end point, as NumPy puts stop there); a
    # dtype only a real floating type written in the call (the precision y is computed in)
    if retstep is True or retstep == 1:
        unsupported("np.linspace with retstep=True is not differentiated")
    else:
        t = np.moveaxis(np.reshape(np.linspace(0.0, 1.0, num, endpoint=endpoint, dtype=np.result_type(y)), (-1,) + (1,) * (np.ndim(y) - 1)), 0, axis)
        start_bar += unbroadcast(np.sum(y_bar * (1.0 - t), axis=axis), start)
        stop_bar += unbroadcast(np.sum(y_bar * t, axis=axis), stop)


@tangent(np.linspace)
def linspace_tangent(y, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    if retstep is True or retstep == 1:
        unsupported("np.linspace with retstep=True is not differentiated")
    else:
        y_dot += np.expand_dims(np.broadcast_to(start_dot, np.shape(np.sum(y, axis=axis))), axis) * (1.0 - np.moveaxis(np.reshape(np.linspace(0.0, 1.0, num, endpoint=endpoint, dtype=np.result_type(y)), (-1,) + (1,) * (np.ndim(y) - 1)), 0, axis))
        y_dot += np.expand_dims(np.broadcast_to(stop_dot, np.shape(np.sum(y, axis=axis))), axis) * np.moveaxis(np.reshape(np.linspace(0.0, 1.0, num, endpoint=endpoint, dtype=np.result_type(y)), (-1,) + (1,) * (np.ndim(y) - 1)), 0, axis)
