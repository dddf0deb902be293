"""Clean-ups on generated code: algebraic simplification, dead-code removal, fusing
single-use temporaries back into expressions, and tidy temporary numbers."""

import ast
import operator
import re
from dataclasses import replace

from .. import ir

_FOLD = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
         ast.Div: operator.truediv, ast.Pow: operator.pow}


def _number(e):
    if isinstance(e, ast.Constant) and type(e.value) in (int, float):
        return e.value
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
        v = _number(e.operand)
        return None if v is None else -v
    return None


def _is(e, value):
    v = _number(e)
    return v is not None and v == value


class _Simplify(ast.NodeTransformer):
    def visit_BinOp(self, node):
        self.generic_visit(node)
        a, b = _number(node.left), _number(node.right)
        op = type(node.op)
        if a is not None and b is not None and op in _FOLD:
            try:
                value = _FOLD[op](a, b)
            except (ZeroDivisionError, OverflowError):
                return node
            if isinstance(value, (int, float)) and abs(value) < 1e15:
                return ast.Constant(value) if value >= 0 else ast.UnaryOp(ast.USub(), ast.Constant(-value))
        if op is ast.Pow and _is(node.right, 1):
            return node.left
        if op is ast.Pow and _is(node.right, 0):
            return ast.Constant(1)
        if op is ast.Mult:
            if _is(node.left, 1):
                return node.right
            if _is(node.right, 1):
                return node.left
            if b is not None and a is None:  # constants first: 3 * t_bar
                return ast.BinOp(left=node.right, op=node.op, right=node.left)
        if op is ast.Div and _is(node.right, 1):
            return node.left
        if op is ast.Add and ast.dump(node.left) == ast.dump(node.right):
            return ast.BinOp(left=ast.Constant(2), op=ast.Mult(), right=node.left)
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.USub) and isinstance(node.operand, ast.UnaryOp) \
                and isinstance(node.operand.op, ast.USub):
            return node.operand.operand
        return node


def simplify(expr):
    return ast.fix_missing_locations(_Simplify().visit(expr))


def total(terms):
    """The sum of a list of expressions (a repeated term counted once, times its count)."""
    counted = []
    for t in terms:
        for entry in counted:
            if ast.dump(entry[0]) == ast.dump(t):
                entry[1] += 1
                break
        else:
            counted.append([t, 1])
    terms = [t if n == 1 else ast.BinOp(left=ast.Constant(n), op=ast.Mult(), right=t)
             for t, n in counted]
    if len(terms) > 32:
        # a balanced sum: a chain of hundreds of terms would nest too deep to compile
        half = len(terms) // 2
        return ast.BinOp(left=total(terms[:half]), op=ast.Add(), right=total(terms[half:]))
    result = terms[0]
    for t in terms[1:]:
        if isinstance(t, ast.UnaryOp) and isinstance(t.op, ast.USub):
            result = ast.BinOp(left=result, op=ast.Sub(), right=t.operand)
        else:
            result = ast.BinOp(left=result, op=ast.Add(), right=t)
    return result


def fuse(statements, fusable, live):
    """Put single-use temporaries back into the expression that uses them.

    ``t1 = X @ W1; t2 = t1 + b1; h = np.tanh(t2)`` becomes ``h = np.tanh(X @ W1 + b1)``
    when nothing else (``live``: names read later, by the backward sweep or the return)
    reads ``t1`` or ``t2``: the code reads like the user's, and the intermediates are freed
    as soon as they are used. Only straight-line code whose names are assigned once.
    """
    uses = {}
    for s in statements:
        for name in ir.names_read(s):
            uses[name] = uses.get(name, 0) + 1
    pending = {}   # temp -> its expression, waiting for its one use
    out = []
    for s in statements:
        if pending:
            s = _Inline(pending).visit(s)
        if (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
                and s.targets[0].id in fusable and s.targets[0].id not in live
                and uses.get(s.targets[0].id) == 1):
            pending[s.targets[0].id] = s.value
            continue
        out.append(s)
    return out


class _Inline(ast.NodeTransformer):
    def __init__(self, pending):
        self.pending = pending

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and node.id in self.pending:
            return self.pending.pop(node.id)
        return node


def prune_forward(stmts, live):
    """Drop forward statements whose results nothing reads (a fixed point, for loops).
    The tape's Save nodes stay (they read what they save)."""
    needed = set(live)
    keep = set()
    changed = True
    while changed:
        changed = False
        for s in ir.walk(stmts):
            if id(s) in keep:
                continue
            if isinstance(s, (ir.If, ir.Loop, ir.Jump, ast.stmt)):   # (ast.stmt: a Save)
                wanted = True
            elif isinstance(s, ir.Keep):
                wanted = not s.pure or bool(set(s.defines) & needed)
            elif isinstance(s, ir.ListAppend):
                wanted = s.target in needed
            elif isinstance(s, ir.ListGet) and s.pop:
                wanted = s.target in needed or s.source in needed  # it shortens the list
            else:
                wanted = s.target in needed
            if wanted:
                keep.add(id(s))
                needed |= ir.own_reads(s)
                changed = True

    def rebuild(block):
        out = []
        for s in block:
            if id(s) not in keep:
                continue
            if isinstance(s, ir.If):
                s = replace(s, body=rebuild(s.body), orelse=rebuild(s.orelse))
            elif isinstance(s, ir.Loop):
                s = replace(s, body=rebuild(s.body))
                if s.kind == "for" and not s.body and s.index not in needed:
                    continue  # nothing in it is needed (a while loop stays: it may not end)
            elif isinstance(s, ir.Keep) and s.defines and not set(s.defines) & needed:
                s = _run_only(s)   # a call that may do something: run it, keep nothing
            out.append(s)
        return out

    return rebuild(stmts)


def _run_only(keep):
    """``name = call(...)`` kept for what the call may do, with nothing reading ``name``:
    the call alone."""
    stmt = keep.stmt
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
            and isinstance(stmt.targets[0], ast.Name):
        return replace(keep, stmt=ast.copy_location(ast.Expr(stmt.value), stmt), defines=[])
    return keep


def prune_backward(stmts, live):
    """Drop backward assignments to names nothing later reads (backward code is pure, but
    for popping the stack)."""

    def uses(node):
        """Names a statement reads; ``a += b`` reads ``a`` too."""
        found = ir.names_read(node)
        for n in ast.walk(node):
            if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
                found.add(n.target.id)
        return found

    def prune(block, live):
        kept = []
        for s in reversed(block):
            if isinstance(s, (ast.If, ast.For)):
                if isinstance(s, ast.If):
                    s.body = prune(s.body, set(live)) or [ast.Pass()]
                    s.orelse = prune(s.orelse, set(live))
                else:  # what one iteration reads, an earlier one may have to provide
                    s.body = prune(s.body, live | uses(s)) or [ast.Pass()]
                    if all(isinstance(b, ast.Pass) for b in s.body):
                        continue   # a reversed loop with nothing left to do
                live |= uses(s)
                kept.append(s)
                continue
            if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name):
                if s.target.id not in live:
                    continue
            elif isinstance(s, ast.Assign):
                targets = ir.assigns([s])
                is_pop = isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Attribute) \
                    and s.value.func.attr == "pop"
                simple = all(isinstance(t, ast.Name) for t in s.targets)
                if simple and not is_pop and not (targets & live):
                    continue
                live -= targets if simple else set()
            live |= uses(s)
            kept.append(s)
        kept.reverse()
        return kept

    return prune(stmts, set(live))


def fuse_blocks(stmts, temps, live):
    """Fuse single-use temporaries within each run of simple statements (never into a loop
    or branch, which could run them more or fewer times)."""
    uses = {}
    for s in stmts:
        for n in ast.walk(s):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                uses[n.id] = uses.get(n.id, 0) + 1
    single = {t for t in temps if uses.get(t) == 1}

    def walk(block):
        out, run = [], []
        for s in block + [None]:
            if isinstance(s, ast.Assign) and len(s.targets) == 1 \
                    and isinstance(s.targets[0], ast.Name):
                run.append(s)
                continue
            if run:
                out.extend(fuse(run, single, live))
                run = []
            if s is None:
                break
            if isinstance(s, (ast.If, ast.For, ast.While)):
                s.body = walk(s.body)
                s.orelse = walk(s.orelse)
            out.append(s)
        return out

    return walk(stmts)


_DERIVED = re.compile(r"(t\d+)((?:_bar)?(?:s|_steps)?(?:_\d+)?)$")


def renumber_temps(statements, outputs, namer):
    """Number the temporaries that remain t1, t2, ... in order of appearance, so gaps left
    by fused or dead temporaries do not show. The names made from a temporary's follow
    (``t3_bar``, ``t3s``, ``t3_bar_steps``). Returns ``rename(name)``: a name's new name."""

    temps, made = set(namer.temps), set(namer.made)

    def parts(name):
        m = _DERIVED.match(name)
        if m and m.group(1) in temps and (not m.group(2) or name in made):
            return m.group(1), m.group(2)
        return None

    order, renamed = [], set()
    for s in statements + list(outputs):
        for node in ast.walk(s):
            if isinstance(node, ast.Name) and parts(node.id):
                renamed.add(node.id)
                if parts(node.id)[0] not in order:
                    order.append(parts(node.id)[0])
    suffixes = {parts(n)[1] for n in renamed}
    reserved = {n for n in namer.taken if not parts(n)} - namer.temps
    mapping, k = {}, 0
    for old in order:
        k += 1
        while any(f"t{k}{suffix}" in reserved for suffix in suffixes | {"", "_bar", "_dot"}):
            k += 1
        mapping[old] = f"t{k}"

    def rename(name):
        found = parts(name)
        return mapping[found[0]] + found[1] if found and found[0] in mapping else name

    seen = set()  # a node shared by the two sweeps is renamed once
    for s in statements + list(outputs):
        for node in ast.walk(s):
            if isinstance(node, ast.Name) and id(node) not in seen:
                seen.add(id(node))
                node.id = rename(node.id)
    # the namer knows the new names: later passes make names and renumber again
    derived = {rename(name) for name in renamed if parts(name)[1]}
    namer.temps = (namer.temps - set(mapping)) | set(mapping.values())
    namer.taken |= derived | set(mapping.values())
    namer.made |= derived
    return rename


def fuse_products(stmts, aliases, same_shape=None):
    """Two rewrites of the backward sweep's products that save whole passes over arrays.

    - Sum before a product: ``v = g @ y`` read once, by ``unbroadcast(v, x)``, becomes
      ``unbroadcast_product(g, y, x)`` there (``v = matmul_bar_left(g, a, y)`` becomes
      ``matmul_bar_left(g, a, y, to=x)``): where ``x`` has one row, ``g``'s rows are
      summed before the product. This is the adjoint of ``(data - mu) @ W`` with one ``mu``
      for many rows of data: one row to multiply, not a matrix to multiply and sum.
    - Multiply before broadcasting: the adjoint of a sum, ``unreduce(g, x, ...)`` or
      ``np.full(np.shape(x), g, ...)``, times ``e`` becomes ``unreduce_times(g, e, x,
      ...)`` (a constant factor of ``e`` moves to ``g``): in the adjoint of
      ``np.sum(d ** 2)``, ``g * (2 * d)`` is one pass over ``d``, not three.

    Each rewrite also applies to a name assigned once and read once, later in the same
    block, when nothing it reads changes in between. ``same_shape`` maps forward names to
    names of values of the same shape (``y = x ** 2``): where the sum was of ``y`` and ``e``
    is ``x``, ``x`` gives the shape, and the forward sweep need not keep ``y`` for it.
    """
    same_shape = same_shape or {}
    loads, stores = {}, {}
    for s in stmts:
        for n in ast.walk(s):
            if isinstance(n, ast.Name):
                counts = loads if isinstance(n.ctx, ast.Load) else stores
                counts[n.id] = counts.get(n.id, 0) + 1
    unbroadcast = aliases["unbroadcast"]

    def summed(value, call):
        """``call`` (``unbroadcast(v, x)``, ``v`` being ``value``) with the sum first, or None."""
        if _calls(value, unbroadcast) and len(value.args) == 2:
            value = value.args[0]   # summing to x sums over what value was summed over
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.MatMult):
            return _call(aliases["unbroadcast_product"], [value.left, value.right, call.args[1]])
        if _calls(value, aliases["matmul_bar_left"]) and len(value.args) == 3 \
                and not value.keywords:
            return _call(aliases["matmul_bar_left"], value.args, to=call.args[1])
        return None

    def broadcast(value):
        """(g, x, keywords) if ``value`` broadcasts the adjoint ``g`` of a sum of ``x``."""
        if _calls(value, aliases["unreduce"]) and len(value.args) == 2:
            return value.args[0], value.args[1], value.keywords
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
                and value.func.attr == "full" and _is_name(value.func.value, aliases["np"]) \
                and len(value.args) == 2 and _calls(value.args[0], f"{aliases['np']}.shape"):
            return value.args[1], value.args[0].args[0], []
        return None

    def times(value, product, side):
        """``product`` (``side * e`` or ``e * side``; ``side`` stands for ``value``)
        multiplied before broadcasting, or None."""
        parts = broadcast(value)
        if parts is None:
            return None
        g, x, keywords = parts
        e = product.right if product.left is side else product.left
        if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Mult) \
                and _number(e.left) is not None:
            g, e = ast.BinOp(left=e.left, op=ast.Mult(), right=g), e.right
        if isinstance(x, ast.Name) and isinstance(e, ast.Name) and same_shape.get(x.id) == e.id:
            axis = next((k.value for k in keywords if k.arg == "axis"), None)
            if axis is None or _is_none(axis):
                # g is the adjoint of a sum of all of x, a number: g * e has e's shape
                return ast.BinOp(left=g, op=ast.Mult(), right=e)
            x = ir.load(e.id)
        return _call(aliases["unreduce_times"], [g, e, x], keywords)

    class Inline(ast.NodeTransformer):
        def visit_BinOp(self, node):
            self.generic_visit(node)
            if isinstance(node.op, ast.Mult):
                for side in (node.left, node.right):
                    fused = times(side, node, side)
                    if fused is not None:
                        return fused
            return node

    def use_of(v, later):
        """(the node reading ``v`` in ``later``, its rewrite for v's value), or None."""
        for n in ast.walk(later):
            if _calls(n, unbroadcast) and len(n.args) == 2 and _is_name(n.args[0], v):
                return n, lambda value, n=n: summed(value, n)
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult):
                for side in (n.left, n.right):
                    if _is_name(side, v):
                        return n, lambda value, n=n, side=side: times(value, n, side)
        return None

    def rewrite(block):
        for s in block:
            for child in (getattr(s, "body", None), getattr(s, "orelse", None)):
                if isinstance(child, list):
                    rewrite(child)
        dropped = set()
        for i, s in enumerate(block):
            if not (isinstance(s, ast.Assign) and len(s.targets) == 1
                    and isinstance(s.targets[0], ast.Name)):
                continue
            v = s.targets[0].id
            if loads.get(v) != 1 or stores.get(v) != 1:
                continue
            reads = ir.names_read(s.value)
            for later in block[i + 1:]:
                found = isinstance(later, (ast.Assign, ast.AugAssign)) and use_of(v, later)
                fused = found and found[1](s.value)
                if fused:
                    block[block.index(later)] = _Replace(found[0], fused).visit(later)
                    dropped.add(id(s))
                    break
                if v in ir.names_read(later) or reads & ir.assigns([later]):
                    break   # read some other way, or what it reads changes first
        block[:] = [Inline().visit(s) if isinstance(s, (ast.Assign, ast.AugAssign)) else s
                    for s in block if id(s) not in dropped]

    rewrite(stmts)
    return [ast.fix_missing_locations(s) for s in stmts]


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


class _Replace(ast.NodeTransformer):
    def __init__(self, old, new):
        self.old, self.new = old, new

    def visit(self, node):
        return self.new if node is self.old else super().visit(node)


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
