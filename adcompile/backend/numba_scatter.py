"""The adjoint of ``x[index]`` for an index holding one array of integers, compiled by
numba (backend="numba"): numba_helpers.py's ``getitem_bar`` calls ``array_scatter`` for
an index of one integer array (of any number of dimensions) and slices, where the runtime
sums into the gradient with ``np.add.at`` (an index may repeat). The items the array picks
along its axis are added one at a time, in order, into a view of the zeros with that axis
first, so a repeated index sums as NumPy's ``np.add.at`` does. Negative indices count from
the end; one out of range is an IndexError. Other indexes with arrays (two arrays, an
array next to an int, None or Ellipsis, booleans) are refused."""

import numpy as np

#: the implementation made for each (number of parts, position of the array)
_made = {}


def array_scatter(x, index, types, dtype):
    """An implementation of ``getitem_bar(y_bar, x, index)`` for the numba types ``x`` and
    ``index`` in the precision ``dtype``, or None where ``index`` is not one integer array
    among slices (at most as many as x has axes)."""
    parts = index.types if isinstance(index, types.BaseTuple) else (index,)
    arrays = [i for i, p in enumerate(parts) if isinstance(p, types.Array)]
    if len(arrays) != 1 or not isinstance(parts[arrays[0]].dtype, types.Integer) \
            or isinstance(parts[arrays[0]].dtype, types.Boolean) \
            or not all(isinstance(p, types.SliceType) for i, p in enumerate(parts)
                       if i != arrays[0]) or len(parts) > x.ndim:
        return None
    key = (len(parts), arrays[0], isinstance(index, types.BaseTuple), x.ndim, dtype)
    if key not in _made:
        _made[key] = _implementation(*key)
    return _made[key]


def _implementation(count, at, is_tuple, ndim, dtype):
    """The implementation for an index of ``count`` parts with the array at ``at`` into an
    array of ``ndim`` dimensions, compiled by exec (numba needs the parts by constant
    positions): the sums go into zeros of the sliced view's shape, seen as (before the
    array's axis, along it, after it), then into the view."""
    part = (lambda i: f"index[{i}]") if is_tuple else (lambda i: "index")
    view = ", ".join(":" if i == at else part(i) for i in range(count))
    before = " * ".join(f"view.shape[{i}]" for i in range(at)) or "1"
    after = " * ".join(f"view.shape[{i}]" for i in range(at + 1, ndim)) or "1"
    text = f"""
def scatter(y_bar, x, index):
    x_bar = np.zeros(x.shape, dtype)
    view = x_bar[{view}]
    picks = np.ascontiguousarray({part(at)})
    picks = picks.reshape(picks.size)
    shape = view.shape[:{at}] + {part(at)}.shape + view.shape[{at + 1}:]
    g = np.ascontiguousarray(np.broadcast_to(y_bar, shape))
    n = view.shape[{at}]
    sums = np.zeros(view.shape, dtype)
    into = sums.reshape(({before}, n, {after}))
    given = g.reshape(({before}, picks.size, {after}))
    for j in range(picks.size):
        k = picks[j]
        if k < 0:
            k += n
        if k < 0 or k >= n:
            raise IndexError("index out of bounds")
        into[:, k, :] += given[:, j, :]
    x_bar[{view}] = sums
    return x_bar
"""
    space = {"np": np, "dtype": dtype}
    exec(text, space)
    return space["scatter"]
