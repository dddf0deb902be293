"""Tidy temporary numbers: the temporaries that remain numbered t1, t2, ... in order of
appearance, with the names made from them following."""

import ast
import re

from ..ir import walk_tree

_DERIVED = re.compile(r"(t\d+)((?:_bar|_dot)?(?:s|_steps)?(?:_\d+)?)$")


def renumber_temps(statements, outputs, namer):
    """Number the temporaries that remain t1, t2, ... in order of appearance, so gaps left
    by fused or dead temporaries do not show. The names made from a temporary's follow
    (``t3_bar``, ``t3s``, ``t3_bar_steps``). Returns ``rename(name)``: a name's new name."""
    names = _name_nodes(statements, outputs)
    mapping, renamed, parts = _numbering(names, namer)

    def rename(name):
        found = parts(name)
        return mapping[found[0]] + found[1] if found and found[0] in mapping else name

    seen = set()  # a node shared by the two sweeps is renamed once
    for node in names:
        if node not in seen:
            seen.add(node)
            node.id = rename(node.id)
    # the namer knows the new names: later passes make names and renumber again
    derived = {rename(name) for name in renamed if parts(name)[1]}
    namer.temps = (namer.temps - set(mapping)) | set(mapping.values())
    namer.taken |= derived | set(mapping.values())
    namer.made |= derived
    return rename


def numbered(statements, outputs, namer):
    """Whether the temporaries are numbered already (``renumber_temps`` would change
    nothing), found without changing the code."""
    mapping = _numbering(_name_nodes(statements, outputs), namer)[0]
    return all(old == new for old, new in mapping.items())


def _name_nodes(statements, outputs):
    """The ``Name`` nodes of the statements and outputs, in the order of a walk of each."""
    return [node for s in statements + list(outputs) for node in walk_tree(s)
            if node.__class__ is ast.Name]


def _numbering(names, namer):
    """(old temporary -> new name, the names to rename, ``parts(name)``: the temporary a
    name is made from and its suffix, or None), for the ``Name`` nodes ``names``."""
    temps, made = set(namer.temps), set(namer.made)
    known = {}   # name -> its parts (asked for every Name node: found once per name)

    def parts(name):
        found = known.get(name, known)
        if found is not known:
            return found
        m = _DERIVED.match(name)
        found = None
        if m and m.group(1) in temps and (not m.group(2) or name in made):
            found = m.group(1), m.group(2)
        known[name] = found
        return found

    order, renamed = {}, set()   # (order: the temporaries in order of appearance)
    for node in names:
        if node.id not in renamed:
            found = parts(node.id)
            if found:
                renamed.add(node.id)
                order.setdefault(found[0], None)
    suffixes = {parts(n)[1] for n in renamed}
    reserved = {n for n in namer.taken if not parts(n)} - namer.temps
    mapping, k = {}, 0
    for old in order:
        k += 1
        while any(f"t{k}{suffix}" in reserved for suffix in suffixes | {"", "_bar", "_dot"}):
            k += 1
        mapping[old] = f"t{k}"
    return mapping, renamed, parts
