"""Calls that could read or change a value being differentiated without a rule, refused.

Run once per function entered, the last of ``Normalizer.enter``'s passes
(after the dependence analysis: whether a call is refused depends on whether
its arguments vary). A call anywhere is checked, also inside ``print(...)``
or ``len(...)``; refusals.py and complex_refusals.py refuse the rest.
"""

import ast
import collections
import inspect

import numpy as np

from ..errors import TransformError
from ..ir import base_of, walk_tree
from .frozen import FROZEN
from .hints import METHOD_HINT, rule_hint
from .rewritten_calls import TRAPEZOIDS
from .structure_use import items_of
from .syntax import called_method, is_user_function, user_method


class Validation:
    """Part of ``normalize.Normalizer``: refusals that need to know what may vary."""

    def check_calls(self, fn):
        """Reject the calls of ``fn`` that could read or change a value being differentiated
        without a rule, and nested functions passed where they are not inlined."""
        calls = [node for node in walk_tree(fn) if isinstance(node, ast.Call)]
        # names bound to a NamedTuple or dataclass made here (also by a class method,
        # Layer.from_params(p)): calling one is calling its __call__ (resolve.py), refused
        # there if it is no such structure
        self.scope.made_objects = {n.targets[0].id for n in walk_tree(fn)
                                   if isinstance(n, ast.Assign) and len(n.targets) == 1
                                   and isinstance(n.targets[0], ast.Name)
                                   and (self.constructed(n.value) is not None
                                        or isinstance(n.value, ast.Call)
                                        and self.global_method(n.value) is not None)}
        # names bound to a structure's items (``for layer in layers``, ``last =
        # layers[-1]``): what they hold is known once loops are unrolled (resolve.py)
        self.scope.item_names = items_of(fn, set(self.scope.trees)) if self.scope.trees \
            else set()
        for node in calls:
            self.refuse_passed_functions(node, self.callee(node.func))
        for node in calls:
            try:
                self.check_call(node)
            except TransformError as error:
                # (the function called may be chosen by values a call gives: static_choices.py)
                self.add_choice_needs(error, fn, node.func)
                raise

    def check_call(self, e):
        """Reject a call that could read or change a value being differentiated without a
        rule, wherever it appears (also inside print(...) or len(...))."""
        if isinstance(e.func, ast.Name) and e.func.id == "$with_item":   # (items.py)
            return
        called = self.callee(e.func)
        what = called.what
        if called.kind == "method":
            return self._check_method(e, what)
        if self.constructed(e) is not None:
            return   # State(h, c): a structure (trees.py, constructors.py)
        if called.kind == "object" and what is hasattr and self.scope.trees \
                and self.structure_fact(e) is not None:
            return   # hasattr(model, "b"): known now (trees.py)
        if called.kind == "object" and what in (dict, list, tuple, collections.OrderedDict) \
                and len(e.args) == 1 and not e.keywords and isinstance(e.args[0], ast.Name):
            return   # dict(params): a copy of a structure (trees.py), or refused there
        if called.kind == "object" and what is dict and not e.args:
            return   # dict(m=m, P=P): a dict display (tree_values.dict_display)
        if isinstance(e.func, (ast.Name, ast.Subscript, ast.Attribute)) \
                and self._in_structure(e.func):
            # layer(x), layers[-1](x), self.layers[i](x) of a structure: its class's
            # __call__ (resolve.py), refused there (calls.py) if it is no such object
            return
        if called.kind == "object" and _walks_items(e, what, self.callee):
            return   # over a structure: its items (comprehension_items.py), else refused later
        if called.kind == "object" and (self.registry.rule_for(what) is not None
                                        or self.registry.is_nondifferentiable(what)
                                        or self.registry.is_inert(what)
                                        or is_user_function(what)
                                        or user_method(what) is not None
                                        or isinstance(e.func, ast.Name)
                                        and called_method(what) is not None
                                        or what in (enumerate, zip, reversed, np.select,
                                                    np.choose)
                                        or what in TRAPEZOIDS):
            # (rewritten_calls.py writes np.select as the np.where calls it stands for,
            # np.choose as the np.select it is,
            # np.trapezoid as its sum of trapezoids, or refuses it there)
            return
        if called.kind == "object" and isinstance(what, type) \
                and issubclass(what, BaseException):
            return  # raise ValueError(f"bad {x}"): reads x; its value is never differentiated
        if not any(self.varies(a) for a in list(e.args) + [k.value for k in e.keywords]):
            return
        raise self.unknown_call(e, called)

    def _in_structure(self, func):
        """Whether the called ``func`` is a structure, or an item or attribute of one, or a
        name bound to one of its items: an object of the user's whose call resolve.py reads
        once the structure is known."""
        base = base_of(func)
        return isinstance(base, ast.Name) and (base.id in self.scope.trees
                                               or base.id in self.scope.made_objects
                                               or base.id in self.scope.item_names)

    def _check_method(self, e, name):
        """Reject ``value.name(...)`` on a value being differentiated without a rule."""
        if not self.varies(e.func.value) or self.names_structure(e.func.value) \
                or self.constructed(e.func.value) is not None \
                or isinstance(e.func.value, ast.Name) \
                and (e.func.value.id in self.scope.made_objects
                     or name in _DICT_METHODS and not e.args and not e.keywords
                     or name == "get" and 1 <= len(e.args) <= 2 and not e.keywords
                     or name == "_replace" and not e.args
                     or name == "update" and len(e.args) <= 1):
            # (a structure's methods are resolved or refused later: trees.py; d.items() and
            # d.get(key) of a dict this function makes, layer._replace(W=v) of a loop's NamedTuple, whose
            # structures are known only then, too; d.update(...) as a statement:
            # dict_updates.py)
            return
        if name in self.registry.by_method or name in self.registry.nondiff_methods:
            return
        if name in ("append", "pop") and isinstance(e.func.value, ast.Name):
            return  # xs.append(value), x = xs.pop(): only as statements, checked there
        if name == "insert":   # (those written out are appends by now: list_inserts.py)
            raise self.scope.src.error(e, f"{ast.unparse(e)} on values being differentiated "
                                          f"is supported for a list this function makes (xs "
                                          f"= [] or a list display, never given another "
                                          f"value) and a position that is an int literal; "
                                          f"not here", hint=METHOD_HINT)
        raise self.scope.src.error(e, f"method .{name}() of a value being differentiated is "
                                      f"not supported (it has no adjoint rule, and it may "
                                      f"change the value in place)", hint=METHOD_HINT)

    def unknown_call(self, e, called):
        """The error for a call, on a value being differentiated, to something with no rule
        (``called``, the ``source.Callee`` of its function)."""
        if getattr(e, FROZEN, None) is not None:   # scipy.stats.norm(mu, s), kept (frozen.py)
            return self.scope.src.error(e, getattr(e, FROZEN))
        if called.kind == "object":
            name = getattr(called.what, "__qualname__", None) or ast.unparse(e.func)
            return self.scope.src.error(e, f"call to {ast.unparse(e.func)!r} ({name}) cannot "
                                           f"be differentiated: it has no adjoint rule",
                                        hint=rule_hint(ast.unparse(e.func)))
        if isinstance(e.func, ast.Call):
            return self.scope.src.error(e, f"call of the function {ast.unparse(e.func)} "
                                           f"returns, on values being differentiated: "
                                           f"adcompile cannot know which function that is "
                                           f"before the code runs; call a function by its "
                                           f"name (a module-level function, a nested def) "
                                           f"or a method of an object made here")
        missing = _missing_attribute(self.scope.src, e.func) \
            if isinstance(e.func, ast.Attribute) else None
        if missing is not None:   # np.summ(x): a typo, as Python would say
            return self.scope.src.error(e, missing)
        return self.scope.src.error(e, f"call to {called.what!r}, a function held in a "
                                       f"variable: adcompile cannot read what it does (it "
                                       f"could read the function's variables, as eval does); "
                                       f"call a module-level function, or compute the value "
                                       f"outside and pass it in")


def _missing_attribute(src, func):
    """For ``np.summ`` (the Attribute ``func``, not resolved, on a name not local): the
    message saying which object lacks which attribute, else None."""
    chain, base = [], func
    while isinstance(base, ast.Attribute):
        chain.append(base.attr)
        base = base.value
    obj = src.resolve(base.id, None) if isinstance(base, ast.Name) else None
    spelled = getattr(base, "id", "")
    for attr in reversed(chain):
        if obj is None:
            return None
        if not hasattr(obj, attr):
            kind = f"module {obj.__name__!r}" if inspect.ismodule(obj) \
                else f"{type(obj).__name__!r} object"
            return f"{spelled}.{attr}: {spelled} ({kind}) has no attribute {attr!r}"
        obj, spelled = getattr(obj, attr), f"{spelled}.{attr}"
    return None


def _walks_items(e, what, callee):
    """Whether ``e`` is ``map(f, ...)``, or ``tuple``/``list`` of a comprehension or of such
    a map: written out as the items it walks when that is a structure (see
    comprehension_items.py); the calls it leaves are refused where they are normalized
    (calls.py), as calls without a rule."""
    if what is map:
        return not e.keywords
    if what not in (tuple, list) or len(e.args) != 1 or e.keywords:
        return False
    inner = e.args[0]
    return isinstance(inner, (ast.GeneratorExp, ast.ListComp)) or isinstance(
        inner, ast.Call) and callee(inner.func).is_(map)


#: methods of a dict of values being differentiated that trees.py resolves (a structure's)
_DICT_METHODS = frozenset({"items", "keys", "values", "copy"})
