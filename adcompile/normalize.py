"""Flatten a function into the normalized form of ``ir``: one primitive per statement.

Active expressions (those that depend on a differentiated parameter) are
split so that each assignment applies one primitive to names; every
assignment gets a name of its own (a variable assigned again becomes
``h_2``); inactive expressions stay as the user wrote them. Anything that
cannot be differentiated correctly is rejected here, with the user's
file:line:col.
"""

import ast
import copy
import operator

from . import ir
from .naming import Namer, names_in
from .rules import REGISTRY

# Constructs rejected wherever they appear in a differentiated function.
FORBIDDEN_EXPRESSIONS = {
    ast.Lambda: "a lambda",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.Yield: "yield",
    ast.YieldFrom: "yield from",
    ast.Await: "await",
    ast.NamedExpr: "an assignment expression (:=)",
}

STATEMENT_NAMES = {
    ast.If: "an if statement (branches are not supported yet)",
    ast.For: "a for loop (loops are not supported yet)",
    ast.While: "a while loop (loops are not supported yet)",
    ast.Break: "break",
    ast.Continue: "continue",
    ast.Try: "a try statement",
    ast.With: "a with statement",
    ast.AsyncWith: "an async with statement",
    ast.AsyncFor: "an async for loop",
    ast.Global: "a global declaration",
    ast.Nonlocal: "a nonlocal declaration",
    ast.ClassDef: "a class definition",
    ast.FunctionDef: "a function definition inside the differentiated function",
    ast.AsyncFunctionDef: "a function definition inside the differentiated function",
    ast.Delete: "del",
    ast.Import: "an import inside the differentiated function",
    ast.ImportFrom: "an import inside the differentiated function",
    ast.Raise: "raise",
}
if hasattr(ast, "Match"):
    STATEMENT_NAMES[ast.Match] = "a match statement"
if hasattr(ast, "TryStar"):
    STATEMENT_NAMES[ast.TryStar] = "a try statement"

# Operations that return a view of (or the same object as) their operand: an
# in-place update of one name would change the other behind the gradient's back.
VIEW_METHODS = {"T", "transpose", "reshape", "ravel", "swapaxes", "view", "squeeze"}

BINOPS = {
    ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "truediv", ast.Pow: "pow",
    ast.MatMult: "matmul", ast.FloorDiv: "floordiv", ast.Mod: "mod",
    ast.BitAnd: "and_", ast.BitOr: "or_", ast.BitXor: "xor",
    ast.LShift: "lshift", ast.RShift: "rshift",
}
UNARYOPS = {ast.USub: "neg", ast.UAdd: "pos", ast.Not: "not_", ast.Invert: "invert"}


def _operator(name):
    return getattr(operator, name)


def _is_trivial(e):
    """Cheap, side-effect-free expressions that may be repeated in the backward sweep."""
    if isinstance(e, (ast.Constant, ast.Name)):
        return True
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, (ast.USub, ast.UAdd)):
        return isinstance(e.operand, ast.Constant)
    if isinstance(e, ast.Attribute):
        return _is_trivial(e.value)
    if isinstance(e, ast.Subscript):
        return _is_trivial(e.value) and _is_trivial(e.slice)
    if isinstance(e, ast.Slice):
        return all(p is None or _is_trivial(p) for p in (e.lower, e.upper, e.step))
    if isinstance(e, ast.Tuple):
        return all(_is_trivial(p) for p in e.elts)
    return False


class Normalizer:
    def __init__(self, source, wrt, registry=REGISTRY):
        self.src = source
        self.registry = registry
        fn = source.node
        self.locals = set(source.params)
        for node in ast.walk(fn):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self.locals.add(node.id)
        if "out_bar" in source.params:
            raise source.error(fn, "a parameter named 'out_bar' clashes with the seed argument "
                                   "of generated gradients; rename it")
        self.namer = Namer(names_in(fn) | {"out_bar"})
        self.env = {p: p for p in source.params}
        self.body = []
        self.wrt = list(wrt)
        self._defined = set()
        self.varied_ssa = set(wrt)
        self.varied = self._varied_names(fn, set(wrt))
        self._alias_parent = {}

    # -- activity before renaming: which user names may depend on wrt -------

    def _varied_names(self, fn, varied):
        assigns = [n for n in ast.walk(fn) if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign))]
        changed = True
        while changed:
            changed = False
            for node in assigns:
                if node.value is None:
                    continue
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                varies = self.varies(node.value, varied)
                if isinstance(node, ast.AugAssign):
                    varies = varies or self.varies(node.target, varied)
                if varies:
                    for t in targets:
                        for n in ast.walk(t):
                            if isinstance(n, ast.Name) and n.id not in varied:
                                varied.add(n.id)
                                changed = True
        return varied

    def varies(self, e, varied=None):
        """Whether expression ``e`` (in user names) may depend on a differentiated input."""
        varied = self.varied if varied is None else varied
        if isinstance(e, ast.Name):
            return e.id in varied
        if isinstance(e, ast.Constant):
            return False
        if isinstance(e, ast.Compare) or (isinstance(e, ast.UnaryOp)
                                          and isinstance(e.op, (ast.Not, ast.Invert))):
            return False
        if isinstance(e, ast.Attribute):
            if e.attr in self.registry.nondiff_attributes:
                return False
            return self.varies(e.value, varied)
        if isinstance(e, ast.Subscript):
            return self.varies(e.value, varied)
        if isinstance(e, ast.Call):
            kind, what = self.callee(e.func)
            if kind == "object" and (self.registry.is_nondifferentiable(what)
                                     or self.registry.is_inert(what)):
                return False
            if kind == "method" and e.func.attr in self.registry.nondiff_methods:
                return False
            parts = list(e.args) + [k.value for k in e.keywords]
            if kind == "method":
                parts.append(e.func.value)
            return any(self.varies(p, varied) for p in parts)
        return any(self.varies(c, varied) for c in ast.iter_child_nodes(e)
                   if isinstance(c, ast.expr))

    def callee(self, func):
        """('object', obj) for a resolvable function, ('method', name) for ``value.name``,
        else ('unknown', description)."""
        if isinstance(func, ast.Name):
            if func.id in self.locals:
                return "unknown", func.id
            obj = self.src.resolve(func.id, None)
            return ("object", obj) if obj is not None else ("unknown", func.id)
        if isinstance(func, ast.Attribute):
            chain = []
            base = func
            while isinstance(base, ast.Attribute):
                chain.append(base.attr)
                base = base.value
            if isinstance(base, ast.Name) and base.id not in self.locals:
                obj = self.src.resolve(base.id, None)
                for attr in reversed(chain):
                    if obj is None:
                        break
                    obj = getattr(obj, attr, None)
                if obj is not None:
                    return "object", obj
                return "unknown", ast.unparse(func)
            return "method", func.attr
        return "unknown", ast.unparse(func)

    def check_call(self, e):
        """Reject a call that could read or change a value being differentiated without a rule,
        wherever it appears (also inside print(...) or len(...))."""
        kind, what = self.callee(e.func)
        args = list(e.args) + [k.value for k in e.keywords]
        if kind == "method":
            if not self.varies(e.func.value):
                return
            if what in self.registry.by_method or what in self.registry.nondiff_methods:
                return
            raise self.src.error(e, f"method .{what}() of a value being differentiated is not "
                                    f"supported (it has no adjoint rule, and it may change the "
                                    f"value in place)")
        if kind == "object" and (self.registry.rule_for(what) is not None
                                 or self.registry.is_nondifferentiable(what)
                                 or self.registry.is_inert(what)):
            return
        if not any(self.varies(a) for a in args):
            return
        if kind == "object":
            name = getattr(what, "__qualname__", None) or ast.unparse(e.func)
            raise self.src.error(e, f"call to {ast.unparse(e.func)!r} ({name}) cannot be "
                                    f"differentiated: it has no adjoint rule (register one with "
                                    f"ad.primitive)")
        raise self.src.error(e, f"call to unknown function {what!r} on a value being "
                                f"differentiated")

    # -- statements ----------------------------------------------------------

    def run(self):
        fn = self.src.node
        for node in ast.walk(fn):
            if node is not fn and type(node) in STATEMENT_NAMES:
                raise self.src.error(node, f"{STATEMENT_NAMES[type(node)]} cannot be differentiated")
            if type(node) in FORBIDDEN_EXPRESSIONS:
                raise self.src.error(node, f"{FORBIDDEN_EXPRESSIONS[type(node)]} cannot be "
                                           f"differentiated; write it as plain statements")
        for node in ast.walk(fn):
            if isinstance(node, ast.Call):
                self.check_call(node)
        statements = list(fn.body)
        if statements and isinstance(statements[0], ast.Expr) and isinstance(
                statements[0].value, ast.Constant) and isinstance(statements[0].value.value, str):
            statements = statements[1:]
        for i, stmt in enumerate(statements):
            if isinstance(stmt, ast.Return):
                if i != len(statements) - 1:
                    raise self.src.error(statements[i + 1], "unreachable code after return")
                return self._finish(stmt)
            self.statement(stmt)
        raise self.src.error(fn, f"function {fn.name!r} must end with a return statement "
                                 f"returning the value to differentiate")

    def _finish(self, ret):
        if ret.value is None:
            raise self.src.error(ret, "return without a value: nothing to differentiate")
        value = ret.value
        if isinstance(value, (ast.Tuple, ast.List)):
            outputs = [self.operand(e) for e in value.elts]
            tuple_output = True
        else:
            tuple_output = False
            if self.is_active(value) and not isinstance(value, ast.Name):
                target = self.namer.fresh("out")
                self.emit_value(target, value)
                outputs = [ir.load(target)]
            else:
                outputs = [self.operand(value)]
        return ir.NormalFunction(self.src, list(self.src.params), self.wrt, self.body,
                                 outputs, tuple_output, self.namer)

    def statement(self, stmt):
        if isinstance(stmt, ast.Pass):
            return
        if isinstance(stmt, ast.Expr):
            return self.expression_statement(stmt)
        if isinstance(stmt, ast.Assert):
            return self.keep(stmt, pure=False)
        if isinstance(stmt, ast.AnnAssign):
            if stmt.value is None:
                return
            stmt = ast.Assign(targets=[stmt.target], value=stmt.value,
                              lineno=stmt.lineno, col_offset=stmt.col_offset)
        if isinstance(stmt, ast.AugAssign):
            return self.augmented(stmt)
        if isinstance(stmt, ast.Assign):
            return self.assignment(stmt)
        raise self.src.error(stmt, f"a {type(stmt).__name__} statement cannot be differentiated")

    def expression_statement(self, stmt):
        e = stmt.value
        if isinstance(e, ast.Constant):
            return
        if isinstance(e, ast.Call):
            kind, what = self.callee(e.func)
            if kind == "object" and self.registry.is_inert(what):
                return self.keep(stmt, pure=False)
        if self.is_active(e):
            raise self.src.error(stmt, "an expression statement on a value being differentiated "
                                       "(it could change the value in place); assign its result")
        self.keep(stmt, pure=False)

    def keep(self, stmt, pure=True, defines=()):
        stmt = self.rename(stmt)
        self.body.append(ir.Keep(stmt, list(defines), pure))

    def augmented(self, stmt):
        target = stmt.target
        if not isinstance(target, ast.Name):
            if self.varies(_base(target)) or self.varies(stmt.value):
                raise self.src.error(stmt, f"in-place update of {ast.unparse(target)!r} "
                                           f"cannot be differentiated; build a new array instead")
            return self.keep(stmt, pure=False)
        if self._shares_memory(target.id):
            raise self.src.error(
                stmt, f"in-place update of {target.id!r}, which may share its array with another "
                      f"variable; write {target.id} = {target.id} {_symbol(stmt.op)} ...")
        value = ast.BinOp(left=ast.Name(id=target.id, ctx=ast.Load()), op=stmt.op,
                          right=stmt.value)
        ast.copy_location(value, stmt)
        self.assignment(ast.Assign(targets=[ast.Name(id=target.id, ctx=ast.Store())],
                                   value=value, lineno=stmt.lineno, col_offset=stmt.col_offset))

    def assignment(self, stmt):
        targets = stmt.targets
        if len(targets) > 1:  # a = b = value
            first = targets[0]
            self.assignment(ast.Assign(targets=[first], value=stmt.value,
                                       lineno=stmt.lineno, col_offset=stmt.col_offset))
            for t in targets[1:]:
                self.assignment(ast.Assign(targets=[t], value=copy.deepcopy(first),
                                           lineno=stmt.lineno, col_offset=stmt.col_offset))
            return
        target, value = targets[0], stmt.value
        for t in ast.walk(target):
            if isinstance(t, (ast.Subscript, ast.Attribute, ast.Starred)):
                what = {ast.Subscript: "item or slice assignment", ast.Attribute:
                        "attribute assignment", ast.Starred: "starred assignment"}[type(t)]
                if self.varies(value) or self.varies(_base(t)):
                    raise self.src.error(stmt, f"{what} ({ast.unparse(target)} = ...) "
                                               f"cannot be differentiated; build a new array")
                if not isinstance(target, ast.Name):
                    return self.keep(stmt, pure=False)
        if isinstance(target, ast.Name):
            self._note_alias(target.id, value)
            if not self.is_active(value):
                return self.keep_assignment(target.id, value)
            # the target is named only after the right-hand side is read: y = y + 1
            return self.emit_value(_Deferred(self.define, target.id), value, node=stmt)
        # tuple unpacking: a, b = value; (a, b), c = (x, y), z
        pairs = self._unpack(target, value, stmt)
        if pairs is None:
            return self.keep_tuple(target, value)
        operands = []  # every right-hand side is read before any name is assigned
        for name, part in pairs:
            if isinstance(part, ast.AST) and not isinstance(part, _Part):
                operands.append(self.operand(part))
            else:
                operands.append(part)
        for (name, source), operand in zip(pairs, operands):
            if isinstance(operand, _Part):
                operand = ir.load(self.emit(None, ast.Subscript(
                    value=operand.whole, slice=ast.Constant(operand.index), ctx=ast.Load()),
                    stmt, self.registry.rule_for(operator.getitem),
                    [operand.whole, ast.Constant(operand.index)], {}))
            self._note_alias(name, source if not isinstance(source, _Part) else None)
            if self.is_active_operand(operand):
                self.emit_copy(self.define(name), operand, stmt)
            else:
                self._keep_renamed(name, operand)

    def _unpack(self, target, value, stmt):
        """(name, value) pairs for a tuple assignment, or None if nothing in it is active."""
        if isinstance(target, ast.Name):
            return [(target.id, value)]
        if not isinstance(target, (ast.Tuple, ast.List)) or any(
                isinstance(t, ast.Starred) for t in target.elts):
            raise self.src.error(stmt, "starred assignment is not supported")
        if isinstance(value, (ast.Tuple, ast.List)):
            if len(value.elts) != len(target.elts):
                raise self.src.error(stmt, "tuple assignment with mismatched lengths")
            pairs = []
            for t, v in zip(target.elts, value.elts):
                inner = self._unpack(t, v, stmt)
                if inner is None:
                    inner = self._unpack_active(t, v, stmt)
                pairs.extend(inner)
            return pairs
        if not self.is_active(value):
            return None
        return self._unpack_active(target, value, stmt)

    def _unpack_active(self, target, value, stmt):
        """Pairs for ``a, b = value`` where value is not a literal: a = value[0], b = value[1]."""
        if isinstance(target, ast.Name):
            return [(target.id, value)]
        if not self.is_active(value):
            if all(isinstance(t, ast.Name) for t in target.elts):
                whole = self.operand(value)
                return [(t.id, ast.Subscript(value=whole, slice=ast.Constant(i), ctx=ast.Load()))
                        for i, t in enumerate(target.elts)]
        if not all(isinstance(t, ast.Name) for t in target.elts):
            raise self.src.error(stmt, "nested unpacking of a value that is not a tuple literal "
                                       "is not supported; unpack one level per statement")
        whole = self.operand(value)
        return [(t.id, _Part(whole, i)) for i, t in enumerate(target.elts)]

    def keep_assignment(self, name, value):
        self._keep_renamed(name, self.rename(value))

    def _keep_renamed(self, name, value):
        """Keep ``name = value`` where ``value`` is already in generated names."""
        new = self.define(name)
        self.body.append(ir.Keep(ir.assign(new, value), [new], pure=not _has_call(value)))

    def keep_tuple(self, target, value):
        value = self.rename(value)
        target = copy.deepcopy(target)
        defines = []
        for t in target.elts:
            t.id = self.define(t.id)
            defines.append(t.id)
        self.body.append(ir.Keep(ast.Assign(targets=[target], value=value, lineno=0), defines,
                                 pure=not _has_call(value)))

    def define(self, name):
        """The name of a new assignment to user variable ``name``."""
        new = name if name not in self.env and name not in self._defined else self.namer.version(name)
        self._defined.add(name)
        self.env[name] = new
        return new

    def _note_alias(self, name, value):
        view = None
        if isinstance(value, ast.Name):
            view = value.id
        elif isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name):
            view = value.value.id
        elif isinstance(value, ast.Attribute) and value.attr in VIEW_METHODS \
                and isinstance(value.value, ast.Name):
            view = value.value.id
        elif isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
                and value.func.attr in VIEW_METHODS and isinstance(value.func.value, ast.Name):
            view = value.func.value.id
        if view is not None and view != name:
            self._alias_parent.setdefault(name, set()).add(view)
            self._alias_parent.setdefault(view, set()).add(name)
        else:
            # a fresh value: the name no longer shares memory with anything
            for other in self._alias_parent.pop(name, set()):
                self._alias_parent.get(other, set()).discard(name)

    def _shares_memory(self, name):
        return bool(self._alias_parent.get(name))

    # -- expressions ---------------------------------------------------------

    def is_active(self, e):
        return self.varies(e)

    def is_active_operand(self, e):
        """Whether a flattened operand (in generated names) is a value being differentiated."""
        return isinstance(e, ast.Name) and e.id in self.varied_ssa

    def rename(self, tree):
        """A copy of ``tree`` with user names replaced by their current versions."""
        tree = copy.deepcopy(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in self.env:
                node.id = self.env[node.id]
        return tree

    def operand(self, e):
        """An expression usable as a primitive's operand: a name or a trivial inactive expression."""
        if not self.is_active(e):
            e = self.rename(e)
            if _is_trivial(e):
                return e
            name = self.namer.temp()
            self.body.append(ir.Keep(ir.assign(name, e), [name], pure=not _has_call(e)))
            return ir.load(name)
        if isinstance(e, ast.Name):
            return ir.load(self.env.get(e.id, e.id))
        return ir.load(self.emit_value(None, e))

    def static(self, e):
        if self.is_active(e):
            raise self.src.error(e, f"{ast.unparse(e)!r} is used as a shape, axis or index but "
                                    f"depends on the differentiated input")
        return self.operand(e)

    def emit_value(self, target, e, node=None):
        """Emit ``target = e`` for an active expression ``e`` as one primitive; return the target.

        A ``target`` of None names a fresh temporary once the operands are flattened, so
        temporaries are numbered in the order they are computed."""
        node = node or e
        if isinstance(e, ast.Name):
            return self.emit_copy(target, self.operand(e), node)
        if isinstance(e, ast.BinOp):
            op = _operator(BINOPS[type(e.op)])
            inputs = [self.operand(e.left), self.operand(e.right)]
            expr = ast.BinOp(left=inputs[0], op=e.op, right=inputs[1])
            return self.emit_rule(target, expr, op, inputs, {}, e,
                                  describe=f"the operator {_symbol(e.op)}")
        if isinstance(e, ast.UnaryOp):
            op = _operator(UNARYOPS[type(e.op)])
            inputs = [self.operand(e.operand)]
            return self.emit_rule(target, ast.UnaryOp(op=e.op, operand=inputs[0]), op, inputs,
                                  {}, e, describe=f"the operator {_symbol(e.op)}")
        if isinstance(e, ast.Call):
            return self.emit_call(target, e)
        if isinstance(e, ast.Attribute):
            rule = self.registry.by_attribute.get(e.attr)
            if rule is None:
                raise self.src.error(e, f"attribute .{e.attr} of a value being differentiated "
                                        f"is not supported")
            inputs = [self.operand(e.value)]
            expr = ast.Attribute(value=inputs[0], attr=e.attr, ctx=ast.Load())
            return self.emit(target, expr, e, rule=rule, inputs=inputs,
                             statics=self._defaults(rule, {}))
        if isinstance(e, ast.Subscript):
            if self.is_active(e.slice):
                raise self.src.error(e.slice, "an index that depends on the differentiated "
                                              "input cannot be differentiated")
            base = self.operand(e.value)
            index = self.rename(e.slice)
            if not _is_trivial(index):
                name = self.namer.temp()
                self.body.append(ir.Keep(ir.assign(name, _index_expression(index)), [name],
                                         pure=not _has_call(index)))
                index = ir.load(name)
            expr = ast.Subscript(value=base, slice=index, ctx=ast.Load())
            return self.emit_rule(target, expr, operator.getitem,
                                  [base, _index_expression(index)], {}, e, "indexing")
        what = {ast.IfExp: "a conditional expression (a if c else b)",
                ast.BoolOp: "'and'/'or' on values being differentiated",
                ast.Tuple: "a tuple of values being differentiated",
                ast.List: "a list of values being differentiated",
                ast.Dict: "a dict of values being differentiated",
                ast.Set: "a set of values being differentiated",
                ast.JoinedStr: "an f-string of a value being differentiated",
                ast.Starred: "starred arguments"}.get(type(e), type(e).__name__)
        raise self.src.error(e, f"{what} is not supported")

    def emit_call(self, target, e):
        kind, what = self.callee(e.func)
        for a in e.args:
            if isinstance(a, ast.Starred):
                raise self.src.error(a, "starred arguments (*args) in a call on a value being "
                                        "differentiated are not supported")
        for k in e.keywords:
            if k.arg is None:
                raise self.src.error(k.value, "**kwargs in a call on a value being "
                                              "differentiated are not supported")
        if kind == "method":
            rule = self.registry.by_method.get(what)
            if rule is None:
                raise self.src.error(e, f"method .{what}() of a value being differentiated "
                                        f"is not supported")
            receiver = e.func.value
            packed = self.registry.varargs_methods.get(what)
            if packed and len(e.args) > 1:  # x.transpose(2, 0, 1) means x.transpose((2, 0, 1))
                e = ast.Call(func=e.func, args=[ast.Tuple(elts=list(e.args), ctx=ast.Load())],
                             keywords=e.keywords)
            return self.emit_mapped(target, e, rule, [receiver] + list(e.args), e.keywords,
                                    lambda ins, args, kws: ast.Call(
                                        func=ast.Attribute(value=ins[0], attr=e.func.attr,
                                                           ctx=ast.Load()),
                                        args=args[1:], keywords=kws), f".{what}()")
        if kind == "object":
            rule = self.registry.rule_for(what)
            if rule is not None:
                func = self.rename(e.func)
                return self.emit_mapped(target, e, rule, list(e.args), e.keywords,
                                        lambda ins, args, kws: ast.Call(func=func, args=args,
                                                                        keywords=kws),
                                        ast.unparse(e.func))
            name = getattr(what, "__qualname__", None) or ast.unparse(e.func)
            raise self.src.error(e, f"call to {ast.unparse(e.func)!r} ({name}) cannot be "
                                    f"differentiated: it has no adjoint rule (register one with "
                                    f"ad.primitive)")
        raise self.src.error(e, f"call to unknown function {what!r} on a value being "
                                f"differentiated")

    def emit_mapped(self, target, e, rule, args, keywords, rebuild, describe):
        """Map call arguments onto the rule's inputs and statics, flattening active ones."""
        slots = list(rule.inputs) + list(rule.statics)
        if len(args) > len(slots):
            raise self.src.error(e, f"{describe} with {len(args)} positional arguments is not "
                                    f"supported (the rule takes {', '.join(slots)})")
        given = {}
        new_args = []
        for slot, a in zip(slots, args):
            value = self.operand(a) if slot in rule.inputs else self.static(a)
            given[slot] = value
            new_args.append(value)
        new_keywords = []
        for k in keywords:
            if k.arg not in slots:
                raise self.src.error(k.value, f"keyword argument {k.arg}= of {describe} is not "
                                              f"supported")
            if k.arg in given:
                raise self.src.error(k.value, f"argument {k.arg} given twice")
            value = self.operand(k.value) if k.arg in rule.inputs else self.static(k.value)
            given[k.arg] = value
            new_keywords.append(ast.keyword(arg=k.arg, value=value))
        missing = [v for v in rule.inputs if v not in given]
        if missing:
            raise self.src.error(e, f"{describe} is missing argument {missing[0]!r}")
        inputs = [given[v] for v in rule.inputs]
        statics = self._defaults(rule, {s: given[s] for s in rule.statics if s in given})
        expr = rebuild(inputs, new_args, new_keywords)
        return self.emit(target, expr, e, rule=rule, inputs=inputs, statics=statics)

    @staticmethod
    def _defaults(rule, statics):
        full = {s: copy.deepcopy(d) for s, d in rule.statics.items()}
        full.update(statics)
        return full

    def emit_rule(self, target, expr, obj, inputs, statics, node, describe):
        rule = self.registry.rule_for(obj)
        if rule is None:
            if self.registry.is_nondifferentiable(obj):
                target = target() if isinstance(target, _Deferred) else target or self.namer.temp()
                self.body.append(ir.Keep(ir.assign(target, expr), [target], pure=True))
                return target
            raise self.src.error(node, f"{describe} of a value being differentiated has no "
                                       f"adjoint rule")
        return self.emit(target, expr, node, rule=rule, inputs=inputs,
                         statics=self._defaults(rule, statics))

    def emit_copy(self, target, operand, node):
        self.emit(target, operand, node, rule=self.registry.special["copy"], inputs=[operand],
                  statics={})

    def emit(self, target, expr, node, rule, inputs, statics):
        if target is None:
            target = self.namer.temp()
        elif isinstance(target, _Deferred):
            target = target()
        self.varied_ssa.add(target)
        self.body.append(ir.Op(target, expr, rule, inputs, statics, node))
        return target


class _Part:
    """Element ``index`` of the active value ``whole`` in ``a, b = whole``."""

    def __init__(self, whole, index):
        self.whole, self.index = whole, index


class _Deferred:
    """A target name decided only when the statement is emitted."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __call__(self):
        return self.func(*self.args)


def _symbol(op):
    """The source spelling of an operator node: '+', '@', 'not', ..."""
    text = ast.unparse(ast.BinOp(ast.Name("a"), op, ast.Name("b"))) if isinstance(op, ast.operator) \
        else ast.unparse(ast.UnaryOp(op, ast.Name("a")))
    return text.replace("a", "").replace("b", "").strip()


def _base(target):
    """The variable at the root of ``x.a[i].b``."""
    while isinstance(target, (ast.Attribute, ast.Subscript, ast.Starred)):
        target = target.value
    return target


def _has_call(tree):
    return any(isinstance(n, ast.Call) for n in ast.walk(tree))


def _index_expression(index):
    """The subscript ``x[index]`` as an expression that can be passed to a function."""
    if isinstance(index, ast.Slice):
        parts = [p if p is not None else ast.Constant(None)
                 for p in (index.lower, index.upper, index.step)]
        if index.step is None:
            parts.pop()
            if index.lower is None and index.upper is None:
                parts = [ast.Constant(None)]  # slice(None) is the bare ':'

        return ast.Call(func=ast.Name(id="slice", ctx=ast.Load()), args=parts, keywords=[])
    if isinstance(index, ast.Tuple):
        return ast.Tuple(elts=[_index_expression(p) for p in index.elts], ctx=ast.Load())
    return index


def normalize(source, wrt):
    return Normalizer(source, wrt).run()
