"""What rules declare of their primitives, checked against NumPy: the result-shape kinds
(adcompile/rules/shapes.py) and linearity; and the shared matrix-product template."""

import ast
import itertools
import math
import operator
import warnings

import numpy as np
import pytest
from conftest import assert_grad

import adcompile as ad
from adcompile.rules import REGISTRY, adjoint_from
from adcompile.rules.numpy import matrix_product
from adcompile.rules.shapes import SHAPES, ResultShape, result_shape


def statics(**given):
    """Static arguments as a rule sees them: ast expressions."""
    return {k: ast.parse(v, mode="eval").body for k, v in given.items()}


# kind, NumPy call, its inputs, its statics (as source)
NDIM_CASES = [
    ("elementwise", lambda x, y: x + y, [np.ones((2, 3)), np.ones(3)], {}),
    ("scalar", math.exp, [np.float64(2.0)], {}),
    ("same", np.transpose, [np.ones((2, 3, 4))], {}),
    ("reduce", lambda x: np.sum(x, axis=1, keepdims=False), [np.ones((2, 3, 4))],
     {"axis": "1", "keepdims": "False"}),
    ("reduce", lambda x: np.sum(x, axis=None, keepdims=False), [np.ones((2, 3))],
     {"axis": "None", "keepdims": "False"}),
    ("reduce", lambda x: np.sum(x, axis=(0, 1), keepdims=True), [np.ones((2, 3))],
     {"axis": "(0, 1)", "keepdims": "True"}),
    ("matmul", np.matmul, [np.ones((5, 2, 3)), np.ones((3, 4))], {}),
    ("matmul", np.matmul, [np.ones(3), np.ones((3, 4))], {}),
    ("dot", np.dot, [np.float64(2.0), np.ones((3, 4))], {}),
    ("dot", np.dot, [np.ones(3), np.ones(3)], {}),
    ("scan", lambda x: np.cumsum(x, axis=None), [np.ones((2, 3))], {"axis": "None"}),
    ("scan", lambda x: np.cumsum(x, axis=0), [np.ones((2, 3))], {"axis": "0"}),
    ("reshape", lambda x: x.reshape((3, 2, 1)), [np.ones((2, 3))], {"shape": "(3, 2, 1)"}),
    ("reshape", lambda x: x.reshape(-1), [np.ones((2, 3))], {"shape": "-1"}),
    ("flat", np.ravel, [np.ones((2, 3))], {}),
    ("expand", lambda x: np.expand_dims(x, (0, 2)), [np.ones(3)], {"axis": "(0, 2)"}),
    ("squeeze", lambda x: np.squeeze(x, 0), [np.ones((1, 3))], {"axis": "0"}),
    ("diag", np.diag, [np.ones(3)], {}),
    ("diag", np.diag, [np.ones((3, 3))], {}),
    ("drop1", np.linalg.eigvalsh, [np.eye(3)], {}),
    ("drop2", np.linalg.det, [np.ones((4, 3, 3))], {}),
    ("outer", np.outer, [np.ones(2), np.ones(3)], {}),
    ("inner", np.inner, [np.ones((2, 3)), np.ones((4, 3))], {}),
    ("inner", np.inner, [np.float64(2.0), np.ones((4, 3))], {}),
    ("tensordot", lambda x, y: np.tensordot(x, y, 1), [np.ones((2, 3)), np.ones((3, 4))],
     {"axes": "1"}),
    ("tensordot", lambda x, y: np.tensordot(x, y, ((0,), (1,))),
     [np.ones((2, 3)), np.ones((4, 2))], {"axes": "((0,), (1,))"}),
    ("solve", np.linalg.solve, [np.eye(2), np.ones((2, 3))], {}),
    ("solve", np.linalg.solve, [np.eye(2), np.ones(2)], {}),
    ("like", lambda x: np.roll(x, 1), [np.ones((2, 3))], {}),
    ("matrix", np.triu, [np.ones(3)], {}),
    ("matrix", np.triu, [np.ones((2, 3, 3))], {}),
    ("rearranged", lambda x: np.partition(x, 1, axis=None), [np.ones((2, 3))],
     {"axis": "None", "kth": "1"}),
]


@pytest.mark.parametrize("kind, call, inputs, given", NDIM_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(NDIM_CASES)])
def test_each_kind_gives_the_ndim_numpy_gives(kind, call, inputs, given):
    dims = [np.ndim(x) for x in inputs]
    assert SHAPES[kind].ndim(dims, statics(**given)) == np.ndim(call(*inputs))


def test_what_is_not_known_stays_unknown():
    assert SHAPES["unknown"].ndim([2], {}) is None
    assert SHAPES["elementwise"].ndim([2, None], {}) is None
    assert SHAPES["reduce"].ndim([2], statics(axis="1", keepdims="k")) is None
    assert SHAPES["matmul"].ndim([3, 1], {}) is None
    assert SHAPES["tensordot"].ndim([2, 2], statics(axes="n")) is None


def test_the_questions_other_passes_ask():
    assert SHAPES["elementwise"].elementwise and not SHAPES["same"].elementwise
    assert SHAPES["scalar"].scalar and SHAPES["scalar"].full([False], {})
    assert {k for k, s in SHAPES.items() if s.tangent_from_adjoint} == {"elementwise", "scalar"}
    assert SHAPES["matmul"].full([True, True], {}) and not SHAPES["dot"].full([True, None], {})
    assert SHAPES["reduce"].full([True], statics(keepdims="False"))
    assert not SHAPES["reduce"].full([True], statics(keepdims="True"))
    assert SHAPES["reduce"].number(statics(axis="None", keepdims="False"))
    assert not SHAPES["reduce"].number(statics(axis="1", keepdims="False"))
    assert not SHAPES["reduce"].number(statics(axis="0", keepdims="False"))   # (0 == False)
    assert not SHAPES["reduce"].number(statics(axis="None", keepdims="True"))


def test_names_map_to_kinds_in_one_table():
    assert result_shape("reduce") is SHAPES["reduce"]
    assert result_shape(SHAPES["dot"]) is SHAPES["dot"]
    assert all(isinstance(rule.shape, ResultShape) for rule in REGISTRY.rules)
    with pytest.raises(ValueError, match="shape must be one of .*'reduce'.*not 'round'"):
        result_shape("round")
    with pytest.raises(ValueError, match="not 'round'"):
        ad.primitive(shape="round")(lambda x: x)
    with pytest.raises(TypeError, match="not with 'scalar'"):
        assert REGISTRY.rule_for(math.exp).shape == "scalar"   # an old tag test is loud
    assert REGISTRY.rule_for(math.exp).shape == SHAPES["scalar"]


def test_dot_and_matmul_share_one_template():
    dot, matmul = REGISTRY.rule_for(np.dot), REGISTRY.rule_for(operator.matmul)
    assert REGISTRY.rule_for(np.matmul) is matmul
    assert (dot.name, dot.shape.name, matmul.name, matmul.shape.name) == (
        "dot", "dot", "matmul", "matmul")
    assert dot.source == matmul.source
    text = ast.unparse(dot.body).replace("dot_bar_", "product_bar_")
    assert text == ast.unparse(matmul.body).replace("matmul_bar_", "product_bar_")
    assert "dot_bar_left(z_bar, x, y)" in ast.unparse(dot.body)


def test_a_helper_the_template_does_not_read_is_an_error():
    with pytest.raises(ValueError, match="does not read"):
        adjoint_from(matrix_product, np.ediff1d, name="ediff1d", shape="unknown",
                     helpers={"product_bar_middle": "ediff1d_bar"})
    assert REGISTRY.rule_for(np.ediff1d) is None


def sum_axis0_then_add_in_place(x):
    s = np.sum(x, axis=0)
    t = s
    t += x[0]          # changes s too: np.sum(x, axis=0) is an array, not a number
    return np.sum(s * s)


def test_a_sum_over_axis_0_is_an_array_not_a_number():
    # it was taken for a NumPy scalar (axis=0 compared equal to False), so the change of s
    # through t was missed: a wrong gradient, with no error
    x = np.arange(6.0).reshape(2, 3) / 7 + 0.3
    try:
        assert_grad(sum_axis0_then_add_in_place, x)
    except ad.TransformError as exc:
        assert "in place" in str(exc)


# -- every rule against NumPy -------------------------------------------------------------------

#: values for a rule's statics that have no default a call can run with (np.roll's shift)
_RUNNABLE = {"shift": "1", "kth": "1", "n": "2", "k": "1", "q": "0.5", "repeats": "2",
             "reps": "2", "axis1": "0", "axis2": "1", "source": "0", "destination": "-1",
             "pad_width": "1", "indices": "0", "shape": "(3, 3)", "p": "2"}
#: other values tried for these statics
_VARIANTS = {"axis": ["None", "0", "-1"], "keepdims": ["False", "True"]}
#: the ndims an input may have where the rule's callers give it fewer kinds than NumPy takes
_INPUT_NDIMS = {"interp_slope": (range(4), (1,), (1,)),   # np.interp's table (xp, fp): 1-d
                "read_symmetric": ((2, 3),)}              # a symmetric matrix, or a stack


def _static_variants(rule):
    """The statics a rule's calls are tried with, as source: its defaults (or a runnable
    value), then each variant of an axis and keepdims."""
    base = {}
    for name, default in rule.statics.items():
        text = "None" if default is None else ast.unparse(default)
        base[name] = _RUNNABLE.get(name, text) if text == "None" else text
    variants = [base]
    for name, values in _VARIANTS.items():
        if name in base:
            variants = [dict(v, **{name: value}) for v in variants for value in values]
    return variants


def _input_ndims(rule, count):
    allowed = _INPUT_NDIMS.get(rule.name, (range(4),) * count)
    return itertools.product(*allowed)


def _calls(rule, seed, variants=True):
    """(dims, keyword arguments, the statics as a rule sees them, inputs) of each call a
    check tries of ``rule``'s function: inputs of 0 to 3 dimensions (lengths 3; square
    matrices made well conditioned), with each static variant (or the defaults alone)."""
    count = len(rule.inputs) - len(rule.optional)
    defaults = {n: "None" if d is None else ast.unparse(d) for n, d in rule.statics.items()}
    rng = np.random.default_rng(seed)
    for dims in _input_ndims(rule, count):
        for given in _static_variants(rule) if variants else [defaults]:
            kwargs = {n: eval(t, {"np": np}) for n, t in given.items() if t != defaults[n]}
            inputs = [rng.uniform(0.5, 1.5, (3,) * d) + (3 * np.eye(3) if d == 2 else 0)
                      for d in dims]
            yield dims, kwargs, statics(**given), inputs


def _numpy(key, *inputs, **kwargs):
    """``key(*inputs, **kwargs)`` as an array (object dtype for a list of arrays of several
    shapes), or None where NumPy refuses the call or warns (which tells nothing)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return np.asarray(key(*inputs, **kwargs))
    except Exception:
        return None


def _every_rule(chosen, failures):
    """{rule (function): what ``failures(rule, key)`` finds} over the functions of the rules
    ``chosen`` keeps, and how many were checked."""
    checked, wrong = 0, {}
    for rule in REGISTRY.rules:
        for key in rule.keys if chosen(rule) else ():
            if callable(key) and 1 <= len(rule.inputs) - len(rule.optional) <= 3:
                checked += 1
                found = failures(rule, key)
                if found:
                    wrong[f"{rule.name} ({getattr(key, '__name__', key)})"] = found[:3]
    return checked, wrong


def _mismatches(rule, key):
    """What ``rule.shape`` says of calls of ``key`` (a NumPy or SciPy function, see _calls)
    that NumPy contradicts: a wrong ndim, a result called full that has an axis of length
    1, or a result of the first input's shape (``like_first``) that has another."""
    count = len(rule.inputs) - len(rule.optional)
    found = []
    for dims, kwargs, said, inputs in _calls(rule, 0):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                y = key(*inputs, **kwargs)
        except Exception:   # (a call NumPy refuses tells nothing)
            continue
        if isinstance(y, (list, tuple)):
            continue
        ndim = rule.shape.ndim(list(dims), said)
        if ndim is not None and ndim != np.ndim(y):
            found.append(f"{dims} {kwargs}: ndim {ndim}, NumPy {np.ndim(y)}")
        if rule.shape.full([True] * count, said) and 1 in np.shape(y):
            found.append(f"{dims} {kwargs}: called full, NumPy's shape {np.shape(y)}")
        if rule.shape.like_first and np.shape(y) != np.shape(inputs[0]):
            found.append(f"{dims} {kwargs}: the first input's shape, NumPy's {np.shape(y)}")
    return found


def test_every_rule_gives_the_result_shape_numpy_gives():
    """Each rule's result-shape kind, asked about every call of its function on inputs of 0
    to 3 dimensions that NumPy runs, says what NumPy's result is (or that it does not
    know). A wrong ndim lets the passes drop an ``unbroadcast`` that is needed: np.triu of a
    vector once gave a matrix gradient for a vector."""
    checked, wrong = _every_rule(lambda rule: rule.shape.name not in ("unknown", "sequence"),
                                 _mismatches)
    assert checked > 150
    assert not wrong, "\n".join(f"{k}: {v}" for k, v in wrong.items())


def test_the_shape_check_sees_a_wrong_kind(monkeypatch):
    """The check above fails for a rule that says its result keeps the first input's shape
    where NumPy's does not (np.triu as the kind it had: "same")."""
    rule = REGISTRY.rule_for(np.triu)
    monkeypatch.setattr(rule, "shape", SHAPES["same"])
    assert any("ndim 1, NumPy 2" in m for m in _mismatches(rule, np.triu))
    monkeypatch.setattr(rule, "shape", SHAPES["like"])
    assert any("first input's shape" in m for m in _mismatches(rule, np.triu))


def _linearity_failures(rule, key):
    """The calls of ``key`` at which ``rule`` (declared linear: forward mode applies the
    primitive to the tangent) is not linear in one of its differentiable inputs:
    f(2 a - 3 b) != 2 f(a) - 3 f(b), the other inputs as they are."""
    count = len(rule.inputs) - len(rule.optional)
    wanted = [i for i, v in enumerate(rule.inputs[:count]) if v in rule.differentiable_inputs]
    rng = np.random.default_rng(1)
    found = []
    for dims, kwargs, _, inputs in _calls(rule, 1):
        for i in wanted:
            a, b = rng.normal(size=(2,) + np.shape(inputs[i]))
            values = [_numpy(key, *inputs[:i], x, *inputs[i + 1:], **kwargs)
                      for x in (2 * a - 3 * b, a, b)]
            if any(v is None or v.dtype == object for v in values):
                continue   # (refused, or a list of arrays of several shapes)
            combined, apart = values[0], 2 * values[1] - 3 * values[2]
            if not np.allclose(combined, apart, rtol=1e-10, atol=1e-12):
                found.append(f"{dims} {kwargs}: not linear in {rule.inputs[i]}")
    return found


def test_every_rule_declared_linear_is():
    checked, wrong = _every_rule(lambda rule: rule.linear, _linearity_failures)
    assert checked > 30
    assert not wrong, wrong


def test_the_linearity_check_sees_a_rule_that_is_not(monkeypatch):
    rule = REGISTRY.rule_for(np.cumprod)
    monkeypatch.setattr(rule, "linear", True)
    assert _linearity_failures(rule, np.cumprod)


#: rules whose constant input is a function of another input, which carries its derivative
#: or that the rule calling it never gives a value being differentiated
_DERIVED_CONSTANT = {"norm_bar": "y is always np.linalg.norm(x): the rule differentiates in x",
                     "quantile_bar": "q: np.quantile's rule refuses a q being differentiated",
                     "quantile_dot": "q: np.quantile's rule refuses a q being differentiated"}


def _constant_input_failures(rule, key):
    """The calls of ``key`` (with the rule's defaults) whose result moves when an input
    ``rule`` declares constant (no adjoint line: its derivative is zero, a shape or an
    index) moves slightly."""
    count = len(rule.inputs) - len(rule.optional)
    rng = np.random.default_rng(3)
    found = []
    for dims, _, _, inputs in _calls(rule, 3, variants=False):
        for i, name in enumerate(rule.inputs[:count]):
            if name not in rule.constant:
                continue
            moved = inputs[i] + 1e-7 * rng.normal(size=np.shape(inputs[i]))
            before = _numpy(key, *inputs)
            after = _numpy(key, *inputs[:i], moved, *inputs[i + 1:])
            if before is None or after is None or before.dtype == object:
                continue
            if not np.allclose(before, after, rtol=1e-12, atol=1e-14):
                found.append(f"{dims}: moves with {name}")
    return found


def test_every_constant_input_is():
    checked, wrong = _every_rule(
        lambda rule: rule.constant and rule.name not in _DERIVED_CONSTANT,
        _constant_input_failures)
    assert checked > 10
    assert not wrong, wrong


def test_the_constant_check_sees_an_input_that_is_not(monkeypatch):
    rule = REGISTRY.rule_for(np.linalg.norm)
    monkeypatch.setattr(rule, "constant", ("x",))
    assert _constant_input_failures(rule, np.linalg.norm)


# -- what the kinds change in gradients ---------------------------------------------------------

W3 = np.array([0.5, -1.0, 2.0])


def triangles_of_a_vector(v):
    return np.sum(np.triu(v) ** 2 * W3) + np.sum(np.tril(v, -1) * W3) + np.sum(np.triu(v, 1) @ v)


def triangles_of_matrices(m):
    return np.sum(np.triu(m, 1) * W3) + np.sum(np.tril(m) ** 2)


@pytest.mark.parametrize("f, x", [(triangles_of_a_vector, W3 + 1.5),
                                  (triangles_of_matrices, np.arange(1.0, 10.0).reshape(3, 3)),
                                  (triangles_of_matrices, np.linspace(-1, 1, 18).reshape(2, 3, 3))])
def test_triangles_of_vectors_and_of_stacks(f, x):
    """np.triu of a vector is a matrix (each row a copy of the vector): the vector's gradient
    sums the triangle's rows (it once came back a matrix, the triangle itself)."""
    assert_grad(f, x)


def diffusion(u, n, dt):
    for _ in range(n):
        u = u + dt * (np.roll(u, 1) - 2 * u + np.roll(u, -1))
    return np.sum(u ** 2)


def test_a_result_shaped_like_its_input_needs_no_tape():
    """np.roll's result has its input's shape (the kind "like"), so the specialised gradient
    of a diffusion loop knows nothing is broadcast: it saves nothing per step (the loop is
    linear in u) and calls no unbroadcast; np.roll's adjoint rolls back by the shift's
    negation written as a number."""
    u = np.linspace(0.0, 1.0, 7)
    assert_grad(diffusion, u, 4, 0.1)
    code = ad.show(ad.grad(diffusion), args=(u, 4, 0.1))
    assert "unbroadcast" not in code and "_steps" not in code and ".append" not in code, code
    assert "np.negative" not in code and "np.roll(t1_bar, -1, None)" in code, code
