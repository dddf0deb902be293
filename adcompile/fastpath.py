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
"""

import ast
import builtins
import types

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

    def __init__(self, name, params, general):
        self.name, self.params = name, params
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
        return function

    def remember(self, args, fn):
        """Record that arguments of the types of ``args`` (all numbers) run ``fn``."""
        self.namespace["for_numbers"] = fn   # (first: the types may still be None)
        self.namespace.update(zip((f"{p}_type" for p in self.params), map(type, args)))
