"""Which user variables are live (may be read before being assigned again) where.

Normalization gives each assignment its own name, and so needs a name for a
variable after an ``if`` (whichever branch ran) and across loop iterations.
It needs one only for variables that are read later: copying a variable that
is dead on some path could even read one that was never assigned there.
``annotate`` marks each ``if`` with ``live_out`` (user names live after it)
and each loop with ``live_header`` (live where an iteration starts or the
loop ends), on the lowered AST.
"""

import ast

from ..ir import assigns, names_mentioned, names_read, reads


def annotate(fn, live_at_exit=()):
    """Mark each ``if`` and loop of the ``def`` ``fn`` with the names read after it;
    ``live_at_exit``: names read after the function returns (an inlined function's
    parameters whose structures the caller reads on: frontend/inline.py)."""
    _block(fn.body, set(live_at_exit), None)


def _block(stmts, live, loop):
    """Names live before ``stmts`` given ``live`` after them; ``loop`` = (live after the
    enclosing loop, live at its header) for break and continue."""
    for s in reversed(stmts):
        live = _statement(s, live, loop)
    return live


def _statement(s, live, loop):
    if isinstance(s, ast.Assign):
        killed = assigns(t for t in s.targets if isinstance(t, (ast.Name, ast.Tuple, ast.List)))
        # subscript/attribute targets read their base
        return (live - killed) | names_read(s.value) | reads(s.targets)
    if isinstance(s, ast.AnnAssign):
        if s.value is None:
            return live
        return (live - assigns([s.target])) | names_read(s.value) | names_read(s.target)
    if isinstance(s, ast.AugAssign):
        return live | names_read(s.value) | names_mentioned([s.target])
    if isinstance(s, ast.If):
        s.live_out = set(live)
        return _block(s.body, live, loop) | _block(s.orelse, live, loop) | names_read(s.test)
    if isinstance(s, (ast.For, ast.While)):
        after = set(live)
        header = set(after)
        while True:  # a fixed point: an iteration's start is live-in of the body or the exit
            inner = _block(s.body, header, (after, header))
            if isinstance(s, ast.For):
                # (what it walks is evaluated once, before it: read there, not carried)
                inner = inner - assigns([s.target])
                new = after | inner
            else:
                new = after | inner | names_read(s.test)
            if new <= header:
                break
            header |= new
        s.live_header = header
        return header | names_read(s.iter) if isinstance(s, ast.For) else header
    if isinstance(s, ast.Break):
        return set(loop[0]) if loop else set(live)
    if isinstance(s, ast.Continue):
        return set(loop[1]) if loop else set(live)
    if isinstance(s, ast.Return):
        return names_read(s.value) if s.value is not None else set()
    return live | names_read(s)
