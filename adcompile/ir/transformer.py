"""``Transformer``: ``ast.NodeTransformer`` at a fraction of its cost.

The passes rewrite every expression of the generated code (a template's names
substituted at each use, each adjoint simplified), so the per-node cost of
``ast.NodeTransformer`` (a method looked up by name, ``iter_fields`` and a visit of
each ``Load`` and ``Store``) is paid millions of times on large functions. A subclass
of ``Transformer`` writes its ``visit_X`` methods as for ``ast.NodeTransformer`` and
gets the same rewrites: the same nodes visited in the same order, the same results.
"""

import ast

_CONTEXTS = (ast.Load, ast.Store, ast.Del)   # no fields: their generic visit changes nothing


class Transformer(ast.NodeTransformer):
    """``ast.NodeTransformer`` with its visitor methods looked up once per node class, and
    without visiting what a generic visit leaves as it is (a ``Load`` or ``Store`` the
    subclass has no ``visit_Load`` or ``visit_Store`` for)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._visitors = {}   # node class -> the method visiting it (None: generic_visit)
        cls._skipped = tuple(c for c in _CONTEXTS if getattr(cls, "visit_" + c.__name__, None)
                             is None)

    def visit(self, node):
        visitors = self._visitors
        cls = node.__class__
        try:
            method = visitors[cls]
        except KeyError:
            method = visitors[cls] = getattr(type(self), "visit_" + cls.__name__, None)
        return self.generic_visit(node) if method is None else method(self, node)

    def generic_visit(self, node):
        skipped, node_type = self._skipped, ast.AST
        for field in node._fields:
            try:
                old = getattr(node, field)
            except AttributeError:
                continue
            if old.__class__ is list:
                new_values = []
                for value in old:
                    if isinstance(value, node_type):
                        value = self.visit(value)
                        if value is None:
                            continue
                        if not isinstance(value, node_type):
                            new_values.extend(value)
                            continue
                    new_values.append(value)
                old[:] = new_values
            elif isinstance(old, node_type):
                if old.__class__ in skipped:
                    continue
                new = self.visit(old)
                if new is None:
                    delattr(node, field)
                else:
                    setattr(node, field, new)
        return node
