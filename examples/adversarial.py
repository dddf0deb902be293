"""Example 5: adversarial inputs for the digits network.

    python examples/adversarial.py           # add --small to train the network for fewer epochs

The gradient of the loss with respect to the *input*, dL/dx, comes from the same
single backward sweep as the weight gradients: it only runs one step further,
x_bar = A_bar W1^T. Climbing it, x <- x + alpha dL/dx / ||dL/dx|| (staying in
the pixel range [0, 1]), makes the network's loss on the true label grow; after a
handful of steps the predicted digit changes, while the image has changed by a
small fraction of its norm. The figure shows, for a few test images, the original
with its prediction, the perturbation, the result with its prediction, and the
predicted probabilities before and after.
"""

import argparse

import digits_mlp
import numpy as np
from _common import heading, pyplot, savefig

import adcompile as ad

mlp_loss = digits_mlp.mlp_loss
probabilities = digits_mlp.probabilities


def attack(params, x, label, step=0.05, max_steps=100, confidence=0.5):
    """Normalised gradient ascent on the loss of the true label, on one image ``x`` (64,).

    Stops once another digit is predicted with probability above ``confidence``.
    Returns the perturbed image and the number of steps taken."""
    dL_dx = ad.grad(mlp_loss, wrt="X")
    Y = np.eye(10)[[label]]
    x_adv = x.copy()
    for steps in range(1, max_steps + 1):
        g = dL_dx(*params, x_adv[None, :], Y)[0]          # one backward sweep
        x_adv = np.clip(x_adv + step * g / np.linalg.norm(g), 0.0, 1.0)
        p = probabilities(params, x_adv[None, :])[0]
        if np.argmax(p) != label and p.max() > confidence:
            break
    return x_adv, steps


def plot(rows):
    plt = pyplot()
    fig, axes = plt.subplots(len(rows), 4, figsize=(9, 2.2 * len(rows)),
                             gridspec_kw={"width_ratios": [1, 1, 1, 1.6]})
    for ax_row, (x, x_adv, p, p_adv) in zip(axes, rows):
        delta = x_adv - x
        scale = np.abs(delta).max()
        ax_row[0].imshow(x.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax_row[0].set_title(f"original: {p.argmax()} ({p.max():.0%})", fontsize=9)
        image = ax_row[1].imshow(delta.reshape(8, 8), cmap="RdBu_r", vmin=-scale, vmax=scale)
        ax_row[1].set_title(f"perturbation (max {scale:.2f})", fontsize=9)
        colorbar = fig.colorbar(image, ax=ax_row[1], fraction=0.046, pad=0.04)
        colorbar.ax.tick_params(labelsize=7)   # pixel change, on the [0, 1] pixel scale
        ax_row[2].imshow(x_adv.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax_row[2].set_title(f"result: {p_adv.argmax()} ({p_adv.max():.0%})", fontsize=9)
        for ax in ax_row[:3]:
            ax.set_xticks([])
            ax.set_yticks([])
        digits = np.arange(10)
        ax_row[3].bar(digits - 0.2, p, width=0.4, label="original")
        ax_row[3].bar(digits + 0.2, p_adv, width=0.4, label="perturbed")
        ax_row[3].set_xticks(digits)
        ax_row[3].set_ylim(0, 1)
        ax_row[3].set_ylabel("probability", fontsize=8)
        ax_row[3].tick_params(labelsize=8)
    axes[0][3].legend(fontsize=8)
    fig.suptitle("gradient ascent on the input flips the prediction", fontsize=11)
    fig.tight_layout()
    savefig(fig, "adversarial")


def main(small=False):
    heading("dL/dx: the same backward sweep, one statement further")
    rng = np.random.default_rng(0)
    example = digits_mlp.init(rng) + (rng.random((1, 64)), np.eye(10)[[3]])
    print(ad.show(mlp_loss, wrt="X", args=example))
    ad.check_grad(mlp_loss, *example, wrt="X")
    print("central finite differences agree")

    heading("Training the digits network (example 4)")
    params, (_, X_test, _, y_test), _ = digits_mlp.train(epochs=20 if small else 40)
    print(f"test accuracy {digits_mlp.accuracy(params, X_test, y_test):.1%}")

    heading("Attacking test images")
    P_test = probabilities(params, X_test)
    correct = np.flatnonzero(P_test.argmax(axis=1) == y_test)
    n_attacks = 20 if small else 100
    rows, changes, flipped = [], [], 0
    for k in correct[:n_attacks]:
        x, label = X_test[k], y_test[k]
        x_adv, steps = attack(params, x, label)
        p, p_adv = P_test[k], probabilities(params, x_adv[None, :])[0]
        change = np.linalg.norm(x_adv - x) / np.linalg.norm(x)
        if p_adv.argmax() != label:
            flipped += 1
            changes.append(change)
        if len(rows) < 4 and p_adv.argmax() != label and p.max() > 0.9 and steps > 3:
            rows.append((x, x_adv, p, p_adv))
            print(f"  test image {k}: {label} ({p.max():.0%}) -> {p_adv.argmax()} "
                  f"({p_adv.max():.0%}) after {steps} steps; ||dx|| / ||x|| = {change:.1%}, "
                  f"largest pixel change {np.abs(x_adv - x).max():.2f} of 1")
    median = float(np.median(changes))
    print(f"{flipped} of {min(n_attacks, len(correct))} correctly classified test images flipped "
          f"(to > 50% on another digit); median ||dx|| / ||x|| = {median:.1%}")
    assert len(rows) == 4
    for x, x_adv, p, p_adv in rows:       # the flips shown in the figure
        assert p_adv.argmax() != p.argmax() and p_adv.max() > 0.5
        assert np.linalg.norm(x_adv - x) < 0.35 * np.linalg.norm(x)
    assert flipped >= 0.9 * min(n_attacks, len(correct)), flipped
    assert median < 0.25, median
    plot(rows)
    return flipped, median


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="train the network for fewer epochs")
    main(parser.parse_args().small)
