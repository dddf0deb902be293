"""The pipeline's passes, one at a time: golden text after every pass, and the doc.

For each function of golden_functions.py, the code after every pass (as
``ad.show(f, stage=...)`` prints it) is compared exactly with a file in
tests/golden/:

- ``<name>.<stage>.txt``: the gradient ("grad" form) specialised to the example
  arguments, after each stage of ``pipeline.stages("grad")``;
- ``<name>.final.txt``: the generated function a call with those arguments runs;
- ``<name>.jvp.tangents.txt``, ``<name>.jvp.final.txt``: forward mode;
- ``<name>.grad2.<stage>.txt``, ``<name>.grad2.final.txt``: the gradient code that
  adcompile differentiates again (general, not specialised), after each pass that
  is particular to it.

After an intended change to a pass, rewrite the files and review the diff:

    ADCOMPILE_UPDATE_GOLDEN=1 python -m pytest -q tests/test_pipeline.py
    git diff tests/golden docs/architecture.md

The same variable rewrites the generated blocks of docs/architecture.md.
The golden code is only worth pinning if it is right: each function's gradient
(reverse, forward and the differentiable variant) is checked against finite
differences here too.
"""

import copy
import difflib
import functools
import os
import re
from pathlib import Path

import numpy as np
import pytest

import adcompile as ad
from adcompile import pipeline
from adcompile.compiler import Transform
from adcompile.dispatch import ndims
from adcompile.dump import dump

from conftest import assert_close, assert_grad, numerical_grad
from golden_functions import CASES
from test_lists_across_iterations import rolling_rows

GOLDEN = Path(__file__).parent / "golden"
DOC = Path(__file__).parent.parent / "docs" / "architecture.md"
UPDATE = os.environ.get("ADCOMPILE_UPDATE_GOLDEN") == "1"
HOW_TO_UPDATE = ("if the change is intended, rewrite the golden files with\n"
                 "    ADCOMPILE_UPDATE_GOLDEN=1 python -m pytest -q tests/test_pipeline.py\n"
                 "and review `git diff tests/golden docs/architecture.md` before committing")


def _unique(names):
    """``names`` without repeats, in order ("renumber" runs twice: ``ad.show`` stops after
    the first, and the final code shows what the second left)."""
    return list(dict.fromkeys(names))


GRAD_STAGES = _unique(pipeline.stages("grad"))
JVP_ONLY = [s for s in pipeline.stages("jvp") if s not in GRAD_STAGES]
#: the stages of the differentiable form after those it shares with every form
GRAD2_ONLY = pipeline.stages("grad2")[pipeline.stages("grad2").index("reverse"):]


@functools.lru_cache(maxsize=None)
def golden_texts(name):
    """File name -> text, for every golden file of function ``name``."""
    f, args, wrt = CASES[name]
    texts = {}
    for stage in GRAD_STAGES:
        texts[f"{name}.{stage}.txt"] = ad.show(f, wrt=wrt, args=args, stage=stage)
    texts[f"{name}.final.txt"] = ad.show(f, wrt=wrt, args=args)
    for stage in JVP_ONLY:
        texts[f"{name}.jvp.{stage}.txt"] = ad.show(f, wrt=wrt, args=args, mode="forward",
                                                   stage=stage)
    texts[f"{name}.jvp.final.txt"] = ad.show(f, wrt=wrt, args=args, mode="forward")
    transform = Transform(f, wrt)   # (the differentiable form: general code, key ())
    for stage in GRAD2_ONLY:
        texts[f"{name}.grad2.{stage}.txt"] = transform.stage((), "grad2", stage)
    texts[f"{name}.grad2.final.txt"] = transform.generate((), "grad2")[0]
    return {file: text.rstrip("\n") + "\n" for file, text in texts.items()}


def _files():
    return [(name, file) for name in CASES for file in golden_texts(name)]


def _diff(expected, actual, what):
    return "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                        f"{what} (golden)", f"{what} (now)"))


@pytest.mark.parametrize("name,file", _files(), ids=[file for _, file in _files()])
def test_golden(name, file):
    actual = golden_texts(name)[file]
    path = GOLDEN / file
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        if not path.exists() or path.read_text() != actual:
            path.write_text(actual)
        return
    assert path.exists(), f"no golden file tests/golden/{file}; {HOW_TO_UPDATE}"
    expected = path.read_text()
    assert actual == expected, (f"the code after a pass changed: tests/golden/{file}\n"
                                f"{_diff(expected, actual, file)}\n{HOW_TO_UPDATE}")


def test_no_stale_golden_files():
    """Every file in tests/golden/ is one the tests compare (a renamed stage or function
    leaves none behind)."""
    made = {file for _, file in _files()}
    stale = sorted(p.name for p in GOLDEN.glob("*.txt") if p.name not in made)
    if UPDATE:
        for file in stale:
            (GOLDEN / file).unlink()
        return
    assert not stale, f"golden files no test compares: {stale}; {HOW_TO_UPDATE}"


# -- the golden code is right -----------------------------------------------------------


@pytest.mark.parametrize("name", list(CASES))
def test_golden_function_gradients(name):
    """Reverse mode, forward mode (assert_grad runs both) against finite differences."""
    f, args, wrt = CASES[name]
    assert_grad(f, *args, wrt=wrt)


@pytest.mark.parametrize("name", list(CASES))
def test_golden_differentiable_form(name):
    """The grad2 code pinned above (the form adcompile differentiates again) computes the
    same gradient as finite differences."""
    f, args, wrt = CASES[name]
    transform = Transform(f, wrt)
    grads = transform.compiled((), "grad2")(*args)
    grads = grads if isinstance(wrt, tuple) else (grads,)
    names = list(wrt) if isinstance(wrt, tuple) else [wrt]
    params = transform.source.positional_params
    for param, g in zip(names, grads):
        expected = numerical_grad(f, args, params.index(param))
        assert_close(g, expected, what=f"grad2 d{name}/d{param}")


def test_second_derivative_through_the_golden_code():
    """The differentiable code of a loop with a branch, differentiated again."""
    f, (x, n), _ = CASES["clipped"]
    second = ad.grad(ad.grad(f))(x, n)
    expected = numerical_grad(lambda x, n: ad.grad(f)(x, n), (x, n), 0, eps=1e-5)
    assert_close(second, expected, rtol=1e-4, atol=1e-5, what="d2 clipped / dx2")


# -- passes do not change their input ---------------------------------------------------


@pytest.mark.parametrize("form", ["grad", "grad2"])
@pytest.mark.parametrize("name", list(CASES))
def test_each_pass_leaves_its_input_as_it_was(name, form):
    """Every pass after the reverse pass returns new code: what it was given (statements,
    tape, names) reads the same afterwards."""
    f, args, wrt = CASES[name]
    transform = Transform(f, wrt)
    key = ndims(args) if form == "grad" else ()
    target = transform.target(key, form, transform.aliases)
    fn = transform.normal
    for step in pipeline.IR_PASSES:
        fn = step(fn, target)
    code = pipeline.reverse_pass(fn, target)
    for step in pipeline.sweep_passes(target.in_place):
        saves = {key: list(names) for key, names in code.tape.saves.items()}
        before = (dump(code), saves, set(code.context.namer.taken))
        new = step(code)
        after = (dump(code), code.tape.saves, code.context.namer.taken)
        assert after == before, f"{step.__name__} changed its input"
        code = new


def _fingerprint(fn):
    """What later passes could change in a normalized function, as comparable values."""
    namer = fn.namer
    return (dump(fn), sorted(fn.active), dict(fn.ndims), dict(fn.origin),
            [(r.old, r.new) for r in fn.rebindings],
            sorted(namer.taken), sorted(namer.temps), dict(namer.bar_of), sorted(namer.made),
            dict(namer._counters))


@pytest.mark.parametrize("name", list(CASES))
def test_pipeline_leaves_the_normalized_ir_unchanged(name):
    """Generating every form and specialisation, and every stage of them, leaves
    ``Transform.normal`` as normalize made it, and the code of a form does not depend on
    what was generated before it."""
    f, args, wrt = CASES[name]
    transform = Transform(f, wrt)
    before = copy.deepcopy(_fingerprint(transform.normal))
    first_grad = transform.generate(ndims(args), "grad")[0]
    keys = [(), ndims(args)]
    for key in keys:
        for form in ("vjp", "grad", "jvp", "grad2"):
            transform.generate(key, form)
            for stage in pipeline.stages(form):
                transform.stage(key, form, stage)
    assert _fingerprint(transform.normal) == before
    # a fresh transform, after all that, gives the code the first one gave
    again = Transform(f, wrt)
    for key in keys:
        for form in ("vjp", "grad", "jvp", "grad2"):
            assert again.generate(key, form)[0] == transform.generate(key, form)[0]
    assert again.generate(ndims(args), "grad")[0] == first_grad
    # and the same stage asked twice prints the same text
    for stage in pipeline.stages("grad"):
        assert transform.stage(ndims(args), "grad", stage) == \
            transform.stage(ndims(args), "grad", stage)


# -- ad.show(stage=...) -----------------------------------------------------------------


@pytest.mark.parametrize("mode,form", [("reverse", "grad"), ("forward", "jvp")])
def test_every_stage_name_is_accepted(mode, form):
    f, args, wrt = CASES["recurrence"]
    for stage in pipeline.stages(form):
        text = ad.show(f, wrt=wrt, args=args, mode=mode, stage=stage)
        assert isinstance(text, str) and text.strip()
    for stage in pipeline.stages("grad2"):   # (grad2 is not a mode of ad.show)
        assert Transform(f, wrt).stage((), "grad2", stage).strip()


@pytest.mark.parametrize("mode,form,bad", [("reverse", "grad", "no_such_pass"),
                                           ("reverse", "grad", "tangents"),
                                           ("forward", "jvp", "reverse")])
def test_an_unknown_stage_is_refused_with_the_names_of_the_stages(mode, form, bad):
    f, args, wrt = CASES["cubic"]
    with pytest.raises(ValueError) as error:
        ad.show(f, wrt=wrt, args=args, mode=mode, stage=bad)
    message = str(error.value)
    assert repr(bad) in message
    for stage in pipeline.stages(form):
        assert stage in message


def test_stages_are_listed_in_order():
    assert pipeline.stages("grad")[:9] == ["desugar", "normalize", "guard_rebindings",
                                           "private_copies", "guard_complex",
                                           "guard_integer_writes", "guard_update_shapes",
                                           "drop_array_checks", "reverse"]
    assert pipeline.stages("jvp")[-2:] == ["tangents", "renumber_tangents"]
    # the differentiable form runs fewer of the same passes, and its own two: the check
    # before the reverse pass and the choice of forms after it (forms.py)
    own = {"check_second_order", "keep_differentiable"}
    assert set(pipeline.stages("grad2")) - own < set(pipeline.stages("grad"))
    assert own < set(pipeline.stages("grad2")) and not own & set(pipeline.stages("grad"))
    assert pipeline.stages("grad")[pipeline.stages("grad").index("reverse") + 1] == \
        "update_lists_in_place"


def squares_then_swapped(x, ws):
    ys = [np.tanh(w * x) for w in ws]
    t = sum(map(lambda v: v ** 2, ys))
    y = x * 1.0
    y[0], y[1] = y[1], y[0]
    if t[0] > 0:
        return np.sum(t * y)
    return np.sum(t)


def test_the_desugar_stage_shows_the_syntax_passes_as_python():
    args = (np.array([0.3, -0.4, 0.9]), [0.5, 1.5])
    text = ad.show(squares_then_swapped, args=args, stage="desugar")
    assert text == """\
def <lambda:1>(v):
    return v ** 2

def squares_then_swapped(x, ws):
    ys = []
    for w in ws:
        ys.append(np.tanh(w * x))
    items = []
    for item in ys:
        items.append(<lambda:1>(item))
    t = sum(items)
    y = x * 1.0
    _value1 = y[1]
    _value2 = y[0]
    y = $with_item(y, 0, _value1)
    y = $with_item(y, 1, _value2)
    if t[0] > 0:
        result = np.sum(t * y)
    else:
        result = np.sum(t)
    return result
"""
    assert_grad(squares_then_swapped, *args)


# -- docs/architecture.md ---------------------------------------------------------------

# In the doc, a block the tests check follows a marker line
#     <!-- generated: <function> <stage> -->
# where <stage> is a stage name, "final" (the generated function) or "source" (the
# function as golden_functions.py has it); the block is the next ``` fence.
_MARKER = re.compile(r"<!-- generated: (\w+) (\w+) -->\n+```\w*\n(.*?)```", re.S)


def _doc_text(name, stage):
    if stage == "source":
        import inspect
        return inspect.getsource(CASES[name][0])
    return golden_texts(name)[f"{name}.{stage}.txt"]


def test_architecture_doc_shows_what_the_passes_print():
    text = DOC.read_text()
    blocks = list(_MARKER.finditer(text))
    assert len(blocks) >= 6, "docs/architecture.md has lost its generated examples"
    stale = []
    for m in blocks:
        name, stage, shown = m.group(1), m.group(2), m.group(3)
        actual = _doc_text(name, stage).rstrip("\n") + "\n"
        if shown != actual:
            stale.append((m, actual))
    if UPDATE and stale:
        for m, actual in reversed(stale):
            start, end = m.span(3)
            text = text[:start] + actual + text[end:]
        DOC.write_text(text)
        return
    assert not stale, "docs/architecture.md shows stale code:\n" + "\n".join(
        _diff(m.group(3), actual, f"{m.group(1)} after {m.group(2)}") for m, actual in stale) \
        + "\n" + HOW_TO_UPDATE


# -- the two forms of adjoint lists (ad/forms.py) ---------------------------------------


def test_the_reverse_pass_writes_adjoint_lists_in_one_form_that_a_pass_lowers():
    f, args, wrt = CASES["halving"]
    differentiable = "steps_bar = []\nfor item in steps:\n    steps_bar.append(zeros_like(item))"
    comprehension = "steps_bar = [zeros_like(item) for item in steps]"
    reverse = ad.show(f, wrt=wrt, args=args, stage="reverse")
    assert differentiable in reverse and comprehension not in reverse
    lowered = ad.show(f, wrt=wrt, args=args, stage="update_lists_in_place")
    assert comprehension in lowered and "steps_bar.append" not in lowered
    grad2 = Transform(f, wrt)
    assert grad2.stage((), "grad2", "reverse") == grad2.stage((), "grad2", "keep_differentiable")
    assert "steps_bar.append(zeros_like(item))" in grad2.stage((), "grad2", "keep_differentiable")


def test_a_step_with_only_an_in_place_form_is_refused_in_the_differentiable_form():
    import ast
    from adcompile.ad import forms
    nested = forms.in_place_only(ast.parse("add_nested_pieces(d, rows, rows_bar, p)").body[0],
                                 "no differentiable form")
    alternative = ast.parse("xs_bar = add_pieces(xs_bar, p)").body[0]
    by_item = forms.offer(ast.parse("for k in p:\n    xs_bar[k] += p[k]").body[0], [alternative])
    loop = ast.parse("for i in range(3):\n    pass").body[0]
    loop.body = [by_item, nested]
    lowered = forms.lower_in_place([loop])
    assert ast.unparse(lowered[0]) == ("for i in range(3):\n    xs_bar = add_pieces(xs_bar, p)"
                                       "\n    add_nested_pieces(d, rows, rows_bar, p)")
    loop.body = [by_item, nested]
    with pytest.raises(ad.TransformError, match="no differentiable form"):
        forms.keep_differentiable([loop], None)


def test_the_second_order_check_runs_before_the_reverse_pass():
    transform = Transform(rolling_rows, 0)
    assert "prev_bar = adjoint_list(list_bars, prev)" in transform.stage((), "grad", "reverse")
    assert transform.stage((), "grad2", "guard_complex")
    with pytest.raises(ad.TransformError, match="second order.*a loop passes") as info:
        transform.stage((), "grad2", "check_second_order")
    assert "prev = [x, 2.0 * x]" in str(info.value)


# -- one propagation engine for both dependence analyses (ir/flows.py) -------------------


def test_the_closure_reaches_the_same_fixed_point_in_any_order():
    from adcompile import ir
    flows = [(("c",), ("b",)), (("b",), ("a",)), (("d", "e"), lambda found: "c" in found),
             (("f",), ("z",)), (("a",), ())]
    for order in (flows, flows[::-1]):
        assert ir.closure({"a"}, list(order)) == {"a", "b", "c", "d", "e"}
    found = {"z"}
    assert ir.closure(found, flows) is found and found == {"z", "f"}


def carried_back(x):
    a = 1.0
    b = 1.0
    for i in range(3):
        a = b * 2.0       # varies only through the b of the iteration before
        b = x + 1.0
        unused = np.sin(x)
    return a


def test_activity_is_varied_and_useful_through_loops():
    from adcompile.analysis.activity import activity
    transform = Transform(carried_back, 0)
    active = activity(transform.normal)
    assert {"x", "a", "b"} <= {n.split("_")[0] for n in active}
    assert not any(n.startswith("unused") for n in active)   # varied, but not useful
    assert ad.grad(carried_back)(0.5) == pytest.approx(2.0)
    assert_grad(carried_back, 0.5)


def recurrent(W, h):
    for i in range(4):
        h = np.tanh(W @ h)
    return np.sum(h)


def test_outer_products_of_a_loop_have_two_forms():
    rng = np.random.default_rng(0)
    W, h = rng.standard_normal((3, 3)), rng.standard_normal(3)
    transform = Transform(recurrent, (0, 1))
    key = ndims((W, h))
    first = transform.stage(key, "grad", "lower_tape")   # (loop_fission then batches them)
    assert "W_outers.append((" in first and "W_bar += outer_sum(W_outers)" in first
    lowered = transform.stage(key, "grad", "update_lists_in_place")
    assert "W_outers.append((" in lowered and "np.outer(" not in lowered
    reverse = transform.stage(key, "grad", "reverse")
    assert "W_outers" not in reverse and "np.outer(" in reverse
    grad2 = transform.generate(key, "grad2")[0]
    assert "outer_sum" not in grad2 and "W_outers" not in grad2 and "np.outer(" in grad2
    expected = transform.compiled(key, "grad")(W, h)
    for got, want in zip(transform.compiled(key, "grad2")(W, h), expected):
        assert_close(got, want, what="grad2 of recurrent")
    assert_grad(recurrent, W, h, wrt=(0, 1))


def shifted(x, n):
    y = np.sin(x)
    for i in range(n):
        y = y + x[1:].sum() * x
    return np.sum(y * y)


def two_loops(x, n):
    s = 0.0
    for i in range(n):
        s = s + np.sin(x[1:]).sum()
    for i in range(n):
        s = s * 0.5 + x[0]
    return s


@pytest.mark.parametrize("f", [shifted, two_loops, recurrent] + [CASES[n][0] for n in CASES],
                         ids=lambda f: f.__name__)
def test_the_reverse_pass_writes_the_same_code_for_every_reverse_form(f):
    # (the forms differ only in the passes after it: update_arrays_in_place, ...)
    transform = Transform(f, 0)
    for key in [(), ((1, True), 0), ((2, True), (1, True))]:
        if key and len(key) != len(transform.positional):
            continue
        texts = {form: transform.stage(key, form, "reverse") for form in ("grad", "vjp", "grad2")}
        assert texts["grad"] == texts["grad2"], f"{f.__name__} {key}"
        # (the vjp returns the value too: its "# returns" line names it first)
        sweeps = {form: text.rsplit("# returns", 1)[0] for form, text in texts.items()}
        assert sweeps["vjp"] == sweeps["grad2"], f"{f.__name__} {key}"


def test_adjoint_arrays_are_updated_in_place_by_a_pass_after_the_reverse_pass():
    transform, key = Transform(shifted, 0), ((1, True), 0)
    before = transform.stage(key, "grad", "update_lists_in_place")
    assert "x_bar = x_bar + t3_bar * t2 + getitem_bar(t1_bar, x, slice(1, None))" in before
    assert "+=" not in before
    after = transform.stage(key, "grad", "update_arrays_in_place")
    assert "x_bar[1:] += t1_bar\n    x_bar += t3_bar * t2" in after
    assert "getitem_bar" not in after
    assert "+=" not in transform.generate((), "grad2")[0]
    x = np.linspace(0.1, 0.9, 4)
    assert_grad(shifted, x, 3)


def test_the_in_place_form_of_adjoint_arrays_has_names_of_its_own():
    # the differentiable form adds into a new array (x_bar_2) and converts the gradient it
    # hands back (x_bar_3); the in-place form goes on with x_bar, which is its own
    transform, key = Transform(two_loops, 0), ((1, True), 0)
    before = transform.stage(key, "grad", "update_lists_in_place")
    assert "x_bar_2 = zeros_like(x) + x_bar" in before
    assert "x_bar_3 = as_gradient(x_bar_2, x)\n# returns x_bar_3" in before
    after = transform.stage(key, "grad", "update_arrays_in_place")
    assert "x_bar_2" not in after and "as_gradient" not in after
    assert "x_bar[0] += s_bar" in after and "x_bar[1:] += t1_bar\n# returns x_bar" in after
    # later passes hand out names from the in-place form's namer: x_bar_2 is free there
    from adcompile.ad import sweeps
    code = pipeline.reverse_pass(transform.normal, transform.target(key, "grad",
                                                                    transform.aliases))
    assert code.context.namer.fresh("x_bar") == "x_bar_4"
    code = sweeps.update_arrays_in_place(sweeps.update_lists_in_place(code))
    assert code.context.namer.fresh("x_bar") == "x_bar_2"
    grad2 = transform.generate(key, "grad2")[0]
    assert "x_bar_2 = zeros_like(x) + x_bar" in grad2 and "return x_bar_3" in grad2
    x = np.linspace(0.1, 0.9, 4)
    assert_grad(two_loops, x, 3)
    assert_close(transform.compiled(key, "grad2")(x, 3), ad.grad(two_loops)(x, 3),
                 what="grad2 of two_loops")
