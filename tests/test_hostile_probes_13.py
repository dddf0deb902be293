"""Probe 13: programs the way scientists and ML students write them, in families the earlier
probes did not cover, each checked by ``check_program`` (probe 10's: central finite
differences in float64, leaf by leaf for structures, forward mode along random tangents and
the call by keywords for arrays, autograd where it runs the code as written), second
derivatives, float32 arguments and the numba backend on samples:

- python: pure-Python numerics over lists of floats and ``math``: ``sum`` of generator
  expressions, ``zip``/``enumerate``/``reversed``/``sorted(key=...)``/``map``, ``min``/``max``
  of lists and with ``key=``, ``abs``, ``round``, ``divmod``, ``float``/``int`` casts, while
  loops left on a tolerance (Newton, fixed points, bisection then Newton), tuples returned
  and unpacked, recursion (refused), Kahan summation, Simpson's rule on lists; ``match``,
  ``getattr(np, name)``, ``try``/``except``, ``for``/``else``, ``while True`` with ``break``.
- estimators: sklearn-style classes (``fit`` loops updating ``self.coef_``, ``predict``,
  ``score``, a scaler), losses (hinge, squared hinge, Huber by ``np.where`` and by masks,
  pinball, focal, triplet, contrastive, KL, Poisson, Tweedie, log-cosh, smooth L1, Dice,
  InfoNCE), elastic net and group lasso, label smoothing and class weights by fancy
  indexing, soft and hard k-means, leave-one-out ridge.
- indexing: fancy indexing with repeated indices (read, ``+=``, ``=``), boolean masks (read,
  write, ``*=``), ``np.where`` then assignment, ``argsort``/``take_along_axis``/
  ``put_along_axis``, ``searchsorted`` interpolation, ``cumsum``/``cumprod``/``diff`` (``n=``,
  ``prepend=``/``append=``)/``ediff1d``, ``repeat``/``tile``, negative strides, ``flip``,
  ``roll``, ellipsis and ``None``, ``.flat``, ``triu_indices``/``tril_indices``/
  ``diag_indices``, ``np.ix_``, ``take``, ``compress``/``extract``/``select``, ``lexsort``.
- dtypes: ints and bools mixed in, ``np.float64(...)``, 0-d arrays, Python ints not
  differentiated, ``keepdims``, ``axis=(0, 2)``, ``where=`` in ``sum``/``mean``/``max``,
  ``einsum`` traces, diagonals and ellipses, ``out=``, ``dtype=``; float32 arguments (their
  gradients float32, against the float64 gradient).
- methods: a cubic Hermite spline by hand, Catmull-Rom, Simpson, Gauss-Legendre from
  ``leggauss`` (1-d and 2-d), Newton/secant/bisection inside the function, fixed points,
  adaptive Euler-Heun and RK steps (``while`` + ``if``), a finite-volume step with a minmod
  limiter, upwind fluxes, superbee, implicit heat steps, Richardson, Chebyshev, ``polyval``,
  power iteration, conjugate gradients, RK4 Lotka-Volterra, Romberg, ``np.gradient`` with
  uneven spacing, ``np.interp``.
- geometry: quaternion products and rotations, Rodrigues, ``np.cross`` and norms along an
  axis, ``expm`` of a skew matrix, ray-sphere intersections with branches, barycentric
  coordinates, a soft rasteriser, signed distance functions with smooth minima, Procrustes,
  a pinhole camera, slerp, de Casteljau, Chamfer distances, vertex normals accumulated.
- second: Hessian-vector products by ``ad.grad`` of a function calling ``ad.grad``,
  gradient penalties, MAML-style inner steps, Newton steps by a Hessian by hand and by
  ``ad.hessian`` (refused).
- library: NumPy calls with their rarer arguments (``cholesky(upper=)``, ``vdot``/``dot``/
  ``inner``/``tensordot``/``kron`` of n-d arrays, ``trace``/``diagonal`` offsets, ufunc
  ``reduce``/``accumulate``/``outer``, ``copysign``, ``nan*`` functions, norms of every
  ``ord``, NumPy 2's array-API functions, ``append``/``insert``/``delete`` and the stacking
  family, ``np.block``, splits, ``cov``/``corrcoef``, ``lstsq``/``pinv``/``qr``, batched
  linear algebra, ``round``/``floor``/``mod``/``divmod``/``modf``, Python's ``divmod``/``%``/
  ``int`` of active values, ``histogram``, ``digitize``).
- idioms: chained indexing writes (``B[0][1] = v``, ``B[1:][0] = v``, ``B[mask][0] = v``),
  lists (``[0.0] * n``, ``xs[i] += v``, slices, ``extend``), starred unpacking of an array,
  builtins over arrays, ``math`` with two or more arguments, ``statistics``, ``.item(i, j)``,
  positional ``ddof``/``weights``, ``.fill``/``.sort`` in place, ``scipy.special`` and
  ``scipy.spatial.distance``, names shadowing builtins, ``from numpy import sum``, ``import
  numpy as onp``, keyword-only arguments, lists of arrays given to NumPy, methods of user
  classes named like NumPy's.
- ml: embeddings with repeated rows, word2vec, matrix factorisation by SGD in place,
  sparsemax, top-k, k-NN by ``argsort``, Sinkhorn in log space, 1-d Wasserstein, batch norm,
  dropout, Gumbel-softmax, mixup, im2col, causal masks, Viterbi, pool-adjacent-violators,
  scatter means, writes by masks, columns, overlapping fancy indices, negative steps, 0-d
  arrays updated in place.

What the probe found (fixed, with the regression tests in tests/test_update_shapes.py):

- **Wrong gradient**: a 0-d array updated in place (``s = np.zeros(())``, ``s += x[0]``),
  then shared (``t = s``) and updated again (``s += x[1] ** 2``) gave ``t`` the value before
  the second update (gradient [1, 0] for [1, 2 x1]): the generated ``s_2 = s + e`` is a
  NumPy scalar, where Python's ``s += e`` keeps the array, so the analysis took it for an
  immutable number and the check that ``t`` shares it passed (so for a 0-d array in a dict,
  ``state["loss"] += ...``, or appended to a list). The update's value is an array
  again (``require_update_shape``, emitted where ``x`` may be a 0-d array) and is not taken
  for a number (analysis/numbers.py): the program is refused when run, at its line.
- **Crash inside generated code**: ``s[...] = s * 2`` after ``s += v`` on a 0-d array
  (a running total) raised TypeError ('numpy.float64' object does not support item
  assignment) in the gradient and jvp code; it is differentiated now.

Everything else was differentiated right, or refused at this file's line (REFUSED, and
REFUSED_WHEN_RUN for the checks made when the code runs). Refusals that look
over-cautious, not changed here: ``sorted(zip(x, range(n)), key=...)`` (``zip`` in a call's
argument), ``max(range(n), key=lambda i: x[i])`` (an index from the input, though
``int(np.argmax(x))`` is differentiated), ``all(v > -10 for v in x)`` in a condition,
``acc[key] += v`` with ``key`` chosen by a conditional expression, ``xs.insert``/
``xs.extend``/``xs.sort()``/``xs[1:3] = [...]`` on lists of active values, ``[x[0]] * 3``,
recursion (direct and of a nested function), estimator objects whose ``fit`` sets
``self.coef_`` (``.score()``/``.transform()`` on the object), ``np.put``/
``np.put_along_axis``/``np.ediff1d``/``np.extract``/``np.lexsort``/``np.divmod``/``np.modf``/
``np.histogram``/``np.matvec``/``np.cumulative_prod``/``np.broadcast_arrays``/
``np.linalg.trace``/``np.logaddexp.accumulate``/``legval``/``math.dist``/``math.prod``/
``math.ldexp``/``scipy.special.huber``/``boxcox`` (no rules), ``A.flat`` read,
``np.linalg.cholesky(upper=True)``, ``vector_norm(A, ord=3, axis=0)`` of a matrix,
``np.std(A, 0, None, None, 1)`` (``ddof`` by position), ``np.sum(A, axis=0, out=s)`` as a
statement, ``svd`` with ``full_matrices=True`` (Procrustes), ``ad.hessian``/``ad.jacobian``/
``ad.value_and_grad`` called inside the function, a method of a class defined inside the
function (the message says it is defined inside a block), ``back[t] = np.argmax(...)`` into
an int array read later as an index (Viterbi), ``y.reshape(2, -1)[0] += 1``, chained writes
through slices and copies (``B[1:][0] = v``; ``B[mask][0] = v``, which Python drops); a
``match`` statement on a loss name, ``getattr(np, CONFIG["act"])``, ``functools.partial(
np.clip, ...)`` held in a variable, ``try``/``except ZeroDivisionError``, ``nonlocal``, and
lambdas made in a loop with ``k=k`` defaults (the message says the default is not a number,
though it is an int).
Not fixed, reported: ``np.nansum(x * data)`` with NaNs in the constant ``data`` has NaN
gradients there (0 times NaN, as for ``np.where``; autograd agrees); second derivatives
through ``np.linalg.lstsq`` and of ``multi_dot`` are refused; of programs whose value is
piecewise constant in the input (bisection), the Hessian is the exact one (zero), not what
finite differences of the gradient see.
"""

import functools
import math
import statistics
import warnings

import numpy as np
import numpy as onp
import pytest
import scipy.linalg
import scipy.spatial.distance
import scipy.special
from conftest import assert_close, assert_hessian
from numpy import exp as npexp
from numpy import sum as npsum
from numpy import tanh as nptanh
from probe_tables import ProbeTable, entry_ids
from test_hostile_probes_10 import check_program

import adcompile as ad

rng = np.random.default_rng(1313)
X3 = rng.normal(size=3)
X4 = rng.normal(size=4)
X5 = rng.normal(size=5)
X6 = rng.normal(size=6)
M3 = rng.normal(size=(3, 3))
M23 = rng.normal(size=(2, 3))
M34 = rng.normal(size=(3, 4))
B43 = rng.normal(size=(4, 3))
XB = rng.normal(size=(5, 3))
YB = rng.normal(size=5)
LABELS = np.array([0, 2, 1, 1, 0])
YPM = np.array([1.0, -1.0, 1.0, 1.0, -1.0])
Y01 = np.array([1.0, 0.0, 1.0, 1.0, 0.0])



# -- python: pure-Python numerics over lists of floats and math ------------------------------

def list_mean_var(xs):
    n = len(xs)
    mean = sum(xs) / n
    var = sum((x - mean) ** 2 for x in xs) / (n - 1)
    return mean + var


def list_of_floats_math(a, b):
    xs = [a, b, a * b, math.sin(a)]
    return math.sqrt(sum(x * x for x in xs)) + math.log1p(b * b)


def recursive_power(x, n=4):
    if n == 0:
        return 1.0
    return x * recursive_power(x, n - 1)


def recursive_factorial_series(x):
    def term(k):
        return x ** k / math.factorial(k)
    return sum(term(k) for k in range(8))


def newton_sqrt_while(a):
    x = a
    while abs(x * x - a) > 1e-12:
        x = 0.5 * (x + a / x)
    return x


def tuple_returned_unpacked(x):
    def polar(u, v):
        return math.hypot(u, v), math.atan2(v, u)
    r, theta = polar(x[0], x[1])
    return r * math.cos(theta / 2) + theta ** 2


def generator_sum_zip(w, x):
    return sum(wi * xi for wi, xi in zip(w, x)) ** 2


def enumerate_weighted(x):
    return sum(i * v ** 2 for i, v in enumerate(x))


def reversed_horner(coeffs, t):
    acc = 0.0
    for c in reversed(coeffs):
        acc = acc * t + c
    return acc


def sorted_by_key(x):
    pairs = sorted(zip(x, range(len(x))), key=lambda p: p[0])
    return sum(k * v for k, (v, _) in enumerate(pairs))


def min_max_of_list(x):
    xs = [x[0] ** 2, x[1] + 1.0, math.exp(x[2])]
    return max(xs) - min(xs) + max(xs[0], xs[1])


def abs_and_round(x):
    scale = round(3.7)
    return sum(abs(v) * scale for v in x)


def divmod_indexing(x):
    q, r = divmod(7, 3)
    return x[q] * x[r] + x[q + r] ** 2


def float_int_casts(x):
    n = int(x.shape[0])
    s = float(np.sum(x ** 2))
    return s / float(n) + float(x[0]) * 2


def int_cast_of_active_for_index(x):
    k = int(np.argmax(x))
    return x[k] * 3.0 + np.sum(x)


def python_list_accumulate(x):
    out = []
    total = 0.0
    for v in x:
        total += v
        out.append(total)
    return sum(o * o for o in out)


def math_fsum_of_products(x):
    return math.fsum([x[i] * x[i + 1] for i in range(len(x) - 1)])


def nested_list_matrix(A, v):
    rows = [[A[i, j] for j in range(3)] for i in range(3)]
    out = [sum(r[j] * v[j] for j in range(3)) for r in rows]
    return sum(o ** 2 for o in out)


def while_tolerance_fixed_point(a):
    x = 1.0
    for _ in range(200):
        new = math.cos(a * x)
        if abs(new - x) < 1e-14:
            break
        x = new
    return x


def bisection_then_newton(c):
    lo, hi = 0.0, 3.0
    while hi - lo > 1e-6:
        mid = 0.5 * (lo + hi)
        if mid ** 3 - c > 0:
            hi = mid
        else:
            lo = mid
    x = 0.5 * (lo + hi)
    for _ in range(3):
        x = x - (x ** 3 - c) / (3 * x ** 2)
    return x


def max_with_key(x):
    best = max(range(len(x)), key=lambda i: x[i])
    return x[best] ** 2 + x[0]


def sum_with_start(x):
    return sum((v ** 2 for v in x), 1.0) * sum(x, 0.5)


def any_all_conditions(x):
    if all(v > -10 for v in x) and any(v > 0 for v in x):
        return np.sum(x ** 3)
    return np.sum(x)


def list_comprehension_with_if(x):
    return sum(v * v for v in x if v > 0) + sum(math.exp(v) for v in x if v <= 0)


def dict_of_floats_accumulate(x):
    acc = {"a": 0.0, "b": 0.0}
    for i, v in enumerate(x):
        key = "a" if i % 2 == 0 else "b"
        acc[key] += v ** 2
    return acc["a"] * acc["b"]


def tuple_swap_fibonacci(x):
    a, b = x, 1.0
    for _ in range(5):
        a, b = b, a + b * 0.5
    return a * b


def map_and_lambda(x):
    return sum(map(lambda v: math.tanh(v) ** 2, x))


def math_functions_zoo(a):
    return (math.erf(a) + math.exp(-a * a) + math.atan(a) + math.log(1 + a * a)
            + math.cosh(a / 3) + math.pow(abs(a) + 1, 1.5) + math.expm1(a / 4))


def pow_builtin_and_operator(x):
    return pow(x[0] ** 2 + 1.0, 0.5) + x[1] ** 3 + 2 ** x[2]


def float_of_0d_mid_computation(x):
    s = float(x @ x)
    return s * math.sqrt(s) + np.sum(x) * s


def list_index_method(x):
    xs = list(x)
    xs.insert(1, x[0] * x[2])
    xs.pop()
    return sum(v ** 2 for v in xs) * xs[1]


def chained_comparisons(x):
    total = 0.0
    for v in x:
        if -0.5 < v < 0.5:
            total += v ** 2
        else:
            total += abs(v)
    return total


def python_ternary_relu(x):
    return sum(v if v > 0 else 0.01 * v for v in x)


def zip_strict_three(a, b, c):
    return sum(x * y - z for x, y, z in zip(a, b, c))


def range_step_reversed(x):
    total = 0.0
    for i in range(len(x) - 1, -1, -2):
        total = total * 0.5 + x[i] ** 2
    return total


def recursive_binary_tree_sum(x):
    def tree(lo, hi):
        if hi - lo == 1:
            return x[lo] ** 2
        mid = (lo + hi) // 2
        return tree(lo, mid) * tree(mid, hi) + 1.0
    return tree(0, len(x))


def round_in_differentiated(x):
    return np.sum(x * round(float(x[0]) * 0 + 2.4))


def int_argument_not_differentiated(x, n):
    total = 0.0
    for k in range(n):
        total += x[k % len(x)] ** (k + 1)
    return total


def statistics_by_hand(xs):
    n = len(xs)
    mu = sum(xs) / n
    sd = math.sqrt(sum((v - mu) ** 2 for v in xs) / n)
    return sum(((v - mu) / sd) ** 4 for v in xs) / n


def kahan_summation(x):
    s, c = 0.0, 0.0
    for v in x:
        y = v * v - c
        t = s + y
        c = (t - s) - y
        s = t
    return s


def list_sort_in_place(x):
    xs = [v ** 2 for v in x]
    xs.sort()
    return xs[0] + 2 * xs[-1]


def simpson_on_a_list(a):
    n = 8
    h = 1.0 / n
    ys = [math.exp(-a * (i * h) ** 2) for i in range(n + 1)]
    return h / 3 * (ys[0] + ys[-1] + 4 * sum(ys[1:-1:2]) + 2 * sum(ys[2:-1:2]))


def trapezoid_on_a_list_with_zip(a):
    ts = [0.1 * i for i in range(11)]
    ys = [math.sin(a * t) for t in ts]
    return sum(0.5 * (y0 + y1) * (t1 - t0) for t0, t1, y0, y1 in zip(ts, ts[1:], ys, ys[1:]))


PYTHON = [
    (list_mean_var, ([0.3, -1.2, 2.0, 0.7],), 0, False),
    (list_of_floats_math, (0.7, -0.4), (0, 1), False),
    (recursive_power, (1.3,), 0, True),
    (recursive_factorial_series, (0.8,), 0, True),
    (newton_sqrt_while, (2.5,), 0, False),
    (tuple_returned_unpacked, (X3,), 0, False),
    (generator_sum_zip, (X4, X4[::-1].copy()), (0, 1), True),
    (enumerate_weighted, (X5,), 0, True),
    (reversed_horner, ([1.0, -0.5, 0.25, 2.0], 0.7), (0, 1), False),
    (sorted_by_key, (X5,), 0, False),
    (min_max_of_list, (X3,), 0, False),
    (abs_and_round, (X4,), 0, True),
    (divmod_indexing, (X5,), 0, True),
    (float_int_casts, (X4,), 0, False),
    (int_cast_of_active_for_index, (X5,), 0, True),
    (python_list_accumulate, (X5,), 0, True),
    (math_fsum_of_products, (X5,), 0, False),
    (nested_list_matrix, (M3, X3), (0, 1), True),
    (while_tolerance_fixed_point, (0.9,), 0, False),
    (bisection_then_newton, (2.0,), 0, False),
    (max_with_key, (X5,), 0, False),
    (sum_with_start, (X4,), 0, True),
    (any_all_conditions, (X4,), 0, False),
    (list_comprehension_with_if, (X6,), 0, False),
    (dict_of_floats_accumulate, (X5,), 0, True),
    (tuple_swap_fibonacci, (0.6,), 0, True),
    (map_and_lambda, (X4,), 0, False),
    (math_functions_zoo, (0.7,), 0, False),
    (pow_builtin_and_operator, (X3,), 0, True),
    (float_of_0d_mid_computation, (X3,), 0, False),
    (list_index_method, (X4,), 0, False),
    (chained_comparisons, (X6,), 0, True),
    (python_ternary_relu, (X6,), 0, True),
    (zip_strict_three, (X3, X3 * 2, X3 ** 2), (0, 1, 2), True),
    (range_step_reversed, (X6,), 0, True),
    (recursive_binary_tree_sum, (X4,), 0, True),
    (round_in_differentiated, (X3,), 0, False),
    (int_argument_not_differentiated, (X3, 5), 0, True),
    (statistics_by_hand, ([0.3, -1.2, 2.0, 0.7, 1.1],), 0, False),
    (kahan_summation, (X5,), 0, True),
    (list_sort_in_place, (X4,), 0, False),
    (simpson_on_a_list, (0.9,), 0, False),
    (trapezoid_on_a_list_with_zip, (1.3,), 0, False),
]


# -- estimators: sklearn-style classes, textbook losses and regularisers ----------------------

class LinearRegressionGD:
    def __init__(self, lr=0.1, n_iter=5):
        self.lr = lr
        self.n_iter = n_iter

    def fit(self, X, y, w0):
        self.coef_ = w0
        for _ in range(self.n_iter):
            grad = X.T @ (X @ self.coef_ - y) / len(y)
            self.coef_ = self.coef_ - self.lr * grad
        return self

    def predict(self, X):
        return X @ self.coef_

    def score(self, X, y):
        resid = y - self.predict(X)
        return 1.0 - np.sum(resid ** 2) / np.sum((y - y.mean()) ** 2)


def estimator_fit_score(w0, X, y):
    return LinearRegressionGD().fit(X, y, w0).score(X, y)


def estimator_fit_data_gradient(X, w0, y):
    model = LinearRegressionGD(lr=0.05, n_iter=3)
    model.fit(X, y, w0)
    return np.sum(model.predict(X) ** 2)


class LogisticModel:
    def __init__(self, C=1.0):
        self.C = C

    def decision_function(self, X):
        return X @ self.coef_ + self.intercept_

    def predict_proba(self, X):
        return 1.0 / (1.0 + np.exp(-self.decision_function(X)))

    def loss(self, X, y):
        p = self.predict_proba(X)
        return (-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
                + 0.5 / self.C * np.sum(self.coef_ ** 2))


def logistic_model_attributes_set(w, X, y01):
    model = LogisticModel(C=2.0)
    model.coef_ = w[:-1]
    model.intercept_ = w[-1]
    return model.loss(X, y01)


def hinge_loss(w, X, ypm):
    margins = ypm * (X @ w)
    return np.mean(np.maximum(0.0, 1.0 - margins)) + 0.01 * w @ w


def squared_hinge(w, X, ypm):
    return np.sum(np.clip(1.0 - ypm * (X @ w), 0.0, None) ** 2)


def huber_by_where(r, delta=1.0):
    a = np.abs(r)
    return np.sum(np.where(a <= delta, 0.5 * r ** 2, delta * (a - 0.5 * delta)))


def huber_by_mask_assignment(r, delta=0.8):
    loss = 0.5 * r ** 2
    big = np.abs(r) > delta
    loss[big] = delta * (np.abs(r[big]) - 0.5 * delta)
    return loss.sum()


def pinball_loss(pred, y, tau=0.3):
    diff = y - pred
    return np.mean(np.maximum(tau * diff, (tau - 1) * diff))


def pinball_by_where(pred, y):
    taus = np.array([0.1, 0.5, 0.9])
    diff = y[:, None] - pred
    return np.sum(np.where(diff >= 0, taus * diff, (taus - 1) * diff))


def focal_loss(logits, y01, gamma=2.0, alpha=0.25):
    p = 1.0 / (1.0 + np.exp(-logits))
    pt = np.where(y01 == 1, p, 1 - p)
    at = np.where(y01 == 1, alpha, 1 - alpha)
    return -np.sum(at * (1 - pt) ** gamma * np.log(pt))


def triplet_loss(anchor, positive, negative, margin=0.5):
    dp = np.linalg.norm(anchor - positive, axis=1)
    dn = np.linalg.norm(anchor - negative, axis=1)
    return np.mean(np.maximum(dp - dn + margin, 0.0))


def contrastive_loss(e1, e2, same, margin=1.0):
    d = np.sqrt(np.sum((e1 - e2) ** 2, axis=-1) + 1e-12)
    return np.mean(same * d ** 2 + (1 - same) * np.maximum(margin - d, 0) ** 2)


def kl_divergence_logits(logits_p, logits_q):
    p = np.exp(logits_p - logits_p.max()) / np.exp(logits_p - logits_p.max()).sum()
    logq = logits_q - np.log(np.sum(np.exp(logits_q)))
    return np.sum(p * (np.log(p) - logq))


def poisson_deviance(log_mu, y):
    mu = np.exp(log_mu)
    return 2 * np.sum(np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0) - (y - mu))


def tweedie_deviance(log_mu, y, p=1.5):
    mu = np.exp(log_mu)
    dev = (y ** (2 - p) / ((1 - p) * (2 - p)) - y * mu ** (1 - p) / (1 - p)
           + mu ** (2 - p) / (2 - p))
    return 2 * np.sum(dev)


def elastic_net(w, X, y, alpha=0.1, l1_ratio=0.5):
    r = y - X @ w
    return (0.5 / len(y) * r @ r + alpha * l1_ratio * np.abs(w).sum()
            + 0.5 * alpha * (1 - l1_ratio) * np.square(w).sum())


def group_lasso(w, groups=((0, 1), (2,))):
    return sum(np.sqrt(len(g)) * np.linalg.norm(w[list(g)]) for g in groups)


def group_lasso_by_masks(W):
    groups = np.array([0, 0, 1])
    return sum(np.linalg.norm(W[groups == g]) for g in range(2))


def label_smoothing_ce(logits, labels, eps=0.1):
    n, k = logits.shape
    target = np.full((n, k), eps / k)
    target[np.arange(n), labels] += 1 - eps
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return -np.sum(target * logp) / n


def class_weighted_ce(logits, labels):
    weights = np.array([1.0, 2.5, 0.5])
    w = weights[labels]
    logp = logits - scipy.special.logsumexp(logits, axis=1, keepdims=True)
    return -np.sum(w * logp[np.arange(len(labels)), labels]) / w.sum()


def one_hot_by_eye(logits, labels):
    Y = np.eye(logits.shape[1])[labels]
    p = np.exp(logits) / np.exp(logits).sum(axis=1)[:, None]
    return -np.sum(Y * np.log(p))


def softmax_regression_fit(W, X, labels):
    for _ in range(3):
        Z = X @ W
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        P[np.arange(len(labels)), labels] -= 1
        W = W - 0.1 * X.T @ P / len(labels)
    Z = X @ W
    return np.sum(scipy.special.logsumexp(Z, axis=1) - Z[np.arange(len(labels)), labels])


class StandardScaler:
    def fit(self, X):
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0)
        return self

    def transform(self, X):
        return (X - self.mean_) / self.scale_


def scaler_then_ridge(X, w, y):
    Z = StandardScaler().fit(X).transform(X)
    return np.sum((Z @ w - y) ** 2) + np.sum(w ** 2)


def kmeans_soft_assignments(C, X):
    d2 = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1)
    r = np.exp(-d2) / np.exp(-d2).sum(axis=1, keepdims=True)
    return np.sum(r * d2)


def kmeans_hard_by_argmin(C, X):
    d2 = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1)
    assign = d2.argmin(axis=1)
    return np.sum((X - C[assign]) ** 2)


def svm_dual_objective(alpha, K, ypm):
    return np.sum(alpha) - 0.5 * np.sum(np.outer(alpha * ypm, alpha * ypm) * K)


def log_cosh_loss(pred, y):
    return np.sum(np.log(np.cosh(pred - y)))


def smooth_l1(pred, y, beta=0.5):
    d = np.abs(pred - y)
    return np.sum(np.where(d < beta, 0.5 * d ** 2 / beta, d - 0.5 * beta))


def dice_loss(logits, mask):
    p = 1 / (1 + np.exp(-logits))
    return 1 - (2 * np.sum(p * mask) + 1) / (np.sum(p) + np.sum(mask) + 1)


def cosine_embedding(a, b):
    cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return np.sum(1 - cos)


def infonce(za, zb, tau=0.5):
    za = za / np.linalg.norm(za, axis=1, keepdims=True)
    zb = zb / np.linalg.norm(zb, axis=1, keepdims=True)
    S = za @ zb.T / tau
    return -np.mean(np.diag(S) - scipy.special.logsumexp(S, axis=1))


def gaussian_nll_heteroscedastic(mu, log_var, y):
    return 0.5 * np.sum(log_var + (y - mu) ** 2 / np.exp(log_var))


def mean_absolute_percentage(pred, y):
    return np.mean(np.abs((y - pred) / y)) * 100


def r2_score_fn(pred, y):
    return 1 - ((y - pred) ** 2).sum() / ((y - y.mean()) ** 2).sum()


def pca_reconstruction(W, X):
    Xc = X - X.mean(axis=0)
    Z = Xc @ W
    return np.sum((Xc - Z @ W.T) ** 2)


def knn_soft_regression(query, X, y):
    d = np.linalg.norm(X - query, axis=1)
    w = np.exp(-d ** 2)
    return np.sum(w * y) / np.sum(w)


def perceptron_epochs_fixed(w, X, ypm):
    for i in range(len(ypm)):
        if ypm[i] * (X[i] @ w) <= 0:
            w = w + 0.1 * ypm[i] * X[i]
        else:
            w = w * 0.99
    return np.sum(w ** 2) + np.sum(X @ w)


def quantile_regression_multi(B, X, y):
    taus = np.array([0.25, 0.5, 0.75])
    r = y[:, None] - X @ B
    return np.sum(r * (taus - (r < 0)))


def weighted_least_squares_closed(X, y, sw):
    W = np.diag(sw)
    beta = np.linalg.solve(X.T @ W @ X, X.T @ W @ y)
    return np.sum(beta ** 2)


def ridge_cv_score(alpha, X, y):
    n = len(y)
    total = 0.0
    for k in range(n):
        keep = np.arange(n) != k
        Xt, yt = X[keep], y[keep]
        beta = np.linalg.solve(Xt.T @ Xt + alpha * np.eye(X.shape[1]), Xt.T @ yt)
        total += (y[k] - X[k] @ beta) ** 2
    return total / n


POS_Y = np.array([0.0, 2.0, 1.0, 4.0, 3.0])
LOGITS53 = rng.normal(size=(5, 3))

ESTIMATORS = [
    (estimator_fit_score, (X3, XB, YB), 0, False),
    (estimator_fit_data_gradient, (XB, X3, YB), 0, False),
    (logistic_model_attributes_set, (X4, XB, Y01), 0, False),
    (hinge_loss, (X3, XB, YPM), 0, True),
    (squared_hinge, (X3, XB, YPM), 0, True),
    (huber_by_where, (X6 * 2,), 0, True),
    (huber_by_mask_assignment, (X6 * 2,), 0, False),
    (pinball_loss, (X5, YB), (0, 1), True),
    (pinball_by_where, (rng.normal(size=(5, 3)), YB), (0, 1), True),
    (focal_loss, (X5, Y01), 0, True),
    (triplet_loss, (M34, M34 * 0.5 + 0.3, -M34), (0, 1, 2), True),
    (contrastive_loss, (M34, M34[::-1] + 0.2, np.array([1.0, 0.0, 1.0])), (0, 1), True),
    (kl_divergence_logits, (X4, X4[::-1].copy()), (0, 1), True),
    (poisson_deviance, (X5 * 0.3, POS_Y), 0, True),
    (tweedie_deviance, (X5 * 0.3, POS_Y + 0.5), 0, True),
    (elastic_net, (X3, XB, YB), 0, True),
    (group_lasso, (X3,), 0, False),
    (group_lasso_by_masks, (M34,), 0, False),
    (label_smoothing_ce, (LOGITS53, LABELS), 0, False),
    (class_weighted_ce, (LOGITS53, LABELS), 0, False),
    (one_hot_by_eye, (LOGITS53, LABELS), 0, True),
    (softmax_regression_fit, (M3 * 0.1, XB, LABELS), 0, False),
    (scaler_then_ridge, (XB, X3, YB), (0, 1), False),
    (kmeans_soft_assignments, (M23, XB), (0, 1), True),
    (kmeans_hard_by_argmin, (M23, XB), 0, True),
    (svm_dual_objective, (np.abs(X5), XB @ XB.T, YPM), 0, True),
    (log_cosh_loss, (X5, YB), 0, True),
    (smooth_l1, (X5, YB), (0, 1), True),
    (dice_loss, (X6, np.array([1.0, 0, 1, 1, 0, 0])), 0, True),
    (cosine_embedding, (M34, B43.T.copy()), (0, 1), True),
    (infonce, (M34, M34 + 0.2 * rng.normal(size=(3, 4))), (0, 1), False),
    (gaussian_nll_heteroscedastic, (X5, X5 * 0.2, YB), (0, 1), True),
    (mean_absolute_percentage, (X5, YB + 3.0), 0, True),
    (r2_score_fn, (X5, YB), (0, 1), True),
    (pca_reconstruction, (rng.normal(size=(3, 2)), XB), (0, 1), True),
    (knn_soft_regression, (X3, XB, YB), (0, 1), True),
    (perceptron_epochs_fixed, (X3, XB, YPM), 0, True),
    (quantile_regression_multi, (M3, XB, YB), 0, True),
    (weighted_least_squares_closed, (XB, YB, np.abs(X5) + 0.5), (0, 1, 2), True),
    (ridge_cv_score, (0.7, XB, YB), (0, 1), False),
]


# -- indexing: fancy, boolean, sorts, scans, flips and odd subscripts -------------------------

def fancy_read_repeated(x):
    idx = np.array([0, 2, 2, 4, 0, 0])
    return np.sum(x[idx] ** 2 * np.arange(6))


def fancy_iadd_repeated_argument_copy(x, v):
    y = x.copy()
    y[[1, 1, 3]] += v
    return np.sum(y ** 2)


def fancy_iadd_repeated_on_zeros(v):
    acc = np.zeros(4)
    acc[np.array([0, 0, 2])] += v
    return np.sum(np.sin(acc) * np.arange(1, 5))


def fancy_assign_repeated_last_wins(x, v):
    y = np.zeros(5)
    y[[2, 2, 4]] = v
    return np.sum(y * x)


def bool_mask_read(x):
    return np.sum(x[x > 0] ** 2) + np.sum(x[x <= 0])


def bool_mask_write_constant(x):
    y = x * 2.0
    y[y < 0] = 0.0
    return np.sum(y ** 2)


def bool_mask_write_values(x, z):
    y = x.copy()
    m = x > 0
    y[m] = z[m] * 3
    return np.sum(y * np.arange(len(x)))


def where_then_assignment(x):
    y = np.where(x > 0, x, 0.1 * x)
    y[0] = y[1] * y[2]
    return np.sum(y ** 2)


def where_one_arg_indices(x):
    (idx,) = np.where(x > 0)
    return np.sum(x[idx] ** 3)


def nonzero_indices(x):
    return np.sum(np.exp(x[np.nonzero(x < 0.5)]))


def argsort_take_along(A):
    order = np.argsort(A, axis=1)
    S = np.take_along_axis(A, order, axis=1)
    return np.sum(S * np.arange(A.shape[1]))


def put_along_axis_on_copy(A, v):
    B = np.zeros_like(A)
    idx = np.argmax(A, axis=1)[:, None]
    np.put_along_axis(B, idx, v[:, None], axis=1)
    return np.sum(B * A)


def searchsorted_interp(x, ys):
    grid = np.linspace(-3, 3, 7)
    i = np.clip(np.searchsorted(grid, x) - 1, 0, len(grid) - 2)
    t = (x - grid[i]) / (grid[i + 1] - grid[i])
    return np.sum((1 - t) * ys[i] + t * ys[i + 1])


def cumsum_cumprod_diff(x):
    return np.sum(np.cumsum(x) ** 2) + np.sum(np.cumprod(1 + 0.1 * x)) + np.sum(np.diff(x) ** 2)


def ediff1d_with_ends(x):
    return np.sum(np.ediff1d(x, to_begin=x[0], to_end=[1.0]) ** 2)


def diff_second_order_axis(A):
    return np.sum(np.diff(A, n=2, axis=1) ** 2) + np.sum(np.diff(A, axis=0) ** 2)


def repeat_and_tile(x):
    return np.sum(np.repeat(x, 3) * np.arange(3 * len(x))) + np.sum(np.tile(x, (2, 2)) ** 2)


def repeat_with_counts(x):
    return np.sum(np.repeat(x, [1, 0, 2]) ** 2 * np.array([1.0, 2, 3]))


def negative_stride_slices(x):
    return np.sum(x[::-1] * x) + np.sum(x[-2::-2] ** 2)


def flip_and_roll(A):
    return np.sum(np.flip(A, axis=0) * A) + np.sum(np.roll(A, 1, axis=1) * A) + np.sum(
        np.roll(A, -2) * np.flip(A))


def ellipsis_and_none(T):
    return np.sum(T[..., 0] ** 2) + np.sum(T[None, ..., None][0, :, 1, 0] * 3)


def flat_iter_read(A):
    return sum(v * i for i, v in enumerate(A.flat))


def flat_index_write(A):
    B = A.copy()
    B.flat[[0, 4, 8]] = 0.0
    return np.sum(B ** 2)


def triu_indices_read(A):
    iu = np.triu_indices(3, k=1)
    return np.sum(A[iu] ** 2)


def triu_indices_fill_from_vector(v):
    L = np.zeros((3, 3))
    L[np.tril_indices(3)] = v
    S = L @ L.T
    return np.trace(S) + np.sum(S[0])


def diag_indices_add(A):
    B = A.copy()
    B[np.diag_indices(3)] += 1.0
    return np.linalg.slogdet(B @ B.T)[1]


def ix_submatrix(A):
    return np.sum(A[np.ix_([0, 2], [1, 3])] ** 2)


def take_with_axis(A):
    return np.sum(np.take(A, [2, 0, 2], axis=1) ** 2)


def index_with_list_of_lists(A):
    return np.sum(A[[[0, 1], [2, 2]], [[1, 1], [0, 3]]])


def mixed_slice_and_fancy(T):
    return np.sum(T[:, [0, 2], 1:] ** 2)


def negative_index_assignment(x):
    y = np.empty_like(x)
    y[-1] = x[0]
    y[:-1] = x[1:] * 2
    return np.sum(y ** 2 * np.arange(len(x)))


def compress_and_extract(x):
    keep = np.array([True, False, True, True, False])
    return np.sum(np.compress(keep, x) ** 2) + np.sum(np.extract(x > 0, x))


def select_piecewise(x):
    return np.sum(np.select([x < -0.5, x > 0.5], [x ** 2, np.sin(x)], default=x))


def sort_then_trim(x):
    s = np.sort(x)
    return np.mean(s[1:-1])


def median_and_partition(x):
    return np.median(x) + np.sum(np.partition(x, 2)[:2])


def unique_inverse_group_sum(x):
    labels = np.array([2, 0, 2, 1, 0])
    uniq, inv = np.unique(labels, return_inverse=True)
    sums = np.zeros(len(uniq))
    np.add.at(sums, inv, x)
    return np.sum(sums ** 2)


def bincount_weights(x):
    labels = np.array([0, 1, 1, 3, 0])
    return np.sum(np.bincount(labels, weights=x, minlength=4) ** 2)


def argmax_one_hot_gather(A):
    k = A.argmax(axis=0)
    return np.sum(A[k, np.arange(A.shape[1])])


def lexsort_order(x):
    order = np.lexsort((x, np.array([1, 0, 1, 0, 1])))
    return np.sum(x[order] * np.arange(5))


def swapped_rows_by_fancy(A):
    B = A.copy()
    B[[0, 1]] = B[[1, 0]]
    return np.sum(B * np.arange(B.size).reshape(B.shape))


def newaxis_outer(x, y):
    return np.sum(np.tanh(x[:, np.newaxis] * y[np.newaxis, :]))


def boolean_two_d_mask_of_rows(A):
    keep = A.sum(axis=1) > -10
    return np.sum(A[keep][:, 1:] ** 2)


def int_array_index_from_float(x):
    idx = (np.abs(x) * 2).astype(int) % len(x)
    return np.sum(x[idx] * x)


def cumsum_reversed_discounting(r):
    return np.sum(np.cumsum(r[::-1] * 0.9 ** np.arange(len(r)))[::-1])


def cummax_by_accumulate(x):
    return np.sum(np.maximum.accumulate(x) * x)


def diff_prepend_append(x):
    return np.sum(np.diff(x, prepend=0.0, append=x[-1] * 2) ** 2)


def rot90_and_transpose(A):
    return np.sum(np.rot90(A) @ A) + np.sum(np.transpose(A) * np.fliplr(A.T))


def roll_2d_shift_tuple(A):
    return np.sum(np.roll(A, (1, -1), axis=(0, 1)) * A)


def put_into_copy(x):
    y = x.copy()
    np.put(y, [0, 2], [1.0, x[1] * 2])
    return np.sum(y ** 2)


def choose_from_stack(x, y):
    which = np.array([0, 1, 1, 0, 1])
    return np.sum(np.choose(which, [x, y]) ** 2)


def unravel_index_read(A):
    i, j = np.unravel_index(np.argmax(A), A.shape)
    return A[i, j] * A[j % 3, i] + np.sum(A)


def meshgrid_quadratic(a, b):
    X, Y = np.meshgrid(np.linspace(0, 1, 4), np.linspace(0, 1, 3))
    return np.sum((a * X + b * Y) ** 2)


def where_inplace_mask_mul(x):
    y = x * 1.0
    y[np.abs(y) < 0.3] *= 10
    return np.sum(y ** 2)


def fancy_setitem_two_d_repeated(A, v):
    B = np.zeros((3, 3))
    B[[0, 0, 1], [1, 1, 2]] += v
    return np.sum(B * A)


def flatnonzero_gather(x):
    return np.sum(x[np.flatnonzero(x > -0.5)] ** 2)


INDEXING = [
    (fancy_read_repeated, (X5,), 0, True),
    (fancy_iadd_repeated_argument_copy, (X5, 0.7), (0, 1), False),
    (fancy_iadd_repeated_on_zeros, (X3,), 0, False),
    (fancy_assign_repeated_last_wins, (X5, X3), (0, 1), False),
    (bool_mask_read, (X6,), 0, True),
    (bool_mask_write_constant, (X6,), 0, False),
    (bool_mask_write_values, (X6, X6[::-1].copy()), (0, 1), False),
    (where_then_assignment, (X5,), 0, False),
    (where_one_arg_indices, (X6,), 0, True),
    (nonzero_indices, (X6,), 0, True),
    (argsort_take_along, (M34,), 0, False),
    (put_along_axis_on_copy, (M34, X3), (0, 1), False),
    (searchsorted_interp, (X5, np.sin(np.linspace(-3, 3, 7))), (0, 1), False),
    (cumsum_cumprod_diff, (X5,), 0, False),
    (ediff1d_with_ends, (X5,), 0, True),
    (diff_second_order_axis, (M34,), 0, True),
    (repeat_and_tile, (X3,), 0, True),
    (repeat_with_counts, (X3,), 0, False),
    (negative_stride_slices, (X6,), 0, True),
    (flip_and_roll, (M34,), 0, False),
    (ellipsis_and_none, (rng.normal(size=(2, 3, 2)),), 0, True),
    (flat_iter_read, (M23,), 0, False),
    (flat_index_write, (M3,), 0, False),
    (triu_indices_read, (M3,), 0, True),
    (triu_indices_fill_from_vector, (X6,), 0, False),
    (diag_indices_add, (M3,), 0, False),
    (ix_submatrix, (M34,), 0, True),
    (take_with_axis, (M34,), 0, False),
    (index_with_list_of_lists, (M34,), 0, True),
    (mixed_slice_and_fancy, (rng.normal(size=(2, 3, 4)),), 0, True),
    (negative_index_assignment, (X5,), 0, False),
    (compress_and_extract, (X5,), 0, False),
    (select_piecewise, (X6,), 0, False),
    (sort_then_trim, (X6,), 0, True),
    (median_and_partition, (X5,), 0, False),
    (unique_inverse_group_sum, (X5,), 0, False),
    (bincount_weights, (X5,), 0, False),
    (argmax_one_hot_gather, (M34,), 0, True),
    (lexsort_order, (X5,), 0, False),
    (swapped_rows_by_fancy, (M34,), 0, False),
    (newaxis_outer, (X3, X4), (0, 1), True),
    (boolean_two_d_mask_of_rows, (M34,), 0, True),
    (int_array_index_from_float, (X5,), 0, False),
    (cumsum_reversed_discounting, (X5,), 0, True),
    (cummax_by_accumulate, (X5,), 0, False),
    (diff_prepend_append, (X5,), 0, False),
    (rot90_and_transpose, (M3,), 0, True),
    (roll_2d_shift_tuple, (M34,), 0, False),
    (put_into_copy, (X4,), 0, False),
    (choose_from_stack, (X5, X5 ** 2), (0, 1), False),
    (unravel_index_read, (M3,), 0, True),
    (meshgrid_quadratic, (0.3, -0.8), (0, 1), True),
    (where_inplace_mask_mul, (X6,), 0, False),
    (fancy_setitem_two_d_repeated, (M3, X3), (0, 1), False),
    (flatnonzero_gather, (X6,), 0, True),
]


# -- dtypes: float32, ints mixed in, numpy scalars, 0-d arrays, axis tuples, where=, einsum --

def float32_input_sum(x32):
    return np.sum(np.sin(x32) * x32)


def float32_matmul(W32, x):
    return np.sum(np.tanh(W32 @ x))


def int_array_mixed(x):
    counts = np.array([1, 2, 3, 4])
    return np.sum(x * counts) + np.sum(counts // 2 * x ** 2)


def int_array_true_divide(x):
    n = np.arange(1, 5)
    return np.sum(x / n) + np.sum(n / (1 + x ** 2))


def np_float64_scalars(x):
    a = np.float64(2.5)
    b = np.float64(x[0])
    return a * b ** 2 + np.sum(x) * np.float64(0.5)


def zero_d_array_argument(x0):
    return np.sin(x0) * x0 ** 2


def zero_d_array_from_sum(x):
    s = np.array(np.sum(x))
    return s * s + s.item() * 0 + s[()] ** 3


def python_int_argument(x, k):
    return np.sum(x ** k) + k * np.sum(x)


def keepdims_normalise(A):
    m = A.mean(axis=1, keepdims=True)
    s = A.std(axis=1, keepdims=True)
    return np.sum(((A - m) / s) ** 3)


def axis_tuple_reduction(T):
    return np.sum(T.sum(axis=(0, 2)) ** 2) + np.sum(np.max(T, axis=(1, 2)))


def mean_axis_tuple_keepdims(T):
    return np.sum(T / T.mean(axis=(0, 2), keepdims=True))


def where_in_sum(x):
    return np.sum(x ** 2, where=x > 0) + np.sum(x, where=x < 0, initial=1.0)


def where_in_mean(A):
    return np.mean(A ** 2, where=A > -0.5) + np.mean(A, axis=1, where=A > 0).sum()


def where_in_max(x):
    return np.max(x, where=x < 1.0, initial=-10.0) + np.min(x ** 2, where=x > -1, initial=5.0)


def einsum_trace(A):
    return np.einsum("ii->", A @ A) + np.einsum("ii", A)


def einsum_diagonal(A):
    return np.sum(np.einsum("ii->i", A) ** 2)


def einsum_ellipsis_batch(T, W):
    return np.sum(np.einsum("...ij,jk->...ik", T, W) ** 2)


def einsum_ellipsis_trace(T):
    return np.sum(np.einsum("...ii->...", T) ** 2)


def einsum_repeated_three(A, x):
    return np.einsum("ij,ij,j->", A, A, x)


def einsum_outer_diag(x):
    return np.sum(np.einsum("i,i->i", x, x) * np.arange(len(x)))


def out_argument_into_new(x):
    y = np.empty_like(x)
    np.multiply(x, x, out=y)
    np.add(y, 1.0, out=y)
    return np.sum(np.log(y))


def out_argument_reduction(A):
    s = np.empty(A.shape[1])
    np.sum(A ** 2, axis=0, out=s)
    return np.sum(np.sqrt(s))


def dtype_argument_in_sum(x):
    return np.sum(x ** 2, dtype=np.float64) + np.mean(x, dtype=np.float64)


def bool_times_float(x):
    m = x > 0
    return np.sum(m * x ** 2) + np.sum((~m) * x)


def int_power_of_float(x):
    return np.sum(x ** np.array([1, 2, 3]))


def float_power_of_int_base(x):
    return np.sum(np.array([2, 3, 4]) ** x)


def complex_free_abs_int(x):
    return np.sum(np.abs(x) * np.abs(np.array([-1, 2, -3])))


def numpy_scalar_argument(s, x):
    return np.sum(x * s) + s ** 2


def shape_from_argument(x):
    n, = x.shape
    out = np.zeros(n + 1)
    out[1:] = x
    out[0] = n
    return np.sum(out ** 2)


def ones_like_dtype_int(x):
    w = np.ones_like(x, dtype=int)
    return np.sum(w * x ** 2)


def full_like_float(x):
    return np.sum(np.full_like(x, 2.0) * x + np.zeros_like(x))


def np_prod_axis_keepdims(A):
    return np.sum(np.prod(A, axis=0, keepdims=True) * A)


def norm_ord_and_axis(A):
    return (np.linalg.norm(A, axis=1).sum() + np.linalg.norm(A, ord=1, axis=0).sum()
            + np.linalg.norm(A, "fro") + np.linalg.norm(A, ord=np.inf, axis=1).sum())


def var_ddof_axis_tuple(T):
    return np.sum(T.var(axis=(0, 1), ddof=1))


def int_division_index(x):
    n = len(x) // 2
    return np.sum(x[:n] ** 2) - np.sum(x[n:])


def average_with_weights_axis(A, w):
    return np.sum(np.average(A, axis=1, weights=w) ** 2)


def linspace_endpoints_active(a, b):
    t = np.linspace(a, b, 5)
    return np.sum(np.sin(t))


def arange_float_grid(a):
    t = np.arange(0.0, 1.0, 0.25)
    return np.sum(np.exp(-a * t))


def cast_via_float_builtin_in_loop(x):
    total = 0.0
    for i in range(len(x)):
        total += float(x[i]) ** 2
    return total


def int_array_argument_index(x, idx):
    return np.sum(x[idx] ** 2)


def zero_d_indexing_result(A):
    v = A[1, 2]
    return v * np.sum(A) + np.ndim(v)


def sum_of_bool_count(x):
    n = np.sum(x > 0)
    return np.sum(x) * n + np.count_nonzero(x < 0)


def clip_int_bounds(x):
    return np.sum(np.clip(x, -1, 1) ** 2)


def float32_constant_with_float64(x):
    c = np.float32(0.1)
    return np.sum(c * x ** 2)


def uint8_image_scaled(w):
    img = np.array([[0, 128, 255], [64, 32, 16]], dtype=np.uint8)
    return np.sum((img / 255.0) @ w)


DTYPES = [
    (int_array_mixed, (X4,), 0, True),
    (int_array_true_divide, (X4,), 0, True),
    (np_float64_scalars, (X3,), 0, False),
    (zero_d_array_argument, (np.array(0.7),), 0, True),
    (zero_d_array_from_sum, (X3,), 0, False),
    (python_int_argument, (X3, 3), 0, True),
    (keepdims_normalise, (M34,), 0, True),
    (axis_tuple_reduction, (rng.normal(size=(2, 3, 4)),), 0, True),
    (mean_axis_tuple_keepdims, (rng.normal(size=(2, 3, 4)) + 3,), 0, True),
    (where_in_sum, (X6,), 0, False),
    (where_in_mean, (M34,), 0, False),
    (where_in_max, (X6,), 0, False),
    (einsum_trace, (M3,), 0, False),
    (einsum_diagonal, (M3,), 0, False),
    (einsum_ellipsis_batch, (rng.normal(size=(2, 3, 3)), M34), (0, 1), True),
    (einsum_ellipsis_trace, (rng.normal(size=(2, 3, 3)),), 0, False),
    (einsum_repeated_three, (M34, X4), (0, 1), True),
    (einsum_outer_diag, (X4,), 0, True),
    (out_argument_into_new, (X4,), 0, False),
    (out_argument_reduction, (M34,), 0, False),
    (dtype_argument_in_sum, (X4,), 0, False),
    (bool_times_float, (X6,), 0, True),
    (int_power_of_float, (X3,), 0, True),
    (float_power_of_int_base, (X3,), 0, True),
    (complex_free_abs_int, (X3,), 0, True),
    (numpy_scalar_argument, (np.float64(1.5), X3), (0, 1), False),
    (shape_from_argument, (X4,), 0, False),
    (ones_like_dtype_int, (X4,), 0, True),
    (full_like_float, (X4,), 0, True),
    (np_prod_axis_keepdims, (M34,), 0, True),
    (norm_ord_and_axis, (M34,), 0, False),
    (var_ddof_axis_tuple, (rng.normal(size=(2, 3, 4)),), 0, False),
    (int_division_index, (X5,), 0, True),
    (average_with_weights_axis, (M34, np.abs(X4) + 0.1), (0, 1), False),
    (linspace_endpoints_active, (0.2, 1.7), (0, 1), False),
    (arange_float_grid, (0.9,), 0, True),
    (cast_via_float_builtin_in_loop, (X4,), 0, False),
    (int_array_argument_index, (X5, np.array([0, 4, 4, 1])), 0, True),
    (zero_d_indexing_result, (M3,), 0, True),
    (sum_of_bool_count, (X6,), 0, False),
    (clip_int_bounds, (X6 * 2,), 0, True),
    (float32_constant_with_float64, (X3,), 0, False),
    (uint8_image_scaled, (X3,), 0, False),
]


# -- methods: splines, quadrature, roots, fixed points, adaptive ODEs, limiters ---------------

def hermite_spline_by_hand(ys, t):
    xs = np.linspace(0.0, 1.0, len(ys))
    m = np.gradient(ys, xs)
    i = min(int(t * (len(ys) - 1)), len(ys) - 2)
    h = xs[i + 1] - xs[i]
    s = (t - xs[i]) / h
    h00 = 2 * s ** 3 - 3 * s ** 2 + 1
    h10 = s ** 3 - 2 * s ** 2 + s
    h01 = -2 * s ** 3 + 3 * s ** 2
    h11 = s ** 3 - s ** 2
    return h00 * ys[i] + h10 * h * m[i] + h01 * ys[i + 1] + h11 * h * m[i + 1]


def catmull_rom_vectorised(P, ts):
    out = 0.0
    for t in ts:
        p0, p1, p2, p3 = P[0], P[1], P[2], P[3]
        q = 0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                   + (-p0 + 3 * p1 - 3 * p2 + p3) * t ** 3)
        out = out + np.sum(q ** 2)
    return out


def simpson_vectorised(a, b):
    x = np.linspace(0.0, np.pi, 21)
    y = np.exp(-a * x) * np.sin(b * x)
    h = x[1] - x[0]
    return h / 3 * (y[0] + y[-1] + 4 * y[1:-1:2].sum() + 2 * y[2:-1:2].sum())


def gauss_legendre(theta):
    nodes, weights = np.polynomial.legendre.leggauss(6)
    t = 0.5 * (nodes + 1)
    return 0.5 * np.sum(weights * np.exp(-theta[0] * t ** 2) * np.cos(theta[1] * t))


def gauss_legendre_two_d(a):
    n, w = np.polynomial.legendre.leggauss(4)
    X, Y = np.meshgrid(n, n)
    W = np.outer(w, w)
    return np.sum(W * np.exp(-a * (X ** 2 + Y ** 2)))


def trapezoid_cumulative(k):
    t = np.linspace(0, 2, 11)
    y = np.exp(-k * t)
    return np.sum(np.cumsum(0.5 * (y[1:] + y[:-1]) * np.diff(t)))


def newton_root_inside(a):
    x = 1.0
    while True:
        fx = x ** 3 + a * x - 2.0
        if abs(fx) < 1e-13:
            break
        x = x - fx / (3 * x ** 2 + a)
    return x


def newton_root_fixed_iterations(a):
    x = np.ones_like(a)
    for _ in range(30):
        x = x - (x ** 3 + a * x - 2.0) / (3 * x ** 2 + a)
    return np.sum(x ** 2)


def bisection_vector_then_newton(c):
    lo, hi = np.zeros_like(c), np.full_like(c, 5.0)
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        above = mid ** 2 > c
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    x = 0.5 * (lo + hi)
    x = x - (x ** 2 - c) / (2 * x)
    return np.sum(x)


def fixed_point_contraction(theta):
    z = np.zeros(3)
    for _ in range(60):
        z = np.tanh(theta @ z + 1.0)
    return np.sum(z)


def adaptive_euler_heun(k):
    t, y, h = 0.0, 1.0, 0.1
    while t < 1.0:
        h = min(h, 1.0 - t)
        y1 = y + h * (-k * y)
        y2 = y + 0.5 * h * (-k * y - k * y1)
        if abs(y2 - y1) < 1e-3:
            t += h
            y = y2
            h *= 1.5
        else:
            h *= 0.5
    return y


def adaptive_rk_vector(p):
    y = np.array([1.0, 0.0])
    t, h = 0.0, 0.05

    def f(y):
        return np.array([y[1], -p[0] * y[0] - p[1] * y[1]])

    while t < 1.0 - 1e-12:
        h = min(h, 1.0 - t)
        k1 = f(y)
        k2 = f(y + h * k1)
        err = np.linalg.norm(0.5 * h * (k2 - k1))
        if err < 1e-4:
            y = y + 0.5 * h * (k1 + k2)
            t = t + h
        h = h * min(2.0, max(0.2, 0.9 * (1e-4 / (err + 1e-16)) ** 0.5))
    return np.sum(y ** 2)


def finite_volume_minmod(u0, c):
    u = u0.copy()
    for _ in range(3):
        du = np.diff(u)
        slope = np.zeros_like(u)
        slope[1:-1] = np.where(du[:-1] * du[1:] > 0,
                               np.sign(du[1:]) * np.minimum(np.abs(du[:-1]), np.abs(du[1:])),
                               0.0)
        flux = c * (u + 0.5 * slope)
        u = u.copy()
        u[1:] -= 0.5 * (flux[1:] - flux[:-1])
    return np.sum(u ** 2)


def upwind_with_max_min(u, a):
    ap, am = np.maximum(a, 0.0), np.minimum(a, 0.0)
    flux = ap * u[:-1] + am * u[1:]
    return np.sum(np.diff(flux) ** 2) + np.sum(flux)


def superbee_limiter(u):
    du = np.diff(u)
    r = du[:-1] / (du[1:] + 1e-8)
    phi = np.maximum(0, np.maximum(np.minimum(2 * r, 1), np.minimum(r, 2)))
    return np.sum(phi * du[1:])


def heat_implicit_tridiagonal(u, alpha):
    n = len(u)
    A = (1 + 2 * alpha) * np.eye(n) - alpha * np.eye(n, k=1) - alpha * np.eye(n, k=-1)
    for _ in range(3):
        u = np.linalg.solve(A, u)
    return np.sum(u ** 2)


def secant_method(a):
    x0, x1 = 0.5, 1.5
    for _ in range(12):
        f0, f1 = x0 ** 2 - a, x1 ** 2 - a
        if abs(f1 - f0) < 1e-15:
            break
        x0, x1 = x1, x1 - f1 * (x1 - x0) / (f1 - f0)
    return x1


def richardson_derivative(a):
    def g(t):
        return np.sin(a * t) * np.exp(t)
    h = 0.1
    d1 = (g(1 + h) - g(1 - h)) / (2 * h)
    d2 = (g(1 + h / 2) - g(1 - h / 2)) / h
    return (4 * d2 - d1) / 3


def chebyshev_evaluate(c, x):
    T0, T1 = np.ones_like(x), x
    total = c[0] * T0 + c[1] * T1
    for k in range(2, len(c)):
        T0, T1 = T1, 2 * x * T1 - T0
        total = total + c[k] * T1
    return np.sum(total ** 2)


def polyval_numpy(c, x):
    return np.sum(np.polyval(c, x) ** 2)


def legendre_legval(c):
    x = np.linspace(-1, 1, 5)
    return np.sum(np.polynomial.legendre.legval(x, c) ** 2)


def power_iteration_rayleigh(A):
    S = A @ A.T
    v = np.ones(3) / np.sqrt(3)
    for _ in range(50):
        v = S @ v
        v = v / np.linalg.norm(v)
    return v @ S @ v


def conjugate_gradient_fixed(A, b):
    S = A @ A.T + 3 * np.eye(3)
    x = np.zeros(3)
    r = b - S @ x
    p = r.copy()
    for _ in range(3):
        Ap = S @ p
        alpha = (r @ r) / (p @ Ap)
        x = x + alpha * p
        r_new = r - alpha * Ap
        p = r_new + (r_new @ r_new) / (r @ r) * p
        r = r_new
    return np.sum(x ** 2)


def lotka_volterra_rk4(theta):
    y = np.array([1.0, 0.5])
    h = 0.1
    for _ in range(10):
        def f(z):
            return np.array([theta[0] * z[0] - theta[1] * z[0] * z[1],
                             -theta[2] * z[1] + theta[1] * z[0] * z[1]])
        k1 = f(y)
        k2 = f(y + h / 2 * k1)
        k3 = f(y + h / 2 * k2)
        k4 = f(y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y[0] + 2 * y[1]


def romberg_table(a):
    R = np.zeros((4, 4))
    for i in range(4):
        n = 2 ** i
        x = np.linspace(0, 1, n + 1)
        y = np.exp(a * x)
        R[i, 0] = (y[0] / 2 + y[1:-1].sum() + y[-1] / 2) / n
        for j in range(1, i + 1):
            R[i, j] = R[i, j - 1] + (R[i, j - 1] - R[i - 1, j - 1]) / (4 ** j - 1)
    return R[3, 3]


def gradient_uneven_spacing(y):
    x = np.array([0.0, 0.5, 1.5, 2.0, 3.5])
    return np.sum(np.gradient(y, x) ** 2)


def interp_np(y):
    xp = np.array([0.0, 1.0, 2.5, 3.0])
    return np.sum(np.interp(np.array([0.2, 1.7, 2.9]), xp, y) ** 2)


def interp_query_active(q):
    xp = np.array([0.0, 1.0, 2.5, 3.0])
    fp = np.array([0.0, 2.0, 1.0, 4.0])
    return np.sum(np.interp(q, xp, fp) ** 2)


METHODS = [
    (hermite_spline_by_hand, (np.sin(np.linspace(0, 2, 5)), 0.63), (0, 1), False),
    (catmull_rom_vectorised, (rng.normal(size=(4, 2)), (0.2, 0.5, 0.9)), 0, True),
    (simpson_vectorised, (0.4, 1.3), (0, 1), True),
    (gauss_legendre, (np.array([0.8, 2.0]),), 0, False),
    (gauss_legendre_two_d, (0.6,), 0, False),
    (trapezoid_cumulative, (0.7,), 0, True),
    (newton_root_inside, (1.5,), 0, False),
    (newton_root_fixed_iterations, (np.array([1.0, 2.0, 0.5]),), 0, True),
    (bisection_vector_then_newton, (np.array([1.0, 2.0, 3.5]),), 0, False),
    (fixed_point_contraction, (M3 * 0.2,), 0, True),
    (adaptive_euler_heun, (1.3,), 0, False),
    (adaptive_rk_vector, (np.array([4.0, 0.3]),), 0, False),
    (finite_volume_minmod, (np.sin(np.linspace(0, 3, 7)), 0.6), (0, 1), False),
    (upwind_with_max_min, (X5, X4), (0, 1), True),
    (superbee_limiter, (np.cumsum(np.abs(X6)),), 0, True),
    (heat_implicit_tridiagonal, (X5, 0.4), (0, 1), True),
    (secant_method, (2.0,), 0, False),
    (richardson_derivative, (0.7,), 0, True),
    (chebyshev_evaluate, (X4, np.linspace(-1, 1, 5)), (0, 1), True),
    (polyval_numpy, (X4, X3), (0, 1), False),
    (legendre_legval, (X4,), 0, False),
    (power_iteration_rayleigh, (M3,), 0, True),
    (conjugate_gradient_fixed, (M3, X3), (0, 1), False),
    (lotka_volterra_rk4, (np.array([1.0, 0.6, 0.8]),), 0, True),
    (romberg_table, (0.7,), 0, False),
    (gradient_uneven_spacing, (X5,), 0, False),
    (interp_np, (X4,), 0, False),
    (interp_query_active, (np.array([0.3, 1.2, 2.8]),), 0, False),
]


# -- geometry: quaternions, rotations, rays, barycentric coordinates, soft rasters, SDFs ------

def quat_multiply(q, r):
    w1, x1, y1, z1 = q
    w2, x2, y2, z2 = r
    return np.array([w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
                     w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
                     w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
                     w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2])


def quaternion_rotate_point(q, p):
    q = q / np.linalg.norm(q)
    conj = q * np.array([1.0, -1, -1, -1])
    v = np.concatenate([[0.0], p])
    rotated = quat_multiply(quat_multiply(q, v), conj)
    return np.sum(rotated[1:] * np.array([1.0, 2.0, 3.0]))


def quaternion_to_matrix(q):
    w, x, y, z = q / np.sqrt(np.sum(q ** 2))
    R = np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                  [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                  [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])
    return np.sum(R @ np.array([0.3, -0.2, 0.9]))


def rodrigues_rotation(omega, v):
    theta = np.linalg.norm(omega)
    k = omega / theta
    return np.sum((v * np.cos(theta) + np.cross(k, v) * np.sin(theta)
                   + k * np.dot(k, v) * (1 - np.cos(theta))) ** 2 * np.array([1.0, 2, 3]))


def cross_batched_norm_axis(P, Q):
    n = np.cross(P, Q)
    return np.sum(np.linalg.norm(n, axis=1))


def skew_matrix_exp(w):
    K = np.array([[0.0, -w[2], w[1]], [w[2], 0.0, -w[0]], [-w[1], w[0], 0.0]])
    R = scipy.linalg.expm(K)
    return np.sum(R * np.arange(9).reshape(3, 3))


def triangle_normal_area(V):
    e1, e2 = V[1] - V[0], V[2] - V[0]
    n = np.cross(e1, e2)
    area = 0.5 * np.linalg.norm(n)
    return area + np.sum(n / np.linalg.norm(n) * np.array([0.0, 0.0, 1.0]))


def ray_sphere_branch(o, c, r):
    d = np.array([0.0, 0.0, 1.0])
    oc = o - c
    b = np.dot(oc, d)
    disc = b * b - (np.dot(oc, oc) - r * r)
    if disc < 0:
        return 0.0 * r
    t = -b - np.sqrt(disc)
    if t < 0:
        t = -b + np.sqrt(disc)
    return t


def ray_spheres_vectorised(centres, radii):
    o = np.zeros(3)
    d = np.array([0.0, 0.0, 1.0])
    oc = o - centres
    b = oc @ d
    disc = b ** 2 - (np.sum(oc ** 2, axis=1) - radii ** 2)
    hit = disc > 0
    t = np.where(hit, -b - np.sqrt(np.where(hit, disc, 1.0)), 10.0)
    return np.min(t)


def barycentric_coordinates(p, tri):
    v0, v1, v2 = tri[1] - tri[0], tri[2] - tri[0], p - tri[0]
    d00, d01, d11 = v0 @ v0, v0 @ v1, v1 @ v1
    d20, d21 = v2 @ v0, v2 @ v1
    den = d00 * d11 - d01 * d01
    v = (d11 * d20 - d01 * d21) / den
    w = (d00 * d21 - d01 * d20) / den
    u = 1.0 - v - w
    return u * 1.0 + v * 2.0 + w * 3.0 + u * v * w


def soft_rasteriser(tri, sigma=0.05):
    xs = np.linspace(0, 1, 6)
    P = np.stack(np.meshgrid(xs, xs), axis=-1).reshape(-1, 2)
    img = np.ones(len(P))
    for i in range(3):
        a, b = tri[i], tri[(i + 1) % 3]
        e = b - a
        n = np.array([-e[1], e[0]])
        d = (P - a) @ n / np.linalg.norm(n)
        img = img * 1 / (1 + np.exp(-d / sigma))
    return np.sum(img * np.arange(len(P)))


def sdf_box_and_sphere(p, size):
    q = np.abs(p) - size
    box = np.linalg.norm(np.maximum(q, 0.0), axis=-1) + np.minimum(np.max(q, axis=-1), 0.0)
    sphere = np.linalg.norm(p - 0.3, axis=-1) - 0.5
    k = 0.2
    h = np.clip(0.5 + 0.5 * (sphere - box) / k, 0.0, 1.0)
    smin = sphere * (1 - h) + box * h - k * h * (1 - h)
    return np.sum(smin ** 2)


def sdf_union_intersection(P, r):
    d1 = np.linalg.norm(P, axis=1) - r
    d2 = np.max(np.abs(P) - 0.4, axis=1)
    return np.sum(np.minimum(d1, d2)) + np.sum(np.maximum(d1, -d2))


def rotation_2d_batch(theta, pts):
    c, s = np.cos(theta), np.sin(theta)
    R = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)
    out = np.einsum("nij,nj->ni", R, pts)
    return np.sum(out[:, 0] * out[:, 1])


def procrustes_svd(A, B):
    U, s, Vt = np.linalg.svd(A.T @ B)
    R = U @ Vt
    return np.sum((A @ R - B) ** 2)


def camera_projection(pose, X):
    R = np.array([[np.cos(pose[0]), -np.sin(pose[0]), 0],
                  [np.sin(pose[0]), np.cos(pose[0]), 0], [0, 0, 1]])
    Xc = X @ R.T + pose[1:]
    uv = Xc[:, :2] / Xc[:, 2:3]
    return np.sum((uv - 0.1) ** 2)


def point_segment_distance(p, a, b):
    ab = b - a
    t = np.clip(np.dot(p - a, ab) / np.dot(ab, ab), 0.0, 1.0)
    return np.linalg.norm(p - (a + t * ab))


def polygon_area_shoelace(V):
    x, y = V[:, 0], V[:, 1]
    return 0.5 * np.abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))


def angle_between_vectors(u, v):
    c = np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v))
    return np.arccos(np.clip(c, -1.0, 1.0))


def slerp_quaternions(q0, q1, t=0.3):
    q0 = q0 / np.linalg.norm(q0)
    q1 = q1 / np.linalg.norm(q1)
    dot = np.dot(q0, q1)
    if dot < 0:
        q1 = -q1
        dot = -dot
    omega = np.arccos(dot)
    q = (np.sin((1 - t) * omega) * q0 + np.sin(t * omega) * q1) / np.sin(omega)
    return np.sum(q * np.array([1.0, 2, 3, 4]))


def bezier_de_casteljau(P, t=0.4):
    pts = [P[i] for i in range(len(P))]
    while len(pts) > 1:
        pts = [(1 - t) * a + t * b for a, b in zip(pts[:-1], pts[1:])]
    return np.sum(pts[0] ** 2)


def chamfer_distance(A, B):
    D = np.sum((A[:, None] - B[None]) ** 2, axis=-1)
    return D.min(axis=1).mean() + D.min(axis=0).mean()


def mesh_laplacian_smoothness(V):
    edges = np.array([[0, 1], [1, 2], [2, 0], [2, 3], [3, 0]])
    d = V[edges[:, 0]] - V[edges[:, 1]]
    return np.sum(d ** 2)


def normals_by_loop_accumulate(V):
    F = [(0, 1, 2), (0, 2, 3)]
    N = np.zeros_like(V)
    for a, b, c in F:
        n = np.cross(V[b] - V[a], V[c] - V[a])
        N[a] += n
        N[b] += n
        N[c] += n
    return np.sum(N / np.linalg.norm(N, axis=1, keepdims=True) * np.array([0.1, 0.2, 1.0]))


QUAT = np.array([0.9, 0.1, -0.3, 0.2])
TRI = np.array([[0.1, 0.2], [0.8, 0.3], [0.4, 0.9]])
GEOMETRY = [
    (quaternion_rotate_point, (QUAT, X3), (0, 1), False),
    (quaternion_to_matrix, (QUAT,), 0, False),
    (rodrigues_rotation, (X3 * 0.5, X3[::-1].copy()), (0, 1), True),
    (cross_batched_norm_axis, (M34[:, :3].copy(), B43[:3].copy()), (0, 1), True),
    (skew_matrix_exp, (X3 * 0.4,), 0, False),
    (triangle_normal_area, (rng.normal(size=(3, 3)),), 0, True),
    (ray_sphere_branch, (np.array([0.1, 0.2, -3.0]), np.array([0.0, 0.1, 0.5]), 1.2),
     (0, 1, 2), False),
    (ray_spheres_vectorised, (np.array([[0.1, 0.0, 3.0], [0.0, 0.2, 5.0]]),
                              np.array([0.8, 1.5])), (0, 1), True),
    (barycentric_coordinates, (np.array([0.4, 0.4]), TRI), (0, 1), True),
    (soft_rasteriser, (TRI,), 0, True),
    (sdf_box_and_sphere, (rng.normal(size=(4, 3)), np.array([0.3, 0.5, 0.4])), (0, 1), True),
    (sdf_union_intersection, (rng.normal(size=(5, 2)), 0.6), (0, 1), True),
    (rotation_2d_batch, (X3, rng.normal(size=(3, 2))), (0, 1), True),
    (procrustes_svd, (M34.T.copy(), B43), (0, 1), False),
    (camera_projection, (np.array([0.3, 0.1, -0.2, 5.0]), rng.normal(size=(4, 3))), (0, 1),
     False),
    (point_segment_distance, (X3, np.zeros(3), np.ones(3)), (0, 1, 2), True),
    (polygon_area_shoelace, (np.array([[0.0, 0.0], [1.0, 0.1], [1.2, 1.0], [0.1, 0.9]]),), 0,
     True),
    (angle_between_vectors, (X3, X3[::-1] + 0.5), (0, 1), True),
    (slerp_quaternions, (QUAT, np.array([0.7, -0.2, 0.1, 0.6])), (0, 1), False),
    (bezier_de_casteljau, (rng.normal(size=(4, 2)),), 0, True),
    (chamfer_distance, (rng.normal(size=(4, 2)), rng.normal(size=(3, 2))), (0, 1), True),
    (mesh_laplacian_smoothness, (rng.normal(size=(4, 3)),), 0, True),
    (normals_by_loop_accumulate, (np.array([[0.0, 0, 0], [1, 0, 0.1], [1, 1, 0.2],
                                            [0, 1, 0.1]]),), 0, False),
]


# -- second order: gradients of gradients, Hessian-vector products, Newton steps --------------

def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def hvp_by_grad_of_grad(x, v):
    g = ad.grad(rosenbrock)
    return np.dot(g(x), v)


def gradient_norm_penalty(w, X, y):
    def loss(w):
        return np.mean((np.tanh(X @ w) - y) ** 2)
    g = ad.grad(loss)(w)
    return loss(w) + 0.1 * np.sum(g ** 2)


def newton_step_with_hessian(x):
    H = ad.hessian(rosenbrock)(x)
    g = ad.grad(rosenbrock)(x)
    x_new = x - np.linalg.solve(H + 10.0 * np.eye(len(x)), g)
    return rosenbrock(x_new)


def newton_step_by_hand_hessian(theta, X, y):
    p = 1 / (1 + np.exp(-X @ theta))
    g = X.T @ (p - y)
    H = X.T @ (X * (p * (1 - p))[:, None]) + np.eye(len(theta))
    theta_new = theta - np.linalg.solve(H, g)
    z = X @ theta_new
    return np.sum(np.logaddexp(0, z) - y * z)


def meta_learning_inner_step(w, X, y):
    def inner(w):
        return np.sum((X @ w - y) ** 2)
    w1 = w - 0.05 * ad.grad(inner)(w)
    return inner(w1) + np.sum(w1 ** 2)


def laplacian_by_hessian_trace(x):
    def f(z):
        return np.sum(np.sin(z) * z[::-1])
    return np.trace(ad.hessian(f)(x))


def jacobian_logdet(x):
    def flow(z):
        return z + 0.3 * np.tanh(z @ M3)
    J = ad.jacobian(flow)(x)
    return np.linalg.slogdet(J)[1]


def grad_of_scalar_function(a):
    def energy(t):
        return t ** 4 - 2 * t ** 2 + a * t
    return ad.grad(energy)(0.7) ** 2


def value_and_grad_inside(x):
    v, g = ad.value_and_grad(rosenbrock)(x)
    return v + np.sum(g * x)


SECOND = [
    (hvp_by_grad_of_grad, (np.array([0.5, 0.8, -0.2]), X3), (0, 1), False),
    (gradient_norm_penalty, (X3, XB, YB), 0, False),
    (newton_step_with_hessian, (np.array([0.5, 0.8, -0.2]),), 0, False),
    (newton_step_by_hand_hessian, (X3 * 0.3, XB, Y01), 0, True),
    (meta_learning_inner_step, (X3, XB, YB), 0, False),
    (laplacian_by_hessian_trace, (X3,), 0, False),
    (jacobian_logdet, (X3,), 0, False),
    (grad_of_scalar_function, (0.4,), 0, False),
    (value_and_grad_inside, (X3,), 0, False),
]


# -- library: NumPy calls with their less common arguments --------------------------------

def cholesky_upper_keyword(A):
    S = A @ A.T + 3 * np.eye(3)
    U = np.linalg.cholesky(S, upper=True)
    return np.sum(U * np.arange(9).reshape(3, 3))


def cumprod_with_exact_zero(x):
    y = x.copy()
    y[2] = 0.0
    return np.sum(np.cumprod(y) * np.arange(1, 6))


def cumprod_of_argument_with_zero(x):
    return np.sum(np.cumprod(x) * np.arange(1, 6))


def prod_axis_with_zero(A):
    return np.sum(np.prod(A, axis=1) * np.array([1.0, 2.0, 3.0]))


def vdot_of_matrices(A, B):
    return np.vdot(A, B)


def dot_of_three_d(T, B):
    return np.sum(np.dot(T, B) ** 2)


def inner_of_matrices(A, B):
    return np.sum(np.inner(A, B) ** 2)


def tensordot_axes_lists(T, A):
    return np.sum(np.tensordot(T, A, axes=([1, 2], [0, 1])) ** 2)


def tensordot_int_axes(A, B):
    return np.sum(np.tensordot(A, B, 1) ** 2) + np.tensordot(A, A, 2)


def kron_product(a, B):
    return np.sum(np.kron(a, B) ** 2)


def multi_dot_chain(A, B, x):
    return np.linalg.multi_dot([A, B, B.T, x]) @ x


def matmul_one_d_and_batch(T, x):
    return np.sum((T @ x) ** 2) + np.sum((x @ T) ** 2)


def trace_offset_axes(T):
    return np.sum(np.trace(T, offset=1, axis1=1, axis2=2) ** 2)


def diagonal_offsets(A):
    return np.sum(np.diagonal(A, offset=-1) ** 2) + np.sum(np.diag(A, k=1)) + np.sum(
        np.diag(np.diag(A, 1), k=-1)[:3] @ A.T)


def triu_tril_offsets(A):
    return np.sum(np.triu(A, k=1) ** 2) + np.sum(np.tril(A, -1) * A)


def ufunc_reduce_accumulate(A):
    return (np.sum(np.add.reduce(A, axis=1) ** 2) + np.sum(np.multiply.accumulate(A, axis=0))
            + np.maximum.reduce(A.ravel()))


def ufunc_outer_forms(x, y):
    return np.sum(np.add.outer(x, y) ** 2) + np.sum(np.multiply.outer(x, y)) + np.sum(
        np.subtract.outer(x, y) ** 3)


def copysign_heaviside(x, y):
    return np.sum(np.copysign(x, y) * y) + np.sum(np.heaviside(x, 0.5) * x)


def hypot_arctan2(x, y):
    return np.sum(np.hypot(x, y)) + np.sum(np.arctan2(y, x) ** 2)


def nan_to_num_of_division(x):
    return np.sum(np.nan_to_num(x / np.array([1.0, 2.0, 3.0, 4.0, 5.0]), nan=0.0))


def fmax_fmin(x, y):
    return np.sum(np.fmax(x, y) ** 2) + np.sum(np.fmin(x, 0.2 * y))


def ptp_and_clip_methods(A):
    return np.sum(np.ptp(A, axis=0)) + np.sum(A.clip(min=-0.5) ** 2) + np.sum(
        np.clip(A, None, 0.3))


def elementary_zoo(x):
    return np.sum(np.exp2(x) + np.log2(x) + np.log10(x) + np.cbrt(x) + np.reciprocal(x)
                  + np.square(x) + np.sinc(x) + np.deg2rad(x) + np.float_power(x, 2.5)
                  + np.arcsinh(x) + np.log1p(x) + np.expm1(x) + np.logaddexp2(x, 1.0))


def power_negative_base_integer_exponents(x):
    return np.sum(np.power(x, np.array([2, 3, 4, 1, 2])))


def norm_orders_vector(x):
    return (np.linalg.norm(x, ord=3) + np.linalg.norm(x, ord=-np.inf) + np.linalg.norm(x, 1)
            + np.linalg.norm(x, ord=np.inf) + np.linalg.norm(x, keepdims=True)[0])


def norm_orders_matrix(A):
    return (np.linalg.norm(A, ord=2) + np.linalg.norm(A, "nuc") + np.linalg.norm(A, ord=-2)
            + np.linalg.norm(A, ord=1) + np.linalg.norm(A, ord=-np.inf))


def norm_axis_pair(T):
    return np.sum(np.linalg.norm(T, axis=(1, 2))) + np.sum(np.linalg.norm(T, ord=2, axis=(0, 1)))


def array_api_norms(A):
    return (np.sum(np.linalg.vector_norm(A, ord=3, axis=0, keepdims=True))
            + np.linalg.matrix_norm(A, ord="fro") + np.sum(np.linalg.vector_norm(A)))


def array_api_products(A, x):
    return (np.sum(np.vecdot(A, x) ** 2) + np.sum(np.linalg.matrix_transpose(A) ** 3)
            + np.sum(np.linalg.outer(x, x)) + np.linalg.trace(A[:, :3], offset=1))


def matvec_and_vecmat(A, x, y):
    return np.sum(np.matvec(A, y) ** 2) + np.sum(np.vecmat(x, A) ** 2)


def cumulative_sum_include_initial(x):
    return np.sum(np.cumulative_sum(x, include_initial=True) ** 2) + np.sum(
        np.cumulative_prod(x, include_initial=True))


def append_without_axis(A, x):
    return np.sum(np.append(A, x) * np.arange(A.size + x.size))


def insert_and_delete(x, v):
    y = np.insert(x, 1, v)
    z = np.delete(y, [0, 3])
    return np.sum(z * np.arange(len(z)) ** 2)


def stack_family_of_vectors(x, y):
    return (np.sum(np.column_stack([x, y]) * np.arange(2)) + np.sum(np.vstack([x, y])[1])
            + np.sum(np.hstack([x, y]) ** 2) + np.sum(np.dstack([x, y])[0, :, 1]))


def block_matrix(A, B):
    M = np.block([[A, B], [B.T @ A, np.eye(4)]])
    return np.sum(M ** 2) + np.trace(M)


def array_split_unequal(x):
    parts = np.array_split(x, 3)
    return sum(np.sum(p) * (i + 1) for i, p in enumerate(parts))


def split_at_indices(x):
    a, b, c = np.split(x, [1, 4])
    return np.sum(a) * np.sum(b ** 2) - np.sum(c)


def broadcast_to_and_arrays(x, A):
    B = np.broadcast_to(x, (3, 4))
    u, v = np.broadcast_arrays(x[None, :], A)
    return np.sum(B * A) + np.sum(u * v ** 2)


def expand_squeeze_moveaxis(T):
    U = np.expand_dims(T, (0, 3))
    V = np.moveaxis(U, [1, 2], [-1, -2])
    return np.sum(np.squeeze(V, axis=0) ** 2 * np.arange(V.shape[-1]))


def concatenate_axis_none(A, B):
    return np.sum(np.concatenate([A, B], axis=None) * np.arange(A.size + B.size))


def sort_axis_none_and_descending(A):
    s = np.sort(A, axis=None)
    d = -np.sort(-A, axis=0)
    return np.sum(s * np.arange(A.size)) + np.sum(d[0] ** 2)


def take_flattened(A):
    return np.sum(np.take(A, [0, 5, 5, 11]) ** 2)


def flip_no_axis_and_tuple(T):
    return np.sum(np.flip(T) * T) + np.sum(np.flip(T, axis=(0, 2)) * np.arange(T.size).reshape(
        T.shape))


def roll_axis_none_2d(A):
    return np.sum(np.roll(A, 5) * np.arange(A.size).reshape(A.shape))


def repeat_axis_none_and_counts(A):
    return np.sum(np.repeat(A, 2) * np.arange(2 * A.size)) + np.sum(
        np.repeat(A, [1, 2, 0], axis=0) ** 2)


def tile_two_d_reps(A):
    return np.sum(np.tile(A, (2, 1, 3)) * np.arange(6 * A.size).reshape(2, -1, 3 * A.shape[1]))


def cov_corrcoef(X):
    return np.sum(np.cov(X) ** 2) + np.sum(np.corrcoef(X.T)) + np.sum(np.cov(X, rowvar=False,
                                                                           ddof=0))


def lstsq_pinv(A, b):
    x = np.linalg.lstsq(A, b, rcond=None)[0]
    return np.sum(x ** 2) + np.sum(np.linalg.pinv(A) ** 2)


def qr_reduced(A):
    Q, R = np.linalg.qr(A)
    return np.sum(np.abs(np.diag(R))) + np.sum(Q[:, 0] ** 2 * np.arange(len(Q)))


def eigvalsh_and_det_batched(T):
    S = T @ np.swapaxes(T, -1, -2) + np.eye(3)
    return np.sum(np.linalg.eigvalsh(S) ** 2) + np.sum(np.log(np.linalg.det(S)))


def inv_and_solve_batched(T, b):
    S = T @ np.swapaxes(T, -1, -2) + 2 * np.eye(3)
    return np.sum(np.linalg.inv(S)) + np.sum(np.linalg.solve(S, b[..., None]))


def matrix_power_negative(A):
    S = A @ A.T + 2 * np.eye(3)
    return np.sum(np.linalg.matrix_power(S, -2))


def round_floor_zero_derivative(x):
    return np.sum(np.round(x, 1) * x + np.floor(x) * x ** 2 + np.rint(x) + np.trunc(x) * x)


def mod_and_fmod(x):
    return np.sum(np.mod(x, 0.7) ** 2) + np.sum(np.fmod(x, 0.5)) + np.sum((x % 1.0) * x)


def divmod_numpy(x):
    q, r = np.divmod(x, 0.6)
    return np.sum(r ** 2 + q * x)


def modf_frexp(x):
    frac, whole = np.modf(x)
    return np.sum(frac ** 2 + whole * x)


def python_divmod_active(x):
    q, r = divmod(x[0], 0.3)
    return r ** 2 + q * x[1] + x[0] % 0.25


def int_of_active_times_active(x):
    return int(x[0] * 3) * x[1] + math.floor(x[2] * 2) * x[0]


def python_max_of_scalars_and_constant(x):
    return max(x[0], 0.1) * min(x[1], x[2], -0.1) + max([x[0] ** 2, x[1] ** 2])


def sorted_python_scalars(x):
    s = sorted([x[0] ** 2, x[1], math.sin(x[2])])
    return s[0] * 1.0 + s[1] * 2.0 + s[2] * 3.0


def mean_dtype_float32_rounds(x):
    return np.mean(x ** 2, dtype=np.float32) * 0 + np.mean(x ** 2)


def logaddexp_accumulate(x):
    return np.sum(np.logaddexp.accumulate(x) * np.arange(len(x)))


def clip_method_out_of_order_bounds(x):
    return np.sum(x.clip(-0.5, 0.5) ** 2) + np.sum(np.minimum(np.maximum(x, -1.0), 1.0))


def sign_times_abs(x):
    return np.sum(np.sign(x) * np.abs(x) ** 1.5)


def einsum_implicit_and_outer(x, y, A):
    return (np.sum(np.einsum("i,j", x, y) ** 2) + np.einsum("ij,jk", A, A.T).trace()
            + np.einsum("...i,...i", A, A).sum())


def einsum_transposed_output(T):
    return np.sum(np.einsum("ijk->kji", T) * np.arange(T.size).reshape(T.shape[::-1]))


def einsum_broadcast_ellipsis_both(T, U):
    return np.sum(np.einsum("...ij,...jk->...ki", T, U) ** 2)


def percentile_interpolation_points(x):
    return np.percentile(x, 37.0) + np.quantile(x, [0.1, 0.9]).sum()


def histogram_weights(x):
    h, _ = np.histogram(np.array([0.1, 0.4, 0.5, 0.9, 0.3]), bins=3, range=(0, 1), weights=x)
    return np.sum(h ** 2)


def digitize_gather(x):
    bins = np.array([-1.0, 0.0, 1.0])
    k = np.digitize(np.array([-2.0, 0.5, 0.2, 3.0]), bins)
    return np.sum(x[k] ** 2)


def convolve_same_and_valid(x, k):
    return np.sum(np.convolve(x, k, mode="same") ** 2) + np.sum(np.convolve(k, x, "valid"))


def allclose_branch(x):
    if np.allclose(x, 0.0):
        return np.sum(x)
    return np.sum(x ** 2)


def isfinite_mask_mean(x):
    y = np.log(np.abs(x) - 0.3)
    ok = np.isfinite(y)
    return np.sum(np.where(ok, y, 0.0) ** 2)


LIBRARY = [
    (cholesky_upper_keyword, (M3,), 0, False),
    (cumprod_with_exact_zero, (X5,), 0, False),
    (cumprod_of_argument_with_zero, (np.array([0.5, -1.2, 0.0, 2.0, 0.7]),), 0, False),
    (prod_axis_with_zero, (np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0], [1.0, 2.0, 3.0]]),), 0,
     False),
    (vdot_of_matrices, (M34, M34[::-1].copy()), (0, 1), False),
    (dot_of_three_d, (rng.normal(size=(2, 3, 4)), B43), (0, 1), True),
    (inner_of_matrices, (M34, rng.normal(size=(2, 4))), (0, 1), True),
    (tensordot_axes_lists, (rng.normal(size=(2, 3, 4)), M34), (0, 1), True),
    (tensordot_int_axes, (M34, B43), (0, 1), True),
    (kron_product, (X3, M23), (0, 1), True),
    (multi_dot_chain, (M3, M34[:, :3].copy(), X3), (0, 1, 2), False),
    (matmul_one_d_and_batch, (rng.normal(size=(2, 3, 3)), X3), (0, 1), True),
    (trace_offset_axes, (rng.normal(size=(2, 3, 4)),), 0, False),
    (diagonal_offsets, (M34,), 0, False),
    (triu_tril_offsets, (M34,), 0, True),
    (ufunc_reduce_accumulate, (M34,), 0, False),
    (ufunc_outer_forms, (X3, X4), (0, 1), False),
    (copysign_heaviside, (X5, X5[::-1] + 0.3), (0, 1), False),
    (hypot_arctan2, (X4, X4 ** 2 + 0.1), (0, 1), True),
    (nan_to_num_of_division, (X5,), 0, False),
    (fmax_fmin, (X5, X5[::-1] + 0.3), (0, 1), False),
    (ptp_and_clip_methods, (M34,), 0, False),
    (elementary_zoo, (np.abs(X4) + 0.2,), 0, False),
    (power_negative_base_integer_exponents, (X5,), 0, True),
    (norm_orders_vector, (X5,), 0, False),
    (norm_orders_matrix, (M34,), 0, False),
    (norm_axis_pair, (rng.normal(size=(2, 3, 4)),), 0, False),
    (array_api_norms, (M34,), 0, False),
    (array_api_products, (M34, X4), (0, 1), False),
    (matvec_and_vecmat, (M34, X3, X4), (0, 1, 2), False),
    (cumulative_sum_include_initial, (X4,), 0, False),
    (append_without_axis, (M23, X3), (0, 1), True),
    (insert_and_delete, (X5, 0.7), (0, 1), False),
    (stack_family_of_vectors, (X4, X4 ** 2), (0, 1), True),
    (block_matrix, (M34, rng.normal(size=(3, 4))), (0, 1), False),
    (array_split_unequal, (X5,), 0, False),
    (split_at_indices, (X6,), 0, True),
    (broadcast_to_and_arrays, (X4, M34), (0, 1), False),
    (expand_squeeze_moveaxis, (rng.normal(size=(2, 3, 4)),), 0, False),
    (concatenate_axis_none, (M23, M34), (0, 1), False),
    (sort_axis_none_and_descending, (M34,), 0, False),
    (take_flattened, (M34,), 0, False),
    (flip_no_axis_and_tuple, (rng.normal(size=(2, 3, 4)),), 0, False),
    (roll_axis_none_2d, (M34,), 0, True),
    (repeat_axis_none_and_counts, (M34,), 0, False),
    (tile_two_d_reps, (M34,), 0, True),
    (cov_corrcoef, (M34,), 0, False),
    (lstsq_pinv, (B43, X4), (0, 1), False),
    (qr_reduced, (B43,), 0, False),
    (eigvalsh_and_det_batched, (rng.normal(size=(2, 3, 3)),), 0, False),
    (inv_and_solve_batched, (rng.normal(size=(2, 3, 3)), rng.normal(size=(2, 3))), (0, 1), False),
    (matrix_power_negative, (M3,), 0, False),
    (round_floor_zero_derivative, (X5 * 3,), 0, False),
    (mod_and_fmod, (X5 * 3,), 0, False),
    (divmod_numpy, (X5 * 3,), 0, False),
    (modf_frexp, (X5 * 3,), 0, False),
    (python_divmod_active, (np.array([1.13, 0.4]),), 0, False),
    (int_of_active_times_active, (np.array([1.13, 0.4, 0.77]),), 0, False),
    (python_max_of_scalars_and_constant, (X3,), 0, False),
    (sorted_python_scalars, (X3,), 0, False),
    (mean_dtype_float32_rounds, (X4,), 0, False),
    (logaddexp_accumulate, (X5,), 0, False),
    (clip_method_out_of_order_bounds, (X6 * 2,), 0, True),
    (sign_times_abs, (X5,), 0, True),
    (einsum_implicit_and_outer, (X3, X4, M34), (0, 1, 2), False),
    (einsum_transposed_output, (rng.normal(size=(2, 3, 4)),), 0, True),
    (einsum_broadcast_ellipsis_both, (rng.normal(size=(2, 3, 4)), rng.normal(size=(1, 4, 2))),
     (0, 1), False),
    (percentile_interpolation_points, (X6,), 0, False),
    (histogram_weights, (X5,), 0, False),
    (digitize_gather, (X4,), 0, True),
    (convolve_same_and_valid, (X6, X3), (0, 1), False),
    (allclose_branch, (X4,), 0, False),
    (isfinite_mask_mean, (X6,), 0, False),
]


# -- idioms: chained indexing writes, list forms, math with optional arguments, methods -------

def chained_index_write_into_zeros(x):
    B = np.zeros((3, 3))
    B[0][1] = x[0]
    B[2][0] = x[1] * x[2]
    return np.sum(B * np.arange(9).reshape(3, 3)) + np.sum(B ** 2)


def chained_index_iadd(x):
    B = np.ones((2, 3))
    B[1][2] += x[0] ** 2
    B[0][:2] *= x[1]
    return np.sum(B ** 2)


def chained_slice_then_index_write(x):
    B = np.zeros((3, 3))
    B[1:][0] = x
    B[:, 2][1] = x[0] * 5
    return np.sum(B * np.arange(1, 10).reshape(3, 3))


def chained_mask_then_index_write_no_effect(x):
    B = x * 1.0
    B[B > -100][0] = 7.0
    return np.sum(B ** 2)


def chained_fancy_copy_write_no_effect(x):
    B = x * 2.0
    B[[0, 1]][0] = 100.0
    return np.sum(B ** 2)


def transpose_ravel_copy_write(A):
    B = A * 1.0
    B.T.ravel()[0] = 50.0
    return np.sum(B ** 2)


def chained_read_then_write_argument_copy(A, v):
    B = A.copy()
    B[1][1] = v
    return np.linalg.det(B[:, :3])


def list_repeat_then_fill(x):
    xs = [0.0] * 4
    for i in range(4):
        xs[i] = x[i] ** 2
    return sum(xs) * xs[0]


def list_of_active_repeated(x):
    xs = [x[0]] * 3 + [x[1]]
    return sum(v * (i + 1) for i, v in enumerate(xs))


def list_item_iadd(x):
    xs = [x[0], x[1], 1.0]
    xs[2] += x[2] * 3
    xs[0] *= xs[1]
    return xs[0] + xs[1] * xs[2]


def list_slice_assign(x):
    xs = [1.0, 2.0, 3.0, 4.0]
    xs[1:3] = [x[0], x[1] ** 2]
    return sum(v ** 2 for v in xs)


def list_extend_reverse(x):
    xs = [x[0]]
    xs.extend([x[1], x[2] ** 2])
    xs.reverse()
    return xs[0] * 3 + xs[2]


def star_unpack_array(x):
    first, *rest = x
    *init, last = x
    return first * sum(rest) + last ** 2 * len(init)


def builtin_sum_of_matrix_rows(A):
    return np.sum(sum(A) ** 2)


def builtin_max_of_array(x):
    return max(x) * min(x) + sum(sorted(x)[:2])


def iterate_rows_unpacked(P):
    total = 0.0
    for a, b in P:
        total += a * b ** 2
    return total


def zip_rows_of_two(A, B):
    return sum(np.dot(a, b) ** 2 for a, b in zip(A, B))


def math_log_with_base(a):
    return math.log(a, 2) + math.log(a * 3, 10) + math.log2(a) + math.log10(a)


def math_two_and_more_arguments(x):
    return (math.hypot(x[0], x[1], x[2]) + math.dist(x[:2], [0.5, -0.2])
            + math.atan2(x[0], x[1]) + math.copysign(x[2], -1.0) + math.fabs(x[1]))


def math_prod_and_gamma(x):
    return math.prod([x[0], x[1], 2.0]) + math.lgamma(abs(x[2]) + 1) + math.gamma(abs(x[0]) + 1)


def math_fmod_remainder(x):
    return math.fmod(x[0] * 5, 1.3) ** 2 + math.remainder(x[1] * 5, 0.7) ** 2 + math.ldexp(
        x[2], 3)


def statistics_module(xs):
    return statistics.fmean(xs) + statistics.pstdev(xs) + statistics.variance(xs)


def item_with_index(A, x):
    return A.item(1, 2) * x.item(2) + A.item((0, 1)) ** 2


def method_positional_arguments(A):
    return (np.sum(A.sum(0) ** 2) + np.sum(A.mean(1)) + np.sum(A.std(0, None, None, 1))
            + np.sum(A.max(1)) + np.sum(A.cumsum(1) ** 2) + np.sum(A.var(1, ddof=1)))


def numpy_positional_ddof_weights(A, w):
    return (np.sum(np.std(A, 0, None, None, 1)) + np.sum(np.var(A, 1, None, None, 1))
            + np.sum(np.average(A, 1, w)) + np.sum(np.diagonal(A, 1, 0, 1) ** 2))


def transpose_method_forms(T):
    return np.sum(T.transpose(1, 0, 2) * T.transpose((1, 0, 2)) ** 2) + np.sum(
        T.swapaxes(0, 2)[0] * np.arange(2))


def take_method_axis(A):
    return np.sum(A.take([2, 0], axis=1) ** 2) + np.sum(A.repeat(2, axis=0)[::2] * A)


def fill_method_in_place(x):
    y = np.empty(3)
    y.fill(2.0)
    return np.sum(y * x)


def fill_method_after_write(x):
    y = x * 3.0
    total = np.sum(y ** 2)
    y.fill(1.0)
    return total + np.sum(y * x)


def sort_method_in_place(x):
    y = x * 1.0
    y.sort()
    return np.sum(y * np.arange(len(y)))


def special_zoo_three(x):
    return np.sum(scipy.special.xlogy(x, x) + scipy.special.xlog1py(x, x)
                  + scipy.special.entr(x) + scipy.special.rel_entr(x, x[::-1])
                  + scipy.special.kl_div(x, x[::-1]) + scipy.special.log_ndtr(x)
                  + scipy.special.ndtri(x / 3) + scipy.special.erfinv(x / 3))


def special_huber_argument_order(r):
    return np.sum(scipy.special.huber(0.5, r)) + np.sum(scipy.special.pseudo_huber(0.7, r))


def special_softmax_axis(A):
    return np.sum(scipy.special.softmax(A, axis=0) * np.arange(12).reshape(3, 4)) + np.sum(
        scipy.special.log_softmax(A, axis=1) ** 2)


def special_boxcox(x):
    return np.sum(scipy.special.boxcox(x, 0.5)) + np.sum(scipy.special.boxcox1p(x, 0.3))


def cdist_sqeuclidean(A, B):
    return np.sum(np.exp(-scipy.spatial.distance.cdist(A, B, "sqeuclidean")))


def pdist_euclidean(A):
    return np.sum(scipy.spatial.distance.pdist(A))


def local_named_like_builtins(x):
    sum = 0.0
    max = x[0]
    for v in x:
        sum += v
        if v > max:
            max = v
    return sum * max


def module_level_helper_named_exp(x):
    return np.sum(exp(x))


def exp(z):
    return 1.0 + z + z ** 2 / 2


def numpy_functions_imported_by_name(x):
    return npsum(npexp(x) * nptanh(x))


def aliased_numpy_module(x):
    return onp.sum(onp.sin(x) ** 2)


def default_array_argument(x, w=np.array([1.0, 2.0, 3.0])):
    return np.sum(w * x ** 2)


def keyword_only_and_kwargs(x, *, scale=2.0, **options):
    power = options.get("power", 3)
    return np.sum(scale * x ** power)


def np_sum_of_list_of_arrays(x, y):
    return np.sum([x, y]) + np.sum(np.sum([x, y ** 2], axis=0) ** 2) + np.max([x[0], y[1]])


def np_array_of_vectors(x, y):
    M = np.array([x, y, x * y])
    return np.linalg.det(M)


def np_mean_of_list(x, y):
    return np.sum(np.mean([x, y], axis=0) ** 2) + np.mean([x[0], y[0], 1.0])


def class_with_dot_method(x):
    class V:
        def __init__(self, a):
            self.a = a

        def dot(self, other):
            return np.sum(self.a * other.a) * 2.0

    return V(x).dot(V(x ** 2))


def object_with_sum_method(p):
    return p.sum() + p.T


class Pair:
    def __init__(self, T):
        self.T = T

    def sum(self):
        return self.T ** 3


IDIOMS = [
    (chained_index_write_into_zeros, (X3,), 0, False),
    (chained_index_iadd, (X3,), 0, False),
    (chained_slice_then_index_write, (X3,), 0, False),
    (chained_mask_then_index_write_no_effect, (X4,), 0, False),
    (chained_fancy_copy_write_no_effect, (X4,), 0, False),
    (transpose_ravel_copy_write, (M34,), 0, False),
    (chained_read_then_write_argument_copy, (M34, 0.8), (0, 1), False),
    (list_repeat_then_fill, (X4,), 0, False),
    (list_of_active_repeated, (X3,), 0, True),
    (list_item_iadd, (X3,), 0, False),
    (list_slice_assign, (X3,), 0, False),
    (list_extend_reverse, (X3,), 0, False),
    (star_unpack_array, (X4,), 0, False),
    (builtin_sum_of_matrix_rows, (M34,), 0, False),
    (builtin_max_of_array, (X5,), 0, False),
    (iterate_rows_unpacked, (rng.normal(size=(4, 2)),), 0, True),
    (zip_rows_of_two, (M34, M34[::-1].copy()), (0, 1), True),
    (math_log_with_base, (1.7,), 0, False),
    (math_two_and_more_arguments, (X3,), 0, False),
    (math_prod_and_gamma, (X3,), 0, False),
    (math_fmod_remainder, (np.array([0.37, 0.61, 0.2]),), 0, False),
    (statistics_module, ([0.3, -1.2, 2.0, 0.7],), 0, False),
    (item_with_index, (M34, X3), (0, 1), False),
    (method_positional_arguments, (M34,), 0, False),
    (numpy_positional_ddof_weights, (M34, np.abs(X4) + 0.2), (0, 1), False),
    (transpose_method_forms, (rng.normal(size=(2, 3, 2)),), 0, False),
    (take_method_axis, (M34,), 0, False),
    (fill_method_in_place, (X3,), 0, False),
    (fill_method_after_write, (X3,), 0, False),
    (sort_method_in_place, (X5,), 0, False),
    (special_zoo_three, (np.abs(X4) + 0.1,), 0, False),
    (special_huber_argument_order, (X6,), 0, False),
    (special_softmax_axis, (M34,), 0, False),
    (special_boxcox, (np.abs(X4) + 0.1,), 0, False),
    (cdist_sqeuclidean, (M34, B43[:, :4 - 1].T.copy().T[:2].T.copy().T), (0, 1), False),
    (pdist_euclidean, (M34,), 0, False),
    (local_named_like_builtins, (X5,), 0, False),
    (module_level_helper_named_exp, (X3,), 0, True),
    (numpy_functions_imported_by_name, (X3,), 0, True),
    (aliased_numpy_module, (X3,), 0, False),
    (default_array_argument, (X3,), 0, True),
    (keyword_only_and_kwargs, (X3,), 0, True),
    (np_sum_of_list_of_arrays, (X3, X3[::-1].copy()), (0, 1), False),
    (np_array_of_vectors, (X3, X3 ** 2), (0, 1), False),
    (np_mean_of_list, (X3, X3 ** 2), (0, 1), False),
    (class_with_dot_method, (X3,), 0, False),
    (object_with_sum_method, (Pair(0.7),), 0, False),
]


# -- ml: embeddings, factorisations, sparsemax, top-k, Sinkhorn, batch norm, writes by index --

def embedding_lookup_repeated_rows(E, W):
    tokens = np.array([3, 1, 3, 3, 0])
    h = E[tokens].mean(axis=0)
    return np.sum(np.tanh(h @ W))


def embedding_take_axis0(E):
    tokens = np.array([[0, 2], [2, 2]])
    return np.sum(np.take(E, tokens, axis=0) ** 2 * np.arange(3))


def word2vec_negative_sampling(E, C):
    pairs = [(0, 1), (1, 2), (0, 2), (3, 1)]
    negatives = [(0, 3), (1, 0), (2, 3)]
    loss = 0.0
    for c, o in pairs:
        loss -= np.log(1 / (1 + np.exp(-E[c] @ C[o])))
    for c, o in negatives:
        loss -= np.log(1 / (1 + np.exp(E[c] @ C[o])))
    return loss


def matrix_factorisation_sgd_in_place(U, V):
    U, V = U.copy(), V.copy()
    ratings = [(0, 1, 4.0), (1, 0, 3.0), (0, 2, 2.0), (2, 1, 5.0), (0, 1, 4.5)]
    for u, i, r in ratings:
        err = r - U[u] @ V[i]
        U[u] += 0.05 * err * V[i]
        V[i] += 0.05 * err * U[u]
    return sum((r - U[u] @ V[i]) ** 2 for u, i, r in ratings)


def matrix_factorisation_vectorised(U, V):
    users = np.array([0, 1, 0, 2, 0])
    items = np.array([1, 0, 2, 1, 1])
    r = np.array([4.0, 3.0, 2.0, 5.0, 4.5])
    pred = np.sum(U[users] * V[items], axis=1)
    return np.sum((r - pred) ** 2) + 0.1 * (np.sum(U ** 2) + np.sum(V ** 2))


def sparsemax_loss(z):
    z_sorted = np.sort(z)[::-1]
    k = np.arange(1, len(z) + 1)
    cums = np.cumsum(z_sorted)
    support = 1 + k * z_sorted > cums
    k_z = k[support][-1]
    tau = (cums[k_z - 1] - 1) / k_z
    p = np.maximum(z - tau, 0.0)
    return np.sum(p * np.arange(len(z)))


def top_k_by_sort(x, k=3):
    return np.sum(np.sort(x)[-k:] ** 2)


def top_k_by_argpartition(x):
    idx = np.argpartition(x, -2)[-2:]
    return np.sum(x[idx] ** 2)


def knn_by_argsort(q, X, y):
    d = np.sum((X - q) ** 2, axis=1)
    nn = np.argsort(d)[:3]
    w = 1 / (d[nn] + 0.1)
    return np.sum(w * y[nn]) / np.sum(w)


def sinkhorn_log_domain(C, eps=0.5):
    n, m = C.shape
    log_a, log_b = np.full(n, -np.log(n)), np.full(m, -np.log(m))
    f, g = np.zeros(n), np.zeros(m)
    for _ in range(20):
        f = -eps * scipy.special.logsumexp((g[None, :] - C) / eps + log_b[None, :], axis=1)
        g = -eps * scipy.special.logsumexp((f[:, None] - C) / eps + log_a[:, None], axis=0)
    P = np.exp((f[:, None] + g[None, :] - C) / eps + log_a[:, None] + log_b[None, :])
    return np.sum(P * C)


def wasserstein_1d_by_sort(x, y):
    return np.mean(np.abs(np.sort(x) - np.sort(y)))


def batch_norm_training(X, gamma, beta):
    mu = X.mean(axis=0)
    var = X.var(axis=0)
    Xh = (X - mu) / np.sqrt(var + 1e-5)
    return np.sum((gamma * Xh + beta) ** 3)


def dropout_fixed_mask(W, X):
    mask = (np.arange(W.size).reshape(W.shape) % 3 != 0).astype(float)
    H = np.maximum(X @ (W * mask) / (2 / 3), 0)
    return np.sum(H ** 2)


def gumbel_softmax_fixed_noise(logits, g):
    y = (logits + g) / 0.5
    y = np.exp(y - y.max())
    y /= y.sum()
    return np.sum(y * np.arange(len(y)))


def mixup_loss(W, X, Y):
    lam = 0.3
    perm = np.array([2, 0, 1, 4, 3])
    Xm = lam * X + (1 - lam) * X[perm]
    Ym = lam * Y + (1 - lam) * Y[perm]
    return np.sum((Xm @ W - Ym) ** 2)


def im2col_conv(img, K):
    H, W = img.shape
    kh, kw = K.shape
    rows = []
    for i in range(H - kh + 1):
        for j in range(W - kw + 1):
            rows.append(img[i:i + kh, j:j + kw].ravel())
    cols = np.array(rows)
    return np.sum(np.maximum(cols @ K.ravel(), 0) ** 2)


def im2col_by_fancy_indexing(img, K):
    i0 = np.repeat(np.arange(2), 2)
    j0 = np.tile(np.arange(2), 2)
    ii = i0[None, :] + np.repeat(np.arange(3), 3)[:, None]
    jj = j0[None, :] + np.tile(np.arange(3), 3)[:, None]
    cols = img[ii, jj]
    return np.sum((cols @ K.ravel()) ** 2)


def causal_attention_triu_mask(Q, K, V):
    S = Q @ K.T / np.sqrt(Q.shape[1])
    S = S + np.triu(np.ones_like(S), k=1) * -1e9
    P = np.exp(S - S.max(axis=1, keepdims=True))
    P = P / P.sum(axis=1, keepdims=True)
    return np.sum((P @ V) ** 2)


def viterbi_score_of_best_path(E, T):
    n, k = E.shape
    score = E[0].copy()
    back = np.zeros((n, k), dtype=int)
    for t in range(1, n):
        cand = score[:, None] + T
        back[t] = np.argmax(cand, axis=0)
        score = cand[back[t], np.arange(k)] + E[t]
    return np.max(score)


def isotonic_like_pool_adjacent(y):
    blocks = [[v] for v in y]
    merged = True
    while merged:
        merged = False
        for i in range(len(blocks) - 1):
            if np.mean(blocks[i]) > np.mean(blocks[i + 1]):
                blocks[i] = blocks[i] + blocks.pop(i + 1)
                merged = True
                break
    return sum(np.mean(b) ** 2 * len(b) for b in blocks)


def weighted_scatter_mean(values, w):
    seg = np.array([0, 1, 0, 2, 1])
    num = np.zeros(3)
    den = np.zeros(3)
    np.add.at(num, seg, values * w)
    np.add.at(den, seg, w)
    return np.sum((num / den) ** 2)


def boolean_iadd_masked(x, v):
    y = x.copy()
    m = x > 0
    y[m] += v[m] ** 2
    return np.sum(y ** 2)


def column_fancy_write(A, B):
    C = A.copy()
    C[:, [0, 2]] = B
    return np.sum(C ** 2 * np.arange(4))


def self_overlapping_fancy_assign(x):
    y = x.copy()
    y[[0, 1, 2]] = y[[2, 0, 1]] * 2
    return np.sum(y * np.arange(len(y)))


def negative_step_slice_writes(x, v):
    y = np.zeros(6)
    y[::-1] = x
    y[::-2] += v
    return np.sum(y * np.arange(1, 7) ** 2)


def zero_d_array_accumulator(x):
    s = np.zeros(())
    for v in x:
        s += v ** 2
    s[...] = s * 2
    return s[()] + 0.0


def zero_d_running_total_kept(x):
    total = np.array(0.0)
    history = []
    for v in x:
        total += v ** 2
        history.append(total)
    return history[0] * 1.0


def zero_d_alias_after_update(x):
    s = np.zeros(())
    s += x[0]
    t = s
    s += x[1] ** 2
    return t * 1.0


def zero_d_state_dict_after_update(x):
    state = {"loss": np.zeros(())}
    for v in x:
        state["loss"] += v ** 2
    best = state["loss"]
    state["loss"] += 1.0
    return best * 1.0


def fill_diagonal_active(A, v):
    B = A.copy()
    np.fill_diagonal(B, v)
    return np.linalg.slogdet(B @ B.T + np.eye(3))[1]


def triu_indices_symmetric(v):
    A = np.zeros((3, 3))
    A[np.triu_indices(3, 1)] = v
    A = A + A.T + 4 * np.eye(3)
    return np.linalg.slogdet(A)[1]


def reshape_view_iadd(x):
    y = x.copy()
    y.reshape(2, -1)[0] += 1.0
    y.reshape(2, 3)[:, 1] *= 3.0
    return np.sum(y ** 2)


def argmax_indices_write(A, v):
    B = np.zeros_like(A)
    i, j = np.unravel_index(np.argmax(A), A.shape)
    B[i, j] = v
    return np.sum(B * A)


def where_tuple_index_write(x):
    y = x * 1.0
    idx = np.where(x < 0)[0]
    y[idx] = x[idx] ** 2
    return np.sum(y)


def list_of_bools_mask(x):
    return np.sum(x[[True, False, True, False, True]] ** 2)


def straight_through_round(x):
    q = x + (np.round(x * 4) / 4 - x)
    return np.sum(q * x)


ML = [
    (embedding_lookup_repeated_rows, (rng.normal(size=(4, 3)), M3), (0, 1), True),
    (embedding_take_axis0, (M3,), 0, False),
    (word2vec_negative_sampling, (rng.normal(size=(4, 3)), rng.normal(size=(4, 3))), (0, 1),
     True),
    (matrix_factorisation_sgd_in_place, (rng.normal(size=(3, 2)), rng.normal(size=(3, 2))),
     (0, 1), False),
    (matrix_factorisation_vectorised, (rng.normal(size=(3, 2)), rng.normal(size=(3, 2))),
     (0, 1), True),
    (sparsemax_loss, (np.array([0.8, 0.1, 0.7, -0.3, 0.5]),), 0, False),
    (top_k_by_sort, (X6,), 0, True),
    (top_k_by_argpartition, (X6,), 0, False),
    (knn_by_argsort, (X3, XB, YB), (0, 1, 2), True),
    (sinkhorn_log_domain, (np.abs(M34),), 0, False),
    (wasserstein_1d_by_sort, (X5, X5 * 0.5 + 0.3), (0, 1), True),
    (batch_norm_training, (XB, X3, X3 * 0.1), (0, 1, 2), True),
    (dropout_fixed_mask, (M3, XB), (0, 1), True),
    (gumbel_softmax_fixed_noise, (X5, rng.gumbel(size=5)), 0, False),
    (mixup_loss, (rng.normal(size=(3, 2)), XB, rng.normal(size=(5, 2))), (0, 1), True),
    (im2col_conv, (rng.normal(size=(4, 4)), rng.normal(size=(2, 2))), (0, 1), True),
    (im2col_by_fancy_indexing, (rng.normal(size=(4, 4)), rng.normal(size=(2, 2))), (0, 1),
     True),
    (causal_attention_triu_mask, (M34, M34 * 0.5, M34.T[:3].copy()), (0, 1, 2), True),
    (viterbi_score_of_best_path, (rng.normal(size=(4, 3)), M3), (0, 1), False),
    (isotonic_like_pool_adjacent, ([0.3, 1.2, 0.5, 2.0, 1.1],), 0, False),
    (weighted_scatter_mean, (X5, np.abs(X5) + 0.5), (0, 1), False),
    (boolean_iadd_masked, (X6, X6 * 0.5 + 0.1), (0, 1), False),
    (column_fancy_write, (M34, rng.normal(size=(3, 2))), (0, 1), False),
    (self_overlapping_fancy_assign, (X5,), 0, False),
    (negative_step_slice_writes, (X6, X3), (0, 1), False),
    (zero_d_array_accumulator, (X4,), 0, False),
    (zero_d_running_total_kept, (X4,), 0, False),
    (zero_d_alias_after_update, (X4,), 0, False),
    (zero_d_state_dict_after_update, (X4,), 0, False),
    (fill_diagonal_active, (M3, X3), (0, 1), False),
    (triu_indices_symmetric, (X3,), 0, False),
    (reshape_view_iadd, (X6,), 0, False),
    (argmax_indices_write, (M34, 0.7), (0, 1), False),
    (where_tuple_index_write, (X6,), 0, False),
    (list_of_bools_mask, (X5,), 0, False),
    (straight_through_round, (X5,), 0, False),
]


CONFIG = {"act": "tanh"}


def match_on_a_loss_name(x, kind="l1"):
    match kind:
        case "l2":
            return np.sum(x ** 2)
        case "l1":
            return np.sum(np.abs(x))
        case _:
            return np.sum(x)


def getattr_of_numpy_by_config(x):
    act = getattr(np, CONFIG["act"])
    return np.sum(act(x) ** 2)


def reduction_chosen_by_conditional(x, mode="mean"):
    red = np.mean if mode == "mean" else np.sum
    return red(x ** 2)


def partial_of_clip(x):
    clip = functools.partial(np.clip, a_min=-0.4, a_max=None)
    return np.sum(clip(x) ** 2)


def try_except_fallback(x):
    try:
        y = 1.0 / (x[0] - x[0])
    except ZeroDivisionError:
        y = x[1] ** 2
    return y


def lambdas_with_loop_defaults(x):
    fs = []
    for k in range(3):
        fs.append(lambda z, k=k: z ** (k + 1))
    return sum(np.sum(f(x)) for f in fs)


def nonlocal_rebinding(x):
    def inner():
        nonlocal x
        x = x * 2
    inner()
    return np.sum(x ** 2)


def for_else_without_break(x):
    total = 0.0
    for v in x:
        if v > 10:
            break
    else:
        total = np.sum(x ** 3)
    return total


def p_norm_with_inf_branch(x, p=3):
    if p == np.inf:
        return np.max(np.abs(x))
    return np.sum(np.abs(x) ** p) ** (1 / p)


def while_true_with_counter(x):
    k = 0
    while True:
        k += 1
        x = np.cos(x)
        if k >= 5:
            break
    return np.sum(x)


def assert_and_isinstance_checks(x):
    assert np.all(np.isfinite(x)), "bad input"
    if not isinstance(x, np.ndarray):
        raise TypeError("need an array")
    return np.sum(x ** 2) / x.size


PYTHON_CONTROL = [
    (match_on_a_loss_name, (X4,), 0, False),
    (getattr_of_numpy_by_config, (X4,), 0, False),
    (reduction_chosen_by_conditional, (X4,), 0, False),
    (partial_of_clip, (X4,), 0, False),
    (try_except_fallback, (X4,), 0, False),
    (lambdas_with_loop_defaults, (X4,), 0, False),
    (nonlocal_rebinding, (X4,), 0, False),
    (for_else_without_break, (X4,), 0, True),
    (p_norm_with_inf_branch, (X4,), 0, True),
    (while_true_with_counter, (X4,), 0, True),
    (assert_and_isinstance_checks, (X4,), 0, False),
]


GRID = np.linspace(0, 1, 5)
TARGETS = np.sin(3 * GRID)


def gp_nll_zero_d_hyperparameters(log_ell, log_sf):
    ell = np.exp(log_ell)
    K = np.exp(log_sf) * np.exp(-0.5 * (GRID[:, None] - GRID[None, :]) ** 2 / ell ** 2)
    K[np.diag_indices_from(K)] += 0.1
    L = np.linalg.cholesky(K)
    a = np.linalg.solve(L.T, np.linalg.solve(L, TARGETS))
    return 0.5 * TARGETS @ a + np.sum(np.log(np.diag(L)))


def learning_rate_zero_d_decayed_in_place(lr, w):
    w = w.copy()
    for _ in range(4):
        w -= lr * 2 * w
        lr *= 0.9
    return np.sum(w ** 2)


def temperature_zero_d_scaled(T, z):
    T = T + 0.0
    T *= 2.0
    e = np.exp(z / T)
    return np.sum(e / e.sum() * np.arange(len(z)))


def momentum_zero_d_state(x, beta):
    v = np.zeros(())
    for t in range(3):
        v *= beta
        v += x[t] ** 2
    return v * 1.0


ZERO_D = [
    (gp_nll_zero_d_hyperparameters, (np.array(-0.5), np.array(0.2)), (0, 1), False),
    (learning_rate_zero_d_decayed_in_place, (np.array(0.1), np.array([0.5, -0.3])), (0, 1),
     False),
    (temperature_zero_d_scaled, (np.array(0.7), np.array([0.1, 0.5, -0.3])), (0, 1), False),
    (momentum_zero_d_state, (np.array([0.3, 0.5, 0.9]), np.array(0.8)), (0, 1), False),
]


GROUPS = {"python": PYTHON + PYTHON_CONTROL, "estimators": ESTIMATORS, "indexing": INDEXING,
          "dtypes": DTYPES + ZERO_D, "methods": METHODS, "geometry": GEOMETRY, "second": SECOND,
          "library": LIBRARY, "idioms": IDIOMS, "ml": ML}

#: refused at a line of this file (a TransformError)
REFUSED = {
    "recursive_power", "sorted_by_key", "max_with_key", "any_all_conditions",
    "dict_of_floats_accumulate", "list_index_method", "recursive_binary_tree_sum",
    "list_sort_in_place", "estimator_fit_score", "estimator_fit_data_gradient",
    "logistic_model_attributes_set", "scaler_then_ridge", "put_along_axis_on_copy",
    "ediff1d_with_ends", "flat_iter_read", "flat_index_write", "compress_and_extract",
    "lexsort_order", "int_array_index_from_float", "put_into_copy", "out_argument_reduction",
    "legendre_legval", "procrustes_svd", "newton_step_with_hessian",
    "laplacian_by_hessian_trace", "jacobian_logdet", "value_and_grad_inside",
    "cholesky_upper_keyword", "array_api_norms", "array_api_products", "matvec_and_vecmat",
    "cumulative_sum_include_initial", "broadcast_to_and_arrays", "divmod_numpy", "modf_frexp",
    "logaddexp_accumulate", "histogram_weights", "chained_slice_then_index_write",
    "chained_mask_then_index_write_no_effect", "chained_fancy_copy_write_no_effect",
    "transpose_ravel_copy_write", "list_of_active_repeated", "list_slice_assign",
    "list_extend_reverse", "math_two_and_more_arguments", "math_prod_and_gamma",
    "math_fmod_remainder", "statistics_module", "method_positional_arguments",
    "numpy_positional_ddof_weights", "special_huber_argument_order", "special_boxcox",
    "cdist_sqeuclidean", "pdist_euclidean", "class_with_dot_method",
    "viterbi_score_of_best_path", "isotonic_like_pool_adjacent", "reshape_view_iadd",
    "match_on_a_loss_name", "getattr_of_numpy_by_config",
    "partial_of_clip", "try_except_fallback", "lambdas_with_loop_defaults", "nonlocal_rebinding",
}
#: refused when the code runs: a TypeError naming the line of this file
REFUSED_WHEN_RUN = {"zero_d_running_total_kept", "zero_d_alias_after_update",
                    "zero_d_state_dict_after_update"}

PROBE = ProbeTable.of(GROUPS, REFUSED, REFUSED_WHEN_RUN)
PROGRAMS, REFUSALS, BY_NAME = PROBE.programs, PROBE.refusals, PROBE.by_name


def test_every_refusal_is_a_program_here():
    PROBE.check_listed(at_least=300)


@pytest.mark.parametrize("group, f, args, wrt, by_autograd", PROGRAMS, ids=entry_ids(PROGRAMS))
def test_programs(group, f, args, wrt, by_autograd):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check_program(f, args, wrt, by_autograd)


@pytest.mark.parametrize("group, f, args, wrt, by_autograd", REFUSALS, ids=entry_ids(REFUSALS))
def test_what_is_refused(group, f, args, wrt, by_autograd):
    PROBE.check_refused(f, args, wrt, __file__)


SECOND_ORDER = ["newton_sqrt_while", "tuple_returned_unpacked", "kahan_summation",
                "hinge_loss", "focal_loss", "label_smoothing_ce", "fancy_iadd_repeated_on_zeros",
                "bool_mask_write_values", "where_in_sum", "einsum_trace",
                "zero_d_array_accumulator", "barycentric_coordinates", "hvp_by_grad_of_grad",
                "chained_index_write_into_zeros", "sparsemax_loss", "momentum_zero_d_state",
                "learning_rate_zero_d_decayed_in_place",
                *[pytest.param(name, marks=pytest.mark.long) for name in (
                    "adaptive_rk_vector", "finite_volume_minmod", "sinkhorn_log_domain",
                    "matrix_factorisation_sgd_in_place", "soft_rasteriser", "romberg_table",
                    "gradient_norm_penalty", "norm_orders_matrix", "quaternion_rotate_point")]]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivatives(name):
    f, args, wrt, _ = BY_NAME[name]
    assert_hessian(f, *args, wrt=wrt[0] if isinstance(wrt, tuple) else wrt)


def float32_sum_of_sines(x):
    return np.sum(np.sin(x) * x)


def float32_weights_float64_input(W, x):
    return np.sum(np.tanh(W @ x))


def float32_written_into_float32(x):
    y = np.zeros(4, dtype=np.float32)
    y[1:] = x[:3] * 2
    return np.sum(y * x)


@pytest.mark.parametrize("f, args, wrt", [
    (float32_sum_of_sines, (X4.astype(np.float32),), 0),
    (float32_weights_float64_input, (M3.astype(np.float32), X3), (0, 1)),
    (float32_weights_float64_input, (M3.astype(np.float32), X3.astype(np.float32)), (0, 1)),
    (float32_written_into_float32, (X4.astype(np.float32),), 0),
    (BY_NAME["keepdims_normalise"][0], (M34.astype(np.float32),), 0),
    (BY_NAME["hinge_loss"][0], (X3.astype(np.float32), XB, YPM), 0),
    (BY_NAME["label_smoothing_ce"][0], (rng.normal(size=(5, 3)).astype(np.float32), LABELS), 0),
    (BY_NAME["zero_d_array_argument"][0], (np.array(0.7, dtype=np.float32),), 0),
])
def test_float32_arguments(f, args, wrt):
    """A float32 argument's gradient is float32 (SPEC), and equals the float64 gradient at
    the same point to float32's precision (finite differences in float32 would not)."""
    got = ad.grad(f, wrt=wrt)(*args)
    wide = [a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype == np.float32 else a
            for a in args]
    want = ad.grad(f, wrt=wrt)(*wide)
    for g, w, i in zip(got if isinstance(wrt, tuple) else (got,),
                       want if isinstance(wrt, tuple) else (want,),
                       wrt if isinstance(wrt, tuple) else (wrt,)):
        assert np.asarray(g).dtype == np.asarray(args[i]).dtype
        assert_close(g, w, 1e-4, 1e-5, f"{f.__name__} in float32")


#: programs numba compiles (a fallback to Python fails the test); the slower compilations run
#: with -m long
NUMBA = ["tuple_swap_fibonacci", "reversed_horner", "secant_method",
         *[pytest.param(name, marks=pytest.mark.long) for name in (
             "newton_root_inside", "where_in_sum", "kahan_summation", "upwind_with_max_min",
             "poisson_deviance")]]


@pytest.mark.parametrize("name", NUMBA)
def test_numba_backend_agrees(name):
    PROBE.check_numba(name)
