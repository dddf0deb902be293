"""Assignments into arrays: ``x[index] = v`` and ``x[index] op= v``, differentiated.

Every gradient is checked against central finite differences in float64, forward mode
(``ad.jvp``) against a directional difference, and where a functional twin is easy to
write, against autograd.
"""

import re

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from conftest import assert_close, assert_hessian

import adcompile as ad
from adcompile.compiler import Transform

rng = np.random.default_rng(11)
W = rng.normal(size=6)


def check_both_modes(f, *args):
    """FD check of the gradient, and of the jvp along a random direction."""
    ad.check_grad(f, *args)
    x = args[0]
    v = rng.normal(size=np.shape(x))
    eps = 1e-6
    expected = (f(x + eps * v, *args[1:]) - f(x - eps * v, *args[1:])) / (2 * eps)
    _, dot = ad.jvp(f)(*args, v)
    np.testing.assert_allclose(dot, expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(np.sum(ad.grad(f)(*args) * v), dot, rtol=1e-8, atol=1e-10)


def by_int(w):
    x = np.zeros(6)
    x[2] = w[0] * w[1]
    x[-1] = np.sum(w)
    return np.sum(x ** 2 + x)


def by_slices(w):
    x = np.ones(12)
    x[::2] = np.sin(w)
    x[1:4] = w[:3] * 2.0
    x[-3:] += w[3:]
    return np.sum(x ** 3)


def by_mask(w):
    x = w.copy()
    x[w > 0] = 0.5 * x[w > 0] ** 2
    x[x < -0.5] *= 3.0
    return np.sum(np.sin(x))


def by_integer_array(w):
    x = np.zeros(4)
    x[np.array([3, 0, 1])] = w[:3]
    x[np.array([1, 1])] += w[3:5]     # (Python adds once: the index repeats an entry)
    return np.sum(x * np.arange(1.0, 5.0))


def by_tuples(w):
    A = np.zeros((3, 6))
    A[1, :] = w
    A[:, 0] += 1.0 + w[0]
    A[..., 2] = w[:3] * 2
    A[None, 0, 1] = w[4]
    A[2] /= 1.0 + w[5] ** 2
    return np.sum(A @ A.T)


@pytest.mark.parametrize("f", [by_int, by_slices, by_mask, by_integer_array, by_tuples],
                         ids=lambda f: f.__name__)
def test_index_forms_plain_and_augmented(f):
    check_both_modes(f, W.copy())


def last_write_wins(w):
    x = np.zeros(3)
    x[np.array([0, 2, 0])] = w[:3]     # x[0] is w[2]: w[0]'s write is overwritten
    return np.sum(x * np.array([1.0, 10.0, 100.0]))


def prefix_norms(w):
    """Running sums written into an array np.empty_like made (its entries, written before
    they are read, depend on w; the empty array's own values do not)."""
    out = np.empty_like(w)
    acc = 0.0
    for i in range(w.shape[0]):
        acc = acc + w[i] * w[i]
        out[i] = acc
    return np.sum(np.sqrt(out))


def test_an_array_empty_like_makes_filled_in_a_loop():
    check_both_modes(prefix_norms, W.copy())
    expected = autograd.grad(lambda w: anp.sum(anp.sqrt(anp.cumsum(w * w))))(W)
    np.testing.assert_allclose(ad.grad(prefix_norms)(W), expected, rtol=1e-10)


def scatter_added(w):
    """np.add.at with an index that repeats entries (each occurrence adds), into a copy of
    part of w; np.subtract.at with a broadcast value."""
    x = w[:4] * 1.0
    np.add.at(x, np.array([0, 2, 2, 3, 2]), w[1:6] ** 2)
    y = np.ones((3, 2))
    np.subtract.at(y, (np.array([0, 2, 0]), np.array([1, 1, 1])), w[0] * w[5])
    return np.sum(np.sin(x) * np.arange(1.0, 5.0)) + np.sum(y ** 3)


def test_ufunc_at_scatter_adds():
    check_both_modes(scatter_added, W.copy())
    # against the same computation written with a matrix that counts the occurrences
    counts = np.zeros((4, 5))
    counts[[0, 2, 2, 3, 2], range(5)] = 1.0

    def by_matrix(w):
        x = w[:4] + counts @ w[1:6] ** 2
        y = np.ones((3, 2)) - np.array([[0, 2], [0, 0], [0, 1]]) * (w[0] * w[5])
        return anp.sum(anp.sin(x) * np.arange(1.0, 5.0)) + anp.sum(y ** 3)

    np.testing.assert_allclose(ad.grad(scatter_added)(W), autograd.grad(by_matrix)(W),
                               rtol=1e-10)


def test_ufunc_at_on_constants_and_other_names():
    def constants_only(w):
        h = np.zeros(3)
        np.add.at(h, np.array([1, 1]), 1.0)   # nothing differentiated: run as written
        return np.sum(h * w)

    np.testing.assert_allclose(ad.grad(constants_only)(W[:3]), [0.0, 2.0, 0.0])

    def read_through_another_name(w):
        x = w * 1.0
        y = x
        np.add.at(x, np.array([0, 0]), w[1])   # y is the same array: it changes too
        return np.sum(y * w)

    def as_autograd(w):   # what y holds: x after w[1] was added to x[0] twice
        return anp.sum((w + anp.array([2.0, 0.0, 0.0]) * w[1]) * w)

    w = W[:3].copy()
    ad.check_grad(read_through_another_name, w)
    np.testing.assert_allclose(ad.grad(read_through_another_name)(w),
                               autograd.grad(as_autograd)(w), rtol=1e-10)

    class Fake:
        class add:
            @staticmethod
            def at(x, i, v):
                pass

    fake = Fake()

    def not_numpy(w):
        x = w * 1.0
        fake.add.at(x, 0, w[0])
        return np.sum(x)

    with pytest.raises(ad.TransformError, match="not numpy's ufunc.at"):
        ad.grad(not_numpy)(W)


def test_an_index_that_repeats_an_entry_keeps_the_last_write():
    g = ad.grad(last_write_wins)(W.copy())
    np.testing.assert_allclose(g[:3], [0.0, 100.0, 1.0])
    check_both_modes(last_write_wins, W.copy())


def heat(u0, steps=20, r=0.2):
    """An explicit heat-equation stepper with fixed ends, written with slice assignment."""
    u = u0.copy()
    for _ in range(steps):
        v = u.copy()
        v[1:-1] = u[1:-1] + r * (u[2:] - 2 * u[1:-1] + u[:-2])
        u = v
    return np.sum(u ** 2)


def heat_autograd(u0, steps=20, r=0.2):
    u = u0
    for _ in range(steps):
        u = anp.concatenate([u[:1], u[1:-1] + r * (u[2:] - 2 * u[1:-1] + u[:-2]), u[-1:]])
    return anp.sum(u ** 2)


def test_heat_equation_stepper():
    u0 = np.sin(np.linspace(0, np.pi, 12)) + 0.1 * rng.normal(size=12)
    g = ad.grad(heat)(u0)
    np.testing.assert_allclose(g, autograd.grad(heat_autograd)(u0), rtol=1e-10, atol=1e-12)
    check_both_modes(heat, u0)
    code = ad.show(heat, args=(u0,))
    # the copy the user made is written into in place: nothing else reads it
    assert re.search(r"(v_\d+) = u\.copy\(\)\n", code) and re.search(r"v_\d+\[1:-1\] = t", code)


def running_product(w):
    x = np.zeros(len(w))
    prev = 1.0
    for i in range(len(w)):
        x[i] = np.sin(w[i]) * prev
        prev = x[i]
    return np.sum(x * x)


def running_product_autograd(w):
    prev, total = 1.0, 0.0
    for i in range(len(w)):
        prev = anp.sin(w[i]) * prev
        total = total + prev * prev
    return total


def test_elementwise_loop_and_second_order():
    check_both_modes(running_product, W.copy())
    np.testing.assert_allclose(ad.hessian(running_product)(W.copy()),
                               autograd.hessian(running_product_autograd)(W.copy()),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ad.grad(running_product)(W.copy()),
                               autograd.grad(running_product_autograd)(W.copy()))


def fill_in_helper(w):
    x = np.zeros(4)
    x[1:3] = w[:2] ** 2
    return x


def uses_helper(w):
    y = fill_in_helper(w)
    y[0] = w[2]
    return np.sum(np.exp(y))


def test_in_a_helper_and_after_it():
    check_both_modes(uses_helper, W.copy())


def test_float32_stays_float32():
    def f(w):
        x = np.zeros(4, dtype=np.float32)
        x[1:3] = w[:2] * w[2]
        return np.sum(x ** 2)

    w = W.astype(np.float32)
    g = ad.grad(f)(w)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, ad.grad(f)(W)[...].astype(np.float32), rtol=1e-5)
    # (the float64 gradient it is compared with, against the closed form; finite
    # differences see the float32 rounding of x)
    a, b, c = W[:3]
    expected = np.zeros_like(W)
    expected[:3] = [2 * a * c * c, 2 * b * c * c, 2 * c * (a * a + b * b)]
    np.testing.assert_allclose(ad.grad(f)(W), expected, rtol=1e-5)


def test_assigning_into_an_argument_or_a_copy():
    def into_argument(w):
        w[0] = 3.0
        return np.sum(w ** 2)

    def into_copy(w):
        c = np.copy(w)
        c[0] = 3.0
        return np.sum(c ** 2) + np.sum(w.copy())

    w = W.copy()
    g = ad.grad(into_argument)(w)
    assert g[0] == 0.0 and np.all(w == W)   # the generated code works on a copy
    check_both_modes(into_argument, W.copy())
    check_both_modes(into_copy, W.copy())


def rk4(y0, k, steps=8, h=0.1):
    """RK4 for y' = -k * y + sin(y), its state updated by item assignment."""
    y = y0.copy()
    for _ in range(steps):
        k1 = -k * y + np.sin(y)
        k2 = -k * (y + 0.5 * h * k1) + np.sin(y + 0.5 * h * k1)
        k3 = -k * (y + 0.5 * h * k2) + np.sin(y + 0.5 * h * k2)
        k4 = -k * (y + h * k3) + np.sin(y + h * k3)
        new = np.zeros_like(y)
        new[:] = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        new[0] = new[0] * 0.99
        y = new
    return np.sum(y ** 2)


def test_rk4_integrator_against_forward_mode():
    y0, k = np.array([1.0, -0.5, 0.3]), np.array([0.7, 1.1, 0.4])
    g = ad.grad(rk4)(y0, k)
    for e in np.eye(3):
        np.testing.assert_allclose(ad.jvp(rk4)(y0, k, e)[1], g @ e, rtol=1e-10)
    ad.check_grad(rk4, y0, k, wrt=(0, 1))


def test_what_is_refused():
    def into_a_part(w):
        x = np.zeros((2, 3))
        x[1:][0] = w[0]   # (x[0][1] = v is x[0, 1] = v: tests/test_lifted_idioms.py)
        return np.sum(x)

    def active_index(w):
        x = np.zeros(5)
        x[int(w[0])] = w[1]
        return np.sum(x)

    def into_a_slice_of_a_list(w):
        xs = [w[0], w[1], w[2]]
        xs[1:] = [w[3], w[4]]
        return xs[0] * xs[1]

    def into_a_given_dict(w, d):
        d["a"] = w * 2
        return np.sum(d["a"])

    def gives_a_dict(w):
        return into_a_given_dict(w, {"a": w})

    def into_a_dict_by_a_computed_key(w):
        d = {"a": w}
        key = "ab"[int(w[0] > 0)]
        d[key] = w * 2
        return np.sum(d["a"])

    for f, words in ((into_a_part, "item or slice assignment"),
                     (into_a_slice_of_a_list, "slice of a list"),
                     (into_a_dict_by_a_computed_key, "constant")):
        with pytest.raises(ad.TransformError, match=words):
            ad.grad(f)(W.copy())
    # (a dict the caller made, a display: the helper may change it, as Python's does;
    # one the differentiated function was given stays the caller's: below)
    np.testing.assert_allclose(ad.grad(gives_a_dict)(W.copy()), np.full(len(W), 2.0))


# -- lists of values being differentiated made inside loops --------------------------------

def rows_in_a_loop(w):
    total = 0.0
    for i in range(3):
        row = []
        for j in range(len(w)):
            row.append(w[j] * (i + 1))
        total = total + np.sum(np.stack(row) ** 2)
    return total


def rows_in_a_loop_autograd(w):
    total = 0.0
    for i in range(3):
        total = total + anp.sum((w * (i + 1)) ** 2)
    return total


def pairs_in_a_loop(w):
    total = 0.0
    for i in range(3):
        layers = []
        layers.append((w[i], w[i + 1]))
        layers.append((w[i + 1], w[0]))
        for a, b in layers:
            total = total + np.sin(a * b)
    return total


def literal_in_a_loop(w):
    total = 0.0
    for i in range(3):
        pair = [w[i], w[i + 1] * 2.0]
        total = total + pair[0] * pair[1]
    return total


def test_lists_made_in_loops():
    w = np.array([0.3, -0.7, 1.1, 0.4])
    for f in (rows_in_a_loop, pairs_in_a_loop, literal_in_a_loop):
        check_both_modes(f, w)
    np.testing.assert_allclose(ad.grad(rows_in_a_loop)(w), autograd.grad(rows_in_a_loop_autograd)(w))
    # second derivatives of those that append: the gradient code keeps each iteration's
    # list in a list (a list of lists)
    np.testing.assert_allclose(ad.hessian(rows_in_a_loop)(w),
                               autograd.hessian(rows_in_a_loop_autograd)(w), rtol=1e-10)
    # a list only ever read by constant indices is a structure: its items are variables
    g = ad.grad(literal_in_a_loop)
    columns = [(g(w + e) - g(w - e)) / 2e-6 for e in np.eye(4) * 1e-6]
    np.testing.assert_allclose(ad.hessian(literal_in_a_loop)(w), np.array(columns), rtol=1e-5, atol=1e-7)


def test_a_list_made_in_a_loop_and_read_after_it_is_refused():
    def read_after(w):
        for i in range(3):
            row = [w[0] * i]
        return row[0]

    with pytest.raises(ad.TransformError, match="made in a loop and used after it|new structure"):
        ad.grad(read_after)(W.copy())


def written_through_another_name(w):
    y = np.ones(3) * w
    z = y * w              # the backward sweep reads y: the array before the change
    x = y
    x[0] = 5.0 * w[1]      # changes y too, in Python and in the generated code
    return np.sum(z) + np.sum(x * w)


def test_an_array_another_name_holds_is_not_written_in_place():
    # The generated code wrote x[0] = ... in place because nothing else read the name x;
    # but x was y's array, which the backward sweep of z = y * w reads (10.5 for 6.0):
    # an array is written in place only if it was made new where it was assigned, once.
    w = np.array([0.5, 1.0, 2.0])
    check_both_modes(written_through_another_name, w)
    assert "x_2 = x.copy()" in ad.show(written_through_another_name)


# -- items of lists and dicts the function makes -------------------------------------------

def list_items_set(x, y, v):
    ls = [x, v * 2, y]
    ls[0] = ls[0] * y
    ls[2] += x
    for i in range(2):
        ls[1] = ls[1] * ls[0]
    ls[0] = np.ones(3) * x     # an item of another shape
    return np.sum(ls[0] * ls[1]) + ls[2]


def list_items_set_autograd(x, y, v):
    a, b, c = x * y, v * 2, y + x
    for i in range(2):
        b = b * a
    return anp.sum(anp.ones(3) * x * b) + c


def test_assigning_items_of_a_list_of_values_being_differentiated():
    args = (1.3, 0.7, rng.normal(size=3))
    wrt = (0, 1, 2)
    for got, expected in zip(ad.grad(list_items_set, wrt=wrt)(*args),
                             autograd.grad(list_items_set_autograd, wrt)(*args)):
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    ad.check_grad(list_items_set, *args, wrt=wrt)
    _, dot = ad.jvp(list_items_set, wrt=(0,))(*args, (1.0,))
    np.testing.assert_allclose(dot, autograd.grad(list_items_set_autograd)(*args), rtol=1e-12)


def test_list_items_set_in_a_loop_by_index_second_order():
    def f(x):
        ys = [x, x * x, 1.0]
        for i in range(3):
            ys[i] = ys[i] * ys[(i + 1) % 3] + x
        return ys[0] * ys[1] * ys[2]

    def f_autograd(x):
        ys = [x, x * x, 1.0]
        for i in range(3):
            ys = ys[:i] + [ys[i] * ys[(i + 1) % 3] + x] + ys[i + 1:]
        return ys[0] * ys[1] * ys[2]

    for x in (0.4, -1.3):
        np.testing.assert_allclose(ad.grad(f)(x), autograd.grad(f_autograd)(x), rtol=1e-12)
        np.testing.assert_allclose(ad.grad(ad.grad(f))(x),
                                   autograd.grad(autograd.grad(f_autograd))(x), rtol=1e-10)
        ad.check_grad(f, x)


def test_a_list_changed_through_another_name():
    def f(x, y):
        ls = [x, y]
        other = ls
        ls[0] = y * 3
        return other[0] * x   # (the same list: 3 y x)

    assert ad.grad(f, wrt=(0, 1))(1.5, 2.0) == (6.0, 4.5)


def dict_model(x, w):
    state = {"h": np.tanh(w[:3] * x), "c": w[3:] * 0.5, "n": 3}
    alias = state
    state["h"] = state["h"] * state["c"]
    state["out"] = np.sum(state["h"]) + x
    rows = [state, {"k": x}]
    rows[1]["k"] = rows[1]["k"] * x
    return alias["out"] * rows[1]["k"] + state["n"]


def dict_model_autograd(x, w):
    h = anp.tanh(w[:3] * x) * (w[3:] * 0.5)
    return (anp.sum(h) + x) * (x * x) + 3


def test_dicts_the_function_makes_and_changes():
    w = rng.normal(size=6)
    for x in (0.3, -0.8):
        got = ad.grad(dict_model, wrt=(0, 1))(x, w)
        expected = autograd.grad(dict_model_autograd, (0, 1))(x, w)
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a, b, rtol=1e-12)
        ad.check_grad(dict_model, x, w, wrt=(0, 1))
    d = {}

    def into_a_new_dict(w):
        d = {}
        d["a"] = w * 2
        return np.sum(d["a"] ** 2)

    np.testing.assert_allclose(ad.grad(into_a_new_dict)(W), 8 * W)
    assert d == {}


def dict_holding_itself(x):
    d = {"m": x * 1.0}
    d["a"] = d   # d["a"]["m"] is d["m"], whatever d["m"] becomes
    d["m"] = x * 3.0
    return np.sum(d["a"]["m"])


def dict_holding_itself_in_a_list(x):
    d = {"m": x * 1.0}
    e = {"d": [d]}
    d["a"] = e
    d["m"] = x * 3.0
    return np.sum(d["a"]["d"][0]["m"])


def dict_holding_another_twice(x):
    d = {"m": x * 1.0}
    e = {"n": d, "o": d}
    e["n"]["m"] = x * 3.0
    return np.sum(d["m"] * e["o"]["m"])


def test_a_dict_made_to_hold_itself_is_refused():
    # (its structure held the dict as it was: d["a"]["m"] stayed x, a gradient of 1 for 3;
    # a dict held twice, which does not hold itself, sees its change in both places)
    for f in (dict_holding_itself, dict_holding_itself_in_a_list):
        with pytest.raises(ad.TransformError, match="hold itself"):
            ad.grad(f)(W)
    np.testing.assert_allclose(ad.grad(dict_holding_another_twice)(W), 18 * W)


def test_a_dict_given_a_new_structure_in_each_iteration():
    def f(x, y):
        d = {"s": x, "u": y}
        for i in range(2):
            d = {"s": d["s"] * d["u"], "u": d["u"]}
        return d["s"] * d["u"]

    np.testing.assert_allclose(ad.grad(f)(1.0, 2.0), 8.0)


def row_changed_then_summed(x, y):
    total = 0.0
    for i in range(3):
        row = [x * i, y]
        row[0] = row[0] * x + row[1]
        total = total + sum(row)   # (the next iteration's change is to a new list)
    return total


def row_changed_in_an_inner_loop(x, y):
    total = 0.0
    for i in range(2):
        row = [x, y]
        for j in range(2):
            total = total + np.sum(np.stack(row))
            row[1] = np.ones(2) * x     # the next j's np.stack reads this list
    return total


def test_a_list_made_in_a_loop_changed_then_read_in_the_same_iteration():
    def expected(x, y):
        total = 0.0
        for i in range(3):
            total = total + x * i * x + y + y
        return total

    for args in ((0.7, -1.2), (1.5, 0.3)):
        np.testing.assert_allclose(ad.grad(row_changed_then_summed, wrt=(0, 1))(*args),
                                   autograd.grad(expected, (0, 1))(*args), rtol=1e-12)
    with pytest.raises(ad.TransformError, match="may change in place"):
        ad.grad(row_changed_in_an_inner_loop)(0.5, 0.3)


def rows_of_changing_lengths(x):
    total = 0.0
    for i in range(3):
        row = [x * np.ones(3 if i == 2 else 1), x]
        total = total + np.sum(row[0]) * row[1]
    return total


def test_the_adjoint_list_of_a_list_made_in_a_loop_has_that_iteration_s_shapes():
    # regression: it was made from the list of the last iteration (silently 9.8, not 7.0)
    for x in (0.7, -1.3):
        np.testing.assert_allclose(ad.grad(rows_of_changing_lengths)(x), 10 * x, rtol=1e-12)
        ad.check_grad(rows_of_changing_lengths, x)


def made_by_a_helper(x):
    return {"a": x * 2, "b": [x, 1.0]}


def changes_what_a_helper_made(x):
    d = made_by_a_helper(x)
    d["a"] = d["a"] * x
    d["b"][1] = d["a"] + 1
    return d["a"] * d["b"][1]


def test_a_dict_a_helper_made_is_the_caller_s_to_change():
    for x in (1.5, -0.3):
        np.testing.assert_allclose(ad.grad(changes_what_a_helper_made)(x), 16 * x ** 3 + 4 * x,
                                   rtol=1e-12)


# -- x.fill(v) and np.copyto(x, v) on arrays being differentiated: x[...] = v ---------------

def fills_and_copies(w, s):
    z = w * 2.0
    t = np.sum(z ** 2)          # reads z before the fill: the backward sweep needs the old z
    z.fill(s)
    y = np.ones(3)
    for i in range(3):
        np.copyto(y, np.tanh(y * w) + z * 0.1 * i)
    return t + np.sum(y * z) + filled_in_a_helper(w, s)


def filled_in_a_helper(w, s):
    out = np.empty(2)
    out.fill(s * w[0])
    np.copyto(out, out + w[1:])   # broadcast into out
    return np.sum(out ** 2)


def fills_and_copies_autograd(w, s):
    z = w * 2.0
    t = anp.sum(z ** 2)
    z = s * anp.ones(3)
    y = anp.ones(3)
    for i in range(3):
        y = anp.tanh(y * w) + z * 0.1 * i
    out = s * w[0] + w[1:]
    return t + anp.sum(y * z) + anp.sum(out ** 2)


def test_fill_and_copyto_on_arrays_being_differentiated():
    w, s = np.array([0.4, -0.8, 1.1]), 0.7
    check_both_modes(fills_and_copies, w, s)
    ad.check_grad(fills_and_copies, w, s, wrt=1)
    for got, expected in zip(ad.grad(fills_and_copies, wrt=(0, 1))(w, s),
                             autograd.grad(fills_and_copies_autograd, (0, 1))(w, s)):
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(ad.hessian(fills_and_copies)(w, s),
                               autograd.hessian(fills_and_copies_autograd)(w, s), rtol=1e-9,
                               atol=1e-12)
    assert "z_2[...] = s" in ad.show(fills_and_copies)


def test_assigning_through_another_name_of_a_made_array():
    # y is certainly x's memory, v a view of it: they get x's new values after the
    # assignment (views.py)
    def through_another_name(w):
        x = np.zeros(5)
        y = x
        x[1] = w[0]
        return np.sum(y * w[:5])

    def through_a_view(w):
        x = np.zeros(5)
        v = x[1:3]
        x[1] = w[0]
        return np.sum(v * w[:2]) + np.sum(x)

    w = W.copy()
    ad.check_grad(through_another_name, w)
    np.testing.assert_allclose(ad.grad(through_another_name)(w),
                               np.r_[w[1], w[0], np.zeros(len(w) - 2)])
    ad.check_grad(through_a_view, w)
    np.testing.assert_allclose(ad.grad(through_a_view)(w),
                               np.r_[2 * w[0] + 1.0, np.zeros(len(w) - 1)])


def test_fill_through_another_name_is_refused():
    def through_a_view(w):
        z = w * 2.0
        u = z[1:]
        z.fill(0.5)               # changes u too
        return np.sum(u * w[1:])

    def not_numpys(w, box):
        z = w * 2.0
        box.copyto(z, w)          # some object's copyto: not an assignment into z
        return np.sum(z)

    # u is certainly a view of z: it gets z's new values (views.py)
    np.testing.assert_allclose(ad.grad(through_a_view)(W.copy()), np.r_[0.0, np.full(
        len(W) - 1, 0.5)])
    ad.check_grad(through_a_view, W.copy())
    with pytest.raises(ad.TransformError, match="not numpy's copyto"):
        ad.grad(not_numpys)(W.copy(), None)


# -- np.copyto, .fill and out= into an array a dict, an object or a matrix holds ------------

class Cell:
    def __init__(self, h, c):
        self.h = h
        self.c = c


def held_arrays_updated(w, s):
    state = {"h": w * 2.0, "c": np.tanh(w)}
    np.copyto(state["h"], np.tanh(state["c"]) * w)     # into the dict's array
    state["c"].fill(s)
    cell = Cell(w + 1.0, w * s)
    np.multiply(cell.h, s, out=cell.h)                  # into the object's array
    m = np.outer(np.array([1.0, 0.5]), w)
    np.tanh(m[1], out=m[0])                             # into a row
    np.copyto(m[1], cell.c ** 2)
    return np.sum(state["h"] * state["c"]) + np.sum(cell.h * cell.c) + np.sum(m * w)


def held_arrays_updated_autograd(w, s):
    h, c = anp.tanh(anp.tanh(w)) * w, s * anp.ones(3)
    cell_h, cell_c = (w + 1.0) * s, w * s
    m0, m1 = anp.tanh(0.5 * w), cell_c ** 2
    return anp.sum(h * c) + anp.sum(cell_h * cell_c) + anp.sum((m0 + m1) * w)


def test_copyto_fill_and_out_into_held_arrays():
    w, s = np.array([0.4, -0.8, 1.1]), 0.7
    check_both_modes(held_arrays_updated, w, s)
    ad.check_grad(held_arrays_updated, w, s, wrt=1)
    for got, expected in zip(ad.grad(held_arrays_updated, wrt=(0, 1))(w, s),
                             autograd.grad(held_arrays_updated_autograd, (0, 1))(w, s)):
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(ad.hessian(held_arrays_updated)(w, s),
                               autograd.hessian(held_arrays_updated_autograd)(w, s),
                               rtol=1e-9, atol=1e-12)


def test_copyto_into_a_held_array_seen_by_its_views():
    def dict_view(w):
        d = {"h": w * 2.0, "c": w + 1.0}
        u = d["h"][1:]                       # a view of the dict's array
        np.copyto(d["h"], np.tanh(d["c"]))   # changes u too
        return np.sum(u * w[1:])

    def row_view(w):
        m = np.outer(np.array([1.0, 0.5]), w)
        r = m[0][::-1]
        np.tanh(m[1], out=m[0])              # changes r too
        return np.sum(r * w)

    w = W[:3].copy()
    ad.check_grad(dict_view, w)
    np.testing.assert_allclose(ad.grad(dict_view)(w),
                               np.r_[0.0, np.tanh(w[1:] + 1.0)
                                     + w[1:] / np.cosh(w[1:] + 1.0) ** 2])
    ad.check_grad(row_view, w)
    np.testing.assert_allclose(ad.grad(row_view)(w), autograd.grad(
        lambda v: anp.sum(anp.tanh(0.5 * v)[::-1] * v))(w), rtol=1e-12)


class Tally:
    def __init__(self):
        self.v = 0.0

    def fill(self, v):
        self.v = v


def test_copyto_and_fill_into_held_arrays_refused_or_kept():
    def into_a_list_item(w):
        items = [w * 2.0, w + 1.0]
        np.copyto(items[0], np.tanh(items[1]))   # ERR: the array every name of it sees
        return np.sum(items[0])

    def into_the_caller_s_dict(params):
        np.copyto(params["w"], params["w"] * 2.0)   # ERR: the caller's dict
        return np.sum(params["w"])

    def not_numpy_s(w, tool):
        d = {"h": w * 2.0}
        tool.copyto(d["h"], w)                   # ERR: some object's copyto
        return np.sum(d["h"])

    def some_object_s_fill(w):
        held = {"t": Tally()}
        held["t"].fill(3.0)                      # nothing differentiated: run as written
        return np.sum(w) * held["t"].v

    w = W[:3].copy()
    for f, args, pattern in [
            (into_a_list_item, (w,), r"changes in place an item of the list items"),
            (into_the_caller_s_dict, ({"w": w.copy()},), r"structure this function was given"),
            (not_numpy_s, (w, None), r"tool.copyto is not numpy's copyto")]:
        with pytest.raises(ad.TransformError, match=pattern) as info:
            ad.grad(f)(*args)
        assert "# ERR" in str(info.value), str(info.value)
    np.testing.assert_allclose(ad.grad(some_object_s_fill)(w), np.full(3, 3.0))


def into_an_argument(x, d):
    d["h"] = x * 2.0            # a dict the caller passed: Python would change it
    return np.sum(d["h"] ** 2)


def into_an_array_argument(x, c):
    c[0] = x[0] * 3.0           # an array the caller passed: the caller's stays as it was
    return np.sum(c * x)


def test_assigning_into_an_argument():
    x = np.array([0.3, 0.5])
    # (refused when the code runs, at the user's line: the argument's kind is not known
    # before)
    line = into_an_argument.__code__.co_firstlineno + 1
    where = rf"test_items\.py:{line}:5: .*into an item of an array, not of a dict"
    with pytest.raises(TypeError, match=where):
        ad.grad(into_an_argument)(x, {})
    c = np.array([1.0, 2.0])
    g = ad.grad(into_an_array_argument)(x, c)
    np.testing.assert_allclose(c, [1.0, 2.0])
    np.testing.assert_allclose(g, [2 * 3.0 * x[0], 2.0])
    ad.check_grad(into_an_array_argument, x, np.array([1.0, 2.0]))


def constant_first_into_an_argument(x, d):
    d["n"] *= 0.9               # nothing differentiated yet: a write into the caller's dict
    d["n"] += x                 # ... which what is differentiated then reaches
    return np.sum(d["n"] ** 2)


def constant_first_into_a_list_argument(x, ys):
    ys[0] = 3.0
    ys[1] = x[0]
    return ys[0] * ys[1]


def test_a_constant_written_into_an_argument_before_what_is_differentiated():
    """The first write, of a constant, into a dict or list argument was a primitive that
    raised inside itself, with no line of the user's; it is refused at that line."""
    x = np.array([0.3, 0.5])
    for f, d in [(constant_first_into_an_argument, {"n": np.zeros(2)}),
                 (constant_first_into_a_list_argument, [1.0, 2.0])]:
        line = f.__code__.co_firstlineno + 1
        with pytest.raises(TypeError, match=rf"test_items\.py:{line}:5: .*not of a list or "
                                            rf"dict"):
            ad.grad(f)(x, d)
    # an array argument: the values are right, the caller's array as it was
    c = np.array([1.0, 2.0])
    g = ad.grad(constant_first_into_a_list_argument)(x, c)
    np.testing.assert_allclose(c, [1.0, 2.0])
    np.testing.assert_allclose(g, [3.0, 0.0])
    ad.check_grad(constant_first_into_a_list_argument, x, np.array([1.0, 2.0]))


# -- a tuple of targets, one of them an item -------------------------------------------


def swap_rows(A):
    B = A.copy()
    B[0], B[1] = B[1], B[0]   # NumPy: B[1] gets the view B[0], already row 1: both are row 1
    return np.sum(B * np.arange(B.size).reshape(B.shape))


def swap_row_copies(A):
    B = A.copy()
    B[0], B[1] = B[1].copy(), B[0].copy()   # a true swap
    return np.sum(B * np.arange(B.size).reshape(B.shape))


def bubble_sorted_weights(x):
    y = x.copy()
    for i in range(len(y)):
        for j in range(len(y) - 1 - i):
            if y[j] > y[j + 1]:
                y[j], y[j + 1] = y[j + 1], y[j]
    return np.sum(y * np.arange(1.0, len(y) + 1.0))


def name_then_item(x):
    y = x * 1.0
    i, y[0] = 2, x[3] ** 2     # i is assigned before y[0]
    y[i] = 5.0 * x[1]
    return np.sum(y * np.arange(4.0))


@pytest.mark.parametrize("f", [swap_rows, swap_row_copies])
def test_rows_assigned_by_one_tuple_assignment_keep_numpys_meaning(f):
    A = rng.normal(size=(3, 4))
    ad.check_grad(f, A)
    copies, views = ad.grad(swap_row_copies)(A), ad.grad(swap_rows)(A)
    assert not np.allclose(copies, views)   # (the two meanings differ, and each is kept)


@pytest.mark.parametrize("f", [bubble_sorted_weights, name_then_item])
def test_items_assigned_by_one_tuple_assignment(f):
    check_both_modes(f, rng.normal(size=4))


def entries_swapped_cubed(x):
    y = x * 1.0
    y[0], y[2] = y[2], y[0]
    return np.sum(y ** 3 * x)


def test_a_swap_of_entries_differentiated_twice():
    # The code differentiated again is specialised to the arguments' kinds (a vector's
    # entries are numbers; a matrix's rows are views, the swap NumPy makes of them); code
    # for arguments of any kind checks when it runs that y[0] read before the swap is a
    # number (it had checked that y is one, which an array never is: always refused).
    from test_second_order import assert_second_order
    assert_second_order(entries_swapped_cubed, rng.normal(size=4))
    assert_second_order(entries_swapped_cubed, rng.normal(size=(4, 2)))
    code = ad.show(entries_swapped_cubed)   # (for arguments of any kind)
    assert re.search(r"require_immutable\(_value\d, ", code) and "require_immutable(y" not in code
    # (that code run: the message says what the user wrote, not the names of the split)
    general = Transform(entries_swapped_cubed, 0).compiled((), "grad")
    np.testing.assert_allclose(general(W), ad.grad(entries_swapped_cubed)(W))
    with pytest.raises(TypeError, match=r"'y\[0\], y\[2\] = y\[2\], y\[0\]' changes the "
                                        r"array 'y' in place, and 'y\[0\]', read before"):
        general(rng.normal(size=(4, 2)))


def entry_read_and_array_named_again(x):
    y = x * 1.0
    a = y[0]   # a number for a vector
    b = y      # the array itself: sees the write
    y[0] = 5.0 * x[1]
    return np.sum(b * a) + np.sum(y)


def test_a_write_with_two_names_that_may_share_the_array_checks_the_array():
    # (checking that a is a number would let b's change go unseen: the check asks y to be
    # one, which refuses whenever the code runs; for a vector, when transforming)
    assert "require_immutable(y, " in ad.show(entry_read_and_array_named_again)
    for call in (lambda x: ad.grad(entry_read_and_array_named_again)(x),
                 lambda x: ad.hessian(entry_read_and_array_named_again)(x)):
        with pytest.raises((ad.TransformError, TypeError), match="'b', which may share"):
            call(rng.normal(size=3))


def test_items_unpacked_from_a_value_that_is_not_a_display_stay_refused():
    def f(x):
        y = x * 1.0
        y[0], y[1] = np.sin(x[:2])
        return np.sum(y)

    with pytest.raises(ad.TransformError, match=r"\(y\[0\], y\[1\]\) = "):
        ad.grad(f)(rng.normal(size=3))


def ends_copied(x):
    y = x.copy()
    y[1:-1] = 0.5 * (y[:-2] + y[2:])
    y[0], y[-1] = y[1], y[-2]   # entries of a vector: numbers, read before either write
    return np.sum(y ** 2 * x)


def ends_copied_twin(x):
    y = anp.concatenate([x[:1], 0.5 * (x[:-2] + x[2:]), x[-1:]])
    y = anp.concatenate([y[1:2], y[1:-1], y[-2:-1]])   # (y[-2:-1]: y[0:1] for length 2)
    return anp.sum(y ** 2 * x)


def ends_swapped(x):
    y = x * 1.0
    y[0], y[-1] = y[-1], y[0]
    return np.sum(y ** 3 * np.arange(y.size).reshape(y.shape))


def ends_mixed_in_a_loop(x):
    y = x * 1.0
    for _ in range(3):
        y[0], y[-1] = y[1] * y[-1], y[-2] + y[0]
    return np.sum(y ** 3 * np.arange(1.0, y.size + 1.0).reshape(y.shape))


@pytest.mark.parametrize("n", [2, 3, 5])
def test_entries_at_negative_indices_assigned_by_one_tuple_assignment(n):
    # y[-2] of a vector is a number, as y[1] is: read before the writes (for n = 2, y[-2]
    # is y[0] as it was before y[0] was written)
    x = rng.normal(size=n)
    check_both_modes(ends_copied, x)
    assert_close(ad.grad(ends_copied)(x), autograd.grad(ends_copied_twin)(x), 1e-12, 1e-12)
    check_both_modes(ends_swapped, x)
    check_both_modes(ends_mixed_in_a_loop, x)
    assert_hessian(ends_mixed_in_a_loop, x)


def test_rows_at_negative_indices_keep_numpys_meaning_and_unknown_kinds_are_checked():
    # y[0] of a matrix is a view: y[-1] gets row 0 as the first write left it (the row that
    # was y[-1]); the code for arguments of any kind cannot tell a number from a view, and
    # checks when it runs
    A = rng.normal(size=(3, 2))
    ad.check_grad(ends_swapped, A)
    ad.check_grad(ends_mixed_in_a_loop, A)
    general = Transform(ends_swapped, 0).compiled((), "grad")
    np.testing.assert_allclose(general(W), ad.grad(ends_swapped)(W))
    with pytest.raises(TypeError, match=r"'y\[0\], y\[-1\] = y\[-1\], y\[0\]' changes the "
                                        r"array 'y' in place, and 'y\[0\]', read before"):
        general(A)
