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

Adjoint *arrays* have two forms as well. The reverse pass writes each adjoint as a new
value (``u_bar = v_bar + getitem_bar(g, u, slice(1, None))``, ``W_bar = W_bar + e``) and keeps
track of the arrays an adjoint would have to itself in the in-place form (``fresh``
in adjoints.py); where that form differs it offers it (``offer_array``: ``u_bar =
v_bar.copy(); u_bar[1:] += g``, ``W_bar += e``, no ``as_gradient`` for a gradient that
owns its array). Where the in-place form goes on with an adjoint's array and the
differentiable form makes a new one (``x_bar_2 = zeros_like(x) + x_bar``), the new
name is handed out by ``Namers.differentiable_only``, which records the name the
in-place form uses instead; ``Namers`` records the names the in-place form gives the
later adjoints too (its namer skipped those). ``lower_arrays_in_place`` puts each
array's in-place form in and ``InPlaceNames.rename`` gives the names the in-place form
has, so that first-order code is what a reverse pass writing the in-place form would
write. The values the backward code reads back from the tape may differ too (``x_bar[i]
+= g`` does not read ``x``): the reverse pass finds them in each form (the in-place one
through ``array_in_place_view``) and the tape records both (tape.Tape.in_place_saves).

The forms ride on the statements as attributes, which the analyses and walks of the
reverse pass do not see (they see the differentiable statement; a form with nothing
in the differentiable code rides on a ``pass``) and ``ir.copy_tree`` copies along.
"""

import ast
import copy
from dataclasses import dataclass

from .. import ir
from ..errors import TransformError

_IN_PLACE = "_adcompile_in_place"   # statement -> the statements of its in-place form
_IN_PLACE_ARRAY = "_adcompile_in_place_array"   # the same, for adjoint arrays
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


def offer_array(stmt, in_place):
    """``stmt``, a differentiable statement updating an adjoint array, with the statements
    ``in_place`` (maybe none; sharing no node with ``stmt``) as its in-place form."""
    setattr(stmt, _IN_PLACE_ARRAY, in_place)
    return stmt


def array_in_place_view(stmts):
    """``stmts`` as the in-place form of adjoint arrays has them, for the analyses of the
    reverse pass (what a piece of code reads): a new list, with each statement that has
    such a form replaced by it; ifs and loops are copied shallowly, nothing is changed."""
    out = []
    for s in stmts:
        form = getattr(s, _IN_PLACE_ARRAY, None)
        if form is not None:
            out.extend(form)
            continue
        blocks = {name: getattr(s, name, None) for name in ("body", "orelse")}
        blocks = {name: block for name, block in blocks.items() if isinstance(block, list)
                  and block and isinstance(block[0], ast.stmt)}
        if blocks:
            s = copy.copy(s)
            for name, block in blocks.items():
                setattr(s, name, array_in_place_view(block))
        out.append(s)
    return out


def lower_in_place(stmts):
    """``stmts`` with each statement that has an in-place form of an adjoint list (or of a
    loop's outer products) replaced by it (the blocks of ifs and loops too, in place)."""
    return _choose(stmts, lambda s: getattr(s, _IN_PLACE, None), lambda s: None)


def lower_arrays_in_place(stmts):
    """``stmts`` with each statement that has an in-place form of an adjoint array replaced
    by it (the blocks of ifs and loops too, in place)."""
    return _choose(stmts, lambda s: getattr(s, _IN_PLACE_ARRAY, None), lambda s: None)


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


@dataclass(frozen=True)
class InPlaceNames:
    """What names the in-place form of adjoint arrays has: ``renamed`` (name in the
    differentiable form -> name in the in-place form, where they differ) and the namer
    the in-place form leaves (``namer``: the one to go on with)."""

    renamed: dict
    namer: object

    def rename(self, stmts):
        """Give ``stmts`` (statements or expressions) the names of the in-place form, in
        place."""
        if not self.renamed:
            return
        for node in ir.walk_tree(stmts):
            if isinstance(node, ast.Name) and node.id in self.renamed:
                node.id = self.renamed[node.id]


class Namers:
    """The namer of the reverse pass: it hands out the differentiable form's names and
    keeps, beside it, the namer of the in-place form, which is given the same requests
    but for the names only the differentiable form has (``differentiable_only``)."""

    def __init__(self, namer):
        self.differentiable = namer
        self.in_place = namer.copy()
        self.renamed = {}

    def _both(self, method, *args):
        name = getattr(self.differentiable, method)(*args)
        other = getattr(self.in_place, method)(*args)
        if other != name:
            self.renamed[name] = other
        return name

    def fresh(self, base):
        return self._both("fresh", base)

    def temp(self, prefix="t"):
        return self._both("temp", prefix)

    def version(self, name):
        return self._both("version", name)

    def bar(self, name):
        return self._both("bar", name)

    def take(self, name):
        return self._both("take", name)

    def differentiable_only(self, name, in_place_bar):
        """A new adjoint variable of ``name`` that only the differentiable form has: the
        in-place form goes on with ``in_place_bar`` (a name of the differentiable form)."""
        bar = self.differentiable.bar(name)
        self.renamed[bar] = self.renamed.get(in_place_bar, in_place_bar)
        return bar

    def __getattr__(self, attr):   # (taken, temps, bar_of, ...: the differentiable form's)
        return getattr(self.differentiable, attr)

    def in_place_names(self):
        """The InPlaceNames of what was handed out so far."""
        return InPlaceNames(dict(self.renamed), self.in_place)
