"""Adjoints of SciPy's functions (an optional dependency: this package is loaded when the
user's code has imported SciPy: see ``Registry.load_optional``), one module per part of
SciPy: special.py, normal.py, distributions.py and closed_forms.py (scipy.stats, whose rules
begin with the preludes of locations.py), linalg.py.

A user's call of ``scipy.special.logsumexp`` or ``scipy.stats.norm.logpdf`` is differentiated
at that call, as NumPy's functions are, never by reading SciPy's source. The templates'
free names (``scipy``, ``np``, ``math``, ``special``, ``stats``, ``linalg``) are looked up in
the module that declares the rule, as a user rule's are in its module. ``scipy.stats``
densities are methods of distribution objects (``scipy.stats.norm.logpdf``); the registry
finds them by object and method.
"""

from .. import adjoint, tangent


def rules_reading(namespace):
    """(``rule``, ``tangent_of``): ``adjoint`` and ``tangent`` for SciPy rules whose templates
    read the names of ``namespace`` (their module's globals)."""

    def rule(*objects, **options):
        def register(func):
            adjoint(*objects, **options)(func)
            from .. import REGISTRY
            REGISTRY.rule_for(objects[0]).user_globals = namespace
            return func
        return register

    def tangent_of(obj):
        def register(func):
            tangent(obj)(func)
            from .. import REGISTRY
            REGISTRY.rule_for(obj).tangent_globals = namespace
            return func
        return register

    return rule, tangent_of


from . import special, normal, distributions, closed_forms, linalg  # noqa: E402,F401  (registers the rules)
