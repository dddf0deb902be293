"""The relations between names of the same array (views.py) through a loop.

At the start of a loop's body the relations of the loop's names are kept, to be checked
at each exit of an iteration (``check_loop_views``); after the body, where an iteration
may end with other relations than it started with, the updates that relied on them give
the other names their old values back (``leave_loop_views``, see analysis/rebindings.py).
Also the variables a loop carries because an update in place gives them new values
(``renewed_in_loop``), and the array a for loop walks (``walked_array``). Part of
``normalize.Normalizer``.
"""

import ast

from .. import ir
from .dependence import updated_in_place
from .view_ops import same_view, view_kind


class LoopViews:
    """Part of ``normalize.Normalizer``: the relations between names of an array in loops."""

    def enter_loop_views(self, carried, assigned, updated, rebound):
        """At the start of a loop's body (``carried``: user name -> loop name): the relations
        of the loop's names hold at the start of each iteration if they hold at each exit
        of an iteration (``check_loop_views``); they are kept, to be checked. Those of the
        names of variables the body assigns (``assigned``: user name -> name) but that are
        not carried (read neither in the next iteration nor after the loop) are forgotten:
        after an iteration the name no longer holds the variable's value (a name that is
        the same array as one of them is first related to what that one is a view of).
        ``updated``: the user names the body updates in place (a relation no update in the
        body relies on, which an exit breaks, is only forgotten); ``rebound``: those it
        gives other values (a relation of one of them is forgotten at once: the body is
        not to rely on it, the aliasing analysis sees what the name may share)."""
        self._skip_over(set(assigned.values()))
        self.forget_views({n for v, n in assigned.items() if v not in carried})
        loop_names = set(carried.values())
        frame = _LoopViews([(m, p, how) for m, (p, how) in self.views.items()
                            if m in loop_names or p in loop_names],
                           start=len(self.out.rebindings))
        frame.owner = {n: v for v, n in self.scope.env.items()}
        for m, p, how in list(frame.kept):
            if {frame.owner.get(m), frame.owner.get(p)} & rebound:
                frame.kept.remove((m, p, how))
                del self.views[m]
            elif not frame.owner.get(m, "").isidentifier():
                # (a value no variable names, or only an item of a list does (``ls[1]``): no
                # update renews it, the aliasing analysis sees what it may share)
                frame.kept.remove((m, p, how))
        groups = self.scope.view_groups
        frame.untouched = {(m, p) for m, p, _ in frame.kept if not any(
            groups.get(frame.owner.get(n), {frame.owner.get(n)}) & updated for n in (m, p))}
        stack = vars(self).setdefault("_loop_views", [])
        stack.append(frame)
        return frame

    def walked_array(self, name, node):
        """A variable of the normalizer's own for the array generated name ``name`` holds,
        which a for loop walks and its body may change in place: the same array as the
        user's variable, renewed by the updates as they are and carried by the loop, so
        that each step reads the item the array holds then, as Python's iterator does.
        Returns its name (also the loop's name for it)."""
        # (not a temporary: the loop carries it, and passes after take a temporary for a
        # name assigned once)
        walked = self.namer.fresh(f"{node.id}_walked")
        copy_of = self.copy_statement(walked, name, node)
        self.out.body.append(copy_of)
        if isinstance(copy_of, ir.Op):
            self.record_view(copy_of)
        else:
            self.record_kept_views([copy_of], node)
        self.scope.env[walked] = walked
        self.scope.walked.add(walked)
        self.scope.defined.add(walked)
        self.out.origin[walked] = (self.scope.number, walked)
        self.out.spellings[(self.scope.number, walked)] = node.id   # (for messages)
        if node.id in self.scope.varied or name in self.out.varied_ssa:
            self.scope.varied.add(walked)
        return walked

    def renewed_in_loop(self, body, header, assigned):
        """The user variables a loop (``body``, its ``Header``; ``assigned``: the user names
        the body assigns) is to carry because an update in place in the body gives them new
        values: the other names of the array (those read in the next iteration or after
        the loop: the others keep their names, not to be taken for new variables after it;
        and, in a group with a name so read, an array the body does not assign that a view
        is taken from by an index: putting the view back into it reads its value, in the
        next iteration too), and the variables naming the arrays it walks."""
        live, before = header.live, self.scope.env
        indexed = {p for p, how in self.views.values() if view_kind(how, self.callee) == "item"}
        renewed = {m for n in updated_in_place(body)
                   for group in [self.scope.view_groups.get(n, set())]
                   if live is None or group & live for m in group
                   if m in before and (live is None or m in live
                                       or m not in assigned and before[m] in indexed)}
        return renewed | {seq.id for _, seq in header.sequences or ()
                          if isinstance(seq, ast.Name) and seq.id in self.scope.walked}

    def _skip_over(self, names):
        """Where a name is the same array as one of ``names`` (``w = u``), relate it to what
        that one is a view of (``u = v.T``: w is v.T too)."""
        for _ in range(32):
            skipped = {m: self.views[p] for m, (p, how) in self.views.items()
                       if p in names and p in self.views and self.views[p][0] != m
                       and view_kind(how, self.callee) == "same"}
            if not skipped:
                return
            self.views.update(skipped)

    def check_loop_views(self, carried):
        """At an exit of an iteration of the innermost loop: whether the values its names
        take keep the relations they had at the start (else ``broken``)."""
        frame = self._loop_views[-1]
        loop_names = set(carried.values())

        def now(name):
            v = frame.owner.get(name)
            return self.scope.env.get(v) if v is not None else name

        for m, p, how in frame.kept:
            m_now, p_now = now(m), now(p)
            if (m_now, p_now) == (m, p):
                continue
            related = self.views.get(m_now)
            if related is None or related[0] != p_now \
                    or not same_view(related[1], how, self.callee) \
                    or p_now != p and p not in loop_names and view_kind(how, self.callee) == "item":
                # (the last: the next iteration starts with p's old value, which only a view
                # that is the whole array (w = u, u.T) need not read to be put back into)
                if (m, p) in frame.untouched:
                    frame.dropped.add((m, p))   # no update in the body relies on it
                else:
                    frame.broken = True

    def leave_loop_views(self, frame, carried):
        """After a loop's body: where an iteration may end with other relations between the
        loop's names than it started with, the updates in the body that relied on them give
        the other names their old values back (see analysis/rebindings.py); the relations
        hold after the loop only where every iteration keeps them. The updates in a loop
        with such relations are kept or undone together, as each relies on the others."""
        self._loop_views.pop()
        group = frame   # (not its id: a later loop's record may reuse it once this one is freed)
        for r in self.out.rebindings[frame.start:]:
            if frame.kept:
                r.together = r.together + (group,)
            if frame.broken:
                r.undone = True
        self.forget_views(carried.values())
        if not frame.broken:
            self.views.update({m: (p, how) for m, p, how in frame.kept
                               if (m, p) not in frame.dropped})


class _LoopViews:
    """The relations of a loop's names at the start of its body, and whether an exit of an
    iteration may break them."""

    def __init__(self, kept, start):
        self.kept, self.start, self.broken = kept, start, False
        self.untouched, self.dropped = set(), set()   # (m, p) pairs
