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
from dataclasses import dataclass

import numpy as np

from . import ir
from .analysis import activity, infer_full, infer_ndims
from .errors import TransformError
from .fission import hoist_inputs, split_reversed
from .optimize import (
    fuse_products,
    fuse_blocks,
    per_step_lists,
    prune_backward,
    prune_forward,
    renumber_temps,
    reuse_dead_arrays,
    simplify,
    total,
)
from .templates import instantiate


@dataclass
class Adjoint:
    """The generated pieces of one reverse-mode function."""

    fn: object            # ir.NormalFunction
    forward: list         # ast statements
    backward: list        # ast statements
    outputs: list         # returned value expressions
    grads: list           # one expression per wrt parameter


def reverse(fn, param_ndims, aliases, return_value=True, differentiable=False, param_full=None):
    """Build the adjoint of ``fn``. ``param_ndims``: known ndim of parameters (None = unknown);
    ``aliases``: runtime helper name -> name in the generated code; ``return_value``: whether
    the generated function returns ``fn``'s value too (else its last statements may be dead);
    ``differentiable``: code that adcompile can differentiate again (no in-place updates);
    ``param_full``: parameter -> True where the argument has no axis of length 1."""
    return Reverser(fn, param_ndims, aliases, return_value, differentiable, param_full).run()


def _segments(stmts):
    """Split a block into units: ("simple", [stmts]), ("control", stmt), ("exit", [carries], jump)."""
    units, run = [], []
    i = 0
    while i < len(stmts):
        s = stmts[i]
        if isinstance(s, (ir.If, ir.Loop)):
            if run:
                units.append(("simple", run))
                run = []
            units.append(("control", s))
        elif isinstance(s, (ir.Carry, ir.Jump)):
            if run:
                units.append(("simple", run))
                run = []
            carries = []
            while i < len(stmts) and isinstance(stmts[i], ir.Carry):
                carries.append(stmts[i])
                i += 1
            jump = stmts[i] if i < len(stmts) and isinstance(stmts[i], ir.Jump) else None
            units.append(("exit", carries, jump))
            i += 1 if jump is not None else 0
            continue
        else:
            run.append(s)
        i += 1
    if run:
        units.append(("simple", run))
    return units


class Reverser:
    def __init__(self, fn, param_ndims, aliases, return_value, differentiable=False,
                 param_full=None):
        self.fn = fn
        self.differentiable = differentiable
        self.namer = fn.namer
        self.aliases = aliases
        self.return_value = return_value
        self.active = activity(fn)
        _, self.ndim_of = infer_ndims(fn, param_ndims)
        self.full_of = infer_full(fn, param_full or {}, self.ndim_of)
        self.pending = defaultdict(list)
        self.saves = {}          # id(unit object) -> names pushed after it, popped before its reverse
        self.pops = {}           # id(unit object) -> the pop statement (targets filled at the end)
        self.list_bar = {}       # list name -> its adjoint list
        self.branch_inits = {}   # id(branch block) -> adjoint lists made where it is reversed
        self.owner = {}          # adjoint variable -> the variable it is the adjoint of
        self.fresh = set()       # adjoint variables holding arrays that nothing else refers to
        self.stack = None
        self.stacks = {}         # saved name -> its own stack, in differentiable code
        self.unit_of = {}        # id(statement) -> key of the run of simple statements it is in
        self.top_loops = []      # loops not inside other loops
        self.reversed_loops = {} # id(loop) -> its reversed loop statement
        self.body_end = {}       # id(loop) -> index in its reversed body where the tail starts
        self.loop = None         # the innermost loop being reversed: what it assigns, its
                                 # carried names, its accumulators and outer-product lists

    # -- adjoint bookkeeping ---------------------------------------------------

    def new_bar(self, name, value, out):
        """Assign ``value`` to a new adjoint variable of ``name``."""
        bar = self.namer.bar(name)
        self.owner[bar] = name
        if _fresh_value(value, self.aliases) and not self.differentiable:
            self.fresh.add(bar)
        out.append(ir.assign(bar, value))
        return bar

    def define_bar(self, name, out):
        """The adjoint of ``name`` once all its terms are in: a name, or None if it has none."""
        terms = self.pending.pop(name, None)
        if not terms:
            return None
        if len(terms) == 1 and isinstance(terms[0], ast.Name):
            return terms[0].id
        return self.new_bar(name, simplify(total(terms)), out)

    def materialize(self, name, out, zero=False, fresh=False):
        """Put the terms of ``name``'s adjoint so far into a variable that later code may
        reassign (or zero); ``fresh``: an array nothing else refers to, to update in place."""
        terms = self.pending.pop(name, None)
        if not terms and not zero:
            return None
        if terms and len(terms) == 1 and isinstance(terms[0], ast.Name):
            bar = terms[0].id
            reusable = self.owner.get(bar) == name and not any(
                bar in ir.reads(other) for other in self.pending.values())
            if reusable and (bar in self.fresh or not fresh):
                self.pending[name] = [ir.load(bar)]
                return bar
        if not terms:
            value = self.zeros(name)
        elif fresh:
            value = ast.BinOp(left=self.zeros(name), op=ast.Add(), right=simplify(total(terms)))
        else:
            value = simplify(total(terms))
        bar = self.new_bar(name, value, out)
        self.pending[name] = [ir.load(bar)]
        return bar

    def accumulate(self, bar, terms, out):
        """``bar = bar + terms``; indexed terms (getitem adjoints) are added in place."""
        rest = []
        for term in terms:
            scatter = _scatter(term, self.aliases, self.ndim_of)
            if scatter is not None and bar in self.fresh:
                index, value = scatter
                out.append(ast.AugAssign(target=ast.Subscript(value=ir.load(bar), slice=index,
                                                              ctx=ast.Store()),
                                         op=ast.Add(), value=value))
            else:
                rest.append(term)
        if rest and bar in self.fresh:  # an array only this adjoint refers to: add in place
            out.append(ast.AugAssign(target=ir.store(bar), op=ast.Add(),
                                     value=simplify(total(rest))))
        elif rest:
            out.append(ir.assign(bar, simplify(total([ir.load(bar)] + rest))))

    def zeros(self, name):
        return ir.call(self.aliases["zeros_like"], ir.load(name))

    def flush_reading(self, names, out):
        """Materialize pending terms that read any of ``names`` (about to be overwritten)."""
        for target in list(self.pending):
            if ir.reads(self.pending[target]) & names:
                self.materialize(target, out)

    def contribute(self, name, term):
        self.pending[name].append(term)

    def contribute_pieces(self, sequence, term, out):
        """``term`` is a list of adjoints, one per item of ``sequence`` (a list literal of
        operands, or a list's name): each item gets its piece."""
        if isinstance(sequence, ast.Name) and sequence.id not in self.list_bar:
            self.contribute(sequence.id, term)   # an array: the rule's helper gave an array
            return
        pieces = self.namer.fresh("pieces")
        out.append(ir.assign(pieces, term))
        if isinstance(sequence, ast.Name):   # a list: add into its adjoint list
            bar = self.list_bar[sequence.id]
            if self.differentiable:
                # item by item, which adcompile differentiates (add_pieces makes a new list):
                # for k in range(len(pieces)): hs_bar[k] = hs_bar[k] + pieces[k]
                k = self.namer.fresh("k")
                piece = ast.Subscript(value=ir.load(pieces), slice=ir.load(k), ctx=ast.Load())
                out.append(ast.For(target=ir.store(k),
                                   iter=ir.call("range", ir.call("len", ir.load(pieces))),
                                   body=[_add_to_item(bar, ir.load(k), piece)], orelse=[]))
                return
            out.append(ir.assign(bar, ir.call(ir.load(self.aliases["add_pieces"]), ir.load(bar),
                                            ir.load(pieces))))
            return
        for k, e in enumerate(sequence.elts):
            if isinstance(e, ast.Name) and e.id in self.active:
                self.contribute(e.id, ast.Subscript(value=ir.load(pieces), slice=ast.Constant(k),
                                                    ctx=ast.Load()))

    def new_list_bar(self, bar, name):
        """Statements making ``bar``, the adjoint list of list ``name``: a zero per item (and
        None where the list is None: unbound on some path in the user's code)."""
        item = self.namer.fresh("item")
        if self.differentiable:
            # a loop that appends, which adcompile differentiates (a comprehension it
            # refuses): hs_bar = [] / for item in hs: hs_bar.append(zeros_like(item))
            made = [ir.assign(bar, ast.List(elts=[], ctx=ast.Load())),
                    ast.For(target=ir.store(item), iter=ir.load(name), body=[
                        ast.Expr(ir.call(ast.Attribute(value=ir.load(bar), attr="append",
                                                       ctx=ast.Load()), self.zeros(item)))],
                        orelse=[])]
        else:
            made = [ir.assign(bar, ast.ListComp(
                elt=self.zeros(item),
                generators=[ast.comprehension(target=ir.store(item), iter=ir.load(name),
                                              ifs=[], is_async=0)]))]
        if name not in getattr(self.fn, "maybe_undefined", ()):
            return made
        unbound = ast.Compare(left=ir.load(name), ops=[ast.Is()], comparators=[ast.Constant(None)])
        return [ast.If(test=unbound, body=[ir.assign(bar, ast.Constant(None))], orelse=made)]

    # -- statements --------------------------------------------------------------

    def run(self):
        fn = self.fn
        for i, value in enumerate(fn.outputs):
            if isinstance(value, ast.Name) and value.id in self.active:
                seed = ir.load("out_bar")
                if fn.tuple_output:
                    seed = ast.Subscript(value=seed, slice=ast.Constant(i), ctx=ast.Load())
                self.contribute(value.id, seed)
        init = []
        homes = _list_homes(fn.body)
        lists = getattr(fn, "lists", set())
        for s in ir.walk(fn.body):
            if isinstance(s, ir.ListNew) and s.target in self.active \
                    or isinstance(s, ir.Op) and s.rule.name == "copy" and s.target in lists \
                    and s.target in self.active and s.target not in self.list_bar:
                bar = self.list_bar[s.target] = self.namer.bar(s.target)
                home = homes.get(s.target)
                # a list made in a branch and only used there: its adjoint list is made where
                # the branch is reversed (the list does not exist on the other paths)
                made = init if home is None else self.branch_inits.setdefault(id(home), [])
                made.extend(self.new_list_bar(bar, s.target))
        backward = init + self.block(fn.body, None)
        grads = []
        values = {p: simplify(total(self.pending.pop(p))) if self.pending.get(p) else None
                  for p in fn.wrt}
        roots = [_root(v, self.aliases) for v in values.values() if v is not None]
        for p in fn.wrt:
            value = values[p]
            terms = value is not None
            if value is None:
                value = self.zeros(p)
            # Hand back a new array of the argument's shape (a float for a number): convert
            # what may be a view, the caller's out_bar, or an array another gradient is too.
            # Python numbers are immutable, so only an array view needs converting for them.
            n = self.ndim_of(ir.load(p))
            root = _root(value, self.aliases)
            shared = root is not None and (root == "out_bar" or roots.count(root) > 1
                                           or root not in self.fresh)
            if terms and (n is None or _may_alias(value, self.aliases) and (
                    n > 0 and shared or n == 0 and isinstance(value, ast.Call)
                    and not _is_unbroadcast(value, self.aliases))):
                value = ir.call(self.aliases["as_gradient"], value, ir.load(p))
            if isinstance(value, ast.Name) and self.owner.get(value.id) == p:
                bar = value.id
            else:
                bar = self.namer.bar(p)
                backward.append(ir.assign(bar, value))
            grads.append(ir.load(bar))
        self.save_carried_for_top_loops(backward)
        separate = {}
        for key, pop in self.pops.items():
            names = self.saves[key]
            if names and self.differentiable:   # one stack per saved variable
                separate[id(pop)] = [ir.assign(n, ir.call(ast.Attribute(
                    value=ir.load(self.stack_of(n)), attr="pop", ctx=ast.Load())))
                    for n in reversed(names)]
            elif names:
                pop.targets = _pop_targets(names)
        unused = {id(pop) for key, pop in self.pops.items() if not self.saves[key]}
        backward = _without_statements(backward, unused, separate)
        backward = prune_backward(backward, ir.reads(grads))
        if self.differentiable:
            # a value saved that nothing reads once popped is not saved (its push would read
            # a value the pruned forward sweep may no longer compute)
            read, unread = ir.reads(backward), set()
            for key, pop in self.pops.items():
                for restore in separate.get(id(pop), []):
                    if restore.targets[0].id not in read:
                        self.saves[key].remove(restore.targets[0].id)
                        unread.add(id(restore))
            backward = _without_statements(backward, unread)
        if not self.differentiable:   # (its helpers have no rules to differentiate)
            backward = fuse_products(backward, self.aliases, _same_shape(fn))
            # what the fused products no longer read (x in x ** 2) need not be saved
            read, emptied = ir.reads(backward), set()
            for key, pop in self.pops.items():
                names = [n for n in self.saves[key] if n in read]
                if names != self.saves[key]:
                    self.saves[key] = names
                    pop.targets = _pop_targets(names)
                    if not names:
                        emptied.add(id(pop))
            backward = _without_statements(backward, emptied)
            backward = reuse_dead_arrays(backward, _owned_arrays(fn, self.aliases),
                                         ir.reads(grads) | ir.reads(fn.outputs), self.aliases)
        live = _reads_outside_own_loops(backward) | ir.reads(grads)
        outputs = list(fn.outputs)
        keep_value = []
        if self.return_value:
            # the reverse sweep restores loop variables: keep the value before it starts
            overwritten = ir.assigns(backward)
            for i, value in enumerate(outputs):
                if isinstance(value, ast.Name) and value.id in overwritten:
                    name = self.namer.fresh("value")
                    keep_value.append(ir.assign(name, value))
                    outputs[i] = ir.load(name)
            live |= ir.reads(fn.outputs)
        body = prune_forward(fn.body, live, set(self.saves))
        forward = self.forward(body, False, [])
        if self.stack is not None and not self.differentiable and any(self.saves.values()):
            forward.insert(0, ir.assign(self.stack, ast.List(elts=[], ctx=ast.Load())))
        saved = {n for names in self.saves.values() for n in names}
        for name, stack in reversed(list(self.stacks.items())):
            if name in saved:
                forward.insert(0, ir.assign(stack, ast.List(elts=[], ctx=ast.Load())))
        forward = fuse_blocks(forward, self.namer.temps, live) + keep_value
        ndims = self.known_ndims(forward + backward)
        rename = renumber_temps(forward + backward, outputs, self.namer)
        if not self.differentiable:   # (fission's batched code is not differentiated again)
            ndims = {rename(n): d for n, d in ndims.items()}
            if self.stack is not None:
                forward, backward, loops = per_step_lists(forward, backward, self.stack,
                                                          self.namer)
                split_reversed(forward, backward, loops, ndims, self.aliases, self.namer,
                               ir.reads(grads) | ir.reads(outputs))
            forward = hoist_inputs(forward, ndims, self.aliases, self.namer,
                                   backward + [ast.Expr(e) for e in outputs + grads])
            renumber_temps(forward + backward, outputs, self.namer)
        return Adjoint(fn, forward, backward, outputs, grads)

    def known_ndims(self, code):
        """Name -> ndim, where known, for the names of generated code (an adjoint has the
        ndim of its variable)."""
        ndims = {}
        for name in ir.reads(code) | ir.assigns(code):
            primal = self.namer.bar_of.get(name, name)
            n = self.ndim_of(ir.load(primal))
            if n is not None:
                ndims[name] = n
        fn = self.fn
        if not fn.tuple_output and len(fn.outputs) == 1:
            n = self.ndim_of(fn.outputs[0])
            if n is not None:
                ndims["out_bar"] = n
        return ndims

    def block(self, stmts, loop_vars):
        """Backward statements of a block; ``loop_vars`` are the names that enclosing loops
        overwrite (None outside loops)."""
        out = []
        for unit in reversed(_segments(stmts)):
            kind = unit[0]
            if kind == "exit":
                # target = source at the end of the iteration: the target's adjoint so far
                # (the next iteration's, or after the loop) is the source's
                for carry in reversed(unit[1]):
                    for term in self.pending.pop(carry.target, []):
                        self.contribute(carry.source, term)
                continue
            terms_before = {k: list(v) for k, v in self.pending.items()}
            if kind == "simple":
                code = []
                for s in reversed(unit[1]):
                    self.statement(s, code)
                if loop_vars is not None:
                    self.settle_terms(terms_before, loop_vars, code)
                own = code
                key = id(unit[1][0])
                for s in unit[1]:
                    self.unit_of[id(s)] = key
            else:
                node = unit[1]
                own, code = self.control(node, loop_vars)
                key = id(node)
            if loop_vars is not None:
                created = [t for k, v in self.pending.items() for t in v
                           if not any(t is old for old in terms_before.get(k, []))]
                needed = sorted((ir.reads(own) | ir.reads(created)) & loop_vars
                                - (set() if kind == "simple" else ir.assigns(own)))
                # Every piece in a loop gets its pop in place, even if it saves nothing yet:
                # saving values at an iteration's start may add to the first piece later.
                # Pops that save nothing are dropped at the end.
                self.saves[key] = needed
                pop = ast.Assign(targets=[], value=ir.call(
                    ast.Attribute(value=ir.load(self.stack_name()), attr="pop",
                                  ctx=ast.Load())))
                self.pops[key] = pop
                code = [pop] + code
            out.extend(code)
        return out

    def settle_terms(self, terms_before, loop_vars, code):
        """Inside a loop, the terms a piece of code creates read values restored for that
        piece; another piece may restore other values into the same names. So: a term for a
        variable defined outside the loop goes into its accumulator here; a term for one
        that an earlier piece of this iteration defines is evaluated into a variable here."""
        ctx = self.loop
        for x, terms in list(self.pending.items()):
            old = terms_before.get(x, [])
            new = [t for t in terms if not any(t is o for o in old)]
            if not new or not (ir.reads(new) & loop_vars):
                continue
            if x in ctx["assigned"]:
                if x not in ctx["carried"]:
                    self.materialize(x, code)
                continue
            kept = [t for t in terms if any(t is o for o in old)]
            if kept:
                self.pending[x] = kept
            else:
                del self.pending[x]
            acc = ctx["acc"].get(x)
            if acc is None:
                acc = ctx["acc"][x] = self.namer.bar(x)
                self.owner[acc] = x
                if not self.differentiable:
                    self.fresh.add(acc)
            rest = []
            for t in new:
                if self._is_outer(t):  # one outer product per iteration: multiply once
                    pairs = ctx["pairs"].get(x)
                    if pairs is None:
                        pairs = ctx["pairs"][x] = self.namer.fresh(f"{x}_outers")
                    code.append(ast.Expr(ir.call(ast.Attribute(
                        value=ir.load(pairs), attr="append", ctx=ast.Load()),
                        ast.Tuple(elts=list(t.args), ctx=ast.Load()))))
                else:
                    rest.append(t)
            if rest:
                self.accumulate(acc, rest, code)

    def stack_of(self, name):
        """The stack of one saved variable (differentiable code: a list of values of one
        kind, so that the saves of integers stay out of the derivative's way)."""
        if name not in self.stacks:
            self.stacks[name] = self.namer.fresh(f"{name}_stack")
        return self.stacks[name]

    def stack_name(self):
        if self.stack is None:
            self.stack = self.namer.fresh("stack")
        return self.stack

    def statement(self, s, out):
        if isinstance(s, ir.Op):
            if s.target not in self.active:
                return
            if s.rule.name == "copy" and s.target in self.list_bar:
                # a list under another name (``ls_2 = ls`` where an if joins): its items'
                # adjoints are the list's too
                if s.inputs[0].id in self.list_bar:
                    self.contribute_pieces(s.inputs[0], ir.load(self.list_bar[s.target]), out)
                return
            bar = self.define_bar(s.target, out)
            if bar is None:
                return
            wanted = {i for i, e in enumerate(s.inputs)
                      if isinstance(e, ast.Name) and e.id in self.active
                      or isinstance(e, (ast.List, ast.Tuple)) and any(
                          isinstance(x, ast.Name) and x.id in self.active for x in e.elts)}
            try:
                inst = instantiate(s.rule, s.target, bar, s.inputs, s.statics, wanted,
                                   self.ndim_of, self.namer, self.aliases,
                                   extra=self.fn.extra_globals, full_of=self.full_of)
            except TransformError as exc:  # unsupported(...) in a rule: point at the call
                raise self.fn.source.error(s.node, exc.reason) from None
            out.extend(inst.statements)
            for i, term in inst.contributions:
                if s.rule.inputs[i] in s.rule.sequences:
                    self.contribute_pieces(s.inputs[i], simplify(term), out)
                else:
                    self.contribute(s.inputs[i].id, simplify(term))
        elif isinstance(s, ir.ListGet) and s.pop:
            # the target's terms are used up here even when the list is not active (a
            # variable assigned on several paths may be active through another one)
            bar = self.define_bar(s.target, out) if s.target in self.active else None
            if s.source in self.list_bar:   # the item goes back, with its adjoint
                out.append(ast.Expr(ir.call(ast.Attribute(
                    value=ir.load(self.list_bar[s.source]), attr="append", ctx=ast.Load()),
                    ir.load(bar) if bar is not None else self.zeros(s.target))))
        elif isinstance(s, ir.ListGet):
            if s.target in self.active:
                bar = self.define_bar(s.target, out)   # used up even if the list is not active
                if bar is not None and s.source in self.list_bar:
                    out.append(_add_to_item(self.list_bar[s.source], s.index, ir.load(bar)))
        elif isinstance(s, ir.ListAppend):
            if s.target in self.list_bar:
                pop = ir.call(ast.Attribute(value=ir.load(self.list_bar[s.target]), attr="pop",
                                          ctx=ast.Load()))
                if isinstance(s.value, ast.Name) and s.value.id in self.active:
                    bar = self.namer.bar(s.value.id)
                    out.append(ir.assign(bar, pop))
                    self.contribute(s.value.id, ir.load(bar))
                else:
                    out.append(ast.Expr(pop))
        elif isinstance(s, ir.ListAdd):
            # linear in the value: its adjoint is the item's adjoint, read now (the reverse
            # of an earlier read of the item replaces the item's adjoint in its list)
            if s.target in self.list_bar and isinstance(s.value, ast.Name) \
                    and s.value.id in self.active:
                bar = self.namer.bar(s.value.id)
                out.append(ir.assign(bar, ast.Subscript(
                    value=ir.load(self.list_bar[s.target]), slice=s.index, ctx=ast.Load())))
                self.contribute(s.value.id, ir.load(bar))
        elif isinstance(s, ir.ListNew):
            if s.target in self.list_bar:
                for i, e in enumerate(s.elements):
                    if isinstance(e, ast.Name) and e.id in self.active:
                        self.contribute(e.id, ast.Subscript(
                            value=ir.load(self.list_bar[s.target]), slice=ast.Constant(i),
                            ctx=ast.Load()))

    # -- control flow ------------------------------------------------------------

    def control(self, node, loop_vars):
        """(statements whose reads must be saved, all backward statements) of an if or loop."""
        if isinstance(node, ir.If):
            return self.reverse_if(node, loop_vars)
        return self.reverse_loop(node, loop_vars)

    def _branch(self, block, seeds, loop_vars):
        """Reverse one block with a fresh set of terms; returns its code and the terms it
        leaves for names defined before it."""
        saved = self.pending
        self.pending = defaultdict(list)
        for name, bar in seeds.items():
            self.pending[name] = [ir.load(bar)]
        code = self.branch_inits.get(id(block), []) + self.block(block, loop_vars)
        left = {x: terms for x, terms in self.pending.items() if terms}
        self.pending = saved
        return code, left

    def reverse_if(self, node, loop_vars):
        pre, flushed = [], []
        # (terms flushed here were made by later code, which saved what they read)
        self.flush_reading(ir.defined_names(node), flushed)
        # adjoints of names the branches assign go into both branches
        seeds = {}
        for name in sorted(ir.defined_names(node) & set(self.pending)):
            bar = self.materialize(name, pre)
            if bar is not None:
                seeds[name] = bar
                self.pending.pop(name)
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
                self.pending[x].extend(left_then.pop(x))
                del left_else[x]
        receiving = sorted(set().union(*(set(left) for _, left in branches)))
        acc, assigned_in_branches = {}, {}
        for x in receiving:
            fresh = any(_scatter(t, self.aliases, self.ndim_of)
                        for _, left in branches for t in left.get(x, []))
            if x in seeds:
                # a carried name the if reassigns on some path: each branch says what its
                # adjoint is (zero where the branch reassigned it and read nothing)
                acc[x] = self.namer.bar(x)
                self.owner[acc[x]] = x
                assigned_in_branches[x] = acc[x]
                self.pending[x] = [ir.load(acc[x])]
            else:
                acc[x] = self.materialize(x, pre, zero=True, fresh=fresh)
        codes, own_zeros = [], []
        for code, left in branches:
            for x in receiving:
                if x in assigned_in_branches:
                    terms = left.get(x)
                    code.append(ir.assign(acc[x], simplify(total(terms)) if terms
                                          else self.zeros(x)))
                    if not terms:
                        own_zeros.append(code[-1])
                elif x in left:
                    self.accumulate(acc[x], left[x], code)
            codes.append(code)
        if not codes[0] and not codes[1]:
            return self._zero_shapes(pre), flushed + pre
        test = node.test
        if not codes[0]:
            test, codes = ast.UnaryOp(op=ast.Not(), operand=test), [codes[1], []]
        statement = ast.If(test=test, body=codes[0], orelse=codes[1])
        own = self._zero_shapes(pre + own_zeros) + [ast.Expr(test)]
        return own, flushed + pre + [statement]

    def reverse_loop(self, node, loop_vars):
        pre, flushed = [], []
        assigned = ir.defined_names(node)
        # (terms flushed here were made by later code, which saved what they read)
        self.flush_reading(assigned, flushed)
        carried = sorted(n for n in set(node.carried.values()) if n in self.active)
        bars = {}
        for name in carried:
            bars[name] = self.materialize(name, pre, zero=True)
            self.pending.pop(name)
        reversed_range = node.counter is None
        inner_vars = (loop_vars or set()) | assigned
        if reversed_range:
            inner_vars = inner_vars - {node.index}
        if loop_vars is None:
            self.top_loops.append(node)
        outer_loop = self.loop
        ctx = self.loop = {"assigned": assigned, "carried": set(node.carried.values()),
                           "acc": {}, "pairs": {}}
        body, left = self._branch(node.body, bars, inner_vars)
        self.loop = outer_loop
        tail, post = [], []
        accumulate = {}
        for x, acc in sorted(ctx["acc"].items()):
            # accumulators the iterations add to: a new array, from what x had so far
            terms = self.pending.pop(x, None)
            value = self.zeros(x)
            if terms:
                value = ast.BinOp(left=value, op=ast.Add(), right=simplify(total(terms)))
            pre.append(ir.assign(acc, value))
            accumulate[x] = acc
            pairs = ctx["pairs"].get(x)
            if pairs:
                pre.append(ir.assign(pairs, ast.List(elts=[], ctx=ast.Load())))
                self.accumulate(acc, [ir.call(self.aliases["outer_sum"], ir.load(pairs))], post)
            if x in left:
                self.accumulate(acc, left.pop(x), tail)
        outer = sorted(x for x in left if x not in bars and x not in assigned)
        for x in outer:
            if x in left:
                scatter = any(_scatter(t, self.aliases, self.ndim_of) for t in left[x])
                accumulate[x] = self.materialize(x, pre, zero=True, fresh=scatter)
                self.pending.pop(x)
                outers = [t for t in left[x] if self._is_outer(t)]
                if outers:
                    # one outer product per iteration: collect the vectors, multiply once
                    pairs = self.namer.fresh(f"{x}_outers")
                    pre.append(ir.assign(pairs, ast.List(elts=[], ctx=ast.Load())))
                    for t in outers:
                        tail.append(ast.Expr(ir.call(ast.Attribute(
                            value=ir.load(pairs), attr="append", ctx=ast.Load()),
                            ast.Tuple(elts=list(t.args), ctx=ast.Load()))))
                    self.accumulate(accumulate[x], [ir.call(self.aliases["outer_sum"],
                                                          ir.load(pairs))], post)
                rest = [t for t in left[x] if not self._is_outer(t)]
                if rest:
                    self.accumulate(accumulate[x], rest, tail)
        # No terms: the value at the start of the iteration did not matter, so its adjoint
        # is zero, shaped like that value (saved for it: the shape may change from one
        # iteration to the next), or, for a variable the loop creates, like the adjoint.
        zero_from_value = [n for n in carried if n not in left and n in node.existing]
        updates = [(bars[n], simplify(total(left[n])) if n in left else
                    self.zeros(n) if n in node.existing else
                    ir.call(self.aliases["zeros_like"], ir.load(bars[n]))) for n in carried]
        updates = [(bar, value) for bar, value in updates
                   if not (isinstance(value, ast.Name) and value.id == bar)]
        if len(updates) == 1:
            tail.append(ir.assign(*updates[0]))
        elif updates:  # all at once: one carried adjoint may be read by another's update
            tail.append(ast.Assign(
                targets=[ast.Tuple(elts=[ir.store(bar) for bar, _ in updates], ctx=ast.Store())],
                value=ast.Tuple(elts=[value for _, value in updates], ctx=ast.Load())))
        for name in carried:
            self.pending[name] = [ir.load(bars[name])]
        for x, bar in accumulate.items():
            self.pending[x] = [ir.load(bar)]
        if reversed_range:
            header = ast.For(target=ir.store(node.index),
                             iter=ir.call("reversed", node.iterable), body=None, orelse=[])
        else:
            header = ast.For(target=ir.store("_"), iter=ir.call("range", ir.load(node.counter)),
                             body=None, orelse=[])
        header.body = (body + tail) or [ast.Pass()]
        self.reversed_loops[id(node)] = header
        self.body_end[id(node)] = len(body)  # where the reversed body ends and the tail starts
        if zero_from_value:
            self.save_at_iteration_start(node, zero_from_value)
        header_reads = [header.iter]
        if not body and not tail:
            return self._zero_shapes(pre), flushed + pre
        own = self._zero_shapes(pre) + [ast.Expr(e) for e in header_reads]
        return own, flushed + pre + [header] + post

    def _zero_shapes(self, stmts):
        """What an if or loop reads itself (not through terms other code made and saved
        for): the variables whose shapes its zero adjoints take."""
        zeros = self.aliases["zeros_like"]
        return [ast.Expr(n.args[0]) for s in stmts for n in ast.walk(s)
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == zeros
                and n.args and isinstance(n.args[0], ast.Name)]

    def _is_outer(self, term):
        return not self.differentiable and (isinstance(term, ast.Call) and isinstance(term.func, ast.Attribute)
                and term.func.attr == "outer" and isinstance(term.func.value, ast.Name)
                and term.func.value.id == self.aliases["np"] and len(term.args) == 2
                and not term.keywords)

    def save_carried_for_top_loops(self, backward):
        """A loop outside all loops reuses the names of the variables it carries; if the
        backward code outside the loop reads them, each iteration saves their values so that
        reversing the loop restores them."""
        for loop in self.top_loops:
            reversed_loop = self.reversed_loops.get(id(loop))
            if reversed_loop is None:
                continue
            outside = ir.reads(_after(backward, reversed_loop) or [])
            needed = sorted(set(loop.carried.values()) & outside)
            if needed:
                self.save_at_iteration_start(loop, needed)

    def save_at_iteration_start(self, loop, names):
        """Save the values ``names`` have when an iteration of ``loop`` starts: the first
        statement of each iteration pushes them, the last of each reversed one pops them."""
        key = ("start", id(loop))
        saved = self.saves.setdefault(key, [])
        if key not in self.pops:
            self.pops[key] = ast.Assign(targets=[], value=ir.call(ast.Attribute(
                value=ir.load(self.stack_name()), attr="pop", ctx=ast.Load())))
            self.reversed_loops[id(loop)].body.insert(self.body_end[id(loop)], self.pops[key])
        for n in names:
            if n not in saved:
                saved.append(n)

    # -- the forward sweep, with the saves -----------------------------------------

    def push(self, key):
        names = self.saves.get(key)
        if not names:
            return []
        if self.differentiable:
            return [ast.Expr(ir.call(ast.Attribute(value=ir.load(self.stack_of(n)), attr="append",
                                                 ctx=ast.Load()), ir.load(n))) for n in names]
        value = ir.load(names[0]) if len(names) == 1 else ast.Tuple(
            elts=[ir.load(n) for n in names], ctx=ast.Load())
        return [ast.Expr(ir.call(ast.Attribute(value=ir.load(self.stack_name()), attr="append",
                                             ctx=ast.Load()), value))]

    def forward(self, stmts, in_loop, exit_pushes):
        out = []
        for unit in _segments(stmts):
            kind = unit[0]
            if kind == "simple":
                out.extend(_forward_statement(s) for s in unit[1])
                keys = []
                for s in unit[1]:
                    key = self.unit_of.get(id(s))
                    if key is not None and key not in keys:
                        keys.append(key)
                for key in keys:
                    out.extend(self.push(key))
            elif kind == "exit":
                if unit[2] is not None:
                    for key in reversed(exit_pushes):
                        out.extend(self.push(key))
                out.extend(ir.assign(c.target, ir.load(c.source)) for c in unit[1])
                if unit[2] is not None:
                    out.append(ast.Break() if unit[2].kind == "break" else ast.Continue())
            else:
                node = unit[1]
                key = id(node)
                if isinstance(node, ir.If):
                    body = self.forward(node.body, in_loop, exit_pushes + [key])
                    orelse = self.forward(node.orelse, in_loop, exit_pushes + [key])
                    out.append(ast.If(test=node.test, body=body or [ast.Pass()], orelse=orelse))
                    if not (ir.always_jumps(node.body) and ir.always_jumps(node.orelse)):
                        out.extend(self.push(key))
                else:
                    body = self.push(("start", key)) + self.forward(node.body, True, [])
                    if node.counter:
                        out.append(ir.assign(node.counter, ast.Constant(0)))
                        body.insert(0, ast.AugAssign(target=ir.store(node.counter), op=ast.Add(),
                                                     value=ast.Constant(1)))
                    if node.kind == "for":
                        loop = ast.For(target=ir.store(node.index), iter=node.iterable,
                                       body=body or [ast.Pass()], orelse=[])
                    else:
                        loop = ast.While(test=node.test, body=body or [ast.Pass()], orelse=[])
                    out.append(loop)
                    out.extend(self.push(key))
        return out


def _list_homes(body):
    """List name -> the innermost branch block (of an if outside loops) that holds every
    statement making or using the list, for lists that have one: its adjoint list is made
    where that branch is reversed (the list does not exist on the other paths)."""
    chains = {}   # name -> the branch blocks around every statement using it

    def visit(stmts, chain):
        for s in stmts:
            for name in _statement_names(s):
                known = chains.get(name)
                if known is None:
                    chains[name] = chain
                else:
                    common = 0
                    while common < min(len(known), len(chain)) \
                            and known[common] is chain[common]:
                        common += 1
                    chains[name] = known[:common]
            if isinstance(s, ir.If):
                visit(s.body, chain + (s.body,))
                visit(s.orelse, chain + (s.orelse,))
            elif isinstance(s, ir.Loop):
                visit(s.body, chain + (None,))   # (not a home: cut the chain here)

    visit(body, ())
    homes = {}
    for name, chain in chains.items():
        if None in chain:
            chain = chain[:chain.index(None)]
        if chain:
            homes[name] = chain[-1]
    return homes


def _statement_names(s):
    """Names an IR statement reads or assigns itself (not in the blocks it contains)."""
    found = ir.own_reads(s)
    if not ir.children(s):
        found |= ir.defined_names(s)
    for attr in ("target", "source"):
        if isinstance(getattr(s, attr, None), str):
            found.add(getattr(s, attr))
    return found


def _pop_targets(names):
    """``a = stack.pop()`` or ``a, b = stack.pop()``: the targets restoring ``names``."""
    return [ir.store(names[0]) if len(names) == 1 else
            ast.Tuple(elts=[ir.store(n) for n in names], ctx=ast.Store())]


_MAKES_NEW = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.MatMult)
_READS_ONLY = {"sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "dot",
               "matmul", "inner", "outer", "tensordot", "einsum", "trace", "cumsum", "cumprod"}


def _owned_arrays(fn, aliases):
    """Forward names whose arrays no other value shares: each made once, by arithmetic or a
    NumPy ufunc (a new array), and read only by arithmetic, ufuncs and reductions (never
    viewed, listed, copied, kept as written or returned)."""
    np_name = aliases["np"]

    def numpy_call(expr, names=None):
        return isinstance(expr, ast.Call) and not expr.keywords \
            and isinstance(expr.func, ast.Attribute) and isinstance(expr.func.value, ast.Name) \
            and expr.func.value.id == np_name and (
                isinstance(getattr(np, expr.func.attr, None), np.ufunc)
                or names is not None and expr.func.attr in names)

    def makes_new(expr):
        return isinstance(expr, ast.BinOp) and isinstance(expr.op, _MAKES_NEW) \
            or isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub) \
            or numpy_call(expr)

    counts, made, shared = defaultdict(int), set(), set()
    for s in ir.walk(fn.body):
        if isinstance(s, ir.Op):
            counts[s.target] += 1
            if makes_new(s.expr):
                made.add(s.target)
            if not (makes_new(s.expr) or numpy_call(s.expr, _READS_ONLY)
                    or isinstance(s.expr, ast.Compare)):
                shared |= set(s.input_names)
        else:   # anything else may keep a reference (a list, a copy, a view)
            shared |= ir.own_reads(s)
            for name in s.defines if isinstance(s, ir.Keep) else [getattr(s, "target", None)]:
                counts[name] += 1
    return {n for n in made if counts[n] == 1 and n not in shared}


def _same_shape(fn):
    """Forward names whose value has the shape (and kind) of another name's: ``y = x ** 2``,
    ``y = np.exp(x)``, an elementwise op of one name and numbers. Both assigned once."""
    counts, same = defaultdict(int), {}
    for s in ir.walk(fn.body):
        for name in ([s.target] if isinstance(s, (ir.Op, ir.Carry, ir.ListGet)) else
                     s.defines if isinstance(s, ir.Keep) else []):
            counts[name] += 1
        if isinstance(s, ir.Op) and s.rule.shape.elementwise:
            names = [e for e in s.inputs if not (isinstance(e, ast.Constant)
                                                 and type(e.value) in (int, float))]
            if len(names) == 1 and isinstance(names[0], ast.Name):
                same[s.target] = names[0].id
    return {y: x for y, x in same.items() if counts[y] == 1 and counts[x] <= 1}


def _after(stmts, target):
    """The backward statements that run after ``target`` (None if it is not in ``stmts``)."""
    for i, s in enumerate(stmts):
        if s is target:
            return stmts[i + 1:]
        for field in ("body", "orelse"):
            inner = getattr(s, field, None) or []
            found = _after(inner, target)
            if found is not None:
                rest = stmts[i + 1:]
                if isinstance(s, ast.For):  # later iterations run the loop body again
                    rest = inner + rest
                return found + rest
    return None


def _scatter(term, aliases, ndim_of):
    """(index, value) when ``term`` is ``getitem_bar(value, x, index)`` with a plain index
    (ints and slices), which can be added in place: ``x_bar[index] += value``."""
    if not (isinstance(term, ast.Call) and isinstance(term.func, ast.Name)
            and term.func.id == aliases["getitem_bar"] and len(term.args) == 3):
        return None
    value, _, index = term.args
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    for p in parts:
        if isinstance(p, ast.Call) and isinstance(p.func, ast.Name) and p.func.id == aliases["slice"]:
            continue
        if isinstance(p, ast.Constant) and type(p.value) is int:
            continue
        if isinstance(p, ast.Name) and ndim_of(p) == 0:
            continue
        return None
    return _slice_syntax(index, aliases), value


def _slice_syntax(index, aliases):
    """``slice(a, b)`` calls back into subscript syntax ``a:b``."""
    def one(p):
        if isinstance(p, ast.Call) and isinstance(p.func, ast.Name) and p.func.id == aliases["slice"]:
            args = list(p.args) + [None] * (3 - len(p.args))
            if len(p.args) == 1:
                args = [None, p.args[0], None]
            lower, upper, step = [None if isinstance(a, ast.Constant) and a.value is None else a
                                  for a in args]
            return ast.Slice(lower=lower, upper=upper, step=step)
        return p
    if isinstance(index, ast.Tuple):
        return ast.Tuple(elts=[one(p) for p in index.elts], ctx=ast.Load())
    return one(index)


def _forward_statement(s):
    if isinstance(s, ir.Keep):
        return s.stmt
    if isinstance(s, ir.Op):
        return ir.assign(s.target, s.expr)
    if isinstance(s, ir.ListNew):
        elts = list(s.elements)
        value = ast.Tuple(elts=elts, ctx=ast.Load()) if s.is_tuple else ast.List(elts=elts,
                                                                                 ctx=ast.Load())
        return ir.assign(s.target, value)
    if isinstance(s, ir.ListAppend):
        return ast.Expr(ir.call(ast.Attribute(value=ir.load(s.target), attr="append",
                                            ctx=ast.Load()), s.value))
    if isinstance(s, ir.ListGet) and s.pop:
        return ir.assign(s.target, ir.call(ast.Attribute(value=ir.load(s.source), attr="pop",
                                                       ctx=ast.Load())))
    if isinstance(s, ir.ListGet):
        return ir.assign(s.target, ast.Subscript(value=ir.load(s.source), slice=s.index,
                                                 ctx=ast.Load()))
    if isinstance(s, ir.ListAdd):
        return _add_to_item(s.target, s.index, s.value)
    raise AssertionError(s)


def _add_to_item(name, index, value):
    """``name[index] = name[index] + value``"""
    item = ast.Subscript(value=ir.load(name), slice=index, ctx=ast.Load())
    return ast.Assign(targets=[ast.Subscript(value=ir.load(name), slice=index, ctx=ast.Store())],
                      value=ast.BinOp(left=item, op=ast.Add(), right=value))


def _without_statements(stmts, drop, replace=None):
    """``stmts`` without the statements whose ids are in ``drop`` (at any depth), and with
    those whose ids are keys of ``replace`` replaced by its lists of statements."""
    out = []
    replace = replace or {}
    for s in stmts:
        if id(s) in drop:
            continue
        if id(s) in replace:
            out.extend(replace[id(s)])
            continue
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and inner:
                setattr(s, field, _without_statements(inner, drop, replace) or
                        ([ast.Pass()] if field == "body" else []))
        out.append(s)
    return out


def _reads_outside_own_loops(stmts, bound=frozenset()):
    """Names read in backward code, except a reversed loop's index read inside that loop
    (the reversed loop makes it)."""
    found = set()
    for s in stmts:
        if isinstance(s, ast.For):
            found |= ir.names_read(s.iter) - bound
            inner = bound | ({s.target.id} if isinstance(s.target, ast.Name) else set())
            found |= _reads_outside_own_loops(s.body, inner)
        elif isinstance(s, ast.If):
            found |= ir.names_read(s.test) - bound
            found |= _reads_outside_own_loops(s.body, bound)
            found |= _reads_outside_own_loops(s.orelse, bound)
        else:
            found |= ir.names_read(s) - bound
    return found


def _fresh_value(value, aliases):
    """Whether an expression evaluates to a new array nothing else refers to."""
    if _is_unbroadcast(value, aliases):  # returns its argument, or a new sum of it
        return _fresh_value(value.args[0], aliases)
    return not _may_alias(value, aliases)


def _is_unbroadcast(value, aliases):
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
        and value.func.id == aliases["unbroadcast"]


def _root(value, aliases):
    """The adjoint variable a gradient expression may hand back unchanged: ``g`` for ``g``
    and for ``unbroadcast(g, x)`` (which returns g itself when nothing was broadcast)."""
    if isinstance(value, ast.Name):
        return value.id
    if _is_unbroadcast(value, aliases) and isinstance(value.args[0], ast.Name):
        return value.args[0].id
    return None


_VIEWS = {"unbroadcast", "unreduce", "transpose_bar"}
_NUMPY_VIEWS = {"broadcast_to", "transpose", "expand_dims", "reshape", "swapaxes", "ravel",
                "moveaxis", "flip", "squeeze", "diag", "diagonal"}


def _may_alias(value, aliases):
    """Whether a gradient expression may evaluate to a view or to another variable's array,
    which must not be handed to the caller (they could write into it)."""
    if isinstance(value, (ast.Name, ast.Subscript)):
        return True
    if isinstance(value, ast.Attribute):
        return value.attr == "T"
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Name):
            return func.id in {aliases[h] for h in _VIEWS}
        if isinstance(func, ast.Attribute):
            return func.attr in _NUMPY_VIEWS
    return False
