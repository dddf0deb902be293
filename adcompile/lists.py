"""Normalizing lists of values being differentiated: [a, b], append, and indexing them.

Part of ``normalize.Normalizer``.
"""

import ast
import operator

from . import ir
from .syntax import Deferred, has_call, index_expression, is_trivial


class Lists:

    def new_list(self, target, value, stmt):
        if self.loop_depth:
            raise self.src.error(stmt, "a list of values being differentiated must be created "
                                       "outside loops (create it before the loop, append inside)")
        elements = [self.operand(e) for e in value.elts]
        name = self.define(target)
        self.lists.add(name)
        self.varied_ssa.add(name)
        self.body.append(ir.ListNew(name, elements, stmt, isinstance(value, ast.Tuple)))
        return name

    def append(self, stmt):
        base = stmt.value.func.value
        name = self.env.get(base.id) if isinstance(base, ast.Name) else None
        if name not in self.lists:
            raise self.src.error(stmt, f"{ast.unparse(base)}.append(...) of a value being "
                                       f"differentiated needs {ast.unparse(base)} to be a list "
                                       f"made in this function ([] or [a, b])")
        if len(stmt.value.args) != 1 or stmt.value.keywords:
            raise self.src.error(stmt, "append takes one argument")
        self.body.append(ir.ListAppend(name, self.operand(stmt.value.args[0]), stmt))

    def pop(self, target, value, stmt):
        """``target = name.pop()`` on a list of values being differentiated (``target``
        None: ``name.pop()`` as a statement, the item dropped)."""
        if value.args or value.keywords:
            raise self.src.error(stmt, "only pop() of the last item of a list of values being "
                                       "differentiated is supported")
        source = self.env[value.func.value.id]
        name = self.define(target) if target is not None else self.namer.temp()
        self.varied_ssa.add(name)
        self.body.append(ir.ListGet(name, source, ast.Constant(-1), stmt, pop=True))

    def add_to_item(self, target, value, stmt):
        """``xs[i] = xs[i] + v`` as ``ir.ListAdd``, in generated code only: it is how gradient
        code adds the adjoint of an item read into the list's adjoint list, and there ``v``
        has the item's shape (in user code ``v`` could broadcast the item to a new shape,
        which ListAdd does not model). Returns whether ``stmt`` was of that form."""
        base, index = target.value, target.slice
        if not (self.src.generated and isinstance(base, ast.Name)
                and self.env.get(base.id) in self.lists
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
            self.body.append(ir.Keep(ir.assign(name, index), [name]))
            index = ir.load(name)
        self.body.append(ir.ListAdd(self.env[base.id], index, self.operand(value.right), stmt))
        return True

    def emit_index(self, target, base, index, node):
        """``target = base[index]`` for operand ``base`` (a list, an array or an inactive value)."""
        if isinstance(base, ast.Name) and base.id in self.lists:
            if isinstance(index, ast.Slice):
                raise self.src.error(node, "slicing a list of values being differentiated is "
                                           "not supported")
            target = target() if isinstance(target, Deferred) else target or self.namer.temp()
            self.varied_ssa.add(target)
            self.body.append(ir.ListGet(target, base.id, index, node))
            return ir.load(target)
        expr = ast.Subscript(value=base, slice=index, ctx=ast.Load())
        if self.is_active_operand(base):
            getitem = self.registry.rule_for(operator.getitem)
            return ir.load(self.emit(target, expr, node, getitem,
                                     [base, index_expression(index)], {}))
        target = target() if isinstance(target, Deferred) else target or self.namer.temp()
        self.body.append(ir.Keep(ir.assign(target, expr), [target], pure=True))
        return ir.load(target)
