"""Programs written the way practitioners write them, in styles an adversarial probe of
adcompile tried (objects, views changed in place, functional helpers, casts, iterations to
convergence), each one on which adcompile once gave a wrong gradient without an error.
Every gradient is checked against central finite differences and, where autograd has the
functions, against autograd.
"""

import collections
import functools
import time

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
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


def rate_read_back_from_its_text(w, lr):
    # the rate as text, as a config line or a log keeps it, read back as a number: an
    # f-string was taken to be a constant, so the gradient in lr came out 0
    tag = f"{lr}"
    rate = float(tag)
    return rate * np.sum(w ** 2)


def rate_read_back_from_percent_formatting(w, lr):
    return float("%.17g" % lr) * np.sum(w ** 2)


def loss_printed_as_it_goes(w, lr):
    loss = lr * np.sum(w ** 2)
    line = f"loss = {loss:.3f}, rate {lr}"
    print(line)
    print("loss = %.3f" % loss)
    return loss


def test_text_made_of_a_differentiated_value_is_refused_unless_only_printed():
    w = np.array([0.5, -1.5, 2.0])
    for f, line in ((rate_read_back_from_its_text, "rate = float(tag)"),
                    (rate_read_back_from_percent_formatting, "%.17g")):
        with pytest.raises(ad.TransformError, match="test_real_programs_hostile.py:") as info:
            ad.grad(f, wrt=(0, 1))(w, 0.1)
        assert line in str(info.value) and "stop_gradient" in str(info.value)
    assert_grad(loss_printed_as_it_goes, w, 0.1, wrt=(0, 1))


def weighted(f):
    # a decorator that weights a penalty; functools.wraps gives the wrapper the name and the
    # signature of the function it wraps, whose parameters differ from its own: the call was
    # bound to the wrapped function's parameters (s=1.0) and the wrapper's code inlined with
    # them (a value and gradient of half the true ones, without an error)
    @functools.wraps(f)
    def wrapper(x, s=2.0):
        return s * f(x)
    return wrapper


def timed(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        out = f(*args, **kwargs)
        print(f"{f.__name__}: {time.perf_counter() - start:.1e} s")
        return out
    return wrapper


@weighted
def smoothness(x, s=1.0):
    return s * np.sum(np.diff(x) ** 2)


@timed
def data_term(x, y, w=None):
    r = x - y
    if w is None:
        return np.sum(r ** 2)
    return np.sum(w * r ** 2)


def denoising_loss(x, y):
    return data_term(x, y) + smoothness(x) + data_term(x, y, w=0.5)


def test_helpers_wrapped_by_decorators_with_functools_wraps():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=6), rng.normal(size=6)
    g = assert_grad(denoising_loss, x, y, wrt=(0, 1))

    def twin(x, y):
        r = x - y
        return anp.sum(r ** 2) + 2.0 * anp.sum((x[1:] - x[:-1]) ** 2) + anp.sum(0.5 * r ** 2)
    for got, want in zip(g, autograd.grad(twin, (0, 1))(x, y)):
        assert_close(got, want, 1e-12, 1e-12)
    assert_grad(smoothness, x)


def weighted_sum_of_squares(x):
    # weights written as a list literal, the way a quick script writes them: the adjoint of
    # a product of two vectors multiplied the list by a number (a TypeError in the gradient)
    w = [0.5, 1.0, 2.0]
    return np.dot(w, x ** 2) + np.matmul(x, [1.0, -1.0, 0.5]) \
        + np.einsum("i,i", x, [0.25, 0.0, -2.0])


def test_products_with_a_list_of_weights():
    x = np.array([0.3, -0.7, 1.1])
    g = assert_grad(weighted_sum_of_squares, x)
    assert_close(g, autograd.grad(lambda x: anp.dot(anp.array([0.5, 1.0, 2.0]), x ** 2)
                                  + anp.dot(x, anp.array([1.0, -1.0, 0.5]))
                                  + anp.dot(x, anp.array([0.25, 0.0, -2.0])))(x),
                 1e-12, 1e-12)


class WeightNormalised(type):
    # a metaclass that rescales every layer's weights once its __init__ has run: the object
    # made was read off the __init__ alone (self.W = W), the metaclass's change unseen
    def __call__(cls, *args):
        layer = super().__call__(*args)
        layer.W = layer.W / np.sqrt(np.sum(layer.W ** 2))
        return layer


class NormalisedDense(metaclass=WeightNormalised):
    def __init__(self, W):
        self.W = W

    def __call__(self, x):
        return np.tanh(self.W @ x)


def normalised_layer_output(W, x):
    return np.sum(NormalisedDense(W)(x) ** 2)


class Dense:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def __call__(self, x):
        return np.tanh(self.W @ x + self.b)


class ScaledDense(Dense):
    def __call__(self, x):
        return 3.0 * super().__call__(x)


class ScaledByName(Dense):
    def __call__(self, x):
        return 3.0 * Dense.__call__(self, x)


def scaled_layer_output(W, x):
    return np.sum(ScaledDense(W, 0.1)(x) ** 2)


def scaled_by_name_output(W, x):
    return np.sum(ScaledByName(W, 0.1)(x) ** 2)


def test_a_layer_made_by_a_metaclass_is_refused():
    rng = np.random.default_rng(5)
    W, x = rng.normal(size=(3, 3)), rng.normal(size=3)
    with pytest.raises(ad.TransformError, match="test_real_programs_hostile.py:") as info:
        ad.grad(normalised_layer_output)(W, x)
    assert "NormalisedDense(W)" in str(info.value)


def test_a_method_calling_super_and_the_base_method_by_name():
    # super() reads self and the class through the method's frame: the generated code
    # called it without them (a RuntimeError when the gradient ran); it was refused, and
    # is now the method the object's class finds after ScaledDense (super_calls.py)
    rng = np.random.default_rng(6)
    W, x = rng.normal(size=(3, 3)), rng.normal(size=3)
    g = assert_grad(scaled_by_name_output, W, x)
    assert_close(g, autograd.grad(lambda W: anp.sum((3.0 * anp.tanh(anp.dot(W, x) + 0.1))
                                                     ** 2))(W), 1e-12, 1e-12)
    assert_close(assert_grad(scaled_layer_output, W, x), g, 1e-12, 1e-12)


def per_class_loss(scores, labels=(0, 1, 1, 0)):
    # losses summed per class in a defaultdict: item assignment into it was compiled as an
    # array's (a copy with the item written), whose adjoint failed on a dict
    totals = collections.defaultdict(float)
    for s, c in zip(scores, labels):
        totals[c] += (s - c) ** 2
    return totals[0] + 2.0 * totals[1]


def per_class_loss_in_an_array(scores, labels=(0, 1, 1, 0)):
    totals = np.zeros(2)
    for s, c in zip(scores, labels):
        totals[c] += (s - c) ** 2
    return totals[0] + 2.0 * totals[1]


def test_a_defaultdict_of_values_being_differentiated_is_refused():
    scores = np.array([0.3, 0.8, 1.4, -0.2])
    with pytest.raises(ad.TransformError, match="test_real_programs_hostile.py:") as info:
        ad.grad(per_class_loss)(scores)
    assert "totals[c] += (s - c) ** 2" in str(info.value) and "defaultdict" in str(info.value)
    assert_grad(per_class_loss_in_an_array, scores)


def filled_through_another_name(x):
    # one array under two names (a chained assignment), filled through one and read through
    # the other: the name read was taken for a constant zero array
    total = row = np.zeros(4)
    row[0] = 3.0 * x[0]
    row[1:] = x[1:] ** 2
    return np.sum(total) * x[1] + np.sum(row)


def first_entry_through_another_name(x):
    # (this one gave a wrong gradient without an error: [3.0, 0.9, 0, 0] for [0.9, 0.9, 0, 0])
    a = b = np.zeros(4)
    a[0] = x[0] * 3.0
    return np.sum(b) * x[1] + np.sum(a)


def moments_sharing_one_array(g):
    # m = v = np.zeros_like(g) makes ONE array: both updates land in it, as Python runs it
    m = v = np.zeros_like(g)
    m += 0.1 * g
    v += 0.01 * g ** 2
    return np.sum(m / (np.sqrt(v) + 1.0))


def test_a_chained_assignment_gives_one_array_two_names():
    x = np.array([0.3, -0.7, 1.1, 0.4])
    assert_grad(filled_through_another_name, x)
    assert_grad(first_entry_through_another_name, x)
    assert_grad(moments_sharing_one_array, np.abs(x))


def buffers_handed_out_by_a_tuple(x):
    # the first buffer handed out IS the work array: changing it changes work
    work = np.zeros(4)
    out, scratch = work, np.ones(4)
    out[0] = 3.0 * x[0]
    return np.sum(work) * x[1] + np.sum(out) + np.sum(scratch)


def buffer_for(work, like):
    return work


def buffer_handed_out_by_a_helper(x):
    work = np.zeros(4)
    out = buffer_for(work, x)
    out[0] = 3.0 * x[0]
    return np.sum(work) * x[1] + np.sum(out)


def test_an_array_changed_through_a_name_given_by_a_tuple_or_a_helper():
    # the other name's reads were kept as constants (its values right, its share of the
    # gradient lost: 3.0 for 0.9 in the first entry)
    x = np.array([0.3, -0.7, 1.1, 0.4])
    assert_grad(buffers_handed_out_by_a_tuple, x)
    assert_grad(buffer_handed_out_by_a_helper, x)
