"""The *rebinding* hazard (see points_to.py): an ``x op= e`` compiled as a new value
``x_2 = x op e`` is what Python does only where no other name that may share x's object (an
array) is read afterwards. ``rebinding_hazards`` finds those names; rebinding_checks.py
decides, for the argument kinds of a specialisation, what to do about them.
"""

import ast

from .. import ir
from .iteration_objects import (buffer_chains, held_before_each_iteration,
                                made_each_iteration, other_buffer)
from .program_order import exclusive, follows, program_order


def rebinding_hazards(fn, aliases, every=lambda rebinding, s: False):
    """For each ``x op= e`` that normalization compiled as ``x_2 = x op e`` where the new
    value is exact only if x is not an array: (its ir.Rebinding, its statement, the names
    of other variables that may share x's object and are read afterwards). The first such
    name only, but all of them where ``every(rebinding, statement)``."""
    order = program_order(fn.body)
    entries = sorted(order.values(), key=lambda e: e.position)
    stores, stale, defs = _stores(fn, entries)
    carried = {e.statement.target for e in entries if isinstance(e.statement, ir.Carry)}
    found, dead = [], _dead_statements(fn)
    updates = {id(r.statement): r.old for r in fn.rebindings}
    for rebinding in fn.rebindings:
        s = rebinding.statement if id(rebinding.statement) in order else None
        objects = _changed_by(aliases, rebinding)
        observers, first = [], not every(rebinding, s)
        # (the list whose item it is, checked to hold no other name of the array: ListSet
        # gives it the new item, as Python's list holds the changed one)
        ignored = {rebinding.held_in}
        # the variable's later versions, and those of the other names of the array given
        # their new values (views.py), hold the new values, as Python's names do
        olds = {rebinding.old} | {x.old for x in rebinding.refresh}
        same = {fn.origin.get(o, o) for o in olds}
        if s is not None and objects:
            here = order[id(s)]
            # (the variable's result is an array in Python as in the generated code only
            # where the old value is an array of one or more dimensions: a 0-d array
            # changed in place stays one, where x_2 = x op e is a number)
            array = (aliases.ndim_of(ir.load(rebinding.old)) or 0) >= 1
            after = _sees_the_update(aliases, objects, here, (defs, order if array else None),
                                     stores, olds, {rebinding.new} | ignored - {None})
            after = _or_older(after, rebinding, here, (defs, order, aliases, updates),
                              objects, olds)
            # (the statement itself reads in the next iteration what it changed in this one)
            unread = getattr(fn, "unread", set()) | dead
            readers = [r for r, *_ in entries
                       if (r is not s or here.loops) and follows(order[id(r)], here)
                       and r not in unread]
            # a later version of the same variable holds the new value, as Python's does;
            # the old name read again before it is assigned again (a structure's item that
            # held the object) sees the object changed
            for r in readers:
                names = _old_names_read(r, (here, order[id(r)]), olds, stores,
                                        (carried, stale))
                observers += [n for n in _observers(
                    fn, aliases, objects, sorted(names), olds, same,
                    lambda n, reader=order[id(r)]: after(n, reader))
                    if n not in observers and n not in ignored]
                if observers and first:
                    break
            if not (observers and first):
                observers += [n for n in _returned_observers(fn, aliases, objects, olds, same,
                                                             after)
                              if n not in observers and n not in ignored]
        found.append((rebinding, s, observers[:1] if first else observers))
    return [(r, s, o) for r, s, o in found if o]


def _or_older(after, rebinding, here, facts, objects, olds):
    """``after``, or also true of a name that holds only objects of earlier iterations of
    the loop whose each iteration makes the object the update at ``here`` changes
    (iteration_objects.py)."""
    defs, order, aliases, updates = facts
    loop = made_each_iteration(rebinding.old, defs, order, aliases, updates)
    if loop is not None and id(loop.statement) in here.loops:
        return lambda n, reader=None: after(n, reader) or n not in olds \
            and held_before_each_iteration(n, loop, defs, order, aliases, objects)
    loops = set(here.loops).union(*(d.loops for d in defs.get(rebinding.old) or () if d))
    for i in sorted(loops, key=lambda i: order[i].position):
        chains = buffer_chains(order[i], defs, order, aliases, updates)
        if chains.get(rebinding.old) is not None:
            return lambda n, reader=None, c=chains: after(n, reader) or n not in olds \
                and other_buffer(c, n, rebinding.old) \
                and not aliases.deep(aliases.held(aliases.of(n))) & objects
    return after


def _changed_by(aliases, rebinding):
    """The objects the user's statement of ``rebinding`` changes in place: those of its
    name, and for ``xs[i] op= v``, the item too (an array a list holds: a row of the matrix
    ``list(B)`` was made of), unless ``xs`` is known to be an array (of one or more
    dimensions), whose entries are no objects of their own (``B = A.copy()`` of an array
    not differentiated holds what ``A`` may hold only as far as the points-to facts know)."""
    objects = aliases.of(rebinding.old)
    node = rebinding.origin[1]
    ndim = aliases.ndim_of(ir.load(rebinding.old))
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Subscript) \
            and not (ndim is not None and ndim > 0):
        objects = objects | aliases.held(objects)
    return objects


def _stores(fn, entries):
    """(name -> (position, loops, branches) of the statements assigning it; the names an
    old value is given back to (see refreshes.py); name -> the entries of program_order
    assigning it, with None for a value no statement gives: a parameter's from the call, a
    loop's index or counter, made after nothing)."""
    stores, stale, defs = {}, set(), {}
    for e in entries:
        for n in ir.own_assigns(e.statement):
            stores.setdefault(n, []).append((e.position, e.loops, e.branches))
            defs.setdefault(n, []).append(e)
            if e.statement in getattr(fn, "given_back", ()):
                stale.add(n)
    for p in list(fn.params) + [n for e in entries if isinstance(e.statement, ir.Loop)
                                for n in (e.statement.index, e.statement.counter) if n]:
        defs.setdefault(p, []).append(None)
    return stores, stale, defs


def _old_names_read(r, places, olds, stores, loop_names):
    """The names the statement ``r`` reads that may hold their values from before the
    update (``places``: the entries of program_order of the update and of ``r``; ``olds``:
    the variable's names; ``loop_names``: the names loops carry, and those given old values
    back, see _stores)."""
    (_, pos, loops, branches, _), (_, rpos, rloops, rb, _) = places
    names = ir.own_reads(r)
    if rpos > pos and places[0][0] is not r and not exclusive(branches, rb):
        # (the old name assigned again in between; a store in the other block of an if than
        # the statement or the reader is not between them)
        return names - {o for o in olds & names if any(
            pos < q < rpos and not exclusive(qb, branches)
            and not exclusive(qb, rb) for q, _, qb in stores.get(o, ()))}
    # in a later iteration: a name assigned in a loop around both has a value made after
    # the change, computed from values read after it (checked here), unless it is an old
    # value given back (see refreshes.py): a name the body assigns once is assigned in
    # the iteration that reads it; a loop's name at the end of each iteration only where the
    # variable changed, as those of the names the change renews always do
    carried, stale = loop_names
    return {n for n in names if not (
        (n in olds or n not in carried) and n not in stale
        and any(ql & loops & rloops for _, ql, _ in stores.get(n, ())))}


def _observers(fn, aliases, objects, names, olds, same, after):
    """Those of ``names`` that may hold one of ``objects`` (those an ``x op= e`` changes)
    and are not a later version of the variable (a name other than its names ``olds``
    whose origin is in ``same``, theirs) nor a value made after the update from its result
    (``after``, see _sees_the_update)."""
    return [n for n in names if (n in olds or fn.origin.get(n) not in same)
            and aliases.reach(n) & objects and not after(n)]


def _returned_observers(fn, aliases, objects, olds, same, after):
    """The names the function returns that may hold one of ``objects`` and are neither one
    of the variable's names ``olds`` nor a later version of it, nor made after the update
    (see _observers)."""
    return [e.id for e in fn.outputs if isinstance(e, ast.Name)
            and e.id not in olds and fn.origin.get(e.id) not in same
            and aliases.reach(e.id) & objects and not after(e.id)]


def _sees_the_update(aliases, objects, here, defs, stores, olds, result):
    """``after(name)``: whether the value of ``name`` is no observer of the update at
    ``here`` that changes ``objects`` in place (see _made_after; ``defs``: (name -> the
    entries assigning it, program_order))."""
    memo, (defs, order) = {}, defs

    def gives_shared(s):
        made = aliases.made_by(s)
        return made is None or bool(aliases.deep(made) & objects)

    def after(name, reader=None):
        return _made_after(name, here, defs, stores, olds, result, (
            lambda m: bool(aliases.reach(m) & objects), gives_shared, order), memo, reader)

    return after


def _made_after(name, here, defs, stores, olds, result, shares, memo, reader=None):
    """Whether every value of ``name`` shares nothing with the array changed by the update
    at ``here`` (an entry of program_order), or is made after the update has run, where
    the update cannot run again before it is read (by ``reader``, an entry of
    program_order, or anywhere when None), from values that hold the update's
    result too: the result itself (the names ``result``: its new value, and the list it is
    an item of, checked to hold the array once: Rebinding.holder) or a later version of the
    variable (or of a name the update renews: ``olds``) assigned between the two, a name
    that shares nothing with the array, or a name made so too. Such a value (a view of the new array,
    ``w[-2:]`` after the loop that changes ``w``; ``row = v[k + 1]`` read later in the
    iteration of a loop that changes ``v[k + 1, 0]`` first) sees the new values, as
    Python's does. ``defs``: name -> the entries of the statements assigning it;
    ``stores``: name -> (position, loops, branches) of those; ``shares``: (whether a name
    may share memory with the array, whether the value a statement assigns may, the
    program_order where the array updated has one or more dimensions, else None). A loop's
    variable given the update's result at the end of each iteration, read in the next or
    after the loop, is such a value too, where ``order`` is given
    (_carried_from_each_step)."""
    key = (name, reader.statement if reader else None)
    if key in memo:
        return memo[key]
    memo[key] = False   # (a name made from itself: not shown)
    pos, branches = here.position, here.branches
    made, (name_shares, gives_shared, order) = defs.get(name), shares
    carry = _carried_from_each_step(name, here, defs, reader, order) if order else None
    if carry is not None and _made_after(carry.statement.source, here, defs, stores, olds,
                                         result, shares, memo, carry):
        memo[key] = True
        return True
    found = bool(made) and None not in made and all(not gives_shared(d.statement) or (
        # the update's own result, read later in its iteration (an inlined helper's
        # u[1:-1] += ..., returned into the caller's u in a loop): the new values
        name in result and d.statement is here.statement
        and _same_iteration(d, reader, len(made))) or (
        d.position > pos and (not follows(here, d) or _same_iteration(d, reader, len(made)))
        and not exclusive(branches, d.branches) and all(
            m in olds and any(pos < q < d.position and not exclusive(qb, branches)
                              and not exclusive(qb, d.branches)
                              for q, _, qb in stores.get(m, ()))
            or m in result or not name_shares(m) or m not in olds and _made_after(
                m, here, defs, stores, olds, result, shares, memo, d)
            for m in ir.own_reads(d.statement)))
        for d in made)
    memo[key] = found
    return found


def _carried_from_each_step(name, here, defs, reader, order):
    """The Carry (an entry of program_order) that gives ``name``, a variable a ``for`` loop
    carries, its value at ``reader`` (an entry, or None: where the function returns) after
    the update at ``here`` has run, where that value is surely the Carry's of an iteration
    after its update: the update and the Carry at the top level of the body of the
    innermost loop around the update, the Carry after it, no jump in that loop, ``name``
    assigned only there and before the loop, and ``reader`` in the loop before the update
    (it reads the value from before the loop in the first iteration, before any update;
    in each later one, the Carry's of the iteration before) or after the loop, outside
    any other loop (the last iteration's, or, where none ran, no update ran either). Else
    None. (``w = step(w)`` in a loop, ``step`` changing its argument in place and
    returning it: the next iteration reads the new array.)"""
    made = defs.get(name) or []
    carries = [d for d in made if d is not None and isinstance(d.statement, ir.Carry)]
    if len(made) != 2 or len(carries) != 1 or not here.loops:
        return None
    carry, = carries
    loop = max((order[i] for i in here.loops), key=lambda e: e.position)   # (innermost)
    body = loop.statement.body
    if loop.statement.kind != "for" or carry.loops != here.loops \
            or not any(s is here.statement for s in body) \
            or not any(s is carry.statement for s in body) or carry.position < here.position \
            or any(isinstance(s, ir.Jump) for s in ir.walk(body)):
        return None
    before, = [d for d in made if d is not carry]
    if before is not None and (before.position > loop.position
                               or id(loop.statement) in before.loops):
        return None
    inside = reader is not None and reader.loops == here.loops \
        and loop.position < reader.position < here.position
    after = len(here.loops) == 1 if reader is None else \
        reader.loops == here.loops - {id(loop.statement)} and reader.position > carry.position
    return carry if inside or after else None


def _same_iteration(made, reader, assignments):
    """Whether ``reader`` (an entry of program_order, or None) surely reads the value the
    statement ``made`` assigned in the same iteration of each loop around ``made``: the
    name's only assignment (not a loop's name carried from one iteration to the next, which
    a Carry assigns too), a plain statement, with the reader after it in program order
    inside the same loops and the same blocks of ifs. An update before ``made`` in those
    loops then runs again only after the reader."""
    if reader is None or assignments != 1 or isinstance(made.statement, (ir.Carry, ir.Loop, ir.If)):
        return False
    _, pos, loops, branches, _ = made
    _, rpos, rloops, rbranches, _ = reader
    return rpos > pos and loops <= rloops and branches <= rbranches


def _dead_statements(fn):
    """The statements that only compute values nothing uses: a primitive, a
    statement kept as written that only assigns, a loop's copy, whose names no statement
    that is used, no test, no other statement, no output reads where it may run after
    them (a loop's name read before the loop is its value from before). What they read
    cannot change the function's results or what it does. (Not an update Python makes in
    place, ``x op= e`` or ``x[i] = v``: what it changes, other names of the array may
    read.)"""
    order = program_order(fn.body)
    updates = {id(r.statement) for r in fn.rebindings}
    pure = {id(s) for s in ir.walk(fn.body) if id(s) not in updates and (
        isinstance(s, (ir.Op, ir.Carry)) or isinstance(s, ir.Keep) and s.pure)}
    readers = {}   # name -> the entries of the statements reading it
    for entry in order.values():
        for n in ir.own_reads(entry.statement):
            readers.setdefault(n, []).append(entry)
    outputs = set().union(set(), *(ir.names_read(e) for e in fn.outputs))
    live = {i for i in order if i not in pure}
    changed = True
    while changed:
        changed = False
        for i in pure - live:
            here = order[i]
            names = ir.defined_names(here.statement)
            if names & outputs or any(id(r.statement) in live and follows(r, here)
                                      for n in names for r in readers.get(n, ())):
                live.add(i)
                changed = True
    return {order[i].statement for i in pure - live}
