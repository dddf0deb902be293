"""The globals a user's function reads, written out as lines of a built module.

A built module imports only ``math`` and ``numpy``: a number, string, tuple, small array,
NumPy or math function or NumPy module the function reads becomes a line that recreates it;
anything else is a BuildError.
"""

import importlib
import math as _math
import types

import numpy as np


class BuildError(ValueError):
    """A module cannot be written: the target is not ours, or a global cannot be serialised."""


def serialise(name, value):
    """A line of Python that recreates ``value`` under ``name`` in a built module ('' where
    the module's own imports already bind it); BuildError if a module cannot hold it."""
    if isinstance(value, types.ModuleType):
        if value is np:
            return f"{name} = np" if name != "np" else ""
        if value is _math:
            return f"{name} = math" if name != "math" else ""
        if value.__name__.split(".")[0] in ("numpy",):
            return f"import {value.__name__} as {name}"
        raise BuildError(f"the module {value.__name__!r} (as {name!r}) is not available to a "
                         f"standalone module; only numpy and math are")
    if callable(value):
        module = getattr(value, "__module__", None) or ""
        qualname = getattr(value, "__name__", "")
        for mod_name, mod in (("np", np), ("math", _math)):
            if getattr(mod, qualname, None) is value:
                return f"{name} = {mod_name}.{qualname}"
        if module and module != "__main__" and _importable(module, qualname, value):
            # a primitive of the user's (with a rule of their own): imported from its module
            return f"from {module} import {qualname}" + (f" as {name}" if name != qualname else "")
        raise BuildError(f"{name!r} is a function ({module}.{qualname}) that a standalone "
                         f"module cannot import; only numpy and math functions can be used")
    if isinstance(value, np.ndarray):
        if value.size > 100_000:
            raise BuildError(f"the global array {name!r} has {value.size} entries; too large to "
                             f"write into a module (pass it as an argument instead)")
        return f"{name} = np.array({value.tolist()!r}, dtype=np.{value.dtype.name})"
    if isinstance(value, np.generic):
        return f"{name} = np.{type(value).__name__}({value.item()!r})"
    if _is_literal(value):
        return f"{name} = {value!r}"
    raise BuildError(f"the global {name!r} (a {type(value).__name__}) cannot be written into a "
                     f"standalone module; pass it as an argument instead")


def _importable(module, qualname, value):
    """Whether ``from module import qualname`` gives ``value``."""
    try:
        return getattr(importlib.import_module(module), qualname, None) is value
    except Exception:  # noqa: BLE001 - any failure means it cannot be imported
        return False


def _is_literal(value):
    """Whether ``repr(value)`` is Python that recreates it (numbers, strings, None, and
    tuples, lists and dicts of them)."""
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return True
    if isinstance(value, (tuple, list)):
        return all(_is_literal(v) for v in value)
    if isinstance(value, dict):
        return all(_is_literal(k) and _is_literal(v) for k, v in value.items())
    return False
