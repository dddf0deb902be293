"""Expressions nested too deep for the passes, and conditional expressions inside others,
split into assignments first.

The passes walk an expression recursively (as ``ast``, ``copy.deepcopy`` and
``ast.unparse`` do), a few Python frames per level: ``np.sin(np.sin(...(x)...))``
nested two hundred deep, or ``x*1 + x*2 + ...`` over thousands of terms (a chain of
``+`` nested as deep as it is long), would exceed Python's recursion limit in them.
Before anything else reads the function, ``split_nesting`` assigns each part of an
expression that reaches ``SPLIT`` levels to a fresh variable of its own, in the order
Python evaluates them, so that no expression adcompile handles nests much deeper:

    s = x*1 + x*2 + ... + x*5000      part1 = x*1 + x*2 + ... + x*31
                                 ─►   part2 = part1 + x*32 + ... + x*62
                                      ...
                                      s = part161 + ... + x*5000

A conditional expression inside another (``y = 2 * (x if x > 0 else -x)``, ``y += a if c
else b``) is assigned to a variable of its own the same way, so that the frontend
differentiates it as the ``if`` statement it is (``part1 = x if x > 0 else -x``); what
Python evaluates before it and may have an effect (a call) is assigned first.

This walk itself is iterative. Only the value of a statement that runs it once is split
(an assignment's, a return's, an expression statement's, an ``if`` test, a ``for``
loop's iterable), and only through the parts Python always evaluates (not a lambda's
body, a comprehension, the branches of ``a if c else b``, ``and``/``or`` beyond the
first operand). What stays deeper than ``LIMIT`` (a deep ``while`` test) is refused.
"""

import ast

from ..ir import child_nodes

SPLIT = 32    # a part of an expression this deep is assigned to a variable of its own
LIMIT = 100   # an expression still nested deeper than this is refused

# statement -> its field whose value is evaluated once, before the statement does anything
_VALUES = {ast.Assign: "value", ast.AugAssign: "value", ast.AnnAssign: "value",
           ast.Return: "value", ast.Expr: "value", ast.If: "test", ast.For: "iter"}
_BLOCKS = ("body", "orelse", "finalbody")
_EFFECTS = (ast.Call, ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom)


def split_nesting(fn, error):
    """Split, in place, the expressions of the ``def`` ``fn`` nested ``SPLIT`` deep or more
    (see above); ``error(node, message)`` makes the TransformError refusing one that
    stays deeper than ``LIMIT``. Returns ``fn``."""
    taken = None
    blocks = [fn.body]
    while blocks:
        block = blocks.pop()
        out = []
        for s in block:
            blocks.extend(getattr(s, f) for f in _BLOCKS if isinstance(getattr(s, f, None), list))
            blocks.extend(h.body for h in getattr(s, "handlers", ()))
            field = _VALUES.get(type(s))
            value = getattr(s, field) if field else None
            shallow = None   # (the value, when it is found less than SPLIT deep)
            if value is not None:
                deep, conditional = _depth_and_conditional(value)
                if isinstance(value, ast.IfExp) and (isinstance(s, ast.AugAssign) or isinstance(
                        s, ast.Assign) and any(isinstance(t, ast.Subscript) for t in s.targets)):
                    # y += a if c else b: y = y + (a if c else b); x[i] = a if c else b: x =
                    # with_item(x, i, a if c else b)
                    conditional = True
                if deep < SPLIT and not conditional:
                    shallow = value
                elif not any(isinstance(n, ast.NamedExpr) for n in ast.walk(value)):
                    if taken is None:
                        taken = _Names(fn)
                    splitter = _Splitter(taken)
                    root = ast.Tuple(elts=[value], ctx=ast.Load()) \
                        if isinstance(value, ast.IfExp) else value   # (its IfExp is inner)
                    split = splitter.split(root)
                    setattr(s, field, split.elts[0] if root is not value else split)
                    out.extend(splitter.assignments)
            _refuse_deep(s, error, shallow)
            out.append(s)
        block[:] = out
    return fn


def depth(tree):
    """The number of levels of nodes in ``tree`` (iteratively)."""
    deepest, todo = 0, [(tree, 1)]
    while todo:
        node, level = todo.pop()
        deepest = max(deepest, level)
        todo.extend((child, level + 1) for child in child_nodes(node))
    return deepest


def _depth_and_conditional(tree):
    """(``depth(tree)``, whether a conditional expression ``a if c else b`` is inside it
    below its top), in one walk: such an expression is assigned to a variable of its own
    too (the frontend differentiates ``t = a if c else b`` as an if statement)."""
    deepest, conditional, todo = 0, False, [(tree, 1)]
    while todo:
        node, level = todo.pop()
        deepest = max(deepest, level)
        conditional = conditional or level > 1 and isinstance(node, ast.IfExp)
        todo.extend((child, level + 1) for child in child_nodes(node))
    return deepest, conditional


def _refuse_deep(s, error, shallow=None):
    """Refuse statement ``s`` if an expression of its own (not of the statements it holds)
    is still nested deeper than ``LIMIT``; ``shallow``, one of them known to be less deep
    than ``SPLIT``, is not walked again."""
    for field, value in ast.iter_fields(s):
        if field in _BLOCKS or field == "handlers":
            continue
        for tree in value if isinstance(value, list) else [value]:
            if not isinstance(tree, ast.AST) or isinstance(tree, ast.stmt) or tree is shallow:
                continue
            todo = [(tree, 1)]
            while todo:
                node, level = todo.pop()
                if level > LIMIT:
                    raise error(node, f"an expression nested more than {LIMIT} levels deep "
                                      f"here (in a part adcompile cannot split: a lambda, "
                                      f"a comprehension, a while test, a branch of if-else or "
                                      f"and/or) cannot be differentiated; assign its parts to "
                                      f"variables")
                todo.extend((child, level + 1) for child in child_nodes(node))


class _Names:
    """Fresh names ``part1``, ``part2``, ... that the function mentions nowhere."""

    def __init__(self, fn):
        self.taken = {getattr(n, "id", None) or getattr(n, "arg", None)
                      for n in ast.walk(fn)}
        self.count = 0

    def fresh(self):
        while True:
            self.count += 1
            name = f"part{self.count}"
            if name not in self.taken:
                self.taken.add(name)
                return name


def _parts(node):
    """The children of ``node`` that Python always evaluates as part of it, in order:
    (parent, field, index or None)."""
    if isinstance(node, ast.BoolOp):
        return [(node, "values", 0)]
    if isinstance(node, ast.IfExp):
        return [(node, "test", None)]
    if isinstance(node, ast.Compare):
        return [(node, "left", None), (node, "comparators", 0)]
    if isinstance(node, (ast.Lambda, ast.Dict, ast.JoinedStr, ast.ListComp, ast.SetComp,
                         ast.DictComp, ast.GeneratorExp)):
        return []
    found = []
    for field, value in ast.iter_fields(node):
        if isinstance(value, list):
            found.extend((node, field, i) for i, v in enumerate(value) if isinstance(v, ast.AST))
        elif isinstance(value, ast.AST) and not isinstance(value, ast.expr_context):
            found.append((node, field, None))
    return found


def _get(slot):
    parent, field, index = slot
    value = getattr(parent, field)
    return value if index is None else value[index]


def _put(slot, new):
    parent, field, index = slot
    if index is None:
        setattr(parent, field, new)
    else:
        getattr(parent, field)[index] = new


def _movable(node):
    """Whether ``node`` may be assigned to a variable as it is (``t = node``)."""
    if not isinstance(node, ast.expr) or isinstance(node, (ast.Name, ast.Constant, ast.Starred,
                                                           ast.Slice)):
        return False
    if not isinstance(getattr(node, "ctx", ast.Load()), ast.Load):
        return False
    return not (isinstance(node, ast.Tuple) and any(isinstance(e, (ast.Slice, ast.Starred))
                                                   for e in node.elts))


class _Splitter:
    """Splits one expression; ``assignments`` are the statements to run before it."""

    def __init__(self, names):
        self.names = names
        self.assignments = []

    def split(self, root):
        # an iterative walk after the order of evaluation: a frame per node being walked,
        # [node, its parts, the next part, its height so far, parts checked for effects]
        holder = ast.Expr(value=root)
        frames = [[holder, [(holder, "value", None)], 0, 0, 0]]
        while frames:
            frame = frames[-1]
            node, parts, i = frame[0], frame[1], frame[2]
            if i < len(parts):
                child = _get(parts[i])
                frames.append([child, _parts(child), 0, 0, 0])
                continue
            frames.pop()
            if not frames:
                break
            parent = frames[-1]
            height = frame[3] + 1 if frame[1] else depth(node)
            slot = parent[1][parent[2]]
            # (not the function of a call: obj.method stays called as written)
            if (height >= SPLIT or isinstance(node, ast.IfExp)) and len(frames) > 1 \
                    and slot[1] != "func" and _movable(node):
                self._settle(frames)
                height = 1
                _put(slot, self._assign(node))
            parent[3] = max(parent[3], height)
            parent[2] += 1
        return holder.value

    def _settle(self, frames):
        """Before a part is assigned, assign every part with an effect that Python evaluates
        before it and that is not assigned yet, outermost first: the order of effects stays."""
        for frame in frames:   # (the part's own frame is popped: its parent's earlier parts too)
            for slot in frame[1][frame[4]:frame[2]]:
                done = _get(slot)
                if slot[1] != "func" and _movable(done) \
                        and any(isinstance(n, _EFFECTS) for n in ast.walk(done)):
                    _put(slot, self._assign(done))
            frame[4] = frame[2]

    def _assign(self, node):
        """Assign ``node`` to a fresh variable (a statement run first); that variable."""
        name = self.names.fresh()
        target = ast.Name(id=name, ctx=ast.Store())
        statement = ast.Assign(targets=[target], value=node)
        for n in (target, statement):
            ast.copy_location(n, node)
        self.assignments.append(statement)
        return ast.copy_location(ast.Name(id=name, ctx=ast.Load()), node)
