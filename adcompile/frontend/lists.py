"""Normalizing lists of values being differentiated: [a, b], append, pop, and indexing
them (an item read, replaced or added to, a slice).

A list of lists (``rows = [[a, b]]``, ``rows.append([c, d])``) holds lists (``out.holders``:
how deep); a list of tuples is kept as one list per position (tuple_lists.py). Part of
``normalize.Normalizer``; what it needs to know of the function before it starts is
list_facts.py's.
"""

import ast
import operator

from .. import ir, runtime
from .list_facts import tuple_length
from .syntax import Ready, has_call, index_expression, is_trivial


class Lists:
    """Part of ``normalize.Normalizer``: lists of values being differentiated."""

    def new_list(self, target, value, stmt):
        """``target = [a, b, ...]`` (or a tuple) of values being differentiated."""
        k = tuple_length(value.elts) if value.elts else self.scope.tuple_appends.get(target)
        if k and target not in self.scope.list_appends:
            return self.new_struct(target, value.elts, k, stmt)
        for e in value.elts:
            if isinstance(e, (ast.List, ast.Tuple)) and self.varies(e) \
                    and not (isinstance(e, ast.List) and target in self.scope.list_appends):
                raise self.scope.src.error(e, "a list holding both tuples (or lists) and other "
                                              "values, or tuples of different lengths, is not "
                                              "supported; make every item a tuple of the same "
                                              "length")
        elements = [self.operand(e) for e in value.elts]
        held = [isinstance(e, ast.Name) and e.id in self.out.lists for e in elements]
        if any(held) and not all(held):
            raise self.scope.src.error(value, "a list holding both lists and other values "
                                              "being differentiated is not supported")
        name = self.define(target)
        self.out.lists.add(name)
        if target in self.scope.list_appends or any(held):
            self.out.holders[name] = max([self.scope.list_appends.get(target, 1)] + [
                1 + self.out.holders.get(e.id, 0) for e, h in zip(elements, held) if h])
        self.out.varied_ssa.add(name)
        self.out.body.append(ir.ListNew(name, elements, stmt, isinstance(value, ast.Tuple)))
        return name

    def append(self, stmt):
        """``xs.append(value)`` on a list of values being differentiated."""
        base = stmt.value.func.value
        struct = self.struct_of(base)
        if struct is not None:
            return self.append_tuple(struct, stmt)
        name = self.scope.env.get(base.id) if isinstance(base, ast.Name) else None
        if name not in self.out.lists:
            raise self.scope.src.error(stmt, f"{ast.unparse(base)}.append(...) of a value being "
                                             f"differentiated needs {ast.unparse(base)} to be a "
                                             f"list made in this function ([] or [a, b])")
        if len(stmt.value.args) != 1 or stmt.value.keywords:
            raise self.scope.src.error(stmt, "append takes one argument")
        item = stmt.value.args[0]
        if name in self.out.holders and isinstance(item, ast.List):   # rows.append([a, b])
            value = ir.load(self.namer.temp())
            elements = [self.operand(e) for e in item.elts]
            inner = [self.out.holders.get(e.id, 0) for e in elements
                     if isinstance(e, ast.Name) and e.id in self.out.lists]
            if inner:
                self.out.holders[value.id] = 1 + max(inner)
            self.out.lists.add(value.id)
            self.out.varied_ssa.add(value.id)
            self.out.body.append(ir.ListNew(value.id, elements, item))
        else:
            value = self.operand(item)
        if isinstance(value, ast.Name) and value.id in self.out.lists \
                and name not in self.out.holders:
            raise self.scope.src.error(stmt, "appending a list (or tuple) of values being "
                                             "differentiated to a list that also holds other "
                                             "values is not supported (lists of lists are, and "
                                             "lists of tuples of the same length)")
        if name in self.out.holders and not (isinstance(value, ast.Name)
                                             and value.id in self.out.lists):
            raise self.scope.src.error(stmt, f"{ast.unparse(base)} is a list of lists: "
                                             f"appending something else to it is not supported")
        self.out.body.append(ir.ListAppend(name, value, stmt))

    def pop(self, target, value, stmt):
        """``target = name.pop()`` on a list of values being differentiated (``target``
        None: ``name.pop()`` as a statement, the item dropped)."""
        if value.args or value.keywords:
            raise self.scope.src.error(stmt, "only pop() of the last item of a list of values "
                                             "being differentiated is supported")
        source = self.scope.env[value.func.value.id]
        name = self.define(target) if target is not None else self.namer.temp()
        self.out.varied_ssa.add(name)
        self.out.body.append(ir.ListGet(name, source, ast.Constant(-1), stmt, pop=True))

    def set_list_item(self, name, index, value, stmt):
        """``name[index] = value`` on the list of values being differentiated ``name`` (a
        generated name): the item replaced is read first (its shape makes its adjoint). For
        ``name[index] op= v`` (``stmt``), Python changes an array item in place: the new
        item is ``old op v``, recorded as a rebinding of ``old`` (see aliasing)."""
        if isinstance(index, ast.Slice) or isinstance(index, ast.Tuple) and any(
                isinstance(p, ast.Slice) for p in index.elts):
            raise self.scope.src.error(stmt, "assigning to a slice of a list of values being "
                                             "differentiated is not supported; assign its "
                                             "items one by one")
        index = self.rename(index)
        if not is_trivial(index):
            bound = self.namer.temp()
            self.out.body.append(ir.Keep(ir.assign(bound, index), [bound]))
            index = ir.load(bound)
        old = self.namer.temp()
        self.out.varied_ssa.add(old)
        self.out.body.append(ir.ListGet(old, name, index, stmt))
        if isinstance(stmt, ast.AugAssign):
            # (``value`` is ``name[index] op v`` desugared, its structures' items resolved)
            right = value.right if isinstance(value, ast.BinOp) else stmt.value
            new = ast.copy_location(ast.BinOp(left=Ready(ir.load(old)), op=stmt.op,
                                              right=right), stmt)
            value = ir.load(self.emit_value(None, new, node=stmt))
            self.out.rebindings.append(ir.Rebinding(self.out.body[-1], (self.scope.src, stmt)))
        self.out.body.append(ir.ListSet(name, index, self.operand(value), old, stmt))

    def add_to_item(self, target, value, stmt):
        """``xs[i] = xs[i] + v`` as ``ir.ListAdd``, in generated code only: it is how gradient
        code adds the adjoint of an item read into the list's adjoint list, and there ``v``
        has the item's shape (in user code ``v`` could broadcast the item to a new shape,
        which ListAdd does not model). Returns whether ``stmt`` was of that form."""
        base, index = target.value, target.slice
        if not (self.scope.src.generated and isinstance(base, ast.Name)
                and self.scope.env.get(base.id) in self.out.lists
                and isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add)
                and isinstance(value.left, ast.Subscript)
                and isinstance(value.left.value, ast.Name) and value.left.value.id == base.id
                and ast.dump(value.left.slice) == ast.dump(index)
                and not isinstance(index, ast.Slice) and not has_call(index)
                and not self.varies(index)):
            return False
        index = self.rename(index)
        if not is_trivial(index):
            name = self.namer.temp()
            self.out.body.append(ir.Keep(ir.assign(name, index), [name]))
            index = ir.load(name)
        self.out.body.append(ir.ListAdd(self.scope.env[base.id], index,
                                        self.operand(value.right), stmt))
        return True

    def _sliced(self, target, name, index, node):
        """``target = name[a:b:c]`` on a list of values being differentiated: a new list of
        its items (the same values), made by a loop over the positions sliced (its reverse
        gives each item's adjoint back to the list's), as Python's slice makes it."""
        if any(p is not None and self.is_varied_operand(p)
               for p in (index.lower, index.upper, index.step)):
            raise self.scope.src.error(node, "slicing a list by bounds that depend on the "
                                             "differentiated input is not supported")
        target = self.named(target)
        item, k, positions = self.namer.temp(), self.namer.fresh("k"), self.namer.temp()
        for made in (target, item):
            self.out.varied_ssa.add(made)
        self.out.lists.add(target)
        if name in self.out.holders:   # (a slice of a list of lists holds lists)
            self.out.holders[target] = self.out.holders[name]
            self.out.lists.add(item)
            if self.out.holders[name] > 1:
                self.out.holders[item] = self.out.holders[name] - 1
        self.out.body.append(ir.ListNew(target, [], node))
        whole = ast.Call(func=ir.load("range"), args=[ast.Call(
            func=ir.load("len"), args=[ir.load(name)], keywords=[])], keywords=[])
        self.out.body.append(ir.Keep(ir.assign(positions, ast.Subscript(
            value=whole, slice=index, ctx=ast.Load())), [positions]))
        self.out.body.append(ir.Loop("for", [ir.ListGet(item, name, ir.load(k), node),
                                             ir.ListAppend(target, ir.load(item), node)],
                                     node, index=k, iterable=ir.load(positions)))
        return ir.load(target)

    def emit_index(self, target, base, index, node):
        """``target = base[index]`` for operand ``base`` (a list, an array or an inactive value)."""
        if isinstance(base, ast.Name) and base.id in self.out.lists:
            if isinstance(index, ast.Slice):
                return self._sliced(target, base.id, index, node)
            target = self.named(target)
            self.out.varied_ssa.add(target)
            if base.id in self.out.holders:   # an item of a list of lists: a list
                self.out.lists.add(target)
                if self.out.holders[base.id] > 1:
                    self.out.holders[target] = self.out.holders[base.id] - 1
            self.out.body.append(ir.ListGet(target, base.id, index, node))
            return ir.load(target)
        expr = ast.Subscript(value=base, slice=index, ctx=ast.Load())
        if self.is_varied_operand(base):
            getitem = self.registry.rule_for(operator.getitem)
            return ir.load(self.emit(target, expr, node, getitem,
                                     [base, index_expression(index)], {}))
        target = self.named(target)
        self.out.body.append(ir.Keep(ir.assign(target, expr), [target], pure=True))
        return ir.load(target)

    def walked_by_position(self, operand):
        """``operand`` (a name), which a loop reads by position (``s[i]`` at step i): as it
        is for a list of values being differentiated or a value being differentiated (an
        array), else what Python's for walks, ``runtime.iterated(s)`` (a dict's keys, not
        its values; a set's items)."""
        if not isinstance(operand, ast.Name) or operand.id in self.out.lists \
                or operand.id in self.out.varied_ssa:
            return operand
        walked = self.namer.temp()
        call = ast.Call(func=ir.load(self.runtime_name(runtime.iterated)), args=[operand],
                        keywords=[])
        self.out.body.append(ir.Keep(ir.assign(walked, call), [walked]))
        return ir.load(walked)
