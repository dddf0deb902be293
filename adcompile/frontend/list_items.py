"""The items of lists of values being differentiated: ``target = base[index]`` (for any
operand: ``emit_index``), a slice of a list (a new list of its items), an item replaced
(``xs[i] = v``, ``xs[i] op= v``) and, in gradient code, added to (``xs[i] = xs[i] + v``).
An item of a list of lists is a list. Part of ``normalize.Normalizer``; making lists and
appending to them is lists.py's.
"""

import ast
import operator

from .. import ir, runtime
from .syntax import Ready, has_call, index_expression, is_trivial


class ListItems:
    """Part of ``normalize.Normalizer``: items of lists of values being differentiated."""

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
            name = self.emit(target, expr, node, getitem, [base, index_expression(index)], {})
            if isinstance(index, ast.Slice) and isinstance(base, ast.Name) \
                    and base.id in self.out.sequences:
                self.out.sequences.add(name)   # (a slice of a list a rule gave is a list)
            return ir.load(name)
        target = self.named(target)
        self.out.body.append(ir.Keep(ir.assign(target, expr), [target], pure=True))
        return ir.load(target)

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

    def set_list_item(self, name, index, value, stmt):
        """``name[index] = value`` on the list of values being differentiated ``name`` (a
        generated name): the item replaced is read first (its shape makes its adjoint). For
        ``name[index] op= v`` (``stmt``), Python changes an array item in place: the new
        item is ``old op v``, recorded as a rebinding of ``old`` (see analysis/rebindings.py)."""
        if isinstance(index, ast.Slice) or isinstance(index, ast.Tuple) and any(
                isinstance(p, ast.Slice) for p in index.elts):
            raise self.scope.src.error(stmt, "assigning to a slice of a list of values being "
                                             "differentiated is not supported; assign its "
                                             "items one by one")
        index = self.rename(index)
        if not is_trivial(index):
            index = ir.load(self._bind(index))
        old = self.namer.temp()
        self.out.varied_ssa.add(old)
        self.out.body.append(ir.ListGet(old, name, index, stmt))
        rebinding = None
        if isinstance(stmt, ast.AugAssign):
            # (``value`` is ``name[index] op v`` desugared, its structures' items resolved)
            self._require_sole_item(name, index, stmt)
            right = value.right if isinstance(value, ast.BinOp) else stmt.value
            new = ast.copy_location(ast.BinOp(left=Ready(ir.load(old)), op=stmt.op,
                                              right=right), stmt)
            value = ir.load(self.emit_value(None, new, node=stmt))
            rebinding = ir.Rebinding(self.out.body[-1], (self.scope.src, stmt))
            self.out.rebindings.append(rebinding)
        self.out.body.append(ir.ListSet(name, index, self.operand(value), old, stmt))
        if rebinding is not None:
            rebinding.holder = self.out.body[-1]

    def _require_sole_item(self, name, index, stmt):
        """Before ``xs[i] op= v`` on the list ``name``: ``require_sole_item(xs, i,
        "file:line:col: xs[i] op= v")``, a TypeError when the code runs where another item
        of the list is the array changed in place (or a view of it), which Python's list
        would show changed and the new item computed here would not."""
        check = ast.Call(func=ir.load(self.runtime_name(runtime.require_sole_item)),
                         args=[ir.load(name), ir.copy_tree(index),
                               ast.Constant(self.scope.src.where(stmt))], keywords=[])
        self.out.body.append(ir.Keep(ast.Expr(check), [], pure=False))

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
            index = ir.load(self._bind(index))
        self.out.body.append(ir.ListAdd(self.scope.env[base.id], index,
                                        self.operand(value.right), stmt))
        return True
