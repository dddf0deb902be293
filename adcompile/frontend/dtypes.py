"""The ``dtype=`` of a reduction of values being differentiated (``np.sum(x,
dtype=np.float64)``): accepted only as a real floating type written in the code.

A floating type computes the result in that precision, and the rule sends the
adjoint back in the precision of the value reduced. An integer or bool type
truncates each entry first (its derivative is zero almost everywhere, which is
rarely what was meant), a complex type makes a complex value, and a type held
in a variable is known only when the code runs: all are refused. Part of
``normalize.Normalizer``.
"""

import ast

import numpy as np


class FloatingTypes:
    """Part of ``normalize.Normalizer``: the check of a rule's ``floating`` statics."""

    def check_floating(self, rule, slot, e, describe):
        """Refuse ``e``, given for the static ``slot`` of ``rule``, unless the rule lets it
        be anything (``slot`` is not among ``rule.floating``) or it names a real floating
        type (``None``, the default, too)."""
        if slot not in rule.floating or isinstance(e, ast.Constant) and e.value is None:
            return
        found = self._named_type(e)
        if found is not None and found.kind == "f":
            return
        if found is None:
            why = (f"{ast.unparse(e)!r} is not a type adcompile can read before the code "
                   f"runs (a variable, or a call)")
        elif found.kind in "biu":
            why = (f"{found} truncates each entry to an integer or bool first, whose "
                   f"derivative is zero almost everywhere; write .astype({ast.unparse(e)}) "
                   f"where the truncation is meant")
        else:
            why = f"{found} values are not real numbers"
        raise self.scope.src.error(e, f"{slot}= of {describe} on a value being differentiated "
                                      f"must be a real floating type written in the call "
                                      f"(np.float64, np.float32, float, 'float64'): {why}")

    def _named_type(self, e):
        """The NumPy dtype ``e`` spells (a string, or a name or attribute chain for a type
        or dtype), or None."""
        if isinstance(e, ast.Constant) and isinstance(e.value, str):
            spelled = e.value
        elif isinstance(e, (ast.Name, ast.Attribute)):
            called = self.callee(e)
            if called.kind != "object":
                return None
            spelled = called.what
            if not isinstance(spelled, (type, np.dtype)):
                return None
        else:
            return None
        try:
            return np.dtype(spelled)
        except TypeError:
            return None
