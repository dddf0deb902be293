"""The faster ways some runtime helpers compute what they compute: each must give exactly
(bit for bit) what the plain NumPy it stands for gives, and gradients through them must
agree with finite differences."""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from adcompile.runtime import argmax_mask, getitem_bar

from conftest import assert_grad

RNG = np.random.default_rng(7)
X = RNG.standard_normal((6, 9))


def added_at(y_bar, x, index):
    """What getitem_bar's scatter stands for: np.add.at into zeros of x's precision."""
    x_bar = np.zeros(np.shape(x), dtype=np.result_type(x, y_bar, 1.0))
    np.add.at(x_bar, index, y_bar)
    return x_bar


INDICES = [
    (slice(None), RNG.integers(0, 9, (4, 4))),          # repeated columns (gmm's icf[:, index])
    RNG.integers(-6, 6, 20),                            # negative and repeated rows
    ([0, 0, 5], slice(2, None)),
    X > 0,                                              # a mask
    (np.array([1, 1, 1]), np.array([2, 2, 2])),         # one entry three times
    (Ellipsis, np.array([8, 0, 8])),
]


@pytest.mark.parametrize("index", INDICES, ids=range(len(INDICES)))
@pytest.mark.parametrize("kind", ["full", "scalar", "row", "negative zeros"])
def test_getitem_bar_of_an_array_index_is_add_at_bit_for_bit(index, kind):
    shape = X[index].shape
    y_bar = {"full": RNG.standard_normal(shape), "scalar": 2.5,
             "row": RNG.standard_normal(shape[-1:]), "negative zeros": np.full(shape, -0.0)}[kind]
    got, expected = getitem_bar(y_bar, X, index), added_at(y_bar, X, index)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert np.array_equal(got, expected) and np.array_equal(np.signbit(got), np.signbit(expected))


def test_getitem_bar_keeps_float32_and_reads_few_entries_of_a_big_array():
    x32 = X.astype(np.float32)
    index = INDICES[0]
    y_bar = RNG.standard_normal(x32[index].shape).astype(np.float32)
    assert getitem_bar(y_bar, x32, index).dtype == np.float32
    big = np.zeros((300, 400))
    few = (np.array([3, 3, 299]), np.array([0, 0, 399]))
    got = getitem_bar(np.array([1.0, 2.0, 4.0]), big, few)
    assert np.array_equal(got, added_at(np.array([1.0, 2.0, 4.0]), big, few))


def test_getitem_bar_refuses_an_index_past_the_end_as_indexing_does():
    with pytest.raises(IndexError):
        getitem_bar(np.ones(2), X, (slice(None), np.array([9, 0])))


def reference_mask(x, y, axis=None, keepdims=False):
    if not keepdims and axis is not None:
        y = np.expand_dims(y, axis)
    hit = x == y
    return (hit / np.sum(hit, axis=axis, keepdims=True)).astype(np.result_type(x, 1.0))


@pytest.mark.parametrize("x", [
    RNG.integers(0, 3, (25, 40)).astype(float),   # ties everywhere
    np.zeros((127, 3)), np.zeros((128, 3)), np.ones(300),   # 127 ties (bytes), 128, 300
    RNG.standard_normal((4, 5, 6)).astype(np.float32),
], ids=["ties", "127", "128", "300", "float32"])
@pytest.mark.parametrize("axis", [None, 0, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_argmax_mask_counts_ties_exactly(x, axis, keepdims):
    y = np.max(x, axis=axis, keepdims=keepdims)
    got, expected = argmax_mask(x, y, axis, keepdims), reference_mask(x, y, axis, keepdims)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert np.array_equal(got, expected)


def lower_triangle_loss(icf, d):
    """A gather with repeated indices, as ADBench's GMM builds its Q matrices."""
    j = np.arange(d)
    lower = j[:, None] > j[None, :]
    index = np.where(lower, d + j[:, None] - j[None, :] - 1, 0)
    q = icf[:, index] * lower + np.exp(icf[:, :d])[:, :, None] * np.eye(d)
    return np.sum(np.tanh(q @ q.transpose(0, 2, 1)))


def lower_triangle_autograd(icf, d):
    j = np.arange(d)
    lower = j[:, None] > j[None, :]
    index = np.where(lower, d + j[:, None] - j[None, :] - 1, 0)
    q = icf[:, index] * lower + anp.exp(icf[:, :d])[:, :, None] * np.eye(d)
    return anp.sum(anp.tanh(anp.matmul(q, anp.transpose(q, (0, 2, 1)))))


def test_a_gather_with_repeated_indices_against_finite_differences_and_autograd():
    icf = 0.3 * RNG.standard_normal((3, 9))
    got = assert_grad(lower_triangle_loss, icf, 4, wrt=0)
    assert np.allclose(got, autograd.grad(lower_triangle_autograd)(icf, 4), rtol=1e-12, atol=1e-12)


def row_max_loss(b):
    """The maximum of each column, with ties (the mask's counts), as a logsumexp shifts."""
    m = np.max(b, axis=0)
    return np.sum(m * m) + np.sum(np.log(np.sum(np.exp(b - m), axis=0)))


def test_a_maximum_with_ties_against_finite_differences():
    b = RNG.standard_normal((5, 7))
    b[2] = b[4] = b.max(axis=0) + 1.0   # two rows tie for every column's maximum
    got = assert_grad(row_max_loss, b + 0.0, wrt=0, forward=False)
    # d/db of m^2 splits 2m evenly between the tied entries
    assert np.allclose(got[2], got[4])
