"""From generated statements to a function definition, and to its source text.

``function_def`` (reverse mode) and ``forward_def`` (forward mode) wrap the statements a
sweep produced into a ``def``; ``seeded`` inserts a check of the value where the reverse
sweep begins; ``to_source`` unparses.
"""

import ast
import collections
import copy

from .. import ir
from ..ir import trees
from ..runtime import with_item
from ..ir.parsing import parse


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
    grads = _rebuilt(fn, adjoint.grads, adjoint.context.aliases)
    grad_value = ast.Tuple(elts=grads, ctx=ast.Load()) if wrt_tuple else grads[0]
    if form == "vjp":
        result = ast.Tuple(elts=[returned_value(fn, adjoint.outputs), grad_value], ctx=ast.Load())
    else:
        result = grad_value
    body = adjoint.forward + adjoint.backward + [ast.Return(result)]
    body = [ast.Expr(ast.Constant(doc))] + _unpacked_leaves(fn, body) + written_items(fn, body)
    node = ast.FunctionDef(name=name, args=args, body=body, decorator_list=[], returns=None,
                           type_comment=None)
    if hasattr(ast.FunctionDef, "type_params") or "type_params" in ast.FunctionDef._fields:
        node.type_params = []
    return _numbered(node)


def _numbered(node):
    """``node`` with a line number on each statement that has none: all ``ast.unparse``
    reads of positions (of expressions it reads none). The text is what is compiled, so
    ``ast.fix_missing_locations``, which walks every expression, is not needed."""
    for s in ir.walk_statements(node):
        if not hasattr(s, "lineno"):
            s.lineno = 1
    return node


def returned_value(fn, outputs):
    """What generated code returns as the value of ``fn`` whose outputs are now
    ``outputs``: one, or a tuple; with auxiliary data, the pair ``(value, aux)``."""
    value = structured_value(fn, outputs[:-1] if fn.has_aux else outputs)
    return ast.Tuple(elts=[value, outputs[-1]], ctx=ast.Load()) if fn.has_aux else value


def structured_value(fn, values):
    """The expression for the value of ``fn`` from ``values``, one per output of the value
    (or their tangents): one, a tuple, or the structure ``fn`` returns."""
    if fn.output_tree is not None:
        classes = {id(obj): name for name, obj in getattr(fn, "extra_globals", {}).items()}
        return trees.rebuild_values(fn.output_tree, iter(values), classes)
    return ast.Tuple(elts=values, ctx=ast.Load()) if fn.tuple_output else values[0]


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
    dot = structured_value(fn, tangent.out_dots)
    result = ast.Tuple(elts=[returned_value(fn, tangent.outputs), dot], ctx=ast.Load())
    body = tangent.body + [ast.Return(result)]
    body = [ast.Expr(ast.Constant(doc))] + _unpacked_leaves(fn, body) + written_items(fn, body)
    node = ast.FunctionDef(name=name, args=args, body=body, decorator_list=[], returns=None,
                           type_comment=None)
    if "type_params" in ast.FunctionDef._fields:
        node.type_params = []
    return _numbered(node)


def written_items(fn, body):
    """``body`` with each ``x_2 = with_item(x, index, v)`` (the primitive of ``x[index] =
    v``) written as Python does it, on a copy: ``x_2 = x.copy()``, ``x_2[index] = v``; or
    in place, ``x[index] = v``, where ``x`` is an array no other name can refer to:
    assigned once, by an expression that makes a new array, and read nowhere else. The
    code then reads ``x`` for ``x_2`` (``x_2 = x`` where ``x_2`` is assigned again)."""
    names = {n for n, obj in getattr(fn, "extra_globals", {}).items() if obj is with_item}
    if not names:
        return body
    reads = collections.Counter(n.id for s in body for n in ast.walk(s)
                                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load))
    stores = collections.Counter(n.id for s in body for n in ast.walk(s)
                                 if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    fresh = {s.targets[0].id for s in ir.walk_statements(body) if isinstance(s, ast.Assign)
             and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
             and _makes_new_array(s.value, names)}
    for name in list(reads):
        if stores[name] != 1 or name not in fresh:
            reads[name] += 2   # (it may share its array with another name)
    for p in fn.params + list(fn.source.params):
        reads[p] += 2   # (the caller's arrays are never changed)
    renamed = {}
    body = _written_items(fn, body, names, reads, stores, renamed)
    while any(new in renamed for new in renamed.values()):   # (x_3 -> x_2 -> x)
        renamed = {old: renamed.get(new, new) for old, new in renamed.items()}
    for node in (n for s in body for n in ast.walk(s)):
        if isinstance(node, ast.Name) and node.id in renamed:
            node.id = renamed[node.id]
    return body


def _written_items(fn, body, names, reads, stores, renamed):
    """``body`` as ``written_items`` writes it, given the counts of the reads and stores of
    each name (a name that may share its array read twice more); ``renamed`` gets the
    names read as others (``x_2``: ``x``)."""
    params = set(fn.params) | set(fn.source.params)
    out = []
    for s in body:
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                setattr(s, field, _written_items(fn, getattr(s, field), names, reads, stores,
                                                 renamed))
        value = getattr(s, "value", None)
        if isinstance(s, ast.Assign) and isinstance(value, ast.Call) \
                and isinstance(value.func, ast.Name) and value.func.id in names \
                and len(value.args) == 3 and isinstance(s.targets[0], ast.Name) \
                and not (isinstance(value.args[0], ast.Name) and value.args[0].id in params):
            # (into an argument, with_item stays called: it refuses a dict or list, which
            # the copy written out would change as an array)
            target = s.targets[0].id
            array, index, item = value.args
            alone = isinstance(array, ast.Name) and reads[array.id] == 1
            written = array.id if alone else target
            if not alone:
                out.append(ir.assign(target, ir.call(ast.Attribute(value=array, attr="copy",
                                                                   ctx=ast.Load()))))
            out.append(ast.Assign(targets=[ast.Subscript(value=ir.load(written),
                                                         slice=subscript_of(index),
                                                         ctx=ast.Store())], value=item))
            if alone and stores[target] == 1:
                renamed[target] = array.id
            elif alone:
                out.append(ir.assign(target, ir.load(array.id)))
            continue
        out.append(s)
    return out


#: functions that return a new array (never one of their arguments or a view of one)
_NEW_ARRAYS = {"zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like",
               "full_like", "array", "copy", "arange", "linspace", "eye"}


def _makes_new_array(value, with_item_names):
    """Whether ``value`` surely makes a new array: arithmetic, ``x.copy()``, ``np.zeros``
    and the like, ``with_item``."""
    if isinstance(value, (ast.BinOp, ast.UnaryOp)):
        return True
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    if isinstance(func, ast.Name):
        return func.id in with_item_names
    if isinstance(func, ast.Attribute):
        if func.attr == "copy" and not value.args:
            return True
        return isinstance(func.value, ast.Name) and func.value.id in ("np", "numpy") \
            and func.attr in _NEW_ARRAYS
    return False


def subscript_of(index):
    """The subscript syntax of an index passed as a value: ``slice(1, -1)`` as ``1:-1``."""
    if isinstance(index, ast.Call) and isinstance(index.func, ast.Name) \
            and index.func.id == "slice" and not index.keywords and 1 <= len(index.args) <= 3:
        parts = [None if isinstance(a, ast.Constant) and a.value is None else a
                 for a in index.args]
        if len(parts) == 1:
            return ast.Slice(upper=parts[0])
        return ast.Slice(*(parts + [None] * (3 - len(parts))))
    if isinstance(index, ast.Tuple):
        return ast.Tuple(elts=[subscript_of(e) for e in index.elts], ctx=ast.Load())
    return index


def _unpacked_leaves(fn, body):
    """``params_W1 = params["W1"]`` for each leaf of a structured parameter that ``body``
    reads (see ir/trees.py)."""
    if not fn.trees:
        return []
    read = ir.names_mentioned(body)
    return [ir.assign(leaf, expr) for p, node in fn.trees.items()
            for leaf, expr in trees.unpack(p, node) if leaf in read]


def _rebuilt(fn, grads, aliases):
    """The gradients, one per parameter differentiated: a structured parameter's in its
    structure, from the gradients of its leaves (``grads``, one per leaf in ``fn.wrt``)."""
    if not fn.trees:
        return grads
    of_leaf = dict(zip(fn.wrt, grads))
    return [trees.rebuild(fn.trees[p], ir.load(p), lambda leaf: of_leaf[leaf.name],
                          aliases["replace_fields"], aliases["mapping_like"])
            if p in fn.trees else of_leaf[p]
            for p in fn.user_wrt]


def seeded(text, name, seed, keep_out_bar=False, gradients_only=False, has_aux=False):
    """The source of ``seeded_def``'s function."""
    return to_source(seeded_def(text, name, seed, keep_out_bar, gradients_only, has_aux))


def seeded_def(text, name, seed, keep_out_bar=False, gradients_only=False, has_aux=False):
    """Generated code that checks its value before the reverse sweep starts.

    ``text`` is vjp-form code (``function_def`` with form "vjp": it returns ``(value,
    gradients)`` and takes the seed as the keyword-only ``out_bar``). The result, the def
    of a function named ``name``, runs the statements ``seed(value)`` (``value``: the AST of
    the function's value) where the reverse sweep begins: after the forward sweep computed
    the value, before anything reads ``out_bar``. A value the seed does not fit (a gradient
    of a non-scalar) is then reported as such, not as whatever error the reverse sweep would
    raise on it. Without ``keep_out_bar`` the parameter is dropped and ``seed`` assigns
    ``out_bar``; ``gradients_only``: return the gradients, not the value. ``has_aux``: the
    code returns ``((value, aux), gradients)``; ``seed`` sees the value, and with
    ``gradients_only`` the code returns ``(gradients, aux)``. ``text`` may also be that
    code's ``def`` node, which is left as it is (the statements changed are copies)."""
    node = copy.copy(parse(text).body[0] if isinstance(text, str) else text)
    node.name = name
    body = node.body = list(node.body)
    body[-1] = copy.copy(body[-1])
    value, gradients = body[-1].value.elts
    if has_aux:
        value, aux = value.elts
        gradients = ast.Tuple(elts=[gradients, aux], ctx=ast.Load())
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
            body[0] = ast.Expr(value=ast.Constant(value=doc.value.replace(
                "The value and gradient of", "The gradient of", 1)))
    if not keep_out_bar:
        args = node.args = copy.copy(node.args)
        at = [a.arg for a in args.kwonlyargs].index("out_bar")
        args.kwonlyargs = args.kwonlyargs[:at] + args.kwonlyargs[at + 1:]
        args.kw_defaults = args.kw_defaults[:at] + args.kw_defaults[at + 1:]
    return _numbered(node)


def without_calls(node, names):
    """``node`` with each call ``name(e)`` of a function in ``names`` (identities, such as
    ``ad.stop_gradient`` once its result is known to be a constant) replaced by ``e``."""
    if not names:
        return node

    class Unwrap(ast.NodeTransformer):
        def visit_Call(self, call):
            self.generic_visit(call)
            if isinstance(call.func, ast.Name) and call.func.id in names:
                return call.args[0]
            return call

    return Unwrap().visit(node)


def to_source(node):
    """The source text of a generated ``def`` (or any AST node), with a final newline."""
    return ast.unparse(node) + "\n"
