"""adcompile: reverse-mode automatic differentiation by source transformation.

``@ad.grad`` reads a function's source and emits a new Python function: the
forward statements, then the reversed adjoint ("bar") statements. Print it
with ``ad.show``; write it to a module with ``ad.build``. ``ad.jvp`` is forward
mode: each statement followed by its tangent ("dot") statement.
"""

from .api import build, check_grad, checkpoint, grad, graph, jvp, show, value_and_grad, vjp
from .errors import StaleGradient, TransformError
from .jacobians import hessian, jacobian
from .primitives import adjoint_rule, primitive, tangent_rule
from .runtime import stop_gradient
from .version import __version__  # noqa: F401

__all__ = ["StaleGradient", "TransformError", "adjoint_rule", "build", "check_grad",
           "checkpoint", "grad", "graph", "hessian", "jacobian", "jvp", "primitive", "show",
           "stop_gradient", "tangent_rule", "value_and_grad", "vjp"]
