"""Algebraic simplification of generated expressions: constants folded, ``x * 1``,
``x ** 1`` and ``x - 0`` dropped, ``a + a`` as ``2 * a``; and the sum of a list of terms."""

import ast
import operator

from ..ir.copying import same_tree
from ..ir.transformer import Transformer

_FOLD = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
         ast.Div: operator.truediv, ast.Pow: operator.pow}


def number(e):
    """The value of a literal int or float (``-2`` too), else None."""
    if isinstance(e, ast.Constant) and type(e.value) in (int, float):
        return e.value
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
        v = number(e.operand)
        return None if v is None else -v
    return None


def number_node(value):
    """The literal of a number: ``2``, or ``-2`` as Python writes it (a minus before it)."""
    return ast.Constant(value) if value >= 0 else ast.UnaryOp(ast.USub(), ast.Constant(-value))


def _is(e, value):
    v = number(e)
    return v is not None and v == value


class _Simplify(Transformer):
    def visit_BinOp(self, node):
        self.generic_visit(node)
        a, b = number(node.left), number(node.right)
        op = type(node.op)
        if a is not None and b is not None and op in _FOLD:
            try:
                value = _FOLD[op](a, b)
            except (ZeroDivisionError, OverflowError):
                return node
            if isinstance(value, (int, float)) and abs(value) < 1e15:
                return number_node(value)
        if op is ast.Pow and _is(node.right, 1):
            return node.left
        if op is ast.Pow and _is(node.right, 0):
            return ast.Constant(1)
        if op is ast.Mult:
            if _is(node.left, 1):
                return node.right
            if _is(node.right, 1):
                return node.left
            if b is not None and a is None:  # constants first: 3 * t_bar
                return ast.BinOp(left=node.right, op=node.op, right=node.left)
        if op is ast.Div and _is(node.right, 1):
            return node.left
        if op is ast.Sub and _is(node.right, 0):   # (x - 0.0 is x, -0.0 included)
            return node.left
        if op is ast.Add and same_tree(node.left, node.right):
            return ast.BinOp(left=ast.Constant(2), op=ast.Mult(), right=node.left)
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.USub) and isinstance(node.operand, ast.UnaryOp) \
                and isinstance(node.operand.op, ast.USub):
            return node.operand.operand
        return node


def simplify(expr):
    """``expr`` simplified (in place; the result may be a part of it). Generated code is
    unparsed, never compiled as a tree: the nodes made here have no positions."""
    return _Simplify().visit(expr)


def _counted(terms):
    """[term, how many times it occurs] for each distinct term, in order of first use: a
    few terms compared pairwise (same_tree), more by their text (ast.dump), which is
    written once per term but costs more than a comparison."""
    if len(terms) <= 8:
        groups = []
        for t in terms:
            for group in groups:
                if same_tree(group[0], t):
                    group[1] += 1
                    break
            else:
                groups.append([t, 1])
        return groups
    counted = {}   # the text of a term -> [the term, its count]
    for t in terms:
        counted.setdefault(ast.dump(t), [t, 0])[1] += 1
    return list(counted.values())


def total(terms):
    """The sum of a list of expressions (a repeated term counted once, times its count)."""
    if len(terms) == 1:
        return terms[0]
    terms = [t if n == 1 else ast.BinOp(left=ast.Constant(n), op=ast.Mult(), right=t)
             for t, n in _counted(terms)]
    if len(terms) > 32:
        # a balanced sum: a chain of hundreds of terms would nest too deep to compile
        half = len(terms) // 2
        return ast.BinOp(left=total(terms[:half]), op=ast.Add(), right=total(terms[half:]))
    result = terms[0]
    for t in terms[1:]:
        if isinstance(t, ast.UnaryOp) and isinstance(t.op, ast.USub):
            result = ast.BinOp(left=result, op=ast.Sub(), right=t.operand)
        else:
            result = ast.BinOp(left=result, op=ast.Add(), right=t)
    return result
