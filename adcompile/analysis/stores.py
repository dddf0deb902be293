"""What a call kept as written may store, and where (for the points-to facts, points_to.py):
a container's method stores what it is given in its receiver (``hs.append(v)``,
``self.seen.append(v)``); a call that may change what it is given may store any object it
is given in any of them (``keep(box, v)``: ``box[0] = v``); one of the user's may store
them in the module-level objects it assigns into (``CACHE.append(v)``), or, where what it
changes is not known, in any object made outside the function (``ESCAPED``). A later
change through the container is then a change of the object stored (``BOX[0][0] = 5.0``).
And the object whose method a call runs, where its class is known here (``receiver``),
which mutations.py asks too.
"""

import ast
import inspect
import types

import numpy as np

from .. import ir
from ..ir.trees import BY_ATTRIBUTE, Node
from .call_effects import (bound_parameters, changes_unseen, globals_changed, is_foreign,
                           leaves_arguments, method_of, reads_only)

#: in the contents of every object made outside the function: the objects given to a call
#: of the user's code that may store them where it likes, which any of those may hold
ESCAPED = "given away"

#: container methods that store what they are given in their receiver (and nothing else)
STORING_METHODS = frozenset({"append", "insert", "extend", "add", "update", "setdefault"})
#: container methods that change their receiver and store nothing in it
EMPTYING_METHODS = frozenset({"pop", "remove", "clear", "reverse", "discard", "popitem"})


def stored(aliases, call):
    """(the objects ``call`` may store something in, the objects it may store), by the
    points-to facts ``aliases``; (set(), set()) for a call that stores nothing."""
    func, obj = call.func, aliases.callee(call.func)
    given = set().union(set(), *(aliases.value(a) for a in list(call.args) + [
        k.value for k in call.keywords]))
    # (a method of a value, read by its name, as mutations.py reads it: not a module's
    # function, nor one with a rule of its own)
    by_name = isinstance(func, ast.Attribute) and (obj is None or not isinstance(
        getattr(obj, "__self__", None), (types.ModuleType, type(None)))
        and aliases.registry.rule_for(obj) is None)
    if by_name and func.attr in STORING_METHODS:
        return aliases.value(func.value), given
    if by_name and (func.attr in EMPTYING_METHODS or func.attr in ir.WRITING_METHODS
                    or reads_only(func.attr, aliases.registry)
                    or isinstance(getattr(obj, "__self__", None), np.ufunc)) \
            or not by_name and obj is not None and leaves_arguments(obj, aliases.registry):
        return set(), set()   # (np.add.at(c, i, v) writes values, as x[i] = v does)
    if by_name:
        given |= aliases.value(func.value)
    into = _stored_elsewhere(aliases, call, obj, by_name)
    return aliases.deep(given) | into, given


def _stored_elsewhere(aliases, call, obj, by_name):
    """The objects not given to ``call`` that it may store something in: the module-level
    objects a function (or method of an object known here) of the user's assigns into,
    ``ESCAPED`` where that is not known (as mutations.py has it change ``ELSEWHERE``); none
    for a library's function, or a method of a value whose class is not known here."""
    if by_name:
        found = receiver(aliases, call)
        if found is None:   # (a method of a value whose class is not known here: what it
            return set()    # is given and its receiver, as mutations.py reads it)
        func, owner = found
    else:
        func, owner = obj, None
        if func is None or is_foreign(func) or not changes_unseen(func, aliases.registry):
            return set() if func is not None else {ESCAPED}
    if func is None:
        return {ESCAPED}
    as_call = call if owner is None else ast.Call(
        func=call.func, args=[call.func.value] + list(call.args), keywords=call.keywords)
    bound = bound_parameters(func, as_call, aliases.registry, 3, globals_aside=True,
                             owner=owner)
    free = globals_changed(func, aliases.registry, owner) if bound is not None else None
    if free is None:
        return {ESCAPED}
    return {aliases.object_site(name, o) for name, o in free.items()}


def receiver(aliases, call):
    """For ``call``, ``v.method(...)`` of an object ``v`` of the user's class known here (a
    module-level object, or a parameter given as a structure: the code is specialised on
    its class and its own attributes, its keys): (the plain function of the class it runs,
    or None where that is not known, (the class, the names of the object's own
    attributes)); None for any other call."""
    holder = aliases.callee(call.func.value)
    if users_object(holder):
        owner = (type(holder), own_attributes(holder))
    else:
        tree = structure_of(aliases, call.func.value)
        if tree is None or tree.kind not in BY_ATTRIBUTE:
            return None
        owner = (tree.type, set(tree.keys))
    return method_of(*owner, call.func.attr), owner


def structure_of(aliases, e):
    """The ``ir.trees.Node`` of the structure that the expression ``e`` names: a parameter
    given as one (and never assigned), read with constant keys (``model``, ``model.enc``,
    ``layers[0]``); else None."""
    steps = []
    while isinstance(e, (ast.Attribute, ast.Subscript)):
        steps.append(e.attr if isinstance(e, ast.Attribute) else e.slice)
        e = e.value
    trees = getattr(aliases.fn, "trees", None) or {}
    found = trees.get(e.id) if isinstance(e, ast.Name) and e.id not in aliases.local else None
    for step in reversed(steps):
        if not isinstance(found, Node) or isinstance(step, str) != (
                found.kind in BY_ATTRIBUTE) or isinstance(step, ast.expr) and not (
                isinstance(step, ast.Constant) and not isinstance(step.value, bool)):
            return None
        found = found.child(step if isinstance(step, str) else step.value)
    return found if isinstance(found, Node) else None


def own_attributes(holder):
    """The names of the attributes the object ``holder`` has of its own (in its
    ``__dict__``), which ``holder.name`` finds before its class's."""
    try:
        return set(object.__getattribute__(holder, "__dict__"))
    except (AttributeError, TypeError):
        return set()


def users_object(obj):
    """Whether ``obj`` (what a name the function reads holds now, None where not known) is
    an instance of a class of the user's, whose methods may change what it holds."""
    return obj is not None and not isinstance(obj, (
        types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType,
        types.MethodType, np.ufunc)) and not is_foreign(type(obj))
