"""An array a dict or an object holds, passed to a helper that changes it in place:
``normalize_(params["w"])``, ``bump_(box.a, s)``. A syntax-only part of
in_place_calls.py's pass.

Python passes the array itself, so the dict's item is the changed array after the call.
The call statement is written with a name for the item, read before the call and put
back after it::

    _held1 = params["w"]
    normalize_(_held1)          # (then _held1 = normalize_(_held1): in_place_calls.py)
    params["w"] = _held1

which is what Python does (the helper changes the object the dict holds; putting it
back stores that same object: done only for a structure, ``PUT_BACK``), and what
adcompile follows: the name is given the
helper's last version of the array, and the dict (the object) that version
(changes.py: a structure the function made; one it was given stays refused there).
Other names of the array read afterwards are the aliasing analysis's, as for ``a =
params["w"]; a /= s``. An item read by a str key or an attribute only (``d["w"]``,
``box.a``, ``p["layer"]["W"]``; an int index may read a row of an array, a view), of a
parameter the helper changes only in place, once in the call, whose other arguments
call none of the user's functions (which could change the dict before Python reads
them).
"""

import ast

from ..ir import copy_tree
from .item_desugar import SPELLINGS
from .source import own_signature
from .syntax import is_keyed_place

#: the attribute of the assignment putting the item back: normalized only where the dict
#: or object is a structure adcompile takes apart (statements.py); elsewhere Python's
#: object already holds the changed array (and a property's setter must not run again)
PUT_BACK = "_adcompile_put_back"


def hold_changed_items(fn, block, called, found, skip, taken):
    """Rewrite (in place) the call statements of ``block`` (a block of the ``def`` ``fn``)
    passing an item of a dict or object to a parameter the helper changes in place only
    (see the module's docstring). ``called``, ``found``: as for
    ``in_place_calls.changed_by_call``; ``skip``: names of structures the function was
    given (left as written); ``taken``: the names in use (new ones added)."""
    k = 0
    while k < len(block):
        parts = _held_parts(block[k], called, found, skip)
        if not parts:
            k += 1
            continue
        before, after = [], []
        for arg in parts:
            name = _fresh("_held", taken)
            vars(fn).setdefault(SPELLINGS, {})[name] = ast.unparse(arg)
            read = ast.copy_location(ast.Name(id=name, ctx=ast.Load()), arg)
            before.append(ast.copy_location(ast.Assign(
                targets=[ast.Name(id=name, ctx=ast.Store())], value=_loaded(arg)), block[k]))
            back = ast.copy_location(ast.Assign(targets=[_stored(arg)], value=read), block[k])
            setattr(back, PUT_BACK, True)
            after.append(back)
            _replace(block[k].value, arg, read)
        block[k:k + 1] = before + [block[k]] + after
        k += len(before) + 1 + len(after)


def _held_parts(stmt, called, found, skip):
    """The arguments of the call statement ``stmt`` to hold in names (see above)."""
    if not (isinstance(stmt, (ast.Expr, ast.Assign)) and isinstance(stmt.value, ast.Call)):
        return []
    if isinstance(stmt, ast.Assign) and not all(isinstance(t, ast.Name) for t in stmt.targets):
        return []
    call = stmt.value
    func = called(call.func)
    if func is None or any(isinstance(a, ast.Starred) for a in call.args) \
            or any(k.arg is None for k in call.keywords):
        return []
    try:
        bound = own_signature(func).bind(*call.args, **{k.arg: k.value for k in call.keywords})
    except TypeError:
        return []
    changing = found.of(func) | found.augmented(func)
    held = [a for p, a in bound.arguments.items() if p in changing and _named_item(a, skip)]
    spelled = [ast.unparse(a) for a in bound.arguments.values() if isinstance(a, ast.expr)]
    if any(spelled.count(ast.unparse(a)) > 1 for a in held):
        return []   # (one array under two parameters: left to the aliasing analysis)
    others = [a for a in bound.arguments.values() if isinstance(a, ast.expr) and a not in held]
    if any(isinstance(n, ast.Call) and called(n.func) is not None
           for a in others for n in ast.walk(a)):
        return []
    return held


def _named_item(e, skip):
    """Whether ``e`` reads an item by a str key or an attribute (``d["w"]``, ``box.a``) of
    a name not in ``skip``, by constant keys all the way."""
    if not is_keyed_place(e) or isinstance(e, ast.Subscript) and not (
            isinstance(e.slice, ast.Constant) and isinstance(e.slice.value, str)):
        return False
    while isinstance(e, (ast.Subscript, ast.Attribute)):
        e = e.value
    return e.id not in skip


def _fresh(base, taken):
    k = 1
    while f"{base}{k}" in taken:
        k += 1
    taken.add(f"{base}{k}")
    return f"{base}{k}"


def _loaded(e):
    """A copy of the expression ``e`` that reads it."""
    copy = copy_tree(e)
    for node in ast.walk(copy):
        if hasattr(node, "ctx"):
            node.ctx = ast.Load()
    return copy


def _stored(e):
    """A copy of the expression ``e`` that assigns it."""
    target = _loaded(e)
    target.ctx = ast.Store()
    return target


def _replace(call, old, new):
    """Put ``new`` in ``call`` where it has the argument node ``old``."""
    call.args = [new if a is old else a for a in call.args]
    for k in call.keywords:
        if k.value is old:
            k.value = new
