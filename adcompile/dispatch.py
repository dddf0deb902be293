"""Specialisation on the kinds of a call's arguments: each call runs the code made for the
number of dimensions of each positional argument (a Python number is 0-d), the way a
tracing compiler specialises on shapes, and for the structure of each differentiated
argument that is a structure (a dict, list, ... of arrays), and for the values a call gives
that its code needs when it is made (ints counting loops over structures, strings, bools,
None and functions choosing the functions it calls: frontend/static_ints.py,
static_choices.py), read again at each call. ``dispatcher`` finds that code for a call,
checking the arguments once per combination of their types.
"""

import functools
import inspect

import numpy as np

from .arguments import NUMBERS, Arguments
from .cache import require_current
from .errors import StaleGradient, TransformError
from .frontend.config_reads import UNREADABLE, follow, spelled
from .frontend.static_choices import CHOICE_TYPES, MISSING, is_choice_value
from .ir.trees import leaf_values

#: the types of arguments whose checks a call's types decide (see dispatcher)
_PLAIN = NUMBERS | {np.ndarray}
#: what a call given keywords passes, for the values it looks up, in the place of a
#: parameter it does not give (None may be given: see _given_value)
_ABSENT = object()   # (no __dict__: never an object of the user's, a structure)


def ndims(args):
    """The specialisation key of a call: for each positional argument 0 for a number,
    (ndim, full, narrow) for an array (full: no axis of length 1; narrow: floats of less
    than 64 bits, whose gradient is converted back to their precision where the code
    computes in float64), None when unknown.

    A 0-d array is (None, False, narrow): an array (it can be changed in place, see
    rebinding_checks.check_rebindings) of unknown ndim, so that its gradient comes back as an
    array, as the general code ensures."""
    return tuple(0 if type(a) in NUMBERS else (
        (a.ndim or None), a.ndim > 0 and 1 not in a.shape,
        a.dtype.kind == "f" and a.dtype.itemsize < 8)
        if type(a) is np.ndarray else None for a in args)


def dispatcher(transform, form, name, trailing=None):
    """``lookup(args, kwargs)``: the compiled variant of ``form`` (or what ``form(key)``
    makes) for a call's arguments (those given by keyword in their positions), once they
    are checked (see ``Arguments``).

    Calls without keywords are looked up by the types of their arguments and, for
    arrays, by ``_array_kinds``: the checks of positional arguments run once per
    combination of those (not for structures, looked up each time)."""
    if callable(form):   # make(transform, key): the callable for argument ndims key
        variants, make = {}, form
    else:
        variants = {}
        make = functools.partial(_compiled, form=form)
    by_types, by_kinds = {}, {}
    check = Arguments(transform, name, trailing)
    # the functions the code was made for (cache.py): checked at every call
    watched = getattr(transform, "watched", ((), ""))

    def variant(values, kwargs):
        """The callable for the arguments ``values`` (positional, with those given by
        keyword in their positions), and whether any differentiated one is a structure."""
        t, key, structured = specialisation(transform, check, values, kwargs)
        fn = variants.get((t, key))
        if fn is None:
            fn = variants[(t, key)] = _rereading(make(t, key), t)
        return fn, structured

    def lookup(args, kwargs=None):
        if watched[0]:
            require_current(watched)
        if kwargs:   # arguments by keyword count as in their positions
            check.keywords(kwargs)
            check.positional(args)
            return variant(list(args) + [kwargs.get(p, _ABSENT) for p in
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


def _rereading(fn, transform):
    """``fn``, the code of ``transform``, that reads again, after each call, the
    module-level settings its code was made for (config_reads.py): one the call changed
    (the function itself, or a helper, sets ``CONFIG["act"]``) raises StaleGradient, as
    the code read the value the call started with."""
    settings = [(need, value) for need, value in transform.statics.items()
                if need[0] == "read" and need[1] == "free"]
    if not settings:
        return fn

    def call(*args, **kwargs):
        result = fn(*args, **kwargs)
        for need, value in settings:
            now = follow(transform.source.resolve(need[2], UNREADABLE), need[3])
            if type(now) is not type(value) or now != value:
                raise StaleGradient(f"{spelled(need[2], need[3])} was {value!r} when the call "
                                    f"of the gradient of {transform.source.name}() began, "
                                    f"and is {_short(now)} at its end: its code is the "
                                    f"derivative for the first value", hint="change the "
                                    "setting between calls, not in the function")
        return result

    call.__dict__.update(getattr(fn, "__dict__", {}))   # (what the code's callable carries)
    return call


def _array_kinds(args):
    """For each argument that is an ndarray its ndim, whether an axis has length 1 and its
    dtype's character (float32 is not float64: all that its check and ``ndims`` depend
    on), for the others its type."""
    return tuple([(a.ndim, 1 in a.shape, a.dtype.char) if type(a) is np.ndarray else type(a)
                  for a in args])


def specialisation(transform, check, values, kwargs):
    """(transform, ndims key, structured) for a call with arguments ``values`` (positional,
    with those given by keyword in their positions): the transform specialised to the
    structure of the differentiated arguments that are structures, the ndims of the
    leaves; structured: whether the call must be looked up again at the next one (its
    structures, or the values its code is made for, may differ then)."""
    trees = check.structures(values, kwargs)
    if not trees and not transform.static_needs:
        return transform, ndims(values), False
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
    made = transform.specialised(trees) if trees else transform
    while made.static_needs:   # (values its code needs when it is made: read at each call)
        statics = dict(made.statics)
        statics.update((need, _given_value(made, need, check, values, kwargs, trees))
                       for need in made.static_needs)
        made = transform.specialised(trees, statics)
    if trees and getattr(getattr(made, "normal", None), "writes_into_leaves", False):
        refuse_shared_leaves(made, leaves)
    return made, ndims(leaves), True


def refuse_shared_leaves(transform, leaves):
    """Refuse a call whose arguments' arrays share memory (``{"a": W, "b": W}``, a view of
    one passed as another) to code that changes an array of a structure in place: the code
    takes each leaf for an array of its own, where Python's change would show through the
    other names too."""
    roots = {}
    for leaf in leaves:
        if not isinstance(leaf, np.ndarray):
            continue
        root = leaf
        while isinstance(root.base, np.ndarray):
            root = root.base
        for other in roots.setdefault(id(root), []):
            if np.may_share_memory(leaf, other):
                raise transform.source.error(
                    transform.source.node,
                    f"{transform.source.name}() changes an array of a structure in place, and "
                    f"two arrays its arguments hold share memory (the same array in two "
                    f"places, or views of one): adcompile takes them for separate arrays, "
                    f"where the change would show through both; pass copies")
        roots[id(root)].append(leaf)


def _given_value(transform, need, check, values, kwargs, trees):
    """The value a call gives for ``need`` (a descriptor: frontend/static_ints.py), that
    the code of ``transform`` needs when it is made: the value of an argument (or its
    default), of an int in a structure passed, or of a module-level name, now. An int for a
    loop over a structure; for a choice (static_choices.py), a string, bool, None, int or
    function, of that very type; for a setting (config_reads.py), a string, bool, None or
    int."""
    kind, name = need[0], need[1]
    if kind == "keys":   # (the options given **opts: static_choices.py)
        named = inspect.signature(transform.source.func).parameters
        return tuple(sorted(k for k in (kwargs or {}) if k not in named
                            or named[k].kind is inspect.Parameter.VAR_KEYWORD))
    if kind == "read":
        where, name, steps = need[1:]
        base = transform.source.resolve(name, UNREADABLE) if where == "free" \
            else _argument(transform, need, name, check, values, kwargs)
        value = follow(base, steps)
        if type(value) in CHOICE_TYPES:
            return value
        what = repr(value) if value is not UNREADABLE else (
            f"not readable ({name} is {_short(base)}: a setting is a dict's item, or an "
            f"object's or module's attribute as stored, not a property's value)")
        raise TransformError(f"{transform.deferred}\n({_described(need)} is {what} at this "
                             f"call: the function it calls depends on it, and the code is "
                             f"made for each value, which must be a str, a bool, None or an "
                             f"int)")
    if kind == "free":
        value = transform.source.resolve(name, None)
    elif len(need) == 3 and kind == "choice":   # an option of **opts
        value = (kwargs or {}).get(need[2], MISSING)
    elif kind == "leaf":
        value = leaf_values(trees[name], _argument(transform, need, name, check, values,
                                                   kwargs))[need[2]]
    else:
        value = _argument(transform, need, name, check, values, kwargs)
    if kind == "choice" and is_choice_value(value, option=len(need) == 3):
        return value
    if kind == "choice":
        raise TransformError(f"{transform.deferred}\n({_described(need)} is {value!r} at "
                             f"this call: the function it calls depends on it, and the code "
                             f"is made for each value, which must be a str, a bool, None"
                             f"{' or an int' if len(need) == 3 else ', an int or a function'})")
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    raise TransformError(f"{transform.deferred}\n({_described(need)} is {value!r} at this "
                         f"call, not an int)")


def _argument(transform, need, name, check, values, kwargs):
    """The argument a call gives for parameter ``name``, or its default (None given counts
    as not given, but for a choice)."""
    at = check.params_in_order.index(name) if name in check.params_in_order else None
    value = (kwargs or {}).get(name, values[at] if at is not None and at < len(values)
                               else _ABSENT)
    if need[0] == "leaf" or not (value is _ABSENT or value is None and need[0] == "param"):
        return value
    value = inspect.signature(transform.source.func).parameters[name].default
    if value is inspect.Parameter.empty:
        raise TransformError(f"{transform.deferred}\n({_described(need)} is not "
                             f"given, and has no default: give it, or example "
                             f"arguments, args=(...), to ad.show)")
    return value


def _short(value):
    """``repr(value)``, cut to 60 characters."""
    text = repr(value) if value is not UNREADABLE else "not defined"
    return text if len(text) <= 60 else text[:57] + "..."


def _described(need):
    if need[0] == "choice" and len(need) == 3:
        return f"option {need[2]!r} of **{need[1]}"
    if need[0] == "leaf":
        return f"an item of argument {need[1]!r}"
    if need[0] == "read":
        return f"{'argument' if need[1] == 'param' else 'the setting'} " \
               f"{spelled(need[2], need[3])}"
    return f"{'the module-level name' if need[0] == 'free' else 'argument'} {need[1]!r}"


def _compiled(transform, key, form):
    return transform.compiled(key, form)
