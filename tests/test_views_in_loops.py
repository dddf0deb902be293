"""In-place updates in loops seen through the other names of an array (views.py, loops.py).

- An array a view is taken from by an index (``t = v[::2]``) is carried by a loop that
  updates the view or another name of the array, even where the user's code reads it
  neither in the loop nor after it: putting the view back into it reads its value.
- A number computed as written (``0.5 + k ** 2`` of the loop's int ``k``) has no
  dimension, so that dividing a view by it keeps the view an array of known ndim.
- A for loop over an array its body changes in place (``for e in u: u[1] = x * e``)
  reads at each step the item the array holds then, as Python's iterator does.

Each function is checked against central finite differences, against the same function
written without in-place updates (by value, by adcompile and by autograd), and in
forward mode. Where the relation between the names is not certain the refusal stands.
"""

import numpy as np
import pytest
from conftest import assert_close, assert_grad, with_autograd_numpy

import adcompile as ad

X = np.array([0.3, -0.7, 1.1])


def scaled_through_a_name(x, v):
    w = v
    t = v[::2]
    for k in range(2):
        w[0] *= x            # v and t change too
    return np.sum(t ** 2)


def scaled_through_a_name_by_hand(x, v):
    for k in range(2):
        v = np.concatenate([v[:1] * x, v[1:]])
    return np.sum(v[::2] ** 2)


def divided_in_a_while_loop(x, v):
    t = v[::2]
    k = 0
    while k < 2:
        k += 1
        t /= 0.5 + k ** 2    # an int k: a number, and t stays a view of v
    return np.sum(v) * x + t[1] ** 2


def divided_in_a_while_loop_by_hand(x, v):
    for k in (1, 2):
        v = np.stack([v[0] / (0.5 + k ** 2), v[1], v[2] / (0.5 + k ** 2)])
    return np.sum(v) * x + v[2] ** 2


def walks_what_it_changes(x, v):
    u = v * 1.0
    for e in u:
        u[1] = x * e         # the next step reads the new u[1]
    return np.sum(u)


def walks_what_it_changes_by_hand(x, v):
    u = v * 1.0
    for i in range(3):
        u = np.stack([u[0], x * u[i], u[2]])
    return np.sum(u)


def walks_an_alias(x, v):
    w = v
    s = 0.0
    for e in w:
        v += x * e           # w is v: the next step reads the new values
        s = s + e ** 2
    return s + np.sum(np.sin(w))


def walks_an_alias_by_hand(x, v):
    s = 0.0
    for i in range(3):
        e = v[i]
        v = v + x * e
        s = s + e ** 2
    return s + np.sum(np.sin(v))


def changed_on_some_steps(x, v, c):
    u = v.T
    s = 0.0
    for e in v:
        if e > c:
            u[2] = e * x     # v's last item, read by the last step
        s = s + np.tanh(e)
    return s * x + np.sum(v ** 2)


def changed_on_some_steps_by_hand(x, v, c):
    s = 0.0
    for i in range(3):
        e = v[i]
        if e > c:
            v = np.stack([v[0], v[1], e * x])
        s = s + np.tanh(e)
    return s * x + np.sum(v ** 2)


def walks_a_view_it_changes(x, v):
    t = v[1:]
    s = 0.0
    for e in t:
        v[2] = v[2] + x      # t[1] too, before the second step reads it
        s = s + e * e
    return s


def walks_a_view_it_changes_by_hand(x, v):
    s = 0.0
    for i in range(2):
        e = v[1 + i]
        v = np.stack([v[0], v[1], v[2] + x])
        s = s + e * e
    return s


def scaled_by_a_kept_sum(x, v, g):
    t = v[1:]
    for k in range(2):
        t *= np.sum(g ** 2) * 0.5     # kept as written (g is not differentiated): a number
    return np.sum(v * v) * x


def scaled_by_a_kept_sum_by_hand(x, v, g):
    for k in range(2):
        v = np.concatenate([v[:1], v[1:] * (np.sum(g ** 2) * 0.5)])
    return np.sum(v * v) * x


def minus_an_array_built_in_the_loop(x, v):
    u = v
    t = u[-2:]
    k = 0
    while k < 2:
        k += 1
        t -= np.array([0.5, x])      # a 1-d array: t stays a view of v
    return np.sum(t ** 2) + v[2]


def minus_an_array_built_in_the_loop_by_hand(x, v):
    for k in range(2):
        v = np.concatenate([v[:1], v[1:] - np.array([0.5, x])])
    return np.sum(v[1:] ** 2) + v[2]


def a_list_holds_a_view(x, v):
    u = v
    w = u[::-1]
    t = u[1:]
    ls = [0.5, w]            # w's array, but nothing reads the list again
    k = 0
    while k < 2:
        k += 1
        u += w * x
    return np.sum(t ** 2)


def a_list_holds_a_view_by_hand(x, v):
    for k in range(2):
        v = v + v[::-1] * x
    return np.sum(v[1:] ** 2)


def _replaced(u, k, value):
    """u with item k replaced (for the functional versions)."""
    return np.concatenate([u[:k], np.array([value]), u[k + 1:]])


def walks_it_enumerated(x, v):
    u = v * 1.0
    for i, e in enumerate(u):
        u[(i + 1) % 3] = x * e
    return np.sum(u ** 2)


def walks_it_enumerated_by_hand(x, v):
    u = v * 1.0
    for i in range(3):
        u = _replaced(u, (i + 1) % 3, x * u[i])
    return np.sum(u ** 2)


def walks_two_zipped(x, v):
    u = v * 1.0
    w = v * 2.0
    for a, b in zip(u, w):
        u[2] = a * x + b
        w[1] = b * x
    return np.sum(u * w)


def walks_two_zipped_by_hand(x, v):
    u, w = v * 1.0, v * 2.0
    for i in range(3):
        a, b = u[i], w[i]
        u = _replaced(u, 2, a * x + b)
        w = _replaced(w, 1, b * x)
    return np.sum(u * w)


def skips_some_steps(x, v):
    u = v * 1.0
    s = 0.0
    for e in u:
        if e > 0.0:
            u[2] = u[2] * x
        else:
            continue
        s = s + e
    return s + np.sum(u)


def skips_some_steps_by_hand(x, v):
    u = v * 1.0
    s = 0.0
    for i in range(3):
        e = u[i]
        if e > 0.0:
            u = _replaced(u, 2, u[2] * x)
            s = s + e
    return s + np.sum(u)


def name_rebound_in_the_loop(x, v):
    u = v.T
    w = u
    t = v[::2]
    for p in range(2):
        for i in range(1):
            if x > 10.0:
                pass
            else:
                w -= x       # v, and u in the first iteration only
            g = u            # (nothing uses g)
        u = np.cos(v)        # another array from here on
    return np.sum(t ** 2)


def name_rebound_in_the_loop_by_hand(x, v):
    for p in range(2):
        v = v - x
    return np.sum(v[::2] ** 2)


CASES = [
    (scaled_through_a_name, scaled_through_a_name_by_hand, (0.4, X)),
    (divided_in_a_while_loop, divided_in_a_while_loop_by_hand, (0.4, X)),
    (walks_what_it_changes, walks_what_it_changes_by_hand, (0.4, X)),
    (walks_an_alias, walks_an_alias_by_hand, (0.4, X)),
    (changed_on_some_steps, changed_on_some_steps_by_hand, (0.4, X, 0.0)),   # twice
    (changed_on_some_steps, changed_on_some_steps_by_hand, (0.4, X, 2.0)),   # never
    (changed_on_some_steps, changed_on_some_steps_by_hand, (0.4, X, 0.5)),   # the last
    (walks_a_view_it_changes, walks_a_view_it_changes_by_hand, (0.4, X)),
    (scaled_by_a_kept_sum, scaled_by_a_kept_sum_by_hand, (0.4, X, np.array([0.5, -1.5, 1.0]))),
    (minus_an_array_built_in_the_loop, minus_an_array_built_in_the_loop_by_hand, (0.4, X)),
    (a_list_holds_a_view, a_list_holds_a_view_by_hand, (0.4, X)),
    (walks_it_enumerated, walks_it_enumerated_by_hand, (0.4, X)),
    (walks_two_zipped, walks_two_zipped_by_hand, (0.4, X)),
    (skips_some_steps, skips_some_steps_by_hand, (0.4, X)),
    (skips_some_steps, skips_some_steps_by_hand, (0.4, -X)),
    (name_rebound_in_the_loop, name_rebound_in_the_loop_by_hand, (0.4, X)),   # (fuzz seed 51)
]


def copies(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


@pytest.mark.parametrize("f, by_hand, args", CASES)
def test_the_loop_sees_the_update(f, by_hand, args):
    import autograd
    assert f(*copies(args)) == pytest.approx(by_hand(*copies(args)), rel=1e-12)
    assert_grad(f, *args, wrt=(0, 1), keywords=False)
    got = ad.grad(f, wrt=(0, 1))(*copies(args))
    reference = with_autograd_numpy(globals(), autograd.grad(by_hand, (0, 1)), *args)
    for g, expected in zip(got, reference):
        assert_close(g, expected)
    for g, expected in zip(got, ad.grad(by_hand, wrt=(0, 1))(*args)):
        assert_close(g, expected)


def test_the_loop_sees_the_update_of_an_array_not_differentiated():
    g = ad.grad(walks_what_it_changes)
    assert_close(g(0.4, X.copy()), ad.grad(walks_what_it_changes_by_hand)(0.4, X))
    assert_grad(walks_what_it_changes, 0.4, X, keywords=False)


def walks_what_it_rebinds(x, v):
    u = v * 1.0
    s = 0.0
    for e in u:
        u[1] = x * e         # the walked array, until u names another one
        u = u * 2.0
        s = s + e
    return s + np.sum(u)


def walks_it_and_a_dict_holds_it(x, v):
    u = v * 1.0
    d = {"u": u}
    for e in u:
        u[1] = x * e
    return np.sum(d["u"])


def a_list_holds_a_view_read_after(x, v):
    u = v
    w = u[::-1]
    ls = [0.5, w]
    k = 0
    while k < 2:
        k += 1
        u += w * x
    return np.sum(ls[1] ** 2)        # the list's item is w's array, changed


def name_rebound_in_the_loop_and_read(x, v):
    u = v.T
    w = u
    s = 0.0
    for p in range(2):
        w -= x
        g = u                # v's new values in the first iteration, not in the second
        s = s + np.sum(g)
        u = np.cos(v)
    return s


@pytest.mark.parametrize("f", [walks_what_it_rebinds, walks_it_and_a_dict_holds_it,
                               a_list_holds_a_view_read_after,
                               name_rebound_in_the_loop_and_read])
def test_what_may_share_memory_stays_refused(f):
    with pytest.raises(ad.TransformError, match="in place"):
        ad.grad(f, wrt=(0, 1))(0.4, X.copy())


def read_by_dead_code(x, v):
    u = np.ravel(v)          # (v itself or a copy: not a view adcompile follows)
    v += x
    g = u * 2.0              # read, but nothing uses g
    return np.sum(v ** 2)


def read_by_live_code(x, v):
    u = np.ravel(v)
    v += x
    g = u * 2.0
    return np.sum(v ** 2) + np.sum(g)


def test_a_reader_nothing_uses_is_no_hazard():
    assert_grad(read_by_dead_code, 0.4, X, wrt=(0, 1), keywords=False)
    got = ad.grad(read_by_dead_code, wrt=(0, 1))(0.4, X.copy())
    assert_close(got[0], 2 * np.sum(X + 0.4) * 1.0 * 1)
    assert_close(got[1], 2 * (X + 0.4))
    with pytest.raises(ad.TransformError, match="in place"):
        ad.grad(read_by_live_code, wrt=(0, 1))(0.4, X.copy())


def changed_again_through_a_name_nothing_reads(x, v):
    u = v
    w = np.ravel(v)          # v itself here (not a view adcompile follows)
    t = v[:2]
    for i in range(1, 0):
        w = v[::-1]
    u *= v
    w -= np.sin(x)           # nothing reads w again, but t and v see the change
    return np.max(t) + np.sum(v[1:])


def test_an_update_nothing_reads_after_is_still_a_reader():
    # (fuzz seed 1547: the update w -= ..., whose new value nothing reads, was taken for a
    # reader nothing uses, and the gradient code gave a silently wrong value)
    with pytest.raises(ad.TransformError, match="in place"):
        ad.grad(changed_again_through_a_name_nothing_reads, wrt=(0, 1))(0.4, X.copy())


def zero_d_array_of_a_number(x, y):
    a = x + 0.5
    d = np.asarray(a)        # of a float: a 0-d array, which `d *=` changes in place
    for i in range(3):
        d *= 0.125
        a = d                # the same 0-d array: `d += i` changes a too
        d += i
    return a * y


def test_a_zero_d_array_made_of_a_number_is_an_array():
    # (fuzz seed 7277: it was taken for a number, and a kept its value from before d += i,
    # a silently wrong value and gradient)
    with pytest.raises((TypeError, ad.TransformError), match="in place"):
        ad.value_and_grad(zero_d_array_of_a_number, wrt=(0, 1))(-0.163301, -0.537777)
