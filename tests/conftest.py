"""Shared test helpers: an independent finite-difference reference and Hypothesis strategies.

Every gradient in the suite is compared with central finite differences in
float64 computed here, by code that shares nothing with adcompile (in
particular not ``adcompile.checking``).
"""

import copy
import gc
import importlib.util
import inspect
import itertools
import os
import sys
import textwrap
from pathlib import Path

# numba's tests compile at LLVM's -O0 unless the caller asks for a level: the same code
# in the same types, in a third of the compile time (most of the time of the numba tests,
# about 40% of the suite's at numba's default -O3). Users get numba's default; a test in
# test_numba.py compiles at it, and `NUMBA_OPT=3 python -m pytest` runs the whole suite so.
# (Set before numba is imported: it reads the level once.)
os.environ.setdefault("NUMBA_OPT", "0")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import adcompile as ad

settings.register_profile(
    "adcompile", max_examples=20, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("adcompile")


@pytest.fixture(autouse=True, scope="module")
def _earlier_objects_left_to_reference_counting():
    """Before each test file, the objects still alive are collected and moved out of the
    cyclic collector's sight (gc.freeze; reference counting still frees them): a process
    that ran many files holds millions (modules, caches, generated code), and each full
    collection walked them all again, about a seventh of the CPU time of a run of the
    larger files. What a test makes is collected as before: the tests that drop functions
    and check that they are released (test_hostile.py) see no difference."""
    gc.collect()
    gc.freeze()
    yield


#: settings for the property tests: few examples, no deadline (compilation is slow once)
FEW = settings(max_examples=10, deadline=None)
SOME = settings(max_examples=20, deadline=None)

EPS = 1e-6
RTOL = 1e-5
ATOL = 1e-6


# ---------------------------------------------------------------------------
# finite differences
# ---------------------------------------------------------------------------

def _copy_value(v):
    """A deep copy of an argument, so that the function under test cannot change ours."""
    if isinstance(v, np.ndarray):
        return v.copy()
    return copy.deepcopy(v)


def _call(f, args, kwargs):
    return f(*[_copy_value(a) for a in args], **{k: _copy_value(v) for k, v in kwargs.items()})


def _perturbed(x, base):
    """``base`` (a float64 array) as a value of the same kind as the argument ``x``."""
    if isinstance(x, np.ndarray):
        return base.copy()
    return float(base)


def numerical_grad(fun, args, where, kwargs=None, eps=EPS):
    """d fun(*args, **kwargs) / d (the argument at ``where``) by central differences.

    ``where`` is a positional index or a keyword name. ``fun`` must return a real
    scalar. The result is a float for a non-array argument, an array of the
    argument's shape otherwise.
    """
    args = list(args)
    kwargs = dict(kwargs or {})
    x = args[where] if isinstance(where, int) else kwargs[where]
    base = np.array(x, dtype=np.float64)
    g = np.zeros(base.shape, dtype=np.float64)
    for i in np.ndindex(base.shape):
        h = eps * max(1.0, abs(float(base[i])))
        values = []
        for step in (h, -h):
            p = base.copy()
            p[i] += step
            if isinstance(where, int):
                args[where] = _perturbed(x, p)
            else:
                kwargs[where] = _perturbed(x, p)
            value = _call(fun, args, kwargs)
            assert np.ndim(value) == 0, "numerical_grad needs a scalar-valued function"
            values.append(float(value))
        g[i] = (values[0] - values[1]) / (2 * h)
    return g if isinstance(x, np.ndarray) else float(g)


def _pullback_scalar(f, out_bar):
    """The scalar <out_bar, f(...)> (tuple outputs: the sum over the parts)."""

    def scalar(*args, **kwargs):
        out = f(*args, **kwargs)
        if isinstance(out, tuple):
            assert isinstance(out_bar, tuple) and len(out) == len(out_bar)
            return sum(float(np.sum(np.asarray(b) * np.asarray(o))) for o, b in zip(out, out_bar))
        return float(np.sum(np.asarray(out_bar) * np.asarray(out)))

    return scalar


def numerical_vjp(f, args, where, out_bar, kwargs=None, eps=EPS):
    """The vector-Jacobian product out_bar^T J by central differences."""
    return numerical_grad(_pullback_scalar(f, out_bar), args, where, kwargs, eps)


# ---------------------------------------------------------------------------
# checking adcompile's gradients
# ---------------------------------------------------------------------------

def resolve_wrt(f, wrt):
    """``wrt`` as a list of (parameter name, positional index or None for keyword-only)."""
    params = list(inspect.signature(f).parameters.values())
    positional = [p.name for p in params
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    out = []
    for item in items:
        if isinstance(item, int):
            name = positional[item]
        else:
            name = item
        out.append((name, positional.index(name) if name in positional else None))
    return out


def assert_gradient_like(g, x, what="gradient"):
    """A gradient has the argument's kind and shape: a float for a Python number, an array
    of the argument's shape for an array; float64 entries, all finite."""
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            # 0-d arrays: shape and dtype here; the exact type is tested in test_api.py
            assert isinstance(g, (np.ndarray, np.generic)), f"{what}: {type(g)} for a 0-d array"
        else:
            assert isinstance(g, np.ndarray), f"{what}: {type(g).__name__} for an array argument"
        assert np.shape(g) == x.shape, f"{what}: shape {np.shape(g)}, argument shape {x.shape}"
        assert np.asarray(g).dtype == np.float64, f"{what}: dtype {np.asarray(g).dtype}"
    else:
        assert isinstance(g, float) and not isinstance(g, np.ndarray), \
            f"{what}: {type(g).__name__} {g!r} for a {type(x).__name__} argument"
    assert np.all(np.isfinite(g)), f"{what} is not finite: {g!r}"


def assert_close(actual, expected, rtol=RTOL, atol=ATOL, what="gradient"):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64),
                               np.asarray(expected, dtype=np.float64),
                               rtol=rtol, atol=atol, err_msg=what)


def _snapshot(values):
    return [np.array(v, copy=True) if isinstance(v, np.ndarray) else copy.deepcopy(v)
            for v in values]


def _assert_unchanged(before, after):
    for b, a in zip(before, after):
        if isinstance(a, np.ndarray):
            assert a.shape == b.shape and np.array_equal(a, b, equal_nan=True), \
                "the gradient call mutated an argument"
        else:
            assert type(a) is type(b)


def assert_jvp(f, args, kwargs, wrt, numerical, rtol=RTOL, atol=ATOL):
    """Forward mode along random tangents equals <finite-difference gradient, tangent>.

    ``numerical``: (argument, its finite-difference gradient) for each ``wrt`` entry."""
    rng = np.random.default_rng(len(numerical))
    tangents = [rng.uniform(-1.0, 1.0, np.shape(x)) if isinstance(x, np.ndarray)
                else float(rng.uniform(-1.0, 1.0)) for x, _ in numerical]
    expected = sum(float(np.sum(np.asarray(g) * t)) for (_, g), t in zip(numerical, tangents))
    before = _snapshot(list(args) + list(kwargs.values()))
    value, dot = ad.jvp(f, wrt=wrt)(*args, tangents=tuple(tangents) if isinstance(wrt, tuple)
                                    else tangents[0], **kwargs)
    _assert_unchanged(before, list(args) + list(kwargs.values()))
    assert np.ndim(dot) == 0, f"jvp of {f.__name__}: tangent of shape {np.shape(dot)}"
    assert_close(value, _call(f, args, kwargs), 1e-12, 1e-12, f"jvp value of {f.__name__}")
    size = sum(int(np.size(x)) for x, _ in numerical)
    assert_close(dot, expected, rtol, atol * size, f"jvp of {f.__name__}")


def assert_grad(f, *args, wrt=0, kwargs=None, rtol=RTOL, atol=ATOL, keywords=True,
                forward=True):
    """adcompile's gradient of scalar ``f`` at ``args`` equals central finite differences,
    and (``forward=True``) so does forward mode along random tangents.

    Checks the gradient's structure (one value, or a tuple for a tuple ``wrt``), each
    gradient's type, shape and dtype, that the call leaves the arguments unchanged, and
    (``keywords=True``) that calling with every argument by keyword gives the same
    gradient. Returns adcompile's gradient.
    """
    kwargs = dict(kwargs or {})
    targets = resolve_wrt(f, wrt)
    before = _snapshot(list(args) + list(kwargs.values()))
    gradient = ad.grad(f, wrt=wrt)(*args, **kwargs)
    numerical = []
    _assert_unchanged(before, list(args) + list(kwargs.values()))
    grads = gradient if isinstance(wrt, tuple) else (gradient,)
    if isinstance(wrt, tuple):
        assert isinstance(gradient, tuple) and len(gradient) == len(wrt), \
            f"expected a tuple of {len(wrt)} gradients, got {gradient!r}"
    for (name, index), g in zip(targets, grads):
        x = args[index] if index is not None and index < len(args) else kwargs[name]
        where = index if index is not None and index < len(args) else name
        assert_gradient_like(g, x, f"d{f.__name__}/d{name}")
        expected = numerical_grad(f, args, where, kwargs)
        numerical.append((x, expected))
        assert_close(g, expected, rtol, atol, f"d{f.__name__}/d{name}")
    if forward:
        assert_jvp(f, args, kwargs, wrt, numerical, rtol, atol)
    if keywords:
        names = list(inspect.signature(f).parameters)
        by_name = dict(zip(names, args))
        by_name.update(kwargs)
        again = ad.grad(f, wrt=wrt)(**by_name)
        again = again if isinstance(wrt, tuple) else (again,)
        for (name, index), g, g2 in zip(targets, grads, again):
            assert_gradient_like(g2, by_name[name], f"d{f.__name__}/d{name} (keywords)")
            assert_close(g2, g, 1e-12, 1e-12, f"d{f.__name__}/d{name} by keyword")
    return gradient


# ---------------------------------------------------------------------------
# Hypothesis strategies
# ---------------------------------------------------------------------------

def reals(lo=-2.0, hi=2.0):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def nonzero(lo=0.25, hi=2.0):
    """Reals with lo <= |v| <= hi: away from the kink of abs and the pole of 1/x."""
    return st.one_of(reals(lo, hi), reals(-hi, -lo))


def grid(offset=0.0, step=0.5, n=12):
    """Values on the grid offset + step * k: two grids with different offsets never tie."""
    return st.sampled_from([offset + step * k for k in range(-n, n + 1)])


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=4):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def arrays(shape, elements=None, unique=False):
    return hnp.arrays(np.float64, shape, elements=reals() if elements is None else elements, unique=unique)


@st.composite
def operand(draw, shape, elements=None, python_float=True):
    """A value of ``shape``: for shape () a Python float or a 0-d array."""
    elements = reals() if elements is None else elements
    if shape == () and python_float and draw(st.booleans()):
        return draw(elements)
    return draw(arrays(shape, elements))


#: broadcasting pairs the brief singles out, plus general ones drawn by Hypothesis
NAMED_BROADCASTS = [((3, 1), (4,)), ((2, 3, 4), (3, 1)), ((1,), (3,)), ((2, 1, 3), (4, 1)),
                    ((), (2, 3)), ((3,), ()), ((1, 1), (2, 3))]


def broadcast_pairs(max_dims=3, max_side=4):
    drawn = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=max_dims,
                                              min_side=1, max_side=max_side)
    return st.one_of(st.sampled_from(NAMED_BROADCASTS),
                     drawn.map(lambda b: tuple(b.input_shapes)))


def weights(shape):
    """Non-trivial, non-zero output weights of ``shape`` (a float for shape ())."""
    return operand(shape, nonzero(0.5, 2.0))


_modules = itertools.count()


def with_autograd_numpy(namespace, g, *args):
    """``g(*args)`` while ``np`` in ``namespace`` (the globals of the test module whose
    functions autograd runs) is autograd.numpy, so that autograd can trace them as written."""
    import autograd.numpy as anp
    saved = namespace["np"]
    namespace["np"] = anp
    try:
        return g(*args)
    finally:
        namespace["np"] = saved


def autograd_gradient(f, *args, wrt=0):
    """autograd's gradient of ``f`` in argument ``wrt``, ``f`` run as written with ``np``
    autograd.numpy in its module."""
    import autograd
    return with_autograd_numpy(f.__globals__, autograd.grad(f, wrt), *args)


def assert_like_autograd(f, *args, wrt=0, rtol=1e-9, atol=1e-11):
    """adcompile's gradient equals finite differences (and forward mode), and autograd's."""
    got = assert_grad(f, *args, wrt=wrt)
    want = autograd_gradient(f, *args, wrt=wrt)
    for g, w in zip(got if isinstance(wrt, tuple) else (got,),
                    want if isinstance(wrt, tuple) else (want,)):
        assert_close(g, w, rtol, atol, f"{f.__name__} against autograd")
    return got


def assert_hessian(f, *args, wrt=0, rtol=1e-4, atol=1e-6):
    """ad.hessian of scalar ``f`` in argument ``wrt`` equals finite differences of its
    gradient, and ad.grad(ad.grad(...)) of a scalar argument does too."""
    import adcompile as ad
    x = args[wrt]
    first = ad.grad(f, wrt=wrt)

    def entry(v, i):
        moved = list(args)
        moved[wrt] = v
        return np.ravel(first(*moved))[i]

    n = int(np.size(x))
    want = np.array([np.ravel(numerical_grad(lambda v, i=i: entry(v, i), (x,), 0))
                     for i in range(n)])
    assert_close(np.reshape(ad.hessian(f, wrt=wrt)(*args), (n, n)), want, rtol, atol,
                 f"hessian of {f.__name__}")
    if not isinstance(x, np.ndarray):
        assert_close(ad.grad(first, wrt=wrt)(*args), want[0, 0], rtol, atol)


def load_module(directory, text, name=None):
    """Write ``text`` (dedented) to a new module file in ``directory`` and import it (a
    fresh module, in sys.modules under ``name``)."""
    name = name or f"test_module_case_{next(_modules)}"
    path = Path(directory) / f"{name}.py"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
