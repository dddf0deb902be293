"""Structured arguments for the checker: made from a program's ``Tree``, flattened into
leaves (each reached by a path of keys, indices and attribute names), a leaf replaced,
copied, and compared in structure with a gradient.

A path is a tuple of steps: a key of a dict, an index of a list or tuple (a NamedTuple
too), or, for any other object, the name of an attribute. The leaves differentiated are
the floats and float arrays (0-d too); other values (ints, None) are not leaves.
"""

import dataclasses

import numpy as np

from .structures import Tree


def is_structure(value):
    return isinstance(value, (dict, list, tuple)) or dataclasses.is_dataclass(value) \
        or (hasattr(value, "__dict__") and not isinstance(value, (np.ndarray, np.generic, type)))


def build(value, namespace):
    """The argument a Tree (or number, or array as tuples) stands for; classes are looked up
    in ``namespace`` (the program's module)."""
    if isinstance(value, Tree):
        items = [(k, build(v, namespace)) for k, v in value.items]
        if value.kind == "dict":
            return dict(items)
        if value.kind in ("list", "tuple"):
            return (list if value.kind == "list" else tuple)(v for _, v in items)
        return getattr(namespace, value.kind)(**dict(items))
    if isinstance(value, (tuple, list)):
        return np.array(value, dtype=float)
    return value


def _attributes(value):
    if dataclasses.is_dataclass(value):
        return [f.name for f in dataclasses.fields(value)]
    return list(vars(value))


def children(value):
    """[(step, child)] of a structure."""
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, (list, tuple)):
        return list(enumerate(value))
    return [(name, getattr(value, name)) for name in _attributes(value)]


def _is_leaf(value):
    if isinstance(value, np.ndarray):
        return value.dtype.kind == "f"
    return isinstance(value, (float, np.floating))


def leaves(value, path=()):
    """[(path, leaf)] of a value: [((), value)] for a number or an array."""
    if not is_structure(value):
        return [(path, value)] if _is_leaf(value) or not path else []
    out = []
    for step, child in children(value):
        out += leaves(child, path + (step,))
    return out


def get(value, path):
    for step in path:
        value = value[step] if isinstance(value, (dict, list, tuple)) else getattr(value, step)
    return value


def replace(value, path, new):
    """A copy of ``value`` (of the structures along the path; other items shared) with the
    item at ``path`` replaced by ``new``."""
    if not path:
        return new
    return rebuild(value, [(step, replace(child, path[1:], new) if step == path[0] else child)
                           for step, child in children(value)])


def copy(value):
    """A copy with fresh arrays and structures."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if not is_structure(value):
        return value
    return rebuild(value, [(step, copy(child)) for step, child in children(value)])


def rebuild(value, items):
    """A structure of the type of ``value`` with the (step, child) ``items``."""
    if isinstance(value, dict):
        return dict(items)
    if isinstance(value, (list, tuple)):
        values = [child for _, child in items]
        if isinstance(value, list):
            return values
        return type(value)(*values) if hasattr(value, "_fields") else tuple(values)
    out = object.__new__(type(value))
    vars(out).update(vars(value))
    for step, child in items:
        object.__setattr__(out, step, child)
    return out


def zeros_like(value):
    """The value with each leaf replaced by zeros (a number by 0.0)."""
    for path, leaf in leaves(value):
        value = replace(value, path, np.zeros(np.shape(leaf)) if np.ndim(leaf) else 0.0)
    return value


def plain(value):
    """A value as a Program's argument sets hold it: structures as Trees, arrays as
    (nested) tuples of floats, 0-d arrays as floats."""
    if isinstance(value, np.ndarray):
        return float(value) if value.ndim == 0 else _tuples(value.tolist())
    if not is_structure(value):
        return value
    items = tuple((step, plain(child)) for step, child in children(value))
    if hasattr(value, "_fields"):   # a NamedTuple is made with its fields by name
        items = tuple((name, child) for name, (_, child) in zip(value._fields, items))
    if isinstance(value, dict):
        kind = "dict"
    elif isinstance(value, list):
        kind = "list"
    elif isinstance(value, tuple) and not hasattr(value, "_fields"):
        kind = "tuple"
    else:
        kind = type(value).__name__
    return Tree(kind, items)


def _tuples(value):
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def label(name, path):
    """How a leaf is named in reports: ``params['s']['x']``, ``params['layers'][0][1]``."""
    return name + "".join(f"[{step!r}]" for step in path)


def structure_problem(g, x, where="gradient"):
    """None if ``g`` has the structure and container types of ``x``, else what differs."""
    if not is_structure(x):
        return None
    if type(g) is not type(x):
        return f"{where} is {type(g).__name__}, the argument {type(x).__name__}"
    mine, theirs = children(g), children(x)
    if [s for s, _ in mine] != [s for s, _ in theirs]:
        return f"{where} has the items {[s for s, _ in mine]}, the argument {[s for s, _ in theirs]}"
    for (step, a), (_, b) in zip(mine, theirs):
        problem = structure_problem(a, b, f"{where}[{step!r}]")
        if problem:
            return problem
    return None
