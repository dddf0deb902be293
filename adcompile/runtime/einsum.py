"""The adjoint of an operand of np.einsum."""

import numpy as np


def _einsum_subscripts(spec):
    """The subscripts of each operand of ``np.einsum(spec, ...)`` and of its result, as lists
    of labels (a letter, or "..." for an ellipsis); the implicit result (no '->') spelled out."""
    def labels(s):
        head, dots, tail = s.partition("...")
        return list(head) + ([dots] if dots else []) + list(tail)

    spec = spec.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    inputs = [labels(s) for s in inputs.split(",")]
    if not arrow:   # NumPy's order: the ellipsis, then the letters used once, sorted
        letters = [c for s in inputs for c in s if c != "..."]
        once = sorted(c for c in set(letters) if letters.count(c) == 1)
        output = "".join((["..."] if any("..." in s for s in inputs) else []) + once)
    return inputs, labels(output)


def einsum_bar(z_bar, spec, a, b, k, *more):
    """The adjoint of operand ``k`` in ``z = np.einsum(spec, a, b, *more)``, or of ``a`` in
    ``z = np.einsum(spec, a)`` when ``b`` is None: z_bar contracted with the other operands onto
    operand k's subscripts, broadcast along a subscript used nowhere else ('ij->i'), put on
    the diagonal where a subscript repeats ('ii->i'), and, for an ellipsis, summed over the
    dimensions NumPy broadcast operand k's along ('...i,...i' of shapes (3, 1, 4) and (2, 4))."""
    # (an operand may be a list: np.einsum("i,i", x, [1.0, 2.0]))
    operands = [np.asarray(o) for o in ([a] if b is None else [a, b, *more])]
    dtype = np.result_type(z_bar, *operands, 1.0)   # a number z_bar: the operands' precision
    inputs, output = _einsum_subscripts(spec)
    mine, shape = inputs[k], np.shape(operands[k])
    others = [s for i, s in enumerate(inputs) if i != k]
    reach = set(output).union(*others)   # "..." too, where the ellipsis reaches z or another
    kept = list(dict.fromkeys(c for c in mine if c in reach))   # once each, in order
    # NumPy keeps the ellipsis's dimensions: where operand k has none, they are summed after
    lost = "..." in reach and "..." not in mine
    g = np.einsum(",".join("".join(s) for s in [output] + others) + "->"
                  + "".join(["..."] * lost + kept),
                  np.asarray(z_bar, dtype=dtype), *[o for i, o in enumerate(operands) if i != k])
    if lost:
        g = np.sum(g, axis=tuple(range(g.ndim - len(kept))))
    # the dimensions of operand k each label stands for
    n_dots = len(shape) - (len(mine) - 1) if "..." in mine else 0
    sizes, at = {}, 0
    for c in mine:
        width = n_dots if c == "..." else 1
        sizes.setdefault(c, []).append(shape[at:at + width])
        at += width
    if "..." in kept:
        g = _ellipsis_to(g, kept.index("..."), len(kept) - 1, sizes["..."][0])
    terms, factors, result = ["".join(kept)], [g], ""
    fresh = (c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in spec)
    seen = set()
    for c in mine:
        n = sizes[c].pop(0)      # its dimensions: one for a letter, any number for "..."
        if c in seen:            # a repeated subscript: only its diagonal is used
            f = next(fresh)
            terms.append(c + f)
            factors.append(np.eye(n[0], dtype=dtype))
            c = f
        elif c not in reach:     # summed over within this operand: every entry gets z_bar
            terms.append(c)
            factors.append(np.ones(n, dtype=dtype))
        seen.add(c)
        result += c
    return np.einsum(",".join(terms) + "->" + result, *factors)[()]


def _ellipsis_to(g, at, n_letters, dims):
    """``g`` with the ellipsis dimensions it has from position ``at`` (it has ``n_letters``
    other dimensions) made ``dims``, an operand's: summed over those NumPy broadcast the
    operand along (leading ones it lacks, its axes of length 1), broadcast along those the
    operand has and g lacks (an ellipsis summed within the operand)."""
    have = g.shape[at:g.ndim - (n_letters - at)]
    extra = len(have) - len(dims)
    if extra > 0:
        g = np.sum(g, axis=tuple(range(at, at + extra)))
        have = have[extra:]
    have = (1,) * (len(dims) - len(have)) + tuple(have)
    ones = tuple(at + i for i, (h, d) in enumerate(zip(have, dims)) if d == 1 and h != 1)
    g = np.reshape(g, g.shape[:at] + have + g.shape[g.ndim - (n_letters - at):])
    if ones:
        g = np.sum(g, axis=ones, keepdims=True)
    return np.broadcast_to(g, g.shape[:at] + tuple(dims) + g.shape[at + len(dims):])
