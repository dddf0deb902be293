"""Products of vectors and matrices written ``a.dot(b)`` where the code knows both are
arrays of one or two dimensions.

For such arrays ``a @ b``, ``np.matmul(a, b)`` and ``np.dot(a, b)`` compute what
``a.dot(b)`` computes, with the same BLAS call (the same values, to the bit); the method
skips the dispatch of a generalised ufunc (``@``, ``np.matmul``) or of
``__array_function__`` (``np.dot``), which for the small operands of a loop's step costs
as much as the product: ``W @ h`` takes 0.7 us and ``W.dot(h)`` 0.35 us for a 64 x 64
``W``, 100 times per call of an RNN's gradient of 50 steps. Operands of other or unknown
dimensions keep their spelling (``@`` on stacks of matrices is not ``dot``).
"""

import ast

from .. import ir


def dot_products(stmts, ndims, numpy_name):
    """Rewrite, in place, each product in ``stmts`` whose operands are a name of an array
    of one or two dimensions (``ndims``: name -> known ndim) or its transpose ``W.T``, as
    ``a.dot(b)``; a name assigned once to ``W.T`` (a hoisted transpose) counts as one of
    two dimensions. ``numpy_name``: what the code calls NumPy. Returns ``stmts``."""
    known = dict(ndims)
    known.update(_transposes(stmts, ndims))
    for node in ir.walk_tree(stmts):
        for field, value in ast.iter_fields(node):
            if isinstance(value, list):
                for k, item in enumerate(value):
                    dot = _as_dot(item, known, numpy_name)
                    if dot is not None:
                        value[k] = dot
            else:
                dot = _as_dot(value, known, numpy_name)
                if dot is not None:
                    setattr(node, field, dot)
    return stmts


def _as_dot(node, known, numpy_name):
    """``a.dot(b)`` for the product ``node`` (``a @ b``, ``np.matmul(a, b)``,
    ``np.dot(a, b)``) of arrays of one or two known dimensions, or None."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        left, right = node.left, node.right
    elif isinstance(node, ast.Call) and len(node.args) == 2 and not node.keywords \
            and isinstance(node.func, ast.Attribute) and node.func.attr in ("matmul", "dot") \
            and isinstance(node.func.value, ast.Name) and node.func.value.id == numpy_name:
        left, right = node.args
    else:
        return None
    if _ndim(left, known) not in (1, 2) or _ndim(right, known) not in (1, 2):
        return None
    return ast.Call(func=ast.Attribute(value=left, attr="dot", ctx=ast.Load()),
                    args=[right], keywords=[])


def _ndim(operand, known):
    """The known ndim of ``operand``, a name or the transpose of one; else None."""
    if isinstance(operand, ast.Name):
        return known.get(operand.id)
    if isinstance(operand, ast.Attribute) and operand.attr == "T" \
            and isinstance(operand.value, ast.Name) and known.get(operand.value.id) == 2:
        return 2
    return None


def _transposes(stmts, ndims):
    """Name -> 2 for each name ``stmts`` assign once, to ``W.T`` of a matrix ``W``."""
    assigned, found = {}, {}
    for node in ir.walk_tree(stmts):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            assigned[node.id] = assigned.get(node.id, 0) + 1
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name) \
                and _ndim(node.value, ndims) == 2 and isinstance(node.value, ast.Attribute):
            found[node.targets[0].id] = 2
    return {name: d for name, d in found.items() if assigned.get(name) == 1}
