"""ad.checkpoint: loops that keep every few steps' carried values and recompute the rest in
the backward sweep. Gradients checked against central finite differences and against
the gradient of the same function unmarked (which keeps every step)."""

import types

import numpy as np
import pytest
from conftest import assert_close

import adcompile as ad

RNG = np.random.default_rng(7)


def oscillator(x, v, k, n):
    # two carried values, and the step index read through a schedule
    energy = 0.0
    for i in range(n):
        damping = 0.01 * (i % 3)
        v = v - 0.1 * (k * np.sin(x) + damping * v)
        x = x + 0.1 * v
        energy = energy + x * x + 0.5 * v * v
    return energy


def rnn(h, W, U, xs, n):
    loss = 0.0
    for t in range(n):
        h = np.tanh(W @ h + U @ xs[t])
        loss = loss + np.sum(h * h)
    return loss


def triple(a, b, c, n):
    # three carried values, one of them an accumulator read by the next step
    total = 0.0
    for i in range(n):
        a, b, c = b * np.cos(c), c + 0.1 * a, 0.5 * c + 0.2 * np.sin(a * b)
        total = total + a * c
    return total + b


def marked(f, every):
    """A copy of ``f`` marked by ad.checkpoint (``f`` itself stays unmarked)."""
    g = types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__,
                           f.__closure__)
    return ad.checkpoint(g, every=every)


CASES = [
    (oscillator, lambda n: (0.3, -0.2, 1.5, n), (0, 1, 2)),
    (rnn, lambda n: (RNG.normal(size=4), 0.4 * RNG.normal(size=(4, 4)),
                     0.4 * RNG.normal(size=(4, 3)), RNG.normal(size=(max(n, 1), 3)), n),
     (0, 1, 2)),
    (triple, lambda n: (0.4, 0.7, -0.3, n), (0, 1, 2)),
]


@pytest.mark.parametrize("f, make_args, wrt", CASES, ids=[c[0].__name__ for c in CASES])
@pytest.mark.parametrize("every", [1, 2, 3, 7, 50, "sqrt"])
@pytest.mark.parametrize("n", [0, 1, 10])
def test_checkpointed_gradients(f, make_args, wrt, every, n):
    args = make_args(n)
    g = marked(f, every)
    got = ad.grad(g, wrt=wrt)(*args)
    want = ad.grad(f, wrt=wrt)(*args)
    for a, b in zip(got, want):
        assert np.shape(a) == np.shape(b) and np.asarray(a).dtype == np.asarray(b).dtype
        assert_close(a, b, 1e-12, 1e-14)
    ad.check_grad(g, *args, wrt=wrt)
    if n:
        assert "checkpoints.append" in ad.show(g, wrt=wrt, args=args)


@pytest.mark.parametrize("f, make_args, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_the_general_code_is_checkpointed_too(f, make_args, wrt):
    g = marked(f, 4)
    assert "checkpoints.pop()" in ad.show(g, wrt=wrt)
    args = make_args(9)
    ad.check_grad(g, *args, wrt=wrt)


def test_the_generated_code_shows_the_segments():
    code = ad.show(marked(oscillator, "sqrt"), wrt=(0, 1), args=(0.3, -0.2, 1.5, 16))
    for line in ("every = max(1, math.isqrt(len(steps)))",
                 "for start in range(0, len(steps), every):",
                 "checkpoints.append((v, x))",   # the values the steps carry (energy's
                 # value, which the gradient does not read, is not computed)
                 "for start in reversed(range(0, len(steps), every)):",
                 "v, x = checkpoints.pop()",
                 "for i in steps[start:start + every]:"):
        assert line in code, code


def noisy(x, n):
    for i in range(n):
        x = x * 0.9 + np.sin(x)
        print(i)
    return x


def breaking(x, n):
    for i in range(n):
        x = x * 0.9 + np.sin(x)
        if x > 100.0:
            break
    return x


@pytest.mark.parametrize("f", [noisy, breaking])
def test_loops_that_may_not_run_again_keep_every_step(f, capsys):
    g = marked(f, 2)
    code = ad.show(g, args=(0.5, 6))
    assert "checkpoints" not in code
    assert_close(ad.grad(g)(0.5, 6), ad.grad(f)(0.5, 6), 1e-12, 0)
    ad.check_grad(g, 0.5, 6)


def test_value_and_grad_of_a_marked_function():
    # the value is computed in the loop: running it again would change what is returned,
    # so that loop keeps every step; the result is right either way
    g = marked(oscillator, 3)
    args = (0.3, -0.2, 1.5, 10)
    value, grads = ad.value_and_grad(g, wrt=(0, 1))(*args)
    assert value == oscillator(*args)
    want = ad.grad(oscillator, wrt=(0, 1))(*args)
    for a, b in zip(grads, want):
        assert_close(a, b, 1e-12, 0)


def test_checkpoint_is_a_decorator_and_checks_every():
    @ad.checkpoint
    def f(x, n):
        for i in range(n):
            x = np.sin(x) + x
        return x

    @ad.checkpoint(every=5)
    def h(x, n):
        for i in range(n):
            x = np.sin(x) + x
        return x

    for fn in (f, h):
        assert "checkpoints" in ad.show(fn, args=(0.5, 12))
        ad.check_grad(fn, 0.5, 12)
    for bad in (0, -1, 2.5, "log", True):
        with pytest.raises(ValueError, match="every"):
            ad.checkpoint(every=bad)
    with pytest.raises(TypeError, match="Python function"):
        ad.checkpoint(ad.grad(f))


def test_marking_after_a_gradient_was_made_gives_new_code():
    def f(x, n):
        for i in range(n):
            x = np.sin(x) + x
        return x

    assert "checkpoints" not in ad.show(f, args=(0.5, 12))
    ad.checkpoint(f, every=3)
    assert "checkpoints" in ad.show(f, args=(0.5, 12))
    ad.check_grad(f, 0.5, 12)


def test_outer_products_are_summed_per_segment():
    # the sum over steps of the outer products of W's adjoint is taken per segment, so
    # that its list, too, holds one segment's steps
    args = CASES[1][1](12)
    code = ad.show(marked(rnn, 4), wrt=(0, 1, 2), args=args)
    assert "\n        W_outers = []\n" in code and "\n        W_bar += outer_sum(W_outers)\n" \
        in code, code
