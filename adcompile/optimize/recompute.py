"""Saved values recomputed for all steps, for loop fission (part of fission.py's
``_Split``): a value the forward loop saves that is computed from other saved values
alone (``t1 = h_2 - ys[t]`` when ``h_2`` is saved) is computed for all steps from those,
and the forward loop neither computes nor saves it any more.
"""

import ast

from .. import ir
from .batch import Env, batch
from .loops import may_change


class Recomputation:
    """Part of fission's ``_Split``: the saved values recomputed rather than saved."""

    def recomputed(self):
        """Saved values that are cheaper recomputed for all steps from other saved values
        (``t1 = h_2 - ys[t]`` when ``h_2`` is saved): name -> (batched value, the forward
        statement to recompute it step by step)."""
        body = self.loop.body
        pushes = [i for i, s in enumerate(body) if isinstance(s, ast.Expr)
                  and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Attribute)
                  and isinstance(s.value.func.value, ast.Name)
                  and s.value.func.value.id in self.list_of.values()]
        if not pushes:
            return {}
        first_push = min(pushes)
        assigned_at = {}
        for i, s in enumerate(body):
            for n in may_change([s], self.aliases):
                assigned_at.setdefault(n, []).append(i)
        at = self.forward.index(self.loop)
        changed = (set(assigned_at)   # (what the loop's statements may change)
                   | may_change(self.forward[at + 1:], self.aliases)
                   | may_change(self.before, self.aliases)
                   | self.changed_in_body | {self.loop_var})
        found, found_ids = {}, set()
        more = True
        while more:    # (a value becomes worth recomputing when what read it is recomputed)
            more = False
            for i, s in enumerate(body[:first_push]):
                if not (isinstance(s, ast.Assign) and len(s.targets) == 1
                        and isinstance(s.targets[0], ast.Name)) or s.targets[0].id in found:
                    continue
                n = s.targets[0].id
                if n not in self.list_of or assigned_at.get(n) != [i] \
                        or self.count(n, stores=True) \
                        or self.read_elsewhere(n, s, found_ids):
                    continue   # (recomputing pays where the forward loop no longer computes it)
                fenv = Env(self.index, self.steps, changed, self.ndims, self.np, self.steps_call,
                           self.aliases["step_rows"])
                # saved values that have, when s runs, the value the step saves
                fenv.per_step = {m: (self.ndims[m], self.stacked[m]) for m in self.names
                                 if m != n and self.ndims.get(m) is not None
                                 and all(p < i or p > first_push for p in assigned_at.get(m, []))}
                r = batch(s.value, fenv)
                if r is not None and r[0] == "step" and r[1] == self.ndims.get(n):
                    found[n] = (r[2], s)
                    found_ids.add(s)
                    more = True
        position = {s: i for i, s in enumerate(body)}
        return dict(sorted(found.items(), key=lambda item: position[item[1][1]]))

    def drop_saves(self, remat):
        """Stop saving the values recomputed after the forward loop."""
        body = self.loop.body
        for n in remat:
            lst = self.list_of[n]
            body[:] = [s for s in body if not (
                isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)
                and isinstance(s.value.func, ast.Attribute)
                and isinstance(s.value.func.value, ast.Name) and s.value.func.value.id == lst)]
            self.forward[:] = [s for s in self.forward if not (
                isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)
                and s.targets[0].id == lst)]
        for n in remat:   # and the forward statements (nothing else reads their values)
            body.remove(remat[n][1])

    def read_elsewhere(self, name, s, found):
        """Whether code other than ``s`` and the statements of ``found`` (statements of the
        forward loop) and the saves
        of the forward loop reads ``name``. (The code is counted once per fission: the
        recomputation asks this of each saved value.)"""
        if self._readers is None:
            lists = set(self.list_of.values())
            others = [t for t in self.forward if t is not self.loop] + [
                t for t in self.loop.body if not (
                    isinstance(t, ast.Expr) and ir.names_read(t) & lists)]
            self._readers = {}
            for t in others + self.before + self.after:
                for n in ir.names_read(t):
                    self._readers.setdefault(n, set()).add(t)
            self._always = self.live | ir.names_read(self.loop.iter)
        return name in self._always \
            or any(r is not s and r not in found for r in self._readers.get(name, ()))
