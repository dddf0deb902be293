"""The checks a gradient makes of its arguments before it begins, run as Python beside
numba's code (backend="numba", jit.py).

``require_unshared(...)`` (pipeline.private_copies) asks whether an argument the code
changes in place shares an object or memory with another argument or with a module-level
value the code reads. It needs the objects themselves, as the caller gave them (numba
would see a copy of a module-level array, frozen when it compiles), so it has no numba
version: the leading such statements of the generated code (after the lists of
per-step values made empty, if any) are taken out of the text
numba compiles and made a Python function of the same parameters, which the compiled
gradient calls first."""

import ast

from ..ir.parsing import parse
from .compile import compile_function

#: runtime checks of the arguments that only Python can make
PYTHON_CHECKS = ("require_unshared",)


def split_prologue(text, name, source, aliases, extra):
    """(``text`` without its leading Python-only checks, a Python function of its
    parameters making them, or None where it has none)."""
    tree = parse(text)
    node = tree.body[0]
    checks = {aliases.get(c, c) for c in PYTHON_CHECKS}
    body = node.body
    start = 1 if body and isinstance(body[0], ast.Expr) and isinstance(
        body[0].value, ast.Constant) and isinstance(body[0].value.value, str) else 0
    taken, end = [], start
    # (the checks lead, after the lists of per-step values made empty, which they do not read)
    while end < len(body) and (_is_check(body[end], checks) or _is_empty_list(body[end])):
        if _is_check(body[end], checks):
            taken.append(body[end])
        end += 1
    if not taken:
        return text, None
    prologue = ast.FunctionDef(name=name, args=node.args, body=taken,
                               decorator_list=[], returns=None, type_params=[])
    prologue_text = ast.unparse(ast.fix_missing_locations(prologue)) + "\n"
    node.body = [s for s in body if not any(s is t for t in taken)]
    return ast.unparse(tree) + "\n", compile_function(prologue_text, name, source, aliases,
                                                      extra)


def _is_check(statement, checks):
    """Whether ``statement`` is a call of one of the ``checks`` (names) as a statement."""
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call) \
        and isinstance(statement.value.func, ast.Name) and statement.value.func.id in checks


def _is_empty_list(statement):
    """Whether ``statement`` is ``name = []``."""
    return isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
        and isinstance(statement.targets[0], ast.Name) \
        and isinstance(statement.value, ast.List) and not statement.value.elts
