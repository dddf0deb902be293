"""Values being differentiated written into arrays of integers or booleans.

``z[i] = v`` on an integer (or bool) array stores ``v`` rounded toward zero (or as a
truth value): what reaches ``z`` is piecewise constant in ``v``, whose gradient is zero
almost everywhere, while the rule of ``with_item`` hands ``v`` the adjoint of the entry
written, as it must for a floating ``z``. The same holds for ``np.add.at`` and
``np.subtract.at``, and for ``z.fill(v)`` and ``np.copyto(z, v)`` (written as item
assignments). Such a write is refused where the array is known to hold integers
(``np.zeros(n, dtype=int)``, ``np.arange(3)``, ``np.array([1, 2])``), and checked when the
code runs where its dtype is not known; a floating array needs nothing.

An array is known to be floating where it is computed from values being differentiated
(other than by a cast: ``x.astype(int)``) or made floating (``np.zeros(n)``,
``np.linspace``, a float literal, ``dtype=float``), and known to hold integers where it is
made so; a copy, an item, a changed version of an array, or one made ``*_like`` it, is of
the array's kind.
"""

import ast
import inspect

import numpy as np

from .. import ir
from .activity import activity, varied_names
from .callees import callee_of

#: the kinds of an array's dtype (None: not known)
FLOATING, INTEGER = "floating", "integer"

#: the rules whose result has the dtype of their first input
_SAME_DTYPE = {"with_item", "added_at", "subtracted_at", "copy_array", "getitem", "pos"}
#: the rules that write their last input into a copy of their first
WRITES = {"with_item", "added_at", "subtracted_at"}

_FLOATING_MAKERS = (np.zeros, np.ones, np.empty, np.eye, np.identity, np.linspace,
                    np.logspace, np.geomspace)
_LIKE_MAKERS = (np.zeros_like, np.ones_like, np.empty_like, np.full_like, np.copy,
                np.array, np.asarray, np.asanyarray, np.ascontiguousarray)


def integer_writes(fn):
    """The writes of values being differentiated (active names) into arrays that may hold
    integers, as ``(op, base, kind)``: the ``ir.Op`` of the write, the name of the array
    written into, and INTEGER where it surely holds integers, None where that is not
    known."""
    writes = [s for s in ir.walk(fn.body)
              if isinstance(s, ir.Op) and s.rule.name in WRITES and len(s.inputs) == 3]
    if not writes:
        return []   # (most functions: no analysis to run)
    active = activity(fn)
    kinds = _Kinds(fn, varied_names(fn))
    found = []
    for s in writes:
        base, _, value = s.inputs
        if not (isinstance(value, ast.Name) and value.id in active
                and isinstance(base, ast.Name)):
            continue
        kind = kinds.of(base.id)
        if kind != FLOATING:
            found.append((s, base.id, kind if kind is INTEGER else None))
    return found


def untyped_writes(fn):
    """The writes of values not differentiated into names not known to hold arrays (an
    argument, ``y[0] = 3.0``), as ``(op, base)``, made primitives because what they write
    into is differentiated later (``y[1] = x[0]``): a list's or dict's would fail inside
    the primitive, with no line of the user's (``integer_writes`` has those of values being
    differentiated, checked as such). A write into what another write made is left out:
    the first write met the array first."""
    writes = [s for s in ir.walk(fn.body)
              if isinstance(s, ir.Op) and s.rule.name in WRITES and len(s.inputs) == 3]
    if not writes:
        return []
    active = activity(fn)
    made = {s.target for s in writes}
    kinds = _Kinds(fn, varied_names(fn))
    return [(s, s.inputs[0].id) for s in writes
            if isinstance(s.inputs[0], ast.Name) and s.inputs[0].id not in made
            and not (isinstance(s.inputs[2], ast.Name) and s.inputs[2].id in active)
            and kinds.of(s.inputs[0].id) is None]


def integer_updates(fn):
    """The ``x op= e`` compiled as a new value being differentiated (``x_2 = x op e``) where
    ``x`` may be an array of integers or booleans, as ``(rebinding, kind)`` (kind as in
    ``integer_writes``): Python changes such an array in place, and NumPy refuses to store
    floats in it (a UFuncTypeError), where the compiled code would make a new floating
    array. Whether ``x`` is an array or a number (``n = 0; n += v``, a new value) is for
    the caller to decide."""
    updates = [r for r in fn.rebindings
               if isinstance(r.statement, ir.Op) and r.statement.rule.name not in WRITES]
    if not updates:
        return []
    kinds = _Kinds(fn, varied_names(fn))
    return [(r, kind if kind is INTEGER else None) for r in updates
            for kind in [kinds.of(r.old)] if kind != FLOATING]


class _Kinds:
    """The kind of each name's array (FLOATING, INTEGER or None) by the statements that
    assign it: a name assigned in several places (in a loop, after an if) has a kind only
    where every assignment agrees."""

    def __init__(self, fn, varied):
        self.fn, self.varied, self.memo = fn, varied, {}
        self.callee = callee_of(fn)
        self.defs = {}
        for s in ir.walk(fn.body):
            for n in ir.own_assigns(s):
                self.defs.setdefault(n, []).append(s)

    def of(self, name):
        if name in self.memo:
            return self.memo[name]
        self.memo[name] = _PENDING   # (a loop's name, made from itself: the others decide)
        if name in self.fn.params:
            # (the argument, differentiated or of a kind not known; then what a loop that
            # carries the name assigns it: ``for i ...: z[i] = v`` on an argument ``z``)
            kinds = [FLOATING if name in self.fn.wrt else None] + [
                self._made(s, name) for s in self.defs.get(name, [])]
        else:
            kinds = [self._made(s, name) for s in self.defs.get(name, [None])]
        decided = {k for k in kinds if k is not _PENDING}
        if not decided:   # (made only from a name still being decided: asked again later)
            del self.memo[name]
            return _PENDING
        self.memo[name] = decided.pop() if len(decided) == 1 else None
        return self.memo[name]

    def _made(self, s, name):
        if isinstance(s, ir.Carry):
            return self.of(s.source)
        if isinstance(s, ir.Op) and s.target == name:
            return self._op(s)
        if isinstance(s, ir.Keep) and isinstance(s.stmt, ast.Assign) \
                and len(s.stmt.targets) == 1 and isinstance(s.stmt.targets[0], ast.Name):
            return self._expression(s.stmt.value)
        return None

    def _op(self, s):
        rule, first = s.rule.name, s.inputs[0] if s.inputs else None
        given = _dtype_given(s.expr, self.callee)
        if given is not _ABSENT:
            return given
        if rule in _SAME_DTYPE or rule == "array" and isinstance(first, ast.Name):
            return self.of(first.id) if isinstance(first, ast.Name) else None
        if rule == "array":   # np.array([a, b])
            return _literal(first, self)
        if rule == "astype" or not any(isinstance(e, ast.Name) and e.id in self.varied
                                       for e in s.inputs):
            return None   # (a view of an array not differentiated, z.T: not known)
        # arithmetic on a value being differentiated (which is floating): floating
        return FLOATING

    def _expression(self, e):
        if isinstance(e, ast.Name):
            return self.of(e.id)
        if isinstance(e, (ast.List, ast.Tuple)) or isinstance(e, ast.Constant):
            return _literal(e, self)
        if not isinstance(e, ast.Call):
            return None
        given = _dtype_given(e, self.callee)
        if given is not _ABSENT:
            return given
        if isinstance(e.func, ast.Attribute) and e.func.attr == "copy" and not e.args:
            return self._expression(e.func.value)
        obj = self.callee(e.func)
        if any(obj is f for f in _FLOATING_MAKERS):
            return FLOATING
        if obj is np.full and len(e.args) > 1:
            return _literal(e.args[1], self)
        if any(obj is f for f in _LIKE_MAKERS) and e.args:
            return self._expression(e.args[0])
        if obj is np.arange:
            return _literal(ast.Tuple(elts=list(e.args), ctx=ast.Load()), self)
        return None


_PENDING = object()
_ABSENT = object()


def _literal(e, kinds):
    """The kind of the array NumPy makes of ``e``, constants, names and displays of them:
    FLOATING if any is a float (or a floating array), INTEGER if all are ints or bools,
    else None (anything else in it: not known)."""
    if isinstance(e, (ast.List, ast.Tuple)):
        found = {_literal(p, kinds) for p in e.elts}
        if FLOATING in found:
            return FLOATING
        return INTEGER if found == {INTEGER} else None
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, (ast.USub, ast.UAdd)):
        return _literal(e.operand, kinds)
    if isinstance(e, ast.Constant):
        return FLOATING if isinstance(e.value, float) else \
            INTEGER if isinstance(e.value, int) else None
    return kinds.of(e.id) if isinstance(e, ast.Name) else None


def _dtype_given(call, callee):
    """The kind of the dtype a call gives its result (``dtype=``, ``np.zeros(n, int)``,
    ``x.astype(T)``): _ABSENT where it gives none, None where it is not known."""
    if not isinstance(call, ast.Call):
        return _ABSENT
    if isinstance(call.func, ast.Attribute) and call.func.attr == "astype" and call.args:
        return _kind(call.args[0], callee)
    given = [k.value for k in call.keywords if k.arg == "dtype"]
    if given:
        return _kind(given[0], callee)
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords):
        return None   # (f(*args): what it gives is not known)
    try:   # (NumPy's functions take the dtype by position too: np.zeros(3, int))
        bound = inspect.signature(callee(call.func)).bind_partial(*call.args)
    except (TypeError, ValueError):
        return _ABSENT
    return _kind(bound.arguments["dtype"], callee) if "dtype" in bound.arguments else _ABSENT


def _kind(e, callee):
    """The kind of the dtype expression ``e`` names (a type, a NumPy type, a string)."""
    what = e.value if isinstance(e, ast.Constant) else callee(e)
    try:
        kind = np.dtype(what).kind if what is not None else None
    except TypeError:
        return None
    return FLOATING if kind in ("f", "c") else INTEGER if kind in ("i", "u", "b") else None
