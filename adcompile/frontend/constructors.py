"""NamedTuples and dataclasses made in the function (``State(h, c)``, ``Layer(W, b)``):
structures (trees.py) whose fields are the call's arguments, as the ``__new__`` or
``__init__`` Python generates for such a class stores them.

A class whose constructor is its author's (a dataclass with its own ``__init__`` or a
``__post_init__``, fields with ``init=False`` or a ``default_factory``, a NamedTuple
subclass with its own ``__new__``) could do anything with the arguments: its calls are
left to the rest of the frontend, which refuses them.
"""

import ast
import dataclasses
import inspect
import sys

#: where Python's generated ``__new__``/``__init__`` come from (they are made by exec)
_GENERATED = "<string>"
#: default values a field may take from the class, written as constants
_CONSTANTS = (int, float, bool, str, type(None))


def constructor_fields(cls, call):
    """(kind, fields) for ``call``, an AST call of class ``cls``: kind "namedtuple" or
    "dataclass", fields the field names in the class's order -> the argument's expression
    (a default value as an ``ast.Constant``); None if ``cls`` is not such a class or the
    call does not bind to its fields."""
    kind = _kind(cls)
    if kind is None or any(isinstance(a, ast.Starred) for a in call.args) \
            or any(k.arg is None for k in call.keywords):
        return None
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
            and all(f.init for f in dataclasses.fields(cls)):
        return "dataclass"
    return None


def _generated(function):
    code = getattr(function, "__code__", None)
    return code is not None and code.co_filename == _GENERATED


def _defined_in_a_file(cls):
    """Whether ``cls``'s module is a file (then a constructor made by exec is Python's)."""
    return getattr(sys.modules.get(cls.__module__), "__file__", None) is not None
