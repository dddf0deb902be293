"""Gradients over Dask arrays (optional: skipped when dask[distributed] is not installed)."""

import os
import sys

import numpy as np
import pytest

import adcompile as ad

dask = pytest.importorskip("dask", reason="dask is not installed (pip install 'dask[distributed]')")
da = pytest.importorskip("dask.array")

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def no_compute(*args, **kwargs):
    raise AssertionError("the gradient code computed a Dask array while building its graph")


def mean_loss(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def sum_loss(w, X, b):
    return np.sum((np.tanh(X @ w + b) - 0.5) ** 2) + 0.1 * np.sum(w ** 2)


def where_loss(w, X, b):
    z = X @ w + b
    return np.sum(np.where(z > 0, z, 0.1 * z) ** 2) + np.mean(np.maximum(z, 0.0))


def axes_loss(w, X, b):
    Z = np.reshape(X * w, (-1, 2, 4))
    t = np.transpose(Z, (0, 2, 1)).sum(axis=0)
    return np.sum(t ** 2) + np.mean(X * w, axis=0).sum() + np.log(np.sum(np.exp(X @ w) * b))


@pytest.mark.parametrize("loss", [mean_loss, sum_loss, where_loss, axes_loss])
def test_the_gradient_code_builds_a_dask_graph_and_computes_nothing(loss):
    rng = np.random.default_rng(0)
    X_np, third = rng.normal(size=(300, 8)), rng.random(300)
    w = rng.normal(size=8) / 4
    X, third_da = da.from_array(X_np, chunks=(100, 8)), da.from_array(third, chunks=100)
    with dask.config.set(scheduler=no_compute):
        value, gradient = ad.value_and_grad(loss)(w, X, third_da)
        only = ad.grad(loss)(w, X, third_da)
    assert isinstance(gradient, da.Array) and isinstance(only, da.Array)
    assert gradient.shape == w.shape and gradient.dtype == np.float64
    expected = ad.grad(loss)(w, X_np, third)
    np.testing.assert_allclose(gradient.compute(scheduler="sync"), expected, rtol=1e-12)
    np.testing.assert_allclose(only.compute(scheduler="sync"), expected, rtol=1e-12)
    np.testing.assert_allclose(value.compute(scheduler="sync"), loss(w, X_np, third), rtol=1e-12)
    ad.check_grad(loss, w, X_np, third)   # (the NumPy gradient against finite differences)


def test_the_example_fits_on_a_local_cluster_of_two_worker_processes(capsys):
    pytest.importorskip("distributed", reason="distributed is not installed")
    sys.path.insert(0, EXAMPLES)
    try:
        import dask_logistic
        result = dask_logistic.main(small=True, workers=2)
    finally:
        sys.path.remove(EXAMPLES)
    out = capsys.readouterr().out
    assert "on 2 worker processes" in out
    assert result["chunks"] == 4                      # more than one chunk
    assert max(result["errors"]) <= 1e-12             # same gradient as NumPy, closed form
    assert np.linalg.norm(result["gradient"]) > 0.1   # (not a trivial gradient)
    losses = result["losses"]
    assert losses[0] == pytest.approx(np.log(2.0)) and losses[-1] < losses[0] - 0.05
