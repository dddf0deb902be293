"""Normalizing lists of values being differentiated: [a, b], append, and indexing them.

A list of k-tuples (``layers = [(W1, b1), (W2, b2)]``, or ``layers = []`` that only
ever gets k-tuples appended) is kept as k lists, one per position (``layers0 = [W1,
W2]``, ``layers1 = [b1, b2]``): iterated with a tuple target (``for W, b in layers``,
also under enumerate and zip), indexed and unpacked (``W, b = layers[i]``,
``layers[i][1]``), appended to and measured with ``len``. Any other use is refused.

Part of ``normalize.Normalizer``.
"""

import ast
import operator
from dataclasses import dataclass

from .. import ir
from .syntax import Ready, has_call, index_expression, is_append, is_trivial


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
    displayed = {name for name, value in assigns if isinstance(value, (ast.List, ast.Tuple))}
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


def check_nested_changes(body, lists, src):
    """Refuse changing a list that another list holds (``rows[i].append(v)``, or
    ``row.append(v)`` after ``rows.append(row)``): a change Python makes to both, which
    the passes, following names, would see through one only. Building a row and then
    appending it (a new row each iteration) is what lists of lists are made by, and fine."""
    inserted, items, order = {}, set(), {}
    for n, s in enumerate(ir.walk(body)):
        order[id(s)] = n
        for e in _inserted(s, lists):
            inserted.setdefault(e, []).append(n)
        if isinstance(s, ir.ListGet) and s.target in lists:
            items.add(s.target)
    loops = []   # (statements inside, lists put into others there, lists made there)
    for loop in ir.walk(body):
        if isinstance(loop, ir.Loop):
            inside = list(ir.walk(loop.body))
            loops.append(({id(x) for x in inside},
                          {e for x in inside for e in _inserted(x, lists)},
                          {x.target for x in inside if isinstance(x, ir.ListNew)}))
    for s in ir.walk(body):
        changed = _changed_list(s)
        if changed is None or changed not in lists:
            continue
        n = order[id(s)]
        later = any(m < n for m in inserted.get(changed, ()))
        # (in a loop that puts the list into another and does not make it anew, the next
        # iteration changes what the other holds)
        again = any(id(s) in inside and changed in put and changed not in made
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
    parents = {id(c): n for n in ast.walk(fn) for c in ast.iter_child_nodes(n)}
    nested = {id(n) for d in ast.walk(fn) if d is not fn and isinstance(
        d, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) for n in ast.walk(d)}
    layouts, refused = {}, set(params)
    for node in ast.walk(fn):
        if not isinstance(node, ast.Name):
            continue
        name, parent = node.id, parents.get(id(node))
        if id(node) in nested:
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
    from .items import WITH_ITEM
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
    them and of ``len(name)``, slices and tuples of those."""
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


class Lists:
    """Part of ``normalize.Normalizer``: lists of values being differentiated."""

    def new_list(self, target, value, stmt):
        """``target = [a, b, ...]`` (or a tuple) of values being differentiated."""
        k = tuple_length(value.elts) if value.elts else self.scope.tuple_appends.get(target)
        if k and target not in self.scope.list_appends:
            return self.new_struct(target, value.elts, k, stmt)
        for e in value.elts:
            if isinstance(e, (ast.List, ast.Tuple)) and self.varies(e) \
                    and not (isinstance(e, ast.List) and target in self.scope.list_appends):
                raise self.scope.src.error(e, "a list holding both tuples (or lists) and other "
                                              "values, or tuples of different lengths, is not "
                                              "supported; make every item a tuple of the same "
                                              "length")
        elements = [self.operand(e) for e in value.elts]
        held = [isinstance(e, ast.Name) and e.id in self.out.lists for e in elements]
        if any(held) and not all(held):
            raise self.scope.src.error(value, "a list holding both lists and other values "
                                              "being differentiated is not supported")
        name = self.define(target)
        self.out.lists.add(name)
        if target in self.scope.list_appends or any(held):
            self.out.holders[name] = max([self.scope.list_appends.get(target, 1)] + [
                1 + self.out.holders.get(e.id, 0) for e, h in zip(elements, held) if h])
        self.out.varied_ssa.add(name)
        self.out.body.append(ir.ListNew(name, elements, stmt, isinstance(value, ast.Tuple)))
        return name

    def new_struct(self, target, items, k, stmt):
        """``target = [(a1, b1), (a2, b2), ...]`` as k lists (``target`` None: a literal a loop
        iterates over); returns the handle of the whole."""
        if target is not None and any(target in carried for carried in self.scope.loops) \
                and not self._carried_struct(target, k):
            raise self.scope.src.error(stmt, f"{target!r} is given a new list of tuples of "
                                             f"values being differentiated in a loop, and read "
                                             f"in its next iteration or after it, which is not "
                                             f"supported; make the list before the loop and "
                                             f"append to it, or keep its items in variables")
        operands = [[self.operand(part) for part in item.elts] for item in items]
        handle = self.define(target) if target is not None else self.namer.temp()
        lists = []
        for j in range(k):
            name = self.namer.fresh(f"{target or 'items'}{j}")
            self.out.lists.add(name)
            self.out.varied_ssa.add(name)
            self.out.body.append(ir.ListNew(name, [parts[j] for parts in operands], stmt))
            lists.append(name)
        self.out.structs[handle] = Struct(lists)
        return handle

    def _carried_struct(self, target, k):
        """Whether ``target``, given a new list of k-tuples in a loop, names one in every
        loop around (from before the loop): its k lists are then the loop's variables,
        which each iteration's exit copies the new lists to (control.exit_copies)."""
        for carried in self.scope.loops:
            held = self.out.structs.get(carried.get(target))
            if target in carried and (held is None or len(held.lists) != k):
                return False
        return True

    def struct_of(self, e):
        """The Struct a user expression names (a list of tuples), else None."""
        if isinstance(e, ast.Name):
            return self.out.structs.get(self.scope.env.get(e.id))
        return None

    def struct_item(self, value, stmt):
        """The operands of the items of ``layers[i]`` (``value``), a tuple of a list of tuples,
        or None when ``value`` is something else."""
        if not isinstance(value, ast.Subscript):
            return None
        struct = self.struct_of(value.value)
        if struct is None:
            return None
        if isinstance(value.slice, ast.Slice) or self.varies(value.slice):
            raise self.scope.src.error(value, "a list of tuples is indexed by an integer here: "
                                              "slicing it is not supported")
        index = self.rename(value.slice)
        if not is_trivial(index):
            name = self.namer.temp()
            self.out.body.append(ir.Keep(ir.assign(name, index), [name]))
            index = ir.load(name)
        return [self.emit_index(None, ir.load(c), index, stmt) for c in struct.lists]

    def refuse_struct(self, node, name):
        """The error for a use of a list of tuples that is not supported."""
        return self.scope.src.error(node, f"{name!r} is a list of tuples of values being "
                                          f"differentiated: it can be iterated with a tuple target "
                                          f"(for a, b in {name}), indexed and unpacked "
                                          f"(a, b = {name}[i]), appended to and given to len(); "
                                          f"other uses are not supported yet")

    def append(self, stmt):
        """``xs.append(value)`` on a list of values being differentiated."""
        base = stmt.value.func.value
        struct = self.struct_of(base)
        if struct is not None:
            item = stmt.value.args[0] if len(stmt.value.args) == 1 else None
            if stmt.value.keywords or not isinstance(item, (ast.Tuple, ast.List)) \
                    or tuple_length([item]) != len(struct.lists):
                raise self.refuse_struct(stmt, base.id)
            parts = [self.operand(p) for p in item.elts]
            for c, part in zip(struct.lists, parts):
                self.out.body.append(ir.ListAppend(c, part, stmt))
            return
        name = self.scope.env.get(base.id) if isinstance(base, ast.Name) else None
        if name not in self.out.lists:
            raise self.scope.src.error(stmt, f"{ast.unparse(base)}.append(...) of a value being "
                                             f"differentiated needs {ast.unparse(base)} to be a "
                                             f"list made in this function ([] or [a, b])")
        if len(stmt.value.args) != 1 or stmt.value.keywords:
            raise self.scope.src.error(stmt, "append takes one argument")
        item = stmt.value.args[0]
        if name in self.out.holders and isinstance(item, ast.List):   # rows.append([a, b])
            value = ir.load(self.namer.temp())
            elements = [self.operand(e) for e in item.elts]
            inner = [self.out.holders.get(e.id, 0) for e in elements
                     if isinstance(e, ast.Name) and e.id in self.out.lists]
            if inner:
                self.out.holders[value.id] = 1 + max(inner)
            self.out.lists.add(value.id)
            self.out.varied_ssa.add(value.id)
            self.out.body.append(ir.ListNew(value.id, elements, item))
        else:
            value = self.operand(item)
        if isinstance(value, ast.Name) and value.id in self.out.lists \
                and name not in self.out.holders:
            raise self.scope.src.error(stmt, "appending a list (or tuple) of values being "
                                             "differentiated to a list that also holds other "
                                             "values is not supported (lists of lists are, and "
                                             "lists of tuples of the same length)")
        if name in self.out.holders and not (isinstance(value, ast.Name)
                                             and value.id in self.out.lists):
            raise self.scope.src.error(stmt, f"{ast.unparse(base)} is a list of lists: "
                                             f"appending something else to it is not supported")
        self.out.body.append(ir.ListAppend(name, value, stmt))

    def concatenate(self, target, value, stmt):
        """``pr = pr + [(a, b), ...]`` (or ``pr + ((a, b),)``, ``pr += ...``) on a list of
        k-tuples ``pr``: Python makes a new list (or tuple), which differs from appending to
        the old one only for another name still holding the old one; no other name can
        (``_shared_by_another``), so it is compiled as appends. Returns whether ``value``
        was of that form."""
        if not (isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add)
                and isinstance(value.left, ast.Name) and value.left.id == target
                and isinstance(value.right, (ast.List, ast.Tuple))):
            return False
        struct = self.struct_of(value.left)
        if struct is None:
            return False
        items = value.right.elts
        if items and tuple_length(items) != len(struct.lists):
            raise self.refuse_struct(stmt, target)
        if self._shared_by_another(target):
            raise self.scope.src.error(stmt, f"{target!r} is a list of tuples of values being "
                                             f"differentiated that another name may hold too: "
                                             f"{target} = {target} + ... is supported only "
                                             f"where no other name is bound to {target}")
        parts = [[self.operand(p) for p in item.elts] for item in items]
        for part in parts:
            for c, p in zip(struct.lists, part):
                self.out.body.append(ir.ListAppend(c, p, stmt))
        return True

    def _shared_by_another(self, name):
        """Whether another user name may hold the list user name ``name`` holds: one bound
        to it now, or an assignment anywhere in the function of ``name`` itself (``q =
        name``: the same list under another name) or of a display holding it."""
        handle = self.scope.env.get(name)
        if any(g == handle and n != name for n, g in self.scope.env.items()):
            return True
        for node in ast.walk(self.scope.src.node):
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.NamedExpr)):
                value = node.value
                parts = value.elts if isinstance(value, (ast.Tuple, ast.List)) else [value]
                if any(isinstance(p, ast.Name) and p.id == name for p in parts):
                    return True
        return False

    def pop(self, target, value, stmt):
        """``target = name.pop()`` on a list of values being differentiated (``target``
        None: ``name.pop()`` as a statement, the item dropped)."""
        if value.args or value.keywords:
            raise self.scope.src.error(stmt, "only pop() of the last item of a list of values "
                                             "being differentiated is supported")
        source = self.scope.env[value.func.value.id]
        name = self.define(target) if target is not None else self.namer.temp()
        self.out.varied_ssa.add(name)
        self.out.body.append(ir.ListGet(name, source, ast.Constant(-1), stmt, pop=True))

    def set_list_item(self, name, index, value, stmt):
        """``name[index] = value`` on the list of values being differentiated ``name`` (a
        generated name): the item replaced is read first (its shape makes its adjoint). For
        ``name[index] op= v`` (``stmt``), Python changes an array item in place: the new
        item is ``old op v``, recorded as a rebinding of ``old`` (see aliasing)."""
        if isinstance(index, ast.Slice) or isinstance(index, ast.Tuple) and any(
                isinstance(p, ast.Slice) for p in index.elts):
            raise self.scope.src.error(stmt, "assigning to a slice of a list of values being "
                                             "differentiated is not supported; assign its "
                                             "items one by one")
        index = self.rename(index)
        if not is_trivial(index):
            bound = self.namer.temp()
            self.out.body.append(ir.Keep(ir.assign(bound, index), [bound]))
            index = ir.load(bound)
        old = self.namer.temp()
        self.out.varied_ssa.add(old)
        self.out.body.append(ir.ListGet(old, name, index, stmt))
        if isinstance(stmt, ast.AugAssign):
            # (``value`` is ``name[index] op v`` desugared, its structures' items resolved)
            right = value.right if isinstance(value, ast.BinOp) else stmt.value
            new = ast.copy_location(ast.BinOp(left=Ready(ir.load(old)), op=stmt.op,
                                              right=right), stmt)
            value = ir.load(self.emit_value(None, new, node=stmt))
            self.out.rebindings.append(ir.Rebinding(self.out.body[-1], (self.scope.src, stmt)))
        self.out.body.append(ir.ListSet(name, index, self.operand(value), old, stmt))

    def add_to_item(self, target, value, stmt):
        """``xs[i] = xs[i] + v`` as ``ir.ListAdd``, in generated code only: it is how gradient
        code adds the adjoint of an item read into the list's adjoint list, and there ``v``
        has the item's shape (in user code ``v`` could broadcast the item to a new shape,
        which ListAdd does not model). Returns whether ``stmt`` was of that form."""
        base, index = target.value, target.slice
        if not (self.scope.src.generated and isinstance(base, ast.Name)
                and self.scope.env.get(base.id) in self.out.lists
                and isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add)
                and isinstance(value.left, ast.Subscript)
                and isinstance(value.left.value, ast.Name) and value.left.value.id == base.id
                and ast.dump(value.left.slice) == ast.dump(index)
                and not isinstance(index, ast.Slice) and not has_call(index)
                and not self.varies(index)):
            return False
        index = self.rename(index)
        if not is_trivial(index):
            name = self.namer.temp()
            self.out.body.append(ir.Keep(ir.assign(name, index), [name]))
            index = ir.load(name)
        self.out.body.append(ir.ListAdd(self.scope.env[base.id], index,
                                        self.operand(value.right), stmt))
        return True

    def _sliced(self, target, name, index, node):
        """``target = name[a:b:c]`` on a list of values being differentiated: a new list of
        its items (the same values), made by a loop over the positions sliced (its reverse
        gives each item's adjoint back to the list's), as Python's slice makes it."""
        if any(p is not None and self.is_varied_operand(p)
               for p in (index.lower, index.upper, index.step)):
            raise self.scope.src.error(node, "slicing a list by bounds that depend on the "
                                             "differentiated input is not supported")
        target = self.named(target)
        item, k, positions = self.namer.temp(), self.namer.fresh("k"), self.namer.temp()
        for made in (target, item):
            self.out.varied_ssa.add(made)
        self.out.lists.add(target)
        if name in self.out.holders:   # (a slice of a list of lists holds lists)
            self.out.holders[target] = self.out.holders[name]
            self.out.lists.add(item)
            if self.out.holders[name] > 1:
                self.out.holders[item] = self.out.holders[name] - 1
        self.out.body.append(ir.ListNew(target, [], node))
        whole = ast.Call(func=ir.load("range"), args=[ast.Call(
            func=ir.load("len"), args=[ir.load(name)], keywords=[])], keywords=[])
        self.out.body.append(ir.Keep(ir.assign(positions, ast.Subscript(
            value=whole, slice=index, ctx=ast.Load())), [positions]))
        self.out.body.append(ir.Loop("for", [ir.ListGet(item, name, ir.load(k), node),
                                             ir.ListAppend(target, ir.load(item), node)],
                                     node, index=k, iterable=ir.load(positions)))
        return ir.load(target)

    def emit_index(self, target, base, index, node):
        """``target = base[index]`` for operand ``base`` (a list, an array or an inactive value)."""
        if isinstance(base, ast.Name) and base.id in self.out.lists:
            if isinstance(index, ast.Slice):
                return self._sliced(target, base.id, index, node)
            target = self.named(target)
            self.out.varied_ssa.add(target)
            if base.id in self.out.holders:   # an item of a list of lists: a list
                self.out.lists.add(target)
                if self.out.holders[base.id] > 1:
                    self.out.holders[target] = self.out.holders[base.id] - 1
            self.out.body.append(ir.ListGet(target, base.id, index, node))
            return ir.load(target)
        expr = ast.Subscript(value=base, slice=index, ctx=ast.Load())
        if self.is_varied_operand(base):
            getitem = self.registry.rule_for(operator.getitem)
            return ir.load(self.emit(target, expr, node, getitem,
                                     [base, index_expression(index)], {}))
        target = self.named(target)
        self.out.body.append(ir.Keep(ir.assign(target, expr), [target], pure=True))
        return ir.load(target)
