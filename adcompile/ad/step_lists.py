"""Per-step lists: a top-level loop that saves once per step keeps one list per saved
value, and its reversed loop walks them backwards (``for h in reversed(h_steps)``, or
``zip(reversed(...))``): the ``per_step`` save policy (save_policies.py), whose lists
loop fission batches (optimize/fission.py).
"""

import ast

from .. import ir
from .tape import Restore, Save, nodes, saved_names


def per_step(forward, backward, namer):
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
        if not (walks_back(rloop, loop)):
            continue
        names = saved_names(saves[0])
        lists = [namer.fresh(f"{n}_steps") for n in names]
        at = loop.body.index(saves[0])
        loop.body[at:at + 1] = [ast.Expr(ir.method_call(lst, "append", ir.load(n)))
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


def walks_back(rloop, loop):
    """Whether reversed loop ``rloop`` is ``for i in reversed(<loop's iterable>)``."""
    it = rloop.iter
    return isinstance(it, ast.Call) and isinstance(it.func, ast.Name) \
        and it.func.id == "reversed" and len(it.args) == 1 \
        and ast.dump(it.args[0]) == ast.dump(loop.iter) \
        and ast.dump(rloop.target) == ast.dump(loop.target)
