"""What the user wrote for a name adcompile made, for messages.

A message names what the user wrote, never a generated name: the variable a version is
of (``h`` for ``h_2``: ``NormalFunction.origin``); the expression a name was given for
the value of (``y[1]`` for ``_value1``, ``q['u']`` for a leaf of a dict the function
builds, ``layers[k][0]`` for the first items of a list of tuples:
``NormalFunction.spellings``, which the frontend records with ``spell`` as it makes the
names); the expression a temporary holds (``B[1:]``), read off the statement computing
it. ``user_name`` is the one place messages ask.
"""

import ast

from .blocks import walk
from .nodes import Keep, Op


def spell(spellings, name, text):
    """Record in ``spellings`` (a ``NormalFunction.spellings``) that the generated name
    ``name`` holds what the user wrote as ``text``, unless something was recorded
    already (the first expression that named it: ``q['u']``, not a later copy's), or
    ``text`` holds a name adcompile made (``$t1``)."""
    if "$" not in text:
        spellings.setdefault((None, name), text)


def user_name(fn, name):
    """What the user wrote for the name ``name`` of the normalized function ``fn``: its
    recorded spelling, else the user's variable it is a version of, else, for a
    temporary, the user's expression it holds; ``name`` itself where none is known (a
    user's name)."""
    origin = fn.origin.get(name)
    if origin is not None:
        return fn.spellings.get(origin, origin[1])
    spelled = fn.spellings.get((None, name))
    if spelled is not None:
        return spelled
    if name in getattr(fn.namer, "temps", ()):
        return _computed_as(fn, name) or name
    return name


def _computed_as(fn, name):
    """The user's expression the Op (or the statement kept as written) assigning the
    temporary ``name`` computes, or None (not assigned by one, or by one made of code
    adcompile wrote: ``$with_item``)."""
    for s in walk(fn.body):
        node = s.node if isinstance(s, Op) and s.target == name else \
            s.stmt.value if isinstance(s, Keep) and isinstance(s.stmt, ast.Assign) and [
                ast.unparse(t) for t in s.stmt.targets] == [name] else None
        if node is not None:
            if not isinstance(node, ast.expr):
                return None
            written = getattr(fn.source, "written", None)   # (the user's text at its place)
            text = written(node) if written is not None else ast.unparse(node)
            return None if "$" in text else text
    return None
