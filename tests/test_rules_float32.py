"""float32 in, float32 out, for every rule (SPEC: gradients keep the argument's dtype).

Each rule adcompile registers has a case below, a scalar function of float32
arrays whose gradient (reverse mode, ``ad.grad``) and tangent (forward mode,
``ad.jvp``) must be float32, and close to the float64 ones;
``test_every_registered_rule_has_a_float32_case`` enumerates the registry, so a
new rule without a case fails the suite. Only the rules listed in ``EXEMPT``,
with the reason, have none. ``test_python_numbers_give_python_floats`` checks
the other end: Python floats in, Python floats out.

The values are checked against finite differences elsewhere (test_rules.py
and the other test_rules_* files); here against adcompile's own float64
gradient, in float32's precision.
"""

import math

import numpy as np
import pytest
from test_rules import registered_rules

import adcompile as ad
from adcompile import runtime as rt

RNG = np.random.default_rng(32)

#: rules with no float32 case, and why
EXEMPT = {
    **{("math", name): "math functions take and return Python floats: there is no float32"
       for name in ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "copysign", "log10",
                    "log2", "log1p", "expm1", "exp2", "cbrt", "sinh", "cosh", "asin", "acos",
                    "atan", "atan2", "asinh", "acosh", "atanh", "hypot", "fabs", "erf", "erfc",
                    "lgamma", "gamma", "degrees", "radians", "fmod", "pow")},
    **{("generated", name): "refuses to differentiate (a third derivative): no gradient at all"
       for name in ("prod_hvp", "cumprod_dot", "cumprod_hvp", "norm_dot", "norm_hvp",
                    "array_of_pieces", "r_join", "c_join", "sum_join")},
    **{("generated", name): "refuses to differentiate (a second derivative of a cdf in a "
                            "shape parameter): no gradient at all"
       for name in ("gammainc_dlog_da", "betainc_dlog")},
    **{("generated", name): "refuses to differentiate (a second derivative through "
                            "np.linalg.lstsq): no gradient at all"
       for name in ("lstsq_bar", "lstsq_dot")},
    ("statistics", "cov"): "np.cov computes in float64 whatever the argument's precision",
    ("generated", "multi_dot_bar"): "refuses to differentiate (a second derivative through "
                                    "np.linalg.multi_dot)",
    ("statistics", "corrcoef"): "np.corrcoef computes in float64 whatever the argument's "
                                "precision",
    ("numpy", "vander"): "np.vander computes in float64 whatever the argument's precision",
    **{key: "np.interp computes in float64 whatever its arguments' precision (its helpers as "
            "it does)"
       for key in [("numpy", "interp")] + [("generated", name) for name in (
           "interp_slope", "interp_fp_bar", "interp_linear", "interp_slope_bar")]},
}

try:
    import scipy.linalg
    import scipy.special
    import scipy.stats
except ImportError:   # SciPy's rules are not registered
    scipy = None
if scipy is not None:
    EXEMPT.update({("scipy", name): "SciPy computes it in float64 for float32 arguments: the "
                   "result (and so the tangent) is float64 before adcompile sees it"
                   for name in ("polygamma_", "norm_logpdf", "norm_pdf", "norm_cdf",
                                "norm_logcdf", "mvn_logpdf", "mvn_pdf", "t_logpdf", "t_pdf",
                                "t_cdf", "t_logcdf", "gamma_logpdf", "gamma_pdf", "gamma_cdf",
                                "gamma_logcdf", "beta_logpdf", "beta_pdf", "beta_cdf",
                                "beta_logcdf", "poisson_logpmf", "poisson_pmf", "poisson_cdf",
                                "poisson_logcdf", "det", "norm_sf", "norm_logsf", "expon_logpdf",
                                "expon_pdf", "expon_cdf", "expon_logcdf", "expon_sf",
                                "laplace_logpdf", "laplace_pdf", "laplace_cdf", "lognorm_logpdf",
                                "lognorm_pdf", "chi2_logpdf", "chi2_pdf", "chi2_cdf",
                                "chi2_logcdf", "norm_ppf", "norm_isf")})
    EXEMPT.update({("scipy", name): "refuses to differentiate (SciPy integrates it): no gradient"
                   for name in ("mvn_cdf", "mvn_logcdf")})

#: (rule keys, function, arguments (float64; every float64 array becomes float32), wrt)
CASES = []


def case(*keys, args, wrt=0):
    def add(f):
        CASES.append((keys, f, args, wrt))
        return f
    return add


def A(*shape, lo=-1.0, hi=1.0):
    return RNG.uniform(lo, hi, shape)


def W(*shape):
    return RNG.uniform(0.5, 1.5, shape)


def spd(n):
    a = RNG.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


def lopsided(n):
    """Not symmetric, with well separated eigenvalues of its lower triangle mirrored."""
    return np.diag(np.arange(1.0, n + 1) * 2.0) + np.tril(A(n, n), -1) * 0.3 + np.triu(A(n, n), 1)


# -- python.py --------------------------------------------------------------------------------

@case(("python", "copy"), args=(A(3, 4), W(3, 4)))
def f_copy(x, w):
    y = x
    return np.sum(w * y)


@case(("python", "add"), args=(A(3, 1), A(4), W(3, 4)), wrt=(0, 1))
def f_add(x, y, w):
    return np.sum(w * (x + y))


@case(("python", "sub"), args=(A(3, 1), A(4), W(3, 4)), wrt=(0, 1))
def f_sub(x, y, w):
    return np.sum(w * (x - y))


@case(("python", "mul"), args=(A(3, 1), A(4), W(3, 4)), wrt=(0, 1))
def f_mul(x, y, w):
    return np.sum(w * (x * y))


@case(("python", "truediv"), args=(A(3, 1), A(4, lo=0.5, hi=2.0), W(3, 4)), wrt=(0, 1))
def f_truediv(x, y, w):
    return np.sum(w * (x / y))


@case(("python", "pow"), args=(A(3, 1, lo=0.5, hi=2.0), A(4), W(3, 4)), wrt=(0, 1))
def f_pow(x, y, w):
    return np.sum(w * x ** y + np.power(x, 3) + x ** 0.5 + 2.0 ** x)


@case(("python", "neg"), args=(A(3, 4),))
def f_neg(x):
    return np.sum(-x * x)


@case(("python", "pos"), args=(A(3, 4),))
def f_pos(x):
    return np.sum(+x * x)


@case(("python", "abs_"), args=(A(3, 4),))
def f_abs_builtin(x):
    return np.sum(abs(x) * x)


@case(("python", "max_"), ("python", "min_"), args=(A(), A(), A(3)), wrt=(0, 1))
def f_max_min_builtin(x, y, v):
    # 0-d arrays: the builtins need numbers
    return np.sum(max(x, y) * v) + min(x, y) * max(y, x) + max(x, x)


@case(("python", "matmul"), args=(A(3, 4), A(4, 2), W(3, 2)), wrt=(0, 1))
def f_matmul(x, y, w):
    return np.sum(w * (x @ y)) + np.sum(x[0] @ y) + np.sum(np.matmul(x, y[:, 0]))


@case(("python", "getitem"), args=(A(3, 4),))
def f_getitem(x):
    return x[0, 1] + np.sum(x[1:, ::2] ** 2) + x[-1][2] * x[x > 0][0] + np.sum(x[[0, 0, 2]])


@case(("python", "mod"), args=(A(3, 4, lo=0.1, hi=3.0), A(4, lo=0.7, hi=1.3)), wrt=(0, 1))
def f_mod(x, y):
    return np.sum((x % y) * x) + np.sum(np.fmod(x, y)) + np.sum(np.mod(x, y))


@case(("python", "pow_builtin"), args=(A(3, 4, lo=0.5, hi=2.0), A(4)), wrt=(0, 1))
def f_pow_builtin(x, y):
    return np.sum(pow(x, y)) + np.sum(pow(x, 2))


@case(("python", "sum_"), ("generated", "sum_bar"), args=(A(3, 4), A(4)), wrt=(0, 1))
def f_sum_builtin(x, y):
    return np.sum(sum([x, y * x, np.sin(y)]) ** 2) + np.sum(sum(x) * y) \
        + np.sum(rt.sum_bar(x, [y, x])[0] ** 2)


@case(("numpy", "polyval"), ("generated", "polyval_bar"), ("generated", "polyval_derivative"), args=(A(3), A(2, 3)), wrt=(0, 1))
def f_polyval(p, x):
    return (np.sum(np.polyval(p, x) ** 2)
            + np.sum(rt.polyval_bar(x * x, p, x) * p)
            + np.sum(rt.polyval_derivative(p, x, 2) * x))


@case(("generated", "stable_sigmoid"), args=(A(3, 4, lo=-3.0, hi=3.0),))
def f_sigmoid(x):
    return np.sum(rt.stable_sigmoid(x) * x) + np.sum(rt.stable_sigmoid(-x * x) ** 2)


@case(("generated", "polygamma"), args=(A(3, 4, lo=0.5, hi=3.0),))
def f_polygamma(x):
    return np.sum(rt.polygamma(x, 0) * x) + np.sum(rt.polygamma(x, 1))


# -- numpy.py: elementwise ----------------------------------------------------------------------

def unary(name, lo=-0.9, hi=0.9):
    return case(("numpy", name), args=(A(3, 4, lo=lo, hi=hi),))


@unary("exp")
def f_exp(x):
    return np.sum(np.exp(x))


@unary("log", 0.2, 2.0)
def f_log(x):
    return np.sum(np.log(x))


@unary("sqrt", 0.2, 2.0)
def f_sqrt(x):
    return np.sum(np.sqrt(x))


@unary("sin")
def f_sin(x):
    return np.sum(np.sin(x))


@unary("cos")
def f_cos(x):
    return np.sum(np.cos(x))


@unary("tan")
def f_tan(x):
    return np.sum(np.tan(x))


@unary("tanh")
def f_tanh(x):
    return np.sum(np.tanh(x))


@unary("abs")
def f_np_abs(x):
    return np.sum(np.abs(x) * x)


@unary("exp2")
def f_exp2(x):
    return np.sum(np.exp2(x))


@unary("expm1")
def f_expm1(x):
    return np.sum(np.expm1(x))


@unary("log2", 0.2, 2.0)
def f_log2(x):
    return np.sum(np.log2(x))


@unary("log10", 0.2, 2.0)
def f_log10(x):
    return np.sum(np.log10(x))


@unary("log1p")
def f_log1p(x):
    return np.sum(np.log1p(x))


@unary("cbrt", 0.2, 2.0)
def f_cbrt(x):
    return np.sum(np.cbrt(x))


@unary("square")
def f_square(x):
    return np.sum(np.square(x))


@unary("reciprocal", 0.2, 2.0)
def f_reciprocal(x):
    return np.sum(np.reciprocal(x))


@unary("arcsin")
def f_arcsin(x):
    return np.sum(np.arcsin(x))


@unary("arccos")
def f_arccos(x):
    return np.sum(np.arccos(x))


@unary("arctan")
def f_arctan(x):
    return np.sum(np.arctan(x))


@unary("sinh")
def f_sinh(x):
    return np.sum(np.sinh(x))


@unary("cosh")
def f_cosh(x):
    return np.sum(np.cosh(x))


@unary("arcsinh")
def f_arcsinh(x):
    return np.sum(np.arcsinh(x))


@unary("arccosh", 1.2, 3.0)
def f_arccosh(x):
    return np.sum(np.arccosh(x))


@unary("arctanh")
def f_arctanh(x):
    return np.sum(np.arctanh(x))


def binary(name, lo=-1.0, hi=1.0):
    return case(("numpy", name), args=(A(3, 1, lo=lo, hi=hi), A(4, lo=lo, hi=hi), W(3, 4)),
                wrt=(0, 1))


@binary("arctan2", 0.2, 2.0)
def f_arctan2(x, y, w):
    return np.sum(w * np.arctan2(x, y))


@binary("hypot", 0.2, 2.0)
def f_hypot(x, y, w):
    return np.sum(w * np.hypot(x, y))


@case(("numpy", "copysign"), args=(A(3, 1, lo=0.2, hi=2.0), A(4), W(3, 4)), wrt=(0, 1))
def f_copysign(x, y, w):
    return np.sum(w * np.copysign(x, y)) + np.sum(np.copysign(x * x, -x) * w)


@case(("python", "float_power"), args=(A(3, 1, lo=0.5, hi=2.0), A(4), W(3, 4)), wrt=(0, 1))
def f_float_power(x, y, w):
    # (float_power computes in float64: cast back, as a float32 program would)
    return np.sum(w * np.float_power(x, y).astype(np.float32)) \
        + np.sum(np.float_power(x, 0.5).astype(np.float32))


@binary("logaddexp")
def f_logaddexp(x, y, w):
    return np.sum(w * np.logaddexp(x, y))


@case(("numpy", "clip"), args=(A(3, 4), A(4, lo=-0.9, hi=-0.1), A(3, 1, lo=0.1, hi=0.9), W(3, 4)),
      wrt=(0, 1, 2))
def f_clip(x, lo, hi, w):
    return np.sum(w * np.clip(x, lo, hi)) + np.sum(x.clip(-0.5, 0.5)) + np.sum(np.clip(x, None, 0.2))


@case(("numpy", "where"), args=(A(3, 1), A(4), W(3, 4)), wrt=(0, 1))
def f_where(x, y, w):
    return np.sum(w * np.where(x > y, x, y)) + np.sum(np.where(x > 0, x * x, 0.0))


TIES = np.array([[0.5, -0.25, 0.0, 1.0]])


@case(("numpy", "maximum"), ("numpy", "minimum"), args=(np.array([[0.5], [0.0], [-0.25]]), TIES, W(3, 4)),
      wrt=(0, 1))
def f_maximum_minimum(x, y, w):
    # ties included: they give the gradient's 0.5 weights
    return np.sum(w * np.maximum(x, y) + np.minimum(x, y) * w) + np.sum(np.maximum(x, 0.0))


# -- numpy.py: products ------------------------------------------------------------------------

@case(("numpy", "dot"), args=(A(3, 4), A(4, 2), A(2, 3, 4), A(4)), wrt=(0, 1, 2, 3))
def f_dot(x, y, z, v):
    return (np.sum(np.dot(x, y) ** 2) + np.sum(x.dot(v)) + np.sum(np.dot(z, v) ** 2)
            + np.sum(np.dot(v, v)) + np.sum(np.dot(z, y) ** 2))


@case(("numpy", "convolve"), args=(A(5), A(3)), wrt=(0, 1))
def f_convolve(a, v):
    return np.sum(np.convolve(a, v, "same") ** 2) + np.sum(np.convolve(v, a))


@case(("numpy", "item"), args=(A(6), W(3)))
def f_item(x, w):
    # (.item() is a Python float: times a float32 array, float32)
    return np.sum(w * x.item(1)) + np.sum(w * x.reshape(2, 3).item(1, 2) ** 2) \
        + np.sum(w * np.sum(x ** 2).item())


@case(("numpy", "vdot"), args=(A(3, 4), A(4, 3)), wrt=(0, 1))
def f_vdot(a, b):
    return np.vdot(a, b) + np.vdot(np.sin(a), a) ** 2


@case(("statistics", "nanmax"), args=(np.array([[0.5, np.nan, -1.0], [0.25, 1.0, np.nan]]), W(3)))
def f_nanmax(x, w):
    return np.nanmax(x) ** 2 + np.sum(np.nanmin(x, axis=0) * w) + np.sum(np.nanmax(x, axis=1) ** 3)


@case(("arrays", "meshgrid"), ("generated", "meshgrid_bar"), ("generated", "meshgrid_dot"),
      args=(A(4), A(3), W(3, 4)), wrt=(0, 1))
def f_meshgrid(x, y, w):
    grid = np.meshgrid(x, y)
    a, b = grid
    c, d, e = np.meshgrid(x, y, x[:2], indexing="ij", sparse=True)
    return np.sum(a * b ** 2 * w) + np.sum(c * d * e) + np.sum(rt.meshgrid_bar(grid, y, 1) ** 2) \
        + np.sum(rt.meshgrid_dot(x, grid, 0)[0] ** 3)


@case(("arrays", "bincount"), args=(A(5), W(4)))
def f_bincount(x, w):
    # (np.bincount sums in float64: cast to float32 after it)
    return np.sum(np.bincount([0, 3, 3, 1, 0], weights=x).astype(np.float32) * w) \
        + np.sum(np.bincount([1, 1, 0, 2, 0], x ** 2, minlength=4).astype(np.float32) ** 2)


@case(("arrays", "insert"), ("arrays", "delete"), ("generated", "placed_bar"),
      ("generated", "placed_dot"), args=(A(2, 3), A(3)), wrt=(0, 1))
def f_insert_delete(x, v):
    return np.sum(np.insert(x, 1, v, axis=0) ** 2) + np.sum(np.insert(x, [0, 2], v[0]) ** 3) \
        + np.sum(np.delete(x, 1, axis=1) ** 3) + np.sum(np.delete(x, [0, 4]) ** 2) \
        + np.sum(rt.placed_bar(v, x, [5, -1, 0]) ** 2) + np.sum(rt.placed_dot(x, [[5, -1, 0]]) ** 3)


@case(("python", "divmod_"), args=(np.array([1.25, -2.35, 3.6]), np.array(0.7)), wrt=(0, 1))
def f_divmod(x, y):
    q, r = divmod(x, y)
    return np.sum(r ** 2 * q)


@case(("numpy", "correlate"), args=(A(5), A(3)), wrt=(0, 1))
def f_correlate(a, v):
    return np.sum(np.correlate(a, v, "same") ** 2) + np.sum(np.correlate(v, a, "full")) \
        + np.sum(np.correlate(a, v) ** 3)


@case(("numpy", "ptp"), args=(np.array([[0.5, 0.25, -1.0], [0.25, 1.0, 0.75]]), W(3)))
def f_ptp(x, w):
    return np.ptp(x) ** 2 + np.sum(np.ptp(x, axis=0) * w)


@case(("numpy", "outer"), args=(A(3), A(4), W(3, 4)), wrt=(0, 1))
def f_outer(x, y, w):
    return np.sum(w * np.outer(x, y))


@case(("numpy", "inner"), args=(A(2, 4), A(3, 4), W(2, 3)), wrt=(0, 1))
def f_inner(x, y, w):
    return np.sum(w * np.inner(x, y)) + np.inner(x[0], y[0])


@case(("numpy", "tensordot"), args=(A(2, 3, 4), A(3, 4, 2), W(2, 2)), wrt=(0, 1))
def f_tensordot(x, y, w):
    return np.sum(w * np.tensordot(x, y)) + np.sum(np.tensordot(x, y, axes=([1], [0])) ** 2)


@case(("numpy", "kron"), args=(A(2, 3), A(2, 2), W(4, 6)), wrt=(0, 1))
def f_kron(x, y, w):
    return np.sum(w * np.kron(x, y))


@case(("numpy", "einsum"), args=(A(3, 4), A(4, 2), W(3, 2)), wrt=(0, 1))
def f_einsum(x, y, w):
    return (np.sum(w * np.einsum("ij,jk->ik", x, y)) + np.einsum("ij,ij", x, x)
            + np.sum(np.einsum("ij->j", x) ** 2))


# -- numpy.py: reductions and scans ------------------------------------------------------------

@case(("numpy", "sum"), args=(A(3, 4),))
def f_sum(x):
    return np.sum(x * x) + np.sum(np.sum(x, axis=0) ** 2) + np.sum(x.sum(axis=1, keepdims=True) * x)


@case(("numpy", "mean"), args=(A(3, 4),))
def f_mean(x):
    return np.mean(x * x) + np.sum(np.mean(x, axis=0) ** 2) + np.sum(x.mean(axis=1, keepdims=True) * x)


@case(("numpy", "max"), args=(np.array([[0.5, 0.5, -1.0], [0.25, 1.0, 0.75]]),))
def f_max(x):
    return np.max(x) + np.sum(np.max(x, axis=1) ** 2) + np.sum(x.min(axis=0)) + np.amax(x * x)


@case(("numpy", "prod"), args=(A(3, 4, lo=0.5, hi=1.5),))
def f_prod(x):
    return np.prod(x) + np.sum(np.prod(x, axis=0)) + np.sum(x.prod(axis=1, keepdims=True))


@case(("numpy", "var"), ("numpy", "std"), args=(A(3, 4),))
def f_var_std(x):
    return np.var(x) + np.sum(np.std(x, axis=0)) + np.sum(x.var(axis=1, ddof=1))


@case(("numpy", "cumsum"), ("numpy", "cumprod"), args=(A(3, 4, lo=0.5, hi=1.5), W(3, 4)))
def f_cumulative(x, w):
    return np.sum(w * np.cumsum(x, axis=1)) + np.sum(np.cumprod(x, axis=0) * w) + np.sum(x.cumsum())


# -- numpy.py: shapes ----------------------------------------------------------------------------

@case(("numpy", "transpose"), args=(A(2, 3, 4), W(4, 3, 2)))
def f_transpose(x, w):
    return np.sum(w * x.T) + np.sum(np.transpose(x, (1, 2, 0)) ** 2) + np.sum(x.transpose(0, 2, 1) * x.transpose(0, 2, 1))


@case(("numpy", "reshape"), ("numpy", "ravel"), args=(A(2, 3, 4), W(6, 4)))
def f_reshape_ravel(x, w):
    return np.sum(w * np.reshape(x, (6, 4))) + np.sum(x.reshape(-1) ** 2) + np.sum(np.ravel(x) * x.flatten())


@case(("numpy", "expand_dims"), ("numpy", "squeeze"), args=(A(3, 1, 4), W(3, 1, 4)))
def f_expand_squeeze(x, w):
    return np.sum(np.expand_dims(np.squeeze(x), 1) * w) + np.sum(x.squeeze(axis=1) ** 2)


@case(("numpy", "swapaxes"), ("numpy", "moveaxis"), args=(A(2, 3, 4), W(4, 3, 2)))
def f_swap_move(x, w):
    return np.sum(w * np.swapaxes(x, 0, 2)) + np.sum(np.moveaxis(x, 0, -1) ** 2) + np.sum(x.swapaxes(1, 2) ** 2)


@case(("numpy", "broadcast_to"), ("numpy", "tile"), ("numpy", "repeat"), args=(A(3, 1), W(2, 3, 4)))
def f_broadcast_tile_repeat(x, w):
    return (np.sum(np.broadcast_to(x, (2, 3, 4)) * w) + np.sum(np.tile(x, (2, 3)) ** 2)
            + np.sum(np.repeat(x, 2, axis=0) ** 2) + np.sum(x.repeat(3) ** 2))


@case(("numpy", "flip"), ("numpy", "roll"), args=(A(3, 4), W(3, 4)))
def f_flip_roll(x, w):
    return np.sum(w * np.flip(x, 0)) + np.sum(np.roll(x, 1, axis=1) * w) + np.sum(np.flip(x) ** 2)


@case(("numpy", "diag"), ("numpy", "trace"), ("numpy", "triu"), ("numpy", "tril"), args=(A(3, 3), A(3)),
      wrt=(0, 1))
def f_diag_trace_triangles(x, v):
    return (np.sum(np.diag(x) ** 2) + np.sum(np.diag(v, 1) * np.triu(x, 0).sum()) + np.trace(x * x)
            + x.trace() + np.sum(np.tril(x, -1) ** 2) + np.sum(np.triu(x) * x))


@case(("numpy", "concatenate"), ("numpy", "stack"), ("numpy", "hstack"), ("numpy", "vstack"),
      ("numpy", "array"), ("numpy", "split"), ("numpy", "r_"), ("numpy", "c_"),
      args=(A(2, 3), A(2, 3)), wrt=(0, 1))
def f_sequences(a, b):
    p, q = np.split(np.concatenate([a, b]), 2)
    return (np.sum(np.concatenate([a, b * 2.0], axis=1) ** 2) + np.sum(np.stack([a, b]) ** 3)
            + np.sum(np.r_[a, b] ** 2) + np.sum(np.c_[a, b * a] ** 2)
            + np.sum(np.hstack([a, b]) ** 2) + np.sum(np.vstack([a, b]) ** 2)
            + np.sum(np.array([a, b]) ** 2) + np.sum(np.asarray(a) ** 2) + np.sum(p * q)
            + np.sum(np.array_split(a, 2, axis=1)[1] ** 2))


@case(("numpy", "pad"), args=(A(2, 3), W(4, 6)))
def f_pad(x, w):
    return np.sum(w * np.pad(x, ((1, 1), (2, 1)))) + np.sum(np.pad(x, 1, mode="reflect") ** 2)


@case(("numpy", "astype"), args=(A(2, 3),))
def f_astype(x):
    return (np.sum(x.astype(np.float32) ** 2) + np.sum(x.astype(np.int8) * x)
            + np.sum(x.astype(np.float64).astype(np.float32) ** 3)
            + np.sum(x.astype(np.float32, copy=False) * x))


@case(("numpy", "array"), args=(A(2, 3),))
def f_array_dtypes(x):
    return (np.sum(np.asarray(x, dtype=np.float32) ** 2) + np.sum(np.asarray(x, dtype=np.int8) * x)
            + np.sum(np.array(x * 2.0, dtype=np.float64).astype(np.float32) ** 3))


# -- linalg.py -----------------------------------------------------------------------------------

@case(("linalg", "inv"), ("linalg", "det"), ("linalg", "slogdet"), args=(spd(3) + A(3, 3) * 0.3,))
def f_inv_det(x):
    return np.sum(np.linalg.inv(x) ** 2) + np.linalg.det(x) + np.linalg.slogdet(x)[1]


@case(("linalg", "solve"), args=(spd(3) + A(3, 3) * 0.3, A(3), A(3, 2)), wrt=(0, 1, 2))
def f_solve(a, b, c):
    return np.sum(np.linalg.solve(a, b) ** 2) + np.sum(np.linalg.solve(a, c) ** 2)


@case(("linalg", "cholesky"), args=(spd(3),))
def f_cholesky(x):
    return np.sum(np.linalg.cholesky(x) ** 2 * np.arange(1.0, 4.0, dtype=np.float32))


@case(("linalg", "norm"), args=(A(3, 4),))
def f_norm(x):
    return (np.linalg.norm(x) + np.sum(np.linalg.norm(x, axis=1)) + np.linalg.norm(x, "nuc")
            + np.linalg.norm(x[0], 3) + np.linalg.norm(x, 2))


@case(("linalg", "eigvalsh"), ("linalg", "eigh"), args=(lopsided(3),))
def f_eigh(x):
    values, vectors = np.linalg.eigh(x, UPLO="U")
    return (np.sum(np.linalg.eigvalsh(x) ** 2) + np.sum(values ** 2)
            + np.sum(vectors ** 2 * np.arange(3.0, dtype=np.float32)))


@case(("linalg", "svd"), args=(A(4, 3),))
def f_svd(x):
    U, s, Vt = np.linalg.svd(x, full_matrices=False)
    return (np.sum(np.linalg.svd(x, compute_uv=False) ** 2) + np.sum(s * s)
            + np.sum(U ** 2 * np.arange(3.0, dtype=np.float32)) + np.sum(Vt ** 2 * np.arange(3.0, dtype=np.float32)))


@case(("linalg", "qr"), args=(A(4, 3) + np.eye(4, 3) * 2.0,))
def f_qr(x):
    Q, R = np.linalg.qr(x)
    q, r = np.linalg.qr(x.T)   # (wider than tall)
    return (np.sum(Q ** 2 * np.arange(3.0, dtype=np.float32)) + np.sum(R * R)
            + np.sum(q * np.arange(3.0, dtype=np.float32)[:, None]) + np.sum(r ** 3))


# -- numpy.py, arrays.py, statistics.py, linalg.py: the rest of the library ---------------------

@case(("numpy", "logaddexp2"), ("numpy", "deg2rad"), ("numpy", "rad2deg"), ("numpy", "fmax"),
      ("numpy", "fmin"), ("numpy", "sinc"), ("numpy", "nan_to_num"), ("numpy", "heaviside"),
      args=(A(3, 4), A(4)), wrt=(0, 1))
def f_more_elementwise(x, y):
    return (np.sum(np.logaddexp2(x, y)) + np.sum(np.deg2rad(x) ** 2 + np.radians(y))
            + np.sum(np.rad2deg(x) * np.degrees(y)) + np.sum(np.fmax(x, y) ** 2)
            + np.sum(np.fmin(x, 0.5) * y) + np.sum(np.sinc(x) * y) + np.sum(np.nan_to_num(x * y))
            + np.sum(np.heaviside(x, y) * x))


@case(("numpy", "conjugate"), args=(A(3, 4),))
def f_conjugate(x):
    return np.sum(np.conj(x) ** 2 + x.real * x.conj()) + np.sum(np.real(x) * x.conjugate())


@case(("numpy", "cross"), ("generated", "cross_bar"), args=(A(2, 3), A(3)), wrt=(0, 1))
def f_cross(a, b):
    return (np.sum(np.cross(a, b) ** 2) + np.sum(rt.cross_bar(a, a, b) ** 2)
            + np.sum(np.cross(a.T, b, axisa=0, axisc=0) ** 2) + np.sum(np.cross(a.T, a.T * b[:, None], axis=0)))


@case(("arrays", "flipud"), ("arrays", "fliplr"), ("arrays", "rot90"), ("arrays", "atleast_nd"),
      ("arrays", "diagonal"), ("arrays", "diff"), ("generated", "diagonal_bar"),
      ("generated", "diff_bar"), args=(A(3, 4),))
def f_rearrangements(x):
    return (np.sum(np.flipud(x) * x) + np.sum(np.fliplr(x) ** 2 * x) + np.sum(np.rot90(x) ** 3)
            + np.sum(np.atleast_3d(x) ** 2) + np.sum(np.atleast_1d(x[0, 0]) * x[0])
            + np.sum(np.diagonal(x) ** 3) + np.sum(x.diagonal(1) ** 2) + np.sum(np.diff(x) ** 2)
            + np.sum(rt.diagonal_bar(x[0, :3], x) ** 3) + np.sum(rt.diff_bar(x, 2) ** 3))


@case(("arrays", "hsplit"), ("arrays", "vsplit"), ("arrays", "dsplit"), ("arrays", "column_stack"),
      ("arrays", "dstack"), ("arrays", "append"), ("generated", "column_stack_bar"),
      ("generated", "dstack_bar"), args=(A(2, 4), A(2)), wrt=(0, 1))
def f_splits_and_joins(x, v):
    a, b = np.hsplit(x, 2)
    c, d = np.vsplit(x, 2)
    p, q = np.dsplit(np.atleast_3d(x), [0])
    return (np.sum(a * b) + np.sum(c * d) + np.sum(q ** 2) + np.sum(np.column_stack([v, x]) ** 2)
            + np.sum(np.dstack([x, x * x]) ** 2) + np.sum(np.append(x, v) ** 3)
            + np.sum(np.append(x, x, axis=1) ** 2)
            + np.sum(rt.column_stack_bar(np.column_stack([v, x]), [v, x])[1] ** 3)
            + np.sum(rt.dstack_bar(np.dstack([x, x]), [x, x])[0] ** 3))


@case(("arrays", "block"), ("generated", "block_of"), ("generated", "block_bar"),
      args=(A(2, 2), A(2)), wrt=(0, 1))
def f_block(x, v):
    return (np.sum(np.block([[x, v[:, None]], [v, v[:1]]]) ** 2) + np.sum(np.block([v, x[0]]) ** 3)
            + np.sum(rt.block_of([x, x * v], (0, 1)) ** 2)
            + np.sum(rt.block_bar(np.block([[x], [x]]), [x, x], ((0,), (1,)))[1] ** 3))


@case(("arrays", "take"), ("arrays", "take_along_axis"), ("arrays", "sort"),
      ("generated", "take_bar"), ("generated", "take_along_axis_bar"),
      ("arrays", "running_extreme"), args=(A(3, 4),))
def f_selections(x):
    order = np.argsort(x, axis=1)
    return (np.sum(np.take(x, [0, 2, 2]) ** 2) + np.sum(x.take([1, 1], axis=0) ** 3)
            + np.sum(np.take_along_axis(x, order, axis=1) * x) + np.sum(np.sort(x) ** 3)
            + np.sum(np.sort(x, axis=None) ** 2) + np.sum(rt.take_bar(x[0, :3], x, [0, 1, 1]) ** 3)
            + np.sum(rt.take_along_axis_bar(x, x, order, 1) ** 3)
            + np.sum(np.maximum.accumulate(x) ** 3) + np.sum(np.minimum.accumulate(x, axis=1) ** 2))


@case(("arrays", "logaddexp_reduce"), args=(A(3, 4),))
def f_logaddexp_reduce(x):
    return (np.logaddexp.reduce(x[0]) + np.sum(np.logaddexp.reduce(x, axis=1) ** 2)
            + np.sum(np.logaddexp.reduce(x, 0, keepdims=True) * x) + np.logaddexp.reduce(x, axis=None))


@case(("statistics", "nansum"), ("statistics", "nanmean"), ("statistics", "average"),
      ("statistics", "quantile"), ("statistics", "percentile"), ("statistics", "median"),
      ("generated", "quantile_bar"), ("generated", "quantile_dot"),
      args=(A(3, 4), A(3, 4, lo=0.5, hi=1.5)), wrt=(0, 1))
def f_statistics(x, w):
    return (np.nansum(x) ** 2 + np.sum(np.nanmean(x, axis=0) ** 2)
            + np.sum(np.average(x, axis=1, weights=w) ** 2) + np.average(x) ** 2
            + np.median(x) * np.sum(w) + np.sum(np.quantile(x, 0.3, axis=0) ** 2)
            + np.percentile(x, 60.0) ** 2
            + np.sum(rt.quantile_bar(x[:2, :3], w, np.array([0.3, 0.6]), 1) ** 3)
            + np.sum(rt.quantile_dot(x, w, np.array([0.3, 0.6]), 1) ** 3))


@case(("linalg", "vector_norm"), ("linalg", "matrix_norm"), ("numpy", "vecdot"),
      ("numpy", "rollaxis"), args=(A(3, 4) + np.eye(3, 4) * 3.0, A(4)), wrt=(0, 1))
def f_norms_and_vector_products(x, v):
    cube = x[:, None, :] * x[:, :, None]
    return (np.linalg.vector_norm(x) + np.sum(np.linalg.vector_norm(x, axis=1) ** 2)
            + np.linalg.vector_norm(v, ord=3) + np.linalg.matrix_norm(x) ** 2
            + np.linalg.matrix_norm(x, ord="nuc") + np.sum(np.vecdot(x, v) ** 2)
            + np.sum(np.rollaxis(cube, 2) ** 2) + np.sum(np.rollaxis(cube, 0, 3) * np.positive(x[:, 0]))
            + np.sum(np.rollaxis(cube, -1, -3) ** 3))


@case(("linalg", "pinv"), ("linalg", "matrix_power"), ("generated", "upper_block"),
      args=(A(3, 2) + np.eye(3, 2) * 2.0, A(3, 3) * 0.3 + np.eye(3)), wrt=(0, 1))
def f_pinv_matrix_power(x, m):
    return (np.sum(np.linalg.pinv(x) ** 2) + np.sum(np.linalg.matrix_power(m, 3) ** 2)
            + np.sum(np.linalg.matrix_power(m, -1)) + np.sum(rt.upper_block(m, m) ** 3))



if scipy is not None:
    special = scipy.special

    @case(*[("scipy", name) for name in ("expit", "logit", "erf", "erfc", "ndtr", "log_ndtr",
                                         "gammaln", "digamma", "gamma", "erfinv",
                                         "log_expit",
                                         "xlogy", "xlog1py", "betaln", "logsumexp", "softmax",
                                         "log_softmax")],
          args=(A(3, 4), A(4, lo=0.5, hi=1.5)), wrt=(0, 1))
    def f_scipy_special(x, y):
        return (np.sum(special.expit(x) * y) + np.sum(special.logit(special.expit(x)) ** 2)
                + np.sum(special.erf(x) + special.erfc(y)) + np.sum(special.gammaln(y) * x)
                + np.sum(special.ndtr(x) * y) + np.sum(special.log_ndtr(x) ** 2)
                + np.sum(special.digamma(y + 1.0)) + np.sum(special.xlogy(x, y))
                + np.sum(special.xlog1py(x, y)) + np.sum(special.betaln(y, y + 1.0))
                + special.logsumexp(x) + np.sum(special.logsumexp(x, axis=0, b=y) ** 2)
                + np.sum(special.softmax(x, axis=1) * y) + np.sum(special.log_softmax(x) ** 2)
                + np.sum(special.gamma(y + 1.0) * x) + np.sum(special.erfinv(0.4 * np.tanh(x)))
                + np.sum(special.log_expit(x) * y))

    @case(*[("scipy", name) for name in ("i0", "i1", "i0e", "i1e", "gammainc", "gammaincc")],
          args=(A(3, 4), A(4, lo=0.5, hi=2.5)), wrt=0)
    def f_scipy_bessel_gamma(x, a):
        return (np.sum(special.i0(x) * a) + np.sum(special.i1(x) ** 2) + np.sum(special.i0e(x) * a)
                + np.sum(special.i1e(x) ** 2) + np.sum(special.gammainc(a, x * x + 0.1) * a)
                + np.sum(special.gammaincc(a, np.exp(x)) ** 2))

    sl = scipy.linalg

    @case(("scipy", "solve"), ("scipy", "inv"), ("scipy", "solve_triangular"), ("scipy", "cho_factor"),
          ("scipy", "cho_solve"), ("scipy", "expm"), ("scipy", "cholesky"),
          args=(spd(3), A(3, 2)), wrt=(0, 1))
    def f_scipy_linalg(a, b):
        factor = sl.cho_factor(a)
        return (np.sum(sl.solve(a, b) ** 2) + np.sum(sl.solve(a, b[:, 0], assume_a="pos") * b[:, 1])
                + np.sum(sl.inv(a) * a)
                + np.sum(sl.solve_triangular(a, b, lower=True) ** 2)
                + np.sum(sl.solve_triangular(a, b[:, 0], trans="T", unit_diagonal=True) * b[:, 1])
                + np.sum(sl.cho_solve(factor, b) * b) + np.sum(factor[0] ** 2)
                + np.sum(sl.expm(a * 0.2) * a) + np.sum(sl.cholesky(a) * a)
                + np.sum(sl.cholesky(a, lower=True) ** 2))

    @case(*[("scipy", name) for name in ("beta", "rgamma", "erfcinv", "ndtri", "j0", "j1", "y0",
                                         "y1", "entr", "rel_entr", "kl_div")],
          args=(A(3, 4, lo=0.05, hi=0.95), A(4, lo=0.5, hi=1.5)), wrt=(0, 1))
    def f_scipy_more_special(x, y):
        return (np.sum(special.beta(x + 0.5, y) * y) + np.sum(special.rgamma(3.0 * x - 1.5) ** 2)
                + np.sum(special.erfcinv(x + 0.02)) + np.sum(special.ndtri(x) * y)
                + np.sum(special.j0(6.0 * x) * y) + np.sum(special.j1(4.0 * x - 2.0) ** 2)
                + np.sum(special.y0(x + 0.5) * y) + np.sum(special.y1(2.0 * x + 0.5) ** 2)
                + np.sum(special.entr(x) * y) + np.sum(special.rel_entr(x, y) ** 2)
                + np.sum(special.kl_div(x, y) * y))

    @case(("scipy", "sqrtm"), ("scipy", "solve_sylvester"),
          args=(spd(3), A(3, 3) + 3.0 * np.eye(3), A(3, 3)), wrt=(0, 1, 2))
    def f_scipy_sylvester(a, b, q):
        return np.sum(sl.sqrtm(a) * q) + np.sum(sl.solve_sylvester(a, b, q) ** 2)


# -- generated.py: the helpers' own rules (second derivatives), through direct calls ------------

@case(("generated", "unbroadcast"), ("generated", "rebroadcast"), ("generated", "as_gradient"),
      args=(A(3, 2, 4), A(2, 1)), wrt=(0, 1))
def f_broadcast_helpers(g, x):
    return (np.sum(rt.unbroadcast(g, x) ** 2 * x) + np.sum(np.sin(rt.rebroadcast(x, g)))
            + np.sum(rt.as_gradient(x, g) ** 3))


@case(("generated", "getitem_bar"), ("generated", "unreduce"), ("generated", "transpose_bar"),
      args=(A(3), A(3, 4), A(2, 3, 4)), wrt=(0, 1, 2))
def f_linear_helpers(g, x, y):
    return (np.sum(np.cos(rt.getitem_bar(g, x, (slice(None), 1)))) + np.sum(rt.unreduce(g, x, axis=1) ** 2 * x)
            + np.sum(rt.transpose_bar(y, (2, 0, 1)) ** 2))


@case(("python", "with_item"), ("python", "copy_array"), args=(A(5), A(2)), wrt=(0, 1))
def f_item_assignment(x, v):
    y = np.copy(x) * 2.0
    y[1:3] = np.sin(v)
    y[np.array([0, 4, 0])] += v[0] * x[:3]
    z = y.copy()
    z[-1] = v[1] ** 2
    return np.sum(z ** 3)


@case(("python", "added_at"), ("python", "subtracted_at"), args=(A(5), A(3)), wrt=(0, 1))
def f_ufunc_at(x, v):
    y = x * 2.0
    np.add.at(y, np.array([0, 3, 0]), v)
    np.subtract.at(y, np.array([4, 4]), v[:2] * v[0])
    return np.sum(y ** 3)


@case(("generated", "without_item"), ("generated", "item_written"),
      ("generated", "item_tangent"), args=(A(5), A(3)), wrt=(0, 1))
def f_item_helpers(g, v):
    return (np.sum(np.sin(rt.without_item(g, slice(1, 3))) * g)
            + np.sum(rt.item_written(g, np.array([0, 4, 0])) ** 2)
            + np.sum(np.cos(rt.item_tangent(g, slice(0, 3), v)) * g))


@case(("generated", "matmul_bar_left"), ("generated", "matmul_bar_right"),
      ("generated", "dot_bar_left"), ("generated", "dot_bar_right"),
      args=(A(3, 2), A(3, 4), A(4, 2)), wrt=(0, 1, 2))
def f_product_helpers(g, x, y):
    return (np.sum(rt.matmul_bar_left(g, x, y) ** 2) + np.sum(rt.matmul_bar_right(g, x, y) ** 2)
            + np.sum(rt.dot_bar_left(g, x, y) ** 2) + np.sum(rt.dot_bar_right(g, x, y) ** 2))


@case(("generated", "scaled_power"), args=(A(3, 1, lo=0.5, hi=1.5), A(4, lo=0.2, hi=2.0), A(4)),
      wrt=(0, 1, 2))
def f_scaled_power(c, x, p):
    return np.sum(rt.scaled_power(c, x, p))


@case(("generated", "log_or_zero"), args=(A(3, 4, lo=0.2, hi=2.0),))
def f_log_or_zero(x):
    return np.sum(rt.log_or_zero(x) * x)


@case(("numpy", "full"), args=(A(3),))
def f_full(x):
    return np.sum(np.full((2, 3), x) ** 2)


@case(("linalg", "lstsq"), args=(A(4, 2) + np.eye(4, 2) * 3.0, A(4)), wrt=(0, 1))
def f_lstsq(a, b):
    x, res, rank, s = np.linalg.lstsq(a, b, rcond=None)
    return np.sum(x ** 2) + np.sum(res) + np.sum(s)


@case(("numpy", "full_like"), args=(A(2, 3), A(3)), wrt=(0, 1))
def f_full_like(x, c):
    return np.sum(np.full_like(x, c) ** 2 * x)


@case(("generated", "filled_like"), args=(A(3), A(2, 3)), wrt=(0, 1))
def f_filled_like(g, x):
    return np.sum(rt.filled_like(x, g) ** 2 * x)


@case(("generated", "parts"), ("generated", "join_parts"), ("generated", "cut_parts"),
      args=(A(2, 3), A(2, 3)), wrt=(0, 1))
def f_split_helpers(g, x):
    pieces = rt.cut_parts(g, rt.parts(np.split(x, [1], axis=1)), 1)
    joined = rt.join_parts(rt.parts(np.split(x * g, [2], axis=1)), 1)
    return np.sum(pieces[0] ** 2) + np.sum(pieces[1] * x[:, 1:]) + np.sum(joined ** 3)


@case(("generated", "concatenate_bar"), ("generated", "stack_bar"), ("generated", "hstack_bar"),
      ("generated", "vstack_bar"), ("generated", "array_bar"), ("generated", "r_bar"),
      ("generated", "c_bar"), ("generated", "private_copy"), ("generated", "cofactor"),
      args=(A(2, 4), A(2, 3), A(2, 2, 3)),
      wrt=(0, 1, 2))
def f_piece_helpers(g, x, s):
    joined = rt.r_bar(rt.private_copy(s[0]).ravel(), [x[0], x[1]])
    cofactors = rt.cofactor(s[0][:, :2] + np.eye(2, dtype=s.dtype))
    columns = rt.c_bar(g, [x, x[:, 0]])
    pieces = rt.concatenate_bar(g, [x, x[:, :1]], 1)
    stacked = rt.stack_bar(s, [x, x], 0)
    flat = rt.hstack_bar(g[0], [x[0], x[1, :1]])
    rows = rt.vstack_bar(g[:, :3], [x[0], x[1:]])
    copies = rt.array_bar(s, [x, x])
    return (np.sum(pieces[0] ** 2) + np.sum(np.sin(pieces[1])) + np.sum(stacked[1] ** 2)
            + np.sum(flat[0] * flat[1]) + np.sum(rows[0] ** 2) + np.sum(copies[1] ** 2 * copies[0])
            + np.sum(joined[0] ** 2) + np.sum(joined[1]) * np.sum(columns[1])
            + np.sum(columns[0] ** 2) + np.sum(cofactors ** 2))


@case(("generated", "require_update_shape"), args=(A(3), A(2, 3)), wrt=(0, 1))
def f_update_checked(x, m):
    total = np.zeros((), dtype=x.dtype)   # (a 0-d array of x's dtype, kept by its update)
    new = rt.require_update_shape(total + np.sum(x ** 2), total, "here")
    rows = rt.require_update_shape(m * x, m, "here")
    return np.sum(rows ** 2) + new * x[0]


@case(("generated", "tile_bar"), ("generated", "repeat_bar"), ("generated", "diag_bar"),
      ("generated", "trace_bar"), ("generated", "pad_bar"), ("generated", "astype_bar"),
      args=(A(3, 4), A(3, 2), A(3)), wrt=(0, 1, 2))
def f_shape_helpers(g, x, v):
    return (np.sum(rt.tile_bar(g, x, (1, 2)) ** 2) + np.sum(rt.repeat_bar(g, x, 2, 1) ** 2)
            + np.sum(rt.diag_bar(v, g[:, :3], 0) ** 2) + np.sum(rt.trace_bar(v[0], g[:, :3]) ** 2)
            + np.sum(rt.pad_bar(g, x, ((0, 0), (1, 1))) ** 2) + np.sum(rt.astype_bar(x, np.float32) ** 2))


@case(("generated", "kron_bar_left"), ("generated", "kron_bar_right"),
      ("generated", "tensordot_bar_left"), ("generated", "tensordot_bar_right"),
      args=(A(4, 6), A(2, 3), A(2, 2)), wrt=(0, 1, 2))
def f_bilinear_helpers(g, x, y):
    return (np.sum(rt.kron_bar_left(g, x, y) ** 2) + np.sum(rt.kron_bar_right(g, x, y) ** 2)
            + np.sum(rt.tensordot_bar_left(g[:2, :2], x, y, ([0], [0])) ** 2)
            + np.sum(rt.tensordot_bar_right(g[:3, :2], x, y, ([0], [0])) ** 2))


@case(("generated", "einsum_bar"), args=(A(3, 2), A(3, 4), A(4, 2)), wrt=(0, 1, 2))
def f_einsum_bar(g, x, y):
    return (np.sum(rt.einsum_bar(g, "ij,jk->ik", x, y, 0) ** 2)
            + np.sum(rt.einsum_bar(g, "ij,jk->ik", x, y, 1) ** 2))


@case(("generated", "read_symmetric"), ("generated", "read_symmetric_bar"), args=(A(3, 3),))
def f_symmetric_helpers(x):
    return np.sum(rt.read_symmetric(x, "U") ** 3) + np.sum(rt.read_symmetric_bar(x) ** 3)


@case(("generated", "as_column"), ("generated", "from_column"), args=(A(3), A(3, 1)), wrt=(0, 1))
def f_column_helpers(v, w):
    return np.sum(rt.as_column(v, v) ** 2 * w) + np.sum(rt.from_column(w, v) ** 3)


@case(("generated", "prod_others"), ("generated", "cumprod_bar"), ("generated", "norm_bar"),
      args=(A(3, 4, lo=0.5, hi=1.5), A(3, 4)), wrt=(0, 1))
def f_nonlinear_helpers(x, g):
    y = np.linalg.norm(x, 3, axis=1)
    return (np.sum(rt.prod_others(x, 1) ** 2) + np.sum(rt.cumprod_bar(g, x, 0) ** 2)
            + np.sum(rt.norm_bar(g[:, 0], x, y, 3, 1)))


@case(("python", "max_list"), ("python", "min_list"), ("python", "sorted_"),
      ("python", "items"), ("generated", "extreme_bar"), ("generated", "extreme_dot"),
      ("generated", "sorted_bar"), ("generated", "sorted_dot"), ("generated", "items_bar"),
      ("generated", "items_dot"), args=(np.array([0.3, -0.9, 0.6, 0.1]), A(4)), wrt=(0, 1))
def f_builtin_selections(x, g):
    s = sorted([x[0], x[1] * 2, x[2]])
    pieces = rt.extreme_bar(g[0], [x[0], x[1]], x[0])
    order = rt.sorted_bar(g[:3], x[:3], False)
    tangent = rt.sorted_dot(g[:3], x[:3], True)
    items = list(x * g)
    back = rt.items_bar(g[:3], x[:3])
    along = rt.items_dot(g[:3], x[:3])
    return (max(x * x) * min(x) + s[0] * s[2] + pieces[0] * x[3] + order[1] * x[2]
            + tangent[0] * x[1] + rt.extreme_dot(g, x, x[2]) * x[0]
            + items[1] * items[2] + back[0] * x[1] + along[2] * x[0])


@case(("python", "tolist"), ("generated", "entries_bar"), ("generated", "entries_dot"),
      args=(np.array([0.3, -0.9, 0.6, 0.1]), A(4)), wrt=(0, 1))
def f_entries(x, g):
    a, b, c, d = x.tolist()
    back = rt.entries_bar(g[:3], x[:3])
    along = rt.entries_dot(g[:3], x[:3])
    return a * b * c + d ** 2 + back[0] * x[1] + along[2] * x[0]


@case(("arrays", "partition"), ("arrays", "gradient"), ("arrays", "linspace"),
      ("generated", "gradient_bar"), ("generated", "gradient_of"),
      args=(np.array([0.3, -0.9, 0.6, 0.1, 0.8]), A(3, 4), A(2)), wrt=(0, 1, 2))
def f_more_arrays(x, m, ends):
    a, b = np.gradient(m, 0.5)
    return (np.sum(np.partition(x, 2) * x) + np.sum(np.gradient(x) ** 2) + np.sum(a * b * m)
            + np.sum(np.linspace(ends[0], ends[1], 4) ** 2)
            + np.sum(rt.gradient_bar(rt.gradient_of(m, 0.5, 1), m, 0.5, 1) ** 2))


@case(("linalg", "eig"), ("linalg", "eigvals"), ("linalg", "multi_dot"),
      ("generated", "real_eigen"), ("generated", "real_value"),
      args=(np.array([[2.0, 1.0, 0.0], [0.5, 3.0, 0.2], [0.1, 0.3, -1.0]]), A(3, 2), A(2, 3)),
      wrt=(0, 1, 2))
def f_more_linalg(x, a, b):
    w, V = np.linalg.eig(x)
    return (np.sum(w ** 2) + np.sum(V ** 2 * x) + np.sum(np.linalg.eigvals(x) ** 3)
            + np.sum(np.linalg.multi_dot([a, b, x]) ** 2)
            + np.sum(rt.real_eigen(a, "") ** 2) + np.sum(rt.real_value(b, "") ** 3))


@case(("generated", "identity_part"), ("generated", "identity_spread"), args=(A(3, 3), A(3, 3)),
      wrt=(0, 1))
def f_identity_parts(w, u):
    return (np.sum(rt.identity_part(w, 0.5) * u) + np.sum(rt.identity_part(w, u) ** 2)
            + np.sum(rt.identity_spread(u[0, 0], w, 0.5) * w)
            + np.sum(rt.identity_spread(u, w, w) ** 2))


@case(("arrays", "sliding_window_view"), ("generated", "sliding_window_bar"), args=(A(3, 4),))
def f_sliding_windows(x):
    windows = np.lib.stride_tricks.sliding_window_view(x, (2, 3))
    return (np.sum(windows ** 2 * x[:2, :3]) + np.sum(windows.max(axis=(-2, -1)) ** 3)
            + np.sum(rt.sliding_window_bar(windows, x, (2, 3)) ** 3))


# ---------------------------------------------------------------------------------------------

def test_every_registered_rule_has_a_float32_case():
    covered = {key for keys, *_ in CASES for key in keys}
    registered = registered_rules()
    missing = sorted(registered - covered - set(EXEMPT))
    assert not missing, f"registered rules without a float32 case (or an EXEMPT reason): {missing}"
    stale = sorted((covered | set(EXEMPT)) - registered)
    assert not stale, f"float32 cases for rules that are not registered: {stale}"
    assert not covered & set(EXEMPT), "a rule is both checked and exempt"


def float32(v):
    return v.astype(np.float32) if isinstance(v, np.ndarray) and v.dtype == np.float64 else v


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("keys,f,args,wrt", CASES, ids=[c[1].__name__ for c in CASES])
def test_float32_in_float32_out(keys, f, args, wrt):
    single = not isinstance(wrt, tuple)
    small = [float32(a) for a in args]
    assert np.asarray(f(*small)).dtype == np.float32, "the case itself is not float32"
    grads = ad.grad(f, wrt=wrt)(*small)
    reference = ad.grad(f, wrt=wrt)(*args)
    for g, g64 in zip((grads,) if single else grads, (reference,) if single else reference):
        assert np.asarray(g).dtype == np.float32, f"gradient of {f.__name__}: {np.asarray(g).dtype}"
        np.testing.assert_allclose(g, g64, rtol=2e-3, atol=2e-3 * max(1.0, np.max(np.abs(g64))))
    indices = (wrt,) if single else wrt
    tangents = tuple(float32(RNG.uniform(-1.0, 1.0, np.shape(args[i]))) for i in indices)
    value, dot = ad.jvp(f, wrt=wrt)(*small, tangents[0] if single else tangents)
    assert np.asarray(value).dtype == np.float32
    assert np.asarray(dot).dtype == np.float32, f"tangent of {f.__name__}: {np.asarray(dot).dtype}"
    _, dot64 = ad.jvp(f, wrt=wrt)(*args, tuple(t.astype(np.float64) for t in tangents)
                                  if not single else tangents[0].astype(np.float64))
    np.testing.assert_allclose(dot, dot64, rtol=2e-3, atol=2e-3 * max(1.0, abs(dot64)))


# -- Python numbers in, Python floats out ----------------------------------------------------

def scalars_python(x, y):
    return (x * y + x / y - y ** 2 + x ** y + abs(x) + max(x, y) * min(x, y) + -x + (x % y)
            + math.exp(x) + math.log(y) + math.sqrt(y) + math.sin(x) * math.cos(y) + math.tan(x)
            + math.tanh(y) + math.copysign(x, -1.0) + float(x))


def scalars_numpy(x, y):
    return (np.exp(x) + np.log(y) + np.sqrt(y) + np.tanh(x) + np.maximum(x, y) + np.minimum(x, 0.1)
            + np.arctan2(x, y) + np.hypot(x, y) + np.logaddexp(x, y) + np.clip(x, -0.5, 0.5)
            + np.where(x > y, x, y) + np.power(x, 2.5) + np.cbrt(y) + np.abs(x) + np.square(y))


@pytest.mark.parametrize("f", [scalars_python, scalars_numpy], ids=lambda f: f.__name__)
def test_python_numbers_give_python_floats(f):
    for x, y in [(0.3, 1.7), (2, 3)]:
        grads = ad.grad(f, wrt=(0, 1))(x, y)
        for g in grads:
            assert isinstance(g, float) and not isinstance(g, np.ndarray), repr(g)
            assert np.asarray(g).dtype == np.float64
        _, dot = ad.jvp(f, wrt=(0, 1))(x, y, (1.0, 0.5))
        assert isinstance(dot, float), repr(dot)


# -- float32 arguments in code that computes in float64 ---------------------------------

def times_a_numpy_constant(x):
    return np.sum(x * np.sin(0.5))        # np.sin(0.5) is a float64 scalar: x * it is float64


def sorted_times_float64(x):
    return np.sum(np.sort(x) * np.arange(3.0))


def float32_weights_float64_data(W1, b1, W2, X, y):
    h = np.tanh(X @ W1 + b1)
    return np.mean((h @ W2 - y) ** 2)


def float32_recurrence(W, h0, xs):
    h = h0
    loss = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])   # (xs float64: h is float64 from the first step)
        loss = loss + np.sum(h ** 2)
    return loss


@pytest.mark.parametrize("f, shapes", [
    (times_a_numpy_constant, [(3,)]),
    (sorted_times_float64, [(3,)]),
    (float32_weights_float64_data, [(4, 5), (5,), (5,)]),
    (float32_recurrence, [(3, 3), (3,)]),
])
def test_float32_arguments_of_float64_code_get_float32_gradients(f, shapes):
    # the code computes in float64 (NumPy 2 promotes float32 with float64 values): the
    # gradients handed back are float32 all the same, as the argument's precision
    wide = [RNG.standard_normal(s) for s in shapes]
    data = {float32_weights_float64_data: [RNG.standard_normal((6, 4)), RNG.standard_normal(6)],
            float32_recurrence: [RNG.standard_normal((4, 3))]}.get(f, [])
    narrow = [a.astype(np.float32) for a in wide]
    wrt = tuple(range(len(shapes)))
    expected = ad.grad(f, wrt=wrt)(*[a.astype(np.float64) for a in narrow], *data)
    for got in (ad.grad(f, wrt=wrt)(*narrow, *data),
                ad.value_and_grad(f, wrt=wrt)(*narrow, *data)[1],
                ad.vjp(f, wrt=wrt)(*narrow, *data, 1.0)[1]):
        for g, e in zip(got, expected):
            assert g.dtype == np.float32 and g.shape == e.shape
            np.testing.assert_allclose(g, e.astype(np.float32), rtol=1e-4, atol=1e-6)
    # each float32 argument's gradient is converted; float64 arguments need fewer
    converted = ad.show(f, wrt=wrt, args=(*narrow, *data)).count("as_gradient(")
    assert converted == len(shapes) > ad.show(f, wrt=wrt, args=(*wide, *data)).count(
        "as_gradient(")


# -- float32 arrays reduced in float64 (dtype=) ---------------------------------------------

def float32_data_summed_in_float64(w, X, y):
    r = X @ w - y
    return (np.sum(r ** 2, dtype=np.float64) / 2.0 + 0.1 * np.mean(w ** 2, dtype=np.float64)
            + np.sum(np.cumsum(w, dtype=np.float64) ** 2) + w.sum(dtype=float) ** 2
            + np.prod(1.0 + w[:2] ** 2, dtype=np.float64))


def test_reductions_in_float64_of_float32_arrays():
    # the reductions compute in float64 (the value is float64); each adjoint goes back to the
    # float32 array reduced, and the gradients are float32, close to those of float64 arguments
    w, X, y = RNG.standard_normal(4), RNG.standard_normal((6, 4)), RNG.standard_normal(6)
    narrow = [a.astype(np.float32) for a in (w, X, y)]
    value, grads = ad.value_and_grad(float32_data_summed_in_float64, wrt=(0, 1))(*narrow)
    assert np.asarray(value).dtype == np.float64
    expected = ad.grad(float32_data_summed_in_float64, wrt=(0, 1))(
        *[a.astype(np.float64) for a in narrow])
    for g, e in zip(grads, expected):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-4 * np.max(np.abs(e)))
    # the generated code casts each adjoint back to float32 where the float64 sum took it
    code = ad.show(float32_data_summed_in_float64, wrt=(0, 1), args=narrow)
    assert code.count("astype_bar(") == 5
    # forward mode: the tangent of a float64 value is float64
    t = RNG.uniform(-1.0, 1.0, 4).astype(np.float32)
    _, dot = ad.jvp(float32_data_summed_in_float64)(*narrow, tangents=t)
    assert np.asarray(dot).dtype == np.float64
    np.testing.assert_allclose(dot, np.sum(expected[0] * t), rtol=1e-4)
    # a float32 dtype of float64 values: float32 results, float64 gradients
    g = ad.grad(lambda x: np.sum(np.cumsum(x, dtype=np.float32) ** 2))(w)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, ad.grad(lambda x: np.sum(np.cumsum(x) ** 2))(w), rtol=1e-5)
