"""What the reverse pass needs to know about an adjoint term or a gradient expression:
whether it is a scatter into an index (``getitem_bar``), a new array or possibly a view
of another one."""

import ast


def scatter(term, aliases, ndim_of):
    """(index, value) when ``term`` is ``getitem_bar(value, x, index)`` with a plain index
    (ints and slices), which can be added in place: ``x_bar[index] += value``."""
    if not (isinstance(term, ast.Call) and isinstance(term.func, ast.Name)
            and term.func.id == aliases["getitem_bar"] and len(term.args) == 3):
        return None
    value, _, index = term.args
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    for p in parts:
        if isinstance(p, ast.Call) and isinstance(p.func, ast.Name) and p.func.id == aliases["slice"]:
            continue
        if isinstance(p, ast.Constant) and type(p.value) is int:
            continue
        if isinstance(p, ast.Name) and ndim_of(p) == 0:
            continue
        return None
    return slice_syntax(index, aliases), value


def slice_syntax(index, aliases):
    """``slice(a, b)`` calls back into subscript syntax ``a:b``."""
    def one(p):
        if isinstance(p, ast.Call) and isinstance(p.func, ast.Name) and p.func.id == aliases["slice"]:
            args = list(p.args) + [None] * (3 - len(p.args))
            if len(p.args) == 1:
                args = [None, p.args[0], None]
            lower, upper, step = [None if isinstance(a, ast.Constant) and a.value is None else a
                                  for a in args]
            return ast.Slice(lower=lower, upper=upper, step=step)
        return p
    if isinstance(index, ast.Tuple):
        return ast.Tuple(elts=[one(p) for p in index.elts], ctx=ast.Load())
    return one(index)


def fresh_value(value, aliases):
    """Whether an expression evaluates to a new array nothing else refers to."""
    if is_unbroadcast(value, aliases):  # returns its argument, or a new sum of it
        return fresh_value(value.args[0], aliases)
    return not may_alias(value, aliases)


def is_unbroadcast(value, aliases):
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
        and value.func.id == aliases["unbroadcast"]


def adjoint_root(value, aliases):
    """The adjoint variable a gradient expression may hand back unchanged: ``g`` for ``g``
    and for ``unbroadcast(g, x)`` (which returns g itself when nothing was broadcast)."""
    if isinstance(value, ast.Name):
        return value.id
    if is_unbroadcast(value, aliases) and isinstance(value.args[0], ast.Name):
        return value.args[0].id
    return None


_VIEWS = {"unbroadcast", "unreduce", "transpose_bar"}
_NUMPY_VIEWS = {"broadcast_to", "transpose", "expand_dims", "reshape", "swapaxes", "ravel",
                "moveaxis", "flip", "squeeze", "diag", "diagonal", "sliding_window_view"}


def may_alias(value, aliases):
    """Whether a gradient expression may evaluate to a view or to another variable's array,
    which must not be handed to the caller (they could write into it)."""
    if isinstance(value, (ast.Name, ast.Subscript)):
        return True
    if isinstance(value, ast.Attribute):
        return value.attr == "T"
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Name):
            return func.id in {aliases[h] for h in _VIEWS}
        if isinstance(func, ast.Attribute):
            return func.attr in _NUMPY_VIEWS
    return False
