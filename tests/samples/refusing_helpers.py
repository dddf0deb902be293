"""Helpers that refuse, in a module of their own: a refusal inside one of them, reached
from a function in tests/test_errors.py, must name this file and the call chain."""

import numpy as np

import adcompile as ad


def convolved(v):
    w = v * 2.0
    return np.sum(np.ediff1d(w))  # REFUSES:convolve


@ad.primitive(shape="unknown")
def total(v):
    return np.sum(v)


@total.adjoint
def _(y, v):
    v_bar += np.full(np.shape(v), y_bar)  # noqa: F821, F841


def uses_total(v):
    w = v * 2.0
    return total(w)  # REFUSES:tangent
