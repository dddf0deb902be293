"""The fast path of a call to a gradient: a function with the parameters of the function
differentiated that, when the types of its arguments are those of the last call with
numbers alone, calls the compiled code for numbers directly.

A wrapper that takes ``*args, **kwargs`` and looks the code up in a dictionary keyed by
the arguments' types costs 0.15 to 0.3 us a call (measured on Python 3.11), about as much
as the gradient of a small scalar function itself; one made with the function's own
parameters, testing each argument's type against the last one seen, about 0.05 to 0.1 us. For ``f(x, y)`` and the name ``grad_f`` it reads::

    def grad_f(x, y, *, out_bar=absent):
        if type(x) is x_type and type(y) is y_type and out_bar is absent:
            try:
                return for_numbers(x, y)
            except RunsAsPython:
                pass
        return general((x, y), {} if out_bar is absent else {"out_bar": out_bar})

(numba's compiled code raises ``RunsAsPython`` where the plain code's result is not its
own, as where its integers would leave 64 bits, backend/numba_integers.py: ``general``
then runs the call as Python; the ``try``
costs nothing on Python 3.11 and later.) Arguments given by keyword bind to the parameters as in ``f`` (Python's own messages for
any other keyword); ``out_bar``, which a gradient does not take, goes to ``general``, which
says to use ``ad.vjp``. (``**keywords`` would cost a new dict a call: 35 ns of the 75 ns
that the function costs on Python 3.11.)

``general(args, keywords)`` (the dispatcher of dispatch.py) checks the arguments, picks and
calls the code; when they are all numbers it records their types and the code it chose
(``remember``), so that the next call with the same types skips it. Every combination of
number types gets the same code (a number is 0-d, see dispatch.ndims), so a call that reads
the types of one call and the code of another, in another thread, still runs the right
code.

The call of ``for_numbers`` costs about 0.05 us more, a fifth of a small scalar
gradient. So once the code for numbers is known, the function's code becomes one with
that code's statements in place of the call (``inlined``)::

    def grad_f(x, y, *, out_bar=absent):
        if type(x) is x_type and type(y) is y_type and out_bar is absent:
            out_bar = 1.0
            t1 = x ** 3
            ...
            return (x_bar, y_bar)
        return general((x, y), {} if out_bar is absent else {"out_bar": out_bar})

For float arguments (``_FLOATS``) the products by ``out_bar`` of values certain to be
floats are dropped from those statements, with the copies left of them (``t2_bar = t1``):
multiplying a float by 1.0 changes nothing (an int it would make a float, so those
stay). One code is made for each set of parameters that are floats; its test reads
their types as ``x_float_type``, names that never hold another type (so that, if another
thread records an int's type meanwhile, an int never runs it).

It runs with this module's globals, not the user's: the statements are inlined only when
every name they read from outside is one whose value cannot change under them (a module,
such as ``np`` or ``math``, a runtime helper, a builtin), copied into those globals; code
that reads the user's own globals or closure variables (read when it runs) keeps the call.
"""

import ast
import builtins
import linecache
import symtable
import types
import weakref

import numpy as np

from .backend.numba_python_calls import RunsAsPython
from .ir.parsing import parse

# the names the function reads besides its parameters' (``<parameter>_type`` too)
_ABSENT = object()   # out_bar not given
_HELPERS = frozenset({"out_bar", "absent", "type", "for_numbers", "general"})


def plain_parameters(arguments):
    """The names of the parameters of a function whose ``ast.arguments`` are
    ``arguments`` when they are all positional-or-keyword ones without defaults and none
    is a name the fast path reads; else None (such functions take the general path)."""
    a = arguments
    if a.posonlyargs or a.vararg or a.kwonlyargs or a.kwarg or a.defaults or not a.args:
        return None
    names = [p.arg for p in a.args]
    taken = _HELPERS | {f"{p}_type" for p in names} | {f"{p}_float_type" for p in names}
    return None if taken & set(names) else tuple(names)


class NumberPath:
    """The code and globals of the fast path of one callable (``name``) of a transform,
    shared by every function ``function()`` makes (``ad.grad(f)`` called again makes a
    new function cheaply). ``general(args, keywords)``: the call through the dispatcher,
    which calls ``remember`` when the arguments are all numbers."""

    def __init__(self, name, params, general, closure=(), current=None):
        self.name, self.params = name, params
        self.current = current   # () -> whether the code is still current (cache.py), or None
        self.closure = frozenset(closure)   # the differentiated function's free variables
        self.made = weakref.WeakSet()       # the functions function() made
        self.inlined_for = None             # the code for numbers whose statements it runs
        self.inlined_codes = {}             # which parameters are floats -> its code inlined
        self.namespace = {"__builtins__": builtins, "__name__": __name__,   # (cache._ours)
                          "type": type, "general": general,
                          "for_numbers": None, "absent": _ABSENT,
                          "RunsAsPython": RunsAsPython, "current": current}
        self.namespace.update({f"{p}{kind}": None for p in params
                               for kind in ("_type", "_float_type")})
        module = parse(self.text())
        namespace = {"absent": _ABSENT}
        exec(compile(module, f"<adcompile {name} wrapper>", "exec"), namespace)
        self.code = namespace[name].__code__

    def text(self, floats=()):
        """The source of the function (see the module's docstring); its test reads the
        type of each parameter of ``floats`` as ``<parameter>_float_type``, which only
        ever holds one of ``_FLOATS``."""
        params = ", ".join(self.params)
        guard = " and ".join(f"type({p}) is {p}_{'float_' * (p in floats)}type"
                             for p in self.params)
        if self.current is not None:   # (names rebound since: general raises StaleGradient)
            guard += " and current()"
        args = f"({params},)" if len(self.params) == 1 else f"({params})"
        return (f"def {self.name}({params}, *, out_bar=absent):\n"
                f"    if {guard} and out_bar is absent:\n"
                f"        try:\n"
                f"            return for_numbers({params})\n"
                f"        except RunsAsPython:\n"
                f"            pass\n"
                f"    return general({args}, {{}} if out_bar is absent else "
                f"{{'out_bar': out_bar}})\n")

    def function(self):
        """A new function running the shared code with the shared globals."""
        function = types.FunctionType(self.code, self.namespace, self.name)
        function.__kwdefaults__ = {"out_bar": _ABSENT}
        self.made.add(function)
        return function

    def remember(self, args, fn):
        """Record that arguments of the types of ``args`` (all numbers) run ``fn``; the first
        time, make the functions run ``fn``'s statements in place of calling it where they
        can (see the module's docstring)."""
        self.namespace["for_numbers"] = fn   # (first: the types may still be None)
        self.namespace.update(zip((f"{p}_type" for p in self.params), map(type, args)))
        # (code for float parameters tests types of their own: never an int's, whatever
        # another thread remembers meanwhile)
        self.namespace.update((f"{p}_float_type", type(a)) for p, a in zip(self.params, args)
                              if type(a) in _FLOATS)
        if fn is not self.inlined_for:
            self.inlined_for, self.inlined_codes = fn, {}
        floats = tuple(type(a) in _FLOATS for a in args)
        code = self.inlined_codes.get(floats)
        if code is None:
            code = self.inlined_codes[floats] = self.inlined(fn, floats) or self.code
        if self.made and next(iter(self.made)).__code__ is not code:
            for function in list(self.made):
                function.__code__ = code

    def inlined(self, fn, floats=()):
        """The code of this function with the statements of ``fn`` (generated code for
        numbers, with its ``.source``) in place of its call, or None where they read a
        name whose value is read when they run, or could clash with the function's own.
        ``floats``: for each parameter, whether its type (``<parameter>_type``) is one
        of ``_FLOATS``; a product by ``out_bar`` (1.0) of a value then certain to be a
        float is the value (``_times_one_dropped``)."""
        text = getattr(fn, "source", None)
        if not isinstance(fn, types.FunctionType) or not isinstance(text, str):
            return None   # (numba's compiled code, or code that checks what it computes)
        node = parse(text).body[0]
        a = node.args
        if a.posonlyargs or a.vararg or a.kwarg or [p.arg for p in a.args] != list(self.params) \
                or [k.arg for k in a.kwonlyargs] != ["out_bar"] \
                or any(isinstance(n, (ast.Global, ast.Nonlocal)) for n in ast.walk(node)):
            return None
        names = _names_of(text)
        if names is None:
            return None
        outside, local = names
        own = _HELPERS | {f"{p}{kind}" for p in self.params for kind in ("_type", "_float_type")} \
            | {"out_bar"} | set(self.params)
        if own & (outside | local) - {"out_bar"} - set(self.params):
            return None
        values = {}
        for name in outside - set(self.params) - {"out_bar"}:
            value = _fixed_value(fn, name, self.closure)
            if value is _ABSENT:
                return None
            if value is not _BUILTIN:
                values[name] = value
        body = node.body[1:] if ast.get_docstring(node) is not None else node.body
        taken = set(own) | outside | local
        body = [_ModuleFunctions(values, taken).visit(s) for s in body]
        of_floats = [p for p, f in zip(self.params, floats) if f]
        body = _times_one_dropped(body, self.params, set(of_floats))
        module = parse(self.text(set(of_floats)))
        guarded = module.body[0].body[0]
        reads_out_bar = any(isinstance(n, ast.Name) and n.id == "out_bar"
                            for s in body for n in ast.walk(s))
        guarded.body = [parse("out_bar = 1.0").body[0]] * reads_out_bar + body
        inlined = ast.unparse(ast.fix_missing_locations(module)) + "\n"
        filename = f"<adcompile {self.name} for numbers" + (
            f", floats {', '.join(of_floats)}>" if of_floats else ">")
        linecache.cache[filename] = (len(inlined), None, inlined.splitlines(True), filename)
        weakref.finalize(self, linecache.cache.pop, filename, None)
        namespace = {"absent": _ABSENT}
        exec(compile(inlined, filename, "exec"), namespace)
        self.namespace.update(values)
        return namespace[self.name].__code__


_BUILTIN = object()   # (a name _fixed_value finds among the builtins)

# the types of numbers v for which 1.0 * v is v, of v's type, under NumPy 1 and 2 alike
_FLOATS = frozenset({float, np.float64})


def _times_one_dropped(body, params, floats):
    """``body`` (statements for numbers, run after ``out_bar = 1.0``) with each product
    ``out_bar * v`` or ``v * out_bar`` written ``v`` where ``v`` is certain to be a float
    (multiplying by 1.0 then changes nothing; an int would become a float): given that
    the parameters ``floats`` (of ``params``) are, a float constant, a name each assignment of which gives
    a float, and arithmetic of numbers (floats and int constants) with a float in it. The
    gradient of a scalar function is its adjoints' products by 1.0 otherwise."""
    if any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
                          ast.comprehension, ast.Global, ast.Nonlocal)) for s in body
           for n in ast.walk(s)):
        return body   # (names of other scopes, or ones assigned elsewhere)
    values, other = {}, set()   # a name -> the values assigned to it; names bound otherwise
    targets = set()             # (the Name nodes assigned in ``values``)
    for s in body:
        for n in ast.walk(s):
            if isinstance(n, ast.Assign) and len(n.targets) == 1 \
                    and isinstance(n.targets[0], ast.Name):
                values.setdefault(n.targets[0].id, []).append(n.value)
                targets.add(n.targets[0])
            elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
                values.setdefault(n.target.id, []).append(
                    ast.BinOp(left=ast.Name(id=n.target.id, ctx=ast.Load()), op=n.op,
                              right=n.value))
                targets.add(n.target)
            elif isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load) \
                    and n not in targets:
                other.add(n.id)
    if "out_bar" in values or "out_bar" in other:
        return body
    # the names certain to be floats: the largest set each assignment keeps true
    known = (set(values) - set(params) | floats | {"out_bar"}) - other
    changed = True
    while changed:
        changed = False
        for name in list(known - {"out_bar"}):
            if any(not _is_float(v, known) for v in values.get(name, ())):
                known.discard(name)
                changed = True

    class Drop(ast.NodeTransformer):
        def visit_BinOp(self, node):
            self.generic_visit(node)
            if isinstance(node.op, ast.Mult):
                for one, v in ((node.left, node.right), (node.right, node.left)):
                    if isinstance(one, ast.Name) and one.id == "out_bar" and _is_float(v, known):
                        return v
            return node

    return _copies_propagated([Drop().visit(s) for s in body], values, other)


def _copies_propagated(body, values, other):
    """``body`` without the statements ``a = b`` (outside loops and ifs) of names assigned
    once, each later read of ``a`` reading ``b``, where nothing assigns ``b`` after it
    (``values``, ``other``: as in ``_times_one_dropped``): what is left of ``t_bar =
    out_bar * t`` once the product is dropped."""
    renamed, kept = {}, []
    for at, s in enumerate(body):
        if isinstance(s, ast.Assign) and len(s.targets) == 1 \
                and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Name):
            a, b = s.targets[0].id, renamed.get(s.value.id, s.value.id)
            later = [n for t in body[at + 1:] for n in ast.walk(t)
                     if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)]
            if len(values.get(a, ())) == 1 and a not in other and b not in other \
                    and all(n.id != b for n in later):
                renamed[a] = b
                continue
        kept.append(s)

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node):
            if isinstance(node.ctx, ast.Load) and node.id in renamed:
                return ast.copy_location(ast.Name(id=renamed[node.id], ctx=ast.Load()), node)
            return node

    return [Rename().visit(s) for s in kept] if renamed else body


def _is_float(e, floats):
    """Whether the expression ``e`` is certain to give a float, the names ``floats`` being
    floats: see ``_times_one_dropped``."""
    if isinstance(e, ast.Constant):
        return type(e.value) is float
    if isinstance(e, ast.Name):
        return e.id in floats
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, (ast.USub, ast.UAdd)):
        return _is_float(e.operand, floats)
    if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Pow):   # (x ** 0.5 may be complex)
        return _is_float(e.left, floats) and _is_int_constant(e.right)
    if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        sides = (e.left, e.right)
        return all(_is_float(v, floats) or _is_int_constant(v) for v in sides) \
            and any(_is_float(v, floats) for v in sides)
    return False


def _is_int_constant(e):
    return isinstance(e, ast.Constant) and type(e.value) is int


class _ModuleFunctions(ast.NodeTransformer):
    """``math.sin`` as a global ``math_sin`` of its own, added to ``values`` (the names
    the inlined code reads, copied into its globals): one lookup, not two, in a loop of
    scalar steps (the modules' functions are what the transform resolved them to)."""

    def __init__(self, values, taken):
        self.values, self.taken = values, taken

    def visit_Attribute(self, node):
        base = node.value
        if isinstance(base, ast.Name) and isinstance(node.ctx, ast.Load) \
                and isinstance(self.values.get(base.id), types.ModuleType) \
                and callable(getattr(self.values[base.id], node.attr, None)):
            name, function = f"{base.id}_{node.attr}", getattr(self.values[base.id], node.attr)
            if name not in self.taken or self.values.get(name) is function:
                self.values[name] = function
                self.taken.add(name)
                return ast.copy_location(ast.Name(id=name, ctx=ast.Load()), node)
        return self.generic_visit(node)


def _names_of(text):
    """(the names the function defined by ``text``, and the functions inside it, read that
    are none of their own variables; the function's own variables, parameters included),
    or None if ``text`` cannot be analysed."""
    try:
        table = symtable.symtable(text, "<generated>", "exec").get_children()[0]
    except (SyntaxError, IndexError):
        return None
    outside, tables = set(), [table]
    while tables:
        t = tables.pop()
        outside |= {s.get_name() for s in t.get_symbols() if s.is_global()}
        tables += t.get_children()
    return outside, set(table.get_locals())


def _fixed_value(fn, name, closure):
    """The value ``fn`` finds under ``name`` when it runs, if that cannot change: a variable
    of its closure that is not one of the user's (a runtime helper, an object of an inlined
    callee's module), a module among its globals; ``_BUILTIN`` for a builtin it does not
    shadow; else ``_ABSENT``."""
    code = fn.__code__
    if name in code.co_freevars:
        if name in closure:
            return _ABSENT   # (the user's variable: the user may rebind it)
        return fn.__closure__[code.co_freevars.index(name)].cell_contents
    if name in fn.__globals__:
        value = fn.__globals__[name]
        return value if isinstance(value, types.ModuleType) else _ABSENT
    return _BUILTIN if hasattr(builtins, name) else _ABSENT
