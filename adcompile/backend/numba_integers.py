"""Python's integers in numba's compiled code (backend="numba").

numba computes with 64-bit machine integers where Python's are unbounded, and gives
``n ** -1`` of two integers as an integer (0) where Python gives a float (0.5): a
gradient that multiplies by such a number would silently differ from the plain code's.
The lowering (numba_lowering.py) makes each ``a * b``, ``a ** b`` and ``a << b`` of the
code a call of a version here: for two numbers of numba's ``Integer`` types, it computes
the result and checks it is Python's, and raises ``BeyondMachineIntegers`` where it is
not (a product or power that does not fit in 64 bits, a negative exponent or shift);
the backend (jit.py) then runs that call as plain Python. For anything else (floats,
arrays, a bool), the operator itself. Sums and differences are not checked: they leave
64 bits only from numbers that already fill them."""

from .numba_python_calls import RunsAsPython

#: the operators rewritten, by the name of their version
OPERATORS = {"Mult": "int_times", "Pow": "int_power", "LShift": "int_shifted"}


class BeyondMachineIntegers(RunsAsPython, ArithmeticError):
    """An integer operation of numba's compiled code whose result is not Python's."""


def integer_helpers(kinds, overload):
    """canonical name -> stub, their overloads registered."""
    from numba.core.errors import TypingError
    types = kinds.types
    checked = _checked()

    def integers(a, b):
        if not (isinstance(a, types.Integer) and isinstance(b, types.Integer)):
            return False
        if not (a.signed and b.signed):
            raise TypingError("an operation on unsigned integers (checked only for signed)")
        return True

    made = {}
    for name, plain in (("int_times", lambda a, b: a * b), ("int_power", lambda a, b: a ** b),
                        ("int_shifted", lambda a, b: a << b)):
        made[name] = _stub(overload, integers, checked[name], plain)
    return made


def _stub(overload, integers, checked, plain):
    def stub(a, b):
        raise NotImplementedError

    @overload(stub)
    def _stub(a, b):
        if not integers(a, b):
            return plain

        def exact(a, b):
            return checked(a, b)
        return exact
    return stub


def _checked():
    """The checked operations on two integers, compiled."""
    import numba

    smallest, largest = -(1 << 63), (1 << 63) - 1

    @numba.njit
    def times(a, b):
        # (bounds tested before multiplying: a test of the wrapped product, r // a != b,
        # the compiler may fold away, signed overflow being undefined for it; a product of
        # size 2 ** 63 or more runs as Python, even -2 ** 63 itself)
        if a == 0 or b == 0 or a == 1 or b == 1:
            return a * b
        if a == smallest or b == smallest or abs(a) > largest // abs(b):
            raise BeyondMachineIntegers("a product beyond 64 bits")
        return a * b

    @numba.njit
    def power(a, b):
        if b < 0:
            raise BeyondMachineIntegers("an integer to a negative power")
        result = 1
        base = a
        while b > 0:
            if b & 1:
                result = times(result, base)
            b >>= 1
            if b > 0:
                base = times(base, base)
        return result

    @numba.njit
    def shifted(a, b):
        if b < 0 or b >= 63 or a > (largest >> b) or a < (smallest >> b):
            raise BeyondMachineIntegers("a shift beyond 64 bits")
        return a << b

    return {"int_times": times, "int_power": power, "int_shifted": shifted}
