"""``functools.reduce``, and ``sorted``, ``min`` and ``max`` with ``key=``, as calls of
nested functions holding their loops (a part of higher_order.py's pass).

``reduce`` becomes a call of a nested function holding its loop. ``sorted``, ``min`` and
``max`` with ``key=`` become calls of nested functions that compute the keys, choose the
positions of the items as Python does, from the keys with their gradient stopped (a
stable sort, the first of the greatest: the choice is piecewise constant), then read the
items at those positions, so that the gradient flows to the chosen items. A ``sorted``
whose key is one position of the items (``key=lambda p: p[0]``) is marked
(``BY_POSITION``): of a list of tuples of values being differentiated, normalizing sorts
its lists (tuple_lists.py).
"""

import ast
import builtins

from .maps_and_filters import function_expression
from .references import placed_tree
from ..ir.parsing import parse

#: the loops of the nested functions, as Python computes them ({name}: the function's name)
TEMPLATES = {
    "reduce": """
def {name}(function, iterable):
    items = [item for item in iterable]
    value = items[0]
    for item in items[1:]:
        value = function(value, item)
    return value
""",
    "reduce_initial": """
def {name}(function, iterable, initial):
    value = initial
    for item in iterable:
        value = function(value, item)
    return value
""",
    "sorted": """
def {name}(function, iterable, reverse=False):
    from adcompile import stop_gradient
    items = [item for item in iterable]
    keys = []
    for item in items:
        key = function(item)
        keys.append(stop_gradient(key))
    return [items[k] for k in sorted(range(len(items)), key=keys.__getitem__, reverse=reverse)]
""",
    # max and min: the first item whose key is the greatest (the least), as Python chooses
    "extreme": """
def {name}(function, iterable):
    from adcompile import stop_gradient
    items = [item for item in iterable]
    keys = []
    for item in items:
        key = function(item)
        keys.append(stop_gradient(key))
    return items[{choose}(range(len(items)), key=keys.__getitem__)]
""",
}

#: the attribute of the call of the "sorted" helper whose key is one position of the items
#: (``key=lambda p: p[0]``): that position (an int)
BY_POSITION = "_adcompile_by_position"


class HelperLoops:
    """The calls of one function that become calls of nested functions: ``callee`` tells
    what a call's function is, ``fresh`` makes a new name; ``helpers`` are the nested
    functions the rewritten calls need, by template."""

    def __init__(self, callee, fresh):
        self.callee, self.fresh = callee, fresh
        self.helpers = {}

    def reduce(self, node):
        """``functools.reduce(f, xs)`` or ``functools.reduce(f, xs, initial)`` as a call of
        a nested function."""
        kind = "reduce" if len(node.args) == 2 else "reduce_initial"
        return self._helper_call(kind, node.args, node)

    def keyed(self, node, called):
        """``sorted(xs, key=f, reverse=r)``, ``max(xs, key=f)``, ``max(a, b, key=f)`` as a
        call of a nested function; ``node`` where there is no ``key=`` (or a ``default=``)."""
        given = {k.arg: k.value for k in node.keywords}
        key = given.pop("key", None)
        if key is None or isinstance(key, ast.Constant) and key.value is None \
                or self.callee(key).kind == "method":
            return node   # (a method of a local, keys.__getitem__: no function to inline)
        if called is builtins.sorted:
            if len(node.args) != 1 or set(given) - {"reverse"}:
                return node
            call = self._helper_call("sorted", [key, node.args[0]] + list(given.values()),
                                     node)
            position = _position_key(key)
            if position is not None:   # (of a list of tuples: tuple_lists.py sorts its lists)
                setattr(call, BY_POSITION, position)
            return call
        if given:
            return node
        items = node.args[0] if len(node.args) == 1 else \
            placed_tree(ast.List(elts=list(node.args), ctx=ast.Load()), node)
        return self._helper_call(called.__name__, [key, items], node)

    def _helper_call(self, kind, args, node):
        """``node`` as a call of the nested function of template ``kind``, given ``args``
        (the function, the iterable, ...)."""
        iterable = args[1]
        if isinstance(iterable, ast.Call) and self.callee(iterable.func).what is builtins.list \
                and len(iterable.args) == 1 and not iterable.keywords \
                and not isinstance(iterable.args[0], ast.Starred):
            args[1] = iterable.args[0]   # (the function walks its iterable once, as list does)
        name = self._helper(kind, node)
        return placed_tree(ast.Call(func=placed_tree(ast.Name(id=name, ctx=ast.Load()), node),
                                    args=args, keywords=[]), node)

    def _helper(self, kind, at):
        """The name of the nested function of template ``kind``, added once."""
        if kind not in self.helpers:
            name = self.fresh(f"{kind}_by_key" if kind in ("sorted", "max", "min")
                              else f"{kind}_loop")
            template = TEMPLATES["extreme" if kind in ("max", "min") else kind]
            node = parse(template.format(name=name, choose=kind)).body[0]
            for n in ast.walk(node):
                for attr in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
                    if hasattr(n, attr):
                        setattr(n, attr, None)
            self.helpers[kind] = placed_tree(node, at)
        return self.helpers[kind].name


def _position_key(key):
    """``j`` for ``key=lambda p: p[j]`` (``j`` an int constant, perhaps negative), else
    None."""
    if not (isinstance(key, ast.Lambda) and function_expression(key, 1)
            and isinstance(key.body, ast.Subscript) and isinstance(key.body.value, ast.Name)
            and key.body.value.id == key.args.args[0].arg):
        return None
    index, sign = key.body.slice, 1
    if isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub):
        index, sign = index.operand, -1
    return sign * index.value if isinstance(index, ast.Constant) \
        and type(index.value) is int else None
