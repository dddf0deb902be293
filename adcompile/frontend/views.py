"""In-place updates seen through the other names of an array: ``u = v.T; w = u; w -= e``.

Python changes the array ``w`` names in place, and with it ``u`` and ``v``, which are
the same memory. adcompile computes ``w op= e`` (and ``w[i] = e``) as a new value (see
aliasing), so where another name of the array is read afterwards it would see the old
values. Where the relation between the names is certain, each such name is given its
new value right after the update: the base of the views gets the view's new value put
back in its place (``v_2 = w_2.T``; ``v_2 = with_item(v, index, w_2)`` for ``w =
v[1:]``), and every other view is taken again from the new base (``u_2 = v_2.T``).

The relations are recorded as the primitives are emitted: ``target`` is the same array
as, or a basic view of, ``parent`` (a copy ``w = u``, ``u.T``, ``np.transpose(u)``,
``np.asarray(u)``, ``u[1:]``, ``u[0, ::2]`` with constant indices). They are facts
about values that hold as long as neither name is assigned again: a name that a join
after an ``if`` or a loop assigns in several places forgets its relations
(``forget_views``). Whether each relation is a view and not a copy (arrays, not
numbers) depends on the arguments' types: the new values are recorded on the update's
``ir.Rebinding`` (``refresh``), and ``aliasing.check_rebindings`` keeps them where the
types show that every name involved is an array of one or more dimensions; elsewhere
each variable gets its old value again, and the old rules apply (refused where another
name of an array is read afterwards). Part of ``normalize.Normalizer``.
"""

import ast
import copy
import operator

import numpy as np

from .. import ir, runtime
from .dependence import updated_in_place
from .syntax import index_expression


class Views:
    """Part of ``normalize.Normalizer``: names of the same array, renewed after an update."""

    @property
    def views(self):
        """Generated name -> (the name it is a view of, the Op that made it so)."""
        found = vars(self).get("_views")
        if found is None:
            found = self._views = {}
        return found

    def record_view(self, op):
        """Remember that ``op``, just emitted, makes a view of (or the same array as) a name."""
        parent = _viewed(op, self.callee)
        if parent is not None and not {parent, op.target} & self.out.lists:
            self.views[op.target] = (parent, op)

    def record_kept_views(self, stmts, node):
        """Remember the views among ``stmts``, statements just made for the user's ``node``,
        that are kept as written (nothing in them is differentiated): ``z = g``, ``t =
        g[1:]``, ``u = g.T``, ``np.asarray(g)``, ``np.transpose(g)``, as the Op that would
        make them from a value being differentiated."""
        for s in stmts:
            if not (isinstance(s, ir.Keep) and len(s.defines) == 1
                    and isinstance(s.stmt, ast.Assign) and len(s.stmt.targets) == 1
                    and isinstance(s.stmt.targets[0], ast.Name)):
                continue
            target, value = s.defines[0], s.stmt.value
            op = self._as_op(target, copy.deepcopy(value), node)
            if op is not None:
                self.record_view(op)

    def _as_op(self, target, value, node):
        """``target = value`` as the Op of a view (or the same array), or None."""
        if isinstance(value, ast.Name):
            return ir.Op(target, value, self.registry.special["copy"], [value], {}, node)
        if isinstance(value, ast.Attribute) and value.attr == "T" \
                and isinstance(value.value, ast.Name):
            return ir.Op(target, value, self.registry.rule_for(np.transpose), [value.value],
                         {"axes": ast.Constant(None)}, node)
        if isinstance(value, ast.Call) and len(value.args) == 1 and not value.keywords \
                and isinstance(value.args[0], ast.Name):
            called = self.callee(value.func)
            rule = self.registry.rule_for(np.transpose) if called.is_(np.transpose) else \
                self.registry.rule_for(np.asarray) if called.is_(np.asarray) else None
            statics = {"axes": ast.Constant(None)} if called.is_(np.transpose) else {}
            return None if rule is None else ir.Op(target, value, rule, [value.args[0]],
                                                  statics, node)
        shape = _reshaped(value, self.callee)
        if shape is not None and _one_length(shape[1]):
            return ir.Op(target, value, self.registry.rule_for(np.reshape), [shape[0]],
                         {"shape": shape[1]}, node)
        if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name) \
                and _basic(value.slice):
            return ir.Op(target, value, self.registry.rule_for(operator.getitem),
                         [value.value, index_expression(value.slice)], {}, node)
        return None

    def views_on_paths(self, envs):
        """The relations between user variables that hold at the end of every path of an
        ``if`` that falls through (``envs``: their variables): (a, b, how) where a's value
        is the view ``how`` of b's on each."""
        found = None
        for env in envs:
            owner = {n: v for v, n in env.items()}
            here = {}
            for a, name in env.items():
                parent, how = self.views.get(name, (None, None))
                if parent in owner:
                    here[a] = (owner[parent], how)
            found = here if found is None else {
                a: r for a, r in found.items() if a in here and here[a][0] == r[0]
                and _same_view(here[a][1], r[1], self.callee)}
        return [(a, b, how) for a, (b, how) in (found or {}).items()]

    def join_views(self, related):
        """After an ``if``: the relations ``views_on_paths`` found, between the variables'
        names after it."""
        env = self.scope.env
        for a, b, how in related:
            if a in env and b in env:
                self.views[env[a]] = (env[b], how)

    def enter_loop_views(self, carried, assigned, updated, rebound):
        """At the start of a loop's body (``carried``: user name -> loop name): the relations
        of the loop's names hold at the start of each iteration if they hold at each exit
        of an iteration (``check_loop_views``); they are kept, to be checked. Those of the
        names of variables the body assigns (``assigned``: user name -> name) but that are
        not carried (read neither in the next iteration nor after the loop) are forgotten:
        after an iteration the name no longer holds the variable's value (a name that is
        the same array as one of them is first related to what that one is a view of).
        ``updated``: the user names the body updates in place (a relation no update in the
        body relies on, which an exit breaks, is only forgotten); ``rebound``: those it
        gives other values (a relation of one of them is forgotten at once: the body is
        not to rely on it, the aliasing analysis sees what the name may share)."""
        self._skip_over(set(assigned.values()))
        self.forget_views({n for v, n in assigned.items() if v not in carried})
        loop_names = set(carried.values())
        frame = _LoopViews([(m, p, how) for m, (p, how) in self.views.items()
                            if m in loop_names or p in loop_names],
                           start=len(self.out.rebindings))
        frame.owner = {n: v for v, n in self.scope.env.items()}
        for m, p, how in list(frame.kept):
            if {frame.owner.get(m), frame.owner.get(p)} & rebound:
                frame.kept.remove((m, p, how))
                del self.views[m]
            elif not frame.owner.get(m, "").isidentifier():
                # (a value no variable names, or only an item of a list does (``ls[1]``): no
                # update renews it, the aliasing analysis sees what it may share)
                frame.kept.remove((m, p, how))
        groups = self.scope.view_groups
        frame.untouched = {(m, p) for m, p, _ in frame.kept if not any(
            groups.get(frame.owner.get(n), {frame.owner.get(n)}) & updated for n in (m, p))}
        stack = vars(self).setdefault("_loop_views", [])
        stack.append(frame)
        return frame

    def walked_array(self, name, node):
        """A variable of the normalizer's own for the array generated name ``name`` holds,
        which a for loop walks and its body may change in place: the same array as the
        user's variable, renewed by the updates as they are and carried by the loop, so
        that each step reads the item the array holds then, as Python's iterator does.
        Returns its name (also the loop's name for it)."""
        # (not a temporary: the loop carries it, and passes after take a temporary for a
        # name assigned once)
        walked = self.namer.fresh(f"{node.id}_walked")
        copy_of = self.copy_statement(walked, name, node)
        self.out.body.append(copy_of)
        if isinstance(copy_of, ir.Op):
            self.record_view(copy_of)
        else:
            self.record_kept_views([copy_of], node)
        self.scope.env[walked] = walked
        self.scope.walked.add(walked)
        self.scope.defined.add(walked)
        self.out.origin[walked] = (self.scope.number, walked)
        if node.id in self.scope.varied or name in self.out.varied_ssa:
            self.scope.varied.add(walked)
        return walked

    def renewed_in_loop(self, body, header, assigned):
        """The user variables a loop (``body``, its ``Header``; ``assigned``: the user names
        the body assigns) is to carry because an update in place in the body gives them new
        values: the other names of the array (those read in the next iteration or after
        the loop: the others keep their names, not to be taken for new variables after it;
        and, in a group with a name so read, an array the body does not assign that a view
        is taken from by an index: putting the view back into it reads its value, in the
        next iteration too), and the variables naming the arrays it walks."""
        live, before = header.live, self.scope.env
        indexed = {p for p, how in self.views.values() if _kind(how, self.callee) == "item"}
        renewed = {m for n in updated_in_place(body)
                   for group in [self.scope.view_groups.get(n, set())]
                   if live is None or group & live for m in group
                   if m in before and (live is None or m in live
                                       or m not in assigned and before[m] in indexed)}
        return renewed | {seq.id for _, seq in header.sequences or ()
                          if isinstance(seq, ast.Name) and seq.id in self.scope.walked}

    def _skip_over(self, names):
        """Where a name is the same array as one of ``names`` (``w = u``), relate it to what
        that one is a view of (``u = v.T``: w is v.T too)."""
        for _ in range(32):
            skipped = {m: self.views[p] for m, (p, how) in self.views.items()
                       if p in names and p in self.views and self.views[p][0] != m
                       and _kind(how, self.callee) == "same"}
            if not skipped:
                return
            self.views.update(skipped)

    def check_loop_views(self, carried):
        """At an exit of an iteration of the innermost loop: whether the values its names
        take keep the relations they had at the start (else ``broken``)."""
        frame = self._loop_views[-1]
        loop_names = set(carried.values())

        def now(name):
            v = frame.owner.get(name)
            return self.scope.env.get(v) if v is not None else name

        for m, p, how in frame.kept:
            m_now, p_now = now(m), now(p)
            if (m_now, p_now) == (m, p):
                continue
            related = self.views.get(m_now)
            if related is None or related[0] != p_now \
                    or not _same_view(related[1], how, self.callee) \
                    or p_now != p and p not in loop_names and _kind(how, self.callee) == "item":
                # (the last: the next iteration starts with p's old value, which only a view
                # that is the whole array (w = u, u.T) need not read to be put back into)
                if (m, p) in frame.untouched:
                    frame.dropped.add((m, p))   # no update in the body relies on it
                else:
                    frame.broken = True

    def leave_loop_views(self, frame, carried):
        """After a loop's body: where an iteration may end with other relations between the
        loop's names than it started with, the updates in the body that relied on them give
        the other names their old values back (see aliasing); the relations hold after the
        loop only where every iteration keeps them. The updates in a loop with such
        relations are kept or undone together, as each relies on the others."""
        self._loop_views.pop()
        group = id(frame)
        for r in self.out.rebindings[frame.start:]:
            if frame.kept:
                r.together = r.together + (group,)
            if frame.broken:
                r.undone = True
        self.forget_views(carried.values())
        if not frame.broken:
            self.views.update({m: (p, how) for m, p, how in frame.kept
                               if (m, p) not in frame.dropped})

    def forget_views(self, names):
        """Forget the relations of the generated ``names`` (assigned again, or in several
        places)."""
        names = set(names)
        for member, (parent, _) in list(self.views.items()):
            if member in names or parent in names:
                del self.views[member]

    def refresh_views(self, rebinding, user, old, new, node):
        """After user variable ``user`` went from generated name ``old`` to ``new`` by an
        update Python makes in place (``rebinding``): give every other variable of this
        scope naming the same array, or a view of it, its value after the update."""
        chain = self._chain(old)
        root = chain[-1]
        members = [(v, name, self._chain(name)) for v, name in sorted(self.scope.env.items())
                   if v != user and v.isidentifier() and v not in self.scope.trees
                   and name != new
                   and name not in self.out.lists]
        members = [(v, name, path) for v, name, path in members if path[-1] == root]
        if not members:
            return
        start = len(self.out.body)
        renewed = {old: new}   # old name -> its value after the update
        for member, parent in zip(chain, chain[1:]):   # up to the base
            renewed[parent] = self._put_back(self.views[member][1], parent, renewed[member])
        for v, name, path in members:   # down to each view
            for member, parent in reversed(list(zip(path, path[1:]))):
                if member not in renewed:
                    renewed[member] = self._taken_again(self.views[member][1],
                                                        renewed[parent])
        made = self.out.body[start:]
        names = set(chain).union(*(path for _, _, path in members))
        # (a 1-d reshape is the same array only of a 1-d array)
        vectors = {self.views[m][0] for m in names
                   if m in self.views and _kind(self.views[m][1], self.callee) == "vector"}
        related = [(m, p, how) for m, (p, how) in self.views.items()
                   if m in renewed and p in renewed]
        self.forget_views({s.target for s in made})
        for v, name, path in members:
            renewed[name] = self.emit_copy(self.define(v), ir.load(renewed[name]), node)
            rebinding.refresh.append(ir.Refresh(self.out.body[-1], name, names, made,
                                                vectors))
        # (not to the values computed above, which no variable names: a loop could not find
        # the relation again at the end of an iteration)
        self.forget_views({renewed[name] for _, name, _ in members})
        for m, p, how in related:   # the new values are related as the old ones were
            self.views[renewed[m]] = (renewed[p], how)

    def _chain(self, name):
        """``name``, the name it is a view of, that one's, ... up to a name that is no view."""
        chain = [name]
        while chain[-1] in self.views and len(chain) < 32:
            chain.append(self.views[chain[-1]][0])
        return chain

    def _taken_again(self, how, parent):
        """The view ``how`` (the Op that made it) of the new value ``parent``."""
        return self._applied(how, parent)

    def _put_back(self, how, parent, value):
        """``parent`` with its view ``how`` (the Op that made it) replaced by ``value``."""
        kind = _kind(how, self.callee)
        if kind in ("same", "vector"):   # (a 1-d reshape of a 1-d array: the same shape)
            return self.emit_copy(None, ir.load(value), how.node)
        if kind == "transpose":   # (reversing the axes twice gives them back)
            return self._applied(how, value)
        index = copy.deepcopy(how.inputs[1])
        rule = self.registry.rule_for(runtime.with_item)
        args = [ir.load(parent), index, ir.load(value)]
        call = ast.Call(func=ir.load(self.with_item_name()), args=args, keywords=[])
        return self.emit(None, call, how.node, rule=rule, inputs=list(args), statics={})

    def _applied(self, how, operand):
        """The primitive of the Op ``how`` applied to the name ``operand`` instead."""
        # (copied together: an input stays the node the expression holds, as the forward
        # sweep's substitution needs)
        expr, inputs = _replaced((how.expr, list(how.inputs)), how.inputs[0].id, operand)
        statics = {k: copy.deepcopy(v) for k, v in how.statics.items()}
        return self.emit(None, expr, how.node, rule=how.rule, inputs=inputs, statics=statics)


def _replaced(tree, old, new):
    """A copy of ``tree`` (expressions, nodes shared between them shared in the copy)
    reading the name ``new`` where it read ``old``."""
    tree = copy.deepcopy(tree)
    for part in tree[1]:
        for node in ast.walk(part):
            if isinstance(node, ast.Name) and node.id == old:
                node.id = new
    for node in ast.walk(tree[0]):
        if isinstance(node, ast.Name) and node.id == old:
            node.id = new
    return tree


def _kind(op, callee):
    """How the Op ``op`` makes its value from its first input: "same" (the same array),
    "transpose" (its axes reversed), "item" (a basic index with constant parts), "vector"
    (a reshape to one constant length: the same array where the input has one dimension,
    which the call's types decide, see ``Refresh.vectors``), or None (anything else,
    perhaps a new array)."""
    rule = op.rule
    if not op.inputs or not isinstance(op.inputs[0], ast.Name):
        return None
    if rule.name == "copy" and isinstance(op.expr, ast.Name):   # (w = u)
        return "same"
    if rule.name == "array" and isinstance(op.expr, ast.Call) and len(op.expr.args) == 1 \
            and not op.expr.keywords and callee(op.expr.func).is_(np.asarray):
        return "same"
    if rule.name == "transpose" and isinstance(op.expr, (ast.Attribute, ast.Call)) and (
            isinstance(op.expr, ast.Attribute) and op.expr.attr == "T"
            or isinstance(op.expr, ast.Call) and len(op.expr.args) == 1
            and not op.expr.keywords and callee(op.expr.func).is_(np.transpose)):
        return "transpose"
    if rule.name == "getitem" and isinstance(op.expr, ast.Subscript) and _basic(op.expr.slice):
        return "item"
    if rule.name == "reshape" and isinstance(op.expr, ast.Call) and not op.expr.keywords \
            and _one_length(op.statics.get("shape")):
        return "vector"   # x.reshape(3): x itself where x has one dimension (else refused)
    return None


def _reshaped(value, callee):
    """(name, shape) for ``name.reshape(shape)`` or ``np.reshape(name, shape)``, else None."""
    if not isinstance(value, ast.Call) or value.keywords:
        return None
    if isinstance(value.func, ast.Attribute) and value.func.attr == "reshape" \
            and isinstance(value.func.value, ast.Name) and len(value.args) == 1:
        return value.func.value, value.args[0]
    if len(value.args) == 2 and isinstance(value.args[0], ast.Name) \
            and callee(value.func).is_(np.reshape):
        return value.args[0], value.args[1]
    return None


def _one_length(shape):
    """Whether the shape expression ``shape`` is one constant length (``3``, ``-1``,
    ``(3,)``)."""
    if isinstance(shape, ast.Tuple) and len(shape.elts) == 1:
        shape = shape.elts[0]
    if isinstance(shape, ast.UnaryOp) and isinstance(shape.op, ast.USub):
        shape = shape.operand
    return isinstance(shape, ast.Constant) and type(shape.value) is int


def _viewed(op, callee):
    """The name the Op ``op`` makes a view of (or the same array as), or None."""
    return op.inputs[0].id if _kind(op, callee) is not None else None


def _basic(index):
    """Whether ``index`` is a basic index of constant integers and slices with constant
    bounds (Python ints: a view of an array, whatever the values)."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]

    def constant(e):
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
            e = e.operand
        return isinstance(e, ast.Constant) and type(e.value) is int

    return all(constant(p) or isinstance(p, ast.Slice) and all(
        b is None or constant(b) for b in (p.lower, p.upper, p.step)) for p in parts)


class _LoopViews:
    """The relations of a loop's names at the start of its body, and whether an exit of an
    iteration may break them."""

    def __init__(self, kept, start):
        self.kept, self.start, self.broken = kept, start, False
        self.untouched, self.dropped = set(), set()   # (m, p) pairs


def _same_view(a, b, callee):
    """Whether the Ops ``a`` and ``b`` make the same view of their first inputs."""
    kind = _kind(a, callee)
    if kind != _kind(b, callee):
        return False
    if kind == "vector":
        return ast.dump(a.statics["shape"]) == ast.dump(b.statics["shape"])
    return kind != "item" or ast.dump(a.expr.slice) == ast.dump(b.expr.slice)
