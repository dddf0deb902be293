"""Programs that once gave wrong gradients or crashed (found by adversarial testing and the
random-program fuzzer), each checked against finite differences, or refused."""

import numpy as np
import pytest

import adcompile as ad
import adcompile.runtime as runtime

from conftest import assert_grad

VEC = np.array([0.3, -0.7, 1.2])


def loop_in_one_branch(x, k):
    if k > 1:
        b = x
    else:
        b = x * 0.5
        for i in range(3):
            b = b * x
    return b


def double(p):
    for i in range(2):
        p = p * 2.0
    return p


def helper_reassigns_its_parameter_in_a_loop(x):
    return double(x) * x


def pair(p, q):
    return p * q, p + q


def tuple_helper_in_a_loop(x, y):
    s = 0.0
    for i in range(2):
        a, b = pair(x, y)
        s = s + a * b
    return s


def loop_in_branch_overwrites_a_read_value(x, c):
    y = np.tanh(x)
    z = y * 2.0
    if c > 0:
        for i in range(2):
            y = y * 0.5
    return z * y


def loop_in_branch_in_a_loop(x, flag):
    s = 0.0
    r = 1.0
    for k in range(2):
        c = x * 2.0
        if flag:
            for j in range(1):
                r = x + k
        s = s + c * r
    return s


def bound_changes_in_the_body(x, n):
    s = x
    for i in range(n):
        s = s * x
        n = n - 1
    return s


def bound_grows_in_the_body(x):
    n = 2
    s = x
    for i in range(n):
        s = np.sin(s)
        n = n + 1
    return s


def sequence_reassigned_in_the_body(x):
    v = x * 1.0
    s = 0.0
    for e in v:
        s = s + e
        v = v * 2.0
    return s


def carried_scalar_becomes_array(x, v):
    s = x
    t = x
    for i in range(2):
        t = s * x
        s = v * t
    return np.sum(t)


def early(p):
    if p > 0:
        return p * 0.5
    return p


def helper_with_early_return_in_a_loop(x):
    s = 0.0
    for i in range(2):
        c = x * 1.0
        s = c * early(x)
    return s


def first_assigned_in_a_loop_that_may_not_run(x, n):
    for i in range(n):
        z = x * 2.0
    for i in range(2):
        z = x * 3.0
    return z


def index_read_after_the_loop(x):
    for i in range(3):
        pass
    return x * i


def assigned_in_a_branch_of_a_while(x):
    w1 = 0
    b = x
    while w1 < 3:
        w1 += 1
        if w1 > 1:
            w3 = 0
            while w3 < 2:
                w3 += 1
                b = np.sin(b)
    return b


def returns_inside_a_loop(p, q):
    s = q
    for k in range(3):
        s = s * 0.9 + p
        if k == 1:
            return s
    return s


def returning_helper_in_a_loop(x):
    c = x
    for i in range(2):
        c = c * returns_inside_a_loop(x, 0.1 * i)
    return c


def return_reads_an_inner_index(x):
    s = x
    for i in range(3):
        for j in range(i):
            s = s * x
            return s + 0.1 * j
    return s


def returns_from_nested_loops(x, y, n0, flag):
    hs = [x]
    for u0 in hs:
        if flag:
            return x * 2.0
        else:
            w1 = 0
            while w1 < n0:
                w1 += 1
                return y * y
    return 0.0


def continue_in_a_nested_branch(x, y, flag):
    b = y * 0.5
    c = 0.0
    hs = [0.5, b]
    for u0 in hs:
        a = x
        if x < 0.5:
            c = c + hs[-1] * 0.5
        elif flag:
            a = a + hs[-1] * 0.5
        else:
            continue
    return hs[-1] * a + c


def range_over_a_list_the_loop_appends_to(x, y):
    hs = [x]
    c = y
    for i in range(len(hs)):
        c = c * hs[i]
        hs.append(y)
    return c


# fuzzer seeds 59, 105, 177, 199: a list grows after a loop whose range reads its length;
# the reversed loop re-read len() and ran one step too many


def list_grows_after_the_loop_over_it(x, y):
    b = y * 0.5
    hs = [0.5, b]
    for u0 in hs:
        c = u0
    hs.append(y * hs[0] ** 3)
    return c * x


def constant_list_grows_after_a_range_over_its_length(x):
    ns = [1, 2]
    s = x
    for i in range(len(ns)):
        s = s * x
    ns.append(3)
    return s


def fuzz_105(x, y):
    a = x
    b = y - 0.5
    hs = [a]
    w0 = 0
    while w0 < 2:
        w0 += 1
        for j in range(len(hs)):
            b = b + hs[-1] * 0.5
        for j in range(w0):
            c = w0
            a = 0.5
        a += y * b
    hs.append(c * b)
    return (hs[-1] ** 3) ** 2


def fuzz_199(x):
    a = x * 0.5
    c = 0.5
    hs = [a]
    for i in range(2):
        for u1 in hs:
            c = c + hs[0] * 0.5
        hs.append(max(i, 0.5 * i * hs[-1]))
    return a * abs(c)




def returns_an_inactive_list_item_on_one_path(x, y, n0):
    # fuzzer seed 10224: the merged result is active through the other return
    b = y - 0.25
    hs = [0.5, b]
    b = np.sin(x)
    for i in range(len(hs)):
        w0 = 0
        while w0 < n0:
            w0 += 1
            return -b + 1.39
    return hs[-1]


def pops_an_inactive_list_on_one_path(x, flag):
    hs = [0.5, 0.25]
    if flag:
        r = hs.pop()
    else:
        r = x * x
    return r


# fuzzer seed 21105 (a crash), and the wrong gradient behind it: the early returns' flag is
# tested by an if whose loop sets it; the reverse sweep tested the flag's new value


def fuzz_21105(x, y, n0, k0, flag):
    b = y
    hs = [0.5, b]
    for i in range(n0):
        w0 = 0
        while w0 < n0:
            w0 += 1
            if b >= 0.5:
                b = x
                return b
        for j in range(len(hs)):
            return 0.5


def returns_from_a_loop_in_the_other_branch(x, n0):
    b = x
    for i in range(n0):
        k = 0
        while k < n0:
            k += 1
            if b >= 0.5:
                b = x * b
                return b
        for j in range(2):
            b = np.sin(b) * x
            return b
    return b


# fuzzer seed 24481 (a wrong gradient): the copy c = b in a branch, renamed to the name c has
# after the outer if, left the inner if and loop believing c was made inside them, and the
# reverse sweep dropped c's adjoint there


def fuzz_24481(x, y, n0, k0, flag):
    a = x
    b = y * 0.5
    hs = [0.5, b]
    if not flag:
        c, a = a, c
    else:
        c = b
        if y >= 0.5:
            w0 = 0
            while w0 < 4 and c > a:
                w0 += 1
                c = c + hs[len(hs) // 2] * 0.5
    return np.cos((c ** 2))


def loop_in_a_branch_after_a_copy(x, y, flag):
    a = x
    b = y * 0.5
    if not flag:
        c = a
    else:
        c = b
        if y >= 0.5:
            for i in range(3):
                c = c * b + a
    return np.cos(c ** 2)


def fuzz_5704(x, y, v):
    # u's adjoint started as the array of a copy's adjoint (w = u) that was also another of
    # its own terms: adding into it in place added that term twice
    a = x
    u = v * y
    w = u
    t = u[1:]
    dc = {"s": (0.5, a), "u": (w + u)}
    return np.sum(dc["u"]) * (t @ t + a)


CASES = [
    (fuzz_5704, (0.033517, -0.90844, np.array([-0.277668, 1.111596, -0.499025])), (0, 1, 2)),
    (fuzz_21105, (-0.549165, -0.098878, 3, 1, True), (0, 1)),
    (fuzz_21105, (0.549165, 0.698878, 3, 1, True), (0, 1)),
    (returns_from_a_loop_in_the_other_branch, (0.3, 3), 0),
    (returns_from_a_loop_in_the_other_branch, (-0.4, 3), 0),
    (returns_from_a_loop_in_the_other_branch, (0.7, 3), 0),
    (fuzz_24481, (-0.294265, 0.500564, 3, 0, True), (0, 1)),
    (loop_in_a_branch_after_a_copy, (-0.3, 0.7, True), (0, 1)),
    (loop_in_a_branch_after_a_copy, (-0.3, 0.7, False), (0, 1)),
    (loop_in_a_branch_after_a_copy, (-0.3, 0.2, True), (0, 1)),
    (range_over_a_list_the_loop_appends_to, (0.3, 0.4), (0, 1)),
    (continue_in_a_nested_branch, (0.525541, 0.857493, False), (0, 1)),
    (continue_in_a_nested_branch, (0.525541, 0.857493, True), (0, 1)),
    (continue_in_a_nested_branch, (0.3, 0.857493, False), (0, 1)),
    (returns_from_nested_loops, (-0.8, 0.2, 3, False), (0, 1)),
    (returns_from_nested_loops, (-0.8, 0.2, 3, True), (0, 1)),
    (returns_from_nested_loops, (-0.8, 0.2, 0, False), (0, 1)),
    (loop_in_one_branch, (0.3, 0), 0),
    (loop_in_one_branch, (0.3, 2), 0),
    (helper_reassigns_its_parameter_in_a_loop, (0.7,), 0),
    (tuple_helper_in_a_loop, (0.7, 0.3), (0, 1)),
    (loop_in_branch_overwrites_a_read_value, (0.7, 1), 0),
    (loop_in_branch_in_a_loop, (0.7, True), 0),
    (bound_changes_in_the_body, (0.7, 3), 0),
    (bound_grows_in_the_body, (0.7,), 0),
    (sequence_reassigned_in_the_body, (VEC,), 0),
    (carried_scalar_becomes_array, (0.7, VEC), (0, 1)),
    (helper_with_early_return_in_a_loop, (0.7,), 0),
    (helper_with_early_return_in_a_loop, (-0.7,), 0),
    (first_assigned_in_a_loop_that_may_not_run, (0.7, 0), 0),
    (first_assigned_in_a_loop_that_may_not_run, (0.7, 2), 0),
    (index_read_after_the_loop, (0.7,), 0),
    (assigned_in_a_branch_of_a_while, (0.5,), 0),
    (returning_helper_in_a_loop, (0.5,), 0),
    (return_reads_an_inner_index, (0.5,), 0),
    (list_grows_after_the_loop_over_it, (0.3, 0.8), (0, 1)),
    (constant_list_grows_after_a_range_over_its_length, (0.7,), 0),
    (fuzz_105, (0.827919, -0.665544), (0, 1)),
    (fuzz_199, (0.672614,), 0),
    (returns_an_inactive_list_item_on_one_path, (0.56, 0.12, 1), 0),
    (returns_an_inactive_list_item_on_one_path, (0.56, 0.12, 0), 0),
    (pops_an_inactive_list_on_one_path, (0.56, True), 0),
    (pops_an_inactive_list_on_one_path, (0.56, False), 0),
]


@pytest.mark.parametrize("f, args, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_matches_finite_differences(f, args, wrt):
    assert_grad(f, *args, wrt=wrt)
    value, _ = ad.value_and_grad(f, wrt=wrt)(*args)
    assert value == pytest.approx(f(*args))


@pytest.mark.parametrize("f, args, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_shown_code_runs_and_agrees(f, args, wrt):
    """The code ad.show prints (what build writes) computes the same gradient."""
    namespace = dict(f.__globals__)
    namespace.update((name, getattr(runtime, name)) for name in dir(runtime)
                     if not name.startswith("_"))
    expected = ad.grad(f, wrt=wrt)(*args)
    expected = expected if isinstance(wrt, tuple) else (expected,)
    for key in (args, None):
        exec(ad.show(f, wrt=wrt, args=key), namespace)
        got = namespace[f"grad_{f.__name__}"](*args)
        got = got if isinstance(wrt, tuple) else (got,)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)


def rows_updated_in_place(x):
    A = np.ones((2, 2)) * x
    for row in A:
        row += x
    return np.sum(A)


def add_one(a):
    a += 1.0
    return 0.0


def parameter_updated_in_place(x):
    v = x * 1.0
    s = add_one(v)
    return np.sum(v * v) + s


def index_shadows_a_differentiated_value(x):
    i = x * 2.0
    for i in range(3):
        pass
    return x + i


def product(a, b):
    return a * b


def starred_call_to_a_helper(x, y):
    args = (x, y)
    return product(*args)


def double_starred_call_to_a_helper(x, y):
    options = {"b": y}
    return product(x, **options)


def iterating_a_list_while_appending(x, y):
    hs = [x, y]
    c = 0.0
    for u in hs:
        c = c + u * u
        hs.append(y * 3.0)
        break
    return c


def fuzz_2295(x, v):
    # the loop gave tp a tuple of constants; its adjoint list still sent what was read from
    # it after the loop to the first tuple's items (silently wrong)
    c = x * 0.5
    tp = (x * x, c)
    for i, e0 in enumerate(v):
        tp = (i, 0.5)
    a, b = tp
    return x * max(c, a)


def test_a_tuple_a_loop_gives_constants_is_carried_item_by_item():
    # fuzz_2295 was refused since the fix; tp, only ever unpacked, is now a structure whose
    # items the loop carries as variables: the first item's adjoint stops at the loop
    for v in (VEC, np.zeros(0)):
        assert_grad(fuzz_2295, 0.7, v)
    assert ad.grad(fuzz_2295)(0.7, VEC) == pytest.approx(2.0)


def test_a_helper_called_with_a_tuple_built_here_unpacked():
    # (refused before: *args of a tuple the function builds at one place passes its items)
    assert_grad(starred_call_to_a_helper, 0.7, -1.3, wrt=(0, 1))


@pytest.mark.parametrize("f, word, args", [
    (iterating_a_list_while_appending, "appends to", None),
    (double_starred_call_to_a_helper, r"\*\*kwargs", None),
    # in place for an array, which another name shares (a number shares nothing)
    (parameter_updated_in_place, "in place", (np.ones(2),)),
    (index_shadows_a_differentiated_value, "loop variable", None),
])
def test_refused(f, word, args):
    with pytest.raises(ad.TransformError, match=word):
        gradient = ad.grad(f)
        if args is not None:
            gradient(*args)


def test_rows_a_loop_walks_updated_in_place_change_the_array():
    # (refused before; the rows are views of A, which changes: frontend/row_loops.py)
    assert ad.grad(rows_updated_in_place)(1.5) == pytest.approx(8.0)
    assert_grad(rows_updated_in_place, 1.5)
    assert_grad(rows_updated_in_place, np.array([0.5, 2.0]))
    np.testing.assert_allclose(ad.grad(rows_updated_in_place)(np.array([0.5, 2.0])), [4.0, 4.0])


def test_a_number_updated_in_place_in_a_helper():
    # a += 1.0 on a number makes a new number: v keeps its value
    assert ad.grad(parameter_updated_in_place)(1.5) == pytest.approx(3.0)


def test_a_value_read_by_hundreds_of_statements(tmp_path, monkeypatch):
    """The adjoint of x is a sum of 400 terms; as one chain it nested too deep to compile."""
    (tmp_path / "many_uses.py").write_text(
        "def many_uses(x):\n    s = 0.0\n" + "    s = s + x * 1.5\n" * 400 + "    return s\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import many_uses
    assert ad.grad(many_uses.many_uses)(0.5) == pytest.approx(600.0, rel=1e-12)


# fuzzer seed 27056 (a crash of grad of grad): the code differentiated again saved, at the
# start of each iteration, a variable the loop carries (b) that nothing read once restored,
# and whose value before the loop the pruned forward sweep no longer computed


def saves_a_carried_value_nothing_reads(x, y):
    b = y - 0.25
    hs = [x]
    for i in range(1):
        for k in range(0):
            a = hs[0] ** 3
            hs.append(0.5)
            y = a
        b = 0.5
        return x * x - y
    return b


def carried_value_restored_but_unread(x, y):
    b = y * 2.0
    s = x
    for i in range(3):
        s = np.sin(s) * x
        b = s
    return s * x


@pytest.mark.parametrize("f, args", [(saves_a_carried_value_nothing_reads, (0.7, 0.3)),
                                     (carried_value_restored_but_unread, (0.7, 0.3))])
def test_second_derivative(f, args):
    g = ad.grad(f)
    assert_grad(g, *args)
    _, hv = ad.jvp(g)(*args, 1.0)
    assert hv == pytest.approx(ad.grad(g)(*args), rel=1e-12)


def indexed_by_flag(x, flag):
    y = x[flag] * x      # x[True] adds an axis of length 1: y has shape (1, n)
    return np.sum(y * y)


def test_a_bool_argument_used_as_an_index():
    # a bool was specialised on as a number, so x[flag] was taken to remove an axis
    for flag in (True, np.bool_(True)):
        assert_grad(indexed_by_flag, VEC, flag, forward=False)


# ---------------------------------------------------------------------------
# found by the fuzzer's container and alias programs (seeds 301127, 301786, 116)
# ---------------------------------------------------------------------------

def list_rebuilt_on_one_path(x, y, n0):
    a = x
    hs = [a]
    ls = [0.5, np.log(0.5 + hs[-1])]
    if n0 > 1 and x >= -0.73:
        for i in range(1):
            continue
    else:
        ls = [y, y]
    return ls[1]


def tuple_rebuilt_on_one_path(x, y):
    a = x + 0.5
    hs = [x]
    tp = (a, 0.5)
    if a < x:
        tp = (y, hs[-1])
    hs.append(tp[0] + hs[len(hs) - 1])
    return -hs[len(hs) - 1] + 0.5 + tp[0]


def one_of_two_lists(x, y, c):
    la = [x, x * 2.0]
    lb = [y, x * y]
    if c:
        ls = la
    else:
        ls = lb
    return ls[1] * ls[0]


@pytest.mark.parametrize("f, args", [
    (list_rebuilt_on_one_path, (0.221703, 0.3, 2)),    # d/dx was 0
    (list_rebuilt_on_one_path, (0.2, 0.3, 0)),
    (tuple_rebuilt_on_one_path, (-0.908007, 0.3)),     # d/dx was -1, not -2
    (one_of_two_lists, (0.7, 1.3, True)),
    (one_of_two_lists, (0.7, 1.3, False)),              # the value itself was la's
])
def test_lists_joined_after_an_if(f, args):
    assert_grad(f, *args, wrt=(0, 1))
    assert ad.value_and_grad(f, wrt=(0, 1))(*args)[0] == pytest.approx(f(*args))


def checked_alias_then_forward(x, y):
    a = x
    hs = [a]
    a -= -0.6                      # checked when it runs (the general code): x may be an array
    return hs[0] * a + y


def test_forward_mode_beside_a_runtime_check():
    # the check's call was taken for a change of x in place, and x was copied: the copy
    # had no tangent, so d/dx was 0 in forward mode
    _, tangent = ad.jvp(checked_alias_then_forward, wrt=(0, 1))(0.7, 0.2, (1.0, 0.0))
    assert tangent == pytest.approx(2 * 0.7 + 0.6)
    assert "private_copy" not in ad.show(checked_alias_then_forward, mode="forward")


def new_array_shared_by_max(x, y):
    d = np.asarray(np.sin(x))    # a new 0-d array, though made of a number
    a = max(d, d)                # a is that array
    d += y                       # changes a too
    return a * 2.0


def max_of_two_zero_d_arguments(x, y):
    hs = [x]
    a = max(hs[0], hs[-1])       # with 0-d arrays, a is x itself
    a += y - 0.5                 # changes x in place
    return x


def list_made_on_the_path_after_an_early_return(x, y, n0, flag):
    ls = [0.5 - y, x]
    if n0 % 2 == 1:
        return x * 2.0
    elif flag:
        b = x
    else:
        ls = [y, x * x]
    return ls[1] * 3.0 + ls[0]


def test_fuzzer_seeds_1362_1520_2424():
    # np.asarray of a number is a new array (it was taken to share nothing): refused, as the
    # generated code would not see d += y change a
    with pytest.raises(TypeError, match="changes the array 'd' in place"):
        ad.grad(new_array_shared_by_max)(0.3, 0.2)
    # max of 0-d arrays is one of them, not a new number: refused for 0-d arrays
    assert ad.grad(max_of_two_zero_d_arguments)(0.3, 0.2) == 1.0
    with pytest.raises(ad.TransformError, match="changes the array 'a' in place"):
        ad.grad(max_of_two_zero_d_arguments)(np.array(0.3), np.array(0.2))
    # a list made on the paths after an early return: its adjoint list was made before the
    # if, where the list did not exist (UnboundLocalError)
    for n0, flag in ((0, True), (0, False), (1, True)):
        assert_grad(list_made_on_the_path_after_an_early_return, 0.7, 0.4, n0, flag, wrt=(0, 1))


def list_built_after_an_early_return(x, flag):
    if flag:
        return x * 2.0
    hs = []
    hs.append(x * x)
    return hs[0]


def test_list_built_after_an_early_return():
    # the adjoint list was made outside the branch that makes the list: UnboundLocalError
    # when the early return was taken
    for flag in (True, False):
        assert_grad(list_built_after_an_early_return, 0.7, flag)


def det_of_a_singular_matrix(v, y):
    z = np.zeros(3)
    m = np.stack([z[::2], v[::2]])      # a row of zeros: det(m) = 0
    return (np.linalg.det(m) + np.sum(v * y)) * y + m.reshape(2, 2)[1][0]


def test_det_of_a_singular_matrix():
    # fuzzer seed 3127: the adjoint used inv(m), a LinAlgError at a singular matrix, where
    # det has a gradient (the cofactor matrix)
    assert_grad(det_of_a_singular_matrix, np.array([0.7, -0.4, 0.9]), 0.36, wrt=(0, 1))


def tuple_made_on_one_path(x, y, flag):
    a = x * 2.0
    if flag:
        tp = (x, a * y)
    if flag:
        return tp[1] * y + tp[0]
    return a * x


def test_tuple_made_on_one_path_to_second_order():
    # fuzzer seed 3144: tp is None on the other path (unbound in Python); the adjoint list of
    # the gradient code's tp was made from it there, 'NoneType' object is not iterable
    for flag in (True, False):
        assert_grad(tuple_made_on_one_path, 0.7, 0.4, flag)
        h = ad.grad(ad.grad(tuple_made_on_one_path))(0.7, 0.4, flag)
        assert h == pytest.approx(0.0 if flag else 4.0)   # 2 x y^2 + x, or 2 x^2


def loop_of_a_variable_named_a(x, y, k0):
    a = x + 0.5
    for i in range(k0):
        a = np.log(2.0 + np.sin(a)) * y
    return a


def test_generated_names_are_never_keywords():
    # fuzzer seed 8342: loop fission named the steps of a "as" (a SyntaxError)
    assert_grad(loop_of_a_variable_named_a, -0.755157, 0.935436, 2, wrt=(0, 1))


def carried_value_read_before_and_in_a_branch(x, w, n):
    s = 0.0
    k = 0.5
    for i in range(n):
        y = x * k          # (this piece saves k, which it does not assign)
        z = np.sin(x)
        if w > 0.5:
            s = s + z * k  # (and so does the branch: its save must stay)
        x = y * 0.5 + 0.3
        k = k * 1.5
    return s + x


@pytest.mark.parametrize("n", [0, 1, 2, 5])
@pytest.mark.parametrize("w", [0.9, 0.1])
def test_a_branch_keeps_its_save_when_only_an_earlier_piece_saves_the_value(w, n):
    # The saves of one iteration were deduplicated with the pieces after a branch
    # looked up by position, one off once the loop's start piece was put first: the
    # piece before the if counted as after it, the branch did not save k, and read the
    # k of the next iteration (1.017 for 0.696 at w=0.9, n=3).
    assert_grad(carried_value_read_before_and_in_a_branch, 0.7, w, n)
    second = ad.grad(ad.grad(carried_value_read_before_and_in_a_branch))
    assert np.isfinite(second(0.7, w, n))


def squashed(W, b, x):
    return np.tanh(W @ x + b)


def helper_and_a_scale(W, b, s, x):
    return np.sum(squashed(W, b, x) ** 2) + s ** 2 * np.sum(b)


def test_second_derivative_through_a_helper_call_the_gradient_kept_unread():
    # The gradient with respect to s keeps the call of the helper as a statement (for
    # what the call may do); differentiating that gradient with respect to W refused it as
    # "an expression statement on a value being differentiated". Mixed second derivatives
    # (a Hessian with several wrt) need it: it is the user's computation again.
    W, b, s, x = np.ones((2, 3)) * 0.3, np.ones(2) * 0.1, 0.5, np.arange(3.0)
    mixed = ad.jacobian(ad.grad(helper_and_a_scale, wrt=2), wrt=(0, 1))(W, b, s, x)
    np.testing.assert_allclose(mixed[0], np.zeros((2, 3)))
    np.testing.assert_allclose(mixed[1], 2 * s * np.ones(2))


def returns_from_a_loop_in_a_loop(x, y, n):
    b = 0.7
    hs = [x, y]                    # read by constant indices: a structure
    for i in range(n):
        if i < 2:
            b = b + hs[-1] * 0.5 * x
            for j in range(2):
                return b * (0.1 + j)
        break
    return b * hs[0]


def item_updated_by_a_structures_item(x, y, k):
    hs = [0.5, y]
    a = 0.0
    for w in range(k):
        row = [y]
        row.append(x * w)
        row[0] += hs[len(hs) - 1]   # the value reads a structure's item
        a = a + sum(row)
    return a


def test_structures_after_an_if_whose_paths_all_jump_and_item_updates_reading_them():
    # fuzzer seeds 127 and 5: an if every path of which returned (a break after lowering)
    # left no structures known after it, so the loop saw hs change; row[0] += hs[...] read
    # the user's unresolved value
    for n in (0, 1, 2):
        assert_grad(returns_from_a_loop_in_a_loop, 0.6, -0.4, n, wrt=(0, 1))
    for k in (0, 3):
        assert_grad(item_updated_by_a_structures_item, 0.6, -0.4, k, wrt=(0, 1))


def fuzz_5740(x, y):
    # the list's item is b's object: for an array, b += hs[-1] doubles it (and hs[-1])
    # in each iteration; computed as b = b + (the item as it was), a silent wrong value
    b = y
    hs = [0.5, b]
    w0 = 0
    while w0 < 4 and x < 0.5:
        w0 += 1
        b += hs[-1]
    return np.sum(b)


def fuzz_5740_dict(x, y):
    b = y
    d = {"a": 0.5, "b": b}
    w0 = 0
    while w0 < 4 and x < 0.5:
        w0 += 1
        b += d["b"]
    return np.sum(b)


def fuzz_5745(x, y):
    # ls[0] and hs[-1] are one object: ls[0] += c changes what hs[-1] reads
    b = y
    c = 0.5 - y
    hs = [0.5, b]
    ls = [hs[-1], c]
    ls[0] += c
    return np.sum(abs(hs[len(hs) - 1]))


def _h2(p, q, m=2):
    return q


def fuzz_7685(x, y):
    c = 0.5
    hs = [x, y]
    dc = {"a": hs[len(hs) - 1], "b": 0.5}
    dc["a"] += _h2(c, hs[len(hs) - 1], m=1)
    return np.sum(hs[-1])


@pytest.mark.parametrize("f", [fuzz_5740, fuzz_5740_dict, fuzz_5745, fuzz_7685])
def test_an_item_of_a_structure_sharing_an_array_changed_in_place(f):
    # numbers share nothing: differentiated; arrays (0-d too): refused, never a wrong value
    assert_grad(f, -0.53, 1.108, wrt=1)
    for y in (np.array(1.108), np.array([1.108, 0.3])):
        with pytest.raises((ad.TransformError, TypeError), match="in place"):
            ad.grad(f, wrt=1)(-0.53, y)


def fuzz_7688(x, y):
    # the inner loop "carried" tp's second item without changing it; its adjoint, moved
    # into the item's accumulator only in an iteration that ran, was dropped by a loop
    # that ran zero times (range(0)): d/dx 0 instead of 2 for arrays (0-d too)
    b = y
    hs = [0.5, b]
    for i in range(3):
        tp = (x, x)
        for j in range(i):
            for k in range(j):
                tp = (k, tp[-1])
                y = (tp[1] + (tp[0] + tp[1]))
    return np.sum(hs[len(hs) - 1] + y)


def test_a_structure_item_a_loop_leaves_as_it_is_through_a_loop_run_zero_times():
    for x, y in ((-0.816527, -0.976261), (np.array(-0.816527), np.array(-0.976261)),
                 (np.array([-0.8, 0.3]), np.array([-0.9, 0.2]))):
        assert_grad(fuzz_7688, x, y, wrt=(0, 1))


# -- a loop over a value not differentiated walks what Python's for walks -----------------
# (read by position, d[i], a dict with the keys 0..n-1 gave its values, not its keys: a
# silent wrong gradient; a set or a dict's keys view crashed)

INT_KEYED = {0: 5.0, 1: 7.0}


def over_a_dict(x, d):
    total = 0.0
    for k in d:
        total = total + x * k
    return total


def over_a_global_dict(x):
    total = 0.0
    for k in INT_KEYED:
        total = total + x * k * INT_KEYED[k]
    return total


def over_a_dict_made_here(x):
    d = {0: 5.0, 2: 7.0}
    total = 0.0
    for k in d.keys():
        total = total + x * x * k
    return total


@pytest.mark.parametrize("f, args", [
    (over_a_dict, (2.0, INT_KEYED)), (over_a_dict, (2.0, {3.0, 4.0})),
    (over_a_dict, (2.0, (1.0, 2.0))),
    (over_a_global_dict, (2.0,)), (over_a_dict_made_here, (2.0,))])
def test_a_loop_over_a_dict_or_set_walks_its_keys(f, args):
    assert_grad(f, *args, keywords=False)
    h = 1e-6   # (and the value Python's for gives, which the finite differences check)
    want = (f(args[0] + h, *args[1:]) - f(args[0] - h, *args[1:])) / (2 * h)
    assert abs(ad.grad(f)(*args) - want) < 1e-6


def rows_of_data(W, h0, xs):
    h = h0
    loss = 0.0
    for x in xs:   # (xs not differentiated: walked through runtime.iterated)
        h = np.tanh(W @ h + x)
        loss = loss + np.sum(h ** 2)
    return loss


def test_a_loop_over_an_array_not_differentiated_keeps_its_dimensions():
    # iterated(xs) is xs for an array: the analyses know its dimensions, so the code
    # specialised to arrays needs no unbroadcast and its reversed loop is batched
    rng = np.random.default_rng(3)
    W, h0, xs = rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=(4, 3))
    assert_grad(rows_of_data, W, h0, xs, wrt=(0, 1))
    code = ad.show(rows_of_data, wrt=(0, 1), args=(W, h0, xs))
    assert "iterated(xs)" in code and "unbroadcast" not in code and "step_arrays" in code
