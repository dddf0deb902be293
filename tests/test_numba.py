"""The numba backend (``backend="numba"``): gradients compiled by numba checked against
central finite differences and the plain Python gradient; the fallback to plain Python,
with a warning naming what numba could not compile; and adcompile without numba.

The tests that compile need numba (``pytest.importorskip`` in the ``numba`` fixture); the
ones about running without it run in any environment."""

import math
import os
import subprocess
import sys
import types
import warnings

import numpy as np
import pytest
from conftest import assert_close, assert_gradient_like, numerical_grad, numerical_vjp

import adcompile as ad

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RNG = np.random.default_rng(11)


@pytest.fixture
def numba():
    return pytest.importorskip("numba")


def fallback_warning():
    from adcompile.backend.jit import NumbaFallbackWarning
    return NumbaFallbackWarning


def compiled(f, wrt, args, kind="grad"):
    """``ad.<kind>(f, wrt, backend="numba")`` called on ``args`` with fallbacks as errors:
    (callable, result)."""
    make = getattr(ad, kind)
    g = make(f, wrt=wrt, backend="numba")
    with warnings.catch_warnings():
        warnings.simplefilter("error", fallback_warning())
        result = g(*args)
    assert g.numba.fallbacks == []
    assert all(v.jitted is not None for v in g.numba.variants) and g.numba.variants
    return g, result


def check_against_fd_and_plain(f, args, wrt):
    g, got = compiled(f, wrt, args)
    grads = got if isinstance(wrt, tuple) else (got,)
    plain = ad.grad(f, wrt=wrt)(*args)
    plain = plain if isinstance(wrt, tuple) else (plain,)
    for i, (index, value, reference) in enumerate(zip(wrt if isinstance(wrt, tuple) else (wrt,),
                                                      grads, plain)):
        assert_gradient_like(value, args[index], f"d{f.__name__}/d{index}")
        assert type(value) is type(reference) and np.shape(value) == np.shape(reference)
        assert_close(value, numerical_grad(f, args, index))
        assert_close(value, reference, 1e-12, 1e-13)
    return g


# --- compiled gradients ------------------------------------------------------------------

def recurrence(a, b, x0, n):
    x = x0
    for i in range(n):
        x = a * x + b * math.sin(x)
    return x


def branches(x, a, n):
    s = 0.0
    for i in range(n):
        if x > 1.0:
            x = x * a - 0.3
        else:
            x = x + math.sin(x) * a
        s = s + x * x
    return s


def until(x, a):
    k = 0
    while x < 10.0 and k < 50:
        x = x * a + 0.1
        k += 1
    return x


def stops(x, a, n):
    for i in range(n):
        x = x * a + math.cos(x)
        if x > 5.0:
            break
    return x


def regression(w, X, y):
    z = X @ w
    return np.sum((np.tanh(z) - y) ** 2)


def iterated(x, W, n):
    for i in range(n):
        x = np.tanh(W @ x)
    return np.sum(x * x)


@pytest.mark.parametrize("f, args, wrt", [
    (recurrence, (0.5, 1.0, 1.0, 30), (0, 1, 2)),
    (branches, (0.5, 0.9, 20), (0, 1)),     # branch decisions kept on the tape
    (until, (0.5, 1.3), (0, 1)),            # a while loop's trip count
    (stops, (0.5, 1.1, 30), (0, 1)),        # break
    (regression, (RNG.normal(size=3), RNG.normal(size=(5, 3)), RNG.normal(size=5)), (0,)),
    (iterated, (RNG.normal(size=3), 0.5 * RNG.normal(size=(3, 3)), 6), (0, 1)),
], ids=["recurrence", "branches", "while", "break", "regression", "array_loop"])
def test_compiled_gradients_match_finite_differences(numba, f, args, wrt):
    g = check_against_fd_and_plain(f, args, wrt)
    assert g.numba.compile_seconds > 0


def test_ints_and_a_second_call_with_other_types(numba):
    g, _ = compiled(recurrence, (0, 1), (0.5, 1.0, 1.0, 12))
    again = g(1, 1.0, 1, 12)    # ints for a and x0: numba compiles for them too
    assert all(type(v) is float for v in again)
    for index, value in zip((0, 1), again):
        assert_close(value, numerical_grad(recurrence, (1, 1.0, 1, 12), index))


def test_float32_arrays_keep_their_dtype_as_in_plain_python(numba):
    args = (RNG.normal(size=3).astype(np.float32), RNG.normal(size=(5, 3)).astype(np.float32),
            RNG.normal(size=5).astype(np.float32))
    _, got = compiled(regression, 0, args)
    plain = ad.grad(regression)(*args)
    assert got.dtype == plain.dtype == np.float32
    assert_close(got, plain, 1e-5, 1e-5)


def test_value_and_grad_and_vjp(numba):
    args = (0.5, 1.0, 1.0, 25)
    _, (value, grads) = compiled(recurrence, (0, 1), args, kind="value_and_grad")
    assert_close(value, recurrence(*args), 1e-14, 1e-14)
    for index, g in zip((0, 1), grads):
        assert_close(g, numerical_grad(recurrence, args, index))
    pullback, (value, g) = compiled(recurrence, 2, args + (0.5,), kind="vjp")
    assert_close(g, 0.5 * numerical_grad(recurrence, args, 2))
    assert_close(pullback(*args, out_bar=0.5)[1], g, 1e-14, 1e-14)   # out_bar by keyword


def test_vjp_of_an_array_function(numba):
    def f(x, W):
        return np.tanh(W @ x) * 2.0

    x, W, out_bar = RNG.normal(size=3), RNG.normal(size=(4, 3)), RNG.normal(size=4)
    pullback = ad.vjp(f, wrt=(0, 1), backend="numba")
    value, (gx, gW) = pullback(x, W, out_bar)
    assert_close(value, f(x, W), 1e-14, 1e-14)
    assert_close(gx, numerical_vjp(f, (x, W), 0, out_bar))
    assert_close(gW, numerical_vjp(f, (x, W), 1, out_bar))


# --- falling back ------------------------------------------------------------------------

TABLE = np.arange(3.0)


def reads_a_global_array(x):
    return np.sum(x * TABLE)


def running_products(x):   # (cumprod_bar has no numba version)
    return np.sum(np.cumprod(x))


def takes_a_dict(p, x):
    return np.sum(p["w"] * x)


def fills_an_alias(x, v):
    w = v
    w.fill(x)
    return np.tanh(np.dot(w, w)) + 0.5


@pytest.mark.parametrize("f, args, says", [
    (reads_a_global_array, (RNG.normal(size=3),),
     ["global or closure variable TABLE", "freeze", "pass it as an argument"]),
    (running_products, (RNG.normal(size=4),),
     ["the runtime helper ", "() (line ", "of the generated code), which has no numba version"]),
    (takes_a_dict, ({"w": RNG.normal(size=3)}, RNG.normal(size=3)),
     ["TypingError", "at line 1 of the generated code: def grad_takes_a_dict("]),
    # (numba types item_written(g, ...) but cannot lower it: a NotImplementedError from its
    # compiler, which was raised to the caller)
    (fills_an_alias, (0.8, np.array([1.0, -1.0, 0.3])),
     ["NotImplementedError: No definition for lowering"]),
], ids=["global_array", "helper", "typing_error", "lowering_error"])
def test_what_numba_cannot_compile_runs_as_python_with_a_warning(numba, f, args, says):
    g = ad.grad(f, backend="numba")
    with pytest.warns(fallback_warning()) as caught:
        got = g(*args)
    message = str(caught[0].message)
    assert message.startswith(f"numba cannot compile grad_{f.__name__}(): ")
    assert "runs as plain Python" in message
    for part in says:
        assert part in message
    assert g.numba.fallbacks and g.numba.variants[0].jitted is None
    plain = ad.grad(f)(*args)
    if isinstance(plain, dict):
        got, plain = got["w"], plain["w"]
        expected = None
    else:
        expected = numerical_grad(f, args, 0)
    assert_close(got, plain, 0, 0)
    if expected is not None:
        assert_close(got, expected)
    with warnings.catch_warnings():   # the warning is given once per specialisation
        warnings.simplefilter("error")
        g(*args)


def test_the_fallback_can_be_made_an_error(numba):
    fresh = types.FunctionType(reads_a_global_array.__code__, globals())   # (not cached)
    g = ad.grad(fresh, backend="numba")
    with warnings.catch_warnings():
        warnings.simplefilter("error", fallback_warning())
        with pytest.raises(fallback_warning(), match="TABLE"):
            g(np.ones(3))


def test_a_checkpointed_function_keeps_its_checkpoints_and_runs_as_python(numba):
    def marked(x, a, n):
        for i in range(n):
            x = a * x + np.sin(x)
        return x

    ad.checkpoint(marked, every=3)
    args = (0.3, 0.5, 10)
    g = ad.grad(marked, wrt=(0, 1), backend="numba")
    with pytest.warns(fallback_warning(), match="at line .* of the generated code"):
        got = g(*args)
    for index, value in zip((0, 1), got):
        assert_close(value, numerical_grad(marked, args, index))


def test_an_unknown_backend_is_a_value_error():
    with pytest.raises(ValueError, match="backend must be None, 'python' or 'numba'"):
        ad.grad(recurrence, backend="jax")
    assert ad.grad(recurrence, backend="python")(0.5, 1.0, 1.0, 3) == \
        ad.grad(recurrence)(0.5, 1.0, 1.0, 3)


def test_at_numbas_default_optimisation_as_users_compile():
    # (the suite compiles at -O0, conftest.py; users get numba's default, -O3)
    pytest.importorskip("numba")
    done = run_python(
        "import warnings, numpy as np, adcompile as ad, numba\n"
        "from conftest import numerical_grad, assert_close\n"
        "from test_numba import regression, recurrence\n"
        "assert numba.config.OPT == 3, numba.config.OPT\n"
        "warnings.simplefilter('error')\n"
        "rng = np.random.default_rng(3)\n"
        "args = (rng.normal(size=3), rng.normal(size=(5, 3)), rng.normal(size=5))\n"
        "got = ad.grad(regression, backend='numba')(*args)\n"
        "assert_close(got, ad.grad(regression)(*args), 1e-12, 1e-13)\n"
        "assert_close(got, numerical_grad(regression, args, 0))\n"
        "got = ad.grad(recurrence, wrt=(0, 1), backend='numba')(0.5, 1.0, 1.0, 3)\n"
        "assert_close(np.array(got), np.array(ad.grad(recurrence, wrt=(0, 1))(0.5, 1.0, 1.0, 3)),"
        " 1e-12, 1e-13)\n"
        "print('ok')\n", NUMBA_OPT=None)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


# --- without numba -----------------------------------------------------------------------

def run_python(code, **environment):
    path = os.pathsep.join([ROOT, os.path.join(ROOT, "tests"), os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, PYTHONPATH=path, **environment)
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120, check=False)


def test_adcompile_never_imports_numba_unless_asked():
    done = run_python(
        "import sys, numpy as np, adcompile as ad\n"
        "from test_numba import regression, recurrence\n"
        "ad.grad(recurrence, wrt=(0, 1))(0.5, 1.0, 1.0, 3)\n"
        "ad.grad(regression)(np.ones(3), np.ones((2, 3)), np.ones(2))\n"
        "print('numba' in sys.modules)\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_without_numba_the_backend_is_an_import_error_saying_how_to_install_it():
    done = run_python(
        "import sys\n"
        "sys.modules['numba'] = None   # import numba now raises ImportError\n"
        "import adcompile as ad\n"
        "from test_numba import recurrence\n"
        "assert ad.grad(recurrence)(0.5, 1.0, 1.0, 3)\n"
        "try:\n"
        "    ad.grad(recurrence, backend='numba')\n"
        "except ImportError as error:\n"
        "    print(error)\n")
    assert done.returncode == 0, done.stderr
    assert "backend='numba' needs numba: pip install numba" in done.stdout


# --- defaults and keywords ---------------------------------------------------------------

STEPS = 7


def with_defaults(x, a=0.5, n=STEPS, *, scale=2.0):
    for i in range(n):
        x = a * x + math.sin(x)
    return scale * x


def test_defaults_read_from_globals_work_without_the_backend():
    # (the generated function's defaults are the user's values: an expression such as a
    # global's name is not evaluated again where adcompile compiles the code)
    got = ad.grad(with_defaults, wrt=(0, 1))(0.3)
    for index, value in zip((0, 1), got):
        assert_close(value, numerical_grad(with_defaults, (0.3, 0.5), index))


@pytest.mark.parametrize("args, kwargs", [((0.3,), {}), ((0.3, 0.7, 5), {"scale": 3.0}),
                                          ((), {"x": 0.3, "n": 4})])
def test_defaults_and_keywords_with_numba(numba, args, kwargs):
    g = ad.grad(with_defaults, wrt=(0, 1), backend="numba")
    with warnings.catch_warnings():
        warnings.simplefilter("error", fallback_warning())
        got = g(*args, **kwargs)
    assert g.numba.fallbacks == [] and g.numba.compile_seconds > 0
    assert_close(got, ad.grad(with_defaults, wrt=(0, 1))(*args, **kwargs), 1e-13, 1e-13)
    full = dict(zip(("x", "a", "n"), args), **kwargs)
    point = (full["x"], full.get("a", 0.5), full.get("n", STEPS))
    scale = full.get("scale", 2.0)

    def of_point(x, a, n):
        return with_defaults(x, a, n, scale=scale)

    for index, value in zip((0, 1), got):
        assert_close(value, numerical_grad(of_point, point, index))
