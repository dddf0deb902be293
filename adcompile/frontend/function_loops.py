"""Loops over a fixed sequence of functions, unrolled: ``for act in (np.tanh, relu):``.

A network's activations, or the terms of a sum, are often held in a sequence of
functions walked by a loop::

    for g in (np.sin, np.cos):
        total = total + np.sum(g(x))

Where the sequence is a display of functions the function names (``np.sin``, a
module-level ``relu``), or a module-level tuple or list of functions (``ACTS``), and the
loop variable only stands for the function in the body, the loop is written out once
per function, the variable read as that function (``np.sin``, ``relu``, or ``ACTS[0]``
where no name of the module is it): the rest of
the compiler then finds each call's rule, or inlines it, as if written so. Other loops
over functions stay loops, and a call through their variable is refused as a function
held in a variable.
"""

import ast
import types

from ..ir import copy_tree, walk_tree
from .references import placed


def unroll_function_loops(fn, source):
    """Write out (in place) each loop of ``fn`` (a copy of ``source``'s def; nested defs
    aside) over a fixed sequence of functions (see the module's docstring)."""
    nodes = list(walk_tree(fn))
    if not any(isinstance(n, ast.For) for n in nodes):
        return
    local = set(source.params) | {n.id for n in nodes if isinstance(n, ast.Name)
                                  and not isinstance(n.ctx, ast.Load)}
    _block(fn.body, fn, source, local)


def _block(block, fn, source, local):
    at = 0
    while at < len(block):
        stmt = block[at]
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and not isinstance(stmt, (ast.FunctionDef, ast.Lambda,
                                                                 ast.AsyncFunctionDef,
                                                                 ast.ClassDef)):
                _block(inner, fn, source, local)
        items = _functions_walked(stmt, fn, source, local)
        if items is None:
            at += 1
            continue
        copies = []
        for item in items:
            for s in stmt.body:
                copies.append(_Substitute(stmt.target.id, item).visit(copy_tree(s)))
        block[at:at + 1] = copies
        at += len(copies)


def _functions_walked(stmt, fn, source, local):
    """The expressions for the functions the loop ``stmt`` walks, one per iteration, if it
    is ``for v in SEQ:`` over a fixed sequence of functions whose body only reads ``v``
    (no else, no break or continue, ``v`` read nowhere else); else None."""
    if not (isinstance(stmt, ast.For) and isinstance(stmt.target, ast.Name) and not stmt.orelse
            and isinstance(stmt.iter, (ast.Tuple, ast.List, ast.Name, ast.Attribute))):
        return None
    items = _function_items(stmt.iter, source, local)
    if items is None:
        return None
    v = stmt.target.id
    if any(isinstance(n, (ast.Break, ast.Continue, ast.Global, ast.Nonlocal))
           for s in stmt.body for n in walk_tree(s)):
        return None
    if any(isinstance(n, ast.Name) and n.id == v and not isinstance(n.ctx, ast.Load)
           for s in stmt.body for n in walk_tree(s)):
        return None
    mentions = sum(isinstance(n, ast.Name) and n.id == v for n in walk_tree(fn))
    in_loop = sum(isinstance(n, ast.Name) and n.id == v for s in [stmt] for n in walk_tree(s))
    if mentions != in_loop:   # (v read after the loop, or used by another loop)
        return None
    return items


def _function_items(seq, source, local):
    """The expressions for the functions the sequence ``seq`` holds, if it is a display of
    functions or names a module-level tuple or list of them; else None."""
    if isinstance(seq, (ast.Tuple, ast.List)):
        if seq.elts and all(names_function(source.callee(e, local)) for e in seq.elts):
            return seq.elts
        return None
    called = source.callee(seq, local) if isinstance(seq, (ast.Name, ast.Attribute)) else None
    if called is None or called.kind != "object" or type(called.what) not in (tuple, list):
        return None
    values = called.what
    if not values or not all(is_function_object(f) for f in values):
        return None
    return [_spelling(f, source, local) or ast.Subscript(value=copy_tree(seq),
                                                          slice=ast.Constant(k), ctx=ast.Load())
            for k, f in enumerate(values)]


def _spelling(obj, source, local):
    """A name or ``module.name`` of the function's module that is ``obj`` (``np.tanh``,
    ``relu``), for code that reads as if written so; None if there is none."""
    name = getattr(obj, "__name__", None)
    if not isinstance(name, str) or not name.isidentifier():
        return None
    if name not in local and source.resolve(name, None) is obj:
        return ast.Name(id=name, ctx=ast.Load())
    for module_name, module in source.globals.items():
        if isinstance(module, types.ModuleType) and module_name not in local \
                and getattr(module, name, None) is obj:
            return ast.Attribute(value=ast.Name(id=module_name, ctx=ast.Load()), attr=name,
                                 ctx=ast.Load())
    return None


def names_function(callee):
    """Whether the ``source.Callee`` ``callee`` is a function (see is_function_object)."""
    return callee.kind == "object" and is_function_object(callee.what)


def is_function_object(obj):
    """A function (the user's, NumPy's, math's, a ufunc): not a class or a module."""
    return callable(obj) and not isinstance(obj, (type, types.ModuleType))


class _Substitute(ast.NodeTransformer):
    """Each read of the loop variable ``v`` as a copy of ``item``."""

    def __init__(self, v, item):
        self.v, self.item = v, item

    def visit_Name(self, node):
        if node.id == self.v and isinstance(node.ctx, ast.Load):
            return placed(copy_tree(self.item), node)
        return node
