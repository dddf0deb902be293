"""The normalized form every later stage works on.

A function body becomes a list of statements, each either an ``Op`` (one
primitive applied to names and inactive expressions, with its adjoint rule)
or a ``Keep`` (a statement copied verbatim into the forward sweep, with
nothing to differentiate). Every ``Op`` target is assigned exactly once.
"""

import ast
import copy
from dataclasses import dataclass, field, fields, replace


@dataclass(eq=False)
class Op:
    """``target = expr``, where ``expr`` applies ``rule``'s primitive once."""

    target: str
    expr: ast.expr                 # the forward expression, operands already flattened
    rule: object                   # rules.Rule
    inputs: list                   # one ast.expr per rule input (Name or inactive expression)
    statics: dict                  # static parameter -> ast.expr
    node: ast.AST                  # the user's node, for error positions

    @property
    def input_names(self):
        return [e.id for e in self.inputs if isinstance(e, ast.Name)]


@dataclass(eq=False)
class Keep:
    """A statement run as written in the forward sweep (inactive values, print, assert)."""

    stmt: ast.stmt
    defines: list = field(default_factory=list)
    pure: bool = True              # may be dropped when nothing reads what it defines
    origin: tuple = None           # (source, the user's statement), for errors


@dataclass(eq=False)
class NormalFunction:
    source: object                 # source.FunctionSource
    params: list                   # user parameter names, in order
    wrt: list                      # names of the parameters differentiated
    body: list                     # Op | Keep
    outputs: list                  # ast.expr per returned value (Name or inactive expression)
    tuple_output: bool
    namer: object
    ndims: dict = field(default_factory=dict)    # name -> known ndim
    active: set = field(default_factory=set)
    rebindings: list = field(default_factory=list)   # Rebinding, one per ``x op= e``
    origin: dict = field(default_factory=dict)   # generated name -> the user's variable


@dataclass(eq=False)
class Rebinding:
    """``x op= e`` on a name, compiled as ``statement``, ``new = old op e``: a new value,
    where Python changes an array in place (``aliasing`` decides when the two are the
    same). The names are read from the statement: later passes may rename them."""

    statement: object              # the Op or Keep that computes the new value
    origin: tuple                  # (source, the user's statement)

    @property
    def old(self):
        s = self.statement
        value = s.expr if isinstance(s, Op) else s.stmt.value
        return value.left.id

    @property
    def new(self):
        s = self.statement
        return s.target if isinstance(s, Op) else s.defines[0]


def load(name):
    return ast.Name(id=name, ctx=ast.Load())


def store(name):
    return ast.Name(id=name, ctx=ast.Store())


def assign(name, value):
    return ast.Assign(targets=[store(name)], value=value, lineno=0)


def call(func, *args):
    """``func(*args)``; ``func`` a name or an expression."""
    return ast.Call(func=load(func) if isinstance(func, str) else func, args=list(args),
                    keywords=[])


def base_of(target):
    """The variable at the root of ``x.a[i].b``."""
    while isinstance(target, (ast.Attribute, ast.Subscript, ast.Starred)):
        target = target.value
    return target


def names_read(tree):
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def reads(trees):
    """Names read anywhere in a list of ASTs."""
    return set().union(*(names_read(t) for t in trees)) if trees else set()


def assigns(trees):
    """Names assigned anywhere in a list of ASTs."""
    return {n.id for t in trees for n in ast.walk(t)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


@dataclass(eq=False)
class If:
    """``if test: body else: orelse``; ``test`` is a name or an inactive expression."""

    test: ast.expr
    body: list
    orelse: list
    node: ast.AST
    before: set = field(default_factory=set)   # names that have values before the if


@dataclass(eq=False)
class Loop:
    """A ``for`` loop over ``range(...)`` (``index``/``iterable``) or a ``while`` loop (``test``).

    ``counter`` names the iteration count kept for the reverse sweep (``while`` loops and
    loops with ``break``); a ``for`` loop without break is reversed with ``reversed(range)``.
    """

    kind: str                      # "for" | "while"
    body: list
    node: ast.AST
    index: str = None
    iterable: ast.expr = None
    test: ast.expr = None
    counter: str = None
    carried: dict = field(default_factory=dict)   # user name -> loop name
    existing: set = field(default_factory=set)    # loop names defined before the loop


@dataclass(eq=False)
class Jump:
    """``break`` or ``continue`` (``kind``)."""

    kind: str
    node: ast.AST


@dataclass(eq=False)
class Carry:
    """``target = source`` where ``target`` is a loop's name for a variable the loop assigns:
    copied at each iteration's exit so the next iteration (or the code after the loop)
    sees the latest value."""

    target: str
    source: str
    node: ast.AST = None


@dataclass(eq=False)
class ListNew:
    """``name = [e1, e2, ...]`` (or a tuple) holding values being differentiated."""

    target: str
    elements: list
    node: ast.AST
    is_tuple: bool = False


@dataclass(eq=False)
class ListAppend:
    """``name.append(value)``."""

    target: str
    value: ast.expr
    node: ast.AST


@dataclass(eq=False)
class ListGet:
    """``target = name[index]`` on a list of values being differentiated, or with ``pop``,
    ``target = name.pop()`` (index -1), which also removes the item."""

    target: str
    source: str
    index: ast.expr
    node: ast.AST
    pop: bool = False


@dataclass(eq=False)
class ListAdd:
    """``name[index] = name[index] + value``: a value added to an item of a list, in place
    (the list keeps its length; the item is replaced by a new value). Generated gradient
    code adds an item's adjoint into a list's adjoint list this way; it is linear, so its
    reverse reads the item's adjoint (``value_bar = name_bar[index]``) and its tangent adds
    ``value_dot`` to the tangent list's item."""

    target: str
    index: ast.expr
    value: ast.expr
    node: ast.AST


def always_jumps(block):
    """Whether every path through an IR block ends with break or continue."""
    if not block:
        return False
    last = block[-1]
    if isinstance(last, Jump):
        return True
    if isinstance(last, If):
        return always_jumps(last.body) and always_jumps(last.orelse)
    return False


def children(s):
    """The nested statement lists of an IR statement."""
    if isinstance(s, If):
        return [s.body, s.orelse]
    if isinstance(s, Loop):
        return [s.body]
    return []


def walk(stmts):
    """Every IR statement of ``stmts``, nested ones included, in order."""
    for s in stmts:
        yield s
        for block in children(s):
            yield from walk(block)


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
    if isinstance(s, ast.stmt):   # a node of the tape (tape.Save)
        return names_read(s)
    return set()


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
        for node in ast.walk(tree):
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
        elif isinstance(s, ListAdd):
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
    for node in ast.walk(stmt):
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


def segments(stmts):
    """Split a block into units: ("simple", [stmts]), ("control", stmt), ("exit", [carries], jump)."""
    units, run = [], []
    i = 0
    while i < len(stmts):
        s = stmts[i]
        if isinstance(s, (If, Loop)):
            if run:
                units.append(("simple", run))
                run = []
            units.append(("control", s))
        elif isinstance(s, (Carry, Jump)):
            if run:
                units.append(("simple", run))
                run = []
            carries = []
            while i < len(stmts) and isinstance(stmts[i], Carry):
                carries.append(stmts[i])
                i += 1
            jump = stmts[i] if i < len(stmts) and isinstance(stmts[i], Jump) else None
            units.append(("exit", carries, jump))
            i += 1 if jump is not None else 0
            continue
        else:
            run.append(s)
        i += 1
    if run:
        units.append(("simple", run))
    return units


def add_to_item(name, index, value):
    """``name[index] = name[index] + value``"""
    item = ast.Subscript(value=load(name), slice=index, ctx=ast.Load())
    return ast.Assign(targets=[ast.Subscript(value=load(name), slice=index, ctx=ast.Store())],
                      value=ast.BinOp(left=item, op=ast.Add(), right=value))


def copy_function(fn):
    """A copy of ``fn`` whose statements, expressions and namer later passes may change
    without changing ``fn`` (the rules, the user's nodes and the source are shared)."""
    memo, made = {}, {}
    new = copy.copy(fn)
    for name, value in vars(fn).items():
        if isinstance(value, (set, dict, list)):
            setattr(new, name, copy.copy(value))
    vars(new).pop("_callee", None)   # (analysis.callee_of's cache)
    new.body = _copy_block(fn.body, memo, made)
    new.outputs = copy_tree(fn.outputs, memo)
    new.namer = fn.namer.copy()
    new.rebindings = [replace(r, statement=made[id(r.statement)]) for r in fn.rebindings]
    return new


_SHARED = ("node", "rule", "origin")   # fields a copy shares with the original


def _copy_block(stmts, memo, made):
    out = []
    for s in stmts:
        changes = {}
        for f in fields(s):
            value = getattr(s, f.name)
            if f.name in ("body", "orelse"):
                changes[f.name] = _copy_block(value, memo, made)
            elif f.name not in _SHARED:
                changes[f.name] = copy_tree(value, memo)
        made[id(s)] = replace(s, **changes)
        out.append(made[id(s)])
    return out


def copy_tree(tree, memo=None):
    """A copy of ``tree`` (an AST node, a list of them, or anything holding them: a dict, a
    tuple, a set of names), inner nodes shared within it shared in the copy (``memo``:
    id -> copy, for several trees that share nodes). Much faster than copy.deepcopy,
    which the passes would pay for on every statement."""
    return _copy(tree, {} if memo is None else memo)


_LEAVES = (ast.Name, ast.Constant)   # no nodes inside (but a context): copied shallowly


def _copy(tree, memo):
    cls = tree.__class__
    if cls is list:
        return [_copy(x, memo) for x in tree]
    if not isinstance(tree, ast.AST):
        if cls is tuple:
            return tuple(_copy(x, memo) for x in tree)
        if cls is dict:
            return {k: _copy(v, memo) for k, v in tree.items()}
        return set(tree) if cls is set else tree
    if isinstance(tree, ast.expr_context):
        return tree   # (Load, Store: no state of their own)
    made = memo.get(id(tree))
    if made is None:   # (a node shared, as an Op's input is with its expression, stays so)
        made = memo[id(tree)] = cls.__new__(cls)
        if cls in _LEAVES:
            made.__dict__.update(tree.__dict__)
        else:
            made.__dict__.update({k: _copy(v, memo) for k, v in tree.__dict__.items()})
    return made
