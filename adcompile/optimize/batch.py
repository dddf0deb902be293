"""What an expression of one step of a loop is for all steps at once.

``batch`` rewrites an expression of one step into one of arrays that hold every step,
steps first (``W @ xs[t] + b`` as ``xs[range(n)] @ W.T + b``), or finds it the same in
every step. Only expressions of known dimensions are batched: ``+ - * / **``, unary minus,
NumPy ufuncs and ``@`` of a matrix and a vector, where every per-step operand has the same
number of dimensions and no other operand has more.
"""

import ast
import copy

import numpy as np

from .. import ir
from ..ir.parsing import parse

_ELEMENTWISE = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)


class Env:
    """What a loop's expressions may be batched over."""

    def __init__(self, index, steps_expr, changed, ndims, np_name, steps_call=None,
                 step_rows=None):
        self.index = index              # the loop's step index (a name) or None
        self.steps_expr = steps_expr    # range(...) or a name for it: the steps
        self.steps_call = steps_call if steps_call is not None else steps_expr  # range(...)
        self.changed = changed          # names the loop assigns or may change in place
        self.ndims = ndims              # name -> ndim (None: unknown)
        self.np_name = np_name
        self.step_rows = step_rows      # the name of runtime.step_rows, or None
        self.per_step = {}              # name -> (ndim per step, name of its steps array)


def _ufunc(call, env):
    """Whether ``call`` is an elementwise NumPy ufunc of one result, called positionally."""
    f = call.func
    if not (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
            and f.value.id == env.np_name and not call.keywords):
        return False
    u = getattr(np, f.attr, None)   # (not np.matmul and the like: signature "(n,k),(k,m)...")
    return isinstance(u, np.ufunc) and u.signature is None and u.nout == 1 \
        and u.nin == len(call.args)


def batch(e, env):
    """``(kind, ndim, batched)`` for an expression of one step: kind "step" (``batched``
    holds every step, steps first; ndim is per step) or "fixed" (the same every step);
    None if it cannot be batched."""
    if isinstance(e, ast.Constant) and type(e.value) in (int, float):
        return "fixed", 0, e
    if isinstance(e, ast.Name):
        if e.id in env.per_step:
            d, name = env.per_step[e.id]
            return "step", d, ir.load(name)
        n = env.ndims.get(e.id)
        if e.id in env.changed or n is None:
            return None
        return "fixed", n, e
    if isinstance(e, ast.Subscript) and env.index and isinstance(e.slice, ast.Name) \
            and e.slice.id == env.index and isinstance(e.value, ast.Name):
        n = env.ndims.get(e.value.id)
        if e.value.id in env.changed or e.value.id in env.per_step or not n:
            return None
        return "step", n - 1, rows(e.value.id, env.steps_expr, env.steps_call, env.step_rows)
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, (ast.USub, ast.UAdd)):
        r = batch(e.operand, env)
        return r and (r[0], r[1], ast.UnaryOp(op=e.op, operand=r[2]))
    if isinstance(e, ast.BinOp) and isinstance(e.op, _ELEMENTWISE):
        return _elementwise([e.left, e.right], env,
                            lambda a: ast.BinOp(left=a[0], op=e.op, right=a[1]),
                            may_raise=isinstance(e.op, (ast.Div, ast.Pow)))
    if isinstance(e, ast.Call) and _ufunc(e, env):
        return _elementwise(e.args, env, lambda a: ast.Call(func=e.func, args=a, keywords=[]))
    if isinstance(e, ast.BinOp) and isinstance(e.op, ast.MatMult):
        return _matmul(e, env)
    return None


def rows(name, steps, call, helper=None):
    """``x[t]`` for every ``t`` of ``steps`` (``range(...)``, or a name for ``call``, the
    range): ``x`` itself for ``range(x.shape[0])`` and ``range(len(x))``, else
    ``step_rows(x, steps)`` (``helper``: its name; a view of the rows where they exist,
    see runtime.step_rows) or, without it, ``x[steps]``."""
    if len(call.args) == 1 and not call.keywords:
        n = call.args[0]
        whole = ast.dump(parse(f"{name}.shape[0]", mode="eval").body)
        if ast.dump(n) == whole or isinstance(n, ast.Call) and isinstance(n.func, ast.Name) \
                and n.func.id == "len" and len(n.args) == 1 \
                and isinstance(n.args[0], ast.Name) and n.args[0].id == name:
            return ir.load(name)
    if helper is not None:
        return ir.call(helper, ir.load(name), copy.deepcopy(steps))
    return ast.Subscript(value=ir.load(name), slice=copy.deepcopy(steps), ctx=ast.Load())


def _elementwise(operands, env, build, may_raise=False):
    """``batch`` of ``build(operands)``, an elementwise operation (``may_raise``: one that
    may raise on numbers, not batched when nothing in it is per step)."""
    parts = [batch(o, env) for o in operands]
    if None in parts:
        return None
    per_step = {p[1] for p in parts if p[0] == "step"}
    if not per_step:
        if may_raise:   # 1 / y on numbers raises for y = 0, before a loop that has no steps
            return None
        return "fixed", max(p[1] for p in parts), build([p[2] for p in parts])
    if len(per_step) > 1:
        return None   # (a steps axis in front would not line up with the other operands')
    d = per_step.pop()
    if any(p[1] > d for p in parts):
        return None
    return "step", d, build([p[2] for p in parts])


def _matmul(e, env):
    """``batch`` of ``a @ b``: a matrix and a vector (or matrix) of one step."""
    a, b = batch(e.left, env), batch(e.right, env)
    if a is None or b is None:
        return None
    if a[0] == b[0] == "fixed":
        if a[1] == 0 or b[1] == 0:
            return None
        return "fixed", a[1] + b[1] - 2 if max(a[1], b[1]) <= 2 else max(a[1], b[1]), e
    if a[0] == b[0] == "step":
        return None
    if b[0] == "step" and a[1] == 2 and b[1] == 1:     # M @ v[t]: rows V @ M.T
        transposed = ast.Attribute(value=a[2], attr="T", ctx=ast.Load())
        return "step", 1, ast.BinOp(left=b[2], op=ast.MatMult(), right=transposed)
    if b[0] == "step" and a[1] == 2 and b[1] == 2:     # M @ X[t]
        return "step", 2, ast.BinOp(left=a[2], op=ast.MatMult(), right=b[2])
    if a[0] == "step" and a[1] in (1, 2) and b[1] == 2:  # v[t] @ M
        return "step", a[1], ast.BinOp(left=a[2], op=ast.MatMult(), right=b[2])
    return None


def is_operation(e):
    """Whether ``e`` computes something: an operator or a call (not a name, constant or
    subscript)."""
    return isinstance(e, (ast.BinOp, ast.UnaryOp, ast.Call))


def extract(e, env, found, namer):
    """``e`` with each largest per-step subexpression that is an operation replaced by a
    new name; appends ``(name, batched expression, ndim)`` to ``found``."""
    if is_operation(e):
        r = batch(e, env)
        if r is not None and r[0] == "step":
            name = namer.temp()
            found.append((name, r[2], r[1]))
            return ir.load(name)
    for field, value in ast.iter_fields(e):
        if isinstance(value, ast.expr):
            setattr(e, field, extract(value, env, found, namer))
        elif isinstance(value, list):
            setattr(e, field, [extract(v, env, found, namer) if isinstance(v, ast.expr) else v
                               for v in value])
    return e


def _terms(e):
    """The terms of a sum ``a + b + c``."""
    if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Add):
        return _terms(e.left) + _terms(e.right)
    return [e]


def regroup(e, env):
    """``W @ h + U @ xs[t] + b`` as ``W @ h + (U @ xs[t] + b)``: the terms that can be
    computed for all steps at once added first, so that their sum is computed so too.
    (Floating-point addition is not associative: the sum may differ in its last bits.)"""
    if not isinstance(e, ast.expr):
        return e
    for field, value in ast.iter_fields(e):
        if isinstance(value, ast.expr):
            setattr(e, field, regroup(value, env))
        elif isinstance(value, list):
            setattr(e, field, [regroup(v, env) for v in value])
    terms = _terms(e)
    kinds = [batch(t, env) for t in terms]
    batched = [t for t, k in zip(terms, kinds) if k is not None]
    if len(batched) < 2 or len(batched) == len(terms) \
            or not any(k is not None and k[0] == "step" for k in kinds):
        return e
    rest = [t for t, k in zip(terms, kinds) if k is None]

    def add(parts):
        out = parts[0]
        for p in parts[1:]:
            out = ast.BinOp(left=out, op=ast.Add(), right=p)
        return out

    group = add(batched)
    together = batch(group, env)
    return add(rest + [group]) if together is not None and together[0] == "step" else e
