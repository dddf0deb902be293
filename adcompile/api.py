"""The public API: grad, value_and_grad, vjp, show, build, check_grad.

Each transformation is done once per (function, wrt) and cached; calls are
specialised on the number of dimensions of each positional argument (a
Python number is 0-d), the way a tracing compiler specialises on shapes, so
the code that runs for scalars has no broadcasting helpers in it. The callables of
one kind made of one transform share their dispatcher (what it checked and compiled),
so ``ad.grad(f)(x)`` written inline costs a few microseconds more than the code; a
gradient of a function with plain parameters calls the code for numbers directly when
the argument types are those of the last call (fastpath.py).
"""

import ast
import functools
import inspect
import itertools
import os
import threading
import types
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Union

import numpy as np

from .backend.compile import compile_function
from .backend.display import Code, SideBySide, original_source
from .backend.emit import seeded_def, to_source
from .backend.graph import Graph, computation_graph
from .backend.jit import Report, check_backend
from .backend.standalone import build_module, module_source
from .callables import describe, open_parameters, open_wrt, rebound, unbind
from .compiler import CHECKPOINT, Transform, without_cycle_collection
from .errors import TransformError
from .fastpath import NumberPath, plain_parameters
from .generated import Generated
from . import ir
from .ir import names_mentioned
from .ir.trees import (StructureError, complex_leaf, is_function, leaf_values, structure,
                       structure_kind, with_leaves)

#: a function to differentiate, or a callable adcompile made
Function = Callable[..., Any]
#: which parameters: an index or a name, or a tuple (list) of them
Wrt = Union[int, str, Sequence[Union[int, str]]]

# numbers whose ndim (0) a call specialises on; not bools: x[True] adds an axis
_NUMBERS = frozenset({float, int, np.float64, np.float32, np.float16, np.int64, np.int32,
                      np.int16, np.int8, np.uint8})
#: the types of arguments whose checks a call's types decide (see _dispatcher)
_PLAIN = _NUMBERS | {np.ndarray}
_cache_lock = threading.Lock()
#: the attribute of a function that holds its transforms (see _per_function)
_CACHE_ATTRIBUTE = "__adcompile_transforms__"


def _transform(f, wrt, has_aux=False):
    """The cached Transform of ``f`` for ``wrt`` (and ``has_aux``); redefining ``f``, or a
    function or module it reads (a helper redefined in a notebook), gives a new one."""
    key = (wrt if not isinstance(wrt, list) else tuple(wrt), getattr(f, "__code__", None),
           bool(has_aux), getattr(f, CHECKPOINT, None))
    if key[1] is None:
        return Transform(f, wrt, has_aux=has_aux)  # not a Python function: FunctionSource says why
    depends = _dependencies(f)
    with _cache_lock:
        per_function = _per_function(f)
        transform, depended = per_function.get(key, (None, None))
    if transform is None or not _unchanged(depended, depends):
        transform = Transform(f, wrt, has_aux=has_aux)
        with _cache_lock:
            per_function[key] = (transform, _remember(depends))
    return transform


def _per_function(f):
    """The transforms of function ``f``, by key: kept on ``f`` itself, so that they live as
    long as ``f`` and no longer. (The generated code runs in ``f``'s globals, which hold
    ``f`` when it is a module's function: a cache elsewhere keyed weakly on ``f`` would keep
    ``f``, its module and its code alive for ever through them.)"""
    entry = f.__dict__.get(_CACHE_ATTRIBUTE)
    if entry is None or entry[0]() is not f:   # (functools.wraps copies it onto wrappers)
        entry = (weakref.ref(f), {})
        f.__dict__[_CACHE_ATTRIBUTE] = entry
    return entry[1]


def _dependencies(f):
    """(function, name, object) for each function, class or module ``f`` reads by name from
    its globals or closure, and in turn the functions among them read, and for their
    defaults (``__defaults__``, ``__kwdefaults__``): the code inlined from them is only
    valid while each name still means the same object."""
    found, seen, todo = [], set(), [f]
    while todo:
        g = todo.pop()
        if id(g) in seen:
            continue
        seen.add(id(g))
        code = g.__code__
        # (defaults are read from the source, and compared with these: FunctionSource)
        found.extend((g, d, getattr(g, d)) for d in ("__defaults__", "__kwdefaults__")
                     if isinstance(g, types.FunctionType) and getattr(g, d) is not None)
        pairs = [(n, g.__globals__.get(n, _ABSENT)) for n in code.co_names]
        for n, cell in zip(code.co_freevars, g.__closure__ or ()):
            try:
                pairs.append((n, cell.cell_contents))
            except ValueError:  # an empty cell
                pass
        for name, obj in pairs:
            if type(obj) in (list, tuple) and obj and all(callable(x) for x in obj):
                found.append((g, name, _Items(obj)))   # (functions a loop walks: unrolled)
                todo.extend(x for x in obj if isinstance(x, types.FunctionType))
                continue
            if obj is _ABSENT or not (callable(obj) or isinstance(obj, types.ModuleType)
                                      or structure_kind(obj) in ("object", "dataclass")):
                continue  # numbers and arrays are read when the gradient runs (an object's
                #           methods may be inlined: MODEL.loss(w, x))
            found.append((g, name, obj))
            if isinstance(obj, types.FunctionType):
                todo.append(obj)
    return found


class _Items:
    """The functions a module-level list or tuple holds, which code walking it was written
    out for (frontend/function_loops.py): valid while it holds the same ones."""

    def __init__(self, items):
        self.items = tuple(items)

    def remembered(self):
        return _Items(weakref.ref(x) if isinstance(x, types.FunctionType) else x
                      for x in self.items)

    def same(self, other):
        return isinstance(other, _Items) and len(self.items) == len(other.items) and all(
            (a() if isinstance(a, weakref.ref) else a) is b
            for a, b in zip(self.items, other.items))


def _remember(depends):
    # functions are held weakly: the cache must not keep the user's functions alive
    return [(weakref.ref(g), name, weakref.ref(obj) if isinstance(obj, types.FunctionType)
             else obj.remembered() if isinstance(obj, _Items) else obj)
            for g, name, obj in depends]


def _unchanged(remembered, depends):
    if len(remembered) != len(depends):
        return False
    for (g_ref, name, obj_ref), (g, name2, obj) in zip(remembered, depends):
        if isinstance(obj_ref, weakref.ref):
            obj_ref = obj_ref()
        if g_ref() is not g or name != name2:
            return False
        if not (obj_ref.same(obj) if isinstance(obj_ref, _Items) else obj_ref is obj):
            return False
    return True


_ABSENT = object()


def _ndims(args):
    """The specialisation key of a call: for each positional argument 0 for a number,
    (ndim, full, narrow) for an array (full: no axis of length 1; narrow: floats of less
    than 64 bits, whose gradient is converted back to their precision where the code
    computes in float64), None when unknown.

    A 0-d array is (None, False, narrow): an array (it can be changed in place, see
    aliasing.check_rebindings) of unknown ndim, so that its gradient comes back as an
    array, as the general code ensures."""
    return tuple(0 if type(a) in _NUMBERS else (
        (a.ndim or None), a.ndim > 0 and 1 not in a.shape,
        a.dtype.kind == "f" and a.dtype.itemsize < 8)
        if type(a) is np.ndarray else None for a in args)


def _dispatcher(transform, form, name, trailing=None):
    """``lookup(args, kwargs)``: the compiled variant of ``form`` (or what ``form(key)``
    makes) for a call's arguments (those given by keyword in their positions), once they
    are checked (see ``_Arguments``).

    Calls without keywords are looked up by the types of their arguments and, for
    arrays, by ``_array_kinds``: the checks of positional arguments run once per
    combination of those (not for structures, looked up each time)."""
    if callable(form):   # make(transform, key): the callable for argument ndims key
        variants, make = {}, form
    else:
        variants = {}
        make = functools.partial(_compiled, form=form)
    by_types, by_kinds = {}, {}
    check = _Arguments(transform, name, trailing)

    def variant(values, kwargs):
        """The callable for the arguments ``values`` (positional, with those given by
        keyword in their positions), and whether any differentiated one is a structure."""
        t, key, structured = _specialisation(transform, check, values, kwargs)
        fn = variants.get((id(t), key))
        if fn is None:
            fn = variants[(id(t), key)] = make(t, key)
        return fn, structured

    def lookup(args, kwargs=None):
        if kwargs:   # arguments by keyword count as in their positions
            check.keywords(kwargs)
            check.positional(args)
            return variant(list(args) + [kwargs.get(p) for p in
                                         check.params_in_order[len(args):]], kwargs)[0]
        types = tuple(map(type, args))
        fn = by_types.get(types)
        if fn is not None:
            if not _PLAIN.issuperset(types):   # (a dict's or list's items: at every call)
                check.containers(args)
            return fn
        arrays = np.ndarray in types
        if arrays:
            kinds = _array_kinds(args)
            fn = by_kinds.get(kinds)
            if fn is not None:
                if not _PLAIN.issuperset(types):
                    check.containers(args)
                return fn
        check.positional(args)
        fn, structured = variant(args, None)
        if not structured:
            if arrays:
                by_kinds[kinds] = fn
            else:
                by_types[types] = fn
        return fn

    return lookup


def _array_kinds(args):
    """For each argument that is an ndarray its ndim, whether an axis has length 1 and its
    dtype's character (float32 is not float64: all that its check and ``_ndims`` depend
    on), for the others its type."""
    return tuple([(a.ndim, 1 in a.shape, a.dtype.char) if type(a) is np.ndarray else type(a)
                  for a in args])


def _specialisation(transform, check, values, kwargs):
    """(transform, ndims key, structured) for a call with arguments ``values`` (positional,
    with those given by keyword in their positions): the transform specialised to the
    structure of the differentiated arguments that are structures, the ndims of the
    leaves."""
    trees = check.structures(values, kwargs)
    if not trees:
        return transform, _ndims(values), False
    leaves = []
    for p, v in zip(check.params_in_order, values):
        found = leaf_values(trees[p], v) if p in trees else [v]
        if p in trees and any(np.iscomplexobj(leaf) for leaf in found):
            # (its leaves become parameters of their own, which no other check sees)
            raise TypeError(f"argument {p!r} of {check.function}() holds complex values: "
                            f"adcompile differentiates real-valued functions of real "
                            f"arguments; pass the real and imaginary parts as separate real "
                            f"values")
        leaves.extend(found)
    made = transform.specialised(trees)
    while made.static_needs:   # (ints its loops over structures need: read at each call)
        statics = dict(made.statics)
        statics.update((need, _given_int(made, need, check, values, kwargs, trees))
                       for need in made.static_needs)
        made = transform.specialised(trees, statics)
    return made, _ndims(leaves), True


def _given_int(transform, need, check, values, kwargs, trees):
    """The int a call gives for ``need`` (a descriptor: frontend/static_ints.py), that a
    loop over a structure in ``transform`` needs: the value of an argument (or its
    default), of an int in a structure passed, or of a module-level name, now."""
    kind, name = need[0], need[1]
    if kind == "free":
        value = transform.source.resolve(name, None)
    else:
        at = check.params_in_order.index(name) if name in check.params_in_order else None
        value = (kwargs or {}).get(name, values[at] if at is not None and at < len(values)
                                   else None)
        if kind == "leaf":
            value = leaf_values(trees[name], value)[need[2]]
        elif value is None:
            value = inspect.signature(transform.source.func).parameters[name].default
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    raise TransformError(f"{transform.deferred}\n({_described(need)} is {value!r} at this "
                         f"call, not an int)")


def _described(need):
    if need[0] == "leaf":
        return f"an item of argument {need[1]!r}"
    return f"{'argument' if need[0] == 'param' else 'the module-level name'} {need[1]!r}"


def _compiled(transform, key, form):
    return transform.compiled(key, form)


class _Arguments:
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
            if kind is not None and (p in self.wrt or _holds_object(value)):
                found[p] = structure(value)
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
        if kind in _NUMBERS:
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


def _check_structure(function, param, value):
    """Refuse a structure for a differentiated parameter that holds something no gradient
    can be given for (complex numbers, itself)."""
    try:
        node = structure(value)
    except StructureError as exc:
        raise TypeError(f"argument {param!r} of {function}(): {exc}") from None
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


def _scalar_seed(kind, function):
    """``scalar_seed(value)``: 1.0, the seed of the reverse sweep of ``kind`` ("grad",
    "value_and_grad") of ``function``, when ``value`` is a scalar; else a ValueError."""

    def scalar_seed(value):
        if type(value) is float:
            return 1.0
        if isinstance(value, complex) or getattr(value, "dtype", None) is not None \
                and getattr(value.dtype, "kind", None) == "c":
            raise ValueError(f"{function}() returned a complex value, {value!r}: adcompile "
                             f"differentiates real-valued functions only")
        if isinstance(value, (np.ndarray, np.generic, int, float)) and np.ndim(value) == 0:
            return 1.0
        if getattr(value, "shape", None) == () and hasattr(value, "__array_function__"):
            return 1.0   # a 0-d array of another library (Dask), not computed to check it
        shape = getattr(value, "shape", None)
        what = f"a value of shape {shape}" if isinstance(shape, tuple) \
            else f"a {type(value).__name__}"
        raise ValueError(f"{kind} requires {function}() to return a scalar, but it returned "
                         f"{what}; use ad.vjp to pull back a non-scalar output")

    scalar_seed.numba_equivalent = "scalar_seed"   # (what backend="numba" compiles instead)
    return scalar_seed


_checked_lock = threading.Lock()


def _checked_code(transform, key, kind):
    """(text, aliases, extra) of the code ``_checked`` compiles, made once per transform,
    ``key`` and ``kind`` (``.source`` shows it without compiling it)."""
    with _checked_lock:
        per_transform = transform.checked_variants
        made = per_transform.get(("code", kind, key))
        if made is not None:
            return made
    node, _, aliases, extra = transform.generate_def(key, "vjp")
    name = f"{kind}_{transform.source.name}"
    taken = names_mentioned([node])
    seed = "scalar_seed"
    while seed in taken or seed in aliases.values():
        seed += "_"

    def seed_statements(value):
        call = ast.Call(func=ast.Name(id=seed, ctx=ast.Load()), args=[value], keywords=[])
        return [ast.Assign(targets=[ast.Name(id="out_bar", ctx=ast.Store())], value=call)]

    with without_cycle_collection():   # (it parses and unparses the code: see compiler.py)
        tree = seeded_def(node, name, seed_statements, gradients_only=kind == "grad",
                          has_aux=transform.has_aux)
        code = to_source(tree)
    extra = dict(extra or {}, **{seed: _scalar_seed(kind, transform.source.name)})
    with _checked_lock:   # (the def, for _checked to compile without parsing the text)
        per_transform.setdefault(("def", kind, key), tree)
        return per_transform.setdefault(("code", kind, key), (code, aliases, extra))


def _checked(transform, key, kind):
    """The code of ``kind`` ("grad": the gradient, "value_and_grad": value and gradient)
    for argument ndims ``key`` when the value is not known to be a scalar: the vjp code
    with no out_bar parameter, whose reverse sweep starts only once ``scalar_seed`` has
    seen the value (a non-scalar value is a ValueError, never a gradient of it)."""
    code, aliases, extra = _checked_code(transform, key, kind)
    with _checked_lock:
        per_transform = transform.checked_variants
        fn = per_transform.get((kind, key))
        if fn is not None:
            return fn
        tree = per_transform.pop(("def", kind, key), None)
        with without_cycle_collection():
            fn = compile_function(code, f"{kind}_{transform.source.name}", transform.source,
                                  aliases, extra, tree=tree)
        fn.source = code
        per_transform[(kind, key)] = fn
        return fn


def _general_source(transform, kind):
    """The general code (for arguments of any shape) that a callable of ``kind`` ("grad",
    "value_and_grad", "vjp", "jvp") runs: what its ``.source`` holds."""
    if transform.deferred is not None:
        return (f"# The code of {kind}_{transform.source.name} depends on the structure of "
                f"{', '.join(transform.structured_by or transform.wrt)}:\n"
                f"# ad.show({transform.source.name}, "
                f"args=(...)) shows it for example arguments.\n")
    if kind in ("vjp", "jvp"):
        return transform.generate((), kind)[0]
    if transform.returns_number(()):
        return transform.generate((), "grad" if kind == "grad" else "vjp")[0]
    return _checked_code(transform, (), kind)[0]


def _docstring(f, transform, kind):
    """The docstring of the callable of ``kind`` that adcompile made of ``f``: what it
    computes, with respect to what, and its signature."""
    wrt = list(transform.wrt)
    params = ", ".join(str(p) for p in wrt)
    respect = f"with respect to {params}" if len(wrt) == 1 else f"with respect to ({params})"
    try:
        signature = str(inspect.signature(f))[1:-1]
    except (TypeError, ValueError):
        signature = "*args"
    fname = transform.source.name   # a lambda's is the name it is assigned to
    name = f"{kind}_{fname}"
    gradient = "the gradient" if not transform.wrt_tuple \
        else f"a tuple of gradients, one per parameter ({params})"
    if kind == "grad":
        head = f"{name}({signature}) -> {gradient}"
        body = (f"The gradient of {fname}() {respect}. It takes {fname}'s arguments "
                f"(by position or keyword); {fname}() must return a scalar. There is no "
                f"out_bar argument: ad.vjp pulls back another adjoint of the value.")
    elif kind == "value_and_grad":
        head = f"{name}({signature}) -> (value, {gradient})"
        body = (f"The value of {fname}() and its gradient {respect}, in one sweep; "
                f"{fname}() must return a scalar. There is no out_bar argument.")
    elif kind == "vjp":
        head = f"{name}({signature + ', ' if signature else ''}out_bar) -> (value, {gradient})"
        body = (f"The value of {fname}() and the vector-Jacobian product {respect}: the "
                f"gradient of the sum of out_bar times the value. out_bar, the adjoint of the "
                f"value (the value's shape, a tuple for a tuple), comes last by position or as "
                f"the keyword out_bar=.")
    else:
        head = f"{name}({signature + ', ' if signature else ''}tangents) -> (value, value_dot)"
        body = (f"Forward mode: the value of {fname}() and its directional derivative "
                f"when {params} move along tangents (one tangent per parameter: a tuple for a "
                f"tuple wrt), which come last by position or as the keyword tangents=.")
    return (f"{head}\n\n{body}\n\nGenerated by adcompile; .source holds the generated code "
            f"it runs (the general version, for arguments of any shape), .__wrapped__ is "
            f"{fname}.")


class _Shared:
    """What every callable of one kind (``grad_f``, ...) made of one transform shares, made
    once, so that ``ad.grad(f)(x)`` written inline costs little more than the call: the
    dispatcher ``lookup`` (with what it has checked and compiled), the ``.source`` (the
    general code, made the first time it is read: see generated.py) and the docstring, and
    the function each callable calls (for ``grad`` and ``value_and_grad``, see
    fastpath.py). Nothing here refers to ``f`` (the transform holds it, and the cache must
    not keep ``f`` alive) nor to the transform but weakly (the transform holds this)."""

    def __init__(self, transform, kind, name, doc, lookup):
        self.lookup = lookup
        self._transform, self._kind = weakref.ref(transform), kind
        self._source = None
        self._lock = threading.Lock()
        self.doc = doc
        self.name = name
        self.template = None
        self.numba = None   # backend="numba": the backend's Report

    @property
    def source(self):
        if self._source is None:
            with self._lock:
                if self._source is None:
                    # (a callable reading it holds the transform, which is alive then)
                    self._source = Code(_general_source(self._transform(), self._kind))
        return self._source


def _shared(transform, kind, make):
    """The ``_Shared`` of ``kind`` of ``transform``, ``make()`` the first time."""
    found = transform.callables.get(kind)
    if found is None:
        made = make()
        with _cache_lock:
            found = transform.callables.setdefault(kind, made)
    return found


def _finish(function, f, transform, shared, kind):
    """The ``Generated`` callable of ``kind`` made of ``f``, calling ``function``, with its
    name, docstring, ``__wrapped__`` and ``.source``: the general code of the function it
    calls, named as it is (``grad_f``: for ``grad`` the gradient code that checks the value
    is a scalar before the reverse sweep)."""
    made = Generated(function)
    functools.update_wrapper(made, f)
    made.__wrapped__ = f
    # what adcompile needs to differentiate the callable again (ad.grad(ad.grad(f)))
    made._adcompile = (transform, kind)
    made._shared = shared
    made.__name__ = made.__qualname__ = shared.name
    made.__doc__ = shared.doc
    if shared.numba is not None:
        made.numba = shared.numba
    return made


def _documented(f, transform, kind):
    """The docstring of the callable of ``kind`` made of ``f`` (see ``_docstring``)."""
    doc = _docstring(f, transform, kind)
    if transform.has_aux:
        doc += (f"\n\nhas_aux=True: {f.__name__}() returns (value, aux); only the value is "
                f"differentiated, and aux comes back beside the gradient (grad) or the "
                f"value (the others) as it was computed.")
    return doc


def _decorator(make, f, wrt, **options):
    if f is None:
        return lambda g: _unbound(make, g, wrt, **options)
    if isinstance(f, (int, str, tuple)) and not callable(f):
        raise TypeError("pass wrt by keyword: @ad.grad(wrt=...)")
    return _unbound(make, f, wrt, **options)


def _unbound(make, f, wrt, **options):
    """``make(f, wrt, **options)``; for a partial, a bound method or a callable object
    (see callables.py), what ``make`` makes of its function, with the same arguments bound
    and ``wrt`` counted among the parameters ``f`` leaves open."""
    bound = unbind(f)
    if bound is None:
        return make(f, wrt, **options)
    return rebound(make(bound.func, open_wrt(f, wrt), **options), bound, f)


def checkpoint(f: Function | None = None, every: int | str = "sqrt") -> Function:
    """Mark ``f`` so that its gradients recompute instead of keeping every step of its
    loops: usable as ``@ad.checkpoint`` or ``@ad.checkpoint(every=100)``.

    In the gradient code, each top-level ``for`` loop of ``f`` that may run again (its
    body only computes values: no print, no random numbers, no list it appends to, no
    break) keeps, every ``every`` steps, only the values its iterations carry; the
    backward sweep runs each segment of steps again from its checkpoint before reversing
    it. ``every="sqrt"``: the square root of the number of steps, so memory grows as
    sqrt(steps) for one more forward sweep. Other loops keep every step, as without the
    mark; ``ad.show`` shows which are checkpointed. Returns ``f`` itself, marked."""
    if not (every == "sqrt" or type(every) is int and every >= 1):
        raise ValueError(f"every must be a positive int or 'sqrt', not {every!r}")

    def mark(g):
        if getattr(g, "__code__", None) is None or getattr(g, "_adcompile", None) is not None:
            raise TypeError(f"ad.checkpoint marks a Python function, not {g!r}")
        setattr(g, CHECKPOINT, every)
        return g

    return mark if f is None else mark(f)


def grad(f: Function | None = None, wrt: Wrt = 0, has_aux: bool = False,
         backend: str | None = None) -> Function:
    """The gradient of scalar-valued ``f`` with respect to parameter(s) ``wrt``.

    Usable as ``ad.grad(f)``, ``@ad.grad`` or ``@ad.grad(wrt=("x", "y"))``. The result
    takes ``f``'s arguments and returns one gradient, or a tuple when ``wrt`` is a tuple.
    With ``has_aux=True``, ``f`` ends with ``return value, aux``: only the value is
    differentiated and the result is ``(gradient, aux)``, aux as ``f`` computed it.
    ``backend="numba"``: the generated code is compiled by numba (nopython mode) at each
    specialisation's first call; code numba cannot compile runs as plain Python, with a
    ``NumbaFallbackWarning`` saying why (see adcompile/backend/jit.py). The callable's
    ``.numba`` reports compile times and fallbacks.
    """
    return _decorator(_make_grad, f, wrt, has_aux=has_aux, backend=check_backend(backend))


def _require_scalar_output(transform, f):
    if transform.tuple_output:
        raise ValueError(f"grad requires {f.__name__}() to return a scalar, but it returns a "
                         f"tuple; use ad.vjp to pull back a non-scalar output")


def _make_grad(f, wrt, has_aux=False, backend=None):
    return _make_gradient(f, wrt, has_aux, "grad", backend)


def _make_gradient(f, wrt, has_aux, kind, backend=None):
    """The callable of ``kind`` ("grad" or "value_and_grad") made of ``f``: a copy of the
    function its transform's callables of that kind (and backend) share, made once per
    transform (``ad.grad(f)(x)`` written in a loop finds it again)."""
    transform = _transform(f, wrt, has_aux)
    _require_scalar_output(transform, f)
    shared = _shared(transform, (kind, backend),
                     lambda: _gradient_shared(f, transform, kind, backend))
    return _shared(transform, (kind, backend, "callable"),
                   lambda: _finish(shared.template, f, transform, shared, kind))


def _gradient_shared(f, transform, kind, backend=None):
    """The ``_Shared`` of a gradient: its function has ``f``'s parameters and a fast path
    for numbers where ``f``'s parameters allow (fastpath.py); else it takes ``*args,
    **kwargs``."""
    form = "grad" if kind == "grad" else "vjp"
    report = Report() if backend == "numba" else None

    def make(transform, key):
        """The gradient code for argument ndims ``key``: the code that computes no value
        where the value is known to be a number, else the code that checks that it is one
        before its reverse sweep; with the numba backend, that code compiled by numba."""
        if transform.returns_number(key):
            python = transform.compiled(key, form)
            if report is None:
                return python
            (text, name, aliases, extra), then = _numba_codes(transform, key, form)
        else:
            python = _checked(transform, key, kind)
            if report is None:
                return python
            text, aliases, extra = _checked_code(transform, key, kind)
            name, then = f"{kind}_{transform.source.name}", None
        return report.compiled(python, text, name, transform.source, aliases, extra, key,
                               then)

    name = f"{kind}_{transform.source.name}"
    lookup = _dispatcher(transform, make, name)
    shared = _Shared(transform, kind, name, _documented(f, transform, kind), lookup)
    shared.numba = report
    params = plain_parameters(transform.source.node.args)
    if params is None:
        def gradient(*args, **kwargs):
            return lookup(args, kwargs)(*args, **kwargs)

        shared.template = gradient
        return shared
    path = None

    def general(args, kwargs):
        fn = lookup(args, kwargs)
        if not kwargs and _NUMBERS.issuperset(map(type, args)):
            if report is not None:   # numba: its compiled code, once it compiled for these
                result = fn(*args)
                path.remember(args, fn.for_types_seen() or fn)
                return result
            path.remember(args, fn)
        return fn(*args, **kwargs)

    path = NumberPath(name, params, general, closure=transform.source.closure)
    shared.template = path.function()
    return shared


def value_and_grad(f: Function | None = None, wrt: Wrt = 0, has_aux: bool = False,
                   backend: str | None = None) -> Function:
    """Like ``grad``, but the callable returns ``(f(*args), gradient)``; with ``has_aux``,
    ``((value, aux), gradient)``. ``backend``: as for ``grad``."""
    return _decorator(_make_value_and_grad, f, wrt, has_aux=has_aux,
                      backend=check_backend(backend))


def _make_value_and_grad(f, wrt, has_aux=False, backend=None):
    return _make_gradient(f, wrt, has_aux, "value_and_grad", backend)


def vjp(f: Function | None = None, wrt: Wrt = 0, has_aux: bool = False,
        backend: str | None = None) -> Function:
    """Vector-Jacobian product: a callable ``(*args, out_bar)`` returning ``(value, gradient)``.

    ``out_bar`` has the structure of ``f``'s output and is passed as the last
    positional argument or as the keyword ``out_bar=``. With ``has_aux``, ``f`` returns
    ``value, aux``, ``out_bar`` is the adjoint of the value and the callable returns
    ``((value, aux), gradient)``. ``backend``: as for ``grad``.
    """
    return _decorator(_make_vjp, f, wrt, has_aux=has_aux, backend=check_backend(backend))


def _trailing(args, kwargs, name, missing):
    """The argument passed as keyword ``name`` or else as the last positional one (removed
    from ``kwargs`` or ``args``), and the remaining positional arguments."""
    if name in kwargs:
        return kwargs.pop(name), args
    if args:
        return args[-1], args[:-1]
    raise TypeError(missing)


def _make_vjp(f, wrt, has_aux=False, backend=None):
    transform = _transform(f, wrt, has_aux)
    shared = _shared(transform, ("vjp", backend), lambda: _vjp_shared(f, transform, backend))
    lookup = shared.lookup

    def pullback(*args, **kwargs):
        out_bar, args = _trailing(args, kwargs, "out_bar",
                                  f"vjp of {f.__name__}() needs out_bar (the adjoint of its output)")
        return lookup(args, kwargs)(*args, out_bar=out_bar, **kwargs)

    return _finish(pullback, f, transform, shared, "vjp")


def _numba_form(transform, key, form):
    """The form of the code numba compiles for ``form`` and argument kinds ``key``: for
    code with loops or float32 arrays, the gradient code made for differentiating again
    (one list per saved variable, one type each; loops as written, see backend/jit.py; a
    seed of the arrays' precision); else, and for a function ad.checkpoint marked, the
    code Python runs (which computes no value for its shape alone, as the other does)."""
    loops = any(isinstance(s, ir.Loop) for s in ir.walk(transform.normal.body))
    return "grad2" if form == "grad" and transform.checkpoint is None \
        and (_narrow(key) or loops) else form


def _narrow(key):
    """Whether argument kinds ``key`` (``_ndims``) have a float32 array."""
    return any(isinstance(n, tuple) and n[2] for n in key)


def _numba_codes(transform, key, form):
    """The code numba compiles first for ``form`` and argument kinds ``key`` ((text, name,
    aliases, extra)), and a function giving the code to compile where numba refuses it
    (or None). Code with loops whose reversed loops were split (loop fission: the Python
    code calls ``step_arrays``) is tried as Python runs it, numba's step helpers compiling
    its steps stacked into arrays (backend/numba_steps.py), before the form ``_numba_form``
    picks; other code is that form alone."""
    wanted = _numba_form(transform, key, form)

    def generated():
        try:
            return transform.generate(key, wanted)
        except TransformError:
            # (code that cannot be differentiated again, as lists loops pass on: the
            # code Python runs, which numba compiles or refuses, saying why)
            return transform.generate(key, form)

    if wanted != form and not _narrow(key):
        code = transform.generate(key, form)
        if _calls(code[0], code[2].get("step_arrays")):
            def then():
                other = generated()
                return None if other[0] == code[0] else other
            return code, then
    return generated(), None


def _calls(text, name):
    """Whether the code ``text`` calls the function named ``name``."""
    return name is not None and any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name
        for n in ast.walk(ast.parse(text)))


def _vjp_shared(f, transform, backend):
    """The ``_Shared`` of a vjp; with the numba backend, its code compiled by numba."""
    name = f"vjp_{transform.source.name}"
    form, report = "vjp", None
    if backend == "numba":
        report = Report()

        def form(transform, key):
            text, code_name, aliases, extra = transform.generate(key, "vjp")
            return report.compiled(transform.compiled(key, "vjp"), text, code_name,
                                   transform.source, aliases, extra)

    shared = _Shared(transform, "vjp", name, _documented(f, transform, "vjp"),
                     _dispatcher(transform, form, name, trailing="out_bar"))
    shared.numba = report
    return shared


def show(f: Function, wrt: Wrt | None = None, mode: str | None = None,
         args: Sequence[Any] | None = None, stage: str | None = None,
         has_aux: bool = False, side_by_side: bool = False) -> Code | SideBySide:
    """The generated gradient code of ``f`` as a string (a ``str`` that Jupyter shows as
    highlighted code: see ``backend.display.Code``).

    With ``args`` (example positional arguments), the code specialised to their
    dimensions, as a call with them runs it; without, the general code that
    ``build`` writes and that works for any shapes.  ``wrt`` and ``mode`` default to
    the first argument and reverse mode or, for a function adcompile made
    (``show(ad.grad(f, wrt=(0, 1)))``, ``show(ad.jvp(f))``), to what it was made for.
    With ``stage`` (the name of a pass: "desugar", "normalize", "reverse", "prune_tape", ...;
    see adcompile/pipeline.py), the code as that pass left it, for debugging. ``has_aux``: ``f``
    returns ``value, aux`` (see ``grad``); the code shown returns the aux too. With
    ``side_by_side``, a ``SideBySide`` (a ``str`` too): the original source in one column
    and the code in the other, as text and, in a notebook, as an HTML table.
    """
    if side_by_side:
        code = show(f, wrt, mode, args, stage, has_aux)
        original = getattr(f, "__wrapped__", f)
        return SideBySide(original_source(f), code,
                          (f"{getattr(original, '__name__', 'f')} (original)", "generated"))
    bound = unbind(f)
    if bound is not None:   # wrt among the open parameters; none: what it was made for
        made = getattr(bound.func, "_adcompile", None)
        keep = wrt is None and made is not None and not (made[1] == "grad"
                                                         and mode == "forward")
        return show(bound.func, None if keep else open_wrt(f, 0 if wrt is None else wrt),
                    mode, None if args is None else bound.args + tuple(args), stage, has_aux)
    made = getattr(f, "_adcompile", None)
    if mode is None:
        mode = "forward" if made is not None and made[1] == "jvp" else "reverse"
    if mode not in ("reverse", "forward"):
        raise ValueError(f"mode must be 'reverse' or 'forward', not {mode!r}")
    form = "grad" if mode == "reverse" else "jvp"
    if made is not None and made[1] == "grad" and mode == "forward":
        # forward mode of a gradient: the Hessian-vector product code (forward over reverse)
        transform = _transform(f, 0 if wrt is None else wrt)
    elif made is not None and wrt is None:
        transform = made[0]
    else:
        transform = _transform(getattr(f, "__wrapped__", f), 0 if wrt is None else wrt,
                               has_aux)
    key = ()
    if args is not None:
        transform, key, _ = _specialisation(transform, _Arguments(transform, "show", None),
                                            list(args), None)
    if stage is not None:
        return Code(transform.stage(key, form, stage))
    if transform.has_aux and form == "grad":   # the gradient code that returns the aux
        return Code(_checked_code(transform, key, "grad")[0])
    return Code(transform.generate(key, form)[0])


def check_grad(f: Function, *args: Any, wrt: Wrt = 0, eps: float = 1e-6, rtol: float = 1e-5,
               atol: float = 1e-6) -> float:
    """Compare adcompile's gradient of ``f`` at ``args`` with central finite differences.

    Raises AssertionError naming the worst entry on a mismatch; returns the
    largest absolute error otherwise.
    """
    from .checking import compare_with_finite_differences
    f = getattr(f, "__wrapped__", f)
    if unbind(f) is not None:   # a partial, a bound method: wrt among its open parameters
        names = open_wrt(f, wrt)
        names = names if isinstance(names, tuple) else (names,)
        positional = [p.name for p in open_parameters(f)
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        grads = grad(f, wrt=names)(*args)
        return compare_with_finite_differences(f, args, positional, names, grads, eps, rtol,
                                               atol)
    transform = _transform(f, wrt)
    grads = grad(f, wrt=tuple(transform.wrt))(*args)
    return compare_with_finite_differences(f, args, transform.source.positional_params,
                                           transform.wrt, grads, eps, rtol, atol)


def build(f_or_list: Function | Sequence[Function], path: str | os.PathLike[str], wrt: Wrt = 0,
          force: bool = False, args: Sequence[Any] | None = None) -> Path:
    """Write a standalone module with ``grad_<name>(*args, out_bar=1.0)`` for each function;
    return its path. The file gets the mode of a new file (0o666 less the umask), or keeps
    that of the module it replaces; a file adcompile did not write is overwritten only with
    ``force``. ``args``: example arguments, which give the structure of differentiated
    arguments that are structures (dicts, lists, ... of arrays); the code works for any
    shapes of their arrays."""
    funcs = _functions(f_or_list)
    return build_module(funcs, path, lambda f: _for_build(f, wrt, args), force)


def build_source(f_or_list: Function | Sequence[Function], wrt: Wrt = 0,
                 directory: str | os.PathLike[str] | None = None,
                 args: Sequence[Any] | None = None) -> str:
    """The text ``build`` writes (``adcompile build -o -`` prints it). ``directory``: the
    folder the module will be in (by default the current one), where a primitive's module
    loaded from a file path must be found."""
    return module_source(_functions(f_or_list), lambda f: _for_build(f, wrt, args), directory)


def _for_build(f, wrt, args):
    """The transform ``build`` writes the code of: specialised to the structures in
    ``args``, if any."""
    transform = _transform(f, wrt)
    if args is not None:
        check = _Arguments(transform, f"build of {f.__name__}", None)
        check.positional(list(args))
        transform = _specialisation(transform, check, list(args), None)[0]
    transform._require_normal()
    return transform


def _functions(f_or_list):
    funcs = list(f_or_list) if isinstance(f_or_list, (list, tuple)) else [f_or_list]
    funcs = [getattr(f, "__wrapped__", f) for f in funcs]
    for f in funcs:
        if unbind(f) is not None:
            raise TypeError(f"build writes gradients of functions, and {describe(f)} binds "
                            f"arguments a module cannot hold; build {unbind(f).func.__name__} "
                            f"itself (wrt counting all of its parameters) and pass the bound "
                            f"arguments when calling its gradient")
    return funcs


def jvp(f: Function | None = None, wrt: Wrt = 0, has_aux: bool = False) -> Function:
    """Forward mode: a callable ``(*args, tangents)`` returning ``(value, value_dot)``, the
    derivative of ``f`` at ``args`` along ``tangents`` (one per ``wrt`` parameter, a tuple
    when ``wrt`` is a tuple), passed as the last positional argument or as ``tangents=``.
    With ``has_aux``, ``f`` returns ``value, aux`` and the callable ``((value, aux),
    value_dot)``."""
    return _decorator(_make_jvp, f, wrt, has_aux=has_aux)


def _make_jvp(f, wrt, has_aux=False):
    transform = _transform(f, wrt, has_aux)
    shared = _shared(transform, "jvp", lambda: _Shared(
        transform, "jvp", f"jvp_{transform.source.name}", _documented(f, transform, "jvp"),
        _dispatcher(transform, "jvp", f"jvp_{transform.source.name}", trailing="tangents")))
    lookup = shared.lookup

    def pushforward(*args, **kwargs):
        tangents, args = _trailing(args, kwargs, "tangents",
                                   f"jvp of {transform.source.name}() needs tangents (one "
                                   f"per wrt parameter)")
        fn = lookup(args, kwargs)
        n = len(transform.wrt)
        if not transform.wrt_tuple:
            tangents = (tangents,)
        elif not isinstance(tangents, (tuple, list)) or len(tangents) != n:
            raise ValueError(f"jvp of {transform.source.name}() with "
                             f"wrt={tuple(transform.wrt)} needs a tuple of {n} tangents")
        kwargs.update(zip(fn.tangent_names, _leaf_tangents(fn.trees, transform.wrt, tangents,
                                                           transform.source.name)))
        return fn(*args, **kwargs)

    return _finish(pushforward, f, transform, shared, "jvp")


def _leaf_tangents(trees, wrt, tangents, function):
    """The tangents of the leaves differentiated, in order: a structured parameter's tangent
    has its structure."""
    flat = []
    for p, tangent in zip(wrt, tangents):
        node = trees.get(p)
        if node is None:
            flat.append(tangent)
            continue
        try:
            values = leaf_values(node, tangent)
        except (KeyError, IndexError, AttributeError, TypeError):
            raise ValueError(f"the tangent of {p!r} in jvp of {function}() must have the "
                             f"structure of {p} ({node.describe()})") from None
        flat += [v for leaf, v in zip(node.leaves(), values) if leaf.differentiable]
    return flat


def jacobian(f: Function, wrt: Wrt = 0, mode: str | None = None) -> Function:
    """The dense Jacobian of ``f``: a callable returning an array of shape
    ``output shape + input shape`` (a tuple of them when ``wrt`` is a tuple).

    Reverse mode costs one backward sweep per output entry, forward mode one tangent
    sweep per input entry; ``mode=None`` picks the cheaper: reverse when the output has
    no more entries than the inputs together, forward otherwise."""
    if mode not in (None, "forward", "reverse"):
        raise ValueError(f"mode must be None, 'forward' or 'reverse', not {mode!r}")
    bound = unbind(f)
    if bound is not None:
        return rebound(jacobian(bound.func, open_wrt(f, wrt), mode), bound, f)
    transform = _transform(f, wrt)
    if transform.tuple_output:
        raise ValueError(f"jacobian needs {f.__name__}() to return one array, not a tuple")
    signature = inspect.signature(f)   # (a gradient's: its function's, via __wrapped__)
    check = _Arguments(transform, f"jacobian_{f.__name__}", None)
    as_tuple = tuple(wrt) if isinstance(wrt, (tuple, list)) else (wrt,)
    sweeps = {}   # "reverse" -> the vjp, "forward" -> the jvp, made on first use

    def sweep(how):
        if how not in sweeps:
            sweeps[how] = (vjp if how == "reverse" else jvp)(f, wrt=as_tuple)
        return sweeps[how]

    def jacobian_of(*args, **kwargs):
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:   # arguments f does not take
            raise TypeError(f"jacobian_{f.__name__}(): {exc}") from None
        bound.apply_defaults()
        inputs = [bound.arguments[p] for p in transform.wrt]
        for p, x in zip(transform.wrt, inputs):
            check.value(p, x)
        value = f(*args, **kwargs)
        n_out = sum(int(np.size(v)) for v in _flat(value)[1])
        n_in = sum(int(np.size(v)) for x in inputs for v in _flat(x)[1])
        how = mode or ("reverse" if n_out <= n_in else "forward")
        blocks = (_jacobian_reverse if how == "reverse" else _jacobian_forward)(
            sweep(how), args, kwargs, inputs, value)
        blocks = [_blocks_in_structure(value, x, b) for x, b in zip(inputs, blocks)]
        return tuple(blocks) if transform.wrt_tuple else blocks[0]

    functools.update_wrapper(jacobian_of, f)
    jacobian_of.__name__ = jacobian_of.__qualname__ = f"jacobian_{f.__name__}"
    jacobian_of.__doc__ = (
        f"jacobian_{f.__name__}{_signature_text(f)} -> the Jacobian of {f.__name__}() with "
        f"respect to {', '.join(map(str, transform.wrt))}: an array of shape output shape + "
        f"input shape{' (a tuple of them, one per parameter)' if transform.wrt_tuple else ''}"
        f", by {mode or 'the cheaper'} mode{'' if mode else ' (reverse or forward)'}.\n\n"
        f"Made by adcompile; .__wrapped__ is {f.__name__}.")
    return jacobian_of


def _signature_text(f):
    try:
        return str(inspect.signature(f))
    except (TypeError, ValueError):
        return "(*args)"


def _basis(like):
    """Unit vectors shaped like ``like`` (a Python float gives 1.0)."""
    if np.ndim(like) == 0 and not isinstance(like, np.ndarray):
        yield 1.0
        return
    e = np.zeros(np.shape(like))
    for k in range(e.size):
        e.flat[k] = 1.0
        yield e.copy()
        e.flat[k] = 0.0


def _flat(x):
    """(x's Node, or None for an array or number; the values of its differentiable
    leaves)."""
    if structure_kind(x) is None:
        return None, [x]
    node = structure(x)
    return node, [v for leaf, v in zip(node.leaves(), leaf_values(node, x))
                  if leaf.differentiable]


def _unflat(like, values):
    """``like`` (a structure, array or number) with its differentiable leaves ``values``."""
    node = structure(like) if structure_kind(like) is not None else None
    return values[0] if node is None else with_leaves(node, like, iter(values))


def _zero(x):
    return 0.0 if np.ndim(x) == 0 and not isinstance(x, np.ndarray) else np.zeros(np.shape(x))


def _jacobian_reverse(pullback, args, kwargs, inputs, value):
    """The blocks ``[input][output leaf][input leaf]``, one backward sweep per entry of
    the output."""
    outs = _flat(value)[1]
    blocks = [[[] for _ in outs] for _ in inputs]
    for k, out in enumerate(outs):
        rows = []
        for e in _basis(out):
            seed = _unflat(value, [e if m == k else _zero(o) for m, o in enumerate(outs)])
            rows.append(pullback(*args, out_bar=seed, **kwargs)[1])
        for i, x in enumerate(inputs):
            columns = [_flat(r[i])[1] for r in rows]
            for j, leaf in enumerate(_flat(x)[1]):
                blocks[i][k].append(np.array([c[j] for c in columns]).reshape(
                    np.shape(out) + np.shape(leaf)))
    return blocks


def _jacobian_forward(push, args, kwargs, inputs, value):
    """The blocks ``[input][output leaf][input leaf]``, one tangent sweep per entry of the
    inputs."""
    outs = _flat(value)[1]
    zeros = [_unflat(x, [_zero(v) for v in _flat(x)[1]]) for x in inputs]
    blocks = [[[] for _ in outs] for _ in inputs]
    for i, x in enumerate(inputs):
        leaves = _flat(x)[1]
        for j, leaf in enumerate(leaves):
            columns = []
            for e in _basis(leaf):
                tangent = _unflat(x, [e if m == j else _zero(v) for m, v in enumerate(leaves)])
                tangents = tuple(tangent if n == i else z for n, z in enumerate(zeros))
                columns.append(_flat(push(*args, tangents=tangents, **kwargs)[1])[1])
            for k, out in enumerate(outs):
                stacked = np.array([np.asarray(c[k]) for c in columns]).reshape(
                    np.shape(leaf) + np.shape(out))
                # columns are indexed by the input entry: move the output axes to the front
                blocks[i][k].append(np.moveaxis(stacked, list(range(np.ndim(leaf))), list(
                    range(np.ndim(out), np.ndim(out) + np.ndim(leaf)))))
    return blocks


def _blocks_in_structure(value, x, blocks):
    """The Jacobian of ``value`` with respect to ``x`` from ``blocks[output leaf][input
    leaf]``: arrays for arrays; for structures, the output's structure of the input's
    structure of blocks (as JAX gives it)."""
    return _unflat(value, [_unflat(x, row) for row in blocks])


def hessian(f: Function, wrt: Wrt = 0, mode: str | None = None) -> Function:
    """The dense Hessian of scalar ``f``: the Jacobian of its generated gradient code. For
    one parameter an array of shape ``input shape + input shape``; for a tuple ``wrt`` a
    tuple of tuples of blocks, ``H[i][j]`` = d2f / dwrt_i dwrt_j of shape ``wrt_i shape +
    wrt_j shape`` (as JAX returns it). ``mode``: how that gradient code is differentiated,
    "reverse" (reverse over reverse) or "forward" (forward over reverse); by default
    reverse."""
    bound = unbind(f)
    if bound is not None:
        return rebound(hessian(bound.func, open_wrt(f, wrt), mode), bound, f)
    if not isinstance(wrt, (tuple, list)):
        return jacobian(grad(f, wrt=wrt), wrt=wrt, mode=mode or "reverse")
    wrt = tuple(wrt)
    _transform(f, wrt)   # (a bad wrt is refused here, before the rows are made)
    rows = [jacobian(grad(f, wrt=w), wrt=wrt, mode=mode or "reverse") for w in wrt]

    def hessian_of(*args, **kwargs):
        return tuple(row(*args, **kwargs) for row in rows)

    functools.update_wrapper(hessian_of, f)
    hessian_of.__name__ = hessian_of.__qualname__ = f"hessian_{f.__name__}"
    hessian_of.__doc__ = (
        f"hessian_{f.__name__}{_signature_text(f)} -> the Hessian of {f.__name__}() with "
        f"respect to {wrt}: a tuple of tuples of blocks, H[i][j] the second derivative with "
        f"respect to wrt[i] and wrt[j], of shape wrt[i] shape + wrt[j] shape.\n\n"
        f"Made by adcompile; .__wrapped__ is {f.__name__}.")
    return hessian_of


def graph(f: Function, wrt: Wrt = 0, args: Sequence[Any] | None = None) -> Graph:
    """A picture of ``f``'s computation and its adjoints, as the lectures draw it: a
    ``backend.graph.Graph`` (``.dot()``: DOT text, ``.mermaid()``, ``.render("svg")`` and
    ``.save(path)`` with Graphviz; a notebook shows the SVG when Graphviz is installed).
    Nodes are the parameters, one primitive each and the returned value; black edges the
    values, red dashed ones the adjoint terms, ``+`` nodes the sums where a value is read
    more than once. With ``args``, the adjoint terms are those of the code specialised to
    their dimensions (as ``show``)."""
    transform = _transform(getattr(f, "__wrapped__", f), wrt)
    key = ()
    if args is not None:   # (the structures among them too)
        transform, key, _ = _specialisation(transform, _Arguments(transform, "graph", None),
                                            list(args), None)
    transform._require_normal()
    target = transform.target(key, "grad")
    return computation_graph(transform.normal, transform.aliases, target.param_ndims,
                             target.param_full)
