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

import inspect

from . import ir, liveness
from .lower import lower_function
from .naming import Namer, names_in
from .rules import REGISTRY
from .source import FunctionSource

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
        self.root = source
        self.registry = registry
        if "out_bar" in source.params:
            raise source.error(source.node, "a parameter named 'out_bar' clashes with the seed "
                                            "argument of generated gradients; rename it")
        self.namer = Namer(names_in(source.node) | {"out_bar"})
        self.body = []
        self.wrt = list(wrt)
        self.varied_ssa = set(wrt)   # generated names whose values are being differentiated
        self.lists = set()           # generated names bound to lists of such values
        self.extra_globals = {}      # generated name -> object, for names an inlined callee reads
        self.call_stack = []         # functions being inlined, to refuse recursion
        self.loops = []              # enclosing loops' names for the variables they assign
        self.loop_depth = 0          # loops around the current statement, across inlined calls
        self.terminated = False      # the current block ended with break/continue
        self.sources = {}            # inlined function -> its FunctionSource
        self.kept_free = set()       # callees' free names that mean the same in the root
        self._body_stores = set()    # user names the body of the loop being set up assigns
        self.maybe_undefined = set() # names with no value on some path (first set in a loop)
        self.root_locals = set(source.params) | {
            n.id for n in ast.walk(source.node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        self.fn = self._enter(source, {p: p for p in source.params}, set(wrt))

    def _enter(self, source, env, varied_params):
        """Make ``source`` the function being normalized; returns its lowered ``def``."""
        fn = copy.deepcopy(source.node)
        lower_function(fn, source.error)
        liveness.annotate(fn)
        if source is self.root:  # names the lowering added (result, returned) are taken too
            self.namer.taken |= names_in(fn)
        self.src = source
        self.env = dict(env)
        self.locals = set(source.params)
        for node in ast.walk(fn):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self.locals.add(node.id)
        self._defined = set()
        self._alias_parent = {}
        self.free_map = {}
        if source is not self.root:
            self._map_free_names(fn)
        self.varied = self._varied_names(fn, set(varied_params))
        return fn

    def _scope(self):
        return (self.src, self.env, self.locals, self._defined, self._alias_parent,
                self.free_map, self.varied, self.loops, self.terminated)

    def _restore(self, scope):
        (self.src, self.env, self.locals, self._defined, self._alias_parent,
         self.free_map, self.varied, self.loops, self.terminated) = scope

    def _map_free_names(self, fn):
        """Free names of an inlined callee that mean something else (or nothing) in the
        function being differentiated get fresh names bound to the callee's objects."""
        root_names = names_in(self.root.node)
        for name in sorted(ir.names_read(fn) - self.locals):
            obj = self.src.resolve(name, _MISSING)
            if obj is _MISSING:
                continue
            same = self.root.resolve(name, _MISSING) is obj and name not in self.root_locals
            generated = name in self.namer.taken and name not in root_names \
                and name not in self.kept_free
            if same and not generated:
                self.namer.take(name)
                self.kept_free.add(name)
                continue
            fresh = self.namer.fresh(name)
            self.extra_globals[fresh] = obj
            self.free_map[name] = fresh

    # -- activity before renaming: which user names may depend on wrt -------

    def _varied_names(self, fn, varied):
        assigns = [n for n in ast.walk(fn)
                   if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For))
                   or _is_append(n)]
        changed = True
        while changed:
            changed = False
            for node in assigns:
                if isinstance(node, ast.For):
                    targets, varies = self._loop_targets(node, varied), True
                elif isinstance(node, ast.Expr):  # xs.append(value)
                    targets = [node.value.func.value]
                    varies = self.varies(node.value.args[0], varied)
                else:
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

    def _loop_targets(self, node, varied):
        """The targets of a for loop that take values depending on wrt."""
        it, target = node.iter, node.target
        kind, what = self.callee(it.func) if isinstance(it, ast.Call) else (None, None)
        if kind == "object" and what is range:
            return []
        if kind == "object" and what is enumerate and isinstance(target, ast.Tuple) \
                and len(target.elts) == 2 and it.args:
            return [target.elts[1]] if self.varies(it.args[0], varied) else []
        if kind == "object" and what is zip and isinstance(target, ast.Tuple) \
                and len(target.elts) == len(it.args):
            return [t for t, a in zip(target.elts, it.args) if self.varies(a, varied)]
        if isinstance(it, (ast.Tuple, ast.List)):
            return [target] if any(self.varies(e, varied) for e in it.elts) else []
        return [target] if self.varies(it, varied) else []

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
            if what == "append" and isinstance(e.func.value, ast.Name):
                return  # xs.append(value): only as a statement, checked there
            raise self.src.error(e, f"method .{what}() of a value being differentiated is not "
                                    f"supported (it has no adjoint rule, and it may change the "
                                    f"value in place)")
        if kind == "object" and (self.registry.rule_for(what) is not None
                                 or self.registry.is_nondifferentiable(what)
                                 or self.registry.is_inert(what) or _is_user_function(what)
                                 or what in (enumerate, zip)):
            return
        if kind == "method" and what == "append":
            return
        if not any(self.varies(a) for a in args):
            return
        raise self.unknown_call(e, kind, what)

    def unknown_call(self, e, kind, what):
        """The error for a call, on a value being differentiated, to something with no rule."""
        if kind == "object":
            name = getattr(what, "__qualname__", None) or ast.unparse(e.func)
            return self.src.error(e, f"call to {ast.unparse(e.func)!r} ({name}) cannot be "
                                     f"differentiated: it has no adjoint rule")
        return self.src.error(e, f"call to unknown function {what!r} on a value being "
                                 f"differentiated")

    # -- statements ----------------------------------------------------------

    def check_function(self, fn):
        """Reject what can never be differentiated, wherever it is in ``fn``."""
        for node in ast.walk(fn):
            if node is not fn and type(node) in STATEMENT_NAMES:
                raise self.src.error(node, f"{STATEMENT_NAMES[type(node)]} cannot be differentiated")
            if type(node) in FORBIDDEN_EXPRESSIONS:
                raise self.src.error(node, f"{FORBIDDEN_EXPRESSIONS[type(node)]} cannot be "
                                           f"differentiated; write it as plain statements")
        for node in ast.walk(fn):
            if isinstance(node, ast.Call):
                self.check_call(node)

    def run(self):
        fn = self.fn
        self.check_function(fn)
        statements = list(fn.body)
        if not statements or not isinstance(statements[-1], ast.Return):
            raise self.src.error(fn, f"function {fn.name!r} must end with a return statement "
                                     f"returning the value to differentiate")
        self.statements(statements[:-1])
        return self._finish(statements[-1])

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
        for out in outputs:
            if isinstance(out, ast.Name) and out.id in self.lists:
                raise self.src.error(ret, "returning a list of values being differentiated is "
                                          "not supported; return a tuple of them")
        fn = ir.NormalFunction(self.src, list(self.src.params), self.wrt, self.body,
                               outputs, tuple_output, self.namer)
        fn.extra_globals = self.extra_globals
        fn.lists = self.lists
        return fn

    def statements(self, stmts):
        for stmt in stmts:
            if self.terminated:
                break  # unreachable after break/continue
            self.statement(stmt)

    def block(self, stmts):
        """Normalize a nested block; returns its IR statements and whether it ended with a jump."""
        saved_body, saved_terminated = self.body, self.terminated
        self.body, self.terminated = [], False
        self.statements(stmts)
        result = (self.body, self.terminated)
        self.body, self.terminated = saved_body, saved_terminated
        return result

    def statement(self, stmt):
        if isinstance(stmt, ast.Pass):
            return
        if isinstance(stmt, ast.If):
            return self.branch(stmt)
        if isinstance(stmt, (ast.For, ast.While)):
            return self.loop(stmt)
        if isinstance(stmt, (ast.Break, ast.Continue)):
            return self.jump(stmt)
        if isinstance(stmt, ast.Return):
            raise self.src.error(stmt, "internal: a return that was not lowered")
        if _is_append(stmt) and self.varies(stmt.value.func.value):
            return self.append(stmt)
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

    # -- control flow ----------------------------------------------------------

    def condition(self, test):
        """The test of an ``if`` as a name (bound once, so the reverse sweep can reuse it)."""
        test = self.rename(test)
        if isinstance(test, (ast.Name, ast.Constant)):
            return test
        name = self.namer.temp("c")
        self.body.append(ir.Keep(ir.assign(name, test), [name], pure=not _has_call(test)))
        return ir.load(name)

    def branch(self, stmt):
        test = self.condition(stmt.test)
        before = dict(self.env)
        then, then_jumps = self.block(stmt.body)
        env_then, self.env = self.env, dict(before)
        orelse, else_jumps = self.block(stmt.orelse)
        env_else = self.env
        paths = [(b, e) for b, e, jumps in ((then, env_then, then_jumps),
                                            (orelse, env_else, else_jumps)) if not jumps]
        self.env = dict(before)
        if not paths:
            self.terminated = True
        live = getattr(stmt, "live_out", None)
        for v in sorted(set().union(*(set(e) for _, e in paths))):
            versions = [e.get(v) for _, e in paths]
            previous = before.get(v)
            if all(x == versions[0] for x in versions):
                self.env[v] = versions[0]
                continue
            if live is not None and v not in live:
                # not read before it is assigned again: no name after the if is needed
                self.env.pop(v, None)
                continue
            # one name for the variable after the if: a version made in a branch
            merged = next(x for x in versions if x is not None and x != previous)
            for (block, _), x in zip(paths, versions):
                if x is None:
                    # unbound on this path in Python: None here, so later copies can read it
                    block.append(ir.Keep(ir.assign(merged, ast.Constant(None)), [merged]))
                    continue
                if x == merged:
                    continue
                if x != previous:
                    ir.rename(block, x, merged)
                else:
                    block.append(self.copy_statement(merged, x, stmt))
            for group in (self.varied_ssa, self.lists):
                if any(x in group for x in versions):
                    group.add(merged)
            if any(x is None or x in self.maybe_undefined for x in versions):
                self.maybe_undefined.add(merged)
            self.env[v] = merged
        self.body.append(ir.If(test, then, orelse, stmt, set(before.values())))

    def copy_statement(self, target, source, node):
        if source in self.varied_ssa:
            self.varied_ssa.add(target)
            return ir.Op(target, ir.load(source), self.registry.special["copy"], [ir.load(source)],
                         {}, node)
        return ir.Keep(ir.assign(target, ir.load(source)), [target])

    def loop(self, stmt):
        assigned = sorted({n.id for s in ([stmt.target] if isinstance(stmt, ast.For) else [])
                           + stmt.body for n in _stores(s)})
        live = getattr(stmt, "live_header", None)
        index_user, sequences, iterable = None, [], None
        if isinstance(stmt, ast.For):
            body_stores = {n.id for b in stmt.body for n in _stores(b)}
            index_user, sequences, iterable = self.iteration(stmt, body_stores)
        before = dict(self.env)
        if index_user in before and index_user in self.varied:
            raise self.src.error(stmt.target, f"the loop variable {index_user!r} reuses the "
                                              f"name of a value being differentiated; rename it")
        names = {}
        for v in assigned:
            # the loop index is a new variable (an int); a carried variable keeps its name
            names[v] = self.define(v) if v == index_user or v not in before else before[v]
        if index_user in before and (live is None or index_user in live):
            # after a loop that did not run, the index keeps the value it had
            self.body.append(ir.Keep(ir.assign(names[index_user], ir.load(before[index_user])),
                                     [names[index_user]]))
        elif index_user and (live is None or index_user in live):
            # read after the loop, which may not run: unbound until then (None here)
            self.body.append(ir.Keep(ir.assign(names[index_user], ast.Constant(None)),
                                     [names[index_user]]))
        index = names[index_user] if index_user else self.namer.fresh("i")
        for v, name in names.items():
            if v in self.varied and v != index_user:
                self.varied_ssa.add(name)
        self.env.update(names)
        # a variable needs the loop's name only if it is read at the start of an iteration or
        # after the loop; others are per-iteration values
        carried = {v: n for v, n in names.items()
                   if v != index_user and (live is None or v in live)}
        for v, n in carried.items():
            if v not in before:
                # first assigned in the loop: unbound until then (None here), as in Python
                self.body.append(ir.Keep(ir.assign(n, ast.Constant(None)), [n]))
        test = self.rename(stmt.test) if isinstance(stmt, ast.While) else None
        saved_body, saved_terminated = self.body, self.terminated
        self.body, self.terminated = [], False
        self.loops.append(carried)
        self.loop_depth += 1
        for target, seq in sequences:
            self.assign_operand(target, self.emit_index(None, seq, ir.load(index), stmt), stmt)
            for t in ([target] if isinstance(target, ast.Name) else target.elts):
                # an array's row is a view of it: an in-place update of the row is refused
                self._alias_parent.setdefault(t.id, set()).add("<the iterated sequence>")
        self.statements(stmt.body)
        if not self.terminated:
            mark = len(self.body)
            self.exit_copies(carried)
            copies = self.body[mark:]
            del self.body[mark:]
            _append_where_falling_through(self.body, copies)
        body = self.body
        self.loop_depth -= 1
        self.loops.pop()
        self.body, self.terminated = saved_body, saved_terminated
        self.env = dict(before)
        self.env.update(names)
        for v in names:
            if v not in carried and v != index_user:
                self.env.pop(v, None)  # dead after the loop
        breaks = any(isinstance(s, ir.Jump) and s.kind == "break" for s in _same_loop(body))
        counter = self.namer.temp("n") if isinstance(stmt, ast.While) or breaks else None
        loop = ir.Loop("for" if isinstance(stmt, ast.For) else "while", body, stmt,
                       index=index, iterable=iterable, test=test, counter=counter,
                       carried=carried)
        # the loop's names that surely have a value before it starts
        loop.existing = {n for v, n in carried.items()
                         if v in before and n not in self.maybe_undefined}
        self.maybe_undefined |= {n for v, n in names.items() if v not in before}
        self.body.append(loop)

    def iteration(self, stmt, body_stores):
        """(index user name or None, [(target, sequence operand)], range expression) of a for.

        What the loop iterates over is evaluated once, before it, as in Python: a bound or a
        sequence the body reassigns is bound to a name of its own first."""
        it, target = stmt.iter, stmt.target
        kind, what = self.callee(it.func) if isinstance(it, ast.Call) else (None, None)
        if kind == "object" and what is range:
            if not isinstance(target, ast.Name):
                raise self.src.error(target, "a range loop needs a plain variable")
            if any(self.varies(a) for a in it.args):
                raise self.src.error(it, "range() bounds that depend on the differentiated "
                                         "input are not supported")
            iterable = self.rename(it)
            if ir.names_read(it) & body_stores:
                iterable = ir.load(self._bind(iterable))
            return target.id, [], iterable
        self._body_stores = body_stores
        if kind == "object" and what is enumerate:
            if len(it.args) != 1 or it.keywords or not (
                    isinstance(target, ast.Tuple) and len(target.elts) == 2
                    and isinstance(target.elts[0], ast.Name)):
                raise self.src.error(it, "only 'for i, x in enumerate(xs)' is supported")
            inner = it.args[0]
            inner_kind = self.callee(inner.func) if isinstance(inner, ast.Call) else (None, None)
            if inner_kind == ("object", zip) and isinstance(target.elts[1], ast.Tuple) \
                    and len(target.elts[1].elts) == len(inner.args) and not inner.keywords:
                seqs = [self.sequence(a) for a in inner.args]  # enumerate(zip(xs, ys))
                return target.elts[0].id, list(zip(target.elts[1].elts, seqs)), \
                    self._range_of(seqs)
            seq = self.sequence(inner)
            return target.elts[0].id, [(target.elts[1], seq)], self._range_of([seq])
        if kind == "object" and what is zip:
            if it.keywords or not (isinstance(target, ast.Tuple)
                                   and len(target.elts) == len(it.args)):
                raise self.src.error(it, "only 'for a, b in zip(as, bs)' is supported")
            seqs = [self.sequence(a) for a in it.args]
            return None, list(zip(target.elts, seqs)), self._range_of(seqs)
        seq = self.sequence(it)
        return None, [(target, seq)], self._range_of([seq])

    def sequence(self, e):
        """An operand for something a for loop iterates over; a literal list or tuple of
        values being differentiated becomes a list."""
        if isinstance(e, (ast.List, ast.Tuple)) and self.is_active(e):
            if self.loop_depth:
                raise self.src.error(e, "a literal list of values being differentiated cannot "
                                        "be iterated over inside another loop; bind it to a "
                                        "variable before the loop")
            return ir.load(self.new_list_result(e, e))
        operand = self.operand(e)
        if isinstance(e, ast.Name) and e.id in self._body_stores and operand.id not in self.lists:
            # the body reassigns the name: iterate over the value it has now
            fresh = self.namer.temp()
            self.body.append(self.copy_statement(fresh, operand.id, e))
            operand = ir.load(fresh)
        return operand

    def _range_of(self, seqs):
        lengths = [ast.Call(func=ir.load("len"), args=[s], keywords=[]) for s in seqs]
        n = lengths[0] if len(lengths) == 1 else ast.Call(func=ir.load("min"), args=lengths,
                                                          keywords=[])
        return ast.Call(func=ir.load("range"), args=[n], keywords=[])

    def assign_operand(self, target, operand, stmt):
        """Bind user target (a name, or a tuple of names) to an operand in generated names."""
        if isinstance(target, ast.Name):
            self._note_alias(target.id, None)
            if self.is_active_operand(operand):
                return self.emit_copy(self.define(target.id), operand, stmt)
            return self._keep_renamed(target.id, operand)
        if not isinstance(target, ast.Tuple) or not all(isinstance(t, ast.Name)
                                                          for t in target.elts):
            raise self.src.error(target, "nested unpacking in a for loop is not supported")
        parts = [self.emit_index(None, operand, ast.Constant(i), stmt)
                 for i in range(len(target.elts))]
        for t, part in zip(target.elts, parts):
            self.assign_operand(t, part, stmt)

    def jump(self, stmt):
        if not self.loops:
            raise self.src.error(stmt, "break or continue outside a loop")
        self.exit_copies(self.loops[-1])
        self.body.append(ir.Jump("break" if isinstance(stmt, ast.Break) else "continue", stmt))
        self.terminated = True

    def exit_copies(self, carried):
        """At an exit of a loop iteration, the loop's names take the latest versions."""
        for v, name in carried.items():
            current = self.env.get(v)
            if current is not None and current != name:
                self.body.append(ir.Carry(name, current))

    # -- lists -----------------------------------------------------------------

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

    def emit_index(self, target, base, index, node):
        """``target = base[index]`` for operand ``base`` (a list, an array or an inactive value)."""
        if isinstance(base, ast.Name) and base.id in self.lists:
            if isinstance(index, ast.Slice):
                raise self.src.error(node, "slicing a list of values being differentiated is "
                                           "not supported")
            target = target() if isinstance(target, _Deferred) else target or self.namer.temp()
            self.varied_ssa.add(target)
            self.body.append(ir.ListGet(target, base.id, index, node))
            return ir.load(target)
        expr = ast.Subscript(value=base, slice=index, ctx=ast.Load())
        if self.is_active_operand(base):
            getitem = self.registry.rule_for(operator.getitem)
            return ir.load(self.emit(target, expr, node, getitem,
                                     [base, _index_expression(index)], {}))
        target = target() if isinstance(target, _Deferred) else target or self.namer.temp()
        self.body.append(ir.Keep(ir.assign(target, expr), [target], pure=True))
        return ir.load(target)

    # -- calls to the user's own functions ------------------------------------------

    def inline(self, target, func, call, unpack=None):
        """Inline a call to a user-defined function: its body, renamed, in place of the call.

        Returns the name of the result; with ``unpack=n``, a callee returning a literal tuple
        of n values gives the list of their operands instead."""
        name = getattr(func, "__qualname__", func.__name__)
        if func in self.call_stack or func is self.root.func:
            raise self.src.error(call, f"{name}() is recursive (directly or through other "
                                       f"functions); recursion cannot be differentiated")
        source = self.sources.get(func)
        if source is None:
            source = self.sources[func] = FunctionSource(func)
        try:
            bound = inspect.signature(func).bind(*call.args, **{k.arg: k.value
                                                                 for k in call.keywords})
        except TypeError as exc:
            raise self.src.error(call, f"call to {name}(): {exc}") from None
        operands = {}
        for param, p in inspect.signature(func).parameters.items():
            if param in bound.arguments:
                operands[param] = self.operand(bound.arguments[param])
            elif p.default is not inspect.Parameter.empty:
                if not _is_literal(p.default):
                    raise self.src.error(call, f"{name}() is called without {param}=, whose "
                                               f"default is not a literal; pass it explicitly")
                operands[param] = ast.parse(repr(p.default), mode="eval").body
        stored = {n.id for b in source.node.body for n in _stores(b)}
        env, varied = {}, set()
        for param, op in operands.items():
            if not isinstance(op, ast.Name) or (param in stored and op.id not in self.lists):
                # a constant, or a parameter the callee assigns: its own name, so that a loop
                # in the callee never writes to the caller's variable
                fresh = self.namer.fresh(param)
                if isinstance(op, ast.Name) and op.id in self.varied_ssa:
                    self.emit(fresh, op, call, self.registry.special["copy"], [op], {})
                else:
                    self.body.append(ir.Keep(ir.assign(fresh, op), [fresh]))
                op = ir.load(fresh)
            env[param] = op.id
            if op.id in self.varied_ssa:
                varied.add(param)
        if isinstance(target, _Deferred):  # name the caller's variable in the caller's scope
            target = target()
        scope = self._scope()
        self.call_stack.append(func)
        try:
            fn = self._enter(source, env, varied)
            for param in operands:  # a parameter is the caller's object
                self._alias_parent.setdefault(param, set()).add("<caller's argument>")
            self.loops, self.terminated = [], False
            self.check_function(fn)
            self.statements(fn.body[:-1])
            value = fn.body[-1].value
            if value is None:
                raise self.src.error(fn.body[-1], f"{name}() returns nothing")
            if isinstance(value, (ast.Tuple, ast.List)) and unpack == len(value.elts):
                return [self.operand(e) for e in value.elts]
            if isinstance(value, (ast.Tuple, ast.List)) and self.is_active(value):
                if self.loop_depth:
                    raise self.src.error(call, f"{name}() returns a tuple; inside a loop, "
                                               f"unpack it where you call it: a, b = {name}(...)")
                result = ir.load(self.new_list_result(value, fn.body[-1]))
            elif target is not None and self.is_active(value) and not isinstance(value, ast.Name):
                # y = helper(x): the helper's last primitive assigns y itself
                return self.emit_value(target, value)
            else:
                result = self.operand(value)
        finally:
            self.call_stack.pop()
            self._restore(scope)
        if target is None or (isinstance(result, ast.Name) and result.id in self.lists):
            return result.id if isinstance(result, ast.Name) else self._bind(result)
        if self.is_active_operand(result):
            return self.emit(target, result, call, self.registry.special["copy"], [result], {})
        target = target() if isinstance(target, _Deferred) else target
        self.body.append(ir.Keep(ir.assign(target, result), [target]))
        return target

    def new_list_result(self, value, node):
        depth, self.loop_depth = self.loop_depth, 0   # a tuple result is read at once
        try:
            name = self.namer.temp()
            elements = [self.operand(e) for e in value.elts]
            self.lists.add(name)
            self.varied_ssa.add(name)
            self.body.append(ir.ListNew(name, elements, node, True))
            return name
        finally:
            self.loop_depth = depth

    def _bind(self, expr):
        name = self.namer.temp()
        self.body.append(ir.Keep(ir.assign(name, expr), [name]))
        return name

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
            if isinstance(value, (ast.List, ast.Tuple)) and target.id in self.varied:
                return self.new_list(target.id, value, stmt)
            if not self.is_active(value):
                return self.keep_assignment(target.id, value)
            shared_list = None
            if isinstance(value, ast.Name) and self.env.get(value.id) in self.lists:
                shared_list = self.env[value.id]
            elif isinstance(value, ast.Call) and self.callee(value.func)[0] == "object" \
                    and _is_user_function(self.callee(value.func)[1]):
                result = self.inline(_Deferred(self.define, target.id),
                                     self.callee(value.func)[1], value)
                if result not in self.lists:
                    return
                shared_list = result
            if shared_list is not None:  # the same list under another name
                self.env[target.id] = shared_list
                self._defined.add(target.id)
                return
            # the target is named only after the right-hand side is read: y = y + 1
            return self.emit_value(_Deferred(self.define, target.id), value, node=stmt)
        # tuple unpacking: a, b = value; (a, b), c = (x, y), z
        pairs = self._unpack(target, value, stmt)
        if pairs is None:
            return self.keep_tuple(target, value)
        operands = []  # every right-hand side is read before any name is assigned
        for name, part in pairs:
            if isinstance(part, _Ready):
                operands.append(part.operand)
            elif isinstance(part, ast.AST) and not isinstance(part, _Part):
                operands.append(self.operand(part))
            else:
                operands.append(part)
        for (name, source), operand in zip(pairs, operands):
            if isinstance(operand, _Part):
                operand = self.emit_index(None, operand.whole, ast.Constant(operand.index), stmt)
            self._note_alias(name, source if not isinstance(source, (_Part, _Ready)) else None)
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
        kind, what = self.callee(value.func) if isinstance(value, ast.Call) else (None, None)
        if kind == "object" and _is_user_function(what) and all(
                isinstance(t, ast.Name) for t in target.elts):
            # a, b = helper(x): bind the helper's returned values directly
            parts = self.inline(None, what, value, unpack=len(target.elts))
            if isinstance(parts, list):
                return [(t.id, _Ready(p)) for t, p in zip(target.elts, parts)]
            value = ast.Name(id=parts, ctx=ast.Load())
            return [(t.id, _Part(ir.load(parts), i)) for i, t in enumerate(target.elts)]
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
        if name not in self.env and name not in self._defined:
            # the first assignment keeps the user's name; an inlined callee's names are fresh
            new = name if self.src is self.root else self.namer.fresh(name)
        else:
            new = self.namer.version(name)
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
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                if node.id in self.env:
                    node.id = self.env[node.id]
                elif node.id in self.free_map:
                    node.id = self.free_map[node.id]
        return tree

    def operand(self, e):
        """An expression usable as a primitive's operand: a name or a trivial inactive expression."""
        if isinstance(e, (ast.List, ast.Tuple)) and self.is_active(e):
            return self.sequence(e)
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
            return self.emit_index(target, base, index, e).id
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
        if kind == "object" and self.registry.rule_for(what) is None and _is_user_function(what):
            return self.inline(target, what, e)
        if kind == "object":
            rule = self.registry.rule_for(what)
            if rule is not None:
                func = self.rename(e.func)
                return self.emit_mapped(target, e, rule, list(e.args), e.keywords,
                                        lambda ins, args, kws: ast.Call(func=func, args=args,
                                                                        keywords=kws),
                                        ast.unparse(e.func))
        raise self.unknown_call(e, kind, what)

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
        for e in inputs:
            if isinstance(e, ast.Name) and e.id in self.lists:
                raise self.src.error(node, f"{ast.unparse(node)!r} applies a primitive to a "
                                           f"whole list of values being differentiated, which "
                                           f"is not supported; index the list or loop over it")
        if target is None:
            target = self.namer.temp()
        elif isinstance(target, _Deferred):
            target = target()
        self.varied_ssa.add(target)
        self.body.append(ir.Op(target, expr, rule, inputs, statics, node))
        return target


class _Ready:
    """A value that is already an operand (in generated names)."""

    def __init__(self, operand):
        self.operand = operand


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


_MISSING = object()


def _is_append(node):
    """``name.append(value)`` as a statement."""
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "append"
            and isinstance(node.value.func.value, ast.Name))


def _is_user_function(obj):
    """A plain Python function adcompile can read and inline."""
    return inspect.isfunction(obj) and not obj.__module__.startswith(("numpy", "adcompile"))


def _is_literal(value):
    if value is None or isinstance(value, (bool, int, float, complex, str)):
        return True
    return isinstance(value, tuple) and all(_is_literal(v) for v in value)


def _stores(stmt):
    """User names a statement assigns (not descending into nested definitions)."""
    todo = [stmt]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            yield node
        if not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(node))


def _append_where_falling_through(block, stmts):
    """Append ``stmts`` at the end of every path through ``block`` that does not jump.

    After an ``if`` one of whose branches jumps, the code that follows belongs to the
    other branch only (the reverse sweep relies on it)."""
    if not stmts:
        return
    last = block[-1] if block else None
    if isinstance(last, ir.If) and any(isinstance(s, ir.Jump) for s in _same_loop([last])):
        for branch in (last.body, last.orelse):
            if not ir.always_jumps(branch):
                _append_where_falling_through(branch, [copy.copy(s) for s in stmts])
        return
    block.extend(stmts)


def _same_loop(stmts):
    """IR statements of a loop body, not descending into nested loops."""
    for s in stmts:
        yield s
        if isinstance(s, ir.If):
            yield from _same_loop(s.body)
            yield from _same_loop(s.orelse)


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
