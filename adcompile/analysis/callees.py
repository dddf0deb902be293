"""What a call's function expression names in a normalized function (``np.zeros``, an
inlined helper's import), where that is known before the code runs."""

import ast

from .. import ir
from ..runtime import HELPERS


def callee_of(fn):
    """``callee(func_expr)``: the object a call's function expression names in ``fn`` when it
    is a global or a module's attribute (``np.zeros``, an inlined helper's import), else
    None (a local variable, a method of a value)."""
    found = getattr(fn, "_callee", None)
    if found is not None:
        return found
    local = set(fn.params) | {n for s in ir.walk(fn.body) for n in ir.defined_names(s)}

    def callee(func):
        chain = []
        while isinstance(func, ast.Attribute):
            chain.append(func.attr)
            func = func.value
        if not isinstance(func, ast.Name) or func.id in local:
            return None
        extra = getattr(fn, "extra_globals", {})
        obj = extra[func.id] if func.id in extra else fn.source.resolve(func.id, None)
        if obj is None and not chain:   # (a check a pass put in: require_immutable(t, ...))
            obj = HELPERS.get(func.id)
        for attr in reversed(chain):
            obj = getattr(obj, attr, None)
        return obj

    fn._callee = callee
    return callee
