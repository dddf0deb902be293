"""The one propagation engine of the dependence analyses: a set of names grown along
flows to a fixed point.

Both questions of that kind are answered with it, each extracting its own flows:
the frontend's (which user names may *vary*: frontend/dependence.py, on the user's
AST) and ``analysis.activity`` (which generated names are *active*: varied and
useful, on the normalized IR). A flow is a pair ``(targets, sources)``: the names
``targets`` join the set once it holds a name of ``sources``, or, for a question
asked of expressions rather than names, once ``sources(found)`` (a function of the
set so far) says so. Flows are monotone (a flow that ran runs again on a larger set),
so the order of the flows changes only how many rounds it takes; give them in the
order values flow (definitions before uses) for one round and a check.
"""


def closure(found, flows):
    """Grow the set ``found`` (in place; returned) along ``flows`` until nothing changes."""
    grown = True
    while grown:
        grown = False
        for targets, sources in flows:
            if all(t in found for t in targets):
                continue
            if sources(found) if callable(sources) else not found.isdisjoint(sources):
                found.update(targets)
                grown = True
    return found
