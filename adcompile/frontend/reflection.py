"""Reflection whose text is known when transforming: rewritten as the code it stands for.

``eval("w * 1.5 + v")`` evaluates, in the function's own scope, an expression that is
already in the source; ``getattr(np, "ta" + "nh")`` reads ``np.tanh``; ``locals()["w"]``
and ``vars()["w"]`` read the local ``w``; ``globals()["np"]`` reads the module's ``np``.
With the string a constant (or a concatenation of constants), each is replaced by the
expression it evaluates, before any other pass, so that the rest of the compiler sees
every name it reads. ``exec("v = w * 2.0")``, which only assigns arithmetic to the
function's own variables, does nothing (exec binds names in a snapshot of the locals,
never the variables) and is dropped. Anything else (a computed string, other ``exec``,
``len(locals())``,
``eval`` with other mappings, or text with a scope of its own such as a comprehension)
is left for refusals.py to refuse. Once the function's names resolve (``Normalizer.enter``),
``attributes_by_name`` reads ``getattr(obj, "name")`` as ``obj.name``.
"""

import ast
import builtins

from ..ir import names_mentioned, walk_tree
from .references import placed
from ..ir.parsing import parse

#: expressions that open a scope of their own: inside ``eval`` they do not see the
#: function's locals (as inlined code would), so text holding one is not rewritten
_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
#: the names of the builtins this module rewrites calls of
_REFLECTION = frozenset({"eval", "exec", "getattr", "locals", "vars", "globals"})


def constant_reflection(fn, source):
    """Rewrite, in place, the reflection in ``fn`` (a copy of ``source``'s def) whose
    strings are constants (see the module's docstring). Nested functions keep theirs."""
    names = [n for n in walk_tree(fn) if n.__class__ is ast.Name]
    if _REFLECTION.isdisjoint(n.id for n in names):
        return   # (most functions: nothing to rewrite)
    local_names = set(source.params) | {n.id for n in names if isinstance(n.ctx, ast.Store)}
    deleted = {n.id for n in names if isinstance(n.ctx, ast.Del)}
    rewrite = _rewriter(source, local_names, deleted)
    for i, stmt in enumerate(fn.body):
        fn.body[i] = rewrite.visit(stmt)
        rewrite.bound = rewrite.bound | (_surely_assigned(stmt) - deleted)
    ast.fix_missing_locations(fn)
    _fold_getattr_names(fn)


def _rewriter(source, local_names, deleted):
    """The transformer that rewrites a statement's reflection (``constant_reflection``);
    its ``bound`` is updated from one statement of the body to the next."""

    def builtin(func, obj):
        """Whether ``func`` (an expression) is the builtin ``obj`` under its own name."""
        return isinstance(func, ast.Name) and func.id not in local_names \
            and source.resolve(func.id, None) is obj

    def scope_call(e, obj):
        return isinstance(e, ast.Call) and not e.args and not e.keywords \
            and builtin(e.func, obj)

    class Rewrite(ast.NodeTransformer):
        # ``bound``: the local names surely bound where the statement visited starts (a
        # local not bound yet is, to eval, the global of that name; to locals(), missing)
        bound = set(source.params) - deleted

        def visit_FunctionDef(self, node):
            return node   # (nested functions keep theirs)

        def visit_Lambda(self, node):
            return node

        visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

        def visit_Expr(self, node):   # (an exec that does nothing: see _assigns_only)
            if _assigns_only(node.value, builtin, local_names, self.bound):
                return placed(ast.Pass(), node)
            self.generic_visit(node)
            return node

        def visit_Call(self, node):
            self.generic_visit(node)
            text = constant_string(node.args[0]) if node.args else None
            if text is None or node.keywords:
                return node
            if builtin(node.func, builtins.eval) and (
                    len(node.args) == 1 or len(node.args) == 3
                    and scope_call(node.args[1], builtins.globals)
                    and scope_call(node.args[2], builtins.locals)):
                parsed = _parsed(text, node)
                if any(isinstance(n, ast.Name) and n.id in local_names - self.bound
                       for n in ast.walk(parsed)):
                    return node
                return parsed
            return node

        def visit_Subscript(self, node):
            self.generic_visit(node)
            key = constant_string(node.slice)
            if key is None or not key.isidentifier() or not isinstance(node.ctx, ast.Load):
                return node
            local = scope_call(node.value, builtins.locals) or scope_call(node.value, builtins.vars)
            if local and key in self.bound or scope_call(node.value, builtins.globals) \
                    and key not in local_names and key in source.globals:
                return placed(ast.Name(id=key, ctx=ast.Load()), node)
            return node

    return Rewrite()


#: what the text of an exec with no effect may hold: assignments of arithmetic
_NO_EFFECT = (ast.Module, ast.Assign, ast.Name, ast.Constant, ast.BinOp, ast.UnaryOp,
              ast.BoolOp, ast.Compare, ast.expr_context, ast.operator, ast.unaryop,
              ast.boolop, ast.cmpop)


def _assigns_only(call, builtin, local_names, bound):
    """Whether ``call`` is ``exec(text)`` (``builtin(func, obj)``: whether func names the
    builtin obj) whose constant text only assigns arithmetic of the function's bound local
    variables (``bound``) and constants to its own local variables (``local_names``): in
    a function it then does nothing (exec binds names in a snapshot of the locals, never
    the variables: Python's own rule) and raises nothing a NameError would."""
    if not (isinstance(call, ast.Call) and builtin(call.func, builtins.exec)
            and len(call.args) == 1 and not call.keywords):
        return False
    text = constant_string(call.args[0])
    if text is None:
        return False
    try:
        tree = parse(text)
    except SyntaxError:
        return False
    return bool(tree.body) and all(isinstance(n, _NO_EFFECT) for n in ast.walk(tree)) and all(
        all(isinstance(t, ast.Name) and t.id in local_names for t in s.targets)
        for s in tree.body) and all(n.id in bound for s in tree.body
                                    for n in ast.walk(s.value) if isinstance(n, ast.Name))


def _surely_assigned(stmt):
    """The names a statement of the function's body always binds when it runs (plain
    assignments; what a loop or a branch binds may not be)."""
    targets = stmt.targets if isinstance(stmt, ast.Assign) else \
        [stmt.target] if isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) \
        and (not isinstance(stmt, ast.AnnAssign) or stmt.value is not None) else []
    return names_mentioned(targets)


def constant_string(e):
    """The value of ``e`` if it is a string the source spells out (a literal, or literals
    joined by ``+``), else None."""
    if isinstance(e, ast.Constant) and isinstance(e.value, str):
        return e.value
    if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Add):
        left, right = constant_string(e.left), constant_string(e.right)
        if left is not None and right is not None:
            return left + right
    return None


def _parsed(text, call):
    """The expression ``text`` holds, placed at ``call`` (for errors), or ``call`` itself
    when it is not one expression this rewrite may stand in for."""
    try:
        tree = parse(text.strip(), mode="eval").body
    except SyntaxError:
        return call   # (Python raises it when the call runs; so does the refusal)
    if any(isinstance(n, _SCOPES + (ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom))
           for n in ast.walk(tree)):
        return call
    for n in ast.walk(tree):
        placed(n, call)
    return tree


def _fold_getattr_names(fn):
    """``getattr(obj, "ta" + "nh")``: the name as one literal (attributes_by_name
    then reads it as ``obj.tanh``)."""
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and len(node.args) == 2 \
                and not isinstance(node.args[1], ast.Constant):
            name = constant_string(node.args[1])
            if name is not None:
                node.args[1] = ast.copy_location(ast.Constant(name), node.args[1])


def attributes_by_name(fn, callee):
    """Rewrite ``getattr(obj, "name")`` in ``fn`` (in place) as ``obj.name``: the same read,
    which the rest of the compiler knows how to treat. ``callee(func_expr)`` resolves a
    call's function to a ``source.Callee``."""

    class Rewrite(ast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            if len(node.args) == 2 and not node.keywords and literal_attribute(node) \
                    and callee(node.func).is_(builtins.getattr):
                attr = ast.Attribute(value=node.args[0], attr=node.args[1].value, ctx=ast.Load())
                return ast.copy_location(attr, node)
            return node

    Rewrite().visit(fn)


def literal_attribute(call):
    """Whether the second argument of getattr/hasattr is a string literal naming an attribute."""
    return len(call.args) >= 2 and isinstance(call.args[1], ast.Constant) \
        and isinstance(call.args[1].value, str) and call.args[1].value.isidentifier()
