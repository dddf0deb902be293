"""Which primitives make a view of their first input (or are the same array), and how.

``view_kind`` tells how an ``ir.Op`` makes its value from its input ("same", "transpose",
"item", "vector" or None), ``as_view_op`` the Op a statement kept as written stands for;
used by views.py and loop_views.py to record and compare the relations between names.
"""

import ast
import copy
import operator

import numpy as np

from .. import ir
from .syntax import index_expression


def as_view_op(target, value, node, registry, callee):
    """The user's ``target = value`` (for ``node``) as the Op of a view (or the same array)
    that makes it, with the rules of ``registry``, or None."""
    if isinstance(value, ast.Name):
        return ir.Op(target, value, registry.special["copy"], [value], {}, node)
    if isinstance(value, ast.Attribute) and value.attr == "T" \
            and isinstance(value.value, ast.Name):
        return ir.Op(target, value, registry.rule_for(np.transpose), [value.value],
                     {"axes": ast.Constant(None)}, node)
    if isinstance(value, ast.Call) and len(value.args) == 1 and not value.keywords \
            and isinstance(value.args[0], ast.Name):
        called = callee(value.func)
        rule = registry.rule_for(np.transpose) if called.is_(np.transpose) else \
            registry.rule_for(np.asarray) if called.is_(np.asarray) else None
        statics = {"axes": ast.Constant(None)} if called.is_(np.transpose) else {}
        return None if rule is None else ir.Op(target, value, rule, [value.args[0]],
                                              statics, node)
    shape = _reshaped(value, callee)
    if shape is not None and _one_length(shape[1]):
        return ir.Op(target, value, registry.rule_for(np.reshape), [shape[0]],
                     {"shape": shape[1]}, node)
    if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name) \
            and _basic(value.slice):
        return ir.Op(target, value, registry.rule_for(operator.getitem),
                     [value.value, index_expression(value.slice)], {}, node)
    return None


def viewed(op, callee):
    """The name the Op ``op`` makes a view of (or the same array as), or None."""
    return op.inputs[0].id if view_kind(op, callee) is not None else None


def view_kind(op, callee):
    """How the Op ``op`` makes its value from its first input: "same" (the same array),
    "transpose" (its axes reversed), "item" (a basic index with constant parts), "vector"
    (a reshape to one constant length: the same array where the input has one dimension,
    which the call's types decide, see ``Refresh.vectors``), or None (anything else,
    perhaps a new array)."""
    rule = op.rule
    if not op.inputs or not isinstance(op.inputs[0], ast.Name):
        return None
    if rule.name == "copy" and isinstance(op.expr, ast.Name):   # (w = u)
        return "same"
    if rule.name == "array" and isinstance(op.expr, ast.Call) and len(op.expr.args) == 1 \
            and not op.expr.keywords and callee(op.expr.func).is_(np.asarray):
        return "same"
    if rule.name == "transpose" and isinstance(op.expr, (ast.Attribute, ast.Call)) and (
            isinstance(op.expr, ast.Attribute) and op.expr.attr == "T"
            or isinstance(op.expr, ast.Call) and len(op.expr.args) == 1
            and not op.expr.keywords and callee(op.expr.func).is_(np.transpose)):
        return "transpose"
    if rule.name == "getitem" and isinstance(op.expr, ast.Subscript) and _basic(op.expr.slice):
        return "item"
    if rule.name == "reshape" and isinstance(op.expr, ast.Call) and not op.expr.keywords \
            and _one_length(op.statics.get("shape")):
        return "vector"   # x.reshape(3): x itself where x has one dimension (else refused)
    return None


def same_view(a, b, callee):
    """Whether the Ops ``a`` and ``b`` make the same view of their first inputs."""
    kind = view_kind(a, callee)
    if kind != view_kind(b, callee):
        return False
    if kind == "vector":
        return ast.dump(a.statics["shape"]) == ast.dump(b.statics["shape"])
    return kind != "item" or ast.dump(a.expr.slice) == ast.dump(b.expr.slice)


def _basic(index):
    """Whether ``index`` is a basic index of constant integers and slices with constant
    bounds (Python ints: a view of an array, whatever the values)."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]

    def constant(e):
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
            e = e.operand
        return isinstance(e, ast.Constant) and type(e.value) is int

    return all(constant(p) or isinstance(p, ast.Slice) and all(
        b is None or constant(b) for b in (p.lower, p.upper, p.step)) for p in parts)


def _reshaped(value, callee):
    """(name, shape) for ``name.reshape(shape)`` or ``np.reshape(name, shape)``, else None."""
    if not isinstance(value, ast.Call) or value.keywords:
        return None
    if isinstance(value.func, ast.Attribute) and value.func.attr == "reshape" \
            and isinstance(value.func.value, ast.Name) and len(value.args) == 1:
        return value.func.value, value.args[0]
    if len(value.args) == 2 and isinstance(value.args[0], ast.Name) \
            and callee(value.func).is_(np.reshape):
        return value.args[0], value.args[1]
    return None


def _one_length(shape):
    """Whether the shape expression ``shape`` is one constant length (``3``, ``-1``,
    ``(3,)``)."""
    if isinstance(shape, ast.Tuple) and len(shape.elts) == 1:
        shape = shape.elts[0]
    if isinstance(shape, ast.UnaryOp) and isinstance(shape.op, ast.USub):
        shape = shape.operand
    return isinstance(shape, ast.Constant) and type(shape.value) is int


def renamed_copy(tree, old, new):
    """A copy of ``tree`` (expressions, nodes shared between them shared in the copy)
    reading the name ``new`` where it read ``old``."""
    tree = copy.deepcopy(tree)
    for part in tree[1]:
        for node in ast.walk(part):
            if isinstance(node, ast.Name) and node.id == old:
                node.id = new
    for node in ast.walk(tree[0]):
        if isinstance(node, ast.Name) and node.id == old:
            node.id = new
    return tree
