"""Functions as values: nested functions, lambdas, and functions passed as arguments.

Each scope has a table, ``scope.functions`` (``function_table``, a pass of
``Normalizer.enter``): its nested functions and lambdas
(``closures.extract``) and the parameters its call gave a function: a
``closures.Closure`` (a nested function and what it captured where it was
passed) or a module-level function or primitive. A call of a name in the table
is inlined (or, for a primitive, goes through its rule). A nested function has
no value at run time: a call of one is inlined even when nothing in it varies
(``hoist_local_calls``), and any other way it could reach generated code is
refused (``refuse_local_uses``). Part of ``normalize.Normalizer``.
"""

import ast
import builtins
import copy
import inspect

from ..ir import assigns, walk_tree
from .closures import Closure
from .local_functions import StandIn
from .references import ONLY_CALLED, REFERENCE, copy_call
from .source import Callee
from .syntax import Ready, is_user_class, is_user_function, made_by_adcompile, user_method
from .syntax import LEAF

#: the attribute of a name standing for the result of a call inlined out of an expression
HOISTED = "_adcompile_hoisted"


def _origin(function):
    """A function, or for a nested one (made anew where it is defined, at each inlining of
    the function around it) its place in the file."""
    if isinstance(function, StandIn):
        node = function.source.node
        return function.source.filename, node.lineno, node.col_offset
    return function


def is_local(value):
    """Whether a table entry is a nested function (or lambda), not a module-level one."""
    return isinstance(value, (StandIn, Closure))


def function_table(fn, nested, env, scope, namer, extra_globals):
    """The table of ``scope``, just entered for ``fn``: its nested functions ``nested``,
    and its parameters given a function (the ``Closure`` values of ``env``). A
    module-level function gets a name of its own in the generated code: fresh from
    ``namer``, in ``scope.free_map``, bound to the function in ``extra_globals``."""
    table = dict(nested)
    for name, value in nested.items():
        if made_by_adcompile(value) is not None:   # (nested_gradients.py)
            _bind_global(name, value, scope, namer, extra_globals)
    stored = assigns([fn])
    for param, value in env.items():
        if not isinstance(value, Closure):
            continue
        if param in stored:
            raise scope.src.error(fn, f"the parameter {param!r} is given a function, "
                                      f"and assigned again in {fn.name}(); give the "
                                      f"new value another name")
        if value.captured or isinstance(value.function, StandIn):
            _refuse_kept(fn, param, value, scope.src.error)
            table[param] = value
            continue
        table[param] = value.function
        _bind_global(param, value.function, scope, namer, extra_globals)
    return table


def _bind_global(name, obj, scope, namer, extra_globals):
    """The user name ``name`` of function ``obj`` read, in generated code, as a fresh name
    bound to ``obj``."""
    base = getattr(obj, "__name__", name)
    fresh = namer.fresh(base if base.isidentifier() else name.lstrip(LEAF))
    extra_globals[fresh] = obj
    scope.free_map[name] = fresh


def _refuse_kept(fn, param, value, error):
    """Refuse a use of ``param``, given a nested function, other than calling it or
    passing it on."""
    passed = {a for n in walk_tree(fn) if isinstance(n, ast.Call)
              for a in [n.func] + n.args + [k.value for k in n.keywords]
              if isinstance(a, ast.AST)}   # (an operand made already, Ready, is no node)
    for n in walk_tree(fn):
        if isinstance(n, ast.Name) and n.id == param and n not in passed:
            name = value.function.__name__
            what = "a lambda" if name == "<lambda>" else f"the nested function {name}()"
            raise error(n, f"{param!r} holds {what} here, and is used as a "
                           f"value (returned, stored or assigned); "
                           f"{ONLY_CALLED}")


class Functions:
    """Part of ``normalize.Normalizer``: nested functions, lambdas and functions passed,
    as the traversal meets them (``function_table`` makes each scope's table)."""

    def callee(self, func):
        """The ``source.Callee`` the expression ``func`` refers to in the current function."""
        if isinstance(func, ast.Name) and func.id in self.scope.functions:
            return Callee("object", self.scope.functions[func.id])
        if isinstance(func, ast.Name) and func.id in self.scope.known:   # (trees.py)
            return Callee("object", self.scope.known[func.id])
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and is_user_class(self.scope.functions.get(func.value.id)) \
                and hasattr(self.scope.functions[func.value.id], func.attr):
            # cls.from_params in a class method, cls given the class (calls.py)
            return Callee("object", getattr(self.scope.functions[func.value.id], func.attr))
        base = func
        while isinstance(base, ast.Attribute):
            base = base.value
        if isinstance(base, ast.Name) and base.id.startswith(LEAF):   # a leaf (trees.py)
            return self.scope.src.callee(func, self.scope.locals | {base.id})
        method = self._captured_method(func)
        if method is not None:
            return Callee("object", method)
        return self.scope.src.callee(func, self.scope.locals)

    def _captured_method(self, func):
        """``self.helper`` in a method inlined for a module-level object (calls.py,
        ``MODEL.loss(w, x)``: ``self`` is bound to the object, captured when the gradient
        is made): that object's method, when it is one of the user's; else None."""
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id in self.scope.locals):
            return None
        bound = self.scope.env.get(func.value.id)
        obj = self.out.extra_globals.get(bound) if isinstance(bound, str) else None
        if obj is None or not inspect.isfunction(inspect.getattr_static(obj, func.attr, None)):
            return None   # (a property is not run to find out what it gives)
        method = getattr(obj, func.attr)
        return method if user_method(method) is not None else None

    def function_argument(self, e):
        """What the parameter given ``e`` in an inlined call holds: a ``Closure`` for a
        function, else the operand of ``e``."""
        if isinstance(e, Closure):
            return e
        if isinstance(e, ast.Call) and getattr(e, REFERENCE, False):
            return Closure(self.scope.functions[e.func.id], {
                k.arg: self.function_argument(k.value) for k in e.keywords})
        if isinstance(e, (ast.Name, ast.Attribute)):
            called = self.callee(e)
            if called.kind == "object" and self._is_function(called.what):
                return called.what if isinstance(called.what, Closure) else Closure(called.what)
        return self.operand(e)

    def _is_function(self, obj):
        if isinstance(obj, (StandIn, Closure)) or is_user_class(obj):
            return True   # (a class of the user's, given to a helper that calls it)
        return callable(obj) and not isinstance(obj, type) and (
            is_user_function(obj) or self.registry.rule_for(obj) is not None
            or self.registry.is_nondifferentiable(obj))

    @staticmethod
    def open_closure(func, call):
        """(function, call) for inlining a call of ``func``: a ``Closure`` is its function,
        called with what it captured as the keywords that pass it."""
        if not isinstance(func, Closure):
            return func, call
        extra = [ast.keyword(arg=v, value=value if isinstance(value, Closure) else Ready(value))
                 for v, value in func.captured.items()]
        return func.function, copy_call(call, list(call.args), list(call.keywords) + extra)

    def recursion_key(self, func, call):
        """What a call being inlined must not share with one that encloses it: the function,
        the functions it is given (apply(h, x) may call apply(g, y) in h) and the structures
        it is given that are parts of the arguments (a model's ``__call__`` calls its
        layers' ``__call__``: there are finitely many parts, and a structure made while
        inlining is none). A nested function is known by its place in the file (it is made
        anew at each inlining)."""
        given = []
        for a in call.args + [k.value for k in call.keywords]:
            if isinstance(a, Closure):
                given.append(_origin(a.function))
            elif getattr(a, REFERENCE, False) or isinstance(a, ast.Name) \
                    and a.id in self.scope.functions:
                value = self.scope.functions[a.func.id if isinstance(a, ast.Call) else a.id]
                given.append(_origin(value.function if isinstance(value, Closure) else value))
            elif isinstance(a, (ast.Name, ast.Attribute, ast.Subscript)) \
                    and self.names_structure(a) and id(self.tree_of(a)) in self.inlining.parts:
                given.append(id(self.tree_of(a)))
        return _origin(func.function if isinstance(func, Closure) else func), frozenset(given)

    def _passes_local(self, e):
        """Whether expression ``e`` is a nested function given as a value."""
        return getattr(e, REFERENCE, False) or (
            isinstance(e, ast.Name) and is_local(self.scope.functions.get(e.id)))

    def must_inline(self, e):
        """Whether ``e`` is a call of a nested function, or one passing one: inlined even
        when nothing in it varies."""
        if not isinstance(e, ast.Call) or getattr(e, REFERENCE, False) \
                or not self.scope.functions:
            return False
        if isinstance(e.func, ast.Name) and is_local(self.scope.functions.get(e.func.id)):
            return True
        return any(self._passes_local(a) for a in e.args + [k.value for k in e.keywords])

    def calls_local(self, tree):
        """Whether user expression ``tree`` holds a call that must be inlined."""
        return bool(self.scope.functions) and any(self.must_inline(n) for n in walk_tree(tree))

    def hoist_local_calls(self, e):
        """``e`` with each call that must be inlined replaced by the name of its result,
        inlined first (read before the rest of ``e``, which only computes a value)."""
        if not isinstance(e, ast.AST) or not self.calls_local(e):
            return e
        normalizer = self

        class Hoist(ast.NodeTransformer):
            def visit_Call(self, node):
                if not normalizer.must_inline(node):
                    return self.generic_visit(node)
                name = ast.Name(id=normalizer.emit_value(None, node), ctx=ast.Load())
                setattr(name, HOISTED, True)
                return ast.copy_location(name, node)

            def visit_BoolOp(self, node):
                return self.conditional(node)

            def visit_IfExp(self, node):
                return self.conditional(node)

            def conditional(self, node):
                if normalizer.calls_local(node):
                    raise normalizer.scope.src.error(
                        node, "a call of a nested function inside 'and', 'or' or 'a if c else "
                              "b' (which may not run it) is not supported; call it in a "
                              "statement of its own first")
                return node

        return Hoist().visit(copy.deepcopy(e))

    def refuse_local_uses(self, tree):
        """Refuse a nested function in ``tree``, a user expression about to be kept as it is
        in generated code, where it has no value."""
        if not self.scope.functions:
            return
        for node in walk_tree(tree):
            if self.must_inline(node):
                raise self.scope.src.error(node, f"this call of {ast.unparse(node.func)}() "
                                                 f"cannot be inlined where it stands (a loop "
                                                 f"header, a while condition, a statement of "
                                                 f"its own); assign its result to a variable "
                                                 f"first: y = {ast.unparse(node.func)}(...)")
            if self._passes_local(node):
                raise self.scope.src.error(node, f"{self._describe(node)} is used as a value "
                                                 f"here; {ONLY_CALLED}")

    def refuse_passed_functions(self, e, called):
        """Refuse a nested function passed to a function that is not inlined (map, sorted's
        key=, a primitive)."""
        if not self.scope.functions or getattr(e, REFERENCE, False) or (
                called.kind == "object" and is_user_function(called.what)):
            return
        for a in e.args + [k.value for k in e.keywords]:
            if self._passes_local(a) and called.kind == "object" \
                    and called.what in (builtins.map, builtins.filter):
                raise self.scope.src.error(a, f"{self._describe(a)} is passed to "
                                              f"{ast.unparse(e.func)}() here: adcompile "
                                              f"writes map() and filter() as the list they "
                                              f"give only where their items are taken at "
                                              f"once (list(...), sum(...), sorted(...), a for "
                                              f"loop walking them) and the function is a "
                                              f"name or a lambda of plain parameters; write "
                                              f"it so, or write the loop out")
            if self._passes_local(a):
                raise self.scope.src.error(a, f"{self._describe(a)} is passed to "
                                              f"{ast.unparse(e.func)}(), which adcompile does "
                                              f"not inline: {ONLY_CALLED}; write the loop out "
                                              f"instead (for ... in ...: y = f(...))")

    def _describe(self, node):
        value = self.scope.functions[node.func.id if isinstance(node, ast.Call) else node.id]
        name = (value.function if isinstance(value, Closure) else value).__name__
        return "a lambda" if name == "<lambda>" else f"the nested function {name}()"
