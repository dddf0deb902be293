"""Adjoints of the runtime helpers generated code calls.

With these, generated gradient code is itself differentiable: ``ad.grad`` of
a gradient, Hessians, and forward-over-reverse Hessian-vector products. Most
helpers are linear in their first argument (an adjoint); the product helpers
(matmul, dot, kron, tensordot, einsum) are bilinear in the adjoint and the
other operand; the adjoints of np.prod, np.cumprod and np.linalg.norm depend
on x too, and their derivatives call second-derivative helpers (``*_hvp``),
which are not differentiated again (``refused``). tests/test_second_order.py
checks that every helper a rule emits into gradient code has a rule here.
"""
# ruff: noqa: F821, F841

import numpy as np

from .. import runtime
from . import adjoint, adjoint_from, arrays, inert, nondifferentiable, refused, tangent


@adjoint(runtime.unbroadcast, shape="unknown", linear=True, constant=('x',))
def unbroadcast(y, g, x):
    # summing over the broadcast axes; its adjoint broadcasts back
    g_bar += rebroadcast(y_bar, g)


@adjoint(runtime.rebroadcast, shape="unknown", linear=True, constant=('like',))
def rebroadcast(y, t, like):
    t_bar += unbroadcast(y_bar, t)


@adjoint(runtime.as_gradient, shape="unknown", linear=True, constant=('x',))
def as_gradient(y, g, x):
    g_bar += unbroadcast(y_bar, g)


@adjoint(runtime.getitem_bar, shape="unknown", linear=True, constant=('x', 'index'))
def getitem_bar(y, g, x, index):
    # scattering g into zeros at index; its adjoint gathers
    g_bar += y_bar[index]


@adjoint(runtime.without_item, shape="same", linear=True, constant=('index',))
def without_item(y, g, index):
    # zeroing the entries at index: its own adjoint
    g_bar += without_item(y_bar, index)


@adjoint(runtime.item_written, shape="unknown", linear=True, constant=('index',))
def item_written(y, g, index):
    # gathering at index the entries each written last; its adjoint puts them back there
    g_bar += item_tangent(g, index, y_bar)


@adjoint(runtime.item_tangent, shape="same", linear=True, constant=('x', 'index'))
def item_tangent(y, x, index, value_dot):
    # zeros holding value_dot at index; its adjoint gathers what stays there
    value_dot_bar += unbroadcast(item_written(y_bar, index), value_dot)


@adjoint(runtime.unreduce, shape="unknown", linear=True, constant=('x',))
def unreduce(y, g, x, axis=None, keepdims=False):
    g_bar += np.sum(y_bar, axis=axis, keepdims=keepdims)


@adjoint(runtime.transpose_bar, shape="same", linear=True)
def transpose_bar(y, g, axes=None):
    g_bar += np.transpose(y_bar, axes)


@adjoint(runtime.matmul_bar_left, shape="unknown", constant=('x',))
def matmul_bar_left(u, g, x, y):
    # u = the adjoint of x in x @ y, bilinear in (g, y): <a, u> = <a @ y, g>
    g_bar += np.matmul(u_bar, y)
    y_bar += matmul_bar_right(g, u_bar, y)


@tangent(runtime.matmul_bar_left)
def matmul_bar_left_tangent(u, g, x, y):
    u_dot += matmul_bar_left(g_dot, x, y)
    u_dot += matmul_bar_left(g, x, y_dot)


@adjoint(runtime.matmul_bar_right, shape="unknown", constant=('y',))
def matmul_bar_right(u, g, x, y):
    # u = the adjoint of y in x @ y: <b, u> = <x @ b, g>
    g_bar += np.matmul(x, u_bar)
    x_bar += matmul_bar_left(g, x, u_bar)


@tangent(runtime.matmul_bar_right)
def matmul_bar_right_tangent(u, g, x, y):
    u_dot += matmul_bar_right(g_dot, x, y)
    u_dot += matmul_bar_right(g, x_dot, y)


@adjoint(runtime.dot_bar_left, shape="unknown", constant=('x',))
def dot_bar_left(u, g, x, y):
    g_bar += np.dot(u_bar, y)
    y_bar += dot_bar_right(g, u_bar, y)


@tangent(runtime.dot_bar_left)
def dot_bar_left_tangent(u, g, x, y):
    u_dot += dot_bar_left(g_dot, x, y)
    u_dot += dot_bar_left(g, x, y_dot)


@adjoint(runtime.dot_bar_right, shape="unknown", constant=('y',))
def dot_bar_right(u, g, x, y):
    g_bar += np.dot(x, u_bar)
    x_bar += dot_bar_left(g, x, u_bar)


@tangent(runtime.dot_bar_right)
def dot_bar_right_tangent(u, g, x, y):
    u_dot += dot_bar_right(g_dot, x, y)
    u_dot += dot_bar_right(g, x_dot, y)


@adjoint(runtime.scaled_power)
def scaled_power(s, c, x, p):
    # s = c * x ** p, 0 where c == 0 (the pow rule's d/dx): each partial is a scaled power
    # too, 0 where its factor is (where s does not change)
    c_bar += unbroadcast(s_bar * scaled_power(1.0, x, p), c)
    x_bar += unbroadcast(s_bar * scaled_power(c * p, x, p - 1), x)
    p_bar += unbroadcast(s_bar * scaled_power(c * log_or_zero(x), x, p), p)


@adjoint(runtime.log_or_zero)
def log_or_zero(y, x):
    # 1 / x, and 0 where x == 0 (where log(x) was replaced by the constant 0)
    x_bar += y_bar * scaled_power(x != 0, x, -1)


@adjoint(runtime.filled_like, shape="unknown", linear=True, constant=("x",))
def filled_like(y, x, fill):
    # the same, with the shape of an array (the adjoint of a sum or mean of all entries)
    fill_bar += unbroadcast(y_bar, fill)


# The adjoints of np.concatenate, np.stack, ... cut an adjoint g into one piece per item of
# a list xs (xs gives only the items' shapes): linear in g, and their adjoint joins the
# pieces' adjoints back the way the primitive joins its items. For an array xs (its rows
# are the items) the pieces are an array. The pieces' adjoints are an object array, one per
# piece (see runtime.pair), which list() makes a list again (and which cannot be
# differentiated a third time: list() has no rule, so that is refused).

@adjoint(runtime.parts, shape="same", linear=True)
def parts(y, pieces):
    # the same pieces, in an object array: the identity
    pieces_bar += y_bar


@adjoint(runtime.join_parts, shape="unknown", linear=True)
def join_parts(y, pieces, axis=0):
    # np.split's adjoint: its own adjoint cuts the joined array back into pieces
    pieces_bar += cut_parts(y_bar, pieces, axis)


@adjoint(runtime.cut_parts, shape="unknown", linear=True, constant=("pieces",))
def cut_parts(u, g, pieces, axis=0):
    g_bar += join_parts(u_bar, axis)


@adjoint(runtime.meshgrid_bar, shape="unknown", linear=True, constant=("x",))
def meshgrid_bar(y, g, x, k, indexing="xy"):
    # np.meshgrid's adjoint: its own adjoint lays y_bar along the k-th output's axis
    g_bar += meshgrid_dot(y_bar, g, k, indexing)


@adjoint(runtime.meshgrid_dot, shape="unknown", linear=True, constant=("like",))
def meshgrid_dot(u, t, like, k, indexing="xy"):
    t_bar += meshgrid_bar(u_bar, t, k, indexing)


@adjoint(runtime.placed_bar, shape="unknown", linear=True, constant=("x", "source"))
def placed_bar(y, g, x, source):
    # scattering g to the positions source; its adjoint gathers from there
    g_bar += placed_dot(y_bar, source)


@adjoint(runtime.placed_dot, shape="unknown", linear=True, constant=("source",))
def placed_dot(y, t, source):
    t_bar += placed_bar(y_bar, t, source)


@adjoint(runtime.concatenate_bar, shape="unknown", linear=True, sequence="xs", constant=('xs',))
def concatenate_bar(pieces, g, xs, axis=0):
    g_bar += np.concatenate(list(pieces_bar), axis=axis)


@adjoint(runtime.stack_bar, shape="unknown", linear=True, sequence="xs", constant=('xs',))
def stack_bar(pieces, g, xs, axis=0):
    g_bar += np.stack(list(pieces_bar), axis)


@adjoint(runtime.hstack_bar, shape="unknown", linear=True, sequence="xs", constant=('xs',))
def hstack_bar(pieces, g, xs):
    g_bar += np.hstack(list(pieces_bar))


@adjoint(runtime.vstack_bar, shape="unknown", linear=True, sequence="xs", constant=('xs',))
def vstack_bar(pieces, g, xs):
    g_bar += np.reshape(np.vstack(list(pieces_bar)), np.shape(g))


# np.block's rule (rules/arrays.py) for the helper generated code calls it by
adjoint_from(arrays.block, runtime.block_of, name="block_of", shape="unknown", sequence="xs")


@adjoint(runtime.block_bar, shape="unknown", linear=True, sequence="xs", constant=('xs',))
def block_bar(pieces, g, xs, layout=0):
    g_bar += block_of(list(pieces_bar), layout)


@adjoint(runtime.r_bar, shape="unknown", linear=True, sequence="xs", constant=('xs',))
def r_bar(pieces, g, xs):
    g_bar += r_join(pieces_bar)


@adjoint(runtime.c_bar, shape="unknown", linear=True, sequence="xs", constant=('xs',))
def c_bar(pieces, g, xs):
    g_bar += c_join(pieces_bar)


@adjoint(runtime.sum_bar, shape="unknown", linear=True, sequence="xs", constant=('xs',))
def sum_bar(pieces, g, xs):
    g_bar += sum_join(pieces_bar, g)


@adjoint(runtime.array_bar, shape="unknown", linear=True, sequence="xs", constant=('xs',))
def array_bar(pieces, g, xs):
    g_bar += array_of_pieces(pieces_bar)


# -- adjoints of shape operations: linear in the adjoint g, so each one's adjoint is the shape
# operation itself, and its tangent is the helper applied to g_dot -----------------------------

@adjoint(runtime.tile_bar, shape="unknown", linear=True, constant=('x', 'reps'))
def tile_bar(u, g, x, reps):
    g_bar += np.tile(u_bar, reps)


@adjoint(runtime.repeat_bar, shape="unknown", linear=True, constant=('x', 'repeats'))
def repeat_bar(u, g, x, repeats, axis=None):
    g_bar += np.repeat(u_bar, repeats, axis)


@adjoint(runtime.diag_bar, shape="unknown", linear=True, constant=('x',))
def diag_bar(u, g, x, k=0):
    # a vector x: u is the k-th diagonal of g; a matrix x: g put on u's k-th diagonal
    g_bar += np.diag(u_bar, k)


@adjoint(runtime.trace_bar, shape="unknown", linear=True, constant=('x',))
def trace_bar(u, g, x, offset=0, axis1=0, axis2=1):
    g_bar += np.trace(u_bar, offset, axis1, axis2)


@adjoint(runtime.pad_bar, shape="unknown", linear=True, constant=('x', 'pad_width'))
def pad_bar(u, g, x, pad_width, mode="constant"):
    # pad_bar is the transpose of padding with zeros (or with copies of entries)
    g_bar += np.pad(u_bar, pad_width, mode=mode)


@adjoint(runtime.astype_bar, shape="same", linear=True, constant=('dtype',))
def astype_bar(u, g, dtype, precision=None):
    # a cast for a floating type, zero for an integer one: its own adjoint, back in g's precision
    g_bar += astype_bar(u_bar, dtype, np.result_type(g))


# -- adjoints of products: bilinear in the adjoint g and the other operand ----------------------

@adjoint(runtime.kron_bar_left, shape="unknown", constant=('x',))
def kron_bar_left(u, g, x, y):
    # u = the adjoint of x in np.kron(x, y): <a, u> = <np.kron(a, y), g>
    g_bar += np.kron(u_bar, y)
    y_bar += kron_bar_right(g, u_bar, y)


@tangent(runtime.kron_bar_left)
def kron_bar_left_tangent(u, g, x, y):
    u_dot += kron_bar_left(g_dot, x, y)
    u_dot += kron_bar_left(g, x, y_dot)


@adjoint(runtime.kron_bar_right, shape="unknown", constant=('y',))
def kron_bar_right(u, g, x, y):
    # <b, u> = <np.kron(x, b), g>
    g_bar += np.kron(x, u_bar)
    x_bar += kron_bar_left(g, x, u_bar)


@tangent(runtime.kron_bar_right)
def kron_bar_right_tangent(u, g, x, y):
    u_dot += kron_bar_right(g_dot, x, y)
    u_dot += kron_bar_right(g, x_dot, y)


@adjoint(runtime.tensordot_bar_left, shape="unknown", constant=('x',))
def tensordot_bar_left(u, g, x, y, axes=2):
    # <a, u> = <np.tensordot(a, y, axes), g>
    g_bar += np.tensordot(u_bar, y, axes)
    y_bar += tensordot_bar_right(g, u_bar, y, axes)


@tangent(runtime.tensordot_bar_left)
def tensordot_bar_left_tangent(u, g, x, y, axes=2):
    u_dot += tensordot_bar_left(g_dot, x, y, axes)
    u_dot += tensordot_bar_left(g, x, y_dot, axes)


@adjoint(runtime.tensordot_bar_right, shape="unknown", constant=('y',))
def tensordot_bar_right(u, g, x, y, axes=2):
    # <b, u> = <np.tensordot(x, b, axes), g>
    g_bar += np.tensordot(x, u_bar, axes)
    x_bar += tensordot_bar_left(g, x, u_bar, axes)


@tangent(runtime.tensordot_bar_right)
def tensordot_bar_right_tangent(u, g, x, y, axes=2):
    u_dot += tensordot_bar_right(g_dot, x, y, axes)
    u_dot += tensordot_bar_right(g, x_dot, y, axes)


@adjoint(runtime.einsum_bar, shape="unknown", constant=('spec',))
def einsum_bar(u, g, spec, a, b, k=0):
    # u = the adjoint of operand k: <v, u> = <np.einsum(spec, v, b), g> for k = 0
    if b is None:
        g_bar += np.einsum(spec, u_bar)
    elif k == 0:
        g_bar += np.einsum(spec, u_bar, b)
        b_bar += einsum_bar(g, spec, u_bar, b, 1)
    elif k == 1:
        g_bar += np.einsum(spec, a, u_bar)
        a_bar += einsum_bar(g, spec, a, u_bar, 0)
    else:
        unsupported("einsum_bar with an operand number that is not a constant")


@tangent(runtime.einsum_bar)
def einsum_bar_tangent(u, g, spec, a, b, k=0):
    u_dot += einsum_bar(g_dot, spec, a, b, k)
    if k == 0:
        u_dot += einsum_bar(g, spec, a, b_dot, k)
    elif k == 1:
        u_dot += einsum_bar(g, spec, a_dot, b, k)
    else:
        unsupported("einsum_bar with an operand number that is not a constant")


@adjoint(runtime.read_symmetric, shape="same", linear=True)
def read_symmetric(y, x, UPLO="L"):
    # the matrix eigh reads from one triangle of x; its adjoint puts a gradient on that triangle
    x_bar += read_symmetric_bar(y_bar, UPLO)


@adjoint(runtime.read_symmetric_bar, shape="same", linear=True)
def read_symmetric_bar(u, g, UPLO="L"):
    g_bar += read_symmetric(u_bar, UPLO)


@adjoint(runtime.as_column, shape="unknown", linear=True, constant=('b',))
def as_column(u, v, b):
    v_bar += from_column(u_bar, b)


@adjoint(runtime.from_column, shape="unknown", linear=True, constant=('b',))
def from_column(u, w, b):
    w_bar += as_column(u_bar, b)


# -- helpers that are not linear in x: their derivatives need the primitive's second
# derivative, a helper of its own (*_hvp) ---------------------------------------------------

@adjoint(runtime.prod_others, shape="same")
def prod_others(p, x, axis=None):
    # p = the gradient of np.prod(x, axis): its derivative is the product's Hessian
    x_bar += prod_hvp(p_bar, x, axis)


@tangent(runtime.prod_others)
def prod_others_tangent(p, x, axis=None):
    p_dot += prod_hvp(x_dot, x, axis)


@adjoint(runtime.cumprod_bar, shape="unknown")
def cumprod_bar(u, g, x, axis=None):
    # u = J^T g, J the Jacobian of y = np.cumprod(x, axis)
    g_bar += cumprod_dot(u_bar, x, axis)
    x_bar += cumprod_hvp(g, u_bar, x, axis)


@tangent(runtime.cumprod_bar)
def cumprod_bar_tangent(u, g, x, axis=None):
    u_dot += cumprod_bar(g_dot, x, axis)
    u_dot += cumprod_hvp(g, x_dot, x, axis)


@adjoint(runtime.norm_bar, shape="unknown", constant=('y',))
def norm_bar(u, g, x, y, ord=None, axis=None, keepdims=False):
    # u = J^T g, J the Jacobian of y = np.linalg.norm(x, ...). y is x's norm (the norm rule
    # passes its result), so the derivative in x is the whole derivative and y gets none
    g_bar += norm_dot(u_bar, x, y, ord, axis, keepdims)
    x_bar += norm_hvp(g, u_bar, x, y, ord, axis, keepdims)


@tangent(runtime.norm_bar)
def norm_bar_tangent(u, g, x, y, ord=None, axis=None, keepdims=False):
    u_dot += norm_bar(g_dot, x, y, ord, axis, keepdims)
    u_dot += norm_hvp(g, x_dot, x, y, ord, axis, keepdims)


refused(runtime.prod_hvp, runtime.cumprod_dot, runtime.cumprod_hvp, runtime.norm_dot,
        runtime.norm_hvp,
        reason="a third derivative through np.prod, np.cumprod or np.linalg.norm (of an "
               "order other than 2-norm and Frobenius) is not supported")
refused(runtime.array_of_pieces,
        reason="a third derivative through np.array of a list is not supported")
refused(runtime.sum_join,
        reason="a third derivative through Python's sum of a list is not supported")
refused(runtime.r_join, runtime.c_join,
        reason="a third derivative through np.r_ or np.c_ is not supported")
refused(runtime.lstsq_bar, runtime.lstsq_dot,
        reason="a second derivative through np.linalg.lstsq is not supported")
refused(runtime.gammainc_dlog_da, runtime.betainc_dlog,
        reason="a second derivative of a scipy.stats gamma, beta or t cdf in its shape "
               "parameter (a, b, df) is not supported")

nondifferentiable(runtime.zeros_like, runtime.reduced_size, runtime.argmax_mask,
                  runtime.inner_axes, runtime.stop_gradient, runtime.convolve_padding,
                  runtime.correlate_padding)
inert(runtime.require_immutable, runtime.require_floating, runtime.require_float_array,
      runtime.require_array, runtime.require_length, runtime.require_rows,
      runtime.require_ndarray, runtime.require_array_written, runtime.require_positions,
      runtime.require_distinct, runtime.require_unshared, runtime.require_sole_item,
      runtime.require_array_items, runtime.require_supported)


@adjoint(runtime.cofactor, shape="same")
def cofactor(c, x):
    # c = det(x) M^T with M = x^-1 (second derivatives need x invertible):
    # dc = det(x) (tr(M dx) M^T - (M dx M)^T)
    x_bar += np.expand_dims(np.sum(c_bar * c, axis=(-2, -1)) / np.linalg.det(x), (-1, -2)) * c \
        - np.expand_dims(np.linalg.det(x), (-1, -2)) * np.swapaxes(
            np.linalg.inv(x) @ c_bar @ np.linalg.inv(x), -1, -2)


@tangent(runtime.cofactor)
def cofactor_tangent(c, x):
    c_dot += np.expand_dims(np.trace(np.linalg.solve(x, x_dot), axis1=-2, axis2=-1),
                            (-1, -2)) * c \
        - np.expand_dims(np.linalg.det(x), (-1, -2)) * np.swapaxes(
            np.linalg.inv(x) @ x_dot @ np.linalg.inv(x), -1, -2)


@adjoint(runtime.stable_sigmoid)
def stable_sigmoid(y, d):
    # sigmoid' = sigmoid(d) sigmoid(-d), each factor to its relative precision
    d_bar += y_bar * (y * stable_sigmoid(-d))


@adjoint(runtime.interp_slope, shape="same", constant=("x",))
def interp_slope(s, x, xp, fp, left=None, right=None, period=None):
    # linear in fp; piecewise constant in x (its derivative there is zero)
    fp_bar += interp_slope_bar(s_bar, x, xp, fp, left, right, period)


@tangent(runtime.interp_slope)
def interp_slope_tangent(s, x, xp, fp, left=None, right=None, period=None):
    s_dot += interp_slope(x, xp, fp_dot, left, right, period)


@adjoint(runtime.interp_fp_bar, shape="unknown", constant=("fp",))
def interp_fp_bar(u, g, x, xp, fp, left=None, right=None, period=None):
    # linear in g (its transpose interpolates); the weights move with x along its segment
    g_bar += interp_linear(x, xp, u_bar, left, right, period)
    x_bar += g * interp_slope(x, xp, u_bar, left, right, period)


@tangent(runtime.interp_fp_bar)
def interp_fp_bar_tangent(u, g, x, xp, fp, left=None, right=None, period=None):
    u_dot += interp_fp_bar(g_dot, x, xp, fp, left, right, period)
    u_dot += interp_slope_bar(g * x_dot, x, xp, fp, left, right, period)


@adjoint(runtime.interp_linear, shape="same")
def interp_linear(y, x, xp, v, left=None, right=None, period=None):
    x_bar += y_bar * interp_slope(x, xp, v, left, right, period)
    v_bar += interp_fp_bar(y_bar, x, xp, v, left, right, period)


@tangent(runtime.interp_linear)
def interp_linear_tangent(y, x, xp, v, left=None, right=None, period=None):
    y_dot += x_dot * interp_slope(x, xp, v, left, right, period)
    y_dot += interp_linear(x, xp, v_dot, left, right, period)


@adjoint(runtime.interp_slope_bar, shape="unknown", linear=True, constant=("x", "fp"))
def interp_slope_bar(u, s, x, xp, fp, left=None, right=None, period=None):
    # linear in s; piecewise constant in x; fp gives its length only
    s_bar += interp_slope(x, xp, u_bar, left, right, period)


@tangent(runtime.interp_slope_bar)
def interp_slope_bar_tangent(u, s, x, xp, fp, left=None, right=None, period=None):
    u_dot += interp_slope_bar(s_dot, x, xp, fp, left, right, period)


@adjoint(runtime.polyval_derivative, shape="unknown")
def polyval_derivative(y, p, x, k=1):
    # the next derivative in x; linear in p
    x_bar += unbroadcast(y_bar * polyval_derivative(p, x, k + 1), x)
    p_bar += polyval_bar(y_bar, p, x, k)


@tangent(runtime.polyval_derivative)
def polyval_derivative_tangent(y, p, x, k=1):
    y_dot += x_dot * polyval_derivative(p, x, k + 1)
    y_dot += polyval_derivative(p_dot, x, k)


@adjoint(runtime.polyval_bar, shape="unknown", constant=("p",))
def polyval_bar(u, g, p, x, k=0):
    # linear in g (its transpose evaluates the k-th derivative of the polynomial u_bar);
    # in x, the next derivative (p gives its length only)
    g_bar += unbroadcast(polyval_derivative(u_bar, x, k), g)
    x_bar += unbroadcast(g * polyval_derivative(u_bar, x, k + 1), x)


@tangent(runtime.polyval_bar)
def polyval_bar_tangent(u, g, p, x, k=0):
    u_dot += polyval_bar(g_dot, p, x, k)
    u_dot += polyval_bar(g * x_dot, p, x, k + 1)


@adjoint(runtime.polygamma)
def polygamma(y, x, n=0):
    # the derivative of polygamma of order n is polygamma of order n + 1
    x_bar += y_bar * polygamma(x, n + 1)


@adjoint(runtime.private_copy, shape="same", linear=True)
def private_copy(y, x):
    # a copy: the identity
    x_bar += y_bar


@adjoint(runtime.require_update_shape, shape="same", linear=True, constant=("old", "message"))
def require_update_shape(y, new, old, message):
    # x op= e's new value, checked (an array again where x is a 0-d one): the identity
    new_bar += y_bar


# -- adjoints of picking entries and of more joins (runtime/gathers.py): linear in g, each one's
# adjoint is the selection itself ----------------------------------------------------------

@adjoint(runtime.take_bar, shape="unknown", linear=True, constant=('x', 'indices'))
def take_bar(u, g, x, indices, axis=None):
    g_bar += np.take(u_bar, indices, axis)


@adjoint(runtime.take_along_axis_bar, shape="unknown", linear=True, constant=('x', 'indices'))
def take_along_axis_bar(u, g, x, indices, axis=-1):
    g_bar += np.reshape(np.take_along_axis(u_bar, indices, axis), np.shape(g))


@adjoint(runtime.diagonal_bar, shape="unknown", linear=True, constant=('x',))
def diagonal_bar(u, g, x, offset=0, axis1=0, axis2=1):
    g_bar += np.diagonal(u_bar, offset, axis1, axis2)


@adjoint(runtime.diff_bar, shape="same", linear=True)
def diff_bar(u, g, n=1, axis=-1):
    # diff_bar is the transpose of np.diff: its own transpose is np.diff
    g_bar += np.diff(u_bar, n, axis)


@adjoint(runtime.sliding_window_bar, shape="unknown", linear=True, constant=('x',))
def sliding_window_bar(u, g, x, window_shape, axis=None):
    # the transpose of adding the windows back is reading them
    g_bar += np.lib.stride_tricks.sliding_window_view(u_bar, window_shape, axis)


@adjoint(runtime.column_stack_bar, shape="unknown", linear=True, sequence="xs", constant=('xs',))
def column_stack_bar(pieces, g, xs):
    g_bar += np.column_stack(list(pieces_bar))


@adjoint(runtime.dstack_bar, shape="unknown", linear=True, sequence="xs", constant=('xs',))
def dstack_bar(pieces, g, xs):
    g_bar += np.reshape(np.dstack(list(pieces_bar)), np.shape(g))


nondifferentiable(runtime.quantile_weights, runtime.weights_shape, runtime.running_source,
                  runtime.item_place, runtime.insert_sources)


@adjoint(runtime.quantile_bar, shape="unknown", linear=True, constant=('x', 'q'))
def quantile_bar(y, g, x, q, axis=None, keepdims=False):
    g_bar += quantile_dot(y_bar, x, q, axis=axis, keepdims=keepdims)


@adjoint(runtime.quantile_dot, shape="unknown", linear=True, constant=('x', 'q'))
def quantile_dot(y, t, x, q, axis=None, keepdims=False):
    t_bar += quantile_bar(y_bar, x, q, axis=axis, keepdims=keepdims)
nondifferentiable(runtime.real_sign)   # np.sign, refusing complex values


@adjoint(runtime.cross_bar, shape="unknown", constant=('a',))
def cross_bar(u, g, a, b):
    # u = the adjoint of a in np.cross(a, b), bilinear in (g, b): <w, b x g> = <g, w x b>
    # = <b, g x w>
    g_bar += np.cross(u_bar, b)
    b_bar += cross_bar(u_bar, b, g)


@tangent(runtime.cross_bar)
def cross_bar_tangent(u, g, a, b):
    u_dot += cross_bar(g_dot, a, b)
    u_dot += cross_bar(g, a, b_dot)


@adjoint(runtime.upper_block, shape="unknown")
def upper_block(b, x, g):
    # b = [[x, g], [0, x]]: x's adjoint is the sum of the diagonal blocks', g's the upper right
    m = np.shape(x)[-1]
    x_bar += unbroadcast(b_bar[..., :m, :m] + b_bar[..., m:, m:], x)
    g_bar += unbroadcast(b_bar[..., :m, m:], g)


@tangent(runtime.upper_block)
def upper_block_tangent(b, x, g):
    b_dot += upper_block(x_dot, np.zeros_like(g))
    b_dot += upper_block(np.zeros_like(x), g_dot)


# -- max/min of a sequence, sorted, np.gradient, eig's check (runtime/selections.py): each
# *_bar is linear in g, its derivative in the values (which item is picked, in which order)
# piecewise constant, and it is the transpose of the *_dot beside it ----------------------------

@adjoint(runtime.extreme_bar, shape="unknown", linear=True, sequence="xs", constant=("xs", "m"))
def extreme_bar(pieces, g, xs, m):
    g_bar += extreme_dot(pieces_bar, xs, m)


@adjoint(runtime.extreme_dot, shape="unknown", linear=True, sequence="t", constant=("xs", "m"))
def extreme_dot(y, t, xs, m):
    t_bar += extreme_bar(y_bar, xs, m)


@adjoint(runtime.sorted_bar, shape="unknown", linear=True, sequence="xs", constant=("xs",))
def sorted_bar(pieces, g, xs, reverse=False):
    g_bar += sorted_dot(pieces_bar, xs, reverse)


@adjoint(runtime.sorted_dot, shape="unknown", linear=True, sequence="xs", constant=("xs",))
def sorted_dot(y, t, xs, reverse=False):
    t_bar += sorted_bar(y_bar, xs, reverse)


@adjoint(runtime.items_bar, shape="unknown", linear=True, sequence="xs", constant=("xs",))
def items_bar(pieces, g, xs):
    g_bar += items_dot(pieces_bar, xs)


@adjoint(runtime.items_dot, shape="unknown", linear=True, sequence="xs", constant=("xs",))
def items_dot(y, t, xs):
    t_bar += items_bar(y_bar, xs)


@adjoint(runtime.entries_bar, shape="unknown", linear=True, constant=("x",))
def entries_bar(pieces, g, x):
    g_bar += entries_dot(pieces_bar, x)


@adjoint(runtime.entries_dot, shape="unknown", linear=True, constant=("x",))
def entries_dot(y, t, x):
    t_bar += entries_bar(y_bar, x)


@adjoint(runtime.gradient_bar, shape="unknown", linear=True, constant=("f",))
def gradient_bar(u, g, f, spacing=None, axis=None, edge_order=1):
    g_bar += gradient_of(u_bar, spacing, axis, edge_order)


@adjoint(runtime.gradient_of, shape="unknown", linear=True)
def gradient_of(y, f, spacing=None, axis=None, edge_order=1):
    f_bar += gradient_bar(y_bar, f, spacing, axis, edge_order)


@adjoint(runtime.identity_part, shape="unknown", linear=True, constant=('q',))
def identity_part(y, w, q):
    # the trace of w for a number q, w for a matrix; its transpose spreads back
    w_bar += identity_spread(y_bar, w, q)


@adjoint(runtime.identity_spread, shape="unknown", linear=True, constant=('w', 'q'))
def identity_spread(y, u, w, q):
    u_bar += identity_part(y_bar, q)


@adjoint(runtime.real_eigen, shape="same", linear=True)
def real_eigen(y, value, what=""):
    # the identity (it only refuses complex values)
    value_bar += y_bar


@adjoint(runtime.real_value, shape="same", linear=True)
def real_value(y, value, what=""):
    # the identity (it only refuses complex values)
    value_bar += y_bar


@adjoint(runtime.multi_dot_bar, shape="unknown", linear=True, sequence="xs")
def multi_dot_bar(pieces, g, xs):
    # (its transpose takes two lists, which a rule cannot: refused, never wrong)
    unsupported("a second derivative through np.linalg.multi_dot is not supported")
