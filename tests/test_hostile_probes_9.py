"""Probe 9: numeric Python written the way scientists and ML practitioners write it —
explicit integrators (Euler, RK4, velocity Verlet, three-level wave schemes), spring
networks over pairwise distances, slicing stencils, Newton, secant and fixed-point
iterations, likelihoods through scipy.special and scipy.stats, an HMM forward pass in log
space, a Kalman filter, GPs through Cholesky factors, Black-Scholes, LSTM and GRU cells,
masked and multi-head attention, layer and batch norm, cross-entropy with integer labels,
parameters in dicts, lists of (W, b), NamedTuples, dataclasses and objects — and the
idioms around them: safe masks, clips, norms with ord and axis, einsum and tensordot
forms, fancy and boolean indexing, sorts, scans, values that get an axis of length 1
inside the function, Python's closures, builtins and control flow, loops the optimizer
hoists, batches or checkpoints, rules given their less common arguments.

Each program is checked by ``assert_grad`` (central finite differences in float64,
forward mode along random tangents, the call by keywords), most against autograd too,
programs over structures leaf by leaf; second derivatives, Jacobians, the numba backend
and one gradient called with arguments of many kinds on a subset.

What the probe found:

- **A wrong gradient**: an int or an integer array in a structure being differentiated
  was handed back untouched as its own "gradient": ``ad.grad(f)([1, 2.5, 3.0])`` for
  ``f = lambda v: v[0] * v[1] ** 2 + v[2]`` gave ``[1, 5.0, 1.0]`` (the first entry's
  derivative is 6.25), ``{"mu": 0, "log_s": 0.0}`` in a Gaussian likelihood gave
  ``mu``'s gradient as ``0``, ``{"w": np.array([1, 2, 3])}`` gave ``w`` itself. Leaves
  that are not floats pass through to the gradient by design (a count, labels); one the
  value is computed from (not only a loop's bound, an index, a shape or a comparison) is
  now refused at the line reading it (analysis/integer_leaves.py; tests/test_structures.py
  and the tests below). A top-level int argument was and is differentiated.
- backend="numba": a list argument numba cannot type, ``[W, b]`` (arrays of different
  dimensions), ``[1, 2.5]`` (an int and a float), raised numba's ``TypeError: can't unbox
  heterogeneous list`` from the gradient call; it now falls back to Python with a
  NumbaFallbackWarning, as for other code numba refuses (backend/jit.py).

Everything else here was differentiated right, or refused at the user's line (the last
tests list the refusals: a module-level model object called, ``order="F"``, ``try``,
``nonlocal``, ``and``/``or`` on values being differentiated, generators, recursion, some
scipy functions without rules, ...). Not probed here (another probe's ground): copies of
dicts and lists of parameters, module-level callable objects, ``.conj()``,
``np.mean(where=)``.
"""

import copy
import dataclasses
import functools
import itertools
import math
import operator
import warnings
from typing import NamedTuple

import numpy as np
import pytest
import scipy.linalg
import scipy.special
import scipy.stats
from conftest import (assert_close, assert_grad, assert_hessian, autograd_gradient,
                      numerical_grad)

import adcompile as ad
from adcompile.backend.jit import NumbaFallbackWarning


def case_id(value):
    return getattr(value, "__name__", "")


# -- structures: finite differences leaf by leaf ----------------------------------------------

def is_object(value):
    """Whether ``value`` is an object of the user's class holding parameters (not a function)."""
    return hasattr(value, "__dict__") and not callable(value)


def flatten(tree):
    """The leaves of a structure of numbers and arrays (dict, list, tuple, NamedTuple,
    dataclass or other object), depth first."""
    if isinstance(tree, dict):
        return [leaf for k in tree for leaf in flatten(tree[k])]
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in flatten(item)]
    if dataclasses.is_dataclass(tree):
        return [leaf for f in dataclasses.fields(tree) for leaf in flatten(getattr(tree, f.name))]
    if is_object(tree):
        return [leaf for v in vars(tree).values() for leaf in flatten(v)]
    return [tree]


def unflatten(tree, leaves):
    """``tree`` with its leaves replaced, in order, by those of the iterator ``leaves``."""
    if isinstance(tree, dict):
        return {k: unflatten(v, leaves) for k, v in tree.items()}
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        return type(tree)(*[unflatten(v, leaves) for v in tree])
    if isinstance(tree, (list, tuple)):
        return type(tree)(unflatten(v, leaves) for v in tree)
    if dataclasses.is_dataclass(tree):
        return dataclasses.replace(tree, **{f.name: unflatten(getattr(tree, f.name), leaves)
                                            for f in dataclasses.fields(tree)})
    if is_object(tree):
        new = copy.copy(tree)
        for k, v in vars(tree).items():
            setattr(new, k, unflatten(v, leaves))
        return new
    return next(leaves)


def is_structure(value):
    return isinstance(value, (dict, list, tuple)) or dataclasses.is_dataclass(value)


def tree_numerical_grad(f, args, where):
    """Central differences of ``f(*args)`` in each leaf of the structure ``args[where]``,
    in that structure."""
    leaves = flatten(args[where])

    def moved(v, i):
        call = list(args)
        call[where] = unflatten(args[where], iter(leaves[:i] + [v] + leaves[i + 1:]))
        return f(*call)

    return unflatten(args[where], iter(numerical_grad(functools.partial(moved, i=i), (leaf,), 0)
                                       for i, leaf in enumerate(leaves)))


def assert_tree_grad(f, *args, wrt=0):
    """adcompile's gradient in each structure of ``wrt`` has its type and equals finite
    differences leaf by leaf."""
    got = ad.grad(f, wrt=wrt)(*args)
    for g, w in zip(got if isinstance(wrt, tuple) else (got,),
                    wrt if isinstance(wrt, tuple) else (wrt,)):
        assert type(g) is type(args[w])
        for a, b in zip(flatten(g), flatten(tree_numerical_grad(f, args, w)), strict=True):
            assert_close(a, b, 1e-5, 1e-7, f"{f.__name__}, a leaf")


def check_program(f, args, wrt, by_autograd):
    """The gradient equals finite differences (leaf by leaf for a structure), and autograd's
    where ``by_autograd``."""
    if any(is_structure(args[w]) for w in (wrt if isinstance(wrt, tuple) else (wrt,))):
        assert_tree_grad(f, *args, wrt=wrt)
        return
    got = assert_grad(f, *args, wrt=wrt)
    if by_autograd:
        want = autograd_gradient(f, *args, wrt=wrt)
        for g, w in zip(got if isinstance(wrt, tuple) else (got,),
                        want if isinstance(wrt, tuple) else (want,)):
            assert_close(g, w, 1e-7, 1e-9, f"{f.__name__} against autograd")


# -- science -------------------------------------------------------------------

rng_sci = np.random.default_rng(909)
X3_SCI = rng_sci.normal(size=3)
X4_SCI = rng_sci.normal(size=4)
X6_SCI = rng_sci.normal(size=6)
M3_SCI = rng_sci.normal(size=(3, 3))
SPD_SCI = M3_SCI @ M3_SCI.T + 3 * np.eye(3)
PTS = np.array([[0.0, 0.0], [1.1, 0.1], [0.2, 1.3], [1.2, 1.1]])


# --- integrators
def damped_oscillator_euler(k, c=0.3, dt=0.05, steps=30):
    x, v = 1.0, 0.0
    for _ in range(steps):
        a = -k * x - c * v
        x, v = x + dt * v, v + dt * a
    return x ** 2 + v ** 2


def rk4(f, y, h, *args):
    k1 = f(y, *args)
    k2 = f(y + 0.5 * h * k1, *args)
    k3 = f(y + 0.5 * h * k2, *args)
    k4 = f(y + h * k3, *args)
    return y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


def van_der_pol(y, mu):
    return np.array([y[1], mu * (1.0 - y[0] ** 2) * y[1] - y[0]])


def vdp_final(mu, y0):
    y = y0
    for _ in range(10):
        y = rk4(van_der_pol, y, 0.1, mu)
    return y[0] + 0.5 * y[1] ** 2


def spring_forces(x, k, rest):
    d = x[:, None, :] - x[None, :, :]
    r = np.sqrt(np.sum(d ** 2, axis=-1) + np.eye(len(x)))
    mag = k * (r - rest) / r
    mag = mag * (1.0 - np.eye(len(x)))
    return -np.sum(mag[:, :, None] * d, axis=1)


def verlet_springs(x0, k, rest=1.0, dt=0.02, steps=8):
    x = x0
    v = np.zeros_like(x0)
    f = spring_forces(x, k, rest)
    for _ in range(steps):
        x = x + dt * v + 0.5 * dt ** 2 * f
        f_new = spring_forces(x, k, rest)
        v = v + 0.5 * dt * (f + f_new)
        f = f_new
    return np.sum(x[:, 0]) + np.sum(v ** 2)


def norm_springs(x0, k):
    d = x0[:, None, :] - x0[None, :, :]
    r = np.linalg.norm(d + 1e-12, axis=-1)
    iu = np.triu_indices(len(x0), 1)
    return 0.5 * k * np.sum((r[iu] - 1.0) ** 2)


def wave_three_levels(u0, c=0.5, steps=6):
    u_prev = u0.copy()
    u = u0.copy()
    for _ in range(steps):
        u_next = np.zeros_like(u)
        u_next[1:-1] = 2 * u[1:-1] - u_prev[1:-1] + c ** 2 * (u[2:] - 2 * u[1:-1] + u[:-2])
        u_prev, u = u, u_next
    return np.sum(u ** 2)


def heat_periodic_roll(u0, r):
    u = u0
    for _ in range(5):
        u = u + r * (np.roll(u, 1) - 2 * u + np.roll(u, -1))
    return np.sum(u ** 3)


def heat_2d_interior(u0, r=0.2):
    u = u0.copy()
    for _ in range(3):
        lap = u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2] - 4 * u[1:-1, 1:-1]
        u[1:-1, 1:-1] = u[1:-1, 1:-1] + r * lap
    return np.sum(u * u0)


def heat_2d_interior_new(u0, r):
    u = u0
    for _ in range(3):
        new = u.copy()
        new[1:-1, 1:-1] += r * (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2] - 4 * u[1:-1, 1:-1])
        u = new
    return np.sum(u ** 2)


def newton_sqrt(a, tol=1e-12):
    x = a
    while abs(x * x - a) > tol:
        x = 0.5 * (x + a / x)
    return x


def kepler_newton(M, e=0.3):
    E = M
    for _ in range(50):
        step = (E - e * np.sin(E) - M) / (1 - e * np.cos(E))
        E = E - step
        if abs(step) < 1e-13:
            break
    return E


def fixed_point_cos(a):
    x = 0.5
    for _ in range(60):
        x = np.cos(a * x)
    return x


def shooting(v0, steps=20, dt=0.05):
    y, v = 0.0, v0
    t = 0.0
    while t < 1.0 - 1e-9:
        y, v = y + dt * v, v - dt * 9.81
        t += dt
    return (y - 0.5) ** 2


def trajectory_stacked(y0, a):
    ys = [y0]
    y = y0
    for i in range(6):
        y = y + 0.1 * np.tanh(a * y)
        ys.append(y)
    Y = np.stack(ys)
    return np.sum(np.diff(Y, axis=0) ** 2)


def linspace_grid(L, n=9):
    xs = np.linspace(0.0, L, n)
    ys = np.sin(xs)
    return np.trapezoid(ys, xs) if hasattr(np, "trapezoid") else np.trapz(ys, xs)


def arange_times(dt):
    t = np.arange(6) * dt
    return np.sum(np.exp(-t) * np.cos(3 * t))


def linspace_endpoint_false(L):
    xs = np.linspace(-L, L, 7, endpoint=False)
    return np.sum(xs ** 4)


# --- statistics
def poisson_nll(log_rate, k):
    rate = np.exp(log_rate)
    return -np.sum(k * log_rate - rate - scipy.special.gammaln(k + 1))


def negbin_nll(params, k):
    log_mu, log_r = params
    mu, r = np.exp(log_mu), np.exp(log_r)
    ll = (scipy.special.gammaln(k + r) - scipy.special.gammaln(r) - scipy.special.gammaln(k + 1)
          + r * np.log(r / (r + mu)) + k * np.log(mu / (r + mu)))
    return -np.sum(ll)


def student_t_nll(x, nu):
    return -np.sum(scipy.special.gammaln((nu + 1) / 2) - scipy.special.gammaln(nu / 2)
                   - 0.5 * np.log(nu * np.pi) - (nu + 1) / 2 * np.log1p(x ** 2 / nu))


def gmm_logsumexp(means, x, log_w, sigma=0.7):
    lp = -0.5 * ((x[:, None] - means[None, :]) / sigma) ** 2 - np.log(sigma * np.sqrt(2 * np.pi))
    return -np.sum(scipy.special.logsumexp(lp + log_w, axis=1))


def gmm_softmax_weights(logits, x, means):
    w = scipy.special.softmax(logits)
    lp = scipy.stats.norm.logpdf(x[:, None], loc=means, scale=1.0)
    return -np.sum(scipy.special.logsumexp(lp, axis=1, b=w))


def hmm_forward(log_pi, logA, logB, obs):
    alpha = log_pi + logB[:, obs[0]]
    for t in range(1, len(obs)):
        alpha = scipy.special.logsumexp(alpha[:, None] + logA, axis=0) + logB[:, obs[t]]
    return scipy.special.logsumexp(alpha)


def hmm_forward_scaled(A, B, pi, obs):
    alpha = pi * B[:, obs[0]]
    ll = 0.0
    for o in obs[1:]:
        c = alpha.sum()
        ll += np.log(c)
        alpha = (alpha / c) @ A * B[:, o]
    return ll + np.log(alpha.sum())


def black_scholes(S, K, T, r, sigma):
    d1 = (np.log(S / K) + (r + 0.5 * sigma ** 2) * T) / (sigma * np.sqrt(T))
    d2 = d1 - sigma * np.sqrt(T)
    return S * scipy.stats.norm.cdf(d1) - K * np.exp(-r * T) * scipy.stats.norm.cdf(d2)


def black_scholes_erf(S, sigma, K=1.0, T=0.5, r=0.01):
    N = lambda z: 0.5 * (1 + scipy.special.erf(z / math.sqrt(2)))
    d1 = (np.log(S / K) + (r + sigma ** 2 / 2) * T) / (sigma * np.sqrt(T))
    d2 = d1 - sigma * np.sqrt(T)
    return np.sum(S * N(d1) - K * np.exp(-r * T) * N(d2))


def probit_ndtr(w, X, y):
    p = scipy.special.ndtr(X @ w)
    return -np.sum(y * np.log(p) + (1 - y) * np.log1p(-p))


def logistic_expit(w, X, y):
    p = scipy.special.expit(X @ w)
    return -np.mean(scipy.special.xlogy(y, p) + scipy.special.xlogy(1 - y, 1 - p))


def stats_logpdfs(theta, x):
    mu, log_s = theta[0], theta[1]
    return -(np.sum(scipy.stats.norm.logpdf(x, mu, np.exp(log_s)))
             + scipy.stats.gamma.logpdf(np.exp(log_s), a=2.0, scale=1.0)
             + scipy.stats.t.logpdf(mu, df=3.0))


def beta_loglik(ab, p):
    return -np.sum(scipy.stats.beta.logpdf(p, ab[0], ab[1]))


def dirichlet_logpdf(alpha, p):
    return (scipy.special.gammaln(np.sum(alpha)) - np.sum(scipy.special.gammaln(alpha))
            + np.sum((alpha - 1) * np.log(p)))


def kalman_filter(q, ys, r=0.5):
    F = np.array([[1.0, 1.0], [0.0, 1.0]])
    H = np.array([[1.0, 0.0]])
    Q = q * np.eye(2)
    m = np.zeros(2)
    P = np.eye(2)
    ll = 0.0
    for y in ys:
        m = F @ m
        P = F @ P @ F.T + Q
        S = H @ P @ H.T + r
        K = P @ H.T / S
        e = y - H @ m
        m = m + (K * e).ravel()
        P = P - K @ H @ P
        ll += -0.5 * (np.log(2 * np.pi * S[0, 0]) + e[0] ** 2 / S[0, 0])
    return -ll


def gp_cholesky(log_ell, X, y, noise=0.1):
    ell = np.exp(log_ell)
    d2 = (X[:, None] - X[None, :]) ** 2
    K = np.exp(-0.5 * d2 / ell ** 2) + noise * np.eye(len(X))
    L = np.linalg.cholesky(K)
    alpha = scipy.linalg.solve_triangular(L.T, scipy.linalg.solve_triangular(L, y, lower=True), lower=False)
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(L)))


def gp_cho_solve(log_ell, X, y, noise=0.1):
    ell = np.exp(log_ell)
    K = np.exp(-0.5 * (X[:, None] - X[None, :]) ** 2 / ell ** 2) + noise * np.eye(len(X))
    c, low = scipy.linalg.cho_factor(K)
    alpha = scipy.linalg.cho_solve((c, low), y)
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(c)))


def mvn_logpdf(mu, x, cov=SPD_SCI):
    return -np.sum(scipy.stats.multivariate_normal.logpdf(x, mean=mu, cov=cov))


def softplus_logaddexp(x):
    return np.sum(np.logaddexp(0.0, x) * np.arange(1.0, len(x) + 1))


def kl_gaussians(mu, log_var):
    return 0.5 * np.sum(np.exp(log_var) + mu ** 2 - 1.0 - log_var)


def entropies(p_logits):
    p = scipy.special.softmax(p_logits)
    return np.sum(scipy.special.entr(p)) + np.sum(scipy.special.kl_div(p, np.full(len(p), 1.0 / len(p))))


KS = np.array([0.0, 3.0, 1.0, 5.0])
XS_SCI = rng_sci.normal(size=5)
OBS = [0, 1, 1, 0, 1]
LOGA = np.log(np.array([[0.8, 0.2], [0.3, 0.7]]))
LOGB = np.log(np.array([[0.6, 0.4], [0.1, 0.9]]))
XD = rng_sci.normal(size=(6, 3))
YD = (rng_sci.random(6) > 0.5).astype(float)
GPX = np.linspace(0, 2, 5)
GPY = np.sin(GPX)

SCIENCE = [
    (damped_oscillator_euler, (1.3,), 0, True),
    (vdp_final, (0.8, np.array([1.0, 0.2])), (0, 1), True),
    (verlet_springs, (PTS, 2.0), (0, 1), True),
    (norm_springs, (PTS, 2.0), (0, 1), True),
    (wave_three_levels, (np.sin(np.linspace(0, 3, 7)), 0.5), (0, 1), False),
    (heat_periodic_roll, (X6_SCI, 0.2), (0, 1), True),
    (heat_2d_interior, (rng_sci.normal(size=(4, 5)), 0.2), (0, 1), False),
    (heat_2d_interior_new, (rng_sci.normal(size=(4, 5)), 0.2), (0, 1), False),
    (newton_sqrt, (2.3,), 0, True),
    (kepler_newton, (1.1,), 0, True),
    (fixed_point_cos, (0.7,), 0, True),
    (shooting, (3.0,), 0, True),
    (trajectory_stacked, (X3_SCI, 0.8), (0, 1), True),
    (arange_times, (0.3,), 0, True),
    (linspace_endpoint_false, (1.5,), 0, False),
    (poisson_nll, (X4_SCI, KS), 0, True),
    (negbin_nll, (np.array([0.5, 0.3]), KS), 0, False),
    (student_t_nll, (XS_SCI, 3.5), (0, 1), False),
    (gmm_logsumexp, (np.array([-1.0, 0.5, 1.0]), XS_SCI, np.log(np.array([0.2, 0.5, 0.3]))), (0, 2), False),
    (gmm_softmax_weights, (X3_SCI, XS_SCI, np.array([-1.0, 0.0, 1.0])), (0, 2), False),
    (hmm_forward, (np.log(np.array([0.6, 0.4])), LOGA, LOGB, OBS), (0, 1, 2), False),
    (hmm_forward_scaled, (np.exp(LOGA), np.exp(LOGB), np.array([0.6, 0.4]), OBS), (0, 1, 2), True),
    (black_scholes, (1.1, 1.0, 0.5, 0.02, 0.3), (0, 1, 2, 3, 4), False),
    (black_scholes_erf, (np.array([0.9, 1.1]), 0.3), (0, 1), False),
    (probit_ndtr, (X3_SCI * 0.3, XD, YD), 0, False),
    (logistic_expit, (X3_SCI, XD, YD), 0, False),
    (stats_logpdfs, (np.array([0.2, -0.1]), XS_SCI), 0, False),
    (beta_loglik, (np.array([2.0, 3.0]), np.array([0.2, 0.5, 0.7])), 0, False),
    (dirichlet_logpdf, (np.array([1.5, 2.0, 3.0]), np.array([0.2, 0.3, 0.5])), 0, False),
    (kalman_filter, (0.3, [0.1, 0.5, 0.4, 1.2]), 0, True),
    (gp_cholesky, (0.2, GPX, GPY), 0, False),
    (gp_cho_solve, (0.2, GPX, GPY), 0, False),
    (mvn_logpdf, (X3_SCI, rng_sci.normal(size=(4, 3))), 0, False),
    (softplus_logaddexp, (X4_SCI,), 0, True),
    (kl_gaussians, (X3_SCI, X4_SCI[:3]), (0, 1), True),
]


# -- machine learning ----------------------------------------------------------

rng_ml = np.random.default_rng(919)
H, D, T = 3, 2, 4
XSEQ = rng_ml.normal(size=(T, D))


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm_loss(params, xs):
    W, U, b = params["W"], params["U"], params["b"]
    h = np.zeros(H)
    c = np.zeros(H)
    for x in xs:
        z = W @ x + U @ h + b
        i, f, o, g = np.split(z, 4)
        i, f, o, g = sigmoid(i), sigmoid(f), sigmoid(o), np.tanh(g)
        c = f * c + i * g
        h = o * np.tanh(c)
    return np.sum(h ** 2)


def lstm_sliced(W, U, b, xs):
    h = np.zeros(H)
    c = np.zeros(H)
    hs = []
    for t in range(len(xs)):
        z = xs[t] @ W + h @ U + b
        i = sigmoid(z[:H])
        f = sigmoid(z[H:2 * H])
        o = sigmoid(z[2 * H:3 * H])
        g = np.tanh(z[3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
    return np.mean(np.stack(hs) ** 2)


def gru_loss(Wz, Wr, Wh, xs):
    h = np.zeros(H)
    for x in xs:
        hx = np.concatenate([h, x])
        z = sigmoid(Wz @ hx)
        r = sigmoid(Wr @ hx)
        hh = np.tanh(Wh @ np.concatenate([r * h, x]))
        h = (1 - z) * h + z * hh
    return np.sum(h)


def attention_masked(Wq, Wk, Wv, X):
    q, k, v = X @ Wq, X @ Wk, X @ Wv
    s = q @ k.T / np.sqrt(q.shape[-1])
    mask = np.tril(np.ones((len(X), len(X)), dtype=bool))
    s = np.where(mask, s, -1e9)
    s = s - s.max(axis=-1, keepdims=True)
    p = np.exp(s)
    p = p / p.sum(axis=-1, keepdims=True)
    return np.sum((p @ v) ** 2)


def multi_head(W, X, heads=2):
    n, d = X.shape
    qkv = X @ W
    q, k, v = np.split(qkv, 3, axis=-1)
    q = q.reshape(n, heads, -1).transpose(1, 0, 2)
    k = k.reshape(n, heads, -1).transpose(1, 0, 2)
    v = v.reshape(n, heads, -1).transpose(1, 0, 2)
    s = np.einsum("hqd,hkd->hqk", q, k) / math.sqrt(q.shape[-1])
    p = scipy.special.softmax(s, axis=-1)
    out = np.einsum("hqk,hkd->hqd", p, v).transpose(1, 0, 2).reshape(n, -1)
    return np.sum(out ** 2)


def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return np.sum((gamma * (x - mu) / np.sqrt(var + eps) + beta) ** 3)


def batch_norm(x, gamma, beta, eps=1e-5):
    mu = np.mean(x, axis=0)
    var = np.var(x, axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    return np.sum(np.tanh(gamma * xhat + beta))


def cross_entropy_int(W, X, y):
    logits = X @ W
    logits = logits - np.max(logits, axis=1, keepdims=True)
    logp = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(logp[np.arange(len(y)), y])


def cross_entropy_onehot(W, X, y, smooth=0.1):
    logits = X @ W
    k = W.shape[1]
    Y = np.eye(k)[y] * (1 - smooth) + smooth / k
    return -np.sum(Y * scipy.special.log_softmax(logits, axis=1)) / len(y)


def cross_entropy_take_along(W, X, y):
    logp = scipy.special.log_softmax(X @ W, axis=-1)
    return -np.take_along_axis(logp, y[:, None], axis=1).mean()


def dropout_mlp(W1, W2, X, p=0.3):
    r = np.random.default_rng(0)
    h = np.maximum(X @ W1, 0.0)
    mask = r.random(h.shape) > p
    h = h * mask / (1 - p)
    return np.sum((h @ W2) ** 2)


def weight_decay_dict(params, X, lam=0.01):
    h = np.tanh(X @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    reg = sum(np.sum(w ** 2) for k, w in params.items() if k.startswith("W"))
    return np.mean(out ** 2) + lam * reg


def layers_list(layers, x):
    for W, b in layers[:-1]:
        x = np.tanh(x @ W + b)
    W, b = layers[-1]
    return np.sum((x @ W + b) ** 2) + 1e-2 * sum(np.sum(W ** 2) for W, _ in layers)


@dataclasses.dataclass
class Params:
    W: np.ndarray
    b: np.ndarray
    scale: float = 1.0


def dataclass_loss(p, X):
    return p.scale * np.sum(np.tanh(X @ p.W + p.b) ** 2)


class Layer(NamedTuple):
    W: np.ndarray
    b: np.ndarray


def namedtuple_loss(layer, X):
    z = X @ layer.W + layer.b
    return np.sum(np.logaddexp(0, z))


def nested_dict_loss(params, X):
    h = X
    for name in ["enc", "dec"]:
        h = np.tanh(h @ params[name]["W"] + params[name]["b"])
    return np.sum(h ** 2)


class MLP:
    def __init__(self, act="tanh"):
        self.act = act

    @staticmethod
    def relu(z):
        return np.maximum(z, 0.0)

    @property
    def depth(self):
        return 2

    def layer(self, W, x):
        z = x @ W
        return np.tanh(z) if self.act == "tanh" else self.relu(z)

    def __call__(self, Ws, x):
        for i in range(self.depth):
            x = self.layer(Ws[i], x)
        return np.sum(x ** 2)


MODEL = MLP()
MODEL_RELU = MLP("relu")


def class_model_loss(Ws, X):
    return MODEL(Ws, X)


def class_model_relu(Ws, X):
    return MODEL_RELU(Ws, X) + MLP.relu(Ws[0]).sum()


def partial_loss(W, X, y, lam):
    return np.mean((X @ W - y) ** 2) + lam * np.sum(W ** 2)


def config_closure(W, X):
    cfg = {"lam": 0.1, "act": np.tanh}

    def loss(W):
        return np.sum(cfg["act"](X @ W) ** 2) + cfg["lam"] * np.sum(W ** 2)
    return loss(W)


def embedding_repeated(E, tokens, w):
    h = E[tokens]
    return np.sum(np.tanh(h @ w))


def embedding_mean_pool(E, docs):
    return sum(np.sum(E[d].mean(axis=0) ** 2) for d in docs)


def max_pool_reshape(x):
    return np.sum(x.reshape(-1, 2).max(axis=1) ** 2)


def huber(r, delta=1.0):
    a = np.abs(r)
    return np.sum(np.where(a <= delta, 0.5 * r ** 2, delta * (a - 0.5 * delta)))


def hinge(w, X, y):
    return np.mean(np.maximum(0.0, 1.0 - y * (X @ w))) + 0.5 * w @ w


def triplet(A, P, N, margin=0.5):
    dp = np.linalg.norm(A - P, axis=1)
    dn = np.linalg.norm(A - N, axis=1)
    return np.mean(np.maximum(dp - dn + margin, 0.0))


def info_nce(Z1, Z2, tau=0.5):
    Z1 = Z1 / np.linalg.norm(Z1, axis=1, keepdims=True)
    Z2 = Z2 / np.linalg.norm(Z2, axis=1, keepdims=True)
    s = Z1 @ Z2.T / tau
    return -np.mean(np.diag(s) - scipy.special.logsumexp(s, axis=1))


def focal(logits, y, gamma=2.0):
    p = scipy.special.expit(logits)
    pt = np.where(y == 1, p, 1 - p)
    return -np.sum((1 - pt) ** gamma * np.log(pt))


def vae_elbo(mu, log_var, W, eps):
    z = mu + np.exp(0.5 * log_var) * eps
    recon = np.tanh(z @ W)
    kl = -0.5 * np.sum(1 + log_var - mu ** 2 - np.exp(log_var))
    return np.sum((recon - 0.5) ** 2) + kl


def rnn_states(Wx, Wh, xs):
    h = np.zeros(Wh.shape[0])
    states = []
    for x in xs:
        h = np.tanh(Wx @ x + Wh @ h)
        states.append(h)
    S = np.array(states)
    return np.sum(S[-1]) + np.sum(S[:, 0] ** 2)


def gumbel_softmax(logits, g, tau=0.7):
    y = (logits + g) / tau
    y = np.exp(y - y.max())
    y = y / y.sum()
    return np.sum(y * np.arange(len(y)))


def residual_mlp(layers, x):
    for W, b in layers:
        x = x + np.tanh(x @ W + b)
    return np.sum(x ** 2)


def adam_unrolled(w0, X, y, lr=0.1, steps=3):
    w = w0
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t in range(1, steps + 1):
        g = 2 * X.T @ (X @ w - y) / len(y)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g ** 2
        mh = m / (1 - 0.9 ** t)
        vh = v / (1 - 0.999 ** t)
        w = w - lr * mh / (np.sqrt(vh) + 1e-8)
    return np.sum((X @ w - y) ** 2)


def conv1d_loop(x, k):
    n = len(x) - len(k) + 1
    out = np.array([np.dot(x[i:i + len(k)], k) for i in range(n)])
    return np.sum(np.tanh(out))


def conv1d_np_convolve(x, k):
    return np.sum(np.convolve(x, k, mode="valid") ** 2)


def mse_with_float32(W, X):
    return np.float64(np.mean((X @ W) ** 2))


def l1_l2_penalties(params):
    return sum(np.abs(w).sum() + 0.5 * (w ** 2).sum() for w in params)


def cosine_similarity(a, b):
    return a @ b / (np.linalg.norm(a) * np.linalg.norm(b))


def weighted_bce_logits(z, y, pos_weight=2.0):
    log_p = -np.logaddexp(0, -z)
    log_1mp = -np.logaddexp(0, z)
    return -np.mean(pos_weight * y * log_p + (1 - y) * log_1mp)


XM = rng_ml.normal(size=(5, 3))
YI = np.array([0, 2, 1, 1, 0])
W32 = rng_ml.normal(size=(3, 3))
LAYERS = [(rng_ml.normal(size=(3, 3)) * 0.5, rng_ml.normal(size=3)) for _ in range(3)]
PDICT = {"W1": rng_ml.normal(size=(3, 4)), "b1": rng_ml.normal(size=4), "W2": rng_ml.normal(size=(4, 2)), "b2": rng_ml.normal(size=2)}
NESTED = {"enc": {"W": rng_ml.normal(size=(3, 3)), "b": rng_ml.normal(size=3)}, "dec": {"W": rng_ml.normal(size=(3, 2)), "b": rng_ml.normal(size=2)}}

X6_ML = rng_ml.normal(size=6)
MACHINE_LEARNING = [
    (lstm_loss, ({"W": rng_ml.normal(size=(4 * H, D)), "U": rng_ml.normal(size=(4 * H, H)), "b": rng_ml.normal(size=4 * H)}, XSEQ), 0, False),
    (lstm_sliced, (rng_ml.normal(size=(D, 4 * H)), rng_ml.normal(size=(H, 4 * H)), rng_ml.normal(size=4 * H), XSEQ), (0, 1, 2), True),
    (gru_loss, (rng_ml.normal(size=(H, H + D)), rng_ml.normal(size=(H, H + D)), rng_ml.normal(size=(H, H + D)), XSEQ), (0, 1, 2), True),
    (attention_masked, (rng_ml.normal(size=(3, 2)), rng_ml.normal(size=(3, 2)), rng_ml.normal(size=(3, 2)), XM), (0, 1, 2), True),
    (multi_head, (rng_ml.normal(size=(4, 12)) * 0.5, rng_ml.normal(size=(3, 4))), 0, False),
    (layer_norm, (XM, rng_ml.normal(size=3), rng_ml.normal(size=3)), (0, 1, 2), True),
    (batch_norm, (XM, rng_ml.normal(size=3), rng_ml.normal(size=3)), (0, 1, 2), True),
    (cross_entropy_int, (W32, XM, YI), 0, True),
    (cross_entropy_onehot, (W32, XM, YI), 0, False),
    (cross_entropy_take_along, (W32, XM, YI), 0, False),
    (dropout_mlp, (rng_ml.normal(size=(3, 4)), rng_ml.normal(size=(4, 2)), XM), (0, 1), True),
    (weight_decay_dict, (PDICT, XM), 0, False),
    (layers_list, (LAYERS, rng_ml.normal(size=(2, 3))), 0, False),
    (namedtuple_loss, (Layer(W32, rng_ml.normal(size=3)), XM), 0, False),
    (nested_dict_loss, (NESTED, XM), 0, False),
    (embedding_repeated, (rng_ml.normal(size=(5, 3)), np.array([1, 3, 1, 1, 4]), rng_ml.normal(size=3)), (0, 2), True),
    (embedding_mean_pool, (rng_ml.normal(size=(5, 3)), [np.array([0, 1, 1]), np.array([4, 2])]), 0, True),
    (max_pool_reshape, (rng_ml.normal(size=8),), 0, True),
    (huber, (np.array([-2.0, -0.3, 0.4, 1.7]),), 0, True),
    (hinge, (rng_ml.normal(size=3), XM, np.array([1.0, -1, 1, -1, 1])), 0, True),
    (triplet, (XM, XM + 0.3, XM[::-1] * 0.5), (0, 1, 2), True),
    (info_nce, (XM, XM + rng_ml.normal(size=XM.shape)), (0, 1), False),
    (focal, (rng_ml.normal(size=5), np.array([1, 0, 1, 1, 0])), 0, False),
    (vae_elbo, (rng_ml.normal(size=3), rng_ml.normal(size=3), rng_ml.normal(size=(3, 2)), rng_ml.normal(size=3)), (0, 1, 2), True),
    (rnn_states, (rng_ml.normal(size=(H, D)), rng_ml.normal(size=(H, H)), XSEQ), (0, 1), True),
    (gumbel_softmax, (rng_ml.normal(size=4), rng_ml.gumbel(size=4)), 0, True),
    (residual_mlp, (LAYERS, rng_ml.normal(size=(2, 3))), 0, False),
    (adam_unrolled, (rng_ml.normal(size=3), XM, rng_ml.normal(size=5)), 0, True),
    (conv1d_loop, (X6_ML, rng_ml.normal(size=3)), (0, 1), True),
    (conv1d_np_convolve, (X6_ML, rng_ml.normal(size=3)), (0, 1), False),
    (l1_l2_penalties, ([W32, rng_ml.normal(size=3)],), 0, False),
    (cosine_similarity, (rng_ml.normal(size=4), rng_ml.normal(size=4)), (0, 1), True),
    (weighted_bce_logits, (rng_ml.normal(size=5), np.array([1.0, 0, 1, 1, 0])), 0, True),
]
MACHINE_LEARNING += [
    (dataclass_loss, (Params(W32, rng_ml.normal(size=3), 0.5), XM), 0, False),
]


def test_a_loss_with_its_data_bound_by_functools_partial():
    w, y = rng_ml.normal(size=3), rng_ml.normal(size=5)
    loss = functools.partial(partial_loss, X=XM, y=y, lam=0.1)
    assert_close(ad.grad(loss)(w), numerical_grad(partial_loss, (w, XM, y, 0.1), 0))


# -- idioms --------------------------------------------------------------------

rng_id = np.random.default_rng(929)
X3_ID = rng_id.normal(size=3)
X4_ID = np.array([-1.3, 0.4, 2.1, -0.6])
X6_ID = rng_id.normal(size=6)
M3_ID = rng_id.normal(size=(3, 3))
M23_ID = rng_id.normal(size=(2, 3))
T234_ID = rng_id.normal(size=(2, 3, 4))


def safe_sqrt(x):
    return np.sum(np.where(x > 0, np.sqrt(np.where(x > 0, x, 1.0)), 0.0))


def safe_log(x):
    safe = np.where(x > 0, x, 1.0)
    return np.sum(np.where(x > 0, np.log(safe) * x, 0.0))


def clip_upper_only(x):
    return np.sum(np.clip(x, None, 1.0) ** 2 + np.clip(x, -0.5, None) ** 3)


def clip_method(x):
    return np.sum(x.clip(-1.0, 1.0) * x)


def clip_array_bounds(x, lo, hi):
    return np.sum(np.clip(x, lo, hi) ** 2)


def norms_ord(A):
    return (np.linalg.norm(A, ord=1) + np.linalg.norm(A, ord=np.inf) + np.linalg.norm(A, "fro")
            + np.linalg.norm(A[0], ord=1) + np.linalg.norm(A[1], ord=np.inf) + np.linalg.norm(A[2], 3))


def norm_spectral(A):
    return np.linalg.norm(A, ord=2)


def norm_nuclear(A):
    return np.linalg.norm(A, ord="nuc")


def norm_axis_keepdims(A):
    return np.sum(A / np.linalg.norm(A, axis=0, keepdims=True))


def norm_axis_ord1(A):
    return np.sum(np.linalg.norm(A, ord=1, axis=1) ** 2)


def einsum_forms(A, B):
    return (np.einsum("ij,jk->", A, B) + np.einsum("ii", A @ A) + np.einsum("ij,ij->i", A, A).sum()
            + np.einsum("i,j->ij", A[0], B[:, 1]).sum() + np.einsum("...j,j->...", A, B[:, 0]).sum())


def einsum_batched(T, W):
    return np.sum(np.einsum("bij,jk->bik", T, W) ** 2)


def einsum_ellipsis_batch(T):
    return np.sum(np.einsum("...ij,...kj->...ik", T, T))


def einsum_repeated_operand(x):
    return np.einsum("i,i,i->", x, x, x)


def tensordot_forms(T, W):
    return np.sum(np.tensordot(T, W, axes=([2], [0])) ** 2) + np.tensordot(T, T, axes=3) + np.sum(np.tensordot(T[0], W, axes=1))


def outer_kron(a, b):
    return np.sum(np.outer(a, b) ** 2) + np.sum(np.kron(a, b) * np.arange(len(a) * len(b)))


def kron_matrices(A, B):
    return np.sum(np.kron(A, B) ** 2 * np.arange(36.0).reshape(6, 6))


def inner_vdot_cross(a, b):
    return np.inner(a, b) + np.vdot(a, b) ** 2 + np.sum(np.cross(a, b) ** 2)


def reshape_chain(x):
    y = x.reshape(2, 3).T.reshape(-1)
    z = np.moveaxis(x.reshape(1, 2, 3), 0, -1).squeeze()
    return np.sum(y * np.arange(6)) + np.sum(z ** 2 * np.arange(6).reshape(2, 3))


def reshape_fortran(x):
    return np.sum(x.reshape((2, 3), order="F") * np.arange(6).reshape(2, 3))


def ravel_fortran(A):
    return np.sum(A.ravel(order="F") * np.arange(A.size))


def swap_and_transpose(T):
    return np.sum(np.swapaxes(T, 0, 2).transpose(1, 0, 2) * np.arange(24).reshape(3, 4, 2))


def fancy_repeated(x):
    return np.sum(x[[0, 0, 2, 0]] ** 2 * np.arange(1.0, 5.0))


def fancy_2d(A):
    return np.sum(A[[0, 2, 2], [1, 1, 0]] ** 3) + np.sum(A[np.ix_([0, 2], [1, 2])] ** 2)


def take_forms(x, A):
    return np.sum(np.take(x, [2, 2, 0]) * np.take(A, [0, 1], axis=1).sum(axis=0)[0])


def boolean_mask(x):
    return np.sum(x[x > 0] ** 2) + np.sum(x[np.array([True, False, True, False])])


def boolean_mask_2d(A):
    return np.sum(A[A[:, 0] > 0] ** 2)


def cumsum_diff(x):
    c = np.cumsum(x)
    return np.sum(c ** 2) + np.sum(np.diff(x, n=2) ** 2) + np.sum(np.cumprod(x) * 0.5)


def cumsum_axis(A):
    return np.sum(np.cumsum(A, axis=1) ** 2) + np.sum(np.diff(A, axis=0))


def sort_top_k(x, k=2):
    return np.sum(np.sort(x)[-k:])


def argsort_rank(x, w):
    order = np.argsort(x)
    return np.sum(x[order] * w) + np.sum(w[order] * x)


def sort_descending(x):
    s = -np.sort(-x)
    return np.sum(s * np.arange(1.0, len(x) + 1))


def median_percentile(x):
    return np.median(x) + np.percentile(x, 30)


def polyval_interp(c, x):
    return np.sum(np.polyval(c, x)) + np.sum(np.interp([0.1, 0.7], [0.0, 0.5, 1.0], c))


def var_std_average(x, w):
    return np.var(x, ddof=1) + np.std(x) + np.average(x, weights=w)


def tri_trace_diag(A):
    return np.sum(np.triu(A, 1) ** 2) + np.trace(A) ** 2 + np.sum(np.diag(A) ** 3) + np.sum(np.tril(A) * A.T)


def diag_of_vector(v):
    return np.sum(np.diag(v) @ np.ones((3, 3)) * np.arange(9).reshape(3, 3))


def linalg_zoo(A):
    S = A @ A.T + np.eye(3)
    sign, logdet = np.linalg.slogdet(S)
    w, V = np.linalg.eigh(S)
    return logdet + np.linalg.det(A) + np.sum(np.linalg.inv(S)) + np.sum(w ** 2) + np.sum(np.linalg.solve(S, A[0]))


def svd_singular(A):
    s = np.linalg.svd(A, compute_uv=False)
    return np.sum(s ** 3)


def qr_r_diag(A):
    Q, R = np.linalg.qr(A)
    return np.sum(np.log(np.abs(np.diag(R))))


def pinv_lstsq(A, b):
    return np.sum(np.linalg.pinv(A) ** 2) + np.sum(np.linalg.lstsq(A, b, rcond=None)[0] ** 2)


def matrix_power_expm(A):
    return np.sum(np.linalg.matrix_power(A, 3))


def hypot_arctan2(x, y):
    return np.sum(np.hypot(x, y) + np.arctan2(y, x))


def log1p_expm1_sinc(x):
    return np.sum(np.log1p(x ** 2) + np.expm1(x) + np.sinc(x) + np.cbrt(x + 5) + np.reciprocal(x + 4))


def reductions_keepdims(T):
    return np.sum(T / T.max(axis=(0, 2), keepdims=True)) + np.sum(T.mean(axis=-1, keepdims=True) * T) + T.sum(axis=(0, 2)) @ np.arange(3)


def stack_family(a, b):
    return (np.sum(np.vstack([a, b]) ** 2 * 2) + np.sum(np.hstack([a, b[:2]]) ** 3)
            + np.sum(np.column_stack([a, b]) @ np.array([1.0, 2.0])) + np.sum(np.dstack([a, b]) ** 2)
            + np.sum(np.concatenate([a[:, None], b[:, None]], axis=1) ** 2))


def meshgrid_fn(a):
    X, Y = np.meshgrid(a, a[:2] * 2)
    return np.sum(X * Y ** 2)


def broadcast_to_tile_repeat(x):
    return np.sum(np.broadcast_to(x, (2, 3)) * M23_ID) + np.sum(np.tile(x, 2) ** 2 * np.arange(6)) + np.sum(np.repeat(x, 2) * np.arange(6))


def repeat_counts(x):
    return np.sum(np.repeat(x, [1, 0, 3]) ** 2 * np.arange(4))


def flip_reverse(x):
    return np.sum(np.flip(x) * np.arange(len(x))) + np.sum(x[::-1][1:] * x[:-1])


def nan_to_num_nansum(x):
    return np.sum(np.nan_to_num(x) ** 2) + np.nansum(x ** 3)


def sign_times(x):
    return np.sum(np.sign(x) * x ** 2)


def power_forms(x, p):
    return np.sum(np.abs(x) ** p) + np.sum(np.float_power(np.abs(x) + 1, 1.5)) + np.sum(np.power(2.0, x))


def power_array_exponent(x, p):
    return np.sum((np.abs(x) + 0.5) ** p)


def math_on_items(x):
    s = 0.0
    for v in x:
        s += math.exp(v) * math.sqrt(v * v + 1) + math.log(1 + v * v) + math.tanh(v)
    return s


def builtins_min_max_sorted(x):
    vals = [float(v) for v in x]
    return max(vals) * min(vals) + sorted(vals)[1] + sum(abs(v) for v in vals)


def item_conversion(x):
    return x[0].item() * x[1] + float(x[2]) ** 2


def ternary_chain(x):
    total = 0.0
    for v in x:
        total += v ** 2 if v > 0 else (-v if v > -1 else v ** 3)
    return total


def any_all_branch(x):
    if np.all(x > -5) and not np.any(x > 100):
        return np.sum(np.exp(x))
    return 0.0


def quadratic_forms(x, A):
    return x @ A @ x + A @ x @ x + x.dot(A).dot(x) + np.dot(x, np.dot(A, x))


def prod_forms(x):
    return np.prod(x) + np.prod(x.reshape(2, 2), axis=0).sum() + math.prod([x[0], x[1]])


def log_softmax_manual(z):
    m = np.max(z)
    return z[1] - m - np.log(np.sum(np.exp(z - m)))


def logaddexp_reduce(z):
    return np.logaddexp.reduce(z)


def ufunc_outer(x, y):
    return np.sum(np.subtract.outer(x, y) ** 2) + np.sum(np.multiply.outer(x, y))


def add_reduce_accumulate(x):
    return np.add.reduce(x ** 2) + np.sum(np.add.accumulate(x) ** 2)


def maximum_accumulate(x):
    return np.sum(np.maximum.accumulate(x))


def where_three_way(x):
    return np.sum(np.where(x > 1, x ** 2, np.where(x < -1, -x, np.sin(x))))


def select_piecewise(x):
    return np.sum(np.select([x < -1, x < 1], [x ** 2, np.sin(x)], default=np.exp(x)))


def piecewise_fn(x):
    return np.sum(np.piecewise(x, [x < 0, x >= 0], [lambda v: v ** 2, lambda v: np.sin(v)]))


def heaviside_smooth(x):
    return np.sum(np.heaviside(x, 0.5) * x ** 2)


def astype_roundtrip(x):
    y = x.astype(np.float32).astype(np.float64)
    return np.sum(y ** 2)


def mean_of_squares_axis_tuple(T):
    return np.mean(T ** 2, axis=(1, 2)) @ np.array([1.0, 3.0])


def isclose_guard(x):
    d = x[0] - x[1]
    if np.isclose(d, 0.0):
        return x[0] ** 2
    return (np.sin(x[0]) - np.sin(x[1])) / d


def count_nonzero_scale(x):
    return np.sum(x ** 2) / np.count_nonzero(x > 0)


def tuple_unpack_swap(a, b):
    for _ in range(3):
        a, b = b, a + b * 0.5
    return a * b


def list_comprehension_pairs(x):
    return sum((x[i] - x[j]) ** 2 for i in range(len(x)) for j in range(i + 1, len(x)))


def enumerate_zip(x, w):
    s = 0.0
    for i, (a, b) in enumerate(zip(x, w)):
        s += (i + 1) * a * b
    return s


def reversed_range(x):
    acc = 0.0
    for i in reversed(range(len(x))):
        acc = acc * 0.5 + x[i] ** 2
    return acc


def while_with_counter(x):
    i = 0
    s = 0.0
    while i < len(x):
        s += np.sin(x[i]) * i
        i += 1
    return s


def nested_function_closure(a, x):
    def poly(t):
        return a[0] + a[1] * t + a[2] * t ** 2
    return np.sum(poly(x) ** 2)


def lambda_map(x):
    sq = lambda v: v * v
    return np.sum(list(map(sq, x)))


def vectorize_apply(x):
    return np.sum(np.apply_along_axis(np.sum, 1, x.reshape(2, 3) ** 2))


IDIOMS = [
    (safe_sqrt, (X4_ID,), 0, True),
    (safe_log, (X4_ID,), 0, True),
    (clip_upper_only, (X4_ID,), 0, True),
    (clip_method, (X4_ID * 0.6,), 0, True),
    (clip_array_bounds, (X4_ID, np.array([-1.0, 0.0, 0.0, -1.0]), np.array([1.0, 1.0, 1.0, 0.0])), (0, 1, 2), False),
    (norms_ord, (M3_ID,), 0, False),
    (norm_spectral, (M3_ID,), 0, False),
    (norm_nuclear, (M3_ID,), 0, True),
    (norm_axis_keepdims, (M3_ID,), 0, False),
    (norm_axis_ord1, (M3_ID,), 0, False),
    (einsum_forms, (M3_ID, rng_id.normal(size=(3, 3))), (0, 1), False),
    (einsum_batched, (T234_ID, rng_id.normal(size=(4, 2))), (0, 1), True),
    (einsum_ellipsis_batch, (T234_ID,), 0, True),
    (einsum_repeated_operand, (X3_ID,), 0, True),
    (tensordot_forms, (T234_ID, rng_id.normal(size=(4, 2))), (0, 1), True),
    (outer_kron, (X3_ID, X4_ID), (0, 1), True),
    (kron_matrices, (M23_ID, rng_id.normal(size=(3, 2))), (0, 1), True),
    (inner_vdot_cross, (X3_ID, rng_id.normal(size=3)), (0, 1), False),
    (reshape_chain, (X6_ID,), 0, True),
    (swap_and_transpose, (T234_ID,), 0, False),
    (fancy_repeated, (X3_ID,), 0, True),
    (fancy_2d, (M3_ID,), 0, True),
    (take_forms, (X3_ID, M3_ID), (0, 1), False),
    (boolean_mask, (X4_ID,), 0, True),
    (boolean_mask_2d, (M3_ID,), 0, True),
    (cumsum_diff, (X4_ID,), 0, False),
    (cumsum_axis, (M3_ID,), 0, True),
    (sort_top_k, (X4_ID,), 0, True),
    (argsort_rank, (X4_ID, rng_id.normal(size=4)), (0, 1), True),
    (sort_descending, (X4_ID,), 0, True),
    (median_percentile, (X6_ID,), 0, False),
    (polyval_interp, (np.array([0.5, -1.0, 2.0]), X3_ID), (0, 1), False),
    (var_std_average, (X4_ID, np.array([1.0, 2.0, 0.5, 1.5])), (0, 1), False),
    (tri_trace_diag, (M3_ID,), 0, True),
    (diag_of_vector, (X3_ID,), 0, True),
    (linalg_zoo, (M3_ID,), 0, True),
    (svd_singular, (M23_ID,), 0, True),
    (qr_r_diag, (M3_ID,), 0, False),
    (pinv_lstsq, (rng_id.normal(size=(4, 3)), X4_ID), (0, 1), False),
    (matrix_power_expm, (M3_ID * 0.5,), 0, False),
    (hypot_arctan2, (X3_ID, rng_id.normal(size=3)), (0, 1), True),
    (log1p_expm1_sinc, (X3_ID,), 0, False),
    (reductions_keepdims, (T234_ID,), 0, True),
    (stack_family, (X3_ID, rng_id.normal(size=3)), (0, 1), True),
    (meshgrid_fn, (X3_ID,), 0, False),
    (broadcast_to_tile_repeat, (X3_ID,), 0, False),
    (repeat_counts, (X3_ID,), 0, False),
    (flip_reverse, (X4_ID,), 0, False),
    (nan_to_num_nansum, (X4_ID,), 0, False),
    (sign_times, (X4_ID,), 0, True),
    (power_forms, (X4_ID, 2.5), (0, 1), False),
    (power_array_exponent, (X3_ID, np.array([1.5, 2.0, 0.5])), (0, 1), True),
    (math_on_items, (X3_ID,), 0, False),
    (builtins_min_max_sorted, (X4_ID,), 0, False),
    (item_conversion, (X3_ID,), 0, False),
    (ternary_chain, (X4_ID * 1.1,), 0, True),
    (any_all_branch, (X4_ID,), 0, True),
    (quadratic_forms, (X3_ID, M3_ID), (0, 1), False),
    (log_softmax_manual, (X4_ID,), 0, True),
    (logaddexp_reduce, (X4_ID,), 0, False),
    (ufunc_outer, (X3_ID, X4_ID), (0, 1), False),
    (add_reduce_accumulate, (X4_ID,), 0, False),
    (maximum_accumulate, (X4_ID,), 0, False),
    (where_three_way, (np.array([-1.5, -0.5, 0.3, 1.4]),), 0, True),
    (select_piecewise, (np.array([-1.5, -0.5, 0.3, 1.4]),), 0, False),
    (heaviside_smooth, (X4_ID,), 0, False),
    (mean_of_squares_axis_tuple, (T234_ID,), 0, True),
    (isclose_guard, (np.array([0.3, 0.9]),), 0, True),
    (count_nonzero_scale, (X4_ID,), 0, True),
    (tuple_unpack_swap, (0.3, 0.8), (0, 1), True),
    (list_comprehension_pairs, (X4_ID,), 0, True),
    (enumerate_zip, (X3_ID, rng_id.normal(size=3)), (0, 1), True),
    (reversed_range, (X4_ID,), 0, True),
    (while_with_counter, (X4_ID,), 0, True),
    (nested_function_closure, (X3_ID, X4_ID), (0, 1), True),
    (lambda_map, (X4_ID,), 0, True),
]


# -- more idioms ---------------------------------------------------------------

rng_more = np.random.default_rng(939)
X3_MORE = rng_more.normal(size=3)
X4_MORE = np.array([-1.3, 0.4, 2.1, -0.6])
X6_MORE = rng_more.normal(size=6)
M3_MORE = rng_more.normal(size=(3, 3))
M23_MORE = rng_more.normal(size=(2, 3))


def newton_system(p):
    x = np.array([1.0, 1.0])
    r = np.ones(2)
    it = 0
    while np.max(np.abs(r)) > 1e-12 and it < 50:
        r = np.array([x[0] ** 2 + x[1] ** 2 - p[0], x[0] - p[1] * x[1]])
        J = np.array([[2 * x[0], 2 * x[1]], [1.0, -p[1]]])
        x = x - np.linalg.solve(J, r)
        it += 1
    return x[0] + 2 * x[1]


def rotation_matrix(theta, v):
    R = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    return np.sum((R @ v) * np.array([1.0, 3.0]))


def matrix_from_scalars(a, b, c):
    A = np.array([[a, b], [b, c]]) + np.eye(2) * 3
    return np.linalg.slogdet(A)[1] + np.trace(np.linalg.inv(A))


def block_matrix(A, B):
    K = np.block([[A, B], [B.T, np.eye(2)]])
    return np.sum(K ** 2 * np.arange(25).reshape(5, 5))


def full_fill(x, n=4):
    return np.sum(np.full(n, x) * np.arange(n)) + np.sum(np.ones(3) * x ** 2) + np.sum(np.full_like(X3_MORE, x) ** 3)


def diag_offset(v):
    return np.sum(np.diag(v, k=1) @ np.arange(16.0).reshape(4, 4))


def vander_fit(x):
    V = np.vander(x, 3)
    return np.sum(V * np.arange(len(x) * 3).reshape(len(x), 3))


def cov_corr(X):
    C = np.cov(X)
    R = np.corrcoef(X)
    return np.sum(C ** 2) + np.sum(R * np.arange(R.size).reshape(R.shape))


def cov_rowvar(X):
    return np.sum(np.cov(X, rowvar=False) * np.arange(9).reshape(3, 3))


def ptp_logspace(x, a):
    return np.ptp(x) + np.sum(np.logspace(0, a, 4)) + np.sum(np.geomspace(1.0, 1 + a ** 2, 3))


def bincount_weights(w):
    return np.sum(np.bincount(np.array([0, 2, 2, 1, 0]), weights=w) ** 2)


def argmax_select(x):
    return x[np.argmax(x)] ** 2 + x[np.argmin(x)] * 3


def searchsorted_interp(y, t=0.37):
    xs = np.linspace(0, 1, len(y))
    i = np.searchsorted(xs, t) - 1
    w = (t - xs[i]) / (xs[i + 1] - xs[i])
    return (1 - w) * y[i] + w * y[i + 1]


def nonzero_indices(x):
    idx = np.nonzero(x > 0)[0]
    return np.sum(x[idx] ** 3) + np.sum(x[np.where(x < 0)] ** 2)


def unique_counts(x):
    labels = np.array([2, 0, 2, 1])
    u, inv = np.unique(labels, return_inverse=True)
    return np.sum(x * inv) + np.sum(x[u] ** 2)


def ellipsis_none_index(T):
    return np.sum(T[..., 0] ** 2) + np.sum(T[:, None, 1, :] * T[None, 0]) + np.sum(T[-1, ..., ::2])


def strided_slices(x):
    return np.sum(x[::2] * x[1::2]) + np.sum(x[-1:0:-2] ** 2) + x[::-3] @ x[:2]


def star_unpack(x):
    a, *rest = x
    *init, last = x
    return a * sum(rest) + last * np.sum(np.array(init) ** 2)


def helper_star_args(params, x):
    return poly(x, *params)


def poly(x, a, b, c):
    return np.sum(a + b * x + c * x ** 2)


def helper_star_kwargs(x, s):
    cfg = {"scale": s, "power": 3}
    return scaled_power(x, **cfg)


def scaled_power(x, scale=1.0, power=2):
    return scale * np.sum(x ** power)


def keyword_only_helper(x):
    return penalized(x, lam=0.3) + penalized(x, lam=0.1, p=1)


def penalized(x, *, lam, p=2):
    return lam * np.sum(np.abs(x) ** p)


def recursion_depth(x, depth=3):
    if depth == 0:
        return x
    return np.sin(recursion_depth(x, depth - 1)) * x


def recursion_sum(x):
    return np.sum(recursion_depth(x, 3))


def try_except_body(x):
    try:
        y = np.log(x ** 2 + 1)
    except FloatingPointError:
        y = x
    return np.sum(y)


def errstate_guard(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(x != 0, np.sin(x) / np.where(x != 0, x, 1.0), 1.0)
    return np.sum(r)


def assert_and_fstring(x):
    assert x.ndim == 1, f"bad {x.shape}"
    s = np.sum(x ** 2)
    msg = f"loss={s:.3f}"
    return s


def early_return_loop(x):
    acc = 0.0
    for i in range(len(x)):
        acc = acc + x[i] ** 2
        if acc > 2.0:
            return acc * x[0]
    return acc


def nested_break_continue(A):
    total = 0.0
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            if j == i:
                continue
            if A[i, j] > 1.5:
                break
            total += A[i, j] * A[j, i]
    return total


def ndindex_loop(A):
    s = 0.0
    for i, j in np.ndindex(A.shape):
        s += A[i, j] ** 2 * (i + 1) * (j + 2)
    return s


def product_loop(A):
    s = 0.0
    for i, j in itertools.product(range(2), range(3)):
        s += np.sin(A[i, j]) * A[1 - i, 2 - j]
    return s


def dict_items_loop(params):
    s = 0.0
    for name, w in params.items():
        s += np.sum(w ** 2) * (2.0 if name == "a" else 1.0)
    return s


def chained_comparison(x):
    s = 0.0
    for v in x:
        if -1.0 < v < 1.0:
            s += v ** 3
        else:
            s += v
    return s


def zero_d_array_arg(x, a):
    return np.sum(x * a) + a ** 2


def returns_0d_array(x):
    return np.array(np.sum(x ** 2))


def returns_float64(x):
    return np.float64(np.sum(x) ** 2)


def int_argument(x):
    return np.sum(np.tanh(x) * x)


def shape_arithmetic(x):
    n = x.shape[0]
    return np.sum(x) / n + np.sum(x ** 2) / (len(x) - 1) + x.size * x[0]


def special_zoo(x):
    y = np.abs(x) + 0.5
    return np.sum(scipy.special.gamma(y) + scipy.special.digamma(y) + scipy.special.betaln(y, 2.0)
                  + scipy.special.erfc(x) + scipy.special.logit(1 / (1 + y)) + scipy.special.xlog1py(y, y)
                  + scipy.special.i0(x))


def special_more(x):
    y = np.abs(x) + 0.5
    return np.sum(scipy.special.polygamma(1, y) + scipy.special.expit(x) ** 2
                  + scipy.special.logsumexp(x) + scipy.special.softmax(x)[0] + scipy.special.log1p(y) + scipy.special.i1(x)
                  + scipy.special.multigammaln(y[0] + 2, 2) + scipy.special.psi(y))


def stats_zoo(theta):
    mu, s = theta[0], np.exp(theta[1])
    k = np.array([0, 2, 5])
    return -(np.sum(scipy.stats.poisson.logpmf(k, np.exp(mu)))
             + scipy.stats.norm.logcdf(mu) + scipy.stats.norm.sf(mu, scale=s) + scipy.stats.expon.logpdf(s, scale=2.0)
             + scipy.stats.lognorm.logpdf(1.3, s) + scipy.stats.laplace.logpdf(mu, 0.2, s) + scipy.stats.cauchy.logpdf(mu, 0, s))


def stats_frozen(theta, x):
    d = scipy.stats.norm(theta[0], np.exp(theta[1]))
    return -np.sum(d.logpdf(x)) + d.cdf(0.3)


def expm_sqrtm(A):
    return np.sum(scipy.linalg.expm(0.3 * A)) + np.trace(scipy.linalg.sqrtm(A @ A.T + np.eye(3)))


def eigvalsh_eig(A):
    S = A + A.T
    return np.sum(np.linalg.eigvalsh(S) ** 3) + np.max(np.linalg.eigvalsh(S))


def norm_axis_tuple(T):
    return np.linalg.norm(T, axis=(1, 2)) @ np.array([1.0, 2.0])


def max_initial(x):
    return np.max(x, initial=0.0) + np.min(x, initial=10.0) + np.sum(np.maximum.reduce([x, -x, x * 0.5]))


def average_2d_weights(A, w):
    return np.sum(np.average(A, axis=0, weights=w) ** 2) + np.average(A, weights=np.abs(A))


def solve_in_loop(A, b):
    x = b
    for _ in range(3):
        x = np.linalg.solve(A @ A.T + np.eye(3), x + b)
    return np.sum(x ** 2)


def solve_matrix_rhs(A, B):
    return np.sum(np.linalg.solve(A @ A.T + np.eye(3), B) ** 2)


def lu_solve(A, b):
    lu, piv = scipy.linalg.lu_factor(A + 3 * np.eye(3))
    return np.sum(scipy.linalg.lu_solve((lu, piv), b) ** 2)


def fft_power(x):
    return np.sum(np.abs(np.fft.rfft(x)) ** 2)


def matrix_exp_series(A):
    S = np.eye(3)
    term = np.eye(3)
    for k in range(1, 8):
        term = term @ A / k
        S = S + term
    return np.sum(S)


def hmm_viterbi_then_score(logA, obs=(0, 1, 1, 0)):
    T, K = len(obs), logA.shape[0]
    delta = np.zeros(K)
    for t in range(1, T):
        delta = np.max(delta[:, None] + logA, axis=0) + logA[obs[t]]
    return np.max(delta)


def ols_normal_equations(X, y):
    beta = np.linalg.solve(X.T @ X, X.T @ y)
    r = y - X @ beta
    return r @ r


def gaussian_kernel_ridge(log_gamma, X, y):
    g = np.exp(log_gamma)
    sq = np.sum(X ** 2, 1)[:, None] + np.sum(X ** 2, 1)[None, :] - 2 * X @ X.T
    K = np.exp(-g * sq)
    alpha = np.linalg.solve(K + 0.1 * np.eye(len(y)), y)
    return alpha @ y


def pca_reconstruction(X):
    Xc = X - X.mean(axis=0)
    C = Xc.T @ Xc / len(X)
    w, V = np.linalg.eigh(C)
    top = V[:, -1]
    return np.sum((Xc - np.outer(Xc @ top, top)) ** 2)


MORE_IDIOMS = [
    (newton_system, (np.array([2.0, 0.7]),), 0, False),
    (rotation_matrix, (0.4, X3_MORE[:2]), (0, 1), True),
    (matrix_from_scalars, (0.5, 0.2, 0.9), (0, 1, 2), True),
    (full_fill, (0.7,), 0, False),
    (diag_offset, (X3_MORE,), 0, True),
    (vander_fit, (X4_MORE,), 0, False),
    (cov_corr, (rng_more.normal(size=(3, 5)),), 0, False),
    (cov_rowvar, (rng_more.normal(size=(5, 3)),), 0, False),
    (bincount_weights, (rng_more.normal(size=5),), 0, False),
    (argmax_select, (X4_MORE,), 0, True),
    (searchsorted_interp, (X6_MORE,), 0, True),
    (nonzero_indices, (X4_MORE,), 0, True),
    (unique_counts, (X4_MORE,), 0, True),
    (ellipsis_none_index, (rng_more.normal(size=(2, 3, 4)),), 0, True),
    (strided_slices, (X6_MORE,), 0, True),
    (star_unpack, (X4_MORE,), 0, False),
    (keyword_only_helper, (X4_MORE,), 0, True),
    (errstate_guard, (np.array([0.0, 0.5, -1.2]),), 0, False),
    (assert_and_fstring, (X3_MORE,), 0, False),
    (early_return_loop, (X4_MORE,), 0, True),
    (nested_break_continue, (M3_MORE,), 0, True),
    (ndindex_loop, (M23_MORE,), 0, True),
    (product_loop, (M23_MORE,), 0, True),
    (dict_items_loop, ({"a": X3_MORE, "b": M23_MORE},), 0, False),
    (chained_comparison, (X4_MORE * 0.9,), 0, True),
    (zero_d_array_arg, (X3_MORE, np.array(0.7)), (0, 1), True),
    (returns_0d_array, (X3_MORE,), 0, True),
    (returns_float64, (X3_MORE,), 0, False),
    (int_argument, (np.array([1, -2, 3]),), 0, False),
    (shape_arithmetic, (X4_MORE,), 0, True),
    (stats_frozen, (np.array([0.3, -0.2]), X4_MORE), 0, False),
    (expm_sqrtm, (M3_MORE * 0.5,), 0, False),
    (eigvalsh_eig, (M3_MORE,), 0, False),
    (norm_axis_tuple, (rng_more.normal(size=(2, 3, 4)),), 0, False),
    (max_initial, (X4_MORE,), 0, False),
    (average_2d_weights, (M23_MORE + 3, np.array([0.3, 0.7])), (0, 1), False),
    (solve_in_loop, (M3_MORE, X3_MORE), (0, 1), True),
    (solve_matrix_rhs, (M3_MORE, M23_MORE.T), (0, 1), True),
    (matrix_exp_series, (M3_MORE * 0.5,), 0, True),
    (hmm_viterbi_then_score, (np.log(rng_more.dirichlet(np.ones(2), size=2)),), 0, True),
    (ols_normal_equations, (rng_more.normal(size=(6, 2)), rng_more.normal(size=6)), (0, 1), True),
    (gaussian_kernel_ridge, (-0.5, rng_more.normal(size=(4, 2)), rng_more.normal(size=4)), (0, 1), True),
    (pca_reconstruction, (rng_more.normal(size=(6, 3)),), 0, True),
]


def special_functions(x):
    y = np.abs(x) + 0.5
    return np.sum(scipy.special.digamma(y) + scipy.special.betaln(y, 2.0) + scipy.special.erfc(x)
                  + scipy.special.logit(1 / (1 + y)) + scipy.special.xlog1py(y, y)
                  + scipy.special.polygamma(1, y) + scipy.special.psi(y))


def distributions(theta):
    mu, s = theta[0], np.exp(theta[1])
    k = np.array([0, 2, 5])
    return -(np.sum(scipy.stats.poisson.logpmf(k, np.exp(mu))) + scipy.stats.norm.logcdf(mu)
             + scipy.stats.t.logcdf(mu, 3.0, scale=s) + scipy.stats.gamma.cdf(s, 2.0)
             + scipy.stats.beta.pdf(0.3, 2.0 + s, 3.0) + np.sum(scipy.stats.poisson.cdf(k, s)))


MORE_IDIOMS += [(special_functions, (X4_MORE * 0.5,), 0, False),
                (distributions, (np.array([0.3, -0.2]),), 0, False)]


# -- axes of length one --------------------------------------------------------

rng_ones = np.random.default_rng(949)
X2 = np.array([0.7, -1.2])
X3_ONES = rng_ones.normal(size=3)
X4_ONES = rng_ones.normal(size=4)
M23_ONES = rng_ones.normal(size=(2, 3))
M32 = rng_ones.normal(size=(3, 2))
W_ONES = np.array([1.0, 2.0, 3.0])


def tail_of_two(x):
    return np.sum(x[1:] * W_ONES)


def diff_of_two(x):
    return np.sum(np.diff(x) * W_ONES ** 2)


def stride_of_three(x):
    return np.sum(x[::3] * W_ONES) + np.sum((x[::3] + x) ** 2)


def last_slice(x):
    return np.sum(x[-1:] * x)


def dynamic_window(x):
    s = 0.0
    for i in range(len(x)):
        s += np.sum(x[i:i + 1] * x ** 2)
    return s


def fancy_single_row(A):
    return np.sum(A[[0]] * A)


def fancy_array_single(A):
    idx = np.array([1])
    return np.sum(A[idx] * A ** 2)


def mask_one_row(A):
    rows = A[np.array([False, True])]
    return np.sum(rows * A)


def nonzero_one(x):
    idx = np.nonzero(x > 1e9 * 0 + np.max(x) - 1e-12)[0]
    return np.sum(x[idx] * x)


def split_of_three(x):
    a, b, c = np.split(x, 3)
    return np.sum(a * x) + np.sum(b * c * x ** 2)


def array_split_pieces(x):
    parts = np.array_split(x, 3)
    return sum(np.sum(p * W_ONES) for p in parts)


def take_single(x):
    return np.sum(np.take(x, [2]) * x)


def atleast_2d_broadcast(x):
    return np.sum(np.atleast_2d(x) * M23_ONES)


def reshape_dynamic_rows(x):
    n = len(x) // 3
    return np.sum(x.reshape(n, -1) * M23_ONES)


def matvec_column(A, v):
    c = A @ v[:, None]
    return np.sum(c * A)


def outer_of_slice(x, y):
    return np.sum(np.outer(x[:1], y) * M23_ONES[0])


def stack_single(x):
    s = np.stack([x])
    return np.sum(s * M23_ONES)


def concatenate_single(x):
    return np.sum(np.concatenate([x[:1]]) * x)


def keepdims_mean_1d(x):
    return np.sum(np.mean(x, keepdims=True) * x ** 2)


def matmul_to_one(A, B):
    C = A[:1] @ B
    return np.sum(C * (B.T @ A.T))


def index_row_of_column(A):
    col = A[:, 1:2]
    return np.sum(col * A)


def argmax_row(A):
    i = np.argmax(A[:, 0])
    r = A[i:i + 1]
    return np.sum(r * A)


def sum_axis_one_of_column(A):
    s = A[:, :1].sum(axis=0)
    return np.sum(s * A)


def einsum_to_one(A, x):
    y = np.einsum("ij,j->i", A[:1], x)
    return np.sum(y * A.T)


def dot_slices(A):
    return np.sum(np.dot(A[:1, :], A.T) * A[:, 0])


def where_one(x):
    return np.sum(np.where(x[:1] > 0, x[:1], 0.5 * x[:1]) * x)


def maximum_one(x):
    return np.sum(np.maximum(x[-1:], x) ** 2)


def clip_one(x):
    return np.sum(np.clip(x, x[:1] - 0.1, x[-1:] + 0.1) * np.arange(len(x)))


def tile_rows_from_one(A):
    return np.sum(np.broadcast_to(A[:1], A.shape) * A)


def mean_rows_keepdims(A):
    return np.sum((A - A.mean(axis=0, keepdims=True)) ** 2 * A)


def reduction_to_one_col(A):
    s = A.sum(axis=1)[:, None]
    return np.sum(A / s)


def loop_length_one_pieces(x):
    total = 0.0
    for k in range(1, len(x)):
        total = total + np.sum(x[k - 1:k] * x[k:])
    return total


def linspace_one(a):
    return np.sum(np.linspace(a, 2 * a, 1) * W_ONES)


def reshape_minus_one(A):
    return np.sum(A.reshape(-1, 6) * A.reshape(6)) + np.sum(A.reshape(6, -1) * A.reshape(1, 6))


def ones_1_constant(x):
    return np.sum(np.ones(1) * x ** 2) + np.sum(np.ones((1, 3)) * x * x[:, None])


def division_by_one(x):
    return np.sum(x / x[:1]) + np.sum(x[1:2] / x)


def power_by_one(x):
    return np.sum(np.abs(x) ** x[:1]) + np.sum(x[:1] ** 2 * x)


def subtract_one(x):
    return np.sum((x - x[-1:]) ** 2) + np.sum((x[-1:] - x) * x)


def minimum_of_shapes(A):
    return np.sum(np.minimum(A[:1, :], A[:, :1]) * A)


def column_times_row(A):
    return np.sum(A[:, :1] * A[:1, :])


def ufunc_arctan2(x):
    return np.sum(np.arctan2(x[:1], x) + np.hypot(x, x[-1:]))


def logaddexp_one(x):
    return np.sum(np.logaddexp(x[:1], x))


def in_place_add_one(x):
    y = x * 1.0
    y += x[:1] ** 2
    return np.sum(y * x)


def assigned_row_from_one(A):
    B = A * 1.0
    B[1] = A[0:1].ravel() * 0 + A[:1, 0]
    return np.sum(B * A)


AXES_OF_LENGTH_ONE = [
    (tail_of_two, (X2,), 0, True),
    (diff_of_two, (X2,), 0, True),
    (stride_of_three, (X3_ONES,), 0, True),
    (last_slice, (X3_ONES,), 0, True),
    (dynamic_window, (X3_ONES,), 0, True),
    (fancy_single_row, (M23_ONES,), 0, True),
    (fancy_array_single, (M23_ONES,), 0, True),
    (mask_one_row, (M23_ONES,), 0, True),
    (nonzero_one, (X3_ONES,), 0, True),
    (split_of_three, (X3_ONES,), 0, True),
    (array_split_pieces, (X3_ONES,), 0, True),
    (take_single, (X3_ONES,), 0, False),
    (atleast_2d_broadcast, (X3_ONES,), 0, True),
    (reshape_dynamic_rows, (rng_ones.normal(size=6),), 0, True),
    (matvec_column, (M23_ONES, X3_ONES), (0, 1), True),
    (outer_of_slice, (X2, X3_ONES), (0, 1), True),
    (stack_single, (X3_ONES,), 0, True),
    (concatenate_single, (X3_ONES,), 0, True),
    (keepdims_mean_1d, (X3_ONES,), 0, True),
    (matmul_to_one, (M23_ONES, M32), (0, 1), True),
    (index_row_of_column, (M23_ONES,), 0, True),
    (argmax_row, (M32,), 0, True),
    (sum_axis_one_of_column, (M23_ONES,), 0, True),
    (einsum_to_one, (M23_ONES, X3_ONES), (0, 1), True),
    (dot_slices, (M32,), 0, True),
    (where_one, (X3_ONES,), 0, True),
    (maximum_one, (X3_ONES,), 0, True),
    (clip_one, (np.array([0.2, 0.05, 0.5, 0.3]),), 0, False),
    (tile_rows_from_one, (M23_ONES,), 0, True),
    (mean_rows_keepdims, (M23_ONES,), 0, True),
    (reduction_to_one_col, (M23_ONES + 3,), 0, True),
    (loop_length_one_pieces, (X4_ONES,), 0, True),
    (linspace_one, (0.4,), 0, False),
    (reshape_minus_one, (M23_ONES,), 0, True),
    (ones_1_constant, (X3_ONES,), 0, True),
    (division_by_one, (X3_ONES + 3,), 0, True),
    (power_by_one, (X3_ONES,), 0, True),
    (subtract_one, (X3_ONES,), 0, True),
    (minimum_of_shapes, (M23_ONES,), 0, True),
    (column_times_row, (M23_ONES,), 0, True),
    (ufunc_arctan2, (X3_ONES,), 0, True),
    (logaddexp_one, (X3_ONES,), 0, True),
    (in_place_add_one, (X3_ONES,), 0, False),
    (assigned_row_from_one, (M23_ONES,), 0, False),
]


# -- python --------------------------------------------------------------------

rng_py = np.random.default_rng(959)
X3_PY = rng_py.normal(size=3)
X4_PY = np.array([-1.3, 0.4, 2.1, -0.6])
M3_PY = rng_py.normal(size=(3, 3))


def hidden_starts_as_float(W, xs):
    h = 0.0
    for x in xs:
        h = np.tanh(W @ x + h)
    return np.sum(h ** 2)


def sum_starts_as_int(ws):
    s = 0
    for w in ws:
        s = s + w ** 2
    return np.sum(s)


def late_binding_lambdas(x):
    fs = [lambda t: t * k for k in range(1, 4)]
    return sum(np.sum(f(x)) ** 2 for f in fs)


def early_binding_default(x):
    fs = [lambda t, k=k: t * k for k in range(1, 4)]
    return sum(np.sum(f(x)) ** 2 for f in fs)


def closure_sees_rebinding(x, a):
    def g(t):
        return a * t
    a = a * 2.0
    return np.sum(g(x) ** 2)


def closure_rebinding_in_loop(x):
    c = 1.0
    def g(t):
        return c * t
    total = 0.0
    for i in range(3):
        c = c + x[i]
        total = total + g(x[i])
    return total


def nonlocal_counter(x):
    acc = 0.0
    def add(v):
        nonlocal acc
        acc = acc + v ** 2
    for v in x:
        add(v)
    return acc


def or_default(x, w):
    scale = w or 1.0
    return np.sum(x * scale)


def and_value(x, w):
    factor = (w > 0) and w
    return np.sum(x ** 2) * factor


def or_of_two_floats(a, b):
    return (a or b) * b


def builtin_max_min(a, b):
    return max(a, b, 0.1) * min(a * b, 2.0) + max([a, b * 2]) + abs(a - b)


def min_with_key(xs):
    pts = [xs[0:2], xs[2:4]]
    best = min(pts, key=lambda p: np.sum(p ** 2))
    return np.sum(best * np.array([1.0, 3.0]))


def sum_with_start(ws):
    return np.sum(sum((w ** 2 for w in ws), np.zeros(3)))


def mod_floor_round(x):
    return np.sum(x % 1.0 + np.floor(x) * x + np.mod(x, 0.7) + np.remainder(x, 2.0) + np.round(x, 1) * x)


def divmod_fmod(a):
    q, r = divmod(a, 0.7)
    return q * a + r ** 2 + math.fmod(a, 0.3) + (a // 0.2) * a


def powers_assorted(x):
    y = np.abs(x) + 0.5
    return np.sum(y ** -2 + y ** 0.5 + y ** 2.0 + 2 ** y + y ** y + np.sqrt(y) ** 3 + pow(y, 3))


def reduce_mul(x):
    return functools.reduce(operator.mul, [x[0], x[1], x[2]]) + functools.reduce(lambda a, b: a * 0.5 + b, x)


def walrus(x):
    if (s := np.sum(x ** 2)) > 1.0:
        return s * x[0]
    return s


def match_statement(x, kind="quad"):
    match kind:
        case "quad":
            return np.sum(x ** 2)
        case _:
            return np.sum(x)


class Momentum:
    def __init__(self, lr, beta=0.9):
        self.lr = lr
        self.beta = beta
        self.v = None

    def step(self, w, g):
        if self.v is None:
            self.v = np.zeros_like(w)
        self.v = self.beta * self.v + g
        return w - self.lr * self.v


def optimizer_object_state(w0, lr):
    opt = Momentum(lr)
    w = w0
    for _ in range(3):
        g = 2 * w + np.sin(w)
        w = opt.step(w, g)
    return np.sum(w ** 2)


class Accumulator:
    def __init__(self):
        self.total = 0.0
        self.items = []

    def add(self, v):
        self.total += v
        self.items.append(v)


def accumulator_object(x):
    acc = Accumulator()
    for v in x:
        acc.add(v ** 2)
    return acc.total + acc.items[0] * 3


def generator_helper(x):
    def terms(t):
        for i in range(1, 4):
            yield t ** i / i
    return sum(np.sum(v) for v in terms(x))


def zip_star_transpose(x):
    pairs = [(x[0], x[1]), (x[2], x[3])]
    a, b = zip(*pairs)
    return sum(a) * sum(b)


def dict_comprehension(x):
    d = {f"p{i}": x[i] ** 2 for i in range(3)}
    return sum(d.values()) * d["p1"]


def isinstance_branch(x):
    if isinstance(x, np.ndarray):
        return np.sum(x ** 3)
    return x ** 3


def ndim_branch(x):
    if np.ndim(x) == 0:
        return x ** 2
    return np.sum(x ** 2, axis=-1).sum()


def asarray_dtype(x):
    y = np.asarray(x, dtype=float)
    z = np.array(x, dtype=np.float64)
    w = x.astype(float)
    return np.sum(y * z * w) + np.sum(np.copy(x) ** 2)


def int_of_value(x):
    k = int(abs(x[0]) * 2)
    return x[k] * x[0] + round(float(x[1]), 2) * x[1]


def list_mutated_in_loop(x):
    xs = [x[0], x[1], x[2]]
    for i in range(3):
        xs[i] = xs[i] * xs[(i + 1) % 3]
    return sum(xs)


def list_append_in_helper(x):
    out = []
    collect(out, x)
    collect(out, x ** 2)
    return np.sum(out[0] * out[1])


def collect(lst, v):
    lst.append(np.sin(v))


def tuple_same_twice(x):
    a, b = twice(x)
    return np.sum(a * b)


def twice(v):
    y = v * 2
    return y, y


def iterate_rows(A):
    s = 0.0
    for i, row in enumerate(A):
        s += np.sum(row ** 2) * (i + 1)
    for row, t in zip(A, [1.0, 2.0, 3.0]):
        s += row[0] * t
    return s


def list_of_scalars_to_array(x):
    vals = []
    for v in x:
        vals.append(np.exp(v) if v > 0 else v)
    arr = np.array(vals)
    return np.sum(arr ** 2)


def nested_list_comp_matrix(x):
    K = np.array([[np.exp(-(a - b) ** 2) for b in x] for a in x])
    return np.sum(K @ x)


def variable_only_in_branch(x):
    if x[0] > 0:
        y = x ** 2
    else:
        y = -x
    if x[1] > 0:
        z = y * 2
    else:
        z = y
    return np.sum(z)


def del_statement(x):
    y = x * 2
    z = y ** 2
    del y
    y = z + 1
    return np.sum(y)


def mutable_default(x, cache={}):
    cache["last"] = x
    return np.sum(x ** 2)


def sum_of_list_of_arrays(ws):
    return np.sum(sum(ws) ** 2)


def abs_builtin_array(x):
    return np.sum(abs(x) ** 1.5)


def complex_condition_loop(x):
    y = x * 1.0
    k = 0
    while k < 10 and np.max(np.abs(y)) > 0.1:
        y = y * 0.7
        k += 1
    return np.sum(y * x)


def swap_via_tuple_loop(a, b):
    for _ in range(4):
        a, b = b * 0.9, a + 0.1 * b
    return a ** 2 + b


def float32_cast(x):
    return np.sum(np.float32(2.0) * x ** 2)


def global_counter_fn(x):
    global COUNTER
    COUNTER = COUNTER + 1
    return np.sum(x ** 2)


COUNTER = 0

WS = [rng_py.normal(size=3), rng_py.normal(size=3)]
PYTHON = [
    (hidden_starts_as_float, (M3_PY * 0.5, [X3_PY, X3_PY * 2, X3_PY - 1]), 0, True),
    (sum_starts_as_int, (WS,), 0, False),
    (closure_sees_rebinding, (X3_PY, 0.7), (0, 1), True),
    (closure_rebinding_in_loop, (X3_PY,), 0, True),
    (builtin_max_min, (0.4, 0.9), (0, 1), True),
    (min_with_key, (X4_PY,), 0, True),
    (sum_with_start, (WS,), 0, False),
    (mod_floor_round, (X4_PY + 0.013,), 0, False),
    (divmod_fmod, (1.33,), 0, False),
    (powers_assorted, (X3_PY,), 0, True),
    (reduce_mul, (X3_PY,), 0, True),
    (dict_comprehension, (X3_PY,), 0, True),
    (isinstance_branch, (X3_PY,), 0, False),
    (ndim_branch, (X3_PY,), 0, True),
    (asarray_dtype, (X3_PY,), 0, False),
    (int_of_value, (X3_PY,), 0, False),
    (list_mutated_in_loop, (X3_PY,), 0, True),
    (tuple_same_twice, (X3_PY,), 0, True),
    (iterate_rows, (M3_PY,), 0, True),
    (list_of_scalars_to_array, (X4_PY,), 0, True),
    (nested_list_comp_matrix, (X3_PY,), 0, True),
    (variable_only_in_branch, (X3_PY,), 0, True),
    (del_statement, (X3_PY,), 0, True),
    (sum_of_list_of_arrays, (WS,), 0, False),
    (abs_builtin_array, (X4_PY,), 0, True),
    (complex_condition_loop, (X3_PY * 3,), 0, True),
    (swap_via_tuple_loop, (0.3, 0.8), (0, 1), True),
    (float32_cast, (X3_PY,), 0, True),
]


# -- loops ---------------------------------------------------------------------

rng_loops = np.random.default_rng(969)
X5 = rng_loops.normal(size=5)
Y5 = rng_loops.normal(size=5)
M3_LOOPS = rng_loops.normal(size=(3, 3))
A4 = rng_loops.normal(size=(4, 4))


def recurrence_in_array(x, a):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, len(x)):
        y[i] = a * y[i - 1] + x[i]
    return np.sum(y ** 2)


def running_product_written(x):
    out = np.ones(len(x))
    c = 1.0
    for i in range(1, len(x)):
        c = c * x[i]
        out[i] = c
    return np.sum(out * np.arange(len(x)))


def invariant_then_changed(x, a, b):
    s = 0.0
    for i in range(len(x)):
        z = a * b
        a = a + x[i]
        s = s + z * x[i]
    return s


def reversed_pairs(x):
    n = len(x)
    s = 0.0
    for i in range(n):
        s += x[i] * x[n - 1 - i]
    return s


def neighbours(x):
    s = 0.0
    for i in range(len(x) - 1):
        s += x[i] * x[i + 1] + (x[i + 1] - x[i]) ** 2
    return s


def indexed_by_table(x, idx=(3, 0, 3, 1)):
    s = 0.0
    for i in range(len(idx)):
        s += x[idx[i]] * x[i] ** 2
    return s


def row_times_column(A, B):
    s = 0.0
    for i in range(A.shape[0]):
        s += np.sum(A[i] * B[:, i])
    return s


def float_of_index(x):
    s = 0.0
    for i in range(len(x)):
        t = float(i) / len(x)
        s += np.sin(t * x[i]) * t
    return s


def parity_condition(x):
    s = 0.0
    for i in range(len(x)):
        if i % 2:
            s += x[i] ** 2
        else:
            s -= np.exp(x[i])
    return s


def kernel_matrix_loops(x, y, ell):
    n = len(x)
    K = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            K[i, j] = math.exp(-(x[i] - x[j]) ** 2 / (2 * ell ** 2))
    K = K + 0.1 * np.eye(n)
    alpha = np.linalg.solve(K, y)
    return y @ alpha


def upper_triangle_loops(x):
    s = 0.0
    n = len(x)
    for i in range(n):
        for j in range(n):
            if j > i:
                s += np.cos(x[i] - x[j]) * (j - i)
    return s


def accumulator_used_inside(x):
    s = 1.0
    for i in range(len(x)):
        s += x[i] * s
    return s


def two_coupled_accumulators(x):
    s = 0.0
    t = 0.0
    for i in range(len(x)):
        s += x[i]
        t += s * x[i]
    return t + s ** 2


def list_recurrence(x):
    ys = [x[0], x[1]]
    for i in range(2, len(x)):
        ys.append(ys[i - 1] * 0.5 + ys[i - 2] * x[i])
    return sum(ys)


def array_reads_two_back(x):
    y = np.zeros(len(x))
    y[0], y[1] = x[0], x[1]
    for i in range(2, len(x)):
        y[i] = y[i - 1] * 0.5 + y[i - 2] * x[i]
    return np.sum(y)


def columns_in_loop(A):
    B = A.copy()
    for j in range(1, B.shape[1]):
        B[:, j] = B[:, j] - B[:, j - 1] * 0.5
    return np.sum(B ** 2)


def gram_schmidt(A):
    Q = np.zeros_like(A)
    for j in range(A.shape[1]):
        v = A[:, j]
        for i in range(j):
            v = v - (Q[:, i] @ A[:, j]) * Q[:, i]
        Q[:, j] = v / np.linalg.norm(v)
    return np.sum(Q * np.arange(A.size).reshape(A.shape))


def cholesky_by_hand(A):
    S = A @ A.T + 4 * np.eye(len(A))
    n = len(S)
    L = np.zeros_like(S)
    for i in range(n):
        for j in range(i + 1):
            s = S[i, j] - np.dot(L[i, :j], L[j, :j])
            if i == j:
                L[i, j] = np.sqrt(s)
            else:
                L[i, j] = s / L[j, j]
    return np.sum(np.log(np.diag(L))) + np.sum(L)


def forward_substitution(L, b):
    n = len(b)
    x = np.zeros(n)
    for i in range(n):
        x[i] = (b[i] - L[i, :i] @ x[:i]) / L[i, i]
    return np.sum(x ** 2)


def tridiagonal_thomas(d, r):
    n = len(d)
    a = -np.ones(n - 1)
    c = -np.ones(n - 1)
    cp = np.zeros(n - 1)
    dp = np.zeros(n)
    cp[0] = c[0] / d[0]
    dp[0] = r[0] / d[0]
    for i in range(1, n):
        m = d[i] - a[i - 1] * cp[i - 1] if i < n else d[i]
        if i < n - 1:
            cp[i] = c[i] / m
        dp[i] = (r[i] - a[i - 1] * dp[i - 1]) / m
    x = np.zeros(n)
    x[-1] = dp[-1]
    for i in range(n - 2, -1, -1):
        x[i] = dp[i] - cp[i] * x[i + 1]
    return np.sum(x ** 2)


def power_iteration(A):
    S = A @ A.T
    v = np.ones(len(S)) / math.sqrt(len(S))
    for _ in range(30):
        v = S @ v
        v = v / np.linalg.norm(v)
    return v @ S @ v


def horner(c, x):
    y = np.zeros_like(x)
    for coef in c:
        y = y * x + coef
    return np.sum(y ** 2)


def cumulative_max_loop(x):
    m = x[0]
    s = 0.0
    for v in x:
        m = max(m, v)
        s += m
    return s


def bubble_sort_values(x):
    y = [x[i] for i in range(len(x))]
    n = len(y)
    for i in range(n):
        for j in range(n - 1 - i):
            if y[j] > y[j + 1]:
                y[j], y[j + 1] = y[j + 1], y[j]
    return sum(y[k] * (k + 1) for k in range(n))


def bisection_root(a):
    lo, hi = 0.0, 3.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if mid ** 3 - a > 0:
            hi = mid
        else:
            lo = mid
    return lo


def secant_root(a):
    x0, x1 = 1.0, 2.0
    for _ in range(30):
        f0, f1 = x0 ** 3 - a, x1 ** 3 - a
        if abs(f1 - f0) < 1e-14:
            break
        x0, x1 = x1, x1 - f1 * (x1 - x0) / (f1 - f0)
    return x1


def while_converge_vector(A, b):
    x = np.zeros(len(b))
    D = np.diag(A) + 5.0
    R = A - np.diag(np.diag(A))
    diff = 1.0
    while diff > 1e-12:
        x_new = (b - R @ x) / D
        diff = np.max(np.abs(x_new - x))
        x = x_new
    return np.sum(x ** 2)


def viterbi_like_argmax(scores):
    path = []
    total = 0.0
    for t in range(scores.shape[0]):
        k = int(np.argmax(scores[t]))
        path.append(k)
        total += scores[t, k]
    return total


def loop_over_zip_rows(X, w):
    loss = 0.0
    for x, t in zip(X, [1.0, -1.0, 1.0]):
        loss += np.log1p(np.exp(-t * (x @ w)))
    return loss


def leaky_integrate_fire(w, inputs):
    v = 0.0
    spikes = 0.0
    for x in inputs:
        v = 0.9 * v + w @ x
        if v > 1.0:
            spikes += v
            v = 0.0
    return spikes + v


LOOPS = [
    (recurrence_in_array, (X5, 0.7), (0, 1), False),
    (running_product_written, (X5,), 0, False),
    (invariant_then_changed, (X5, 0.3, 0.8), (0, 1, 2), True),
    (reversed_pairs, (X5,), 0, True),
    (neighbours, (X5,), 0, True),
    (indexed_by_table, (rng_loops.normal(size=4),), 0, True),
    (row_times_column, (M3_LOOPS, rng_loops.normal(size=(3, 3))), (0, 1), True),
    (float_of_index, (X5,), 0, True),
    (parity_condition, (X5,), 0, True),
    (kernel_matrix_loops, (X5, Y5, 0.8), (0, 1, 2), False),
    (upper_triangle_loops, (X5,), 0, True),
    (accumulator_used_inside, (X5,), 0, True),
    (two_coupled_accumulators, (X5,), 0, True),
    (list_recurrence, (X5,), 0, True),
    (array_reads_two_back, (X5,), 0, False),
    (columns_in_loop, (A4,), 0, False),
    (gram_schmidt, (M3_LOOPS,), 0, False),
    (cholesky_by_hand, (M3_LOOPS,), 0, False),
    (forward_substitution, (np.tril(A4) + 3 * np.eye(4), rng_loops.normal(size=4)), (0, 1), False),
    (tridiagonal_thomas, (np.full(5, 3.0) + X5 * 0.1, Y5), (0, 1), False),
    (power_iteration, (M3_LOOPS,), 0, True),
    (horner, (np.array([0.5, -1.0, 2.0]), X5), (0, 1), True),
    (cumulative_max_loop, (X5,), 0, True),
    (bubble_sort_values, (X5,), 0, True),
    (secant_root, (2.0,), 0, True),
    (while_converge_vector, (M3_LOOPS, rng_loops.normal(size=3)), (0, 1), True),
    (viterbi_like_argmax, (rng_loops.normal(size=(4, 3)),), 0, True),
    (loop_over_zip_rows, (M3_LOOPS, rng_loops.normal(size=3)), (0, 1), True),
    (leaky_integrate_fire, (rng_loops.normal(size=3) * 0.5, [rng_loops.normal(size=3) for _ in range(6)]), 0, True),
]


# -- rule arguments ------------------------------------------------------------

rng_rules = np.random.default_rng(979)
M3_RULES = rng_rules.normal(size=(3, 3))
SPD_RULES = M3_RULES @ M3_RULES.T + 3 * np.eye(3)
T234_RULES = rng_rules.normal(size=(2, 3, 4))
X4_RULES = rng_rules.normal(size=4)
Y3 = rng_rules.normal(size=3)
W33 = np.arange(9.0).reshape(3, 3) - 4


def chol_np(K):
    L = np.linalg.cholesky(K)
    return np.sum(L * W33)


def chol_scipy_upper(K):
    U = scipy.linalg.cholesky(K)
    return np.sum(U * W33)


def chol_scipy_lower(K):
    return np.sum(scipy.linalg.cholesky(K, lower=True) * W33)


def cho_factor_solve(K, b):
    c = scipy.linalg.cho_factor(K)
    return np.sum(scipy.linalg.cho_solve(c, b) ** 2)


def eigh_np(K):
    w, V = np.linalg.eigh(K)
    return np.sum(w * np.arange(3.0)) + np.sum(np.abs(V[:, 0]) * W33[0])


def eigh_upper(K):
    w, V = np.linalg.eigh(K, UPLO="U")
    return np.sum(w ** 2 * np.arange(3.0))


def eigvalsh_upper(K):
    return np.sum(np.linalg.eigvalsh(K, UPLO="U") * np.arange(1.0, 4.0))


def eigh_scipy(K):
    w = scipy.linalg.eigh(K, eigvals_only=True)
    return np.sum(w * np.arange(1.0, 4.0))


def eigh_scipy_upper(K):
    w, V = scipy.linalg.eigh(K, lower=False)
    return np.sum(w * np.arange(1.0, 4.0))


def solve_pos(K, b):
    return np.sum(scipy.linalg.solve(K, b, assume_a="pos") ** 2)


def solve_sym_lower(K, b):
    return np.sum(scipy.linalg.solve(K, b, assume_a="sym", lower=True) ** 2)


def solve_triangular_unit(L, b):
    return np.sum(scipy.linalg.solve_triangular(L, b, lower=True, unit_diagonal=True) ** 2)


def solve_triangular_trans(L, b):
    return np.sum(scipy.linalg.solve_triangular(L, b, trans="T", lower=True) ** 2) + np.sum(scipy.linalg.solve_triangular(L, b, trans=1) ** 2)


def norm_axis_reversed(A):
    return np.linalg.norm(A, ord=1, axis=(1, 0)) + np.linalg.norm(A, ord=np.inf, axis=(1, 0))


def norm_negative_ords(A):
    return np.linalg.norm(A, ord=-1) + np.linalg.norm(A, ord=-np.inf) + np.linalg.norm(A[0], ord=-2) + np.linalg.norm(A[1], ord=0.5)


def norm_min_singular(A):
    return np.linalg.norm(A, ord=-2)


def norm_2_axis0(A):
    return np.sum(np.linalg.norm(A, ord=2, axis=0) * np.arange(3.0))


def reductions_odd_axes(T):
    return (np.sum(np.max(T, axis=(0, 2)) * np.arange(3.0)) + np.sum(T.sum(axis=-2) ** 2)
            + np.sum(np.mean(T, axis=(-1, 0)) ** 2) + np.sum(np.var(T, axis=0, ddof=1, keepdims=True) * T)
            + np.sum(np.std(T, axis=2, ddof=1)))


def flattening_defaults(A):
    return (np.sum(np.cumsum(A) * np.arange(A.size)) + np.sum(np.diff(A) ** 2) + np.sum(np.sort(A, axis=None) * np.arange(A.size))
            + np.sum(np.take(A, [0, 5, 5]) ** 2) + np.sum(np.roll(A, 1) * np.arange(A.size).reshape(A.shape))
            + np.sum(np.repeat(A, 2) * np.arange(2 * A.size)) + np.sum(np.outer(A, A[:1]) ** 2))


def axis_variants(A):
    return (np.sum(np.sort(A, axis=0) * W33) + np.sum(np.take(A, [2, 0], axis=-1) ** 2)
            + np.sum(np.diff(A, axis=0, prepend=0.0) ** 2) + np.sum(np.repeat(A, [1, 2, 0], axis=1) ** 2)
            + np.sum(np.roll(A, (1, 2), axis=(0, 1)) * W33) + np.sum(np.cumprod(A, axis=1) * W33))


def diag_trace_offsets(A, T):
    return (np.trace(A, offset=1) + np.sum(np.diagonal(A, offset=-1) ** 2) + np.sum(A.diagonal() ** 3)
            + np.sum(np.triu(A, k=-1) * W33) + np.sum(np.trace(T, axis1=1, axis2=2) ** 2) + np.sum(np.tril(A, 1) ** 2))


def flips_rotations(A):
    return (np.sum(np.flip(A) * W33) + np.sum(np.fliplr(A) * W33 ** 2) + np.sum(np.flipud(A) * W33)
            + np.sum(np.rot90(A) * W33) + np.sum(np.rot90(A, 2) * W33 ** 2) + np.sum(np.flip(A, axis=(0, 1)) * W33 * 3))


def transposes_3d(T):
    return (np.sum(np.transpose(T, (2, 0, 1)) * np.arange(24).reshape(4, 2, 3)) + np.sum(T.transpose() * np.arange(24).reshape(4, 3, 2))
            + np.sum(np.einsum("ijk->kij", T) ** 2) + np.sum(np.squeeze(T[:1], axis=0) ** 2) + np.sum(np.expand_dims(T[0], axis=(0, 2)) ** 3))


def joins_splits(A, x):
    a, b, c = np.split(x, [1, 3])
    l, r = np.hsplit(A[:, :2], 2)
    top, bottom = np.vsplit(A[:2], 2)
    return (np.sum(np.concatenate([A, A], axis=None) * np.arange(18)) + np.sum(np.stack([A, A * 2], axis=-1) ** 2)
            + np.sum(np.stack([x, x ** 2], axis=1) * np.arange(8).reshape(4, 2)) + np.sum(a) * np.sum(b * c[0])
            + np.sum(l * r) + np.sum(top * bottom) + np.sum(np.split(A, 3, axis=1)[1] ** 2))


def tiles_pads(A, x):
    return (np.sum(np.tile(A, (2, 1)) * np.arange(18).reshape(6, 3)) + np.sum(np.pad(x, 2, mode="edge") * np.arange(8))
            + np.sum(np.pad(x, (1, 2), mode="reflect") * np.arange(7)) + np.sum(np.pad(x, 1, mode="wrap") * np.arange(6))
            + np.sum(np.pad(A, ((1, 0), (0, 2))) * np.arange(20).reshape(4, 5)))


def products_batched(T, B):
    return (np.sum((T @ B) ** 2) + np.sum(np.dot(T, B) ** 2) + np.sum(np.matmul(B[:, 0], np.swapaxes(T, 1, 2) * 1.0) ** 2)
            + np.sum(np.inner(T[0], T[1]) ** 2) + np.sum(np.tensordot(T[0], B[:3], axes=0) ** 2) + np.sum(np.kron(T[0, 0], B) ** 2))


def einsum_exotic(A, B, C):
    return (np.einsum("ii->i", A) @ np.arange(3.0) + np.einsum("ij,jk,kl->il", A, B, C).sum()
            + np.einsum("ij,ij", A, B) + np.einsum("i,j,k", A[0], B[0], C[0]).sum() + np.einsum("ji", A) @ np.ones(3) @ np.arange(3.0)
            + np.einsum("ij,kj->ik", A, A).sum())


def stacked_linalg(T):
    S = T[:, :, :3] @ np.swapaxes(T[:, :, :3], 1, 2) + 3 * np.eye(3)
    return np.sum(np.linalg.det(S)) + np.sum(np.linalg.inv(S)) + np.sum(np.linalg.slogdet(S)[1]) + np.sum(np.linalg.solve(S, T[:, :, 3:]) ** 2)


def cross_axis(A, B):
    return np.sum(np.cross(A, B, axis=0) ** 2) + np.sum(np.cross(A.T, B, axisa=0, axisb=0, axisc=0) * A)


def cross_two_vectors(A, B):
    return np.sum(np.cross(A[:2, :2], B[:2, :2]) ** 2)


def interp_xp_differentiated(xp, x):
    fp = np.array([0.0, 1.0, 0.5, 2.0])
    return np.sum(np.interp(x, np.sort(xp), fp))


def polyfit_fn(y):
    x = np.linspace(0, 1, len(y))
    c = np.polyfit(x, y, 2)
    return np.sum(c ** 2)


def logsumexp_axes(T):
    import scipy.special
    return np.sum(scipy.special.logsumexp(T, axis=(0, 2))) + np.sum(scipy.special.logsumexp(T, axis=1, keepdims=True) * T)


def softmax_axis0(A):
    import scipy.special
    return np.sum(scipy.special.softmax(A, axis=0) * W33) + np.sum(scipy.special.log_softmax(A, axis=None) * W33)


def maximum_accumulate_axis(A):
    return np.sum(np.maximum.accumulate(A, axis=1) * W33) + np.sum(np.minimum.reduce(A, axis=0) ** 2)


def partition_kth(x):
    return np.sum(np.partition(x, 1)[:2]) + np.sum(np.sort(x)[::-1][:2] ** 2)


def quantile_methods(x):
    return np.quantile(x, 0.3, method="nearest") + np.quantile(x, [0.2, 0.8]) @ np.array([1.0, 2.0])


def nan_reductions(x):
    return np.nanmax(x) + np.nanmin(x) + np.nanmean(x ** 2) + np.nanstd(x) + np.nanvar(x)


def amax_amin(A):
    return np.sum(np.amax(A, axis=1)) + np.amin(A) + np.sum(np.fmax(A, 0.1)) + np.sum(np.fmin(A, A.T))


def average_returned(A, w):
    avg, wsum = np.average(A, axis=1, weights=w, returned=True)
    return np.sum(avg ** 2) + np.sum(wsum)


RULE_ARGUMENTS = [
    (cross_axis, (rng_rules.normal(size=(3, 3)), M3_RULES), (0, 1), True),
    (block_matrix, (rng_more.normal(size=(3, 3)), rng_more.normal(size=(3, 2))), (0, 1), True),
    (special_zoo, (X4_MORE * 0.5,), 0, False),
    (chol_np, (SPD_RULES,), 0, False),
    (chol_scipy_upper, (SPD_RULES,), 0, False),
    (chol_scipy_lower, (SPD_RULES,), 0, False),
    (cho_factor_solve, (SPD_RULES, Y3), (0, 1), False),
    (eigh_np, (SPD_RULES,), 0, True),
    (eigh_upper, (SPD_RULES,), 0, True),
    (eigvalsh_upper, (SPD_RULES,), 0, False),
    (solve_pos, (SPD_RULES, Y3), (0, 1), False),
    (solve_sym_lower, (SPD_RULES, Y3), (0, 1), False),
    (solve_triangular_unit, (np.tril(M3_RULES) + 2 * np.eye(3), Y3), (0, 1), False),
    (solve_triangular_trans, (np.tril(M3_RULES) + 2 * np.eye(3), Y3), (0, 1), False),
    (norm_axis_reversed, (M3_RULES,), 0, False),
    (norm_negative_ords, (M3_RULES,), 0, False),
    (norm_min_singular, (M3_RULES,), 0, False),
    (norm_2_axis0, (M3_RULES,), 0, True),
    (reductions_odd_axes, (T234_RULES,), 0, True),
    (flattening_defaults, (M3_RULES,), 0, False),
    (axis_variants, (M3_RULES,), 0, False),
    (diag_trace_offsets, (M3_RULES, rng_rules.normal(size=(2, 3, 3))), (0, 1), False),
    (flips_rotations, (M3_RULES,), 0, False),
    (transposes_3d, (T234_RULES,), 0, True),
    (joins_splits, (M3_RULES, X4_RULES), (0, 1), False),
    (tiles_pads, (M3_RULES, X4_RULES), (0, 1), False),
    (products_batched, (T234_RULES, rng_rules.normal(size=(4, 2))), (0, 1), True),
    (einsum_exotic, (M3_RULES, rng_rules.normal(size=(3, 3)), rng_rules.normal(size=(3, 3))), (0, 1, 2), False),
    (stacked_linalg, (T234_RULES,), 0, True),
    (logsumexp_axes, (T234_RULES,), 0, False),
    (softmax_axis0, (M3_RULES,), 0, False),
    (maximum_accumulate_axis, (M3_RULES,), 0, False),
    (partition_kth, (X4_RULES,), 0, False),
    (amax_amin, (M3_RULES,), 0, False),
]


# -- checkpointed --------------------------------------------------------------

rng_ckpt = np.random.default_rng(989)
U0 = np.sin(np.linspace(0, 3, 8))
X3_CKPT = rng_ckpt.normal(size=3)
M3_CKPT = rng_ckpt.normal(size=(3, 3)) * 0.5


@ad.checkpoint
def heat_in_place(u0, r):
    u = u0.copy()
    for _ in range(9):
        u[1:-1] = u[1:-1] + r * (u[2:] - 2 * u[1:-1] + u[:-2])
    return np.sum(u ** 2)


@ad.checkpoint
def augmented_in_place(x, a):
    y = x * 1.0
    for _ in range(7):
        y += a * np.sin(y)
    return np.sum(y ** 2)


@ad.checkpoint
def trajectory_written(x, a):
    traj = np.zeros((10, len(x)))
    for i in range(10):
        x = x + 0.1 * np.tanh(a * x)
        traj[i] = x
    return np.sum(traj ** 2)


@ad.checkpoint(every=2)
def last_not_carried(x, W):
    h = x
    for i in range(7):
        pre = W @ h
        h = np.tanh(pre)
    return np.sum(pre) + np.sum(h)


@ad.checkpoint(every=3)
def loop_index_after(x):
    for i in range(5):
        x = np.sin(x) * (i + 1)
    return np.sum(x) * i


@ad.checkpoint
def first_defined_inside(x):
    for i in range(6):
        if i == 0:
            y = x
        else:
            y = y * np.cos(x)
    return np.sum(y)


@ad.checkpoint
def continue_in_loop(x):
    for i in range(9):
        if i % 3 == 0:
            continue
        x = x + 0.1 * np.sin(x * i)
    return np.sum(x ** 2)


@ad.checkpoint
def over_list_items(w, xs):
    h = np.zeros(3)
    for x in xs:
        h = np.tanh(w * x + h)
    return np.sum(h)


@ad.checkpoint(every=2)
def enumerate_rows(A, x):
    for k, row in enumerate(A):
        x = x * np.cos(row * k) + row
    return np.sum(x)


@ad.checkpoint
def stepped_range(x):
    for i in range(10, 0, -3):
        x = x * 0.5 + np.sin(i * x)
    return np.sum(x)


@ad.checkpoint
def nested_loops(x, a):
    for i in range(4):
        for j in range(3):
            x = x + a * np.sin(x + j)
    return np.sum(x)


@ad.checkpoint
def two_loops(x, a):
    for _ in range(5):
        x = a * x + np.sin(x)
    s = 0.0
    for k in range(4):
        s = s + np.sum(x ** (k + 1))
    return s


@ad.checkpoint
def tuple_state(q, p):
    for _ in range(8):
        p = p - 0.05 * np.sin(q)
        q = q + 0.05 * p
    return np.sum(q ** 2 + p)


@ad.checkpoint
def lists_state(x):
    state = [x, x * 2]
    for _ in range(5):
        state = [state[1] * 0.5, np.sin(state[0]) + state[1]]
    return np.sum(state[0] * state[1])


@ad.checkpoint
def matrix_in_place_columns(A):
    B = A.copy()
    for j in range(6):
        B[:, j % 3] = np.tanh(B @ B[:, (j + 1) % 3])
    return np.sum(B)


@ad.checkpoint
def while_loop_count(x):
    i = 0
    while i < 6:
        x = np.sin(x) + x * 0.5
        i += 1
    return np.sum(x)


@ad.checkpoint
def branch_on_value(x):
    for i in range(8):
        if np.sum(x) > 0:
            x = x * 0.9 - 0.1
        else:
            x = x * 1.1 + 0.05
    return np.sum(x ** 2)


@ad.checkpoint
def accum_and_state(x, a):
    total = 0.0
    for i in range(7):
        x = a * np.sin(x)
        total += np.sum(x) * i
    return total


@ad.checkpoint
def array_and_scalar_state(x, a):
    s = 1.0
    for i in range(6):
        s = s * a + np.sum(x)
        x = x * s * 0.1
    return s + np.sum(x)


@ad.checkpoint
def reads_argument_changed_in_loop(x, a):
    for i in range(5):
        x *= a
        x += 0.1
    return np.sum(x ** 2)


CHECKPOINTED = [
    (heat_in_place, (U0, 0.2), (0, 1), False),
    (augmented_in_place, (X3_CKPT, 0.3), (0, 1), False),
    (trajectory_written, (X3_CKPT, 0.7), (0, 1), False),
    (last_not_carried, (X3_CKPT, M3_CKPT), (0, 1), True),
    (loop_index_after, (X3_CKPT,), 0, True),
    (first_defined_inside, (X3_CKPT,), 0, True),
    (continue_in_loop, (X3_CKPT,), 0, True),
    (over_list_items, (X3_CKPT, [0.5, 1.0, -0.3, 0.8]), 0, True),
    (enumerate_rows, (M3_CKPT, X3_CKPT), (0, 1), True),
    (stepped_range, (X3_CKPT,), 0, True),
    (nested_loops, (X3_CKPT, 0.3), (0, 1), True),
    (two_loops, (X3_CKPT, 0.6), (0, 1), True),
    (tuple_state, (X3_CKPT, X3_CKPT[::-1] * 1.0), (0, 1), True),
    (lists_state, (X3_CKPT,), 0, True),
    (matrix_in_place_columns, (M3_CKPT,), 0, False),
    (while_loop_count, (X3_CKPT,), 0, True),
    (branch_on_value, (X3_CKPT,), 0, True),
    (accum_and_state, (X3_CKPT, 0.8), (0, 1), True),
    (array_and_scalar_state, (X3_CKPT, 0.8), (0, 1), True),
    (reads_argument_changed_in_loop, (X3_CKPT, 0.9), (0, 1), False),
]


# -- hoisted -------------------------------------------------------------------

rng_hoist = np.random.default_rng(1009)
W_RNN = rng_hoist.normal(size=(3, 3)) * 0.5
U = rng_hoist.normal(size=(3, 2)) * 0.5
XS_HOIST = rng_hoist.normal(size=(6, 2))
b = rng_hoist.normal(size=3)


def rnn(W, U, b, xs):
    h = np.zeros(3)
    loss = 0.0
    for t in range(len(xs)):
        h = np.tanh(W @ h + U @ xs[t] + b)
        loss = loss + np.sum((h - 0.1 * t) ** 2)
    return loss


def autoregressive_view_write(W, x0, T=5):
    xs = np.zeros((T + 1, 3))
    xs[0] = x0
    h = np.zeros(3)
    for t in range(T):
        h = np.tanh(W @ h + W.T @ xs[t])
        nxt = xs[t + 1]
        nxt[:] = h
    return np.sum(h) + np.sum(xs ** 2)


def autoregressive_item_write(W, x0, T=5):
    xs = np.zeros((T + 1, 3))
    xs[0] = x0
    h = np.zeros(3)
    for t in range(T):
        h = np.tanh(W @ h + W.T @ xs[t])
        xs[t + 1] = h
    return np.sum(h) + np.sum(xs ** 2)


def break_before_out_of_range(W, xs):
    h = np.zeros(3)
    for t in range(100):
        if t >= len(xs):
            break
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h)


def continue_skipping(W, xs):
    h = np.zeros(3)
    for t in range(len(xs) + 3):
        if t >= len(xs):
            continue
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h)


def previous_row(W, xs):
    h = np.zeros(3)
    for t in range(len(xs)):
        h = np.tanh(W @ h + U @ xs[t - 1] + U @ xs[len(xs) - 1 - t])
    return np.sum(h)


def columns(W, X):
    h = np.zeros(3)
    for t in range(X.shape[1]):
        h = np.tanh(W @ h + U @ X[:, t])
    return np.sum(h)


def list_of_inputs(W, xs):
    h = np.zeros(3)
    for t in range(len(xs)):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h)


def stepped(W, xs):
    h = np.zeros(3)
    for t in range(1, len(xs), 2):
        h = np.tanh(W @ h + U @ xs[t] - U @ xs[t - 1])
    return np.sum(h)


def inputs_scaled_in_loop(W, xs):
    xs = xs.copy()
    h = np.zeros(3)
    for t in range(len(xs)):
        h = np.tanh(W @ h + U @ xs[t])
        xs *= 0.9
    return np.sum(h)


def inputs_rebound_in_loop(W, xs):
    h = np.zeros(3)
    for t in range(len(xs)):
        h = np.tanh(W @ h + U @ xs[t])
        xs = xs[::-1] * 1.0
    return np.sum(h)


def weights_changed_in_loop(W, xs):
    h = np.zeros(3)
    V = U * 1.0
    for t in range(len(xs)):
        h = np.tanh(W @ h + V @ xs[t])
        V = V * 0.9 + 0.01 * np.outer(h, xs[t])
    return np.sum(h)


def weights_changed_in_place(W, xs):
    h = np.zeros(3)
    V = U * 1.0
    for t in range(len(xs)):
        h = np.tanh(W @ h + V @ xs[t])
        V += 0.01 * np.outer(h, xs[t])
    return np.sum(h)


def helper_changes_inputs(W, xs):
    xs = xs.copy()
    h = np.zeros(3)
    for t in range(len(xs)):
        h = np.tanh(W @ h + U @ xs[t])
        decay(xs, 0.8)
    return np.sum(h)


def decay(a, f):
    a *= f


def index_reassigned(W, xs):
    h = np.zeros(3)
    for t in range(len(xs) - 1):
        h = np.tanh(W @ h + U @ xs[t])
        t = t + 1
        h = h + 0.1 * (U @ xs[t])
    return np.sum(h)


def loss_per_step_targets(W, U, xs, ys):
    h = np.zeros(3)
    loss = 0.0
    for t in range(len(xs)):
        h = np.tanh(W @ h + U @ xs[t])
        loss += np.sum((h[:2] - ys[t]) ** 2) * (t + 1)
    return loss


def teacher_forcing_written_targets(W, xs):
    ys = np.zeros((len(xs), 3))
    h = np.zeros(3)
    for t in range(len(xs)):
        h = np.tanh(W @ h + U @ xs[t])
        ys[t] = h
    return np.sum(ys[1:] * ys[:-1])


def row_write_then_read(W, xs):
    buf = xs.copy()
    h = np.zeros(3)
    for t in range(len(buf) - 1):
        buf[t + 1] = buf[t + 1] + (U.T @ h)
        h = np.tanh(W @ h + U @ buf[t + 1])
    return np.sum(h)


HOISTED = [
    (rnn, (W_RNN, U, b, XS_HOIST), (0, 1, 2), True),
    (autoregressive_item_write, (W_RNN, rng_hoist.normal(size=3)), (0, 1), False),
    (autoregressive_view_write, (W_RNN, rng_hoist.normal(size=3)), (0, 1), False),
    (break_before_out_of_range, (W_RNN, XS_HOIST), (0, 1), True),
    (continue_skipping, (W_RNN, XS_HOIST), (0, 1), True),
    (previous_row, (W_RNN, XS_HOIST), (0, 1), True),
    (columns, (W_RNN, XS_HOIST.T.copy()), (0, 1), True),
    (list_of_inputs, (W_RNN, list(XS_HOIST)), 0, True),
    (stepped, (W_RNN, XS_HOIST), (0, 1), True),
    (inputs_scaled_in_loop, (W_RNN, XS_HOIST), (0, 1), False),
    (inputs_rebound_in_loop, (W_RNN, XS_HOIST), (0, 1), True),
    (weights_changed_in_loop, (W_RNN, XS_HOIST), (0, 1), True),
    (weights_changed_in_place, (W_RNN, XS_HOIST), (0, 1), False),
    (helper_changes_inputs, (W_RNN, XS_HOIST), (0, 1), False),
    (index_reassigned, (W_RNN, XS_HOIST), (0, 1), True),
    (loss_per_step_targets, (W_RNN, U, XS_HOIST, rng_hoist.normal(size=(6, 2))), (0, 1, 2, 3), True),
    (teacher_forcing_written_targets, (W_RNN, XS_HOIST), (0, 1), False),
    (row_write_then_read, (W_RNN, XS_HOIST), (0, 1), False),
]


# -- wrapped -------------------------------------------------------------------

rng_wrap = np.random.default_rng(999)
X3_WRAP = rng_wrap.normal(size=3)


@functools.singledispatch
def energy(x):
    return x ** 2


@energy.register
def _(x: np.ndarray):
    return np.sum(x ** 4)


def singledispatch_loss(x):
    return energy(x) + energy(float(x[0]) * 0 + x[1])


@functools.lru_cache(maxsize=None)
def cached_coeff(n):
    return 1.0 / math.factorial(n)


@functools.lru_cache(maxsize=None)
def cached_scalar(x):
    return math.sin(x) * 3


def lru_cache_loss(x):
    return sum(cached_coeff(k) * x ** k for k in range(5))


def lru_cache_differentiated(a):
    return cached_scalar(a) * a


class Scaled:
    def __init__(self, f):
        functools.update_wrapper(self, f)
        self.f = f

    def __call__(self, *args):
        return 2.0 * self.f(*args)


@Scaled
def penalty(x):
    return np.sum(x ** 2)


def class_decorator_loss(x):
    return penalty(x) + np.sum(x)


def clamp_output(f):
    @functools.wraps(f)
    def wrapper(*args):
        return np.clip(f(*args), -0.5, 0.5)
    return wrapper


@clamp_output
def raw(x):
    return x ** 3


def wraps_changing_output(x):
    return np.sum(raw(x))


def log_args(f):
    def wrapper(*args):
        return f(*[a * 1.0 for a in args]) * 3.0
    wrapper.__wrapped__ = f
    return wrapper


@log_args
def plain(x):
    return np.sum(np.sin(x))


def manual_wrapped_loss(x):
    return plain(x)


vsign = np.vectorize(lambda v: v * v if v > 0 else -v)


def np_vectorize_loss(x):
    return np.sum(vsign(x))


class Base:
    def act(self, z):
        return np.tanh(z)

    def forward(self, W, x):
        return np.sum(self.act(W @ x))


class Child(Base):
    def act(self, z):
        return np.sin(z)


CHILD = Child()


def inherited_override(W, x):
    return Child().forward(W, x)


def partial_of_helper(x):
    leaky = functools.partial(leaky_relu, alpha=0.2)
    return np.sum(leaky(x) ** 2) + np.sum(functools.partial(np.power, 2.0)(x))


def leaky_relu(z, alpha=0.01):
    return np.where(z > 0, z, alpha * z)


def returns_wrapped(x):
    return np.sum(clamp_output(lambda v: v * 4.0)(x))


WRAPPED = [
    (lru_cache_loss, (0.7,), 0, False),
    (wraps_changing_output, (X3_WRAP,), 0, False),
]


REFUSALS = [
    (config_closure, (W32, XM), 0),
    (linspace_grid, (2.5,), 0),
    (class_model_loss, ([W32, W32 * 0.5], XM), 0),
    (class_model_relu, ([W32, W32 * 0.5], XM), 0),
    (reshape_fortran, (X6_ID,), 0),
    (ravel_fortran, (M23_ID,), 0),
    (prod_forms, (X4_ID,), 0),
    (piecewise_fn, (X4_ID,), 0),
    (vectorize_apply, (X6_ID,), 0),
    (ptp_logspace, (X4_MORE, 0.6), (0, 1)),
    (helper_star_args, (np.array([0.5, -1.0, 2.0]), X3_MORE), (0, 1)),
    (helper_star_kwargs, (X3_MORE, 0.4), (0, 1)),
    (recursion_sum, (X3_MORE,), 0),
    (try_except_body, (X3_MORE,), 0),
    (special_more, (X4_MORE * 0.5,), 0),
    (stats_zoo, (np.array([0.3, -0.2]),), 0),
    (lu_solve, (M3_MORE, X3_MORE), (0, 1)),
    (fft_power, (X6_MORE,), 0),
    (late_binding_lambdas, (X3_PY,), 0),
    (early_binding_default, (X3_PY,), 0),
    (nonlocal_counter, (X3_PY,), 0),
    (or_default, (X3_PY, 0.6), (0, 1)),
    (and_value, (X3_PY, 0.6), (0, 1)),
    (or_of_two_floats, (0.4, 0.9), (0, 1)),
    (walrus, (X3_PY,), 0),
    (match_statement, (X3_PY,), 0),
    (optimizer_object_state, (X3_PY, 0.1), (0, 1)),
    (accumulator_object, (X3_PY,), 0),
    (generator_helper, (X3_PY,), 0),
    (zip_star_transpose, (X4_PY,), 0),
    (list_append_in_helper, (X3_PY,), 0),
    (mutable_default, (X3_PY,), 0),
    (global_counter_fn, (X3_PY,), 0),
    (eigh_scipy, (SPD_RULES,), 0),
    (eigh_scipy_upper, (SPD_RULES,), 0),
    (interp_xp_differentiated, (np.array([0.0, 0.3, 0.7, 1.0]), np.array([0.1, 0.5, 0.9])), (0, 1)),
    (polyfit_fn, (X4_RULES,), 0),
    (quantile_methods, (X4_RULES,), 0),
    (nan_reductions, (X4_RULES,), 0),
    (average_returned, (M3_RULES, np.array([0.2, 0.3, 0.5])), (0, 1)),
    (singledispatch_loss, (X3_WRAP,), 0),
    (lru_cache_differentiated, (0.7,), 0),
    (class_decorator_loss, (X3_WRAP,), 0),
    (manual_wrapped_loss, (X3_WRAP,), 0),
    (np_vectorize_loss, (X3_WRAP,), 0),
    (inherited_override, (rng_wrap.normal(size=(2, 3)), X3_WRAP), 0),
    (partial_of_helper, (X3_WRAP,), 0),
    (returns_wrapped, (X3_WRAP * 0.3,), 0),
]


# -- the tests ----------------------------------------------------------------------------------

GROUPS = {"science": SCIENCE, "machine_learning": MACHINE_LEARNING, "idioms": IDIOMS,
          "more_idioms": MORE_IDIOMS, "axes_of_length_one": AXES_OF_LENGTH_ONE,
          "python": PYTHON, "loops": LOOPS, "rule_arguments": RULE_ARGUMENTS,
          "checkpointed": CHECKPOINTED, "hoisted": HOISTED, "wrapped": WRAPPED}
PROGRAMS = [(group, *entry) for group, entries in GROUPS.items() for entry in entries]
BY_NAME = {entry[0].__name__: entry for entries in GROUPS.values() for entry in entries}


@pytest.mark.parametrize("group, f, args, wrt, by_autograd", PROGRAMS,
                         ids=[f"{p[0]}-{p[1].__name__}" for p in PROGRAMS])
def test_programs(group, f, args, wrt, by_autograd):
    check_program(f, args, wrt, by_autograd)


SECOND_ORDER = ["damped_oscillator_euler", "heat_periodic_roll", "fixed_point_cos",
                "student_t_nll", "layer_norm", "safe_sqrt", "linalg_zoo", "logaddexp_one",
                "power_iteration", "chol_scipy_upper", "recurrence_in_array",
                "closure_rebinding_in_loop", "searchsorted_interp"]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivatives(name):
    f, args, wrt, _ = BY_NAME[name]
    assert_hessian(f, *args, wrt=wrt[0] if isinstance(wrt, tuple) else wrt)


NUMBA = ["recurrence_in_array"]


@pytest.mark.parametrize("name", NUMBA)
def test_numba_backend_agrees(name):
    f, args, wrt, _ = BY_NAME[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # (a fallback to Python is not what is checked)
        got = ad.grad(f, wrt=wrt, backend="numba")(*args)
    want = ad.grad(f, wrt=wrt)(*args)
    for g, w in zip(flatten(got), flatten(want), strict=True):
        assert_close(g, w, 1e-9, 1e-11, f"{f.__name__} with numba")


def numerical_jacobian(f, args, wrt, eps=1e-6):
    x = np.asarray(args[wrt], dtype=float)
    columns = []
    for i in np.ndindex(x.shape):
        moved = [list(args), list(args)]
        for sign, call in zip((1, -1), moved):
            p = x.copy()
            p[i] += sign * eps
            call[wrt] = p if x.shape else float(p)
        columns.append((np.asarray(f(*moved[0])) - np.asarray(f(*moved[1]))) / (2 * eps))
    return np.moveaxis(np.array(columns), 0, -1).reshape(np.shape(f(*args)) + x.shape)


def vdp_trajectory(y0, mu):
    y, out = y0, []
    for _ in range(5):
        y = rk4(van_der_pol, y, 0.1, mu)
        out.append(y)
    return np.stack(out)


@pytest.mark.parametrize("f, args, wrt", [
    (vdp_trajectory, (np.array([1.0, 0.2]), 0.8), 0),
    (vdp_trajectory, (np.array([1.0, 0.2]), 0.8), 1),
    (spring_forces, (PTS, 2.0, 1.0), 0),
    (spring_forces, (PTS, 2.0, 1.0), 1)], ids=case_id)
def test_jacobians_of_integrators_and_forces(f, args, wrt):
    want = numerical_jacobian(f, args, wrt)
    for mode in ("forward", "reverse"):
        assert_close(ad.jacobian(f, wrt=wrt, mode=mode)(*args), want, 1e-5, 1e-6, mode)


def mlp_over_layers(layers, x):
    for W, b in layers:
        x = np.tanh(x @ W + b)
    return np.sum(x ** 2)


def loss_of_broadcast(x, y):
    return np.sum(x * y + x / (1 + y ** 2))


def test_one_gradient_called_with_arguments_of_many_kinds():
    """The code made for one call's kinds never runs for another's: layers of other
    counts and widths, operands that broadcast otherwise."""
    rng = np.random.default_rng(91)
    g = ad.grad(mlp_over_layers)
    for n, width in [(2, 3), (3, 3), (1, 3), (2, 2)]:
        layers = [(rng.normal(size=(width, width)) * 0.5, rng.normal(size=width))
                  for _ in range(n)]
        for x in (rng.normal(size=width), rng.normal(size=(4, width))):
            got, want = g(layers, x), tree_numerical_grad(mlp_over_layers, (layers, x), 0)
            for a, b in zip(flatten(got), flatten(want), strict=True):
                assert_close(a, b, 1e-5, 1e-7)
    g = ad.grad(loss_of_broadcast)
    for a, b in [((3,), (3,)), ((3,), (1,)), ((1,), (3,)), ((2, 3), (3,)), ((3,), (2, 3)),
                 ((2, 1), (1, 3)), ((), (3,)), ((3,), ())]:
        args = (rng.normal(size=a) if a else 0.7, rng.normal(size=b) if b else 0.3)
        got = g(*args)
        assert np.shape(got) == np.shape(args[0])
        assert_close(got, numerical_grad(loss_of_broadcast, args, 0))


def test_float32_parameters_get_float32_gradients():
    W, X = W32.astype(np.float32), XM.astype(np.float32)
    g = ad.grad(mse_with_float32)(W, X)
    assert g.dtype == np.float32
    assert_close(g, ad.grad(mse_with_float32)(W32, XM), 1e-4, 1e-5)
    assert_close(g, numerical_grad(mse_with_float32, (W32, XM), 0), 1e-4, 1e-5)


# -- what the probe found ---------------------------------------------------------------------

def numbers_in_a_list(vals):
    return vals[0] * vals[1] ** 2 + vals[2]


def gaussian_of_a_dict(theta, x):
    return np.sum((x - theta["mu"]) ** 2 / (2 * np.exp(theta["log_s"]) ** 2) + theta["log_s"])


def int_array_leaf(p):
    return np.sum(p["w"] ** 2) * 2.0


@dataclasses.dataclass
class Scaled:
    W: np.ndarray
    scale: float = 1


def dataclass_with_an_int_default(p, x):
    return p.scale * np.sum(np.tanh(x @ p.W))


def counts_and_indices(params, xs):
    h = np.zeros(params["hidden"])
    for t in range(params["steps"]):
        h = np.tanh(params["W"] @ h + xs[t][: params["hidden"]]) * (1.0 if t < 1 else 0.5)
    return np.sum(h[params["k"]]) + np.sum(h) / len(xs)


def test_an_int_leaf_the_value_is_computed_from_is_refused():
    x = np.array([0.5, -1.0])
    where = f"{__file__.rsplit('/', 1)[-1]}:"
    for f, args, leaf in [
            (numbers_in_a_list, ([1, 2.5, 3.0],), r"vals\[0\]"),
            (numbers_in_a_list, ((1.5, 2, 3.0),), r"vals\[1\]"),
            (gaussian_of_a_dict, ({"mu": 0, "log_s": 0.0}, x), r"theta\['mu'\]"),
            (int_array_leaf, ({"w": np.array([1, 2, 3])},), r"p\['w'\]"),
            (dataclass_with_an_int_default, (Scaled(np.eye(2)), x), r"p\.scale")]:
        with pytest.raises(ad.TransformError,
                           match=leaf + r" holds integers \(an int or an array of ints\)") as info:
            ad.grad(f)(*args)
        assert where in str(info.value).splitlines()[0]
        with pytest.raises(ad.TransformError, match=leaf):
            ad.jvp(f)(*args, tangents=args[0])
    # written as floats, they are differentiated
    assert_close(ad.grad(numbers_in_a_list)([1.0, 2.5, 3.0]), [6.25, 5.0, 1.0], 1e-12, 0)
    theta = {"mu": 0.0, "log_s": 0.0}
    g = ad.grad(gaussian_of_a_dict)(theta, x)
    for k in theta:
        want = numerical_grad(lambda v, k=k: gaussian_of_a_dict({**theta, k: v}, x), (0.0,), 0)
        assert_close(g[k], want)


def test_ints_used_as_counts_indices_and_shapes_pass_through():
    rng = np.random.default_rng(92)
    params = {"hidden": 3, "steps": 2, "k": 1, "W": rng.normal(size=(3, 3)) * 0.5}
    xs = [rng.normal(size=4), rng.normal(size=4)]
    g = ad.grad(counts_and_indices)(params, xs)
    assert (g["hidden"], g["steps"], g["k"]) == (3, 2, 1)
    want = numerical_grad(lambda W: counts_and_indices({**params, "W": W}, xs), (params["W"],), 0)
    assert_close(g["W"], want)


def test_numba_falls_back_for_a_list_it_cannot_unbox():
    rng = np.random.default_rng(93)
    params = [rng.normal(size=(3, 3)), rng.normal(size=3)]
    with pytest.warns(NumbaFallbackWarning, match="heterogeneous list"):
        got = ad.grad(l1_l2_penalties, backend="numba")(params)
    want = ad.grad(l1_l2_penalties)(params)
    for g, w in zip(got, want, strict=True):
        assert_close(g, w, 1e-12, 0)


def test_entropies_of_a_softmax():
    """scipy.special.entr and kl_div (refused before they had rules) against finite
    differences."""
    assert_grad(entropies, X4_SCI)


def test_cross_of_two_vectors_is_refused_when_the_code_runs():
    """np.cross of 2-vectors (deprecated by NumPy) has no rule: an error, never a gradient."""
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="3-vectors"):
        ad.grad(cross_two_vectors, wrt=(0, 1))(rng_rules.normal(size=(3, 3)), M3_RULES)


# -- refused, at the user's line ---------------------------------------------------------------

@pytest.mark.parametrize("f, args, wrt", REFUSALS, ids=case_id)
def test_what_is_refused(f, args, wrt):
    """A TransformError at a line of this file (a TypeError at it from the check the code
    makes when it runs, for a dict a default holds)."""
    with pytest.raises((ad.TransformError, TypeError)) as info:
        ad.grad(f, wrt=wrt)(*args)
    assert f"{__file__.rsplit('/', 1)[-1]}:" in str(info.value).splitlines()[0]
    assert isinstance(info.value, ad.TransformError) or f is mutable_default
