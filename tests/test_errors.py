"""Errors, never a wrong gradient (SPEC.md).

Every construct adcompile cannot differentiate must be rejected by ``ad.grad``
with ``adcompile.TransformError`` (a ``ValueError``) whose message shows
``file:line:col``, the offending source line, and names the construct.

Each offending function lives at module level in this file (adcompile reads
source with ``inspect``). The line it must point at carries a marker comment
``# ERR:<tag>``; the expected line number is found by searching this file for
the marker, never hard-coded.
"""

import logging
import math
import re
import types
import warnings

import numpy as np
import pytest

import adcompile as ad
from conftest import assert_grad
from tests.generated_names import generated_names
from tests.samples import refusing_helpers

HERE = __file__
with open(HERE, encoding="utf-8") as _fh:
    LINES = _fh.read().splitlines()

MARK = "# ERR:"


def marker_line(tag):
    """The 1-based line number of the unique line ending with ``# ERR:<tag>``."""
    hits = [i for i, text in enumerate(LINES, 1) if text.rstrip().endswith(MARK + tag)]
    assert len(hits) == 1, f"marker {MARK + tag!r} found {len(hits)} times"
    return hits[0]


def code_of(lineno):
    """The code on a line of this file, without the marker comment."""
    return LINES[lineno - 1].split(MARK)[0].strip()


def expect_rejected(f, *alternatives, wrt=0, args=None):
    """``ad.grad(f, wrt)`` (called with ``args`` if given) must raise TransformError pointing
    at one of ``alternatives``.

    Each alternative is ``(tag, word_regex)``: the error must be at the line marked
    ``# ERR:<tag>``, quote that line, and its explanation (the message without the
    quoted line) must match ``word_regex`` (case-insensitive), and the message name no
    name adcompile made (generated_names.py).
    """
    assert issubclass(ad.TransformError, ValueError)
    with pytest.raises(ad.TransformError) as info:
        gradient = ad.grad(f, wrt=wrt)
        if args is not None:
            gradient(*args)
    exc = info.value
    assert isinstance(exc, ValueError)
    msg = str(exc)
    assert HERE in msg, f"message does not name the file {HERE}:\n{msg}"
    where = re.search(re.escape(HERE) + r":(\d+):(\d+)", msg)
    assert where, f"message has no {HERE}:LINE:COL:\n{msg}"
    lineno, col = int(where.group(1)), int(where.group(2))
    expected = {marker_line(tag): (tag, word) for tag, word in alternatives}
    assert lineno in expected, (
        f"error points at line {lineno}, expected one of {sorted(expected)}:\n{msg}")
    assert f":{lineno}:" in msg
    code = code_of(lineno)
    assert code in msg, f"message does not quote the source line {code!r}:\n{msg}"
    line_text = LINES[lineno - 1]
    assert 1 <= col <= len(line_text), f"column {col} outside line {line_text!r}"
    explanation = msg.replace(line_text.strip(), "").replace(code, "")
    word = expected[lineno][1]
    assert re.search(word, explanation, re.IGNORECASE), (
        f"explanation does not name the construct ({word!r}):\n{msg}")
    assert not generated_names(msg, f), f"message names what adcompile made:\n{msg}"
    return exc


# ---------------------------------------------------------------------------
# Always rejected: global, nonlocal, yield/await, class definitions
# ---------------------------------------------------------------------------

G = 3.0


def f_global(x):
    global G  # ERR:global
    G = 2.0
    return x * G


def test_global():
    expect_rejected(f_global, ("global", r"\bglobal\b"))


HISTORY = [0.0]


def f_assigns_into_a_global(x):
    HISTORY[0] = x * x  # ERR:into_global
    return x * HISTORY[0]


def test_assigning_into_a_global():
    exc = expect_rejected(f_assigns_into_a_global, ("into_global", r"outside the function"))
    assert "global or closure variable" in str(exc)


def make_nonlocal_closure():
    count = 0

    def f_nonlocal(x):
        nonlocal count  # ERR:nonlocal
        count = count + 1
        return x * x

    return f_nonlocal


def test_nonlocal_in_closure():
    expect_rejected(make_nonlocal_closure(), ("nonlocal", r"\bnonlocal\b"))


def f_yield(x):
    y = yield x * x  # ERR:yield
    return y


def test_yield():
    expect_rejected(f_yield, ("yield", r"\byield\b"))


def f_yield_from(x):
    y = yield from [x]  # ERR:yield_from
    return y


def test_yield_from():
    expect_rejected(f_yield_from, ("yield_from", r"\byield\b"))


async def f_async(x):  # ERR:async
    return x * x


def test_async_function():
    expect_rejected(f_async, ("async", r"\basync\b|\bawait\b"))


def f_class(x):
    class Box:  # ERR:class
        scale = 2.0
    return x * Box.scale


def test_class_definition():
    expect_rejected(f_class, ("class", r"\bclass\b"))


# ---------------------------------------------------------------------------
# Control flow that is rejected: range bounds that depend on the input, lists made
# inside loops, try, with. (if/for/while/break/continue, early returns and the else
# clauses of loops are differentiated: tests/test_control_flow.py.)
# ---------------------------------------------------------------------------

def f_active_range(x):
    s = 0.0
    for i in range(x):  # ERR:active_range
        s = s + i
    return s


def test_range_bound_depending_on_the_input():
    expect_rejected(f_active_range, ("active_range", r"range"))


def f_list_in_loop(x):
    s = 0.0
    for i in range(3):
        parts = [x, x * i]
        s = s + parts[1]
    return s


def f_list_out_of_loop(x):
    for i in range(3):  # ERR:list_out_of_loop
        parts = [x, x * i]
    return parts[1]


def test_list_of_active_values_made_inside_a_loop():
    # a list made in each iteration is differentiated (tests/test_items.py); one that is
    # read after the loop is refused (one read by constant indices is a structure: the loop
    # binds it to a new one in each iteration)
    assert_grad(f_list_in_loop, 0.7)
    expect_rejected(f_list_out_of_loop, ("list_out_of_loop", r"new structure .* each iteration"))


def f_sum_of_list(x, y):
    parts = [x, y]
    return np.sum(parts)   # NumPy stacks the list: differentiated (tests/test_lists.py)


def f_exp_of_list(x, y):
    parts = [x, y]
    return math.exp(parts)  # ERR:exp_of_list


def test_primitive_applied_to_a_whole_list():
    assert_grad(f_sum_of_list, 0.5, -1.5, wrt=(0, 1))
    # a function that does not take a list (this one raises TypeError when it runs)
    expect_rejected(f_exp_of_list, ("exp_of_list", r"\blist\b"))


def f_unreachable(x):
    s = 0.0
    for i in range(3):
        s = s + x
        break
        s = s * 2.0  # ERR:unreachable
    return s


def test_unreachable_code_after_break():
    expect_rejected(f_unreachable, ("unreachable", r"unreachable"))


def f_try(x):
    try:  # ERR:try
        y = x * x
    except ZeroDivisionError:
        y = x
    return y


def test_try():
    expect_rejected(f_try, ("try", r"\btry\b"))


def f_with(x):
    # (an errstate that only quiets warnings is read as its body: contexts.py)
    with np.errstate(all="raise"):  # ERR:with
        y = np.log(x)
    return np.sum(y)


def test_with():
    expect_rejected(f_with, ("with", r"\bwith\b"))


# ---------------------------------------------------------------------------
# Expressions rejected anywhere: lambda, comprehensions, :=
# ---------------------------------------------------------------------------

def f_lambda(x):
    scaled = (lambda t: t * x, 2.0)  # ERR:lambda
    return scaled[1] * x


def test_lambda_used_as_a_value():
    # a lambda that is called, or passed to a function of the user's, is inlined
    # (test_nested.py); one kept as a value has nothing to be at run time
    expect_rejected(f_lambda, ("lambda", r"\blambda\b.*called"))


def f_listcomp(x):
    return 1.0 if x[0] > 5.0 else sum([t * t for t in x])  # ERR:listcomp


def test_list_comprehension():
    # a comprehension becomes a loop run before its statement (test_lib_builtins.py), but
    # not in a branch of a conditional expression, where it may not run
    expect_rejected(f_listcomp, ("listcomp", r"comprehension"), args=(np.ones(3),))


def f_setcomp(x):
    s = {t * t for t in x}  # ERR:setcomp
    return sum(s)


def test_set_comprehension():
    expect_rejected(f_setcomp, ("setcomp", r"comprehension"))


def f_dictcomp(x):
    d = {i: t * t for i, t in enumerate(x)}  # ERR:dictcomp
    return sum(d.values())


def test_dict_comprehension():
    # (over a structure x it would be unrolled: the call with an array tells)
    expect_rejected(f_dictcomp, ("dictcomp", r"comprehension"), args=(np.ones(2),))


def f_genexp(x):
    squares = (t * t for t in x)  # ERR:genexp
    return sum(squares)


def test_generator_expression():
    # a generator given to a call becomes a loop (test_lib_builtins.py); one kept as a value
    # (consumed once, later, or never) does not
    expect_rejected(f_genexp, ("genexp", r"generator"), args=(np.ones(3),))


def f_walrus(x):
    y = (z := x * 2.0) + 1.0  # ERR:walrus
    return y * z


def test_walrus():
    expect_rejected(f_walrus, ("walrus", r":=|assignment expression|walrus"))


# ---------------------------------------------------------------------------
# Statements rejected: del, import
# ---------------------------------------------------------------------------

def f_del(x):
    ys = [x * 2.0, x]
    del ys[0]  # ERR:del
    return ys[0] * x


def test_del():
    # (del of a name is dropped: tests/test_hostile_probes_5.py)
    expect_rejected(f_del, ("del", r"\bdel\b"))


def f_import(x):
    if x > 0:
        import math as m  # ERR:import
    return m.sin(x)


def test_import_inside_a_block():
    # (an import at the top level of the body binds its name: test_real_programs_idioms.py)
    expect_rejected(f_import, ("import", r"\bimport\b.*top level"))


def f_import_from(x):
    from .helpers import sin  # ERR:import_from
    return sin(x)


def test_relative_import_inside_function():
    expect_rejected(f_import_from, ("import_from", r"relative import"))


# ---------------------------------------------------------------------------
# Calls, methods and attributes without an adjoint rule
# ---------------------------------------------------------------------------

#: a callable object whose __call__ is NumPy's, not a function of yours adcompile reads
helper = np.vectorize(lambda v: v * 2)


def f_user_helper(x):
    y = helper(x)  # ERR:helper
    return y * y


def test_unknown_callable_object_on_active_value():
    expect_rejected(f_user_helper, ("helper", r"\bhelper\b"))


def f_callback(x, callback):
    return callback(x)  # ERR:callback


def test_function_passed_as_argument_on_active_value():
    # (a function given there is called as that function, the code made for each one:
    # frontend/static_choices.py; a callable that is no function stays refused, at the
    # call, naming the argument; an object of the user's class would be called as its
    # __call__)
    assert ad.grad(f_callback)(0.5, np.sin) == np.cos(0.5)
    expect_rejected(f_callback, ("callback", r"\bcallback\b"),
                    args=(0.5, np.vectorize(np.sin)))


def f_np_convolve(x):
    y = np.ediff1d(x)  # ERR:np_convolve
    return np.sum(y)


def test_numpy_function_without_rule_convolve():
    expect_rejected(f_np_convolve, ("np_convolve", r"ediff1d"))


def f_np_partition(x):
    return np.sum(np.unwrap(x) * np.arange(3.0))  # ERR:np_partition


def test_numpy_function_without_rule_partition():
    expect_rejected(f_np_partition, ("np_partition", r"\bunwrap\b"))


def f_method_partition(x):
    y = x.partition(1)  # ERR:method_partition
    return y.sum()


def test_unsupported_method():
    expect_rejected(f_method_partition, ("method_partition", r"partition"))


def f_attr_imag(x):
    y = x.imag  # ERR:attr_imag
    return np.sum(y * y)


def test_unsupported_attribute():
    expect_rejected(f_attr_imag, ("attr_imag", r"\bimag\b"))


# ---------------------------------------------------------------------------
# What a refusal suggests, and the calls that led into an inlined helper
# ---------------------------------------------------------------------------

def message_of(f, *args, wrt=0, mode="reverse"):
    with pytest.raises(ad.TransformError) as info:
        if mode == "forward":
            ad.jvp(f, wrt=wrt)(*args)
        else:
            ad.grad(f, wrt=wrt)(*args)
    return str(info.value)


def test_unknown_function_suggests_a_rule():
    message = message_of(f_np_convolve, np.ones(3))
    lines = message.splitlines()
    # the first line as it always was; the suggestion last, on a line of its own
    assert lines[0].endswith(": call to 'np.ediff1d' (ediff1d) cannot be differentiated: "
                             "it has no adjoint rule")
    assert lines[-1] == ("hint: give it a rule with ad.adjoint_rule(np.ediff1d) or "
                         "ad.primitive (README: 'Your own primitives')")


def test_unknown_callable_object_suggests_a_rule():
    message = message_of(f_user_helper, 1.5)
    assert message.splitlines()[-1].startswith("hint: give it a rule with "
                                               "ad.adjoint_rule(helper) or ad.primitive")


def test_unknown_attribute_says_what_is_read_and_how_to_read_another():
    message = message_of(f_attr_imag, np.ones(3))
    first, hint = message.splitlines()[0], message.splitlines()[-1]
    assert first.endswith(": attribute .imag of a value being differentiated is not supported")
    assert hint.startswith("hint: the attributes of such a value adcompile reads are .T, .real ")
    assert ".shape" in hint and "@ad.primitive" in hint and "'Your own primitives'" in hint


def f_attr_of_unknown_call(x):
    import scipy.optimize
    return np.sum(scipy.optimize.minimize(lambda z: np.sum((z - x) ** 2), np.zeros(2)).x)


def test_an_attribute_of_a_call_without_a_rule_names_the_call():
    # (not the attribute: the call is what has no rule, as for the call alone)
    pytest.importorskip("scipy")
    first = message_of(f_attr_of_unknown_call, np.ones(2)).splitlines()[0]
    assert "scipy.optimize.minimize() has no adjoint rule" in first, first


def test_unknown_method_suggests_a_fix():
    hint = message_of(f_method_partition, np.ones(3)).splitlines()[-1]
    assert hint.startswith("hint: call a function that has a rule instead")
    assert "@ad.primitive" in hint


def test_function_in_a_variable_keeps_its_own_advice():
    message = message_of(f_callback, 1.5, np.vectorize(abs))
    assert "call a module-level function, or compute the value outside" in message
    assert "argument 'callback' is <numpy.vectorize" in message
    assert "hint:" not in message     # a rule cannot be given to a variable


def inner_refusing(v):
    return np.ediff1d(v)  # ERR:inner_refusing


def middle_calling(v):
    y = inner_refusing(v) * 2.0  # ERR:middle_calling
    return y


def outer_calling(x):
    z = middle_calling(x)  # ERR:outer_calling
    return np.sum(z)


def test_refusal_in_an_inlined_helper_names_the_call_chain():
    exc = expect_rejected(outer_calling, ("inner_refusing", r"np\.ediff1d"))
    lines = str(exc).splitlines()
    chain = [line for line in lines if line.startswith("  called from ")]
    assert chain == [
        (f"  called from {HERE}:{marker_line('middle_calling')}:9 in middle_calling: "
         f"{LINES[marker_line('middle_calling') - 1].strip()}"),
        (f"  called from {HERE}:{marker_line('outer_calling')}:9 in outer_calling: "
         f"{LINES[marker_line('outer_calling') - 1].strip()}")]
    assert exc.callers[0][:2] == (HERE, marker_line("middle_calling"))
    # the error's own line and caret come first, the suggestion last
    assert lines.index(chain[0]) == 3 and lines[-1].startswith("hint: give it a rule")


def test_no_chain_for_a_refusal_in_the_function_itself():
    message = message_of(f_np_convolve, np.ones(3))
    assert "called from" not in message


def calls_convolved(x):
    return refusing_helpers.convolved(x) * 3.0  # ERR:calls_convolved


def calls_uses_total(x):
    return refusing_helpers.uses_total(x) * 3.0  # ERR:calls_uses_total


def sample_line(tag):
    """The line of tests/samples/refusing_helpers.py marked ``# REFUSES:tag``."""
    with open(refusing_helpers.__file__, encoding="utf-8") as f:
        hits = [i for i, text in enumerate(f, 1) if text.rstrip().endswith("# REFUSES:" + tag)]
    assert len(hits) == 1
    return hits[0]


def test_refusal_in_a_helper_of_another_module_names_its_file_and_the_caller():
    message = message_of(calls_convolved, np.ones(3))
    assert message.startswith(f"{refusing_helpers.__file__}:{sample_line('convolve')}:")
    assert f"\n  called from {HERE}:{marker_line('calls_convolved')}:12 in calls_convolved: " \
        in message


def test_forward_mode_refusal_in_a_helper_names_the_helper_file():
    """A refusal after normalization (forward mode, at a primitive without a tangent) points
    into the helper's file, not at the same line number of the differentiated function's."""
    message = message_of(calls_uses_total, np.ones(3), np.ones(3), mode="forward")
    assert message.startswith(f"{refusing_helpers.__file__}:{sample_line('tangent')}:")
    assert "write one with @total.tangent (or ad.tangent_rule(total))" in message
    assert f"\n  called from {HERE}:{marker_line('calls_uses_total')}:12 in calls_uses_total: " \
        in message


# ---------------------------------------------------------------------------
# Mutation of values being differentiated
# ---------------------------------------------------------------------------

def f_setitem(x):
    x[0] = 0.0
    return np.sum(x * x)


def test_item_assignment_is_differentiated_now():
    # (refused until item assignment was differentiated: tests/test_items.py)
    for f in (f_setitem, f_setitem_into_constant, f_inplace_item):
        ad.check_grad(f, np.array([0.5, -1.0, 2.0]))


def f_setitem_into_constant(x):
    z = np.zeros(3)
    z[0] = x[1] * 2.0
    return np.sum(z * x)


def f_setattr(x, box):
    box.value = x * 2.0  # ERR:setattr
    return x * box.value


def test_attribute_assignment_of_active_value():
    expect_rejected(f_setattr, ("setattr", r"attribute"))


def f_setattr_shape(x):
    x.shape = (3, 1)  # ERR:setattr_shape
    return np.sum(x * np.arange(3.0))


def test_attribute_assignment_on_active_value():
    expect_rejected(f_setattr_shape, ("setattr_shape", r"attribute"))


def f_inplace_alias(x):
    y = x
    y += 1.0
    return np.sum(x * y)


def f_inplace_alias_in_a_list(x):
    y = x
    hs = [y]
    y += 1.0  # ERR:inplace_alias
    return np.sum(x * hs[0])


def test_inplace_update_of_alias():
    # y is x: y += 1.0 changes x too, and x gets its new value (frontend/views.py); a
    # number has no alias
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(ad.grad(f_inplace_alias)(x.copy()), 2 * (x + 1.0))
    assert_grad(f_inplace_alias, x, keywords=False)
    assert ad.grad(f_inplace_alias)(2.0) == pytest.approx(2 * 2.0 + 1.0)
    # refused where a list holds the array
    expect_rejected(f_inplace_alias_in_a_list, ("inplace_alias", r"in[- ]place"),
                    args=(np.ones(3),))


def f_inplace_tuple_alias(x):
    y, z = x, 2.0
    y += 1.0
    return np.sum(x * y) * z


def f_inplace_tuple_alias_in_a_list(x):
    y, z = x, 2.0
    hs = [y]
    y += 1.0  # ERR:inplace_tuple_alias
    return np.sum(x * hs[0]) * z


def test_inplace_update_of_alias_made_by_tuple_unpacking():
    # y is the same array as x: y += 1.0 changes x too, and x gets its new value
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(ad.grad(f_inplace_tuple_alias)(x.copy()), 4 * (x + 1.0))
    assert_grad(f_inplace_tuple_alias, x, keywords=False)
    expect_rejected(f_inplace_tuple_alias_in_a_list, ("inplace_tuple_alias", r"in[- ]place"),
                    args=(np.ones(3),))

def f_inplace_item(x):
    x[0] += 1.0
    return np.sum(x * x)


def f_expr_sort(x):
    x.partition(1)  # ERR:expr_sort
    return np.sum(x * np.arange(3.0))


def test_expression_statement_on_active_value():
    expect_rejected(f_expr_sort, ("expr_sort", r"expression|\bpartition\b"))


def f_out_keyword(x, k=1):
    y = np.zeros((2, 3))
    np.multiply(x, 2.0, out=y[k])  # ERR:out_keyword
    return np.sum(y)


def test_a_ufunc_writing_into_out_says_how_to_assign_instead():
    # (out= given a name, slices of one or an item with constant keys is an array update:
    # test_real_programs_idioms.py, test_items.py; y[k] may be an array index, a copy)
    expect_rejected(f_out_keyword, ("out_keyword", r"expression statement"))
    with pytest.raises(ad.TransformError) as info:
        ad.grad(f_out_keyword)(np.ones(3))
    assert "hint: drop out= and assign the result: y[k] = np.multiply(x, 2.0)" \
        in str(info.value)


def f_print_sort(x):
    print(x.sort())  # ERR:print_sort
    return np.sum(x * np.arange(3.0))


def test_inplace_method_inside_print_on_active_value():
    # print is kept in the forward sweep, but x.sort() inside it mutates x
    expect_rejected(f_print_sort, ("print_sort", r"expression|\bsort\b|in[- ]place"))

# ---------------------------------------------------------------------------
# Expressions on active values: a if c else b, and/or, active index
# ---------------------------------------------------------------------------

def f_or(x):
    y = x or 1.0  # ERR:or
    return y * y


def test_or_on_active_value():
    expect_rejected(f_or, ("or", r"\bor\b"))


def f_and(x):
    y = x and 2.0  # ERR:and
    return y * y


def test_and_on_active_value():
    expect_rejected(f_and, ("and", r"\band\b"))


def f_active_index(x, y):
    return x[y] * 2.0  # ERR:active_index


def test_active_index():
    expect_rejected(f_active_index, ("active_index", r"\bindex"), wrt=("x", "y"))


# ---------------------------------------------------------------------------
# Signatures and returns
# ---------------------------------------------------------------------------

def f_varargs(x, *args):
    return args[0] * x


def f_kwargs(x, **options):
    return x * options["scale"]


@pytest.mark.parametrize("f, name", [(f_varargs, "args"), (f_kwargs, "options")])
def test_variadic_parameters_are_not_differentiated(f, name):
    # *args and **kwargs of the differentiated function hold constants (test_nested.py)
    with pytest.raises(ValueError, match=rf"wrt='{name}' names the variadic parameter"):
        ad.grad(f, wrt=name)


def f_out_bar(x, out_bar):  # ERR:out_bar
    return x * out_bar


def test_parameter_named_out_bar():
    expect_rejected(f_out_bar, ("out_bar", r"\bout_bar\b"))


def f_no_return(x):  # ERR:no_return
    y = x * x  # ERR:no_return_last
    y = y + 1.0


def test_missing_return():
    expect_rejected(f_no_return, ("no_return", r"\breturn\b"), ("no_return_last", r"\breturn\b"))


def f_return_middle(x):
    y = x * x
    return y  # ERR:return_middle
    z = y + 1.0  # ERR:after_return


def test_return_not_at_end():
    expect_rejected(f_return_middle, ("return_middle", r"\breturn\b|unreachable"),
                    ("after_return", r"\breturn\b|unreachable"))


# ---------------------------------------------------------------------------
# Things that are not functions with source
# ---------------------------------------------------------------------------

f_module_lambda = lambda x: x * x  # noqa: E731


def test_lambda_passed_to_grad_is_differentiated_like_a_def():
    # (refused until lambdas were read from their file: tests/test_source_files.py)
    assert ad.grad(f_module_lambda)(1.5) == 3.0
    assert ad.grad(f_module_lambda).__name__ == "grad_f_module_lambda"


@pytest.mark.parametrize("builtin", [np.sin, math.sin], ids=["np.sin", "math.sin"])
def test_builtin_passed_to_grad(builtin):
    with pytest.raises(ad.TransformError) as info:
        ad.grad(builtin)
    msg = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "sin" in msg, msg
    assert "source" in msg or "primitive" in msg, msg


_exec_namespace = {}
exec("def g_exec(x):\n    return x * x\n", _exec_namespace)
g_exec = _exec_namespace["g_exec"]


def test_function_built_with_exec():
    with pytest.raises(ad.TransformError) as info:
        ad.grad(g_exec)
    msg = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "g_exec" in msg, msg
    assert "source" in msg, msg


# ---------------------------------------------------------------------------
# Accepted: constructs that do not touch values being differentiated
# ---------------------------------------------------------------------------

X = np.array([0.5, -1.25, 2.0])


def ok_print(x):
    print(x)
    return np.sum(x * x)


def test_print_is_accepted(capsys):
    g = ad.grad(ok_print)(X.copy())
    np.testing.assert_allclose(g, 2.0 * X, rtol=1e-12)
    assert "1.25" in capsys.readouterr().out


LOG = logging.getLogger("adcompile.tests.loss")


def ok_logging(x):
    y = np.sum(x * x)
    LOG.info("loss %s", y)
    logging.warning(f"loss {y:.3f} at {x}")
    message = f"y = {y:.2f}"
    if y > 100.0:
        warnings.warn(message)
    print(message)
    return y * np.sum(np.sin(x))


def test_log_lines_of_values_being_differentiated_are_accepted(caplog, capsys):
    caplog.set_level(logging.INFO)
    g = assert_grad(ok_logging, X.copy())
    np.testing.assert_allclose(g, 2.0 * X * np.sum(np.sin(X)) + np.sum(X * X) * np.cos(X),
                               rtol=1e-12)
    loss = np.sum(X * X)
    assert f"loss {loss}" in caplog.text and f"loss {loss:.3f}" in caplog.text
    assert f"y = {loss:.2f}" in capsys.readouterr().out


def ok_len(x):
    n = len(x)
    return np.sum(x * x) / n


def test_len_is_accepted():
    g = ad.grad(ok_len)(X.copy())
    np.testing.assert_allclose(g, 2.0 * X / 3.0, rtol=1e-12)


def ok_shape(x):
    n = x.shape[0]
    return np.sum(np.sin(x)) * n


def test_shape_is_accepted():
    g = ad.grad(ok_shape)(X.copy())
    np.testing.assert_allclose(g, 3.0 * np.cos(X), rtol=1e-12)


def ok_rng(x):
    rng = np.random.default_rng(0)
    c = rng.normal(size=3)
    return np.sum(c * x)


def test_unknown_functions_on_constants_are_accepted():
    g = ad.grad(ok_rng)(X.copy())
    np.testing.assert_allclose(g, np.random.default_rng(0).normal(size=3), rtol=1e-12)


def ok_helper_on_ints(x):
    k = helper(3)
    return k * x * x


def test_user_helper_on_ints_is_accepted():
    g = ad.grad(ok_helper_on_ints)(1.5)
    assert isinstance(g, float)
    assert g == pytest.approx(2.0 * 6 * 1.5, rel=1e-12)


def ok_docstring_assert_pass(x):
    """A docstring is not a statement to differentiate."""
    assert x.ndim == 1, "expects a vector"
    pass
    return np.sum(np.exp(x))


def test_docstring_assert_pass_are_accepted():
    g = ad.grad(ok_docstring_assert_pass)(X.copy())
    np.testing.assert_allclose(g, np.exp(X), rtol=1e-12)


def test_accepted_function_with_everything_inactive():
    def combined_grad(v):
        return ad.grad(ok_all_inactive)(v, types.SimpleNamespace(scale=2.0))

    g = combined_grad(X.copy())
    np.testing.assert_allclose(g, 2.0 * 2 * 3 * 2.0 * X, rtol=1e-12)


def ok_all_inactive(x, box):
    """Docstring."""
    print("shape", x.shape)
    n = len(x)
    m = x.shape[0]
    assert n == m
    k = helper(1)
    pass
    return box.scale * k * np.sum(x * x) * n



def var_with_positional_dtype(x):
    # (np.var's third parameter is dtype; its rule's is ddof)
    return np.sum(np.var(x, 1, np.float64) ** 2)


def std_method_with_positional_dtype(x):
    return np.sum(x.std(1, np.float64) ** 2)


def test_positional_argument_the_rule_would_misread():
    for f in (var_with_positional_dtype, std_method_with_positional_dtype):
        with pytest.raises(ad.TransformError, match="pass 'dtype' .* by keyword"):
            ad.grad(f)


def fill_after_read(w, xs):
    zs = xs.copy()
    s = np.sum(np.sin(zs[0] * w))
    zs.fill(2.0)
    return s


def out_after_read(w, xs):
    zs = xs.copy()
    s = np.sum(np.sin(zs[0] * w))
    np.multiply(zs, 2.0, out=zs)
    return s


def copyto_in_loop(w, xs):
    zs = xs.copy()
    s = 0.0
    for t in range(xs.shape[0] - 1):
        s = s + np.sum(np.sin(zs[t] * w))
        np.copyto(zs, zs * 0.5)
    return s


def fill_through_a_view(w, xs):
    zs = xs.copy()
    v = zs.T
    u = v[:, 0]
    s = np.sum(np.sin(u * w))
    zs.fill(2.0)            # changes u, which the gradient reads
    return s


def fill_a_copy(w, xs):
    zs = xs.copy()
    u = zs.copy()
    s = np.sum(np.sin(u[0] * w))
    zs.fill(2.0)            # u is a copy: unchanged
    return s


def fill_before_any_read(w):
    zs = np.empty(3)
    zs.fill(2.0)
    return np.sum(np.sin(zs * w))


def test_in_place_change_of_an_array_the_gradient_reads():
    # the reverse pass reads zs (d sin(zs[0] * w) / dw needs it): changed in place after
    # the forward read it, the gradient would be wrong, so adcompile refuses
    for f, line in ((fill_after_read, "zs.fill(2.0)"),
                    (out_after_read, "np.multiply(zs, 2.0, out=zs)"),
                    (copyto_in_loop, "np.copyto(zs, zs * 0.5)"),
                    (fill_through_a_view, "zs.fill(2.0)")):
        with pytest.raises(ad.TransformError, match="may change in place") as info:
            ad.grad(f)
        assert line in str(info.value) and "test_errors.py:" in str(info.value)
    w = np.array([0.3, -0.2, 0.5])
    assert_grad(fill_before_any_read, w)
    assert_grad(fill_a_copy, w, np.arange(12.0).reshape(4, 3) / 10)
