"""Central finite differences, the reference every gradient is checked against."""

import copy

import numpy as np

from .ir.trees import Leaf, leaf_values, structure, structure_kind, with_leaves
from .runtime.values import mapping_like


def numerical_gradient(f, args, index, eps=1e-6):
    """d f(*args) / d args[index] by central differences, in float64."""
    args = list(args)
    x = args[index]
    scalar = np.ndim(x) == 0 and not isinstance(x, np.ndarray)
    base = np.array(x, dtype=np.float64)
    g = np.zeros_like(base)
    flat = base.reshape(-1)
    gflat = g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        values = []
        for step in (eps, -eps):
            flat[i] = old + step
            args[index] = float(base) if scalar else base.copy()
            values.append(float(f(*_fresh(args))))
        flat[i] = old
        gflat[i] = (values[0] - values[1]) / (2 * eps)
    return float(g) if scalar else g


def _fresh(values):
    """Copies of the arguments ``values`` for one evaluation of f, which may change them in
    place (``y = np.asarray(x); y *= a`` changes x): arrays copied, other mutable values
    deep-copied where they can be (an object that cannot be copied is passed as it is)."""
    fresh = []
    for v in values:
        if isinstance(v, np.ndarray):
            fresh.append(v.copy())
        elif v is None or isinstance(v, (bool, int, float, complex, str, np.generic)):
            fresh.append(v)
        else:
            try:
                fresh.append(copy.deepcopy(v))
            except Exception:   # (deepcopy raises what the object's __reduce__ raises)
                fresh.append(v)
    return fresh


def leaf_gradients(f, args, index, eps=1e-6):
    """[(path, numerical gradient)] for each differentiable leaf of the structure
    ``args[index]`` (a dict, list, tuple, NamedTuple, dataclass or object of arrays)."""
    node = structure(args[index])
    leaves = [(path, value) for path, leaf, value in _paths(node, args[index])
              if leaf.differentiable]
    found = []
    for k, (path, _) in enumerate(leaves):
        def of_leaf(*call, k=k):
            values = [v for _, v in leaves]
            values[k] = call[index]
            whole = list(call)
            whole[index] = with_leaves(node, args[index], iter(values), mapping_like)
            return f(*whole)
        inner = list(args)
        inner[index] = leaves[k][1]
        found.append((path, numerical_gradient(of_leaf, inner, index, eps)))
    return found


def _paths(node, value, path=""):
    """(path text, Leaf, value) for each leaf of ``node`` in ``value``."""
    if isinstance(node, Leaf):
        yield path, node, value
        return
    for key, child, v in zip(node.keys, node.children, leaf_values_shallow(node, value)):
        part = f".{key}" if node.kind in ("namedtuple", "dataclass", "object") else f"[{key!r}]"
        yield from _paths(child, v, path + part)


def leaf_values_shallow(node, value):
    """The values of the children of ``node`` in ``value``."""
    if node.kind in ("dict", "list", "tuple"):
        return [value[k] for k in node.keys]
    return [getattr(value, k) for k in node.keys]


def compare_with_finite_differences(f, args, positional, wrt, grads, eps, rtol, atol):
    worst = 0.0
    for name, g in zip(wrt, grads):
        index = positional.index(name)
        if structure_kind(args[index]) is not None:
            node = structure(args[index])
            given = [v for (_, leaf, _), v in zip(_paths(node, args[index]),
                                                   leaf_values(node, g)) if leaf.differentiable]
            for (path, expected), leaf_g in zip(leaf_gradients(f, args, index, eps), given):
                worst = max(worst, _compare(f, name + path, leaf_g, expected, rtol, atol))
            continue
        worst = max(worst, _compare(f, name, g, numerical_gradient(f, args, index, eps),
                                    rtol, atol))
    return worst


def _compare(f, name, g, expected, rtol, atol):
    """The largest absolute error of gradient ``g`` of ``name`` (an AssertionError beyond
    the tolerance)."""
    if np.shape(g) != np.shape(expected):
        raise AssertionError(f"gradient w.r.t. {name} has shape {np.shape(g)}, but "
                             f"{name} has shape {np.shape(expected)}")
    expected = np.asarray(expected, dtype=np.float64)
    err = np.abs(np.asarray(g, dtype=np.float64) - expected)
    tol = atol + rtol * np.abs(expected)
    excess = err - tol
    i = np.unravel_index(np.argmax(excess), np.shape(excess)) if np.ndim(excess) else ()
    if excess[i] > 0:
        where = f"{name}[{', '.join(map(str, i))}]" if i else name
        raise AssertionError(
            f"gradient of {getattr(f, '__name__', repr(f))} w.r.t. {where}: adcompile gives "
            f"{np.asarray(g)[i]!r}, central finite differences give {expected[i]!r} "
            f"(absolute error {err[i]:.3g})")
    return float(np.max(err)) if np.size(err) else 0.0
