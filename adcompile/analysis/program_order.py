"""Where each statement of a normalized function is, to tell whether one may run after
another: its position in program order, the loops and the blocks of ifs around it, and the
loops it surely leaves (mutations.py and rebindings.py ask ``follows``)."""

import ast
from typing import NamedTuple

from .. import ir


class Place(NamedTuple):
    """Where a statement is (see program_order)."""

    statement: object
    position: int            # in program order
    loops: frozenset         # ids of the enclosing loops
    branches: frozenset      # the branches of ifs it is in: (id of the if, 0 body / 1 else)
    leaves: frozenset        # ids of the enclosing loops it surely leaves once it has run:
    #                          every path from it reaches a break before the next iteration


def program_order(body):
    """id(statement) -> its Place."""
    order = {}

    def visit(stmts, loops, branches, leaves, innermost):
        for i, s in enumerate(stmts):
            gone = leaves | {innermost} if innermost and (
                _breaks(stmts[i + 1:]) or _one_step(order[innermost].statement)) else leaves
            order[id(s)] = Place(s, len(order), loops, branches, gone)
            for k, block in enumerate(ir.children(s)):
                if isinstance(s, ir.Loop):
                    visit(block, loops | {id(s)}, branches, gone, id(s))
                else:
                    visit(block, loops, branches | {(id(s), k)}, gone, innermost)

    visit(body, frozenset(), frozenset(), frozenset(), None)
    return order


def _one_step(loop):
    """Whether ``loop`` runs its body at most once: ``for i in range(1)`` (constant bounds)."""
    it = loop.iterable if loop.kind == "for" else None
    if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
            and not it.keywords and 1 <= len(it.args) <= 3):
        return False
    bounds = []
    for a in it.args:
        negative = isinstance(a, ast.UnaryOp) and isinstance(a.op, ast.USub)
        a = a.operand if negative else a
        if not (isinstance(a, ast.Constant) and type(a.value) is int):
            return False
        bounds.append(-a.value if negative else a.value)
    try:
        return len(range(*bounds)) <= 1
    except ValueError:   # (a step of 0)
        return False


def _breaks(block):
    """Whether running the statements ``block`` (of a loop's body, or a block nested in it
    through ifs) surely reaches a break of that loop (a return in a loop is a break)."""
    for s in block:
        if isinstance(s, ir.Jump):
            return s.kind == "break"
        if isinstance(s, ir.If):
            if _breaks(s.body) and _breaks(s.orelse):
                return True
            if _may_continue(s):
                return False
    return False


def _may_continue(s):
    """Whether the if ``s`` holds a continue of the loop around it."""
    return any(isinstance(t, ir.Jump) and t.kind == "continue" or isinstance(t, ir.If)
               and _may_continue(t) for t in s.body + s.orelse)


def exclusive(branches, other):
    """Whether statements in the ``branches`` and ``other`` (see program_order) are in the
    two blocks of one if: one runs after the other only through a loop around both."""
    return any((at, 1 - k) in other for at, k in branches)


def follows(later, earlier):
    """Whether the statement at ``later`` may run after the one at ``earlier`` (entries of
    program_order): later in program order and not in the other block of an if, or in a
    loop around both that may start its next iteration after ``earlier``."""
    _, pos, loops, branches, leaves = earlier
    _, rpos, rloops, rbranches, _ = later
    return bool(rloops & loops - leaves) or rpos > pos and not exclusive(branches, rbranches)
