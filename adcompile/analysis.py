"""What the reverse sweep needs to know about a normalized function.

- activity: a name is *active* when it depends on a differentiated parameter
  (varied) and the returned value depends on it (useful); only active names
  get adjoints.
- ndim: the number of dimensions of a value when it is known (Python
  scalars, literals, and the argument dimensions a call specialises on);
  rule templates use it to pick the plain form of a rule (``z_bar @ y.T``)
  and to drop ``unbroadcast`` where nothing was broadcast.
"""

import ast

from . import ir


def activity(fn):
    """The set of active names of ``fn`` (an ``ir.NormalFunction``)."""
    varied = set(fn.wrt)
    for s in fn.body:
        if isinstance(s, ir.Op):
            diff = set(s.rule.differentiable_inputs)
            if any(isinstance(e, ast.Name) and e.id in varied
                   for v, e in zip(s.rule.inputs, s.inputs) if v in diff):
                varied.add(s.target)
    useful = {e.id for e in fn.outputs if isinstance(e, ast.Name)}
    for s in reversed(fn.body):
        if isinstance(s, ir.Op) and s.target in useful:
            useful.update(s.input_names)
    return varied & useful


def infer_ndims(fn, known):
    """Known ndim of each name, from the parameters' ``known`` ndims and the rules' shapes."""
    ndims = {p: n for p, n in known.items() if n is not None}

    def of(e):
        if isinstance(e, ast.Constant):
            return 0 if isinstance(e.value, (int, float)) and not isinstance(e.value, bool) else None
        if isinstance(e, ast.Name):
            return ndims.get(e.id)
        if isinstance(e, ast.UnaryOp) and isinstance(e.operand, ast.Constant):
            return of(e.operand)
        if isinstance(e, ast.Attribute) and e.attr in ("ndim", "size"):
            return 0
        if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Attribute) \
                and e.value.attr == "shape" and not isinstance(e.slice, (ast.Slice, ast.Tuple)):
            return 0
        return None

    for s in fn.body:
        if isinstance(s, ir.Keep):
            stmt = s.stmt
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                    and isinstance(stmt.targets[0], ast.Name) and of(stmt.value) is not None:
                ndims[stmt.targets[0].id] = of(stmt.value)
            continue
        dims = [of(e) for e in s.inputs]
        n = _result_ndim(s.rule.shape, dims, s.statics)
        if n is not None:
            ndims[s.target] = n
    return ndims, of


def _result_ndim(shape, dims, statics):
    if shape == "scalar":
        return 0
    if shape == "same":
        return dims[0]
    if shape == "elementwise":
        return max(dims) if dims and None not in dims else None
    if shape in ("matmul", "dot"):
        a, b = dims[0], dims[1]
        if a is None or b is None:
            return None
        if shape == "dot" and (a == 0 or b == 0):
            return max(a, b)
        if a == 1 and b == 1:
            return 0
        if 1 <= a <= 2 and 1 <= b <= 2:
            return 1 if 1 in (a, b) else 2
        return None
    if shape == "reduce":
        axis = statics.get("axis")
        keepdims = statics.get("keepdims")
        if not isinstance(keepdims, ast.Constant):
            return None
        if keepdims.value:
            return dims[0]
        if isinstance(axis, ast.Constant) and axis.value is None:
            return 0
        if dims[0] is None:
            return None
        if isinstance(axis, ast.Constant) and isinstance(axis.value, int):
            return dims[0] - 1
        if isinstance(axis, ast.Tuple):
            return dims[0] - len(axis.elts)
        return None
    return None
