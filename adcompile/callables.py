"""Callables that stand for a Python function with some of its arguments bound.

A ``functools.partial`` object, a bound method (``model.loss``: ``type(model).loss`` with
``self`` bound; a classmethod: the class bound) and an object with a ``__call__`` method
(``model``: ``model.__call__``) each call a Python function with arguments placed before
(and keywords merged with) the caller's. adcompile differentiates that function and binds
the same arguments to what it makes: ``ad.grad(partial(f, a))`` is
``partial(ad.grad(f, wrt=...), a)``. As in JAX, ``wrt`` refers to the parameters the
callable leaves open: ``wrt=0`` of ``model.loss`` is the first parameter after ``self``.
The bound arguments are never differentiated.
"""

import ast
import functools
import inspect
import types
from dataclasses import dataclass, field

from .errors import TransformError
from .frontend.source_file import read_def


@dataclass(frozen=True)
class Bound:
    """``func`` called with ``args`` first and ``keywords`` (which a call's own override)."""

    func: object
    args: tuple = ()
    keywords: dict = field(default_factory=dict)


def unbind(f):
    """The ``Bound`` that callable ``f`` stands for, or None when ``f`` binds nothing (a
    function, a callable adcompile made, a class, a builtin)."""
    if getattr(f, "_adcompile", None) is not None:   # (a partial binding nothing)
        return None
    if isinstance(f, functools.partial):
        inner = unbind(f.func) or Bound(f.func)
        return Bound(inner.func, inner.args + f.args, {**inner.keywords, **f.keywords})
    if isinstance(f, types.MethodType):
        inner = unbind(f.__func__) or Bound(f.__func__)
        return Bound(inner.func, inner.args + (f.__self__,), inner.keywords)
    if isinstance(f, (types.FunctionType, type, types.BuiltinFunctionType)) or not callable(f):
        return None
    call = inspect.getattr_static(type(f), "__call__", None)
    if isinstance(call, staticmethod):
        return Bound(call.__func__)
    if isinstance(call, classmethod):
        return Bound(call.__func__, (type(f),))
    if isinstance(call, types.FunctionType):
        return Bound(call, (f,))
    return None   # a __call__ without Python source (a ufunc's): FunctionSource says so


def forwarded(f):
    """The function a decorator's wrapper ``f`` only forwards its arguments to, or ``f``:
    ``f.__wrapped__`` (functools.wraps) where ``f``'s whole body is ``return fn(*args,
    **kwargs)`` of its own variadic parameters (``**kwargs`` where it has them), ``fn`` the
    variable of its closure holding ``f.__wrapped__``. Such a wrapper computes what the
    function it wraps does, whose parameters ``wrt`` can name; any other (one that changes
    the arguments or the result, or names its parameters) is differentiated as it is."""
    wrapped = getattr(f, "__wrapped__", None)
    if not (inspect.isfunction(f) and inspect.isfunction(wrapped)) \
            or getattr(f, "_adcompile", None) is not None:
        return f
    try:
        node = read_def(f, f.__code__.co_filename, f.__name__)[0]
    except TransformError:
        return f   # (FunctionSource says why)
    if not isinstance(node, ast.FunctionDef) or not _forwards(node, f, wrapped):
        return f
    return forwarded(wrapped)


def _forwards(node, f, wrapped):
    """Whether the ``def`` ``node`` of ``f`` is ``def w(*args[, **kwargs]): return
    fn(*args[, **kwargs])`` (a docstring allowed) with ``fn`` a closure variable holding
    ``wrapped``."""
    a = node.args
    if a.posonlyargs or a.args or a.kwonlyargs or a.vararg is None:
        return False
    body = node.body[1:] if ast.get_docstring(node) is not None else node.body
    if len(body) != 1 or not isinstance(body[0], ast.Return):
        return False
    call = body[0].value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
            and [_starred(e) for e in call.args] == [a.vararg.arg]
            and [(k.arg, _named(k.value)) for k in call.keywords]
            == ([(None, a.kwarg.arg)] if a.kwarg else [])):
        return False
    names = f.__code__.co_freevars
    return call.func.id in names and f.__closure__[names.index(call.func.id)] \
        .cell_contents is wrapped


def _starred(e):
    return _named(e.value) if isinstance(e, ast.Starred) else None


def _named(e):
    return e.id if isinstance(e, ast.Name) else None


def describe(f):
    """How messages name the callable ``f``."""
    if isinstance(f, functools.partial):
        inner = getattr(f.func, "__qualname__", None) or type(f.func).__qualname__
        return f"functools.partial({inner}, ...)"
    if isinstance(f, types.MethodType):
        return f"the bound method {f.__qualname__}"
    name = getattr(f, "__qualname__", None)
    return f"{name}()" if name else f"the callable {type(f).__qualname__} object"


def open_parameters(f):
    """The ``inspect.Parameter`` objects of the parameters callable ``f`` leaves open (the
    signature of its function with the bound arguments bound)."""
    bound = unbind(f)
    binding = functools.partial(bound.func, *bound.args, **bound.keywords)
    return list(inspect.signature(binding).parameters.values())


def open_wrt(f, wrt):
    """``wrt`` given for callable ``f`` (indices among the positional parameters it leaves
    open, or names of parameters it leaves open) as the names of those parameters of its
    function: one name, or a tuple of them for a tuple (or list)."""
    params = open_parameters(f)
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY,
                                                        p.POSITIONAL_OR_KEYWORD)]
    names = [p.name for p in params]
    as_tuple = isinstance(wrt, (tuple, list))
    found = []
    for item in (list(wrt) if as_tuple else [wrt]):
        if isinstance(item, int) and not isinstance(item, bool):
            if not -len(positional) <= item < len(positional):
                raise ValueError(f"wrt={item} is out of range: {describe(f)} leaves "
                                 f"{len(positional)} positional parameters open {positional} "
                                 f"(wrt counts those, not the ones it binds)")
            item = positional[item]
        elif isinstance(item, str) and item not in names:
            raise ValueError(f"wrt={item!r} is not a parameter {describe(f)} leaves open; "
                             f"those are {names} (the arguments it binds are never "
                             f"differentiated)")
        found.append(item)
    return tuple(found) if as_tuple else found[0]


def rebound(made, bound, original):
    """``made`` (what adcompile made of ``bound.func``) with the arguments of ``bound``
    bound again: a callable that takes what ``original`` takes, with the ``.source``, name
    and docstring of ``made`` and ``__wrapped__`` = ``original``."""
    bind = getattr(made, "bind", None)
    if bind is not None:   # (a Generated: its .source made when first read)
        return bind(bound.args, bound.keywords, original)
    result = functools.partial(made, *bound.args, **bound.keywords)
    for attribute in ("__name__", "__qualname__", "__doc__"):
        if hasattr(made, attribute):
            setattr(result, attribute, getattr(made, attribute))
    result.__wrapped__ = original
    return result
