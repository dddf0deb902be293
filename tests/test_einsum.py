"""np.einsum in every form a user writes, reduced to the forms its rule takes
(adcompile/einsum.py): the sublist form, implicit output, three or more operands."""

import numpy as np
import pytest
from conftest import assert_close, assert_grad

import adcompile as ad
from adcompile.rules import einsum

RNG = np.random.default_rng(3)
A, B, C = RNG.normal(size=(2, 3)), RNG.normal(size=(3, 4)), RNG.normal(size=(4, 2))
W = RNG.normal(size=(2, 2))


def sublist_transpose(x):
    return np.sum(np.einsum(x, [0, 1], [1, 0]) * W)


def sublist_product(a, b):
    return np.sum(np.einsum(a, [0, 1], b, [1, 2]) ** 2)


def sublist_ellipsis(a):
    return np.sum(np.einsum(a, [Ellipsis, 1], [1, Ellipsis]) ** 2)


def chain_of_three(a, b, c):
    return np.sum(np.einsum("ij,jk,kl->il", a, b, c) * W)


def chain_implicit(a, b, c):
    return np.sum(np.einsum("ij,jk,kl", a, b, c) ** 2)


def chain_trace(a, b, c):
    return np.einsum("ij,jk,ki->", a, b, c, optimize=True)


def four_operands(a, b, c):
    return np.einsum("ij,jk,kl,li", a, b, c, W)


def test_sublist_form():
    # the sublist form was taken for a constant: gradient zero
    assert_grad(sublist_transpose, W.T.copy())
    assert_close(ad.grad(sublist_transpose)(W.T.copy()), W.T)
    assert_grad(sublist_product, A, B, wrt=(0, 1))
    assert_grad(sublist_ellipsis, A)


@pytest.mark.parametrize("f", [chain_of_three, chain_implicit, chain_trace, four_operands])
def test_three_or_more_operands(f):
    assert_grad(f, A, B, C, wrt=(0, 1, 2))


def test_chain_is_shown_as_two_operand_calls():
    text = ad.show(chain_of_three, wrt=(0, 1, 2))
    assert "np.einsum('ij,jk->ik', a, b)" in text
    assert "np.einsum('ik,kl->il', " in text


def test_subscripts():
    assert einsum.explicit("ij,jk", 2) == "ij,jk->ik"
    assert einsum.explicit("cb,bA", 2) == "cb,bA->Ac"     # NumPy sorts A before c
    assert einsum.explicit("...i,...i", 2) == "...i,...i->..."
    assert einsum.explicit("ij", 2) is None
    assert einsum.pairwise("ij,jk,kl->il") == [("ij,jk->ik", 1), ("ik,kl->il", 2)]
    assert einsum.pairwise("ij,jk,ki->") == [("ij,jk->ik", 1), ("ik,ki->", 2)]
    x = RNG.normal(size=(2, 3))
    for spec in ("ij,jk,kl->il", "ij,jk,kl", "ij,jk,ki->"):
        full = einsum.explicit(spec, 3)
        steps = einsum.pairwise(full)
        value = A
        for sub, k in steps:
            value = np.einsum(sub, value, [A, B, C][k])
        assert_close(value, np.einsum(spec, A, B, C), 1e-12, 1e-12, spec)
    assert x.shape == (2, 3)


def sublist_not_literal(a, order):
    return np.sum(np.einsum(a, order, [1, 0]))


def test_sublists_that_are_not_literals_are_refused():
    with pytest.raises(ad.TransformError, match="sublist"):
        ad.grad(sublist_not_literal)(A, [0, 1])
