"""What a call may change in place, and what it returns, where the function called is not
inlined: a Python function of the user's called on values not being differentiated (read
from its source, a few calls deep), a method of a value, a builtin, NumPy's functions.
points_to.py and mutations.py ask it; what is not known may change (and return) anything
its arguments hold.
"""

import ast
import builtins
import collections
import dataclasses
import functools
import inspect
import operator
import types

import numpy as np

from .. import ir
from ..ir.parsing import parse

#: array and container methods that change nothing (the registry's methods aside)
_READING_METHODS = {"copy", "tolist", "item", "astype", "conj", "conjugate", "round", "get",
                    "keys", "values", "items", "index", "count", "any", "all", "view",
                    "reshape", "ravel", "flatten", "squeeze", "transpose", "swapaxes",
                    "__len__", "startswith", "endswith", "format", "split", "join"}

#: builtins that neither keep nor change what they are given
_PURE_BUILTINS = {len, int, float, complex, bool, str, repr, range, min, max, sum, abs, round,
                  print, isinstance, type, tuple, list, dict, set, frozenset, sorted, reversed,
                  enumerate, zip, any, all, id, hash, format, divmod, pow, getattr, hasattr,
                  iter, slice, collections.OrderedDict}


#: the functions of the operator module that change their first argument in place
_OPERATOR_WRITES = frozenset(
    getattr(operator, name) for name in dir(operator)
    if name.strip("_") in {"iadd", "iand", "iconcat", "ifloordiv", "ilshift", "imod", "imul",
                           "imatmul", "ior", "ipow", "irshift", "isub", "itruediv", "ixor",
                           "setitem", "delitem"})


def writes_first_argument(obj):
    """Whether ``obj`` is a function of the operator module that changes its first argument
    in place: ``operator.iadd(a, b)`` is ``a += b`` (for an array, a list: in place),
    ``operator.setitem(a, i, v)`` is ``a[i] = v``."""
    try:
        return obj in _OPERATOR_WRITES
    except TypeError:   # (unhashable)
        return False


def positional_outputs(obj, call):
    """The arguments of ``call`` that are outputs given by position, which the call writes
    into: a ufunc's after its inputs (``np.modf(x, a, b)``), NumPy's ``out`` parameter
    (``np.cumsum(x, 0, None, m)``, ``np.dot(A, x, m)``) and, where ``obj`` is None (a method
    of a value), that of the ndarray method of the name (``x.cumsum(0, None, m)``); and the
    array ``np.nan_to_num(x, copy=False)`` changes."""
    if isinstance(obj, np.ufunc):
        return call.args[obj.nin:]
    if obj is np.nan_to_num and call.args and not _copies(call):
        return call.args[:1]
    if obj is None and isinstance(call.func, ast.Attribute):
        at = _method_out_index(call.func.attr)
    else:
        at = _out_index(obj)
    return call.args[at:at + 1] if at is not None else []


def _copies(call):
    """Whether ``np.nan_to_num`` called so surely copies (``copy`` not given, or True)."""
    given = call.args[1:2] + [k.value for k in call.keywords if k.arg == "copy"]
    return all(isinstance(e, ast.Constant) and e.value is True for e in given)


def _out_index(obj):
    """The position of the parameter ``out`` of a NumPy function ``obj``, or None."""
    if not callable(obj) or not (getattr(obj, "__module__", None) or "").startswith("numpy"):
        return None
    try:
        return _signature_out_index(obj)
    except TypeError:   # (unhashable)
        return None


@functools.lru_cache(maxsize=None)
def _signature_out_index(obj):
    try:
        params = list(inspect.signature(obj).parameters.values())
    except (TypeError, ValueError):
        return None
    return next((i for i, p in enumerate(params) if p.name == "out" and p.kind in (
        p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)), None)


@functools.lru_cache(maxsize=None)
def _method_out_index(name):
    """The position of ``out`` among the arguments of the ndarray method ``name`` (that of
    NumPy's function of the name, less the array itself: ``x.clip(lo, hi, out)``), or None."""
    if not hasattr(np.ndarray, name):
        return None
    at = _out_index(getattr(np, name, None))
    return at - 1 if at else None


def leaves_arguments(obj, registry):
    """Whether a call of ``obj`` surely leaves its arguments as they were: an exception's
    class, a function the ``registry`` knows (with a rule, not differentiable, inert), a
    builtin that neither keeps nor changes what it is given, NumPy's and ``math``'s
    functions, a Python function of the user's that changes nothing."""
    if isinstance(obj, type) and issubclass(obj, BaseException):
        return True   # raise ValueError(f"... {x}")
    if registry.rule_for(obj) is not None or registry.is_nondifferentiable(obj) \
            or registry.is_inert(obj):
        return True
    if any(obj is b for b in _PURE_BUILTINS):
        return True
    module = getattr(obj, "__module__", None) or ""
    if isinstance(obj, np.ufunc):
        return True   # (but for its outputs given by position: mutations._call_changes)
    if writes_first_argument(obj):
        return False
    if module.split(".")[0] in ("numpy", "math", "_operator", "operator"):
        return True
    return isinstance(obj, types.FunctionType) and _changes_nothing(obj, registry, 3)


def _changes_nothing(func, registry, depth):
    """Whether a Python function of the user's (called on values not being differentiated,
    and so not inlined) surely changes nothing in place: no augmented assignment, no item or
    attribute assignment, no method call but reading ones, no call but to functions that
    change nothing (looked into ``depth`` levels deep)."""
    tree = _parsed(func)
    if tree is None:
        return False
    fresh = _fresh_locals(tree)
    for node in ir.walk_tree(tree):
        if isinstance(node, ast.AugAssign) and not (
                isinstance(node.target, ast.Name) and node.target.id in fresh):
            return False   # m *= 2 changes an array m in place (m may be an argument)
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) \
                else [node.target]
            if not all(isinstance(t, ast.Name) or isinstance(t, (ast.Tuple, ast.List)) and all(
                    isinstance(e, ast.Name) for e in t.elts) for t in targets):
                return False
        elif isinstance(node, (ast.Global, ast.Nonlocal, ast.Lambda, ast.Yield, ast.YieldFrom,
                               ast.ClassDef)) or isinstance(node, ast.FunctionDef) \
                and node is not tree.body[0]:
            return False
        elif isinstance(node, ast.Call):
            if any(k.arg == "out" for k in node.keywords):
                return False
            obj = _called(node.func, func)
            if obj is _METHOD:
                if reads_only(node.func.attr, registry):
                    continue
                return False
            if obj is None or getattr(obj, "__name__", "") in ir.WRITING_FUNCTIONS:
                return False
            if isinstance(obj, types.FunctionType) and obj is not func \
                    and not (module_of(obj) in ("numpy", "math")) \
                    and not (depth > 0 and _changes_nothing(obj, registry, depth - 1)):
                return False
            if not isinstance(obj, types.FunctionType) and not leaves_arguments(obj, registry):
                return False
    return True


def returns_new(func):
    """For a Python function of the user's ``func`` that returns only what arithmetic, a
    comparison, a ufunc... makes, or a constant (``return p * q + 1.0``, see _makes_new),
    never an object its caller has: whether what it returns may hold objects the caller
    has (a list made of others holds their items; not where the values returned read no
    variable, only functions and modules). None for any other callee."""
    if not isinstance(func, types.FunctionType) or module_of(func) in ("numpy", "math"):
        return None
    tree = _parsed(func)
    if tree is None or not isinstance(tree.body[0], ast.FunctionDef) or any(
            isinstance(n, (ast.Lambda, ast.Yield, ast.YieldFrom, ast.AsyncFunctionDef))
            or isinstance(n, ast.FunctionDef) and n is not tree.body[0] for n in ir.walk_tree(tree)):
        return None
    values = [r.value for r in ir.walk_tree(tree) if isinstance(r, ast.Return) and r.value]
    if not all(_makes_new(v, func) for v in values):
        return None
    return any(isinstance(n, ast.Name) and not is_code(func.__globals__.get(
        n.id, getattr(builtins, n.id, None))) for v in values for n in ir.walk_tree(v))


def _parsed(func):
    """The AST of a Python function's source (a Module holding its def), or None (also
    for a wrapper, whose source inspect finds in the function it wraps, and for a def with
    decorators but @staticmethod: the source is not what runs)."""
    import inspect
    import textwrap
    if getattr(func, "__wrapped__", None) is not None:
        return None
    try:
        tree = parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return None
    fn = tree.body[0] if tree.body else None
    if not isinstance(fn, ast.FunctionDef) or fn.name != getattr(func, "__name__", None) \
            or not all(_keeps_code(d) for d in fn.decorator_list):
        return None   # (@staticmethod leaves the function as written)
    fn.decorator_list = []   # (they ran when the def did, not in a call)
    return tree


def _keeps_code(decorator):
    """Whether ``decorator`` leaves the function it decorates as written: ``@staticmethod``,
    and ``@functools.lru_cache(...)`` / ``@cache`` for the function it wraps (which the
    cache calls, keeping the results)."""
    named = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = named.attr if isinstance(named, ast.Attribute) else getattr(named, "id", None)
    return name == "staticmethod" and decorator is named or name in ("lru_cache", "cache")


def bound_parameters(func, call, registry, depth, globals_aside=False, owner=None):
    """The argument expressions of ``call`` (to the Python function of the user's ``func``)
    given for the parameters ``func`` may change in place (see _changed_parameters), or None
    where that is not known (it may change anything, or such a parameter takes its default).
    ``globals_aside``: the parameters it changes, whatever module-level objects it changes
    too by their names (``globals_changed``). ``owner``: see _changes."""
    if not isinstance(func, types.FunctionType):
        return None
    made = _changes(func, registry, depth, owner)
    changed = None if made is None or made[1] and not globals_aside else made[0]
    tree = _parsed(func) if changed else None
    if changed is None or changed and tree is None:
        return None
    if not changed:
        return []
    args = tree.body[0].args
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords) or args.vararg or args.kwarg:
        return None
    positional = [a.arg for a in args.posonlyargs + args.args]
    given = dict(zip(positional, call.args))
    given.update((k.arg, k.value) for k in call.keywords)
    if len(call.args) > len(positional) or not changed <= set(given):
        return None
    return [given[p] for p in sorted(changed)]


def globals_changed(func, registry, owner=None):
    """{name: object} of the module-level names whose objects the user's function ``func``
    changes in place by assigning into them (``CONFIG["act"] = v``, ``BUF[0] = v``), where
    all else it changes is its parameters' objects; None where it may change more (a global
    through another name or a method, a function that does). ``owner``: see _changes."""
    made = _changes(func, registry, 3, owner) if isinstance(func, types.FunctionType) \
        else None
    if made is None or any(n not in func.__globals__ for n in made[1]):
        return None   # (a closure variable's)
    return {n: func.__globals__[n] for n in sorted(made[1])}


def _changed_parameters(func, registry, depth):
    """The parameters ``_changes`` finds, None where it finds a module-level object too."""
    made = _changes(func, registry, depth)
    return None if made is None or made[1] else made[0]


def _changes(func, registry, depth, owner=None):
    """(parameters, module-level names) of a Python function of the user's (called on values
    not being differentiated, and so not inlined): the parameters whose objects, or what
    they hold, it may change in place, and the globals it assigns into (``BUF[0] = v``);
    None where it may change anything else (a global through another name, or anything: a
    method that may write, a function not known, ``out=``). A local name may share memory
    with every parameter its values are computed from (``r = np.sin(q)``: with ``q``), so
    ``r += e`` may change ``q``'s object (not where ``r`` is only ever made new by
    arithmetic, see _fresh_locals). Looked into ``depth`` levels of calls deep. ``owner``:
    (class, the names of the object's own attributes) where ``func`` is called as a method
    of an object of that class, given as its first parameter: its calls of the object's
    methods (``self.penalty()``) are looked into as that class's functions."""
    tree = _parsed(func)
    if tree is None or not isinstance(tree.body[0], ast.FunctionDef):
        return None
    fn = tree.body[0]
    params = {a.arg for a in ir.walk_tree(fn.args) if isinstance(a, ast.arg)}
    local = params | ir.assigns([fn])
    fresh, found = _fresh_locals(tree), set()
    flows = _parameter_flows(fn, func, local)
    if flows is None:
        return None
    shares, is_ = _shared_parameters(flows, params)

    def sharing(e):   # (a global's object, by its name: "*CONFIG")
        return set().union(set(), *(shares.get(n.id, set()) if n.id in local else set()
                                    if _names_code(func, n.id) else {"*" + n.id}
                                    for n in ir.walk_tree(e) if isinstance(n, ast.Name)))

    for node in ir.walk_tree(fn):
        targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else \
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        for t in targets:
            if isinstance(t, ast.Name):
                if isinstance(node, ast.AugAssign) and t.id not in fresh:
                    found |= is_.get(t.id, set())   # r op= e: in place, for an array
            elif not (isinstance(t, (ast.Tuple, ast.List)) and all(
                    isinstance(e, ast.Name) for e in t.elts)):
                found |= sharing(t)   # k[i] = v, obj.a = v
        if isinstance(node, ast.Call):
            more = _call_changed(node, func, registry, depth, sharing,
                                 _receiver(fn, owner))
            if more is None:
                return None
            found |= more
    if "*" in found:
        return None
    return found & params, {n[1:] for n in found if n.startswith("*")}


def _parameter_flows(fn, func, local):
    """For _changed_parameters: (names bound, names whose contents change, names read, how:
    "new", "name" or "other") for each assignment of the def ``fn`` (of ``func``; ``local``:
    its parameters and local names), "*" read for a variable not its own; None for what it
    does not follow (global, a nested function, with, ...)."""

    def code(name):
        return _names_code(func, name)

    flows = []
    for node in ir.walk_tree(fn):
        if isinstance(node, (ast.Global, ast.Nonlocal, ast.Lambda, ast.Yield, ast.YieldFrom,
                             ast.ClassDef, ast.With, ast.AsyncFunctionDef, ast.Await,
                             ast.NamedExpr)) or isinstance(node, ast.FunctionDef) \
                and node is not fn:
            return None
        if _stores_in_receiver(node):   # seen.append(v), self.seen.append(v): it holds v
            read = ir.names_mentioned(list(node.args) + [k.value for k in node.keywords])
            if any(n not in local and not code(n) for n in read):
                read.add("*")
            flows.append((set(), ir.names_mentioned([node.func.value]), read, "other"))
        pairs = [(t, node.value) for t in node.targets] if isinstance(node, ast.Assign) else \
            [(node.target, node.value)] if isinstance(node, ast.AnnAssign) and node.value else \
            [(node.target, node.iter)] if isinstance(node, (ast.For, ast.comprehension)) else []
        for target, value in pairs:
            read = ir.names_mentioned([value])
            if any(n not in local and not code(n) for n in read):
                if any(not isinstance(t, ast.Name) for t in ir.walk_tree(target)
                       if isinstance(t, ast.expr) and isinstance(getattr(t, "ctx", None),
                                                                  ast.Store)):
                    return None
                read.add("*")   # (what a global names)
            bound = {n.id for n in _bound_names(target)}
            kind = "new" if _makes_new(value, func) else \
                "name" if isinstance(value, ast.Name) else "other"
            flows.append((bound, ir.names_mentioned([target]) - bound, read, kind))
    return flows


def _names_code(func, name):
    """Whether the free name ``name`` of the function ``func`` is a module, function or class
    (nothing the function changes)."""
    obj = func.__globals__.get(name, getattr(builtins, name, None))
    return obj is not None and is_code(obj)


def is_foreign(obj):
    """Whether the callable ``obj`` is a library's or the interpreter's (C code, a function
    or class of an installed package or of the standard library), which changes what it is
    given, not the user's objects it is not given; the user's code (a function, a
    ``functools.partial`` of one, a class, an object with ``__call__``) may change any
    object it can reach by a name."""
    import functools
    from ..errors import in_a_library
    while isinstance(obj, functools.partial):
        obj = obj.func
    if isinstance(obj, (types.BuiltinFunctionType, types.BuiltinMethodType, np.ufunc)):
        return True
    code = getattr(getattr(obj, "__func__", obj), "__code__", None)
    if code is None and isinstance(obj, type):
        module = __import__("sys").modules.get(obj.__module__)
        filename = getattr(module, "__file__", None)
        return obj.__module__ == "builtins" or bool(filename) and in_a_library(filename)
    return code is not None and in_a_library(code.co_filename)


def changes_unseen(obj, registry):
    """Whether a call of ``obj`` whose changes to what it is given are not known
    (``bound_parameters`` None) may also change objects it is not given: not a library's
    function (``is_foreign``), nor a dataclass or NamedTuple (their ``__init__`` stores
    its arguments), nor a class whose own ``__init__`` changes only its parameters."""
    if is_foreign(obj):
        return False
    if isinstance(obj, type):
        if issubclass(obj, tuple) and hasattr(obj, "_fields") or dataclasses.is_dataclass(
                obj) and not hasattr(obj, "__post_init__"):
            return False
        init = getattr(obj, "__init__", None)   # (object's, a builtin base's: stores nothing)
        return isinstance(init, types.FunctionType) \
            and _changed_parameters(init, registry, 3) is None
    return True


def _shared_parameters(flows, params):
    """(shares, is_) for _changed_parameters: ``is_[n]``, the parameters the value of name
    ``n`` may be (or be a view of, or an item of); ``shares[n]``, those it may be or hold
    ("p" stands for p and everything it holds, "*" for what a global names)."""
    shares, is_ = {p: {p} for p in params}, {p: {p} for p in params}
    changed = True
    while changed:
        changed = False
        for targets, holders, read, kind in flows:
            held = set().union(set(), *(shares.get(n, {"*"} if n == "*" else set())
                                        for n in read))
            same = set() if kind == "new" else held if kind == "other" else \
                set().union(set(), *(is_.get(n, {"*"} if n == "*" else set()) for n in read))
            for t, table, value in [(t, shares, held) for t in targets | holders] + [
                    (t, is_, same) for t in targets]:
                if not value <= table.setdefault(t, set()):
                    table[t] |= value
                    changed = True
    return shares, is_


def _bound_names(target):
    """The names an assignment to ``target`` binds (not those of ``k[i] = v``)."""
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for e in target.elts for n in _bound_names(e)]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    return []


_METHOD = object()   # (what _called gives for a method of a value)


def _called(f, func):
    """What the function expression ``f`` of a call in the user's function ``func`` names:
    a global or builtin (``f``), a module's attribute (``np.sin``); ``_METHOD`` for a
    method of a value (``v.sum``); None for anything else, or a name found nowhere."""
    if isinstance(f, ast.Name):
        return func.__globals__.get(f.id, getattr(builtins, f.id, None))
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) \
            and isinstance(func.__globals__.get(f.value.id), types.ModuleType):
        return getattr(func.__globals__[f.value.id], f.attr, None)
    return _METHOD if isinstance(f, ast.Attribute) else None


def reads_only(method, registry):
    """Whether the method ``method`` of a value only reads it."""
    return method in _READING_METHODS or method in registry.by_method \
        or method in registry.nondiff_methods


def _makes_new(value, func):
    """Whether the expression ``value`` (in the user's function ``func``) is a new object:
    arithmetic, a comparison, a constant, a NumPy function that makes a new array, a
    ufunc, a function of ``math``."""
    if isinstance(value, (ast.BinOp, ast.UnaryOp, ast.Compare, ast.Constant)):
        return True
    if not isinstance(value, ast.Call) or any(k.arg in ("out", "copy") for k in value.keywords):
        return False
    obj = _called(value.func, func)
    return isinstance(obj, np.ufunc) or module_of(obj) == "math" and callable(obj) or \
        module_of(obj) == "numpy" and getattr(obj, "__name__", "") in NUMPY_ALLOCATORS


def _receiver(fn, owner):
    """(the name of the first parameter of the def ``fn``, ``owner``) where ``owner`` is
    given (see _changes) and the def never binds that name again, else None."""
    args = fn.args.posonlyargs + fn.args.args
    if owner is None or not args:
        return None
    name = args[0].arg
    bound = {n.id for n in ir.walk_tree(fn) if isinstance(n, ast.Name)
             and isinstance(n.ctx, (ast.Store, ast.Del))}
    return None if name in bound else (name, owner)


def _call_changed(call, func, registry, depth, sharing, receiver=None):
    """For _changed_parameters: the names ``call`` (in the user's function ``func``) may
    change in place, by ``sharing(expression)``, or None for anything. ``receiver``: (the
    name of an object of a known class, (the class, its own attributes' names)), whose
    methods called by that name are the class's functions (see _receiver)."""
    if any(k.arg == "out" for k in call.keywords):
        return None
    obj = _called(call.func, func)
    if obj is _METHOD and receiver is not None and isinstance(call.func.value, ast.Name) \
            and call.func.value.id == receiver[0] and depth > 0:
        return _own_method_changed(call, registry, depth, sharing, receiver[1])
    if obj is _METHOD and (call.func.attr in _CHANGING_RECEIVER
                           or call.func.attr in ir.WRITING_METHODS):
        return sharing(call.func.value)   # (self.seen.append(v): self.seen, which holds v)
    if obj is _METHOD:
        return set() if reads_only(call.func.attr, registry) else None
    if obj is None or obj is func or getattr(obj, "__name__", "") in ir.WRITING_FUNCTIONS:
        return None
    if isinstance(obj, types.FunctionType) and module_of(obj) not in ("numpy", "math"):
        if depth <= 0:
            return None
        bound = bound_parameters(obj, call, registry, depth - 1)
        return None if bound is None else set().union(set(), *(sharing(a) for a in bound))
    if not isinstance(obj, types.FunctionType) and not leaves_arguments(obj, registry):
        return None
    return set()


def _own_method_changed(call, registry, depth, sharing, owner):
    """For _call_changed: what ``self.method(...)`` may change, ``self`` an object of the
    class ``owner[0]`` with the own attributes ``owner[1]``: as the class's function given
    ``self`` first; None where that is not known (an attribute of the object's own, no
    plain function of the class's)."""
    cls, own = owner
    method = method_of(cls, own, call.func.attr)
    if method is None:
        return None
    as_function = ast.Call(func=call.func, args=[call.func.value] + list(call.args),
                           keywords=call.keywords)
    bound = bound_parameters(method, as_function, registry, depth - 1, owner=owner)
    return None if bound is None else set().union(set(), *(sharing(a) for a in bound))


def method_of(cls, own, name):
    """The plain function of the class ``cls`` that ``obj.name`` calls for an object
    ``obj`` of that class whose own attributes are named ``own``; None where it may call
    anything else (an attribute of the object's own, no plain function, a class that
    looks its attributes up its own way: ``__getattribute__``)."""
    method = inspect.getattr_static(cls, name, None)
    if name in own or not isinstance(method, types.FunctionType) or any(
            "__getattribute__" in vars(k) for k in cls.__mro__ if k not in (object, tuple)):
        return None
    return method


#: container methods that change their receiver only, by their name (as mutations.py reads
#: them); those of _STORING store what they are given in it
_STORING = {"append", "extend", "insert", "add", "update", "setdefault"}
_CHANGING_RECEIVER = _STORING | {"pop", "remove", "clear", "reverse", "discard", "popitem"}


def _stores_in_receiver(node):
    """Whether ``node`` calls a container's method that stores what it is given in its
    receiver (``self.seen.append(v)``)."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
        and node.func.attr in _STORING


def _fresh_locals(tree):
    """The names of the function ``tree`` (not its parameters, globals or nonlocals) only
    ever bound to a new value, a constant or the result of arithmetic (``r = p + 0.5``), or
    changed by ``r op= e``: ``r op= e`` changes that value, nothing the caller has."""
    fn = tree.body[0]
    made = (ast.BinOp, ast.UnaryOp, ast.Constant, ast.Compare)
    others = {a.arg for a in ir.walk_tree(fn.args) if isinstance(a, ast.arg)}
    updated = {n.target for n in ir.walk_tree(tree) if isinstance(n, ast.AugAssign)}
    new = {n.targets[0] for n in ir.walk_tree(tree) if isinstance(n, ast.Assign)
           and len(n.targets) == 1 and isinstance(n.value, made)}
    found = set()
    for n in ir.walk_tree(tree):
        if isinstance(n, (ast.Global, ast.Nonlocal)):
            others |= set(n.names)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n not in updated:
            (found if n in new else others).add(n.id)
    return found - others


def module_of(obj):
    return (getattr(obj, "__module__", None) or "").split(".")[0]


def is_code(obj):
    return isinstance(obj, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
                            type)) or isinstance(obj, np.ufunc)


#: NumPy functions that return a new array (or number) built from their arguments' values
NUMPY_ALLOCATORS = {
    "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like",
    "arange", "linspace", "logspace", "geomspace", "eye", "identity", "copy", "array",
    "concatenate", "stack", "hstack", "vstack", "tile", "repeat", "sum", "mean", "prod",
    "cumsum", "dot", "matmul", "outer", "argmax", "argmin", "argsort", "sort", "where",
    "nonzero", "count_nonzero", "isnan", "isfinite", "isinf", "sign", "floor", "ceil",
    "round", "abs", "exp", "log", "sqrt", "sin", "cos", "tanh", "maximum", "minimum",
    "clip", "normal", "uniform", "standard_normal", "random", "rand", "randn", "integers",
    "default_rng", "meshgrid", "tri", "triu", "tril", "diff", "allclose", "isclose",
    "array_equal", "shape", "ndim", "size",
}
