"""Lists whose adjoint lists are found by the list's identity: a list of values being
differentiated that a loop passes on (to the next iteration or after the loop), or that
another list holds (``lists_by_identity``); and where the adjoint list of each other list
is made (``_list_homes``). Code differentiated again cannot have the first kind
(``refuse_second_order``).
"""

import ast

from .. import ir


def lists_by_identity(fn, active):
    """(see _list_homes; the lists of values being differentiated whose adjoint lists are
    found by the list's identity, see _passed_between_iterations) of normalized ``fn``."""
    lists = getattr(fn, "lists", set())
    # (found once, where the function has lists)
    homes, made_in = _list_homes(fn.body) if lists else ({}, {})
    return homes, _passed_between_iterations(fn.body, made_in, homes, active, lists)


def refuse_second_order(fn, active):
    """A TransformError for code whose differentiable form adcompile cannot write: a list
    of values being differentiated that a loop passes on, or that another list holds
    (their adjoint lists are found by identity and updated in place)."""
    _, dynamic = lists_by_identity(fn, active)
    if dynamic:
        made = next(s for s in ir.walk(fn.body) if getattr(s, "target", None) in dynamic)
        raise _error(fn, made, "derivatives of second order of code with a list of values "
                               "being differentiated that a loop passes on (to the next "
                               "iteration or after the loop), or that another list holds, "
                               "are not supported")


def _list_homes(body):
    """(list name -> the innermost block, a branch of an if or a loop's body, that holds
    every statement making or using the list, for lists that have one: its adjoint list is
    made where that block is reversed, anew in each reversed iteration of a loop (the list
    does not exist on the other paths, and a list made in a loop is a new one each time);
    list name -> the loop bodies around the statement making it)."""
    chains, made_in = {}, {}   # name -> the blocks around every statement using it

    def visit(stmts, chain):
        for s in stmts:
            for name in ir.own_reads(s) | ir.own_assigns(s):
                known = chains.get(name)
                if known is None:
                    chains[name] = chain
                else:
                    common = 0
                    while common < min(len(known), len(chain)) \
                            and known[common] is chain[common]:
                        common += 1
                    chains[name] = known[:common]
            if isinstance(s, ir.ListNew):
                made_in[s.target] = [block for block, loop in chain if loop]
            if isinstance(s, ir.If):
                visit(s.body, chain + ((s.body, False),))
                visit(s.orelse, chain + ((s.orelse, False),))
            elif isinstance(s, ir.Loop):
                visit(s.body, chain + ((s.body, True),))

    visit(body, ())
    homes = {name: chain[-1][0] for name, chain in chains.items() if chain}
    return homes, made_in


def _is_list(e, lists):
    return isinstance(e, ast.Name) and e.id in lists


def _passed_between_iterations(body, made_in, homes, active, lists):
    """The lists of values being differentiated that a loop makes in one iteration and
    passes on to the next or to the code after it (``prev = cur``, ``row = []`` read
    after the loop), and the lists other lists hold (``rows.append(row)``, ``rows[i]``),
    with every name holding one of them on some path (loop variables, copies where an if
    joins): which list such a name holds is known only at run time, so their adjoint
    lists are found by the list's identity (``adjoint_list``)."""
    found = set()
    for s in ir.walk(body):
        # a list held by another list: found through either (rows[-1] is row)
        if isinstance(s, (ir.ListAppend, ir.ListSet)) and _is_list(s.value, lists):
            found.add(s.value.id)
        elif isinstance(s, ir.ListGet) and s.target in lists:
            found.add(s.target)
        elif isinstance(s, ir.ListNew):
            found |= {e.id for e in s.elements if _is_list(e, lists)}
        if isinstance(s, ir.ListNew):   # (a list of constants links the names it reaches)
            loops = made_in.get(s.target, [])
            if loops and (not _inside(homes.get(s.target), loops[-1])
                          or _outlives_iteration(s.target, loops[-1])):
                found.add(s.target)
    carries = [s for s in ir.walk(body) if isinstance(s, ir.Carry)]
    # a loop variable given another list than the one it held (prev = b in the loop)
    found |= {name for s in carries if s.target in lists and s.source in lists
              and s.target != s.source for name in (s.target, s.source)}
    if not found:
        return found
    links = [(s.target, s.source) for s in carries]
    links += [(s.target, s.inputs[0].id) for s in ir.walk(body)
              if isinstance(s, ir.Op) and s.rule.name == "copy"
              and isinstance(s.inputs[0], ast.Name)]
    changed = True
    while changed:
        changed = False
        for a, b in links:
            if (a in found) != (b in found):
                found |= {a, b}
                changed = True
    return found & active


def _outlives_iteration(name, body):
    """Whether list ``name``, made in the loop body ``body``, is carried to the next
    iteration or out of the loop (under ``name`` or a copy of it)."""
    names = {name}
    for s in ir.walk(body):
        if isinstance(s, ir.Op) and s.rule.name == "copy" and isinstance(s.inputs[0], ast.Name) \
                and s.inputs[0].id in names:
            names.add(s.target)
        if isinstance(s, ir.Carry) and s.source in names:
            return True
    return False


def _inside(block, outer):
    """Whether ``block`` is ``outer`` or a block nested in a statement of ``outer``."""
    if block is None:
        return False
    if block is outer:
        return True
    return any(block is b for s in ir.walk(outer) for b in ir.children(s))


def _error(fn, s, message):
    """A TransformError at the user's statement behind IR statement ``s``."""
    node = getattr(s, "node", None)
    return fn.source.error(node if node is not None else fn.source.node, message)
