"""In-place changes: what a statement may change in place, the *mutation* hazard (a
statement kept as written that changes an array a primitive read before it: see
points_to.py) refused, and the arguments the generated code changes (``changed_arguments``,
which it copies first).
"""

import ast
import functools
import linecache
import types

import numpy as np

from .. import ir
from .call_effects import (bound_parameters, changes_unseen, globals_changed,
                           leaves_arguments, positional_outputs, reads_only,
                           writes_first_argument)
from .points_to import ATOMS, ELSEWHERE, of
from .stores import receiver
from .program_order import Place, follows, program_order

#: container methods that change their receiver only (append and extend only add to a
#: list: what a primitive read of it before stays as it was)
_CONTAINER_METHODS = {"insert", "pop", "remove", "clear", "reverse", "add", "discard",
                      "update", "setdefault", "popitem"}
_ADDING_METHODS = {"append", "extend"}


def changed_objects(aliases, s):
    """The objects statement ``s`` (its own code, not nested blocks) may change in place, by
    the points-to facts ``aliases`` (with ``ELSEWHERE``: see there)."""
    # (appending leaves the items there: the adjoints of np.stack(hs) and the like
    # cover the items the list had when they ran, whatever it holds later)
    if isinstance(s, ir.ListGet) and s.pop:
        return set(aliases.of(s.source))
    if isinstance(s, ir.ListSet):   # (another name for the list would see the new item)
        return set(aliases.of(s.target))
    if not isinstance(s, ir.Keep):
        return set()
    stmt, found = s.stmt, set()
    targets = stmt.targets if isinstance(stmt, ast.Assign) else \
        [stmt.target] if isinstance(stmt, ast.AugAssign) else []
    for t in targets:
        for part in _stored_parts(t):   # k[i] = v, obj.a = v (not what i reads)
            if isinstance(part, (ast.Subscript, ast.Attribute)):
                found |= aliases.value(part.value)
                if isinstance(stmt, ast.AugAssign) and part is t:
                    # k[i] op= v also changes in place the item (an array a list holds),
                    # and state.BUF op= v the module's array
                    found |= aliases.held(aliases.value(part.value))
                    if isinstance(part, ast.Attribute):   # (not an index's: counts[a[i]] += 1)
                        found |= aliases.value(part)
    for node in ir.walk_tree(stmt):
        if isinstance(node, ast.Call):
            found |= _call_changes(aliases, node)
    return found


def _call_changes(aliases, call):
    """The objects a call may change: what it is given with out=, what a function or
    method known to write changes, and for one not known to leave its arguments alone,
    everything its arguments (and its receiver) hold."""
    found = set()
    for k in call.keywords:
        if k.arg == "out":
            found |= aliases.deep(aliases.value(k.value))
    args = list(call.args) + [k.value for k in call.keywords if k.arg != "out"]
    given = aliases.deep(set().union(set(), *(aliases.value(a) for a in args)))
    if any(k.arg and k.arg.startswith("overwrite_") and not (
            isinstance(k.value, ast.Constant) and k.value.value in (False, 0))
           for k in call.keywords):
        # np.median(y, overwrite_input=True), scipy.linalg's overwrite_a=, overwrite_b=:
        # the function may write into what it is given
        found |= given
    func = call.func
    obj = aliases.callee(func)
    while isinstance(obj, functools._lru_cache_wrapper):   # (it keeps results: the
        obj = obj.__wrapped__                              # function's own effects)
    if isinstance(getattr(obj, "__self__", None), np.ufunc) \
            and getattr(obj, "__name__", "") == "at" and call.args:
        return found | aliases.value(call.args[0])   # np.add.at(x, idx, v) changes x only
    if obj is not None and isinstance(func, ast.Attribute) \
            and not isinstance(getattr(obj, "__self__", None), (types.ModuleType, type(None))) \
            and aliases.registry.rule_for(obj) is None:
        obj = None   # a method of an object (M.T.dot): by the method's name, below
        # (unless it has a rule of its own: scipy.stats.norm.logpdf)
    method = isinstance(func, ast.Attribute) and obj is None
    outputs = positional_outputs(obj, call) if obj is not None or method else []
    found |= aliases.deep(set().union(set(), *(aliases.value(a) for a in outputs)))
    if obj is not None:
        if (getattr(obj, "__name__", "") in ir.WRITING_FUNCTIONS
                or writes_first_argument(obj)) and call.args:
            return found | aliases.value(call.args[0])
        if leaves_arguments(obj, aliases.registry):
            return found
        known = _partial_changes(aliases, obj, call) if isinstance(obj, functools.partial) \
            else _known_changes(aliases, obj, call)
        if known is not None:
            return found | known
        if changes_unseen(obj, aliases.registry):   # the user's code: what a global names too
            return found | given | {ELSEWHERE}
        return found | given   # a library's function may write into what it is given
    if isinstance(func, ast.Attribute):
        return found | _method_call_changes(aliases, call, given)
    return found | given | {ELSEWHERE}   # a function held in a variable


def _method_call_changes(aliases, call, given):
    """What ``call``, ``v.method(...)`` of a value ``v`` whose function is not known, may
    change (``given``: what its arguments may hold): by the method's name, or as the
    function of ``v``'s class where ``v`` is an object of the user's known here."""
    receiver_objects, method = aliases.value(call.func.value), call.func.attr
    if method in ir.WRITING_METHODS or method in _CONTAINER_METHODS:
        return receiver_objects
    if method in _ADDING_METHODS or reads_only(method, aliases.registry):
        return set()
    found = receiver(aliases, call)
    if found is not None:   # (C.reset(), model.penalty(): may change what the object holds,
        func, owner = found   # which another name may hold)
        known = None if func is None else _known_changes(aliases, func, ast.Call(
            func=call.func, args=[call.func.value] + list(call.args),
            keywords=call.keywords), owner=owner)
        return {ELSEWHERE} if known is None else known
    return aliases.deep(receiver_objects) | given


def _known_changes(aliases, func, call, held=None, owner=None):
    """What the user's function ``func`` called as ``call`` may change in place: what it is
    given for the parameters it may change, and the module-level objects it assigns into
    (call_effects.py), with what they hold; None where that is not known. ``held``:
    {argument node: the object it stands for} (what a ``functools.partial`` holds);
    ``owner``: (class, own attributes' names) of the object given first, where ``func`` is
    its method (call_effects._changes)."""
    held = held or {}
    bound = bound_parameters(func, call, aliases.registry, 3, globals_aside=True, owner=owner)
    free = globals_changed(func, aliases.registry, owner) if bound is not None else None
    if bound is None or free is None:
        return None
    given = set().union(set(), *(
        aliases.value(a) if a not in held else set() if isinstance(held[a], ATOMS)
        else {aliases.object_site(f"{ast.unparse(call.func)}.args", held[a])}
        for a in bound))
    # (``BUF["t"][1] = v`` changes what the global holds, as ``p[0][1] = v`` a parameter's)
    return aliases.deep(given | {aliases.object_site(name, o) for name, o in free.items()})


def _partial_changes(aliases, partial, call):
    """What calling ``partial`` (a ``functools.partial`` of a function of the user's) as
    ``call`` may change in place: the function's changes given the arguments the partial
    holds before those of ``call``; None where not known."""
    held = {ast.Constant(value=None): a for a in partial.args}
    keywords = {ast.Constant(value=None): (k, v) for k, v in partial.keywords.items()}
    held.update((node, v) for node, (k, v) in keywords.items())
    as_function = ast.Call(
        func=call.func, args=list(held)[:len(partial.args)] + list(call.args),
        keywords=[ast.keyword(arg=k, value=node) for node, (k, _) in keywords.items()]
        + [k for k in call.keywords if k.arg not in partial.keywords])
    return _known_changes(aliases, partial.func, as_function, held)


def _stored_parts(target):
    """The nodes of an assignment's ``target`` that are stored into or whose object is:
    the target, the items of a tuple of targets, and the containers of an item or
    attribute (``x[i][j]``: ``x[i]`` and ``x``), never an index (``counts[a[i]] += 1``
    does not change ``a``)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return [p for e in target.elts for p in _stored_parts(e)]
    if isinstance(target, ast.Starred):
        return _stored_parts(target.value)
    if isinstance(target, (ast.Subscript, ast.Attribute)):
        return [target] + _stored_parts(target.value)
    return [target]


def _reverse_reads(s):
    """Names whose values the reverse sweep reads for statement ``s``: a primitive's inputs
    and result (read by its adjoint after the whole forward sweep), an item's index."""
    if isinstance(s, ir.Op):
        return ir.own_reads(s) | {s.target}
    if isinstance(s, (ir.ListGet, ir.ListAdd, ir.ListSet)):
        return ir.names_read(s.index)
    return set()


def check_mutations(fn, aliases):
    """Refuse a statement kept as written that changes, in place, an object a primitive read
    before it (or in the same loop): the reverse sweep would read the changed values."""
    order = program_order(fn.body)
    entries = sorted(order.values(), key=lambda e: e.position)
    for s, pos, loops, branches, leaves in entries:
        objects = _with_elsewhere(aliases, changed_objects(aliases, s))
        if not objects:
            continue
        # a loop each iteration of which makes the objects anew: a read in an earlier
        # iteration read another object
        here = Place(s, pos, loops - _making_loops(objects, order), branches, leaves)
        for entry in entries:
            r = entry.statement
            if r is s or not follows(here, entry):
                continue
            for n in sorted(_reverse_reads(r)):
                if aliases.reach(n) & objects:
                    raise _error(fn, s, _mutation_message(fn, s, n))
            for e in r.inputs if isinstance(r, ir.Op) else ():   # (state.BUF, as written)
                if not isinstance(e, ast.Name) and aliases.deep(aliases.value(e)) & objects:
                    raise _error(fn, s, _mutation_message(fn, s, ast.unparse(e)))
    return None


def check_stale_leaves(fn, aliases):
    """Refuse reading an attribute or item of an object given as a structure after a
    statement kept as written that may change the object (its method run as it is:
    ``m.reset()``): the code reads the structure's parts once, where the call begins (its
    leaves are parameters of their own), and Python reads them anew, perhaps rebound."""
    wholes = {name: {leaf.name for leaf in tree.leaves()}
              for name, tree in (getattr(fn, "trees", None) or {}).items()}
    if not wholes:
        return
    order = program_order(fn.body)
    entries = sorted(order.values(), key=lambda e: e.position)
    for place in entries:
        s = place.statement
        if not isinstance(s, ir.Keep):
            continue
        objects = None
        for name in sorted(ir.names_read(s.stmt) & set(wholes)):
            objects = _with_elsewhere(aliases, changed_objects(aliases, s)) \
                if objects is None else objects
            if not aliases.of(name) & objects:
                continue
            for entry in entries:
                read = ir.own_reads(entry.statement) & wholes[name]
                if read and entry.statement is not s and follows(entry, place):
                    raise _error(fn, s, f"{_spelled(s)!r} may change {name}, whose "
                                        f"attributes (or items) are read after it "
                                        f"({ir.user_name(fn, sorted(read)[0])}): adcompile "
                                        f"reads them once, where the function begins, and "
                                        f"would miss a change; read them before this line into "
                                        f"variables, or have the method return what it "
                                        f"makes")


def _with_elsewhere(aliases, objects):
    """``objects`` (``changed_objects``), ``ELSEWHERE`` standing for what it stands for."""
    return objects | aliases.made_elsewhere() if ELSEWHERE in objects else objects


def _spelled(s):
    """Statement ``s`` as the user wrote it (its line, for one resolved: ``$method1``)."""
    origin = getattr(s, "origin", None)
    node = origin[1] if origin else getattr(s, "node", None)
    node = getattr(node, ir.WRITTEN_OUT, node)   # (xs.reverse(), not the swaps written out)
    what = ast.unparse(node).strip() if node is not None else ast.unparse(s.stmt).strip()
    if "$" in what and origin and getattr(node, "lineno", None):
        what = linecache.getline(getattr(origin[0], "filename", ""), node.lineno).strip() \
            or what
    return what


def _making_loops(objects, order):
    """The ids of the loops around the statement making each of ``objects`` (objects made
    where the function runs: ``name@id``), or the empty set when any is another object."""
    common = None
    for o in objects:
        name, at, number = o.rpartition("@")
        made = order.get(int(number)) if at and number.isdigit() else None
        if made is None:
            return frozenset()
        common = made.loops if common is None else common & made.loops
    return common or frozenset()


def _mutation_message(fn, s, reader):
    what = _spelled(s)
    return (f"{what!r} may change in place an array (or list) that the gradient reads "
            f"through {ir.user_name(fn, reader)!r} before this line (or in the same loop): the "
            f"reverse pass would see the changed values. Build a new array instead (copy it "
            f"before changing it)")


def _error(fn, s, message):
    origin = getattr(s, "origin", None)
    if origin is not None:
        source, node = origin
        return source.error(node, message)
    node = getattr(s, "node", None)
    return fn.source.error(node, message) if node is not None else fn.source.error(
        fn.source.node, message)


def changed_globals(fn):
    """[(name, object)] of the module-level objects the function changes in place
    (``BUF[0] = 7.0``, a helper's ``CONFIG["act"] = v``), each under a name the function
    reads it by (or, where it reads it by none, the helper's): an argument that is such an
    object, or shares memory with it, would see the change where the gradient reads it as
    it was (pipeline.private_copies checks that none is, when the code runs)."""
    facts = of(fn)
    changed = set().union(set(), *(changed_objects(facts, s) for s in ir.walk(fn.body)))
    local = set(fn.params) | {n for s in ir.walk(fn.body) for n in ir.defined_names(s)}
    named = {}
    for n in sorted(facts.objects):
        for site in facts.of(n) if n not in local else ():
            named.setdefault(site, n)
    return [(named.get(site, site.split(" ", 1)[1]), obj)
            for site, obj in sorted(facts.global_objects().items()) if site in changed]


def changed_arguments(fn):
    """The parameters not differentiated whose objects the function changes in place (a
    change of a value being differentiated is refused). The generated code changes private
    copies of them: a gradient never writes into its caller's arrays."""
    facts = of(fn)
    found, through = set(), set()
    wholes = {name: {leaf.name for leaf in tree.leaves()}
              for name, tree in (getattr(fn, "trees", None) or {}).items()}
    for s in ir.walk(fn.body):
        objects = changed_objects(facts, s)
        changed = {p for p in fn.params if {f"argument {p}", f"argument {p}[]"} & objects}
        found |= changed
        if isinstance(s, ir.Keep):   # m.bump(): changes the leaves through the object
            through |= changed & set().union(set(), *(
                wholes[n] for n in ir.names_read(s.stmt) if n in wholes))
    # (a leaf an object changes, as its method run as it is: the caller's array, which a
    # copy would not see changed, as the object's method changes it)
    return [p for p in fn.params if p in found and p not in fn.wrt and p not in through]
