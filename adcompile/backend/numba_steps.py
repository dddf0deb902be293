"""numba versions of the helpers of loop fission (runtime/steps.py, optimize/fission.py):
the values a loop saved, one per step, stacked into arrays, summed or multiplied at once
(backend="numba", jit.py).

Python's helpers decide by the values: ``step_arrays`` gives None, and the code runs the
loop step by step, where the steps' values differ in shape or type; ``stacked`` gives the
list itself then, ``outer_steps`` and ``sum_steps`` add the steps one by one, and each
gives 0.0 for no steps at all. numba's types are the lists' (a list holds arrays of one
dtype and number of dimensions), not their values' shapes, so the versions here accept
lists of floating arrays of one or more dimensions (and arrays with the steps first)
and refuse other types when numba types the call; for values of one shape they give the
Python helper's arrays, and for any other values (shapes that differ, no steps, rows a
range reads past an array's end) they raise ``StepsAsPython``: the backend runs that call
as plain Python (numba_python_calls.py). ``step_arrays`` so never gives None, and the
lowering (numba_lowering.py) drops the step-by-step loop that runs where Python's does. Lists of
numbers are refused: Python's helper gives None for Python floats, whose arithmetic
(``1.0 / 0.0`` raises) is not an array's, and numba does not tell them from NumPy's."""

import numpy as np

from .numba_python_calls import RunsAsPython


class StepsAsPython(RunsAsPython):
    """The values of a loop's steps are ones numba's step helpers do not give Python's
    result for (shapes that differ, no steps, rows past an array's end)."""


def step_helpers(kinds, overload):
    """canonical name -> stub, their overloads registered."""
    import numba

    rows = numba.njit(_rows)
    steps = _StepTypes(kinds)
    as_rows = {"list": rows, "contiguous": numba.njit(lambda a: a),
               "strided": numba.njit(lambda a: np.ascontiguousarray(a))}
    return {"step_arrays": _step_arrays(steps, overload, rows),
            "stacked": _stacked(steps, overload, rows),
            "sum_steps": _sum_steps(steps, overload),
            "outer_steps": _outer_steps(steps, overload, as_rows),
            "step_rows": _step_rows(kinds, overload)}


class _StepTypes:
    """Which numba types the step helpers take."""

    def __init__(self, kinds):
        self.types = kinds.types

    def saved(self, t, dtypes=None):
        """A list of floating arrays of one or more dimensions (of a dtype of ``dtypes``)."""
        types = self.types
        return isinstance(t, types.List) and isinstance(t.dtype, types.Array) \
            and t.dtype.ndim >= 1 and isinstance(t.dtype.dtype, types.Float) \
            and (dtypes is None or t.dtype.dtype in dtypes)

    def steps_first(self, t, ndim=None):
        """A list of saved values (as ``saved``) or a floating array, steps first, whose
        steps have ``ndim`` dimensions (any if None)."""
        types = self.types
        if self.saved(t):
            return ndim is None or t.dtype.ndim == ndim
        return isinstance(t, types.Array) and isinstance(t.dtype, types.Float) \
            and t.ndim >= 2 and (ndim is None or t.ndim == ndim + 1)

    def dtype(self, t):
        return t.dtype.dtype if isinstance(t, self.types.List) else t.dtype

    def kind(self, t):
        """How values of type ``t`` become a contiguous array, steps first: stacked from a
        ``list``, as they are (``contiguous``), or copied (``strided``)."""
        if isinstance(t, self.types.List):
            return "list"
        return "contiguous" if t.layout in ("C", "F") else "strided"


def _rows(values):
    """The arrays of the list ``values``, of one shape, as one new C-ordered array, steps
    first; StepsAsPython where there are none or their shapes differ."""
    if len(values) == 0:
        raise StepsAsPython("a loop of no steps")
    shape = values[0].shape
    out = np.empty((len(values),) + shape, values[0].dtype)
    for i in range(len(values)):
        if values[i].shape != shape:
            raise StepsAsPython("the values of a loop's steps differ in shape")
        out[i] = values[i]
    return out


def _step_arrays(steps, overload, rows):
    def step_arrays(*lists):
        raise NotImplementedError   # (only numba calls it: see the overload)

    @overload(step_arrays)
    def _step_arrays(*lists):
        # (Python's helper stacks float64 values alone)
        if not lists or not all(steps.saved(t, (steps.types.float64,)) for t in lists):
            return None
        if len(lists) == 1:
            return lambda *lists: rows(lists[0])
        # a tuple of the arrays, one per list (numba's tuples are built with a known length)
        text = "def made(*lists):\n    return ({},)\n".format(
            ", ".join(f"rows(lists[{i}])" for i in range(len(lists))))
        namespace = {"rows": rows}
        exec(text, namespace)
        return namespace["made"]

    return step_arrays


def _stacked(steps, overload, rows):
    def stacked(values):
        raise NotImplementedError

    @overload(stacked)
    def _stacked(values):
        if not steps.saved(values):
            return None
        return lambda values: rows(values)

    return stacked


def _sum_steps(steps, overload):
    def sum_steps(values):
        raise NotImplementedError

    @overload(sum_steps)
    def _sum_steps(values):
        if not steps.steps_first(values):
            return None

        def total(values):
            # (row by row, in the order NumPy's sum along the first axis adds them)
            if len(values) == 0:
                raise StepsAsPython("a loop of no steps")
            out = values[0].copy()
            shape = out.shape
            for i in range(1, len(values)):
                if values[i].shape != shape:
                    raise StepsAsPython("the values of a loop's steps differ in shape")
                out += values[i]
            return out
        return total

    return sum_steps


def _outer_steps(steps, overload, as_rows):
    def outer_steps(us, vs):
        raise NotImplementedError

    @overload(outer_steps)
    def _outer_steps(us, vs):
        if not (steps.steps_first(us, 1) and steps.steps_first(vs, 1)
                and steps.dtype(us) == steps.dtype(vs)):
            return None
        left, right = as_rows[steps.kind(us)], as_rows[steps.kind(vs)]

        def product(us, vs):
            a, b = left(us), right(vs)
            if a.shape[0] == 0 or a.shape[0] != b.shape[0]:
                raise StepsAsPython("a loop of no steps, or lists of steps that differ "
                                    "in length")
            return np.dot(a.T, b)
        return product

    return outer_steps


def _step_rows(kinds, overload):
    types = kinds.types

    def step_rows(x, steps):
        raise NotImplementedError

    @overload(step_rows)
    def _step_rows(x, steps):
        if not (isinstance(x, types.Array) and x.ndim >= 1
                and isinstance(steps, types.RangeType)):
            return None

        def view(x, steps):
            # the rows as the view Python's helper gives; anything else as Python
            count = len(steps)
            first = steps.start
            last = first + (count - 1) * steps.step
            n = x.shape[0]
            if count == 0 or not (0 <= first < n and 0 <= last < n):
                raise StepsAsPython("rows of a loop's steps past an array's end, or none")
            if steps.step > 0:
                return x[first:last + 1:steps.step]
            if last > 0:
                return x[first:last - 1:steps.step]
            return x[first::steps.step]
        return view

    return step_rows
