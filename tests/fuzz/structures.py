"""The ``structures`` kind: the differentiated parameters held in one structure.

A program of another kind is rewritten so that its differentiated numbers come
the way practitioners hold them: ``f(params, n0, k0, flag)`` (with the array
parameters, ``f(params, n0, k0, flag, g)``), where ``params`` holds ``x``,
``y`` (and ``v``) and, for most programs, a list of ``(W, b)`` layers (``W``
2x2, ``b`` of shape (2,), one to three of them). Its layout is one of:

- ``dict``: ``{"x": x, "y": y, "v": v, "layers": [(W1, b1), ...]}``;
- ``nested``: ``{"s": {"x": x, "y": y}, "v": v, "layers": [...]}``;
- ``namedtuple``, ``dataclass``, ``object``: a class the program defines, with
  the fields ``x, y, v, layers`` (an object's ``__init__`` stores them);
- ``tuple``: ``(x, y, v, layers)``;
- ``pairs``: ``[(x, y), (W1, b1), ...]``, a list of pairs whose first is the
  numbers (``v`` stays a parameter of its own, after ``params``).

The body binds ``x``, ``y`` and ``v`` from the structure at its top (by key,
index or attribute, or by unpacking), and some of its reads of them read the
structure instead (``params["x"] * 2.0``). One or two blocks are put among its
top-level statements (some inside a loop of their own or a branch) and add to
``a``, ``b`` or ``c``: a loop over the layers (``for W, bias in
params["layers"]:``, under ``enumerate`` or ``reversed``, by index, a layer
unpacked in the body, zipped with a module-level tuple of activations; with a
branch on the data or an early return inside), a helper taking one layer or the
whole structure (a loop or a ``sum`` over its layers), a comprehension over the
layers, the last layer unpacked, a loop over ``params.items()`` or its keys
(with an ``if`` on the key), a ``sum`` over the items, a helper reading the
numbers from the structure or returning a structure, a closure reading it, a
copy (``dict(params)``, ``params._replace(...)``, ``dataclasses.replace``, a
dict comprehension, a step of gradient descent on the layers), or a dict of
state a loop carries.

Everything here is drawn from a random stream of its own, so that the program
rewritten is the one the seed gives without this kind. In the argument sets,
the structure is a ``Tree``; its numbers are the ones the program had, its
layers drawn from the same stream (for one program in four, a number of layers
of its own in each argument set: the code made for one structure must not be
used for another).
"""

import ast
import random
from dataclasses import dataclass

LAYOUTS = ("dict", "nested", "namedtuple", "dataclass", "object", "tuple", "pairs")
#: the classes' fields, in order (those the program has)
FIELDS = ("x", "y", "v", "layers")
#: the chance that a read of x, y or v in the body reads the structure instead
DIRECT_READS = 0.3


@dataclass(frozen=True)
class Tree:
    """A structured argument in a Program's argument sets: ``kind`` is "dict", "list",
    "tuple" or the name of a class the program defines (made with its fields as keywords);
    ``items`` its (key, value) pairs in order (indices for a list or tuple); a value is a
    number, an array (a tuple of floats, of tuples for a matrix) or a Tree."""
    kind: str
    items: tuple

    def __repr__(self):
        inner = ", ".join(repr(v) if self.kind in ("list", "tuple") else
                          (f"{k!r}: {v!r}" if self.kind == "dict" else f"{k}={v!r}")
                          for k, v in self.items)
        if self.kind == "dict":
            return "{" + inner + "}"
        if self.kind == "list":
            return "[" + inner + "]"
        if self.kind == "tuple":
            return "(" + inner + ("," if len(self.items) == 1 else "") + ")"
        return f"{self.kind}({inner})"


@dataclass
class _Layout:
    kind: str
    fields: tuple      # of FIELDS, those in the structure

    def read(self, leaf, base="params", rng=None):
        """Text reading ``leaf`` (a name of FIELDS) from the structure ``base``."""
        other = rng is not None and rng.random() < 0.3
        i = self.fields.index(leaf) if leaf in self.fields else None
        if self.kind == "dict":
            return f'{base}.get("{leaf}")' if other and leaf != "layers" else f'{base}["{leaf}"]'
        if self.kind == "nested":
            return f'{base}["s"]["{leaf}"]' if leaf in ("x", "y") else f'{base}["{leaf}"]'
        if self.kind == "namedtuple":
            return f"{base}[{i}]" if other else f"{base}.{leaf}"
        if self.kind in ("dataclass", "object"):
            return f"{base}.{leaf}"
        if self.kind == "tuple":
            last = i == len(self.fields) - 1
            return f"{base}[-1]" if other and last else f"{base}[{i}]"
        # pairs
        return {"x": f"{base}[0][0]", "y": f"{base}[0][1]", "layers": f"{base}[1:]"}[leaf]


def _class_lines(layout):
    fields = layout.fields
    if layout.kind == "namedtuple":
        return ["class Params(NamedTuple):"] + [f"    {name}: object" for name in fields]
    if layout.kind == "dataclass":
        return ["@dataclass", "class Params:"] + [f"    {name}: object" for name in fields]
    if layout.kind == "object":
        return (["class Params:", f"    def __init__(self, {', '.join(fields)}):"]
                + [f"        self.{name} = {name}" for name in fields])
    return []


def _imports(layout):
    if layout.kind == "namedtuple":
        return ["from typing import NamedTuple", ""]
    if layout.kind == "dataclass":
        return ["import dataclasses", "from dataclasses import dataclass", ""]
    return []


# -- the body's reads --------------------------------------------------------------


def _prologue(rng, layout, bound):
    """The first statements of f: x, y (and v) bound from the structure."""
    reads = [layout.read(name, rng=rng) for name in bound]
    if layout.kind in ("tuple", "namedtuple") and rng.random() < 0.4:
        return [f"{', '.join(layout.fields)} = params"]
    if layout.kind == "pairs" and rng.random() < 0.5:
        return ["x, y = params[0]"]
    if rng.random() < 0.3:
        return [f"{', '.join(bound)} = {', '.join(reads)}"]
    return [f"{n} = {r}" for n, r in zip(bound, reads)]


def _stored(tree):
    """The Name nodes that are (inside) assignment targets: their reads stay names."""
    out = set()
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, (ast.Assign,)):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For)):
            targets = [node.target]
        for t in targets:
            out.update(id(n) for n in ast.walk(t) if isinstance(n, ast.Name))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("copyto", "fill") and node.args:
            # np.copyto(v, ...) and v.fill(...) write into v
            first = node.args[0] if node.func.attr == "copyto" else node.func.value
            out.update(id(n) for n in ast.walk(first) if isinstance(n, ast.Name))
    return out


def _direct_reads(rng, layout, body, names):
    """The body (lines of f after its def) with some reads of ``names`` reading the
    structure instead."""
    text = "\n".join(line[4:] if line.startswith("    ") else line for line in body)
    tree = ast.parse(text)
    stored = _stored(tree)
    spots = sorted(((n.lineno, n.col_offset, n.id) for n in ast.walk(tree)
                    if isinstance(n, ast.Name) and n.id in names and isinstance(n.ctx, ast.Load)
                    and id(n) not in stored), reverse=True)
    lines = body[:]
    for lineno, col, name in spots:
        if rng.random() >= DIRECT_READS:
            continue
        line = lines[lineno - 1]
        at = col + 4
        lines[lineno - 1] = line[:at] + layout.read(name, rng=rng) + line[at + len(name):]
    return lines


# -- the block over the structure ------------------------------------------------


def _hidden(rng):
    return rng.choice(["np.array([a, b])", "np.array([x, y])", "np.ones(2) * c",
                       "np.array([c, 0.5])"])


def _fold(rng, hid):
    return rng.choice([f"np.sum({hid}) * 0.5", f"{hid}[0] * {hid}[1]", f"({hid} @ {hid}) * 0.25",
                       f"np.tanh({hid}[-1])"])


def _layer_loop(rng, lay, target):
    kind = rng.choice(["plain", "enumerate", "reversed", "index", "unpacked", "zip"])
    step = "hid = np.tanh(W @ hid + bias)"
    if kind == "plain":
        loop = [f"for W, bias in {lay}:", f"    {step}"]
    elif kind == "zip":
        loop = [f"for (W, bias), act in zip({lay}, ACTS):", "    hid = act(W @ hid + bias)"]
    elif kind == "enumerate":
        loop = [f"for li, (W, bias) in enumerate({lay}):", f"    {step}",
                "    hid = hid * (1.0 + 0.1 * li)"]
    elif kind == "reversed":
        loop = [f"for W, bias in reversed({lay}):", f"    {step}"]
    elif kind == "index":
        loop = [f"for li in range(len({lay})):", f"    W = {lay}[li][0]", f"    bias = {lay}[li][1]",
                f"    {step}"]
    else:
        loop = [f"for layer in {lay}:", "    W, bias = layer", f"    {step}"]
    inside = rng.random()
    if inside < 0.2:    # a branch on the data, in each unrolled copy
        loop += ["    if hid[0] > 0.0:", "        hid = hid * 0.5 + bias"]
    elif inside < 0.3:  # an early return from inside
        loop += [f"    if np.sum(hid) > {rng.choice(['0.5', '1.0', '-0.5'])}:",
                 f"        return {target} + hid[1]"]
    return [f"hid = {_hidden(rng)}"] + loop + [f"{target} = {target} + {_fold(rng, 'hid')}"]


def _dense_helper(rng, lay, target):
    helper = ["def dense(layer, hid):", "    W, bias = layer",
              "    return np.tanh(W @ hid + bias)"]
    if rng.random() < 0.5:
        loop = [f"for layer in {lay}:", "    hid = dense(layer, hid)"]
    else:
        loop = [f"for li in range(len({lay})):", f"    hid = dense({lay}[li], hid)"]
    return helper, [f"hid = {_hidden(rng)}"] + loop + [f"{target} = {target} + {_fold(rng, 'hid')}"]


def _penalty_helper(rng, layout, target):
    lay = layout.read("layers", base="ps")
    if rng.random() < 0.5:
        helper = ["def penalty(ps, scale=0.1):", "    total = 0.0", f"    for W, bias in {lay}:",
                  "        total = total + np.sum(W ** 2) + np.sum(bias) * 0.5",
                  "    return total * scale"]
    else:
        helper = ["def penalty(ps, scale=0.1):",
                  f"    return scale * sum(np.sum(np.tanh(W)) + bias[0] for W, bias in {lay})"]
    call = rng.choice(["penalty(params)", "penalty(params, 0.2)", "penalty(params, scale=0.05)"])
    return helper, [f"{target} = {target} + {call}"]


def _energy_helper(rng, layout, target):
    x, y = layout.read("x", base="ps"), layout.read("y", base="ps")
    body = rng.choice([f"{x} * {y} * scale", f"np.sin({x}) + {y} ** 2 * scale",
                       f"np.tanh({x} - {y}) * scale"])
    if "v" in layout.fields:
        body += f" + np.sum({layout.read('v', base='ps')}) * 0.1"
    helper = ["def energy(ps, scale=0.5):", f"    return {body}"]
    return helper, [f"{target} = {target} + energy(params)"]


def _walk_block(rng, layout, target):
    """A loop over the structure's items or fields (a dict, nested dict, tuple or NamedTuple)."""
    if layout.kind == "dict":
        if rng.random() < 0.5:
            return ["for key, leaf in params.items():", '    if key != "layers":',
                    f"        {target} = {target} + 0.1 * np.sum(leaf)"]
        return ["for key in params:", '    if key in ("x", "y"):',
                f"        {target} = {target} + params[key] * 0.2"]
    if layout.kind == "nested":
        return ['for key, leaf in params["s"].items():',
                f"    {target} = {target} + leaf * (0.3 if key == \"x\" else -0.2)"]
    return ["for leaf in params[:2]:", f"    {target} = {target} + leaf * 0.2"]


def _copy_block(rng, layout, target):
    """A new structure made from the parameters (a copy, a step of gradient descent on the
    layers), then read."""
    x, y = layout.read("x", base="q"), layout.read("y", base="q")
    kind = layout.kind
    if "layers" in layout.fields and rng.random() < 0.4:
        lay = layout.read("layers")
        return [f"fast = [(W - 0.1 * np.tanh(W), bias * 0.5) for W, bias in {lay}]",
                "hid = np.array([a, c])", "for W, bias in fast:",
                "    hid = np.sin(W @ hid) + bias", f"{target} = {target} + np.sum(hid) * 0.5"]
    if kind in ("dict", "nested"):
        copy = rng.choice(["dict(params)", "params.copy()", "{**params}"])
        changed = '["s"]' if kind == "nested" else ""
        first = [f"q = {copy}"]
        if kind == "dict":
            first.append(rng.choice(['q["x"] = q["x"] * 2.0', 'q["y"] = np.sin(q["x"])']))
        else:
            first.append(f'q["s"] = {{"x": q{changed}["y"], "y": q{changed}["x"] * 0.5}}')
    elif kind == "namedtuple":
        first = ["q = params._replace(x=params.x * 2.0)"]
    elif kind == "dataclass":
        first = ["q = dataclasses.replace(params, y=params.x - params.y)"]
    elif kind in ("tuple", "pairs"):
        first = ["q = list(params)" if kind == "tuple" else "q = params[:1]"]
    else:
        return _state_block(rng, layout, target)
    return first + [f"{target} = {target} + {x} * {y}"]


def _returned_block(rng, layout, target):
    """A helper that returns a structure made from the parameters."""
    x, y = layout.read("x", base="ps"), layout.read("y", base="ps")
    helper = ["def summary(ps):", f'    return {{"h": {x} * 2.0, "s": ({y}, np.tanh({x}))}}']
    return helper, ["st = summary(params)",
                    f'{target} = {target} + st["h"] * st["s"][0] + st["s"][1]']


def _state_block(rng, layout, target):
    x, y = layout.read("x"), layout.read("y")
    bound = rng.choice(["n0", "k0", "2"])
    return [f'state = {{"h": {x}, "t": 0}}', f"for li in range({bound}):",
            f'    state = {{"h": np.tanh(state["h"] + {y}), "t": state["t"] + 1}}',
            f'{target} = {target} + state["h"] * 0.5']


def _block(rng, layout):
    """(helper lines, top-level statements of f) of a block over the structure; one in
    four inside a loop of its own (whose trip count is an argument), one in five in a
    branch."""
    helper, block = _block_kind(rng, layout)
    where = rng.random()
    returns = any(line.lstrip().startswith("return") for line in block)
    if block[0].startswith("def "):   # (a nested def inside a block is refused by design)
        return helper, block
    if where < 0.25 and not returns:
        block = [f"for it in range({rng.choice(['n0', 'k0', '2'])}):"] + ["    " + line for line in block]
    elif where < 0.45:
        test = rng.choice(["flag", "not flag", "a > 0.0", "n0 % 2 == 1"])
        block = [f"if {test}:"] + ["    " + line for line in block]
        if rng.random() < 0.5:
            block += ["else:", f"    {rng.choice(['a', 'b', 'c'])} = {rng.choice(['a', 'b', 'c'])} * 0.5"]
    return helper, block


def _block_kind(rng, layout):
    target = rng.choice(["a", "b", "c"])
    table = ["energy", "state", "copy", "returned", "closure"]
    if layout.kind in ("dict", "nested", "tuple", "namedtuple"):
        table.append("walk")
    if layout.kind == "dict":
        table += ["values", "comprehension dict"]
    if "layers" in layout.fields:
        table += ["loop", "loop", "dense", "penalty", "comprehension", "last"]
    kind = rng.choice(table)
    lay = layout.read("layers", rng=rng) if "layers" in layout.fields else None
    if kind == "loop":
        return [], _layer_loop(rng, lay, target)
    if kind == "dense":
        return _dense_helper(rng, lay, target)
    if kind == "penalty":
        return _penalty_helper(rng, layout, target)
    if kind == "energy":
        return _energy_helper(rng, layout, target)
    if kind == "comprehension":
        return [], [f"{target} = {target} + 0.1 * sum(np.sum(np.tanh(W)) * bias[1] "
                    f"for W, bias in {lay}) / len({lay})"]
    if kind == "last":
        return [], [f"W, bias = {lay}[-1]",
                    f"{target} = {target} + np.sum(W @ np.array([{target}, 0.5]) + bias) * 0.3"]
    if kind == "walk":
        return [], _walk_block(rng, layout, target)
    if kind == "copy":
        return [], _copy_block(rng, layout, target)
    if kind == "closure":
        x, y = layout.read("x"), layout.read("y")
        return [], ["def inner(h):", f"    return np.tanh({x} * h) + {y}",
                    f"{target} = {target} + inner({target}) * 0.5"]
    if kind == "values":
        return [], [f"{target} = {target} + 0.1 * sum(np.sum(leaf) for key, leaf in "
                    f"params.items() if key != \"layers\")"]
    if kind == "comprehension dict":
        return [], ['fast = {k: params[k] - 0.1 * np.tanh(params[k]) for k in ("x", "y")}',
                    f'{target} = {target} + fast["x"] * fast["y"]']
    if kind == "returned":
        return _returned_block(rng, layout, target)
    return [], _state_block(rng, layout, target)


# -- the program and its arguments ---------------------------------------------------


def _layers(rng, n):
    def value():
        return round(rng.uniform(-1.0, 1.0), 6)
    return Tree("list", tuple((i, Tree("tuple", ((0, tuple(tuple(value() for _ in range(2))
                                                          for _ in range(2))),
                                                 (1, tuple(value() for _ in range(2))))))
                              for i in range(n)))


def _tree(layout, kwargs, layers):
    """The structure of one argument set, and the argument set with it."""
    values = dict(kwargs, layers=layers)
    out = {k: v for k, v in kwargs.items() if k not in layout.fields and k not in ("x", "y")}
    if layout.kind == "pairs":
        numbers = Tree("tuple", ((0, kwargs["x"]), (1, kwargs["y"])))
        out["params"] = Tree("list", ((0, numbers),) + tuple((i + 1, item) for i, (_, item)
                                                            in enumerate(layers.items)))
    elif layout.kind == "nested":
        numbers = Tree("dict", (("x", kwargs["x"]), ("y", kwargs["y"])))
        rest = tuple((k, values[k]) for k in layout.fields if k not in ("x", "y"))
        out["params"] = Tree("dict", (("s", numbers),) + rest)
    elif layout.kind in ("dict", "namedtuple", "dataclass", "object"):
        kind = "dict" if layout.kind == "dict" else "Params"
        out["params"] = Tree(kind, tuple((k, values[k]) for k in layout.fields))
    else:
        out["params"] = Tree("tuple", tuple((i, values[k]) for i, k in enumerate(layout.fields)))
    return {"params": out.pop("params"), **out}


def rewrite(seed, head, helpers, main, argsets, arrays):
    """(module lines, argument sets) of the program rewritten to take a structure: ``head``
    the imports, ``helpers`` the helpers' lines, ``main`` the lines of f, ``argsets`` the
    argument sets of the program as it was."""
    rng = random.Random(f"{seed}:structures")
    kind = rng.choice(LAYOUTS)
    layered = kind == "pairs" or rng.random() < 0.75
    fields = ("x", "y") + (("v",) if arrays and kind != "pairs" else ()) \
        + (("layers",) if layered else ())
    if kind == "nested" and fields == ("x", "y"):
        fields += ("layers",)
        layered = True
    layout = _Layout(kind, fields)
    bound = ["x", "y"] + (["v"] if "v" in fields else [])
    body = _direct_reads(rng, layout, main[1:], set(bound))
    extra = []
    for n in range(rng.choice([1, 1, 2])):
        helper, block = _block(rng, layout)
        block = [line.replace("inner(", f"inner{n}(") for line in block]   # (one closure each)
        if not any(line.split("(")[0] == helper[0].split("(")[0] for line in extra if helper):
            extra += [""] * bool(extra) + helper
        places = [i for i, line in enumerate(body) if line.startswith("    ")
                  and not line.startswith("     ")
                  and not line.lstrip().startswith(("elif", "else")) and i >= 4]
        at = rng.choice(places)
        body[at:at] = ["    " + line for line in block]
    if any("ACTS" in line for line in body):
        extra = ["ACTS = (np.tanh, np.sin, np.cos)"] + [""] * bool(extra) + extra
    params = ["params"] + (["v"] if arrays and kind == "pairs" else []) + ["n0", "k0", "flag"] \
        + (["g"] if arrays else [])
    f = [f"def f({', '.join(params)}):"] + ["    " + line for line in _prologue(rng, layout, bound)]
    module = head[:-1] + [""] + _imports(layout) if _imports(layout) else head
    module = list(module)
    for lines in (_class_lines(layout), extra):
        if lines:
            module += ["", *lines, ""]
    module += helpers + ["", *f, *body]
    n = rng.choice([1, 2, 2, 3])
    # (for one program in four, each argument set has layers of its own number: code made
    # for one structure must not be used for another)
    varied = rng.random() < 0.25
    sets = tuple(_tree(layout, kwargs, _layers(rng, rng.choice([1, 2, 3]) if varied else n)
                       if layered else None) for kwargs in argsets)
    return module, sets
