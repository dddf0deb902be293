"""Reverse mode: the forward sweep followed by the reversed sweep of bar statements.

Each variable's adjoint is defined once, where the reversed sweep reaches
the statement that assigned the variable: by then every use of the variable
has contributed its term, so ``v_bar`` is written as the sum of those terms
(no zero initialisation, no accumulation in place). A term that is just
another adjoint is not copied; the name is reused.
"""

import ast
from collections import defaultdict
from dataclasses import dataclass

from . import ir
from .analysis import activity, infer_ndims
from .optimize import fuse, prune, simplify, total
from .templates import instantiate


@dataclass
class Adjoint:
    """The generated pieces of one reverse-mode function."""

    fn: object            # ir.NormalFunction
    forward: list         # ast statements
    backward: list        # ast statements
    outputs: list         # returned value expressions
    grads: list           # one expression per wrt parameter


def reverse(fn, param_ndims, aliases, return_value=True):
    """Build the adjoint of ``fn``. ``param_ndims``: known ndim of parameters (None = unknown);
    ``aliases``: runtime helper name -> name in the generated code; ``return_value``: whether
    the generated function returns ``fn``'s value too (else its last statements may be dead)."""
    active = activity(fn)
    _, ndim_of = infer_ndims(fn, param_ndims)
    namer = fn.namer
    pending = defaultdict(list)
    backward = []

    def define_bar(name):
        terms = pending.pop(name, None)
        if not terms:
            return None
        if len(terms) == 1 and isinstance(terms[0], ast.Name):
            return terms[0].id
        bar = namer.bar(name)
        backward.append(ir.assign(bar, simplify(total(terms))))
        return bar

    for i, out in enumerate(fn.outputs):
        if isinstance(out, ast.Name) and out.id in active:
            seed = ir.load("out_bar")
            if fn.tuple_output:
                seed = ast.Subscript(value=seed, slice=ast.Constant(i), ctx=ast.Load())
            pending[out.id].append(seed)

    for s in reversed(fn.body):
        if not isinstance(s, ir.Op) or s.target not in active:
            continue
        bar = define_bar(s.target)
        if bar is None:
            continue
        wanted = {i for i, e in enumerate(s.inputs) if isinstance(e, ast.Name) and e.id in active}
        inst = instantiate(s.rule, s.target, bar, s.inputs, s.statics, wanted, ndim_of, namer,
                           aliases)
        backward.extend(inst.statements)
        for i, term in inst.contributions:
            pending[s.inputs[i].id].append(simplify(term))

    grads = []
    for p in fn.wrt:
        terms = pending.pop(p, None)
        bar = namer.bar(p)
        if not terms:
            value = ast.Call(func=ir.load(aliases["zeros_like"]), args=[ir.load(p)], keywords=[])
        else:
            value = simplify(total(terms))
            # Python numbers are immutable, so only an array view needs converting for them
            n = ndim_of(ir.load(p))
            if n is None or _may_alias(value, aliases) and (n > 0 or isinstance(value, ast.Call)):
                value = ast.Call(func=ir.load(aliases["as_gradient"]), args=[value, ir.load(p)],
                                 keywords=[])
        backward.append(ir.assign(bar, value))
        grads.append(ir.load(bar))

    live = set().union(*(ir.names_read(g) for g in grads))
    backward = prune(backward, live)
    live |= set().union(*(ir.names_read(s) for s in backward))
    if return_value:
        live |= set().union(*(ir.names_read(o) for o in fn.outputs))
    body = prune(fn.body, live)
    forward = [s.stmt if isinstance(s, ir.Keep) else ir.assign(s.target, s.expr) for s in body]
    fusable = {s.target for s in body if isinstance(s, ir.Op)} | {
        d for s in body if isinstance(s, ir.Keep) and s.pure for d in s.defines}
    forward = fuse(forward, fusable & namer.temps, live)
    renumber_temps(forward + backward, fn.outputs, namer)
    return Adjoint(fn, forward, backward, list(fn.outputs), grads)


_VIEWS = {"unbroadcast", "unreduce", "transpose_bar"}
_NUMPY_VIEWS = {"broadcast_to", "transpose", "expand_dims", "reshape", "swapaxes", "ravel"}


def _may_alias(value, aliases):
    """Whether a gradient expression may evaluate to a view or to another variable's array,
    which must not be handed to the caller (they could write into it)."""
    if isinstance(value, (ast.Name, ast.Subscript)):
        return True
    if isinstance(value, ast.Attribute):
        return value.attr == "T"
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Name):
            return func.id in {aliases[h] for h in _VIEWS}
        if isinstance(func, ast.Attribute):
            return func.attr in _NUMPY_VIEWS
    return False


def renumber_temps(statements, outputs, namer):
    """Number the temporaries that remain t1, t2, ... in order of appearance (their adjoints
    follow: t3_bar), so gaps left by fused or dead temporaries do not show."""
    order = []
    for s in statements + list(outputs):
        for node in ast.walk(s):
            if isinstance(node, ast.Name):
                base = node.id[:-4] if node.id.endswith("_bar") else node.id
                if base in namer.temps and base not in order:
                    order.append(base)
    reserved = namer.taken - namer.temps - {f"{t}_bar" for t in namer.temps}
    mapping, k = {}, 0
    for old in order:
        k += 1
        while f"t{k}" in reserved or f"t{k}_bar" in reserved:
            k += 1
        mapping[old] = f"t{k}"
    for s in statements + list(outputs):
        for node in ast.walk(s):
            if isinstance(node, ast.Name):
                if node.id in mapping:
                    node.id = mapping[node.id]
                elif node.id.endswith("_bar") and node.id[:-4] in mapping:
                    node.id = mapping[node.id[:-4]] + "_bar"
