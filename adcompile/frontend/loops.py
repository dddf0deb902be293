"""Normalizing loops: for and while, and their variables.

A loop's variables keep one name across iterations: those read at the start
of an iteration or after the loop (liveness's ``live_header``) are copied
back to the loop's names at each way out of an iteration (``ir.Carry``).
What a for loop walks is iteration.py's; what its body assigns, loop_stores.py's. Part
of ``normalize.Normalizer``.
"""

import ast
from dataclasses import dataclass

from .. import ir
from .control import append_where_falling_through, same_loop
from .dependence import rebound_in, updated_in_place
from .iteration import FromEnd, FromStart
from .loop_stores import BodyStores, made_lists
from .syntax import stores


@dataclass
class Header:
    """What a loop iterates over, evaluated before it."""

    index_user: str = None      # the user's integer loop variable (range, enumerate), or None
    sequences: list = None      # (user target, sequence operand) pairs read at each step
    iterable: ast.expr = None   # the range the generated for loop walks (None: a while loop)
    live: set = None            # user names live where an iteration starts or the loop ends


@dataclass
class Names:
    """The generated names of a loop's variables."""

    before: dict                # user name -> generated name, before the loop
    names: dict                 # user name -> the loop's name, for each name the loop assigns
    index: str                  # the generated name of the step index
    carried: dict               # the names read at the start of an iteration or after the loop


class Loops:
    """Part of ``normalize.Normalizer``: for and while loops."""

    def loop(self, stmt):
        """Normalize a for or while loop into an ``ir.Loop``."""
        header = self._header(stmt)
        carried_trees = self.carry_structures(stmt, header)
        names = self._names(stmt, header, carried_trees)
        test = self.rename(stmt.test) if isinstance(stmt, ast.While) else None
        # (a constant the body assigns is not known at the start of an iteration)
        for v in names.names:
            self.scope.constants.pop(v, None)
        structures = self.structures()
        body = self._body(stmt, header, names, carried_trees)
        self.scope.trees.update({c.name: c.node for c in carried_trees})
        self._refuse_lists_replaced(stmt, body, names)
        # what names a structure at the start of an iteration must be what it names at the
        # start of the next, and after the loop
        self.merge_structures(stmt, structures, [structures, self.structures()],
                              live=header.live, loop=True)
        self.scope.env = dict(names.before)
        self.scope.env.update(names.names)
        for v in names.names:
            if v not in names.carried and v != header.index_user or v in self.scope.walked:
                self.scope.env.pop(v, None)  # dead after the loop
        breaks = any(isinstance(s, ir.Jump) and s.kind == "break" for s in same_loop(body))
        counter = self.namer.temp("n") if isinstance(stmt, ast.While) or breaks else None
        # a name no exit of an iteration assigns (a structure's leaf the body leaves as it
        # is) is not carried: it is the same value in every iteration
        assigned = {s.target for s in ir.walk(body) if isinstance(s, ir.Carry)}
        carried = {v: n for v, n in names.carried.items()
                   if n in assigned or v not in names.before}
        for v, n in names.carried.items():   # lists of pairs: the lists of each position
            for j, part in enumerate(getattr(self.out.structs.get(n), "lists", ())):
                if part in assigned:
                    carried[f"{v}[i][{j}]"] = part
        loop = ir.Loop("for" if isinstance(stmt, ast.For) else "while", body, stmt,
                       index=names.index, iterable=header.iterable, test=test, counter=counter,
                       carried=carried)
        # the loop's names that surely have a value before it starts
        loop.existing = {n for v, n in carried.items()
                         if v in names.before and n not in self.out.maybe_undefined}
        self.out.maybe_undefined |= {n for v, n in names.names.items() if v not in names.before}
        self.out.body.append(loop)

    def _refuse_lists_replaced(self, stmt, body, names):
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

    def _header(self, stmt):
        """The loop's ``Header``; for a for loop, what it walks is evaluated here."""
        header = Header(sequences=[], live=getattr(stmt, "live_header", None))
        if isinstance(stmt, ast.For):
            # names the body assigns, and lists it appends to or pops from: iterating over
            # them, or a bound computed from them, must use their value from before the loop
            body_stores = BodyStores.of(stmt.body, stmt.target)
            header.index_user, header.sequences, header.iterable = \
                self.iteration(stmt, body_stores)
            if not isinstance(header.iterable, ast.Name) and any(
                    isinstance(n, ast.Name) and n.id == "len" for n in ast.walk(header.iterable)):
                # a list may grow after the loop: the reversed loop must see today's length
                header.iterable = ir.load(self._bind(header.iterable))
        return header

    def _names(self, stmt, header, carried_trees):
        """The loop's ``Names``: a new name for the index, the current one for each variable
        it carries (with the leaves of the structures it carries, ``carried_trees``); an
        index or variable with no value yet starts as None."""
        trees = {c.name for c in carried_trees}
        leaves = {v for c in carried_trees for v in c.variables}
        assigned = {n.id for s in ([stmt.target] if isinstance(stmt, ast.For) else [])
                    + stmt.body for n in stores(s)} - trees | leaves
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
            if v not in before:
                # first assigned in the loop: unbound until then (None here), as in Python
                self.out.body.append(ir.Keep(ir.assign(n, ast.Constant(None)), [n]))
                if v in made and v in self.scope.varied:
                    # a list made in an iteration and read in the next or after the loop
                    # (_refuse_lists_replaced checks that every iteration leaves a list)
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

    def _body(self, stmt, header, names, carried_trees):
        """The IR statements of one iteration: the items read at the step, the body, and
        the copies to the loop's names where an iteration falls through."""
        saved_body, saved_terminated = self.out.body, self.scope.terminated
        self.out.body, self.scope.terminated = [], False
        self.scope.loops.append(names.carried)
        views = self.enter_loop_views(names.carried, names.names,   # (see loop_views.py)
                                      updated_in_place(stmt.body),
                                      rebound_in(stmt.body, self._viewed_name))
        self.scope.loop_trees.append(carried_trees)
        self.loop_depth += 1
        for target, seq in header.sequences:
            at = ir.load(names.index)
            if isinstance(seq, (FromEnd, FromStart)):
                first, op = (-1, ast.Sub()) if isinstance(seq, FromEnd) else (seq.start, ast.Add())
                seq, at = seq.seq, ir.load(self.namer.temp())
                self.out.body.append(ir.Keep(ir.assign(at.id, ast.BinOp(
                    left=ast.Constant(first), op=op, right=ir.load(names.index))), [at.id]))
            self.assign_operand(target, self.emit_index(None, seq, at, stmt), stmt)
        self.statements(stmt.body)
        if not self.scope.terminated:
            mark = len(self.out.body)
            self.exit_copies(names.carried)
            copies = self.out.body[mark:]
            del self.out.body[mark:]
            append_where_falling_through(self.out.body, copies)
        body = self.out.body
        self.loop_depth -= 1
        self.scope.loops.pop()
        self.leave_loop_views(views, names.carried)
        self.scope.loop_trees.pop()
        self.out.body, self.scope.terminated = saved_body, saved_terminated
        return body

    def assign_operand(self, target, operand, stmt):
        """Bind user target (a name, or a tuple of names) to an operand in generated names."""
        if isinstance(target, ast.Name):
            if isinstance(operand, ast.Name) and operand.id in self.out.lists:
                # a row of a list of lists: the same list under the user's name
                self.scope.env[target.id] = operand.id
                self.scope.defined.add(target.id)
                return None
            if self.is_varied_operand(operand):
                return self.emit_copy(self.define(target.id), operand, stmt)
            return self._keep_renamed(target.id, operand)
        if not isinstance(target, ast.Tuple) or not all(isinstance(t, ast.Name)
                                                          for t in target.elts):
            raise self.scope.src.error(target, "nested unpacking in a for loop is not "
                                               "supported")
        parts = [self.emit_index(None, operand, ast.Constant(i), stmt)
                 for i in range(len(target.elts))]
        for t, part in zip(target.elts, parts):
            self.assign_operand(t, part, stmt)
