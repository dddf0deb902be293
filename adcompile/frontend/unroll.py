"""Loops over structures, unrolled: a copy of the body for each item (a structure's
length is known while normalizing; see trees.py). ``for W, b in layers``, under
``enumerate``, ``zip``, ``reversed`` and ``sorted`` (of a dict's keys or items), a dict's
``.items()``/``.keys()``/``.values()``,
and ``for i in range(len(layers))`` whose body indexes the structure with ``i``.
Part of ``normalize.Normalizer``.
"""

import ast
import copy

from ..ir.trees import Node
from .function_loops import mentioned_in
from .item_desugar import WITH_ITEM


class Unrolling:
    """Part of ``normalize.Normalizer``: loops over structures."""

    def unroll(self, stmt):
        """Unroll ``stmt`` when it walks a structure; returns whether it did."""
        windows = self._zip_windows(stmt)
        steps = self._tree_steps(stmt) if windows is None else windows
        if steps is None:
            return False
        for node in ast.walk(ast.Module(body=stmt.body, type_ignores=[])):
            if isinstance(node, (ast.Break, ast.Continue)) and self._same_loop(stmt, node):
                raise self.scope.src.error(node, "break or continue in a loop over a structure "
                                                 "(which is unrolled) is not supported")
        for part in steps:
            if windows is None:
                self.bind(stmt.target, part, stmt)
                self.statements(stmt.body)
                continue
            bindings, window = part
            for target, value in bindings:
                self.bind(target, value, stmt)
            self.statements([window] if window is not None else stmt.body)
        self.statements(stmt.orelse)
        return True

    def _zip_windows(self, stmt):
        """For ``for t, act in zip(seq, acts):`` (or under ``enumerate``) zipping structures
        (``acts``, a list of functions passed) with other sequences named (``seq``, a list
        not differentiated): per step of the shortest structure, (the bindings of the
        structures' targets and the counter, and the loop over the one-item slices of the
        others: ``for t, in zip(seq[k:k + 1]):``, which stops where zip stops); else None."""
        it, target, counter = stmt.iter, stmt.target, None
        if isinstance(it, ast.Call) and self.callee(it.func).is_(enumerate) \
                and len(it.args) == 1 and not it.keywords and isinstance(target, ast.Tuple) \
                and len(target.elts) == 2:
            counter, it, target = target.elts[0], it.args[0], target.elts[1]
        if not (isinstance(it, ast.Call) and self.callee(it.func).is_(zip) and it.args
                and not it.keywords and isinstance(target, ast.Tuple)
                and len(target.elts) == len(it.args)):
            return None
        items = [self.tree_items(a) for a in it.args]
        if all(i is None for i in items) or all(i is not None for i in items):
            return None
        rest = [(t, a) for t, a, i in zip(target.elts, it.args, items) if i is None]
        if not all(isinstance(a, (ast.Name, ast.Attribute)) for _, a in rest) \
                or mentioned_in(stmt.body, [a for _, a in rest]):
            raise self.scope.src.error(it, "zip of a structure with something that is not "
                                           "one is supported where the other sequences are "
                                           "names (or attributes) the loop's body does not "
                                           "mention; zip structures only, or name it first")
        steps = []
        for k in range(min(len(i) for i in items if i is not None)):
            bindings = [(t, i[k]) for t, i in zip(target.elts, items) if i is not None]
            if counter is not None:
                bindings.append((counter, k))
            window = ast.Slice(lower=ast.Constant(k), upper=ast.Constant(k + 1))
            loop = ast.For(target=ast.Tuple(elts=[copy.deepcopy(t) for t, _ in rest],
                                            ctx=ast.Store()),
                           iter=ast.Call(func=it.func, keywords=[], args=[
                               ast.Subscript(value=a, slice=window, ctx=ast.Load())
                               for _, a in rest]), body=stmt.body, orelse=[])
            steps.append((bindings, ast.fix_missing_locations(ast.copy_location(loop, stmt))))
        return steps

    @staticmethod
    def _same_loop(loop, jump):
        inner = [n for b in loop.body for n in ast.walk(b) if isinstance(n, (ast.For, ast.While))]
        return not any(jump in ast.walk(n) for n in inner)

    def _tree_steps(self, stmt):
        """The parts a for loop binds to its target at each step when it walks a structure
        (or a constant range whose variable indexes one), else None."""
        it = stmt.iter
        steps = self.tree_items(it)
        if steps is not None:
            return steps
        if isinstance(it, ast.Call) and self.callee(it.func).is_(range) and not it.keywords \
                and isinstance(stmt.target, ast.Name) and self._indexes_tree(stmt):
            bounds = [self.static_value(a) for a in it.args]
            if all(isinstance(b, int) for b in bounds) and bounds:
                return list(range(*bounds))
            error = self.scope.src.error(it, f"the loop indexes a structure with "
                                             f"{stmt.target.id!r}: its range must be known "
                                             f"when the code is made (constants, len() of "
                                             f"the structure, a name assigned once from "
                                             f"those: n = len(params) // 2, or an int the "
                                             f"call gives: an argument not differentiated, "
                                             f"an int attribute of a structure passed, a "
                                             f"module-level int)")
            error.static_needs = self.static_needs(it.args)   # (see static_ints.py)
            raise error
        return None

    def _indexes_tree(self, stmt):
        """Whether the body of ``for i in range(...)`` indexes a structure with ``i``."""
        var = stmt.target.id
        for node in (n for b in stmt.body for n in ast.walk(b)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id == WITH_ITEM and isinstance(node.args[0], ast.Name) \
                    and node.args[0].id in self.scope.trees and any(
                        isinstance(n, ast.Name) and n.id == var for n in ast.walk(node.args[1])):
                return True   # d[f"W{i}"] = v (desugared: items.py)
            if isinstance(node, ast.Subscript) and any(
                    isinstance(n, ast.Name) and n.id == var for n in ast.walk(node.slice)):
                base = node.value
                while isinstance(base, (ast.Subscript, ast.Attribute)):
                    base = base.value
                if isinstance(base, ast.Name) and base.id in self.scope.trees:
                    return True
        return False

    def tree_items(self, it):
        """The items a loop (or comprehension) over ``it`` walks when ``it`` is a structure,
        or enumerate/zip/reversed of structures, or a dict's items/keys/values; else None."""
        node = (self.tree_of(it) or self.copied_tree(it)) if self.might_be_tree(it) else None
        if isinstance(node, Node):   # (for W in list(layers): the copy's items)
            return list(node.keys) if node.kind == "dict" else list(node.children)
        if not isinstance(it, ast.Call):
            return None
        func, args = it.func, it.args
        if isinstance(func, ast.Attribute) and not args and func.attr in ("items", "keys",
                                                                          "values"):
            node = self.tree_of(func.value)
            if isinstance(node, Node) and node.kind == "dict":
                return {"items": list(zip(node.keys, node.children)), "keys": list(node.keys),
                        "values": list(node.children)}[func.attr]
            return None
        called = self.callee(func)
        if called.is_(enumerate) and len(args) == 1 and not it.keywords:
            inner = self.tree_items(args[0])
            return None if inner is None else list(enumerate(inner))
        if called.is_(reversed) and len(args) == 1:
            inner = self.tree_items(args[0])
            return None if inner is None else inner[::-1]
        if called.is_(sorted) and len(args) == 1 and not it.keywords:
            # sorted(params), sorted(params.items()), sorted(params.keys()): by the keys,
            # known now (a dict's keys are distinct: items never compare their values)
            inner = self.tree_items(args[0])
            keys = [i[0] if isinstance(i, tuple) and len(i) == 2 else i for i in inner or ()]
            if inner is None or not all(isinstance(k, (str, int)) for k in keys) \
                    or len({type(k) for k in keys}) > 1:
                return None
            return [i for _, i in sorted(zip(keys, inner), key=lambda pair: pair[0])]
        if called.is_(zip) and args and not it.keywords:
            inner = [self.tree_items(a) for a in args]
            if all(i is None for i in inner):
                return None
            if any(i is None for i in inner):
                raise self.scope.src.error(it, "zip of a structure with something that is not "
                                               "one is not supported here; zip structures "
                                               "only, or walk the zip itself in a for loop "
                                               "(for a, b in zip(xs, ys)) whose body does not "
                                               "mention the other sequences")
            return list(zip(*inner))
        return None

