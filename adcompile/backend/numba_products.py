"""numba versions of matrix products and their adjoints (backend="numba", jit.py).

numba compiles ``a @ b`` for vectors and matrices only; the lowering (numba_lowering.py)
makes every ``a @ b`` of the generated code a call of ``matmul`` here, which is numba's
own product for operands of up to two dimensions and, for stacks of matrices (three
dimensions, or a stack and a matrix), a loop over the stack of two-dimensional products
with NumPy's broadcasting of the stack's axis (a stack of one, or a matrix, goes with every
matrix of the other). ``matmul_bar_left`` and ``matmul_bar_right`` (runtime/products.py)
are the adjoints for the same operands, summed over the stack where the operand was
broadcast along it; ``to`` (the shape ``x`` was broadcast from, optimize/products.py) sums
the rows of the product's adjoint first where it has one row. The operands are arrays of
one floating precision, float32 or float64 (numba's product); anything else is refused
when numba types the call, and the gradient runs as plain Python. ``dot_bar_left`` and ``dot_bar_right``, np.dot's adjoints,
are those of ``@`` where np.dot is a matrix product. ``swapaxes`` is
``np.swapaxes``, which the lowering rewrites too: numba's own takes seconds to compile."""

import numpy as np


def product_helpers(kinds, overload, summed_to):
    """canonical name -> stub, their overloads registered (``summed_to``: numba_sums.py's)."""
    import numba

    pieces = _Stacks(numba, _stacked(overload))

    def matmul(a, b):
        raise NotImplementedError

    def matmul_bar_left(z_bar, x, y, to=None):
        raise NotImplementedError

    def matmul_bar_right(z_bar, x, y):
        raise NotImplementedError

    @overload(matmul)
    def _matmul(a, b):
        if not any(isinstance(t, kinds.types.Array) and t.ndim > 2 for t in (a, b)):
            return lambda a, b: a @ b   # (numba's own, or its refusal)
        if not _operands(kinds, a, b) or a.ndim == 1 or b.ndim == 1:
            return None
        product = pieces.product
        return lambda a, b: product(a, b)

    @overload(matmul_bar_left)
    def _matmul_bar_left(z_bar, x, y, to=None):
        if not _operands(kinds, x, y) or not _gradient(kinds, z_bar, x):
            return None
        if x.ndim <= 2 and y.ndim <= 2:
            return _left_of_matrices(kinds, numba, x, y, to, summed_to)
        if x.ndim == 1 or y.ndim == 1:
            return None
        left, left_rows = pieces.left, pieces.left_rows
        if kinds.absent(to):
            return lambda z_bar, x, y, to=None: left(z_bar, x, y, x.shape)
        if not isinstance(to, kinds.types.Array) or to.ndim > 3:
            return None
        return lambda z_bar, x, y, to=None: summed_to(left_rows(z_bar, x, y, to), to)

    @overload(matmul_bar_right)
    def _matmul_bar_right(z_bar, x, y):
        if not _operands(kinds, x, y) or not _gradient(kinds, z_bar, y):
            return None
        if x.ndim <= 2 and y.ndim <= 2:
            return _right_of_matrices(x, y)
        if x.ndim == 1 or y.ndim == 1:
            return None
        right = pieces.right
        return lambda z_bar, x, y: right(z_bar, x, y)

    made = {"matmul": matmul, "matmul_bar_left": matmul_bar_left,
            "matmul_bar_right": matmul_bar_right, "swapaxes": _swapaxes(kinds, overload)}
    made.update(_dot_helpers(kinds, overload, matmul_bar_left, matmul_bar_right))
    return made


def _dot_helpers(kinds, overload, matmul_bar_left, matmul_bar_right):
    """numba versions of ``dot_bar_left`` and ``dot_bar_right``, the adjoints of ``np.dot(x,
    y)``: for arrays of one or more dimensions and a ``y`` of at most two, the Python
    helpers are the adjoints of ``x @ y`` (above, which refuse the operands they do not
    take); a number or 0-d array (a product by a number) and a ``y`` of more dimensions (a
    tensordot) are refused."""

    def dot_bar_left(z_bar, x, y):
        raise NotImplementedError

    def dot_bar_right(z_bar, x, y):
        raise NotImplementedError

    def products(x, y):
        return all(kinds.array(t) and t.ndim >= 1 for t in (x, y)) and y.ndim <= 2

    @overload(dot_bar_left)
    def _dot_bar_left(z_bar, x, y):
        if not products(x, y):
            return None
        return lambda z_bar, x, y: matmul_bar_left(z_bar, x, y)

    @overload(dot_bar_right)
    def _dot_bar_right(z_bar, x, y):
        if not products(x, y):
            return None
        return lambda z_bar, x, y: matmul_bar_right(z_bar, x, y)

    return {"dot_bar_left": dot_bar_left, "dot_bar_right": dot_bar_right}


def _swapaxes(kinds, overload):
    """``np.swapaxes(a, i, j)`` as a view made by ``as_strided``, for an array of floats or
    integers: numba's own goes through a general transpose that takes ten seconds and
    more to compile."""
    def swapaxes(a, i, j):
        raise NotImplementedError

    @overload(swapaxes)
    def _swap(a, i, j):
        if not isinstance(a, kinds.types.Array) or a.ndim == 0 \
                or not isinstance(a.dtype, (kinds.types.Float, kinds.types.Integer)) \
                or not all(isinstance(t, kinds.types.Integer) for t in (i, j)):
            return None
        n = a.ndim
        picks = ", ".join(f"PART[j if i == {k} else (i if j == {k} else {k})]"
                          for k in range(n)) + ","
        text = f"""
def swap(a, i, j):
    if not (-{n} <= i < {n} and -{n} <= j < {n}):
        raise ValueError("swapaxes: an axis out of range")
    i, j = i % {n}, j % {n}
    return as_strided(a, ({picks.replace("PART", "a.shape")}),
                      ({picks.replace("PART", "a.strides")}))
"""
        space = {"as_strided": np.lib.stride_tricks.as_strided}
        exec(text, space)
        return space["swap"]

    return swapaxes


def _stacked(overload):
    """A function numba compiles: a stack of matrices itself, a matrix as a stack of one
    (a view)."""
    def stacked(a):
        raise NotImplementedError

    @overload(stacked)
    def _stack(a):
        return (lambda a: a) if a.ndim == 3 else (lambda a: a[None, :, :])

    return stacked


def _operands(kinds, a, b):
    """Whether ``a @ b`` is a product numba computes as NumPy does: arrays of one
    floating precision, of at most three dimensions."""
    return kinds.array(a, floating=True) and kinds.array(b, floating=True) \
        and a.dtype == b.dtype and a.dtype in (kinds.types.float32, kinds.types.float64) \
        and 1 <= a.ndim <= 3 and 1 <= b.ndim <= 3


def _gradient(kinds, z_bar, like):
    """Whether ``z_bar`` is the adjoint of a product of ``like``'s precision (an array of it,
    or a number for a product of vectors)."""
    if isinstance(z_bar, kinds.types.Array):
        return z_bar.dtype == like.dtype
    return kinds.number(z_bar)


def _left_of_matrices(kinds, numba, x, y, to, summed_to):
    """The adjoint of x in ``x @ y`` for vectors and matrices (runtime/products.py)."""
    if x.ndim == 1 and y.ndim == 1:
        impl = numba.njit(lambda z_bar, x, y, to=None: z_bar * y)
    elif y.ndim == 1:
        impl = numba.njit(lambda z_bar, x, y, to=None: np.outer(z_bar, y))
    elif x.ndim == 1:
        impl = numba.njit(lambda z_bar, x, y, to=None: y @ z_bar)
    else:
        impl = numba.njit(lambda z_bar, x, y, to=None: z_bar @ y.T)
    if kinds.absent(to):
        return lambda z_bar, x, y, to=None: impl(z_bar, x, y)
    if not isinstance(to, kinds.types.Array):
        return None
    return lambda z_bar, x, y, to=None: summed_to(impl(z_bar, x, y), to)


def _right_of_matrices(x, y):
    """The adjoint of y in ``x @ y`` for vectors and matrices."""
    if x.ndim == 1 and y.ndim == 1:
        return lambda z_bar, x, y: z_bar * x
    if x.ndim == 1:
        return lambda z_bar, x, y: np.outer(x, z_bar)
    return lambda z_bar, x, y: x.T @ z_bar   # (y a vector or a matrix)


class _Stacks:
    """The products of stacks of matrices, compiled by numba: ``product`` (a @ b),
    ``left`` and ``left_rows`` (x's adjoint), ``right`` (y's)."""

    def __init__(self, numba, stacked):
        njit = numba.njit

        @njit
        def count(a, b):   # the stack's length, with NumPy's broadcasting of it
            if a.shape[0] != b.shape[0] and a.shape[0] != 1 and b.shape[0] != 1:
                raise ValueError("matmul: the stacks of matrices do not broadcast")
            return max(a.shape[0], b.shape[0])

        @njit
        def product(a, b):
            a3, b3 = stacked(a), stacked(b)
            n = count(a3, b3)
            out = np.empty((n, a3.shape[1], b3.shape[2]), a3.dtype)
            for i in range(n):
                np.dot(a3[min(i, a3.shape[0] - 1)], b3[min(i, b3.shape[0] - 1)], out[i])
            return out

        @njit
        def left(z_bar, x, y, shape):   # summed over the stack where x went with every matrix
            z3, y3 = stacked(z_bar), stacked(y)
            n = count(z3, y3)
            out = np.zeros(shape, x.dtype)
            o3 = stacked(out)
            for i in range(n):
                o3[min(i, o3.shape[0] - 1)] += np.dot(z3[min(i, z3.shape[0] - 1)],
                                                      y3[min(i, y3.shape[0] - 1)].T)
            return out

        @njit
        def left_rows(z_bar, x, y, to):   # to's rows: summed first where it has one
            z3, y3 = stacked(z_bar), stacked(y)
            n = count(z3, y3)
            if to.ndim >= 2 and to.shape[to.ndim - 2] == 1:
                out = np.empty((n, 1, y3.shape[1]), x.dtype)
                for i in range(n):
                    rows = np.sum(z3[min(i, z3.shape[0] - 1)], axis=0)
                    out[i, 0] = np.dot(y3[min(i, y3.shape[0] - 1)], rows)
                return out
            out = np.empty((n, z3.shape[1], y3.shape[1]), x.dtype)
            for i in range(n):
                out[i] = np.dot(z3[min(i, z3.shape[0] - 1)], y3[min(i, y3.shape[0] - 1)].T)
            return out

        @njit
        def right(z_bar, x, y):
            z3, x3 = stacked(z_bar), stacked(x)
            n = count(z3, x3)
            out = np.zeros(y.shape, y.dtype)
            o3 = stacked(out)
            for i in range(n):
                o3[min(i, o3.shape[0] - 1)] += np.dot(x3[min(i, x3.shape[0] - 1)].T,
                                                      z3[min(i, z3.shape[0] - 1)])
            return out

        self.product, self.left, self.left_rows, self.right = product, left, left_rows, right
