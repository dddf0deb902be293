"""Example 8: Newton-CG with Hessian-vector products, on logistic regression.

    python examples/newton_cg.py             # add --small for smaller problems

Newton's method solves H p = -g for its step. Conjugate gradients (CG) solves it
using only products H v, never H itself, and a Hessian-vector product is the
derivative of the gradient along v: forward mode over the reverse-mode gradient,

    hvp = ad.jvp(ad.grad(loss, wrt="w"), wrt="w"),    hvp(w, X, y, lam, v) -> (g, H v),

which costs a small constant times one evaluation of the loss, whatever the
dimension d. The dense Hessian (ad.hessian) costs d of them. The example checks
the products against the dense Hessian (and the closed form X^T diag(p(1-p)) X / n
+ lam I) on a small problem, runs Newton-CG to a gradient norm of 1e-10, and
times both as d grows.
"""

import argparse
import time

import numpy as np
from _common import best_time, heading, pyplot, savefig

import adcompile as ad


def logistic_loss(w, X, y, lam):
    """Mean logistic loss of labels y in {-1, +1}, plus an L2 penalty."""
    z = X @ w
    return np.mean(np.log(1 + np.exp(-y * z))) + 0.5 * lam * np.sum(w * w)


gradient = ad.grad(logistic_loss, wrt="w")
hvp = ad.jvp(gradient, wrt="w")           # (w, X, y, lam, v) -> (gradient, H v)
hessian = ad.hessian(logistic_loss, wrt="w")


def closed_form_hessian(w, X, y, lam):
    """X^T diag(p (1 - p)) X / n + lam I, for checking only."""
    p = 1 / (1 + np.exp(-y * (X @ w)))
    return (X.T * (p * (1 - p))) @ X / len(y) + lam * np.eye(len(w))


def conjugate_gradients(apply_H, b, tol, max_iter):
    """Solve H p = b with products by H only; returns p and the number of products."""
    p = np.zeros_like(b)
    r = b.copy()
    d = r.copy()
    rr = r @ r
    for k in range(1, max_iter + 1):
        Hd = apply_H(d)
        alpha = rr / (d @ Hd)
        p += alpha * d
        r -= alpha * Hd
        rr_new = r @ r
        if np.sqrt(rr_new) <= tol:
            return p, k
        d = r + (rr_new / rr) * d
        rr = rr_new
    return p, max_iter


def newton_cg(X, y, lam, tol=1e-10, max_newton=30):
    """Newton's method, each step solved by CG with Hessian-vector products (a
    truncated Newton method: CG stops early while the gradient is still large).

    Returns the solution, the gradient norm at each Newton step and the number of
    sweeps (gradients and Hessian-vector products) spent up to each step."""
    w = np.zeros(X.shape[1])
    norms, work, products = [], [], 0
    for _ in range(max_newton):
        g = gradient(w, X, y, lam)
        norms.append(np.linalg.norm(g))
        work.append(len(norms) + products)      # gradients and products so far
        if norms[-1] < tol:
            break
        forcing = min(0.5, np.sqrt(norms[-1])) * norms[-1]
        step, used = conjugate_gradients(lambda v, w=w: hvp(w, X, y, lam, v)[1], -g, forcing,
                                         max_iter=10 * len(w))
        products += used
        t, f0 = 1.0, logistic_loss(w, X, y, lam)
        while logistic_loss(w + t * step, X, y, lam) > f0 + 1e-4 * t * (g @ step):
            t /= 2                                             # backtracking (rarely needed)
        w = w + t * step
    return w, norms, work


def gradient_descent(X, y, lam, steps):
    """For comparison: gradient descent with step 1/L, L a bound on the Hessian's norm."""
    L = np.linalg.norm(X, 2) ** 2 / (4 * len(y)) + lam
    w = np.zeros(X.shape[1])
    norms = []
    for _ in range(steps):
        g = gradient(w, X, y, lam)
        norms.append(np.linalg.norm(g))
        w = w - g / L
    return norms


def make_problem(rng, n, d):
    """Features on scales from 0.1 to 10 (an ill-conditioned problem), noisy labels."""
    X = rng.normal(size=(n, d)) * np.logspace(-1, 1, d)
    w_true = rng.normal(size=d) / np.logspace(-1, 1, d) / np.sqrt(d)
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-X @ w_true)), 1.0, -1.0)
    return X, y


def part_small(rng):
    heading("Hessian-vector products against the dense Hessian (d = 5)")
    print("H v = d/de grad f(w + e v) at e = 0: forward mode applied to the generated gradient.")
    print("Each statement of the gradient code is followed by its tangent (the _dot lines);")
    print("w_bar is the gradient g and w_bar_dot is H v:\n")
    print(hvp.source)
    X, y = make_problem(rng, 40, 5)
    lam, w, v = 0.1, rng.normal(size=5), rng.normal(size=5)
    g, Hv = hvp(w, X, y, lam, v)
    H = hessian(w, X, y, lam)
    np.testing.assert_allclose(g, gradient(w, X, y, lam), rtol=1e-12)
    np.testing.assert_allclose(H, closed_form_hessian(w, X, y, lam), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(Hv, H @ v, rtol=1e-10, atol=1e-14)
    print(f"H v from one forward-over-reverse sweep: {np.round(Hv, 6)}")
    print(f"dense ad.hessian(...) @ v:               {np.round(H @ v, 6)}")
    # Newton-CG takes the steps of Newton's method with the dense Hessian
    w_cg, norms, work = newton_cg(X, y, lam)
    w_dense = np.zeros(5)
    for _ in range(len(norms) - 1):
        w_dense = w_dense - np.linalg.solve(hessian(w_dense, X, y, lam), gradient(w_dense, X, y, lam))
    np.testing.assert_allclose(w_cg, w_dense, rtol=1e-8, atol=1e-10)
    print(f"Newton-CG ({len(norms) - 1} steps, {work[-1] - len(norms)} products) reaches the "
          f"minimiser that Newton with the dense Hessian reaches: "
          f"|w_cg - w_dense| = {np.abs(w_cg - w_dense).max():.1e}")


def part_large(rng, n, d):
    heading(f"Newton-CG on logistic regression, n = {n}, d = {d}")
    X, y = make_problem(rng, n, d)
    lam = 1e-3
    start = time.perf_counter()
    _, norms, work = newton_cg(X, y, lam)
    elapsed = time.perf_counter() - start
    for k, g in enumerate(norms):
        print(f"  Newton step {k:2d}: |gradient| = {g:.2e}")
    print(f"{len(norms) - 1} Newton steps, {work[-1] - len(norms)} Hessian-vector products, "
          f"{elapsed:.2f} s")
    assert norms[-1] < 1e-10 and len(norms) <= 20, norms
    sweeps = work[-1]
    gd = gradient_descent(X, y, lam, sweeps)
    print(f"gradient descent with as many sweeps ({sweeps} gradients): |gradient| = {gd[-1]:.2e}")
    assert gd[-1] > 1e3 * norms[-1]
    return (work, norms), gd


def part_cost(rng, n, sizes):
    heading(f"Cost as d grows (n = {n}): one H v product against the dense Hessian")
    print(f"{'d':>6} {'loss':>10} {'gradient':>10} {'H v':>10} {'Hessian':>10}"
          "   H v / loss   Hessian / loss")
    rows = []
    for d in sizes:
        X, y = make_problem(rng, n, d)
        w, v, lam = rng.normal(size=d) * 0.1, rng.normal(size=d), 1e-3
        t_f = best_time(logistic_loss, (w, X, y, lam), number=3)
        t_g = best_time(gradient, (w, X, y, lam), number=3)
        t_hv = best_time(hvp, (w, X, y, lam, v), number=3)
        t_h = best_time(hessian, (w, X, y, lam), repeat=2, number=1)
        rows.append((d, t_f, t_g, t_hv, t_h))
        print(f"{d:>6} {t_f * 1e3:>8.3f}ms {t_g * 1e3:>8.3f}ms {t_hv * 1e3:>8.3f}ms "
              f"{t_h * 1e3:>8.1f}ms {t_hv / t_f:>12.1f} {t_h / t_f:>16.0f}")
    rows = np.array(rows)
    hv_ratio, h_ratio = rows[:, 3] / rows[:, 1], rows[:, 4] / rows[:, 1]
    # a product costs a few evaluations of the loss at every size; the Hessian, d of them
    assert np.all(hv_ratio < 20), hv_ratio
    assert h_ratio[-1] > 4 * h_ratio[0], h_ratio
    return rows


def plot(newton, gd, rows):
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    work, norms = newton
    axes[0].semilogy(work, norms, marker="o", label="Newton-CG (a dot per Newton step)")
    axes[0].semilogy(np.arange(1, len(gd) + 1), gd, label="gradient descent, step 1/L")
    axes[0].set_xlabel("sweeps (gradients + Hessian-vector products)")
    axes[0].set_ylabel("|gradient|")
    axes[0].set_title("convergence on logistic regression")
    axes[0].legend(fontsize=8)
    d = rows[:, 0]
    axes[1].loglog(d, rows[:, 4] / rows[:, 1], marker="o", label="dense Hessian (ad.hessian)")
    axes[1].loglog(d, rows[:, 3] / rows[:, 1], marker="o", label="one H v (jvp of grad)")
    axes[1].loglog(d, rows[:, 2] / rows[:, 1], marker="o", label="gradient (ad.grad)")
    axes[1].set_xlabel("d (number of parameters)")
    axes[1].set_ylabel("time / time of the loss")
    axes[1].set_title("cost in evaluations of the loss")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    savefig(fig, "newton_cg")


def main(small=False):
    rng = np.random.default_rng(0)
    part_small(rng)
    newton, gd = part_large(rng, 1000 if small else 2000, 50 if small else 100)
    rows = part_cost(rng, 1000, [10, 40, 160] if small else [10, 20, 40, 80, 160, 320])
    plot(newton, gd, rows)
    return newton[1], rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="smaller problems")
    main(parser.parse_args().small)
