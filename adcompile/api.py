"""The public API: grad, value_and_grad, vjp, jvp, show, build, check_grad, graph and
checkpoint (jacobian and hessian, made of vjp and jvp: jacobians.py).

Each transformation is done once per (function, wrt) and cached (cache.py); calls are
specialised on the number of dimensions of each positional argument (a
Python number is 0-d), the way a tracing compiler specialises on shapes, so
the code that runs for scalars has no broadcasting helpers in it (dispatch.py). The
callables of one kind made of one transform share their dispatcher (what it checked and
compiled: shared.py), so ``ad.grad(f)(x)`` written inline costs a few microseconds more
than the code; a gradient of a function with plain parameters calls the code for numbers
directly when the argument types are those of the last call (fastpath.py).
"""

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Union

from .arguments import Arguments
from .backend.display import Code, SideBySide, original_source
from .backend.graph import Graph, computation_graph
from .backend.jit import check_backend
from .backend.standalone import build_module, module_source
from .cache import cached_transform
from .callables import describe, forwarded, open_parameters, open_wrt, rebound, unbind
from .checked_gradients import checked_gradient_code
from .compiler import CHECKPOINT
from .dispatch import dispatcher, specialisation
from .errors import TransformError
from .frontend.static_choices import choice_names
from .ir.trees import leaf_values
from .shared import Shared, documented, finish, gradient_shared, shared_of, vjp_shared

#: a function to differentiate, or a callable adcompile made
Function = Callable[..., Any]
#: which parameters: an index or a name, or a tuple (list) of them
Wrt = Union[int, str, Sequence[Union[int, str]]]


def _decorator(make, f, wrt, **options):
    if f is None:
        return lambda g: _unbound(make, g, wrt, **options)
    if isinstance(f, (int, str, tuple)) and not callable(f):
        raise TypeError("pass wrt by keyword: @ad.grad(wrt=...)")
    return _unbound(make, f, wrt, **options)


def _unbound(make, f, wrt, **options):
    """``make(f, wrt, **options)``; for a partial, a bound method or a callable object
    (see callables.py), what ``make`` makes of its function, with the same arguments bound
    and ``wrt`` counted among the parameters ``f`` leaves open; for a decorator's wrapper
    that only forwards its arguments, what ``make`` makes of the function it wraps."""
    f = forwarded(f)
    bound = unbind(f)
    if bound is None:
        return make(f, wrt, **options)
    return rebound(make(bound.func, open_wrt(f, wrt), **options), bound, f)


def checkpoint(f: Function | None = None, every: int | str = "sqrt") -> Function:
    """Mark ``f`` so that its gradients recompute instead of keeping every step of its
    loops: usable as ``@ad.checkpoint`` or ``@ad.checkpoint(every=100)``.

    In the gradient code, each top-level ``for`` loop of ``f`` that may run again (its
    body only computes values: no print, no random numbers, no list it appends to, no
    break) keeps, every ``every`` steps, only the values its iterations carry; the
    backward sweep runs each segment of steps again from its checkpoint before reversing
    it. ``every="sqrt"``: the square root of the number of steps, so memory grows as
    sqrt(steps) for one more forward sweep. Other loops keep every step, as without the
    mark; ``ad.show`` shows which are checkpointed. Returns ``f`` itself, marked."""
    if not (every == "sqrt" or type(every) is int and every >= 1):
        raise ValueError(f"every must be a positive int or 'sqrt', not {every!r}")

    def mark(g):
        if getattr(g, "__code__", None) is None or getattr(g, "_adcompile", None) is not None:
            raise TypeError(f"ad.checkpoint marks a Python function, not {g!r}")
        setattr(g, CHECKPOINT, every)
        return g

    return mark if f is None else mark(f)


def grad(f: Function | None = None, wrt: Wrt = 0, has_aux: bool = False,
         backend: str | None = None) -> Function:
    """The gradient of scalar-valued ``f`` with respect to parameter(s) ``wrt``.

    Usable as ``ad.grad(f)``, ``@ad.grad`` or ``@ad.grad(wrt=("x", "y"))``. The result
    takes ``f``'s arguments and returns one gradient, or a tuple when ``wrt`` is a tuple.
    With ``has_aux=True``, ``f`` ends with ``return value, aux``: only the value is
    differentiated and the result is ``(gradient, aux)``, aux as ``f`` computed it.
    ``backend="numba"``: the generated code is compiled by numba (nopython mode) at each
    specialisation's first call; code numba cannot compile runs as plain Python, with a
    ``NumbaFallbackWarning`` saying why (see adcompile/backend/jit.py). The callable's
    ``.numba`` reports compile times and fallbacks.
    """
    return _decorator(_make_grad, f, wrt, has_aux=has_aux, backend=check_backend(backend))


def _require_scalar_output(transform, f):
    if transform.tuple_output:
        raise ValueError(f"grad requires {f.__name__}() to return a scalar, but it returns a "
                         f"tuple; use ad.vjp to pull back a non-scalar output")


def _make_grad(f, wrt, has_aux=False, backend=None):
    return _make_gradient(f, wrt, has_aux, "grad", backend)


def _make_gradient(f, wrt, has_aux, kind, backend=None):
    """The callable of ``kind`` ("grad" or "value_and_grad") made of ``f``: a copy of the
    function its transform's callables of that kind (and backend) share, made once per
    transform (``ad.grad(f)(x)`` written in a loop finds it again)."""
    transform = cached_transform(f, wrt, has_aux)
    _require_scalar_output(transform, f)
    shared = shared_of(transform, (kind, backend),
                       lambda: gradient_shared(f, transform, kind, backend))
    return shared_of(transform, (kind, backend, "callable"),
                     lambda: finish(shared.template, f, transform, shared, kind))


def value_and_grad(f: Function | None = None, wrt: Wrt = 0, has_aux: bool = False,
                   backend: str | None = None) -> Function:
    """Like ``grad``, but the callable returns ``(f(*args), gradient)``; with ``has_aux``,
    ``((value, aux), gradient)``. ``backend``: as for ``grad``."""
    return _decorator(_make_value_and_grad, f, wrt, has_aux=has_aux,
                      backend=check_backend(backend))


def _make_value_and_grad(f, wrt, has_aux=False, backend=None):
    return _make_gradient(f, wrt, has_aux, "value_and_grad", backend)


def vjp(f: Function | None = None, wrt: Wrt = 0, has_aux: bool = False,
        backend: str | None = None) -> Function:
    """Vector-Jacobian product: a callable ``(*args, out_bar)`` returning ``(value, gradient)``.

    ``out_bar`` has the structure of ``f``'s output and is passed as the last
    positional argument or as the keyword ``out_bar=``. With ``has_aux``, ``f`` returns
    ``value, aux``, ``out_bar`` is the adjoint of the value and the callable returns
    ``((value, aux), gradient)``. ``backend``: as for ``grad``.
    """
    return _decorator(_make_vjp, f, wrt, has_aux=has_aux, backend=check_backend(backend))


def _trailing(args, kwargs, name, missing):
    """The argument passed as keyword ``name`` or else as the last positional one (removed
    from ``kwargs`` or ``args``), and the remaining positional arguments."""
    if name in kwargs:
        return kwargs.pop(name), args
    if args:
        return args[-1], args[:-1]
    raise TypeError(missing)


def _make_vjp(f, wrt, has_aux=False, backend=None):
    transform = cached_transform(f, wrt, has_aux)
    shared = shared_of(transform, ("vjp", backend), lambda: vjp_shared(f, transform, backend))
    lookup = shared.lookup

    def pullback(*args, **kwargs):
        out_bar, args = _trailing(args, kwargs, "out_bar",
                                  f"vjp of {f.__name__}() needs out_bar (the adjoint of its output)")
        return lookup(args, kwargs)(*args, out_bar=out_bar, **kwargs)

    return finish(pullback, f, transform, shared, "vjp")


def jvp(f: Function | None = None, wrt: Wrt = 0, has_aux: bool = False) -> Function:
    """Forward mode: a callable ``(*args, tangents)`` returning ``(value, value_dot)``, the
    derivative of ``f`` at ``args`` along ``tangents`` (one per ``wrt`` parameter, a tuple
    when ``wrt`` is a tuple), passed as the last positional argument or as ``tangents=``.
    With ``has_aux``, ``f`` returns ``value, aux`` and the callable ``((value, aux),
    value_dot)``."""
    return _decorator(_make_jvp, f, wrt, has_aux=has_aux)


def _make_jvp(f, wrt, has_aux=False):
    transform = cached_transform(f, wrt, has_aux)
    shared = shared_of(transform, "jvp", lambda: Shared(
        transform, "jvp", f"jvp_{transform.source.name}", documented(f, transform, "jvp"),
        dispatcher(transform, "jvp", f"jvp_{transform.source.name}", trailing="tangents")))
    lookup = shared.lookup

    def pushforward(*args, **kwargs):
        tangents, args = _trailing(args, kwargs, "tangents",
                                   f"jvp of {transform.source.name}() needs tangents (one "
                                   f"per wrt parameter)")
        fn = lookup(args, kwargs)
        n = len(transform.wrt)
        if not transform.wrt_tuple:
            tangents = (tangents,)
        elif not isinstance(tangents, (tuple, list)) or len(tangents) != n:
            raise ValueError(f"jvp of {transform.source.name}() with "
                             f"wrt={tuple(transform.wrt)} needs a tuple of {n} tangents")
        kwargs.update(zip(fn.tangent_names, _leaf_tangents(fn.trees, transform.wrt, tangents,
                                                           transform.source.name)))
        return fn(*args, **kwargs)

    return finish(pushforward, f, transform, shared, "jvp")


def _leaf_tangents(trees, wrt, tangents, function):
    """The tangents of the leaves differentiated, in order: a structured parameter's tangent
    has its structure."""
    flat = []
    for p, tangent in zip(wrt, tangents):
        node = trees.get(p)
        if node is None:
            flat.append(tangent)
            continue
        try:
            values = leaf_values(node, tangent)
        except (KeyError, IndexError, AttributeError, TypeError):
            raise ValueError(f"the tangent of {p!r} in jvp of {function}() must have the "
                             f"structure of {p} ({node.describe()})") from None
        flat += [v for leaf, v in zip(node.leaves(), values) if leaf.differentiable]
    return flat


def show(f: Function, wrt: Wrt | None = None, mode: str | None = None,
         args: Sequence[Any] | None = None, stage: str | None = None,
         has_aux: bool = False, side_by_side: bool = False) -> Code | SideBySide:
    """The generated gradient code of ``f`` as a string (a ``str`` that Jupyter shows as
    highlighted code: see ``backend.display.Code``).

    With ``args`` (example positional arguments), the code specialised to their
    dimensions, as a call with them runs it; without, the general code that
    ``build`` writes and that works for any shapes. Where the function called depends on
    a string, bool, None or function an argument gives (frontend/static_choices.py), the
    code for the values in ``args``, or without ``args`` for the parameters' defaults.
    ``wrt`` and ``mode`` default to the first argument and reverse mode or, for a function
    adcompile made (``show(ad.grad(f, wrt=(0, 1)))``, ``show(ad.jvp(f))``), to what it was
    made for.
    With ``stage`` (the name of a pass: "desugar", "normalize", "reverse", "prune_tape", ...;
    see adcompile/pipeline.py), the code as that pass left it, for debugging. ``has_aux``: ``f``
    returns ``value, aux`` (see ``grad``); the code shown returns the aux too. With
    ``side_by_side``, a ``SideBySide`` (a ``str`` too): the original source in one column
    and the code in the other, as text and, in a notebook, as an HTML table.
    """
    if side_by_side:
        code = show(f, wrt, mode, args, stage, has_aux)
        original = getattr(f, "__wrapped__", f)
        return SideBySide(original_source(f), code,
                          (f"{getattr(original, '__name__', 'f')} (original)", "generated"))
    bound = unbind(f)
    if bound is not None:   # wrt among the open parameters; none: what it was made for
        made = getattr(bound.func, "_adcompile", None)
        keep = wrt is None and made is not None and not (made[1] == "grad"
                                                         and mode == "forward")
        return show(bound.func, None if keep else open_wrt(f, 0 if wrt is None else wrt),
                    mode, None if args is None else bound.args + tuple(args), stage, has_aux)
    made = getattr(f, "_adcompile", None)
    if mode is None:
        mode = "forward" if made is not None and made[1] == "jvp" else "reverse"
    if mode not in ("reverse", "forward"):
        raise ValueError(f"mode must be 'reverse' or 'forward', not {mode!r}")
    form = "grad" if mode == "reverse" else "jvp"
    if made is not None and made[1] == "grad" and mode == "forward":
        # forward mode of a gradient: the Hessian-vector product code (forward over reverse)
        transform = cached_transform(f, 0 if wrt is None else wrt)
    elif made is not None and wrt is None:
        transform = made[0]
    else:
        transform = cached_transform(getattr(f, "__wrapped__", f), 0 if wrt is None else wrt,
                                     has_aux)
    key = ()
    if args is not None or transform.static_needs:   # (without args: the defaults' values)
        transform, key, _ = specialisation(transform, Arguments(transform, "show", None),
                                           list(args or ()), None)
    if stage is not None:
        return Code(transform.stage(key, form, stage))
    if transform.has_aux and form == "grad":   # the gradient code that returns the aux
        return Code(checked_gradient_code(transform, key, "grad")[0])
    return Code(transform.generate(key, form)[0])


def check_grad(f: Function, *args: Any, wrt: Wrt = 0, eps: float = 1e-6, rtol: float = 1e-5,
               atol: float = 1e-6) -> float:
    """Compare adcompile's gradient of ``f`` at ``args`` with central finite differences.

    Raises AssertionError naming the worst entry on a mismatch; returns the
    largest absolute error otherwise.
    """
    from .checking import compare_with_finite_differences
    f = getattr(f, "__wrapped__", f)
    if unbind(f) is not None:   # a partial, a bound method: wrt among its open parameters
        names = open_wrt(f, wrt)
        names = names if isinstance(names, tuple) else (names,)
        positional = [p.name for p in open_parameters(f)
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        grads = grad(f, wrt=names)(*args)
        return compare_with_finite_differences(f, args, positional, names, grads, eps, rtol,
                                               atol)
    transform = cached_transform(f, wrt)
    grads = grad(f, wrt=tuple(transform.wrt))(*args)
    return compare_with_finite_differences(f, args, transform.source.positional_params,
                                           transform.wrt, grads, eps, rtol, atol)


def build(f_or_list: Function | Sequence[Function], path: str | os.PathLike[str], wrt: Wrt = 0,
          force: bool = False, args: Sequence[Any] | None = None) -> Path:
    """Write a standalone module with ``grad_<name>(*args, out_bar=1.0)`` for each function;
    return its path. The file gets the mode of a new file (0o666 less the umask), or keeps
    that of the module it replaces; a file adcompile did not write is overwritten only with
    ``force``. ``args``: example arguments, which give the structure of differentiated
    arguments that are structures (dicts, lists, ... of arrays); the code works for any
    shapes of their arrays."""
    funcs = _functions(f_or_list)
    return build_module(funcs, path, lambda f: _for_build(f, wrt, args), force)


def build_source(f_or_list: Function | Sequence[Function], wrt: Wrt = 0,
                 directory: str | os.PathLike[str] | None = None,
                 args: Sequence[Any] | None = None) -> str:
    """The text ``build`` writes (``adcompile build -o -`` prints it). ``directory``: the
    folder the module will be in (by default the current one), where a primitive's module
    loaded from a file path must be found."""
    return module_source(_functions(f_or_list), lambda f: _for_build(f, wrt, args), directory)


def _for_build(f, wrt, args):
    """The transform ``build`` writes the code of: specialised to the structures in
    ``args``, if any."""
    transform = cached_transform(f, wrt)
    # (module-level settings: known without args, static_choices.py)
    settings = [need for need in transform.static_needs if need[0] == "read"]
    if args is not None:
        check = Arguments(transform, f"build of {f.__name__}", None)
        check.positional(list(args))
        transform = specialisation(transform, check, list(args), None)[0]
        settings = [need for need in transform.statics if need[0] == "read"]
    chosen = choice_names(settings or transform.statics)
    if not chosen:
        transform._require_normal()
    if chosen:   # (a module's function takes any value, and could not check it)
        raise TransformError(f"build of {f.__name__}: the function {f.__name__}() calls "
                             f"depends on the value of {_listed(chosen, settings)}, and a "
                             f"built module's code would serve one value only; " + (
                                 f"write the function called by its name in the code, or "
                                 f"give {f.__name__} to ad.grad instead, which reads the "
                                 f"setting again at each call" if settings else
                                 f"differentiate a function of your own that gives it, def "
                                 f"loss_tanh(w, x): return loss(w, x, \"tanh\"), or give the "
                                 f"function to ad.grad instead"))
    return transform


def _listed(chosen, settings):
    """The names of the values ``chosen``, quoted where they are parameters'."""
    return ", ".join(chosen if settings else map(repr, chosen))


def _functions(f_or_list):
    funcs = list(f_or_list) if isinstance(f_or_list, (list, tuple)) else [f_or_list]
    funcs = [getattr(f, "__wrapped__", f) for f in funcs]
    for f in funcs:
        if unbind(f) is not None:
            raise TypeError(f"build writes gradients of functions, and {describe(f)} binds "
                            f"arguments a module cannot hold; build {unbind(f).func.__name__} "
                            f"itself (wrt counting all of its parameters) and pass the bound "
                            f"arguments when calling its gradient")
    return funcs


def graph(f: Function, wrt: Wrt = 0, args: Sequence[Any] | None = None) -> Graph:
    """A picture of ``f``'s computation and its adjoints, as the lectures draw it: a
    ``backend.graph.Graph`` (``.dot()``: DOT text, ``.mermaid()``, ``.render("svg")`` and
    ``.save(path)`` with Graphviz; a notebook shows the SVG when Graphviz is installed).
    Nodes are the parameters, one primitive each and the returned value; black edges the
    values, red dashed ones the adjoint terms, ``+`` nodes the sums where a value is read
    more than once. With ``args``, the adjoint terms are those of the code specialised to
    their dimensions (as ``show``)."""
    transform = cached_transform(getattr(f, "__wrapped__", f), wrt)
    key = ()
    if args is not None:   # (the structures among them too)
        transform, key, _ = specialisation(transform, Arguments(transform, "graph", None),
                                           list(args), None)
    transform._require_normal()
    target = transform.target(key, "grad")
    return computation_graph(transform.normal, transform.aliases, target.param_ndims,
                             target.param_full)
