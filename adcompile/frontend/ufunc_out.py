"""A ufunc writing into an array given as ``out=``, as the array update it is: a pass of
``desugar.desugar`` on the user's AST.

``np.multiply(x, 2.0, out=y)`` changes ``y`` in place: it is ``y[...] = np.multiply(x,
2.0)``, which adcompile differentiates as any array update (README: *Array updates*).
Its value is ``y`` itself: ``z = np.exp(x, out=buf)`` is ``buf[...] = np.exp(x)``, then
``z = buf`` (the same array), and so for ``return``; into slices of an array (a view),
``np.sin(x, out=y[1:])`` is ``y[1:] = np.sin(x)``; into an object read by constant keys,
``np.tanh(x, out=d["w"])`` is ``d["w"][...] = np.tanh(x)`` (``m[0]``, ``box.a`` alike).
With ``where=mask``, the entries the mask leaves out keep what ``y`` held:
``y[...] = np.where(mask, np.divide(a, b), y)``;
the division is given ``np.where(mask, b, 1.0)`` for ``b`` (each input a value in its
function's domain where the mask is False), so that its adjoint there, multiplied by
zero, is zero, not NaN (``0 * inf``). The operands are read once, in Python's order,
into variables of their own. Only ufuncs whose value at those fill values is finite
(``WHERE_FILL``) take ``where=``; a ufunc call written so in any other place (inside
an expression), or with other keywords, is left as written (and refused where it
would be differentiated).
"""

import ast
import types

import numpy as np

from ..ir import assigns, copy_tree
from ..ir.naming import fresh_name, names_in
from .references import placed
from .syntax import is_keyed_place

#: ufunc -> the value each input takes where ``where=`` is False: one at which the
#: function and its derivatives are finite
WHERE_FILL = {
    np.divide: 1.0, np.log: 1.0, np.log2: 1.0, np.log10: 1.0, np.sqrt: 1.0,
    np.reciprocal: 1.0, np.power: 1.0, np.float_power: 1.0,
    np.arcsin: 0.0, np.arccos: 0.0, np.arctanh: 0.0, np.log1p: 0.0,
    np.add: 0.0, np.subtract: 0.0, np.multiply: 0.0, np.negative: 0.0, np.square: 0.0,
    np.exp: 0.0, np.expm1: 0.0, np.sin: 0.0, np.cos: 0.0, np.tan: 0.0, np.tanh: 0.0,
    np.sinh: 0.0, np.cosh: 0.0, np.maximum: 0.0, np.minimum: 0.0,
}


def write_ufunc_outputs(fn, source):
    """Rewrite (in place) the statements of ``fn``, a copy of ``source``'s def, that call
    a ufunc with ``out=`` (see the module's docstring)."""
    local = set(source.params) | assigns([fn])
    writer = _Writer(fn, lambda e: source.callee(e, local))
    writer.block(fn.body)


class _Writer:
    def __init__(self, fn, callee):
        self.callee = callee
        self.taken = names_in(fn)

    def fresh(self, base):
        return fresh_name(base, self.taken)

    def block(self, statements):
        i = 0
        while i < len(statements):
            stmt = statements[i]
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt) \
                        and not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                  ast.ClassDef)):
                    self.block(inner)
            made = self.statement(stmt)
            statements[i:i + 1] = made
            i += len(made)

    def statement(self, stmt):
        """The statements ``stmt`` stands for: itself, unless it is a ufunc call with
        ``out=`` (a statement of its own, the value of ``name =`` or of ``return``)."""
        value = stmt.value if isinstance(stmt, (ast.Expr, ast.Return)) else \
            stmt.value if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
            and isinstance(stmt.targets[0], ast.Name) else None
        parts = self.parts(value) if isinstance(value, ast.Call) else None
        if parts is None:
            return [stmt]
        ufunc, numpy, args, out, where = parts
        made = []
        if where is not None:
            operands = [self.bound(e, "operand", made) for e in args]
            mask = self.bound(where, "mask", made)
            fill = placed(ast.Constant(WHERE_FILL[ufunc]), value)
            args = [self.np_call(numpy, "where", [mask, e, fill], value) for e in operands]
        call = placed(ast.Call(func=value.func, args=args, keywords=[]), value)
        if where is not None:
            call = self.np_call(numpy, "where", [mask, call, _read(out)], value)
        target = _written(out)
        made.append(placed(ast.Assign(targets=[target], value=call), stmt))
        if isinstance(stmt, ast.Assign):
            made.append(placed(ast.Assign(targets=stmt.targets, value=_read(out)), stmt))
        elif isinstance(stmt, ast.Return):
            made.append(placed(ast.Return(value=_read(out)), stmt))
        return made

    def parts(self, call):
        """(ufunc, numpy's name node or None, inputs, out, where expression or None) for a
        call of a one-output ufunc with ``out=`` given a name or slices of one (``y[1:]``,
        a view); else None."""
        ufunc = self.callee(call.func).what
        if not isinstance(ufunc, np.ufunc) or ufunc.nout != 1 \
                or any(isinstance(a, ast.Starred) for a in call.args) \
                or any(k.arg not in ("out", "where") for k in call.keywords):
            return None
        given = {k.arg: k.value for k in call.keywords}
        args = list(call.args)
        if len(args) == ufunc.nin + 1 and "out" not in given:
            given["out"] = args.pop()   # (out given by position)
        out = given.get("out")
        if isinstance(out, (ast.Tuple, ast.List)) and len(out.elts) == 1:
            out = out.elts[0]
        if len(args) != ufunc.nin or not _array_or_slices(out):
            return None
        numpy = call.func.value if isinstance(call.func, ast.Attribute) else None
        where = given.get("where")
        if where is not None and (ufunc not in WHERE_FILL or not isinstance(numpy, ast.Name)
                                  or not isinstance(self.callee(numpy).what, types.ModuleType)
                                  or self.callee(numpy).what is not np):
            return None
        return ufunc, numpy, args, out, where

    def bound(self, e, base, made):
        """A name bound to ``e`` by a statement added to ``made`` (a constant as it is)."""
        if isinstance(e, ast.Constant):
            return e
        name = self.fresh(base)
        made.append(placed(ast.Assign(targets=[placed(ast.Name(id=name, ctx=ast.Store()), e)],
                                      value=e), e))
        return _load(name, e)

    @staticmethod
    def np_call(numpy, name, args, at):
        func = placed(ast.Attribute(value=_load(numpy.id, at), attr=name, ctx=ast.Load()), at)
        return placed(ast.Call(func=func, args=args, keywords=[]), at)


def _load(name, at):
    return placed(ast.Name(id=name, ctx=ast.Load()), at)


def _array_or_slices(out):
    """Whether ``out`` is a name, or slices of one (``y[1:]``, ``y[:, :2]``, ``y[...]``):
    a view of the array, which ``out[...] = v`` writes into as the ufunc does, or an
    object read by constant keys (``d["w"]``, ``box.a``, ``m[0]``: ``is_keyed_place``),
    which ``out[...] = v`` writes into too. (An index that is not constant may be an
    array, which gives a copy.)"""
    if isinstance(out, ast.Name) or is_keyed_place(out):
        return True
    index = out.slice.elts if isinstance(out, ast.Subscript) \
        and isinstance(out.slice, ast.Tuple) else [getattr(out, "slice", None)]
    return isinstance(out, ast.Subscript) and isinstance(out.value, ast.Name) and all(
        isinstance(i, ast.Slice) and all(_plain(b) for b in (i.lower, i.upper, i.step))
        or isinstance(i, ast.Constant) and i.value is Ellipsis for i in index)


def _plain(bound):
    """Whether a slice's bound computes nothing that could change (it is read twice: to
    write, and with where=, to keep what is there)."""
    return all(isinstance(n, (ast.Name, ast.Constant, ast.UnaryOp, ast.BinOp, ast.operator,
                              ast.unaryop, ast.expr_context))
               for n in ast.walk(bound)) if bound is not None else True


def _read(out):
    """A copy of ``out`` that reads it."""
    copy = copy_tree(out)
    for node in ast.walk(copy):
        if hasattr(node, "ctx"):
            node.ctx = ast.Load()
    return copy


def _written(out):
    """The target of the update that writes into ``out``: ``y[...]`` (``d["w"][...]``), or
    ``y[1:]``."""
    if isinstance(out, ast.Name) or is_keyed_place(out):
        return placed(ast.Subscript(value=_read(out), slice=placed(ast.Constant(...), out),
                                    ctx=ast.Store()), out)
    target = _read(out)
    target.ctx = ast.Store()
    return target
