"""Random differentiable programs: seeded, deterministic (same seed, same program text).

A program is a module: ``import math``, ``import numpy as np``, up to three
helper functions, and ``f(x, y, n0, k0, flag)``, to be differentiated with
respect to ``x`` and ``y``. The bodies mix what adcompile's control flow has
to get right: nested ``for`` and ``while`` loops (counted and data-dependent),
``if``/``elif``/``else`` on flags, loop indices and data, ``break``,
``continue``, early ``return`` (also from helpers and from inside loops),
reassigned and swapped variables, augmented assignments, a list that grows in
loops and is read back by index or iterated over, and calls to helpers (with
default and keyword arguments, with loops and returns of their own, some
returning tuples). Expressions use the smooth primitives plus ``abs``,
``max``, ``min`` and ``np.maximum``, whose kinks the checker detects.

That is the *classic* kind, numbers only. For most seeds the main function
also uses some of the kinds in ``FEATURES`` (drawn from the seed, at a
moderate rate, among the classic statements):

- ``arrays``: ``f(x, y, v, n0, k0, flag, g)`` with an active array ``v`` and
  an inactive array ``g`` (both of shape (3,)), arrays made inside
  (``np.ones(3)``, ``np.arange(3.0)``, ``np.array([...])``), elementwise
  expressions, views (``v.T``, ``v.reshape(3)``, ``np.ravel(v)``, ``v[::-1]``,
  ``np.asarray(v)``), slices and indexing, reductions to numbers
  (``np.sum``, ``v[0]``, ``@``...), loops over arrays (also ``zip`` and
  ``enumerate``); the value returned is always a number;
- ``alias``: variables that share an array with another (``w = v``,
  ``t = v[1:]``, ``d = np.asarray(c)``), in-place changes of active and
  inactive arrays (``+=``, item and slice assignment, ``x.fill``,
  ``np.copyto``), also of the array a ``for`` loop is iterating over;
- ``pairs``: lists or tuples of pairs built inside and iterated with
  ``for p, q in ...``;
- ``stack``: 2x2 matrices from nested lists (``np.array([[c, -s], [s, c]])``),
  ``np.r_``, ``np.c_``, ``np.stack``, ``np.concatenate`` (implies ``arrays``);
- ``containers``: tuples, lists and dicts of values built inside, changed by
  item and read back (by index, key or unpacking);
- ``rows``: lists a loop makes and passes on (``prev = cur``, the two rows of
  dynamic programming), a row made in each iteration and read after the loop,
  lists of lists (``rows.append(row)``, ``rows[i][j]``, ``for row in rows``,
  ``np.array(rows)``): one block put among the main function's top-level
  statements, drawn from a random stream of its own so that the rest of the
  program is the one the seed gives without it;
- ``reflection``: ``eval``, ``exec``, ``getattr``, ``locals()``, ``vars()``,
  ``globals()``. adcompile must refuse what it cannot follow; the checker
  flags a reflective program that adcompile accepts unless its gradient is
  verified against finite differences;
- ``structures``: the program, once made, rewritten to take its
  differentiated numbers in one structure, ``f(params, n0, k0, flag)``
  (a dict, nested dict, NamedTuple, dataclass, object, tuple or list of
  ``(W, b)`` pairs, most with layers), read in the body and by blocks over
  its layers and items (structures.py); drawn, like ``rows``, from a random
  stream of its own, so that ``generate(seed, exclude=("structures",))`` is
  the program the seed gave before this kind existed;
- ``routes``: a program of its own (routes.py) in which arrays being
  differentiated and not are held in dicts, lists, tuples, objects and a
  module-level dict and changed in place through another route than the name
  later read: items, attributes, views stored in containers, helpers and
  methods that take the container or object, helpers called through a name or
  a tuple of hooks, in loops and branches. For one program in ten of the other
  kinds (a stream of its own), instead of it; excluding ``routes`` or
  ``arrays`` gives the program the seed had before.

Programs of the classic kind are exactly those generated before the other
kinds existed (``generate(seed, exclude=FEATURES)`` gives them for any seed).

Every program also comes with a few argument sets, drawn from the same seed;
an array argument is given as a tuple of floats (the checker makes arrays of
them, a fresh copy for every call).
"""

import random
from dataclasses import dataclass, field

from .routes import routes_program
from .structures import rewrite

PARAMS = ("x", "y", "n0", "k0", "flag")
WRT = ("x", "y")
ARRAY_PARAMS = ("x", "y", "v", "n0", "k0", "flag", "g")
ARRAY_WRT = ("x", "y", "v")
LOOP_NAMES = "ijkl"
MAX_DEPTH = 3

FEATURES = ("arrays", "alias", "pairs", "stack", "containers", "reflection", "rows", "structures",
            "routes")
#: the share of seeds whose program is of the classic kind (numbers only)
CLASSIC_SHARE = 0.4
#: for the other seeds, the chance of each kind
FEATURE_ODDS = (("arrays", 0.6), ("alias", 0.4), ("pairs", 0.3), ("stack", 0.25),
                ("containers", 0.3), ("reflection", 0.06))
#: for the programs of other kinds, the chance of a ``rows`` block (a stream of its own)
ROWS_ODDS = 0.3
#: for the programs of other kinds, the chance that the structures kind rewrites it (a stream
#: of its own)
STRUCTURES_ODDS = 0.25
#: for the programs of other kinds, the chance that the program is of the routes kind instead
#: (a stream of its own; excluding it, or arrays, gives the program the seed had before)
ROUTES_ODDS = 0.1
#: in a program with new kinds, the share of statements drawn from them
FEATURE_STATEMENTS = 0.25

#: the names of the reflective calls (for the checker: a program using one is reflective)
REFLECTIVE_NAMES = ("eval", "exec", "getattr", "locals", "vars", "globals")


@dataclass(frozen=True)
class Program:
    seed: int
    source: str
    #: keyword dicts for f, each a point at which to compare gradients (arrays as tuples)
    argsets: tuple
    #: the kinds (names from FEATURES) mixed into this program; empty for the classic kind
    features: frozenset = frozenset()


@dataclass
class _Helper:
    name: str
    has_m: bool            # a third, integer parameter m=2 (a default)
    returns_tuple: bool


@dataclass
class _Scope:
    floats: list           # float-valued variables that may be read and assigned
    locals: list           # the subset that are not parameters (targets of +=, swaps)
    ints: list             # integer parameters (range bounds, conditions)
    bools: list            # boolean parameters
    helpers: list          # callable helpers (defined earlier in the module)
    has_list: bool         # the list ``hs`` exists (always non-empty)
    returns_tuple: bool = False
    loops: list = field(default_factory=list)   # (name, kind): kind "int", "index", "elem", "row"
    # -- the new kinds (all empty in classic programs and helpers) --
    features: frozenset = frozenset()
    shapes: dict = field(default_factory=dict)        # array variable -> its shape (fixed)
    array_targets: list = field(default_factory=list)  # array variables that may be assigned
    inactive: tuple = ()                              # arrays that start out as constants
    containers: dict = field(default_factory=dict)    # name -> [(accessor, type)] to read
    slots: dict = field(default_factory=dict)         # name -> [(accessor, type)] to assign
    pairs: str = ""                                   # "list" or "tuple": the pairs ``pr``


_SCALAR_LOOPS = ("int", "index", "elem")


def _base(e):
    """``e`` as the base of ``**`` (``-1.5 ** 2`` is -(1.5 ** 2))."""
    return f"({e})" if e.startswith("-") else e


class _FunctionGen:
    """Statements and expressions for the body of one function."""

    def __init__(self, rng, scope, budget):
        self.r = rng
        self.s = scope
        self.budget = budget   # statements left
        self.depth = 0
        self.in_loop = 0
        self.whiles = 0
        self.iterating = 0
        self.iterating_pairs = 0
        self.nest = 0          # reductions being generated inside one another

    # -- expressions ---------------------------------------------------------

    def const(self, lo=-1.5, hi=1.5):
        return repr(round(self.r.uniform(lo, hi), 2))

    def atom(self):
        if (self.s.shapes or self.s.containers) and self.nest < 2 \
                and self.r.random() < (0.3 if self.nest == 0 else 0.1):
            return self.feature_atom()
        r = self.r.random()
        loops = [(n, k) for n, k in self.s.loops if k in _SCALAR_LOOPS]
        if r < 0.55:
            return self.r.choice(self.s.floats)
        if r < 0.7 and loops:
            name, kind = self.r.choice(loops)
            if kind == "elem":
                return name
            if kind == "index" and self.r.random() < 0.6:
                return f"hs[{name}]"
            return f"(0.1 * {name})"
        if r < 0.8 and self.s.has_list:
            return self.r.choice(["hs[-1]", "hs[0]", "hs[len(hs) - 1]"])
        return self.const()

    def call(self, d):
        h = self.r.choice([h for h in self.s.helpers if not h.returns_tuple])
        return self.call_text(h, d)

    def call_text(self, h, d):
        p, q = self.expr(d + 1), self.expr(d + 1)
        extra = ""
        if h.has_m:
            choice = self.r.random()
            if choice < 0.4:
                extra = ""
            else:
                ints = self.s.ints + [n for n, k in self.s.loops if k in ("int", "index")]
                m = self.r.choice(ints + ["1", "3"])
                extra = f", m={m}" if choice < 0.7 else f", {m}"
        if self.r.random() < 0.2 and not extra.startswith(", "):
            return f"{h.name}(q={q}, p={p}{extra})"
        return f"{h.name}({p}, {q}{extra})"

    def expr(self, d=0):
        r = self.r.random()
        if d >= 2 or r < 0.25:
            return self.atom()
        e = lambda: self.expr(d + 1)  # noqa: E731
        if r < 0.40:
            return f"({e()} + {e()})"
        if r < 0.50:
            return f"({e()} - {e()})"
        if r < 0.63:
            return f"({e()} * {e()})"
        if r < 0.66:
            return f"({e()} / {self.r.choice(['2.0', '-3.0', '(1.5 + ' + _base(e()) + ' ** 2)'])})"
        if r < 0.69:
            return f"({_base(e())} ** {self.r.choice(['2', '3'])})"
        if r < 0.72:
            return f"(-{e()})"
        if r < 0.82:
            fn = self.r.choice(["np.sin", "np.cos", "np.tanh", "math.sin", "math.tanh", "math.cos"])
            return f"{fn}({e()})"
        if r < 0.86:
            return self.r.choice([f"np.exp(np.tanh({e()}))", f"np.sqrt(1.0 + {_base(e())} ** 2)",
                                  f"np.log(2.0 + np.sin({e()}))", f"math.exp(-{_base(e())} ** 2)"])
        if r < 0.90:
            fn = self.r.choice(["abs", "max", "min", "np.maximum", "np.minimum", "np.abs"])
            if fn in ("abs", "np.abs"):
                return f"{fn}({e()})"
            return f"{fn}({e()}, {e()})"
        if self.s.helpers and any(not h.returns_tuple for h in self.s.helpers):
            return self.call(d)
        return f"np.tanh({e()})"

    def cond(self):
        r = self.r.random()
        loop_ints = [n for n, k in self.s.loops if k in ("int", "index")]
        if loop_ints and r < 0.35:
            i = self.r.choice(loop_ints)
            return self.r.choice([f"{i} % 2 == 0", f"{i} > 1", f"{i} == 0", f"{i} < 2", f"{i} != 1"])
        if r < 0.6 and (self.s.ints or self.s.bools):
            options = []
            for b in self.s.bools:
                options += [b, f"not {b}"]
            for n in self.s.ints:
                options += [f"{n} > 1", f"{n} == 0", f"{n} % 2 == 1"]
            c = self.r.choice(options)
            if self.r.random() < 0.2:
                c = f"{c} {self.r.choice(['and', 'or'])} {self.data_cond()}"
            return c
        return self.data_cond()

    def data_cond(self):
        if self.s.shapes and self.r.random() < 0.25:
            return f"{self.reduction()} {self.r.choice(['>', '<'])} {self.const(-0.8, 0.8)}"
        v = self.r.choice(self.s.floats)
        if self.r.random() < 0.3:
            w = self.r.choice([f for f in self.s.floats if f != v] or [self.const()])
            return f"{v} {self.r.choice(['>', '<'])} {w}"
        return f"{v} {self.r.choice(['>', '<', '>='])} {self.const(-0.8, 0.8)}"

    # -- expressions of the new kinds ----------------------------------------

    def pick(self, table):
        """One entry of [(weight, value)], drawn by weight."""
        table = [(w, value) for w, value in table if w > 0]
        total = sum(w for w, _ in table)
        x = self.r.uniform(0, total)
        for w, value in table:
            x -= w
            if x <= 0:
                return value
        return table[-1][1]

    def scalar(self):
        """A short scalar expression, for the entries of arrays and the operands of reductions."""
        self.nest += 1
        try:
            return self.expr(1 if self.r.random() < 0.3 else 2)
        finally:
            self.nest -= 1

    def feature_atom(self):
        reads = [acc for acc, kind in self.container_reads() if kind == "f"]
        if self.s.shapes and (not reads or self.r.random() < 0.75):
            return self.reduction()
        return self.r.choice(reads)

    def container_reads(self):
        return [(f"{name}{acc}", kind) for name, accs in self.s.containers.items()
                for acc, kind in accs]

    def arrays_of(self, shape):
        """The array variables (and loop variables) of a shape."""
        names = [n for n, s in self.s.shapes.items() if s == shape]
        names += [n for n, k in self.s.loops if k == "row" and shape == (2,)]
        names += [acc for acc, kind in self.container_reads() if kind == shape]
        return names

    def reduction(self):
        """A number computed from an array."""
        self.nest += 1
        try:
            shapes = sorted(set(self.s.shapes.values()))
            shape = self.r.choice(shapes)
            a = self.aexpr(shape, 1) if self.r.random() < 0.4 else self.aatom(shape, 1)
            ints = [n for n, k in self.s.loops if k in ("int", "index")]
            if len(shape) == 1:
                n = shape[0]
                kind = self.pick([(3, "sum"), (2, "item"), (1, "dot"), (1, "matmul"), (1, "mean"),
                                  (0.5, "max"), (0.5, "min"), (0.7, "method"), (0.3, "prod"),
                                  (0.5, "sq"), (1 if ints else 0, "loop item")])
                if kind == "sum":
                    return f"np.sum({a})"
                if kind == "item":
                    return f"{a}[{self.r.choice(['0', '1', '-1', str(n - 1)])}]"
                if kind in ("dot", "matmul"):
                    b = self.aatom(shape, 1)
                    return f"np.dot({a}, {b})" if kind == "dot" else f"({a} @ {b})"
                if kind in ("mean", "max", "min", "prod"):
                    return f"np.{kind}({a})"
                if kind == "method":
                    return f"{a}.{self.r.choice(['sum', 'mean'])}()"
                if kind == "sq":
                    return f"np.sum({_base(a)} ** 2)"
                return f"{a}[{self.r.choice(ints)} % {n}]"
            kind = self.pick([(2, "sum"), (1, "item"), (1, "row item"), (1, "trace"), (1, "matvec"),
                              (0.5, "det"), (0.5, "method")])
            if kind == "sum":
                return f"np.sum({a})"
            if kind == "item":
                return f"{a}[{self.r.choice(['0, 1', '1, 0', '1, 1', '0, 0', '-1, 0'])}]"
            if kind == "row item":
                return f"{a}[{self.r.choice(['0', '1'])}][{self.r.choice(['0', '1'])}]"
            if kind == "trace":
                return f"np.trace({a})"
            if kind == "matvec":
                return f"np.sum({a} @ {self.aatom((2,), 2)})"
            if kind == "det":
                return f"np.linalg.det({a})"
            return f"{a}.sum()"
        finally:
            self.nest -= 1

    def aatom(self, shape, d=0):
        """An array of ``shape``: a variable, or one made from numbers or other arrays."""
        names = self.arrays_of(shape)
        if names and (d >= 3 or self.r.random() < 0.55):
            return self.r.choice(names)
        stack = "stack" in self.s.features and d < 2
        if shape == (3,):
            table = [(1, "ones"), (1, "arange"), (1, "array"), (0.5, "consts")]
            if stack:
                table += [(0.4, "r_ 2+1"), (0.3, "r_ 1+1+1"), (1, "concatenate"), (0.5, "hstack"),
                          (0.7, "stack numbers"), (0.7, "stack row"), (0.3, "c_ matvec"),
                          (0.5, "array of arrays")]
            kind = self.pick(table)
            if kind == "ones":
                return "np.ones(3)"
            if kind == "arange":
                return "np.arange(3.0)"
            if kind == "array":
                return f"np.array([{self.scalar()}, {self.scalar()}, {self.scalar()}])"
            if kind == "consts":
                return f"np.array([{self.const()}, {self.const()}, {self.const()}])"
            if kind == "r_ 2+1":
                two, one = self.aatom((2,), d + 1), self.scalar()
                return f"np.r_[{two}, {one}]" if self.r.random() < 0.5 else f"np.r_[{one}, {two}]"
            if kind == "r_ 1+1+1":
                return f"np.r_[{self.scalar()}, {self.scalar()}, {self.scalar()}]"
            if kind == "concatenate":
                a3 = self.aatom((3,), d + 1)
                two = self.aatom((2,), d + 1)
                parts = self.r.choice([f"[{two}, {a3}[:1]]", f"[{a3}[:1], {two}]",
                                       f"({a3}[:2], {a3}[2:])", f"[{two}, np.array([{self.scalar()}])]"])
                return f"np.concatenate({parts})"
            if kind == "hstack":
                a3 = self.aatom((3,), d + 1)
                return f"np.hstack([{a3}[:1], {self.aatom((2,), d + 1)}])"
            if kind == "stack numbers":
                return f"np.stack([{self.scalar()}, {self.scalar()}, {self.scalar()}])"
            if kind == "stack row":
                a, b = self.aatom((3,), d + 1), self.aatom((3,), d + 1)
                axis, row = self.r.choice(['', ', axis=0']), self.r.choice(['0', '1', '-1'])
                return f"np.stack([{a}, {b}]{axis})[{row}]"
            if kind == "c_ matvec":
                a, b = self.aatom((3,), d + 1), self.aatom((3,), d + 1)
                return f"(np.c_[{a}, {b}] @ np.array([{self.scalar()}, {self.scalar()}]))"
            a, b = self.aatom((3,), d + 1), self.aatom((3,), d + 1)
            return f"np.array([{a}, {b}])[{self.r.choice(['0', '1'])}]"
        if shape == (2,):
            table = [(1.5, "slice"), (1, "array"), (0.5, "ones")]
            if stack:
                table += [(1, "matvec"), (0.7, "row"), (0.7, "column"), (0.2, "r_")]
            kind = self.pick(table)
            if kind == "slice":
                a3 = self.aatom((3,), d + 1)
                return f"{a3}[{self.r.choice(['1:', ':2', '::2', '-2:', '1:3'])}]"
            if kind == "array":
                return f"np.array([{self.scalar()}, {self.scalar()}])"
            if kind == "ones":
                return self.r.choice(["np.ones(2)", "np.arange(2.0)"])
            if kind == "matvec":
                return f"({self.aatom((2, 2), d + 1)} @ {self.aatom((2,), d + 1)})"
            if kind == "row":
                return f"{self.aatom((2, 2), d + 1)}[{self.r.choice(['0', '1'])}]"
            if kind == "column":
                return f"{self.aatom((2, 2), d + 1)}[:, {self.r.choice(['0', '1'])}]"
            return f"np.r_[{self.scalar()}, {self.scalar()}]"
        # (2, 2)
        kind = self.pick([(1.5, "nested"), (1.5, "rotation"), (1, "stack"), (0.4, "c_"), (0.7, "outer"),
                          (0.5, "eye"), (0.5, "diag"), (0.7, "array of arrays")])
        if kind == "nested":
            return (f"np.array([[{self.scalar()}, {self.scalar()}], "
                    f"[{self.scalar()}, {self.scalar()}]])")
        if kind == "rotation":
            cs, sn = self.r.sample(self.s.floats, 2)
            if self.r.random() < 0.5:
                cs, sn = f"np.cos({cs})", f"np.sin({cs})"
            return f"np.array([[{cs}, -{sn}], [{sn}, {cs}]])"
        if kind == "eye":
            return f"(np.eye(2) * {self.scalar()})"
        a, b = self.aatom((2,), d + 1), self.aatom((2,), d + 1)
        if kind == "stack":
            return f"np.stack([{a}, {b}]{self.r.choice(['', ', axis=1'])})"
        if kind == "c_":
            return f"np.c_[{a}, {b}]"
        if kind == "outer":
            return f"np.outer({a}, {b})"
        if kind == "diag":
            return f"np.diag({a})"
        return f"np.array([{a}, {b}])"

    def view(self, a, shape):
        if len(shape) == 1:
            n = shape[0]
            return self.pick([(1, f"{a}.T"), (1, f"{a}.reshape({n})"), (1, f"np.ravel({a})"),
                              (1, f"{a}[::-1]"), (1, f"np.asarray({a})"), (0.5, f"np.array({a})"),
                              (0.3, f"{a}.copy()"), (0.7, f"{a}[:]")])
        return self.pick([(1, f"{a}.T"), (1, f"{a}.reshape(2, 2)"), (1, f"np.asarray({a})"),
                          (1, f"{a}[::-1]"), (1, f"np.transpose({a})"), (0.3, f"{a}.copy()")])

    def aexpr(self, shape, d=0):
        """An array expression of ``shape``."""
        r = self.r.random()
        if d >= 2 or r < 0.3:
            return self.aatom(shape, d)
        e = lambda: self.aexpr(shape, d + 1)
        if r < 0.42:
            return f"({e()} + {e()})"
        if r < 0.48:
            return f"({e()} - {e()})"
        if r < 0.56:
            return f"({e()} * {e()})"
        if r < 0.66:
            a, s = e(), self.scalar()
            return self.r.choice([f"({s} * {a})", f"({a} * {s})", f"({a} + {s})", f"({s} - {a})"])
        if r < 0.69:
            return f"({e()} / {self.r.choice(['2.0', '(1.5 + ' + _base(e()) + ' ** 2)'])})"
        if r < 0.72:
            return f"({_base(e())} ** 2)"
        if r < 0.74:
            return f"(-{e()})"
        if r < 0.84:
            return self.r.choice([f"np.sin({e()})", f"np.cos({e()})", f"np.tanh({e()})",
                                  f"np.exp(np.tanh({e()}))", f"np.sqrt(1.0 + {_base(e())} ** 2)"])
        if r < 0.89:
            kind = self.r.choice(["abs", "maximum", "minimum", "where"])
            if kind == "abs":
                return f"np.abs({e()})"
            if kind == "maximum":
                return f"np.maximum({e()}, {self.scalar()})"
            if kind == "minimum":
                return f"np.minimum({e()}, {e()})"
            return f"np.where({e()} > {self.const(-0.5, 0.5)}, {e()}, {e()})"
        if r < 0.96 or len(shape) == 1 and "stack" not in self.s.features:
            return self.view(e(), shape)
        if shape == (2, 2):
            return self.r.choice([f"({e()} @ {e()})", f"{e()}.T"])
        if shape == (2,):
            return f"({self.aexpr((2, 2), d + 1)} @ {e()})"
        return f"np.r_[{self.aexpr((2,), d + 1)}, {self.scalar()}]"

    def inactive_aexpr(self, shape):
        """An array of ``shape`` computed from constants and inactive arrays only."""
        if shape == (3,):
            return self.r.choice(["np.ones(3)", "np.arange(3.0)", "(g * 0.5)", "np.cos(g)",
                                  f"(g + {self.const()})", f"np.array([{self.const()}, {self.const()}, 2.0])",
                                  "(0.5 * n0 + np.arange(3.0))", "g[::-1]"])
        if shape == (2,):
            return self.r.choice(["g[1:]", "(g[:2] * 2.0)", "np.ones(2)", f"np.array([{self.const()}, 1.0])"])
        return self.r.choice(["np.eye(2)", "np.outer(g[:2], g[1:])",
                              f"np.array([[1.0, {self.const()}], [0.5, 2.0]])"])

    def inactive_scalar(self):
        return self.r.choice([self.const(), "g[0]", "(0.5 * n0)", "g[-1]", "np.sum(g)", "(k0 - 1.0)"])

    # -- statements ----------------------------------------------------------

    def ret(self):
        if self.s.returns_tuple:
            return f"return {self.expr()}, {self.expr()}"
        return f"return {self.expr()}"

    def block(self, ind, n):
        lines = []
        for _ in range(n):
            new = self.stmt(ind)
            lines += new
            last = new[-1].strip()
            if last in ("break", "continue") or last.startswith("return"):
                break
        return lines or [ind + "pass"]

    def stmt(self, ind):
        self.budget -= 1
        if self.s.features and self.r.random() < FEATURE_STATEMENTS:
            new = self.feature_stmt(ind)
            if new:
                return new
        r = self.r.random()
        if self.depth >= MAX_DEPTH or self.budget <= 0:
            r *= 0.47   # simple statements only
        v = self.r.choice(self.s.floats if self.r.random() < 0.3 else self.s.locals)
        if r < 0.26:
            return [f"{ind}{v} = {self.expr()}"]
        if r < 0.30:
            v = self.r.choice(self.s.locals)
            op = self.r.choice(["+=", "-=", "*="])
            e = self.expr() if op != "*=" else f"np.tanh({self.expr()})"
            return [f"{ind}{v} {op} {e}"]
        if r < 0.32:
            v, w = self.r.sample(self.s.locals, 2)
            return [f"{ind}{v}, {w} = {w}, {v}"]
        if r < 0.35:
            tup = [h for h in self.s.helpers if h.returns_tuple]
            if tup:
                w = self.r.choice([f for f in self.s.floats if f != v])
                return [f"{ind}{v}, {w} = {self.call_text(self.r.choice(tup), 0)}"]
            return [f"{ind}{v} = {v} * {self.expr()}"]
        if r < 0.39 and self.s.has_list and not self.iterating:
            return [f"{ind}hs.append({self.expr()})"]
        if r < 0.42 and self.s.has_list:
            return [f"{ind}{v} = {v} + {self.r.choice(['hs[-1]', 'hs[0]', 'hs[len(hs) // 2]'])} * 0.5"]
        if r < 0.445 and self.in_loop:
            return [f"{ind}{self.r.choice(['break', 'continue'])}"]
        if r < 0.47:
            return [f"{ind}{self.ret()}"]
        self.depth += 1
        try:
            if r < 0.66:
                return self.if_stmt(ind)
            if r < 0.87:
                return self.for_stmt(ind)
            return self.while_stmt(ind)
        finally:
            self.depth -= 1

    def if_stmt(self, ind):
        lines = [f"{ind}if {self.cond()}:"] + self.block(ind + "    ", self.r.randint(1, 3))
        if self.r.random() < 0.2:
            lines += [f"{ind}elif {self.cond()}:"] + self.block(ind + "    ", self.r.randint(1, 2))
        if self.r.random() < 0.5:
            lines += [f"{ind}else:"] + self.block(ind + "    ", self.r.randint(1, 3))
        return lines

    def loop_name(self):
        return LOOP_NAMES[len([1 for n, k in self.s.loops if k != "elem"])] \
            if len(self.s.loops) < len(LOOP_NAMES) else f"i{len(self.s.loops)}"

    def for_stmt(self, ind):
        name = self.loop_name()
        r = self.r.random()
        kind = "int"
        outer = [n for n, k in self.s.loops if k in ("int", "index")]
        if r < 0.15 and self.s.has_list:
            kind = "index"
            header = f"for {name} in range(len(hs)):"
        elif r < 0.25 and self.s.has_list:
            kind = "elem"
            name = "u" + str(len(self.s.loops))
            header = f"for {name} in hs:"
        elif r < 0.4 and outer:
            header = f"for {name} in range({self.r.choice(outer)}):"
        else:
            bound = self.r.choice(self.s.ints + ["3", "2", "0", "1"])
            start = self.r.choice(["", "", "", "1, "])
            header = f"for {name} in range({start}{bound}):"
        self.s.loops.append((name, kind))
        self.in_loop += 1
        self.iterating += kind == "elem"   # appending to the list iterated over never ends
        body = self.block(ind + "    ", self.r.randint(1, 4))
        self.iterating -= kind == "elem"
        self.in_loop -= 1
        self.s.loops.pop()
        return [f"{ind}{header}"] + body

    def while_stmt(self, ind):
        counter = f"w{self.whiles}"
        self.whiles += 1
        limit = self.r.choice(self.s.ints + ["2", "3"])
        test = f"{counter} < {limit}"
        if self.r.random() < 0.4:
            test = f"{counter} < 4 and {self.data_cond()}"
        self.s.loops.append((counter, "int"))
        self.in_loop += 1
        body = self.block(ind + "    ", self.r.randint(1, 4))
        self.in_loop -= 1
        self.s.loops.pop()
        return [f"{ind}{counter} = 0", f"{ind}while {test}:", f"{ind}    {counter} += 1"] + body

    # -- statements of the new kinds -----------------------------------------

    def feature_stmt(self, ind):
        """A statement of one of the program's new kinds, or None."""
        f = self.s.features
        compound = self.depth < MAX_DEPTH and self.budget > 0
        arrays = bool(self.s.shapes)
        table = []
        if arrays:
            table += [(3, self.array_assign), (1, self.array_update)]
            if compound:
                table.append((1, self.array_loop))
        if "alias" in f:
            if arrays:
                table += [(3, self.in_place), (2, self.item_assign), (0.6, self.fill), (1.5, self.rebind)]
                if compound:
                    table.append((1.2, self.mutating_loop))
            table.append((0.7, self.number_alias))
        # (a list built inside a loop is refused: mostly rebuilt outside loops)
        rebuild = 1 if not self.in_loop else 0.2
        if self.s.containers:
            table += [(rebuild, self.rebuild_container), (1.2, self.container_item), (0.5, self.unpack)]
        if self.s.pairs:
            table += [(0.5 * rebuild, self.rebuild_pairs)]
            if not self.iterating_pairs:
                table.append((0.5, self.append_pair))
            if compound:
                table.append((2, self.pair_loop))
        if self.in_loop and ("stack" in f or "containers" in f):
            table.append((0.8, self.list_in_loop))
        if "reflection" in f:
            table.append((0.3, self.reflection))
        if not table:
            return None
        return self.pick(table)(ind)

    def array_target(self, shapes=None):
        names = [n for n in self.s.array_targets if shapes is None or self.s.shapes[n] in shapes]
        return self.r.choice(names) if names else None

    def array_value(self, target):
        shape = self.s.shapes[target]
        if target in self.s.inactive and self.r.random() < 0.6:
            return self.inactive_aexpr(shape)
        return self.aexpr(shape)

    def array_assign(self, ind):
        target = self.array_target()
        return [f"{ind}{target} = {self.array_value(target)}"]

    def array_update(self, ind):
        target = self.array_target()
        shape = self.s.shapes[target]
        op = self.r.choice(["+", "-", "*"])
        value = self.aexpr(shape, 1) if op != "*" else f"np.tanh({self.aexpr(shape, 1)})"
        return [f"{ind}{target} = {target} {op} {value}"]

    def loop(self, ind, header, loop_vars, first=(), pairs=False, hs=False):
        """A ``for`` loop with a random body (``first`` is put at its top)."""
        self.depth += 1
        self.s.loops.extend(loop_vars)
        self.in_loop += 1
        self.iterating_pairs += pairs
        self.iterating += hs
        try:
            body = self.block(ind + "    ", self.r.randint(1, 3))
        finally:
            self.iterating -= hs
            self.iterating_pairs -= pairs
            self.in_loop -= 1
            del self.s.loops[len(self.s.loops) - len(loop_vars):]
            self.depth -= 1
        return [f"{ind}{header}"] + [ind + "    " + line for line in first] + body

    def one_d(self):
        return [n for n, s in self.s.shapes.items() if len(s) == 1]

    def array_loop(self, ind):
        elem = f"e{len(self.s.loops)}"
        kind = self.pick([(2, "elements"), (1, "zip"), (1, "enumerate"),
                          (1 if "m" in self.s.shapes else 0, "rows")])
        a = self.r.choice(self.one_d())
        if kind == "elements":
            source = a if self.r.random() < 0.7 else self.view(a, self.s.shapes[a])
            return self.loop(ind, f"for {elem} in {source}:", [(elem, "elem")])
        if kind == "zip":
            b = self.r.choice([n for n in self.one_d() if n != a] or [a])
            other = f"q{len(self.s.loops)}"
            return self.loop(ind, f"for {elem}, {other} in zip({a}, {b}):",
                             [(elem, "elem"), (other, "elem")])
        if kind == "enumerate":
            i = self.loop_name()
            return self.loop(ind, f"for {i}, {elem} in enumerate({a}):", [(i, "int"), (elem, "elem")])
        row = f"r{len(self.s.loops)}"
        return self.loop(ind, f"for {row} in m:", [(row, "row")])

    def in_place(self, ind, target=None):
        target = target or self.array_target()
        shape = self.s.shapes[target]
        op = self.r.choice(["+=", "-=", "*=", "/="])
        inactive = target in self.s.inactive and self.r.random() < 0.5
        if op == "/=":
            value = self.r.choice(["2.0", "-4.0", f"(1.5 + {_base(self.scalar())} ** 2)"])
        elif self.r.random() < 0.35:
            value = self.inactive_scalar() if inactive else self.scalar()
        else:
            value = self.inactive_aexpr(shape) if inactive else self.aexpr(shape, 1)
        if op == "*=" and not inactive:
            value = f"np.tanh({value})"
        return [f"{ind}{target} {op} {value}"]

    def item_assign(self, ind, target=None):
        target = target or self.array_target()
        shape = self.s.shapes[target]
        inactive = target in self.s.inactive and self.r.random() < 0.5
        s = self.inactive_scalar() if inactive else self.scalar()
        ints = [n for n, k in self.s.loops if k in ("int", "index")]
        if len(shape) == 2:
            kind = self.r.choice(["item", "row", "column", "row +="])
            if kind == "item":
                return [f"{ind}{target}[{self.r.choice(['0, 1', '1, 0', '1, 1'])}] = {s}"]
            row = self.inactive_aexpr((2,)) if inactive else self.aexpr((2,), 1)
            if kind == "row":
                return [f"{ind}{target}[{self.r.choice(['0', '1'])}] = {row}"]
            if kind == "column":
                return [f"{ind}{target}[:, {self.r.choice(['0', '1'])}] = {row}"]
            return [f"{ind}{target}[{self.r.choice(['0', '1'])}] += {row}"]
        n = shape[0]
        kind = self.pick([(2, "item"), (1, "item op"), (1, "slice"), (0.7, "all"), (0.3, "reversed"),
                          (1 if ints else 0, "loop item")])
        if kind == "item":
            return [f"{ind}{target}[{self.r.choice(['0', '1', '-1'])}] = {s}"]
        if kind == "item op":
            return [f"{ind}{target}[{self.r.choice(['0', '1', '-1'])}] {self.r.choice(['+=', '*='])} {s}"]
        if kind == "loop item":
            return [f"{ind}{target}[{self.r.choice(ints)} % {n}] = {s}"]
        if kind == "slice":
            if n == 3:
                part = self.r.choice(["1:", ":2"])
                value = self.inactive_aexpr((2,)) if inactive else self.aexpr((2,), 1)
                return [f"{ind}{target}[{part}] = {self.r.choice([value, s])}"]
            return [f"{ind}{target}[1:] = {s}"]
        if kind == "all":
            value = self.inactive_aexpr(shape) if inactive else self.aexpr(shape, 1)
            return [f"{ind}{target}[{self.r.choice([':', '...'])}] = {value}"]
        return [f"{ind}{target}[:] = {target}[::-1]"]

    def fill(self, ind):
        target = self.array_target()
        shape = self.s.shapes[target]
        inactive = target in self.s.inactive and self.r.random() < 0.5
        if self.r.random() < 0.5:
            return [f"{ind}{target}.fill({self.inactive_scalar() if inactive else self.scalar()})"]
        value = self.inactive_aexpr(shape) if inactive else self.aexpr(shape, 1)
        return [f"{ind}np.copyto({target}, {value})"]

    def rebind(self, ind):
        """A variable made to share its array with another (an alias or a view)."""
        targets = [n for n in ("w", "t", "m", "u", "z") if n in self.s.array_targets]
        target = self.r.choice(targets)
        shape = self.s.shapes[target]
        if shape == (3,):
            a = self.r.choice(self.arrays_of((3,)))
            value = self.r.choice([a, a, f"np.asarray({a})", f"{a}.T", f"{a}.reshape(3)",
                                   f"np.ravel({a})", f"{a}[::-1]", f"{a}[:]"])
        elif shape == (2,):
            sources = [f"{a}[{self.r.choice(['1:', ':2', '::2'])}]" for a in self.arrays_of((3,))]
            if "m" in self.s.shapes:
                sources += ["m[0]", "m[:, 1]", "m.T[0]"]
            value = self.r.choice(sources)
        else:
            value = self.r.choice(["m.T", "np.asarray(m)", "m[::-1]", "m.reshape(2, 2)"])
        return [f"{ind}{target} = {value}"]

    def mutating_loop(self, ind):
        """A loop over an array that changes the array (or a row of it) as it goes."""
        elem = f"e{len(self.s.loops)}"
        if "m" in self.s.shapes and self.r.random() < 0.25:
            row = f"r{len(self.s.loops)}"
            first = self.r.choice([self.item_assign("", "m"), self.in_place("", "m")])
            return self.loop(ind, f"for {row} in m:", [(row, "row")], first=first)
        a = self.r.choice([n for n in self.one_d() if n in self.s.array_targets or n in ("v", "g")])
        first = self.r.choice([self.item_assign, self.in_place, self.item_assign])("", a)
        return self.loop(ind, f"for {elem} in {a}:", [(elem, "elem")], first=first)

    def number_alias(self, ind):
        source = self.r.choice([n for n in self.s.floats if n != "d"])
        if self.r.random() < 0.6:
            return [f"{ind}d = np.asarray({source})"]
        return [f"{ind}d {self.r.choice(['+=', '*='])} {self.scalar()}"]

    def container_value(self, kind):
        if kind == "f":
            return self.scalar()
        if isinstance(kind, tuple) and kind and kind[0] == "pair":
            return f"({self.scalar()}, {self.scalar()})"
        if self.r.random() < 0.5:
            return self.r.choice(self.arrays_of(kind))   # the same array, not a copy
        return self.aexpr(kind, 1)

    def list_in_loop(self, ind):
        """A list of values made, changed and used up inside one iteration of a loop."""
        row = f"row{len(self.s.loops)}"
        target = self.r.choice(self.s.locals)
        lines = [f"{ind}{row} = [{self.scalar()}]", f"{ind}{row}.append({self.scalar()})"]
        if self.r.random() < 0.4:
            lines.append(f"{ind}{row}[{self.r.choice([0, 1, -1])}] = {self.scalar()}")
        if self.r.random() < 0.3:
            lines.append(f"{ind}{row}[0] += {self.scalar()}")
        use = self.pick([(1, f"{row}[0] * {row}[-1]"), (1, f"sum({row})"),
                         (1, f"max({row}[0], {row}[1])")])
        return lines + [f"{ind}{target} = {target} + {use}"]

    def rebuild_container(self, ind):
        name = self.r.choice(sorted(self.s.containers))
        return [f"{ind}{name} = {_BUILDERS[name](self)}"]

    def container_item(self, ind):
        slots = [(f"{name}{acc}", kind) for name, accs in self.s.slots.items() for acc, kind in accs]
        if not slots:
            return self.rebuild_container(ind)
        target, kind = self.r.choice(slots)
        if kind != "f" and not (isinstance(kind, tuple) and kind[0] == "pair") and self.r.random() < 0.4:
            return [f"{ind}{target} {self.r.choice(['+=', '*='])} {self.scalar()}"]   # in place
        if kind == "f" and self.r.random() < 0.3:
            return [f"{ind}{target} += {self.scalar()}"]
        return [f"{ind}{target} = {self.container_value(kind)}"]

    def unpack(self, ind):
        if "tp" in self.s.containers:
            a, b = self.r.sample(self.s.locals, 2)
            return [f"{ind}{a}, {b} = tp"]
        if "ls" in self.s.containers and "u" in self.s.shapes:
            return [f"{ind}{self.r.choice(self.s.locals)}, u = ls"]
        reads = [acc for acc, kind in self.container_reads() if kind == "f"]
        return [f"{ind}{self.r.choice(self.s.locals)} = {self.r.choice(reads)}"]

    def pairs_literal(self, n):
        pairs = ", ".join(f"({self.scalar()}, {self.scalar()})" for _ in range(n))
        return f"[{pairs}]" if self.s.pairs == "list" else f"({pairs},)"

    def rebuild_pairs(self, ind):
        if self.r.random() < 0.5:
            extra = f"[({self.scalar()}, {self.scalar()})]" if self.s.pairs == "list" \
                else f"(({self.scalar()}, {self.scalar()}),)"
            return [f"{ind}pr = pr + {extra}"] if not self.iterating_pairs else \
                [f"{ind}pr = {self.pairs_literal(2)}"]
        return [f"{ind}pr = {self.pairs_literal(self.r.choice([1, 2, 3]))}"]

    def append_pair(self, ind):
        if self.s.pairs == "list":
            return [f"{ind}pr.append(({self.scalar()}, {self.scalar()}))"]
        return [f"{ind}pr = pr + (({self.scalar()}, {self.scalar()}),)"]

    def pair_loop(self, ind):
        n = len(self.s.loops)
        p, q = f"p{n}", f"q{n}"
        kind = self.pick([(3, "pr"), (1, "parenthesised"), (0.4, "literal"), (1, "reversed"),
                          (1, "enumerate"), (0.7, "zip hs")])
        if kind == "literal":
            return self.loop(ind, f"for {p}, {q} in {self.pairs_literal(2)}:", [(p, "elem"), (q, "elem")])
        if kind == "zip hs":
            return self.loop(ind, f"for {p}, {q} in zip(hs, hs[1:]):", [(p, "elem"), (q, "elem")], hs=True)
        if kind == "enumerate":
            i = self.loop_name()
            return self.loop(ind, f"for {i}, ({p}, {q}) in enumerate(pr):",
                             [(i, "int"), (p, "elem"), (q, "elem")], pairs=True)
        source = "pr[::-1]" if kind == "reversed" else "pr"
        target = f"({p}, {q})" if kind == "parenthesised" else f"{p}, {q}"
        return self.loop(ind, f"for {target} in {source}:", [(p, "elem"), (q, "elem")], pairs=True)

    def reflection(self, ind):
        v = self.r.choice([n for n in self.s.locals if n != "d"])
        w, w2 = self.r.sample([n for n in self.s.floats if n != "d"], 2)
        forms = [f'{v} = eval("{w} * 1.5 + {w2}")', f'{v} = eval("np.sin({w})") + {v}',
                 f'{v} = getattr(np, "sin")({w})', f'{v} = getattr(np, "ta" + "nh")({w}) * {w2}',
                 f'{v} = getattr(math, "cos")({w}) * {v}', f'{v} = locals()["{w}"] * 2.0',
                 f'{v} = vars()["{w}"] + {v}', f'{v} = globals()["np"].cos({w})',
                 f'exec("{v} = {w} * 2.0")', f'{v} = {v} + len(locals()) * 0.125',
                 f'{v} = eval("{v} + {w} ** 2", globals(), locals())']
        if "u" in self.s.shapes:
            forms += [f'{v} = getattr(u, "sum")()', f'{v} = eval("np.sum(u * {w})")',
                      f'{v} = vars()["u"][0] * {w}']
        return [f"{ind}{self.r.choice(forms)}"]


def _tp(gen):
    return f"({gen.scalar()}, {gen.scalar()})"


def _ls(gen):
    if "u" in gen.s.shapes:
        return f"[{gen.scalar()}, {gen.container_value((3,))}]"
    return f"[{gen.scalar()}, {gen.scalar()}]"


def _dc(gen):
    if "u" in gen.s.shapes:
        return f'{{"s": ({gen.scalar()}, {gen.scalar()}), "u": {gen.container_value((3,))}}}'
    return f'{{"a": {gen.scalar()}, "b": {gen.scalar()}}}'


#: the containers a program may build: name -> how to build one (same layout every time)
_BUILDERS = {"tp": _tp, "ls": _ls, "dc": _dc}


def _container_layout(name, arrays):
    """([(accessor, type)] to read, [(accessor, type)] to assign) of a container."""
    if name == "tp":
        return [("[0]", "f"), ("[1]", "f"), ("[-1]", "f")], []
    if name == "ls":
        if arrays:
            return [("[0]", "f"), ("[1]", (3,)), ("[-1]", (3,))], [("[0]", "f"), ("[1]", (3,))]
        return [("[0]", "f"), ("[1]", "f"), ("[-1]", "f")], [("[0]", "f"), ("[1]", "f")]
    if arrays:
        return [('["s"][0]', "f"), ('["s"][1]', "f"), ('["u"]', (3,))], \
            [('["s"]', ("pair",)), ('["u"]', (3,))]
    return [('["a"]', "f"), ('["b"]', "f")], [('["a"]', "f"), ('["b"]', "f")]


def _helper(rng, index, helpers):
    h = _Helper(f"h{index}", has_m=rng.random() < 0.4, returns_tuple=rng.random() < 0.25)
    params = "p, q, m=2" if h.has_m else "p, q"
    scope = _Scope(floats=["p", "q", "r", "s"], locals=["r", "s"], ints=["m"] if h.has_m else [], bools=[],
                   helpers=list(helpers), has_list=False, returns_tuple=h.returns_tuple)
    gen = _FunctionGen(rng, scope, budget=rng.randint(2, 7))
    body = ["    " + rng.choice(["r = p * q", "r = p + 0.5", "r = np.sin(q)", "r = 0.25"]),
            "    " + rng.choice(["s = q", "s = q * 1.0", "s = 0.5"])]
    body += gen.block("    ", rng.randint(1, 4))
    if not body[-1].startswith("    return"):   # a return at the top level of the body
        body.append("    " + gen.ret())
    return h, [f"def {h.name}({params}):"] + body


def _feature_setup(rng, gen, features):
    """The first statements of a program with new kinds; fills in the scope."""
    s = gen.s
    lines = []
    alias = "alias" in features
    if "arrays" in features:
        s.shapes.update({"v": (3,), "g": (3,)})
        lines.append("u = " + rng.choice(["v * 1.0", "np.sin(v)", "v + x", "v * y", "np.array(v)"]
                                         + (["v", "np.asarray(v)", "v.T"] if alias else [])))
        s.shapes["u"] = (3,)
        lines.append("z = " + rng.choice(["np.ones(3)", "np.arange(3.0)", "np.array([0.5, -1.0, 2.0])",
                                          "g * 0.5", "np.zeros(3)", "g.copy()"]
                                         + (["g", "np.asarray(g)", "g[::-1]"] if alias else [])))
        s.shapes["z"] = (3,)
        s.inactive = ("g", "z")
        s.array_targets = ["u", "u", "z", "v"]
        if alias:
            lines.append("w = " + rng.choice(["u", "v", "z", "np.asarray(u)", "v.reshape(3)", "np.ravel(v)",
                                              "u[::-1]", "v[:]"]))
            lines.append("t = " + rng.choice(["u[1:]", "v[:2]", "z[1:]", "v[::2]", "u[-2:]"]))
            s.shapes.update({"w": (3,), "t": (2,)})
            s.array_targets += ["w", "t", "g"]
        if "stack" in features:
            lines.append("m = " + gen.aatom((2, 2), 1))
            s.shapes["m"] = (2, 2)
            s.array_targets.append("m")
    if alias:
        lines.append("d = np.asarray(" + rng.choice(["c", "a", "x", "c * 1.0"]) + ")")
        s.floats.append("d")
        s.locals.append("d")
    if "containers" in features:
        arrays = "u" in s.shapes
        for name, odds in (("tp", 0.6), ("ls", 0.6), ("dc", 0.35)):
            if rng.random() < odds:
                lines.append(f"{name} = {_BUILDERS[name](gen)}")
                s.containers[name], slots = _container_layout(name, arrays)
                if slots:
                    s.slots[name] = slots
        if not s.containers:
            lines.append(f"ls = {_ls(gen)}")
            s.containers["ls"], s.slots["ls"] = _container_layout("ls", arrays)
    if "pairs" in features:
        s.pairs = rng.choice(["list", "list", "tuple"])
        lines.append(f"pr = {gen.pairs_literal(rng.choice([2, 2, 3]))}")
    return ["    " + line for line in lines]


def _main(rng, helpers, features=frozenset(), seed=0):
    arrays = "arrays" in features
    scope = _Scope(floats=["a", "b", "c", "x", "y"], locals=["a", "b", "c"], ints=["n0", "k0"], bools=["flag"],
                   helpers=helpers, has_list=True, features=features)
    gen = _FunctionGen(rng, scope, budget=rng.randint(6, 22))
    body = [
        "    a = " + rng.choice(["x", "x + 0.0", "x * 1.0", "np.sin(x)"]),
        "    b = " + rng.choice(["y", "y * 1.0", "y - 0.25"]),
        "    c = " + rng.choice(["0.5", "x * y", "1.0 - y"]),
        "    hs = " + rng.choice(["[x]", "[x, y]", "[a]", "[0.5, b]"]),
    ]
    if features:
        body += _feature_setup(rng, gen, features)
    start = len(body)
    body += gen.block("    ", rng.randint(2, 6))
    if not body[-1].startswith("    return"):   # a return at the top level of the body
        ret = "    " + gen.ret()
        if arrays and rng.random() < 0.6:   # the arrays' values reach the result
            ret += f" + {gen.reduction()}"
        body.append(ret)
    if "reflection" in features:
        # at least one reflective statement, at the top level
        places = [i for i in range(start, len(body))
                  if body[i].startswith("    ") and not body[i].startswith("     ")
                  and not body[i].lstrip().startswith(("elif", "else"))]
        body.insert(rng.choice(places), "    " + gen.reflection("").pop().strip())
    if "rows" in features:
        places = [i for i in range(start, len(body))
                  if body[i].startswith("    ") and not body[i].startswith("     ")
                  and not body[i].lstrip().startswith(("elif", "else"))]
        rows_rng = random.Random(f"{seed}:rows block")
        at = rows_rng.choice(places)
        body[at:at] = _rows_block(rows_rng, scope)
    params = ARRAY_PARAMS if arrays else PARAMS
    return [f"def f({', '.join(params)}):"] + body


def _rows_block(rng, scope):
    """The top-level statements of a ``rows`` block (see the module's docstring): lists
    made in loops and passed on, lists of lists, read back into one of a, b, c."""
    gen = _FunctionGen(rng, scope, budget=0)
    target = rng.choice(scope.locals[:3])
    n = rng.choice(["n0", "k0", "2", "3"])

    def mix(u, w):
        return rng.choice([f"{u} * {gen.scalar()}", f"np.sin({u}) + {w} * 0.5",
                           f"np.tanh({u} + {w})", f"({u} - {w}) * 0.7 + {gen.scalar()}",
                           f"{u} * {w} * 0.5"])

    def fold(seq):
        """A number from the list ``seq`` (which may be empty where noted by the caller)."""
        return rng.choice([f"sum({seq})", f"np.sum(np.array({seq}))", f"{seq}[0] * {seq}[-1]",
                           f"np.sum(np.tanh(np.asarray({seq})))"])

    kind = rng.choice(["rolling", "table", "last", "carried table"])
    if kind == "rolling":   # two rows of dynamic programming
        first = rng.choice([f"[{gen.scalar()}, {gen.scalar()}]", "[0.5] * 2", "[0.0] + [1.0]",
                            "(0.25, -0.5)"])   # (a constant before the loop, lists after)
        lines = [f"prev = {first}",
                 f"for i in range({n}):",
                 "    cur = []",
                 "    for j in range(len(prev)):",
                 f"        cur.append({mix('prev[j]', 'prev[j - 1]')} + "
                 f"{rng.choice(['x', 'y'])} * 0.1)",
                 f"    if {rng.choice(['i % 2 == 0', 'flag', 'len(cur) < 4'])}:",
                 f"        cur.append({mix('cur[-1]', gen.scalar())})",
                 f"    prev = {rng.choice(['cur', 'cur', 'cur[:]', 'cur[:] if flag else cur'])}",
                 f"{target} = {target} * 0.5 + {fold('prev')}"]
    elif kind == "table":   # a list of rows, read back by index and walked
        lines = ["rows = []",
                 f"for i in range({n}):",
                 "    row = []",
                 "    for j in range(2):",
                 f"        row.append({mix('(0.1 * (i + j))', gen.scalar())})",
                 "    rows.append(row)"]
        read = rng.choice(["walk", "index", "numpy"])
        if read == "walk":
            lines += ["for row in rows:", "    for e in row:",
                      f"        {target} = {target} + {mix('e', target)} * 0.3"]
        elif read == "index":
            lines += ["for i in range(len(rows)):",
                      f"    {target} = {target} + rows[i][1] * rows[len(rows) - 1 - i][0]"]
        else:
            lines += [f"{target} = {target} + np.sum(np.array(rows) ** 2) * 0.1"]
    elif kind == "last":    # a row made in every iteration, the last one read after the loop
        lines = [f"for i in range({rng.choice(['1', '2', '3'])}):",
                 f"    last = [{gen.scalar()}, {gen.scalar()}]",
                 f"    last.append({mix('last[0]', 'last[1]')})",
                 f"{target} = {target} + {fold('last')}"]
    else:                   # a list of lists made again from the one before
        lines = [f"table = [[{gen.scalar()}, {gen.scalar()}]]",
                 f"for i in range({n}):",
                 "    new = []",
                 "    for row in table:",
                 "        r = []",
                 "        for e in row:",
                 f"            r.append({mix('e', gen.scalar())})",
                 "        new.append(r)",
                 "    table = new",
                 f"{target} = {target} + {fold('table[-1]')} * 0.5"]
    return ["    " + line for line in lines]


def _argsets(seed, arrays=False):
    rng = random.Random(f"{seed}:args")
    sets = []
    for _ in range(3):
        sets.append({"x": round(rng.uniform(-1.2, 1.2), 6), "y": round(rng.uniform(-1.2, 1.2), 6),
                     "n0": rng.randint(0, 3), "k0": rng.randint(0, 3), "flag": rng.random() < 0.5})
    if arrays:
        rng = random.Random(f"{seed}:arrays")
        for kwargs in sets:
            kwargs["v"] = tuple(round(rng.uniform(-1.2, 1.2), 6) for _ in range(3))
            kwargs["g"] = tuple(round(rng.uniform(-2.0, 2.0), 2) for _ in range(3))
    return tuple(sets)


def features_for(seed, exclude=()):
    """The new kinds mixed into the program of ``seed`` (none for the classic kind),
    without those in ``exclude``."""
    rng = random.Random(f"{seed}:features")
    chosen = set()
    if rng.random() >= CLASSIC_SHARE:
        chosen = {name for name, odds in FEATURE_ODDS if rng.random() < odds}
        if not chosen:
            chosen.add(rng.choice(["arrays", "alias", "pairs", "containers"]))
        if "stack" in chosen:
            chosen.add("arrays")
        if random.Random(f"{seed}:rows").random() < ROWS_ODDS:
            chosen.add("rows")
        if random.Random(f"{seed}:takes a structure").random() < STRUCTURES_ODDS:
            chosen.add("structures")
        if random.Random(f"{seed}:routes").random() < ROUTES_ODDS \
                and not {"routes", "arrays"} & set(exclude):
            return frozenset({"routes"})
    chosen -= set(exclude)
    if "arrays" not in chosen:
        chosen.discard("stack")
    return frozenset(chosen)


def generate(seed, exclude=()):
    """The program for ``seed``: always the same text and argument sets. ``exclude``: kinds
    (names from FEATURES) not to use; ``exclude=FEATURES`` gives the classic program."""
    unknown = set(exclude) - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown program kinds {sorted(unknown)}; the kinds are {FEATURES}")
    features = features_for(seed, exclude)
    if "routes" in features:
        lines, argsets = routes_program(seed, _argsets(seed, arrays=True))
        return Program(seed, "\n".join(lines) + "\n", argsets, features)
    rng = random.Random(seed)
    head = ["import math", "", "import numpy as np", ""]
    helpers, lines = [], []
    for index in range(1, rng.choice([0, 1, 1, 2, 2, 3]) + 1):
        h, text = _helper(rng, index, helpers)
        helpers.append(h)
        lines += ["", *text, ""]
    main = _main(rng, helpers, features, seed)
    argsets = _argsets(seed, "arrays" in features)
    if "structures" in features:
        lines, argsets = rewrite(seed, head, lines, main, argsets, "arrays" in features)
    else:
        lines = head + lines + ["", *main]
    return Program(seed, "\n".join(lines) + "\n", argsets, features)
