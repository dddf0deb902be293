"""The preludes of scipy.stats' rules (see rules/preludes.py): a value taken relative to a
location and a scale a call may leave out, which each rule names instead of writing out."""
# ruff: noqa: F821

from ..preludes import prelude


@prelude
def standardized(x, loc, scale):
    """z = (x - loc) / scale, and s = scale (loc 0 and scale 1 where a call leaves them
    out)."""
    if scale is None:
        s = 1.0
    else:
        s = scale
    if loc is None:
        z = x / s
    else:
        z = (x - loc) / s
    return z, s


@prelude
def shifted(x, loc):
    """r = x - loc (loc 0, or a multivariate normal's mean 0, where a call leaves it out)."""
    if loc is None:
        r = x
    else:
        r = x - loc
    return r
