"""The globals a user's function reads, written out as lines of a built module.

A built module imports only ``math`` and ``numpy``: a number, string, tuple, small array,
NumPy or math function or NumPy module the function reads becomes a line that recreates it;
a primitive of the user's (a function with a rule of its own) is imported from its module;
anything else is a BuildError.
"""

import importlib
import importlib.machinery
import keyword
import math as _math
import os
import sys
import types
from pathlib import Path

import numpy as np


class BuildError(ValueError):
    """A module cannot be written: the target is not ours, or a global cannot be serialised."""


def serialise(name, value, directory=None):
    """A line of Python that recreates ``value`` under ``name`` in a built module ('' where
    the module's own imports already bind it); BuildError if a module cannot hold it.

    ``directory``: the folder the built module is written to (None: the current one), where
    a primitive's module loaded from a file path is looked for (see ``import_name``)."""
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
        source = import_name(value, directory)
        if source is not None:
            # a primitive of the user's (with a rule of their own): imported from its module
            return f"from {source} import {qualname}" + (f" as {name}" if name != qualname else "")
        if module and module != "__main__" and not _findable(module.partition(".")[0]) \
                and getattr(sys.modules.get(module), "__file__", None) \
                and getattr(sys.modules[module], qualname, None) is value:
            path = sys.modules[module].__file__
            raise BuildError(
                f"{name!r} is a function of {path}, loaded from that path: the built module "
                f"would import it as 'from {Path(path).stem} import {qualname}', which finds "
                f"that file neither in the built module's folder nor on sys.path. Write the "
                f"module into {Path(path).parent}, or put that folder on sys.path (PYTHONPATH) "
                f"when you build and when you import the built module")
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


def import_name(value, directory=None):
    """The name of the module a built module imports the function ``value`` from, or None.

    A module imported by name (``package.module``) is imported by that name. A module
    loaded from a file path (``adcompile build FILE.py:FUNC``, ``spec_from_file_location``)
    has a name nothing finds (``_user_module_...``): it is imported by its file's name
    (``prims`` for prims.py, ``pkg.prims`` inside a package) where that name finds that
    file, from ``directory`` (the built module's folder) or from sys.path; None where no
    name does, so that no built module imports a module that cannot be found."""
    module = getattr(value, "__module__", None) or ""
    qualname = getattr(value, "__name__", "")
    if not module or module == "__main__" or "<" in qualname:
        return None
    if _findable(module.partition(".")[0]) and _importable(module, qualname, value):
        return module
    path = getattr(sys.modules.get(module), "__file__", None)
    if not path or getattr(sys.modules[module], qualname, None) is not value:
        return None
    return _name_of_file(Path(path), directory)


def _findable(top):
    """Whether an import of the top-level module ``top`` finds it (not from sys.modules, where
    a module loaded from a path may sit under a name no finder knows)."""
    if top in sys.builtin_module_names:
        return True
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        try:
            if find is not None and find(top, None) is not None:
                return True
        except Exception:  # noqa: BLE001 - a finder that fails does not find it
            continue
    return False


def _name_of_file(path, directory):
    """The dotted name that imports the Python file ``path`` from ``directory`` or sys.path
    (the package folders above it, which have an __init__.py, included), or None."""
    path = path.resolve()
    parts = [] if path.name == "__init__.py" else [path.stem]
    folder = path.parent
    if not parts:
        parts, folder = [folder.name], folder.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    if not all(p.isidentifier() and not keyword.iskeyword(p) for p in parts):
        return None
    top = parts[0]
    if top in sys.builtin_module_names or top in getattr(sys, "stdlib_module_names", ()):
        return None   # a file named like a standard module: the import finds that one
    roots = [str(Path(directory or ".").resolve())] + [p or os.getcwd() for p in sys.path
                                                       if isinstance(p, str)]
    spec = importlib.machinery.PathFinder.find_spec(top, roots)
    origin = getattr(spec, "origin", None)
    expected = folder / top / "__init__.py" if len(parts) > 1 or path.name == "__init__.py" \
        else folder / f"{top}.py"
    if origin is None or Path(origin).resolve() != expected:
        return None
    return ".".join(parts)


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
