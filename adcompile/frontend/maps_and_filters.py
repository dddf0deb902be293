"""``map`` and ``filter`` as the list comprehensions and loops they equal (a part of
higher_order.py's pass).

A map or filter whose items are all taken at once becomes the list comprehension it
equals (``sum(map(f, xs, ys))`` is ``sum([f(a, b) for a, b in zip(xs, ys)])``,
``list(filter(g, xs))`` is ``[v for v in xs if g(v)]``, a map of a filter one
comprehension, the calls made in the order Python makes them); a ``for`` loop or a
comprehension walking one calls ``f`` at each step, as the lazy map does (``for v in
map(f, xs): body`` is ``for w in xs: v = f(w); body``). ``map(functools.partial(g, a,
k=b), xs)`` of names or constants calls ``g(a, w, k=b)`` (the names, read at each item,
are the objects the partial would hold; a loop whose body assigns them is left as
written).
"""

import ast
import builtins
import functools

from ..ir import assigns, copy_tree
from ..ir.naming import names_in
from .references import placed_tree


def function_expression(f, arity):
    """Whether ``f`` is a function written so that calling it again at each item calls
    what the map or filter would: a lambda of ``arity`` plain parameters, a name, or a
    module's attribute (``np.tanh``)."""
    if isinstance(f, ast.Lambda):
        a = f.args
        return not (a.posonlyargs or a.vararg or a.kwonlyargs or a.kwarg or a.defaults) \
            and len(a.args) == arity
    while isinstance(f, ast.Attribute):
        f = f.value
    return isinstance(f, ast.Name)


def _load(name, at):
    return placed_tree(ast.Name(id=name, ctx=ast.Load()), at)


class MapsAndFilters:
    """The maps and filters of one function written out: ``callee`` tells what a call's
    function is, ``fresh`` makes a new name, ``visit`` rewrites the calls of an
    expression (an iterable a rewritten loop walks)."""

    def __init__(self, callee, fresh, visit):
        self.callee, self.fresh, self.visit = callee, fresh, visit

    def kind(self, e):
        """"map" or "filter" for a call of one this pass rewrites, else None."""
        if not isinstance(e, ast.Call) or e.keywords \
                or any(isinstance(a, ast.Starred) for a in e.args):
            return None
        called = self.callee(e.func).what
        if called is builtins.map and len(e.args) >= 2 \
                and (function_expression(e.args[0], len(e.args) - 1)
                     or self.partial(e.args[0]) is not None):
            return "map"
        if called is builtins.filter and len(e.args) == 2 and (
                function_expression(e.args[0], 1)
                or isinstance(e.args[0], ast.Constant) and e.args[0].value is None):
            return "filter"
        return None

    def chain(self, e):
        """(steps, item) computing the items of the iterable ``e`` one by one: steps are
        ("for", target, iterable), ("let", name, value), ("if", test); None for a map of
        several iterables one of which is a map or filter (left as written)."""
        kind = self.kind(e)
        if kind is None:
            v = self.fresh("item")
            return [("for", placed_tree(ast.Name(id=v, ctx=ast.Store()), e), e)], _load(v, e)
        f, iterables = e.args[0], e.args[1:]
        if kind == "map" and len(iterables) > 1:
            if any(self.kind(i) for i in iterables):
                return None
            names = [self.fresh("item") for _ in iterables]
            target = ast.Tuple(elts=[ast.Name(id=v, ctx=ast.Store()) for v in names],
                               ctx=ast.Store())
            zipped = ast.Call(func=_load("zip", e), args=iterables, keywords=[])
            return [("for", placed_tree(target, e), placed_tree(zipped, e))], \
                self.call(f, [_load(v, e) for v in names], e)
        inner = self.chain(iterables[0])
        if inner is None:
            return None
        steps, item = inner
        if kind == "map":
            return steps, self.call(f, [item], e)
        if not isinstance(item, ast.Name):
            v = self.fresh("item")
            steps.append(("let", v, item))
            item = _load(v, e)
        test = _load(item.id, e) if isinstance(f, ast.Constant) else \
            self.call(f, [_load(item.id, e)], e)
        return steps + [("if", test)], item

    def partial(self, f):
        """``f`` if it is ``functools.partial(g, a, k=b)`` of a function's name and names or
        constants (which the partial object holds: read again at each item, they are the
        same objects), else None."""
        if not (isinstance(f, ast.Call) and f.args and function_expression(f.args[0], 0)
                and not isinstance(f.args[0], ast.Lambda)
                and self.callee(f.func).what is functools.partial):
            return None
        plain = (ast.Name, ast.Constant)
        if all(isinstance(a, plain) for a in f.args[1:]) \
                and all(k.arg is not None and isinstance(k.value, plain) for k in f.keywords):
            return f
        return None

    def call(self, f, args, at):
        """``f(*args)``, ``f`` written again (a lambda: called at once); ``partial(g, a,
        k=b)(*args)`` as ``g(a, *args, k=b)``."""
        if self.partial(f) is not None:
            return placed_tree(ast.Call(func=copy_tree(f.args[0]),
                                        args=[copy_tree(a) for a in f.args[1:]] + args,
                                        keywords=[copy_tree(k) for k in f.keywords]), at)
        return placed_tree(ast.Call(func=copy_tree(f), args=args, keywords=[]), at)

    def comprehension(self, steps, at):
        """The generators of a comprehension taking the steps of a ``chain``."""
        gens = []
        for step in steps:
            if step[0] == "for":
                gens.append(ast.comprehension(target=step[1], iter=step[2], ifs=[],
                                              is_async=0))
            elif step[0] == "let":
                one = placed_tree(ast.List(elts=[step[2]], ctx=ast.Load()), at)
                gens.append(ast.comprehension(target=placed_tree(ast.Name(
                    id=step[1], ctx=ast.Store()), at), iter=one, ifs=[], is_async=0))
            else:
                gens[-1].ifs.append(step[1])
        return gens

    def listed(self, e):
        """The list comprehension of the map or filter ``e`` (else ``e``)."""
        chain = self.chain(e) if self.kind(e) else None
        if chain is None:
            return e
        steps, item = chain
        return placed_tree(ast.ListComp(elt=item, generators=self.comprehension(steps, e)), e)

    def lazy_loop(self, loop):
        """``for t in map(f, xs): body`` as ``for w in xs: t = f(w); body`` (filter: the
        body in ``if g(w):``); None where the loop walks something else, or the body
        could change what ``f`` names."""
        chain = self.chain(loop.iter) if self.kind(loop.iter) else None
        if chain is None:
            return None
        # (a lambda reads the variables when called, in the loop as in the map)
        functions = set().union(*(names_in(n) for n in self.functions_of(loop.iter)
                                  if not isinstance(n, ast.Lambda)))
        if functions & (assigns(loop.body) | names_in(loop.target)):
            return None
        steps, item = chain
        body = [placed_tree(ast.Assign(targets=[loop.target], value=item), loop)] + loop.body
        for step in reversed(steps[1:]):
            if step[0] == "let":
                body.insert(0, placed_tree(ast.Assign(
                    targets=[ast.Name(id=step[1], ctx=ast.Store())], value=step[2]), loop))
            else:
                body = [placed_tree(ast.If(test=step[1], body=body, orelse=[]), loop)]
        _, target, iterable = steps[0]
        return placed_tree(ast.For(target=target, iter=self.visit(iterable), body=body,
                                   orelse=loop.orelse), loop)

    def generators(self, node):
        """The generators of the comprehension ``node``, those walking a map or filter
        written as the generators taking its items one by one."""
        generators = []
        for gen in node.generators:
            chain = self.chain(gen.iter) if self.kind(gen.iter) and not gen.is_async \
                else None
            own = set().union(*(names_in(g.target) for g in node.generators))
            if chain is None or own & set().union(
                    *(names_in(f) for f in self.functions_of(gen.iter))):
                generators.append(gen)
                continue
            steps, item = chain
            generators += self.comprehension(steps, gen.iter)
            one = placed_tree(ast.List(elts=[item], ctx=ast.Load()), gen.iter)
            generators.append(ast.comprehension(target=gen.target, iter=one, ifs=gen.ifs,
                                                is_async=0))
        return generators

    def functions_of(self, e):
        """The function expressions of the maps and filters of the chain ``e``."""
        while self.kind(e):
            yield e.args[0]
            if len(e.args) != 2:
                return
            e = e.args[1]
