"""Calls that take a function, as the code that calls it: a syntax-only pass of ``desugar``.

``map(f, xs)``, ``filter(f, xs)``, ``functools.reduce(f, xs)``, ``sorted(xs, key=f)`` and
``max(xs, key=f)`` call ``f`` inside a function of Python's, which adcompile cannot
inline. Written as code that calls ``f`` itself, ``f`` is inlined (a lambda, a nested
function, a function of the user's) or differentiated by its rule (``np.tanh``):

- a ``map`` or ``filter`` whose items are all taken at once, by ``list``, ``tuple``,
  ``sum``, ``sorted``, ``min``, ``max`` or ``functools.reduce``, becomes the list
  comprehension it equals; walked by a ``for`` loop or a comprehension, the loop calls
  ``f`` at each step, as the lazy map does (maps_and_filters.py). A map or filter kept as
  an object (``m = map(f, xs)``), which could be read twice or after the variables ``f``
  reads change, is left as it is (refused where it holds values being differentiated);
- ``list(zip(xs, ys))`` becomes the list comprehension it equals, ``[(a, b) for a, b in
  zip(xs, ys)]``: a list of tuples (frontend/tuple_lists.py), also where a loop walks it;
- ``functools.reduce``, and ``sorted``, ``min`` and ``max`` with ``key=``, become calls of
  nested functions holding their loops (helper_loops.py).

This module walks the function's statements and expressions and sends each call to the
rewrite it needs. The nested functions are added at the top of the function's body, as if
the user had written them (closures.py then takes them out).
"""

import ast
import builtins
import functools

from ..ir import assigns
from ..ir.naming import fresh_name, names_in
from .helper_loops import HelperLoops
from .maps_and_filters import MapsAndFilters
from .references import placed_tree

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
    rewrite = _Statements(fn, lambda e: source.callee(e, local))
    rewrite.block(fn.body)
    at = 1 if ast.get_docstring(fn, clean=False) is not None else 0
    fn.body[at:at] = rewrite.calls.helper_loops.helpers.values()


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


class _Statements:
    """Rewrites a function's statements (``block``): a loop over a map or filter as the
    loop calling its function, the calls of each expression by ``calls``."""

    def __init__(self, fn, callee):
        taken = names_in(fn)
        self.calls = _Calls(callee, lambda base: fresh_name(base, taken))

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
            loop = self.calls.maps.lazy_loop(stmt)
            if loop is not None:
                return loop
        for field, value in ast.iter_fields(stmt):
            if isinstance(value, ast.expr):
                setattr(stmt, field, self.calls.visit(value))
            elif isinstance(value, list):
                value[:] = [self.calls.visit(v) if isinstance(v, ast.expr) else v
                            for v in value]
        return stmt


class _Calls(ast.NodeTransformer):
    """Rewrites the calls of an expression, innermost first; not inside lambdas (a
    lambda's body is rewritten where it is inlined)."""

    def __init__(self, callee, fresh):
        self.callee, self.fresh = callee, fresh
        self.maps = MapsAndFilters(callee, fresh, self.visit)
        self.helper_loops = HelperLoops(callee, fresh)

    def visit_Lambda(self, node):
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        called = self.callee(node.func).what
        at = next((p for f, p in _CONSUMERS.items() if f is called), None)
        if at is not None and len(node.args) > at:
            node.args[at] = self.maps.listed(node.args[at])
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
            return self.helper_loops.reduce(node)
        if called in (builtins.sorted, builtins.max, builtins.min) and node.args:
            return self.helper_loops.keyed(node, called)
        return node

    def _zipped(self, e):
        """``[(a, b) for a, b in zip(xs, ys)]`` for ``e``, ``zip(xs, ys)`` of Python's (no
        keyword: ``strict=`` is left as written), the list ``list`` makes of it; else
        None."""
        if not (isinstance(e, ast.Call) and self.callee(e.func).what is builtins.zip
                and e.args and not e.keywords
                and not any(isinstance(a, ast.Starred) for a in e.args)):
            return None
        names = [self.fresh(f"{a.id}_item" if isinstance(a, ast.Name) else "item")
                 for a in e.args]
        target = ast.Tuple(elts=[ast.Name(id=v, ctx=ast.Store()) for v in names],
                           ctx=ast.Store())
        item = ast.Tuple(elts=[ast.Name(id=v, ctx=ast.Load()) for v in names], ctx=ast.Load())
        return placed_tree(ast.ListComp(elt=item, generators=[ast.comprehension(
            target=target, iter=e, ifs=[], is_async=0)]), e)

    def _comprehension(self, node):
        self.generic_visit(node)
        node.generators = self.maps.generators(node)
        return node

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension
