"""In-place updates the fuzzer's programs make, which the alias analysis once refused
without need (issue 19), each with the neighbour that must stay refused.

- A loop every path through which leaves after the update (a ``return`` in it) runs the
  update once: the update does not read its own result in a "next iteration".
- ``np.asarray(x)`` of a number ``x`` is a new array: ``d += c`` on it changes no other
  name, though ``x`` is renewed in the loop as if it were ``d``'s array (the refreshes of
  frontend/views.py are kept only where the arguments' types call for them; a loop's
  name is not "an array" merely because the refresh assigns it one).
- A view of the array taken after the loop that changes it (``w[-2:]``) is a view of the
  new values, in the generated code as in Python.
- A list holding a view (``ls = [0.5, w]``) whose item is read before the loop only: the
  item is not renewed by the updates, but nothing reads it after them (the relations of
  the loop's names hold; frontend/views.py).

- A function of the user's called on values not being differentiated (so not inlined)
  changes in place only the parameters its updates may reach (``s = q; s -= ...``: ``q``,
  not ``p``), and what it returns is a new object where it returns arithmetic: called
  with numbers there, it changes nothing the gradient reads (call_effects._changed_parameters,
  returns_new).

And a wrong value the ``routes`` kind found: an update of an array not differentiated made
in place (``b *= 0.5``, another name of it read later) shares the array with the names it
rebinds, so that a later update through one of them (``g *= 0.5``) is seen where the first
one's result is read; it was compiled as a new array nobody read, and dropped.

Each function is checked against central finite differences, against the same function
written without in-place updates (by adcompile and by autograd), and in forward mode.
"""

import functools
import inspect
import math

import numpy as np
import pytest
from conftest import assert_close, assert_grad, numerical_grad, with_autograd_numpy

import adcompile as ad

X = np.array([0.3, -0.7, 1.1])


def copies(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


# -- a loop that leaves after the update (fuzz seed 238) ---------------------------------

def refused_or_right(f, by_hand, args, wrt=(0, 1)):
    """``f``'s gradient at ``args`` is refused as an in-place change, or matches finite
    differences and the gradient of ``by_hand`` (``f`` written without the update)."""
    try:
        got = ad.grad(f, wrt=wrt)(*copies(args))
    except ad.TransformError as exc:
        assert "in place" in str(exc)
        return
    assert_grad(f, *args, wrt=wrt, keywords=False)
    for g, e in zip(got, ad.grad(by_hand, wrt=wrt)(*args)):
        assert_close(g, e)


def leaves_after_the_update(x, v, k):
    z = np.zeros(3)
    a = x * 1.0
    w = 0
    while w < 2:
        w += 1
        if k > 0:
            z[0] = a          # the loop returns below: z is never read again
            a = a * x
        return a * np.sum(v)
    return x


def leaves_after_the_update_by_hand(x, v, k):
    a = x * 1.0
    if k > 0:
        a = a * x
    return a * np.sum(v)


def leaves_after_the_update_read(x, v, k):
    z = v * 1.0
    a = x * 1.0
    for i in range(3):
        if k > i:
            z[1] = a * z[1]
            a = a * x
        return a + np.sum(z ** 2)
    return x


def leaves_after_the_update_read_by_hand(x, v, k):
    z = v * 1.0
    a = x * 1.0
    if k > 0:
        z = np.stack([z[0], a * z[1], z[2]])
        a = a * x
    return a + np.sum(z ** 2)


# -- np.asarray of a number, renewed in a loop (fuzz seed 21) ------------------------------

def asarray_of_a_number(x, y):
    hs = [x, y]
    d = np.asarray(x)         # x is a float: d is a new 0-d array
    w = 0
    while w < 3:
        w += 1
        hs.append(hs[0])
        d += -1.16            # changes d alone: hs and x keep their values
    return hs[-1] * np.sin(x) + d * y


def asarray_of_a_number_by_hand(x, y):
    return x * np.sin(x) + (x - 3 * 1.16) * y


# -- a view of the new array after the loop (fuzz seed 290) --------------------------------

def view_of_the_new_array(x, v, k):
    u = v * 1.0
    w = np.asarray(u)         # u itself
    for i in range(k):
        for j in range(i):
            w[1] = w[1] * x   # u changes too
    t = w[-2:]                # after the loops: the new values
    return np.sum(t ** 2) + np.sum(u)


def view_of_the_new_array_by_hand(x, v, k):
    u = v * 1.0
    for i in range(k):
        for j in range(i):
            u = np.stack([u[0], u[1] * x, u[2]])
    return np.sum(u[-2:] ** 2) + np.sum(u)


# -- a list item that is a view, read before the loop only (fuzz seed 78) ----------------

def a_list_holds_a_view_read_before(x, v):
    u = v * 1.0
    w = u[::-1]
    t = u[1:]
    ls = [0.5, w]
    p = np.dot(ls[1], np.ones(3))
    k = 0
    while k < 2:
        k += 1
        u += w - np.arange(3.0)   # u, w and t change
    return np.sum(t) * x + p


def a_list_holds_a_view_read_before_by_hand(x, v):
    u = v * 1.0
    p = np.sum(u)
    for k in range(2):
        u = u + (u[::-1] - np.arange(3.0))
    return np.sum(u[1:]) * x + p


# -- helpers that change some parameters in place (fuzz seeds 105, 391, 670, 1896...) -------

def _halves_second(p, q):
    s = q
    s -= s * 0.5              # q changes in place where it is an array
    return -1.34


def _uses_halves(p, q):
    s = (q + q) * _halves_second(q, 0.06)   # q as the first argument: unchanged
    return q * p + s


def _sine_plus(p, q):
    r = np.sin(q)
    r += (0.5 + q) / 2.0      # r is a new array: q unchanged
    return math.cos(1.43) + math.sin(0.2)


def calls_helpers(x, y):
    c = x
    for i in range(2):
        c = c + _uses_halves(y, np.abs(np.mean(0.3)))
        c = y * math.exp(-c ** 2) * x + _sine_plus(0.1 * i, -0.64)
    return c


def calls_helpers_by_hand(x, y):
    c = x
    for i in range(2):
        c = c + (0.3 * y + 0.6 * -1.34)
        c = y * np.exp(-c ** 2) * x + (math.cos(1.43) + math.sin(0.2))
    return c


# -- a loop of one step (fuzz seed 1136) -----------------------------------------------------

def swapped_in_a_one_step_loop(x, y):
    c = x * y                 # a number: no array d could be
    d = np.asarray(y)         # y is a float: a new 0-d array
    for i in range(1):        # one step: the update does not run again
        d += x
        d, c = c, d           # c names the changed array now
    return c * x + d


def swapped_in_a_one_step_loop_by_hand(x, y):
    return (y + x) * x + x * y


def swapped_in_a_loop(x, y):
    c = x * y
    d = np.asarray(y)
    for i in range(3):        # the second step changes what the first swapped
        d += x
        d, c = c, d
    return c * x + d


def swapped_in_a_loop_by_hand(x, y):
    c, d = x * y, y
    for i in range(3):
        d = d + x
        d, c = c, d
    return c * x + d


CASES = [
    (swapped_in_a_one_step_loop, swapped_in_a_one_step_loop_by_hand, (0.4, 0.7)),
    (calls_helpers, calls_helpers_by_hand, (0.4, 0.7)),
    (a_list_holds_a_view_read_before, a_list_holds_a_view_read_before_by_hand, (0.4, X)),
    (leaves_after_the_update, leaves_after_the_update_by_hand, (0.4, X, 1)),
    (leaves_after_the_update, leaves_after_the_update_by_hand, (0.4, X, 0)),
    (leaves_after_the_update_read, leaves_after_the_update_read_by_hand, (0.4, X, 2)),
    (leaves_after_the_update_read, leaves_after_the_update_read_by_hand, (0.4, X, 0)),
    (asarray_of_a_number, asarray_of_a_number_by_hand, (0.4, 0.7)),
    (view_of_the_new_array, view_of_the_new_array_by_hand, (0.4, X, 3)),
    (view_of_the_new_array, view_of_the_new_array_by_hand, (0.4, X, 0)),
]


@pytest.mark.parametrize("f, by_hand, args", CASES)
def test_accepted_and_right(f, by_hand, args):
    import autograd
    assert f(*copies(args)) == pytest.approx(by_hand(*copies(args)), rel=1e-12)
    wrt = (0, 1)
    assert_grad(f, *args, wrt=wrt, keywords=False)
    got = ad.grad(f, wrt=wrt)(*copies(args))
    reference = with_autograd_numpy(globals(), autograd.grad(by_hand, wrt), *copies(args))
    for g, expected in zip(got, reference):
        assert_close(g, expected)
    for g, expected in zip(got, ad.grad(by_hand, wrt=wrt)(*copies(args))):
        assert_close(g, expected)


# -- the neighbours: real aliases -----------------------------------------------------------

def returns_on_some_steps(x, v, k):
    z = v * 1.0
    t = z[1:]                 # a view, read again in the next iteration
    for i in range(3):
        s = np.sum(t ** 2)
        z[1] = z[1] * x
        if i == k:
            return s
    return x


def returns_on_some_steps_by_hand(x, v, k):
    z = v * 1.0
    for i in range(3):
        s = np.sum(z[1:] ** 2)
        z = np.stack([z[0], z[1] * x, z[2]])
        if i == k:
            return s
    return x


def view_of_the_old_array_in_a_list(x, v, k):
    u = v * 1.0
    w = np.asarray(u)
    ls = [w[-2:]]             # a view taken before the loop, held by a list
    for i in range(k):
        for j in range(i):
            w[1] = w[1] * x
    return np.sum(ls[0] ** 2) + np.sum(u)


def test_a_loop_that_may_go_on_reads_the_update():
    # (the return is on some steps only: the next step reads t, a view of z)
    for k in (0, 1, 2):
        refused_or_right(returns_on_some_steps, returns_on_some_steps_by_hand, (0.4, X, k))


def a_list_holds_a_view_read_after(x, v):
    u = v * 1.0
    w = u[::-1]
    ls = [0.5, w]
    p = ls[1]
    k = 0
    while k < 2:
        k += 1
        u += w - np.arange(3.0)
    return np.sum(u) * x + np.sum(ls[1] ** 2) + np.sum(p)   # the list's item changed too


def a_list_holds_a_view_read_after_by_hand(x, v):
    u = v * 1.0
    for k in range(2):
        u = u + (u[::-1] - np.arange(3.0))
    return np.sum(u) * x + np.sum(u[::-1] ** 2) + np.sum(u[::-1])


def test_a_list_item_read_after_the_update_is_refused_or_right():
    refused_or_right(a_list_holds_a_view_read_after, a_list_holds_a_view_read_after_by_hand,
                     (0.4, X))


def _halves_first(p, q):
    s = (q + q) * _halves_second(0.06, q)    # q halved in place where it is an array
    return q * p + s


def calls_a_helper_on_its_array(x, y):
    c = x
    for i in range(2):
        c = c + _halves_first(y, np.abs(np.ones(2) * 0.3))
        c = y * np.sum(np.exp(-c ** 2)) * x
    return c


def _same(p):
    return p                  # not arithmetic: the caller's object


def _joined(p):
    return p + [0.0]          # a new list holding p's items


def changes_what_a_helper_returns(x, g):
    s = 0.0
    for i in range(2):
        s = s + x * np.sum(g ** 2)
        t = _same(g)
        t *= 0.5              # g itself
    return s


def changes_an_item_of_what_a_helper_returns(x, g):
    s = 0.0
    hs = [g]
    for i in range(2):
        s = s + x * np.sum(g ** 2)
        r = _joined(hs)
        r[0] *= 0.5           # g itself
    return s


def changes_an_item_of_a_joined_list(x, g):
    s = 0.0
    hs = [g]
    for i in range(2):
        s = s + x * np.sum(g ** 2)
        r = hs + [0.0]
        r[0] *= 0.5           # g itself (the gradient once changed the caller's g so)
    return s


def _halving(f):
    @functools.wraps(f)
    def inner(p, q):
        q *= 0.5              # the wrapper changes q in place (inspect shows f's source)
        return f(p, q)
    return inner


@_halving
def _wrapped(p, q):
    return p * 2.0


def calls_a_wrapped_helper(x, g):
    s = 0.0
    for i in range(2):
        s = s + x * np.sum(g ** 2)
        c = _wrapped(0.5, g)  # (the gradient once changed the caller's g so)
    return s


@pytest.mark.parametrize("f, args", [
    (calls_a_wrapped_helper, (0.4, np.array([1.0, 2.0]))),
    (calls_a_helper_on_its_array, (0.4, 0.7)),
    (changes_an_item_of_a_joined_list, (0.4, np.array([1.0, 2.0]))),
    (changes_what_a_helper_returns, (0.4, np.array([1.0, 2.0]))),
    (changes_an_item_of_what_a_helper_returns, (0.4, np.array([1.0, 2.0]))),
])
def test_a_helper_changing_what_the_gradient_reads_is_refused_or_right(f, args):
    # (x alone differentiated: the helpers are called on values that are not, as written)
    try:
        got = ad.grad(f)(*copies(args))
    except ad.TransformError as exc:
        assert "in place" in str(exc)
        return
    # (finite differences on fresh copies of the arguments, as Python runs f)
    assert_close(got, assert_grad(f, *args, keywords=False))


def test_a_loop_of_more_steps_is_refused_or_right():
    args = (0.4, 0.7)
    try:
        got = ad.grad(swapped_in_a_loop, wrt=(0, 1))(*args)
    except (ad.TransformError, TypeError) as exc:
        assert "in place" in str(exc)
        return
    assert swapped_in_a_loop(*args) == pytest.approx(swapped_in_a_loop_by_hand(*args))
    assert_grad(swapped_in_a_loop, *args, wrt=(0, 1), keywords=False)
    for g, e in zip(got, ad.grad(swapped_in_a_loop_by_hand, wrt=(0, 1))(*args)):
        assert_close(g, e)


def changes_an_argument_through_a_name(x, y, k):
    b = y                     # y itself where y is an array
    w = 0
    while w < k:
        w += 1
        b -= 0.5 * x          # changes y where y is an array
        b = x + 0.1
    j = 0
    while j < k - 5:          # (does not run: y keeps the argument's object)
        j += 1
        y = x * 2.0
    return np.sum(y * x)


@pytest.mark.parametrize("y", [np.array(-0.95), np.array([-0.95, 0.5]), -0.95])
def test_a_parameter_assigned_later_keeps_the_argument_before(y):
    # (fuzz seed 2669: a parameter's value from the call counted as no value at all when
    # the function assigns the parameter later, and the 0-d argument changed through b
    # was read with its old value: a silently wrong value and gradient)
    args = (0.4, y, 1)
    try:
        value, got = ad.value_and_grad(changes_an_argument_through_a_name)(*copies(args))
    except (ad.TransformError, TypeError) as exc:
        assert "in place" in str(exc)
        assert not isinstance(y, float)   # (a number: nothing to refuse)
        return
    assert value == pytest.approx(changes_an_argument_through_a_name(*copies(args)))
    h = 1e-6
    plus = changes_an_argument_through_a_name(0.4 + h, *copies(args[1:]))
    minus = changes_an_argument_through_a_name(0.4 - h, *copies(args[1:]))
    assert_close(got, (plus - minus) / (2 * h))


def test_a_view_of_the_old_array_stays_refused():
    with pytest.raises(ad.TransformError, match="in place"):
        ad.grad(view_of_the_old_array_in_a_list, wrt=(0, 1))(0.4, X.copy(), 3)


def test_asarray_of_a_zero_d_array_is_that_array():
    # x a 0-d array: d is x itself, and hs holds it; the change is seen through both
    x = np.array(0.4)
    try:
        got = ad.grad(asarray_of_a_number, wrt=(0, 1))(x.copy(), 0.7)
    except (ad.TransformError, TypeError) as exc:
        assert "in place" in str(exc)
    else:   # (if ever accepted, it must be right: Python's value, by differences)
        h = 1e-6
        plus, minus = asarray_of_a_number(np.array(0.4 + h), 0.7), \
            asarray_of_a_number(np.array(0.4 - h), 0.7)
        assert_close(got[0], (plus - minus) / (2 * h))


# -- an update made in place shares its array with a later one (routes seed 14255) --------
# ``b = g; b *= 0.5`` on arrays not differentiated runs in place (``g`` is read later);
# then ``g *= 0.5`` changes what ``b`` holds too, which is read. The update of ``g`` had no
# observer in the facts found before the first was made in place (``b *= 0.5`` then made
# a new array), so it was compiled as a new array nothing read and dropped: the value and
# gradient missed a factor 0.5.

def halves_an_argument_twice(x, v, g):
    b = g
    b *= 0.5
    g *= 0.5
    return np.sum(b) * x + np.sum(v) * x


def halves_a_local_array_twice(x, v, g):
    b = g * 1.0
    c = b
    c *= 0.5
    b *= 0.5
    return np.sum(c) * x + np.sum(v)


def halves_an_array_a_dict_holds(x, v, g):
    b = g * 1.0
    d = {"w": b}
    c = d["w"]
    c *= 0.5
    b *= 0.5
    return np.sum(d["w"]) * x + np.sum(v)


@pytest.mark.parametrize("f", [halves_an_argument_twice, halves_a_local_array_twice,
                               halves_an_array_a_dict_holds])
@pytest.mark.parametrize("wrt", [0, (0, 1)])
def test_an_update_made_in_place_is_seen_by_the_next(f, wrt):
    args = (0.4, X.copy(), np.array([0.25, -0.56, 0.75]))
    try:
        value, _ = ad.value_and_grad(f, wrt=wrt)(*copies(args))
    except ad.TransformError as exc:
        assert "in place" in str(exc)
        return
    assert value == pytest.approx(f(*copies(args)))
    assert_grad(f, *args, wrt=wrt, keywords=False)


# -- an item of a module-level dict assigned in a loop (routes seed 30288) -----------------
# ``BUF["t"] = e`` in a loop made the loop carry ``BUF``, a global, under a name of its own,
# which started as None: the generated code made BUF a local variable and failed with
# UnboundLocalError (or TypeError on None). It is refused at its line, as an assignment into
# a global of a value being differentiated is; outside a loop, on values not
# differentiated, it is kept as written, as Python runs it.

BUF = {"t": np.zeros(3)}


def sets_a_global_item_in_a_loop(x, g):
    BUF["t"] = g * 1.0
    for _ in range(3):
        BUF["t"] -= g
    return np.sum(BUF["t"]) * x


def sets_a_global_item_in_a_while_loop(x, g):
    i = 0
    while i < 2:
        BUF["t"] = g * 2.0
        i += 1
    return np.sum(BUF["t"]) * x


def sets_a_global_item_once(x, g):
    BUF["t"] = g * 2.0
    BUF["t"] += g
    return np.sum(BUF["t"]) * x


@pytest.mark.parametrize("f, line", [(sets_a_global_item_in_a_loop, "BUF[\"t\"] -= g"),
                                     (sets_a_global_item_in_a_while_loop, "BUF[\"t\"] = g * 2.0")])
def test_an_item_of_a_global_assigned_in_a_loop_is_refused_at_its_line(f, line):
    with pytest.raises(ad.TransformError, match="outside the function") as info:
        ad.grad(f, wrt=0)(0.4, np.array([0.25, -0.56, 0.75]))
    assert line in str(info.value)


def test_an_item_of_a_global_assigned_outside_a_loop_is_kept():
    g = np.array([0.25, -0.56, 0.75])
    value, grad = ad.value_and_grad(sets_a_global_item_once, wrt=0)(0.4, g.copy())
    assert value == pytest.approx(sets_a_global_item_once(0.4, g.copy()))
    assert grad == pytest.approx(np.sum(3.0 * g))


# -- a helper changing an array a module-level dict holds (routes seeds 51027, 66589) ------
# ``set_item_of_global`` assigns into ``GLOBAL_BUF["t"][1]``: it changes the array the dict
# holds, not only the dict. That array was not counted as changed: the gradient read ``b``
# (stored in the dict) as it was after the call (a wrong gradient), and an argument stored
# in the dict was changed by the generated code (no private copy was made of it).

GLOBAL_BUF = {"t": np.zeros(3)}


def set_item_of_global(s):
    GLOBAL_BUF["t"][1] = s


def a_helper_changes_what_a_global_holds(x, v):
    b = np.arange(3.0)
    GLOBAL_BUF["t"] = b
    acc = np.sum(v * b)
    set_item_of_global(0.5)
    return acc + np.sum(b) * x


def a_helper_changes_an_argument_a_global_holds(x, v, g):
    b = g.copy()
    GLOBAL_BUF["t"] = g
    set_item_of_global(np.tanh(np.sum(b)))
    r = GLOBAL_BUF["t"].reshape(3)
    return np.dot(v, r) + np.sum(b) * x


def test_a_helper_changing_what_a_global_holds_is_refused_or_right():
    args = (0.4, X.copy())
    try:
        got = ad.grad(a_helper_changes_what_a_global_holds, wrt=(0, 1))(*copies(args))
    except ad.TransformError as exc:
        assert "in place" in str(exc)
        return
    expected = assert_grad(a_helper_changes_what_a_global_holds, *args, wrt=(0, 1),
                           keywords=False)
    assert_close(got[1], expected[1])


def test_a_helper_changing_an_argument_a_global_holds_leaves_the_argument():
    g = np.array([0.25, -0.56, 0.75])
    args = (0.4, X.copy(), g.copy())
    try:
        value, got = ad.value_and_grad(a_helper_changes_an_argument_a_global_holds,
                                       wrt=(0, 1))(*args)
    except ad.TransformError as exc:
        assert "in place" in str(exc)
        return
    assert args[2].tolist() == g.tolist()   # (the generated code changed g before)
    assert value == pytest.approx(a_helper_changes_an_argument_a_global_holds(*copies(args)))
    assert_grad(a_helper_changes_an_argument_a_global_holds, *args, wrt=(0, 1),
                keywords=False)


# -- a view held in a tuple or list, changed through it, then through its base ------------
# (routes seeds 165302, 672) ``tp = (m[1], v)``; ``tp[0][0] += 0.5`` puts the new row back
# into ``m`` (frontend/views.py), but the item of the tuple is not renewed by later updates
# of ``m``, and the points-to facts took the new row put back for a new array: ``m *= 0.5``
# was compiled as a new array and ``tp[0]`` read the row without the change (a wrong value).

def a_tuple_holds_a_row_changed_twice(x, v, g):
    m = np.outer(np.array([0.5, 0.5]), v)
    tp = (m[1], v)
    tp[0][0] += 0.5
    m *= x
    return np.dot(g, tp[0])


def a_list_holds_a_row_changed_twice(x, v, g):
    m = np.outer(np.array([0.5, 0.5]), v)
    lst = [g, m[0]]
    lst[-1][1:] = v[:2] * x
    m[0][0] = x
    return np.dot(lst[-1], g) + np.sum(m)


def a_name_holds_a_row_changed_twice(x, v, g):
    m = np.outer(np.array([0.5, 0.5]), v)
    r = m[1]
    r[0] += 0.5
    m *= x
    return np.dot(g, r)


@pytest.mark.parametrize("f", [a_tuple_holds_a_row_changed_twice,
                               a_list_holds_a_row_changed_twice,
                               a_name_holds_a_row_changed_twice])
def test_a_row_held_in_a_container_sees_both_updates(f):
    args = (0.4, X.copy(), np.array([1.79, 1.6, -1.23]))
    try:
        value, _ = ad.value_and_grad(f, wrt=(0, 1))(*copies(args))
    except ad.TransformError as exc:
        assert "in place" in str(exc)
        assert f is not a_name_holds_a_row_changed_twice   # (a name's row is renewed)
        return
    assert value == pytest.approx(f(*copies(args)))
    assert_grad(f, *args, wrt=(0, 1), keywords=False)


# -- a loop over a dict that changes its items (routes seed 146378) ------------------------
# ``for key in d: d[key] *= 0.5`` on a dict made in the function and not differentiated:
# the loop walked d as an array the body changes (under a name the updates renew, read
# by position), so it read d[0]: a KeyError from the generated code. It walks d's keys,
# as Python's for does.

def halves_a_dicts_items(x, v, g):
    b = g * 0.5
    d = {"w": b, "g": b}
    for key in d:
        d[key] *= 0.5
    return np.sum(d["w"]) * x + np.sum(v)


def scales_a_dicts_items(x, v, g):
    d = {"w": g * 0.5, "g": g * 1.0}
    for key in d:
        d[key] = d[key] * x
    return np.sum(d["w"]) + np.sum(d["g"] * v)


@pytest.mark.parametrize("f", [halves_a_dicts_items, scales_a_dicts_items])
def test_a_loop_over_a_dict_changing_its_items_walks_its_keys(f):
    args = (0.4, X.copy(), np.array([1.79, 1.6, -1.23]))
    value, _ = ad.value_and_grad(f, wrt=(0, 1))(*copies(args))
    assert value == pytest.approx(f(*copies(args)))
    assert_grad(f, *args, wrt=(0, 1), keywords=False)


# The same loop over a dict given as an argument (not differentiated): its kind is not known
# when the code is made, so the loop walks it by position as an array; a check when the
# code runs refuses a dict there, at the loop's line (it was a KeyError naming no line),
# and ``for key in list(d)`` is differentiated.

def halves_a_given_dicts_items(x, d):
    for key in d:
        d[key] *= 0.5
    return np.sum(d["w"] * x)


def halves_a_given_dicts_items_by_a_list(x, d):
    for key in list(d):
        d[key] *= 0.5
    return np.sum(d["w"] * x)


def halves_a_given_arrays_rows(x, a):
    for row in a:
        a[0] *= 0.5
        x = x * np.sum(row)
    return np.sum(x)


def test_a_loop_over_a_given_dict_changing_its_items_is_refused_at_its_line():
    d = {"w": np.array([1.0, 2.0]), "g": np.array([3.0, 4.0])}
    line = inspect.getsourcelines(halves_a_given_dicts_items)[1] + 1
    with pytest.raises(TypeError, match=rf"test_aliases_fuzzed\.py:{line}:16: d: the loop "
                                        rf"changes what it walks.* a dict"):
        ad.grad(halves_a_given_dicts_items)(X.copy(), dict(d))
    fresh = lambda: {k: v.copy() for k, v in d.items()}   # noqa: E731 (the loop halves them)
    got = ad.grad(halves_a_given_dicts_items_by_a_list)(X[:2].copy(), fresh())
    assert_close(got, 0.5 * d["w"])
    assert_close(got, numerical_grad(
        lambda x: halves_a_given_dicts_items_by_a_list(x, fresh()), (X[:2].copy(),), 0))
    # (an array given there: walked by its rows, as before; the check is dropped where the
    # argument kinds show an array)
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert "require_positions" not in ad.show(halves_a_given_arrays_rows, args=(0.7, a))
    assert "require_positions" in ad.show(halves_a_given_arrays_rows)
    assert_grad(halves_a_given_arrays_rows, 0.7, a)


# -- an update run in place, fused into the expression that reads its result --------------
# (routes seeds 246030, 62764) ``d["g"] += np.tanh(d["g"])`` of an array not differentiated
# (``b``, read afterwards) runs in place, ``t3 = augmented(t2, '+', ...)``; its temporary,
# read once, was fused into that read, after ``np.sum(b)``, which then read b unchanged:
# a wrong value (value_and_grad) and gradient.

def a_dict_item_updated_and_its_array_read(x, y, v):
    b = np.arange(3.0)
    d = {"w": v, "g": b}
    d["g"] += np.tanh(d["g"])
    return np.sum(d["g"]) + np.sum(b) * y + np.sum(v) * x


def a_list_item_updated_and_read_twice(x, y, v, g):
    d = {"w": g, "g": v}
    lst = [d["w"], d["w"]]
    lst[1] += 3
    return np.sum(lst[0]) * y + np.sum(lst[0] * lst[1]) * x + np.sum(v)


@pytest.mark.parametrize("f, args", [
    (a_dict_item_updated_and_its_array_read, (0.99, -0.48, X)),
    (a_list_item_updated_and_read_twice, (0.82, 1.03, X, np.array([-1.53, -0.49, -1.06]))),
])
def test_an_update_in_place_is_not_moved_past_a_read(f, args):
    value, got = ad.value_and_grad(f, wrt=(0, 1, 2))(*copies(args))
    assert value == pytest.approx(f(*copies(args)))
    expected = assert_grad(f, *args, wrt=(0, 1, 2), keywords=False)
    for g, e in zip(got, expected):
        assert_close(g, e)
    _, tangent = ad.jvp(f, wrt=1)(*copies(args), tangents=1.0)
    assert_close(tangent, expected[1])


# -- a dict made again in a loop from its own items (routes seed 427669) -------------------
# ``d = {"w": lst[i % 2], "g": d["w"]}``: at the end of each iteration the loop's names of
# the dict's items took their new values one after the other, so ``d["g"]`` took the new
# ``d["w"]``, not the one the iteration read (a wrong value and gradient). Python binds
# the new dict's items at once; the values are copied first.

def shifts_a_dicts_items(x, v, g, k):
    d = {"w": v, "g": v}
    lst = [g, v]
    for i in range(k):
        d = {"w": lst[i % 2], "g": d["w"]}
    return np.sum(d["g"] * v) * x + np.sum(d["w"])


def shifts_a_dicts_items_by_hand(x, v, g, k):
    w, h = v, v
    lst = [g, v]
    for i in range(k):
        w, h = lst[i % 2], w
    return np.sum(h * v) * x + np.sum(w)


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_a_dict_made_again_from_its_items_in_a_loop(k):
    args = (1.15, X.copy(), np.array([0.88, 1.1, -0.72]), k)
    value, got = ad.value_and_grad(shifts_a_dicts_items, wrt=(0, 1))(*copies(args))
    assert value == pytest.approx(shifts_a_dicts_items(*copies(args)))
    expected = assert_grad(shifts_a_dicts_items, *args, wrt=(0, 1), keywords=False)
    for g, e in zip(got, ad.grad(shifts_a_dicts_items_by_hand, wrt=(0, 1))(*args)):
        assert_close(g, e)
    assert_close(expected[1], got[1])
