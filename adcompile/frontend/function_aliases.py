"""Local names for module functions: ``sin = math.sin`` read as ``math.sin``; local names
for gradients: ``g = ad.grad(f)`` read as ``ad.grad(f)``.

Numeric code often gives a module's function a short local name (``exp = np.exp``,
``norm = np.linalg.norm``) before a loop. Where the local is assigned that once, and
nowhere else (in no nested scope either), each read of it in the statements after the
assignment in its block (the function's body, a loop's, a branch's) is the attribute
itself: the rest of the compiler then finds the function's
rule as if the user had written ``math.sin(theta)``. What the attribute holds is read
when transforming, as for a call written ``math.sin(...)``. The same for a function of
the user's (``f = relu``) and for a function a global dict, tuple or list holds under a
constant key (``act = ACTS["tanh"]``, ``act = ACTS[0]``: static_choices.py writes
``ACTS[kind]`` so for the value a call gives).
"""

import ast
import inspect
import types

from ..ir import copy_tree, names_mentioned, walk_tree
from .function_loops import names_function
from .nested_gradients import is_gradient_of
from .references import placed
from .source import NO_KEY, held_item, int_constant, item_key


def inline_function_aliases(fn, source):
    """Replace (in place) in ``fn``, a copy of ``source``'s def, each read of a local that
    names a function of a module (see the module's docstring). A local assigned so in a
    loop or a branch (``h = bump`` before ``h(a, s)`` in a loop's body) is read so in the
    statements after it in that block, which run after it each time."""
    todo = [fn]
    while todo:
        node = todo.pop()
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                _aliases_in(block, fn, source, top=block is fn.body)
                todo.extend(s for s in block if not isinstance(s, _DEFINITIONS))
        todo.extend(h for h in getattr(node, "handlers", ()))


def _aliases_in(block, fn, source, top):
    """Replace the reads of the locals ``block`` (a block of ``fn``'s statements; ``top``:
    its body) assigns a module's function in the statements of ``block`` after the
    assignment (a gradient, ``g = ad.grad(f)``, in its body only: the assignment goes)."""
    nodes = None
    for at, stmt in enumerate(block):
        pairs = [(t, chain) for t, chain in _assigned_attributes(stmt)
                 if top or not isinstance(chain, ast.Call)]
        if not pairs:
            continue
        nodes = nodes if nodes is not None else list(walk_tree(fn))
        before = names_mentioned(block[:at])
        aliases = {target.id: chain for target, chain in pairs
                   if target.id not in before and _names_function(target, chain, nodes, source)}
        if not aliases:
            continue

        class Replace(ast.NodeTransformer):
            def visit_Name(self, node):
                if node.id in aliases and isinstance(node.ctx, ast.Load):
                    return placed(copy_tree(aliases[node.id]), node)
                return node

        block[at + 1:] = [Replace().visit(s) for s in block[at + 1:]]
        if isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.Call):
            # g = ad.grad(f), each read of g now the call: the gradient is not made when
            # the code runs (of a nested def, it could not be: nested_gradients.py)
            block[at] = placed(ast.Pass(), stmt)
        nodes = None


#: the statements that bind a name to a function or class of their own
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _assigned_attributes(stmt):
    """[(target Name node, attribute expression, call or display)] of ``stmt`` if it is
    ``a = m.f``, ``a, b = m.f, m.g``, ``a = f``, ``a = ACTS["k"]``, ``g = ad.grad(f)`` or
    ``fs = [np.sin, relu]``; else []."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
        return []
    target, value = stmt.targets[0], stmt.value
    if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) \
            and len(target.elts) == len(value.elts):
        pairs = list(zip(target.elts, value.elts))
    else:
        pairs = [(target, value)]
    if isinstance(target, ast.Name) and isinstance(value, (ast.Tuple, ast.List)):
        # fs = [np.sin, relu] (names and attributes only: what may name functions)
        return [(target, value)] if value.elts and all(
            isinstance(e, (ast.Name, ast.Attribute)) for e in value.elts) else []
    return [(t, v) for t, v in pairs if isinstance(t, ast.Name)
            and (isinstance(v, (ast.Attribute, ast.Name)) or isinstance(v, ast.Call)
                 and _calls_grad(v) or _is_item(v))]


def _is_item(e):
    """Whether ``e`` is ``name[k]``, ``k`` a constant key (``ACTS["tanh"]``, ``FS[0]``)."""
    return isinstance(e, ast.Subscript) and isinstance(e.value, ast.Name) \
        and item_key(e.slice) is not NO_KEY


def _calls_grad(call):
    """Whether ``call`` is spelled as a call of ``grad`` (``ad.grad(f)``, ``grad(f)``):
    what FunctionSource.made_gradient may then find adcompile's."""
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr == "grad" \
        or isinstance(func, ast.Name) and func.id == "grad"


def _names_function(target, chain, nodes, source):
    """Whether the local ``target`` (its Name node) stands for the module function
    ``chain`` (``m.f``, ``m.sub.f``; ``f``, a function of the user's; ``D["k"]``, one a
    global dict, tuple or list holds) in the function whose nodes are ``nodes``: the local
    is assigned there only (in no nested scope, no parameter of any scope), the module
    is a global of the function that nothing assigns or takes as a parameter, and what
    the chain names is a function (callable, not a module). A chain that is a call stands
    for the gradient it makes (``g = ad.grad(f)``: see FunctionSource.made_gradient); a
    display, for the functions it holds, where the local is only read by position
    (``fs[0]``) or walked by a loop (function_loops.py)."""
    if isinstance(chain, (ast.Call, ast.Tuple, ast.List)):
        stores = [n for n in nodes if isinstance(n, ast.Name) and n.id == target.id
                  and not isinstance(n.ctx, ast.Load)]
        declared = any(isinstance(n, (ast.Global, ast.Nonlocal)) and target.id in n.names
                       or isinstance(n, ast.arg) and n.arg == target.id for n in nodes)
        if stores != [target] or declared:
            return False
        defined = {n.name for n in nodes if isinstance(n, _DEFINITIONS)}
        local = {n.id for n in nodes if isinstance(n, ast.Name)
                 and isinstance(n.ctx, ast.Store)} | set(source.params) | defined
        if isinstance(chain, ast.Call):   # (of a nested def: nested_gradients.py)
            return source.made_gradient(chain, local) is not None \
                or is_gradient_of(chain, defined, source, local)
        return bool(chain.elts) and _read_by_position(target.id, nodes) and all(
            names_function(source.callee(e, local)) for e in chain.elts)
    key, parts, node = NO_KEY, [], chain
    if isinstance(chain, ast.Subscript):   # ACTS["tanh"]: a function a global dict holds
        key, node = item_key(chain.slice), chain.value
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id in source.params:
        return False
    name, root = target.id, node.id
    stores = [n for n in nodes if isinstance(n, ast.Name) and n.id in (name, root)
              and not isinstance(n.ctx, ast.Load)]
    declared = any(isinstance(n, (ast.Global, ast.Nonlocal)) and name in n.names
                   or isinstance(n, ast.arg) and n.arg in (name, root) for n in nodes)
    if stores != [target] or declared:
        return False
    obj = source.resolve(root, None)
    for attr in reversed(parts):
        if not isinstance(obj, types.ModuleType):
            return False
        obj = getattr(obj, attr, None)
    if key is not NO_KEY:
        obj = held_item(obj, key)
        obj = None if obj is NO_KEY else obj
    elif not parts and not inspect.isfunction(obj):   # f = relu: a function of the user's
        return False
    return obj is not None and not isinstance(obj, types.ModuleType) and callable(obj)


def _read_by_position(name, nodes):
    """Whether each read of the local ``name`` among ``nodes`` is ``name[k]`` (``k`` an int
    constant) or the sequence a ``for`` loop walks: nothing that could change the list."""
    allowed = set()
    for n in nodes:
        if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Load) \
                and int_constant(n.slice) is not None:
            allowed.add(n.value)
        elif isinstance(n, ast.For):
            allowed.add(n.iter)
    return all(n in allowed for n in nodes if isinstance(n, ast.Name) and n.id == name
               and isinstance(n.ctx, ast.Load))
