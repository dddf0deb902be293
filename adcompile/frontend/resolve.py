"""Rewriting one user expression before it is normalized, where structures are bound
(trees.py): a leaf read with constant keys becomes a reference to the leaf's name,
``len`` of a structure a constant, a comprehension over a structure the list of its
items (and ``sum`` of one a sum), a method of a model object a call of its function, a
structure given to a function that takes a sequence the list of its leaves.
"""

import ast
import copy
import inspect
import itertools

from ..ir.trees import BY_ATTRIBUTE, Leaf, Node
from .syntax import is_user_function

#: the prefix of the names a leaf is referred to by in rewritten user expressions: not an
#: identifier, so it can never be a user's name
LEAF = "$"
SEQUENCE = ("list", "tuple", "namedtuple")


class Resolver(ast.NodeTransformer):
    """Rewrites one user expression for ``Trees.resolve_expression`` (``trees``: the
    Normalizer, whose scope says what names structures)."""

    def __init__(self, trees):
        self.t = trees
        self.placeholders = itertools.count()

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
        method = self._method(node)
        if method is not None:
            node = method
        comprehension = len(node.args) == 1 and isinstance(node.args[0], (ast.GeneratorExp,
                                                                           ast.ListComp))
        func = node.func
        got = self._got(node)
        if got is not None:
            return got
        if isinstance(func, ast.Attribute) and isinstance(self.t.tree_of(func.value), Node):
            # a method called on values not differentiated: called as it is, on the object
            node.args = [self.visit(a) for a in node.args]
            node.keywords = [self.visit(k) for k in node.keywords]
            return node
        node = self.generic_visit(node)
        if comprehension and isinstance(node.args[0], (ast.List, ast.Tuple)) \
                and not node.keywords and t.callee(node.func).is_(sum):
            return _sum_of(node.args[0].elts, node)   # (the comprehension walked a structure)
        called = t.callee(node.func)
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
        if not inspect.isfunction(function):
            raise self.t.scope.src.error(node, f"{ast.unparse(func)}: only plain methods of "
                                               f"{owner.type.__qualname__} can be called on a "
                                               f"structure being differentiated")
        name = f"{LEAF}method{next(self.t.inlining.numbers)}"
        self.t.scope.known[name] = function
        return ast.copy_location(ast.Call(func=ast.Name(id=name, ctx=ast.Load()),
                                          args=[obj] + node.args,
                                          keywords=node.keywords), node)

    def _sequence_argument(self, a):
        """A structure given to a function that takes a sequence (np.stack(params)): the
        list of its leaves."""
        if isinstance(a, ast.Name) and a.id in self.t.scope.trees:
            node = self.t.scope.trees[a.id]
            if node.kind in SEQUENCE and all(isinstance(c, Leaf) for c in node.children):
                return ast.List(elts=[self.t.leaf_reference(ast.Name(id=LEAF + c.name,
                                                                      ctx=ast.Load()))
                                      for c in node.children], ctx=ast.Load())
        return a

    def visit_ListComp(self, node):
        items = self._comprehension(node)
        if items is None:
            return self.generic_visit(node)
        return self.visit(ast.copy_location(ast.List(elts=items, ctx=ast.Load()), node))

    def visit_GeneratorExp(self, node):
        items = self._comprehension(node)
        if items is None:
            return self.generic_visit(node)
        return self.visit(ast.copy_location(ast.Tuple(elts=items, ctx=ast.Load()), node))

    def visit_DictComp(self, node):
        items = self._comprehension(node, elements=(node.key, node.value))
        if items is None:
            return self.generic_visit(node)
        return self.visit(ast.copy_location(ast.Dict(keys=[k for k, _ in items],
                                                     values=[v for _, v in items]), node))

    def _comprehension(self, node, elements=None):
        """The items of a comprehension over a structure (its element with the targets bound
        to each item; for a dict's, ``elements``, its key and value, as pairs), or None when
        it walks something else. Later generators walk structures too (``for layer in
        params.values() for w in layer.values()``), their iterables read with the targets
        of the earlier ones bound."""
        if self.t.tree_items(node.generators[0].iter) is None:
            return None
        if any(gen.is_async for gen in node.generators):
            raise self.t.scope.src.error(node, "an async comprehension is not supported")
        found = []
        self._walk(node, node.generators, {}, elements or (node.elt,), found)
        return [tuple(items) if elements else items[0] for items in found]

    def _walk(self, node, generators, bound, elements, found):
        """Append to ``found`` the ``elements`` for each item of ``generators`` (with the
        targets in ``bound`` already bound) that their if clauses keep."""
        if not generators:
            found.append([_substitute(copy.deepcopy(e), bound) for e in elements])
            return
        gen = generators[0]
        steps = self.t.tree_items(_substitute(copy.deepcopy(gen.iter), bound))
        if steps is None:
            raise self.t.scope.src.error(gen.iter, "a comprehension over a structure whose "
                                                   "later for clause walks something else is "
                                                   "not supported; write the loops")
        for part in steps:
            bindings = {**bound, **self._bindings(gen.target, part, node)}
            if all(self._kept(test, bindings) for test in gen.ifs):
                self._walk(node, generators[1:], bindings, elements, found)

    def _kept(self, test, bindings):
        """Whether an item passes the ``if`` clause ``test`` of a comprehension over a
        structure, decided now from the item's keys (``if k.startswith("W")``); an error
        where the clause reads anything else."""
        decided = _decided(_substitute(copy.deepcopy(test), bindings))
        if decided is _UNDECIDED:
            raise self.t.scope.src.error(test, "the if clause of a comprehension over a "
                                               "structure must be decided by the keys alone "
                                               "(k.startswith('W'), k != 'b'); write the loop")
        return bool(decided)

    def _bindings(self, target, part, node):
        """user name -> expression for binding comprehension ``target`` to ``part``."""
        if isinstance(target, ast.Name):
            if isinstance(part, Node):
                return {target.id: self._placeholder(part, node)}
            if isinstance(part, Leaf):
                return {target.id: self.t.leaf_reference(ast.Name(id=LEAF + part.name,
                                                                   ctx=ast.Load()))}
            return {target.id: ast.Constant(part)}
        items = part.children if isinstance(part, Node) else part
        if not isinstance(target, ast.Tuple) or not isinstance(items, tuple) \
                or len(items) != len(target.elts):
            raise self.t.scope.src.error(node, f"cannot unpack an item into "
                                               f"{ast.unparse(target)}")
        found = {}
        for t, p in zip(target.elts, items):
            found.update(self._bindings(t, p, node))
        return found


_UNDECIDED = object()
_COMPARE = {ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b,
            ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b,
            ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
            ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}
#: methods of a key (a str) a clause may call: they only read it
_KEY_METHODS = {"startswith", "endswith", "isdigit", "isalpha", "isupper", "islower",
                "lower", "upper", "strip", "lstrip", "rstrip"}


def _decided(e):
    """The value of expression ``e`` when it reads constants only (comparisons, ``not``,
    ``and``/``or``, the methods of a str that read it), else _UNDECIDED."""
    if isinstance(e, ast.Constant):
        return e.value
    if isinstance(e, (ast.Tuple, ast.List)):
        items = [_decided(x) for x in e.elts]
        return _UNDECIDED if any(x is _UNDECIDED for x in items) else tuple(items)
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Not):
        v = _decided(e.operand)
        return v if v is _UNDECIDED else not v
    if isinstance(e, ast.BoolOp):
        values = [_decided(v) for v in e.values]
        if any(v is _UNDECIDED for v in values):
            return _UNDECIDED
        return all(values) if isinstance(e.op, ast.And) else any(values)
    if isinstance(e, ast.Compare) and all(type(op) in _COMPARE for op in e.ops):
        values = [_decided(v) for v in [e.left] + e.comparators]
        if any(v is _UNDECIDED for v in values):
            return _UNDECIDED
        try:
            return all(_COMPARE[type(op)](a, b)
                       for op, a, b in zip(e.ops, values, values[1:]))
        except TypeError:
            return _UNDECIDED
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) and not e.keywords \
            and e.func.attr in _KEY_METHODS:
        owner, args = _decided(e.func.value), [_decided(a) for a in e.args]
        if isinstance(owner, str) and all(isinstance(a, (str, tuple)) for a in args):
            try:
                return getattr(owner, e.func.attr)(*args)
            except TypeError:
                return _UNDECIDED
    return _UNDECIDED


def _substitute(tree, bindings):
    """``tree`` with each load of a name in ``bindings`` replaced by its expression."""
    class Substitute(ast.NodeTransformer):
        def visit_Name(self, node):
            if isinstance(node.ctx, ast.Load) and node.id in bindings:
                return copy.deepcopy(bindings[node.id])
            return node
    return Substitute().visit(tree)


def _sum_of(items, node):
    """``sum`` of the expressions ``items`` (0 for none)."""
    if not items:
        return ast.copy_location(ast.Constant(0), node)
    total = items[0]
    for item in items[1:]:
        total = ast.BinOp(left=total, op=ast.Add(), right=item)
    return ast.copy_location(total, node)
