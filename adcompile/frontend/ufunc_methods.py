"""Methods of NumPy's ufuncs written as the functions they equal: ``np.add.reduce(x)`` as
``np.sum(x, axis=0)``, ``np.multiply.accumulate(x)`` as ``np.cumprod(x, axis=0)``,
``np.subtract.outer(a, b)`` as ``np.subtract(np.reshape(a, np.shape(a) + (1,) *
np.ndim(b)), b)``, so that those functions' rules differentiate them (a pass of
``desugar.desugar`` on the user's AST). A method's default axis is 0, not None as
np.sum's: it is written out. ``np.maximum.accumulate``, ``np.minimum.accumulate`` and
``np.logaddexp.reduce`` have rules of their own (rules/arrays.py); what is left (a
``dtype=``, an ``out=``)
stays as written, and is refused where it would be differentiated.
"""

import ast

import numpy as np

from ..ir import assigns, copy_tree, walk_tree
from .references import placed

#: (ufunc, method) -> the NumPy function it equals
_EQUALS = {
    (np.add, "reduce"): "sum", (np.multiply, "reduce"): "prod",
    (np.maximum, "reduce"): "max", (np.minimum, "reduce"): "min",
    (np.add, "accumulate"): "cumsum", (np.multiply, "accumulate"): "cumprod",
}
#: the parameters of ufunc.reduce and ufunc.accumulate that the functions also take (the
#: first two may be given by position; reduce's third is dtype, not keepdims)
_KEPT = {"reduce": ("array", "axis", "keepdims"), "accumulate": ("array", "axis")}


def write_ufunc_methods(fn, source):
    """Rewrite (in place) the calls of ufunc methods in ``fn``, a copy of ``source``'s def,
    that equal a NumPy function (see the module's docstring)."""
    local = set(source.params) | assigns([fn])
    for node in walk_tree(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("reduce", "accumulate", "outer"):
            _rewrite(node, source, local)


def _rewrite(call, source, local):
    """Change ``call`` (``np.add.reduce(...)`` and the like) into the call it equals."""
    spelled = call.func.value                          # np.add
    numpy = spelled.value if isinstance(spelled, ast.Attribute) else None   # np
    ufunc = source.callee(spelled, local)
    if ufunc.kind != "object" or not isinstance(ufunc.what, np.ufunc) or numpy is None \
            or not source.callee(numpy, local).is_(np) \
            or any(k.arg is None for k in call.keywords):
        return
    method = call.func.attr
    if method == "outer":
        _outer(call, spelled, numpy)
        return
    name = _EQUALS.get((ufunc.what, method))
    given = dict(zip(_KEPT[method], call.args))
    if name is None or len(call.args) > 2 \
            or any(k.arg not in _KEPT[method] or k.arg in given for k in call.keywords):
        return
    given.update((k.arg, k.value) for k in call.keywords)
    if "array" not in given:
        return
    call.func = placed(ast.Attribute(value=copy_tree(numpy), attr=name, ctx=ast.Load()), call.func)
    call.args = [given.pop("array")]
    given.setdefault("axis", placed(ast.Constant(0), call))
    call.keywords = [ast.keyword(arg=k, value=v) for k, v in given.items()]


def _outer(call, spelled, numpy):
    """``f.outer(a, b)`` as ``f(np.reshape(a, np.shape(a) + (1,) * np.ndim(b)), b)``."""
    if len(call.args) != 2 or call.keywords or not all(_simple(a) for a in call.args):
        return   # (a and b are read twice: as they are, and for their shapes)
    a, b = call.args

    def numpy_call(name, *args):
        func = placed(ast.Attribute(value=copy_tree(numpy), attr=name, ctx=ast.Load()), call)
        return placed(ast.Call(func=func, args=list(args), keywords=[]), call)

    ones = placed(ast.BinOp(left=placed(ast.Tuple(elts=[placed(ast.Constant(1), call)],
                                                  ctx=ast.Load()), call),
                            op=ast.Mult(), right=numpy_call("ndim", copy_tree(b))), call)
    shape = placed(ast.BinOp(left=numpy_call("shape", copy_tree(a)), op=ast.Add(), right=ones), call)
    call.func = spelled
    call.args = [numpy_call("reshape", a, shape), b]


def _simple(e):
    """Whether ``e`` only reads a value (a name, an attribute or item of one, a constant):
    written twice, it computes nothing twice."""
    if isinstance(e, ast.Subscript):
        return _simple(e.value) and _simple(e.slice)
    if isinstance(e, ast.Attribute):
        return _simple(e.value)
    if isinstance(e, ast.Tuple):
        return all(_simple(x) for x in e.elts)
    if isinstance(e, ast.Slice):
        return all(p is None or _simple(p) for p in (e.lower, e.upper, e.step))
    return isinstance(e, (ast.Name, ast.Constant))
