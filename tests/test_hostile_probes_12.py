"""Probe 12: whole programs the way scientists and ML practitioners write them, in families
the earlier probes did not cover, each checked by ``check_program`` (probe 10's: central
finite differences in float64 leaf by leaf for structures, forward mode along random
tangents and the call by keywords for arrays, autograd where it runs the code as written),
second derivatives, ``ad.value_and_grad`` (with ``has_aux``, and of dicts of parameters) and
the numba backend on samples:

- signal: 1-d and 2-d convolutions by loops, ``np.convolve``/``np.correlate`` in every mode
  (a short signal with a long kernel too), ``sliding_window_view`` (along axes, windows of
  windows), pooling by reshape, by loops and by strided windows, ``np.pad`` in each mode and
  width, total variation, Laplacians by ``np.roll`` and by slices, diffusion written in
  place, separable blurs, ``np.gradient``/``np.interp``/``np.trapezoid`` forms; ``np.fft``
  (refused: complex values).
- graphs: GCN layers by adjacency matmuls with degree normalisation, scatter-adds by
  ``np.add.at`` (tuple indices, scalars, into a differentiated array), ``np.bincount``,
  ``agg[dst] += msg`` with repeated indices (the last write wins), edge lists of tuples,
  attention over neighbours (dense, masked by ``-np.inf``, an edge softmax by scatters),
  PageRank, adjacency lists in dicts and lists, CSR mat-vecs.
- probabilistic: ``scipy.stats`` log densities (norm, t, gamma, beta, poisson, expon,
  lognorm, laplace, chi2, multivariate_normal) by position and keyword, frozen, in loops;
  VAE ELBOs with the noise passed in, planar flows and affine couplings (in place too) with
  their log-determinants, HMC leapfrog in place and by a nested ``ad.grad``, Bayesian
  logistic and probit regression, hierarchical models with parameters in a dict,
  importance-weighted bounds, ``scipy.special`` beside them.
- dp: soft-DTW (arrays, ``logsumexp``, lists of lists), HMM forward algorithms writing
  ``alpha[t] = ...`` (log space, scaled, normalised in place), forward-backward, soft
  Viterbi, CTC recursions, soft edit distances, relaxed knapsacks, a linear-chain CRF,
  soft value iteration; recursions through row views (``a = alpha[t]; a[:] = ...; a /=
  a.sum()``), rolling rows (``prev, cur = cur, prev``) and vectors updated in place.
- finance/engineering: Black-Scholes (``norm.cdf`` and ``math.erf``), Greeks by nested
  ``ad.grad``, implied volatility by Newton, portfolios (variance, Sharpe, softmax
  weights), Monte Carlo and Asian options, forward kinematics with rotation matrices built
  by ``np.array([[c, -s], [s, c]])`` in loops (homogeneous, 3-d, an IK step), trusses and
  springs through ``np.linalg.solve`` (``K[np.ix_(...)] += ke``), explicit heat steps into
  preallocated grids, implicit steps, beams, bond durations; ``scipy.linalg`` solvers and
  factorisations with their flags; NumPy calls with positional axes, memory orders, implicit
  einsum outputs, NumPy 2's array-API functions.
- oop: SGD/Adam/momentum objects with ``self.m``/``self.v`` state (called on the object and
  through the class), models as objects holding layer objects, properties from parameters,
  ``__getitem__`` and operator overloading on user classes, module-level registries and
  caches, memoisation by dicts, generators and iterators of minibatches, ``itertools``,
  decorated helpers (``functools.wraps``, caches, ``np.vectorize``), closures over names
  rebound later, parameter classes with their own ``__getitem__``/``__iter__``/``__len__``/
  ``__getattr__``/``__contains__``/``__bool__``.
- aliases: ``params = model.params`` then in place, views returned by helpers and written,
  ``x = x.reshape(...)`` then ``x[...] +=``, ``np.split``/``hsplit`` results written,
  ``out=`` (by keyword and by position) into ``np.empty_like``, ``a, b = b, a`` swaps in loops,
  one array appended twice, shallow copies (``dict(state)``, ``{**d}``, ``list(xs)``,
  ``copy.copy``) changed in place, aliases through branches, builtins and dict methods,
  helpers changing their arguments, and constants read by the gradient then changed by every
  route NumPy and Python offer (methods, helpers, globals, ``operator``, ``memoryview``,
  ``np.frombuffer``, sorts, shuffles, ``out=``).

What the probe found (fixed, with regression tests in tests/test_rules_scipy_stats.py,
tests/test_rules_scipy.py, tests/test_rules.py, tests/test_rules_library.py and
tests/test_structures.py):

- **Wrong gradients**: ``multivariate_normal.logpdf(x, mean, cov=v)`` (and ``pdf``) with a
  vector of variances ``v`` (SciPy reads ``np.diag(v)``, a diagonal covariance, as in VAEs)
  gave the gradient of another matrix, in ``x`` too; ``cov`` given as a number failed inside
  the gradient code. Both are refused at the call now (pass ``np.diag(v)``), and so is
  ``allow_singular=True``. A vector of one-dimensional points (each entry a point, as SciPy
  reads it where the dimension is 1) failed inside the gradient code; it is differentiated.
- **Wrong gradients**: ``np.clip(x, lo, hi)`` with differentiated bounds that cross
  (``lo > hi`` somewhere, where NumPy gives ``hi``) gave ``lo`` the gradient there and ``hi``
  none, in both modes.
- ``scipy.special.logsumexp(a, b=B, axis=...)`` where ``B`` broadcasts ``a`` to a larger shape
  failed inside the gradient code; it is differentiated now (a ``B`` of more dimensions than
  ``a`` is refused at the call).
- ``sliding_window_view(x, (2, 3), axis=(0, 0))`` (windows of windows, NumPy's documented
  example) raised NotImplementedError inside the gradient code; it is differentiated.
- **Wrong gradients**: a differentiated NamedTuple, dataclass or object whose class defines
  its own ``__getitem__``, ``__iter__`` or ``__len__`` was read by its fields where Python
  runs that code (``p["w"]`` as ``p.w``; ``for v in p``, ``a, b = p``, ``first, *rest = p``
  and ``tuple(p)`` over the fields in their order; ``len(p)`` as their number). Such uses are
  refused at their line (tests/test_structures.py).

Everything else was differentiated right, or refused at this file's line (REFUSED, and
REFUSED_WHEN_RUN for the checks made when the code runs). Refusals that look
over-cautious, not changed here: ``msgs[j].append(...)`` into a list of lists;
``params["theta"][k]`` with ``k`` a key of another dict; ``np.logaddexp.reduce`` of a list; a gradient or
``ad.value_and_grad(...)`` held in a variable and called; methods of optimiser, layer,
model, scaler and running-mean objects called on the object (and, where they assign
``self.vel`` or call ``self.m.get``, through the class); ``Model(params)`` built in the loss;
``__getitem__`` and operator overloading of user classes; a memoising recursive closure;
``np.linalg.matrix_rank`` of a differentiated matrix in a condition; the results of
``np.split``/``np.hsplit``, a boolean-indexed copy ``y[y > 0]``, and a view a helper returns,
changed in place (refused when run: other names may share the array); ``v = u`` then a
helper changing ``v``; a helper changing an array through ``state["u"]``, ``U[0]`` or a
nested def; ``heat_step(row)`` of a row name (refused when run). Not fixed, reported: of two refused calls on one line (two
``np.quantile`` methods), the refusal names the later; a
function that changes its argument's arrays through a shallow copy (``state = dict(state);
state["v"] += x``) changes them in Python but not in the gradient (arguments are copied on
entry), so it is left out here (finite differences would drift). Fixed since: a row view of a
preallocated array written (``a = alpha[t]; a[:] = ...; a /= a.sum()``) or kept while
another row is (``prev = alpha[t - 1]``) is written through the array
(tests/test_row_views.py); ``new = best.copy(); new[c] = ...; best = new`` in a loop,
rolling rows (``prev, cur = cur, prev``, or a fresh ``cur = np.empty(m)`` each iteration)
and buffers swapped by ``a, b = b, a`` with writes in the loop are no longer taken for one
array (tests/test_iteration_objects.py); ``R[i][j] = ...`` into a table of reals kept
as a list of lists (soft-DTW) is made in the 2-d array of its entries
(tests/test_list_tables.py); a dict
subclass or ``OrderedDict`` of parameters was a TypeError naming the argument, not read as
a dict (tests/test_mapping_params.py); differentiating a function wrapped by a ``*args``
decorator was a ValueError for ``wrt`` out of range, naming no wrapper: a wrapper that only
forwards is differentiated as the function it wraps, another refused saying what to do
(tests/test_wrapped_functions.py); ``np.cross`` of 2-vectors (deprecated by NumPy) of lengths
known only when the code runs failed then with a ValueError naming no line: a check names
it now (tests/test_rules_library.py).
"""

import copy
import dataclasses
import functools
import itertools
import math
import operator
from typing import NamedTuple

import numpy as np
import pytest
import scipy.linalg
import scipy.linalg as sl
import scipy.signal
import scipy.special
import scipy.special as sp
import scipy.stats
from numpy.lib.stride_tricks import sliding_window_view
from scipy import stats
from scipy.stats import beta as beta_dist
from scipy.stats import gamma as gamma_dist
from scipy.stats import multivariate_normal, norm
from scipy.stats import t as student_t
from conftest import assert_close, assert_hessian
from probe_tables import ProbeTable, entry_ids
from test_hostile_probes_10 import check_program
from test_hostile_probes_9 import flatten

import adcompile as ad


rng = np.random.default_rng(1212)
X3 = rng.normal(size=3)
X4 = rng.normal(size=4)
X5 = rng.normal(size=5)
X6 = rng.normal(size=6)
X8 = rng.normal(size=8)
M3 = rng.normal(size=(3, 3))
M23 = rng.normal(size=(2, 3))
M34 = rng.normal(size=(3, 4))
M44 = rng.normal(size=(4, 4))
IMG = rng.normal(size=(6, 6))
K3 = rng.normal(size=3)
K33 = rng.normal(size=(3, 3))
SPD = M3 @ M3.T + 3.0 * np.eye(3)


# -- signal and image: convolutions, pooling, padding, total variation, Laplacians -----------

def conv1d_loops(x, k):
    n, m = len(x), len(k)
    out = np.zeros(n - m + 1)
    for i in range(n - m + 1):
        for j in range(m):
            out[i] += x[i + j] * k[j]
    return np.sum(out ** 2)


def conv1d_loops_dot(x, k):
    m = len(k)
    ys = []
    for i in range(len(x) - m + 1):
        ys.append(np.dot(x[i:i + m], k))
    return np.sum(np.array(ys) ** 2)


def conv1d_np_convolve(x, k):
    return np.sum(np.convolve(x, k, mode="valid") ** 2) + np.sum(np.convolve(x, k))


def conv1d_same(x, k):
    return np.sum(np.tanh(np.convolve(x, k, "same")))


def correlate_modes(x, k):
    return (np.sum(np.correlate(x, k) ** 2) + np.sum(np.correlate(x, k, "full") ** 3)
            + np.sum(np.correlate(x, k, mode="same") * x))


def conv1d_sliding_window(x, k):
    windows = sliding_window_view(x, len(k))
    return np.sum((windows @ k) ** 2)


def conv1d_sliding_window_full_name(x, k):
    w = np.lib.stride_tricks.sliding_window_view(x, 3)
    return np.sum(np.max(w, axis=1)) + np.sum(w @ k)


def conv2d_loops(img, k):
    H, W = img.shape
    kh, kw = k.shape
    out = np.zeros((H - kh + 1, W - kw + 1))
    for i in range(H - kh + 1):
        for j in range(W - kw + 1):
            out[i, j] = np.sum(img[i:i + kh, j:j + kw] * k)
    return np.sum(np.tanh(out))


def conv2d_sliding_window(img, k):
    patches = sliding_window_view(img, k.shape)
    out = np.einsum("ijkl,kl->ij", patches, k)
    return np.sum(out ** 2)


def conv2d_shift_and_add(img, k):
    H, W = img.shape
    out = np.zeros((H - 2, W - 2))
    for a in range(3):
        for b in range(3):
            out += k[a, b] * img[a:a + H - 2, b:b + W - 2]
    return np.sum(np.maximum(out, 0.0) ** 2)


def conv2d_shift_and_add_in_place_then_relu(img, k):
    H, W = img.shape
    out = np.zeros((H - 2, W - 2))
    for a in range(3):
        for b in range(3):
            out += k[a, b] * img[a:a + H - 2, b:b + W - 2]
    out[out < 0] = 0.0
    return np.sum(out ** 2)


def max_pool_by_reshape(img):
    pooled = img.reshape(3, 2, 3, 2).max(axis=(1, 3))
    return np.sum(pooled ** 2)


def avg_pool_by_reshape(img):
    pooled = img.reshape(3, 2, 3, 2).mean(axis=(1, 3))
    return np.sum(np.sin(pooled))


def max_pool_by_loops(img):
    out = np.empty((3, 3))
    for i in range(3):
        for j in range(3):
            out[i, j] = np.max(img[2 * i:2 * i + 2, 2 * j:2 * j + 2])
    return np.sum(out * np.arange(9.0).reshape(3, 3))


def max_pool_sliding_stride(img):
    w = sliding_window_view(img, (2, 2))[::2, ::2]
    return np.sum(w.max(axis=(2, 3)) ** 2)


def pad_then_conv(x, k):
    xp = np.pad(x, 1)
    return np.sum(np.convolve(xp, k, "valid") ** 2)


def pad_modes(img):
    a = np.pad(img, ((1, 1), (2, 0)), mode="reflect")
    b = np.pad(img, 1, mode="edge")
    c = np.pad(img, 2, mode="wrap")
    d = np.pad(img, 1, constant_values=0.5)
    return np.sum(a ** 2) + np.sum(b * 0.3) + np.sum(c ** 3) + np.sum(d ** 2)


def pad_stat_mode(x):
    return np.sum(np.pad(x, 2, mode="mean") ** 2)


def pad_into_preallocated(img):
    H, W = img.shape
    out = np.zeros((H + 2, W + 2))
    out[1:-1, 1:-1] = img
    out[0, 1:-1] = img[0]
    out[-1, 1:-1] = img[-1]
    return np.sum((out[1:, :] - out[:-1, :]) ** 2)


def total_variation_denoise(u, f):
    lam = 0.3
    dx = u[1:, :] - u[:-1, :]
    dy = u[:, 1:] - u[:, :-1]
    tv = np.sum(np.sqrt(dx[:, :-1] ** 2 + dy[:-1, :] ** 2 + 1e-3))
    return 0.5 * np.sum((u - f) ** 2) + lam * tv


def total_variation_diff(u):
    return np.sum(np.abs(np.diff(u, axis=0))) + np.sum(np.abs(np.diff(u, axis=1)))


def tv_gradient_steps(f):
    u = f.copy()
    for _ in range(3):
        gx = np.zeros_like(u)
        gx[:-1, :] = u[:-1, :] - u[1:, :]
        gx[1:, :] += u[1:, :] - u[:-1, :]
        u = u - 0.1 * (u - f) - 0.05 * gx
    return np.sum(u ** 2)


def laplacian_roll(u):
    lap = (np.roll(u, 1, axis=0) + np.roll(u, -1, axis=0) + np.roll(u, 1, axis=1)
           + np.roll(u, -1, axis=1) - 4 * u)
    return np.sum(lap ** 2)


def laplacian_slices(u):
    lap = np.zeros_like(u)
    lap[1:-1, 1:-1] = (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2]
                       - 4 * u[1:-1, 1:-1])
    return np.sum(lap ** 2) + np.sum(u[0] * lap[1])


def laplacian_roll_shift_tuple(u):
    lap = np.roll(u, (1, 1), axis=(0, 1)) - u
    return np.sum(lap * np.cos(u))


def diffusion_steps_roll(u):
    for _ in range(4):
        u = u + 0.1 * (np.roll(u, 1) + np.roll(u, -1) - 2 * u)
    return np.sum(u ** 3)


def diffusion_steps_in_place(u):
    u = u.copy()
    for _ in range(3):
        lap = u[:-2] - 2 * u[1:-1] + u[2:]
        u[1:-1] += 0.2 * lap
    return np.sum(u ** 2)


def diffusion_in_place_without_temp(u):
    u = u.copy()
    for _ in range(2):
        u[1:-1] += 0.2 * (u[:-2] - 2 * u[1:-1] + u[2:])
    return np.sum(u ** 2)


def fft_power_loss(x):
    return np.sum(np.abs(np.fft.rfft(x)) ** 2)


def fft_convolution(x, k):
    n = len(x)
    y = np.fft.irfft(np.fft.rfft(x) * np.fft.rfft(k, n), n)
    return np.sum(y ** 2)


def gaussian_blur_separable(img, s):
    t = np.arange(-1.0, 2.0)
    g = np.exp(-t ** 2 / (2 * s ** 2))
    g = g / g.sum()
    rows = np.array([np.convolve(r, g, "same") for r in img])
    cols = np.array([np.convolve(c, g, "same") for c in rows.T]).T
    return np.sum(cols ** 2)


def unsharp_mask(img):
    blur = (img + np.roll(img, 1, 0) + np.roll(img, -1, 0)) / 3.0
    sharp = img + 0.5 * (img - blur)
    return np.sum(np.clip(sharp, -1.0, 1.0) ** 2)


def image_gradient_magnitude(img):
    gy, gx = np.gradient(img)
    return np.sum(np.sqrt(gx ** 2 + gy ** 2 + 1e-6))


def sobel_by_correlate_rows(img):
    k = np.array([1.0, 0.0, -1.0])
    out = 0.0
    for r in img:
        out = out + np.sum(np.correlate(r, k) ** 2)
    return out


def strided_decimation(x):
    y = np.convolve(x, np.ones(2) / 2, "valid")[::2]
    return np.sum(y ** 2)


def upsample_by_repeat(x):
    y = np.repeat(x, 2)
    z = np.kron(x, np.array([1.0, 0.5]))
    return np.sum(np.convolve(y, np.array([0.25, 0.5, 0.25]), "same") ** 2) + np.sum(z ** 2)


def cumsum_moving_average(x):
    c = np.cumsum(np.concatenate([[0.0], x]))
    ma = (c[3:] - c[:-3]) / 3
    return np.sum(ma ** 2)


def window_sums_as_strided(x):
    s = np.lib.stride_tricks.as_strided(x, shape=(len(x) - 2, 3), strides=(x.strides[0],) * 2)
    return np.sum(s.sum(axis=1) ** 2)


def channels_conv(imgs, ks):
    total = 0.0
    for c in range(imgs.shape[0]):
        total = total + np.sum(np.tanh(sliding_window_view(imgs[c], (2, 2)).reshape(-1, 4)
                                       @ ks[c].ravel()))
    return total


CH = rng.normal(size=(2, 4, 4))
CHK = rng.normal(size=(2, 2, 2))

SIGNAL = [
    (conv1d_loops, (X8, K3), (0, 1), False),
    (conv1d_loops_dot, (X8, K3), (0, 1), True),
    (conv1d_np_convolve, (X8, K3), (0, 1), False),
    (conv1d_same, (X8, K3), (0, 1), False),
    (correlate_modes, (X8, K3), (0, 1), False),
    (conv1d_sliding_window, (X8, K3), (0, 1), False),
    (conv1d_sliding_window_full_name, (X8, K3), (0, 1), False),
    (conv2d_loops, (IMG, K33), (0, 1), False),
    (conv2d_sliding_window, (IMG, K33), (0, 1), False),
    (conv2d_shift_and_add, (IMG, K33), (0, 1), False),
    (conv2d_shift_and_add_in_place_then_relu, (IMG, K33), (0, 1), False),
    (max_pool_by_reshape, (IMG,), 0, True),
    (avg_pool_by_reshape, (IMG,), 0, True),
    (max_pool_by_loops, (IMG,), 0, False),
    (max_pool_sliding_stride, (IMG,), 0, False),
    (pad_then_conv, (X8, K3), (0, 1), False),
    (pad_modes, (IMG,), 0, False),
    (pad_stat_mode, (X5,), 0, False),
    (pad_into_preallocated, (IMG,), 0, False),
    (total_variation_denoise, (IMG, IMG[::-1]), 0, True),
    (total_variation_diff, (IMG,), 0, True),
    (tv_gradient_steps, (IMG,), 0, False),
    (laplacian_roll, (IMG,), 0, True),
    (laplacian_slices, (IMG,), 0, False),
    (laplacian_roll_shift_tuple, (IMG,), 0, False),
    (diffusion_steps_roll, (X8,), 0, True),
    (diffusion_steps_in_place, (X8,), 0, False),
    (diffusion_in_place_without_temp, (X8,), 0, False),
    (fft_power_loss, (X8,), 0, False),
    (fft_convolution, (X8, K3), (0, 1), False),
    (gaussian_blur_separable, (IMG[:4, :5], 0.8), (0, 1), False),
    (unsharp_mask, (IMG,), 0, True),
    (image_gradient_magnitude, (IMG,), 0, False),
    (sobel_by_correlate_rows, (IMG,), 0, False),
    (strided_decimation, (X8,), 0, False),
    (upsample_by_repeat, (X5,), 0, False),
    (cumsum_moving_average, (X8,), 0, True),
    (window_sums_as_strided, (X8,), 0, False),
    (channels_conv, (CH, CHK), (0, 1), False),
]


# -- graphs: message passing, scatter-adds, edge lists, degree normalisation, attention ------

ADJ = np.array([[0, 1, 1, 0, 0], [1, 0, 1, 0, 0], [1, 1, 0, 1, 0], [0, 0, 1, 0, 1],
                [0, 0, 0, 1, 0]], dtype=float)
EDGES = [(0, 1), (0, 2), (1, 2), (2, 3), (3, 4)]
SRC = np.array([0, 1, 0, 2, 1, 2, 2, 3, 3, 4])
DST = np.array([1, 0, 2, 0, 2, 1, 3, 2, 4, 3])
FEAT = rng.normal(size=(5, 3))
WG = rng.normal(size=(3, 3)) * 0.5
WG2 = rng.normal(size=(3, 2)) * 0.5
EW = rng.uniform(0.5, 1.5, size=len(SRC))
AVEC = rng.normal(size=6)


def gcn_layer(W, H, A):
    A_hat = A + np.eye(len(A))
    d = A_hat.sum(axis=1)
    D = np.diag(1.0 / np.sqrt(d))
    return np.sum(np.tanh(D @ A_hat @ D @ H @ W) ** 2)


def gcn_two_layers(params, H, A):
    A_hat = A + np.eye(len(A))
    dinv = 1.0 / np.sqrt(A_hat.sum(1))
    N = dinv[:, None] * A_hat * dinv[None, :]
    h = np.maximum(N @ H @ params["W1"], 0.0)
    out = N @ h @ params["W2"]
    return np.sum(scipy.special.logsumexp(out, axis=1))


def scatter_add_at(W, H, src, dst):
    msg = H[src] @ W
    agg = np.zeros((H.shape[0], W.shape[1]))
    np.add.at(agg, dst, msg)
    return np.sum(np.tanh(agg))


def scatter_add_at_weighted(H, ew, src, dst):
    agg = np.zeros_like(H)
    np.add.at(agg, dst, ew[:, None] * H[src])
    return np.sum(agg ** 2)


def scatter_mean_by_bincount(H, src, dst):
    n = H.shape[0]
    deg = np.bincount(dst, minlength=n)
    cols = [np.bincount(dst, weights=H[src, c], minlength=n) for c in range(H.shape[1])]
    agg = np.stack(cols, axis=1) / deg[:, None]
    return np.sum(agg ** 2)


def scatter_by_fancy_plus_equals_loop(H, src, dst):
    agg = np.zeros_like(H)
    for e in range(len(src)):
        agg[dst[e]] += H[src[e]]
    return np.sum(np.sin(agg))


def scatter_by_fancy_plus_equals_repeated(H, src, dst):
    agg = np.zeros_like(H)
    agg[dst] += H[src]        # repeated indices: the last write wins, not a sum
    return np.sum(agg ** 2)


def edge_list_of_tuples(H, W):
    out = np.zeros((H.shape[0], W.shape[1]))
    for i, j in EDGES:
        m = np.tanh(H[i] @ W)
        out[j] += m
        out[i] += np.tanh(H[j] @ W)
    return np.sum(out ** 2)


def edge_list_messages_in_a_list(H, W):
    msgs = [[] for _ in range(H.shape[0])]
    for i, j in EDGES:
        msgs[j].append(H[i] @ W)
        msgs[i].append(H[j] @ W)
    out = np.stack([np.mean(np.stack(m), axis=0) for m in msgs])
    return np.sum(out ** 2)


def degree_normalised_edges(H, ew, src, dst):
    n = H.shape[0]
    deg = np.bincount(dst, weights=ew, minlength=n)
    norm = ew / np.sqrt(deg[src] * deg[dst])
    agg = np.zeros_like(H)
    np.add.at(agg, dst, norm[:, None] * H[src])
    return np.sum(agg ** 2)


def gat_dense(W, a, H, A):
    Z = H @ W
    n = Z.shape[0]
    e = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            e[i, j] = np.dot(a, np.concatenate([Z[i], Z[j]]))
    e = np.where(e > 0, e, 0.2 * e)
    e = np.where(A + np.eye(n) > 0, e, -1e9)
    att = np.exp(e - e.max(axis=1, keepdims=True))
    att = att / att.sum(axis=1, keepdims=True)
    return np.sum((att @ Z) ** 2)


def gat_broadcast(W, a, H, A):
    Z = H @ W
    d = Z.shape[1]
    e = (Z @ a[:d])[:, None] + (Z @ a[d:])[None, :]
    e = np.maximum(e, 0.2 * e)
    mask = (A + np.eye(len(A))) > 0
    e[~mask] = -np.inf
    att = scipy.special.softmax(e, axis=1)
    return np.sum(np.tanh(att @ Z))


def gat_edge_softmax_scatter(W, a, H, src, dst):
    Z = H @ W
    d = Z.shape[1]
    s = Z[src] @ a[:d] + Z[dst] @ a[d:]
    s = np.exp(s - s.max())
    denom = np.zeros(Z.shape[0])
    np.add.at(denom, dst, s)
    alpha = s / denom[dst]
    out = np.zeros_like(Z)
    np.add.at(out, dst, alpha[:, None] * Z[src])
    return np.sum(out ** 2)


def message_passing_rounds(H, W, A):
    h = H
    for _ in range(3):
        h = np.tanh(A @ h @ W + h)
    return np.sum(h[0] * h[-1])


def message_passing_rounds_in_place(H, W, A):
    h = H.copy()
    for _ in range(2):
        m = A @ h @ W
        h += 0.5 * np.tanh(m)
    return np.sum(h ** 2)


def graph_laplacian_smoothness(x, A):
    L = np.diag(A.sum(axis=1)) - A
    return x @ L @ x + 0.1 * np.sum(x ** 4)


def edge_smoothness_by_index(x, src, dst, ew):
    return np.sum(ew * (x[src] - x[dst]) ** 2)


def readout_pooling(H, W):
    h = np.tanh(H @ W)
    return np.max(h, axis=0).sum() + np.mean(h, axis=0) @ np.sum(h, axis=0)


def adjacency_from_distances(X):
    D = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1)
    A = np.exp(-D)
    np.fill_diagonal(A, 0.0)
    return np.sum(A @ X)


def pagerank_power(A, p):
    P = A / A.sum(axis=0, keepdims=True)
    r = np.ones(len(A)) / len(A)
    for _ in range(10):
        r = p * (P @ r) + (1 - p) / len(A)
    return r[0] + 2 * r[3]


def pagerank_in_place(w, A):
    P = A * w[:, None]
    P /= P.sum(axis=0, keepdims=True)
    r = np.full(len(A), 1.0 / len(A))
    for _ in range(5):
        r[:] = 0.85 * (P @ r) + 0.15 / len(A)
    return r @ np.arange(len(A))


def subtract_at_edges(x, src, dst):
    f = np.zeros_like(x)
    np.add.at(f, src, x[src] - x[dst])
    np.subtract.at(f, dst, 0.5 * (x[src] - x[dst]))
    return np.sum(f ** 2)


def neighbour_max_aggregation(H, src, dst):
    out = np.full(H.shape, -np.inf)
    np.maximum.at(out, dst, H[src])
    return np.sum(out)


def segment_sum_by_cumsum(x):
    seg = np.array([0, 2, 5, 8])
    c = np.concatenate([[0.0], np.cumsum(x)])
    return np.sum((c[seg[1:]] - c[seg[:-1]]) ** 2)


GRAPHS = [
    (gcn_layer, (WG, FEAT, ADJ), (0, 1), True),
    (gcn_two_layers, ({"W1": WG, "W2": WG2}, FEAT, ADJ), 0, False),
    (scatter_add_at, (WG, FEAT, SRC, DST), (0, 1), False),
    (scatter_add_at_weighted, (FEAT, EW, SRC, DST), (0, 1), False),
    (scatter_mean_by_bincount, (FEAT, SRC, DST), 0, False),
    (scatter_by_fancy_plus_equals_loop, (FEAT, SRC, DST), 0, False),
    (scatter_by_fancy_plus_equals_repeated, (FEAT, SRC, DST), 0, False),
    (edge_list_of_tuples, (FEAT, WG), (0, 1), False),
    (edge_list_messages_in_a_list, (FEAT, WG), (0, 1), True),
    (degree_normalised_edges, (FEAT, EW, SRC, DST), (0, 1), False),
    (gat_dense, (WG, AVEC, FEAT, ADJ), (0, 1, 2), False),
    (gat_broadcast, (WG, AVEC, FEAT, ADJ), (0, 1, 2), False),
    (gat_edge_softmax_scatter, (WG, AVEC, FEAT, SRC, DST), (0, 1), False),
    (message_passing_rounds, (FEAT, WG, ADJ * 0.3), (0, 1, 2), True),
    (message_passing_rounds_in_place, (FEAT, WG, ADJ * 0.3), (0, 1, 2), False),
    (graph_laplacian_smoothness, (X5, ADJ), (0, 1), True),
    (edge_smoothness_by_index, (X5, SRC, DST, EW), (0, 3), True),
    (readout_pooling, (FEAT, WG), (0, 1), True),
    (adjacency_from_distances, (FEAT,), 0, False),
    (pagerank_power, (ADJ + 0.1, 0.85), (0, 1), True),
    (pagerank_in_place, (np.linspace(0.5, 1.5, 5), ADJ + 0.1), (0, 1), False),
    (subtract_at_edges, (X5, SRC, DST), 0, False),
    (neighbour_max_aggregation, (FEAT, SRC, DST), 0, False),
    (segment_sum_by_cumsum, (X8,), 0, True),
]


# -- probabilistic: densities, VAEs, flows, HMC, Bayesian regression, hierarchical models ----

DATA = rng.normal(1.0, 2.0, size=6)
EPS = rng.normal(size=(4, 2))
XL = rng.normal(size=(6, 3))
YL = (XL @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.normal(size=6) > 0).astype(float)
POS = rng.uniform(0.2, 0.8, size=5)


def normal_loglik(theta, x):
    mu, log_s = theta
    return -np.sum(norm.logpdf(x, loc=mu, scale=np.exp(log_s)))


def normal_loglik_positional(theta, x):
    return -np.sum(scipy.stats.norm.logpdf(x, theta[0], np.exp(theta[1])))


def normal_pdf_and_cdf(x):
    return np.sum(norm.pdf(x) * norm.cdf(2 * x)) + np.sum(norm.logcdf(x)) + np.sum(norm.sf(x))


def student_t_regression(w, X, y):
    r = y - X @ w
    return -np.sum(student_t.logpdf(r, df=4.0, scale=0.7))


def student_t_df_learned(theta, x):
    df = np.exp(theta[0]) + 1.0
    return -np.sum(scipy.stats.t.logpdf(x, df, loc=theta[1], scale=np.exp(theta[2])))


def gamma_prior_plus_lik(log_a, x):
    a = np.exp(log_a)
    return np.sum(gamma_dist.logpdf(np.abs(x) + 0.1, a, scale=1.5))


def beta_likelihood(theta, p):
    a, b = np.exp(theta)
    return -np.sum(beta_dist.logpdf(p, a, b))


def mvn_logpdf(mu, x, S):
    return multivariate_normal.logpdf(x, mean=mu, cov=S)


def mvn_logpdf_cov_learned(L, x):
    cov = L @ L.T + np.eye(3)
    return multivariate_normal.logpdf(x, np.zeros(3), cov)


def mvn_by_hand_cholesky(mu, L_raw, X):
    L = np.tril(L_raw) + 2.0 * np.eye(3)
    d = X - mu
    z = np.linalg.solve(L, d.T)
    return (0.5 * np.sum(z ** 2) + X.shape[0] * np.sum(np.log(np.abs(np.diag(L))))
            + 0.5 * X.size * np.log(2 * np.pi))


def norm_frozen_distribution(theta, x):
    d = norm(theta[0], np.exp(theta[1]))
    return -np.sum(d.logpdf(x))


def vae_elbo(params, x, eps):
    h = np.tanh(x @ params["We"])
    mu, log_var = h[:, :2], h[:, 2:]
    z = mu + np.exp(0.5 * log_var) * eps
    xr = z @ params["Wd"]
    rec = 0.5 * np.sum((x - xr) ** 2)
    kl = -0.5 * np.sum(1 + log_var - mu ** 2 - np.exp(log_var))
    return rec + kl


def vae_elbo_with_norm_logpdf(params, x, eps):
    h = x @ params["We"]
    mu, log_s = h[:, :2], np.clip(h[:, 2:], -3, 3)
    z = mu + np.exp(log_s) * eps
    logq = norm.logpdf(z, mu, np.exp(log_s)).sum()
    logp = norm.logpdf(z).sum()
    loglik = norm.logpdf(x, z @ params["Wd"], 0.5).sum()
    return -(loglik + logp - logq)


def planar_flow(params, z):
    logdet = 0.0
    for u, w, b in params:
        a = np.tanh(z @ w + b)
        psi = (1 - a ** 2)[:, None] * w[None, :]
        logdet = logdet + np.log(np.abs(1 + psi @ u))
        z = z + a[:, None] * u[None, :]
    return -np.sum(norm.logpdf(z)) - np.sum(logdet)


def affine_coupling(params, x):
    x1, x2 = x[:, :1], x[:, 1:]
    h = np.tanh(x1 @ params["W"] + params["b"])
    s, t = h[:, :1], h[:, 1:]
    y2 = x2 * np.exp(s) + t
    y = np.concatenate([x1, y2], axis=1)
    logdet = np.sum(s, axis=1)
    return -np.sum(norm.logpdf(y)) - np.sum(logdet)


def affine_coupling_in_place(params, x):
    y = x.copy()
    h = np.tanh(x[:, :1] @ params["W"] + params["b"])
    s, t = h[:, :1], h[:, 1:]
    y[:, 1:] *= np.exp(s)
    y[:, 1:] += t
    return -np.sum(norm.logpdf(y)) - np.sum(s)


def hmc_leapfrog_in_place(q, p, L):
    def grad_U(q):
        return q * np.array([1.0, 4.0])
    q = q.copy()
    p = p.copy()
    p -= 0.05 * grad_U(q)
    for i in range(L):
        q += 0.1 * p
        if i != L - 1:
            p -= 0.1 * grad_U(q)
    p -= 0.05 * grad_U(q)
    return 0.5 * np.sum(q * q * np.array([1.0, 4.0])) + 0.5 * p @ p


def hmc_leapfrog_with_ad_grad(q, p):
    def U(q):
        return 0.5 * np.sum(q ** 2 * np.array([1.0, 4.0])) + 0.1 * np.sum(q ** 4)
    dU = ad.grad(U)
    p = p - 0.05 * dU(q)
    for _ in range(3):
        q = q + 0.1 * p
        p = p - 0.1 * dU(q)
    return U(q) + 0.5 * p @ p


def bayes_logreg(w, X, y):
    z = X @ w
    loglik = np.sum(y * z - np.logaddexp(0.0, z))
    logprior = np.sum(norm.logpdf(w, 0.0, 2.0))
    return -(loglik + logprior)


def bayes_logreg_expit(w, X, y):
    p = scipy.special.expit(X @ w)
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return -np.sum(y * np.log(p) + (1 - y) * np.log1p(-p)) + 0.5 * w @ w


def bayes_logreg_log_expit(w, X, y):
    z = X @ w
    return -np.sum(y * scipy.special.log_expit(z) + (1 - y) * scipy.special.log_expit(-z))


def hierarchical_model(params, groups):
    mu = params["mu"]
    tau = np.exp(params["log_tau"])
    lp = norm.logpdf(mu, 0, 5) + norm.logpdf(params["log_tau"], 0, 1)
    for k, ys in groups.items():
        th = params["theta"][k]
        lp = lp + norm.logpdf(th, mu, tau) + np.sum(norm.logpdf(ys, th, 1.0))
    return -lp


def hierarchical_non_centred(params, ys):
    theta = params["mu"] + np.exp(params["log_tau"]) * params["eta"]
    lp = np.sum(norm.logpdf(params["eta"])) + np.sum(norm.logpdf(ys, theta, 0.5))
    return -lp - norm.logpdf(params["mu"], 0.0, 10.0)


def importance_weighted_bound(mu, eps, x):
    z = mu + eps
    logw = norm.logpdf(x, z[:, 0], 1.0) + norm.logpdf(z[:, 0]) - norm.logpdf(eps[:, 0])
    return -(scipy.special.logsumexp(logw) - np.log(len(logw)))


def poisson_regression(w, X, counts):
    rate = np.exp(X @ w)
    return -np.sum(scipy.stats.poisson.logpmf(counts, rate))


def mixture_of_t(theta, x):
    a = norm.logpdf(x, theta[0], 1.0) + np.log(0.3)
    b = student_t.logpdf(x, 3.0, theta[1], 2.0) + np.log(0.7)
    return -np.sum(np.logaddexp(a, b))


def log_prob_accumulated_in_list(theta, x):
    terms = []
    terms.append(norm.logpdf(theta[0], 0, 1))
    terms.append(gamma_dist.logpdf(np.exp(theta[1]), 2.0))
    terms.append(np.sum(norm.logpdf(x, theta[0], np.exp(theta[1]))))
    return -sum(terms)


def probit_regression(w, X, y):
    z = X @ w
    return -np.sum(y * norm.logcdf(z) + (1 - y) * norm.logsf(z))


def ppf_reparameterised(theta, u):
    x = norm.ppf(u, loc=theta[0], scale=np.exp(theta[1]))
    return np.sum(x ** 2)


def gamma_log_prob_rate_param(theta, x):
    a, b = np.exp(theta)
    return -np.sum(gamma_dist.logpdf(x, a, scale=1.0 / b))


PROBABILISTIC = [
    (normal_loglik, (np.array([0.3, 0.2]), DATA), 0, False),
    (normal_loglik_positional, (np.array([0.3, 0.2]), DATA), 0, False),
    (normal_pdf_and_cdf, (X5,), 0, False),
    (student_t_regression, (X3, XL, YL), 0, False),
    (student_t_df_learned, (np.array([1.0, 0.2, 0.1]), DATA), 0, False),
    (gamma_prior_plus_lik, (0.4, X5), 0, False),
    (beta_likelihood, (np.array([0.5, 0.2]), POS), 0, False),
    (mvn_logpdf, (X3, X3[::-1], SPD), (0, 2), False),
    (mvn_logpdf_cov_learned, (M3, X3), 0, False),
    (mvn_by_hand_cholesky, (X3, M3, XL), (0, 1), False),
    (norm_frozen_distribution, (np.array([0.3, 0.2]), DATA), 0, False),
    (vae_elbo, ({"We": rng.normal(size=(3, 4)) * 0.5, "Wd": rng.normal(size=(2, 3))},
                XL[:4], EPS), 0, False),
    (vae_elbo_with_norm_logpdf, ({"We": rng.normal(size=(3, 4)) * 0.5,
                                  "Wd": rng.normal(size=(2, 3))}, XL[:4], EPS), 0, False),
    (planar_flow, ([(rng.normal(size=2) * 0.3, rng.normal(size=2), 0.1),
                    (rng.normal(size=2) * 0.3, rng.normal(size=2), -0.2)], EPS), (0, 1), False),
    (affine_coupling, ({"W": rng.normal(size=(1, 2)), "b": rng.normal(size=2)}, EPS), (0, 1),
     False),
    (affine_coupling_in_place, ({"W": rng.normal(size=(1, 2)), "b": rng.normal(size=2)}, EPS),
     (0, 1), False),
    (hmc_leapfrog_in_place, (np.array([0.5, -0.3]), np.array([0.2, 0.4]), 4), (0, 1), False),
    (hmc_leapfrog_with_ad_grad, (np.array([0.5, -0.3]), np.array([0.2, 0.4])), (0, 1), False),
    (bayes_logreg, (X3, XL, YL), 0, False),
    (bayes_logreg_expit, (X3, XL, YL), 0, False),
    (bayes_logreg_log_expit, (X3, XL, YL), 0, False),
    (hierarchical_model, ({"mu": 0.3, "log_tau": -0.2, "theta": {"a": 0.1, "b": -0.4}},
                          {"a": DATA[:3], "b": DATA[3:]}), 0, False),
    (hierarchical_non_centred, ({"mu": 0.3, "log_tau": -0.2, "eta": X4}, DATA[:4]), 0, False),
    (importance_weighted_bound, (X3[:2], EPS, 0.7), 0, False),
    (poisson_regression, (X3 * 0.3, XL, np.array([0, 1, 3, 2, 0, 1])), 0, False),
    (mixture_of_t, (np.array([0.5, -1.0]), DATA), 0, False),
    (log_prob_accumulated_in_list, (np.array([0.3, 0.2]), DATA), 0, False),
    (probit_regression, (X3, XL, YL), 0, False),
    (ppf_reparameterised, (np.array([0.3, 0.2]), POS), 0, False),
    (gamma_log_prob_rate_param, (np.array([0.3, 0.2]), np.abs(DATA) + 0.1), 0, False),
]


# -- dynamic programming: soft-DTW, CTC, HMM forward, Viterbi relaxations, edit distances ----

SEQ_A = rng.normal(size=(5, 2))
SEQ_B = rng.normal(size=(4, 2))
LOGITS = rng.normal(size=(6, 3))
TRANS = rng.normal(size=(3, 3))
EMIT = rng.normal(size=(6, 3))
LOGPI = np.log(np.array([0.5, 0.3, 0.2]))


def softmin(a, b, c, gamma):
    m = min(a, b, c)
    return m - gamma * np.log(np.exp(-(a - m) / gamma) + np.exp(-(b - m) / gamma)
                              + np.exp(-(c - m) / gamma))


def soft_dtw(x, y):
    n, m = len(x), len(y)
    D = np.sum((x[:, None, :] - y[None, :, :]) ** 2, axis=-1)
    R = np.full((n + 1, m + 1), np.inf)
    R[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            R[i, j] = D[i - 1, j - 1] + softmin(R[i - 1, j], R[i, j - 1], R[i - 1, j - 1], 0.5)
    return R[n, m]


def soft_dtw_logsumexp(x, y):
    n, m = len(x), len(y)
    D = np.sum((x[:, None, :] - y[None, :, :]) ** 2, axis=-1)
    R = np.full((n + 1, m + 1), 1e10)
    R[0, 0] = 0.0
    g = 0.3
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            prev = np.array([R[i - 1, j], R[i, j - 1], R[i - 1, j - 1]])
            R[i, j] = D[i - 1, j - 1] - g * scipy.special.logsumexp(-prev / g)
    return R[-1, -1]


def soft_dtw_lists(x, y):
    n, m = len(x), len(y)
    R = [[1e10] * (m + 1) for _ in range(n + 1)]
    R[0][0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            c = np.sum((x[i - 1] - y[j - 1]) ** 2)
            R[i][j] = c + softmin(R[i - 1][j], R[i][j - 1], R[i - 1][j - 1], 0.5)
    return R[n][m]


def hmm_forward_log(log_T, log_E, log_pi):
    T, K = log_E.shape
    alpha = np.zeros((T, K))
    alpha[0] = log_pi + log_E[0]
    for t in range(1, T):
        alpha[t] = scipy.special.logsumexp(alpha[t - 1][:, None] + log_T, axis=0) + log_E[t]
    return -scipy.special.logsumexp(alpha[-1])


def hmm_forward_normalised_transitions(W, log_E):
    log_T = W - scipy.special.logsumexp(W, axis=1, keepdims=True)
    T, K = log_E.shape
    alpha = np.empty((T, K))
    alpha[0] = np.log(np.ones(K) / K) + log_E[0]
    for t in range(1, T):
        for k in range(K):
            alpha[t, k] = scipy.special.logsumexp(alpha[t - 1] + log_T[:, k]) + log_E[t, k]
    return -scipy.special.logsumexp(alpha[T - 1])


def hmm_forward_scaled(T_raw, E):
    A = np.exp(T_raw)
    A = A / A.sum(axis=1, keepdims=True)
    B = np.exp(E)
    alpha = B[0] / 3.0
    ll = 0.0
    for t in range(1, B.shape[0]):
        c = alpha.sum()
        ll = ll + np.log(c)
        alpha /= c
        alpha = (alpha @ A) * B[t]
    return -(ll + np.log(alpha.sum()))


def hmm_forward_backward_posterior(log_E, log_T):
    T, K = log_E.shape
    a = np.zeros((T, K))
    b = np.zeros((T, K))
    a[0] = LOGPI + log_E[0]
    for t in range(1, T):
        a[t] = scipy.special.logsumexp(a[t - 1][:, None] + log_T, axis=0) + log_E[t]
    for t in range(T - 2, -1, -1):
        b[t] = scipy.special.logsumexp(log_T + log_E[t + 1] + b[t + 1], axis=1)
    post = a + b
    post = post - scipy.special.logsumexp(post, axis=1, keepdims=True)
    return np.sum(np.exp(post) * np.arange(K))


def soft_viterbi(log_E, log_T):
    T, K = log_E.shape
    v = LOGPI + log_E[0]
    g = 0.1
    for t in range(1, T):
        v = g * scipy.special.logsumexp((v[:, None] + log_T) / g, axis=0) + log_E[t]
    return g * scipy.special.logsumexp(v / g)


def hard_viterbi_path_score(log_E, log_T):
    T, K = log_E.shape
    v = LOGPI + log_E[0]
    back = np.zeros((T, K), dtype=int)
    for t in range(1, T):
        s = v[:, None] + log_T
        back[t] = np.argmax(s, axis=0)
        v = np.max(s, axis=0) + log_E[t]
    return np.max(v)


def ctc_forward(logits):
    labels = [1, 2]
    ext = [0, 1, 0, 2, 0]
    logp = logits - scipy.special.logsumexp(logits, axis=1, keepdims=True)
    T, S = logp.shape[0], len(ext)
    alpha = np.full((T, S), -np.inf)
    alpha[0, 0] = logp[0, ext[0]]
    alpha[0, 1] = logp[0, ext[1]]
    for t in range(1, T):
        for s in range(S):
            cands = [alpha[t - 1, s]]
            if s > 0:
                cands.append(alpha[t - 1, s - 1])
            if s > 1 and ext[s] != 0 and ext[s] != ext[s - 2]:
                cands.append(alpha[t - 1, s - 2])
            alpha[t, s] = np.logaddexp.reduce(cands) + logp[t, ext[s]]
    return -np.logaddexp(alpha[-1, -1], alpha[-1, -2]) + 0 * len(labels)


def ctc_forward_logaddexp(logits):
    ext = [0, 1, 0, 2, 0]
    logp = logits - scipy.special.logsumexp(logits, axis=1, keepdims=True)
    T, S = logp.shape[0], len(ext)
    alpha = np.full((T, S), -1e30)
    alpha[0, :2] = logp[0, ext[:2]]
    for t in range(1, T):
        for s in range(S):
            a = alpha[t - 1, s]
            if s > 0:
                a = np.logaddexp(a, alpha[t - 1, s - 1])
            if s > 1 and ext[s] != 0 and ext[s] != ext[s - 2]:
                a = np.logaddexp(a, alpha[t - 1, s - 2])
            alpha[t, s] = a + logp[t, ext[s]]
    return -np.logaddexp(alpha[-1, -1], alpha[-1, -2])


def soft_edit_distance(costs):
    sub, ins, dele = costs
    a = [0.1, 0.5, 0.9, 0.3]
    b = [0.2, 0.8, 0.4]
    n, m = len(a), len(b)
    D = np.zeros((n + 1, m + 1))
    D[:, 0] = np.arange(n + 1) * dele
    D[0, :] = np.arange(m + 1) * ins
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            D[i, j] = softmin(D[i - 1, j] + dele, D[i, j - 1] + ins,
                              D[i - 1, j - 1] + sub * (a[i - 1] - b[j - 1]) ** 2, 0.2)
    return D[n, m]


def edit_distance_hard_min(x, y):
    n, m = len(x), len(y)
    D = np.zeros((n + 1, m + 1))
    for i in range(1, n + 1):
        D[i, 0] = D[i - 1, 0] + x[i - 1] ** 2
    for j in range(1, m + 1):
        D[0, j] = D[0, j - 1] + y[j - 1] ** 2
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            D[i, j] = min(D[i - 1, j] + x[i - 1] ** 2, D[i, j - 1] + y[j - 1] ** 2,
                          D[i - 1, j - 1] + (x[i - 1] - y[j - 1]) ** 2)
    return D[n, m]


def knapsack_relaxed(values, weights):
    cap = 5
    best = np.zeros(cap + 1)
    for i in range(len(values)):
        new = best.copy()
        for c in range(weights[i], cap + 1):
            new[c] = np.logaddexp(best[c], best[c - weights[i]] + values[i])
        best = new
    return best[cap]


def knapsack_relaxed_in_place_backwards(values, weights):
    cap = 5
    best = np.zeros(cap + 1)
    for i in range(len(values)):
        for c in range(cap, weights[i] - 1, -1):
            best[c] = np.logaddexp(best[c], best[c - weights[i]] + values[i])
    return best[cap]


def linear_chain_crf_nll(trans, emit):
    tags = [0, 2, 1, 1, 0, 2]
    score = emit[0, tags[0]]
    for t in range(1, len(tags)):
        score = score + trans[tags[t - 1], tags[t]] + emit[t, tags[t]]
    alpha = emit[0].copy()
    for t in range(1, emit.shape[0]):
        alpha = scipy.special.logsumexp(alpha[:, None] + trans, axis=0) + emit[t]
    return scipy.special.logsumexp(alpha) - score


def discounted_returns_backward(r):
    out = np.zeros_like(r)
    running = 0.0
    for t in reversed(range(len(r))):
        running = r[t] + 0.9 * running
        out[t] = running
    return np.sum(out ** 2)


def value_iteration_soft(R, P):
    V = np.zeros(3)
    for _ in range(5):
        Q = R + 0.9 * P @ V
        V = scipy.special.logsumexp(Q, axis=1)
    return V.sum()


DP = [
    (soft_dtw, (SEQ_A, SEQ_B), (0, 1), False),
    (soft_dtw_logsumexp, (SEQ_A, SEQ_B), (0, 1), False),
    (soft_dtw_lists, (SEQ_A, SEQ_B), (0, 1), True),
    (hmm_forward_log, (TRANS, EMIT, LOGPI), (0, 1, 2), False),
    (hmm_forward_normalised_transitions, (TRANS, EMIT), (0, 1), False),
    (hmm_forward_scaled, (TRANS, EMIT), (0, 1), False),
    (hmm_forward_backward_posterior, (EMIT, TRANS), (0, 1), False),
    (soft_viterbi, (EMIT, TRANS), (0, 1), False),
    (hard_viterbi_path_score, (EMIT, TRANS), (0, 1), False),
    (ctc_forward, (LOGITS,), 0, False),
    (ctc_forward_logaddexp, (LOGITS,), 0, False),
    (soft_edit_distance, (np.array([1.0, 0.7, 0.6]),), 0, False),
    (edit_distance_hard_min, (X4, X3), (0, 1), False),
    (knapsack_relaxed, (X4, [1, 2, 3, 2]), 0, False),
    (knapsack_relaxed_in_place_backwards, (X4, [1, 2, 3, 2]), 0, False),
    (linear_chain_crf_nll, (TRANS, EMIT), (0, 1), False),
    (discounted_returns_backward, (X5,), 0, False),
    (value_iteration_soft, (M3, np.abs(M3) / np.abs(M3).sum(1, keepdims=True)), (0, 1), False),
]


# -- finance and engineering: Black-Scholes, portfolios, Greeks, kinematics, trusses, heat ---

COV = SPD / 10.0
MU = np.array([0.05, 0.08, 0.03])
ANGLES = np.array([0.3, -0.5, 0.8])
LINKS = np.array([1.0, 0.7, 0.4])
TARGET = np.array([1.2, 0.9])


def black_scholes_call(S, K, T, r, sigma):
    d1 = (np.log(S / K) + (r + 0.5 * sigma ** 2) * T) / (sigma * np.sqrt(T))
    d2 = d1 - sigma * np.sqrt(T)
    return S * norm.cdf(d1) - K * np.exp(-r * T) * norm.cdf(d2)


def black_scholes_math(S, K, T, r, sigma):
    d1 = (math.log(S / K) + (r + 0.5 * sigma ** 2) * T) / (sigma * math.sqrt(T))
    d2 = d1 - sigma * math.sqrt(T)
    N = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    return S * N(d1) - K * math.exp(-r * T) * N(d2)


def black_scholes_book(S, Ks, T, r, sigma):
    d1 = (np.log(S / Ks) + (r + 0.5 * sigma ** 2) * T) / (sigma * np.sqrt(T))
    d2 = d1 - sigma * np.sqrt(T)
    calls = S * norm.cdf(d1) - Ks * np.exp(-r * T) * norm.cdf(d2)
    puts = calls - S + Ks * np.exp(-r * T)
    return np.sum(calls) + 0.5 * np.sum(puts)


def bs_delta_by_nested_grad(S, sigma):
    delta = ad.grad(black_scholes_call)(S, 100.0, 0.5, 0.01, sigma)
    return delta ** 2


def bs_gamma_by_nested_grad(S):
    delta_fn = ad.grad(black_scholes_call)
    gamma_fn = ad.grad(delta_fn)
    return gamma_fn(S, 100.0, 0.5, 0.01, 0.25)


def bs_vega_wrt_sigma(sigma, S):
    vega = ad.grad(black_scholes_call, wrt=4)(S, 100.0, 0.5, 0.01, sigma)
    return vega * sigma


def implied_vol_newton(price, S):
    sigma = 0.3
    for _ in range(6):
        v, vega = ad.value_and_grad(black_scholes_call, wrt=4)(S, 100.0, 0.5, 0.01, sigma)
        sigma = sigma - (v - price) / vega
    return sigma


def portfolio_variance(w, cov):
    return w @ cov @ w


def mean_variance_utility(w, mu, cov):
    w = w / np.sum(w)
    return -(mu @ w - 2.0 * w @ cov @ w)


def sharpe_ratio(w, mu, cov):
    ret = w @ mu
    vol = np.sqrt(w @ cov @ w)
    return -ret / vol


def softmax_portfolio(z, mu, cov):
    w = np.exp(z) / np.sum(np.exp(z))
    return w @ cov @ w - 0.5 * mu @ w


def portfolio_by_loops(w, cov):
    v = 0.0
    for i in range(len(w)):
        for j in range(len(w)):
            v += w[i] * w[j] * cov[i, j]
    return math.sqrt(v)


def monte_carlo_option(sigma, z):
    S = 100.0 * np.exp((0.01 - 0.5 * sigma ** 2) * 0.5 + sigma * np.sqrt(0.5) * z)
    payoff = np.maximum(S - 100.0, 0.0)
    return np.exp(-0.01 * 0.5) * np.mean(payoff)


def asian_option_path(sigma, z):
    S = np.empty(z.shape[0] + 1)
    S[0] = 100.0
    dt = 0.1
    for i in range(z.shape[0]):
        S[i + 1] = S[i] * np.exp(-0.5 * sigma ** 2 * dt + sigma * np.sqrt(dt) * z[i])
    return np.maximum(np.mean(S[1:]) - 95.0, 0.0)


def rot(theta):
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, -s], [s, c]])


def forward_kinematics(angles, links):
    R = np.eye(2)
    p = np.zeros(2)
    for th, l in zip(angles, links):
        R = R @ rot(th)
        p = p + R @ np.array([l, 0.0])
    return np.sum((p - TARGET) ** 2)


def forward_kinematics_inline(angles, links):
    p = np.zeros(2)
    total = 0.0
    for i in range(len(angles)):
        total = total + angles[i]
        c, s = np.cos(total), np.sin(total)
        M = np.array([[c, -s], [s, c]])
        p += M @ np.array([links[i], 0.0])
    return np.sum((p - TARGET) ** 2)


def forward_kinematics_homogeneous(angles, links):
    T = np.eye(3)
    points = []
    for th, l in zip(angles, links):
        c, s = np.cos(th), np.sin(th)
        A = np.array([[c, -s, l * c], [s, c, l * s], [0.0, 0.0, 1.0]])
        T = T @ A
        points.append(T[:2, 2])
    return np.sum((points[-1] - TARGET) ** 2) + 0.1 * sum(np.sum(q ** 2) for q in points)


def forward_kinematics_3d(angles):
    R = np.eye(3)
    for i, th in enumerate(angles):
        c, s = np.cos(th), np.sin(th)
        if i % 2 == 0:
            Ri = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        else:
            Ri = np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
        R = R @ Ri
    return R[0, 2] + R[1, 1] ** 2


def jacobian_ik_step(angles):
    def tip(a):
        return forward_kinematics(a, LINKS)
    g = ad.grad(tip)(angles)
    return tip(angles - 0.1 * g)


def truss_solve(k):
    n = 4
    Kmat = np.zeros((n, n))
    for e in range(n - 1):
        Kmat[e, e] += k[e]
        Kmat[e + 1, e + 1] += k[e]
        Kmat[e, e + 1] -= k[e]
        Kmat[e + 1, e] -= k[e]
    Kmat[0, 0] += 10.0
    f = np.array([0.0, 0.0, 0.0, 1.0])
    u = np.linalg.solve(Kmat, f)
    return u @ f


def truss_by_add_at(k):
    edges = np.array([[0, 1], [1, 2], [2, 3], [0, 2]])
    Kmat = np.zeros((4, 4))
    for e in range(len(edges)):
        i, j = edges[e]
        ke = k[e] * np.array([[1.0, -1.0], [-1.0, 1.0]])
        Kmat[np.ix_([i, j], [i, j])] += ke
    Kmat += 0.5 * np.eye(4)
    u = np.linalg.solve(Kmat, np.ones(4))
    return np.sum(u ** 2)


def spring_chain_compliance(k):
    main = np.concatenate([k[:-1] + k[1:], k[-1:]])
    K = np.diag(main) - np.diag(k[1:], 1) - np.diag(k[1:], -1)
    u = np.linalg.solve(K, np.ones(len(k)))
    return np.ones(len(k)) @ u


def heat_explicit_grid(u0, alpha):
    nt, nx = 6, len(u0)
    U = np.zeros((nt, nx))
    U[0] = u0
    for n in range(nt - 1):
        U[n + 1, 1:-1] = U[n, 1:-1] + alpha * (U[n, 2:] - 2 * U[n, 1:-1] + U[n, :-2])
        U[n + 1, 0] = 0.0
        U[n + 1, -1] = U[n, -2]
    return np.sum(U[-1] ** 2) + 0.1 * np.sum(U)


def heat_2d_steps(u, kappa):
    u = u.copy()
    for _ in range(3):
        new = u.copy()
        new[1:-1, 1:-1] = u[1:-1, 1:-1] + kappa * (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:]
                                                    + u[1:-1, :-2] - 4 * u[1:-1, 1:-1])
        u = new
    return np.sum(u ** 2)


def heat_implicit(u0, alpha):
    n = len(u0)
    A = (1 + 2 * alpha) * np.eye(n) - alpha * np.eye(n, k=1) - alpha * np.eye(n, k=-1)
    u = u0
    for _ in range(3):
        u = np.linalg.solve(A, u)
    return np.sum(u ** 2)


def beam_deflection_energy(EI, q):
    n = 6
    h = 1.0 / n
    D2 = (np.eye(n, k=1) - 2 * np.eye(n) + np.eye(n, k=-1)) / h ** 2
    K = D2.T @ np.diag(EI) @ D2
    w = np.linalg.solve(K + np.eye(n), q * np.ones(n))
    return 0.5 * w @ K @ w - q * np.sum(w)


def pendulum_energy(theta0, L):
    th, om = theta0, 0.0
    dt = 0.05
    for _ in range(10):
        om = om - dt * 9.81 / L * math.sin(th)
        th = th + dt * om
    return 0.5 * L ** 2 * om ** 2 + 9.81 * L * (1 - math.cos(th))


def bond_price_ytm(y, cashflows):
    t = np.arange(1, len(cashflows) + 1)
    return np.sum(cashflows / (1 + y) ** t)


def duration_by_grad(y):
    cf = np.array([5.0, 5.0, 105.0])
    p = bond_price_ytm(y, cf)
    dp = ad.grad(bond_price_ytm)(y, cf)
    return -dp / p * (1 + y)


FINANCE = [
    (black_scholes_call, (100.0, 95.0, 0.5, 0.02, 0.25), (0, 1, 2, 3, 4), False),
    (black_scholes_math, (100.0, 95.0, 0.5, 0.02, 0.25), (0, 4), False),
    (black_scholes_book, (100.0, np.array([90.0, 100.0, 110.0]), 0.5, 0.02, 0.25), (0, 1, 4),
     False),
    (bs_delta_by_nested_grad, (100.0, 0.25), (0, 1), False),
    (bs_gamma_by_nested_grad, (100.0,), 0, False),
    (bs_vega_wrt_sigma, (0.25, 100.0), (0, 1), False),
    (implied_vol_newton, (8.0, 100.0), (0, 1), False),
    (portfolio_variance, (X3, COV), (0, 1), True),
    (mean_variance_utility, (np.abs(X3) + 0.2, MU, COV), 0, True),
    (sharpe_ratio, (np.abs(X3) + 0.2, MU, COV), (0, 1, 2), True),
    (softmax_portfolio, (X3, MU, COV), 0, True),
    (portfolio_by_loops, (X3, COV), (0, 1), False),
    (monte_carlo_option, (0.25, X8), 0, True),
    (asian_option_path, (0.25, X5), 0, False),
    (forward_kinematics, (ANGLES, LINKS), (0, 1), True),
    (forward_kinematics_inline, (ANGLES, LINKS), (0, 1), False),
    (forward_kinematics_homogeneous, (ANGLES, LINKS), (0, 1), True),
    (forward_kinematics_3d, (np.array([0.3, -0.5, 0.8, 0.2]),), 0, True),
    (jacobian_ik_step, (ANGLES,), 0, False),
    (truss_solve, (np.array([1.0, 2.0, 1.5]),), 0, False),
    (truss_by_add_at, (np.array([1.0, 2.0, 1.5, 0.5]),), 0, False),
    (spring_chain_compliance, (np.array([1.0, 2.0, 1.5, 0.8]),), 0, True),
    (heat_explicit_grid, (X8, 0.2), (0, 1), False),
    (heat_2d_steps, (IMG, 0.1), (0, 1), False),
    (heat_implicit, (X5, 0.3), (0, 1), True),
    (beam_deflection_energy, (np.array([1.0, 1.5, 2.0, 1.2, 0.9, 1.1]), 0.5), (0, 1), True),
    (pendulum_energy, (0.5, 1.2), (0, 1), False),
    (bond_price_ytm, (0.04, np.array([5.0, 5.0, 105.0])), (0, 1), True),
    (duration_by_grad, (0.04,), 0, False),
]


# -- OOP and state: optimiser objects, layer objects, registries, memos, generators, ---------
# -- iterators, properties, __getitem__, operator overloading ----------------------------------

class SGD:
    def __init__(self, lr):
        self.lr = lr

    def step(self, params, grads):
        return {k: params[k] - self.lr * grads[k] for k in params}


class Adam:
    def __init__(self, lr=0.1, b1=0.9, b2=0.999):
        self.lr, self.b1, self.b2 = lr, b1, b2
        self.m = {}
        self.v = {}
        self.t = 0

    def step(self, params, grads):
        self.t += 1
        out = {}
        for k in params:
            self.m[k] = self.b1 * self.m.get(k, 0.0) + (1 - self.b1) * grads[k]
            self.v[k] = self.b2 * self.v.get(k, 0.0) + (1 - self.b2) * grads[k] ** 2
            mh = self.m[k] / (1 - self.b1 ** self.t)
            vh = self.v[k] / (1 - self.b2 ** self.t)
            out[k] = params[k] - self.lr * mh / (np.sqrt(vh) + 1e-8)
        return out


def inner_quadratic(params, x):
    return np.sum((params["w"] * x - 1.0) ** 2) + params["b"] ** 2


def unrolled_sgd_object(params, x):
    opt = SGD(0.1)
    p = params
    for _ in range(3):
        g = {"w": 2 * x * (p["w"] * x - 1.0), "b": 2 * p["b"]}
        p = opt.step(p, g)
    return inner_quadratic(p, x)


def unrolled_adam_object(params, x):
    opt = Adam(lr=0.05)
    p = params
    for _ in range(3):
        g = {"w": 2 * x * (p["w"] * x - 1.0), "b": 2 * p["b"]}
        p = opt.step(p, g)
    return inner_quadratic(p, x)


def unrolled_sgd_with_ad_grad(params, x):
    opt = SGD(0.1)
    p = params
    for _ in range(2):
        p = opt.step(p, ad.grad(inner_quadratic)(p, x))
    return inner_quadratic(p, x)


class Momentum:
    def __init__(self, lr, beta):
        self.lr, self.beta = lr, beta
        self.vel = None

    def update(self, w, g):
        if self.vel is None:
            self.vel = np.zeros_like(w)
        self.vel = self.beta * self.vel + g
        return w - self.lr * self.vel


def unrolled_momentum_object(w, x):
    opt = Momentum(0.1, 0.9)
    for _ in range(3):
        w = opt.update(w, 2 * (w - x))
    return np.sum(w ** 2)


class MomentumInPlace:
    def __init__(self, shape):
        self.vel = np.zeros(shape)

    def update(self, w, g):
        self.vel *= 0.9
        self.vel += g
        return w - 0.1 * self.vel


def unrolled_momentum_in_place_state(w, x):
    opt = MomentumInPlace(w.shape)
    for _ in range(3):
        w = opt.update(w, 2 * (w - x) * x)
    return np.sum(w ** 2)


class Dense:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def __call__(self, x):
        return np.tanh(x @ self.W + self.b)


class Model:
    def __init__(self, params):
        self.layers = [Dense(W, b) for W, b in params]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    @property
    def l2(self):
        return sum(np.sum(layer.W ** 2) for layer in self.layers)


LAYERS = [(rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3) * 0.2) for _ in range(2)]


def model_of_layer_objects(params, x):
    model = Model(params)
    return np.sum(model(x) ** 2) + 0.01 * model.l2


def model_layers_list_built_by_append(params, x):
    layers = []
    for W, b in params:
        layers.append(Dense(W, b))
    h = x
    for layer in layers:
        h = layer(h)
    return np.sum(h)


class Quadratic:
    def __init__(self, A):
        self.A = A

    @property
    def sym(self):
        return 0.5 * (self.A + self.A.T)

    def __call__(self, x):
        return x @ self.sym @ x


def property_from_parameters(A, x):
    return Quadratic(A)(x) + np.sum(Quadratic(A).sym ** 2)


class Params:
    def __init__(self, flat):
        self.flat = flat

    def __getitem__(self, name):
        if name == "w":
            return self.flat[:3]
        return self.flat[3]

    def __len__(self):
        return 2


def getitem_on_user_class(flat, x):
    p = Params(flat)
    return np.sum((x @ p["w"] + p["b"]) ** 2)


class Dual:
    def __init__(self, a, b):
        self.a, self.b = a, b

    def __add__(self, other):
        return Dual(self.a + other.a, self.b + other.b)

    def __mul__(self, other):
        return Dual(self.a * other.a, self.a * other.b + self.b * other.a)

    def __rmul__(self, c):
        return Dual(c * self.a, c * self.b)


def dual_numbers_user_class(x):
    d = Dual(x, 1.0)
    y = d * d * d + 3.0 * d
    return y.b + y.a


class Vec:
    def __init__(self, v):
        self.v = v

    def __add__(self, o):
        return Vec(self.v + o.v)

    def __sub__(self, o):
        return Vec(self.v - o.v)

    def __matmul__(self, o):
        return self.v @ o.v

    def __neg__(self):
        return Vec(-self.v)

    def norm2(self):
        return self @ self


def vector_class_operators(x, y):
    a, b = Vec(x), Vec(y)
    return (a - b).norm2() + (-(a + b)) @ a


class VecIadd:
    def __init__(self, v):
        self.v = v

    def __iadd__(self, o):
        self.v += o.v
        return self


def vector_class_iadd_mutates(x, y):
    a = Vec(x)
    c = VecIadd(x.copy())
    c += Vec(y)
    return np.sum(c.v ** 2) + np.sum(a.v)


REGISTRY = {}


def register_features(x):
    REGISTRY["feat"] = np.tanh(x)
    return REGISTRY["feat"]


def module_registry_written_and_read(x):
    f = register_features(x)
    return np.sum(f ** 2) + np.sum(REGISTRY["feat"])


CACHE = {"scale": np.array([1.0, 2.0, 3.0])}


def module_cache_read_only(x):
    return np.sum(CACHE["scale"] * x ** 2)


def module_cache_scaled_in_place(x):
    s = CACHE["scale"]
    out = np.sum(s * x ** 2)
    s *= 1.0
    return out + np.sum(s * x)


def memoised_fib_like(x):
    memo = {}

    def f(n):
        if n in memo:
            return memo[n]
        if n < 2:
            r = x * (n + 1)
        else:
            r = 0.5 * f(n - 1) + np.sin(f(n - 2))
        memo[n] = r
        return r
    return np.sum(f(5))


def memoised_by_dict_in_loop(x):
    memo = {0: x[0], 1: x[1]}
    for n in range(2, 6):
        memo[n] = memo[n - 1] * 0.5 + memo[n - 2] ** 2 * 0.1
    return memo[5]


def minibatches(X, y, bs):
    for i in range(0, len(X), bs):
        yield X[i:i + bs], y[i:i + bs]


def loss_over_minibatch_generator(w, X, y):
    total = 0.0
    for xb, yb in minibatches(X, y, 2):
        total = total + np.sum((xb @ w - yb) ** 2)
    return total


def loss_over_iter_next(w, X):
    it = iter(X)
    first = next(it)
    total = np.sum(first * w)
    for row in it:
        total = total + np.sum(row * w) ** 2
    return total


def loss_over_enumerate_zip(w, X, y):
    total = 0.0
    for i, (xi, yi) in enumerate(zip(X, y)):
        total = total + (i + 1) * (xi @ w - yi) ** 2
    return total


class Batches:
    def __init__(self, X):
        self.X = X

    def __iter__(self):
        return iter([self.X[:2], self.X[2:]])


def loss_over_user_iterable(w, X):
    return sum(np.sum(np.tanh(b @ w)) for b in Batches(X))


class Running:
    def __init__(self):
        self.total = 0.0
        self.n = 0

    def add(self, v):
        self.total = self.total + v
        self.n += 1

    @property
    def mean(self):
        return self.total / self.n


def running_mean_object(x):
    r = Running()
    for xi in x:
        r.add(xi ** 2)
    return r.mean


class Scaler:
    def __init__(self):
        self.mu = None

    def fit(self, X):
        self.mu = X.mean(axis=0)
        self.sd = X.std(axis=0)
        return self

    def transform(self, X):
        return (X - self.mu) / self.sd


def scaler_object_fit_transform(X, w):
    Z = Scaler().fit(X).transform(X)
    return np.sum((Z @ w) ** 2)


def layer_objects_mutated_in_the_loss(params, x):
    layers = [Dense(W, b) for W, b in params]
    layers[0].W = layers[0].W * 2.0
    h = x
    for layer in layers:
        h = layer(h)
    return np.sum(h ** 2)


def layer_weight_scaled_in_place(params, x):
    layers = [Dense(W.copy(), b) for W, b in params]
    layers[0].W *= 2.0
    h = x
    for layer in layers:
        h = layer(h)
    return np.sum(h ** 2)


OOP = [
    (unrolled_sgd_object, ({"w": X3, "b": 0.5}, X3[::-1]), 0, False),
    (unrolled_adam_object, ({"w": X3, "b": 0.5}, X3[::-1]), 0, False),
    (unrolled_sgd_with_ad_grad, ({"w": X3, "b": 0.5}, X3[::-1]), 0, False),
    (unrolled_momentum_object, (X3, X3[::-1]), (0, 1), False),
    (unrolled_momentum_in_place_state, (X3, X3[::-1]), (0, 1), False),
    (model_of_layer_objects, (LAYERS, X3), (0, 1), False),
    (model_layers_list_built_by_append, (LAYERS, X3), (0, 1), False),
    (property_from_parameters, (M3, X3), (0, 1), False),
    (getitem_on_user_class, (X4, XL), 0, False),
    (dual_numbers_user_class, (0.7,), 0, False),
    (vector_class_operators, (X3, X3[::-1] * 2), (0, 1), False),
    (vector_class_iadd_mutates, (X3, X3[::-1] * 2), (0, 1), False),
    (module_registry_written_and_read, (X3,), 0, False),
    (module_cache_read_only, (X3,), 0, False),
    (module_cache_scaled_in_place, (X3,), 0, False),
    (memoised_fib_like, (X3,), 0, False),
    (memoised_by_dict_in_loop, (X3,), 0, False),
    (loss_over_minibatch_generator, (X3, XL, X8[:6]), 0, False),
    (loss_over_iter_next, (X3, XL), 0, False),
    (loss_over_enumerate_zip, (X3, XL, X8[:6]), 0, False),
    (loss_over_user_iterable, (X3, XL), 0, False),
    (running_mean_object, (X5,), 0, False),
    (scaler_object_fit_transform, (XL, X3), (0, 1), False),
    (layer_objects_mutated_in_the_loss, (LAYERS, X3), (0, 1), False),
    (layer_weight_scaled_in_place, (LAYERS, X3), (0, 1), False),
]


# -- aliases people really make ---------------------------------------------------------------

class Holder:
    def __init__(self, params):
        self.params = params


def params_alias_then_in_place(w, x):
    model = Holder({"w": w.copy()})
    params = model.params
    params["w"] *= 2.0
    return np.sum(model.params["w"] * x) + np.sum(params["w"] ** 2)


def params_alias_array_in_place(w, x):
    model = Holder({"w": w.copy()})
    ww = model.params["w"]
    ww += x
    return np.sum(model.params["w"] ** 2)


def first_half(v):
    return v[: len(v) // 2]


def view_from_helper_written(x):
    y = x.copy()
    h = first_half(y)
    h *= 3.0
    return np.sum(y ** 2)


def view_from_helper_assigned(x):
    y = x * 1.0
    first_half(y)[:] = np.sin(y[-2:])
    return np.sum(y * np.arange(len(y)))


def reshape_then_plus_equals(x):
    y = x.copy()
    y = y.reshape(2, 2)
    y[0] += y[1]
    return np.sum(y ** 2)


def reshape_view_then_original_read(x):
    y = x.copy()
    z = y.reshape(2, 2)
    z[0] += z[1]
    return np.sum(y ** 2) + np.sum(z)


def split_results_written(x):
    y = x.copy()
    a, b = np.split(y, 2)
    a *= 2.0
    b += a
    return np.sum(y ** 2)


def array_split_written(x):
    y = x.copy()
    parts = np.array_split(y, 3)
    parts[1][:] = 0.0
    return np.sum(y ** 3)


def hsplit_of_a_matrix_written(A):
    B = A.copy()
    left, right = np.hsplit(B, [1])
    left *= -1.0
    return np.sum(B @ B)


def multiply_into_empty_like(a, b):
    out = np.empty_like(a)
    np.multiply(a, b, out=out)
    return np.sum(out ** 2)


def ufunc_out_chain(a, b):
    out = np.empty_like(a)
    np.multiply(a, b, out=out)
    np.add(out, a, out=out)
    np.exp(out, out=out)
    return np.sum(out)


def ufunc_out_into_input(a, b):
    a = a.copy()
    np.multiply(a, b, out=a)
    return np.sum(a ** 2) + np.sum(b)


def ufunc_out_into_a_slice(a, b):
    out = np.zeros(6)
    np.multiply(a, b, out=out[:3])
    np.sin(a, out=out[3:])
    return np.sum(out ** 2)


def swap_buffers_in_loop(u0):
    a = u0.copy()
    b = np.zeros_like(u0)
    for _ in range(3):
        b[1:-1] = 0.5 * (a[:-2] + a[2:])
        b[0], b[-1] = a[0], a[-1]
        a, b = b, a
    return np.sum(a ** 2)


def swap_buffers_in_loop_written_in_place(u0):
    a = u0.copy()
    b = u0.copy()
    for _ in range(3):
        b[:] = a
        b[1:-1] += 0.25 * (a[:-2] - 2 * a[1:-1] + a[2:])
        a, b = b, a
    return np.sum(a ** 2) + np.sum(b)


def list_with_one_array_twice(x):
    y = x.copy()
    parts = [y, y]
    parts[0] *= 2.0
    return np.sum(parts[1] ** 2)


def list_append_twice_then_sum(x):
    y = np.tanh(x)
    acc = []
    acc.append(y)
    acc.append(y)
    return np.sum(np.stack(acc) ** 2)


def list_append_twice_then_in_place(x):
    y = np.tanh(x)
    acc = []
    acc.append(y)
    acc.append(y)
    acc[0] += 1.0
    return np.sum(acc[1] ** 2)


def list_append_then_array_changed(x):
    y = x.copy()
    acc = [y]
    y += 1.0
    return np.sum(acc[0] ** 2)


def dict_values_aliased(x):
    y = x.copy()
    d = {"a": y, "b": y}
    d["a"][0] = 5.0
    return np.sum(d["b"] ** 2)


def transpose_alias_written(A):
    B = A.copy()
    T = B.T
    T[0] += 1.0
    return np.sum(B ** 2 * np.arange(9.0).reshape(3, 3))


def diagonal_view_is_read_only(A):
    B = A.copy()
    d = np.diagonal(B)
    return np.sum(d ** 2) + np.sum(B)


def row_view_kept_then_matrix_changed(A):
    B = A.copy()
    r = B[0]
    B *= 2.0
    return np.sum(r ** 2)


def row_copy_kept_then_matrix_changed(A):
    B = A.copy()
    r = B[0].copy()
    B *= 2.0
    return np.sum(r ** 2) + np.sum(B)


def fancy_index_is_a_copy(A):
    B = A.copy()
    r = B[[0, 1]]
    r *= 3.0
    return np.sum(B ** 2) + np.sum(r)


def boolean_index_is_a_copy(x):
    y = x.copy()
    pos = y[y > 0]
    pos *= 10.0
    return np.sum(y ** 2) + np.sum(pos)


def np_copy_of_view_then_write(x):
    y = x.copy()
    z = np.copy(y[1:])
    z[0] = 100.0
    return np.sum(y ** 2) + np.sum(z)


def returned_argument_alias(x):
    def normalise_in_place(v):
        v /= np.linalg.norm(v)
        return v
    y = x.copy()
    z = normalise_in_place(y)
    return np.sum(z * np.arange(len(z))) + y[0]


def in_place_helper_not_returning(x):
    def clip_in_place(v):
        np.clip(v, -0.5, 0.5, out=v)
    y = x * 2.0
    clip_in_place(y)
    return np.sum(y ** 2)


def view_of_a_view_written(A):
    B = A.copy()
    v = B[1:]
    w = v[:, 1:]
    w *= 2.0
    return np.sum(B ** 2)


def ravel_alias_then_reshape_back(A):
    B = A.copy()
    f = B.ravel()
    f[::2] = np.tanh(f[::2])
    return np.sum(B * A)


def concatenate_is_a_copy(x):
    y = np.concatenate([x, x])
    y[:3] *= 2.0
    return np.sum(y ** 2) + np.sum(x)


def stack_then_write_column(x):
    S = np.stack([x, x ** 2])
    S[:, 0] = 1.0
    return np.sum(S ** 2)


def in_place_on_argument_copy_param(x, scale):
    x = np.array(x)
    x *= scale
    return np.sum(x ** 2)


def asarray_of_argument_written(x, scale):
    y = np.asarray(x) + 0.0
    y *= scale
    return np.sum(y ** 2)


def swap_rows_by_tuple(A):
    B = A.copy()
    B[0], B[1] = B[1], B[0]
    return np.sum(B * np.arange(9.0).reshape(3, 3))


def swap_rows_by_copy(A):
    B = A.copy()
    B[0], B[1] = B[1].copy(), B[0].copy()
    return np.sum(B * np.arange(9.0).reshape(3, 3))


def swap_rows_by_fancy(A):
    B = A.copy()
    B[[0, 1]] = B[[1, 0]]
    return np.sum(B * np.arange(9.0).reshape(3, 3))


ALIASES = [
    (params_alias_then_in_place, (X3, X3[::-1]), (0, 1), False),
    (params_alias_array_in_place, (X3, X3[::-1]), (0, 1), False),
    (view_from_helper_written, (X4,), 0, False),
    (view_from_helper_assigned, (X4,), 0, False),
    (reshape_then_plus_equals, (X4,), 0, False),
    (reshape_view_then_original_read, (X4,), 0, False),
    (split_results_written, (X4,), 0, False),
    (array_split_written, (X5,), 0, False),
    (hsplit_of_a_matrix_written, (M3,), 0, False),
    (multiply_into_empty_like, (X3, X3[::-1]), (0, 1), False),
    (ufunc_out_chain, (X3, X3[::-1]), (0, 1), False),
    (ufunc_out_into_input, (X3, X3[::-1]), (0, 1), False),
    (ufunc_out_into_a_slice, (X3, X3[::-1]), (0, 1), False),
    (swap_buffers_in_loop, (X8,), 0, False),
    (swap_buffers_in_loop_written_in_place, (X8,), 0, False),
    (list_with_one_array_twice, (X3,), 0, False),
    (list_append_twice_then_sum, (X3,), 0, True),
    (list_append_twice_then_in_place, (X3,), 0, False),
    (list_append_then_array_changed, (X3,), 0, False),
    (dict_values_aliased, (X3,), 0, False),
    (transpose_alias_written, (M3,), 0, False),
    (diagonal_view_is_read_only, (M3,), 0, False),
    (row_view_kept_then_matrix_changed, (M3,), 0, False),
    (row_copy_kept_then_matrix_changed, (M3,), 0, False),
    (fancy_index_is_a_copy, (M3,), 0, False),
    (boolean_index_is_a_copy, (X5,), 0, False),
    (np_copy_of_view_then_write, (X4,), 0, False),
    (returned_argument_alias, (X4,), 0, False),
    (in_place_helper_not_returning, (X4,), 0, False),
    (view_of_a_view_written, (M3,), 0, False),
    (ravel_alias_then_reshape_back, (M3,), 0, False),
    (concatenate_is_a_copy, (X3,), 0, False),
    (stack_then_write_column, (X3,), 0, False),
    (in_place_on_argument_copy_param, (X3, 1.5), (0, 1), False),
    (asarray_of_argument_written, (X3, 1.5), (0, 1), False),
    (swap_rows_by_tuple, (M3,), 0, False),
    (swap_rows_by_copy, (M3,), 0, False),
    (swap_rows_by_fancy, (M3,), 0, False),
]


# -- graphs: scatters by ufunc.at, bincount and repeated fancy indices, segment sums, adjacency lists ---

def add_at_scalar_value(x):
    y = x * 1.0
    np.add.at(y, np.array([0, 0, 2]), 1.5)
    return np.sum(y ** 2)


def add_at_active_scalar_value(x, c):
    y = np.zeros(5)
    np.add.at(y, np.array([0, 0, 2]), c * x[0])
    return np.sum(y ** 2)


def add_at_2d_tuple_index(H):
    out = np.zeros((5, 3))
    np.add.at(out, (DST, np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])), H[SRC, 0])
    return np.sum(out ** 2)


def add_at_broadcast_rows(H):
    out = np.zeros((5, 3))
    np.add.at(out, DST, H[SRC, :1])
    return np.sum(out ** 2)


def add_at_slice_index(H):
    out = np.zeros((5, 3))
    np.add.at(out, (slice(None), 1), H[:, 0])
    return np.sum(out ** 2)


def add_at_into_differentiated(H):
    out = H * 1.0
    np.add.at(out, DST, H[SRC] * 0.5)
    return np.sum(out ** 2)


def multiply_at(x):
    y = x * 1.0
    np.multiply.at(y, np.array([0, 0, 1]), 2.0)
    return np.sum(y ** 2)


def multiply_at_active(x):
    y = np.ones(5)
    np.multiply.at(y, np.array([0, 0, 1]), x[:3])
    return np.sum(y ** 2)


def reduceat_segments(x):
    return np.sum(np.add.reduceat(x, np.array([0, 3, 5])) ** 2)


def maximum_reduceat(x):
    return np.sum(np.maximum.reduceat(x, np.array([0, 3, 5])))


def bincount_negative_weights(H):
    return np.sum(np.bincount(DST, weights=-H[SRC, 1] * 2.0, minlength=6) ** 2)


def bincount_weights_differentiated_list(x):
    return np.sum(np.bincount([0, 1, 1, 3, 0], weights=x) ** 2)


def fancy_assign_repeated_last_wins(x):
    y = np.zeros(3)
    y[np.array([0, 0, 1])] = x[:3]
    return np.sum(y * np.array([1.0, 2.0, 3.0]))


def fancy_iadd_2d_repeated(H):
    out = np.zeros((5, 3))
    out[DST, 0] += H[SRC, 1]
    return np.sum(out ** 2)


def fancy_iadd_bool_mask(x):
    y = x * 1.0
    y[y > 0] += 1.0
    y[x < 0] *= x[x < 0]
    return np.sum(y ** 2)


def unique_inverse_segment(x):
    keys = np.array([3, 1, 3, 2, 1])
    u, inv = np.unique(keys, return_inverse=True)
    seg = np.zeros(len(u))
    np.add.at(seg, inv, x)
    return np.sum(seg ** 2)


def sparse_matvec_csr(vals, x):
    indptr = np.array([0, 2, 3, 5]); indices = np.array([0, 2, 1, 0, 1])
    y = np.zeros(3)
    for i in range(3):
        for k in range(indptr[i], indptr[i + 1]):
            y[i] += vals[k] * x[indices[k]]
    return np.sum(y ** 2)


def scatter_softmax_normalise(s):
    e = np.exp(s - s.max())
    denom = np.bincount(DST, weights=e, minlength=5)
    return np.sum((e / denom[DST]) * np.arange(10.0))


def neighbour_mean_by_adjacency_list(H):
    nbrs = {0: [1, 2], 1: [0, 2], 2: [0, 1, 3], 3: [2, 4], 4: [3]}
    out = np.zeros_like(H)
    for i, js in nbrs.items():
        out[i] = np.mean(H[js], axis=0)
    return np.sum(np.tanh(out) ** 2)


def neighbour_sum_by_adjacency_list_loop(H):
    nbrs = [[1, 2], [0, 2], [0, 1, 3], [2, 4], [3]]
    out = []
    for i in range(len(nbrs)):
        acc = np.zeros(H.shape[1])
        for j in nbrs[i]:
            acc = acc + H[j]
        out.append(acc / len(nbrs[i]))
    return np.sum(np.stack(out) ** 2)


GRAPH_SCATTERS = [
    (add_at_scalar_value, (X5,), 0, False),
    (add_at_active_scalar_value, (X5, 0.7), (0, 1), False),
    (add_at_2d_tuple_index, (FEAT,), 0, False),
    (add_at_broadcast_rows, (FEAT,), 0, False),
    (add_at_slice_index, (FEAT,), 0, False),
    (add_at_into_differentiated, (FEAT,), 0, False),
    (multiply_at, (X5,), 0, False),
    (multiply_at_active, (X5,), 0, False),
    (reduceat_segments, (X5,), 0, False),
    (maximum_reduceat, (X5,), 0, False),
    (bincount_negative_weights, (FEAT,), 0, False),
    (bincount_weights_differentiated_list, (X5,), 0, False),
    (fancy_assign_repeated_last_wins, (X5,), 0, False),
    (fancy_iadd_2d_repeated, (FEAT,), 0, False),
    (fancy_iadd_bool_mask, (X5,), 0, False),
    (unique_inverse_segment, (X5,), 0, False),
    (sparse_matvec_csr, (X5, X5[:3]), (0, 1), False),
    (scatter_softmax_normalise, (rng.normal(size=10),), 0, False),
    (neighbour_mean_by_adjacency_list, (FEAT,), 0, False),
    (neighbour_sum_by_adjacency_list_loop, (FEAT,), 0, False),
]


# -- signal: np.pad modes and widths, rolls, windows along axes, np.gradient and np.interp forms ---

W9 = np.arange(1.0, 10.0)


def pad_reflect_odd(x):
    return np.sum(np.pad(x, 2, mode="reflect", reflect_type="odd") * W9)


def pad_symmetric_odd(x):
    return np.sum(np.pad(x, 2, mode="symmetric", reflect_type="odd") * W9)


def pad_per_axis_constants(A):
    return np.sum(np.pad(A, ((1, 2), (0, 1)), constant_values=((1.0, 2.0), (3.0, 4.0))) ** 2)


def pad_list_width(x):
    return np.sum(np.pad(x, [(1, 3)], mode="edge") * W9)


def pad_linear_ramp(x):
    return np.sum(np.pad(x, 2, mode="linear_ramp", end_values=1.0) * W9)


def pad_wrap_more_than_length(x):
    y = np.pad(x[:2], 3, mode="wrap")
    return np.sum(y * np.arange(1.0, len(y) + 1))


def pad_reflect_more_than_length(x):
    y = np.pad(x[:3], 4, mode="reflect")
    return np.sum(y * np.arange(1.0, len(y) + 1))


def pad_symmetric_more_than_length(x):
    y = np.pad(x[:2], 5, mode="symmetric")
    return np.sum(y * np.arange(1.0, len(y) + 1))


def pad_constant_values_active(x, c):
    return np.sum(np.pad(x, 1, constant_values=c) ** 2)


def roll_axis_none_2d(A):
    return np.sum(np.roll(A, 2) * np.arange(12.0).reshape(3, 4))


def roll_tuple_shift_single_axis(A):
    return np.sum(np.roll(A, (1, 2), axis=(1, 1)) * np.arange(12.0).reshape(3, 4))


def sliding_axis(A):
    w = sliding_window_view(A, 2, axis=1)
    return np.sum(w * np.arange(18.0).reshape(3, 3, 2))


def sliding_axis_tuple(A):
    w = sliding_window_view(A, (2, 3), axis=(0, 1))
    return np.sum(w ** 2 * np.arange(w.size).reshape(w.shape))


def sliding_repeated_axis(x):
    w = sliding_window_view(x, (2, 2), axis=(0, 0))
    return np.sum(w * np.arange(w.size).reshape(w.shape))


def gradient_coordinates(y):
    t = np.array([0.0, 0.5, 1.5, 2.0, 3.5, 4.0])
    return np.sum(np.gradient(y, t) ** 2)


def gradient_coordinates_active(t):
    y = np.sin(np.arange(6.0))
    return np.sum(np.gradient(y, np.cumsum(np.exp(t))) ** 2)


def gradient_axis(A):
    return np.sum(np.gradient(A, axis=1) ** 2) + np.sum(np.gradient(A, 0.5, 2.0)[1] ** 2)


def interp_left_right(x):
    xp = np.array([0.0, 1.0, 2.0]); fp = np.array([1.0, 3.0, 2.0])
    return np.sum(np.interp(x * 3, xp, fp, left=-1.0, right=5.0) ** 2)


def interp_period(x):
    xp = np.array([0.0, 1.0, 2.0]); fp = np.array([1.0, 3.0, 2.0])
    return np.sum(np.interp(x * 3, xp, fp, period=3.0) ** 2)


def interp_xp_active(xp):
    return np.sum(np.interp(np.array([0.5, 1.5, 2.5]), np.cumsum(np.exp(xp)), np.array([1.0, 3.0, 2.0, 0.5])) ** 2)


def trapezoid_x_active(t):
    x = np.cumsum(np.exp(t))
    return np.trapezoid(np.sin(x), x=x)


def norm_ord_special(x, A):
    return (np.linalg.norm(x, 0) * 0 + np.linalg.norm(A, -2) + np.linalg.norm(A, -1)
            + np.linalg.norm(A, np.inf) + np.linalg.norm(x, -1) + np.linalg.norm(x, 0.5))


def cond_number(A):
    return np.linalg.cond(A)


def average_weights_axis(A, w):
    return np.sum(np.average(A, axis=1, weights=w) ** 2) + np.average(A[0], weights=w)


def quantile_methods(x):
    return (np.quantile(x, 0.3, method="lower") + np.quantile(x, 0.3, method="midpoint")
            + np.percentile(x, [10, 90]).sum() + np.quantile(x, 0.4, method="weibull"))


def logsumexp_return_sign(x):
    v, s = scipy.special.logsumexp(x, b=np.array([1.0, -0.5, 2.0, 1.0, 1.0]), return_sign=True)
    return v * s


def logsumexp_b_zero(x):
    return scipy.special.logsumexp(x, b=np.array([1.0, 0.0, 2.0, 1.0, 1.0]))


def std_ddof_axis(A):
    return np.sum(np.std(A, axis=0, ddof=1) ** 2) + np.sum(np.var(A, axis=1, ddof=2)) + np.sum(A.std(axis=1, keepdims=True) * A)


def cumsum_dtype(x):
    return np.sum(np.cumsum(x, dtype=np.float64) ** 2) + np.sum(np.cumprod(x, dtype=np.float64))


def einsum_dtype(A):
    return np.sum(np.einsum("ij,ij->i", A, A, dtype=np.float64) ** 2)


def diff_n_axis(A):
    return np.sum(np.diff(A, n=2, axis=1) ** 2) + np.sum(np.diff(A, axis=0, prepend=A[:1]) ** 2)


def convolve_lists(x):
    return np.sum(np.convolve(list(x), [0.25, 0.5, 0.25]) ** 2)


def convolve_scalar_kernel(x):
    return np.sum(np.convolve(x, np.array([2.0])) ** 2)


def correlate_one_element(x, k):
    return np.sum(np.correlate(x, k[:1], "same") ** 2) + np.sum(np.correlate(x[:1], k, "full") ** 2)


SIGNAL_FORMS = [
    (pad_reflect_odd, (X5,), 0, False),
    (pad_symmetric_odd, (X5,), 0, False),
    (pad_per_axis_constants, (M34,), 0, False),
    (pad_list_width, (X5,), 0, False),
    (pad_linear_ramp, (X5,), 0, False),
    (pad_wrap_more_than_length, (X5,), 0, False),
    (pad_reflect_more_than_length, (X5,), 0, False),
    (pad_symmetric_more_than_length, (X5,), 0, False),
    (pad_constant_values_active, (X5, 0.7), (0, 1), False),
    (roll_axis_none_2d, (M34,), 0, False),
    (roll_tuple_shift_single_axis, (M34,), 0, False),
    (sliding_axis, (M34,), 0, False),
    (sliding_axis_tuple, (M34,), 0, False),
    (sliding_repeated_axis, (X6,), 0, False),
    (gradient_coordinates, (X6,), 0, False),
    (gradient_coordinates_active, (X6 * 0.3,), 0, False),
    (gradient_axis, (M34,), 0, False),
    (interp_left_right, (X5,), 0, False),
    (interp_period, (X5,), 0, False),
    (interp_xp_active, (np.array([0.1, -0.2, 0.3, 0.0]),), 0, False),
    (trapezoid_x_active, (X5 * 0.3,), 0, False),
    (norm_ord_special, (X5, M34), (0, 1), False),
    (cond_number, (M34[:, :3] + 2 * np.eye(3),), 0, False),
    (average_weights_axis, (M34, np.array([1.0, 2.0, 0.5, 1.5])), (0, 1), False),
    (quantile_methods, (X6,), 0, False),
    (logsumexp_return_sign, (X5,), 0, False),
    (logsumexp_b_zero, (X5,), 0, False),
    (std_ddof_axis, (M34,), 0, False),
    (cumsum_dtype, (X5,), 0, False),
    (einsum_dtype, (M34,), 0, False),
    (diff_n_axis, (M34,), 0, False),
    (convolve_lists, (X5,), 0, False),
    (convolve_scalar_kernel, (X5,), 0, False),
    (correlate_one_element, (X5, X6), (0, 1), False),
]


# -- signal: convolutions of a short signal with a long kernel, and the library beside them ---

X7 = rng.normal(size=7)


W = np.arange(1.0, 8.0)


def conv_full_short_first(a, v):
    return np.sum(np.convolve(a, v) * W[:len(a) + len(v) - 1])


def conv_same_short_first(a, v):
    y = np.convolve(a, v, "same")
    return np.sum(y * np.arange(1.0, len(y) + 1))


def conv_valid_short_first(a, v):
    y = np.convolve(a, v, "valid")
    return np.sum(y * np.arange(1.0, len(y) + 1))


def corr_full_short_first(a, v):
    y = np.correlate(a, v, "full")
    return np.sum(y * np.arange(1.0, len(y) + 1))


def corr_same_short_first(a, v):
    y = np.correlate(a, v, "same")
    return np.sum(y * np.arange(1.0, len(y) + 1))


def corr_valid_short_first(a, v):
    y = np.correlate(a, v, "valid")
    return np.sum(y * np.arange(1.0, len(y) + 1))


def corr_same_even(a, v):
    y = np.correlate(a, v, mode="same")
    return np.sum(y * np.arange(1.0, len(y) + 1))


def conv_same_even(a, v):
    y = np.convolve(a, v, mode="same")
    return np.sum(y * np.arange(1.0, len(y) + 1))


def scipy_signal_convolve(a, v):
    y = scipy.signal.convolve(a, v, mode="same")
    return np.sum(y * np.arange(1.0, len(y) + 1))


def scipy_signal_correlate2d(img, k):
    y = scipy.signal.correlate2d(img, k, mode="valid")
    return np.sum(y ** 2)


def reductions_where(x):
    m = x > 0
    return np.sum(x ** 2, where=m) + np.mean(x, where=m) + np.max(x, initial=-10.0)


def max_initial_above(x):
    return np.max(x, initial=5.0) + np.min(x, initial=-5.0)


def norms_orders(x, A):
    return (np.linalg.norm(x, 1) + np.linalg.norm(x, np.inf) + np.linalg.norm(x, -np.inf)
            + np.linalg.norm(A, "fro") + np.linalg.norm(A, 2) + np.linalg.norm(A, "nuc")
            + np.linalg.norm(A, 1) + np.linalg.norm(x, 3))


def interp_in_x(x):
    xp = np.array([-2.0, 0.0, 1.0, 3.0]); fp = np.array([1.0, 0.5, 2.0, -1.0])
    return np.sum(np.interp(x, xp, fp) ** 2)


def interp_in_fp(fp):
    xp = np.array([-2.0, 0.0, 1.0, 3.0])
    return np.sum(np.interp(np.array([-1.0, 0.5, 2.0, 5.0]), xp, fp) ** 2)


def polyval_coeffs(c, x):
    return np.sum(np.polyval(c, x) ** 2)


def polyfit_in_y(y):
    t = np.linspace(0, 1, 6)
    c = np.polyfit(t, y, 2)
    return np.sum(c ** 2)


def trapezoid_rule(y):
    return np.trapezoid(y ** 2, dx=0.1) + np.trapezoid(y, x=np.linspace(0, 1, len(y)))


def diff_prepend(x):
    return np.sum(np.diff(x, prepend=0.0, append=x[-1]) ** 2) + np.sum(np.diff(x, n=2) ** 2)


def gradient_spacing(x):
    return np.sum(np.gradient(x, 0.5) ** 2) + np.sum(np.gradient(x, edge_order=2) ** 2)


def cumprod_with_zero(x):
    y = x.copy()
    y[1] = 0.0
    return np.sum(np.cumprod(y))


def prod_with_zero(x):
    return np.prod(x * np.array([1.0, 0.0, 2.0]))


def sort_and_topk(x):
    s = np.sort(x)[::-1]
    return np.sum(s[:2] * np.array([2.0, 1.0])) + np.sum(np.partition(x, 1)[:2])


def special_functions(x):
    a = np.abs(x) + 0.5
    return np.sum(scipy.special.gammaln(a) + scipy.special.digamma(a) + scipy.special.betaln(a, 2.0)
                  + scipy.special.xlogy(a, a) + scipy.special.erfc(x) + scipy.special.logit(a / 3))


def softmax_special(x):
    return np.sum(scipy.special.softmax(x) * np.arange(len(x))) + scipy.special.log_softmax(x)[0]


def lstsq_solution(A, b):
    w = np.linalg.lstsq(A, b, rcond=None)[0]
    return np.sum(w ** 2)


def pinv_of(A):
    return np.sum(np.linalg.pinv(A) ** 2)


def svd_values(A):
    s = np.linalg.svd(A, compute_uv=False)
    U, S, Vt = np.linalg.svd(A, full_matrices=False)
    return np.sum(s ** 2) + S[0] + np.sum(np.abs(U[:, 0] * Vt[0, :3]))


def qr_r_diag(A):
    Q, R = np.linalg.qr(A)
    return np.sum(np.log(np.abs(np.diag(R))))


def expm_of(A):
    return np.sum(scipy.linalg.expm(0.3 * A))


def eig_nonsym(A):
    w = np.linalg.eigvals(A @ A.T)
    return np.sum(w)


def heaviside_sign(x):
    return np.sum(np.heaviside(x, 0.5) * x ** 2 + np.sign(x) * x + np.copysign(x, -1.0))


def floor_mod_steps(x):
    return np.sum(np.floor(x) * x + (x % 1.0) ** 2 + x // 0.5)


def searchsorted_index(x, table):
    i = np.searchsorted(np.array([-1.0, 0.0, 1.0]), x)
    return np.sum(table[i] * x)


def matrix_rank_branch(A):
    if np.linalg.matrix_rank(A) == 3:
        return np.sum(np.linalg.inv(A))
    return np.sum(A)


def kron_outer(a, b):
    return np.sum(np.kron(np.outer(a, b), np.eye(2)) ** 2) + np.sum(np.tensordot(np.outer(a, b), M34, axes=([0, 1], [0, 1])))


def linspace_endpoints(a, b):
    return np.sum(np.linspace(a, b, 5) ** 2) + np.sum(np.geomspace(1.0, b, 3))


def tril_triu(A):
    return np.sum(np.tril(A, -1) ** 2) + np.sum(np.triu(A, 1) * 3) + np.sum(np.tril_indices(3)[0] * A[np.tril_indices(3)])


def var_std_ddof(x):
    return np.var(x, ddof=1) + np.std(x) + np.cov(np.stack([x, x ** 2]))[0, 1] + np.corrcoef(x, x ** 2)[0, 1]


def nan_functions(x):
    y = np.where(x > 0, x, np.nan)
    return np.nansum(y ** 2) + np.nanmean(y) + np.nanmax(y)


def median_and_quantile(x):
    return np.median(x) + np.quantile(x, 0.3) + np.percentile(x, 80)


def logaddexp2_exp2(x):
    return np.sum(np.logaddexp2(x, 0.5 * x) + np.exp2(x) + np.log2(np.abs(x) + 1) + np.log10(np.abs(x) + 1))


def hypot_arctan2(x, y):
    return np.sum(np.hypot(x, y) + np.arctan2(y, x))


def einsum_trace_and_diag(A):
    return np.einsum("ii", A) + np.sum(np.einsum("ii->i", A) ** 2) + np.einsum("ij,ij->", A, A)


def cross_product(a, b):
    return np.sum(np.cross(a, b) ** 2)


def matrix_power_and_det(A):
    return np.linalg.det(np.linalg.matrix_power(A, 3)) + np.trace(np.linalg.matrix_power(A, 0))


def sinc_and_i0(x):
    return np.sum(np.sinc(x) + np.i0(x))


SIGNAL_LIBRARY = [
    (conv_full_short_first, (X3, X7[:5]), (0, 1), False),
    (conv_same_short_first, (X3, X7[:5]), (0, 1), False),
    (conv_valid_short_first, (X3, X7[:5]), (0, 1), False),
    (corr_full_short_first, (X3, X7[:5]), (0, 1), False),
    (corr_same_short_first, (X3, X7[:5]), (0, 1), False),
    (corr_valid_short_first, (X3, X7[:5]), (0, 1), False),
    (corr_same_even, (X6, X4), (0, 1), False),
    (corr_same_even, (X4, X6), (0, 1), False),
    (conv_same_even, (X4, X6), (0, 1), False),
    (conv_same_even, (X6, X4), (0, 1), False),
    (scipy_signal_convolve, (X6, X3), (0, 1), False),
    (scipy_signal_correlate2d, (M34, M3[:2, :2]), (0, 1), False),
    (reductions_where, (X6,), 0, False),
    (max_initial_above, (X6,), 0, False),
    (norms_orders, (X4, M3), (0, 1), False),
    (interp_in_x, (X4,), 0, False),
    (interp_in_fp, (X4,), 0, False),
    (polyval_coeffs, (X3, X4), (0, 1), False),
    (polyfit_in_y, (X6,), 0, False),
    (trapezoid_rule, (X6,), 0, False),
    (diff_prepend, (X6,), 0, False),
    (gradient_spacing, (X6,), 0, False),
    (cumprod_with_zero, (X4,), 0, False),
    (prod_with_zero, (X3,), 0, False),
    (sort_and_topk, (X6,), 0, False),
    (special_functions, (X4,), 0, False),
    (softmax_special, (X4,), 0, False),
    (lstsq_solution, (M34.T, X4), (0, 1), False),
    (pinv_of, (M34,), 0, False),
    (svd_values, (M34,), 0, False),
    (qr_r_diag, (M34.T,), 0, False),
    (expm_of, (M3,), 0, False),
    (eig_nonsym, (M3,), 0, False),
    (heaviside_sign, (X4,), 0, False),
    (floor_mod_steps, (X4,), 0, False),
    (searchsorted_index, (X4, np.array([1.0, 2.0, 3.0, 4.0])), (0, 1), False),
    (matrix_rank_branch, (M3,), 0, False),
    (kron_outer, (X3, X4), (0, 1), False),
    (linspace_endpoints, (0.3, 2.0), (0, 1), False),
    (tril_triu, (M3,), 0, False),
    (var_std_ddof, (X4,), 0, False),
    (nan_functions, (X6,), 0, False),
    (median_and_quantile, (X6,), 0, False),
    (logaddexp2_exp2, (X4,), 0, False),
    (hypot_arctan2, (X4, X4[::-1] + 0.1), (0, 1), False),
    (einsum_trace_and_diag, (M3,), 0, False),
    (cross_product, (X3, X3[::-1] * 2), (0, 1), False),
    (matrix_power_and_det, (M3,), 0, False),
    (sinc_and_i0, (X4,), 0, False),
]


# -- probabilistic: scipy.stats calls by position and keyword, frozen distributions, mvn forms ---

U = rng.uniform(0.1, 0.9, size=5)


def norm_star_theta(theta, x):
    return -np.sum(norm.logpdf(x, *theta))


def norm_scale_only(s, x):
    return -np.sum(norm.logpdf(x, scale=s))


def norm_array_scale(s, x):
    return -np.sum(norm.logpdf(x, 0.5, s))


def frozen_norm_kw(theta, x):
    d = scipy.stats.norm(loc=theta[0], scale=np.exp(theta[1]))
    return -np.sum(d.logpdf(x)) + np.sum(d.cdf(x)) + np.sum(d.ppf(U))


def frozen_in_dict(theta, x):
    dists = {"lik": norm(theta[0], 1.0), "prior": norm(0.0, 2.0)}
    return -np.sum(dists["lik"].logpdf(x)) - dists["prior"].logpdf(theta[0])


def gamma_loc_active(theta, x):
    return -np.sum(stats.gamma.logpdf(x, np.exp(theta[0]), loc=theta[1], scale=2.0))


def beta_loc_scale(theta, u):
    return -np.sum(stats.beta.logpdf(u, 2.0, 3.0, theta[0], np.exp(theta[1])))


def t_positional_all(theta, x):
    return -np.sum(stats.t.logpdf(x, np.exp(theta[0]) + 1, theta[1], np.exp(theta[2])))


def mvn_frozen(mu, x):
    d = multivariate_normal(mu, SPD)
    return d.logpdf(x)


def mvn_frozen_cov(L, x):
    d = multivariate_normal(np.zeros(3), L @ L.T + np.eye(3))
    return d.logpdf(x)


def mvn_batch_rows(mu, X):
    return np.sum(multivariate_normal.logpdf(X, mu, SPD))


def mvn_allow_singular(mu, x):
    return multivariate_normal.logpdf(x, mu, SPD, allow_singular=True)


def mvn_cov_scalar(mu, x):
    return multivariate_normal.logpdf(x, mean=mu, cov=2.0)


def mvn_cov_vector_diag(s, x):
    return multivariate_normal.logpdf(x, mean=np.zeros(3), cov=s ** 2 + 0.1)


def mvn_pdf_log(mu, x):
    return np.log(multivariate_normal.pdf(x, mu, SPD))


def poisson_loc(mu, k):
    return -np.sum(stats.poisson.logpmf(k, mu, 1))


def expon_scale(s, x):
    return -np.sum(stats.expon.logpdf(x, scale=s)) + np.sum(stats.expon.cdf(x, 0.1, s))


def lognorm_shape(s, x):
    return -np.sum(stats.lognorm.logpdf(x, s, scale=1.5))


def laplace_logpdf(mu, x):
    return -np.sum(stats.laplace.logpdf(x, mu, 0.7))


def convolve_mode_by_name(x, k, mode="same"):
    return np.sum(np.convolve(x, k, mode) ** 2)


def correlate_mode_from_config(x, k):
    cfg = {"mode": "full"}
    return np.sum(np.correlate(x, k, mode=cfg["mode"]) ** 2)


def pad_mode_by_name(x, mode="reflect"):
    return np.sum(np.pad(x, 2, mode=mode) ** 2 * np.arange(len(x) + 4))


def norm_logpdf_method_name(theta, x):
    f = getattr(norm, "logpdf")
    return -np.sum(f(x, theta[0], 1.0))


def chi2_logpdf(df, x):
    return -np.sum(stats.chi2.logpdf(x, df))


def norm_entropy(s):
    return norm.entropy(scale=s)


def norm_moments(theta):
    d = norm(theta[0], theta[1])
    return d.mean() + d.var() + d.std()


def norm_logpdf_x_and_loc_same(theta):
    return norm.logpdf(theta[0], theta[0], np.exp(theta[1]))


def student_t_df_integer(x):
    return -np.sum(stats.t.logpdf(x, 3))


def norm_interval(s):
    lo, hi = norm.interval(0.9, 0.0, s)
    return hi - lo


DENSITY_FORMS = [
    (norm_star_theta, (np.array([0.3, 1.2]), X5), 0, False),
    (norm_scale_only, (1.3, X5), (0, 1), False),
    (norm_array_scale, (POS, X5), (0, 1), False),
    (frozen_norm_kw, (np.array([0.3, 0.2]), X5), 0, False),
    (frozen_in_dict, (np.array([0.3, 0.2]), X5), 0, False),
    (gamma_loc_active, (np.array([0.3, -0.5]), POS), 0, False),
    (beta_loc_scale, (np.array([0.0, 0.05]), U), 0, False),
    (t_positional_all, (np.array([1.0, 0.2, 0.1]), X5), 0, False),
    (mvn_frozen, (X3, X3[::-1] + 0.1), (0, 1), False),
    (mvn_frozen_cov, (M3, X3), 0, False),
    (mvn_batch_rows, (X3, rng.normal(size=(4, 3))), (0, 1), False),
    (mvn_allow_singular, (X3, X3[::-1] + 0.1), 0, False),
    (mvn_cov_scalar, (X3, X3[::-1] + 0.1), 0, False),
    (mvn_cov_vector_diag, (X3, X3[::-1] + 0.1), (0, 1), False),
    (mvn_pdf_log, (X3, X3[::-1] + 0.1), 0, False),
    (poisson_loc, (POS + 1, np.array([2, 3, 1, 4, 2])), 0, False),
    (expon_scale, (1.3, POS + 0.2), (0, 1), False),
    (lognorm_shape, (0.7, POS), (0, 1), False),
    (laplace_logpdf, (0.2, X5), (0, 1), False),
    (convolve_mode_by_name, (X8, X3), (0, 1), False),
    (correlate_mode_from_config, (X8, X3), (0, 1), False),
    (pad_mode_by_name, (X5,), 0, False),
    (norm_logpdf_method_name, (np.array([0.3, 1.2]), X5), 0, False),
    (chi2_logpdf, (3.0, POS), (0, 1), False),
    (norm_entropy, (1.3,), 0, False),
    (norm_moments, (np.array([0.3, 1.2]),), 0, False),
    (norm_logpdf_x_and_loc_same, (np.array([0.3, 0.2]),), 0, False),
    (student_t_df_integer, (X5,), 0, False),
    (norm_interval, (1.3,), 0, False),
]


# -- probabilistic: scipy.special beside scipy.stats' other distributions -----------------

P5 = rng.uniform(0.1, 0.9, size=5)


def softmax_axis_none(A):
    return np.sum(sp.softmax(A, axis=None) * np.arange(6.0).reshape(2, 3))


def softmax_default_axis_2d(A):
    return np.sum(sp.softmax(A) * np.arange(6.0).reshape(2, 3))


def log_softmax_axis0(A):
    return np.sum(sp.log_softmax(A, axis=0) * np.arange(6.0).reshape(2, 3))


def logsumexp_scalar_b(x):
    return sp.logsumexp(x, b=0.5) + sp.logsumexp(x, axis=0, b=2.0, keepdims=True)[0]


def logsumexp_axis_none_2d(A):
    return sp.logsumexp(A) + np.sum(sp.logsumexp(A, axis=-1) ** 2)


def special_zoo(p, x):
    return np.sum(sp.erfinv(2 * p - 1) + sp.ndtri(p) + sp.log_ndtr(x) + sp.ndtr(x) + sp.logit(p)
                  + sp.entr(p) + sp.rel_entr(p, 0.5) + sp.kl_div(p, 0.5) + sp.huber(1.0, x)
                  + sp.pseudo_huber(1.0, x) + sp.i0e(x) + sp.polygamma(1, p + 1) + sp.expm1(x) + sp.log1p(p))


def special_zoo2(x):
    a = np.abs(x) + 1.0
    return np.sum(sp.multigammaln(a + 2, 2) + sp.gammainc(2.0, a) + sp.gammaincc(2.0, a) + sp.beta(a, 2.0) + sp.binom(a + 3, 2.0) + sp.erfcx(x) + sp.xlog1py(a, x ** 2))


def xlogy_at_zero(p):
    q = np.concatenate([p, [0.0]])
    return np.sum(sp.xlogy(q, q + 0.5))


def norm_x_keyword(mu, x):
    return np.sum(stats.norm.logpdf(x=x, loc=mu, scale=2.0))


def norm_scale_list(x):
    return np.sum(stats.norm.logpdf(x[:2], 0.0, [1.0, 2.0]))


def t_df_array(df, x):
    return np.sum(stats.t.logpdf(x, df))


def gamma_a_keyword(a, x):
    return np.sum(stats.gamma.logpdf(x, a=a, scale=2.0))


def beta_ab_keyword(a, p):
    return np.sum(stats.beta.logpdf(p, a=a, b=2.0)) + np.sum(stats.beta.cdf(p, a, b=a))


def expon_loc_only(loc, x):
    return np.sum(stats.expon.logpdf(x, loc)) + np.sum(stats.expon.sf(x, loc=loc))


def lognorm_loc(s, x):
    return np.sum(stats.lognorm.logpdf(x, s, -0.2, 1.3))


def laplace_scale_kw(b, x):
    return np.sum(stats.laplace.logpdf(x, scale=b)) + np.sum(stats.laplace.cdf(x, 0.1, b))


def poisson_mu_kw(mu):
    k = np.array([0, 1, 3, 2, 5])
    return np.sum(stats.poisson.logpmf(k, mu=mu)) + np.sum(stats.poisson.pmf(k, mu))


def frozen_t(theta, x):
    d = stats.t(df=np.exp(theta[0]) + 2, loc=theta[1], scale=np.exp(theta[2]))
    return -np.sum(d.logpdf(x))


def frozen_gamma_positional(a, x):
    d = stats.gamma(a, 0.0, 2.0)
    return -np.sum(d.logpdf(x)) + np.sum(d.cdf(x))


def frozen_beta(a, p):
    return -np.sum(stats.beta(a, 2.0).logpdf(p))


def frozen_norm_reused_loop(mu, x):
    d = stats.norm(mu, 1.0)
    total = 0.0
    for xi in x:
        total = total + d.logpdf(xi)
    return -total


def norm_of_array_loc_broadcast(mu, X):
    return np.sum(stats.norm.logpdf(X, mu[:, None], 1.0))


def t_cdf_in_loc(mu, x):
    return np.sum(stats.t.cdf(x, 3.0, mu, 1.5)) + np.sum(stats.t.logcdf(x, 3.0, loc=mu))


def norm_ppf_keyword_q(s):
    return np.sum(stats.norm.ppf(q=P5, scale=s)) + np.sum(stats.norm.isf(P5, 0.0, s))


SPECIAL_FORMS = [
    (softmax_axis_none, (M23,), 0, False),
    (softmax_default_axis_2d, (M23,), 0, False),
    (log_softmax_axis0, (M23,), 0, False),
    (logsumexp_scalar_b, (X5,), 0, False),
    (logsumexp_axis_none_2d, (M23,), 0, False),
    (special_zoo, (P5, X5), (0, 1), False),
    (special_zoo2, (X5,), 0, False),
    (xlogy_at_zero, (P5,), 0, False),
    (norm_x_keyword, (0.3, X5), (0, 1), False),
    (norm_scale_list, (X5,), 0, False),
    (t_df_array, (POS + 2, X5), (0, 1), False),
    (gamma_a_keyword, (1.7, POS), (0, 1), False),
    (beta_ab_keyword, (1.7, P5), (0, 1), False),
    (expon_loc_only, (0.1, POS + 0.2), (0, 1), False),
    (lognorm_loc, (0.6, POS), (0, 1), False),
    (laplace_scale_kw, (0.8, X5), (0, 1), False),
    (poisson_mu_kw, (POS + 1,), 0, False),
    (frozen_t, (np.array([0.3, 0.1, -0.2]), X5), 0, False),
    (frozen_gamma_positional, (1.7, POS), (0, 1), False),
    (frozen_beta, (1.7, P5), (0, 1), False),
    (frozen_norm_reused_loop, (0.3, X5), (0, 1), False),
    (norm_of_array_loc_broadcast, (X5[:2], M23), (0, 1), False),
    (t_cdf_in_loc, (0.2, X5), (0, 1), False),
    (norm_ppf_keyword_q, (1.3,), 0, False),
]


# -- engineering: scipy.linalg's solvers and factorisations with their flags --------------

SPD16 = M3 @ M3.T + 3 * np.eye(3)


V3 = rng.normal(size=3)


L0 = np.tril(rng.normal(size=(3, 3))) + 3 * np.eye(3)


def tri_unit_diagonal(L, b):
    return np.sum(sl.solve_triangular(L, b, lower=True, unit_diagonal=True) ** 2)


def tri_unit_diagonal_upper_trans(U, b):
    return np.sum(sl.solve_triangular(U.T, b, lower=False, trans=1, unit_diagonal=True) ** 2)


def tri_reads_only_its_triangle(M, b):
    return np.sum(sl.solve_triangular(M, b, lower=True) ** 2)


def tri_trans_C(L, b):
    return np.sum(sl.solve_triangular(L, b, lower=True, trans="C") ** 2)


def solve_assume_pos(A, b):
    return np.sum(sl.solve(A, b, assume_a="pos") ** 2)


def solve_assume_sym_reads_triangle(M, b):
    return np.sum(sl.solve(M + 3 * np.eye(3), b, assume_a="sym") ** 2)


def solve_assume_sym_lower(M, b):
    return np.sum(sl.solve(M + 3 * np.eye(3), b, assume_a="sym", lower=True) ** 2)


def solve_transposed(A, b):
    return np.sum(sl.solve(A + np.triu(np.ones((3, 3))), b, transposed=True) ** 2)


def solve_diagonal_assume(d, b):
    return np.sum(sl.solve(np.diag(d) + np.triu(np.ones((3, 3)), 1), b, assume_a="diagonal") ** 2)


def lu_factor_solve(A, b):
    lu, piv = sl.lu_factor(A)
    return np.sum(sl.lu_solve((lu, piv), b) ** 2)


def lu_solve_trans(A, b):
    lu, piv = sl.lu_factor(A)
    return np.sum(sl.lu_solve((lu, piv), b, trans=1) ** 2)


def lu_decomposition(A):
    P, L, U = sl.lu(A)
    return np.sum(L ** 2) + np.sum(np.log(np.abs(np.diag(U))))


def solve_banded_tridiagonal(ab, b):
    return np.sum(sl.solve_banded((1, 1), ab, b) ** 2)


def cholesky_banded_solve(ab, b):
    c = sl.cholesky_banded(ab, lower=True)
    return np.sum(sl.cho_solve_banded((c, True), b) ** 2)


def cho_factor_upper(A, b):
    c, low = sl.cho_factor(A)
    return np.sum(sl.cho_solve((c, low), b) ** 2) + np.sum(np.log(np.diag(c)))


def cho_factor_reads_triangle(M, b):
    c, low = sl.cho_factor(M @ M.T + 3 * np.eye(3) + np.triu(np.ones((3, 3)), 1), lower=True)
    return np.sum(sl.cho_solve((c, low), b) ** 2)


def cholesky_upper_default(A):
    U = sl.cholesky(A)
    return np.sum(U ** 2 * np.arange(9.0).reshape(3, 3))


def eigh_subset(A):
    w = sl.eigh(A, eigvals_only=True, subset_by_index=[1, 2])
    return np.sum(w ** 2)


def eigh_generalized(A, Bm):
    w = sl.eigh(A, Bm, eigvals_only=True)
    return np.sum(w)


def eigh_lower_false(M):
    w, V = sl.eigh(M + M.T * 0 + 3 * np.eye(3), lower=False)
    return np.sum(w ** 2) + np.sum(V[:, 0] ** 4)


def logm_sqrtm(A):
    return np.sum(sl.sqrtm(A)) + np.trace(sl.logm(A))


def pinvh_of(A):
    return np.sum(sl.pinvh(A) ** 2)


def lstsq_scipy(Mx, b):
    x, res, rk, sv = sl.lstsq(Mx, b)
    return np.sum(x ** 2)


def solve_continuous_lyap(A):
    X = sl.solve_continuous_lyapunov(A - 5 * np.eye(3), -np.eye(3))
    return np.trace(X)


def expm_frechet_norm(A):
    return np.sum(sl.expm(A * 0.2) ** 2)


def block_diag_kron(A, Bm):
    return np.sum(sl.block_diag(A, Bm) ** 2) + np.sum(np.kron(A, Bm[:2, :2]))


def toeplitz_circulant(c):
    return np.sum(sl.toeplitz(c) @ c) + np.sum(sl.circulant(c) ** 2)


def det_logdet(A):
    return np.log(sl.det(A)) + np.linalg.slogdet(A)[1]


def inv_of(A):
    return np.sum(sl.inv(A) ** 2)


def qr_economic(Mx):
    Q, R = sl.qr(Mx, mode="economic")
    return np.sum(np.abs(np.diag(R)))


def svd_scipy(Mx):
    return np.sum(sl.svdvals(Mx)) + np.sum(sl.svd(Mx, compute_uv=False) ** 2)


def norm_scipy(Mx):
    return sl.norm(Mx) + sl.norm(Mx, 1) + sl.norm(Mx[0], 3)


AB = np.array([[0.0, 1.0, -0.5], [4.0, 5.0, 4.5], [0.3, -0.2, 0.0]])


ABL = np.array([[4.0, 5.0, 4.5], [0.3, -0.2, 0.0]])


SOLVERS = [
    (tri_unit_diagonal, (L0, V3), (0, 1), False),
    (tri_unit_diagonal_upper_trans, (L0, V3), (0, 1), False),
    (tri_reads_only_its_triangle, (M3 + 3 * np.eye(3), V3), (0, 1), False),
    (tri_trans_C, (L0, V3), (0, 1), False),
    (solve_assume_pos, (SPD16, V3), (0, 1), False),
    (solve_assume_sym_reads_triangle, (M3, V3), (0, 1), False),
    (solve_assume_sym_lower, (M3, V3), (0, 1), False),
    (solve_transposed, (M3 + 3 * np.eye(3), V3), (0, 1), False),
    (solve_diagonal_assume, (np.array([2.0, 3.0, 4.0]), V3), (0, 1), False),
    (lu_factor_solve, (M3 + 3 * np.eye(3), V3), (0, 1), False),
    (lu_solve_trans, (M3 + 3 * np.eye(3), V3), (0, 1), False),
    (lu_decomposition, (M3 + 3 * np.eye(3),), 0, False),
    (solve_banded_tridiagonal, (AB, V3), (0, 1), False),
    (cholesky_banded_solve, (ABL, V3), (0, 1), False),
    (cho_factor_upper, (SPD16, V3), (0, 1), False),
    (cho_factor_reads_triangle, (M3, V3), (0, 1), False),
    (cholesky_upper_default, (SPD16,), 0, False),
    (eigh_subset, (SPD16,), 0, False),
    (eigh_generalized, (SPD16, np.eye(3) * 2 + 0.1 * SPD16), (0, 1), False),
    (eigh_lower_false, (M3,), 0, False),
    (logm_sqrtm, (SPD16,), 0, False),
    (pinvh_of, (SPD16,), 0, False),
    (lstsq_scipy, (rng.normal(size=(4, 3)), rng.normal(size=4)), (0, 1), False),
    (solve_continuous_lyap, (M3,), 0, False),
    (expm_frechet_norm, (M3,), 0, False),
    (block_diag_kron, (M3, SPD16), (0, 1), False),
    (toeplitz_circulant, (V3,), 0, False),
    (det_logdet, (SPD16,), 0, False),
    (inv_of, (SPD16,), 0, False),
    (qr_economic, (rng.normal(size=(4, 3)),), 0, False),
    (svd_scipy, (rng.normal(size=(4, 3)),), 0, False),
    (norm_scipy, (rng.normal(size=(4, 3)),), 0, False),
]


# -- engineering: NumPy calls with positional axes, out-of-the-way shapes and broadcasting ---

T234 = rng.normal(size=(2, 3, 4))
T243 = rng.normal(size=(2, 4, 3))
T34 = rng.normal(size=(3, 4))


def clip_array_bounds(x, lo, hi):
    return np.sum(np.clip(x, lo, hi) ** 2)


def clip_bounds_keyword(x, lo):
    return np.sum(np.clip(x, a_min=lo, a_max=None) ** 2) + np.sum(x.clip(min=lo) * 2)


def dot_3d(A, B):
    return np.sum(np.dot(A, B) ** 2)


def dot_3d_with_vector(A, v):
    return np.sum(np.dot(A, v) ** 2) + np.sum(np.dot(v[:3], A[0]) ** 2)


def vdot_flattens(A, B):
    return np.vdot(A, B) + np.inner(A[0], B[0]) ** 2


def outer_of_matrices(A, B):
    return np.sum(np.outer(A, B) ** 2 * np.arange(36.0).reshape(6, 6))


def inner_of_matrices(A, B):
    return np.sum(np.inner(A, B) ** 2)


def tensordot_axes_int(A, B):
    return np.sum(np.tensordot(A, B, axes=1) ** 2) + np.sum(np.tensordot(A, B, 0)[0, 0] ** 2)


def einsum_ellipsis(A, B):
    return np.sum(np.einsum("...ij,...jk->...ik", A, B) ** 2) + np.sum(np.einsum("...i->...", A))


def einsum_repeated_in_one_operand(A):
    return np.sum(np.einsum("iij->j", A ** 2 if A.ndim == 3 else A))


def einsum_broadcast_output(a, b):
    return np.sum(np.einsum("i,j->ij", a, b) ** 2) + np.einsum("i,i", a, a)


def matmul_vector_vector(a, b):
    return np.matmul(a, b) + a @ b * 2


def positional_axes(A):
    return (np.sum(np.sum(A, 0) ** 2) + np.sum(np.mean(A, 1, keepdims=True) * A)
            + np.sum(np.max(A, -1)) + np.sum(np.cumsum(A, -1) ** 2) + np.sum(np.var(A, 0)))


def concat_stack_positional(a, b):
    return np.sum(np.concatenate((a[None], b[None]), 0) ** 2) + np.sum(np.stack([a, b], -1) @ np.array([1.0, 2.0]))


def take_axis(A, idx):
    return np.sum(np.take(A, idx, 0) ** 2) + np.sum(np.take(A, idx, axis=1) * 2) + np.sum(A.take([0, 0, 1]))


def repeat_array_counts(x):
    return np.sum(np.repeat(x, [1, 2, 3]) * np.arange(6.0))


def repeat_axis(A):
    return np.sum(np.repeat(A, 2, axis=0) * np.arange(18.0).reshape(6, 3))


def tile_roll_flip(A):
    return (np.sum(np.tile(A, (2, 1)) * np.arange(18.0).reshape(6, 3)) + np.sum(np.roll(A, shift=-1) * A)
            + np.sum(np.flip(A, (0, 1)) * np.arange(9.0).reshape(3, 3)))


def axes_shuffles(T):
    return (np.sum(np.moveaxis(T, [0, 1], [1, 0]) * np.arange(24.0).reshape(3, 2, 4))
            + np.sum(np.transpose(T, (1, 0, 2))[0] ** 2) + np.sum(np.swapaxes(T, 0, 2)[1] ** 3)
            + np.sum(np.expand_dims(T, (0, 2)) ** 2) + np.sum(T.transpose(2, 0, 1)[0] * 2))


def broadcast_to_sum(x):
    return np.sum(np.broadcast_to(x, (4, 3)) * np.arange(12.0).reshape(4, 3))


def broadcast_arrays_sum(a, b):
    A, B = np.broadcast_arrays(a[:, None], b[None, :])
    return np.sum(A * B * np.arange(12.0).reshape(3, 4))


def take_along_axis_sort(A):
    idx = np.argsort(A, axis=1)
    return np.sum(np.take_along_axis(A, idx, axis=1) * np.arange(3.0))


def solve_matrix_rhs(A, B):
    return np.sum(np.linalg.solve(A + 3 * np.eye(3), B) ** 2)


def solve_batched_vector_rhs(A, b):
    As = np.stack([A + 3 * np.eye(3), A.T + 4 * np.eye(3)])
    return np.sum(np.linalg.solve(As, b[None, :, None]) ** 2)


def norm_axis_keepdims(A):
    return np.sum(A / np.linalg.norm(A, axis=1, keepdims=True)) + np.sum(np.linalg.norm(A, ord=1, axis=0))


def max_axis_ties(A):
    B = np.concatenate([A, A[:, :1]], axis=1)
    return np.sum(np.max(B, axis=1)) + np.sum(np.amax(B, axis=0))


def maximum_reduce(A):
    return np.sum(np.maximum.reduce(A, axis=0)) + np.sum(np.add.reduce(A, axis=1) ** 2)


def add_accumulate(x):
    return np.sum(np.add.accumulate(x) ** 2) + np.sum(np.multiply.accumulate(x))


def ufunc_outer(a, b):
    return np.sum(np.subtract.outer(a, b) ** 2) + np.sum(np.multiply.outer(a, b))


def where_three_shapes(x, y):
    return np.sum(np.where(x[:, None] > 0, x[:, None] * y[None, :], y) ** 2)


def where_one_arg_index(x):
    i = np.where(x > 0)
    return np.sum(x[i] ** 2)


def nonzero_index_assign(x):
    y = x * 1.0
    y[np.nonzero(y < 0)] = 0.0
    return np.sum(y ** 2)


def select_piecewise(x):
    return np.sum(np.select([x < -0.5, x > 0.5], [x ** 2, np.sin(x)], default=x))


def piecewise_fn(x):
    return np.sum(np.piecewise(x, [x < 0, x >= 0], [lambda v: v ** 2, lambda v: v]))


def minimum_with_int(x):
    return np.sum(np.minimum(x, 0) + np.maximum(1, x) + np.fmax(x, 0.2) + np.fmin(x, -0.2))


def power_negative_base(x):
    return np.sum(x ** 3) + np.sum(np.power(x, 2)) + np.sum(np.float_power(np.abs(x) + 1, 1.5))


def power_scalar_base(x):
    return np.sum(2.0 ** x) + np.sum(np.power(3.0, x))


def integer_power_of_array(x):
    return np.sum(np.power(x, np.array([1, 2, 3])))


def sum_dtype_and_initial(x):
    return np.sum(x, initial=2.0) + np.sum(x, dtype=np.float64) + np.prod(x, initial=2.0)


def mean_over_negative_axes(T):
    return np.sum(T.mean(axis=(-1, -2)) ** 2) + np.sum(T.sum(axis=(0, -1)))


def logsumexp_b_weights(x, w):
    return scipy.special.logsumexp(x, b=w) + scipy.special.logsumexp(np.stack([x, 2 * x]), axis=0, b=np.array([[1.0], [0.5]]))[0]


def atleast_and_column_stack(a, b):
    return np.sum(np.column_stack([a, b]) ** 2 * np.arange(6.0).reshape(3, 2)) + np.sum(np.hstack([a, b]) * np.arange(6.0)) + np.sum(np.vstack([a, b]) * 2) + np.sum(np.dstack([a, b]))


def append_insert_delete(x):
    return np.sum(np.append(x, x[:1] * 2) ** 2) + np.sum(np.insert(x, 1, 5.0 * x[0]) * np.arange(4.0)) + np.sum(np.delete(x, 1) ** 3)


def triu_indices_gather(A):
    i, j = np.triu_indices(3, 1)
    return np.sum(A[i, j] ** 2) + np.sum(A[np.tril_indices_from(A)])


def diag_of_vector_offset(x):
    return np.sum(np.diag(x, 1) @ np.arange(16.0).reshape(4, 4)) + np.sum(np.diagflat(x) ** 2)


def diagonal_offset(A):
    return np.sum(np.diagonal(A, 1) ** 2) + np.sum(A.diagonal(-1) * 3) + np.trace(A, 1)


ARRAY_FORMS = [
    (clip_array_bounds, (X3, X3 - 0.5, X3 + 0.5 * np.array([1, -3, 1])), (0, 1, 2), False),
    (clip_bounds_keyword, (X3, X3[::-1] + 0.3), (0, 1), False),
    (dot_3d, (T234, T243), (0, 1), False),
    (dot_3d_with_vector, (T234, X4), (0, 1), False),
    (vdot_flattens, (M23, M23[::-1]), (0, 1), False),
    (outer_of_matrices, (M23, M23 * 2), (0, 1), False),
    (inner_of_matrices, (M23, T34.T), (0, 1), False),
    (tensordot_axes_int, (M23, T34), (0, 1), False),
    (einsum_ellipsis, (T234, T243), (0, 1), False),
    (einsum_repeated_in_one_operand, (np.ones((3, 3, 2)) * rng.normal(size=(3, 3, 2)),), 0, False),
    (einsum_broadcast_output, (X3, X4), (0, 1), False),
    (matmul_vector_vector, (X3, X3[::-1]), (0, 1), False),
    (positional_axes, (M23,), 0, False),
    (concat_stack_positional, (X3, X3 * 2), (0, 1), False),
    (take_axis, (M3, np.array([0, 2, 2])), 0, False),
    (repeat_array_counts, (X3,), 0, False),
    (repeat_axis, (M3,), 0, False),
    (tile_roll_flip, (M3,), 0, False),
    (axes_shuffles, (T234,), 0, False),
    (broadcast_to_sum, (X3,), 0, False),
    (broadcast_arrays_sum, (X3, X4), (0, 1), False),
    (take_along_axis_sort, (M3,), 0, False),
    (solve_matrix_rhs, (M3, M23.T), (0, 1), False),
    (solve_batched_vector_rhs, (M3, X3), (0, 1), False),
    (norm_axis_keepdims, (M3,), 0, False),
    (max_axis_ties, (M3,), 0, False),
    (maximum_reduce, (M3,), 0, False),
    (add_accumulate, (X4,), 0, False),
    (ufunc_outer, (X3, X4), (0, 1), False),
    (where_three_shapes, (X3, X4), (0, 1), False),
    (where_one_arg_index, (X4,), 0, False),
    (nonzero_index_assign, (X4,), 0, False),
    (select_piecewise, (X4,), 0, False),
    (piecewise_fn, (X4,), 0, False),
    (minimum_with_int, (X4,), 0, False),
    (power_negative_base, (X4,), 0, False),
    (power_scalar_base, (X4,), 0, False),
    (integer_power_of_array, (X3,), 0, False),
    (sum_dtype_and_initial, (X3,), 0, False),
    (mean_over_negative_axes, (T234,), 0, False),
    (logsumexp_b_weights, (X3, np.array([0.5, 1.0, 2.0])), (0, 1), False),
    (atleast_and_column_stack, (X3, X3 * 2), (0, 1), False),
    (append_insert_delete, (X3,), 0, False),
    (triu_indices_gather, (M3,), 0, False),
    (diag_of_vector_offset, (X3,), 0, False),
    (diagonal_offset, (M3,), 0, False),
]


# -- OOP: optimiser and layer methods called through their classes ------------------------

def sgd_through_class(params, x):
    opt = SGD(0.1)
    p = params
    for _ in range(3):
        g = {"w": 2 * x * (p["w"] * x - 1.0), "b": 2 * p["b"]}
        p = SGD.step(opt, p, g)
    return inner_quadratic(p, x)


def adam_through_class(params, x):
    opt = Adam(lr=0.05)
    p = params
    for _ in range(3):
        g = {"w": 2 * x * (p["w"] * x - 1.0), "b": 2 * p["b"]}
        p = Adam.step(opt, p, g)
    return inner_quadratic(p, x)


def momentum_through_class(w, x):
    opt = Momentum(0.1, 0.9)
    for _ in range(3):
        w = Momentum.update(opt, w, 2 * (w - x))
    return np.sum(w ** 2)


def momentum_in_place_through_class(w, x):
    opt = MomentumInPlace(w.shape)
    for _ in range(3):
        w = MomentumInPlace.update(opt, w, 2 * (w - x) * x)
    return np.sum(w ** 2) + np.sum(opt.vel)


def momentum_state_read_after(w, x):
    opt = MomentumInPlace(w.shape)
    v0 = opt.vel
    w = MomentumInPlace.update(opt, w, 2 * (w - x) * x)
    return np.sum(w ** 2) + np.sum(v0 ** 2)


def running_through_class(x):
    r = Running()
    for xi in x:
        Running.add(r, xi ** 2)
    return r.total / r.n


def dense_through_class(params, x):
    h = x
    for W, b in params:
        layer = Dense(W, b)
        h = Dense.__call__(layer, h)
    return np.sum(h ** 2)


def scaler_through_class(X, w):
    s = Scaler()
    Scaler.fit(s, X)
    Z = Scaler.transform(s, X)
    return np.sum((Z @ w) ** 2)


def scaler_refit_between(X, w):
    s = Scaler()
    Scaler.fit(s, X)
    Z1 = Scaler.transform(s, X)
    Scaler.fit(s, X * 2.0)
    Z2 = Scaler.transform(s, X)
    return np.sum((Z1 @ w) ** 2) + np.sum(Z2 @ w)


OOP_THROUGH_CLASSES = [
    (sgd_through_class, ({"w": X3, "b": 0.5}, X3[::-1] + 0.1), 0, False),
    (adam_through_class, ({"w": X3, "b": 0.5}, X3[::-1] + 0.1), 0, False),
    (momentum_through_class, (X3, X3[::-1] + 0.1), (0, 1), False),
    (momentum_in_place_through_class, (X3, X3[::-1] + 0.1), (0, 1), False),
    (momentum_state_read_after, (X3, X3[::-1] + 0.1), (0, 1), False),
    (running_through_class, (X3,), 0, False),
    (dense_through_class, (LAYERS, X3), (0, 1), False),
    (scaler_through_class, (rng.normal(size=(5, 3)), X3), (0, 1), False),
    (scaler_refit_between, (rng.normal(size=(5, 3)), X3), (0, 1), False),
]


# -- OOP: decorated helpers (functools.wraps, caches, np.vectorize, parametrised decorators) ---

def doubled(fn):
    @functools.wraps(fn)
    def inner(*a):
        return 2.0 * fn(*a)
    return inner


def shifted_input(fn):
    @functools.wraps(fn)
    def inner(x):
        return fn(x + 1.0)
    return inner


def logged(fn):
    def inner(*a):
        return fn(*a)
    return inner


@doubled
def helper_doubled(x):
    return x ** 2


@shifted_input
def helper_shifted(x):
    return np.sin(x)


@logged
def helper_logged(x):
    return x ** 3


@functools.lru_cache(maxsize=None)
def cached_constant(n):
    return np.arange(float(n))


@functools.cache
def cached_scalar_helper(a):
    return a ** 2


def loss_with_decorated_helper(x):
    return np.sum(helper_doubled(x))


def loss_with_shifted_helper(x):
    return np.sum(helper_shifted(x))


def loss_with_plain_wrapper(x):
    return np.sum(helper_logged(x))


def loss_with_lru_cached_constant(x):
    return np.sum(cached_constant(3) * x ** 2)


def loss_with_cached_scalar(x):
    return cached_scalar_helper(x[0]) + x[1]


@np.vectorize
def vec_helper(a):
    return a ** 2 if a > 0 else -a


def loss_with_vectorize(x):
    return np.sum(vec_helper(x))


class Net:
    @staticmethod
    @doubled
    def act(z):
        return np.tanh(z)


def loss_with_static_decorated(x):
    return np.sum(Net.act(x))


def make_scaled(c):
    def deco(fn):
        @functools.wraps(fn)
        def inner(x):
            return c * fn(x)
        return inner
    return deco


@make_scaled(3.0)
def helper_scaled3(x):
    return x * x


def loss_with_parametrised_decorator(x):
    return np.sum(helper_scaled3(x))


def clipped_grad_identity(fn):
    fn.tag = "clip"
    return fn


@clipped_grad_identity
def helper_tagged(x):
    return x ** 2


def loss_with_identity_decorator(x):
    return np.sum(helper_tagged(x))


DECORATED = [
    (loss_with_decorated_helper, (X3,), 0, False),
    (loss_with_shifted_helper, (X3,), 0, False),
    (loss_with_plain_wrapper, (X3,), 0, False),
    (loss_with_lru_cached_constant, (X3,), 0, False),
    (loss_with_cached_scalar, (X3,), 0, False),
    (loss_with_vectorize, (X3,), 0, False),
    (loss_with_static_decorated, (X3,), 0, False),
    (loss_with_parametrised_decorator, (X3,), 0, False),
    (loss_with_identity_decorator, (X3,), 0, False),
]


# -- OOP: closures over names rebound later, functions made in loops, for/while-else ------

def closure_late_binding_rebound(x):
    s = x[0]
    def g(v):
        return v * s
    s = x[1]
    return g(x[2])


def closure_late_binding_rebound_after_a_call(x):
    s = x[0]
    def g(v):
        return v * s
    a = g(x[2])
    s = x[1] ** 2
    return a + g(x[2])


def closure_defined_in_loop(x):
    for k in range(3):
        def g(v):
            return v * x[k]
    return g(x[0])


def closure_in_loop_called_in_loop(x):
    total = 0.0
    for k in range(3):
        def g(v):
            return v * x[k] ** 2
        total = total + g(x[3])
    return total


def closure_over_array_changed_in_place(x):
    a = x * 1.0
    def g(v):
        return np.sum(a * v)
    a[0] = 10.0
    return g(x)


def closure_over_array_changed_between_calls(x):
    a = x * 1.0
    def g(v):
        return np.sum(a * v)
    r = g(x)
    a[0] = 10.0
    return r + g(x)


def lambdas_in_list_late_binding(x):
    fs = []
    for i in range(3):
        fs.append(lambda v: v * i)
    return sum(f(x[0]) for f in fs)


def default_arg_binding(x):
    fs = []
    for i in range(3):
        fs.append(lambda v, i=i: v * i)
    return fs[0](x[0]) + fs[2](x[1])


def closure_modifies_nonlocal_list(x):
    acc = []
    def push(v):
        acc.append(v ** 2)
        return v
    push(x[0])
    y = push(x[1])
    return sum(acc) + y


def nested_closure_chain(x):
    a = x[0]
    def outer(v):
        b = v * a
        def inner(u):
            return u * b + a
        return inner(v)
    a = x[1]
    return outer(x[2])


def for_else_branch(x):
    total = 0.0
    for v in x:
        if v > 5.0:
            break
        total = total + v ** 2
    else:
        total = total * 2.0
    return total


def while_else_break(x):
    i = 0
    s = 0.0
    while i < len(x):
        s = s + x[i] ** 2
        if s > 1.0:
            break
        i += 1
    else:
        s = s + 100.0 * x[0]
    return s


def try_finally_value(x):
    y = x * 2.0
    try:
        y = y + 1.0
    finally:
        y = y * 3.0
    return np.sum(y ** 2)


def comprehension_scope_shadowing(x):
    v = x[0]
    ys = [v * 2.0 for v in x]
    return sum(ys) + v


def nested_comprehension(x, M):
    return sum(sum(M[i, j] * x[j] for j in range(3)) ** 2 for i in range(3))


def conditional_comprehension(x):
    return sum(v ** 2 for v in x if v > 0) + np.sum([v for v in x if v < 0])


def global_rebinding_between_calls(x):
    return helper_uses_global(x)


SCALE = 2.0


def helper_uses_global(x):
    return np.sum(x * SCALE)


CLOSURES = [
    (closure_late_binding_rebound, (X3,), 0, False),
    (closure_late_binding_rebound_after_a_call, (X3,), 0, False),
    (closure_defined_in_loop, (X3,), 0, False),
    (closure_in_loop_called_in_loop, (X4,), 0, False),
    (closure_over_array_changed_in_place, (X3,), 0, False),
    (closure_over_array_changed_between_calls, (X3,), 0, False),
    (lambdas_in_list_late_binding, (X3,), 0, False),
    (default_arg_binding, (X3,), 0, False),
    (closure_modifies_nonlocal_list, (X3,), 0, False),
    (nested_closure_chain, (X3,), 0, False),
    (for_else_branch, (X3,), 0, False),
    (while_else_break, (X3,), 0, False),
    (while_else_break, (X3 * 0.1,), 0, False),
    (try_finally_value, (X3,), 0, False),
    (comprehension_scope_shadowing, (X3,), 0, False),
    (nested_comprehension, (X3, rng.normal(size=(3, 3))), (0, 1), False),
    (conditional_comprehension, (X3,), 0, False),
]


# -- aliases: out= given by position, operator.iadd, views by einsum/view()/unpacking, dunder calls ---

def positional_out_multiply(a, b):
    a = a.copy()
    np.multiply(a, b, a)
    return np.sum(a ** 2)


def positional_out_exp(x):
    y = x * 1.0
    np.exp(y, y)
    return np.sum(y * x)


def relu_in_place_maximum_out(x):
    y = x * 2.0
    np.maximum(y, 0.0, out=y)
    return np.sum(y ** 2)


def operator_iadd(x):
    y = x.copy()
    z = operator.iadd(y, x)
    return np.sum(y ** 2) + np.sum(z)


def operator_imul_rebinding(x):
    y = x.copy()
    y = operator.imul(y, 2.0)
    return np.sum(y ** 2)


def einsum_diagonal_view_written(A):
    B = A.copy()
    d = np.einsum("ii->i", B)
    d += 1.0
    return np.sum(B ** 2)


def view_method_written(x):
    y = x.copy()
    v = y.view()
    v *= 2.0
    return np.sum(y ** 2)


def rows_by_list_written(A):
    B = A.copy()
    rows = list(B)
    rows[0] *= 2.0
    return np.sum(B ** 2)


def rows_by_unpacking_written(A):
    B = A.copy()
    a, b, c = B
    a *= 2.0
    return np.sum(B ** 2)


def rows_by_unpacking_assigned(A):
    B = A.copy()
    a, b, c = B
    a[:] = c
    return np.sum(B ** 2) + np.sum(a)


def sliding_window_writeable(x):
    y = x.copy()
    w = sliding_window_view(y, 3, writeable=True)
    w[0, 0] = 5.0
    return np.sum(y ** 2)


def add_at_into_a_view(x):
    y = x.copy()
    np.add.at(y[1:], np.array([0, 0, 2]), x[:3])
    return np.sum(y ** 2)


def add_at_into_reshaped(x):
    y = x.copy()
    np.add.at(y.reshape(2, 3), (np.array([0, 1]), np.array([1, 1])), 2.0 * x[:2])
    return np.sum(y ** 2)


def fancy_plus_equals_into_view(x):
    y = x.copy()
    v = y[1:]
    v[np.array([0, 2])] += x[:2]
    return np.sum(y ** 2)


def matmul_out(A, B):
    C = np.empty((3, 3))
    np.matmul(A, B, out=C)
    return np.sum(C ** 2)


def dot_out_positional(A, B):
    C = np.empty((3, 3))
    np.dot(A, B, C)
    return np.sum(C ** 2)


def cumsum_out_positional(x):
    out = np.empty_like(x)
    np.cumsum(x, 0, None, out)
    return np.sum(out ** 2)


def clip_positional_out(x):
    y = x * 3.0
    np.clip(y, -1.0, 1.0, y)
    return np.sum(y ** 2)


def method_clip_out(x):
    y = x * 3.0
    y.clip(-1.0, 1.0, out=y)
    return np.sum(y ** 2)


def method_cumsum_out(x):
    y = x * 3.0
    out = np.zeros(3)
    y.cumsum(out=out)
    return np.sum(out ** 2)


def expand_dims_view_written(x):
    y = x.copy()
    e = np.expand_dims(y, 0)
    e[0, 0] = 7.0
    return np.sum(y ** 2)


def unstack_written(A):
    B = A.copy()
    a, b, c = np.unstack(B)
    a *= 2.0
    return np.sum(B ** 2)


def zip_rows_written(A, C):
    B = A.copy()
    for r, c in zip(B, C):
        r += c
    return np.sum(B ** 2)


def enumerate_rows_written(A):
    B = A.copy()
    for i, r in enumerate(B):
        r *= i + 1.0
    return np.sum(B ** 2)


def divide_where_out(x):
    y = x.copy()
    np.divide(y, 2.0, out=y, where=y > 0)
    return np.sum(y ** 2)


def add_where_into_new(x):
    out = np.zeros_like(x)
    np.add(x, 1.0, out=out, where=x > 0)
    return np.sum(out ** 2)


def negative_out_in_place(x):
    y = x * 2.0
    np.negative(y, out=y)
    return np.sum(y * x)


def setitem_via_dunder(x):
    y = x.copy()
    y.__setitem__(0, 5.0)
    return np.sum(y ** 2)


def iadd_via_dunder(x):
    y = x.copy()
    y.__iadd__(x)
    return np.sum(y ** 2)


def put_along_axis_written(A):
    B = A.copy()
    np.put_along_axis(B, np.array([[0], [1], [2]]), 0.0, axis=1)
    return np.sum(B ** 2)


def sort_in_place_method(x):
    y = x * 1.0
    y.sort()
    return np.sum(y * np.arange(3.0))


def shape_attribute_set(x):
    y = x.copy()
    y.shape = (2, 3)
    return np.sum(y[0] * y[1])


def resize_method(x):
    y = x.copy()
    y.resize((2, 3), refcheck=False)
    return np.sum(y[0] * y[1])


def fill_method(x):
    y = x.copy()
    z = y[:2]
    z.fill(1.0)
    return np.sum(y ** 2)


def itemset_style(x):
    y = x.copy()
    y.flat[1] = 3.0
    return np.sum(y ** 2)


def default_argument_cache(x, memo={}):
    if "k" not in memo:
        memo["k"] = 2.0
    return np.sum(x * memo["k"])


def generator_of_differentiated_slices(w):
    def chunks(v):
        for i in range(0, len(v), 2):
            yield v[i:i + 2]
    total = 0.0
    for c in chunks(w):
        total = total + np.prod(c)
    return total


def generator_expression_in_sum(w):
    return sum(wi ** 2 for wi in w) + sum(np.sin(w[i]) for i in range(len(w)))


def iter_next_over_parameters(w):
    it = iter(w)
    a = next(it)
    b = next(it)
    return a * b + sum(r for r in it)


def map_over_rows(A):
    return sum(map(np.sum, np.tanh(A))) + sum(map(lambda r: r @ r, A))


def copy_module_copy(x):
    import copy
    y = copy.copy(x)
    y *= 2.0
    return np.sum(y ** 2) + np.sum(x)


def np_array_copy_false(x):
    y = x * 1.0
    z = np.array(y, copy=False) if np.__version__ < "2" else np.asarray(y)
    z *= 2.0
    return np.sum(y ** 2)


def ndarray_base_written(x):
    y = x.copy()
    v = y[1:]
    v.base[0] = 3.0
    return np.sum(y ** 2) + np.sum(v)


def swap_via_views_in_loop(A):
    B = A.copy()
    for i in range(2):
        tmp = B[i].copy()
        B[i] = B[i + 1]
        B[i + 1] = tmp
    return np.sum(B * np.arange(9.0).reshape(3, 3))


def hmm_row_normalised_in_place(A, E):
    alpha = np.zeros((4, 3))
    alpha[0] = E[0]
    for t in range(1, 4):
        alpha[t] = (alpha[t - 1] @ A) * E[t]
        alpha[t] /= alpha[t].sum()
    return np.sum(alpha ** 2)


def row_view_divided_then_read(A):
    B = A.copy()
    r = B[1]
    r /= r.sum()
    return np.sum(B ** 2)


def matrix_rows_through_list_comp(A):
    B = A.copy()
    rows = [r for r in B]
    rows[1] *= 3.0
    return np.sum(B ** 2)


ALIAS_ROUTES = [
    (positional_out_multiply, (X3, X3[::-1]), (0, 1), False),
    (positional_out_exp, (X3,), 0, False),
    (relu_in_place_maximum_out, (X3,), 0, False),
    (operator_iadd, (X3,), 0, False),
    (operator_imul_rebinding, (X3,), 0, False),
    (einsum_diagonal_view_written, (M3,), 0, False),
    (view_method_written, (X3,), 0, False),
    (rows_by_list_written, (M3,), 0, False),
    (rows_by_unpacking_written, (M3,), 0, False),
    (rows_by_unpacking_assigned, (M3,), 0, False),
    (sliding_window_writeable, (X6,), 0, False),
    (add_at_into_a_view, (X4,), 0, False),
    (add_at_into_reshaped, (X6,), 0, False),
    (fancy_plus_equals_into_view, (X4,), 0, False),
    (matmul_out, (M3, M3.T), (0, 1), False),
    (dot_out_positional, (M3, M3.T), (0, 1), False),
    (cumsum_out_positional, (X3,), 0, False),
    (clip_positional_out, (X3,), 0, False),
    (method_clip_out, (X3,), 0, False),
    (method_cumsum_out, (X3,), 0, False),
    (expand_dims_view_written, (X3,), 0, False),
    (unstack_written, (M3,), 0, False),
    (zip_rows_written, (M3, M3.T), (0, 1), False),
    (enumerate_rows_written, (M3,), 0, False),
    (divide_where_out, (X4,), 0, False),
    (add_where_into_new, (X4,), 0, False),
    (negative_out_in_place, (X3,), 0, False),
    (setitem_via_dunder, (X3,), 0, False),
    (iadd_via_dunder, (X3,), 0, False),
    (put_along_axis_written, (M3,), 0, False),
    (sort_in_place_method, (X3,), 0, False),
    (shape_attribute_set, (X6,), 0, False),
    (resize_method, (X6,), 0, False),
    (fill_method, (X3,), 0, False),
    (itemset_style, (X3,), 0, False),
    (default_argument_cache, (X3,), 0, False),
    (generator_of_differentiated_slices, (X4,), 0, False),
    (generator_expression_in_sum, (X4,), 0, False),
    (iter_next_over_parameters, (X4,), 0, False),
    (map_over_rows, (M3,), 0, False),
    (copy_module_copy, (X3,), 0, False),
    (np_array_copy_false, (X3,), 0, False),
    (ndarray_base_written, (X3,), 0, False),
    (swap_via_views_in_loop, (M3,), 0, False),
    (hmm_row_normalised_in_place, (np.abs(M3), np.abs(M3[[0, 1, 2, 0]])), (0, 1), False),
    (row_view_divided_then_read, (M3,), 0, False),
    (matrix_rows_through_list_comp, (M3,), 0, False),
]


# -- aliases: shallow copies (dict(state), state.copy(), {**d}, list(xs), copy.copy) then in place ---

def shallow_dict_copy_in_place(state, x):
    s2 = dict(state)
    s2["m"] += x
    return np.sum(state["m"] ** 2) + np.sum(s2["m"])


def shallow_dict_copy_method_in_place(state, x):
    s2 = state.copy()
    s2["m"] *= 2.0
    return np.sum(state["m"] * x)


def shallow_dict_unpack_in_place(state, x):
    s2 = {**state}
    s2["m"] -= x
    return np.sum(state["m"] ** 2)


def shallow_dict_copy_replaced(state, x):
    s2 = dict(state)
    s2["m"] = s2["m"] + x
    return np.sum(state["m"] ** 2) + np.sum(s2["m"] ** 2)


def local_dict_shallow_copy_in_place(x):
    state = {"m": x * 1.0}
    s2 = dict(state)
    s2["m"] += x
    return np.sum(state["m"] ** 2)


def local_dict_shallow_copy_item_write(x):
    state = {"m": x * 1.0}
    s2 = dict(state)
    s2["m"][0] = 7.0
    return np.sum(state["m"] ** 2)


def list_shallow_copy_in_place(xs, x):
    ys = list(xs)
    ys[0] += x
    return np.sum(xs[0] ** 2)


def local_list_slice_copy_in_place(x):
    xs = [x * 1.0, x * 2.0]
    ys = xs[:]
    ys[0] *= 3.0
    return np.sum(xs[0] ** 2)


def local_list_copy_copy_item_write(x):
    xs = [x * 1.0, x * 2.0]
    ys = copy.copy(xs)
    ys[1][0] = 0.0
    return np.sum(xs[1] ** 2)


def local_list_deepcopy_item_write(x):
    xs = [x * 1.0, x * 2.0]
    ys = copy.deepcopy(xs)
    ys[1][0] = 0.0
    return np.sum(xs[1] ** 2) + np.sum(ys[1])


class Body:
    def __init__(self, pos):
        self.pos = pos


@dataclasses.dataclass
class State:
    pos: np.ndarray
    vel: np.ndarray


def copy_copy_object_attr_in_place(x):
    body = Body(x * 1.0)
    b2 = copy.copy(body)
    b2.pos += x
    return np.sum(body.pos ** 2)


def copy_copy_dataclass_attr_in_place(s, x):
    s2 = copy.copy(s)
    s2.pos += x
    return np.sum(s.pos ** 2) + np.sum(s2.vel)


def copy_copy_dataclass_attr_item(s):
    s2 = copy.copy(s)
    s2.pos[0] = 5.0
    return np.sum(s.pos ** 2) + np.sum(s2.vel)


def replace_dataclass_then_in_place(s, x):
    s2 = dataclasses.replace(s, vel=s.vel * 2.0)
    s2.pos *= 2.0
    return np.sum(s.pos ** 2) + np.sum(s2.vel * x)


def local_dataclass_copy_in_place(x):
    s = State(x * 1.0, x * 2.0)
    s2 = copy.copy(s)
    s2.pos += 1.0
    return np.sum(s.pos ** 2)


SHALLOW_COPIES = [
    (shallow_dict_copy_in_place, ({"m": X3}, (X3[::-1] + 0.1)), (0, 1), False),
    (shallow_dict_copy_in_place, ({"m": X3}, (X3[::-1] + 0.1)), 1, False),
    (shallow_dict_copy_method_in_place, ({"m": X3}, (X3[::-1] + 0.1)), (0, 1), False),
    (shallow_dict_copy_method_in_place, ({"m": X3}, (X3[::-1] + 0.1)), 1, False),
    (shallow_dict_unpack_in_place, ({"m": X3}, (X3[::-1] + 0.1)), 0, False),
    (shallow_dict_copy_replaced, ({"m": X3}, (X3[::-1] + 0.1)), (0, 1), False),
    (local_dict_shallow_copy_in_place, (X3,), 0, False),
    (local_dict_shallow_copy_item_write, (X3,), 0, False),
    (list_shallow_copy_in_place, ([X3, X3 * 2], (X3[::-1] + 0.1)), (0, 1), False),
    (list_shallow_copy_in_place, ([X3, X3 * 2], (X3[::-1] + 0.1)), 1, False),
    (local_list_slice_copy_in_place, (X3,), 0, False),
    (local_list_copy_copy_item_write, (X3,), 0, False),
    (local_list_deepcopy_item_write, (X3,), 0, False),
    (copy_copy_object_attr_in_place, (X3,), 0, False),
    (copy_copy_dataclass_attr_in_place, (State(X3, X3 * 2), (X3[::-1] + 0.1)), (0, 1), False),
    (copy_copy_dataclass_attr_in_place, (State(X3, X3 * 2), (X3[::-1] + 0.1)), 1, False),
    (copy_copy_dataclass_attr_item, (State(X3, X3 * 2),), 0, False),
    (replace_dataclass_then_in_place, (State(X3, X3 * 2), (X3[::-1] + 0.1)), (0, 1), False),
    (local_dataclass_copy_in_place, (X3,), 0, False),
]


# -- aliases: aliases through branches, helpers, builtins (max/sorted), dict methods, loops ---

def conditional_alias(x, flag):
    z = x * 1.0
    y = z if flag else z.copy()
    y[0] = 0.0
    return np.sum(z ** 2) + np.sum(y)


def conditional_alias_if_statement(x, flag):
    z = x * 1.0
    if flag:
        y = z
    else:
        y = z.copy()
    y *= 3.0
    return np.sum(z ** 2)


def pick(a, b):
    return a if np.sum(a) > np.sum(b) else b


def picked_alias_written(x):
    a = x * 1.0
    b = x * 2.0
    c = pick(a, b)
    c[1] = 5.0
    return np.sum(a ** 2) + np.sum(b ** 2)


def builtin_max_key_alias(x):
    a = x * 1.0
    b = x * -2.0
    c = max([a, b], key=np.sum)
    c[0] = 9.0
    return np.sum(a ** 2) + np.sum(b ** 3)


def sorted_key_alias(x):
    a = x * 1.0
    b = x * -2.0
    s = sorted([a, b], key=lambda v: v[0])
    s[0] *= 3.0
    return np.sum(a ** 2) + np.sum(b ** 3)


def dict_get_alias(x):
    d = {"a": x * 1.0}
    v = d.get("a")
    v[0] = 4.0
    return np.sum(d["a"] ** 2)


def dict_setdefault_alias(x):
    d = {}
    y = x * 1.0
    v = d.setdefault("a", y)
    v *= 2.0
    return np.sum(y ** 2)


def dict_pop_alias(x):
    y = x * 1.0
    d = {"a": y}
    v = d.pop("a")
    v[1] = 0.0
    return np.sum(y ** 2)


def list_pop_alias(x):
    y = x * 1.0
    lst = [y, x * 2.0]
    v = lst.pop(0)
    v += 1.0
    return np.sum(y ** 2)


def dict_values_loop_in_place(x):
    y = x * 1.0
    d = {"a": y, "b": x * 2.0}
    for v in d.values():
        v *= 2.0
    return np.sum(y ** 2)


def dict_items_loop_in_place(x):
    y = x * 1.0
    d = {"a": y, "b": x * 2.0}
    for k, v in d.items():
        v[0] = 1.0
    return np.sum(y ** 2) + np.sum(d["b"])


def next_iter_values_alias(x):
    y = x * 1.0
    d = {"a": y}
    v = next(iter(d.values()))
    v *= 3.0
    return np.sum(y ** 2)


def list_comprehension_identity(x):
    a = x * 1.0
    lst = [v for v in [a, a]]
    lst[0] *= 2.0
    return np.sum(a ** 2)


def tuple_unpack_alias(x):
    a = x * 1.0
    p = (a, 2.0)
    b, c = p
    b *= c
    return np.sum(a ** 2)


def walrus_alias(x):
    a = x * 1.0
    if (b := a) is not None:
        b[0] = 2.0
    return np.sum(a ** 2)


def loop_variable_alias_last(x):
    arrs = [x * 1.0, x * 2.0]
    for v in arrs:
        pass
    v[0] = 7.0
    return np.sum(arrs[1] ** 2)


def loop_else_alias(x):
    a = x * 1.0
    b = None
    for i in range(2):
        b = a
    b += 1.0
    return np.sum(a ** 2)


def while_alias_swap(x):
    a = x * 1.0
    b = x * 2.0
    n = 0
    while n < 3:
        a, b = b, a
        n += 1
    a[0] = 0.0
    return np.sum(a ** 2) + np.sum(b ** 2)


def attribute_alias_via_setattr(x):
    class NS:
        pass
    ns = NS()
    y = x * 1.0
    setattr(ns, "w", y)
    ns.w[0] = 3.0
    return np.sum(y ** 2)


def getattr_alias(x):
    class NS:
        pass
    ns = NS()
    ns.w = x * 1.0
    w = getattr(ns, "w")
    w *= 2.0
    return np.sum(ns.w ** 2)


def vars_dict_alias(x):
    class NS:
        pass
    ns = NS()
    ns.w = x * 1.0
    vars(ns)["w"][0] = 3.0
    return np.sum(ns.w ** 2)


def zero_d_array_alias(x):
    s = np.sum(x, keepdims=True)[0:1].reshape(())
    t = s
    t += 1.0
    return s * x[0]


def squeeze_of_matrix_column(A):
    B = A.copy()
    c = B[:, 1:2].squeeze()
    c[0] = 2.0
    return np.sum(B ** 2)


def flip_assign_through_slice(x):
    y = x * 1.0
    y[::-1][0] = 5.0
    return np.sum(y ** 2)


def chained_index_assign(A):
    B = A.copy()
    B[1][2] = 0.5
    B[0][B[0] > 0] = 0.0
    return np.sum(B ** 2)


def chained_fancy_then_basic_assign(A):
    B = A.copy()
    B[[0, 2]][:, 1] = 0.0       # writes a copy: B unchanged
    return np.sum(B ** 2)


def chained_basic_then_fancy_assign(A):
    B = A.copy()
    B[:, 1][[0, 2]] = 0.0       # writes B
    return np.sum(B ** 2)


ALIAS_FLOW = [
    (conditional_alias, (X3, True), 0, False),
    (conditional_alias, (X3, False), 0, False),
    (conditional_alias_if_statement, (X3, True), 0, False),
    (conditional_alias_if_statement, (X3, False), 0, False),
    (picked_alias_written, (X3,), 0, False),
    (picked_alias_written, (-X3,), 0, False),
    (builtin_max_key_alias, (X3,), 0, False),
    (sorted_key_alias, (X3,), 0, False),
    (dict_get_alias, (X3,), 0, False),
    (dict_setdefault_alias, (X3,), 0, False),
    (dict_pop_alias, (X3,), 0, False),
    (list_pop_alias, (X3,), 0, False),
    (dict_values_loop_in_place, (X3,), 0, False),
    (dict_items_loop_in_place, (X3,), 0, False),
    (next_iter_values_alias, (X3,), 0, False),
    (list_comprehension_identity, (X3,), 0, False),
    (tuple_unpack_alias, (X3,), 0, False),
    (walrus_alias, (X3,), 0, False),
    (loop_variable_alias_last, (X3,), 0, False),
    (loop_else_alias, (X3,), 0, False),
    (while_alias_swap, (X3,), 0, False),
    (attribute_alias_via_setattr, (X3,), 0, False),
    (getattr_alias, (X3,), 0, False),
    (vars_dict_alias, (X3,), 0, False),
    (zero_d_array_alias, (X3,), 0, False),
    (squeeze_of_matrix_column, (M3,), 0, False),
    (flip_assign_through_slice, (X3,), 0, False),
    (chained_index_assign, (M3,), 0, False),
    (chained_fancy_then_basic_assign, (M3,), 0, False),
    (chained_basic_then_fancy_assign, (M3,), 0, False),
]


# -- aliases: helpers changing their array arguments in place (heat steps, swaps, accumulators) ---

def heat_step_in_place(u, alpha):
    u[1:-1] += alpha * (u[:-2] - 2 * u[1:-1] + u[2:])


def heat_by_in_place_helper(u0, alpha):
    u = u0.copy()
    for _ in range(3):
        heat_step_in_place(u, alpha)
    return np.sum(u ** 2)


def heat_by_in_place_helper_no_copy_local(u0, alpha):
    u = u0 * 1.0
    heat_step_in_place(u, alpha)
    v = u
    heat_step_in_place(v, alpha)
    return np.sum(u ** 2)


def fill_row(U, n, alpha):
    U[n + 1, 1:-1] = U[n, 1:-1] + alpha * (U[n, 2:] - 2 * U[n, 1:-1] + U[n, :-2])


def heat_grid_by_helper(u0, alpha):
    U = np.zeros((5, len(u0)))
    U[0] = u0
    for n in range(4):
        fill_row(U, n, alpha)
    return np.sum(U ** 2)


def heat_helper_through_dict(u0, alpha):
    state = {"u": u0.copy()}
    for _ in range(2):
        heat_step_in_place(state["u"], alpha)
    return np.sum(state["u"] ** 2)


def heat_helper_on_a_view(u0, alpha):
    U = np.stack([u0, u0 * 2.0])
    heat_step_in_place(U[0], alpha)
    return np.sum(U ** 2)


def heat_helper_on_a_row_name(u0, alpha):
    U = np.stack([u0, u0 * 2.0])
    row = U[1]
    heat_step_in_place(row, alpha)
    return np.sum(U ** 2)


def maybe_clamp(u, flag):
    if flag:
        u[0] = 0.0
    return np.sum(u)


def helper_conditional_write(x, flag):
    u = x * 2.0
    s = maybe_clamp(u, flag)
    return s + np.sum(u ** 2)


def normalise_and_norm(u):
    n = np.linalg.norm(u)
    u /= n
    return n


def helper_writes_and_returns_other(x):
    u = x * 1.0
    n = normalise_and_norm(u)
    return n + np.sum(u * np.arange(3.0))


def inner_write(u):
    u *= 2.0


def outer_calls_inner(u):
    inner_write(u)
    u += 1.0


def nested_in_place_helpers(x):
    u = x * 1.0
    outer_calls_inner(u)
    return np.sum(u ** 2)


def swap_in_place(a, b):
    t = a.copy()
    a[:] = b
    b[:] = t


def helper_two_arrays(x):
    a = x * 1.0
    b = x * 2.0
    swap_in_place(a, b)
    return np.sum(a * np.arange(3.0)) + np.sum(b ** 2)


def helper_same_array_twice(x):
    a = x * 1.0
    swap_in_place(a, a)
    return np.sum(a ** 2)


def helper_overlapping_views(x):
    a = x * 1.0
    swap_in_place(a[:2], a[1:])
    return np.sum(a * np.arange(3.0))


def accumulate_into(out, v):
    out += v
    return out


def helper_accumulates_in_loop(X):
    acc = np.zeros(3)
    for r in X:
        acc = accumulate_into(acc, r ** 2)
    return np.sum(acc * np.arange(3.0))


def helper_accumulates_row_then_reads_row(X):
    acc = np.zeros(3)
    first = X[0] * 1.0
    accumulate_into(acc, first)
    accumulate_into(first, acc)
    return np.sum(acc ** 2) + np.sum(first)


def kinematics_in_place_helper(angles):
    p = np.zeros(2)
    def advance(p, th, l):
        p[0] += l * np.cos(th)
        p[1] += l * np.sin(th)
    total = 0.0
    for th in angles:
        total = total + th
        advance(p, total, 1.0)
    return np.sum((p - np.array([1.0, 1.0])) ** 2)


IN_PLACE_HELPERS = [
    (heat_by_in_place_helper, (X8, 0.2), (0, 1), False),
    (heat_by_in_place_helper_no_copy_local, (X8, 0.2), (0, 1), False),
    (heat_grid_by_helper, (X8, 0.2), (0, 1), False),
    (heat_helper_through_dict, (X8, 0.2), (0, 1), False),
    (heat_helper_on_a_view, (X8, 0.2), (0, 1), False),
    (heat_helper_on_a_row_name, (X8, 0.2), (0, 1), False),
    (helper_conditional_write, (X3, True), 0, False),
    (helper_conditional_write, (X3, False), 0, False),
    (helper_writes_and_returns_other, (X3,), 0, False),
    (nested_in_place_helpers, (X3,), 0, False),
    (helper_two_arrays, (X3,), 0, False),
    (helper_same_array_twice, (X3,), 0, False),
    (helper_overlapping_views, (X3,), 0, False),
    (helper_accumulates_in_loop, (M3,), 0, False),
    (helper_accumulates_row_then_reads_row, (M3,), 0, False),
    (kinematics_in_place_helper, (X3,), 0, False),
]


# -- aliases: constants read by the gradient, then changed by methods, helpers and globals ---

A0 = rng.normal(size=(3, 3))


class Feats:
    def __init__(self, A):
        self.A = A.copy()

    def double(self):
        self.A *= 2.0

    def rebind(self):
        self.A = self.A * 2.0

    def apply(self, w):
        return self.A @ w


def method_mutates_constant_after_read(w, A):
    f = Feats(A)
    y = f.A @ w
    f.double()
    return np.sum(y ** 2) + np.sum(f.A @ w)


def method_via_class_mutates_after_read(w, A):
    f = Feats(A)
    y = f.A @ w
    Feats.double(f)
    return np.sum(y ** 2)


def method_apply_then_double(w, A):
    f = Feats(A)
    y = f.apply(w)
    f.double()
    return np.sum(np.tanh(y))


def method_apply_then_double_via_class(w, A):
    f = Feats(A)
    y = Feats.apply(f, w)
    Feats.double(f)
    return np.sum(np.tanh(y))


def method_rebinding_is_fine(w, A):
    f = Feats(A)
    y = f.A @ w
    f.rebind()
    return np.sum(y ** 2) + np.sum(f.A @ w)


def mutate_matrix(M):
    M *= 2.0


def helper_mutates_constant_after_read(w, A):
    B = A.copy()
    y = np.tanh(B @ w)
    mutate_matrix(B)
    return np.sum(y ** 2) + np.sum(B)


GLOBAL_M = {"M": None}


def mutate_global():
    GLOBAL_M["M"] *= 2.0


def global_mutated_by_helper_after_read(w):
    M = GLOBAL_M["M"]
    y = np.tanh(M @ w)
    mutate_global()
    return np.sum(y ** 2)


def shuffle_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    np.random.default_rng(0).shuffle(B)
    return np.sum(y ** 2)


def list_sort_after_read(w, A):
    rows = [A[0] * 1.0, A[1] * 1.0, A[2] * 1.0]
    y = np.sin(rows[0] * w)
    rows[0].sort()
    return np.sum(y ** 2)


def closure_mutates_after_read(w, A):
    B = A.copy()

    def bump():
        B[0, 0] += 5.0
    y = np.sin(B @ w)
    bump()
    return np.sum(y ** 2)


def lambda_mutates_after_read(w, A):
    B = A.copy()
    bump = lambda: B.__setitem__((0, 0), 5.0)  # noqa: E731
    y = np.sin(B @ w)
    bump()
    return np.sum(y ** 2)


def dict_of_constants_mutated_by_method_call(w, A):
    d = {"B": A.copy()}
    y = np.sin(d["B"] @ w)
    d["B"].fill(3.0)
    return np.sum(y ** 2)


def array_method_put_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    B.put([0, 4], [9.0, 9.0])
    return np.sum(y ** 2)


def itemset_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    B.flat[0] = 9.0
    return np.sum(y ** 2)


def np_copyto_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    np.copyto(B, 0.0)
    return np.sum(y ** 2)


def setattr_data_after_read(w, A):
    f = Feats(A)
    y = np.sin(f.A @ w)
    f.A[:] = 0.0
    return np.sum(y ** 2)


def exec_style_builtin_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    list(map(lambda r: r.fill(0.0), B))
    return np.sum(y ** 2)


def for_rows_fill_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    for r in B:
        r.fill(0.0)
    return np.sum(y ** 2)


def object_state_list_after_read(w, A):
    class_holder = Feats(A)
    hist = [class_holder.A]
    y = np.sin(hist[0] @ w)
    class_holder.double()
    return np.sum(y ** 2)


def global_mutated_wrapper(w):
    GLOBAL_M["M"] = A0.copy()
    return global_mutated_by_helper_after_read(w)


CHANGED_AFTER_READ = [
    (method_mutates_constant_after_read, (X3, A0), 0, False),
    (method_via_class_mutates_after_read, (X3, A0), 0, False),
    (method_apply_then_double, (X3, A0), 0, False),
    (method_apply_then_double_via_class, (X3, A0), 0, False),
    (method_rebinding_is_fine, (X3, A0), 0, False),
    (helper_mutates_constant_after_read, (X3, A0), 0, False),
    (shuffle_after_read, (X3, A0), 0, False),
    (list_sort_after_read, (X3, A0), 0, False),
    (closure_mutates_after_read, (X3, A0), 0, False),
    (lambda_mutates_after_read, (X3, A0), 0, False),
    (dict_of_constants_mutated_by_method_call, (X3, A0), 0, False),
    (array_method_put_after_read, (X3, A0), 0, False),
    (itemset_after_read, (X3, A0), 0, False),
    (np_copyto_after_read, (X3, A0), 0, False),
    (setattr_data_after_read, (X3, A0), 0, False),
    (exec_style_builtin_after_read, (X3, A0), 0, False),
    (for_rows_fill_after_read, (X3, A0), 0, False),
    (object_state_list_after_read, (X3, A0), 0, False),
]


# -- aliases: constants changed after a read by every route NumPy offers ------------------

def partial_mutator_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    bump = functools.partial(mutate_matrix, B)
    bump()
    return np.sum(y ** 2)


def operator_setitem_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    operator.setitem(B, (0, 0), 9.0)
    return np.sum(y ** 2)


def operator_iadd_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    operator.iadd(B, 1.0)
    return np.sum(y ** 2)


def getattr_fill_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    getattr(B, "fill")(0.0)
    return np.sum(y ** 2)


def unbound_sort_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    np.ndarray.sort(B)
    return np.sum(y ** 2)


def view_sort_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    B.reshape(-1).sort()
    return np.sum(y ** 2)


def transposed_sort_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    B.T.sort(axis=0)
    return np.sum(y ** 2)


def nditer_write_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    with np.nditer(B, op_flags=["readwrite"]) as it:
        for v in it:
            v[...] = 0.0
    return np.sum(y ** 2)


def memoryview_write_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    m = memoryview(B)
    m[0, 0] = 9.0
    return np.sum(y ** 2)


def frombuffer_write_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    C = np.frombuffer(B)
    C[0] = 9.0
    return np.sum(y ** 2)


def as_strided_write_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    C = np.lib.stride_tricks.as_strided(B)
    C[0, 0] = 9.0
    return np.sum(y ** 2)


def apply_along_axis_mutator(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    np.apply_along_axis(lambda r: r.sort(), 1, B)
    return np.sum(y ** 2)


def ndarray_view_type_write(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    C = B.view(np.ndarray)
    C[0, 0] = 9.0
    return np.sum(y ** 2)


def asarray_write_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    C = np.asarray(B)
    C[0, 0] = 9.0
    return np.sum(y ** 2)


def ravel_write_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    np.ravel(B)[0] = 9.0
    return np.sum(y ** 2)


def ufunc_at_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    np.add.at(B, (0, 0), 5.0)
    return np.sum(y ** 2)


def ufunc_out_positional_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    np.abs(B, B)
    return np.sum(y ** 2)


def matmul_out_into_read_constant(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    np.matmul(A, A, out=B)
    return np.sum(y ** 2)


def einsum_out_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    np.einsum("ij->ji", A, out=B)
    return np.sum(y ** 2)


def random_shuffle_legacy(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    np.random.shuffle(B)
    return np.sum(y ** 2)


def fill_diagonal_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    np.fill_diagonal(B, 0.0)
    return np.sum(y ** 2)


def put_along_axis_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    np.put_along_axis(B, np.zeros((3, 1), int), 0.0, 1)
    return np.sum(y ** 2)


def x_diag_write_via_indices(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    B[np.diag_indices(3)] = 0.0
    return np.sum(y ** 2)


def subtract_out_slice(w, A):
    B = A.copy()
    y = np.sin(B[0] * w)
    np.subtract(A[1], 1.0, out=B[0])
    return np.sum(y ** 2)


def setflags_then_write(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    B.setflags(write=True)
    B[0] = 1.0
    return np.sum(y ** 2)


def resize_after_read(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    B.resize(9, refcheck=False)
    return np.sum(y ** 2)


def byteswap_in_place(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    B.byteswap(inplace=True)
    return np.sum(y ** 2)


def partition_method(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    B.partition(1)
    return np.sum(y ** 2)


def argsort_no_mutation(w, A):
    B = A.copy()
    y = np.sin(B @ w)
    i = B.argsort()
    return np.sum(y ** 2) + i[0, 0]


CHANGED_AFTER_READ_ROUTES = [(f, (X3, A0), 0, False) for f in [
    partial_mutator_after_read, operator_setitem_after_read, operator_iadd_after_read,
    getattr_fill_after_read, unbound_sort_after_read, view_sort_after_read,
    transposed_sort_after_read, nditer_write_after_read, memoryview_write_after_read,
    frombuffer_write_after_read, as_strided_write_after_read, apply_along_axis_mutator,
    ndarray_view_type_write, asarray_write_after_read, ravel_write_after_read,
    ufunc_at_after_read, ufunc_out_positional_after_read, matmul_out_into_read_constant,
    einsum_out_after_read, random_shuffle_legacy, fill_diagonal_after_read,
    put_along_axis_after_read, x_diag_write_via_indices, subtract_out_slice,
    setflags_then_write, resize_after_read, byteswap_in_place, partition_method,
    argsort_no_mutation]] + [(global_mutated_wrapper, (X3,), 0, False)]


# -- engineering: memory orders, implicit einsum, take modes, splits, covariances, norms ---

T234B = rng.normal(size=(2, 3, 4))
W6 = np.arange(1.0, 7.0)


def reshape_order_f(x):
    return np.sum(x.reshape((2, 3), order="F") * np.arange(6.0).reshape(2, 3))


def np_reshape_order_f(x):
    return np.sum(np.reshape(x, (3, 2), order="F") * np.arange(6.0).reshape(3, 2))


def ravel_order_f(A):
    return np.sum(np.ravel(A, order="F") * W6) + np.sum(A.ravel("F") * W6 ** 2)


def flatten_order_f(A):
    return np.sum(A.flatten("F") * W6) + np.sum(A.flatten(order="C") * W6 ** 2)


def reshape_order_a(A):
    return np.sum(A.T.reshape(6, order="A") * W6)


def ravel_order_k(A):
    return np.sum(A.T.ravel(order="K") * W6)


def einsum_implicit_output(A, B):
    return np.sum(np.einsum("ba,cb", A, B) * np.arange(4.0).reshape(2, 2)) + np.sum(np.einsum("ab,bc", B, A) ** 2) + np.sum(np.einsum("i,i", A[0], A[1]))


def einsum_implicit_repeated(A):
    return np.einsum("ii", A) + np.sum(np.einsum("ij", A) * np.arange(9.0).reshape(3, 3)) + np.sum(np.einsum("ji", A) * np.arange(9.0).reshape(3, 3))


def einsum_sublist(A, B):
    return np.sum(np.einsum(A, [0, 1], B, [1, 2], [0, 2]) ** 2)


def einsum_uppercase_spaces(A, B):
    return np.sum(np.einsum("Ij, jK -> IK", A, B) ** 2)


def tensordot_lists_negative(A, B):
    return np.sum(np.tensordot(A, B, axes=([-1], [0])) ** 2) + np.sum(np.tensordot(A, B, axes=[[1], [0]]))


def take_mode_clip_wrap(x):
    idx = np.array([0, 5, 9, -7])
    return np.sum(np.take(x, idx, mode="clip") * np.arange(1.0, 5.0)) + np.sum(np.take(x, idx, mode="wrap") ** 2)


def choose_rows(A):
    return np.sum(np.choose(np.array([0, 1, 0]), A) ** 2)


def cumsum_axis_none_2d(A):
    return np.sum(np.cumsum(A) * W6) + np.sum(np.cumprod(A, axis=None) ** 2)


def diff_n_zero(x):
    return np.sum(np.diff(x, n=0) * W6)


def roll_big_negative(x):
    return np.sum(np.roll(x, -13) * W6)


def repeat_axis_none_2d(A):
    return np.sum(np.repeat(A, 2) * np.arange(12.0))


def tile_more_dims(x):
    return np.sum(np.tile(x[:3], (2, 2)) * np.arange(12.0).reshape(2, 6))


def concatenate_axis_none(A, B):
    return np.sum(np.concatenate([A, B], axis=None) * np.arange(15.0))


def split_sections_list(x):
    a, b, c = np.split(x, [1, 4])
    return np.sum(a) * 2 + np.sum(b ** 2) + np.sum(c ** 3)


def array_split_uneven(x):
    parts = np.array_split(x[:5], 3)
    return sum(np.sum(p ** (i + 1)) for i, p in enumerate(parts))


def squeeze_axis_tuple(x):
    y = x.reshape(1, 6, 1)
    return np.sum(np.squeeze(y, axis=(0, 2)) * W6)


def linspace_no_endpoint_retstep(a, b):
    v, step = np.linspace(a, b, 5, endpoint=False, retstep=True)
    return np.sum(v ** 2) + step ** 2


def arange_active(a):
    return np.sum(np.arange(a, a + 3.0, 0.5) ** 2)


def meshgrid_ij(x, y):
    X, Y = np.meshgrid(x, y, indexing="ij")
    Xx, Yx = np.meshgrid(x, y)
    return np.sum(X * Y * np.arange(24.0).reshape(6, 4)) + np.sum(Xx ** 2 * Yx)


def clip_min_above_max(x):
    return np.sum(np.clip(x, 1.0, -1.0) * W6)


def round_decimals(x):
    return np.sum(np.round(x, 1) * x) + np.sum(np.around(x, decimals=2))


def sum_where_keepdims_axis(A):
    return np.sum(np.sum(A, axis=1, keepdims=True, where=A > 0) * A)


def ptp_range(x):
    return np.ptp(x) + np.sum(np.ptp(x.reshape(2, 3), axis=1) ** 2)


def cov_forms(A):
    return (np.sum(np.cov(A, rowvar=False) ** 2) + np.sum(np.cov(A, bias=True)) + np.sum(np.cov(A, ddof=0) ** 2)
            + np.sum(np.cov(A, aweights=np.array([1.0, 2.0, 0.5])) ** 2) + np.sum(np.corrcoef(A, rowvar=False) ** 2))


def trace_offset_axes(T):
    return np.sum(np.trace(T, offset=1, axis1=1, axis2=2) ** 2) + np.sum(np.diagonal(T, 1, 0, 2) ** 2)


def triu_batch(T):
    return np.sum(np.triu(T, 1) ** 2 * np.arange(24.0).reshape(2, 3, 4)) + np.sum(np.tril(T, -1))


def flip_all_axes_rot90(A):
    return np.sum(np.flip(A) * np.arange(6.0).reshape(2, 3)) + np.sum(np.rot90(A, 3) * np.arange(6.0).reshape(3, 2)) + np.sum(np.rot90(A, 1, axes=(1, 0)) * np.arange(6.0).reshape(3, 2) ** 2)


def eigh_upper(M):
    w, V = np.linalg.eigh(M + 3 * np.eye(3), UPLO="U")
    return np.sum(w ** 2) + np.sum(V[:, -1] ** 4)


def svd_hermitian(A):
    s = np.linalg.svd(A, compute_uv=False, hermitian=True)
    return np.sum(s ** 2)


def qr_modes(A):
    R = np.linalg.qr(A, mode="r")
    Q, R2 = np.linalg.qr(A, mode="complete")
    return np.sum(np.abs(np.diag(R))) + np.sum(Q[:, 0] * R2[0])


def cholesky_upper_kw(A):
    U = np.linalg.cholesky(A, upper=True)
    return np.sum(U ** 2 * np.arange(9.0).reshape(3, 3))


def max_axis_tuple(T):
    return np.sum(np.amax(T, axis=(0, 2))) + np.sum(np.min(T, axis=(1, 2), keepdims=True) * T)


def mean_dtype(x):
    return np.mean(x, dtype=np.float64) + np.sum(x.mean(keepdims=True))


def outer_of_outer(x):
    return np.sum(np.outer(np.outer(x[:2], x[2:4]), x[4:]) ** 2)


def sort_descending_trick(x):
    return np.sum(-np.sort(-x)[:3] * np.array([3.0, 2.0, 1.0]))


def vectorised_norm_ords(A):
    return np.sum(np.linalg.norm(A, ord=1, axis=1)) + np.sum(np.linalg.norm(A, ord=np.inf, axis=0)) + np.sum(np.linalg.norm(A, ord=3, axis=1, keepdims=True))


def matrix_norm_axis_tuple(T):
    return np.sum(np.linalg.norm(T, axis=(1, 2))) + np.sum(np.linalg.norm(T, "fro", axis=(0, 1))) + np.sum(np.linalg.norm(T, "nuc", axis=(1, 2)))


ARRAY_ORDERS = [
    (reshape_order_f, (X6,), 0, False),
    (np_reshape_order_f, (X6,), 0, False),
    (ravel_order_f, (M23,), 0, False),
    (flatten_order_f, (M23,), 0, False),
    (reshape_order_a, (M23,), 0, False),
    (ravel_order_k, (M23,), 0, False),
    (einsum_implicit_output, (M23.T, M23), (0, 1), False),
    (einsum_implicit_repeated, (M3,), 0, False),
    (einsum_sublist, (M23, M3), (0, 1), False),
    (einsum_uppercase_spaces, (M23, M3), (0, 1), False),
    (tensordot_lists_negative, (M23, M3), (0, 1), False),
    (take_mode_clip_wrap, (X6,), 0, False),
    (choose_rows, (M23,), 0, False),
    (cumsum_axis_none_2d, (M23,), 0, False),
    (diff_n_zero, (X6,), 0, False),
    (roll_big_negative, (X6,), 0, False),
    (repeat_axis_none_2d, (M23,), 0, False),
    (tile_more_dims, (X6,), 0, False),
    (concatenate_axis_none, (M23, M3), (0, 1), False),
    (split_sections_list, (X6,), 0, False),
    (array_split_uneven, (X6,), 0, False),
    (squeeze_axis_tuple, (X6,), 0, False),
    (linspace_no_endpoint_retstep, (0.3, 2.0), (0, 1), False),
    (arange_active, (0.3,), 0, False),
    (meshgrid_ij, (X6, X4), (0, 1), False),
    (clip_min_above_max, (X6,), 0, False),
    (round_decimals, (X6,), 0, False),
    (sum_where_keepdims_axis, (M23,), 0, False),
    (ptp_range, (X6,), 0, False),
    (cov_forms, (M23.T,), 0, False),
    (trace_offset_axes, (T234B,), 0, False),
    (triu_batch, (T234B,), 0, False),
    (flip_all_axes_rot90, (M23,), 0, False),
    (eigh_upper, (M3,), 0, False),
    (svd_hermitian, (SPD,), 0, False),
    (qr_modes, (rng.normal(size=(4, 3)),), 0, False),
    (cholesky_upper_kw, (SPD,), 0, False),
    (max_axis_tuple, (T234B,), 0, False),
    (mean_dtype, (X6,), 0, False),
    (outer_of_outer, (X6,), 0, False),
    (sort_descending_trick, (X6,), 0, False),
    (vectorised_norm_ords, (M23,), 0, False),
    (matrix_norm_axis_tuple, (T234B,), 0, False),
]


# -- OOP and iteration: generators of indices, itertools, builtins over parameters --------

PTS = rng.normal(size=(4, 2))
XB = rng.normal(size=(6, 3))


def index_batches(n, bs):
    for i in range(0, n, bs):
        yield np.arange(i, min(i + bs, n))


def loss_over_index_generator(w, X):
    total = 0.0
    for idx in index_batches(len(X), 4):
        total = total + np.sum(np.tanh(X[idx] @ w) ** 2)
    return total


def pairs_by_combinations(P):
    e = 0.0
    for i, j in itertools.combinations(range(len(P)), 2):
        e = e + 1.0 / np.sum((P[i] - P[j]) ** 2)
    return e


def pairs_by_product(P):
    e = 0.0
    for i, j in itertools.product(range(len(P)), repeat=2):
        if i < j:
            e = e + np.exp(-np.sum((P[i] - P[j]) ** 2))
    return e


def accumulate_of_params(w):
    return sum(itertools.accumulate(w)) + sum(itertools.accumulate(w, lambda a, b: a * b))


def chain_of_lists(w):
    return sum(v ** 2 for v in itertools.chain(w[:2], w[2:]))


def zip_star_unzip(P):
    xs, ys = zip(*P)
    return sum(x * y for x, y in zip(xs, ys))


def enumerate_reversed(w):
    return sum(i * v ** 2 for i, v in enumerate(reversed(w)))


def range_negative_step(w):
    s = 0.0
    for i in range(len(w) - 1, -1, -2):
        s = s * 0.5 + w[i]
    return s


def sorted_zip_pairs(w):
    order = sorted(zip([3, 1, 2, 0], w))
    return sum((k + 1) * v for k, (_, v) in enumerate(order))


def dict_from_zip(w):
    d = dict(zip(["a", "b", "c", "d"], w))
    return d["a"] * d["c"] + d["d"] ** 2


def pairwise_itertools(w):
    return sum((b - a) ** 2 for a, b in itertools.pairwise(w))


def islice_of_rows(X, w):
    return sum(np.sum(r * w) ** 2 for r in itertools.islice(X, 1, 5, 2))


def starmap_products(P):
    return sum(itertools.starmap(lambda a, b: a * b, P))


def map_two_lists(w, v):
    return sum(map(lambda a, b: a * b, w, v))


def filter_positive(w):
    return sum(filter(lambda v: v > 0, w))


def any_all_conditions(w):
    if all(w > -5) and any(w > 0):
        return np.sum(w ** 2)
    return np.sum(w)


def max_builtin_over_array(w):
    return max(w) + min(w) * 2 + max(w[0], w[1], 0.0)


def sum_with_start(w):
    return sum(w, 10.0) + sum([w[0], w[1]], w[2])


def abs_round_builtins(w):
    return abs(w[0]) + round(float(w[1]), 1) * w[2] + pow(w[3], 2) + divmod(3.0, 2.0)[0] * w[0]


def nested_generator_in_loop(X, w):
    def rows():
        for r in X:
            yield r
    total = 0.0
    for r in rows():
        total = total + np.tanh(r @ w)
    return total


ITERATION = [
    (loss_over_index_generator, (X4[:3], XB), 0, False),
    (pairs_by_combinations, (PTS,), 0, False),
    (pairs_by_product, (PTS,), 0, False),
    (accumulate_of_params, (X4,), 0, False),
    (chain_of_lists, (X4,), 0, False),
    (zip_star_unzip, (PTS,), 0, False),
    (enumerate_reversed, (X4,), 0, False),
    (range_negative_step, (X4,), 0, False),
    (sorted_zip_pairs, (X4,), 0, False),
    (dict_from_zip, (X4,), 0, False),
    (pairwise_itertools, (X4,), 0, False),
    (islice_of_rows, (XB, X4[:3]), (0, 1), False),
    (starmap_products, (PTS,), 0, False),
    (map_two_lists, (X4, X4[::-1] + 0.1), (0, 1), False),
    (filter_positive, (X4,), 0, False),
    (any_all_conditions, (X4,), 0, False),
    (max_builtin_over_array, (X4,), 0, False),
    (sum_with_start, (X4,), 0, False),
    (abs_round_builtins, (X4,), 0, False),
    (nested_generator_in_loop, (XB, X4[:3]), (0, 1), False),
]


# -- NumPy 2's array-API functions, polynomials, crossed clip bounds, weighted logsumexp ---

T233 = rng.normal(size=(2, 3, 3))




W23 = np.arange(6.0).reshape(2, 3)


def linalg_trace_batch(T):
    return np.sum(np.linalg.trace(T) ** 2) + np.sum(np.linalg.trace(T, offset=1))


def linalg_trace_nonsquare(T):
    return np.sum(np.linalg.trace(T) * np.array([1.0, 2.0]))


def linalg_diagonal_batch(T):
    return np.sum(np.linalg.diagonal(T) * np.arange(6.0).reshape(2, 3)) + np.sum(np.linalg.diagonal(T, offset=-1) ** 2)


def linalg_diagonal_nonsquare(T):
    return np.sum(np.linalg.diagonal(T) * W23)


def linalg_outer_cross(a, b):
    return np.sum(np.linalg.outer(a, b) ** 2) + np.sum(np.linalg.cross(a, b) ** 2)


def linalg_matrix_transpose(T):
    return np.sum(np.linalg.matrix_transpose(T) * np.arange(24.0).reshape(2, 4, 3)) + np.sum(np.matrix_transpose(T) ** 2)


def linalg_tensordot_matmul(A, B):
    return np.sum(np.linalg.tensordot(A, B, axes=1) ** 2) + np.sum(np.linalg.matmul(A, B))


def linalg_vecdot_axis(A, B):
    return np.sum(np.linalg.vecdot(A, B) ** 2) + np.sum(np.vecdot(A, B, axis=0))


def matrix_norm_vector_norm(T):
    return np.sum(np.linalg.matrix_norm(T)) + np.sum(np.linalg.matrix_norm(T, ord=1)) + np.sum(np.linalg.vector_norm(T, axis=(1, 2))) + np.linalg.vector_norm(T, ord=np.inf)


def svdvals_numpy(T):
    return np.sum(np.linalg.svdvals(T) ** 2)


def cumulative_sum_initial(x):
    return np.sum(np.cumulative_sum(x, include_initial=True) * np.arange(5.0)) + np.sum(np.cumulative_prod(x) ** 2)


def cumulative_sum_axis(A):
    return np.sum(np.cumulative_sum(A, axis=1, include_initial=True) ** 2)


def matvec_vecmat(A, x):
    return np.sum(np.matvec(A, x) ** 2) + np.sum(np.vecmat(x, A) ** 3)


def array_api_aliases(A):
    return (np.sum(np.concat([A, A], axis=0) ** 2) + np.sum(np.permute_dims(A, (1, 0)) * np.arange(6.0).reshape(3, 2))
            + np.sum(np.pow(np.abs(A) + 1, 1.5)) + np.sum(np.acos(np.tanh(A) * 0.9)) + np.sum(np.atan2(A, 2.0)) + np.sum(np.astype(A, np.float64) ** 2))


def polynomial_module_polyval(c, x):
    return np.sum(np.polynomial.polynomial.polyval(x, c) ** 2)


def polynomial_class(c, x):
    return np.sum(np.polynomial.Polynomial(c)(x) ** 2)


def poly1d_eval(c, x):
    return np.sum(np.poly1d(c)(x) ** 2)


def polyval_matrix_x(c, A):
    return np.sum(np.polyval(c, A) ** 2)


def vander_fit(x):
    V = np.vander(x, 3)
    return np.sum(V ** 2) + np.sum(np.vander(x, 3, increasing=True) * np.arange(12.0).reshape(4, 3))


def multi_dot_chain(A, B):
    return np.sum(np.linalg.multi_dot([A, B, A.T]))


def solve_batched_numpy2_vector(A, b):
    As = np.stack([A + 3 * np.eye(3), A.T + 4 * np.eye(3)])
    return np.sum(np.linalg.solve(As, b) ** 2)


def lstsq_matrix_rhs(A, B):
    return np.sum(np.linalg.lstsq(A, B, rcond=None)[0] ** 2)


def logsumexp_b_broadcasts_larger(x, B):
    return np.sum(sp.logsumexp(x, b=B, axis=-1) ** 2)


def cross_two_vectors(a, b):
    return np.sum(np.cross(np.stack([a, b]), b) ** 2) + np.sum(np.cross(a, b, axisa=0) ** 2)


def det_of_1x1(A):
    return np.linalg.det(A[:1, :1]) ** 2 + np.linalg.det(A[:2, :2])


def clip_bounds_crossing(x, lo, hi):
    return np.sum(np.clip(x, lo, hi) ** 3 * np.arange(6.0).reshape(2, 3))


def logsumexp_weighted_rows(x, B):
    return np.sum(sp.logsumexp(x[None, :], b=B, axis=-1) ** 2)


ARRAY_API = [
    (linalg_trace_batch, (T233,), 0, False),
    (linalg_trace_nonsquare, (T234,), 0, False),
    (linalg_diagonal_batch, (T233,), 0, False),
    (linalg_diagonal_nonsquare, (T234,), 0, False),
    (linalg_outer_cross, (X3, X3[::-1] + 0.1), (0, 1), False),
    (linalg_matrix_transpose, (T234,), 0, False),
    (linalg_tensordot_matmul, (M3, M3.T + 0.1), (0, 1), False),
    (linalg_vecdot_axis, (M3, M3.T + 0.1), (0, 1), False),
    (matrix_norm_vector_norm, (T233,), 0, False),
    (svdvals_numpy, (T234,), 0, False),
    (cumulative_sum_initial, (X4,), 0, False),
    (cumulative_sum_axis, (M23,), 0, False),
    (matvec_vecmat, (M3, X3), (0, 1), False),
    (array_api_aliases, (M23,), 0, False),
    (polynomial_module_polyval, (X3, X4), (0, 1), False),
    (polynomial_class, (X3, X4), (0, 1), False),
    (poly1d_eval, (X3, X4), (0, 1), False),
    (polyval_matrix_x, (X3, M3), (0, 1), False),
    (vander_fit, (X4,), 0, False),
    (multi_dot_chain, (M3, M3.T + 0.1), (0, 1), False),
    (solve_batched_numpy2_vector, (M3, X3), (0, 1), False),
    (lstsq_matrix_rhs, (rng.normal(size=(4, 3)), rng.normal(size=(4, 2))), (0, 1), False),
    (cross_two_vectors, (X3, X3[::-1] + 0.1), (0, 1), False),
    (det_of_1x1, (M3,), 0, False),
    (clip_bounds_crossing, (X3, np.array([[0.0, -1.0, 0.5], [0.4, -0.6, 2.0]]), np.array([1.5, 0.2, -0.3])), (0, 1, 2), False),
    (logsumexp_weighted_rows, (X3, np.array([[1.0, 2.0, 0.5], [0.3, 1.0, 1.0]])), (0, 1), False),
    (logsumexp_b_broadcasts_larger, (X3, np.array([[1.0, 2.0, 0.5], [0.3, 1.0, 1.0]])), 0, False),
]


# -- dp: recursions written through row views, rolling rows and vectors updated in place ---

EM5 = np.abs(rng.normal(size=(5, 3))) + 0.1


TR3 = np.abs(rng.normal(size=(3, 3))) + 0.1


def hmm_alpha_row_views(A, E):
    T, K = E.shape
    alpha = np.zeros((T, K))
    alpha[0] = E[0] / E[0].sum()
    for t in range(1, T):
        a = alpha[t]
        a[:] = (alpha[t - 1] @ A) * E[t]
        a /= a.sum()
    return np.sum(np.log(alpha + 1.0))


def hmm_alpha_prev_view_named(A, E):
    T, K = E.shape
    alpha = np.zeros((T, K))
    alpha[0] = E[0]
    for t in range(1, T):
        prev = alpha[t - 1]
        alpha[t] = (prev @ A) * E[t]
        alpha[t] /= prev.sum()
    return np.sum(alpha[-1])


def heat_copy_row_then_update(u0, k):
    U = np.zeros((4, len(u0)))
    U[0] = u0
    for n in range(3):
        U[n + 1] = U[n]
        U[n + 1, 1:-1] += k * (U[n, 2:] - 2 * U[n, 1:-1] + U[n, :-2])
    return np.sum(U ** 2)


def heat_row_view_update(u0, k):
    U = np.zeros((4, len(u0)))
    U[0] = u0
    for n in range(3):
        row = U[n + 1]
        row[:] = U[n]
        row[1:-1] += k * (U[n, 2:] - 2 * U[n, 1:-1] + U[n, :-2])
    return np.sum(U ** 2)


def log_alpha_in_place_logsumexp(logA, logE):
    T, K = logE.shape
    la = np.empty((T, K))
    la[0] = logE[0]
    for t in range(1, T):
        la[t] = scipy.special.logsumexp(la[t - 1][:, None] + logA, axis=0)
        la[t] += logE[t]
    return scipy.special.logsumexp(la[-1])


def backward_beta_views(A, E):
    T, K = E.shape
    beta = np.ones((T, K))
    for t in range(T - 2, -1, -1):
        b = beta[t]
        b[:] = A @ (E[t + 1] * beta[t + 1])
        b /= b.max()
    return np.sum(beta[0] * E[0])


def viterbi_soft_in_place_vector(logE, logA):
    v = logE[0].copy()
    for t in range(1, logE.shape[0]):
        v[:] = 0.2 * scipy.special.logsumexp((v[:, None] + logA) / 0.2, axis=0) + logE[t]
    return np.sum(v)


def dtw_rows_rolling(x, y):
    n, m = len(x), len(y)
    prev = np.full(m + 1, 1e10)
    prev[0] = 0.0
    cur = np.empty(m + 1)
    for i in range(1, n + 1):
        cur[0] = 1e10
        for j in range(1, m + 1):
            c = (x[i - 1] - y[j - 1]) ** 2
            cur[j] = c - 0.3 * np.log(np.exp(-prev[j] / 0.3) + np.exp(-cur[j - 1] / 0.3) + np.exp(-prev[j - 1] / 0.3))
        prev, cur = cur, prev
    return prev[m]


def dtw_rows_rolling_copy(x, y):
    n, m = len(x), len(y)
    prev = np.full(m + 1, 1e10)
    prev[0] = 0.0
    for i in range(1, n + 1):
        cur = np.empty(m + 1)
        cur[0] = 1e10
        for j in range(1, m + 1):
            c = (x[i - 1] - y[j - 1]) ** 2
            cur[j] = c - 0.3 * np.log(np.exp(-prev[j] / 0.3) + np.exp(-cur[j - 1] / 0.3) + np.exp(-prev[j - 1] / 0.3))
        prev = cur
    return prev[m]


DP_VIEWS = [
    (hmm_alpha_row_views, (TR3, EM5), (0, 1), False),
    (hmm_alpha_prev_view_named, (TR3, EM5), (0, 1), False),
    (heat_copy_row_then_update, (X8, 0.2), (0, 1), False),
    (heat_row_view_update, (X8, 0.2), (0, 1), False),
    (log_alpha_in_place_logsumexp, (np.log(TR3), np.log(EM5)), (0, 1), False),
    (backward_beta_views, (TR3, EM5), (0, 1), False),
    (viterbi_soft_in_place_vector, (np.log(EM5), np.log(TR3)), (0, 1), False),
    (dtw_rows_rolling, (X8[:4], X8[4:7]), (0, 1), False),
    (dtw_rows_rolling_copy, (X8[:4], X8[4:7]), (0, 1), False),
]


# -- finance/engineering: remainders, fmod and divmod of either sign, rounding, nan_to_num ---

def fmod_math(x, y):
    return math.fmod(x, y) ** 2 + math.fmod(-x, y)


def mod_operator(x, y):
    return (x % y) ** 2 + ((-x) % y) + (x % -y)


def np_mod_remainder(x, y):
    return np.sum(np.mod(x, y) ** 2) + np.sum(np.remainder(-x, y)) + np.sum(np.fmod(-x, y) ** 2)


def divmod_parts(x, y):
    q, r = divmod(x, y)
    q2, r2 = divmod(-x, y)
    return r ** 2 + r2 * 3 + q * x + q2


def floor_divide_np(x, y):
    return np.sum(np.floor_divide(x, y) * x) + np.sum((x // y) * y)


def nan_to_num_infs(x):
    y = np.where(x > 1.0, np.inf, x)
    return np.sum(np.nan_to_num(y, posinf=5.0) * x)


def copysign_math(x, y):
    return math.copysign(x, y) * 2 + math.copysign(y, -1.0) ** 2


def logaddexp_neg_inf(x):
    y = np.where(x > 0, x, -np.inf)
    return np.sum(np.logaddexp(y, 0.5 * x))


def math_pow_negative_base(x):
    return math.pow(x, 3.0) + math.pow(x, 2)


def trunc_ceil_rint(x):
    return np.sum(np.trunc(x) * x + np.ceil(x) ** 2 + np.rint(x) * x ** 2 + np.fix(x))


REMAINDERS = [
    (fmod_math, (7.5, 2.0), (0, 1), False),
    (fmod_math, (-7.5, 2.0), (0, 1), False),
    (fmod_math, (7.5, -2.0), (0, 1), False),
    (mod_operator, (7.5, 2.0), (0, 1), False),
    (mod_operator, (-7.5, 2.3), (0, 1), False),
    (np_mod_remainder, (np.array([7.5, -3.3, 1.2]), np.array([2.0, 1.7, -0.9])), (0, 1), False),
    (divmod_parts, (7.5, 2.3), (0, 1), False),
    (divmod_parts, (-7.5, 2.3), (0, 1), False),
    (floor_divide_np, (np.array([7.5, -3.3, 1.2]), np.array([2.0, 1.7, -0.9])), (0, 1), False),
    (nan_to_num_infs, (np.array([0.5, 2.0, -1.0]),), 0, False),
    (copysign_math, (0.7, -1.3), (0, 1), False),
    (copysign_math, (-0.7, 1.3), (0, 1), False),
    (logaddexp_neg_inf, (np.array([0.5, -2.0, 1.0]),), 0, False),
    (math_pow_negative_base, (-1.3,), 0, False),
    (trunc_ceil_rint, (np.array([0.7, -1.3, 2.2]),), 0, False),
]


# -- OOP: parameter classes with their own __getitem__, __iter__, __len__, __add__ --------

@dataclasses.dataclass
class P:
    w: np.ndarray
    b: float

    def __getitem__(self, k):
        return getattr(self, k) * 2.0


@dataclasses.dataclass
class Q:
    w: np.ndarray

    @property
    def scaled(self):
        return self.w * 3.0

    def __len__(self):
        return 7


class NT(NamedTuple):
    w: np.ndarray
    b: float

    def __getitem__(self, k):
        if isinstance(k, str):
            return getattr(self, k) * 2.0
        return tuple.__getitem__(self, k)


@dataclasses.dataclass
class V:
    v: np.ndarray

    def __add__(self, o):
        return V(self.v + o.v * 2.0)

    def __iter__(self):
        return iter([self.v * 5.0])


def dataclass_getitem(p, x):
    return np.sum(p["w"] * x) + p["b"]


def dataclass_property(q, x):
    return np.sum(q.scaled * x) + len(q)


def namedtuple_getitem_override(t, x):
    return np.sum(t["w"] * x) + t[1]


def namedtuple_index(t, x):
    return np.sum(t[0] * x) + t.b ** 2


def dataclass_add_override(a, x):
    c = a + a
    return np.sum(c.v * x)


def dataclass_iter_override(a):
    total = 0.0
    for item in a:
        total = total + np.sum(item)
    return total


def dataclass_unpack_override(a):
    (u,) = a
    return np.sum(u)


PROTOCOLS = [
    (dataclass_getitem, (P(X3, 0.5), X3[::-1] + 0.1), 0, False),
    (dataclass_property, (Q(X3), X3[::-1] + 0.1), 0, False),
    (namedtuple_getitem_override, (NT(X3, 0.5), X3[::-1] + 0.1), 0, False),
    (namedtuple_index, (NT(X3, 0.5), X3[::-1] + 0.1), 0, False),
    (dataclass_add_override, (V(X3), X3[::-1] + 0.1), 0, False),
    (dataclass_iter_override, (V(X3),), 0, False),
    (dataclass_unpack_override, (V(X3),), 0, False),
]


# -- OOP: parameter classes with __getattr__, __contains__, __bool__ ----------------------

@dataclasses.dataclass
class G:
    w: np.ndarray

    def __getattr__(self, name):
        if name == "w2":
            return self.w * 2.0
        raise AttributeError(name)

    def __contains__(self, k):
        return k == "zzz"

    def __bool__(self):
        return False


def getattr_fallback(p):
    return np.sum(p.w2 ** 2)


def contains_override(p):
    if "w" in p:
        return np.sum(p.w)
    return np.sum(p.w ** 2)


def bool_override(p):
    if p:
        return np.sum(p.w)
    return np.sum(p.w ** 2)


PROTOCOLS_MORE = [
    (getattr_fallback, (G(X3),), 0, False),
    (contains_override, (G(X3),), 0, False),
    (bool_override, (G(X3),), 0, False),
]


# -- OOP: parameter classes walked their own way (list, tuple, reversed, zip, map, starred) ---

@dataclasses.dataclass
class VIter:
    v: np.ndarray
    b: float
    def __iter__(self):
        return iter([self.v * 5.0, self.b])
    def __reversed__(self):
        return iter([self.b * 3.0, self.v])


class PairIter(NamedTuple):
    w: np.ndarray
    b: float
    def __iter__(self):
        return iter((self.b, self.w))


def list_of(a):
    items = list(a)
    return np.sum(items[0])


def tuple_of_nt(t):
    items = tuple(t)
    return np.sum(items[1] ** 2) + items[0]


def reversed_of(a):
    total = 0.0
    for item in reversed(a):
        total = total + np.sum(item)
    return total


def sum_of_nt(t):
    return sum(np.sum(v) for v in t)


def comprehension_nt(t):
    return np.sum([np.sum(v) * 2 for v in t])


def star_unpack_nt(t):
    first, *rest = t
    return first * np.sum(rest[0])


def zip_nt(t):
    total = 0.0
    for a, b in zip(t, (1.0, 2.0)):
        total = total + np.sum(a) * b
    return total


def enumerate_nt(t):
    total = 0.0
    for i, a in enumerate(t):
        total = total + (i + 1) * np.sum(a)
    return total


def map_nt(t):
    return sum(map(np.sum, t))


def star_call_nt(t):
    def f(a, b):
        return np.sum(a) * 2 + np.sum(b)
    return f(*t)


PROTOCOL_WALKS = [
    (list_of, (VIter(X3, 0.5),), 0, False),
    (tuple_of_nt, (PairIter(X3, 0.5),), 0, False),
    (reversed_of, (VIter(X3, 0.5),), 0, False),
    (sum_of_nt, (PairIter(X3, 0.5),), 0, False),
    (comprehension_nt, (PairIter(X3, 0.5),), 0, False),
    (star_unpack_nt, (PairIter(X3, 0.5),), 0, False),
    (zip_nt, (PairIter(X3, 0.5),), 0, False),
    (enumerate_nt, (PairIter(X3, 0.5),), 0, False),
    (map_nt, (PairIter(X3, 0.5),), 0, False),
    (star_call_nt, (PairIter(X3, 0.5),), 0, False),
]


GROUPS = {"signal": SIGNAL, "graphs": GRAPHS, "probabilistic": PROBABILISTIC, "dp": DP,
          "finance": FINANCE, "oop": OOP, "aliases": ALIASES,
          "graph_scatters": GRAPH_SCATTERS, "signal_forms": SIGNAL_FORMS,
          "signal_library": SIGNAL_LIBRARY, "density_forms": DENSITY_FORMS,
          "special_forms": SPECIAL_FORMS, "solvers": SOLVERS, "array_forms": ARRAY_FORMS,
          "oop_through_classes": OOP_THROUGH_CLASSES, "decorated": DECORATED,
          "closures": CLOSURES, "alias_routes": ALIAS_ROUTES, "shallow_copies": SHALLOW_COPIES,
          "alias_flow": ALIAS_FLOW, "in_place_helpers": IN_PLACE_HELPERS,
          "changed_after_read": CHANGED_AFTER_READ,
          "changed_after_read_routes": CHANGED_AFTER_READ_ROUTES, "array_orders": ARRAY_ORDERS,
          "iteration": ITERATION, "array_api": ARRAY_API, "dp_views": DP_VIEWS,
          "remainders": REMAINDERS, "protocols": PROTOCOLS, "protocols_more": PROTOCOLS_MORE,
          "protocol_walks": PROTOCOL_WALKS}


# -- the tests ---------------------------------------------------------------------------------

#: refused with a TransformError at a line of this file: every entry of the function (a name),
#: or the entry differentiated in ``wrt`` ("name/wrt")
REFUSED = {
    "list_of", "tuple_of_nt", "reversed_of", "sum_of_nt",
    "comprehension_nt", "star_unpack_nt", "zip_nt", "enumerate_nt",
    "map_nt", "star_call_nt",
    "accumulate_of_params", "adam_through_class", "add_at_into_a_view", "add_at_into_reshaped",
    "apply_along_axis_mutator", "arange_active", "array_api_aliases",
    "array_method_put_after_read", "array_split_written", "as_strided_write_after_read",
    "asarray_write_after_read", "attribute_alias_via_setattr", "block_diag_kron",
    "bool_override", "broadcast_arrays_sum", "bs_gamma_by_nested_grad",
    "builtin_max_key_alias", "byteswap_in_place", "chain_of_lists",
    "chained_basic_then_fancy_assign", "chained_fancy_then_basic_assign", "chained_index_assign",
    "cholesky_banded_solve", "cholesky_upper_kw", "choose_rows", "clip_positional_out",
    "closure_defined_in_loop", "closure_modifies_nonlocal_list", "closure_mutates_after_read",
    "cond_number", "conditional_alias", "conditional_alias_if_statement", "contains_override",
    "copy_copy_dataclass_attr_in_place", "copy_copy_dataclass_attr_item",
    "copy_copy_object_attr_in_place", "cov_forms", "ctc_forward", "cumsum_dtype",
    "cumsum_out_positional", "cumulative_sum_axis", "cumulative_sum_initial",
    "dataclass_add_override", "dataclass_getitem", "dataclass_iter_override",
    "dataclass_property", "dataclass_unpack_override", "default_arg_binding",
    "diag_of_vector_offset", "dict_from_zip", "dict_get_alias", "dict_items_loop_in_place",
    "dict_of_constants_mutated_by_method_call", "dict_pop_alias", "dict_setdefault_alias",
    "dict_values_aliased", "dot_out_positional", "dual_numbers_user_class",
    "edge_list_messages_in_a_list", "eigh_generalized",
    "eigh_lower_false", "eigh_subset", "einsum_dtype", "einsum_out_after_read",
    "enumerate_reversed", "exec_style_builtin_after_read", "expand_dims_view_written",
    "fft_convolution", "fft_power_loss", "fill_diagonal_after_read", "flatten_order_f",
    "flip_assign_through_slice", "floor_divide_np", "for_rows_fill_after_read",
    "frombuffer_write_after_read", "frozen_in_dict", "frozen_norm_kw",
    "generator_of_differentiated_slices", "getattr_alias", "getattr_fallback",
    "getattr_fill_after_read", "getitem_on_user_class", "global_mutated_wrapper", "gradient_axis",
    "gradient_coordinates_active", "heat_by_in_place_helper_no_copy_local",
    "helper_mutates_constant_after_read",
    "helper_overlapping_views", "helper_same_array_twice", "helper_writes_and_returns_other",
    "hierarchical_model", "iadd_via_dunder",
    "implied_vol_newton", "in_place_helper_not_returning", "interp_xp_active", "islice_of_rows",
    "itemset_after_read", "itemset_style", "iter_next_over_parameters",
    "kinematics_in_place_helper", "lambda_mutates_after_read",
    "lambdas_in_list_late_binding", "layer_objects_mutated_in_the_loss",
    "layer_weight_scaled_in_place", "linalg_diagonal_batch", "linalg_diagonal_nonsquare",
    "linalg_matrix_transpose", "linalg_outer_cross", "linalg_tensordot_matmul",
    "linalg_trace_batch", "linalg_trace_nonsquare", "linalg_vecdot_axis", "linspace_endpoints",
    "linspace_no_endpoint_retstep", "list_append_then_array_changed",
    "list_comprehension_identity", "list_pop_alias", "list_shallow_copy_in_place",
    "list_sort_after_read", "list_with_one_array_twice", "local_dataclass_copy_in_place",
    "local_dict_shallow_copy_in_place", "local_dict_shallow_copy_item_write",
    "local_list_copy_copy_item_write", "local_list_deepcopy_item_write",
    "local_list_slice_copy_in_place", "logm_sqrtm", "logsumexp_b_broadcasts_larger",
    "logsumexp_return_sign", "loss_with_cached_scalar", "loss_with_vectorize", "lstsq_scipy",
    "lu_decomposition", "lu_factor_solve", "lu_solve_trans", "matmul_out_into_read_constant",
    "matrix_norm_vector_norm", "matrix_rank_branch", "matrix_rows_through_list_comp",
    "matvec_vecmat", "maximum_reduceat", "memoised_fib_like", "memoryview_write_after_read",
    "method_apply_then_double", "method_apply_then_double_via_class", "method_clip_out",
    "method_cumsum_out", "method_mutates_constant_after_read", "method_rebinding_is_fine",
    "method_via_class_mutates_after_read", "model_layers_list_built_by_append",
    "model_of_layer_objects", "module_registry_written_and_read",
    "momentum_in_place_through_class", "momentum_state_read_after", "momentum_through_class",
    "multiply_at", "multiply_at_active", "mvn_allow_singular", "mvn_cov_scalar",
    "mvn_cov_vector_diag", "namedtuple_getitem_override", "namedtuple_index",
    "ndarray_base_written", "ndarray_view_type_write", "nditer_write_after_read",
    "neighbour_max_aggregation", "nested_generator_in_loop", "next_iter_values_alias",
    "norm_entropy", "norm_logpdf_method_name", "norm_moments", "norm_scipy", "norm_star_theta",
    "np_array_copy_false", "np_copyto_after_read", "np_reshape_order_f",
    "object_state_list_after_read", "operator_iadd", "operator_iadd_after_read",
    "operator_imul_rebinding", "operator_setitem_after_read", "pad_constant_values_active",
    "pad_linear_ramp", "pad_reflect_odd", "pad_stat_mode", "pad_symmetric_odd",
    "pairwise_itertools", "params_alias_array_in_place", "params_alias_then_in_place",
    "partial_mutator_after_read", "partition_method", "picked_alias_written", "piecewise_fn",
    "pinvh_of", "poly1d_eval", "polyfit_in_y", "polynomial_class", "polynomial_module_polyval",
    "property_from_parameters", "put_along_axis_after_read", "put_along_axis_written",
    "qr_economic", "qr_modes", "quantile_methods", "random_shuffle_legacy",
    "ravel_alias_then_reshape_back", "ravel_order_f", "ravel_order_k", "ravel_write_after_read",
    "reduceat_segments", "replace_dataclass_then_in_place", "reshape_order_a", "reshape_order_f",
    "reshape_view_then_original_read", "resize_after_read", "resize_method",
    "returned_argument_alias", "round_decimals", "rows_by_list_written", "running_mean_object",
    "running_through_class", "scaler_object_fit_transform", "scaler_refit_between",
    "scaler_through_class", "scipy_signal_convolve", "scipy_signal_correlate2d",
    "setattr_data_after_read", "setflags_then_write", "setitem_via_dunder", "sgd_through_class",
    "shallow_dict_copy_in_place", "shallow_dict_copy_method_in_place/(0, 1)",
    "shallow_dict_unpack_in_place", "shape_attribute_set", "shuffle_after_read", "sinc_and_i0",
    "sliding_window_writeable", "solve_banded_tridiagonal",
    "solve_continuous_lyap", "solve_diagonal_assume", "sorted_key_alias", "sorted_zip_pairs",
    "special_zoo", "special_zoo2", "starmap_products", "subtract_out_slice",
    "sum_dtype_and_initial", "svd_scipy", "svdvals_numpy", "take_mode_clip_wrap",
    "toeplitz_circulant",
    "transposed_sort_after_read", "try_finally_value", "ufunc_at_after_read",
    "ufunc_out_positional_after_read", "unbound_sort_after_read", "unrolled_adam_object",
    "unrolled_momentum_in_place_state", "unrolled_momentum_object", "unrolled_sgd_object",
    "unrolled_sgd_with_ad_grad", "unstack_written", "var_std_ddof", "vars_dict_alias",
    "vector_class_iadd_mutates", "vector_class_operators", "view_from_helper_assigned",
    "view_method_written", "view_sort_after_read", "walrus_alias", "window_sums_as_strided",
    "x_diag_write_via_indices", "zip_star_unzip",
}
#: refused when the code runs: a TypeError naming the line of this file
REFUSED_WHEN_RUN = {
    "boolean_index_is_a_copy", "einsum_diagonal_view_written", "heat_helper_on_a_row_name",
    "heat_helper_on_a_view",
    "hsplit_of_a_matrix_written", "list_append_twice_then_in_place", "loop_else_alias",
    "loop_variable_alias_last", "split_results_written", "squeeze_of_matrix_column",
    "view_from_helper_written", "zero_d_array_alias",
}

PROBE = ProbeTable.of(GROUPS, REFUSED, REFUSED_WHEN_RUN)
PROGRAMS, REFUSALS, BY_NAME = PROBE.programs, PROBE.refusals, PROBE.by_name


def test_every_refusal_is_a_program_here():
    PROBE.check_listed()


@pytest.mark.parametrize("group, f, args, wrt, by_autograd", PROGRAMS, ids=entry_ids(PROGRAMS))
def test_programs(group, f, args, wrt, by_autograd):
    check_program(f, args, wrt, by_autograd)


@pytest.mark.parametrize("group, f, args, wrt, by_autograd", REFUSALS, ids=entry_ids(REFUSALS))
def test_what_is_refused(group, f, args, wrt, by_autograd):
    PROBE.check_refused(f, args, wrt, __file__)



SECOND_ORDER = ["conv1d_np_convolve", "correlate_modes", "max_pool_by_reshape", "gcn_layer",
                "scatter_add_at", "normal_loglik", "student_t_df_learned", "hmm_forward_log",
                "forward_kinematics", "mvn_logpdf", "clip_bounds_crossing",
                "logsumexp_weighted_rows", "fancy_iadd_2d_repeated",
                *[pytest.param(name, marks=pytest.mark.long) for name in (
                    "conv2d_sliding_window", "total_variation_denoise", "laplacian_slices",
                    "diffusion_in_place_without_temp", "gat_broadcast", "degree_normalised_edges",
                    "hmc_leapfrog_in_place", "soft_dtw", "ctc_forward_logaddexp",
                    "black_scholes_book", "truss_solve", "heat_explicit_grid",
                    "sliding_axis_tuple")]]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivatives(name):
    f, args, wrt, _ = BY_NAME[name]
    assert_hessian(f, *args, wrt=wrt[0] if isinstance(wrt, tuple) else wrt)


#: programs numba compiles (a fallback to Python fails the test); the slower compilations run
#: with -m long
NUMBA = ["heat_by_in_place_helper", "helper_two_arrays", "sparse_matvec_csr",
         *[pytest.param(name, marks=pytest.mark.long) for name in (
             "diffusion_steps_in_place", "asian_option_path", "heat_implicit",
             "ufunc_out_into_a_slice")]]


@pytest.mark.parametrize("name", NUMBA)
def test_numba_backend_agrees(name):
    PROBE.check_numba(name)


#: programs whose value and gradient ad.value_and_grad gives together (a dict of parameters
#: among them)
VALUE_AND_GRAD = ["gcn_two_layers", "vae_elbo", "hierarchical_non_centred", "soft_dtw",
                  "hmm_forward_log", "black_scholes_call", "forward_kinematics",
                  "truss_by_add_at", "scatter_add_at"]


@pytest.mark.parametrize("name", VALUE_AND_GRAD)
def test_value_and_grad_agrees(name):
    f, args, wrt, _ = BY_NAME[name]
    value, got = ad.value_and_grad(f, wrt=wrt)(*args)
    assert_close(value, f(*args), 1e-12, 1e-12, f"{name}'s value")
    want = ad.grad(f, wrt=wrt)(*args)
    for g, w in zip(flatten(got), flatten(want), strict=True):
        assert_close(g, w, 1e-12, 1e-12, f"{name}'s gradient")


def vae_loss_and_reconstruction(params, x, eps):
    h = np.tanh(x @ params["We"])
    mu, log_var = h[:, :2], h[:, 2:]
    z = mu + np.exp(0.5 * log_var) * eps
    xr = z @ params["Wd"]
    kl = -0.5 * np.sum(1 + log_var - mu ** 2 - np.exp(log_var))
    return 0.5 * np.sum((x - xr) ** 2) + kl, {"reconstruction": xr, "kl": kl}


def test_value_and_grad_with_aux_of_a_vae():
    """has_aux: the auxiliary dict comes back as the function gave it, the gradient is the
    loss's (probe 10's check of vae_elbo, the same loss without aux)."""
    params, x, eps = BY_NAME["vae_elbo"][1]
    (value, aux), got = ad.value_and_grad(vae_loss_and_reconstruction, has_aux=True)(
        params, x, eps)
    want_value, want_aux = vae_loss_and_reconstruction(params, x, eps)
    assert_close(value, want_value, 1e-12, 1e-12)
    assert_close(aux["reconstruction"], want_aux["reconstruction"], 1e-12, 1e-12)
    want = ad.grad(vae_elbo)(params, x, eps)
    assert set(got) == set(want)
    for k in want:
        assert_close(got[k], want[k], 1e-12, 1e-12, f"d/d{k}")
