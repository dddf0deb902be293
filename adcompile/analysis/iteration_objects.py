"""Arrays made anew in each iteration of a loop, changed in place, and the names that
hold those of earlier iterations: ``new = best.copy(); new[c] = ...; best = new`` (a
knapsack's table, a DP's row), ``cur = np.empty(m); cur[j] = ... prev[j] ...; prev = cur``.

The points-to facts (points_to.py) are flow-insensitive: ``best`` and ``new`` may hold the
object ``best.copy()`` makes, so the change of ``new`` looks like one ``best`` sees. But
in each iteration ``new`` holds an object made in that iteration, after ``best`` took its
value (from before the loop, or from an earlier iteration). A change through ``new`` in an
iteration changes that iteration's object only, which no name holding an earlier one
sees; what a name holds of an earlier iteration's object is the value that object had at
the end of that iteration, as Python's name sees it, provided the loop's copy at the end
of the iteration read it after the changes (the hazard check asks that reader as any
other). Used by rebindings.py.
"""

import ast

from .. import ir


def made_each_iteration(name, defs, order, aliases, updates):
    """The Place (program_order) of the loop in each iteration of which every object the
    generated name ``name`` holds is made (in Python), or None. ``defs``: name -> the
    Places of the statements assigning it (None for a parameter's or a loop's index);
    ``updates``: id of the statement of an ``x op= e`` or ``x[i] = v`` -> the name of the
    ``x`` Python changes in place (the statement's result is that object)."""
    made = defs.get(name) or [None]
    if None in made:
        return None
    loops = frozenset.intersection(*(d.loops for d in made))
    if not loops:
        return None
    loop = max((order[i] for i in loops), key=lambda e: e.position)
    return loop if _fresh(name, loop, (defs, order, aliases, updates), set()) else None


def _fresh(name, loop, facts, seen):
    """Whether every statement assigning ``name`` is in ``loop`` and gives it an object
    made in the iteration it runs in: a new array (``best.copy()``, ``np.empty(m)``,
    arithmetic), the same object as a name so (``x = y``, an update in place of one, the
    copy of an inner loop carrying one), but not the copy ``loop`` makes at the end of
    an iteration (the next one's value is an earlier iteration's object)."""
    defs, order, aliases, updates = facts
    if name in seen:
        return True   # (a loop's name assigned from itself: the other statements decide)
    seen.add(name)
    for d in defs.get(name) or [None]:
        if d is None or id(loop.statement) not in d.loops:
            return False
        s = d.statement
        if isinstance(s, ir.Carry):
            innermost = max((order[i] for i in d.loops), key=lambda e: e.position)
            if innermost is loop or not _fresh(s.source, loop, facts, seen):
                return False
        elif id(s) in updates:
            if not _fresh(updates[id(s)], loop, facts, seen):
                return False
        else:
            same = _same_object_as(s)
            if same is not None:
                if not _fresh(same, loop, facts, seen):
                    return False
            elif not _allocates(aliases, s):
                return False
    return True


def _same_object_as(s):
    """The name whose object the statement ``s`` gives its name (``x = y``), or None."""
    if isinstance(s, ir.Op) and s.rule.name == "copy" and isinstance(s.expr, ast.Name):
        return s.expr.id
    if isinstance(s, ir.Keep) and isinstance(s.stmt, ast.Assign) \
            and isinstance(s.stmt.value, ast.Name):
        return s.stmt.value.id
    return None


def _allocates(aliases, s):
    """Whether the statement ``s`` gives the name it assigns a new object each time it
    runs (not a view, nor what it reads)."""
    if isinstance(s, ir.Op):
        return aliases.made_by(s) == {aliases.new_site(s)}
    if isinstance(s, ir.Keep) and isinstance(s.stmt, ast.Assign) \
            and len(s.stmt.targets) == 1 and isinstance(s.stmt.targets[0], ast.Name):
        value = s.stmt.value
        return isinstance(value, ast.Call) and aliases.allocates(value)
    return False


def held_before_each_iteration(name, loop, defs, order, aliases, objects):
    """Whether the generated ``name`` holds, wherever it is read, no object ``loop`` makes
    in the iteration that runs then: it is assigned only outside ``loop`` or by the copy
    ``loop`` makes at the end of an iteration, and holds none of ``objects`` (those a
    change in the loop changes) as an item of a container (a list an iteration appends
    its object to sees the changes that follow)."""
    for d in defs.get(name) or [None]:
        if d is None or id(loop.statement) not in d.loops:
            continue
        if not isinstance(d.statement, ir.Carry):
            return False
        innermost = max((order[i] for i in d.loops), key=lambda e: e.position)
        if innermost is not loop:
            return False
    return not aliases.deep(aliases.held(aliases.of(name))) & objects


def buffer_chains(loop, defs, order, aliases, updates):
    """For buffers a loop swaps (``prev, cur = cur, prev``, ``a, b = b, a``) and changes in
    place: name -> the loop's name whose object, at the start of the iteration, the
    generated name holds (the loop's names themselves, and the names the body gives
    their objects by updates in place, ``x = y`` and inner loops' copies), for the loop's
    names that hold distinct arrays in every iteration: each made by an array of its own
    before the loop, and each given at the end of an iteration the object of another
    (or of itself), no two the same; ("part", that name) for an item or slice of one
    (a view of the array, or a copy). Empty where there are none. ``loop``: its Place."""
    own = {}   # the loop's name -> the sources of the copies the loop makes at its exit
    for entry in order.values():
        s = entry.statement
        if isinstance(s, ir.Carry) and id(loop.statement) in entry.loops \
                and _innermost(entry, order) is loop:
            own.setdefault(s.target, []).append(s.source)
    facts = (loop, defs, order, updates, set(own))
    roots = {g: _root_before(g, loop, defs, aliases, updates) for g in own}
    group = {g for g, r in roots.items() if r is not None
             and sum(1 for q in roots.values() if q is r) == 1}
    chains = {}
    while True:
        chains = {}
        ends = {g: {_chain(src, facts, chains, set()) for src in sources}
                for g, sources in own.items() if g in group}
        kept = {g for g, e in ends.items() if len(e) == 1 and next(iter(e)) in group}
        ended = [next(iter(ends[g])) for g in kept]
        kept = {g for g in kept if ended.count(next(iter(ends[g]))) == 1}
        if kept == group:
            break
        group = kept
    for name, made in defs.items():   # (the other names the body assigns)
        if any(d is not None and id(loop.statement) in d.loops for d in made):
            _chain(name, facts, chains, set())
    return {n: c for n, c in chains.items() if c in group or isinstance(c, tuple)
            and c[1] in group}


def other_buffer(chains, name, changed):
    """Whether ``name`` holds (a part of) one of the buffers of ``chains`` (buffer_chains)
    other than the one the generated name ``changed`` holds, which it then shares no
    memory with."""
    def buffer(n):
        c = chains.get(n)
        return c[1] if isinstance(c, tuple) else c

    return buffer(name) is not None and buffer(changed) is not None \
        and buffer(name) != buffer(changed) and not isinstance(chains.get(changed), tuple)


def _innermost(entry, order):
    return max((order[i] for i in entry.loops), key=lambda e: e.position)


def _root_before(name, loop, defs, aliases, updates):
    """The statement that made, before ``loop``, the new array the loop's name ``name``
    holds when the loop starts (through updates in place and ``x = y``), or None."""
    before = [d for d in defs.get(name) or [None]
              if d is None or id(loop.statement) not in d.loops]
    if len(before) != 1 or before[0] is None or before[0].position > loop.position:
        return None
    s = before[0].statement
    if id(s) in updates:
        return _root_before(updates[id(s)], loop, defs, aliases, updates)
    same = _same_object_as(s)
    if same is not None:
        return _root_before(same, loop, defs, aliases, updates)
    return s if _allocates(aliases, s) else None


def _chain(name, facts, chains, seen):
    """The loop's name whose object ``name`` holds in each iteration (see buffer_chains),
    or None; recorded in ``chains``."""
    loop, defs, order, updates, carried = facts
    if name in carried:
        chains[name] = name
        return name
    if name in chains:
        return chains[name]
    if name in seen:
        return "pending"   # (an inner loop's name given from itself: its others decide)
    seen.add(name)
    found = set()
    for d in defs.get(name) or [None]:
        if d is None or id(loop.statement) not in d.loops:
            found.add(None)
            continue
        s = d.statement
        source = s.source if isinstance(s, ir.Carry) else updates.get(id(s)) \
            or _same_object_as(s)
        if source is None and isinstance(s, ir.Op) and s.rule.name == "getitem" \
                and isinstance(s.inputs[0], ast.Name):   # (a view, or a copy, of a part)
            part = _chain(s.inputs[0].id, facts, chains, seen)
            found.add(part if part in (None, "pending") or isinstance(part, tuple)
                      else ("part", part))
            continue
        found.add(None if source is None else _chain(source, facts, chains, seen))
    found.discard("pending")
    if not found:
        return "pending"
    chains[name] = next(iter(found)) if len(found) == 1 else None
    return chains[name]
