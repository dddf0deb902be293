"""The adjoints the reverse pass is building: the terms each variable's adjoint has
received so far, the adjoint variables made from them, and (adjoint_lists.py) the
adjoint lists of lists.

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
from .adjoint_lists import AdjointLists
from .terms import fresh_value, scatter


class Adjoints(AdjointLists):
    """Terms and adjoint variables of one reverse pass (adjoint lists: AdjointLists)."""

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
        # (the adjoint lists: see adjoint_lists.py)
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
