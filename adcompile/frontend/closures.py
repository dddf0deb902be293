"""Nested functions and lambdas: taken out of their function, their closures made explicit.

A ``def`` (or ``name = lambda ...``) at the top level of a function's body (or at the
top of a loop's body, see nested_definitions.py) is taken out of it (``extract``) into
a table of ``LocalFunction`` (local_functions.py); each variable of the enclosing
function it reads becomes a keyword-only parameter of its own, which every reference
passes: ``step(h, x)`` becomes ``step(h, x, W=W, b=b)``. The reads then happen where
Python makes them, at the call (late binding), and the passes that follow (liveness,
dependence) see them there. A call is inlined like a call of a module-level function.
A nested function or lambda passed as an argument (``apply(step, xs)``, ``apply(lambda
a: a * w, x)``) becomes a *reference* (references.py): a call node marked ``REFERENCE``
whose keywords are those reads; the callee receives it as a ``Closure`` (the function
and the operands it captured) and inlines it where it calls it.

A default that is not a literal (``def term(a, scale=w)``) is assigned to a variable
of its own where the def runs, and passed by each call that leaves it out
(nested_defaults.py). What a nested function cannot do is refused
(nested_definitions.py, references.py): be used otherwise than called or passed as an
argument (it has no value at run time), call itself, carry decorators, defaults that are
not literals inside a loop, or share its name with another variable of the enclosing
function.
"""

import ast
from dataclasses import dataclass, field

from ..ir import scope_stores, walk_tree
from .local_functions import LocalFunction
from .nested_definitions import (Lambdas, definition, loop_definitions, refuse_misplaced,
                                 refuse_rebinding, refuse_recursion)
from .nested_gradients import nested_gradients
from .nested_defaults import move_defaults
from .nesting import split_nesting
from .references import References


@dataclass(eq=False)
class Closure:
    """A nested function passed as an argument, with the operands (in generated names) of
    the variables it reads, taken where it was passed; or, with nothing captured, a
    module-level function or primitive passed as an argument."""

    function: object
    captured: dict = field(default_factory=dict)

    _adcompile_local = True   # syntax.is_user_function: inlined like the user's functions

    def varies(self, varied_ssa):
        """Whether a captured value is being differentiated."""
        return any(v.varies(varied_ssa) if isinstance(v, Closure)
                   else isinstance(v, ast.Name) and v.id in varied_ssa
                   for v in self.captured.values())


def free_names(node):
    """The names a def or lambda reads and does not bind itself (nor do the functions it
    defines). A question of scopes, which ``ir``'s def-use helpers do not know: they count
    a name a nested function binds, or takes as a parameter, like any other."""
    args = node.args
    bound = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    bound |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    todo = list(node.body) if isinstance(node.body, list) else [node.body]
    reads = set()
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if not isinstance(n, ast.Lambda):
                bound.add(n.name)
            reads |= free_names(n)
            continue
        if isinstance(n, ast.Name):
            (reads if isinstance(n.ctx, ast.Load) else bound).add(n.id)
        todo.extend(ast.iter_child_nodes(n))
    return reads - bound


def extract(fn, source):
    """Take the nested functions and lambdas out of ``fn`` (a copy of ``source``'s def,
    changed in place) and make their closures explicit; returns {name: LocalFunction}."""
    error = source.error
    if not any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
               for n in walk_tree(fn.body)):
        return {}   # (most functions: nothing to take out, nothing to refuse)
    defined, body = {}, []
    for stmt in fn.body:
        node = definition(stmt, error)
        if node is None:
            body.append(stmt)
            continue
        if node.name in defined:
            raise error(stmt, f"the nested function {node.name}() is defined twice; give the "
                              f"second one another name")
        body.extend(move_defaults(node, fn))   # (evaluated where the def runs)
        defined[node.name] = (len(body), node)
    for stmt, node in loop_definitions(body, fn, error):
        if node.name in defined:
            raise error(stmt, f"the nested function {node.name}() is defined twice; give the "
                              f"second one another name")
        defined[node.name] = (-1, node)   # (each use is after it in its loop: checked)
    refuse_misplaced(body, error)
    anonymous = Lambdas(error).collect(body)
    if not defined and not anonymous:
        return {}
    fn.body = body
    local = set(source.params) | {n.id for s in body for n in scope_stores(s)} | set(defined)
    for name, (_, node) in defined.items():
        refuse_rebinding(name, node, fn, body, source, error)
    nodes = {name: node for name, (_, node) in defined.items()}
    nodes.update({key: node for key, node in anonymous.items()})
    free = {name: sorted(free_names(node) & local) for name, node in nodes.items()}
    refuse_recursion(free, nodes, error)
    table = {}
    for name, node in nodes.items():
        for v in free[name]:
            node.args.kwonlyargs.append(ast.copy_location(ast.arg(arg=v), node))
            node.args.kw_defaults.append(None)
        split_nesting(node, error)   # (a lambda's conditional body: its return's value)
        table[name] = LocalFunction(node, source, free[name])
    positions = {name: at for name, (at, _) in defined.items()}
    rewrite = References(table, positions, anonymous, error)
    for i, stmt in enumerate(body):
        rewrite.position = i
        body[i] = rewrite.visit(stmt)
    table.update(nested_gradients(body, table, source, local))
    return table
