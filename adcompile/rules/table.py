"""The table of supported primitives in README.md, generated from the registry.

``python -m adcompile.rules.table`` prints it; tests/test_rules.py checks that
README.md holds exactly this table between its ``primitives`` markers.
"""

import inspect
import operator
import sys
from pathlib import Path

import numpy as np

from .. import runtime
from . import REGISTRY

START = "<!-- primitives:start -->"
END = "<!-- primitives:end -->"
SCIPY_START = "<!-- scipy-primitives:start -->"
SCIPY_END = "<!-- scipy-primitives:end -->"

_SYMBOLS = {operator.add: "`+`", operator.sub: "`-`", operator.mul: "`*`",
            operator.truediv: "`/`", operator.pow: "`**`", operator.neg: "`-x`",
            operator.pos: "`+x`", operator.matmul: "`@`", operator.getitem: "`x[i]`",
            np.absolute: "`np.abs`", operator.floordiv: "`//`", operator.mod: "`%`",
            operator.not_: "`not`", operator.invert: "`~`", operator.lt: "`<`",
            operator.le: "`<=`", operator.gt: "`>`", operator.ge: "`>=`", operator.eq: "`==`",
            operator.ne: "`!=`", runtime.with_item: "`x[i] = v`, `x[i] op= v`",
            runtime.added_at: "`np.add.at`", runtime.subtracted_at: "`np.subtract.at`"}
_NAMESPACES = [("np", np), ("np.linalg", np.linalg),
               ("np.lib.stride_tricks", np.lib.stride_tricks)]


def key_name(key):
    """How a user spells a rule's key: `np.exp`, `math.exp`, `+`, `abs`, `.sum()`, `.T`."""
    if isinstance(key, str):
        return f"`x{key}`"
    if key in _SYMBOLS:
        return _SYMBOLS[key]
    if not hasattr(key, "__name__"):   # an object indexed like np.r_[a, b]
        for prefix, namespace in _NAMESPACES:
            for name, value in vars(namespace).items():
                if value is key:
                    return f"`{prefix}.{name}[...]`"
    name = getattr(key, "__name__", repr(key))
    if isinstance(getattr(key, "__self__", None), np.ufunc):   # np.maximum.accumulate
        return f"`np.{key.__self__.__name__}.{name}`"
    for prefix, namespace in _NAMESPACES:
        if getattr(namespace, name, None) is key:
            return f"`{prefix}.{name}`"
    scipy_name = _scipy_name(key)   # (after NumPy's: scipy.special.sinc is np.sinc)
    if scipy_name:
        return scipy_name
    module = getattr(key, "__module__", None)
    if module in (None, "builtins"):
        return f"`{name}`"
    return f"`{module}.{name}`"


def _scipy_name(key):
    """`scipy.special.expit`, `scipy.stats.norm.logpdf` (a method of a distribution object),
    or None for a key not of SciPy's (or when SciPy is not loaded)."""
    for module in ("scipy.special", "scipy.stats", "scipy.linalg"):
        namespace = sys.modules.get(module)
        if namespace is None:
            continue
        if inspect.ismethod(key):
            for name, value in vars(namespace).items():
                if value is key.__self__:
                    return f"`{module}.{name}.{key.__name__}`"
        elif getattr(namespace, getattr(key, "__name__", ""), None) is key:
            return f"`{module}.{key.__name__}`"
    return None


def forward_mode(rule):
    """How ``ad.jvp`` gets the rule's tangent."""
    if rule.refusal:
        return "refused (no derivative, either mode)"
    if rule.tangent is not None:
        return "tangent rule"
    if rule.linear or rule.sequences:   # a sequence rule is linear in its list
        return "linear"
    if rule.shape.tangent_from_adjoint:
        return "from the adjoint"
    return "no"


def rows(scipy=False):
    """(keys, module, forward mode) for each rule adcompile registers for users' code (not the
    internal copy rule nor the adjoints of runtime helpers): SciPy's (``scipy=True``, the rules
    of rules/scipy/, registered when SciPy is installed) or the others."""
    here = Path(__file__).resolve().parent
    out = []
    for rule in REGISTRY.rules:
        path = Path(rule.filename).resolve()
        of_scipy = path.parent == here / "scipy"
        if path.parent not in (here, here / "scipy") or path.stem == "generated" \
                or not rule.keys or of_scipy != scipy:
            continue
        module = f"scipy/{path.stem}.py" if of_scipy else f"{path.stem}.py"
        out.append((", ".join(key_name(k) for k in rule.keys), module, forward_mode(rule)))
    return out


def markdown_table(scipy=False):
    lines = ["| primitive | rule module | forward mode |", "| --- | --- | --- |"]
    lines += [f"| {keys} | {module} | {fwd} |" for keys, module, fwd in rows(scipy)]
    return "\n".join(lines) + "\n"


def zero_gradient():
    """The functions treated as piecewise constant (zero gradient), as users spell them."""
    names = [key_name(obj) for obj in REGISTRY.nondiff_objects.values()
             if getattr(obj, "__module__", None) != "adcompile.runtime"]
    names += [f"`x.{m}()`" for m in sorted(REGISTRY.nondiff_methods)]
    names += [f"`x.{a}`" for a in sorted(REGISTRY.nondiff_attributes)]
    return ", ".join(names)


def readme_block():
    """The block README.md holds, markers included."""
    return (f"{START}\n<!-- generated by `python -m adcompile.rules.table`; do not edit -->\n"
            f"### Supported primitives\n\n{markdown_table()}\n"
            f"Zero gradient (piecewise constant, or not a number): {zero_gradient()}.\n{END}")


def scipy_block():
    """The block of SciPy's primitives README.md holds (generated with SciPy installed)."""
    return (f"{SCIPY_START}\n<!-- generated by `python -m adcompile.rules.table` with SciPy "
            f"installed; do not edit -->\n{markdown_table(scipy=True)}{SCIPY_END}")


if __name__ == "__main__":
    print(readme_block())
    if rows(scipy=True):
        print()
        print(scipy_block())
