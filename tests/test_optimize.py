"""The backward sweep's product rewrites (optimize.fuse_products) and the fast sums of the
runtime: the code they make, and that gradients through them stay right."""

import ast
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adcompile as ad
from adcompile import runtime
from adcompile.optimize import reuse_dead_arrays

from conftest import assert_close, assert_grad


def centred_projection(mu, W, X):
    return np.sum(np.tanh((X - mu) @ W))


def centred_stack(mu, Q, X):
    xc = X[None, :, :] - mu[:, None, :]   # (k, n, d)
    return np.sum(np.sin(xc @ Q))


def squared_error(pred, target):
    return np.sum((pred - target) ** 2)


def row_energies(Z):
    return np.sum(np.exp(-0.5 * np.sum(Z ** 2, axis=1)))


def mean_square(pred, target):
    return np.mean((pred - target) ** 2)


RNG = np.random.default_rng(7)


@pytest.mark.parametrize("mu", [RNG.standard_normal(3), RNG.standard_normal((1, 3)),
                                RNG.standard_normal((5, 3)), 0.3])
def test_sum_before_product(mu):
    # one mu for every row (1-D, one row, a number) or one per row (no sum to move)
    W, X = RNG.standard_normal((3, 4)), RNG.standard_normal((5, 3))
    assert_grad(centred_projection, mu, W, X, wrt=(0, 1))


def test_sum_before_product_is_in_the_code():
    mu, W, X = RNG.standard_normal(3), RNG.standard_normal((3, 4)), RNG.standard_normal((5, 3))
    code = ad.show(centred_projection, wrt=0, args=(mu, W, X))
    assert "unbroadcast_product(" in code
    mu, Q, X = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3, 3)), \
        RNG.standard_normal((4, 3))
    code = ad.show(centred_stack, wrt=(0, 1), args=(mu, Q, X))
    assert "to=" in code
    assert_grad(centred_stack, mu, Q, X, wrt=(0, 1))


@pytest.mark.parametrize("f", [squared_error, mean_square])
@pytest.mark.parametrize("shape", [(), (4,), (3, 4)])
def test_multiply_before_broadcasting(f, shape):
    pred, target = RNG.standard_normal(shape), RNG.standard_normal(shape)
    if not shape:
        pred, target = float(pred), float(target)
    assert_grad(f, pred, target, wrt=(0, 1))


def test_multiply_before_broadcasting_is_in_the_code():
    # the sum's adjoint is a number: 2 * g * d, no array of g first
    code = ad.show(squared_error, wrt=0, args=(np.ones(3), np.ones(3)))
    assert "2 * out_bar * t1" in code and "np.full" not in code, code
    Z = RNG.standard_normal((4, 3))
    assert "unreduce_times(" in ad.show(row_energies, args=(Z,))
    assert_grad(row_energies, Z)


def test_multiply_before_broadcasting_keeps_float32():
    pred, target = np.ones(3, dtype=np.float32), np.zeros(3, dtype=np.float32)
    g = ad.grad(squared_error)(pred, target)
    assert g.dtype == np.float32
    assert_close(g, 2 * (pred - target))


def test_a_broadcast_target_is_summed():
    # the sum's adjoint times a smaller factor: the product is broadcast back to x's shape
    g = runtime.unreduce_times(2.0, np.ones(3), np.zeros((2, 3)))
    assert g.shape == (2, 3) and g.flags.writeable and np.all(g == 2.0)


@settings(max_examples=60, deadline=None)
@given(shape=st.lists(st.integers(0, 4), min_size=1, max_size=4),
       which=st.sampled_from(["leading", "second last", "last", "all"]),
       dtype=st.sampled_from([np.float64, np.float32, np.int64]),
       transposed=st.booleans())
def test_sum_axes_is_np_sum(shape, which, dtype, transposed):
    g = np.arange(np.prod(shape), dtype=dtype).reshape(shape) % 7 - 3
    if transposed:
        g = g.T   # not C-contiguous
    n = g.ndim
    axes = {"leading": tuple(range(max(1, n - 1))), "second last": (max(0, n - 2),),
            "last": (n - 1,), "all": tuple(range(n))}[which]
    summed = runtime._sum_axes(g, axes)
    expected = np.sum(g, axis=axes, keepdims=True)
    assert summed.shape == expected.shape and summed.dtype == expected.dtype
    assert_close(summed, expected, rtol=1e-6)


@pytest.mark.parametrize("g_shape, x_shape", [((5, 3), (3,)), ((5, 3), (1, 3)), ((5, 3), ()),
                                              ((2, 5, 3), (5, 1)), ((2, 5, 3), (2, 1, 3)),
                                              ((4, 2, 5, 3), (5, 3))])
def test_unbroadcast_sums_like_np_sum(g_shape, x_shape):
    g = RNG.standard_normal(g_shape)
    x = np.zeros(x_shape)
    extra = g.ndim - x.ndim
    expected = np.sum(g, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(x_shape) if n == 1)
    expected = np.sum(expected, axis=axes, keepdims=True)
    assert_close(runtime.unbroadcast(g, x), expected.reshape(x_shape))


def rnn_like(W, h0, ys):
    h = h0
    loss = 0.0
    for t in range(ys.shape[0]):
        h = np.tanh(W @ h)
        loss = loss + 0.5 * np.sum((h - ys[t]) ** 2)
    return loss


def test_the_square_is_not_saved_for_its_shape():
    # d/dr sum(r ** 2) is 2 r: the loop saves r, not r ** 2 as well (and r = h - ys[t] is
    # recomputed for all steps at once from the saved h: see test_fission.py)
    W, h0, ys = RNG.standard_normal((3, 3)) / 3, RNG.standard_normal(3), RNG.standard_normal((4, 3))
    code = ad.show(rnn_like, wrt=(0, 1), args=(W, h0, ys))
    forward = code.split("_bar =")[0]
    saved = [line.split(".")[0].strip() for line in forward.splitlines() if "_steps.append(" in line]
    assert "** 2" not in code and saved == ["h_steps", "h_2_steps"], code
    assert_grad(rnn_like, W, h0, ys, wrt=(0, 1))
    assert_grad(rnn_like, W, h0, ys[:0], wrt=(0, 1))


def row_log_norms(X, W):
    P = X @ W
    return np.sum(np.log(np.sum(P ** 2, axis=1)))


def row_log_norms_and_a_view(X, W):
    P = X @ W
    first = P[0]    # a view of P: P's memory must not be reused
    return np.sum(np.log(np.sum(P ** 2, axis=1))) + np.sum(first * first)


def argument_log_norms(P):
    return np.sum(np.log(np.sum(P ** 2, axis=1)))


def test_a_dead_array_takes_the_product():
    X, W = RNG.standard_normal((5, 3)), RNG.standard_normal((3, 4))
    assert "out=P" in ad.show(row_log_norms, wrt=(0, 1), args=(X, W))
    assert_grad(row_log_norms, X, W, wrt=(0, 1))


def test_a_viewed_array_is_not_reused():
    X, W = RNG.standard_normal((5, 3)), RNG.standard_normal((3, 4))
    assert "out=" not in ad.show(row_log_norms_and_a_view, wrt=(0, 1), args=(X, W))
    assert_grad(row_log_norms_and_a_view, X, W, wrt=(0, 1))


@pytest.mark.parametrize("code, owned, kept, reused", [
    ("v = unreduce_times(g, e, e, axis=1)\nw = v + 1", {"e"}, set(), True),
    ("v = unreduce_times(g, e, e, axis=1)\nw = e + 1", {"e"}, set(), False),   # read later
    ("v = unreduce_times(g, e, e, axis=1)\nif c:\n    w = e", {"e"}, set(), False),
    ("v = unreduce_times(g, e, e, axis=1)", {"e"}, {"e"}, False),   # handed back
    ("v = unreduce_times(g, e, e, axis=1)", set(), set(), False),   # not the code's own
    ("v = unreduce_times(e, e, e, axis=1)", {"e"}, set(), False),   # g is e
    ("for i in r:\n    v = unreduce_times(g, e, e)", {"e"}, set(), False),   # in a loop
])
def test_reuse_only_what_nothing_reads_afterwards(code, owned, kept, reused):
    stmts = ast.parse(code).body
    out = reuse_dead_arrays(stmts, owned, kept, {"unreduce_times": "unreduce_times"})
    assert ("out=e" in ast.unparse(out)) == reused


def test_an_argument_is_not_reused():
    P = RNG.standard_normal((5, 3))
    assert "out=" not in ad.show(argument_log_norms, args=(P,))
    assert_grad(argument_log_norms, P)   # (checks that P is unchanged)


def test_reuse_only_where_shape_and_dtype_fit():
    e = np.ones((2, 3), dtype=np.float32)
    product = runtime.unreduce_times(np.full(2, 2.0), e, e, axis=1, out=e)
    assert product.dtype == np.float64 and np.all(e == 1)   # float64 does not fit in e
    e = np.ones(3)
    product = runtime.unreduce_times(np.ones((2, 1)), e, np.zeros((2, 3)), keepdims=True, out=e)
    assert product.shape == (2, 3) and np.all(e == 1)        # (2, 3) does not fit in e
    e = np.ones((2, 3))
    assert runtime.unreduce_times(np.full(2, 3.0), e, e, axis=1, out=e) is e and np.all(e == 3)


# ---------------------------------------------------------------------------
# the values a loop saves each step, in one list per value (the tape's per_step policy)
# ---------------------------------------------------------------------------

def decaying_sines(x, w, n):
    for i in range(n):
        x = np.sin(x * w) + 0.1 * x
    return x


def reads_its_rows(x, rows):
    s = 0.0
    for t in range(rows.shape[0]):
        x = np.tanh(x * rows[t])
        s = s + np.sum(x)
    return s


def stops_early(x, n):
    for i in range(n):
        x = np.sin(x)
        if x < 0.2:
            break
    return x


def two_loops(x, n):
    for i in range(n):
        x = np.sin(x)
    for i in range(n):
        x = np.cos(x) * x
    return x


def names_like_the_lists(x, n):
    x_steps = 0.5
    for i in range(n):
        x = np.sin(x) * x_steps
    return x + x_steps


@pytest.mark.parametrize("n", [0, 1, 5])
def test_one_list_per_saved_value(n):
    code = ad.show(decaying_sines, wrt=(0, 1), args=(0.7, 1.3, n))
    assert "stack" not in code and "x_steps.append(x)" in code, code
    assert " in zip(reversed(t1_steps), reversed(x_steps)):" in code, code   # (no index)
    assert_grad(decaying_sines, 0.7, 1.3, n, wrt=(0, 1))
    rows = RNG.normal(size=(n, 3))
    code = ad.show(reads_its_rows, args=(RNG.normal(size=3), rows))
    assert "in zip(reversed(range(rows.shape[0])), reversed(x" in code, code
    assert_grad(reads_its_rows, RNG.normal(size=3), rows)
    code = ad.show(names_like_the_lists, args=(0.7, n))
    assert "x_steps_2.append(x)" in code, code
    assert_grad(names_like_the_lists, 0.7, n)


def sines_then_tanhs(x, w, n):
    for i in range(n):
        x = np.sin(x * w)
    s = x * 1.5
    for i in range(n):
        s = np.tanh(s) * w
    return s


def test_each_loop_keeps_its_own_lists():
    code = ad.show(sines_then_tanhs, wrt=(0, 1), args=(0.9, 1.1, 4))
    assert "stack" not in code and code.count("_steps = []") == 3, code
    for n in (0, 1, 4):
        assert_grad(sines_then_tanhs, 0.9, 1.1, n, wrt=(0, 1))


def branch_in_loop(x, n):
    for i in range(n):
        if x > 0.5:
            x = np.sin(x)
        else:
            x = x * x + 0.3
    return x


def test_a_loop_that_breaks_keeps_the_stack():
    code = ad.show(stops_early, args=(0.9, 4))
    assert "stack.pop()" in code and "_steps" not in code, code
    for n in (0, 1, 4):
        assert_grad(stops_early, 0.9, n)


@pytest.mark.parametrize("f", [two_loops, branch_in_loop])
def test_a_loop_saving_once_per_step_keeps_lists(f):
    # (the second loop of two_loops saved x twice per step, at its start and with t1; a
    # branch's pieces saved x once more in each branch)
    code = ad.show(f, args=(0.9, 4))
    assert "stack" not in code and "x_steps.append(x)" in code, code
    assert code.count(".append(x)") == code.count(" in range(n):"), code   # once per step
    for n in (0, 1, 4):
        assert_grad(f, 0.9, n)


# -- symbolic shapes: where nothing was broadcast (analysis/shapes.py) ------------------------

def stencil(u, r):
    inner = u[1:-1] + r * (u[2:] - 2.0 * u[1:-1] + u[:-2])
    return np.sum(inner * u[::-1][1:-1])


def edge_broadcast(u):
    # u[:1] has length 1 (or 0): it is broadcast along u[1:], so its adjoint is a sum
    return np.sum(np.sin(u[1:] * u[:1] + u[-1]))


def rows_and_columns(a, b):
    return np.sum(a[1:, :] * b + a[:-1, 0:])   # b broadcast along the rows of a


@pytest.mark.parametrize("f, args", [
    (stencil, (np.linspace(0.0, 1.0, 7) ** 2, 0.3)),
    (stencil, (np.array([0.5, -0.2, 0.9]), 0.3)),
    (stencil, (np.array([0.5, -0.2]), 0.3)),      # empty interior
    (edge_broadcast, (np.array([0.4, -0.3, 1.2, 0.7]),)),
    (edge_broadcast, (np.array([0.4]),)),
    (rows_and_columns, (np.arange(12.0).reshape(4, 3) / 7, np.array([0.2, -1.0, 0.5]))),
])
def test_slices_of_one_shape_need_no_unbroadcast(f, args):
    assert_grad(f, *args, wrt=tuple(range(len(args))))


def test_the_stencil_s_gradient_has_no_unbroadcast_and_saves_no_temporary():
    code = ad.show(ad.grad(stencil), args=(np.ones(5), 0.3))
    assert "unbroadcast" not in code, code
    assert "_steps" not in code and "stack" not in code, code
    kept = ad.show(ad.grad(edge_broadcast), args=(np.ones(5),))
    assert "unbroadcast" in kept, kept   # u[:1] was broadcast: its adjoint sums


# -- a sum's adjoint reads its summand only for its shape (optimize.free_shape_reads) ------

def logistic(w, X, y):
    z = X @ w
    return np.sum(np.logaddexp(0.0, z) - y * z)


def mean_softplus(w, X):
    return np.mean(np.logaddexp(0.0, X @ w))


def outer_sum(a, b):
    return np.sum(a + b)   # a + b is broadcast: neither input has its shape


def test_the_summand_is_not_computed_for_its_shape():
    w, X, y = RNG.standard_normal(3), RNG.standard_normal((6, 3)), RNG.random(6)
    for f, args in ((logistic, (w, X, y)), (mean_softplus, (w, X))):
        code = ad.show(f, args=args)
        assert "logaddexp" not in code, code
        assert_grad(f, *args)
    assert re.search(r"filled_like\(z, \w+, y\)", ad.show(logistic, args=(w, X, y)))
    # softplus's adjoint: the logistic function of z itself (simplify drops z - 0.0)
    assert "stable_sigmoid(z)" in ad.show(logistic, args=(w, X, y))


X_MODULE = RNG.standard_normal((6, 3))


def penalised_by_a_module_array(w, b):
    r = X_MODULE @ w + b
    return np.sum(r ** 2) + 0.1 * np.sum(w ** 2)


def test_a_sum_of_what_a_module_level_array_gives_is_known_to_be_a_number():
    # (np.sum of anything is a number: the penalty's adjoint is 0.1 * out_bar, and the
    # penalty itself is not computed for its shape; the analyses took a value read from a
    # module-level name for one not known yet, which stayed so)
    code = ad.show(penalised_by_a_module_array, wrt=(0, 1), args=(np.ones(3), 0.5))
    assert "0.1 * np.sum" not in code and "unbroadcast(out_bar" not in code, code
    assert_grad(penalised_by_a_module_array, RNG.standard_normal(3), 0.5, wrt=(0, 1))


def test_the_summand_is_computed_where_no_input_has_its_shape():
    a, b = RNG.standard_normal((3, 1)), RNG.standard_normal((1, 4))
    code = ad.show(outer_sum, wrt=(0, 1), args=(a, b))
    assert re.search(r"filled_like\(t\w*, ", code) and "= a + b" in code, code
    assert_grad(outer_sum, a, b, wrt=(0, 1))


@pytest.mark.parametrize("y_dtype", [np.float32, np.float64])
def test_the_fill_has_the_summand_s_precision(y_dtype):
    # the fill stands for logaddexp(0, z) - y * z: float64 when y is, though z is float32
    w, X = RNG.standard_normal(3).astype(np.float32), RNG.standard_normal((6, 3))
    X, y = X.astype(np.float32), RNG.random(6).astype(y_dtype)
    fills = []

    def filled_like(x, value, *like):
        fills.append(runtime.filled_like(x, value, *like))
        return fills[-1]

    namespace = {**vars(runtime), "np": np, "filled_like": filled_like}
    exec(ad.show(logistic, args=(w, X, y)), namespace)
    namespace["grad_logistic"](w, X, y)
    assert [f.dtype for f in fills] == [np.result_type(np.float32, y_dtype)]


def broadcast_sum(a, b):
    return np.sum(a * 2.0 - b)


def broadcast_mean(a, b):
    return np.mean(np.logaddexp(a, b)) + np.sum(np.tanh(a) + b)


@pytest.mark.parametrize("f", [broadcast_sum, broadcast_mean])
@pytest.mark.parametrize("shapes", [((3, 4), (4,)), ((3, 4), (1, 4)), ((1, 4), (3, 4)),
                                    ((3, 1), (1, 4)), ((3, 1), (3, 4)), ((4,), (3, 4)), ((), (3,))])
def test_a_sum_of_a_broadcast_keeps_its_shape(f, shapes):
    a, b = (RNG.standard_normal(s) if s else float(RNG.standard_normal()) for s in shapes)
    assert_grad(f, a, b, wrt=(0, 1))
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        g = ad.grad(f, wrt=(0, 1))(a.astype(np.float32), b.astype(np.float32))
        assert [x.dtype for x in g] == [np.float32, np.float32]
        assert [x.shape for x in g] == [a.shape, b.shape]


# -- products written into an adjoint array nothing reads afterwards (update_in_place) ----

def two_layers(W1, W2, X):
    h = np.tanh(X @ W1)
    return np.sum(np.tanh(h @ W2))


def test_a_dead_adjoint_takes_the_product():
    W1, W2, X = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2)), RNG.standard_normal((5, 3))
    code = ad.show(two_layers, wrt=(0, 1), args=(W1, W2, X))
    assert "in_place(np.multiply, h_bar, 1 - h * h)" in code, code
    assert_grad(two_layers, W1, W2, X, wrt=(0, 1))
    g = ad.grad(two_layers, wrt=(0, 1))(W1.astype(np.float32), W2.astype(np.float32),
                                         X.astype(np.float32))
    assert [x.dtype for x in g] == [np.float32, np.float32]


@pytest.mark.parametrize("a, b, reused", [
    (np.ones((2, 3)), np.full(3, 2.0), True),
    (np.ones((2, 3)), 2.0, True),
    (np.ones((2, 3)), np.full((2, 1), 2.0), True),
    (np.ones(3), np.full((2, 3), 2.0), False),                 # the result is bigger
    (np.ones(3, dtype=np.float32), np.full(3, 2.0), False),    # and more precise
    (np.ones(3, dtype=np.float32), np.float64(2.0), False),
    (np.ones(3), np.full(3, 2.0 + 1j), False),
    (np.ones(3, dtype=np.float32), 2.0, True),
])
@pytest.mark.parametrize("ufunc, op", [(np.multiply, lambda a, b: a * b),
                                       (np.add, lambda a, b: a + b),
                                       (np.subtract, lambda a, b: a - b),
                                       (np.divide, lambda a, b: a / b)])
def test_in_place_gives_the_operation_s_value(a, b, reused, ufunc, op):
    expected = op(a, b)
    a = a.copy()
    result = runtime.in_place(ufunc, a, b)
    assert (result is a) == reused
    assert result.dtype == expected.dtype and result.shape == expected.shape
    np.testing.assert_array_equal(result, expected)


def test_in_place_of_numbers_and_read_only_arrays():
    assert type(runtime.in_place(np.multiply, 2.0, 3.0)) is float
    frozen = np.ones(3)
    frozen.flags.writeable = False
    result = runtime.in_place(np.add, frozen, 1.0)
    assert result is not frozen and (frozen == 1.0).all() and (result == 2.0).all()


# -- a factor two products share, taken out of their sum (optimize/factor.py) ----------

def softplus_minus_linear(w, X, y):
    z = X @ w
    return np.sum(np.logaddexp(0.0, z) - y * z)


def both_paths_added(w, X, y):
    z = X @ w
    return np.sum(np.sin(z) + y * z)


def twice_subtracted(w, X, y):
    z = X @ w
    return np.sum(-(y * z) - np.sin(z) * 2.0)


def negation_read_again(w, X, y):
    z = X @ w
    return np.sum(np.sin(z) - y * z) + np.sum(-(y * z))


FACTOR_ARGS = [(np.float64, np.float64), (np.float32, np.float32), (np.float32, np.float64)]


@pytest.mark.parametrize("dtypes", FACTOR_ARGS)
@pytest.mark.parametrize("f, z_bar, negations", [
    # (the line assigning z_bar, as a pattern; how many negations are left)
    (softplus_minus_linear, r"in_place\(np.multiply, t\d_bar, stable_sigmoid\(z\) - y\)", 0),
    (both_paths_added, r"in_place\(np.multiply, t\d_bar, y \+ np.cos\(z\)\)", 0),
    # (-2 a) * cos(z) + (-a) * y: no factor shared by name, the sum left as it is
    (twice_subtracted, r"t\d_bar \* np.cos\(z\) \+ t\d_bar \* y", 2),
    # -a * y - b * y + b * exp(z): the pair that leaves a negation out
    (negation_read_again, r"t\d_bar \* y \+ t\d_bar \* \(np.cos\(z\) - y\)", 1)])
def test_a_shared_factor_is_taken_out_of_the_sum(f, z_bar, negations, dtypes):
    w = RNG.standard_normal(3).astype(dtypes[0])
    X, y = RNG.standard_normal((6, 3)).astype(dtypes[0]), RNG.random(6).astype(dtypes[1])
    code = ad.show(f, args=(w, X, y))
    assert re.search(r"\n    z_bar = " + z_bar + "\n", code), code
    assert len(re.findall(r" = -t\d_bar\n", code)) == negations, code
    g = ad.grad(f)(w, X, y)
    assert g.dtype == w.dtype and g.shape == w.shape   # (SPEC: the argument's precision)
    wide = [a.astype(np.float64) for a in (w, X, y)]
    assert_close(g, ad.grad(f)(*wide), 1e-5 if np.float32 in dtypes else 1e-12, 1e-6)
    if dtypes == (np.float64, np.float64):
        assert_grad(f, w, X, y)


@pytest.mark.parametrize("code, factored", [
    ("n = -a\nv = n * np.cos(u) + a * w", "v = a * (w - np.cos(u))"),
    ("v = a * u + (w * 2.0) * a", "v = a * (u + w * 2.0)"),
    ("n = -a\nv = a * np.cos(u) + n * w + c", "v = a * (np.cos(u) - w) + c"),
    ("n = -a\nv = c - n * np.cos(u) - a * w", "v = c + a * (np.cos(u) - w)"),
    # not: both negated; the negation read again, or kept; a changed in between
    ("n = -a\nm = -a\nv = n * np.cos(u) + m * w", None),
    ("n = -a\nv = n * np.cos(u) + a * w\nk = n", None),
    ("n = -a\na = b\nv = n * np.cos(u) + a * w", None),
    ("n = -a\nv = n * np.cos(u) + a * w\nn = c", None),
    # only sums of floats: True + True is True (a * u + a * w is 2a where both hold)
    ("v = a * (u > 0) + a * (w >= 0)", None),
    ("v = a * u + a * w", None),   # (names: they may hold bools, or ints)
    ("v = a * u + a * 2", None),   # (uint8 u: u + 2 wraps around where a * u did not)
    ("v = a * (u > 0) + a * (w - 1)", None),
    ("v = a * (u > 0) + a * (w >= 0.5) * 2.0", None),
    ("v = a * (u > 0) + a * np.cos(w)", "v = a * ((u > 0) + np.cos(w))"),
    ("v = a * (u > 0) + a * (w - 1.0)", "v = a * ((u > 0) + (w - 1.0))"),
    # through a product read once: t = a * b, t * e + a * w is a * (b * e + w)
    ("t = a * b\nv = t * np.cos(u) + a * w", "v = a * (b * np.cos(u) + w)"),
    ("t = b * a\nn = -a\nv = n * w + t * np.cos(u)", "v = a * (b * np.cos(u) - w)"),
    ("t = a * b\nv = t * np.cos(u) + a * w\na = c", "v = a * (b * np.cos(u) + w)"),
    # not: the product read again or kept; what it reads changed in between (assigned,
    # an item written, given to a call)
    ("t = a * b\nv = t * np.cos(u) + a * w\nk = t", None),
    ("kept = a * b\nv = kept * np.cos(u) + a * w", None),
    ("t = a * b\nb = c\nv = t * np.cos(u) + a * w", None),
    ("t = a * b\na[0] += 1.0\nv = t * np.cos(u) + a * w", None),
    ("n = -a\na[1:] = c[1:]\nv = n * np.cos(u) + a * w", None),
    ("t = a * b\nnp.negative(b, out=b)\nv = t * np.cos(u) + a * w", None),
])
def test_factor_products_on_code(code, factored):
    from adcompile.optimize import factor_products
    stmts = ast.parse(code).body
    before = ast.unparse(stmts)

    def numeric_call(call):
        return ast.unparse(call.func) == "np.cos"

    after = ast.unparse(factor_products(stmts, kept={"kept"}, numeric_call=numeric_call))
    if factored is None:
        assert after == before
    else:
        assert factored in after.splitlines() and "-a" not in after, after
    values = {k: RNG.standard_normal(4) for k in "abcuw"}
    was, now = ({"np": np, **{k: v.copy() for k, v in values.items()}} for _ in range(2))
    exec(before, {}, was)
    exec(after, {}, now)
    assert_close(now["v"], was["v"], 1e-14, 1e-14)


def test_factors_are_taken_out_in_loops_and_branches():
    from adcompile.optimize import factor_products
    code = ("for i in range(3):\n    t = a * b\n    if c[i] > 0:\n        n = -c\n"
            "        v = n * np.cos(u) + c * w\n    a = t * np.cos(u) + a * w")
    stmts = ast.parse(code).body
    after = ast.unparse(factor_products(stmts, numeric_call=lambda call: True))
    assert "v = c * (w - np.cos(u))" in after and "a = a * (b * np.cos(u) + w)" in after, after
    values = {k: RNG.standard_normal(4) for k in "abcuw"}
    was, now = ({"np": np, **{k: v.copy() for k, v in values.items()}} for _ in range(2))
    exec(code, {}, was)
    exec(after, {}, now)
    assert_close(now["a"], was["a"], 1e-13, 1e-14)
    assert_close(now["v"], was["v"], 1e-13, 1e-14)


def math_recurrence(a, b, x, n):
    for i in range(n):
        x = a * x + b * math.sin(x) - math.exp(-x * x)
    return x + math.tanh(a)   # (run once: called as math.tanh)


def test_math_functions_loops_call_are_read_once():
    code = ad.show(math_recurrence, wrt=(0, 1), args=(0.5, 1.0, 1.0, 5))
    lines = code.splitlines()
    assert lines[2:5] == ["    sin = math.sin", "    exp = math.exp", "    cos = math.cos"], code
    assert "math.sin(" not in code and "math.exp(" not in code, code
    assert "math.tanh(a)" in code and "tanh =" not in code, code
    assert "x_bar * (b * cos(x) + a)" in code, code   # (the product through b taken out)
    for wrt in [(0, 1), 2]:
        assert_grad(math_recurrence, 0.5, 1.0, 1.0, 5, wrt=wrt)


def sin_named_sin(sin, x, n):
    for i in range(n):
        x = sin * math.sin(x)
    return x


def test_local_math_names_never_take_a_user_s_name():
    code = ad.show(sin_named_sin, wrt=(0, 1), args=(0.9, 1.0, 4))
    assert "    sin_2 = math.sin\n" in code and "sin_2(x)" in code, code
    assert_grad(sin_named_sin, 0.9, 1.0, 4, wrt=(0, 1))
    # code differentiated again keeps math.sin (its passes add no local names)
    assert_close(ad.hessian(sin_named_sin, wrt=1)(0.9, 1.0, 4),
                 ad.grad(ad.grad(sin_named_sin, wrt=1), wrt=1)(0.9, 1.0, 4), 1e-12, 0)


def uint8_pixels(w, y):
    return np.sum(w * y + w * 2)


def test_factoring_never_adds_ints():
    # a * y + a * 2 is not a * (y + 2): uint8 values wrap around (255 + 2 is 1)
    w, y = np.array([0.5, 1.0, 2.0]), np.array([255, 254, 3], dtype=np.uint8)
    assert_close(ad.grad(uint8_pixels)(w, y), y.astype(np.float64) + 2.0, 1e-15, 0)
    assert_grad(uint8_pixels, w, y)
