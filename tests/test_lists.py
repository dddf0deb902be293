"""Python lists and tuples of active values (SPEC.md: "for over range(...), arrays and
lists"): ``hs = []`` then ``hs.append(h)`` in a loop, read back by index (``hs[-1]``,
``hs[3]``, ``hs[i]`` in a second loop), iterated over (``for h in hs``) and summed in a
loop; list and tuple literals of active values, indexed and unpacked.

Gradients are compared with central finite differences (conftest.assert_grad), closed
forms, and for the RNN that collects its hidden states, with a backprop-through-time
written here with NumPy.
"""

import autograd
import numpy as np
import pytest
from conftest import assert_close, assert_grad, numerical_grad, reals
from hypothesis import given, settings
from hypothesis import strategies as st

import adcompile as ad

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

CF = settings(max_examples=15, deadline=None)


# ---------------------------------------------------------------------------
# an RNN that collects its hidden states in a list
# ---------------------------------------------------------------------------

def rnn_states_loss(W, U, h0, xs, c):
    h = h0
    hs = []
    for t in range(len(xs)):
        h = np.tanh(W @ h + U @ xs[t])
        hs.append(h)
    total = 0.0
    for i in range(len(hs)):
        total = total + np.sum(c * hs[i])
    return total + np.sum(hs[-1] ** 2) + 2.0 * np.sum(hs[3] * c)


def rnn_states_bptt(W, U, h0, xs, c):
    """Hand-written backprop-through-time for rnn_states_loss: (dW, dU, dh0)."""
    T = len(xs)
    hs = [h0]
    for t in range(T):
        hs.append(np.tanh(W @ hs[-1] + U @ xs[t]))
    # direct gradient of the loss with respect to hs[t + 1] (= the list's hs[t])
    direct = [c.copy() for _ in range(T)]
    direct[T - 1] = direct[T - 1] + 2.0 * hs[T]
    direct[3] = direct[3] + 2.0 * c
    dW, dU = np.zeros_like(W), np.zeros_like(U)
    dh = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        dh = dh + direct[t]
        da = dh * (1.0 - hs[t + 1] ** 2)
        dW += np.outer(da, hs[t])
        dU += np.outer(da, xs[t])
        dh = W.T @ da
    return dW, dU, dh


def rnn_problem(seed, hidden, inputs, steps):
    rng = np.random.default_rng(seed)
    return (1.2 * rng.normal(size=(hidden, hidden)) / np.sqrt(hidden),
            rng.normal(size=(hidden, inputs)) / np.sqrt(inputs),
            rng.normal(size=hidden), rng.normal(size=(steps, inputs)), rng.normal(size=hidden))


def test_reference_bptt_matches_finite_differences():
    args = rnn_problem(0, 4, 3, 6)
    for where, expected in enumerate(rnn_states_bptt(*args)):
        assert_close(expected, numerical_grad(rnn_states_loss, args, where), 1e-6, 1e-8)


@pytest.mark.parametrize("steps", [4, 5, 12])
def test_rnn_collecting_hidden_states(steps):
    args = rnn_problem(steps, 6, 3, steps)
    gW, gU, gh0 = assert_grad(rnn_states_loss, *args, wrt=(0, 1, 2))
    dW, dU, dh0 = rnn_states_bptt(*args)
    assert_close(gW, dW, 1e-10, 1e-13, "dW")
    assert_close(gU, dU, 1e-10, 1e-13, "dU")
    assert_close(gh0, dh0, 1e-10, 1e-13, "dh0")


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), steps=st.integers(4, 9), hidden=st.integers(1, 5))
def test_rnn_collecting_hidden_states_property(seed, steps, hidden):
    args = rnn_problem(seed, hidden, 2, steps)
    grads = ad.grad(rnn_states_loss, wrt=(0, 1, 2))(*args)
    for got, want in zip(grads, rnn_states_bptt(*args)):
        assert_close(got, want, 1e-10, 1e-13)


# ---------------------------------------------------------------------------
# iterating over a collected list; reading it back by index
# ---------------------------------------------------------------------------

def iterate_collected(W, h0, n):
    h = h0
    hs = []
    for t in range(n):
        h = np.tanh(W @ h)
        hs.append(h)
    total = 0.0
    for k in hs:
        total = total + np.sum(k * k)
    return total


def enumerate_collected(x, w, n):
    hs = []
    h = x
    for i in range(n):
        h = np.sin(h * w) + x
        hs.append(h)
    s = 0.0
    for i, h in enumerate(hs):
        s = s + (i + 1) * h
    return s


def pairwise(x, w, n):
    hs = [x]
    for i in range(n):
        hs.append(np.tanh(hs[-1] * w))
    s = 0.0
    for i in range(1, len(hs)):
        s = s + hs[i] * hs[i - 1]
    return s


def reversed_reads(x, n):
    vals = []
    for i in range(n):
        vals.append(np.sin(x * (i + 1)))
    s = 0.0
    for i in range(len(vals)):
        s = s * 0.5 + vals[len(vals) - 1 - i] * (i + 1)
    return s


def scalar_list(x, n):
    vals = []
    for i in range(n):
        vals.append(x * (i + 1))
    s = 0.0
    for v in vals:
        s = s + v * v
    return s + len(vals)


def test_for_over_a_collected_list():
    rng = np.random.default_rng(1)
    W, h0 = 0.8 * rng.normal(size=(3, 3)), rng.normal(size=3)
    g = ad.grad(iterate_collected, wrt=(0, 1))
    for n in (0, 1, 6):
        got = assert_grad(iterate_collected, W, h0, n, wrt=(0, 1))
        for a, b in zip(g(W, h0, n), got):
            assert_close(a, b, 1e-14, 0)
    gW, gh0 = g(W, h0, 0)
    assert_close(gW, np.zeros((3, 3)), 0, 0)
    assert_close(gh0, np.zeros(3), 0, 0)
    for n in (0, 1, 4):
        assert_grad(enumerate_collected, 0.4, 1.3, n, wrt=(0, 1))


def test_list_read_by_index_in_a_second_loop():
    for n in (0, 1, 2, 7):
        assert_grad(pairwise, 0.8, 1.1, n, wrt=(0, 1))
        assert_grad(reversed_reads, 0.6, n)
    # pairwise with n = 1: x * tanh(w x)
    gx, gw = ad.grad(pairwise, wrt=(0, 1))(0.8, 1.1, 1)
    t = np.tanh(1.1 * 0.8)
    assert_close(gx, t + 0.8 * (1 - t ** 2) * 1.1, 1e-12, 1e-14)
    assert_close(gw, 0.8 * (1 - t ** 2) * 0.8, 1e-12, 1e-14)


@CF
@given(x=reals(-2.0, 2.0), n=st.integers(0, 6))
def test_scalar_list_property(x, n):
    g = assert_grad(scalar_list, x, n)
    assert_close(g, sum(2 * x * (i + 1) ** 2 for i in range(n)), 1e-12, 1e-12)


@CF
@given(x=reals(-2.0, 2.0), w=reals(-2.0, 2.0), n=st.integers(0, 5))
def test_collected_lists_property(x, w, n):
    assert_grad(pairwise, x, w, n, wrt=(0, 1))
    assert_grad(enumerate_collected, x, w, n, wrt=(0, 1))


def append_then_rebind(x):
    vals = []
    y = x * 2.0
    vals.append(y)
    y = y * y
    vals.append(y)
    return vals[0] * 10.0 + vals[1] + y


def test_the_list_keeps_the_value_appended_not_the_variable():
    # vals = [2x, 4x**2], y = 4x**2: 20x + 8x**2
    for x in (0.5, -1.5):
        assert_close(assert_grad(append_then_rebind, x), 20.0 + 16.0 * x, 1e-12, 1e-14)


# ---------------------------------------------------------------------------
# list and tuple literals of active values
# ---------------------------------------------------------------------------

def literals(a, b):
    p = [a, b]
    q = (a, b * a)
    return np.sum(p[0] * q[1] + p[-1] * np.sin(q[0]))


def literal_unpack(a, b):
    p = [a * b, a + b]
    u, v = p
    t = (u, v, a)
    x, y, z = t
    return np.sum(x * y * z)


def loop_over_list_literal(a, b):
    s = 0.0
    for v in [a, b, a * b]:
        s = s + np.sum(np.tanh(v))
    return s


def total(seq):
    s = 0.0
    for v in seq:
        s = s + v
    return s


def list_to_helper(x, y):
    return np.sum(total([x, y, x * y]) ** 2)


def collect(x, n):
    hs = []
    h = x
    for i in range(n):
        h = np.cos(h) * x
        hs.append(h)
    return hs


def list_from_helper(x, n):
    hs = collect(x, n)
    return np.sum(hs[-1]) + np.sum(hs[0] * hs[0])


@pytest.mark.parametrize("scalar", [True, False], ids=["floats", "arrays"])
def test_list_and_tuple_literals(scalar):
    if scalar:
        a, b = 0.7, -1.2
    else:
        a, b = np.array([0.7, 0.1, -0.5]), np.array([-1.2, 0.4, 2.0])
    ga, gb = assert_grad(literals, a, b, wrt=(0, 1))
    # a * b * a + b * sin(a)
    assert_close(ga, 2 * a * b + b * np.cos(a), 1e-12, 1e-14)
    assert_close(gb, a * a + np.sin(a), 1e-12, 1e-14)
    ga, gb = assert_grad(literal_unpack, a, b, wrt=(0, 1))
    # (a b)(a + b) a = a**3 b + a**2 b**2
    assert_close(ga, 3 * a ** 2 * b + 2 * a * b ** 2, 1e-12, 1e-14)
    assert_close(gb, a ** 3 + 2 * a ** 2 * b, 1e-12, 1e-14)
    ga, gb = assert_grad(loop_over_list_literal, a, b, wrt=(0, 1))
    s_ab = 1 - np.tanh(a * b) ** 2
    assert_close(ga, 1 - np.tanh(a) ** 2 + b * s_ab, 1e-12, 1e-14)
    ga, gb = assert_grad(list_to_helper, a, b, wrt=(0, 1))
    assert_close(ga, 2 * (a + b + a * b) * (1 + b), 1e-12, 1e-14)


def test_list_returned_by_a_helper():
    x = np.array([0.3, -0.9])
    for n in (1, 2, 5):
        assert_grad(list_from_helper, x, n)


def pops_what_it_pushed(x):
    saved = []
    s = x
    for i in range(3):
        saved.append(s)
        s = np.sin(s) * x
    for i in range(3):
        u = saved.pop()
        s = s + u * u
    return s


def pops_some(x, y):
    hs = [x, y]
    hs.append(x * y)
    top = hs.pop()
    return top * hs[-1]


def test_pop_returns_items_in_reverse():
    assert_grad(pops_what_it_pushed, 0.7)


def test_pop_then_index():
    assert_grad(pops_some, 0.7, -0.4, wrt=(0, 1))


def drops_the_last_item(x):
    hs = []
    for i in range(4):
        hs.append(np.exp(x * i))
    hs.pop()
    return np.sum(hs[-1] * hs[0])


def test_pop_as_a_statement_drops_the_item():
    assert_grad(drops_the_last_item, 0.3)
    assert_grad(drops_the_last_item, np.array([0.3, -0.2]))


def reversed_lists(x):
    hs = []
    for i in range(3):
        hs.append(np.sin(x * (i + 1.0)))
    ws = [x, x * x, np.cos(x)]
    s = 0.0
    for h in reversed(hs):
        s = s * 0.5 + np.sum(h)
    for i, h in enumerate(reversed(hs)):
        s = s + np.sum(h * i)
    for h, w in zip(reversed(hs), ws):
        s = s + np.sum(h * w)
    for i, (h, w) in enumerate(zip(hs, reversed(ws))):
        s = s + np.sum(h * w * i)
    return s


@pytest.mark.parametrize("x", [0.8, np.array([0.3, -0.6])])
def test_iterating_a_list_backwards(x):
    assert_grad(reversed_lists, x)


def pops_while_iterating_backwards(x):
    hs = [x, x * x, np.sin(x)]
    s = 0.0
    for h in reversed(hs):
        s = s + h * hs.pop()
    return s


def test_popping_from_a_list_being_iterated_is_refused():
    with pytest.raises(ad.TransformError, match="pops from 'hs' while iterating"):
        ad.grad(pops_while_iterating_backwards)


# ---------------------------------------------------------------------------
# lists of tuples (kept as one list per position) and nested list literals
# ---------------------------------------------------------------------------

RNG = np.random.default_rng(7)
W1, B1 = RNG.normal(size=(4, 3)), RNG.normal(size=4)
W2, B2 = RNG.normal(size=(2, 4)), RNG.normal(size=2)
X3 = RNG.normal(size=3)


def layers_literal(W1, b1, W2, b2, x):
    # layers of different widths: h changes shape from one iteration to the next
    params = [(W1, b1), (W2, b2)]
    h = x
    for W, b in params:
        h = np.tanh(W @ h + b)
    return np.sum(h ** 2)


def layers_appended(W1, b1, W2, b2, x):
    layers = []
    layers.append((W1, b1))
    layers.append((W2, b2 * 2.0))
    h = x
    for i, (W, b) in enumerate(layers):
        h = np.tanh(W @ h + b) * (i + 1.0)
    return np.sum(h) + len(layers)


def layers_indexed(W1, b1, W2, b2, x):
    layers = ((W1, b1), (W2, b2))
    h = x
    for i in range(len(layers)):
        W, b = layers[i]
        h = np.tanh(W @ h + b)
    return np.sum(h) + np.sum(layers[1][1] ** 2) + np.sum(layers[0][0])


def layers_zipped(W1, b1, W2, b2, x):
    h = x
    for (W, b), scale in zip([(W1, b1), (W2, b2)], [1.0, 0.5]):
        h = np.tanh(W @ h + b) * scale
    return np.sum(h)


def test_layer_loops_over_lists_of_pairs():
    # all four parameters were given a zero gradient before lists of tuples were kept as lists
    for f in (layers_literal, layers_appended, layers_indexed, layers_zipped):
        grads = assert_grad(f, W1, B1, W2, B2, X3, wrt=(0, 1, 2, 3))
        assert all(np.any(g != 0) for g in grads)


def test_lists_of_pairs_are_kept_as_one_list_per_position():
    text = ad.show(layers_literal, wrt=(0, 1, 2, 3))
    assert "params0 = [W1, W2]" in text and "params1 = [b1, b2]" in text
    assert "zip(" not in text or "params0" in text


def test_list_of_pairs_to_second_order():
    H = ad.hessian(layers_literal, wrt=4)(W1, B1, W2, B2, X3)
    g = ad.grad(layers_literal, wrt=4)
    columns = [(g(W1, B1, W2, B2, X3 + e) - g(W1, B1, W2, B2, X3 - e)) / 2e-6
               for e in np.eye(3) * 1e-6]
    assert_close(H, np.array(columns).T, rtol=1e-4, atol=1e-6)


def whole_pair_taken(W1, b1, x):
    layers = [(W1, b1)]
    layer = layers[0]
    return np.sum(layer[0] @ x)


def pair_loop_without_unpacking(W1, b1, x):
    layers = [(W1, b1)]
    s = 0.0
    for layer in layers:
        s = s + np.sum(layer[0] @ x)
    return s


def pairs_passed_to_numpy(W1, b1, x):
    layers = [(W1, b1)]
    return np.sum(np.stack(layers))


def pairs_returned(W1, b1, x):
    layers = [(W1, b1)]
    return layers


@pytest.mark.parametrize("f", [pair_loop_without_unpacking, pairs_passed_to_numpy,
                               pairs_returned])
def test_other_uses_of_a_list_of_pairs_are_refused(f):
    with pytest.raises(ad.TransformError, match="list of .*tuples"):
        ad.grad(f)(W1, B1, X3)


def test_a_list_only_read_by_constant_indices_is_a_structure():
    # layers is only ever read by constant indices: kept as a structure, its pair taken whole
    grads = assert_grad(whole_pair_taken, W1, B1, X3, wrt=(0, 1))
    assert np.any(grads[0] != 0) and "layers" not in ad.show(whole_pair_taken, wrt=(0, 1))


def rotation(t):
    c, s = np.cos(t), np.sin(t)
    R = np.array([[c, -s], [s, c]])
    return np.sum(R @ np.array([1.0, 2.0]))


def stacked_pairs(a, b):
    return np.sum(np.stack([[a, b * 2.0], [b, a]]) ** 2)


def test_nested_list_literals_in_numpy_calls():
    # d/dt was 0 before: the inner lists were taken for arrays of their own
    assert_grad(rotation, 0.3)
    assert ad.grad(rotation)(0.3) == pytest.approx(-np.sin(0.3) - 2 * np.cos(0.3) + np.cos(0.3)
                                                   - 2 * np.sin(0.3))
    assert_grad(stacked_pairs, np.array([0.5, -1.0]), np.array([2.0, 0.25]), wrt=(0, 1))


def test_a_list_of_tuples_made_anew_in_each_iteration():
    # regression (found by the fuzzer): the new list was dropped and the loop kept reading
    # the first one, a silently wrong value and gradient; then it was refused; now the
    # loop's lists of each position take the new lists at the end of every iteration
    def f(x, y):
        b = y - 0.5
        pairs = [(x, y), (b, y)]
        for i in range(2):
            for p, q in pairs:
                b = b * p + q
            pairs = [(0.5, x), (x * x, b)]
        return b

    assert_grad(f, 0.9, -0.6, wrt=(0, 1))
    np.testing.assert_allclose(ad.grad(f, wrt=(0, 1))(0.9, -0.6),
                               autograd.grad(f, (0, 1))(0.9, -0.6), rtol=1e-12)


def walks_backwards(x, y):
    b = y - 0.5
    pairs = [(x, y), (b, y * y)]
    hs = [x, y]
    for p, q in pairs[::-1]:
        b = b * p + q
    for p, q in reversed(pairs):
        b = b * p + q
    for h in hs[::-1]:
        b = b * h
    return b


def walks_backwards_autograd(x, y):
    b = y - 0.5
    pairs = [(x, y), (b, y * y)]
    for _ in range(2):
        for p, q in pairs[::-1]:
            b = b * p + q
    for h in [x, y][::-1]:
        b = b * h
    return b


def test_lists_and_lists_of_tuples_walked_backwards():
    for args in ((0.9, -0.6), (-1.2, 0.4)):
        for got, expected in zip(ad.grad(walks_backwards, wrt=(0, 1))(*args),
                                 autograd.grad(walks_backwards_autograd, (0, 1))(*args)):
            np.testing.assert_allclose(got, expected, rtol=1e-12)
        np.testing.assert_allclose(ad.hessian(walks_backwards)(*args),
                                   autograd.hessian(walks_backwards_autograd)(*args), rtol=1e-10)
        _, dot = ad.jvp(walks_backwards)(*args, 1.0)
        np.testing.assert_allclose(dot, autograd.grad(walks_backwards_autograd)(*args),
                                   rtol=1e-12)


# -- lists of tuples rebuilt by concatenation, and rebound while a loop walks them ---------

def pairs_concatenated(x, y, n):
    pr = [(x, y)]
    tp = ((y, x * y),)
    for i in range(n):
        a, b = pr[-1]
        pr = pr + [(np.sin(a) * b, a + 0.1 * i)]
        tp = tp + ((b * 0.5, a),)
        tp += ((a * a, 1.5),)
    s = 0.0
    for p, q in pr:
        s = s + p * q
    for p, q in tp:
        s = s + np.cos(p) * q
    return s


def pairs_concatenated_autograd(x, y, n):
    import autograd.numpy as anp
    pr = [(x, y)]
    tp = ((y, x * y),)
    for i in range(n):
        a, b = pr[-1]
        pr = pr + [(anp.sin(a) * b, a + 0.1 * i)]
        tp = tp + ((b * 0.5, a),) + ((a * a, 1.5),)
    s = 0.0
    for p, q in pr:
        s = s + p * q
    for p, q in tp:
        s = s + anp.cos(p) * q
    return s


def concatenates_in_a_helper(x, y):
    total = 0.0
    for i in range(3):
        total = total + pair_sum(x * y, x + 0.1 * i)
    return total


def pair_sum(a, b):
    pr = ((a, b),)
    for i in range(2):
        p, q = pr[-1]
        pr = pr + ((q * 0.5 + p, a - q),)
    s = 0.0
    for p, q in pr:
        s = s + p * np.tanh(q)
    return s


def test_a_list_of_tuples_rebuilt_by_concatenation():
    # pr = pr + [(a, b)] makes a new list in Python; no other name holds the old one, so it
    # is compiled as appends (a tuple's += too)
    for n in (0, 1, 3):
        for args in ((0.7, -0.4, n), (-1.1, 0.9, n)):
            assert_grad(pairs_concatenated, *args, wrt=(0, 1))
            for got, expected in zip(ad.grad(pairs_concatenated, wrt=(0, 1))(*args),
                                     autograd.grad(pairs_concatenated_autograd, (0, 1))(*args)):
                np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(ad.hessian(pairs_concatenated)(0.7, -0.4, 2),
                               autograd.hessian(pairs_concatenated_autograd)(0.7, -0.4, 2),
                               rtol=1e-9)


def test_a_list_of_tuples_concatenated_inside_a_helper():
    assert_grad(concatenates_in_a_helper, 0.6, -0.8, wrt=(0, 1))
    # its second derivative differentiates gradient code that keeps each call's lists in
    # a list (a list of lists)
    g = ad.grad(concatenates_in_a_helper, wrt=(0, 1))
    eps = 1e-6
    by_differences = np.array([(np.array(g(0.6 + e[0], -0.8 + e[1])) -
                                np.array(g(0.6 - e[0], -0.8 - e[1]))) / (2 * eps)
                               for e in np.eye(2) * eps])
    np.testing.assert_allclose(ad.hessian(concatenates_in_a_helper, wrt=(0, 1))(0.6, -0.8),
                               by_differences, rtol=1e-6, atol=1e-8)


def pairs_rebound_while_walked(x, y):
    pr = [(x, y), (y, 2.0)]
    s = 0.0
    for p, q in pr:
        s = s + p * q
        pr = [(q * s, p)]       # the loop walks the list it started with, as in Python
    return s


def pairs_rebound_while_walked_autograd(x, y):
    s = x * y
    return s + y * 2.0


def test_a_list_of_tuples_rebound_while_a_loop_walks_it():
    args = (0.8, -1.3)
    assert_grad(pairs_rebound_while_walked, *args, wrt=(0, 1))
    for got, expected in zip(ad.grad(pairs_rebound_while_walked, wrt=(0, 1))(*args),
                             autograd.grad(pairs_rebound_while_walked_autograd, (0, 1))(*args)):
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_concatenation_where_another_name_holds_the_list_is_refused():
    def shared(x, y):
        pr = [(x, y)]
        old = pr
        pr = pr + [(y, x)]       # old keeps one pair in Python; appending would give it two
        return len(old) * x

    def appends_while_walking(x, y):
        pr = [(x, y)]
        s = 0.0
        for p, q in pr:
            pr = pr + [(q, p)]    # (never ends in Python with appends; refused either way)
            s = s + p
        return s

    with pytest.raises(ad.TransformError, match="another name may hold"):
        ad.grad(shared)(0.5, 0.7)
    with pytest.raises(ad.TransformError, match="appends to 'pr' while iterating"):
        ad.grad(appends_while_walking)(0.5, 0.7)


# -- lists and tuples only read by constant indices: structures ------------------------------

def fixed_list_stepper(x, n):
    state = [x, 0.0 * x]           # only read and assigned by constant indices: a structure
    pair = (x[0], x[1])
    acc = [0.0, 1.0]
    for k in range(n):
        state[1] = state[1] - 0.1 * np.sin(state[0])
        if k % 2 == 0:
            state = [state[0] + 0.1 * state[1], state[1]]
        else:
            state[0] = state[0] + 0.05 * state[-1]
        a, b = pair
        pair = (b, a * np.cos(b))
        acc[0] += pair[0] * acc[1]
        acc[1] *= 0.9
    return np.sum(state[0] * state[-1]) + pair[0] * pair[1] + acc[0] + len(state)


def fixed_list_stepper_autograd(x, n):
    import autograd.numpy as anp
    pos, vel = x, 0.0 * x
    a, b = x[0], x[1]
    acc0, acc1 = 0.0, 1.0
    for k in range(n):
        vel = vel - 0.1 * anp.sin(pos)
        pos = pos + (0.1 if k % 2 == 0 else 0.05) * vel
        a, b = b, a * anp.cos(b)
        acc0 = acc0 + a * acc1
        acc1 = acc1 * 0.9
    return anp.sum(pos * vel) + a * b + acc0 + 2


def rotates_in_a_helper(x):
    total = 0.0
    for i in range(3):
        total = total + rotate(x[i], x[i + 1])
    return total


def rotate(a, b):
    pair = [a, b]
    if a > 0:
        pair[0] = a * 2.0
    for i in range(3):
        pair = [pair[1], pair[0] * 0.9 + pair[1]]
    return pair[0] * pair[1]


def test_a_list_read_by_constant_indices_a_loop_carries_and_an_if_joins():
    x = np.array([0.4, -0.7])
    for n in (0, 1, 4):
        assert_grad(fixed_list_stepper, x, n)
        np.testing.assert_allclose(ad.grad(fixed_list_stepper)(x, n),
                                   autograd.grad(fixed_list_stepper_autograd)(x, n), rtol=1e-12)
        np.testing.assert_allclose(ad.hessian(fixed_list_stepper)(x, n),
                                   autograd.hessian(fixed_list_stepper_autograd)(x, n),
                                   rtol=1e-9, atol=1e-12)
    # the items are variables: no list is made
    assert "[" not in ad.show(fixed_list_stepper).split("return")[0].split("zeros")[0] \
        or "state = [" not in ad.show(fixed_list_stepper)
    w = np.array([0.3, -0.6, 0.9, 0.2])
    assert_grad(rotates_in_a_helper, w)
    g = ad.grad(rotates_in_a_helper)
    columns = [(g(w + e) - g(w - e)) / 2e-6 for e in np.eye(4) * 1e-6]
    np.testing.assert_allclose(ad.hessian(rotates_in_a_helper)(w), np.array(columns),
                               rtol=1e-5, atol=1e-6)


def test_a_dict_a_loop_carries_has_the_right_tangent():
    # forward mode fused t_dot = b_dot * a + a_dot * b into d_b_dot = ..., after d_b = t:
    # it read the new d_b (a silent wrong tangent, the gradient was right)
    def f(x, y):
        d = {"a": x, "b": 2.0 * y}
        for i in range(2):
            d["b"] = d["b"] * d["a"]
        return d["b"]

    _, dot = ad.jvp(f, wrt=(0, 1))(1.3, 0.7, (1.0, 0.0))
    assert dot == pytest.approx(2 * 0.7 * 2 * 1.3)
    assert_grad(f, 1.3, 0.7, wrt=(0, 1))


# -- the tail of a list a loop walks: zip(hs, hs[1:]), hs[2:] --------------------------------

def walks_tails(x, y):
    hs = [x]
    for i in range(3):
        hs.append(np.sin(hs[-1]) * y)
    s = 0.0
    for p, q in zip(hs, hs[1:]):
        s = s + p * q
    for h in hs[2:]:
        s = s + h * h
    for h in hs[7:]:                 # past the end: no step
        s = s + h
    return s


def walks_tails_autograd(x, y):
    import autograd.numpy as anp
    hs = [x]
    for i in range(3):
        hs.append(anp.sin(hs[-1]) * y)
    s = 0.0
    for p, q in zip(hs, hs[1:]):
        s = s + p * q
    for h in hs[2:]:
        s = s + h * h
    return s


def test_a_loop_walks_the_tail_of_a_list():
    # hs[k:] of a list of values being differentiated is read as hs[k + i] at step i
    args = (0.7, 0.9)
    assert_grad(walks_tails, *args, wrt=(0, 1))
    for got, expected in zip(ad.grad(walks_tails, wrt=(0, 1))(*args),
                             autograd.grad(walks_tails_autograd, (0, 1))(*args)):
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(ad.hessian(walks_tails, wrt=(0, 1))(*args),
                               autograd.hessian(lambda v: walks_tails_autograd(v[0], v[1]))(
                                   np.array(args)), rtol=1e-9)


def grid_updated_by_item(x, y):
    grid = [[x, y], [y * 2.0, x]]      # a list of lists read by constant indices
    for i in range(3):
        grid[0][1] = grid[0][1] * x + grid[1][0]
        grid[1][0] += 0.5 * y
    return grid[0][1] + grid[1][0] * grid[1][1]


def grid_updated_by_item_autograd(x, y):
    a, b = y, y * 2.0
    for i in range(3):
        a = a * x + b
        b = b + 0.5 * y
    return a + b * x


def test_items_of_a_list_of_lists_assigned_in_a_loop():
    # x[i][j] = v on a list of lists the function made, read by constant indices: the loop
    # carries its items
    args = (0.7, 0.4)
    assert_grad(grid_updated_by_item, *args, wrt=(0, 1))
    for got, expected in zip(ad.grad(grid_updated_by_item, wrt=(0, 1))(*args),
                             autograd.grad(grid_updated_by_item_autograd, (0, 1))(*args)):
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(ad.hessian(grid_updated_by_item)(*args),
                               autograd.hessian(grid_updated_by_item_autograd)(*args),
                               rtol=1e-10)


# ---------------------------------------------------------------------------
# a NumPy function given a whole list of values being differentiated: NumPy stacks it
# (np.asarray), and so does the generated code
# ---------------------------------------------------------------------------

def sum_of_display(x):
    return np.sum([x[0] * 2.0, x[1] ** 2, np.sin(x[2])])


def sum_of_named_list(x):
    terms = [x[0] * 2.0, x[1] ** 2]
    return np.sum(terms) * np.prod(terms)


def mean_of_comprehension(x):
    return np.mean([np.sin(x[i]) * x[i] for i in range(3)])


def exp_of_appended_list(x):
    squares = []
    for i in range(3):
        squares.append(x[i] * x[i])
    return np.sum(np.exp(squares))


def rows_averaged(x, W):
    rows = [np.tanh(W @ x) * k for k in range(1, 4)]
    return np.sum(np.mean(rows, axis=0) ** 2) + np.max(np.array(rows))


def tuple_of_values(x):
    return np.linalg.norm((x[0], x[1] * 3.0, x[2] ** 2))


def exp_of_appended_list_stacked(x):   # (autograd's np.exp does not take a list)
    squares = []
    for i in range(3):
        squares.append(x[i] * x[i])
    return np.sum(np.exp(np.array(squares)))


LISTS_TO_NUMPY = [(sum_of_display, sum_of_display), (sum_of_named_list, sum_of_named_list),
                  (mean_of_comprehension, mean_of_comprehension),
                  (exp_of_appended_list, exp_of_appended_list_stacked),
                  (tuple_of_values, tuple_of_values)]


@pytest.mark.parametrize("f, reference", LISTS_TO_NUMPY, ids=lambda f: f.__name__)
def test_numpy_function_of_a_list_of_values_being_differentiated(f, reference):
    x = np.array([0.3, -0.5, 0.9])
    g = assert_grad(f, x)   # FD, forward mode
    # autograd stacks the list the same way: an independent reference
    np.testing.assert_allclose(g, autograd.grad(_with_autograd_numpy(reference))(x),
                               rtol=1e-10)
    np.testing.assert_allclose(ad.hessian(f)(x), numerical_hessian(f, x), rtol=1e-5,
                               atol=1e-6)


def test_numpy_function_of_a_list_of_arrays_along_an_axis():
    rng = np.random.default_rng(3)
    x, W = rng.normal(size=3), rng.normal(size=(4, 3))
    assert_grad(rows_averaged, x, W, wrt=(0, 1))
    reference = autograd.grad(_with_autograd_numpy(rows_averaged), (0, 1))(x, W)
    for ours, theirs in zip(ad.grad(rows_averaged, wrt=(0, 1))(x, W), reference):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def _with_autograd_numpy(f):
    """``f`` with its module's ``np`` replaced by autograd's."""
    import types

    import autograd.numpy as anp
    return types.FunctionType(f.__code__, {**f.__globals__, "np": anp}, f.__name__)


def numerical_hessian(f, x, h=1e-5):
    g = ad.grad(f)
    return np.array([(g(x + h * e) - g(x - h * e)) / (2 * h) for e in np.eye(len(x))])
