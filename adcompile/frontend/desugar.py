"""The passes that need only a function's syntax, in order: ``desugar`` runs them on a
copy of the user's ``def`` before any statement is normalized (for the differentiated
function, and again for each function inlined into it).

Each pass is a function of a module of its own, rewriting the copy into simpler Python:

0. the values a call gives that choose a function (``kind="tanh"``) as constants, and the
   branches they decide as the branch taken (static_choices.py);
1. loops over a generator of the user's written out with its code (generators.py);
   ``f = factory(a)`` as the function the factory makes (factories.py);
2. an inlined copy's nodes marked with the call sites that led to it (source.mark_place);
3. imports at the top of its body dropped, their names bound when transforming
   (local_imports.py);
4. reflection with constant text (``eval("a * b")``, ``locals()["w"]``) and a local naming a
   module's function (``sin = math.sin``) as the code they stand for (reflection.py,
   function_aliases.py); a method called on what a class method makes
   (``Ridge.from_vector(theta).loss(X, y)``) after a statement naming the object
   (chained_objects.py);
5. ufunc methods as the functions they equal (ufunc_methods.py), a ufunc with ``out=`` as
   an array update (ufunc_out.py); ``with np.errstate(...)`` blocks that only quiet
   warnings as their bodies (contexts.py); ``del`` of names dropped (deletions.py);
6. a loop changing in place the rows of the array it walks as a loop over their positions
   (row_loops.py); a name for a row changed in place (``a = alpha[t]; a[:] = v``) as the
   row itself (row_views.py); a list of lists of reals used entry by entry as a 2-d array
   (list_tables.py); ``a, *rest, z = value`` as reads of its items (starred.py);
   ``xs.insert(i, v)`` and ``xs.reverse()`` on a list the function makes as appends and
   item assignments (list_inserts.py); loops over a fixed sequence of functions written
   out (function_loops.py); map, filter, reduce and sorted/min/max with ``key=`` as code
   calling the function (higher_order.py);
7. nested functions and lambdas taken out, their closures made explicit (closures.py);
   ``f(*parts)`` of a tuple built at one place as ``f(parts[0], parts[1])`` (variadic.py);
8. comprehensions as loops building lists or dicts, but those walking the parameters given
   structures (comprehensions.py); ``for a, b in zip(*parts)`` as a loop over ``zip(z0,
   z1)`` after ``z0, z1 = parts`` (variadic.py);
9. jumps at the ends of their paths and one return at the end (lower.py);
10. a call statement of a helper that changes an array argument in place as an assignment
    to it, ``u = apply_bc(u)`` (in_place_calls.py); ``x[index] = v`` as a new version of
    ``x`` (item_desugar.py); frozen scipy.stats distributions as the calls they stand for
    (frozen.py);
11. each ``if`` and loop marked with the variables read after it (analysis/liveness.py).

``ad.show(f, stage="desugar")`` prints what they leave (``frontend.desugared``).
"""

from .. import ir
from ..rules import REGISTRY
from ..analysis import liveness
from .choice_folding import fix_choices
from .chained_objects import name_chained_objects
from .closures import extract
from .comprehensions import desugar_comprehensions
from .contexts import unwrap_quiet_contexts
from .deletions import drop_name_deletions
from .factories import write_factory_calls
from .frozen import desugar_frozen
from .function_aliases import inline_function_aliases
from .function_loops import unroll_function_loops
from .generators import inline_generator_loops
from .higher_order import desugar_higher_order
from .in_place_calls import desugar_in_place_calls
from .item_desugar import desugar_items
from .local_imports import drop_local_imports
from .list_inserts import write_list_inserts
from .list_tables import write_list_tables
from .lower import lower_function
from .nesting import split_nesting
from .reflection import constant_reflection
from .row_loops import write_row_loops
from .row_views import write_row_views
from .source import mark_place
from .starred import desugar_starred
from .structure_sharing import kept_parameters
from .ufunc_methods import write_ufunc_methods
from .ufunc_out import write_ufunc_outputs
from .variadic import expand_local_tuples, expand_starred_zips


def desugar(source, callers=(), structures=(), choices=None):
    """(a copy of ``source``'s ``def`` after the passes above, the nested functions they took
    out): ``callers`` are the call sites that inline this copy (none for the differentiated
    function), ``structures`` the parameters given structures, ``choices`` the constants
    given for parameters (static_choices.py)."""
    fn = ir.copy_tree(source.node)   # (as copy.deepcopy does, at a third of its cost)
    if choices:
        fix_choices(fn, choices)
    inline_generator_loops(fn, source)
    write_factory_calls(fn, source)
    if callers:
        mark_place(fn, source, callers)
    drop_local_imports(fn, source.imports)
    constant_reflection(fn, source)
    inline_function_aliases(fn, source)
    name_chained_objects(fn, source)
    write_ufunc_methods(fn, source)
    write_ufunc_outputs(fn, source)
    unwrap_quiet_contexts(fn, source)
    drop_name_deletions(fn)
    write_row_loops(fn, source)   # (before items: row[j] = v becomes B[k][j] = v)
    write_row_views(fn, source, structures)   # (as well: a[j] = v becomes B[t][j] = v)
    write_list_tables(fn, source)   # (before comprehensions: R = [[c] * k for ...])
    desugar_starred(fn, source)   # (before higher_order.py: list(map(f, xs)) is a form)
    write_list_inserts(fn)
    unroll_function_loops(fn, source)
    desugar_higher_order(fn, source)
    nested = extract(fn, source)
    expand_local_tuples(fn)
    if desugar_comprehensions(fn, structures):   # (a conditional item, in its loop now)
        split_nesting(fn, source.error)
    expand_starred_zips(fn, source)
    fn = lower_function(fn, source.error)
    desugar_in_place_calls(fn, source, nested, structures)
    desugar_items(fn)
    desugar_frozen(fn, source, REGISTRY)
    if callers:   # (the nodes the passes made: an error at one names the callee's line)
        mark_place(fn, source, callers, unmarked_only=True)
    # (structures given to an inlined function that it never binds again: what it changes
    # in them, the caller reads on: inline.py)
    liveness.annotate(fn, kept_parameters(source, structures) if callers else ())
    return fn, nested
