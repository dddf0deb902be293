"""Generated source text made a live function that runs in the user's module namespace."""

import ast
import itertools
import linecache
import types
import weakref

from .. import ir
from .helpers import RUNTIME
from ..ir.parsing import parse

_counter = itertools.count(1)


def compile_function(source_text, name, source, aliases, extra=None, tree=None):
    """Turn generated source into a function that runs in the user's module namespace.

    ``extra``: generated name -> object, for names inlined callees read from their own
    modules; ``tree``: the ``def`` the text was unparsed from, read (not changed) instead
    of the text parsed again."""
    node = parse(source_text).body[0] if tree is None else tree
    if not all(isinstance(d, ast.Constant) for d in node.args.defaults
               + [d for d in node.args.kw_defaults if d is not None]):
        node = parse(source_text).body[0]   # (a copy of its own: changed below)
        # default values are the user's (set below); their expressions, such as a global's
        # name, are evaluated nowhere here (the factory could not see the user's names)
        node.args.defaults = [ast.Constant(None) for _ in node.args.defaults]
        node.args.kw_defaults = [None if d is None else ast.Constant(None)
                                 for d in node.args.kw_defaults]
        source_text = ast.unparse(node) + "\n"
    free = ir.names_read(node)
    helpers = {alias: RUNTIME[canonical] for canonical, alias in aliases.items()
               if alias in free and canonical in RUNTIME}
    helpers.update({n: obj for n, obj in (extra or {}).items() if n in free})
    closure_names = [n for n in source.closure if n in free and n not in helpers]
    outer = sorted(helpers) + closure_names
    filename = f"<adcompile {name}#{next(_counter)}>"
    # inside the factory the def binds its name: if the code reads a global or closure
    # variable of that name (the user's vjp_f = ...), the def gets another one
    local_name = name
    while local_name in free or local_name in outer:
        local_name += "_"
    if local_name != name:
        source_text = source_text.replace(f"def {name}(", f"def {local_name}(", 1)
    text = f"def __factory({', '.join(outer)}):\n" \
           + "".join(f"    {line}\n" for line in source_text.splitlines()) \
           + f"    return {local_name}\n"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace = {}
    exec(compile(text, filename, "exec"), namespace)
    inner = namespace["__factory"](*[None] * len(outer))
    cells = []
    for var in inner.__code__.co_freevars:
        if var in helpers:
            cells.append(types.CellType(helpers[var]))
        else:
            cells.append(source.closure[var])
    func = source.func
    if func is None:
        raise RuntimeError(f"{source.name}() was garbage collected while being compiled")
    # the user's default values (the text's defaults were evaluated in the factory, not
    # where the user's were); out_bar, the seed of reverse mode, defaults to 1.0
    code = inner.__code__
    keyword_only = code.co_varnames[code.co_argcount:code.co_argcount + code.co_kwonlyargcount]
    kwdefaults = {k: v for k, v in (func.__kwdefaults__ or {}).items() if k in keyword_only}
    if "out_bar" in keyword_only:
        kwdefaults["out_bar"] = 1.0
    result = types.FunctionType(code, func.__globals__, name, func.__defaults__, tuple(cells))
    result.__kwdefaults__ = kwdefaults or None
    result.__doc__ = inner.__doc__
    result.__qualname__ = name
    # the source shown in tracebacks lives as long as the function
    weakref.finalize(result, linecache.cache.pop, filename, None)
    return result
