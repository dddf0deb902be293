"""Frozen scipy.stats distributions written as the calls they stand for.

``scipy.stats.norm(mu, s).logpdf(x)`` is ``scipy.stats.norm.logpdf(x, mu, s)``: a frozen
distribution keeps its parameters and passes them after the method's own arguments. Where
the function makes one, the calls of its methods that have rules are rewritten so:

- ``D(a, k=b).m(x)`` as ``D.m(x, a, k=b)``;
- ``d = D(a, k=b)`` (``d`` assigned there only) as ``d_1 = a`` and ``d_k = b`` (the
  parameters as they are when it is made, whatever happens to ``a`` and ``b`` later) and
  ``d = None``, and each ``d.m(x)`` as ``D.m(x, d_1, k=d_k)``, when ``d`` is used only so;
- a frozen distribution the function reads from its module (or a closure), a constant, as
  ``G.dist.m(x, G.args[0], k=G.kwds["k"])`` (``G.dist`` is a twin of ``D``: the registry
  finds its rules, rules/__init__.py).

Anything else a frozen distribution is used for keeps the refusals of calls without rules.
"""

import ast
import copy

from ..ir import assigns, names_mentioned, walk_tree
from ..ir.naming import fresh_name

#: the attribute of a call making a frozen distribution that cannot be rewritten: why (the
#: refusal of the call when its parameters are differentiated, validate.py)
FROZEN = "_adcompile_frozen"

#: the methods of distributions that may have rules
METHODS = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "logpmf", "pmf")


def desugar_frozen(fn, source, registry):
    """Rewrite the frozen distributions of the ``def`` ``fn`` (in place) as above."""
    methods_called, made = _candidates(fn)
    if not methods_called and not made:   # (most functions: nothing to look up)
        ast.fix_missing_locations(fn)
        return
    local = {a.arg for a in walk_tree(fn.args) if isinstance(a, ast.arg)} | assigns([fn])

    def resolved(e):
        found = source.callee(e, local)
        return found.what if found.kind == "object" else None

    def has_rule(dist, method):
        try:
            return method in METHODS and registry.rule_for(getattr(dist, method)) is not None
        except Exception:  # noqa: BLE001 - an object whose attribute fails has no rule
            return False

    def distribution(call):   # the distribution ``call`` freezes, when it is one with rules
        if not isinstance(call, ast.Call) or _unpacks(call):
            return None
        dist = resolved(call.func)
        return dist if any(has_rule(dist, m) for m in METHODS) else None

    if not methods_called and all(distribution(call) is None for call in made):
        ast.fix_missing_locations(fn)
        return
    _frozen_variables(fn, local, distribution, has_rule)

    class Calls(ast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            method = node.func
            if not isinstance(method, ast.Attribute) or _unpacks(node):
                return node
            made = method.value
            dist = distribution(made)
            if dist is not None and has_rule(dist, method.attr):   # D(a).m(x)
                return _call(made.func, method.attr, node, made.args, made.keywords)
            frozen = resolved(made) if isinstance(made, (ast.Name, ast.Attribute)) else None
            if _is_frozen(frozen) and has_rule(frozen.dist, method.attr):   # G.m(x), a constant
                args = [ast.Subscript(value=ast.Attribute(value=made, attr="args",
                                                          ctx=ast.Load()),
                                      slice=ast.Constant(i), ctx=ast.Load())
                        for i in range(len(frozen.args))]
                keywords = [ast.keyword(arg=k, value=ast.Subscript(
                    value=ast.Attribute(value=made, attr="kwds", ctx=ast.Load()),
                    slice=ast.Constant(k), ctx=ast.Load())) for k in frozen.kwds]
                dist_expr = ast.Attribute(value=made, attr="dist", ctx=ast.Load())
                return _call(dist_expr, method.attr, node, args, keywords)
            return node

    Calls().visit(fn)
    ast.fix_missing_locations(fn)


def _candidates(fn):
    """(whether ``fn`` calls a method named as one of ``METHODS``, the calls ``d = D(...)``
    assigns to a name): without the first, no call is rewritten; without a distribution
    among the second, no variable."""
    methods_called, made = False, []
    for node in walk_tree(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in METHODS:
            methods_called = True
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call) \
                and not _unpacks(node.value):
            made.append(node.value)
    return methods_called, made


def _frozen_variables(fn, local, distribution, has_rule):
    """Rewrite each ``d = D(...)`` whose ``d`` is assigned only there and read only as
    ``d.m(...)`` with a rule for ``D.m``, and those reads."""
    stores, loads = {}, {}
    for node in walk_tree(fn):
        if isinstance(node, ast.Name):
            (stores if isinstance(node.ctx, ast.Store) else loads).setdefault(
                node.id, []).append(node)
    params = {a.arg for a in walk_tree(fn.args) if isinstance(a, ast.arg)}
    methods = {n.func.value: n for n in walk_tree(fn) if isinstance(n, ast.Call)
               and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
               and not _unpacks(n)}
    taken = set(local) | names_mentioned([fn])
    for parent in ast.walk(fn):
        for field in ("body", "orelse"):
            block = getattr(parent, field, None)
            if not isinstance(block, list):
                continue
            at = 0
            while at < len(block):
                new = _freeze(block[at], stores, loads, params, methods, taken, distribution,
                              has_rule)
                block[at:at + 1] = new or [block[at]]
                at += len(new) if new else 1


def _freeze(stmt, stores, loads, params, methods, taken, distribution, has_rule):
    """The statements for ``stmt`` if it is ``d = D(...)`` to rewrite (its reads rewritten
    too), else None."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)):
        return None
    d, made = stmt.targets[0].id, stmt.value
    dist = distribution(made)
    if dist is None:
        return None
    if d in params or len(stores.get(d, ())) != 1:
        setattr(made, FROZEN, (
            f"{ast.unparse(made)} makes a frozen distribution, and {d} is assigned more than "
            f"once: its parameters can be differentiated only when the variable holding it is "
            f"assigned once (or call {ast.unparse(made.func)}.logpdf(x, ...) with the "
            f"parameters)"))
        return None
    uses = [methods.get(n) for n in loads.get(d, ())]
    other = next((n for n, u in zip(loads.get(d, ()), uses)
                  if u is None or not has_rule(dist, u.func.attr)), None)
    if other is not None or not uses:
        if other is not None:
            use = methods.get(other)
            what = f"{d}.{use.func.attr}(...)" if use is not None else f"{d} itself"
            setattr(made, FROZEN, (
                f"{ast.unparse(made)} makes a frozen distribution, and {what} at line "
                f"{getattr(other, 'lineno', '?')} is not a method adcompile differentiates "
                f"({', '.join(m for m in METHODS if has_rule(dist, m))}): its parameters "
                f"cannot be differentiated"))
        return None
    out, args, keywords = [], [], []
    for key, value in [(str(i + 1), a) for i, a in enumerate(made.args)] + [
            (k.arg, k.value) for k in made.keywords]:
        name = fresh_name(f"{d}_{key}", taken)
        out.append(ast.copy_location(ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())],
                                                value=value), stmt))
        read = ast.Name(id=name, ctx=ast.Load())
        if key.isdigit():
            args.append(read)
        else:
            keywords.append(ast.keyword(arg=key, value=read))
    for use in uses:
        use.func = ast.Attribute(value=copy.deepcopy(made.func), attr=use.func.attr,
                                 ctx=ast.Load())
        use.args = use.args + copy.deepcopy(args)
        use.keywords = use.keywords + copy.deepcopy(keywords)
    out.append(ast.copy_location(ast.Assign(targets=stmt.targets, value=ast.Constant(None)),
                                 stmt))
    return out


def _call(dist_expr, method, node, args, keywords):
    """``dist_expr.method(*node.args, *args, **node.keywords, **keywords)`` at ``node``."""
    func = ast.Attribute(value=dist_expr, attr=method, ctx=ast.Load())
    return ast.copy_location(ast.Call(func=ast.copy_location(func, node.func),
                                      args=list(node.args) + list(args),
                                      keywords=list(node.keywords) + list(keywords)), node)


def _unpacks(call):
    return any(isinstance(a, ast.Starred) for a in call.args) \
        or any(k.arg is None for k in call.keywords)


def _is_frozen(obj):
    """Whether ``obj`` is a frozen univariate scipy.stats distribution."""
    kind = type(obj)
    return kind.__module__.startswith("scipy.stats") and any(
        c.__name__ == "rv_frozen" for c in kind.__mro__) and hasattr(obj, "dist")
