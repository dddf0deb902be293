"""A property of each name's value (its ndim, whether it is full, whether it is a number),
propagated from the parameters' through the statements of a normalized function to a fixed
point: ``propagate``, the engine of ndims.py, numbers.py and shapes.py.
"""

import ast

from .. import ir

#: the property of a name no assignment has given one yet
UNSET = object()


def propagate(fn, known, unknown, number, op, subscript, expression=None):
    """A property of each name's value (its ndim, whether it is full) from the parameters'
    ``known`` values: ``number`` is the property of a number, ``unknown`` the one that says
    nothing, ``op(s, of)`` that of a primitive's result, ``subscript(e, of)`` that of
    ``x[index]`` and ``expression(e, of)``, if given, that of other expressions. A name
    assigned in several places (after a branch, in a loop) has a property only if every
    assignment agrees.

    Returns ({name: property}, of(expression) -> property or ``unknown``)."""
    prop = _Propagation(fn, known, unknown, number, op, subscript, expression)
    prop.run()

    def known_value(e):
        v = prop.of(e)
        return unknown if v is UNSET else v

    return {k: v for k, v in prop.values.items() if v is not unknown}, known_value


class _Propagation:
    """The state of ``propagate``: each name's property so far (``values``)."""

    def __init__(self, fn, known, unknown, number, op, subscript, expression):
        self.fn, self.unknown, self.number = fn, unknown, number
        self.op, self.subscript, self.expression = op, subscript, expression
        self.values = {p: v for p, v in known.items() if v is not None}
        self.read = set()   # (see run)
        self._slices = None   # (see _slice)
        self._assigned = None   # (see _defined)
        for p in fn.params:
            self.values.setdefault(p, unknown)

    def of(self, e):
        """The property of expression ``e``'s value (``UNSET`` while a name it reads has
        none yet)."""
        if isinstance(e, ast.Constant):
            return self.number if isinstance(e.value, (int, float)) \
                and not isinstance(e.value, bool) else self.unknown
        if isinstance(e, ast.Name):
            self.read.add(e.id)
            found = self.values.get(e.id, UNSET)
            if found is UNSET and e.id not in self._defined():
                return self.unknown   # (a module-level name: X @ w, np.sum of it a number)
            return found
        if isinstance(e, ast.UnaryOp) and isinstance(e.operand, ast.Constant):
            return self.of(e.operand)
        if isinstance(e, ast.Attribute) and e.attr in ("ndim", "size"):
            return self.number
        if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Attribute) \
                and e.value.attr == "shape" and not isinstance(e.slice, (ast.Slice, ast.Tuple)):
            return self.number
        if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Name):
            return self.subscript(e, self.of)
        return self.unknown if self.expression is None else self.expression(e, self.of)

    def _defined(self):
        """The names the function's statements assign (found once)."""
        if self._assigned is None:
            self._assigned = set().union(*(ir.defined_names(s) for s in self.fn.body))
        return self._assigned

    def run(self):
        """Each name starts unset; an assignment sets it, a disagreeing one makes it
        ``unknown`` for good. Values only move unset -> v -> unknown, so this stops.
        Another round is needed only when a name read in this one changed after it was read
        (a loop's carried name, a use before the definition): else every read saw the
        final value, and the next round would find what this one found (for straight-line
        code, one round)."""
        stale = True
        while stale:
            stale = False
            self.read = set()   # the names read so far in this round
            for name, v in self.assignments():
                if v is UNSET:
                    continue
                old = self.values.get(name, UNSET)
                new = v if old is UNSET else (old if old == v else self.unknown)
                if new != old or old is UNSET:
                    self.values[name] = new
                    if name in self.read:
                        stale = True

    def assignments(self):
        """(name, property of the value assigned) for each assignment in the function; a
        list's items are the name ``"name[]"``."""
        for s in ir.walk(self.fn.body):
            if isinstance(s, ir.Keep):
                yield from self._kept(s.stmt, s.defines)
            elif isinstance(s, ir.Op):
                yield s.target, self.op(s, self.of)
            elif isinstance(s, ir.Carry):
                yield s.target, self.of(ir.load(s.source))
            elif isinstance(s, ir.ListNew):
                yield s.target, self.unknown
                for e in s.elements:
                    yield s.target + "[]", self.of(e)
            elif isinstance(s, (ir.ListAppend, ir.ListAdd, ir.ListSet)):
                yield s.target + "[]", self.of(s.value)
            elif isinstance(s, ir.ListGet):
                self.read.add(s.source + "[]")
                # (by a slice, hs[:i + 1] with i a variable, the value is a list, not an item)
                yield s.target, self.unknown if self._slice(s.index) \
                    else self.values.get(s.source + "[]", UNSET)
            elif isinstance(s, ir.Loop):
                yield from self._loop_names(s)

    def _slice(self, index):
        """Whether ``index`` may be a slice: ``slice(...)``, or a name a statement kept as
        written gives one (the frontend names a slice with variable bounds so)."""
        if isinstance(index, ast.Name):
            if self._slices is None:
                self._slices = {s.stmt.targets[0].id for s in ir.walk(self.fn.body)
                                if isinstance(s, ir.Keep) and isinstance(s.stmt, ast.Assign)
                                and isinstance(s.stmt.targets[0], ast.Name)
                                and not isinstance(s.stmt.value, ast.Name)
                                and self._slice(s.stmt.value)}
            return index.id in self._slices
        return isinstance(index, ast.Slice) or isinstance(index, ast.Call) \
            and isinstance(index.func, ast.Name) and index.func.id == "slice"

    def _kept(self, stmt, defines):
        """A statement kept as written: ``name = expression`` has the expression's property,
        the names other statements define have none."""
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name):
            yield stmt.targets[0].id, self.of(stmt.value)
        else:
            for d in defines:
                yield d, self.unknown

    def _loop_names(self, loop):
        """A for loop's index and a loop's counter are numbers."""
        if loop.index:
            yield loop.index, self.number if loop.kind == "for" else self.unknown
        if loop.counter:
            yield loop.counter, self.number
