"""Ints and arrays of ints in a structure being differentiated that the value depends on.

Of a structure's leaves, floats and arrays of floats are differentiated; the others pass
through to its gradient untouched (ir/trees.py): a count (``params["n_layers"]``), labels,
a name. A number written without a decimal point is an int too (``{"mu": 0, "log_sigma":
0.0}``, ``[1, 2.5]``, ``np.array([1, 2, 3])``), and where the value returned depends on
such a leaf differentiably (it is an operand of the arithmetic computing the value, not
only a loop's bound, an index, a shape or a comparison), its derivative is not zero while
the gradient would hold the leaf itself (a top-level int argument is differentiated: its
gradient is a float). Such a read is refused, at the user's line.

The leaf may reach the value through statements the IR keeps as written (``x - mu`` with
``x`` data: no value being differentiated there): their flows are read off their
expressions here, an operand counting unless it is an index, a comparison, an attribute
such as ``.shape``, or an input of a rule or function through which no derivative flows.
"""

import ast

import numpy as np

from .. import ir
from ..rules import REGISTRY
from .activity import reached
from .callees import callee_of

_MESSAGE = ("{leaf} holds integers (an int or an array of ints) in the structure '{param}' "
            "being differentiated, and the value depends on it: adcompile differentiates the "
            "floats and arrays of floats of a structure and hands its integers back untouched "
            "(a count, labels), which would make the gradient of {leaf} the leaf itself. "
            "Write a parameter as a float (1.0, not 1; np.array(..., dtype=float)), or pass "
            "integers that are not one outside the structure")


def integer_leaf_reads(fn):
    """[(leaf name, parameter, the statement reading it, or None: the return)] for the
    integer leaves of the structures being differentiated (``fn.user_wrt``) that the value
    of ``fn`` (an ``ir.NormalFunction``) depends on differentiably; the statement is the
    first that reads the leaf into a value the value depends on."""
    leaves = {leaf.name: p for p in fn.user_wrt or () if p in fn.trees
              for leaf in _leaves(fn.trees[p]) if leaf.integer}
    if not leaves:
        return []   # (most structures: floats and arrays of floats)
    callee = callee_of(fn)
    kept = [(s, target, names) for s in ir.walk(fn.body) if isinstance(s, ir.Keep)
            for target, names in _kept_flows(s, callee)]
    sinks = {n for e in fn.value_outputs for n in operands(e, callee)}
    found = reached(fn, set(leaves), sinks, [(t, names) for _, t, names in kept])
    first = {}
    for s in ir.walk(fn.body):
        targets = [t for k, t, _ in kept if k is s] if isinstance(s, ir.Keep) \
            else [] if isinstance(s, (ir.If, ir.Loop, ir.Jump)) else [getattr(s, "target", None)]
        if any(t in found for t in targets):
            for name in _differentiable_reads(s, callee):
                if name in leaves and name in found:
                    first.setdefault(name, s)
    for e in fn.value_outputs:
        for name in operands(e, callee):
            if name in leaves:
                first.setdefault(name, None)
    return [(name, leaves[name], s) for name, s in first.items()]


def _leaves(node):
    return node.leaves() if hasattr(node, "leaves") else [node]


def _kept_flows(s, callee):
    """(target, source names) pairs of a statement kept as written."""
    stmt = s.stmt
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and stmt.value is not None:
        names = set(operands(stmt.value, callee))
        if isinstance(stmt, ast.AugAssign):
            names |= set(operands(stmt.target, callee))
        return [(t, names) for t in ir.own_assigns(s)]
    return [(t, set(ir.own_reads(s))) for t in ir.own_assigns(s)]


def _differentiable_reads(s, callee):
    """The names statement ``s`` reads into its result differentiably."""
    if isinstance(s, ir.Op):
        diff = set(s.rule.differentiable_inputs)
        return [x.id for v, e in zip(s.rule.inputs, s.inputs) if v in diff
                for x in ([e] if isinstance(e, ast.Name) else getattr(e, "elts", []))
                if isinstance(x, ast.Name)]
    if isinstance(s, ir.Keep):
        return [n for _, names in _kept_flows(s, callee) for n in names]
    if isinstance(s, (ir.If, ir.Loop, ir.Jump)):
        return []   # (their statements are walked on their own)
    return list(ir.own_reads(s))   # (a Carry, and the statements on lists)


def operands(e, callee):
    """The names expression ``e`` may depend on differentiably (see the docstring)."""
    if isinstance(e, ast.Name):
        return [e.id]
    if isinstance(e, (ast.Constant, ast.Compare)) or isinstance(e, ast.UnaryOp) \
            and isinstance(e.op, (ast.Not, ast.Invert)):
        return []
    if isinstance(e, ast.Subscript):
        return operands(e.value, callee)
    if isinstance(e, ast.Attribute):
        return [] if e.attr in REGISTRY.nondiff_attributes else operands(e.value, callee)
    if isinstance(e, ast.IfExp):
        return operands(e.body, callee) + operands(e.orelse, callee)
    if isinstance(e, ast.Call):
        return _call_operands(e, callee)
    return [n for c in ast.iter_child_nodes(e) if isinstance(c, ast.expr)
            for n in operands(c, callee)]


def _call_operands(e, callee):
    obj = callee(e.func)
    if obj is not None and (REGISTRY.is_nondifferentiable(obj) or _is_maker(obj)):
        return []
    rule = REGISTRY.rule_for(obj) if obj is not None else None
    if rule is None and obj is None and isinstance(e.func, ast.Attribute):
        # a method of a value: its receiver, and the arguments of those that compute
        # with them (not x.reshape(n, -1), x.sum(axis=k), x.take(i))
        if e.func.attr in REGISTRY.nondiff_methods:
            return []
        parts = [e.func.value] + (list(e.args) + [k.value for k in e.keywords]
                                  if e.func.attr in _COMPUTING_METHODS else [])
        return [n for p in parts for n in operands(p, callee)]
    if rule is None:
        parts = list(e.args) + [k.value for k in e.keywords if k.arg not in _SIZES]
        return [n for p in parts for n in operands(p, callee)]
    diff = set(rule.differentiable_inputs)
    inputs = list(rule.inputs)
    parts = [a for i, a in enumerate(e.args) if isinstance(a, ast.Starred)
             or i < len(inputs) and inputs[i] in diff]
    parts += [k.value for k in e.keywords
              if k.arg is None or rule.spellings.get(k.arg, k.arg) in diff]
    return [n for p in parts for n in operands(p, callee)]


#: keywords that give a size, a shape, an axis or a type, whatever the function
_SIZES = {"shape", "size", "axis", "axes", "num", "dtype", "ndmin", "keepdims", "ddof", "k",
          "ord", "n", "decimals", "repeats", "reps", "indices"}
#: methods of arrays whose arguments are operands of what they compute
_COMPUTING_METHODS = {"dot", "clip", "__add__", "__sub__", "__mul__", "__truediv__",
                      "__pow__", "__matmul__", "fill", "choose", "put"}


def _is_maker(obj):
    """Whether ``obj`` makes an array from sizes alone (``np.zeros(n)``, ``np.arange(n)``)."""
    return any(obj is f for f in (np.zeros, np.ones, np.empty, np.eye, np.identity,
                                  np.arange, np.tri, np.indices))


def check_integer_leaves(fn):
    """Raise a TransformError at the user's line for the first integer leaf of a structure
    being differentiated that the value of ``fn`` depends on (see the module's docstring)."""
    for leaf, param, s in integer_leaf_reads(fn):
        node = getattr(s, "node", None)
        if node is None and getattr(s, "origin", None):
            node = s.origin[1]
        name = ir.user_name(fn, leaf)
        raise fn.source.error(node if node is not None else fn.source.node,
                              _MESSAGE.format(leaf=name, param=param))
