"""Which names may share memory: the points-to facts, and the hazards they are for.

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
specialisation to argument types decides (see
``rebinding_checks.check_rebindings``).

Here: the points-to facts (``of``, ``Aliases``). mutations.py finds what a statement
changes in place and refuses the mutation hazards; rebindings.py finds the rebinding
hazards, which rebinding_checks.py makes exact or refuses; call_effects.py tells what a
call not inlined may change or return.
"""

import ast
import copy
import inspect
import types

import numpy as np

from .. import ir
from ..rules import REGISTRY, broadcasts
from ..runtime import stop_gradient
from .call_effects import (NUMPY_ALLOCATORS, is_code, positional_outputs, returns_new,
                           writes_first_argument)
from .callees import callee_of
from .numbers import infer_numbers
from .stores import ESCAPED, stored

#: in the objects a name may refer to or a statement may change: any object made outside
#: the function (an argument's, a global's, what they hold: one may hold another), where
#: the analysis cannot tell which (``bump()`` changing a global, ``sys.modules[name].BUF``)
ELSEWHERE = "made elsewhere"

#: values that hold no object and cannot change
ATOMS = (int, float, complex, str, bytes, bool, type(None))

#: what a module's attribute that is code but no plain function holds (``np.reshape``)
_CODE = object()

#: module-level objects told apart, at most (the rest: ``ELSEWHERE``)
_MOST_GLOBAL_SITES = 5000

#: an index that is not a constant (``LIST[k]``): which item is not known
_NOT_CONSTANT = object()

#: built-in primitives whose result is a new array or number, never a view of an input
_NEW_RESULTS = {
    "inv", "solve", "det", "slogdet", "cholesky", "norm", "eigvalsh", "eigh", "svd",
    "dot", "sum", "mean", "max", "prod", "var", "std", "cumsum", "cumprod", "outer", "inner",
    "tensordot", "kron", "tile", "repeat", "roll", "trace", "triu", "tril", "concatenate",
    "stack", "hstack", "vstack", "pad", "matmul", "pos", "with_item", "copy_array",
    "r_", "c_", "added_at", "subtracted_at",
}

#: array and container methods that return a new object (the registry's views aside)
_NEW_FROM_METHODS = {"copy", "astype", "flatten", "tolist", "sum", "mean", "prod", "max", "min",
                     "std", "var", "cumsum", "cumprod", "dot", "round", "argmax", "argmin",
                     "argsort", "nonzero", "any", "all", "item", "clip", "repeat"}

#: functions that copy an array (of the rule "copy", which is also that of b = a)
_COPYING = (copy.deepcopy, np.copy)

#: builtins that make a new container of what they are given: the items they hold (a list
#: of an array's rows holds views of it) are those of their arguments
_COLLECTING = (list, tuple, sorted, dict, set, frozenset, reversed)


def _scalar_type(obj):
    """Whether ``obj`` is a NumPy scalar type (np.float64), which given an array returns an
    array of its type: the array itself where it has that type already."""
    return isinstance(obj, type) and issubclass(obj, np.generic)


def of(fn):
    """The points-to facts of normalized function ``fn`` (computed once)."""
    found = getattr(fn, "_aliases", None)
    if found is None:
        found = fn._aliases = Aliases(fn, REGISTRY)
    return found


def writes_into_arguments(fn, written):
    """Whether an array of ``written`` (names of arrays normalized function ``fn`` changes in
    place) may be one its arguments hold, or a view of one, rather than an array the
    function made itself (``v.copy()``, ``a * 2``): arguments sharing memory then see the
    change through each other (dispatch.refuse_shared_leaves). A ``copy.deepcopy`` of an
    argument's array counts as the array: deepcopy copies an array held twice once."""
    if not written:
        return False
    aliases = Aliases(fn, REGISTRY)   # (not kept on fn: passes that follow change it)
    made = {s.target: s for s in ir.walk(fn.body) if isinstance(s, ir.Op)}
    elsewhere = aliases.made_elsewhere()
    callee, todo, seen = callee_of(fn), list(written), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if aliases.of(name) & elsewhere:
            return True
        op = made.get(name)
        if op is not None and isinstance(op.expr, ast.Call) \
                and callee(op.expr.func) is copy.deepcopy:
            todo.extend(op.input_names)
    return False


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
        self._global_sites = {}   # id of an object a global name holds -> (it, its site)
        self._site_names = set()
        self.local = {p for p in fn.params} | {
            n for s in ir.walk(fn.body) for n in ir.defined_names(s)}
        # the statements that put a view changed in place back into its base after the
        # update (frontend/views.py, v_2 = with_item(v, 1, r_2)): the base holds the view's
        # memory as Python's does (a tuple's item, which is not renewed, may be read later)
        self._put_backs = {id(m) for r in getattr(fn, "rebindings", ()) for x in r.refresh
                           for m in x.made if isinstance(m, ir.Op) and m.rule.name == "with_item"}
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
        self.contents.setdefault(inner, set()).update((inner, ESCAPED))

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
            if name in self.local or is_code(self.callee(ir.load(name))) \
                    or self.is_number(ir.load(name)):
                return set()
            self._unknown_object(name, self._global_site(name))
            found = self.objects[name]
        return found

    def _global_site(self, name):
        """The object the free name ``name`` refers to: one per object it holds now (``ALIAS
        = BUF`` in the module, an inlined helper's name for the caller's global: one
        object)."""
        held = self.callee(ir.load(name))
        if held is None or isinstance(held, ATOMS):
            return f"global {name}"
        return self.object_site(name, held)

    def object_site(self, name, obj):
        """The site of the module-level object ``obj`` (held by a global ``name``, here or in
        a helper's module, or reached from one): one per object, one per memory for arrays
        (a module-level view of another is the same site). What a list, tuple, dict or object
        of the user's holds now are the sites of those objects (``LIST[0]`` is ``A0``), with
        one more for what it may hold later."""
        first = self._site(name, obj)
        todo = [(first, name, obj)] if first not in self.contents else []
        while todo:
            site, name, obj = todo.pop()
            self.contents.setdefault(site, set()).add(site + "[]")
            self.contents.setdefault(site + "[]", set()).update((site + "[]", ESCAPED))
            for k, item in _items_now(obj):
                if len(self._global_sites) > _MOST_GLOBAL_SITES:
                    self.contents[site].add(ELSEWHERE)   # (too many to tell apart)
                    break
                held = self._site(f"{name}[{k!r}]", item)
                self.contents[site].add(held)
                if held not in self.contents:
                    todo.append((held, f"{name}[{k!r}]", item))
        return first

    def _site(self, name, obj):
        """The name of the site of ``obj``, made (after ``name``) where it has none."""
        key = _memory_of(obj)
        if key not in self._global_sites:
            site = f"global {name}"
            while site in self._site_names:   # (two objects a name meant in two modules)
                site += "'"
            self._site_names.add(site)
            self._global_sites[key] = (obj, site)
        return self._global_sites[key][1]

    def global_objects(self):
        """{site: object} of the module-level objects the sites stand for."""
        return {site: obj for obj, site in self._global_sites.values()}

    def _resolved(self, node):
        """(the object the longest part of ``node`` resolved from a module-level name holds
        now, whether that part is all of ``node``); (None, False) for a local's."""
        steps = []
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            steps.append(node.attr if isinstance(node, ast.Attribute) else [
                node.slice.value if isinstance(node.slice, ast.Constant) else _NOT_CONSTANT])
            node = node.value
        obj = self.callee(node) if isinstance(node, ast.Name) else None
        for step in reversed(steps):
            found = _step(obj, step)
            if found is None:
                return obj, False
            obj = found
        return obj, obj is not None

    def made_elsewhere(self):
        """Every object made outside the function (an argument's, a global's) and what they
        hold: one of them may hold any other, so a change of the user's code not known to
        reach only some may reach any."""
        return {o for o in set(self.contents) | set().union(set(), *self.objects.values())
                if o.startswith(("argument ", "global "))}

    def reach(self, name):
        """Every object reading ``name`` may read: what it refers to and what that holds."""
        found = self._reach.get(name)
        if found is None:
            found = self.deep(self.of(name))
            if ELSEWHERE not in found:   # (what is made elsewhere may grow as it is asked)
                self._reach[name] = found
        return found

    def deep(self, objects):
        """``objects`` and everything they may hold, at any depth (``ELSEWHERE``: and every
        object made elsewhere; ``ESCAPED``: what it holds, not itself, which stands for no
        object)."""
        found, todo = set(), list(objects)
        while todo:
            o = todo.pop()
            if o not in found:
                found.add(o)
                todo.extend(self.contents.get(o, ()))
                if o == ELSEWHERE:
                    todo.extend(self.made_elsewhere())
        return found - {ESCAPED}

    def _new(self, s, name):
        return f"{name}@{id(s)}"

    def new_site(self, op):
        """The object the IR statement ``op`` makes where it makes a new one."""
        return self._new(op, op.target)

    def allocates(self, call):
        """Whether the call ``call`` surely returns a new object (see _allocates)."""
        return self._allocates(call)

    def _statement(self, s):
        if isinstance(s, ir.Op):
            if self.is_number(s.expr):
                return   # (a number: no object, x * y of numbers)
            # a new object (np.asarray of a number is one too), or for a primitive that may
            # return a view, also whatever it reads
            self._add(self.objects, s.target, self.made_by(s))
        elif isinstance(s, ir.Keep):
            self._kept(s)
        elif isinstance(s, ir.Carry):
            self._add(self.objects, s.target, set(self.of(s.source)))
        elif isinstance(s, ir.ListNew):
            site = self._new(s, s.target)
            self._add(self.objects, s.target, {site})
            self._add(self.contents, site, set().union(*(self.value(e) for e in s.elements)))
        elif isinstance(s, (ir.ListAppend, ir.ListAdd, ir.ListSet)):
            for site in list(self.of(s.target)):
                self._add(self.contents, site, self.value(s.value))
        elif isinstance(s, ir.ListGet):
            self._add(self.objects, s.target, self.held(self.of(s.source)))

    def made_by(self, s):
        """The objects the IR statement ``s`` may give the name it assigns (as _statement
        finds them), or None where that is not known."""
        if isinstance(s, ir.Op):
            if self.is_number(s.expr):
                return set()
            made = {self._new(s, s.target)}
            if id(s) in self._put_backs:
                made |= self.value(s.expr.args[2])
            return made if self._makes_new(s) else made | self.value(s.expr)
        if isinstance(s, ir.Carry):
            return set(self.of(s.source))
        if isinstance(s, ir.Keep) and isinstance(s.stmt, ast.Assign) \
                and len(s.stmt.targets) == 1 and isinstance(s.stmt.targets[0], ast.Name):
            return self.value(s.stmt.value)
        return None   # (not known: anything)

    def held(self, objects):
        """The objects ``objects`` (containers) may hold."""
        return set().union(*(self.contents.get(o, set()) for o in objects)) if objects else set()

    def _makes_new(self, op):
        rule, expr = op.rule, op.expr
        if rule.name == "pos" and isinstance(expr, ast.Call) and _scalar_type(
                self.callee(expr.func)):
            return False   # np.float64(a) of an array of float64s is a itself
        if broadcasts(rule) or rule.name in _NEW_RESULTS:
            return True
        if isinstance(expr, ast.Call) and any(self.callee(expr.func) is f for f in _COPYING):
            return True   # (the rule "copy" is a name's too: b = a, the same array)
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
            value = self.value(stmt.value)
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
        for node in ir.walk_tree(stmt):   # (hs.append(v), keep(box, v): box holds v)
            if isinstance(node, ast.Call):
                into, held = stored(self, node)
                for site in into:
                    self._add(self.contents, site, held)

    def of_expression(self, e):
        return self.of(e.id) if isinstance(e, ast.Name) else set()

    def value(self, e):
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
                self.value(p) for p in parts if p is not None)))
            return {site}
        if isinstance(e, (ast.BinOp, ast.UnaryOp, ast.Compare)):
            # a new array or number; a new list or tuple (a + b) holds what a and b hold
            site = f"new@{id(e)}"
            operands = [c for c in ast.iter_child_nodes(e) if isinstance(c, ast.expr)]
            self._add(self.contents, site, self.held(set().union(
                set(), *(self.value(c) for c in operands))))
            return {site}
        if isinstance(e, ast.Call) and self._outputs(e):   # (np.cumsum(x, 0, None, k): k)
            return set().union(*(self.value(a) for a in self._outputs(e))) | {f"new@{id(e)}"}
        if isinstance(e, ast.Call) and self._allocates(e):
            return self._collected(e)
        made = returns_new(self.callee(e.func)) if isinstance(e, ast.Call) else None
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
            self._add(self.contents, site, self.held(self.value(e.func.value)))
            return {site}
        if isinstance(e, ast.Starred):   # f(*x.shape): what x.shape holds
            return self.value(e.value)
        shape = e.value if isinstance(e, ast.Subscript) else e   # (x.shape, x.shape[0])
        if isinstance(shape, ast.Attribute) and shape.attr in self.registry.nondiff_attributes:
            return set()
        if isinstance(e, ast.Subscript) and any(self.callee(e.value) is f
                                                for f in (np.r_, np.c_)):
            # np.r_[a, b] joins copies of what it is given
            site = f"new@{id(e)}"
            return {site}
        # a view, an item, an attribute, whatever an unknown call returns: a new object, or
        # anything the expression reads or what that holds
        return self.deep(self._reached(e)) | {f"new@{id(e)}"}

    def _reached(self, e):
        """The objects the names ``e`` reads refer to, and those its attributes of module-level
        objects name (``state.BUF``, ``BOX.arr``: each the object itself, as any name of it)."""
        found = set().union(set(), *(self.of(n) for n in sorted(ir.names_read(e))))
        for node in ir.walk_tree(e):
            if not isinstance(node, (ast.Attribute, ast.Subscript)):
                continue
            obj, whole = self._resolved(node)
            if whole and obj is not _CODE and not is_code(obj) and not isinstance(obj, ATOMS):
                found.add(self.object_site(ast.unparse(node), obj))
            elif not whole and _holds_modules(obj):
                found.add(ELSEWHERE)   # (sys.modules[name].BUF: any module's object)
        return found

    def _outputs(self, call):
        """The arguments ``call`` writes into and returns: ``out=``, outputs given by
        position, the first argument of operator's in-place functions."""
        obj = self.callee(call.func)
        found = [k.value for k in call.keywords if k.arg == "out"]
        if obj is not None or isinstance(call.func, ast.Attribute):
            found += positional_outputs(obj, call)
        if writes_first_argument(obj):
            found += call.args[:1]
        return found

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
            self.value(a) for a in given))))
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
        return module.split(".")[0] == "numpy" and name in NUMPY_ALLOCATORS \
            or any(obj is f for f in (len, int, float, range) + _COLLECTING) \
            or module == "math"


def _lists_in(index, displays):
    """Whether the index ``index`` has a list display among its parts (``x[[0, 2]]``), or a
    name ``displays`` maps to one (``t1 = [0, 2]; x[t1]``)."""
    if isinstance(index, ast.Name) and isinstance(displays.get(index.id), ast.Tuple):
        index = displays[index.id]   # (t1 = ([0, 1], 1); Y[t1])
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    return any(isinstance(displays.get(p.id) if isinstance(p, ast.Name) else p, ast.List)
               for p in parts)


def _memory_of(obj):
    """What identifies ``obj`` as a module-level object: its memory for an array (a view is
    its base's), else its identity."""
    while isinstance(obj, np.ndarray) and isinstance(obj.base, np.ndarray):
        obj = obj.base
    return id(obj)


def _items_now(obj):
    """[(key, object)] of what a list, tuple, dict or object of the user's (its attributes)
    holds now that may be changed (no numbers, strings, modules or functions)."""
    if isinstance(obj, (list, tuple)):
        items = enumerate(obj)
    elif isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, np.ndarray) or is_code(obj):
        return []
    else:
        try:
            items = dict(object.__getattribute__(obj, "__dict__"))
        except (AttributeError, TypeError):
            items = {}   # (no attributes but its slots': what else it holds stays "site[]")
        items = list(items.items()) + _slots_now(obj)
    return [(k, v) for k, v in items if not isinstance(v, ATOMS) and not is_code(v)]


def _slots_now(obj):
    """[(name, object)] of what the ``__slots__`` of ``obj``'s classes hold now (read from
    their member descriptors, which only read the slot)."""
    found = []
    for cls in type(obj).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            member = cls.__dict__.get(name)
            if isinstance(member, types.MemberDescriptorType):
                try:
                    found.append((name, member.__get__(obj)))
                except AttributeError:   # (a slot not set)
                    pass
    return found


def _step(obj, step):
    """What ``obj`` holds at ``step`` (an attribute name, or [index] of a subscript), found
    without running anything, or None."""
    if obj is None:
        return None
    if isinstance(step, list):
        k = step[0]
        if type(obj) is dict and k is not _NOT_CONSTANT:
            return obj.get(k)
        if type(obj) in (list, tuple) and type(k) is int and -len(obj) <= k < len(obj):
            return obj[k]
        return None
    if isinstance(obj, types.ModuleType):   # (a module's __getattr__: a lazy submodule)
        try:
            found = getattr(obj, step, None)
        except Exception:   # (whatever its __getattr__ raises: not known)
            return None
        return _CODE if found is not None and _is_descriptor(found) else found
    try:
        found = inspect.getattr_static(obj, step)
    except AttributeError:
        return None
    return None if _is_descriptor(found) else found


def _is_descriptor(found):
    """Whether ``found``, an attribute as stored, is code or a property (a function, NumPy's
    ``np.reshape``) rather than an object held."""
    return hasattr(type(found), "__get__") and not isinstance(found, (np.ndarray, list, dict))


def _holds_modules(obj):
    """Whether ``obj`` is a module or a container holding one (``sys.modules``): what an
    item or attribute of it that is not known holds may be any module's object."""
    if isinstance(obj, types.ModuleType):
        return True
    values = obj.values() if isinstance(obj, dict) else obj if isinstance(
        obj, (list, tuple)) else ()
    return any(isinstance(v, types.ModuleType) for v in values)
