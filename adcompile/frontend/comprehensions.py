"""Comprehensions as the loops they stand for: a syntax-only pass of ``desugar``.

A list comprehension, or a generator expression given to a call (``sum(w ** 2 for w in
ws)``, ``max(x[i] for i in range(n))``), becomes a list built by a loop just before the
statement that holds it, which then reads the list::

    s = sum(x[i] ** 2 for i in range(3) if i != k)

is::

    terms = []
    for i in range(3):
        if i != k:
            terms.append(x[i] ** 2)
    s = sum(terms)

what adcompile already differentiates (a loop appending to a list, ``sum`` of a list).
Where the comprehension is the whole value of ``ys = [...]`` (and does not read ``ys``),
the loop builds ``ys`` itself, so that the generated code keeps the user's name. A
dict comprehension becomes a dict filled by a loop (``entries = {}``, then ``entries[k] =
v`` in the loop), which is what a loop over a dict's items writes. The loop variable
keeps the user's name unless the function uses that name elsewhere (a comprehension's
variable is its own: it must not overwrite one of the function's).

A comprehension stays as it is (and is refused later, or unrolled when it walks a
structure: resolve.py) where moving its evaluation before the statement would change
what runs: inside a conditional expression, after the first operand of ``and``/``or``,
in a lambda, in a ``while`` test; a generator expression that is not an argument of a
call (it may be consumed once, or not at all); one with a walrus or ``async``; and one
walking a name of ``structures`` (resolve.py unrolls those).
"""

import ast
import copy

from ..ir import names_mentioned, walk_tree
from ..ir.naming import fresh_name, names_in

COMPREHENSIONS = (ast.ListComp, ast.GeneratorExp, ast.DictComp)
#: marks ``entries[key] = value``, a dict comprehension's step (for the message refusing a
#: key not known when transforming: changes.py)
FROM_DICT_COMPREHENSION = "_adcompile_dict_comprehension"


def desugar_comprehensions(fn, structures=()):
    """Rewrite the comprehensions of ``fn`` (an ast.FunctionDef, changed in place) that can
    be moved before their statements as loops building lists (see the module's doc).
    ``structures``: names bound to structures, whose comprehensions resolve.py unrolls.
    Returns whether there was any comprehension."""
    if any(isinstance(n, COMPREHENSIONS) for n in walk_tree(fn.body)):
        Rewriter(fn, set(structures)).block(fn.body)
        return True
    return False


class Rewriter:
    def __init__(self, fn, structures):
        self.taken = names_in(fn)
        self.structures = structures
        self.built = []   # the statements ys = [...] whose loops build ys (they replace them)
        self.outside = _names_outside_comprehensions(fn)   # names a loop variable must avoid

    def fresh(self, base):
        return fresh_name(base, self.taken)

    def block(self, statements):
        """Rewrite a list of statements in place."""
        i = 0
        while i < len(statements):
            stmt = statements[i]
            hoisted = self.statement(stmt)
            if stmt in self.built:   # (ys = [...]: the loop builds ys itself)
                statements[i:i + 1] = hoisted
                i += len(hoisted)
                continue
            statements[i:i] = hoisted
            i += len(hoisted) + 1

    def statement(self, stmt):
        """The statements to put before ``stmt`` (whose comprehensions are replaced by the
        lists they build), its own blocks rewritten."""
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                self.block(inner)
        for handler in getattr(stmt, "handlers", []):
            self.block(handler.body)
        if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Expr)):
            part = (stmt,)
        elif isinstance(stmt, ast.If):
            part = (stmt.test,)
        elif isinstance(stmt, ast.For):   # (for a, b in [(p, q) for ...]: the loop's list too)
            part = (stmt.iter, stmt, "iter")
        else:
            return []   # (a while test runs again at each step; with, try, ...: left)
        found = []
        _movable(*part[:1], found, self.structures, *part[1:])
        before = []
        for parent, field, index, comp in found:
            own = _built_name(stmt, parent, comp)
            statements, name = self.loop(comp, own)
            before.extend(statements)
            if own is not None:
                self.built.append(stmt)
                continue
            replacement = ast.copy_location(ast.Name(id=name, ctx=ast.Load()), comp)
            if index is None:
                setattr(parent, field, replacement)
            else:
                getattr(parent, field)[index] = replacement
        self.block(before)   # (a comprehension inside another's item)
        return before

    def loop(self, comp, name=None):
        """(statements building the list (or dict) of ``comp``'s items, its name: ``name``,
        else a fresh one)."""
        renames = {}
        for gen in comp.generators:
            for target in ast.walk(gen.target):
                if isinstance(target, ast.Name) and target.id not in renames:
                    own = target.id not in self.outside
                    renames[target.id] = target.id if own else self.fresh(target.id)
                    self.outside.add(renames[target.id])   # (taken for later loops)
        comp = copy.deepcopy(comp)
        rename = _Rename(renames)
        # (the first iterable is read where the comprehension is, before its variables exist)
        for k, gen in enumerate(comp.generators):
            gen.target = rename.visit(gen.target)
            if k:
                gen.iter = rename.visit(gen.iter)
            gen.ifs = [rename.visit(t) for t in gen.ifs]
        if isinstance(comp, ast.DictComp):   # entries[key] = value
            name = name or self.fresh("entries")
            here = ast.Assign(targets=[ast.Subscript(
                value=ast.Name(id=name, ctx=ast.Load()), slice=rename.visit(comp.key),
                ctx=ast.Store())], value=rename.visit(comp.value))
            setattr(here, FROM_DICT_COMPREHENSION, True)
            empty = ast.Dict(keys=[], values=[])
        else:   # items.append(elt)
            name = name or self.fresh("items")
            here = ast.Expr(value=ast.Call(
                func=ast.Attribute(value=ast.Name(id=name, ctx=ast.Load()), attr="append",
                                   ctx=ast.Load()), args=[rename.visit(comp.elt)],
                keywords=[]))
            empty = ast.List(elts=[], ctx=ast.Load())
        body = [here]
        for gen in reversed(comp.generators):
            for test in reversed(gen.ifs):
                body = [ast.If(test=test, body=body, orelse=[])]
            body = [ast.For(target=gen.target, iter=gen.iter, body=body, orelse=[])]
        made = [ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=empty)] + body
        for stmt in made:
            for node in ast.walk(stmt):
                if not hasattr(node, "lineno") or node.lineno is None:
                    ast.copy_location(node, comp)
        return made, name


def _built_name(stmt, parent, comp):
    """The name ``ys`` of ``ys = [...]`` (a list or dict comprehension, the whole value of
    the assignment), which its loop may build under that name; else None. (Not where the
    comprehension reads ``ys``: it reads the value before the assignment.)"""
    if parent is stmt and isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
            and isinstance(stmt.targets[0], ast.Name) and stmt.value is comp \
            and not isinstance(comp, ast.GeneratorExp) \
            and stmt.targets[0].id not in names_mentioned([comp]):
        return stmt.targets[0].id
    return None


def _names_outside_comprehensions(fn):
    """The names ``fn`` uses outside comprehensions (its parameters too). Unlike
    ``ir.naming.names_in`` (every identifier), it leaves out a comprehension's own names,
    but for the iterable of its first generator, evaluated outside it, and the names of
    defs."""
    found = {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)}
    todo = list(fn.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp)):
            todo.append(node.generators[0].iter)
            continue
        if isinstance(node, ast.Name):
            found.add(node.id)
        todo.extend(ast.iter_child_nodes(node))
    return found


def _movable(node, found, structures, parent=None, field=None, index=None):
    """Collect (parent, field, index, comprehension) for the outermost comprehensions under
    ``node`` whose evaluation may move before the statement."""
    if isinstance(node, COMPREHENSIONS) and parent is not None:
        if _can_move(node, parent, structures):
            found.append((parent, field, index, node))
        return
    if isinstance(node, (ast.Lambda, ast.IfExp)) or isinstance(node, COMPREHENSIONS + (
            ast.SetComp, ast.DictComp)):
        if isinstance(node, ast.IfExp):   # the test always runs
            _movable(node.test, found, structures, node, "test")
        return
    for name, value in ast.iter_fields(node):
        if isinstance(node, ast.BoolOp) and name == "values":
            _movable(value[0], found, structures, node, name, 0)   # the others may not run
            continue
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, ast.AST):
                    _movable(item, found, structures, node, name, i)
        elif isinstance(value, ast.AST):
            _movable(value, found, structures, node, name)


def _can_move(comp, parent, structures):
    if isinstance(comp, ast.GeneratorExp) and not (isinstance(parent, ast.Call)
                                                   and comp in parent.args):
        return False
    for gen in comp.generators:
        if gen.is_async:
            return False
        if any(isinstance(n, ast.Name) and n.id in structures for n in ast.walk(gen.iter)):
            return False
    return not any(isinstance(n, (ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom))
                   for n in ast.walk(comp))


class _Rename(ast.NodeTransformer):
    """Renames the comprehension's own variables (``renames``) in it; an inner
    comprehension or lambda that binds the same name again keeps its own."""

    def __init__(self, renames):
        self.renames = renames

    def visit_Name(self, node):
        if node.id in self.renames:
            node.id = self.renames[node.id]
        return node

    def _scoped(self, node, bound):
        inner = {k: v for k, v in self.renames.items() if k not in bound}
        if len(inner) == len(self.renames):
            return self.generic_visit(node)
        return _Rename(inner).generic_visit(node)

    def visit_Lambda(self, node):
        return self._scoped(node, {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)})

    def _visit_comp(self, node):
        return self._scoped(node, names_mentioned(g.target for g in node.generators))

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _visit_comp
