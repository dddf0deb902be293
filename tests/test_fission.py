"""Loop fission (adcompile/optimize/fission.py): the per-step work of a loop that does not depend on
earlier steps is computed for all steps at once. Every case is checked against central
finite differences, on the batched code and on its step-by-step fallback."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import adcompile as ad
from adcompile import runtime

from benchmarks.workloads import rnn_hand_grad, rnn_loss as rnn
from tests.conftest import assert_grad

RNG = np.random.default_rng(7)


def rnn_args(hidden=5, inputs=3, steps=6, h0_shape=None):
    W = RNG.standard_normal((hidden, hidden)) / np.sqrt(hidden)
    U = RNG.standard_normal((hidden, inputs)) / np.sqrt(inputs)
    b = 0.1 * RNG.standard_normal(hidden)
    h0 = 0.5 * RNG.standard_normal(h0_shape or hidden)
    xs = RNG.standard_normal((steps, inputs))
    ys = 0.5 * RNG.standard_normal((steps, hidden))
    return W, U, b, h0, xs, ys


def reversed_loop(code):
    """The statements of the first reversed loop (``for ... in zip(reversed(...`` or
    ``for ... in reversed(...)``) of generated code."""
    lines = code.splitlines()
    start = next(i for i, line in enumerate(lines)
                 if line.lstrip().startswith("for ") and "reversed(" in line)
    indent = len(lines[start]) - len(lines[start].lstrip())
    body = []
    for line in lines[start + 1:]:
        if len(line) - len(line.lstrip()) <= indent:
            break
        body.append(line.strip())
    return body


def test_rnn_reversed_loop_keeps_only_the_recurrence():
    args = rnn_args()
    code = ad.show(rnn, wrt=(0, 1, 2, 3), args=args)
    assert "step_arrays(" in code and "else:" in code, code
    # h_2_bar = h_bar + t_bar; t_bar = h_2_bar * t; collect; h_bar = W_T.dot(t_bar)
    assert len(reversed_loop(code)) == 4, code
    # U @ xs[t] for all steps before the forward loop
    assert "t1s = xs.dot(U.T) + b" in code and "for t1 in t1s:" in code, code
    for wrt in (0, 1, 2, 3):
        assert_grad(rnn, *args, wrt=wrt)


def test_rnn_matches_backprop_through_time():
    args = rnn_args(hidden=16, inputs=4, steps=20)
    got = ad.grad(rnn, wrt=(0, 1, 2, 3))(*args)
    for g, expected in zip(got, rnn_hand_grad(*args)):
        np.testing.assert_allclose(g, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("steps", [0, 1, 2, 7])
def test_rnn_any_number_of_steps(steps):
    args = rnn_args(steps=steps)
    for wrt in (0, 1, 2, 3):
        assert_grad(rnn, *args, wrt=wrt)


def leaky(w, U, b, h0, xs, ys):
    h = h0
    loss = 0.0
    for t in range(xs.shape[0]):
        loss = loss + np.sum(np.sin(h) * ys[t])
        h = np.tanh(w * h + U @ xs[t] + b)
    return loss


def test_fallback_when_a_carried_value_grows():
    # h0 has shape (1,): the first saved h is (1,), the others (5,); the lists cannot be
    # stacked, so the step-by-step loop runs
    W, U, b, h0, xs, ys = rnn_args(h0_shape=(1,))
    args = (W[0], U, b, h0, xs, ys)
    code = ad.show(leaky, wrt=(0, 1, 2, 3), args=args)
    assert "step_arrays(h_steps, " in code, code
    assert runtime.step_arrays([h0, b]) is None
    for wrt in (0, 1, 2, 3):
        assert_grad(leaky, *args, wrt=wrt)
    assert ad.grad(leaky, wrt=3)(*args).shape == (1,)
    full = (W[0], U, b, np.resize(h0, 5), xs, ys)
    for wrt in (0, 1, 2, 3):       # and the batched code, for the same function
        assert_grad(leaky, *full, wrt=wrt)


def test_float32_takes_the_step_by_step_loop_and_keeps_its_dtype():
    args = [a.astype(np.float32) for a in rnn_args()]
    grads = ad.grad(rnn, wrt=(0, 1, 2, 3))(*args)
    expected = rnn_hand_grad(*[a.astype(np.float64) for a in args])
    for g, e in zip(grads, expected):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, e, rtol=1e-3, atol=1e-4)


def activity(W, V, c, h0, xs):
    """A loop whose non-recurrent part has ufuncs, products with the rows on either side,
    a per-step value read after the loop and a sum of per-step terms."""
    h = h0
    total = 0.0
    for t in range(xs.shape[0]):
        u = np.sin(xs[t] @ V) * c
        h = np.tanh(W @ h * 0.5 + u)
        total = total + np.sum(np.exp(-h * h) * xs[t, 0]) + np.sum(u * u)
    return total + np.sum(u * h)


def activity_args(steps=5):
    return (RNG.standard_normal((4, 4)) / 2, RNG.standard_normal((3, 4)),
            RNG.standard_normal(4), RNG.standard_normal(4), RNG.standard_normal((steps, 3)))


@pytest.mark.parametrize("steps", [1, 2, 5])
def test_ufuncs_rows_and_values_read_after_the_loop(steps):
    args = activity_args(steps)
    code = ad.show(activity, wrt=(0, 1, 2, 3), args=args)
    assert "xs.dot(V)" in code, code
    for wrt in (0, 1, 2, 3):
        assert_grad(activity, *args, wrt=wrt)


def matrices(A, B, X):
    """Per-step matrices: rows of a 3-d array, products on both sides."""
    S = A
    out = 0.0
    for t in range(X.shape[0]):
        S = np.tanh(B @ X[t] + S @ B)
        out = out + np.sum(S * X[t] ** 2)
    return out


def test_per_step_matrices():
    A, B, X = RNG.standard_normal((3, 3)), RNG.standard_normal((3, 3)) / 2, \
        RNG.standard_normal((4, 3, 3))
    code = ad.show(matrices, wrt=(0, 1), args=(A, B, X))
    assert "B @ X" in code, code
    for wrt in (0, 1):
        assert_grad(matrices, A, B, X, wrt=wrt)


def mixed_dims(w, xs):
    """A per-step number and a per-step vector in one expression: not batched together."""
    s = 0.0
    for t in range(xs.shape[0]):
        a = np.sum(xs[t] * w)
        s = s + np.sum(np.cos(a * xs[t] + s))
    return s


def test_operands_of_different_dims_per_step():
    w, xs = RNG.standard_normal(3), RNG.standard_normal((4, 3))
    assert_grad(mixed_dims, w, xs, wrt=0)


def scaled_rows(w, xs, n):
    s = 0.0
    for t in range(n):
        s = s + np.sum(np.sin(xs[t] * w))
    return s


def test_rows_beyond_the_array_raise_as_the_function_does():
    w, xs = RNG.standard_normal(3), RNG.standard_normal((4, 3))
    assert_grad(scaled_rows, w, xs, 4, wrt=0)
    assert_grad(scaled_rows, w, xs, 0, wrt=0)
    with pytest.raises(IndexError):
        scaled_rows(w, xs, 5)
    with pytest.raises(IndexError):
        ad.grad(scaled_rows)(w, xs, 5)


def test_step_helpers():
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 2))
    np.testing.assert_allclose(runtime.outer_steps(list(a), list(b)), a.T @ b)
    ragged_u = [np.ones(1), np.ones(4)]
    ragged_v = [np.arange(2.0), np.arange(2.0)]
    np.testing.assert_allclose(runtime.outer_steps(ragged_u, ragged_v),
                               np.outer(ragged_u[0], ragged_v[0]) + np.outer(ragged_u[1],
                                                                             ragged_v[1]))
    assert runtime.outer_steps([], []) == 0.0
    np.testing.assert_allclose(runtime.sum_steps(list(a)), a.sum(0))
    np.testing.assert_allclose(runtime.sum_steps([np.ones(1), np.arange(3.0)]),
                               np.ones(1) + np.arange(3.0))
    assert runtime.sum_steps([]) == 0.0
    assert isinstance(runtime.stacked(list(a)), np.ndarray)
    assert runtime.stacked(ragged_u) is ragged_u
    one, two = runtime.step_arrays(list(a), list(b))
    np.testing.assert_array_equal(one, a)
    assert runtime.step_arrays([]) is None
    assert runtime.step_arrays([1.0, 2.0]) is None                     # Python floats
    assert runtime.step_arrays([np.float64(1.0), np.float64(2.0)]) is not None
    assert runtime.step_arrays(list(a.astype(np.float32))) is None      # not float64
    assert runtime.step_arrays(list(a), ragged_u) == (None, None)


@settings(max_examples=25, deadline=None)
@given(steps=st.integers(0, 6), hidden=st.integers(1, 4), inputs=st.integers(1, 3),
       grow=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_rnn_hypothesis(steps, hidden, inputs, grow, seed):
    global RNG
    RNG = np.random.default_rng(seed)
    W, U, b, h0, xs, ys = rnn_args(hidden, inputs, steps, h0_shape=(1,) if grow else None)
    for wrt in (0, 1, 2, 3):
        assert_grad(leaky, W[0], U, b, h0, xs, ys, wrt=wrt)
        if not grow:
            assert_grad(rnn, W, U, b, h0, xs, ys, wrt=wrt)


def test_built_module_has_the_helpers_it_calls(tmp_path):
    # a built module holds the general code (any shapes), which sums outer products with
    # outer_sum; its helper outer_steps is copied into the module with it
    from tests.test_build import run_isolated
    ad.build(rnn, tmp_path / "rnn_grad.py", wrt=(0, 1, 2, 3))
    args = rnn_args()
    np.savez(tmp_path / "args.npz", *args)
    result = run_isolated("""
        import numpy as np, rnn_grad
        data = np.load("args.npz")
        args = [data[f"arr_{i}"] for i in range(6)]
        print(repr(rnn_grad.grad_rnn_loss(*args)[1].tolist()))
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(eval(result.stdout), rnn_hand_grad(*args)[1], rtol=1e-10)


# --- random loops: what fission batches, checked against finite differences ------------------

def _random_loop(rng, matmul):
    """Source of a random RNN-like function: per-step values from the rows of xs and ys,
    the carried h and the values fixed for the loop, a recurrence and a running sum."""
    leaves = ["h", "b", "ys[t]", "(U @ xs[t])", "0.5"] + (["(W @ h)"] if matmul else ["(w * h)"])
    unary = ["np.sin({})", "np.cos({})", "np.tanh({})", "np.exp(-({0}) * ({0}))", "-({})",
             "({}) / (2.0 + b * b)"]
    names = []

    def expr(depth):
        if depth == 0 or rng.random() < 0.25:
            return str(rng.choice(leaves + names))
        if rng.random() < 0.35:
            return str(rng.choice(unary)).format(expr(depth - 1))
        op = str(rng.choice(["+", "-", "*"]))
        return f"({expr(depth - 1)} {op} {expr(depth - 1)})"

    body = []
    for k in range(int(rng.integers(0, 4))):
        body.append(f"v{k} = {expr(3)}")
        names.append(f"v{k}")
    body.append(f"h = np.tanh({expr(2)} + {'W @ h' if matmul else 'w * h'})")
    body.append(f"acc = acc + np.sum({expr(3)})")
    lines = ["def f(W, w, U, b, h0, xs, ys):", "    h = h0", "    acc = 0.0",
             f"    for t in range({'len(xs)' if rng.random() < 0.5 else 'xs.shape[0]'}):"
             ] + [f"        {line}" for line in body] + [
             "    return acc + np.sum(h * b)"]
    return "\n".join(lines) + "\n"


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), steps=st.sampled_from([0, 1, 3, 6]),
       matmul=st.booleans(), grow=st.booleans())
def test_random_loops(seed, steps, matmul, grow):
    rng = np.random.default_rng(seed)
    source = _random_loop(rng, matmul)
    namespace = {"np": np}
    path = f"<fission random loop {seed}>"
    exec(compile(source, path, "exec"), namespace)
    f = namespace["f"]
    import linecache
    linecache.cache[path] = (len(source), None, source.splitlines(True), path)
    hidden = 3
    args = (rng.standard_normal((hidden, hidden)) / 2, 0.5 * rng.standard_normal(hidden),
            rng.standard_normal((hidden, 2)) / 2, 0.3 * rng.standard_normal(hidden),
            0.5 * rng.standard_normal(1 if grow and not matmul else hidden),
            rng.standard_normal((steps, 2)), rng.standard_normal((steps, hidden)))
    for wrt in (0, 1, 2, 3, 4):
        assert_grad(f, *args, wrt=wrt, keywords=False)


def index_after(w, xs):
    s = 0.0
    for t in range(xs.shape[0]):
        s = s + np.sum(np.sin(xs[t] * w))
    return s * t


def changes_rows(w, xs):
    zs = xs.copy()
    s = 0.0
    for t in range(xs.shape[0] - 1):
        s = s + np.sum(np.sin(zs[t] * w))
        np.copyto(zs, zs * 0.5)          # later rows change: no rows of zs for all steps
    return s


def test_index_read_after_the_loop_and_rows_that_change():
    w, xs = RNG.standard_normal(3), RNG.standard_normal((4, 3))
    assert_grad(index_after, w, xs, wrt=0)
    assert "for t, " in ad.show(index_after, args=(w, xs))
    with pytest.raises(ad.TransformError, match="may change in place"):
        ad.grad(changes_rows)     # (test_errors.py: refused, the gradient reads zs)


def readme_rnn(W, U, b, h, xs, ys):
    loss = 0.0
    for t in range(len(xs)):
        h = np.tanh(W @ h + U @ xs[t] + b)
        loss = loss + np.sum((h - ys[t]) ** 2)
    return loss


def test_readme_shows_the_code_generated_for_its_rnn():
    from pathlib import Path
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("### Loops, in generated code")[1]
    blocks = section.split("```python\n")
    source, generated = blocks[1].split("```")[0], blocks[2].split("```")[0]
    assert source.replace("def rnn(", "def readme_rnn(") in open(__file__).read()
    args = (RNG.standard_normal((4, 4)), RNG.standard_normal((4, 3)), RNG.standard_normal(4),
            RNG.standard_normal(4), RNG.standard_normal((5, 3)), RNG.standard_normal((5, 4)))
    code = ad.show(readme_rnn, wrt=("W", "U", "b"), args=args)
    assert code.replace("readme_rnn", "rnn") == generated
    for wrt in ("W", "U", "b", "h"):
        assert_grad(readme_rnn, *args, wrt=wrt)


def test_what_batch_accepts():
    # batch() on expressions of one step: np.matmul is a ufunc with a signature, not an
    # elementwise one; operands of different dims per step do not line up with a steps axis
    import ast
    from adcompile.optimize import fission
    env = fission._Env("t", ast.parse("range(n)", mode="eval").body, {"t", "h", "s"},
                       {"W": 2, "xs": 2, "b": 1, "c": 0, "h": 1, "s": 0, "v": 1}, "np")
    env.per_step = {"h": (1, "hs"), "s": (0, "ss")}

    def batched(text):
        found = fission.batch(ast.parse(text, mode="eval").body, env)
        return found and (found[0], found[1], ast.unparse(found[2]))

    assert batched("np.matmul(v, xs[t])") is None     # (v @ xs would be wrong)
    assert batched("v * xs[t]") == ("step", 1, "v * xs[range(n)]")
    assert batched("W @ xs[t] + b") == ("step", 1, "xs[range(n)] @ W.T + b")
    assert batched("np.tanh(h) * b - 1") == ("step", 1, "np.tanh(hs) * b - 1")
    assert batched("h * s") is None          # (n, k) * (n,) would not line up
    assert batched("s * c") == ("step", 0, "ss * c")
    assert batched("c * b") == ("fixed", 1, "c * b")
    assert batched("1 / c") is None          # may raise before a loop of no steps
    assert batched("h / c") == ("step", 1, "hs / c")
    assert batched("W @ h") == ("step", 1, "hs @ W.T")


def encoder_decoder(W, V, h0, xs, ys):
    """Two loops one after the other, each saving per step; the second reads the first's
    last state as a value fixed for it."""
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    g = h0
    loss = 0.0
    for t in range(ys.shape[0]):
        g = np.tanh(V @ g + h)
        loss = loss + np.sum((g - ys[t]) ** 2)
    return loss


def test_two_loops_one_after_the_other():
    args = (RNG.standard_normal((3, 3)) / 2, RNG.standard_normal((3, 3)) / 2,
            RNG.standard_normal(3), RNG.standard_normal((4, 3)), RNG.standard_normal((5, 3)))
    code = ad.show(encoder_decoder, wrt=(0, 1, 2), args=args)
    assert code.count("step_arrays(") == 2, code
    for wrt in (0, 1, 2):
        assert_grad(encoder_decoder, *args, wrt=wrt)
        assert_grad(encoder_decoder, *args[:3], args[3][:0], args[4], wrt=wrt)
        assert_grad(encoder_decoder, *args[:4], args[4][:1], wrt=wrt)


@pytest.mark.parametrize("steps", [range(10), range(3), range(2, 8), range(0, 10, 3),
                                   range(9, -1, -1), range(9, 2, -3), range(0), range(5, 5),
                                   range(-3, 0), range(-1, 5), range(8, 12), range(12),
                                   range(9, -2, -1)])
def test_step_rows_are_the_rows_the_loop_reads(steps):
    from adcompile import runtime
    x = np.arange(30.0).reshape(10, 3)
    try:
        expected = x[steps]
    except IndexError:
        with pytest.raises(IndexError):
            runtime.step_rows(x, steps)
        return
    got = runtime.step_rows(x, steps)
    assert got.shape == expected.shape and (got == expected).all()


def partial_rnn(W, h, xs, ys, n):
    loss = 0.0
    for t in range(1, n):
        h = np.tanh(W @ h + xs[t])
        loss = loss + np.sum((h - ys[t]) ** 2)
    return loss


@pytest.mark.parametrize("n", [1, 2, 4, 6])
def test_a_loop_over_some_rows_batches_them(n):
    W, h, xs = RNG.standard_normal((3, 3)) / 2, RNG.standard_normal(3), RNG.standard_normal((6, 3))
    ys = RNG.standard_normal((6, 3))
    code = ad.show(partial_rnn, wrt=(0, 1), args=(W, h, xs, ys, n))
    assert "step_rows(ys, range(1, n))" in code, code
    assert_grad(partial_rnn, W, h, xs, ys, n, wrt=(0, 1))


def test_a_loop_past_the_last_row_raises():
    W, h, xs = RNG.standard_normal((3, 3)), RNG.standard_normal(3), RNG.standard_normal((6, 3))
    with pytest.raises(IndexError):
        ad.grad(partial_rnn)(W, h, xs, xs, 8)
    with pytest.raises(IndexError):
        ad.grad(partial_rnn)(W, h, xs, xs[:3], 6)
