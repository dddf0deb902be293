"""What a for loop walks: ``range``, ``enumerate``, ``zip`` and ``reversed`` of lists,
arrays and lists of tuples become an integer index and one read per sequence at each
step; what the loop iterates over is evaluated once, before it, as in Python (a value
not differentiated as Python's for walks it: a dict's keys, see _walked_by_position).
Part of ``normalize.Normalizer`` (loops.py builds the loop around it).
"""

import ast
from dataclasses import dataclass

from .. import ir, runtime
from .list_facts import Struct, tuple_length
from .source import NOT_A_CALL


@dataclass
class FromEnd:
    """A list a loop iterates over backwards (``reversed(hs)``): item ``-1 - i`` at step i."""

    seq: ast.expr


@dataclass
class FromStart:
    """The items of a list from ``start`` on (``hs[1:]``, which cannot be sliced), a loop
    iterates over: item ``start + i`` at step i."""

    seq: ast.expr
    start: int


@dataclass
class Count:
    """The count ``enumerate(xs, start)`` gives at step i, ``start + i`` (``start`` an int
    known when transforming, not 0, or the name of its value): the loop walks steps 0,
    1, ... and binds the user's name to the count in each."""

    start: object


class Iteration:
    """Part of ``normalize.Normalizer``: the index and sequences of a for loop."""

    def iteration(self, stmt, body_stores):
        """(index user name or None, [(target, sequence operand)], range expression) of a for.

        What the loop iterates over is evaluated once, before it, as in Python: a bound or a
        sequence the body reassigns is bound to a name of its own first."""
        it, target = stmt.iter, stmt.target
        called = self.callee(it.func) if isinstance(it, ast.Call) else NOT_A_CALL
        if called.is_(reversed) and len(it.args) == 1 and not it.keywords \
                and isinstance(it.args[0], ast.Call) and self.callee(it.args[0].func).is_(range):
            # reversed(range(...)), as in generated gradient code: range(...)[::-1]
            return self._range_iteration(it.args[0], target, body_stores, backwards=True)
        if called.is_(reversed) and len(it.args) == 1 and not it.keywords \
                and self._reversed_list(it) is None:
            # reversed(seq) is seq[::-1] for the sequences a loop may iterate over
            it = ast.Subscript(value=it.args[0], slice=ast.Slice(step=ast.UnaryOp(
                op=ast.USub(), operand=ast.Constant(1))), ctx=ast.Load())
            called = NOT_A_CALL
        if called.is_(range):
            return self._range_iteration(it, target, body_stores, backwards=False)
        if called.is_(enumerate):
            return self._enumerate_iteration(it, target, body_stores)
        if called.is_(zip):
            if it.keywords or not (isinstance(target, ast.Tuple)
                                   and len(target.elts) == len(it.args)):
                raise self.scope.src.error(it, "only 'for a, b in zip(as, bs)' is supported")
            seqs = [self.sequence(body_stores, a) for a in it.args]
            return None, self._structs_unpacked(zip(target.elts, seqs)), self._range_of(seqs)
        seq = self.sequence(body_stores, it)
        return None, self._structs_unpacked([(target, seq)]), self._range_of([seq])

    def _range_iteration(self, it, target, body_stores, backwards):
        """``for i in range(...)`` (or ``reversed(range(...))``)."""
        if not isinstance(target, ast.Name):
            raise self.scope.src.error(target, "a range loop needs a plain variable")
        if any(self.varies(a) for a in it.args):
            raise self.scope.src.error(it, "range() bounds that depend on the differentiated "
                                           "input are not supported")
        iterable = self.rename(it)
        if backwards:
            iterable = ast.Subscript(value=iterable, slice=ast.Slice(
                step=ast.UnaryOp(op=ast.USub(), operand=ast.Constant(1))), ctx=ast.Load())
        if ir.names_read(it) & body_stores:
            iterable = ir.load(self._bind(iterable))
        return target.id, [], iterable

    def _enumerate_iteration(self, it, target, body_stores):
        """``for i, x in enumerate(xs)``, also of ``zip(xs, ys)``; with a ``start`` other
        than 0, ``i`` is not the loop's index but a name the body binds to a ``Count``."""
        start = self._enumerate_start(it)
        if not (isinstance(target, ast.Tuple) and len(target.elts) == 2
                and isinstance(target.elts[0], ast.Name)):
            raise self.scope.src.error(it, "only 'for i, x in enumerate(xs)' is supported")
        inner = it.args[0]
        inner_called = self.callee(inner.func) if isinstance(inner, ast.Call) else NOT_A_CALL
        if inner_called.is_(zip) and isinstance(target.elts[1], ast.Tuple) \
                and len(target.elts[1].elts) == len(inner.args) and not inner.keywords:
            seqs = [self.sequence(body_stores, a) for a in inner.args]  # enumerate(zip(xs, ys))
            pairs = self._structs_unpacked(zip(target.elts[1].elts, seqs))
        else:
            seqs = [self.sequence(body_stores, inner)]
            pairs = self._structs_unpacked([(target.elts[1], seqs[0])])
        if start == 0:
            return target.elts[0].id, pairs, self._range_of(seqs)
        return None, [(target.elts[0], Count(start))] + pairs, self._range_of(seqs)

    def _enumerate_start(self, it):
        """The ``start`` of ``enumerate(xs)``, ``enumerate(xs, k)`` or ``enumerate(xs,
        start=k)``: an int known when transforming, or a name bound to its value here,
        before the loop (as Python evaluates it once)."""
        given = it.args[1:] + [k.value for k in it.keywords if k.arg == "start"]
        if not it.args or len(it.args) + len(it.keywords) > 2 or len(given) + 1 != \
                len(it.args) + len(it.keywords):
            raise self.scope.src.error(it, "only 'for i, x in enumerate(xs)' and "
                                           "enumerate(xs, start) are supported")
        if not given:
            return 0
        start = self.static_value(given[0])
        if type(start) is int:
            return start
        if self.varies(given[0]):
            raise self.scope.src.error(given[0], "enumerate's start depends on a value being "
                                                 "differentiated; start at 0 and add it")
        return ir.load(self._bind(self.rename(given[0])))

    def _reversed_list(self, e):
        """``hs`` for ``reversed(hs)`` or ``hs[::-1]`` of a list of values being
        differentiated (or of tuples of them), else None."""
        if isinstance(e, ast.Call) and self.callee(e.func).is_(reversed) \
                and len(e.args) == 1 and not e.keywords:
            e = e.args[0]
        elif not (isinstance(e, ast.Subscript) and isinstance(e.slice, ast.Slice)
                  and e.slice.lower is None and e.slice.upper is None
                  and self.static_value(e.slice.step or ast.Constant(None)) == -1):
            return None
        else:
            e = e.value
        if isinstance(e, ast.Name) and (self.scope.env.get(e.id) in self.out.lists
                                        or self.struct_of(e) is not None):
            return e
        return None

    def _list_tail(self, e):
        """k for ``hs[k:]`` (k a constant >= 0) of a list of values being differentiated,
        else None."""
        if not (isinstance(e, ast.Subscript) and isinstance(e.slice, ast.Slice)
                and isinstance(e.value, ast.Name)
                and self.scope.env.get(e.value.id) in self.out.lists
                and e.slice.upper is None and e.slice.step is None):
            return None
        start = self.static_value(e.slice.lower or ast.Constant(0))
        return start if isinstance(start, int) and start >= 0 else None

    def sequence(self, body_stores, e):
        """An operand for something a for loop iterates over; a literal list or tuple of
        values being differentiated becomes a list; ``reversed(hs)`` of such a list (which
        cannot be sliced) becomes ``FromEnd(hs)``, read as hs[-1 - i] at step i."""
        ranked = self.sorted_pairs(e)   # for a, b in sorted(pairs, key=lambda p: p[0])
        if ranked is not None:
            return ranked
        backwards = self._reversed_list(e)
        if backwards is not None:
            return FromEnd(self.sequence(body_stores, backwards))
        start = self._list_tail(e)
        if start is not None:   # hs[1:]
            seq = self.sequence(body_stores, e.value)
            if isinstance(seq, ast.Name) and seq.id in self.out.lists:
                return FromStart(seq, start)
            raise self.scope.src.error(e, "slicing a list of values being differentiated "
                                          "is not supported")
        if isinstance(e, (ast.List, ast.Tuple)) and self.varies(e):
            k = tuple_length(e.elts)
            if k:   # for W, b in [(W1, b1), (W2, b2)]
                return self.out.structs[self.new_struct(None, e.elts, k, e)]
            return ir.load(self.new_list_result(e, e))
        struct = self.struct_of(e)
        if struct is not None:
            if e.id in body_stores and e.id not in body_stores.fresh:
                raise self.scope.src.error(e, f"the loop appends to {e.id!r} while iterating "
                                              f"over it")
            if e.id in body_stores:
                # a body that gives the name new lists (which its loop variables take at the
                # end of each iteration): walk the ones it holds now, under names of their own
                return Struct([self._walked_list(c, e) for c in struct.lists])
            return struct
        operand = self.operand(e)
        if isinstance(e, ast.Name) and e.id in body_stores.fresh and operand.id in self.out.lists:
            return ir.load(self._walked_list(operand.id, e))
        if isinstance(e, ast.Name) and e.id in body_stores and operand.id in self.out.lists:
            raise self.scope.src.error(e, f"the loop appends to or pops from {e.id!r} while "
                                          f"iterating over it; "
                                          f"iterate over range(n) for the n items you mean")
        if isinstance(e, ast.Name) and operand.id not in self.out.lists \
                and not self._maybe_not_walked_by_position(e, operand) \
                and body_stores.items_read \
                and body_stores.updated & self.scope.view_groups.get(e.id, {e.id}):
            # the body may change the array in place (through another name too), which the
            # steps after see: a variable of the loop's own names it (see loop_views.py)
            self._require_positions(operand, e)
            return ir.load(self.walked_array(operand.id, e))
        if isinstance(e, ast.Name) and e.id in body_stores and operand.id not in self.out.lists:
            # the body reassigns the name: iterate over the value it has now
            fresh = self.namer.temp()
            ir.spell(self.out.spellings, fresh, e.id)
            self.out.body.append(self.copy_statement(fresh, operand.id, e))
            operand = ir.load(fresh)
        return self._walked_by_position(operand, e)

    def _require_positions(self, operand, e):
        """Before a loop walking ``e`` (``operand``, a name not differentiated) by position as
        an array its body changes: ``require_positions(operand, "file:line:col: e")``, a
        TypeError when the code runs where it holds a dict or set (an argument's kind is not
        known here; dropped where the argument kinds show an array:
        pipeline.drop_array_checks)."""
        if operand.id in self.out.varied_ssa:
            return   # (an array being differentiated)
        where = f"{self.scope.src.error(e, '').where}: {self.scope.src.written(e)}"
        check = ast.Call(func=ir.load(self.runtime_name(runtime.require_positions)),
                         args=[ir.load(operand.id), ast.Constant(where)], keywords=[])
        self.out.body.append(ir.Keep(ast.Expr(check), [], pure=False))

    def _maybe_not_walked_by_position(self, e, operand):
        """Whether the value of the name ``e`` (``operand``, its generated name), which is
        not differentiated, is a dict, set or object made in the function, which Python's
        for does not walk by position (``d[key] *= 0.5`` in ``for key in d``): walked as
        ``runtime.iterated`` gives it, not as an array the updates renew (walked_array).
        (An argument of unknown kind is taken for an array there.)"""
        return operand.id not in self.out.varied_ssa \
            and self._container_made(operand.id) not in (None, "list")

    def _walked_list(self, name, node):
        """A name of its own for the list ``name`` a loop walks (the same list)."""
        walked = self.namer.temp()
        ir.spell(self.out.spellings, walked, self.scope.src.written(node))
        self.out.body.append(self.copy_statement(walked, name, node))
        self.out.lists.add(walked)
        if name in self.out.holders:
            self.out.holders[walked] = self.out.holders[name]
        return walked

    def _walked_by_position(self, operand, node):
        """``operand`` (a name; ``node``: the user's expression), which a loop reads by
        position (``s[i]`` at step i): as it is for a list of values being differentiated or
        a value being differentiated (an array), else what Python's for walks,
        ``runtime.iterated(s)`` (a dict's keys, not its values; a set's items)."""
        if not isinstance(operand, ast.Name) or operand.id in self.out.lists \
                or operand.id in self.out.varied_ssa:
            return operand
        walked = self.namer.temp()
        ir.spell(self.out.spellings, walked, self.scope.src.written(node))
        call = ast.Call(func=ir.load(self.runtime_name(runtime.iterated)), args=[operand],
                        keywords=[])
        self.out.body.append(ir.Keep(ir.assign(walked, call), [walked]))
        return ir.load(walked)

    def _structs_unpacked(self, pairs):
        """(target, sequence) pairs with each list of k-tuples iterated as its k lists, which
        the target, a k-tuple of names, unpacks."""
        out = []
        for target, seq in pairs:
            if isinstance(seq, FromEnd) and isinstance(seq.seq, Struct):
                parts = self._structs_unpacked([(target, seq.seq)])
                out += [(t, FromEnd(c)) for t, c in parts]
            elif not isinstance(seq, Struct):
                out.append((target, seq))
            elif isinstance(target, (ast.Tuple, ast.List)) \
                    and len(target.elts) == len(seq.lists):
                out += [(t, ir.load(c)) for t, c in zip(target.elts, seq.lists)]
            else:
                raise self.scope.src.error(target, f"the loop walks a list of "
                                                   f"{len(seq.lists)}-tuples: unpack them in "
                                                   f"the for statement (for a, b in ...)")
        return out

    def _range_of(self, seqs):
        """``range(len(s))`` for one sequence, ``range(min(len(a), len(b)))`` for several."""
        seqs = [ir.load(s.lists[0]) if isinstance(s, Struct) else
                FromEnd(ir.load(s.seq.lists[0])) if isinstance(s, FromEnd)
                and isinstance(s.seq, Struct) else s for s in seqs]
        lengths = [ast.Call(func=ir.load("len"), args=[s.seq if isinstance(s, FromEnd) else s],
                            keywords=[]) if not isinstance(s, FromStart) else
                   ast.BinOp(left=ast.Call(func=ir.load("len"), args=[s.seq], keywords=[]),
                             op=ast.Sub(), right=ast.Constant(s.start)) for s in seqs]
        n = lengths[0] if len(lengths) == 1 else ast.Call(func=ir.load("min"), args=lengths,
                                                          keywords=[])
        return ast.Call(func=ir.load("range"), args=[n], keywords=[])
