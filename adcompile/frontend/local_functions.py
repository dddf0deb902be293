"""What inlining knows of a function that exists only as source here (a nested function or
lambda, a stand-in made for a call with ``*args``): its names and signature."""

import ast
import inspect

from .nested_defaults import MOVED, MovedDefault
from .source import DerivedSource


class StandIn:
    """What inlining needs of a function that exists only as source here: its names and
    ``__signature__`` (``inspect.signature`` reads it; hence callable)."""

    _adcompile_local = True   # syntax.is_user_function: inlined like the user's functions

    def __init__(self, name, qualname, signature, source):
        self.__name__, self.__qualname__ = name, qualname
        self.__signature__ = signature
        self.source = source

    def __call__(self, *args, **kwargs):
        raise TypeError(f"{self.__qualname__} is inlined by adcompile, never called")


class LocalFunction(StandIn):
    """A def or lambda inside a function: ``free`` are the enclosing function's variables
    (and nested functions) it reads, its trailing keyword-only parameters."""

    def __init__(self, node, source, free):
        derived = DerivedSource(source, node)
        super().__init__(node.name, f"{source.name}.<locals>.{node.name}",
                         signature_of(node, derived.error), derived)
        self.free = free


def signature_of(node, error):
    """The ``inspect.Signature`` of a def node, whose defaults must be literals."""
    kind = inspect.Parameter
    args = node.args
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params = [kind(a.arg, kind.POSITIONAL_ONLY if i < len(args.posonlyargs)
                   else kind.POSITIONAL_OR_KEYWORD, default=_default(d, node, error))
              for i, (a, d) in enumerate(zip(positional, defaults))]
    if args.vararg:
        params.append(kind(args.vararg.arg, kind.VAR_POSITIONAL))
    params += [kind(a.arg, kind.KEYWORD_ONLY, default=_default(d, node, error))
               for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    if args.kwarg:
        params.append(kind(args.kwarg.arg, kind.VAR_KEYWORD))
    return inspect.Signature(params)


def _default(expr, node, error):
    if expr is None:
        return inspect.Parameter.empty
    if getattr(expr, MOVED, False):   # (held by a variable of the enclosing function)
        return MovedDefault(expr.id)
    try:
        value = ast.literal_eval(expr)
    except ValueError:
        value = expr
    if not (value is None or isinstance(value, (bool, int, float, complex, str))):
        raise error(expr, f"the default of a parameter of the nested function {node.name}() "
                          f"is not a number, string or None; pass the value at each call")
    return value
