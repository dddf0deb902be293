"""Small facts about the user's syntax that normalization's parts share."""

import ast
import inspect
import operator
from dataclasses import dataclass
from typing import Callable

from ..errors import in_a_library

#: the prefix of the names a leaf is referred to by in rewritten user expressions (see
#: resolve.py): not an identifier, so it can never be a user's name
LEAF = "$"
#: the kinds of structure (ir.trees) that are sequences
SEQUENCE = ("list", "tuple", "namedtuple")

MISSING = object()


def operator_named(name):
    return getattr(operator, name)


def is_trivial(e):
    """Cheap, side-effect-free expressions that may be repeated in the backward sweep."""
    if isinstance(e, (ast.Constant, ast.Name)):
        return True
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, (ast.USub, ast.UAdd)):
        return isinstance(e.operand, ast.Constant)
    if isinstance(e, ast.Attribute):
        return is_trivial(e.value)
    if isinstance(e, ast.Subscript):
        return is_trivial(e.value) and is_trivial(e.slice)
    if isinstance(e, ast.Slice):
        return all(p is None or is_trivial(p) for p in (e.lower, e.upper, e.step))
    if isinstance(e, ast.Tuple):
        return all(is_trivial(p) for p in e.elts)
    return False


@dataclass
class Ready:
    """A value that is already an operand (in generated names)."""

    operand: ast.expr


@dataclass
class Part:
    """Element ``index`` of the active value ``whole`` in ``a, b = whole``."""

    whole: ast.expr
    index: int


@dataclass
class Deferred:
    """The target user variable ``name``, whose generated name ``define(name)`` is decided
    only when the statement is emitted (after its right-hand side is read: y = y + 1)."""

    define: Callable[[str], str]
    name: str

    def __call__(self):
        return self.define(self.name)


def is_append(node):
    """``name.append(value)`` as a statement."""
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "append"
            and isinstance(node.value.func.value, ast.Name))


def is_update(node):
    """``name.update(...)`` as a statement."""
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "update"
            and isinstance(node.value.func.value, ast.Name))


def is_pop(node):
    """``name.pop()`` as an expression."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "pop" and isinstance(node.func.value, ast.Name))


#: Python's functions that read all the items of their one argument at once, in order
TAKING_ITEMS = (sum, list, tuple, sorted, max, min)


def reversed_argument(call, callee):
    """The sequence ``xs`` of ``reversed(xs)`` when ``call`` is that call, else None: given
    to one of ``TAKING_ITEMS`` (which reads it at once) it is ``xs[::-1]``'s items, in the
    same order (a reversed iterator kept under a name would be read lazily, and once)."""
    if isinstance(call, ast.Call) and len(call.args) == 1 and not call.keywords \
            and not isinstance(call.args[0], ast.Starred) and callee(call.func).is_(reversed):
        return call.args[0]
    return None


def backwards(seq):
    """``seq[::-1]``, placed where ``seq`` is."""
    step = ast.UnaryOp(op=ast.USub(), operand=ast.Constant(1))
    made = ast.Subscript(value=seq, slice=ast.Slice(lower=None, upper=None, step=step),
                         ctx=ast.Load())
    for node in ast.walk(made):
        if node is not seq and not hasattr(node, "lineno"):
            ast.copy_location(node, seq)
    return made


def is_user_function(obj):
    """A plain Python function adcompile can read and inline (or a nested function's stand-in,
    see local_functions.py, or a function adcompile made, whose code it reads: see
    made_by_adcompile)."""
    if getattr(type(obj), "_adcompile_local", False) or made_by_adcompile(obj) is not None:
        return True
    module = obj.__module__ or "" if inspect.isfunction(obj) else ""
    return inspect.isfunction(obj) and module.split(".")[0] not in ("numpy", "adcompile")


def user_method(obj):
    """For a method of the user's class bound to an object (``MODEL.loss``, ``MODEL`` a
    module-level object) or a class method of the user's class (``Layer.from_params``, bound
    to the class), the function to inline with the object or class as its first argument;
    else None."""
    if inspect.ismethod(obj) and is_user_function(obj.__func__) and (
            not isinstance(obj.__self__, type) or is_user_class(obj.__self__)):
        return obj.__func__
    return None


def is_user_class(obj):
    """A class of the user's code (not of NumPy, adcompile, the standard library or an
    installed package): a call of it runs its ``__init__`` (constructors.py), a class
    method of it is inlined, a helper given it calls it as such."""
    if not isinstance(obj, type) or (obj.__module__ or "").split(".")[0] in (
            "builtins", "numpy", "adcompile"):
        return False
    try:
        return not in_a_library(inspect.getsourcefile(obj) or "")
    except (TypeError, OSError):   # (a class made by type(), or of a C extension)
        return False


def called_method(obj):
    """For a module-level object of the user's class with its own ``__call__`` (``model``,
    called as ``model(x)``), that method bound to it (see ``user_method``); else None (also
    for an object of a library's class: ``scipy.stats.norm(mu, s)``, whose call is the
    library's business, frozen.py)."""
    if isinstance(obj, type) or inspect.isroutine(obj):
        return None
    try:
        method = type(obj).__call__.__get__(obj)
    except AttributeError:
        return None
    if user_method(method) is None or in_a_library(inspect.getsourcefile(method) or ""):
        return None
    return method


def made_by_adcompile(obj):
    """(the compiler.Transform, the kind: "grad", "vjp", ...) of a callable adcompile made
    (``ad.grad(f)``), else None."""
    made = getattr(obj, "_adcompile", None) if callable(obj) else None
    return made if isinstance(made, tuple) and len(made) == 2 else None


def is_literal(value):
    if value is None or isinstance(value, (bool, int, float, complex, str)):
        return True
    return isinstance(value, tuple) and all(is_literal(v) for v in value)


_SYMBOLS = {}   # operator class -> its spelling (see symbol)


def symbol(op):
    """The source spelling of an operator node: '+', '@', 'not', ..."""
    found = _SYMBOLS.get(op.__class__)
    if found is None:
        text = ast.unparse(ast.BinOp(ast.Name("a"), op, ast.Name("b"))) \
            if isinstance(op, ast.operator) else ast.unparse(ast.UnaryOp(op, ast.Name("a")))
        found = _SYMBOLS[op.__class__] = text.replace("a", "").replace("b", "").strip()
    return found


def has_call(tree):
    return any(isinstance(n, ast.Call) for n in ast.walk(tree))


def index_expression(index):
    """The subscript ``x[index]`` as an expression that can be passed to a function."""
    if isinstance(index, ast.Slice):
        parts = [p if p is not None else ast.Constant(None)
                 for p in (index.lower, index.upper, index.step)]
        if index.step is None:
            parts.pop()
            if index.lower is None and index.upper is None:
                parts = [ast.Constant(None)]  # slice(None) is the bare ':'

        return ast.Call(func=ast.Name(id="slice", ctx=ast.Load()), args=parts, keywords=[])
    if isinstance(index, ast.Tuple):
        return ast.Tuple(elts=[index_expression(p) for p in index.elts], ctx=ast.Load())
    return index


def item_assigned(stmt):
    """(container, key, value) of ``container[key] = value`` or ``container[key] op= v``
    (the value then ``container[key] op v``), else None."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target, value = stmt.targets[0], stmt.value
    elif isinstance(stmt, ast.AugAssign):
        target = stmt.target
        value = ast.BinOp(left=ast.Subscript(value=getattr(target, "value", None),
                                             slice=getattr(target, "slice", None),
                                             ctx=ast.Load()), op=stmt.op, right=stmt.value)
    else:
        return None
    if not isinstance(target, ast.Subscript):
        return None
    return target.value, target.slice, ast.copy_location(value, stmt)


def is_keyed_place(e):
    """Whether ``e`` reads an object by a fixed route from a name: an item or an attribute,
    with constant keys, of a name or of such a place (``d["w"]``, ``lst[-1]``, ``box.a``,
    ``m[0]``, ``params["layers"][1]``), never the name alone. Reading it twice reads the
    same object, and ``e[...] = v`` writes into that object as NumPy's in-place functions
    do (``np.copyto(e, v)``, ``e.fill(v)``, ``out=e``)."""
    if not isinstance(e, (ast.Subscript, ast.Attribute)):
        return False
    while isinstance(e, (ast.Subscript, ast.Attribute)):
        if isinstance(e, ast.Subscript) and not _constant_key(e.slice):
            return False
        e = e.value
    return isinstance(e, ast.Name)


def _constant_key(index):
    """Whether ``index`` is an int (``-1`` too) or str constant."""
    if isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub):
        index = index.operand
        return isinstance(index, ast.Constant) and type(index.value) is int
    return isinstance(index, ast.Constant) and type(index.value) in (int, str)
