"""``with np.errstate(...)`` blocks that only quiet NumPy's floating-point warnings, read
as their bodies: a syntax-only pass of ``desugar``.

Numerically careful code wraps a line in ``with np.errstate(divide="ignore"):`` so that
``np.log(0)`` does not warn. The block changes no value, only whether NumPy prints a
warning; its body is differentiated as if written without it (the generated code may
then warn where the function did not). A block that turns warnings into errors
(``"raise"``, ``"call"``, a setting not a constant) changes what runs, and any other
``with`` (``open``, locks, ``as`` targets) stays refused (refusals.py).
"""

import ast

import numpy as np

from ..ir import assigns

#: errstate settings that leave every value as it is
_QUIET = {"ignore", "warn", "print", "log"}


def unwrap_quiet_contexts(fn, source):
    """Replace (in place) in ``fn``, a copy of ``source``'s def, each such ``with``
    statement by its body."""
    local = assigns([fn]) | {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)}
    fn.body = _block(fn.body, lambda func: source.callee(func, local).what)


def _block(statements, callee):
    out = []
    for stmt in statements:
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                setattr(stmt, field, _block(inner, callee))
        for handler in getattr(stmt, "handlers", []):
            handler.body = _block(handler.body, callee)
        if isinstance(stmt, ast.With) and all(_quiet(item, callee) for item in stmt.items):
            out.extend(stmt.body)
        else:
            out.append(stmt)
    return out


def _quiet(item, callee):
    """Whether the ``with`` item is ``np.errstate(...)`` with quiet settings only
    (``callee``: what a function expression refers to)."""
    call = item.context_expr
    if item.optional_vars is not None or not isinstance(call, ast.Call) or call.args:
        return False
    if callee(call.func) is not np.errstate:
        return False
    return all(k.arg is not None and isinstance(k.value, ast.Constant)
               and k.value.value in _QUIET for k in call.keywords)
