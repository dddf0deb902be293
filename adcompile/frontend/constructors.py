"""NamedTuples, dataclasses and plain objects made in the function (``State(h, c)``,
``Layer(W, b)``, ``Model(W, b)``): structures (trees.py) whose fields are what the
constructor stores.

For a NamedTuple or dataclass that is the call's arguments, as the ``__new__`` or
``__init__`` Python generates stores them; for a plain class, the attributes its
``__init__`` sets when that is all it does (``self.W = W``, ``self.W, self.b = W, b``,
``self.scale = 2.0 * s``:
arithmetic of its parameters and constants), with the call's arguments put for the
parameters: names, constants, items with constant keys (``params["W"]``), or arithmetic
of those for a parameter the ``__init__`` reads once (none is computed twice). A class whose constructor
does anything else (a dataclass with its own ``__init__`` or a ``__post_init__``, fields
with ``init=False`` or a ``default_factory``, an ``__init__`` that calls something) could
do anything with the arguments: its calls are left to the rest of the frontend, which
refuses them.
"""

import ast
import copy
import dataclasses
import inspect
import sys

from ..errors import TransformError
from .source import FunctionSource, own_signature
from .syntax import is_keyed_place

#: where Python's generated ``__new__``/``__init__`` come from (they are made by exec)
_GENERATED = "<string>"
#: default values a field may take from the class, written as constants
_CONSTANTS = (int, float, bool, str, type(None))


def constructor_fields(cls, call):
    """(kind, fields) for ``call``, an AST call of class ``cls``: kind "namedtuple" or
    "dataclass", fields the field names in the class's order -> the argument's expression
    (a default value as an ``ast.Constant``); None if ``cls`` is not such a class or the
    call does not bind to its fields."""
    if any(isinstance(a, ast.Starred) for a in call.args) \
            or any(k.arg is None for k in call.keywords):
        return None
    if isinstance(cls, type) and type(cls).__call__ is not type.__call__:
        return None   # (a metaclass's __call__ may do anything with the object made)
    kind = _kind(cls)
    if kind is None:
        return _stored(cls, call)
    try:
        bound = inspect.signature(cls).bind(*call.args, **{k.arg: k.value for k in call.keywords})
    except (TypeError, ValueError):
        return None   # (Python's own error, when the call runs)
    bound.apply_defaults()
    fields = {}
    for name, value in bound.arguments.items():
        if not isinstance(value, ast.AST):
            if type(value) not in _CONSTANTS:
                return None
            value = ast.copy_location(ast.Constant(value), call)
        fields[name] = value
    return kind, fields


def _kind(cls):
    """"namedtuple" or "dataclass" for a class whose constructor Python generated and only
    stores its arguments, else None."""
    if not isinstance(cls, type) or not _defined_in_a_file(cls):
        return None
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        return "namedtuple" if _generated(cls.__new__) else None
    if dataclasses.is_dataclass(cls) and "__init__" in vars(cls) and _generated(cls.__init__) \
            and not hasattr(cls, "__post_init__") \
            and all(f.init for f in dataclasses.fields(cls)) \
            and list(inspect.signature(cls).parameters) == [f.name for f in
                                                            dataclasses.fields(cls)]:
        return "dataclass"   # (an InitVar is a parameter the object does not keep)
    return None


def _generated(function):
    code = getattr(function, "__code__", None)
    return code is not None and code.co_filename == _GENERATED


def _defined_in_a_file(cls):
    """Whether ``cls``'s module is a file (then a constructor made by exec is Python's)."""
    return getattr(sys.modules.get(cls.__module__), "__file__", None) is not None


#: what the values an ``__init__`` stores may be made of
_ARITHMETIC = (ast.Name, ast.Constant, ast.BinOp, ast.UnaryOp, ast.Load, ast.operator,
               ast.unaryop)


def _stored(cls, call):
    """("object", attribute -> expression) for ``call`` of a plain class whose ``__init__``
    only stores arithmetic of its parameters (see the module's docstring), else None."""
    # (its own __init__, or the one it inherits: class Relu(Dense) with Dense's)
    owner = next((k for k in cls.__mro__ if "__init__" in vars(k)), None) \
        if isinstance(cls, type) and cls.__new__ is object.__new__ else None
    init = vars(owner)["__init__"] if owner is not None else None
    if not inspect.isfunction(init) or not _defined_in_a_file(cls) \
            or not _defined_in_a_file(owner) or not _plain_attributes(cls) \
            or not all(_read_only(a) or _arithmetic(a) for a in list(call.args)
                       + [k.value for k in call.keywords] if isinstance(a, ast.AST)):
        return None
    try:
        node = FunctionSource(init).node
        bound = own_signature(init).bind(None, *call.args,
                                             **{k.arg: k.value for k in call.keywords})
    except (TransformError, TypeError, ValueError):
        return None
    bound.apply_defaults()
    params = list(bound.arguments)
    given = {}
    for name, value in list(bound.arguments.items())[1:]:
        if not isinstance(value, ast.AST):
            if type(value) not in _CONSTANTS:
                return None
            value = ast.Constant(value)
        given[name] = value
    reads = {}   # (a parameter given arithmetic is read once at most: it is computed once)
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            reads[n.id] = reads.get(n.id, 0) + 1
    if any(reads.get(p, 0) > 1 for p, value in given.items() if not _read_only(value)):
        return None
    fields = {}
    for stmt in node.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue   # (the docstring)
        for target, value in _stores(stmt):
            if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                    and target.value.id == params[0]) \
                    or not all(isinstance(n, _ARITHMETIC) for n in ast.walk(value)) \
                    or any(isinstance(n, ast.Name) and n.id not in given
                           for n in ast.walk(value)):
                return None
            if hasattr(inspect.getattr_static(cls, target.attr, None), "__set__"):
                return None   # (a property's setter, say, would store something else)
            fields[target.attr] = _put(value, given, call)
    return ("object", fields) if fields else None


def _stores(stmt):
    """[(target, value)] that the statement ``stmt`` of an ``__init__`` assigns: one for
    ``self.W = W``, one per item for ``self.W, self.b = W, b`` (the values read only the
    parameters: the order of the stores does not matter); [(None, None)] for any other
    statement."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
        return [(None, None)]
    target, value = stmt.targets[0], stmt.value
    if isinstance(target, (ast.Tuple, ast.List)):
        if not isinstance(value, (ast.Tuple, ast.List)) or len(value.elts) != len(target.elts) \
                or any(isinstance(e, ast.Starred) for e in target.elts + value.elts):
            return [(None, None)]
        return list(zip(target.elts, value.elts))
    return [(target, value)]


def _read_only(e):
    """Whether the argument ``e`` only reads a value: a name, a constant, or an item of one
    with constant keys (``params["W"]``, ``layers[0]["b"]``, an item of a structure)."""
    while isinstance(e, ast.Subscript) and isinstance(e.slice, ast.Constant):
        e = e.value
    return isinstance(e, (ast.Name, ast.Constant))


def _arithmetic(e):
    """Whether the argument ``e`` is arithmetic of values ``_read_only`` reads
    (``2.0 * W``), or of items and attributes read by constant keys (``layers[-1]``,
    ``params.b``): put in place of its parameter where the ``__init__`` reads that once."""
    return all(isinstance(n, _ARITHMETIC) or isinstance(n, ast.Subscript) and _read_only(n)
               or is_keyed_place(n) for n in ast.walk(e))


def _plain_attributes(cls):
    """Whether setting and reading ``cls``'s attributes is Python's own."""
    return cls.__setattr__ is object.__setattr__ \
        and cls.__getattribute__ is object.__getattribute__ and not hasattr(cls, "__getattr__")


def _put(expr, given, call):
    """A copy of ``expr`` with the parameters replaced by the call's arguments, at the
    call's place."""
    class Put(ast.NodeTransformer):
        def visit_Name(self, node):
            return ast.copy_location(copy.deepcopy(given[node.id]), call)

    new = Put().visit(copy.deepcopy(expr))
    for n in ast.walk(new):
        ast.copy_location(n, call)
    return new