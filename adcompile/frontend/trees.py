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
be read as a constant. Expressions are rewritten by resolve.py, loops unrolled by
unroll.py; structure_use.py tells, before any call, whether a function reads an
argument as a structure. Part of ``normalize.Normalizer``.
"""

import ast
import copy

from .. import ir
from ..errors import TransformError
from ..ir.trees import BY_ATTRIBUTE, Leaf, Node
from .constructors import constructor_fields
from .items import ITEM
from .resolve import LEAF, SEQUENCE, Resolver
from .syntax import item_assigned
from .validate import refuse_comprehensions

NOT_STATIC = object()
#: the prefix of the names a leaf is referred to by in rewritten user expressions: not an
#: identifier, so it can never be a user's name


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
            return _item(base, e, self.static_value(e.slice), self.scope.src)
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
        if self.is_len_of_tree(e):
            return len(self.tree_of(e.args[0]).children)
        return NOT_STATIC

    def is_len_of_tree(self, e):
        return isinstance(e, ast.Call) and len(e.args) == 1 and not e.keywords \
            and isinstance(self.tree_of(e.args[0]), Node) and self.callee(e.func).is_(len)

    def might_be_tree(self, e):
        """Whether ``e`` may denote a structure (cheap, syntactic)."""
        if isinstance(e, ast.Dict) or self.constructed(e) is not None \
                or self.copied_tree(e) is not None:
            return True
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) \
                and e.func.attr == "_replace":
            return isinstance(self.tree_of(e.func.value), Node)
        if isinstance(e, ast.DictComp) or isinstance(e, ast.ListComp) and (
                isinstance(e.elt, ast.Dict) or self.constructed(e.elt) is not None
                or isinstance(e.elt, ast.Call) and isinstance(e.elt.func, ast.Attribute)
                and e.elt.func.attr == "_replace"):
            # {k: v for k, v in params.items()}, [Layer(2 * W, b) for W, b in layers]
            return len(e.generators) == 1 and self.tree_items(e.generators[0].iter) is not None
        if isinstance(e, (ast.List, ast.Tuple)):
            return any(self.might_be_tree(x) for x in e.elts)
        return isinstance(self.tree_of(e), Node)

    def constructed(self, e):
        """(kind, fields) when ``e`` makes a NamedTuple or dataclass (constructors.py)."""
        if not isinstance(e, ast.Call):
            return None
        called = self.callee(e.func)
        return constructor_fields(called.what, e) if called.kind == "object" else None

    def is_fixed_display(self, stmt):
        """Whether ``stmt`` binds a list or tuple display to a name kept as a structure
        (``scope.fixed_lists``, see lists.fixed_lists)."""
        return isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
            and isinstance(stmt.targets[0], ast.Name) \
            and stmt.targets[0].id in self.scope.fixed_lists \
            and isinstance(stmt.value, (ast.List, ast.Tuple))

    def holds_structure(self, stmt):
        """Whether assignment ``stmt`` of a display that might be a structure makes one: it
        holds a structure, or values being differentiated (a dict of constants, which may
        have any keys and be changed in place, stays a value)."""
        return isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id in self.scope.varied \
            or any(isinstance(n, ast.Name) and n.id in self.scope.trees
                   for n in ast.walk(stmt.value))

    def tree_value(self, e, inner=False):
        """The Node ``e`` denotes, building one for a display that holds structures (or is a
        dict): its other items are computed now, in order. None when ``e`` is no
        structure. (``inner``: ``e`` is an item of a structure being built, where a list
        or tuple display is a structure too.)"""
        if not (self.might_be_tree(e) or inner and isinstance(e, (ast.List, ast.Tuple))):
            return None
        if isinstance(e, (ast.DictComp, ast.ListComp)):   # over a structure: the display it
            e = Resolver(self).visit(copy.deepcopy(e))   # unrolls to
            if not isinstance(e, (ast.Dict, ast.List)):
                return None
        if isinstance(e, ast.Dict):
            items = {}   # key -> part, in Python's order ({**d, "w": v}: d's items first)
            for k, v in zip(e.keys, e.values):
                if k is None:
                    unpacked = self.tree_of(v)
                    if not (isinstance(unpacked, Node) and unpacked.kind == "dict"):
                        raise self.scope.src.error(v, "** in a dict of values being "
                                                      "differentiated takes a dict of them; "
                                                      "list the items")
                    items.update(zip(unpacked.keys, unpacked.children))
                    continue
                key = self.static_value(k)
                if key is NOT_STATIC:
                    raise self.scope.src.error(e, "a dict of values being differentiated "
                                                  "needs constant keys")
                items[key] = self.part_of(v)
            return self._own(Node("dict", None, tuple(items), tuple(items.values())))
        copied = self.copied_tree(e)
        if copied is not None:
            return self._own(copied)   # (a new dict or list: the function may assign into it)
        replaced = self.replaced_fields(e)
        if replaced is not None:
            return replaced
        made = self.constructed(e)
        if made is not None:   # State(h, c), Layer(W=W, b=b)
            (kind, fields), cls = made, self.callee(e.func).what
            return Node(kind, cls, tuple(fields), tuple(self.part_of(v) for v in fields.values()))
        if isinstance(e, (ast.List, ast.Tuple)):
            if any(isinstance(x, ast.Starred) for x in e.elts):
                raise self.scope.src.error(e, "a starred item in a structure of values being "
                                              "differentiated is not supported")
            kind = "list" if isinstance(e, ast.List) else "tuple"
            return self._own(Node(kind, None, tuple(range(len(e.elts))),
                                  tuple(self.part_of(x) for x in e.elts)))
        return self.tree_of(e)

    def replaced_fields(self, e):
        """``layer._replace(W=v)`` of a NamedTuple: the structure with those fields given new
        values (the others shared); else None."""
        if not (isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute)
                and e.func.attr == "_replace" and not e.args):
            return None
        base = self.tree_of(e.func.value)
        if not (isinstance(base, Node) and base.kind == "namedtuple"
                and all(k.arg in base.keys for k in e.keywords)):
            return None
        children = list(base.children)
        for k in e.keywords:
            children[base.keys.index(k.arg)] = self.part_of(k.value)
        return Node(base.kind, base.type, base.keys, tuple(children))

    def copied_tree(self, e):
        """The new structure ``e`` makes when it copies one (``dict(d)``, ``d.copy()``,
        ``list(xs)``, ``tuple(xs)``, ``xs.copy()``): the same items (shared, as Python's
        shallow copy shares them) in a new dict, list or tuple; else None. Records nothing
        (``might_be_tree`` asks it too): ``tree_value`` makes the copy the function's own."""
        if not isinstance(e, ast.Call) or e.keywords:
            return None
        if isinstance(e.func, ast.Attribute) and e.func.attr == "copy" and not e.args:
            copied, kinds = self.tree_of(e.func.value), {"dict": "dict", "list": "list"}
        elif len(e.args) == 1 and isinstance(self.tree_of(e.args[0]), Node):
            copied, called = self.tree_of(e.args[0]), self.callee(e.func)
            kinds = {"dict": "dict"} if called.is_(dict) else dict.fromkeys(
                SEQUENCE, "list") if called.is_(list) else dict.fromkeys(
                SEQUENCE, "tuple") if called.is_(tuple) else {}
        else:
            return None
        if not isinstance(copied, Node) or copied.kind not in kinds:
            return None
        kind = kinds[copied.kind]
        keys = copied.keys if kind == "dict" else tuple(range(len(copied.children)))
        return Node(kind, None, keys, copied.children)

    def part_of(self, e):
        """A Node or Leaf for an item of a structure being built."""
        found = self.tree_value(e, inner=True)
        if found is not None:
            return found
        leaf = self.tree_of(e)
        if isinstance(leaf, Leaf):
            return leaf
        operand = self.operand(self.resolve_expression(e))
        if isinstance(operand, ast.Name) and operand.id in self.scope.env.values():
            # a variable's name: a loop that carries the variable assigns it again, so the
            # leaf gets a name of its own
            return Leaf(self.is_varied_operand(operand),
                        self.emit_copy(None, operand, e) if self.is_varied_operand(operand)
                        else self._kept_value(operand))
        if not isinstance(operand, ast.Name):
            operand = ir.load(self._kept_value(operand))
        return Leaf(self.is_varied_operand(operand), operand.id)

    def _kept_value(self, operand):
        """A new name given ``operand``'s value (nothing in it differentiated)."""
        name = self.namer.temp()
        self.out.body.append(ir.Keep(ir.assign(name, operand), [name]))
        return name

    # -- statements -------------------------------------------------------------------------

    def resolve_statement(self, stmt):
        """``stmt`` with its uses of structures resolved, or None when resolving did it all
        (a structure bound to names, a loop over one unrolled)."""
        user = getattr(stmt, ITEM, None)
        if user is not None and self.names_structure(stmt.value.args[0]):
            self.assign_into_structure(stmt.value.args, user)
            return None
        into = item_assigned(stmt)
        if into is not None and self.names_structure(into[0]):   # d["a"][0] = v
            self.assign_into_structure(into, stmt)
            return None
        if isinstance(stmt, ast.For):
            if self.unroll(stmt):
                return None
            return _replace_fields(stmt, iter=self.resolve_expression(stmt.iter))
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and (self.might_be_tree(stmt.value) or self.is_fixed_display(stmt)) \
                and self.holds_structure(stmt):
            self.bind(stmt.targets[0], self.tree_value(stmt.value, inner=True), stmt)
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
                self.leaf_reference(value)
            self.assignment(ast.Assign(targets=[target], value=value, lineno=stmt.lineno,
                                       col_offset=stmt.col_offset))
            if not isinstance(part, Leaf):
                self.scope.constants[target.id] = part
            return None
        if not isinstance(target, (ast.Tuple, ast.List)):
            raise self.scope.src.error(stmt, f"assigning {ast.unparse(stmt.value)} (a "
                                             f"structure) to {ast.unparse(target)} is not "
                                             f"supported; assign it to a name")
        items = part.children if isinstance(part, Node) and part.kind in SEQUENCE \
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
        if not paths:   # (every path jumps: what follows is not reached)
            self.scope.trees, self.scope.constants = dict(before[0]), dict(before[1])
            return
        trees, constants = {}, {}
        for state in paths:
            for mine, merged in ((state[0], trees), (state[1], constants)):
                merged.update(mine)
        for name in set(trees) | set(before[0]):
            versions = {id(s[0].get(name)) for s in paths} if paths else set()
            if len(versions) <= 1 and all(s[0].get(name) is not None for s in paths):
                continue
            if (live is None or name in live) and loop:
                raise self.new_structure_each_iteration(stmt, name)
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

    def new_structure_each_iteration(self, loop, name):
        """The error for a loop that binds ``name`` to a new structure in each iteration
        and reads it in the next (or after the loop)."""
        return self.scope.src.error(loop, f"{name!r} names a new structure of values being "
                                          f"differentiated in each iteration of this loop, "
                                          f"which is not supported; carry its items in "
                                          f"variables of their own (h, c = ...) or loop over "
                                          f"a structure (unrolled)")

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
        resolved = Resolver(self).visit(copy.deepcopy(e))
        refuse_comprehensions(resolved, self.scope.src.error)
        return resolved

    def is_opaque_use(self, name):
        """Whether reading the user name ``name`` (an ast.Name) as a whole must be refused:
        it names a structure holding values being differentiated (or one with no value of
        its own here)."""
        tree = self.scope.trees.get(name.id)
        if tree is None:
            return False
        return name.id not in self.scope.env or any(
            leaf.name in self.out.varied_ssa for leaf in tree.leaves())

    def names_structure(self, e):
        """Whether user expression ``e`` names a structure (never an error)."""
        try:
            return isinstance(self.tree_of(e), Node)
        except TransformError:
            return False

    def leaf_reference(self, name_node):
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


def _item(base, e, key, src):
    """``base[key]``, read by ``e``, for a constant key or slice ``key`` (an error, of the
    function's ``src``, otherwise)."""
    if key is NOT_STATIC:
        raise src.error(e, f"{ast.unparse(e.value)} is {base.describe()} being "
                           f"differentiated: index it with a constant, or loop over it "
                           f"(for item in ...) to have it unrolled")
    if isinstance(key, slice) and base.kind in SEQUENCE:
        picked = range(len(base.children))[key]
        return Node("list" if base.kind == "list" else "tuple", None,
                    tuple(range(len(picked))), tuple(base.children[i] for i in picked))
    found = base.child(key) if base.kind != "namedtuple" or isinstance(key, int) else None
    if found is None:
        raise src.error(e, f"{ast.unparse(e)}: {ast.unparse(e.value)} is "
                           f"{base.describe()} with no item {key!r}")
    return found


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
