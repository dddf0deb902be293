"""Ints a call gives a loop over a structure. ``for i in range(n_layers)`` whose body
indexes ``params[i]`` is unrolled (unroll.py), so its bound must be known when the code
is made. A bound read from a parameter that is not differentiated (given by the call or
left to its default), from an int in a structure the call passes (``self.n_layers``), or
from a module-level (or closure) int is such an int: the code is specialised on its
value, which each call reads again (dispatch.specialisation), as it does a structure's
shape, so code made for one value never runs for another.

A function of the user's called with such an int, or with an int known now
(``forward(params, x, n_layers)``, ``forward(params, x, 2)``), has it too, for a
parameter it never assigns (``argument_ints``, ``seed_argument_ints``).

A need is named by a descriptor: ``("param", name)``, ``("leaf", param, index)`` (the
index of the leaf among the structure's leaves, depth first) or ``("free", name)``.
Part of ``normalize.Normalizer``.
"""

import ast
import inspect

from .. import ir
from ..errors import TransformError
from ..ir.trees import Leaf


class StaticInts:
    """Part of ``normalize.Normalizer``: the ints a call supplies (``self.request.statics``)."""

    def fix_params(self, fn):
        """Remember the parameters of the differentiated function (its ``def`` ``fn``) whose
        value a call may give as a static int: not differentiated, not structures, never
        assigned."""
        source = self.inlining.root
        request = self.request
        request.given_objects = set(source.params) - ir.assigns([fn]) \
            - set(request.user_wrt) - set(source.variadic_params)
        request.fixed_params = request.given_objects - set(request.trees)

    def static_int(self, e):
        """The int the call gave for what ``e`` reads (see the module's docstring), or
        None."""
        need = self.static_need(e)
        return None if need is None else self.request.statics.get(need)

    def static_needs(self, exprs):
        """The descriptors of the ints read in ``exprs`` that the call has not given yet."""
        found = []
        for node in ir.walk_tree(list(exprs)):
            need = self.static_need(node)
            if need is not None and need not in self.request.statics \
                    and need not in found:
                found.append(need)
        return found

    def argument_ints(self, func, call):
        """{parameter of ``func``: the int the call ``call`` (in the current scope) gives it,
        known now or a descriptor of the int a call of the differentiated function gives};
        parameters given something else are left out."""
        try:
            bound = inspect.signature(func).bind(*call.args, **{k.arg: k.value
                                                                 for k in call.keywords})
        except TypeError:
            return {}
        bound.apply_defaults()
        found = {}
        for param, argument in bound.arguments.items():
            if type(argument) is int:   # (a default)
                found[param] = argument
            if isinstance(argument, ast.expr):
                given = self._given_int(argument)
                if given is not None:
                    found[param] = given
        return found

    def _given_int(self, argument):
        """The int the user expression ``argument`` is known to be now, or the ``_Given``
        descriptor of the int a call gives for it, or None."""
        try:
            value = self.static_value(argument)
            if type(value) is int:
                return value
            if isinstance(argument, (ast.Name, ast.Attribute, ast.Subscript)):
                need = self.static_need(argument)
                return None if need is None else _Given(need)
        except TransformError:   # (what it reads is refused where it is normalized)
            return None
        return None

    def seed_argument_ints(self, found, fn):
        """In the callee just entered (its ``def`` ``fn``), the ints ``argument_ints`` found
        for the parameters it never assigns."""
        stored = ir.assigns([fn])
        for param, value in found.items():
            if param in stored:
                continue
            if isinstance(value, _Given):
                self.scope.given_ints[param] = value.need
            else:
                self.scope.constants[param] = value

    def static_need(self, e):
        """The descriptor of the int user expression ``e`` reads, when a call can give it;
        else None."""
        root = self.inlining.root
        if isinstance(e, ast.Name) and e.id in self.scope.given_ints:
            return self.scope.given_ints[e.id]
        if isinstance(e, ast.Name):
            if self.scope.src is not root or e.id in self.scope.trees:
                return None
            if e.id in self.request.fixed_params:
                return ("param", e.id)
            if e.id in self.scope.locals:
                return None
            value = root.resolve(e.id, None)
            if type(value) is int and (e.id in root.globals or e.id in root.closure):
                return ("free", e.id)
            return None
        if not isinstance(e, (ast.Attribute, ast.Subscript)):
            return None
        try:
            leaf = self.tree_of(e)
        except TransformError:
            return None
        if not isinstance(leaf, Leaf) or leaf.differentiable:
            return None
        for param, node in self.request.trees.items():
            for index, other in enumerate(node.leaves()):
                if other == leaf:
                    return ("leaf", param, index)
        return None


class _Given:
    """The descriptor of an int a call of the differentiated function gives, passed on to
    a callee (see StaticInts.argument_ints)."""

    def __init__(self, need):
        self.need = need
