"""Which names may share memory, and the in-place changes that makes unsafe.

The generated code runs the user's statements on the same objects as the
user's function, with two differences that aliasing could make visible:

- ``x += e`` on a name is compiled as ``x_2 = x + e``, a new value. For a
  number that is exactly what Python does; for an array Python changes the
  array in place, and so every other name that shares its memory (``y = x``,
  a view ``x[1:]``, ``x.T``, ``np.asarray(x)``, a list holding it, the array
  a loop walks) changes too. The new value is exact only if no such name is
  read afterwards (*rebinding* hazard).
- A statement kept as written that changes an array in place (``k[0] = v``,
  ``k.fill(0)``, ``np.copyto(k, ...)``, ``out=k``, a call that may write into
  its arguments, ``hs.pop()``) changes it in the generated code too. The
  reverse sweep reads the inputs of each primitive after the whole forward
  sweep has run, so the change is wrong for a primitive that read the array
  before it (or in the same loop): *mutation* hazard.

A flow-insensitive points-to analysis over the normalized IR (each name of
which is assigned once, except a loop's carried names) finds the objects a
name may refer to and the objects a container may hold. What it does not
know (an unknown function, a primitive that may return a view) is assumed to
share memory with everything it reads. Mutation hazards are refused at once;
rebinding hazards depend on whether the value is a number, which the
specialisation to argument types decides (see ``check_rebindings``).
"""

import ast
import builtins
import linecache
import types
from typing import NamedTuple

import numpy as np

from .. import ir
from ..errors import TransformError
from .callees import callee_of
from .ndims import infer_ndims
from .numbers import infer_numbers
from ..rules import REGISTRY, broadcasts
from ..runtime import stop_gradient

#: built-in primitives whose result is a new array or number, never a view of an input
_NEW_RESULTS = {
    "inv", "solve", "det", "slogdet", "cholesky", "norm", "eigvalsh", "eigh", "svd",
    "dot", "sum", "mean", "max", "prod", "var", "std", "cumsum", "cumprod", "outer", "inner",
    "tensordot", "kron", "tile", "repeat", "roll", "trace", "triu", "tril", "concatenate",
    "stack", "hstack", "vstack", "pad", "matmul", "pos", "with_item", "copy_array",
    "r_", "c_",
}

#: array and container methods that return a new object (the registry's views aside)
_NEW_FROM_METHODS = {"copy", "astype", "flatten", "tolist", "sum", "mean", "prod", "max", "min",
                     "std", "var", "cumsum", "cumprod", "dot", "round", "argmax", "argmin",
                     "argsort", "nonzero", "any", "all", "item", "clip", "repeat"}

#: array and container methods that change nothing (the registry's methods aside)
_READING_METHODS = {"copy", "tolist", "item", "astype", "conj", "conjugate", "round", "get",
                    "keys", "values", "items", "index", "count", "any", "all", "view",
                    "reshape", "ravel", "flatten", "squeeze", "transpose", "swapaxes",
                    "__len__", "startswith", "endswith", "format", "split", "join"}

#: container methods that change their receiver only (append and extend only add to a
#: list: what a primitive read of it before stays as it was)
_CONTAINER_METHODS = {"insert", "pop", "remove", "clear", "reverse", "add", "discard",
                      "update", "setdefault", "popitem"}
_ADDING_METHODS = {"append", "extend"}

#: builtins that make a new container of what they are given: the items they hold (a list
#: of an array's rows holds views of it) are those of their arguments
_COLLECTING = (list, tuple, sorted, dict, set, frozenset, reversed)

#: builtins that neither keep nor change what they are given
_PURE_BUILTINS = {len, int, float, complex, bool, str, repr, range, min, max, sum, abs, round,
                  print, isinstance, type, tuple, list, dict, set, frozenset, sorted, reversed,
                  enumerate, zip, any, all, id, hash, format, divmod, pow, getattr, hasattr,
                  iter, slice}


def of(fn):
    """The points-to facts of normalized function ``fn`` (computed once)."""
    found = getattr(fn, "_aliases", None)
    if found is None:
        found = fn._aliases = Aliases(fn, REGISTRY)
    return found


class Aliases:
    """The points-to facts of one normalized function.

    ``objects[name]``: the abstract objects (allocation sites) the name may refer to;
    ``contents[obj]``: the objects a container (list, tuple, dict, an unknown object)
    may hold."""

    def __init__(self, fn, registry, is_number=None, ndim_of=None):
        self.fn, self.registry, self.callee = fn, registry, callee_of(fn)
        self.ndim_of = ndim_of or (lambda e: None)
        self.objects, self.contents, self._reach = {}, {}, {}
        self._display_names = None   # (see _displays)
        self.local = {p for p in fn.params} | {
            n for s in ir.walk(fn.body) for n in ir.defined_names(s)}
        # numbers (whatever the arguments, unless told) share nothing and cannot change
        self.is_number = is_number or infer_numbers(fn, {})
        for p in fn.params:
            if not self.is_number(ir.load(p)):
                self._unknown_object(p, f"argument {p}")
        self._structures_hold_their_leaves()
        self._solve()

    # -- the analysis -----------------------------------------------------------------

    def _structures_hold_their_leaves(self):
        """An argument given as a structure is passed as its leaves (parameters of their
        own); where the code reads the whole object too (``m.bump()``, a method called as
        it is), that object holds the leaves' objects: a change through it reaches them."""
        for name, tree in (getattr(self.fn, "trees", None) or {}).items():
            leaves = set().union(set(), *(self.objects.get(leaf.name, set())
                                          for leaf in tree.leaves()))
            if not leaves or name in self.local:
                continue
            for site in self.of(name):
                self.contents.setdefault(site, set()).update(leaves)

    def _unknown_object(self, name, site):
        """``name`` refers to an object made elsewhere, which may hold anything made elsewhere."""
        inner = site + "[]"
        self.objects.setdefault(name, set()).add(site)
        self.contents.setdefault(site, set()).add(inner)
        self.contents.setdefault(inner, set()).add(inner)

    def _add(self, table, key, values):
        if table is self.objects and self.is_number(ir.load(key)):
            return
        have = table.setdefault(key, set())
        if not values <= have:
            have |= values
            self.changed = True

    def _solve(self):
        self.changed = True
        while self.changed:
            self.changed = False
            for s in ir.walk(self.fn.body):
                self._statement(s)

    def of(self, name):
        """The objects ``name`` may refer to (a free name: an object made elsewhere, unless it
        is a module, a function or a class, whose contents the function cannot change)."""
        found = self.objects.get(name)
        if found is None:
            if name in self.local or _is_code(self.callee(ir.load(name))) \
                    or self.is_number(ir.load(name)):
                return set()
            self._unknown_object(name, f"global {name}")
            found = self.objects[name]
        return found

    def reach(self, name):
        """Every object reading ``name`` may read: what it refers to and what that holds."""
        found = self._reach.get(name)
        if found is None:
            found = self._reach[name] = self.deep(self.of(name))
        return found

    def deep(self, objects):
        """``objects`` and everything they may hold, at any depth."""
        found, todo = set(), list(objects)
        while todo:
            o = todo.pop()
            if o not in found:
                found.add(o)
                todo.extend(self.contents.get(o, ()))
        return found

    def _new(self, s, name):
        return f"{name}@{id(s)}"

    def _statement(self, s):
        if isinstance(s, ir.Op):
            if self.is_number(s.expr):
                return   # (a number: no object, x * y of numbers)
            # a new object (np.asarray of a number is one too), or for a primitive that may
            # return a view, also whatever it reads
            self._add(self.objects, s.target, {self._new(s, s.target)})
            if not self._makes_new(s):
                self._add(self.objects, s.target, self._value(s.expr))
        elif isinstance(s, ir.Keep):
            self._kept(s)
        elif isinstance(s, ir.Carry):
            self._add(self.objects, s.target, set(self.of(s.source)))
        elif isinstance(s, ir.ListNew):
            site = self._new(s, s.target)
            self._add(self.objects, s.target, {site})
            self._add(self.contents, site, set().union(*(self._value(e) for e in s.elements)))
        elif isinstance(s, (ir.ListAppend, ir.ListAdd, ir.ListSet)):
            for site in list(self.of(s.target)):
                self._add(self.contents, site, self._value(s.value))
        elif isinstance(s, ir.ListGet):
            self._add(self.objects, s.target, self.held(self.of(s.source)))

    def made_by(self, s):
        """The objects the IR statement ``s`` may give the name it assigns (as _statement
        finds them), or None where that is not known."""
        if isinstance(s, ir.Op):
            if self.is_number(s.expr):
                return set()
            made = {self._new(s, s.target)}
            return made if self._makes_new(s) else made | self._value(s.expr)
        if isinstance(s, ir.Carry):
            return set(self.of(s.source))
        if isinstance(s, ir.Keep) and isinstance(s.stmt, ast.Assign) \
                and len(s.stmt.targets) == 1 and isinstance(s.stmt.targets[0], ast.Name):
            return self._value(s.stmt.value)
        return None   # (not known: anything)

    def held(self, objects):
        """The objects ``objects`` (containers) may hold."""
        return set().union(*(self.contents.get(o, set()) for o in objects)) if objects else set()

    def _makes_new(self, op):
        rule, expr = op.rule, op.expr
        if broadcasts(rule) or rule.name in _NEW_RESULTS:
            return True
        if rule.shape.scalar and rule.filename.endswith("math.py"):
            return True
        method = expr.func.attr if isinstance(expr, ast.Call) and isinstance(
            expr.func, ast.Attribute) else None
        copy = [k.value for k in getattr(expr, "keywords", []) if k.arg == "copy"]
        if rule.name == "ravel" and method == "flatten":
            return True
        if rule.name == "getitem" and _lists_in(expr.slice, self._displays()):
            return True   # x[[0, 2]], x[[0, 1], 2]: NumPy's advanced indexing copies
        if rule.name == "diag" and op.inputs and self.ndim_of(op.inputs[0]) == 1:
            return True   # np.diag of a vector: a new matrix (of a matrix, a view)
        if rule.name in ("array", "astype") and method in ("array", "astype") and not (
                copy and not (isinstance(copy[0], ast.Constant) and copy[0].value is True)):
            return True
        return False

    def _displays(self):
        """Name -> the list or tuple display the function binds it to, where that is the
        name's one assignment (a constant index the frontend named: ``t1 = [0, 2]``)."""
        if self._display_names is None:
            found = {}
            for s in ir.walk(self.fn.body):
                for n in ir.own_assigns(s):
                    found[n] = s.stmt.value if isinstance(s, ir.Keep) and isinstance(
                        s.stmt, ast.Assign) and n not in found and isinstance(
                        s.stmt.value, (ast.List, ast.Tuple)) else None
            self._display_names = found
        return self._display_names

    def _kept(self, s):
        stmt = s.stmt
        if isinstance(stmt, ast.Assign):
            value = self._value(stmt.value)
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    self._add(self.objects, target.id, value)
                elif isinstance(target, (ast.Tuple, ast.List)):
                    held = value | self.held(value)
                    for t in ir.walk_tree(target):
                        if isinstance(t, ast.Name):
                            self._add(self.objects, t.id, held)
                else:   # k[i] = v, obj.a = v: k (or obj) may now hold v
                    for site in list(self.of_expression(ir.base_of(target))):
                        self._add(self.contents, site, value)
        for node in ir.walk_tree(stmt):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("append", "insert", "extend", "add", "update",
                                           "setdefault") \
                    and isinstance(node.func.value, ast.Name):
                for site in list(self.of(node.func.value.id)):
                    self._add(self.contents, site,
                              set().union(set(), *(self._value(a) for a in node.args)))

    def of_expression(self, e):
        return self.of(e.id) if isinstance(e, ast.Name) else set()

    def _value(self, e):
        """The objects expression ``e`` may evaluate to."""
        if isinstance(e, ast.Constant) or e is None:
            return set()
        if isinstance(e, ast.Name):
            return set(self.of(e.id))
        if isinstance(e, (ast.BinOp, ast.UnaryOp, ast.Compare, ast.Call)) and self.is_number(e):
            return set()   # a number: no object (x * y of numbers)
        if isinstance(e, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
            site = f"display@{id(e)}"
            parts = e.values + e.keys if isinstance(e, ast.Dict) else e.elts
            self._add(self.contents, site, set().union(set(), *(
                self._value(p) for p in parts if p is not None)))
            return {site}
        if isinstance(e, (ast.BinOp, ast.UnaryOp, ast.Compare)):
            # a new array or number; a new list or tuple (a + b) holds what a and b hold
            site = f"new@{id(e)}"
            operands = [c for c in ast.iter_child_nodes(e) if isinstance(c, ast.expr)]
            self._add(self.contents, site, self.held(set().union(
                set(), *(self._value(c) for c in operands))))
            return {site}
        if isinstance(e, ast.Call) and self._allocates(e):
            return self._collected(e)
        made = _returns_new(self.callee(e.func)) if isinstance(e, ast.Call) else None
        if made is not None:
            # a function of the user's returning arithmetic: a new object (a new list
            # holds what the lists it is made of hold: what the arguments may hold, unless
            # it is made of constants)
            site = f"new@{id(e)}"
            if made:
                self._add(self.contents, site, self.deep(set().union(set(), *(
                    self.of(n) for n in sorted(ir.names_read(e))))))
            return {site}
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) \
                and e.func.attr == "pop" and isinstance(e.func.value, ast.Name):
            return self.held(self.of(e.func.value.id))   # an item, not the list
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) \
                and e.func.attr in _NEW_FROM_METHODS \
                and not any(k.arg == "copy" for k in e.keywords):
            # x.copy(), x.astype(t), x.sum(): a new array; a copied list holds the same items
            site = f"new@{id(e)}"
            self._add(self.contents, site, self.held(self._value(e.func.value)))
            return {site}
        if isinstance(e, ast.Attribute) and e.attr in self.registry.nondiff_attributes:
            return set()
        if isinstance(e, ast.Starred):   # f(*x.shape): what x.shape holds
            return self._value(e.value)
        if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Attribute) \
                and e.value.attr in self.registry.nondiff_attributes:
            return set()   # x.shape[0]: a number
        if isinstance(e, ast.Subscript) and any(self.callee(e.value) is f
                                                for f in (np.r_, np.c_)):
            # np.r_[a, b] joins copies of what it is given
            site = f"new@{id(e)}"
            return {site}
        # a view, an item, an attribute, whatever an unknown call returns: a new object, or
        # anything the expression reads or what that holds
        read = set().union(set(), *(self.of(n) for n in sorted(ir.names_read(e))))
        return self.deep(read) | {f"new@{id(e)}"}

    def _collected(self, call):
        """The new object a call that allocates one gives: for ``list(B)``, ``tuple(B)``,
        ``sorted(hs)``, ``dict(d)``, a container holding what it is given holds, and for an
        array, its rows (views of it); the entries of a 1-d array are NumPy scalars."""
        site = f"new@{id(call)}"
        if not any(self.callee(call.func) is f for f in _COLLECTING):
            return {site}
        given = [a for a in list(call.args) + [k.value for k in call.keywords]
                 if self.ndim_of(a) != 1]
        self._add(self.contents, site, self.deep(set().union(set(), *(
            self._value(a) for a in given))))
        return {site}

    def _allocates(self, call):
        """Whether a call surely returns a new object (holding no object the caller has, but
        for the containers of _COLLECTING)."""
        obj = self.callee(call.func)
        if obj is None:
            return False
        if obj is np.array or obj is np.copy:
            return not any(k.arg == "copy" for k in call.keywords)
        if obj is stop_gradient:
            return False  # the identity: its result is its argument
        if self.registry.is_nondifferentiable(obj):
            return True   # numbers, shapes, index arrays
        name = getattr(obj, "__name__", "")
        module = getattr(obj, "__module__", "") or ""
        return module.split(".")[0] == "numpy" and name in _NUMPY_ALLOCATORS \
            or any(obj is f for f in (len, int, float, range) + _COLLECTING) \
            or module == "math"

    # -- changes in place -------------------------------------------------------------

    def changed_objects(self, s):
        """The objects statement ``s`` (its own code, not nested blocks) may change in place."""
        # (appending leaves the items there: the adjoints of np.stack(hs) and the like
        # cover the items the list had when they ran, whatever it holds later)
        if isinstance(s, ir.ListGet) and s.pop:
            return set(self.of(s.source))
        if isinstance(s, ir.ListSet):   # (another name for the list would see the new item)
            return set(self.of(s.target))
        if not isinstance(s, ir.Keep):
            return set()
        stmt, found = s.stmt, set()
        targets = stmt.targets if isinstance(stmt, ast.Assign) else \
            [stmt.target] if isinstance(stmt, ast.AugAssign) else []
        for t in targets:
            for part in _stored_parts(t):   # k[i] = v, obj.a = v (not what i reads)
                if isinstance(part, (ast.Subscript, ast.Attribute)):
                    found |= self._value(part.value)
                    if isinstance(stmt, ast.AugAssign) and part is t:
                        # k[i] op= v also changes in place the item (an array a list holds)
                        found |= self.held(self._value(part.value))
        for node in ir.walk_tree(stmt):
            if isinstance(node, ast.Call):
                found |= self._call_changes(node)
        return found

    def _call_changes(self, call):
        """The objects a call may change: what it is given with out=, what a function or
        method known to write changes, and for one not known to leave its arguments alone,
        everything its arguments (and its receiver) hold."""
        found = set()
        for k in call.keywords:
            if k.arg == "out":
                found |= self.deep(self._value(k.value))
        args = list(call.args) + [k.value for k in call.keywords if k.arg != "out"]
        given = self.deep(set().union(set(), *(self._value(a) for a in args)))
        func = call.func
        obj = self.callee(func)
        if isinstance(getattr(obj, "__self__", None), np.ufunc) \
                and getattr(obj, "__name__", "") == "at" and call.args:
            return found | self._value(call.args[0])   # np.add.at(x, idx, v) changes x only
        if obj is not None and isinstance(func, ast.Attribute) \
                and not isinstance(getattr(obj, "__self__", None), (types.ModuleType, type(None))) \
                and self.registry.rule_for(obj) is None:
            obj = None   # a method of an object (M.T.dot): by the method's name, below
            # (unless it has a rule of its own: scipy.stats.norm.logpdf)
        if obj is not None:
            if getattr(obj, "__name__", "") in ir.WRITING_FUNCTIONS and call.args:
                return found | self._value(call.args[0])
            if self._leaves_arguments(obj):
                return found
            bound = _bound_parameters(obj, call, self, 3)
            if bound is not None:   # what it is given for the parameters it may change
                return found | self.deep(set().union(set(), *(self._value(a) for a in bound)))
            return found | given   # an unknown function may write into what it is given
        if isinstance(func, ast.Attribute):
            receiver, method = self._value(func.value), func.attr
            if method in ir.WRITING_METHODS or method in _CONTAINER_METHODS:
                return found | receiver
            if method in _ADDING_METHODS:
                return found
            if method in _READING_METHODS or method in self.registry.by_method \
                    or method in self.registry.nondiff_methods:
                return found
            return found | self.deep(receiver) | given
        return found | given

    def _leaves_arguments(self, obj):
        if isinstance(obj, type) and issubclass(obj, BaseException):
            return True   # raise ValueError(f"... {x}")
        reg = self.registry
        if reg.rule_for(obj) is not None or reg.is_nondifferentiable(obj) or reg.is_inert(obj):
            return True
        if any(obj is b for b in _PURE_BUILTINS):
            return True
        module = getattr(obj, "__module__", None) or ""
        if isinstance(obj, np.ufunc):
            return True
        if module.split(".")[0] in ("numpy", "math", "_operator", "operator"):
            return True
        return isinstance(obj, types.FunctionType) and _changes_nothing(obj, self, 3)


def _stored_parts(target):
    """The nodes of an assignment's ``target`` that are stored into or whose object is:
    the target, the items of a tuple of targets, and the containers of an item or
    attribute (``x[i][j]``: ``x[i]`` and ``x``), never an index (``counts[a[i]] += 1``
    does not change ``a``)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return [p for e in target.elts for p in _stored_parts(e)]
    if isinstance(target, ast.Starred):
        return _stored_parts(target.value)
    if isinstance(target, (ast.Subscript, ast.Attribute)):
        return [target] + _stored_parts(target.value)
    return [target]


def _changes_nothing(func, facts, depth):
    """Whether a Python function of the user's (called on values not being differentiated,
    and so not inlined) surely changes nothing in place: no augmented assignment, no item or
    attribute assignment, no method call but reading ones, no call but to functions that
    change nothing (looked into ``depth`` levels deep)."""
    tree = _parsed(func)
    if tree is None:
        return False
    fresh = _fresh_locals(tree)
    for node in ir.walk_tree(tree):
        if isinstance(node, ast.AugAssign) and not (
                isinstance(node.target, ast.Name) and node.target.id in fresh):
            return False   # m *= 2 changes an array m in place (m may be an argument)
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) \
                else [node.target]
            if not all(isinstance(t, ast.Name) or isinstance(t, (ast.Tuple, ast.List)) and all(
                    isinstance(e, ast.Name) for e in t.elts) for t in targets):
                return False
        elif isinstance(node, (ast.Global, ast.Nonlocal, ast.Lambda, ast.Yield, ast.YieldFrom,
                               ast.ClassDef)) or isinstance(node, ast.FunctionDef) \
                and node is not tree.body[0]:
            return False
        elif isinstance(node, ast.Call):
            if any(k.arg == "out" for k in node.keywords):
                return False
            obj = _called(node.func, func)
            if obj is _METHOD:
                if _reads_only(node.func.attr, facts):
                    continue
                return False
            if obj is None or getattr(obj, "__name__", "") in ir.WRITING_FUNCTIONS:
                return False
            if isinstance(obj, types.FunctionType) and obj is not func \
                    and not (module_of(obj) in ("numpy", "math")) \
                    and not (depth > 0 and _changes_nothing(obj, facts, depth - 1)):
                return False
            if not isinstance(obj, types.FunctionType) and not facts._leaves_arguments(obj):
                return False
    return True


def _returns_new(func):
    """For a Python function of the user's ``func`` that returns only what arithmetic, a
    comparison, a ufunc... makes, or a constant (``return p * q + 1.0``, see _makes_new),
    never an object its caller has: whether what it returns may hold objects the caller
    has (a list made of others holds their items; not where the values returned read no
    variable, only functions and modules). None for any other callee."""
    if not isinstance(func, types.FunctionType) or module_of(func) in ("numpy", "math"):
        return None
    tree = _parsed(func)
    if tree is None or not isinstance(tree.body[0], ast.FunctionDef) or any(
            isinstance(n, (ast.Lambda, ast.Yield, ast.YieldFrom, ast.AsyncFunctionDef))
            or isinstance(n, ast.FunctionDef) and n is not tree.body[0] for n in ir.walk_tree(tree)):
        return None
    values = [r.value for r in ir.walk_tree(tree) if isinstance(r, ast.Return) and r.value]
    if not all(_makes_new(v, func) for v in values):
        return None
    return any(isinstance(n, ast.Name) and not _is_code(func.__globals__.get(
        n.id, getattr(builtins, n.id, None))) for v in values for n in ir.walk_tree(v))


def _parsed(func):
    """The AST of a Python function's source (a Module holding its def), or None (also
    for a wrapper, whose source inspect finds in the function it wraps, and for a def with
    decorators but @staticmethod: the source is not what runs)."""
    import inspect
    import textwrap
    if getattr(func, "__wrapped__", None) is not None:
        return None
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return None
    fn = tree.body[0] if tree.body else None
    if not isinstance(fn, ast.FunctionDef) or fn.name != getattr(func, "__name__", None) \
            or any(not (isinstance(d, ast.Name) and d.id == "staticmethod")
                   for d in fn.decorator_list):
        return None   # (@staticmethod leaves the function as written)
    return tree


def _bound_parameters(func, call, facts, depth):
    """The argument expressions of ``call`` (to the Python function of the user's ``func``)
    given for the parameters ``func`` may change in place (see _changed_parameters), or None
    where that is not known (it may change anything, or such a parameter takes its default)."""
    if not isinstance(func, types.FunctionType):
        return None
    changed = _changed_parameters(func, facts, depth)
    tree = _parsed(func) if changed else None
    if changed is None or changed and tree is None:
        return None
    if not changed:
        return []
    args = tree.body[0].args
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords) or args.vararg or args.kwarg:
        return None
    positional = [a.arg for a in args.posonlyargs + args.args]
    given = dict(zip(positional, call.args))
    given.update((k.arg, k.value) for k in call.keywords)
    if len(call.args) > len(positional) or not changed <= set(given):
        return None
    return [given[p] for p in sorted(changed)]


def _changed_parameters(func, facts, depth):
    """The parameters of a Python function of the user's (called on values not being
    differentiated, and so not inlined) whose objects, or what they hold, it may change in
    place; None where it may change anything else (what a global names, or anything: a
    method that may write, a function not known, ``out=``). A local name may share memory
    with every parameter its values are computed from (``r = np.sin(q)``: with ``q``), so
    ``r += e`` may change ``q``'s object (not where ``r`` is only ever made new by
    arithmetic, see _fresh_locals). Looked into ``depth`` levels of calls deep."""
    tree = _parsed(func)
    if tree is None or not isinstance(tree.body[0], ast.FunctionDef):
        return None
    fn = tree.body[0]
    params = {a.arg for a in ir.walk_tree(fn.args) if isinstance(a, ast.arg)}
    local = params | ir.assigns([fn])
    fresh, found = _fresh_locals(tree), set()
    flows = _parameter_flows(fn, func, local)
    if flows is None:
        return None
    shares, is_ = _shared_parameters(flows, params)

    def sharing(e):
        return set().union(set(), *(shares.get(n.id, set()) for n in ir.walk_tree(e)
                                    if isinstance(n, ast.Name)))

    for node in ir.walk_tree(fn):
        targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else \
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        for t in targets:
            if isinstance(t, ast.Name):
                if isinstance(node, ast.AugAssign) and t.id not in fresh:
                    found |= is_.get(t.id, set())   # r op= e: in place, for an array
            elif not (isinstance(t, (ast.Tuple, ast.List)) and all(
                    isinstance(e, ast.Name) for e in t.elts)):
                found |= sharing(t)   # k[i] = v, obj.a = v
        if isinstance(node, ast.Call):
            more = _call_changed(node, func, facts, depth, sharing)
            if more is None:
                return None
            found |= more
    return None if "*" in found else found & params


def _parameter_flows(fn, func, local):
    """For _changed_parameters: (names bound, names whose contents change, names read, how:
    "new", "name" or "other") for each assignment of the def ``fn`` (of ``func``; ``local``:
    its parameters and local names), "*" read for a variable not its own; None for what it
    does not follow (global, a nested function, with, ...)."""

    def code(name):   # a module, function or class the function names: nothing to change
        obj = func.__globals__.get(name, getattr(builtins, name, None))
        return obj is not None and _is_code(obj)

    flows = []
    for node in ir.walk_tree(fn):
        if isinstance(node, (ast.Global, ast.Nonlocal, ast.Lambda, ast.Yield, ast.YieldFrom,
                             ast.ClassDef, ast.With, ast.AsyncFunctionDef, ast.Await,
                             ast.NamedExpr)) or isinstance(node, ast.FunctionDef) \
                and node is not fn:
            return None
        pairs = [(t, node.value) for t in node.targets] if isinstance(node, ast.Assign) else \
            [(node.target, node.value)] if isinstance(node, ast.AnnAssign) and node.value else \
            [(node.target, node.iter)] if isinstance(node, (ast.For, ast.comprehension)) else []
        for target, value in pairs:
            read = ir.names_mentioned([value])
            if any(n not in local and not code(n) for n in read):
                if any(not isinstance(t, ast.Name) for t in ir.walk_tree(target)
                       if isinstance(t, ast.expr) and isinstance(getattr(t, "ctx", None),
                                                                  ast.Store)):
                    return None
                read.add("*")   # (what a global names)
            bound = {n.id for n in _bound_names(target)}
            kind = "new" if _makes_new(value, func) else \
                "name" if isinstance(value, ast.Name) else "other"
            flows.append((bound, ir.names_mentioned([target]) - bound, read, kind))
    return flows


def _shared_parameters(flows, params):
    """(shares, is_) for _changed_parameters: ``is_[n]``, the parameters the value of name
    ``n`` may be (or be a view of, or an item of); ``shares[n]``, those it may be or hold
    ("p" stands for p and everything it holds, "*" for what a global names)."""
    shares, is_ = {p: {p} for p in params}, {p: {p} for p in params}
    changed = True
    while changed:
        changed = False
        for targets, holders, read, kind in flows:
            held = set().union(set(), *(shares.get(n, {"*"} if n == "*" else set())
                                        for n in read))
            same = set() if kind == "new" else held if kind == "other" else \
                set().union(set(), *(is_.get(n, {"*"} if n == "*" else set()) for n in read))
            for t, table, value in [(t, shares, held) for t in targets | holders] + [
                    (t, is_, same) for t in targets]:
                if not value <= table.setdefault(t, set()):
                    table[t] |= value
                    changed = True
    return shares, is_


def _bound_names(target):
    """The names an assignment to ``target`` binds (not those of ``k[i] = v``)."""
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for e in target.elts for n in _bound_names(e)]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    return []


_METHOD = object()   # (what _called gives for a method of a value)


def _called(f, func):
    """What the function expression ``f`` of a call in the user's function ``func`` names:
    a global or builtin (``f``), a module's attribute (``np.sin``); ``_METHOD`` for a
    method of a value (``v.sum``); None for anything else, or a name found nowhere."""
    if isinstance(f, ast.Name):
        return func.__globals__.get(f.id, getattr(builtins, f.id, None))
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) \
            and isinstance(func.__globals__.get(f.value.id), types.ModuleType):
        return getattr(func.__globals__[f.value.id], f.attr, None)
    return _METHOD if isinstance(f, ast.Attribute) else None


def _reads_only(method, facts):
    """Whether the method ``method`` of a value only reads it."""
    return method in _READING_METHODS or method in facts.registry.by_method \
        or method in facts.registry.nondiff_methods


def _makes_new(value, func):
    """Whether the expression ``value`` (in the user's function ``func``) is a new object:
    arithmetic, a comparison, a constant, a NumPy function that makes a new array, a
    ufunc, a function of ``math``."""
    if isinstance(value, (ast.BinOp, ast.UnaryOp, ast.Compare, ast.Constant)):
        return True
    if not isinstance(value, ast.Call) or any(k.arg in ("out", "copy") for k in value.keywords):
        return False
    obj = _called(value.func, func)
    return isinstance(obj, np.ufunc) or module_of(obj) == "math" and callable(obj) or \
        module_of(obj) == "numpy" and getattr(obj, "__name__", "") in _NUMPY_ALLOCATORS


def _call_changed(call, func, facts, depth, sharing):
    """For _changed_parameters: the names ``call`` (in the user's function ``func``) may
    change in place, by ``sharing(expression)``, or None for anything."""
    if any(k.arg == "out" for k in call.keywords):
        return None
    obj = _called(call.func, func)
    if obj is _METHOD:
        return set() if _reads_only(call.func.attr, facts) else None
    if obj is None or obj is func or getattr(obj, "__name__", "") in ir.WRITING_FUNCTIONS:
        return None
    if isinstance(obj, types.FunctionType) and module_of(obj) not in ("numpy", "math"):
        if depth <= 0:
            return None
        bound = _bound_parameters(obj, call, facts, depth - 1)
        return None if bound is None else set().union(set(), *(sharing(a) for a in bound))
    if not isinstance(obj, types.FunctionType) and not facts._leaves_arguments(obj):
        return None
    return set()


def _fresh_locals(tree):
    """The names of the function ``tree`` (not its parameters, globals or nonlocals) only
    ever bound to a new value, a constant or the result of arithmetic (``r = p + 0.5``), or
    changed by ``r op= e``: ``r op= e`` changes that value, nothing the caller has."""
    fn = tree.body[0]
    made = (ast.BinOp, ast.UnaryOp, ast.Constant, ast.Compare)
    others = {a.arg for a in ir.walk_tree(fn.args) if isinstance(a, ast.arg)}
    updated = {id(n.target) for n in ir.walk_tree(tree) if isinstance(n, ast.AugAssign)}
    new = {id(n.targets[0]) for n in ir.walk_tree(tree) if isinstance(n, ast.Assign)
           and len(n.targets) == 1 and isinstance(n.value, made)}
    found = set()
    for n in ir.walk_tree(tree):
        if isinstance(n, (ast.Global, ast.Nonlocal)):
            others |= set(n.names)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and id(n) not in updated:
            (found if id(n) in new else others).add(n.id)
    return found - others


def module_of(obj):
    return (getattr(obj, "__module__", None) or "").split(".")[0]


def _is_code(obj):
    return isinstance(obj, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
                            type)) or isinstance(obj, np.ufunc)


#: NumPy functions that return a new array (or number) built from their arguments' values
_NUMPY_ALLOCATORS = {
    "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like",
    "arange", "linspace", "logspace", "geomspace", "eye", "identity", "copy", "array",
    "concatenate", "stack", "hstack", "vstack", "tile", "repeat", "sum", "mean", "prod",
    "cumsum", "dot", "matmul", "outer", "argmax", "argmin", "argsort", "sort", "where",
    "nonzero", "count_nonzero", "isnan", "isfinite", "isinf", "sign", "floor", "ceil",
    "round", "abs", "exp", "log", "sqrt", "sin", "cos", "tanh", "maximum", "minimum",
    "clip", "normal", "uniform", "standard_normal", "random", "rand", "randn", "integers",
    "default_rng", "meshgrid", "tri", "triu", "tril", "diff", "allclose", "isclose",
    "array_equal", "shape", "ndim", "size",
}


# -- hazards ---------------------------------------------------------------------------

def _reverse_reads(s):
    """Names whose values the reverse sweep reads for statement ``s``: a primitive's inputs
    and result (read by its adjoint after the whole forward sweep), an item's index."""
    if isinstance(s, ir.Op):
        return ir.own_reads(s) | {s.target}
    if isinstance(s, (ir.ListGet, ir.ListAdd, ir.ListSet)):
        return ir.names_read(s.index)
    return set()


class _Place(NamedTuple):
    """Where a statement is (see _program_order)."""

    statement: object
    position: int            # in program order
    loops: frozenset         # ids of the enclosing loops
    branches: frozenset      # the branches of ifs it is in: (id of the if, 0 body / 1 else)
    leaves: frozenset        # ids of the enclosing loops it surely leaves once it has run:
    #                          every path from it reaches a break before the next iteration


def _program_order(body):
    """id(statement) -> its _Place."""
    order = {}

    def visit(stmts, loops, branches, leaves, innermost):
        for i, s in enumerate(stmts):
            gone = leaves | {innermost} if innermost and (
                _breaks(stmts[i + 1:]) or _one_step(order[innermost].statement)) else leaves
            order[id(s)] = _Place(s, len(order), loops, branches, gone)
            for k, block in enumerate(ir.children(s)):
                if isinstance(s, ir.Loop):
                    visit(block, loops | {id(s)}, branches, gone, id(s))
                else:
                    visit(block, loops, branches | {(id(s), k)}, gone, innermost)

    visit(body, frozenset(), frozenset(), frozenset(), None)
    return order


def _one_step(loop):
    """Whether ``loop`` runs its body at most once: ``for i in range(1)`` (constant bounds)."""
    it = loop.iterable if loop.kind == "for" else None
    if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
            and not it.keywords and 1 <= len(it.args) <= 3):
        return False
    bounds = []
    for a in it.args:
        negative = isinstance(a, ast.UnaryOp) and isinstance(a.op, ast.USub)
        a = a.operand if negative else a
        if not (isinstance(a, ast.Constant) and type(a.value) is int):
            return False
        bounds.append(-a.value if negative else a.value)
    try:
        return len(range(*bounds)) <= 1
    except ValueError:   # (a step of 0)
        return False


def _breaks(block):
    """Whether running the statements ``block`` (of a loop's body, or a block nested in it
    through ifs) surely reaches a break of that loop (a return in a loop is a break)."""
    for s in block:
        if isinstance(s, ir.Jump):
            return s.kind == "break"
        if isinstance(s, ir.If):
            if _breaks(s.body) and _breaks(s.orelse):
                return True
            if _may_continue(s):
                return False
    return False


def _may_continue(s):
    """Whether the if ``s`` holds a continue of the loop around it."""
    return any(isinstance(t, ir.Jump) and t.kind == "continue" or isinstance(t, ir.If)
               and _may_continue(t) for t in s.body + s.orelse)


def _exclusive(branches, other):
    """Whether statements in the ``branches`` and ``other`` (see _program_order) are in the
    two blocks of one if: one runs after the other only through a loop around both."""
    return any((at, 1 - k) in other for at, k in branches)


def _follows(later, earlier):
    """Whether the statement at ``later`` may run after the one at ``earlier`` (entries of
    _program_order): later in program order and not in the other block of an if, or in a
    loop around both that may start its next iteration after ``earlier``."""
    _, pos, loops, branches, leaves = earlier
    _, rpos, rloops, rbranches, _ = later
    return bool(rloops & loops - leaves) or rpos > pos and not _exclusive(branches, rbranches)


def check_mutations(fn, aliases):
    """Refuse a statement kept as written that changes, in place, an object a primitive read
    before it (or in the same loop): the reverse sweep would read the changed values."""
    order = _program_order(fn.body)
    entries = sorted(order.values(), key=lambda e: e.position)
    for s, pos, loops, branches, leaves in entries:
        objects = aliases.changed_objects(s)
        if not objects:
            continue
        # a loop each iteration of which makes the objects anew: a read in an earlier
        # iteration read another object
        here = _Place(s, pos, loops - _making_loops(objects, order), branches, leaves)
        for entry in entries:
            r = entry.statement
            if r is s or not _follows(here, entry):
                continue
            for n in sorted(_reverse_reads(r)):
                if aliases.reach(n) & objects:
                    raise _error(fn, s, _mutation_message(fn, s, n))
    return None


def check_stale_leaves(fn, aliases):
    """Refuse reading an attribute or item of an object given as a structure after a
    statement kept as written that may change the object (its method run as it is:
    ``m.reset()``): the code reads the structure's parts once, where the call begins (its
    leaves are parameters of their own), and Python reads them anew, perhaps rebound."""
    wholes = {name: {leaf.name for leaf in tree.leaves()}
              for name, tree in (getattr(fn, "trees", None) or {}).items()}
    if not wholes:
        return
    order = _program_order(fn.body)
    entries = sorted(order.values(), key=lambda e: e.position)
    for place in entries:
        s = place.statement
        if not isinstance(s, ir.Keep):
            continue
        objects = None
        for name in sorted(ir.names_read(s.stmt) & set(wholes)):
            objects = aliases.changed_objects(s) if objects is None else objects
            if not aliases.of(name) & objects:
                continue
            for entry in entries:
                read = ir.own_reads(entry.statement) & wholes[name]
                if read and entry.statement is not s and _follows(entry, place):
                    raise _error(fn, s, f"{_spelled(s)!r} may change {name}, whose "
                                        f"attributes (or items) are read after it "
                                        f"({_user_name(fn, sorted(read)[0])}): adcompile "
                                        f"reads them once, where the function begins, and "
                                        f"would miss a change; read them before this line into "
                                        f"variables, or have the method return what it "
                                        f"makes")


def _spelled(s):
    """Statement ``s`` as the user wrote it (its line, for one resolved: ``$method1``)."""
    origin = getattr(s, "origin", None)
    node = origin[1] if origin else getattr(s, "node", None)
    what = ast.unparse(node).strip() if node is not None else ast.unparse(s.stmt).strip()
    if "$" in what and origin and getattr(node, "lineno", None):
        what = linecache.getline(getattr(origin[0], "filename", ""), node.lineno).strip() \
            or what
    return what


def _making_loops(objects, order):
    """The ids of the loops around the statement making each of ``objects`` (objects made
    where the function runs: ``name@id``), or the empty set when any is another object."""
    common = None
    for o in objects:
        name, at, number = o.rpartition("@")
        made = order.get(int(number)) if at and number.isdigit() else None
        if made is None:
            return frozenset()
        common = made.loops if common is None else common & made.loops
    return common or frozenset()


def rebinding_hazards(fn, aliases, every=lambda rebinding, s: False):
    """For each ``x op= e`` that normalization compiled as ``x_2 = x op e`` where the new
    value is exact only if x is not an array: (its ir.Rebinding, its statement, the names
    of other variables that may share x's object and are read afterwards). The first such
    name only, but all of them where ``every(rebinding, statement)``."""
    order = _program_order(fn.body)
    entries = sorted(order.values(), key=lambda e: e.position)
    stores, stale, defs = _stores(fn, entries)
    carried = {e.statement.target for e in entries if isinstance(e.statement, ir.Carry)}
    found, dead = [], _dead_statements(fn)
    for rebinding in fn.rebindings:
        s = rebinding.statement if id(rebinding.statement) in order else None
        objects = _changed_by(aliases, rebinding)
        observers, first = [], not every(rebinding, s)
        # the variable's later versions, and those of the other names of the array given
        # their new values (views.py), hold the new values, as Python's names do
        olds = {rebinding.old} | {x.old for x in rebinding.refresh}
        same = {fn.origin.get(o, o) for o in olds}
        if s is not None and objects:
            here = order[id(s)]
            after = _sees_the_update(aliases, objects, here, defs, stores, olds,
                                     rebinding.new)
            # (the statement itself reads in the next iteration what it changed in this one)
            unread = getattr(fn, "unread", set()) | dead
            readers = [r for r, *_ in entries
                       if (r is not s or here.loops) and _follows(order[id(r)], here)
                       and id(r) not in unread]
            # a later version of the same variable holds the new value, as Python's does;
            # the old name read again before it is assigned again (a structure's item that
            # held the object) sees the object changed
            for r in readers:
                names = _old_names_read(r, (here, order[id(r)]), olds, stores,
                                        (carried, stale))
                observers += [n for n in _observers(
                    fn, aliases, objects, sorted(names), olds, same,
                    lambda n, reader=order[id(r)]: after(n, reader)) if n not in observers]
                if observers and first:
                    break
            if not (observers and first):
                observers += [n for n in _returned_observers(fn, aliases, objects, olds, same,
                                                             after) if n not in observers]
        found.append((rebinding, s, observers[:1] if first else observers))
    return [(r, s, o) for r, s, o in found if o]


def _changed_by(aliases, rebinding):
    """The objects the user's statement of ``rebinding`` changes in place: those of its
    name, and for ``xs[i] op= v``, the item too (an array a list holds: a row of the matrix
    ``list(B)`` was made of)."""
    objects = aliases.of(rebinding.old)
    node = rebinding.origin[1]
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Subscript):
        objects = objects | aliases.held(objects)
    return objects


def _stores(fn, entries):
    """(name -> (position, loops, branches) of the statements assigning it; the names an
    old value is given back to (see _settle_refreshes); name -> the entries of _program_order
    assigning it, with None for a value no statement gives: a parameter's from the call, a
    loop's index or counter, made after nothing)."""
    stores, stale, defs = {}, set(), {}
    for e in entries:
        for n in ir.own_assigns(e.statement):
            stores.setdefault(n, []).append((e.position, e.loops, e.branches))
            defs.setdefault(n, []).append(e)
            if id(e.statement) in getattr(fn, "given_back", ()):
                stale.add(n)
    for p in list(fn.params) + [n for e in entries if isinstance(e.statement, ir.Loop)
                                for n in (e.statement.index, e.statement.counter) if n]:
        defs.setdefault(p, []).append(None)
    return stores, stale, defs


def _old_names_read(r, places, olds, stores, loop_names):
    """The names the statement ``r`` reads that may hold their values from before the
    update (``places``: the entries of _program_order of the update and of ``r``; ``olds``:
    the variable's names; ``loop_names``: the names loops carry, and those given old values
    back, see _stores)."""
    (_, pos, loops, branches, _), (_, rpos, rloops, rb, _) = places
    names = ir.own_reads(r)
    if rpos > pos and places[0][0] is not r and not _exclusive(branches, rb):
        # (the old name assigned again in between; a store in the other block of an if than
        # the statement or the reader is not between them)
        return names - {o for o in olds & names if any(
            pos < q < rpos and not _exclusive(qb, branches)
            and not _exclusive(qb, rb) for q, _, qb in stores.get(o, ()))}
    # in a later iteration: a name assigned in a loop around both has a value made after
    # the change, computed from values read after it (checked here), unless it is an old
    # value given back (see _settle_refreshes): a name the body assigns once is assigned in
    # the iteration that reads it; a loop's name at the end of each iteration only where the
    # variable changed, as those of the names the change renews always do
    carried, stale = loop_names
    return {n for n in names if not (
        (n in olds or n not in carried) and n not in stale
        and any(ql & loops & rloops for _, ql, _ in stores.get(n, ())))}


def _observers(fn, aliases, objects, names, olds, same, after):
    """Those of ``names`` that may hold one of ``objects`` (those an ``x op= e`` changes)
    and are not a later version of the variable (a name other than its names ``olds``
    whose origin is in ``same``, theirs) nor a value made after the update from its result
    (``after``, see _sees_the_update)."""
    return [n for n in names if (n in olds or fn.origin.get(n) not in same)
            and aliases.reach(n) & objects and not after(n)]


def _returned_observers(fn, aliases, objects, olds, same, after):
    """The names the function returns that may hold one of ``objects`` and are neither one
    of the variable's names ``olds`` nor a later version of it, nor made after the update
    (see _observers)."""
    return [e.id for e in fn.outputs if isinstance(e, ast.Name)
            and e.id not in olds and fn.origin.get(e.id) not in same
            and aliases.reach(e.id) & objects and not after(e.id)]


def _sees_the_update(aliases, objects, here, defs, stores, olds, result):
    """``after(name)``: whether the value of ``name`` is no observer of the update at
    ``here`` that changes ``objects`` in place (see _made_after)."""
    memo = {}

    def gives_shared(s):
        made = aliases.made_by(s)
        return made is None or bool(aliases.deep(made) & objects)

    def after(name, reader=None):
        return _made_after(name, here, defs, stores, olds, result, (
            lambda m: bool(aliases.reach(m) & objects), gives_shared), memo, reader)

    return after


def _made_after(name, here, defs, stores, olds, result, shares, memo, reader=None):
    """Whether every value of ``name`` shares nothing with the array changed by the update
    at ``here`` (an entry of _program_order), or is made after the update has run, where
    the update cannot run again before it is read (by ``reader``, an entry of
    _program_order, or anywhere when None), from values that hold the update's
    result too: the result itself or a later version of the variable (or of a name the
    update renews: ``olds``) assigned between the two, a name that shares
    nothing with the array, or a name made so too. Such a value (a view of the new array,
    ``w[-2:]`` after the loop that changes ``w``; ``row = v[k + 1]`` read later in the
    iteration of a loop that changes ``v[k + 1, 0]`` first) sees the new values, as
    Python's does. ``defs``: name -> the entries of the statements assigning it;
    ``stores``: name -> (position, loops, branches) of those; ``shares``: (whether a name
    may share memory with the array, whether the value a statement assigns may)."""
    key = (name, id(reader.statement) if reader else None)
    if key in memo:
        return memo[key]
    memo[key] = False   # (a name made from itself: not shown)
    pos, branches = here.position, here.branches
    made, (name_shares, gives_shared) = defs.get(name), shares
    found = bool(made) and None not in made and all(not gives_shared(d.statement) or (
        # the update's own result, read later in its iteration (an inlined helper's
        # u[1:-1] += ..., returned into the caller's u in a loop): the new values
        name == result and d.statement is here.statement
        and _same_iteration(d, reader, len(made))) or (
        d.position > pos and (not _follows(here, d) or _same_iteration(d, reader, len(made)))
        and not _exclusive(branches, d.branches) and all(
            m in olds and any(pos < q < d.position and not _exclusive(qb, branches)
                              and not _exclusive(qb, d.branches)
                              for q, _, qb in stores.get(m, ()))
            or m == result or not name_shares(m) or m not in olds and _made_after(
                m, here, defs, stores, olds, result, shares, memo, d)
            for m in ir.own_reads(d.statement)))
        for d in made)
    memo[key] = found
    return found


def _same_iteration(made, reader, assignments):
    """Whether ``reader`` (an entry of _program_order, or None) surely reads the value the
    statement ``made`` assigned in the same iteration of each loop around ``made``: the
    name's only assignment (not a loop's name carried from one iteration to the next, which
    a Carry assigns too), a plain statement, with the reader after it in program order
    inside the same loops and the same blocks of ifs. An update before ``made`` in those
    loops then runs again only after the reader."""
    if reader is None or assignments != 1 or isinstance(made.statement, (ir.Carry, ir.Loop, ir.If)):
        return False
    _, pos, loops, branches, _ = made
    _, rpos, rloops, rbranches, _ = reader
    return rpos > pos and loops <= rloops and branches <= rbranches


def _dead_statements(fn):
    """The ids of the statements that only compute values nothing uses: a primitive, a
    statement kept as written that only assigns, a loop's copy, whose names no statement
    that is used, no test, no other statement, no output reads where it may run after
    them (a loop's name read before the loop is its value from before). What they read
    cannot change the function's results or what it does. (Not an update Python makes in
    place, ``x op= e`` or ``x[i] = v``: what it changes, other names of the array may
    read.)"""
    order = _program_order(fn.body)
    updates = {id(r.statement) for r in fn.rebindings}
    pure = {id(s) for s in ir.walk(fn.body) if id(s) not in updates and (
        isinstance(s, (ir.Op, ir.Carry)) or isinstance(s, ir.Keep) and s.pure)}
    readers = {}   # name -> the entries of the statements reading it
    for entry in order.values():
        for n in ir.own_reads(entry.statement):
            readers.setdefault(n, []).append(entry)
    outputs = set().union(set(), *(ir.names_read(e) for e in fn.outputs))
    live = {i for i in order if i not in pure}
    changed = True
    while changed:
        changed = False
        for i in pure - live:
            here = order[i]
            names = ir.defined_names(here.statement)
            if names & outputs or any(id(r.statement) in live and _follows(r, here)
                                      for n in names for r in readers.get(n, ())):
                live.add(i)
                changed = True
    return pure - live


def _user_name(fn, name):
    """What the user wrote for the generated name ``name``."""
    origin = fn.origin.get(name, (None, name))
    return fn.spellings.get(origin, origin[1])


def _mutation_message(fn, s, reader):
    what = _spelled(s)
    return (f"{what!r} may change in place an array (or list) that the gradient reads "
            f"through {_user_name(fn, reader)!r} before this line (or in the same loop): the "
            f"reverse pass would see the changed values. Build a new array instead (copy it "
            f"before changing it)")


def _error(fn, s, message):
    origin = getattr(s, "origin", None)
    if origin is not None:
        source, node = origin
        return source.error(node, message)
    node = getattr(s, "node", None)
    return fn.source.error(node, message) if node is not None else fn.source.error(
        fn.source.node, message)


def check_rebindings(fn, is_number, ndim_of, guard, arrays=(), augmented=None, known=None):
    """Make each ``x op= e`` compiled as a new value exact, for a call whose arguments
    ``is_number`` and ``ndim_of`` know about (``arrays``: the parameters that are arrays):
    nothing to do where ``x`` is a number, or where no other name that may share its
    object is read afterwards. Where ``x`` is known to be an array of one or more
    dimensions, or may be an argument that is an array: if nothing in the statement is
    differentiated (it is kept), ``x op= e`` as Python runs it (``augmented(x, op, e)``
    gives the call: every name sharing the array sees the change), refused if the gradient
    reads the array before it (see check_mutations); else a TransformError. Otherwise a
    check before the statement that ``x`` is a number when the code runs (``guard(name,
    message)`` gives the statement; see _checked_name). ``known``: (parameter -> whether it is a number,
    parameter -> its ndim) as the arguments' types tell, which ``is_number`` and ``ndim_of``
    were inferred from (by default what they say of the parameters' names: of a name a
    loop assigns too, what it holds in the loop)."""
    is_number, ndim_of = _settle_refreshes(fn, is_number, ndim_of, known)
    facts = Aliases(fn, REGISTRY, is_number, ndim_of)   # what the arguments' types tell
    arguments = {f"argument {p}" for p in arrays}
    # (code for arguments of unknown kinds: called by keyword, or differentiated again)
    general = any(ndim_of(ir.load(p)) is None and not is_number(ir.load(p)) for p in fn.params)
    made, guards = [], []
    # (the lists and tuples primitives give, list(B), np.split(x, 2): never a number)
    sequences = {s.target for s in ir.walk(fn.body) if _gives_sequence(s)}
    # (every name that may share the array, where the check may ask them: _checked_name)
    for rebinding, s, observers in rebinding_hazards(fn, facts, lambda r, s: _writes_item(
            s) and ndim_of(ir.load(r.old)) is None):
        observer = observers[0]
        x = ir.load(rebinding.old)
        if is_number(x):
            continue
        source, node = rebinding.origin
        message = _rebinding_message(fn, rebinding, node, observer,
                                     rebinding.old in sequences)
        error = source.error(node, message)
        ndim = ndim_of(x)
        array = ndim is not None and ndim > 0 or facts.of(rebinding.old) & arguments \
            or rebinding.old in sequences
        where = f"{error.where}: "
        check = None if array else guard(_checked_name(fn, rebinding, s, observers), where + message)
        if array and id(s) in fn.untyped and not isinstance(s, ir.Keep) and general:
            # (an array whose other names the arguments' types could show to be views:
            # refused when the code made for arguments of unknown kinds runs)
            guards.append((s, guard(rebinding.old, where + message)))
            continue
        before = (s.stmt, s.pure) if isinstance(s, ir.Keep) else None
        if augmented is not None and _made_in_place(s, rebinding.old, augmented):
            made.append((s, before, check))
        elif array:
            raise error
        else:
            guards.append((s, check))
    if made:
        guards += _made_in_place_or_checked(fn, made, is_number)
    for s, statement in guards:
        ir.insert_before(fn.body, s, statement)


def _made_in_place_or_checked(fn, made, is_number):
    """Keep the updates ``made`` in place (``augmented``) if the gradient never reads what
    they change before them; else, where the value may be a number, the check when the
    code runs instead: those checks, as (statement, check). (``made``: (statement, the
    kept statement and purity it had, its check or None).)"""
    try:
        _check_made_in_place(fn, is_number)
        return []
    except TransformError:
        guards = []
        for s, before, check in made:
            if check is not None:
                s.stmt, s.pure = before
                guards.append((s, check))
        if any(check is None for _, _, check in made):
            _check_made_in_place(fn, is_number)
        return guards


def _gives_sequence(s):
    return isinstance(s, ir.Op) and s.rule.shape.sequence


def _settle_refreshes(fn, is_number, ndim_of, known=None):
    """Keep the new values frontend/views.py gave the other names of an array after an
    update where the types show that every name they are computed from is an array of one
    or more dimensions (so that Python's names share its memory); elsewhere each such
    variable gets its old value back (a number, or an array the old rules refuse). The
    updates of a group (``Rebinding.together``) are kept or undone together. Undoing one
    changes what later names are (a number, not an array): the facts are inferred again
    before the others are decided. Returns ``is_number`` and ``ndim_of`` for the code
    left."""
    fn.unread = set()   # ids of statements the hazards do not count as readers
    fn.given_back = set()   # ids of copies that give a variable its old value back
    fn.untyped = set()   # ids of the updates whose refreshes the types could not keep
    params = known or ({p: is_number(ir.load(p)) for p in fn.params},
                       {p: ndim_of(ir.load(p)) for p in fn.params})
    _refreshes_the_types_need(fn, params)
    while True:
        refreshed = [r for r in fn.rebindings if r.refresh]

        def views(r):
            return not r.undone and _views(r, is_number, ndim_of)

        failed = {g for r in refreshed if not views(r) for g in r.together}
        undone = [r for r in refreshed if not views(r) or set(r.together) & failed]
        if not undone:
            break
        # (undone for want of types: code for arguments of unknown kinds, refused when it
        # runs where the value is an array, see check_rebindings)
        fn.untyped |= {id(r.statement) for r in undone if any(
            ndim_of(ir.load(n)) is None and not is_number(ir.load(n)) for x in r.refresh
            for n in x.arrays | x.vectors)}
        for rebinding in undone:
            fn.body = _without(fn.body, {id(s) for x in rebinding.refresh for s in x.made})
            for x in rebinding.refresh:
                x.statement.expr = ir.load(x.old)
                x.statement.inputs = [ir.load(x.old)]
                fn.unread.add(id(x.statement))
                fn.given_back.add(id(x.statement))
            rebinding.refresh = []
        _, ndim_of = infer_ndims(fn, params[1])
        is_number = infer_numbers(fn, params[0], ndim_of)
    for rebinding in refreshed:
        # (they compute the values after the update; what puts the changed view back into
        # the old base reads its old values only where the view does not cover them:
        # unchanged)
        fn.unread |= {id(s) for x in rebinding.refresh for s in [x.statement, *x.made]}
    return is_number, ndim_of


def _views(rebinding, is_number, ndim_of):
    """Whether the facts show that the names the refreshes of ``rebinding`` are computed
    from are arrays of one or more dimensions (and those that must be, of one): names that
    share memory with the array updated."""
    names = set().union(set(), *(x.arrays for x in rebinding.refresh))
    vectors = set().union(set(), *(x.vectors for x in rebinding.refresh))
    return all(not is_number(ir.load(n)) and (ndim_of(ir.load(n)) or 0) >= 1 for n in names) \
        and all(ndim_of(ir.load(n)) == 1 for n in vectors)


def _refreshes_the_types_need(fn, params):
    """Mark undone (``Rebinding.undone``) the refreshes the arguments' types do not call
    for. A refresh makes the variable it renews an array; where that variable is a loop's
    (it holds the last iteration's value), the refresh alone may be what shows it to be an
    array (``d = np.asarray(x)``, ``d += c`` in a loop over a number ``x``: ``x`` would be
    "an array" only because the refresh assigns it ``d``'s new value). So the refreshes kept
    are the least set consistent with the facts: start from none (each variable given its
    old value back) and keep, round after round, those (groups) the facts then show to be
    needed, inferring the facts again with them."""
    refreshed = [r for r in fn.rebindings if r.refresh and not r.undone]
    if not refreshed:
        return
    written = {id(x): (x.statement.expr, x.statement.inputs) for r in refreshed
               for x in r.refresh}
    for r in refreshed:
        for x in r.refresh:
            x.statement.expr, x.statement.inputs = ir.load(x.old), [ir.load(x.old)]
    kept = set()
    while True:
        _, ndim_of = infer_ndims(fn, params[1])
        is_number = infer_numbers(fn, params[0], ndim_of)
        waiting = [r for r in refreshed if id(r) not in kept]
        passing = [r for r in waiting if _views(r, is_number, ndim_of)]
        failed = {g for r in waiting if r not in passing for g in r.together}
        new = [r for r in passing if not set(r.together) & failed]
        if not new:
            break
        for r in new:
            kept.add(id(r))
            for x in r.refresh:
                x.statement.expr, x.statement.inputs = written[id(x)]
    for r in refreshed:
        for x in r.refresh:
            x.statement.expr, x.statement.inputs = written[id(x)]
        r.undone = id(r) not in kept


def _without(stmts, ids):
    """The block ``stmts`` (and the blocks in it, in place) without the statements ``ids``."""
    for s in stmts:
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                setattr(s, field, _without(getattr(s, field), ids))
    return [s for s in stmts if id(s) not in ids]


def _made_in_place(s, old, augmented):
    """Rewrite the kept statement ``s``, ``new = old op e`` (``x op= e`` on a value not
    differentiated), as ``new = augmented(old, op, e)``; whether it was of that form."""
    stmt = getattr(s, "stmt", None)
    if not (isinstance(s, ir.Keep) and isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.BinOp)
            and isinstance(stmt.value.left, ast.Name) and stmt.value.left.id == old):
        return False
    value = stmt.value
    symbol = ast.unparse(ast.BinOp(ast.Name("a"), value.op, ast.Name("b")))[2:-2].strip()
    s.stmt = ast.copy_location(ast.Assign(targets=stmt.targets, value=augmented(
        value.left, symbol, value.right)), stmt)
    s.pure = False
    return True


def _check_made_in_place(fn, is_number):
    vars(fn).pop("_aliases", None)   # (of's cache: the function changes objects now)
    check_mutations(fn, Aliases(fn, REGISTRY, is_number))


def _rebinding_message(fn, rebinding, node, observer, listed=False):
    name = _user_name(fn, rebinding.old)
    other = _user_name(fn, observer)
    target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
    if isinstance(target, ast.Subscript) and isinstance(node, ast.AugAssign) and (
            listed or not isinstance(getattr(rebinding.statement, "expr", None), ast.Call)):
        # items[i] op= v on a list or dict (``listed``: one a primitive gives)
        item = ast.unparse(target)
        return (f"{ast.unparse(node).strip()!r} changes the array {item} in place, and "
                f"{other!r}, which may hold the same array, is read afterwards; adcompile "
                f"computes the item as a new array here, so the two would differ. Write "
                f"{item} = {item} {_symbol(node)} ... to make a new array")
    split = getattr(node, ir.SPLIT_FROM, None)
    if isinstance(target, ast.Subscript) and split is not None:   # y[0], y[1] = y[1], y[0]
        return (f"{_assignment_text(split)!r} changes the array {name!r} in place, and "
                f"{other!r}, read before, may share its memory (a row of a matrix is a view of "
                f"it): Python assigns the targets one at a time, so a value that is a view "
                f"sees what the assignments before it changed (a swap of rows does not "
                f"swap), and adcompile computes {name} as a new array here, so the two would "
                f"differ. Assign copies ({other}.copy()), or index once "
                f"({name}[[i, j]] = {name}[[j, i]])")
    if isinstance(target, ast.Subscript):   # x[i] = v
        return (f"{ast.unparse(node).strip()!r} changes the array {name!r} in place, and "
                f"{other!r}, which may share its memory (the same array under another name, "
                f"or a view of it), is read afterwards; adcompile computes {name} as a new "
                f"array here, so the two would differ. Copy {name!r} before assigning into it "
                f"({name} = {name}.copy()), or where it is made"
                + _swap_note(rebinding.origin[0], name, other))
    return (f"{ast.unparse(node).strip()!r} changes the array {name!r} in place, and "
            f"{other!r}, which may share its memory, is read afterwards; adcompile computes "
            f"{name} as a new array here, so the two would differ. Write {name} = "
            f"{name} {_symbol(node)} ... to make a new array (then {other!r} keeps its "
            f"value), or copy {name!r} where it is made")


def _assignment_text(s):
    """The assignment ``s`` as the user would write it (``a, b = b, a``, no parentheses)."""
    parts = [*s.targets, s.value]
    return " = ".join(", ".join(map(ast.unparse, e.elts)) if isinstance(e, ast.Tuple) and e.elts
                      else ast.unparse(e) for e in parts)


def _lists_in(index, displays):
    """Whether the index ``index`` has a list display among its parts (``x[[0, 2]]``), or a
    name ``displays`` maps to one (``t1 = [0, 2]; x[t1]``)."""
    if isinstance(index, ast.Name) and isinstance(displays.get(index.id), ast.Tuple):
        index = displays[index.id]   # (t1 = ([0, 1], 1); Y[t1])
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    return any(isinstance(displays.get(p.id) if isinstance(p, ast.Name) else p, ast.List)
               for p in parts)


def _writes_item(s):
    """Whether ``s`` is the primitive of ``x[index] = v`` or ``x[index] op= v``."""
    return isinstance(s, ir.Op) and s.rule.name in ("with_item", "added_at", "subtracted_at")


def _checked_name(fn, rebinding, s, observers):
    """The name the check before ``s`` requires to hold a number when the code runs: ``x``
    of ``x op= e``. ``x[i] = v`` changes ``x``, never a number: there the one other name
    that may share it (``observers``), where it has its value before ``s`` (``y[0], y[1] =
    y[1], y[0]`` of a vector reads numbers, of a matrix views); else ``x`` (refused when
    the code runs)."""
    held = _held_before(fn, s, observers[0]) if _writes_item(s) and len(observers) == 1 \
        else None
    return held or rebinding.old


def _held_before(fn, s, name):
    """A name that holds, each time ``s`` runs, the object ``name`` holds after it: ``name``
    itself if a statement before ``s`` in the block holding it assigns it, else the name
    a copy of that object was made from (``_value2_2 = _value2``), so found; else None."""
    while _defined_before(fn.body, s, name) is None:
        made = [t for t in ir.walk(fn.body) if name in ir.own_assigns(t)]
        if len(made) != 1 or not (isinstance(made[0], ir.Op) and made[0].rule.name == "copy"
                                  and isinstance(made[0].inputs[0], ast.Name)):
            return None
        name = made[0].inputs[0].id
    return name


def _defined_before(block, s, name):
    """``name`` if a statement before ``s`` in the block holding it assigns ``name`` (each
    time ``s`` runs, ``name`` has a value there), else None."""
    for at, t in enumerate(block):
        if t is s:
            return name if any(name in ir.own_assigns(u) for u in block[:at]) else None
        for inner in ir.children(t):
            found = _defined_before(inner, s, name)
            if found is not None or any(u is s for u in ir.walk(inner)):
                return found
    return None


def _swap_note(source, name, other):
    """For arrays ``name`` and ``other`` that the function swaps (``u, un = un, u``: double
    buffering), what to write instead; else ''."""
    for n in ast.walk(getattr(source, "node", ast.Module(body=[], type_ignores=[]))):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 \
                and all(isinstance(t, ast.Tuple) and all(isinstance(e, ast.Name) for e in t.elts)
                        for t in (n.targets[0], n.value)) \
                and {name, other} <= {e.id for e in n.targets[0].elts} \
                and sorted(e.id for e in n.targets[0].elts) == sorted(e.id for e in n.value.elts):
            swap = (f"{', '.join(e.id for e in n.targets[0].elts)} = "
                    f"{', '.join(e.id for e in n.value.elts)}")
            return (f"; here {swap!r} swaps the two arrays (double buffering), and adcompile "
                    f"does not follow which array each name holds across a swap: the copy "
                    f"costs no more than the new array the generated code makes there anyway")
    return ""


def _symbol(node):
    return ast.unparse(ast.BinOp(ast.Name("a"), node.op, ast.Name("b")))[2:-2].strip() \
        if isinstance(node, ast.AugAssign) else "+"


def changed_arguments(fn):
    """The parameters not differentiated whose objects the function changes in place (a
    change of a value being differentiated is refused). The generated code changes private
    copies of them: a gradient never writes into its caller's arrays."""
    facts = of(fn)
    found, through = set(), set()
    wholes = {name: {leaf.name for leaf in tree.leaves()}
              for name, tree in (getattr(fn, "trees", None) or {}).items()}
    for s in ir.walk(fn.body):
        objects = facts.changed_objects(s)
        changed = {p for p in fn.params if {f"argument {p}", f"argument {p}[]"} & objects}
        found |= changed
        if isinstance(s, ir.Keep):   # m.bump(): changes the leaves through the object
            through |= changed & set().union(set(), *(
                wholes[n] for n in ir.names_read(s.stmt) if n in wholes))
    # (a leaf an object changes, as its method run as it is: the caller's array, which a
    # copy would not see changed, as the object's method changes it)
    return [p for p in fn.params if p in found and p not in fn.wrt and p not in through]
