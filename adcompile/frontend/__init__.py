"""The frontend: from the user's function to the normalized IR (one primitive per statement).

``normalize(source, wrt)`` first refuses the name ``out_bar`` (refusals.py), then runs
its passes in order, for the differentiated function and again for each function it
calls that is inlined (``Normalizer.enter``). On a copy of the user's ``def``, passes
that need its syntax only (``normalize.desugar``):

1. an inlined copy's nodes marked with the call sites that led to it (source.mark_place);
2. reflection whose text is in the source (``eval("a * b")``, ``locals()["w"]``) as the
   code it stands for (reflection.py);
3. imports at the top of the body dropped, their names bound when transforming
   (local_imports.py, FunctionSource.imports); a local that names a module's function once (``sin = math.sin``), a list of functions
   or a gradient adcompile makes (``g = ad.grad(f)``) read as what it names
   (function_aliases.py); ufunc methods that equal a NumPy function (``np.add.reduce``,
   ``np.subtract.outer``) as that function (ufunc_methods.py); ``with np.errstate(...)``
   blocks that only quiet warnings read as their bodies (contexts.py); loops over a fixed sequence of functions written out
   (function_loops.py); a ufunc with ``out=`` as an array update (ufunc_out.py); map,
   filter, functools.reduce and sorted/min/max with ``key=`` as code calling the function
   (higher_order.py);
4. nested functions and lambdas taken out, their closures made explicit (closures.py);
5. comprehensions as loops building lists (comprehensions.py);
6. lower (lower.py): jumps at the ends of their paths, one return at the end; a call
   statement of a helper that changes an array argument in place (``apply_bc(u)``) as an
   assignment to that name (in_place_calls.py);
7. ``x[index] = v`` as a new version of ``x`` (items.py); frozen scipy.stats
   distributions as the calls they stand for (frozen.py);
8. liveness (liveness.py): each ``if`` and loop marked with the variables read after it.

Then, in a new ``state.Scope``, passes that need the function's names resolved:

9. the table of the functions it holds and is given (functions.function_table);
10. getattr(obj, "name") as obj.name (reflection.attributes_by_name);
11. what its lists hold (list_facts.py);
12. an inlined callee's free names that mean something else here get fresh names (inline.py);
13. dependence (dependence.py): which user variables may depend on ``wrt``
    (``varied_user_names``), which may be views of one another (``view_groups``);
14. refusals: constructs and reflection never differentiated (refusals.py), complex
    values (complex_refusals.py), calls on values being differentiated without a
    rule (validate.py).

Then statement by statement (statements.py and assignments.py, with control.py,
loops.py, lists.py, expressions.py, calls.py, rewritten_calls.py, inline.py, with
functions.py for functions as values and variadic.py for *args): SSA names, lists,
calls inlined, one primitive per statement; finally the aliasing check of in-place
changes.
"""

import ast

from ..analysis import aliasing
from ..rules import REGISTRY
from .normalize import Normalizer, desugar
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
    aliasing.check_mutations(fn, aliasing.of(fn))
    aliasing.check_stale_leaves(fn, aliasing.of(fn))
    return fn


def desugared(source, structures=()):
    """The text of ``source``'s ``def`` after the passes that need only its syntax (1. to 8.
    above, ``normalize.desugar``; ``structures``: its parameters given structures), the
    nested functions they took out first, under the names the calls use (a lambda's:
    ``<lambda:1>``): what ``ad.show(f, stage="desugar")`` prints."""
    fn, nested = desugar(source, structures=set(structures))
    parts = [ast.FunctionDef(**{**vars(local.source.node), "name": name})
             for name, local in nested.items()]
    return "\n\n".join(ast.unparse(part) for part in [*parts, fn]) + "\n"
