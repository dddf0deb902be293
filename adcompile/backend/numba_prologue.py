"""The checks a gradient makes of its arguments before it begins, run as Python beside
numba's code (backend="numba", jit.py).

``require_unshared(...)`` (pipeline.private_copies) asks whether an argument the code
changes in place shares an object or memory with another argument or with a module-level
value the code reads. It needs the objects themselves, as the caller gave them (numba
would see a copy of a module-level array, frozen when it compiles), so it has no numba
version: the leading such statements of the generated code are taken out of the text
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
    end = start
    while end < len(body) and _is_check(body[end], checks):
        end += 1
    if end == start:
        return text, None
    prologue = ast.FunctionDef(name=name, args=node.args, body=body[start:end],
                               decorator_list=[], returns=None, type_params=[])
    prologue_text = ast.unparse(ast.fix_missing_locations(prologue)) + "\n"
    node.body = body[:start] + body[end:]
    return ast.unparse(tree) + "\n", compile_function(prologue_text, name, source, aliases,
                                                      extra)


def _is_check(statement, checks):
    """Whether ``statement`` is a call of one of the ``checks`` (names) as a statement."""
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call) \
        and isinstance(statement.value.func, ast.Name) and statement.value.func.id in checks
