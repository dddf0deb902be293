"""Calls that take a function, as the code that calls it: a syntax-only pass of ``desugar``.

``map(f, xs)``, ``filter(f, xs)``, ``functools.reduce(f, xs)``, ``sorted(xs, key=f)`` and
``max(xs, key=f)`` call ``f`` inside a function of Python's, which adcompile cannot
inline. Written as code that calls ``f`` itself, ``f`` is inlined (a lambda, a nested
function, a function of the user's) or differentiated by its rule (``np.tanh``):

- a ``map`` or ``filter`` whose items are all taken at once, by ``list``, ``tuple``,
  ``sum``, ``sorted``, ``min``, ``max`` or ``functools.reduce``, becomes the list
  comprehension it equals: ``sum(map(f, xs, ys))`` is ``sum([f(a, b) for a, b in
  zip(xs, ys)])``, ``list(filter(g, xs))`` is ``[v for v in xs if g(v)]``, a map of a
  filter one comprehension, the calls made in the order Python makes them; walked by a
  ``for`` loop, the loop calls ``f`` at each step, as the lazy map does
  (``for v in map(f, xs): body`` is ``for w in xs: v = f(w); body``);
  ``map(functools.partial(g, a, k=b), xs)`` of names or constants calls ``g(a, w, k=b)``
  (the names, read at each item, are the objects the partial would hold; a loop whose
  body assigns them is left as written). A map or filter
  kept as an object (``m = map(f, xs)``), which could be read twice or after the
  variables ``f`` reads change, is left as it is (refused where it holds values being
  differentiated);
- ``list(zip(xs, ys))`` becomes the list comprehension it equals, ``[(a, b) for a, b in
  zip(xs, ys)]``: a list of tuples (frontend/tuple_lists.py), also where a loop walks it;
- ``functools.reduce`` becomes a call of a nested function holding its loop;
- ``sorted``, ``min`` and ``max`` with ``key=`` become calls of nested functions that
  compute the keys, choose the positions of the items as Python does, from the keys with
  their gradient stopped (a stable sort, the first of the greatest: the choice is
  piecewise constant), then read the items at those positions, so that the gradient
  flows to the chosen items. A ``sorted`` whose key is one position of the items
  (``key=lambda p: p[0]``) is marked (``BY_POSITION``): of a list of tuples of values
  being differentiated, normalizing sorts its lists (tuple_lists.py).

The nested functions are added at the top of the function's body, as if the user had
written them (closures.py then takes them out).
"""

import ast
import builtins
import functools

from ..ir import assigns, copy_tree
from ..ir.naming import fresh_name, names_in
from .source import PLACE

#: the loops of the nested functions, as Python computes them ({name}: the function's name)
TEMPLATES = {
    "reduce": """
def {name}(function, iterable):
    items = [item for item in iterable]
    value = items[0]
    for item in items[1:]:
        value = function(value, item)
    return value
""",
    "reduce_initial": """
def {name}(function, iterable, initial):
    value = initial
    for item in iterable:
        value = function(value, item)
    return value
""",
    "sorted": """
def {name}(function, iterable, reverse=False):
    from adcompile import stop_gradient
    items = [item for item in iterable]
    keys = []
    for item in items:
        key = function(item)
        keys.append(stop_gradient(key))
    return [items[k] for k in sorted(range(len(items)), key=keys.__getitem__, reverse=reverse)]
""",
    # max and min: the first item whose key is the greatest (the least), as Python chooses
    "extreme": """
def {name}(function, iterable):
    from adcompile import stop_gradient
    items = [item for item in iterable]
    keys = []
    for item in items:
        key = function(item)
        keys.append(stop_gradient(key))
    return items[{choose}(range(len(items)), key=keys.__getitem__)]
""",
}

#: the attribute of the call of the "sorted" helper whose key is one position of the items
#: (``key=lambda p: p[0]``): that position (an int)
BY_POSITION = "_adcompile_by_position"

#: the builtins the templates and rewritten code call, which must mean Python's there
_BUILTINS = ("range", "len", "sorted", "max", "min", "zip")

#: the calls whose argument at a position is a map or filter taken all at once
_CONSUMERS = {builtins.list: 0, builtins.tuple: 0, builtins.sum: 0, builtins.sorted: 0,
              builtins.min: 0, builtins.max: 0, functools.reduce: 1}


def desugar_higher_order(fn, source):
    """Rewrite (in place) the calls of ``fn``, a copy of ``source``'s def, that take a
    function (see the module's docstring)."""
    names = {"map", "filter", "reduce", "sorted", "min", "max", "zip"}
    if not any(isinstance(n, ast.Call) and _spelled(n.func) in names for n in _own_nodes(fn)):
        return
    local = set(source.params) | assigns([fn])
    if any(source.callee(ast.Name(id=b, ctx=ast.Load()), local).what is not getattr(builtins, b)
           for b in _BUILTINS):
        return   # (a name of Python's that means something else here: left as written)
    rewrite = _Rewriter(fn, lambda e: source.callee(e, local))
    rewrite.block(fn.body)
    at = 1 if ast.get_docstring(fn, clean=False) is not None else 0
    fn.body[at:at] = rewrite.helpers.values()


def _spelled(func):
    """The name a call's function is spelled with (``reduce`` for ``functools.reduce``)."""
    return func.id if isinstance(func, ast.Name) else \
        func.attr if isinstance(func, ast.Attribute) else None


def _own_nodes(node):
    """The nodes of ``node``, not descending into the lambdas and defs it holds."""
    todo = [node]
    while todo:
        n = todo.pop()
        yield n
        todo.extend(c for c in ast.iter_child_nodes(n)
                    if not isinstance(c, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef,
                                          ast.ClassDef)))


def _load(name, at):
    return _place(ast.Name(id=name, ctx=ast.Load()), at)


def _place(tree, at):
    """``tree`` with each node that has no position at ``at``'s (in its function's place:
    source.PLACE)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.expr, ast.stmt, ast.excepthandler, ast.arg, ast.keyword)) \
                and getattr(node, "lineno", None) is None:
            ast.copy_location(node, at)
            if hasattr(at, PLACE):
                setattr(node, PLACE, getattr(at, PLACE))
    return tree


def _function_expression(f, arity):
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


class _Rewriter:
    """Rewrites a function's statements (``block``); ``helpers`` are the nested functions
    the rewritten calls need, by template."""

    def __init__(self, fn, callee):
        self.callee = callee
        self.taken = names_in(fn)
        self.helpers = {}
        self.calls = _Calls(self)

    def fresh(self, base):
        return fresh_name(base, self.taken)

    def kind(self, e):
        """"map" or "filter" for a call of one this pass rewrites, else None."""
        if not isinstance(e, ast.Call) or e.keywords \
                or any(isinstance(a, ast.Starred) for a in e.args):
            return None
        called = self.callee(e.func).what
        if called is builtins.map and len(e.args) >= 2 \
                and (_function_expression(e.args[0], len(e.args) - 1)
                     or self.partial(e.args[0]) is not None):
            return "map"
        if called is builtins.filter and len(e.args) == 2 and (
                _function_expression(e.args[0], 1)
                or isinstance(e.args[0], ast.Constant) and e.args[0].value is None):
            return "filter"
        return None

    def block(self, statements):
        for i, stmt in enumerate(statements):
            statements[i] = self.statement(stmt)

    def statement(self, stmt):
        """``stmt`` rewritten (its blocks in place)."""
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return stmt
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                self.block(inner)
        for handler in getattr(stmt, "handlers", []):
            self.block(handler.body)
        if isinstance(stmt, ast.For):
            loop = self.lazy_loop(stmt)
            if loop is not None:
                return loop
        for field, value in ast.iter_fields(stmt):
            if isinstance(value, ast.expr):
                setattr(stmt, field, self.calls.visit(value))
            elif isinstance(value, list):
                value[:] = [self.calls.visit(v) if isinstance(v, ast.expr) else v
                            for v in value]
        return stmt

    def chain(self, e):
        """(steps, item) computing the items of the iterable ``e`` one by one: steps are
        ("for", target, iterable), ("let", name, value), ("if", test); None for a map of
        several iterables one of which is a map or filter (left as written)."""
        kind = self.kind(e)
        if kind is None:
            v = self.fresh("item")
            return [("for", _place(ast.Name(id=v, ctx=ast.Store()), e), e)], _load(v, e)
        f, iterables = e.args[0], e.args[1:]
        if kind == "map" and len(iterables) > 1:
            if any(self.kind(i) for i in iterables):
                return None
            names = [self.fresh("item") for _ in iterables]
            target = ast.Tuple(elts=[ast.Name(id=v, ctx=ast.Store()) for v in names],
                               ctx=ast.Store())
            zipped = ast.Call(func=_load("zip", e), args=iterables, keywords=[])
            return [("for", _place(target, e), _place(zipped, e))], \
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
        if not (isinstance(f, ast.Call) and f.args and _function_expression(f.args[0], 0)
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
            return _place(ast.Call(func=copy_tree(f.args[0]),
                                   args=[copy_tree(a) for a in f.args[1:]] + args,
                                   keywords=[copy_tree(k) for k in f.keywords]), at)
        return _place(ast.Call(func=copy_tree(f), args=args, keywords=[]), at)

    def comprehension(self, steps, at):
        """The generators of a comprehension taking the steps of a ``chain``."""
        gens = []
        for step in steps:
            if step[0] == "for":
                gens.append(ast.comprehension(target=step[1], iter=step[2], ifs=[],
                                              is_async=0))
            elif step[0] == "let":
                one = _place(ast.List(elts=[step[2]], ctx=ast.Load()), at)
                gens.append(ast.comprehension(target=_place(ast.Name(
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
        return _place(ast.ListComp(elt=item, generators=self.comprehension(steps, e)), e)

    def lazy_loop(self, loop):
        """``for t in map(f, xs): body`` as ``for w in xs: t = f(w); body`` (filter: the
        body in ``if g(w):``); None where the loop walks something else, or the body
        could change what ``f`` names."""
        chain = self.chain(loop.iter) if self.kind(loop.iter) else None
        if chain is None:
            return None
        # (a lambda reads the variables when called, in the loop as in the map)
        functions = set().union(*(names_in(n) for n in _functions_of(loop.iter, self)
                                  if not isinstance(n, ast.Lambda)))
        if functions & (assigns(loop.body) | names_in(loop.target)):
            return None
        steps, item = chain
        body = [_place(ast.Assign(targets=[loop.target], value=item), loop)] + loop.body
        for step in reversed(steps[1:]):
            if step[0] == "let":
                body.insert(0, _place(ast.Assign(targets=[ast.Name(id=step[1], ctx=ast.Store())],
                                                 value=step[2]), loop))
            else:
                body = [_place(ast.If(test=step[1], body=body, orelse=[]), loop)]
        _, target, iterable = steps[0]
        return _place(ast.For(target=target, iter=self.calls.visit(iterable), body=body,
                              orelse=loop.orelse), loop)

    def helper(self, kind, at):
        """The name of the nested function of template ``kind``, added once."""
        if kind not in self.helpers:
            name = self.fresh(f"{kind}_by_key" if kind in ("sorted", "max", "min")
                              else f"{kind}_loop")
            template = TEMPLATES["extreme" if kind in ("max", "min") else kind]
            node = ast.parse(template.format(name=name, choose=kind)).body[0]
            for n in ast.walk(node):
                for attr in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
                    if hasattr(n, attr):
                        setattr(n, attr, None)
            self.helpers[kind] = _place(node, at)
        return self.helpers[kind].name


def _position_key(key):
    """``j`` for ``key=lambda p: p[j]`` (``j`` an int constant, perhaps negative), else
    None."""
    if not (isinstance(key, ast.Lambda) and _function_expression(key, 1)
            and isinstance(key.body, ast.Subscript) and isinstance(key.body.value, ast.Name)
            and key.body.value.id == key.args.args[0].arg):
        return None
    index, sign = key.body.slice, 1
    if isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub):
        index, sign = index.operand, -1
    return sign * index.value if isinstance(index, ast.Constant) \
        and type(index.value) is int else None


def _functions_of(e, rewriter):
    """The function expressions of the maps and filters of the chain ``e``."""
    while rewriter.kind(e):
        yield e.args[0]
        if len(e.args) != 2:
            return
        e = e.args[1]


class _Calls(ast.NodeTransformer):
    """Rewrites the calls of an expression, innermost first; not inside lambdas (a
    lambda's body is rewritten where it is inlined)."""

    def __init__(self, rewriter):
        self.r = rewriter

    def visit_Lambda(self, node):
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        called = self.r.callee(node.func).what
        at = next((p for f, p in _CONSUMERS.items() if f is called), None)
        if at is not None and len(node.args) > at:
            node.args[at] = self.r.listed(node.args[at])
            if called is builtins.list and len(node.args) == 1 and not node.keywords \
                    and isinstance(node.args[0], ast.ListComp):
                return node.args[0]   # list(map(f, xs)): the comprehension's own list
        if any(isinstance(a, ast.Starred) for a in node.args) \
                or any(k.arg is None for k in node.keywords):
            return node
        if called is builtins.list and len(node.args) == 1 and not node.keywords:
            zipped = self._zipped(node.args[0])
            if zipped is not None:
                return zipped
        if called is functools.reduce and 2 <= len(node.args) <= 3 and not node.keywords:
            kind = "reduce" if len(node.args) == 2 else "reduce_initial"
            return self._helper_call(kind, node.args, node)
        if called in (builtins.sorted, builtins.max, builtins.min) and node.args:
            return self._keyed(node, called)
        return node

    def _keyed(self, node, called):
        """``sorted(xs, key=f, reverse=r)``, ``max(xs, key=f)``, ``max(a, b, key=f)`` as a
        call of a nested function; ``node`` where there is no ``key=`` (or a ``default=``)."""
        given = {k.arg: k.value for k in node.keywords}
        key = given.pop("key", None)
        if key is None or isinstance(key, ast.Constant) and key.value is None \
                or self.r.callee(key).kind == "method":
            return node   # (a method of a local, keys.__getitem__: no function to inline)
        if called is builtins.sorted:
            if len(node.args) != 1 or set(given) - {"reverse"}:
                return node
            call = self._helper_call("sorted", [key, node.args[0]] + list(given.values()),
                                     node)
            position = _position_key(key)
            if position is not None:   # (of a list of tuples: tuple_lists.py sorts its lists)
                setattr(call, BY_POSITION, position)
            return call
        if given:
            return node
        items = node.args[0] if len(node.args) == 1 else \
            _place(ast.List(elts=list(node.args), ctx=ast.Load()), node)
        return self._helper_call(called.__name__, [key, items], node)

    def _zipped(self, e):
        """``[(a, b) for a, b in zip(xs, ys)]`` for ``e``, ``zip(xs, ys)`` of Python's (no
        keyword: ``strict=`` is left as written), the list ``list`` makes of it; else
        None."""
        if not (isinstance(e, ast.Call) and self.r.callee(e.func).what is builtins.zip
                and e.args and not e.keywords
                and not any(isinstance(a, ast.Starred) for a in e.args)):
            return None
        names = [self.r.fresh(f"{a.id}_item" if isinstance(a, ast.Name) else "item")
                 for a in e.args]
        target = ast.Tuple(elts=[ast.Name(id=v, ctx=ast.Store()) for v in names],
                           ctx=ast.Store())
        item = ast.Tuple(elts=[ast.Name(id=v, ctx=ast.Load()) for v in names], ctx=ast.Load())
        return _place(ast.ListComp(elt=item, generators=[ast.comprehension(
            target=target, iter=e, ifs=[], is_async=0)]), e)

    def _helper_call(self, kind, args, node):
        """``node`` as a call of the nested function of template ``kind``, given ``args``
        (the function, the iterable, ...)."""
        iterable = args[1]
        if isinstance(iterable, ast.Call) and self.r.callee(iterable.func).what is builtins.list \
                and len(iterable.args) == 1 and not iterable.keywords \
                and not isinstance(iterable.args[0], ast.Starred):
            args[1] = iterable.args[0]   # (the function walks its iterable once, as list does)
        name = self.r.helper(kind, node)
        return _place(ast.Call(func=_load(name, node), args=args, keywords=[]), node)

    def _comprehension(self, node):
        self.generic_visit(node)
        generators = []
        for gen in node.generators:
            chain = self.r.chain(gen.iter) if self.r.kind(gen.iter) and not gen.is_async \
                else None
            own = set().union(*(names_in(g.target) for g in node.generators))
            if chain is None or own & set().union(
                    *(names_in(f) for f in _functions_of(gen.iter, self.r))):
                generators.append(gen)
                continue
            steps, item = chain
            generators += self.r.comprehension(steps, gen.iter)
            one = _place(ast.List(elts=[item], ctx=ast.Load()), gen.iter)
            generators.append(ast.comprehension(target=gen.target, iter=one, ifs=gen.ifs,
                                                is_async=0))
        node.generators = generators
        return node

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension
