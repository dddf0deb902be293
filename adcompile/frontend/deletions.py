"""``del name`` of the function's own variables, dropped: a syntax-only pass of
``desugar``.

Code that frees a large temporary as soon as it is done with it (``del G`` after the
last use, ``del h, c`` at the end of a loop's body) changes no value: a name deleted
is unbound until it is assigned again, and a function that runs reads it only after
that. The generated code keeps what it needs for the reverse sweep anyway, so the
statement is dropped. ``del`` of an item, slice or attribute (``del d[k]``, ``del
xs[0]``, ``del self.h``) changes a container or an object and stays refused
(refusals.py).
"""

import ast


def drop_name_deletions(fn):
    """Remove (in place) from ``fn``, a def, each ``del`` of names only (at any depth; a
    block left empty holds ``pass``)."""
    for node in ast.walk(fn):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not (isinstance(block, list) and block and isinstance(block[0], ast.stmt)):
                continue
            kept = [s for s in block if not _names_only(s)]
            if len(kept) < len(block):
                setattr(node, field, kept or [ast.copy_location(ast.Pass(), block[0])])


def _names_only(stmt):
    return isinstance(stmt, ast.Delete) and all(isinstance(t, ast.Name) for t in stmt.targets)
