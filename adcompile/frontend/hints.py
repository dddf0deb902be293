"""The suggestions (``hint=``) of the errors for what has no adjoint rule."""

#: where the README shows how to write a rule
_README_RULES = "README: 'Your own primitives'"

#: the suggestion for a method of a value being differentiated that has no rule
METHOD_HINT = (f"call a function that has a rule instead (README: 'Supported primitives'), or "
               f"make the call in a function of your own marked @ad.primitive and give it an "
               f"adjoint ({_README_RULES})")


def rule_hint(called):
    """The suggestion for a call of ``called`` (as the user wrote it), which has no rule."""
    return f"give it a rule with ad.adjoint_rule({called}) or ad.primitive ({_README_RULES})"


def attribute_hint(registry):
    """The suggestion for reading an attribute without a rule of a value being
    differentiated: the attributes there are, and how to read another."""
    rules = ", ".join(f".{a}" for a in sorted(registry.by_attribute))
    plain = ", ".join(f".{a}" for a in sorted(registry.nondiff_attributes))
    return (f"the attributes of such a value adcompile reads are {rules} (differentiated) "
            f"and {plain} (not differentiated); read another in a function of your own "
            f"marked @ad.primitive and give it an adjoint ({_README_RULES})")
