"""The variables of a loop: the name each has in the loop, and which of them it carries.

A loop's variables keep one name across iterations: those read at the start of an
iteration or after the loop (liveness's ``live_header``) are carried, copied back to the
loop's names at each way out of an iteration (``ir.Carry``, control.exit_copies). A
variable with no value before the loop starts as None; one holding a list of values being
differentiated holds such a list in every iteration, or is refused. Part of
``normalize.Normalizer``; the loop itself is loops.py's.
"""

import ast
from dataclasses import dataclass

from .. import ir
from .control import same_loop
from .loop_stores import made_lists


@dataclass
class Names:
    """The generated names of a loop's variables."""

    before: dict                # user name -> generated name, before the loop
    names: dict                 # user name -> the loop's name, for each name the loop assigns
    index: str                  # the generated name of the step index
    carried: dict               # the names read at the start of an iteration or after the loop


class LoopVariables:
    """Part of ``normalize.Normalizer``: the names of a loop's variables."""

    def loop_names(self, stmt, header, carried_trees):
        """The loop's ``Names``: a new name for the index, the current one for each variable
        it carries (with the leaves of the structures it carries, ``carried_trees``); an
        index or variable with no value yet starts as None."""
        trees = {c.name for c in carried_trees}
        leaves = {v for c in carried_trees for v in c.variables}
        assigned = {n.id for s in ([stmt.target] if isinstance(stmt, ast.For) else [])
                    + stmt.body for n in ir.scope_stores(s)} - trees | leaves
        index_user, live = header.index_user, header.live
        before = dict(self.scope.env)
        renewed = self.renewed_in_loop(stmt.body, header, assigned)   # (see loop_views.py)
        assigned = sorted(assigned | renewed - trees)
        if index_user in before and index_user in self.scope.varied:
            raise self.scope.src.error(stmt.target, f"the loop variable {index_user!r} reuses "
                                                    f"the name of a value being differentiated; "
                                                    f"rename it")
        names = {}
        for v in assigned:
            # the loop index is a new variable (an int); a carried variable keeps its name
            names[v] = self.define(v) if v == index_user or v not in before else before[v]
            if v != index_user and v in before and before[v] in self.out.lists and any(
                    u != v and n == before[v] for u, n in before.items()):
                # a list another name holds too (prev = a): the loop gives v other lists,
                # which must not become a's; v's loop name is a name of its own
                names[v] = self.define(v)
                self.out.body.append(self.copy_statement(names[v], before[v], stmt))
                self.out.lists.add(names[v])
                if before[v] in self.out.holders:
                    self.out.holders[names[v]] = self.out.holders[before[v]]
        if index_user and (live is None or index_user in live):
            # after a loop that did not run, the index keeps the value it had (or is unbound
            # until then: None here)
            start = ir.load(before[index_user]) if index_user in before else ast.Constant(None)
            self.out.body.append(ir.Keep(ir.assign(names[index_user], start),
                                         [names[index_user]]))
        index = names[index_user] if index_user else self.namer.fresh("i")
        constant_before = {v for v in names if v in before
                           and before[v] not in self.out.varied_ssa}
        for v, name in names.items():
            if v in self.scope.varied and v != index_user:
                self.out.varied_ssa.add(name)
        self.scope.env.update(names)
        # a variable needs the loop's name only if it is read at the start of an iteration or
        # after the loop; others are per-iteration values
        carried = {v: n for v, n in names.items()
                   if v != index_user and (live is None or v in live or v in leaves
                                           or v in renewed)}
        self._lists_carried(stmt, carried, before, constant_before)
        return Names(before, names, index, carried)

    def _lists_carried(self, stmt, carried, before, constant_before):
        """The variables loop ``stmt`` carries (user name -> loop name) that have no value
        before it start as None; those holding a list an iteration makes are read as lists
        (``_carried_list``), or refused where they held another value being differentiated."""
        made = made_lists(stmt.body)
        for v, n in carried.items():
            if v not in before and self._outside(v):
                # (an item of a global assigned in the loop, BUF["t"] = e: a loop's name
                # for it would make the global a local variable of the generated code)
                raise self.outside_error(_first_store(stmt, v), v)
            if v not in before:
                # first assigned in the loop: unbound until then (None here), as in Python
                self.out.body.append(ir.Keep(ir.assign(n, ast.Constant(None)), [n]))
                if v in made and v in self.scope.varied:
                    # a list made in an iteration and read in the next or after the loop
                    # (refuse_lists_replaced checks that every iteration leaves a list)
                    self._carried_list(n, v)
            elif v in made and v in self.scope.varied and n not in self.out.lists:
                if v not in constant_before:
                    raise self.scope.src.error(stmt, f"{v!r} holds a value being "
                                                     f"differentiated that is not a list "
                                                     f"before this loop, and a list after an "
                                                     f"iteration; use another name for the list")
                # a constant before the loop (prev = [0.0] * n), a list of values being
                # differentiated after an iteration: read as a list (the constant's adjoint
                # list is dropped)
                self._carried_list(n, v)

    def _carried_list(self, name, v):
        """Loop name ``name`` of user variable ``v`` holds a list the loop makes."""
        self.out.lists.add(name)
        if v in self.scope.list_appends:
            self.out.holders[name] = self.scope.list_appends[v]

    def refuse_lists_replaced(self, stmt, body, names):
        """A variable holding a list of values being differentiated that the loop gives
        another value (not a list, or a list it makes) and reads in the next iteration or
        after the loop: the list's adjoint would also take what was read from the other
        value. Refused; so is the other way round, a variable the loop gives a list that
        its iterations did not read as one (the list's adjoint would miss those reads)."""
        for v, name in names.carried.items():
            for s in same_loop(body):
                if not (isinstance(s, ir.Carry) and s.target == name):
                    continue
                if name in self.out.lists and s.source not in self.out.lists:
                    raise self.scope.src.error(stmt, f"{v!r} holds a list of values being "
                                                     f"differentiated before this loop and "
                                                     f"something else after an iteration, "
                                                     f"and is read in the next iteration or "
                                                     f"after the loop; use another name for "
                                                     f"the new value")
                if s.source in self.out.lists and name not in self.out.lists:
                    raise self.scope.src.error(stmt, f"{v!r} is given a list of values being "
                                                     f"differentiated in this loop in a way "
                                                     f"adcompile does not follow, and read in "
                                                     f"the next iteration or after the loop; "
                                                     f"bind it to a list display ({v} = [...]) "
                                                     f"or to a name holding one")


def _first_store(stmt, name):
    """The first simple statement in loop ``stmt`` assigning ``name`` (else ``stmt``)."""
    stores = [s for s in ast.walk(stmt) if isinstance(s, ast.stmt) and not hasattr(s, "body")
              and hasattr(s, "lineno") and any(n.id == name for n in ir.scope_stores(s))]
    return min(stores, key=lambda s: (s.lineno, s.col_offset), default=stmt)
