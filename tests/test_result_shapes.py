"""The result-shape kinds of rules (adcompile/rules/shapes.py) and the shared matrix-product
template."""

import ast
import math
import operator

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
    ("second", np.linalg.solve, [np.eye(2), np.ones((2, 3))], {}),
    ("second", np.linalg.solve, [np.eye(2), np.ones(2)], {}),
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
