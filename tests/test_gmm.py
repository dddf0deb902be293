"""The GMM benchmark workload (ADBench's objective): its value against a plain loop, and
adcompile's gradient against the hand-written one and central finite differences."""

import math
import os
import sys

import numpy as np
import pytest
from conftest import numerical_grad

import adcompile as ad

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "benchmarks")
sys.path.insert(0, BENCHMARKS)
import workloads

sys.path.remove(BENCHMARKS)

SMALL = {"d": 3, "k": 4, "n": 20}


def gmm_objective_loops(alphas, means, icf, x, gamma, m):
    """The objective one point, one component and one matrix entry at a time."""
    n, d = x.shape
    k = len(alphas)
    total = 0.0
    Qs = []
    for c in range(k):
        Q = np.zeros((d, d))
        position = d
        for col in range(d):
            Q[col, col] = math.exp(icf[c, col])
            for row in range(col + 1, d):
                Q[row, col] = icf[c, position]
                position += 1
        Qs.append(Q)
    log_weights = [a - math.log(sum(math.exp(b) for b in alphas)) for a in alphas]
    for i in range(n):
        # log sum_c weight_c N(x_i | mu_c, (Q_c^T Q_c)^-1), each term in full
        terms = []
        for c in range(k):
            y = Qs[c] @ (x[i] - means[c])
            log_det_precision = 2 * sum(math.log(Qs[c][j, j]) for j in range(d))
            terms.append(log_weights[c] - 0.5 * d * math.log(2 * math.pi)
                         + 0.5 * log_det_precision - 0.5 * float(y @ y))
        top = max(terms)
        total -= top + math.log(sum(math.exp(t - top) for t in terms))
    # the Wishart density on each precision P = Q^T Q, scale V = I / gamma^2, nu degrees
    nu = d + m + 1
    log_multigamma = 0.25 * d * (d - 1) * math.log(math.pi) + sum(
        math.lgamma(0.5 * nu - 0.5 * j) for j in range(d))
    for Q in Qs:
        P = Q.T @ Q
        log_det_V = -2 * d * math.log(gamma)
        log_density = (0.5 * (nu - d - 1) * np.linalg.slogdet(P)[1]
                       - 0.5 * gamma ** 2 * np.trace(P)
                       - 0.5 * nu * d * math.log(2) - 0.5 * nu * log_det_V - log_multigamma)
        total -= log_density
    return total


def args(seed, gamma=1.0, m=0):
    alphas, means, icf, x, _, _ = workloads.gmm_args(**SMALL, seed=seed)
    return alphas, means, icf, x, gamma, m


@pytest.mark.parametrize("seed, gamma, m", [(0, 1.0, 0), (1, 0.7, 2), (2, 1.3, 5)])
def test_objective_matches_loops(seed, gamma, m):
    a = args(seed, gamma, m)
    assert workloads.gmm_objective(*a) == pytest.approx(gmm_objective_loops(*a), rel=1e-12)


def test_benchmark_size_matches_loops():
    # the benchmark's own arguments (d=10, k=25, n=1000) once
    a = workloads.gmm_args()
    assert workloads.gmm_objective(*a) == pytest.approx(gmm_objective_loops(*a), rel=1e-12)


@pytest.mark.parametrize("seed, gamma, m", [(0, 1.0, 0), (1, 0.7, 2), (3, 1.3, 5)])
def test_gradients(seed, gamma, m):
    a = args(seed, gamma, m)
    got = ad.grad(workloads.gmm_objective, wrt=(0, 1, 2))(*a)
    hand = workloads.gmm_hand_grad(*a)
    for i, g, h in zip((0, 1, 2), got, hand):
        assert g.shape == h.shape == a[i].shape
        np.testing.assert_allclose(g, h, rtol=1e-10, atol=1e-12)
        numeric = numerical_grad(workloads.gmm_objective, a, i)
        np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(h, numeric, rtol=1e-6, atol=1e-6)


def test_hand_grad_against_loops_by_differences():
    # the hand-written gradient against differences of the loop version (no shared code)
    a = args(4, 0.9, 1)
    hand = workloads.gmm_hand_grad(*a)
    for i, h in zip((0, 1, 2), hand):
        np.testing.assert_allclose(h, numerical_grad(gmm_objective_loops, a, i),
                                   rtol=1e-6, atol=1e-6)
