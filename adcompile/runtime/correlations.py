"""What the adjoint of ``np.correlate`` needs to know of its mode."""

import numpy as np


def correlate_padding(a, v, mode="valid"):
    """(before, after): the entries of the full correlation of ``a`` and ``v`` (``n + m -
    1`` of them) before and after the part ``np.correlate(a, v, mode)`` returns. (Unlike
    np.convolve's, the part "same" returns sits one entry later when ``v`` is the longer
    and the shorter has an even length: NumPy swaps the operands then.)"""
    n, m = np.size(a), np.size(v)
    if mode == "full":
        return (0, 0)
    short = min(n, m)
    length = max(n, m) if mode == "same" else max(n, m) - short + 1
    start = ((short - 1) // 2 if n >= m else short // 2) if mode == "same" else short - 1
    return (start, n + m - 1 - start - length)
