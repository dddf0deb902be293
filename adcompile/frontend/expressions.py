"""Expressions in A-normal form: an active expression becomes one primitive per statement.

``operand`` turns a user expression into something a primitive can take (a
generated name, or a trivial inactive expression); ``emit_value`` emits one
primitive for an active expression, flattening its operands first; ``emit``
appends the ``ir.Op`` and refuses a value being differentiated where the
rule has no adjoint (default deny). Part of ``normalize.Normalizer``.
"""

import ast
import copy

from .. import ir
from ..runtime import stop_gradient
from .functions import HOISTED
from .syntax import Deferred, Ready, index_expression, is_trivial, operator_named, symbol
from .hints import attribute_hint
from .list_facts import tuple_length
from .source import PLACE, mark_place
from .texts import TEXT_HINT, is_text

BINOPS = {
    ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "truediv", ast.Pow: "pow",
    ast.MatMult: "matmul", ast.FloorDiv: "floordiv", ast.Mod: "mod",
    ast.BitAnd: "and_", ast.BitOr: "or_", ast.BitXor: "xor",
    ast.LShift: "lshift", ast.RShift: "rshift",
}
UNARYOPS = {ast.USub: "neg", ast.UAdd: "pos", ast.Not: "not_", ast.Invert: "invert"}

#: what the error calls an expression that has no primitive of its own
UNSUPPORTED = {
    ast.IfExp: "a conditional expression (a if c else b) inside another expression",
    ast.BoolOp: "'and'/'or' on values being differentiated",
    ast.Tuple: "a tuple of values being differentiated",
    ast.List: "a list of values being differentiated",
    ast.Dict: "a dict of values being differentiated",
    ast.Set: "a set of values being differentiated",
    ast.JoinedStr: "an f-string of a value being differentiated",
    ast.Starred: "starred arguments",
}


class Expressions:
    """Part of ``normalize.Normalizer``: renaming and flattening expressions."""

    def rename(self, tree):
        """A copy of ``tree`` with user names replaced by their current versions, and each
        call of ``ad.stop_gradient`` calling it by the name ``stopped_name`` gives it."""
        self.refuse_local_uses(tree)
        tree = ir.copy_tree(tree)   # (as copy.deepcopy does, at a third of its cost)
        stops = [n for n in ir.walk_tree(tree) if isinstance(n, ast.Call)
                 and self.callee(n.func).is_(stop_gradient)]
        for node in ir.walk_tree(tree):   # len(layers) of a list of tuples: the length of a part
            if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords \
                    and self.struct_of(node.args[0]) is not None \
                    and self.callee(node.func).is_(len):
                node.args[0] = ir.load(self.struct_of(node.args[0]).lists[0])
        for node in ir.walk_tree(tree):
            if getattr(node, HOISTED, False):   # already in generated names
                continue
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) \
                    and self.struct_of(node) is not None:
                raise self.refuse_struct(node, node.id)
            if isinstance(node, ast.Name) and self.is_opaque_use(node):
                raise self.refuse_tree_use(node, node.id)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                if node.id in self.scope.env:
                    node.id = self.scope.env[node.id]
                elif node.id in self.scope.free_map:
                    node.id = self.scope.free_map[node.id]
        for call in stops:
            call.func = ir.load(self.stopped_name(call))
        return _without_ready(tree)

    def stopped_name(self, call):
        """The name generated code calls ``ad.stop_gradient`` by (one for the function, bound
        in ``extra_globals``), once ``call`` is checked to pass it one argument: the emitted
        code reads the argument itself (backend.emit.without_calls) unless it is to be
        differentiated again."""
        if len(call.args) != 1 or call.keywords or isinstance(call.args[0], ast.Starred):
            raise self.scope.src.error(call, "ad.stop_gradient takes exactly one argument, "
                                             "the value to treat as a constant; call it once "
                                             "per value")
        extra = self.out.extra_globals
        name = next((n for n, obj in extra.items() if obj is stop_gradient), None)
        if name is None:
            name = self.namer.fresh("stop_gradient")
            extra[name] = stop_gradient
        return name

    def operand(self, e):
        """An expression usable as a primitive's operand: a name or a trivial inactive
        expression."""
        if isinstance(e, Ready):
            return e.operand
        if isinstance(e, ast.BinOp) and self.varies(e):   # np.stack([x] * 3)
            e = self.repeated(e) or e
        if isinstance(e, (ast.List, ast.Tuple)) and self.varies(e):
            if tuple_length(e.elts):   # (f([[c, -s], [s, c]]), f([(a, b), (c, d)]))
                return ir.load(self.literal_of_literals(e))
            return self.sequence(frozenset(), e)
        if not self.varies(e):
            e = self.hoist_local_calls(e)
            pure, e = self.is_pure(e), self.rename(e)
            if is_trivial(e):
                return e
            name = self.namer.temp()
            self.out.body.append(ir.Keep(ir.assign(name, e), [name], pure=pure))
            return ir.load(name)
        if isinstance(e, ast.Name):
            if self.struct_of(e) is not None:
                raise self.refuse_struct(e, e.id)
            if self.is_opaque_use(e):
                raise self.refuse_tree_use(e, e.id)
            self.refuse_local_uses(e)
            return ir.load(self.scope.env.get(e.id, e.id))
        return ir.load(self.emit_value(None, e))

    def static(self, e):
        """The operand for a rule's static argument (a shape, an axis): never active."""
        if self.varies(e):
            raise self.scope.src.error(e, f"{ast.unparse(e)!r} is used as a shape, axis or "
                                          f"index but depends on the differentiated input")
        return self.operand(e)

    def named(self, target):
        """The generated name for ``target``: a fresh temporary for None, a ``Deferred``
        user variable's new name, or ``target`` itself."""
        if target is None:
            return self.namer.temp()
        return target() if isinstance(target, Deferred) else target

    def emit_value(self, target, e, node=None):
        """Emit ``target = e`` for an active expression ``e`` as one primitive; return the
        target.

        A ``target`` of None names a fresh temporary once the operands are flattened, so
        temporaries are numbered in the order they are computed."""
        node = node or e
        if isinstance(e, ast.Name):
            return self.emit_copy(target, self.operand(e), node)
        if isinstance(e, (ast.BinOp, ast.UnaryOp)):
            return self._emit_operator(target, e)
        if isinstance(e, ast.Call):
            return self.emit_call(target, e)
        if isinstance(e, ast.Attribute):
            rule = self.registry.by_attribute.get(e.attr)
            inputs = [self.operand(e.value)]   # (first: so.minimize(...).x is refused for
            if rule is None:                    # the call, which has no rule)
                raise self.scope.src.error(e, f"attribute .{e.attr} of a value being "
                                              f"differentiated is not supported",
                                           hint=attribute_hint(self.registry))
            expr = ast.Attribute(value=inputs[0], attr=e.attr, ctx=ast.Load())
            return self.emit(target, expr, e, rule=rule, inputs=inputs,
                             statics=self._defaults(rule, {}))
        if isinstance(e, ast.Subscript):
            return self._emit_subscript(target, e)
        hint = "; assign it to a variable first: y = a if c else b" \
            if isinstance(e, ast.IfExp) else TEXT_HINT if isinstance(e, ast.JoinedStr) \
            else ""
        raise self.scope.src.error(e, f"{UNSUPPORTED.get(type(e), type(e).__name__)} is not "
                                      f"supported{hint}")

    def _emit_operator(self, target, e):
        """``a op b`` or ``op a`` as the primitive of the operator."""
        if isinstance(e, ast.BinOp):
            if is_text(e):
                raise self.scope.src.error(e, "string formatting (%) of a value being "
                                              "differentiated is not supported" + TEXT_HINT)
            op = operator_named(BINOPS[type(e.op)])
            inputs = [self.operand(e.left), self.operand(e.right)]
            expr = ast.BinOp(left=inputs[0], op=e.op, right=inputs[1])
        else:
            op = operator_named(UNARYOPS[type(e.op)])
            inputs = [self.operand(e.operand)]
            expr = ast.UnaryOp(op=e.op, operand=inputs[0])
        return self.emit_rule(target, expr, op, inputs, {}, e,
                              describe=f"the operator {symbol(e.op)}")

    def _emit_subscript(self, target, e):
        """``value[index]``: an item of an array or list, of a list of tuples, or
        ``np.r_[a, b]``."""
        called = self.callee(e.value)
        if called.kind == "object" and self.registry.rule_for(called.what) is not None:
            return self.emit_joined(target, e)   # np.r_[a, b]
        if isinstance(e.value, ast.Subscript) \
                and self.struct_of(e.value.value) is not None:   # layers[i][1]
            parts = self.struct_item(e.value, e)
            j = e.slice.value if isinstance(e.slice, ast.Constant) else None
            if not isinstance(j, int) or not -len(parts) <= j < len(parts):
                raise self.refuse_struct(e, e.value.value.id)
            return self.emit_copy(target, parts[j], e)
        if self.struct_of(e.value) is not None:
            raise self.refuse_struct(e, e.value.id)   # the whole tuple layers[i]
        if self.varies(e.slice):
            raise self.scope.src.error(e.slice, "an index that depends on the differentiated "
                                                "input cannot be differentiated")
        base = self.operand(e.value)
        index = self.rename(e.slice)
        if not is_trivial(index):
            name = self.namer.temp()
            self.out.body.append(ir.Keep(ir.assign(name, index_expression(index)), [name],
                                         pure=self.is_pure(e.slice)))
            index = ir.load(name)
        return self.emit_index(target, base, index, e).id

    def emit_joined(self, target, e):
        """``np.r_[a, b, ...]`` or ``np.c_[...]``: a primitive of the list of the items."""
        rule = self.registry.rule_for(self.callee(e.value).what)
        items = e.slice.elts if isinstance(e.slice, ast.Tuple) else [e.slice]
        for item in items:
            if isinstance(item, (ast.Slice, ast.Starred)) or isinstance(item, ast.Constant) \
                    and isinstance(item.value, str):
                raise self.scope.src.error(item, f"{ast.unparse(e.value)}[...] with slices or "
                                                 f"string directives is not supported; list "
                                                 f"the arrays to join")
        joined = ast.Tuple(elts=[self.sequence_item(item) for item in items], ctx=ast.Load())
        expr = ast.Subscript(value=self.rename(e.value), slice=joined, ctx=ast.Load())
        return self.emit(target, expr, e, rule=rule, inputs=[joined], statics={})

    def emit_rule(self, target, expr, obj, inputs, statics, node, describe):
        """Emit ``expr``, an application of ``obj``, with its rule; a function with no
        derivative (np.sign) is kept as it is."""
        rule = self.registry.rule_for(obj)
        if rule is None:
            if self.registry.is_nondifferentiable(obj):
                target = self.named(target)
                self.out.body.append(ir.Keep(ir.assign(target, expr), [target], pure=True))
                return target
            raise self.scope.src.error(node, f"{describe} of a value being differentiated has "
                                             f"no adjoint rule")
        return self.emit(target, expr, node, rule=rule, inputs=inputs,
                         statics=self._defaults(rule, statics))

    def emit_copy(self, target, operand, node):
        """``target = operand`` as the copy primitive (its adjoint passes the bar on)."""
        return self.emit(target, operand, node, rule=self.registry.special["copy"],
                         inputs=[operand], statics={})

    def emit(self, target, expr, node, rule, inputs, statics):
        """Append ``target = expr``, an ``ir.Op`` of ``rule``; returns the target's name."""
        operator = isinstance(node, (ast.BinOp, ast.UnaryOp))
        for v, e in zip(rule.inputs, inputs):
            if operator and isinstance(e, ast.Name) and e.id in self.out.sequences:
                raise self.scope.src.error(node, f"{ast.unparse(node)!r} applies an operator to "
                                                 f"a list or tuple (what sorted, list, "
                                                 f"np.split, ... give), which Python "
                                                 f"concatenates or repeats; convert it with "
                                                 f"np.array(...) first, or index it")
            if isinstance(e, ast.Name) and e.id in self.out.lists and v not in rule.sequences:
                raise self.scope.src.error(node, f"{ast.unparse(node)!r} applies a primitive to "
                                                 f"a whole list of values being differentiated, "
                                                 f"which is not supported; index the list or "
                                                 f"loop over it")
            if v not in rule.differentiable_inputs and v not in rule.constant and (
                    self.is_varied_operand(e) or isinstance(e, (ast.List, ast.Tuple)) and any(
                        self.is_varied_operand(x) for x in e.elts)):
                # default deny: a value being differentiated where the rule has no adjoint
                raise self.scope.src.error(node, f"{ast.unparse(node)!r} gives a value being "
                                                 f"differentiated as argument {v!r}, which the "
                                                 f"rule {rule.describe()} does not "
                                                 f"differentiate")
        target = self.named(target)
        self.out.varied_ssa.add(target)
        copies = (self.registry.special["copy"], self.registry.by_method.get("copy"))
        if rule.shape.sequence or any(rule is c for c in copies) and any(
                isinstance(e, ast.Name) and e.id in self.out.sequences for e in inputs):
            self.out.sequences.add(target)   # (b = a or a.copy() of one: b is one too)
        if self.scope.callers and not hasattr(node, PLACE):   # (a node the walk made for an
            mark_place(node, self.scope.src, self.scope.callers,   # inlined function's code)
                       unmarked_only=True)
        self.out.body.append(ir.Op(target, expr, rule, inputs, statics, node))
        self.record_view(self.out.body[-1])   # (see views.py)
        return target

    @staticmethod
    def _defaults(rule, statics):
        """The rule's statics: its defaults, overridden by those given."""
        full = {s: copy.deepcopy(d) for s, d in rule.statics.items()}
        full.update(statics)
        return full


def _without_ready(tree):
    """``tree`` (renamed) with each operand already in generated names (``Ready``, which an
    expression a rewritten call builds may hold, rewritten_calls.py) in place of its
    wrapper: a copy of the operand, never renamed again."""
    if isinstance(tree, Ready):
        return ir.copy_tree(tree.operand)
    todo = [tree]
    while todo:
        node = todo.pop()
        for field, value in ast.iter_fields(node):
            if isinstance(value, Ready):
                setattr(node, field, ir.copy_tree(value.operand))
            elif isinstance(value, list):
                value[:] = [ir.copy_tree(v.operand) if isinstance(v, Ready) else v
                            for v in value]
                todo.extend(v for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST):
                todo.append(value)
    return tree
