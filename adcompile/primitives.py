"""User-declared primitives: a function adcompile should not read, with the user's own rule.

For a function adcompile cannot read (a C extension, a SciPy function) or
should not (a numerically careful implementation whose derivative has a
better closed form), declare its adjoint in the same template notation the
built-in rules use::

    @ad.adjoint_rule(scipy.special.expit)
    def expit(y, x):
        x_bar += y_bar * y * (1 - y)

or mark a function of your own as a primitive and attach its rules::

    @ad.primitive
    def softplus(x):
        return np.logaddexp(0.0, x)

    @softplus.adjoint
    def _(y, x):
        x_bar += y_bar / (1 + np.exp(-x))

The template's first parameter names the result, the next ones the inputs, and
parameters with defaults are static keyword arguments. The rule is inlined
where the function is called, so it shows in ``ad.show`` and in built
modules; the names it reads (``np``, ``scipy``, helpers of your module) are
looked up where the rule is defined. ``shape`` says how the result's number
of dimensions follows from the inputs' ("elementwise", "same", "reduce",
"scalar", "unknown"); the default, "unknown", is always safe. Forward mode
needs a tangent: an elementwise rule has one already, others declare it with
``ad.tangent_rule`` (``y_dot += E`` lines, one per input).
"""

from .rules import REGISTRY, adjoint, result_shape, tangent


def adjoint_rule(func, *, shape="unknown", linear=False, constant=()):
    """Decorator: the decorated template is the adjoint rule of ``func``, which adcompile
    then treats as a primitive (it does not read or inline ``func``'s own code).

    An input the template gives no ``v_bar += ...`` line may receive a value being
    differentiated only if it is named in ``constant`` (its derivative is zero: an index,
    a condition, a shape); otherwise such a call is refused."""
    if not callable(func):
        raise TypeError(f"adjoint_rule needs the function the rule is for, got {func!r}")
    shape = result_shape(shape)   # an unknown name fails now, before the template comes

    def register(template):
        adjoint(func, shape=shape, linear=linear, constant=constant)(template)
        rule = REGISTRY.rule_for(func)
        rule.user_globals = template.__globals__   # where the template's free names live
        return template

    return register


def tangent_rule(func):
    """Decorator: the decorated ``y_dot += E`` template is ``func``'s tangent (forward mode);
    register its adjoint rule first."""

    def register(template):
        tangent(func)(template)
        REGISTRY.rule_for(func).tangent_globals = template.__globals__
        return template

    return register


def primitive(func=None, *, shape="unknown", linear=False, constant=()):
    """Mark ``func`` as a primitive; attach its rules with ``@func.adjoint`` and
    ``@func.tangent``. Usable as ``@ad.primitive`` or ``@ad.primitive(shape=...)``."""

    def mark(f):
        f._adcompile_primitive = True   # never inlined, even before its rule is attached
        f.adjoint = adjoint_rule(f, shape=shape, linear=linear, constant=constant)
        f.tangent = tangent_rule(f)
        return f

    return mark if func is None else mark(func)
