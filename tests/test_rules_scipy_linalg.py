"""scipy.linalg's solve, inv, det, solve_triangular, cho_factor with cho_solve, and expm
(adcompile/rules/scipy/linalg.py), against central finite differences in both modes;
skipped when SciPy is not installed (it is optional)."""

import numpy as np
import pytest
from conftest import FEW, arrays, assert_close, assert_grad, reals
from hypothesis import given
from hypothesis import strategies as st
from test_rules_scipy import claims, needs_scipy

import adcompile as ad

try:
    import scipy.linalg
except ImportError:   # the rules are not registered: claim none
    scipy = None

if scipy is not None:
    sl = scipy.linalg

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def well_conditioned(data, n):
    """An n x n matrix with a dominant diagonal, and entries in both triangles (a triangular
    solve must read one only)."""
    return data.draw(arrays((n, n), reals(-1, 1))) + (n + 1) * np.eye(n)


def triangular_solves(a, b, w):
    return np.sum(w * sl.solve_triangular(a, b, lower=True)) \
        + np.sum(sl.solve_triangular(a, b) ** 2) \
        + np.sum(sl.solve_triangular(a, b[:, 0], trans=1, lower=True) * w[:, 0]) \
        + np.sum(sl.solve_triangular(a, b, trans="T", unit_diagonal=True) ** 2) \
        + np.sum(w * sl.solve_triangular(a, b, trans=2, lower=True, unit_diagonal=True)) \
        + np.sum(sl.solve_triangular(a, b, trans="N", lower=False) * w) \
        + np.sum(sl.solve_triangular(a, b, unit_diagonal=True) ** 2) \
        + np.sum(sl.solve_triangular(a, b, lower=True, unit_diagonal=True) * w)


@claims(("scipy", "solve_triangular"))
@needs_scipy
@FEW
@given(data=st.data())
def test_solve_triangular(data):
    n, k = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 3))
    a = well_conditioned(data, n)
    b = data.draw(arrays((n, k), reals(-2, 2)))
    w = data.draw(arrays((n, k), reals(0.5, 2)))
    assert_grad(triangular_solves, a, b, w, wrt=(0, 1))
    # the entries of a that no solve reads have no gradient: the other triangle, and the
    # diagonal of a unit_diagonal solve
    assert np.all(np.triu(ad.grad(lower_solves)(a, b), 1) == 0.0)
    assert np.all(ad.grad(unit_solve)(a, b) == np.tril(ad.grad(unit_solve)(a, b), -1))


def lower_solves(a, b):
    return np.sum(sl.solve_triangular(a, b, lower=True, unit_diagonal=True) ** 2) \
        + np.sum(sl.solve_triangular(a, b, lower=True, trans=1) ** 2)


def unit_solve(a, b):
    return np.sum(sl.solve_triangular(a, b, lower=True, unit_diagonal=True) ** 2)


def general_solves(a, b, w):
    return np.sum(w * sl.solve(a, b)) + np.sum(sl.solve(a, b[:, 0]) ** 2) \
        + np.sum(sl.solve(a, b, transposed=True) ** 2) \
        + np.sum(w * sl.solve(a, b, assume_a="gen", check_finite=False))


def symmetric_solves(a, b, w):
    # scipy reads one triangle of a (lower= names it) and mirrors it
    return np.sum(w * sl.solve(a, b, assume_a="sym")) \
        + np.sum(sl.solve(a, b, assume_a="pos", lower=True) ** 2) \
        + np.sum(sl.solve(a, b[:, -1], assume_a="her") * w[:, 0]) \
        + np.sum(sl.solve(a, b, assume_a="positive definite") ** 2)


@claims(("scipy", "solve"))
@needs_scipy
@FEW
@given(data=st.data())
def test_solve(data):
    n, k = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 3))
    r = data.draw(arrays((n, n), reals(-1, 1)))
    # not symmetric: a symmetric solve reads one triangle only
    a = r @ r.T + n * np.eye(n) + np.triu(data.draw(arrays((n, n), reals(-0.5, 0.5))), 1)
    b = data.draw(arrays((n, k), reals(-2, 2)))
    w = data.draw(arrays((n, k), reals(0.5, 2)))
    assert_grad(general_solves, a, b, w, wrt=(0, 1))
    assert_grad(symmetric_solves, a, b, w, wrt=(0, 1))
    # the triangle a symmetric solve does not read has no gradient
    assert np.all(np.tril(ad.grad(upper_solve)(a, b), -1) == 0.0)


def upper_solve(a, b):
    return np.sum(sl.solve(a, b, assume_a="pos") ** 2)


def solves_for_second_order(a, b):
    return np.sum(sl.solve(a, b) ** 3) + np.sum(sl.solve(a, b, assume_a="sym", lower=True) * b) \
        + np.sum(sl.solve(a, b[:, 0], transposed=True) ** 2)


@needs_scipy
@pytest.mark.parametrize("wrt", [0, 1])
def test_second_derivatives_through_solve(wrt):
    assert_hessian_of_a_solve(solves_for_second_order, wrt, seed=6)


def assert_hessian_of_a_solve(f, wrt, seed):
    """``ad.hessian(f)`` of a positive definite, not symmetric 3 x 3 matrix and a 3 x 2
    right-hand side, in parameter ``wrt``, in both modes, equals central differences of
    ``ad.grad(f)``."""
    rng = np.random.default_rng(seed)
    r = rng.uniform(-1, 1, (3, 3))
    point = [r @ r.T + 2.0 * np.eye(3) + 0.3 * np.triu(r, 1), rng.uniform(-1, 1, (3, 2))]
    first = ad.grad(f, wrt=wrt)
    x, h = point[wrt], 1e-5
    columns = []
    for e in np.eye(x.size):
        up, down = list(point), list(point)
        up[wrt], down[wrt] = x + h * e.reshape(x.shape), x - h * e.reshape(x.shape)
        columns.append((first(*up) - first(*down)) / (2 * h))
    fd = np.moveaxis(np.array(columns).reshape(x.shape + x.shape), (0, 1), (2, 3))
    for mode in ("reverse", "forward"):
        assert_close(ad.hessian(f, wrt=wrt, mode=mode)(*point), fd, 1e-5, 1e-6)


def inverses_and_determinants(a, w):
    return np.sum(w * sl.inv(a)) + np.sum(sl.inv(a, assume_a="pos") ** 2) \
        + np.sum(sl.inv(a, assume_a="sym", lower=True) * w) + np.log(sl.det(a)) \
        + np.sum(np.log(sl.det(np.stack([a, 2.0 * a]))) * np.array([1.0, -0.5])) \
        + np.sum(sl.inv(np.stack([a, a.T])) ** 2)


@claims(("scipy", "inv"), ("scipy", "det"))
@needs_scipy
@FEW
@given(data=st.data())
def test_inv_and_det(data):
    n = data.draw(st.integers(1, 4))
    r = data.draw(arrays((n, n), reals(-1, 1)))
    a = r @ r.T + n * np.eye(n) + np.triu(data.draw(arrays((n, n), reals(-0.5, 0.5))), 1)
    w = data.draw(arrays((n, n), reals(0.5, 2)))
    assert_grad(inverses_and_determinants, a, w, wrt=(0, 1))
    # a symmetric inverse reads one triangle
    assert np.all(np.tril(ad.grad(upper_inverse)(a), -1) == 0.0)
    for mode in ("reverse", "forward"):
        assert_close(ad.hessian(sl_det_squared, mode=mode)(a),
                     ad.hessian(np_det_squared, mode=mode)(a), 1e-10, 1e-12)


def upper_inverse(a):
    return np.sum(sl.inv(a, assume_a="pos") ** 2)


def sl_det_squared(a):
    return sl.det(a) ** 2 + np.sum(sl.inv(a) ** 2)


def np_det_squared(a):
    return np.linalg.det(a) ** 2 + np.sum(np.linalg.inv(a) ** 2)


def det_overwriting(a, b):
    return sl.det(a, overwrite_a=True) * np.sum(b)


def inv_diagonal(a, b):
    return np.sum(sl.inv(a, assume_a="diagonal") @ b)


def solve_overwriting(a, b):
    return np.sum(sl.solve(a, b, overwrite_a=True))


def solve_overwriting_b(a, b):
    return np.sum(sl.solve(a, b, overwrite_b=True))


def solve_triangular_overwriting(a, b):
    return np.sum(sl.solve_triangular(a, b, lower=True, overwrite_b=True))


def cholesky_overwriting(a, b):
    return np.sum(sl.cholesky(a, overwrite_a=True)) * np.sum(b)


def cho_factor_overwriting(a, b):
    c, low = sl.cho_factor(a, overwrite_a=True)
    return np.sum(c) * np.sum(b)


def cho_solve_overwriting(a, b):
    return np.sum(sl.cho_solve((a, True), b, overwrite_b=True))


def inv_overwriting(a, b):
    return np.sum(sl.inv(a, overwrite_a=True) @ b)


def solve_diagonal(a, b):
    return np.sum(sl.solve(a, b, assume_a="diagonal"))


def solve_stack(a, b):
    return np.sum(sl.solve(a, b))


@needs_scipy
@pytest.mark.parametrize("f, a, message", [
    (solve_overwriting, np.eye(2) * 2.0, "overwrite_a=True"),
    (solve_diagonal, np.eye(2) * 2.0, "assume_a= other than"),
    (solve_stack, np.stack([np.eye(2)] * 2), "not a stack of them"),
    (det_overwriting, np.eye(2) * 2.0, "det with overwrite_a=True"),
    (inv_diagonal, np.eye(2) * 2.0, "inv with assume_a= other than"),
    # (SciPy may write the result into b, or the factor into a: what the code reads later
    # as it was, where Python's b or a has changed: a wrong gradient, with no error)
    (solve_overwriting_b, np.eye(2) * 2.0, "solve with overwrite_b=True"),
    (solve_triangular_overwriting, np.eye(2) * 2.0, "solve_triangular with overwrite_b=True"),
    (cholesky_overwriting, np.eye(2) * 2.0, "cholesky with overwrite_a=True"),
    (cho_factor_overwriting, np.eye(2) * 2.0, "cho_factor with overwrite_a=True"),
    (cho_solve_overwriting, np.eye(2) * 2.0, "cho_solve with overwrite_b=True"),
    (inv_overwriting, np.eye(2) * 2.0, "inv with overwrite_a=True"),
])
def test_solves_refused(f, a, message):
    with pytest.raises(ad.TransformError, match=message) as e:
        ad.grad(f)(a, np.ones(2))
    assert "test_rules_scipy_linalg.py:" in str(e.value)
    # forward mode too (its tangent read a, which overwrite_a=True lets SciPy change)
    with pytest.raises(ad.TransformError, match="forward mode: .*" + message):
        ad.jvp(f)(a, np.ones(2), np.ones_like(a))


def cholesky_solves(a, b):
    # the factorization used twice, and its factor read directly too
    factor = sl.cho_factor(a)
    x = sl.cho_solve(factor, b)
    y = sl.cho_solve(factor, b[:, 0] * 2.0)
    return np.sum(x * b) + np.sum(y ** 3) + np.sum(factor[0] * np.arange(1.0, 1.0 + a.size).reshape(a.shape))


def cholesky_solves_lower(a, b):
    c = sl.cho_factor(a, lower=True)[0]
    return np.sum(sl.cho_solve(sl.cho_factor(a, lower=True), b) ** 2) + np.sum(np.log(np.diag(c)))


def cholesky_factors(a, b):
    # scipy.linalg.cholesky: the upper factor by default, the lower one on request
    upper = sl.cholesky(a)
    lower = sl.cholesky(a, lower=True)
    return np.sum(upper * np.arange(1.0, 1.0 + a.size).reshape(a.shape)) + np.sum(lower ** 3) \
        + np.sum(sl.cho_solve((lower, True), b) ** 2) + np.sum(sl.solve_triangular(upper, b) * b)


@claims(("scipy", "cho_factor"), ("scipy", "cho_solve"), ("scipy", "cholesky"))
@needs_scipy
@FEW
@given(data=st.data())
def test_cho_factor_and_cho_solve(data):
    n, k = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 3))
    r = data.draw(arrays((n, n), reals(-1, 1)))
    # not symmetric: cho_factor reads one triangle and copies the other into its result
    a = r @ r.T + n * np.eye(n) + np.triu(data.draw(arrays((n, n), reals(-0.5, 0.5))), 1) \
        + np.tril(data.draw(arrays((n, n), reals(-0.5, 0.5))), -1)
    b = data.draw(arrays((n, k), reals(-2, 2)))
    assert_grad(cholesky_solves, a, b, wrt=(0, 1))
    assert_grad(cholesky_solves_lower, a, b, wrt=(0, 1))
    assert_grad(cholesky_solves_new_tuples, a, b, wrt=(0, 1))
    assert_grad(cholesky_factors, a, b, wrt=(0, 1))


def cholesky_solves_new_tuples(a, b):
    # cho_solve((c, lower), b): a new tuple of cho_factor's parts, or of a Cholesky factor
    c, low = sl.cho_factor(a)
    L = np.linalg.cholesky(a)
    return np.sum(sl.cho_solve((c, low), b) ** 2) + np.sum(sl.cho_solve((L, True), b[:, 0]) * b[:, -1]) \
        + np.sum(c[0, 0] * sl.cho_solve((c, False), b))


@needs_scipy
def test_cho_solve_of_a_new_tuple():
    rng = np.random.default_rng(4)
    r = rng.uniform(-1, 1, (3, 3))
    a = r @ r.T + 2.0 * np.eye(3) + 0.3 * np.triu(r, 1)
    assert_grad(cholesky_solves_new_tuples, a, rng.uniform(-1, 1, (3, 2)), wrt=(0, 1))


def exponentials(a, w):
    return np.sum(w * sl.expm(a)) + np.sum(sl.expm(a * 0.5) ** 2)


@claims(("scipy", "expm"))
@needs_scipy
@FEW
@given(data=st.data())
def test_expm(data):
    n = data.draw(st.integers(1, 4))
    a = data.draw(arrays((n, n), reals(-1, 1)))
    w = data.draw(arrays((n, n), reals(0.5, 2)))
    assert_grad(exponentials, a, w, wrt=(0, 1))


def stacked_exponentials(a):
    return np.sum(sl.expm(a) * np.arange(1.0, 1.0 + a.size).reshape(a.shape))


@needs_scipy
def test_expm_of_a_stack_and_second_derivatives():
    rng = np.random.default_rng(5)
    a = rng.uniform(-1, 1, (2, 3, 3))
    assert_grad(stacked_exponentials, a)
    a = a[0]
    first = ad.grad(exponentials)
    w = rng.uniform(0.5, 2, (3, 3))
    h = 1e-5
    columns = [(first(a + h * e.reshape(3, 3), w) - first(a - h * e.reshape(3, 3), w)) / (2 * h)
               for e in np.eye(9)]
    fd = np.moveaxis(np.array(columns).reshape(3, 3, 3, 3), (0, 1), (2, 3))
    for mode in ("reverse", "forward"):
        assert_close(ad.hessian(exponentials, mode=mode)(a, w), fd, 1e-5, 1e-6)


def cholesky_hessian_case(a, b):
    return cholesky_solves(a, b) + cholesky_solves_lower(a, b) + cholesky_solves_new_tuples(a, b) \
        + cholesky_factors(a, b)


@needs_scipy
@pytest.mark.parametrize("wrt", [0, 1])
def test_second_derivatives_through_cho_factor_and_cho_solve(wrt):
    assert_hessian_of_a_solve(cholesky_hessian_case, wrt, seed=3)


def square_roots(a, w):
    return np.sum(w * sl.sqrtm(a)) + np.sum(sl.sqrtm(a @ a.T) ** 2)


def sylvester(a, b, q):
    return np.sum(sl.solve_sylvester(a, b, q) ** 2 * np.arange(1.0, 1.0 + q.size).reshape(q.shape))


@claims(("scipy", "sqrtm"), ("scipy", "solve_sylvester"))
@needs_scipy
@FEW
@given(data=st.data())
def test_sqrtm_and_solve_sylvester(data):
    n = data.draw(st.integers(1, 4))
    r = data.draw(arrays((n, n), reals(-1, 1)))
    a = r @ r.T + np.eye(n) + 0.3 * np.triu(r, 1)   # eigenvalues with positive real parts
    w = data.draw(arrays((n, n), reals(0.5, 2)))
    assert_grad(square_roots, a, w, wrt=(0, 1))
    b = data.draw(arrays((n, n), reals(-0.5, 0.5))) + 2.0 * np.eye(n)
    assert_grad(sylvester, a, b, r, wrt=(0, 1, 2))


def stacked_square_roots(a):
    return np.sum(sl.sqrtm(a) * np.arange(1.0, 1.0 + a.size).reshape(a.shape))


def square_root_sum(a):
    return np.sum(sl.sqrtm(a))


@needs_scipy
def test_sqrtm_of_a_stack_and_of_a_matrix_with_a_complex_root():
    rng = np.random.default_rng(7)
    r = rng.uniform(-1, 1, (2, 3, 3))
    assert_grad(stacked_square_roots, r @ np.swapaxes(r, -1, -2) + np.eye(3))
    # a negative eigenvalue: the root is complex, and differentiating it is refused
    for differentiate in (lambda a: ad.grad(square_root_sum)(a),
                          lambda a: ad.jvp(square_root_sum)(a, tangents=np.ones((2, 2)))):
        with pytest.raises(ValueError, match="scipy.linalg.sqrtm gave complex results"):
            differentiate(np.diag([-1.0, 2.0]))


def sylvester_of_a_number(q, b):
    a = np.array([[3.0, 0.4], [0.2, 2.5]])
    return np.sum(sl.solve_sylvester(a, b, q) ** 2)


@claims(("generated", "identity_part"), ("generated", "identity_spread"))
@needs_scipy
def test_a_number_q_read_as_q_times_the_identity_when_its_ndim_is_known_only_running():
    # gradient code differentiated again (and general code) learns q's ndim only when it
    # runs: identity_part gives the trace for a number q, the matrix for a matrix, and
    # identity_spread is its transpose
    from adcompile.runtime import identity_part, identity_spread
    rng = np.random.default_rng(5)
    w, u = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    for q in (0.7, rng.normal(size=(3, 3))):
        part = identity_part(w, q)
        assert np.shape(part) == np.shape(q)
        assert np.isclose(np.sum(part * identity_part(u, q)),
                          np.sum(identity_spread(identity_part(u, q), w, q) * w))
    with pytest.raises(ValueError, match="q of 1 dimensions"):
        identity_part(w, np.ones(3))
    b = np.array([[1.5, 0.1], [-0.3, 2.0]])
    assert_grad(sylvester_of_a_number, 0.7, b, wrt=(0, 1))
    second = ad.grad(ad.grad(sylvester_of_a_number))
    eps = 1e-6
    fd = (ad.grad(sylvester_of_a_number)(0.7 + eps, b)
          - ad.grad(sylvester_of_a_number)(0.7 - eps, b)) / (2 * eps)
    assert_close(second(0.7, b), fd, 1e-6, 1e-8)
    third = ad.grad(second)(0.7, b)
    assert_close(third, (second(0.7 + eps, b) - second(0.7 - eps, b)) / (2 * eps), 1e-5, 1e-7)


def sylvester_of_q(q):
    a = np.array([[3.0, 0.4, 0.0], [0.2, 2.5, 0.1], [0.0, -0.3, 2.0]])
    b = np.array([[1.5, 0.1, 0.2], [-0.3, 2.0, 0.0], [0.1, 0.0, 1.0]])
    return np.sum(sl.solve_sylvester(a, b, q) ** 2)


@claims(("scipy", "solve_sylvester"))
@needs_scipy
def test_solve_sylvester_of_a_vector_q_is_refused_in_both_modes():
    """A vector q (SciPy reads no matrix in it) is refused in forward mode as in reverse mode,
    where the code knows q's ndim; in general code, an error, never a tangent; a number q
    (q times the identity) and a matrix get the finite differences' tangent."""
    from adcompile.cache import cached_transform
    for differentiate in (ad.grad(sylvester_of_q),
                          lambda q: ad.jvp(sylvester_of_q)(q, tangents=np.ones(3))):
        with pytest.raises(ad.TransformError, match="with a vector q is not differentiated"):
            differentiate(np.array([1.0, 2.0, 3.0]))
    general = cached_transform(sylvester_of_q, 0).compiled((), "jvp")
    with pytest.raises(ValueError):
        general(np.array([1.0, 2.0, 3.0]), q_dot=np.ones(3))
    eps = 1e-6
    matrix, turns = np.arange(9.0).reshape(3, 3) / 4, np.cos(np.arange(9.0)).reshape(3, 3)
    for q, direction in ((0.7, 1.0), (matrix, turns)):
        fd = (sylvester_of_q(q + eps * direction)
              - sylvester_of_q(q - eps * direction)) / (2 * eps)
        for slope in (ad.jvp(sylvester_of_q)(q, tangents=direction)[1],
                      general(q, q_dot=direction)[1]):
            assert_close(slope, fd, 1e-6, 1e-9)
