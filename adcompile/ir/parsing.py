"""``ast.parse`` for every module of adcompile, one thread at a time.

CPython 3.11 turns a parsed tree into Python objects keeping its recursion depth in
state that threads share; two threads parsing at once (two gradients made at their first
calls in two threads) can raise ``SystemError: AST constructor recursion depth mismatch``
(python/cpython#106905, fixed in 3.12.1). Parsing behind one lock costs nothing else:
adcompile parses when it makes code, never when the code runs.
"""

import ast
import threading

_lock = threading.Lock()


def parse(source, mode="exec"):
    """``ast.parse(source, mode=mode)``, in one thread at a time."""
    with _lock:
        return ast.parse(source, mode=mode)
