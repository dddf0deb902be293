"""Calls of the user's helpers that change an array argument in place (``apply_bc(u)``,
``s = zero_first_and_sum(u)``), written so that the caller visibly assigns the array: a
syntax-only pass of ``desugar``.

Python passes the array itself: after ``apply_bc(u)`` the caller's ``u`` names the
changed array. adcompile computes each change in place as a new version of the array
(items.py), so after the call the caller's ``u`` must be the callee's last version of
its parameter. The statement becomes an assignment to the names it changes, ``u =
apply_bc(u)``, ``s, u = zero_first_and_sum(u)``, which every analysis of names then
sees (a loop carries ``u``, an ``if`` joins it, liveness reads it), with the user's
statement kept on it (``CHANGES``); normalizing it (``Inline.in_place_call``) inlines
the call as the user wrote it, then binds each changed name to the callee's last
version of its parameter. Other names of the array (``w = u``, a view ``u[1:]``) are
the aliasing analysis's, as for the caller's own ``u[0] = v``: refused where one is read
after the change.

A call is written so when it is a statement (``f(u)``, ``r = f(u)``, ``a, b = f(u)``: a
target of names) calling a function of the user's that the function's globals or
closure name (``f``, ``module.f``; not a local, a method or a function with a rule of
its own), passing a name ``u`` of the caller's as one argument (``f(u, u)`` is left as
written; a view passed too, ``f(u, u[1:])``, is a name of the callee's that the
aliasing analysis sees), whose parameter the callee changes only in place: it assigns
into it (``u[i] = v``, ``u[i] op= v``), fills it (``u.fill(v)``, ``u.sort()``,
``np.copyto(u, v)``, ``np.add.at(u, i, v)``, ``np.fill_diagonal(u, v)``, ``out=u``) or
passes it to a helper that changes it so (in such a statement of its own), and never
binds the name again (``u = u * 2``, ``del u``, a loop over it, ...) nor mentions it in
a function it defines. Anything else is left as written (and refused where Python's
change could be seen: statements.py, analysis/mutations.py and rebindings.py).

``u += v`` on the parameter (any ``op=``) changes the caller's array in place where it is
given a NumPy array, but on a number binds the callee's name to a new one, leaving the
caller's as it was. Such a parameter counts as changed in place where the caller's name
surely holds an array (``u = np.zeros(n)``: array_names.py), and in a call whose value
is not used (``step(u, dt)``, which for a number would do nothing): there
``Inline.in_place_call`` checks that it holds one when the code runs
(``require_ndarray``, dropped where the argument kinds show it). Elsewhere (``y =
shifted(t)``, ``t`` a number) the call is left as written: the callee's new value is
its own.
"""

import ast
import inspect
import types

from .. import ir
from ..errors import TransformError
from ..ir.naming import names_in
from ..rules import REGISTRY
from .array_names import array_names
from .held_arguments import hold_changed_items
from .item_desugar import AT_UFUNCS
from .source import PLACE, FunctionSource, own_signature
from .syntax import is_user_function, made_by_adcompile

#: the attribute of an assignment written for a call that changes arguments in place: (the
#: user's statement, the function it calls, ((caller's name, the callee's parameter), ...)
#: for the arrays the callee changes, the names of those that must be checked to be arrays
#: when the code runs), a tuple, which ir.copy_tree copies with the statement (its call
#: is the statement's own)
CHANGES = "_adcompile_changes"

#: methods of an array that change it in place (``u.fill(0.0)``: item_desugar.py)
_FILLING_METHODS = ("fill", "sort")
#: NumPy functions that change their first argument in place (item_desugar.py)
_FILLING_FUNCTIONS = ("copyto", "fill_diagonal")


def desugar_in_place_calls(fn, source, local, structures=()):
    """Rewrite, in the ``def`` ``fn`` (in place; ``source`` its FunctionSource), each call
    statement passing one of its names to a helper that changes it in place as an
    assignment to that name (see above). ``local``: the names that are not the
    globals' (the nested functions taken out), ``structures``: parameters given
    structures (never rewritten: tree_binding.py changes those)."""
    if source.generated:
        return
    local = set(local) | set(source.params) | ir.assigns([fn])
    found = _InPlaceParameters()
    arrays = array_names(fn, source, set(source.params), local)

    def called(func):
        return _resolved(func, source, local)

    taken = ir.names_mentioned([fn])
    for block in list(_blocks(fn)):   # normalize_(params["w"]): held_arguments.py
        hold_changed_items(fn, block, called, found, set(structures), taken)
    for block in _blocks(fn):
        for k, stmt in enumerate(block):
            marked = _marked(stmt, called, found, skip=structures, arrays=arrays)
            if marked is not None:
                block[k] = marked


def _blocks(fn):
    """Every block of statements of ``fn`` (its body, those of its ifs, loops, withs,
    tries), not those of the functions and classes it defines."""
    todo = [fn]
    while todo:
        node = todo.pop()
        for field in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], (ast.stmt,
                                                                            ast.excepthandler)):
                if isinstance(block[0], ast.stmt):
                    yield block
                todo.extend(s for s in block if not isinstance(
                    s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))


def changed_by_call(stmt, called, found, skip=(), may_hold_array=lambda name: False):
    """(the function ``stmt`` calls, [(name, parameter), ...] for each name of the caller's
    the callee changes only in place) for a call statement as described above, else None.
    ``called(func)`` resolves the called expression to a function of the user's (or
    None); ``found``: ``_InPlaceParameters``; the names ``skip`` are never changed so; a
    name for which ``may_hold_array(name)`` is changed by the callee's ``u op= v`` on its
    parameter too (in place for an array)."""
    if isinstance(stmt, ast.Expr):
        call, targets = stmt.value, set()
    elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
            and _names_only(stmt.targets[0]):
        call, targets = stmt.value, {n.id for n in ast.walk(stmt.targets[0])
                                     if isinstance(n, ast.Name)}
    else:
        return None
    if not isinstance(call, ast.Call) or any(isinstance(a, ast.Starred) for a in call.args) \
            or any(k.arg is None for k in call.keywords):
        return None
    func = called(call.func)
    if func is None:
        return None
    changing, augmenting = found.of(func), found.augmented(func)
    if not changing and not augmenting:
        return None
    try:
        bound = own_signature(func).bind(*call.args, **{k.arg: k.value for k in call.keywords})
    except TypeError:
        return None
    passed = [a.id for a in bound.arguments.values() if isinstance(a, ast.Name)]
    changed = [(a.id, p) for p, a in bound.arguments.items()
               if isinstance(a, ast.Name) and a.id not in targets and (
                   p in changing or p in augmenting and may_hold_array(a.id))]
    if any(passed.count(name) > 1 or name in skip for name, _ in changed):
        return None   # (f(u, u): one array under two names; left to aliasing)
    return (func, changed) if changed else None


def _marked(stmt, called, found, skip, arrays):
    """The assignment standing for the call statement ``stmt`` (see ``changed_by_call``),
    or None. A call whose value is not used (``step(u, dt)``) changes by the callee's ``u
    op= v`` a name not known to hold an array too, checked to hold one when the code runs
    (a number would be left as it is: the call is useless then, as it is written)."""
    unused = isinstance(stmt, ast.Expr)
    made = changed_by_call(stmt, called, found, skip,
                           lambda name: unused or name in arrays)
    if made is None:
        return None
    func, changed = made
    augmenting = found.augmented(func)
    checked = tuple(name for name, p in changed if p in augmenting and name not in arrays)
    user = stmt
    names = [ast.copy_location(ast.Name(id=name, ctx=ast.Store()), stmt)
             for name, _ in changed]
    if isinstance(stmt, ast.Assign):   # r = f(u): r, u = f(u)
        names.insert(0, stmt.targets[0])
    target = names[0] if len(names) == 1 else ast.copy_location(
        ast.Tuple(elts=names, ctx=ast.Store()), stmt)
    new = ast.copy_location(ast.Assign(targets=[target], value=stmt.value), stmt)
    for node in (new, target, *names):
        if hasattr(stmt, PLACE):
            setattr(node, PLACE, getattr(stmt, PLACE))
    setattr(new, CHANGES, (user, func, tuple(changed), checked))
    return new


def _names_only(target):
    """Whether ``target`` is a name or a (nested) tuple or list of names."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(_names_only(e) for e in target.elts)
    return isinstance(target, ast.Name)


def _resolved(func, source, local):
    """The function of the user's the expression ``func`` (``f``, ``module.f``) names in
    ``source``'s globals or closure, but a name in ``local``; else None."""
    obj = None
    if isinstance(func, ast.Name) and func.id not in local:
        obj = source.resolve(func.id, None)
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
            and func.value.id not in local:
        module = source.resolve(func.value.id, None)
        if isinstance(module, types.ModuleType):
            obj = getattr(module, func.attr, None)
    if not (inspect.isfunction(obj) and is_user_function(obj)) \
            or made_by_adcompile(obj) is not None:
        return None   # (nor one with a rule of its own, which is not inlined)
    return obj if REGISTRY.rule_for(obj) is None else None


class _InPlaceParameters:
    """The parameters each function of the user's changes only in place (see above), and
    those it changes by ``u op= v`` as well (in place when given an array), found once per
    function; a function being looked at (recursion) changes none."""

    def __init__(self):
        self.known = {}

    def of(self, func):
        """The names of ``func``'s parameters that it changes only in place."""
        return self._found(func)[0]

    def augmented(self, func):
        """The names of ``func``'s parameters it binds again only by ``u op= v`` (and may
        change in place otherwise): the caller's array, if it is given one."""
        return self._found(func)[1]

    def _found(self, func):
        if func in self.known:
            return self.known[func]
        self.known[func] = (frozenset(), frozenset())
        try:
            source = FunctionSource(func)
        except (TransformError, OSError, TypeError):
            return self.known[func]
        node = source.node
        local = set(source.params) | ir.assigns([node]) | _defined(node)

        def called(f):
            return _resolved(f, source, local)

        args = node.args
        plain = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
        augmented = {s.target for s in ast.walk(node) if isinstance(s, ast.AugAssign)}
        self.known[func] = (
            frozenset(p for p in plain if not bound_again(node, p)
                      and _changed(node, p, called, self)),
            frozenset(p for p in plain if bound_again(node, p)
                      and not bound_again(node, p, augmented)))
        return self.known[func]


def _defined(node):
    """The names the functions and classes defined in ``node``'s body bind."""
    return {n.name for n in ast.walk(node) if n is not node
            and isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def bound_again(node, name, augmented=()):
    """Whether the body of the ``def`` ``node`` may bind its parameter ``name`` to another
    object (an assignment, ``x op= e`` but on the name nodes ``augmented`` (ids), ``del``,
    a loop's or ``with``'s target, an import, ``global``), or mentions it in a function or
    class it defines."""
    for stmt in node.body:
        for n in ast.walk(stmt):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                if getattr(n, "name", None) == name or name in names_in(n):
                    return True
            elif isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load) \
                    and n not in augmented:
                return True
            elif isinstance(n, (ast.Global, ast.Nonlocal)) and name in n.names:
                return True
            elif isinstance(n, ast.alias) and name in (n.asname, n.name.split(".")[0]):
                return True
            elif getattr(n, "name", None) == name and isinstance(n, (
                    ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) \
                    or isinstance(n, ast.MatchMapping) and n.rest == name:
                return True
    return False


def _changed(node, name, called, found):
    """Whether the body of the ``def`` ``node`` changes its parameter ``name`` in place in
    one of the ways above (``called``, ``found``: as for ``changed_by_call``)."""
    for stmt in ast.walk(node):   # (a mention in a def inside is refused: _bound_again)
        if isinstance(stmt, (ast.Assign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(isinstance(t, ast.Subscript) and isinstance(t.ctx, ast.Store)
                   and _is(ir.base_of(t), name) for target in targets for t in ast.walk(target)):
                return True
        if isinstance(stmt, ast.Call) and _fills(stmt, name):
            return True
        # (a statement call_it(u) whose callee updates u by op=: checked to be an array
        # where the callee's call is normalized, as the caller's would be: _marked)
        unused = isinstance(stmt, ast.Expr)
        if isinstance(stmt, ast.stmt) and any(n == name for n, _ in (changed_by_call(
                stmt, called, found, may_hold_array=lambda n: unused) or (None, ()))[1]):
            return True
    return False


def _fills(call, name):
    """Whether ``call`` changes the array ``name`` names in place, as item_desugar.py and
    ufunc_out.py read it: ``name.fill(v)``, ``np.copyto(name, v)``, ``ufunc(..., out=name)``."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _FILLING_METHODS \
            and _is(func.value, name):
        return True
    first = call.args[0] if call.args else None
    if isinstance(func, ast.Attribute) and _is(first, name) and (
            func.attr in _FILLING_FUNCTIONS or func.attr == "at" and isinstance(
                func.value, ast.Attribute) and func.value.attr in AT_UFUNCS):
        return True
    return any(k.arg == "out" and _is(k.value, name) for k in call.keywords)


def _is(node, name):
    return isinstance(node, ast.Name) and node.id == name
