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
be read as a constant. Here: what a user expression denotes (``tree_of``,
``static_value``) and expressions resolved; the structures expressions build are
tree_values.py, statements that bind names to them (and their merging after a branch or
loop) tree_binding.py. Expressions are rewritten by resolve.py, loops unrolled by
unroll.py; structure_use.py tells, before any call, whether a function reads an
argument as a structure. Part of ``normalize.Normalizer``.
"""

import ast
import copy

from ..errors import TransformError
from ..ir.trees import BY_ATTRIBUTE, Leaf, Node, runs_own_code
from .comprehension_items import UNDECIDED, decide, substitute
from .resolve import Resolver
from .syntax import LEAF, SEQUENCE
from .refusals import refuse_comprehensions

#: what ``static_value`` gives for a value not known at compile time
NOT_STATIC = object()


class Trees:
    """Part of ``normalize.Normalizer``: what user expressions that read structures denote."""

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
        if isinstance(e, ast.Name) and e.id in self.scope.constants:
            return self.scope.constants[e.id]
        if isinstance(e, (ast.Name, ast.Attribute, ast.Subscript)):   # (given by the call)
            given = self.static_int(e)
            if given is not None or isinstance(e, ast.Name):
                return NOT_STATIC if given is None else given
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
            v = self.static_value(e.operand)
            return -v if isinstance(v, int) else NOT_STATIC
        if isinstance(e, (ast.JoinedStr, ast.FormattedValue)) or _is_str_call(e) \
                or isinstance(e, ast.BinOp) and _is_string(self.static_value(e.left)):
            return self._static_string(e)
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

    def static_truth(self, e):
        """The truth of test ``e`` when it reads only names whose values are known now (an
        unrolled loop's key: ``key != "layers"``, ``k.startswith("W")``) and constants, and
        at least one such name; else None."""
        known = {n.id for n in ast.walk(e) if isinstance(n, ast.Name)
                 and isinstance(self.scope.constants.get(n.id, NOT_STATIC), (str, int))}
        if not known:
            return None
        bindings = {name: ast.Constant(self.scope.constants[name]) for name in known}
        decided = decide(substitute(copy.deepcopy(e), bindings))
        return None if decided is UNDECIDED else bool(decided)

    def _static_string(self, e):
        """A key spelled from an unrolled loop's variable, the way layers are named
        (``f"W{i}"``, ``"W" + str(i)``, ``"W%d" % i``, ``"W{}".format(i)``), when every
        part is known now, else NOT_STATIC."""
        if isinstance(e, ast.JoinedStr):
            parts = [self._static_string(v) for v in e.values]
            return NOT_STATIC if NOT_STATIC in parts else "".join(parts)
        if isinstance(e, ast.FormattedValue):
            value = self.static_value(e.value)
            spec = "" if e.format_spec is None else self._static_string(e.format_spec)
            convert = {-1: lambda v: v, 115: str, 114: repr, 97: ascii}[e.conversion]
            if not _is_key(value) or spec is NOT_STATIC:
                return NOT_STATIC
            return _formatted(format, convert(value), spec)
        if isinstance(e, ast.Constant):
            return e.value if isinstance(e.value, str) else NOT_STATIC
        if isinstance(e, ast.BinOp):
            a, b = self.static_value(e.left), self.static_value(e.right)
            if isinstance(e.op, ast.Add) and _is_string(a) and _is_string(b):
                return a + b
            if isinstance(e.op, ast.Mod) and _is_string(a) and (_is_key(b) or isinstance(
                    b, tuple) and all(_is_key(v) for v in b)):
                return _formatted(lambda x, y: x % y, a, b)
            return NOT_STATIC
        args = [self.static_value(a) for a in e.args]
        if not all(_is_key(a) for a in args) or e.keywords:
            return NOT_STATIC
        if isinstance(e.func, ast.Attribute):   # "W{}".format(i)
            return _formatted(lambda x, y: x.format(*y), e.func.value.value, args)
        if len(args) == 1 and self.callee(e.func).is_(str):
            return str(args[0])
        return NOT_STATIC

    def structure_fact(self, e):
        """``isinstance(S, T)`` or ``hasattr(S, "name")`` of a structure ``S`` (the code is
        specialised on its kind and class): True or False, known now; else None."""
        if not (isinstance(e, ast.Call) and len(e.args) == 2 and not e.keywords):
            return None
        called = self.callee(e.func)
        if not (called.is_(isinstance) or called.is_(hasattr)):
            return None
        node = self.tree_of(e.args[0]) if self.might_be_tree(e.args[0]) else None
        kind = (node.type or _PLAIN_KINDS.get(node.kind)) if isinstance(node, Node) else None
        if not isinstance(kind, type):
            return None
        if called.is_(isinstance):
            classes = self.static_classes(e.args[1])
            return None if classes is None else issubclass(kind, classes)
        name = e.args[1].value if isinstance(e.args[1], ast.Constant) else None
        if not isinstance(name, str) or node.kind == "dataclass":
            return None   # (a dataclass's own attributes besides its fields are not known)
        return node.kind == "object" and name in node.keys or hasattr(kind, name)

    def structure_class(self, e):
        """The class of ``S`` where ``e`` is ``type(S)`` of a structure (the code is
        specialised on its kind and class), else None."""
        if not (isinstance(e, ast.Call) and len(e.args) == 1 and not e.keywords
                and self.might_be_tree(e.args[0]) and self.callee(e.func).is_(type)):
            return None
        node = self.tree_of(e.args[0])
        kind = (node.type or _PLAIN_KINDS.get(node.kind)) if isinstance(node, Node) else None
        return kind if isinstance(kind, type) else None

    def static_classes(self, e):
        """The class, or tuple of classes, ``e`` names (``dict``, ``(list, tuple)``,
        ``Layer``), else None."""
        parts = e.elts if isinstance(e, ast.Tuple) else [e]
        found = []
        for part in parts:
            called = self.callee(part) if isinstance(part, (ast.Name, ast.Attribute)) else None
            if called is None or called.kind != "object" or not isinstance(called.what, type):
                return None
            found.append(called.what)
        return tuple(found) if isinstance(e, ast.Tuple) else found[0]

    def is_len_of_tree(self, e):
        """Whether ``e`` is ``len(params)`` of a structure that has as many items as it holds
        (not one whose class defines ``__len__``: ``runs_own_code``)."""
        if not (isinstance(e, ast.Call) and len(e.args) == 1 and not e.keywords):
            return False
        tree = self.tree_of(e.args[0])
        return isinstance(tree, Node) and not runs_own_code(tree, "__len__") \
            and self.callee(e.func).is_(len)

    def names_structure(self, e):
        """Whether user expression ``e`` names a structure (never an error)."""
        try:
            return isinstance(self.tree_of(e), Node)
        except TransformError:
            return False

    def is_opaque_use(self, name):
        """Whether reading the user name ``name`` (an ast.Name) as a whole must be refused:
        it names a structure holding values being differentiated (or one with no value of
        its own here)."""
        tree = self.scope.trees.get(name.id)
        if tree is None:
            return False
        return name.id not in self.scope.env or any(
            leaf.name in self.out.varied_ssa for leaf in tree.leaves())

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
                                                  f"structure this function was given (the "
                                                  f"caller's, or one its items belong to); "
                                                  f"build a new one instead")
        resolved = Resolver(self).visit(copy.deepcopy(e))
        refuse_comprehensions(resolved, self.scope.src.error)
        return resolved

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


#: the classes of the structures that record none
_PLAIN_KINDS = {"dict": dict, "list": list, "tuple": tuple}


def _item(base, e, key, src):
    """``base[key]``, read by ``e``, for a constant key or slice ``key`` (an error, of the
    function's ``src``, otherwise)."""
    if runs_own_code(base, "__getitem__"):
        raise src.error(e, f"{ast.unparse(e)}: {ast.unparse(e.value)} is {base.describe()} "
                           f"being differentiated, whose class defines __getitem__: Python "
                           f"runs that code here, where adcompile would read a field; read "
                           f"the fields by name ({ast.unparse(e.value)}.name)")
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


def _is_string(v):
    return isinstance(v, str)


def _is_key(v):
    """A static value a key may be spelled from (never a float: its digits vary)."""
    return isinstance(v, (str, int)) and not isinstance(v, bool)


def _is_str_call(e):
    """``str(v)`` or ``"...".format(...)`` (whether ``str`` is the builtin is checked
    where it is called: ``Trees._static_string``)."""
    if not isinstance(e, ast.Call):
        return False
    if isinstance(e.func, ast.Name):
        return e.func.id == "str"
    return isinstance(e.func, ast.Attribute) and e.func.attr == "format" \
        and isinstance(e.func.value, ast.Constant) and isinstance(e.func.value.value, str)


def _formatted(how, template, values):
    try:
        return how(template, values)
    except (TypeError, ValueError, IndexError, KeyError):
        return NOT_STATIC


_ARITHMETIC = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
               ast.Mult: lambda a, b: a * b, ast.FloorDiv: lambda a, b: a // b,
               ast.Mod: lambda a, b: a % b}


def _example(name, tree):
    key = tree.keys[0] if tree.keys else 0
    return f"{name}.{key}" if tree.kind in BY_ATTRIBUTE else f"{name}[{key!r}]"
