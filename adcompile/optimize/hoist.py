"""Loop fission in a forward loop: the expressions of a ``for t in range(...)`` loop's body
that read only values the loop does not change and their rows ``x[t]`` (``U @ xs[t]``),
computed for all steps before the loop (``xs[range(...)] @ U.T``); the loop walks their
rows. (The values stay those the loop computed, up to the order of floating-point sums.)"""

import ast

from .. import ir
from .batch import Env, batch, extract, is_operation, regroup
from .loops import (Occurrences, is_range_loop, may_change, range_call, reads_free,
                    transposes, walk_steps)


def hoist_inputs(forward, ndims, aliases, namer, later=()):
    """Batch, before each top-level forward ``for`` loop over ``range``, the expressions of
    its body that read only values the loop does not change and their rows ``x[t]``.
    ``later``: the code that runs after the forward sweep (the loop index is dropped from
    a loop that no longer reads it, if nothing after reads it either)."""
    out = []
    for at, s in enumerate(forward):
        if is_range_loop(s, forward):
            changed = may_change(s.body, aliases)
            index = None if s.target.id in changed else s.target.id   # (rows need t intact)
            env = Env(index, s.iter, changed | {s.target.id}, ndims, aliases["np"],
                      range_call(s.iter, forward), aliases["step_rows"])
            found, moved = [], set()
            count = Occurrences(s.body)   # (what extract changes below reads no such name)
            for i, stmt in enumerate(s.body):
                if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
                    continue
                target = stmt.targets[0]
                if isinstance(target, ast.Name) and is_operation(stmt.value) \
                        and count(target.id, stores=True) == 1 \
                        and not count(target.id, before=i):
                    r = batch(stmt.value, env)
                    if r is not None and r[0] == "step":   # the loop assigns it from the rows
                        found.append((target.id, r[2], r[1]))
                        moved.add(stmt)
                        continue
                stmt.value = extract(regroup(stmt.value, env), env, found, namer)
            s.body = [stmt for stmt in s.body if stmt not in moved] or [ast.Pass()]
            if found:
                arrays = [namer.fresh(name + "s") for name, _, _ in found]
                out += [ir.assign(a, value) for a, (_, value, _) in zip(arrays, found)]
                index = s.target.id
                targets, walks = [n for n, _, _ in found], [ir.load(a) for a in arrays]
                if reads_free(s.body + forward[at + 1:] + list(later), index):
                    targets, walks = [index] + targets, [s.iter] + walks
                s.target, s.iter = walk_steps(targets, walks, False)
            out += transposes(s.body, env.changed, ndims, namer)
        out.append(s)
    return out
