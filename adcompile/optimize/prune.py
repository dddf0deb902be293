"""Dead-code removal: forward statements whose results nothing reads (``prune_forward``)
and backward assignments to names nothing later reads (``prune_backward``)."""

import ast
from dataclasses import replace

from .. import ir


def prune_forward(stmts, live):
    """Drop forward statements whose results nothing reads (a fixed point, for loops).
    The tape's Save nodes stay (they read what they save)."""
    needed = set(live)
    keep = set()
    changed = True
    backwards = list(ir.walk(stmts))[::-1]   # (a use before its definition: one round
    while changed:                           # for straight-line code, not one per statement)
        changed = False
        for s in backwards:
            if s in keep:
                continue
            if isinstance(s, (ir.Jump, ast.stmt)) or isinstance(s, ir.Loop) \
                    and s.kind == "while":   # (ast.stmt: a Save; a while loop may not end)
                wanted = True
            elif isinstance(s, (ir.If, ir.Loop)):   # for what it holds, or a loop's index
                wanted = isinstance(s, ir.Loop) and s.index in needed \
                    or any(x in keep for block in ir.children(s) for x in ir.walk(block))
            elif isinstance(s, ir.Keep):
                wanted = not s.pure or bool(set(s.defines) & needed)
            elif isinstance(s, ir.ListAppend):
                wanted = s.target in needed
            elif isinstance(s, ir.ListGet) and s.pop:
                wanted = s.target in needed or s.source in needed  # it shortens the list
            else:
                wanted = s.target in needed
            if wanted:
                keep.add(s)
                needed |= ir.own_reads(s)
                changed = True

    def rebuild(block):
        out = []
        for s in block:
            if s not in keep:
                continue
            if isinstance(s, ir.If):
                s = replace(s, body=rebuild(s.body), orelse=rebuild(s.orelse))
            elif isinstance(s, ir.Loop):
                s = replace(s, body=rebuild(s.body))
                if s.kind == "for" and not s.body and s.index not in needed:
                    continue  # nothing in it is needed (a while loop stays: it may not end)
            elif isinstance(s, ir.Keep) and s.defines and not set(s.defines) & needed:
                s = _run_only(s)   # a call that may do something: run it, keep nothing
            elif isinstance(s, ir.Keep) and not set(s.defines) <= needed:
                s = _unpack_only(s, needed)
            out.append(s)
        return out

    return rebuild(stmts)


def _run_only(keep):
    """``name = call(...)`` (or ``a, b = call(...)``) kept for what the call may do, with
    nothing reading the names: the call alone."""
    stmt = keep.stmt
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and all(
            isinstance(t, ast.Name) for t in ast.walk(stmt.targets[0])
            if not isinstance(t, (ast.Tuple, ast.List, ast.expr_context))):
        return replace(keep, stmt=ast.copy_location(ast.Expr(stmt.value), stmt), defines=[])
    return keep


def _unpack_only(keep, needed):
    """``a, b = value`` kept with only ``b`` read later: ``_, b = value``."""
    stmt = keep.stmt
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], (ast.Tuple, ast.List))):
        return keep
    target = ir.copy_tree(stmt.targets[0])
    for t in ast.walk(target):
        if isinstance(t, ast.Name) and t.id not in needed:
            t.id = "_"
    new = ast.copy_location(ast.Assign(targets=[target], value=stmt.value), stmt)
    return replace(keep, stmt=new, defines=[n for n in keep.defines if n in needed])


def prune_backward(stmts, live):
    """Drop backward assignments to names nothing later reads (backward code is pure, but
    for popping the stack)."""

    def uses(node):
        """Names a statement reads; ``a += b`` reads ``a`` too."""
        found = ir.names_read(node)
        for n in ir.walk_statements(node):   # (an AugAssign is a statement)
            if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
                found.add(n.target.id)
        return found

    def prune(block, live):
        kept = []
        for s in reversed(block):
            if isinstance(s, (ast.If, ast.For)):
                if isinstance(s, ast.If):
                    s.body = prune(s.body, set(live)) or [ast.Pass()]
                    s.orelse = prune(s.orelse, set(live))
                    if all(isinstance(b, ast.Pass) for b in s.body + s.orelse):
                        continue   # a reversed branch with nothing left to do
                    if all(isinstance(b, ast.Pass) for b in s.body):   # if not c: ...
                        s.test = ast.UnaryOp(op=ast.Not(), operand=s.test)
                        s.body, s.orelse = s.orelse, []
                else:  # what one iteration reads, an earlier one may have to provide
                    s.body = prune(s.body, live | uses(s)) or [ast.Pass()]
                    if all(isinstance(b, ast.Pass) for b in s.body):
                        continue   # a reversed loop with nothing left to do
                live |= uses(s)
                kept.append(s)
                continue
            if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name):
                if s.target.id not in live:
                    continue
            elif isinstance(s, ast.Assign):
                targets = ir.assigns([s])
                is_pop = isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Attribute) \
                    and s.value.func.attr == "pop"
                simple = all(isinstance(t, ast.Name) for t in s.targets)
                if simple and not (targets & live):
                    if not is_pop:
                        continue
                    s = ast.copy_location(ast.Expr(s.value), s)   # the pop, nothing kept
                live -= targets if simple else set()
            live |= uses(s)
            kept.append(s)
        kept.reverse()
        return kept

    return prune(stmts, set(live))
