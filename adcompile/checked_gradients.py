"""The code of ``grad`` and ``value_and_grad`` where the value is not known to be a
number: the vjp code without its ``out_bar`` parameter, whose reverse sweep starts only
once ``scalar_seed`` has seen the value and found it a scalar (else a ValueError, never a
gradient of something else).
"""

import ast
import threading

import numpy as np

from .backend.compile import compile_function
from .backend.emit import seeded_def, to_source
from .compiler import without_cycle_collection
from .ir import names_mentioned

#: guards what a transform keeps of this code (its ``checked_variants``)
_checked_lock = threading.Lock()


def _scalar_seed(kind, function):
    """``scalar_seed(value)``: 1.0, the seed of the reverse sweep of ``kind`` ("grad",
    "value_and_grad") of ``function``, when ``value`` is a scalar; else a ValueError."""

    def scalar_seed(value):
        if type(value) is float:
            return 1.0
        if isinstance(value, complex) or getattr(value, "dtype", None) is not None \
                and getattr(value.dtype, "kind", None) == "c":
            raise ValueError(f"{function}() returned a complex value, {value!r}: adcompile "
                             f"differentiates real-valued functions only")
        if isinstance(value, (np.ndarray, np.generic, int, float)) and np.ndim(value) == 0:
            return 1.0
        if getattr(value, "shape", None) == () and hasattr(value, "__array_function__"):
            return 1.0   # a 0-d array of another library (Dask), not computed to check it
        shape = getattr(value, "shape", None)
        what = f"a value of shape {shape}" if isinstance(shape, tuple) \
            else f"a {type(value).__name__}"
        raise ValueError(f"{kind} requires {function}() to return a scalar, but it returned "
                         f"{what}; use ad.vjp to pull back a non-scalar output")

    scalar_seed.numba_equivalent = "scalar_seed"   # (what backend="numba" compiles instead)
    return scalar_seed


def checked_gradient_code(transform, key, kind):
    """(text, aliases, extra) of the code ``checked_gradient`` compiles, made once per
    transform, ``key`` and ``kind`` (``.source`` shows it without compiling it)."""
    with _checked_lock:
        per_transform = transform.checked_variants
        made = per_transform.get(("code", kind, key))
        if made is not None:
            return made
    node, _, aliases, extra = transform.generate_def(key, "vjp")
    name = f"{kind}_{transform.source.name}"
    taken = names_mentioned([node])
    seed = "scalar_seed"
    while seed in taken or seed in aliases.values():
        seed += "_"

    def seed_statements(value):
        call = ast.Call(func=ast.Name(id=seed, ctx=ast.Load()), args=[value], keywords=[])
        return [ast.Assign(targets=[ast.Name(id="out_bar", ctx=ast.Store())], value=call)]

    with without_cycle_collection():   # (it parses and unparses the code: see compiler.py)
        tree = seeded_def(node, name, seed_statements, gradients_only=kind == "grad",
                          has_aux=transform.has_aux)
        code = to_source(tree)
    extra = dict(extra or {}, **{seed: _scalar_seed(kind, transform.source.name)})
    with _checked_lock:   # (the def, for checked_gradient to compile without parsing it)
        per_transform.setdefault(("def", kind, key), tree)
        return per_transform.setdefault(("code", kind, key), (code, aliases, extra))


def checked_gradient(transform, key, kind):
    """The code of ``kind`` ("grad": the gradient, "value_and_grad": value and gradient)
    for argument ndims ``key`` when the value is not known to be a scalar: the vjp code
    with no out_bar parameter, whose reverse sweep starts only once ``scalar_seed`` has
    seen the value (a non-scalar value is a ValueError, never a gradient of it)."""
    code, aliases, extra = checked_gradient_code(transform, key, kind)
    with _checked_lock:
        per_transform = transform.checked_variants
        fn = per_transform.get((kind, key))
        if fn is not None:
            return fn
        tree = per_transform.pop(("def", kind, key), None)
        with without_cycle_collection():
            fn = compile_function(code, f"{kind}_{transform.source.name}", transform.source,
                                  aliases, extra, tree=tree)
        fn.source = code
        per_transform[(kind, key)] = fn
        return fn
