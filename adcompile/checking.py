"""Central finite differences, the reference every gradient is checked against."""

import numpy as np


def numerical_gradient(f, args, index, eps=1e-6):
    """d f(*args) / d args[index] by central differences, in float64."""
    args = list(args)
    x = args[index]
    scalar = np.ndim(x) == 0 and not isinstance(x, np.ndarray)
    base = np.array(x, dtype=np.float64)
    g = np.zeros_like(base)
    flat = base.reshape(-1)
    gflat = g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        values = []
        for step in (eps, -eps):
            flat[i] = old + step
            args[index] = float(base) if scalar else base.copy()
            values.append(float(f(*args)))
        flat[i] = old
        gflat[i] = (values[0] - values[1]) / (2 * eps)
    return float(g) if scalar else g


def compare_with_finite_differences(f, args, positional, wrt, grads, eps, rtol, atol):
    worst = 0.0
    for name, g in zip(wrt, grads):
        index = positional.index(name)
        expected = numerical_gradient(f, args, index, eps)
        if np.shape(g) != np.shape(expected):
            raise AssertionError(f"gradient w.r.t. {name} has shape {np.shape(g)}, but "
                                 f"{name} has shape {np.shape(expected)}")
        expected = np.asarray(expected, dtype=np.float64)
        err = np.abs(np.asarray(g, dtype=np.float64) - expected)
        tol = atol + rtol * np.abs(expected)
        excess = err - tol
        i = np.unravel_index(np.argmax(excess), np.shape(excess)) if np.ndim(excess) else ()
        if excess[i] > 0:
            where = f"{name}[{', '.join(map(str, i))}]" if i else name
            raise AssertionError(
                f"gradient of {getattr(f, '__name__', repr(f))} w.r.t. {where}: adcompile gives "
                f"{np.asarray(g)[i]!r}, central finite differences give {expected[i]!r} "
                f"(absolute error {err[i]:.3g})")
        worst = max(worst, float(np.max(err)) if np.size(err) else 0.0)
    return worst
