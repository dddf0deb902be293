"""ad.build / `adcompile build`: standalone modules that import without adcompile."""

import inspect
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import adcompile as ad
from tests.samples import lecture

from adcompile.checking import numerical_gradient

ROOT = Path(__file__).resolve().parents[1]


def run_isolated(code, cwd):
    """Run ``code`` in a fresh interpreter that cannot import adcompile."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    script = textwrap.dedent("""
        import importlib.util, sys
        # hide an editable install of adcompile and the source tree
        sys.meta_path = [f for f in sys.meta_path if 'editable' not in str(getattr(f, '__module__', ''))]
        sys.path = [p for p in sys.path if p and not p.startswith(%r)]
        sys.path_importer_cache.clear()
        if importlib.util.find_spec('adcompile') is not None:
            raise SystemExit('adcompile is importable: the test would prove nothing')
        sys.path.insert(0, %r)
    """ % (str(ROOT), str(cwd))) + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-I", "-c", script], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_built_module_imports_and_computes_the_gradient_without_adcompile(tmp_path):
    out = tmp_path / "grads.py"
    ad.build([lecture.f, lecture.least_squares], out, wrt=0)
    text = out.read_text()
    assert "import adcompile" not in text and "from adcompile" not in text
    result = run_isolated("""
        import numpy as np, grads
        print(repr(grads.grad_f(2.0, 3.0)))
        w = np.array([0.5, -1.0]); A = np.arange(6.0).reshape(3, 2); b = np.ones(3)
        print(repr(grads.grad_least_squares(w, A, b).tolist()))
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert float(lines[0]) == pytest.approx(140.0)
    w = np.array([0.5, -1.0])
    A = np.arange(6.0).reshape(3, 2)
    b = np.ones(3)
    expected = numerical_gradient(lecture.least_squares, (w, A, b), 0)
    np.testing.assert_allclose(eval(lines[1]), expected, rtol=1e-6)


WRITES_INTO = """
import numpy as np


def written_into(x, z):
    z[0] = 2.0 * x
    z += x
    return np.sum(z * z)
"""


def test_built_checks_explain_themselves_without_adcompile(tmp_path, monkeypatch):
    """The runtime checks of a built module (``require_float_array(z, "file:line:col:
    z[0] = 2.0 * x")``) carry the explanation they give with them, and give it: an array
    of integers given where a value being differentiated is written is a TypeError at the
    user's line; a floating one gets its gradient."""
    (tmp_path / "writes_into.py").write_text(WRITES_INTO)
    monkeypatch.syspath_prepend(str(tmp_path))
    import writes_into
    try:
        out = ad.build(writes_into.written_into, tmp_path / "g_writes.py")
    finally:
        sys.modules.pop("writes_into", None)
    text = out.read_text()
    assert f"require_float_array(z, '{tmp_path / 'writes_into.py'}:6:5: z[0] = 2.0 * x')" in text
    result = run_isolated("""
        import numpy as np, g_writes
        print(repr(g_writes.grad_written_into(1.5, np.array([1.0, 2.0]))))
        try:
            g_writes.grad_written_into(1.5, np.array([1, 2]))
        except TypeError as error:
            print(error)
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    value, message = result.stdout.strip().splitlines()
    z = np.array([1.0, 2.0])
    expected = numerical_gradient(lambda x: (lambda w: np.sum(w * w))(
        np.array([2.0 * x + x, z[1] + x])), (1.5,), 0)
    assert float(value) == pytest.approx(expected, rel=1e-6)
    assert message.startswith(f"{tmp_path / 'writes_into.py'}:6:5: z[0] = 2.0 * x writes a "
                              f"value being differentiated into an array of integers"), message


def test_built_module_matches_ad_grad_for_tuple_wrt(tmp_path):
    out = tmp_path / "g2.py"
    ad.build(lecture.graph, out, wrt=(0, 1, 2))
    result = run_isolated("import g2; print(g2.grad_graph(1.0, 2.0, 0.0))", tmp_path)
    assert result.returncode == 0, result.stderr
    assert eval(result.stdout) == ad.grad(lecture.graph, wrt=(0, 1, 2))(1.0, 2.0, 0.0) == (2, 5, 0)


def test_build_writes_math_and_shadowed_names_correctly(tmp_path):
    out = tmp_path / "g3.py"
    ad.build([lecture.scalar_math, lecture.np_shadow], out)
    result = run_isolated("import g3; print(g3.grad_scalar_math(0.7)); print(g3.grad_np_shadow(2.0))",
                          tmp_path)
    assert result.returncode == 0, result.stderr
    got = [float(v) for v in result.stdout.split()]
    assert got[0] == pytest.approx(numerical_gradient(lecture.scalar_math, (0.7,), 0), rel=1e-7)
    assert got[1] == pytest.approx(12.0)


def test_build_writes_a_helper_renamed_beside_an_adjoint_of_its_name(tmp_path):
    # (r_bar, the adjoint of np.r_, is r_rule_bar where the code's r has the adjoint r_bar)
    out = tmp_path / "g4.py"
    ad.build(lecture.residual_and_join, out)
    assert "r_rule_bar" in out.read_text()
    x = np.array([0.3, -0.7, 1.1])
    result = run_isolated(f"import g4, numpy as np; print(list(g4.grad_residual_and_join("
                          f"np.array({x.tolist()}))))", tmp_path)
    assert result.returncode == 0, result.stderr
    assert np.allclose(eval(result.stdout), numerical_gradient(lecture.residual_and_join, (x,), 0))


def test_build_refuses_to_overwrite_a_file_it_did_not_write(tmp_path):
    target = tmp_path / "mine.py"
    target.write_text("precious = 1\n")
    with pytest.raises(ValueError, match="not written by adcompile"):
        ad.build(lecture.f, target)
    assert target.read_text() == "precious = 1\n"
    ad.build(lecture.f, target, force=True)
    assert "def grad_f" in target.read_text()


def test_build_overwrites_its_own_output(tmp_path):
    target = tmp_path / "g.py"
    ad.build(lecture.f, target)
    ad.build(lecture.graph, target)
    assert "def grad_graph" in target.read_text()
    assert "def grad_f" not in target.read_text()


def test_build_into_an_unwritable_place_is_a_clear_error(tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("")
    with pytest.raises(ValueError, match="cannot write"):
        ad.build(lecture.f, blocker / "g.py")
    assert blocker.read_text() == ""


def test_build_of_an_unsupported_function_writes_nothing(tmp_path):
    target = tmp_path / "g.py"
    with pytest.raises(ad.TransformError):
        ad.build(lecture.unsupported, target)
    assert not target.exists()


def test_built_loop_calling_a_helper_from_another_module(tmp_path):
    rng = np.random.default_rng(3)
    W, U = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(3, 2))
    h, xs = rng.normal(size=3), rng.normal(size=(4, 2))
    ad.build(lecture.rnn_with_helper, tmp_path / "g4.py", wrt=(0, 1))
    np.savez(tmp_path / "args.npz", W=W, U=U, h=h, xs=xs)
    result = run_isolated("""
        import numpy as np, g4
        a = np.load('args.npz')
        gW, gU = g4.grad_rnn_with_helper(a['W'], a['U'], a['h'], a['xs'])
        np.savez('out.npz', gW=gW, gU=gU)
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    out = np.load(tmp_path / "out.npz")
    gW, gU = out["gW"], out["gU"]
    np.testing.assert_allclose(gW, numerical_gradient(lecture.rnn_with_helper, (W, U, h, xs), 0),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gU, numerical_gradient(lecture.rnn_with_helper, (W, U, h, xs), 1),
                               rtol=1e-6, atol=1e-8)


def test_built_gradient_takes_the_functions_arguments_and_out_bar_by_keyword(tmp_path):
    ad.build([lecture.f, lecture.least_squares], tmp_path / "g5.py", wrt=0)
    text = (tmp_path / "g5.py").read_text()
    assert "def grad_f(x, y, *, out_bar=1.0):" in text
    result = run_isolated("""
        import numpy as np, g5
        def outcome(call):
            try:
                return repr(call())
            except TypeError as exc:
                return "TypeError"
        print(outcome(lambda: g5.grad_f(2.0, 3.0, 4.0)))        # once a seed: 4 x 140
        print(outcome(lambda: g5.grad_f(2.0)))
        print(outcome(lambda: g5.grad_f(2.0, 3.0, z=1.0)))
        print(outcome(lambda: g5.grad_f(2.0, 3.0, x=1.0)))
        print(outcome(lambda: g5.grad_f(2.0, 3.0, out_bar=0.5)))
        print(outcome(lambda: g5.grad_f(y=3.0, x=2.0)))
        w = np.array([0.5, -1.0]); A = np.arange(6.0).reshape(3, 2); b = np.ones(3)
        print(outcome(lambda: g5.grad_least_squares(w, A, b, 1.0)))
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["TypeError", "TypeError", "TypeError", "TypeError",
                                     "70.0", "140.0", "TypeError"]


NON_SCALAR = '''
import numpy as np


def doubled(x):
    return x * 2.0


def first_of(x):
    return np.array([x.sum()])


def loss(x):
    return np.sum(x * x)
'''


def test_built_gradient_of_a_non_scalar_value_is_a_value_error(tmp_path, monkeypatch):
    # ad.grad raises ValueError for these; the built gradient did return the gradient of
    # the sum of the entries (doubled) or fail in its reverse sweep (first_of: AxisError)
    (tmp_path / "vector_valued.py").write_text(NON_SCALAR)
    monkeypatch.syspath_prepend(str(tmp_path))
    import vector_valued
    try:
        ad.build([vector_valued.doubled, vector_valued.first_of, vector_valued.loss],
                 tmp_path / "g6.py")
    finally:
        sys.modules.pop("vector_valued", None)
    result = run_isolated("""
        import numpy as np, g6
        def outcome(call):
            try:
                return repr(np.asarray(call()).tolist()).replace(" ", "")
            except Exception as exc:
                return type(exc).__name__ + ("(scalar)" if "scalar" in str(exc) else "")
        x = np.array([1.0, 2.0, 3.0])
        print(outcome(lambda: g6.grad_doubled(x)))
        print(outcome(lambda: g6.grad_doubled(x, out_bar=np.array([1.0, 0.0, -1.0]))))
        print(outcome(lambda: g6.grad_doubled(x, out_bar=np.ones(2))))
        print(outcome(lambda: g6.grad_doubled(1.5)))
        print(outcome(lambda: g6.grad_first_of(x)))
        print(outcome(lambda: g6.grad_first_of(x, out_bar=np.array([2.0]))))
        print(outcome(lambda: g6.grad_first_of(np.ones(1))))
        print(outcome(lambda: g6.grad_loss(x)))
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "ValueError(scalar)", "[2.0,0.0,-2.0]", "ValueError(scalar)", "2.0",
        "ValueError(scalar)", "[2.0,2.0,2.0]", "ValueError(scalar)", "[2.0,4.0,6.0]"]


STRUCTURED = '''
import numpy as np


def unpacked(params, x):
    W, b = params
    return np.sum(np.tanh(W @ x + b) ** 2)


def indexed(params, x):
    return np.sum(np.tanh(params[0] @ x + params[1]) ** 2)


def layered(layers, x):
    for W, b in layers:
        x = np.tanh(W @ x + b)
    return np.sum(x ** 2)
'''


def _built(tmp_path, monkeypatch, name, funcs, **options):
    """The module ``ad.build`` writes for ``funcs`` (names in STRUCTURED), imported, and
    the functions."""
    (tmp_path / "structured.py").write_text(STRUCTURED)
    monkeypatch.syspath_prepend(str(tmp_path))
    import structured
    try:
        ad.build([getattr(structured, f) for f in funcs], tmp_path / f"{name}.py", **options)
        module = __import__(name)
    finally:
        sys.modules.pop("structured", None)
        sys.modules.pop(name, None)
    return module, structured


def test_built_without_args_a_structure_argument_is_a_type_error(tmp_path, monkeypatch):
    """Without args=, the built gradient takes a differentiated argument as an array or a
    number; a tuple or list there made an array of its items (NumPy's error, or an array
    for ad.grad's tuple): a TypeError saying to build with args=, naming the line that
    reads it as a structure where the function has one. Arrays get their gradient."""
    built, structured = _built(tmp_path, monkeypatch, "g_structured",
                               ["unpacked", "indexed", "layered"])
    rng = np.random.default_rng(4)
    W, b, x = rng.normal(size=(2, 3)), rng.normal(size=2), rng.normal(size=3)
    source = str(tmp_path / "structured.py")
    for call, line in [(lambda: built.grad_unpacked((W, b), x), "6:5: 'W, b = params'"),
                       (lambda: built.grad_indexed([W, b], x), None),
                       (lambda: built.grad_layered([(W, b)], x),
                        "15:5: 'for W, b in layers:'")]:
        with pytest.raises(TypeError, match="built .*without args=.* Build it with args="
                           ) as found:
            call()
        assert (f"{source}:{line} reads it as a structure" in str(found.value)) \
            == (line is not None), found.value
    # a matrix unpacked into its rows, or indexed, is an array: its gradient
    P, x2 = rng.normal(size=(2, 2)), rng.normal(size=2)
    for name in ("unpacked", "indexed"):
        expected = numerical_gradient(getattr(structured, name), (P, x2), 0)
        np.testing.assert_allclose(getattr(built, f"grad_{name}")(P, x2), expected, rtol=1e-6)


def test_built_with_args_takes_the_structure_they_have(tmp_path, monkeypatch):
    rng = np.random.default_rng(5)
    layers = [(rng.normal(size=(2, 3)), rng.normal(size=2)),
              (rng.normal(size=(2, 2)), rng.normal(size=2))]
    x = rng.normal(size=3)
    built, structured = _built(tmp_path, monkeypatch, "g_layers", ["layered"],
                               args=(layers, x))
    got, expected = built.grad_layered(layers, x), ad.grad(structured.layered)(layers, x)
    assert isinstance(got, list) and [type(layer) for layer in got] == [tuple, tuple]
    for mine, theirs in zip(got, expected):
        for a, e in zip(mine, theirs):
            np.testing.assert_allclose(a, e, rtol=1e-12)


def test_each_runtime_helper_runs_from_its_copied_source():
    # a built module holds the source of the helpers it calls and of the helpers those call
    # (standalone._helper_closure), and the texts they read (_helper_texts): that must define
    # every global the helper reads, so none may read another constant or import of its
    # module than np
    import builtins
    import dis
    from adcompile import runtime
    from adcompile.backend.standalone import _helper_closure, _helper_texts

    def globals_read(code):
        found = {i.argval for i in dis.get_instructions(code)
                 if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
        for const in code.co_consts:
            if hasattr(const, "co_code"):
                found |= globals_read(const)
        return found

    for name in runtime.HELPERS:
        namespace = {"np": np, **_helper_texts(_helper_closure(name))}
        for helper in _helper_closure(name):
            exec(textwrap.dedent(inspect.getsource(runtime.HELPERS[helper])), namespace)
        missing = {g for g in globals_read(namespace[name].__code__)
                   if g not in namespace and not hasattr(builtins, g)}
        assert not missing, f"runtime.{name} reads {missing}, which a built module lacks"


# ---------------------------------------------------------------------------
# the file a build writes: its mode, its imports, linters
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_built_module_has_the_mode_the_umask_gives(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = ad.build(lecture.f, tmp_path / "g.py")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert [p.name for p in tmp_path.iterdir()] == ["g.py"]   # no temporary file left


def test_rebuilding_keeps_the_mode_of_the_module(tmp_path):
    path = ad.build(lecture.f, tmp_path / "g.py")
    path.chmod(0o640)
    ad.build(lecture.graph, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_built_module_imports_math_only_when_it_reads_it(tmp_path):
    plain = ad.build(lecture.f, tmp_path / "plain.py").read_text()
    assert "import math" not in plain and "import numpy as np" in plain
    with_math = ad.build(lecture.scalar_math, tmp_path / "with_math.py").read_text()
    assert "import math\n" in with_math and "math." in with_math.split("import math", 1)[1]


def test_primitive_of_a_module_loaded_from_its_path_is_imported_by_the_files_name(tmp_path):
    # spec_from_file_location under a name no import finds (what `adcompile build
    # FILE.py:FUNC` does): the built module imports the file by its name, packages included
    import importlib.util
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "prims.py").write_text(PRIMS_FOR_BUILD)
    spec = importlib.util.spec_from_file_location("_loaded_by_path", tmp_path / "pkg" / "prims.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        text = ad.build(module.h, tmp_path / "g7.py").read_text()
        assert "from pkg.prims import sigmoid" in text and "_loaded_by_path" not in text
        # written where neither the folder nor sys.path finds pkg: refused, nothing written
        (tmp_path / "elsewhere").mkdir()
        with pytest.raises(ValueError, match="sigmoid.*sys.path"):
            ad.build(module.h, tmp_path / "elsewhere" / "g7.py")
        assert not (tmp_path / "elsewhere" / "g7.py").exists()
    finally:
        sys.modules.pop(spec.name, None)
    result = run_isolated("import numpy as np, g7; print(float(g7.grad_h(0.0)))", tmp_path)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) == pytest.approx(0.5)


PRIMS_FOR_BUILD = '''
import numpy as np

try:
    import adcompile as ad
except ImportError:   # the built module imports sigmoid where adcompile is not installed
    ad = None


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


if ad is not None:
    sigmoid = ad.primitive(shape="elementwise")(sigmoid)

    @sigmoid.adjoint
    def _(y, x):
        x_bar += y_bar * y * (1.0 - y)  # noqa: F821


def h(w):
    return np.sum(sigmoid(w) * w)
'''


def _built_modules(tmp_path):
    """Modules built from the samples: numbers, arrays, math, a shadowed np, a helper of
    another module, several functions in one, a primitive of a file beside the module."""
    import importlib.util
    paths = [ad.build(f, tmp_path / f"b_{f.__name__}.py")
             for f in (lecture.f, lecture.least_squares, lecture.scalar_math, lecture.np_shadow,
                       lecture.rnn_with_helper)]
    paths.append(ad.build([lecture.f, lecture.graph], tmp_path / "b_two.py", wrt=0))
    (tmp_path / "prims.py").write_text(PRIMS_FOR_BUILD)
    spec = importlib.util.spec_from_file_location("_prims_by_path", tmp_path / "prims.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        paths.append(ad.build(module.h, tmp_path / "b_prims.py"))
    finally:
        sys.modules.pop(spec.name, None)
    return paths


def test_built_modules_compile_and_pyflakes_finds_nothing(tmp_path):
    paths = _built_modules(tmp_path)
    for path in paths:
        compile(path.read_text(), str(path), "exec")
    pytest.importorskip("pyflakes", reason="pyflakes is not installed (an optional check)")
    result = subprocess.run([sys.executable, "-m", "pyflakes", *map(str, paths)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def _ruff():
    import shutil
    found = shutil.which("ruff")
    if found:
        return [found]
    try:
        import ruff  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-m", "ruff"]


def test_ruff_finds_nothing_in_built_modules(tmp_path):
    ruff = _ruff()
    if ruff is None:
        pytest.skip("ruff is not installed (an optional tool)")
    paths = _built_modules(tmp_path)
    # --isolated: ruff's default rules (isort's import order among them), whatever the
    # configuration of the folders above; the built modules' folder is the project
    result = subprocess.run([*ruff, "check", "--isolated", "--no-cache",
                             *[p.name for p in paths]],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


CHECKED = """
import numpy as np


def through_atleast_2d(x):
    y = x * 1.0
    z = np.atleast_2d(y)
    z[0, 1] = x[0] ** 3
    return np.sum(y * x)


def one_array_twice_in_a_list(x):
    params = [x * 1.0, x * 2.0]
    params[1] = params[0]
    for i in range(2):
        params[i] *= 1.5
    return np.sum(params[0]) + np.sum(params[1])


def changes_its_argument(w, a, b):
    a[0] = 5.0
    return np.sum(w * b)


def diffuse(u, rate):
    u *= 1.0 - rate


def diffused(x):
    t = x * 2.0
    diffuse(t, 0.1)
    return np.sum(t * x)


def padded(x, mode):
    return np.sum(np.pad(x, 1, mode=mode) ** 2)
"""


def test_built_checks_of_shared_arrays_explain_themselves_without_adcompile(tmp_path,
                                                                          monkeypatch):
    """The checks that name only the user's place, statement and names
    (``require_immutable``, ``require_sole_item``, ``require_unshared``, ``require_ndarray``,
    ``require_supported``) give in a built module the errors ``ad.grad`` gives."""
    (tmp_path / "checked.py").write_text(CHECKED)
    monkeypatch.syspath_prepend(str(tmp_path))
    import checked
    calls = {"through_atleast_2d": "np.arange(3.0)", "one_array_twice_in_a_list":
             "np.arange(3.0)", "changes_its_argument": "w, b, b", "diffused": "0.3",
             "padded": "np.arange(3.0), 'linear_ramp'"}
    try:
        functions = [getattr(checked, name) for name in calls]
        ad.build(functions, tmp_path / "g_checked.py", wrt=0)
        w, b = np.ones(3), np.arange(3.0)
        expected = []
        for f, args in zip(functions, [(b,), (b,), (w, b, b), (0.3,), (b, "linear_ramp")]):
            with pytest.raises((TypeError, ValueError)) as caught:
                ad.grad(f)(*args)
            expected.append(f"{type(caught.value).__name__}: {caught.value}")
    finally:
        sys.modules.pop("checked", None)
    result = run_isolated("""
        import numpy as np, g_checked
        w, b = np.ones(3), np.arange(3.0)
        for name, args in %r.items():
            try:
                getattr(g_checked, "grad_" + name)(*eval(args + ","))
                print("no error")
            except (TypeError, ValueError) as error:
                print(repr(f"{type(error).__name__}: {error}"))
    """ % calls, tmp_path)
    assert result.returncode == 0, result.stderr
    got = [eval(line) for line in result.stdout.strip().splitlines()]
    assert got == expected
    assert all(str(tmp_path / "checked.py") in e for e in expected)
