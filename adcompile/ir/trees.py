"""Structured parameters (pytrees): a differentiated argument that holds its arrays in
dicts, lists, tuples, NamedTuples, dataclasses or plain objects.

A call reveals the structure of such an argument; adcompile specialises on it, as it
does on the number of dimensions of arrays. ``structure(value)`` describes it as a
``Node`` of ``Leaf`` s (differentiable ones: floats and arrays of floats; the rest,
ints, strings, None, integer arrays, pass through untouched). The frontend names every
leaf (``params_W1`` for ``params["W1"]``) and differentiates the function of the
leaves; the generated code reads the leaves from the argument first (``unpack``) and
returns the gradient in the argument's structure (``rebuild``).
"""

import ast
import collections
import dataclasses
import functools
import inspect
import types
from dataclasses import dataclass, replace

import numpy as np

#: kinds of Node, and what a user expression reads a child with
BY_ITEM = ("dict", "list", "tuple")
BY_ATTRIBUTE = ("namedtuple", "dataclass", "object")


@dataclass(frozen=True)
class Leaf:
    """An array or number in a structure; ``name``: its generated name, once named.
    ``function``: the function a leaf holds (``self.act = np.tanh``), which calls of it
    call (specialised on: another function is another structure), or None. ``integer``:
    the leaf is an int (not a bool) or an array of ints, which is not differentiated and
    which the value must not depend on differentiably (analysis/integer_leaves.py)."""

    differentiable: bool
    name: str | None = None
    function: object = None
    integer: bool = False   # an int or an array of ints (not differentiated: checked)


@dataclass(frozen=True)
class Node:
    """A dict, list, tuple, NamedTuple, dataclass or object holding ``children`` under
    ``keys`` (dict keys, indices, field or attribute names)."""

    kind: str
    type: type | None
    keys: tuple
    children: tuple

    def child(self, key):
        """The child under ``key`` (an index may be negative), or None."""
        if self.kind in ("list", "tuple", "namedtuple") and isinstance(key, int) \
                and not isinstance(key, bool):
            if -len(self.children) <= key < len(self.children):
                return self.children[key]
            return None
        for k, c in zip(self.keys, self.children):
            if k == key and type(k) is type(key):
                return c
        return None

    def leaves(self):
        """The leaves, depth first."""
        for c in self.children:
            yield from (c.leaves() if isinstance(c, Node) else [c])

    def nodes(self):
        """This structure and the structures inside it, depth first."""
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.nodes()

    def describe(self):
        """What the user calls it: 'a dict', 'a list of 3 items', 'a Params'."""
        if self.kind in ("dict", "list", "tuple"):
            return f"a {self.kind} of {len(self.children)}"
        return f"a {self.type.__qualname__}"


#: the special methods by which Python reads a sequence's items (see runs_own_code)
PROTOCOL = ("__getitem__", "__iter__", "__len__", "__reversed__")


def runs_own_code(node, method):
    """Whether Python runs code of the class of the structure ``node`` for the special method
    ``method`` (one of ``PROTOCOL``) where adcompile reads the
    fields (``p["w"]``, ``for v in p``, ``a, b = p``, ``len(p)``): the class of a NamedTuple
    overriding tuple's, of a dataclass or object defining one (without one, Python refuses
    such a use of a dataclass or object)."""
    if node.kind not in BY_ATTRIBUTE or node.type is None:
        return False
    base = tuple if node.kind == "namedtuple" else object
    return getattr(node.type, method, None) is not getattr(base, method, None)


class StructureError(TypeError):
    """A value that cannot be a differentiated structure (a cycle, a complex leaf, ...)."""


#: the classes of mappings read as dicts, as Python reads them (``Node.type``: None for dict)
MAPPINGS = (collections.OrderedDict, collections.defaultdict, dict)

#: what a class says of itself that changes none of the ways Python reads its items
#: (``__slotnames__``: copyreg's record, put on the class the first time one of its
#: objects is copied or pickled)
_DESCRIPTIVE = frozenset({"__module__", "__qualname__", "__doc__", "__dict__", "__weakref__",
                          "__firstlineno__", "__static_attributes__", "__annotations__",
                          "__orig_bases__", "__parameters__", "__slotnames__"})


def mapping_base(kind):
    """The class of ``MAPPINGS`` the dict class ``kind`` is, or inherits from nearest."""
    return next(k for k in kind.__mro__ if k in MAPPINGS)   # (as mapping_like finds it)


def own_mapping_code(kind):
    """The names a subclass ``kind`` of a dict, ``OrderedDict`` or ``defaultdict`` defines
    itself (``__getitem__``, ``__init__``, ``get``, a method of its own, ...): code of the
    user's that Python may run where adcompile reads, copies or makes such a mapping."""
    mro = kind.__mro__
    return sorted(name for k in mro[:mro.index(mapping_base(kind))] for name in vars(k)
                  if name not in _DESCRIPTIVE)


def structure(value, _seen=()):
    """The ``Node`` (or ``Leaf``) that describes ``value``, its leaves unnamed."""
    kind = type(value)
    if isinstance(value, dict):
        own = own_mapping_code(kind) if kind is not dict else ()
        if own:
            raise StructureError(f"a {kind.__qualname__} (a dict whose class defines "
                                 f"{', '.join(own[:4])}{', ...' if len(own) > 4 else ''}: "
                                 f"Python runs that code where adcompile would read its "
                                 f"items); pass a dict of them (dict(...))")
        for k in value:
            if not _literal_key(k):
                raise StructureError(f"a dict with the key {k!r}: keys of a differentiated "
                                     f"dict must be strings, numbers, or tuples of them")
        return _node("dict", None if kind is dict else kind, tuple(value), value.values(),
                     value, _seen)
    if kind in (list, tuple):
        return _node(kind.__name__, None, tuple(range(len(value))), value, value, _seen)
    if isinstance(value, tuple) and hasattr(kind, "_fields"):
        return _node("namedtuple", kind, tuple(kind._fields), value, value, _seen)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = tuple(f.name for f in dataclasses.fields(value))
        return _node("dataclass", kind, names, [getattr(value, n) for n in names], value, _seen)
    if _is_object(value):
        names = tuple(vars(value))
        return _node("object", kind, names, [getattr(value, n) for n in names], value, _seen)
    if is_function(value):
        return Leaf(False, function=value)
    return Leaf(is_differentiable(value), integer=is_integer(value))


def is_function(value):
    """Whether ``value`` is a function a structure may hold and code call (``np.tanh``, a
    function of the user's, a lambda, a builtin): a leaf the code is specialised on."""
    return inspect.isfunction(value) or inspect.isbuiltin(value) or isinstance(value, np.ufunc)


def _node(kind, type_, keys, values, whole, seen):
    if id(whole) in seen:
        raise StructureError("a structure that contains itself cannot be differentiated")
    seen = seen + (id(whole),)
    return Node(kind, type_, keys, tuple(structure(v, seen) for v in values))


def _literal_key(k):
    if isinstance(k, tuple):
        return all(_literal_key(x) for x in k)
    return type(k) in (str, int, float, bool) or k is None


def _is_object(value):
    """Whether ``value`` is an instance of a user's class holding attributes (a model):
    not a type, module or function, nor an object of Python's or NumPy's own classes."""
    if not hasattr(value, "__dict__") or isinstance(value, (type, types.ModuleType, np.ndarray,
                                                              np.generic)) \
            or inspect.isroutine(value) or isinstance(value, functools.partial):
        return False
    if type(value) is types.SimpleNamespace:   # (a holder of parameters, as a class of yours)
        return True
    module = (getattr(type(value), "__module__", "") or "").split(".")[0]
    return module not in ("builtins", "numpy", "types", "functools", "scipy")


def is_differentiable(value):
    """Whether a leaf is differentiated: a float or an array of floats."""
    if isinstance(value, (float, np.floating)):
        return True
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


def is_integer(value):
    """Whether a leaf is an int (a bool is not one here: a flag) or an array of ints."""
    if isinstance(value, (int, np.integer)):
        return not isinstance(value, (bool, np.bool_))
    return isinstance(value, np.ndarray) and value.dtype.kind in "iu"


def is_leaf_value(value):
    """Whether ``value`` is an array or number, not a structure (the common, fast case)."""
    return structure_kind(value) is None


def structure_kind(value):
    """The kind of Node ``value`` would be, or None for a leaf."""
    kind = type(value)
    if kind is dict or kind is list or kind is tuple:
        return kind.__name__
    if isinstance(value, dict):
        return "dict"
    if kind in (float, int, np.ndarray) or isinstance(value, np.generic):
        return None
    if isinstance(value, tuple) and hasattr(kind, "_fields"):
        return "namedtuple"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return "dataclass"
    return "object" if _is_object(value) else None


def leaf_values(node, value):
    """The values at the leaves of ``node`` in ``value``, depth first."""
    if isinstance(node, Leaf):
        return [value]
    found = []
    for k, c in zip(node.keys, node.children):
        found.extend(leaf_values(c, _read(node, value, k)))
    return found


def _read(node, value, key):
    return value[key] if node.kind in BY_ITEM else getattr(value, key)


def with_leaves(node, value, leaves, mapping_like):
    """``value`` (of structure ``node``) with its differentiable leaves replaced by
    ``leaves`` (an iterator, depth first); other leaves are kept. ``mapping_like``: the
    runtime helper that makes an ``OrderedDict``, ``defaultdict`` or dict subclass."""
    if isinstance(node, Leaf):
        return next(leaves) if node.differentiable else value
    parts = {k: with_leaves(c, _read(node, value, k), leaves, mapping_like)
             for k, c in zip(node.keys, node.children)}
    if node.kind == "dict":
        return parts if node.type is None else mapping_like(value, parts)
    if node.kind in ("list", "tuple"):
        return (list if node.kind == "list" else tuple)(parts.values())
    if node.kind == "namedtuple":
        return value._replace(**parts)
    new = _shallow_copy(value)
    for k, v in parts.items():
        object.__setattr__(new, k, v)
    return new


def _shallow_copy(value):
    import copy
    return copy.copy(value)


# -- in generated code ---------------------------------------------------------------------


def access(node, base, key):
    """The expression that reads the child ``key`` of ``base`` (an ``ast.expr``)."""
    if node.kind in BY_ITEM:
        return ast.Subscript(value=base, slice=ast.Constant(key), ctx=ast.Load())
    return ast.Attribute(value=base, attr=key, ctx=ast.Load())


def unpack(param, node):
    """``[(leaf name, expression reading it from param)]`` for every leaf of ``node``."""
    found = []

    def walk(n, base):
        for k, c in zip(n.keys, n.children):
            expr = access(n, base, k)
            if isinstance(c, Node):
                walk(c, expr)
            else:
                found.append((c.name, expr))

    walk(node, ast.Name(id=param, ctx=ast.Load()))
    return found


def rebuild(node, base, value_of, replace_fields, mapping="mapping_like"):
    """The expression for the structure ``node`` (read from ``base``) whose differentiable
    leaves are ``value_of(leaf)``: a dict, list or tuple display (``mapping(base, {...})``,
    the runtime helper's name, for an ``OrderedDict``, ``defaultdict`` or dict subclass),
    ``base._replace(...)`` for a NamedTuple, ``replace_fields(base, ...)`` (the runtime
    helper's name) for dataclasses and objects. Leaves that are not differentiated are read
    from ``base``."""
    if isinstance(node, Leaf):
        return value_of(node) if node.differentiable else base
    parts = [(k, rebuild(c, access(node, base, k), value_of, replace_fields, mapping))
             for k, c in zip(node.keys, node.children)]
    if node.kind == "dict":
        display = ast.Dict(keys=[ast.Constant(k) for k, _ in parts],
                           values=[v for _, v in parts])
        return display if node.type is None else ast.Call(
            func=ast.Name(id=mapping, ctx=ast.Load()), args=[base, display], keywords=[])
    if node.kind in ("list", "tuple"):
        kind = ast.List if node.kind == "list" else ast.Tuple
        return kind(elts=[v for _, v in parts], ctx=ast.Load())
    changed = [ast.keyword(arg=k, value=v) for (k, v), c in zip(parts, node.children)
               if any(leaf.differentiable for leaf in _leaves_of(c))]
    if node.kind == "namedtuple":
        method = ast.Attribute(value=base, attr="_replace", ctx=ast.Load())
        return ast.Call(func=method, args=[], keywords=changed)
    return ast.Call(func=ast.Name(id=replace_fields, ctx=ast.Load()), args=[base],
                    keywords=changed)


def rebuild_values(node, values, classes=None):
    """The display of the structure ``node`` holding the expressions ``values`` (an
    iterator, one per leaf, depth first): dicts, lists and tuples as displays, a NamedTuple
    or dataclass as a call of its class by its name in ``classes`` (id(class) -> name; a
    tuple where it has none, or a dataclass some field of which its ``__init__`` does not
    take), an ``OrderedDict`` as that class's call of the dict's display."""
    if isinstance(node, Leaf):
        return next(values)
    parts = [rebuild_values(c, values, classes) for c in node.children]
    name = (classes or {}).get(id(node.type))
    if node.kind == "dict":
        display = ast.Dict(keys=[ast.Constant(k) for k in node.keys], values=parts)
        return display if name is None else ast.Call(   # (an OrderedDict)
            func=ast.Name(id=name, ctx=ast.Load()), args=[display], keywords=[])
    if node.kind == "namedtuple" and name is not None:
        return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=parts, keywords=[])
    if node.kind == "dataclass" and name is not None \
            and set(node.keys) == {f.name for f in dataclasses.fields(node.type) if f.init}:
        return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=[], keywords=[
            ast.keyword(arg=k, value=p) for k, p in zip(node.keys, parts)])
    return (ast.List if node.kind == "list" else ast.Tuple)(elts=parts, ctx=ast.Load())


def _leaves_of(c):
    return list(c.leaves()) if isinstance(c, Node) else [c]


def leaf_name_hint(param, path):
    """A readable name for the leaf at ``path`` (keys) of parameter ``param``:
    ``params_W1``, ``params_0_1``."""
    parts = [param]
    for k in path:
        text = str(k) if isinstance(k, (str, int)) and not isinstance(k, bool) else "item"
        parts.append(text if text.isidentifier() or text.isdigit() else "item")
    return "_".join(parts)


def unnamed(node):
    """``node`` with its leaves' names taken off: the structure alone, as ``structure``
    describes a value."""
    if not isinstance(node, Node):
        return replace(node, name=None)
    return Node(node.kind, node.type, node.keys, tuple(unnamed(c) for c in node.children))


def name_leaves(node, param, fresh):
    """``node`` with each leaf named by ``fresh(leaf_name_hint(...))``."""
    def walk(n, path):
        if isinstance(n, Leaf):
            return replace(n, name=fresh(leaf_name_hint(param, path)))
        return Node(n.kind, n.type, n.keys, tuple(walk(c, path + (k,))
                                                   for k, c in zip(n.keys, n.children)))
    return walk(node, ())


def complex_leaf(value, _seen=()):
    """The path (a tuple of keys) to a complex number or array in ``value``, a dict, list,
    tuple or NamedTuple of any nesting, or None."""
    if isinstance(value, (complex, np.complexfloating)) \
            or isinstance(value, np.ndarray) and value.dtype.kind == "c":
        return ()
    kind = type(value)
    if isinstance(value, dict):
        items = value.items()
    elif kind is list or isinstance(value, tuple):
        items = enumerate(value)
    else:
        return None
    if id(value) in _seen:
        return None
    seen = _seen + (id(value),)
    for key, item in items:
        if type(item) not in (float, int, bool, str):
            found = complex_leaf(item, seen)
            if found is not None:
                return (key,) + found
    return None
