"""The public API: grad, value_and_grad, vjp, show, build, check_grad.

Each transformation is done once per (function, wrt) and cached; calls are
specialised on the number of dimensions of each positional argument (a
Python number is 0-d), the way a tracing compiler specialises on shapes, so
the code that runs for scalars has no broadcasting helpers in it.
"""

import functools
import threading
import weakref

import numpy as np

from .compiler import Transform

_SCALARS = frozenset({float, int, bool, np.float64, np.float32, np.float16, np.int64, np.int32,
                      np.int16, np.int8, np.uint8, np.bool_})
_cache = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def _transform(f, wrt):
    """The cached Transform of ``f`` for ``wrt``; redefining ``f`` gives a new one."""
    key = (wrt if not isinstance(wrt, list) else tuple(wrt), getattr(f, "__code__", None))
    if key[1] is None:
        return Transform(f, wrt)  # not a Python function: FunctionSource explains why
    with _cache_lock:
        per_function = _cache.setdefault(f, {})
        transform = per_function.get(key)
    if transform is None:
        transform = Transform(f, wrt)
        with _cache_lock:
            per_function[key] = transform
    return transform


def _ndims(args):
    """The specialisation key of a call: each positional argument's ndim, None if unknown.

    A 0-d array counts as unknown: its gradient must come back as an array, which the
    general code ensures."""
    return tuple(0 if type(a) in _SCALARS else a.ndim or None if type(a) is np.ndarray else None
                 for a in args)


def _dispatcher(transform, form):
    """``lookup(args)``: the compiled variant for a call's positional arguments.

    Calls whose arguments are all Python or NumPy scalars are looked up by their
    types alone, which is cheaper than computing the ndims."""
    variants = transform.variants[form]
    by_types = {}

    def lookup(args):
        types = tuple(map(type, args))
        fn = by_types.get(types)
        if fn is None:
            key = _ndims(args)
            fn = variants.get(key) or transform.compiled(key, form)
            if np.ndarray not in types:
                by_types[types] = fn
        return fn

    return lookup


def _check_scalar(value, f):
    if np.ndim(value) == 0:
        return
    raise ValueError(
        f"grad requires {f.__name__}() to return a scalar, but it returned a value of shape "
        f"{np.shape(value)}; use ad.vjp to pull back a non-scalar output")


def _finish(wrapper, f, transform, form):
    functools.update_wrapper(wrapper, f)
    wrapper.__wrapped__ = f
    wrapper.source = transform.generate((), form)[0]
    wrapper.__name__ = f"{'grad' if form == 'grad' else form}_{f.__name__}"
    wrapper.__qualname__ = wrapper.__name__
    return wrapper


def _decorator(make, f, wrt):
    if f is None:
        return lambda g: make(g, wrt)
    if isinstance(f, (int, str, tuple)) and not callable(f):
        raise TypeError("pass wrt by keyword: @ad.grad(wrt=...)")
    return make(f, wrt)


def grad(f=None, wrt=0):
    """The gradient of scalar-valued ``f`` with respect to parameter(s) ``wrt``.

    Usable as ``ad.grad(f)``, ``@ad.grad`` or ``@ad.grad(wrt=("x", "y"))``. The result
    takes ``f``'s arguments and returns one gradient, or a tuple when ``wrt`` is a tuple.
    """
    return _decorator(_make_grad, f, wrt)


def _require_scalar_output(transform, f):
    if transform.tuple_output:
        raise ValueError(f"grad requires {f.__name__}() to return a scalar, but it returns a "
                         f"tuple; use ad.vjp to pull back a non-scalar output")


def _make_grad(f, wrt):
    transform = _transform(f, wrt)
    _require_scalar_output(transform, f)
    lookup = _dispatcher(transform, "vjp")

    def gradient(*args, **kwargs):
        value, g = lookup(args)(*args, **kwargs)
        if type(value) is not float:
            _check_scalar(value, f)
        return g

    return _finish(gradient, f, transform, "vjp")


def value_and_grad(f=None, wrt=0):
    """Like ``grad``, but the callable returns ``(f(*args), gradient)``."""
    return _decorator(_make_value_and_grad, f, wrt)


def _make_value_and_grad(f, wrt):
    transform = _transform(f, wrt)
    _require_scalar_output(transform, f)
    lookup = _dispatcher(transform, "vjp")

    def value_and_gradient(*args, **kwargs):
        result = lookup(args)(*args, **kwargs)
        if type(result[0]) is not float:
            _check_scalar(result[0], f)
        return result

    return _finish(value_and_gradient, f, transform, "vjp")


def vjp(f=None, wrt=0):
    """Vector-Jacobian product: a callable ``(*args, out_bar)`` returning ``(value, gradient)``.

    ``out_bar`` has the structure of ``f``'s output and is passed as the last
    positional argument or as the keyword ``out_bar=``.
    """
    return _decorator(_make_vjp, f, wrt)


def _make_vjp(f, wrt):
    transform = _transform(f, wrt)
    lookup = _dispatcher(transform, "vjp")

    def pullback(*args, **kwargs):
        if "out_bar" in kwargs:
            out_bar = kwargs.pop("out_bar")
        elif args:
            out_bar, args = args[-1], args[:-1]
        else:
            raise TypeError(f"vjp of {f.__name__}() needs out_bar (the adjoint of its output)")
        return lookup(args)(*args, out_bar=out_bar, **kwargs)

    return _finish(pullback, f, transform, "vjp")


def show(f, wrt=0, mode="reverse", args=None):
    """The generated gradient code of ``f`` as a string.

    With ``args`` (example positional arguments), the code specialised to their
    dimensions, as a call with them runs it; without, the general code that
    ``build`` writes and that works for any shapes.
    """
    if mode == "forward":
        raise NotImplementedError("forward mode (ad.jvp) is not implemented yet")
    if mode != "reverse":
        raise ValueError(f"mode must be 'reverse' or 'forward', not {mode!r}")
    f = getattr(f, "__wrapped__", f)
    key = _ndims(args) if args is not None else ()
    return _transform(f, wrt).generate(key, "grad")[0]


def check_grad(f, *args, wrt=0, eps=1e-6, rtol=1e-5, atol=1e-6):
    """Compare adcompile's gradient of ``f`` at ``args`` with central finite differences.

    Raises AssertionError naming the worst entry on a mismatch; returns the
    largest absolute error otherwise.
    """
    from .checking import compare_with_finite_differences
    f = getattr(f, "__wrapped__", f)
    transform = _transform(f, wrt)
    grads = grad(f, wrt=tuple(transform.wrt))(*args)
    return compare_with_finite_differences(f, args, transform.source.positional_params,
                                           transform.wrt, grads, eps, rtol, atol)


def build(f_or_list, path, wrt=0, force=False):
    """Write a standalone module with ``grad_<name>(*args, out_bar=1.0)`` for each function."""
    from .standalone import build_module
    return build_module(f_or_list, path, wrt, force)
