"""Normalizing lists of values being differentiated: made (``[a, b]``, a tuple display,
``[a, b] * k``), appended to and popped from.

A list of lists (``rows = [[a, b]]``, ``rows.append([c, d])``) holds lists (``out.holders``:
how deep); a list of tuples is kept as one list per position (tuple_lists.py); reading and
writing items is list_items.py's. Part of ``normalize.Normalizer``; what it needs to know
of the function before it starts is list_facts.py's.
"""

import ast

from .. import ir
from .list_facts import tuple_length
from .syntax import Ready

#: the most items ``[a, b] * k`` is written out to (a longer one stays refused)
_LONGEST_REPEAT = 4096


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

    def repeated(self, e):
        """``[a, b] * k`` or ``k * [a, b]`` (user expression ``e``) with k an int known when
        the code is made (a literal; where structures are differentiated, also an int the
        call gives: static_ints.py): the display of its items k times over, each item
        computed once (a tuple's parts too) and then the same value in each place, as
        Python's repetition holds it; None for another expression. Where the items vary
        and k is not known, refused."""
        if not (isinstance(e, ast.BinOp) and isinstance(e.op, ast.Mult)):
            return None
        display, count = (e.left, e.right) if isinstance(e.left, ast.List) else (e.right, e.left)
        if not isinstance(display, ast.List) \
                or any(isinstance(x, ast.Starred) for x in display.elts):
            return None
        k = self.static_value(count)
        if type(k) is not int or k * len(display.elts) > _LONGEST_REPEAT:
            if self.varies(display):
                error = self.scope.src.error(e, f"{ast.unparse(e)!r} repeats a list of values "
                                                f"being differentiated a number of times not "
                                                f"known when the code is made (or into more "
                                                f"than {_LONGEST_REPEAT} items); repeat it an "
                                                f"int literal number of times, or build the "
                                                f"list by appending in a loop")
                error.static_needs = self.static_needs([count])   # (see static_ints.py)
                raise error
            return None

        def once(x):   # (a name or constant reads the same value each time)
            if isinstance(x, (ast.Name, ast.Constant)):
                return x
            if isinstance(x, ast.Tuple) and not any(isinstance(p, ast.Starred) for p in x.elts):
                return ast.copy_location(ast.Tuple(elts=[once(p) for p in x.elts],
                                                   ctx=ast.Load()), x)
            return Ready(self.operand(x))

        items = [once(x) for x in display.elts]
        return ast.copy_location(ast.List(elts=items * max(k, 0), ctx=ast.Load()), e)

    def literal_of_literals(self, value):
        """A list literal of list literals of values being differentiated given as a value
        (``as_matrix([[c, -s], [s, c]])``): the list of lists ``rows = [[c, -s], ...]``
        makes, passed on; returns its name. A literal of tuples is refused, as a list of
        tuples bound to a name is when given on (tuple_lists.py keeps one as a list per
        position, which only loops, indexing, appends and len() read)."""
        if not (isinstance(value, ast.List) and all(isinstance(e, ast.List) for e in value.elts)):
            raise self.scope.src.error(value, "a list of tuples of values being differentiated "
                                              "is supported where a name bound to it is "
                                              "iterated with a tuple target (for a, b in "
                                              "pairs), indexed and unpacked (a, b = pairs[i]), "
                                              "appended to and given to len(); not given to "
                                              "a function as it is here")
        elements = [self.operand(e) for e in value.elts]
        if not all(e.id in self.out.lists for e in elements):
            raise self.scope.src.error(value, "a list holding both lists and other values "
                                              "being differentiated is not supported")
        name = self.namer.temp("rows")
        self.out.lists.add(name)
        self.out.varied_ssa.add(name)
        self.out.holders[name] = 1 + max(self.out.holders.get(e.id, 0) for e in elements)
        self.out.body.append(ir.ListNew(name, elements, value, False))
        return name

    def append(self, stmt):
        """``xs.append(value)`` on a list of values being differentiated."""
        base = stmt.value.func.value
        struct = self.struct_of(base)
        if struct is not None:
            return self.append_tuple(struct, stmt)
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
