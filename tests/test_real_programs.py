"""Programs written the way numeric Python is written, not the way the compiler likes it:
a trajectory kept in a list and stacked, Runge-Kutta stages in a list, an MLP over a list
of (W, b) pairs, a soft edit distance by dynamic programming over two rows, attention
scores built row by row. Each gradient is checked against finite differences and, where
autograd can run the same code, against autograd.

(The soft edit distance, kept with the tests of lists passed between loop iterations, is
how a silent wrong gradient of those was found: its first row is a constant list.)
"""

import math

import autograd
import numpy as np
import pytest
from conftest import assert_close, assert_grad, numerical_grad, with_autograd_numpy
from test_constructors import Regressor
from test_lists_across_iterations import soft_edit_distance

import adcompile as ad

rng = np.random.default_rng(7)


def pendulum_trajectory(theta, n=20, dt=0.1):
    # explicit Euler; the states kept in a list, then stacked
    state = np.array([theta[0], 0.0])
    traj = [state]
    for _ in range(n):
        angle, vel = state[0], state[1]
        state = np.array([angle + dt * vel, vel - dt * theta[1] * np.sin(angle)])
        traj.append(state)
    traj = np.array(traj)
    return np.sum(traj[:, 0] ** 2)


def rk4_decay(y0, k, t1=1.0, n=10):
    # the four stages of each step in a list made in the loop; the outputs stacked
    h = t1 / n
    y = y0
    ys = []
    for i in range(n):
        ks = []
        ks.append(-k * y)
        ks.append(-k * (y + h / 2 * ks[0]))
        ks.append(-k * (y + h / 2 * ks[1]))
        ks.append(-k * (y + h * ks[2]))
        y = y + h / 6 * (ks[0] + 2 * ks[1] + 2 * ks[2] + ks[3])
        ys.append(y)
    return np.sum(np.stack(ys) ** 2)


def mlp(params, x):
    h = x
    for W, b in params[:-1]:
        h = np.tanh(h @ W + b)
    W, b = params[-1]
    return np.sum((h @ W + b) ** 2)


def attention_scores(xs, Wq, Wk):
    scores = []
    for x in xs:
        row = []
        for y in xs:
            row.append(np.dot(x @ Wq, y @ Wk))
        scores.append(row)
    S = np.array(scores)
    S = S - S.max(axis=1, keepdims=True)
    P = np.exp(S) / np.sum(np.exp(S), axis=1, keepdims=True)
    return np.sum(P * S)


def kalman_1d(q, zs, r=0.5):
    # the estimates and variances kept in two lists made side by side
    x, P = 0.0, 1.0
    xs, Ps = [], []
    for z in zs:
        P = P + q
        K = P / (P + r)
        x = x + K * (z - x)
        P = (1 - K) * P
        xs.append(x)
        Ps.append(P)
    return sum((xi - zi) ** 2 for xi, zi in zip(xs, zs)) + sum(Ps)


def gp_log_det(ell, X):
    # a kernel matrix filled entry by entry
    n = X.shape[0]
    K = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            d = X[i] - X[j]
            K[i, j] = np.exp(-0.5 * np.dot(d, d) / ell ** 2)
    K = K + 0.1 * np.eye(n)
    return np.log(np.linalg.det(K))


def newton_sqrt(a):
    # a loop that runs until the value converges
    x = a
    it = 0
    while abs(x * x - a) > 1e-12 and it < 50:
        x = 0.5 * (x + a / x)
        it += 1
    return x


def prefix_sums(w):
    parts = [w[0]]
    for i in range(1, len(w)):
        parts.append(parts[-1] + w[i] * (i + 1))
    s = 0.0
    for i in range(len(parts)):
        s = s + sum(parts[:i + 1]) * 0.1
    return s


def test_a_trajectory_kept_in_a_list():
    theta = np.array([0.5, 9.8])
    assert_grad(pendulum_trajectory, theta)
    assert_close(ad.grad(pendulum_trajectory)(theta),
                 with_autograd_numpy(globals(), autograd.grad(pendulum_trajectory), theta), 1e-12, 1e-12)


def test_runge_kutta_stages_in_a_list():
    assert_grad(rk4_decay, 1.0, 0.7, wrt=(0, 1))
    got = ad.grad(rk4_decay, wrt=(0, 1))(1.0, 0.7)
    expected = with_autograd_numpy(globals(), autograd.grad(rk4_decay, (0, 1)), 1.0, 0.7)
    assert_close(np.array(got), np.array(expected), 1e-12, 1e-12)


def test_an_mlp_over_a_list_of_layers():
    params = [(rng.normal(size=(3, 4)), rng.normal(size=4)),
              (rng.normal(size=(4, 4)), rng.normal(size=4)),
              (rng.normal(size=(4, 2)), rng.normal(size=2))]
    x = rng.normal(size=(5, 3))
    got = ad.grad(mlp)(params, x)
    expected = with_autograd_numpy(globals(), autograd.grad(mlp), params, x)
    assert isinstance(got, list) and all(isinstance(p, tuple) for p in got)
    for (gW, gb), (eW, eb) in zip(got, expected):
        assert_close(gW, eW, 1e-12, 1e-12)
        assert_close(gb, eb, 1e-12, 1e-12)
    # and against finite differences, through the input x
    assert_close(ad.grad(mlp, wrt=1)(params, x), numerical_grad(mlp, (params, x), 1))


def test_a_soft_edit_distance_over_two_rows():
    costs = rng.random((3, 4))
    assert_grad(soft_edit_distance, costs)
    got = ad.grad(soft_edit_distance)(costs)
    # every path through costs[0, j > 0] starts 1e9 above the cheapest: a zero gradient
    assert np.all(got[0, 1:] == 0) and got[0, 0] > 0
    assert_close(got, with_autograd_numpy(globals(), autograd.grad(soft_edit_distance), costs),
                 1e-10, 1e-12)


def test_attention_scores_built_row_by_row():
    xs = [rng.normal(size=2) for _ in range(3)]
    Wq, Wk = rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    assert_grad(attention_scores, xs, Wq, Wk, wrt=1, keywords=False)
    assert_close(ad.grad(attention_scores, wrt=(1, 2))(xs, Wq, Wk)[1],
                 numerical_grad(attention_scores, (xs, Wq, Wk), 2))


def test_filters_kernels_iterations_and_prefix_sums():
    zs = [0.1, 0.5, -0.2, 0.4]
    assert_grad(kalman_1d, 0.3, zs, keywords=False)
    assert_close(ad.grad(kalman_1d)(0.3, zs), autograd.grad(kalman_1d)(0.3, zs), 1e-12, 1e-12)
    assert_grad(gp_log_det, 0.8, rng.normal(size=(4, 2)))
    assert_grad(newton_sqrt, 2.0)
    assert abs(ad.grad(newton_sqrt)(2.0) - 0.5 / np.sqrt(2.0)) < 1e-12   # d sqrt(a) / da
    w = np.array([0.3, -0.2, 0.5, 1.0])
    assert_grad(prefix_sums, w)
    assert_close(ad.grad(prefix_sums)(w), autograd.grad(prefix_sums)(w), 1e-12, 1e-12)


# -- more programs as people write them: a GP, masked attention, a periodic stencil, soft
# k-means, a model class over a dict of layers, a running average kept by copies, a loss
# method calling the model itself --------------------------------------------------------

def gp_negative_log_likelihood(log_ell, log_sf, X, y):
    d = X[:, None, :] - X[None, :, :]
    r2 = np.sum(d ** 2, axis=-1) / np.exp(2 * log_ell)
    K = np.exp(2 * log_sf) * np.exp(-0.5 * r2) + 1e-2 * np.eye(X.shape[0])
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(L)))


def masked_attention(Wq, Wk, Wv, x, mask):
    q, k, v = x @ Wq, x @ Wk, x @ Wv
    s = q @ k.T / np.sqrt(q.shape[1])
    s = np.where(mask, s, -1e9)
    s = s - s.max(axis=1, keepdims=True)
    p = np.exp(s)
    p = p / p.sum(axis=1, keepdims=True)
    return np.sum((p @ v) ** 2)


def periodic_heat(u, k, steps):
    for _ in range(steps):
        u = u + k * (np.roll(u, 1) - 2 * u + np.roll(u, -1))
    return np.sum(u ** 3)


def soft_kmeans(C, X, beta):
    d2 = np.sum((X[:, None, :] - C[None, :, :]) ** 2, axis=2)
    r = np.exp(-beta * d2)
    r /= r.sum(axis=1, keepdims=True)
    return np.sum(r * d2)


class LeakyNet:
    def forward(self, params, x):
        h = x
        for i, (W, b) in enumerate(params["layers"]):
            h = W @ h + b
            if i < len(params["layers"]) - 1:
                h = np.maximum(h, 0.01 * h)
        return h


def regularised_loss(params, x, y, model):
    out = model.forward(params, x)
    return np.sum((out - y) ** 2) + params["reg"] * sum(np.sum(W ** 2)
                                                        for W, _ in params["layers"])


def running_average(xs, a):
    acc = np.zeros(3)
    kept = []
    for x in xs:
        acc *= a
        acc += x
        kept.append(acc.copy())
    return sum(np.sum(k ** 2) for k in kept)


def test_a_gaussian_process_likelihood_masked_attention_and_a_periodic_stencil():
    X, y = rng.normal(size=(6, 2)), rng.normal(size=6)
    assert_grad(gp_negative_log_likelihood, 0.3, -0.2, X, y, wrt=(0, 1))
    assert_close(np.array(ad.grad(gp_negative_log_likelihood, wrt=(0, 1))(0.3, -0.2, X, y)),
                 np.array(with_autograd_numpy(globals(), autograd.grad(
                     gp_negative_log_likelihood, (0, 1)), 0.3, -0.2, X, y)), 1e-10, 1e-12)
    Ws = [rng.normal(size=(3, 2)) for _ in range(3)]
    x, mask = rng.normal(size=(4, 3)), np.tril(np.ones((4, 4), bool))
    assert_grad(masked_attention, *Ws, x, mask, wrt=(0, 1, 2))
    got = ad.grad(masked_attention, wrt=(0, 1, 2))(*Ws, x, mask)
    want = with_autograd_numpy(globals(), autograd.grad(masked_attention, (0, 1, 2)), *Ws, x,
                               mask)
    for g, e in zip(got, want):
        assert_close(g, e, 1e-10, 1e-12)
    u = rng.normal(size=8)
    assert_grad(periodic_heat, u, 0.1, 20, wrt=(0, 1))
    assert_close(ad.grad(periodic_heat)(u, 0.1, 20),
                 with_autograd_numpy(globals(), autograd.grad(periodic_heat), u, 0.1, 20),
                 1e-10, 1e-12)


def test_soft_kmeans_a_model_class_a_running_average_and_a_loss_method():
    C, X = rng.normal(size=(3, 2)), rng.normal(size=(7, 2))
    assert_grad(soft_kmeans, C, X, 1.5, wrt=(0, 2))
    assert_close(ad.grad(soft_kmeans)(C, X, 1.5),
                 with_autograd_numpy(globals(), autograd.grad(soft_kmeans), C, X, 1.5),
                 1e-10, 1e-12)
    params = {"layers": [(rng.normal(size=(4, 3)), rng.normal(size=4)),
                         (rng.normal(size=(2, 4)), rng.normal(size=2))], "reg": 0.01}
    x, y = rng.normal(size=3), rng.normal(size=2)
    ad.check_grad(regularised_loss, params, x, y, LeakyNet())
    g = ad.grad(regularised_loss)(params, x, y, LeakyNet())
    assert isinstance(g["layers"][1], tuple) and g["layers"][1][0].shape == (2, 4)
    assert_grad(running_average, rng.normal(size=(5, 3)), 0.9, wrt=(0, 1))
    model = Regressor(rng.normal(size=(2, 3)), rng.normal(size=2))
    assert_close(ad.grad(model.loss)(x, y), numerical_grad(lambda x: model.loss(x, y), (x,), 0))


def euler_pendulum(theta, omega, steps=30, dt=0.05):
    # module functions under short local names, as numeric code often writes them
    sin = math.sin
    for _ in range(steps):
        omega = omega - dt * 9.81 * sin(theta)
        theta = theta + dt * omega
    return theta * theta + 0.5 * omega * omega


def squashed_norm(x, W):
    exp, norm = np.exp, np.linalg.norm
    tanh = np.tanh
    h = tanh(W @ x)
    return norm(h) + np.sum(exp(-h))


def alias_assigned_again(x):
    f = np.sin
    y = f(x)
    f = np.cos
    return np.sum(f(y))


def alias_in_a_branch(x, flag):
    f = np.cos
    if flag:
        f = np.sin
    return np.sum(f(x))


def test_local_names_for_module_functions():
    # (frontend/function_aliases.py: the local is the module's function where it is
    # assigned that once, at the top of the body)
    assert_grad(euler_pendulum, 0.4, 0.1, wrt=(0, 1))
    g = ad.grad(euler_pendulum, wrt=(0, 1))
    code = ad.show(euler_pendulum, wrt=(0, 1))   # (read once before the loops: see
    assert "    sin = math.sin\n" in code and "sin(theta)" in code, code   # test_optimize)
    x, W = rng.normal(size=3), rng.normal(size=(3, 3)) / 2
    assert_grad(squashed_norm, x, W, wrt=(0, 1))
    got = ad.grad(squashed_norm, wrt=(0, 1))(x, W)
    want = with_autograd_numpy(globals(), autograd.grad(squashed_norm, (0, 1)), x, W)
    for a, b in zip(got, want):
        assert_close(a, b, 1e-10, 1e-12)
    assert g(0.4, 0.1) == ad.grad(euler_pendulum, wrt=(0, 1))(0.4, 0.1)
    # a local assigned again, or in a branch, is a function held in a variable: refused
    for f, args in ((alias_assigned_again, (x,)), (alias_in_a_branch, (x, True))):
        with pytest.raises(ad.TransformError, match="held in a variable"):
            ad.grad(f)(*args)


# -- loops over a fixed sequence of functions (frontend/function_loops.py) --------------

def relu(x):
    return np.maximum(x, 0.0)


ACTIVATIONS = [np.tanh, relu, np.sin]


def layers_of_activations(x, Ws):
    h = x
    for act in ACTIVATIONS:
        h = act(Ws @ h) * 1.5
    return np.sum(h)


def sum_of_terms(x):
    total = 0.0
    for term in (np.sin, np.cos, relu):
        total = total + np.sum(term(x) ** 2)
    return total


def held_locally(x):
    fs = [np.sin, relu]
    y = fs[0](x) * fs[-1](x)
    for f in fs:
        y = y + f(x)
    return np.sum(y)


def function_given_on(f, x):
    return f(x) * 2.0


def walked_and_given(x):
    total = 0.0
    for f in (np.exp, relu):
        total = total + np.sum(function_given_on(f, x))
    return total


def read_after_the_loop(x):
    for f in (np.sin, np.cos):
        x = f(x)
    return np.sum(f(x))


def changed_list(x):
    fs = [np.sin]
    fs.append(np.cos)
    return np.sum(fs[1](x))


def test_loops_over_functions_are_written_out():
    x, Ws = rng.normal(size=4), rng.normal(size=(4, 4)) / 2
    assert_grad(layers_of_activations, x, Ws, wrt=(0, 1))
    code = ad.show(layers_of_activations, wrt=(0, 1))
    assert "np.tanh(" in code and "np.sin(" in code and "ACTIVATIONS" not in code, code
    want = with_autograd_numpy(globals(), autograd.grad(sum_of_terms), x)
    assert_close(ad.grad(sum_of_terms)(x), want, 1e-12, 1e-12)
    assert_grad(sum_of_terms, x)
    assert_grad(held_locally, x)
    assert_grad(walked_and_given, x)
    # a loop variable read after the loop, a list changed: still refused
    for f in (read_after_the_loop, changed_list):
        with pytest.raises(ad.TransformError, match="held in a variable"):
            ad.grad(f)(x)


def test_a_changed_list_of_functions_makes_new_code():
    x, Ws = rng.normal(size=3), rng.normal(size=(3, 3)) / 2
    before = ad.grad(layers_of_activations)(x, Ws)
    ACTIVATIONS[1] = np.cos
    try:
        after = ad.grad(layers_of_activations)(x, Ws)
        assert_grad(layers_of_activations, x, Ws)
        assert not np.allclose(before, after)
    finally:
        ACTIVATIONS[1] = relu
    assert_close(ad.grad(layers_of_activations)(x, Ws), before, 0, 0)
