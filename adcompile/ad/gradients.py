"""The gradients the backward sweep hands back: one variable per parameter, a new array
of the argument's shape unless it is one already (``gradient_variable``)."""

import ast

from .. import ir
from . import forms
from .terms import adjoint_root, is_unbroadcast, may_alias


def gradient_variable(adj, p, value, roots, convert, out):
    """The variable holding the gradient handed back for parameter ``p``, whose adjoint
    sums to ``value`` (None: nothing), its statement put into ``out`` (``adj``: the
    reverse pass's Adjoints). It is a new array of the argument's shape (a float for a
    number): what may be a view, the caller's out_bar, or an array another gradient is
    too, is converted (``as_gradient``); Python numbers are immutable, so only an array
    view needs converting for them. ``convert``: convert it anyway (a complex value may
    come out; the argument is float32, the adjoint maybe float64)."""
    terms = value is not None
    if value is None:
        value = adj.zeros(p)
    n = adj.ndim_of(ir.load(p))
    own = adjoint_root(value, adj.aliases)

    def converted(shared):
        return terms and (n is None or convert or may_alias(value, adj.aliases) and (
            n > 0 and shared or n == 0 and isinstance(value, ast.Call)
            and not is_unbroadcast(value, adj.aliases)))

    shared = own is not None and (own == "out_bar" or roots.count(own) > 1)
    # (no adjoint has an array of its own in the differentiable form)
    differentiable = converted(own is not None)
    in_place = converted(shared or own is not None and own not in adj.fresh)
    gradient = ir.call(adj.aliases["as_gradient"], value, ir.load(p)) if differentiable \
        else value
    if in_place == differentiable:
        if isinstance(gradient, ast.Name) and adj.owner.get(gradient.id) == p:
            return gradient.id
        bar = adj.namer.bar(p)
        out.append(ir.assign(bar, gradient))
    elif isinstance(value, ast.Name) and adj.owner.get(value.id) == p:
        # handed back as it is in the in-place form: p's own adjoint
        bar = adj.namer.differentiable_only(p, value.id)
        out.append(forms.offer_array(ir.assign(bar, gradient), []))
    else:
        bar = adj.namer.bar(p)
        out.append(forms.offer_array(ir.assign(bar, gradient),
                                     [ir.assign(bar, ir.copy_tree(value))]))
    return bar
