"""Higher derivatives: generated gradient code differentiated again.

``ad.grad(ad.grad(f))`` differentiates the code of ``grad_f`` (reverse over
reverse), ``ad.jvp(ad.grad(f))`` gives Hessian-vector products (forward over
reverse) and ``ad.hessian`` is the Jacobian of the gradient code. The runtime
helpers generated code calls have adjoint rules of their own
(``adcompile/rules/generated.py``), checked here against finite differences.
"""

import numpy as np
import pytest
from conftest import assert_close, assert_grad, numerical_grad
from test_rules import covers

import adcompile as ad
from adcompile import runtime


def cube(x):
    return x ** 3


def quadratic_form(x, A):
    return x @ A @ x


def logistic_loss(w, X, y):
    z = X @ w
    return np.sum(np.log(1.0 + np.exp(-y * z))) + 0.5 * np.sum(w * w)


def branchy(x):
    if x > 0:
        y = x * x
    else:
        y = -x * x * x
    return y


def mixed(x, y):
    return np.sin(x * y) + x ** 2 * y


def tensor(x):
    return np.sum(np.tanh(x) * x[::-1])


def dense_hessian(f, x, *rest):
    g = ad.grad(f)
    cols = [numerical_grad(lambda z: float(np.ravel(g(z, *rest))[k]), (x,), 0)
            for k in range(np.size(x))]
    return np.array(cols).reshape(np.shape(x) + np.shape(x))


def test_grad_of_grad_of_cube():
    assert ad.grad(ad.grad(cube))(2.0) == 12.0
    assert ad.grad(ad.grad(ad.grad(cube)))(2.0) == 6.0


@pytest.mark.parametrize("x", [1.5, -1.5])
def test_grad_of_grad_follows_branches(x):
    expected = 2.0 if x > 0 else -6.0 * x
    assert_close(ad.grad(ad.grad(branchy))(x), expected)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_hessian_of_quadratic_form(mode):
    rng = np.random.default_rng(0)
    A, x = rng.normal(size=(4, 4)), rng.normal(size=4)
    H = ad.hessian(quadratic_form, mode=mode)(x, A)
    assert H.shape == (4, 4)
    assert_close(H, A + A.T, 1e-12, 1e-12)


def test_hessian_of_logistic_regression():
    rng = np.random.default_rng(1)
    X, y, w = rng.normal(size=(6, 3)), np.sign(rng.normal(size=6)), rng.normal(size=3)
    p = 1.0 / (1.0 + np.exp(-y * (X @ w)))
    expected = X.T @ np.diag(p * (1 - p)) @ X + np.eye(3)
    assert_close(ad.hessian(logistic_loss)(w, X, y), expected, 1e-10, 1e-12)


def test_hessian_of_matrix_argument():
    x = np.array([[0.3, -0.4], [0.8, 0.1], [0.5, -0.9]])
    H = ad.hessian(tensor)(x)
    assert H.shape == (3, 2, 3, 2)
    assert_close(H, dense_hessian(tensor, x), 1e-5, 1e-6)


def test_mixed_second_derivative():
    d2 = ad.grad(ad.grad(mixed, wrt=0), wrt=1)(0.7, -0.3)
    x, y = 0.7, -0.3
    assert_close(d2, np.cos(x * y) - x * y * np.sin(x * y) + 2 * x)


def test_hessian_vector_product_300_dimensions():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(40, 300)), np.sign(rng.normal(size=40))
    w, v = 0.1 * rng.normal(size=300), rng.normal(size=300)
    _, hv = ad.jvp(ad.grad(logistic_loss))(w, X, y, v)
    H = ad.hessian(logistic_loss)(w, X, y)
    assert hv.shape == (300,)
    assert_close(hv, H @ v, 1e-10, 1e-10)


def loop(x):
    s = 0.0
    for i in range(3):
        s = s + np.sin(x * s + x)
    return s


def while_loop(x, y):
    k = 0
    h = x
    while k < 4:
        h = np.tanh(h * y) + x
        k += 1
    return h * h


def rnn(W, xs, h0):
    h = h0
    for t in range(len(xs)):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h * h0)


def collects(x):
    hs = [x]
    for i in range(2):
        hs.append(np.sin(hs[-1]))
    return hs[-1]


def second_numerical(f, x, *rest, wrt=0):
    return numerical_grad(lambda *a: ad.grad(f, wrt=wrt)(*a), (x, *rest), wrt)


@pytest.mark.parametrize("x", [0.4, -1.1])
def test_grad_of_grad_through_a_loop(x):
    assert_close(ad.grad(ad.grad(loop))(x), second_numerical(loop, x))


def test_hessian_through_a_while_loop_both_modes():
    expected = np.array([[float(numerical_grad(
        lambda a, b: ad.grad(while_loop, wrt=(0, 1))(a, b)[i], (0.3, 0.8), j))
        for j in range(2)] for i in range(2)])
    g = ad.grad(while_loop, wrt=0)
    assert_close(ad.grad(g, wrt=0)(0.3, 0.8), expected[0, 0])
    assert_close(ad.grad(g, wrt=1)(0.3, 0.8), expected[0, 1])
    _, dot = ad.jvp(g, wrt=1)(0.3, 0.8, 1.0)
    assert_close(dot, expected[0, 1])


def test_rnn_hessian_vector_product_forward_over_reverse():
    rng = np.random.default_rng(4)
    W, xs, h0 = 0.5 * rng.normal(size=(3, 3)), rng.normal(size=(4, 3)), rng.normal(size=3)
    V = rng.normal(size=(3, 3))
    _, hv = ad.jvp(ad.grad(rnn))(W, xs, h0, V)
    H = ad.hessian(rnn)(W, xs, h0)
    assert_close(hv, np.tensordot(H, V, axes=2), 1e-9, 1e-10)
    g = ad.grad(rnn)
    eps = 1e-6
    assert_close(hv, (g(W + eps * V, xs, h0) - g(W - eps * V, xs, h0)) / (2 * eps), 1e-5, 1e-6)


def test_second_order_code_is_shown():
    code = ad.show(ad.grad(ad.grad(cube)))
    assert code.startswith("def grad_grad_cube(x, out_bar_inner=1.0, out_bar=1.0):")


def test_lists_in_the_gradient_code_are_refused():
    with pytest.raises(ad.TransformError, match="list comprehension"):
        ad.grad(ad.grad(collects))


def test_differentiating_a_jvp_is_refused():
    with pytest.raises(ad.TransformError, match="differentiate its ad.grad"):
        ad.grad(ad.jvp(cube))


# ---------------------------------------------------------------------------
# the runtime helpers' own rules, through user code that calls them directly
# ---------------------------------------------------------------------------

def uses_unbroadcast(g, x):
    return np.sum(runtime.unbroadcast(g, x) ** 2)


def uses_rebroadcast(t, y):
    return np.sum(np.sin(runtime.rebroadcast(t, y)))


def uses_as_gradient(g, x):
    return np.sum(runtime.as_gradient(g, x) ** 3)


def uses_getitem_bar(g, x):
    return np.sum(np.cos(runtime.getitem_bar(g, x, (slice(0, 2), 1))))


def uses_unreduce(g, x):
    return np.sum(runtime.unreduce(g, x, axis=1) ** 2 * x)


def uses_transpose_bar(g):
    return np.sum(runtime.transpose_bar(g, (2, 0, 1)) * np.arange(24.0).reshape(3, 4, 2))


def uses_matmul_bar_left(g, x, y):
    return np.sum(runtime.matmul_bar_left(g, x, y) ** 2)


def uses_matmul_bar_right(g, x, y):
    return np.sum(runtime.matmul_bar_right(g, x, y) ** 2)


def uses_dot_bar_left(g, x, y):
    return np.sum(runtime.dot_bar_left(g, x, y) ** 2)


def uses_dot_bar_right(g, x, y):
    return np.sum(runtime.dot_bar_right(g, x, y) ** 2)


RNG = np.random.default_rng(3)


@covers(("generated", "unbroadcast"), ("generated", "rebroadcast"),
        ("generated", "as_gradient"), ("generated", "getitem_bar"),
        ("generated", "unreduce"), ("generated", "transpose_bar"))
def test_linear_helpers():
    assert_grad(uses_unbroadcast, RNG.normal(size=(3, 2, 4)), RNG.normal(size=(2, 1)))
    assert_grad(uses_rebroadcast, RNG.normal(size=(2, 1)), RNG.normal(size=(3, 2, 4)))
    assert_grad(uses_as_gradient, RNG.normal(size=(1, 3)), RNG.normal(size=(2, 3)))
    assert_grad(uses_getitem_bar, RNG.normal(size=2), RNG.normal(size=(3, 2)))
    assert_grad(uses_unreduce, RNG.normal(size=3), RNG.normal(size=(3, 4)))
    assert_grad(uses_transpose_bar, RNG.normal(size=(2, 3, 4)))


@covers(("generated", "matmul_bar_left"), ("generated", "matmul_bar_right"),
        ("generated", "dot_bar_left"), ("generated", "dot_bar_right"))
@pytest.mark.parametrize("xs, ys", [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)),
                                    ((4,), (4,)), ((2, 3, 4), (4, 5))])
def test_bilinear_helpers(xs, ys):
    x, y = RNG.normal(size=xs), RNG.normal(size=ys)
    g = RNG.normal(size=np.shape(x @ y))
    for f in (uses_matmul_bar_left, uses_matmul_bar_right):
        assert_grad(f, g, x, y, wrt=(0, 1, 2))
    if len(xs) <= 2 and len(ys) <= 2:
        for f in (uses_dot_bar_left, uses_dot_bar_right):
            assert_grad(f, g, x, y, wrt=(0, 1, 2))


def uses_full(x):
    return np.sum(np.full((2, 3), x) * np.arange(6.0).reshape(2, 3))


@covers(("generated", "full"))
def test_full():
    assert_grad(uses_full, 0.7)
    assert_grad(uses_full, np.array([0.7, -0.2, 0.4]))


def test_show_forward_mode_of_a_gradient_is_the_hessian_vector_product_code():
    code = ad.show(ad.grad(cube), mode="forward")
    assert code.startswith("def jvp_grad_cube(x, out_bar_inner=1.0, *, x_dot):")
    assert code == ad.jvp(ad.grad(cube)).source
