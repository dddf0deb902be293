"""What loop fission reads off the code of a loop (the names it may change, whether it
walks a ``range``, where it reads a name) and the pieces of code it builds around one."""

import ast

from .. import ir

_PURE_BUILTINS = {"range", "len", "reversed", "zip", "enumerate", "float", "int", "bool",
                  "abs", "min", "max", "sum", "isinstance", "print"}


def may_change(stmts, aliases):
    """Names a block assigns, or may change in place (``x[i] = ...``, ``x.append(...)``,
    ``out=x``, ``np.copyto(x, ...)``, ``helper(x)`` for a function not known to be pure)."""
    np_name, pure = aliases["np"], set(aliases.values()) | _PURE_BUILTINS
    found = set()
    for s in stmts:
        found |= ir.changed_in_place(s)
        for node in ir.walk_tree(s):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                found.add(node.id)
            elif isinstance(node, (ast.Subscript, ast.Attribute)) \
                    and not isinstance(node.ctx, ast.Load):
                found |= ir.names_read(node.value)
            elif isinstance(node, ast.Call):
                f = node.func
                if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) \
                        and f.value.id in pure | {np_name}:
                    pass                           # np.tanh(x), math.sin(x)
                elif isinstance(f, ast.Attribute):
                    found |= ir.names_read(f.value)    # x.sort(), x.append(v)
                    if f.attr != "append":
                        found |= {a.id for a in node.args if isinstance(a, ast.Name)}
                elif not (isinstance(f, ast.Name) and f.id in pure):
                    found |= {a.id for a in node.args if isinstance(a, ast.Name)}
                    found |= {k.value.id for k in node.keywords
                              if isinstance(k.value, ast.Name)}
    return found


def _has_jump(loop):
    return any(isinstance(n, (ast.Break, ast.Continue, ast.Return)) for n in ir.walk_tree(loop))


def range_call(e, code):
    """The ``range(...)`` call ``e`` is, or that the name ``e`` is assigned once in
    ``code`` (``t1 = range(len(xs))``); else None."""
    if isinstance(e, ast.Name):
        made = [s for s in code for n in ir.walk_tree(s)
                if isinstance(n, ast.Name) and n.id == e.id and not isinstance(n.ctx, ast.Load)]
        if len(made) != 1 or not (isinstance(made[0], ast.Assign)
                                  and len(made[0].targets) == 1):
            return None
        e = made[0].value
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "range":
        return e
    return None


def is_range_loop(loop, code):
    """A ``for`` loop over ``range`` (in ``code``, the forward sweep) with no jumps."""
    return isinstance(loop, ast.For) and isinstance(loop.target, ast.Name) \
        and range_call(loop.iter, code) is not None and not loop.orelse \
        and not _has_jump(loop)


def walk_steps(targets, iterables, reverse):
    """``for a, b in zip(x, y)`` (or ``for a in x``), each walked backwards if ``reverse``."""
    if reverse:
        iterables = [ir.call("reversed", it) for it in iterables]
    if len(targets) == 1:
        return ir.store(targets[0]), iterables[0]
    target = ast.Tuple(elts=[ir.store(t) for t in targets], ctx=ast.Store())
    return target, ir.call("zip", *iterables)



def transposes(stmts, changed, ndims, namer):
    """``W.T`` of a matrix the loop does not change, made once before the loop: returns
    the statements that make them (the loop's statements read the new names)."""
    made = {}
    for s in stmts:
        for node in ir.walk_tree(s):
            for field, value in ast.iter_fields(node):
                if isinstance(value, ast.Attribute) and value.attr == "T" \
                        and isinstance(value.value, ast.Name) and value.value.id not in changed \
                        and ndims.get(value.value.id) == 2:
                    name = value.value.id
                    if name not in made:
                        made[name] = namer.fresh(f"{name}_T")
                    setattr(node, field, ir.load(made[name]))
    return [ir.assign(new, ast.Attribute(value=ir.load(old), attr="T", ctx=ast.Load()))
            for old, new in made.items()]


def reads_free(stmts, name):
    """Whether ``stmts`` read ``name`` other than inside loops that assign it first (their
    loop variable)."""
    for s in stmts:
        if isinstance(s, ast.For) and name in ir.assigns([s.target]):
            if name in ir.names_read(s.iter):
                return True
            continue
        if isinstance(s, (ast.For, ast.While, ast.If)):
            heads = [getattr(s, "iter", None), getattr(s, "test", None)]
            if name in ir.reads([h for h in heads if h is not None]) \
                    or reads_free(s.body, name) or reads_free(s.orelse, name):
                return True
            continue
        if name in ir.names_read(s):
            return True
    return False


def occurrences(stmts, name, stores=False):
    """How many times ``stmts`` read or assign ``name`` (``stores``: only assign)."""
    return sum(isinstance(n, ast.Name) and n.id == name
               and (not stores or not isinstance(n.ctx, ast.Load))
               for s in stmts for n in ir.walk_tree(s))


class Occurrences:
    """``occurrences`` for one block, counted once: how many times its statements (or those
    before statement ``before``) read or assign ``name`` (``stores``: only assign)."""

    def __init__(self, stmts):
        self.at = {}   # name -> [(statement index, occurrences, stores)], in order
        for i, s in enumerate(stmts):
            counts = {}
            for n in ir.walk_tree(s):
                if n.__class__ is ast.Name:
                    c = counts.setdefault(n.id, [0, 0])
                    c[0] += 1
                    c[1] += not isinstance(n.ctx, ast.Load)
            for name, (every, stores) in counts.items():
                self.at.setdefault(name, []).append((i, every, stores))

    def __call__(self, name, stores=False, before=None):
        return sum(c[2] if stores else c[1] for c in self.at.get(name, ())
                   if before is None or c[0] < before)

