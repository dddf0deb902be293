"""The source adcompile reads is the code that runs, and lambdas are functions like defs.

- a module's file edited after the import (same signature, other body; lines moved) is
  refused with a TransformError saying so, never differentiated as the new text;
- code whose file is unchanged is never refused, however its names are scoped
  (methods, private names, closures, nested classes, decorators, ``__future__``);
- lambdas bound to names (module helpers, closures) and passed directly are
  differentiated like defs; one whose line changed is refused like a def.
"""

from pathlib import Path

import numpy as np
import pytest

import adcompile as ad
from tests.conftest import assert_grad, load_module

X = np.array([0.3, -0.7, 1.1])


def edit(module, old, new):
    path = Path(module.__file__)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


# ---------------------------------------------------------------------------
# a file changed after the import
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("old, new", [
    ("x * x", "x * x * x"),            # another body, same signature and line
    ("x * x", "x + x"),                # only an operator
    ("np.sin(x)", "np.cos(x)"),        # only a name
    ("2.0", "3.0"),                    # only a constant
    ("return", "y = 1.0\n    return"),  # a line added inside
], ids=["body", "operator", "name", "constant", "line-added"])
def test_a_function_edited_after_import_is_refused(tmp_path, old, new):
    mod = load_module(tmp_path, """
        import numpy as np

        def f(x):
            return x * x + np.sin(x) * 2.0
    """)
    edit(mod, old, new)
    with pytest.raises(ad.TransformError) as info:
        ad.grad(mod.f)
    message = str(info.value)
    assert "changed after it was imported" in message and mod.__file__ in message, message
    assert "reload" in message, message


def test_the_gradient_of_the_running_code_not_of_the_edited_file(tmp_path):
    # the case that gave a silent wrong gradient: 12 (the new x**3) instead of 4 (x**2)
    mod = load_module(tmp_path, "def f(x):\n    return x ** 2\n")
    edit(mod, "x ** 2", "x ** 3")
    with pytest.raises(ad.TransformError, match="changed after it was imported"):
        ad.grad(mod.f)(2.0)
    mod.__spec__.loader.exec_module(mod)   # importlib.reload: now the new code runs
    assert ad.grad(mod.f)(2.0) == pytest.approx(12.0)


def test_an_edited_helper_is_refused_at_the_callers_transformation(tmp_path):
    mod = load_module(tmp_path, """
        def helper(v):
            return v * v

        def f(x):
            return helper(x) + x
    """)
    edit(mod, "v * v", "v * v * v")
    with pytest.raises(ad.TransformError, match="changed after it was imported"):
        ad.grad(mod.f)(2.0)


def test_an_edited_lambda_is_refused(tmp_path):
    mod = load_module(tmp_path, """
        square = lambda z: z * z

        def f(x):
            return square(x) + x
    """)
    edit(mod, "z * z", "z * z * z")
    for func in (mod.square, mod.f):
        with pytest.raises(ad.TransformError, match="changed after it was imported"):
            ad.grad(func)(2.0)


def test_an_edit_elsewhere_in_the_file_changes_nothing(tmp_path):
    mod = load_module(tmp_path, """
        def f(x):
            return x * x

        def g(x):
            return x
    """)
    edit(mod, "return x\n", "return x * 5.0\n")
    assert ad.grad(mod.f)(3.0) == 6.0


# ---------------------------------------------------------------------------
# unchanged files are never refused, however names are scoped
# ---------------------------------------------------------------------------

SCOPES = """
    from __future__ import annotations

    import functools
    import numpy as np
    from numpy import tanh as th


    def plain(x):
        '''A docstring.'''
        return np.sum(th(x) * 2.0)


    REGISTERED = []


    def register(func):
        REGISTERED.append(func)
        return func


    @register
    @functools.lru_cache(maxsize=None)
    def cached(n):
        return n


    @register
    def decorated(x: np.ndarray) -> float:
        return np.sum(x ** 3)


    class Model:
        def __init__(self):
            self.__scale = 1.5
            self.w = np.array([0.5, -1.0, 2.0])

        def __call__(self, x):
            return np.sum(self.__scale * x * self.w)

        def loss(self, x):
            return np.sum(self.__scale * x) + np.sum(x * x)

        @staticmethod
        def static(x):
            return np.sum(np.exp(x))


    def make(scale):
        offset = 0.5

        def closure(x):
            return np.sum(scale * (x + offset) ** 2)
        return closure


    def make_class(power):
        class Local:
            def f(self, x):
                return np.sum(x ** power) + sum([v * v for v in x])
        return Local()


    def with_inner(x):
        def sq(v):
            return v * v
        return np.sum(sq(x) + (lambda v: v * 3.0)(x))
"""


def test_unchanged_code_is_never_taken_for_an_edited_file(tmp_path):
    mod = load_module(tmp_path, SCOPES)
    model = mod.Model()
    assert ad.grad(model)(X) == pytest.approx(1.5 * model.w)
    for func in (mod.plain, mod.decorated, model.loss, mod.Model.static,
                 mod.make(2.0), mod.make_class(3).f, mod.with_inner):
        assert_grad(func, X.copy())


# ---------------------------------------------------------------------------
# lambdas
# ---------------------------------------------------------------------------

LAMBDAS = """
    import numpy as np

    tanh = lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))
    affine = lambda a, w, b=0.5: a * w + b
    first, second = (lambda v: v * v), (lambda v: v * v * v)


    def loss(x, w):
        return np.sum(tanh(affine(x, w)) ** 2)


    def make(scale):
        return lambda x: np.sum(scale * np.sin(x))


    def uses_both(x):
        return np.sum(first(x) + second(x))
"""


def test_lambda_helpers_at_module_level(tmp_path):
    mod = load_module(tmp_path, LAMBDAS)
    w = np.array([1.5, -0.5, 2.0])
    assert_grad(mod.loss, X.copy(), w, wrt=(0, 1))
    assert_grad(mod.uses_both, X.copy())


def test_lambdas_differentiated_directly(tmp_path):
    mod = load_module(tmp_path, LAMBDAS)
    g = ad.grad(mod.tanh)
    assert g.__name__ == "grad_tanh"
    np.testing.assert_allclose(g(0.3), 1.0 - np.tanh(0.3) ** 2, rtol=1e-12)
    # a lambda from a closure, and two lambdas on one line told apart by their code
    assert_grad(mod.make(1.5), X.copy())
    assert ad.grad(mod.first)(2.0) == pytest.approx(4.0)
    assert ad.grad(mod.second)(2.0) == pytest.approx(12.0)
    # second order and forward mode, like a def
    assert ad.grad(ad.grad(mod.second))(2.0) == pytest.approx(12.0)
    value, tangent = ad.jvp(mod.tanh)(0.3, 1.0)
    assert tangent == pytest.approx(1.0 - np.tanh(0.3) ** 2)


def test_a_lambda_written_in_this_file():
    f = lambda x: np.sum(np.sin(x) * x)   # noqa: E731 (the point of the test)
    assert_grad(f, X.copy())
    np.testing.assert_allclose(ad.grad(lambda v: v ** 3)(2.0), 12.0)
    assert_grad(lambda x: np.sum(x ** 2), X.copy())


def test_a_changed_keyword_argument_is_an_edit(tmp_path):
    mod = load_module(tmp_path, """
        def g(x, a=1.0, b=1.0):
            return x * a ** 2 + b

        def f(x):
            return g(x, a=x)
    """)
    edit(mod, "a=x", "b=x")
    with pytest.raises(ad.TransformError, match="changed after it was imported"):
        ad.grad(mod.f)


def test_a_built_module_names_a_lambdas_gradient_after_its_variable(tmp_path):
    mod = load_module(tmp_path, LAMBDAS)
    path = ad.build([mod.tanh, mod.loss], tmp_path / "built_lambdas.py")
    namespace = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    for v in X:
        np.testing.assert_allclose(namespace["grad_tanh"](v), 1.0 - np.tanh(v) ** 2,
                                   rtol=1e-12)
    w = np.array([1.5, -0.5, 2.0])
    np.testing.assert_allclose(namespace["grad_loss"](X, w), ad.grad(mod.loss)(X, w),
                               rtol=1e-12)


def test_a_changed_default_value_is_an_edit(tmp_path):
    # default values are not in the function's code: compared on their own
    mod = load_module(tmp_path, """
        def helper(v, power=2, *, scale=1.5):
            return scale * v ** power

        def f(x):
            return helper(x)
    """)
    edit(mod, "scale=1.5", "scale=2.5")
    for func in (mod.f, mod.helper):
        with pytest.raises(ad.TransformError, match="changed after it was imported"):
            ad.grad(func)(2.0)
