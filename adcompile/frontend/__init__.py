"""The frontend: from the user's function to the normalized IR (one primitive per statement).

``normalize(source, wrt)`` first refuses the name ``out_bar`` (refusals.py), then runs
its passes in order, for the differentiated function and again for each function it
calls that is inlined (``Normalizer.enter``):

1. on a copy of the user's ``def``, the passes that need its syntax only, listed in
   their order in desugar.py (generators and factories written out, reflection with
   constant text as code, map/filter/sorted and comprehensions as loops, nested functions
   taken out, one return at the end, ``x[i] = v`` as a new version of ``x``, liveness).

Then, in a new ``state.Scope``, passes that need the function's names resolved:

2. the table of the functions it holds and is given (functions.function_table);
3. getattr(obj, "name") as obj.name (reflection.attributes_by_name);
4. what its lists hold (list_facts.py);
5. an inlined callee's free names that mean something else here get fresh names (inline.py);
6. dependence (dependence.py): which user variables may depend on ``wrt``
   (``varied_user_names``), which may be views of one another (``view_groups``);
7. refusals: constructs and reflection never differentiated (refusals.py), complex
   values (complex_refusals.py), calls on values being differentiated without a
   rule (validate.py).

Then statement by statement (statements.py and assignments.py, with control.py,
loops.py, lists.py, expressions.py, calls.py, rewritten_calls.py, inline.py, with
functions.py for functions as values and variadic.py for *args): SSA names, lists,
calls inlined, one primitive per statement; finally the aliasing check of in-place
changes.
"""

import ast

from ..analysis import points_to
from ..analysis.integer_leaves import check_integer_leaves
from ..analysis.mutations import check_mutations, check_stale_leaves
from ..rules import REGISTRY
from .desugar import desugar
from .normalize import Normalizer
from .refusals import refuse_seed_name

__all__ = ["desugared", "normalize"]


def normalize(source, wrt, trees=None, registry=REGISTRY, has_aux=False, statics=None):
    """The ``ir.NormalFunction`` of ``source`` (a ``FunctionSource``) differentiated with
    respect to the parameters ``wrt``, ``trees`` giving the structure of each parameter
    that is one (ir/trees.py); raises ``TransformError`` for what it cannot do.
    ``has_aux``: the function returns ``value, aux``, and only the value is differentiated;
    ``statics``: the ints a call gives loops over structures (static_ints.py)."""
    refuse_seed_name(source)
    fn = Normalizer(source, wrt, registry, trees, has_aux, statics).function()
    check_mutations(fn, points_to.of(fn))
    check_stale_leaves(fn, points_to.of(fn))
    check_integer_leaves(fn)
    return fn


def desugared(source, structures=(), choices=None):
    """The text of ``source``'s ``def`` after the passes that need only its syntax (1.
    above, ``desugar.desugar``; ``structures``: its parameters given structures), the
    nested functions they took out first, under the names the calls use (a lambda's:
    ``<lambda:1>``): what ``ad.show(f, stage="desugar")`` prints. ``choices``: the
    constants a call gave (static_choices.py)."""
    fn, nested = desugar(source, structures=set(structures), choices=choices)
    parts = [ast.FunctionDef(**{**vars(local.source.node), "name": name})
             for name, local in nested.items()]
    return "\n\n".join(ast.unparse(part) for part in [*parts, fn]) + "\n"
