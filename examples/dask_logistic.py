"""Logistic regression on a Dask cluster, with adcompile's gradient code run on Dask arrays.

    pip install 'dask[distributed]'      # (or pip install -e '.[dask]')
    python examples/dask_logistic.py

The data set, ``n`` rows in chunks of ``chunk`` rows (several chunks), is made and kept
on a ``distributed.LocalCluster`` of two worker processes. adcompile differentiates the
full-data loss once, as it would for NumPy arrays; called with Dask arrays, the generated
code builds a Dask graph of the forward and backward sweeps (nothing runs yet), which the
workers compute chunk by chunk when the gradient is asked for: the rows' contributions to
``X.T @ r`` are summed across chunks by Dask. The workers need only Dask and NumPy: the
generated code runs on the client, where it builds the graph.

Before fitting, the gradient computed on the cluster is checked against the same code run
by NumPy on the same data, and against the closed form ``X.T (sigmoid(X w) - y) / n``.
"""

import sys
import time

import numpy as np

import adcompile as ad


def loss(w, X, y):
    """The mean logistic loss (cross-entropy) of weights ``w`` on rows ``X``, labels ``y``."""
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def closed_form_gradient(w, X, y):
    """The gradient of ``loss`` by hand, for the check."""
    return X.T @ (1.0 / (1.0 + np.exp(-(X @ w))) - y) / len(y)


def make_data(n, d, chunk, seed=0):
    """Lazy Dask arrays ``X`` (n x d, standard normal) and ``y`` (0/1 labels drawn from a
    logistic model with weights 1, -2, 0.5, ...), chunked by rows, and those weights."""
    import dask.array as da
    rng = da.random.default_rng(seed)
    X = rng.normal(size=(n, d), chunks=(chunk, d))
    w_true = np.resize([1.0, -2.0, 0.5], d)
    p = 1.0 / (1.0 + np.exp(-(X @ w_true)))
    y = (rng.random(size=n, chunks=chunk) < p).astype(float)
    return X, y, w_true


def check_gradient(value_and_grad, w, X, y):
    """The gradient at ``w`` computed on the cluster, and its largest difference from the
    same code run by NumPy on the same data, and from the closed form."""
    import dask
    value, gradient = value_and_grad(w, X, y)          # a Dask graph: nothing computed yet
    assert isinstance(gradient, dask.array.Array), type(gradient)
    value, gradient = dask.compute(value, gradient)     # one pass over the chunks
    X_local, y_local = dask.compute(X, y)
    local_value, local_gradient = value_and_grad(w, X_local, y_local)
    errors = (float(np.max(np.abs(gradient - local_gradient))),
              float(np.max(np.abs(gradient - closed_form_gradient(w, X_local, y_local)))))
    assert abs(value - local_value) <= 1e-12 * max(1.0, abs(local_value)), (value, local_value)
    assert max(errors) <= 1e-12, errors
    return gradient, errors


def fit(value_and_grad, w, X, y, steps, rate):
    """Gradient descent; the loss at each step (each step one pass over the chunks)."""
    import dask
    losses = []
    for _ in range(steps):
        value, gradient = dask.compute(*value_and_grad(w, X, y))
        losses.append(float(value))
        w = w - rate * gradient
    return w, losses


def main(small=False, workers=2):
    """Start a LocalCluster, check the gradient, fit; return a dict of what was found."""
    from distributed import Client, LocalCluster
    n, d, chunk, steps = (4_000, 3, 1_000, 3) if small else (400_000, 5, 50_000, 40)
    value_and_grad = ad.value_and_grad(loss)
    start = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        X, y, w_true = make_data(n, d, chunk)
        X, y = client.persist([X, y])                  # the data set stays on the workers
        print(f"{n} rows x {d} features in {X.numblocks[0]} chunks of {chunk} rows, "
              f"on {len(client.scheduler_info()['workers'])} worker processes")
        w0 = np.zeros(d)
        gradient, errors = check_gradient(value_and_grad, w0, X, y)
        print(f"gradient at w = 0: {np.round(gradient, 4)}")
        print(f"  largest difference from NumPy on the same data {errors[0]:.1e}, "
              f"from the closed form {errors[1]:.1e}")
        w, losses = fit(value_and_grad, w0, X, y, steps, rate=1.0)
    print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f} in {steps} steps; w = {np.round(w, 3)} "
          f"(data drawn with {w_true}); {time.perf_counter() - start:.1f} s")
    return {"gradient": gradient, "errors": errors, "losses": losses, "w": w,
            "w_true": w_true, "chunks": X.numblocks[0]}


if __name__ == "__main__":
    main(small="--small" in sys.argv)
