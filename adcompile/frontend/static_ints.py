"""Ints a call gives a loop over a structure. ``for i in range(n_layers)`` whose body
indexes ``params[i]`` is unrolled (unroll.py), so its bound must be known when the code
is made. A bound read from a parameter that is not differentiated (given by the call or
left to its default), from an int in a structure the call passes (``self.n_layers``), or
from a module-level (or closure) int is such an int: the code is specialised on its
value, which each call reads again (api._specialisation), as it does a structure's
shape, so code made for one value never runs for another.

A need is named by a descriptor: ``("param", name)``, ``("leaf", param, index)`` (the
index of the leaf among the structure's leaves, depth first) or ``("free", name)``.
Part of ``normalize.Normalizer``.
"""

import ast

from .. import ir
from ..errors import TransformError
from ..ir.trees import Leaf


class StaticInts:
    """Part of ``normalize.Normalizer``: the ints a call supplies (``self.statics``)."""

    def fix_params(self, fn):
        """Remember the parameters of the differentiated function (its ``def`` ``fn``) whose
        value a call may give as a static int: not differentiated, not structures, never
        assigned."""
        source = self.inlining.root
        self.fixed_params = set(source.params) - ir.assigns([fn]) - set(self.user_wrt) \
            - set(self.trees) - set(source.variadic_params)

    def static_int(self, e):
        """The int the call gave for what ``e`` reads (see the module's docstring), or
        None."""
        need = self.static_need(e)
        return None if need is None else self.statics.get(need)

    def static_needs(self, exprs):
        """The descriptors of the ints read in ``exprs`` that the call has not given yet."""
        found = []
        for node in ir.walk_tree(list(exprs)):
            need = self.static_need(node)
            if need is not None and need not in self.statics and need not in found:
                found.append(need)
        return found

    def static_need(self, e):
        """The descriptor of the int user expression ``e`` reads, when a call can give it;
        else None."""
        root = self.inlining.root
        if isinstance(e, ast.Name):
            if self.scope.src is not root or e.id in self.scope.trees:
                return None
            if e.id in self.fixed_params:
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
        for param, node in self.trees.items():
            for index, other in enumerate(node.leaves()):
                if other == leaf:
                    return ("leaf", param, index)
        return None
