"""Functions a decorator wrapped (``functools.wraps``): a wrapper that only forwards its
``*args``/``**kwargs`` differentiates as the function it wraps (checked by finite
differences, forward mode and autograd through the wrapper); a wrapper taking ``*args``
that does anything more is refused with a ValueError saying what to do, never skipped."""

import functools

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import adcompile as ad

from conftest import assert_close, assert_grad

rng = np.random.default_rng(3)


def forwarding(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


def forwarding_positionally(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        """Calls fn."""
        return fn(*args)
    return wrapper


def doubling(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return 2.0 * fn(*args, **kwargs)
    return wrapper


def shifting(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*[a + 1.0 for a in args], **kwargs)
    return wrapper


def dropping_keywords(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args)
    return wrapper


def swapped(fn):
    other = fn

    @functools.wraps(fn)
    def wrapper(*args):
        return other(*args[::-1])
    return wrapper


def loss(w, x, scale=2.0):
    return np.sum(np.tanh(x @ w) ** 2) * scale


def loss_autograd(w, x, scale=2.0):
    return anp.sum(anp.tanh(x @ w) ** 2) * scale


@pytest.mark.parametrize("decorate", [forwarding, forwarding_positionally,
                                      lambda f: forwarding(forwarding_positionally(f))],
                         ids=["args_kwargs", "args", "stacked"])
def test_a_forwarding_wrapper_differentiates_the_function_it_wraps(decorate):
    wrapped = decorate(loss)
    w, x = rng.normal(size=3), rng.normal(size=(4, 3))
    g = assert_grad(wrapped, w, x)
    assert_close(g, autograd.grad(decorate(loss_autograd))(w, x))
    g_x = assert_grad(wrapped, w, x, 3.0, wrt=(1, 2), keywords=False)
    want = autograd.grad(decorate(loss_autograd), (1, 2))(w, x, 3.0)
    assert_close(g_x[0], want[0])
    assert_close(g_x[1], want[1])


@pytest.mark.parametrize("decorate", [doubling, shifting, dropping_keywords, swapped])
def test_a_wrapper_that_does_more_than_forward_is_refused(decorate):
    wrapped = decorate(loss)
    w, x = rng.normal(size=3), rng.normal(size=(3, 3))
    with pytest.raises(ValueError, match=r"wrt=0 is out of range: wrapper\(\) has 0 positional"
                                         r".*wrapper a decorator made of loss\(\).*does more "
                                         r"than return loss\(\*args, \*\*kwargs\).*"
                                         r"ad\.grad\(loss\.__wrapped__\)"):
        ad.grad(wrapped)(w, x)
    with pytest.raises(ValueError, match=r"wrt='w' is not a parameter of wrapper\(\).*"
                                         r"made of loss\(\)"):
        ad.grad(wrapped, wrt="w")(w, x)


def test_a_wrapper_with_named_parameters_is_differentiated_as_it_is():
    def scaled(fn):
        @functools.wraps(fn)
        def wrapper(w, x):
            return 3.0 * fn(w, x)
        return wrapper

    w, x = rng.normal(size=3), rng.normal(size=(4, 3))
    g = assert_grad(scaled(loss), w, x)
    assert_close(g, autograd.grad(scaled(loss_autograd))(w, x))
