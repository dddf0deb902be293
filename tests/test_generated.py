"""What ad.grad and its siblings return (adcompile/generated.py): a callable that makes its
code when first needed, binds as a method, and shows its general code in ``.source``."""

import functools
import inspect

import numpy as np
import pytest
from conftest import assert_close, numerical_grad

import adcompile as ad
from adcompile import TransformError
from adcompile.generated import Generated


def loss(w, x):
    return np.sum(np.tanh(x @ w) ** 2)


def _texts(made):
    """The code the transform behind ``made`` has generated so far, by (form, key)."""
    return made._adcompile[0].texts


@pytest.mark.parametrize("make", [ad.grad, ad.value_and_grad, ad.vjp, ad.jvp])
def test_code_is_made_at_first_use(make):
    def loss(w, x):   # (a new function: nothing cached from another test)
        return np.sum(np.tanh(x @ w) ** 2)

    made = make(loss)
    assert isinstance(made, Generated)
    assert _texts(made) == {}, "the code was generated before it was needed"
    w, x = np.linspace(-1, 1, 3), np.linspace(0.5, 1.5, 6).reshape(2, 3)
    args = (w, x) if make in (ad.grad, ad.value_and_grad) else (w, x, np.ones_like(w)) \
        if make is ad.jvp else (w, x, 1.0)
    made(*args)
    assert _texts(made) and all(key != () for _, key in _texts(made))   # specialised only
    source = made.source   # the general code: made now, then kept
    assert any(key == () for _, key in _texts(made))
    assert made.source is source and "def " in source and source == made.source
    kind = "reverse" if make is not ad.jvp else "forward"
    if make is ad.grad:
        assert source == ad.show(loss, mode=kind)


def test_gradient_is_right_whatever_is_made_first():
    w, x = np.linspace(-1, 1, 3), np.linspace(0.5, 1.5, 6).reshape(2, 3)
    expected = numerical_grad(loss, (w, x), 0)
    first_call = ad.grad(loss)
    assert_close(first_call(w, x), expected)
    first_source = ad.grad(loss)
    assert "loss" in first_source.source
    assert_close(first_source(w, x), expected)


def test_signature_name_doc_and_repr():
    g = ad.grad(loss, wrt="x")
    assert inspect.signature(g) == inspect.signature(loss)
    assert g.__name__ == "grad_loss" and g.__wrapped__ is loss
    assert "gradient of loss()" in g.__doc__
    assert repr(g) == "<adcompile grad_loss of loss>"
    with pytest.raises(TypeError):
        g(1.0)   # f's signature: one argument missing


class Model:
    """A class whose method is decorated: the gradient binds as the method did."""

    def __init__(self, scale):
        self.scale = scale

    @ad.grad(wrt="x")
    def energy(self, x):
        return self.scale * np.sum(x ** 3)


def test_decorated_method_binds_to_its_instance():
    x = np.array([0.5, -1.0, 2.0])
    model = Model(2.0)
    assert_close(model.energy(x), 6.0 * x ** 2)
    assert_close(Model.energy(model, x), 6.0 * x ** 2)
    assert "self.scale" in model.energy.source   # (a bound method reads its function's)


def test_bound_arguments_keep_source_lazy():
    g = ad.grad(functools.partial(loss, np.ones(3)), wrt=0)   # wrt: the open parameter x
    x = np.linspace(0.5, 1.5, 6).reshape(2, 3)
    expected = numerical_grad(loss, (np.ones(3), x), 1)
    assert_close(g(x), expected)
    assert "def " in g.source and g.__wrapped__.func is loss


def test_refusal_of_a_rule_surfaces_at_the_first_call():
    # what a rule refuses is found when the code is generated: at the first call, or on
    # reading .source; the error points at the user's line either way
    sl = pytest.importorskip("scipy.linalg")

    def solve(a, b, t):
        return np.sum(sl.solve_triangular(a, b, trans=t))

    made = ad.grad(solve, wrt=1)
    with pytest.raises(TransformError, match=r"test_generated.py:\d+:\d+: .*trans="):
        made(np.eye(2), np.ones(2), 1)
    with pytest.raises(TransformError, match="trans="):
        ad.grad(solve, wrt=1).source


def test_gradient_of_gradient_still_cached_and_right():
    def cube(x):
        return x ** 3

    second = ad.grad(ad.grad(cube))
    assert second(2.0) == pytest.approx(12.0)
    assert "def " in second.source
