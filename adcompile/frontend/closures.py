"""Nested functions and lambdas: taken out of their function, their closures made explicit.

A ``def`` (or ``name = lambda ...``) at the top level of a function's body is
taken out of it (``extract``) into a table of ``LocalFunction``; each variable
of the enclosing function it reads becomes a keyword-only parameter of its own,
which every reference passes: ``step(h, x)`` becomes ``step(h, x, W=W, b=b)``.
The reads then happen where Python makes them, at the call (late binding), and
the passes that follow (liveness, dependence) see them there. A call is inlined
like a call of a module-level function. A nested function or lambda passed as
an argument (``apply(step, xs)``, ``apply(lambda a: a * w, x)``) becomes a
*reference*: a call node marked ``REFERENCE`` whose keywords are those reads;
the callee receives it as a ``Closure`` (the function and the operands it
captured) and inlines it where it calls it.

What a nested function cannot do is refused here: be used otherwise than
called or passed as an argument (it has no value at run time), call itself,
carry decorators, defaults that are not literals, or share its name with
another variable of the enclosing function.
"""

import ast
import copy
import inspect
from dataclasses import dataclass, field

from ..ir import walk_tree
from .nesting import split_nesting
from .source import PLACE, DerivedSource, as_def
from .syntax import stores

#: the attribute of a call node that stands for a nested function passed as a value
REFERENCE = "_adcompile_reference"

#: why a nested function may only be called or passed on
ONLY_CALLED = ("adcompile inlines a nested function or lambda where it is called: it can be "
                "called, or passed as an argument to a function of yours that calls it")


class StandIn:
    """What inlining needs of a function that exists only as source here: its names and
    ``__signature__`` (``inspect.signature`` reads it; hence callable)."""

    _adcompile_local = True   # syntax.is_user_function: inlined like the user's functions

    def __init__(self, name, qualname, signature, source):
        self.__name__, self.__qualname__ = name, qualname
        self.__signature__ = signature
        self.source = source

    def __call__(self, *args, **kwargs):
        raise TypeError(f"{self.__qualname__} is inlined by adcompile, never called")


class LocalFunction(StandIn):
    """A def or lambda inside a function: ``free`` are the enclosing function's variables
    (and nested functions) it reads, its trailing keyword-only parameters."""

    def __init__(self, node, source, free):
        derived = DerivedSource(source, node)
        super().__init__(node.name, f"{source.name}.<locals>.{node.name}",
                         signature_of(node, derived.error), derived)
        self.free = free


@dataclass(eq=False)
class Closure:
    """A nested function passed as an argument, with the operands (in generated names) of
    the variables it reads, taken where it was passed; or, with nothing captured, a
    module-level function or primitive passed as an argument."""

    function: object
    captured: dict = field(default_factory=dict)

    _adcompile_local = True   # syntax.is_user_function: inlined like the user's functions

    def varies(self, varied_ssa):
        """Whether a captured value is being differentiated."""
        return any(v.varies(varied_ssa) if isinstance(v, Closure)
                   else isinstance(v, ast.Name) and v.id in varied_ssa
                   for v in self.captured.values())


def signature_of(node, error):
    """The ``inspect.Signature`` of a def node, whose defaults must be literals."""
    kind = inspect.Parameter
    args = node.args
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params = [kind(a.arg, kind.POSITIONAL_ONLY if i < len(args.posonlyargs)
                   else kind.POSITIONAL_OR_KEYWORD, default=_default(d, node, error))
              for i, (a, d) in enumerate(zip(positional, defaults))]
    if args.vararg:
        params.append(kind(args.vararg.arg, kind.VAR_POSITIONAL))
    params += [kind(a.arg, kind.KEYWORD_ONLY, default=_default(d, node, error))
               for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    if args.kwarg:
        params.append(kind(args.kwarg.arg, kind.VAR_KEYWORD))
    return inspect.Signature(params)


def _default(expr, node, error):
    if expr is None:
        return inspect.Parameter.empty
    try:
        value = ast.literal_eval(expr)
    except ValueError:
        value = expr
    if not (value is None or isinstance(value, (bool, int, float, complex, str))):
        raise error(expr, f"the default of a parameter of the nested function {node.name}() "
                          f"is not a number, string or None; pass the value at each call")
    return value


def free_names(node):
    """The names a def or lambda reads and does not bind itself (nor do the functions it
    defines)."""
    args = node.args
    bound = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    bound |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    todo = list(node.body) if isinstance(node.body, list) else [node.body]
    reads = set()
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if not isinstance(n, ast.Lambda):
                bound.add(n.name)
            reads |= free_names(n)
            continue
        if isinstance(n, ast.Name):
            (reads if isinstance(n.ctx, ast.Load) else bound).add(n.id)
        todo.extend(ast.iter_child_nodes(n))
    return reads - bound


def extract(fn, source):
    """Take the nested functions and lambdas out of ``fn`` (a copy of ``source``'s def,
    changed in place) and make their closures explicit; returns {name: LocalFunction}."""
    error = source.error
    if not any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
               for n in walk_tree(fn.body)):
        return {}   # (most functions: nothing to take out, nothing to refuse)
    defined, body = {}, []
    for stmt in fn.body:
        node = _definition(stmt, error)
        if node is None:
            body.append(stmt)
            continue
        if node.name in defined:
            raise error(stmt, f"the nested function {node.name}() is defined twice; give the "
                              f"second one another name")
        defined[node.name] = (len(body), node)
    for stmt, node in _loop_definitions(body, fn, error):
        if node.name in defined:
            raise error(stmt, f"the nested function {node.name}() is defined twice; give the "
                              f"second one another name")
        defined[node.name] = (-1, node)   # (each use is after it in its loop: checked)
    _refuse_misplaced(body, error)
    anonymous = _Lambdas(error).collect(body)
    if not defined and not anonymous:
        return {}
    fn.body = body
    local = set(source.params) | {n.id for s in body for n in stores(s)} | set(defined)
    for name, (_, node) in defined.items():
        _refuse_rebinding(name, node, fn, body, source, error)
    nodes = {name: node for name, (_, node) in defined.items()}
    nodes.update({key: node for key, node in anonymous.items()})
    free = {name: sorted(free_names(node) & local) for name, node in nodes.items()}
    _refuse_recursion(free, nodes, error)
    table = {}
    for name, node in nodes.items():
        for v in free[name]:
            node.args.kwonlyargs.append(ast.copy_location(ast.arg(arg=v), node))
            node.args.kw_defaults.append(None)
        split_nesting(node, error)   # (a lambda's conditional body: its return's value)
        table[name] = LocalFunction(node, source, free[name])
    positions = {name: at for name, (at, _) in defined.items()}
    rewrite = _References(table, positions, anonymous, error)
    for i, stmt in enumerate(body):
        rewrite.position = i
        body[i] = rewrite.visit(stmt)
    return table


def _definition(stmt, error):
    """The def node ``stmt`` defines at the top of a body (``name = lambda ...`` as one),
    or None."""
    if isinstance(stmt, ast.AsyncFunctionDef):
        raise error(stmt, "an async function cannot be differentiated; define it with def")
    if isinstance(stmt, ast.FunctionDef):
        if stmt.decorator_list:
            raise error(stmt.decorator_list[0], f"a decorator on the nested function "
                                                f"{stmt.name}() is not supported: adcompile "
                                                f"inlines the function as written; remove it, "
                                                f"or define the function at module level")
        _refuse_declarations(stmt, error)
        return stmt
    if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Lambda) \
            and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return as_def(stmt.targets[0].id, stmt.value)
    return None


def _loop_definitions(body, fn, error):
    """(statement, def node) for each ``def`` or ``name = lambda`` at the top of a loop's
    body (a step function written inside a time loop), taken out of the body, where it
    stands for the same function every time: its name is read only after it in that body
    (a call passes the values its free names have then, as Python's closure reads them
    then). Others are left for the refusals."""
    found, todo = [], [s for s in body]
    while todo:
        s = todo.pop()
        for field in ("body", "orelse"):
            block = getattr(s, field, None)
            if not isinstance(block, list):
                continue
            todo.extend(block)
            if field != "body" or not isinstance(s, (ast.For, ast.While)):
                continue
            kept = []
            for i, stmt in enumerate(block):
                node = _definition(stmt, error)
                if node is None or not _used_only_after(node.name, block[i + 1:], fn):
                    kept.append(stmt)
                    continue
                found.append((stmt, node))
            block[:] = kept
    return found


def _used_only_after(name, after, fn):
    """Whether ``fn`` reads ``name`` only in the statements ``after`` (and assigns it only
    where it is defined: once)."""
    inside = {id(n) for s in after for n in walk_tree(s)}
    stores = 0
    for n in walk_tree(fn):
        if isinstance(n, ast.Name) and n.id == name:
            if isinstance(n.ctx, ast.Load) and id(n) not in inside:
                return False
            stores += not isinstance(n.ctx, ast.Load)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name:
            stores += 1
    return stores == 1


def _refuse_declarations(node, error):
    for n in walk_tree(node):
        if isinstance(n, (ast.Global, ast.Nonlocal)):
            what = "global" if isinstance(n, ast.Global) else "nonlocal"
            raise error(n, f"a {what} declaration cannot be differentiated: a nested function "
                           f"may read the enclosing function's variables, not change them; "
                           f"return the new value instead")


def _refuse_misplaced(body, error):
    """A def below the top level of the body (in an if or a loop) is refused."""
    todo = [c for s in body for c in ast.iter_child_nodes(s)]
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            raise error(n, f"the nested function {n.name}() is defined inside an if, a loop "
                           f"or another block where adcompile cannot tell it is the same "
                           f"function wherever it is called; define it at the top level of the "
                           f"function's body, or at the top of a loop's body that calls it "
                           f"only after it")
        if not isinstance(n, ast.Lambda):
            todo.extend(ast.iter_child_nodes(n))


def _refuse_rebinding(name, node, fn, body, source, error):
    if name in source.params:
        raise error(node, f"the nested function {name}() has the name of a parameter; "
                          f"rename one of them")
    for s in body:
        for n in stores(s):
            if n.id == name:
                raise error(n, f"{name!r} names a nested function, and is assigned again "
                               f"here; give this value another name")


def _refuse_recursion(free, nodes, error):
    """A nested function that calls itself, directly or through others, is refused."""
    def visit(name, path):
        for other in free[name]:
            if other in nodes:
                if other in path:
                    raise error(nodes[other], f"the nested function {nodes[other].name}() is "
                                              f"recursive (it calls itself, directly or "
                                              f"through other nested functions); recursion "
                                              f"cannot be differentiated")
                visit(other, path | {other})
    for name in free:
        visit(name, {name})


class _Lambdas:
    """Lambdas in a body other than ``name = lambda`` at its top: those called at once or
    passed as an argument get a key of their own in the table; others are refused."""

    def __init__(self, error):
        self.error = error
        self.found = {}

    def collect(self, body):
        allowed = set()
        for n in (n for s in body for n in walk_tree(s)):
            if isinstance(n, ast.Call):
                allowed |= {id(a) for a in [n.func] + n.args + [k.value for k in n.keywords]
                            if isinstance(a, ast.Lambda)}
        for n in (n for s in body for n in _walk_outside_lambdas(s)):
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Lambda):
                raise self.error(n, "a lambda assigned inside an if, a loop or another block "
                                    "(or to several names) is not supported where adcompile "
                                    "cannot tell it is the same function wherever it is "
                                    "called; assign it once, at the top level of the "
                                    "function's body, or at the top of a loop's body that "
                                    "calls it only after it")
            if isinstance(n, ast.Lambda):
                if id(n) not in allowed:
                    raise self.error(n, f"a lambda used as a value here is not supported: "
                                        f"{ONLY_CALLED}")
                key = f"<lambda:{len(self.found) + 1}>"
                n.key = key
                self.found[key] = as_def("<lambda>", n)
        return self.found


def _walk_outside_lambdas(node):
    """The nodes of ``node``, not descending into lambdas (their bodies are their own)."""
    todo = [node]
    while todo:
        n = todo.pop()
        yield n
        if not isinstance(n, ast.Lambda):
            todo.extend(ast.iter_child_nodes(n))


class _References(ast.NodeTransformer):
    """Each reference to a nested function made explicit: a call passes what it reads, a
    function passed as an argument becomes a ``REFERENCE`` node; any other use is refused."""

    def __init__(self, table, positions, anonymous, error):
        self.table, self.positions, self.error = table, positions, error
        self.position = 0

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Lambda):
            func = node.func = ast.copy_location(ast.Name(id=func.key, ctx=ast.Load()), func)
        if not (isinstance(func, ast.Name) and func.id in self.table):
            node.func = self.visit(func)
        node.args = [self._argument(a) for a in node.args]
        for k in node.keywords:
            k.value = self._argument(k.value)
        if isinstance(func, ast.Name) and func.id in self.table:
            self._check_defined(func.id, func)
            given = {k.arg for k in node.keywords}
            for v in self.table[func.id].free:
                if v in given:
                    raise self.error(node, f"{func.id}() reads the variable {v!r} of the "
                                           f"enclosing function, and is also given {v}= here; "
                                           f"rename one of them")
                node.keywords.append(ast.keyword(arg=v, value=self._value(v, node)))
        return node

    def _argument(self, a):
        if isinstance(a, ast.Lambda):
            return self.reference(a.key, a)
        if isinstance(a, ast.Name) and a.id in self.table and isinstance(a.ctx, ast.Load):
            return self.reference(a.id, a)
        return self.visit(a)

    def visit_Name(self, node):
        if node.id in self.table and isinstance(node.ctx, ast.Load):
            raise self.error(node, f"the nested function {node.id}() is used as a value here "
                                   f"(returned, stored or assigned); {ONLY_CALLED}")
        return node

    def visit_FunctionDef(self, node):
        return node   # (refused by _refuse_misplaced)

    def reference(self, name, at):
        """The ``REFERENCE`` node for nested function ``name`` passed as a value at ``at``."""
        self._check_defined(name, at)
        ref = ast.Call(func=placed(ast.Name(id=name, ctx=ast.Load()), at), args=[], keywords=[
            ast.keyword(arg=v, value=self._value(v, at)) for v in self.table[name].free])
        setattr(ref, REFERENCE, True)
        return placed(ref, at)

    def _value(self, v, at):
        """What a reference passes for free variable ``v``: the variable, or a reference."""
        if v in self.table:
            return self.reference(v, at)
        return placed(ast.Name(id=v, ctx=ast.Load()), at)

    def _check_defined(self, name, at):
        if name in self.positions and self.position < self.positions[name]:
            raise self.error(at, f"{self.table[name].__name__}() is used before its def; "
                                 f"define it first")


def placed(new, at):
    """``new`` at the position (and in the inlined function's place) of ``at``."""
    ast.copy_location(new, at)
    if hasattr(at, PLACE):
        setattr(new, PLACE, getattr(at, PLACE))
    return new


def copy_call(call, args, keywords):
    """A copy of ``call`` (with its marks) with other arguments."""
    new = copy.copy(call)
    new.args, new.keywords = args, keywords
    return new
