"""The ``math`` functions a loop calls, read once into local names before the loops.

Each call of ``math.sin(x)`` looks the module ``math`` up in the globals, then ``sin`` in
the module: on Python floats that is a sixth of a step of ``x = a * x + b * sin(x)``.
A hand-written gradient says ``sin = math.sin`` once at the top, and so does the
generated code, where a loop calls them (a statement run once gains
nothing from it).
"""

import ast

from .. import ir


def local_math_functions(forward, backward, math_name, namer, taken):
    """(``forward`` with ``f = math.f`` first, ``backward``), each ``math.f(...)`` call
    in a loop of either calling ``f(...)``, for each function of the module named
    ``math_name`` called there (new statements; the lists given are changed in place).
    Each local name is the function's own where the code does not use it (``taken()``: the
    names it mentions, its parameters, the globals it reads), even if the user's function
    did (``sin = math.sin`` there, whose calls the frontend made ``math.sin(...)``), else
    a fresh one (``namer``)."""
    calls = [call for loop in _loops(forward + backward)
             for call in _math_calls(loop, math_name)]
    called = list(dict.fromkeys(call.func.attr for call in calls))
    if not called:
        return forward, backward
    taken = taken()
    local = {}
    for name in called:
        local[name] = namer.take(name) if name not in taken else namer.fresh(name)
        while local[name] in taken:
            local[name] = namer.fresh(name)
    for call in calls:   # (a call outside loops runs once: it keeps its spelling)
        call.func = ir.load(local[call.func.attr])
    first = [ir.assign(local[n], ast.Attribute(value=ir.load(math_name), attr=n,
                                               ctx=ast.Load())) for n in called]
    return first + forward, backward


def _loops(stmts):
    """The outermost Python loops among the statements ``stmts`` and the ifs they hold, in
    order (a loop's calls, its inner loops' too, are walked from it)."""
    found = []
    for s in stmts:
        if isinstance(s, (ast.For, ast.While)):
            found.append(s)
        elif isinstance(s, ast.If):
            found += _loops(s.body + s.orelse)
    return found


def _math_calls(tree, math_name):
    """The calls ``math.f(...)`` in ``tree``."""
    return [n for n in ir.walk_tree(tree) if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
            and n.func.value.id == math_name]
