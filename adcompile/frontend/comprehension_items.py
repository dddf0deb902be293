"""Comprehensions over a structure written out as the displays of their items, for
``resolve.Resolver``: ``[w * 2 for w in params.values()]`` is the list of each leaf times
2, a dict comprehension the dict of its pairs, nested for clauses walking nested
structures; an ``if`` clause is decided by the keys alone (``k.startswith("W")``).
``map(f, params)`` is the tuple of ``f`` called on each item, and ``tuple(...)``,
``list(...)`` or ``[*...]`` of either the display of the items."""

import ast
import copy

from ..ir.trees import Leaf, Node, runs_own_code
from .syntax import LEAF


class ComprehensionItems:
    """Part of ``resolve.Resolver``: comprehensions over a structure as their items."""

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
            found.append([substitute(copy.deepcopy(e), bound) for e in elements])
            return
        gen = generators[0]
        steps = self.t.tree_items(substitute(copy.deepcopy(gen.iter), bound))
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
        decided = decide(substitute(copy.deepcopy(test), bindings))
        if decided is UNDECIDED:
            raise self.t.scope.src.error(test, "the if clause of a comprehension over a "
                                               "structure must be decided by the keys alone "
                                               "(k.startswith('W'), k != 'b'); write the loop")
        return bool(decided)

    def _bindings(self, target, part, node):
        """user name -> expression for binding comprehension ``target`` to ``part``."""
        if isinstance(target, ast.Name):
            return {target.id: self._item(part, node)}
        items = None if isinstance(part, Node) and runs_own_code(part, "__iter__") \
            else part.children if isinstance(part, Node) else part
        if not isinstance(target, ast.Tuple) or not isinstance(items, tuple) \
                or len(items) != len(target.elts):
            raise self.t.scope.src.error(node, f"cannot unpack an item into "
                                               f"{ast.unparse(target)}")
        found = {}
        for t, p in zip(target.elts, items):
            found.update(self._bindings(t, p, node))
        return found

    def _item(self, part, node):
        """The expression that reads ``part`` of a structure (a Node, a Leaf or a key)."""
        if isinstance(part, Node):
            return self._placeholder(part, node)
        if isinstance(part, Leaf):
            return self.t.leaf_reference(ast.Name(id=LEAF + part.name, ctx=ast.Load()))
        return ast.Constant(part)

    def mapped(self, node):
        """``map(f, params)`` (``map(f, a, b)``: zipped) of structures: the tuple of ``f``
        called on each item; else None. ``f`` is a name or attribute, read once per item."""
        if not (self.t.callee(node.func).is_(map) and len(node.args) >= 2
                and not node.keywords and _plain_reference(node.args[0])):
            return None
        walked = [self.t.tree_items(a) for a in node.args[1:]]
        if any(w is None for w in walked):
            return None
        calls = [ast.copy_location(ast.Call(func=copy.deepcopy(node.args[0]),
                                            args=[self._item(p, node) for p in parts],
                                            keywords=[]), node)
                 for parts in zip(*walked)]
        return self.visit(ast.copy_location(ast.Tuple(elts=calls, ctx=ast.Load()), node))

    def visit_List(self, node):
        return self._unstarred(node, ast.List)

    def visit_Tuple(self, node):
        return self._unstarred(node, ast.Tuple)

    def _unstarred(self, node, kind):
        """A display whose starred items were written out as displays (``[*map(f,
        params)]``) with their items in place."""
        node = self.generic_visit(node)
        if not isinstance(node.ctx, ast.Load) or not any(
                isinstance(e, ast.Starred) and isinstance(e.value, (ast.List, ast.Tuple))
                for e in node.elts):
            return node
        elts = []
        for e in node.elts:
            starred = isinstance(e, ast.Starred) and isinstance(e.value, (ast.List, ast.Tuple))
            elts.extend(e.value.elts if starred else [e])
        return ast.copy_location(kind(elts=elts, ctx=ast.Load()), node)


def converted(node, called):
    """``tuple(...)`` or ``list(...)`` (``called``: its Callee) of a display: the display,
    a tuple or a list as called; else None."""
    if len(node.args) != 1 or node.keywords or not isinstance(node.args[0], (ast.List,
                                                                              ast.Tuple)):
        return None
    kind = ast.Tuple if called.is_(tuple) else ast.List if called.is_(list) else None
    if kind is None:
        return None
    return ast.copy_location(kind(elts=node.args[0].elts, ctx=ast.Load()), node)


def _plain_reference(e):
    """Whether ``e`` is a name or a chain of attributes of one (``np.sin``, ``relu``)."""
    while isinstance(e, ast.Attribute):
        e = e.value
    return isinstance(e, ast.Name)


UNDECIDED = object()
_COMPARE = {ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b,
            ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b,
            ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
            ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}
#: methods of a key (a str) a clause may call: they only read it
_KEY_METHODS = {"startswith", "endswith", "isdigit", "isalpha", "isupper", "islower",
                "lower", "upper", "strip", "lstrip", "rstrip"}


def decide(e):
    """The value of expression ``e`` when it reads constants only (comparisons, ``not``,
    ``and``/``or``, the methods of a str that read it), else UNDECIDED."""
    if isinstance(e, ast.Constant):
        return e.value
    if isinstance(e, (ast.Tuple, ast.List)):
        items = [decide(x) for x in e.elts]
        return UNDECIDED if any(x is UNDECIDED for x in items) else tuple(items)
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Not):
        v = decide(e.operand)
        return v if v is UNDECIDED else not v
    if isinstance(e, ast.BoolOp):
        values = [decide(v) for v in e.values]
        if any(v is UNDECIDED for v in values):
            return UNDECIDED
        return all(values) if isinstance(e.op, ast.And) else any(values)
    if isinstance(e, ast.Compare) and all(type(op) in _COMPARE for op in e.ops):
        values = [decide(v) for v in [e.left] + e.comparators]
        if any(v is UNDECIDED for v in values):
            return UNDECIDED
        try:
            return all(_COMPARE[type(op)](a, b)
                       for op, a, b in zip(e.ops, values, values[1:]))
        except TypeError:
            return UNDECIDED
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) and not e.keywords \
            and e.func.attr in _KEY_METHODS:
        owner, args = decide(e.func.value), [decide(a) for a in e.args]
        if isinstance(owner, str) and all(isinstance(a, (str, tuple)) for a in args):
            try:
                return getattr(owner, e.func.attr)(*args)
            except TypeError:
                return UNDECIDED
    return UNDECIDED


def substitute(tree, bindings):
    """``tree`` with each load of a name in ``bindings`` replaced by its expression."""
    class Substitute(ast.NodeTransformer):
        def visit_Name(self, node):
            if isinstance(node.ctx, ast.Load) and node.id in bindings:
                return copy.deepcopy(bindings[node.id])
            return node
    return Substitute().visit(tree)
