"""Lists of values being differentiated that a loop makes in one iteration and passes on:
to the next iteration (``prev = cur``, dynamic programming), or to the code after the
loop (``row = []`` in each iteration, the last one read after it). Which list a name
holds is known only at run time, so the backward sweep finds each list's adjoint list by
the list's identity (``runtime.adjoint_list``).

Checked against finite differences, forward mode and autograd (which runs the same
Python on its boxes)."""

import autograd
import numpy as np
import pytest

import adcompile as ad

from conftest import assert_grad, with_autograd_numpy


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
        expected = with_autograd_numpy(globals(), autograd.grad(f), *args)
        np.testing.assert_allclose(ad.grad(f)(*args), expected, rtol=1e-12, atol=1e-14)


def test_the_generated_code_looks_up_adjoint_lists_by_identity():
    code = ad.show(rolling_rows)
    assert "list_bars = {}" in code
    assert "prev_bar = adjoint_list(list_bars, prev)" in code


def test_a_loop_that_does_not_run_leaves_the_first_list():
    # zero iterations: the adjoint goes to the list made before the loop
    assert ad.grad(growing_rows)(0.7, 0) == pytest.approx(1.0 + 2 * 0.7)


def test_second_derivatives_are_refused_with_the_line():
    with pytest.raises(ad.TransformError, match="second order.*a loop passes") as info:
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
                               with_autograd_numpy(globals(), autograd.grad(pairs_rebuilt), 0.7, 3),
                               rtol=1e-12)
    np.testing.assert_allclose(ad.grad(walked_while_rebound)(0.7),
                               with_autograd_numpy(globals(), autograd.grad(walked_while_rebound), 0.7),
                               rtol=1e-12)


def test_a_name_holding_pairs_on_some_iterations_only_is_refused():
    def f(x):
        pr = [(x, x)]
        for i in range(2):
            pr = x * i
        return pr

    with pytest.raises(ad.TransformError):
        ad.grad(f)(0.5)


# -- lists of lists ------------------------------------------------------------------


def grid(x, n):
    rows = []
    for i in range(n):
        row = []
        for j in range(3):
            row.append(np.sin(x * (i + 1)) * j + x)
        rows.append(row)
    total = 0.0
    for i in range(n):
        for j in range(3):
            total = total + rows[i][j] * rows[n - 1 - i][2 - j]
    return total


def dp_table(x, n):
    # each row of the table from the row before it, read back through table[-1]
    table = [[x]]
    for i in range(1, n):
        prev = table[-1]
        row = [prev[0] * x]
        for j in range(1, i):
            row.append(prev[j - 1] + np.sin(prev[j]))
        row.append(prev[-1] * 0.5)
        table.append(row)
    return sum(table[-1]) + table[0][0]


def walked_rows(w):
    r1 = [w, 2.0 * w]
    r2 = [w * w, np.ones(2)]
    g = [r1, r2]
    s = 0.0
    for row in g:
        for v in row:
            s = s + np.sum(v * v)
    shared = [r1, r1]            # one list twice: one adjoint list
    for k in range(2):
        s = s + np.sum(shared[k][k] * shared[1 - k][0])
    return s + np.sum(g[0][-1] * g[1][0])


def cube(x):
    # three levels: a list of planes of lines
    c = []
    for i in range(2):
        plane = []
        for j in range(2):
            line = []
            for k in range(2):
                line.append(x * (i + 2 * j + 4 * k + 1))
            plane.append(line)
        c.append(plane)
    s = 0.0
    for i in range(2):
        for j in range(2):
            for k in range(2):
                s = s + np.sin(c[i][j][k]) * c[1 - i][j][1 - k]
    return s


def carried_tables(x):
    # a list of lists given a new one in each iteration, made from the one before
    table = [[x, x]]
    for t in range(3):
        new = []
        for row in table:
            r = []
            for v in row:
                r.append(v * x + t)
            new.append(r)
        new.append([x * t, x])
        table = new
    s = 0.0
    for row in table:
        for v in row:
            s = s + v * v
    return s


def test_lists_of_lists():
    for x in (0.7, -1.3):
        for n in (1, 3):
            assert_grad(grid, x, n)
        for n in (1, 2, 4):
            assert_grad(dp_table, x, n)
        assert_grad(cube, x)
        assert_grad(carried_tables, x)
    w = np.array([0.3, -0.8])
    assert_grad(walked_rows, w)
    for f, args in ((grid, (0.7, 3)), (dp_table, (0.7, 4)), (walked_rows, (w,)), (cube, (0.7,)),
                    (carried_tables, (0.7,))):
        np.testing.assert_allclose(ad.grad(f)(*args),
                                   with_autograd_numpy(globals(), autograd.grad(f), *args), rtol=1e-12)


def changed_after_insertion(x):
    row = [x]
    rows = [row]
    row.append(x * 2.0)          # rows[0] changes too
    k = 0                        # (a variable index: rows is a list, not a structure)
    return rows[k][-1]


def changed_through_the_outer_list(x):
    rows = []
    for i in range(2):
        rows.append([x * i])
    first = rows[0]
    first.append(x * 3.0)
    return rows[0][-1]


def inserted_each_iteration_changed_in_the_next(x):
    row = [x]
    rows = []
    for i in range(2):
        rows.append(row)
        row.append(x * i)
    return rows[0][-1]


def test_changing_a_list_another_list_holds_is_refused():
    for f in (changed_after_insertion, changed_through_the_outer_list,
              inserted_each_iteration_changed_in_the_next):
        with pytest.raises(ad.TransformError, match="changes a list that another list holds"):
            ad.grad(f)(0.5)


def table_of_rows(x, n):
    rows = []
    for i in range(n):
        rows.append([x * i, np.sin(x), x * x])
    A = np.array(rows)
    return np.sum(A ** 2) + np.sum(np.stack(rows)[:, 1]) + np.sum(np.concatenate(rows))


def rows_summed(x):
    rows = []
    for i in range(3):
        row = []
        for j in range(2):
            row.append(np.tanh(x * (i + j)))
        rows.append(row)
    return np.sum(rows) + np.mean(np.asarray(rows), axis=0)[1]


def test_numpy_functions_of_a_list_of_lists():
    # each row's piece of the adjoint goes into that row's adjoint list
    for x in (0.7, -1.3):
        for n in (1, 3):
            assert_grad(table_of_rows, x, n)
        assert_grad(rows_summed, x)
    code = ad.show(table_of_rows)
    assert "add_nested_pieces(list_bars, rows, rows_bar, pieces)" in code
    for f, args in ((table_of_rows, (0.7, 3)), (rows_summed, (0.7,))):
        np.testing.assert_allclose(ad.grad(f)(*args),
                                   with_autograd_numpy(globals(), autograd.grad(f), *args), rtol=1e-12)


def test_second_derivatives_of_numpy_functions_of_lists_of_lists_are_refused():
    with pytest.raises(ad.TransformError, match="second order") as info:
        ad.hessian(table_of_rows)(0.7, 2)
    assert "test_lists_across_iterations.py:" in str(info.value)


def pairs_made_on_one_path(x, y, flag):
    pr = [(x, y), (y, 1.0)]
    if flag:
        pr = [(x * y, x), (np.sin(y), y), (x, 2.0)]
    else:
        pr.append((y * y, x))
    s = 0.0
    for p, q in pr:
        s = s + p * np.cos(q)
    return s


def pairs_made_on_one_path_in_a_loop(x, y, n):
    pr = [(x, y)]
    for i in range(n):
        if i % 2 == 0:
            pr = [(pr[-1][0] * x, y), (x, pr[0][1])]
        else:
            pr.append((np.tanh(x + i), y * x))
    s = 0.0
    for p, q in pr:
        s = s + p * q
    return s


def test_a_list_of_pairs_made_differently_on_the_paths_of_an_if():
    # the lists of each position are joined after the if, as lists are
    for flag in (True, False):
        assert_grad(pairs_made_on_one_path, 0.7, -0.4, flag, wrt=(0, 1))
        np.testing.assert_allclose(
            ad.grad(pairs_made_on_one_path, wrt=(0, 1))(0.7, -0.4, flag),
            with_autograd_numpy(globals(), autograd.grad(pairs_made_on_one_path, (0, 1)), 0.7, -0.4, flag),
            rtol=1e-12)
    for n in (0, 1, 4):
        assert_grad(pairs_made_on_one_path_in_a_loop, 0.7, -0.4, n, wrt=(0, 1))


def test_pairs_on_one_path_only_are_refused():
    def f(x, flag):
        if flag:
            pr = [(x, x)]
        else:
            pr = x
        return pr

    with pytest.raises(ad.TransformError, match="made differently on the paths of this if"):
        ad.grad(f)(0.5, True)


def popped_and_set(x, n):
    # pop and item assignment on lists a loop passes on
    prev = [x, x * 2.0, 0.5]
    for i in range(n):
        cur = []
        for j in range(len(prev)):
            cur.append(prev[j] * x + j)
        last = cur.pop()
        cur[0] = cur[0] + last * 0.5
        cur.append(np.sin(last))
        prev = cur
    return sum(prev) * prev[0]


def rolled_in_a_helper(v, n):
    prev = [v, v * v]
    for i in range(n):
        cur = []
        for p in prev:
            cur.append(np.tanh(p) + 0.1 * i)
        prev = cur
    return prev[0] - prev[1]


def calls_the_helper(x, y):
    return rolled_in_a_helper(x, 2) * rolled_in_a_helper(y * x, 3)


def rows_replaced_on_a_branch(w):
    rows = [w]
    for i in range(3):
        nxt = []
        for r in rows:
            nxt.append(r * w)
            nxt.append(np.sin(r))
        rows = nxt
        if len(rows) > 4:
            rows = [rows[0] + rows[-1], rows[1]]
    return np.sum(rows[0] * rows[-1])


def test_pop_item_assignment_helpers_and_branches():
    for n in (0, 3):
        assert_grad(popped_and_set, 0.7, n)
    assert_grad(calls_the_helper, 0.7, 0.3, wrt=(0, 1))
    w = np.array([0.3, -0.5])
    assert_grad(rows_replaced_on_a_branch, w)
    np.testing.assert_allclose(ad.grad(rows_replaced_on_a_branch)(w),
                               with_autograd_numpy(globals(), autograd.grad(rows_replaced_on_a_branch), w),
                               rtol=1e-12)


# -- slices of lists -----------------------------------------------------------------


def slices_of_a_list(x):
    hs = [x, x * x, np.sin(x)]
    for i in range(2):
        hs.append(hs[-1] * x)
    t = hs[1:]
    return t[0] * t[-1] + sum(hs[1:4]) + np.sum(np.array(hs[::2])) + sum(hs[-2:][::-1]) * 0.5


def slices_of_rows(x, n):
    rows = []
    for i in range(n):
        rows.append([x * i, np.cos(x + i)])
    kept = rows[1:]
    s = 0.0
    for row in kept[::-1]:
        s = s + row[0] * row[1]
    return s


def test_slices_of_lists_are_new_lists_of_the_same_values():
    for x in (0.7, -1.3):
        assert_grad(slices_of_a_list, x)
        for n in (0, 1, 4):
            assert_grad(slices_of_rows, x, n)
    for f, args in ((slices_of_a_list, (0.7,)), (slices_of_rows, (0.7, 4))):
        np.testing.assert_allclose(ad.grad(f)(*args),
                                   with_autograd_numpy(globals(), autograd.grad(f), *args), rtol=1e-12)
    g = ad.grad(slices_of_a_list)
    np.testing.assert_allclose(ad.hessian(slices_of_a_list)(0.7),
                               (g(0.7 + 1e-6) - g(0.7 - 1e-6)) / 2e-6, rtol=1e-6)


def test_the_numba_backend_runs_them_as_python_saying_why():
    pytest.importorskip("numba")
    from adcompile.backend.jit import NumbaFallbackWarning
    with pytest.warns(NumbaFallbackWarning, match="adjoint_list"):
        got = ad.grad(rolling_rows, backend="numba")(0.7)
    assert got == ad.grad(rolling_rows)(0.7)


def literals_walked_in_a_loop(x, y, n):
    s = 0.0
    for i in range(n):
        for p, q in [(x * i, y), (np.sin(x), y * x)]:
            s = s + p * q
        for v in [x, y * i, s]:
            s = s + np.tanh(v) * 0.5
    return s


def test_literal_lists_walked_inside_a_loop():
    # (were refused: a new list in every iteration)
    for n in (0, 1, 3):
        assert_grad(literals_walked_in_a_loop, 0.7, -0.4, n, wrt=(0, 1))
    g = ad.grad(literals_walked_in_a_loop)
    np.testing.assert_allclose(ad.hessian(literals_walked_in_a_loop)(0.7, -0.4, 3),
                               (g(0.7 + 1e-6, -0.4, 3) - g(0.7 - 1e-6, -0.4, 3)) / 2e-6,
                               rtol=1e-6)


# -- a constant before the loop, a list after an iteration ------------------------------


def soft_edit_distance(costs):
    # found reading real code: prev starts as a constant list; its reads were taken for
    # reads of an array and their adjoints lost (a gradient of zeros)
    n, m = costs.shape
    prev = [0.0] + [1e9] * m
    for i in range(n):
        cur = [1e9]
        for j in range(m):
            a = prev[j] + costs[i, j]
            b = prev[j + 1] + 1.0
            c = cur[j] + 1.0
            low = min(a, b, c)
            cur.append(low - np.log(np.exp(low - a) + np.exp(low - b) + np.exp(low - c)))
        prev = cur[:] if i % 2 else cur
    return prev[-1]


def constant_tuple_first(x):
    prev = (0.0, 1.0)
    for i in range(2):
        a, b = prev
        prev = [a + x, b * x]
    return prev[0] * prev[1]


def number_first(x):
    prev = x * 1.0
    for i in range(2):
        cur = [x, 2.0]
        prev = cur
    return prev[0]


def test_a_constant_before_the_loop_and_a_list_after_an_iteration():
    costs = np.random.default_rng(3).random((3, 4))
    assert_grad(soft_edit_distance, costs)
    assert np.any(ad.grad(soft_edit_distance)(costs) != 0)
    assert_grad(constant_tuple_first, 0.7)
    # a value being differentiated that is not a list before: refused, with the line
    with pytest.raises(ad.TransformError, match="not a list before this loop"):
        ad.grad(number_first)(0.7)


# -- found by the 10,000-program fuzz run ------------------------------------------------


def list_shared_then_replaced(x):
    a = [x, x * 2.0, x * 3.0]
    b = [x * 4.0]
    prev = a                      # the same list under two names
    s = 0.0
    for i in range(2):
        s = s + prev[0] * prev[-1]
        prev = b                  # (a keeps its list)
    return s + a[1] * a[-1]


def replaced_on_one_iteration(x):
    a = [x, x * 2.0, x * 3.0]
    b = [x * 4.0]
    prev = a
    s = 0.0
    for i in range(2):
        s = s + prev[0] * prev[-1]
        if i == 0:
            prev = b
    return s + prev[0]


def pairs_made_of_constants_in_the_loop(x, y):
    # (fuzz seed 4548) the second position's new list holds constants only: the loop's
    # variable was taken for a list of the same length all along (an IndexError)
    hs = [x]
    pr = [(hs[-1], 0.5), (hs[0], hs[-1]), (0.5, y)]
    k = 0
    while k < 2:
        k += 1
        for p, q in pr:
            a = q
            hs.append(p * y)
        pr = [(a, 0.5), (y, 0.5)]
    return (np.exp(0.5) + hs[-1]) ** 2 + hs[1]


def test_a_list_variable_given_other_lists_made_before_the_loop():
    # (an IndexError in the generated code since lists could be carried: the loop's
    # variable was a's own name, so a took b's list too)
    for f in (list_shared_then_replaced, replaced_on_one_iteration):
        assert_grad(f, 0.7)
    assert_grad(pairs_made_of_constants_in_the_loop, -0.45, -0.84, wrt=(0, 1))


def first_row_a_display(x, n):
    # found in review: the inner display is a tuple in the generated code, whose piece of
    # np.array's adjoint went nowhere (4.2 instead of 11.2 at x = 0.7, n = 2)
    table = [[x, 2.0 * x]]
    for i in range(n):
        table.append([x * i, x])
    return np.sum(np.array(table) ** 2)


def rows_that_are_tuples(x, n):
    rows = []
    for i in range(n):
        t = (x * i, np.sin(x))
        rows.append(t)
    return np.sum(np.array(rows) ** 2)


def test_numpy_functions_of_rows_made_as_displays_or_tuples():
    for n in (0, 2):
        assert_grad(first_row_a_display, 0.7, n)
        assert_grad(rows_that_are_tuples, 0.7, n)
    assert ad.grad(first_row_a_display)(0.7, 2) == pytest.approx(11.2)
