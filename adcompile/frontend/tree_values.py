"""The structures user expressions build while normalizing (see trees.py): a dict
display, a list or tuple display holding structures, a NamedTuple or dataclass made by
its constructor, ``_replace``, a copy (``dict(d)``, ``list(xs)``, ``xs.copy()``), a
comprehension over a structure; the items that are no structure become leaves, given
names of their own where needed. Part of ``normalize.Normalizer``.
"""

import ast
import collections
import copy
import dataclasses

from .. import ir, runtime
from ..ir.trees import Leaf, Node, mapping_base, runs_own_code
from .constructors import constructor_fields
from .resolve import Resolver
from .syntax import LEAF, SEQUENCE, reversed_argument
from .trees import NOT_STATIC


class TreeValues:
    """Part of ``normalize.Normalizer``: the structures user expressions build."""

    def might_be_tree(self, e):
        """Whether ``e`` may denote a structure (cheap, syntactic)."""
        if isinstance(e, ast.Dict) or dict_display(e, self.callee) is not None \
                or self.constructed(e) is not None \
                or self.copied_tree(e) is not None or self._deep_copied(e) is not None:
            return True
        replacing = self._replacing(e)
        if replacing is not None:
            return isinstance(self.tree_of(replacing), Node)
        if isinstance(e, ast.DictComp) or isinstance(e, ast.ListComp) and (
                isinstance(e.elt, ast.Dict) or self.constructed(e.elt) is not None
                or self._replacing(e.elt) is not None):
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
        e = dict_display(e, self.callee) or e
        if isinstance(e, ast.Dict):
            items = self.dict_items(e)
            return self._own(Node("dict", None, tuple(items), tuple(items.values())))
        copied = self.copied_tree(e)
        if copied is not None:
            return self._own(copied)   # (a new dict or list: the function may assign into it)
        copied = self._deep_copied(e)
        if copied is not None:
            tree = self.tree_value(copied, inner=True)
            self._require_distinct(tree, e)
            return self._deep_copy(tree, e, {})
        replaced = self.replaced_fields(e)
        if replaced is not None:
            return replaced
        made = self.constructed(e)
        if made is not None:   # State(h, c), Layer(W=W, b=b): a new object, the function's own
            (kind, fields), cls = made, self.callee(e.func).what
            return self._own(Node(kind, cls, tuple(fields),
                                  tuple(self.part_of(v) for v in fields.values())))
        if isinstance(e, (ast.List, ast.Tuple)):
            if any(isinstance(x, ast.Starred) for x in e.elts):
                raise self.scope.src.error(e, "a starred item in a structure of values being "
                                              "differentiated is not supported")
            kind = "list" if isinstance(e, ast.List) else "tuple"
            return self._own(Node(kind, None, tuple(range(len(e.elts))),
                                  tuple(self.part_of(x) for x in e.elts)))
        return self.tree_of(e)

    def dict_items(self, e):
        """{key: part} of the dict display ``e``, its values computed now, in Python's
        order (``{**d, "w": v}``: ``d``'s items first)."""
        items = {}
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
        return items

    def _replacing(self, e):
        """The structure ``e`` makes a changed copy of, ``layer`` in ``layer._replace(W=v)``
        (a NamedTuple's) or ``dataclasses.replace(layer, W=v)`` (a dataclass's); else
        None."""
        if not isinstance(e, ast.Call):
            return None
        if isinstance(e.func, ast.Attribute) and e.func.attr == "_replace" and not e.args:
            return e.func.value
        if len(e.args) == 1 and self.callee(e.func).is_(dataclasses.replace):
            return e.args[0]
        return None

    def replaced_fields(self, e):
        """``layer._replace(W=v)`` of a NamedTuple, ``dataclasses.replace(layer, W=v)`` of a
        dataclass: the structure with those fields given new values (the others shared);
        else None."""
        replacing = self._replacing(e)
        if replacing is None:
            return None
        base = self.tree_of(replacing)
        kind = "namedtuple" if isinstance(e.func, ast.Attribute) \
            and e.func.attr == "_replace" else "dataclass"
        if not (isinstance(base, Node) and base.kind == kind
                and all(k.arg in base.keys for k in e.keywords)):
            return None
        children = list(base.children)
        for k in e.keywords:
            children[base.keys.index(k.arg)] = self.part_of(k.value)
        return Node(base.kind, base.type, base.keys, tuple(children))

    def copied_tree(self, e):
        """The new structure ``e`` makes when it copies one (``dict(d)``, ``d.copy()``,
        ``list(xs)``, ``tuple(xs)``, ``xs.copy()``, ``list(reversed(xs))``): the same items
        (shared, as Python's shallow copy shares them) in a new dict, list or tuple; else
        None. Records nothing (``might_be_tree`` asks it too): ``tree_value`` makes the
        copy the function's own."""
        if not isinstance(e, ast.Call) or e.keywords:
            return None
        backwards = reversed_argument(e.args[0], self.callee) if len(e.args) == 1 else None
        if isinstance(e.func, ast.Attribute) and e.func.attr == "copy" and not e.args:
            copied, kinds = self.tree_of(e.func.value), {"dict": "dict", "list": "list"}
        elif len(e.args) == 1 and self.callee(e.func).is_(copy.copy):
            copied = self.tree_of(e.args[0])   # (of any structure: one of its kind and class)
            if not (isinstance(copied, Node) and _copied_plainly(copied)):
                return None
            return Node(copied.kind, copied.type, copied.keys, copied.children)
        elif len(e.args) == 1 and isinstance(self.tree_of(backwards or e.args[0]), Node):
            copied, called = self.tree_of(backwards or e.args[0]), self.callee(e.func)
            kinds = {"dict": "dict"} if called.is_(dict) or called.is_(
                collections.OrderedDict) else dict.fromkeys(
                SEQUENCE, "list") if called.is_(list) else dict.fromkeys(
                SEQUENCE, "tuple") if called.is_(tuple) else {}
        else:
            return None
        if not isinstance(copied, Node) or copied.kind not in kinds \
                or backwards is not None and copied.kind not in SEQUENCE \
                or runs_own_code(copied, "__iter__"):
            return None   # (reversed(d) of a dict: its keys; a class's own walk: refused)
        kind = kinds[copied.kind]
        keys = copied.keys if kind == "dict" else tuple(range(len(copied.children)))
        children = copied.children[::-1] if backwards is not None else copied.children
        return Node(kind, _copy_method_class(copied, e, self.callee(e.func)) if kind == "dict"
                    else None, keys, children)

    def _deep_copied(self, e):
        """``s`` when ``e`` is ``copy.deepcopy(s)`` of a structure (or a display that may make
        one), else None. Records nothing (``might_be_tree`` asks it too)."""
        if not (isinstance(e, ast.Call) and len(e.args) == 1 and not e.keywords
                and self.callee(e.func).is_(copy.deepcopy)):
            return None
        copied, tree = e.args[0], self.tree_of(e.args[0])
        if isinstance(tree, Node):
            return copied if all(_copied_plainly(n) for n in tree.nodes()) else None
        return copied if isinstance(copied, (ast.Dict, ast.List, ast.Tuple)) \
            and self.might_be_tree(copied) else None

    def _require_distinct(self, tree, e):
        """Before ``e``, ``copy.deepcopy`` of ``tree``, a structure holding several arrays
        under different names: a check, when the code runs, that no two are one array
        (``a = params["w"]; {"a": a, "b": params["w"]}``), which deepcopy would copy once
        (runtime.require_distinct). (One name held twice is copied once: ``_deep_copy``.)"""
        names = list(dict.fromkeys(leaf.name for leaf in (
            tree.leaves() if isinstance(tree, Node) else [tree])
            if leaf.function is None and leaf.name is not None))
        if len(names) < 2:
            return
        check = ast.Call(func=ir.load(self.runtime_name(runtime.require_distinct)),
                         args=[ast.Tuple(elts=[ir.load(n) for n in names], ctx=ast.Load()),
                               ast.Constant(self.scope.src.where(e))], keywords=[])
        self.out.body.append(ir.Keep(ast.Expr(check), [], pure=False))

    def _deep_copy(self, tree, e, memo):
        """A new structure of the layout of ``tree`` (for ``e``, ``copy.deepcopy(s)``) whose
        dicts and lists are the function's own and whose arrays and numbers are new ones,
        ``copy.deepcopy`` of each (its rule: rules/python.py): nothing in it is shared with
        ``tree``, as nothing is in Python's deep copy. An array held twice (``{"a": w, "b":
        w}``) is copied once and held twice, as deepcopy's memo does (``memo``: leaf name ->
        its copy). (A function a structure holds stays the one it is, as deepcopy leaves
        functions.)"""
        if isinstance(tree, Leaf):
            if tree.function is not None or tree.name is None:
                return tree
            if tree.name not in memo:
                reference = self.leaf_reference(ast.Name(id=LEAF + tree.name, ctx=ast.Load()))
                memo[tree.name] = self.part_of(ast.copy_location(ast.Call(
                    func=e.func, args=[reference], keywords=[]), e))
            return memo[tree.name]
        children = tuple(self._deep_copy(c, e, memo) for c in tree.children)
        return self._own(Node(tree.kind, tree.type, tree.keys, children))

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


def dict_display(e, callee):
    """The dict display that ``e``, ``dict(k=v, ...)`` of the builtin ``dict`` with
    keywords only (``**d`` among them), stands for (``{"k": v, ...}``), else None."""
    if not (isinstance(e, ast.Call) and not e.args and e.keywords
            and callee(e.func).is_(dict)):
        return None
    return ast.copy_location(ast.Dict(
        keys=[None if k.arg is None else ast.copy_location(ast.Constant(k.arg), k.value)
              for k in e.keywords], values=[k.value for k in e.keywords]), e)


#: what a class may define to copy its objects its own way (copy.copy, copy.deepcopy)
_COPY_HOOKS = ("__copy__", "__deepcopy__", "__reduce__", "__reduce_ex__", "__getstate__",
               "__setstate__", "__getnewargs__", "__getnewargs_ex__")


def _copy_method_class(copied, e, called=None):
    """The class of the dict ``e`` makes of the dict ``copied``: ``d.copy()`` of an
    ``OrderedDict`` or ``defaultdict`` is one of its class, of another dict a dict (as
    ``dict(d)`` is); ``OrderedDict(d)`` (``called``, the function called) an
    ``OrderedDict``."""
    if called is not None and called.is_(collections.OrderedDict):
        return collections.OrderedDict
    method = isinstance(e.func, ast.Attribute) and e.func.attr == "copy"
    if method and copied.type is not None and mapping_base(copied.type) is not dict:
        return copied.type
    return None


def _copied_plainly(node):
    """Whether ``copy.copy`` of the structure ``node`` (one level of ``copy.deepcopy``) is a
    new one of its kind and class holding its items: a dict, list or tuple, or a
    NamedTuple, dataclass or object whose class copies as its base does (no copy hook of
    its own: ``__deepcopy__``, ``__reduce_ex__``, ... could make anything)."""
    if node.kind in ("dict", "list", "tuple"):
        return True
    own = [k for k in node.type.__mro__ if k not in (tuple, object)]
    return not any(hook in vars(k) and not _generated_by_namedtuple(vars(k)[hook])
                   for k in own for hook in _COPY_HOOKS)


def _generated_by_namedtuple(function):
    """Whether ``function`` is one ``collections.namedtuple`` gives every class it makes
    (``__getnewargs__``: the fields, as a tuple's copy takes them)."""
    return getattr(function, "__module__", None) == "collections"
