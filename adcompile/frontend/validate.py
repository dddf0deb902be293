"""What is refused wherever it appears in a differentiated function, whatever it touches.

Some constructs can never be differentiated (``yield``, a class definition);
others let code read or change the function's variables behind the analysis's
back (``eval``, ``locals()``, ``getattr`` with a computed name), so that no
activity analysis can be sound in their presence. Both are refused here,
before anything else looks at the function, with the user's file:line:col.
"""

import ast
import builtins
import importlib
import inspect
import sys

import numpy as np

from ..ir import walk_tree
from ..ir.trees import complex_leaf
from .frozen import FROZEN
from .syntax import is_user_function

# Constructs rejected wherever they appear in a differentiated function.
FORBIDDEN_EXPRESSIONS = {
    ast.Lambda: "a lambda",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.Yield: "yield",
    ast.YieldFrom: "yield from",
    ast.Await: "await",
    ast.NamedExpr: "an assignment expression (:=)",
}

COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def refuse_comprehensions(tree, error):
    """Refuse the first comprehension in ``tree``."""
    for node in walk_tree(tree):
        if type(node) in COMPREHENSIONS:
            raise error(node, f"{FORBIDDEN_EXPRESSIONS[type(node)]} cannot be differentiated; "
                              f"write it as plain statements")


STATEMENT_NAMES = {
    ast.Try: "a try statement",
    ast.With: "a with statement",
    ast.AsyncWith: "an async with statement",
    ast.AsyncFor: "an async for loop",
    ast.Global: "a global declaration",
    ast.Nonlocal: "a nonlocal declaration",
    ast.ClassDef: "a class definition",
    ast.FunctionDef: "a function definition inside the differentiated function",
    ast.AsyncFunctionDef: "a function definition inside the differentiated function",
    ast.Delete: "del",
    ast.Import: "an import inside the differentiated function",
    ast.ImportFrom: "an import inside the differentiated function",
}
if hasattr(ast, "Match"):
    STATEMENT_NAMES[ast.Match] = "a match statement"
if hasattr(ast, "TryStar"):
    STATEMENT_NAMES[ast.TryStar] = "a try statement"

#: functions that read or write variables, or run code, by name at run time
REFLECTION = {
    builtins.eval: "eval()", builtins.exec: "exec()", builtins.compile: "compile()",
    builtins.locals: "locals()", builtins.globals: "globals()", builtins.vars: "vars()",
    builtins.dir: "dir()", builtins.__import__: "__import__()",
    builtins.setattr: "setattr()", builtins.delattr: "delattr()",
    builtins.breakpoint: "breakpoint()", sys._getframe: "sys._getframe()",
    inspect.currentframe: "inspect.currentframe()", inspect.stack: "inspect.stack()",
    inspect.getouterframes: "inspect.getouterframes()",
    importlib.import_module: "importlib.import_module()",
}

#: getattr(obj, name) and hasattr(obj, name) are plain attribute reads when name is a literal
BY_NAME = {builtins.getattr: "getattr()", builtins.hasattr: "hasattr()"}

#: attributes that expose a function's or frame's variables
REFLECTIVE_ATTRIBUTES = {"__dict__", "__globals__", "__closure__", "__code__", "__builtins__",
                         "f_locals", "f_globals", "f_back", "gi_frame", "tb_frame"}

_WHY = ("it reads or changes variables by name at run time, which adcompile cannot follow: "
        "a gradient could silently miss what flows through it")


def refuse_seed_name(source):
    """Refuse the name ``out_bar`` in ``source``: generated gradients take the seed under it."""
    if "out_bar" in source.params:
        raise source.error(source.node, "a parameter named 'out_bar' clashes with the seed "
                                        "argument of generated gradients; rename it")
    for node in walk_tree(source.node):
        if isinstance(node, ast.Name) and node.id == "out_bar":
            raise source.error(node, "a variable named 'out_bar' clashes with the seed "
                                     "argument of generated gradients; rename it")


def refuse_unsupported(fn, error, callee, comprehensions=True):
    """Raise ``error(node, message)`` for the first construct of ``fn`` (an ast.FunctionDef)
    that is never differentiated. ``callee(func_expr)`` resolves a call's function to a
    ``source.Callee``. Without ``comprehensions``, comprehensions are let through (a
    comprehension over a structure is unrolled; ``refuse_comprehensions`` refuses the
    others once structures are resolved)."""
    allowed = set()   # the function nodes of getattr/hasattr called with a literal name
    for node in walk_tree(fn):
        if node is not fn and type(node) in STATEMENT_NAMES:
            raise error(node, f"{STATEMENT_NAMES[type(node)]} cannot be differentiated")
        if not comprehensions and type(node) in COMPREHENSIONS:
            continue
        if type(node) in FORBIDDEN_EXPRESSIONS:
            raise error(node, f"{FORBIDDEN_EXPRESSIONS[type(node)]} cannot be differentiated; "
                              f"write it as plain statements")
        if isinstance(node, ast.Attribute) and node.attr in REFLECTIVE_ATTRIBUTES:
            raise error(node, f"the attribute .{node.attr} cannot be used in a differentiated "
                              f"function: {_WHY}")
        if isinstance(node, ast.Call):
            called = callee(node.func)
            name = _lookup(BY_NAME, called.what) if called.kind == "object" else None
            if name is not None and not _literal_attribute(node):
                raise error(node, f"{name} with a computed attribute name cannot be used in a "
                                  f"differentiated function: {_WHY}; write obj.name")
            if name is not None:
                allowed.add(node.func)
    for node in walk_tree(fn):
        # any mention of a reflective function, called or not (e = eval; e("a * a"))
        if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load) \
                and node not in allowed:
            called = callee(node)
            name = _lookup(REFLECTION, called.what) or _lookup(BY_NAME, called.what) \
                if called.kind == "object" else None
            if name is not None:
                raise error(node, f"{name} cannot be used in a differentiated function: {_WHY}")


#: modules whose functions compute complex values from real ones
COMPLEX_MODULES = ("cmath", "numpy.fft", "numpy.lib.scimath", "scipy.fft", "scipy.fftpack")


_COMPLEX_WHY = ("adcompile differentiates real values only: its rules would give a complex "
                "value a wrong gradient; compute with the real and imaginary parts as "
                "separate real values")


def refuse_complex(fn, error, callee, varies):
    """Refuse the first thing in ``fn`` that brings a complex value in: a complex literal
    (``1j``), the type ``complex`` or a NumPy complex type (``complex(a, b)``,
    ``x.astype(np.complex128)``, ``dtype="c16"``), a name for a complex number or array,
    the functions of ``COMPLEX_MODULES``, np.roots, and np.linalg.eig and eigvals of a
    matrix not being differentiated (differentiated, they refuse complex eigenvalues when
    the gradient runs: runtime.real_eigen). Refused wherever they
    are, being differentiated or not: a complex value that is not differentiated still
    makes the derivatives of what it is combined with complex. (Complex arguments are
    refused when the function is called: api.py.)"""
    for node in walk_tree(fn):
        what = None
        if isinstance(node, ast.Constant) and isinstance(node.value, complex):
            what = f"a complex number ({ast.unparse(node)})"
        elif isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load):
            called = callee(node)
            if called.kind == "object":
                what = _complex_object(called.what, node)
        elif isinstance(node, ast.Call):
            what = _complex_dtype(node)
            called = callee(node.func)
            if what is None and called.kind == "object" \
                    and any(called.what is f for f in (np.linalg.eig, np.linalg.eigvals)) \
                    and not any(varies(a) for a in node.args):
                what = (f"{ast.unparse(node.func)} of a matrix not being differentiated "
                        f"(its eigenvalues may be complex)")
        if what is not None:
            raise error(node, f"{what} cannot be used in a differentiated function: "
                              f"{_COMPLEX_WHY}")


def _complex_object(obj, node):
    """How to name ``obj`` (written ``node``) if it is complex or makes complex values."""
    if isinstance(obj, (complex, np.complexfloating)) \
            or isinstance(obj, np.ndarray) and obj.dtype.kind == "c":
        return f"{ast.unparse(node)}, a complex value,"
    if isinstance(obj, (dict, list, tuple)):
        path = complex_leaf(obj)
        if path is not None:
            return f"{ast.unparse(node)}{''.join(f'[{k!r}]' for k in path)}, a complex value,"
    if obj is complex or isinstance(obj, type) and issubclass(obj, np.complexfloating):
        return f"the complex type {ast.unparse(node)}"
    module = getattr(obj, "__module__", None) or ""
    if callable(obj) and any(module == m or module.startswith(m + ".") for m in COMPLEX_MODULES):
        return f"{ast.unparse(node)} (it computes complex values)"
    if obj is np.roots:
        return f"{ast.unparse(node)} (its results may be complex)"
    return None


def _complex_dtype(call):
    """How to name a complex dtype given as a string to ``call`` (``dtype="complex128"``,
    ``x.astype("c8")``), or None."""
    given = [k.value for k in call.keywords if k.arg == "dtype"]
    if isinstance(call.func, ast.Attribute) and call.func.attr == "astype" and call.args:
        given.append(call.args[0])
    for value in given:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            try:
                kind = np.dtype(value.value).kind
            except TypeError:
                continue
            if kind == "c":
                return f"the complex dtype {value.value!r}"
    return None


def attributes_by_name(fn, callee):
    """Rewrite ``getattr(obj, "name")`` in ``fn`` (in place) as ``obj.name``: the same read,
    which the rest of the compiler knows how to treat."""

    class Rewrite(ast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            if len(node.args) == 2 and not node.keywords and _literal_attribute(node) \
                    and callee(node.func).is_(builtins.getattr):
                attr = ast.Attribute(value=node.args[0], attr=node.args[1].value, ctx=ast.Load())
                return ast.copy_location(attr, node)
            return node

    Rewrite().visit(fn)


class Validation:
    """Part of ``normalize.Normalizer``: refusals that need to know what may vary."""

    def check_function(self, fn):
        """Reject what can never be differentiated, wherever it is in ``fn``."""
        refuse_unsupported(fn, self.scope.src.error, self.callee,
                           comprehensions=not self.scope.structured)
        refuse_complex(fn, self.scope.src.error, self.callee, self.varies)
        calls = [node for node in walk_tree(fn) if isinstance(node, ast.Call)]
        # names bound to a NamedTuple or dataclass made here: calling one is calling its
        # __call__ (resolve.py), refused there if it is no such structure
        self.scope.made_objects = {n.targets[0].id for n in walk_tree(fn)
                                   if isinstance(n, ast.Assign) and len(n.targets) == 1
                                   and isinstance(n.targets[0], ast.Name)
                                   and self.constructed(n.value) is not None}
        for node in calls:
            self.refuse_passed_functions(node, self.callee(node.func))
        for node in calls:
            self.check_call(node)

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
        if called.kind == "object" and what in (dict, list, tuple) and len(e.args) == 1 \
                and not e.keywords and isinstance(e.args[0], ast.Name):
            return   # dict(params): a copy of a structure (trees.py), or refused there
        if isinstance(e.func, ast.Name) and (e.func.id in self.scope.trees
                                             or e.func.id in self.scope.made_objects):
            return   # layer(x) of a structure: its class's __call__ (resolve.py)
        if called.kind == "object" and (self.registry.rule_for(what) is not None
                                        or self.registry.is_nondifferentiable(what)
                                        or self.registry.is_inert(what)
                                        or is_user_function(what)
                                        or what in (enumerate, zip, reversed, np.select)):
            # (calls.py writes np.select as the np.where calls it stands for)
            return
        if called.kind == "object" and isinstance(what, type) \
                and issubclass(what, BaseException):
            return  # raise ValueError(f"bad {x}"): reads x; its value is never differentiated
        if not any(self.varies(a) for a in list(e.args) + [k.value for k in e.keywords]):
            return
        raise self.unknown_call(e, called)

    def _check_method(self, e, name):
        """Reject ``value.name(...)`` on a value being differentiated without a rule."""
        if not self.varies(e.func.value) or self.names_structure(e.func.value) \
                or self.constructed(e.func.value) is not None \
                or isinstance(e.func.value, ast.Name) \
                and (e.func.value.id in self.scope.made_objects
                     or name in _DICT_METHODS and not e.args and not e.keywords
                     or name == "_replace" and not e.args):
            # (a structure's methods are resolved or refused later: trees.py; d.items() of
            # a dict this function makes, layer._replace(W=v) of a loop's NamedTuple, whose
            # structures are known only then, too)
            return
        if name in self.registry.by_method or name in self.registry.nondiff_methods:
            return
        if name in ("append", "pop") and isinstance(e.func.value, ast.Name):
            return  # xs.append(value), x = xs.pop(): only as statements, checked there
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
        return self.scope.src.error(e, f"call to {called.what!r}, a function held in a "
                                       f"variable: adcompile cannot read what it does (it "
                                       f"could read the function's variables, as eval does); "
                                       f"call a module-level function, or compute the value "
                                       f"outside and pass it in")


#: methods of a dict of values being differentiated that trees.py resolves (a structure's)
_DICT_METHODS = frozenset({"items", "keys", "values", "copy"})

#: where the README shows how to write a rule
_README_RULES = "README: 'Your own primitives'"

#: the suggestion for a method of a value being differentiated that has no rule
METHOD_HINT = (f"call a function that has a rule instead (README: 'Supported primitives'), or "
               f"make the call in a function of your own marked @ad.primitive and give it an "
               f"adjoint ({_README_RULES})")


def rule_hint(called):
    """The suggestion for a call of ``called`` (as the user wrote it), which has no rule."""
    return f"give it a rule with ad.adjoint_rule({called}) or ad.primitive ({_README_RULES})"


def attribute_hint(registry):
    """The suggestion for reading an attribute without a rule of a value being
    differentiated: the attributes there are, and how to read another."""
    rules = ", ".join(f".{a}" for a in sorted(registry.by_attribute))
    plain = ", ".join(f".{a}" for a in sorted(registry.nondiff_attributes))
    return (f"the attributes of such a value adcompile reads are {rules} (differentiated) "
            f"and {plain} (not differentiated); read another in a function of your own "
            f"marked @ad.primitive and give it an adjoint ({_README_RULES})")


def _literal_attribute(call):
    """Whether the second argument of getattr/hasattr is a string literal naming an attribute."""
    return len(call.args) >= 2 and isinstance(call.args[1], ast.Constant) \
        and isinstance(call.args[1].value, str) and call.args[1].value.isidentifier()


def _lookup(table, obj):
    for known, name in table.items():
        if obj is known:
            return name
    return None
