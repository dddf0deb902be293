"""The adjoint lists of lists of values being differentiated: part of
``adjoints.Adjoints``.

Each such list has an adjoint list, one adjoint per item, made where its list is made
(or where the block holding every use of it is reversed), and list statements move
adjoints between it and the items' adjoint variables (``list_statement``). Where which
list a name holds is known only at run time (lists_by_identity.py), its adjoint list is
looked up by the list's identity (``list_bar_of``).
"""

import ast

from .. import ir
from . import forms
from .lists_by_identity import lists_by_identity


class AdjointLists:
    """Part of ``adjoints.Adjoints``: adjoint lists, and the pieces of an adjoint that is a
    list of adjoints (``contribute_pieces``)."""

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
                # made where that block is reversed (see lists_by_identity._list_homes)
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
