"""Which of the user's variables may depend on the values differentiated, before renaming.

This is the frontend's question, asked of the user's AST (one answer per user
name, for the whole function: flow-insensitive, and conservative where it
cannot see, as for a function held in a variable). It decides what the
frontend flattens into primitives and what it refuses. It is not
``analysis.activity``, which is asked later of the normalized IR, per
generated name, and also requires that the value reach the output: that IR is
what this answer is used to build. Hence the words: the frontend asks whether
an expression *varies* (and, for operands in generated names, whether it is a
*varied operand*); *active* is kept for what ``analysis.activity`` answers.
"""

import ast

import numpy as np

from .source import NOT_A_CALL
from .. import ir
from ..ir.trees import Node
from .item_desugar import ITEM, WITH_ITEM
from .syntax import Ready, is_append, is_update


def varied_user_names(fn, varied, varies, callee):
    """The user names of ``fn`` that may depend on the parameters in ``varied`` (a set,
    extended in place and returned): a fixed point over its assignments. ``varies(e,
    names)`` tells whether expression ``e`` may vary when the user names ``names`` do
    (``Dependence.varies``); ``callee`` resolves a call's function (``Functions.callee``)."""
    assigns = [n for n in ir.walk_tree(fn)
               if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For))
               or is_append(n) or is_update(n)]
    groups, updated = view_groups(fn, callee), updated_in_place(fn)
    flows = [({n.id for t in targets for n in _target_names(t)},
              lambda found, sources=sources: any(varies(e, found) for e in sources))
             for node in assigns for targets, sources in _flows(node, callee)]
    # an array changed in place by a value that varies gives every name that may be
    # the same array, or a view of it, new values: ``z = g; t = z[1:]; t += x``
    # changes z and g (see views.py)
    flows += [(groups[n], (n,)) for n in sorted(updated) if n in groups]
    return ir.closure(varied, flows)


def view_groups(fn, callee):
    """User name -> the names of ``fn`` joined to it by assignments of the forms
    ``viewed_name`` knows (each may be the same array as, or a view of, another)."""
    groups = {}

    def join(names):
        joined = set().union(*(groups.get(n, {n}) for n in names))
        for n in joined:
            groups[n] = joined

    for node in ir.walk_tree(fn):
        viewed = viewed_name(node, callee)
        if viewed is not None:
            join((viewed, node.targets[0].id))
        if isinstance(node, ast.Assign) and len(node.targets) > 1 \
                and all(isinstance(t, ast.Name) for t in node.targets):
            # a = b = np.zeros(3): one array under both names (and a view of what it views)
            first = ast.Assign(targets=node.targets[:1], value=node.value)
            join([t.id for t in node.targets] + [viewed_name(first, callee) or node.targets[0].id])
    return groups


def viewed_name(node, callee):
    """For ``name = other``, ``other.T``, ``other[index]``, ``np.asarray(other)``,
    ``np.transpose(other)`` or a reshape of ``other``: the name ``other``, else None."""
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)):
        return None
    e = node.value
    if isinstance(e, ast.Attribute) and e.attr == "T" or isinstance(e, ast.Subscript):
        e = e.value
    elif isinstance(e, ast.Call) and len(e.args) == 1 and not e.keywords \
            and any(callee(e.func).is_(f) for f in (np.asarray, np.transpose)):
        e = e.args[0]
    elif isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) \
            and e.func.attr == "reshape":   # x.reshape(3) (a view, where it is one)
        e = e.func.value
    elif isinstance(e, ast.Call) and e.args and callee(e.func).is_(np.reshape):
        e = e.args[0]
    return e.id if isinstance(e, ast.Name) else None


def _flows(node, callee):
    """(targets, sources) of an assignment, append or for loop: the targets take a
    varying value when an expression of ``sources`` varies."""
    if isinstance(node, ast.For):
        return _loop_flows(node, callee)
    if isinstance(node, ast.Expr):  # xs.append(value), d.update(...): what they are given
        call = node.value
        return [([call.func.value], list(call.args) + [k.value for k in call.keywords])]
    if node.value is None:
        return []
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if isinstance(node, ast.AugAssign):
        return [(targets, [node.value, node.target])]
    return [(targets, [node.value])]


class KeysOf:
    """What a loop walking ``mapping`` gives its target, for ``iterable`` (``params``,
    ``params.keys()``, ``sorted(params)``, or the keys of ``params.items()``): the keys,
    which never vary where ``mapping`` names a dict of the structures known that the
    function never assigns (else whatever ``iterable`` may give)."""

    def __init__(self, mapping, iterable):
        self.mapping, self.iterable = mapping, iterable


def _walk_flows(target, it, callee):
    """The flows into the ``target`` of a loop or comprehension walking ``it``, where
    ``it`` may walk a dict's keys: ``k`` of ``for k in params`` (or ``params.keys()``,
    ``sorted(...)`` of them) from ``KeysOf``, and of ``for k, v in params.items()`` (or
    ``sorted(...)`` of it) the key from ``KeysOf``, the value from ``it``; else None."""
    inner = it
    if isinstance(inner, ast.Call) and len(inner.args) == 1 and not inner.keywords \
            and callee(inner.func).is_(sorted):
        inner = inner.args[0]
    method = inner.func.attr if isinstance(inner, ast.Call) and not inner.args \
        and isinstance(inner.func, ast.Attribute) else None
    mapping = inner.func.value if method in ("keys", "items") else inner
    if not isinstance(mapping, ast.Name):
        return None
    if method == "items" and isinstance(target, ast.Tuple) and len(target.elts) == 2:
        return [([target.elts[0]], [KeysOf(mapping, it)]), ([target.elts[1]], [it])]
    if method in ("keys", None):
        return [([target], [KeysOf(mapping, it)])]
    return None


def _loop_flows(node, callee):
    """The flows of a for loop: into its targets, from what it iterates over."""
    it, target = node.iter, node.target
    walked = _walk_flows(target, it, callee)
    if walked is not None:
        return walked
    called = callee(it.func) if isinstance(it, ast.Call) else NOT_A_CALL
    if called.is_(range):
        return []
    if called.is_(enumerate) and isinstance(target, ast.Tuple) \
            and len(target.elts) == 2 and it.args:
        return [([target.elts[1]], [it.args[0]])]
    if called.is_(zip) and isinstance(target, ast.Tuple) \
            and len(target.elts) == len(it.args):
        return [([t], [a]) for t, a in zip(target.elts, it.args)]
    if isinstance(it, (ast.Tuple, ast.List)):
        return [([target], list(it.elts))]
    return [([target], [it])]


class Dependence:
    """Part of ``normalize.Normalizer``: whether user expressions may vary, as the
    traversal asks (the names that may vary are ``varied_user_names``'s answer, in
    ``scope.varied``)."""

    def varies(self, e, varied=None):
        """Whether expression ``e`` (in user names) may depend on a differentiated input."""
        varied = self.scope.varied if varied is None else varied
        if isinstance(e, Ready):   # an operand already in generated names
            return self.is_varied_operand(e.operand)
        if isinstance(e, KeysOf):   # (a name never assigned: the same dict everywhere)
            node = self.tree_of(e.mapping) if e.mapping.id in self.scope.fixed_trees else None
            return not (isinstance(node, Node) and node.kind == "dict") \
                and self.varies(e.iterable, varied)
        if isinstance(e, ast.Name):
            if e.id in self.scope.trees:   # a structure: whether any leaf varies
                return any(leaf.name in self.out.varied_ssa
                           for leaf in self.scope.trees[e.id].leaves())
            # (or its value now varies: another name of an array changed in place gave it
            # a new value, c, d = a, 0; c[0] = x[0], that the names' flows did not show)
            return e.id in varied or self.scope.env.get(e.id) in self.out.varied_ssa
        if isinstance(e, ast.Constant):
            return False
        # (an f-string of a value that varies varies too: float(f"{x}") is x; print and the
        # other inert calls keep it as written, anything else refuses it)
        if isinstance(e, ast.Compare) or (isinstance(e, ast.UnaryOp)
                                          and isinstance(e.op, (ast.Not, ast.Invert))):
            return False
        if isinstance(e, (ast.Attribute, ast.Subscript)) and self.scope.fixed_trees:
            leaf = self.fixed_leaf(e)
            if leaf is not None:
                return leaf.name in self.out.varied_ssa
        if isinstance(e, ast.Attribute):
            if e.attr in self.registry.nondiff_attributes:
                return False
            return self.varies(e.value, varied)
        if isinstance(e, ast.Subscript):   # np.r_[a, b] depends on a and b
            return self.varies(e.value, varied) or self.varies(e.slice, varied)
        if isinstance(e, ast.Call):
            return self._call_varies(e, varied)
        if isinstance(e, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            return self._comprehension_varies(e, varied)
        # (an operand already flattened, Ready, inside a new expression is a child too)
        return any(self.varies(c, varied) for _, value in ast.iter_fields(e)
                   for c in (value if isinstance(value, list) else [value])
                   if isinstance(c, (ast.expr, Ready)))

    def _comprehension_varies(self, e, varied):
        """Whether comprehension ``e`` may make a value that varies: its variables vary
        where what they walk does (``sum(np.sum(w ** 2) for w in params.values())``, left
        as it is for resolve.py to unroll), and its items are read with them. (Its ``ifs``
        decide only which items there are.)"""
        inner = set(self.scope.varied if varied is None else varied)
        for gen in e.generators:
            flows = _walk_flows(gen.target, gen.iter, self.callee) \
                or [([gen.target], [gen.iter])]
            for targets, sources in flows:
                if any(self.varies(source, inner) for source in sources):
                    inner |= {n.id for t in targets for n in _target_names(t)}
        items = [e.key, e.value] if isinstance(e, ast.DictComp) else [e.elt]
        return any(self.varies(item, inner) for item in items)

    def _call_varies(self, e, varied):
        """Whether call ``e`` may depend on a differentiated input."""
        if isinstance(e.func, ast.Name) and e.func.id == WITH_ITEM:   # x[index] = v
            return any(self.varies(a, varied) for a in e.args)
        called = self.callee(e.func)
        if called.kind == "unknown" and not isinstance(e.func, ast.Call):
            # a function held in a variable (a parameter: it could be eval): default deny.
            return True
        if isinstance(e.func, ast.Call) and self.varies(e.func, varied):
            # the function called is made of values that vary: Layer(W, b)(x) with W
            # differentiated, functools.partial(h, W)(x). (What a function made of
            # constants returns, ad.grad(f)(y), sees only its arguments.)
            return True
        if isinstance(e.func, ast.Name) and e.func.id in varied:
            return True   # a function given as an argument that captured a varying value
        if called.kind == "object" and (self.registry.is_nondifferentiable(called.what)
                                        or self.registry.is_inert(called.what)):
            return False
        if called.kind == "method" and e.func.attr in self.registry.nondiff_methods:
            return False
        parts = list(e.args) + [k.value for k in e.keywords]
        if called.kind == "method":
            parts.append(e.func.value)
        return any(self.varies(p, varied) for p in parts)

    def is_varied_operand(self, e):
        """Whether a flattened operand (in generated names) is a value being differentiated:
        the frontend's running answer for generated names (``out.varied_ssa``), before the
        IR exists for ``analysis.activity`` to ask."""
        return isinstance(e, ast.Name) and e.id in self.out.varied_ssa


def _target_names(target):
    """The variables an assignment to ``target`` changes: for ``xs[i] = ...`` the list or
    array ``xs``, not the index ``i``. (Not ``ir.assigns``, which has only the names bound
    anew: Python reads the ``xs`` of ``xs[i] = ...``; here it counts as changed.)"""
    if isinstance(target, ast.Name):
        yield target
    elif isinstance(target, (ast.Tuple, ast.List)):
        for t in target.elts:
            yield from _target_names(t)
    elif isinstance(target, (ast.Subscript, ast.Attribute, ast.Starred)):
        yield from _target_names(ir.base_of(target))


def rebound_in(tree, callee):
    """The user names ``tree`` (a statement, or a list of them) assigns otherwise than by an
    update in place or as a view (``viewed_name``; ``callee``: ``Functions.callee``)."""
    kept = set()
    for node in ir.walk_tree(tree):
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            kept.add(node.target)
        elif isinstance(node, ast.Assign) and (getattr(node, ITEM, None) is not None
                                               or viewed_name(node, callee) is not None):
            kept.add(node.targets[0])
    return {n.id for n in ir.walk_tree(tree) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Store) and n not in kept}


def updated_in_place(tree):
    """The user names ``tree`` (a statement, or a list of them) updates in place: ``x op=
    e``, ``x[i] = v`` (desugared as an assignment to ``x``, see items.py)."""
    found = set()
    for node in ir.walk_tree(tree):
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            found.add(node.target.id)
        elif isinstance(node, ast.Assign) and getattr(node, ITEM, None) is not None:
            found.add(node.targets[0].id)
    return found
