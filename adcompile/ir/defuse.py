"""Def-use: the names a piece of code reads and assigns, for IR statements and generated
Python alike (the walks it makes are walks.py's; the structure of IR blocks, blocks.py's)."""

import ast

from .blocks import walk
from .nodes import Carry, If, Keep, ListAdd, ListAppend, ListGet, ListNew, ListSet, Loop, Op
from .walks import child_nodes, node_fields, walk_tree


def base_of(target):
    """The variable at the root of ``x.a[i].b``."""
    while isinstance(target, (ast.Attribute, ast.Subscript, ast.Starred)):
        target = target.value
    return target


def names_read(tree):
    """Names ``tree`` reads."""
    return _names([tree], ast.Load)


def reads(trees):
    """Names read anywhere in a list of ASTs."""
    return _names(list(trees), ast.Load)


def assigns(trees):
    """Names assigned anywhere in a list of ASTs."""
    return _names(list(trees), ast.Store)


def assigned_once(tree):
    """The names ``tree`` (a def) assigns (or deletes) at exactly one place, counting
    every scope it holds (which only ever leaves names out)."""
    counts = {}
    for node in walk_tree(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            counts[node.id] = counts.get(node.id, 0) + 1
    return {name for name, n in counts.items() if n == 1}


def names_used(trees):
    """Names read or assigned anywhere in a list of ASTs (``reads(trees) | assigns(trees)``
    in one walk)."""
    return _names(list(trees), (ast.Load, ast.Store))


def names_mentioned(trees):
    """Every ``ast.Name`` anywhere in a list of ASTs, whatever its context: read, assigned
    or deleted (a name made without a context counts too). Parameters and the names of
    defs are not ``ast.Name`` nodes: ``naming.names_in`` has every identifier."""
    return _names(list(trees), None)


def scope_stores(stmt):
    """The ``ast.Name`` nodes ``stmt`` assigns in its own scope: as ``assigns``, but nodes,
    not names, and not descending into the defs, classes and lambdas it holds (their own
    scopes; a comprehension's are entered: its targets count)."""
    todo = [stmt]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            yield node
        if not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda)):
            todo.extend(child_nodes(node))


#: fields that hold no name: an expression's context, an operator (singletons)
_NAMELESS = frozenset({"ctx", "op", "ops"})
#: node class -> its fields that may hold names, for ``_names`` (filled as met)
_FIELDS = {}


def _names(stack, context):
    """The names in the trees of ``stack`` whose context is ``context`` (any, for None) (an
    ast.walk for names only, without its generators, contexts and operators: the passes
    ask this more than anything else)."""
    found = set()
    name, node_type, table = ast.Name, ast.AST, _FIELDS
    pop, extend, append = stack.pop, stack.extend, stack.append
    while stack:
        node = pop()
        cls = node.__class__
        if cls is name:
            if context is None or isinstance(node.ctx, context):
                found.add(node.id)
            continue
        fields = table.get(cls)
        if fields is None:
            if not isinstance(node, node_type):   # (None, a string: what lists hold too)
                continue
            fields = node_fields(cls, table, _NAMELESS)
        for field in fields:
            value = getattr(node, field, None)
            if value.__class__ is list:
                extend(value)
            elif value is not None:
                append(value)
    return found


def own_reads(s):
    """Names an IR statement reads itself (not in the blocks it contains)."""
    if isinstance(s, Op):
        return reads([s.expr, *s.inputs, *s.statics.values()])
    if isinstance(s, Keep):
        return names_read(s.stmt)
    if isinstance(s, If):
        return names_read(s.test)
    if isinstance(s, Loop):
        return reads([e for e in (s.iterable, s.test) if e is not None])
    if isinstance(s, Carry):
        return {s.source}
    if isinstance(s, ListNew):
        return reads(s.elements)
    if isinstance(s, ListAppend):
        return {s.target} | names_read(s.value)
    if isinstance(s, ListGet):
        return {s.source} | names_read(s.index)
    if isinstance(s, ListAdd):
        return {s.target} | reads([s.index, s.value])
    if isinstance(s, ListSet):   # (its reverse reads old: what reads it keeps it)
        return {s.target} | reads([s.index, s.value])
    if isinstance(s, ast.stmt):   # a node of the tape (tape.Save)
        return names_read(s)
    return set()


def own_assigns(s):
    """Names an IR statement assigns itself (not in the blocks it contains, nor a loop's
    index or counter, which ``defined_names`` counts): the target of an Op, a ListGet, a
    Carry or a list statement, what a Keep defines."""
    if isinstance(s, Keep):
        return set(s.defines)
    target = getattr(s, "target", None)
    return {target} if isinstance(target, str) else set()


def defined_names(s):
    """Names an IR statement (with what it contains) assigns."""
    found = set()
    for t in walk([s]):
        if isinstance(t, (Op, ListGet, Carry, ListNew)):
            found.add(t.target)
        elif isinstance(t, Keep):
            found.update(t.defines)
        elif isinstance(t, Loop):
            if t.index:
                found.add(t.index)
            if t.counter:
                found.add(t.counter)
    return found


def rename(stmts, old, new):
    """Rename ``old`` to ``new`` everywhere in ``stmts`` (in place)."""

    def fix(tree):
        for node in walk_tree(tree):
            if isinstance(node, ast.Name) and node.id == old:
                node.id = new

    for s in walk(stmts):
        for attr in ("target", "source", "index", "counter"):
            if getattr(s, attr, None) == old and not isinstance(getattr(s, attr), ast.AST):
                setattr(s, attr, new)
        if isinstance(s, Op):
            fix(s.expr)
            for e in s.inputs + list(s.statics.values()):
                fix(e)
        elif isinstance(s, Keep):
            fix(s.stmt)
            s.defines = [new if d == old else d for d in s.defines]
        elif isinstance(s, If):
            fix(s.test)
            s.before = {new if n == old else n for n in s.before}
        elif isinstance(s, Loop):
            for e in (s.iterable, s.test):
                if e is not None:
                    fix(e)
            s.carried = {v: new if n == old else n for v, n in s.carried.items()}
            s.existing = {new if n == old else n for n in s.existing}
        elif isinstance(s, ListNew):
            for e in s.elements:
                fix(e)
        elif isinstance(s, ListAppend):
            fix(s.value)
        elif isinstance(s, ListGet):
            fix(s.index)
        elif isinstance(s, (ListAdd, ListSet)):
            fix(s.index)
            fix(s.value)


# NumPy functions and array methods that write into an array they are given.
WRITING_FUNCTIONS = {"copyto", "put", "place", "putmask", "fill_diagonal", "put_along_axis",
                     "shuffle", "at"}
WRITING_METHODS = {"fill", "sort", "partition", "resize", "put", "itemset", "setfield",
                   "byteswap", "setflags"}


def changed_in_place(stmt):
    """Names whose arrays a kept statement may write into: ``x.fill(0)``, ``x.sort()``,
    ``np.copyto(x, ...)``, ``np.add(a, b, out=x)``."""
    found = set()
    for node in walk_tree(stmt):
        if not isinstance(node, ast.Call):
            continue
        for k in node.keywords:
            if k.arg == "out":
                found |= names_read(k.value)
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr in WRITING_METHODS \
                and isinstance(f.value, ast.Name):
            found.add(f.value.id)
        if isinstance(f, ast.Attribute) and f.attr in WRITING_FUNCTIONS and node.args \
                and isinstance(f.value, (ast.Name, ast.Attribute)):
            found |= names_read(node.args[0])
    return found


def live_before(stmts, live):
    """The names whose values ``stmts`` may read before assigning them, given ``live``: the
    names read after them. (A loop may run no time; a restore assigns its names.)"""
    live = set(live)
    for s in reversed(stmts):
        if isinstance(s, ast.If):
            live = names_read(s.test) | live_before(s.body, live) \
                | live_before(s.orelse, live)
        elif isinstance(s, (ast.For, ast.While)):
            header = names_read(s.iter if isinstance(s, ast.For) else s.test)
            live = live | header | live_before(s.body, live | reads(s.body))
        elif isinstance(s, ast.Assign) or hasattr(s, "names"):   # (a tape.Restore)
            targets = s.targets if isinstance(s, ast.Assign) else s.names
            killed = {t.id for t in targets if isinstance(t, ast.Name)}
            live = (live - killed) | names_read(s)
        else:
            live |= names_read(s) | {n.target.id for n in walk_tree(s) if isinstance(
                n, ast.AugAssign) and isinstance(n.target, ast.Name)}
    return live


def reads_outside_own_loops(stmts, bound=frozenset()):
    """Names read in backward code, except a reversed loop's index read inside that loop
    (the reversed loop makes it)."""
    found = set()
    for s in stmts:
        if isinstance(s, ast.For):
            found |= names_read(s.iter) - bound
            inner = bound | ({s.target.id} if isinstance(s.target, ast.Name) else set())
            found |= reads_outside_own_loops(s.body, inner)
        elif isinstance(s, ast.If):
            found |= names_read(s.test) - bound
            found |= reads_outside_own_loops(s.body, bound)
            found |= reads_outside_own_loops(s.orelse, bound)
        else:
            found |= names_read(s) - bound
    return found
