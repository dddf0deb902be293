"""Functions of a symmetric matrix that read only one triangle of their argument.

np.linalg.eigh and eigvalsh read the lower triangle (UPLO='L', the default) or
the upper one (UPLO='U'); np.linalg.cholesky and np.linalg.svd(hermitian=True)
read the lower one. The other triangle is ignored, so its gradient is 0, and an
entry of the triangle read below (above) the diagonal stands for two entries of
the symmetric matrix: it gets both of their gradients. The tests use matrices
that are NOT symmetric, against finite differences, in reverse and forward
mode and to second order.
"""

import numpy as np
import pytest
from conftest import assert_close, assert_grad
from test_rules import covers
from test_second_order import assert_second_order

import adcompile as ad

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

#: the weights on the eigenvector entries in the losses below (the squares of the entries do
#: not depend on the eigenvectors' signs)
C = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7], [-0.2, 0.9, 1.1]])


def eigvalsh_default(x, w):
    return np.sum(w * np.linalg.eigvalsh(x) ** 2)


def eigvalsh_keyword(x, w):
    return np.sum(w * np.linalg.eigvalsh(x, UPLO="U") ** 2)


def eigvalsh_positional(x, w):
    return np.sum(w * np.linalg.eigvalsh(x, "U") ** 2) + np.sum(np.linalg.eigvalsh(x, "L"))


def eigvalsh_argument(x, w, uplo):
    return np.sum(w * np.linalg.eigvalsh(x, UPLO=uplo) ** 2)


def eigh_default(x, w):
    values, vectors = np.linalg.eigh(x)
    return np.sum(w * values ** 2) + np.sum(vectors ** 2 * C[:x.shape[-1], :x.shape[-1]])


def eigh_upper(x, w):
    values, vectors = np.linalg.eigh(x, UPLO="U")
    projector = vectors[..., :, :1] * np.swapaxes(vectors[..., :, :1], -1, -2)
    return np.sum(w * values) + np.sum(vectors ** 2 * C) + np.sum(projector * C)


def eigh_argument(x, w, uplo):
    values, vectors = np.linalg.eigh(x, uplo)
    return np.sum(w * values ** 3) + np.sum(vectors ** 2 * C)


def cholesky_case(x, w):
    return np.sum(np.expand_dims(w, -1) * np.linalg.cholesky(x) ** 2 * C)


def svd_hermitian_values(x, w):
    return np.sum(w * np.linalg.svd(x, compute_uv=False, hermitian=True) ** 2)


def svd_hermitian_vectors(x, w):
    U, s, Vt = np.linalg.svd(x, full_matrices=False, hermitian=True)
    return np.sum(w * s) + np.sum(U ** 2 * C) + np.sum((U * s[..., None, :]) @ Vt * C)


def lopsided(shape, uplo, seed, positive=False):
    """A matrix (or stack) far from symmetric whose triangle ``uplo`` gives a symmetric matrix
    with well separated eigenvalues (positive ones for ``positive``)."""
    rng = np.random.default_rng(seed)
    while True:
        x = rng.normal(size=shape)
        if positive:
            x = x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])
        read = np.tril(x) if uplo == "L" else np.triu(x)
        a = read + np.swapaxes(read, -1, -2) - read * np.eye(shape[-1])
        e = np.linalg.eigvalsh(a)
        s = np.sort(np.abs(e), axis=-1)
        if np.all(np.diff(e, axis=-1) > 0.3) and np.all(np.diff(s, axis=-1) > 0.3) \
                and np.all(s > 0.3):
            break
    # make the ignored triangle very different from the one read
    ignored = np.triu(np.ones(shape[-2:]), 1) if uplo == "L" else np.tril(np.ones(shape[-2:]), -1)
    return x + 3.0 * ignored * rng.normal(size=shape)


def triangle_gradient(g, uplo):
    """The gradient on the triangle read, from a symmetric matrix's gradient ``g`` (closed
    form of the chain rule: an entry off the diagonal stands for two)."""
    both = g + np.swapaxes(g, -1, -2) - g * np.eye(g.shape[-1])
    return np.tril(both) if uplo == "L" else np.triu(both)


CASES = [  # case, triangle read, extra arguments
    (eigvalsh_default, "L", ()), (eigvalsh_keyword, "U", ()), (eigvalsh_argument, "U", ("U",)),
    (eigvalsh_argument, "L", ("l",)), (eigh_default, "L", ()), (eigh_upper, "U", ()),
    (eigh_argument, "U", ("u",)), (eigh_argument, "L", ("L",)), (cholesky_case, "L", ()),
    (svd_hermitian_values, "L", ()), (svd_hermitian_vectors, "L", ()),
]


@covers(("linalg", "eigvalsh"), ("linalg", "eigh"), ("linalg", "cholesky"), ("linalg", "svd"),
        ("generated", "read_symmetric"), ("generated", "read_symmetric_bar"))
@pytest.mark.parametrize("case,uplo,rest", CASES,
                         ids=[f"{c.__name__}-{u}" for c, u, _ in CASES])
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)], ids=str)
def test_gradient_on_the_triangle_read(case, uplo, rest, shape):
    x = lopsided(shape, uplo, seed=len(shape) + len(case.__name__),
                 positive=case is cholesky_case)
    w = np.random.default_rng(1).uniform(0.5, 1.5, shape[:-1])
    g = assert_grad(case, x, w, *rest, rtol=1e-5, atol=1e-5)
    ignored = np.triu(g, 1) if uplo == "L" else np.tril(g, -1)
    assert np.all(ignored == 0.0), "the triangle not read has a gradient"
    # the gradient of the same function of the symmetric matrix read, put on the triangle
    read = np.tril(x) if uplo == "L" else np.triu(x)
    a = read + np.swapaxes(read, -1, -2) - read * np.eye(shape[-1])
    assert_close(g, triangle_gradient(ad.grad(case)(a, w, *rest), uplo), 1e-9, 1e-9)


def test_uplo_positional_and_both_triangles():
    x = lopsided((3, 3), "U", seed=5)
    w = np.array([0.5, 1.0, 1.5])
    g = assert_grad(eigvalsh_positional, x, w)
    # "U" gives the upper triangle's part, "L" (sum of the eigenvalues: the trace) the diagonal
    assert_close(np.tril(g, -1), np.zeros((3, 3)), 0, 1e-12)


@covers(("linalg", "eigvalsh"), ("linalg", "eigh"), ("linalg", "cholesky"), ("linalg", "svd"),
        ("generated", "read_symmetric"), ("generated", "read_symmetric_bar"))
@pytest.mark.parametrize("case,uplo,rest", [c for c in CASES if c[0] is not svd_hermitian_vectors],
                         ids=[f"{c.__name__}-{u}" for c, u, _ in CASES
                              if c is not svd_hermitian_vectors])
def test_second_order_on_the_triangle_read(case, uplo, rest):
    x = lopsided((3, 3), uplo, seed=7, positive=case is cholesky_case)
    assert_second_order(case, x, np.array([0.5, 1.0, 1.5]), *rest, rtol=1e-4)
