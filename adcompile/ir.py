"""The normalized form every later stage works on.

A function body becomes a list of statements, each either an ``Op`` (one
primitive applied to names and inactive expressions, with its adjoint rule)
or a ``Keep`` (a statement copied verbatim into the forward sweep, with
nothing to differentiate). Every ``Op`` target is assigned exactly once.
"""

import ast
from dataclasses import dataclass, field


@dataclass(eq=False)
class Op:
    """``target = expr``, where ``expr`` applies ``rule``'s primitive once."""

    target: str
    expr: ast.expr                 # the forward expression, operands already flattened
    rule: object                   # rules.Rule
    inputs: list                   # one ast.expr per rule input (Name or inactive expression)
    statics: dict                  # static parameter -> ast.expr
    node: ast.AST                  # the user's node, for error positions

    @property
    def input_names(self):
        return [e.id for e in self.inputs if isinstance(e, ast.Name)]


@dataclass(eq=False)
class Keep:
    """A statement run as written in the forward sweep (inactive values, print, assert)."""

    stmt: ast.stmt
    defines: list = field(default_factory=list)
    pure: bool = True              # may be dropped when nothing reads what it defines


@dataclass(eq=False)
class NormalFunction:
    source: object                 # source.FunctionSource
    params: list                   # user parameter names, in order
    wrt: list                      # names of the parameters differentiated
    body: list                     # Op | Keep
    outputs: list                  # ast.expr per returned value (Name or inactive expression)
    tuple_output: bool
    namer: object
    ndims: dict = field(default_factory=dict)    # name -> known ndim
    active: set = field(default_factory=set)


def load(name):
    return ast.Name(id=name, ctx=ast.Load())


def store(name):
    return ast.Name(id=name, ctx=ast.Store())


def assign(name, value):
    return ast.Assign(targets=[store(name)], value=value, lineno=0)


def names_read(tree):
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
