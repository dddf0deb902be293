"""Loop fission: the work of a reversed loop that does not depend on earlier steps, done
for all steps at once.

A recurrence such as an RNN (``h = tanh(W @ h + U @ xs[t] + b)``, a loss term per step)
has, in each step of its forward and of its reversed loop, work that needs only that
step's saved values and values fixed for the whole loop: ``U @ xs[t]``, the residual
``h - ys[t]``, the tanh derivative ``1 - h * h``. Done one step at a time it costs a
NumPy call per step; on arrays that hold every step (steps first) it is one call. Only
the recurrence itself (``h_bar = W.T @ (h_bar + ...) * ...``) stays in the loops.

Three rewrites of the generated code of a loop outside other loops, each keeping
the values the code computes (up to the order of floating-point sums):

- ``hoist_inputs`` (in hoist.py): in a forward ``for t in range(...)`` loop, an expression
  of values the loop does not change and rows ``x[t]`` of them (``U @ xs[t]``) is computed
  for all steps before the loop (``xs[range(...)] @ U.T``) and the loop walks its rows.
- ``split_reversed``, in a reversed loop whose forward loop saved one list per value
  (the per-step lists of the tape, ad/step_lists.py): what a step computes from saved
  values alone, or recomputes from them (``t1 = h_2 - ys[t]`` need not be saved when
  ``h_2`` is), is computed from the lists stacked into arrays before the loop; the loop
  walks its rows.
  Stacking needs every step's value to have one shape and dtype, which the dimensions
  alone do not promise (a carried value may be broadcast up in the first steps), so this
  runs under ``if <stacked> is not None:``, with the step-by-step loop as the ``else``.
- in the same reversed loop, sums over the steps (``b_bar += t3_bar``,
  ``W_outers.append((t3_bar, h))``) collect the step's value and add once after the loop.

What can be batched is batch.py's ``batch``; the sums over the steps are step_sums.py's,
the saved values recomputed for all steps recompute.py's.
"""

import ast

from .. import ir
from .batch import Env, batch, extract, rows
from .hoist import hoist_inputs
from .loops import Occurrences, is_range_loop, may_change, range_call, transposes, walk_steps
from .recompute import Recomputation
from .step_sums import StepSums

__all__ = ["batch", "hoist_inputs", "split_reversed"]

_Env = Env   # (the name tests/test_fission.py knows it by)


def split_reversed(forward, backward, loops, ndims, aliases, namer, live):
    """Fission of each reversed loop the per-step lists of the tape (ad/step_lists.py) made.
    ``loops``: (forward loop, reversed loop, saved names, their lists); ``live``: names read
    after the backward code (gradients, returned values)."""
    for loop, rloop, names, lists in loops:
        if rloop not in backward or not is_range_loop(loop, forward):
            continue
        count = Occurrences(rloop.body)
        if not all(_plain(s, count, names) for s in rloop.body):
            continue
        at = backward.index(rloop)
        split = _Split(loop, rloop, names, lists, ndims, aliases, namer,
                       forward, backward[:at], backward[at + 1:], live)
        new = split.run()
        if new is not None:
            before, replacement, after = new
            backward[:] = before + replacement + after
        used = ir.names_used(forward + backward)
        namer.taken -= set(split.stacked.values()) - used   # names reserved, not used
    return forward, backward


def _plain(s, count, saved):
    """Whether a statement of a reversed loop is one fission handles: an assignment, an
    in-place sum into a variable the loop only adds to, or an append. (A value of one step
    may become a row of an array of all steps, so nothing may change one in place.)"""
    if isinstance(s, ast.Assign):
        return len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
    if isinstance(s, ast.AugAssign):
        return isinstance(s.target, ast.Name) and s.target.id not in saved \
            and count(s.target.id, stores=True) == 1
    return isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) \
        and isinstance(s.value.func, ast.Attribute) and s.value.func.attr == "append" \
        and not s.value.keywords


class _Split(StepSums, Recomputation):
    """The fission of one reversed loop: its forward loop, the saved values and their
    lists, the code around it, and the names made for the values of all steps."""

    def __init__(self, loop, rloop, names, lists, ndims, aliases, namer, forward, before,
                 after, live):
        self.loop, self.rloop, self.names = loop, rloop, names
        self.list_of = dict(zip(names, lists))
        self.ndims = dict(ndims)
        self.aliases, self.namer, self.np = aliases, namer, aliases["np"]
        self.forward, self.before, self.after = forward, before, after
        self.live = live | ir.reads(after)
        self.loop_var = loop.target.id
        # (it names rows only where the loops do not assign it)
        self.index = None if self.loop_var in may_change(loop.body + rloop.body, aliases) \
            else self.loop_var
        self.steps = loop.iter
        self.steps_call = range_call(loop.iter, forward)
        self.stacked = {n: namer.fresh(n + "s") for n in names}   # a saved value, all steps
        # (the reversed loop's statements, read and never changed here: counted once)
        self.count = Occurrences(rloop.body)
        self.changed_in_body = may_change(rloop.body, aliases)
        self.stored_at = {}   # name -> the statements of the reversed loop assigning it
        for j, t in enumerate(rloop.body):
            if isinstance(t, ast.Assign) and isinstance(t.targets[0], ast.Name):
                self.stored_at.setdefault(t.targets[0].id, []).append(j)
        self.arrays = {}          # a list collected in the loop -> its values as one array
        self._readers = None      # (see read_elsewhere)

    def run(self):
        """The reversed loop split: ``(before, replacement, after)``, the backward code
        before the loop, what replaces the loop, the code after it; or None if nothing in
        the loop can be done for all steps at once."""
        env = Env(self.index, self.steps, set(self.changed_in_body)
                  | set(self.names) | {self.loop_var}, self.ndims, self.np, self.steps_call,
                  self.aliases["step_rows"])
        env.per_step = {n: (self.ndims[n], self.stacked[n]) for n in self.names
                        if self.ndims.get(n) is not None}
        remat = self.recomputed()
        pre = [ir.assign(self.stacked[n], value) for n, (value, _) in remat.items()]
        fast, slow = [], [ir.copy_tree(stmt) for _, stmt in remat.values()]
        sums = self.sort_out(env, pre, fast, slow)
        if not pre and not sums:
            return None
        read_first = ir.reads(pre)   # (once, not once per name)
        stacked = [n for n in self.names if n not in remat and self.stacked[n] in read_first]
        collected = {}
        fast_loop, fast_post = self.finish(fast, sums, env, collected, batched=True,
                                           remat=remat, stacked=stacked)
        slow_env = Env(self.index, self.steps, set(), self.ndims, self.np, self.steps_call,
                       self.aliases["step_rows"])
        slow_loop, slow_post = self.finish(slow, sums, slow_env, collected, batched=False,
                                           remat=remat)
        before, after = self.without_outer_sums(sums)
        creations = [ir.assign(lst, ast.List(elts=[], ctx=ast.Load()))
                     for lst in collected.values()]
        if not pre:
            return before, creations + slow_loop + slow_post, after
        fast_code = pre + creations + transposes(fast_loop, env.changed, self.ndims,
                                                 self.namer) + fast_loop + fast_post
        if not stacked:
            if remat:   # the saved lists recomputed are no longer needed
                self.drop_saves(remat)
            return before, fast_code, after
        self.drop_saves(remat)
        return before, self.guarded(stacked, fast_code, creations + slow_loop + slow_post), after

    def sort_out(self, env, pre, fast, slow):
        """Sort the reversed loop's statements into the two versions of the loop: ``fast``
        (values of all steps computed before it, in ``pre``) and ``slow`` (step by step),
        each with the positions of the sums over steps in place of theirs. Returns the
        sums: (statement position, accumulator, operands, outer-sum list or None)."""
        body = self.rloop.body
        sums = []
        for i, s in enumerate(body):
            found = self.sum_over_steps(s, i, body)
            if found is not None:
                sums.append((i,) + found)
                fast.append(i)
                slow.append(i)
                continue
            slow.append(s)
            if not self.moved_before(s, i, env, pre):
                fast.append(self.with_steps(s, env, pre))
        return sums

    def moved_before(self, s, i, env, pre):
        """Whether ``s`` (statement ``i`` of the loop) assigns a value batched for all
        steps, or the same in every step: then computed before the loop, in ``pre``."""
        target = s.targets[0].id if isinstance(s, ast.Assign) else None
        if target is None or self.count(target, stores=True) != 1 \
                or target in self.live or self.count(target, before=i) \
                or target in ir.names_read(s.value):
            return False
        r = batch(s.value, env)
        if r is not None and r[0] == "step":
            array = self.namer.fresh(target + "s")
            env.per_step[target] = (r[1], array)
            pre.append(ir.assign(array, r[2]))
            return True
        if r is not None:        # the same in every step: computed once, before
            pre.append(ir.copy_tree(s))
            env.changed.discard(target)
            self.ndims[target] = r[1]
            return True
        return False

    def with_steps(self, s, env, pre):
        """A copy of ``s`` with each largest part of it that is batched for all steps
        computed before the loop (in ``pre``) and read row by row."""
        found = []
        s = ir.copy_tree(s)
        if isinstance(s, (ast.Assign, ast.AugAssign)):
            s.value = extract(s.value, env, found, self.namer)
        for name, value, d in found:
            array = self.namer.fresh(name + "s")
            env.per_step[name] = (d, array)
            pre.append(ir.assign(array, value))
        return s

    def guarded(self, stacked, fast_code, slow_code):
        """``fast_code`` under ``if <stacked> is not None:`` (the saved lists of ``stacked``
        stacked into arrays, if their steps' values have one shape and dtype), else
        ``slow_code``."""
        values = [self.stacked[n] for n in stacked]
        guard = ir.call(self.aliases["step_arrays"], *[ir.load(self.list_of[n]) for n in stacked])
        if len(values) == 1:
            head = [ir.assign(values[0], guard)]
        else:
            head = [ast.Assign(targets=[ast.Tuple(elts=[ir.store(v) for v in values],
                                                  ctx=ast.Store())], value=guard, lineno=0)]
        test = ast.Compare(left=ir.load(values[0]), ops=[ast.IsNot()],
                           comparators=[ast.Constant(None)])
        return head + [ast.If(test=test, body=fast_code, orelse=slow_code)]

    def finish(self, items, sums, env, collected, batched, remat=(), stacked=()):
        """One version of the reversed loop (``items``: its statements, with the positions
        of the sums over steps in place of theirs) and the sums after it: ``([loop],
        post)``. ``collected``: the lists the loop collects values of steps in (a name ->
        its list), shared by the two versions."""
        code, seq = self.loop_code(items, sums, env, collected, batched, remat, stacked)
        loop = self.reversed_loop(code, env, batched, remat)
        return [loop], self.sums_after(sums, seq, set(collected.values()))

    def loop_code(self, items, sums, env, collected, batched, remat, stacked):
        """The statements of one version of the loop, and ``seq``: for each operand of a
        sum over steps (by ``ast.dump``), the expression of its values for all steps (a
        saved list or array, rows, or a list the loop collects it in)."""
        seq = {}

        def steps_of(e):
            if isinstance(e, ast.Subscript):
                return rows(e.value.id, self.steps, self.steps_call, self.aliases["step_rows"])
            if e.id in self.names and e.id not in remat:   # saved: stacked, or the list
                use = batched and e.id in stacked
                return ir.load(self.stacked[e.id] if use else self.list_of[e.id])
            if batched and e.id in env.per_step:
                return ir.load(env.per_step[e.id][1])
            if e.id not in collected:
                collected[e.id] = self.namer.fresh(e.id + "_steps")
            code.append(ast.Expr(ir.method_call(collected[e.id], "append", ir.load(e.id))))
            return ir.load(collected[e.id])

        code = []
        appended = set()
        for item in items:
            if not isinstance(item, int):
                code.append(item)
                continue
            for position, _, operands, _ in sums:
                if position == item:
                    for e in operands:
                        key = ast.dump(e)
                        if key not in appended:
                            appended.add(key)
                            seq[key] = steps_of(e)
        return code, seq

    def reversed_loop(self, code, env, batched, remat):
        """The loop of one version over the steps backwards, walking what ``code`` reads:
        the step index, saved values (their lists, or arrays in the batched version) and
        values batched for all steps."""
        read = ir.reads(code)
        targets, walks = [], []
        if self.loop_var in read:
            targets.append(self.loop_var)
            walks.append(ir.copy_tree(self.steps))
        for n in self.names:
            if n in read and n not in remat:
                targets.append(n)
                walks.append(ir.load(self.list_of[n]))
            elif n in read and batched:
                targets.append(n)
                walks.append(ir.load(self.stacked[n]))
        if batched:
            for n, (_, array) in env.per_step.items():
                if n in read and n not in self.names:
                    targets.append(n)
                    walks.append(ir.load(array))
        if not targets:
            targets, walks = [self.loop_var], [ir.copy_tree(self.steps)]
        target, walk = walk_steps(targets, walks, True)
        return ast.For(target=target, iter=walk, body=code or [ast.Pass()], orelse=[],
                       lineno=0)
