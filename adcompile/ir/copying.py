"""Copies of the normalized function and of generated code that a pass may change
without changing what it was given; and whether two trees are the same code."""

import ast
import copy
from dataclasses import fields, replace


def copy_function(fn):
    """A copy of ``fn`` whose statements, expressions and namer later passes may change
    without changing ``fn`` (the rules, the user's nodes and the source are shared)."""
    memo, made = {}, {}
    new = copy.copy(fn)
    for name, value in vars(fn).items():
        if isinstance(value, (set, dict, list)):
            setattr(new, name, copy.copy(value))
    vars(new).pop("_callee", None)   # (analysis/callees.py's cache)
    new.body = _copy_block(fn.body, memo, made)
    new.outputs = copy_tree(fn.outputs, memo)
    new.namer = fn.namer.copy()
    made_lists = {}   # (the refreshes of one update share their list of Ops)
    new.rebindings = [replace(r, statement=made[r.statement], refresh=[replace(
        x, statement=made[x.statement], made=made_lists.setdefault(
            id(x.made), [made[s] for s in x.made])) for x in r.refresh])
        for r in fn.rebindings]
    return new


_SHARED = ("node", "rule", "origin")   # fields a copy shares with the original


def _copy_block(stmts, memo, made):
    out = []
    for s in stmts:
        changes = {}
        for f in fields(s):
            value = getattr(s, f.name)
            if f.name in ("body", "orelse"):
                changes[f.name] = _copy_block(value, memo, made)
            elif f.name not in _SHARED:
                changes[f.name] = copy_tree(value, memo)
        made[s] = replace(s, **changes)
        out.append(made[s])
    return out


def copy_tree(tree, memo=None):
    """A copy of ``tree`` (an AST node, a list of them, or anything holding them: a dict, a
    tuple, a set of names), inner nodes shared within it shared in the copy (``memo``:
    node -> copy, for several trees that share nodes). Much faster than copy.deepcopy,
    which the passes would pay for on every statement."""
    return _copy(tree, {} if memo is None else memo)


_LEAVES = (ast.Name, ast.Constant)   # no nodes inside (but a context): copied shallowly
_ATOMS = frozenset({int, str, float, bool, type(None)})   # (positions, names: kept as they are)


def _copy(tree, memo):
    cls = tree.__class__
    if cls is list:
        return [_copy(x, memo) for x in tree]
    if not isinstance(tree, ast.AST):
        if cls is tuple:
            return tuple(_copy(x, memo) for x in tree)
        if cls is dict:
            return {k: _copy(v, memo) for k, v in tree.items()}
        return set(tree) if cls is set else tree
    if isinstance(tree, ast.expr_context):
        return tree   # (Load, Store: no state of their own)
    made = memo.get(tree)
    if made is None:   # (a node shared, as an Op's input is with its expression, stays so)
        made = memo[tree] = cls.__new__(cls)
        if cls in _LEAVES:
            made.__dict__.update(tree.__dict__)
        else:
            made.__dict__.update({k: v if v.__class__ in _ATOMS else _copy(v, memo)
                                  for k, v in tree.__dict__.items()})
    return made


def same_tree(a, b):
    """Whether the trees ``a`` and ``b`` are the same code (``ast.dump(a) == ast.dump(b)``,
    positions aside), found without writing either out: iteratively, and at the first
    difference."""
    todo = [(a, b)]
    while todo:
        x, y = todo.pop()
        if x is y:
            continue
        if x.__class__ is not y.__class__:
            return False
        if isinstance(x, ast.AST):
            todo.extend((getattr(x, f, None), getattr(y, f, None)) for f in x._fields)
        elif x.__class__ is list:
            if len(x) != len(y):
                return False
            todo.extend(zip(x, y))
        elif repr(x) != repr(y):   # (as ast.dump: 1 is not 1.0, nor 0.0 -0.0)
            return False
    return True
