"""The fuzzer's ``--backend numba``: a program checked OK without a backend is differentiated
again with ``backend="numba"`` and each result compared with the plain one.

The plain gradient has just been verified against finite differences, so the numba one is
compared with it tightly (``RTOL``: numba may sum in another order or compute ``exp`` to the
last bit differently), with the same shapes and dtypes; the one difference allowed is a
NumPy float where the plain code gives one and numba's code a Python float. A
``NumbaFallbackWarning`` (numba could not compile the code, the plain code runs) is not a
failure: it is recorded, and the summary counts the programs compiled and fallen back.
Any other exception, where the plain gradient ran, is a crash.
"""

import warnings

import numpy as np

import adcompile as ad

RTOL = 1e-9
ATOL = 1e-12


def _fallback_warning():
    from adcompile.backend.jit import NumbaFallbackWarning
    return NumbaFallbackWarning


def check_numba(f, call, params, wrt, checked, outcome_type, crash):
    """None and how numba ran ("compiled", "fell back" or "mixed"), or a failing Outcome and
    that. ``call``: the fuzzer's _call (fresh copies, mutation check); ``checked``: for each
    argument set checked OK, (kwargs, value, positional gradient, keyword gradient) of the
    plain code; ``crash``: the fuzzer's _crash."""
    positions = tuple(params.index(n) for n in wrt)
    stage, kwargs = "numba, transform", {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", _fallback_warning())
        try:
            by_position = ad.value_and_grad(f, wrt=positions, backend="numba")
            by_name = ad.grad(f, wrt=wrt, backend="numba")
            for kwargs, value, g_position, g_name in checked:
                for stage in ("numba, positional", "numba, positional, again"):
                    v, g = call(by_position, params, kwargs)
                    problem = _differs(stage, kwargs, (value, g_position), (v, g), outcome_type)
                    if problem is not None:
                        return problem, _how([by_position, by_name])
                stage = "numba, keywords"
                g = call(by_name, params, kwargs, True)
                problem = _differs(stage, kwargs, (None, g_name), (None, g), outcome_type)
                if problem is not None:
                    return problem, _how([by_position, by_name])
        except Exception as exc:  # noqa: BLE001 - the plain code ran: any error is a crash
            if type(exc).__name__ == "_Mutated":
                return outcome_type("wrong", f"the generated code ({stage}) changed its argument "
                                             f"{exc} in place", "wrong:numba:mutates",
                                    where=_printable(kwargs)), "?"
            return crash(f"call ({stage})", exc, f" at {_printable(kwargs)}"), "?"
    del caught
    return None, _how([by_position, by_name])


def _how(callables):
    """Whether the callables' variants ran compiled, fell back, or both."""
    variants = [v for c in callables for v in c.numba.variants]
    fell = sum(v.fallback is not None for v in variants)
    if not fell:
        return "compiled"
    return "fell back" if fell == len(variants) else "mixed"


def _printable(kwargs):
    return {k: tuple(np.ravel(v).tolist()) if isinstance(v, np.ndarray) else v
            for k, v in kwargs.items()}


def _differs(stage, kwargs, plain, numba, outcome_type):
    """An Outcome ("wrong") if numba's (value, gradient) is not the plain one's."""
    where = _printable(kwargs)
    (value, grads), (v, g) = plain, numba
    if value is not None:
        problem = _mismatch(value, v)
        if problem:
            return outcome_type("wrong", f"at {where}: value ({stage}) {problem}",
                                "wrong:numba:value", where=where)
    if not (isinstance(g, tuple) and len(g) == len(grads)):
        return outcome_type("wrong", f"at {where}: gradient ({stage}) {g!r}, plain {grads!r}",
                            "wrong:numba:structure", where=where)
    for i, (expected, got) in enumerate(zip(grads, g)):
        problem = _mismatch(expected, got)
        if problem:
            return outcome_type("wrong", f"at {where}: gradient {i} ({stage}) {problem}",
                                "wrong:numba:gradient", where=where)
    return None


def _mismatch(expected, got):
    """Why ``got`` (numba's) is not ``expected`` (the plain code's), or ''."""
    same_type = type(got) is type(expected) or \
        isinstance(expected, np.floating) and type(got) is float
    if not same_type:
        return f"is a {type(got).__name__} {got!r}, the plain code's a " \
               f"{type(expected).__name__} {expected!r}"
    if isinstance(expected, np.ndarray) and (expected.shape != got.shape
                                             or expected.dtype != got.dtype):
        return f"has shape {got.shape} dtype {got.dtype}, the plain code's {expected.shape} " \
               f"{expected.dtype}"
    if isinstance(expected, (tuple, list)):
        if len(expected) != len(got):
            return f"{got!r}, the plain code's {expected!r}"
        return next(filter(None, map(_mismatch, expected, got)), "")
    if not np.allclose(got, expected, rtol=RTOL, atol=ATOL, equal_nan=True):
        return f"{got!r}, the plain code's {expected!r}"
    return ""
