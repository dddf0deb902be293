"""Functions made by a function of the user's, written where they are made:
``step = newton_step(a)``.

autograd's fixed-point example builds its iteration by a function returning a lambda::

    def newton_step(a):
        return lambda x: 0.5 * (x + a / x)

    def root(a):
        step = newton_step(a)
        ...  x = step(x) ...

The function made holds the arguments of the call; written where it is made, it is a
nested function of the caller, reading the arguments bound once to names of their own::

    a_of_newton_step = a
    step = lambda x: 0.5 * (x + a_of_newton_step / x)

which the passes that follow take as any nested function or lambda (closures.py). Done,
on the syntax, only where that is what Python does: ``name = factory(...)`` at the top
level of the function's body, ``name`` only called (used otherwise, it is left as it is); a module-level function of the same file and indentation
with plain parameters (defaults literals) whose body is ``return lambda ...`` (or a
``def`` and ``return`` of its name), the function made having no defaults nor names of
its own that are the factory's; no name of the caller that the factory reads. Any other
function held in a variable stays refused where it is called.
"""

import ast
import copy
import inspect

from ..ir.naming import fresh_name, names_in
from .generators import Renamed, locals_of
from .source import FunctionSource, own_signature
from .syntax import is_literal


def write_factory_calls(fn, source):
    """Write out (in place) each ``name = factory(...)`` at the top level of ``fn`` (a copy
    of ``source``'s def) whose function can be (see the module's docstring)."""
    local = set(source.params) | {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)
                                  and not isinstance(n.ctx, ast.Load)}
    taken = names_in(fn)
    called = {n.func for n in ast.walk(fn) if isinstance(n, ast.Call)}
    only_called = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)} - {
        n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
        and n not in called}
    out = []
    for stmt in fn.body:
        made = _factory_call(stmt, source, local) \
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
            and getattr(stmt.targets[0], "id", None) in only_called else None
        out.extend([stmt] if made is None else _written(stmt, *made, taken))
    fn.body[:] = out


def _factory_call(stmt, source, local):
    """(function, its source, the argument bound to each parameter) for ``name =
    factory(...)`` that can be written out, else None."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name) and stmt.value.func.id not in local
            and not any(isinstance(a, ast.Starred) for a in stmt.value.args)
            and all(k.arg is not None for k in stmt.value.keywords)):
        return None
    func = source.resolve(stmt.value.func.id, None)
    if not (inspect.isfunction(func) and not inspect.isgeneratorfunction(func)
            and not func.__closure__ and func.__globals__ is getattr(source, "globals", None)
            and func.__code__.co_filename == source.filename):
        return None
    signature = own_signature(func)
    if any(p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY, p.POSITIONAL_ONLY)
           or p.default is not p.empty and not is_literal(p.default)
           for p in signature.parameters.values()):
        return None
    try:
        bound = signature.bind(*stmt.value.args, **{k.arg: k.value for k in stmt.value.keywords})
        made_source = FunctionSource(func)
    except Exception:   # (refused later, where the call is read)
        return None
    made = _made_function(made_source)
    if made is None or made_source.indent != source.indent:
        return None
    free = names_in(made_source.node) - locals_of(made_source) - _own_names(made)
    if free & local:
        return None   # (a name the factory reads means something else here)
    return made_source, made, {p.name: bound.arguments.get(p.name, ast.Constant(p.default))
                               for p in signature.parameters.values()}


def _made_function(made_source):
    """The lambda the factory returns, or its def, if its body is only that (no defaults,
    no parameter or variable named as one of the factory's); else None."""
    body = made_source.node.body
    if ast.get_docstring(made_source.node, clean=False) is not None:
        body = body[1:]
    if made_source.node.decorator_list or not body or not isinstance(body[-1], ast.Return):
        return None
    if len(body) == 1 and isinstance(body[0].value, ast.Lambda):
        made = body[0].value
    elif len(body) == 2 and isinstance(body[0], ast.FunctionDef) \
            and isinstance(body[1].value, ast.Name) and body[1].value.id == body[0].name \
            and not body[0].decorator_list:
        made = body[0]
    else:
        return None
    own = _own_names(made)
    if isinstance(made, ast.FunctionDef) and any(
            isinstance(n, ast.Name) and n.id == made.name for n in ast.walk(made)):
        return None   # (a function reading its own name: recursion, refused as written)
    if made.args.defaults or made.args.kw_defaults and any(made.args.kw_defaults) \
            or own & set(made_source.params) or any(
                isinstance(n, (ast.Lambda, ast.FunctionDef, ast.Global, ast.Nonlocal,
                               ast.Yield, ast.YieldFrom, ast.Await))
                for n in ast.walk(made) if n is not made):
        return None
    return made


def _own_names(made):
    """The parameters of the function ``made`` and the names it assigns."""
    return {a.arg for a in ast.walk(made.args) if isinstance(a, ast.arg)} | {
        n.id for n in ast.walk(made) if isinstance(n, ast.Name)
        and not isinstance(n.ctx, ast.Load)} | {getattr(made, "name", None)}


def _written(stmt, made_source, made, arguments, taken):
    """The parameters bound to names of their own, then the function made, under the
    assignment's name."""
    factory = made_source.name
    renamed = {p: fresh_name(f"{p}_of_{factory}", taken) for p in made_source.params}
    binds = [ast.copy_location(ast.Assign(targets=[ast.Name(id=renamed[p], ctx=ast.Store())],
                                          value=value), stmt)
             for p, value in arguments.items()]
    made = Renamed(renamed).visit(copy.deepcopy(made))
    name = stmt.targets[0].id
    if isinstance(made, ast.Lambda):
        made_stmt = ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=made)
    else:
        made.name = name
        made_stmt = made
    return [ast.fix_missing_locations(s) for s in binds + [ast.copy_location(made_stmt, stmt)]]
