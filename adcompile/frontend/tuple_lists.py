"""Lists of tuples of values being differentiated, each kept as one list per position.

A list of k-tuples (``layers = [(W1, b1), (W2, b2)]``, or ``layers = []`` that only
ever gets k-tuples appended) is kept as k lists, one per position (``layers0 = [W1,
W2]``, ``layers1 = [b1, b2]``, a ``Struct``): iterated with a tuple target (``for W, b in
layers``, also under enumerate and zip, iteration.py), indexed and unpacked (``W, b =
layers[i]``, ``layers[i][1]``), appended to (also as ``layers = layers + [(W3, b3)]``)
and measured with ``len``, and sorted by one position (``sorted(pairs, key=lambda p:
p[0])``: ``sorted_pairs``). Any other use is refused (``refuse_struct``). Part of
``normalize.Normalizer``; which lists get k-tuples appended is list_facts.py's.
"""

import ast

from .. import ir, runtime
from .helper_loops import BY_POSITION
from .list_facts import Struct, tuple_length
from .syntax import is_trivial


class TupleLists:
    """Part of ``normalize.Normalizer``: lists of tuples of values being differentiated."""

    def new_struct(self, target, items, k, stmt):
        """``target = [(a1, b1), (a2, b2), ...]`` as k lists (``target`` None: a literal a loop
        iterates over); returns the handle of the whole."""
        if target is not None:
            self._refuse_new_in_loop(target, k, stmt)
        operands = [[self.operand(part) for part in item.elts] for item in items]
        handle = self.define(target) if target is not None else self.namer.temp()
        lists = []
        for j in range(k):
            name = self.namer.fresh(f"{target or 'items'}{j}")
            self.out.lists.add(name)
            self.out.varied_ssa.add(name)
            self.out.body.append(ir.ListNew(name, [parts[j] for parts in operands], stmt))
            lists.append(name)
        self.out.structs[handle] = Struct(lists)
        if target is not None:
            self.spell_positions(target, lists)
        return handle

    def bind_struct(self, target, struct, stmt):
        """User name ``target`` bound to the list of tuples ``struct``, whose lists ``stmt``
        made."""
        self._refuse_new_in_loop(target, len(struct.lists), stmt)
        self.out.structs[self.define(target)] = struct
        self.spell_positions(target, struct.lists)

    def spell_positions(self, target, lists):
        """Spell, for messages, the list of each position of the list of tuples the user
        calls ``target`` as the items it holds: ``layers[k][0]`` for ``layers0``."""
        for j, name in enumerate(lists):
            ir.spell(self.out.spellings, name, f"{target}[k][{j}]")

    def _refuse_new_in_loop(self, target, k, stmt):
        if any(target in carried for carried in self.scope.loops) \
                and not self._carried_struct(target, k):
            raise self.scope.src.error(stmt, f"{target!r} is given a new list of tuples of "
                                             f"values being differentiated in a loop, and read "
                                             f"in its next iteration or after it, which is not "
                                             f"supported; make the list before the loop and "
                                             f"append to it, or keep its items in variables")

    def _carried_struct(self, target, k):
        """Whether ``target``, given a new list of k-tuples in a loop, names one in every
        loop around (from before the loop): its k lists are then the loop's variables,
        which each iteration's exit copies the new lists to (control.exit_copies)."""
        for carried in self.scope.loops:
            held = self.out.structs.get(carried.get(target))
            if target in carried and (held is None or len(held.lists) != k):
                return False
        return True

    def struct_of(self, e):
        """The Struct a user expression names (a list of tuples), else None."""
        if isinstance(e, ast.Name):
            return self.out.structs.get(self.scope.env.get(e.id))
        return None

    def struct_item(self, value, stmt):
        """The operands of the items of ``layers[i]`` (``value``), a tuple of a list of tuples,
        or None when ``value`` is something else."""
        if not isinstance(value, ast.Subscript):
            return None
        struct = self.struct_of(value.value)
        if struct is None:
            return None
        if isinstance(value.slice, ast.Slice) or self.varies(value.slice):
            raise self.scope.src.error(value, "a list of tuples is indexed by an integer here: "
                                              "slicing it is not supported")
        index = self.rename(value.slice)
        if not is_trivial(index):
            index = ir.load(self._bind(index))
        return [self.emit_index(None, ir.load(c), index, stmt) for c in struct.lists]

    def sorted_pairs(self, value, name=None):
        """The ``Struct`` of ``sorted(pairs, key=lambda p: p[j])`` (``value``: the call of
        helper_loops.py's helper it became, marked ``BY_POSITION``) where ``pairs`` is a
        list of tuples of values being differentiated, its lists named after ``name``;
        else None. The positions are sorted by the items at position j, their gradient
        stopped (as for ``sorted(xs, key=f)`` of a list: the order is piecewise
        constant), then each of its lists is read in that order."""
        position = getattr(value, BY_POSITION, None) if isinstance(value, ast.Call) else None
        struct = self.struct_of(value.args[1]) if position is not None else None
        if struct is None:
            return None
        k = len(struct.lists)
        if not -k <= position < k:
            raise self.scope.src.error(value, f"the key reads item {position} of {k}-tuples, "
                                              f"which have none")
        if any(self.varies(a) for a in value.args[2:]):
            raise self.scope.src.error(value, "sorted(..., reverse=r) with r depending on "
                                              "the differentiated input is not supported")
        order = self._sorted_positions(struct.lists[position],
                                       [self.rename(a) for a in value.args[2:]], value)
        return Struct([self._read_in_order(c, order, f"{name or 'ranked'}{j}", value)
                       for j, c in enumerate(struct.lists)])

    def _sorted_positions(self, name, reverse, node):
        """The name of the positions of the list ``name`` in the order ``sorted`` puts its
        items (``reverse``: the expression of its ``reverse=``, or nothing), computed
        from the items with their gradient stopped."""
        keys, at, item, order = (self.namer.fresh("keys"), self.namer.fresh("i"),
                                 self.namer.temp(), self.namer.temp())
        self.out.body.append(ir.Keep(ir.assign(keys, ast.List(elts=[], ctx=ast.Load())),
                                     [keys]))
        saved, self.out.body = self.out.body, [ir.ListGet(item, name, ir.load(at), node)]
        self.out.varied_ssa.add(item)
        key = ast.Call(func=ir.load(self.runtime_name(runtime.stop_gradient)),
                       args=[ir.load(item)], keywords=[])
        self.out.body.append(ir.Keep(ast.Expr(ast.Call(   # (as the helper for a list does)
            func=ast.Attribute(value=ir.load(keys), attr="append", ctx=ast.Load()),
            args=[key], keywords=[])), [], pure=False))
        body, self.out.body = self.out.body, saved
        whole = ast.Call(func=ir.load("range"), args=[ast.Call(
            func=ir.load("len"), args=[ir.load(name)], keywords=[])], keywords=[])
        self.out.body.append(ir.Loop("for", body, node, index=at, iterable=whole))
        keywords = [ast.keyword(arg="key", value=ast.Attribute(
            value=ir.load(keys), attr="__getitem__", ctx=ast.Load()))] + [
            ast.keyword(arg="reverse", value=r) for r in reverse]
        self.out.body.append(ir.Keep(ir.assign(order, ast.Call(
            func=ir.load("sorted"), args=[ast.Call(func=ir.load("range"), args=[ast.Call(
                func=ir.load("len"), args=[ir.load(keys)], keywords=[])], keywords=[])],
            keywords=keywords)), [order]))
        return order

    def _read_in_order(self, name, order, base, node):
        """A new list (named after ``base``) of the items of the list ``name`` at the
        positions ``order`` names."""
        target, item, k = self.namer.fresh(base), self.namer.temp(), self.namer.fresh("k")
        for made in (target, item):
            self.out.varied_ssa.add(made)
        self.out.lists.add(target)
        self.out.body.append(ir.ListNew(target, [], node))
        self.out.body.append(ir.Loop("for", [ir.ListGet(item, name, ir.load(k), node),
                                             ir.ListAppend(target, ir.load(item), node)],
                                     node, index=k, iterable=ir.load(order)))
        return target

    def refuse_struct(self, node, name):
        """The error for a use of a list of tuples that is not supported."""
        return self.scope.src.error(node, f"{name!r} is a list of tuples of values being "
                                          f"differentiated: it can be iterated with a tuple target "
                                          f"(for a, b in {name}), indexed and unpacked "
                                          f"(a, b = {name}[i]), appended to and given to len(); "
                                          f"other uses are not supported yet")

    def append_tuple(self, struct, stmt):
        """``xs.append((a, b))`` on a list of k-tuples ``xs`` (its ``struct``): an item
        appended to each of its k lists."""
        base = stmt.value.func.value
        item = stmt.value.args[0] if len(stmt.value.args) == 1 else None
        if stmt.value.keywords or not isinstance(item, (ast.Tuple, ast.List)) \
                or tuple_length([item]) != len(struct.lists):
            raise self.refuse_struct(stmt, base.id)
        parts = [self.operand(p) for p in item.elts]
        for c, part in zip(struct.lists, parts):
            self.out.body.append(ir.ListAppend(c, part, stmt))

    def concatenate(self, target, value, stmt):
        """``pr = pr + [(a, b), ...]`` (or ``pr + ((a, b),)``, ``pr += ...``) on a list of
        k-tuples ``pr``: Python makes a new list (or tuple), which differs from appending to
        the old one only for another name still holding the old one; no other name can
        (``_shared_by_another``), so it is compiled as appends. Returns whether ``value``
        was of that form."""
        if not (isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add)
                and isinstance(value.left, ast.Name) and value.left.id == target
                and isinstance(value.right, (ast.List, ast.Tuple))):
            return False
        struct = self.struct_of(value.left)
        if struct is None:
            return False
        items = value.right.elts
        if items and tuple_length(items) != len(struct.lists):
            raise self.refuse_struct(stmt, target)
        if self._shared_by_another(target):
            raise self.scope.src.error(stmt, f"{target!r} is a list of tuples of values being "
                                             f"differentiated that another name may hold too: "
                                             f"{target} = {target} + ... is supported only "
                                             f"where no other name is bound to {target}")
        parts = [[self.operand(p) for p in item.elts] for item in items]
        for part in parts:
            for c, p in zip(struct.lists, part):
                self.out.body.append(ir.ListAppend(c, p, stmt))
        return True

    def _shared_by_another(self, name):
        """Whether another user name may hold the list user name ``name`` holds: one bound
        to it now, or an assignment anywhere in the function of ``name`` itself (``q =
        name``: the same list under another name) or of a display holding it."""
        handle = self.scope.env.get(name)
        if any(g == handle and n != name for n, g in self.scope.env.items()):
            return True
        for node in ast.walk(self.scope.src.node):
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.NamedExpr)):
                value = node.value
                parts = value.elts if isinstance(value, (ast.Tuple, ast.List)) else [value]
                if any(isinstance(p, ast.Name) and p.id == name for p in parts):
                    return True
        return False
