"""Which names of a normalized function are *active*: a name is when it depends on a
differentiated parameter (varied) and the returned value depends on it (useful); only active
names get adjoints. Loops make these fixed points (closures along the flows, ir.closure).
"""

import ast

from .. import ir


def _flows(fn):
    """(target, sources) pairs: the target's value depends differentiably on the sources."""
    pairs = []
    for s in ir.walk(fn.body):
        if isinstance(s, ir.Op):
            diff = set(s.rule.differentiable_inputs)
            sources = [e.id for v, e in zip(s.rule.inputs, s.inputs)
                       if v in diff and isinstance(e, ast.Name)]
            sources += [x.id for v, e in zip(s.rule.inputs, s.inputs)  # np.stack([a, b])
                        if v in diff and isinstance(e, (ast.List, ast.Tuple))
                        for x in e.elts if isinstance(x, ast.Name)]
            pairs.append((s.target, sources))
        elif isinstance(s, ir.Carry):
            pairs.append((s.target, [s.source]))
        elif isinstance(s, ir.ListNew):
            pairs.append((s.target, [e.id for e in s.elements if isinstance(e, ast.Name)]))
        elif isinstance(s, (ir.ListAppend, ir.ListAdd, ir.ListSet)):
            if isinstance(s.value, ast.Name):
                pairs.append((s.target, [s.value.id]))
        elif isinstance(s, ir.ListGet):
            pairs.append((s.target, [s.source]))
    return pairs


def varied_names(fn):
    """The names of ``fn`` a flow from the wrt parameters reaches (see activity)."""
    return ir.closure(set(fn.wrt), [((target,), sources) for target, sources in _flows(fn)])


def activity(fn):
    """The set of active names of ``fn`` (an ``ir.NormalFunction``): varied (a flow from
    the wrt parameters reaches them) and useful (a flow from them reaches the outputs),
    each a closure along the flows (ir.closure), the second against them."""
    return reached(fn, set(fn.wrt), {e.id for e in fn.outputs if isinstance(e, ast.Name)})


def reached(fn, sources, sinks, more=()):
    """The names of ``fn`` that a flow from the names ``sources`` reaches and from which a
    flow reaches the names ``sinks``; ``more``: (target, sources) pairs of flows the IR's
    primitives do not show (activity: the wrt parameters and the outputs)."""
    pairs = _flows(fn) + list(more)
    varied = ir.closure(set(sources), [((target,), names) for target, names in pairs])
    # (uses come after definitions: backwards, one round)
    useful = ir.closure(set(sinks), [(names, (target,)) for target, names in reversed(pairs)])
    return varied & useful
