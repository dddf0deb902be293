"""Statements that bind user names to structures (see trees.py): each statement's uses of
structures resolved before it is normalized (``resolve_statement``), a structure bound
or unpacked to names (``bind``), and the names bound on the paths of a branch or the
iterations of a loop merged after it (``merge_structures``). Part of
``normalize.Normalizer``.
"""

import ast
import copy

from .. import ir
from ..errors import TransformError
from ..ir.trees import Leaf, Node, runs_own_code, unpack
from .item_desugar import CHAINED, ITEM
from .syntax import LEAF, SEQUENCE
from .syntax import item_assigned
from .trees import NOT_STATIC


class TreeBinding:
    """Part of ``normalize.Normalizer``: user names bound to structures, through paths."""

    def resolve_statement(self, stmt):
        """``stmt`` with its uses of structures resolved, or None when resolving did it all
        (a structure bound to names, a loop over one unrolled)."""
        user = getattr(stmt, ITEM, None)
        if user is not None and getattr(stmt, CHAINED, None) is not None \
                and self.names_structure(stmt.value.args[0]):
            stmt, user = user, None   # (grid[0][1] = v: into the structure grid[0], below)
        if user is not None and self.names_structure(stmt.value.args[0]):
            self.assign_into_structure(stmt.value.args, user)
            return None
        into = item_assigned(stmt)
        if into is not None and self.names_structure(into[0]):   # d["a"][0] = v
            self.assign_into_structure(into, stmt)
            return None
        place = self.written_leaf(into[0]) if into is not None else None
        if place is not None:   # new["W"][0] = v: into an array of a structure made here
            self.write_into_leaf(stmt, into, place)
            return None
        if self.assign_attribute(stmt):   # s.vel = v, s a copy this function made
            return None
        if self.update_dict(stmt):   # state.update(m=m, P=P), state a dict made here
            return None
        if isinstance(stmt, ast.For):
            if self.unroll(stmt):
                return None
            return _replace_fields(stmt, iter=self.resolve_expression(stmt.iter))
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], (ast.Tuple, ast.List)):
            transposed = self.transposed(stmt.value)   # Ws, bs = zip(*layers)
            if transposed is not None:
                self.bind(stmt.targets[0], tuple(transposed), stmt)
                return None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and (self.might_be_tree(stmt.value) or self.is_fixed_display(stmt)) \
                and self.holds_structure(stmt):
            self.bind(stmt.targets[0], self.tree_value(stmt.value, inner=True), stmt)
            return None
        held = self._held_function(stmt)
        if held is not None:   # f = params["act"], f = self.act
            self.bind(stmt.targets[0], held, stmt)
            return None
        fields = {}
        for field in ("value", "test", "iter", "target", "targets", "msg", "exc"):
            old = getattr(stmt, field, None)
            if isinstance(old, ast.expr):
                fields[field] = self.resolve_expression(old, store=field == "target")
            elif field == "targets" and old:
                fields[field] = [self.resolve_expression(t, store=True) for t in old]
        return _replace_fields(stmt, **fields) if fields else stmt

    def _held_function(self, stmt):
        """The Leaf holding a function that ``stmt`` assigns to a name (``f =
        params["act"]``, ``f = self.act``: calls of ``f`` then call that function, as
        ``params["act"](x)`` does), else None."""
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, (ast.Subscript, ast.Attribute))):
            return None
        try:
            found = self.tree_of(stmt.value)
        except TransformError:
            return None   # (refused where the expression is resolved)
        return found if isinstance(found, Leaf) and found.function is not None else None

    def bind(self, target, part, stmt):
        """Assign ``part`` (a Node, Leaf, or a constant's value) to user ``target``."""
        if isinstance(target, ast.Name):
            if isinstance(part, Node):
                return self.bind_tree(target.id, part, stmt)
            value = ast.Name(id=LEAF + part.name, ctx=ast.Load()) if isinstance(part, Leaf) \
                else ast.Constant(part)
            if isinstance(part, Leaf):
                self.leaf_reference(value)
            self.assignment(ast.Assign(targets=[target], value=value, lineno=stmt.lineno,
                                       col_offset=stmt.col_offset))
            if not isinstance(part, Leaf):
                self.scope.constants[target.id] = part
            elif part.function is not None:   # f = params["act"]: f(x) calls that function
                self.scope.constants[target.id] = part.function
            return None
        if not isinstance(target, (ast.Tuple, ast.List)):
            raise self.scope.src.error(stmt, f"assigning {ast.unparse(stmt.value)} (a "
                                             f"structure) to {ast.unparse(target)} is not "
                                             f"supported; assign it to a name")
        items = part.children if isinstance(part, Node) and part.kind in SEQUENCE \
            and not runs_own_code(part, "__iter__") else part if isinstance(part, tuple) \
            else None
        items = _starred(target, items)
        if items is None or len(items) != len(target.elts):
            what = part.describe() if isinstance(part, Node) else repr(part)
            raise self.scope.src.error(stmt, f"cannot unpack {what} into "
                                             f"{ast.unparse(target)}")
        for t, p in zip(target.elts, items):
            self.bind(t.value if isinstance(t, ast.Starred) else t, p, stmt)
        return None

    def bind_tree(self, name, node, stmt):
        """Bind user ``name`` to the structure ``node`` (no code: its leaves have names,
        spelled for messages as the user reads them: ``q['u']``)."""
        for leaf, expr in unpack(name, node):
            if leaf is not None:
                ir.spell(self.out.spellings, leaf, ast.unparse(expr))
        self.scope.structured = True   # (statements after this one resolve structures)
        self.scope.env.pop(name, None)
        self.scope.constants.pop(name, None)
        self.scope.defined.add(name)
        self.scope.trees[name] = node

    def forget_tree(self, name):
        """``name`` is assigned a value: it no longer names a structure."""
        self.scope.trees.pop(name, None)
        self.scope.constants.pop(name, None)

    def structures(self, restore=None):
        """A copy of what names structures and constants now (and, given ``restore``, such
        a copy, that state put back)."""
        now = (dict(self.scope.trees), dict(self.scope.constants))
        if restore is not None:
            self.scope.trees, self.scope.constants = dict(restore[0]), dict(restore[1])
        return now

    def merge_structures(self, stmt, before, paths, live=None, loop=False):
        """After an if (``paths``: the states at the ends of the branches that fall
        through) or a loop's iteration: a name bound to different structures on different
        paths is an error where it is read later (``live``; None: anywhere), else dropped;
        a constant that differs is forgotten."""
        live = getattr(stmt, "live_out", None) if live is None else live
        if not paths:   # (every path jumps: what follows is not reached)
            self.scope.trees, self.scope.constants = dict(before[0]), dict(before[1])
            return
        trees, constants = {}, {}
        for state in paths:
            for mine, merged in ((state[0], trees), (state[1], constants)):
                merged.update(mine)
        for name in set(trees) | set(before[0]):
            versions = {id(s[0].get(name)) for s in paths} if paths else set()
            if len(versions) <= 1 and all(s[0].get(name) is not None for s in paths):
                continue
            if (live is None or name in live) and loop:
                raise self.new_structure_each_iteration(stmt, name)
            if live is None or name in live:
                raise self.scope.src.error(stmt, f"{name!r} names a structure of values being "
                                                 f"differentiated on some paths here and "
                                                 f"something else on others; bind it to one "
                                                 f"thing before the branch or loop")
            trees.pop(name, None)
        for name in list(constants):
            if any(s[1].get(name, NOT_STATIC) != constants[name] for s in paths):
                del constants[name]
        self.scope.trees, self.scope.constants = trees, constants

    def new_structure_each_iteration(self, loop, name):
        """The error for a loop that binds ``name`` to a new structure in each iteration
        and reads it in the next (or after the loop)."""
        return self.scope.src.error(loop, f"{name!r} names a new structure of values being "
                                          f"differentiated in each iteration of this loop, "
                                          f"which is not supported; carry its items in "
                                          f"variables of their own (h, c = ...) or loop over "
                                          f"a structure (unrolled)")


def _replace_fields(stmt, **fields):
    new = copy.copy(stmt)
    for k, v in fields.items():
        setattr(new, k, v)
    return new


def _starred(target, items):
    """``items`` for the targets of ``target`` one by one: the items a starred target
    (``*init, last = layers``) takes made one list (holding the same leaves, as a slice
    does); None where they do not fit."""
    starred = [i for i, t in enumerate(target.elts) if isinstance(t, ast.Starred)]
    if items is None or len(starred) != 1:
        return items
    if not all(isinstance(i, (Leaf, Node)) for i in items):
        return None
    before, after = starred[0], len(target.elts) - starred[0] - 1
    if len(items) < before + after:
        return None
    middle = tuple(items[before:len(items) - after])
    made = Node("list", None, tuple(range(len(middle))), middle)
    return tuple(items[:before]) + (made,) + tuple(items[len(items) - after:])
