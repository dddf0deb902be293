"""Backward statements with a second form, that updates a list or an array in place.

The reverse pass writes adjoint lists one way: as code adcompile can differentiate
again (a list built by appending, its items replaced one by one). Where the same step
can instead update a list in place (a comprehension, ``runtime.add_pieces``: shorter
and faster, but no longer differentiable), the reverse pass keeps that form too, on
the statement (``offer``), and goes on; a step that has only an in-place form is marked
``in_place_only``, with the reason it has no other. So are the outer products a loop
adds into an adjoint: one by one in each reversed iteration, or their vectors
collected and multiplied once after the loop (``runtime.outer_sum``, which has no
adjoint rule; ``offer_block``). The pipeline then picks the form by a pass:
``lower_in_place`` (code not differentiated again) puts each in-place form in;
``keep_differentiable`` (the ``grad2`` form) keeps the differentiable ones and
refuses a step that has none.

The forms ride on the statements as an attribute, which the analyses and walks of the
reverse pass do not see (they see the differentiable statement; a form with nothing
in the differentiable code rides on a ``pass``) and ``ir.copy_tree`` copies along.
"""

import ast

from ..errors import TransformError

_IN_PLACE = "_adcompile_in_place"   # statement -> the statements of its in-place form
_DIFFERENTIABLE = "_adcompile_differentiable"   # a placeholder -> its (empty) differentiable form
_ONLY = "_adcompile_in_place_only"  # statement -> (user's node or None, why no other form)


def offer(stmt, in_place):
    """``stmt``, a differentiable statement, with ``in_place`` (a list of statements, maybe
    empty) as its in-place form."""
    setattr(stmt, _IN_PLACE, in_place)
    return stmt


def offer_block(differentiable, in_place):
    """The statements ``differentiable`` (maybe none) with the statements ``in_place`` as
    their in-place form: on the first (the others have none: they go), or on a ``pass``
    that the differentiable form drops."""
    if not differentiable:
        placeholder = ast.Pass()
        setattr(placeholder, _DIFFERENTIABLE, [])
        return [offer(placeholder, in_place)]
    return [offer(s, in_place if i == 0 else []) for i, s in enumerate(differentiable)]


def in_place_only(stmt, reason, node=None):
    """``stmt``, which updates in place, marked as having no differentiable form:
    ``reason`` says so, at the user's ``node`` (None: the caller places the error)."""
    setattr(stmt, _ONLY, (node, reason))
    return stmt


def place_refusals(stmts, node):
    """Give the marks ``in_place_only`` of ``stmts`` (at any depth) that have no place yet
    the user's ``node``."""
    for s in _walk(stmts):
        only = getattr(s, _ONLY, None)
        if only is not None and only[0] is None:
            setattr(s, _ONLY, (node, only[1]))


def lower_in_place(stmts):
    """``stmts`` with each statement that has an in-place form replaced by it (the blocks
    of ifs and loops too, in place)."""
    return _choose(stmts, lambda s: getattr(s, _IN_PLACE, None), lambda s: None)


def keep_differentiable(stmts, source):
    """``stmts`` as they are, the in-place forms dropped; a TransformError (``source``:
    the function's frontend.source, to place it) for a step with no differentiable
    form."""
    def refuse(s):
        only = getattr(s, _ONLY, None)
        if only is not None:
            node, reason = only
            raise source.error(node, reason) if node is not None else TransformError(reason)

    return _choose(stmts, lambda s: getattr(s, _DIFFERENTIABLE, None), refuse)


def _choose(stmts, replacement, check):
    out = []
    for s in stmts:
        check(s)
        new = replacement(s)
        if new is not None:
            out.extend(new)
            continue
        for field in ("body", "orelse"):
            block = getattr(s, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(s, field, _choose(block, replacement, check) or [ast.Pass()])
        out.append(s)
    return out


def _walk(stmts):
    for s in stmts:
        yield s
        for field in ("body", "orelse"):
            block = getattr(s, field, None)
            if isinstance(block, list):
                yield from _walk(s for s in block if isinstance(s, ast.stmt))
