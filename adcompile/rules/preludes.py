"""Preludes: template statements several rules begin with, written once.

A prelude is a template function marked ``@prelude`` whose body ends with ``return``
of the temporaries it defines::

    @prelude
    def standardized(x, loc, scale):
        if scale is None:
            s = 1.0
        else:
            s = scale
        ...
        return z, s

A rule (adjoint or tangent) that begins with ``z, s = standardized(x, loc, scale)`` has
that line replaced, when its source is read, by the prelude's statements: its parameters
replaced by the arguments given, the temporaries it returns named as the line's targets
(its other temporaries get the prelude's name in front). The rule then holds ordinary
template statements, so inlining it (ad/templates.py) decides the prelude's ``if`` tests at
each use as it decides the rule's own, and the generated code is what the statements written
out in the rule would give. A rule finds a prelude by name among its module's globals.
"""

import ast
import inspect
import textwrap

from ..errors import TransformError
from ..ir import copy_tree
from ..ir.parsing import parse

#: the attribute of a function marked ``@prelude``: its ``Prelude``
_MARK = "_adcompile_prelude"


class Prelude:
    """A prelude's parameters, statements and the temporaries it returns, read from its
    source."""

    def __init__(self, name, params, body, returns):
        self.name, self.params, self.body, self.returns = name, params, body, returns

    def expanded(self, call, targets):
        """The statements of this prelude for ``targets = call``: its parameters replaced by
        the call's arguments, its returned temporaries named as ``targets``."""
        if call.keywords or len(call.args) != len(self.params):
            raise TransformError(f"prelude {self.name!r} takes {len(self.params)} positional "
                                 f"arguments ({', '.join(self.params)})")
        if len(targets) != len(self.returns):
            raise TransformError(f"prelude {self.name!r} gives {len(self.returns)} values "
                                 f"({', '.join(self.returns)})")
        names = dict(zip(self.returns, targets))
        arguments = dict(zip(self.params, call.args))

        class Rename(ast.NodeTransformer):
            def visit_Name(self, node):
                if node.id in arguments:
                    return copy_tree(arguments[node.id])
                return ast.Name(id=names.get(node.id, node.id), ctx=node.ctx)

        return [Rename().visit(copy_tree(s)) for s in self.body]


def prelude(func):
    """Mark the template function ``func`` as a prelude (see the module's docstring)."""
    text = textwrap.dedent(inspect.getsource(func))
    node = parse(text).body[0]
    body = [s for s in node.body
            if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    last = body.pop() if body else None
    value = getattr(last, "value", None)
    returned = value.elts if isinstance(value, ast.Tuple) else [value]
    if not isinstance(last, ast.Return) or not all(isinstance(v, ast.Name) for v in returned):
        raise TransformError(f"prelude {func.__name__!r} must end by returning the names of "
                             f"its temporaries")
    params = [a.arg for a in node.args.args]
    assigned = {t.id for s in ast.walk(ast.Module(body=body, type_ignores=[]))
                if isinstance(s, ast.Assign) for t in s.targets if isinstance(t, ast.Name)}
    if assigned & set(params):
        raise TransformError(f"prelude {func.__name__!r} assigns its parameters "
                             f"{sorted(assigned & set(params))}")
    own = {n: f"{func.__name__}_{n}" for n in assigned - {v.id for v in returned}}
    renamed = [_renamed(copy_tree(s), own) for s in body]
    setattr(func, _MARK, Prelude(func.__name__, params, renamed, [v.id for v in returned]))
    return func


def _renamed(stmt, names):
    """``stmt`` with the names of ``names`` replaced by their values."""
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and node.id in names:
            node.id = names[node.id]
    return stmt


def expand_preludes(body, namespace):
    """The template statements ``body`` with each ``targets = p(args)`` of a prelude ``p``
    (a global of ``namespace`` marked ``@prelude``) replaced by the prelude's statements,
    also in the branches of ``if`` statements."""
    out = []
    for stmt in body:
        found = _prelude_of(stmt, namespace)
        if found is not None:
            target = stmt.targets[0]
            targets = [t.id for t in target.elts] if isinstance(target, ast.Tuple) \
                else [target.id]
            out.extend(found.expanded(stmt.value, targets))
        elif isinstance(stmt, ast.If):
            stmt.body = expand_preludes(stmt.body, namespace)
            stmt.orelse = expand_preludes(stmt.orelse, namespace)
            out.append(stmt)
        else:
            out.append(stmt)
    return out


def _prelude_of(stmt, namespace):
    """The ``Prelude`` that ``stmt`` (``t = p(...)``, ``a, b = p(...)``) calls, or None."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Name)):
        return None
    found = getattr(namespace.get(stmt.value.func.id), _MARK, None)
    if found is None:
        return None
    target = stmt.targets[0]
    parts = target.elts if isinstance(target, ast.Tuple) else [target]
    if not all(isinstance(t, ast.Name) for t in parts):
        raise TransformError(f"a call of prelude {found.name!r} assigns names only")
    return found
