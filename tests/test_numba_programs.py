"""Programs written the way users write them, differentiated with backend="numba": GLMs
(logistic, Poisson, least squares, probit, hinge, Huber; with and without an intercept,
weights and penalties, np.mean and np.sum), small tanh networks, scalar loops, recurrences
over arrays, heat-equation updates of slices, and data of every kind the blocks of rows
(numba_blocks.py) meet: float32, integers, Fortran order, every other column or row, a y of
one entry NumPy broadcasts, fewer rows than a block, one block, several and a part. Each
gradient must compile (no fallback) and agree with finite differences and, to rounding,
with the plain Python gradient, with the same types, shapes and dtypes."""

import math

import numpy as np
import pytest
from conftest import assert_close, numerical_grad
from test_numba import compiled, numba  # noqa: F401 (a fixture)

import adcompile as ad
from adcompile.backend.numba_blocks import BLOCK_BYTES

D = 32
BLOCK = BLOCK_BYTES // (D * 8)   # rows of float64 data in one block


def logistic(w, X, y):
    z = X @ w
    return np.sum(np.logaddexp(0.0, z) - y * z)


def logistic_intercept(w, b, X, y):
    z = X.dot(w) + b
    return np.mean(np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0) - y * z)


def logistic_ridge(w, b, X, y, lam):
    z = X.dot(w) + b
    return np.mean(np.logaddexp(0, z) - y * z) + lam * np.sum(w ** 2)


def logistic_weighted(w, X, y, s):
    z = X @ w
    return np.sum(s * (np.logaddexp(0, z) - y * z)) / np.sum(s)


def poisson(w, X, y):
    z = X.dot(w)
    return np.sum(np.exp(z) - y * z)


def poisson_intercept_ridge(w, b, X, y):
    z = X.dot(w) + b
    return np.mean(np.exp(z) - y * z) + 0.5 * w.dot(w)


def least_squares(w, X, y):
    r = X.dot(w) - y
    return 0.5 * np.sum(r * r)


def least_squares_mean(w, b, X, y):
    r = X @ w + b - y
    return np.mean(r ** 2)


def least_squares_weighted_ridge(w, X, y, s, lam):
    r = X.dot(w) - y
    return np.sum(s * r ** 2) + lam * np.dot(w, w)


def probit(w, X, y):
    z = X.dot(w)
    p = 0.5 * (1.0 + np.tanh(0.7978845608 * (z + 0.044715 * z ** 3)))
    return -np.sum(y * np.log(p + 1e-9) + (1 - y) * np.log(1 - p + 1e-9))


def hinge(w, X, y):
    return np.mean(np.maximum(0.0, 1.0 - y * X.dot(w))) + 0.01 * np.sum(w * w)


def squared_hinge(w, b, X, y):
    m = np.maximum(0.0, 1.0 - y * (X.dot(w) + b))
    return np.sum(m * m)


def huber(w, X, y):
    r = X.dot(w) - y
    a = np.abs(r)
    return np.sum(np.where(a < 1.0, 0.5 * r * r, a - 0.5))


def cross_entropy(w, X, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def variance_of_scores(w, X):
    z = X @ w
    return np.mean((z - np.mean(z)) ** 2)


def elastic_net(w, X, y, a):
    r = X.dot(w) - y
    return np.sum(r ** 2) + a * np.sum(np.abs(w)) + a * np.sum(w ** 2)


def two_layers(W1, w2, X, y):
    h = np.tanh(X @ W1)
    return np.mean((h @ w2 - y) ** 2)


def two_layers_with_biases(W1, b1, w2, b2, X, y):
    h = np.tanh(X.dot(W1) + b1)
    out = h.dot(w2) + b2
    return np.sum((out - y) ** 2) / len(y)


def three_layers(W1, W2, w3, X, y):
    h2 = np.tanh(np.tanh(X @ W1) @ W2)
    z = h2 @ w3
    return np.mean(np.logaddexp(0, z) - y * z)


def softmax_regression(W, X, Y):
    z = X @ W
    z = z - np.max(z, axis=1, keepdims=True)
    return np.mean(np.log(np.sum(np.exp(z), axis=1)) - np.sum(z * Y, axis=1))


def rbf_sum(c, X):
    d = X - c
    return np.sum(np.exp(-np.sum(d * d, axis=1)))


def until_large(x, y):
    s = x
    k = 0
    while s < 10.0 and k < 50:
        s = s * 1.3 + y
        k += 1
    return s * x


def newton_sqrt(a):
    x = a
    for _ in range(8):
        x = 0.5 * (x + a / x)
    return x


def heat(u, k):
    for _ in range(5):
        u = u.copy()
        u[1:-1] = u[1:-1] + k * (u[2:] - 2 * u[1:-1] + u[:-2])
    return np.sum(u ** 2)


def heat_laplacian(u, k):
    for _ in range(4):
        lap = np.zeros_like(u)
        lap[1:-1] = u[2:] - 2 * u[1:-1] + u[:-2]
        u = u + k * lap
    return np.sum(u * u)


def heat_ring(u, k):
    for _ in range(4):   # periodic boundaries
        u = u + k * (np.roll(u, 1) - 2 * u + np.roll(u, -1))
    return np.sum(u * u)


def pairwise_repulsion(x):
    s = 0.0
    n = x.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            d = x[i] - x[j]
            s += 1.0 / (1.0 + d * d)
    return s


def quadratic_form(w, A):
    return w @ A @ w + np.sum(np.sin(w))


def mean_activation(W, X):
    return np.sum(np.mean(np.tanh(X @ W), axis=0) ** 2)


def piecewise(x, y):
    return max(x, y) * min(x, y * 2) + abs(x - y) + x * math.copysign(1.0, x - 0.1)


def rnn_readout(W, U, V, b, h0, xs, ys):
    h = h0
    loss = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + b)
        o = V @ h
        loss = loss + np.sum((o - ys[t]) ** 2)
    return loss / max(xs.shape[0], 1)


def gru(Wz, Wr, Wh, Uz, Ur, Uh, h0, xs, ys):
    h = h0
    loss = 0.0
    for t in range(xs.shape[0]):
        z = 1.0 / (1.0 + np.exp(-(Wz @ h + Uz @ xs[t])))
        r = 1.0 / (1.0 + np.exp(-(Wr @ h + Ur @ xs[t])))
        candidate = np.tanh(Wh @ (r * h) + Uh @ xs[t])
        h = (1 - z) * h + z * candidate
        loss = loss + 0.5 * np.sum((h - ys[t]) ** 2)
    return loss


def lstm(Wi, Wf, Wo, Wg, Ui, Uf, Uo, Ug, h0, c0, xs):
    h, c = h0, c0
    loss = 0.0
    for t in range(xs.shape[0]):
        x = xs[t]
        i = 1.0 / (1.0 + np.exp(-(Wi @ h + Ui @ x)))
        f = 1.0 / (1.0 + np.exp(-(Wf @ h + Uf @ x)))
        o = 1.0 / (1.0 + np.exp(-(Wo @ h + Uo @ x)))
        g = np.tanh(Wg @ h + Ug @ x)
        c = f * c + i * g
        h = o * np.tanh(c)
        loss = loss + np.sum(h * h)
    return loss


def leaky_states(a, U, h0, xs):
    h = h0
    loss = 0.0
    for t in range(xs.shape[0]):
        h = a * h + np.tanh(U @ xs[t])
        loss = loss + np.sum(h ** 2)
    return loss


def states_in_a_list(W, U, h0, xs):
    hs = [h0]
    for t in range(len(xs)):
        hs.append(np.tanh(W @ hs[-1] + U @ xs[t]))
    total = 0.0
    for h in hs:
        total = total + np.sum(h ** 2)
    return total


def scalar_recurrence(w, u, h0, xs):
    h = h0
    loss = 0.0
    for t in range(len(xs)):
        h = np.tanh(w * h + u * xs[t])
        loss = loss + (h - 0.5) ** 2
    return loss


def recurrent_cases(steps=7):
    """Recurrences over time steps, with the arguments of one: (f, args, wrt, id)."""
    rng = np.random.default_rng(12)
    H, I = 5, 3

    def m(*shape):
        return rng.standard_normal(shape) * 0.4
    xs = m(steps, I)
    return [
        (rnn_readout, (m(H, H), m(H, I), m(2, H), m(H), m(H), xs, m(steps, 2)), (0, 1, 2, 3, 4),
         "rnn_readout"),
        (gru, (m(H, H), m(H, H), m(H, H), m(H, I), m(H, I), m(H, I), m(H), xs, m(steps, H)),
         (0, 1, 2, 3, 4, 5, 6), "gru"),
        (leaky_states, (0.7, m(H, I), m(H), xs), (0, 1, 2), "leaky_states"),
        (leaky_states, (0.7, m(H, I), m(1), xs), (0, 1, 2), "leaky_states-broadcast_h0"),
        (lstm, (m(H, H), m(H, H), m(H, H), m(H, H), m(H, I), m(H, I), m(H, I), m(H, I), m(H),
                m(H), xs), tuple(range(10)), "lstm"),
        (states_in_a_list, (m(H, H), m(H, I), m(H), xs), (0, 1, 2), "states_in_a_list"),
        (scalar_recurrence, (0.5, 0.3, 0.1, m(steps)), (0, 1, 2), "scalar_recurrence"),
    ]


def glm_data(n, seed, d=D):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return rng.standard_normal(d) * 0.5 / np.sqrt(d), X, (rng.random(n) < 0.5) * 1.0


def glm_cases():
    cases = []
    for n in (50, BLOCK, 2 * BLOCK + 37):   # fewer rows than a block, one, several and a part
        w, X, y = glm_data(n, n)
        cases += [(logistic, (w, X, y), 0, f"n{n}"),
                  (logistic_intercept, (w, 0.2, X, y), (0, 1), f"n{n}"),
                  (logistic_ridge, (w, 0.2, X, y, 0.1), (0, 1), f"n{n}"),
                  (poisson, (w * 0.3, X, y), 0, f"n{n}"),
                  (least_squares, (w, X, y), 0, f"n{n}")]
    w, X, y = glm_data(BLOCK + 11, 1)
    s = np.random.default_rng(3).random(len(y))
    signs = 2 * y - 1
    cases += [
        (logistic_weighted, (w, X, y, s), 0, ""),
        (poisson_intercept_ridge, (w * 0.3, 0.1, X, y), (0, 1), ""),
        (least_squares_mean, (w, 0.3, X, y), (0, 1), ""),
        (least_squares_weighted_ridge, (w, X, y, s, 0.2), 0, ""),
        (probit, (w, X, y), 0, ""), (hinge, (w, X, signs), 0, ""),
        (squared_hinge, (w, 0.1, X, signs), (0, 1), ""), (huber, (w, X, 3 * y), 0, ""),
        (cross_entropy, (w, X, y), 0, ""), (variance_of_scores, (w, X), 0, ""),
        (elastic_net, (w + 0.01, X, y, 0.1), 0, ""),
        (least_squares, (w, np.asfortranarray(X), y), 0, "fortran"),
        (logistic_intercept, (w, 0.2, np.asfortranarray(X), y), (0, 1), "fortran"),
        (least_squares, (w[:D // 2], X[:, ::2], y), 0, "every_other_column"),
        (logistic, (w[:D // 2], X[::2, ::2], y[::2]), 0, "every_other_row_and_column"),
        (least_squares, (w, X[::-1], y), 0, "rows_reversed"),
        (least_squares, (w, X, y[:1]), 0, "y_broadcast"),
        (logistic_intercept, (w, 0.1, X, np.array([1.0])), (0, 1), "y_broadcast"),
        (least_squares, (w, X, y.astype(np.int64)), 0, "integer_y"),
        (poisson, (w * 0.3, X[:1], y[:1]), 0, "one_row"),
    ]
    return cases


def small_cases():
    rng = np.random.default_rng(4)
    W1, w2 = rng.standard_normal((8, 5)) * 0.3, rng.standard_normal(5) * 0.3
    X, y = rng.standard_normal((40, 8)), rng.standard_normal(40)
    return [
        (two_layers, (W1, w2, X, y), (0, 1), ""),
        (two_layers_with_biases, (W1, rng.standard_normal(5) * 0.1, w2, 0.2, X, y),
         (0, 1, 2, 3), ""),
        (three_layers, (W1, rng.standard_normal((5, 4)) * 0.3, rng.standard_normal(4), X,
                        (y > 0) * 1.0), (0, 1, 2), ""),
        (softmax_regression, (rng.standard_normal((8, 3)) * 0.3, X,
                              np.eye(3)[rng.integers(0, 3, 40)]), 0, ""),
        (rbf_sum, (rng.standard_normal(8) * 0.3, X * 0.3), 0, ""),
        (mean_activation, (W1, X), 0, ""),
        (until_large, (0.5, 0.2), (0, 1), ""), (newton_sqrt, (2.5,), 0, ""),
        (heat, (rng.standard_normal(30), 0.2), (0, 1), ""),
        (heat, (rng.standard_normal(30)[::2], 0.2), (0, 1), "strided"),
        (heat_laplacian, (rng.standard_normal(30), 0.2), (0, 1), ""),
        (heat_ring, (rng.standard_normal(30), 0.2), (0, 1), ""),
        (pairwise_repulsion, (rng.standard_normal(7),), 0, ""),
        (quadratic_form, (rng.standard_normal(6), rng.standard_normal((6, 6))), 0, ""),
        (piecewise, (0.3, 0.8), (0, 1), ""), (piecewise, (-0.7, 0.2), (0, 1), ""),
    ]


CASES = glm_cases() + small_cases()


def check(f, args, wrt, kind="grad"):
    """The compiled result of ``kind`` against the plain one (to rounding: the blocks and
    numba's exp add and round otherwise; same types, shapes and dtypes, but for a NumPy
    float of the plain code that numba gives as a Python float) and central differences."""
    extra = (0.5,) if kind == "vjp" else ()
    g, got = compiled(f, wrt, args + extra, kind)
    plain = getattr(ad, kind)(f, wrt=wrt)(*args + extra)
    if kind != "grad":
        assert_close(got[0], plain[0], 1e-10, 1e-12, "value")
        got, plain = got[1], plain[1]
    wrts = wrt if isinstance(wrt, tuple) else (wrt,)
    got, plain = (got, plain) if isinstance(wrt, tuple) else ((got,), (plain,))
    for index, value, reference in zip(wrts, got, plain):
        assert type(value) is type(reference) or isinstance(reference, np.floating) \
            and type(value) is float, (type(value), type(reference))
        assert np.shape(value) == np.shape(reference) == np.shape(args[index])
        assert np.asarray(value).dtype == np.asarray(reference).dtype
        assert_close(value, reference, 1e-9, 1e-12)
        expected = numerical_grad(f, args, index) * (0.5 if kind == "vjp" else 1.0)
        assert_close(value, expected)
    return g


@pytest.mark.parametrize("f, args, wrt, data", CASES,
                         ids=[f"{c[0].__name__}-{c[3]}" if c[3] else c[0].__name__
                              for c in CASES])
def test_compiled_gradients_of_users_programs(numba, f, args, wrt, data):
    g = check(f, args, wrt)
    if f in (logistic, least_squares, poisson) and data.startswith("n"):
        assert "_rows_1" in g.numba.variants[0].text   # (the blocks are used)


@pytest.mark.parametrize("kind", ["value_and_grad", "vjp"])
@pytest.mark.parametrize("f, args, wrt", [
    (c[0], c[1], c[2]) for c in CASES if c[0] in (logistic_ridge, squared_hinge,
                                                   two_layers_with_biases, heat, until_large)
    and not c[3].startswith("n5") and c[3] != "strided"], ids=lambda v: getattr(v, "__name__", ""))
def test_value_and_grad_and_vjp_of_users_programs(numba, kind, f, args, wrt):
    check(f, args, wrt, kind)


def test_float32_data_in_fortran_order(numba):
    w, X, y = glm_data(4 * BLOCK + 5, 9)
    args = (w.astype(np.float32), np.asfortranarray(X, np.float32), y.astype(np.float32))
    g, w_bar = compiled(least_squares, 0, args)
    plain_w = ad.grad(least_squares)(*args)
    assert w_bar.dtype == plain_w.dtype == np.float32
    np.testing.assert_allclose(w_bar, plain_w, rtol=1e-4, atol=1e-4)
    exact = numerical_grad(least_squares, (w.astype(np.float32).astype(float),
                                           X.astype(np.float32).astype(float), y), 0)
    np.testing.assert_allclose(w_bar, exact, rtol=1e-3, atol=1e-5)


# --- recurrences over time steps: loop fission's code compiled -----------------------------

#: the recurrences whose gradient numba compiles as Python runs it, its reversed loop split
#: (loop fission: the steps' values stacked into arrays, numba_steps.py); the others
#: compile the code made for differentiating again
FISSIONED = ("rnn_readout", "gru", "leaky_states", "leaky_states-broadcast_h0")


@pytest.mark.parametrize("f, args, wrt, name", recurrent_cases(),
                         ids=[c[3] for c in recurrent_cases()])
def test_recurrences_over_time_steps(numba, f, args, wrt, name):
    g = check(f, args, wrt)
    variant = g.numba.variants[0]
    assert ("step_arrays(" in variant.text) == (name in FISSIONED)
    assert "step_arrays(" in ad.show(f, wrt=wrt, args=args) or name not in FISSIONED
    if name == "scalar_recurrence":   # (numba's step_arrays takes no lists of numbers)
        assert "step_arrays" in variant.passed_over[0]
    else:
        assert variant.passed_over == []


@pytest.mark.parametrize("kind", ["value_and_grad", "vjp"])
def test_value_and_grad_and_vjp_of_a_recurrence(numba, kind):
    f, args, wrt, _ = recurrent_cases()[0]
    g = check(f, args, wrt, kind)
    assert "outer_steps(" in g.numba.variants[0].text


def test_a_loop_of_no_steps_runs_as_python(numba):
    """numba's step helpers give no arrays for a loop of no steps (Python's step_arrays
    gives None): that call runs as Python, saying so once; the next calls compiled."""
    from adcompile.backend.jit import NumbaFallbackWarning
    f, args, wrt, _ = recurrent_cases(steps=0)[0]
    g = ad.grad(f, wrt=wrt, backend="numba")
    with pytest.warns(NumbaFallbackWarning, match="a loop of no steps"):
        got = g(*args)
    for value, reference in zip(got, ad.grad(f, wrt=wrt)(*args)):
        assert_close(value, reference, 0, 0)
    assert g.numba.fallbacks == [] and g.numba.variants[0].beyond
    f, longer, wrt, _ = recurrent_cases(steps=4)[0]
    for index, value in enumerate(g(*longer)):
        assert_close(value, numerical_grad(f, longer, index))


def test_the_rnn_workload_compiles_its_split_loops(numba):
    """The benchmarks' RNN: the compiled code is loop fission's, and its gradient the
    hand-written one's."""
    from benchmarks import workloads
    W, U, b, h0, xs, ys = workloads.rnn_args()
    args = (W[:8, :8], U[:8, :5], b[:8], h0[:8], xs[:6, :5], ys[:6, :8])
    g, got = compiled(workloads.rnn_loss, (0, 1, 2, 3), args)
    assert "outer_steps(" in g.numba.variants[0].text
    for index, value, expected in zip(range(4), got, workloads.rnn_hand_grad(*args)):
        assert_close(value, expected, 1e-12, 1e-14)
        assert_close(value, numerical_grad(workloads.rnn_loss, args, index))


# --- while True: numba's compiled loop must leave at the break --------------------------------

def babylonian(a):
    x = a
    n = 0
    while True:
        x = 0.5 * (x + a / x)
        n += 1
        if n >= 4:
            break
    return x


def halved_until_small(a):
    x = a
    while 1:
        x = x * 0.5
        if x < 0.1:
            break
    return x * a


def energy_until_settled(x):
    y = x * 1.0
    n = 0
    acc = 0.0
    while True:
        acc = acc + np.sum(y ** 2)
        y[n % 3] *= 0.5 + y[(n + 1) % 3] ** 2
        n += 1
        if n >= 4:
            break
    return acc


def returns_from_the_loop(a):
    x, k = a, 0
    while True:
        if x < 0.1:
            return x * k
        x = x * 0.5
        k += 1


@pytest.mark.parametrize("f, args", [(babylonian, (2.0,)), (halved_until_small, (1.3,)),
                                     (energy_until_settled, (np.array([0.3, -0.5, 0.8]),)),
                                     (returns_from_the_loop, (1.3,))],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_while_true_loops_leave_at_their_break(numba, f, args):
    """(found by probe 8: the compiled ``while True: ... if n >= 4: n = n_2; break`` of the
    forward sweep never left the loop, pushing onto the tape until memory ran out: numba
    reads the bytecode of a loop whose test Python compiled away wrongly, so the lowering
    gives such a loop a test of a name)"""
    g = check(f, args, 0)
    assert "while running_1:" in g.numba.variants[0].text


def test_the_lowering_gives_a_while_true_loop_a_name_as_its_test():
    from adcompile.backend.numba_lowering import lowered
    text = ("def f(x, out_bar=1.0):\n"
            "    while True:\n"
            "        x = x * 0.5\n"
            "        while 1:\n"
            "            if x < 1.0:\n"
            "                break\n"
            "        if x < 0.1:\n"
            "            break\n"
            "    while x > 5.0:\n"
            "        x = x - 1.0\n"
            "    return x\n")
    code, _ = lowered(text)
    assert code.splitlines()[1] == "    running_1 = True"
    assert code.count("while running_1:") == 2 and "while x > 5.0:" in code


# --- reshapes of arrays that are not contiguous -----------------------------------------------

def flattened_transpose(A):
    return np.sum(A.T.reshape(-1) * np.arange(1.0, A.size + 1.0))


def raveled_transpose_of_a_reshape(x):
    return np.sum(np.sin(x.copy().reshape(2, 3).T.ravel()) * np.arange(6.0))


def reshaped_strided_columns(A):
    return np.sum(np.reshape(A[:, ::2], (-1,)) ** 2)


@pytest.mark.parametrize("f, args", [
    (flattened_transpose, (np.arange(6.0).reshape(2, 3) * 0.3 - 0.4,)),
    (raveled_transpose_of_a_reshape, (np.linspace(-1.0, 1.0, 6),)),
    (reshaped_strided_columns, (np.arange(12.0).reshape(3, 4) * 0.1,))],
    ids=lambda v: getattr(v, "__name__", ""))
def test_reshapes_of_arrays_that_are_not_contiguous(numba, f, args):
    """(found by probe 8: numba's reshape of a transposed array, in the adjoint of
    ``A.T.reshape(-1)``, raised NotImplementedError when the code ran)"""
    check(f, args, 0)


def test_the_lowering_reshapes_a_contiguous_copy():
    from adcompile.backend.numba_lowering import lowered
    text = ("def f(x, out_bar=1.0):\n"
            "    a = x.T.reshape(-1)\n"
            "    b = np.reshape(a, (2, 3))\n"
            "    c = np.reshape(b, (6,), order='F')\n"
            "    return a, b, c\n")
    code, _ = lowered(text)
    assert "a = np.ascontiguousarray(x.T).reshape(-1)" in code
    assert "b = np.reshape(np.ascontiguousarray(a), (2, 3))" in code
    assert "c = np.reshape(b, (6,), order='F')" in code
