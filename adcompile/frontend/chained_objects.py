"""A method called, in one expression, on the object a class method or a module-level
object's method makes: ``return Ridge.from_vector(theta).loss(X, y)``, written as the
statements that name the object first::

    ridge = Ridge.from_vector(theta)
    return ridge.loss(X, y)

which is what the walk differentiates (the object is a structure, its method inlined:
assignments.py, resolve.py). Python makes the object first too: the function a call calls
is evaluated before its arguments. The pass names it only where the call is the whole value
of a ``return``, of an assignment to a name or of an expression statement, so that nothing
else of the statement runs before it. A syntax-only pass of ``desugar``.
"""

import ast
import inspect

from .. import ir
from ..ir.naming import names_in
from .syntax import is_user_class, user_method


def name_chained_objects(fn, source):
    """Rewrite (in place) each statement of ``fn``, a copy of ``source``'s def, whose value
    calls a method of what a class method or a module-level object's method makes."""
    local = set(source.params) | ir.assigns([fn])
    taken = names_in(fn) | local

    def block(stmts):
        out = []
        for s in stmts:
            if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for inner in _blocks(s):
                    block(inner)
            value = s.value if isinstance(s, (ast.Return, ast.Expr)) or isinstance(
                s, ast.Assign) and all(isinstance(t, ast.Name) for t in s.targets) else None
            made = _made_by_a_method(value, source, local)
            if made is not None:
                name = _fresh(made, taken)
                out.append(ast.copy_location(ast.Assign(
                    targets=[ast.Name(id=name, ctx=ast.Store())], value=value.func.value), s))
                value.func.value = ast.copy_location(ast.Name(id=name, ctx=ast.Load()),
                                                     value.func.value)
            out.append(s)
        stmts[:] = out

    block(fn.body)


def _blocks(s):
    """The blocks of statements ``s`` holds."""
    found = [getattr(s, f) for f in ("body", "orelse", "finalbody")
             if isinstance(getattr(s, f, None), list)]
    return found + [h.body for h in getattr(s, "handlers", [])]


def _made_by_a_method(value, source, local):
    """For ``value``, ``NAME.make(...).method(...)`` where ``NAME`` is a module-level class
    of the user's and ``make`` its class method, or a module-level object of the user's
    class and ``make`` its method: the name the object made is given (from the class's name
    or the method's); else None."""
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
            and isinstance(value.func.value, ast.Call)):
        return None
    maker = value.func.value.func
    if not (isinstance(maker, ast.Attribute) and isinstance(maker.value, ast.Name)
            and maker.value.id not in local):
        return None
    owner = source.resolve(maker.value.id, None)
    found = inspect.getattr_static(owner, maker.attr, None)
    if not isinstance(found, classmethod) and not inspect.isfunction(found):
        return None   # (a property is not run to find out what it gives)
    if user_method(getattr(owner, maker.attr)) is None:
        return None
    return owner.__name__.lower() if is_user_class(owner) else maker.attr


def _fresh(base, taken):
    name, k = base, 1
    while name in taken:
        k += 1
        name = f"{base}_{k}"
    taken.add(name)
    return name
