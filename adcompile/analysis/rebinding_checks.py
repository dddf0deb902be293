"""What to do about each rebinding hazard (rebindings.py) for the argument kinds of a
specialisation: nothing where ``x`` is a number; ``x op= e`` run in place where nothing
in it is differentiated; else a refusal where ``x`` is known to be an array, or a check when
the code runs that ``x`` is a number. The messages say what the user may write instead.
"""

import ast

from .. import ir
from ..errors import TransformError
from ..rules import REGISTRY
from ..runtime.values import rebinding_reason
from .mutations import check_mutations
from .points_to import Aliases
from .rebindings import rebinding_hazards
from .refreshes import settle_refreshes


def check_rebindings(fn, is_number, ndim_of, guard, arrays=(), augmented=None, known=None):
    """Make each ``x op= e`` compiled as a new value exact, for a call whose arguments
    ``is_number`` and ``ndim_of`` know about (``arrays``: the parameters that are arrays):
    nothing to do where ``x`` is a number, or where no other name that may share its
    object is read afterwards. Where ``x`` is known to be an array of one or more
    dimensions, or may be an argument that is an array: if nothing in the statement is
    differentiated (it is kept), ``x op= e`` as Python runs it (``augmented(x, op, e)``
    gives the call: every name sharing the array sees the change), refused if the gradient
    reads the array before it (see check_mutations); else a TransformError. Otherwise a
    check before the statement that ``x`` is a number when the code runs (``guard(name,
    message)`` gives the statement; see _checked_name). ``known``: (parameter -> whether it is a number,
    parameter -> its ndim) as the arguments' types tell, which ``is_number`` and ``ndim_of``
    were inferred from (by default what they say of the parameters' names: of a name a
    loop assigns too, what it holds in the loop)."""
    is_number, ndim_of = settle_refreshes(fn, is_number, ndim_of, known)
    # an update made in place shares its array with the names it rebinds: a later update
    # of one of them may now have observers the facts before did not show (b = c; c *= 2;
    # b *= 2; read c): the hazards are found again until no more updates are made so
    handled = set()
    while _check_hazards(fn, (is_number, ndim_of), guard, arrays, augmented, handled):
        vars(fn).pop("_aliases", None)


def _check_hazards(fn, facts_of, guard, arrays, augmented, handled):
    """One round of check_rebindings over the hazards whose statements are not in
    ``handled`` (ids, added to): whether it made an update in place."""
    is_number, ndim_of = facts_of
    facts = Aliases(fn, REGISTRY, is_number, ndim_of)   # what the arguments' types tell
    arguments = {f"argument {p}" for p in arrays}
    # (code for arguments of unknown kinds: called by keyword, or differentiated again)
    general = any(ndim_of(ir.load(p)) is None and not is_number(ir.load(p)) for p in fn.params)
    made, guards = [], []
    # (the lists and tuples primitives give, list(B), np.split(x, 2): never a number)
    sequences = {s.target for s in ir.walk(fn.body) if _gives_sequence(s)}
    # (every name that may share the array, where the check may ask them: _checked_name)
    for rebinding, s, observers in rebinding_hazards(fn, facts, lambda r, s: _writes_item(
            s) and ndim_of(ir.load(r.old)) is None):
        if id(rebinding) in handled:
            continue
        handled.add(id(rebinding))
        observer = observers[0]
        x = ir.load(rebinding.old)
        if is_number(x):
            continue
        source, node = rebinding.origin
        parts = _rebinding_parts(fn, rebinding, node, observer, rebinding.old in sequences)
        error = source.error(node, rebinding_reason(*parts))
        ndim = ndim_of(x)
        array = ndim is not None and ndim > 0 or facts.of(rebinding.old) & arguments \
            or rebinding.old in sequences
        where = f"{error.where}: {parts[0]}"
        check = None if array else guard(_checked_name(fn, rebinding, s, observers), where,
                                         parts[1:])
        if array and s in fn.untyped and not isinstance(s, ir.Keep) and general:
            # (an array whose other names the arguments' types could show to be views:
            # refused when the code made for arguments of unknown kinds runs)
            guards.append((s, guard(rebinding.old, where, parts[1:])))
            continue
        before = (s.stmt, s.pure) if isinstance(s, ir.Keep) else None
        if augmented is not None and _made_in_place(s, rebinding.old, augmented):
            made.append((s, before, check))
        elif array:
            raise error
        else:
            guards.append((s, check))
    if made:
        guards += _made_in_place_or_checked(fn, made, is_number)
    for s, statement in guards:
        ir.insert_before(fn.body, s, statement)
    return any(s.stmt is not before[0] for s, before, _ in made)   # (some kept in place)


def _made_in_place_or_checked(fn, made, is_number):
    """Keep the updates ``made`` in place (``augmented``) if the gradient never reads what
    they change before them; else, where the value may be a number, the check when the
    code runs instead: those checks, as (statement, check). (``made``: (statement, the
    kept statement and purity it had, its check or None).)"""
    try:
        _check_made_in_place(fn, is_number)
        return []
    except TransformError:
        guards = []
        for s, before, check in made:
            if check is not None:
                s.stmt, s.pure = before
                guards.append((s, check))
        if any(check is None for _, _, check in made):
            _check_made_in_place(fn, is_number)
        return guards


def _gives_sequence(s):
    return isinstance(s, ir.Op) and s.rule.shape.sequence


def _made_in_place(s, old, augmented):
    """Rewrite the kept statement ``s``, ``new = old op e`` (``x op= e`` on a value not
    differentiated), as ``new = augmented(old, op, e)``; whether it was of that form."""
    stmt = getattr(s, "stmt", None)
    if not (isinstance(s, ir.Keep) and isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.BinOp)
            and isinstance(stmt.value.left, ast.Name) and stmt.value.left.id == old):
        return False
    value = stmt.value
    symbol = ast.unparse(ast.BinOp(ast.Name("a"), value.op, ast.Name("b")))[2:-2].strip()
    s.stmt = ast.copy_location(ast.Assign(targets=stmt.targets, value=augmented(
        value.left, symbol, value.right)), stmt)
    s.pure = False
    return True


def _check_made_in_place(fn, is_number):
    vars(fn).pop("_aliases", None)   # (of's cache: the function changes objects now)
    check_mutations(fn, Aliases(fn, REGISTRY, is_number))


def _rebinding_parts(fn, rebinding, node, observer, listed=False):
    """What the refusal of the rebinding hazard at ``node`` says, as
    ``runtime.rebinding_reason`` reads it: (the statement as the user wrote it, its kind,
    the array changed, ``observer``'s user name, the swap of the two names or '')."""
    name = ir.user_name(fn, rebinding.old)
    other = ir.user_name(fn, observer)
    target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
    statement = rebinding.origin[0].written(node)   # (as the user wrote it)
    if isinstance(target, ast.Subscript) and isinstance(node, ast.AugAssign) and (
            listed or not isinstance(getattr(rebinding.statement, "expr", None), ast.Call)):
        # items[i] op= v on a list or dict (``listed``: one a primitive gives)
        return statement, "item", rebinding.origin[0].written(target), other, ""
    split = getattr(node, ir.SPLIT_FROM, None)
    if isinstance(target, ast.Subscript) and split is not None:   # y[0], y[1] = y[1], y[0]
        return _assignment_text(split), "swap", name, other, ""
    if isinstance(target, ast.Subscript):   # x[i] = v
        name = getattr(node, ir.WRITTEN_ARRAY, name)   # (new["W"][i] = v: new['W'])
        return statement, "write", name, other, _swapped(rebinding.origin[0], name, other)
    return statement, "update", name, other, ""


def _assignment_text(s):
    """The assignment ``s`` as the user would write it (``a, b = b, a``, no parentheses)."""
    parts = [*s.targets, s.value]
    return " = ".join(", ".join(map(ast.unparse, e.elts)) if isinstance(e, ast.Tuple) and e.elts
                      else ast.unparse(e) for e in parts)


def _writes_item(s):
    """Whether ``s`` is the primitive of ``x[index] = v`` or ``x[index] op= v``."""
    return isinstance(s, ir.Op) and s.rule.name in ("with_item", "added_at", "subtracted_at")


def _checked_name(fn, rebinding, s, observers):
    """The name the check before ``s`` requires to hold a number when the code runs: ``x``
    of ``x op= e``. ``x[i] = v`` changes ``x``, never a number: there the one other name
    that may share it (``observers``), where it has its value before ``s`` (``y[0], y[1] =
    y[1], y[0]`` of a vector reads numbers, of a matrix views); else ``x`` (refused when
    the code runs)."""
    held = _held_before(fn, s, observers[0]) if _writes_item(s) and len(observers) == 1 \
        else None
    return held or rebinding.old


def _held_before(fn, s, name):
    """A name that holds, each time ``s`` runs, the object ``name`` holds after it: ``name``
    itself if a statement before ``s`` in the block holding it assigns it, else the name
    a copy of that object was made from (``_value2_2 = _value2``), so found; else None."""
    while _defined_before(fn.body, s, name) is None:
        made = [t for t in ir.walk(fn.body) if name in ir.own_assigns(t)]
        if len(made) != 1 or not (isinstance(made[0], ir.Op) and made[0].rule.name == "copy"
                                  and isinstance(made[0].inputs[0], ast.Name)):
            return None
        name = made[0].inputs[0].id
    return name


def _defined_before(block, s, name):
    """``name`` if a statement before ``s`` in the block holding it assigns ``name`` (each
    time ``s`` runs, ``name`` has a value there), else None."""
    for at, t in enumerate(block):
        if t is s:
            return name if any(name in ir.own_assigns(u) for u in block[:at]) else None
        for inner in ir.children(t):
            found = _defined_before(inner, s, name)
            if found is not None or any(u is s for u in ir.walk(inner)):
                return found
    return None


def _swapped(source, name, other):
    """For arrays ``name`` and ``other`` that the function swaps (``u, un = un, u``: double
    buffering), that swap as written; else ''."""
    for n in ast.walk(getattr(source, "node", ast.Module(body=[], type_ignores=[]))):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 \
                and all(isinstance(t, ast.Tuple) and all(isinstance(e, ast.Name) for e in t.elts)
                        for t in (n.targets[0], n.value)) \
                and {name, other} <= {e.id for e in n.targets[0].elts} \
                and sorted(e.id for e in n.targets[0].elts) == sorted(e.id for e in n.value.elts):
            return (f"{', '.join(e.id for e in n.targets[0].elts)} = "
                    f"{', '.join(e.id for e in n.value.elts)}")
    return ""
