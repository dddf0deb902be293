"""Example 3: stochastic gradient descent, with and without replacement.

    python examples/sgd_replacement.py       # add --small for fewer repetitions

Part 1, averaging. The mean of numbers a_1..a_n minimises
f(x) = (1/n) sum_i (x - a_i)^2 / 2. SGD with step 1/k on the component picked at
step k makes x_k the running average of the picked numbers. Sampling *with*
replacement, x_k wanders towards 1/2 with error ~ 1/sqrt(k) and still misses the
sample mean after n steps; sampling *without* replacement (a random order of all
n) lands exactly on the sample mean at step n.

Part 2, least squares in one dimension, f(x) = (1/n) sum_i (a_i x - b_i)^2 / 2.
Component i is minimised at x_i = b_i / a_i; x* lies between the smallest and the
largest x_i, the "region of confusion". Outside it, every component's gradient
points the same way, so SGD starts as fast as full gradient descent; inside, the
components disagree and SGD with a constant step oscillates around x* instead of
converging. A larger step gets in faster and oscillates more; a random order of
all n components per epoch (without replacement) oscillates less than independent
draws.

Every gradient is from adcompile: ad.grad of one component's loss.
"""

import argparse

import numpy as np
from _common import heading, pyplot, savefig, side_by_side

import adcompile as ad


def square_distance(x, a):
    return 0.5 * (x - a) ** 2


def residual_loss(x, a, b):
    return 0.5 * (a * x - b) ** 2


def indices(rng, n, steps, replace):
    """The components SGD visits: independent draws, or one random permutation per epoch."""
    if replace:
        return rng.integers(0, n, size=steps)
    epochs = -(-steps // n)
    return np.concatenate([rng.permutation(n) for _ in range(epochs)])[:steps]


def running_average_sgd(a, order):
    """SGD on f(x) = mean of (x - a_i)^2 / 2 with step 1/k, starting from 0."""
    dx = ad.grad(square_distance)
    x, path = 0.0, []
    for k, i in enumerate(order, 1):
        x = x - (1 / k) * dx(x, a[i])
        path.append(x)
    return np.array(path)


def least_squares_sgd(a, b, x0, step, order):
    dx = ad.grad(residual_loss)
    x, path = x0, [x0]
    for i in order:
        x = x - step * dx(x, a[i], b[i])
        path.append(x)
    return np.array(path)


def part_averaging(rng, runs):
    heading("Part 1: averaging 100 uniform random numbers by SGD")
    side_by_side("""
        f_a(x) = (x - a)^2 / 2


        x_bar = (x - a) f_bar
        so x <- x - (1/k)(x - a)
             = ((k - 1) x + a) / k:
        the running average
        """, ad.show(square_distance, args=(0.0, 0.0)))
    print()
    n = 100
    a = rng.random(n)
    mean = a.mean()
    with_r = np.array([running_average_sgd(a, indices(rng, n, n, True)) for _ in range(runs)])
    without = np.array([running_average_sgd(a, indices(rng, n, n, False)) for _ in range(runs)])
    rms_with = np.sqrt(np.mean((with_r - mean) ** 2, axis=0))
    rms_without = np.sqrt(np.mean((without - mean) ** 2, axis=0))
    print(f"sample mean {mean:.4f} (the numbers are uniform on [0, 1]: expected 1/2)")
    for k in (1, 10, 50, 90, 100):
        print(f"  step {k:3d}: rms distance to the sample mean  with replacement "
              f"{rms_with[k - 1]:.4f}   without {rms_without[k - 1]:.4f}")
    # without replacement, step n has averaged every number exactly once
    np.testing.assert_allclose(without[:, -1], mean, rtol=0, atol=1e-12)
    assert rms_with[-1] > 0.01 and abs(mean - 0.5) < 0.1
    assert np.all(rms_without[50:] < rms_with[50:])
    return a, with_r, without, rms_with, rms_without


def part_least_squares(rng, runs):
    heading("Part 2: SGD on one-dimensional least squares")
    side_by_side("""
        f_i(x) = (a_i x - b_i)^2 / 2


        x_bar = (a_i x - b_i) a_i f_bar
        = 0 at x_i = b_i / a_i
        """, ad.show(residual_loss, args=(0.0, 0.0, 0.0)))
    print()
    n = 20
    a = rng.uniform(0.5, 1.5, size=n)
    b = a * (1 + 0.4 * rng.normal(size=n))
    x_i = b / a
    x_star = (a @ b) / (a @ a)
    lo, hi = x_i.min(), x_i.max()
    print(f"{n} components; x* = {x_star:.3f}; region of confusion [{lo:.3f}, {hi:.3f}]")
    x0, epochs = -8.0, 30
    steps = (0.02, 0.1, 0.4)
    assert max(steps) * (a ** 2).max() <= 1  # each step moves towards one x_i, never past it
    results = {}
    for step in steps:
        for replace in (True, False):
            paths = np.array([
                least_squares_sgd(a, b, x0, step, indices(rng, n, epochs * n, replace))
                for _ in range(runs)])
            results[step, replace] = paths
            entered = np.argmax(paths >= lo, axis=1)
            tail = paths[:, -10 * n:]                       # the last ten epochs
            epoch_ends = paths[:, n * np.arange(epochs // 2, epochs + 1)]
            print(f"  step {step:4}  {'with   ' if replace else 'without'} replacement: "
                  f"enters the region after {np.median(entered):4.0f} steps; then "
                  f"std of x {tail.std():.4f}, rms |x - x*| at epoch ends "
                  f"{np.sqrt(np.mean((epoch_ends - x_star) ** 2)):.4f}")
            # the fast start: outside the region every step moves towards it
            for path, k in zip(paths, entered):
                assert np.all(np.diff(path[:k + 1]) > 0)
                assert np.all((path[k:] >= lo) & (path[k:] <= hi))   # and never leaves it
    # larger steps oscillate more; without replacement, the epoch ends are closer to x*
    spread = {key: paths[:, -10 * n:].std() for key, paths in results.items()}
    for replace in (True, False):
        assert spread[0.02, replace] < spread[0.1, replace] < spread[0.4, replace], spread
    for step in (0.02, 0.1):   # (at step 0.4 both oscillate about as much)
        ends = {r: results[step, r][:, n * np.arange(epochs // 2, epochs + 1)]
                for r in (True, False)}
        rms = {r: np.sqrt(np.mean((e - x_star) ** 2)) for r, e in ends.items()}
        assert rms[False] < rms[True], (step, rms)
    return a, b, x_star, (lo, hi), x0, n, results


def plot(averaging, least_squares):
    plt = pyplot()
    a, with_r, without, rms_with, rms_without = averaging
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    k = np.arange(1, len(a) + 1)
    for j in range(3):
        axes[0].plot(k, with_r[j], color="tab:blue", alpha=0.7, linewidth=1,
                     label="with replacement" if j == 0 else None)
        axes[0].plot(k, without[j], color="tab:orange", alpha=0.7, linewidth=1,
                     label="without replacement" if j == 0 else None)
    axes[0].axhline(0.5, color="black", linestyle="--", linewidth=1, label="1/2")
    axes[0].axhline(a.mean(), color="gray", linestyle=":", linewidth=1, label="sample mean")
    shown = np.concatenate([with_r[:3].ravel(), without[:3].ravel(), [0.5, a.mean()]])
    margin = 0.05 * (shown.max() - shown.min())
    axes[0].set_ylim(shown.min() - margin, shown.max() + margin)   # every curve, whole
    axes[0].set_xlabel("step k")
    axes[0].set_ylabel("$x_k$ (running average)")
    axes[0].set_title("SGD with step 1/k: three runs each")
    axes[0].legend(fontsize=8)
    axes[1].loglog(k, rms_with, label="with replacement")
    axes[1].loglog(k[:-1], rms_without[:-1], label="without replacement")
    axes[1].loglog(k, a.std() / np.sqrt(k), color="gray", linestyle="--",
                   label=r"$\sigma/\sqrt{k}$")
    axes[1].set_xlabel("step k")
    axes[1].set_ylabel("rms distance to the sample mean")
    axes[1].set_title("error over many runs (without: exact at k = n)")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    savefig(fig, "sgd_averaging")

    a, b, x_star, (lo, hi), x0, n, results = least_squares
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    xs = np.linspace(-1, 3, 200)
    for ai, bi in zip(a, b):
        axes[0].plot(xs, 0.5 * (ai * xs - bi) ** 2, color="gray", linewidth=0.6, alpha=0.6)
    axes[0].plot(xs, np.mean(0.5 * (np.outer(xs, a) - b) ** 2, axis=1), color="black",
                 linewidth=2, label="f (the mean)")
    for ax in axes[:2]:
        ax.axvspan(lo, hi, color="tab:red", alpha=0.1, label="region of confusion")
    axes[0].axvline(x_star, color="black", linestyle="--", linewidth=1, label="x*")
    axes[0].set_ylim(0, 3)
    axes[0].set_xlabel("x")
    axes[0].set_title("components $(a_i x - b_i)^2/2$")
    axes[0].legend(fontsize=8, loc="upper center")
    steps_shown = 4 * n
    for step, color in zip((0.1, 0.4), ("tab:blue", "tab:green")):
        axes[1].plot(results[step, True][0, :steps_shown], np.arange(steps_shown), color=color,
                     linewidth=1, label=f"step {step}")
    axes[1].axvline(x_star, color="black", linestyle="--", linewidth=1)
    axes[1].invert_yaxis()
    axes[1].set_xlim(x0 - 0.5, hi + 0.5)
    axes[1].set_xlabel("x")
    axes[1].set_ylabel("SGD step (with replacement)")
    axes[1].set_title("fast start, then confusion")
    axes[1].legend(fontsize=8, loc="lower left")
    total = results[0.1, True].shape[1]
    for (step, replace), paths in sorted(results.items()):
        color = {0.02: "tab:purple", 0.1: "tab:blue", 0.4: "tab:green"}[step]
        err = np.sqrt(np.mean((paths - x_star) ** 2, axis=0))
        axes[2].semilogy(np.arange(total) / n, err, color=color, linestyle="-" if replace else ":",
                         linewidth=1, label=f"step {step}, {'with' if replace else 'without'}")
    axes[2].set_xlabel("epoch")
    axes[2].set_ylabel("rms $|x_k - x^*|$ over runs")
    axes[2].set_title("step size and sampling")
    axes[2].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    savefig(fig, "sgd_least_squares")


def main(small=False):
    averaging = part_averaging(np.random.default_rng(0), 100 if small else 400)
    least_squares = part_least_squares(np.random.default_rng(1), 20 if small else 100)
    plot(averaging, least_squares)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="fewer repetitions")
    main(parser.parse_args().small)
