"""Small list forms as users write them: a list display repeated (``[layer] * 3``), a
starred name before others (``*_, last = hs``, ``a, *middle, z = xs``), a list reversed
(``list(reversed(hs))``, ``hs[::-1]``), ``np.logaddexp.reduce``, ``xs.insert(i, v)`` and
``xs.reverse()``.
Each gradient is checked against central differences and autograd, and for each form one
case that stays refused names its line."""

import inspect

import autograd
import numpy as np
import pytest
from conftest import assert_close, assert_grad, numerical_grad, with_autograd_numpy
from test_real_programs_ml import assert_leaves_close, leaf_gradients

import adcompile as ad

X = np.array([0.3, -1.2, 0.8, 0.5])


def assert_autograd(f, *args):
    """adcompile's gradient of ``f`` (in its first argument) equals autograd's, ``np``
    being autograd.numpy while autograd runs ``f``."""
    got = ad.grad(f)(*args)
    want = with_autograd_numpy(globals(), autograd.grad(f), *args)
    assert_close(got, want, 1e-10, 1e-12, f"d{f.__name__} against autograd")


def assert_both(f, *args):
    assert_grad(f, *args)
    assert_autograd(f, *args)


def refused_at(f, pattern, marker, *args):
    """``ad.grad(f)(*args)`` (``X`` by default) is refused with a message matching
    ``pattern``, at the line of ``f`` holding ``marker``."""
    lines, first = inspect.getsourcelines(f)
    line = first + next(i for i, text in enumerate(lines) if marker in text)
    with pytest.raises(ad.TransformError, match=pattern) as info:
        ad.grad(f)(*(args or (X.copy(),)))
    assert info.value.lineno == line, str(info.value)
    assert info.value.filename == __file__


# -- a list display repeated: [a, b] * k --------------------------------------------------

def tied_layers(x):
    # one weight matrix used by three layers, as a stack of layers
    W = np.outer(x, x[::-1]) * 0.5
    layers = [W] * 3
    h = x
    for L in layers:
        h = np.tanh(L @ h)
    return np.sum(h ** 2)


def repeated_on_the_left(x):
    scales = 3 * [x[0]]
    return scales[0] * scales[1] * scales[2] + sum(scales)


def repeated_pair(x):
    xs = [x[0], x[1] * x[2]] * 2
    return xs[0] * xs[3] + xs[2] - xs[1] ** 2


def repeated_computed_item(x):
    # the item computed once: each place holds the same value
    xs = [np.sin(x[0]) * x[1]] * 3
    return xs[0] * xs[1] + xs[2]


def stacked_copies(x):
    return np.sum(np.stack([x] * 3) * np.arange(1.0, 4.0)[:, None] ** x[0])


def loop_over_repeat(x):
    s = 0.0
    for v in [x[0], 2.0 * x[1]] * 2:
        s = s * v + 1.0
    return s


def repeated_tuples(x):
    pairs = [(x[0], x[1])] * 2
    s = 0.0
    for a, b in pairs:
        s = s + a * b
    return s + pairs[1][0]


def preallocated_then_filled(x):
    out = [0.0] * 4
    for i in range(4):
        out[i] = x[i] * x[(i + 1) % 4]
    return sum(out)


def replaced_item_of_repeat(x):
    out = [x[0]] * 3
    out[1] = x[1] * x[2]
    return out[0] * out[1] + out[2]


@pytest.mark.parametrize("f", [tied_layers, repeated_on_the_left, repeated_pair,
                               repeated_computed_item, stacked_copies, loop_over_repeat,
                               repeated_tuples, preallocated_then_filled,
                               replaced_item_of_repeat])
def test_repeated_list_display(f):
    assert_both(f, X)


def tied_model(params, x, n_layers=3):
    layers = [params["W"]] * n_layers
    h = x
    for L in layers:
        h = np.tanh(L @ h + params["b"])
    return np.sum(h ** 2)


def test_repeated_by_an_int_the_call_gives():
    # (a structure is differentiated: n_layers is read at each call, the code made for it)
    params = {"W": np.array([[0.5, -0.3], [0.2, 0.8]]), "b": np.array([0.1, -0.2])}
    x = np.array([0.4, -0.7])
    for n in (2, 3):
        got = ad.grad(tied_model)(params, x, n)
        assert_leaves_close(got, leaf_gradients(tied_model, params, x, n))
        want = with_autograd_numpy(globals(), autograd.grad(tied_model), params, x, n)
        assert_leaves_close(got, want, 1e-10, 1e-12)


def repeated_unknown_times(x):
    n = int(x[2] > 0) + 2   # (known only when the code runs)
    hs = [x[0]] * n  # ERR
    return hs[0] * hs[-1]


def test_repeat_a_number_of_times_not_known_is_refused():
    refused_at(repeated_unknown_times, r"repeats a list of values being differentiated a "
                                       r"number of times not known", "# ERR", X.copy())


def repeated_argument_times(x, n):
    hs = [x[0]] * n
    return hs[0] * hs[-1] + len(hs) * x[1]


def test_repeat_an_int_argument_number_of_times():
    """An int the call gives is known when the code is made (the code is made for each
    value: static_choices.py): calls with 3, 2, 3 and 1 get the code for theirs."""
    g = ad.grad(repeated_argument_times)
    for n in (3, 2, 3, 1):
        assert_close(g(X.copy(), n), numerical_grad(repeated_argument_times, (X, n), 0))


def test_repeat_shares_the_items_as_python_does():
    # (a list of lists repeated holds the same list: changing it in place is refused)
    def shared_rows(x):
        row = [x[0], x[1]]
        rows = [row] * 2
        row.append(x[2])
        return rows[1][2]

    with pytest.raises(ad.TransformError, match="changes a list that another list holds"):
        ad.grad(shared_rows)(X.copy())


# -- starred names before others: a, *middle, z = xs ---------------------------------------

def _cell(W, h, x):
    return np.tanh(W @ h + x)


def rnn_last_state(x):
    # an RNN collecting its hidden states, reading the last one
    W = np.outer(x, x) * 0.3 - np.eye(4) * 0.2
    hs = []
    h = np.zeros(4)
    for t in range(3):
        h = _cell(W, h, x * (t + 1))
        hs.append(h)
    *_, last = hs
    return np.sum(last ** 2)


def first_middle_last(x):
    first, *middle, last = (x[0], x[1] * x[2], np.sin(x[3]), x[0] * x[3])
    return first * last + middle[0] * middle[1]


def _three_moments(x):
    return np.mean(x), np.var(x), np.mean(x ** 3)


def helper_tuple(x):
    m, *_, s = _three_moments(x)
    return m * s


def first_and_rest_of_appends(x):
    terms = []
    for i in range(4):
        terms.append(x[i] * x[(i + 2) % 4])
    first, *rest = terms
    return first * sum(rest)


def rows_of_a_matrix(x):
    A = np.outer(x, x[::-1])
    top, *inner, bottom = A
    return np.sum(top * bottom) + np.sum(inner[0] * inner[1])


@pytest.mark.parametrize("f", [rnn_last_state, first_middle_last, helper_tuple,
                               first_and_rest_of_appends, rows_of_a_matrix])
def test_starred_unpacking(f):
    assert_both(f, X)


def first_middle_last_layers(params, x):
    first, *middle, last = params
    h = np.tanh(first[0] @ x + first[1])
    for W, b in middle:
        h = np.tanh(W @ h + b)
    return np.sum(last[0] @ h + last[1])


def test_starred_unpacking_of_a_structure():
    rng = np.random.default_rng(3)
    params = [(rng.normal(size=(2, 2)), rng.normal(size=2)) for _ in range(4)]
    x = np.array([0.4, -0.7])
    got = ad.grad(first_middle_last_layers)(params, x)
    assert_leaves_close(got, leaf_gradients(first_middle_last_layers, params, x))


def test_too_few_items_raise_as_python_does():
    def ends(x):
        a, *middle, z = x
        return a * z

    assert_both(ends, X[:2])
    with pytest.raises(ValueError, match="not enough values to unpack"):
        ends(X[:1])
    with pytest.raises(ValueError, match=r"test_list_forms.py:\d+:\d+: not enough values to "
                                         r"unpack \(expected at least 2\)"):
        ad.grad(ends)(X[:1])


def nested_starred_target(x):
    pairs = []
    for i in range(3):
        pairs.append((x[i], x[i + 1]))
    (a, b), *rest = pairs  # ERR
    return a * b + rest[0][0]


def test_starred_with_a_nested_target_stays_refused():
    # (a tuple target beside the starred name, of a list appended to: not written as reads)
    refused_at(nested_starred_target, r"starred assignment", "# ERR")


# -- a list reversed: list(reversed(hs)), hs[::-1] -----------------------------------------

def _hidden_states(x):
    hs = []
    h = x[:2]
    for t in range(3):
        h = np.tanh(h * x[2:] + 0.1 * t)
        hs.append(h)
    return hs


def backward_pass_of_states(x):
    # a bidirectional read: the states in reverse order, weighted by their distance
    hs = _hidden_states(x)
    back = list(reversed(hs))
    return sum(np.sum(h * (i + 1)) for i, h in enumerate(back)) + np.sum(back[0] * hs[0])


def reversed_tuple_of_numbers(x):
    ys = tuple(reversed([x[0], x[1] * x[2], np.exp(x[3])]))
    return ys[0] * ys[1] - ys[2]


def sum_of_reversed(x):
    hs = _hidden_states(x)
    return np.sum(sum(reversed(hs)) * hs[1])


def reversed_array_entries(x):
    return np.sum(np.array(list(reversed(x))) * np.arange(4.0) * x)


def loop_over_reversed(x):
    hs = _hidden_states(x)
    g = np.zeros(2)
    for h in reversed(hs):
        g = 0.5 * g + h * h
    return np.sum(g)


def sliced_backwards(x):
    hs = _hidden_states(x)
    rev = hs[::-1]
    return np.sum(rev[0] * rev[2]) + np.sum(rev[1])


def sorted_reversed(x):
    return sum(w * v for w, v in zip([1.0, 2.0, 3.0, 4.0], sorted(reversed(list(x * x)))))


@pytest.mark.parametrize("f", [backward_pass_of_states, reversed_tuple_of_numbers,
                               sum_of_reversed, reversed_array_entries, loop_over_reversed,
                               sliced_backwards, sorted_reversed])
def test_reversed_lists(f):
    assert_both(f, X)


def reversed_layers(layers, x):
    h = x
    for W, b in list(reversed(layers)):
        h = np.tanh(W @ h + b)
    rev = list(reversed(layers))
    last_W, last_b = rev[0]
    return np.sum(h) + np.sum(last_W @ x + last_b) + np.sum(sum(reversed([b for _, b in layers])))


def test_reversed_structure():
    rng = np.random.default_rng(5)
    layers = [(rng.normal(size=(2, 2)), rng.normal(size=2)) for _ in range(3)]
    x = np.array([0.4, -0.7])
    got = ad.grad(reversed_layers)(layers, x)
    assert_leaves_close(got, leaf_gradients(reversed_layers, layers, x))


def reversed_kept(x):
    hs = _hidden_states(x)
    backwards = reversed(hs)  # ERR
    first = list(backwards)
    return np.sum(first[0]) + len(list(backwards))


def test_a_reversed_iterator_kept_stays_refused():
    # (Python reads it once: the second list() is empty; a reversed copy would not be)
    refused_at(reversed_kept, r"not kept as an iterator", "# ERR")


# -- xs.insert(i, v) on a list the function makes ------------------------------------------

def states_newest_first(x):
    # an RNN keeping its states newest first
    W = np.outer(x, x) * 0.3 - np.eye(4) * 0.2
    hs = []
    h = np.zeros(4)
    for t in range(3):
        h = _cell(W, h, x * (t + 1))
        hs.insert(0, h)
    return np.sum(hs[0] ** 2) + np.sum(hs[-1] * hs[1])


def inserted_at_several_places(x):
    xs = [x[0], x[1]]
    xs.insert(-1, x[2] ** 2)    # before the last
    xs.insert(10, x[3])         # past the end: appended
    xs.insert(-10, 2.0 * x[0])  # before the start: first
    xs.insert(2, np.sin(x[1]))
    return xs[0] * xs[1] + xs[2] * xs[3] - xs[4] * xs[5] + len(xs)


def rows_inserted(x):
    rows = [np.sin(x), np.cos(x)]
    rows.insert(1, x * x)
    rows.insert(0, x)
    return np.sum(rows[0] * rows[1]) + np.sum(rows[2] * rows[3])


def inserted_then_appended(x):
    xs, ys = [], []
    for i in range(4):
        xs.append(x[i])
        xs.insert(0, x[i] * x[(i + 1) % 4])
        ys.insert(1, xs[1])
    return sum(a * b for a, b in zip(xs, reversed(xs))) + sum(ys)


@pytest.mark.parametrize("f", [states_newest_first, inserted_at_several_places, rows_inserted,
                               inserted_then_appended])
def test_list_insert(f):
    assert_both(f, X)


def inserted_at_a_position_given(x, at):
    xs = [x[0], x[1]]
    xs.insert(at, x[2])  # ERR
    return xs[0] * xs[1]


def test_insert_at_a_position_not_known_stays_refused():
    refused_at(inserted_at_a_position_given, r"int literal", "# ERR", X.copy(), 1)


# -- xs.reverse() on a list the function makes ---------------------------------------------

def backward_states_in_time_order(x):
    # the backward pass of a bidirectional RNN, its states put back in time order
    W = np.outer(x, x) * 0.3 - np.eye(4) * 0.2
    hs = []
    h = np.zeros(4)
    for t in range(3):
        h = _cell(W, h, x * (3 - t))
        hs.append(h)
    hs.reverse()
    return sum(np.sum(h * (t + 1.0)) for t, h in enumerate(hs))


def reversed_twice_and_appended(x):
    xs = [x[0], x[1] ** 2, np.sin(x[2])]   # (an odd length: the middle item stays)
    xs.reverse()
    first = xs[0]
    xs.append(x[3] * x[0])
    xs.reverse()                           # (an even length)
    return xs[0] * first + xs[1] * xs[3] - xs[2] + len(xs)


def reversed_in_each_iteration(x):
    rows = [x, x * x]
    total = 0.0
    for i in range(3):
        rows.reverse()
        total = total + np.sum(rows[0] * (i + 1.0))
    return total


@pytest.mark.parametrize("f", [backward_states_in_time_order, reversed_twice_and_appended,
                               reversed_in_each_iteration])
def test_list_reverse(f):
    assert_both(f, X)


def reversed_argument(xs):
    xs.reverse()  # ERR
    return np.sum(xs[0] * np.arange(1.0, 3.0)) + np.sum(xs[1] ** 2)


def reverse_it(xs):
    xs.reverse()  # ERR:helper (inlined: the caller's list)


def reversed_by_a_helper(x):
    hs = [x, x * x]
    reverse_it(hs)
    return np.sum(hs[0] * np.arange(1.0, 5.0))


def test_reverse_of_a_list_not_made_here_stays_refused():
    # (the caller's list, or one a helper changes: Python's reverse would be unseen)
    refused_at(reversed_argument, r"expression statement", "# ERR", [X[:2], X[2:]])
    with pytest.raises(ad.TransformError, match=r"method \.reverse\(\) of a value") as info:
        ad.grad(reversed_by_a_helper)(X)
    assert "reversed_by_a_helper: reverse_it(hs)" in str(info.value)
