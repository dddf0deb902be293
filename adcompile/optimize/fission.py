"""Loop fission: the work of a loop that does not depend on earlier steps, done for all
steps at once.

A recurrence such as an RNN (``h = tanh(W @ h + U @ xs[t] + b)``, a loss term per step)
has, in each step of its forward and of its reversed loop, work that needs only that
step's saved values and values fixed for the whole loop: ``U @ xs[t]``, the residual
``h - ys[t]``, the tanh derivative ``1 - h * h``. Done one step at a time it costs a
NumPy call per step; on arrays that hold every step (steps first) it is one call. Only
the recurrence itself (``h_bar = W.T @ (h_bar + ...) * ...``) stays in the loops.

Three rewrites of the generated code of a loop outside other loops, each keeping
the values the code computes (up to the order of floating-point sums):

- ``hoist_inputs``: in a forward ``for t in range(...)`` loop, an expression of values the
  loop does not change and rows ``x[t]`` of them (``U @ xs[t]``) is computed for all
  steps before the loop (``xs[range(...)] @ U.T``) and the loop walks its rows.
- ``split_reversed``, in a reversed loop whose forward loop saved one list per value
  (the per-step lists of the tape (``tape.lower``)): what a step computes from saved values alone, or
  recomputes from them (``t1 = h_2 - ys[t]`` need not be saved when ``h_2`` is), is
  computed from the lists stacked into arrays before the loop; the loop walks its rows.
  Stacking needs every step's value to have one shape and dtype, which the dimensions
  alone do not promise (a carried value may be broadcast up in the first steps), so this
  runs under ``if <stacked> is not None:``, with the step-by-step loop as the ``else``.
- in the same reversed loop, sums over the steps (``b_bar += t3_bar``,
  ``W_outers.append((t3_bar, h))``) collect the step's value and add once after the loop.

Only expressions of known dimensions are batched: ``+ - * / **``, unary minus, NumPy
ufuncs and ``@`` of a matrix and a vector, where every per-step operand has the same
number of dimensions and no other operand has more.
"""

import ast
import copy

import numpy as np

from .. import ir

_ELEMENTWISE = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)


class _Env:
    """What a loop's expressions may be batched over."""

    def __init__(self, index, steps_expr, changed, ndims, np_name, steps_call=None):
        self.index = index              # the loop's step index (a name) or None
        self.steps_expr = steps_expr    # range(...) or a name for it: the steps
        self.steps_call = steps_call if steps_call is not None else steps_expr  # range(...)
        self.changed = changed          # names the loop assigns or may change in place
        self.ndims = ndims              # name -> ndim (None: unknown)
        self.np_name = np_name
        self.per_step = {}              # name -> (ndim per step, name of its steps array)


def _ufunc(call, env):
    f = call.func
    if not (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
            and f.value.id == env.np_name and not call.keywords):
        return False
    u = getattr(np, f.attr, None)   # (not np.matmul and the like: signature "(n,k),(k,m)...")
    return isinstance(u, np.ufunc) and u.signature is None and u.nout == 1 \
        and u.nin == len(call.args)


def batch(e, env):
    """``(kind, ndim, batched)`` for an expression of one step: kind "step" (``batched``
    holds every step, steps first; ndim is per step) or "fixed" (the same every step);
    None if it cannot be batched."""
    if isinstance(e, ast.Constant) and type(e.value) in (int, float):
        return "fixed", 0, e
    if isinstance(e, ast.Name):
        if e.id in env.per_step:
            d, name = env.per_step[e.id]
            return "step", d, ir.load(name)
        n = env.ndims.get(e.id)
        if e.id in env.changed or n is None:
            return None
        return "fixed", n, e
    if isinstance(e, ast.Subscript) and env.index and isinstance(e.slice, ast.Name) \
            and e.slice.id == env.index and isinstance(e.value, ast.Name):
        n = env.ndims.get(e.value.id)
        if e.value.id in env.changed or e.value.id in env.per_step or not n:
            return None
        return "step", n - 1, _rows(e.value.id, env.steps_expr, env.steps_call)
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, (ast.USub, ast.UAdd)):
        r = batch(e.operand, env)
        return r and (r[0], r[1], ast.UnaryOp(op=e.op, operand=r[2]))
    if isinstance(e, ast.BinOp) and isinstance(e.op, _ELEMENTWISE):
        return _elementwise([e.left, e.right], env,
                            lambda a: ast.BinOp(left=a[0], op=e.op, right=a[1]),
                            may_raise=isinstance(e.op, (ast.Div, ast.Pow)))
    if isinstance(e, ast.Call) and _ufunc(e, env):
        return _elementwise(e.args, env, lambda a: ast.Call(func=e.func, args=a, keywords=[]))
    if isinstance(e, ast.BinOp) and isinstance(e.op, ast.MatMult):
        return _matmul(e, env)
    return None


def _rows(name, steps, call):
    """``x[t]`` for every ``t`` of ``steps`` (``range(...)``, or a name for ``call``, the
    range): ``x[steps]``, or ``x`` itself for ``range(x.shape[0])`` and ``range(len(x))``."""
    if len(call.args) == 1 and not call.keywords:
        n = call.args[0]
        whole = ast.dump(ast.parse(f"{name}.shape[0]", mode="eval").body)
        if ast.dump(n) == whole or isinstance(n, ast.Call) and isinstance(n.func, ast.Name) \
                and n.func.id == "len" and len(n.args) == 1 \
                and isinstance(n.args[0], ast.Name) and n.args[0].id == name:
            return ir.load(name)
    return ast.Subscript(value=ir.load(name), slice=copy.deepcopy(steps), ctx=ast.Load())


def _transposes(stmts, changed, ndims, namer):
    """``W.T`` of a matrix the loop does not change, made once before the loop: returns
    the statements that make them (the loop's statements read the new names)."""
    made = {}
    for s in stmts:
        for node in ast.walk(s):
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


def _reads_free(stmts, name):
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
                    or _reads_free(s.body, name) or _reads_free(s.orelse, name):
                return True
            continue
        if name in ir.names_read(s):
            return True
    return False


def _elementwise(operands, env, build, may_raise=False):
    parts = [batch(o, env) for o in operands]
    if None in parts:
        return None
    per_step = {p[1] for p in parts if p[0] == "step"}
    if not per_step:
        if may_raise:   # 1 / y on numbers raises for y = 0, before a loop that has no steps
            return None
        return "fixed", max(p[1] for p in parts), build([p[2] for p in parts])
    if len(per_step) > 1:
        return None   # (a steps axis in front would not line up with the other operands')
    d = per_step.pop()
    if any(p[1] > d for p in parts):
        return None
    return "step", d, build([p[2] for p in parts])


def _matmul(e, env):
    a, b = batch(e.left, env), batch(e.right, env)
    if a is None or b is None:
        return None
    if a[0] == b[0] == "fixed":
        if a[1] == 0 or b[1] == 0:
            return None
        return "fixed", a[1] + b[1] - 2 if max(a[1], b[1]) <= 2 else max(a[1], b[1]), e
    if a[0] == b[0] == "step":
        return None
    if b[0] == "step" and a[1] == 2 and b[1] == 1:     # M @ v[t]: rows V @ M.T
        transposed = ast.Attribute(value=a[2], attr="T", ctx=ast.Load())
        return "step", 1, ast.BinOp(left=b[2], op=ast.MatMult(), right=transposed)
    if b[0] == "step" and a[1] == 2 and b[1] == 2:     # M @ X[t]
        return "step", 2, ast.BinOp(left=a[2], op=ast.MatMult(), right=b[2])
    if a[0] == "step" and a[1] in (1, 2) and b[1] == 2:  # v[t] @ M
        return "step", a[1], ast.BinOp(left=a[2], op=ast.MatMult(), right=b[2])
    return None


def _is_operation(e):
    return isinstance(e, (ast.BinOp, ast.UnaryOp, ast.Call))


def _extract(e, env, found, namer):
    """``e`` with each largest per-step subexpression that is an operation replaced by a
    new name; appends ``(name, batched expression, ndim)`` to ``found``."""
    if _is_operation(e):
        r = batch(e, env)
        if r is not None and r[0] == "step":
            name = namer.temp()
            found.append((name, r[2], r[1]))
            return ir.load(name)
    for field, value in ast.iter_fields(e):
        if isinstance(value, ast.expr):
            setattr(e, field, _extract(value, env, found, namer))
        elif isinstance(value, list):
            setattr(e, field, [_extract(v, env, found, namer) if isinstance(v, ast.expr) else v
                               for v in value])
    return e


def _terms(e):
    """The terms of a sum ``a + b + c``."""
    if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Add):
        return _terms(e.left) + _terms(e.right)
    return [e]


def _regroup(e, env):
    """``W @ h + U @ xs[t] + b`` as ``W @ h + (U @ xs[t] + b)``: the terms that can be
    computed for all steps at once added first, so that their sum is computed so too.
    (Floating-point addition is not associative: the sum may differ in its last bits.)"""
    if not isinstance(e, ast.expr):
        return e
    for field, value in ast.iter_fields(e):
        if isinstance(value, ast.expr):
            setattr(e, field, _regroup(value, env))
        elif isinstance(value, list):
            setattr(e, field, [_regroup(v, env) for v in value])
    terms = _terms(e)
    kinds = [batch(t, env) for t in terms]
    batched = [t for t, k in zip(terms, kinds) if k is not None]
    if len(batched) < 2 or len(batched) == len(terms) \
            or not any(k is not None and k[0] == "step" for k in kinds):
        return e
    rest = [t for t, k in zip(terms, kinds) if k is None]

    def add(parts):
        out = parts[0]
        for p in parts[1:]:
            out = ast.BinOp(left=out, op=ast.Add(), right=p)
        return out

    group = add(batched)
    together = batch(group, env)
    return add(rest + [group]) if together is not None and together[0] == "step" else e


_PURE_BUILTINS = {"range", "len", "reversed", "zip", "enumerate", "float", "int", "bool",
                  "abs", "min", "max", "sum", "isinstance", "print"}


def _changed(stmts, aliases):
    """Names a block assigns, or may change in place (``x[i] = ...``, ``x.append(...)``,
    ``out=x``, ``np.copyto(x, ...)``, ``helper(x)`` for a function not known to be pure)."""
    np_name, pure = aliases["np"], set(aliases.values()) | _PURE_BUILTINS
    found = set()
    for s in stmts:
        found |= ir.changed_in_place(s)
        for node in ast.walk(s):
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
    return any(isinstance(n, (ast.Break, ast.Continue, ast.Return)) for n in ast.walk(loop))


def _range_call(e, code):
    """The ``range(...)`` call ``e`` is, or that the name ``e`` is assigned once in
    ``code`` (``t1 = range(len(xs))``); else None."""
    if isinstance(e, ast.Name):
        made = [s for s in code for n in ast.walk(s)
                if isinstance(n, ast.Name) and n.id == e.id and not isinstance(n.ctx, ast.Load)]
        if len(made) != 1 or not (isinstance(made[0], ast.Assign)
                                  and len(made[0].targets) == 1):
            return None
        e = made[0].value
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "range":
        return e
    return None


def _is_range_loop(loop, code):
    """A ``for`` loop over ``range`` (in ``code``, the forward sweep) with no jumps."""
    return isinstance(loop, ast.For) and isinstance(loop.target, ast.Name) \
        and _range_call(loop.iter, code) is not None and not loop.orelse \
        and not _has_jump(loop)


def _method(obj, name, *args):
    return ast.Call(func=ast.Attribute(value=ir.load(obj), attr=name, ctx=ast.Load()),
                    args=list(args), keywords=[])


def _walk_steps(targets, iterables, reverse):
    """``for a, b in zip(x, y)`` (or ``for a in x``), each walked backwards if ``reverse``."""
    if reverse:
        iterables = [ir.call("reversed", it) for it in iterables]
    if len(targets) == 1:
        return ir.store(targets[0]), iterables[0]
    target = ast.Tuple(elts=[ir.store(t) for t in targets], ctx=ast.Store())
    return target, ir.call("zip", *iterables)


# --- forward loops: rows of inputs -----------------------------------------------------------

def hoist_inputs(forward, ndims, aliases, namer, later=()):
    """Batch, before each top-level forward ``for`` loop over ``range``, the expressions of
    its body that read only values the loop does not change and their rows ``x[t]``.
    ``later``: the code that runs after the forward sweep (the loop index is dropped from
    a loop that no longer reads it, if nothing after reads it either)."""
    out = []
    for at, s in enumerate(forward):
        if _is_range_loop(s, forward):
            changed = _changed(s.body, aliases)
            index = None if s.target.id in changed else s.target.id   # (rows need t intact)
            env = _Env(index, s.iter, changed | {s.target.id}, ndims, aliases["np"],
                       _range_call(s.iter, forward))
            found, moved = [], []
            for i, stmt in enumerate(s.body):
                if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
                    continue
                target = stmt.targets[0]
                if isinstance(target, ast.Name) and _is_operation(stmt.value) \
                        and _count(s.body, target.id, stores=True) == 1 \
                        and not _count(s.body[:i], target.id):
                    r = batch(stmt.value, env)
                    if r is not None and r[0] == "step":   # the loop assigns it from the rows
                        found.append((target.id, r[2], r[1]))
                        moved.append(stmt)
                        continue
                stmt.value = _extract(_regroup(stmt.value, env), env, found, namer)
            s.body = [stmt for stmt in s.body if all(stmt is not m for m in moved)] or [ast.Pass()]
            if found:
                arrays = [namer.fresh(name + "s") for name, _, _ in found]
                out += [ir.assign(a, value) for a, (_, value, _) in zip(arrays, found)]
                index = s.target.id
                targets, walks = [n for n, _, _ in found], [ir.load(a) for a in arrays]
                if _reads_free(s.body + forward[at + 1:] + list(later), index):
                    targets, walks = [index] + targets, [s.iter] + walks
                s.target, s.iter = _walk_steps(targets, walks, False)
            out += _transposes(s.body, env.changed, ndims, namer)
        out.append(s)
    return out


# --- reversed loops: saved values, sums over steps ------------------------------------------

def _count(stmts, name, stores=False):
    return sum(isinstance(n, ast.Name) and n.id == name
               and (not stores or not isinstance(n.ctx, ast.Load))
               for s in stmts for n in ast.walk(s))


def _step_value(e, index):
    """A per-step operand of a sum over steps: a name or a row ``x[t]``."""
    return isinstance(e, ast.Name) or isinstance(e, ast.Subscript) \
        and isinstance(e.value, ast.Name) and isinstance(e.slice, ast.Name) \
        and e.slice.id == index


def split_reversed(forward, backward, loops, ndims, aliases, namer, live):
    """Fission of each reversed loop the per-step lists of the tape (``tape.lower``) made. ``loops``: (forward
    loop, reversed loop, saved names, their lists); ``live``: names read after the backward
    code (gradients, returned values)."""
    for loop, rloop, names, lists in loops:
        if rloop not in backward or not _is_range_loop(loop, forward) \
                or not all(_plain(s, rloop.body, names) for s in rloop.body):
            continue
        at = backward.index(rloop)
        split = _Split(loop, rloop, names, lists, ndims, aliases, namer,
                       forward, backward[:at], backward[at + 1:], live)
        new = split.run()
        if new is not None:
            before, replacement, after = new
            backward[:] = before + replacement + after
        used = ir.reads(forward + backward) | ir.assigns(forward + backward)
        namer.taken -= set(split.stacked.values()) - used   # names reserved, not used
    return forward, backward


def _plain(s, body, saved):
    """Whether a statement of a reversed loop is one fission handles: an assignment, an
    in-place sum into a variable the loop only adds to, or an append. (A value of one step
    may become a row of an array of all steps, so nothing may change one in place.)"""
    if isinstance(s, ast.Assign):
        return len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
    if isinstance(s, ast.AugAssign):
        return isinstance(s.target, ast.Name) and s.target.id not in saved \
            and _count(body, s.target.id, stores=True) == 1
    return isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) \
        and isinstance(s.value.func, ast.Attribute) and s.value.func.attr == "append" \
        and not s.value.keywords


class _Split:
    def __init__(self, loop, rloop, names, lists, ndims, aliases, namer, forward, before,
                 after, live):
        self.loop, self.rloop, self.names = loop, rloop, names
        self.list_of = dict(zip(names, lists))
        self.ndims = dict(ndims)
        self.aliases, self.namer, self.np = aliases, namer, aliases["np"]
        self.forward, self.before, self.after = forward, before, after
        self.live = live | ir.reads(after)
        self.loop_var = loop.target.id
        # (it names rows only where the loops do not assign it)
        self.index = None if self.loop_var in _changed(loop.body + rloop.body, aliases) \
            else self.loop_var
        self.steps = loop.iter
        self.steps_call = _range_call(loop.iter, forward)
        self.stacked = {n: namer.fresh(n + "s") for n in names}   # a saved value, all steps
        self.arrays = {}          # a list collected in the loop -> its values as one array

    def run(self):
        body = self.rloop.body
        env = _Env(self.index, self.steps, _changed(body, self.aliases) | set(self.names)
                   | {self.loop_var}, self.ndims, self.np, self.steps_call)
        env.per_step = {n: (self.ndims[n], self.stacked[n]) for n in self.names
                        if self.ndims.get(n) is not None}
        remat = self.recomputed()
        pre = [ir.assign(self.stacked[n], value) for n, (value, _) in remat.items()]
        fast, slow = [], [copy.deepcopy(stmt) for _, stmt in remat.values()]
        sums = []          # (statement position, accumulator, operands, outer-sum list or None)
        for i, s in enumerate(body):
            found = self.sum_over_steps(s, body)
            if found is not None:
                sums.append((i,) + found)
                fast.append(i)
                slow.append(i)
                continue
            slow.append(s)
            target = s.targets[0].id if isinstance(s, ast.Assign) else None
            if target is not None and _count(body, target, stores=True) == 1 \
                    and target not in self.live and not _count(body[:i], target) \
                    and target not in ir.names_read(s.value):
                r = batch(s.value, env)
                if r is not None and r[0] == "step":
                    array = self.namer.fresh(target + "s")
                    env.per_step[target] = (r[1], array)
                    pre.append(ir.assign(array, r[2]))
                    continue
                if r is not None:        # the same in every step: computed once, before
                    pre.append(copy.deepcopy(s))
                    env.changed.discard(target)
                    self.ndims[target] = r[1]
                    continue
            found = []
            s = copy.deepcopy(s)
            if isinstance(s, (ast.Assign, ast.AugAssign)):
                s.value = _extract(s.value, env, found, self.namer)
            for name, value, d in found:
                array = self.namer.fresh(name + "s")
                env.per_step[name] = (d, array)
                pre.append(ir.assign(array, value))
            fast.append(s)
        if not pre and not sums:
            return None
        stacked = [n for n in self.names if n not in remat and self.stacked[n] in ir.reads(pre)]
        collected = {}
        fast_loop, fast_post = self.finish(fast, sums, env, collected, batched=True,
                                           remat=remat, stacked=stacked)
        slow_env = _Env(self.index, self.steps, set(), self.ndims, self.np, self.steps_call)
        slow_loop, slow_post = self.finish(slow, sums, slow_env, collected, batched=False,
                                           remat=remat)
        outer_lists = {s[3] for s in sums if s[3]}
        before = [s for s in self.before if not (
            isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)
            and s.targets[0].id in outer_lists)]
        after = [s for s in self.after if not (
            isinstance(s, ast.AugAssign) and isinstance(s.value, ast.Call)
            and len(s.value.args) == 1 and isinstance(s.value.args[0], ast.Name)
            and s.value.args[0].id in outer_lists)]
        creations = [ir.assign(lst, ast.List(elts=[], ctx=ast.Load()))
                     for lst in collected.values()]
        if not pre:
            return before, creations + slow_loop + slow_post, after
        fast_code = pre + creations + _transposes(fast_loop, env.changed, self.ndims,
                                                  self.namer) + fast_loop + fast_post
        if not stacked:
            if remat:   # the saved lists recomputed are no longer needed
                self.drop_saves(remat)
            return before, fast_code, after
        self.drop_saves(remat)
        values = [self.stacked[n] for n in stacked]
        guard = ir.call(self.aliases["step_arrays"], *[ir.load(self.list_of[n]) for n in stacked])
        if len(values) == 1:
            head = [ir.assign(values[0], guard)]
        else:
            head = [ast.Assign(targets=[ast.Tuple(elts=[ir.store(v) for v in values],
                                                  ctx=ast.Store())], value=guard, lineno=0)]
        test = ast.Compare(left=ir.load(values[0]), ops=[ast.IsNot()],
                           comparators=[ast.Constant(None)])
        return before, head + [ast.If(test=test, body=fast_code,
                                      orelse=creations + slow_loop + slow_post)], after

    def recomputed(self):
        """Saved values that are cheaper recomputed for all steps from other saved values
        (``t1 = h_2 - ys[t]`` when ``h_2`` is saved): name -> (batched value, the forward
        statement to recompute it step by step)."""
        body = self.loop.body
        pushes = [i for i, s in enumerate(body) if isinstance(s, ast.Expr)
                  and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Attribute)
                  and isinstance(s.value.func.value, ast.Name)
                  and s.value.func.value.id in self.list_of.values()]
        if not pushes:
            return {}
        first_push = min(pushes)
        assigned_at = {}
        for i, s in enumerate(body):
            for n in _changed([s], self.aliases):
                assigned_at.setdefault(n, []).append(i)
        at = self.forward.index(self.loop)
        changed = (_changed(body, self.aliases) | _changed(self.forward[at + 1:], self.aliases)
                   | _changed(self.before, self.aliases) | _changed(self.rloop.body, self.aliases)
                   | {self.loop_var})
        found = {}
        more = True
        while more:    # (a value becomes worth recomputing when what read it is recomputed)
            more = False
            for i, s in enumerate(body[:first_push]):
                if not (isinstance(s, ast.Assign) and len(s.targets) == 1
                        and isinstance(s.targets[0], ast.Name)) or s.targets[0].id in found:
                    continue
                n = s.targets[0].id
                if n not in self.list_of or assigned_at.get(n) != [i] \
                        or _count(self.rloop.body, n, stores=True) \
                        or n in self.read_elsewhere([s] + [t for _, t in found.values()]):
                    continue   # (recomputing pays where the forward loop no longer computes it)
                fenv = _Env(self.index, self.steps, changed, self.ndims, self.np,
                            self.steps_call)
                # saved values that have, when s runs, the value the step saves
                fenv.per_step = {m: (self.ndims[m], self.stacked[m]) for m in self.names
                                 if m != n and self.ndims.get(m) is not None
                                 and all(p < i or p > first_push for p in assigned_at.get(m, []))}
                r = batch(s.value, fenv)
                if r is not None and r[0] == "step" and r[1] == self.ndims.get(n):
                    found[n] = (r[2], s)
                    more = True
        position = {id(s): i for i, s in enumerate(body)}
        return dict(sorted(found.items(), key=lambda item: position[id(item[1][1])]))

    def sum_over_steps(self, s, body):
        """``(accumulator, operands, outer-sum list)`` if ``s`` adds a per-step value to a
        sum over the steps: ``acc += u`` or ``X_outers.append((u, v))`` (with
        ``acc += outer_sum(X_outers)`` after the loop); else None."""
        i = body.index(s)

        def per_step(e):
            if isinstance(e, ast.Subscript):
                return _step_value(e, self.index) and not _count(body, e.value.id, stores=True) \
                    and e.value.id not in _changed(body, self.aliases)
            if not isinstance(e, ast.Name):
                return False
            if e.id in self.names:
                return not _count(body, e.id, stores=True)
            stores = [j for j, t in enumerate(body) if isinstance(t, ast.Assign)
                      and isinstance(t.targets[0], ast.Name) and t.targets[0].id == e.id]
            return len(stores) == 1 and stores[0] < i and _count(body, e.id, stores=True) == 1

        if isinstance(s, ast.AugAssign) and isinstance(s.op, ast.Add) \
                and _count(body, s.target.id) == 1 and s.target.id not in self.names \
                and _step_value(s.value, self.index) and per_step(s.value):
            return s.target.id, [s.value], None
        v = s.value if isinstance(s, ast.Expr) else None
        if not (isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute)
                and v.func.attr == "append" and isinstance(v.func.value, ast.Name)
                and len(v.args) == 1 and isinstance(v.args[0], ast.Tuple)
                and len(v.args[0].elts) == 2 and all(_step_value(e, self.index) and per_step(e)
                                                     for e in v.args[0].elts)):
            return None
        pairs = v.func.value.id
        if _count(body, pairs) != 1:
            return None
        made = [t for t in self.before if _count([t], pairs)]
        if len(made) != 1 or not (isinstance(made[0], ast.Assign)
                                  and isinstance(made[0].value, ast.List)
                                  and not made[0].value.elts):
            return None
        readers = [j for j, t in enumerate(self.after) if _count([t], pairs)]
        if len(readers) != 1:
            return None
        use = self.after[readers[0]]
        if not (isinstance(use, ast.AugAssign) and isinstance(use.op, ast.Add)
                and isinstance(use.target, ast.Name) and isinstance(use.value, ast.Call)
                and isinstance(use.value.func, ast.Name)
                and use.value.func.id == self.aliases["outer_sum"]
                and len(use.value.args) == 1 and _count([use.value], pairs) == 1
                and not _count(self.after[:readers[0]], use.target.id)):
            return None
        return use.target.id, list(v.args[0].elts), pairs

    def finish(self, items, sums, env, collected, batched, remat=(), stacked=()):
        """One version of the reversed loop (``items``: its statements, with the positions
        of the sums over steps in place of theirs) and the sums after it."""
        seq = {}          # an operand (ast.dump) -> the expression of its values, all steps

        def steps_of(e):
            if isinstance(e, ast.Subscript):
                return _rows(e.value.id, self.steps, self.steps_call)
            if e.id in self.names and e.id not in remat:   # saved: stacked, or the list
                use = batched and e.id in stacked
                return ir.load(self.stacked[e.id] if use else self.list_of[e.id])
            if batched and e.id in env.per_step:
                return ir.load(env.per_step[e.id][1])
            if e.id not in collected:
                collected[e.id] = self.namer.fresh(e.id + "_steps")
            code.append(ast.Expr(_method(collected[e.id], "append", ir.load(e.id))))
            return ir.load(collected[e.id])

        code = []
        appended = set()
        for item in items:
            if not isinstance(item, int):
                code.append(item)
                continue
            for position, _, operands, _ in sums:
                if position == item:
                    for e in operands:
                        key = ast.dump(e)
                        if key not in appended:
                            appended.add(key)
                            seq[key] = steps_of(e)
        read = ir.reads(code)
        targets, walks = [], []
        if self.loop_var in read:
            targets.append(self.loop_var)
            walks.append(copy.deepcopy(self.steps))
        for n in self.names:
            if n in read and n not in remat:
                targets.append(n)
                walks.append(ir.load(self.list_of[n]))
            elif n in read and batched:
                targets.append(n)
                walks.append(ir.load(self.stacked[n]))
        if batched:
            for n, (_, array) in env.per_step.items():
                if n in read and n not in self.names:
                    targets.append(n)
                    walks.append(ir.load(array))
        if not targets:
            targets, walks = [self.loop_var], [copy.deepcopy(self.steps)]
        target, walk = _walk_steps(targets, walks, True)
        loop = ast.For(target=target, iter=walk, body=code or [ast.Pass()], orelse=[],
                       lineno=0)
        # after the loop: the collected lists in the order of the steps where an outer
        # product pairs them with values of the steps; stacked once if used more than once
        post = []
        lists = set(collected.values())
        in_order = sorted({seq[ast.dump(e)].id for _, _, operands, pairs in sums if pairs
                           for e in operands if isinstance(seq[ast.dump(e)], ast.Name)
                           and seq[ast.dump(e)].id in lists})
        post += [ast.Expr(_method(lst, "reverse")) for lst in in_order]
        counts = {}
        for _, _, operands, _ in sums:
            for e in operands:
                value = seq[ast.dump(e)]
                if isinstance(value, ast.Name) and value.id in lists:
                    counts[value.id] = counts.get(value.id, 0) + 1
        arrays = self.arrays    # (one name in both versions of the loop)
        for lst in sorted(n for n, c in counts.items() if c > 1):
            if lst not in arrays:
                arrays[lst] = self.namer.fresh(lst[:-len("_steps")] + "s"
                                               if lst.endswith("_steps") else lst + "_array")
            post.append(ir.assign(arrays[lst], ir.call(self.aliases["stacked"], ir.load(lst))))
        for _, acc, operands, pairs in sums:
            args = []
            for e in operands:
                value = copy.deepcopy(seq[ast.dump(e)])
                if isinstance(value, ast.Name) and value.id in arrays:
                    value = ir.load(arrays[value.id])
                args.append(value)
            helper = self.aliases["outer_steps" if pairs else "sum_steps"]
            post.append(ast.AugAssign(target=ir.store(acc), op=ast.Add(),
                                      value=ir.call(helper, *args)))
        return [loop], post

    def drop_saves(self, remat):
        """Stop saving the values recomputed after the forward loop."""
        body = self.loop.body
        for n in remat:
            lst = self.list_of[n]
            body[:] = [s for s in body if not (
                isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)
                and isinstance(s.value.func, ast.Attribute)
                and isinstance(s.value.func.value, ast.Name) and s.value.func.value.id == lst)]
            self.forward[:] = [s for s in self.forward if not (
                isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)
                and s.targets[0].id == lst)]
        for n in remat:   # and the forward statements (nothing else reads their values)
            body.remove(remat[n][1])

    def read_elsewhere(self, stmts):
        """Names read by code other than ``stmts`` and the saves of the forward loop."""
        lists = set(self.list_of.values())
        others = [s for s in self.forward if s is not self.loop] + [
            s for s in self.loop.body if all(s is not t for t in stmts) and not (
                isinstance(s, ast.Expr) and ir.names_read(s) & lists)]
        return ir.reads(others + self.before + self.after) | self.live | ir.names_read(
            self.loop.iter)
