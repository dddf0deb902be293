"""Reverse mode: the forward sweep followed by the reversed sweep of bar statements.

Straight-line code: each variable's adjoint is defined once, where the
reversed sweep reaches the statement that assigned the variable. By then
every use of the variable has contributed its term, so ``v_bar`` is written
as the sum of those terms: no zero initialisation, no accumulation in place.
A term that is just another adjoint is not copied; the name is reused.

Control flow is replayed backwards (reversed_control.py: ifs on the same condition,
loops backwards). Inside loops, each piece of code (a run of simple statements, a
nested ``if`` or loop) saves, on every way out of it, exactly the values its backward
statements read that later iterations overwrite (a ``tape.Restore`` before its reversed
code); nothing else is saved. The gradients handed back are gradients.py's.
"""

import ast
from collections import defaultdict
from dataclasses import dataclass

from .. import ir
from ..ir.derived_lines import mark_derived
from ..ir import trees
from . import forms, tape
from .adjoints import Adjoints
from ..analysis.activity import activity
from ..analysis.complex_values import may_make_complex
from ..analysis.ndims import infer_ndims
from ..analysis.shapes import infer_full, infer_shapes
from ..errors import TransformError
from ..optimize import simplify, total
from .gradients import gradient_variable
from .reversed_control import ReversedControl
from .sweeps import Sweeps
from .terms import adjoint_root
from .templates import instantiate


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
    save_policy: str = "per_step"   # how lower_tape keeps values (see save_policies.py)
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


class Reverser(ReversedControl):
    """The reverse pass over one function: its statements backwards (``run``).
    Control flow: reversed_control.ReversedControl."""

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
            grads.append(ir.load(gradient_variable(self.adj, p, values[p], roots,
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
                                   shape_of=self.context.shape_of,
                                   refused_at=lambda why: str(self.fn.source.error(s.node, why)))
            except TransformError as exc:  # unsupported(...) in a rule: point at the call
                raise self.fn.source.error(s.node, exc.reason) from None
            first = len(out)
            out.extend(inst.statements)
            for i, term in inst.contributions:
                term = simplify(term)
                mark_derived([term], s.node)   # (for messages: see ir/derived_lines.py)
                if s.rule.inputs[i] in s.rule.sequences:
                    made = len(out)
                    try:
                        self.adj.contribute_pieces(s.inputs[i], term, out)
                    except TransformError as exc:
                        raise self.fn.source.error(s.node, exc.reason) from None
                    forms.place_refusals(out[made:], s.node)
                else:
                    self.adj.contribute(s.inputs[i].id, term)
            mark_derived(out[first:], s.node)
        else:
            self.adj.list_statement(s, out)


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
