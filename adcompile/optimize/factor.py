"""A factor two products of a backward sweep's sum share, taken out of the sum.

The adjoint of ``np.sum(f(z) - y * z)`` reaches ``z`` by two paths, each a product by
the sum's adjoint ``a`` (minus it, on the subtracted path)::

    t3_bar = -a
    z_bar = t3_bar * y + a * f_prime(z)

On arrays that is four passes (the negation, two products, the sum) and four new
arrays; ``z_bar = a * (f_prime(z) - y)`` is two of each. The values are those of the
distributed form up to the rounding of one product (the shapes and precisions are the
same: each product is still an elementwise one of the same operands).

A factor may also be shared through a product read only there: in the adjoint of the
recurrence ``x = a * x + b * sin(x)``, ``t_bar = x_bar * b`` then ``x_bar = t_bar *
cos(x) + x_bar * a`` becomes ``x_bar = x_bar * (b * cos(x) + a)``, as a hand derivation
writes it (one multiplication less each step).
"""

import ast

from .. import ir

# the terms of the longest sum looked at: the pairs of a sum are compared each time two
# become one, and the factored terms nest (a sum of thousands of terms is left as it is)
_MOST_TERMS = 8


def factor_products(stmts, kept=frozenset(), numeric_call=lambda call: False):
    """Rewrite (in place) each ``v = ... + a * u + ... + b * w`` of ``stmts`` (the backward
    sweep, and the blocks nested in it) whose two terms share the factor ``a``, or whose
    ``b`` is ``-a`` through a name assigned once in the same block and read only there:
    the two terms become one, ``a * (u + w)``, ``a * (u - w)`` or ``a * (w - u)`` (not
    ``-a * (u + w)``, which would negate again), where ``u`` or ``w`` is certain to be
    floats (``numeric_call(call)``: whether a call gives floats).
    ``kept``: names read after the sweep (never taken away)."""
    loads, stores = _counts(stmts)
    _Factor(loads, stores, set(kept), numeric_call).block(stmts)
    return stmts


def _counts(stmts):
    loads, stores = {}, {}
    for n in ir.walk_tree(stmts):
        if isinstance(n, ast.Name):
            counts = loads if isinstance(n.ctx, ast.Load) else stores
            counts[n.id] = counts.get(n.id, 0) + 1
    return loads, stores


class _Factor:
    """The rewrite on one sweep: how many times each name is read and assigned in all of it."""

    def __init__(self, loads, stores, kept, numeric_call):
        self.loads, self.stores, self.kept = loads, stores, kept
        self.numeric_call = numeric_call

    def block(self, block):
        # names assigned once in this block, read once, a negation ``-m`` or a product
        # ``m * e`` -> _Named
        named = {}
        dropped = set()
        for s in block:
            for inner in _blocks(s):
                self.block(inner)
            simple = isinstance(s, ast.Assign) and len(s.targets) == 1 \
                and isinstance(s.targets[0], ast.Name)
            if simple:   # (the value is read before the statement assigns)
                factored = self.factored(s.value, named)
                if factored is not None:
                    s.value, used = factored
                    dropped |= {named.pop(n).statement for n in used}
            changed = _changes(s)   # (what a negation or product reads changes here)
            named = {n: v for n, v in named.items() if not v.reads & changed}
            target = s.targets[0].id if simple else None
            if simple and self.loads.get(target) == 1 and self.stores.get(target) == 1 \
                    and target not in self.kept:
                negated = _negation_of(s.value)
                if negated is not None:
                    named[target] = _Named(s, [(negated, None)], -1)
                elif _product(s.value):
                    named[target] = _Named(s, _product(s.value), 1)
        block[:] = [s for s in block if s not in dropped]

    def factored(self, value, named):
        """(``value`` with the factors its terms share taken out, pair by pair, the names of
        ``named`` it no longer reads), or None if none is."""
        terms, used = _terms(value), set()
        if terms is None:
            return None
        count = len(terms)
        while True:   # (first the pairs that leave a negation out: one pass less)
            pairs = [(i, j, pair) for j in range(len(terms)) for i in range(j)
                     for pair in [self.pair(terms[i], terms[j], named)] if pair]
            if not pairs:
                break
            i, j, (term, names) = max(pairs, key=lambda p: len(p[2][1]))
            terms[i], used = term, used | names
            del terms[j]
        if len(terms) == count:
            return None
        terms.sort(key=lambda t: t[0] < 0)   # (a term added first; the order kept)
        if terms[0][0] < 0:
            return None
        total = terms[0][1]
        for sign, e in terms[1:]:
            total = ast.BinOp(left=total, op=ast.Add() if sign > 0 else ast.Sub(), right=e)
        return total, used

    def pair(self, p, q, named):
        """The terms ``p`` and ``q`` (sign, expression) as one, (1, ``a * (u ± w)``), and
        the names of ``named`` it reads no more; None if they share no factor."""
        for (a, u, sign_u, used_u), (b, w, sign_w, used_w) in (
                (x, y) for x in self.readings(p, named) for y in self.readings(q, named)):
            if a != b or sign_u == sign_w == -1 or not (self.inexact(u) or self.inexact(w)):
                continue   # (u + w must be a sum of floats, as a * u + a * w was)
            if sign_u == sign_w:
                inner = ast.BinOp(left=u, op=ast.Add(), right=w)
            elif sign_u == 1:
                inner = ast.BinOp(left=u, op=ast.Sub(), right=w)
            else:
                inner = ast.BinOp(left=w, op=ast.Sub(), right=u)
            return (1, ast.BinOp(left=ir.load(a), op=ast.Mult(), right=inner)), used_u | used_w
        return None

    @staticmethod
    def readings(term, named):
        """The ways to read the term (sign, expression) as a name times an expression:
        [(name, expression, sign, names of ``named`` read through)]. A name of ``named``
        is read as what it stands for: ``n * u`` with ``n = -a`` as ``-(a * u)``, ``t * u``
        with ``t = a * e`` as ``a * (e * u)``."""
        found = []
        for name, other in _product(term[1]):
            found.append((name, other, term[0], set()))
            if name not in named:
                continue
            stands = named[name]
            for factor, rest in stands.factors:
                found.append((factor, other if rest is None else ast.BinOp(
                    left=rest, op=ast.Mult(), right=other), term[0] * stands.sign, {name}))
        return found

    def inexact(self, e):
        """Whether ``e`` is certain to be a float or complex number or array: a float
        constant, a call ``numeric_call`` knows gives floats, a quotient, arithmetic with
        such a value in it. (The sum of two ints or bools is not: NumPy adds bools as a
        logical or, and ``uint8`` values wrap around, where the two products were floats.)"""
        if isinstance(e, ast.Constant):
            return type(e.value) in (float, complex)
        if isinstance(e, ast.Call):
            return self.numeric_call(e)
        if isinstance(e, ast.UnaryOp):
            return isinstance(e.op, (ast.USub, ast.UAdd)) and self.inexact(e.operand)
        if isinstance(e, ast.BinOp):
            return isinstance(e.op, ast.Div) or isinstance(e.op, (ast.Add, ast.Sub, ast.Mult)) \
                and (self.inexact(e.left) or self.inexact(e.right))
        return False


class _Named:
    """A name assigned once in a block and read once: its ``statement``, the ways to read
    its value as a name times an expression (``factors``: [(name, expression or None for
    the name alone)]), its ``sign`` (-1 for a negation), the names its value reads."""

    def __init__(self, statement, factors, sign):
        self.statement, self.factors, self.sign = statement, factors, sign
        self.reads = ir.names_read(statement.value)


def _blocks(stmt):
    """The statement lists nested in ``stmt``: an IR statement's, or a Python ``if``'s or
    loop's (the backward sweep's)."""
    if isinstance(stmt, (ast.If, ast.For, ast.While)):
        return [stmt.body, stmt.orelse]
    return ir.children(stmt)


def _changes(stmt):
    """The names whose values ``stmt`` may change: those it assigns, the arrays it writes
    items or attributes of (``x_bar[i] += g``), those a call it makes as a statement is
    given (``np.add.at(x_bar, i, g)``)."""
    changed = ir.assigns([stmt])
    for node in ir.walk_tree(stmt):
        if isinstance(node, (ast.Subscript, ast.Attribute)) \
                and isinstance(node.ctx, (ast.Store, ast.Del)):
            changed |= ir.names_read(node.value)
        elif isinstance(node, ast.Expr):
            changed |= ir.names_read(node.value)
    return changed


def _negation_of(e):
    """``m`` if ``e`` is ``-m`` for a name ``m``, else None."""
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub) \
            and isinstance(e.operand, ast.Name):
        return e.operand.id
    return None


def _terms(e):
    """The terms of the sum ``e``, [(sign, expression)], in order; None for more than
    ``_MOST_TERMS`` of them."""
    terms, todo = [], [(1, e)]
    while todo:
        sign, e = todo.pop()
        if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub)):
            todo += [(-sign if isinstance(e.op, ast.Sub) else sign, e.right), (sign, e.left)]
        else:
            terms.append((sign, e))
        if len(terms) + len(todo) > _MOST_TERMS:
            return None
    return terms


def _product(e):
    """The ways to read ``e`` as a name times an expression: [(name, the other operand)]."""
    if not (isinstance(e, ast.BinOp) and isinstance(e.op, ast.Mult)):
        return []
    return [(side.id, other) for side, other in ((e.left, e.right), (e.right, e.left))
            if isinstance(side, ast.Name)]
