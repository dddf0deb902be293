"""Example: a classifier written the way practitioners write one.

    python examples/spiral_classifier.py      # add --small for fewer steps

The parameters are a dict holding a list of layers, each a dict of its weights;
the forward pass loops over the layers; the loss adds weight decay with a
generator over them; training is a loop of Adam steps over the whole structure.
Nothing is split into separate arrays for adcompile: ``ad.value_and_grad(loss)``
takes the dict and returns the gradient as the same dict. The data are three
interleaved spirals in the plane (no download).
"""

import argparse

import numpy as np
from _common import heading

import adcompile as ad


def spirals(n_per_class=100, classes=3, noise=0.2, seed=0):
    """Points on ``classes`` interleaved spiral arms, with their labels."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for k in range(classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        theta = np.linspace(4.0 * k, 4.0 * (k + 1), n_per_class) + rng.normal(0, noise, n_per_class)
        X.append(np.column_stack([r * np.sin(theta), r * np.cos(theta)]))
        y.append(np.full(n_per_class, k))
    return np.concatenate(X), np.concatenate(y)


def init_params(widths, rng):
    return {"layers": [{"W": rng.normal(0, 1 / np.sqrt(m), (m, n)), "b": rng.normal(0, 0.1, n)}
                       for m, n in zip(widths[:-1], widths[1:])],
            "decay": 1e-4}


def forward(params, X):
    h = X
    for layer in params["layers"][:-1]:
        h = np.maximum(h @ layer["W"] + layer["b"], 0.0)
    last = params["layers"][-1]
    return h @ last["W"] + last["b"]


def loss(params, X, Y):
    """Mean cross-entropy with one-hot labels Y, plus weight decay."""
    logits = forward(params, X)
    m = np.max(logits, axis=1, keepdims=True)
    log_p = logits - m - np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True))
    decay = sum(np.sum(layer["W"] ** 2) for layer in params["layers"])
    return -np.mean(np.sum(Y * log_p, axis=1)) + params["decay"] * decay


def tree_map(f, *trees):
    """Apply ``f`` leaf by leaf to dicts and lists of the same structure."""
    first = trees[0]
    if isinstance(first, dict):
        return {k: tree_map(f, *(t[k] for t in trees)) for k in first}
    if isinstance(first, list):
        return [tree_map(f, *parts) for parts in zip(*trees)]
    return f(*trees)


def adam(params, X, Y, steps, lr=0.02, b1=0.9, b2=0.999, eps=1e-8):
    """``steps`` Adam steps on the layers (the decay stays as it is); returns the params
    and the loss of each step."""
    value_and_grad = ad.value_and_grad(loss)
    m = tree_map(np.zeros_like, params["layers"])
    v = tree_map(np.zeros_like, params["layers"])
    history = []
    for t in range(1, steps + 1):
        value, g = value_and_grad(params, X, Y)
        history.append(value)
        m = tree_map(lambda a, b: b1 * a + (1 - b1) * b, m, g["layers"])
        v = tree_map(lambda a, b: b2 * a + (1 - b2) * b * b, v, g["layers"])
        step = tree_map(lambda a, b: lr * (a / (1 - b1 ** t)) / (np.sqrt(b / (1 - b2 ** t)) + eps),
                        m, v)
        params = dict(params, layers=tree_map(lambda p, s: p - s, params["layers"], step))
    return params, history


def main(small=False):
    X, y = spirals()
    Y = np.eye(3)[y]
    rng = np.random.default_rng(1)
    params = init_params([2, 32, 32, 3], rng)

    heading("The gradient has the structure of the parameters")
    batch = slice(10, 300, 30)   # (away from the origin, where every ReLU has a kink)
    g = ad.grad(loss)(params, X[batch], Y[batch])
    print("layers:", [{k: v.shape for k, v in layer.items()} for layer in g["layers"]],
          "decay:", round(float(g["decay"]), 3))
    small_params = init_params([2, 3, 3], np.random.default_rng(2))
    print(ad.show(loss, args=(small_params, X[:4], Y[:4])))
    ad.check_grad(loss, params, X[batch], Y[batch])
    print("central finite differences agree, leaf by leaf")

    heading("Training with Adam")
    params, history = adam(params, X, Y, steps=300 if small else 1000)
    accuracy = float(np.mean(np.argmax(forward(params, X), axis=1) == y))
    print(f"loss {history[0]:.3f} -> {history[-1]:.3f}, training accuracy {accuracy:.1%}")
    assert accuracy >= 0.9, accuracy
    return history, accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="fewer steps")
    main(parser.parse_args().small)
