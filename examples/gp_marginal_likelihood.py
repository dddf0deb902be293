"""Example: a Gaussian process's hyperparameters fitted by the gradient of its log marginal
likelihood, written with SciPy's log-densities.

    python examples/gp_marginal_likelihood.py     # add --small for fewer steps (needs SciPy)

Noisy samples y of a smooth function at points x are modelled as y ~ N(0, K), with the
squared-exponential kernel K[i, j] = s^2 exp(-(x_i - x_j)^2 / (2 l^2)) + n^2 [i == j].
The hyperparameters theta = (log l, log s, log n) are fitted by maximising

    log p(y | theta) + log p(theta),

the first term ``scipy.stats.multivariate_normal.logpdf(y, mean, K)``, the second a
``scipy.stats.norm.logpdf`` prior on theta. adcompile differentiates both calls where the
function makes them (it has rules for them; it never reads SciPy's source), and the
example checks the gradient against central finite differences before climbing it.
"""

import argparse

import numpy as np

import adcompile as ad

try:
    from scipy.stats import multivariate_normal, norm
except ImportError:   # SciPy is optional for adcompile, needed here
    multivariate_normal = norm = None


def kernel(theta, x):
    lengthscale, signal, noise = np.exp(theta[0]), np.exp(theta[1]), np.exp(theta[2])
    d = x[:, None] - x[None, :]
    return signal ** 2 * np.exp(-0.5 * d * d / lengthscale ** 2) + noise ** 2 * np.eye(len(x))


def log_posterior(theta, x, y):
    K = kernel(theta, x)
    evidence = multivariate_normal.logpdf(y, np.zeros(len(y)), K)
    prior = np.sum(norm.logpdf(theta, 0.0, 2.0))
    return evidence + prior


def finite_differences(f, theta, *args, h=1e-6):
    steps = np.eye(len(theta)) * h
    return np.array([(f(theta + e, *args) - f(theta - e, *args)) / (2 * h) for e in steps])


def main(small=False):
    if multivariate_normal is None:
        raise SystemExit("this example needs SciPy: pip install 'adcompile[scipy]'")
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(-3.0, 3.0, 25 if small else 60))
    y = np.sin(1.5 * x) + 0.1 * rng.normal(size=x.shape)
    grad = ad.grad(log_posterior)
    theta = np.array([1.0, -1.0, 0.0])          # a long lengthscale, much noise: a poor start
    g = grad(theta, x, y)
    error = np.max(np.abs(g - finite_differences(log_posterior, theta, x, y)))
    print(f"gradient at the start: {np.round(g, 4)}; |adcompile - finite differences| = "
          f"{error:.1e}")
    start = log_posterior(theta, x, y)
    for _ in range(60 if small else 200):       # gradient ascent with a decaying step
        g = grad(theta, x, y)
        theta = theta + 0.5 * g / (1.0 + np.linalg.norm(g))
    end = log_posterior(theta, x, y)
    lengthscale, signal, noise = np.exp(theta)
    print(f"log posterior {start:.2f} -> {end:.2f}; lengthscale {lengthscale:.2f}, "
          f"signal {signal:.2f}, noise {noise:.3f} (the data's noise is 0.1)")
    return (start, end, error, noise)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="fewer points and steps")
    main(small=parser.parse_args().small)
