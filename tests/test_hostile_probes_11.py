"""Probe 11: whole programs the way scientists and ML practitioners write them, in families
the earlier probes did not cover, each checked by ``check_program`` (probe 10's: central
finite differences in float64 leaf by leaf for structures, forward mode along random
tangents and the call by keywords for arrays, autograd where it runs the code as written),
second derivatives and the numba backend on samples:

- gp: Gaussian-process negative log marginal likelihoods through ``np.linalg.cholesky``,
  ``scipy.linalg.cholesky/cho_factor/cho_solve/solve_triangular`` (``trans="T"``, ``L.T``),
  ``slogdet``, ``eigh``; jitter added in place (``K[np.diag_indices_from(K)] += noise``),
  kernels built by double loops, ARD, periodic kernels, predictive variances, hyper-
  parameters in a dict.
- kalman: Kalman filters with the state in a dict (assigned, updated in place, ``.update``),
  an RTS smoother over lists and over preallocated arrays walked backwards, an information
  filter, a filter as a class whose methods call each other.
- ode: RK4 as methods of a class holding the parameters and of a dataclass, RK4 and
  leapfrog updating the state in place (``y += ...``, ``p -= ...``), columns updated in place
  (``S[:, 0] += ...``), views of one state vector updated in turn, trajectories in
  preallocated arrays and stacked lists, an adaptive step in a ``while`` loop.
- rnn: LSTM and GRU cells with parameters in dicts (``np.split`` of the gates, slices), a
  list of layers with hidden states replaced by index, teacher forcing, outputs written
  into an array.
- attention: causal and padding masks by ``np.where`` and by assignment (``-np.inf``,
  ``-1e30``), softmax along either axis, heads by reshape/transpose and by einsum, layer
  norm, relative position biases gathered by an index array.
- mixture: mixture likelihoods through ``scipy.special.logsumexp`` (``b=``, ``keepdims``) and
  by hand, ``np.logaddexp`` in loops, EM steps then the likelihood, full covariances through
  triangular solves, mixtures of experts, masked cross-entropy.
- policy: PPO's clipped objective (``np.minimum``/``np.clip``, and the ``np.where`` form),
  REINFORCE with a normalised baseline, Huber and clipped value losses, GAE by a backward
  loop written into an array, a TD loss with ``np.roll`` and a written last target.
- physics: n-body potentials over pairwise differences, forces by double loops and by
  ``np.einsum`` with ``np.fill_diagonal``, springs by ``np.add.at``/``np.subtract.at``, by
  ``np.bincount`` and by ``F[idx] += f`` with repeated indices, Lennard-Jones with masks,
  cut-offs, bond angles, a damped chain.
- unrolled: a few steps of gradient descent, momentum (state dict), Adam and Newton written
  out inside the loss, a loop left on a small step, ridge's closed form then validation,
  MAML by a nested ``ad.grad``, projected steps with ``np.clip`` and masks.
- models: a ``@dataclass`` MLP with ``__call__`` and methods calling methods,
  ``dataclasses.replace``, NamedTuple layers and ``_replace``, plain classes built inside
  the loss, a polynomial class returning a new object, a config dataclass as a default.
- python: early returns (in loops too), data-dependent ``while`` loops, ``try``/``except``,
  a global config dict, ``functools.partial`` (inside the loss and as the function
  differentiated), closures (counters, over parameters, a factory's), lambdas in a dict,
  conditional expressions, ``assert``/``raise``, ``:=``, a global table.
- views: ``x[:, 0] += ...``, ``x.T[...] = ...``, ``np.copyto``, ``out=`` of ufuncs and
  reductions and ``np.clip``, the same argument passed twice, reshape/ravel/newaxis views
  written, ``np.fill_diagonal``, fancy swaps, strided updates, rows changed through a loop.
- aliases: an array changed through a dict entry, a list item or an attribute holding it;
  views that look like copies (``y[:]``, ``y[...]``, ``np.asarray``, ``np.flip``,
  ``astype(copy=False)``, ``.real``, ``np.atleast_1d``, ``np.moveaxis``, ``squeeze``) and
  copies (``astype``, ``flatten``); two names for one array, closures and helpers seeing a
  change, arguments changed in place, overlapping ``out=`` and slice updates.
- numerics: algorithms written in place: centring and scaling, classical and modified
  Gram-Schmidt, LU without pivoting, Cholesky by hand, the Thomas algorithm, power
  iteration, Jacobi and Gauss-Seidel sweeps, scans, broadcast ``+=``, running statistics
  kept in a dict argument.
- control: ``continue``/``break``/early returns around writes into the array, a helper
  with two returns writing its argument, sorts by tuple swaps, row and column views changed
  in loops, writes at argsort indices and by masks of rows and columns.
- batched: batched ``solve``, ``cholesky``, ``inv``, ``slogdet``, ``det``, ``eigh``,
  ``matrix_power``, broadcasting matmul, reductions over axis tuples, ``optimize=True``
  einsum, ``solve_triangular(trans=1)``, ties in ``np.max``.

What the probe found (fixed, with regression tests in tests/test_aliasing.py,
tests/test_rules_scipy_linalg.py and tests/test_items.py):

- **Wrong gradients**: ``scipy.linalg.solve_triangular(L, r, lower=True, overwrite_b=True)``
  writes the solution into ``r`` (SciPy does for a 1-d or Fortran-ordered float64 array);
  the gradient read ``r`` as it was (a GP likelihood reading the residual again got ``dL``
  wrong). The same held for ``cho_solve``/``solve``'s ``overwrite_b`` and ``cholesky``/
  ``cho_factor``/``inv``'s ``overwrite_a``: they are refused unless False.
- **Wrong gradients**: ``np.median(r, overwrite_input=True)`` (``np.quantile``,
  ``np.percentile``; SciPy's ``overwrite_a=``/``overwrite_b=``) on an array not
  differentiated, after a primitive read it (``np.sum(x * r)``): NumPy partitions ``r`` in
  place and the reverse pass read it so. The call is refused there now.
- **Wrong gradients**: ``z = np.float64(y)`` of an array of float64s is ``y`` itself, but
  was taken for a new array: ``z[0] = 5.0`` (or ``z *= 2``, or a change of ``y`` read
  through ``z``) left the other name's values as they were in the gradient. It is now the
  same array to the analysis (the writes are refused at their line).
- A constant written into a dict or list argument before a value being differentiated is
  (``state["mean"] *= 0.9`` then ``state["mean"] += 0.1 * mu``, running statistics; ``ys[0]
  = 3.0`` then ``ys[1] = x[0]``) failed inside the generated code with a TypeError naming
  no line of the user's; it is refused at the line of the first write.

Everything else was differentiated right, or refused at this file's line (REFUSED, and
REFUSED_WHEN_RUN for the checks made when the code runs). Refusals that look
over-cautious, not changed here: building
``Sequential(*layers)`` inside the loss; ``dataclasses.replace`` then a method;
``L[np.diag_indices(2)] = ...`` on ``np.tril`` of a constant, wrt
the data only; modified Gram-Schmidt (an outer write of a column then an inner loop of column
updates, then ``V[0]`` read) and Cholesky by hand (then ``np.diag(L)``), both refused as if
the view read after the loops could see a later write; ``np.copyto`` into a slice,
``np.sum(..., out=)``, ``np.clip(..., out=y)``; ``np.atleast_1d``/``squeeze`` views (when
the code runs).

Over-cautious refusals lifted since, each program now among those checked: ``y[0], y[-1] =
y[1], y[-2]`` on a vector (an entry at a negative constant index is a number, as one at a
positive index is; tests/test_items.py); a method of an object not differentiated calling
another of its methods (``model.loss(x, y)`` with ``self.penalty()``, wrt ``x``: the method
run as it is is read as its class's function, and the methods it calls on ``self`` too,
which change nothing; tests/test_real_programs_objects.py); ``state.update(m=..., P=...)`` of
a dict the function made (``dict(m=..., P=...)``, a copy of a dict argument: the items stored
as ``state["m"] = ...`` stores them, all computed first; tests/test_structure_copies.py);
``list.reverse()`` of a list the function made (the swaps it amounts to;
tests/test_list_forms.py); a method run as it is that appends to a list its object holds
(``self.seen.append(v)``: that list changed, not anything; tests/test_changed_arguments.py);
a helper doing ``w -= ...; return w`` called as ``w = step(w)`` in a loop (the loop's ``w`` is
the array the last step changed, where the array has one or more dimensions and no jump
leaves the loop between the step and the end of the iteration;
tests/test_helpers_in_place.py).
"""

import dataclasses
import functools
from typing import NamedTuple

import numpy as np
import pytest
import scipy.linalg
import scipy.special
from conftest import assert_close, assert_hessian
from probe_tables import ProbeTable, entry_ids
from test_hostile_probes_10 import check_program

import adcompile as ad


rng = np.random.default_rng(1111)
X2 = rng.normal(size=2)
X3 = rng.normal(size=3)
X4 = rng.normal(size=4)
X5 = rng.normal(size=5)
M3 = rng.normal(size=(3, 3))
M23 = rng.normal(size=(2, 3))
M43 = rng.normal(size=(4, 3))
SPD = M3 @ M3.T + 3.0 * np.eye(3)


# -- Gaussian processes: the negative log marginal likelihood ---------------------------------

GP_X = rng.normal(size=(5, 2))
GP_Y = np.sin(GP_X[:, 0]) + 0.3 * GP_X[:, 1]
GP_XS = rng.normal(size=(3, 2))
THETA = np.array([0.1, -0.2, -1.5])


def rbf(X1, X2, ls, var):
    d = X1[:, None, :] - X2[None, :, :]
    return var * np.exp(-0.5 * np.sum(d ** 2, axis=-1) / ls ** 2)


def gp_nll_cholesky(theta, X, y):
    ls, var, noise = np.exp(theta)
    K = rbf(X, X, ls, var) + noise * np.eye(len(X))
    L = np.linalg.cholesky(K)
    alpha = scipy.linalg.solve_triangular(L, y, lower=True)
    return 0.5 * alpha @ alpha + np.sum(np.log(np.diag(L))) + 0.5 * len(y) * np.log(2 * np.pi)


def gp_nll_cho_solve(theta, X, y):
    ls, var, noise = np.exp(theta)
    K = rbf(X, X, ls, var) + noise * np.eye(len(X))
    c, low = scipy.linalg.cho_factor(K, lower=True)
    alpha = scipy.linalg.cho_solve((c, low), y)
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(c)))


def gp_nll_slogdet(theta, X, y):
    ls, var, noise = np.exp(theta)
    K = rbf(X, X, ls, var) + noise * np.eye(len(X))
    sign, logdet = np.linalg.slogdet(K)
    return 0.5 * y @ np.linalg.solve(K, y) + 0.5 * logdet


def gp_nll_jitter_in_place(theta, X, y):
    ls, var, noise = np.exp(theta)
    K = rbf(X, X, ls, var)
    K[np.diag_indices_from(K)] += noise
    K += 1e-6 * np.eye(len(X))
    L = scipy.linalg.cholesky(K, lower=True)
    z = scipy.linalg.solve_triangular(L, y, lower=True)
    return 0.5 * np.dot(z, z) + np.log(np.diag(L)).sum()


def gp_nll_params_dict(params, X, y):
    ls = np.exp(params["log_ls"])
    var = np.exp(params["log_var"])
    K = rbf(X, X, ls, var) + np.exp(params["log_noise"]) * np.eye(X.shape[0])
    L = np.linalg.cholesky(K)
    a = scipy.linalg.solve_triangular(L, y, lower=True)
    a = scipy.linalg.solve_triangular(L.T, a, lower=False)
    return 0.5 * y @ a + np.sum(np.log(np.diag(L)))


def gp_nll_trans_solve(theta, X, y):
    ls, var, noise = np.exp(theta)
    K = rbf(X, X, ls, var) + noise * np.eye(len(X))
    L = np.linalg.cholesky(K)
    w = scipy.linalg.solve_triangular(L, y, lower=True)
    alpha = scipy.linalg.solve_triangular(L, w, lower=True, trans="T")
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(L)))


def gp_ard(log_ls, X, y):
    Z = X / np.exp(log_ls)
    sq = np.sum(Z ** 2, axis=1)
    D = sq[:, None] + sq[None, :] - 2.0 * Z @ Z.T
    K = np.exp(-0.5 * np.maximum(D, 0.0)) + 0.1 * np.eye(len(X))
    sign, logdet = np.linalg.slogdet(K)
    return 0.5 * y @ np.linalg.solve(K, y) + 0.5 * logdet


def gp_predictive(theta, X, y, Xs):
    ls, var, noise = np.exp(theta)
    K = rbf(X, X, ls, var) + noise * np.eye(len(X))
    Ks = rbf(X, Xs, ls, var)
    L = np.linalg.cholesky(K)
    alpha = scipy.linalg.cho_solve((L, True), y)
    mean = Ks.T @ alpha
    v = scipy.linalg.solve_triangular(L, Ks, lower=True)
    pvar = var - np.sum(v ** 2, axis=0)
    return np.sum(mean ** 2) + np.sum(np.log(pvar))


def gp_kernel_by_loops(theta, X, y):
    ls, var, noise = np.exp(theta)
    n = len(X)
    K = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1):
            r2 = np.sum((X[i] - X[j]) ** 2)
            K[i, j] = var * np.exp(-0.5 * r2 / ls ** 2)
            K[j, i] = K[i, j]
        K[i, i] += noise
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(L)))


def gp_many_outputs(theta, X, Y):
    ls, var, noise = np.exp(theta)
    K = rbf(X, X, ls, var) + noise * np.eye(len(X))
    L = np.linalg.cholesky(K)
    total = 0.0
    for k in range(Y.shape[1]):
        a = scipy.linalg.solve_triangular(L, Y[:, k], lower=True)
        total += 0.5 * a @ a
    return total + Y.shape[1] * np.sum(np.log(np.diag(L)))


def gp_eigh_logdet(theta, X, y):
    ls, var, noise = np.exp(theta)
    K = rbf(X, X, ls, var) + noise * np.eye(len(X))
    w, V = np.linalg.eigh(K)
    proj = V.T @ y
    return 0.5 * np.sum(proj ** 2 / w) + 0.5 * np.sum(np.log(w))


def gp_periodic_kernel(theta, x, y):
    ls, period, noise = np.exp(theta)
    d = np.abs(x[:, None] - x[None, :])
    K = np.exp(-2.0 * np.sin(np.pi * d / period) ** 2 / ls ** 2) + noise * np.eye(len(x))
    L = np.linalg.cholesky(K)
    a = scipy.linalg.solve_triangular(L, y, lower=True)
    return 0.5 * a @ a + np.log(np.diag(L)).sum()


def gp_nll_solve_overwriting_the_residual(theta, X, y):
    ls, var, noise = np.exp(theta)
    K = rbf(X, X, ls, var) + noise * np.eye(len(X))
    L = np.linalg.cholesky(K)
    r = y - np.mean(y)
    alpha = scipy.linalg.solve_triangular(L, r, lower=True, overwrite_b=True)
    return 0.5 * alpha @ alpha + np.sum(np.log(np.diag(L))) + 0.1 * r @ r


GP = [
    (gp_nll_cholesky, (THETA, GP_X, GP_Y), 0, False),
    (gp_nll_cho_solve, (THETA, GP_X, GP_Y), 0, False),
    (gp_nll_slogdet, (THETA, GP_X, GP_Y), 0, True),
    (gp_nll_jitter_in_place, (THETA, GP_X, GP_Y), 0, False),
    (gp_nll_params_dict, ({"log_ls": 0.1, "log_var": -0.2, "log_noise": -1.5}, GP_X, GP_Y),
     0, False),
    (gp_nll_trans_solve, (THETA, GP_X, GP_Y), 0, False),
    (gp_ard, (np.array([0.2, -0.1]), GP_X, GP_Y), 0, True),
    (gp_predictive, (THETA, GP_X, GP_Y, GP_XS), 0, False),
    (gp_kernel_by_loops, (THETA, GP_X, GP_Y), 0, False),
    (gp_many_outputs, (THETA, GP_X, np.column_stack([GP_Y, GP_Y ** 2])), 0, False),
    (gp_eigh_logdet, (THETA, GP_X, GP_Y), 0, True),
    (gp_periodic_kernel, (np.array([0.0, 0.3, -1.0]), np.linspace(0, 2, 5), np.cos(np.arange(5.0))),
     0, False),
    (gp_nll_cholesky, (THETA, GP_X, GP_Y), 1, False),
    (gp_nll_slogdet, (THETA, GP_X, GP_Y), 2, True),
    (gp_nll_solve_overwriting_the_residual, (THETA, GP_X, GP_Y), 0, False),
]


# -- Kalman filters and RTS smoothers, state in dicts -----------------------------------------

KF_F = np.array([[1.0, 0.1], [0.0, 1.0]])
KF_H = np.array([[1.0, 0.0]])
KF_YS = np.array([0.3, 0.5, 0.4, 0.9, 1.2, 1.1])


def kalman_nll(log_q, ys, F, H):
    state = {"m": np.zeros(2), "P": np.eye(2)}
    Q = np.exp(log_q) * np.eye(2)
    R = np.array([[0.2]])
    nll = 0.0
    for y in ys:
        m = F @ state["m"]
        P = F @ state["P"] @ F.T + Q
        S = H @ P @ H.T + R
        v = y - H @ m
        K = P @ H.T @ np.linalg.inv(S)
        state["m"] = m + K @ v
        state["P"] = P - K @ S @ K.T
        nll += 0.5 * (v @ np.linalg.solve(S, v) + np.log(np.linalg.det(S)))
    return nll


def kalman_update_in_place(q, ys, F, H):
    state = {"m": np.zeros(2), "P": np.eye(2)}
    total = 0.0
    for y in ys:
        state["m"] = F @ state["m"]
        state["P"] = F @ state["P"] @ F.T
        state["P"] += q * np.eye(2)
        s = (H @ state["P"] @ H.T)[0, 0] + 0.2
        k = (state["P"] @ H.T)[:, 0] / s
        r = y - (H @ state["m"])[0]
        state["m"] += k * r
        state["P"] -= np.outer(k, k) * s
        total += r ** 2 / s + np.log(s)
    return total


def kalman_dict_update_method(q, ys, F, H):
    state = dict(m=np.zeros(2), P=np.eye(2))
    total = 0.0
    for y in ys:
        m, P = state["m"], state["P"]
        m = F @ m
        P = F @ P @ F.T + q * np.eye(2)
        s = P[0, 0] + 0.2
        k = P[:, 0] / s
        r = y - m[0]
        state.update(m=m + k * r, P=P - np.outer(k, k) * s)
        total = total + r ** 2 / s + np.log(s)
    return total


def rts_smoother(q, ys, F):
    n = len(ys)
    ms, Ps, mps, Pps = [], [], [], []
    m, P = np.zeros(2), np.eye(2)
    for y in ys:
        mp = F @ m
        Pp = F @ P @ F.T + q * np.eye(2)
        s = Pp[0, 0] + 0.2
        k = Pp[:, 0] / s
        m = mp + k * (y - mp[0])
        P = Pp - np.outer(k, k) * s
        ms.append(m)
        Ps.append(P)
        mps.append(mp)
        Pps.append(Pp)
    sm = ms[-1]
    out = sm[0] ** 2
    for t in range(n - 2, -1, -1):
        G = Ps[t] @ F.T @ np.linalg.inv(Pps[t + 1])
        sm = ms[t] + G @ (sm - mps[t + 1])
        out = out + sm[0] ** 2
    return out


def rts_smoother_arrays(q, ys, F):
    n = len(ys)
    M = np.zeros((n, 2))
    Pf = np.zeros((n, 2, 2))
    m, P = np.zeros(2), np.eye(2)
    for t in range(n):
        mp = F @ m
        Pp = F @ P @ F.T + q * np.eye(2)
        s = Pp[0, 0] + 0.2
        k = Pp[:, 0] / s
        m = mp + k * (ys[t] - mp[0])
        P = Pp - np.outer(k, k) * s
        M[t] = m
        Pf[t] = P
    Ms = M.copy()
    for t in reversed(range(n - 1)):
        Pp = F @ Pf[t] @ F.T + q * np.eye(2)
        G = np.linalg.solve(Pp.T, (Pf[t] @ F.T).T).T
        Ms[t] = M[t] + G @ (Ms[t + 1] - F @ M[t])
    return np.sum(Ms[:, 0] ** 2)


def information_filter(q, ys):
    lam, eta = 1.0, 0.0
    total = 0.0
    for y in ys:
        P = 1.0 / lam + q
        lam = 1.0 / P + 1.0 / 0.3
        eta = eta / (1.0 + q * (lam - 1.0 / 0.3)) + y / 0.3
        total += (eta / lam - y) ** 2
    return total


class KalmanModel:
    def __init__(self, q, r):
        self.q = q
        self.r = r

    def predict(self, m, P):
        return KF_F @ m, KF_F @ P @ KF_F.T + self.q * np.eye(2)

    def update(self, m, P, y):
        s = P[0, 0] + self.r
        k = P[:, 0] / s
        return m + k * (y - m[0]), P - np.outer(k, k) * s, (y - m[0]) ** 2 / s + np.log(s)

    def nll(self, ys):
        m, P = np.zeros(2), np.eye(2)
        total = 0.0
        for y in ys:
            m, P = self.predict(m, P)
            m, P, term = self.update(m, P, y)
            total += term
        return total


def kalman_by_a_class(q, ys):
    return KalmanModel(q, 0.2).nll(ys)


KALMAN = [
    (kalman_nll, (0.1, KF_YS, KF_F, KF_H), 0, True),
    (kalman_nll, (0.1, KF_YS, KF_F, KF_H), 2, True),
    (kalman_update_in_place, (0.05, KF_YS, KF_F, KF_H), 0, False),
    (kalman_update_in_place, (0.05, KF_YS, KF_F, KF_H), 1, False),
    (kalman_dict_update_method, (0.05, KF_YS, KF_F, KF_H), 0, True),
    (rts_smoother, (0.05, KF_YS, KF_F), 0, True),
    (rts_smoother, (0.05, KF_YS, KF_F), 1, True),
    (rts_smoother_arrays, (0.05, KF_YS, KF_F), 0, False),
    (rts_smoother_arrays, (0.05, KF_YS, KF_F), 2, False),
    (information_filter, (0.3, KF_YS), 0, True),
    (kalman_by_a_class, (0.05, KF_YS), 0, True),
    (kalman_by_a_class, (0.05, KF_YS), 1, True),
]


# -- ODE integrators: RK4 and leapfrog, state changed in place, parameters in a class ----------

class Oscillator:
    def __init__(self, k, c):
        self.k = k
        self.c = c

    def rhs(self, y):
        return np.array([y[1], -self.k * y[0] - self.c * y[1]])

    def rk4_step(self, y, h):
        k1 = self.rhs(y)
        k2 = self.rhs(y + 0.5 * h * k1)
        k3 = self.rhs(y + 0.5 * h * k2)
        k4 = self.rhs(y + h * k3)
        return y + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)

    def solve(self, y0, h, n):
        y = y0.copy()
        for _ in range(n):
            y = self.rk4_step(y, h)
        return y


def rk4_of_a_class(k, y0):
    y = Oscillator(k, 0.3).solve(y0, 0.1, 8)
    return y[0] ** 2 + y[1]


def rk4_in_place(k, y0):
    y = y0.copy()
    h = 0.1
    for _ in range(6):
        k1 = np.array([y[1], -k * y[0]])
        k2 = np.array([y[1] + 0.5 * h * k1[1], -k * (y[0] + 0.5 * h * k1[0])])
        k3 = np.array([y[1] + 0.5 * h * k2[1], -k * (y[0] + 0.5 * h * k2[0])])
        k4 = np.array([y[1] + h * k3[1], -k * (y[0] + h * k3[0])])
        y += h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return np.sum(y ** 2)


def leapfrog(q0, p0, k):
    q = q0.copy()
    p = p0.copy()
    dt = 0.1
    p -= 0.5 * dt * k * q
    for _ in range(10):
        q += dt * p
        p -= dt * k * q
    p += 0.5 * dt * k * q
    return 0.5 * np.sum(p ** 2) + 0.5 * k * np.sum(q ** 2) + q[0]


def euler_columns_in_place(S0, k):
    S = S0.copy()
    for _ in range(5):
        S[:, 0] += 0.1 * S[:, 1]
        S[:, 1] -= 0.1 * k * np.sin(S[:, 0])
    return np.sum(S[:, 0] * S[:, 1])


def trajectory_preallocated(y0, k):
    T = 8
    traj = np.zeros((T + 1, 2))
    traj[0] = y0
    for t in range(T):
        x, v = traj[t]
        traj[t + 1] = traj[t] + 0.1 * np.array([v, -k * x])
    return np.sum(traj[:, 0] ** 2)


def trajectory_list_stacked(y0, k):
    ys = [y0]
    for _ in range(6):
        y = ys[-1]
        ys.append(y + 0.1 * np.array([y[1], -k * np.sin(y[0])]))
    Y = np.stack(ys)
    return np.mean(Y[:, 0] ** 2) - np.mean(Y[:, 1])


@dataclasses.dataclass
class Pendulum:
    g: float
    length: float

    def rhs(self, state):
        theta, omega = state
        return np.array([omega, -self.g / self.length * np.sin(theta)])


def rk4_dataclass(model, y0):
    y = y0
    h = 0.05
    for _ in range(6):
        k1 = model.rhs(y)
        k2 = model.rhs(y + h / 2 * k1)
        k3 = model.rhs(y + h / 2 * k2)
        k4 = model.rhs(y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y[0] ** 2 + y[1] ** 2


def adaptive_euler(k, y0):
    t, h = 0.0, 0.3
    y = y0
    while t < 1.0:
        h = min(h, 1.0 - t)
        y = y + h * np.array([y[1], -k * y[0]])
        t += h
        h *= 1.5
    return y[0]


def verlet_with_velocity_state(x0, k):
    state = {"x": x0.copy(), "v": np.zeros_like(x0)}
    a = -k * state["x"]
    for _ in range(6):
        state["x"] += 0.1 * state["v"] + 0.005 * a
        a_new = -k * state["x"] ** 3
        state["v"] += 0.05 * (a + a_new)
        a = a_new
    return np.sum(state["x"] ** 2) + np.sum(state["v"])


def heat_explicit_in_place(u0, kappa):
    u = u0.copy()
    for _ in range(5):
        lap = np.zeros_like(u)
        lap[1:-1] = u[2:] - 2 * u[1:-1] + u[:-2]
        u[1:-1] += kappa * lap[1:-1]
    return np.sum(u ** 2)


def symplectic_euler_in_place_views(z0, k):
    z = z0.copy()
    q = z[:2]
    p = z[2:]
    for _ in range(5):
        p -= 0.1 * k * q
        q += 0.1 * p
    return np.sum(z ** 2) + z[0]


ODE = [
    (rk4_of_a_class, (1.3, X2), 0, True),
    (rk4_of_a_class, (1.3, X2), 1, False),   # (autograd's boxes have no .copy())
    (rk4_in_place, (1.3, X2), 0, False),
    (rk4_in_place, (1.3, X2), 1, False),
    (leapfrog, (X3, X3[::-1].copy(), 0.8), 0, False),
    (leapfrog, (X3, X3[::-1].copy(), 0.8), 2, False),
    (euler_columns_in_place, (M43[:, :2].copy(), 0.9), 0, False),
    (euler_columns_in_place, (M43[:, :2].copy(), 0.9), 1, False),
    (trajectory_preallocated, (X2, 1.1), 0, False),
    (trajectory_preallocated, (X2, 1.1), 1, False),
    (trajectory_list_stacked, (X2, 1.1), (0, 1), True),
    (rk4_dataclass, (Pendulum(9.8, 1.5), X2), 0, False),
    (rk4_dataclass, (Pendulum(9.8, 1.5), X2), 1, False),
    (adaptive_euler, (1.2, X2), 0, True),
    (adaptive_euler, (1.2, X2), 1, True),
    (verlet_with_velocity_state, (X3, 0.7), (0, 1), False),
    (heat_explicit_in_place, (np.sin(np.linspace(0, 3, 6)), 0.2), (0, 1), False),
    (symplectic_euler_in_place_views, (X4, 0.9), (0, 1), False),
]


# -- recurrent cells: LSTM and GRU, parameters in dicts and lists of layers -------------------

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def make_lstm(n_in, n_h, seed):
    r = np.random.default_rng(seed)
    return {"W": r.normal(size=(4 * n_h, n_in)) * 0.4, "U": r.normal(size=(4 * n_h, n_h)) * 0.4,
            "b": r.normal(size=4 * n_h) * 0.1}


def lstm_cell(p, x, h, c):
    z = p["W"] @ x + p["U"] @ h + p["b"]
    i, f, o, g = np.split(z, 4)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    h = sigmoid(o) * np.tanh(c)
    return h, c


def lstm_loss(p, xs):
    n_h = p["U"].shape[1]
    h, c = np.zeros(n_h), np.zeros(n_h)
    loss = 0.0
    for x in xs:
        h, c = lstm_cell(p, x, h, c)
        loss = loss + np.sum(h ** 2)
    return loss


def lstm_slices(p, xs):
    n = p["U"].shape[1]
    h, c = np.zeros(n), np.zeros(n)
    for t in range(xs.shape[0]):
        z = p["W"] @ xs[t] + p["U"] @ h + p["b"]
        i = sigmoid(z[:n])
        f = sigmoid(z[n:2 * n] + 1.0)
        o = sigmoid(z[2 * n:3 * n])
        g = np.tanh(z[3 * n:])
        c = f * c + i * g
        h = o * np.tanh(c)
    return np.sum(h) + np.sum(c ** 2)


def gru_cell(p, x, h):
    r = sigmoid(p["Wr"] @ x + p["Ur"] @ h)
    z = sigmoid(p["Wz"] @ x + p["Uz"] @ h)
    n = np.tanh(p["Wn"] @ x + r * (p["Un"] @ h))
    return (1 - z) * n + z * h


def stacked_gru(layers, xs):
    hs = [np.zeros(2) for _ in layers]
    out = 0.0
    for x in xs:
        inp = x
        for l, p in enumerate(layers):
            hs[l] = gru_cell(p, inp, hs[l])
            inp = hs[l]
        out = out + np.sum(inp)
    return out ** 2


def gru_sequence_output_array(p, xs):
    T = len(xs)
    H = np.zeros((T, 2))
    h = np.zeros(2)
    for t in range(T):
        h = gru_cell(p, xs[t], h)
        H[t] = h
    return np.sum(np.tanh(H) * np.arange(1.0, T + 1)[:, None])


def bidirectional_rnn(p, xs):
    fwd, bwd = [], []
    h = np.zeros(2)
    for x in xs:
        h = np.tanh(p["W"] @ x + p["U"] @ h)
        fwd.append(h)
    h = np.zeros(2)
    for x in xs[::-1]:
        h = np.tanh(p["W"] @ x + p["V"] @ h)
        bwd.append(h)
    bwd.reverse()
    return sum(np.dot(a, b) for a, b in zip(fwd, bwd))


def rnn_with_teacher_forcing(p, xs, targets):
    h = np.zeros(2)
    loss = 0.0
    for x, y in zip(xs, targets):
        h = np.tanh(p["W"] @ x + p["U"] @ h + p["b"])
        pred = p["out"] @ h
        loss += (pred - y) ** 2
    return loss / len(xs)


def _gru_params(seed):
    r = np.random.default_rng(seed)
    return {k: r.normal(size=(2, 2)) * 0.5 for k in ("Wr", "Ur", "Wz", "Uz", "Wn", "Un")}


XS_SEQ = rng.normal(size=(4, 2))
RNN_P = {"W": rng.normal(size=(2, 2)) * 0.5, "U": rng.normal(size=(2, 2)) * 0.5,
         "V": rng.normal(size=(2, 2)) * 0.5, "b": rng.normal(size=2) * 0.1,
         "out": rng.normal(size=2)}

RNN = [
    (lstm_loss, (make_lstm(2, 2, 1), XS_SEQ), 0, True),
    (lstm_loss, (make_lstm(2, 2, 1), XS_SEQ), 1, True),
    (lstm_slices, (make_lstm(2, 3, 2), XS_SEQ), 0, True),
    (stacked_gru, ([_gru_params(3), _gru_params(4)], XS_SEQ), 0, True),
    (stacked_gru, ([_gru_params(3), _gru_params(4)], XS_SEQ), 1, True),
    (gru_sequence_output_array, (_gru_params(5), XS_SEQ), 0, False),
    (bidirectional_rnn, (RNN_P, XS_SEQ), 0, True),
    (rnn_with_teacher_forcing, (RNN_P, XS_SEQ, X4), 0, True),
]


# -- attention: masks, softmax along axes, heads ---------------------------------------------

def softmax(z, axis=-1):
    z = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


SEQ = rng.normal(size=(4, 3))
WQ, WK, WV = (rng.normal(size=(3, 3)) * 0.5 for _ in range(3))


def causal_attention(Wq, X, Wk, Wv):
    Q, K, V = X @ Wq, X @ Wk, X @ Wv
    scores = Q @ K.T / np.sqrt(K.shape[-1])
    mask = np.triu(np.ones((len(X), len(X)), dtype=bool), k=1)
    scores = np.where(mask, -1e9, scores)
    return np.sum(softmax(scores) @ V)


def attention_mask_assigned(Wq, X, Wk, Wv):
    Q, K, V = X @ Wq, X @ Wk, X @ Wv
    scores = Q @ K.T / np.sqrt(3.0)
    scores[np.triu_indices(len(X), 1)] = -np.inf
    A = softmax(scores, axis=1)
    return np.sum((A @ V) ** 2)


def attention_padding_mask(Wq, X, Wk, Wv):
    lengths_mask = np.array([True, True, True, False])
    scores = (X @ Wq) @ (X @ Wk).T
    scores[:, ~lengths_mask] = -1e30
    A = softmax(scores)
    return np.sum(A @ (X @ Wv) * lengths_mask[:, None])


def attention_softmax_over_queries(Wq, X, Wk, Wv):
    scores = X @ Wq @ (X @ Wk).T
    A = softmax(scores, axis=0)
    return np.sum(A * scores) + np.sum(A.T @ (X @ Wv))


def multi_head(Wq, X, Wk, Wv):
    n, d = X.shape
    h = 3
    Q = (X @ Wq).reshape(n, h, d // h).transpose(1, 0, 2)
    K = (X @ Wk).reshape(n, h, d // h).transpose(1, 0, 2)
    V = (X @ Wv).reshape(n, h, d // h).transpose(1, 0, 2)
    A = softmax(Q @ K.transpose(0, 2, 1), axis=-1)
    out = (A @ V).transpose(1, 0, 2).reshape(n, d)
    return np.sum(out ** 2)


def multi_head_einsum(Wq, X, Wk, Wv):
    Q = np.einsum("nd,de->ne", X, Wq).reshape(4, 3, 1)
    K = np.einsum("nd,de->ne", X, Wk).reshape(4, 3, 1)
    V = (X @ Wv).reshape(4, 3, 1)
    S = np.einsum("qhd,khd->hqk", Q, K)
    A = softmax(S)
    return np.sum(np.einsum("hqk,khd->qhd", A, V) * np.arange(12.0).reshape(4, 3, 1))


def attention_with_layer_norm(Wq, X, Wk, Wv):
    def layer_norm(Z, eps=1e-5):
        mu = Z.mean(axis=-1, keepdims=True)
        var = Z.var(axis=-1, keepdims=True)
        return (Z - mu) / np.sqrt(var + eps)
    H = layer_norm(X)
    A = softmax((H @ Wq) @ (H @ Wk).T)
    return np.sum(layer_norm(X + A @ (H @ Wv)) * np.arange(3.0))


def attention_log_softmax_entropy(Wq, X, Wk, Wv):
    S = (X @ Wq) @ (X @ Wk).T
    logA = S - scipy.special.logsumexp(S, axis=1, keepdims=True)
    return -np.sum(np.exp(logA) * logA)


def relative_position_bias(bias, X, Wq, Wk):
    n = len(X)
    idx = np.arange(n)[:, None] - np.arange(n)[None, :] + n - 1
    S = (X @ Wq) @ (X @ Wk).T + bias[idx]
    return np.sum(softmax(S) * np.eye(n))


ATTENTION = [
    (causal_attention, (WQ, SEQ, WK, WV), 0, True),
    (causal_attention, (WQ, SEQ, WK, WV), 1, True),
    (attention_mask_assigned, (WQ, SEQ, WK, WV), 0, False),
    (attention_mask_assigned, (WQ, SEQ, WK, WV), 1, False),
    (attention_padding_mask, (WQ, SEQ, WK, WV), (0, 2), False),
    (attention_softmax_over_queries, (WQ, SEQ, WK, WV), 0, True),
    (multi_head, (WQ, SEQ, WK, WV), (0, 1, 3), False),   # (autograd: transpose(1, 0, 2))
    (multi_head_einsum, (WQ, SEQ, WK, WV), (0, 2), True),
    (attention_with_layer_norm, (WQ, SEQ, WK, WV), 1, True),
    (attention_log_softmax_entropy, (WQ, SEQ, WK, WV), 0, False),
    (relative_position_bias, (rng.normal(size=7), SEQ, WQ, WK), 0, True),
]


# -- mixtures: log-sum-exp by hand and by scipy -----------------------------------------------

MIX_X = np.concatenate([rng.normal(-1.0, 0.5, 4), rng.normal(1.5, 0.7, 4)])


def gmm_1d_nll(params, x):
    logits, mu, log_s = params["logits"], params["mu"], params["log_s"]
    log_pi = logits - scipy.special.logsumexp(logits)
    z = (x[:, None] - mu[None, :]) / np.exp(log_s)
    logp = log_pi - log_s - 0.5 * z ** 2 - 0.5 * np.log(2 * np.pi)
    return -np.sum(scipy.special.logsumexp(logp, axis=1))


def gmm_by_hand_lse(params, x):
    logits, mu, log_s = params["logits"], params["mu"], params["log_s"]
    m = np.max(logits)
    log_pi = logits - (m + np.log(np.sum(np.exp(logits - m))))
    logp = log_pi - log_s - 0.5 * ((x[:, None] - mu) / np.exp(log_s)) ** 2
    mx = logp.max(axis=1, keepdims=True)
    return -np.sum(mx[:, 0] + np.log(np.exp(logp - mx).sum(axis=1)))


def gmm_logaddexp_loop(mu, x):
    total = 0.0
    for xi in x:
        acc = -np.inf
        for k in range(len(mu)):
            acc = np.logaddexp(acc, -0.5 * (xi - mu[k]) ** 2)
        total -= acc
    return total


def gmm_em_step_then_nll(mu, x):
    s = 0.8
    for _ in range(3):
        logr = -0.5 * ((x[:, None] - mu) / s) ** 2
        r = np.exp(logr - scipy.special.logsumexp(logr, axis=1, keepdims=True))
        mu = (r * x[:, None]).sum(axis=0) / r.sum(axis=0)
    logp = -0.5 * ((x[:, None] - mu) / s) ** 2
    return -np.sum(scipy.special.logsumexp(logp, axis=1))


def gmm_2d_full_cov(params, X):
    total = np.zeros(len(X))
    for k in range(2):
        L = np.tril(params["L"][k])
        L[np.diag_indices(2)] = np.exp(np.diag(params["L"][k]))
        diff = X - params["mu"][k]
        z = scipy.linalg.solve_triangular(L, diff.T, lower=True)
        logdet = 2.0 * np.sum(np.log(np.diag(L)))
        total = total + np.exp(-0.5 * np.sum(z ** 2, axis=0) - 0.5 * logdet) * params["w"][k]
    return -np.sum(np.log(total))


def mixture_of_experts(W, x, gate):
    experts = np.tanh(x @ W)
    g = softmax(x @ gate)
    return np.sum(np.log(np.sum(g * np.exp(experts), axis=-1)))


def logsumexp_with_weights(w, x):
    return scipy.special.logsumexp(x, b=np.abs(w) + 0.1)


def softmax_cross_entropy_with_a_mask(logits, labels):
    valid = labels >= 0
    safe = np.where(valid, labels, 0)
    logp = logits - scipy.special.logsumexp(logits, axis=1, keepdims=True)
    picked = logp[np.arange(len(labels)), safe]
    return -np.sum(np.where(valid, picked, 0.0)) / np.sum(valid)


GMM_P = {"logits": np.array([0.2, -0.3]), "mu": np.array([-0.8, 1.2]),
         "log_s": np.array([-0.4, -0.2])}
GMM2 = {"L": rng.normal(size=(2, 2, 2)) * 0.3, "mu": rng.normal(size=(2, 2)),
        "w": np.array([0.4, 0.6])}

MIXTURE = [
    (gmm_1d_nll, (GMM_P, MIX_X), 0, False),
    (gmm_1d_nll, (GMM_P, MIX_X), 1, False),
    (gmm_by_hand_lse, (GMM_P, MIX_X), 0, True),
    (gmm_logaddexp_loop, (np.array([-0.8, 1.2, 0.1]), MIX_X[:4]), 0, True),
    (gmm_em_step_then_nll, (np.array([-0.5, 0.9]), MIX_X), 0, False),
    (gmm_2d_full_cov, (GMM2, rng.normal(size=(5, 2))), 0, False),
    (gmm_2d_full_cov, (GMM2, rng.normal(size=(5, 2))), 1, False),
    (mixture_of_experts, (M3 * 0.5, M43, M3), (0, 2), True),
    (logsumexp_with_weights, (X4, X4[::-1].copy()), (0, 1), False),
    (softmax_cross_entropy_with_a_mask, (M43, np.array([0, 2, -1, 1])), 0, False),
]


# -- policy gradients: clipped ratios, advantages, np.where / np.clip / np.maximum ------------

OBS = rng.normal(size=(6, 3))
ACTIONS = np.array([0, 2, 1, 1, 0, 2])
ADV = rng.normal(size=6)
OLD_LOGP = np.log(np.full(6, 1.0 / 3.0)) + 0.05 * rng.normal(size=6)


def log_softmax(z):
    return z - scipy.special.logsumexp(z, axis=-1, keepdims=True)


def ppo_clip_loss(theta, obs, actions, adv, old_logp):
    logp = log_softmax(obs @ theta)[np.arange(len(actions)), actions]
    ratio = np.exp(logp - old_logp)
    return -np.mean(np.minimum(ratio * adv, np.clip(ratio, 0.8, 1.2) * adv))


def ppo_where_form(theta, obs, actions, adv, old_logp):
    logits = obs @ theta
    logits = logits - logits.max(axis=1, keepdims=True)
    logp_all = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    logp = np.take_along_axis(logp_all, actions[:, None], axis=1)[:, 0]
    ratio = np.exp(logp - old_logp)
    clipped = np.where(adv > 0, np.minimum(ratio, 1.2), np.maximum(ratio, 0.8)) * adv
    entropy = -np.sum(np.exp(logp_all) * logp_all, axis=1)
    return -np.mean(clipped) - 0.01 * np.mean(entropy)


def reinforce_with_baseline(theta, obs, actions, returns):
    logits = obs @ theta
    logp = logits[np.arange(len(actions)), actions] - scipy.special.logsumexp(logits, axis=1)
    baseline = returns.mean()
    adv = (returns - baseline) / (returns.std() + 1e-8)
    return -np.sum(logp * adv)


def value_huber(w, obs, returns):
    v = obs @ w
    d = v - returns
    return np.mean(np.where(np.abs(d) < 1.0, 0.5 * d ** 2, np.abs(d) - 0.5))


def gae_then_loss(w, obs, rewards):
    values = np.tanh(obs @ w)
    gamma, lam = 0.9, 0.8
    adv = np.zeros(len(rewards))
    last = 0.0
    for t in reversed(range(len(rewards))):
        nxt = values[t + 1] if t + 1 < len(rewards) else 0.0
        delta = rewards[t] + gamma * nxt - values[t]
        last = delta + gamma * lam * last
        adv[t] = last
    return np.sum(adv ** 2)


def dqn_td_loss(W, obs, actions, rewards):
    q = obs @ W
    q_next = np.roll(q, -1, axis=0)
    target = rewards + 0.9 * np.max(q_next, axis=1)
    target[-1] = rewards[-1]
    pred = q[np.arange(len(actions)), actions]
    return np.mean((pred - target) ** 2)


def clipped_value_loss(w, obs, returns, old_v):
    v = obs @ w
    v_clipped = old_v + np.clip(v - old_v, -0.2, 0.2)
    return 0.5 * np.mean(np.maximum((v - returns) ** 2, (v_clipped - returns) ** 2))


def gaussian_policy_logp(params, obs, acts):
    mu = obs @ params["W"]
    log_std = np.clip(params["log_std"], -2.0, 1.0)
    z = (acts - mu) / np.exp(log_std)
    return -np.sum(-0.5 * z ** 2 - log_std)


POLICY = [
    (ppo_clip_loss, (M3 * 0.7, OBS, ACTIONS, ADV, OLD_LOGP), 0, False),
    (ppo_where_form, (M3 * 0.7, OBS, ACTIONS, ADV, OLD_LOGP), 0, False),   # (take_along_axis)
    (reinforce_with_baseline, (M3, OBS, ACTIONS, np.abs(ADV)), 0, False),
    (reinforce_with_baseline, (M3, OBS, ACTIONS, np.abs(ADV)), 3, False),
    (value_huber, (X3, OBS, ADV * 2.0), 0, True),
    (gae_then_loss, (X3, OBS, ADV), 0, False),
    (dqn_td_loss, (M3, OBS, ACTIONS, ADV), 0, False),
    (clipped_value_loss, (X3 * 0.3, OBS, ADV, OBS @ X3 * 0.3 + 0.1 * ADV), 0, True),
    (gaussian_policy_logp, ({"W": M3[:, :2].copy(), "log_std": np.array([-0.5, 0.3])},
                            OBS, OBS[:, :2] * 0.5), 0, True),
]


# -- physics: n-body over pairwise distances, springs by np.add.at and index arrays ----------

BODIES = rng.normal(size=(4, 2)) * 1.5
MASSES = np.array([1.0, 2.0, 0.5, 1.5])
EDGES = np.array([[0, 1], [1, 2], [2, 3], [3, 0], [0, 2]])
REPEATED_EDGES = np.array([[0, 1], [1, 2], [2, 0], [0, 1], [1, 3]])


def nbody_potential(pos, masses):
    diff = pos[:, None, :] - pos[None, :, :]
    r = np.sqrt(np.sum(diff ** 2, axis=-1) + np.eye(len(pos)))
    iu = np.triu_indices(len(pos), 1)
    return -np.sum((masses[:, None] * masses[None, :])[iu] / r[iu])


def nbody_forces_loop(pos, masses):
    n = len(pos)
    F = np.zeros_like(pos)
    for i in range(n):
        for j in range(i + 1, n):
            d = pos[j] - pos[i]
            r3 = np.sum(d ** 2) ** 1.5
            F[i] += masses[i] * masses[j] * d / r3
            F[j] -= masses[i] * masses[j] * d / r3
    return np.sum(F ** 2)


def nbody_leapfrog(pos0, masses):
    pos = pos0.copy()
    vel = np.zeros_like(pos)
    dt = 0.01
    for _ in range(4):
        diff = pos[None, :, :] - pos[:, None, :]
        r2 = np.sum(diff ** 2, axis=-1) + 0.1
        np.fill_diagonal(r2, 1.0)
        inv = masses[None, :] / r2 ** 1.5
        np.fill_diagonal(inv, 0.0)
        acc = np.einsum("ij,ijk->ik", inv, diff)
        vel += dt * acc
        pos += dt * vel
    return np.sum(pos[:, 0] * masses)


def springs_add_at(x, k, edges):
    d = x[edges[:, 0]] - x[edges[:, 1]]
    length = np.linalg.norm(d, axis=1)
    f = (k * (length - 1.0) / length)[:, None] * d
    F = np.zeros_like(x)
    np.add.at(F, edges[:, 0], -f)
    np.add.at(F, edges[:, 1], f)
    return np.sum(F ** 2)


def springs_energy_bincount(x, k, edges):
    d = x[edges[:, 0]] - x[edges[:, 1]]
    e = 0.5 * k * (np.sqrt(np.sum(d * d, axis=1)) - 1.0) ** 2
    per_node = np.bincount(edges[:, 0], weights=e, minlength=len(x))
    return np.sum(per_node * np.arange(1.0, len(x) + 1))


def springs_relaxed_by_descent(k, x0, edges):
    x = x0.copy()
    for _ in range(4):
        d = x[edges[:, 0]] - x[edges[:, 1]]
        length = np.sqrt(np.sum(d ** 2, axis=1))
        g = (k * (length - 1.0) / length)[:, None] * d
        G = np.zeros_like(x)
        np.add.at(G, edges[:, 0], g)
        np.subtract.at(G, edges[:, 1], g)
        x -= 0.1 * G
    return np.sum(x[:, 0])


def springs_fancy_plus_equals(x, k, edges):
    d = x[edges[:, 0]] - x[edges[:, 1]]
    f = k[:, None] * d
    F = np.zeros_like(x)
    F[edges[:, 0]] += f
    F[edges[:, 1]] -= f
    return np.sum(F ** 2)


def lennard_jones_masked(pos):
    diff = pos[:, None, :] - pos[None, :, :]
    r2 = np.sum(diff ** 2, axis=-1)
    mask = ~np.eye(len(pos), dtype=bool)
    r2 = r2[mask]
    inv6 = (1.0 / r2) ** 3
    return 0.5 * np.sum(4.0 * (inv6 ** 2 - inv6))


def coulomb_with_cutoff(pos, q):
    i, j = np.triu_indices(len(pos), 1)
    r = np.linalg.norm(pos[i] - pos[j], axis=1)
    e = q[i] * q[j] / r
    return np.sum(np.where(r < 2.5, e, 0.0))


def chain_angles(x):
    b = np.diff(x, axis=0)
    lengths = np.linalg.norm(b, axis=1)
    cos = np.sum(b[:-1] * b[1:], axis=1) / (lengths[:-1] * lengths[1:])
    return np.sum((np.arccos(np.clip(cos, -0.999, 0.999)) - 1.0) ** 2)


def mass_spring_damper_chain(k, x0):
    n = len(x0)
    x = x0.copy()
    v = np.zeros(n)
    for _ in range(5):
        f = np.zeros(n)
        f[1:] -= k * (x[1:] - x[:-1])
        f[:-1] += k * (x[1:] - x[:-1])
        f -= 0.1 * v
        v += 0.05 * f
        x += 0.05 * v
    return x @ x


PHYSICS = [
    (nbody_potential, (BODIES, MASSES), (0, 1), True),
    (nbody_forces_loop, (BODIES, MASSES), (0, 1), False),
    (nbody_leapfrog, (BODIES, MASSES), (0, 1), False),
    (springs_add_at, (BODIES, 1.3, EDGES), (0, 1), False),
    (springs_energy_bincount, (BODIES, 1.3, EDGES), (0, 1), False),
    (springs_relaxed_by_descent, (1.3, BODIES, EDGES), (0, 1), False),
    (springs_fancy_plus_equals, (BODIES, np.array([0.5, 1.0, 1.5, 2.0, 2.5]), REPEATED_EDGES),
     (0, 1), False),
    (lennard_jones_masked, (BODIES,), 0, True),
    (coulomb_with_cutoff, (BODIES, np.array([1.0, -1.0, 0.5, 2.0])), (0, 1), True),
    (chain_angles, (BODIES,), 0, True),
    (mass_spring_damper_chain, (1.2, X5), (0, 1), False),
]


# -- optimisation inner loops written out inside the loss --------------------------------------

REG_X = rng.normal(size=(6, 3))
REG_Y = REG_X @ np.array([1.0, -0.5, 0.3]) + 0.1 * rng.normal(size=6)


def unrolled_gd(lr, w0, X, y):
    w = w0
    for _ in range(5):
        g = X.T @ (X @ w - y) / len(y)
        w = w - lr * g
    return np.mean((X @ w - y) ** 2)


def unrolled_gd_in_place(lr, w0, X, y):
    w = w0.copy()
    for _ in range(5):
        w -= lr * X.T @ (X @ w - y) / len(y)
    return np.sum((X @ w - y) ** 2)


def unrolled_momentum_dict(hyper, w0, X, y):
    state = {"w": w0.copy(), "v": np.zeros_like(w0)}
    for _ in range(4):
        g = X.T @ (X @ state["w"] - y) + hyper["lam"] * state["w"]
        state["v"] = hyper["beta"] * state["v"] + g
        state["w"] = state["w"] - 0.05 * state["v"]
    return np.sum((X @ state["w"] - y) ** 2)


def unrolled_adam(lr, w0, X, y):
    w, m, v = w0, np.zeros_like(w0), np.zeros_like(w0)
    b1, b2 = 0.9, 0.99
    for t in range(1, 5):
        g = X.T @ np.tanh(X @ w - y)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        mhat = m / (1 - b1 ** t)
        vhat = v / (1 - b2 ** t)
        w = w - lr * mhat / (np.sqrt(vhat) + 1e-8)
    return np.sum(np.tanh(X @ w - y) ** 2)


def newton_inner_solve(lam, X, y):
    w = np.zeros(X.shape[1])
    for _ in range(3):
        p = 1.0 / (1.0 + np.exp(-X @ w))
        g = X.T @ (p - (y > 0)) + lam * w
        H = X.T @ (X * (p * (1 - p))[:, None]) + lam * np.eye(X.shape[1])
        w = w - np.linalg.solve(H, g)
    return np.sum(w ** 2)


def inner_loop_until_small_step(lr, X, y):
    w = np.zeros(3)
    for _ in range(50):
        step = lr * X.T @ (X @ w - y) / len(y)
        w = w - step
        if np.linalg.norm(step) < 1e-3:
            break
    return np.sum(w)


def ridge_closed_form_then_val(log_lam, X, y):
    Xtr, ytr, Xva, yva = X[:4], y[:4], X[4:], y[4:]
    w = np.linalg.solve(Xtr.T @ Xtr + np.exp(log_lam) * np.eye(3), Xtr.T @ ytr)
    return np.mean((Xva @ w - yva) ** 2)


def maml_one_step(w, X, y):
    def loss(w, X, y):
        return np.mean((X @ w - y) ** 2)
    g = ad.grad(loss)(w, X[:3], y[:3])
    return loss(w - 0.1 * g, X[3:], y[3:])


def gd_with_helper_that_updates(lr, w0, X, y):
    def step(w):
        w -= lr * X.T @ (X @ w - y)
        return w
    w = w0.copy()
    for _ in range(3):
        w = step(w)
    return w @ w


def projected_gd(lr, w0, X, y):
    w = w0.copy()
    for _ in range(4):
        w = w - lr * X.T @ (X @ w - y)
        w = np.clip(w, -0.4, 0.4)
        w[w < -0.3] = -0.3
    return np.sum((X @ w) ** 2)


UNROLLED = [
    (unrolled_gd, (0.1, X3, REG_X, REG_Y), (0, 1), True),
    (unrolled_gd_in_place, (0.1, X3, REG_X, REG_Y), (0, 1, 2), False),
    (unrolled_momentum_dict, ({"lam": 0.1, "beta": 0.5}, X3, REG_X, REG_Y), 0, True),
    (unrolled_momentum_dict, ({"lam": 0.1, "beta": 0.5}, X3, REG_X, REG_Y), 1, False),
    (unrolled_adam, (0.05, X3, REG_X, REG_Y), (0, 1), True),
    (newton_inner_solve, (0.5, REG_X, REG_Y), (0, 1), True),
    (inner_loop_until_small_step, (0.2, REG_X, REG_Y), (0, 2), True),
    (ridge_closed_form_then_val, (-0.5, REG_X, REG_Y), (0, 1), True),
    (maml_one_step, (X3, REG_X, REG_Y), 0, False),
    (gd_with_helper_that_updates, (0.02, X3, REG_X, REG_Y), (0, 1), False),
    (projected_gd, (0.05, X3 * 0.1, REG_X, REG_Y), (0, 1), False),
]


# -- models as dataclasses, NamedTuples and classes whose methods call each other --------------

@dataclasses.dataclass
class MLP:
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: float

    def hidden(self, x):
        return np.tanh(x @ self.W1 + self.b1)

    def __call__(self, x):
        return self.hidden(x) @ self.W2 + self.b2

    def loss(self, x, y):
        return np.mean((self(x) - y) ** 2) + 0.01 * self.penalty()

    def penalty(self):
        return np.sum(self.W1 ** 2) + np.sum(self.W2 ** 2)


MLP0 = MLP(rng.normal(size=(3, 4)) * 0.5, rng.normal(size=4) * 0.1, rng.normal(size=4), 0.2)


def mlp_dataclass_loss(model, x, y):
    return model.loss(x, y)


def mlp_dataclass_replace(model, x, y):
    shrunk = dataclasses.replace(model, W2=model.W2 * 0.5)
    return shrunk.loss(x, y) + model.loss(x, y)


class Affine(NamedTuple):
    W: np.ndarray
    b: np.ndarray


def namedtuple_layers(layers, x):
    for layer in layers[:-1]:
        x = np.maximum(x @ layer.W + layer.b, 0.0) + 0.01 * (x @ layer.W + layer.b)
    last = layers[-1]
    return np.sum((x @ last.W + last.b) ** 2)


def namedtuple_replace(layer, x):
    other = layer._replace(b=layer.b * 2.0)
    return np.sum(np.tanh(x @ other.W + other.b)) + np.sum(layer.W)


class Linear:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def __call__(self, x):
        return x @ self.W + self.b


class Sequential:
    def __init__(self, *layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = self.activation(layer(x))
        return x

    def activation(self, z):
        return np.tanh(z)


def sequential_object(W, x):
    net = Sequential(Linear(W, 0.1), Linear(W.T, -0.2))
    return np.sum(net.forward(x) ** 2)


class Regressor:
    def __init__(self, w, reg):
        self.w = w
        self.reg = reg

    def predict(self, X):
        return X @ self.w

    def residual(self, X, y):
        return self.predict(X) - y

    def objective(self, X, y):
        r = self.residual(X, y)
        return r @ r / len(y) + self.reg * self.w @ self.w


def regressor_object_argument(model, X, y):
    return model.objective(X, y)


def regressor_built_inside(w, X, y):
    return Regressor(w, 0.1).objective(X, y)


class Polynomial:
    def __init__(self, coeffs):
        self.coeffs = coeffs

    def __call__(self, x):
        out = np.zeros_like(x)
        for c in self.coeffs[::-1]:
            out = out * x + c
        return out

    def derivative(self):
        n = len(self.coeffs)
        return Polynomial(self.coeffs[1:] * np.arange(1, n))


def polynomial_and_its_derivative(c, x):
    p = Polynomial(c)
    return np.sum(p(x) ** 2) + np.sum(p.derivative()(x))


@dataclasses.dataclass
class Config:
    lr: float = 0.1
    steps: int = 3


def trained_with_a_config(w0, X, y, cfg=Config()):
    w = w0
    for _ in range(cfg.steps):
        w = w - cfg.lr * X.T @ (X @ w - y)
    return np.sum(w ** 2)


MODELS = [
    (mlp_dataclass_loss, (MLP0, REG_X[:, :3], REG_Y), 0, False),
    (mlp_dataclass_loss, (MLP0, REG_X[:, :3], REG_Y), 1, False),
    (mlp_dataclass_replace, (MLP0, REG_X, REG_Y), 0, False),
    (namedtuple_layers, ([Affine(M3 * 0.5, X3 * 0.1), Affine(M3.T * 0.4, X3)], M43), 0, False),
    (namedtuple_layers, ([Affine(M3 * 0.5, X3 * 0.1), Affine(M3.T * 0.4, X3)], M43), 1, True),
    (namedtuple_replace, (Affine(M3 * 0.5, X3), M43), 0, False),
    (sequential_object, (M3 * 0.6, M43), (0, 1), True),
    (regressor_object_argument, (Regressor(X3, 0.1), REG_X, REG_Y), 0, False),
    (regressor_built_inside, (X3, REG_X, REG_Y), (0, 1), True),
    (polynomial_and_its_derivative, (np.array([0.5, -1.0, 0.3, 0.2]), X4), (0, 1), True),
    (trained_with_a_config, (X3 * 0.1, REG_X, REG_Y), (0, 1), True),
]


# -- Python: early returns, data-dependent while loops, try/except, globals, partial, closures --

CONFIG = {"act": "tanh", "scale": 2.0, "clip": 3.0}


def early_return_on_a_norm(x):
    n = np.linalg.norm(x)
    if n > 10.0:
        return n
    if n < 1e-8:
        return 0.0
    return np.sum(np.sin(x)) * n


def early_return_inside_a_loop(x):
    acc = 0.0
    for i in range(len(x)):
        acc = acc + x[i] ** 2
        if acc > 2.0:
            return acc * x[i]
    return acc


def while_halving(x):
    s = np.sum(x ** 2)
    k = 0
    while s > 0.1:
        s = s / 2.0
        k += 1
    return s * k


def while_newton_until_converged(a):
    x = 1.0
    while True:
        x_new = 0.5 * (x + a / x)
        if abs(x_new - x) < 1e-12:
            break
        x = x_new
    return x_new


def try_except_fallback(x):
    try:
        L = np.linalg.cholesky(np.outer(x, x) + np.eye(len(x)))
    except np.linalg.LinAlgError:
        L = np.eye(len(x))
    return np.sum(np.log(np.diag(L)))


def global_config_dict(x):
    act = np.tanh if CONFIG["act"] == "tanh" else np.sin
    return np.sum(np.clip(CONFIG["scale"] * act(x), -CONFIG["clip"], CONFIG["clip"]))


def loss_with_data(w, X, y, reg):
    return np.mean((X @ w - y) ** 2) + reg * np.sum(w ** 2)


def partial_bound_loss(w):
    f = functools.partial(loss_with_data, X=REG_X, y=REG_Y, reg=0.1)
    return f(w)


PARTIAL_LOSS = functools.partial(loss_with_data, X=REG_X, y=REG_Y, reg=0.05)
PARTIAL_LOSS.__name__ = "PARTIAL_LOSS"


def make_loss(X, y):
    def loss(w):
        r = X @ w - y
        return r @ r
    return loss


CLOSED_LOSS = make_loss(REG_X, REG_Y)


def closure_counter(x):
    total = [0.0]

    def add(v):
        total[0] += v
    for v in x:
        add(np.sin(v))
    return total[0]


def closure_over_a_parameter(w, X):
    def f(z):
        return np.tanh(z @ w)
    return np.sum(f(X) + f(2 * X))


def lambda_in_a_dict(x):
    acts = {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh}
    return np.sum(acts["relu"](x) + acts["tanh"](x))


def conditional_expression_chain(x):
    s = np.sum(x)
    y = x ** 2 if s > 0 else -x
    return np.sum(y) if np.max(y) > 0.5 else np.sum(y ** 3)


def assert_and_raise(x):
    assert x.ndim == 1, "vector expected"
    if len(x) < 2:
        raise ValueError("too short")
    return np.sum(x[:-1] * x[1:])


def walrus_and_any(x):
    if (n := np.sum(x ** 2)) > 1.0:
        return np.sqrt(n)
    return n


def global_lookup_table(x):
    return np.sum(x * TABLE[: len(x)])


TABLE = np.array([1.0, 0.5, 0.25, 0.125, 0.0625])


PYTHON = [
    (early_return_on_a_norm, (X4,), 0, True),
    (early_return_on_a_norm, (X4 * 10,), 0, True),
    (early_return_inside_a_loop, (X4,), 0, True),
    (early_return_inside_a_loop, (X4 * 0.1,), 0, True),
    (while_halving, (X4,), 0, True),
    (while_newton_until_converged, (2.3,), 0, True),
    (try_except_fallback, (X3,), 0, False),
    (global_config_dict, (X4,), 0, True),
    (partial_bound_loss, (X3,), 0, True),
    (PARTIAL_LOSS, (X3,), 0, False),
    (CLOSED_LOSS, (X3,), 0, False),
    (closure_counter, (X4,), 0, False),
    (closure_over_a_parameter, (X3, M43), (0, 1), True),
    (lambda_in_a_dict, (X4,), 0, True),
    (conditional_expression_chain, (X4,), 0, True),
    (conditional_expression_chain, (-X4,), 0, True),
    (assert_and_raise, (X4,), 0, True),
    (walrus_and_any, (X4,), 0, True),
    (global_lookup_table, (X4,), 0, True),
]


# -- in-place changes through views, out=, np.copyto, aliasing of arguments --------------------

def column_plus_equals(X):
    Y = X.copy()
    Y[:, 0] += Y[:, 1] * 2.0
    Y[:, 2] *= Y[:, 0]
    return np.sum(Y ** 2)


def transposed_view_written(X):
    Y = X.copy()
    Y.T[0] = X[:, 1] * 3.0
    return np.sum(Y * X)


def transposed_row_plus_equals(X):
    Y = X * 1.0
    Y.T[1] += Y.T[0]
    return np.sum(Y ** 3)


def copyto_into_empty(x):
    y = np.empty_like(x)
    np.copyto(y, x ** 2)
    return np.sum(y * x)


def copyto_into_slice(x):
    y = np.zeros(2 * len(x))
    np.copyto(y[::2], np.sin(x))
    np.copyto(y[1::2], x)
    return np.sum(y * np.arange(len(y)))


def ufunc_out_chain(x):
    y = np.empty_like(x)
    np.multiply(x, 2.0, out=y)
    np.exp(y, out=y)
    np.add(y, x, out=y)
    return np.sum(y)


def reduction_out(X):
    s = np.empty(X.shape[1])
    np.sum(X ** 2, axis=0, out=s)
    return np.sum(np.sqrt(s))


def same_argument_twice(a, b):
    c = a.copy()
    c += b
    return np.sum(c * a)


def argument_aliased_then_written(x):
    y = x
    y = y * 2.0
    z = x.copy()
    z[0] = y[1]
    return np.sum(z * y)


def view_of_a_copy_scaled(x):
    y = x.copy()
    v = y[1:3]
    v *= 10.0
    return np.sum(y * x)


def reshaped_view_plus_equals(x):
    y = x.copy()
    M = y.reshape(2, 3)
    M[0] += M[1]
    return np.sum(y ** 2)


def diagonal_view_written(A):
    B = A.copy()
    np.fill_diagonal(B, np.diag(A) ** 2)
    return np.sum(B @ A)


def swap_rows_fancy(A):
    B = A.copy()
    B[[0, 1]] = B[[1, 0]]
    return np.sum(B * A)


def strided_plus_equals(x):
    y = x.copy()
    y[::2] += y[1::2]
    return np.sum(y ** 2)


def ravel_view_written(A):
    B = A.copy()
    flat = B.ravel()
    flat[0] = A[1, 1] ** 2
    return np.sum(B ** 2)


def in_place_through_a_list_of_rows(A):
    B = A.copy()
    for row in B:
        row *= 2.0
    return np.sum(B * A)


def swapped_by_tuple_assignment(x):
    y = x.copy()
    y[0], y[1] = y[1], y[0] * 2.0
    return np.sum(y ** 2 * x)


def ellipsis_write(A):
    B = np.zeros_like(A)
    B[...] = A ** 2
    B[..., 0] += 1.0
    return np.sum(B * A)


def newaxis_view_written(x):
    y = x.copy()
    col = y[:, None]
    col[1:] *= 3.0
    return np.sum(y * x)


def clip_out_in_place(x):
    y = x * 2.0
    np.clip(y, -1.0, 1.0, out=y)
    return np.sum(y * x)


VIEWS = [
    (column_plus_equals, (M43,), 0, False),
    (transposed_view_written, (M43,), 0, False),
    (transposed_row_plus_equals, (M43,), 0, False),
    (copyto_into_empty, (X4,), 0, False),
    (copyto_into_slice, (X4,), 0, False),
    (ufunc_out_chain, (X4,), 0, False),
    (reduction_out, (M43,), 0, False),
    (same_argument_twice, (X4, X4), (0, 1), False),
    (argument_aliased_then_written, (X4,), 0, False),
    (view_of_a_copy_scaled, (X4,), 0, False),
    (reshaped_view_plus_equals, (rng.normal(size=6),), 0, False),
    (diagonal_view_written, (M3,), 0, False),
    (swap_rows_fancy, (M43,), 0, False),
    (strided_plus_equals, (rng.normal(size=6),), 0, False),
    (ravel_view_written, (M3,), 0, False),
    (in_place_through_a_list_of_rows, (M43,), 0, False),
    (swapped_by_tuple_assignment, (X4,), 0, False),
    (ellipsis_write, (M43,), 0, False),
    (newaxis_view_written, (X4,), 0, False),
    (clip_out_in_place, (X4,), 0, False),
]


# -- aliases: the same array under two names, in a list, a dict, an object --------------------

def dict_entry_plus_equals_changes_the_array(x):
    a = x * 1.0
    d = {"a": a, "b": x ** 2}
    d["a"] += d["b"]
    return np.sum(a * x)


def list_item_plus_equals_changes_the_array(x):
    a = x * 1.0
    pair = [a, x ** 2]
    pair[0] *= 3.0
    return np.sum(a * x) + np.sum(pair[0])


def attribute_plus_equals_changes_the_array(x):
    state = types_namespace(w=x * 1.0)
    w = state.w
    state.w += x ** 2
    return np.sum(w * x)


def types_namespace(**kw):
    import types
    return types.SimpleNamespace(**kw)


def full_slice_is_a_view(x):
    y = x * 1.0
    z = y[:]
    z[0] = 5.0 * x[1]
    return np.sum(y * x)


def ellipsis_index_is_a_view(x):
    y = x * 1.0
    z = y[...]
    z *= 2.0
    return np.sum(y * x)


def asarray_is_the_same_array(x):
    y = x * 1.0
    z = np.asarray(y)
    z[1] = x[0] ** 2
    return np.sum(y * x)


def flip_is_a_view(x):
    y = x * 1.0
    z = np.flip(y)
    z[0] = x[0] ** 3
    return np.sum(y * x)


def reversed_slice_plus_equals(x):
    y = x * 1.0
    r = y[::-1]
    r += x
    return np.sum(y ** 2)


def astype_without_copy(x):
    y = x * 1.0
    z = y.astype(np.float64, copy=False)
    z[0] = 7.0
    return np.sum(y * x)


def astype_copies(x):
    y = x * 1.0
    z = y.astype(np.float64)
    z[0] = 7.0
    return np.sum(y * x) + np.sum(z)


def real_of_a_real_array(x):
    y = x * 1.0
    z = y.real
    z[0] = 7.0
    return np.sum(y * x)


def atleast_1d_same_array(x):
    y = x * 1.0
    z = np.atleast_1d(y)
    z[0] = 7.0
    return np.sum(y * x)


def moveaxis_view_written(A):
    B = A * 1.0
    C = np.moveaxis(B, 0, 1)
    C[0] = 0.0
    return np.sum(B * A)


def squeeze_view_written(A):
    B = A[:1] * 1.0
    C = B.squeeze()
    C *= 2.0
    return np.sum(B * A[0])


def flatten_copies(A):
    B = A * 1.0
    C = B.flatten()
    C[0] = 9.0
    return np.sum(B * A) + np.sum(C ** 2)


def two_names_for_one_array(x):
    a = b = x * 1.0
    a += 1.0
    return np.sum(b * x)


def tuple_unpacked_aliases(x):
    y = x * 1.0
    a, b = y, y
    a[0] = 2.0
    return np.sum(b * x)


def closure_sees_a_later_change(x):
    y = x * 1.0

    def total():
        return np.sum(y * x)
    y[0] = 3.0
    return total()


def helper_writes_its_argument(x):
    y = x * 1.0
    scale_first(y, 3.0)
    return np.sum(y * x)


def scale_first(v, s):
    v[0] *= s


def helper_returns_a_view_of_its_argument(x):
    y = x * 1.0
    head = first_two(y)
    head += 1.0
    return np.sum(y * x)


def first_two(v):
    return v[:2]


def view_kept_across_a_rebinding(x):
    y = x * 1.0
    v = y[1:]
    y = y * 2.0
    v[0] = 0.0
    return np.sum(y * x)


def argument_changed_in_place(x):
    x *= 2.0
    return np.sum(x ** 2)


def argument_row_changed(A, b):
    A[0] += b
    return np.sum(A ** 2)


def np_add_out_overlapping(x):
    y = x * 1.0
    np.add(y[1:], y[:-1], out=y[1:])
    return np.sum(y * x)


def overlapping_slice_plus_equals(x):
    y = x * 1.0
    y[1:] += y[:-1]
    return np.sum(y * x)


def list_append_then_in_place(x):
    h = x * 1.0
    hist = []
    for _ in range(3):
        hist.append(h)
        h += 1.0
    return np.sum(hist[0] * x)


def float64_of_an_array_written(x):
    y = x * 1.0
    z = np.float64(y)
    z[0] = 5.0
    return np.sum(y * x)


def dict_value_rebound_not_changed(x):
    a = x * 1.0
    d = {"a": a}
    d["a"] = d["a"] + 1.0
    return np.sum(a * x) + np.sum(d["a"])


ALIASES = [
    (dict_entry_plus_equals_changes_the_array, (X4,), 0, False),
    (list_item_plus_equals_changes_the_array, (X4,), 0, False),
    (attribute_plus_equals_changes_the_array, (X4,), 0, False),
    (full_slice_is_a_view, (X4,), 0, False),
    (ellipsis_index_is_a_view, (X4,), 0, False),
    (asarray_is_the_same_array, (X4,), 0, False),
    (flip_is_a_view, (X4,), 0, False),
    (reversed_slice_plus_equals, (X4,), 0, False),
    (astype_without_copy, (X4,), 0, False),
    (astype_copies, (X4,), 0, False),
    (real_of_a_real_array, (X4,), 0, False),
    (atleast_1d_same_array, (X4,), 0, False),
    (moveaxis_view_written, (M43,), 0, False),
    (squeeze_view_written, (M43,), 0, False),
    (flatten_copies, (M43,), 0, False),
    (two_names_for_one_array, (X4,), 0, False),
    (tuple_unpacked_aliases, (X4,), 0, False),
    (closure_sees_a_later_change, (X4,), 0, False),
    (helper_writes_its_argument, (X4,), 0, False),
    (helper_returns_a_view_of_its_argument, (X4,), 0, False),
    (view_kept_across_a_rebinding, (X4,), 0, False),
    (argument_changed_in_place, (X4,), 0, False),
    (argument_row_changed, (M43, X3), (0, 1), False),
    (np_add_out_overlapping, (X4,), 0, False),
    (overlapping_slice_plus_equals, (X4,), 0, False),
    (list_append_then_in_place, (X4,), 0, False),
    (dict_value_rebound_not_changed, (X4,), 0, False),
    (float64_of_an_array_written, (X4,), 0, False),
]


# -- numerical algorithms written in place: Gram-Schmidt, LU, Cholesky, Thomas, power iteration --

def centred_and_scaled_in_place(X):
    Z = X.copy()
    Z -= Z.mean(axis=0)
    Z /= Z.std(axis=0)
    return np.sum(Z[:, 0] * Z[:, 1]) + np.sum(Z ** 3)


def argument_standardised_in_place(X):
    X -= X.mean(axis=0)
    X /= np.sqrt((X ** 2).mean(axis=0))
    return np.sum(X[:, 0] * X[:, 2])


def gram_schmidt_classical(A):
    n = A.shape[1]
    Q = np.zeros_like(A)
    for j in range(n):
        v = A[:, j].copy()
        for i in range(j):
            v -= (Q[:, i] @ A[:, j]) * Q[:, i]
        Q[:, j] = v / np.linalg.norm(v)
    return np.sum(Q * np.arange(Q.size).reshape(Q.shape))


def gram_schmidt_modified(A):
    V = A.copy()
    n = V.shape[1]
    for i in range(n):
        V[:, i] /= np.linalg.norm(V[:, i])
        for j in range(i + 1, n):
            V[:, j] -= (V[:, i] @ V[:, j]) * V[:, i]
    return np.sum(V[0] * V[-1]) + V[1, 2]


def lu_in_place(A, b):
    U = A.copy()
    y = b.copy()
    n = len(b)
    for k in range(n - 1):
        f = U[k + 1:, k] / U[k, k]
        U[k + 1:] -= np.outer(f, U[k])
        y[k + 1:] -= f * y[k]
    x = np.zeros(n)
    for k in range(n - 1, -1, -1):
        x[k] = (y[k] - U[k, k + 1:] @ x[k + 1:]) / U[k, k]
    return np.sum(x ** 2)


def cholesky_by_hand(A):
    n = A.shape[0]
    L = np.zeros_like(A)
    for j in range(n):
        L[j, j] = np.sqrt(A[j, j] - np.sum(L[j, :j] ** 2))
        for i in range(j + 1, n):
            L[i, j] = (A[i, j] - np.sum(L[i, :j] * L[j, :j])) / L[j, j]
    return np.sum(np.log(np.diag(L))) + np.sum(L)


def thomas_tridiagonal(diag, rhs):
    n = len(diag)
    a = np.full(n, -1.0)
    c = np.full(n, -1.0)
    cp = np.zeros(n)
    dp = np.zeros(n)
    cp[0] = c[0] / diag[0]
    dp[0] = rhs[0] / diag[0]
    for i in range(1, n):
        m = diag[i] - a[i] * cp[i - 1]
        cp[i] = c[i] / m
        dp[i] = (rhs[i] - a[i] * dp[i - 1]) / m
    x = np.zeros(n)
    x[-1] = dp[-1]
    for i in range(n - 2, -1, -1):
        x[i] = dp[i] - cp[i] * x[i + 1]
    return np.sum(x * np.arange(1.0, n + 1))


def power_iteration_in_place(A):
    S = A @ A.T
    v = np.ones(len(S))
    for _ in range(20):
        v = S @ v
        v /= np.linalg.norm(v)
    return v @ S @ v


def softmax_in_place_out(z):
    e = z * 1.0
    e -= e.max()
    np.exp(e, out=e)
    e /= e.sum()
    return np.sum(e * np.arange(len(e)))


def jacobi_iterations(A, b):
    D = np.diag(A)
    R = A - np.diag(D)
    x = np.zeros_like(b)
    for _ in range(15):
        x[:] = (b - R @ x) / D
    return np.sum(x)


def gauss_seidel_in_place(d, b):
    n = len(b)
    x = np.zeros(n)
    for _ in range(10):
        for i in range(n):
            s = b[i]
            if i > 0:
                s += x[i - 1]
            if i < n - 1:
                s += x[i + 1]
            x[i] = s / d[i]
    return x @ x


def cumulative_in_place_scan(x):
    y = x.copy()
    for i in range(1, len(y)):
        y[i] += 0.5 * y[i - 1]
    return np.sum(np.sin(y))


def argument_scanned_in_place(x):
    for i in range(1, len(x)):
        x[i] = x[i] * x[i - 1] + 1.0
    return np.sum(x)


def broadcast_plus_equals(A, b):
    B = A.copy()
    B += b
    B[:, 0] += b[0] * b[1]
    return np.sum(B ** 2)


def batchnorm_running_stats(x, state):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    state["mean"] *= 0.9
    state["mean"] += 0.1 * mu
    y = (x - mu) / np.sqrt(var + 1e-5)
    return np.sum(y * np.arange(x.shape[1])) + np.sum(state["mean"] ** 2)


def weights_scaled_by_a_median_in_place(x, w):
    r = np.abs(w) + 0.1
    s = np.sum(x * r)
    med = np.median(r, overwrite_input=True)   # (NumPy partitions r in place)
    return s / med


NUMERICS = [
    (centred_and_scaled_in_place, (M43,), 0, False),
    (argument_standardised_in_place, (M43,), 0, False),
    (gram_schmidt_classical, (M43,), 0, False),
    (gram_schmidt_modified, (M43,), 0, False),
    (lu_in_place, (SPD, X3), (0, 1), False),
    (cholesky_by_hand, (SPD,), 0, False),
    (thomas_tridiagonal, (np.array([2.5, 3.0, 2.2, 2.8]), X4), (0, 1), False),
    (power_iteration_in_place, (M3,), 0, False),
    (softmax_in_place_out, (X4,), 0, False),
    (jacobi_iterations, (SPD + 3 * np.eye(3), X3), (0, 1), False),
    (gauss_seidel_in_place, (np.array([3.0, 3.5, 4.0, 3.2]), X4), (0, 1), False),
    (cumulative_in_place_scan, (X4,), 0, False),
    (argument_scanned_in_place, (X4,), 0, False),
    (broadcast_plus_equals, (M43, X3), (0, 1), False),
    (batchnorm_running_stats, (M43, {"mean": np.zeros(3)}), 0, False),
    (weights_scaled_by_a_median_in_place, (X5, X5[::-1].copy()), 0, False),
]


# -- control flow around changes in place: continue, break, early returns, while ----------------

XC = np.array([0.3, -0.5, 0.7, 1.2, -0.1])


def skip_negatives_then_break_on_a_sum(x):
    y = x.copy()
    for i in range(len(y)):
        if y[i] < 0:
            continue
        y[i] *= 2.0
        if np.sum(y[:i + 1]) > 1.0:
            break
    return np.sum(y ** 2)


def scan_with_an_early_return(x):
    y = x.copy()
    for i in range(1, len(y)):
        y[i] += y[i - 1]
        if y[i] > 1.0:
            return np.sum(y[:i] ** 2) + y[i]
    return np.sum(y)


def while_shrinking_with_a_counter_index(x):
    y = x.copy()
    k = 0
    while np.max(np.abs(y)) > 0.1:
        y *= 0.5
        y[k % len(y)] += 0.01
        k += 1
    return np.sum(y) * k


def snapshots_until_a_threshold(x):
    out = []
    h = x.copy()
    for i in range(3):
        h[0] += np.sin(h[1])
        out.append(h.copy())
        if h[0] > 2.0:
            break
    return sum(np.sum(o ** 2) for o in out)


def while_with_a_slice_fill_branch(x):
    y = np.zeros_like(x)
    i = 0
    while i < len(x):
        if x[i] > 0:
            y[i] = x[i] ** 2
        else:
            y[i:] = x[i] * 0.5
        i += 1
    return np.sum(y * x)


def sqrt_or_flip_entry(y, i):
    if y[i] > 0:
        y[i] = np.sqrt(y[i])
        return y
    y[i] = -y[i]
    return y


def helper_with_two_returns_writing_its_argument(x):
    y = x.copy()
    for i in range(len(y)):
        y = sqrt_or_flip_entry(y, i)
    return np.sum(y * x)


def exchange_sort_by_tuple_swaps(x):
    y = x.copy()
    for i in range(len(y)):
        for j in range(i):
            if y[j] > y[i]:
                y[i], y[j] = y[j], y[i]
    return np.sum(y * np.arange(len(y)))


def rows_centred_or_flipped(A):
    B = A.copy()
    for row in B:
        if row.sum() > 0:
            row -= row.mean()
        else:
            row *= -1.0
    return np.sum(B ** 3)


def column_views_shifted(A):
    B = A.copy()
    for j in range(B.shape[1]):
        col = B[:, j]
        m = col.max()
        col -= m
        if j > 0:
            col += B[:, j - 1]
    return np.sum(np.exp(B))


def enumerate_over_the_array_written(x):
    y = x.copy()
    for i, v in enumerate(y):
        y[i] = v * i + (y[i - 1] if i else 0.0)
    return np.sum(y)


def window_sums_reset_in_place(x):
    acc = np.zeros(2)
    for i in range(len(x) - 1):
        acc += x[i:i + 2] * (1 if i % 2 else -1)
        if acc[0] > 1.0:
            acc[:] = 0.0
    return np.sum(acc ** 2)


def argsort_indices_written(x):
    y = x.copy()
    idx = np.argsort(y)
    y[idx[:2]] = 0.0
    y[idx[-1]] *= 3.0
    return np.sum(y * x)


def masks_of_rows_and_columns_written(A):
    B = A.copy()
    B[B < 0] = 0.0
    B[:, B.sum(axis=0) > 1.0] *= 0.5
    return np.sum(B * A)


def smoothed_ends_copied(x):
    y = x.copy()
    y[1:-1] = 0.5 * (y[:-2] + y[2:])
    y[0], y[-1] = y[1], y[-2]
    return np.sum(y ** 2 * x)


CONTROL = [
    (skip_negatives_then_break_on_a_sum, (XC,), 0, False),
    (scan_with_an_early_return, (XC,), 0, False),
    (while_shrinking_with_a_counter_index, (XC,), 0, False),
    (snapshots_until_a_threshold, (XC,), 0, False),
    (while_with_a_slice_fill_branch, (XC,), 0, False),
    (helper_with_two_returns_writing_its_argument, (XC,), 0, False),
    (exchange_sort_by_tuple_swaps, (XC,), 0, False),
    (rows_centred_or_flipped, (M43,), 0, False),
    (column_views_shifted, (M43,), 0, False),
    (enumerate_over_the_array_written, (XC,), 0, False),
    (window_sums_reset_in_place, (XC,), 0, False),
    (argsort_indices_written, (XC,), 0, False),
    (masks_of_rows_and_columns_written, (M43,), 0, False),
    (smoothed_ends_copied, (XC,), 0, False),
]


# -- batched linear algebra, axis tuples, broadcasting matmul -----------------------------------

B3 = rng.normal(size=(2, 3, 3))
SPDB = B3 @ B3.transpose(0, 2, 1) + 3 * np.eye(3)
V23 = rng.normal(size=(2, 3))


def batched_solve(A, v):
    return np.sum(np.linalg.solve(A, v[..., None]) ** 2)


def batched_cholesky_logdet(A):
    return np.sum(np.log(np.diagonal(np.linalg.cholesky(A), axis1=-2, axis2=-1)))


def batched_inverse(A):
    return np.sum(np.linalg.inv(A) * np.arange(18.).reshape(2, 3, 3))


def batched_slogdet(A):
    s, l = np.linalg.slogdet(A)
    return np.sum(l)


def batched_matmul_broadcast(A, M):
    return np.sum(np.matmul(A, M) ** 2) + np.sum(A @ M.T @ A)


def sums_over_axis_tuples(A):
    return np.sum(np.sum(A, axis=(0, 2)) ** 2) + np.sum(np.mean(A, axis=(1,), keepdims=True) * A)


def logsumexp_over_two_axes(A):
    return scipy.special.logsumexp(A, axis=(0, 1)).sum()


def vector_matrix_products(x, M):
    return x @ M @ x + np.sum(M @ x) + np.sum(x @ M)


def einsum_optimized(A):
    return np.sum(np.einsum("bij,bjk->bik", A, A, optimize=True))


def solve_triangular_trans_1(M, V):
    L = np.tril(M) + 3 * np.eye(3)
    return np.sum(scipy.linalg.solve_triangular(L, V.T, lower=True, trans=1) ** 2)


def batched_det(A):
    return np.sum(np.linalg.det(A))


def batched_eigh(A):
    w, U = np.linalg.eigh(A)
    return np.sum(w ** 2) + np.sum(U[..., 0] ** 4)


def matrix_norms_over_a_batch(A):
    return np.sum(np.linalg.norm(A, axis=(1, 2)))


def traces_over_a_batch(A):
    return np.sum(np.trace(A, axis1=1, axis2=2) ** 2)


def swapaxes_gram(A):
    return np.sum(np.swapaxes(A, 1, 2) @ A)


def max_of_a_stack_with_ties(x):
    return np.sum(np.max(np.stack([x, x, x * 0.5]), axis=0))


def stabilised_exp_with_repeated_max(x):
    z = np.concatenate([x, x])
    return np.sum(np.exp(z - z.max()))


def batched_matrix_power(A):
    return np.sum(np.linalg.matrix_power(A, 2) ** 2)


BATCHED = [
    (batched_solve, (SPDB, V23), (0, 1), False),
    (batched_cholesky_logdet, (SPDB,), 0, False),
    (batched_inverse, (SPDB,), 0, False),
    (batched_slogdet, (SPDB,), 0, False),
    (batched_matmul_broadcast, (B3, M3), (0, 1), True),
    (sums_over_axis_tuples, (B3,), 0, True),
    (logsumexp_over_two_axes, (B3,), 0, False),
    (vector_matrix_products, (X3, M3), (0, 1), True),
    (einsum_optimized, (B3,), 0, False),
    (solve_triangular_trans_1, (M3, V23), (0, 1), False),
    (batched_det, (B3,), 0, False),
    (batched_eigh, (SPDB,), 0, False),
    (matrix_norms_over_a_batch, (B3,), 0, False),
    (traces_over_a_batch, (B3,), 0, False),   # (autograd's trace: no axis1)
    (swapaxes_gram, (B3,), 0, False),
    (max_of_a_stack_with_ties, (X3,), 0, False),
    (stabilised_exp_with_repeated_max, (X3,), 0, True),
    (batched_matrix_power, (B3,), 0, False),
]

GROUPS = {"gp": GP, "kalman": KALMAN, "ode": ODE, "rnn": RNN, "attention": ATTENTION,
          "mixture": MIXTURE, "policy": POLICY, "physics": PHYSICS, "unrolled": UNROLLED,
          "models": MODELS, "python": PYTHON, "views": VIEWS, "aliases": ALIASES,
          "numerics": NUMERICS, "control": CONTROL, "batched": BATCHED}


# -- the tests ---------------------------------------------------------------------------------

#: refused with a TransformError at a line of this file: every entry of the function (a name),
#: or the entry differentiated in ``wrt`` ("name/wrt")
REFUSED = {
    "gmm_2d_full_cov/1",
    "mlp_dataclass_replace",
    "sequential_object", "polynomial_and_its_derivative", "try_except_fallback",
    "partial_bound_loss", "closure_counter", "lambda_in_a_dict", "walrus_and_any",
    "transposed_view_written", "transposed_row_plus_equals", "copyto_into_slice",
    "reduction_out", "reshaped_view_plus_equals", "ravel_view_written", "newaxis_view_written",
    "clip_out_in_place", "dict_entry_plus_equals_changes_the_array",
    "list_item_plus_equals_changes_the_array", "attribute_plus_equals_changes_the_array",
    "ellipsis_index_is_a_view", "flip_is_a_view", "astype_without_copy", "real_of_a_real_array",
    "moveaxis_view_written", "list_append_then_in_place", "gram_schmidt_modified",
    "cholesky_by_hand", "helper_with_two_returns_writing_its_argument", "column_views_shifted",
    "gp_nll_solve_overwriting_the_residual",
    "float64_of_an_array_written", "weights_scaled_by_a_median_in_place",
}
#: refused when the code runs: a TypeError naming the line of this file
REFUSED_WHEN_RUN = {"atleast_1d_same_array", "squeeze_view_written",
                    "batchnorm_running_stats"}

PROBE = ProbeTable.of(GROUPS, REFUSED, REFUSED_WHEN_RUN)
PROGRAMS, REFUSALS, BY_NAME = PROBE.programs, PROBE.refusals, PROBE.by_name


def test_every_refusal_is_a_program_here():
    PROBE.check_listed()


@pytest.mark.parametrize("group, f, args, wrt, by_autograd", PROGRAMS, ids=entry_ids(PROGRAMS))
def test_programs(group, f, args, wrt, by_autograd):
    check_program(f, args, wrt, by_autograd)


@pytest.mark.parametrize("group, f, args, wrt, by_autograd", REFUSALS, ids=entry_ids(REFUSALS))
def test_what_is_refused(group, f, args, wrt, by_autograd):
    PROBE.check_refused(f, args, wrt, __file__)


SECOND_ORDER = ["gp_nll_slogdet", "gp_ard", "kalman_by_a_class", "rk4_in_place", "leapfrog",
                "euler_columns_in_place", "adaptive_euler", "causal_attention",
                "gmm_logaddexp_loop", "value_huber", "nbody_forces_loop", "springs_add_at",
                "unrolled_gd_in_place", "newton_inner_solve", "ridge_closed_form_then_val",
                "early_return_inside_a_loop", "while_newton_until_converged",
                "column_plus_equals", "copyto_into_empty", "overlapping_slice_plus_equals",
                "lu_in_place", "thomas_tridiagonal", "softmax_in_place_out",
                "argument_scanned_in_place", "window_sums_reset_in_place", "batched_slogdet"]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivatives(name):
    f, args, wrt, _ = BY_NAME[name]
    assert_hessian(f, *args, wrt=wrt[0] if isinstance(wrt, tuple) else wrt)


#: programs numba compiles (a fallback to Python fails the test)
NUMBA = ["symplectic_euler_in_place_views", "verlet_with_velocity_state", "while_halving",
         "overlapping_slice_plus_equals", "np_add_out_overlapping", "view_kept_across_a_rebinding"]


@pytest.mark.parametrize("name", NUMBA)
def test_numba_backend_agrees(name):
    PROBE.check_numba(name)
