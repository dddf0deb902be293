"""Loops over a generator of the user's, written out with the generator's code:
``for W, b in unpack_layers(weights):``.

A generator function is a loop's way of handing out the parts of something one at a
time; autograd's Bayesian neural net cuts its layers out of a weight matrix so::

    def unpack_layers(weights):
        for m, n in SHAPES:
            yield weights[:, :m * n].reshape(...), weights[:, m * n:m * n + n].reshape(...)
            weights = weights[:, (m + 1) * n:]

    for W, b in unpack_layers(weights):
        outputs = np.einsum("mnd,mdo->mno", inputs, W) + b
        inputs = np.tanh(outputs)

Python runs the generator lazily, up to each ``yield``, then the loop's body, then on:
the loop is that code with the generator's parameters bound to the call's arguments first
and each ``yield v`` replaced by ``target = v`` and the loop's body, the generator's own
variables renamed so that they are apart from the caller's. That is done here, on the
syntax, before the other passes read the function (which then differentiate it as any
code). Only where it is exactly what Python does: a module-level generator function of the
same file and indentation (its free names mean there what they mean in the caller) with
plain parameters (defaults literals), whose code has ``yield`` only as statements and no
``return``, ``yield from``, nested functions, lambdas, comprehensions, imports,
``global``/``nonlocal``, ``try`` or ``with``; a loop with no ``else`` whose body has no
``break``, ``continue`` or ``return`` (those would leave the generator's loops); and no
name of the caller the generator reads. Any other use of a generator stays refused.
"""

import ast
import copy
import inspect

from ..ir import scope_stores
from ..ir.naming import fresh_name, names_in
from .source import FunctionSource, own_signature
from .syntax import is_literal

_NOT_IN_GENERATORS = (ast.Return, ast.YieldFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                      ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp, ast.DictComp,
                      ast.GeneratorExp, ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal,
                      ast.Try, ast.With, ast.Await, ast.NamedExpr)
_LEAVING = (ast.Break, ast.Continue, ast.Return, ast.Yield, ast.YieldFrom)


def inline_generator_loops(fn, source):
    """Write out (in place) each loop of ``fn`` (a copy of ``source``'s def) over a call of a
    generator function of the user's, where that is exact (see the module's docstring)."""
    if not any(isinstance(n, ast.For) for n in ast.walk(fn)):
        return
    local = set(source.params) | {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)
                                  and not isinstance(n.ctx, ast.Load)}
    taken = names_in(fn)
    for node in list(ast.walk(fn)):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                block[:] = [s for stmt in block
                            for s in _written_out(stmt, source, local, taken)]


def _written_out(stmt, source, local, taken):
    """[stmt], or the statements a loop over a generator stands for."""
    gen = _generator_called(stmt, source, local)
    if gen is None:
        return [stmt]
    func, gen_source = gen
    try:
        bound = own_signature(func).bind(*stmt.iter.args,
                                         **{k.arg: k.value for k in stmt.iter.keywords})
    except TypeError:
        return [stmt]   # (refused later, where the call is read, with Python's message)
    body = gen_source.node.body
    free = names_in(gen_source.node) - locals_of(gen_source)
    if free & local:
        return [stmt]   # (a name the generator reads means something else here)
    taken |= free
    renamed = {name: fresh_name(f"{name}_of_{func.__name__}", taken)
               for name in sorted(locals_of(gen_source))}
    start = []
    for param in own_signature(func).parameters.values():
        value = bound.arguments[param.name] if param.name in bound.arguments \
            else ast.Constant(param.default)
        start.append(ast.copy_location(ast.Assign(
            targets=[ast.Name(id=renamed[param.name], ctx=ast.Store())], value=value), stmt))
    code = _Yields(renamed, stmt).block(copy.deepcopy(body))
    return [ast.fix_missing_locations(s) for s in start + code]


def _generator_called(stmt, source, local):
    """(function, its source) for a loop ``for t in gen(...)`` that can be written out."""
    it = getattr(stmt, "iter", None)
    if not (isinstance(stmt, ast.For) and not stmt.orelse and isinstance(it, ast.Call)
            and isinstance(it.func, ast.Name) and it.func.id not in local
            and not any(isinstance(a, ast.Starred) for a in it.args)
            and all(k.arg is not None for k in it.keywords)):
        return None
    func = source.resolve(it.func.id, None)
    if not (inspect.isgeneratorfunction(func) and not func.__closure__
            and func.__globals__ is getattr(source, "globals", None)
            and func.__code__.co_filename == source.filename):
        return None
    if any(isinstance(n, _LEAVING) for s in stmt.body for n in _same_loop(s)):
        return None
    try:
        gen_source = FunctionSource(func)
    except Exception:   # (no source to read: refused later as a call)
        return None
    node = gen_source.node
    if gen_source.indent != source.indent or node.decorator_list or any(
            isinstance(n, _NOT_IN_GENERATORS) for s in node.body for n in ast.walk(s)):
        return None
    if any(p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY, p.POSITIONAL_ONLY)
           or p.default is not p.empty and not is_literal(p.default)
           for p in own_signature(func).parameters.values()):
        return None
    if not all(isinstance(n.value if isinstance(n, ast.Expr) else None, ast.Yield)
               for n in _yield_parents(node)):
        return None   # (a yield inside an expression: x = yield v)
    return func, gen_source


def _same_loop(stmt):
    """The nodes of ``stmt`` whose break or continue would be the loop's own (those of
    inner loops aside); every yield and return."""
    todo = [stmt]
    while todo:
        n = todo.pop()
        yield n
        if isinstance(n, (ast.For, ast.While)):
            todo.extend(n.orelse)
            todo.extend(x for s in n.body for x in ast.walk(s)
                        if isinstance(x, (ast.Return, ast.Yield, ast.YieldFrom)))
            continue
        todo.extend(ast.iter_child_nodes(n))


def _yield_parents(node):
    """The nodes directly above each ``yield`` in the def ``node``."""
    for parent in ast.walk(node):
        for child in ast.iter_child_nodes(parent):
            if isinstance(child, ast.Yield):
                yield parent


def locals_of(source):
    """The parameters of the function ``source`` and the names its code assigns."""
    return set(source.params) | {n.id for s in source.node.body for n in scope_stores(s)}


class Renamed(ast.NodeTransformer):
    """A function's code with the names of ``renamed`` (name -> new name) renamed."""

    def __init__(self, renamed):
        self.renamed = renamed

    def visit_Name(self, node):
        node.id = self.renamed.get(node.id, node.id)
        return node


class _Yields(Renamed):
    """The generator's statements with its variables renamed and each ``yield v`` as the
    loop's ``target = v`` and body."""

    def __init__(self, renamed, loop):
        super().__init__(renamed)
        self.loop = loop

    def block(self, stmts):
        out = []
        for s in stmts:
            s = self.visit(s)
            out.extend(s if isinstance(s, list) else [s])
        return out or [ast.copy_location(ast.Pass(), self.loop)]

    def visit_Expr(self, node):
        if not isinstance(node.value, ast.Yield):
            return self.generic_visit(node)
        value = self.visit(node.value.value) if node.value.value is not None \
            else ast.Constant(None)
        bind = ast.copy_location(ast.Assign(targets=[copy.deepcopy(self.loop.target)],
                                            value=value), node)
        return [bind] + copy.deepcopy(self.loop.body)

    def generic_visit(self, node):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(node, field, self.block(block))
        for field, value in ast.iter_fields(node):
            if field in ("body", "orelse") and isinstance(value, list):
                continue
            if isinstance(value, ast.AST):
                setattr(node, field, self.visit(value))
            elif isinstance(value, list):
                setattr(node, field, [self.visit(v) if isinstance(v, ast.AST) else v
                                      for v in value])
        return node
