"""Products of N-d operands: np.einsum with an ellipsis, np.dot and np.tensordot.

``np.einsum`` broadcasts the dimensions an ellipsis stands for (as ``+`` does),
so an operand's gradient is summed over the dimensions NumPy broadcast it
along. ``np.dot(a, b)`` for a ``b`` of three or more dimensions contracts a's
last axis with b's second to last (not a stack of matrix products as ``@``).
Reverse and forward mode against central differences; second order against
differences of the gradient.
"""

import numpy as np
import pytest
from conftest import assert_grad
from test_rules import covers
from test_second_order import assert_second_order

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

RNG = np.random.default_rng(44)


def einsum_two(x, y, w, spec):
    return np.sum(w * np.einsum(spec, x, y))


def einsum_one(x, w, spec):
    return np.sum(w * np.einsum(spec, x) ** 2)


def einsum_literals(x, y):
    return (np.sum(np.einsum("...i,...i->...", x, y) ** 2) + np.sum(np.einsum("...ij->...ji", x) * x)
            + np.sum(np.einsum("...i,...i", x, x)))


ELLIPSIS_TWO = [  # subscripts, shape of x, shape of y
    ("...i,...i->...", (2, 3, 4), (3, 4)),          # y broadcast along a leading axis
    ("...i,...i->...", (3, 1, 4), (2, 4)),          # and along an axis of length 1 of x
    ("...i,...i", (4,), (2, 3, 4)),                 # implicit result: the ellipsis first
    ("...ij,...jk->...ik", (2, 1, 3, 4), (5, 4, 2)),
    ("ij...,j...->i...", (2, 3, 4), (3, 1)),        # the ellipsis last
    ("i...,i...", (3, 2), (3, 2)),                  # summed over i
    ("i,...->i...", (2,), (3, 2)),                  # an operand without the ellipsis
    ("...,...->...", (), (3,)),                     # the ellipsis is everything
    ("b...i,b...i->...b", (2, 3, 4), (2, 1, 4)),   # the ellipsis moved
]


@covers(("numpy", "einsum"), ("generated", "einsum_bar"))
@pytest.mark.parametrize("spec,sx,sy", ELLIPSIS_TWO, ids=[f"{s}-{x}-{y}" for s, x, y in ELLIPSIS_TWO])
def test_einsum_with_an_ellipsis(spec, sx, sy):
    x, y = RNG.normal(size=sx), RNG.normal(size=sy)
    w = RNG.uniform(0.5, 1.5, np.shape(np.einsum(spec, x, y)))
    assert_grad(einsum_two, x, y, w, spec, wrt=(0, 1))
    assert_grad(einsum_two, x, y, w, spec, wrt=1)


ELLIPSIS_ONE = [("...ij->...ji", (2, 2)), ("...ij->...ji", (3, 2, 2)), ("i...->...", (3, 2, 4)),
                ("...ii->...i", (2, 3, 3)), ("...", (2, 3)), ("...ji", (2, 3, 4)),
                ("i...i->...", (3, 2, 3))]


@covers(("numpy", "einsum"), ("generated", "einsum_bar"))
@pytest.mark.parametrize("spec,shape", ELLIPSIS_ONE, ids=[f"{s}-{x}" for s, x in ELLIPSIS_ONE])
def test_einsum_of_one_operand_with_an_ellipsis(spec, shape):
    x = RNG.normal(size=shape)
    assert_grad(einsum_one, x, RNG.uniform(0.5, 1.5, np.shape(np.einsum(spec, x))), spec)


@covers(("numpy", "einsum"))
def test_einsum_literal_subscripts_with_an_ellipsis():
    assert_grad(einsum_literals, RNG.normal(size=(2, 3, 3)), RNG.normal(size=(3, 3)), wrt=(0, 1))
    assert_grad(einsum_literals, RNG.normal(size=(3, 3)), RNG.normal(size=(2, 1, 3)), wrt=(0, 1))


@covers(("generated", "einsum_bar"))
@pytest.mark.parametrize("spec,shape", [("...i,...i->...", (2, 3)), ("...ij,...jk->...ik", (2, 2, 2))],
                         ids=str)
def test_einsum_with_an_ellipsis_second_order(spec, shape):
    # x against sin(x[0]): the second operand is broadcast along x's leading axis
    x = RNG.normal(size=shape)
    w = RNG.uniform(0.5, 1.5, np.shape(np.einsum(spec, x, x[0])))
    assert_second_order(einsum_broadcast, x, w, spec)


def einsum_broadcast(x, w, spec):
    return np.sum(w * np.einsum(spec, x, np.sin(x[0])) ** 2)


# -- np.dot and np.tensordot of N-d operands ---------------------------------------------------

def dot_case(x, y, w):
    return np.sum(w * np.dot(x, y))


def dot_method(x, y, w):
    return np.sum(w * x.dot(y))


DOT_ND = [((3, 4), (2, 4, 5)), ((2, 3, 4), (3, 4, 5)), ((4,), (2, 4, 3)), ((2, 3, 4), (4,)),
          ((2, 3, 4), (4, 5)), ((2, 1, 4), (1, 4, 2))]


@covers(("numpy", "dot"), ("generated", "dot_bar_left"), ("generated", "dot_bar_right"))
@pytest.mark.parametrize("sx,sy", DOT_ND, ids=str)
def test_dot_of_nd_operands(sx, sy):
    x, y = RNG.normal(size=sx), RNG.normal(size=sy)
    w = RNG.uniform(0.5, 1.5, np.shape(np.dot(x, y)))
    assert_grad(dot_case, x, y, w, wrt=(0, 1))
    assert_grad(dot_method, x, y, w, wrt=1)


def dot_of_itself(x, w):
    return np.sum(w * np.dot(np.sin(x[0]), x) ** 2)


@covers(("generated", "dot_bar_left"), ("generated", "dot_bar_right"))
def test_dot_of_nd_operands_second_order():
    x = RNG.normal(size=(2, 3, 3))   # np.dot of (3, 3) with (2, 3, 3): shape (3, 2, 3)
    assert_second_order(dot_of_itself, x, RNG.uniform(0.5, 1.5, (3, 2, 3)))


def tensordot_case(x, y, w, axes):
    return np.sum(w * np.tensordot(x, y, axes))


TENSORDOT_ND = [((2, 3, 4), (4, 2, 3), 1), ((2, 3, 4), (3, 5, 4), ([1, 2], [0, 2])),
                ((2, 2, 3, 2), (3, 2, 2), ([2, -1], [0, 1])), ((2, 3, 2), (2, 3, 2), 3)]


@covers(("numpy", "tensordot"))
@pytest.mark.parametrize("sx,sy,axes", TENSORDOT_ND, ids=str)
def test_tensordot_of_nd_operands(sx, sy, axes):
    x, y = RNG.normal(size=sx), RNG.normal(size=sy)
    w = RNG.uniform(0.5, 1.5, np.shape(np.tensordot(x, y, axes)))
    assert_grad(tensordot_case, x, y, w, axes, wrt=(0, 1))
