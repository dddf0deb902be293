"""The tape: values the forward sweep keeps for the backward sweep, as nodes of the code.

The reverse pass does not decide how values are kept. Where a piece of code inside
a loop must keep values that later iterations overwrite, it emits a ``Save`` node in
the forward sweep and a ``Restore`` node, with the same ``key``, in the backward
sweep: ``Save(key=3, names=[h, y])`` ... ``Restore(key=3, names=[h, y])``. Passes
between the reverse pass and the lowering see them as ordinary statements (a
``Save`` reads its names, a ``Restore`` assigns them), so renaming, liveness and
pruning need no special case; ``prune`` drops the values nothing reads back.

A *save policy* then lowers the nodes to Python:

- ``stack``: one list for all saves, a tuple per save
  (``stack.append((h, y))`` ... ``h, y = stack.pop()``);
- ``per_name``: one list per saved variable, for code that adcompile differentiates
  again (a list holds values of one kind, so integer saves stay out of the way);
- ``per_step``: a loop outside other loops that saves once per step keeps one list
  per value and its reversed loop walks them backwards with ``zip(reversed(...))``;
  other saves fall back to ``stack``.

With a ``Checkpoint`` (``ad.checkpoint``), ``per_step`` first checkpoints the loops it
may: their forward loop keeps only the values its iterations carry, every few steps,
and the backward sweep runs each segment of steps again from its checkpoint, keeping
that segment's per-step lists, before reversing it (see ``_checkpointed``).
"""

import ast
from dataclasses import dataclass, field, replace

from .. import ir


class _Node(ast.stmt):
    """A node of the tape: a ``key`` and the names it keeps (ast.Name nodes of context
    ``_ctx``), a field so that ast.walk and the name helpers see them."""

    _fields = ("names",)
    _attributes = ()
    _ctx = ast.Load

    def __init__(self, key=None, names=()):
        super().__init__()
        self.key = key
        self.names = [ast.Name(id=n, ctx=self._ctx()) for n in names]


class Save(_Node):
    """Forward sweep: keep the current values of ``names`` under ``key``."""


class Restore(_Node):
    """Backward sweep: give ``names`` back the values the ``Save`` of ``key`` kept."""

    _ctx = ast.Store


@dataclass
class Piece:
    """A piece of a block in a loop (a run of simple statements, an if or a loop, or the
    carries and jump ending an iteration): the key of its saves (None: it saves nothing),
    the names it assigns, whether it may jump out of the block."""

    key: object
    writes: set
    jumps: bool


@dataclass
class Tape:
    """What the reverse pass decided to keep: per key (a piece of code in a loop: its first
    IR statement, or its if or loop; ``("start", loop)``, the start of each iteration of a
    loop; ``("entry", loop)``, a loop's entry), the names saved (the Save and Restore
    nodes of the key carry them); and the order the pieces run in, for ``drop_repeated``."""

    saves: dict = field(default_factory=dict)      # key -> names
    unit_of: dict = field(default_factory=dict)    # IR statement -> key of its piece
    chains: dict = field(default_factory=dict)     # id(block in a loop) -> its Pieces
    continues: dict = field(default_factory=dict)  # id(branch) -> (id(block), key of its if)
    # what the in-place form of adjoint arrays saves (ad/forms.py; None once chosen): it
    # may read fewer values (x_bar[i] += g, not getitem_bar(g, x, i))
    in_place_saves: dict = field(default_factory=dict)

    def copy(self):
        """A tape whose saves later passes may change (the pieces are read only)."""
        in_place = None if self.in_place_saves is None else {
            key: list(names) for key, names in self.in_place_saves.items()}
        return replace(self, saves={key: list(names) for key, names in self.saves.items()},
                       in_place_saves=in_place)

    def save(self, key, names=(), in_place=None):
        """Record that ``key`` saves ``names`` too, and ``in_place`` in the in-place form of
        adjoint arrays (None: ``names``; False: that form saves nothing at ``key``). For a
        new key, returns its Restore node, which the caller puts in the backward sweep;
        else None."""
        new = key not in self.saves
        saved = self.saves.setdefault(key, [])
        saved.extend(n for n in names if n not in saved)
        if in_place is not False:
            kept = self.in_place_saves.setdefault(key, [])
            kept.extend(n for n in (names if in_place is None else in_place) if n not in kept)
        return Restore(key, saved) if new else None

    def choose_in_place(self, backward):
        """Make the saves of the in-place form of adjoint arrays the tape's; returns
        ``backward`` (changed in place) without the Restore nodes of keys only the other
        form saves at, the others given the names that form saves."""
        self.saves, self.in_place_saves = self.in_place_saves, None
        backward = _without_restores(backward, lambda key: key not in self.saves)
        self.fill(backward)
        return backward

    def fill(self, backward):
        """Give each Restore node of ``backward`` the names its key saves."""
        if not self.saves:   # (no Restore was made)
            return
        for node in nodes(backward, Restore):
            node.names = [ir.store(n) for n in self.saves[node.key]]

    def keep_read(self, backward):
        """Save only what the backward sweep reads back; returns it without empty restores."""
        if not self.saves:   # (no Restore was made: only the blocks left empty to fill)
            return _drop_empty(backward)
        self.fill(backward)
        _, backward = prune([], backward)
        kept = {r.key: saved_names(r) for r in nodes(backward, Restore)}
        self.saves = {key: kept.get(key, []) for key in self.saves}
        return backward

    def record_chain(self, block, pieces):
        """The pieces of ``block`` (a block in a loop) in the order they run, and for each
        if among them, where its branches continue (the if's own save, then what follows)."""
        self.chains[id(block)] = [piece for piece, _ in pieces]
        for piece, node in pieces:
            if isinstance(node, ir.If):
                self.continues[id(node.body)] = self.continues[id(node.orelse)] = \
                    (id(block), piece.key)

    def following(self, block, i):
        """The pieces that run after piece ``i`` of ``block`` in the same iteration."""
        yield from self.chains.get(block, [])[i + 1:]
        parent = self.continues.get(block)
        if parent is not None:
            # then the if's own save, at its exit: what this branch assigns after piece i
            # is counted already (the if's writes include the other branch's, and the
            # earlier ones of this branch)
            outer, key = parent
            at = next(k for k, piece in enumerate(self.chains[outer]) if piece.key == key)
            yield Piece(key, set(), self.chains[outer][at].jumps)
            yield from self.following(outer, at)

    def drop_repeated(self):
        """A value a piece saves need not be saved there when a later piece of the same
        iteration saves it too and nothing assigns it in between: the later save is
        restored first in the backward sweep, and the value is the same."""
        for block, chain in self.chains.items():
            for i, piece in enumerate(chain):
                names = self.saves.get(piece.key)
                if not names:
                    continue
                assigned, later = set(), set()
                for other in self.following(block, i):
                    if other.jumps:
                        break
                    assigned |= other.writes
                    later |= set(self.saves.get(other.key, ())) - assigned
                self.saves[piece.key] = [n for n in names if n not in later]

    def save_nodes(self, key):
        """The forward sweep's Save for ``key``: [] when it saves nothing."""
        names = self.saves.get(key)
        return [Save(key, names)] if names else []


def saved_names(node):
    """The names a Save or Restore node keeps."""
    return [n.id for n in node.names]


def nodes(stmts, kind):
    """The ``kind`` (Save or Restore) nodes in ``stmts``, at any depth, in order."""
    return [n for s in stmts for n in ir.walk_statements(s) if isinstance(n, kind)]


def prune(forward, backward):
    """Keep only the values that backward code reads back (a restored name nothing reads
    from the restore's top-level statement on need not be saved: code before it reads the
    forward sweep's value); a save and restore left with no value go away."""
    keep = {}
    for k, top in enumerate(backward):
        restores = nodes([top], Restore)
        if not restores:
            continue
        read = ir.reads(backward[k:])
        for restore in restores:
            keep[restore.key] = [n for n in saved_names(restore) if n in read]
    for node in nodes(forward, Save) + nodes(backward, Restore):
        names = keep.get(node.key, [])
        node.names = [type(n)(id=n.id, ctx=n.ctx) for n in node.names if n.id in names]
    return _drop_empty(forward), _drop_empty(backward)


def _without_restores(stmts, dropped):
    """``stmts`` without the Restore nodes whose key is ``dropped(key)`` (in place)."""
    out = []
    for s in stmts:
        if isinstance(s, Restore) and dropped(s.key):
            continue
        for name in ("body", "orelse"):
            block = getattr(s, name, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(s, name, _without_restores(block, dropped) or [ast.Pass()])
        out.append(s)
    return out


def _drop_empty(stmts):
    """``stmts`` without Save/Restore nodes that keep nothing (a block left empty passes)."""
    out = []
    for s in stmts:
        if isinstance(s, (Save, Restore)) and not s.names:
            continue
        if isinstance(s, (ast.If, ast.For, ast.While)):
            s.body = _drop_empty(s.body) or [ast.Pass()]
            s.orelse = _drop_empty(s.orelse)
        out.append(s)
    return out


# -- save policies -------------------------------------------------------------------


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
            forward, backward = _checkpointed(forward, backward, namer, checkpoint)
        forward, backward, step_loops = _per_step(forward, backward, namer)
    elif policy != "stack":
        raise ValueError(f"unknown save policy {policy!r}")
    forward, backward = _one_stack(forward, backward, namer)
    return Lowered(forward, backward, step_loops)


def _method(owner, name, *args):
    return ir.call(ast.Attribute(value=ir.load(owner), attr=name, ctx=ast.Load()), *args)


def _targets(names):
    """``a`` or ``a, b``: the targets restoring ``names``."""
    if len(names) == 1:
        return ir.store(names[0])
    return ast.Tuple(elts=[ir.store(n) for n in names], ctx=ast.Store())


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
            return [ast.Assign(targets=[_targets(names)], value=_method(stack, "pop"))]
        value = ir.load(names[0]) if len(names) == 1 else ast.Tuple(
            elts=[ir.load(n) for n in names], ctx=ast.Load())
        return [ast.Expr(_method(stack, "append", value))]

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
            return [ast.Expr(_method(stacks[n], "append", ir.load(n))) for n in names]
        return [ir.assign(n, _method(stacks[n], "pop")) for n in reversed(names)]

    made = [ir.assign(s, ast.List(elts=[], ctx=ast.Load())) for s in stacks.values()]
    return made + _replace(forward, replace), _replace(backward, replace)


def _per_step(forward, backward, namer):
    """Per-step lists for each top-level ``for`` loop that saves once per step, directly in
    its body, and whose reversed loop (walking the same range backwards) restores first;
    that loop has no break, continue or return. Other saves are left for the stack."""
    restores = {s.body[0].key: s for s in backward if isinstance(s, ast.For) and s.body
                and isinstance(s.body[0], Restore)}
    read = ir.reads(backward)
    step_loops = []
    for loop in forward:
        if not isinstance(loop, ast.For):
            continue
        saves = nodes(loop.body, Save)
        if len(saves) != 1 or saves[0] not in loop.body or saves[0].key not in restores \
                or any(isinstance(n, (ast.Break, ast.Continue, ast.Return))
                       for n in ast.walk(loop)):
            continue
        rloop = restores[saves[0].key]
        if not (_walks_back(rloop, loop)):
            continue
        names = saved_names(saves[0])
        lists = [namer.fresh(f"{n}_steps") for n in names]
        at = loop.body.index(saves[0])
        loop.body[at:at + 1] = [ast.Expr(_method(lst, "append", ir.load(n)))
                                for lst, n in zip(lists, names)]
        walks = [ir.call("reversed", ir.load(lst)) for lst in lists]
        targets = [ir.store(n) for n in names]
        if isinstance(loop.target, ast.Name) and loop.target.id in read:
            walks.insert(0, rloop.iter)   # the step's index too
            targets.insert(0, rloop.target)
        rloop.body = rloop.body[1:] or [ast.Pass()]
        if len(walks) == 1:
            rloop.target, rloop.iter = targets[0], walks[0]
        else:
            rloop.target = ast.Tuple(elts=targets, ctx=ast.Store())
            rloop.iter = ir.call("zip", *walks)
        step_loops.append((loop, rloop, names, lists))
    made = [ir.assign(lst, ast.List(elts=[], ctx=ast.Load()))
            for _, _, _, lists in step_loops for lst in lists]
    return made + forward, backward, step_loops


def _walks_back(rloop, loop):
    """Whether reversed loop ``rloop`` is ``for i in reversed(<loop's iterable>)``."""
    it = rloop.iter
    return isinstance(it, ast.Call) and isinstance(it.func, ast.Name) \
        and it.func.id == "reversed" and len(it.args) == 1 \
        and ast.dump(it.args[0]) == ast.dump(loop.iter) \
        and ast.dump(rloop.target) == ast.dump(loop.target)


# -- checkpointing ---------------------------------------------------------------------


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


def _checkpointed(forward, backward, namer, checkpoint):
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
    if not _walks_back(rloop, loop) or not checkpoint.may_rerun(loop.target.id, loop.iter):
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
    ``_checkpointed``); ``moved``: the lists of outer products made and summed in each
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
                   ast.Expr(_method(checkpoints, "append", values)),
                   ast.For(target=loop.target, iter=segment, body=body, orelse=[])])]
    again = ast.For(target=ir.copy_tree(loop.target), iter=ir.copy_tree(segment),
                    body=ir.copy_tree(loop.body), orelse=[])
    back = _walking(rloop, ir.call("reversed", ir.copy_tree(segment)))
    made, inner, _ = _per_step([again], [back], namer)
    backward = [ast.For(target=ir.store(start), iter=ir.call("reversed", ir.copy_tree(starts)),
                        orelse=[], body=[ast.Assign(targets=[_targets(state)],
                                                    value=_method(checkpoints, "pop"))]
                        + made + [m for m, _ in moved] + inner + [s for _, s in moved])]
    return forward, backward


def _walking(rloop, iterable):
    """Reversed loop ``rloop`` walking ``iterable`` instead."""
    return ast.For(target=rloop.target, iter=iterable, body=rloop.body, orelse=rloop.orelse)
