"""``np.einsum`` calls in the forms the einsum rule takes: a subscripts string and one or
two operands.

- The sublist form ``np.einsum(x, [0, 1], [1, 0])`` becomes ``np.einsum('ab->ba', x)``
  when its sublists are literals.
- Three or more operands become a chain of two-operand calls, left to right, each
  keeping the indices that a later operand or the output still needs:
  ``'ij,jk,kl->il'`` is ``'ij,jk->ik'`` then ``'ik,kl->il'``.

The functions here work on subscripts only; ``normalize`` builds the calls.
"""

import ast
import string

ELLIPSIS = "..."


def tokens(subscripts):
    """'a...b' -> ['a', '...', 'b']."""
    out, i = [], 0
    while i < len(subscripts):
        if subscripts.startswith(ELLIPSIS, i):
            out.append(ELLIPSIS)
            i += 3
        else:
            out.append(subscripts[i])
            i += 1
    return out


def explicit(spec, count):
    """The subscripts ``spec`` of ``count`` operands with its output written out ('ij,jk'
    -> 'ij,jk->ik': NumPy's implicit output is the indices appearing once, sorted, after
    an ellipsis if any), without spaces; None if it is not a valid spec for them."""
    spec = spec.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    parts = inputs.split(",")
    if len(parts) != count or any(c not in string.ascii_letters + ".,->" for c in spec):
        return None
    if not arrow:
        seen = [t for p in parts for t in tokens(p)]
        once = sorted(t for t in set(seen) if t != ELLIPSIS and seen.count(t) == 1)
        output = (ELLIPSIS if ELLIPSIS in seen else "") + "".join(once)
    return ",".join(parts) + "->" + output


def from_sublists(args):
    """(subscripts, operand expressions) for the sublist form ``einsum(op0, sublist0, op1,
    sublist1, ..., [output sublist])`` with literal sublists of ints and ``...``, else
    None."""
    operands, subs = [], []
    for i in range(0, len(args) - 1, 2):
        sub = _sublist(args[i + 1])
        if sub is None:
            return None
        operands.append(args[i])
        subs.append(sub)
    output = None
    if len(args) % 2:
        output = _sublist(args[-1])
        if output is None:
            return None
    spec = ",".join(subs) + ("->" + output if output is not None else "")
    return explicit(spec, len(subs)), operands


def _sublist(node):
    if not isinstance(node, (ast.List, ast.Tuple)):
        return None
    letters = []
    for e in node.elts:
        if isinstance(e, ast.Constant) and e.value is Ellipsis \
                or isinstance(e, ast.Name) and e.id == "Ellipsis":
            letters.append(ELLIPSIS)
        elif isinstance(e, ast.Constant) and type(e.value) is int \
                and 0 <= e.value < len(string.ascii_letters):
            letters.append(string.ascii_letters[e.value])
        else:
            return None
    return "".join(letters)


def pairwise(spec):
    """The chain of two-operand subscripts that computes explicit ``spec`` left to right:
    [(subscripts, index of the right operand)], the left one being the previous result
    (operand 0 at first)."""
    inputs, _, output = spec.partition("->")
    parts = [tokens(p) for p in inputs.split(",")]
    out = tokens(output)
    steps, current = [], parts[0]
    for k in range(1, len(parts)):
        last = k == len(parts) - 1
        if last:
            kept = out
        else:
            needed = set(out).union(*parts[k + 1:])
            kept = []
            for t in current + parts[k]:
                if t in needed and t not in kept:
                    kept.append(t)
        steps.append(("".join(current) + "," + "".join(parts[k]) + "->" + "".join(kept), k))
        current = kept
    return steps
