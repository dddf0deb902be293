"""Whether a function reads an argument as a structure (``params["W"]``, ``p.W``): what
its code means is then known only once a call passes one (compiler.Transform defers
it); see ir/trees.py.
"""

import ast
import inspect

import numpy as np

from ..errors import TransformError
from ..ir import assigns, base_of, names_mentioned, names_read, walk_tree
from .source import FunctionSource, own_signature
from .syntax import is_update, is_user_function

_ARRAY_ATTRIBUTES = frozenset(a for a in dir(np.ndarray) if not a.startswith("_"))


def structure_use(source, params, _seen=None):
    """(node, certain) for the first place where the function of ``source`` (a
    FunctionSource), or a function of the user's it passes them to, uses one of ``params``
    as a structure would be used, or None. Certain: an attribute an array does not have,
    a string key, ``.items()``/``.keys()``/``.values()``, a call of it (an object's
    ``__call__``), an item read by a loop's variable over it (``for k in params:
    params[k]``); not certain (an array may be
    used so too): unpacking it, a loop or comprehension unpacking its items, or such a use
    in a function it calls."""
    seen = set() if _seen is None else _seen
    if source.node in seen or len(seen) > 20:
        return None
    seen.add(source.node)
    found = _structure_use_in(source.node, set(params))
    if found is not None and found[1]:
        return found
    for callee_source, names in _passed_on(source, set(params)):
        inner = structure_use(callee_source, names, seen)
        if inner is not None:
            return inner[0], False   # (where is in another function: reported as uncertain)
    return found


def _passed_on(source, params):
    """(FunctionSource, its parameter names) for each call in ``source`` of a function of
    the user's that is given one of ``params`` as an argument."""
    local = set(source.params) | assigns([source.node])
    for node in walk_tree(source.node):
        if not isinstance(node, ast.Call):
            continue
        given = [a for a in node.args if isinstance(a, ast.Name) and a.id in params] + [
            k.value for k in node.keywords if isinstance(k.value, ast.Name) and k.value.id in params]
        if not given:
            continue
        called = source.callee(node.func, local)
        if called.kind != "object" or not is_user_function(called.what):
            continue
        try:
            callee = FunctionSource(called.what)
            bound = own_signature(called.what).bind_partial(*node.args, **{
                k.arg: k.value for k in node.keywords if k.arg})
        except (TransformError, TypeError, ValueError):
            continue
        names = {p for p, a in bound.arguments.items()
                 if isinstance(a, ast.Name) and a.id in params}
        if names:
            yield callee, names


def items_of(fn, params):
    """``params`` and the names bound to their items: a loop's variables over one (``for
    layer in layers``, ``for i, layer in enumerate(layers)``) and ``name = param[...]`` or
    ``name = param.attribute[...]``, in turn (``for W, b in layer``)."""
    found = set(params)
    while True:
        more = set()
        for node in walk_tree(fn):
            if isinstance(node, (ast.For, ast.comprehension)) and _walks(node.iter, found):
                more |= names_mentioned([node.target])
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], ast.Name) \
                    and isinstance(node.value, (ast.Subscript, ast.Attribute)) \
                    and isinstance(base_of(node.value), ast.Name) \
                    and base_of(node.value).id in found:
                more.add(node.targets[0].id)
        if more <= found:
            return found
        found |= more


def _walks(e, names):
    """Whether a loop over ``e`` walks one of ``names``, an attribute or item of one
    (``net.layers``), or enumerate, zip, reversed of those."""
    while isinstance(e, (ast.Attribute, ast.Subscript)):
        e = e.value
    return isinstance(e, ast.Name) and e.id in names or isinstance(e, ast.Call) and any(
        _walks(a, names) for a in e.args)


def _structure_use_in(fn, params):
    """``structure_use`` within the ``def`` ``fn`` alone: a use of one of ``params``, or of
    a name bound to one of their items (``layer.W`` in ``for layer in layers``)."""
    params = items_of(fn, params)

    def is_param(e):
        return isinstance(e, ast.Name) and e.id in params

    def walks_param(e):   # layers, enumerate(layers), zip(layers, ...), reversed(layers)
        return is_param(e) or isinstance(e, ast.Call) and any(walks_param(a) for a in e.args) \
            or isinstance(e, ast.Starred) and walks_param(e.value)   # zip(*layers)

    # for k in params (or sorted(params)): params[k] reads a dict by its keys
    keys = {(node.target.id, node.iter.id if isinstance(node.iter, ast.Name)
             else node.iter.args[0].id) for node in walk_tree(fn)
            if isinstance(node, ast.For) and isinstance(node.target, ast.Name)
            and (is_param(node.iter) or isinstance(node.iter, ast.Call) and len(
                node.iter.args) == 1 and isinstance(node.iter.func, ast.Name)
                and node.iter.func.id == "sorted" and is_param(node.iter.args[0]))}
    weak = None
    for node in walk_tree(fn):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                and isinstance(node.slice, ast.Name) \
                and (node.slice.id, node.value.id) in keys:
            return node, True
        if isinstance(node, ast.Attribute) and is_param(node.value) \
                and node.attr not in _ARRAY_ATTRIBUTES:
            return node, True
        if isinstance(node, ast.Subscript) and is_param(node.value) \
                and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            return node, True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and is_param(node.func.value) and node.func.attr in ("items", "keys", "values"):
            return node, True
        if isinstance(node, ast.Call) and is_param(base_of(node.func)) \
                and not isinstance(node.func, ast.Attribute):
            return node, True   # layer(x), layers[-1](x): an object's __call__ (an array
            #                     and its items are not called)
        if isinstance(node, ast.Dict) and any(k is None and is_param(v)
                                              for k, v in zip(node.keys, node.values)):
            return node, True   # {**params}: a dict's items
        if weak is None and _reads_items(node, is_param, walks_param):
            weak = node
        if weak is None and (isinstance(node, ast.For) and isinstance(node.target, ast.Tuple)
                             and walks_param(node.iter)
                             or isinstance(node, (ast.ListComp, ast.GeneratorExp,
                                                  ast.DictComp))
                             and any(walks_param(g.iter) for g in node.generators)
                             or isinstance(node, ast.Assign)
                             and isinstance(node.targets[0], ast.Tuple) and is_param(node.value)):
            weak = node
    return (weak, False) if weak is not None else None


def _reads_items(node, is_param, walks_param):
    """Whether ``node`` reads the items of a parameter (``is_param``), as it would a
    structure's, or an array's rows: ``dict(params)``, ``OrderedDict(params)``, ``list(layers)``,
    ``copy.deepcopy(params)`` (a copy), ``map(f, params)``, ``zip(*layers)`` (the items'
    items)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and isinstance(node.func.value, ast.Name) \
            and node.func.value.id in ("copy", "collections"):
        name = node.func.attr   # (copy.copy, copy.deepcopy: of a structure or an array)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
    else:
        return False
    args = node.args
    return name in ("dict", "list", "tuple", "copy", "deepcopy", "OrderedDict") \
        and len(args) == 1 \
        and is_param(args[0]) \
        or name == "map" and any(walks_param(a) for a in args[1:]) \
        or name == "zip" and any(isinstance(a, ast.Starred) and is_param(a.value) for a in args)


def method_call(source, params):
    """(call, parameter) for the first call of a method of one of ``params`` that arrays do
    not have in the function of ``source`` (``self.hidden(x)``), or of one of them itself
    (``self(x)``: its ``__call__``), or of an object among its items (``layer(x)`` in ``for
    layer in self.layers``, ``layers[-1](x)``), or None: with an object of the user's class
    there, the call can be inlined once a call shows the object."""
    owner = _owners(source.node, set(params))
    for node in walk_tree(source.node):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _ARRAY_ATTRIBUTES:
            continue
        base = base_of(func.value if isinstance(func, ast.Attribute) else func)
        if isinstance(base, ast.Name) and base.id in owner:
            return node, owner[base.id]
    return None


def _owners(fn, params):
    """Name -> the one of ``params`` whose item (or attribute, or item of an item) it is
    bound to in ``fn``, or that it is (see ``items_of``)."""
    owner = {}
    for p in sorted(params):
        for name in items_of(fn, {p}):
            owner.setdefault(name, p)
    owner.update((p, p) for p in params)
    return owner


def assigned_into(fn):
    """The parameters of the ``def`` ``fn`` a copy of which is assigned into (``state =
    dict(state)``, then ``state["h"] = h`` or ``state.update(h=h)``): a dict or list given
    for one is read as a
    structure, so that the copy, a structure of the function's own, may be assigned into
    (changes.py). (The argument itself assigned into is the caller's object: as an object
    not read as a structure, the code changes a private copy of it, or refuses.)"""
    made_from = _made_from(fn)
    found = set()
    for node in ast.walk(fn):
        if is_update(node):
            found |= made_from.get(node.value.func.value.id, set())
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
            if isinstance(node, ast.AugAssign) else []
        for t in targets:
            for part in ast.walk(t):
                if isinstance(part, ast.Subscript) and isinstance(part.value, ast.Name):
                    found |= made_from.get(part.value.id, set())
    return found


def copied_parameters(fn):
    """The parameters of the ``def`` ``fn`` from which it makes a value it names (``state =
    dict(state)``, ``body = copy.copy(body)``, ``s = dataclasses.replace(s, ...)``)."""
    return set().union(set(), *_made_from(fn).values())


def _made_from(fn):
    """{name: the parameters of the ``def`` ``fn`` its values are made from} for the names it
    assigns a value computed from parameters (not a parameter itself: ``b = a`` is the
    object, no copy), through copies of copies."""
    params = {a.arg for a in walk_tree(fn.args) if isinstance(a, ast.arg)}
    made_from = {}
    assigns = [n for n in ast.walk(fn) if isinstance(n, ast.Assign)
               and not isinstance(n.value, ast.Name)]
    for _ in range(3):   # (a copy of a copy)
        for a in assigns:
            read = set().union(set(), *(made_from.get(n, {n} & params)
                                        for n in names_read(a.value)))
            for t in a.targets:
                if isinstance(t, ast.Name) and read:
                    made_from.setdefault(t.id, set()).update(read)
    return made_from
