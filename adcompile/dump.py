"""The code between two passes as text, for ``ad.show(f, stage=...)`` and golden tests.

The normalized IR prints one statement per line in Python syntax, with what the
compiler knows beside it: an ``Op`` names its rule (``t1 = x * y  # mul``), a loop
its carried variables, a ``Carry`` shows as ``x <- x_2``. Sweeps print the forward
and the backward sweep, with the tape's nodes as ``save(key: a, b)`` and
``restore(key: a, b)``; keys are numbered in the order they first appear.
"""

import ast

from . import ir


def dump(code):
    """Text of a normalized function (ir.NormalFunction), sweeps or tangent code."""
    if isinstance(code, ir.NormalFunction):
        return _function(code)
    if hasattr(code, "backward"):
        keys = {}
        parts = ["# forward sweep\n" + _python(code.forward, keys)] if code.forward else []
        parts.append("# backward sweep\n" + _python(code.backward, keys))
        returned = code.grads if not code.context.return_value else code.outputs + code.grads
        return "\n".join(parts) + "\n# returns " + ", ".join(ast.unparse(e) for e in returned)
    return _python(code.body, {}) + "\n# returns " + ", ".join(
        ast.unparse(e) for e in code.outputs + code.out_dots)


def _function(fn):
    head = f"# normalized {fn.source.name}({', '.join(fn.params)}), wrt {', '.join(fn.wrt)}"
    lines = [head] + _block(fn.body, "")
    lines.append("return " + ", ".join(ast.unparse(e) for e in fn.outputs))
    return "\n".join(lines)


def _block(stmts, indent):
    lines = []
    for s in stmts:
        if isinstance(s, ir.If):
            lines.append(f"{indent}if {ast.unparse(s.test)}:")
            lines += _block(s.body, indent + "    ") or [indent + "    pass"]
            if s.orelse:
                lines.append(f"{indent}else:")
                lines += _block(s.orelse, indent + "    ")
        elif isinstance(s, ir.Loop):
            head = f"for {s.index} in {ast.unparse(s.iterable)}" if s.kind == "for" else \
                f"while {ast.unparse(s.test)}"
            carried = ", ".join(f"{k} as {v}" for k, v in s.carried.items())
            lines.append(f"{indent}{head}:" + (f"  # carries {carried}" if carried else ""))
            lines += _block(s.body, indent + "    ") or [indent + "    pass"]
        else:
            lines.append(indent + _simple(s))
    return lines


def _simple(s):
    if isinstance(s, ir.Op):
        return f"{s.target} = {ast.unparse(s.expr)}  # {s.rule.name}"
    if isinstance(s, ir.Keep):
        return ast.unparse(s.stmt) + ("" if s.pure else "  # kept")
    if isinstance(s, ir.Carry):
        return f"{s.target} <- {s.source}"
    if isinstance(s, ir.Jump):
        return s.kind
    from .ad.forward_statements import forward_statement  # (list statements print as they run)
    return ast.unparse(forward_statement(s))


class _ShowTape(ast.NodeTransformer):
    """Save/Restore nodes as calls ``save(k: a, b)``, which ast.unparse can print."""

    def __init__(self, keys):
        self.keys = keys

    def _show(self, node, verb):
        number = self.keys.setdefault(node.key, len(self.keys) + 1)
        names = ", ".join(n.id for n in node.names) or "nothing"
        return ast.Expr(ast.Name(id=f"{verb}({number}: {names})", ctx=ast.Load()))

    def visit_Save(self, node):
        return self._show(node, "save")

    def visit_Restore(self, node):
        return self._show(node, "restore")


def _python(stmts, keys):
    module = ast.Module(body=_ShowTape(keys).visit(ast.Module(
        body=ir.copy_tree(stmts), type_ignores=[])).body, type_ignores=[])
    return ast.unparse(ast.fix_missing_locations(module))

