"""Rewrites of the backward sweep's products that save whole passes over arrays: the sum
before the product, the product before the broadcast (``fuse_products``), and a product
written into the memory of an array nothing reads any more (``reuse_dead_arrays``)."""

import ast
import bisect

from .. import ir
from .simplify import number


def fuse_products(stmts, aliases, same_shape=None):
    """Two rewrites of the backward sweep's products that save whole passes over arrays.

    - Sum before a product: ``v = g @ y`` read once, by ``unbroadcast(v, x)``, becomes
      ``unbroadcast_product(g, y, x)`` there (``v = matmul_bar_left(g, a, y)`` becomes
      ``matmul_bar_left(g, a, y, to=x)``): where ``x`` has one row, ``g``'s rows are
      summed before the product. This is the adjoint of ``(data - mu) @ W`` with one ``mu``
      for many rows of data: one row to multiply, not a matrix to multiply and sum.
    - Multiply before broadcasting: the adjoint of a sum, ``unreduce(g, x, ...)`` or
      ``filled_like(x, g)``, times ``e`` becomes ``unreduce_times(g, e, x,
      ...)`` (a constant factor of ``e`` moves to ``g``): in the adjoint of
      ``np.sum(d ** 2)``, ``g * (2 * d)`` is one pass over ``d``, not three.

    Each rewrite also applies to a name assigned once and read once, later in the same
    block, when nothing it reads changes in between. ``same_shape`` maps forward names to
    names of values of the same shape (``y = x ** 2``): where the sum was of ``y`` and ``e``
    is ``x``, ``x`` gives the shape, and the forward sweep need not keep ``y`` for it.
    """
    _Products(stmts, aliases, same_shape or {}).rewrite(stmts)
    return stmts   # (unparsed, never compiled as trees: the nodes made need no positions)


class _Products:
    """The rewrites of ``fuse_products`` on one backward sweep: what it reads and assigns
    (how many times each name is loaded and stored) and the runtime helpers' names."""

    def __init__(self, stmts, aliases, same_shape):
        self.aliases, self.same_shape = aliases, same_shape
        self.loads, self.stores = {}, {}
        self.parent = {}   # node -> (the node holding it, field, index or None)
        self.load_of = {}  # name -> the Name node loading it (the last one seen)
        for s in stmts:
            self._adopt(s)
        self.unbroadcast = aliases["unbroadcast"]

    def _adopt(self, tree, counting=True):
        """Record where each node of ``tree`` sits (and, ``counting``, count its names):
        in the order of ``ir.walk_tree``, in the same walk."""
        parent, node_type, name_type, load = self.parent, ast.AST, ast.Name, ast.Load
        todo = [tree]
        for node in todo:   # (the list grows as it is read)
            if node.__class__ is name_type:
                if counting:
                    counts = self.loads if isinstance(node.ctx, load) else self.stores
                    counts[node.id] = counts.get(node.id, 0) + 1
                if isinstance(node.ctx, load):
                    self.load_of[node.id] = node
                continue
            for field in node._fields:
                value = getattr(node, field, None)
                if value.__class__ is list:
                    for k, v in enumerate(value):
                        if isinstance(v, node_type):
                            parent[v] = (node, field, k)
                            todo.append(v)
                elif isinstance(value, node_type):
                    parent[value] = (node, field, None)
                    todo.append(value)

    def _replace(self, old, new):
        """Put ``new`` where ``old`` is in the code."""
        node, field, index = self.parent[old]
        if index is None:
            setattr(node, field, new)
        else:
            getattr(node, field)[index] = new
        self.parent[new] = (node, field, index)
        self._adopt(new, counting=False)

    def summed(self, value, call):
        """``call`` (``unbroadcast(v, x)``, ``v`` being ``value``) with the sum first, or None."""
        aliases = self.aliases
        if _calls(value, self.unbroadcast) and len(value.args) == 2:
            value = value.args[0]   # summing to x sums over what value was summed over
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.MatMult):
            return _call(aliases["unbroadcast_product"], [value.left, value.right, call.args[1]])
        if _calls(value, aliases["matmul_bar_left"]) and len(value.args) == 3 \
                and not value.keywords:
            return _call(aliases["matmul_bar_left"], value.args, to=call.args[1])
        return None

    def broadcast(self, value):
        """(g, x, keywords) if ``value`` broadcasts the adjoint ``g`` of a sum of ``x``."""
        aliases = self.aliases
        if _calls(value, aliases["unreduce"]) and len(value.args) == 2:
            return value.args[0], value.args[1], value.keywords
        if _calls(value, aliases["filled_like"]) and len(value.args) == 2:
            return value.args[1], value.args[0], []
        return None

    def times(self, value, product, side):
        """``product`` (``side * e`` or ``e * side``; ``side`` stands for ``value``)
        multiplied before broadcasting, or None."""
        parts = self.broadcast(value)
        if parts is None:
            return None
        g, x, keywords = parts
        e = product.right if product.left is side else product.left
        if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Mult) \
                and number(e.left) is not None:
            g, e = ast.BinOp(left=e.left, op=ast.Mult(), right=g), e.right
        if isinstance(x, ast.Name) and isinstance(e, ast.Name) \
                and self.same_shape.get(x.id) == e.id:
            axis = next((k.value for k in keywords if k.arg == "axis"), None)
            if axis is None or _is_none(axis):
                # g is the adjoint of a sum of all of x, a number: g * e has e's shape
                return ast.BinOp(left=g, op=ast.Mult(), right=e)
            x = ir.load(e.id)
        return _call(self.aliases["unreduce_times"], [g, e, x], keywords)

    def use_of(self, v):
        """(the node reading ``v``, read once, its rewrite for v's value), or None."""
        name = self.load_of.get(v)
        n = self.parent.get(name, (None,))[0]
        if _calls(n, self.unbroadcast) and len(n.args) == 2 and n.args[0] is name:
            return n, lambda value, n=n: self.summed(value, n)
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult):
            for side in (n.left, n.right):
                if side is name:
                    return n, lambda value, n=n, side=side: self.times(value, n, side)
        return None

    def rewrite(self, block):
        """Rewrite ``block`` (in place) and the blocks nested in it: a single-use name's
        value moved into the product that reads it, then products within statements."""
        for s in block:
            for child in (getattr(s, "body", None), getattr(s, "orelse", None)):
                if isinstance(child, list):
                    self.rewrite(child)
        dropped = set()
        places = _Places(block)
        for i, s in enumerate(block):
            if self.moved_on(s, i, block, places):
                dropped.add(s)
        block[:] = [_Inline(self).visit(s) if isinstance(s, (ast.Assign, ast.AugAssign)) else s
                    for s in block if s not in dropped]

    def moved_on(self, s, i, block, places):
        """Whether ``s``, statement ``i`` of ``block``, assigns a name read once, by a product
        in a later statement of ``block`` that could be rewritten with its value, nothing
        it reads being assigned in between (it is then rewritten)."""
        if not (isinstance(s, ast.Assign) and len(s.targets) == 1
                and isinstance(s.targets[0], ast.Name)):
            return False
        v = s.targets[0].id
        if self.loads.get(v) != 1 or self.stores.get(v) != 1:
            return False
        j = places.next_read(v, i)
        if j is None or any(places.assigned_between(r, i, j) for r in ir.names_read(s.value)):
            return False   # not read later in the block, or what it reads changes first
        found = isinstance(block[j], (ast.Assign, ast.AugAssign)) and self.use_of(v)
        fused = found and found[1](s.value)
        if fused:
            self._replace(found[0], fused)
            return True
        return False


class _Places:
    """Where in a block each name is read and assigned (statement indexes, in order), so
    that a pass need not scan the statements between a definition and its use."""

    def __init__(self, block):
        self.reads, self.assigns = {}, {}
        for k, s in enumerate(block):
            for n in ir.names_read(s):
                self.reads.setdefault(n, []).append(k)
            for n in ir.assigns([s]):
                self.assigns.setdefault(n, []).append(k)

    def next_read(self, name, i):
        """The first statement after statement ``i`` that reads ``name``, or None."""
        at = self.reads.get(name, [])
        k = bisect.bisect_right(at, i)
        return at[k] if k < len(at) else None

    def assigned_between(self, name, i, j):
        """Whether a statement after ``i`` and before ``j`` assigns ``name``."""
        at = self.assigns.get(name, [])
        k = bisect.bisect_right(at, i)
        return k < len(at) and at[k] < j


class _Inline(ir.Transformer):
    """Products within one statement: ``unreduce(g, x) * e`` multiplied before broadcasting."""

    def __init__(self, products):
        self.products = products

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Mult):
            for side in (node.left, node.right):
                fused = self.products.times(side, node, side)
                if fused is not None:
                    return fused
        return node


def reuse_dead_arrays(stmts, owned, kept, aliases):
    """``v = unreduce_times(g, e, x, ...)`` at the top of the backward sweep, where ``e`` is
    an array of the generated code's own (``owned``: no other value shares its memory) that
    nothing reads afterwards (nor ``kept``: the gradients and the value), gets ``out=e``:
    the product goes into e's memory, with no new array to allocate and fault in."""
    read_later = set(kept)
    for s in reversed(stmts):
        value = getattr(s, "value", None)
        if isinstance(s, ast.Assign) and _calls(value, aliases["unreduce_times"]) \
                and len(value.args) == 3 and not any(k.arg == "out" for k in value.keywords):
            g, e, _ = value.args
            if isinstance(e, ast.Name) and e.id in owned and e.id not in read_later \
                    and e.id not in ir.names_read(g):
                value.keywords.append(ast.keyword(arg="out", value=ir.load(e.id)))
        read_later |= ir.names_read(s)
    return stmts


def _is_none(node):
    return isinstance(node, ast.Constant) and node.value is None


def _is_name(node, name):
    return isinstance(node, ast.Name) and node.id == name


def _call(name, args, keywords=(), **named):
    return ast.Call(func=ir.load(name), args=list(args), keywords=list(keywords) + [
        ast.keyword(arg=k, value=v) for k, v in named.items()])


def _calls(node, name):
    """Whether ``node`` calls ``name`` (a name, or ``module.attribute``)."""
    if not isinstance(node, ast.Call):
        return False
    if "." in name:
        module, attr = name.split(".")
        return isinstance(node.func, ast.Attribute) and node.func.attr == attr \
            and _is_name(node.func.value, module)
    return _is_name(node.func, name)
