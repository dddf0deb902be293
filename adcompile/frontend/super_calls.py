"""``super().method(...)`` in a method of an object whose class is known while
normalizing (the structure bound to ``self``, or an object read from a module): the
function Python's ``super()`` finds, the next class after the method's own in the
object's MRO that defines the name, called with ``self`` (a static method without it).
The method's own class is the ``__class__`` cell Python gives a method that calls
``super()``. Anything else (``super()`` with arguments, not called at once, a class
method, a name no class after it defines) is left to the refusal in refusals.py."""

import ast
import inspect

from ..ir.trees import Node


def resolve_super_calls(fn, source, scope, runtime_name):
    """Rewrite, in the ``def`` ``fn`` of ``source`` (a method), each ``super().name(...)``
    into a call of the function found, by the name ``runtime_name(function)`` gives it
    (bound in ``scope.known`` too)."""
    cell = source.closure.get("__class__")
    params = source.params
    if cell is None or not params:
        return
    try:
        own = cell.cell_contents
    except ValueError:
        return
    kind = _object_class(params[0], scope)
    if kind is None or own not in kind.__mro__:
        return
    after = kind.__mro__[kind.__mro__.index(own) + 1:]
    for node in ast.walk(fn):
        if not (isinstance(node, ast.Call) and _is_super_attribute(node.func)):
            continue
        found = next((vars(k)[node.func.attr] for k in after if node.func.attr in vars(k)),
                     None)
        if isinstance(found, staticmethod) and inspect.isfunction(found.__func__):
            function, args = found.__func__, node.args
        elif inspect.isfunction(found):
            function = found
            args = [ast.copy_location(ast.Name(id=params[0], ctx=ast.Load()), node)] + node.args
        else:
            continue
        name = runtime_name(function)
        scope.known[name] = function
        node.func = ast.copy_location(ast.Name(id=name, ctx=ast.Load()), node.func)
        node.args = args


def _is_super_attribute(func):
    """Whether ``func`` is ``super().name``."""
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call) \
        and isinstance(func.value.func, ast.Name) and func.value.func.id == "super" \
        and not func.value.args and not func.value.keywords


def _object_class(name, scope):
    """The class of the object the parameter ``name`` (``self``) is bound to, when known
    now: a structure's, or a constant's."""
    tree = scope.trees.get(name)
    if isinstance(tree, Node) and isinstance(tree.type, type):
        return tree.type
    return None
