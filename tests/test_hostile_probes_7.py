"""Programs written the way practitioners write them, probing for wrong gradients, crashes
and needless refusals where the earlier probes did not look: Lotka-Volterra by RK4 with a
right-hand side returning ``np.array([...])``, a leapfrog N-body step over pairwise
differences ``r[:, None, :] - r[None, :, :]``, Burgers' equation and a 2-D heat equation,
Gaussian processes through scipy.linalg, a Kalman filter with ``inv`` and ``slogdet``,
cross-entropy with integer labels, losses of metric learning, unrolled SGD and MAML with a
nested ``ad.grad``, Sinkhorn iterations, a Lennard-Jones energy, a cubic Hermite spline,
the conventions at kinks and ties, globals changed between calls, NumPy's semantics of
overlapping and repeated-index writes, and the Python idioms around them. Every gradient
is checked against central finite differences and, where autograd runs the code, against
autograd; second derivatives, forward mode and the numba backend on some.

What the probe found:

- ``scipy.linalg.solve(a, b)`` was refused, with a message about complex types (SciPy's
  own source was read): it has a rule now, in both modes, whose gradient of a symmetric
  solve (``assume_a="sym"``, ``"pos"``) lies on the triangle SciPy reads
  (tests/test_rules_scipy_linalg.py); so have ``scipy.linalg.inv`` and ``det``.
- ``scipy.special.log_ndtr`` (a probit model's likelihood) and ``ndtr`` were refused for
  want of a rule: they have one.
- ``for ... else`` and ``while ... else`` were refused; they are differentiated
  (tests/test_control_flow.py).

Everything else here was differentiated right, or refused at the user's line.
"""

import functools
import itertools
import math
import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.special
from conftest import (assert_close, assert_grad, assert_hessian, assert_like_autograd,
                      autograd_gradient, numerical_grad)
from test_real_programs_ml import assert_leaves_close, leaf_gradients

import adcompile as ad

rng = np.random.default_rng(71)


def assert_numba_agrees(f, *args, wrt=0):
    """backend="numba" gives the gradient of the plain backend."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # (a fallback to Python is not what is checked)
        got = ad.grad(f, wrt=wrt, backend="numba")(*args)
    want = ad.grad(f, wrt=wrt)(*args)
    for g, w in zip(got if isinstance(wrt, tuple) else (got,),
                    want if isinstance(wrt, tuple) else (want,)):
        assert_close(g, w, 1e-9, 1e-11, f"{f.__name__} with numba")


def check_structure(f, struct, *rest, autograd_too=True):
    got = ad.grad(f)(struct, *rest)
    assert_leaves_close(got, leaf_gradients(f, struct, *rest))
    if autograd_too:
        assert_leaves_close(got, autograd_gradient(f, struct, *rest), 1e-9, 1e-11)
    return got


# -- ODEs: Lotka-Volterra by RK4, a pendulum by velocity Verlet, adaptive Euler ----------------

def lotka_volterra(t, y, params):
    a, b, c, d = params
    prey, predator = y
    return np.array([a * prey - b * prey * predator, d * prey * predator - c * predator])


def rk4_step(f, t, y, h, params):
    k1 = f(t, y, params)
    k2 = f(t + h / 2, y + h / 2 * k1, params)
    k3 = f(t + h / 2, y + h / 2 * k2, params)
    k4 = f(t + h, y + h * k3, params)
    return y + (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4)


def prey_misfit(params, y0):
    y, t, h = y0, 0.0, 0.1
    trajectory = [y]
    for _ in range(8):
        y = rk4_step(lotka_volterra, t, y, h, params)
        t = t + h
        trajectory.append(y)
    trajectory = np.array(trajectory)
    return np.sum((trajectory[:, 0] - 1.0) ** 2)


def pendulum_verlet(theta0, length, g=9.81, dt=0.01, n=20):
    theta, omega = theta0, 0.0
    xs = []
    for _ in range(n):
        a = -g / length * math.sin(theta)
        theta_new = theta + omega * dt + 0.5 * a * dt ** 2
        a_new = -g / length * math.sin(theta_new)
        omega = omega + 0.5 * (a + a_new) * dt
        theta = theta_new
        xs.append(length * math.sin(theta))
    return sum(xs) / len(xs)


def adaptive_euler(k, y0=1.0, T=1.0, tol=1e-3):
    t, y, h = 0.0, y0, 0.1
    while t < T:
        h = min(h, T - t)
        y1 = y + h * (-k * y)
        y_half = y + h / 2 * (-k * y)
        y2 = y_half + h / 2 * (-k * y_half)
        if abs(y2 - y1) > tol:
            h = h / 2
            continue
        y, t = y2, t + h
    return y


def test_lotka_volterra_by_rk4():
    params, y0 = np.array([1.1, 0.4, 0.4, 0.1]), np.array([1.0, 0.5])
    assert_like_autograd(prey_misfit, params, y0, wrt=(0, 1))
    assert_hessian(prey_misfit, params, y0)


def test_a_pendulum_by_velocity_verlet_with_math_functions():
    assert_grad(pendulum_verlet, 0.3, 1.2, wrt=(0, 1))   # (autograd: not of math.sin)
    assert_hessian(pendulum_verlet, 0.3, 1.2, wrt=1)


def test_adaptive_euler_halving_its_step():
    assert_like_autograd(adaptive_euler, 0.8)


# -- N-body: pairwise differences by broadcasting ------------------------------------------

def accelerations(r, m, soft=0.1):
    d = r[:, None, :] - r[None, :, :]
    inv3 = (np.sum(d ** 2, axis=-1) + soft ** 2) ** -1.5
    np.fill_diagonal(inv3, 0.0)
    return -np.einsum("ij,ijk,j->ik", inv3, d, m)


def leapfrog(r0, v0, m, dt=0.01, steps=4):
    r, v = r0.copy(), v0.copy()
    a = accelerations(r, m)
    for _ in range(steps):
        v += 0.5 * dt * a
        r += dt * v
        a = accelerations(r, m)
        v += 0.5 * dt * a
    return np.sum(r ** 2) + 0.1 * np.sum(v ** 2)


def accelerations_masked(r, m, soft=0.1):
    d = r[:, None, :] - r[None, :, :]
    dist2 = (d ** 2).sum(-1) + soft ** 2
    inv3 = np.where(np.eye(len(m)) > 0, 0.0, dist2 ** -1.5)
    return -(inv3[:, :, None] * d * m[None, :, None]).sum(axis=1)


def leapfrog_functional(r0, v0, m, dt=0.01, steps=4):
    r, v = r0, v0
    for _ in range(steps):
        v = v + 0.5 * dt * accelerations_masked(r, m)
        r = r + dt * v
        v = v + 0.5 * dt * accelerations_masked(r, m)
    return 0.5 * np.sum(m[:, None] * v ** 2) + np.sum(r ** 2)


R0 = rng.normal(size=(4, 2))
V0 = rng.normal(size=(4, 2)) * 0.1
MASSES = np.array([1.0, 2.0, 0.5, 1.5])


def test_leapfrog_n_body():
    # (autograd assigns into no array: finite differences only for the in-place version)
    assert_grad(leapfrog, R0, V0, MASSES, wrt=(0, 2))
    assert_like_autograd(leapfrog_functional, R0, V0, MASSES, wrt=(0, 1, 2))
    assert_numba_agrees(leapfrog_functional, R0, V0, MASSES, wrt=(0, 2))


def lennard_jones(r, eps=1.0, sigma=0.9):
    i, j = np.triu_indices(len(r), k=1)
    sr6 = (sigma / np.linalg.norm(r[i] - r[j], axis=1)) ** 6
    return np.sum(4 * eps * (sr6 ** 2 - sr6))


def springs_of_all_pairs(r, k):
    energy = 0.0
    for a, b in itertools.combinations(range(len(r)), 2):
        energy += 0.5 * k * (math.sqrt(np.sum((r[a] - r[b]) ** 2)) - 1.0) ** 2
    return energy


CLUSTER = np.array([[0.0, 0.0, 0.0], [1.1, 0.0, 0.0], [0.0, 1.2, 0.0], [1.0, 1.0, 1.0]])


def test_pair_potentials():
    assert_like_autograd(lennard_jones, CLUSTER)
    assert_hessian(lennard_jones, CLUSTER)
    assert_numba_agrees(lennard_jones, CLUSTER)
    assert_grad(springs_of_all_pairs, CLUSTER, 2.0, wrt=(0, 1))


# -- PDEs: periodic stencils by np.roll, Burgers' equation written into slices --------------

def heat_2d_periodic(u, kappa, steps=3, dt=0.1):
    for _ in range(steps):
        laplacian = (np.roll(u, 1, axis=0) + np.roll(u, -1, axis=0) + np.roll(u, 1, axis=1)
                     + np.roll(u, -1, axis=1) - 4 * u)
        u = u + dt * kappa * laplacian
    return np.sum(u[1:-1, 1:-1] ** 2)


def burgers(u, nu, steps=4, dx=0.1, dt=0.01):
    u = u.copy()
    for _ in range(steps):
        un = u.copy()
        u[1:-1] = (un[1:-1] - un[1:-1] * dt / dx * (un[1:-1] - un[:-2])
                   + nu * dt / dx ** 2 * (un[2:] - 2 * un[1:-1] + un[:-2]))
        u[0] = u[-2]
        u[-1] = u[1]
    return np.sum(u ** 2)


def test_stencils():
    u0 = rng.normal(size=(5, 5))
    assert_like_autograd(heat_2d_periodic, u0, 0.3, wrt=(0, 1))
    assert_numba_agrees(heat_2d_periodic, u0, 0.3, wrt=(0, 1))
    u1 = rng.normal(size=7)
    assert_grad(burgers, u1, 0.1, wrt=(0, 1))
    assert_hessian(burgers, u1, 0.1, wrt=1)
    assert_numba_agrees(burgers, u1, 0.1, wrt=(0, 1))


# -- Gaussian processes through scipy.linalg, a Kalman filter --------------------------------

def squared_distances(X):
    return np.sum((X[:, None, :] - X[None, :, :]) ** 2, -1)


def gp_nll_triangular(log_ell, X, y, noise=0.1):
    K = np.exp(-0.5 * squared_distances(X) / np.exp(2 * log_ell)) + noise * np.eye(len(y))
    L = scipy.linalg.cholesky(K, lower=True)
    a = scipy.linalg.solve_triangular(L, y, lower=True)
    return 0.5 * a @ a + np.log(np.diag(L)).sum()


def gp_nll_cho(log_ell, X, y, noise=0.1):
    K = np.exp(-0.5 * squared_distances(X) / np.exp(2 * log_ell)) + noise * np.eye(len(y))
    c, low = scipy.linalg.cho_factor(K)
    alpha = scipy.linalg.cho_solve((c, low), y)
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(c)))


def gp_nll_solve(log_ell, X, y, noise=0.1):
    K = np.exp(-0.5 * squared_distances(X) / np.exp(2 * log_ell)) + noise * np.eye(len(y))
    alpha = scipy.linalg.solve(K, y, assume_a="pos")
    return 0.5 * y @ alpha + 0.5 * np.linalg.slogdet(K)[1]


X_GP, Y_GP = rng.normal(size=(5, 2)), rng.normal(size=5)


@pytest.mark.parametrize("f", [gp_nll_triangular, gp_nll_cho, gp_nll_solve])
def test_gaussian_process_likelihoods_through_scipy(f):
    assert_grad(f, 0.2, X_GP, Y_GP, wrt=(0, 1))
    assert_hessian(f, 0.2, X_GP, Y_GP)


def test_scipy_solve_agrees_with_numpy_solve():
    def through_numpy(log_ell, X, y, noise=0.1):
        K = np.exp(-0.5 * squared_distances(X) / np.exp(2 * log_ell)) + noise * np.eye(len(y))
        return 0.5 * y @ np.linalg.solve(K, y) + 0.5 * np.linalg.slogdet(K)[1]
    assert_close(ad.grad(gp_nll_solve, wrt=1)(0.2, X_GP, Y_GP),
                 ad.grad(through_numpy, wrt=1)(0.2, X_GP, Y_GP), 1e-10, 1e-12)


def kalman_nll(F, ys, q=0.1, r=0.2):
    n = F.shape[0]
    x, P, H = np.zeros(n), np.eye(n), np.eye(n)[:1]
    ll = 0.0
    for y in ys:
        x = F @ x
        P = F @ P @ F.T + q * np.eye(n)
        S = H @ P @ H.T + r
        K = P @ H.T @ np.linalg.inv(S)
        innovation = y - H @ x
        x = x + K @ innovation
        P = (np.eye(n) - K @ H) @ P
        sign, logdet = np.linalg.slogdet(S)
        ll -= 0.5 * (logdet + innovation @ np.linalg.solve(S, innovation))
    return -ll


def test_a_kalman_filter_with_inv_and_slogdet():
    F, ys = np.array([[1.0, 0.1], [0.0, 0.9]]), rng.normal(size=(4, 1))
    assert_like_autograd(kalman_nll, F, ys, wrt=(0, 1))


# -- classification: integer labels, label smoothing, focal loss -----------------------------

def cross_entropy(W, X, y):
    z = X @ W
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(X.shape[0]), y].mean()


def cross_entropy_by_a_comprehension(W, X, y):
    logp = X @ W
    logp = logp - scipy.special.logsumexp(logp, axis=1, keepdims=True)
    return -np.mean([logp[i, yi] for i, yi in enumerate(y)])


def one_hot_cross_entropy(W, X, y):
    Y = np.eye(W.shape[1])[y]
    p = np.exp(X @ W)
    p /= p.sum(1)[:, None]
    return -np.sum(Y * np.log(p)) / len(y)


def label_smoothing(W, X, y, eps=0.1):
    k = W.shape[1]
    logits = X @ W
    logp = logits - scipy.special.logsumexp(logits, axis=-1, keepdims=True)
    target = np.full((len(y), k), eps / k)
    target[np.arange(len(y)), y] += 1 - eps
    return -np.sum(target * logp) / len(y)


def focal_loss(logits, y, gamma=2.0, alpha=0.25):
    p = 1 / (1 + np.exp(-logits))
    pt = np.where(y == 1, p, 1 - p)
    at = np.where(y == 1, alpha, 1 - alpha)
    return -np.sum(at * (1 - pt) ** gamma * np.log(pt))


W_CLS, X_CLS = rng.normal(size=(3, 4)), rng.normal(size=(6, 3))
Y_CLS = np.array([0, 1, 3, 2, 1, 0])


def test_cross_entropy_with_integer_labels():
    assert_like_autograd(cross_entropy, W_CLS, X_CLS, Y_CLS, wrt=(0, 1))
    assert_hessian(cross_entropy, W_CLS, X_CLS, Y_CLS)
    assert_numba_agrees(cross_entropy, W_CLS, X_CLS, Y_CLS)
    assert_like_autograd(one_hot_cross_entropy, W_CLS, X_CLS, Y_CLS)
    assert_grad(cross_entropy_by_a_comprehension, W_CLS, X_CLS, list(Y_CLS))
    assert_close(ad.grad(cross_entropy_by_a_comprehension)(W_CLS, X_CLS, list(Y_CLS)),
                 ad.grad(cross_entropy)(W_CLS, X_CLS, Y_CLS), 1e-12, 1e-12)
    assert_grad(label_smoothing, W_CLS, X_CLS, Y_CLS)


def test_focal_loss():
    logits, y = rng.normal(size=6), np.array([1, 0, 1, 1, 0, 0])
    assert_like_autograd(focal_loss, logits, y)
    assert_hessian(focal_loss, logits, y)


# -- normalisation layers, a GRU over a dict of weights, einsum with an ellipsis -------------

def batch_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(0, keepdims=True)
    var = x.var(0, keepdims=True)
    return np.sum((gamma * (x - mu) / np.sqrt(var + eps) + beta) ** 3)


def layer_norm_by_std(x, g):
    return np.sum(g * (x - x.mean(-1, keepdims=True)) / (x.std(-1, keepdims=True) + 1e-6) * x)


def test_normalisation_layers():
    x, g, b = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=3)
    assert_like_autograd(batch_norm, x, g, b, wrt=(0, 1, 2))
    assert_hessian(batch_norm, x, g, b)
    assert_like_autograd(layer_norm_by_std, rng.normal(size=(3, 4)), rng.normal(size=4),
                         wrt=(0, 1))


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def gru(p, xs):
    h = np.zeros(p["Uz"].shape[0])
    for x in xs:
        z = sigmoid(p["Wz"] @ x + p["Uz"] @ h + p["bz"])
        r = sigmoid(p["Wr"] @ x + p["Ur"] @ h)
        candidate = np.tanh(p["W"] @ x + p["U"] @ (r * h))
        h = (1 - z) * h + z * candidate
    return np.sum(h ** 2)


def test_a_gru_over_a_dict_of_weights():
    params = {k: rng.normal(size=(3, 2)) * 0.5 for k in ("Wz", "Wr", "W")}
    params.update({k: rng.normal(size=(3, 3)) * 0.5 for k in ("Uz", "Ur", "U")})
    params["bz"] = np.zeros(3)
    check_structure(gru, params, rng.normal(size=(4, 2)))


def batched_products(A, B):
    return (np.sum(np.einsum("...ij,...jk->...ik", A, B) ** 2)
            + np.einsum("...i,...i->...", A, A).sum())


def columns_and_rows(x, w):
    return (np.sum(x.reshape(-1, 1) * w.reshape(1, -1) + x[:, np.newaxis] ** 2)
            + x.reshape((-1,)) @ x)


def test_einsum_with_an_ellipsis_and_reshapes_to_a_column():
    A, B = rng.normal(size=(2, 3, 3)), rng.normal(size=(2, 3, 2))
    assert_like_autograd(batched_products, A, B, wrt=(0, 1))
    assert_hessian(batched_products, A, B, wrt=1)
    x, w = rng.normal(size=3), rng.normal(size=4)
    assert_like_autograd(columns_and_rows, x, w, wrt=(0, 1))
    assert_hessian(columns_and_rows, x, w)


# -- conventions at kinks and ties (README: they follow JAX) ---------------------------------

def ufunc_reductions(x):
    return (np.maximum.reduce(x, axis=None) + np.minimum.reduce(x, axis=1).sum()
            + np.add.reduce(x, axis=None) + np.multiply.reduce(x[0]))


def absolute_values(x):
    return np.sum(np.abs(x)) + abs(x[0]) + np.sum(np.absolute(x) * x)


def ties(x, y):
    return (np.sum(np.maximum(x, y) * np.array([1.0, 2.0, 3.0]))
            + np.max(np.array([x[0], y[0], x[0]])) + np.max(x))


def python_max_min(a, b):
    return max(a, b) ** 2 + min(a * 2, b) + max(a, b, 0.5)


def clipped(x):
    return (np.sum(np.clip(x, -0.5, 0.5) ** 2) + np.sum(x.clip(min=0))
            + np.sum(np.clip(x, None, 0.2)))


def the_same_reductions(x):
    return np.max(x) + np.min(x, axis=1).sum() + np.sum(x) + np.prod(x[0])


def test_ufunc_reductions():
    # (autograd has no ufunc methods: its gradient of the functions they equal)
    x = rng.normal(size=(3, 4))
    assert_close(assert_grad(ufunc_reductions, x), autograd_gradient(the_same_reductions, x),
                 1e-12, 1e-12)


def test_conventions_at_kinks_and_ties():
    # abs at 0 and np.maximum / np.max on ties: autograd's conventions too
    x0 = np.array([0.0, 0.0, 1.0, -2.0])
    assert_close(ad.grad(absolute_values)(x0), autograd_gradient(absolute_values, x0), 0, 0)
    assert_close(ad.grad(absolute_values)(x0), [0.0, 0.0, 3.0, 3.0], 0, 0)
    x, y = np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 4.0])
    got, want = ad.grad(ties, wrt=(0, 1))(x, y), autograd_gradient(ties, x, y, wrt=(0, 1))
    assert_close(got[0], want[0], 1e-12, 0)
    assert_close(got[1], want[1], 1e-12, 0)
    # Python's max returns its first argument on a tie, and the gradient follows it
    assert ad.grad(python_max_min, wrt=(0, 1))(0.7, 0.7) == (2 * 0.7 + 1.0, 1.0)
    assert_grad(python_max_min, 0.3, 0.7, wrt=(0, 1))
    # np.clip: an x on a bound keeps its gradient (adcompile's rule; autograd's gives 0)
    x = np.array([-1.0, -0.5, 0.0, 0.3, 0.5, 2.0])
    inside = (x >= -0.5) & (x <= 0.5)
    assert_close(ad.grad(clipped)(x),
                 2 * np.clip(x, -0.5, 0.5) * inside + (x >= 0) + (x <= 0.2), 0, 0)
    assert_grad(clipped, np.array([-1.0, -0.4, 0.1, 0.3, 0.6, 2.0]))


# -- Python's idioms: fsum, generators, enumerate(zip), loops to a tolerance, early returns ---

def sums_of_generators(x):
    return (math.fsum(v ** 2 for v in x) + sum(math.sin(v) for v in x)
            + sum((v * i for i, v in enumerate(x)), 0.5) + math.fsum([x[0], x[1] * 2, 3.0]))


def enumerated_pairs(w, xs, ys):
    total = 0.0
    for i, (x, y) in enumerate(zip(xs, ys)):
        total += (i + 1) * (w @ x - y) ** 2
    return total / len(ys)


def newton_sqrt(a, tol=1e-12):
    x = a
    while abs(x * x - a) > tol:
        x = 0.5 * (x + a / x)
    return x


def kepler(M, e):
    E = M
    for _ in range(50):
        dE = (E - e * np.sin(E) - M) / (1 - e * np.cos(E))
        E = E - dE
        if abs(dE) < 1e-13:
            break
    return E


def first_positive(x):
    for i in range(len(x)):
        if x[i] > 0:
            return x[i] ** 2 * i
    return np.sum(x)


def returns_once_over(x):
    acc = 0.0
    for v in x:
        acc += v ** 2
        if acc > 1.0:
            return acc * 2
    return acc


def test_sums_over_generators():
    x = np.array([0.1, 0.2, 0.3])
    got = assert_grad(sums_of_generators, x)
    assert_close(got, 2 * x + np.cos(x) + np.arange(3) + [1.0, 2.0, 0.0], 1e-12, 1e-12)
    assert_like_autograd(enumerated_pairs, rng.normal(size=3), rng.normal(size=(4, 3)),
                         rng.normal(size=4), wrt=(0, 1, 2))


def test_loops_to_a_tolerance():
    assert_like_autograd(newton_sqrt, 2.0)
    assert_close(ad.grad(newton_sqrt)(2.0), 0.5 / math.sqrt(2.0), 1e-10, 0)
    assert_hessian(newton_sqrt, 2.0)
    assert_like_autograd(kepler, 1.0, 0.3, wrt=(0, 1))
    assert_hessian(kepler, 1.0, 0.3, wrt=1)


@pytest.mark.parametrize("f, x", [
    (first_positive, np.array([-1.0, -0.5, 0.7, 2.0])),
    (first_positive, np.array([-1.0, -0.5, -0.7, -2.0])),
    (returns_once_over, np.array([0.3, 0.5, 0.9, 0.1])),
    (returns_once_over, np.array([0.3, 0.5, 0.1, 0.1])),
])
def test_early_returns_from_a_loop(f, x):
    assert_like_autograd(f, x)


# -- objects: __call__ with a property, a Gaussian's property, partial and defaults -----------

class Quadratic:
    def __init__(self, A, b):
        self.A, self.b = A, b

    @property
    def symmetric(self):
        return 0.5 * (self.A + self.A.T)

    def __call__(self, x):
        return 0.5 * x @ self.symmetric @ x - self.b @ x


class Gaussian:
    def __init__(self, mu, L):
        self.mu, self.L = mu, L

    @property
    def cov(self):
        return self.L @ self.L.T + 1e-3 * np.eye(len(self.mu))

    def logpdf(self, x):
        d = x - self.mu
        return -0.5 * d @ np.linalg.solve(self.cov, d) - 0.5 * np.linalg.slogdet(self.cov)[1]


def gaussian_nll(mu, L, x):
    return -Gaussian(mu, L).logpdf(x)


def test_a_callable_object_with_a_property():
    A, b, x = rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=3)
    q = Quadratic(A, b)
    assert_close(ad.grad(q)(x), 0.5 * (A + A.T) @ x - b, 1e-12, 1e-12)
    assert_close(ad.hessian(q)(x), 0.5 * (A + A.T), 1e-12, 1e-12)
    L = np.tril(rng.normal(size=(2, 2))) + 2 * np.eye(2)
    assert_like_autograd(gaussian_nll, rng.normal(size=2), L, rng.normal(size=2), wrt=(0, 1))


def scaled_distance(x, y, scale):
    return scale * np.sum((x - y) ** 2)


W_DEFAULT = rng.normal(size=(3, 3))


def with_array_defaults(x, W=W_DEFAULT, *, bias=np.ones(3)):
    return np.sum(np.tanh(W @ x + bias))


def keyword_only(x, *, power=2, weights=None):
    w = np.ones_like(x) if weights is None else weights
    return np.sum(w * x ** power)


def through_keyword_only(x):
    return keyword_only(x, power=3) + keyword_only(x, weights=x)


def test_partials_defaults_and_keyword_only_arguments():
    x, y = rng.normal(size=3), rng.normal(size=3)
    got = ad.grad(functools.partial(scaled_distance, scale=2.0), wrt=(0, 1))(x, y)
    assert_close(got[0], 4 * (x - y), 1e-12, 1e-12)
    assert_close(got[1], -4 * (x - y), 1e-12, 1e-12)
    assert_like_autograd(with_array_defaults, x)
    assert_like_autograd(through_keyword_only, x)
    assert_hessian(through_keyword_only, x)


# -- globals changed between calls: the gradient reads their values then -------------------

MIXING = np.array([[1.0, 2.0], [3.0, 4.0]])
SCALE = 2.0
COEFFS = [1.0, 2.0, 3.0]
SETTINGS = {"lam": 0.1, "p": 2}
MASK = np.array([True, False, True])
N_STEPS = 2


def mixed_energy(x):
    return SCALE * np.sum((MIXING @ x) ** 2)


def polynomial(x):
    return sum(c * x ** i for i, c in enumerate(COEFFS))


def penalty(w):
    return SETTINGS["lam"] * np.sum(np.abs(w) ** SETTINGS["p"])


def masked_energy(x):
    return np.sum(x[MASK] ** 2)


def iterated_sine(x):
    for _ in range(N_STEPS):
        x = np.sin(x)
    return np.sum(x)


def test_globals_changed_between_calls():
    global MIXING, SCALE, N_STEPS
    saved = MIXING.copy(), SCALE, list(COEFFS), dict(SETTINGS), MASK.copy(), N_STEPS
    try:
        x = np.array([0.5, -0.2])
        grads = [ad.grad(mixed_energy), ad.grad(mixed_energy, backend="numba")]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for change in (lambda: None, lambda: MIXING.__setitem__((0, 0), 10.0)):
                change()
                for g in grads:
                    assert_close(g(x), 2 * SCALE * MIXING.T @ (MIXING @ x), 1e-12, 1e-12)
            MIXING, SCALE = np.eye(2) * 3.0, 5.0
            for g in grads:
                assert_close(g(x), 2 * SCALE * MIXING.T @ (MIXING @ x), 1e-12, 1e-12)
        MIXING[1, 1] = 7.0
        assert_close(ad.hessian(mixed_energy)(x), 2 * SCALE * MIXING.T @ MIXING, 1e-12, 1e-12)
        assert_close(ad.jvp(mixed_energy)(x, tangents=np.array([1.0, 0.0]))[1],
                     (2 * SCALE * MIXING.T @ (MIXING @ x))[0], 1e-12, 1e-12)

        g = ad.grad(polynomial)
        assert g(2.0) == 2.0 + 12.0
        COEFFS.append(4.0)
        COEFFS[1] = 0.0
        assert g(2.0) == 12.0 + 48.0

        w = np.array([0.5, -1.5])
        g = ad.grad(penalty)
        assert_close(g(w), 0.2 * w, 1e-12, 1e-12)
        SETTINGS.update(lam=1.0, p=3)
        assert_close(g(w), 3 * np.abs(w) ** 2 * np.sign(w), 1e-12, 1e-12)

        x3 = np.array([1.0, 2.0, 3.0])
        g = ad.grad(masked_energy)
        assert_close(g(x3), 2 * x3 * MASK, 0, 0)
        MASK[1] = True
        assert_close(g(x3), 2 * x3, 0, 0)

        g = ad.grad(iterated_sine)
        N_STEPS = 3
        assert_close(g(x3), numerical_grad(iterated_sine, (x3,), 0))
    finally:
        MIXING, SCALE, N_STEPS = saved[0], saved[1], saved[5]
        COEFFS[:] = saved[2]
        SETTINGS.clear()
        SETTINGS.update(saved[3])
        MASK[:] = saved[4]


def test_arrays_held_by_a_closure_and_a_default_changed_between_calls():
    weights = np.ones(3)

    def energy(x, w=weights):
        return np.sum(w * x ** 2) + np.sum(weights * x)

    x = np.array([1.0, 2.0, 3.0])
    g = ad.grad(energy)
    assert_close(g(x), 2 * x + 1, 0, 0)
    weights[:] = 3.0
    assert_close(g(x), 6 * x + 3, 0, 0)


# -- NumPy's semantics of writes: overlapping slices, repeated indices, views ---------------

def overlapping_updates(x):
    a = x.copy()
    a[1:] += a[:-1]           # NumPy reads a[:-1] before it writes
    b = x.copy()
    b[1:] = b[:-1]
    c = x.copy()
    c[:] = c[::-1]
    d = x.copy()
    d[:-1] += d[1:] * 2
    return (np.sum(a * np.arange(4)) + np.sum(b * np.arange(4) ** 2)
            + np.sum(c * np.arange(4) ** 3) + np.sum(d ** 2))


def repeated_indices(v):
    A = np.zeros(3)
    A[[0, 0, 2]] += v         # each index written once: the last write wins
    B = np.zeros(3)
    B[[1, 1]] = v[:2]
    C = np.zeros(3)
    np.add.at(C, [0, 0, 1], v)   # added as often as an index repeats
    return np.sum(A * np.array([1.0, 2.0, 3.0])) + np.sum(B * 5) + np.sum(C ** 2)


def swaps(A):
    B = A.copy()
    B[[0, 1]] = B[[1, 0]]
    C = A.copy()
    C[0], C[1] = C[1], C[0]   # rows are views: both become the old C[1]
    D = A.copy()
    D[:, [0, 1]] = D[:, [1, 0]]
    weights = np.arange(6.0).reshape(3, 2)
    return np.sum(B * weights) + np.sum(C * weights ** 2) + np.sum(D ** 2 * weights)


def masked_writes(x):
    y = x.copy()
    y[y < 0] = 0.0
    y[y > 1] *= 2
    z = x.copy()
    z[::2] = z[::2] ** 2
    z[-1] += 1
    return np.sum(y ** 2) + np.sum(z * x)


def changes_through_views(x):
    M = np.zeros((3, 3))
    M[0] = x
    row = M[0]
    row *= 2
    column = M[:, 0]
    column += x
    B = np.outer(x, x)
    for i, r in enumerate(B):
        r[i] = 0.0
    Bt = B.T
    Bt[0] *= 3
    return np.sum(M ** 2) + np.sum(B * np.arange(9.0).reshape(3, 3))


def test_overlapping_slices_and_repeated_indices_as_numpy_writes_them():
    x = rng.normal(size=4)
    assert_grad(overlapping_updates, x)
    assert_hessian(overlapping_updates, x)
    v = np.array([0.5, 0.7, 0.9])
    got = assert_grad(repeated_indices, v)
    assert_hessian(repeated_indices, v)
    assert got[0] == 2 * (v[0] + v[1])   # (A[0] is v[1]; v[0] reaches only C)


def test_swaps_masks_and_changes_through_views():
    assert_grad(swaps, rng.normal(size=(3, 2)))
    assert_grad(masked_writes, np.array([-0.5, 0.3, 1.5, 0.8, -2.0]))
    assert_hessian(masked_writes, np.array([-0.5, 0.3, 1.5, 0.8, -2.0]))
    assert_grad(changes_through_views, rng.normal(size=3))


# -- optimisation inside the loss: minibatch SGD, MAML, Sinkhorn, power iterations ------------

def unrolled_minibatch_sgd(w, X, y, lr=0.05, bs=2, epochs=2):
    for _ in range(epochs):
        for i in range(0, len(y), bs):
            xb, yb = X[i:i + bs], y[i:i + bs]
            w = w - lr * 2 * xb.T @ (xb @ w - yb) / len(yb)
    return np.mean((X @ w - y) ** 2)


def maml(w, tasks, inner_lr=0.1):
    def loss(w, X, y):
        return np.mean((X @ w - y) ** 2)
    total = 0.0
    for X, y in tasks:
        w_fast = w - inner_lr * ad.grad(loss)(w, X, y)
        total += loss(w_fast, X, y)
    return total


def sinkhorn_cost(C, a, b, eps=0.5, iters=10):
    K = np.exp(-C / eps)
    u = np.ones_like(a)
    for _ in range(iters):
        v = b / (K.T @ u)
        u = a / (K @ v)
    return np.sum(u[:, None] * K * v[None, :] * C)


def rayleigh_by_power_iteration(A, iters=5):
    v = np.ones(A.shape[0])
    for _ in range(iters):
        v = A @ v
        v /= np.linalg.norm(v)
    return v @ A @ v


def test_unrolled_optimisation():
    X, y, w = rng.normal(size=(6, 3)), rng.normal(size=6), rng.normal(size=3)
    assert_like_autograd(unrolled_minibatch_sgd, w, X, y, wrt=(0, 1))
    assert_hessian(unrolled_minibatch_sgd, w, X, y)
    tasks = [(rng.normal(size=(4, 3)), rng.normal(size=4)) for _ in range(2)]
    assert_grad(maml, w, tasks)
    assert_hessian(maml, w, tasks)


def test_fixed_point_iterations():
    C = rng.random((3, 4))
    a, b = np.ones(3) / 3, np.ones(4) / 4
    assert_like_autograd(sinkhorn_cost, C, a, b, wrt=(0, 1))
    assert_numba_agrees(sinkhorn_cost, C, a, b, wrt=(0, 1))
    A = rng.normal(size=(3, 3)) + 2 * np.eye(3)
    assert_like_autograd(rayleigh_by_power_iteration, A)
    assert_hessian(rayleigh_by_power_iteration, A)


# -- a cubic Hermite spline, metric learning, a Poisson GLM ----------------------------------

def hermite_spline(yk, mk, x):
    xs = np.linspace(0.0, 1.0, len(yk))
    h = xs[1] - xs[0]
    i = np.clip(np.searchsorted(xs, x) - 1, 0, len(xs) - 2)
    t = (x - xs[i]) / h
    h00, h10 = 2 * t ** 3 - 3 * t ** 2 + 1, t ** 3 - 2 * t ** 2 + t
    h01, h11 = -2 * t ** 3 + 3 * t ** 2, t ** 3 - t ** 2
    y = h00 * yk[i] + h10 * h * mk[i] + h01 * yk[i + 1] + h11 * h * mk[i + 1]
    return np.sum(y ** 2)


def cosine_contrastive(A, B, temperature=0.5):
    a = A / np.linalg.norm(A, axis=1, keepdims=True)
    b = B / np.linalg.norm(B, axis=1, keepdims=True)
    logits = a @ b.T / temperature
    return -np.mean(np.diag(logits) - scipy.special.logsumexp(logits, axis=1))


def triplet(anchor, positive, negative, margin=0.2):
    dp = np.sum((anchor - positive) ** 2, axis=1)
    dn = np.sum((anchor - negative) ** 2, axis=1)
    return np.mean(np.maximum(dp - dn + margin, 0.0))


def poisson_glm(beta, X, y):
    eta = X @ beta
    return -np.sum(y * eta - np.exp(eta) - scipy.special.gammaln(y + 1))


def probit_nll(w, X, y):
    z = X @ w
    return -np.sum(y * scipy.special.log_ndtr(z) + (1 - y) * scipy.special.log_ndtr(-z))


def test_a_probit_regression_far_in_the_tails():
    # (scipy.special.log_ndtr was refused: no rule)
    X, y = rng.normal(size=(6, 3)), np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    w = rng.normal(size=3)
    assert_grad(probit_nll, w, X, y)
    assert_hessian(probit_nll, w, X, y)
    assert_grad(probit_nll, 15.0 * w, X, y, rtol=1e-6)   # log_ndtr of -40 and so on
    assert np.all(np.isfinite(ad.grad(probit_nll)(40.0 * w, X, y)))


def test_a_hermite_spline():
    args = rng.normal(size=5), rng.normal(size=5), np.array([0.1, 0.4, 0.77, 0.95])
    assert_like_autograd(hermite_spline, *args, wrt=(0, 1, 2))


def test_metric_learning_and_a_glm():
    A, B = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    assert_grad(cosine_contrastive, A, B, wrt=(0, 1))
    assert_hessian(cosine_contrastive, A, B)
    assert_like_autograd(triplet, A, B, rng.normal(size=(4, 3)), wrt=(0, 1, 2))
    X, y = rng.normal(size=(6, 3)), np.array([0, 1, 3, 2, 0, 5])
    assert_grad(poisson_glm, rng.normal(size=3) * 0.3, X, y)
    assert_hessian(poisson_glm, rng.normal(size=3) * 0.3, X, y)


# -- refused, at the user's line -----------------------------------------------------------

def refused(f, args, pattern, wrt=0):
    """``ad.grad(f)`` refuses, with a TransformError at a line of this file matching
    ``pattern``."""
    with pytest.raises(ad.TransformError, match=pattern) as info:
        ad.grad(f, wrt=wrt)(*args)
    assert f"{__file__.rsplit('/', 1)[-1]}:" in str(info.value).splitlines()[0]


def cholesky_with_a_fallback(K):
    try:
        L = np.linalg.cholesky(K)
    except np.linalg.LinAlgError:
        L = np.linalg.cholesky(K + 1e-3 * np.eye(len(K)))
    return np.sum(np.log(np.diag(L)))


CALLS = 0


def counts_its_calls(x):
    global CALLS
    CALLS += 1
    return np.sum(x ** 2)


CACHE = np.zeros(3)


def writes_a_global_array(x):
    CACHE[:] = x
    return np.sum(CACHE * x)


def activation_by_name(x, act="tanh"):
    return np.sum(getattr(np, act)(x))


def activation_chosen_by_an_if(x, kind="tanh"):
    act = np.tanh if kind == "tanh" else np.sin
    return np.sum(act(x))


def test_what_stays_refused():
    x = np.array([0.3, -0.2, 0.5])
    refused(cholesky_with_a_fallback, (np.eye(3),), r"a try statement")
    refused(counts_its_calls, (x,), r"a global declaration")
    assert CALLS == 0
    refused(writes_a_global_array, (x,), r"assigning into 'CACHE', a variable outside")
    assert np.all(CACHE == 0.0)


def test_an_activation_chosen_by_a_string_argument():
    # (refused, as a function held in a variable or a getattr() with a computed name, until
    # the code was made for each value a call gives: frontend/static_choices.py,
    # tests/test_static_choices.py)
    x = np.array([0.3, -0.2, 0.5])
    for f in (activation_chosen_by_an_if, activation_by_name):
        for kind in ("sin", "tanh", "sin"):
            got = assert_grad(f, x, kind)
            assert_close(got, np.cos(x) if kind == "sin" else 1 - np.tanh(x) ** 2, 1e-12,
                         1e-14)
