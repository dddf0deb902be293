"""Fusing single-use temporaries back into the expression that reads them, in straight-line
code (``fuse``) and in each run of simple statements of a sweep (``fuse_blocks``)."""

import ast

from .. import ir


def fuse(statements, fusable, live):
    """Put single-use temporaries back into the expression that uses them.

    ``t1 = X @ W1; t2 = t1 + b1; h = np.tanh(t2)`` becomes ``h = np.tanh(X @ W1 + b1)``
    when nothing else (``live``: names read later, by the backward sweep or the return)
    reads ``t1`` or ``t2``: the code reads like the user's, and the intermediates are freed
    as soon as they are used. Straight-line code: a temporary whose expression reads a name
    assigned again before its use (a loop's carried name, ``d = t3`` in ``t3_dot = d_dot *
    a + a_dot * d; d = t3; d_dot = t3_dot``) is kept where it is.
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
            assigned = ir.assigns([s])
            for temp in [t for t, e in pending.items() if ir.names_read(e) & assigned]:
                out.append(ir.assign(temp, pending.pop(temp)))
        if (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
                and s.targets[0].id in fusable and s.targets[0].id not in live
                and uses.get(s.targets[0].id) == 1):
            pending[s.targets[0].id] = s.value
            continue
        out.append(s)
    return out


class _Inline(ir.Transformer):
    def __init__(self, pending):
        self.pending = pending

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and node.id in self.pending:
            return self.pending.pop(node.id)
        return node



def with_effects(body):
    """The names that statements of the IR ``body`` kept as written and not pure assign
    (``t3 = augmented(t2, '+', e)``, a helper's call that may change what it is given): not
    to be fused, which would move the effect past the statements between (``np.sum(b)``
    of the array the update changes)."""
    return {n for s in ir.walk(body) if isinstance(s, ir.Keep) and not s.pure
            for n in set(s.defines) | ir.assigns([s.stmt])}   # (x_2 = require_update_shape(
    #                                  x_2, ...) does not define x_2 again: pipeline.py)


def fuse_blocks(stmts, temps, live):
    """Fuse single-use temporaries within each run of simple statements (never into a loop
    or branch, which could run them more or fewer times)."""
    uses = {}
    for s in stmts:
        for n in ir.walk_tree(s):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                uses[n.id] = uses.get(n.id, 0) + 1
    single = {t for t in temps if uses.get(t) == 1}

    def walk(block):
        out, run = [], []
        for s in block + [None]:
            if isinstance(s, ast.Assign) and len(s.targets) == 1 \
                    and isinstance(s.targets[0], ast.Name):
                run.append(s)
                continue
            if run:
                out.extend(fuse(run, single, live))
                run = []
            if s is None:
                break
            if isinstance(s, (ast.If, ast.For, ast.While)):
                s.body = walk(s.body)
                s.orelse = walk(s.orelse)
            out.append(s)
        return out

    return walk(stmts)
