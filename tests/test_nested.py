"""Nested functions, lambdas, functions passed as arguments, and *args/**kwargs (issue 15).

A ``def`` or ``lambda`` inside the differentiated function (or inside a helper it calls)
is inlined where it is called, reading the enclosing function's variables when it is
called (late binding, as Python does); one passed to a function of the user's is inlined
where that function calls it; a helper's ``*args`` and ``**kwargs`` are bound to each
call's arguments. Gradients are checked against central finite differences (and forward
mode along random tangents: conftest.assert_grad), against autograd running the same
source, and against closed forms where the values matter (late binding); what cannot be
inlined is refused with file:line and a way out.
"""

import importlib.util
import inspect
import re
import textwrap

import numpy as np
import pytest
from conftest import assert_close, assert_grad

import adcompile as ad

autograd = pytest.importorskip("autograd")
import autograd.numpy as anp

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

HERE = __file__
with open(HERE, encoding="utf-8") as _fh:
    LINES = _fh.read().splitlines()
MARK = "# ERR:"

RNG = np.random.default_rng(15)


def twin(f, *helpers):
    """``f`` run by autograd: its source (and its helpers') executed again with ``np`` being
    ``autograd.numpy``."""
    namespace = {"np": anp}
    for g in helpers + (f,):
        exec(textwrap.dedent(inspect.getsource(g)), namespace)
    return namespace[f.__name__]


def assert_matches_autograd(f, args, wrt, *helpers):
    """ad.grad equals autograd.grad of the twin, for each index in ``wrt``."""
    ours = ad.grad(f, wrt=wrt)(*args)
    for index, g in zip(wrt, ours):
        reference = autograd.grad(twin(f, *helpers), index)(*args)
        assert_close(g, reference, 1e-9, 1e-12, f"d{f.__name__}/d(arg {index}) vs autograd")


def body_of(source):
    """The generated code without its def line and docstring."""
    return "\n".join(source.strip().splitlines()[2:])


# ---------------------------------------------------------------------------
# nested functions
# ---------------------------------------------------------------------------

def rnn_loss(W, U, b, h0, xs):
    def step(h, x):
        return np.tanh(W @ h + U @ x + b)
    h = h0
    for x in xs:
        h = step(h, x)
    return np.sum(h * h)


def rnn_args():
    return (RNG.normal(size=(3, 3)) * 0.5, RNG.normal(size=(3, 2)), RNG.normal(size=3),
            RNG.normal(size=3), [RNG.normal(size=2) for _ in range(4)])


def test_rnn_step_closure():
    args = rnn_args()
    grads = assert_grad(rnn_loss, *args, wrt=(0, 1, 2, 3), keywords=False)
    assert [g.shape for g in grads] == [(3, 3), (3, 2), (3,), (3,)]
    assert all(g.dtype == np.float64 for g in grads)
    assert_matches_autograd(rnn_loss, args, (0, 1, 2, 3))


def test_rnn_generated_code_is_the_inlined_step():
    code = body_of(ad.show(rnn_loss, wrt=("W", "U", "b")))
    assert not re.search(r"\bstep\b", code) and "def " not in code
    assert "np.tanh(" in code and "for " in code
    # the closure's variables are read as they are, not copied into the loop
    assert not re.search(r"\bW_\d", code) and not re.search(r"\bb_\d", code)


def two_calls(x, w):
    def scaled(a, p=2):
        return w * a ** p
    return scaled(x) + scaled(x, 3) + scaled(2.0, p=1)


def test_nested_def_called_several_times_with_defaults():
    assert_grad(two_calls, 0.7, -1.3, wrt=(0, 1))
    gx, gw = ad.grad(two_calls, wrt=(0, 1))(0.7, -1.3)
    assert gx == pytest.approx(-1.3 * (2 * 0.7 + 3 * 0.7 ** 2))
    assert gw == pytest.approx(0.7 ** 2 + 0.7 ** 3 + 2.0)


def late_binding(x):
    c = x
    def times_c(a):
        return a * c
    y = times_c(1.0)
    c = x * x
    return y + times_c(1.0)


def late_binding_in_loop(x):
    c = 1.0
    y = 0.0
    def times_c(a):
        return a * c
    for i in range(3):
        y = y + times_c(x)
        c = c * x
    return y


def test_a_closure_reads_the_variable_when_it_is_called():
    # Python reads c at the call: x + x^2, then x + x^2 + x^3
    assert ad.grad(late_binding)(1.5) == pytest.approx(1.0 + 2 * 1.5)
    assert ad.grad(late_binding_in_loop)(1.5) == pytest.approx(1 + 2 * 1.5 + 3 * 1.5 ** 2)
    assert_grad(late_binding, 1.5)
    assert_grad(late_binding_in_loop, 0.8)


def mlp(x, W1, W2):
    def layer(a, W):
        return np.tanh(W @ a)
    def model(a):
        return layer(layer(a, W1), W2)
    return np.sum(model(x) ** 2)


def nested_twice(x, w):
    def outer(a):
        def inner(b):
            return b * w
        return inner(a) * a
    return outer(x) + outer(w)


def rk4_with_its_right_hand_side_in_the_loop(k, y0, h):
    y = np.array([y0, 0.0])
    for _ in range(5):
        f = lambda u: np.array([u[1], -k * u[0]])
        k1 = f(y)
        k2 = f(y + h / 2 * k1)
        k3 = f(y + h / 2 * k2)
        k4 = f(y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y[0]


def reads_its_free_names_when_called(x):
    y, scale = 0.0, 1.0
    for i in range(3):
        def term(z):
            return np.sin(z * scale) * (i + 1)
        scale = scale * x        # after the def: the call reads the new scale, as Python's
        if i > 0:
            y = y + term(x)
    return y


def test_functions_defined_at_the_top_of_a_loop_body():
    ad.check_grad(rk4_with_its_right_hand_side_in_the_loop, 2.0, 1.0, 0.1, wrt=(0, 1, 2))
    for x in (0.7, -1.2):
        ad.check_grad(reads_its_free_names_when_called, x)

    def as_written(x):   # the same, the function's body written where it is called
        y, scale = 0.0, 1.0
        for i in range(3):
            scale = scale * x
            if i > 0:
                y = y + anp.sin(x * scale) * (i + 1)
        return y

    import autograd
    assert ad.grad(reads_its_free_names_when_called)(0.7) \
        == pytest.approx(autograd.grad(as_written)(0.7), rel=1e-12)


def test_nested_functions_calling_each_other():
    args = (RNG.normal(size=3), RNG.normal(size=(4, 3)), RNG.normal(size=(2, 4)))
    assert_grad(mlp, *args, wrt=(0, 1, 2))
    assert_matches_autograd(mlp, args, (0, 1, 2))
    assert_grad(nested_twice, 0.7, -1.3, wrt=(0, 1))


def helper_with_inner(v, k):
    def inner(a):
        return np.sin(a) * k
    return inner(v) + inner(2.0 * v)


def calls_helper_with_inner(x, k):
    return helper_with_inner(x, k) * x


def make_closure(scale):
    def f(x):
        def g(a):
            return a * scale
        return g(x) * x
    return f


def test_nested_def_in_a_helper_and_in_a_closure():
    assert_grad(calls_helper_with_inner, 0.4, 1.7, wrt=(0, 1))
    f = make_closure(3.0)   # the nested def reads a variable of the function that made f
    assert ad.grad(f)(2.0) == pytest.approx(12.0)


def nested_inactive(x, n):
    def count(k):
        return k + 1
    m = count(n)
    s = 0.0
    for i in range(m):
        s = s + x * count(i)
    return s


def nested_in_condition(x):
    def positive(a):
        return a > 0
    if positive(x):
        y = x * x
    else:
        y = -x
    return y


def nested_pair(x):
    def both(a):
        return a * 2.0, np.exp(a)
    p, q = both(x)
    return p * q


def test_nested_calls_whose_results_are_not_differentiated():
    assert ad.grad(nested_inactive)(0.5, 3) == pytest.approx(1 + 2 + 3 + 4)
    assert ad.grad(nested_in_condition)(1.5) == pytest.approx(3.0)
    assert ad.grad(nested_in_condition)(-1.5) == pytest.approx(-1.0)
    assert_grad(nested_pair, 0.3)


def test_second_order_and_forward_mode_through_nested_functions():
    x = RNG.normal(size=3)
    W1, W2 = RNG.normal(size=(4, 3)), RNG.normal(size=(2, 4))
    H = ad.hessian(mlp)(x, W1, W2)
    reference = autograd.hessian(twin(mlp))(x, W1, W2)
    assert H.shape == (3, 3)
    assert_close(H, reference, 1e-8, 1e-10, "hessian of mlp")
    value, dot = ad.jvp(mlp)(x, W1, W2, np.ones(3))
    assert value == pytest.approx(mlp(x, W1, W2))
    assert dot == pytest.approx(float(np.sum(autograd.grad(twin(mlp))(x, W1, W2))))
    second = ad.grad(ad.grad(late_binding_in_loop))(0.8)
    assert second == pytest.approx(2 + 6 * 0.8)


def test_built_module_of_a_nested_function_imports_alone(tmp_path):
    path = tmp_path / "built_rnn.py"
    ad.build(rnn_loss, str(path), wrt=(0, 1))
    spec = importlib.util.spec_from_file_location("built_rnn", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    args = rnn_args()
    for g, expected in zip(module.grad_rnn_loss(*args), ad.grad(rnn_loss, wrt=(0, 1))(*args)):
        assert_close(g, expected, 1e-12, 1e-12, "built module")


# ---------------------------------------------------------------------------
# lambdas and functions passed as arguments
# ---------------------------------------------------------------------------

def apply(g, v):
    return g(v)


def apply_twice(g, v):
    return apply(g, g(v))


def cube(v):
    return v ** 3


def named_lambda(x):
    sq = lambda a: a * a * x
    return sq(x) + sq(2.0)


def lambdas_passed(x, w):
    return apply(lambda a: a * w, x) + apply_twice(lambda a: np.sin(a) * w, x) \
        + (lambda a: a * a)(x)


def functions_passed(x):
    return apply(np.sin, x) + apply(np.exp, 2.0 * x) + apply_twice(np.tanh, x) + apply(cube, x)


def nested_passed(x, w):
    def g(a):
        return a * w
    y = 0.0
    for i in range(3):
        y = y + apply_twice(g, x)
    return y


def apply_inside(x):
    def double(a):
        return a * 2.0
    def plus_one(a):
        return apply(double, a) + 1.0   # apply, inlined in apply: not recursion
    return apply(plus_one, x) * x


def test_a_function_given_a_function_that_calls_it_again():
    assert ad.grad(apply_inside)(0.7) == pytest.approx(4 * 0.7 + 1.0)
    assert_grad(apply_inside, 0.7)


def test_lambdas():
    assert_grad(named_lambda, 1.3)
    assert ad.grad(named_lambda)(1.3) == pytest.approx(3 * 1.3 ** 2 + 4.0)
    assert_grad(lambdas_passed, 0.7, -1.3, wrt=(0, 1))
    assert_matches_autograd(lambdas_passed, (0.7, -1.3), (0, 1), apply, apply_twice)


def test_functions_and_nested_functions_passed_as_arguments():
    assert_grad(functions_passed, 0.4)
    assert_matches_autograd(functions_passed, (0.4,), (0,), apply, apply_twice, cube)
    assert_grad(nested_passed, 0.7, -1.3, wrt=(0, 1))
    assert ad.grad(nested_passed, wrt=1)(0.7, -1.3) == pytest.approx(3 * 2 * 0.7 * -1.3)


def test_generated_code_of_lambdas_is_inlined():
    code = body_of(ad.show(lambdas_passed, wrt=(0, 1)))
    assert "lambda" not in code and "apply" not in code
    code = body_of(ad.show(functions_passed))
    assert "apply" not in code and "cube" not in code
    assert re.search(r"= sin\(x\)", code)   # np.sin under the name apply's parameter got


# ---------------------------------------------------------------------------
# *args and **kwargs
# ---------------------------------------------------------------------------

def total(*args):
    s = 0.0
    for a in args:
        s = s + a
    return s


def first_and_last(x, *args):
    return x * args[0] + len(args) * args[-1] + total(*args[1:])


def forwards(*args):
    return total(*args) * args[0]


def scaled(x, **kwargs):
    return x * kwargs["scale"] + kwargs.get("shift", 0.0)


def passes_kwargs(x, **kwargs):
    return scaled(x, **kwargs) * 2.0


def uses_variadic_helpers(x, y):
    s = first_and_last(x, y, 3.0, x * y) + forwards(x, y, x * y)
    s = s + scaled(x, scale=y) + passes_kwargs(x, scale=2.0, shift=y)
    for i in range(3):
        s = s + total(x, s, 1.0)
    return s


def test_star_args_of_helpers_are_bound_at_each_call():
    assert_grad(uses_variadic_helpers, 0.3, -0.4, wrt=(0, 1))
    assert_matches_autograd(uses_variadic_helpers, (0.3, -0.4), (0, 1), total,
                            first_and_last, forwards, scaled, passes_kwargs)
    code = body_of(ad.show(uses_variadic_helpers, wrt=(0, 1)))
    assert not re.search(r"\b(args|kwargs)\b", code) and "len(" not in code
    assert "kwargs_scale" in code   # the constant passed as scale=2.0, named for its key


def star_root(x, *args, **options):
    s = 0.0
    for a in args:
        s = s + a
    return x * x * args[0] * options["k"] + s * x + len(args)


def test_star_args_of_the_differentiated_function_hold_constants():
    assert ad.grad(star_root)(2.0, 3.0, 5.0, k=4.0) == pytest.approx(2 * 2 * 3 * 4 + 8)
    value, g = ad.value_and_grad(star_root)(2.0, 3.0, k=4.0)
    assert (value, g) == (pytest.approx(55.0), pytest.approx(51.0))
    assert ad.jvp(star_root)(2.0, 3.0, 5.0, 1.0, k=4.0)[1] == pytest.approx(56.0)
    assert ad.hessian(star_root)(2.0, 3.0, 5.0, k=4.0) == pytest.approx(24.0)
    assert_grad(star_root, 0.7, 1.3, -0.5, kwargs={"k": 2.0}, keywords=False)
    for name in ("args", "options"):
        with pytest.raises(ValueError, match=f"wrt='{name}' names the variadic parameter"):
            ad.grad(star_root, wrt=name)
    with pytest.raises(TypeError, match="out_bar"):
        ad.grad(star_root)(2.0, 3.0, k=1.0, out_bar=2.0)


# ---------------------------------------------------------------------------
# refusals: file:line, the construct named, what to do instead
# ---------------------------------------------------------------------------

def rejected(f, tag, word, args=(1.0,)):
    """``ad.grad(f)(*args)`` raises TransformError at the line marked ``# ERR:<tag>``."""
    with pytest.raises(ad.TransformError) as info:
        ad.grad(f)(*args)
    msg = str(info.value)
    line = [i for i, text in enumerate(LINES, 1) if text.rstrip().endswith(MARK + tag)]
    assert len(line) == 1
    assert f"{HERE}:{line[0]}:" in msg, msg
    assert LINES[line[0] - 1].split(MARK)[0].strip() in msg, msg
    assert re.search(word, msg, re.IGNORECASE), msg
    return msg


def r_recursive(x):
    def down(a):  # ERR:recursive
        return down(a - 1.0) if a > 0 else a
    return down(x)


def wraps_forever(g, v):
    def again(a):
        return g(a)
    return wraps_forever(again, v)  # ERR:forever


def r_higher_order_recursion(x):
    return wraps_forever(lambda a: a * x, x)


def r_returned(x):
    def g(a):
        return a * x
    return g  # ERR:returned


def r_stored(x):
    def g(a):
        return a * x
    fs = [g]  # ERR:stored
    return x * len(fs)


def r_decorated(x):
    @staticmethod  # ERR:decorated
    def g(a):
        return a * x
    return g(x)


def r_nonlocal(x):
    c = 1.0
    def g(a):
        nonlocal c  # ERR:nonlocal
        c = a
        return a
    return g(x) * c


def r_default(x):
    for p in (2.0, 3.0):
        # (a default not a literal is moved to where the def runs only at the top level)
        def g(a, q=p):  # ERR:default
            return a * q
        x = g(x)
    return x


def r_rebound(x):
    def g(a):
        return a * x
    g = 3.0  # ERR:rebound
    return x * g


def r_in_branch(x):
    if x > 0:
        def g(a):  # ERR:branch
            return a
    return x


def r_map(x):
    def g(a):
        return a * x
    m = map(g, [1.0, 2.0])  # ERR:map
    return np.sum(np.array(list(m)))   # (a map kept as an object: test_real_programs_idioms)


def r_sorted_key(x):
    y = max([x, 2.0 * x], key=lambda a: -a, default=0.0)  # ERR:sorted
    return y


def r_while_condition(x):
    def small(a):
        return a < 10.0
    while small(x):  # ERR:while
        x = x * 2.0
    return x


def r_lambda_in_loop(x):
    for i in range(2):
        g = lambda a: a * i  # ERR:lambda_loop
    return g(x)   # (after the loop: the loop may not have run)


def r_lambda_value(x):
    pair = (lambda a: a * x, 2.0)  # ERR:lambda_value
    return pair[1] * x


def keeps_function(f, v):
    h = f  # ERR:kept
    return h(v)


def r_kept_in_callee(x):
    return keeps_function(lambda a: a * x, x)


def r_star_root(x, *args):
    return total(x, *args)  # ERR:star_root


def r_variable_index(x):
    return nth(x, 1, 2.0, 3.0)


def nth(x, k, *args):
    return x * args[k]  # ERR:index


@pytest.mark.parametrize("f, tag, word, args", [
    (r_recursive, "recursive", r"recursive", (1.0,)),
    (r_higher_order_recursion, "forever", r"wraps_forever\(\) is recursive", (1.0,)),
    (r_returned, "returned", r"nested function g\(\) is used as a value.*called", (1.0,)),
    (r_stored, "stored", r"nested function g\(\) is used as a value", (1.0,)),
    (r_decorated, "decorated", r"decorator on the nested function g\(\).*remove it", (1.0,)),
    (r_nonlocal, "nonlocal", r"nonlocal declaration.*return the new value", (1.0,)),
    (r_default, "default", r"default.*not a number.*pass the value", (1.0,)),
    (r_rebound, "rebound", r"'g' names a nested function.*another name", (1.0,)),
    (r_in_branch, "branch", r"inside an if.*top level", (1.0,)),
    (r_map, "map", r"passed to map\(\).*loop", (1.0,)),
    (r_sorted_key, "sorted", r"lambda is passed to max\(\)", (1.0,)),
    (r_while_condition, "while", r"small\(\).*cannot be inlined.*assign its result", (1.0,)),
    (r_lambda_value, "lambda_value", r"lambda used as a value", (1.0,)),
    (r_lambda_in_loop, "lambda_loop", r"lambda assigned inside.*top of a loop", (1.0,)),
    (r_kept_in_callee, "kept", r"'f' holds a lambda.*used as a value", (1.0,)),
    (r_star_root, "star_root", r"\*args.*known only when the code runs.*one by one", (1.0,)),
    (r_variable_index, "index", r"constant index.*for a in args", (1.0,)),
], ids=lambda v: v.__name__ if callable(v) else None)
def test_refusals(f, tag, word, args):
    rejected(f, tag, word, args)
