"""A structure the caller made, changed by a function it calls: ``scale_(params, 0.5)``
whose body runs ``params["w"] *= s``, ``box.push(s)`` whose method sets ``self.b``.

Python passes the dict or object itself, so the caller sees what the callee did to it.
adcompile takes a structure apart while normalizing (trees.py): a change makes a new
version of it (changes.py), bound to every name of the scope that held the old one.
Here the callee's changes reach the caller's names: a parameter given a structure the
caller made (``scope.own_trees``) and that the callee never binds again
(``kept_parameters``) is the callee's to change too (``share_ownership``); after the
call, each caller's name bound to such a structure, or to one holding it, is bound to
the version the callee's parameter holds at its end (``carry_back``; liveness counts
those parameters read at the callee's end: desugar.py, so a change on one path of an
``if`` or in a loop is joined as for the caller's own names).

Default deny: a structure inside the one passed that the caller also holds by another
route (``inner = d["inner"]``) and the callee changed or replaced is refused at the call
(whether the callee's new one is a version of it or another object is not followed
here); a parameter the callee binds again (``d = dict(d)``) shares nothing, so a change
of the caller's structure through it stays refused where it is made.
"""

from ..ir.trees import Node
from .in_place_calls import bound_again


def kept_parameters(source, params):
    """The parameters among ``params`` that the function of ``source`` never binds to
    another object (its ``d[k] = v`` and ``d[k] op= v`` change the object: they count)."""
    return {p for p in params if not bound_again(source.node, p)}


def share_ownership(caller, callee, trees):
    """Make the structures the caller made among those ``trees`` (parameter -> what the
    call gives it) the callee's own (changeable) too, for the parameters it never binds
    again."""
    kept = kept_parameters(callee.src, trees)
    for param, tree in trees.items():
        if param not in kept or not isinstance(tree, Node):
            continue
        for part in tree.nodes():
            if caller.own_trees.get(id(part)) is part:
                callee.own_trees[id(part)] = part


def changed_structures(callee, trees):
    """[(structure given, its version at the callee's end)] for each parameter given a
    structure (``trees``) that the callee, its body done, never bound again and changed;
    None in place of a version where the callee holds none (it could not be followed)."""
    changed, kept = [], kept_parameters(callee.src, trees)
    parts = {p: {id(n) for n in t.nodes()} for p, t in trees.items() if isinstance(t, Node)}
    for param, old in trees.items():
        if param not in kept or not isinstance(old, Node):
            continue
        new = callee.trees.get(param)
        if new is old:
            continue
        shared = any(parts[param] & ids for p, ids in parts.items() if p != param)
        # (one structure under two parameters, or one inside another: their versions
        # may part ways in the callee, as a loop carries one name)
        changed.append((old, new if isinstance(new, Node) and not shared else None))
    return changed


def carry_back(caller, callee, changed, refuse):
    """Bind each name of the ``caller``'s scope that holds a structure of ``changed``
    (``changed_structures``), directly or inside another, to its new version; the
    callee's new structures become the caller's own. ``refuse(reason)`` makes the error
    for a change that cannot be followed (see the module's docstring)."""
    if any(new is None for _, new in changed):
        raise refuse("it changes a structure it was given in a way adcompile does not follow "
                     "after the call (given under two parameters, or with other names of it "
                     "on some paths only); have it return the new values and assign them")
    olds = {id(old): new for old, new in changed}
    elsewhere = _reached(caller.trees.values(), olds)
    for old, new in changed:
        kept = {id(part) for part in new.nodes()}
        if any(id(part) in elsewhere and id(part) not in kept for part in old.nodes()
               if part is not old):
            raise refuse("it changes a structure inside one it was given that this function "
                         "also holds under another name; pass that structure itself, or "
                         "read it again from the one passed after the call")
        for part in new.nodes():
            if callee.own_trees.get(id(part)) is part:
                caller.own_trees[id(part)] = part
    for bound, tree in list(caller.trees.items()):
        caller.trees[bound] = _renewed(tree, olds, caller.own_trees)


def _reached(trees, olds):
    """The ids of the structures ``trees`` hold without passing through one in
    ``olds``."""
    found, todo = set(), list(trees)
    while todo:
        tree = todo.pop()
        if isinstance(tree, Node) and id(tree) not in olds and id(tree) not in found:
            found.add(id(tree))
            todo.extend(tree.children)
    return found


def _renewed(tree, olds, own):
    """``tree`` with each structure of ``olds`` (id -> new version) replaced by its new
    version; a structure rebuilt around one stays changeable if it was (``own``)."""
    if not isinstance(tree, Node):
        return tree
    if id(tree) in olds:
        return olds[id(tree)]
    children = tuple(_renewed(c, olds, own) for c in tree.children)
    if all(a is b for a, b in zip(children, tree.children)):
        return tree
    rebuilt = Node(tree.kind, tree.type, tree.keys, children)
    if own.get(id(tree)) is tree:
        own[id(rebuilt)] = rebuilt
    return rebuilt
