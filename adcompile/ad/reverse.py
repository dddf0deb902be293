"""Reverse mode: the forward sweep followed by the reversed sweep of bar statements.

Straight-line code: each variable's adjoint is defined once, where the
reversed sweep reaches the statement that assigned the variable. By then
every use of the variable has contributed its term, so ``v_bar`` is written
as the sum of those terms: no zero initialisation, no accumulation in place.
A term that is just another adjoint is not copied; the name is reused.

Control flow is replayed backwards:

- ``if c:`` is reversed as ``if c:`` over the reversed branches (``c`` is
  kept in a variable; inside a loop it is saved per iteration).
- a ``for`` loop over ``range`` without ``break`` is reversed with
  ``reversed(range(...))``; ``while`` loops and loops with ``break`` count
  their iterations and are reversed that many times.
- Inside loops, each piece of code (a run of simple statements, a nested
  ``if`` or loop) saves, on every way out of it, exactly the values its
  backward statements read that later iterations overwrite, pushing them on
  one stack; its reversed code pops them first. Nothing else is saved.
- Adjoints of variables defined outside an ``if`` or loop that receive terms
  inside it are accumulated there (``W_bar = W_bar + ...``), starting from
  their terms so far or zero. A loop's carried variable (``h`` in
  ``h = tanh(W @ h)``) has one adjoint variable that each reversed
  iteration replaces.
"""

import ast
from collections import defaultdict
from dataclasses import dataclass, field

from .. import ir
from ..ir import trees
from . import forms, tape
from .adjoints import Adjoints
from ..analysis.activity import activity
from ..analysis.complex_values import may_make_complex
from ..analysis.ndims import infer_ndims
from ..analysis.shapes import infer_full, infer_shapes
from ..errors import TransformError
from ..optimize import simplify, total
from .sweeps import Sweeps
from .terms import adjoint_root, is_unbroadcast, may_alias, scatter
from .templates import instantiate


@dataclass
class LoopState:
    """What the reverse pass knows of the loop it is reversing."""

    assigned: set         # the names the loop assigns
    carried: set          # the loop's names of the variables it carries
    acc: dict = field(default_factory=dict)     # variable defined before -> its accumulator
    pairs: dict = field(default_factory=dict)   # variable -> list of its outer products' vectors


@dataclass
class Context:
    """What the reverse pass and the passes after it know besides the code (the reverse
    pass writes the same code for every form; the form's options, from ``return_value``
    on, are for the passes after it: pipeline.reverse_pass records them)."""

    namer: object         # naming.Namer of the function
    aliases: dict         # runtime helper -> its name in the generated code
    ndim_of: object       # expression -> its ndim, None when unknown
    full_of: object       # expression -> True when it has no axis of length 1
    return_value: bool = False      # the generated function returns the value too
    save_policy: str = "per_step"   # how lower_tape keeps values (see tape.py)
    checkpoint: object = None   # steps between checkpoints of loops (ad.checkpoint), or None
    shape_of: object = None     # expression -> its symbolic shape (infer_shapes), or None
    narrow: frozenset = frozenset()   # parameters given arrays of floats below float64


def reverse(fn, param_ndims, aliases, param_full=None, narrow=frozenset()):
    """The backward sweep of ``fn`` and its tape (sweeps.Sweeps; the forward sweep is made
    by a later pass), the same for every reverse form. ``param_ndims``: known ndim of
    parameters (None = unknown); ``aliases``: runtime helper name -> name in the generated
    code; ``param_full``: parameter -> True where the argument has no axis of length 1;
    ``narrow``: the parameters given float32 (or float16) arrays, whose gradients are
    converted to that precision (the code may compute in float64)."""
    _, ndim_of = infer_ndims(fn, param_ndims)
    full_of = infer_full(fn, param_full or {}, ndim_of)
    context = Context(fn.namer, aliases, ndim_of, full_of, shape_of=infer_shapes(fn, ndim_of),
                      narrow=frozenset(narrow))
    return Reverser(fn, context).run()


class Reverser:
    def __init__(self, fn, context):
        self.fn = fn
        self.context = context
        self.namer = forms.Namers(fn.namer)   # (the names of both forms of adjoint arrays)
        self.aliases = context.aliases
        self.ndim_of, self.full_of = context.ndim_of, context.full_of
        self.active = activity(fn)
        self.adj = Adjoints(fn, self.active, self.namer, context.aliases, context.ndim_of)
        self.adj.pending = defaultdict(list)
        self.tape = tape.Tape()  # what each piece of code in a loop saves
        self.adj.list_bar = {}       # list name -> its adjoint list
        self.adj.owner = {}          # adjoint variable -> the variable it is the adjoint of
        self.adj.fresh = set()       # (see Adjoints.fresh)
        self.top_loops = []      # loops not inside other loops
        self.reversed_loops = {} # loop -> its reversed loop statement
        self.body_end = {}       # loop -> index in its reversed body where the tail starts
        self.loop = None         # LoopState of the innermost loop being reversed

    # -- statements --------------------------------------------------------------

    def run(self):
        fn = self.fn
        seeds = [e for _, e in trees.unpack("out_bar", fn.output_tree)] if fn.output_tree \
            else None   # (a structure returned: out_bar has its structure)
        for i, value in enumerate(fn.value_outputs):
            if isinstance(value, ast.Name) and value.id in self.active:
                seed = ir.load("out_bar")
                if seeds is not None:
                    seed = seeds[i]
                elif fn.tuple_output:
                    seed = ast.Subscript(value=seed, slice=ast.Constant(i), ctx=ast.Load())
                self.adj.contribute(value.id, seed)
        init = self.adj.make_list_bars(fn.body)
        backward = init + self.block(fn.body, None)
        grads = []
        values = {p: simplify(total(self.adj.pending.pop(p))) if self.adj.pending.get(p) else None
                  for p in fn.wrt}
        roots = [adjoint_root(v, self.aliases) for v in values.values() if v is not None]
        complex_possible = may_make_complex(fn, self.ndim_of)
        for p in fn.wrt:
            grads.append(ir.load(_gradient(self.adj, p, values[p], roots,
                                           complex_possible or p in self.context.narrow,
                                           backward)))
        self.tape.fill(backward)
        _save_carried_for_top_loops(self.top_loops, self.reversed_loops, self.tape, backward)
        self.tape.fill(backward)
        return Sweeps(fn, [], backward, list(fn.outputs), grads, self.tape, self.context,
                      in_place_names=self.namer.in_place_names())

    def block(self, stmts, loop_vars, first=()):
        """Backward statements of a block; ``loop_vars`` are the names that enclosing loops
        overwrite (None outside loops). ``first`` (making the adjoint lists of lists the
        block makes) goes first, in the piece reversed first: it reads the lists as they
        are at the block's end, which that piece saves."""
        out, first = [], list(first)
        units = ir.segments(stmts)
        if loop_vars is not None:
            self.tape.record_chain(stmts, [(_piece(u), u.node) for u in units])
        for unit in reversed(units):
            kind = unit.kind
            if kind == "exit":
                # target = source at the end of the iteration: the target's adjoint so far
                # (the next iteration's, or after the loop) is the source's
                for carry in reversed(unit.body):
                    for term in self.adj.pending.pop(carry.target, []):
                        self.adj.contribute(carry.source, term)
                continue
            terms_before = {k: list(v) for k, v in self.adj.pending.items()}
            if kind == "simple":
                code = []
                for s in reversed(unit.body):
                    self.statement(s, code)
                if loop_vars is not None:
                    self.settle_terms(terms_before, loop_vars, code)
                own = code
                key = unit.body[0]
                for s in unit.body:
                    self.tape.unit_of[s] = key
            else:
                own, code = self.control(unit.node, loop_vars)
                key = unit.node
            if first:
                own, code, first = first + own, first + code, []
            if loop_vars is not None:
                created = [t for k, v in self.adj.pending.items() for t in v
                           if not any(t is old for old in terms_before.get(k, []))]
                # (the in-place form of adjoint arrays may read fewer values: forms.py)
                needed, in_place = (_needed(code, created, loop_vars, kind)
                                    for code in (own, forms.array_in_place_view(own)))
                # Every piece in a loop gets its pop in place, even if it saves nothing yet:
                # saving values at an iteration's start may add to the first piece later.
                # Pops that save nothing are dropped at the end.
                pop = self.tape.save(key, needed, in_place)
                code = [pop] + code
            out.extend(code)
        return first + out

    def settle_terms(self, terms_before, loop_vars, code):
        """Inside a loop, the terms a piece of code creates read values restored for that
        piece; another piece may restore other values into the same names. So: a term for a
        variable defined outside the loop goes into its accumulator here; a term for one
        that an earlier piece of this iteration defines is evaluated into a variable here."""
        state = self.loop
        for x, terms in list(self.adj.pending.items()):
            old = terms_before.get(x, [])
            new = [t for t in terms if not any(t is o for o in old)]
            if not new or not (ir.reads(new) & loop_vars):
                continue
            if x in state.assigned:
                if x not in state.carried:
                    self.adj.materialize(x, code)
                continue
            kept = [t for t in terms if any(t is o for o in old)]
            if kept:
                self.adj.pending[x] = kept
            else:
                del self.adj.pending[x]
            acc = state.acc.get(x)
            if acc is None:
                acc = state.acc[x] = self.namer.bar(x)
                self.adj.owner[acc] = x
                self.adj.fresh.add(acc)
            def pairs(x=x):
                if x not in state.pairs:
                    state.pairs[x] = self.namer.fresh(f"{x}_outers")
                return state.pairs[x]

            self.adj.add_in_loop(acc, new, code, pairs)

    def statement(self, s, out):
        if isinstance(s, ir.Op):
            if s.target not in self.active:
                return
            if s.rule.name == "copy" and s.target in self.adj.list_bar:
                # a list under another name (``ls_2 = ls`` where an if joins): its items'
                # adjoints are the list's too
                if s.inputs[0].id in self.adj.list_bar and s.target not in self.adj.dynamic:
                    self.adj.contribute_pieces(s.inputs[0], ir.load(self.adj.list_bar[s.target]), out)
                return
            bar = self.adj.define_bar(s.target, out)
            if bar is None:
                return
            if s.rule.name in ("copy", "copy_array"):   # (x_bar += y_bar)
                self.adj.passed_on.add(bar)
            wanted = {i for i, e in enumerate(s.inputs)
                      if isinstance(e, ast.Name) and e.id in self.active
                      or isinstance(e, (ast.List, ast.Tuple)) and any(
                          isinstance(x, ast.Name) and x.id in self.active for x in e.elts)}
            try:
                inst = instantiate(s.rule, s.target, bar, s.inputs, s.statics, wanted,
                                   self.ndim_of, self.namer, self.aliases,
                                   extra=self.fn.extra_globals, full_of=self.full_of,
                                   shape_of=self.context.shape_of)
            except TransformError as exc:  # unsupported(...) in a rule: point at the call
                raise self.fn.source.error(s.node, exc.reason) from None
            out.extend(inst.statements)
            for i, term in inst.contributions:
                if s.rule.inputs[i] in s.rule.sequences:
                    made = len(out)
                    try:
                        self.adj.contribute_pieces(s.inputs[i], simplify(term), out)
                    except TransformError as exc:
                        raise self.fn.source.error(s.node, exc.reason) from None
                    forms.place_refusals(out[made:], s.node)
                else:
                    self.adj.contribute(s.inputs[i].id, simplify(term))
        else:
            self.adj.list_statement(s, out)

    # -- control flow ------------------------------------------------------------

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

def _gradient(adj, p, value, roots, convert, out):
    """The variable holding the gradient handed back for parameter ``p``, whose adjoint
    sums to ``value`` (None: nothing), its statement put into ``out`` (``adj``: the
    reverse pass's Adjoints). It is a new array of the argument's shape (a float for a
    number): what may be a view, the caller's out_bar, or an array another gradient is
    too, is converted (``as_gradient``); Python numbers are immutable, so only an array
    view needs converting for them. ``convert``: convert it anyway (a complex value may
    come out; the argument is float32, the adjoint maybe float64)."""
    terms = value is not None
    if value is None:
        value = adj.zeros(p)
    n = adj.ndim_of(ir.load(p))
    own = adjoint_root(value, adj.aliases)

    def converted(shared):
        return terms and (n is None or convert or may_alias(value, adj.aliases) and (
            n > 0 and shared or n == 0 and isinstance(value, ast.Call)
            and not is_unbroadcast(value, adj.aliases)))

    shared = own is not None and (own == "out_bar" or roots.count(own) > 1)
    # (no adjoint has an array of its own in the differentiable form)
    differentiable = converted(own is not None)
    in_place = converted(shared or own is not None and own not in adj.fresh)
    gradient = ir.call(adj.aliases["as_gradient"], value, ir.load(p)) if differentiable \
        else value
    if in_place == differentiable:
        if isinstance(gradient, ast.Name) and adj.owner.get(gradient.id) == p:
            return gradient.id
        bar = adj.namer.bar(p)
        out.append(ir.assign(bar, gradient))
    elif isinstance(value, ast.Name) and adj.owner.get(value.id) == p:
        # handed back as it is in the in-place form: p's own adjoint
        bar = adj.namer.differentiable_only(p, value.id)
        out.append(forms.offer_array(ir.assign(bar, gradient), []))
    else:
        bar = adj.namer.bar(p)
        out.append(forms.offer_array(ir.assign(bar, gradient),
                                     [ir.assign(bar, ir.copy_tree(value))]))
    return bar


def _save_carried_for_top_loops(top_loops, reversed_loops, tape_, backward):
    """A loop outside all loops reuses the names of the variables it carries; if the
    backward code after the reversed loop reads them, their values before the loop are
    saved when it starts and restored when the reversed loop ends."""
    for loop in top_loops:
        reversed_loop = reversed_loops.get(loop)
        if reversed_loop is None:
            continue
        after = _after(backward, reversed_loop) or []
        needed, in_place = (sorted(set(loop.carried.values()) & ir.live_before(code, set()))
                            for code in (after, forms.array_in_place_view(after)))
        if needed or in_place:   # (see forms.py for the in-place form of adjoint arrays)
            _insert_after(backward, reversed_loop, tape_.save(("entry", loop), needed,
                                                              in_place or False))


def _needed(own, created, loop_vars, kind):
    """The values a piece of code in a loop saves: those that its backward statements
    ``own`` and the terms it ``created`` read that the loop overwrites (``loop_vars``), but
    for an if or a loop those its own statements assign."""
    return sorted((ir.reads(own) | ir.reads(created)) & loop_vars
                  - (set() if kind == "simple" else ir.assigns(own)))


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


def _piece(unit):
    """The tape.Piece of an ir.Segment."""
    stmts = [unit.node] if unit.kind == "control" else unit.body
    writes = {n for s in stmts for n in ir.defined_names(s)}
    jumps = unit.jump is not None or any(isinstance(s, ir.Jump) for s in ir.walk(stmts))
    key = None if unit.kind == "exit" else stmts[0]
    return tape.Piece(key, writes, jumps)


def _insert_after(stmts, target, new):
    """Put statement ``new`` right after ``target`` in ``stmts`` (at any depth)."""
    for i, s in enumerate(stmts):
        if s is target:
            stmts.insert(i + 1, new)
            return True
        if any(_insert_after(getattr(s, f, None) or [], target, new) for f in ("body", "orelse")):
            return True
    return False


def _after(stmts, target):
    """The backward statements that run after ``target`` (None if it is not in ``stmts``)."""
    for i, s in enumerate(stmts):
        if s is target:
            return stmts[i + 1:]
        for block in ("body", "orelse"):
            inner = getattr(s, block, None) or []
            found = _after(inner, target)
            if found is not None:
                rest = stmts[i + 1:]
                if isinstance(s, ast.For):  # later iterations run the loop body again
                    rest = inner + rest
                return found + rest
    return None
