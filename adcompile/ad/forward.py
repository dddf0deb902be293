"""Forward mode: each statement followed by the statement of its tangent ("dot").

Where reverse mode runs the chain rule from the output back, forward mode runs
it alongside the program: after ``y = f(x)`` comes ``y_dot = f'(x) x_dot``,
the directional derivative of ``y`` along the tangents given for the
parameters. Nothing is saved and control flow is kept as it is, so loops need
no stack; the cost is one sweep per tangent direction (reverse mode: one per
output).

Only *active* values (those that depend on a differentiated parameter and
reach the result) have tangents. A value that becomes active only on some
paths (``s = 0.0`` before a loop that adds ``x`` to it) gets a zero tangent
where it is defined inactive, so every path has one.
"""

import ast
import copy
from dataclasses import dataclass

from .. import ir
from ..analysis.activity import activity
from ..analysis.complex_values import may_make_complex
from ..analysis.ndims import infer_ndims
from ..analysis.shapes import infer_full, infer_shapes
from ..errors import TransformError
from ..optimize import fuse_blocks, simplify, total, with_effects
from .templates import instantiate


@dataclass
class Tangent:
    """The generated pieces of one forward-mode function."""

    fn: object            # ir.NormalFunction
    body: list            # ast statements
    outputs: list         # returned value expressions
    out_dots: list        # their tangents
    param_dots: list      # tangent parameter names, one per wrt parameter


def forward(fn, param_ndims, aliases, param_full=None):
    return Forward(fn, param_ndims, aliases, param_full).run()


class Forward:
    def __init__(self, fn, param_ndims, aliases, param_full=None):
        self.fn = fn
        self.namer = fn.namer
        self.aliases = aliases
        self.active = activity(fn)
        _, self.ndim_of = infer_ndims(fn, param_ndims)
        self.full_of = infer_full(fn, param_full or {}, self.ndim_of)
        self.shape_of = infer_shapes(fn, self.ndim_of)
        self.dots = {}
        # tuples a primitive returns (np.linalg.qr's, np.meshgrid's): their tangents are pairs
        # (an object array of the items' tangents: runtime.pair), which np.array keeps as
        # objects where it stacks the tuple's items
        self.tuples = {s.target for s in ir.walk(fn.body)
                       if isinstance(s, ir.Op) and s.rule.shape.sequence}

    def dot(self, name):
        """The tangent variable of ``name``."""
        if name not in self.dots:
            self.dots[name] = self.namer.fresh(f"{name}_dot")
        return self.dots[name]

    def zeros(self, e):
        """A zero tangent for ``e``: 0.0 for a known scalar, a list of zeros for a list of
        values being differentiated (its tangent is a list, appended to as the list is:
        ``[zeros_like(item) for item in xs]``), else zeros shaped like it."""
        if self.ndim_of(e) == 0:
            return ast.Constant(0.0)
        if isinstance(e, ast.Name) and e.id in getattr(self.fn, "lists", ()):
            item = self.namer.fresh("item")
            zeros = ast.ListComp(elt=self.zeros(ir.load(item)), generators=[ast.comprehension(
                target=ir.store(item), iter=e, ifs=[], is_async=0)])
            if e.id not in getattr(self.fn, "maybe_undefined", ()):
                return zeros
            unbound = ast.Compare(left=e, ops=[ast.Is()], comparators=[ast.Constant(None)])
            return ast.IfExp(test=unbound, body=ast.Constant(None), orelse=zeros)
        return ast.Call(func=ir.load(self.aliases["zeros_like"]), args=[e], keywords=[])

    def dot_of(self, e):
        """The tangent of operand ``e``: its dot variable, or zeros when it is inactive."""
        if isinstance(e, ast.Name) and e.id in self.active:
            return ir.load(self.dot(e.id))
        return self.zeros(e)

    def run(self):
        fn = self.fn
        param_dots = [self.dot(p) for p in fn.wrt]
        body = [ir.assign(self.dot(p), self.zeros(ir.load(p)))
                for p in fn.params if p in self.active and p not in fn.wrt]
        body += self.block(fn.body)
        out_dots = [self.dot_of(e) for e in fn.value_outputs]
        if may_make_complex(fn, self.ndim_of):   # (as_gradient refuses a complex tangent)
            out_dots = [ir.call(self.aliases["as_gradient"], d, e)
                        for d, e in zip(out_dots, fn.value_outputs)]
        temps = set(self.namer.temps) - with_effects(fn.body)
        temps |= {self.dots[t] for t in temps if t in self.dots}
        live = ir.reads(fn.outputs + out_dots)
        body = fuse_blocks(body, temps, live)
        return Tangent(fn, body, list(fn.outputs), out_dots, param_dots)

    def block(self, stmts):
        out = []
        for s in stmts:
            self.statement(s, out)
        return out

    def statement(self, s, out):
        if isinstance(s, ir.If):
            out.append(ast.If(test=s.test, body=self.block(s.body) or [ast.Pass()],
                              orelse=self.block(s.orelse)))
        elif isinstance(s, ir.Loop):
            body = self.block(s.body) or [ast.Pass()]
            if s.kind == "for":
                out.append(ast.For(target=ir.store(s.index), iter=s.iterable, body=body,
                                   orelse=[]))
            else:
                out.append(ast.While(test=s.test, body=body, orelse=[]))
        elif isinstance(s, ir.Jump):
            out.append(ast.Break() if s.kind == "break" else ast.Continue())
        elif isinstance(s, ir.Carry):
            out.append(ir.assign(s.target, ir.load(s.source)))
            if s.target in self.active:
                out.append(ir.assign(self.dot(s.target), self.dot_of(ir.load(s.source))))
        elif isinstance(s, ir.Keep):
            out.append(s.stmt)
            for name in s.defines:
                if name in self.active:   # defined inactive here, active on another path
                    out.append(ir.assign(self.dot(name), self.zeros(ir.load(name))))
        elif isinstance(s, ir.Op):
            out.append(ir.assign(s.target, s.expr))
            if s.target in self.active:
                out.extend(self.op_tangent(s))
        elif isinstance(s, (ir.ListNew, ir.ListAppend, ir.ListGet, ir.ListSet, ir.ListAdd)):
            self.list_statement(s, out)
        else:
            raise AssertionError(s)

    def list_statement(self, s, out):
        """The statements of a list statement and of its tangent list's."""
        if isinstance(s, ir.ListNew):
            elts = list(s.elements)
            seq = ast.Tuple if s.is_tuple else ast.List
            out.append(ir.assign(s.target, seq(elts=elts, ctx=ast.Load())))
            if s.target in self.active:
                out.append(ir.assign(self.dot(s.target), seq(
                    elts=[self.dot_of(e) for e in elts], ctx=ast.Load())))
        elif isinstance(s, ir.ListAppend):
            out.append(ast.Expr(_method(s.target, "append", s.value)))
            if s.target in self.active:
                out.append(ast.Expr(_method(self.dot(s.target), "append", self.dot_of(s.value))))
        elif isinstance(s, ir.ListGet) and s.pop:
            out.append(ir.assign(s.target, _method(s.source, "pop")))
            if s.source in self.active:
                dot = ir.assign(self.dot(s.target), _method(self.dot(s.source), "pop"))
                out.append(dot if s.target in self.active else ast.Expr(dot.value))
            elif s.target in self.active:   # active on another path that assigns it
                out.append(ir.assign(self.dot(s.target), self.zeros(ir.load(s.target))))
        elif isinstance(s, ir.ListGet):
            out.append(ir.assign(s.target, ast.Subscript(value=ir.load(s.source), slice=s.index,
                                                         ctx=ast.Load())))
            if s.target in self.active and s.source in self.active:
                out.append(ir.assign(self.dot(s.target), ast.Subscript(
                    value=ir.load(self.dot(s.source)), slice=s.index, ctx=ast.Load())))
            elif s.target in self.active:   # active on another path that assigns it
                out.append(ir.assign(self.dot(s.target), self.zeros(ir.load(s.target))))
        elif isinstance(s, ir.ListSet):
            out.append(ir.set_item(s.target, s.index, s.value))
            if s.target in self.active:
                out.append(ir.set_item(self.dot(s.target), s.index, self.dot_of(s.value)))
        elif isinstance(s, ir.ListAdd):
            out.append(ir.add_to_item(s.target, s.index, s.value))
            if s.target in self.active and isinstance(s.value, ast.Name) \
                    and s.value.id in self.active:   # linear: the tangent's item gets value_dot
                out.append(ir.add_to_item(self.dot(s.target), s.index,
                                          ir.load(self.dot(s.value.id))))

    def op_tangent(self, s):
        """``target_dot = ...`` for the primitive application ``s``."""
        rule = s.rule
        dots = {i: ir.load(self.dot(e.id)) for i, e in enumerate(s.inputs)
                if isinstance(e, ast.Name) and e.id in self.active}
        statements = []
        if rule.name == "copy":
            terms = [dots[0]] if dots else []
        elif rule.sequences and rule.sequences[0] in rule.differentiable_inputs \
                and rule.tangent is None:
            # np.concatenate([a, b]), np.stack(hs), np.array([x, y]): linear in the list, so
            # the tangent is the primitive applied to the list of the items' tangents
            k = rule.inputs.index(rule.sequences[0])
            seq = s.inputs[k]
            if isinstance(seq, (ast.List, ast.Tuple)):
                items = [self.dot_of(e) for e in seq.elts]
                active = any(isinstance(e, ast.Name) and e.id in self.active for e in seq.elts)
                dot_seq = type(seq)(elts=items, ctx=ast.Load())
            else:
                active = isinstance(seq, ast.Name) and seq.id in self.active
                dot_seq = ir.load(self.dot(seq.id)) if active else None
                if active and rule.name == "array" and seq.id in self.tuples:
                    dot_seq = ir.call(self.aliases["array_of_pieces"], dot_seq)
            terms = [copy.deepcopy(s.expr, {id(seq): dot_seq})] if active else []
        elif rule.linear and rule.tangent is None:
            # a linear primitive's tangent is the primitive applied to the tangent of its one
            # differentiable input
            terms = []
            k = rule.inputs.index(rule.differentiable_inputs[0])
            if k in dots:
                terms = [_replace_name(copy.deepcopy(s.expr), s.inputs[k].id, dots[k].id)]
        else:
            try:
                inst = instantiate(rule, s.target, None, s.inputs, s.statics, set(), self.ndim_of,
                                   self.namer, self.aliases, dots=dots,
                                   extra=self.fn.extra_globals, full_of=self.full_of,
                                   shape_of=self.shape_of, refused_at=lambda why: str(
                                       self.fn.source.error(s.node, f"forward mode: {why}")))
            except TransformError as exc:
                raise self.fn.source.error(s.node, f"forward mode: {exc}") from None
            statements = inst.statements
            terms = [simplify(t) for _, t in inst.contributions]
        if terms and rule.tangent is None:
            terms = [self.cast_as_the_value(s, t) for t in terms]
        value = simplify(total(terms)) if terms else self.zeros(ir.load(s.target))
        return statements + [ir.assign(self.dot(s.target), value)]

    def cast_as_the_value(self, s, term):
        """The tangent ``term`` of a linear primitive applied to tangents, given the value's
        ``dtype=``: the tangents taken in their own precision (the dtype given as None) and
        cast as astype's tangent is (``np.array([a, b], dtype=int)`` rounds the value, so its
        tangent is zero, not the tangents rounded)."""
        dtype = s.statics.get("dtype")
        if dtype is None or isinstance(dtype, ast.Constant) and dtype.value is None \
                or "dtype" in s.rule.floating:   # (np.sum's: a floating type, as given)
            return term
        if isinstance(term, ast.Call):
            given = ast.dump(dtype)
            for k in term.keywords:
                if k.arg == "dtype":
                    k.value = ast.Constant(None)
            term.args = [ast.Constant(None) if i and ast.dump(a) == given else a
                         for i, a in enumerate(term.args)]
        return ir.call(self.aliases["astype_bar"], term, copy.deepcopy(dtype))


def _method(name, method, *args):
    return ast.Call(func=ast.Attribute(value=ir.load(name), attr=method, ctx=ast.Load()),
                    args=list(args), keywords=[])


def _replace_name(tree, old, new):
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == old:
            node.id = new
    return tree
