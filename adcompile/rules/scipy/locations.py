"""The preludes of scipy.stats' rules (see rules/preludes.py): a value taken relative to a
location and a scale a call may leave out, and a multivariate normal's covariance, which each
rule names instead of writing out."""
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


@prelude
def covariance(cov, allow_singular):
    """c, a multivariate normal's covariance matrix as SciPy reads it (its lower triangle);
    refused where a call leaves it out, gives a number or a vector of variances for it, or
    asks for allow_singular=True."""
    if cov is None:
        unsupported("scipy.stats.multivariate_normal without cov: pass the covariance matrix "
                    "(a d x d array)")
    elif ndim(cov) != 2:
        unsupported("scipy.stats.multivariate_normal's covariance given as a number or a "
                    "vector of variances is not differentiated: pass the d x d matrix "
                    "(c * np.eye(d), np.diag(v))")
    elif allow_singular:
        unsupported("scipy.stats.multivariate_normal with allow_singular=True is not "
                    "differentiated (a singular covariance's density lives on a subspace, "
                    "where these derivatives are wrong); pass allow_singular=False")
    c = read_symmetric(cov, "L")
    return c
