"""Arguments the function changes in place, shared with another name the function reads.

The gradient's code never writes into its caller's objects: it changes a private copy
of an argument the function changes in place (pipeline.private_copies). Where another
argument, or a module-level value the function reads by its name, is that object (or
holds it, or a view of it), Python's change shows through that name and the copy's does
not: these gave silently wrong gradients (the values of the unchanged object). Such a
call now raises a TypeError naming the function (runtime.require_unshared); the same
functions called with separate objects are differentiated, checked against central
differences, and the caller's objects are left as they were.
"""

import functools
import sys

import numpy as np
import pytest
from conftest import assert_close, numerical_grad

import adcompile as ad
from tests.samples import grid_state
from tests.samples.grid_state import HOLDER, LAYERS, LEVELS, MODELS, REVERSED, TABLE

W = np.array([1.0, -0.5])
BUFFER = np.array([1.0, 2.0])
CONFIG = {"act": "tanh"}
ACTIVATIONS = {"tanh": np.tanh, "sin": np.sin}
SHARED = "shares an array or object with it"


def scaled_by_the_other(w, a, b):
    a[0] = 5.0   # (b too, where the caller passed one array twice)
    return np.sum(w * b)


def scaled_by_a_global(w, buffer=BUFFER):
    buffer[0] = 5.0
    return np.sum(w * BUFFER)


def counted_in_a_dict(w, stats, totals):
    stats["scale"] = 3.0
    return np.sum(w * totals["scale"])


def item_of_a_dict(w, held, x):
    held["x"][0] = 5.0   # (the array x, where held is {"x": x})
    return np.sum(w * x)


def changes_the_differentiated_value(w, a):
    a[0] = 5.0
    return np.sum(w ** 2)


def settings_changed_through_a_default(x, cfg=CONFIG):
    cfg["act"] = "sin"
    return np.sum(ACTIVATIONS[CONFIG["act"]](x))


def unrelated_global(w, out):
    out[:] = w * 2.0   # (a buffer of its own, filled)
    return np.sum(out * BUFFER) + np.sum(w ** 2)


def _separate(f, *args):
    """The gradient of ``f`` at ``args`` (separate objects), checked against differences."""
    got = ad.grad(f)(*args)
    assert_close(got, numerical_grad(f, args, 0))
    return got


@pytest.mark.parametrize("f, shared, separate", [
    (scaled_by_the_other, lambda: (W, BUFFER, BUFFER),
     lambda: (W, BUFFER.copy(), BUFFER.copy())),
    (scaled_by_the_other, lambda: (W, BUFFER, BUFFER[:]),   # (a view of it)
     lambda: (W, BUFFER.copy(), BUFFER.copy())),
    (scaled_by_a_global, lambda: (W,), lambda: (W, BUFFER.copy())),
    (counted_in_a_dict, lambda: (W, CONFIG, CONFIG), lambda: (W, {"scale": 1.0},
                                                              {"scale": 2.0})),
    (item_of_a_dict, lambda: (W, {"x": BUFFER}, BUFFER),
     lambda: (W, {"x": BUFFER.copy()}, BUFFER.copy())),
    (changes_the_differentiated_value, lambda: (W, W), lambda: (W, W.copy())),
    (settings_changed_through_a_default, lambda: (W,), lambda: (W, {"act": "tanh"})),
], ids=["one-array-twice", "a-view", "a-default-read-by-name", "one-dict-twice",
        "held-by-another", "the-differentiated-array", "settings-through-a-default"])
def test_a_changed_argument_shared_with_another_name_is_refused(f, shared, separate):
    before = (BUFFER.copy(), dict(CONFIG))
    with pytest.raises(TypeError, match=SHARED) as caught:
        ad.grad(f)(*shared())
    assert str(caught.value).startswith(f"{__file__}:"), caught.value   # (the function's def)
    assert f"{f.__name__}() changes" in str(caught.value)
    _separate(f, *separate())
    assert np.array_equal(BUFFER, before[0]) and CONFIG == before[1]   # (nothing written)


def test_separate_objects_give_pythons_gradient():
    # (the values Python's function computes with: the unchanged other argument)
    assert_close(ad.grad(scaled_by_the_other)(W, BUFFER.copy(), BUFFER.copy()), BUFFER)
    assert_close(ad.grad(settings_changed_through_a_default)(W, {"act": "tanh"}),
                 1.0 - np.tanh(W) ** 2)   # (CONFIG["act"] is still "tanh")


def test_a_buffer_of_its_own_beside_a_global_is_differentiated():
    got = _separate(unrelated_global, W, np.zeros(2))
    assert_close(got, 2.0 * BUFFER + 2.0 * W)


def test_the_built_module_checks_too(tmp_path):
    path = tmp_path / "built.py"
    ad.build(scaled_by_the_other, str(path), args=(W, BUFFER.copy(), BUFFER.copy()))
    namespace = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    grad = namespace["grad_scaled_by_the_other"]
    assert_close(grad(W, BUFFER.copy(), BUFFER.copy()), BUFFER)
    with pytest.raises(TypeError, match=SHARED):
        grad(W, BUFFER, BUFFER)


# ---------------------------------------------------------------------------
# module-level objects the function (or a helper it calls) changes in place
# ---------------------------------------------------------------------------

GRID = np.array([1.0, 2.0])
SAME_GRID = GRID   # (one array, two module-level names)
STEPS = {"count": 0}


def reset_grid():
    GRID[0] = 7.0


def counted():
    STEPS["count"] += 1


def resets_through_another_name(w):
    t = np.sum(w * GRID)
    SAME_GRID[0] = 7.0   # (GRID's array, read before)
    return t


def resets_in_a_helper(w):
    t = np.sum(w * GRID)
    reset_grid()   # (a helper that assigns into a global: not inlined, it reads no w)
    return t


def resets_in_a_loop_of_helpers(w):
    t = np.sum(w * GRID)
    for hook in [reset_grid]:
        hook()
    return t


def resets_what_an_argument_is(w, a):
    t = np.sum(w * a)
    reset_grid()   # (a, where the caller passed GRID)
    return t


def counts_its_calls(w, a):
    t = np.sum(w * a)
    counted()   # (a dict of its own: no array read)
    return t


class Smoother:
    """A model called like a function, holding the module-level grid."""

    def __init__(self):
        self.grid = GRID

    def __call__(self, v):
        return v * 2.0

    def reset(self):
        self.grid[0] = 7.0


SMOOTHER = Smoother()


def resets_through_a_models_method(w):
    t = np.sum(w * GRID)
    SMOOTHER.reset()   # (GRID's array, which the model holds)
    return t


def test_an_argument_that_is_a_global_the_function_changes_is_refused():
    before = GRID.copy()
    try:
        with pytest.raises(TypeError, match=SHARED):
            ad.grad(resets_what_an_argument_is)(W, GRID)
        got = _separate(resets_what_an_argument_is, W, GRID.copy())
        assert_close(got, before)   # (the array given, as it was: not GRID's)
    finally:
        GRID[:] = before


def test_a_helper_counting_in_a_global_dict_is_differentiated():
    before = STEPS["count"]
    got = _separate(counts_its_calls, W, BUFFER.copy())
    assert_close(got, BUFFER)
    assert STEPS["count"] > before   # (the helper ran, as in Python)


# -- through a module's attributes: the module's array itself ------------------------------

def changed_through_the_module(w):
    t = np.sum(w * LEVELS)
    grid_state.LEVELS[0] = 7.0
    return t


def read_through_the_module(w):
    t = np.sum(w * grid_state.LEVELS)
    LEVELS[0] = 7.0
    return t


def changed_through_sys_modules(w):
    t = np.sum(w * LEVELS)
    sys.modules["tests.samples.grid_state"].LEVELS[0] = 7.0
    return t


def updated_through_the_module(w):
    t = np.sum(w * LEVELS)
    grid_state.LEVELS += 1.0
    return t


def filled_through_an_object_of_the_module(w):
    t = np.sum(w * HOLDER.levels)
    grid_state.HOLDER.levels.fill(7.0)
    return t


# -- through what module-level containers hold: the objects themselves ----------------------

STATE = "tests.samples.grid_state"


def changed_through_a_lists_item(w):
    t = np.sum(w * LEVELS)
    LAYERS[0][0] = 7.0   # (LEVELS: the list holds the array itself)
    return t


def read_through_a_lists_item(w):
    t = np.sum(w * LAYERS[0])
    LEVELS[0] = 7.0
    return t


def changed_in_a_loop_over_a_list(w):
    t = np.sum(w * LEVELS)
    for layer in LAYERS:
        layer[0] = 7.0
    return t


def changed_in_a_loop_over_a_dicts_values(w):
    t = np.sum(w * LEVELS)
    for levels in TABLE.values():
        levels.fill(7.0)
    return t


def changed_in_a_loop_over_objects(w):
    t = np.sum(w * LEVELS)
    for model in MODELS:
        model.levels[0] = 7.0
    return t


def read_through_a_view(w):
    t = np.sum(w * REVERSED)
    LEVELS[0] = 7.0   # (REVERSED is a view of LEVELS)
    return t


def changed_through_a_computed_module_name(w):
    t = np.sum(w * LEVELS)
    sys.modules[STATE].LEVELS[0] = 7.0
    return t


class Slotted:
    """An object whose attributes are slots (no __dict__)."""

    __slots__ = ("levels",)

    def __init__(self, levels):
        self.levels = levels


SLOTTED = Slotted(LEVELS)


def changed_through_a_slot(w):
    t = np.sum(w * LEVELS)
    SLOTTED.levels[0] = 7.0   # (LEVELS, which the slot holds)
    return t


@pytest.mark.parametrize("f", [changed_through_the_module, read_through_the_module,
                               changed_through_sys_modules, updated_through_the_module,
                               filled_through_an_object_of_the_module,
                               changed_through_a_lists_item, read_through_a_lists_item,
                               changed_in_a_loop_over_a_list,
                               changed_in_a_loop_over_a_dicts_values,
                               changed_in_a_loop_over_objects, read_through_a_view,
                               changed_through_a_computed_module_name,
                               changed_through_a_slot])
def test_a_modules_array_changed_after_a_read_by_another_path_is_refused(f):
    # (a module's attribute was taken for a new object at each read, and what a module-level
    # list, dict or object held, or a view, for an object of its own: the gradient read the
    # changed values, [7, 2] or [2, 3] where Python's is [1, 2])
    try:
        with pytest.raises(ad.TransformError, match="may change in place"):
            ad.grad(f)(W)
        assert np.array_equal(LEVELS, [1.0, 2.0])   # (refused before running)
    finally:
        LEVELS[:] = [1.0, 2.0]
        LAYERS[1][:] = [3.0, 4.0]


def reads_a_layer_and_changes_its_argument(w, buf):
    t = np.sum(w * LAYERS[1])
    buf[0] = 7.0   # (a private copy of the caller's array: not LAYERS[1])
    return t + np.sum(buf)


def test_reading_a_module_level_list_and_changing_an_argument_is_differentiated():
    buf = BUFFER.copy()
    got = ad.grad(reads_a_layer_and_changes_its_argument)(W, buf)
    assert_close(got, numerical_grad(reads_a_layer_and_changes_its_argument,
                                     (W, BUFFER.copy()), 0))
    assert np.array_equal(buf, BUFFER) and np.array_equal(LAYERS[1], [3.0, 4.0])


# -- methods of the user's module-level objects and partials: what they change, known -------

class Counter:
    """Counts calls: changes a number it holds (it holds no array)."""

    def __init__(self):
        self.calls = 0

    def tick(self, by=1):
        self.calls += by

    def reset(self, v):
        GRID[0] = v


COUNTER = Counter()


def fill_first(a, v):
    a[0] = v


def noted(message, level=0):
    return (message, level)


NOTE = functools.partial(noted, level=1)
RESET_GRID = functools.partial(fill_first, GRID)


def counts_in_a_method(w):
    t = np.sum(w * GRID)
    COUNTER.tick()
    return t


def notes_through_a_partial(w):
    t = np.sum(w * GRID)
    NOTE("step")
    return t


def resets_in_a_method(w):
    t = np.sum(w * GRID)
    COUNTER.reset(7.0)   # (GRID, by its module-level name)
    return t


def resets_through_a_partial(w):
    t = np.sum(w * GRID)
    RESET_GRID(7.0)   # (GRID, which the partial holds)
    return t


def test_a_method_or_partial_changing_no_array_read_is_differentiated():
    before = COUNTER.calls
    for f in (counts_in_a_method, notes_through_a_partial):
        assert_close(ad.grad(f)(W), GRID)
    assert COUNTER.calls == before + 1   # (the method ran, as in Python)


class Recorder:
    """Keeps what it is shown in a list it holds: a method appending to its receiver's list."""

    def __init__(self):
        self.seen = []

    def record(self, v):
        self.seen.append(v)
        return v

    def record_shape(self, x):
        self.record(np.shape(x))   # (another of its methods)


RECORDER = Recorder()


def records_in_a_method(w):
    t = np.sum(w * GRID)
    RECORDER.record(len(w))
    RECORDER.record_shape(np.ones(3))
    return t + RECORDER.record(2.0) * np.sum(w ** 2)


def test_a_method_appending_to_its_receiver_s_list_is_differentiated():
    # (what it changes is known: the list it holds, which holds no array the gradient
    # reads; it was unknown, so any change anywhere, and GRID read before was refused)
    before = len(RECORDER.seen)
    got = ad.grad(records_in_a_method)(W)
    assert_close(got, numerical_grad(records_in_a_method, (W,), 0))
    assert len(RECORDER.seen) > before   # (the method ran, as in Python)


BOX = [None]
KEPT = []


def keep(store, v):
    store[0] = v


def remember(v):
    KEPT.append(v)


def stored_by_a_helper_then_changed(w):
    c = np.ones(2) * 2.0
    keep(BOX, c)   # (BOX[0] is c from here on)
    t = np.sum(w * c)
    BOX[0][0] = 5.0   # changes c, which the gradient read
    return t


def stored_in_a_given_list_then_changed(w, box):
    c = np.ones(2) * 2.0
    keep(box, c)
    t = np.sum(w * c)
    box[0][0] = 5.0
    return t


def appended_by_a_helper_then_changed(w):
    c = np.ones(2) * 2.0
    remember(c)
    t = np.sum(w * c)
    KEPT[-1][0] = 5.0
    return t


def appended_by_a_method_then_changed(w):
    c = np.ones(2) * 2.0
    RECORDER.record(c)
    t = np.sum(w * c)
    RECORDER.seen[-1][0] = 5.0
    return t


@pytest.mark.parametrize("f, args", [
    (stored_by_a_helper_then_changed, (W,)), (stored_in_a_given_list_then_changed, (W, [None])),
    (appended_by_a_helper_then_changed, (W,)), (appended_by_a_method_then_changed, (W,))],
    ids=lambda v: getattr(v, "__name__", ""))
def test_an_array_a_call_stored_then_changed_through_the_container_is_refused(f, args):
    # (the points-to facts did not know that the container held the array: the gradient
    # was [5, 2], read after the change, where Python's is [2, 2])
    with pytest.raises(ad.TransformError, match="may change in place an array") as caught:
        ad.grad(f)(*args)
    assert "[0] = 5.0" in str(caught.value).splitlines()[0]


@pytest.mark.parametrize("f", [resets_through_another_name, resets_in_a_helper,
                               resets_in_a_loop_of_helpers, resets_through_a_models_method,
                               resets_in_a_method, resets_through_a_partial])
def test_a_global_changed_after_a_read_is_refused(f):
    # the gradient read the array after the whole forward sweep: the changed values (it
    # gave [7, 2] where Python's is [1, 2])
    with pytest.raises(ad.TransformError, match="may change in place") as caught:
        ad.grad(f)(W)
    assert f"{__file__}:" in str(caught.value).splitlines()[0]
    assert np.array_equal(GRID, [1.0, 2.0])   # (refused before running)
