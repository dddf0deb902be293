"""Structures the function changes: its own dicts and lists assigned into by constant keys,
and structures a loop carries from one iteration to the next.

A dict or list display the function makes (or a helper made and returned) is *its own*
(``scope.own_trees``): ``d[key] = v``, ``d[key] op= v`` and ``d[k][j] = v`` give every
name holding it, directly or inside another structure, the structure with ``v`` there,
as Python's shared object would show; so does ``obj.name = v`` on an object the function
copied (``copy.copy(body)``) whose class only stores the value. A structure the function
was given is the caller's: assigning into it is refused. A name bound to a structure before a loop,
given a new one in the loop and read in the next iteration or after the loop, is
carried: each leaf becomes a loop variable of its own (``state_h``), kept in step with
the structure at each exit of an iteration. Part of ``normalize.Normalizer`` (with
trees.py).
"""

import ast
import inspect
import re
from dataclasses import dataclass

from .. import ir
from ..errors import TransformError
from ..ir.trees import Leaf, Node, access, unpack
from .item_desugar import ITEM, WITH_ITEM
from .syntax import LEAF, index_expression, is_trivial, is_update
from .comprehensions import FROM_DICT_COMPREHENSION
from .control import append_where_falling_through
from .trees import NOT_STATIC


@dataclass
class CarriedTree:
    """A structure a loop carries from one iteration to the next (``state = {"h": ...}``
    in the body, read at the start of the next): its leaves are loop variables of their
    own, ``variables`` (names no user can write), of the structure ``node`` names."""

    name: str
    node: Node
    variables: list
    loop: ast.stmt


class Changes:
    """Part of ``normalize.Normalizer``: structures the function changes."""

    def _own(self, node):
        """Record ``node`` as made by this function (its dicts and lists may be assigned
        into: see ``assign_into_structure``)."""
        self.scope.own_trees[id(node)] = node
        return node

    def assign_into_structure(self, args, user):
        """``d[key] = v`` (``args``: d, key and v of its desugared ``$with_item``) on a dict
        or list this function made (not one it was given: Python would change the caller's)
        with a constant key: every name the structure is bound to, directly or as a part of
        another, is bound to the structure with ``v`` at ``key``. Anything else is an
        error."""
        base, index, value = args
        old = self.tree_of(base)
        name = ast.unparse(base)
        self.require_own(old, base, user)
        if old.kind not in ("dict", "list"):
            raise self.scope.src.error(user, f"{name} is {old.describe()}: it cannot be "
                                             f"assigned into")
        key = self.static_value(index)
        if key is NOT_STATIC or isinstance(key, slice):
            if getattr(user, FROM_DICT_COMPREHENSION, False):
                raise self.scope.src.error(user, f"a dict comprehension of values being "
                                                 f"differentiated needs keys known when the "
                                                 f"function is transformed (over a range, or "
                                                 f"a dict's items), not {ast.unparse(index)!r}")
            raise self.scope.src.error(user, f"{name} is {old.describe()} holding values "
                                             f"being differentiated: assign into it with a "
                                             f"constant key or index, known when the function "
                                             f"is transformed")
        if old.kind == "list" and not (isinstance(key, int)
                                       and -len(old.keys) <= key < len(old.keys)):
            raise self.scope.src.error(user, f"{name} has {len(old.keys)} items: there is no "
                                             f"item {key!r} to assign")
        if old.kind == "list":
            key = old.keys[key]
        part = self._updated_item(old, key, user) if isinstance(user, ast.AugAssign) \
            else self.part_of(value)
        self._with_part(old, key, part, user)

    def require_own(self, old, base, user):
        """Refuse at ``user`` (the user's statement) assigning into the structure ``old``
        that ``base`` names unless this function made it: Python would change the
        caller's."""
        if isinstance(old, Node) and self.scope.own_trees.get(id(old)) is old:
            return
        name = ast.unparse(base)
        copied = f"{name} = {old.kind}({name})" if isinstance(old, Node) and old.kind in (
            "dict", "list") and isinstance(base, ast.Name) else "a copy of it"
        raise self.scope.src.error(user, f"assigning into {name} changes a structure "
                                         f"this function was given (the caller's, or one "
                                         f"its items belong to): assign into a copy "
                                         f"({copied}, before) or build a new one instead")

    def assign_attribute(self, stmt):
        """``obj.name = v`` or ``obj.name op= v`` (``stmt``) on a dataclass or object this
        function made (a copy: ``copy.copy(state)``) whose class sets the attribute plainly
        (no property, ``__slots__``, ``__setattr__``, frozen dataclass): every name bound
        to it is bound to the object with ``v`` there, as for an item (see
        ``assign_into_structure``). False for any other statement."""
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(
            stmt.targets) == 1 else stmt.target if isinstance(stmt, ast.AugAssign) else None
        if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                and self.names_structure(target.value)):
            return False
        old = self.tree_of(target.value)
        if self.scope.own_trees.get(id(old)) is not old:
            return False   # (the caller's: refused where the target is resolved)
        if old.kind not in ("dataclass", "object") or old.child(target.attr) is None \
                or not _set_plainly(old.type, target.attr):
            raise self.scope.src.error(stmt, f"{target.value.id} is {old.describe()}: "
                                             f"assigning to its attribute {target.attr!r} is "
                                             f"not supported; make a new one instead")
        part = self._updated_item(old, target.attr, stmt) if isinstance(
            stmt, ast.AugAssign) else self.part_of(stmt.value)
        self._with_part(old, target.attr, part, stmt)
        return True

    def _with_part(self, old, key, part, user):
        """Bind every name bound to the structure ``old`` (of this function's), directly or
        as a part of another, to a new one with ``part`` at ``key``. A ``part`` holding
        ``old`` itself is refused at ``user`` (the user's statement): Python's structure
        would hold itself, and see its later changes there, which a new structure holding
        the old one would not."""
        if isinstance(part, Node) and any(n is old for n in part.nodes()):
            raise self.scope.src.error(user, f"this makes {old.describe()} hold itself: a "
                                             f"structure of values being differentiated "
                                             f"cannot hold itself; hold a copy of it")
        keys, children = list(old.keys), list(old.children)
        at = next((i for i, k in enumerate(keys) if k == key and type(k) is type(key)), None)
        if at is not None:
            children[at] = part
        else:
            keys.append(key)
            children.append(part)
        new = self._own(Node(old.kind, old.type, tuple(keys), tuple(children)))
        for bound, tree in list(self.scope.trees.items()):
            self.scope.trees[bound] = self._replaced(tree, old, new)

    def written_leaf(self, container):
        """(the structure, the key) whose array ``container`` (``new["W"]`` of the user's
        ``new["W"][0] = v``) names, read with a constant key from a structure this function
        made (``_own``: a display, a copy, ``copy.deepcopy``), else None (never an error)."""
        if not isinstance(container, (ast.Subscript, ast.Attribute)):
            return None
        try:
            leaf, owner = self.tree_of(container), self.tree_of(container.value)
        except TransformError:
            return None
        if not (isinstance(leaf, Leaf) and leaf.function is None and leaf.name is not None
                and isinstance(owner, Node) and self.scope.own_trees.get(id(owner)) is owner):
            return None
        at = [i for i, c in enumerate(owner.children) if c is leaf]
        return (owner, owner.keys[at[0]]) if len(at) == 1 else None

    def write_into_leaf(self, stmt, into, place):
        """The user's ``d[k][index] = v`` or ``d[k][index] op= v`` (``stmt``; ``into``: its
        ``item_assigned``), ``d[k]`` an array in a structure this function made (``place``:
        ``written_leaf``): Python changes that array in place. As ``a = d[k]; a[index] = v``
        (the array itself given a new version, checked as any change in place is: the old
        array read afterwards, under any name, is refused: analysis/rebindings.py), then
        the structure holding the new version at ``k``, under every name bound to it (or
        to a structure holding it)."""
        (owner, key), (container, index, value) = place, into
        self.out.written_leaves.add(owner.child(key).name)
        number = self.namer.fresh("written")   # (names no user can write: $written_2)
        name, spelled = f"{LEAF}{number}", ast.unparse(container)
        self.scope.defined.add(name)
        self.scope.named_as[name] = re.sub(r"\W+", "_", spelled).strip("_") or "item"
        self.scope.spelled[name] = spelled
        self.out.spellings[(self.scope.number, name)] = spelled   # (for messages)
        leaf = owner.child(key)   # (the array itself, under a name of its own: no copy)
        self.scope.env[name] = leaf.name
        if leaf.name in self.out.varied_ssa:
            self.scope.varied.add(name)
        if isinstance(stmt, ast.AugAssign) and not is_trivial(index):
            taken = f"{LEAF}{number}_index"   # (computed once, as Python does)
            self.scope.defined.add(taken)
            self.scope.named_as[taken] = "index"
            self.statement(ast.copy_location(ast.Assign(
                targets=[ast.Name(id=taken, ctx=ast.Store())], value=index_expression(index)),
                stmt))
            index = ast.Name(id=taken, ctx=ast.Load())
        if isinstance(stmt, ast.AugAssign):
            value = ast.copy_location(ast.BinOp(left=ast.Subscript(
                value=ast.Name(id=name, ctx=ast.Load()), slice=index, ctx=ast.Load()),
                op=stmt.op, right=stmt.value), stmt)
        write = ast.copy_location(ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())],
                                             value=ast.copy_location(ast.Call(
                                                 func=ast.Name(id=WITH_ITEM, ctx=ast.Load()),
                                                 args=[ast.Name(id=name, ctx=ast.Load()),
                                                       index, value], keywords=[]), stmt)),
                                  stmt)
        setattr(write, ITEM, stmt)
        setattr(stmt, ir.WRITTEN_ARRAY, spelled)
        self.statement(write)
        # (the new version is a later version of the array's variable, as after x[i] = v:
        # a join of the paths where it is and is not changed is that variable again)
        if leaf.name not in self.out.origin:   # (spelled as the user first read it)
            self.out.origin[leaf.name] = (self.scope.number, leaf.name)
            self.out.spellings[(self.scope.number, leaf.name)] = self.out.spellings.get(
                (None, leaf.name), spelled)
        origin = self.out.origin[leaf.name]
        changed = self.part_of(ast.Name(id=name, ctx=ast.Load()))
        self.out.origin[self.scope.env[name]] = self.out.origin[changed.name] = origin
        children = list(owner.children)
        children[owner.keys.index(key)] = changed
        new = self._own(Node(owner.kind, owner.type, owner.keys, tuple(children)))
        for bound, tree in list(self.scope.trees.items()):
            self.scope.trees[bound] = self._replaced(tree, owner, new)

    def _updated_item(self, node, key, stmt):
        """The new item for ``d[key] op= v`` (``stmt``): Python changes an array item in
        place, so the new value ``item op v`` is recorded as a rebinding of the item (see
        analysis/rebindings.py: exact unless another name for that array is read afterwards)."""
        item = node.child(key)
        if not isinstance(item, Leaf):
            raise self.scope.src.error(stmt, f"{ast.unparse(stmt.target)} is "
                                             f"{'no item' if item is None else item.describe()}"
                                             f": {type(stmt.op).__name__} of it is not "
                                             f"supported")
        reference = self.leaf_reference(ast.Name(id=LEAF + item.name, ctx=ast.Load()))
        part = self.part_of(ast.copy_location(
            ast.BinOp(left=reference, op=stmt.op, right=stmt.value), stmt))
        self.out.rebindings.append(ir.Rebinding(self.out.body[-1], (self.scope.src, stmt)))
        return part

    def _replaced(self, tree, old, new):
        """``tree`` with the structure ``old`` (the same object) replaced by ``new``
        wherever it occurs."""
        if tree is old:
            return new
        if not isinstance(tree, Node):
            return tree
        children = tuple(self._replaced(c, old, new) for c in tree.children)
        if all(a is b for a, b in zip(children, tree.children)):
            return tree
        rebuilt = Node(tree.kind, tree.type, tree.keys, children)
        return self._own(rebuilt) if self.scope.own_trees.get(id(tree)) is tree else rebuilt

    def carry_structures(self, loop, header):
        """The structures ``loop`` carries: names bound to a structure before it, assigned
        in it and read at the start of an iteration or after it. Each leaf gets a variable
        of its own, a copy of the leaf made now, that the loop carries like any other."""
        assigned = {n.id for s in loop.body for n in ir.scope_stores(s)} | _assigned_into(loop.body)
        carried = []
        for name in sorted(assigned & set(self.scope.trees)):
            if header.live is not None and name not in header.live:
                continue
            node, variables = self.scope.trees[name], []

            def relabelled(part, label, read=ast.Name(id=name, ctx=ast.Load())):
                if isinstance(part, Leaf):
                    variable = f"{name}${id(loop)}${len(variables)}"
                    fresh = self.namer.fresh(re.sub(r"\W", "_", label))
                    self.out.body.append(self.copy_statement(fresh, part.name, loop))
                    self.scope.env[variable] = fresh
                    self.scope.defined.add(variable)
                    self.out.origin[fresh] = (self.scope.number, label)
                    # (for messages: the item as the user reads it, grid[0][1])
                    self.out.spellings[(self.scope.number, label)] = ast.unparse(read)
                    # (varied as the user name is, unless a number constant so far: the
                    # body may give the leaf a value being differentiated)
                    if part.name in self.out.varied_ssa or name in self.scope.varied \
                            and not self._holds_int(part.name):
                        self.scope.varied.add(variable)
                    variables.append(variable)
                    return Leaf(variable in self.scope.varied, fresh)
                new = Node(part.kind, part.type, part.keys, tuple(
                    relabelled(c, f"{label}_{k}", access(part, read, k))
                    for k, c in zip(part.keys, part.children)))
                # (one this function made stays changeable: see assign_into_structure)
                return self._own(new) if self.scope.own_trees.get(id(part)) is part else new

            node = relabelled(node, name)
            self.scope.trees[name] = node
            carried.append(CarriedTree(name, node, variables, loop))
        return carried

    def join_structures(self, stmt, states=(), blocks=(), envs=()):
        """After an if: a name bound, at the ends of the paths that fall through (``states``:
        their structures, ``blocks``: their statements, ``envs``: their variables), to
        structures of one layout but different leaves (or unbound on some), and read later,
        is bound to one structure whose differing leaves are variables of their own, each
        path giving them its leaves at its end (None where unbound, as for a variable). (A
        structure another name holds too is left as it is: merge_structures refuses it
        where it is read later, as a change through one name must show in the other.)"""
        live = getattr(stmt, "live_out", None)
        if len(states) < 2:
            return
        for name in sorted(set().union(*(s[0] for s in states))):
            nodes = [s[0].get(name) for s in states]
            bound = [n for n in nodes if n is not None]
            if not all(isinstance(n, Node) and _same_layout(n, bound[0]) for n in bound) \
                    or any(n is None and name in e for n, e in zip(nodes, envs)) \
                    or all(n is nodes[0] for n in nodes) \
                    or live is not None and name not in live \
                    or any(n is not None and _held_elsewhere(s[0], name, n)
                           for s, n in zip(states, nodes)):
                continue
            if len(bound) < len(nodes):   # (a flat one: unbound, each item is None)
                if not all(isinstance(c, Leaf) for c in bound[0].children):
                    continue
                unbound = self._own(Node(bound[0].kind, bound[0].type, bound[0].keys, tuple(
                    Leaf(False, None) for _ in bound[0].children)))
                nodes = [unbound if n is None else n for n in nodes]
            merged, reads = [], [ast.unparse(e) for _, e in unpack(name, nodes[0])]
            for k, versions in enumerate(zip(*(n.leaves() for n in nodes))):
                names = [leaf.name for leaf in versions]
                if all(x == names[0] for x in names):
                    merged.append(versions[0])
                    continue
                fresh = self.namer.fresh(f"{name}_{k}")
                for block, x in zip(blocks, names):
                    append_where_falling_through(block, [
                        ir.Keep(ir.assign(fresh, ast.Constant(None)), [fresh]) if x is None
                        else self.copy_statement(fresh, x, stmt)])
                if None in names:
                    self.out.maybe_undefined.add(fresh)
                if any(x in self.out.varied_ssa for x in names):
                    self.out.varied_ssa.add(fresh)
                origins = {self.out.origin.get(x) for x in names}
                # (versions of one variable, an array changed on some paths: a version of it)
                self.out.origin[fresh] = origins.pop() if len(origins) == 1 and None not in \
                    origins else (self.scope.number, f"{name}[{k}]")
                self.out.spellings[(self.scope.number, f"{name}[{k}]")] = reads[k]
                merged.append(Leaf(fresh in self.out.varied_ssa, fresh))
            node = self._relabelled_as(nodes, iter(merged))
            for s in states:
                s[0][name] = node

    def _relabelled_as(self, nodes, leaves):
        """A structure of the layout of ``nodes`` (alike) with the leaves ``leaves`` (an
        iterator, depth first), changeable (see assign_into_structure) where all of them
        are."""
        first = nodes[0]
        if isinstance(first, Leaf):
            return next(leaves)
        children = tuple(self._relabelled_as([n.children[i] for n in nodes], leaves)
                         for i in range(len(first.children)))
        new = Node(first.kind, first.type, first.keys, children)
        return self._own(new) if all(self.scope.own_trees.get(id(n)) is n for n in nodes) \
            else new

    def _holds_int(self, name):
        """Whether generated name ``name`` was last given an int (or bool) constant."""
        for s in reversed(self.out.body):
            if isinstance(s, ir.Keep) and name in s.defines:
                value = getattr(s.stmt, "value", None)
                return isinstance(value, ast.Constant) and isinstance(value.value, int)
        return False

    def sync_carried_structures(self, carried):
        """At an exit of an iteration of a loop carrying the structures ``carried``: their
        leaf variables take the leaves the structures have now (the same shape, or an
        error)."""
        for c in carried:
            now = self.scope.trees.get(c.name)
            if not (isinstance(now, Node) and _same_layout(now, c.node)):
                raise self.scope.src.error(
                    c.loop, f"{c.name!r} names a structure of values being "
                                         f"differentiated that a loop carries, and an "
                                         f"iteration ends with {c.name!r} naming something "
                                         f"else (another shape or kind); keep its keys and "
                                         f"kinds the same from one iteration to the next")
            for variable, leaf in zip(c.variables, now.leaves()):
                if leaf.name in self.out.varied_ssa and variable not in self.scope.varied:
                    raise self.scope.src.error(
                        c.loop, f"an item of {c.name!r}, which a loop carries, "
                                             f"holds a constant before the loop and a value "
                                             f"being differentiated after an iteration; give "
                                             f"it a value being differentiated before the "
                                             f"loop (e.g. 0.0 * x)")
                self.scope.env[variable] = leaf.name


def _assigned_into(body):
    """The names whose items ``body`` assigns (``grid[0][1] = v``, ``d["a"] += v``,
    ``d.update(a=v)``): what ``ir.assigns`` leaves out, the ``grid`` of ``grid[0][1] = v``
    being read, not bound; and those a call statement passes whole (``scale_(d, s)``,
    ``layer.decay(s)``), which the function called may change (structure_sharing.py)."""
    found = set()
    for node in (n for s in body for n in ast.walk(s)):
        if is_update(node):
            found.add(node.value.func.value.id)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            call = node.value
            receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
            found.update(a.id for a in [receiver, *call.args, *(k.value for k in call.keywords)]
                         if isinstance(a, ast.Name))
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AugAssign) else []
        for t in targets:
            if not isinstance(t, (ast.Subscript, ast.Attribute)):
                continue
            while isinstance(t, (ast.Subscript, ast.Attribute)):
                t = t.value
            if isinstance(t, ast.Name):
                found.add(t.id)
    return found


def _held_elsewhere(trees, name, node):
    """Whether a structure of ``node`` (or a part of it) is also held by a name other than
    ``name`` in ``trees``, or ``node`` holds a structure of its own another name holds."""
    def parts(tree):
        if isinstance(tree, Node):
            yield tree
            for c in tree.children:
                yield from parts(c)
    mine = {id(p) for p in parts(node)}
    return any(id(p) in mine for other, tree in trees.items() if other != name
               for p in parts(tree))


def _same_layout(a, b):
    """Whether structures ``a`` and ``b`` have the same kinds, types and keys throughout
    (their layout; the leaves may differ)."""
    if isinstance(a, Leaf) or isinstance(b, Leaf):
        return isinstance(a, Leaf) and isinstance(b, Leaf)
    return (a.kind, a.type, a.keys) == (b.kind, b.type, b.keys) and all(
        _same_layout(x, y) for x, y in zip(a.children, b.children))


def _set_plainly(cls, attribute):
    """Whether assigning ``attribute`` on an object of class ``cls`` only stores the value:
    no property or other descriptor of that name, no ``__setattr__`` of its own, not a
    frozen dataclass."""
    params = getattr(cls, "__dataclass_params__", None)
    return isinstance(cls, type) and cls.__setattr__ is object.__setattr__ \
        and not (params is not None and params.frozen) \
        and not hasattr(type(inspect.getattr_static(cls, attribute, None)), "__set__")
