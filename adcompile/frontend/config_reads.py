"""Settings read from module-level names, config objects and dicts that choose the
function called: ``ACTS[ACT](x)`` with ``ACT = "tanh"`` in the module, ``CONFIG["act"]``
of a module-level dict, ``cfg.act`` of a config object (a module-level one, a default, or
an argument not differentiated).

Such a read is a *path*: a name and constant steps, attributes (``.act``) and dict items
(``["act"]``). Where one decides the function a call calls, it becomes a need of
static_choices.py with the descriptor ``("read", where, name, steps)`` (``where``:
``"param"`` for a parameter of the differentiated function, ``"free"`` for a module-level
or closure name of it): each call reads the value again (dispatch.py) and the code is
made for it. In that code the path reads as the constant (``fix_choices``), so that a
value changed in place between calls (``CONFIG["act"] = "sin"``) picks other code.
"""

import ast
import inspect
import types
from dataclasses import dataclass

#: what a path that cannot be followed reads as (see follow)
UNREADABLE = object()


@dataclass(frozen=True)
class Path:
    """The key of ``fix_choices`` for a path: ``base`` and ``steps`` (("[]", key) or
    (".", attribute) each)."""

    base: str
    steps: tuple


def path_of(node):
    """(name, steps) when ``node`` reads a name through constant attributes and dict keys
    (``cfg.act``, ``CONFIG["act"]``, ``CONFIG.get("act", "tanh")``), else None."""
    steps = []
    while True:
        if _is_get(node):
            steps.append(("get", tuple(a.value for a in node.args) + (None,) * (
                2 - len(node.args))))
            node = node.func
        elif isinstance(node, ast.Attribute):
            steps.append((".", node.attr))
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                and type(node.slice.value) in (str, int):
            steps.append(("[]", node.slice.value))
        else:
            break
        node = node.value
    if isinstance(node, ast.Name):
        return node.id, tuple(reversed(steps))
    return None


def _is_get(node):
    """Whether ``node`` is ``<expression>.get(key[, default])`` of constants."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
        and node.func.attr == "get" and 1 <= len(node.args) <= 2 and not node.keywords \
        and all(isinstance(a, ast.Constant) for a in node.args) \
        and type(node.args[0].value) in (str, int)


def read_paths(e):
    """The (name, steps) of the longest paths ``e`` (an expression, or a list of them)
    reads (not the function of a call: a method), each once, in order."""
    found = []

    def visit(node):
        path = path_of(node) if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript,
                                                  ast.Call)) else None
        if path is not None and isinstance(getattr(node, "ctx", ast.Load()), ast.Load):
            if path not in found:
                found.append(path)
            return
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            visit(node.func.value)   # (opts.get("k"): its base, not a path through .get)
            for child in node.args + [k.value for k in node.keywords]:
                visit(child)
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    for node in e if isinstance(e, list) else [e]:
        visit(node)
    return found


def mutated(fn, name):
    """Whether ``fn`` could change, by its syntax, the object ``name`` holds: it assigns
    or deletes one of its attributes or items, calls it or one of its methods, or binds
    another name to the object itself (then perhaps changed through that). Passing it to
    a function of the user's is allowed: that function is inlined, and checked itself."""
    parents = {child: node for node in ast.walk(fn) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(fn):
        if not (isinstance(node, ast.Name) and node.id == name):
            continue
        top = node
        while isinstance(parents.get(top), (ast.Attribute, ast.Subscript)) \
                and parents[top].value is top:
            top = parents[top]
            if _is_get(parents.get(top)) and parents[top].func is top:
                top = parents[top]   # (CONFIG.get("act"): a read)
        parent = parents.get(top)
        if not isinstance(getattr(top, "ctx", ast.Load()), ast.Load) \
                or isinstance(parent, ast.Call) and parent.func is top \
                or top is node and isinstance(parent, _BINDINGS):
            return True
    return False


#: the nodes whose value a name may be bound to (an alias of the object)
_BINDINGS = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr, ast.withitem, ast.For,
             ast.comprehension, ast.Starred, ast.Tuple, ast.List, ast.Dict, ast.Set,
             ast.Return, ast.Yield, ast.Lambda)


def follow(value, steps):
    """The value at ``steps`` from ``value``: dict items of a dict, fields of a NamedTuple,
    attributes of an object, class or module as stored (a property or other descriptor is
    not run: UNREADABLE), or UNREADABLE."""
    for kind, key in steps:
        if kind == "get":
            value = value.get(*key) if type(value) is dict else UNREADABLE
            continue
        if kind == "[]":
            if type(value) is not dict or key not in value:
                return UNREADABLE
            value = value[key]
            continue
        if isinstance(value, types.ModuleType):
            value = vars(value).get(key, UNREADABLE)
        elif isinstance(value, tuple) and key in getattr(type(value), "_fields", ()):
            value = value[type(value)._fields.index(key)]   # (a NamedTuple's field)
        else:
            try:
                found = inspect.getattr_static(value, key)
            except AttributeError:
                return UNREADABLE
            if hasattr(type(found), "__get__"):   # (a property, a method: not a setting)
                return UNREADABLE
            value = found
        if value is UNREADABLE:
            return value
    return value


def spelled(name, steps):
    """``name`` and ``steps`` as the user writes them: ``CONFIG['act']``, ``cfg.act``."""
    return name + "".join(f".{key}" if kind == "." else f"[{key!r}]" if kind == "[]"
                          else f".get({key[0]!r}, {key[1]!r})" for kind, key in steps)


def extend(need, steps):
    """The need of what is at ``steps`` from what ``need`` stands for (None for an
    option's), or None."""
    if need is None or not steps:
        return need
    if need[0] == "choice":
        return ("read", "param", need[1], steps) if len(need) == 2 else None
    return need[:3] + (need[3] + steps,)


def beyond(base, need):
    """The steps from what the need ``base`` stands for to what ``need`` (a setting's)
    does, or None where it is not beyond it."""
    prefix = ("read", "param", base[1], ()) if base[0] == "choice" and len(base) == 2 \
        else base
    if prefix[0] != "read" or prefix[1:3] != need[1:3] \
            or need[3][:len(prefix[3])] != prefix[3]:
        return None
    return need[3][len(prefix[3]):]
