"""Rewriting one user expression before it is normalized, where structures are bound
(trees.py): a leaf read with constant keys becomes a reference to the leaf's name,
``len`` of a structure a constant, a comprehension over a structure the list of its
items (and ``sum`` of one a sum), a method of a model object a call of its function, a
structure given to a function that takes a sequence the list of its leaves, ``d.values()``
(``keys``, ``items``) given to ``sum``, ``list`` and the like the list it holds.
"""

import ast
import inspect
import itertools

from ..ir.trees import BY_ATTRIBUTE, PROTOCOL, Leaf, Node, is_function, runs_own_code
from .comprehension_items import ComprehensionItems, converted
from .syntax import LEAF, SEQUENCE, TAKING_ITEMS, is_user_function, reversed_argument

#: Python's functions that read the items of what they are given at once
_TAKING_ITEMS = (sum, list, tuple, sorted, max, min, len)


class Resolver(ComprehensionItems, ast.NodeTransformer):
    """Rewrites one user expression for ``Trees.resolve_expression`` (``trees``: the
    Normalizer, whose scope says what names structures)."""

    def __init__(self, trees):
        self.t = trees
        self.placeholders = itertools.count()
        self._called = None   # (the function of the call visited last: see visit_Call)

    def visit_Name(self, node):
        return node

    def _leaf_or_none(self, node):
        found = self.t.tree_of(node) if self.t.might_be_tree(node.value) else None
        if isinstance(found, Leaf):
            return self.t.leaf_reference(ast.copy_location(
                ast.Name(id=LEAF + found.name, ctx=ast.Load()), node))
        return None

    def visit_Subscript(self, node):
        leaf = self._leaf_or_none(node)
        if leaf is not None:
            return leaf
        if isinstance(self.t.tree_of(node.value), Node):
            found = self.t.tree_of(node)   # (a part of a structure: stays, for its user)
            if isinstance(found, Node):
                return self._placeholder(found, node)
        return self.generic_visit(node)

    def visit_Attribute(self, node):
        owner = self.t.tree_of(node.value)
        if isinstance(owner, Node):
            leaf = self._leaf_or_none(node)
            if leaf is not None:
                return leaf
            found = self.t.tree_of(node)
            if isinstance(found, Node):
                return self._placeholder(found, node)
            if owner.kind in BY_ATTRIBUTE and node.attr not in owner.keys:
                return self._class_attribute(owner, node)
        return self.generic_visit(node)

    def _class_attribute(self, owner, node):
        """``obj.name`` where ``name`` is not one of the object's own attributes: a
        property is computed by its function (inlined); data of the class is read from the
        class (not differentiated); anything else is refused."""
        found = inspect.getattr_static(owner.type, node.attr, None)
        if not self.t.varies(node.value):
            return self.generic_visit(node)   # (nothing in it is differentiated: read it)
        if isinstance(found, property) and inspect.isfunction(found.fget):
            name = f"{LEAF}method{next(self.t.inlining.numbers)}"
            self.t.scope.known[name] = found.fget
            return self.visit(ast.copy_location(ast.Call(
                func=ast.Name(id=name, ctx=ast.Load()), args=[node.value], keywords=[]), node))
        if found is None or callable(found) or hasattr(found, "__get__"):
            raise self.t.scope.src.error(node, f"{ast.unparse(node)}: {node.attr!r} is not an "
                                               f"attribute of the {owner.type.__qualname__} "
                                               f"being differentiated, nor data or a property "
                                               f"of its class; read it from an attribute")
        name = self.t.namer.fresh(owner.type.__name__)
        self.t.out.extra_globals[name] = owner.type
        return ast.copy_location(ast.Attribute(value=self.t.leaf_reference(
            ast.Name(id=LEAF + name, ctx=ast.Load())), attr=node.attr, ctx=ast.Load()), node)

    def _placeholder(self, found, node):
        """A name bound to the part ``found`` of a structure (``layers[0]``)."""
        name = f"{LEAF}part{next(self.t.inlining.numbers)}"
        self.t.scope.trees[name] = found
        self.t.scope.spelled[name] = ast.unparse(node)
        return ast.copy_location(ast.Name(id=name, ctx=ast.Load()), node)

    def visit_Call(self, node):
        t = self.t
        made = self._made_object(node.func)
        if made is not None:
            node.func = made
        if t.is_len_of_tree(node):
            return ast.copy_location(ast.Constant(len(t.tree_of(node.args[0]).children)), node)
        fact = t.structure_fact(node)
        if fact is not None:   # isinstance(params, dict), hasattr(model, "b")
            return ast.copy_location(ast.Constant(fact), node)
        kind = t.structure_class(node)
        if kind is not None and node is not self._called:
            # type(params): its class, known now (type(params)(...) is left as written:
            # refused where a value being differentiated is given to a call of a value)
            name = t.namer.fresh(kind.__name__)
            t.out.extra_globals[name] = kind
            return ast.copy_location(ast.Name(id=name, ctx=ast.Load()), node)
        self._called = node.func
        method = self._method(node)
        if method is not None:
            node = method
        mapped = self.mapped(node)
        if mapped is not None:
            return mapped
        comprehension = len(node.args) == 1 and isinstance(node.args[0], (ast.GeneratorExp,
                                                                           ast.ListComp))
        walked = comprehension or len(node.args) == 1 and isinstance(node.args[0], ast.Call) \
            and t.callee(node.args[0].func).is_(map)
        func = node.func
        got = self._got(node)
        if got is not None:
            return got
        if isinstance(func, ast.Attribute) and isinstance(self.t.tree_of(func.value), Node):
            # a method called on values not differentiated: called as it is, on the object
            node.args = [self.visit(a) for a in node.args]
            node.keywords = [self.visit(k) for k in node.keywords]
            return node
        if any(t.callee(func).is_(f) for f in _TAKING_ITEMS) and not node.keywords:
            node.args = [self._view_argument(a) for a in node.args]
        if any(t.callee(func).is_(f) for f in TAKING_ITEMS) and len(node.args) == 1:
            node.args = [self._reversed_items(node.args[0])]
        node = self.generic_visit(node)
        if comprehension and isinstance(node.args[0], (ast.List, ast.Tuple)) \
                and not node.keywords and t.callee(node.func).is_(sum):
            return _sum_of(node.args[0].elts, node)   # (the comprehension walked a structure)
        called = t.callee(node.func)
        made = converted(node, called) if walked else None
        if made is not None:   # (tuple(...) of what a comprehension or map() walked)
            return made
        if not (called.kind == "object" and is_user_function(called.what)):
            node.args = [self._sequence_argument(a) for a in node.args]
        return node

    def _got(self, node):
        """``d.get(key, default)`` of a dict structure and a constant key: the item where
        the dict has the key (its keys are known now), else the default (None without one);
        else None."""
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr == "get" and not node.keywords
                and 1 <= len(node.args) <= 2):
            return None
        owner = self.t.tree_of(func.value)
        if not (isinstance(owner, Node) and owner.kind == "dict"):
            return None
        key = self.t.static_value(node.args[0])
        if isinstance(key, (str, int)) and key in owner.keys:
            item = ast.Subscript(value=func.value, slice=ast.Constant(key), ctx=ast.Load())
            return self.visit(ast.copy_location(item, node))
        if isinstance(key, (str, int)):
            default = node.args[1] if len(node.args) == 2 else ast.Constant(None)
            return self.visit(default)
        return None

    def _made_object(self, func):
        """For ``Layer(W, b)(x)`` and ``Layer(W, b).forward(x)`` (``func``: the function
        called), the object made there bound to a name as a structure (its fields computed
        now), so that the call is its class's method; else None."""
        inner = func.value if isinstance(func, ast.Attribute) else func
        if not (isinstance(inner, ast.Call) and self.t.constructed(inner) is not None):
            return None
        made = self._placeholder(self.t.tree_value(inner), inner)
        if isinstance(func, ast.Attribute):
            return ast.copy_location(ast.Attribute(value=made, attr=func.attr,
                                                   ctx=ast.Load()), func)
        return made

    def _method(self, node):
        """``obj.method(args)`` of a structure ``obj`` as ``Class.method(obj, args)``;
        ``obj(args)`` as ``Class.__call__(obj, args)``."""
        func = node.func
        whole = self.t.tree_of(func)
        if isinstance(whole, Leaf) and whole.function is not None:   # self.act(x)
            return self._function_attribute(node, whole.function)
        if isinstance(func, ast.Name) and is_function(self.t.scope.constants.get(func.id)):
            # f = params["act"] (tree_binding.bind), then f(x)
            return self._function_attribute(node, self.t.scope.constants[func.id])
        if isinstance(whole, Node):   # layer(x), self.layer(x), layers[0](x)
            owner, attr, obj = whole, "__call__", func
        elif isinstance(func, ast.Attribute):
            owner, attr, obj = self.t.tree_of(func.value), func.attr, func.value
        else:
            return None
        if not isinstance(owner, Node) or owner.kind not in BY_ATTRIBUTE \
                or attr in owner.keys or attr == "_replace" and owner.kind == "namedtuple":
            return None   # (nt._replace(W=v): a new structure, TreeValues.replaced_fields)
        if not any(self.t.varies(a) for a in [obj] + node.args
                   + [k.value for k in node.keywords]):
            return None   # (on values not differentiated: called as it is)
        function = inspect.getattr_static(owner.type, attr, None)
        if isinstance(function, staticmethod):   # self.helper(x): the function, no self
            return self._function_attribute(node, function.__func__)
        if not inspect.isfunction(function):
            raise self.t.scope.src.error(node, f"{ast.unparse(func)}: only plain methods of "
                                               f"{owner.type.__qualname__} can be called on a "
                                               f"structure being differentiated")
        name = f"{LEAF}method{next(self.t.inlining.numbers)}"
        self.t.scope.known[name] = function
        return ast.copy_location(ast.Call(func=ast.Name(id=name, ctx=ast.Load()),
                                          args=[obj] + node.args,
                                          keywords=node.keywords), node)

    def _function_attribute(self, node, function):
        """``obj.act(x)`` or ``params["act"](x)`` where that item of the structure holds a
        function (the structure is specialised on it): a call of that function, by a name
        bound to it in the generated code (a function of the user's is inlined)."""
        name = self.t.runtime_name(function)
        self.t.scope.known[name] = function
        return ast.copy_location(ast.Call(func=ast.Name(id=name, ctx=ast.Load()),
                                          args=node.args, keywords=node.keywords), node)

    def _view_argument(self, a):
        """``d.values()``, ``d.keys()`` or ``d.items()`` of a dict structure given to one of
        Python's functions that read their argument's items at once (``sum(terms.values())``,
        ``list(d.items())``): the list of its items, keys or (key, item) pairs, what the
        function reads of the view (a view kept would see later changes of the dict, and
        NumPy makes an object of one: not rewritten)."""
        if not (isinstance(a, ast.Call) and isinstance(a.func, ast.Attribute)
                and a.func.attr in ("values", "keys", "items") and not a.args
                and not a.keywords):
            return a
        owner = self.t.tree_of(a.func.value)
        if not (isinstance(owner, Node) and owner.kind == "dict"):
            return a
        parts = []
        for key in owner.keys:
            item = ast.Subscript(value=a.func.value, slice=ast.Constant(key), ctx=ast.Load())
            parts.append(ast.Constant(key) if a.func.attr == "keys" else item
                         if a.func.attr == "values" else
                         ast.Tuple(elts=[ast.Constant(key), item], ctx=ast.Load()))
        made = ast.List(elts=parts, ctx=ast.Load())
        for n in ast.walk(made):   # (the call's place, for messages)
            if n is not a.func.value and not hasattr(n, "lineno"):
                ast.copy_location(n, a)
        return made

    def _reversed_items(self, a):
        """``reversed(layers)`` of a list or tuple structure given to one of Python's
        functions that read its items at once (``sum``, ``list``, ...): the list of its
        items, last first (``[layers[1], layers[0]]``); else ``a``."""
        seq = reversed_argument(a, self.t.callee)
        owner = self.t.tree_of(seq) if seq is not None else None
        if not (isinstance(owner, Node) and owner.kind in SEQUENCE) \
                or any(runs_own_code(owner, m) for m in PROTOCOL):
            return a
        made = ast.List(elts=[ast.Subscript(value=seq, slice=ast.Constant(i), ctx=ast.Load())
                              for i in reversed(range(len(owner.children)))], ctx=ast.Load())
        for n in ast.walk(made):   # (the call's place, for messages)
            if n is not seq and not hasattr(n, "lineno"):
                ast.copy_location(n, a)
        return made

    def _sequence_argument(self, a):
        """A structure given to a function that takes a sequence (np.stack(params)): the
        list of its leaves."""
        if isinstance(a, ast.Name) and a.id in self.t.scope.trees:
            node = self.t.scope.trees[a.id]
            if node.kind in SEQUENCE and all(isinstance(c, Leaf) for c in node.children) \
                    and not any(runs_own_code(node, m) for m in PROTOCOL):
                return ast.List(elts=[self.t.leaf_reference(ast.Name(id=LEAF + c.name,
                                                                      ctx=ast.Load()))
                                      for c in node.children], ctx=ast.Load())
        return a


def _sum_of(items, node):
    """``sum`` of the expressions ``items`` (0 for none)."""
    if not items:
        return ast.copy_location(ast.Constant(0), node)
    total = items[0]
    for item in items[1:]:
        total = ast.BinOp(left=total, op=ast.Add(), right=item)
    return ast.copy_location(total, node)
