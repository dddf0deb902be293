"""Walks of ASTs (a node, or a list of them, IR nodes and tape nodes too) at a fraction
of ``ast.walk``'s cost: the fields of each node class that may hold nodes are found once
(``node_fields``), from the grammar ``ast`` documents, and only those are read. The passes
walk code often; defuse.py's name queries find the fields they read the same way.
"""

import ast
import re


#: the types of the grammar (``ast.Name.__doc__``: "Name(identifier id, expr_context ctx)")
#: whose fields never hold a node: walked past without being read
_ATOM_TYPES = frozenset({"identifier", "string", "constant", "int"})


def _atom_fields(cls):
    """The fields of the ``ast`` class ``cls`` that its grammar says hold no node (names,
    strings, constants); none for another class (the IR's nodes)."""
    match = re.fullmatch(rf"{cls.__name__}\((.*)\)", cls.__doc__ or "") \
        if cls.__module__ == "ast" else None
    if match is None:
        return set()
    typed = (part.split() for part in match.group(1).split(", ") if part)
    return {name for kind, name in typed if kind.rstrip("?*") in _ATOM_TYPES}


def node_fields(cls, table, skipped):
    """The fields of ``cls`` that may hold nodes, but ``skipped``, recorded in ``table``."""
    atoms = _atom_fields(cls)
    found = table[cls] = tuple(f for f in cls._fields if f not in skipped and f not in atoms)
    return found


#: node class -> its fields that may hold nodes, contexts and operators included
_CHILD_FIELDS = {}


def child_nodes(node):
    """The list of what ``ast.iter_child_nodes(node)`` yields (contexts and operators too),
    at a third of its cost: fields that hold no node are not read."""
    fields = _CHILD_FIELDS.get(node.__class__)
    if fields is None:
        fields = node_fields(node.__class__, _CHILD_FIELDS, ())
    found = []
    for field in fields:
        value = getattr(node, field, None)
        if value.__class__ is list:
            found.extend([v for v in value if isinstance(v, ast.AST)])
        elif isinstance(value, ast.AST):
            found.append(value)
    return found


#: node class -> its fields but ``ctx``, which walk_tree does not enter
_WALKED = {}


def walk_tree(tree):
    """Every AST node of ``tree`` (a node, or a list of them), as ``ast.walk`` yields them
    (breadth first, a node's children read before it is yielded, so that changing them
    then changes nothing walked) but for the expression contexts (``ast.Load()``...), at
    about half its cost: the passes walk code often."""
    todo = list(tree) if tree.__class__ is list else [tree]
    node_type, table = ast.AST, _WALKED
    extend, append = todo.extend, todo.append
    for node in todo:   # (the list grows as it is read)
        fields = table.get(node.__class__)
        if fields is None:
            if not isinstance(node, node_type):   # (None, a string: what lists hold too)
                continue
            fields = node_fields(node.__class__, table, ("ctx",))
        for field in fields:
            value = getattr(node, field, None)
            if value.__class__ is list:
                extend(value)
            elif value is not None:
                append(value)
        yield node


def walk_statements(tree):
    """The nodes of ``tree`` that are not expressions (statements, handlers, ...), in the
    order ``ast.walk`` yields them, without entering expressions, which hold none."""
    todo = list(tree) if tree.__class__ is list else [tree]
    node_type, expr = ast.AST, ast.expr
    for node in todo:
        yield node
        for field in node._fields:
            value = getattr(node, field, None)
            if value.__class__ is list:
                todo.extend([v for v in value if isinstance(v, node_type)
                             and not isinstance(v, expr)])
            elif isinstance(value, node_type) and not isinstance(value, expr):
                todo.append(value)
