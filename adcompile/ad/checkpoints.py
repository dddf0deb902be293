"""Checkpointed loops (``ad.checkpoint``): with a ``Checkpoint``, the ``per_step`` save
policy first checkpoints the loops it may. Their forward loop keeps only the values its
iterations carry, every few steps, and the backward sweep runs each segment of steps
again from its checkpoint, keeping that segment's per-step lists (step_lists.py), before
reversing it (see ``checkpointed``).
"""

import ast
from dataclasses import dataclass

from .. import ir
from .step_lists import per_step, walks_back
from .tape import Restore, Save, nodes, saved_names


@dataclass(frozen=True)
class Checkpoint:
    """Checkpoint the loops that allow it: ``every``, the steps between two checkpoints (an
    int, or "sqrt": the square root of the number of steps, which keeps memory in
    O(sqrt(steps)) for one more forward sweep); ``may_rerun(index, iterable)``: whether the
    body of the top-level ``for index in iterable`` loop may run again (it has no effect
    but its values); ``live``: the names read after the sweeps (the value, the
    gradients); ``math``, ``outer_sum``: the names of the math module and of
    runtime.outer_sum in the generated code."""

    every: object
    may_rerun: object
    live: frozenset = frozenset()
    math: str = "math"
    outer_sum: str = "outer_sum"


def checkpointed(forward, backward, namer, checkpoint):
    """The sweeps with each loop that may be checkpointed (see ``_checkpoint_state``) in
    segments of steps. The forward loop becomes::

        steps = range(n)
        every = max(1, math.isqrt(len(steps)))
        checkpoints = []
        for start in range(0, len(steps), every):
            checkpoints.append(x)                     # what the iterations carry
            for i in steps[start:start + every]:
                ...                                   # the body, saving nothing

    and its reversed loop::

        for start in reversed(range(0, len(steps), every)):
            x = checkpoints.pop()
            for i in steps[start:start + every]:      # the segment again, saving per step
                ...
            for ... in zip(reversed(...), ...):       # the segment reversed
                ...
    """
    restores = {s.body[0].key: s for s in backward if isinstance(s, ast.For) and s.body
                and isinstance(s.body[0], Restore)}
    for loop in [s for s in forward if isinstance(s, ast.For)]:
        found = _checkpoint_state(loop, restores, backward, checkpoint)
        if found is None:
            continue
        rloop, state = found
        moved = _per_segment(backward, rloop, checkpoint.outer_sum)
        backward = [s for s in backward if all(s is not m for pair in moved for m in pair)]
        made_forward, made_backward = _segments(loop, rloop, state, namer, checkpoint, moved)
        at = forward.index(loop)
        forward = forward[:at] + made_forward + forward[at + 1:]
        at = backward.index(rloop)
        backward = backward[:at] + made_backward + backward[at + 1:]
    return forward, backward


def _per_segment(backward, rloop, outer_sum):
    """The (``L = []``, ``X += outer_sum(L)``) pairs around reversed loop ``rloop`` whose
    list ``L`` it appends the outer products of its steps to: a checkpointed loop sums them
    per segment, so that they too take memory for one segment only."""
    appended = {n.func.value.id for n in ast.walk(rloop) if isinstance(n, ast.Call)
                and isinstance(n.func, ast.Attribute) and n.func.attr == "append"
                and isinstance(n.func.value, ast.Name)}
    at = backward.index(rloop)
    made = {s.targets[0].id: s for s in backward[:at] if isinstance(s, ast.Assign)
            and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
            and isinstance(s.value, ast.List) and not s.value.elts}
    pairs = []
    for s in backward[at + 1:]:
        if isinstance(s, ast.AugAssign) and isinstance(s.op, ast.Add) \
                and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Name) \
                and s.value.func.id == outer_sum and len(s.value.args) == 1 \
                and isinstance(s.value.args[0], ast.Name) and s.value.args[0].id in made \
                and s.value.args[0].id in appended:
            pairs.append((made.pop(s.value.args[0].id), s))
    return pairs


def _checkpoint_state(loop, restores, backward, checkpoint):
    """(its reversed loop, the names its iterations carry) when forward ``loop`` may be
    checkpointed: a top-level loop ``per_step`` would give per-step lists, whose body may
    run again, that carries something, and whose running again assigns no name the
    backward sweep reads after the reversed loop other than those the reversed loop
    restores; else None."""
    saves = nodes(loop.body, Save)
    if not isinstance(loop.target, ast.Name) or len(saves) != 1 \
            or saves[0] not in loop.body or saves[0].key not in restores \
            or any(isinstance(n, (ast.Break, ast.Continue, ast.Return)) for n in ast.walk(loop)):
        return None
    rloop = restores[saves[0].key]
    if not walks_back(rloop, loop) or not checkpoint.may_rerun(loop.target.id, loop.iter):
        return None
    assigned = ir.assigns(loop.body) | {loop.target.id}
    state = sorted((ir.live_before(loop.body, set()) & assigned) - {loop.target.id})
    after = ir.reads(backward[backward.index(rloop) + 1:]) | checkpoint.live
    restored = set(saved_names(saves[0])) | ({loop.target.id} & ir.reads(backward))
    if not state or (assigned - restored) & after:
        return None
    return rloop, state


def _segments(loop, rloop, state, namer, checkpoint, moved):
    """The forward and backward statements of checkpointed ``loop`` (see
    ``checkpointed``); ``moved``: the lists of outer products made and summed in each
    segment (see ``_per_segment``)."""
    steps, every, checkpoints, start = (namer.fresh(n) for n in (
        "steps", "every", "checkpoints", "start"))
    if checkpoint.every == "sqrt":
        isqrt = ast.Attribute(value=ir.load(checkpoint.math), attr="isqrt", ctx=ast.Load())
        interval = ir.call("max", ast.Constant(1), ir.call(isqrt, ir.call("len", ir.load(steps))))
    else:
        interval = ast.Constant(checkpoint.every)
    starts = ir.call("range", ast.Constant(0), ir.call("len", ir.load(steps)), ir.load(every))
    segment = ast.Subscript(value=ir.load(steps), slice=ast.Slice(
        lower=ir.load(start), upper=ast.BinOp(left=ir.load(start), op=ast.Add(),
                                              right=ir.load(every))), ctx=ast.Load())
    values = ir.load(state[0]) if len(state) == 1 else ast.Tuple(
        elts=[ir.load(n) for n in state], ctx=ast.Load())
    body = [s for s in loop.body if not isinstance(s, Save)]
    forward = [ir.assign(steps, loop.iter), ir.assign(every, interval),
               ir.assign(checkpoints, ast.List(elts=[], ctx=ast.Load())),
               ast.For(target=ir.store(start), iter=starts, orelse=[], body=[
                   ast.Expr(ir.method_call(checkpoints, "append", values)),
                   ast.For(target=loop.target, iter=segment, body=body, orelse=[])])]
    again = ast.For(target=ir.copy_tree(loop.target), iter=ir.copy_tree(segment),
                    body=ir.copy_tree(loop.body), orelse=[])
    back = _walking(rloop, ir.call("reversed", ir.copy_tree(segment)))
    made, inner, _ = per_step([again], [back], namer)
    backward = [ast.For(target=ir.store(start), iter=ir.call("reversed", ir.copy_tree(starts)),
                        orelse=[], body=[ast.Assign(targets=[ir.store_all(state)],
                                                    value=ir.method_call(checkpoints, "pop"))]
                        + made + [m for m, _ in moved] + inner + [s for _, s in moved])]
    return forward, backward


def _walking(rloop, iterable):
    """Reversed loop ``rloop`` walking ``iterable`` instead."""
    return ast.For(target=rloop.target, iter=iterable, body=rloop.body, orelse=rloop.orelse)
