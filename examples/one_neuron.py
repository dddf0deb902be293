"""Example 2: one-neuron regression, and the bar equations adcompile writes for it.

    python examples/one_neuron.py            # add --small for a shorter training run

The model predicts v * sigma(w . x) and the loss of one example (x, y) is

    l = 1/2 (y - v sigma(w^T x))^2.

Named intermediates z = w^T x, h = sigma(z), e = y - v h give the lecture's
backward pass (a_bar = dl/da):

    e_bar = e                  (l = e^2 / 2)
    v_bar = -e_bar h           (e = y - v h)
    h_bar = -e_bar v
    z_bar = h_bar h (1 - h)    (sigma' = sigma (1 - sigma))
    w_bar = z_bar x            (z = w^T x)

The example prints the adjoint adcompile generates next to these equations, runs
the generated statements and checks that each named adjoint has the lecture's
value, then trains the neuron by stochastic gradient descent with those gradients.
"""

import argparse

import numpy as np
from _common import generated_locals, heading, pyplot, savefig, side_by_side

import adcompile as ad


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def loss(w, v, x, y):
    z = w @ x
    h = sigmoid(z)
    e = y - v * h
    return 0.5 * e ** 2


def mean_loss(w, v, X, Y):
    """The average loss over a data set (not differentiated; for reporting)."""
    return float(np.mean(0.5 * (Y - v * sigmoid(X @ w)) ** 2))


# The lecture's equations, each on the line of the generated statement(s) that
# compute it (the generated code names the loss's 1/2 factor and the minus sign of
# e = y - v h as temporaries t3_bar, t4_bar, and spells sigma' out in three steps).
DERIVATION = """
l_bar = 1 (out_bar)

z = w^T x
h = sigma(z) = 1 / (1 + exp(-z))


e = y - v h
(1/2) e^2:      l_bar / 2
e_bar = e
(-v h):         -e_bar
h_bar = -e_bar v
z_bar = h_bar sigma'(z)
      = h_bar h (1 - h)

w_bar = z_bar x
v_bar = -e_bar h
"""


def make_data(rng, n, w_true, v_true, noise):
    X = rng.normal(size=(n, len(w_true)))
    Y = v_true * sigmoid(X @ w_true) + noise * rng.normal(size=n)
    return X, Y


def sgd(X, Y, w, v, epochs, lr, rng):
    """Plain SGD, one example per step, a fresh random order each epoch."""
    dloss = ad.grad(loss, wrt=("w", "v"))
    history = [mean_loss(w, v, X, Y)]
    for _ in range(epochs):
        for i in rng.permutation(len(Y)):
            w_bar, v_bar = dloss(w, v, X[i], Y[i])
            w = w - lr * w_bar
            v = v - lr * v_bar
        history.append(mean_loss(w, v, X, Y))
    return w, v, history


def main(small=False):
    rng = np.random.default_rng(0)
    x, y = np.array([0.5, -1.0, 2.0]), 1.5
    w, v = np.array([0.3, 0.2, -0.1]), 0.8

    heading("The generated adjoint of l = 1/2 (y - v sigma(w^T x))^2")
    code = ad.show(loss, wrt=("w", "v"), args=(w, v, x, y))
    side_by_side(DERIVATION, code, titles=("lecture", "ad.show(loss, wrt=('w', 'v'), args=...)"))

    # Run the generated statements and compare each named adjoint with its equation.
    bars = generated_locals(loss, ("w", "v"), (w, v, x, y))
    z = w @ x
    h = sigmoid(z)
    e = y - v * h
    lecture = {"e_bar": e, "v_bar": -e * h, "h_bar": -e * v,
               "z_bar": -e * v * h * (1 - h), "w_bar": -e * v * h * (1 - h) * x}
    print("\nThe generated code's adjoints against the lecture's equations at one example:")
    for name, expected in lecture.items():
        got = bars[name]
        print(f"  {name:6} generated {np.array2string(np.asarray(got), precision=6):>38}"
              f"   lecture {np.array2string(np.asarray(expected), precision=6)}")
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    ad.check_grad(loss, w, v, x, y, wrt=("w", "v"))
    print("all five equal; central finite differences agree")
    print("(the three statements for z_bar give -(-h_bar h / t2) t1 = h_bar h (1 - h),"
          " since t1 / t2 = exp(-z) / (1 + exp(-z)) = 1 - h)")

    heading("Training by SGD")
    w_true, v_true, noise = np.array([1.5, -2.0, 0.5]), 3.0, 0.05
    X, Y = make_data(rng, 200 if small else 400, w_true, v_true, noise)
    epochs = 25 if small else 40
    w0, v0 = 0.1 * rng.normal(size=3), 1.0
    w_fit, v_fit, history = sgd(X, Y, w0, v0, epochs, lr=0.02, rng=rng)
    for epoch in (0, 1, 2, 5, 10, 20, epochs):
        if epoch <= epochs and (epoch < epochs or epoch != 20):
            print(f"  epoch {epoch:3d}   mean loss {history[epoch]:.5f}")
    print(f"  learned w = {np.round(w_fit, 3)}, v = {v_fit:.3f}"
          f"   (data made with w = {w_true}, v = {v_true}, noise {noise})")
    # The loss of the generating parameters is noise^2 / 2; SGD gets close to it.
    assert history[-1] < 0.01 * history[0], history
    assert history[-1] < 2 * (0.5 * noise ** 2) + 1e-3, history[-1]
    np.testing.assert_allclose(w_fit, w_true, atol=0.3)
    np.testing.assert_allclose(v_fit, v_true, atol=0.3)

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.semilogy(history, marker="o", markersize=3)
    ax.axhline(0.5 * noise ** 2, color="gray", linestyle="--", label="noise level  $\\sigma^2/2$")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean loss")
    ax.set_title("one neuron, SGD with adcompile gradients")
    ax.legend()
    fig.tight_layout()
    savefig(fig, "one_neuron_loss")
    return history


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a shorter training run")
    main(parser.parse_args().small)
