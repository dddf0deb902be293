"""The checks a call's arguments pass before generated code runs: as many as the function
takes, keywords it has, no complex numbers, and for a differentiated parameter a real
number, an array of them or a structure of them; and which arguments are structures the
code is specialised to (``Arguments.structures``).
"""

import itertools

import numpy as np

from .frontend.structure_use import assigned_into
from .ir.trees import (StructureError, complex_leaf, is_function, leaf_values, structure,
                       structure_kind)

#: numbers whose ndim (0) a call specialises on; not bools: x[True] adds an axis
NUMBERS = frozenset({float, int, np.float64, np.float32, np.float16, np.int64, np.int32,
                     np.int16, np.int8, np.uint8})


class Arguments:
    """The checks a call's arguments pass before generated code runs: no more positional
    arguments than ``f`` has (the generated function would take one too many as its seed),
    no keyword that is not one of ``f``'s parameters (such as ``out_bar`` for ``grad``), no
    complex numbers, and for differentiated parameters a number or an array of numbers.

    ``name``: the callable's name, for messages; ``trailing``: the name of the argument
    that follows ``f``'s own ones (``out_bar`` for vjp, ``tangents`` for jvp), if any."""

    def __init__(self, transform, name, trailing):
        source = transform.source
        self.function = source.name
        self.params_in_order = source.positional_params
        self.params = frozenset(source.params)
        args = source.node.args
        self.any_positional, self.any_keyword = args.vararg is not None, args.kwarg is not None
        self.wrt = frozenset(transform.wrt)
        self.assigned_into = assigned_into(source.node)
        self.name = name
        self.trailing = trailing

    def positional(self, args):
        if len(args) > len(self.params_in_order) and not self.any_positional:
            n = len(self.params_in_order)
            takes = f"{n} positional argument{'s' if n != 1 else ''}"
            if self.trailing is None:
                raise TypeError(f"{self.name}() takes {takes} but {len(args)} were given")
            raise TypeError(f"{self.name}() takes the {takes} of {self.function}() and then "
                            f"{self.trailing}, but {len(args)} were given before "
                            f"{self.trailing}")
        for param, value in zip(self.params_in_order, args):
            self.value(param, value)

    def keywords(self, kwargs):
        for param, value in kwargs.items():
            if param not in self.params and not (self.any_keyword and param != "out_bar"):
                hint = ""
                if param == "out_bar" and self.trailing is None:
                    hint = ("; out_bar is not an argument of a gradient (its function must "
                            "return a scalar): use ad.vjp to pull back another out_bar")
                raise TypeError(f"{self.name}() got an unexpected keyword argument "
                                f"{param!r}{hint}")
            self.value(param, value)

    def structures(self, values, kwargs):
        """{parameter: its ``ir.trees.Node``} for each differentiated argument that is a
        structure (a dict, list, tuple, NamedTuple, dataclass or object of arrays), and
        each other argument that is an object of the user's class or a dict, list or tuple
        holding one (``self``, ``layers``: their methods can then be inlined)."""
        found = {}
        for at, p in enumerate(self.params_in_order):
            value = values[at] if at < len(values) else None
            kind = structure_kind(value)
            if kind is not None and (p in self.wrt or _holds_object(value) or (
                    kind in ("dict", "list") and p in self.assigned_into)):
                found[p] = _named_structure(self.function, p, value)
        for p in self.wrt - set(self.params_in_order):
            value = (kwargs or {}).get(p)
            if structure_kind(value) is not None:
                found[p] = structure(value)
        return found

    def containers(self, args):
        """Refuse a complex number or array in a dict, list or tuple passed (positionally)
        for a parameter not differentiated."""
        for param, value in zip(self.params_in_order, args):
            if isinstance(value, (dict, list, tuple)) and param not in self.wrt:
                self.container(param, value)

    def container(self, param, value):
        path = complex_leaf(value)
        if path is not None:
            raise TypeError(f"argument {param!r} of {self.function}() holds a complex value "
                            f"at {''.join(f'[{k!r}]' for k in path)}: adcompile "
                            f"differentiates real-valued functions of real arguments; pass "
                            f"the real and imaginary parts as separate real values")

    def value(self, param, value):
        kind = type(value)
        if kind in NUMBERS:
            return
        if isinstance(value, (dict, list, tuple)) and param not in self.wrt:
            self.container(param, value)
        if kind is np.ndarray and value.dtype.kind in "fiu":
            return
        if kind is complex or isinstance(value, np.complexfloating) or (
                isinstance(value, np.ndarray) and value.dtype.kind == "c"):
            what = f"a complex array ({value.dtype})" if isinstance(value, np.ndarray) \
                else f"a complex number, {value!r}"
            raise TypeError(
                f"argument {param!r} of {self.function}() is {what}: adcompile "
                f"differentiates real-valued functions of real arguments; pass the real and "
                f"imaginary parts as separate real arguments")
        if param in self.wrt:
            if structure_kind(value) is not None:
                return _check_structure(self.function, param, value)
            _check_differentiable(self.function, param, value)


def _holds_object(value, depth=0):
    """Whether ``value`` is a dataclass or an object of the user's class, or a dict, list
    or tuple holding one or a function (looked for two levels down, among the first items:
    ``[Linear(...), ...]``, ``{"layers": [...]}``, ``{"W": W, "act": np.tanh}``; a long
    list of numbers costs no more to call with)."""
    kind = structure_kind(value)
    if kind in ("object", "dataclass"):
        return True
    if kind is None:
        return depth > 0 and is_function(value)
    if kind not in ("dict", "list", "tuple", "namedtuple") or depth >= 2:
        return False
    items = value.values() if kind == "dict" else value
    return any(_holds_object(v, depth + 1) for v in itertools.islice(items, 32))


def _named_structure(function, param, value):
    """``structure(value)``, its refusal naming the argument ``param``."""
    try:
        return structure(value)
    except StructureError as exc:
        raise TypeError(f"argument {param!r} of {function}(): {exc}") from None


def _check_structure(function, param, value):
    """Refuse a structure for a differentiated parameter that holds something no gradient
    can be given for (complex numbers, itself)."""
    node = _named_structure(function, param, value)
    if node.kind == "object" and not any(leaf.differentiable for leaf in node.leaves()):
        kind = type(value)
        raise TypeError(f"argument {param!r} of {function}() is a {kind.__module__}."
                        f"{kind.__qualname__} holding no floats or arrays of floats, and it is "
                        f"differentiated (wrt): a differentiated argument must be a number, a "
                        f"NumPy array, or a structure of them (a dict, list, tuple, "
                        f"NamedTuple, dataclass or object)")
    for leaf in leaf_values(node, value):
        if isinstance(leaf, (complex, np.complexfloating)) or (
                isinstance(leaf, np.ndarray) and leaf.dtype.kind == "c"):
            raise TypeError(f"argument {param!r} of {function}() holds complex values: "
                            f"adcompile differentiates real-valued functions of real "
                            f"arguments")


def _check_differentiable(function, param, value):
    """Refuse ``value`` for a differentiated parameter unless it is a real number or an
    array of them. (A Python bool is an int, 1 or 0; NumPy's booleans are not numbers: True +
    True is True.)"""
    if isinstance(value, np.bool_) or (isinstance(value, np.ndarray) and value.dtype.kind == "b"):
        what = "an array of bool" if isinstance(value, np.ndarray) else "a numpy.bool_"
        raise TypeError(f"argument {param!r} of {function}() is {what}, and it is "
                        f"differentiated (wrt): NumPy's booleans add as logical or, so nothing "
                        f"is differentiable with respect to them; pass floats (x.astype(float))")
    if isinstance(value, (np.matrix, np.ma.MaskedArray)):
        raise TypeError(f"argument {param!r} of {function}() is a {type(value).__module__}."
                        f"{type(value).__name__}, and it is differentiated (wrt): its "
                        f"operators differ from an ndarray's; pass np.asarray of it")
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fiu":
            return
        what = f"an array of dtype {value.dtype}"
    elif isinstance(value, (int, float, np.integer, np.floating)):
        return
    else:
        kind = type(value)
        name = kind.__qualname__ if kind.__module__ == "builtins" \
            else f"{kind.__module__}.{kind.__qualname__}"
        what = "None" if value is None else f"{'an' if name[0] in 'aeiou' else 'a'} {name}"
    raise TypeError(
        f"argument {param!r} of {function}() is {what}, and it is differentiated (wrt): a "
        f"differentiated argument must be a number, a NumPy array of numbers, or a "
        f"structure of them (a dict, list, tuple, NamedTuple, dataclass or object)")
