"""Which of the new values frontend/views.py gave the other names of an array after an
update (``Rebinding.refresh``) are kept: those the arguments' types show to be needed, where
the names are arrays that share the updated one's memory; elsewhere each such name gets its
old value back.
"""

from .. import ir
from .ndims import infer_ndims
from .numbers import infer_numbers


def settle_refreshes(fn, is_number, ndim_of, known=None):
    """Keep the new values frontend/views.py gave the other names of an array after an
    update where the types show that every name they are computed from is an array of one
    or more dimensions (so that Python's names share its memory); elsewhere each such
    variable gets its old value back (a number, or an array the old rules refuse). The
    updates of a group (``Rebinding.together``) are kept or undone together. Undoing one
    changes what later names are (a number, not an array): the facts are inferred again
    before the others are decided. Returns ``is_number`` and ``ndim_of`` for the code
    left."""
    fn.unread = set()   # statements the hazards do not count as readers
    fn.given_back = set()   # copies that give a variable its old value back
    fn.untyped = set()   # the updates whose refreshes the types could not keep
    params = known or ({p: is_number(ir.load(p)) for p in fn.params},
                       {p: ndim_of(ir.load(p)) for p in fn.params})
    _refreshes_the_types_need(fn, params)
    while True:
        refreshed = [r for r in fn.rebindings if r.refresh]

        def views(r):
            return not r.undone and _views(r, is_number, ndim_of)

        failed = {g for r in refreshed if not views(r) for g in r.together}
        undone = [r for r in refreshed if not views(r) or set(r.together) & failed]
        if not undone:
            break
        # (undone for want of types: code for arguments of unknown kinds, refused when it
        # runs where the value is an array, see check_rebindings)
        fn.untyped |= {r.statement for r in undone if any(
            ndim_of(ir.load(n)) is None and not is_number(ir.load(n)) for x in r.refresh
            for n in x.arrays | x.vectors)}
        for rebinding in undone:
            fn.body = _without(fn.body, {s for x in rebinding.refresh for s in x.made})
            for x in rebinding.refresh:
                x.statement.expr = ir.load(x.old)
                x.statement.inputs = [ir.load(x.old)]
                fn.unread.add(x.statement)
                fn.given_back.add(x.statement)
            rebinding.refresh = []
        _, ndim_of = infer_ndims(fn, params[1])
        is_number = infer_numbers(fn, params[0], ndim_of)
    for rebinding in refreshed:
        # (they compute the values after the update; what puts the changed view back into
        # the old base reads its old values only where the view does not cover them:
        # unchanged)
        fn.unread |= {s for x in rebinding.refresh for s in [x.statement, *x.made]}
    return is_number, ndim_of


def _views(rebinding, is_number, ndim_of):
    """Whether the facts show that the names the refreshes of ``rebinding`` are computed
    from are arrays of one or more dimensions (and those that must be, of one): names that
    share memory with the array updated."""
    names = set().union(set(), *(x.arrays for x in rebinding.refresh))
    vectors = set().union(set(), *(x.vectors for x in rebinding.refresh))
    return all(not is_number(ir.load(n)) and (ndim_of(ir.load(n)) or 0) >= 1 for n in names) \
        and all(ndim_of(ir.load(n)) == 1 for n in vectors)


def _refreshes_the_types_need(fn, params):
    """Mark undone (``Rebinding.undone``) the refreshes the arguments' types do not call
    for. A refresh makes the variable it renews an array; where that variable is a loop's
    (it holds the last iteration's value), the refresh alone may be what shows it to be an
    array (``d = np.asarray(x)``, ``d += c`` in a loop over a number ``x``: ``x`` would be
    "an array" only because the refresh assigns it ``d``'s new value). So the refreshes kept
    are the least set consistent with the facts: start from none (each variable given its
    old value back) and keep, round after round, those (groups) the facts then show to be
    needed, inferring the facts again with them."""
    refreshed = [r for r in fn.rebindings if r.refresh and not r.undone]
    if not refreshed:
        return
    written = {x: (x.statement.expr, x.statement.inputs) for r in refreshed
               for x in r.refresh}
    for r in refreshed:
        for x in r.refresh:
            x.statement.expr, x.statement.inputs = ir.load(x.old), [ir.load(x.old)]
    kept = set()
    while True:
        _, ndim_of = infer_ndims(fn, params[1])
        is_number = infer_numbers(fn, params[0], ndim_of)
        waiting = [r for r in refreshed if r not in kept]
        passing = [r for r in waiting if _views(r, is_number, ndim_of)]
        failed = {g for r in waiting if r not in passing for g in r.together}
        new = [r for r in passing if not set(r.together) & failed]
        if not new:
            break
        for r in new:
            kept.add(r)
            for x in r.refresh:
                x.statement.expr, x.statement.inputs = written[x]
    for r in refreshed:
        for x in r.refresh:
            x.statement.expr, x.statement.inputs = written[x]
        r.undone = r not in kept


def _without(stmts, dropped):
    """The block ``stmts`` (and the blocks in it, in place) without the statements
    ``dropped``."""
    for s in stmts:
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                setattr(s, field, _without(getattr(s, field), dropped))
    return [s for s in stmts if s not in dropped]
