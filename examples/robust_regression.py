"""Example: a straight line fitted through data with outliers by a Student-t likelihood,
its scale and degrees of freedom learned too, written with SciPy's log-densities.

    python examples/robust_regression.py     # add --small for fewer points and steps (needs SciPy)

Points y = 1.5 + 0.8 x + noise, a tenth of them thrown far off. Least squares is pulled
by the outliers; the model y ~ t(df, loc = a + b x, scale = s) gives them heavy tails
instead. The parameters theta = (a, b, log s, log df) are fitted by maximising

    sum scipy.stats.t.logpdf(y, df, a + b x, s) + scipy.stats.gamma.logpdf(df, 2, scale=10)
        + sum scipy.stats.norm.logpdf((a, b), 0, 10),

a Gamma prior on df and wide normal priors on the line. adcompile differentiates the three
calls where the function makes them (with respect to every argument of t.logpdf, df
included); the example checks the gradient against central finite differences first.
"""

import argparse

import numpy as np

import adcompile as ad

try:
    from scipy.stats import gamma, norm, t
except ImportError:   # SciPy is optional for adcompile, needed here
    gamma = norm = t = None


def log_posterior(theta, x, y):
    line = theta[0] + theta[1] * x
    scale, df = np.exp(theta[2]), np.exp(theta[3])
    likelihood = np.sum(t.logpdf(y, df, line, scale))
    prior = gamma.logpdf(df, 2.0, scale=10.0) + np.sum(norm.logpdf(theta[:2], 0.0, 10.0))
    return likelihood + prior


def finite_differences(f, theta, *args, h=1e-6):
    steps = np.eye(len(theta)) * h
    return np.array([(f(theta + e, *args) - f(theta - e, *args)) / (2 * h) for e in steps])


def main(small=False):
    if t is None:
        raise SystemExit("this example needs SciPy: pip install 'adcompile[scipy]'")
    rng = np.random.default_rng(1)
    n = 60 if small else 200
    x = rng.uniform(-3.0, 3.0, n)
    y = 1.5 + 0.8 * x + 0.3 * rng.normal(size=n)
    far = rng.choice(n, n // 10, replace=False)
    y[far] += rng.uniform(5.0, 10.0, len(far)) * np.sign(x[far])   # outliers, all one way
    least_squares = np.polyfit(x, y, 1)[::-1]                       # (intercept, slope)

    grad = ad.grad(log_posterior)
    theta = np.array([least_squares[0], least_squares[1], 0.0, np.log(5.0)])
    g = grad(theta, x, y)
    error = np.max(np.abs(g - finite_differences(log_posterior, theta, x, y)))
    print(f"gradient at the start: {np.round(g, 3)}; |adcompile - finite differences| = "
          f"{error:.1e}")
    start = log_posterior(theta, x, y)
    for step in range(300 if small else 600):   # gradient ascent, normalised steps
        g = grad(theta, x, y)
        theta = theta + 0.05 * g / (1.0 + np.linalg.norm(g)) * (1.0 if step < 200 else 0.3)
    end = log_posterior(theta, x, y)
    print(f"log posterior {start:.1f} -> {end:.1f}")
    print(f"slope: least squares {least_squares[1]:.3f}, Student-t {theta[1]:.3f} (true 0.8); "
          f"t scale {np.exp(theta[2]):.2f}, df {np.exp(theta[3]):.2f} (heavy tails for the "
          f"outliers)")
    return start, end, error, least_squares[1], theta[1]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="fewer points and steps")
    main(small=parser.parse_args().small)
