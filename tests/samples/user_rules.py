"""User-declared primitives for tests/test_user_rules.py (a module of its own, as a user's
would be, so that built modules can import the primitives from it)."""
# ruff: noqa: F821, F841

import math

import numpy as np

import adcompile as ad

# a function without Python source: math.erf is C code (a rule of the user's replaces adcompile's
# own, for the rest of the session)


@ad.adjoint_rule(math.erf, shape="scalar")
def erf_adjoint(y, x):
    x_bar += y_bar * TWO_OVER_SQRT_PI * math.exp(-x * x)


TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def c_function_in_a_loop(x, n):
    s = x
    for i in range(n):
        s = math.erf(s) + x * 0.5
    return s


# a function of our own, numerically careful, whose derivative has a simpler form


@ad.primitive(shape="elementwise")
def softplus(x):
    return np.logaddexp(0.0, x)


@softplus.adjoint
def _(y, x):
    x_bar += y_bar * sigmoid(x)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def uses_softplus(w, X):
    return np.sum(softplus(X @ w) ** 2)


# a non-elementwise primitive with a tangent of its own


@ad.primitive(shape="scalar")
def squared_norm(v):
    total = 0.0
    for e in np.ravel(v):   # a loop adcompile would refuse to read (iterating a ravel copy)
        total += float(e) * float(e)
    return total


@squared_norm.adjoint
def _(y, v):
    v_bar += 2.0 * y_bar * v


@squared_norm.tangent
def _(y, v):
    y_dot += 2.0 * np.sum(v * v_dot)


def uses_squared_norm(v):
    return squared_norm(np.sin(v)) * v[0]


@ad.primitive
def no_rule_yet(x):
    return x * 2.0


def calls_no_rule_yet(x):
    return no_rule_yet(x) + x


# a primitive with an input whose derivative is zero (only its sign is read), declared or not


@ad.primitive(shape="elementwise", constant=("s",))
def signed(x, s):
    return x * np.sign(s)


@signed.adjoint
def _(y, x, s):
    x_bar += y_bar * np.sign(s)


@ad.primitive(shape="elementwise")
def signed_undeclared(x, s):
    return x * np.sign(s)


@signed_undeclared.adjoint
def _(y, x, s):
    x_bar += y_bar * np.sign(s)


def uses_signed(x, w):
    return np.sum(signed(x * w, x - 0.5) ** 2)


def uses_signed_undeclared(x, w):
    return np.sum(signed_undeclared(x * w, x - 0.5) ** 2)
