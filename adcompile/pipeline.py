"""Every pass of adcompile, in the order it runs.

    source ─ desugar ─ normalize ─► IR ─ guard_rebindings ─ private_copies ─ guard_complex ─
            guard_integer_writes ─ guard_update_shapes ─ drop_array_checks ─► IR
        reverse mode:  check_second_order** ─ reverse ─► Sweeps ─
            update_lists_in_place* ─ update_arrays_in_place* | keep_differentiable** ─
            prune_backward ─ fuse_products* ─ free_shape_reads* ─ factor_products* ─
            reuse_dead_arrays* ─ update_in_place* ─ prune_tape ─
            forward_sweep ─ fuse_temporaries ─ renumber ─
            lower_tape ─ loop_fission* ─ hoist_inputs* ─ dot_products* ─ renumber_again* ─
            local_math_functions* ─► emit
        forward mode:  tangents ─ renumber_tangents ─► emit
    (* only where adjoints may be updated in place: not in code adcompile will
    differentiate again; ** only in that code, the "grad2" form)

``normalize`` (frontend: parse, desugar, validate, inline calls, rename, lower to one
primitive per statement; see frontend/; ``stage="desugar"`` shows the function after
its syntax-only passes) runs once per function and ``wrt``; everything after
it runs once per generated form and specialisation, on a copy of the normalized IR.
Each pass takes the code the previous one returned and returns new code, leaving its
input as it was (except the sweeps ``run`` hands from one pass to the next, which no
one else holds: those a pass changes in place, see sweeps.Sweeps.owned);
``ad.show(f, stage=...)`` prints the code after any named pass. The reverse pass
writes the same code for every reverse form: adjoint lists and arrays updated as new
values, which adcompile can differentiate again, with the in-place form of each update
on the statement (ad/forms.py); the passes marked * put those in.
"""

import ast
import re
import types
from dataclasses import dataclass, replace

import numpy as np

from . import ir
from .ad import sweeps
from .ad.forward import forward
from .ad.reverse import reverse
from .ad.lists_by_identity import refuse_second_order
from .analysis.activity import activity
from .analysis.callees import callee_of
from .analysis.complex_values import appended_call, complex_guards
from .analysis.integer_writes import WRITES, integer_updates, integer_writes, untyped_writes
from .analysis.mutations import changed_arguments, changed_globals
from .analysis.ndims import infer_ndims
from .analysis.numbers import infer_numbers
from .analysis.rebinding_checks import check_rebindings
from .analysis.shapes import infer_full, infer_shapes
from .backend.helpers import RUNTIME
from .dump import dump
from .frontend import desugared, normalize
from .frontend.source import PLACE
from .optimize import renumber_temps
from .rules import REGISTRY
from .runtime.values import INTEGER_UPDATE, INTEGER_WRITE


@dataclass(frozen=True)
class Target:
    """What to generate: ``form`` ("vjp", "grad", "grad2": a gradient adcompile can
    differentiate again, "jvp") for arguments of kinds ``key`` (see dispatch.ndims)."""

    form: str
    key: tuple
    params: tuple         # the function's positional parameters
    aliases: dict         # runtime helper -> its name in the generated code
    checkpoint: object = None   # steps between checkpoints of loops (ad.checkpoint), or None

    @property
    def param_ndims(self):
        """Parameter -> ndim (None: unknown)."""
        return {p: n[0] if isinstance(n, tuple) else n for p, n in zip(self.params, self.key)}

    @property
    def param_full(self):
        """Parameter -> whether it is known to have no axis of length 1 (numbers have none)."""
        return {p: n == 0 or isinstance(n, tuple) and n[1] for p, n in zip(self.params, self.key)}

    @property
    def param_narrow(self):
        """The parameters whose arguments are arrays of floats narrower than float64."""
        return frozenset(p for p, n in zip(self.params, self.key)
                         if isinstance(n, tuple) and len(n) > 2 and n[2])

    @property
    def in_place(self):
        """Whether adjoints may be updated in place (not in code differentiated again)."""
        return self.form != "grad2"

    @property
    def save_policy(self):
        """How lower_tape keeps values (tape.py): per-step lists where they can be batched,
        one list per saved name in code differentiated again."""
        return "per_step" if self.in_place else "per_name"


# -- passes on the normalized IR ---------------------------------------------------------


def guard_rebindings(fn, target):
    """Refuse, or check when the code runs, each ``x op= e`` that is exact only for a number
    ``x`` (see rebinding_checks.check_rebindings), for the argument kinds of the target."""
    if not fn.rebindings:
        return fn
    fn = ir.copy_function(fn)
    known, ndim_of, is_number = _number_facts(fn, target)
    arrays = {p for p, n in zip(target.params, target.key) if isinstance(n, tuple)}

    def guard(name, where, said):   # (said: what the error names, rebinding_reason's)
        *said, swap = said
        check = ir.call(target.aliases["require_immutable"], ir.load(name), ast.Constant(where),
                        *[ast.Constant(v) for v in said + ([swap] if swap else [])])
        return ir.Keep(ast.Expr(check), [], pure=False)

    def augmented(x, op, e):
        return ir.call(target.aliases["augmented"], x, ast.Constant(op), e)

    check_rebindings(fn, is_number, ndim_of, guard, arrays, augmented, known)
    return fn


def _number_facts(fn, target):
    """(known, ndim_of, is_number) of ``fn`` for the argument kinds of ``target``: ``known``
    (parameter -> whether its argument is a number, parameter -> its ndim), and what
    ``infer_ndims`` and ``infer_numbers`` infer from them."""
    key, params = target.key, target.params
    # (a 0-d array has no dimension: arithmetic on it gives NumPy scalars)
    known = ({p: n == 0 for p, n in zip(params, key)},
             {p: 0 if isinstance(n, tuple) and n[:2] == (None, False) else d for (p, d), n in zip(
                 target.param_ndims.items(), key)})
    _, ndim_of = infer_ndims(fn, known[1])
    return known, ndim_of, infer_numbers(fn, known[0], ndim_of)


def private_copies(fn, target):
    """``p = private_copy(p)`` first, for each argument the function changes in place; before
    them, checks when the code runs (``require_unshared``) that no other argument, and no
    module-level value the function reads, holds what such an argument holds (``f(w, a,
    a)``, a default that is a module-level dict read by its name too: Python's change would
    show through that name, the copy's does not), and that no argument is, or holds, a
    module-level object the function changes in place (``BUF[0] = 7.0`` with ``BUF`` given
    as ``a`` too: a read of ``a`` before it would be of the value before the change)."""
    changed = changed_arguments(fn)
    changed_free = changed_globals(fn)
    if not changed and not changed_free:
        return fn
    fn = ir.copy_function(fn)
    copies = [ir.Keep(ir.assign(p, ir.call(target.aliases["private_copy"], ir.load(p))), [p],
                      pure=False) for p in changed]
    checks = [_unshared_check(fn, changed, [p for p in fn.params if p not in changed]
                              + _module_values_read(fn), target)] if changed else []
    checks += [_unshared_check(fn, [_name_for(fn, name, obj)], fn.params, target)
               for name, obj in changed_free]
    fn.body = checks + copies + fn.body
    return fn


def _name_for(fn, name, obj):
    """A name the generated code reads the module-level object ``obj`` by: ``name`` where
    that is it there (a global of the function's module), else a new name bound to it (a
    global of a helper's module)."""
    extra = fn.extra_globals   # (fn: a copy, ir.copy_function: its own dict and namer)
    if name.isidentifier() and (extra[name] if name in extra
                                else fn.source.resolve(name, None)) is obj:
        return name
    taken = fn.namer.fresh(re.sub(r"\W+", "_", name).strip("_") or "changed")
    extra[taken] = obj
    return taken


def _module_values_read(fn):
    """The free names (globals, closure variables) ``fn`` reads that hold arrays or
    containers now: the names a setting is read by too (``CONFIG["act"]``, read when the
    code was made)."""
    local = set(fn.params) | {n for s in ir.walk(fn.body) for n in ir.defined_names(s)}
    read = {n for s in ir.walk(fn.body) for n in ir.own_reads(s)} | {
        path.base for path in (getattr(fn, "choices", None) or {}) if hasattr(path, "base")}
    extra = getattr(fn, "extra_globals", None) or {}
    return sorted(n for n in read - local
                  if _may_hold_arrays(extra[n] if n in extra else fn.source.resolve(n, None)))


def _unshared_check(fn, changed, others, target):
    """``require_unshared((changed...), (others...), message)``: an error, when the code runs,
    where an object one of ``changed`` (names of what the function changes in place) holds is
    held by another of them or one of ``others``, or shares memory with one held there."""
    what = ", ".join(repr(p) for p in changed)
    where = fn.source.error(fn.source.node, "").where
    tuples = [ast.Tuple(elts=[ir.load(n) for n in names], ctx=ast.Load())
              for names in (changed, others)]
    check = ir.call(target.aliases["require_unshared"], *tuples, ast.Constant(
        f"{where}: {fn.source.name}() changes {what} in place"))
    return ir.Keep(ast.Expr(check), [], pure=False)


def _may_hold_arrays(value):
    """Whether a change in place could reach an array or container through the module-level
    ``value`` (not a number, a string, a function, a class or a module)."""
    return not isinstance(value, (int, float, complex, str, bytes, type(None), type,
                                  types.ModuleType, types.FunctionType,
                                  types.BuiltinFunctionType, types.MethodType, np.generic,
                                  np.ufunc))


def _complex_guards(fn, target):
    """``analysis.complex_values.complex_guards`` of ``fn``."""
    _, ndim_of = infer_ndims(fn, target.param_ndims)
    helpers = {alias: RUNTIME[name] for name, alias in target.aliases.items()}
    callee = callee_of(fn)

    def resolve(func):   # (the runtime helpers earlier passes call, such as private_copy)
        return helpers[func.id] if isinstance(func, ast.Name) and func.id in helpers \
            else callee(func)

    return complex_guards(fn, ndim_of, resolve, REGISTRY)


def guard_complex(fn, target):
    """Check, when the code runs, each value not being differentiated that may turn out
    complex (a function without a rule, or a fractional power, applied to constants) and
    that differentiated code reads: ``real_value(t, what)`` after the statement that makes
    ``t``, ``xs.append(real_value(v, what))`` for a list (see analysis/complex_values.py).
    Where such a value is made another way, the gradients handed back are checked instead
    (``fn.complex_possible``)."""
    checks, unguarded = _complex_guards(fn, target)
    if not checks and not unguarded:
        return fn   # (most functions)
    fn = ir.copy_function(fn)
    checks, unguarded = _complex_guards(fn, target)   # (the statements of the copy)
    after = {}
    for keep, name, made in checks:
        what = ast.Constant(f"{ast.unparse(made)} ({_place(fn, made)})")
        call = appended_call(keep, name)
        if call is not None:   # xs.append(real_value(v, what))
            call.args[0] = ir.call(target.aliases["real_value"], call.args[0], what)
        else:
            check = ir.call(target.aliases["real_value"], ir.load(name), what)
            after.setdefault(keep, []).append(ir.Keep(ast.Expr(check), [], pure=False))
    _insert_after(fn.body, after)
    if unguarded:
        fn.complex_possible = True
    return fn


def _insert_after(block, after):
    """Put the statements ``after[s]`` just after each statement ``s`` of ``block``
    (nested blocks too), in place."""
    at = 0
    while at < len(block):
        for inner in ir.children(block[at]):
            _insert_after(inner, after)
        new = after.get(block[at], [])
        block[at + 1:at + 1] = new
        at += len(new) + 1


def _place(fn, node):
    """``file:line`` of the user's code ``node`` (a copy of) comes from."""
    at = next((n for n in ast.walk(node) if getattr(n, "lineno", None)), node)
    filename = (getattr(at, PLACE, None) or (fn.source.filename,))[0]
    return f"{filename}:{getattr(at, 'lineno', '?')}"


def guard_integer_writes(fn, target):
    """Refuse each write of a value being differentiated into an array known to hold
    integers or booleans (NumPy rounds the value there: no gradient), and each ``x op= e``
    adding one to such an array in place (NumPy raises there, where the compiled code would
    make a new array); check, when the code runs, those into arrays whose dtype is not
    known: ``require_float_array(x, "file:line:col: statement")`` before a write, which
    refuses a list or dict too (a write into one is differentiated for arrays only),
    ``require_floating(x, "file:line:col: statement")`` before an update (see
    analysis/integer_writes.py, and runtime/values.py for the errors' text)."""
    if not integer_writes(fn) and not integer_updates(fn) and not untyped_writes(fn):
        return fn   # (most functions: what is written into is floating)
    fn = ir.copy_function(fn)
    # (the user's line of each write, and of the writes back into the array a view changed
    # there was taken from: views.py)
    origins = {s: r.origin for r in fn.rebindings
               for s in [r.statement] + [m for x in r.refresh for m in x.made]}
    for op, base, kind in integer_writes(fn):
        source, node = origins.get(op, (fn.source, fn.source.node))
        _guard_floating(fn, target, op, base, _checked_place(fn, source, node, base),
                        INTEGER_WRITE, kind is not None, check="require_float_array")
    for op, base in untyped_writes(fn):   # (y[0] = 3.0 on a list: with the user's line)
        source, node = origins.get(op, (fn.source, fn.source.node))
        where = source.error(node, "").where
        check = ir.call(target.aliases["require_array_written"], ir.load(base),
                        ast.Constant(f"{where}: {ir.user_name(fn, base)}"))
        ir.insert_before(fn.body, op, ir.Keep(ast.Expr(check), [], pure=False))
    updates = integer_updates(fn)
    if updates:
        _, ndim_of, is_number = _number_facts(fn, target)
    for rebinding, kind in updates:
        x = ir.load(rebinding.old)
        if is_number(x):
            continue   # (n = 0; n += v: a new number, as in Python)
        source, node = rebinding.origin
        surely = kind is not None and (ndim_of(x) or 0) > 0   # (an array of integers)
        _guard_floating(fn, target, rebinding.statement, x.id,
                        _checked_place(fn, source, node, x.id), INTEGER_UPDATE, surely)
    return fn


def _guard_floating(fn, target, op, base, place, reason, refuse, check="require_floating"):
    """Before the statement ``op``, which puts a value being differentiated into the array
    ``base``: if ``refuse``, the TransformError ``reason`` at ``place`` (source, node, the
    user's text of the statement), else the runtime check ``check(base, "file:line:col:
    statement")`` (``require_floating`` or ``require_float_array``), whose TypeError gives
    ``reason`` where the array is one of integers."""
    source, node, text = place
    error = source.error(node, f"{text} {reason}")
    if refuse:
        raise error
    check = ir.call(target.aliases[check], ir.load(base), ast.Constant(f"{error.where}: {text}"))
    ir.insert_before(fn.body, op, ir.Keep(ast.Expr(check), [], pure=False))


def _checked_place(fn, source, node, base):
    """(source, node, text) of the user's statement ``node`` an error names: its first line as
    written (``base``, the user's name of the array, where the node is the ``def``)."""
    text = source.written(node).splitlines()[0] if node is not source.node \
        else ir.user_name(fn, base)
    return source, node, text


def guard_update_shapes(fn, target):
    """Make each ``x op= e`` on an array keep x's shape, as Python's in place update must
    (NumPy raises a ValueError where the broadcast shape differs from x's: ``e`` of more
    dimensions, or longer along an axis of length 1 of ``x``), where the compiled code
    makes a new value ``x_2 = x op e`` of any shape: nothing where the argument kinds of
    the target show the shape kept (``x`` a number, ``e`` a number or of x's symbolic
    shape, or of no more dimensions than an ``x`` with no axis of length 1); a
    TransformError where they show it changed (``e`` of more dimensions than the array
    ``x``); else ``x_2 = require_update_shape(x_2, x, message)`` after the update, which
    also makes ``x_2`` a 0-d array again where ``x`` is one (emitted where ``x`` may be one
    too). The same for an item's update ``a[i] op= e`` (see _updates)."""
    if not _updates(fn):
        return fn   # (most functions)
    fn = ir.copy_function(fn)
    facts = _shape_facts(fn, target)
    after = {}
    for (source, node), s, x, e, new in _updates(fn):
        kept = _shape_kept(facts, x, e, new, isinstance(node.op, ast.MatMult))
        if kept and not _may_be_zero_d_array(facts, x, new):
            continue
        error = source.error(node, _UPDATE_SHAPE.format(statement=source.written(node)))
        if kept is False:
            raise error
        where = f"{error.where}: {source.written(node)}"
        check = ir.call(target.aliases["require_update_shape"], ir.load(new), x,
                        ast.Constant(where))
        # (new = ..., though the analysis does not count it a definition: the same value,
        # an array again where x is a 0-d array, as Python's update leaves it)
        rebound = ir.assign(new, check)
        after.setdefault(s, []).append(ir.Keep(rebound, [], pure=False))
    _insert_after(fn.body, after)
    return fn


def _updates(fn):
    """The updates ``x op= e`` of ``fn`` compiled as ``new = x op e``, as (origin, the
    statement, x, e, new): of a name, and of an item ``a[i] op= e`` (``t = a[i]``, ``new = t
    op e``, then ``with_item(a, i, new)``, which NumPy raises for where new has more
    dimensions than the item; where new only has more leading axes of length 1 it would
    not)."""
    found, made = [], None
    for r in fn.rebindings:
        s = r.statement
        if isinstance(s, ir.Op) and s.rule.name == "with_item" \
                and isinstance(r.origin[1], ast.AugAssign) and isinstance(s.inputs[2], ast.Name):
            made = made or {t.target: t for t in ir.walk(fn.body) if isinstance(t, ir.Op)}
            s = made.get(s.inputs[2].id)
        operands = _operands(s) if s is not None else None
        if operands is not None and isinstance(operands[0], ast.Name):
            new = s.target if isinstance(s, ir.Op) else s.defines[0]
            found.append((r.origin, s, *operands, new))
    return found


def _operands(s):
    """``(x, e)`` of the statement ``new = x op e``, or None where it is no such statement
    (a write into an item, ``with_item``; an update Python runs in place, ``augmented``)."""
    if isinstance(s, ir.Op):
        if s.rule.name in WRITES or len(s.inputs) != 2 or not isinstance(s.expr, ast.BinOp):
            return None
        return tuple(s.inputs)
    value = s.stmt.value if isinstance(s, ir.Keep) and isinstance(s.stmt, ast.Assign) else None
    return (value.left, value.right) if isinstance(value, ast.BinOp) else None


def _shape_facts(fn, target):
    """(is_number, ndim_of, full_of, shape_of) of ``fn`` for the argument kinds of
    ``target`` (see _number_facts, analysis/shapes.py)."""
    _, ndim_of, is_number = _number_facts(fn, target)
    defs = {}
    for s in ir.walk(fn.body):
        for name in ir.own_assigns(s) | {getattr(s, "index", None), getattr(s, "counter", None)}:
            defs.setdefault(name, []).append(s)
    return is_number, ndim_of, infer_full(fn, target.param_full, ndim_of), \
        infer_shapes(fn, ndim_of), defs


def _shape_kept(facts, x, e, new, matmul):
    """Whether ``new = x op e`` surely keeps x's shape (True), surely
    changes that of an array ``x`` (False), or may do either (None)."""
    is_number, ndim_of, full_of, shape_of, defs = facts
    if is_number(x) or shape_of(e) is not None and _number_or_own(x, new, facts):
        return True   # (s = 0.0; s += v: a new value, as in Python)
    shape = shape_of(x)
    if shape is not None and shape_of(ir.load(new)) == shape:
        return True
    if matmul:
        return None
    if isinstance(e, ast.Constant) or is_number(e):
        return True
    dims = ndim_of(x), ndim_of(e)
    if None in dims:
        return None
    if dims[1] > dims[0] >= 1:
        return False
    return True if dims[1] <= dims[0] and full_of(x) else None


def _may_be_zero_d_array(facts, x, new):
    """Whether ``x`` may be a 0-d array, which ``new = x op e`` makes a NumPy scalar where
    Python's ``x op= e`` keeps the array (another name may share it, the code may write
    into it). A number updated in a loop (``s = 0.0``, then ``s += e``) never is one."""
    is_number, ndim_of = facts[0], facts[1]
    return not is_number(x) and ndim_of(x) in (None, 0) and not _number_or_own(x, new, facts)


def _number_or_own(x, new, facts):
    """Whether ``x`` is a number or, in a loop, the value ``new`` of its own update (``s =
    0.0`` before the loop, ``s += v`` in it: where ``v`` has one symbolic shape, ``s``
    takes it in the first step and keeps it)."""
    is_number, defs = facts[0], facts[4]
    if not isinstance(x, ast.Name) or x.id not in defs:
        return False   # (a parameter)
    return all(isinstance(s, ir.Carry) and s.source == new or isinstance(s, ir.Keep)
               and isinstance(s.stmt, ast.Assign) and s.defines == [x.id]
               and is_number(s.stmt.value) for s in defs[x.id])


_UPDATE_SHAPE = ("{statement} gives the array another shape (the operand has more "
                 "dimensions): NumPy changes the array in place there and raises a "
                 "ValueError (non-broadcastable output operand). Write the new value to a "
                 "new name (x = x + e) if that is meant")


def drop_array_checks(fn, target):
    """Drop each ``require_array(a, message)`` (the frontend's check that a method NumPy's
    rule differentiates, ``a.dot(w)``, is called on a NumPy array: calls.py) whose receiver
    the argument kinds of the target show to be one: its ndim is known (an array argument,
    or made from one by NumPy; ``a.T`` is ``a``'s kind). Drop each ``require_rows(a,
    where)`` (before a loop changing in place the rows of the array it walks:
    frontend/row_loops.py) where ``a`` is known to have two or more dimensions, and each
    ``require_ndarray(a, where, name)`` (before a helper's ``v op= e`` changing the caller's
    ``a``: frontend/in_place_calls.py), ``require_array_written(a, where)`` (before an item
    of ``a`` is assigned: guard_integer_writes) and ``require_positions(a, where)`` (before a
    loop walking by position an array its body changes: frontend/iteration.py) where it is
    known to have one or more: only an array argument and what NumPy makes of one have a
    known number of dimensions."""
    if not any(_checked_receiver(fn, s) is not None for s in ir.walk(fn.body)):
        return fn   # (most functions)
    fn = ir.copy_function(fn)
    _, ndim_of = infer_ndims(fn, target.param_ndims)

    def settled(s):
        receiver, check = _checked_receiver(fn, s) or (None, None)
        while isinstance(receiver, ast.Attribute) and receiver.attr in ("T", "mT"):
            receiver = receiver.value
        if receiver is None:
            return False
        if check == "require_rows":
            return (ndim_of(receiver) or 0) >= 2
        if check in _ARRAY_ONLY:
            return (ndim_of(receiver) or 0) >= 1
        return ndim_of(receiver) is not None

    def keep(block):
        for s in block:
            for inner in ir.children(s):
                inner[:] = keep(inner)
        return [s for s in block if not settled(s)]

    fn.body = keep(fn.body)
    return fn


#: the checks whose first argument must be a NumPy array (drop_array_checks)
_ARRAY_ONLY = ("require_ndarray", "require_array_written", "require_positions")


def _checked_receiver(fn, s):
    """(``a``, the check's name) if the statement ``s`` is ``require_array(a, where)``,
    ``require_rows(a, where)`` or one of ``_ARRAY_ONLY`` of ``a``, else None."""
    call = s.stmt.value if isinstance(s, ir.Keep) and isinstance(s.stmt, ast.Expr) else None
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
        helper = fn.extra_globals.get(call.func.id)
        for check in ("require_array", "require_rows") + _ARRAY_ONLY:
            if helper is RUNTIME[check]:
                return call.args[0], check
    return None


IR_PASSES = [guard_rebindings, private_copies, guard_complex, guard_integer_writes,
             guard_update_shapes, drop_array_checks]


# -- reverse mode ---------------------------------------------------------------------


def reverse_pass(fn, target, owned=False):
    """The backward sweep and its tape (reverse.py), on a copy of ``fn`` (on ``fn`` itself
    when it is ``owned``: a copy an earlier pass made that no one else holds). The code is
    the same for every reverse form; the form's options go on its context, for the passes
    after it: whether the value is returned, how lower_tape keeps values."""
    code = reverse(fn if owned else ir.copy_function(fn), target.param_ndims, target.aliases,
                   param_full=target.param_full, narrow=target.param_narrow)
    return replace(code, context=replace(
        code.context, return_value=target.form == "vjp", save_policy=target.save_policy,
        checkpoint=target.checkpoint if target.in_place else None))


def check_second_order(fn, target):
    """Refuse code whose differentiable form adcompile cannot write (lists a loop passes
    on, or other lists hold: their adjoint lists are updated in place), before the reverse
    pass (ad/lists_by_identity.refuse_second_order)."""
    refuse_second_order(fn, activity(fn))
    return fn


def before_reverse(in_place):
    """The passes between the IR passes and the reverse pass."""
    return [] if in_place else [check_second_order]


def sweep_passes(in_place):
    """The passes after the reverse pass, in order."""
    if in_place:
        return [sweeps.update_lists_in_place, sweeps.update_arrays_in_place,
                sweeps.prune_backward, sweeps.fuse_products,
                sweeps.free_shape_reads, sweeps.factor_products, sweeps.reuse_dead_arrays, sweeps.update_in_place,
                sweeps.prune_tape, sweeps.forward_sweep, sweeps.fuse_temporaries,
                sweeps.renumber, sweeps.lower_tape, sweeps.loop_fission, sweeps.hoist_inputs,
                sweeps.dot_products, sweeps.merge_copies, sweeps.renumber_again,
                sweeps.local_math_functions]
    return [sweeps.keep_differentiable, sweeps.prune_backward, sweeps.prune_tape,
            sweeps.forward_sweep, sweeps.fuse_temporaries, sweeps.renumber, sweeps.lower_tape]


# -- forward mode ---------------------------------------------------------------------


def tangent_pass(fn, target, owned=False):
    """The tangent code (forward.py), on a copy of ``fn`` (``owned``: see reverse_pass)."""
    return forward(fn if owned else ir.copy_function(fn), target.param_ndims, target.aliases, target.param_full)


def renumber_tangents(code):
    """Number the temporaries the tangent code keeps t1, t2, ... in order of appearance."""
    memo = {}
    code = replace(code, body=ir.copy_tree(code.body, memo),
                   outputs=ir.copy_tree(code.outputs, memo),
                   out_dots=ir.copy_tree(code.out_dots, memo))
    renumber_temps(code.body, code.outputs + code.out_dots, code.fn.namer.copy())
    return code


# -- running them -----------------------------------------------------------------------


def stages(form):
    """The names of the passes a form runs, in order (for ``ad.show(f, stage=...)``)."""
    names = ["desugar", "normalize"] + [p.__name__ for p in IR_PASSES]
    if form == "jvp":
        return names + ["tangents", "renumber_tangents"]
    in_place = form != "grad2"
    return names + [p.__name__ for p in before_reverse(in_place)] + ["reverse"] + [
        p.__name__ for p in sweep_passes(in_place)]


def run(fn, target, stop_after=None):
    """The generated code for ``target`` from normalized ``fn``: sweeps.Sweeps (reverse
    mode) or forward.Tangent. With ``stop_after`` (a stage name), the text of the code
    after that pass instead."""
    if stop_after is not None and stop_after not in stages(target.form):
        raise ValueError(f"stage must be one of {', '.join(stages(target.form))}; "
                         f"got {stop_after!r}")
    if stop_after == "desugar":   # (the first passes of normalize, run again to show them)
        return desugared(fn.source, fn.trees, fn.choices)
    if stop_after == "normalize":
        return dump(fn)
    given = fn
    for step in IR_PASSES:
        fn = step(fn, target)
        if stop_after == step.__name__:
            return dump(fn)
    owned = fn is not given   # (a copy an IR pass made, which no one else holds)
    for step in before_reverse(target.in_place) if target.form != "jvp" else ():
        fn = step(fn, target)
        if stop_after == step.__name__:
            return dump(fn)
    if target.form == "jvp":
        code = tangent_pass(fn, target, owned)
        if stop_after == "tangents":
            return dump(code)
        code = renumber_tangents(code)
        return dump(code) if stop_after == "renumber_tangents" else code
    # (the sweeps each pass returns are the next one's alone: it changes them in place)
    code = replace(reverse_pass(fn, target, owned), owned=True)
    if stop_after == "reverse":
        return dump(code)
    for step in sweep_passes(target.in_place):
        code = step(code)
        if stop_after == step.__name__:
            return dump(code)
    return code


__all__ = ["normalize", "run", "stages", "Target"]
