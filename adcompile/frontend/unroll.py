"""Loops over structures, unrolled: a copy of the body for each item (a structure's
length is known while normalizing; see trees.py). ``for W, b in layers``, under
``enumerate``, ``zip``, ``reversed`` and ``sorted`` (of a dict's keys or items), a dict's
``.items()``/``.keys()``/``.values()``,
and ``for i in range(len(layers))`` whose body indexes the structure with ``i``; also a
loop over a display of keys (``for k in ("W", "b")``).
Part of ``normalize.Normalizer``.
"""

import ast
import copy

from ..errors import TransformError
from ..ir.trees import Leaf, Node, runs_own_code
from .function_loops import mentioned_in
from .item_desugar import WITH_ITEM
from .syntax import SEQUENCE


class Unrolling:
    """Part of ``normalize.Normalizer``: loops over structures."""

    def unroll(self, stmt):
        """Unroll ``stmt`` when it walks a structure; returns whether it did. A ``break``
        (or a return, lowered to one) sets a flag the later copies test; a ``continue``
        ends its copy (each jump ends its path: lower.py)."""
        if self._zip_windows(stmt) is None and self._tree_steps(stmt) is None:
            return False
        stmt, stopped = self._without_jumps(stmt)
        windows = self._zip_windows(stmt)
        steps = self._tree_steps(stmt) if windows is None else windows
        if stopped is not None:
            self.statements([_assign(stopped, False, stmt)])
        for k, part in enumerate(steps):
            if windows is None:
                self.bind(stmt.target, part, stmt)
                body = stmt.body
            else:
                bindings, window = part
                for target, value in bindings:
                    self.bind(target, value, stmt)
                body = [window] if window is not None else stmt.body
            self.statements(_unless(stopped, body, stmt) if k else body)
        self.statements(_unless(stopped, stmt.orelse, stmt))
        return True

    def _without_jumps(self, stmt):
        """A copy of loop ``stmt`` with its own breaks as ``flag = True`` and its continues
        as ``pass``, and the flag's name (None without a break); refused where a break would
        leave a loop variable read after the loop (the copies bind it before the test)."""
        stmt = copy.deepcopy(stmt)
        jumps = [n for b in stmt.body for n in ast.walk(b)
                 if isinstance(n, (ast.Break, ast.Continue)) and self._same_loop(stmt, n)]
        breaks = [n for n in jumps if isinstance(n, ast.Break)]
        if not jumps:
            return stmt, None
        bound = {n.id for n in ast.walk(stmt.target) if isinstance(n, ast.Name)}
        read_after = bound & getattr(stmt, "live_header", bound)
        if breaks and read_after:
            what = "a return" if getattr(breaks[0], "from_return", False) else "a break"
            raise self.scope.src.error(breaks[0], f"{what} in a loop over a structure (which is "
                                                  f"unrolled) whose variable "
                                                  f"{sorted(read_after)[0]!r} is read after the "
                                                  f"loop is not supported")
        flag = self.namer.temp("stopped") if breaks else None
        _Jumps(jumps, flag).visit(stmt)
        if flag is not None:   # (the later copies read the flag: live after each branch)
            for node in (n for b in stmt.body for n in ast.walk(b)):
                for live in ("live_out", "live_header"):
                    if isinstance(getattr(node, live, None), set):
                        getattr(node, live).add(flag)
        return stmt, flag

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

    def transposed(self, it):
        """For ``zip(*layers)`` of a structure whose items are lists or tuples: the tuples
        zip yields (``(W1, W2, ...)``, ``(b1, b2, ...)``), Nodes of the same leaves; else
        None."""
        if not (isinstance(it, ast.Call) and self.callee(it.func).is_(zip) and not it.keywords
                and len(it.args) == 1 and isinstance(it.args[0], ast.Starred)):
            return None
        rows = self.tree_items(it.args[0].value)
        if rows is None or not all(isinstance(r, Node) and r.kind in SEQUENCE for r in rows):
            return None
        return [Node("tuple", None, tuple(range(len(column))), column)
                for column in zip(*(r.children for r in rows))]

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
                if isinstance(base, ast.Name) and base.id in self.scope.trees \
                        and not self._is_leaf(node.value):
                    return True   # (params.v[i % 3]: an array leaf, indexed when the code runs)
        return False

    def _is_leaf(self, e):
        try:
            return isinstance(self.tree_of(e), Leaf)
        except TransformError:
            return False

    def tree_items(self, it):
        """The items a loop (or comprehension) over ``it`` walks when ``it`` is a structure,
        or enumerate/zip/reversed of structures, or a dict's items/keys/values; else None."""
        node = (self.tree_of(it) or self.copied_tree(it)) if self.might_be_tree(it) else None
        if isinstance(node, Node):   # (for W in list(layers): the copy's items)
            if runs_own_code(node, "__iter__"):
                raise self.scope.src.error(it, f"a loop over {ast.unparse(it)}, "
                                               f"{node.describe()} being differentiated whose "
                                               f"class defines __iter__: Python runs that "
                                               f"code, where adcompile would walk the fields; "
                                               f"read the fields by name")
            return list(node.keys) if node.kind == "dict" else list(node.children)
        if isinstance(it, (ast.Tuple, ast.List)) and it.elts and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in it.elts):
            return [e.value for e in it.elts]   # keys: for k in ("W", "b"): ... params[k]
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
            transposed = self.transposed(it)
            if transposed is not None:
                return transposed
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



def _assign(name, value, where):
    return ast.copy_location(ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())],
                                        value=ast.Constant(value)), where)


def _unless(flag, body, loop):
    """``body``, run only while ``flag`` (``loop``'s break) is not set. What is live after
    it is what is live where an iteration of the loop starts (analysis/liveness.py), and the
    flag."""
    if flag is None or not body:
        return body
    test = ast.UnaryOp(op=ast.Not(), operand=ast.Name(id=flag, ctx=ast.Load()))
    guard = ast.fix_missing_locations(ast.copy_location(ast.If(test=test, body=body, orelse=[]),
                                                        loop))
    if isinstance(getattr(loop, "live_header", None), set):
        guard.live_out = loop.live_header | {flag}
    return [guard]


class _Jumps(ast.NodeTransformer):
    """The jumps ``jumps`` of an unrolled loop: a break sets ``flag``, a continue passes."""

    def __init__(self, jumps, flag):
        self.jumps, self.flag = set(jumps), flag

    def visit_Break(self, node):
        if node not in self.jumps:
            return node
        return _assign(self.flag, True, node)

    def visit_Continue(self, node):
        return ast.copy_location(ast.Pass(), node) if node in self.jumps else node
