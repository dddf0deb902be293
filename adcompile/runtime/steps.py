"""The values a loop saved, one per step: stacked into arrays, summed, or multiplied in one
NumPy call instead of one per step."""

import numpy as np


def outer_sum(pairs):
    """sum(np.outer(u, v) for u, v in pairs), as one matrix product."""
    if not pairs:
        return 0.0
    left, right = zip(*pairs)
    return outer_steps(left, right)


def outer_steps(us, vs):
    """sum(np.outer(u, v) for u, v in zip(us, vs)) for the vectors of a loop's steps (lists,
    or arrays with the steps first), as one matrix product when their lengths agree."""
    if len(us) == 0:
        return 0.0
    try:
        left, right = np.asarray(us), np.asarray(vs)
    except ValueError:      # the vectors' lengths changed from one step to the next
        left = right = None
    if left is None or left.ndim != 2 or right.ndim != 2:
        return sum(np.outer(u, v) for u, v in zip(us, vs))
    return left.T @ right


def sum_steps(values):
    """sum(values) for the values of a loop's steps (a list, or an array with the steps
    first), in one NumPy call when they share a shape."""
    if len(values) == 0:
        return 0.0
    try:
        return np.asarray(values).sum(axis=0)
    except ValueError:      # shapes differ: added as the steps added them
        return sum(values[1:], values[0])


def stacked(values):
    """The values of a loop's steps as one array, steps first; the list itself if their
    shapes differ."""
    try:
        return np.array(values)
    except ValueError:
        return values


def step_arrays(*lists):
    """Each list of a loop's saved values as one array, steps first, if every list has
    values, all float64 arrays or NumPy float64 numbers of one shape; else None for each.
    (Arithmetic on the arrays then gives, row by row, what it gives on the values.)"""
    arrays = []
    for values in lists:
        if not values or not set(map(type, values)) <= {np.ndarray, np.float64}:
            break
        try:
            array = np.array(values)
        except ValueError:   # the values' shapes differ
            break
        if array.dtype != np.float64:
            break
        arrays.append(array)
    else:
        return arrays[0] if len(arrays) == 1 else tuple(arrays)
    return None if len(lists) == 1 else (None,) * len(lists)


def step_rows(x, steps):
    """``x[steps]``, the rows a loop over ``steps`` (a range) reads, as the view
    ``x[first:last + 1:step]`` where each of them exists (``x[steps]`` converts the range
    to an array of indices, then copies: 20 us for 50 rows); else ``x[steps]`` itself,
    which raises as the loop would for an index past the end."""
    if type(x) is np.ndarray and x.ndim > 0 and type(steps) is range and len(steps) > 0:
        first, last = steps[0], steps[-1]
        if 0 <= first < x.shape[0] and 0 <= last < x.shape[0]:
            if steps.step > 0:
                return x[first:last + 1:steps.step]
            return x[first:(last - 1 if last > 0 else None):steps.step]
    return x[steps]


def iterated(s):
    """What a for loop over ``s`` walks, as a sequence generated code reads by position:
    ``s`` itself where ``s[i]`` is its i-th item (a list, tuple, range, string or array),
    else the list of its items (a dict's keys, a set's elements, a generator's values, a
    pandas Series' values: ``s[i]`` would read a dict's values, or a Series by label)."""
    return s if isinstance(s, (list, tuple, range, str, np.ndarray)) else list(s)
