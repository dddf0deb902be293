"""Lists of values being differentiated that a loop makes in one iteration and passes on:
to the next iteration (``prev = cur``, dynamic programming), or to the code after the
loop (``row = []`` in each iteration, the last one read after it). Which list a name
holds is known only at run time, so the backward sweep finds each list's adjoint list by
the list's identity (``runtime.adjoint_list``).

Checked against finite differences, forward mode and autograd (which runs the same
Python on its boxes)."""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import adcompile as ad

from conftest import assert_grad


def last_row(x):
    for i in range(3):
        row = []
        for j in range(2):
            row.append(x * (i + j) + np.sin(x * j))
    return sum(row) * row[0]


def rolling_rows(x):
    # each row made from the one before (the two-row form of dynamic programming)
    prev = [x, 2.0 * x]
    for i in range(3):
        cur = []
        for j in range(2):
            cur.append(prev[j] * x + prev[1 - j] * 0.5 + j)
        prev = cur
    return prev[0] * prev[1]


def growing_rows(x, n):
    # Pascal-like: row i has i + 2 items, each from two items of the row before
    prev = [x, x * x]
    for i in range(n):
        cur = [prev[0] * 0.5]
        for j in range(1, len(prev)):
            cur.append(np.sin(prev[j]) + 0.5 * prev[j - 1])
        cur.append(prev[-1] * x)
        prev = cur
    return sum(prev)


def array_states(w):
    state = [w, 2.0 * w]
    for t in range(4):
        new = []
        for s in state:
            new.append(np.tanh(s) * w)
        state = new
    return np.sum(state[0] * state[1])


def while_with_break(x, n):
    row = [x]
    k = 0
    while True:
        nxt = []
        for v in row:
            nxt.append(v * x + 0.1)
        nxt.append(np.cos(row[-1]))
        row = nxt
        k += 1
        if k >= n:
            break
    return sum(row)


def replaced_on_one_path(x, flag):
    acc = [x, x]
    for i in range(3):
        if flag and i % 2 == 0:
            fresh = []
            fresh.append(acc[1] * x)
            fresh.append(acc[0] + x)
            acc = fresh
        else:
            acc.append(acc[-1] * 0.5)
    return sum(acc) * acc[0]


def nested_loops(x):
    outer = [x]
    for i in range(2):
        inner = outer
        for j in range(2):
            nxt = []
            for v in inner:
                nxt.append(v * x + j)
            inner = nxt
        outer = inner
    return outer[0] ** 2


def test_gradients_match_finite_differences_and_forward_mode():
    for x in (0.7, -1.3):
        assert_grad(last_row, x)
        assert_grad(rolling_rows, x)
        assert_grad(nested_loops, x)
        for flag in (True, False):
            assert_grad(replaced_on_one_path, x, flag)
        for n in (0, 1, 3):
            assert_grad(growing_rows, x, n)
        for n in (1, 4):
            assert_grad(while_with_break, x, n)
    assert_grad(array_states, np.array([0.3, -0.5, 1.1]))


def test_gradients_match_autograd():
    # autograd runs these functions as written (lists of its boxes); np.sin etc. need
    # autograd.numpy, so the module's np is swapped for the call
    for f, args in ((last_row, (0.7,)), (rolling_rows, (0.7,)), (growing_rows, (0.7, 3)),
                    (array_states, (np.array([0.3, -0.5, 1.1]),)),
                    (while_with_break, (0.4, 3)), (replaced_on_one_path, (0.6, True))):
        expected = _with_autograd_numpy(autograd.grad(f), *args)
        np.testing.assert_allclose(ad.grad(f)(*args), expected, rtol=1e-12, atol=1e-14)


def _with_autograd_numpy(g, *args):
    saved = globals()["np"]
    globals()["np"] = anp
    try:
        return g(*args)
    finally:
        globals()["np"] = saved


def test_the_generated_code_looks_up_adjoint_lists_by_identity():
    code = ad.show(rolling_rows)
    assert "list_bars = {}" in code
    assert "prev_bar = adjoint_list(list_bars, prev)" in code


def test_a_loop_that_does_not_run_leaves_the_first_list():
    # zero iterations: the adjoint goes to the list made before the loop
    assert ad.grad(growing_rows)(0.7, 0) == pytest.approx(1.0 + 2 * 0.7)


def test_second_derivatives_are_refused_with_the_line():
    with pytest.raises(ad.TransformError, match="second order.*made in a loop") as info:
        ad.hessian(rolling_rows)(0.7)
    assert "prev = [x, 2.0 * x]" in str(info.value)


def test_a_built_module_computes_it_without_adcompile(tmp_path):
    from test_build import run_isolated
    ad.build(rolling_rows, tmp_path / "grads.py")
    result = run_isolated("""
        import grads
        print(repr(grads.grad_rolling_rows(0.7)))
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) == pytest.approx(ad.grad(rolling_rows)(0.7), rel=1e-12)


def pairs_rebuilt(x, n):
    # a list of pairs given new pairs in each iteration, appended to in the next
    pr = [(0.5, x), (x, x * x)]
    for i in range(n):
        pr.append((x * i, np.sin(pr[-1][1])))
        total = 0.0
        for a, b in pr:
            total = total + a * b
        pr = [(total, x), (pr[0][1], 0.3)]
    s = 0.0
    for a, b in pr:
        s = s + a * np.cos(b)
    return s


def walked_while_rebound(x):
    # Python walks the list the name held when the loop started
    pr = [(x, 1.0), (2.0, x)]
    row = [x, x * x]
    total = 0.0
    for a, b in pr:
        pr = [(a * b, x), (total, a)]
        total = total + a * b
    for v in row:
        row = [v * x, total]
        total = total + np.sin(v)
    return total + pr[0][0] * pr[1][1] + row[0] * row[1]


def test_lists_of_pairs_given_new_lists_in_a_loop():
    for x in (0.7, -1.3):
        for n in (0, 1, 3):
            assert_grad(pairs_rebuilt, x, n)
        assert_grad(walked_while_rebound, x)
    np.testing.assert_allclose(ad.grad(pairs_rebuilt)(0.7, 3),
                               _with_autograd_numpy(autograd.grad(pairs_rebuilt), 0.7, 3),
                               rtol=1e-12)
    np.testing.assert_allclose(ad.grad(walked_while_rebound)(0.7),
                               _with_autograd_numpy(autograd.grad(walked_while_rebound), 0.7),
                               rtol=1e-12)


def test_a_name_holding_pairs_on_some_iterations_only_is_refused():
    def f(x):
        pr = [(x, x)]
        for i in range(2):
            pr = x * i
        return pr

    with pytest.raises(ad.TransformError):
        ad.grad(f)(0.5)
