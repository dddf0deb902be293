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
    products, assigned, transposes = [], {}, set()
    for node in ir.walk_tree(stmts):   # (one walk; most code has few products or none)
        kind = node.__class__
        if kind is ast.BinOp or kind is ast.Call:
            products.append(node)
        elif kind is ast.Name and node.ctx.__class__ is not ast.Load:
            assigned[node.id] = assigned.get(node.id, 0) + 1
        elif kind is ast.Assign and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.Attribute) and _ndim(node.value, ndims) == 2:
            transposes.add(node.targets[0].id)
    known = dict(ndims)
    known.update((name, 2) for name in transposes if assigned.get(name) == 1)
    made = {}
    for node in products:
        dot = _as_dot(node, known, numpy_name)
        if dot is not None:
            made[node] = dot
    if made:
        _replace(stmts, made)
    return stmts


def _replace(stmts, made):
    """Put ``made[node]`` in the place of each such node of ``stmts``."""
    for node in ir.walk_tree(stmts):
        for field in node._fields:
            value = getattr(node, field, None)
            if value.__class__ is list:
                for k, item in enumerate(value):
                    if isinstance(item, ast.AST) and item in made:
                        value[k] = made[item]
            elif isinstance(value, ast.AST) and value in made:
                setattr(node, field, made[value])


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
