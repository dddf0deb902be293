"""Second derivatives through NumPy primitives whose adjoints call runtime helpers.

A primitive's adjoint may call a helper of ``adcompile.runtime`` (``tile_bar``,
``cumprod_bar``, ``norm_bar``, ...). Differentiating gradient code again needs
an adjoint rule for each such helper (``adcompile/rules/generated.py``), or an
adjoint written in differentiable primitives (``np.linalg.solve``,
``cholesky``, ``eigh``, ``svd``). Here, for each, the Hessian (reverse over
reverse, and forward over reverse) and the Hessian-vector product
``ad.jvp(ad.grad(f))`` are compared with central differences of the generated
gradient, and ``test_every_helper_a_rule_emits_has_a_rule`` checks that no
helper a rule can emit into gradient code is left without a rule.
"""

import ast
import inspect
import sys

import numpy as np
import pytest
from conftest import EPS, assert_close
from test_rules import covers

import adcompile as ad
from adcompile import runtime
from adcompile.rules import REGISTRY

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def gradient_differences(f, args, wrt, by=None):
    """d grad f / d args[by] (``by`` None: ``wrt``) by central differences of adcompile's
    gradient with respect to ``wrt``: shape args[wrt] + args[by]."""
    by = wrt if by is None else by
    g = ad.grad(f, wrt=wrt)
    base = np.array(args[by], dtype=np.float64)
    columns = []
    for i in np.ndindex(base.shape):
        h = EPS * max(1.0, abs(float(base[i])))
        values = []
        for step in (h, -h):
            p = base.copy()
            p[i] += step
            moved = list(args)
            moved[by] = p if isinstance(args[by], np.ndarray) else float(p)
            values.append(np.asarray(g(*moved), dtype=np.float64))
        columns.append((values[0] - values[1]) / (2 * h))
    return np.stack(columns, axis=-1).reshape(np.shape(args[wrt]) + base.shape)


def assert_second_order(f, *args, wrt=0, rtol=1e-5, atol=1e-6):
    """ad.hessian in both modes, and ad.jvp(ad.grad(f)) along a random direction, equal
    central differences of the gradient; for a number x, so does ad.grad(ad.grad(f))."""
    expected = gradient_differences(f, args, wrt)
    x = args[wrt]
    scale = atol * max(1, np.size(x))
    for mode in ("reverse", "forward"):
        H = ad.hessian(f, wrt=wrt, mode=mode)(*args)
        assert np.shape(H) == np.shape(expected)
        assert_close(H, expected, rtol, scale, f"Hessian ({mode} over reverse) of {f.__name__}")
    v = np.random.default_rng(np.size(x)).uniform(-1.0, 1.0, np.shape(x))
    direction = v if isinstance(x, np.ndarray) else float(v)
    _, hv = ad.jvp(ad.grad(f, wrt=wrt), wrt=wrt)(*args, direction)
    assert_close(hv, np.tensordot(expected, v, axes=np.ndim(x)), rtol, scale,
                 f"Hessian-vector product of {f.__name__}")
    if not isinstance(x, np.ndarray):
        assert_close(ad.grad(ad.grad(f, wrt=wrt), wrt=wrt)(*args), expected, rtol, atol,
                     f"grad of grad of {f.__name__}")


RNG = np.random.default_rng(11)


def normal(*shape):
    return RNG.normal(size=shape)


# ---------------------------------------------------------------------------
# adjoints linear in the adjoint: tile, repeat, diag, trace, pad, astype
# ---------------------------------------------------------------------------

def tile_case(x, w, reps):
    return np.sum(w * np.tile(x, reps) ** 3)


def repeat_case(x, w, repeats, axis):
    return np.sum(w * np.repeat(x, repeats, axis) ** 3)


def diag_case(x, w, k):
    return np.sum(w * np.diag(x, k) ** 3)


def trace_case(x, w, offset, axis1, axis2):
    return np.sum(w * np.trace(x, offset, axis1, axis2) ** 3)


def pad_case(x, w, widths, mode):
    return np.sum(w * np.pad(x, widths, mode=mode) ** 3)


def pad_literal(x):
    return np.sum(np.pad(x, ((1, 2), (0, 3)), mode="reflect") ** 3) + np.sum(np.pad(x, 1) ** 4)


def astype_case(x, w):
    return np.sum(w * x.astype(np.float64) ** 3) + np.sum(x.astype(int) * x ** 2)


def weights_for(f, x, *rest):
    """Weights shaped like the array ``f`` cubes (found by calling it with weight 1)."""
    probe = {tile_case: lambda: np.tile(x, rest[0]), repeat_case: lambda: np.repeat(x, *rest),
             diag_case: lambda: np.diag(x, *rest), trace_case: lambda: np.trace(x, *rest),
             pad_case: lambda: np.pad(x, rest[0], mode=rest[1])}[f]
    return RNG.uniform(0.5, 1.5, np.shape(probe()))


LINEAR_CASES = [  # case, x, static arguments
    (tile_case, normal(3), ((2, 1),)), (tile_case, normal(2, 2), (2,)),
    (tile_case, 0.7, ((2, 3),)),
    (repeat_case, normal(3), (2, None)), (repeat_case, normal(2, 3), (np.array([1, 0, 2]), 1)),
    (diag_case, normal(3), (1,)), (diag_case, normal(3, 4), (-1,)), (diag_case, normal(3, 3), (0,)),
    (trace_case, normal(3, 3), (0, 0, 1)), (trace_case, normal(2, 3, 4), (1, 2, 0)),
    (pad_case, normal(3), ((1, 2), "constant")), (pad_case, normal(2, 3), (((2, 0), (1, 1)), "edge")),
    (pad_case, normal(3), ((4, 2), "reflect")), (pad_case, normal(2, 3), (((1, 2), (3, 0)), "symmetric")),
    (pad_case, normal(3), ((1, 5), "wrap")), (pad_case, normal(2, 2), (1, "wrap")),
]


@covers(("generated", "tile_bar"), ("generated", "repeat_bar"), ("generated", "diag_bar"),
        ("generated", "trace_bar"), ("generated", "pad_bar"))
@pytest.mark.parametrize("case,x,rest", LINEAR_CASES,
                         ids=[f"{c.__name__}-{np.ndim(x)}d" for c, x, _ in LINEAR_CASES])
def test_linear_adjoints(case, x, rest):
    assert_second_order(case, x, weights_for(case, x, *rest), *rest)


@covers(("generated", "pad_bar"), ("generated", "astype_bar"))
def test_literal_pad_and_astype():
    assert_second_order(pad_literal, normal(2, 3))
    assert_second_order(astype_case, normal(2, 3) + 0.25, RNG.uniform(0.5, 1.5, (2, 3)))


# ---------------------------------------------------------------------------
# x ** y: d/dx is scaled_power(y, x, y - 1) (0 where y == 0, inf rather than an error at
# x == 0 for 0 < y < 1), d/dy is x ** y log(x) with log(0) taken as 0
# ---------------------------------------------------------------------------

def power_case(x, y, w):
    return np.sum(w * x ** y)


def power_scalar(x, y):
    return x ** y * 1.5 + np.power(x, y)


def power_constant(x, w):
    return np.sum(w * (x ** 0.5 + x ** 2.5 + x ** -1.5))


def power_two_and_a_half(x):
    return x ** 2.5


POWERS = [  # x, y: the differences of the gradient exist (x == 0 only with y an integer for
    # d/dx, with y > 0 for d/dy)
    (np.array([0.0, 0.7, 1.5, -0.0]), np.array([[0.0], [1.0], [2.0], [3.0]]), (0,)),
    (np.array([0.3, 0.7, 1.5]), np.array([[0.5], [-1.5], [2.5], [0.0]]), (0, 1)),
    (np.array([0.0, 0.7, 1.5]), np.array([[0.5], [2.0], [2.5]]), (1,)),
    (np.array([[0.4, 1.2]]), 0.0, (0, 1)),
]


@covers(("generated", "scaled_power"), ("generated", "log_or_zero"), ("python", "pow"))
@pytest.mark.parametrize("x,y,wrts", POWERS, ids=["x-at-0", "x-and-y", "y-at-0", "y-is-0"])
def test_power(x, y, wrts):
    w = RNG.uniform(0.5, 1.5, np.broadcast_shapes(np.shape(x), np.shape(y)))
    for wrt in wrts:
        assert_second_order(power_case, x, y, w, wrt=wrt)
    if wrts == (0, 1):   # the mixed partials, both ways round
        for wrt, by in [(0, 1), (1, 0)]:
            H = ad.jacobian(ad.grad(power_case, wrt=wrt), wrt=by)(x, y, w)
            assert_close(H, gradient_differences(power_case, (x, y, w), wrt, by), 1e-5, 1e-6,
                         f"d2 / d{'xy'[wrt]} d{'xy'[by]}")


@covers(("generated", "scaled_power"), ("python", "pow"))
@pytest.mark.parametrize("x,y", [(0.0, 2.0), (0.0, 3.0), (0.0, 1.0), (0.0, 0.0), (1.5, 0.7),
                                 (2.0, 0.0), (0.5, -1.5)], ids=str)
def test_power_of_numbers(x, y):
    assert_second_order(power_scalar, x, y, wrt=0)
    if x != 0:   # d/dy: 0 ** (y - h) is inf for y = 0
        assert_second_order(power_scalar, x, y, wrt=1)
        for wrt, by in [(0, 1), (1, 0)]:
            assert_close(ad.grad(ad.grad(power_scalar, wrt=wrt), wrt=by)(x, y),
                         gradient_differences(power_scalar, (x, y), wrt, by), 1e-5, 1e-6)
    # the mixed partial at y == 0 is x ** -1 (not 0: only x ** 0 itself is constant in x)
    if y == 0 and x != 0:
        assert ad.grad(ad.grad(power_scalar, wrt=0), wrt=1)(x, y) == pytest.approx(2.5 / x)


@covers(("generated", "scaled_power"), ("python", "pow"))
def test_power_constant_exponents():
    x = np.array([0.3, 0.8, 1.7])
    assert_second_order(power_constant, x, RNG.uniform(0.5, 1.5, 3))
    # at x == 0: d2/dx2 x ** 2.5 is 0, and the third derivative 2.5 * 1.5 * 0.5 * x ** -0.5
    # is infinite (the exponent 0.5 - 1 goes through scaled_power): no ZeroDivisionError
    assert ad.grad(ad.grad(power_two_and_a_half))(0.0) == 0.0
    assert ad.grad(ad.grad(ad.grad(power_two_and_a_half)))(0.0) == np.inf


# ---------------------------------------------------------------------------
# products: bilinear adjoints (kron, tensordot, inner, einsum with one or two operands)
# ---------------------------------------------------------------------------

def kron_case(x, w):
    return np.sum(w * np.kron(x, np.sin(x)) ** 2)


def tensordot_case(x, w, axes):
    return np.sum(w * np.tensordot(x, np.sin(x), axes) ** 2)


def inner_case(x, w):
    return np.sum(w * np.inner(x, np.cos(x)) ** 2)


def einsum_two(x, w, spec):
    return np.sum(w * np.einsum(spec, x, np.sin(x)) ** 2)


def einsum_one(x, w, spec):
    return np.sum(w * np.einsum(spec, x) ** 3)


@covers(("generated", "kron_bar_left"), ("generated", "kron_bar_right"))
@pytest.mark.parametrize("shape", [(3,), (2, 2)], ids=str)
def test_kron(shape):
    x = normal(*shape)
    assert_second_order(kron_case, x, RNG.uniform(0.5, 1.5, np.shape(np.kron(x, x))))


@covers(("generated", "tensordot_bar_left"), ("generated", "tensordot_bar_right"))
@pytest.mark.parametrize("shape,axes", [((2, 3), ([0], [0])), ((2, 2), 1), ((2, 3), 2),
                                        ((2, 2, 3), ([0, 2], [1, 2]))], ids=str)
def test_tensordot(shape, axes):
    x = normal(*shape)
    w = RNG.uniform(0.5, 1.5, np.shape(np.tensordot(x, x, axes)))
    assert_second_order(tensordot_case, x, w, axes)


@covers(("generated", "tensordot_bar_left"), ("generated", "tensordot_bar_right"))
def test_inner():
    x = normal(2, 3)
    assert_second_order(inner_case, x, RNG.uniform(0.5, 1.5, (2, 2)))


@covers(("generated", "einsum_bar"))
@pytest.mark.parametrize("spec,shape", [("ij,kj->ik", (2, 3)), ("ij,ij->i", (2, 3)),
                                        ("ii,ij->j", (3, 3)), ("ij,jk", (2, 2))], ids=str)
def test_einsum_two_operands(spec, shape):
    x = normal(*shape)
    w = RNG.uniform(0.5, 1.5, np.shape(np.einsum(spec, x, x)))
    assert_second_order(einsum_two, x, w, spec)


@covers(("generated", "einsum_bar"))
@pytest.mark.parametrize("spec,shape", [("ii->", (3, 3)), ("ij->ji", (2, 3)), ("ij->i", (2, 3)),
                                        ("ii->i", (3, 3)), ("iji->j", (2, 3, 2))], ids=str)
def test_einsum_one_operand(spec, shape):
    x = normal(*shape)
    w = RNG.uniform(0.5, 1.5, np.shape(np.einsum(spec, x)))
    assert_second_order(einsum_one, x, w, spec)


# ---------------------------------------------------------------------------
# products and norms: the helper's derivative is the primitive's second derivative
# ---------------------------------------------------------------------------

def prod_case(x, w, axis):
    return np.sum(w * np.prod(x, axis=axis))


def cumprod_case(x, w, axis):
    return np.sum(w * np.cumprod(x, axis=axis))


def norm_case(x, w, ord, axis, keepdims):
    return np.sum(w * np.linalg.norm(x, ord, axis, keepdims))


def norm_literal(x):
    return (np.linalg.norm(x) ** 2 + np.sum(np.linalg.norm(x, axis=0)) + np.linalg.norm(x, "nuc")
            + np.linalg.norm(x, 2) * np.linalg.norm(x, "fro") + np.sum(np.linalg.norm(x, 3, axis=1)))


@covers(("generated", "prod_others"))
@pytest.mark.parametrize("x,axis", [(normal(4), None), (normal(2, 3), 1), (normal(2, 3, 2), (0, 2)),
                                    (np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 5.0]]), None),
                                    (np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 5.0]]), 1)],
                         ids=["1d", "axis", "axes", "zero", "zeros"])
def test_prod(x, axis):
    w = RNG.uniform(0.5, 1.5, np.shape(np.prod(x, axis=axis)))
    assert_second_order(prod_case, x, w, axis)


@covers(("generated", "cumprod_bar"))
@pytest.mark.parametrize("x,axis", [(normal(4), None), (normal(2, 3), 1), (normal(3, 2), 0),
                                    (np.array([2.0, 0.0, 3.0, 0.5]), None),
                                    (np.array([[0.0, 0.0, 3.0], [1.5, 0.0, -1.0]]), -1)],
                         ids=["1d", "axis1", "axis0", "zero", "zeros"])
def test_cumprod(x, axis):
    w = RNG.uniform(0.5, 1.5, np.shape(np.cumprod(x, axis=axis)))
    assert_second_order(cumprod_case, x, w, axis)


NORMS = [  # shape, ord, axis, keepdims (the ord None and 'fro' cases are primitives)
    ((3,), None, None, False), ((2, 3), None, 1, True), ((2, 3), "fro", None, False),
    ((3,), 2, None, False), ((3,), 3, None, False), ((2, 3), 3, 0, True), ((3,), 1, None, False),
    ((3,), np.inf, None, False), ((3, 2), 2, None, False), ((2, 3), -2, None, False),
    ((3, 3), "nuc", None, True), ((2, 3, 2), "nuc", (0, 2), False), ((2, 3), 1, None, False),
]


@covers(("generated", "norm_bar"), ("linalg", "norm"))
@pytest.mark.parametrize("shape,ord,axis,keepdims", NORMS,
                         ids=[f"{len(s)}d-{o}-{a}" for s, o, a, _ in NORMS])
def test_norm(shape, ord, axis, keepdims):
    rng = np.random.default_rng(len(shape) + 3)
    # Away from the kinks: no zero entry, distinct singular values and, for the norms that
    # pick a largest entry or sum, distinct entries and sums.  Asking a 3-d stack for all
    # of it at once made this search take a minute.
    while True:
        x = rng.normal(size=shape)
        absolute = np.sort(np.abs(x).ravel())
        m = np.moveaxis(x, axis, (-2, -1)) if isinstance(axis, tuple) else np.atleast_2d(x)
        s = np.linalg.svd(m, compute_uv=False)
        sums = np.sort(np.concatenate([np.sum(np.abs(m), -1).ravel(),
                                       np.sum(np.abs(m), -2).ravel()]))
        spectral = ord in (2, -2, "nuc") and x.ndim > 1
        if absolute[0] > 0.2 and np.all(s > 0.2) and np.all(np.diff(s, axis=-1) < -0.2) \
                and (spectral or (np.all(np.diff(absolute) > 0.1) and np.all(np.diff(sums) > 0.1))):
            break
    w = rng.uniform(0.5, 1.5, np.shape(np.linalg.norm(x, ord, axis, keepdims)))
    assert_second_order(norm_case, x, w, ord, axis, keepdims)


@covers(("generated", "norm_bar"), ("linalg", "norm"))
def test_norm_literal():
    x = np.array([[2.0, -0.5, 1.0], [0.3, 1.5, -1.2]])
    assert_second_order(norm_literal, x)


# ---------------------------------------------------------------------------
# linalg: adjoints written in primitives (solve, cholesky, eigh, svd)
# ---------------------------------------------------------------------------

def solve_case(a, b, w):
    return np.sum(w * np.linalg.solve(a, b) ** 2)


def solve_vector(x, w):
    return np.sum(w * np.linalg.solve(x + 3.0 * np.eye(x.shape[-1]), np.sin(x.reshape(-1)[:3])) ** 2)


def solve_matrix(x, w):
    return np.sum(w * np.linalg.solve(x + 3.0 * np.eye(x.shape[-1]), np.sin(x[..., :2])) ** 2)


def cholesky_case(x, w):
    return np.sum(w * np.linalg.cholesky(x @ np.swapaxes(x, -1, -2) + np.eye(x.shape[-1])) ** 2)


def eigvalsh_case(x, w):
    return np.sum(w * np.linalg.eigvalsh(x + np.swapaxes(x, -1, -2)) ** 2)


def eigh_case(x, w):
    values, vectors = np.linalg.eigh(x + np.swapaxes(x, -1, -2))
    return np.sum(w * values ** 2) + np.sum(vectors ** 2 * np.arange(x.shape[-1]))   # sign-free


def svd_values_case(x, w):
    return np.sum(w * np.linalg.svd(x, compute_uv=False) ** 2)


def svd_vectors_case(x, C):
    # gauge-invariant: U diag(s) V^T, the projector V V^T and squares of the singular vectors
    U, s, Vt = np.linalg.svd(x, full_matrices=False)
    return (np.sum(((U * np.expand_dims(s, -2)) @ Vt) ** 2 * C)
            + np.sum((np.swapaxes(Vt, -1, -2) @ Vt) ** 2) + np.sum(U ** 2 * np.arange(U.shape[-1]))
            + np.sum(U[..., :, :1] * Vt[..., :1, :] * C))


def invertible(*shape):
    return RNG.uniform(-0.5, 0.5, shape) + 2.0 * np.eye(shape[-1])


@covers(("generated", "as_column"), ("generated", "from_column"), ("linalg", "solve"))
@pytest.mark.parametrize("a_shape,b_shape", [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)),
                                             ((2, 3, 3), (3, 2)), ((3, 3), (2, 3, 1))], ids=str)
def test_solve(a_shape, b_shape):
    a, b = invertible(*a_shape), normal(*b_shape)
    w = RNG.uniform(0.5, 1.5, np.shape(np.linalg.solve(a, b)))
    assert_second_order(solve_case, a, b, w, wrt=0)
    assert_second_order(solve_case, a, b, w, wrt=1)


@covers(("linalg", "solve"))
@pytest.mark.parametrize("case,shape", [(solve_vector, (3, 3)), (solve_vector, (2, 3, 3)),
                                        (solve_matrix, (3, 3)), (solve_matrix, (2, 3, 3))],
                         ids=["vector", "vector-batched", "matrix", "matrix-batched"])
def test_solve_of_one_argument(case, shape):
    x = normal(*shape) * 0.3
    w = RNG.uniform(0.5, 1.5, shape[:-1] if case is solve_vector else shape[:-1] + (2,))
    assert_second_order(case, x, w)


@covers(("linalg", "cholesky"), ("linalg", "eigvalsh"), ("linalg", "eigh"))
@pytest.mark.parametrize("case", [cholesky_case, eigvalsh_case, eigh_case], ids=lambda c: c.__name__)
@pytest.mark.parametrize("shape", [(3, 3), (2, 2, 2)], ids=str)
def test_symmetric_matrix_functions(case, shape):
    rng = np.random.default_rng(shape[0])
    while True:   # distinct eigenvalues
        x = rng.normal(size=shape)
        e = np.linalg.eigvalsh(x + np.swapaxes(x, -1, -2))
        if np.all(np.diff(e, axis=-1) > 0.3):
            break
    w = RNG.uniform(0.5, 1.5, shape[:-1])
    assert_second_order(case, x, w)


@covers(("linalg", "svd"))
@pytest.mark.parametrize("case", [svd_values_case, svd_vectors_case], ids=lambda c: c.__name__)
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 3), (2, 3, 2)], ids=str)
def test_svd(case, shape):
    rng = np.random.default_rng(shape[-1] + 7)
    while True:   # distinct singular values, away from zero
        x = rng.normal(size=shape)
        s = np.linalg.svd(x, compute_uv=False)
        if np.all(s > 0.3) and np.all(np.diff(s, axis=-1) < -0.3):
            break
    w = rng.uniform(0.5, 1.5, np.shape(s) if case is svd_values_case else shape)
    assert_second_order(case, x, w, rtol=1e-4)


# ---------------------------------------------------------------------------
# in-place changes through other names: the gradient differentiated again is the code
# specialised to the arguments' kinds (compiler.Transform.for_key), which knows what is a
# view; the general code refused every one of these when it ran (it cannot tell a view
# of an array from a number)
# ---------------------------------------------------------------------------


def alias_then_updated(x):
    y = x * 1.0
    z = y
    z += x ** 2
    return np.sum(y * x)


def row_of_a_copy_written(B):
    C = B * 1.0
    row = C[1]
    row[2] = B[0, 0] ** 2
    return np.sum(C ** 2)


def column_of_a_copy_assigned(B):
    C = B * 1.0
    c = C[:, 1]
    c[:] = np.sin(B[:, 0])
    return np.sum(C ** 3)


def view_scaled_in_place(x):
    y = x * 1.0
    v = y[:3]
    v *= 2.0
    return np.sum(y ** 3)


@pytest.mark.parametrize("case,shape", [(alias_then_updated, (4,)),
                                        (row_of_a_copy_written, (3, 4)),
                                        (column_of_a_copy_assigned, (3, 4)),
                                        (view_scaled_in_place, (5,))])
def test_views_changed_in_place_differentiated_twice(case, shape):
    assert_second_order(case, normal(*shape))


# ---------------------------------------------------------------------------
# third derivatives: through the linear helpers they work; through the second
# derivatives of prod, cumprod and norm (and np.array of a list) they are refused
# ---------------------------------------------------------------------------

C3 = np.array([0.5, -1.0, 1.5])


def third_tile(x):
    return np.sum(np.tile(x * C3, 2) ** 4)


def third_pad(x):
    return np.sum(np.pad(x * C3, (2, 1), mode="reflect") ** 4)


def third_trace(x):
    return np.trace(np.diag(x * C3, 1)) + np.sum(np.diag(np.outer(C3, C3) * x) ** 4)


def third_einsum(x):
    return np.einsum("ii->", np.outer(C3, C3) * x) ** 4 + np.sum(np.einsum("i,j->ij", C3 * x, np.sin(C3 * x)) ** 2)


def third_kron(x):
    return np.sum(np.kron(C3 * x, np.cos(C3 * x)) ** 2)


def third_solve(x):
    a = np.eye(3) * 2.0 + np.outer(C3, C3) * x
    return np.sum(np.linalg.solve(a, C3 * x) ** 2)


def third_cholesky(x):
    a = np.eye(3) * 2.0 + np.outer(C3, C3) * x
    return np.sum(np.linalg.cholesky(a) ** 3)


def third_prod(x):
    return np.prod(C3 * x)


def third_cumprod(x):
    return np.sum(np.cumprod(C3 * x))


def third_norm(x):
    return np.linalg.norm(C3 * x, 3)


@pytest.mark.parametrize("case", [third_tile, third_pad, third_trace, third_einsum, third_kron,
                                  third_solve, third_cholesky], ids=lambda c: c.__name__)
def test_third_derivative(case):
    x = 0.7
    d3 = ad.grad(ad.grad(ad.grad(case)))(x)
    h = 1e-5
    d2 = ad.grad(ad.grad(case))
    assert_close(d3, (d2(x + h) - d2(x - h)) / (2 * h), 1e-5, 1e-5)


def uses_prod_hvp(c, x):
    return np.sum(runtime.prod_hvp(c, x))


def uses_cumprod_dot(v, x):
    return np.sum(runtime.cumprod_dot(v, x))


def uses_cumprod_hvp(g, v, x):
    return np.sum(runtime.cumprod_hvp(g, v, x))


def uses_norm_dot(v, x, y):
    return np.sum(runtime.norm_dot(v, x, y, 3))


def uses_norm_hvp(g, v, x, y):
    return np.sum(runtime.norm_hvp(g, v, x, y, 3))


def uses_array_of_pieces(x, w):
    return np.sum(runtime.array_of_pieces(x) * w)


def uses_r_join(x, w):   # (the pieces' adjoints as an array's rows)
    return np.sum(runtime.r_join(x * np.ones((2, 1))) * w)


def uses_c_join(x, w):
    return np.sum(runtime.c_join(x * np.ones((2, 1))) * w)


@covers(("generated", "prod_hvp"), ("generated", "cumprod_dot"), ("generated", "cumprod_hvp"),
        ("generated", "norm_dot"), ("generated", "norm_hvp"), ("generated", "array_of_pieces"),
        ("generated", "r_join"), ("generated", "c_join"))
def test_third_derivatives_through_second_derivative_helpers_are_refused():
    x = np.array([0.5, -1.0, 2.0])
    y = np.linalg.norm(x, 3)
    for f, args in [(uses_prod_hvp, (x, x)), (uses_cumprod_dot, (x, x)),
                    (uses_cumprod_hvp, (x, x, x)), (uses_norm_dot, (x, x, y)),
                    (uses_norm_hvp, (1.0, x, x, y)), (uses_array_of_pieces, (x, x)),
                    (uses_r_join, (x, np.ones(6))), (uses_c_join, (x, np.ones((3, 2))))]:
        with pytest.raises(ad.TransformError, match="third derivative"):
            ad.grad(f, wrt=len(args) - 2)(*args)
        with pytest.raises(ad.TransformError, match="third derivative"):
            ad.jvp(f, wrt=len(args) - 2)(*args, x)
    for case in (third_prod, third_cumprod, third_norm):
        assert np.isfinite(ad.grad(ad.grad(case))(0.7))
        with pytest.raises(ad.TransformError, match="third derivative"):
            ad.grad(ad.grad(ad.grad(case)))(0.7)


def test_refused_helpers_are_the_known_third_derivatives():
    refused = {rule.name for rule in REGISTRY.rules if rule.refusal}
    assert refused == {"prod_hvp", "cumprod_dot", "cumprod_hvp", "norm_dot", "norm_hvp",
                       "array_of_pieces", "r_join", "c_join", "sum_join",
                       "gammainc_dlog_da", "betainc_dlog",   # (a second derivative: scipy)
                       "lstsq_bar", "lstsq_dot"} | (   # (and one of np.linalg.lstsq)
        {"mvn_cdf", "mvn_logcdf"} if "scipy.stats" in sys.modules else set())   # (SciPy's)


# ---------------------------------------------------------------------------
# no helper a rule emits into gradient code is left without a rule
# ---------------------------------------------------------------------------

#: helpers that need no adjoint rule, and why
NOT_DIFFERENTIATED = {
    "zeros_like": "a zero of the argument's shape",
    "reduced_size": "a count of entries",
    "argmax_mask": "where x equals its maximum, divided by the ties: piecewise constant",
    "inner_axes": "the axes np.inner contracts (integers)",
    "stop_gradient": "ad.stop_gradient: the identity whose derivative is zero by definition",
    "quantile_weights": "which entries a quantile interpolates, and how: piecewise constant",
    "running_source": "which entry of x a running maximum or minimum is (integers)",
    "weights_shape": "the shape np.average gives its weights (integers)",
    "item_place": "the index of the entry x.item(i) reads (integers)",
    "insert_sources": "where each entry of np.insert's result comes from (integers)",
    "real_sign": "np.sign (abs's derivative) refusing complex values: piecewise constant",
    "convolve_padding": "where np.convolve's output sits in the full convolution (integers)",
    "correlate_padding": "where np.correlate's output sits in the full correlation (integers)",
}


def helpers_rules_emit():
    """Runtime helper name -> the rules whose adjoint templates call it, and so put it in
    generated gradient code (tangent templates write jvp code, never differentiated again)."""
    helpers = {name for name, obj in vars(runtime).items()
               if inspect.isfunction(obj) and obj.__module__ == runtime.__name__}
    emitted = {}
    for rule in REGISTRY.rules:
        for node in ast.walk(ast.Module(body=rule.body, type_ignores=[])):
            if isinstance(node, ast.Name) and node.id in helpers:
                emitted.setdefault(node.id, set()).add(rule.describe())
    return emitted


def test_every_helper_a_rule_emits_has_a_rule():
    emitted = helpers_rules_emit()
    assert {"tile_bar", "cumprod_bar", "pad_bar", "norm_bar", "unbroadcast"} <= set(emitted)
    missing = []
    for name, rules in sorted(emitted.items()):
        obj = getattr(runtime, name)
        if REGISTRY.rule_for(obj) is None and not REGISTRY.is_nondifferentiable(obj):
            missing.append(f"{name} (emitted by {', '.join(sorted(rules))})")
    assert not missing, f"runtime helpers without an adjoint rule: {missing}"
    nondifferentiable = {obj.__name__ for obj in REGISTRY.nondiff_objects.values()
                         if getattr(obj, "__module__", None) == runtime.__name__}
    assert nondifferentiable == set(NOT_DIFFERENTIATED), \
        "list each runtime helper declared non-differentiable in NOT_DIFFERENTIATED, with a reason"
