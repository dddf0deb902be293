"""``x[index] = v`` and ``x[index] op= v`` on a name rewritten as ``x = $with_item(x, index,
v)`` before normalizing (``desugar_items``), so that every analysis of names sees that
``x`` changes there; ``x.fill(v)``, ``np.copyto(x, v)`` (``d["w"].fill(v)``: into an
object read by constant keys), ``np.add.at(x, i, v)``,
``np.fill_diagonal(x, v)`` and ``x.sort()`` as the item assignments they are; chained targets (``y[0] =
y[-1] = v``) one by one; a write through an item, ``x[i][j] = v``, as ``x[i, j] = v`` (the same
write where ``x`` is an array and ``i`` an int: ``x[i]`` is a view of ``x``, checked when
normalizing). ``items.Items`` normalizes what this makes."""

import ast
import copy

from .. import ir, runtime
from .syntax import index_expression, is_keyed_place, is_trivial


#: the attribute of an ``x = with_item(x, index, v)`` desugared from ``x[index] = v``: the
#: user's statement
ITEM = "_adcompile_item"
#: the name the desugared call calls (not an identifier: never a user's name)
WITH_ITEM = "$with_item"
#: the attribute of a desugared ``x.fill(v)``, ``np.copyto(x, v)`` or ``np.add.at(x, i, v)``
#: that keeps the call
FILLING = "_adcompile_filling"
#: the attribute of an ``x = $with_item(x, (i, j), v)`` desugared from ``x[i][j] = v``: the
#: index parts that must be ints for the two to be the same write (``Items.item_statement``)
CHAINED = "_adcompile_chained"
#: the attribute of the ``def``: {name of a value read first: the expression the user wrote}
SPELLINGS = "_adcompile_spellings"
#: ufunc name -> the name its desugared ``.at`` calls (Scope.known: the runtime helper)
AT_UFUNCS = {"add": "$added_at", "subtract": "$subtracted_at"}
#: those names -> the helpers
AT_HELPERS = {"$added_at": runtime.added_at, "$subtracted_at": runtime.subtracted_at}


def desugar_items(fn):
    """Rewrite, in the ``def`` ``fn`` (in place), each ``x[index] = v`` and ``x[index] op=
    v`` on a name ``x`` as ``x = $with_item(x, index, v)`` (``v``: ``x[index] op v``), the
    user's statement kept on it (``ITEM``): every analysis of names then sees that ``x``
    changes there. Normalizing it (``Items.item_statement``) either differentiates it or,
    where nothing in it is differentiated, keeps the user's statement as written. An index
    that is not a plain expression is first bound to a name of its own, read once as
    Python reads it."""
    taken = ir.names_mentioned([fn])
    counter = iter(range(1, 1 << 30))

    def fresh(kind="index"):
        while True:
            name = f"_{kind}{next(counter)}"
            if name not in taken:
                taken.add(name)
                return name

    def rewrite(stmts):
        out = []
        for s in stmts:
            for field in ("body", "orelse"):
                if isinstance(getattr(s, field, None), list):
                    setattr(s, field, rewrite(getattr(s, field)))
            split = _split(s, fresh)
            if split is not None:
                spelled = vars(fn).setdefault(SPELLINGS, {})
                for part in split:
                    setattr(part, ir.SPLIT_FROM, s)
                    if isinstance(part.value, ast.Name) and part.value.id in spelled:
                        continue
                    spelled.update({t.id: ast.unparse(part.value) for t in part.targets
                                    if isinstance(t, ast.Name)})
                out.extend(rewrite(split))
                continue
            # x.fill(v), np.copyto(x, v): x[...] = v (d["w"].fill(v): d["w"][...] = v)
            s = _filled(s) or s
            target, chain = _item_target(s)
            if not (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)):
                out.append(s)
                continue
            index = target.slice
            if isinstance(s, ast.AugAssign) and not is_trivial(index):
                name = fresh()
                out.append(ast.copy_location(ast.Assign(   # (x[1, k + 1:]: slice(k + 1, None))
                    targets=[ast.Name(id=name, ctx=ast.Store())], value=index_expression(index)),
                    s))
                index = ast.Name(id=name, ctx=ast.Load())
            out.append(_desugared(s, target.value.id, index))
            if chain is not None:
                setattr(out[-1], CHAINED, chain[2])
        return out

    fn.body = rewrite(fn.body)
    return fn


def spellings(fn):
    """What the user wrote for each name ``desugar_items`` gave a value read first
    (``_value1``: ``y[1]`` in ``y[0], y[1] = y[1], y[0]``), for messages."""
    return getattr(fn, SPELLINGS, {})


def _split(s, fresh):
    """The assignments a chained or tuple assignment ``s`` with items among its targets
    stands for, as Python runs it: the value(s) first, into names of their own
    (``fresh("value")``), then each target from the left (``y[0] = y[-1] = v``; ``y[0],
    y[1] = y[1], y[0]``); None for another statement."""
    if isinstance(s, ast.Assign) and len(s.targets) > 1 and any(
            isinstance(t, ast.Subscript) for t in s.targets):
        values, targets = [s.value], s.targets
        names = [fresh("value")]
        reads = names * len(targets)   # (one value, every target)
    else:
        pairs = _unpacked_items(s)
        if pairs is None:
            return None
        targets, values = [t for t, _ in pairs], [v for _, v in pairs]
        names = reads = [fresh("value") for _ in pairs]
    return [ast.copy_location(ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())],
                                         value=value), s)
            for name, value in zip(names, values)] + [
        ast.copy_location(ast.Assign(targets=[target], value=ast.Name(id=name, ctx=ast.Load())),
                          s) for name, target in zip(reads, targets)]


def _item_target(s):
    """(the item ``s`` assigns into or None, the ``_chain`` of its target or None): for
    ``x[i][j] = v``, ``x[(i, j)]`` (the same write if ``i`` is an int: items.py)."""
    target = s.targets[0] if isinstance(s, ast.Assign) and len(s.targets) == 1 \
        else s.target if isinstance(s, ast.AugAssign) else None
    chain = _chain(target)
    if chain is not None:
        target = ast.copy_location(ast.Subscript(value=chain[0], slice=chain[1],
                                                 ctx=ast.Store()), target)
    return target, chain


def _chain(target):
    """(x, index, ints) for the target ``x[i][j]`` (or ``x[i][j][k]``, ...) of a name ``x``
    whose outer indexes could be ints and whose last is ints, slices or a tuple of those:
    ``index`` is the tuple ``(i, j)``, the one index of the same write where ``x`` is an
    array and each of ``ints`` (the parts that are not slices or constants) an int:
    ``x[i]`` is then a view of ``x`` without its first axis, and ``x[i][j]`` its item ``j``.
    None for another target (``d["W"][0]``, ``x[1:][0]``: NumPy's view ``x[1:]`` has other
    items than ``x``)."""
    parts = []
    while isinstance(target, ast.Subscript):
        parts.append(target.slice)
        target = target.value
    if len(parts) < 2 or not isinstance(target, ast.Name):
        return None
    last, outer = parts[0], parts[:0:-1]
    pieces = last.elts if isinstance(last, ast.Tuple) else [last]
    if not all(_maybe_int(p) for p in outer) or not all(
            _maybe_int(p) or isinstance(p, ast.Slice)
            or isinstance(p, ast.Constant) and p.value in (None, Ellipsis) for p in pieces):
        return None
    ints = [p for p in outer + pieces if _maybe_int(p) and not isinstance(p, ast.Constant)]
    index = ast.Tuple(elts=[copy.deepcopy(p) for p in outer + pieces], ctx=ast.Load())
    return ast.Name(id=target.id, ctx=ast.Load()), index, ints


def _maybe_int(e):
    """Whether the index ``e`` could be an int (normalizing tells whether it is one): an int
    constant, a name, arithmetic on those, ``len(...)``."""
    if isinstance(e, ast.Constant):
        return type(e.value) is int
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, (ast.USub, ast.UAdd)):
        return _maybe_int(e.operand)
    if isinstance(e, ast.BinOp) and isinstance(e.op, INT_OPERATORS):
        return _maybe_int(e.left) and _maybe_int(e.right)
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id in ("len", "int"):
        return len(e.args) == 1 and not e.keywords
    return isinstance(e, ast.Name)


#: the operators that give an int from ints
INT_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)


def _unpacked_items(s):
    """(target, value) pairs of ``s`` where it assigns a display of values to a tuple of
    targets one of which is an item (``y[0], y[1] = y[1], y[0]``; ``a, x[i] = u, v``), the
    same number of each and none starred; else None. (Python evaluates the values, then
    assigns the targets from the left: a value that is a view of what an earlier target
    changes is read after that change, as NumPy does.)"""
    if not (isinstance(s, ast.Assign) and len(s.targets) == 1
            and isinstance(s.targets[0], (ast.Tuple, ast.List))
            and isinstance(s.value, (ast.Tuple, ast.List))):
        return None
    targets, values = s.targets[0].elts, s.value.elts
    if len(targets) != len(values) or any(isinstance(e, ast.Starred) for e in targets + values) \
            or not any(isinstance(t, ast.Subscript) for t in targets):
        return None
    return list(zip(targets, values))


def _filled(s):
    """``x[...] = v`` for the statement ``x.fill(v)`` or ``np.copyto(x, v)`` (``x`` a name,
    or an object read from one by constant keys, ``d["w"]``; no keyword), the statement
    kept on it (``FILLING``), else None. Which object ``x`` is, and that ``np.copyto`` is
    NumPy's, is known only when normalizing (``Items.item_statement``,
    ``Items.filled_place``)."""
    call = s.value if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) else None
    if call is None or not isinstance(call.func, ast.Attribute) \
            or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    if call.func.attr == "sort" and len(call.args) <= 1 and isinstance(call.func.value, ast.Name) \
            and all(k.arg is not None for k in call.keywords):
        # x.sort(): x[...] = np.sort(x) (the value is made when normalizing: Items.sorted_value)
        name, value = call.func.value, ast.Name(id=call.func.value.id, ctx=ast.Load())
    elif call.keywords:
        return None
    elif call.func.attr == "fill" and len(call.args) == 1 and _array_place(call.func.value):
        name, value = call.func.value, call.args[0]
    elif call.func.attr == "copyto" and len(call.args) == 2 and _array_place(call.args[0]):
        name, value = call.args
    elif call.func.attr == "at" and isinstance(call.func.value, ast.Attribute) \
            and call.func.value.attr in AT_UFUNCS and len(call.args) == 3 \
            and isinstance(call.args[0], ast.Name):
        # np.add.at(x, index, v): x[...] = added_at(x, index, v)
        name = call.args[0]
        value = ast.copy_location(ast.Call(
            func=ast.Name(id=AT_UFUNCS[call.func.value.attr], ctx=ast.Load()),
            args=[ast.Name(id=name.id, ctx=ast.Load()), *call.args[1:]], keywords=[]), call)
    elif call.func.attr == "fill_diagonal" and len(call.args) == 2 \
            and isinstance(call.args[0], ast.Name):
        # np.fill_diagonal(x, v): x[np.diag_indices(min(np.shape(x)), np.ndim(x))] = v, the
        # diagonal NumPy fills (of a matrix that is not square too; wrap= is refused)
        name, value = call.args
        numpy = call.func.value

        def of_numpy(attr, *args):
            return ast.Call(func=ast.Attribute(value=copy.deepcopy(numpy), attr=attr,
                                               ctx=ast.Load()), args=list(args), keywords=[])

        x = ast.Name(id=name.id, ctx=ast.Load())
        index = of_numpy("diag_indices", ast.Call(
            func=ast.Name(id="min", ctx=ast.Load()), args=[of_numpy("shape", x)], keywords=[]),
            of_numpy("ndim", copy.deepcopy(x)))
        place = ast.Subscript(value=copy.deepcopy(x), slice=index, ctx=ast.Store())
    else:
        return None
    if call.func.attr != "fill_diagonal":
        read = ast.Name(id=name.id, ctx=ast.Load()) if isinstance(name, ast.Name) \
            else _loaded(name)
        place = ast.Subscript(value=read, slice=ast.Constant(Ellipsis), ctx=ast.Store())
    filled = ast.fix_missing_locations(ast.copy_location(ast.Assign(targets=[place],
                                                                    value=value), s))
    setattr(filled, FILLING, s)
    return filled


def _array_place(e):
    """Whether ``e`` is a name or an object read from one by constant keys (``d["w"]``,
    ``box.a``, ``m[0]``), which ``e[...] = v`` writes into."""
    return isinstance(e, ast.Name) or is_keyed_place(e)


def _loaded(e):
    """A copy of the expression ``e`` that reads it."""
    e = copy.deepcopy(e)
    for node in ast.walk(e):
        if hasattr(node, "ctx"):
            node.ctx = ast.Load()
    return e


def _desugared(s, name, index):
    """``name = $with_item(name, index, value)`` for the user's statement ``s`` (the call
    of ``x.fill(v)`` and the like kept on it: ``FILLING``)."""
    value = s.value
    if isinstance(s, ast.AugAssign):
        place = ast.Subscript(value=ast.Name(id=name, ctx=ast.Load()), slice=index,
                              ctx=ast.Load())
        value = ast.copy_location(ast.BinOp(left=place, op=s.op, right=s.value), s)
    call = ast.Call(func=ast.Name(id=WITH_ITEM, ctx=ast.Load()),
                    args=[ast.Name(id=name, ctx=ast.Load()), index, value], keywords=[])
    new = ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())],
                     value=ast.copy_location(call, s))
    ast.copy_location(new, s)
    setattr(new, ITEM, s)
    if getattr(s, FILLING, None) is not None:
        setattr(new, FILLING, getattr(s, FILLING))
    return new
