"""The adjoints and tangents of Python's ``max``/``min`` of a sequence, ``sorted``, and
``list``/``tuple`` of one (and ``x.tolist()`` of a vector), of ``np.linalg.multi_dot``
(the product taken in the cheapest order), of ``np.gradient``, and the check that an
eigendecomposition is real.

Each ``*_bar`` helper is linear in its first argument and is the transpose of the
``*_dot`` helper beside it: together they are their own second derivatives."""

import numpy as np

from .values import pair, zeros_like


def _first_index(xs, m):
    """The index Python's max and min return from: the first item equal to ``m``."""
    for k, x in enumerate(xs):
        if x == m:
            return k
    return 0   # (m is NaN: max gives the first item when it is NaN)


def extreme_bar(g, xs, m):
    """The adjoint of ``m = max(xs)`` (or ``min``): all of g to the item returned, the first
    one equal to m (a list's pieces, or an array of the shape of an array xs)."""
    k = _first_index(xs, m)
    if isinstance(xs, (list, tuple)):
        pieces = [zeros_like(x) for x in xs]
        pieces[k] = g
        return pair(*pieces)   # (an object array: two of them add item by item)
    out = np.zeros(np.shape(xs), dtype=np.result_type(xs, g, 1.0))
    out[k] = g
    return out


def extreme_dot(t, xs, m):
    """The tangent of ``m = max(xs)``: the tangent of the item returned (``extreme_bar``'s
    transpose)."""
    return t[_first_index(xs, m)]


def _sorted_order(xs, reverse):
    """The indices of the items of xs in the order Python's (stable) ``sorted`` puts them."""
    return sorted(range(len(xs)), key=lambda k: xs[k], reverse=bool(reverse))


def sorted_bar(g, xs, reverse=False):
    """The adjoint of ``y = sorted(xs)``: y's j-th adjoint goes back to the item sorted j-th
    (g: a list, an object array of pieces, or an array)."""
    return _to_places(g, xs, _sorted_order(xs, reverse))


def sorted_dot(t, xs, reverse=False):
    """The tangent of ``y = sorted(xs)``: the items' tangents in the sorted order."""
    return _in_order(t, _sorted_order(xs, reverse))


def items_bar(g, xs):
    """The adjoint of ``y = list(xs)`` or ``tuple(xs)`` (an array's rows or entries, a
    list's items): y's k-th adjoint is xs's k-th item's."""
    return _to_places(g, xs, range(len(xs)))


def items_dot(t, xs):
    """The tangent of ``y = list(xs)`` or ``tuple(xs)``: the items' tangents."""
    return _in_order(t, range(len(xs)))


def entries_bar(g, x):
    """The adjoint of ``y = x.tolist()`` for a 1-d array x (``items_bar``); of an array of
    other dimensions, whose nested lists adcompile does not differentiate, an error."""
    return items_bar(g, _vector(x))


def entries_dot(t, x):
    """The tangent of ``y = x.tolist()`` for a 1-d array x (``items_dot``)."""
    return items_dot(t, _vector(x))


def _vector(x):
    """``x``, checked to be a 1-d array."""
    if np.ndim(x) != 1:
        raise ValueError(f"adcompile differentiates x.tolist() of a 1-d array x only, not of "
                         f"an array of {np.ndim(x)} dimensions (it gives nested lists); use "
                         f"list(x) for its rows, or x.ravel().tolist()")
    return x


def _to_places(g, xs, order):
    """xs's adjoint from ``g``, the adjoint of a sequence whose j-th item is xs's item
    ``order[j]``: a list's pieces, or an array of xs's shape."""
    if isinstance(xs, (list, tuple)):
        pieces = [zeros_like(x) for x in xs]
        for j, k in enumerate(order):
            pieces[k] = g[j]
        return pair(*pieces)
    out = np.zeros(np.shape(xs), dtype=np.result_type(xs, 1.0))
    out[np.array(order, dtype=int)] = [g[j] for j in range(len(order))]
    return out


def _in_order(t, order):
    """The items ``order`` of the tangent ``t`` (an array, or a list's pieces), in order: an
    array of numbers for items that are numbers, else pieces (an array's rows are the
    pieces getitem_bar gives a list of them, one per item: a matrix would be read as one
    value of the list's shape)."""
    if isinstance(t, np.ndarray) and t.dtype != object and t.ndim == 1:
        return t[np.array(order, dtype=int)]
    return pair(*[t[k] for k in order])


# -- np.linalg.multi_dot ------------------------------------------------------------------

def _chain_order(dims):
    """The cheapest way to multiply matrices of shapes (dims[i], dims[i + 1]): split[i][j]
    is where the product of matrices i..j is cut (the matrix-chain dynamic programme)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for s in range(i, j):
                c = cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, s
    return split


def _as_chain(xs):
    """The operands of multi_dot as matrices: a 1-d first one a row, a 1-d last one a
    column."""
    mats = [np.asarray(x) for x in xs]
    if mats[0].ndim == 1:
        mats[0] = mats[0][np.newaxis, :]
    if mats[-1].ndim == 1:
        mats[-1] = mats[-1][:, np.newaxis]
    return mats


def multi_dot_bar(g, xs):
    """The adjoint of ``y = np.linalg.multi_dot(xs)``: each operand's adjoint, computed down
    the tree of products in the cheapest order (each product of the tree once); for an
    array xs (whose rows are the operands), an array of them."""
    mats = _as_chain(xs)
    split = _chain_order([m.shape[0] for m in mats] + [mats[-1].shape[1]])
    products = {}

    def product(i, j):
        if i == j:
            return mats[i]
        if (i, j) not in products:
            s = split[i][j]
            products[i, j] = product(i, s) @ product(s + 1, j)
        return products[i, j]

    bars = [None] * len(mats)

    def down(i, j, bar):
        if i == j:
            bars[i] = bar
            return
        s = split[i][j]
        down(i, s, bar @ product(s + 1, j).T)
        down(s + 1, j, product(i, s).T @ bar)

    rows, cols = mats[0].shape[0], mats[-1].shape[1]
    down(0, len(mats) - 1, np.reshape(g, (rows, cols)))
    bars = [np.reshape(b, np.shape(x)) for b, x in zip(bars, xs)]
    return np.stack(bars) if isinstance(xs, np.ndarray) else bars   # (an array's: its rows)


def multi_dot_dot(ts, xs):
    """The tangent of ``y = np.linalg.multi_dot(xs)``: the sum over the operands of the
    product with that operand's tangent in its place."""
    total = 0.0
    for k in range(len(xs)):
        total = total + np.linalg.multi_dot(list(xs[:k]) + [ts[k]] + list(xs[k + 1:]))
    return total


# -- np.gradient ---------------------------------------------------------------------------

def _gradient_axes(ndim, axis):
    if axis is None:
        return list(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return [a % ndim for a in axes]


def gradient_of(f, spacing=None, axis=None, edge_order=1):
    """``np.gradient(f, spacing, axis=axis, edge_order=edge_order)``, spacing None being
    NumPy's default (the adjoint of ``gradient_bar``)."""
    args = () if spacing is None else (spacing,)
    out = np.gradient(f, *args, axis=axis, edge_order=edge_order)
    return pair(*out) if isinstance(out, (tuple, list)) else out   # (parts add up as one)


def gradient_bar(g, f, spacing=None, axis=None, edge_order=1):
    """The adjoint of ``y = np.gradient(f, spacing, axis=axis, edge_order=edge_order)``
    (linear in f): along each axis, the transpose of the matrix D with ``D @ v ==
    np.gradient(v)`` for a vector v of that length, D made by np.gradient itself from the
    identity, so every spacing and edge order NumPy takes is followed exactly. g is one
    adjoint (one axis) or one per axis (several: NumPy returns a tuple of arrays)."""
    f = np.asarray(f)
    axes = _gradient_axes(f.ndim, axis)
    parts = [g] if len(axes) == 1 else list(g)
    dtype = np.result_type(f, *parts, 1.0)   # (float32 stays)
    out = np.zeros(f.shape, dtype=dtype)
    for a, part in zip(axes, parts):
        n = f.shape[a]
        D = gradient_of(np.eye(n), spacing, 0, edge_order).astype(dtype)
        moved = np.moveaxis(np.broadcast_to(part, f.shape), a, -1) @ D
        out = out + np.moveaxis(moved, -1, a)
    return out


# -- eigendecompositions --------------------------------------------------------------------

def real_eigen(value, what):
    """``value`` (eigenvalues or eigenvectors) when it is real; a ValueError otherwise:
    adcompile differentiates ``what`` only where its results are real."""
    if np.iscomplexobj(value):
        raise ValueError(f"{what} gave complex results here: adcompile differentiates it only "
                         f"where the eigenvalues are real (a symmetric matrix: use "
                         f"np.linalg.eigh); complex numbers are not differentiated")
    return value


def eig_dot(dx, w, V):
    """The tangent of ``(w, V) = np.linalg.eig(x)`` along dx (real, distinct eigenvalues; unit
    columns of V): with M = V^-1 dx V, dw = diag(M) and dV = V (F * M) less each column's
    change of length, F[i, j] = 1 / (w[j] - w[i]) off the diagonal."""
    w = real_eigen(w, "np.linalg.eig")
    V = real_eigen(V, "np.linalg.eig")
    M = np.linalg.solve(V, dx @ V)
    eye = np.eye(np.shape(V)[-1], dtype=V.dtype)
    F = (1.0 - eye) / (np.expand_dims(w, -2) - np.expand_dims(w, -1) + eye)
    dV = V @ (F * M)
    dV = dV - V * np.expand_dims(np.sum(V * dV, axis=-2), -2)
    return pair(np.diagonal(M, axis1=-2, axis2=-1), dV)


def corrcoef_dot(dx, x, rowvar=True):
    """The tangent of ``R = np.corrcoef(x, rowvar=rowvar)`` along dx."""
    X, dX = (np.atleast_2d(x), np.atleast_2d(dx)) if rowvar else \
        (np.atleast_2d(np.transpose(x)), np.atleast_2d(np.transpose(dx)))
    Xc = X - np.mean(X, axis=1, keepdims=True)
    dXc = dX - np.mean(dX, axis=1, keepdims=True)
    C = Xc @ Xc.T
    dC = dXc @ Xc.T + Xc @ dXc.T
    d = np.diagonal(C)
    s = np.sqrt(d)
    R = C / np.outer(s, s)
    ratio = np.diagonal(dC) / d
    dR = dC / np.outer(s, s) - 0.5 * R * (ratio[:, np.newaxis] + ratio[np.newaxis, :])
    return np.reshape(dR, np.shape(np.corrcoef(x, rowvar=rowvar)))
