"""Structured jumps: every ``break``, ``continue`` and ``return`` ends its path.

The reverse sweep replays control flow backwards, which is simple when the
statements after a jump are only reached when the jump is not taken. This
pass rewrites the user's function (as an AST, before normalization) so that:

- a loop's ``else`` clause follows the loop, run where no ``break`` of the loop set a
  flag (``for ... else`` as written to search);
- statements after an ``if`` one of whose branches jumps move into the
  branches that fall through (``if c: break`` + ``rest`` becomes
  ``if c: break`` / ``else: rest``);
- a ``return`` inside a loop sets the result and a flag and breaks out of
  each enclosing loop; after the loop, ``if flag: return``;
- when the function returns from more than one place, each ``return e``
  becomes ``result = e`` and the function ends with one ``return result`` (when
  every return gives a tuple display of k items, ``result1, ..., resultk = e``
  and ``return result1, ..., resultk``: a tuple of values stays k values).
"""

import ast
import copy

from ..ir import child_nodes
from ..ir.naming import fresh_name, names_in


class _Returned(ast.stmt):
    """Marks the end of a path that returned (already assigned the result)."""

    _fields = ()


def lower_function(node, error):
    """Rewrite ``node`` (an ast.FunctionDef, changed in place) so that it has one return at
    the end and every jump is the last statement of its path. ``error(node, msg)`` builds
    the TransformError to raise."""
    returns = [n for n in _walk_body(node.body) if isinstance(n, ast.Return)]
    node.body = _without_loop_else(node.body, names_in(node))
    body = _strip_docstring(node.body)
    _check_reachable(body, error)
    simple = len(returns) == 1 and body and body[-1] is returns[0]
    if simple or not returns:
        node.body = _absorb(body, loop_level=False)
        return node
    for r in returns:
        if r.value is None:
            raise error(r, "return without a value: nothing to differentiate")
    taken = names_in(node)
    k = _tuple_length(returns, error)
    result = fresh_name("result", taken) if k is None \
        else [fresh_name(f"result{i + 1}", taken) for i in range(k)]
    flag = fresh_name("returned", taken)
    sites = []
    body = _replace_returns(body, result, flag, in_loop=False, sites=sites, counter=[0])
    if any(isinstance(n, ast.Name) and n.id == flag for b in body for n in ast.walk(b)):
        body.insert(0, _assign(flag, ast.Constant(0), node.body[0]))
    body = _absorb(body, loop_level=False)
    body = _drop_markers(body)
    ret = ast.Return(value=_result(result, ast.Load()))
    ast.copy_location(ret, returns[-1])
    node.body = body + [ret]
    return node


def _without_loop_else(stmts, taken):
    """``stmts`` with each loop's ``else`` clause (run when the loop ends without a break)
    after the loop: under ``if broke == 0:``, each ``break`` of the loop setting ``broke =
    1`` first (no flag when the loop has no break). ``taken``: the names in use, grown."""
    out = []
    for s in stmts:
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt) \
                    and not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                setattr(s, field, _without_loop_else(inner, taken))
        if not isinstance(s, (ast.For, ast.While)) or not s.orelse:
            out.append(s)
            continue
        rest, s.orelse = s.orelse, []
        if not any(True for _ in _own_breaks(s.body)):
            out.extend([s] + rest)
            continue
        flag = fresh_name("broke", taken)
        s.body = _flagged_breaks(s.body, flag)
        test = ast.Compare(left=ast.Name(id=flag, ctx=ast.Load()), ops=[ast.Eq()],
                           comparators=[ast.Constant(0)])
        out.extend([_assign(flag, ast.Constant(0), s), s,
                    ast.copy_location(ast.If(test=test, body=rest, orelse=[]), rest[0])])
    return out


def _own_breaks(stmts):
    """The ``break`` statements of ``stmts`` that end the loop whose body they are (not
    those of a loop or function nested in it)."""
    for s in stmts:
        if isinstance(s, ast.Break):
            yield s
        elif isinstance(s, (ast.If, ast.With, ast.Try)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                for inner in getattr(s, field, []):
                    yield from _own_breaks(inner.body if isinstance(inner, ast.ExceptHandler)
                                           else [inner])


def _flagged_breaks(stmts, flag):
    """``stmts`` with each of their own breaks (see _own_breaks) preceded by ``flag = 1``."""
    out = []
    for s in stmts:
        if isinstance(s, ast.Break):
            out.extend([_assign(flag, ast.Constant(1), s), s])
            continue
        if isinstance(s, (ast.If, ast.With, ast.Try)):
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(s, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    setattr(s, field, _flagged_breaks(inner, flag))
        out.append(s)
    return out


def _check_reachable(stmts, error):
    """Statements after a return, break or continue in the same block are an error: they
    never run, and are most likely a mistake."""
    for i, s in enumerate(stmts):
        if isinstance(s, (ast.Return, ast.Break, ast.Continue)) and i + 1 < len(stmts):
            what = {ast.Return: "return", ast.Break: "break", ast.Continue: "continue"}[type(s)]
            raise error(stmts[i + 1], f"unreachable code after {what}")
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and not isinstance(s, (ast.FunctionDef, ast.ClassDef)):
                _check_reachable(inner, error)


def _strip_docstring(body):
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return list(body[1:])
    return list(body)


def _walk_body(stmts):
    """Every node of ``stmts``, not descending into nested function or class definitions."""
    todo = list(stmts)
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        todo.extend(child_nodes(node))


def _tuple_length(returns, error):
    """k when every return gives a tuple display of k items, None when none gives a tuple
    or list display; an error for a mix."""
    shown = [isinstance(r.value, (ast.Tuple, ast.List)) for r in returns]
    if not any(shown):
        return None
    lengths = {len(r.value.elts) for r in returns if isinstance(r.value, ast.Tuple)
               and not any(isinstance(e, ast.Starred) for e in r.value.elts)}
    if not all(isinstance(r.value, ast.Tuple) for r in returns) or len(lengths) != 1 \
            or not all(not any(isinstance(e, ast.Starred) for e in r.value.elts)
                       for r in returns):
        where = next(r for r, s in zip(returns, shown) if s)
        raise error(where, "returning a tuple from more than one place needs every return "
                           "to give a tuple of the same length, written out (return a, b); "
                           "assign the parts to variables and return them once at the end")
    return lengths.pop()


def _result(result, ctx):
    """The result variable (a name, or a tuple of names) as an expression."""
    if isinstance(result, str):
        return ast.Name(id=result, ctx=ctx)
    return ast.Tuple(elts=[ast.Name(id=r, ctx=ctx) for r in result], ctx=ctx)


def _assign(name, value, where):
    node = ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=value)
    return ast.copy_location(node, where)


def _return_break(where):
    """The ``break`` a return inside a loop becomes (marked ``from_return``, for messages)."""
    node = ast.copy_location(ast.Break(), where)
    node.from_return = True
    return node


def _replace_returns(stmts, result, flag, in_loop, sites, counter):
    """Returns outside loops assign the result; a return inside a loop records which return
    it was (``flag = k``) and breaks; after the outermost loop, ``if flag == k: return e_k``
    evaluates the returned expression, with the values the variables had at the return
    (nothing runs between the break and there)."""
    out = []
    for s in stmts:
        if isinstance(s, ast.Return):
            if in_loop:
                # numbered across the whole function, so that nested loops never share one
                counter[0] += 1
                number = counter[0]
                sites.append((number, s))
                out.append(_assign(flag, ast.Constant(number), s))
                out.append(_return_break(s))
            else:
                out.append(ast.copy_location(ast.Assign(targets=[_result(result, ast.Store())],
                                                        value=s.value), s))
                out.append(ast.copy_location(_Returned(), s))
            return out  # the rest of this block is unreachable
        if isinstance(s, ast.If):
            s.body = _replace_returns(s.body, result, flag, in_loop, sites, counter)
            s.orelse = _replace_returns(s.orelse, result, flag, in_loop, sites, counter)
        elif isinstance(s, (ast.For, ast.While)):
            inner = []
            s.body = _replace_returns(s.body, result, flag, True, inner, counter)
            out.append(s)
            if inner:
                sites.extend(inner) if in_loop else None
                if in_loop:  # leave the enclosing loop too
                    check = ast.If(test=ast.Name(id=flag, ctx=ast.Load()),
                                   body=[_return_break(s)], orelse=[])
                    out.append(ast.copy_location(check, s))
                else:
                    for k, site in inner:
                        check = ast.If(test=ast.Compare(
                            left=ast.Name(id=flag, ctx=ast.Load()), ops=[ast.Eq()],
                            comparators=[ast.Constant(k)]),
                            body=[ast.copy_location(ast.Return(value=site.value), site)],
                            orelse=[])
                        out.extend(_replace_returns([ast.copy_location(check, site)], result,
                                                    flag, False, sites, counter))
            continue
        out.append(s)
    return out


def _is_jump(s):
    return isinstance(s, (ast.Break, ast.Continue, _Returned))


def _always_jumps(stmts):
    if not stmts:
        return False
    last = stmts[-1]
    if _is_jump(last):
        return True
    if isinstance(last, ast.If):
        return _always_jumps(last.body) and _always_jumps(last.orelse)
    return False


def _may_jump(s, loop_level):
    """Whether statement ``s`` may jump out of its block (a break/continue of the current
    loop, or a return)."""
    if _is_jump(s):
        return True
    if isinstance(s, ast.If):
        return any(_may_jump(c, loop_level) for c in s.body + s.orelse)
    if isinstance(s, (ast.For, ast.While)):
        return any(isinstance(n, _Returned) for n in _walk_body(s.body))
    return False


def _absorb(stmts, loop_level):
    """Move the statements after a possibly-jumping ``if`` into its falling-through branches."""
    out = []
    for i, s in enumerate(stmts):
        if isinstance(s, (ast.For, ast.While)):
            s.body = _absorb(s.body, loop_level=True)
        if isinstance(s, ast.If):
            s.body = _absorb(s.body, loop_level)
            s.orelse = _absorb(s.orelse, loop_level)
        out.append(s)
        if _is_jump(s):
            return out
        rest = stmts[i + 1:]
        if isinstance(s, ast.If) and rest and _may_jump(s, loop_level):
            if not _always_jumps(s.body):
                s.body = _absorb(s.body + copy.deepcopy(rest), loop_level)
            if not _always_jumps(s.orelse):
                s.orelse = _absorb(s.orelse + copy.deepcopy(rest), loop_level)
            return out
    return out


def _drop_markers(stmts):
    out = []
    for s in stmts:
        if isinstance(s, _Returned):
            continue
        if isinstance(s, ast.If):
            s.body = _drop_markers(s.body) or [ast.copy_location(ast.Pass(), s)]
            s.orelse = _drop_markers(s.orelse)
        elif isinstance(s, (ast.For, ast.While)):
            s.body = _drop_markers(s.body)
        out.append(s)
    return out
