"""The cache of transforms: each function's Transform for a (wrt, has_aux), made once and
made again when the function, or a function, class or module it reads by name, is
redefined (a helper redefined in a notebook).

The transforms are kept on the function itself (``_per_function``), so that they live as
long as it does; what they depend on is remembered weakly, so that the cache keeps none of
the user's functions alive.
"""

import dis
import threading
import types
import weakref

from .compiler import CHECKPOINT, Transform, resolve_wrt
from .errors import StaleGradient
from .ir.trees import structure_kind

_cache_lock = threading.Lock()
#: the attribute of a function that holds its transforms (see _per_function)
_CACHE_ATTRIBUTE = "__adcompile_transforms__"
#: what a name not among a function's globals reads as (see _dependencies)
_ABSENT = object()


def cached_transform(f, wrt, has_aux=False):
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
        transform = _same_parameters(per_function, key, wrt, depends)
        if transform is None:
            transform = Transform(f, wrt, has_aux=has_aux)
            transform.watched = _watched(depends, getattr(f, "__name__", "f"))
            made = getattr(f, "_adcompile", None)
            if made is not None:   # (a callable adcompile made: its code was made of f's too)
                inner = getattr(made[0], "watched", ((), ""))
                transform.watched = (transform.watched[0] + inner[0], transform.watched[1])
        with _cache_lock:
            per_function[key] = (transform, _remember(depends))
    return transform


def _same_parameters(per_function, key, wrt, depends):
    """A current transform of the same function for another spelling of ``wrt`` that names
    the same parameters (``wrt=0`` and ``wrt="x"``, ``(0, 1)`` and ``("x", "y")``), resolved
    as Transform resolves it, against that transform's own source; or None."""
    with _cache_lock:
        others = [entry for other, entry in per_function.items() if other[1:] == key[1:]]
    for transform, depended in others:
        try:
            names = resolve_wrt(transform.source, wrt)
        except ValueError:
            continue   # (a wrt that names no parameter: Transform says why)
        if names == (transform.wrt, transform.wrt_tuple) and _unchanged(depended, depends):
            return transform
    return None


def _ours(g):
    """Whether ``g`` is a function of adcompile's (a callable it made, the code it runs)."""
    return getattr(g, "__globals__", {}).get("__name__", "").split(".")[0] == "adcompile"


def _watched(depends, fname):
    """What the code of ``fname`` was made for, as a callable checks it at every call:
    (where, name, what, function) for each function, class, list or dict of functions, or
    object a function reads by name (``where``: its globals dict, a closure cell, or the
    function whose defaults; ``what``: the object, a weak reference to a function, or the
    items; ``function``: a weak reference to the function reading it, whose line an error
    shows), modules and adcompile's own functions left out."""
    watched = []
    for g, name, obj in depends:
        if isinstance(obj, types.ModuleType) or _ours(g):
            continue
        if isinstance(obj, types.FunctionType):
            obj = weakref.ref(obj)   # (the cache keeps none of the user's functions alive)
        if name in ("__defaults__", "__kwdefaults__") or isinstance(g, type):
            where = g   # (a default, or a method of a class: read off it again)
        elif name in g.__code__.co_freevars:
            where = g.__closure__[g.__code__.co_freevars.index(name)]
        else:
            where = g.__globals__
        watched.append((where, name, obj, weakref.ref(g)))
    return tuple(watched), fname


def is_current(watched):
    """Whether every name ``watched`` (see _watched) holds what the code was made for."""
    return _rebound(watched) is None


def require_current(watched):
    """Raise StaleGradient when a name ``watched`` (see _watched) no longer holds what the
    code was made for."""
    found = _rebound(watched)
    if found is not None:
        name, g = found[1], found[3]()
        if isinstance(g, type):   # (a method of a module-level object's class)
            name = f"{g.__qualname__}.{name}"
        raise StaleGradient(
            f"{name!r} no longer holds what it held when this callable was made: its code "
            f"is the derivative of {watched[1]}() as it was then",
            *_read_at(g, name),
            hint=f"make it again (ad.grad({watched[1]}), ...) to differentiate "
                 f"{watched[1]}() as it is")


def _read_at(g, name):
    """(filename, line, column) of the first read of ``name`` in function ``g`` (its
    ``def`` for a default), or Nones."""
    if g is None or isinstance(g, type):   # (a class's method: where it is read is not known)
        return None, None, None
    code = g.__code__
    for instruction in dis.get_instructions(code):
        if instruction.argval == name and instruction.opname.startswith("LOAD_") \
                and instruction.positions and instruction.positions.lineno:
            return code.co_filename, instruction.positions.lineno, \
                instruction.positions.col_offset
    return code.co_filename, code.co_firstlineno, 0


def _rebound(watched):
    """The first entry of ``watched`` whose name no longer holds what the code was made
    for, or None."""
    for entry in watched[0]:
        where, name, obj = entry[:3]
        if type(where) is dict:
            now = where.get(name, _ABSENT)
        elif isinstance(where, types.CellType):
            now = where.cell_contents
        else:
            now = getattr(where, name)
        if isinstance(obj, weakref.ref):
            same = now is obj()
        elif isinstance(obj, _Items):
            same = type(now) in (list, tuple, dict) and obj.same(_Items(now))
        elif isinstance(obj, _Held):
            same = obj.same(now)
        else:
            same = now is obj
        if not same:
            return entry
    return None


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
    found, seen, todo, objects = [], {}, [f], []
    while todo:
        g = todo.pop()
        if id(g) in seen:
            continue
        seen[id(g)] = g
        if _ours(g):   # (a callable adcompile made: what it reads is its own)
            continue
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
            if type(obj) in (list, tuple, dict) and obj and all(
                    callable(x) for x in (obj.values() if type(obj) is dict else obj)) \
                    and not (type(obj) is dict and _ours(g)):   # (not a cache of ours)
                # (functions a loop walks, unrolled; one a dict item names, ACTS["tanh"])
                found.append((g, name, _Items(obj)))
                todo.extend(x for x in (obj.values() if type(obj) is dict else obj)
                            if isinstance(x, types.FunctionType))
                continue
            if obj is _ABSENT or not (callable(obj) or isinstance(obj, types.ModuleType)
                                      or structure_kind(obj) in ("object", "dataclass")):
                continue  # numbers and arrays are read when the gradient runs (an object's
                #           methods may be inlined: MODEL.loss(w, x))
            if structure_kind(obj) in ("object", "dataclass"):
                objects.append(obj)   # (its class's methods: _called_methods)
                found.append((g, name, _Held(obj)))   # (cfg.act(x): the function held too)
                continue
            found.append((g, name, obj))
            if isinstance(obj, types.FunctionType):
                todo.append(obj)
        if not todo:   # (then the methods of the objects read that the code may call)
            todo = _called_methods(objects, found, seen)
    return found


def _called_methods(objects, found, seen):
    """The methods of the classes of ``objects`` (module-level objects the functions
    ``seen`` read) that they may call (``MODEL.loss(w, x)``, ``model(x)``: inlined, and
    ``self.helper(z)`` in those): each function of such a class (or a base class: the one
    Python finds) named ``__call__`` or named by one of those functions, adcompile's
    left out, is added to ``found`` (read off the class again at each call) once; those
    added are returned, for what they read to be watched too."""
    named = {"__call__"}.union(*(g.__code__.co_names for g in seen.values()
                                 if isinstance(g, types.FunctionType)))
    added = []
    for cls in {type(obj): None for obj in objects}:
        taken = set()
        for k in cls.__mro__:
            for attr, value in vars(k).items():
                if attr in taken or attr not in named:
                    continue
                taken.add(attr)
                if isinstance(value, types.FunctionType) and not _ours(value) \
                        and id(value) not in seen:
                    found.append((cls, attr, value))
                    added.append(value)
    return added


class _Held:
    """An object a function reads by name, and the functions its attributes hold
    (``CFG.act = np.tanh``, which code calling ``CFG.act(x)`` was made for): valid while
    the name holds the same object, its attributes the same functions."""

    def __init__(self, obj, functions=None):
        self.obj = obj
        self.functions = functions if functions is not None else _Items(
            {k: v for k, v in getattr(obj, "__dict__", {}).items()
             if callable(v) and not isinstance(v, type)})

    def remembered(self):
        return _Held(self.obj, self.functions.remembered())

    def same(self, other):
        if isinstance(other, _Held):
            return other.obj is self.obj and self.functions.same(other.functions)
        return other is self.obj and self.same(_Held(other))


class _Items:
    """The functions a module-level list or tuple holds, which code walking it was written
    out for (frontend/function_loops.py), or a dict (the code calls the function of the
    key it was made for): valid while it holds the same ones (under the same keys)."""

    def __init__(self, items, keys=None):
        self.keys = tuple(items) if type(items) is dict else keys
        self.items = tuple(items.values() if type(items) is dict else items)

    def remembered(self):
        return _Items([weakref.ref(x) if isinstance(x, types.FunctionType) else x
                       for x in self.items], self.keys)

    def same(self, other):
        return isinstance(other, _Items) and self.keys == other.keys \
            and len(self.items) == len(other.items) and all(
                (a() if isinstance(a, weakref.ref) else a) is b
                for a, b in zip(self.items, other.items))


def _remember(depends):
    # functions are held weakly: the cache must not keep the user's functions alive
    return [(weakref.ref(g), name, weakref.ref(obj) if isinstance(obj, types.FunctionType)
             else obj.remembered() if isinstance(obj, (_Items, _Held)) else obj)
            for g, name, obj in depends]


def _unchanged(remembered, depends):
    if len(remembered) != len(depends):
        return False
    for (g_ref, name, obj_ref), (g, name2, obj) in zip(remembered, depends):
        if isinstance(obj_ref, weakref.ref):
            obj_ref = obj_ref()
        if g_ref() is not g or name != name2:
            return False
        if not (obj_ref.same(obj) if isinstance(obj_ref, (_Items, _Held)) else obj_ref is obj):
            return False
    return True
