"""Normalizing loops: a for or while loop as an ``ir.Loop``, with its header (what it
walks, evaluated before it) and the statements of one iteration (the items read at the
step, the body, the copies to the loop's names where an iteration falls through).

The names of the loop's variables, and which it carries, are loop_variables.py's; what
the body assigns, loop_stores.py's; what a for loop walks, iteration.py's. Part of
``normalize.Normalizer``.
"""

import ast
from dataclasses import dataclass

from .. import ir
from .control import append_where_falling_through, same_loop
from .dependence import rebound_in, updated_in_place
from .iteration import Count, FromEnd, FromStart
from .loop_stores import BodyStores


@dataclass
class Header:
    """What a loop iterates over, evaluated before it."""

    index_user: str = None      # the user's integer loop variable (range, enumerate), or None
    sequences: list = None      # (user target, sequence operand) pairs read at each step
    iterable: ast.expr = None   # the range the generated for loop walks (None: a while loop)
    live: set = None            # user names live where an iteration starts or the loop ends


class Loops:
    """Part of ``normalize.Normalizer``: for and while loops."""

    def loop(self, stmt):
        """Normalize a for or while loop into an ``ir.Loop``."""
        header = self._header(stmt)
        carried_trees = self.carry_structures(stmt, header)
        names = self.loop_names(stmt, header, carried_trees)
        if header.index_user is not None and header.index_user not in ir.assigns(stmt.body):
            self.out.ints.add(names.index)   # (range's ints, enumerate's count)
        test = self.rename(stmt.test) if isinstance(stmt, ast.While) else None
        # (a constant the body assigns is not known at the start of an iteration)
        for v in names.names:
            self.scope.constants.pop(v, None)
        structures = self.structures()
        body = self._body(stmt, header, names, carried_trees)
        self.scope.trees.update({c.name: c.node for c in carried_trees})
        self.refuse_lists_replaced(stmt, body, names)
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

    def _body(self, stmt, header, names, carried_trees):
        """The IR statements of one iteration: the items read at the step, the body, and
        the copies to the loop's names where an iteration falls through."""
        saved_body, saved_terminated = self.out.body, self.scope.terminated
        self.out.enclosing.append(saved_body)
        self.out.body, self.scope.terminated = [], False
        self.scope.loops.append(names.carried)
        views = self.enter_loop_views(names.carried, names.names,   # (see loop_views.py)
                                      updated_in_place(stmt.body),
                                      rebound_in(stmt.body, self.callee))
        self.scope.loop_trees.append(carried_trees)
        self.out.loop_depth += 1
        for target, seq in header.sequences:
            at = ir.load(names.index)
            if isinstance(seq, Count):   # enumerate(xs, start): the user's count
                start = seq.start if isinstance(seq.start, ast.expr) else ast.Constant(seq.start)
                self.assign_operand(target, ir.load(self._bind(ast.BinOp(
                    left=start, op=ast.Add(), right=at))), stmt)
                continue
            if isinstance(seq, (FromEnd, FromStart)):
                first, op = (-1, ast.Sub()) if isinstance(seq, FromEnd) else (seq.start, ast.Add())
                seq, at = seq.seq, ir.load(self._bind(ast.BinOp(
                    left=ast.Constant(first), op=op, right=ir.load(names.index))))
            self.assign_operand(target, self.emit_index(None, seq, at, stmt), stmt)
        self.statements(stmt.body)
        if not self.scope.terminated:
            mark = len(self.out.body)
            self.exit_copies(names.carried)
            copies = self.out.body[mark:]
            del self.out.body[mark:]
            append_where_falling_through(self.out.body, copies)
        body = self.out.body
        self.out.loop_depth -= 1
        self.scope.loops.pop()
        self.leave_loop_views(views, names.carried)
        self.scope.loop_trees.pop()
        self.out.body, self.scope.terminated = saved_body, saved_terminated
        self.out.enclosing.pop()
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
