"""From generated AST to source text, to a live function, or to a standalone module."""

import ast
import copy
import inspect
import itertools
import linecache
import math
import types
import weakref

import numpy as np

from . import ir, runtime

#: names generated code may use for helpers, and the objects they stand for
RUNTIME = {"np": np, "math": math, "slice": slice}
RUNTIME.update({name: obj for name, obj in vars(runtime).items()
                if inspect.isfunction(obj) and obj.__module__ == runtime.__name__})

_counter = itertools.count(1)


def runtime_aliases(source, namer):
    """Choose the name each runtime helper has in code generated for ``source``."""
    aliases = {}
    for name, obj in RUNTIME.items():
        shadowed = name in namer.taken and (
            name in _locals(source) or source.resolve(name, None) is not obj)
        aliases[name] = namer.fresh(name) if shadowed else namer.take(name)
    return aliases


def _locals(source):
    found = set(source.params)
    for node in ast.walk(source.node):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.add(node.id)
    return found


def function_def(adjoint, name, form, doc, wrt_tuple):
    """The generated function: ``form`` is "vjp" (return value and gradients) or "grad"."""
    fn = adjoint.fn
    args = copy.deepcopy(fn.source.node.args)
    for a in args.posonlyargs + args.args + args.kwonlyargs:
        a.annotation = None
    # the seed comes by keyword only: a positional argument too many is a TypeError, never
    # a seed that silently scales the gradient
    args.kwonlyargs.append(ast.arg(arg="out_bar"))
    args.kw_defaults.append(ast.Constant(1.0))
    grads = adjoint.grads
    grad_value = ast.Tuple(elts=grads, ctx=ast.Load()) if wrt_tuple else grads[0]
    if form == "vjp":
        outputs = adjoint.outputs
        value = outputs[0] if not fn.tuple_output else ast.Tuple(elts=outputs, ctx=ast.Load())
        result = ast.Tuple(elts=[value, grad_value], ctx=ast.Load())
    else:
        result = grad_value
    body = [ast.Expr(ast.Constant(doc))] + adjoint.forward + adjoint.backward + [ast.Return(result)]
    node = ast.FunctionDef(name=name, args=args, body=body, decorator_list=[], returns=None,
                           type_comment=None)
    if hasattr(ast.FunctionDef, "type_params") or "type_params" in ast.FunctionDef._fields:
        node.type_params = []
    return ast.fix_missing_locations(node)


def forward_def(tangent, name, doc, wrt_tuple):
    """The generated forward-mode function ``name(*params, *, x_dot, ...)`` returning
    ``(value, value_dot)``."""
    fn = tangent.fn
    args = copy.deepcopy(fn.source.node.args)
    for a in args.posonlyargs + args.args + args.kwonlyargs:
        a.annotation = None
    for d in tangent.param_dots:
        args.kwonlyargs.append(ast.arg(arg=d))
        args.kw_defaults.append(None)
    if fn.tuple_output:
        value = ast.Tuple(elts=tangent.outputs, ctx=ast.Load())
        dot = ast.Tuple(elts=tangent.out_dots, ctx=ast.Load())
    else:
        value, dot = tangent.outputs[0], tangent.out_dots[0]
    result = ast.Tuple(elts=[value, dot], ctx=ast.Load())
    body = [ast.Expr(ast.Constant(doc))] + tangent.body + [ast.Return(result)]
    node = ast.FunctionDef(name=name, args=args, body=body, decorator_list=[], returns=None,
                           type_comment=None)
    if "type_params" in ast.FunctionDef._fields:
        node.type_params = []
    return ast.fix_missing_locations(node)


def seeded(text, name, seed, keep_out_bar=False, gradients_only=False):
    """Generated code that checks its value before the reverse sweep starts.

    ``text`` is vjp-form code (``function_def`` with form "vjp": it returns ``(value,
    gradients)`` and takes the seed as the keyword-only ``out_bar``). The result, the source
    of a function named ``name``, runs the statements ``seed(value)`` (``value``: the AST of
    the function's value) where the reverse sweep begins: after the forward sweep computed
    the value, before anything reads ``out_bar``. A value the seed does not fit (a gradient
    of a non-scalar) is then reported as such, not as whatever error the reverse sweep would
    raise on it. Without ``keep_out_bar`` the parameter is dropped and ``seed`` assigns
    ``out_bar``; ``gradients_only``: return the gradients, not the value."""
    node = ast.parse(text).body[0]
    node.name = name
    body = node.body
    value, gradients = body[-1].value.elts
    # the forward sweep never reads out_bar: the first statement that does begins the
    # reverse sweep (or, if none does, the return)
    start = next((i for i, s in enumerate(body) if "out_bar" in ir.names_read(s)),
                 len(body) - 1)
    if ir.names_read(value) & ir.assigns(body[start:]):
        start = len(body) - 1   # (the value is kept from the reverse sweep: never so)
    body[start:start] = seed(value)
    if gradients_only:
        body[-1].value = gradients
        doc = body[0].value if isinstance(body[0], ast.Expr) else None
        if isinstance(doc, ast.Constant) and isinstance(doc.value, str):
            doc.value = doc.value.replace("The value and gradient of", "The gradient of", 1)
    if not keep_out_bar:
        args = node.args
        at = [a.arg for a in args.kwonlyargs].index("out_bar")
        del args.kwonlyargs[at], args.kw_defaults[at]
    return to_source(ast.fix_missing_locations(node))


def to_source(node):
    return ast.unparse(node) + "\n"


def compile_function(source_text, name, source, aliases, extra=None):
    """Turn generated source into a function that runs in the user's module namespace.

    ``extra``: generated name -> object, for names inlined callees read from their own
    modules."""
    tree = ast.parse(source_text)
    free = ir.names_read(tree)
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
