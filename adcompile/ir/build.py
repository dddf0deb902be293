"""Small builders of Python syntax for generated code."""

import ast


def load(name):
    return ast.Name(id=name, ctx=ast.Load())


def store(name):
    return ast.Name(id=name, ctx=ast.Store())


def assign(name, value):
    return ast.Assign(targets=[store(name)], value=value, lineno=0)


def call(func, *args):
    """``func(*args)``; ``func`` a name or an expression."""
    return ast.Call(func=load(func) if isinstance(func, str) else func, args=list(args),
                    keywords=[])


def method_call(owner, name, *args):
    """``owner.name(*args)``; ``owner`` a name."""
    return call(ast.Attribute(value=load(owner), attr=name, ctx=ast.Load()), *args)


def store_all(names):
    """``a`` or ``a, b``: the target of an assignment to ``names``."""
    if len(names) == 1:
        return store(names[0])
    return ast.Tuple(elts=[store(n) for n in names], ctx=ast.Store())


def set_item(name, index, value):
    """``name[index] = value``"""
    return ast.Assign(targets=[ast.Subscript(value=load(name), slice=index, ctx=ast.Store())],
                      value=value, lineno=0)


def add_to_item(name, index, value):
    """``name[index] = name[index] + value``"""
    item = ast.Subscript(value=load(name), slice=index, ctx=ast.Load())
    return ast.Assign(targets=[ast.Subscript(value=load(name), slice=index, ctx=ast.Store())],
                      value=ast.BinOp(left=item, op=ast.Add(), right=value))
