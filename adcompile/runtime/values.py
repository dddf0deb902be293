"""The values at the edges of gradient code: zero gradients, the adjoints of tuple results,
the gradients handed back to the caller, and the checks and copies of arguments."""

import numpy as np

from .broadcast import _lazy


def stop_gradient(x):
    """``x`` itself, with a zero derivative (``ad.stop_gradient``): inside differentiated code
    its value is a constant; generated code reads ``x`` instead of calling it (code that is
    differentiated again keeps the call, so the derivative stays zero)."""
    return x


def zeros_like(x):
    """The zero gradient of ``x``: 0.0 for a Python number, an array of zeros otherwise."""
    if isinstance(x, (int, float)):
        return 0.0
    if isinstance(x, (tuple, list)):  # a tuple or list result (slogdet, split): per part
        return pair(*[zeros_like(v) for v in x])
    if type(x) is np.ndarray and x.dtype.kind == "f":
        return np.zeros_like(x)
    return np.zeros(np.shape(x), dtype=np.result_type(x, 1.0))


def adjoint_list(bars, items):
    """The adjoint list of ``items``, a list that loops make and pass on at run time (made in
    one iteration, read in the next or after the loop), kept in the dict ``bars`` under the
    list's identity: a zero per item the first time the backward sweep asks for it, which
    is where the forward sweep used the list last (the list has its final items then). The
    list is kept in ``bars`` too, so that its identity is not given to another list."""
    found = bars.get(id(items))
    if found is None:
        found = bars[id(items)] = (items, [None if isinstance(x, list) else zeros_like(x)
                                           for x in items])   # (a list's: found by identity)
    return found[1]


def pair(*values):
    """A tuple result's adjoint or tangent (np.linalg.slogdet, eigh): an object array, so that
    adding two of them adds their parts."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v
    return out


def parts(pieces):
    """The adjoint a list or tuple value (np.split's, sorted's) receives from a rule that cuts
    an adjoint into one piece per item (sum, np.concatenate, np.stack of it): the pieces as
    an object array (see pair), so that two adjoints of the value add item by item, not
    end to end as lists do; an array of pieces (the rows of an array value) as it is."""
    if isinstance(pieces, (list, tuple)):
        return pair(*pieces)
    return pieces


def real_sign(x):
    """``np.sign(x)`` (the derivative of ``abs``) for a real ``x``; a ValueError for a complex
    one: abs is how a complex value the function computed (in Python, a negative float to a
    fractional power) turns real, and real rules would give it a wrong gradient."""
    if isinstance(x, complex) or getattr(x, "dtype", None) is not None and x.dtype.kind == "c":
        raise ValueError("abs() of a complex value: the function computed a complex value (in "
                         "Python a negative float to a fractional power is complex), and these "
                         "gradients are of real values only")
    return np.sign(x)


def real_value(value, what):
    """``value`` when it is real (a tuple or list: each of its items); a ValueError naming
    ``what`` (where it was computed) otherwise: a value not being differentiated that a
    function without a rule, or a fractional power, made complex would make the gradient of
    what it is combined with complex, or real and wrong."""
    if isinstance(value, (tuple, list)):
        for item in value:
            real_value(item, what)
    elif isinstance(value, complex) or getattr(value, "dtype", None) is not None \
            and value.dtype.kind == "c":
        raise ValueError(f"{what} gave a complex value, which is combined with values being "
                         f"differentiated: these gradients are of real values only (compute "
                         f"with the real and imaginary parts as separate real values)")
    return value


def as_gradient(g, x):
    """The gradient handed back for argument ``x``: a float for a Python number, else a new
    writable array of x's shape and floating precision (never a view of, or the same object
    as, another value; float32 for float32 x even where the adjoint started from the Python
    number 1.0). A complex gradient is an error: gradients are of real values only (complex
    literals are refused when transforming; this finds the complex values made when the code
    runs, such as a negative Python float to a fractional power)."""
    if isinstance(g, (complex, np.complexfloating)) or getattr(g, "dtype", None) is not None \
            and g.dtype.kind == "c":
        raise ValueError("the gradient came out complex: the function computed a complex "
                         "value (in Python a negative float to a fractional power is complex), "
                         "and these gradients are of real values only")
    if isinstance(x, (int, float)) and not isinstance(x, np.ndarray):
        return float(g)
    shape = np.shape(x)
    dtype = getattr(x, "dtype", None)
    if _lazy(g):   # (a Dask array: np.array would compute it; it is never changed in place)
        if dtype is not None and dtype.kind in "fc" and g.dtype != dtype:
            g = g.astype(dtype)
        return g if g.shape == shape else np.broadcast_to(g, shape)
    g = np.array(g, dtype=dtype if dtype is not None and dtype.kind in "fc"
                 else np.result_type(g, 1.0))
    return g if g.shape == shape else np.array(np.broadcast_to(g, shape))


#: why ``x op= e`` or ``x[i] = v``, which changes an array in place, is refused where another
#: name that may share the array is read afterwards: generated code makes a new array there
#: (analysis/rebinding_checks.py). One text per kind of statement (see rebinding_reason):
#: ``{statement}`` the user's, ``{name}`` the array changed, ``{other}`` the name read,
#: ``{op}`` the operator of ``x op= e``
REBOUND_ITEM = ("{statement!r} changes the array {name} in place, and {other!r}, which may "
                "hold the same array, is read afterwards; adcompile computes the item as a "
                "new array here, so the two would differ. Write {name} = {name} {op} ... to "
                "make a new array")
REBOUND_SWAP = ("{statement!r} changes the array {name!r} in place, and {other!r}, read "
                "before, may share its memory (a row of a matrix is a view of it): Python "
                "assigns the targets one at a time, so a value that is a view sees what the "
                "assignments before it changed (a swap of rows does not swap), and adcompile "
                "computes {name} as a new array here, so the two would differ. Assign copies "
                "({other}.copy()), or index once ({name}[[i, j]] = {name}[[j, i]])")
REBOUND_WRITE = ("{statement!r} changes the array {name!r} in place, and {other!r}, which may "
                 "share its memory (the same array under another name, or a view of it), is "
                 "read afterwards; adcompile computes {name} as a new array here, so the two "
                 "would differ. Copy {name!r} before assigning into it ({name} = "
                 "{name}.copy()), or where it is made")
#: what REBOUND_WRITE adds where the function swaps the two arrays (``{swap}``: ``u, v = v, u``)
REBOUND_SWAPPED = ("; here {swap!r} swaps the two arrays (double buffering), and adcompile "
                   "does not follow which array each name holds across a swap: the copy costs "
                   "no more than the new array the generated code makes there anyway")
REBOUND_UPDATE = ("{statement!r} changes the array {name!r} in place, and {other!r}, which "
                  "may share its memory, is read afterwards; adcompile computes {name} as a "
                  "new array here, so the two would differ. Write {name} = {name} {op} ... to "
                  "make a new array (then {other!r} keeps its value), or copy {name!r} where "
                  "it is made")


def rebinding_reason(statement, kind, name, other, swap=""):
    """The reason ``statement`` (as the user wrote it), which changes the array ``name`` in
    place, is refused where ``other``, which may share it, is read afterwards: the text of
    ``kind`` ("item": ``xs[i] op= v`` of a list; "swap": ``y[0], y[1] = y[1], y[0]``;
    "write": ``x[i] = v``; "update": ``x op= e``), ``swap`` the swap of the two names the
    function makes, if any (a TransformError's reason, and require_immutable's)."""
    text = {"item": REBOUND_ITEM, "swap": REBOUND_SWAP, "write": REBOUND_WRITE,
            "update": REBOUND_UPDATE}[kind]
    reason = text.format(statement=statement, name=name, other=other,
                         op=_augmented_symbol(statement))
    return reason + (REBOUND_SWAPPED.format(swap=swap) if swap else "")


def _augmented_symbol(statement):
    """The operator of the ``x op= e`` ``statement`` (``'*'`` of ``x *= 2``); '+' for another
    statement."""
    import re
    found = re.search(r"(\*\*|//|>>|<<|[-+*/%@&|^])=(?!=)", statement)
    return found.group(1) if found else "+"


def _place_and_statement(where):
    """(``file:line:col``, the statement) of a check's ``where``, ``"file:line:col:
    statement"``."""
    place, _, statement = where.partition(": ")
    return place, statement


def require_immutable(x, where, kind, name, other, swap=""):
    """Raise TypeError unless ``x`` is a number (or another immutable value): the generated
    code computes the statement at ``where`` (the user's ``file:line:col: statement``) as a
    new value, which is what Python does for a number but not for an array another
    variable shares (see analysis/rebindings.py). ``kind``, ``name``, ``other``, ``swap``:
    what the error says, as rebinding_reason reads them."""
    if not isinstance(x, (int, float, complex, np.generic, str, bytes, tuple, frozenset)):
        place, statement = _place_and_statement(where)
        raise TypeError(f"{place}: {rebinding_reason(statement, kind, name, other, swap)}")


#: why a value being differentiated cannot go into an array of integers or booleans: the
#: TransformError where the array is known to be one when the code is made, the TypeError
#: of the checks below where it is one when the code runs (see analysis/integer_writes.py)
INTEGER_WRITE = ("writes a value being differentiated into an array of integers or booleans: "
                 "NumPy rounds it (or makes it a truth value) there, which has no gradient. "
                 "Make the array floating (np.zeros(n), dtype=float, 1.0 in a literal), or "
                 "round the value explicitly (np.floor(v)) if that is meant")
INTEGER_UPDATE = ("puts values being differentiated into an array of integers or booleans in "
                  "place: NumPy cannot store floats there (Python raises a UFuncTypeError). "
                  "Make the array floating (np.zeros(n), dtype=float, 1.0 in a literal)")


def require_floating(x, where):
    """Raise TypeError where ``x`` is an array of integers or booleans, before ``x op= v``
    adds a value being differentiated to it in place, which NumPy cannot store.
    ``where``: the user's ``file:line:col: statement``."""
    if isinstance(x, np.ndarray) and x.dtype.kind in "biu":   # (a NumPy int is a number)
        raise TypeError(f"{where} {INTEGER_UPDATE}")


def require_float_array(x, where):
    """Raise TypeError unless ``x`` is a NumPy array not of integers or booleans, before a
    value being differentiated is written into an item of it (``x[i] = v``), which NumPy
    rounds in an array of integers (no gradient). A list, a dict or another object is
    refused too: adcompile differentiates such a write into arrays only (a list or dict
    changed in place keeps its type and is seen through every name it has, which a new
    array made from it would not be). An array of objects stores the value as it is (the
    adjoint of a tuple a primitive returns, in the code of a second derivative).
    ``where``: the user's ``file:line:col: statement``."""
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "biu":
            raise TypeError(f"{where} {INTEGER_WRITE}")
        return
    kind = type(x).__name__
    raise TypeError(f"{where}: adcompile differentiates an assignment of a value being "
                    f"differentiated into an item of an array, not of a {kind}: build a new "
                    f"{kind} (or an array) instead of assigning into this one")


def require_update_shape(new, old, where):
    """``new`` (computed from ``old`` as ``old op e``, for the user's ``x op= e``) as the
    array Python's in place update leaves: NumPy's ValueError where ``old`` is an array whose
    shape ``new`` does not have (``e`` of more dimensions, or longer along an axis of length
    1 of ``x``), and an array again where ``old`` is a 0-d array (``s + e`` gives a NumPy
    scalar, ``s += e`` keeps the array, which another name may share and the code may
    write into). See pipeline.guard_update_shapes. ``where``: the user's
    ``file:line:col`` and statement."""
    if not isinstance(old, np.ndarray):
        return new
    if np.shape(new) != old.shape:
        raise ValueError(f"{where}: non-broadcastable output operand with shape "
                         f"{old.shape} doesn't match the broadcast shape {np.shape(new)} "
                         f"(NumPy changes the array in place there)")
    if not isinstance(new, np.ndarray):
        return np.array(new, dtype=old.dtype)
    return new


def require_array(x, where):
    """Raise TypeError unless ``x`` is a NumPy array or scalar (or an array of another
    library that follows NumPy's protocol, a Dask array): generated code calls a method of
    ``x`` such as ``x.dot(v)`` with the rule of NumPy's method of that name, which would be
    the wrong derivative of another object's method. ``where``: the user's
    ``file:line:col: x.dot(...)``."""
    if not isinstance(x, (np.ndarray, np.generic)) and not hasattr(x, "__array_function__"):
        raise TypeError(f"{where} is differentiated with the rule of NumPy's method of that "
                        f"name, but it is called on a {type(x).__name__}, not a NumPy array")


def require_supported(accepted, message):
    """Raise ValueError(message) unless ``accepted``: a rule's test of one use that the code
    was made without deciding (the number of dimensions of an input, in code made for
    arguments of any kind; a keyword given a variable), evaluated where the code runs
    (ad/templates.py). ``message``: the refusal code made for such values gives, at the
    user's ``file:line:col`` with the line (a ValueError, as that TransformError is, and
    with its text: the rule's own reason, which the runtime does not hold)."""
    if not accepted:
        raise ValueError(message)


def require_array_arguments(gradient, reads=None, /, **arguments):
    """Raise TypeError where one of ``arguments`` (name=value), the differentiated arguments of
    the gradient ``gradient`` that ``ad.build`` wrote without example arguments (``args=``),
    is a tuple, list or dict: its code takes each as an array or a number (``a, b = params``
    unpacks rows, ``params[0]`` reads one) and would stack a structure's items into an array
    (of objects, or NumPy's error), where ``ad.grad`` gives a gradient of the structure's
    kind. ``reads``: name -> the line (place and text) where the function reads that
    argument as a structure."""
    for name, x in arguments.items():
        if isinstance(x, (tuple, list, dict)):
            where = (reads or {}).get(name)
            raise TypeError(
                f"{gradient}() was built (ad.build without args=) for an array or a number as "
                f"{name!r}, which is a {type(x).__name__} here"
                + (f": {where} reads it as a structure" if where else "")
                + ". Build it with args= (example arguments) to get the code for the structure "
                  "they have")


def require_layout(gradient, name, x, layout, path=""):
    """Raise TypeError unless the argument ``x`` (``name``) of the gradient ``gradient``, which
    ``ad.build`` wrote for example arguments (``args=``), has the layout of the example's
    structure its code was made for: ``layout`` is (its class's name, its keys in order,
    the layouts of its items), or None for an array or a number. That code reads the items
    by those keys, walks them in that order and knows the class (``isinstance(p,
    OrderedDict)``): for a structure of another class or other keys it would be the
    gradient of another function, where ``ad.grad`` makes code for what it is given."""
    if layout is None:
        return
    kind, keys, parts = layout
    here = type(x).__qualname__
    differs = None
    if here != kind:
        differs = f"of class {here}"
    elif isinstance(x, dict) and tuple(x) != keys:
        differs = f"with the keys {list(x)}"
    elif type(x) in (list, tuple) and len(x) != len(keys):
        differs = f"of {len(x)} items"
    if differs is not None:
        raise TypeError(f"{gradient}() was built (ad.build with args=) for {name}{path} of "
                        f"class {kind} with the keys {list(keys)}, and here it is {differs}: "
                        f"build it with args= of the kind it is given")
    by_item = isinstance(x, dict) or type(x) in (list, tuple)
    for k, part in zip(keys, parts or ()):
        if part is not None:
            item = x[k] if by_item else getattr(x, k)
            require_layout(gradient, name, item, part, f"{path}[{k!r}]" if by_item
                           else f"{path}.{k}")


#: why a helper's ``v op= e`` on its parameter needs a NumPy array (require_ndarray)
IN_PLACE_CALL = ("updates its parameter by 'v op= e', which changes the caller's {name!r} in "
                 "place, as adcompile computes it, only where {name!r} is a NumPy array; here "
                 "it is not one (it holds a {kind})")


def require_ndarray(x, where, name):
    """Raise TypeError unless ``x`` is a NumPy array, before a call of the user's helper
    whose ``v op= e`` on its parameter generated code takes to change the caller's array
    ``x`` (named ``name``) in place (frontend/in_place_calls.py): on a number Python binds
    the helper's name to a new value and leaves ``x`` as it was. ``where``: the user's
    ``file:line:col: call``."""
    if not isinstance(x, np.ndarray):
        text = IN_PLACE_CALL.format(name=name, kind=type(x).__name__)
        raise TypeError(f"{where} {text}")


#: why an item of a list or dict is not assigned into where what it holds is differentiated
#: afterwards (require_array_written; ``{name}``: the list's or dict's)
UNTYPED_WRITE = ("adcompile differentiates an assignment into an item of an array, not of a "
                 "list or dict ({name!r}), where what it holds is differentiated afterwards: "
                 "build a new list or dict (or use an array) instead of assigning into this "
                 "one")


def require_array_written(x, where):
    """Raise TypeError unless ``x`` is a NumPy array, before an item of it is assigned (a
    value not being differentiated) where what it holds is differentiated afterwards:
    generated code makes such a write into a new array, which a list or dict changed in
    place (seen through each of its names) is not (analysis/integer_writes.py).
    ``where``: the user's ``file:line:col: x``, the name assigned into."""
    if not isinstance(x, np.ndarray):
        place, name = _place_and_statement(where)
        raise TypeError(f"{place}: {UNTYPED_WRITE.format(name=name)}")


#: why ``copy.deepcopy`` of a structure holding one array twice is refused (require_distinct)
HELD_TWICE = ("copies a structure holding one array in two places: the copy holds one new "
              "array twice, which adcompile would take for two; copy the arrays one by one")


def require_distinct(values, where):
    """Raise TypeError where two of ``values`` (the arrays a structure holds, about to be
    deep-copied) are one array: ``copy.deepcopy`` copies it once and the copy holds it
    twice, so a change through one place shows through the other, where generated code
    copies each place on its own (frontend/tree_values.py). ``where``: the user's
    ``file:line:col: copy.deepcopy(...)``."""
    seen = set()
    for v in values:
        if isinstance(v, np.ndarray):
            if id(v) in seen:
                place, statement = _place_and_statement(where)
                raise TypeError(f"{place}: {statement!r} {HELD_TWICE}")
            seen.add(id(v))


#: why an argument changed in place may not share what it holds (require_unshared)
SHARED = ("and another argument or a module-level value it reads shares an array or object "
          "with it: Python's change would show through both, the gradient's code would not; "
          "pass separate objects")


def require_unshared(changed, others, where):
    """Raise TypeError where an object one of ``changed`` (the arguments the code changes in
    place, of which it makes private copies first: ``private_copy``) holds, at any depth,
    is held by another of them or by one of ``others`` (the other arguments, the
    module-level values the code reads), or shares memory with one held there (a view):
    Python's change would show through the other name, where the generated code changes
    its own copy. ``where``: ``file:line:col: f() changes 'p' in place`` (the function's
    ``def``)."""
    mine = [_held_objects(x) for x in changed]
    if not any(mine):
        return
    for i, held in enumerate(mine):
        theirs = _held_objects(others + changed[:i] + changed[i + 1:])
        ids = {id(o) for o in theirs}
        by_memory = {}   # the array owning the memory (None: not known) -> arrays
        for o in theirs:
            if isinstance(o, np.ndarray):
                by_memory.setdefault(_memory_owner(o), []).append(o)
        for o in held:
            if id(o) in ids:
                raise TypeError(f"{where}, {SHARED}")
            if isinstance(o, np.ndarray):
                owner = _memory_owner(o)
                near = by_memory.get(None, []) + (
                    by_memory.get(owner, []) if owner is not None
                    else [a for arrays in by_memory.values() for a in arrays])
                if any(np.may_share_memory(o, a) for a in near):
                    raise TypeError(f"{where}, {SHARED}")


def _memory_owner(a):
    """The id of the array whose memory ``a`` is (itself, or the array it is a view of), or
    None where that memory is not an array's (``np.frombuffer``)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return id(a) if a.base is None else None


def _held_objects(x):
    """The objects that a change in place could reach through ``x``: ``x`` and what it holds
    (dict values, items of lists, tuples and sets, attributes of objects), arrays and
    containers only (numbers, strings, functions, classes and modules cannot be changed
    through it), each once."""
    import types
    unchanged = (int, float, complex, bool, str, bytes, type(None), np.generic, type,
                 types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
                 types.MethodType, np.ufunc)
    found, seen, todo = [], set(), [x]
    while todo:
        o = todo.pop()
        if id(o) in seen or isinstance(o, unchanged):
            continue
        seen.add(id(o))
        if isinstance(o, np.ndarray):
            found.append(o)
            continue
        if isinstance(o, (tuple, frozenset)):   # (not changed itself: what it holds may be)
            todo.extend(o)
            continue
        if isinstance(o, dict):
            todo.extend(o.values())
        elif isinstance(o, (list, set)):
            todo.extend(o)
        elif hasattr(o, "__dict__"):
            todo.extend(vars(o).values())
        else:
            continue
        found.append(o)
    return found



#: why ``xs[i] op= v`` is refused where another item of the list is that array or a view
#: of it (require_sole_item; ``{listed}``: the list)
SHARED_ITEM = ("changes in place an array of the list {listed!r}, and another item of the "
               "list is the same array or a view of it; adcompile computes the changed item "
               "as a new array, so the two would differ. Give each item an array of its own "
               "(a copy)")


def require_sole_item(xs, i, where):
    """Raise TypeError before ``xs[i] op= v`` on a list, which generated code makes a new
    item of (frontend/list_items.py), where Python changes the array ``xs[i]`` in place and
    another item of ``xs`` is that array or a view of it (would show the change). An item
    that is not a number or a NumPy array is taken to be one that may hold it. ``where``:
    the user's ``file:line:col: xs[i] op= v``."""
    item = xs[i]
    if isinstance(item, (int, float, complex, np.generic)):
        return   # (a number: Python binds the item to a new one, as generated code does)
    k = i % len(xs)
    if isinstance(item, np.ndarray) and not any(
            j != k and not isinstance(other, (int, float, complex, np.generic)) and (
                not isinstance(other, np.ndarray) or np.may_share_memory(other, item))
            for j, other in enumerate(xs)):
        return
    place, statement = _place_and_statement(where)
    listed = statement.split("[", 1)[0].strip()
    raise TypeError(f"{place}: {statement!r} {SHARED_ITEM.format(listed=listed)}")


def require_positions(x, where):
    """Raise TypeError unless a for loop walks ``x`` by position (a list, tuple or array),
    before such a loop whose body changes what it walks in place, which generated code
    walks as an array the changes renew, ``x[i]`` at step i (frontend/loop_views.py): a
    dict's items would be read by the keys 0, 1, ... ``where``: the user's
    ``file:line:col: x`` of what the loop walks."""
    if not isinstance(x, (list, tuple, range, str, np.ndarray)):
        raise TypeError(f"{where}: the loop changes what it walks, which adcompile walks by "
                        f"position, as an array's rows; here it is a {type(x).__name__}: "
                        f"walk a list of its items instead (for key in list(d))")


def require_rows(x, where):
    """Raise TypeError unless ``x`` is an array of two or more dimensions, before a loop
    ``for row in x`` whose body changes ``row`` in place (``row -= c``, ``row[:] = v``,
    frontend/row_loops.py), or a block that changes a row through its name (``a = x[t];
    a[:] = v``, frontend/row_views.py), which generated code makes through ``x``: each row
    of such an array is a view of it. The items of an array of one dimension are numbers,
    and a list holds arrays of its own, which ``row -= c`` would change without changing
    ``x``. ``where``: the user's ``file:line:col`` of the loop, or of ``x`` in ``a =
    x[t]``."""
    if isinstance(x, np.ndarray) and x.ndim >= 2:
        return
    what = f"an array of {x.ndim} dimension" if isinstance(x, np.ndarray) \
        else f"a {type(x).__name__}"
    raise TypeError(f"{where}: its rows are changed in place (by a loop walking them, or "
                    f"through a name for one), which adcompile makes through the array "
                    f"where that has two or more dimensions (each row a view of it); here "
                    f"it is {what}: write the items back through it instead (x[i] = ...)")


def require_array_items(xs, where):
    """Raise TypeError unless every item of the list ``xs`` is a NumPy array, before a loop
    ``for p in xs`` whose body changes ``p`` in place (``p -= lr * g``), which generated code
    makes through ``xs`` (frontend/row_loops.py): ``p -= v`` on a number binds ``p`` to a new
    one and leaves the list as it was. ``where``: the user's ``file:line:col`` of the
    loop."""
    for item in xs:
        if not isinstance(item, np.ndarray):
            raise TypeError(f"{where}: the loop changes in place the items of the list it "
                            f"walks, which adcompile makes through the list where they are "
                            f"NumPy arrays; here one is a {type(item).__name__}: walk "
                            f"range(len(...)) and assign the new items into the list "
                            f"instead")


def require_length(x, n, where):
    """Raise Python's ValueError for ``a, b = x`` unless ``x`` has ``n`` items: generated
    code reads ``x[0]``, ``x[1]``, which would take the first items of a longer value."""
    k = len(x)
    if k > n:
        raise ValueError(f"{where}: too many values to unpack (expected {n})")
    if k < n:
        raise ValueError(f"{where}: not enough values to unpack (expected {n}, got {k})")


def augmented(x, op, e):
    """``x op= e`` as Python runs it, returning the new ``x``: an array (or list) changed in
    place, which every name sharing it sees; a number (or another immutable value)
    replaced by a new one. ``op``: the operator's symbol ('+', '*', '@', ...). Generated
    code computes a value no gradient flows through this way where another name for the
    array is read afterwards (see ``rebinding_checks.check_rebindings``)."""
    if op == "+":
        x += e
    elif op == "-":
        x -= e
    elif op == "*":
        x *= e
    elif op == "/":
        x /= e
    elif op == "//":
        x //= e
    elif op == "%":
        x %= e
    elif op == "**":
        x **= e
    elif op == "@":
        x @= e
    elif op == "&":
        x &= e
    elif op == "|":
        x |= e
    elif op == "^":
        x ^= e
    elif op == "<<":
        x <<= e
    elif op == ">>":
        x >>= e
    else:
        raise ValueError(f"unknown operator {op!r}")
    return x


def private_copy(x):
    """A copy of an argument the function changes in place, so that the generated code
    changes its own copy, not the caller's object (an array; a list, tuple or dict with
    arrays in it; another object as ``copy.deepcopy`` copies it)."""
    if isinstance(x, np.ndarray):
        return x.copy()
    import copy
    return copy.deepcopy(x)


def mapping_like(like, items):
    """The dict ``items`` as a mapping of the class of ``like`` (an ``OrderedDict``, a
    ``defaultdict`` with its ``default_factory``, a subclass of one holding ``like``'s
    attributes): the gradient of ``like`` in its own kind, made as ``copy.copy`` makes one
    but running no code of the user's (ir/trees.py refuses a subclass that defines any)."""
    import collections
    kind = type(like)
    base = next(k for k in kind.__mro__
                if k in (collections.OrderedDict, collections.defaultdict, dict))
    new = base.__new__(kind)
    if base is collections.defaultdict:
        base.__init__(new, like.default_factory)
    base.update(new, items)
    if hasattr(like, "__dict__"):
        new.__dict__.update(like.__dict__)
    return new


def replace_fields(obj, **fields):
    """A shallow copy of ``obj`` (a dataclass or another object whose attributes are a
    structured argument's) with the attributes ``fields`` set: the gradient of ``obj`` in
    its own type."""
    import copy
    new = copy.copy(obj)
    for name, value in fields.items():
        object.__setattr__(new, name, value)
    return new
