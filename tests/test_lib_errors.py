"""A refusal inside an installed library's code (a function adcompile inlines because it has
no rule, such as a scipy or sklearn function written in Python) is shown at the user's line
that called into the library, with the library's places under it (``inside``), the
user's own callers (``called from``), and a hint to give the library function a rule."""

import importlib
import inspect
import sys
import textwrap

import numpy as np
import pytest

import adcompile as ad

lib = None   # the library the functions below call: set by the tests

LIBRARY = '''
    import numpy as np


    def _prepare(x):
        try:
            return np.asarray(x)
        except TypeError:
            return x


    def energy(x):
        x = _prepare(x)
        return np.sum(x ** 2)


    def smooth(x):
        return np.ediff1d(x)


    def smoothed_energy(x):
        return np.sum(smooth(x) ** 2)


    def first_times_third(*args):
        return args[0] * args[2]


    def variadic_energy(x):
        return np.sum(first_times_third(x, x))
'''


@pytest.fixture
def fakelib(tmp_path, monkeypatch):
    """A module installed in a site-packages folder, imported anew for each test."""
    folder = tmp_path / "site-packages"
    folder.mkdir()
    (folder / "fakelib.py").write_text(textwrap.dedent(LIBRARY))
    monkeypatch.syspath_prepend(str(folder))
    sys.modules.pop("fakelib", None)
    module = importlib.import_module("fakelib")
    monkeypatch.setitem(globals(), "lib", module)   # the name the functions below call it by
    yield module
    sys.modules.pop("fakelib", None)


def line_of(f, text):
    lines, start = inspect.getsourcelines(f)
    return start + next(i for i, line in enumerate(lines) if text in line)


def library_line(module, text):
    return 1 + next(i for i, line in enumerate(inspect.getsource(module).splitlines())
                    if text in line)


def loss(x):
    return lib.energy(x) * 2.0


def outer(x):
    return loss(x) + 1.0


def convolving(x):
    y = lib.smoothed_energy(x)
    return y


def test_a_refusal_in_a_library_is_shown_at_the_users_call(fakelib):
    with pytest.raises(ad.TransformError) as caught:
        ad.grad(outer)(np.ones(3))
    error = caught.value
    here = inspect.getsourcefile(loss)
    assert (error.filename, error.lineno) == (here, line_of(loss, "lib.energy("))
    lines = str(error).splitlines()
    assert lines[0].startswith(f"{here}:{line_of(loss, 'lib.energy(')}:12: lib.energy() has no "
                               f"adjoint rule, and adcompile cannot differentiate its code: a "
                               f"try statement cannot be differentiated")
    assert lines[1].strip() == "return lib.energy(x) * 2.0"
    library = fakelib.__file__
    inside = [line for line in lines if line.startswith("  inside ")]
    assert inside == [
        f"  inside {library}:{library_line(fakelib, 'try:')}:5: try:",
        f"  inside {library}:{library_line(fakelib, 'x = _prepare(x)')}:9 in energy: "
        f"x = _prepare(x)"]
    assert [line for line in lines if line.startswith("  called from ")] == [
        f"  called from {here}:{line_of(outer, 'loss(x)')}:12 in outer: "
        f"return loss(x) + 1.0"]
    assert lines[-1] == ("hint: give lib.energy a rule with ad.adjoint_rule(lib.energy) or "
                         "ad.primitive (README: 'Your own primitives')")


def test_the_hint_works(fakelib):
    with pytest.raises(ad.TransformError, match=r"lib\.smoothed_energy\(\) has no adjoint "
                                                r"rule, and adcompile cannot differentiate "
                                                r"its code: call to 'np.ediff1d'"):
        ad.grad(convolving)(np.ones(3))

    @ad.adjoint_rule(fakelib.smoothed_energy)
    def _(y, x):
        x_bar += y_bar * np.convolve(-2.0 * lib.smooth(x), np.array([1.0, -1.0]))  # noqa: F821

    x = np.array([0.3, -1.0, 2.0])
    ad.check_grad(convolving, x)


def test_a_module_of_the_users_own_is_shown_where_it_refuses(tmp_path, monkeypatch):
    # not an installed library: the place in the user's module is the one to change
    (tmp_path / "own_helpers.py").write_text(textwrap.dedent(LIBRARY))
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("own_helpers", None)
    own = importlib.import_module("own_helpers")
    monkeypatch.setitem(globals(), "lib", own)
    try:
        with pytest.raises(ad.TransformError) as caught:
            ad.grad(loss)(np.ones(3))
        error = caught.value
        assert (error.filename, error.lineno) == (own.__file__, library_line(own, "try:"))
        assert not error.inside
        assert [c[3] for c in error.callers] == ["energy", "loss"]
    finally:
        sys.modules.pop("own_helpers", None)


def variadic_loss(x):
    return lib.variadic_energy(x) + 1.0


def test_a_refusal_binding_star_args_is_in_the_callees_file(fakelib, tmp_path, monkeypatch):
    # (a regression: args[2] of a call passing two was shown in the caller's file, at the
    # callee's line number)
    with pytest.raises(ad.TransformError, match="args\\[2\\] is out of range") as caught:
        ad.grad(variadic_loss)(np.ones(3))
    error = caught.value
    here = inspect.getsourcefile(variadic_loss)
    assert (error.filename, error.lineno) == (here, line_of(variadic_loss, "lib.variadic_energy("))
    assert str(error).splitlines()[0].startswith(f"{here}:{error.lineno}:12: "
                                                 f"lib.variadic_energy() has no adjoint rule")
    assert [place[:2] for place in error.inside] == [
        (fakelib.__file__, library_line(fakelib, "return args[0] * args[2]")),
        (fakelib.__file__, library_line(fakelib, "first_times_third(x, x)"))]
    # in a module of the user's own: at the callee's line, in its file
    (tmp_path / "own_variadic.py").write_text(textwrap.dedent(LIBRARY))
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("own_variadic", None)
    own = importlib.import_module("own_variadic")
    monkeypatch.setitem(globals(), "lib", own)
    try:
        with pytest.raises(ad.TransformError) as caught:
            ad.grad(variadic_loss)(np.ones(3))
        error = caught.value
        line = library_line(own, "return args[0] * args[2]")
        col = inspect.getsource(own).splitlines()[line - 1].index("args[2]")
        assert (error.filename, error.lineno, error.col) == (own.__file__, line, col)
        assert str(error).splitlines()[1].strip() == "return args[0] * args[2]"
        assert [c[3] for c in error.callers] == ["variadic_energy", "variadic_loss"]
    finally:
        sys.modules.pop("own_variadic", None)


def rosenbrock(x):
    return scipy_optimize.rosen(x) * 0.5


def entropy_loss(p):
    return scipy_stats.entropy(p)


def test_a_scipy_function_reading_star_args():
    global scipy_stats
    scipy_stats = pytest.importorskip("scipy.stats")
    with pytest.raises(ad.TransformError, match="out of range") as caught:
        ad.grad(entropy_loss)(np.array([0.2, 0.3, 0.5]))
    error = caught.value
    assert (error.filename, error.lineno) == (__file__, line_of(entropy_loss, "entropy("))
    assert error.inside and all("scipy" in place[0] for place in error.inside)
    assert "ad.adjoint_rule(scipy_stats.entropy)" in error.hint


def test_a_scipy_function_without_a_rule():
    global scipy_optimize
    scipy_optimize = pytest.importorskip("scipy.optimize")
    with pytest.raises(ad.TransformError) as caught:
        ad.grad(rosenbrock)(np.array([0.5, 1.2, -0.3]))
    error = caught.value
    assert (error.filename, error.lineno) == (__file__, line_of(rosenbrock, "rosen("))
    assert str(error).splitlines()[0].endswith("(in its code)")
    assert error.inside and all("scipy" in place[0] for place in error.inside)
    assert "ad.adjoint_rule(scipy_optimize.rosen)" in error.hint
