"""The conveniences JAX users reach for: has_aux, ad.stop_gradient, Jacobians and Hessians
with several wrt, functools.partial, bound methods and callable objects.

Gradients are checked against central finite differences (conftest.numerical_grad) and,
where it has the operation, against autograd."""

import functools
import inspect

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from autograd.differential_operators import grad_and_aux
from conftest import assert_close, assert_gradient_like, numerical_grad, numerical_vjp
from test_build import run_isolated

import adcompile as ad
from adcompile import stop_gradient as sg

RNG = np.random.default_rng(2024)
W0 = RNG.normal(size=(4, 3))
X0 = RNG.normal(size=(5, 4))
Y0 = RNG.normal(size=(5, 3))


# ---------------------------------------------------------------------------
# has_aux
# ---------------------------------------------------------------------------

def classifier(W, X, Y):
    P = np.tanh(X @ W)
    loss = np.mean((P - Y) ** 2)
    acc = np.mean(np.argmax(P, axis=1) == np.argmax(Y, axis=1))
    return loss, {"acc": acc, "P": P, "name": "mse", "sizes": [len(X), 3]}


def classifier_value(W, X, Y):
    return classifier(W, X, Y)[0]


def classifier_autograd(W, X, Y):
    P = anp.tanh(anp.dot(X, W))
    return anp.mean((P - Y) ** 2), 0.0


def check_classifier_aux(aux, W):
    P = np.tanh(X0 @ W)
    assert set(aux) == {"acc", "P", "name", "sizes"}
    assert_close(aux["P"], P, 0, 0, "aux P")
    assert aux["acc"] == np.mean(np.argmax(P, axis=1) == np.argmax(Y0, axis=1))
    assert aux["name"] == "mse" and aux["sizes"] == [5, 3]


def test_grad_has_aux_returns_the_gradient_and_the_aux_untouched():
    g, aux = ad.grad(classifier, has_aux=True)(W0, X0, Y0)
    assert_gradient_like(g, W0)
    assert_close(g, numerical_grad(classifier_value, (W0, X0, Y0), 0))
    g_ref, _ = grad_and_aux(classifier_autograd)(W0, X0, Y0)
    assert_close(g, g_ref, 1e-12, 1e-12)
    check_classifier_aux(aux, W0)


def test_value_and_grad_and_vjp_has_aux_return_value_aux_then_gradient():
    (value, aux), (gW, gY) = ad.value_and_grad(classifier, wrt=(0, "Y"), has_aux=True)(
        W0, X0, Y0)
    assert value == classifier_value(W0, X0, Y0) and isinstance(value, float)
    check_classifier_aux(aux, W0)
    assert_close(gW, numerical_grad(classifier_value, (W0, X0, Y0), 0))
    assert_close(gY, numerical_grad(classifier_value, (W0, X0, Y0), 2))
    # vjp: out_bar is the adjoint of the value alone, by position or keyword
    (v2, aux2), g2 = ad.vjp(classifier, has_aux=True)(W0, X0, Y0, 2.5)
    (v3, _), g3 = ad.vjp(classifier, has_aux=True)(W0, X0, Y0, out_bar=-1.0)
    assert v2 == v3 == value
    check_classifier_aux(aux2, W0)
    assert_close(g2, 2.5 * gW, 1e-12, 1e-12)
    assert_close(g3, -gW, 1e-12, 1e-12)


def rnn(x, W, n):
    h = np.zeros(2)
    hs = []
    for _ in range(n):
        h = np.tanh(W @ h + x)
        hs.append(h)
    return np.sum(h ** 2), (hs, n)


def test_aux_read_in_a_loop_keeps_every_step():
    x = np.array([0.3, -0.4])
    W = np.array([[0.5, -0.2], [0.1, 0.9]])
    (gx, gW), (hs, n) = ad.grad(rnn, wrt=(0, 1), has_aux=True)(x, W, 4)
    def value(x, W, n):
        return rnn(x, W, n)[0]

    assert_close(gx, numerical_grad(value, (x, W, 4), 0))
    assert_close(gW, numerical_grad(value, (x, W, 4), 1))
    h, expected = np.zeros(2), []
    for _ in range(4):
        h = np.tanh(W @ h + x)
        expected.append(h)
    assert n == 4 and len(hs) == 4
    for a, b in zip(hs, expected):
        assert_close(a, b, 0, 0, "aux step")


def tuple_value(x):
    y = np.sin(x)
    return (np.sum(y), y * 2.0), "note"


def test_vjp_has_aux_of_a_tuple_value():
    x = np.array([0.2, 0.7])
    out_bar = (1.5, np.array([0.5, -1.0]))
    (value, aux), g = ad.vjp(tuple_value, has_aux=True)(x, out_bar)
    assert aux == "note" and isinstance(value, tuple)
    expected = numerical_vjp(lambda x: tuple_value(x)[0], (x,), 0, out_bar)
    assert_close(g, expected)


def test_jvp_has_aux():
    t = RNG.normal(size=W0.shape)
    (value, aux), dot = ad.jvp(classifier, has_aux=True)(W0, X0, Y0, t)
    assert value == classifier_value(W0, X0, Y0)
    check_classifier_aux(aux, W0)
    g = numerical_grad(classifier_value, (W0, X0, Y0), 0)
    assert_close(dot, np.sum(g * t))


def test_has_aux_decorator_forms_and_float32():
    @ad.grad(has_aux=True)
    def square(x):
        return x ** 2, "aux"

    @ad.value_and_grad(wrt="x", has_aux=True)
    def cube(x):
        return np.sum(x ** 3), x.dtype

    assert square(3.0) == (6.0, "aux") and isinstance(square(3.0)[0], float)
    x = np.array([1.0, 2.0], dtype=np.float32)
    (_, dtype), g = cube(x)
    assert dtype == np.float32 and g.dtype == np.float32
    assert_close(g, 3 * x.astype(float) ** 2)


def test_has_aux_source_and_show_return_the_aux():
    grad = ad.grad(classifier, has_aux=True)
    assert "return (W_bar, aux)" in grad.source
    assert "aux = {'acc': acc" in grad.source
    assert ad.show(classifier, has_aux=True) == grad.source
    assert "return ((" in ad.vjp(classifier, has_aux=True).source
    assert "return ((" in ad.show(classifier, has_aux=True, mode="forward")


def pair_or_not(x):
    return x * 2.0, x


def test_the_cache_tells_has_aux_apart():
    with pytest.raises(ValueError, match="scalar"):
        ad.grad(pair_or_not)
    assert ad.grad(pair_or_not, has_aux=True)(1.5) == (2.0, 1.5)
    assert ad.vjp(pair_or_not)(1.5, (1.0, 1.0))[1] == 3.0


def no_pair(x):
    return x ** 2


def triple(x):
    return x ** 2, x, x


def vector_value(x):
    return x * 2.0, None


def test_has_aux_refusals():
    for f, returned in ((no_pair, "x ** 2"), (triple, "(x ** 2, x, x)")):
        with pytest.raises(ad.TransformError, match="has_aux") as info:
            ad.grad(f, has_aux=True)
        assert f"return {returned}" in str(info.value) and "return value, aux" in str(info.value)
    with pytest.raises(ValueError, match="to return a scalar"):
        ad.grad(vector_value, has_aux=True)(np.ones(2))
    with pytest.raises(ad.TransformError, match="has_aux=True"):
        ad.grad(ad.grad(pair_or_not, has_aux=True))(1.0)


# ---------------------------------------------------------------------------
# stop_gradient
# ---------------------------------------------------------------------------

def stopped(x, y):
    s = np.sin(x)
    return np.sum(s * ad.stop_gradient(s) + sg(x ** 2) * y)


def stopped_as_constants(x, y, c1, c2):
    """``stopped`` with the stopped values given as constants."""
    return np.sum(np.sin(x) * c1 + c2 * y)


def test_stop_gradient_outside_differentiated_code_is_the_identity():
    x = np.ones(3)
    assert ad.stop_gradient(x) is x and ad.stop_gradient("s") == "s"


def test_stop_gradient_reverse_and_forward_mode():
    x, y = np.array([0.3, 1.2, -0.5]), np.array([0.4, 0.1, 2.0])
    constants = (x, y, np.sin(x), x ** 2)
    gx, gy = ad.grad(stopped, wrt=(0, 1))(x, y)
    assert_close(gx, numerical_grad(stopped_as_constants, constants, 0))
    assert_close(gy, numerical_grad(stopped_as_constants, constants, 1))
    t = RNG.normal(size=3)
    value, dot = ad.jvp(stopped)(x, y, t)
    assert_close(value, stopped(x, y), 1e-12, 1e-12)
    assert_close(dot, np.sum(gx * t))


def cubic(x):
    return x ** 2 * ad.stop_gradient(x)


def test_stop_gradient_second_order():
    # d/dx = 2 x sg(x); d2/dx2 = 2 sg(x): the stopped value stays constant
    assert ad.grad(cubic)(3.0) == 18.0
    assert ad.grad(ad.grad(cubic))(3.0) == 6.0
    assert ad.jvp(ad.grad(cubic))(3.0, 1.0) == (18.0, 6.0)
    assert ad.hessian(cubic)(np.array(3.0)) == pytest.approx(6.0)


def damped(h):
    return h * ad.stop_gradient(h)


def through_helper(x, n):
    h = x
    for _ in range(n):
        h = damped(np.tanh(h))
    return np.sum(h)


def through_helper_reference(x, n):
    h = x
    for _ in range(n):
        t = np.tanh(h)
        c = autograd.tracer.getval(t)   # a constant to autograd: its stop_gradient
        h = t * c
    return anp.sum(h)


def test_stop_gradient_in_a_helper_and_a_loop():
    x = np.array([0.5, -0.3])
    g = ad.grad(through_helper)(x, 3)
    assert_close(g, autograd.grad(through_helper_reference)(x, 3), 1e-12, 1e-12)
    assert "stop_gradient" not in ad.grad(through_helper).source


def test_generated_code_does_not_call_stop_gradient():
    for code in (ad.grad(stopped).source, ad.show(stopped, mode="forward"),
                 ad.value_and_grad(stopped).source):
        assert "stop_gradient" not in code and "sg(" not in code
    assert "t1 = s" in ad.grad(stopped).source   # the argument, as an inactive copy


def test_built_module_with_stop_gradient_imports_without_adcompile(tmp_path):
    ad.build(stopped, tmp_path / "stopped_grads.py", wrt=(0, 1))
    text = (tmp_path / "stopped_grads.py").read_text()
    assert "adcompile" not in text.replace("Generated by adcompile", "").replace(
        "generated by adcompile", "").replace("regenerate with `adcompile build`", "")
    result = run_isolated("""
        import numpy as np, stopped_grads
        gx, gy = stopped_grads.grad_stopped(np.array([0.3, 1.2]), np.array([0.4, 0.1]))
        print(repr(gx.tolist()))
        print(repr(gy.tolist()))
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    gx, gy = map(eval, result.stdout.strip().splitlines())
    x, y = np.array([0.3, 1.2]), np.array([0.4, 0.1])
    expected = ad.grad(stopped, wrt=(0, 1))(x, y)
    assert_close(gx, expected[0], 0, 0)
    assert_close(gy, expected[1], 0, 0)


def changes_the_stopped_array(x):
    y = x * 1.0
    t = ad.stop_gradient(y)
    t[0] = 5.0   # changes y too: stop_gradient returns its argument
    return np.sum(y * x)


def two_arguments(x):
    return ad.stop_gradient(x, x) * x


def test_stop_gradient_refusals():
    with pytest.raises(ad.TransformError, match="may change in place"):
        ad.grad(changes_the_stopped_array)
    with pytest.raises(ad.TransformError, match="stop_gradient takes exactly one argument"):
        ad.grad(two_arguments)


# ---------------------------------------------------------------------------
# jacobian and hessian with several wrt
# ---------------------------------------------------------------------------

def layer(x, A, s):
    return np.tanh(A @ x) * s


def layer_autograd(x, A, s):
    return anp.tanh(anp.dot(A, x)) * s


def energy(x, A, s):
    return np.sum(np.tanh(A @ x) ** 2) * s ** 3


def energy_autograd(x, A, s):
    return anp.sum(anp.tanh(anp.dot(A, x)) ** 2) * s ** 3


X3 = RNG.normal(size=3)
A23 = RNG.normal(size=(2, 3))


@pytest.mark.parametrize("mode", [None, "forward", "reverse"])
def test_jacobian_with_several_wrt_gives_one_block_per_entry(mode):
    blocks = ad.jacobian(layer, wrt=(0, "A", 2), mode=mode)(X3, A23, 0.7)
    assert isinstance(blocks, tuple) and len(blocks) == 3
    for i, (block, arg) in enumerate(zip(blocks, (X3, A23, 0.7))):
        assert block.shape == (2,) + np.shape(arg) and block.dtype == np.float64
        assert_close(block, autograd.jacobian(layer_autograd, i)(X3, A23, 0.7), 1e-12, 1e-12)
    single = ad.jacobian(layer, wrt="A", mode=mode)(X3, A23, 0.7)
    assert isinstance(single, np.ndarray) and single.shape == (2, 2, 3)


@pytest.mark.parametrize("mode", [None, "forward"])
def test_hessian_with_several_wrt_gives_the_blocks(mode):
    args = (X3, A23, 0.7)
    H = ad.hessian(energy, wrt=(0, 1, "s"), mode=mode)(*args)
    assert isinstance(H, tuple) and all(isinstance(row, tuple) and len(row) == 3 for row in H)
    for i in range(3):
        for j in range(3):
            expected = autograd.jacobian(autograd.grad(energy_autograd, i), j)(*args)
            assert np.shape(H[i][j]) == np.shape(args[i]) + np.shape(args[j])
            assert_close(H[i][j], expected, 1e-9, 1e-10, f"H[{i}][{j}]")
    H00 = ad.hessian(energy, wrt=0, mode=mode)(*args)
    assert_close(H[0][0], H00, 0, 0)


def test_hessian_bad_wrt():
    with pytest.raises(ValueError, match="twice"):
        ad.hessian(energy, wrt=(0, "x"))
    with pytest.raises(ValueError, match="out of range"):
        ad.hessian(energy, wrt=(0, 5))


# ---------------------------------------------------------------------------
# functools.partial
# ---------------------------------------------------------------------------

def weighted(a, x, y, c=1.0):
    return np.sum(a * np.sin(x) * y ** 2) * c


XP = np.array([0.3, 1.2, -0.4])
YP = np.array([0.5, -0.4, 0.9])


def test_grad_of_a_partial_counts_wrt_among_the_open_parameters():
    p = functools.partial(weighted, 2.0, c=3.0)
    g = ad.grad(p)(XP, YP)
    assert_gradient_like(g, XP)
    assert_close(g, numerical_grad(p, (XP, YP), 0))
    gx, gy = ad.grad(p, wrt=(0, "y"))(XP, YP)
    assert_close(gx, g, 0, 0)
    assert_close(gy, numerical_grad(p, (XP, YP), 1))
    gc = ad.grad(p, wrt="c")(XP, YP)   # a keyword the partial binds is still open
    assert gc == pytest.approx(weighted(2.0, XP, YP), rel=1e-12) and isinstance(gc, float)
    assert ad.check_grad(p, XP, YP, wrt=(0, 1)) < 1e-6


def test_a_partial_gradient_is_a_partial_with_source_and_signature():
    p = functools.partial(weighted, 2.0, c=3.0)
    g = ad.grad(p, wrt="y")
    assert isinstance(g, functools.partial) and g.__wrapped__ is p
    assert inspect.signature(g) == inspect.signature(p)
    assert g.source == ad.grad(weighted, wrt="y").source
    assert ad.show(p, wrt=1) == ad.show(weighted, wrt="y")
    assert ad.show(p) == ad.show(weighted, wrt="x")   # wrt=0: the first open parameter
    assert ad.show(g) == ad.show(ad.grad(weighted, wrt="y"))
    assert ad.show(g, mode="forward") == ad.show(ad.grad(weighted, wrt="y"), mode="forward",
                                                 wrt="x")


def test_value_and_grad_vjp_jvp_of_a_partial():
    p = functools.partial(weighted, c=3.0)
    value, g = ad.value_and_grad(p, wrt=1)(2.0, XP, YP)
    assert value == p(2.0, XP, YP)
    assert_close(g, numerical_grad(p, (2.0, XP, YP), 1))
    _, g2 = ad.vjp(p, wrt=1)(2.0, XP, YP, 0.5)
    _, g3 = ad.vjp(p, wrt=1)(2.0, XP, YP, out_bar=0.5)
    assert_close(g2, 0.5 * g, 1e-12, 1e-12)
    assert_close(g3, g2, 0, 0)
    t = RNG.normal(size=3)
    _, dot = ad.jvp(p, wrt=1)(2.0, XP, YP, t)
    assert_close(dot, np.sum(g * t))


def test_nested_partials_and_higher_derivatives():
    inner = functools.partial(weighted, 2.0)
    nested = functools.partial(inner, XP)   # weighted(2.0, XP, y)
    assert_close(ad.grad(nested)(YP), numerical_grad(nested, (YP,), 0))
    assert ad.grad(nested, wrt="c")(YP) == pytest.approx(weighted(2.0, XP, YP))
    scalar = functools.partial(weighted, 2.0, y=YP[0])
    x = 0.7
    expected = -2.0 * np.sin(x) * YP[0] ** 2
    assert ad.grad(ad.grad(scalar))(x) == pytest.approx(expected, rel=1e-12)
    assert ad.hessian(scalar)(np.array(x)) == pytest.approx(expected, rel=1e-12)
    blocks = ad.jacobian(functools.partial(layer, s=0.7), wrt=(1, 0))(X3, A23)
    assert blocks[0].shape == (2, 2, 3) and blocks[1].shape == (2, 3)
    assert_close(blocks[1], autograd.jacobian(layer_autograd, 0)(X3, A23, 0.7), 1e-12, 1e-12)


def test_partial_refusals():
    p = functools.partial(weighted, 2.0)
    with pytest.raises(ValueError, match=r"out of range.*leaves 3 positional parameters open"):
        ad.grad(p, wrt=3)
    with pytest.raises(ValueError, match="not a parameter .* leaves open"):
        ad.grad(p, wrt="a")
    with pytest.raises(TypeError, match="build weighted itself"):
        ad.build(p, "unused.py")


# ---------------------------------------------------------------------------
# bound methods and callable objects
# ---------------------------------------------------------------------------

class Model:
    scale = 2.0

    def __init__(self, W, b):
        self.W = W
        self.b = b

    def loss(self, x, y):
        p = np.tanh(self.W @ x + self.b)
        return np.sum((p - y) ** 2) * self.scale

    def __call__(self, x):
        return np.sum(np.sin(self.W @ x))

    def step(self, x):
        return self.loss(x, x[:2])

    def step_through_class(self, x):
        return Model.loss(self, x, x[:2])

    @staticmethod
    def squares(x):
        return np.sum(x ** 2)

    @classmethod
    def scaled_squares(cls, x):
        return np.sum(x ** 2) * cls.scale


class Static:
    @staticmethod
    def __call__(x):
        return np.sum(x ** 3)


MODEL = Model(RNG.normal(size=(2, 3)), RNG.normal(size=2))
Y2 = RNG.normal(size=2)


def test_grad_of_a_bound_method_binds_self():
    g = ad.grad(MODEL.loss)(X3, Y2)
    assert_gradient_like(g, X3)
    assert_close(g, numerical_grad(MODEL.loss, (X3, Y2), 0))
    _, gy = ad.grad(MODEL.loss, wrt=(0, "y"))(X3, Y2)
    assert_close(gy, numerical_grad(MODEL.loss, (X3, Y2), 1))
    assert_close(ad.grad(Model.loss, wrt=1)(MODEL, X3, Y2), g, 0, 0)
    assert ad.check_grad(MODEL.loss, X3, Y2, wrt=(0, 1)) < 1e-6
    assert "self.W" in ad.grad(MODEL.loss).source


def test_self_is_read_when_the_gradient_runs():
    model = Model(MODEL.W.copy(), MODEL.b.copy())
    grad = ad.grad(model.loss)
    before = grad(X3, Y2)
    model.W = model.W * 2.0
    after = grad(X3, Y2)
    assert not np.allclose(before, after)
    assert_close(after, numerical_grad(model.loss, (X3, Y2), 0))


def test_grad_of_a_callable_object_is_that_of_its_call():
    g = ad.grad(MODEL)(X3)
    assert_close(g, numerical_grad(MODEL, (X3,), 0))
    assert_close(g, ad.grad(MODEL.__call__)(X3), 0, 0)
    value, g2 = ad.value_and_grad(MODEL)(X3)
    assert value == MODEL(X3)
    assert_close(g2, g, 0, 0)
    assert ad.hessian(MODEL)(X3).shape == (3, 3)
    assert_close(ad.grad(Static())(X3), 3 * X3 ** 2, 1e-12, 1e-12)


def test_static_and_class_methods():
    for f in (MODEL.squares, Model.squares):
        assert_close(ad.grad(f)(X3), 2 * X3, 0, 0)
    for f in (MODEL.scaled_squares, Model.scaled_squares):
        assert_close(ad.grad(f)(X3), 4 * X3, 0, 0)


def test_a_method_calling_another_through_its_class():
    g = ad.grad(MODEL.step_through_class)(X3)
    assert_close(g, numerical_grad(MODEL.step_through_class, (X3,), 0))


def test_method_refusals_name_the_fix():
    with pytest.raises(ValueError, match="'self' is not a parameter .*Model.loss leaves open"):
        ad.grad(MODEL.loss, wrt="self")
    # a method of self is inlined once a call shows self (tests/test_structures.py)
    np.testing.assert_allclose(ad.grad(MODEL.step)(X3), ad.grad(MODEL.step_through_class)(X3))
