"""The names generated code calls its helpers by.

``RUNTIME`` maps each name generated code may use for a helper (``np``, ``math``,
``slice`` and the functions of ``adcompile.runtime``) to the object it stands for;
``runtime_aliases`` picks, for one user function, the name each has in its generated
code (another one where the function's own names would shadow it).
"""

import math

import numpy as np

from .. import runtime
from ..ir import assigns

#: names generated code may use for helpers, and the objects they stand for
RUNTIME = {"np": np, "math": math, "slice": slice, **runtime.HELPERS}


def runtime_aliases(source, namer, bound=None, variables=()):
    """Choose the name each runtime helper has in code generated for ``source`` (``bound``:
    names the normalized code already binds to objects, as it binds ``added_at``;
    ``variables``: the names it assigns, and its parameters)."""
    aliases, bound = {}, bound or {}
    for name, obj in RUNTIME.items():
        shadowed = name in namer.taken and bound.get(name) is not obj and (
            name in _locals(source) or source.resolve(name, None) is not obj)
        if _adjoint_of_own(name, namer, variables):
            aliases[name] = namer.fresh(f"{name[:-len('_bar')]}_rule_bar")
        else:
            aliases[name] = namer.fresh(name) if shadowed else namer.take(name)
    return aliases


def _adjoint_of_own(helper, namer, variables):
    """Whether ``helper`` (``r_bar``, the adjoint of ``np.r_``) is named as the adjoint of a
    variable of the code (a residual ``r``; not a function it calls, ``sorted``): the
    variable's adjoint keeps the name, and the helper gets another (``r_rule_bar``)."""
    return helper.endswith("_bar") and helper[:-len("_bar")] in variables \
        and helper not in namer.taken


def _locals(source):
    """The parameters of ``source`` and the names its body assigns."""
    return set(source.params) | assigns([source.node])
