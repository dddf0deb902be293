"""The few helpers generated code calls, one module per concern.

Generated functions look these up by name (``runtime.unbroadcast``); ``adcompile build``
copies the source of the ones a module uses into it, so a built module needs only NumPy.
Keep every helper self-contained: it may use ``np``, builtins and other helpers (by their
plain names, imported with ``from .module import name``), and nothing else, so that its
source, copied next to the helpers it calls, runs as it does here.

``HELPERS`` maps each helper's name to the function. Each helper's ``__module__`` is this
package, its public home (as NumPy does for its own functions): ``adcompile.runtime.X``
whichever module defines it.
"""

import inspect

import numpy as np  # noqa: F401 - generated code and tests read runtime.np too

from . import (
    arrays,
    broadcast,
    correlations,
    einsum,
    gathers,
    interpolation,
    joins,
    linalg,
    norms,
    powers,
    prods,
    products,
    selections,
    special,
    steps,
    values,
)

_MODULES = (broadcast, values, powers, products, einsum, arrays, joins, steps, prods, linalg,
            norms, special, gathers, selections, interpolation, correlations)


def _collect(modules):
    """name -> function for every function the ``modules`` define (private ones too: they are
    called by the public ones and copied with them into built modules)."""
    found = {}
    for module in modules:
        for name, obj in vars(module).items():
            if inspect.isfunction(obj) and obj.__code__.co_filename == module.__file__:
                if name in found:
                    raise ImportError(f"two runtime helpers are named {name!r}")
                found[name] = obj
    return found


HELPERS = _collect(_MODULES)
for _name, _helper in HELPERS.items():
    _helper.__module__ = __name__
    globals()[_name] = _helper   # runtime.unbroadcast, runtime._sum_axes, ...
del _name, _helper, _collect
