"""References to nested functions made explicit: a call passes what the function reads, a
function passed as an argument becomes a ``REFERENCE`` node (see closures.py); any other
use is refused. ``placed``, ``placed_tree`` and ``copy_call`` make nodes that keep the marks
(place in an inlined function, ``REFERENCE``) of those they stand for."""

import ast
import copy

from .nested_defaults import passed_defaults
from .source import PLACE

#: the attribute of a call node that stands for a nested function passed as a value
REFERENCE = "_adcompile_reference"

#: why a nested function may only be called or passed on
ONLY_CALLED = ("adcompile inlines a nested function or lambda where it is called: it can be "
                "called, or passed as an argument to a function of yours that calls it")


class References(ast.NodeTransformer):
    """Each reference to a nested function made explicit: a call passes what it reads, a
    function passed as an argument becomes a ``REFERENCE`` node; any other use is refused."""

    def __init__(self, table, positions, anonymous, error):
        self.table, self.positions, self.error = table, positions, error
        self.position = 0

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Lambda):
            func = node.func = ast.copy_location(ast.Name(id=func.key, ctx=ast.Load()), func)
        if not (isinstance(func, ast.Name) and func.id in self.table):
            node.func = self.visit(func)
        node.args = [self._argument(a) for a in node.args]
        for k in node.keywords:
            k.value = self._argument(k.value)
        if isinstance(func, ast.Name) and func.id in self.table:
            self._check_defined(func.id, func)
            node.keywords += passed_defaults(self.table[func.id], node, self.error)
            given = {k.arg for k in node.keywords}
            for v in self.table[func.id].free:
                if v in given:
                    raise self.error(node, f"{func.id}() reads the variable {v!r} of the "
                                           f"enclosing function, and is also given {v}= here; "
                                           f"rename one of them")
                node.keywords.append(ast.keyword(arg=v, value=self._value(v, node)))
        return node

    def _argument(self, a):
        if isinstance(a, ast.Lambda):
            return self.reference(a.key, a)
        if isinstance(a, ast.Name) and a.id in self.table and isinstance(a.ctx, ast.Load):
            return self.reference(a.id, a)
        return self.visit(a)

    def visit_Name(self, node):
        if node.id in self.table and isinstance(node.ctx, ast.Load):
            raise self.error(node, f"the nested function {node.id}() is used as a value here "
                                   f"(returned, stored or assigned); {ONLY_CALLED}")
        return node

    def visit_FunctionDef(self, node):
        return node   # (refused by _refuse_misplaced)

    def reference(self, name, at):
        """The ``REFERENCE`` node for nested function ``name`` passed as a value at ``at``."""
        self._check_defined(name, at)
        ref = ast.Call(func=placed(ast.Name(id=name, ctx=ast.Load()), at), args=[], keywords=[
            ast.keyword(arg=v, value=self._value(v, at)) for v in self.table[name].free])
        setattr(ref, REFERENCE, True)
        return placed(ref, at)

    def _value(self, v, at):
        """What a reference passes for free variable ``v``: the variable, or a reference."""
        if v in self.table:
            return self.reference(v, at)
        return placed(ast.Name(id=v, ctx=ast.Load()), at)

    def _check_defined(self, name, at):
        if name in self.positions and self.position < self.positions[name]:
            raise self.error(at, f"{self.table[name].__name__}() is used before its def; "
                                 f"define it first")


def placed(new, at):
    """``new`` at the position (and in the inlined function's place) of ``at``."""
    ast.copy_location(new, at)
    if hasattr(at, PLACE):
        setattr(new, PLACE, getattr(at, PLACE))
    return new


def placed_tree(tree, at):
    """``tree`` with each node that has no position at ``at``'s (and in its function's
    place: source.PLACE)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.expr, ast.stmt, ast.excepthandler, ast.arg, ast.keyword)) \
                and getattr(node, "lineno", None) is None:
            ast.copy_location(node, at)
            if hasattr(at, PLACE):
                setattr(node, PLACE, getattr(at, PLACE))
    return tree


def copy_call(call, args, keywords):
    """A copy of ``call`` (with its marks) with other arguments."""
    new = copy.copy(call)
    new.args, new.keywords = args, keywords
    return new
