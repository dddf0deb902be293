"""Defaults of a nested function that are not literals (``def term(a, scale=w)``,
``f = lambda z, p=k: ...``). Python evaluates a default once, where the ``def`` runs:
each such default is assigned there to a variable of the enclosing function of its own
(``term_scale = w``), and a call of the function that leaves the parameter out passes
that variable for it (``term(x)`` becomes ``term(x, scale=term_scale)``). The passes
that follow see an ordinary assignment and an ordinary argument."""

import ast
import inspect

from ..ir import walk_tree

#: the attribute of the Name standing for a default moved out of its def
MOVED = "_adcompile_moved_default"


class MovedDefault:
    """The default of a parameter, held by the enclosing function's variable ``name``."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


def is_literal_default(expr):
    """Whether the default ``expr`` is a literal the signature can hold as it is."""
    try:
        value = ast.literal_eval(expr)
    except ValueError:
        return False
    return value is None or isinstance(value, (bool, int, float, complex, str))


def move_defaults(node, fn):
    """The assignments, to be placed where the def ``node`` (in ``fn``) was, of its
    defaults that are not literals; each such default in ``node`` is replaced by a Name
    marked MOVED."""
    args = node.args
    taken = {n.id for n in walk_tree(fn) if isinstance(n, ast.Name)}
    taken |= {a.arg for a in walk_tree(fn) if isinstance(a, ast.arg)}
    moved = []
    for params, defaults in ((args.posonlyargs + args.args, args.defaults),
                             (args.kwonlyargs, args.kw_defaults)):
        named = params[len(params) - len(defaults):]
        for i, (param, expr) in enumerate(zip(named, defaults)):
            if expr is None or is_literal_default(expr):
                continue
            name = _fresh(f"{node.name}_{param.arg}", taken)
            moved.append(ast.copy_location(ast.Assign(
                targets=[ast.copy_location(ast.Name(id=name, ctx=ast.Store()), expr)],
                value=expr), expr))
            stand_in = ast.copy_location(ast.Name(id=name, ctx=ast.Load()), expr)
            setattr(stand_in, MOVED, True)
            defaults[i] = stand_in
    return [ast.fix_missing_locations(m) for m in moved]


def _fresh(name, taken):
    found, k = name, 2
    while found in taken:
        found, k = f"{name}_{k}", k + 1
    taken.add(found)
    return found


def passed_defaults(function, call, error):
    """The keywords a call of the nested ``function`` (a LocalFunction) passes for the
    parameters it leaves out whose default was moved (``scale=term_scale``)."""
    signature = function.__signature__
    moved = [p for p in signature.parameters.values() if isinstance(p.default, MovedDefault)]
    if not moved:
        return []
    if any(isinstance(a, ast.Starred) for a in call.args) \
            or any(k.arg is None for k in call.keywords):
        raise error(call, f"{function.__name__}() is called with *args or **kwargs, and "
                          f"the default of {moved[0].name} is not a literal; pass "
                          f"{moved[0].name}= explicitly")
    try:
        bound = signature.bind_partial(*call.args, **{k.arg: k.value for k in call.keywords})
    except TypeError as exc:
        raise error(call, f"call to {function.__name__}(): {exc}") from None
    missing = [p for p in moved if p.name not in bound.arguments]
    if any(p.kind == inspect.Parameter.POSITIONAL_ONLY for p in missing):
        raise error(call, f"{function.__name__}() is called without its positional-only "
                          f"parameter whose default is not a literal; pass it")
    return [ast.keyword(arg=p.name, value=ast.copy_location(
        ast.Name(id=p.default.name, ctx=ast.Load()), call)) for p in missing]
