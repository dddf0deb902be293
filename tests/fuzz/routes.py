"""The ``routes`` kind: arrays changed in place through another route than the name read.

Users' wrong gradients came from an in-place change the alias analysis did not
see, made the way real code makes them. A program of this kind is written from
scratch (from a random stream of its own): ``f(x, y, v, n0, k0, flag, g)``, for
one program in four with ``params`` after them (a dict ``{"w": .., "g": ..}``, a
list of two arrays or a ``Box`` holding two; differentiated), whose arrays, all
of shape (3,) (and a 2x3 matrix ``m`` for some), being differentiated (``v``,
values made from it) and not (``g``, ``np.ones(3)``), are

- held in containers: a dict ``{"w": a, "g": b}``, a list ``[a, b]`` (the same
  array twice for some: ``[a, a]``), a tuple, an object of the program's class
  ``Box`` (``self.a``, ``self.b``), the module-level dict ``BUF`` (whose item
  ``f`` sets first: a module's state must not carry over between calls);
- changed in place through an item, an attribute, a loop variable, a view held
  by a name or stored in a container (``d["row"] = m[0]``, ``r = a[::-1]``):
  ``+=``, ``*=``, item and slice assignment, ``np.copyto``, ``out=`` of ufuncs,
  ``.fill``;
- changed by helpers (generated functions) that take the container, the object
  or the array, or reach ``BUF`` (``d["w"] += s * d["g"]``, ``lst[i][0] = s``,
  ``box.a *= s``, ``for item in lst: item *= s``), by a helper that returns its
  argument or a container's item (``r = pick(d)``), by ``Box``'s methods
  changing ``self.a`` in place, and by helpers called through a name
  (``h = bump; h(a, s)``), a module-level tuple (``for h in HOOKS: h(a, s)``)
  or a tuple written in place;
- rebound instead of changed (``d["w"] = d["w"] * 2.0``, ``lst = [b, a]``,
  ``box.a = ...``, ``a = d["g"]``, a method rebinding ``self.a``);

with reads of them (into ``acc``) before and after the changes, all of this also
in ``for`` loops (counted, over a list's items, over a dict's keys, over hooks)
and branches. The result is ``acc`` plus reads of several of the arrays by
their names and routes, a number.

Validity is kept by construction: every route to an array names one of shape
(3,); a name or slot made inside a loop or branch is not used after it; a tuple's
items are never assigned (``tp[0] += e`` would raise after changing the array).
"""

import random

#: the share of the forms of each kind (writes, calls, statements...) a program uses: a
#: program made of fewer forms is refused less often for one of them, and reaches the
#: alias analysis
KEEP = 0.5
#: the chance that f also takes ``params``, a dict or list of two arrays differentiated
PARAMS_ODDS = 0.25

_BOX = ["class Box:",
        "    def __init__(self, a, b):",
        "        self.a = a",
        "        self.b = b",
        "",
        "    def scale(self, s):",
        "        self.a *= s",
        "",
        "    def push(self, s):",
        "        self.b[0] += s * self.a[1]",
        "",
        "    def renew(self, s):",
        "        self.a = self.a * s",
        "",
        "    def total(self):",
        "        return np.sum(self.a * np.tanh(self.b))"]

#: helper bodies by what they take (``{n}``: the helper's number); "array" helpers take
#: (arr, s), "dict" (d, s), "list" (lst, s), "box" (box, s), "global" (s); "pick" helpers
#: return an array they were given or reach (an alias made by a call)
_HELPERS = {
    "array": [["    arr *= s"], ["    arr[0] += s"], ["    np.add(arr, s, out=arr)"],
              ["    arr[:] = np.tanh(arr) * s"], ["    arr[1:] = arr[:2] * s"],
              ["    np.copyto(arr, arr * s)"], ["    arr -= np.tanh(arr) * s", "    return arr"],
              ["    t = arr", "    t *= s"], ["    for i in range(2):", "        arr[i] *= s"]],
    "dict": [['    d["w"] += s * d["g"]'], ['    d["w"][0] = s'], ['    np.copyto(d["g"], d["w"] * s)'],
             ['    np.multiply(d["w"], s, out=d["w"])'], ['    d["w"] *= s', '    return np.sum(d["w"])'],
             ['    w = d["w"]', "    w[2] -= s"], ["    for k in d:", "        d[k] *= s"],
             ['    d["w"] = d["w"] * s']],
    "list": [["    lst[0][1] = s"], ["    lst[-1] += s"], ["    for item in lst:", "        item *= s"],
             ["    lst[1][:] = lst[0] * s"], ["    np.copyto(lst[0], np.tanh(lst[1]) * s)"],
             ["    for i in range(len(lst)):", "        lst[i][i % 3] += s"],
             ["    lst[0] = lst[0] * s"]],
    "box": [["    box.a *= s"], ["    box.b[1] += s"], ["    box.scale(s)"], ["    np.tanh(box.a, out=box.b)"],
            ["    box.a = box.a + s"]],
    "global": [['    BUF["t"] += s'], ['    BUF["t"][1] = s'], ['    np.multiply(BUF["t"], s, out=BUF["t"])'],
               ['    t = BUF["t"]', "    t[0] -= s"]],
    "pick": [["    return arr"], ["    arr *= s", "    return arr"], ["    return arr[::-1]"],
             ["    return arr[:]"]],
}
_PARAMS = {"array": "arr, s", "dict": "d, s", "list": "lst, s", "box": "box, s", "global": "s",
           "pick": "arr, s"}


class _Gen:
    def __init__(self, rng, params):
        self.r = rng
        self.arrays = ["v", "g"]          # local names of (3,) arrays
        self.containers = {}              # name -> "dict", "list", "tuple", "box", "buf"
        self.slots = {}                   # container name -> its accessors (of (3,) arrays)
        self.matrix = False               # whether ``m``, (2, 3), exists
        self.helpers = {}                 # kind -> [(name, lines)]
        self.box = False
        self.hooks = False
        self.loops = []                   # loop variables: (name, kind)
        self.depth = 0
        self.names = 0
        self.palette = {}                 # (table, entry) -> whether this program uses it
        if params:
            self.containers["params"] = params
            self.slots["params"] = {"dict": ['["w"]', '["g"]'], "list": ["[0]", "[1]"],
                                    "box": [".a", ".b"]}[params]

    # -- values ---------------------------------------------------------------

    def pick(self, table, name=None):
        """One value of [(weight, value)], drawn by weight; ``name``: the table's, whose
        entries this program keeps only some of (drawn once per entry, see KEEP)."""
        table = [(w, value) for w, value in table if w > 0]
        if name is not None:
            kept = [(w, value) for i, (w, value) in enumerate(table) if self.kept(name, i)]
            table = kept or table
        total = sum(w for w, _ in table)
        x = self.r.uniform(0, total)
        for w, value in table:
            x -= w
            if x <= 0:
                return value
        return table[-1][1]

    def kept(self, name, i):
        if (name, i) not in self.palette:
            self.palette[name, i] = self.r.random() < KEEP
        return self.palette[name, i]

    def refs(self, writable=False):
        """Texts that name a (3,) array; ``writable``: those ``+=`` may assign (not a tuple's
        items)."""
        out = list(self.arrays)
        for name, slots in self.slots.items():
            if writable and self.containers[name] == "tuple":
                continue
            out += [name + s for s in slots]
        if self.matrix:
            out += ["m[0]", "m[1]"]
        out += [n for n, k in self.loops if k == "array"]
        out += [f"{c}[{n} % 2]" for n, k in self.loops if k == "int"
                for c, kind in self.containers.items() if kind in ("list", "tuple")
                and (not writable or kind == "list")]
        return out

    def ref(self, writable=False):
        return self.r.choice(self.refs(writable))

    def scalar(self):
        options = [(3, "x"), (2, "y"), (2, self.r.choice(["0.5", "-0.75", "1.25", "0.9"])),
                   (1, "np.tanh(x * y)"), (1, "np.sin(x)"), (1, "np.tanh(acc)"),
                   (2, f"np.tanh(np.sum({self.ref()}))"), (2, f"{self.ref()}[{self.r.randrange(3)}] * 0.5")]
        options += [(2, f"(0.1 * {n})") for n, k in self.loops if k == "int"]
        return self.pick(options)

    def factor(self):
        return self.r.choice(["0.5", "1.5", "-0.75", "np.tanh(x)", "y", "0.9"])

    def aval(self):
        """An expression of a (3,) array (a new one)."""
        a = self.ref()
        return self.pick([(2, f"{a} * {self.scalar()}"), (2, f"np.tanh({a})"), (1, f"{a} + {self.scalar()}"),
                          (1, f"np.sin({a}) * {self.scalar()}"), (1, f"v * {self.scalar()}"),
                          (1, f"np.tanh({a}) * {self.ref()}")])

    def read(self):
        """A number read from the arrays (into acc)."""
        a, b = self.ref(), self.ref()
        options = [(3, f"np.sum({a})"), (2, f"np.sum({a} * {b})"), (2, f"{a}[{self.r.randrange(3)}]"),
                   (1, f"np.dot({a}, {b})"), (1, f"np.sum(np.tanh({a})) * {self.scalar()}")]
        if self.matrix:
            options.append((1, "np.sum(m) * 0.5"))
        if "box" in self.containers.values():
            box = self.r.choice([n for n, k in self.containers.items() if k == "box"])
            options.append((2, f"{box}.total()"))
        return self.pick(options)

    # -- helpers ---------------------------------------------------------------

    def helper(self, kind):
        """The name of a helper of ``kind`` (a new one, or one made before)."""
        made = self.helpers.setdefault(kind, [])
        if made and self.r.random() < 0.5:
            return self.r.choice(made)[0]
        name = f"{kind[0]}{kind[1:3]}{len(made) + 1}"
        bodies = _HELPERS[kind]
        body = self.pick([(1, b) for b in bodies], kind)
        if kind == "box":
            self.box = True
        made.append((name, [f"def {name}({_PARAMS[kind]}):"] + body))
        return name

    # -- statements ------------------------------------------------------------

    def fresh(self, prefix):
        self.names += 1
        return f"{prefix}{self.names}"

    def write(self, ind):
        """An in-place change of an array through one of its routes."""
        r = self.ref(writable=True)
        any_ref = self.ref()
        k = self.r.randrange(3)
        forms = [(3, f"{r} += {self.aval()}"), (1, f"{r} -= {self.aval()}"), (2, f"{r} *= {self.factor()}"),
                 (3, f"{any_ref}[{k}] = {self.scalar()}"), (2, f"{any_ref}[{k}] += {self.scalar()}"),
                 (1, f"{any_ref}[1:] = {self.ref()}[:2] * {self.scalar()}"),
                 (1, f"{any_ref}[:] = {self.aval()}"),
                 (2, f"np.copyto({any_ref}, {self.aval()})"),
                 (1, f"np.add({any_ref}, {self.aval()}, out={any_ref})"),
                 (1, f"np.multiply({any_ref}, {self.factor()}, out={any_ref})"),
                 (1, f"np.tanh({self.ref()}, out={any_ref})"), (0.5, f"{any_ref}.fill({self.scalar()})")]
        if self.matrix:
            forms += [(1, f"m[{self.r.randrange(2)}, {k}] = {self.scalar()}"), (0.5, f"m *= {self.factor()}")]
        return [ind + self.pick(forms, "write")]

    def call(self, ind):
        """A call that changes an array in place (or rebinds what a container holds)."""
        kinds = [(3, "array"), (1, "pick"), (1 if "BUF" in self.containers else 0, "global")]
        by_kind = {k: [n for n, c in self.containers.items() if c == kind]
                   for k, kind in (("dict", "dict"), ("list", "list"), ("box", "box"))}
        kinds += [(2, k) for k, names in by_kind.items() if names]
        kind = self.pick(kinds, "call")
        if kind == "global":
            return [f"{ind}{self.helper('global')}({self.scalar()})"]
        if kind == "pick":
            name = self.fresh("r")
            line = f"{ind}{name} = {self.helper('pick')}({self.ref()}, {self.factor()})"
            if not self.depth:
                self.arrays.append(name)
            return [line]
        if kind == "array":
            h, a, s = self.helper("array"), self.ref(), self.factor()
            how = self.pick([(3, "direct"), (1, "name"), (1, "hooks"), (1, "tuple")], "through")
            if how == "name":
                name = self.fresh("fn")
                return [f"{ind}{name} = {h}", f"{ind}{name}({a}, {s})"]
            if how == "hooks":
                self.hooks = True
                return [f"{ind}for hook in HOOKS:", f"{ind}    hook({a}, {s})"]
            if how == "tuple":
                h2 = self.helper("array")
                return [f"{ind}for hook in ({h}, {h2}):", f"{ind}    hook({a}, {s})"]
            return [f"{ind}{h}({a}, {s})"]
        target = self.r.choice(by_kind[kind])
        if kind == "box" and self.r.random() < 0.5:
            method = self.r.choice(["scale", "push", "renew"])
            return [f"{ind}{target}.{method}({self.factor()})"]
        return [f"{ind}{self.helper(kind)}({target}, {self.factor()})"]

    def rebind(self, ind):
        """A container's item, an object's attribute, a name or a container rebound."""
        options = [(2, "name")]
        mutable = [n for n, k in self.containers.items() if k in ("dict", "list", "box")]
        if mutable:
            options += [(3, "slot"), (1, "container")]
        if len(self.arrays) > 2:
            options.append((1, "swap"))
        how = self.pick(options, "rebind")
        if how == "name":
            name = self.r.choice([n for n in self.arrays if n not in ("v", "g")] or ["a"])
            value = self.r.choice([self.aval(), self.ref(), f"{self.ref()}[::-1]"])
            if name not in self.arrays and not self.depth:
                self.arrays.append(name)
            elif name not in self.arrays:
                return []
            return [f"{ind}{name} = {value}"]
        if how == "swap":
            p, q = self.r.sample(self.arrays, 2)
            return [f"{ind}{p}, {q} = {q}, {p}"]
        target = self.r.choice(mutable)
        kind = self.containers[target]
        if how == "slot":
            slot = self.r.choice(self.slots[target])
            return [f"{ind}{target}{slot} = {self.r.choice([self.aval(), self.ref()])}"]
        return [f"{ind}{target} = {self.build(kind)}"]

    def build(self, kind):
        a, b = self.ref(), self.ref()
        if kind == "dict":
            return f'{{"w": {a}, "g": {b}}}'
        if kind == "list":
            return self.r.choice([f"[{a}, {b}]", f"[{a}, {a}]", f"[{a}, {b}, {a}]"])
        if kind == "tuple":
            return f"({a}, {b})"
        return f"Box({a}, {b})"

    def alias(self, ind):
        """A new name or slot for an array (an item, a view)."""
        if self.depth:
            return self.write(ind)
        r = self.ref()
        dicts = [n for n, k in self.containers.items() if k == "dict" and n != "params"]
        if dicts and self.matrix and self.r.random() < 0.3:
            d = self.r.choice(dicts)
            if '["row"]' not in self.slots[d]:
                self.slots[d].append('["row"]')
            return [f'{ind}{d}["row"] = m[{self.r.randrange(2)}]']
        name = self.fresh("r")
        self.arrays.append(name)
        return [f"{ind}{name} = " + self.r.choice([r, r, f"{r}[::-1]", f"{r}[:]", f"{r}.reshape(3)",
                                                   f"np.asarray({r})"])]

    def loop(self, ind):
        n = len(self.loops)
        kind = self.pick([(3, "range"), (1, "items"), (1, "keys")])
        lists = [c for c, k in self.containers.items() if k in ("list", "tuple")]
        dicts = [c for c, k in self.containers.items() if k == "dict"]
        if kind == "items" and lists:
            var = f"item{n}"
            head, loops = f"for {var} in {self.r.choice(lists)}:", [(var, "array")]
        elif kind == "keys" and dicts:
            d = self.r.choice(dicts)
            var = f"key{n}"
            head, loops = f"for {var} in {d}:", []
            self.loops.append((var, "key"))
            body = [f"{ind}    {d}[{var}] " + self.r.choice([f"*= {self.factor()}", f"+= {self.aval()}"])]
            self.loops.pop()
            return [ind + head] + body + self.block(ind + "    ", 1, (var, "key"))
        else:
            var = "ijk"[n % 3] if n < 3 else f"i{n}"
            head = f"for {var} in range({self.r.choice(['2', '3', 'n0', 'k0'])}):"
            loops = [(var, "int")]
        return [ind + head] + self.block(ind + "    ", self.r.randint(1, 3), *loops)

    def branch(self, ind):
        cond = self.r.choice(["flag", "not flag", "n0 > 1", "k0 == 0", f"x > {self.r.choice(['0.0', '-0.3'])}",
                              "y < 0.5"])
        lines = [f"{ind}if {cond}:"] + self.block(ind + "    ", self.r.randint(1, 2))
        if self.r.random() < 0.4:
            lines += [f"{ind}else:"] + self.block(ind + "    ", 1)
        return lines

    def statement(self, ind):
        table = [(4, "write"), (3, "call"), (3, "read"), (2, "rebind"), (2, "alias")]
        if self.depth < 2:
            table += [(2, "loop"), (1, "branch")]
        what = self.pick(table, "statement")
        if what == "read":
            return [f"{ind}acc = acc + {self.read()}" if self.r.random() < 0.5 else f"{ind}acc += {self.read()}"]
        if what in ("loop", "branch"):
            self.depth += 1
            try:
                return getattr(self, what)(ind)
            finally:
                self.depth -= 1
        return getattr(self, what)(ind)

    def block(self, ind, count, *loops):
        """``count`` statements; names and slots made inside are forgotten after it."""
        saved = (list(self.arrays), {k: list(v) for k, v in self.slots.items()}, dict(self.containers))
        self.loops += loops
        lines = []
        for _ in range(count):
            lines += self.statement(ind)
        del self.loops[len(self.loops) - len(loops):]
        self.arrays, self.slots, self.containers = saved
        return lines or [f"{ind}pass"]

    # -- the program -----------------------------------------------------------

    def setup(self):
        lines = ["acc = " + self.r.choice(["0.0", "x * 0.5", "y", "0.0"])]
        lines.append("a = " + self.r.choice(["v * 1.0", "np.sin(v)", "v", "v + x", "v * y"]))
        lines.append("b = " + self.r.choice(["np.ones(3)", "g * 0.5", "g", "np.arange(3.0)", "g.copy()"]))
        self.arrays += ["a", "b"]
        if self.r.random() < 0.4:
            lines.append("m = " + self.r.choice(["np.stack([a, b])", "np.outer(np.array([1.0, 0.5]), v)",
                                                 "np.array([v * x, g])"]))
            self.matrix = True
        # (BUF for one program in three or so: an array being differentiated stored in a
        # global is refused, as it should be, before anything else is looked at)
        pool = ["dict", "list", "tuple", "box"] + ["buf"] * (self.r.random() < 0.5)
        kinds = self.r.sample(pool, self.r.choice([1, 1, 2, 3]))
        for kind in kinds:
            if kind == "buf":
                # (set from another array first: BUF["t"] = BUF["t"] would carry the module's
                # state from one call to the next)
                lines.append(f'BUF["t"] = {self.r.choice([self.ref(), self.ref(), "np.zeros(3)"])}')
                self.containers["BUF"] = "buf"
                self.slots["BUF"] = ['["t"]']
                continue
            name = {"dict": "d", "list": "lst", "tuple": "tp", "box": "box"}[kind]
            if kind == "box":
                self.box = True
            how = self.r.random()
            if kind == "dict" and how < 0.1:
                lines.append(f"{name} = dict(w={self.ref()}, g={self.ref()})")
            else:
                lines.append(f"{name} = {self.build(kind)}")
            self.containers[name] = kind
            self.slots[name] = {"dict": ['["w"]', '["g"]'], "list": ["[0]", "[1]", "[-1]"],
                                "tuple": ["[0]", "[1]"], "box": [".a", ".b"]}[kind]
        return ["    " + line for line in lines]

    def result(self):
        reads = [self.read() for _ in range(self.r.randint(1, 3))]
        names = [n for n in ("a", "b", "v") if self.r.random() < 0.5]
        reads += [f"np.sum({n}) * {self.scalar()}" for n in names]
        return "    return acc + " + " + ".join(reads)

    def module(self, params):
        body = self.setup()
        for _ in range(self.r.randint(3, 9)):
            body += self.statement("    ")
        body.append(self.result())
        for hook_kind in ("array",) * self.hooks:
            while len(self.helpers.get(hook_kind, [])) < 2:
                self.helpers.setdefault(hook_kind, [])
                made = self.helpers[hook_kind]
                name = f"arr{len(made) + 1}"
                made.append((name, [f"def {name}(arr, s):"] + self.r.choice(_HELPERS["array"])))
        lines = ["import math", "", "import numpy as np", "", 'BUF = {"t": np.zeros(3)}', ""]
        if self.box or "box" in self.containers.values():
            lines += ["", *_BOX, ""]
        for kind in _HELPERS:
            for _, text in self.helpers.get(kind, []):
                lines += ["", *text, ""]
        if self.hooks:
            lines += [f"HOOKS = ({', '.join(n for n, _ in self.helpers['array'][:2])},)", ""]
        signature = "x, y, v, n0, k0, flag, g" + (", params" if params else "")
        return lines + ["", f"def f({signature}):", *body]


def routes_program(seed, argsets):
    """(module lines, argument sets) of the ``routes`` program of ``seed``; ``argsets``: the
    argument sets of the array kinds (x, y, v, n0, k0, flag, g), to which ``params`` is added
    when f takes it."""
    from .structures import Tree

    rng = random.Random(f"{seed}:routes program")
    params = rng.choice(["dict", "list", "box"]) if rng.random() < PARAMS_ODDS else None
    lines = _Gen(rng, params).module(params)
    if params:
        sets = []
        for kwargs in argsets:
            w = tuple(round(rng.uniform(-1.0, 1.0), 6) for _ in range(3))
            b = tuple(round(rng.uniform(-1.0, 1.0), 6) for _ in range(3))
            items = {"dict": (("w", w), ("g", b)), "list": ((0, w), (1, b)),
                     "box": (("a", w), ("b", b))}[params]
            sets.append({**kwargs, "params": Tree("Box" if params == "box" else params, items)})
        argsets = tuple(sets)
    return lines, argsets
