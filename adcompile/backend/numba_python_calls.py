"""Calls numba's compiled code hands back to Python (backend="numba", jit.py).

A numba version of a helper is compiled for types; some of the Python helper's results
depend on values too (an integer product that leaves 64 bits, numba_integers.py; the
values of a loop's steps whose shapes differ, numba_steps.py). Where the compiled code
meets such values it raises a ``RunsAsPython``, and the backend runs that call of the
gradient as plain Python, which gives the Python helper's result."""


class RunsAsPython(Exception):
    """A call of numba's compiled code whose result the plain code gives, not numba's."""
