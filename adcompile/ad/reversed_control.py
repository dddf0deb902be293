"""Control flow replayed backwards: part of ``reverse.Reverser``.

- ``if c:`` is reversed as ``if c:`` over the reversed branches (``c`` is kept in a
  variable; inside a loop it is saved per iteration).
- a ``for`` loop over ``range`` without ``break`` is reversed with
  ``reversed(range(...))``; ``while`` loops and loops with ``break`` count their
  iterations and are reversed that many times.
- Adjoints of variables defined outside an ``if`` or loop that receive terms inside it
  are accumulated there (``W_bar = W_bar + ...``), starting from their terms so far or
  zero. A loop's carried variable (``h`` in ``h = tanh(W @ h)``) has one adjoint
  variable that each reversed iteration replaces.
"""

import ast
from collections import defaultdict
from dataclasses import dataclass, field

from .. import ir
from . import forms, tape
from ..optimize import simplify, total
from .terms import scatter


@dataclass
class LoopState:
    """What the reverse pass knows of the loop it is reversing."""

    assigned: set         # the names the loop assigns
    carried: set          # the loop's names of the variables it carries
    acc: dict = field(default_factory=dict)     # variable defined before -> its accumulator
    pairs: dict = field(default_factory=dict)   # variable -> list of its outer products' vectors


class ReversedControl:
    """Part of ``reverse.Reverser``: ifs and loops reversed (``control``)."""

    def control(self, node, loop_vars):
        """(statements whose reads must be saved, all backward statements) of an if or loop."""
        if isinstance(node, ir.If):
            return self.reverse_if(node, loop_vars)
        return self.reverse_loop(node, loop_vars)

    def _branch(self, block, seeds, loop_vars):
        """Reverse one block with a fresh set of terms; returns its code and the terms it
        leaves for names defined before it."""
        saved = self.adj.pending
        self.adj.pending = defaultdict(list)
        for name, bar in seeds.items():
            self.adj.pending[name] = [ir.load(bar)]
        code = self.block(block, loop_vars, first=self.adj.branch_inits.get(id(block), []))
        left = {x: terms for x, terms in self.adj.pending.items() if terms}
        self.adj.pending = saved
        return code, left

    def reverse_if(self, node, loop_vars):
        pre, flushed = [], []
        # (terms flushed here were made by later code, which saved what they read)
        self.adj.flush_reading(ir.defined_names(node), flushed)
        # adjoints of names the branches assign go into both branches
        seeds = {}
        for name in sorted(ir.defined_names(node) & set(self.adj.pending)):
            bar = self.adj.materialize(name, pre)
            if bar is not None:
                seeds[name] = bar
                self.adj.pending.pop(name)
        branches = [self._branch(b, seeds, loop_vars) for b in (node.body, node.orelse)]
        # What the branches leave is summed into one variable per name; names made inside
        # the if (and so undefined on some path) pass nothing on.
        made_inside = ir.defined_names(node) - node.before
        for _, left in branches:
            for x in made_inside & set(left):
                del left[x]
        # terms both branches leave alike do not depend on the branch
        (_, left_then), (_, left_else) = branches
        for x in sorted(set(left_then) & set(left_else)):
            if x not in seeds and [ast.dump(t) for t in left_then[x]] == \
                    [ast.dump(t) for t in left_else[x]]:
                self.adj.pending[x].extend(left_then.pop(x))
                del left_else[x]
        receiving = sorted(set().union(*(set(left) for _, left in branches)))
        acc, assigned_in_branches = {}, {}
        for x in receiving:
            fresh = any(scatter(t, self.aliases, self.ndim_of)
                        for _, left in branches for t in left.get(x, []))
            if x in seeds:
                # a carried name the if reassigns on some path: each branch says what its
                # adjoint is (zero where the branch reassigned it and read nothing)
                acc[x] = self.namer.bar(x)
                self.adj.owner[acc[x]] = x
                assigned_in_branches[x] = acc[x]
                self.adj.pending[x] = [ir.load(acc[x])]
            else:
                acc[x] = self.adj.materialize(x, pre, zero=True, fresh=fresh)
        codes, own_zeros = [], []
        for code, left in branches:
            for x in receiving:
                if x in assigned_in_branches:
                    terms = left.get(x)
                    code.append(ir.assign(acc[x], simplify(total(terms)) if terms
                                          else self.adj.zeros(x)))
                    if not terms:
                        own_zeros.append(code[-1])
                elif x in left:
                    self.adj.accumulate(acc[x], left[x], code)
            codes.append(code)
        if not codes[0] and not codes[1]:
            return _zero_shapes(self.aliases, pre), flushed + pre
        test = node.test
        if not codes[0]:
            test, codes = ast.UnaryOp(op=ast.Not(), operand=test), [codes[1], []]
        statement = ast.If(test=test, body=codes[0], orelse=codes[1])
        own = _zero_shapes(self.aliases, pre + own_zeros) + [ast.Expr(test)]
        return own, flushed + pre + [statement]

    def reverse_loop(self, node, loop_vars):
        pre, flushed = [], []
        assigned = ir.defined_names(node)
        # (terms flushed here were made by later code, which saved what they read)
        self.adj.flush_reading(assigned, flushed)
        # (lists the loop passes on have adjoint lists found by identity: nothing to carry)
        carried = sorted(n for n in set(node.carried.values())
                         if n in self.active and n not in self.adj.dynamic)
        bars = {}
        for name in carried:
            bars[name] = self.adj.materialize(name, pre, zero=True)
            self.adj.pending.pop(name)
        inner_vars = (loop_vars or set()) | assigned
        if node.counter is None:   # reversed(range(...)) gives the index back
            inner_vars = inner_vars - {node.index}
        if loop_vars is None:
            self.top_loops.append(node)
        outer_loop, state = self.loop, LoopState(assigned, set(node.carried.values()))
        self.loop = state
        body, left = self._branch(node.body, bars, inner_vars)
        self.loop = outer_loop
        start = tape.Piece(("start", node), set(), False)   # (saved at each iteration's start)
        self.tape.chains[id(node.body)] = [start] + self.tape.chains.get(id(node.body), [])
        tail, post = [], []
        accumulate = self._accumulators(state, left, pre, tail, post)
        for x in sorted(x for x in left if x not in bars and x not in assigned):
            accumulate[x] = self._outside_adjoint(x, left[x], pre, tail, post)
        tail += self._carried_updates(node, carried, bars, left)
        for name in carried:
            self.adj.pending[name] = [ir.load(bars[name])]
        for x, bar in accumulate.items():
            self.adj.pending[x] = [ir.load(bar)]
        header = self._reversed_header(node, body + tail)
        self.body_end[node] = len(body)  # where the reversed body ends and the tail starts
        # (no terms: the value at the start of the iteration did not matter; its adjoint is
        # zero, shaped like that value, saved for it: the shape may change between steps)
        zero_from_value = [n for n in carried if n not in left and n in node.existing]
        if zero_from_value:
            _save_at_iteration_start(self.tape, self.reversed_loops[node], self.body_end[node],
                                     node, zero_from_value)
        if not body and not tail:
            return _zero_shapes(self.aliases, pre), flushed + pre
        own = _zero_shapes(self.aliases, pre) + [ast.Expr(header.iter)]
        return own, flushed + pre + [header] + post

    def _accumulators(self, state, left, pre, tail, post):
        """The accumulators the iterations added to (``settle_terms``): each a new array,
        from what its variable had so far, with the outer products collected added after
        the loop and what the body left added at the end of each iteration."""
        accumulate = {}
        for x, acc in sorted(state.acc.items()):
            terms = self.adj.pending.pop(x, None)
            value = self.adj.zeros(x)
            if terms:
                value = ast.BinOp(left=value, op=ast.Add(), right=simplify(total(terms)))
            pre.append(ir.assign(acc, value))
            accumulate[x] = acc
            pairs = state.pairs.get(x)
            if pairs:
                self.adj.sum_outers(acc, pairs, pre, post)
            if x in left:
                self.adj.accumulate(acc, left.pop(x), tail)
        return accumulate

    def _outside_adjoint(self, x, terms, pre, tail, post):
        """The adjoint variable of ``x``, defined before the loop and not assigned in it,
        to which each iteration adds ``terms`` (outer products collected, summed once)."""
        scattered = any(scatter(t, self.aliases, self.ndim_of) for t in terms)
        bar = self.adj.materialize(x, pre, zero=True, fresh=scattered)
        self.adj.pending.pop(x)
        made = []
        self.adj.add_in_loop(bar, terms, tail, lambda: made.append(
            self.namer.fresh(f"{x}_outers")) or made[-1])
        if made:
            self.adj.sum_outers(bar, made[-1], pre, post)
        return bar

    def _carried_updates(self, node, carried, bars, left):
        """The end of a reversed iteration: each carried adjoint becomes what the body left
        for it (zero where it left nothing), all at once (one may read another)."""
        updates = [(bars[n], simplify(total(left[n])) if n in left else
                    self.adj.zeros(n) if n in node.existing else
                    ir.call(self.aliases["zeros_like"], ir.load(bars[n]))) for n in carried]
        updates = [(bar, value) for bar, value in updates
                   if not (isinstance(value, ast.Name) and value.id == bar)]
        if len(updates) == 1:
            bar = updates[0][0]
            n = next(n for n in carried if bars[n] == bar)
            base = self.adj.scatter_base(left[n]) if n in left else None
            if base is not None:   # in place: bar = base; bar[1:] += g; ...: no arrays of zeros
                in_place = [ir.assign(bar, self.adj.start(base, left[n]))]
                self.adj.fresh.add(bar)
                self.adj.add_in_place(bar, [t for t in left[n] if t is not base], in_place)
                return [forms.offer_array(ir.assign(*updates[0]), ir.copy_tree(in_place))]
            return [ir.assign(*updates[0])]
        if updates:
            return [ast.Assign(
                targets=[ast.Tuple(elts=[ir.store(bar) for bar, _ in updates], ctx=ast.Store())],
                value=ast.Tuple(elts=[value for _, value in updates], ctx=ast.Load()))]
        return []

    def _reversed_header(self, node, body):
        """``for i in reversed(range(...))`` or, for a loop that counted its iterations,
        ``for _ in range(count)``, around ``body``."""
        if node.counter is None:
            target, iterable = ir.store(node.index), ir.call("reversed", node.iterable)
        else:
            target, iterable = ir.store("_"), ir.call("range", ir.load(node.counter))
        header = ast.For(target=target, iter=iterable, body=body or [ast.Pass()], orelse=[])
        self.reversed_loops[node] = header
        return header


def _save_at_iteration_start(tape_, reversed_loop, body_end, loop, names):
    """Save the values ``names`` have when an iteration of ``loop`` starts: the first
    statement of each iteration saves them, the last of each reversed one (whose body
    ends at ``body_end``) restores them."""
    restore = tape_.save(("start", loop), names)
    if restore is not None:
        reversed_loop.body.insert(body_end, restore)


def _zero_shapes(aliases, stmts):
    """What an if or loop reads itself (not through terms other code made and saved for):
    the variables whose shapes its zero adjoints take."""
    zeros = aliases["zeros_like"]
    return [ast.Expr(n.args[0]) for s in stmts for n in ast.walk(s)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == zeros
            and n.args and isinstance(n.args[0], ast.Name)]
