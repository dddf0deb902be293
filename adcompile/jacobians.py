"""Dense Jacobians and Hessians: ``jacobian`` stacks the vjp's backward sweeps, one per
entry of the output, or the jvp's tangent sweeps, one per entry of the inputs;
``hessian`` is the Jacobian of the generated gradient code.
"""

import functools
import inspect

import numpy as np

from .api import Function, Wrt, grad, jvp, vjp
from .arguments import Arguments
from .cache import cached_transform
from .callables import open_wrt, rebound, unbind
from .ir.trees import leaf_values, structure, structure_kind, with_leaves
from .runtime.values import mapping_like


def jacobian(f: Function, wrt: Wrt = 0, mode: str | None = None) -> Function:
    """The dense Jacobian of ``f``: a callable returning an array of shape
    ``output shape + input shape`` (a tuple of them when ``wrt`` is a tuple).

    Reverse mode costs one backward sweep per output entry, forward mode one tangent
    sweep per input entry; ``mode=None`` picks the cheaper: reverse when the output has
    no more entries than the inputs together, forward otherwise."""
    if mode not in (None, "forward", "reverse"):
        raise ValueError(f"mode must be None, 'forward' or 'reverse', not {mode!r}")
    bound = unbind(f)
    if bound is not None:
        return rebound(jacobian(bound.func, open_wrt(f, wrt), mode), bound, f)
    transform = cached_transform(f, wrt)
    if transform.tuple_output:
        raise ValueError(f"jacobian needs {f.__name__}() to return one array, not a tuple")
    signature = inspect.signature(f)   # (a gradient's: its function's, via __wrapped__)
    check = Arguments(transform, f"jacobian_{f.__name__}", None)
    as_tuple = tuple(wrt) if isinstance(wrt, (tuple, list)) else (wrt,)
    sweeps = {}   # "reverse" -> the vjp, "forward" -> the jvp, made on first use

    def sweep(how):
        if how not in sweeps:
            sweeps[how] = (vjp if how == "reverse" else jvp)(f, wrt=as_tuple)
        return sweeps[how]

    def jacobian_of(*args, **kwargs):
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:   # arguments f does not take
            raise TypeError(f"jacobian_{f.__name__}(): {exc}") from None
        bound.apply_defaults()
        inputs = [bound.arguments[p] for p in transform.wrt]
        for p, x in zip(transform.wrt, inputs):
            check.value(p, x)
        value = f(*args, **kwargs)
        n_out = sum(int(np.size(v)) for v in _flat(value)[1])
        n_in = sum(int(np.size(v)) for x in inputs for v in _flat(x)[1])
        how = mode or ("reverse" if n_out <= n_in else "forward")
        blocks = (_jacobian_reverse if how == "reverse" else _jacobian_forward)(
            sweep(how), args, kwargs, inputs, value)
        blocks = [_blocks_in_structure(value, x, b) for x, b in zip(inputs, blocks)]
        return tuple(blocks) if transform.wrt_tuple else blocks[0]

    functools.update_wrapper(jacobian_of, f)
    jacobian_of.__name__ = jacobian_of.__qualname__ = f"jacobian_{f.__name__}"
    jacobian_of.__doc__ = (
        f"jacobian_{f.__name__}{_signature_text(f)} -> the Jacobian of {f.__name__}() with "
        f"respect to {', '.join(map(str, transform.wrt))}: an array of shape output shape + "
        f"input shape{' (a tuple of them, one per parameter)' if transform.wrt_tuple else ''}"
        f", by {mode or 'the cheaper'} mode{'' if mode else ' (reverse or forward)'}.\n\n"
        f"Made by adcompile; .__wrapped__ is {f.__name__}.")
    return jacobian_of


def _signature_text(f):
    try:
        return str(inspect.signature(f))
    except (TypeError, ValueError):
        return "(*args)"


def _basis(like):
    """Unit vectors shaped like ``like`` (a Python float gives 1.0)."""
    if np.ndim(like) == 0 and not isinstance(like, np.ndarray):
        yield 1.0
        return
    e = np.zeros(np.shape(like))
    for k in range(e.size):
        e.flat[k] = 1.0
        yield e.copy()
        e.flat[k] = 0.0


def _flat(x):
    """(x's Node, or None for an array or number; the values of its differentiable
    leaves)."""
    if structure_kind(x) is None:
        return None, [x]
    node = structure(x)
    return node, [v for leaf, v in zip(node.leaves(), leaf_values(node, x))
                  if leaf.differentiable]


def _unflat(like, values):
    """``like`` (a structure, array or number) with its differentiable leaves ``values``."""
    node = structure(like) if structure_kind(like) is not None else None
    return values[0] if node is None else with_leaves(node, like, iter(values), mapping_like)


def _zero(x):
    return 0.0 if np.ndim(x) == 0 and not isinstance(x, np.ndarray) else np.zeros(np.shape(x))


def _jacobian_reverse(pullback, args, kwargs, inputs, value):
    """The blocks ``[input][output leaf][input leaf]``, one backward sweep per entry of
    the output."""
    outs = _flat(value)[1]
    blocks = [[[] for _ in outs] for _ in inputs]
    for k, out in enumerate(outs):
        rows = []
        for e in _basis(out):
            seed = _unflat(value, [e if m == k else _zero(o) for m, o in enumerate(outs)])
            rows.append(pullback(*args, out_bar=seed, **kwargs)[1])
        for i, x in enumerate(inputs):
            columns = [_flat(r[i])[1] for r in rows]
            for j, leaf in enumerate(_flat(x)[1]):
                blocks[i][k].append(np.array([c[j] for c in columns]).reshape(
                    np.shape(out) + np.shape(leaf)))
    return blocks


def _jacobian_forward(push, args, kwargs, inputs, value):
    """The blocks ``[input][output leaf][input leaf]``, one tangent sweep per entry of the
    inputs."""
    outs = _flat(value)[1]
    zeros = [_unflat(x, [_zero(v) for v in _flat(x)[1]]) for x in inputs]
    blocks = [[[] for _ in outs] for _ in inputs]
    for i, x in enumerate(inputs):
        leaves = _flat(x)[1]
        for j, leaf in enumerate(leaves):
            columns = []
            for e in _basis(leaf):
                tangent = _unflat(x, [e if m == j else _zero(v) for m, v in enumerate(leaves)])
                tangents = tuple(tangent if n == i else z for n, z in enumerate(zeros))
                columns.append(_flat(push(*args, tangents=tangents, **kwargs)[1])[1])
            for k, out in enumerate(outs):
                stacked = np.array([np.asarray(c[k]) for c in columns]).reshape(
                    np.shape(leaf) + np.shape(out))
                # columns are indexed by the input entry: move the output axes to the front
                blocks[i][k].append(np.moveaxis(stacked, list(range(np.ndim(leaf))), list(
                    range(np.ndim(out), np.ndim(out) + np.ndim(leaf)))))
    return blocks


def _blocks_in_structure(value, x, blocks):
    """The Jacobian of ``value`` with respect to ``x`` from ``blocks[output leaf][input
    leaf]``: arrays for arrays; for structures, the output's structure of the input's
    structure of blocks (as JAX gives it)."""
    return _unflat(value, [_unflat(x, row) for row in blocks])


def hessian(f: Function, wrt: Wrt = 0, mode: str | None = None) -> Function:
    """The dense Hessian of scalar ``f``: the Jacobian of its generated gradient code. For
    one parameter an array of shape ``input shape + input shape``; for a tuple ``wrt`` a
    tuple of tuples of blocks, ``H[i][j]`` = d2f / dwrt_i dwrt_j of shape ``wrt_i shape +
    wrt_j shape`` (as JAX returns it). ``mode``: how that gradient code is differentiated,
    "reverse" (reverse over reverse) or "forward" (forward over reverse); by default
    reverse."""
    bound = unbind(f)
    if bound is not None:
        return rebound(hessian(bound.func, open_wrt(f, wrt), mode), bound, f)
    if not isinstance(wrt, (tuple, list)):
        return jacobian(grad(f, wrt=wrt), wrt=wrt, mode=mode or "reverse")
    wrt = tuple(wrt)
    cached_transform(f, wrt)   # (a bad wrt is refused here, before the rows are made)
    rows = [jacobian(grad(f, wrt=w), wrt=wrt, mode=mode or "reverse") for w in wrt]

    def hessian_of(*args, **kwargs):
        return tuple(row(*args, **kwargs) for row in rows)

    functools.update_wrapper(hessian_of, f)
    hessian_of.__name__ = hessian_of.__qualname__ = f"hessian_{f.__name__}"
    hessian_of.__doc__ = (
        f"hessian_{f.__name__}{_signature_text(f)} -> the Hessian of {f.__name__}() with "
        f"respect to {wrt}: a tuple of tuples of blocks, H[i][j] the second derivative with "
        f"respect to wrt[i] and wrt[j], of shape wrt[i] shape + wrt[j] shape.\n\n"
        f"Made by adcompile; .__wrapped__ is {f.__name__}.")
    return hessian_of
