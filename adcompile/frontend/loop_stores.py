"""What a loop's body assigns, from its syntax alone: the names it binds, appends to, pops
from or updates in place (``BodyStores``, which tells what a for loop may walk as it is),
and the names it binds to lists it makes (``made_lists``). Functions of the body's AST,
for loops.py (``BodyStores``, which iteration.py reads) and loop_variables.py.
"""

import ast

from .. import ir
from .dependence import updated_in_place
from .syntax import is_append, is_pop


class BodyStores(frozenset):
    """The user names a loop's body assigns, appends to or pops from; ``fresh``: those of
    them it only ever binds to a new list or tuple display (``pr = [(a, b)]``), never
    changing, through them, the list they held."""

    fresh = frozenset()
    updated = frozenset()   # (those it updates in place: x op= e, x[i] = v)
    items_read = True       # (whether the body reads an item the loop takes from what it walks)

    @classmethod
    def of(cls, body, target=None):
        targets = [n for b in body for n in ir.scope_stores(b)]
        changed = {n.value.func.value.id for b in body for n in ast.walk(b) if is_append(n)} | {
            n.func.value.id for b in body for n in ast.walk(b) if is_pop(n)}
        displayed = {n.targets[0] for b in body for n in ast.walk(b)
                     if isinstance(n, ast.Assign) and len(n.targets) == 1
                     and isinstance(n.targets[0], ast.Name)
                     and isinstance(n.value, (ast.List, ast.Tuple))}
        found = cls({n.id for n in targets} | changed)
        found.fresh = frozenset({n.id for n in targets} - changed
                                - {n.id for n in targets if n not in displayed})
        found.updated = frozenset(updated_in_place(body))
        found.items_read = target is None or bool(
            {n.id for n in ir.scope_stores(target)} & ir.reads(body))
        return found


def made_lists(body):
    """The user names ``body`` binds to a list or tuple display (``row = []``), or only to
    names bound to one there and slices of them (``prev = cur``, ``prev = cur[:] if k else
    cur``)."""
    assigns = [(n.targets[0].id, n.value) for b in body for n in ast.walk(b)
               if isinstance(n, ast.Assign) and len(n.targets) == 1
               and isinstance(n.targets[0], ast.Name)]
    made = {name for name, value in assigns if isinstance(value, (ast.List, ast.Tuple))}
    copies = [(name, _list_sources(value)) for name, value in assigns]
    grown = True
    while grown:
        grown = False
        for name, sources in copies:
            if sources and name not in made and sources <= made:
                made.add(name)
                grown = True
    return made


def _list_sources(value):
    """The names whose lists ``value`` is (or a slice of), or None."""
    if isinstance(value, ast.Name):
        return {value.id}
    if isinstance(value, ast.Subscript) and isinstance(value.slice, ast.Slice):
        return _list_sources(value.value)
    if isinstance(value, ast.IfExp):
        body, orelse = _list_sources(value.body), _list_sources(value.orelse)
        return body | orelse if body and orelse else None
    return None
