"""What normalizing lists needs to know of a function before it starts, from its syntax
alone: which lists get k-tuples appended (kept as k lists, ``Struct``), which lists of
lists get lists appended, which lists are kept as written (``fixed_lists``); and, once
normalized, that no list nested in another is changed in place where the gradient reads
it (``check_nested_changes``). Used by normalize.py; the normalizing itself is lists.py's
(with tuple_lists.py and list_items.py).
"""

import ast
from dataclasses import dataclass

from .. import ir
from .syntax import is_append


@dataclass
class Struct:
    """A list of k-tuples of values, kept as k lists (their generated names)."""

    lists: list


def tuple_length(elements):
    """k when every item is a k-tuple (or k-list) literal without starred items, else None."""
    lengths = {len(e.elts) if isinstance(e, (ast.Tuple, ast.List))
               and not any(isinstance(p, ast.Starred) for p in e.elts) else None
               for e in elements}
    return lengths.pop() if len(lengths) == 1 and None not in lengths and 0 not in lengths \
        else None


def appended_tuples(fn):
    """User name -> k for lists to which the function only appends k-tuple literals."""
    found = {}
    for node in ir.walk_tree(fn):
        if is_append(node):
            name = node.value.func.value.id
            k = tuple_length(node.value.args) if len(node.value.args) == 1 else None
        elif _concatenation(node):   # pr = pr + [(a, b)]
            name = node.targets[0].id
            k = tuple_length(node.value.right.elts)
        else:
            continue
        found[name] = k if found.get(name, k) == k else None
    return {name: k for name, k in found.items() if k}


def appended_lists(fn):
    """The user names of ``fn``'s lists of lists -> how many levels of lists their items
    have (1: lists of values): lists that lists are appended to (``rows.append(row)`` where
    ``row`` is given a list display, or ``rows.append([a, b])``), and names bound to them."""
    assigns, appends = [], []
    for n in ir.walk_tree(fn):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 \
                and isinstance(n.targets[0], ast.Name):
            assigns.append((n.targets[0].id, n.value))
        elif is_append(n) and len(n.value.args) == 1:
            appends.append((n.value.func.value.id, n.value.args[0]))
    # (s = [s, 2 * s] reads the value s had before: a list only where another display is
    # given to s)
    displayed = {name for name, value in assigns if isinstance(value, (ast.List, ast.Tuple))
                 and not _mentions(value, name)}
    depth = {}    # name -> levels of lists (1: a list of values)

    def levels(e):
        if isinstance(e, ast.Name):
            return depth.get(e.id, 1 if e.id in displayed else 0)
        if isinstance(e, ast.List):
            return 1 + max((levels(x) for x in e.elts), default=0)
        return 0

    for _ in range(8):   # (nesting deeper than that is not worth a fixed point)
        before = dict(depth)
        for name, item in appends:
            if levels(item):
                depth[name] = max(depth.get(name, 1), 1 + levels(item))
        for name, value in assigns:
            if isinstance(value, (ast.Name, ast.List)) and levels(value) > 1:
                depth[name] = max(depth.get(name, 1), levels(value))
        if depth == before:
            break
    return {name: d - 1 for name, d in depth.items() if d > 1}


def _mentions(e, name):
    """Whether the expression ``e`` reads the name ``name``."""
    return any(isinstance(n, ast.Name) and n.id == name for n in ir.walk_tree(e))


def check_nested_changes(body, lists, src):
    """Refuse changing a list that another list holds (``rows[i].append(v)``, or
    ``row.append(v)`` after ``rows.append(row)``): a change Python makes to both, which
    the passes, following names, would see through one only. Building a row and then
    appending it (a new row each iteration) is what lists of lists are made by, and fine."""
    inserted, items, order = {}, set(), {}
    for n, s in enumerate(ir.walk(body)):
        order[s] = n
        for e in _inserted(s, lists):
            inserted.setdefault(e, []).append(n)
        if isinstance(s, ir.ListGet) and s.target in lists:
            items.add(s.target)
    loops = []   # (statements inside, lists put into others there, lists made there)
    for loop in ir.walk(body):
        if isinstance(loop, ir.Loop):
            inside = list(ir.walk(loop.body))
            loops.append(({x for x in inside},
                          {e for x in inside for e in _inserted(x, lists)},
                          {x.target for x in inside if isinstance(x, ir.ListNew)}))
    for s in ir.walk(body):
        changed = _changed_list(s)
        if changed is None or changed not in lists:
            continue
        n = order[s]
        later = any(m < n for m in inserted.get(changed, ()))
        # (in a loop that puts the list into another and does not make it anew, the next
        # iteration changes what the other holds)
        again = any(s in inside and changed in put and changed not in made
                    for inside, put, made in loops)
        if changed in items or later or again:
            raise src.error(s.node, "this changes a list that another list holds (a list of "
                                    "lists), which is not supported: build each inner list "
                                    "before putting it into the outer one")


def _inserted(s, lists):
    """The lists IR statement ``s`` puts into another list."""
    if isinstance(s, (ir.ListAppend, ir.ListSet)):
        return [s.value.id] if isinstance(s.value, ast.Name) and s.value.id in lists else []
    if isinstance(s, ir.ListNew):
        return [e.id for e in s.elements if isinstance(e, ast.Name) and e.id in lists]
    return []


def _changed_list(s):
    """The list IR statement ``s`` changes in place, or None."""
    if isinstance(s, (ir.ListAppend, ir.ListSet, ir.ListAdd)):
        return s.target
    if isinstance(s, ir.ListGet) and s.pop:
        return s.source
    return None


def fixed_lists(fn, params):
    """User names of ``fn`` (desugared) that only ever hold list or tuple displays of one
    layout (``ls = [a, b]``, ``tp = (a, (b, c))``), read by constant indices (``ls[-1]``,
    ``ls[0][1]``, ``ls[:2]``), assigned into by them (``ls[1] += v``), unpacked (``a, b =
    tp``) or measured (``len(ls)``): never appended to, walked by a loop (which, over a
    structure, would be unrolled), passed on or read as a whole. Holding values being
    differentiated they are structures (trees.py), whose items are variables of their own
    (carried by loops, joined after branches)."""
    if not any(isinstance(n, ast.Assign) and len(n.targets) == 1
               and isinstance(n.targets[0], ast.Name)
               and isinstance(n.value, (ast.List, ast.Tuple)) for n in ir.walk_tree(fn)):
        return set()   # (no name is assigned a display: none is a fixed list)
    parents = {c: n for n in ast.walk(fn) for c in ast.iter_child_nodes(n)}
    nested = {n for d in ast.walk(fn) if d is not fn and isinstance(
        d, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) for n in ast.walk(d)}
    layouts, refused = {}, set(params)
    for node in ast.walk(fn):
        if not isinstance(node, ast.Name):
            continue
        name, parent = node.id, parents.get(node)
        if node in nested:
            refused.add(name)
        elif isinstance(node.ctx, ast.Store):
            value = parent.value if isinstance(parent, ast.Assign) \
                and parent.targets == [node] else None
            if isinstance(value, (ast.List, ast.Tuple)):
                layouts.setdefault(name, set()).add(_layout(value))
            elif not (_with_item(value, name)):
                refused.add(name)
        elif not _fixed_use(node, parent, parents):
            refused.add(name)
    return {n for n, found in layouts.items() if n not in refused and len(found) == 1
            and None not in found}


def _layout(e):
    """The kinds and lengths of nested list and tuple displays (None: a starred item)."""
    if not isinstance(e, (ast.List, ast.Tuple)):
        return ()
    if any(isinstance(x, ast.Starred) for x in e.elts):
        return None
    inner = tuple(_layout(x) for x in e.elts)
    return None if None in inner else (type(e).__name__, inner)


def _with_item(value, name):
    """Whether ``value`` is ``$with_item(name, index, v)`` (``name[index] = v`` desugared,
    items.py) with a constant index (not a slice)."""
    from .item_desugar import WITH_ITEM
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
        and value.func.id == WITH_ITEM and isinstance(value.args[0], ast.Name) \
        and value.args[0].id == name and not isinstance(value.args[1], ast.Slice) \
        and _constant_index(value.args[1], name)


def _fixed_use(node, parent, parents):
    """Whether the read ``node`` of a name is one a fixed list allows (see fixed_lists)."""
    name = node.id
    if isinstance(parent, ast.Subscript) and parent.value is node:
        return _constant_index(parent.slice, name)
    if isinstance(parent, ast.Call) and parent.args == [node] and not parent.keywords \
            and isinstance(parent.func, ast.Name) and parent.func.id == "len":
        return True
    if isinstance(parent, ast.Call) and _with_item(parent, name):
        return True
    return isinstance(parent, ast.Assign) and parent.value is node \
        and all(isinstance(t, (ast.Tuple, ast.List)) for t in parent.targets)


def _constant_index(e, name):
    """Whether index ``e`` is known when transforming: integer constants, arithmetic of
    them and of ``len(name)``, slices and tuples of those (``(0, 1)``: ``ls[0][1] = v``
    desugared, item_desugar.py)."""
    if isinstance(e, ast.Tuple):
        return all(_constant_index(p, name) for p in e.elts)
    if isinstance(e, ast.Constant):
        return isinstance(e.value, int) or e.value is None
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
        return _constant_index(e.operand, name)
    if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub, ast.Mult)):
        return _constant_index(e.left, name) and _constant_index(e.right, name)
    if isinstance(e, ast.Slice):
        return all(p is None or _constant_index(p, name) for p in (e.lower, e.upper, e.step))
    return isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "len" \
        and len(e.args) == 1 and isinstance(e.args[0], ast.Name) and e.args[0].id == name


def _concatenation(node):
    """``name = name + [...]`` (or a tuple display) as a statement."""
    return (isinstance(node, ast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.BinOp)
            and isinstance(node.value.op, ast.Add) and isinstance(node.value.left, ast.Name)
            and node.value.left.id == node.targets[0].id
            and isinstance(node.value.right, (ast.List, ast.Tuple)) and node.value.right.elts)
