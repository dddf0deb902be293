"""Sums over the steps in a reversed loop, for loop fission (part of fission.py's
``_Split``): ``acc += u`` of a per-step value ``u``, and ``X_outers.append((u, v))`` with
``acc += outer_sum(X_outers)`` after the loop, collect the values of the steps in the loop
and add them once after it (``sum_steps``, ``outer_steps``).
"""

import ast

from .. import ir
from .loops import occurrences


class StepSums:
    """Part of fission's ``_Split``: the sums over the steps of its reversed loop."""

    def sum_over_steps(self, s, i, body):
        """``(accumulator, operands, outer-sum list)`` if ``s`` (statement ``i`` of ``body``,
        the reversed loop's) adds a per-step value to a
        sum over the steps: ``acc += u`` or ``X_outers.append((u, v))`` (with
        ``acc += outer_sum(X_outers)`` after the loop); else None."""
        count = self.count

        def per_step(e):
            if isinstance(e, ast.Subscript):
                return _step_value(e, self.index) \
                    and not count(e.value.id, stores=True) \
                    and e.value.id not in self.changed_in_body
            if not isinstance(e, ast.Name):
                return False
            if e.id in self.names:
                return not count(e.id, stores=True)
            stores = self.stored_at.get(e.id, [])
            return len(stores) == 1 and stores[0] < i and count(e.id, stores=True) == 1

        if isinstance(s, ast.AugAssign) and isinstance(s.op, ast.Add) \
                and count(s.target.id) == 1 and s.target.id not in self.names \
                and _step_value(s.value, self.index) and per_step(s.value):
            return s.target.id, [s.value], None
        v = s.value if isinstance(s, ast.Expr) else None
        if not (isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute)
                and v.func.attr == "append" and isinstance(v.func.value, ast.Name)
                and len(v.args) == 1 and isinstance(v.args[0], ast.Tuple)
                and len(v.args[0].elts) == 2 and all(_step_value(e, self.index) and per_step(e)
                                                     for e in v.args[0].elts)):
            return None
        pairs = v.func.value.id
        if count(pairs) != 1:
            return None
        made = [t for t in self.before if occurrences([t], pairs)]
        if len(made) != 1 or not (isinstance(made[0], ast.Assign)
                                  and isinstance(made[0].value, ast.List)
                                  and not made[0].value.elts):
            return None
        readers = [j for j, t in enumerate(self.after) if occurrences([t], pairs)]
        if len(readers) != 1:
            return None
        use = self.after[readers[0]]
        if not (isinstance(use, ast.AugAssign) and isinstance(use.op, ast.Add)
                and isinstance(use.target, ast.Name) and isinstance(use.value, ast.Call)
                and isinstance(use.value.func, ast.Name)
                and use.value.func.id == self.aliases["outer_sum"]
                and len(use.value.args) == 1 and occurrences([use.value], pairs) == 1
                and not occurrences(self.after[:readers[0]], use.target.id)):
            return None
        return use.target.id, list(v.args[0].elts), pairs

    def sums_after(self, sums, seq, lists):
        """The statements after the loop that add the sums over steps: the collected
        ``lists`` in the order of the steps where an outer product pairs them with values
        of the steps; stacked once if used more than once."""
        post = []
        in_order = sorted({seq[ast.dump(e)].id for _, _, operands, pairs in sums if pairs
                           for e in operands if isinstance(seq[ast.dump(e)], ast.Name)
                           and seq[ast.dump(e)].id in lists})
        post += [ast.Expr(ir.method_call(lst, "reverse")) for lst in in_order]
        counts = {}
        for _, _, operands, _ in sums:
            for e in operands:
                value = seq[ast.dump(e)]
                if isinstance(value, ast.Name) and value.id in lists:
                    counts[value.id] = counts.get(value.id, 0) + 1
        arrays = self.arrays    # (one name in both versions of the loop)
        for lst in sorted(n for n, c in counts.items() if c > 1):
            if lst not in arrays:
                arrays[lst] = self.namer.fresh(lst[:-len("_steps")] + "s"
                                               if lst.endswith("_steps") else lst + "_array")
            post.append(ir.assign(arrays[lst], ir.call(self.aliases["stacked"], ir.load(lst))))
        for _, acc, operands, pairs in sums:
            args = []
            for e in operands:
                value = ir.copy_tree(seq[ast.dump(e)])
                if isinstance(value, ast.Name) and value.id in arrays:
                    value = ir.load(arrays[value.id])
                args.append(value)
            helper = self.aliases["outer_steps" if pairs else "sum_steps"]
            post.append(ast.AugAssign(target=ir.store(acc), op=ast.Add(),
                                      value=ir.call(helper, *args)))
        return post

    def without_outer_sums(self, sums):
        """The code before and after the loop without the outer-sum lists of ``sums``
        (made empty before, summed after: the sums after the loop take their place)."""
        outer_lists = {s[3] for s in sums if s[3]}
        before = [s for s in self.before if not (
            isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)
            and s.targets[0].id in outer_lists)]
        after = [s for s in self.after if not (
            isinstance(s, ast.AugAssign) and isinstance(s.value, ast.Call)
            and len(s.value.args) == 1 and isinstance(s.value.args[0], ast.Name)
            and s.value.args[0].id in outer_lists)]
        return before, after


def _step_value(e, index):
    """A per-step operand of a sum over steps: a name or a row ``x[t]``."""
    return isinstance(e, ast.Name) or isinstance(e, ast.Subscript) \
        and isinstance(e.value, ast.Name) and isinstance(e.slice, ast.Name) \
        and e.slice.id == index
