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
from .optimize import prune, simplify, total
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
        backward.append(ir.assign(bar, value))
        grads.append(ir.load(bar))

    live = set().union(*(ir.names_read(g) for g in grads))
    backward = prune(backward, live)
    live |= set().union(*(ir.names_read(s) for s in backward))
    if return_value:
        live |= set().union(*(ir.names_read(o) for o in fn.outputs))
    forward = [s.stmt if isinstance(s, ir.Keep) else ir.assign(s.target, s.expr)
               for s in prune(fn.body, live)]
    return Adjoint(fn, forward, backward, list(fn.outputs), grads)
