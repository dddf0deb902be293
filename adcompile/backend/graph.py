"""A picture of the computation, as the lectures draw it (``ad.graph``, ``adcompile graph``).

The graph is read off the normalized IR (one primitive per statement, see ir/nodes.py):
a node for each parameter, each statement and the returned value; a black edge for each
value a statement reads (labelled with its name), from the statement that made it; a red
dashed edge backwards for each adjoint contribution (labelled with the term the rule adds,
as the generated code computes it); and where a value being differentiated is read more
than once (fan-out) a ``+`` node where its contributions are summed into its adjoint.
``if`` and loops are boxes (clusters); a value a loop carries to its next iteration comes
from the ``carry`` node at the end of the loop body (a dotted edge back up).

``Graph.dot()`` gives Graphviz's DOT text, ``Graph.mermaid()`` a Mermaid flowchart, and
``Graph.render("svg")`` runs Graphviz (the ``graphviz`` Python package or the ``dot``
program), which is optional: ``save`` writes DOT or Mermaid text without it.
"""

import ast
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .. import ir
from ..ad.templates import instantiate
from ..analysis.activity import activity
from ..analysis.ndims import infer_ndims
from ..analysis.shapes import infer_full
from ..optimize import simplify
from .graph_text import MARKER, to_dot, to_mermaid
from .serialise import BuildError
from .standalone import _write_atomically  # (one writer of files for build and graph)

#: the file suffixes ``save`` writes, and what
FORMATS = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".svg": "svg"}
_LABEL_WIDTH = 48     # longer adjoint terms are shortened in labels


class GraphvizMissing(RuntimeError):
    """Graphviz (the ``dot`` program) is not installed: only DOT or Mermaid text can be made."""


@dataclass
class Node:
    id: str
    label: str
    kind: str          # input, op, keep, output, sum, carry, control
    active: bool = False


@dataclass
class Edge:
    tail: str
    head: str
    label: str
    kind: str          # data, adjoint, next (a loop's value for its next iteration), layout


@dataclass
class Cluster:
    """A box around the nodes of an ``if`` branch or a loop body; ``items`` holds node ids
    and nested clusters."""
    id: str
    label: str
    items: list = field(default_factory=list)


@dataclass
class Graph:
    """The computation of ``name`` and its adjoint flow (see the module's docstring)."""
    name: str
    nodes: dict = field(default_factory=dict)       # id -> Node
    edges: list = field(default_factory=list)
    top: Cluster = field(default_factory=lambda: Cluster("top", ""))

    def dot(self):
        """The graph as Graphviz DOT text."""
        return to_dot(self)

    def mermaid(self):
        """The graph as a Mermaid flowchart."""
        return to_mermaid(self)

    def __str__(self):
        return self.dot()

    def render(self, fmt="svg"):
        """The picture in Graphviz output format ``fmt``, as text (SVG) or bytes; raises
        GraphvizMissing when Graphviz is not installed."""
        return render_dot(self.dot(), fmt)

    def _repr_svg_(self):
        try:
            return self.render("svg")
        except GraphvizMissing:
            return None   # a notebook then shows the DOT text

    def save(self, path, force=False):
        """Write the picture to ``path`` by its suffix (``.svg``: Graphviz's drawing,
        ``.dot``/``.gv``: DOT text, ``.mmd``: Mermaid); return the path. A file adcompile
        did not write is overwritten only with ``force``."""
        path = Path(path)
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise BuildError(f"cannot tell what to write to {path}: use one of the suffixes "
                             f"{', '.join(FORMATS)}")
        if path.exists() and not force and not written_here(path):
            raise BuildError(f"{path} exists and was not written by adcompile; refusing to "
                             f"overwrite it (pass force=True, or --force on the command line)")
        _write_atomically(path, self.text(fmt))
        return path

    def text(self, fmt):
        """The file text of format ``fmt`` ("dot", "mermaid" or "svg")."""
        if fmt == "dot":
            return self.dot()
        if fmt == "mermaid":
            return self.mermaid()
        svg = self.render("svg")
        head, sep, rest = svg.partition("?>\n") if svg.startswith("<?xml") else ("", "", svg)
        return f"{head}{sep}<!-- {MARKER} -->\n{rest}"


def written_here(path):
    """Whether the file at ``path`` was written by ``Graph.save`` (it has the marker first)."""
    try:
        with open(path, encoding="utf-8") as fh:
            return MARKER in fh.read(300)
    except (OSError, UnicodeDecodeError):
        return False


def render_dot(text, fmt):
    """Run Graphviz on DOT ``text``: through the ``graphviz`` package when it is installed,
    else the ``dot`` program; text for SVG, bytes for other formats."""
    if shutil.which("dot") is None:
        raise GraphvizMissing("Graphviz is not installed (the `dot` program: Debian package "
                              "graphviz); write DOT (.dot) or Mermaid (.mmd) text instead")
    try:
        import graphviz
        out = graphviz.Source(text).pipe(format=fmt)
    except ImportError:
        out = subprocess.run(["dot", f"-T{fmt}"], input=text.encode(), capture_output=True,
                             check=True, timeout=60).stdout
    return out.decode("utf-8") if fmt == "svg" else out


def computation_graph(fn, aliases, param_ndims=None, param_full=None):
    """The Graph of normalized function ``fn`` (an ``ir.NormalFunction``); ``aliases``: the
    runtime helpers' names (Transform.aliases); ``param_ndims``, ``param_full``: parameter
    -> ndim, and whether it has no axis of length 1, where known (see pipeline.Target):
    the adjoint terms are then those of the code specialised to them."""
    _, ndim_of = infer_ndims(fn, dict(param_ndims or {}))
    full_of = infer_full(fn, dict(param_full or {}), ndim_of)
    builder = _Builder(fn, activity(fn), _Terms(fn, aliases, ndim_of, full_of))
    return builder.build()


class _Terms:
    """The term a rule adds to each input's adjoint at one use (an edge's label)."""

    def __init__(self, fn, aliases, ndim_of, full_of):
        self.fn, self.aliases, self.ndim_of, self.full_of = fn, aliases, ndim_of, full_of

    def of(self, op, active):
        """Input name -> the texts of its adjoint terms for Op ``op`` (one per input it is:
        ``x * x`` gives two; only for names in ``active``); a term that needs temporaries
        of the rule, or is long, is named by the rule."""
        wanted = {i for i, e in enumerate(op.inputs) if _names_in(e) & active}
        if not wanted:
            return {}
        inst = instantiate(op.rule, op.target, f"{op.target}_bar", op.inputs, op.statics,
                           wanted, self.ndim_of, self.fn.namer.copy(), self.aliases,
                           extra=dict(self.fn.extra_globals), full_of=self.full_of)
        terms = {}
        for i, term in inst.contributions:
            text = ast.unparse(simplify(term))
            if inst.statements or len(text) > _LABEL_WIDTH:
                text = f"{op.rule.name} rule"
            for name in _names_in(op.inputs[i]) & active:
                terms.setdefault(name, []).append(text)
        return terms


def _names_in(e):
    """The names an operand is or lists (``np.stack([a, b])``): not ``ir.names_read``,
    which would also have the names inside an index or a call in the operand."""
    if isinstance(e, ast.Name):
        return {e.id}
    if isinstance(e, (ast.List, ast.Tuple)):
        return {x.id for x in e.elts if isinstance(x, ast.Name)}
    return set()


@dataclass
class _Use:
    """A read of ``name`` by node ``head``, from the nodes that may have made it."""
    name: str
    head: str
    tails: list
    term: str = None      # the adjoint term, when the read is differentiated


class _Builder:
    """Walks the normalized function once, making nodes and data edges; then adds the
    adjoint edges (with ``+`` nodes at fan-outs)."""

    def __init__(self, fn, active, terms):
        self.fn, self.active, self.terms = fn, active, terms
        self.graph = Graph(fn.source.name)
        self.uses = []
        self.count = 0
        self.carry_ids = {}   # a loop's Carry statement -> its node

    def build(self):
        env = {}
        for p in self.fn.params:
            node = self.add(self.graph.top, f"in_{p}", p, "input", p in self.active)
            env[p] = [node]
        self.block(self.fn.body, env, self.graph.top)
        outputs = [ast.unparse(e) for e in self.fn.outputs]
        shown = f"({', '.join(outputs)})" if self.fn.tuple_output else outputs[0]
        out = self.add(self.graph.top, "out", f"return {shown}", "output", True)
        self.read(out, set().union(*map(ir.names_read, self.fn.outputs)), env,
                  differentiated={n: [f"{n}_bar"] for e in self.fn.outputs for n in _names_in(e)
                                  if n in self.active})
        self.adjoints()
        return self.graph

    def add(self, cluster, node_id, label, kind, active=False):
        self.graph.nodes[node_id] = Node(node_id, label, kind, active)
        cluster.items.append(node_id)
        return node_id

    def fresh(self, prefix="n"):
        self.count += 1
        return f"{prefix}{self.count}"

    def read(self, head, names, env, differentiated=None):
        """Data edges into ``head`` for ``names``; ``differentiated``: name -> the adjoint
        terms ``head`` gives it (one use each)."""
        for name in sorted(names):
            tails = env.get(name, [])
            for tail in tails:
                # a loop's carry node not drawn yet: the value of the previous iteration
                kind = "data" if tail in self.graph.nodes else "next"
                self.graph.edges.append(Edge(tail, head, name, kind))
            for term in (differentiated or {}).get(name, []) if tails else []:
                self.uses.append(_Use(name, head, tails, term))

    def block(self, stmts, env, cluster):
        for s in stmts:
            if isinstance(s, ir.If):
                self.branch(s, env, cluster)
            elif isinstance(s, ir.Loop):
                self.loop(s, env, cluster)
            else:
                self.statement(s, env, cluster)

    def statement(self, s, env, cluster):
        """A node for one statement that is neither an ``if`` nor a loop."""
        node = self.carry_ids.get(s) or self.fresh()
        defined = ir.defined_names(s)
        if isinstance(s, ir.ListAppend | ir.ListAdd | ir.ListSet):
            defined = {s.target}
        active = bool(defined & self.active)
        self.add(cluster, node, _label(s), _kind(s), active)
        differentiated = None
        if active and isinstance(s, ir.Op):
            differentiated = self.terms.of(s, self.active)
        elif active:
            differentiated = {n: [f"{n}_bar"] for n in ir.own_reads(s) if n in self.active}
        self.read(node, ir.own_reads(s), env, differentiated)
        for name in defined:
            env[name] = [node]

    def branch(self, s, env, cluster):
        """An ``if``: its test node, then each branch in a box of its own; afterwards a name
        either branch assigns may come from either."""
        box = Cluster(self.fresh("c"), f"if {ast.unparse(s.test)}")
        cluster.items.append(box)
        test = self.add(box, self.fresh(), f"if {ast.unparse(s.test)}", "control")
        self.read(test, ir.names_read(s.test), env)
        after = {}
        for label, body in (("then", s.body), ("else", s.orelse)):
            inner = Cluster(self.fresh("c"), label)
            box.items.append(inner)
            branch_env = dict(env)
            self.block(body, branch_env, inner)
            for name, tails in branch_env.items():
                if tails != env.get(name):
                    after.setdefault(name, list(env.get(name, [])))
                    after[name] += [t for t in tails if t not in after[name]]
        env.update(after)

    def loop(self, s, env, cluster):
        """A loop: its header, then its body in a box; a name the body carries to the next
        iteration is read from its value before the loop and from the carry node."""
        header = (f"for {s.index} in {ast.unparse(s.iterable)}" if s.kind == "for"
                  else f"while {ast.unparse(s.test)}")
        box = Cluster(self.fresh("c"), header)
        cluster.items.append(box)
        head = self.add(box, self.fresh(), header, "control")
        self.read(head, ir.own_reads(s), env)
        if s.index:
            env[s.index] = [head]
        carries = [c for c in ir.walk(s.body) if isinstance(c, ir.Carry)]
        for c in carries:
            self.carry_ids[c] = self.fresh()
            env[c.target] = env.get(c.target, []) + [self.carry_ids[c]]
        self.block(s.body, dict(env), box)
        for c in carries:   # after the loop: from before it (no iteration) or the last one
            env[c.target] = list(dict.fromkeys(env[c.target] + [self.carry_ids[c]]))

    def adjoints(self):
        """Red edges backwards along each differentiated read, through a ``+`` node where a
        value is read more than once."""
        by_name = {}
        for use in self.uses:
            by_name.setdefault((use.name, tuple(use.tails)), []).append(use)
        for (name, tails), uses in by_name.items():
            if len(uses) == 1:
                for tail in tails:
                    self.graph.edges.append(Edge(uses[0].head, tail, uses[0].term, "adjoint"))
                continue
            total = self.add(self.graph.top, self.fresh("sum"), f"+\n{name}_bar", "sum", True)
            # (drawn just below the value, above the reads of it)
            self.graph.edges += [Edge(tail, total, "", "layout") for tail in tails]
            for use in uses:
                self.graph.edges.append(Edge(use.head, total, use.term, "adjoint"))
            for tail in tails:
                self.graph.edges.append(Edge(total, tail, f"{name}_bar", "adjoint"))


def _label(s):
    """The text of a statement's node."""
    if isinstance(s, ir.Op):
        return f"{s.target} = {ast.unparse(s.expr)}"
    if isinstance(s, ir.Keep):
        return ast.unparse(s.stmt)
    if isinstance(s, ir.Carry):
        return f"{s.target} = {s.source}  (next iteration)"
    if isinstance(s, ir.ListNew):
        items = ", ".join(ast.unparse(e) for e in s.elements)
        return f"{s.target} = ({items})" if s.is_tuple else f"{s.target} = [{items}]"
    if isinstance(s, ir.ListAppend):
        return f"{s.target}.append({ast.unparse(s.value)})"
    if isinstance(s, ir.ListGet):
        read = f"{s.source}.pop()" if s.pop else f"{s.source}[{ast.unparse(s.index)}]"
        return f"{s.target} = {read}"
    if isinstance(s, ir.ListAdd):
        return f"{s.target}[{ast.unparse(s.index)}] += {ast.unparse(s.value)}"
    if isinstance(s, ir.ListSet):
        return f"{s.target}[{ast.unparse(s.index)}] = {ast.unparse(s.value)}"
    if isinstance(s, ir.Jump):
        return s.kind
    return type(s).__name__


def _kind(s):
    if isinstance(s, ir.Op):
        return "op"
    if isinstance(s, ir.Carry):
        return "carry"
    if isinstance(s, ir.Jump):
        return "control"
    return "keep"
