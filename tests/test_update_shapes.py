"""``x op= e`` on an array keeps x's shape, as NumPy's in place update does.

Python changes an array ``x`` in place there and raises a ValueError where the broadcast
shape of ``x`` and ``e`` is not x's (``e`` of more dimensions, or longer along an axis of
length 1 of ``x``); the generated code computes ``x op= e`` as a new value, so it must
refuse (where the arguments' kinds show it) or check when the code runs, never hand back
the gradient of an array that grew. Where the update keeps the shape (a number ``x``, an
``e`` that broadcasts into ``x``), gradients are checked against central finite
differences.
"""

import inspect

import numpy as np
import pytest

import adcompile as ad
from adcompile.errors import TransformError
from conftest import assert_close, assert_grad, assert_hessian, numerical_grad

rng = np.random.default_rng(5)


def place(f, text):
    """``file:line`` of the line of ``f``'s source holding ``text``."""
    lines, first = inspect.getsourcelines(f)
    at = next(i for i, line in enumerate(lines) if text in line)
    return f"{inspect.getsourcefile(f)}:{first + at}:"


def in_python(f, *args):
    """What Python raises running ``f`` (on copies of the arguments)."""
    with pytest.raises(ValueError, match="non-broadcastable output operand"):
        f(*[np.array(a) for a in args])


def grown(u, e):
    u = u * 1.0
    u *= e
    return np.sum(u)


def test_an_update_by_an_operand_of_more_dimensions_is_refused_at_the_users_line():
    u, e = np.array([1.0, 2.0, 3.0]), np.ones((2, 3)) * 2
    in_python(grown, u, e)
    with pytest.raises(TransformError, match="NumPy changes the array in place") as info:
        ad.grad(grown)(u, e)
    assert place(grown, "u *= e") in str(info.value)
    with pytest.raises(TransformError):
        ad.grad(grown, wrt=1)(u, e)


def test_an_axis_of_length_1_grown_by_the_update_raises_when_the_code_runs():
    u, e = rng.normal(size=(1, 3)), rng.normal(size=(2, 3))
    in_python(grown, u, e)
    for wrt in (0, 1):
        with pytest.raises(ValueError, match="non-broadcastable output operand with shape "
                                             r"\(1, 3\)") as info:
            ad.grad(grown, wrt=wrt)(u, e)
        assert place(grown, "u *= e") in str(info.value)
    with pytest.raises(ValueError, match="non-broadcastable output operand"):
        ad.jvp(grown)(u, e, np.ones_like(u))
    # the same function where the shapes agree, or e broadcasts into u: differentiated
    assert_grad(grown, rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), wrt=(0, 1))
    assert_grad(grown, rng.normal(size=(2, 3)), rng.normal(size=(2, 1)), wrt=(0, 1))


def subtracted_in_a_loop(u, e):
    u = u * 1.0
    for k in range(3):
        u -= k * e
    return np.sum(u ** 2)


def test_an_update_in_a_loop():
    u, e = rng.normal(size=3), rng.normal(size=(2, 3))
    in_python(subtracted_in_a_loop, u, e)
    with pytest.raises((ValueError, TransformError)) as info:
        ad.grad(subtracted_in_a_loop)(u, e)
    assert place(subtracted_in_a_loop, "u -= k * e") in str(info.value)
    assert_grad(subtracted_in_a_loop, rng.normal(size=3), rng.normal(size=3), wrt=(0, 1))
    assert_grad(subtracted_in_a_loop, rng.normal(size=(4, 3)), rng.normal(size=3),
                wrt=(0, 1))


def scale_(v, s):
    v[:] *= s   # (a helper that changes the array it is given in place)


def scaled_by_a_helper(u, e):
    u = u * 1.0
    scale_(u, e)
    return np.sum(u ** 2)


def scaled(v, s):
    v *= s
    return v


def scaled_and_returned(u, e):
    return np.sum(scaled(u * 1.0, e) ** 2)


@pytest.mark.parametrize("f, helper, text", [
    (scaled_by_a_helper, scale_, "v[:] *= s"),
    (scaled_and_returned, scaled, "v *= s"),
])
def test_an_update_in_a_helper(f, helper, text):
    e = rng.normal(size=(2, 3))
    for u in (rng.normal(size=3), rng.normal(size=(1, 3))):
        in_python(f, u, e)
        with pytest.raises(ValueError) as info:   # (TransformError is a ValueError)
            ad.grad(f)(u, e)
        assert place(helper, text) in str(info.value)
    assert_grad(f, rng.normal(size=(2, 3)), rng.normal(size=3), wrt=(0, 1))
    assert_grad(f, rng.normal(size=(2, 3)), 1.5, wrt=(0, 1))


def masked(u, e):
    c = np.ones(3)
    c *= e   # (nothing differentiated: the statement is kept as it is)
    return np.sum(u * c)


def test_an_update_of_a_constant_array():
    u = rng.normal(size=3)
    in_python(masked, u, np.ones((2, 3)))
    with pytest.raises(TransformError) as info:
        ad.grad(masked)(u, np.ones((2, 3)))
    assert place(masked, "c *= e") in str(info.value)
    assert_grad(masked, u, rng.normal(size=3))


def number_grown_into_an_array(v, w):
    s = 0.0
    for k in range(3):
        s += w * v ** k
    total = 0.0
    total += np.sum(s ** 2)
    return total


def accumulated(x, y):
    acc = x * 2.0
    acc += y
    acc *= x
    return np.sum(acc)


def broadcast_into(X, b, c):
    X = X * 1.0
    X += b       # b: (3,) into X: (2, 3)
    X *= c       # c: (2, 1)
    X /= 2.0
    return np.sum(np.tanh(X))


def hidden(x, W):
    h = np.zeros(4)
    loss = 0.0
    for _ in range(3):
        h += W @ x
        h = np.tanh(h)
        loss += np.sum(h ** 2)
    return loss


def test_updates_that_keep_the_shape_are_differentiated():
    v, w = rng.normal(size=4), 0.7
    assert_grad(number_grown_into_an_array, v, w, wrt=(0, 1))
    assert_grad(number_grown_into_an_array, 1.3, rng.normal(size=(2, 3)), wrt=(0, 1))
    assert_grad(accumulated, rng.normal(size=5), rng.normal(size=5), wrt=(0, 1))
    assert_grad(broadcast_into, rng.normal(size=(2, 3)), rng.normal(size=3),
                rng.normal(size=(2, 1)), wrt=(0, 1, 2))
    assert_grad(hidden, rng.normal(size=3), rng.normal(size=(4, 3)), wrt=(0, 1))


@pytest.mark.parametrize("f, args, wrt", [
    (number_grown_into_an_array, (rng.normal(size=4), 0.7), 0),
    (accumulated, (rng.normal(size=5), rng.normal(size=5)), 0),
    (accumulated, (rng.normal(size=5), rng.normal(size=5)), 1),
    (hidden, (rng.normal(size=3), rng.normal(size=(4, 3))), 0),
    (hidden, (rng.normal(size=3), rng.normal(size=(4, 3))), 1),
    (broadcast_into, (rng.normal(size=(2, 3)), rng.normal(size=3), 2.0), 0),
    (broadcast_into, (rng.normal(size=(2, 3)), rng.normal(size=3), 2.0), 1),
])
def test_the_common_updates_need_no_check_in_specialised_code(f, args, wrt):
    assert "require_update_shape" not in ad.show(f, wrt=wrt, args=args)


def test_general_code_checks_when_the_kinds_are_not_known():
    shown = ad.show(grown)
    assert "require_update_shape(" in shown
    # (a number's update needs none: the check's message would name its statement)
    assert "total +=" not in ad.show(number_grown_into_an_array)


def item_updated(x, e):
    x = x * 1.0
    x[0] += e
    return np.sum(x ** 2)


def sliced_item_updated(x, e):
    x = x * 1.0
    x[:1] *= e
    return np.sum(x ** 2)


def item_written(x, v):
    y = x * 1.0
    y[1] = v * x[0, 0]
    return np.sum(y ** 2)


def test_item_updates():
    x = rng.normal(size=(2, 3))
    # an operand of more dimensions than the item, even of leading axes of length 1
    # (which an assignment y[0] = v drops): NumPy raises
    for e in (rng.normal(size=(2, 3)), rng.normal(size=(1, 3))):
        in_python(item_updated, x, e)
        with pytest.raises(TransformError) as info:
            ad.grad(item_updated)(x, e)
        assert place(item_updated, "x[0] += e") in str(info.value)
    # an item with an axis of length 1: when the code runs
    with pytest.raises(ValueError, match="non-broadcastable") as info:
        ad.grad(sliced_item_updated)(x, rng.normal(size=(2, 3)))
    assert place(sliced_item_updated, "x[:1] *= e") in str(info.value)
    assert_grad(sliced_item_updated, x, rng.normal(size=(1, 3)), wrt=(0, 1))
    assert_grad(item_updated, x, rng.normal(size=3), wrt=(0, 1))
    assert_grad(item_updated, x, 0.5, wrt=(0, 1))


def test_a_value_with_leading_axes_of_length_1_written_into_an_item():
    # NumPy drops them (y[1] = v with v of shape (1, 3)): the gradient of v has v's shape,
    # and x's counts each entry of the row once
    x, v = rng.normal(size=(2, 3)), rng.normal(size=(1, 3))
    for wrt in (0, 1):
        g = ad.grad(item_written, wrt=wrt)(x, v)
        assert np.shape(g) == np.shape((x, v)[wrt])
        assert_close(g, numerical_grad(item_written, (x, v), wrt))


def test_numba_checks_the_shape_when_the_code_runs():
    pytest.importorskip("numba")
    g = ad.grad(grown, backend="numba")
    with pytest.raises(ValueError, match="non-broadcastable output operand"):
        g(rng.normal(size=(1, 3)), rng.normal(size=(2, 3)))
    u, e = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    assert_close(g(u, e), numerical_grad(grown, (u, e), 0))


# -- a 0-d array stays an array: s + e is a NumPy scalar, s += e changes the array in place

def zero_d_accumulator_written(x):
    s = np.zeros(())
    for v in x:
        s *= 0.5
        s += v ** 2
    s[...] = s * 2      # (into the array: the generated code's s + e had made a scalar)
    return s * x[0]


def zero_d_shared_then_updated(x):
    s = np.zeros(())
    s += x[0]
    t = s               # (the same array: t sees the next update)
    s += x[1] ** 2
    return t * 1.0


def zero_d_item_shared_then_updated(x):
    d = {"s": np.zeros(())}
    d["s"] += x[0]
    t = d["s"]
    d["s"] += x[1] ** 2
    return t * 1.0


def zero_d_appended_then_updated(x):
    s = np.zeros(())
    s += x[0]
    ys = [s]
    s += x[1] ** 2
    return ys[0] * 1.0


def test_a_0d_array_updated_in_place_is_written_into():
    """Probe 13: ``s[...] = ...`` after ``s += e`` on a 0-d array failed inside the generated
    code (TypeError: 'numpy.float64' object does not support item assignment)."""
    x = rng.normal(size=3)
    assert_grad(zero_d_accumulator_written, x)
    assert_hessian(zero_d_accumulator_written, x)


def test_a_0d_array_shared_and_updated_is_refused_when_the_code_runs():
    """Probe 13: ``t = s`` then ``s += e`` on a 0-d array already updated (so a NumPy scalar
    in the generated code) gave t the value before the update: a wrong gradient ([1, 0] for
    [1, 2 x1]). The update's value is an array again, and the check that t shares it
    refuses at the user's line; so for a 0-d array in a dict or appended to a list."""
    x = rng.normal(size=2)
    for f, text in [(zero_d_shared_then_updated, "s += x[1] ** 2"),
                    (zero_d_item_shared_then_updated, 'd["s"] += x[1] ** 2'),
                    (zero_d_appended_then_updated, "s += x[1] ** 2")]:
        with pytest.raises(TypeError, match="share its memory|hold the same array") as info:
            ad.grad(f)(x)
        assert place(f, text) in str(info.value)


def item_of_a_list_updated_then_dropped(x, h):
    hs = [np.sin(x), h]
    ls = [x * 2.0, h]
    ls[1] *= hs[0]      # (ls is read no more: only the check of the update stays)
    return np.sum(hs[0] * x)


def test_the_check_of_an_update_whose_value_is_read_no_more_stays_with_its_operands():
    # (the check x_2 = require_update_shape(x_2, ...) was fused away as a dead temporary,
    # leaving the read of hs[0] nothing used; and its stage failed to print)
    x, h = rng.normal(size=3), rng.normal(size=3)
    code = ad.show(item_of_a_list_updated_then_dropped)   # (general code: h of any kind)
    assert "require_update_shape(" in code, code
    for stage in ("guard_update_shapes", "fuse_temporaries"):
        assert "require_update_shape(" in ad.show(item_of_a_list_updated_then_dropped,
                                                  stage=stage)
    assert_grad(item_of_a_list_updated_then_dropped, x, h)
