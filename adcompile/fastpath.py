"""The fast path of a call to a gradient: a function with the parameters of the function
differentiated that, when the types of its arguments are those of the last call with
numbers alone, calls the compiled code for numbers directly.

A wrapper that takes ``*args, **kwargs`` and looks the code up in a dictionary keyed by
the arguments' types costs 0.15 to 0.3 us a call (measured on Python 3.11), about as much
as the gradient of a small scalar function itself; one made with the function's own
parameters, testing each argument's type against the last one seen, about 0.05 to 0.1 us. For ``f(x, y)`` and the name ``grad_f`` it reads::

    def grad_f(x, y, *, out_bar=absent):
        if type(x) is x_type and type(y) is y_type and out_bar is absent:
            return for_numbers(x, y)
        return general((x, y), {} if out_bar is absent else {"out_bar": out_bar})

Arguments given by keyword bind to the parameters as in ``f`` (Python's own messages for
any other keyword); ``out_bar``, which a gradient does not take, goes to ``general``, which
says to use ``ad.vjp``. (``**keywords`` would cost a new dict a call: 35 ns of the 75 ns
that the function costs on Python 3.11.)

``general(args, keywords)`` (the dispatcher of api.py) checks the arguments, picks and
calls the code; when they are all numbers it records their types and the code it chose
(``remember``), so that the next call with the same types skips it. Every combination of
number types gets the same code (a number is 0-d, see api._ndims), so a call that reads
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
    taken = _HELPERS | {f"{p}_type" for p in names}
    return None if taken & set(names) else tuple(names)


class NumberPath:
    """The code and globals of the fast path of one callable (``name``) of a transform,
    shared by every function ``function()`` makes (``ad.grad(f)`` called again makes a
    new function cheaply). ``general(args, keywords)``: the call through the dispatcher,
    which calls ``remember`` when the arguments are all numbers."""

    def __init__(self, name, params, general, closure=()):
        self.name, self.params = name, params
        self.closure = frozenset(closure)   # the differentiated function's free variables
        self.made = weakref.WeakSet()       # the functions function() made
        self.inlined_for = None             # the code for numbers whose statements it runs
        self.namespace = {"__builtins__": builtins, "type": type, "general": general,
                          "for_numbers": None, "absent": _ABSENT}
        self.namespace.update({f"{p}_type": None for p in params})
        module = ast.parse(self.text())
        namespace = {"absent": _ABSENT}
        exec(compile(module, f"<adcompile {name} wrapper>", "exec"), namespace)
        self.code = namespace[name].__code__

    def text(self):
        """The source of the function (see the module's docstring)."""
        params = ", ".join(self.params)
        guard = " and ".join(f"type({p}) is {p}_type" for p in self.params)
        args = f"({params},)" if len(self.params) == 1 else f"({params})"
        return (f"def {self.name}({params}, *, out_bar=absent):\n"
                f"    if {guard} and out_bar is absent:\n"
                f"        return for_numbers({params})\n"
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
        if fn is not self.inlined_for:
            self.inlined_for = fn
            code = self.inlined(fn) or self.code
            for function in list(self.made):
                function.__code__ = code

    def inlined(self, fn):
        """The code of this function with the statements of ``fn`` (generated code for
        numbers, with its ``.source``) in place of its call, or None where they read a
        name whose value is read when they run, or could clash with the function's own."""
        text = getattr(fn, "source", None)
        if not isinstance(fn, types.FunctionType) or not isinstance(text, str):
            return None   # (numba's compiled code, or code that checks what it computes)
        node = ast.parse(text).body[0]
        a = node.args
        if a.posonlyargs or a.vararg or a.kwarg or [p.arg for p in a.args] != list(self.params) \
                or [k.arg for k in a.kwonlyargs] != ["out_bar"] \
                or any(isinstance(n, (ast.Global, ast.Nonlocal)) for n in ast.walk(node)):
            return None
        names = _names_of(text)
        if names is None:
            return None
        outside, local = names
        own = _HELPERS | {f"{p}_type" for p in self.params} | {"out_bar"} | set(self.params)
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
        module = ast.parse(self.text())
        guarded = module.body[0].body[0]
        guarded.body = [ast.parse("out_bar = 1.0").body[0], *body]
        inlined = ast.unparse(ast.fix_missing_locations(module)) + "\n"
        filename = f"<adcompile {self.name} for numbers>"
        linecache.cache[filename] = (len(inlined), None, inlined.splitlines(True), filename)
        weakref.finalize(self, linecache.cache.pop, filename, None)
        namespace = {"absent": _ABSENT}
        exec(compile(inlined, filename, "exec"), namespace)
        self.namespace.update(values)
        return namespace[self.name].__code__


_BUILTIN = object()   # (a name _fixed_value finds among the builtins)


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
