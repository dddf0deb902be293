"""What is refused wherever it appears in a differentiated function, whatever it touches.

Some constructs can never be differentiated (``yield``, a class definition);
others let code read or change the function's variables behind the analysis's
back (``eval``, ``locals()``, ``getattr`` with a computed name), so that no
activity analysis can be sound in their presence. Both are refused here,
before anything else looks at the function, with the user's file:line:col.
(Complex values are refused by complex_refusals.py; calls on values being
differentiated that have no rule by validate.py.)
"""

import ast
import builtins
import importlib
import inspect
import sys

from ..ir import walk_tree
from .reflection import literal_attribute

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
    # (an import at the top level of the body binds its names: local_imports.py)
    ast.Import: "an import inside an if, a loop or another block (not at the top level "
                "of the function's body)",
    ast.ImportFrom: "an import inside an if, a loop or another block (not at the top level "
                    "of the function's body)",
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

#: super() finds its object through the frame of the method that calls it
_SUPER = ("super() cannot be differentiated: it finds the object (self) and its class through "
          "the method's frame, which adcompile cannot follow; call the base class's method "
          "by name, as Base.method(self, ...)")


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
            if name is not None and not literal_attribute(node):
                refused = error(node, f"{name} with a computed attribute name cannot be used "
                                      f"in a differentiated function: {_WHY}; write obj.name")
                refused.decided_by = node.args[1:2]   # (a name a call gives: static_choices.py)
                raise refused
            if name is not None:
                allowed.add(node.func)
            if called.kind == "object" and called.what is builtins.super:
                raise error(node, _SUPER)
    for node in walk_tree(fn):
        # any mention of a reflective function, called or not (e = eval; e("a * a"))
        if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load) \
                and node not in allowed:
            called = callee(node)
            name = _lookup(REFLECTION, called.what) or _lookup(BY_NAME, called.what) \
                if called.kind == "object" else None
            if name is not None:
                raise error(node, f"{name} cannot be used in a differentiated function: {_WHY}")


def _lookup(table, obj):
    for known, name in table.items():
        if obj is known:
            return name
    return None
