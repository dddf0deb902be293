"""Hostile and odd inputs, and the hygiene of generated code.

- user names that look like generated ones, and globals named like the runtime helpers;
- very long functions (transformation time must grow about linearly) and deep nesting;
- int, bool, float32, complex, NaN/inf and zero-size arguments;
- functions without source, files changed after import, redefined functions;
- threads; ``build`` onto paths it must not or cannot write; the CLI on broken files;
- generated code never writes into the caller's arrays, keeps no state between calls,
  can run inside another generated gradient's function, and is released with the
  function it was compiled for (no leak through adcompile's cache or linecache).
"""

import functools
import gc
import itertools
import linecache
import math
import os
import subprocess
import sys
import textwrap
import threading
import time
import traceback
import weakref
from pathlib import Path

import numpy as np
import pytest

import adcompile as ad
from adcompile.cache import cached_transform
from tests.conftest import assert_close, assert_grad, load_module, numerical_grad, numerical_vjp

ROOT = Path(__file__).resolve().parents[1]

_modules = itertools.count()


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "adcompile", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def assert_user_error(result, *needles):
    """Exit status 1, one paragraph on stderr starting with 'adcompile: error:', no traceback."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    err = result.stderr
    assert err.startswith("adcompile: error:"), err
    assert "Traceback" not in err, err
    assert "\n\n" not in err.strip(), err
    for needle in needles:
        assert needle in err, err


V = np.array([0.5, -1.25, 2.0])
M = np.array([[0.5, -1.0, 0.25], [1.5, 0.75, -0.5]])


# ---------------------------------------------------------------------------
# user names that look like generated names; globals named like runtime helpers
# ---------------------------------------------------------------------------

# globals with the names of the helpers generated code calls: generated code must not
# pick these up (each would give a wrong gradient or crash if it did)
def unbroadcast(g, x):
    raise AssertionError("the user's unbroadcast was called by generated code")


def as_gradient(g, x):
    raise AssertionError("the user's as_gradient was called by generated code")


outer_sum = "not a function"
getitem_bar = None
zeros_like = 10.0          # read by hostile_global_helper_names: a plain number
matmul_bar_left = 3


def hostile_names(x, x_bar, stack, t1):
    """Locals and parameters named like what the compiler generates."""
    t0 = x * 2.0
    t2 = t0 + x_bar
    c1 = t2 * x
    n1 = 3
    result = 0.0
    returned = 1.0
    out = c1 * 0.5
    y_bar = out + stack
    for i in range(n1):
        stack_2 = y_bar * x + t1
        y_bar = np.tanh(stack_2) + result
        if np.sum(y_bar) > 100.0:
            return np.sum(y_bar) * returned
    x_bar_2 = np.sum(y_bar * y_bar)
    return x_bar_2 + np.sum(out) * returned


def test_user_names_like_generated_names():
    for args in [(V, 0.3, V[::-1], 0.1), (0.4, V, 0.2, M[0])]:
        assert_grad(hostile_names, *args, wrt=(0, 1, 2, 3))


def hostile_local_helper_names(x, unbroadcast, np_):
    """Parameters and locals named like runtime helpers."""
    zeros_like = x * unbroadcast
    outer_sum = zeros_like + np_
    as_gradient = np.sum(outer_sum * outer_sum)
    return as_gradient


def test_parameters_and_locals_named_like_runtime_helpers():
    assert_grad(hostile_local_helper_names, V, M, 0.5, wrt=(0, 1, 2))
    assert_grad(hostile_local_helper_names, M, V, V, wrt=(0, 1, 2))


def hostile_global_helper_names(x, W):
    # reads the global zeros_like (a number); the gradient needs zeros_like and unbroadcast
    h = x
    for t in range(2):
        h = np.tanh(W @ h + x) * zeros_like
    return np.sum(h) * zeros_like


def test_globals_named_like_runtime_helpers():
    W = np.array([[0.1, -0.2, 0.05], [0.3, 0.1, -0.1], [0.0, 0.2, 0.1]])
    assert_grad(hostile_global_helper_names, V * 0.1, W, wrt=(0, 1))
    assert_grad(hostile_global_helper_names, V * -0.2, W * 2.0, wrt=(0, 1))


def hostile_shadow_np(x):
    y = math.exp(1.0) * np_module.sin(x)
    np = 2.0  # a local that shadows the module name generated code uses for NumPy
    return np_module.sum(y * np * x)


np_module = np


def test_globals_named_like_the_generated_functions(tmp_path):
    # the generated function is named vjp_f / grad_f / jvp_f: code reading a global of that
    # name must read the global (it crashed compiling, or read the gradient function itself)
    mod = load_module(tmp_path, """
        import numpy as np

        vjp_f = 3.0
        grad_f = 4.0
        jvp_f = 0.5

        def f(x):
            return np.sum(x * vjp_f * grad_f + x * x * jvp_f)
    """)
    assert_grad(mod.f, 2.0)
    assert_grad(mod.f, V)
    # a built module defines grad_f itself: a global of that name cannot come along
    with pytest.raises(ValueError, match="grad_f"):
        ad.build(mod.f, tmp_path / "built.py")
    assert not (tmp_path / "built.py").exists()


def test_functions_named_like_runtime_helpers(tmp_path):
    mod = load_module(tmp_path, """
        import numpy as np

        def zeros_like(v):
            return v * 0.0 + 1.0

        def unbroadcast(x, y):
            s = zeros_like(x) * x
            for i in range(2):
                s = s + x * y
            return np.sum(s * s)
    """)
    assert_grad(mod.unbroadcast, V, M, wrt=(0, 1))
    assert_grad(mod.unbroadcast, 0.5, V, wrt=(0, 1))


def test_local_shadowing_np():
    assert_grad(hostile_shadow_np, V)
    assert_grad(hostile_shadow_np, M)


def test_module_whose_global_np_is_not_numpy(tmp_path):
    mod = load_module(tmp_path, """
        import numpy as numpy_
        np = "not numpy"
        math = None

        def f(x, y):
            return numpy_.sum(numpy_.tanh(x) * y) + numpy_.sum(x) * len(np)
    """)
    assert_grad(mod.f, V, M, wrt=(0, 1))
    assert_grad(mod.f, 0.3, V, wrt=(0, 1))


@pytest.mark.parametrize("body", [
    "    out_bar = x * 3.0  # here\n    return x * out_bar\n",
    "    return x * out_bar  # here\n",
    "    for out_bar in range(2):  # here\n        x = x * 2.0\n    return x\n",
], ids=["local", "global", "loop-variable"])
def test_variable_named_out_bar_is_refused(tmp_path, body):
    # out_bar is the seed parameter of generated code: a local of that name would
    # overwrite it, a global would be shadowed by it (both gave wrong gradients)
    mod = load_module(tmp_path, "out_bar = 2.0\n\n\ndef f(x):\n" + body)
    with pytest.raises(ad.TransformError) as info:
        ad.grad(mod.f)
    exc = info.value
    assert "'out_bar'" in exc.reason and exc.line.endswith("# here"), str(exc)


def test_callee_reading_a_global_named_out_bar(tmp_path):
    mod = load_module(tmp_path, """
        out_bar = 2.0

        def helper(v):
            return v * out_bar

        def f(x):
            return helper(x) * x
    """)
    assert_grad(mod.f, 0.7)


# ---------------------------------------------------------------------------
# long functions and deep nesting
# ---------------------------------------------------------------------------

def long_function_source(n):
    """A function of ``n`` statements: a chain of scalar updates through a, b and c."""
    forms = ["    a = a * 0.999 + np.sin(b) * 0.01",
             "    b = b - a * 0.002",
             "    c = a * b * 0.001",
             "    a = a + c",
             "    b = b * 0.998 + c * 0.5"]
    lines = ["import numpy as np", "", "", "def f(x, y):", "    a = x * 0.5", "    b = y + 0.25"]
    lines += [forms[i % len(forms)] for i in range(n - 3)]
    lines.append("    return a * b")
    return "\n".join(lines) + "\n"


def test_long_functions_transform_in_about_linear_time(tmp_path):
    # (python -c "from tests.test_hostile import measure; measure()" for 250 ... 2000)
    times = measure((250, 1000), tmp_path, check=250)
    # four times the statements: linear time is 4x; quadratic would be 16x
    assert times[1000] / times[250] < 8.0, times


def measure(sizes=(250, 500, 1000, 2000), directory=None, check=None, repeats=3):
    """CPU seconds ad.grad takes to transform a function of each number of statements, the
    least of ``repeats`` transformations of fresh copies (CPU time: other processes on a
    shared machine do not change it much; the least: nor does a pause of the machine)."""
    import tempfile
    directory = directory or tempfile.mkdtemp()
    times = {}
    for n in sizes:
        for _ in range(repeats):
            f = load_module(directory, long_function_source(n)).f
            start = time.process_time()
            g = ad.grad(f, wrt=(0, 1))
            times[n] = min(times.get(n, float("inf")), time.process_time() - start)
        if n == check:
            gx, gy = g(0.3, 0.7)
            assert gx == pytest.approx(numerical_grad(f, (0.3, 0.7), 0), rel=1e-5)
            assert gy == pytest.approx(numerical_grad(f, (0.3, 0.7), 1), rel=1e-5)
    print("transformation time by statements:", {n: round(t, 3) for n, t in times.items()})
    return times


def nested_source(depth, kind):
    lines = ["import numpy as np", "", "", "def f(x):", "    y = x * 1.0"]
    for d in range(depth):
        indent = "    " * (d + 1)
        if kind == "if":
            lines.append(f"{indent}if x > {-d - 1}.0:")
        else:  # for: two iterations at the outer three levels, one below
            lines.append(f"{indent}for i{d} in range({2 if d < 3 else 1}):")
        lines.append(f"{indent}    y = y * 1.01 + np.sin(x * y) * 0.01")
    lines.append("    return y * x")
    return "\n".join(lines) + "\n"


def test_if_statements_nested_50_deep(tmp_path):
    f = load_module(tmp_path, nested_source(50, "if")).f
    for x in (0.3, -10.5, -60.0):  # every level taken; the inner 40 not; none
        assert_grad(f, x)


def test_loops_nested_as_deep_as_python_allows(tmp_path):
    # CPython refuses more than 20 statically nested blocks (SyntaxError)
    f = load_module(tmp_path, nested_source(20, "for")).f
    assert_grad(f, 0.3)
    assert_grad(f, -0.7)


# ---------------------------------------------------------------------------
# argument types: int, bool, float32, complex; NaN/inf; zero-size arrays
# ---------------------------------------------------------------------------

def poly(x, n):
    s = 0.0
    for i in range(n):
        s = s + x ** 2 * i
    return np.sum(s * 1.5 + x)


def test_int_and_bool_arguments():
    # an int argument differentiated: a float gradient, as for a float
    g = ad.grad(poly)(3, 4)
    assert type(g) is float and g == pytest.approx(1.5 * 2 * 3 * 6 + 1)
    g = ad.grad(poly)(True, 2)
    assert type(g) is float and g == pytest.approx(1.5 * 2 * 1 + 1)
    g = ad.grad(poly)(np.int64(2), 3)
    assert isinstance(g, float) and g == pytest.approx(1.5 * 2 * 2 * 3 + 1)
    # an int array: a float gradient of its shape
    g = ad.grad(poly)(np.arange(3), 2)
    assert g.dtype == np.float64 and g.shape == (3,)
    np.testing.assert_allclose(g, 1.5 * 2 * np.arange(3) + 1)
    # int and bool arguments that are not differentiated flow through
    assert ad.grad(poly, wrt=0)(0.5, np.int32(3)) == pytest.approx(1.5 * 2 * 0.5 * 3 + 1)


def flagged(x, flag, k):
    if flag:
        x = x * k
    return np.sum(x * x)


def test_bool_flag_and_int_constants():
    assert_grad(flagged, V, True, 3)
    assert_grad(flagged, V, False, 3)
    assert_grad(flagged, V, np.bool_(True), np.int8(2))


def f32_program(A, v):
    h = v
    for row in A:
        h = np.tanh(row * h)
    return np.sum((A @ h) ** 2) + np.max(A) + np.mean(A[0])


def test_float32_arrays_give_accurate_gradients():
    A = (np.arange(9, dtype=np.float32).reshape(3, 3) - 4) / 10
    v = np.array([0.5, 1.5, -2.0], dtype=np.float32)
    gA, gv = ad.grad(f32_program, wrt=(0, 1))(A, v)
    assert gA.shape == A.shape and gv.shape == v.shape
    assert gA.dtype == np.float32 and gv.dtype == np.float32
    A64, v64 = A.astype(np.float64), v.astype(np.float64)
    np.testing.assert_allclose(gA, numerical_grad(f32_program, (A64, v64), 0), rtol=1e-4,
                               atol=1e-5)
    np.testing.assert_allclose(gv, numerical_grad(f32_program, (A64, v64), 1), rtol=1e-4,
                               atol=1e-5)
    assert not np.shares_memory(gA, A) and not np.shares_memory(gv, v)


def complex_target(x, c):
    return np.sum(np.sin(x) * c)


@pytest.mark.parametrize("args, kwargs, name", [
    ((1.0 + 2.0j, 1.0), {}, "x"),
    ((np.array([1.0 + 1.0j, 2.0]), 1.0), {}, "x"),
    ((np.complex64(1.0),), {"c": 2.0}, "x"),
    ((V,), {"c": np.array([1j, 1.0, 0.0])}, "c"),
    ((), {"x": V, "c": 2.0 - 1j}, "c"),
], ids=["python", "array", "numpy-scalar", "keyword-array", "keyword-python"])
def test_complex_arguments_are_refused_at_call_time(args, kwargs, name):
    for make in (ad.grad, ad.value_and_grad):
        with pytest.raises(TypeError) as info:
            make(complex_target)(*args, **kwargs)
        msg = str(info.value)
        assert f"argument {name!r}" in msg and "complex" in msg and "real" in msg, msg
    with pytest.raises(TypeError, match="complex"):
        ad.vjp(complex_target)(*args, 1.0, **kwargs)
    # the same wrapper still works for real arguments afterwards
    assert ad.grad(complex_target)(0.5, 2.0) == pytest.approx(2.0 * math.cos(0.5))


def elementwise(x):
    return np.sum(np.exp(x) + x * x + np.tanh(x))


def test_nan_and_inf_propagate_like_numpy():
    x = np.array([np.nan, np.inf, -np.inf, 1.0, 0.0])
    with np.errstate(all="ignore"):
        g = ad.grad(elementwise)(x.copy())
        expected = np.exp(x) + 2 * x + (1 - np.tanh(x) ** 2)
    assert g.shape == x.shape
    # NaN where NumPy gives NaN, inf where inf
    np.testing.assert_allclose(g, expected, rtol=1e-12, equal_nan=True)
    assert (np.isnan(g) == np.isnan(expected)).all()
    assert (g[np.isinf(expected)] == expected[np.isinf(expected)]).all()
    assert np.isfinite(g[3:]).all()  # a NaN in one entry does not spread to the others
    assert math.isnan(ad.grad(elementwise)(float("nan")))
    assert ad.grad(elementwise)(float("inf")) == math.inf


def reductions(x, W):
    return np.max(x) + np.sum(np.maximum(W @ x, 0.0)) + np.mean(x * x)


def test_nan_and_inf_through_reductions_do_not_crash():
    x = np.array([np.nan, 1.0, -np.inf])
    with np.errstate(all="ignore"):
        gx, gW = ad.grad(reductions, wrt=(0, 1))(x, M[:, :3].copy())
    assert gx.shape == (3,) and gW.shape == (2, 3)
    assert np.isnan(gx).any()  # the NaN is not silently dropped


def zero_size(x, A):
    s = np.sum(x * x) + np.sum(A @ x)
    for row in A:
        s = s + np.sum(row * row)
    for i in range(len(x)):
        s = s + x[i] * 2.0
    return s


@pytest.mark.parametrize("n, m", [(0, 0), (0, 3), (3, 0)])
def test_zero_size_arrays(n, m):
    x = np.zeros(n)
    A = np.ones((m, n))
    gx, gA = ad.grad(zero_size, wrt=(0, 1))(x, A)
    assert gx.shape == (n,) and gA.shape == (m, n)
    assert gx.dtype == np.float64 and gA.dtype == np.float64
    np.testing.assert_array_equal(gx, np.full(n, 2.0) + A.sum(axis=0))
    np.testing.assert_array_equal(gA, 2.0 * A + x)


# ---------------------------------------------------------------------------
# functions without source; stale source; redefinitions
# ---------------------------------------------------------------------------

class Scaler:
    def __call__(self, x):
        return x * 2.0

    def method(self, x):
        return x * 3.0


@pytest.mark.parametrize("obj, word", [
    (np.sin, "sin"), (len, "len"), (math.exp, "exp"),
], ids=["np.sin", "len", "math.exp"])
def test_callables_without_python_source_are_refused(obj, word):
    with pytest.raises(ad.TransformError) as info:
        ad.grad(obj)
    msg = str(info.value)
    assert word in msg and "source" in msg, msg


def test_a_lambda_made_by_exec_is_refused():
    # a lambda in a file is differentiated like a def (test_source_files.py); one without
    # source is refused like a def without source
    with pytest.raises(ad.TransformError, match="source"):
        ad.grad(eval("lambda x: x * x"))


def test_callable_objects_and_bound_methods_are_differentiated():
    # their functions have source: __call__ and method, with self bound (test_conveniences.py)
    assert ad.grad(Scaler())(1.5) == 2.0
    assert ad.grad(Scaler().method)(1.5) == 3.0


def test_function_made_by_exec_is_refused():
    namespace = {}
    exec("def made(x):\n    return x * x\n", namespace)
    with pytest.raises(ad.TransformError, match=r"made.*source|source.*made"):
        ad.grad(namespace["made"])


def test_function_typed_at_an_interactive_prompt_is_refused():
    # python reading the program from stdin, as at the >>> prompt: no source file
    program = textwrap.dedent("""
        import adcompile as ad
        def f(x):
            return x * x
        try:
            ad.grad(f)
        except ad.TransformError as exc:
            print("refused:", exc)
    """)
    result = subprocess.run([sys.executable, "-"], input=program, cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "refused:" in result.stdout and "interactive prompt" in result.stdout, result.stdout


def test_notebook_cell_source_registered_in_linecache_works():
    # IPython and Jupyter register each cell's source in linecache, under a pseudo file
    filename = "<ipython-input-7-hostile>"
    text = "def cell_f(x):\n    return np.sum(np.sin(x) * x)\n"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    try:
        namespace = {"np": np}
        exec(compile(text, filename, "exec"), namespace)
        assert_grad(namespace["cell_f"], V)
    finally:
        linecache.cache.pop(filename, None)


def test_source_file_changed_after_import_is_detected(tmp_path):
    mod = load_module(tmp_path, """
        def f(x):
            return x * x
    """)
    path = Path(mod.__file__)
    # an editor inserts lines above f: the line f was compiled from now holds other code
    path.write_text("def g(y, z):\n    return y\n\n\n" + path.read_text(), encoding="utf-8")
    with pytest.raises(ad.TransformError) as info:
        ad.grad(mod.f)
    msg = str(info.value)
    assert "changed" in msg and str(path) in msg, msg


def test_module_executed_again_gives_the_new_gradient(tmp_path):
    name = f"hostile_reloaded_{next(_modules)}"
    first = load_module(tmp_path, "def f(x):\n    return x * x\n", name=name)
    g_first = ad.grad(first.f)
    assert g_first(3.0) == 6.0
    # the file is edited and the module executed again: same name, new function
    second = load_module(tmp_path, "def f(x):\n    return x * x * x + 1.0  # cubed\n",
                         name=name)
    assert ad.grad(second.f)(3.0) == pytest.approx(27.0)
    assert g_first(3.0) == 6.0  # the old gradient belongs to the old function, still alive


def test_replaced_code_object_gives_the_new_gradient(tmp_path):
    mod = load_module(tmp_path, """
        def f(x):
            return x * x

        def g(x):
            return x * x * x
    """)
    f = mod.f
    assert ad.grad(f)(2.0) == 4.0
    f.__code__ = mod.g.__code__
    assert ad.grad(f)(2.0) == pytest.approx(12.0)
    assert ad.value_and_grad(f)(2.0) == (8.0, pytest.approx(12.0))


def test_helper_redefined_after_first_use_gives_the_new_gradient(tmp_path):
    # a notebook: f calls helper; the helper's cell is edited and run again
    mod = load_module(tmp_path, """
        import numpy as np

        def inner(v):
            return v * v

        def helper(v):
            return inner(v) * 2.0

        def f(x):
            return helper(x) + x
    """)
    assert ad.grad(mod.f)(3.0) == pytest.approx(13.0)
    edits = load_module(tmp_path, """
        import numpy as np

        def helper(v):
            return v * v * v

        def inner(v):
            return np.sin(v)
    """)
    mod.helper = edits.helper
    assert ad.grad(mod.f)(3.0) == pytest.approx(28.0)  # 3 x^2 + 1
    mod.helper = load_module(tmp_path, "def helper(v):\n    return inner(v) * 2.0\n").helper
    mod.helper.__globals__["inner"] = mod.inner
    assert ad.grad(mod.f)(3.0) == pytest.approx(13.0)
    mod.inner = edits.inner  # a function the helper calls, redefined: f's gradient changes
    mod.helper.__globals__["inner"] = edits.inner
    assert ad.grad(mod.f)(3.0) == pytest.approx(2.0 * math.cos(3.0) + 1.0)
    # unchanged helpers: the cached transformation is reused
    first = cached_transform(mod.f, 0)
    assert cached_transform(mod.f, 0) is first


def test_decorated_function_redefined_in_a_loop(tmp_path):
    mod = load_module(tmp_path, """
        import adcompile as ad

        def make(k):
            @ad.grad
            def f(x):
                return x ** k
            return f
    """)
    for k in (2, 3, 4):
        assert mod.make(k)(2.0) == pytest.approx(k * 2.0 ** (k - 1))


# ---------------------------------------------------------------------------
# threads
# ---------------------------------------------------------------------------

def threaded(x, n):
    s = 0.0
    for i in range(n):
        s = s + np.sin(x * i)
    return np.sum(s)


def test_threads_calling_and_compiling_the_same_gradient():
    inputs = [0.3, V, M, np.float64(0.7), V[:2]]
    expected = [sum(i * np.cos(x * i) for i in range(4)) for x in inputs]
    barrier = threading.Barrier(8)
    results, errors = {}, []

    def work(tid):
        try:
            barrier.wait()
            g = ad.grad(threaded)  # a wrapper per thread, one cached transform
            out = []
            for r in range(5):
                for k in range(len(inputs)):
                    j = (k + tid) % len(inputs)  # threads compile the variants in different orders
                    out.append((j, g(inputs[j], 4)))
            results[tid] = out
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for out in results.values():
        for j, g in out:
            np.testing.assert_allclose(g, expected[j], rtol=1e-12)
            reference = results[0][[k for k, (i, _) in enumerate(results[0]) if i == j][0]][1]
            assert np.array_equal(g, reference)  # bit for bit the same in every thread


def test_threads_compiling_different_functions(tmp_path):
    mod = load_module(tmp_path, """
        import numpy as np

        def make(k):
            def f(x):
                h = x
                for i in range(3):
                    h = np.tanh(h * k) + x
                return np.sum(h * h)
            return f
    """)
    barrier = threading.Barrier(6)
    results, errors = {}, []

    def work(k):
        try:
            f = mod.make(0.1 * (k + 1))
            barrier.wait()
            results[k] = (f, ad.grad(f)(V), ad.grad(f)(0.3))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for f, g_vec, g_num in results.values():
        np.testing.assert_allclose(g_vec, numerical_grad(f, (V,), 0), rtol=1e-5, atol=1e-6)
        assert g_num == pytest.approx(numerical_grad(f, (0.3,), 0), rel=1e-5)


# ---------------------------------------------------------------------------
# build and the CLI on paths and files that are not fit
# ---------------------------------------------------------------------------

def simple(x):
    return np.sum(x * x)


def _unwritable_directory(tmp_path):
    """A directory this process cannot create files in, or None. chmod is not enough
    for root (it bypasses permissions): then /proc, where nobody can create files."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    probe = locked / "probe"
    try:
        probe.write_text("x")
    except OSError:
        return locked
    probe.unlink()
    locked.chmod(0o700)
    proc = Path("/proc")
    if proc.is_dir():
        try:
            (proc / "adcompile-probe").write_text("x")
        except OSError:
            return proc
    return None


def test_build_into_an_unwritable_directory(tmp_path):
    target_dir = _unwritable_directory(tmp_path)
    if target_dir is None:
        pytest.skip("no directory this process cannot write to")
    before = set(os.listdir(target_dir)) if target_dir.parent == tmp_path else None
    out = target_dir / "grads.py"
    with pytest.raises(ValueError, match="cannot write"):
        ad.build(simple, out)
    assert_user_error(cli("build", "tests/samples/lecture.py:f", "-o", str(out)),
                      "cannot write")
    assert not out.exists()
    if before is not None:  # nothing left behind, not even a temporary file
        assert set(os.listdir(target_dir)) == before


def test_build_onto_paths_that_cannot_be_written(tmp_path):
    a_file = tmp_path / "plain.txt"
    a_file.write_text("mine\n")
    a_dir = tmp_path / "adir"
    a_dir.mkdir()
    for out, needle in [(tmp_path / "missing" / "g.py", "cannot write"),
                        (a_file / "g.py", "cannot write"),
                        (a_dir, "refusing to overwrite")]:
        with pytest.raises(ValueError, match=needle):
            ad.build(simple, out)
        assert_user_error(cli("build", "tests/samples/lecture.py:f", "-o", str(out)), needle)
    with pytest.raises(ValueError, match="cannot write"):
        ad.build(simple, a_dir, force=True)
    assert a_file.read_text() == "mine\n" and a_dir.is_dir() and not os.listdir(a_dir)
    assert sorted(os.listdir(tmp_path)) == ["adir", "plain.txt"]  # no temporary files left


def test_build_never_overwrites_a_user_file_and_a_failed_build_keeps_the_old_module(tmp_path):
    mine = tmp_path / "mine.py"
    mine.write_text("precious = True\n")
    with pytest.raises(ValueError, match="refusing to overwrite"):
        ad.build(simple, mine)
    assert mine.read_text() == "precious = True\n"
    out = tmp_path / "g.py"
    ad.build(simple, out)
    good = out.read_text()
    from tests.samples import lecture
    with pytest.raises(ad.TransformError):
        ad.build([simple, lecture.unsupported], out)
    assert out.read_text() == good
    assert sorted(os.listdir(tmp_path)) == ["g.py", "mine.py"]


@pytest.mark.parametrize("content, needle", [
    ("def f(x):\n    return x *\n", "syntax error"),
    ("def f(x):\n  y = 1\n    return x\n", "bad.py:3"),
    ("import broken_dependency\n\ndef f(x):\n    return x\n", "broken_dependency.py:1"),
    (b"def f(x):\n    return x\x00\n", "bad.py"),
    (b"def f(x):\n    return '\xff\xfe'\n", "bad.py"),
], ids=["syntax", "indentation", "in-an-imported-module", "null-byte", "not-utf8"])
def test_cli_on_a_file_that_does_not_parse(tmp_path, content, needle):
    (tmp_path / "broken_dependency.py").write_text("x = (\n")
    bad = tmp_path / "bad.py"
    if isinstance(content, bytes):
        bad.write_bytes(content)
    else:
        bad.write_text(content)
    for args in (("show", f"{bad}:f"), ("build", f"{bad}:f", "-o", str(tmp_path / "o.py"))):
        assert_user_error(cli(*args), needle)
    assert not (tmp_path / "o.py").exists()


def test_cli_differentiates_a_function_calling_a_helper_in_its_file(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent("""
        import numpy as np

        def helper(v):
            return np.tanh(v) * 2.0

        def loss(x):
            return np.sum(helper(x) ** 2)
    """))
    result = cli("show", f"{path}:loss")
    assert result.returncode == 0, result.stderr
    assert "def grad_loss(x, *, out_bar=1.0):" in result.stdout


# ---------------------------------------------------------------------------
# generated-code hygiene
# ---------------------------------------------------------------------------

def h_loop_inplace(x, y):
    s = x * 1.0
    for i in range(3):
        s += y * x
        s -= 0.5 * x
        s *= 0.9
    return np.sum(s * s)


def h_slices(x, y):
    a = x[1:] * y[:-1]
    b = x[::-1]
    c = x[0] + b[1:] * a
    return np.sum(c * c) + np.sum(x[:2] ** 3)


def h_rows(A, v):
    h = v
    for row in A:
        h = np.tanh(row @ h + row) * 0.5 + h
    return np.sum(h * h)


def h_identity_like(x, y):
    if np.sum(x) > 0.0:
        return x
    return y


def h_accumulate(x, y):
    hs = []
    for i in range(3):
        hs.append(x * i + y)
    s = hs[0]
    for h in hs:
        s = s + h * h
    return s


def h_two_outputs(x, y):
    return x * y, x


HYGIENE = [
    (h_loop_inplace, (V, V[::-1].copy())),
    (h_loop_inplace, (M, V)),
    (h_slices, (V, V * 2.0)),
    (h_rows, (M.T.copy(), M[0].copy()[:2])),
    (h_identity_like, (V, V * -3.0)),
    (h_identity_like, (-V, V * -3.0)),
    (h_accumulate, (V, M)),
    (h_two_outputs, (V, M)),
]


def _read_only(a):
    a = np.array(a, copy=True)
    a.flags.writeable = False
    return a


def _out_bar_for(f, args):
    out = f(*args)
    if isinstance(out, tuple):
        return tuple(_read_only(np.full(np.shape(o), 0.5)) for o in out)
    return _read_only(np.linspace(0.5, 1.5, np.size(out)).reshape(np.shape(out)))


def _arrays(value):
    if isinstance(value, tuple):
        return [a for v in value for a in _arrays(v)]
    return [value] if isinstance(value, np.ndarray) else []


@pytest.mark.parametrize("f, args", HYGIENE, ids=lambda v: getattr(v, "__name__", ""))
def test_generated_code_never_writes_into_the_callers_arrays(f, args):
    # read-only arguments and out_bar: any in-place write into them (or a view of them)
    # raises; copies compared afterwards catch writes through other means
    frozen = [_read_only(a) for a in args]
    copies = [a.copy() for a in frozen]
    out_bar = _out_bar_for(f, frozen)
    out_bar_copy = [a.copy() for a in _arrays(out_bar)]
    value, grads = ad.vjp(f, wrt=(0, 1))(*frozen, out_bar)
    for a, c in zip(frozen, copies):
        np.testing.assert_array_equal(a, c)
    for a, c in zip(_arrays(out_bar), out_bar_copy):
        np.testing.assert_array_equal(a, c)
    # the gradients are new arrays: writing into them changes no argument and no out_bar
    for g in grads:
        assert isinstance(g, np.ndarray) and g.flags.writeable
        for other in frozen + _arrays(out_bar):
            assert not np.shares_memory(g, other)
    assert not np.shares_memory(grads[0], grads[1])
    for i, (g, x) in enumerate(zip(grads, frozen)):
        np.testing.assert_allclose(g, numerical_vjp(f, list(copies), i, out_bar), rtol=1e-5,
                                   atol=1e-6)


@pytest.mark.parametrize("f, args", HYGIENE, ids=lambda v: getattr(v, "__name__", ""))
def test_repeated_calls_give_identical_results(f, args):
    pullback = ad.vjp(f, wrt=(0, 1))
    out_bar = _out_bar_for(f, args)
    value, first = pullback(*args, out_bar)
    for _ in range(3):
        again_value, again = pullback(*args, out_bar)
        for a, b in zip(_arrays(value) + list(first), _arrays(again_value) + list(again)):
            assert np.array_equal(a, b)


def test_calls_with_other_shapes_in_between_do_not_disturb_a_variant():
    g = ad.grad(h_loop_inplace, wrt=(0, 1))
    calls = [(V, V[::-1].copy()), (0.5, 0.25), (M, V), (np.float64(0.5), V), (V, 2.0),
             (np.array(0.3), M)]
    first = [g(*args) for args in calls]
    for args, expected in zip(calls[::-1], first[::-1]):
        for a, b in zip(g(*args), expected):
            assert type(a) is type(b) and np.array_equal(a, b)


def inner_sq(v):
    return v * v * 3.0


grad_inner = ad.grad(inner_sq)


def outer_calls_a_gradient(x, y):
    k = grad_inner(y)  # a generated gradient running inside the function differentiated
    return x * k + np.sin(x)


def outer_through_a_gradient(x):
    return grad_inner(x) * 1.0  # d/dx of 6x: needs the derivative of the gradient


def outer_differentiates_itself(x, y):
    # the gradient of outer_calls_a_gradient, called inside another differentiated function
    k = ad.grad(outer_calls_a_gradient)(y, 2.0)
    return x * x * k


def test_generated_gradient_inside_a_differentiated_function():
    assert ad.grad(outer_calls_a_gradient)(0.5, 2.0) == pytest.approx(6.0 * 2.0 + math.cos(0.5))
    assert_grad(outer_calls_a_gradient, 0.5, 2.0)
    expected = 2 * 0.5 * (6.0 * 2.0 + math.cos(0.3))
    assert ad.grad(outer_differentiates_itself)(0.5, 0.3) == pytest.approx(expected)
    # differentiating through the inner gradient needs its derivative (6 for inner_sq):
    # refused or right, never the derivative of something else (it once inlined inner_sq
    # itself, found through __wrapped__: 18.0 instead of 6.0)
    for f, wrt, args, expected in [(outer_calls_a_gradient, 1, (0.5, 3.0), 0.5 * 6.0),
                                   (outer_through_a_gradient, 0, (3.0,), 6.0),
                                   (grad_inner, 0, (3.0,), 6.0)]:
        try:
            g = ad.grad(f, wrt=wrt)
        except ad.TransformError as exc:
            assert "inner_sq" in str(exc), str(exc)
            continue
        assert g(*args) == pytest.approx(expected)


def doubled(fn):
    @functools.wraps(fn)
    def wrapper(x):
        return 2.0 * fn(x)
    return wrapper


@doubled
def decorated_square(x):
    return x * x


def calls_decorated(x):
    return decorated_square(x) + x


def test_functions_wrapped_by_a_decorator_are_differentiated_as_they_run():
    # functools.wraps sets __wrapped__: the source to read is the wrapper's, not the
    # undecorated function's (that gave 6.0 and 7.0 here)
    assert ad.grad(decorated_square)(3.0) == pytest.approx(12.0)
    assert ad.grad(calls_decorated)(3.0) == pytest.approx(13.0)


class _Unmultipliable(np.ndarray):
    def __mul__(self, other):
        raise TypeError("cannot multiply")


def sine_of_square(x):
    return np.sum(np.sin(x * x))


def test_traceback_shows_the_generated_line():
    # (the gradient of simple() computes no x * x: the sum's adjoint is 2 * out_bar * x)
    g = ad.grad(sine_of_square)
    with pytest.raises(TypeError) as info:
        g(np.ones(2).view(_Unmultipliable))
    text = "".join(traceback.format_exception(info.value))
    assert "<adcompile" in text and "x * x" in text, text


# ---------------------------------------------------------------------------
# memory: compiled functions die with the function they were made for
# ---------------------------------------------------------------------------

def make_closure(k):
    def closure(x):
        h = np.sin(x) * k + x
        if k > 100.0:
            h = h * 2.0
        return np.sum(h * h)
    return closure


def closure_gradient(k, x):
    h = (np.sin(x) * k + x) * (2.0 if k > 100.0 else 1.0)
    return 2 * h * (k * np.cos(x) + 1) * (2.0 if k > 100.0 else 1.0)


#: how many functions and modules the two tests below make and drop: each one is checked
#: to be released, so a few show it; hundreds with -m long
DROPPED = [pytest.param(50, 5, id="few"),
           pytest.param(200, 20, id="many", marks=pytest.mark.long)]


@pytest.mark.parametrize("functions, modules", DROPPED)
def test_compiling_and_dropping_functions_releases_them(functions, modules):
    from adcompile.compiler import Transform

    def transforms():
        return sum(1 for o in gc.get_objects() if type(o) is Transform)

    for k in range(3):  # warm up caches that are meant to persist (rules, NumPy)
        ad.grad(make_closure(k))(V)
    gc.collect()
    base = (len(linecache.cache), transforms())
    alive = []
    for k in range(0, 200, 200 // functions):   # (on both sides of make_closure's branch)
        f = make_closure(float(k))
        g = ad.grad(f)
        assert g(0.5) == pytest.approx(closure_gradient(float(k), 0.5), rel=1e-12)
        compiled = cached_transform(f, 0).variants["vjp"].values()
        alive.append([weakref.ref(f), weakref.ref(g)] + [weakref.ref(c) for c in compiled])
        del f, g, compiled
    gc.collect()
    assert not [r for refs in alive for r in refs if r() is not None]
    assert (len(linecache.cache), transforms()) == base


@pytest.mark.parametrize("functions, modules", DROPPED)
def test_functions_of_a_dropped_module_are_released_with_their_gradients(tmp_path, functions,
                                                                         modules):
    # the generated code runs in the module's globals, which hold the module's functions:
    # adcompile's cache must not keep them (and the module) alive through it
    from adcompile.compiler import Transform

    def transforms():
        return sum(1 for o in gc.get_objects() if type(o) is Transform)

    def generated_sources():   # (linecache also keeps the files read, as tracebacks do)
        return sum(1 for name in linecache.cache if name.startswith("<adcompile"))

    gc.collect()
    base = (generated_sources(), transforms())
    alive = []
    for k in range(modules):
        mod = load_module(tmp_path, f"""
            import numpy as np

            def helper(v):
                return v * {k + 1}.0

            def f(x):
                return np.sum(np.sin(helper(x)) * x)
        """)
        assert_grad(mod.f, V)
        ad.value_and_grad(mod.f)(V)
        alive += [weakref.ref(mod.f), weakref.ref(mod.helper), weakref.ref(mod)]
        del sys.modules[mod.__name__], mod
    gc.collect()
    assert not [r for r in alive if r() is not None]
    assert (generated_sources(), transforms()) == base


def test_cache_is_kept_while_the_function_lives():
    f = make_closure(2.0)
    first = cached_transform(f, 0)
    ad.grad(f)(V)
    assert cached_transform(f, 0) is first
    lines = len(linecache.cache)
    g = ad.grad(f)
    g(M)
    assert len(linecache.cache) == lines + 1  # the new variant's source, for tracebacks
    del g
    gc.collect()
    assert cached_transform(f, 0) is first  # the function is alive: so is its transform


def test_a_module_function_rebound_after_the_gradient_was_made(tmp_path):
    # the code applies the rule of the function the name held when the gradient was made
    # (its forward sweep calls that one too: reading the name when it ran gave (1 -
    # sin(x)**2) for tanh's rule once act was np.sin). A call after the name is rebound
    # raises StaleGradient (it gave the gradient of f as it was, not as it is: silently
    # the derivative of another function); ad.grad(f) again differentiates f as it is
    mod = load_module(tmp_path, """
        import numpy as np

        act = np.tanh

        def f(x):
            return np.sum(act(x) * 2.0)
    """)
    x = np.array([0.3, -0.5, 1.2])
    g = ad.grad(mod.f)
    tanh_gradient = 2.0 * (1 - np.tanh(x) ** 2)
    assert_close(g(x), tanh_gradient, 1e-14, 0)
    mod.act = np.sin
    with pytest.raises(ad.StaleGradient, match="'act' no longer holds") as caught:
        g(x)
    assert isinstance(caught.value, ad.TransformError)   # (the one kind of error users see)
    head, line = str(caught.value).splitlines()[:2]   # (at the line reading act, its column)
    assert head.startswith(f"{mod.__file__}:7:19: ") and "act(x)" in line, caught.value
    with pytest.raises(ad.StaleGradient):   # (the fast path for numbers checks it too)
        g(0.3)
    assert_close(ad.grad(mod.f)(x), 2.0 * np.cos(x), 1e-14, 0)   # (made again: sin's)
    assert_grad(mod.f, x)
    mod.act = np.tanh   # (back to what it held: the callable is current again)
    assert_close(g(x), tanh_gradient, 1e-14, 0)


def test_a_module_list_of_functions_changed_after_the_gradient_was_made(tmp_path):
    # ACTS[0](x) and a local list holding a module-level name: the item called is the
    # function it was when the gradient was made, in the forward sweep too; changing the
    # list's item makes a call raise StaleGradient, as does a dict's (ACTS["tanh"] = f)
    mod = load_module(tmp_path, """
        import numpy as np

        ACTS = [np.tanh, np.sin]
        act = np.tanh

        def f(x):
            fs = [np.exp, act]
            return np.sum(ACTS[0](x) * 2.0) + np.sum(fs[-1](x))
    """)
    x = np.array([0.3, -0.5, 1.2])
    g = ad.grad(mod.f)
    made = 3.0 * (1 - np.tanh(x) ** 2)
    assert_close(g(x), made, 1e-14, 0)
    mod.ACTS[0] = np.sin
    with pytest.raises(ad.StaleGradient, match="'ACTS'"):
        g(x)
    mod.act = np.sin
    assert_close(ad.grad(mod.f)(x), 3.0 * np.cos(x), 1e-14, 0)
    assert_grad(mod.f, x)


def test_a_module_dict_of_functions_changed_after_the_gradient_was_made(tmp_path):
    mod = load_module(tmp_path, """
        import numpy as np

        ACTS = {"tanh": np.tanh, "sin": np.sin}

        def f(x, kind="tanh"):
            return np.sum(ACTS[kind](x) * 2.0)
    """)
    x = np.array([0.3, -0.5, 1.2])
    g = ad.grad(mod.f)
    assert_close(g(x, "sin"), 2.0 * np.cos(x), 1e-14, 0)
    mod.ACTS["sin"] = np.cos
    with pytest.raises(ad.StaleGradient, match="'ACTS'"):
        g(x, "sin")
    assert_close(ad.grad(mod.f)(x, "sin"), -2.0 * np.sin(x), 1e-14, 0)   # (made again)


def test_a_global_object_rebound_after_the_gradient_was_made(tmp_path):
    # the code was made for the object (its leaves are read from it): another object, even
    # of its class, is stale; one changed in place is read as it is
    mod = load_module(tmp_path, """
        import numpy as np

        class Scale:
            def __init__(self, k):
                self.k = k

            def apply(self, x):
                return self.k * x

        MODEL = Scale(2.0)

        def f(x):
            return np.sum(MODEL.apply(x) ** 2)
    """)
    x = np.array([0.3, -0.5])
    g = ad.grad(mod.f)
    assert_close(g(x), 8.0 * x, 1e-14, 0)
    mod.MODEL.k = 3.0
    assert_close(g(x), 18.0 * x, 1e-14, 0)
    mod.MODEL = mod.Scale(2.0)
    with pytest.raises(ad.StaleGradient, match="'MODEL'"):
        g(x)
    assert_close(ad.grad(mod.f)(x), 8.0 * x, 1e-14, 0)


def test_a_helper_redefined_under_a_gradient_of_a_gradient(tmp_path):
    # ad.grad(ad.grad(f)): its code was made of grad_f's, which inlined h; redefining h
    # makes both stale, and the fast path's own names (the code it remembers for numbers
    # of each type) never do
    mod = load_module(tmp_path, """
        import numpy as np

        def h(x):
            return x * x * x

        def f(x):
            return h(x) * np.sin(x)
    """)
    g = ad.grad(mod.f)
    gg = ad.grad(g)
    second = lambda x: 6 * x * np.sin(x) + 6 * x ** 2 * np.cos(x) - x ** 3 * np.sin(x)
    for x in (0.3, 1, 0.4, 2):   # (floats and ints: the fast path remembers each)
        assert_close(gg(x), second(x), 1e-12, 1e-14)
        g(x)
    mod.h = mod.np.square
    for made in (g, gg):
        with pytest.raises(ad.StaleGradient, match="'h'"):
            made(0.3)
    again = 2 * np.sin(0.3) + 4 * 0.3 * np.cos(0.3) - 0.3 ** 2 * np.sin(0.3)
    assert_close(ad.grad(ad.grad(mod.f))(0.3), again, 1e-12, 1e-14)
