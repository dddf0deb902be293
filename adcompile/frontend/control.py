"""Normalizing control flow: if/elif/else, for and while loops, break and continue.

Each branch and each loop iteration gets names of its own (SSA); after an ``if`` a variable
read later has one name, whichever branch ran; a loop's variables read at the start of an
iteration or after it are copied back to the loop's names at each way out of an iteration.
Part of ``normalize.Normalizer``.
"""

import ast
import copy

from .. import ir
from .lists import Struct, tuple_length
from .syntax import has_call, is_append, is_pop, stores


class ControlFlow:

    def condition(self, test):
        """The test of an ``if`` as a name (bound once, so the reverse sweep can reuse it)."""
        original, test = test, self.rename(test)
        if isinstance(test, (ast.Name, ast.Constant)):
            return test
        name = self.namer.temp("c")
        self.body.append(ir.Keep(ir.assign(name, test), [name], pure=not has_call(test),
                                 origin=(self.src, original)))
        return ir.load(name)

    def branch(self, stmt):
        test = self.condition(stmt.test)
        before = dict(self.env)
        then, then_jumps = self.block(stmt.body)
        env_then, self.env = self.env, dict(before)
        orelse, else_jumps = self.block(stmt.orelse)
        env_else = self.env
        paths = [(b, e) for b, e, jumps in ((then, env_then, then_jumps),
                                            (orelse, env_else, else_jumps)) if not jumps]
        self.env = dict(before)
        if isinstance(test, ast.Name) and test.id in set().union(
                *(ir.defined_names(s) for s in then + orelse)):
            # a branch assigns the tested name (a loop in it carries it, as the ``returned``
            # flag of an early return): the reverse sweep needs the value tested, kept apart
            name = self.namer.temp("c")
            self.body.append(ir.Keep(ir.assign(name, test), [name]))
            test = ir.load(name)
        if not paths:
            self.terminated = True
        live = getattr(stmt, "live_out", None)
        existing = set(before.values())   # names with values before the if (a loop may assign
        #                                   them again in a branch: still not the branch's own)
        for v in sorted(set().union(*(set(e) for _, e in paths))):
            versions = [e.get(v) for _, e in paths]
            if all(x == versions[0] for x in versions):
                self.env[v] = versions[0]
                continue
            if live is not None and v not in live:
                # not read before it is assigned again: no name after the if is needed
                self.env.pop(v, None)
                continue
            if any(x in self.structs for x in versions):
                raise self.src.error(stmt, f"{v!r}, a list of tuples of values being "
                                           f"differentiated, is made differently on the paths "
                                           f"of this if; make it before the if")
            # one name for the variable after the if: a version made in a branch, or a new
            # one when no branch made one (each took a list made before: ls = la / ls = lb)
            made = [x is not None and x not in existing and x in set().union(set(), *(
                ir.defined_names(s) for s in block)) for (block, _), x in zip(paths, versions)]
            merged = next((x for x, m in zip(versions, made) if m), None) \
                or self.namer.version(v)
            for (block, _), x, m in zip(paths, versions, made):
                if x is None:
                    # unbound on this path in Python: None here, so later copies can read it
                    _append_where_falling_through(
                        block, [ir.Keep(ir.assign(merged, ast.Constant(None)), [merged])])
                    continue
                if x == merged:
                    continue
                if m:
                    ir.rename(block, x, merged)
                else:
                    _append_where_falling_through(block, [self.copy_statement(merged, x, stmt)])
            for group in (self.varied_ssa, self.lists):
                if any(x in group for x in versions):
                    group.add(merged)
            if any(x is None or x in self.maybe_undefined for x in versions):
                self.maybe_undefined.add(merged)
            self.env[v] = merged
        self.body.append(ir.If(test, then, orelse, stmt, set(before.values())))

    def copy_statement(self, target, source, node):
        if source in self.varied_ssa:
            self.varied_ssa.add(target)
            return ir.Op(target, ir.load(source), self.registry.special["copy"], [ir.load(source)],
                         {}, node)
        return ir.Keep(ir.assign(target, ir.load(source)), [target])

    def loop(self, stmt):
        assigned = sorted({n.id for s in ([stmt.target] if isinstance(stmt, ast.For) else [])
                           + stmt.body for n in stores(s)})
        live = getattr(stmt, "live_header", None)
        index_user, sequences, iterable = None, [], None
        if isinstance(stmt, ast.For):
            # names the body assigns, and lists it appends to or pops from: iterating over
            # them, or a bound computed from them, must use their value from before the loop
            body_stores = {n.id for b in stmt.body for n in stores(b)} | {
                n.value.func.value.id for b in stmt.body for n in ast.walk(b) if is_append(n)} | {
                n.func.value.id for b in stmt.body for n in ast.walk(b) if is_pop(n)}
            index_user, sequences, iterable = self.iteration(stmt, body_stores)
            if not isinstance(iterable, ast.Name) and any(
                    isinstance(n, ast.Name) and n.id == "len" for n in ast.walk(iterable)):
                # a list may grow after the loop: the reversed loop must see today's length
                iterable = ir.load(self._bind(iterable))
        before = dict(self.env)
        if index_user in before and index_user in self.varied:
            raise self.src.error(stmt.target, f"the loop variable {index_user!r} reuses the "
                                              f"name of a value being differentiated; rename it")
        names = {}
        for v in assigned:
            # the loop index is a new variable (an int); a carried variable keeps its name
            names[v] = self.define(v) if v == index_user or v not in before else before[v]
        if index_user in before and (live is None or index_user in live):
            # after a loop that did not run, the index keeps the value it had
            self.body.append(ir.Keep(ir.assign(names[index_user], ir.load(before[index_user])),
                                     [names[index_user]]))
        elif index_user and (live is None or index_user in live):
            # read after the loop, which may not run: unbound until then (None here)
            self.body.append(ir.Keep(ir.assign(names[index_user], ast.Constant(None)),
                                     [names[index_user]]))
        index = names[index_user] if index_user else self.namer.fresh("i")
        for v, name in names.items():
            if v in self.varied and v != index_user:
                self.varied_ssa.add(name)
        self.env.update(names)
        # a variable needs the loop's name only if it is read at the start of an iteration or
        # after the loop; others are per-iteration values
        carried = {v: n for v, n in names.items()
                   if v != index_user and (live is None or v in live)}
        for v, n in carried.items():
            if v not in before:
                # first assigned in the loop: unbound until then (None here), as in Python
                self.body.append(ir.Keep(ir.assign(n, ast.Constant(None)), [n]))
        test = self.rename(stmt.test) if isinstance(stmt, ast.While) else None
        saved_body, saved_terminated = self.body, self.terminated
        self.body, self.terminated = [], False
        self.loops.append(carried)
        self.loop_depth += 1
        for target, seq in sequences:
            at = ir.load(index)
            if isinstance(seq, _FromEnd):
                seq, at = seq.seq, ir.load(self.namer.temp())
                self.body.append(ir.Keep(ir.assign(at.id, ast.BinOp(
                    left=ast.Constant(-1), op=ast.Sub(), right=ir.load(index))), [at.id]))
            self.assign_operand(target, self.emit_index(None, seq, at, stmt), stmt)
        self.statements(stmt.body)
        if not self.terminated:
            mark = len(self.body)
            self.exit_copies(carried)
            copies = self.body[mark:]
            del self.body[mark:]
            _append_where_falling_through(self.body, copies)
        body = self.body
        self.loop_depth -= 1
        self.loops.pop()
        self.body, self.terminated = saved_body, saved_terminated
        self.env = dict(before)
        self.env.update(names)
        for v in names:
            if v not in carried and v != index_user:
                self.env.pop(v, None)  # dead after the loop
        breaks = any(isinstance(s, ir.Jump) and s.kind == "break" for s in _same_loop(body))
        counter = self.namer.temp("n") if isinstance(stmt, ast.While) or breaks else None
        loop = ir.Loop("for" if isinstance(stmt, ast.For) else "while", body, stmt,
                       index=index, iterable=iterable, test=test, counter=counter,
                       carried=carried)
        # the loop's names that surely have a value before it starts
        loop.existing = {n for v, n in carried.items()
                         if v in before and n not in self.maybe_undefined}
        self.maybe_undefined |= {n for v, n in names.items() if v not in before}
        self.body.append(loop)

    def iteration(self, stmt, body_stores):
        """(index user name or None, [(target, sequence operand)], range expression) of a for.

        What the loop iterates over is evaluated once, before it, as in Python: a bound or a
        sequence the body reassigns is bound to a name of its own first."""
        it, target = stmt.iter, stmt.target
        kind, what = self.callee(it.func) if isinstance(it, ast.Call) else (None, None)
        backwards = False
        if kind == "object" and what is reversed and len(it.args) == 1 and not it.keywords \
                and isinstance(it.args[0], ast.Call) \
                and self.callee(it.args[0].func) == ("object", range):
            # reversed(range(...)), as in generated gradient code: range(...)[::-1]
            it, backwards = it.args[0], True
            kind, what = "object", range
        elif kind == "object" and what is reversed and len(it.args) == 1 and not it.keywords \
                and self._reversed_list(it) is None:
            # reversed(seq) is seq[::-1] for the sequences a loop may iterate over
            it = ast.Subscript(value=it.args[0], slice=ast.Slice(step=ast.UnaryOp(
                op=ast.USub(), operand=ast.Constant(1))), ctx=ast.Load())
            kind = what = None
        if kind == "object" and what is range:
            if not isinstance(target, ast.Name):
                raise self.src.error(target, "a range loop needs a plain variable")
            if any(self.varies(a) for a in it.args):
                raise self.src.error(it, "range() bounds that depend on the differentiated "
                                         "input are not supported")
            iterable = self.rename(it)
            if backwards:
                iterable = ast.Subscript(value=iterable, slice=ast.Slice(
                    step=ast.UnaryOp(op=ast.USub(), operand=ast.Constant(1))), ctx=ast.Load())
            if ir.names_read(it) & body_stores:
                iterable = ir.load(self._bind(iterable))
            return target.id, [], iterable
        if kind == "object" and what is enumerate:
            if len(it.args) != 1 or it.keywords or not (
                    isinstance(target, ast.Tuple) and len(target.elts) == 2
                    and isinstance(target.elts[0], ast.Name)):
                raise self.src.error(it, "only 'for i, x in enumerate(xs)' is supported")
            inner = it.args[0]
            inner_kind = self.callee(inner.func) if isinstance(inner, ast.Call) else (None, None)
            if inner_kind == ("object", zip) and isinstance(target.elts[1], ast.Tuple) \
                    and len(target.elts[1].elts) == len(inner.args) and not inner.keywords:
                seqs = [self.sequence(body_stores, a) for a in inner.args]  # enumerate(zip(xs, ys))
                return target.elts[0].id, self._structs_unpacked(
                    zip(target.elts[1].elts, seqs)), self._range_of(seqs)
            seq = self.sequence(body_stores, inner)
            return target.elts[0].id, self._structs_unpacked([(target.elts[1], seq)]), \
                self._range_of([seq])
        if kind == "object" and what is zip:
            if it.keywords or not (isinstance(target, ast.Tuple)
                                   and len(target.elts) == len(it.args)):
                raise self.src.error(it, "only 'for a, b in zip(as, bs)' is supported")
            seqs = [self.sequence(body_stores, a) for a in it.args]
            return None, self._structs_unpacked(zip(target.elts, seqs)), self._range_of(seqs)
        seq = self.sequence(body_stores, it)
        return None, self._structs_unpacked([(target, seq)]), self._range_of([seq])

    def _reversed_list(self, e):
        """``hs`` for ``reversed(hs)`` of a list of values being differentiated, else None."""
        if isinstance(e, ast.Call) and self.callee(e.func) == ("object", reversed) \
                and len(e.args) == 1 and not e.keywords and isinstance(e.args[0], ast.Name) \
                and self.env.get(e.args[0].id) in self.lists:
            return e.args[0]
        return None

    def sequence(self, body_stores, e):
        """An operand for something a for loop iterates over; a literal list or tuple of
        values being differentiated becomes a list; ``reversed(hs)`` of such a list (which
        cannot be sliced) becomes ``_FromEnd(hs)``, read as hs[-1 - i] at step i."""
        backwards = self._reversed_list(e)
        if backwards is not None:
            return _FromEnd(self.sequence(body_stores, backwards))
        if isinstance(e, (ast.List, ast.Tuple)) and self.is_active(e):
            if self.loop_depth:
                raise self.src.error(e, "a literal list of values being differentiated cannot "
                                        "be iterated over inside another loop; bind it to a "
                                        "variable before the loop")
            k = tuple_length(e.elts)
            if k:   # for W, b in [(W1, b1), (W2, b2)]
                return self.structs[self.new_struct(None, e.elts, k, e)]
            return ir.load(self.new_list_result(e, e))
        struct = self.struct_of(e)
        if struct is not None:
            if e.id in body_stores:
                raise self.src.error(e, f"the loop appends to {e.id!r} while iterating over it")
            return struct
        operand = self.operand(e)
        if isinstance(e, ast.Name) and e.id in body_stores and operand.id in self.lists:
            raise self.src.error(e, f"the loop appends to or pops from {e.id!r} while "
                                    f"iterating over it; "
                                    f"iterate over range(n) for the n items you mean")
        if isinstance(e, ast.Name) and e.id in body_stores and operand.id not in self.lists:
            # the body reassigns the name: iterate over the value it has now
            fresh = self.namer.temp()
            self.body.append(self.copy_statement(fresh, operand.id, e))
            operand = ir.load(fresh)
        return operand

    def _structs_unpacked(self, pairs):
        """(target, sequence) pairs with each list of k-tuples iterated as its k lists, which
        the target, a k-tuple of names, unpacks."""
        out = []
        for target, seq in pairs:
            if not isinstance(seq, Struct):
                out.append((target, seq))
            elif isinstance(target, (ast.Tuple, ast.List)) \
                    and len(target.elts) == len(seq.lists):
                out += [(t, ir.load(c)) for t, c in zip(target.elts, seq.lists)]
            else:
                raise self.src.error(target, f"the loop walks a list of {len(seq.lists)}-tuples: "
                                             f"unpack them in the for statement "
                                             f"(for a, b in ...)")
        return out

    def _range_of(self, seqs):
        seqs = [ir.load(s.lists[0]) if isinstance(s, Struct) else s for s in seqs]
        lengths = [ast.Call(func=ir.load("len"), args=[s.seq if isinstance(s, _FromEnd) else s],
                            keywords=[]) for s in seqs]
        n = lengths[0] if len(lengths) == 1 else ast.Call(func=ir.load("min"), args=lengths,
                                                          keywords=[])
        return ast.Call(func=ir.load("range"), args=[n], keywords=[])

    def assign_operand(self, target, operand, stmt):
        """Bind user target (a name, or a tuple of names) to an operand in generated names."""
        if isinstance(target, ast.Name):
            if self.is_active_operand(operand):
                return self.emit_copy(self.define(target.id), operand, stmt)
            return self._keep_renamed(target.id, operand)
        if not isinstance(target, ast.Tuple) or not all(isinstance(t, ast.Name)
                                                          for t in target.elts):
            raise self.src.error(target, "nested unpacking in a for loop is not supported")
        parts = [self.emit_index(None, operand, ast.Constant(i), stmt)
                 for i in range(len(target.elts))]
        for t, part in zip(target.elts, parts):
            self.assign_operand(t, part, stmt)

    def jump(self, stmt):
        if not self.loops:
            raise self.src.error(stmt, "break or continue outside a loop")
        self.exit_copies(self.loops[-1])
        self.body.append(ir.Jump("break" if isinstance(stmt, ast.Break) else "continue", stmt))
        self.terminated = True

    def exit_copies(self, carried):
        """At an exit of a loop iteration, the loop's names take the latest versions."""
        for v, name in carried.items():
            current = self.env.get(v)
            if current is not None and current != name:
                self.body.append(ir.Carry(name, current))


class _FromEnd:
    """A list a loop iterates over backwards (``reversed(hs)``): item ``-1 - i`` at step i."""

    def __init__(self, seq):
        self.seq = seq


def _append_where_falling_through(block, stmts):
    """Append ``stmts`` at the end of every path through ``block`` that does not jump.

    After an ``if`` one of whose branches jumps, the code that follows belongs to the
    other branch only (the reverse sweep relies on it)."""
    if not stmts:
        return
    last = block[-1] if block else None
    if isinstance(last, ir.If) and any(isinstance(s, ir.Jump) for s in _same_loop([last])):
        for branch in (last.body, last.orelse):
            if not ir.always_jumps(branch):
                _append_where_falling_through(branch, [copy.copy(s) for s in stmts])
        return
    block.extend(stmts)


def _same_loop(stmts):
    """IR statements of a loop body, not descending into nested loops."""
    for s in stmts:
        yield s
        if isinstance(s, ir.If):
            yield from _same_loop(s.body)
            yield from _same_loop(s.orelse)
