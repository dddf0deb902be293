"""``d.update(...)`` on a dict structure (trees.py): the items it is given stored as
``d[key] = v`` stores them (changes.py), after all of them are computed, as Python computes
the arguments before the call stores any. Part of ``normalize.Normalizer``.
"""

import ast


class DictUpdates:
    """Part of ``normalize.Normalizer``: ``d.update(...)`` of a dict structure."""

    def update_dict(self, stmt):
        """``d.update(other, k=v, ...)`` as the statement ``stmt``, ``d`` a dict structure this
        function made (or one it was given, refused as assigning into it is, where what the
        call gives varies), ``other`` a dict display or a dict structure: each item, computed
        first, in Python's order (``other``'s, then the keywords'), stored into ``d`` as
        ``d[key] = v`` stores it (``assign_into_structure``: every name bound to ``d``, or to
        a structure holding it, sees the new items). False for any other statement, which is
        then normalized as it is (``update`` of another object: a method call)."""
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr == "update" and len(call.args) <= 1
                and self.names_structure(call.func.value)):
            return False
        base = call.func.value
        old = self.tree_of(base)
        given = self._given_items(call)
        if old.kind != "dict" or given is None:
            return False
        if self.scope.own_trees.get(id(old)) is not old and not self.varies(call):
            return False   # (the caller's dict of values not differentiated: kept as written)
        self.require_own(old, base, stmt)
        for key, part in self.dict_items(given).items():
            self._with_part(self.tree_of(base), key, part, stmt)
        return True

    def _given_items(self, call):
        """The dict display of the items ``call`` (``d.update(...)``) gives ``d``: those of
        its argument (a display, or a dict structure as ``**other``), then its keywords;
        None where its argument is anything else (pairs, a value not known now)."""
        keys, values = [], []
        for a in call.args:
            if isinstance(a, ast.Dict):
                keys += a.keys
                values += a.values
            elif self.names_structure(a) and self.tree_of(a).kind == "dict":
                keys.append(None)
                values.append(a)
            else:
                return None
        keys += [None if k.arg is None else ast.copy_location(ast.Constant(k.arg), k.value)
                 for k in call.keywords]
        values += [k.value for k in call.keywords]
        return ast.copy_location(ast.Dict(keys=keys, values=values), call)
