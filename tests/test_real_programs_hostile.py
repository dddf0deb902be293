"""Programs written the way practitioners write them, in styles an adversarial probe of
adcompile tried (objects, views changed in place, functional helpers, casts, iterations to
convergence), each one on which adcompile once gave a wrong gradient without an error.
Every gradient is checked against central finite differences and, where autograd has the
functions, against autograd.
"""

import autograd
import autograd.numpy as anp
import numpy as np
from conftest import assert_close, assert_grad

import adcompile as ad


def ridge_of_a_constant_vector(a, n=3):
    # a vector filled with one differentiated number: the adjoint of np.full sums over the
    # n entries (the shape 3 is a number, which cannot broadcast anything: the sum was
    # dropped and the gradient of the number a came back as an array of 3)
    v = np.full(n, a)
    return np.sum(v ** 2) + 0.5 * a


def test_a_vector_filled_with_a_number():
    for a in (0.7, -1.2):
        g = assert_grad(ridge_of_a_constant_vector, a)
        assert isinstance(g, float)
        assert_close(g, autograd.grad(lambda a: anp.sum(anp.full(3, a) ** 2) + 0.5 * a)(a),
                     1e-12, 1e-12)
    assert_grad(ridge_of_a_constant_vector, 0.7, 4)
