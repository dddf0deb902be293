"""Clean-ups on generated code: algebraic simplification and dead-code removal."""

import ast
import operator

from . import ir

_FOLD = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
         ast.Div: operator.truediv, ast.Pow: operator.pow}


def _number(e):
    if isinstance(e, ast.Constant) and type(e.value) in (int, float):
        return e.value
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
        v = _number(e.operand)
        return None if v is None else -v
    return None


def _is(e, value):
    v = _number(e)
    return v is not None and v == value


class _Simplify(ast.NodeTransformer):
    def visit_BinOp(self, node):
        self.generic_visit(node)
        a, b = _number(node.left), _number(node.right)
        op = type(node.op)
        if a is not None and b is not None and op in _FOLD:
            try:
                value = _FOLD[op](a, b)
            except (ZeroDivisionError, OverflowError):
                return node
            if isinstance(value, (int, float)) and abs(value) < 1e15:
                return ast.Constant(value) if value >= 0 else ast.UnaryOp(ast.USub(), ast.Constant(-value))
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
        if op is ast.Add and ast.dump(node.left) == ast.dump(node.right):
            return ast.BinOp(left=ast.Constant(2), op=ast.Mult(), right=node.left)
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.USub) and isinstance(node.operand, ast.UnaryOp) \
                and isinstance(node.operand.op, ast.USub):
            return node.operand.operand
        return node


def simplify(expr):
    return ast.fix_missing_locations(_Simplify().visit(expr))


def total(terms):
    """The sum of a list of expressions (a repeated term counted once, times its count)."""
    counted = []
    for t in terms:
        for entry in counted:
            if ast.dump(entry[0]) == ast.dump(t):
                entry[1] += 1
                break
        else:
            counted.append([t, 1])
    terms = [t if n == 1 else ast.BinOp(left=ast.Constant(n), op=ast.Mult(), right=t)
             for t, n in counted]
    result = terms[0]
    for t in terms[1:]:
        if isinstance(t, ast.UnaryOp) and isinstance(t.op, ast.USub):
            result = ast.BinOp(left=result, op=ast.Sub(), right=t.operand)
        else:
            result = ast.BinOp(left=result, op=ast.Add(), right=t)
    return result


def prune(statements, live):
    """Drop assignments whose targets nothing later reads. ``statements`` are ir.Keep/ir.Op or
    plain ast statements; ``live`` is the set of names read after them."""
    kept = []
    live = set(live)
    for s in reversed(statements):
        if isinstance(s, ir.Op):
            if s.target not in live:
                continue
            live.discard(s.target)
            live |= ir.names_read(s.expr)
            kept.append(s)
            continue
        if isinstance(s, ir.Keep):
            defines, pure, node = set(s.defines), s.pure, s.stmt
        else:
            # a generated backward statement: pure by construction
            defines = {t.id for t in ast.walk(s) if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store)}
            pure, node = True, s
        if pure and defines and not (defines & live):
            continue
        live -= defines
        live |= ir.names_read(node)
        kept.append(s)
    kept.reverse()
    return kept


def fuse(statements, fusable, live):
    """Put single-use temporaries back into the expression that uses them.

    ``t1 = X @ W1; t2 = t1 + b1; h = np.tanh(t2)`` becomes ``h = np.tanh(X @ W1 + b1)``
    when nothing else (``live``: names read later, by the backward sweep or the return)
    reads ``t1`` or ``t2``: the code reads like the user's, and the intermediates are freed
    as soon as they are used. Only straight-line code whose names are assigned once.
    """
    uses = {}
    for s in statements:
        for name in ir.names_read(s):
            uses[name] = uses.get(name, 0) + 1
    pending = {}   # temp -> its expression, waiting for its one use
    out = []
    for s in statements:
        if pending:
            s = _Inline(pending).visit(s)
        if (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
                and s.targets[0].id in fusable and s.targets[0].id not in live
                and uses.get(s.targets[0].id) == 1):
            pending[s.targets[0].id] = s.value
            continue
        out.append(s)
    return out


class _Inline(ast.NodeTransformer):
    def __init__(self, pending):
        self.pending = pending

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and node.id in self.pending:
            return self.pending.pop(node.id)
        return node
