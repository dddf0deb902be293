"""Where a value not being differentiated may turn out complex when the code runs, and meets
one that is.

Complex literals, types and the functions known to compute complex values are refused when
the function is transformed (frontend/complex_refusals.py), and complex arguments when it is called
(api.py). What is left is what only running the code shows: a function with no rule, or one
whose results may be complex (scipy.linalg.sqrtm), applied to values not being
differentiated, and a Python number raised to a fractional power (``c ** 0.5`` of a negative
``c``). Such a value, combined with a differentiated one, makes the gradient complex, or
real and wrong once an adjoint is added into a real array in place (NumPy drops the
imaginary part with only a warning). So the statement that gives it to differentiated code
checks it: ``t = real_value(<expression>, what)`` raises a ValueError for a complex value.
Where a fractional power may make one in code that cannot be checked so
(``may_make_complex``), the gradients and tangents handed back are checked instead.
"""

import ast
import builtins
import sys
import types

import numpy as np

from .. import ir
from ..ir.defuse import own_reads

#: functions (module, names) with rules whose results may be complex for real arguments not
#: differentiated (their rules refuse complex results when the value is differentiated)
MAY_BE_COMPLEX = (("numpy.linalg", ("eig", "eigvals")),
                  ("scipy.linalg", ("sqrtm", "logm", "eig", "eigvals", "funm", "schur")))

#: builtins that make no complex value from real ones
_REAL_BUILTINS = frozenset(("len", "range", "int", "float", "bool", "abs", "min", "max", "sum",
                            "round", "isinstance", "print", "enumerate", "zip", "reversed",
                            "sorted", "list", "tuple", "dict", "str", "divmod"))


def complex_guards(fn, ndim_of, resolve, registry):
    """Where ``fn`` is to check values, as ``(checks, unguarded)``: ``checks``, triples
    ``(keep, name, made)``: after the ``ir.Keep`` ``keep`` (an assignment, or a call that
    appends to the list ``name``), ``name`` is read by a differentiated computation and may
    be complex, ``made`` the expression that may make it so; ``unguarded``, whether such a
    value is read where it cannot be checked so (then the gradients handed back are
    checked instead). ``resolve(expr)`` is the object a name or attribute chain refers to
    (None when unknown). (Arguments, and the leaves of structured ones, are checked when
    the function is called: api.py.)"""
    statements = list(ir.walk(fn.body))
    built = _containers(statements)

    def maker(e):   # the part of e that may make a complex value of real ones, or None
        for node in ir.walk_tree(e):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
                if _fractional(node.right) and ndim_of(node.left) in (0, None):
                    return node
            elif isinstance(node, ast.Call) and _may_be_complex_call(
                    node, resolve, registry, ndim_of, built):
                return node
        return None

    marked, defined_by = _marks(statements, maker, built)
    checks, unguarded = [], False
    for s in statements:
        if isinstance(s, (ir.Keep, ir.Carry, ir.If, ir.Loop, ir.Jump)):
            continue
        if any(maker(e) is not None for e in _expressions(s)):
            unguarded = True   # (written in place: Ops have only names and trivial operands)
        for name in sorted(own_reads(s) & marked.keys()) if marked else ():
            for keep, made in defined_by.get(name, ()):
                if made in keep.defines or appended_call(keep, made) is not None:
                    if all(keep is not k or made != n for k, n, _ in checks):
                        checks.append((keep, made, marked[made]))
                else:
                    unguarded = True
            unguarded = unguarded or not defined_by.get(name)
    return checks, unguarded


def _marks(statements, maker, built):
    """``(marked, defined_by)``: each name a Keep or Carry defines, or a list a Keep appends
    to, that may be complex -> the expression that may make it so; each such name -> pairs
    (a Keep that may make it complex, the name the Keep gives it: a Carry's source's)."""
    marked, defined_by = {}, {}
    for _ in range(2):   # (twice: a loop's later statements may define what earlier ones read)
        for s in statements:
            if isinstance(s, ir.Keep):
                changed = list(s.defines) + sorted(_receivers(s.stmt) & built - set(s.defines))
                read = sorted(own_reads(s) & marked.keys())
                made = marked[read[0]] if read else maker(s.stmt)
                if made is None:
                    continue
                for name in changed:   # (only the statements that may make it complex)
                    marked[name] = made
                    defined_by.setdefault(name, [])
                    if (s, name) not in defined_by[name]:
                        defined_by[name].append((s, name))
            elif isinstance(s, ir.Carry) and s.source in marked:   # (the source's makers)
                marked[s.target] = marked[s.source]
                defined_by.setdefault(s.target, [])
                defined_by[s.target] += [d for d in defined_by.get(s.source, ())
                                         if d not in defined_by[s.target]]
    return marked, defined_by


def _containers(statements):
    """The names Keeps bind to lists, tuples or dicts the function builds (``xs = []``): their
    items are what it puts in them, which ``_marks`` follows."""
    found = set()
    for s in statements:
        if isinstance(s, ir.Keep) and isinstance(s.stmt, ast.Assign) \
                and isinstance(s.stmt.value, (ast.List, ast.Tuple, ast.Dict)):
            found.update(s.defines)
    return found


def _receivers(stmt):
    """The names whose methods ``stmt`` calls (``xs.append(v)``: it may change them)."""
    return {n.func.value.id for n in ir.walk_tree(stmt) if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)}


def appended_call(keep, name):
    """The call ``name.append(v)`` that is ``keep``'s statement, or None."""
    stmt = keep.stmt
    call = stmt.value if isinstance(stmt, ast.Expr) else None
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
            and call.func.attr == "append" and isinstance(call.func.value, ast.Name) \
            and call.func.value.id == name and len(call.args) == 1 and not call.keywords:
        return call
    return None


def _expressions(s):
    """The expressions an IR statement (not a Keep) holds itself."""
    if isinstance(s, ir.Op):
        return [s.expr]
    found = []
    for value in vars(s).values():
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, ast.expr):
                found.append(v)
    return found


def _real_numpy(obj):
    """Whether ``obj`` is a function or type of NumPy's or of ``math`` that computes real
    values from real ones (NumPy's that make complex values are refused when transforming,
    or listed in MAY_BE_COMPLEX)."""
    owner = getattr(obj, "__self__", None)
    if isinstance(owner, (np.random.RandomState, np.random.Generator)):
        return True   # np.random.randn
    module = getattr(obj, "__module__", None) or ""
    if module == "math" or module == "adcompile.runtime":   # (private_copy and the like)
        return True
    if not (module == "numpy" or module.startswith("numpy.")) or module.startswith(
            ("numpy.fft", "numpy.polynomial", "numpy.lib.scimath")):
        return False
    return obj not in _NUMPY_COMPLEX


#: NumPy functions that may make complex values of real ones
_NUMPY_COMPLEX = (np.roots, np.sort_complex, np.linalg.eig, np.linalg.eigvals)


def _fractional(exponent):
    """Whether a power's exponent may not be an integer."""
    return not (isinstance(exponent, ast.Constant) and type(exponent.value) is int)


def _may_be_complex_call(call, resolve, registry, ndim_of, built):
    """Whether ``call`` may make a complex value from real arguments (``built``: the names of
    containers the function builds, whose methods give back what was put in)."""
    func = call.func
    if isinstance(func, ast.Name) and func.id == "pow" and len(call.args) >= 2 \
            and resolve(func) is builtins.pow:
        return _fractional(call.args[1]) and ndim_of(call.args[0]) in (0, None)
    obj = resolve(func)
    if obj is None:
        if isinstance(func, ast.Attribute):   # a method: real for an array or a number
            return ndim_of(func.value) is None and not (
                isinstance(func.value, ast.Name) and func.value.id in built)
        return True
    for module, names in MAY_BE_COMPLEX:
        loaded = sys.modules.get(module)
        if loaded is not None and any(getattr(loaded, n, None) is obj for n in names):
            return True
    if registry.rule_for(obj) is not None or registry.is_nondifferentiable(obj) \
            or registry.is_inert(obj) or _real_numpy(obj):
        return False
    if isinstance(obj, types.BuiltinFunctionType) and getattr(builtins, obj.__name__, None) \
            is obj:
        return obj.__name__ not in _REAL_BUILTINS
    if isinstance(obj, type) and obj.__module__ == "builtins":
        return obj.__name__ not in _REAL_BUILTINS
    return True


def may_make_complex(fn, ndim_of):
    """Whether ``fn`` raises a number to a power that may not be an integer with Python's
    ``**`` or ``pow`` (a negative float to the power 0.5 is complex there): then the
    gradients and tangents handed back go through ``as_gradient``, which refuses a complex
    one (and where a value not being differentiated that may be complex could not be checked
    where it is made: pipeline.guard_complex)."""
    if getattr(fn, "complex_possible", False):
        return True
    for s in ir.walk(fn.body):
        code = s.expr if isinstance(s, ir.Op) else s.stmt if isinstance(s, ir.Keep) else None
        for e in ir.walk_tree(code) if code is not None else ():
            if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Pow):
                base, exponent = e.left, e.right
            elif isinstance(e, ast.Call) and isinstance(e.func, ast.Name) \
                    and e.func.id == "pow" and len(e.args) == 2:
                base, exponent = e.args
            else:
                continue
            if not (isinstance(exponent, ast.Constant) and type(exponent.value) is int) \
                    and ndim_of(base) in (0, None):
                return True
    return False
