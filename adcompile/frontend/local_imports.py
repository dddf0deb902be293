"""Imports in a function's body: ``import numpy as np`` inside the function binds a local.

Code often imports what it needs where it needs it (``import math``, ``from
scipy.special import logsumexp`` at the top of a function). An import that is a
statement of the function's body itself (not inside an ``if``, a loop, ...), whose
names the function binds nowhere else and reads nowhere before it, binds each name
once, to what the import gives: adcompile runs the import when it reads the
function, as it reads a module-level global then, and each name resolves as a
global of that value would (``FunctionSource.resolve``): ``np.sum`` after ``import
numpy as np`` in the body has the rule of ``np.sum``. ``desugar`` then drops the
statements (``drop_local_imports``); the generated code is given the values
(normalize.py). Anything else is refused: a relative import, ``import *``, a name
bound again or read before its import, an import that fails.
"""

import ast
import importlib

from ..ir import walk_tree

IMPORTS = (ast.Import, ast.ImportFrom)


def imported_names(node, error):
    """{name: object} for the imports at the top level of the body of the def ``node``
    (see the module's docstring); ``error(node, message)`` makes the error to raise."""
    statements = [s for s in node.body if isinstance(s, IMPORTS)]
    if not statements:
        return {}
    bound = _bindings(node)
    found = {}
    for stmt in statements:
        for name, obj in _import(stmt, error):
            if bound.get(name, 0) != 1:
                raise error(stmt, f"the name {name!r} imported here is bound again in "
                                  f"{node.name}() (assigned, a parameter, imported twice); "
                                  f"adcompile reads an import inside a function only where "
                                  f"its name means that one thing: give the other another "
                                  f"name")
            _refuse_read_before(node, stmt, name, error)
            found[name] = obj
    return found


def drop_local_imports(fn, names):
    """Replace (in place) the imports at the top level of ``fn``'s body by ``pass``, when
    the function has imports ``names`` (``FunctionSource.imports``, checked)."""
    if names:
        fn.body = [ast.copy_location(ast.Pass(), s) if isinstance(s, IMPORTS) else s for s in fn.body]


def _import(stmt, error):
    """[(name, object)] bound by the import statement ``stmt``, the import run now."""
    if isinstance(stmt, ast.ImportFrom) and stmt.level:
        raise error(stmt, "a relative import inside a differentiated function is not "
                          "supported; import it at the top of the module")
    if any(a.name == "*" for a in stmt.names):
        raise error(stmt, "import * inside a differentiated function is not supported; "
                          "import the names it needs")
    pairs = []
    try:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                module = importlib.import_module(alias.name)
                if alias.asname is None:   # import a.b binds a
                    name = alias.name.split(".")[0]
                    pairs.append((name, importlib.import_module(name)))
                else:
                    pairs.append((alias.asname, module))
        else:
            module = importlib.import_module(stmt.module)
            for alias in stmt.names:
                obj = getattr(module, alias.name, _NONE)
                if obj is _NONE:   # (a submodule not imported yet)
                    obj = importlib.import_module(f"{stmt.module}.{alias.name}")
                pairs.append((alias.asname or alias.name, obj))
    except Exception as failure:   # (what the import raised: refused, with it)
        raise error(stmt, f"this import failed when adcompile read the function: "
                          f"{type(failure).__name__}: {failure}") from None
    return pairs


_NONE = object()


def _bindings(node):
    """{name: how many places bind it} in the def ``node`` and every scope it holds:
    assignments, deletions, parameters, defs and classes, imports, except clauses,
    global and nonlocal declarations."""
    counts = {}

    def add(name):
        counts[name] = counts.get(name, 0) + 1

    for n in walk_tree(node):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            add(n.id)
        elif isinstance(n, ast.arg):
            add(n.arg)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and n is not node:
            add(n.name)
        elif isinstance(n, IMPORTS):
            for alias in n.names:
                add(alias.asname or alias.name.split(".")[0])
        elif isinstance(n, ast.ExceptHandler) and n.name:
            add(n.name)
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            for name in n.names:
                add(name)
        elif type(n).__name__.startswith("Match") and isinstance(getattr(n, "name", None), str):
            add(n.name)   # (a capture pattern of a match statement)
    return counts


def _refuse_read_before(node, stmt, name, error):
    """Refuse a read of ``name`` in ``node`` placed before the import ``stmt``."""
    at = (stmt.lineno, stmt.col_offset)
    for n in walk_tree(node):
        if isinstance(n, ast.Name) and n.id == name and (n.lineno, n.col_offset) < at:
            raise error(n, f"{name!r} is read here, before the import that binds it in "
                           f"{node.name}(); import it first")
