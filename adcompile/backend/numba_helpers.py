"""numba versions of the runtime helpers the generated code calls (backend="numba", jit.py).

Each helper is a stub Python never calls and an ``@overload`` numba compiles in its place
for the types of one call: numba asks the overload with the argument types, and the
overload returns an implementation, or None where it cannot give the Python helper's
values (dtype and shape too) for those types: numba then refuses the code at typing, and
the gradient runs as plain Python, saying why (jit.py). Where the Python helper's result
depends on more than the types numba sees (a Python float and ``np.float64`` are one
numba type, and NumPy gives them different precisions next to float32), the overload
refuses. Values computed by NumPy's ufuncs (``np.exp``) may differ from numba's in the
last bit, as they do anywhere numba compiles NumPy code.

numba is imported only when ``helpers()`` is first called."""

import threading

import numpy as np

from ..runtime.special import stable_sigmoid as python_stable_sigmoid
from .numba_ufuncs import LARGE

_made = None
_lock = threading.Lock()


def helpers():
    """canonical helper name -> a function numba compiles in its place (made once)."""
    global _made
    with _lock:
        if _made is None:
            _made = _make()
    return _made


def _make():
    from numba.core import types
    from numba.extending import overload

    from .numba_differences import difference_helpers
    from .numba_integers import integer_helpers
    from .numba_joins import join_helpers
    from .numba_powers import power_helpers
    from .numba_prods import prod_helpers
    from .numba_products import product_helpers
    from .numba_reductions import reduction_helpers
    from .numba_steps import step_helpers
    from .numba_sums import sum_helpers
    from .numba_ufuncs import ufunc_helpers

    kinds = _Kinds(types)
    made = _shape_helpers(kinds, overload)
    made.update(sum_helpers(kinds, overload))
    made["unbroadcast"] = _unbroadcast_helper(kinds, overload, made["summed_to"])
    made.update(product_helpers(kinds, overload, made["summed_to"]))
    made.update(reduction_helpers(kinds, overload))
    made.update(ufunc_helpers(kinds, overload))
    made.update(_elementwise_helpers(kinds, overload))
    made["getitem_bar"] = _getitem_bar_helper(kinds, overload)
    made.update(_item_helpers(kinds, overload))
    made["as_gradient"] = _as_gradient_helper(kinds, overload)
    made["real_value"] = _real_value_helper(kinds, overload)
    made["real_sign"] = _real_sign_helper(kinds, overload)
    made["require_floating"] = _require_floating_helper(kinds, overload)
    made["require_float_array"] = _require_float_array_helper(kinds, overload)
    made["require_array"] = _require_array_helper(kinds, overload)
    made["require_rows"] = _require_rows_helper(kinds, overload)
    made["require_ndarray"] = _array_only_helper(kinds, overload)
    made["require_array_written"] = _array_only_helper(kinds, overload)
    made["require_positions"] = _array_only_helper(kinds, overload)
    made["require_length"] = _require_length_helper(overload)
    made["require_update_shape"] = _require_update_shape_helper(kinds, overload)
    made["private_copy"] = _private_copy_helper(kinds, overload)
    made.update(integer_helpers(kinds, overload))
    made.update(step_helpers(kinds, overload))
    made.update(join_helpers(kinds, overload))
    made.update(power_helpers(kinds, overload))
    made.update(difference_helpers(kinds, overload))
    made.update(prod_helpers(kinds, overload))
    return made


class _Kinds:
    """Questions about numba types the overloads ask."""

    def __init__(self, types):
        self.types = types

    def number(self, t):
        return isinstance(t, (self.types.Float, self.types.Integer, self.types.Boolean))

    def array(self, t, floating=False):
        return isinstance(t, self.types.Array) \
            and (not floating or isinstance(t.dtype, self.types.Float))

    def entries(self, t):
        """The type of the entries of an array type ``t``; a number type is its own."""
        return t.dtype if isinstance(t, self.types.Array) else t

    def absent(self, t):
        """Whether an optional argument was left out or given as None."""
        return t is None or isinstance(t, (self.types.NoneType, self.types.Omitted))

    def literal(self, t, default):
        """The value of an argument numba knows when it compiles (a constant of the
        generated code, or the default ``default`` when left out); else ``_UNKNOWN``."""
        if t is None or isinstance(t, (bool, int)):
            return default if t is None else t
        if isinstance(t, self.types.Omitted):
            return t.value
        if isinstance(t, self.types.NoneType):
            return None
        if isinstance(t, self.types.Literal):
            return t.literal_value
        return _UNKNOWN


_UNKNOWN = object()


def _shape_helpers(kinds, overload):
    """numba versions of the helpers that make arrays of a value's shape."""
    types = kinds.types

    def zeros_like(x):
        raise NotImplementedError   # (only numba calls it: see the overload)

    def filled_like(x, value, *like):
        raise NotImplementedError

    def scalar_seed(value):
        raise NotImplementedError

    def stop_gradient(x):
        raise NotImplementedError

    @overload(zeros_like, jit_options={"nogil": True})
    def _zeros_like(x):
        if kinds.number(x):
            return lambda x: 0.0
        if kinds.array(x, floating=True):
            return lambda x: np.zeros_like(x)
        return None

    @overload(filled_like)
    def _filled_like(x, value, *like):
        # in float32 when x and the arrays of like are (a number takes their precision)
        arrays = [x] + [t for t in like if isinstance(t, types.Array)]
        if isinstance(x, types.Array) and kinds.number(value) \
                and all(isinstance(t, types.Array) or kinds.number(t) for t in like):
            if all(a.dtype == types.float32 for a in arrays):
                return lambda x, value, *like: np.full(x.shape, value, dtype=np.float32)
            return lambda x, value, *like: np.full(x.shape, value, dtype=np.float64)
        return None

    @overload(scalar_seed)
    def _scalar_seed(value):
        if kinds.number(value) or isinstance(value, types.Array) and value.ndim == 0:
            return lambda value: 1.0

        def refuse(value):
            raise ValueError("the function must return a scalar; use ad.vjp to pull back a "
                             "non-scalar output")
        return refuse

    @overload(stop_gradient)
    def _stop_gradient(x):
        return lambda x: x

    return {"zeros_like": zeros_like, "filled_like": filled_like,
            "scalar_seed": scalar_seed, "stop_gradient": stop_gradient,
            "reduced_size": _reduced_size_helper(kinds, overload)}


def _reduced_size_helper(kinds, overload):
    """The numba version of ``reduced_size(x, axis=None)`` (the count a mean divides by):
    all of an array's entries, those along one axis or several (a tuple), one for a
    number."""
    types = kinds.types

    def reduced_size(x, axis=None):
        raise NotImplementedError

    @overload(reduced_size)
    def _reduced_size(x, axis=None):
        if kinds.number(x) and kinds.absent(axis):
            return lambda x, axis=None: 1
        if not isinstance(x, types.Array):
            return None
        if kinds.absent(axis):
            return lambda x, axis=None: x.size
        if isinstance(axis, types.Integer):
            return lambda x, axis=None: x.shape[axis]
        if isinstance(axis, types.BaseTuple) and all(isinstance(t, types.Integer)
                                                     for t in axis):
            def along(x, axis=None):
                count = 1
                for a in axis:
                    count *= x.shape[a]
                return count
            return along
        return None

    return reduced_size


def _unbroadcast_helper(kinds, overload, summed_to):
    """The numba version of ``unbroadcast``, for numbers and arrays (past two dimensions,
    numba_sums.py's ``summed_to``)."""
    types = kinds.types

    def unbroadcast(g, x):
        raise NotImplementedError

    @overload(unbroadcast)
    def _unbroadcast(g, x):
        # the sum of g over the axes NumPy broadcast x along: g itself where the shapes agree
        if kinds.number(x):
            if kinds.number(g):
                return lambda g, x: g
            if isinstance(g, types.Array):
                return lambda g, x: np.sum(g)
            return None
        if not isinstance(x, types.Array):
            return None
        if kinds.number(g):
            return lambda g, x: np.full(x.shape, g)
        if not isinstance(g, types.Array) or g.ndim < x.ndim:
            return None
        if g.ndim > 2:
            return lambda g, x: summed_to(g, x)
        if x.ndim == 1 and g.ndim == 1:
            def one(g, x):
                if g.shape[0] == x.shape[0]:
                    return g
                return np.full(x.shape, np.sum(g))
            return one
        if x.ndim == 1:   # g: 2-d, summed over its rows, and over columns if x has one entry
            def rows(g, x):
                s = np.sum(g, axis=0)
                if s.shape[0] == x.shape[0]:
                    return s
                return np.full(x.shape, np.sum(s))
            return rows

        def two(g, x):
            if g.shape == x.shape:
                return g
            out = g
            if x.shape[0] == 1 and g.shape[0] != 1:
                out = np.sum(out, axis=0).reshape((1, out.shape[1]))
            if x.shape[1] == 1 and out.shape[1] != 1:
                out = np.sum(out, axis=1).reshape((out.shape[0], 1))
            return out.copy()
        return two

    return unbroadcast


def _elementwise_helpers(kinds, overload):
    """numba versions of ``in_place`` and ``stable_sigmoid``."""

    def in_place(ufunc, a, b):
        raise NotImplementedError

    @overload(in_place)
    def _in_place(ufunc, a, b):
        # the operation itself (a new array): numba's arrays are not worth the check
        key = getattr(ufunc, "typing_key", None)
        if key is np.multiply:
            return lambda ufunc, a, b: a * b
        if key is np.add:
            return lambda ufunc, a, b: a + b
        if key is np.subtract:
            return lambda ufunc, a, b: a - b
        if key is np.divide:
            return lambda ufunc, a, b: a / b
        return None

    return {"in_place": in_place, "stable_sigmoid": _stable_sigmoid_helper(kinds, overload)}


def _stable_sigmoid_helper(kinds, overload):
    """The numba version of ``stable_sigmoid``: the values of runtime/special.py (a large
    float array's by that helper itself, in object mode, for NumPy's exp, which computes
    several numbers at once (numba_ufuncs.py); a small one's in one compiled loop, where
    numba's exp may differ from NumPy's in the last bit), in
    the same precision (an array's float dtype, float64 for integers and bools and
    numbers, float32 for a float32 number); no 0-d arrays, no complex values."""
    import numba
    types = kinds.types

    def stable_sigmoid(d):
        raise NotImplementedError

    @overload(stable_sigmoid)
    def _stable_sigmoid(d):
        kind = kinds.entries(d)
        if not kinds.number(kind) or isinstance(d, types.Array) and d.ndim == 0 \
                or isinstance(kind, types.Float) and kind not in (types.float32, types.float64):
            return None
        dtype = np.float32 if kind == types.float32 else np.float64
        # the Python helper's floor: float(log(tiny)) - 0.5, then in d's precision
        floor = dtype(float(np.log(np.finfo(dtype).tiny)) - 0.5)
        one = dtype(1.0)
        if isinstance(d, types.Array) and kind in (types.float32, types.float64):
            result = types.Array(kind, d.ndim, "C")

            def array(d):
                if d.size >= LARGE:   # (NumPy's exp, several numbers at once: see there)
                    with numba.objmode(out=result):
                        out = np.ascontiguousarray(python_stable_sigmoid(d))
                    return out
                values = np.ascontiguousarray(d).reshape(d.size)   # (one pass)
                out = np.empty(d.size, dtype)
                for i in range(d.size):
                    x = values[i]
                    if x < floor:   # (not for NaN, which stays NaN)
                        x = floor
                    out[i] = one / (one + np.exp(-x))
                return out.reshape(d.shape)
            return array
        if isinstance(d, types.Array):
            def other(d):   # (integers and bools: in float64)
                x = np.maximum(d.astype(dtype), floor)
                return one / (one + np.exp(-x))
            return other

        def number(d):
            x = dtype(d)
            if x < floor:   # (not for NaN)
                x = floor
            return one / (one + np.exp(-x))
        return number

    return stable_sigmoid


def _getitem_bar_helper(kinds, overload):
    """The numba version of ``getitem_bar`` for basic indexing of an array (ints, slices,
    None, Ellipsis: no entry is written twice) and for an index of one integer array
    among slices (numba_scatter.py), in the precision NumPy's ``np.result_type(x, y_bar,
    1.0)`` gives; other indexes with arrays are refused."""
    types = kinds.types
    from numba.np.numpy_support import as_dtype

    from .numba_reductions import number_dtype
    from .numba_scatter import array_scatter

    def getitem_bar(y_bar, x, index):
        raise NotImplementedError

    @overload(getitem_bar)
    def _getitem_bar(y_bar, x, index):
        if not isinstance(x, types.Array) or x.ndim == 0:
            return None
        if kinds.number(y_bar):
            dtype = number_dtype(y_bar, x, kinds)
        elif isinstance(y_bar, types.Array):
            dtype = np.result_type(as_dtype(x.dtype), as_dtype(y_bar.dtype), 1.0).type
        else:
            return None
        if dtype not in (np.float32, np.float64):
            return None
        if not _basic(index, types):
            return array_scatter(x, index, types, dtype)

        def scatter(y_bar, x, index):
            x_bar = np.zeros(x.shape, dtype)
            x_bar[index] = y_bar
            return x_bar
        return scatter

    return getitem_bar


def _basic(index, types):
    """Whether the numba type ``index`` is a basic index (ints, slices, None, Ellipsis,
    or a tuple of them), which writes no entry twice."""
    parts = index.types if isinstance(index, types.BaseTuple) else (index,)
    return all(isinstance(p, (types.Integer, types.SliceType, types.NoneType,
                              types.EllipsisType)) and not isinstance(p, types.Boolean)
               for p in parts)


def _item_helpers(kinds, overload):
    """numba versions of ``without_item`` and ``item_written`` (the adjoints of an
    assignment to an array's items) for basic indexing."""
    types = kinds.types

    def without_item(g, index):
        raise NotImplementedError

    def item_written(g, index):
        raise NotImplementedError

    @overload(without_item)
    def _without_item(g, index):
        # a copy of g with zeros where the items were written
        if not isinstance(g, types.Array) or g.ndim == 0 or not _basic(index, types):
            return None

        def cleared(g, index):
            out = g.copy()
            out[index] = 0
            return out
        return cleared

    @overload(item_written)
    def _item_written(g, index):
        # what reached the items written: g at the index (a view, as NumPy's)
        if not isinstance(g, types.Array) or g.ndim == 0 or not _basic(index, types):
            return None
        return lambda g, index: g[index]

    return {"without_item": without_item, "item_written": item_written}


def _as_gradient_helper(kinds, overload):
    """The numba version of ``as_gradient`` (the gradients handed back)."""
    types = kinds.types

    def as_gradient(g, x):
        raise NotImplementedError

    @overload(as_gradient)
    def _as_gradient(g, x):
        # the gradient handed back for x: a float for a number, else a new array of x's
        # shape and floating precision
        if kinds.number(x):
            if kinds.number(g):
                return lambda g, x: float(g)
            return None
        if not isinstance(x, types.Array):
            return None
        dtype = x.dtype if isinstance(x.dtype, types.Float) else types.float64
        if kinds.number(g):
            return lambda g, x: np.full(x.shape, g, dtype=dtype)
        if not isinstance(g, types.Array) or g.ndim > x.ndim:
            return None

        def array(g, x):
            if g.shape == x.shape:
                return g.astype(dtype)
            return np.broadcast_to(g, x.shape).astype(dtype)
        return array

    return as_gradient


def _real_value_helper(kinds, overload):
    """The numba version of the check of a value that may be complex (pipeline.guard_complex):
    a real number or array, or a slice (``gates[H:2 * H]``), is itself."""
    types = kinds.types

    def real_value(value, what):
        raise NotImplementedError

    @overload(real_value)
    def _real_value(value, what):
        # a real number or array is itself; a complex one is refused when it runs
        kind = kinds.entries(value)
        if isinstance(kind, (types.Float, types.Integer, types.Boolean, types.SliceType)):
            return lambda value, what: value   # (a slice's bounds are integers or None)
        if isinstance(kind, types.Complex):
            def refuse(value, what):
                raise ValueError("a value not being differentiated gave a complex value, "
                                 "which is combined with values being differentiated: these "
                                 "gradients are of real values only")
            return refuse
        return None

    return real_value


def _real_sign_helper(kinds, overload):
    """The numba version of ``real_sign`` (the derivative of ``abs``): ``np.sign`` of a real
    number or array; a complex one is refused at typing (Python's helper raises the error
    that explains it)."""
    types = kinds.types

    def real_sign(x):
        raise NotImplementedError

    @overload(real_sign)
    def _real_sign(x):
        kind = kinds.entries(x)
        if isinstance(kind, (types.Float, types.Integer)):
            return lambda x: np.sign(x)
        return None

    return real_sign


def _require_floating_helper(kinds, overload):
    """The numba version of ``require_floating`` (analysis/integer_writes.py): nothing for
    an array of floats or for any other value; an array of integers or booleans is refused
    at typing, so that the plain code runs and raises the TypeError that explains it."""
    types = kinds.types

    def require_floating(x, where):
        raise NotImplementedError

    @overload(require_floating)
    def _require_floating(x, where):
        if isinstance(x, types.Array) and not isinstance(x.dtype, (types.Float,
                                                                    types.Complex)):
            return None
        return lambda x, where: None

    return require_floating


def _require_float_array_helper(kinds, overload):
    """The numba version of ``require_float_array`` (analysis/integer_writes.py): nothing
    for an array of floats; any other value is refused at typing, so that the plain code
    runs (and raises the TypeError that explains it where it is wrong)."""
    types = kinds.types

    def require_float_array(x, where):
        raise NotImplementedError

    @overload(require_float_array)
    def _require_float_array(x, where):
        if isinstance(x, types.Array) and isinstance(x.dtype, (types.Float, types.Complex)):
            return lambda x, where: None
        return None

    return require_float_array


def _require_array_helper(kinds, overload):
    """The numba version of ``require_array`` (frontend/calls.py): nothing for an array or a
    number; another value is refused at typing, so that the plain code runs and raises."""
    types = kinds.types

    def require_array(x, where):
        raise NotImplementedError

    @overload(require_array)
    def _require_array(x, where):
        if isinstance(x, types.Array) or kinds.number(x):
            return lambda x, where: None
        return None

    return require_array


def _require_rows_helper(kinds, overload):
    """The numba version of ``require_rows`` (frontend/row_loops.py, row_views.py): nothing
    for an array of two or more dimensions; another value is refused at typing, so that the
    plain code runs and raises."""
    types = kinds.types

    def require_rows(x, where):
        raise NotImplementedError

    @overload(require_rows)
    def _require_rows(x, where):
        if isinstance(x, types.Array) and x.ndim >= 2:
            return lambda x, where: None
        return None

    return require_rows


def _array_only_helper(kinds, overload):
    """The numba version of a check that passes an array only (``require_ndarray``:
    frontend/in_place_calls.py; ``require_array_written``: pipeline.guard_integer_writes;
    ``require_positions``: frontend/iteration.py): nothing for an array; another value is
    refused at typing, so that the plain code runs and raises where it is wrong. A stub of
    its own for each check (``said``: what the error names)."""
    types = kinds.types

    def check(x, *said):
        raise NotImplementedError

    @overload(check)
    def _check(x, *said):
        if isinstance(x, types.Array):
            return lambda x, *said: None
        return None

    return check


def _require_length_helper(overload):
    """The numba version of ``require_length`` (frontend/assignments.py): a ValueError where
    ``a, b = x`` unpacks a value of another length."""

    def require_length(x, n, where):
        raise NotImplementedError

    @overload(require_length)
    def _require_length(x, n, where):
        def check(x, n, where):
            if len(x) != n:
                raise ValueError("a wrong number of values to unpack")
        return check

    return require_length


def _require_update_shape_helper(kinds, overload):
    """The numba version of ``require_update_shape`` (pipeline.guard_update_shapes): the new
    value, where the old value is not an array; a ValueError where an array's new value has
    another shape; one of another kind (more dimensions, a number: a 0-d array's update,
    which the plain code makes an array again) is refused at typing, so that the plain code
    runs and raises the ValueError that names the user's line."""
    types = kinds.types

    def require_update_shape(new, old, where):
        raise NotImplementedError

    @overload(require_update_shape)
    def _require_update_shape(new, old, where):
        if not isinstance(old, types.Array):
            return lambda new, old, where: new
        if not isinstance(new, types.Array) or new.ndim != old.ndim:
            return None

        def check(new, old, where):
            if new.shape != old.shape:
                raise ValueError("x op= e: non-broadcastable output operand (the broadcast "
                                 "shape differs from the array's, which NumPy keeps)")
            return new
        return check

    return require_update_shape


def _private_copy_helper(kinds, overload):
    """The numba version of ``private_copy`` (pipeline.private_copies): a copy of an array,
    a tuple of numbers as it is (nothing in it can change); another value (a list, a dict)
    is refused at typing, so that the plain code runs."""
    types = kinds.types

    def private_copy(x):
        raise NotImplementedError

    @overload(private_copy)
    def _private_copy(x):
        if isinstance(x, types.Array):
            return lambda x: x.copy()
        if isinstance(x, types.BaseTuple) and all(isinstance(t, types.Number) for t in x.types):
            return lambda x: x
        return None

    return private_copy

