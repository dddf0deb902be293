"""The gradient of a nested function, called where it is made: ``ad.grad(inner)(p, x)``
inside a function being differentiated (a MAML inner step, a gradient penalty written
as JAX users write them, ``inner`` a def or lambda of the enclosing function).

After closures.py, ``inner`` passed to ``ad.grad`` is a ``REFERENCE`` node whose
keywords are the variables of the enclosing function it reads; its def has them as
keyword-only parameters of its own. That def is made a function now (``_function``:
compiled in the module's globals, its source the def as closures.py left it), and
adcompile's gradient of it is made as for a module-level function (inline.py inlines
the code it runs); the call passes the variables it reads by keyword:
``ad.grad(inner)(p, x)`` becomes ``$grad_inner(p, x, W=W)``, ``$grad_inner`` naming
the gradient in the table of functions (functions.function_table binds it).
"""

import ast
import copy

from ..errors import TransformError
from .references import REFERENCE
from .source import DerivedSource, is_adcompile_grad
from .syntax import LEAF

#: the attribute of a function made of a nested def: its source (compiler.Transform reads it)
DERIVED = "_adcompile_derived"

def nested_gradients(body, table, source, local):
    """Replace in ``body`` (statements, changed in place) each call ``ad.grad(inner,
    **options)(...)`` of a nested function ``inner`` of ``table`` (closures.extract's)
    by a call of its gradient; returns {name: gradient} to add to the table."""
    made = {}
    for node in (n for stmt in body for n in ast.walk(stmt)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Call)):
            continue
        ref, grad = _gradient_of_reference(node.func, source, local)
        if ref is None or ref.func.id not in table:
            continue
        if any(getattr(k.value, REFERENCE, False) for k in ref.keywords):
            continue   # (it reads another nested function: refused as before)
        options = {k.arg: ast.literal_eval(k.value) for k in node.func.keywords}
        name = f"{LEAF}grad_{ref.func.id}_{len(made)}"
        made[name] = _gradient(grad, table[ref.func.id], options, source, node.func)
        node.func = ast.copy_location(ast.Name(id=name, ctx=ast.Load()), node.func)
        node.keywords = node.keywords + ref.keywords
    return made


def is_gradient_of(call, names, source, local):
    """Whether ``call`` is adcompile's ``ad.grad(f, **literal options)`` of a function
    named one of ``names`` (the nested defs, before closures.py takes them out)."""
    return is_adcompile_grad(source.callee(call.func, local)) and len(call.args) == 1 \
        and isinstance(call.args[0], ast.Name) and call.args[0].id in names \
        and _literal_options(call)


def _literal_options(call):
    if any(k.arg is None for k in call.keywords):
        return False
    try:
        [ast.literal_eval(k.value) for k in call.keywords]
    except ValueError:
        return False
    return True


def _gradient_of_reference(call, source, local):
    """(the ``REFERENCE`` node, adcompile's ``grad``) for ``call``, ``ad.grad(inner,
    **literal options)`` of one nested function; else (None, None)."""
    grad = source.callee(call.func, local)
    if not is_adcompile_grad(grad) or len(call.args) != 1 \
            or not getattr(call.args[0], REFERENCE, False) or not _literal_options(call):
        return None, None
    return call.args[0], grad.what


def _gradient(grad, local_function, options, source, at):
    """``grad`` (adcompile's) of the nested function ``local_function`` (a LocalFunction),
    made once per enclosing source, def and options."""
    if source.closure:
        raise source.error(at, f"ad.grad({local_function.__name__}) of a nested function "
                               f"inside a function that is itself nested (a closure) is not "
                               f"supported; define the enclosing function at module level")
    cache = source.__dict__.setdefault("_nested_gradients", {})
    node = local_function.source.node
    key = (node.lineno, node.col_offset, tuple(local_function.free),
           tuple(sorted(options.items())))
    if key not in cache:
        function = _function(node, source)
        try:
            cache[key] = (function, grad(function, **options))
        except TransformError:   # (what the nested function does: its own line)
            raise
        except (TypeError, ValueError) as error:   # (options ad.grad refuses)
            spelled = ast.unparse(ast.Call(func=at.func, args=[ast.Name(id=node.name)],
                                           keywords=at.keywords))   # (not the reference)
            raise source.error(at, f"{spelled}: {error}") from None
    return cache[key][1]


def _function(node, source):
    """The nested def ``node`` (its free variables keyword-only parameters) as a function
    of the module, whose source for adcompile is the def itself."""
    node = copy.deepcopy(node)
    if not node.name.isidentifier():   # (a lambda's)
        node.name = "lambda_function"
    module = ast.fix_missing_locations(ast.Module(body=[copy.deepcopy(node)],
                                                  type_ignores=[]))
    namespace = {}
    exec(compile(module, source.filename, "exec"), source.globals, namespace)
    function = namespace[node.name]
    setattr(function, DERIVED, DerivedSource(source, node))
    return function
