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
    # ad.grad(cube) takes x alone: its seed is a constant of the code differentiated again
    assert code.startswith("def grad_grad_cube(x, *, out_bar=1.0):")
    assert "out_bar_inner = 1.0" in code


# ---------------------------------------------------------------------------
# functions that build lists: their gradient code keeps a list of the items' adjoints
# ---------------------------------------------------------------------------

def tanh_chain(x):
    hs = []
    h = x
    for i in range(3):
        h = np.tanh(h * x)
        hs.append(h)
    return hs[0] * hs[2] + np.sum(hs[1])


def rnn_states(W, xs, h0):
    h = h0
    hs = []
    for t in range(len(xs)):
        h = np.tanh(W @ h + xs[t])
        hs.append(h)
    total = 0.0
    for t in range(1, len(hs)):
        total = total + np.sum(hs[t] * hs[t - 1])
    return total + np.sum(hs[-1] ** 2) + np.sum(np.stack(hs) * xs)


def pops(x):
    xs = []
    for i in range(4):
        xs.append(np.sin(x * (i + 1)))
    a = xs.pop()
    b = xs.pop()
    return np.sum(a * b + xs[0] * xs[-1] * x)


def dropped_pop(x):
    hs = []
    for i in range(4):
        hs.append(np.exp(x * i))
    hs.pop()
    return np.sum(hs[-1] * hs[0])


def counter_indices(x):
    hs = [x]
    for i in range(3):
        hs.append(np.sin(hs[-1]) * hs[i] + x)
    s = 0.0
    for i in range(len(hs)):
        s = s + np.sum(hs[len(hs) - 1 - i] * hs[i])
    return s + np.sum(hs[-2] ** 3)


def literals(x, y):
    pair = (x * y, np.exp(x))
    items = [pair[0], pair[1], x]
    a, b, c = items
    return np.sum(a * b + c ** 2 * items[1])


def collect(x, n):
    hs = []
    for i in range(n):
        hs.append(np.cos(x * (i + 1)))
    return hs


def total_of(hs, w):
    s = 0.0
    for h in hs:
        s = s + np.sum(h * w)
    return s


def passes_lists(x):
    hs = collect(x, 3)
    return total_of(hs, x) + np.sum(hs[1] * hs[2])


def iterates(x):
    hs = []
    ws = []
    for i in range(3):
        hs.append(x ** (i + 2))
        ws.append(np.sin(x) + i)
    s = 0.0
    for i, w in enumerate(ws):
        s = s + np.sum(w * hs[i] * i)
    for h, w in zip(hs, ws):
        s = s + np.sum(h * w)
    for h in reversed(hs):
        s = s * 0.5 + np.sum(h)
    for i, (h, w) in enumerate(zip(reversed(hs), ws)):
        s = s + np.sum(h * w * i)
    return s


def list_in_branches(x):
    hs = [x]
    for i in range(4):
        if np.sum(hs[-1]) > 0.5:
            hs.append(hs[-1] * 0.5)
        else:
            hs.append(np.exp(hs[-1]) - 1.0)
    return np.sum(hs[-1] * hs[1])


def list_in_while(x):
    hs = []
    k = 0
    h = x
    while k < 3:
        h = np.sin(h) * x
        hs.append(h)
        k += 1
    p = hs.pop()
    return np.sum(p * hs[0] + hs[-1])


def joins(x):
    hs = []
    for i in range(3):
        hs.append(x * (i + 1.0) + np.sin(x))
    a = np.sum(np.concatenate(hs) ** 3)
    b = np.sum(np.array(hs) ** 2 * np.vstack(hs))
    c = np.sum(np.hstack([hs[0], x]) * np.stack((x, hs[2]), axis=-1).ravel())
    return a + b + c


def joins_numbers(x):
    hs = []
    for i in range(3):
        hs.append(np.sin(x * (i + 1.0)))
    a = np.sum(np.hstack((hs[0], x * x)) * x)
    return a + np.sum(np.stack(hs) ** 3) + np.sum(np.array(hs) * np.vstack(hs).ravel())


def stack_in_loop(x):
    hs = [x, np.sin(x) * 2.0]
    s = 0.0
    for i in range(3):
        hs.append(hs[-1] * x)
        s = s + np.sum(np.stack(hs) * (i + 1.0)) ** 2
    return s


RNG_LISTS = np.random.default_rng(5)

LIST_CASES = [
    (tanh_chain, (0.7,)),
    (rnn_states, (0.5 * RNG_LISTS.normal(size=(3, 3)), RNG_LISTS.normal(size=(4, 3)),
                  RNG_LISTS.normal(size=3))),
    (pops, (0.6,)),
    (pops, (RNG_LISTS.normal(size=2),)),
    (dropped_pop, (0.3,)),
    (counter_indices, (0.4,)),
    (counter_indices, (0.5 * RNG_LISTS.normal(size=3),)),
    (literals, (0.3, 1.2)),
    (literals, (RNG_LISTS.normal(size=2), 0.7)),
    (passes_lists, (0.3,)),
    (passes_lists, (RNG_LISTS.normal(size=2),)),
    (iterates, (0.8,)),
    (iterates, (RNG_LISTS.normal(size=2),)),
    (list_in_branches, (0.3,)),
    (list_in_branches, (1.7,)),
    (list_in_branches, (np.array([0.4, 0.5]),)),
    (list_in_while, (0.9,)),
    (list_in_while, (RNG_LISTS.normal(size=3),)),
    (joins, (RNG_LISTS.normal(size=2),)),
    (joins_numbers, (0.4,)),
    (stack_in_loop, (0.4,)),
    (stack_in_loop, (np.array([0.3, -0.6]),)),
]


def check_second_derivatives(f, *args):
    """The first gradient against differences of f; then, against central differences of
    that gradient: ad.hessian by reverse over reverse and by forward over reverse,
    ad.grad(ad.grad(f)) for a number, and ad.jvp(ad.grad(f)) (a Hessian-vector product)."""
    assert_grad(f, *args)
    x, rest = args[0], args[1:]
    expected = dense_hessian(f, x, *rest)
    for mode in ("reverse", "forward"):
        assert_close(ad.hessian(f, mode=mode)(*args), expected, 1e-6, 1e-6, f"hessian ({mode})")
    v = RNG_LISTS.normal(size=np.shape(x))
    v = v if np.ndim(x) else float(v)
    _, hv = ad.jvp(ad.grad(f))(*args, v)
    assert np.shape(hv) == np.shape(x)
    assert_close(hv, np.tensordot(expected, v, axes=np.ndim(x)), 1e-6, 1e-6, "H v")
    if np.ndim(x) == 0:
        assert_close(ad.grad(ad.grad(f))(*args), expected, 1e-6, 1e-6, "grad of grad")


@pytest.mark.parametrize("f, args", LIST_CASES,
                         ids=[f"{f.__name__}-{np.ndim(a[0])}d" for f, a in LIST_CASES])
def test_second_derivatives_of_functions_that_build_lists(f, args):
    check_second_derivatives(f, *args)


def test_mixed_second_derivative_through_a_list():
    def g(x, y):
        hs = [x * y]
        for i in range(3):
            hs.append(np.sin(hs[-1] * y) + x)
        return np.sum(hs[-1] * hs[1]) + np.sum(hs[0] * y)

    expected = numerical_grad(lambda a, b: ad.grad(g, wrt=0)(a, b), (0.4, 0.9), 1)
    assert_close(ad.grad(ad.grad(g, wrt=0), wrt=1)(0.4, 0.9), expected, 1e-6, 1e-7)
    _, dot = ad.jvp(ad.grad(g, wrt=0), wrt=1)(0.4, 0.9, 1.0)
    assert_close(dot, expected, 1e-6, 1e-7)


def test_rnn_collecting_states_hessian_vector_product():
    rng = np.random.default_rng(6)
    W, xs, h0 = 0.5 * rng.normal(size=(4, 4)), rng.normal(size=(5, 4)), rng.normal(size=4)
    V = rng.normal(size=(4, 4))
    _, hv = ad.jvp(ad.grad(rnn_states))(W, xs, h0, V)
    g = ad.grad(rnn_states)
    eps = 1e-6
    assert_close(hv, (g(W + eps * V, xs, h0) - g(W - eps * V, xs, h0)) / (2 * eps), 1e-6, 1e-7)
    assert_close(hv, np.tensordot(ad.hessian(rnn_states)(W, xs, h0), V, axes=2), 1e-10, 1e-10)


@pytest.mark.parametrize("f, x", [(tanh_chain, 0.7), (pops, 0.6), (collects, 0.5),
                                  (list_in_branches, 0.3)])
def test_third_derivative_of_functions_that_build_lists(f, x):
    third = ad.grad(ad.grad(ad.grad(f)))(x)
    assert_close(third, numerical_grad(ad.grad(ad.grad(f)), (x,), 0), 1e-6, 1e-6)


def test_joining_a_list_differentiated_three_times_is_refused():
    # the second derivative joins the pieces' adjoints again (np.stack of a list() of them)
    assert_close(ad.grad(ad.grad(joins_numbers))(0.4),
                 numerical_grad(ad.grad(joins_numbers), (0.4,), 0), 1e-6, 1e-6)
    # (refused where the third derivative meets np.array of the pieces' list: the list()
    # that builds it has a rule since list(x) of an array has one)
    with pytest.raises(ad.TransformError, match="third derivative through np.array of a list"):
        ad.grad(ad.grad(ad.grad(joins_numbers)))(0.4)


def test_first_order_gradient_code_of_lists_is_unchanged():
    # the loops that make the gradient code differentiable are for the code differentiated
    # again; the gradient itself keeps its one-line adjoint list and in-place adds
    code = ad.grad(rnn_states).source
    assert "[zeros_like(item) for item in hs]" in code and "add_pieces(hs_bar, pieces)" in code
    assert "for item in hs:" not in code
    assert "hs_bar.append(" in ad.show(ad.grad(rnn_states), mode="forward")


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


def uses_concatenate_bar(g, x):
    pieces = runtime.concatenate_bar(g, [x, x[:, :1]], 1)
    return np.sum(pieces[0] ** 2) + np.sum(np.sin(pieces[1]))


def uses_stack_bar(g, x):
    pieces = runtime.stack_bar(g, [x, x, x], 1)
    rows = runtime.stack_bar(g, x * np.ones((3, 1, 1)), 1)   # an array: its rows' pieces
    return np.sum(pieces[0] * pieces[2] ** 2) + np.sum(rows ** 3)


def uses_hstack_bar(g, x):
    pieces = runtime.hstack_bar(g, [x[:2], x[2:], x[0]])
    return np.sum(pieces[1] ** 2) + np.sum(pieces[0] * pieces[2])


def uses_vstack_bar(g, x):
    pieces = runtime.vstack_bar(g, [x[0], x[1:]])
    return np.sum(np.cos(pieces[0])) + np.sum(pieces[1] ** 2)


def uses_array_bar(g, x):
    pieces = runtime.array_bar(g, [x, x])
    return np.sum(pieces[0] ** 2 * pieces[1]) + np.sum(runtime.array_bar(g, x) ** 3)


def uses_cofactor(x):
    return np.sum(runtime.cofactor(x) ** 2 * np.arange(1.0, 10.0).reshape(3, 3))


@covers(("generated", "cofactor"))
def test_cofactor_matrix():
    x = RNG.normal(size=(3, 3)) + 2.0 * np.eye(3)
    assert_close(runtime.cofactor(x), np.linalg.det(x) * np.linalg.inv(x).T, 1e-10, 1e-12)
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert_close(runtime.cofactor(singular), [[4.0, -2.0], [-2.0, 1.0]], 1e-12, 1e-12)
    assert_grad(uses_cofactor, x)


def uses_private_copy(x):
    return np.sum(runtime.private_copy(x) ** 2 * np.sin(x))


@covers(("generated", "private_copy"))
def test_private_copy_of_an_argument():
    assert_grad(uses_private_copy, RNG.normal(size=(2, 3)))


def uses_require_update_shape(x, s):
    # x op= e's checked new value, as generated code computes it (a 0-d array s stays one)
    new = runtime.require_update_shape(s + x[0] ** 2, s, "here: s += x[0] ** 2")
    return np.sum(new * x) + np.sin(new) * x[1]


def zero_d_total_updated(x):
    s = np.zeros(())
    for v in x:
        s *= 0.5
        s += np.sin(v) * v
    return s * x[0]


@covers(("generated", "require_update_shape"))
def test_require_update_shape_is_the_identity_in_the_new_value():
    x = RNG.normal(size=3)
    assert isinstance(runtime.require_update_shape(np.float64(2.0), np.zeros(()), ""), np.ndarray)
    assert_grad(uses_require_update_shape, x, np.zeros(()))
    assert_grad(uses_require_update_shape, x, 0.5)
    hessian = ad.hessian(zero_d_total_updated)(x)
    first = ad.grad(zero_d_total_updated)
    for i in range(3):
        assert_close(hessian[i], numerical_grad(lambda v: first(v)[i], [x], 0), 1e-5, 1e-7)


def uses_r_bar(g, x):
    pieces = runtime.r_bar(g, [x, x[:2], 1.5])
    return np.sum(pieces[0] ** 2) + np.sum(np.sin(pieces[1])) * pieces[2]


def uses_c_bar(g, x):
    pieces = runtime.c_bar(g, [x, x[:, 0]])
    return np.sum(pieces[0] ** 3) + np.sum(pieces[1] * pieces[0][:, 1])


@covers(("generated", "concatenate_bar"), ("generated", "stack_bar"),
        ("generated", "hstack_bar"), ("generated", "vstack_bar"), ("generated", "array_bar"),
        ("generated", "r_bar"), ("generated", "c_bar"))
def test_helpers_that_cut_an_adjoint_into_pieces():
    x = RNG.normal(size=(2, 3))
    assert_grad(uses_r_bar, RNG.normal(size=6), RNG.normal(size=3))
    assert_grad(uses_c_bar, RNG.normal(size=(2, 4)), x)
    assert_grad(uses_concatenate_bar, RNG.normal(size=(2, 4)), x)
    assert_grad(uses_stack_bar, RNG.normal(size=(2, 3, 3)), x)
    assert_grad(uses_hstack_bar, RNG.normal(size=6), RNG.normal(size=5))
    assert_grad(uses_vstack_bar, RNG.normal(size=(2, 3)), x)
    assert_grad(uses_array_bar, RNG.normal(size=(2, 2, 3)), x)


def uses_full(x):
    return np.sum(np.full((2, 3), x) * np.arange(6.0).reshape(2, 3))


@covers(("numpy", "full"))
def test_full():
    assert_grad(uses_full, 0.7)
    assert_grad(uses_full, np.array([0.7, -0.2, 0.4]))


def uses_full_like(x, c):
    # a buffer shaped like x filled with c, then rows of x written in (x's values in it do
    # not matter); an integer buffer holds no gradient
    y = np.full_like(x, c)
    y[1:] = x[:-1] * 3
    k = np.full_like(np.arange(x.shape[0]), c)
    return np.sum(y * x) + np.sum(np.full_like(x, c * x[0]) ** 2) + np.sum(k * x) \
        + np.sum(np.full_like(x, c, dtype=int) * x)


@covers(("numpy", "full_like"))
def test_full_like():
    x = RNG.normal(size=5)
    assert_grad(uses_full_like, x, 0.7, wrt=(0, 1))
    assert_grad(uses_full_like, x, np.float64(-1.3), wrt=(0, 1))
    H = ad.hessian(uses_full_like, wrt=1)(x, 0.7)
    g = ad.grad(uses_full_like, wrt=1)
    assert_close(H, (g(x, 0.7 + 1e-5) - g(x, 0.7 - 1e-5)) / 2e-5, 1e-5, 1e-6)


def uses_filled_like(g, x):
    return np.sum(runtime.filled_like(x, g) * np.cos(x))


@covers(("generated", "filled_like"))
def test_filled_like():
    x = RNG.normal(size=(2, 3))
    assert_grad(uses_filled_like, 0.7, x)
    assert_grad(uses_filled_like, RNG.normal(size=3), x)   # g broadcast along the rows
    filled = runtime.filled_like(x.astype(np.float32), 0.5)
    assert filled.shape == (2, 3) and filled.dtype == np.float32   # float32 stays float32
    assert runtime.filled_like(np.arange(3), np.float32(0.5)).dtype == np.float64
    # the second derivative of a full sum and a full mean goes through it
    x = RNG.normal(size=4)
    assert_close(ad.hessian(sum_of_cubes)(x), np.diag(6 * x), 1e-6, 1e-6)
    assert_close(ad.hessian(mean_of_cubes)(x), np.diag(6 * x) / 4, 1e-6, 1e-6)


def sum_of_cubes(x):
    return np.sum(x ** 3)


def mean_of_cubes(x):
    return np.mean(x ** 3)


def test_show_forward_mode_of_a_gradient_is_the_hessian_vector_product_code():
    code = ad.show(ad.grad(cube), mode="forward")
    assert code.startswith("def jvp_grad_cube(x, *, x_dot):")
    assert code == ad.jvp(ad.grad(cube)).source
