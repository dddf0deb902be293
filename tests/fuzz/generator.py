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

Every program also comes with a few argument sets, drawn from the same seed.
"""

import random
from dataclasses import dataclass, field

PARAMS = ("x", "y", "n0", "k0", "flag")
WRT = ("x", "y")
LOOP_NAMES = "ijkl"
MAX_DEPTH = 3


@dataclass(frozen=True)
class Program:
    seed: int
    source: str
    #: keyword dicts for f, each a point at which to compare gradients
    argsets: tuple


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
    loops: list = field(default_factory=list)   # (name, kind): kind "int", "index", "elem"


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

    # -- expressions ---------------------------------------------------------

    def const(self, lo=-1.5, hi=1.5):
        return repr(round(self.r.uniform(lo, hi), 2))

    def atom(self):
        r = self.r.random()
        if r < 0.55:
            return self.r.choice(self.s.floats)
        if r < 0.7 and self.s.loops:
            name, kind = self.r.choice(self.s.loops)
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
        v = self.r.choice(self.s.floats)
        if self.r.random() < 0.3:
            w = self.r.choice([f for f in self.s.floats if f != v] or [self.const()])
            return f"{v} {self.r.choice(['>', '<'])} {w}"
        return f"{v} {self.r.choice(['>', '<', '>='])} {self.const(-0.8, 0.8)}"

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

    def for_stmt(self, ind):
        name = LOOP_NAMES[len([1 for n, k in self.s.loops if k != "elem"])] \
            if len(self.s.loops) < len(LOOP_NAMES) else f"i{len(self.s.loops)}"
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


def _main(rng, helpers):
    scope = _Scope(floats=["a", "b", "c", "x", "y"], locals=["a", "b", "c"], ints=["n0", "k0"], bools=["flag"],
                   helpers=helpers, has_list=True)
    gen = _FunctionGen(rng, scope, budget=rng.randint(6, 22))
    body = [
        "    a = " + rng.choice(["x", "x + 0.0", "x * 1.0", "np.sin(x)"]),
        "    b = " + rng.choice(["y", "y * 1.0", "y - 0.25"]),
        "    c = " + rng.choice(["0.5", "x * y", "1.0 - y"]),
        "    hs = " + rng.choice(["[x]", "[x, y]", "[a]", "[0.5, b]"]),
    ]
    body += gen.block("    ", rng.randint(2, 6))
    if not body[-1].startswith("    return"):   # a return at the top level of the body
        body.append("    " + gen.ret())
    return ["def f(x, y, n0, k0, flag):"] + body


def _argsets(seed):
    rng = random.Random(f"{seed}:args")
    sets = []
    for _ in range(3):
        sets.append({"x": round(rng.uniform(-1.2, 1.2), 6), "y": round(rng.uniform(-1.2, 1.2), 6),
                     "n0": rng.randint(0, 3), "k0": rng.randint(0, 3), "flag": rng.random() < 0.5})
    return tuple(sets)


def generate(seed):
    """The program for ``seed``: always the same text and argument sets."""
    rng = random.Random(seed)
    helpers, lines = [], ["import math", "", "import numpy as np", ""]
    for index in range(1, rng.choice([0, 1, 1, 2, 2, 3]) + 1):
        h, text = _helper(rng, index, helpers)
        helpers.append(h)
        lines += ["", *text, ""]
    lines += ["", *_main(rng, helpers)]
    return Program(seed, "\n".join(lines) + "\n", _argsets(seed))
