"""The adjoints the reverse pass is building: the terms each variable's adjoint has
received so far, the adjoint variables made from them, and the adjoint lists of lists.

A term is an expression (``out_bar * s``) contributed by the reversed statement of a
use of the variable; ``define_bar`` sums the terms into ``v_bar`` when the reversed
sweep reaches the statement that assigned ``v`` (every use has contributed by then).
Loops and ifs ``materialize`` adjoints into variables that their reversed code
updates (``accumulate``). Everything is written in the form adcompile can differentiate
again, a new value for each update; where an adjoint's array is its own (``fresh``)
the in-place form (``x_bar += e``, ``x_bar[i] += g``) rides on the statement, and so do
the in-place forms of adjoint lists, for a later pass to choose (see forms.py).
"""

import ast
from collections import defaultdict

from .. import ir
from ..optimize import simplify, total
from . import forms
from .terms import fresh_value, scatter


class Adjoints:
    """Terms and adjoint variables of one reverse pass."""

    def __init__(self, fn, active, namer, aliases, ndim_of):
        self.fn = fn
        self.active = active       # names whose values depend on the wrt parameters
        self.namer = namer         # forms.Namers: the names of both forms
        self.aliases = aliases
        self.ndim_of = ndim_of
        self.pending = defaultdict(list)   # variable -> the terms of its adjoint so far
        self.owner = {}            # adjoint variable -> the variable it is the adjoint of
        # adjoint variables that, in the in-place form, hold arrays nothing else refers to
        self.fresh = set()
        self.passed_on = set()     # adjoints of copies (y = x.copy()): read only as x's term
        self.list_bar = {}         # list name -> its adjoint list
        self.branch_inits = {}     # id(branch block) -> adjoint lists made where it is reversed
        self.dynamic = set()       # lists loops pass on: adjoint lists found by identity
        self.list_bars = None      # the dict holding those (runtime.adjoint_list)
        self.looked_up = {}        # list -> (code, index) of its adjoint list's last lookup

    def new_bar(self, name, value, out):
        """Assign ``value`` to a new adjoint variable of ``name``."""
        bar = self.namer.bar(name)
        self.owner[bar] = name
        if fresh_value(value, self.aliases):
            self.fresh.add(bar)
        out.append(ir.assign(bar, value))
        return bar

    def new_sum(self, name, terms, value, out):
        """A new adjoint variable of ``name`` assigned ``value()``, the sum of ``terms``; in
        the in-place form, where one of them can hold the others (scatter_base), a copy of
        it (or it) to which the others are added in place."""
        base = self.scatter_base(terms)
        if base is None:
            return self.new_bar(name, value(), out)
        # in place: u_bar = v_bar.copy(); u_bar[1:] += g; ...: no arrays of zeros
        start = self.start(base, terms)
        bar = self.namer.bar(name)
        self.owner[bar] = name
        self.fresh.add(bar)
        in_place = [ir.assign(bar, start)]
        self.add_in_place(bar, [t for t in terms if t is not base], in_place)
        in_place = ir.copy_tree(in_place)   # (value() simplifies the terms, in place)
        out.append(forms.offer_array(ir.assign(bar, value()), in_place))
        return bar

    def define_bar(self, name, out):
        """The adjoint of ``name`` once all its terms are in: a name, or None if it has none."""
        terms = self.pending.pop(name, None)
        if not terms:
            return None
        if len(terms) == 1 and isinstance(terms[0], ast.Name):
            return terms[0].id
        return self.new_sum(name, terms, lambda: simplify(total(terms)), out)

    def scatter_base(self, terms):
        """Among ``terms`` with scatters into an index (``getitem_bar``), one that is a new
        array, or an adjoint array (which ``start`` copies: another adjoint may be the same
        one), to add the scatters into in place in the in-place form; else None."""
        if not any(scatter(t, self.aliases, self.ndim_of) for t in terms):
            return None
        for t in terms:
            if scatter(t, self.aliases, self.ndim_of) is not None:
                continue
            if isinstance(t, ast.Name) and t.id in self.fresh:
                return t
            if not isinstance(t, ast.Name) and fresh_value(t, self.aliases) \
                    and self.ndim_of(t) not in (None, 0):
                return t
        return None

    def start(self, base, terms):
        """The value an adjoint made from ``base``, one of its ``terms`` (see scatter_base),
        starts as: a copy of another adjoint's array, which may be referred to elsewhere,
        but not of the new array of a copy's adjoint (``v = u.copy()``: ``v_bar`` is read
        only as a term of ``u_bar``) that no other term, of this adjoint or another, reads;
        a new array itself."""
        others = [[t] for t in terms if t is not base] + list(self.pending.values())
        if isinstance(base, ast.Name) and not (
                base.id in self.passed_on and base.id in self.fresh
                and not any(base.id in ir.reads(t) for t in others)):
            return ir.call(ast.Attribute(value=base, attr="copy", ctx=ast.Load()))
        return base

    def materialize(self, name, out, zero=False, fresh=False):
        """Put the terms of ``name``'s adjoint so far into a variable that later code may
        reassign (or zero); ``fresh``: an array nothing else refers to, to update in place
        (in the in-place form: the differentiable form makes a new array)."""
        terms = self.pending.pop(name, None)
        if not terms and not zero:
            return None
        if terms and len(terms) == 1 and isinstance(terms[0], ast.Name):
            bar = terms[0].id
            reusable = self.owner.get(bar) == name and not any(
                bar in ir.reads(other) for other in self.pending.values())
            if reusable and not fresh:
                self.pending[name] = [ir.load(bar)]
                return bar
            if reusable and bar in self.fresh:
                # the in-place form goes on with bar's array; the differentiable form, with a
                # new one: x_bar_2 = zeros_like(x) + x_bar
                new = self.namer.differentiable_only(name, bar)
                self.owner[new] = name
                self.fresh.add(new)
                if bar in self.passed_on:
                    self.passed_on.add(new)
                value = ast.BinOp(left=self.zeros(name), op=ast.Add(), right=ir.load(bar))
                out.append(forms.offer_array(ir.assign(new, value), []))
                self.pending[name] = [ir.load(new)]
                return new
        if not terms:
            value = lambda: self.zeros(name)
        elif fresh:
            value = lambda: ast.BinOp(left=self.zeros(name), op=ast.Add(),
                                      right=simplify(total(terms)))
        else:
            value = lambda: simplify(total(terms))
        bar = self.new_sum(name, terms, value, out) if terms \
            else self.new_bar(name, value(), out)
        self.pending[name] = [ir.load(bar)]
        return bar

    def accumulate(self, bar, terms, out):
        """``bar = bar + terms``; in the in-place form, where ``bar`` holds an array of its
        own (``fresh``), added in place (a scatter into an index: ``bar[i] += g``)."""
        if not terms:
            return
        in_place = None
        if bar in self.fresh:
            in_place = []
            self.add_in_place(bar, ir.copy_tree(list(terms)), in_place)
        stmt = ir.assign(bar, simplify(total([ir.load(bar)] + list(terms))))
        out.append(stmt if in_place is None else forms.offer_array(stmt, in_place))

    def add_in_place(self, bar, terms, out):
        """``bar += terms``, ``bar[i] += g`` for the scatters among them (``bar`` holding an
        array of its own)."""
        rest = []
        for term in terms:
            indexed = scatter(term, self.aliases, self.ndim_of)
            if indexed is not None:
                index, value = indexed
                out.append(ast.AugAssign(target=ast.Subscript(value=ir.load(bar), slice=index,
                                                              ctx=ast.Store()),
                                         op=ast.Add(), value=value))
            else:
                rest.append(term)
        if rest:
            out.append(ast.AugAssign(target=ir.store(bar), op=ast.Add(),
                                     value=simplify(total(rest))))

    def add_in_loop(self, bar, terms, out, pairs):
        """Statements adding a reversed iteration's ``terms`` into ``bar``, into ``out``.
        Outer products among them (``np.outer(u, v)``) have a second form (forms.py): their
        vectors collected in list ``pairs()``, to be multiplied once after the loop."""
        outers = [t for t in terms if _is_outer(t, self.aliases)]
        if not outers:
            self.accumulate(bar, terms, out)
            return
        name = pairs()
        differentiable, in_place = [], [
            _append(name, ast.Tuple(elts=ir.copy_tree(list(t.args)), ctx=ast.Load()))
            for t in outers]
        rest = [ir.copy_tree(t) for t in terms if not _is_outer(t, self.aliases)]
        if rest:
            self.accumulate(bar, rest, in_place)
        self.accumulate(bar, terms, differentiable)
        out.extend(forms.offer_block(differentiable, in_place))

    def sum_outers(self, bar, pairs, pre, post):
        """The in-place form's list ``pairs`` of outer products' vectors (see add_in_loop),
        made empty before the loop, summed into ``bar`` after it."""
        pre.extend(forms.offer_block([], [ir.assign(pairs, ast.List(elts=[], ctx=ast.Load()))]))
        after = []
        self.accumulate(bar, [ir.call(self.aliases["outer_sum"], ir.load(pairs))], after)
        post.extend(forms.offer_block([], after))

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
            if self.ndim_of(sequence) is None:
                # maybe a list or tuple a primitive gave (np.split's): its pieces in an object
                # array, which adds to the value's other adjoints item by item
                term = ir.call(ir.load(self.aliases["parts"]), term)
            self.contribute(sequence.id, term)   # an array: the rule's helper gave an array
            return
        pieces = self.namer.fresh("pieces")
        out.append(ir.assign(pieces, term))
        if isinstance(sequence, ast.Name):   # a list: add into its adjoint list
            bar = self.list_bar_of(sequence.id, out)
            if sequence.id in getattr(self.fn, "holders", {}):
                # a list of lists (np.array(rows)): each piece goes into its row's adjoint list
                out.append(forms.in_place_only(
                    ast.Expr(ir.call(ir.load(self.aliases["add_nested_pieces"]),
                                     ir.load(self.list_bars), ir.load(sequence.id),
                                     ir.load(bar), ir.load(pieces))),
                    "derivatives of second order of a NumPy function of a list of lists are "
                    "not supported"))
                return
            # item by item, which adcompile differentiates:
            # for k in range(len(pieces)): hs_bar[k] = hs_bar[k] + pieces[k]
            k = self.namer.fresh("k")
            piece = ast.Subscript(value=ir.load(pieces), slice=ir.load(k), ctx=ast.Load())
            by_item = ast.For(target=ir.store(k),
                              iter=ir.call("range", ir.call("len", ir.load(pieces))),
                              body=[ir.add_to_item(bar, ir.load(k), piece)], orelse=[])
            # in place: add_pieces (into the list other names find by identity itself)
            added = ir.call(ir.load(self.aliases["add_pieces"]), ir.load(bar), ir.load(pieces))
            out.append(forms.offer(by_item, [
                ir.set_item(bar, ast.Slice(), added) if sequence.id in self.dynamic
                else ir.assign(bar, added)]))
            return
        for k, e in enumerate(sequence.elts):
            if isinstance(e, ast.Name) and e.id in self.active:
                self.contribute(e.id, ast.Subscript(value=ir.load(pieces), slice=ast.Constant(k),
                                                    ctx=ast.Load()))

    def make_list_bars(self, body):
        """The adjoint list of each list of active values: the statements making those made
        at the start of the backward sweep (the others: see branch_inits)."""
        init = []
        homes, self.dynamic = lists_by_identity(self.fn, self.active)
        lists = getattr(self.fn, "lists", set())
        if self.dynamic or getattr(self.fn, "holders", {}):
            self.list_bars = self.namer.fresh("list_bars")
            init.append(ir.assign(self.list_bars, ast.Dict(keys=[], values=[])))
            for name in sorted(self.dynamic):
                self.list_bar[name] = self.namer.bar(name)
        for s in ir.walk(body):
            if isinstance(s, ir.ListNew) and s.target in self.active \
                    or isinstance(s, ir.Op) and s.rule.name == "copy" and s.target in lists \
                    and s.target in self.active and s.target not in self.list_bar:
                if s.target in self.dynamic:
                    continue   # its adjoint list is looked up where it is used
                bar = self.list_bar[s.target] = self.namer.bar(s.target)
                home = homes.get(s.target)
                # a list made in a branch or a loop and only used there: its adjoint list is
                # made where that block is reversed (see _list_homes)
                made = init if home is None else self.branch_inits.setdefault(id(home), [])
                made.extend(self.new_list_bar(bar, s.target))
        return init

    def list_bar_of(self, name, out):
        """The name of list ``name``'s adjoint list; for a list loops pass on (``dynamic``)
        the statement looking it up by the list's identity goes into ``out`` first."""
        bar = self.list_bar[name]
        if name in self.dynamic:
            last = self.looked_up.get(name)   # (the same lookup just before: not again)
            if last is None or last[0] is not out or ir.assigns(out[last[1] + 1:]) & {name, bar}:
                out.append(ir.assign(bar, ir.call(ir.load(self.aliases["adjoint_list"]),
                                                  ir.load(self.list_bars), ir.load(name))))
                self.looked_up[name] = (out, len(out) - 1)
        return bar

    def new_list_bar(self, bar, name):
        """Statements making ``bar``, the adjoint list of list ``name``: a zero per item (and
        None where the list is None: unbound on some path in the user's code)."""
        item = self.namer.fresh("item")
        # a loop that appends, which adcompile differentiates (a comprehension it refuses):
        # hs_bar = [] / for item in hs: hs_bar.append(zeros_like(item)); in place, the
        # comprehension
        comprehension = ir.assign(bar, ast.ListComp(
            elt=self.zeros(item),
            generators=[ast.comprehension(target=ir.store(item), iter=ir.load(name),
                                          ifs=[], is_async=0)]))
        made = [forms.offer(ir.assign(bar, ast.List(elts=[], ctx=ast.Load())), [comprehension]),
                forms.offer(ast.For(target=ir.store(item), iter=ir.load(name), body=[
                    ast.Expr(ir.call(ast.Attribute(value=ir.load(bar), attr="append",
                                                   ctx=ast.Load()), self.zeros(item)))],
                    orelse=[]), [])]
        if name not in getattr(self.fn, "maybe_undefined", ()):
            return made
        unbound = ast.Compare(left=ir.load(name), ops=[ast.Is()], comparators=[ast.Constant(None)])
        return [ast.If(test=unbound, body=[ir.assign(bar, ast.Constant(None))], orelse=made)]

    def list_statement(self, s, out):
        """The backward statements of a list statement (ListGet, ListAppend, ListAdd,
        ListNew): its items' adjoints move between the list's adjoint list and the items'."""
        if isinstance(s, ir.ListGet) and s.pop:
            # the target's terms are used up here even when the list is not active (a
            # variable assigned on several paths may be active through another one)
            bar = self.define_bar(s.target, out) if s.target in self.active else None
            if s.source in self.list_bar:   # the item goes back, with its adjoint
                out.append(ast.Expr(ir.call(ast.Attribute(
                    value=ir.load(self.list_bar_of(s.source, out)), attr="append",
                    ctx=ast.Load()),
                    ir.load(bar) if bar is not None else self.zeros(s.target))))
        elif isinstance(s, ir.ListGet):
            if s.target in self.active:
                bar = self.define_bar(s.target, out)   # used up even if the list is not active
                if bar is not None and s.source in self.list_bar:
                    out.append(ir.add_to_item(self.list_bar_of(s.source, out), s.index,
                                              ir.load(bar)))
        elif isinstance(s, ir.ListAppend):
            if s.target in self.list_bar:
                pop = ir.call(ast.Attribute(value=ir.load(self.list_bar_of(s.target, out)),
                                            attr="pop",
                                          ctx=ast.Load()))
                if isinstance(s.value, ast.Name) and s.value.id in self.active \
                        and s.value.id not in self.list_bar:
                    bar = self.namer.bar(s.value.id)
                    out.append(ir.assign(bar, pop))
                    self.contribute(s.value.id, ir.load(bar))
                else:   # (a list appended: its adjoint list is found by identity)
                    out.append(ast.Expr(pop))
        elif isinstance(s, ir.ListAdd):
            # linear in the value: its adjoint is the item's adjoint, read now (the reverse
            # of an earlier read of the item replaces the item's adjoint in its list)
            if s.target in self.list_bar and isinstance(s.value, ast.Name) \
                    and s.value.id in self.active:
                bar = self.namer.bar(s.value.id)
                out.append(ir.assign(bar, ast.Subscript(
                    value=ir.load(self.list_bar_of(s.target, out)), slice=s.index,
                    ctx=ast.Load())))
                self.contribute(s.value.id, ir.load(bar))
        elif isinstance(s, ir.ListSet):
            # the item's adjoint is the value's; the item it replaced has none yet
            if s.target in self.list_bar:
                bar_list = self.list_bar_of(s.target, out)
                item = ast.Subscript(value=ir.load(bar_list), slice=s.index, ctx=ast.Load())
                if isinstance(s.value, ast.Name) and s.value.id in self.active \
                        and s.value.id not in self.list_bar:
                    bar = self.namer.bar(s.value.id)
                    out.append(ir.assign(bar, item))
                    self.contribute(s.value.id, ir.load(bar))
                out.append(ir.set_item(bar_list, s.index, self.zeros(s.old)))
        elif isinstance(s, ir.ListNew):
            items = [isinstance(e, ast.Name) and e.id in self.active
                     and e.id not in self.list_bar for e in s.elements]
            if s.target in self.list_bar and any(items):
                bar_list = self.list_bar_of(s.target, out)
                for i, e in enumerate(s.elements):
                    if items[i]:
                        self.contribute(e.id, ast.Subscript(
                            value=ir.load(bar_list), slice=ast.Constant(i), ctx=ast.Load()))


def lists_by_identity(fn, active):
    """(see _list_homes; the lists of values being differentiated whose adjoint lists are
    found by the list's identity, see _passed_between_iterations) of normalized ``fn``."""
    lists = getattr(fn, "lists", set())
    # (found once, where the function has lists)
    homes, made_in = _list_homes(fn.body) if lists else ({}, {})
    return homes, _passed_between_iterations(fn.body, made_in, homes, active, lists)


def refuse_second_order(fn, active):
    """A TransformError for code whose differentiable form adcompile cannot write: a list
    of values being differentiated that a loop passes on, or that another list holds
    (their adjoint lists are found by identity and updated in place)."""
    _, dynamic = lists_by_identity(fn, active)
    if dynamic:
        made = next(s for s in ir.walk(fn.body) if getattr(s, "target", None) in dynamic)
        raise _error(fn, made, "derivatives of second order of code with a list of values "
                               "being differentiated that a loop passes on (to the next "
                               "iteration or after the loop), or that another list holds, "
                               "are not supported")


def _is_outer(term, aliases):
    """Whether ``term`` is ``np.outer(u, v)`` (see Adjoints.add_in_loop)."""
    return isinstance(term, ast.Call) \
        and isinstance(term.func, ast.Attribute) and term.func.attr == "outer" \
        and isinstance(term.func.value, ast.Name) and term.func.value.id == aliases["np"] \
        and len(term.args) == 2 and not term.keywords


def _append(name, value):
    """``name.append(value)``"""
    return ast.Expr(ir.call(ast.Attribute(value=ir.load(name), attr="append", ctx=ast.Load()),
                            value))


def _list_homes(body):
    """(list name -> the innermost block, a branch of an if or a loop's body, that holds
    every statement making or using the list, for lists that have one: its adjoint list is
    made where that block is reversed, anew in each reversed iteration of a loop (the list
    does not exist on the other paths, and a list made in a loop is a new one each time);
    list name -> the loop bodies around the statement making it)."""
    chains, made_in = {}, {}   # name -> the blocks around every statement using it

    def visit(stmts, chain):
        for s in stmts:
            for name in ir.own_reads(s) | ir.own_assigns(s):
                known = chains.get(name)
                if known is None:
                    chains[name] = chain
                else:
                    common = 0
                    while common < min(len(known), len(chain)) \
                            and known[common] is chain[common]:
                        common += 1
                    chains[name] = known[:common]
            if isinstance(s, ir.ListNew):
                made_in[s.target] = [block for block, loop in chain if loop]
            if isinstance(s, ir.If):
                visit(s.body, chain + ((s.body, False),))
                visit(s.orelse, chain + ((s.orelse, False),))
            elif isinstance(s, ir.Loop):
                visit(s.body, chain + ((s.body, True),))

    visit(body, ())
    homes = {name: chain[-1][0] for name, chain in chains.items() if chain}
    return homes, made_in


def _is_list(e, lists):
    return isinstance(e, ast.Name) and e.id in lists


def _passed_between_iterations(body, made_in, homes, active, lists):
    """The lists of values being differentiated that a loop makes in one iteration and
    passes on to the next or to the code after it (``prev = cur``, ``row = []`` read
    after the loop), and the lists other lists hold (``rows.append(row)``, ``rows[i]``),
    with every name holding one of them on some path (loop variables, copies where an if
    joins): which list such a name holds is known only at run time, so their adjoint
    lists are found by the list's identity (``adjoint_list``)."""
    found = set()
    for s in ir.walk(body):
        # a list held by another list: found through either (rows[-1] is row)
        if isinstance(s, (ir.ListAppend, ir.ListSet)) and _is_list(s.value, lists):
            found.add(s.value.id)
        elif isinstance(s, ir.ListGet) and s.target in lists:
            found.add(s.target)
        elif isinstance(s, ir.ListNew):
            found |= {e.id for e in s.elements if _is_list(e, lists)}
        if isinstance(s, ir.ListNew):   # (a list of constants links the names it reaches)
            loops = made_in.get(s.target, [])
            if loops and (not _inside(homes.get(s.target), loops[-1])
                          or _outlives_iteration(s.target, loops[-1])):
                found.add(s.target)
    carries = [s for s in ir.walk(body) if isinstance(s, ir.Carry)]
    # a loop variable given another list than the one it held (prev = b in the loop)
    found |= {name for s in carries if s.target in lists and s.source in lists
              and s.target != s.source for name in (s.target, s.source)}
    if not found:
        return found
    links = [(s.target, s.source) for s in carries]
    links += [(s.target, s.inputs[0].id) for s in ir.walk(body)
              if isinstance(s, ir.Op) and s.rule.name == "copy"
              and isinstance(s.inputs[0], ast.Name)]
    changed = True
    while changed:
        changed = False
        for a, b in links:
            if (a in found) != (b in found):
                found |= {a, b}
                changed = True
    return found & active


def _outlives_iteration(name, body):
    """Whether list ``name``, made in the loop body ``body``, is carried to the next
    iteration or out of the loop (under ``name`` or a copy of it)."""
    names = {name}
    for s in ir.walk(body):
        if isinstance(s, ir.Op) and s.rule.name == "copy" and isinstance(s.inputs[0], ast.Name) \
                and s.inputs[0].id in names:
            names.add(s.target)
        if isinstance(s, ir.Carry) and s.source in names:
            return True
    return False


def _inside(block, outer):
    """Whether ``block`` is ``outer`` or a block nested in a statement of ``outer``."""
    if block is None:
        return False
    if block is outer:
        return True
    return any(block is b for s in ir.walk(outer) for b in ir.children(s))


def _error(fn, s, message):
    """A TransformError at the user's statement behind IR statement ``s``."""
    node = getattr(s, "node", None)
    return fn.source.error(node if node is not None else fn.source.node, message)
