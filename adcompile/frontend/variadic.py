"""``*args`` and ``**kwargs`` of a function inlined at one call, bound to that call's arguments.

Where a call is inlined, how many extra positional arguments and which extra
keywords it passes are known. The callee is then inlined as a function with one
keyword-only parameter for each (``specialize``): ``args`` reads as the tuple
of them, ``kwargs`` as the dict; ``args[0]``, ``args[1:]``, ``len(args)``,
``kwargs["k"]`` and ``kwargs.get("k", d)`` are read at once, ``args + (x,)`` is one
tuple display, ``for a in args``
is unrolled, and ``g(*args)`` / ``g(**kwargs)`` pass the arguments on
(``expand_unpacking``). In the same way, ``g(*parts)`` of a tuple the function builds
at one place passes its items (``expand_local_tuples``, a pass of ``desugar``).
"""

import ast
import builtins
import copy
import inspect

from ..errors import TransformError
from ..ir import assigned_once, scope_stores
from ..ir.naming import fresh_name, names_in
from .closures import free_names
from .local_functions import StandIn
from .references import copy_call
from .source import PLACE, DerivedSource, own_signature


def expand_unpacking(call):
    """``call`` with each ``*(a, b)`` and ``**{"k": v}`` of literals as plain arguments."""
    if not any(isinstance(a, ast.Starred) for a in call.args) \
            and all(k.arg is not None for k in call.keywords):
        return call
    args = []
    for a in call.args:
        if isinstance(a, ast.Starred) and isinstance(a.value, (ast.Tuple, ast.List)):
            args.extend(a.value.elts)
        else:
            args.append(a)
    keywords = []
    for k in call.keywords:
        if k.arg is None and isinstance(k.value, ast.Dict) and all(
                isinstance(key, ast.Constant) and isinstance(key.value, str)
                for key in k.value.keys):
            keywords += [ast.keyword(arg=key.value, value=v)
                         for key, v in zip(k.value.keys, k.value.values)]
        else:
            keywords.append(k)
    return copy_call(call, args, keywords)


def expand_local_tuples(fn):
    """In place, each ``*parts`` in a call of ``fn`` whose ``parts`` is bound at one place
    only, to a tuple display without ``*`` (``parts = (a, b)``), as ``parts[0], parts[1]``:
    the tuple has that many items whenever the call reads it (a parameter, a loop variable
    or a name bound twice is left as it is). ``fn``: a def whose nested functions are taken
    out (closures.py)."""
    params = {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)}
    once = assigned_once(fn) - params
    lengths = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id in once \
                and isinstance(node.value, ast.Tuple) \
                and not any(isinstance(e, ast.Starred) for e in node.value.elts):
            lengths[node.targets[0].id] = len(node.value.elts)
    if not lengths:
        return
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and any(isinstance(a, ast.Starred) for a in node.args):
            node.args = [item for a in node.args for item in _items(a, lengths)]


def expand_starred_zips(fn, source):
    """In place, each ``for a, b, c in zip(*parts):`` of ``fn`` (the builtin zip, one starred
    argument, a target of k items) as ``z0, z1, z2 = parts`` before the loop, which then
    walks ``zip(z0, z1, z2)``: Python's zip takes the k items of ``parts`` there, each step
    making a k-tuple the target unpacks (``parts`` of another length raises ValueError at the
    unpacking, as it does at the target, but for items with nothing to walk)."""
    if "zip" in {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)
                 and not isinstance(n.ctx, ast.Load)} or source.resolve("zip", None) is not zip:
        return
    taken = names_in(fn)
    for node in list(ast.walk(fn)):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                block[:] = [s for stmt in block for s in _zip_unstarred(stmt, taken)]


def _zip_unstarred(stmt, taken):
    """[stmt], or for ``for (a, b) in zip(*parts)`` [the unpacking of parts, the loop]."""
    it = getattr(stmt, "iter", None)
    if not (isinstance(stmt, ast.For) and isinstance(stmt.target, ast.Tuple)
            and isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "zip"
            and len(it.args) == 1 and isinstance(it.args[0], ast.Starred) and not it.keywords
            and not any(isinstance(e, ast.Starred) for e in stmt.target.elts)):
        return [stmt]
    names = [fresh_name(f"zipped_{k}", taken) for k in range(len(stmt.target.elts))]
    unpack = ast.Assign(targets=[ast.Tuple(elts=[ast.Name(id=n, ctx=ast.Store()) for n in names],
                                           ctx=ast.Store())], value=it.args[0].value)
    stmt.iter = ast.copy_location(ast.Call(func=it.func, args=[
        ast.copy_location(ast.Name(id=n, ctx=ast.Load()), it) for n in names], keywords=[]), it)
    return [ast.fix_missing_locations(ast.copy_location(unpack, stmt)), stmt]


def _items(arg, lengths):
    """``arg``, or for ``*parts`` of a tuple of n items, ``parts[0], ..., parts[n - 1]``
    (for ``*parts[i:j]`` with constant bounds, those of its items)."""
    if not isinstance(arg, ast.Starred):
        return [arg]
    value, positions = arg.value, None
    if isinstance(value, ast.Subscript) and isinstance(value.slice, ast.Slice):
        bounds = [value.slice.lower, value.slice.upper, value.slice.step]
        if all(b is None or isinstance(b, ast.Constant) and type(b.value) is int
               for b in bounds) and (bounds[2] is None or bounds[2].value != 0):
            positions = slice(*(b and b.value for b in bounds))
        value = value.value
    if not (isinstance(value, ast.Name) and value.id in lengths) \
            or positions is None and value is not arg.value:
        return [arg]
    indices = range(lengths[value.id])[positions or slice(None)]
    return [ast.copy_location(ast.Subscript(value=ast.Name(id=value.id, ctx=ast.Load()),
                                            slice=ast.Constant(k), ctx=ast.Load()), arg)
            for k in indices]


def specialize(func, call, source, error, name):
    """(stand-in, call, source) for inlining ``call`` of ``func``: unchanged without *args or
    **kwargs; else the function with every parameter keyword-only and one more for each
    extra argument, called with every argument by keyword. ``error`` is the caller's (its
    source's ``error``), for the call; the callee's nodes get ``_callee_error``'s."""
    node = source.node
    vararg, kwarg = node.args.vararg, node.args.kwarg
    if vararg is None and kwarg is None:
        return func, call, source
    signature = own_signature(func)
    try:
        bound = signature.bind(*call.args, **{k.arg: k.value for k in call.keywords})
    except TypeError as exc:
        raise error(call, f"call to {name}(): {exc}") from None
    taken = names_in(node)
    kind = inspect.Parameter
    params, keywords, elements, entries = [], [], [], {}
    for p in signature.parameters.values():
        if p.kind in (kind.VAR_POSITIONAL, kind.VAR_KEYWORD):
            given = bound.arguments.get(p.name, () if p.kind is kind.VAR_POSITIONAL else {})
            items = enumerate(given) if p.kind is kind.VAR_POSITIONAL else given.items()
            for key, value in items:
                extra = fresh_name(f"{p.name}_{key}", taken)
                params.append(kind(extra, kind.KEYWORD_ONLY))
                keywords.append(ast.keyword(arg=extra, value=value))
                (elements.append(extra) if p.kind is kind.VAR_POSITIONAL
                 else entries.__setitem__(key, extra))
            continue
        params.append(p.replace(kind=kind.KEYWORD_ONLY))
        if p.name in bound.arguments:
            keywords.append(ast.keyword(arg=p.name, value=bound.arguments[p.name]))
    new = copy.deepcopy(node)
    new.args = ast.arguments(posonlyargs=[], args=[], vararg=None, kwarg=None, defaults=[],
                             kwonlyargs=[ast.arg(arg=p.name) for p in params],
                             kw_defaults=[None] * len(params))
    binder = _Bind(vararg and vararg.arg, elements, kwarg and kwarg.arg, entries, source,
                   _callee_error(source, call, error))
    new.body = binder.block(new.body)
    stand_in = StandIn(func.__name__, func.__qualname__, inspect.Signature(params),
                       DerivedSource(source, new))
    return stand_in, copy_call(call, [], keywords), stand_in.source


def _callee_error(source, call, error):
    """``error(node, message)`` for a node of the callee ``source`` inlined at ``call``: at the
    node, in the callee's own file, called from ``call`` and the calls that led there (so
    that a refusal inside an installed library's code is shown at the user's call: see
    errors.py). ``error`` is the caller's source's method, which knows the caller's name."""
    caller = getattr(error, "__self__", None)

    def callee_error(node, message, hint=None):
        col = getattr(node, "col_offset", None)
        chain = ()
        if caller is not None:
            place = getattr(call, PLACE, None)
            chain = caller.call_site(call, place[2] if place else ())
        return TransformError(message, source.filename, getattr(node, "lineno", None),
                              None if col is None else col + source.indent, hint=hint,
                              callers=chain)

    return callee_error


class _Bind(ast.NodeTransformer):
    """Reads of the *args and **kwargs parameters as the tuple and dict of the parameters
    that stand for them, folded where the index or key is a constant."""

    def __init__(self, vararg, elements, kwarg, entries, source, error):
        self.vararg, self.elements = vararg, elements
        self.kwarg, self.entries = kwarg, entries
        self.source, self.error = source, error

    def block(self, stmts):
        stored = {n.id for s in stmts for n in scope_stores(s)}
        for name in (self.vararg, self.kwarg):
            if name in stored:
                raise self.error(next(n for s in stmts for n in scope_stores(s) if n.id == name),
                                 f"the parameter {name!r} (the extra arguments of a call) is "
                                 f"assigned again; give the new value another name")
        self.len_is_builtin = "len" not in stored and \
            self.source.resolve("len", None) is builtins.len
        out = []
        for s in stmts:
            s = self.visit(s)
            out.extend(s if isinstance(s, list) else [s])
        return out

    def _is(self, e, name):
        return name is not None and isinstance(e, ast.Name) and e.id == name

    def _tuple(self, names, at):
        elts = [ast.copy_location(ast.Name(id=n, ctx=ast.Load()), at) for n in names]
        return ast.copy_location(ast.Tuple(elts=elts, ctx=ast.Load()), at)

    def visit_Name(self, node):
        if self._is(node, self.vararg):
            return self._tuple(self.elements, node)
        if self._is(node, self.kwarg):
            keys = [ast.Constant(k) for k in self.entries]
            values = [ast.Name(id=n, ctx=ast.Load()) for n in self.entries.values()]
            return ast.copy_location(ast.Dict(keys=keys, values=values), node)
        return node

    def visit_BinOp(self, node):
        """``args + (x,)`` (or ``(x,) + args``): the one tuple display of the items of both,
        which is the tuple Python makes."""
        node = self.generic_visit(node)
        if isinstance(node.op, ast.Add) and isinstance(node.left, ast.Tuple) \
                and isinstance(node.right, ast.Tuple):
            return ast.copy_location(ast.Tuple(elts=node.left.elts + node.right.elts,
                                               ctx=ast.Load()), node)
        return node

    def visit_Subscript(self, node):
        if self._is(node.value, self.vararg):
            return self._item(node)
        if self._is(node.value, self.kwarg) and isinstance(node.slice, ast.Constant):
            return self._entry(node, node.slice.value, None)
        return self.generic_visit(node)

    def _item(self, node):
        """``args[i]`` or ``args[i:j]`` with constants."""
        try:
            index = ast.literal_eval(node.slice) if not isinstance(node.slice, ast.Slice) \
                else slice(*(None if p is None else ast.literal_eval(p)
                             for p in (node.slice.lower, node.slice.upper, node.slice.step)))
            picked = self.elements[index]
        except (ValueError, TypeError):
            raise self.error(node, f"{self.vararg}[...] is read with a constant index or "
                                   f"slice only; loop over it: for a in {self.vararg}") from None
        except IndexError:
            raise self.error(node, f"{ast.unparse(node)} is out of range: this call passes "
                                   f"{len(self.elements)} extra arguments") from None
        return self._tuple(picked, node) if isinstance(picked, list) \
            else ast.copy_location(ast.Name(id=picked, ctx=ast.Load()), node)

    def _entry(self, node, key, default):
        if key in self.entries:
            return ast.copy_location(ast.Name(id=self.entries[key], ctx=ast.Load()), node)
        if default is not None:
            return self.visit(default)
        raise self.error(node, f"this call passes no keyword argument {key!r} to "
                               f"**{self.kwarg}")

    def visit_Call(self, node):
        f = node.func
        if self.len_is_builtin and isinstance(f, ast.Name) and f.id == "len" \
                and len(node.args) == 1 and not node.keywords \
                and (self._is(node.args[0], self.vararg) or self._is(node.args[0], self.kwarg)):
            count = len(self.elements) if self._is(node.args[0], self.vararg) \
                else len(self.entries)
            return ast.copy_location(ast.Constant(count), node)
        if isinstance(f, ast.Attribute) and f.attr == "get" and self._is(f.value, self.kwarg) \
                and 1 <= len(node.args) <= 2 and not node.keywords \
                and isinstance(node.args[0], ast.Constant):
            default = node.args[1] if len(node.args) == 2 \
                else ast.copy_location(ast.Constant(None), node)
            return self._entry(node, node.args[0].value, default)
        return self.generic_visit(node)

    def visit_For(self, node):
        """``for a in args`` without break or continue: the body once per argument."""
        if not self._is(node.iter, self.vararg) or node.orelse or _jumps(node.body):
            return self.generic_visit(node)
        out = []
        for name in self.elements:
            bind = ast.Assign(targets=[copy.deepcopy(node.target)],
                              value=ast.Name(id=name, ctx=ast.Load()))
            out.append(ast.copy_location(bind, node))
            for s in copy.deepcopy(node.body):
                s = self.visit(s)
                out.extend(s if isinstance(s, list) else [s])
        return out or [ast.copy_location(ast.Pass(), node)]

    def visit_FunctionDef(self, node):
        """A nested function reading args reads the same tuple (as a variable it is given
        later, see closures.py); one that binds the name has its own."""
        if {self.vararg, self.kwarg} & free_names(node):
            return self.generic_visit(node)
        return node

    visit_Lambda = visit_FunctionDef


def _jumps(stmts):
    """Whether a break or continue of the loop with body ``stmts`` is in it."""
    todo = list(stmts)
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.Break, ast.Continue)):
            return True
        if not isinstance(n, (ast.For, ast.While, ast.FunctionDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(n))
    return False
