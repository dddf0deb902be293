"""Where a function defines nested functions and lambdas, and the definitions refused.

``definition`` finds a ``def`` or ``name = lambda ...`` at the top of a body,
``loop_definitions`` those at the top of a loop's body that stand for the same
function every time, ``Lambdas`` the lambdas called at once or passed as an argument.
Refused: async and decorated defs, ``global``/``nonlocal``, a def or assigned lambda
anywhere else, a nested function with a parameter's name or assigned again, and
recursion among nested functions. Used by closures.extract.
"""

import ast

from ..ir import scope_stores, walk_tree
from .references import ONLY_CALLED
from .source_file import as_def


def definition(stmt, error):
    """The def node ``stmt`` defines at the top of a body (``name = lambda ...`` as one),
    or None."""
    if isinstance(stmt, ast.AsyncFunctionDef):
        raise error(stmt, "an async function cannot be differentiated; define it with def")
    if isinstance(stmt, ast.FunctionDef):
        if stmt.decorator_list:
            raise error(stmt.decorator_list[0], f"a decorator on the nested function "
                                                f"{stmt.name}() is not supported: adcompile "
                                                f"inlines the function as written; remove it, "
                                                f"or define the function at module level")
        _refuse_declarations(stmt, error)
        return stmt
    if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Lambda) \
            and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return as_def(stmt.targets[0].id, stmt.value)
    return None


def loop_definitions(body, fn, error):
    """(statement, def node) for each ``def`` or ``name = lambda`` at the top of a loop's
    body (a step function written inside a time loop), taken out of the body, where it
    stands for the same function every time: its name is read only after it in that body
    (a call passes the values its free names have then, as Python's closure reads them
    then). Others are left for the refusals."""
    found, todo = [], [s for s in body]
    while todo:
        s = todo.pop()
        for field in ("body", "orelse"):
            block = getattr(s, field, None)
            if not isinstance(block, list):
                continue
            todo.extend(block)
            if field != "body" or not isinstance(s, (ast.For, ast.While)):
                continue
            kept = []
            for i, stmt in enumerate(block):
                node = definition(stmt, error)
                if node is None or not _used_only_after(node.name, block[i + 1:], fn):
                    kept.append(stmt)
                    continue
                found.append((stmt, node))
            block[:] = kept
    return found


def _used_only_after(name, after, fn):
    """Whether ``fn`` reads ``name`` only in the statements ``after`` (and assigns it only
    where it is defined: once)."""
    inside = {n for s in after for n in walk_tree(s)}
    stores = 0
    for n in walk_tree(fn):
        if isinstance(n, ast.Name) and n.id == name:
            if isinstance(n.ctx, ast.Load) and n not in inside:
                return False
            stores += not isinstance(n.ctx, ast.Load)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name:
            stores += 1
    return stores == 1


def _refuse_declarations(node, error):
    for n in walk_tree(node):
        if isinstance(n, (ast.Global, ast.Nonlocal)):
            what = "global" if isinstance(n, ast.Global) else "nonlocal"
            raise error(n, f"a {what} declaration cannot be differentiated: a nested function "
                           f"may read the enclosing function's variables, not change them; "
                           f"return the new value instead")


def refuse_misplaced(body, error):
    """A def below the top level of the body (in an if or a loop) is refused."""
    todo = [c for s in body for c in ast.iter_child_nodes(s)]
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            raise error(n, f"the nested function {n.name}() is defined inside an if, a loop "
                           f"or another block where adcompile cannot tell it is the same "
                           f"function wherever it is called; define it at the top level of the "
                           f"function's body, or at the top of a loop's body that calls it "
                           f"only after it")
        if not isinstance(n, ast.Lambda):
            todo.extend(ast.iter_child_nodes(n))


def refuse_rebinding(name, node, fn, body, source, error):
    if name in source.params:
        raise error(node, f"the nested function {name}() has the name of a parameter; "
                          f"rename one of them")
    for s in body:
        for n in scope_stores(s):
            if n.id == name:
                raise error(n, f"{name!r} names a nested function, and is assigned again "
                               f"here; give this value another name")


def refuse_recursion(free, nodes, error):
    """A nested function that calls itself, directly or through others, is refused."""
    def visit(name, path):
        for other in free[name]:
            if other in nodes:
                if other in path:
                    raise error(nodes[other], f"the nested function {nodes[other].name}() is "
                                              f"recursive (it calls itself, directly or "
                                              f"through other nested functions); recursion "
                                              f"cannot be differentiated")
                visit(other, path | {other})
    for name in free:
        visit(name, {name})


class Lambdas:
    """Lambdas in a body other than ``name = lambda`` at its top: those called at once or
    passed as an argument get a key of their own in the table; others are refused."""

    def __init__(self, error):
        self.error = error
        self.found = {}

    def collect(self, body):
        allowed = set()
        for n in (n for s in body for n in walk_tree(s)):
            if isinstance(n, ast.Call):
                allowed |= {a for a in [n.func] + n.args + [k.value for k in n.keywords]
                            if isinstance(a, ast.Lambda)}
        for n in (n for s in body for n in _walk_outside_lambdas(s)):
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Lambda):
                raise self.error(n, "a lambda assigned inside an if, a loop or another block "
                                    "(or to several names) is not supported where adcompile "
                                    "cannot tell it is the same function wherever it is "
                                    "called; assign it once, at the top level of the "
                                    "function's body, or at the top of a loop's body that "
                                    "calls it only after it")
            if isinstance(n, ast.Lambda):
                if n not in allowed:
                    raise self.error(n, f"a lambda used as a value here is not supported: "
                                        f"{ONLY_CALLED}")
                key = f"<lambda:{len(self.found) + 1}>"
                n.key = key
                self.found[key] = as_def("<lambda>", n)
        return self.found


def _walk_outside_lambdas(node):
    """The nodes of ``node``, not descending into lambdas (their bodies are their own)."""
    todo = [node]
    while todo:
        n = todo.pop()
        yield n
        if not isinstance(n, ast.Lambda):
            todo.extend(ast.iter_child_nodes(n))
