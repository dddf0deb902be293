"""In-place updates seen through the other names of an array: ``u = v.T; w = u; w -= e``.

Python changes the array ``w`` names in place, and with it ``u`` and ``v``, which are
the same memory. adcompile computes ``w op= e`` (and ``w[i] = e``) as a new value (see
analysis/rebindings.py), so where another name of the array is read afterwards it would see the old
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
``ir.Rebinding`` (``refresh``), and analysis/refreshes.py keeps them where the
types show that every name involved is an array of one or more dimensions; elsewhere
each variable gets its old value again, and the old rules apply (refused where another
name of an array is read afterwards). Which primitives make views is view_ops.py;
the relations through a loop, loop_views.py. Part of ``normalize.Normalizer``.
"""

import ast
import copy

from .. import ir, runtime
from .view_ops import as_view_op, renamed_copy, same_view, view_kind, viewed


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
        parent = viewed(op, self.callee)
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
            op = as_view_op(target, ir.copy_tree(value), node, self.registry, self.callee)
            if op is not None:
                self.record_view(op)

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
                and same_view(here[a][1], r[1], self.callee)}
        return [(a, b, how) for a, (b, how) in (found or {}).items()]

    def join_views(self, related):
        """After an ``if``: the relations ``views_on_paths`` found, between the variables'
        names after it."""
        env = self.scope.env
        for a, b, how in related:
            if a in env and b in env:
                self.views[env[a]] = (env[b], how)

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
                   if m in self.views and view_kind(self.views[m][1], self.callee) == "vector"}
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
        kind = view_kind(how, self.callee)
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
        expr, inputs = renamed_copy((how.expr, list(how.inputs)), how.inputs[0].id, operand)
        statics = {k: copy.deepcopy(v) for k, v in how.statics.items()}
        return self.emit(None, expr, how.node, rule=how.rule, inputs=inputs, statics=statics)
