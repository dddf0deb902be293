"""Idioms of everyday Python code: imports inside the function, lambdas given to map,
filter, functools.reduce, sorted(key=), max(key=) and min(key=), ufuncs writing into an
array given as out= (and where=). Each gradient is checked against central finite
differences (``assert_grad``) and against autograd running the same code (a function
importing numpy inside runs under autograd with the import spelled for autograd), and
each form adcompile still refuses is refused at the user's line.
"""

import functools
import inspect
import operator
import textwrap

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from conftest import assert_close, assert_grad, with_autograd_numpy
from test_real_programs_ml import assert_leaves_close, leaf_gradients
from test_rules_library import gradient_differences

import adcompile as ad

rng = np.random.default_rng(7)
X = np.array([0.3, -1.2, 2.0, 0.7])


def autograd_twin(f, *replacements):
    """``f`` defined again from its source with each (old, new) text of ``replacements``
    replaced (``import numpy as np`` -> ``import autograd.numpy as np``), for autograd."""
    text = textwrap.dedent(inspect.getsource(f))
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    namespace = dict(f.__globals__)
    exec(compile(text, inspect.getsourcefile(f), "exec"), namespace)
    return namespace[f.__name__]


AUTOGRAD_NUMPY = ("import numpy as np", "import autograd.numpy as np")


def assert_autograd(f, x, twin=None):
    """adcompile's gradient of ``f`` at ``x`` equals autograd's of ``twin`` (``f`` with
    ``np`` as autograd.numpy by default)."""
    got = ad.grad(f)(x)
    if twin is None:
        want = with_autograd_numpy(globals(), autograd.grad(f), x)
    else:
        want = autograd.grad(twin)(x)
    assert_close(got, want, 1e-10, 1e-12, f"d{f.__name__} against autograd")


def refused_at(f, pattern, marker):
    """``ad.grad(f)`` called on ``X`` is refused with a message matching ``pattern``, at
    the line of ``f`` that holds ``marker``."""
    lines, first = inspect.getsourcelines(f)
    line = first + next(i for i, text in enumerate(lines) if marker in text)
    with pytest.raises(ad.TransformError, match=pattern) as info:
        ad.grad(f)(X.copy())
    assert info.value.lineno == line, str(info.value)
    assert info.value.filename == __file__


# -- imports inside the function ---------------------------------------------------------


def mlp_loss(w):
    import numpy as np
    W1 = w[:6].reshape(2, 3)
    h = np.tanh(np.array([0.5, -1.0]) @ W1)
    return np.sum(h ** 2) + 0.1 * np.sum(w ** 2)


def test_model_importing_numpy_inside():
    w = rng.normal(size=8)
    assert_grad(mlp_loss, w)
    assert_autograd(mlp_loss, w, autograd_twin(mlp_loss, AUTOGRAD_NUMPY))


def log_partition(x):
    from scipy.special import logsumexp
    import numpy as np
    return logsumexp(np.sin(x)) + np.sum(x ** 2)


def test_logsumexp_imported_inside():
    assert_grad(log_partition, X)
    twin = autograd_twin(log_partition, AUTOGRAD_NUMPY,
                         ("from scipy.special", "from autograd.scipy.special"))
    assert_autograd(log_partition, X, twin)


def scalar_math(a, b):
    import math
    return math.exp(a) * math.sin(b) + math.sqrt(a * a + 1.0)


def test_math_imported_inside():
    assert_grad(scalar_math, 0.4, 1.3, wrt=(0, 1))


def _normalise(v):
    import numpy as npx
    return v / npx.sqrt(npx.sum(v * v))


def uses_helper_importing(x):
    scale = lambda v: np.cos(v) * 2.0   # noqa: E731 (np: this module's, in a lambda)
    return np.sum(_normalise(x) * scale(x))


def test_helper_that_imports_inside_is_inlined():
    assert_grad(uses_helper_importing, X)


def lambda_reads_local_import(x):
    import numpy as np2
    act = lambda v: np2.tanh(v) * 3.0   # noqa: E731
    return np2.sum(act(x) ** 2)


def test_lambda_reads_the_local_import():
    assert_grad(lambda_reads_local_import, X)
    assert_autograd(lambda_reads_local_import, X,
                    autograd_twin(lambda_reads_local_import,
                                  ("import numpy as np2", "import autograd.numpy as np2")))


def product_by_reduce(x):
    import operator
    from functools import reduce
    return reduce(operator.mul, x, 1.0)


def test_reduce_and_operator_imported_inside():
    assert_grad(product_by_reduce, X)
    assert_autograd(product_by_reduce, X, product_by_reduce)


def r_rebound(x):
    import numpy as np  # ERR
    np = None
    return np


def r_read_before(x):
    s = np.sum(x)  # ERR
    import numpy as np
    return s


def r_relative(x):
    from .helpers import f  # ERR
    return f(x)


def r_failing(x):
    import no_such_module_for_adcompile  # ERR
    return x[0]


def r_in_if(x):
    if x[0] > 0:
        import math  # ERR
    return x[0]


@pytest.mark.parametrize("f, pattern", [
    (r_rebound, "bound again"), (r_read_before, "before the import"),
    (r_relative, "relative import"), (r_failing, "import failed.*no_such_module"),
    (r_in_if, "import inside an if.*top level")])
def test_imports_refused(f, pattern):
    refused_at(f, pattern, "# ERR")


# -- map, filter, reduce ----------------------------------------------------------------


def sum_of_squares(x):
    return sum(map(lambda v: v ** 2, x))


def tanh_of_layers(x):
    layers = [x, x ** 2, x[::-1] * 0.5]
    return np.sum(np.array(list(map(np.tanh, layers))))


def pairwise_products(x):
    return sum(map(lambda a, b: a * b, x, x[::-1] + 1.0))


def positive_part(x):
    return sum(filter(lambda v: v > 0, x * 2.0)) + sum(map(lambda v: v * 3.0,
                                                          filter(lambda v: v < 1.0, x)))


def mapped_then_filtered(x):
    return sum(filter(lambda v: v > 0.5, map(lambda v: v * 3.0, x)))


def mapped_list_is_a_list(x):
    ys = list(map(lambda v: v * v, x))
    ys.append(x[0] * 10.0)
    return ys[-1] + ys[1] + len(ys)


def map_walked_by_a_loop(x):
    s, w = 0.0, 1.0
    for v in map(lambda a: a * w, x):   # (w read at each call, as the lazy map does)
        s = s + v
        w = w + 1.0
    return s


def map_in_a_comprehension(x):
    return sum([v * k for k in map(lambda a: a + 1.0, x[:2]) for v in x])


def chain_by_reduce(x):
    mats = [np.outer(x, x), np.diag(x), np.eye(4) + x[0]]
    return np.sum(functools.reduce(lambda a, b: a @ b, mats))


def reduce_with_initial(x):
    def step(acc, v):
        return acc * 0.5 + np.sin(v)
    return functools.reduce(step, x, 1.0)


@pytest.mark.parametrize("f", [sum_of_squares, tanh_of_layers, pairwise_products,
                               positive_part, mapped_then_filtered, mapped_list_is_a_list,
                               map_walked_by_a_loop, map_in_a_comprehension, chain_by_reduce,
                               reduce_with_initial])
def test_functions_given_to_map_filter_reduce(f):
    assert_grad(f, X)
    assert_autograd(f, X)


def l2_penalty(params):
    return 0.1 * sum(map(lambda w: np.sum(w ** 2), params.values()))


def mlp_with_penalty(layers, x):
    h = x
    for W, b in layers:
        h = np.tanh(W @ h + b)
    return np.sum(h ** 2) + sum(map(lambda layer: np.sum(layer[0] ** 2), layers))


def test_map_over_structures():
    params = {"W": rng.normal(size=(2, 3)), "b": rng.normal(size=3)}
    layers = [(rng.normal(size=(3, 2)), rng.normal(size=3)),
              (rng.normal(size=(2, 3)), rng.normal(size=2))]
    x = rng.normal(size=2)
    for f, struct, rest in ((l2_penalty, params, ()), (mlp_with_penalty, layers, (x,))):
        got = ad.grad(f)(struct, *rest)
        assert_leaves_close(got, leaf_gradients(f, struct, *rest))
        assert_leaves_close(got, with_autograd_numpy(globals(), autograd.grad(f), struct,
                                                     *rest), 1e-10, 1e-12)


def _smooth_and_pick(v):
    return sum(map(lambda t: t * t, v)) + max(v, key=lambda t: -t)


def helper_using_map(x):
    return _smooth_and_pick(x) * 2.0


def ints_and_constants(x):
    idx = list(map(int, ["1", "2"]))          # not differentiated: as Python computes it
    order = sorted([3, 1, 2], key=lambda k: -k)
    return x[idx[0]] * order[0] + sum(filter(None, [0, 1, 2])) * x[2]


@pytest.mark.parametrize("f", [helper_using_map, ints_and_constants])
def test_idioms_in_helpers_and_on_constants(f):
    assert_grad(f, X)
    assert_autograd(f, X)


def map_kept(x):
    m = map(lambda v: v * 2.0, x)  # ERR
    return sum(m) + sum(m)   # (the second sum of a map object is 0 in Python)


def test_map_kept_as_an_object_is_refused():
    refused_at(map_kept, r"map\(\) here.*taken at once", "# ERR")


# -- sorted, min and max with key= -------------------------------------------------------


def smallest_rows(x):
    rows = [x[:2], x[2:], x[1:3] * 2.0]
    ordered = sorted(rows, key=lambda r: r[0])
    return ordered[0][1] * 3.0 + ordered[2][1] + ordered[1][0] ** 2


def largest_by_magnitude(x):
    return max(list(x), key=lambda v: abs(v)) * 2.0 + min(x[0], x[1], key=lambda v: v * v)


def descending_with_ties(x):
    ys = [x[0], x[1], x[0] * 1.0, x[2]]   # two keys tie: the sort is stable
    first = lambda v: 0.0 if v > 0 else 1.0   # noqa: E731 (keys: 0 0 1 0)
    s = sorted(ys, key=first, reverse=True)
    return s[0] * 1.0 + s[1] * 2.0 + s[2] * 3.0 + s[3] * 4.0


def first_of_the_greatest(x):
    ys = [x[1], x[0], x[3], x[2]]
    best = max(ys, key=lambda v: 0.0)   # all tie: the first
    return best * 5.0 + np.sum(max(ys, key=np.abs) * x)


@pytest.mark.parametrize("f", [smallest_rows, largest_by_magnitude, descending_with_ties,
                               first_of_the_greatest])
def test_sorted_min_max_with_key(f):
    assert_grad(f, X)
    assert_autograd(f, X)


def test_the_choice_is_pythons():
    # the gradient goes to the items Python chooses, on ties too: s = [x1, x0, x0, x2]
    assert_close(ad.grad(descending_with_ties)(X), np.array([5.0, 1.0, 4.0, 0.0]), 0, 0)
    # the first of the keys that tie (x1), then x2, of the greatest magnitude
    want = 5.0 * np.eye(4)[1] + X[2] + np.eye(4)[2] * np.sum(X)
    assert_close(ad.grad(first_of_the_greatest)(X), want, 1e-12, 1e-12)


def max_with_default(x):
    return max(x, key=lambda v: v * v, default=0.0)  # ERR


def sorted_pairs(x):
    pairs = [(x[0], x[1]), (x[2], x[3])]
    return sorted(pairs, key=lambda p: p[0])[0][1]  # ERR


def test_key_forms_refused():
    refused_at(max_with_default, r"lambda is passed to max\(\)", "# ERR")
    refused_at(sorted_pairs, r"'pairs' is a list of tuples", "# ERR")


# -- ufuncs writing into out= ------------------------------------------------------------


def doubled_into(x):
    y = np.empty_like(x)
    np.multiply(x, 2.0, out=y)
    return np.sum(y ** 2)


def added_in_place(x):
    a = x.copy()
    np.add(a, x ** 2, out=a)
    np.sin(a, a)   # (out by position)
    return np.sum(a * x)


def exp_into_buffer(x):
    buf = np.empty_like(x)
    z = np.exp(x, out=buf)
    t = np.tanh(x, out=(buf,))
    return np.sum(z * buf) + np.sum(t)


def _tanh_into(x):
    buf = np.zeros(4)
    return np.tanh(x, out=buf)


def returned_out(x):
    return np.sum(_tanh_into(x) ** 2)


def into_a_slice(x):
    y = np.ones((2, 4))
    np.multiply(x, 2.0, out=y[1:])
    buf = np.zeros(6)
    z = np.exp(x[:2], out=buf[1:3])   # z is the view buf[1:3]
    return np.sum(y ** 2) + np.sum(z * buf[2:4]) + buf[1]


def test_ufunc_out_as_an_array_update():
    for f in (doubled_into, added_in_place, exp_into_buffer, returned_out, into_a_slice):
        assert_grad(f, X)


def out_inside_an_expression(x):
    buf = np.empty_like(x)
    return np.sum(np.exp(x, out=buf))  # ERR


def where_without_a_safe_value(x):
    out = np.zeros_like(x)
    np.arccosh(x, out=out, where=x > 1.0)  # ERR
    return np.sum(out)


def test_out_forms_refused():
    refused_at(out_inside_an_expression, r"out= of np.exp is not supported", "# ERR")
    refused_at(where_without_a_safe_value, r"expression statement(.|\n)*hint: drop out= and "
               r"where=(.|\n)*np.where\(x > 1.0, np.arccosh\(x\), out\)", "# ERR")


def safe_reciprocal(x):
    out = np.zeros_like(x)
    np.divide(1.0, x, out=out, where=x > 0)
    return np.sum(out * x ** 2)


def safe_log(x):
    out = np.full_like(x, 3.0)
    np.log(x, out=out, where=x > 0.5)
    return np.sum(out * x)


def test_ufunc_where_gradient_is_finite_where_masked():
    at_zero = np.array([0.0, -1.2, 2.0, 0.7])   # 1 / 0 where the mask is False
    for f in (safe_reciprocal, safe_log):
        assert_grad(f, X)
        g = ad.grad(f)(at_zero)
        assert np.all(np.isfinite(g))
    twin = lambda x: anp.sum(anp.where(x > 0, 1.0 / anp.where(x > 0, x, 1.0), 0.0) * x ** 2)  # noqa
    assert_close(ad.grad(safe_reciprocal)(at_zero), autograd.grad(twin)(at_zero), 1e-12, 1e-12)
    with np.errstate(all="raise"):
        ad.grad(safe_reciprocal)(at_zero)


# -- second derivatives ------------------------------------------------------------------


@pytest.mark.parametrize("f", [sum_of_squares, chain_by_reduce, reduce_with_initial,
                               smallest_rows, largest_by_magnitude, map_walked_by_a_loop])
def test_second_derivatives_of_the_idioms(f):
    hessian = ad.hessian(f)(X)
    assert_close(hessian, gradient_differences(f, X), 1e-6, 1e-7)
    assert_close(hessian, with_autograd_numpy(globals(), autograd.hessian(f), X),
                 1e-10, 1e-12)


@pytest.mark.parametrize("f", [mlp_loss, added_in_place, safe_reciprocal])
def test_second_derivatives_with_imports_and_out(f):
    x = np.linspace(-0.5, 0.9, 8) if f is mlp_loss else X
    assert_close(ad.hessian(f)(x), gradient_differences(f, x), 1e-6, 1e-7)


# -- dict comprehensions over dicts and ranges the function builds ---------------------------

def squares_by_index(x):
    d = {i: x[i] ** 2 for i in range(3)}
    return d[0] * d[2] + d[1]


def layers_squared(x):
    layers = {"l1": x, "l2": x * 2}
    squared = {k: v ** 2 for k, v in layers.items()}
    totals = {k: np.sum(np.sin(v)) for k, v in squared.items()}
    return totals["l1"] + 3 * totals["l2"]


def labels_not_differentiated(x):
    names = {i: f"n{i}" for i in range(3)}
    return np.sum(x) * len(names)


def entries_on_some_steps(x):
    d = {i: np.sin(x[i]) for i in range(4) if i % 2 == 0}  # ERR
    return d[0] + d[2]


@pytest.mark.parametrize("f", [squares_by_index, layers_squared, labels_not_differentiated])
def test_dict_comprehensions_over_dicts_and_ranges_made_here(f):
    assert_grad(f, X)
    assert_autograd(f, X)
    hessian = ad.hessian(f)(X)
    assert_close(hessian, with_autograd_numpy(globals(), autograd.hessian(f), X),
                 1e-9, 1e-10, f"{f.__name__}'s hessian against autograd")


def test_a_dict_comprehension_whose_keys_depend_on_a_test_is_refused_at_its_line():
    refused_at(entries_on_some_steps, r"names a structure of values being differentiated on "
                                      r"some paths", "# ERR")


# -- f(*parts) of a tuple the function builds ------------------------------------------------

def hypot_of_pairs(x):
    total = 0.0
    for i in range(len(x) - 1):
        pair = (x[i], x[i + 1] ** 2)
        total = total + np.hypot(*pair)
    return total


def helper_of_a_tuple(x):
    def affine(a, b, c):
        return a * b + np.sin(c)
    args = (x[0], x[1] ** 2, x[2] * x[3])
    return affine(*args) + np.arctan2(*args[:2])


def tuple_bound_twice(x):
    parts = (x[0], x[1])
    if x[2] > 0:
        parts = (x[1], x[2], x[3])
    return np.hypot(*parts[:2])  # ERR


@pytest.mark.parametrize("f", [hypot_of_pairs, helper_of_a_tuple])
def test_starred_arguments_of_a_tuple_built_here(f):
    assert_grad(f, X)
    assert_autograd(f, X)


def test_starred_arguments_of_a_tuple_bound_twice_stay_refused():
    refused_at(tuple_bound_twice, r"starred arguments", "# ERR")


# -- a, b, *rest = value: the items read (starred.py) -----------------------------------------

def head_and_tail(x):
    first, *rest = x
    return first * np.sum(np.array(rest) ** 2)


def first_layer_apart(x):
    W0, *others = [np.outer(x, x), np.diag(x), np.eye(4) * x[0]]
    h = np.tanh(W0 @ x)
    for W in others:
        h = np.tanh(W @ h)
    return np.sum(h)


def least_squares_coefficients(x):
    A = np.vander(x, 3)
    coef, *_ = np.linalg.lstsq(A, np.cos(x), rcond=None)
    return np.sum(coef ** 2)


def unpacked_iterators(x):
    # (what Python unpacks is the items the iterator gives: list(value))
    first, *rest = zip([1.0, 2.0], [3.0, 4.0])
    mag, *others = map(abs, [x[0], -x[1], x[2]])
    return x[0] * first[0] * rest[0][1] + mag * others[1] + others[0] ** 2


def first_and_last(x):
    # (for a value of one item Python raises: so does the code, before it reads the items)
    a, *middle, z = x
    return a * z


@pytest.mark.parametrize("f", [head_and_tail, first_layer_apart, least_squares_coefficients,
                               unpacked_iterators, first_and_last])
def test_assignments_with_a_starred_name(f):
    assert_grad(f, X)
    if f is not least_squares_coefficients:   # (autograd has no lstsq)
        assert_autograd(f, X)
