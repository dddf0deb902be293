"""The frontend: from the user's function to the normalized IR (one primitive per statement).

``normalize(source, wrt)`` runs its passes in order. On the user's AST, for the
differentiated function and again for each function it calls that is inlined
(``Normalizer.enter``):

0. reflection whose text is in the source (``eval("a * b")``, ``locals()["w"]``) as the
   code it stands for (reflection.py); nested functions and lambdas taken out, their
   closures made explicit (closures.py);
1. lower (lower.py): jumps at the ends of their paths, one return at the end;
2. liveness (liveness.py): each ``if`` and loop marked with the variables read after it;
3. getattr(obj, "name") as obj.name (validate.attributes_by_name);
4. an inlined callee's free names that mean something else here get fresh names (inline.py);
5. dependence (dependence.py): which user variables may depend on ``wrt``;
6. validate (validate.py): refuse what can never be differentiated.

Then statement by statement (statements.py, with control.py, loops.py, lists.py,
expressions.py, calls.py, inline.py, with functions.py for functions as values and
variadic.py for *args): SSA names, lists, calls inlined, one primitive per statement;
finally the aliasing check of in-place changes.
"""

from ..analysis import aliasing
from ..rules import REGISTRY
from .normalize import Normalizer
from .refusals import refuse_seed_name

__all__ = ["normalize"]


def normalize(source, wrt, trees=None, registry=REGISTRY, has_aux=False):
    """The ``ir.NormalFunction`` of ``source`` (a ``FunctionSource``) differentiated with
    respect to the parameters ``wrt``, ``trees`` giving the structure of each parameter
    that is one (ir/trees.py); raises ``TransformError`` for what it cannot do.
    ``has_aux``: the function returns ``value, aux``, and only the value is differentiated."""
    refuse_seed_name(source)
    fn = Normalizer(source, wrt, registry, trees, has_aux).function()
    aliasing.check_mutations(fn, aliasing.of(fn))
    return fn
