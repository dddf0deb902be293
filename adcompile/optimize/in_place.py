"""Elementwise products and sums of the backward sweep written into the memory of an
adjoint array that nothing reads afterwards.

In ``t_bar = h_bar * (1 - h * h)``, where ``h_bar = g @ W.T`` was made by the backward
sweep and this is its only use, ``h_bar``'s memory can take the product: no new array to
allocate (and, for big arrays, to fault in page by page), as a hand derivation writes
``h_bar *= 1 - h * h``. Whether the result fits (an ndarray of the result's shape and
precision) is known only when the code runs: ``in_place(np.multiply, h_bar, e)`` checks it
and otherwise computes ``h_bar * e``, so the value is the same either way.
"""

import ast

import numpy as np

from .. import ir

_UFUNCS = {ast.Mult: "multiply", ast.Add: "add", ast.Sub: "subtract", ast.Div: "divide"}
_COMMUTES = (ast.Mult, ast.Add)   # (exactly, in floating point too)
_MAKES_NEW = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.MatMult, ast.Pow)


def update_in_place(stmts, is_array, kept, np_name, in_place, fresh_helpers):
    """Rewrite (in place) the top-level statements ``v = a op e`` of ``stmts`` (the backward
    sweep; ``op`` one of ``* + - /``) where ``a`` is an array the backward sweep made itself
    (by arithmetic, a NumPy ufunc, ``in_place`` or one of ``fresh_helpers``, which return
    new arrays), assigned once and read only there, to ``v = in_place(np.op, a, e)``.

    ``is_array(name)``: whether ``name`` is known to have at least one dimension (numbers
    would only pay for the check); ``kept``: names read after the code (gradients, value).
    """
    loads, stores = {}, {}
    for n in ir.walk_tree(stmts):
        if isinstance(n, ast.Name):
            counts = loads if isinstance(n.ctx, ast.Load) else stores
            counts[n.id] = counts.get(n.id, 0) + 1
    fresh = set(fresh_helpers) | {in_place}
    owned = set()
    for s in stmts:
        if not (isinstance(s, ast.Assign) and len(s.targets) == 1
                and isinstance(s.targets[0], ast.Name)):
            continue
        v, value = s.targets[0].id, s.value
        if stores.get(v) != 1:
            continue
        if isinstance(value, ast.BinOp) and type(value.op) in _UFUNCS and is_array(v):
            sides = [value.left, value.right] if isinstance(value.op, _COMMUTES) \
                else [value.left]
            a = next((e for e in sides if isinstance(e, ast.Name) and e.id in owned
                      and loads.get(e.id) == 1 and e.id not in kept), None)
            if a is not None:
                e = value.right if a is value.left else value.left
                ufunc = ast.Attribute(value=ir.load(np_name), attr=_UFUNCS[type(value.op)],
                                      ctx=ast.Load())
                s.value = ast.Call(func=ir.load(in_place), args=[ufunc, a, e], keywords=[])
                ast.fix_missing_locations(s)
        if _makes_new(s.value, np_name, fresh):
            owned.add(v)
    return stmts


def _makes_new(value, np_name, fresh):
    """Whether ``value`` always gives a new array (or a number): arithmetic, a NumPy ufunc
    (``np.exp(x)``), or a call of one of the ``fresh`` helpers."""
    if isinstance(value, ast.BinOp):
        return isinstance(value.op, _MAKES_NEW)
    if isinstance(value, ast.UnaryOp):
        return isinstance(value.op, ast.USub)
    if not (isinstance(value, ast.Call) and not value.keywords):
        return False
    func = value.func
    if isinstance(func, ast.Name):
        return func.id in fresh
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
        and func.value.id == np_name and isinstance(getattr(np, func.attr, None), np.ufunc) \
        and getattr(np, func.attr).nout == 1
