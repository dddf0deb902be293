"""Names of a function that surely hold a NumPy array (an ``ndarray``) whenever they hold
anything: every binding of the name in the ``def`` gives it the result of a NumPy function
that always returns one (``u = np.zeros(n)``, ``u = np.array(u0)``), or changes it in
place (``u += v``, which on an array keeps the object). A syntax-only fact, flow
insensitive: a parameter, a name bound any other way (a loop's target, a tuple's item,
``u = u0.copy()``, which for a NumPy scalar is a scalar), declared global or deleted is
not one.

in_place_calls.py reads it: a helper's ``u += v`` on its parameter changes the caller's
array in place when the argument is an array, and only binds the helper's name anew when
it is a number, so the caller's name follows the helper's change only when it surely
holds an array.
"""

import ast

import numpy as np

#: NumPy functions whose result is an ndarray whatever they are given (not ``np.random``'s,
#: which give a number without a size)
ARRAY_MAKERS = frozenset(getattr(np, name) for name in (
    "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like",
    "array", "asarray", "copy", "arange", "linspace", "eye", "identity", "concatenate",
    "stack", "vstack", "hstack", "tile", "diag"))


def array_names(fn, source, params, local):
    """The names of the ``def`` ``fn`` (its parameters ``params`` aside) that surely hold an
    ndarray (see above); ``source`` resolves the functions its calls name but the names
    ``local`` (those it binds)."""
    kinds = {}
    kept = {s.target for s in ast.walk(fn) if isinstance(s, ast.AugAssign)} | {
        s.targets[0] for s in ast.walk(fn) if isinstance(s, ast.Assign)
        and len(s.targets) == 1 and _makes_array(s.value, source, local)}
    for node in ast.walk(fn):
        if node is fn:
            continue
        for name, sure in _bindings(node, kept):
            kinds[name] = kinds.get(name, True) and sure
    return {name for name, sure in kinds.items() if sure and name not in params}


def _bindings(node, kept):
    """(name, whether the binding keeps it an array) for each name ``node`` binds: a name
    node in ``kept`` (``u op= v``, ``u = np.zeros(n)``) does."""
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
        yield node.id, isinstance(node.ctx, ast.Store) and node in kept
    elif isinstance(node, (ast.Global, ast.Nonlocal)):
        yield from ((name, False) for name in node.names)
    elif isinstance(node, ast.alias):
        yield (node.asname or node.name.split(".")[0]), False
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                           ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
        yield node.name, False
    elif isinstance(node, ast.MatchMapping) and node.rest:
        yield node.rest, False


def _makes_array(value, source, local):
    """Whether the expression ``value`` calls one of ``ARRAY_MAKERS`` (as ``source``'s
    names resolve)."""
    if not isinstance(value, ast.Call) or any(k.arg == "retstep" for k in value.keywords):
        return False   # (np.linspace(..., retstep=True) gives a tuple)
    func = value.func
    if isinstance(func, ast.Name) and func.id not in local:
        obj = source.resolve(func.id, None)
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
            and func.value.id not in local:
        obj = getattr(source.resolve(func.value.id, None), func.attr, None)
    else:
        return False
    try:
        return obj in ARRAY_MAKERS
    except TypeError:   # (an object whose == does not give a bool)
        return False
