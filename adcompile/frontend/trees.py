"""Structured values (pytrees) known while normalizing: parameters held in dicts, lists,
tuples, NamedTuples, dataclasses and objects, taken apart at compile time.

A differentiated argument that is a structure is specialised on (see ir/trees.py): its
leaves become parameters of their own, named after their place (``params_W1``). Here a
user name bound to a structure (``scope.trees``: the parameter, ``layer = params[0]``,
``state = {"h": h}``, a helper's parameter given one) is resolved statically, before each
statement is normalized:

- ``params["W1"]``, ``p.W``, ``layers[-1][0]``, ``params[:-1]`` with constant keys name
  a leaf (or a part of the structure);
- ``len(params)`` is a constant; a loop over a structure (``for W, b in params``, also
  under ``enumerate``, ``zip``, ``reversed``, ``.items()``/``.values()``/``.keys()``, and
  ``for i in range(len(params))`` indexing it) is unrolled, one copy of its body per
  item; a comprehension over one becomes a list of its items, ``sum(...)`` of one a sum;
- ``W, b = layer`` unpacks, ``{"h": h}`` and ``[(W1, b1), (W2, b2)]`` holding
  structures build one, a structure passed to (or returned from) a helper stays one, and
  ``self.forward(x)`` calls the method of the object's class with ``self`` the structure.

Any other use of a name bound to a structure is refused (default deny): it must never
be read as a constant. Part of ``normalize.Normalizer``.
"""

import ast
import copy
import inspect
import itertools

from .. import ir
from ..errors import TransformError
from ..ir.trees import BY_ATTRIBUTE, Leaf, Node
from .source import FunctionSource
from .syntax import is_user_function
from .validate import refuse_comprehensions

NOT_STATIC = object()
#: the prefix of the names a leaf is referred to by in rewritten user expressions: not an
#: identifier, so it can never be a user's name
LEAF = "$"
_SEQUENCE = ("list", "tuple", "namedtuple")


class Trees:
    """Part of ``normalize.Normalizer``: user names bound to structures."""

    # -- what a user expression denotes --------------------------------------------------

    def tree_of(self, e):
        """The Node or Leaf a user expression names statically (a name bound to a structure,
        read with constant keys), else None. Emits no code."""
        if isinstance(e, ast.Name):
            return self.scope.trees.get(e.id)
        if isinstance(e, (ast.Subscript, ast.Attribute)):
            base = self.tree_of(e.value)
            if not isinstance(base, Node):
                return None
            if isinstance(e, ast.Attribute):
                if base.kind not in BY_ATTRIBUTE or e.attr not in base.keys:
                    return None
                return base.child(e.attr)
            return self._item(base, e)
        return None

    def fixed_leaf(self, e):
        """The Leaf ``e`` reads from a structure bound to a name the function never assigns
        (what it names is then the same everywhere), else None; never an error."""
        base = e
        while isinstance(base, (ast.Subscript, ast.Attribute)):
            base = base.value
        if not (isinstance(base, ast.Name) and base.id in self.scope.fixed_trees):
            return None
        try:
            found = self.tree_of(e)
        except TransformError:
            return None
        return found if isinstance(found, Leaf) else None

    def _item(self, base, e):
        """``base[key]`` for a constant key or slice (an error otherwise)."""
        key = self.static_value(e.slice)
        if key is NOT_STATIC:
            raise self.scope.src.error(e, f"{ast.unparse(e.value)} is {base.describe()} being "
                                          f"differentiated: index it with a constant, or loop "
                                          f"over it (for item in ...) to have it unrolled")
        if isinstance(key, slice) and base.kind in _SEQUENCE:
            picked = range(len(base.children))[key]
            return Node("list" if base.kind == "list" else "tuple", None,
                        tuple(range(len(picked))), tuple(base.children[i] for i in picked))
        found = base.child(key) if base.kind != "namedtuple" or isinstance(key, int) else None
        if found is None:
            raise self.scope.src.error(e, f"{ast.unparse(e)}: {ast.unparse(e.value)} is "
                                          f"{base.describe()} with no item {key!r}")
        return found

    def static_value(self, e):
        """The value of ``e`` when it is known now (a constant, an unrolled loop's variable,
        ``len`` of a structure, arithmetic of those, a slice), else NOT_STATIC."""
        if isinstance(e, ast.Constant):
            return e.value
        if isinstance(e, ast.Name):
            return self.scope.constants.get(e.id, NOT_STATIC)
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
            v = self.static_value(e.operand)
            return -v if isinstance(v, int) else NOT_STATIC
        if isinstance(e, ast.BinOp) and type(e.op) in _ARITHMETIC:
            a, b = self.static_value(e.left), self.static_value(e.right)
            if isinstance(a, int) and isinstance(b, int):
                try:
                    return _ARITHMETIC[type(e.op)](a, b)
                except ZeroDivisionError:
                    return NOT_STATIC
            return NOT_STATIC
        if isinstance(e, ast.Slice):
            parts = [None if p is None else self.static_value(p)
                     for p in (e.lower, e.upper, e.step)]
            return NOT_STATIC if NOT_STATIC in parts else slice(*parts)
        if isinstance(e, ast.Tuple):
            parts = [self.static_value(p) for p in e.elts]
            return NOT_STATIC if NOT_STATIC in parts else tuple(parts)
        if self._is_len_of_tree(e):
            return len(self.tree_of(e.args[0]).children)
        return NOT_STATIC

    def _is_len_of_tree(self, e):
        return isinstance(e, ast.Call) and len(e.args) == 1 and not e.keywords \
            and isinstance(self.tree_of(e.args[0]), Node) and self.callee(e.func).is_(len)

    def might_be_tree(self, e):
        """Whether ``e`` may denote a structure (cheap, syntactic)."""
        if isinstance(e, ast.Dict):
            return True
        if isinstance(e, (ast.List, ast.Tuple)):
            return any(self.might_be_tree(x) for x in e.elts)
        return isinstance(self.tree_of(e), Node)

    def tree_value(self, e, inner=False):
        """The Node ``e`` denotes, building one for a display that holds structures (or is a
        dict): its other items are computed now, in order. None when ``e`` is no
        structure. (``inner``: ``e`` is an item of a structure being built, where a list
        or tuple display is a structure too.)"""
        if not (self.might_be_tree(e) or inner and isinstance(e, (ast.List, ast.Tuple))):
            return None
        if isinstance(e, ast.Dict):
            if any(k is None for k in e.keys):
                raise self.scope.src.error(e, "** in a dict of values being differentiated is "
                                              "not supported; list the items")
            keys = [self.static_value(k) for k in e.keys]
            if NOT_STATIC in keys:
                raise self.scope.src.error(e, "a dict of values being differentiated needs "
                                              "constant keys")
            return Node("dict", None, tuple(keys), tuple(self.part_of(v) for v in e.values))
        if isinstance(e, (ast.List, ast.Tuple)):
            if any(isinstance(x, ast.Starred) for x in e.elts):
                raise self.scope.src.error(e, "a starred item in a structure of values being "
                                              "differentiated is not supported")
            kind = "list" if isinstance(e, ast.List) else "tuple"
            return Node(kind, None, tuple(range(len(e.elts))),
                        tuple(self.part_of(x) for x in e.elts))
        return self.tree_of(e)

    def part_of(self, e):
        """A Node or Leaf for an item of a structure being built."""
        found = self.tree_value(e, inner=True)
        if found is not None:
            return found
        leaf = self.tree_of(e)
        if isinstance(leaf, Leaf):
            return leaf
        operand = self.operand(self.resolve_expression(e))
        if not isinstance(operand, ast.Name):
            name = self.namer.temp()
            self.out.body.append(ir.Keep(ir.assign(name, operand), [name]))
            operand = ir.load(name)
        return Leaf(self.is_varied_operand(operand), operand.id)

    # -- statements -------------------------------------------------------------------------

    def resolve_statement(self, stmt):
        """``stmt`` with its uses of structures resolved, or None when resolving did it all
        (a structure bound to names, a loop over one unrolled)."""
        if isinstance(stmt, ast.For):
            if self._unroll(stmt):
                return None
            return _replace_fields(stmt, iter=self.resolve_expression(stmt.iter))
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and self.might_be_tree(stmt.value):
            self.bind(stmt.targets[0], self.tree_value(stmt.value), stmt)
            return None
        fields = {}
        for field in ("value", "test", "iter", "target", "targets", "msg", "exc"):
            old = getattr(stmt, field, None)
            if isinstance(old, ast.expr):
                fields[field] = self.resolve_expression(old, store=field == "target")
            elif field == "targets" and old:
                fields[field] = [self.resolve_expression(t, store=True) for t in old]
        return _replace_fields(stmt, **fields) if fields else stmt

    def bind(self, target, part, stmt):
        """Assign ``part`` (a Node, Leaf, or a constant's value) to user ``target``."""
        if isinstance(target, ast.Name):
            if isinstance(part, Node):
                return self.bind_tree(target.id, part, stmt)
            value = ast.Name(id=LEAF + part.name, ctx=ast.Load()) if isinstance(part, Leaf) \
                else ast.Constant(part)
            if isinstance(part, Leaf):
                self._leaf_reference(value)
            self.assignment(ast.Assign(targets=[target], value=value, lineno=stmt.lineno,
                                       col_offset=stmt.col_offset))
            if not isinstance(part, Leaf):
                self.scope.constants[target.id] = part
            return None
        if not isinstance(target, (ast.Tuple, ast.List)):
            raise self.scope.src.error(stmt, f"assigning {ast.unparse(stmt.value)} (a "
                                             f"structure) to {ast.unparse(target)} is not "
                                             f"supported; assign it to a name")
        items = part.children if isinstance(part, Node) and part.kind in _SEQUENCE \
            else part if isinstance(part, tuple) else None
        if items is None or len(items) != len(target.elts):
            what = part.describe() if isinstance(part, Node) else repr(part)
            raise self.scope.src.error(stmt, f"cannot unpack {what} into "
                                             f"{ast.unparse(target)}")
        for t, p in zip(target.elts, items):
            self.bind(t, p, stmt)
        return None

    def bind_tree(self, name, node, stmt):
        """Bind user ``name`` to the structure ``node`` (no code: its leaves have names)."""
        self.scope.structured = True   # (statements after this one resolve structures)
        self.scope.env.pop(name, None)
        self.scope.constants.pop(name, None)
        self.scope.defined.add(name)
        self.scope.trees[name] = node

    def forget_tree(self, name):
        """``name`` is assigned a value: it no longer names a structure."""
        self.scope.trees.pop(name, None)
        self.scope.constants.pop(name, None)

    def structures(self, restore=None):
        """A copy of what names structures and constants now (and, given ``restore``, such
        a copy, that state put back)."""
        now = (dict(self.scope.trees), dict(self.scope.constants))
        if restore is not None:
            self.scope.trees, self.scope.constants = dict(restore[0]), dict(restore[1])
        return now

    def merge_structures(self, stmt, before, paths, live=None, loop=False):
        """After an if (``paths``: the states at the ends of the branches that fall
        through) or a loop's iteration: a name bound to different structures on different
        paths is an error where it is read later (``live``; None: anywhere), else dropped;
        a constant that differs is forgotten."""
        live = getattr(stmt, "live_out", None) if live is None else live
        trees, constants = {}, {}
        for state in paths:
            for mine, merged in ((state[0], trees), (state[1], constants)):
                merged.update(mine)
        for name in set(trees) | set(before[0]):
            versions = {id(s[0].get(name)) for s in paths} if paths else set()
            if len(versions) <= 1 and all(s[0].get(name) is not None for s in paths):
                continue
            if (live is None or name in live) and loop:
                raise self.scope.src.error(stmt, f"{name!r} names a new structure of values "
                                                 f"being differentiated in each iteration of "
                                                 f"this loop, which is not supported; carry "
                                                 f"its items in variables of their own (h, c = "
                                                 f"...) or loop over a structure (unrolled)")
            if live is None or name in live:
                raise self.scope.src.error(stmt, f"{name!r} names a structure of values being "
                                                 f"differentiated on some paths here and "
                                                 f"something else on others; bind it to one "
                                                 f"thing before the branch or loop")
            trees.pop(name, None)
        for name in list(constants):
            if any(s[1].get(name, NOT_STATIC) != constants[name] for s in paths):
                del constants[name]
        self.scope.trees, self.scope.constants = trees, constants

    # -- expressions ---------------------------------------------------------------------------

    def resolve_expression(self, e, store=False):
        """A copy of user expression ``e`` with each leaf it reads by a constant key as a
        reference to the leaf's name, ``len`` of a structure as a constant, comprehensions
        over structures unrolled, and methods of structures as calls of their functions."""
        if not self.scope.structured or store and isinstance(e, ast.Name):
            return e
        if store:
            for t in ast.walk(e):
                if isinstance(t, (ast.Subscript, ast.Attribute)) \
                        and self.names_structure(t.value):
                    raise self.scope.src.error(t, f"assigning to {ast.unparse(t)} changes a "
                                                  f"structure being differentiated (the "
                                                  f"caller's, or one its items belong to); "
                                                  f"build a new one instead")
        resolved = _Resolver(self).visit(copy.deepcopy(e))
        refuse_comprehensions(resolved, self.scope.src.error)
        return resolved

    def names_structure(self, e):
        """Whether user expression ``e`` names a structure (never an error)."""
        try:
            return isinstance(self.tree_of(e), Node)
        except TransformError:
            return False

    def _leaf_reference(self, name_node):
        """Make the name of a leaf reference (``$params_W1``) mean the leaf's name here."""
        if name_node.id.startswith(LEAF):
            leaf = name_node.id[len(LEAF):]
            self.scope.env[name_node.id] = leaf
            if leaf in self.out.varied_ssa:
                self.scope.varied.add(name_node.id)
        return name_node

    def refuse_tree_use(self, node, name):
        """The error for a use of a structure that is not resolved statically."""
        tree = self.scope.trees[name]
        name = self.scope.spelled.get(name, name)
        return self.scope.src.error(node, f"{name} is {tree.describe()} holding values being "
                                          f"differentiated: read its items with constant keys "
                                          f"({_example(name, tree)}), loop over it, unpack it, "
                                          f"or pass it to one of your functions; other uses "
                                          f"are not supported")

    # -- loops ---------------------------------------------------------------------------

    def _unroll(self, stmt):
        """Unroll ``stmt`` when it walks a structure; returns whether it did."""
        steps = self._tree_steps(stmt)
        if steps is None:
            return False
        for node in ast.walk(ast.Module(body=stmt.body, type_ignores=[])):
            if isinstance(node, (ast.Break, ast.Continue)) and self._same_loop(stmt, node):
                raise self.scope.src.error(node, "break or continue in a loop over a structure "
                                                 "(which is unrolled) is not supported")
        for part in steps:
            self.bind(stmt.target, part, stmt)
            self.statements(stmt.body)
        self.statements(stmt.orelse)
        return True

    @staticmethod
    def _same_loop(loop, jump):
        inner = [n for b in loop.body for n in ast.walk(b) if isinstance(n, (ast.For, ast.While))]
        return not any(jump in ast.walk(n) for n in inner)

    def _tree_steps(self, stmt):
        """The parts a for loop binds to its target at each step when it walks a structure
        (or a constant range whose variable indexes one), else None."""
        it = stmt.iter
        steps = self.tree_items(it)
        if steps is not None:
            return steps
        if isinstance(it, ast.Call) and self.callee(it.func).is_(range) and not it.keywords \
                and isinstance(stmt.target, ast.Name) and self._indexes_tree(stmt):
            bounds = [self.static_value(a) for a in it.args]
            if all(isinstance(b, int) for b in bounds) and bounds:
                return list(range(*bounds))
            raise self.scope.src.error(it, f"the loop indexes a structure with "
                                           f"{stmt.target.id!r}: its range must be known "
                                           f"(constants or len() of the structure)")
        return None

    def _indexes_tree(self, stmt):
        """Whether the body of ``for i in range(...)`` indexes a structure with ``i``."""
        var = stmt.target.id
        for node in (n for b in stmt.body for n in ast.walk(b)):
            if isinstance(node, ast.Subscript) and any(
                    isinstance(n, ast.Name) and n.id == var for n in ast.walk(node.slice)):
                base = node.value
                while isinstance(base, (ast.Subscript, ast.Attribute)):
                    base = base.value
                if isinstance(base, ast.Name) and base.id in self.scope.trees:
                    return True
        return False

    def tree_items(self, it):
        """The items a loop (or comprehension) over ``it`` walks when ``it`` is a structure,
        or enumerate/zip/reversed of structures, or a dict's items/keys/values; else None."""
        node = self.tree_of(it) if self.might_be_tree(it) else None
        if isinstance(node, Node):
            return list(node.keys) if node.kind == "dict" else list(node.children)
        if not isinstance(it, ast.Call):
            return None
        func, args = it.func, it.args
        if isinstance(func, ast.Attribute) and not args and func.attr in ("items", "keys",
                                                                          "values"):
            node = self.tree_of(func.value)
            if isinstance(node, Node) and node.kind == "dict":
                return {"items": list(zip(node.keys, node.children)), "keys": list(node.keys),
                        "values": list(node.children)}[func.attr]
            return None
        called = self.callee(func)
        if called.is_(enumerate) and len(args) == 1 and not it.keywords:
            inner = self.tree_items(args[0])
            return None if inner is None else list(enumerate(inner))
        if called.is_(reversed) and len(args) == 1:
            inner = self.tree_items(args[0])
            return None if inner is None else inner[::-1]
        if called.is_(zip) and args and not it.keywords:
            inner = [self.tree_items(a) for a in args]
            if all(i is None for i in inner):
                return None
            if any(i is None for i in inner):
                raise self.scope.src.error(it, "zip of a structure with something that is not "
                                               "one is not supported; zip structures only")
            return list(zip(*inner))
        return None


_ARITHMETIC = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
               ast.Mult: lambda a, b: a * b, ast.FloorDiv: lambda a, b: a // b,
               ast.Mod: lambda a, b: a % b}


def _replace_fields(stmt, **fields):
    new = copy.copy(stmt)
    for k, v in fields.items():
        setattr(new, k, v)
    return new


def _example(name, tree):
    key = tree.keys[0] if tree.keys else 0
    return f"{name}.{key}" if tree.kind in BY_ATTRIBUTE else f"{name}[{key!r}]"


class _Resolver(ast.NodeTransformer):
    """Rewrites one user expression for ``Trees.resolve_expression``."""

    def __init__(self, trees):
        self.t = trees
        self.placeholders = itertools.count()

    def visit_Name(self, node):
        return node

    def _leaf_or_none(self, node):
        found = self.t.tree_of(node) if self.t.might_be_tree(node.value) else None
        if isinstance(found, Leaf):
            return self.t._leaf_reference(ast.copy_location(
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
        if isinstance(self.t.tree_of(node.value), Node):
            leaf = self._leaf_or_none(node)
            if leaf is not None:
                return leaf
            found = self.t.tree_of(node)
            if isinstance(found, Node):
                return self._placeholder(found, node)
        return self.generic_visit(node)

    def _placeholder(self, found, node):
        """A name bound to the part ``found`` of a structure (``layers[0]``)."""
        name = f"{LEAF}part{next(self.t.inlining.numbers)}"
        self.t.scope.trees[name] = found
        self.t.scope.spelled[name] = ast.unparse(node)
        return ast.copy_location(ast.Name(id=name, ctx=ast.Load()), node)

    def visit_Call(self, node):
        t = self.t
        if t._is_len_of_tree(node):
            return ast.copy_location(ast.Constant(len(t.tree_of(node.args[0]).children)), node)
        method = self._method(node)
        if method is not None:
            node = method
        comprehension = len(node.args) == 1 and isinstance(node.args[0], (ast.GeneratorExp,
                                                                           ast.ListComp))
        node = self.generic_visit(node)
        if comprehension and isinstance(node.args[0], (ast.List, ast.Tuple)) \
                and not node.keywords and t.callee(node.func).is_(sum):
            return _sum_of(node.args[0].elts, node)   # (the comprehension walked a structure)
        called = t.callee(node.func)
        if not (called.kind == "object" and is_user_function(called.what)):
            node.args = [self._sequence_argument(a) for a in node.args]
        return node

    def _method(self, node):
        """``obj.method(args)`` of a structure ``obj`` as ``Class.method(obj, args)``."""
        func = node.func
        if not isinstance(func, ast.Attribute):
            return None
        owner = self.t.tree_of(func.value)
        if not isinstance(owner, Node) or owner.kind not in BY_ATTRIBUTE \
                or func.attr in owner.keys:
            return None
        function = inspect.getattr_static(owner.type, func.attr, None)
        if not inspect.isfunction(function):
            raise self.t.scope.src.error(node, f"{ast.unparse(func)}: only plain methods of "
                                               f"{owner.type.__qualname__} can be called on a "
                                               f"structure being differentiated")
        name = f"{LEAF}method{next(self.t.inlining.numbers)}"
        self.t.scope.known[name] = function
        return ast.copy_location(ast.Call(func=ast.Name(id=name, ctx=ast.Load()),
                                          args=[func.value] + node.args,
                                          keywords=node.keywords), node)

    def _sequence_argument(self, a):
        """A structure given to a function that takes a sequence (np.stack(params)): the
        list of its leaves."""
        if isinstance(a, ast.Name) and a.id in self.t.scope.trees:
            node = self.t.scope.trees[a.id]
            if node.kind in _SEQUENCE and all(isinstance(c, Leaf) for c in node.children):
                return ast.List(elts=[self.t._leaf_reference(ast.Name(id=LEAF + c.name,
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

    def _comprehension(self, node):
        """The items of a comprehension over a structure (its element with the target bound
        to each item), or None when it walks something else."""
        if len(node.generators) != 1:
            return None
        gen = node.generators[0]
        steps = self.t.tree_items(gen.iter)
        if steps is None:
            return None
        if gen.ifs or gen.is_async:
            raise self.t.scope.src.error(node, "a comprehension over a structure with if "
                                               "clauses is not supported; write the loop")
        return [_substitute(copy.deepcopy(node.elt), self._bindings(gen.target, part, node))
                for part in steps]

    def _bindings(self, target, part, node):
        """user name -> expression for binding comprehension ``target`` to ``part``."""
        if isinstance(target, ast.Name):
            if isinstance(part, Node):
                return {target.id: self._placeholder(part, node)}
            if isinstance(part, Leaf):
                return {target.id: self.t._leaf_reference(ast.Name(id=LEAF + part.name,
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


_ARRAY_ATTRIBUTES = frozenset(a for a in dir(__import__("numpy").ndarray) if not a.startswith("_"))


def structure_use(source, params, _seen=None):
    """(node, certain) for the first place where the function of ``source`` (a
    FunctionSource), or a function of the user's it passes them to, uses one of ``params``
    as a structure would be used, or None. Certain: an attribute an array does not have,
    a string key, ``.items()``/``.keys()``/``.values()``; not certain (an array may be
    used so too): unpacking it, a loop or comprehension unpacking its items, or such a use
    in a function it calls."""
    seen = set() if _seen is None else _seen
    if source.node in seen or len(seen) > 20:
        return None
    seen.add(source.node)
    found = _structure_use_in(source.node, set(params))
    if found is not None and found[1]:
        return found
    for callee_source, names in _passed_on(source, set(params)):
        inner = structure_use(callee_source, names, seen)
        if inner is not None:
            return inner[0], False   # (where is in another function: reported as uncertain)
    return found


def _passed_on(source, params):
    """(FunctionSource, its parameter names) for each call in ``source`` of a function of
    the user's that is given one of ``params`` as an argument."""
    local = set(source.params) | {n.id for n in ast.walk(source.node)
                                  if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    for node in ast.walk(source.node):
        if not isinstance(node, ast.Call):
            continue
        given = [a for a in node.args if isinstance(a, ast.Name) and a.id in params] + [
            k.value for k in node.keywords if isinstance(k.value, ast.Name) and k.value.id in params]
        if not given:
            continue
        called = source.callee(node.func, local)
        if called.kind != "object" or not is_user_function(called.what):
            continue
        try:
            callee = FunctionSource(called.what)
            bound = inspect.signature(called.what).bind_partial(*node.args, **{
                k.arg: k.value for k in node.keywords if k.arg})
        except (TransformError, TypeError, ValueError):
            continue
        names = {p for p, a in bound.arguments.items()
                 if isinstance(a, ast.Name) and a.id in params}
        if names:
            yield callee, names


def _structure_use_in(fn, params):
    """``structure_use`` within the ``def`` ``fn`` alone."""

    def is_param(e):
        return isinstance(e, ast.Name) and e.id in params

    def walks_param(e):   # layers, enumerate(layers), zip(layers, ...), reversed(layers)
        return is_param(e) or isinstance(e, ast.Call) and any(walks_param(a) for a in e.args)

    weak = None
    for node in ast.walk(fn):
        if isinstance(node, ast.Attribute) and is_param(node.value) \
                and node.attr not in _ARRAY_ATTRIBUTES:
            return node, True
        if isinstance(node, ast.Subscript) and is_param(node.value) \
                and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            return node, True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and is_param(node.func.value) and node.func.attr in ("items", "keys", "values"):
            return node, True
        if weak is None and (isinstance(node, ast.For) and isinstance(node.target, ast.Tuple)
                             and walks_param(node.iter)
                             or isinstance(node, (ast.ListComp, ast.GeneratorExp))
                             and any(walks_param(g.iter) for g in node.generators)
                             or isinstance(node, ast.Assign)
                             and isinstance(node.targets[0], ast.Tuple) and is_param(node.value)):
            weak = node
    return (weak, False) if weak is not None else None
