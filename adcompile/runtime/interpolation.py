"""The derivatives of ``np.interp(x, xp, fp, left, right, period)``, piecewise linear
interpolation in a table: linear in ``fp``, piecewise linear in ``x``.

Each x falls in a segment of the table, between the points ``i`` and ``k`` of ``fp``, at a
fraction ``t`` of its width; np.interp's value there is ``fp[i] (1 - t) + fp[k] t``, and
beyond the table (without ``period``) ``fp``'s first or last value, or the constant
``left`` or ``right``. The derivative in x is the segment's slope (0 beyond the table; at a
point of the table, the slope of the segment np.interp starts there, as autodiff tools
do); the derivative in fp is those weights. The breakpoints ``xp`` are not differentiated.
"""

import numpy as np


def _segments(x, xp, period=None):
    """(i, k, t, width, below, above) for each x (as np.interp takes it): the indices into
    fp of the ends of its segment, its fraction of the way along it, the segment's width,
    and whether x lies below or above the table (never, with ``period``)."""
    x = np.asarray(x, dtype=np.float64)
    xp = np.asarray(xp, dtype=np.float64)
    order = np.arange(len(xp))
    if period is not None:   # as np.interp: everything modulo period, the table sorted
        period = abs(period)
        x, xp = x % period, xp % period
        order = np.argsort(xp)
        xp = np.concatenate((xp[order][-1:] - period, xp[order], xp[order][:1] + period))
        order = np.concatenate((order[-1:], order, order[:1]))
    if len(xp) < 2:   # one point: its value everywhere in the table
        zeros = np.zeros(x.shape, dtype=np.intp)
        return zeros, zeros, np.zeros(x.shape), np.ones(x.shape), x < xp[0], x > xp[0]
    j = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 2)
    width = xp[j + 1] - xp[j]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(width > 0, (x - xp[j]) / np.where(width > 0, width, 1.0), 0.0)
    return order[j], order[j + 1], t, width, x < xp[0], x > xp[-1]


def interp_slope(x, xp, fp, left=None, right=None, period=None):
    """d np.interp(x, xp, fp, ...) / dx: the slope of the segment each x falls in; 0 beyond
    the table, where the value does not change with x."""
    i, k, _, width, below, above = _segments(x, xp, period)
    fp = np.asarray(fp)
    inside = ~(below | above) & (width > 0)
    slope = np.where(inside, (fp[k] - fp[i]) / np.where(inside, width, 1.0), 0.0)
    return slope.astype(np.result_type(fp, 1.0), copy=False)[()]


def interp_fp_bar(g, x, xp, fp, left=None, right=None, period=None):
    """The adjoint of ``fp`` in ``y = np.interp(x, xp, fp, left, right, period)``, for the
    adjoint ``g`` of y: each g shared by the two ends of its segment as the weights of
    the interpolation, all of it to fp's first (last) value below (above) the table where
    np.interp takes that value (``left`` or ``right`` is None)."""
    i, k, t, _, below, above = _segments(x, xp, period)
    fp = np.asarray(fp)
    g = np.broadcast_to(np.asarray(g, dtype=np.result_type(g, fp, 1.0)), t.shape)
    inside = ~(below | above)
    n = len(fp)
    out = np.bincount(i.ravel(), np.where(inside, g * (1.0 - t), 0.0).ravel(), n) \
        + np.bincount(k.ravel(), np.where(inside, g * t, 0.0).ravel(), n)
    if left is None:
        out[0] += np.sum(g[below])
    if right is None:
        out[n - 1] += np.sum(g[above])
    return out.astype(g.dtype, copy=False)


def interp_linear(x, xp, v, left=None, right=None, period=None):
    """The part of ``np.interp(x, xp, v, left, right, period)`` linear in ``v``: the
    interpolation of v, 0 beyond the table where a constant ``left`` or ``right`` is
    taken (the tangent of np.interp in fp, the transpose of ``interp_fp_bar``)."""
    return np.interp(x, xp, v, left=None if left is None else 0.0,
                     right=None if right is None else 0.0, period=period)


def interp_slope_bar(s, x, xp, fp, left=None, right=None, period=None):
    """The adjoint of ``fp`` in ``interp_slope(x, xp, fp, ...)``, for the adjoint ``s`` of
    the slopes: + s / width to each segment's right end, - s / width to its left."""
    i, k, _, width, below, above = _segments(x, xp, period)
    fp = np.asarray(fp)
    inside = ~(below | above) & (width > 0)
    s = np.broadcast_to(np.asarray(s, dtype=np.result_type(s, fp, 1.0)), width.shape)
    share = np.where(inside, s / np.where(inside, width, 1.0), 0.0).ravel()
    n = len(fp)
    return (np.bincount(k.ravel(), share, n) - np.bincount(i.ravel(), share, n)).astype(
        s.dtype, copy=False)
