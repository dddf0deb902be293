"""Save policies: the tape's Save and Restore nodes lowered to Python (``lower``).

- ``stack``: one list for all saves, a tuple per save
  (``stack.append((h, y))`` ... ``h, y = stack.pop()``);
- ``per_name``: one list per saved variable, for code that adcompile differentiates
  again (a list holds values of one kind, so integer saves stay out of the way);
- ``per_step``: a loop outside other loops that saves once per step keeps one list
  per value and its reversed loop walks them backwards with ``zip(reversed(...))``
  (step_lists.py); other saves fall back to ``stack``. With a ``Checkpoint``
  (``ad.checkpoint``), ``per_step`` first checkpoints the loops it may
  (checkpoints.py).
"""

import ast
from dataclasses import dataclass, field

from .. import ir
from .checkpoints import checkpointed
from .step_lists import per_step
from .tape import Restore, Save, nodes, saved_names


@dataclass
class Lowered:
    """The sweeps with the tape lowered; ``step_loops``: per loop turned to per-step lists,
    (forward loop, reversed loop, the names saved, their lists), for loop fission."""

    forward: list
    backward: list
    step_loops: list = field(default_factory=list)


def lower(forward, backward, namer, policy="stack", checkpoint=None):
    """Replace the Save/Restore nodes of the two sweeps by Python code, by ``policy``;
    with ``per_step``, the loops ``checkpoint`` (a ``Checkpoint``, or None) allows are
    checkpointed first."""
    if policy == "per_name":
        return Lowered(*_per_name(forward, backward, namer))
    step_loops = []
    if policy == "per_step":
        if checkpoint is not None:
            forward, backward = checkpointed(forward, backward, namer, checkpoint)
        forward, backward, step_loops = per_step(forward, backward, namer)
    elif policy != "stack":
        raise ValueError(f"unknown save policy {policy!r}")
    forward, backward = _one_stack(forward, backward, namer)
    return Lowered(forward, backward, step_loops)


def _replace(stmts, replace):
    """``stmts`` with each Save/Restore node replaced by ``replace(node)`` (a list)."""
    out = []
    for s in stmts:
        if isinstance(s, (Save, Restore)):
            out.extend(replace(s))
            continue
        if isinstance(s, (ast.If, ast.For, ast.While)):
            s.body = _replace(s.body, replace) or [ast.Pass()]
            s.orelse = _replace(s.orelse, replace)
        out.append(s)
    return out


def _one_stack(forward, backward, namer):
    """One list for all saves; a save that runs at most once (outside loops) keeps its
    values in variables of its own instead (``x_saved = x`` ... ``x = x_saved``)."""
    saves = nodes(forward, Save)
    if not saves:
        return forward, backward
    once = {s.key: [namer.fresh(f"{n}_saved") for n in saved_names(s)]
            for s in _outside_loops(forward) if isinstance(s, Save)}
    stack = namer.fresh("stack") if len(once) < len(saves) else None

    def replace(node):
        names = saved_names(node)
        if node.key in once:
            pairs = zip(names, once[node.key])
            if isinstance(node, Restore):
                return [ir.assign(n, ir.load(kept)) for n, kept in pairs]
            return [ir.assign(kept, ir.load(n)) for n, kept in pairs]
        if isinstance(node, Restore):
            return [ast.Assign(targets=[ir.store_all(names)], value=ir.method_call(stack, "pop"))]
        value = ir.load(names[0]) if len(names) == 1 else ast.Tuple(
            elts=[ir.load(n) for n in names], ctx=ast.Load())
        return [ast.Expr(ir.method_call(stack, "append", value))]

    made = [] if stack is None else [ir.assign(stack, ast.List(elts=[], ctx=ast.Load()))]
    return made + _replace(forward, replace), _replace(backward, replace)


def _outside_loops(stmts):
    """The statements of ``stmts`` that no loop encloses (in ifs too)."""
    for s in stmts:
        yield s
        if isinstance(s, ast.If):
            yield from _outside_loops(s.body)
            yield from _outside_loops(s.orelse)


def _per_name(forward, backward, namer):
    stacks = {}
    for node in nodes(forward, Save):
        for name in saved_names(node):
            if name not in stacks:
                stacks[name] = namer.fresh(f"{name}_stack")

    def replace(node):
        names = saved_names(node)
        if isinstance(node, Save):
            return [ast.Expr(ir.method_call(stacks[n], "append", ir.load(n))) for n in names]
        return [ir.assign(n, ir.method_call(stacks[n], "pop")) for n in reversed(names)]

    made = [ir.assign(s, ast.List(elts=[], ctx=ast.Load())) for s in stacks.values()]
    return made + _replace(forward, replace), _replace(backward, replace)
