"""Models written the way ML practitioners write them: parameters in a dict or a list of
(W, b) layers, an L2 penalty summed over ``params.values()`` by a generator expression
and then scaled, hand-written softmax and cross-entropy. Each gradient is checked
against finite differences, leaf by leaf, and against autograd running the same code.

(A penalty ``lam * sum(np.sum(w ** 2) for w in params.values())`` had a zero gradient:
the frontend did not see that a comprehension walking a structure makes a value that
varies, so the product with ``lam`` was kept as a constant.)
"""

import autograd
import numpy as np
import pytest
from conftest import assert_close, numerical_grad, with_autograd_numpy

import adcompile as ad

rng = np.random.default_rng(11)


def leaf_gradients(f, struct, *rest):
    """Finite differences of ``f(struct, *rest)`` for each leaf of a dict, or of a list
    of tuples, in the structure's shape."""
    if isinstance(struct, dict):
        return {k: numerical_grad(lambda v, k=k: f({**struct, k: v}, *rest), (v,), 0)
                for k, v in struct.items()}

    def replaced(i, j, v):
        layers = list(struct)
        layer = list(layers[i])
        layer[j] = v
        layers[i] = tuple(layer)
        return layers

    return [tuple(numerical_grad(lambda v, i=i, j=j: f(replaced(i, j, v), *rest), (v,), 0)
                  for j, v in enumerate(layer)) for i, layer in enumerate(struct)]


def assert_leaves_close(got, want, rtol=1e-5, atol=1e-7):
    if isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys()
        for k in want:
            assert_close(got[k], want[k], rtol, atol, f"leaf {k!r}")
    else:
        assert isinstance(got, list) and len(got) == len(want)
        for i, (g, w) in enumerate(zip(got, want)):
            assert isinstance(g, tuple) and len(g) == len(w)
            for j, (a, b) in enumerate(zip(g, w)):
                assert_close(a, b, rtol, atol, f"layer {i}, item {j}")


def check_model(f, struct, *rest):
    """adcompile's gradient in ``struct`` equals finite differences and autograd's."""
    got = ad.grad(f)(struct, *rest)
    assert_leaves_close(got, leaf_gradients(f, struct, *rest))
    assert_leaves_close(got, with_autograd_numpy(globals(), autograd.grad(f), struct, *rest),
                        1e-10, 1e-12)
    return got


# -- penalties over a structure, by comprehensions the frontend unrolls ----------------------

def ridge_loss(params, X, y, lam=1e-2):
    pred = X @ params["w"] + params["b"]
    data = np.mean((pred - y) ** 2)
    reg = sum(np.sum(w ** 2) for w in params.values())
    return data + lam * reg


def penalty_only(params, lam=1e-2):
    reg = sum(np.sum(w ** 2) for w in params.values())
    return lam * reg


def flat_norm(params):
    flat = np.concatenate([v.reshape(-1) for v in params.values()])
    return 0.5 * flat @ flat


def largest_weight(params):
    m = max(np.max(w) for w in params.values())
    return 3.0 * m


def smallest_sum(params):
    s = min([np.sum(v) for v in params.values()])
    return s * 1.5


def mlp_weight_decay(layers, X, lam=1e-3):
    h = X
    for W, b in layers:
        h = np.tanh(h @ W + b)
    decay = sum((i + 1) * np.sum(W ** 2) for i, (W, b) in enumerate(layers))
    return np.sum(h ** 2) + decay / 2 * lam


def stacked_biases(layers):
    bs = np.stack([b for _, b in layers])
    return np.sum(bs ** 3) * 0.5


def adjacent_layers(layers):
    s = sum(np.sum(W1) * np.sum(W2) for (W1, _), (W2, _) in zip(layers, layers[1:]))
    return 2.0 * s


def test_a_penalty_over_a_dicts_values_scaled_afterwards():
    params = {"w": rng.normal(size=4), "b": rng.normal(size=1)}
    X, y = rng.normal(size=(6, 4)), rng.normal(size=6)
    check_model(ridge_loss, params, X, y)
    got = check_model(penalty_only, params)
    assert_close(got["w"], 0.02 * params["w"], 1e-12, 0)      # d(lam |w|^2)/dw = 2 lam w
    check_model(flat_norm, params)
    check_model(smallest_sum, params)
    params = {"w": np.array([0.3, 1.2, -0.5]), "b": np.array([0.1, 0.7])}   # one maximum
    check_model(largest_weight, params)


def test_a_penalty_over_a_list_of_layers_scaled_afterwards():
    layers = [(rng.normal(size=(3, 4)), rng.normal(size=4)),
              (rng.normal(size=(4, 2)), rng.normal(size=2)),
              (rng.normal(size=(2, 2)), rng.normal(size=2))]
    check_model(mlp_weight_decay, layers, rng.normal(size=(5, 3)))
    check_model(stacked_biases, [(rng.normal(size=(3, 2)), rng.normal(size=2)),
                                 (rng.normal(size=(2, 2)), rng.normal(size=2))])
    check_model(adjacent_layers, layers)


# -- layers named by their number, as course code names them ---------------------------------

def named_layers(params, x):
    h = x
    for i in range(3):
        h = np.tanh(h @ params[f"W{i}"] + params[f"b{i}"])
    return np.sum(h ** 2)


def numbered_layers(params, x):
    h = x
    for i in range(len(params) // 2 - 1):
        h = np.maximum(0, h @ params["W" + str(i + 1)] + params["b%d" % (i + 1)])
    last = len(params) // 2
    scores = h @ params["W{}".format(last)] + params[f"b{last:d}"]
    return np.sum(np.log(np.sum(np.exp(scores), axis=1)))


def layers_counted_by_an_argument(params, x, n_layers=3):
    for i in range(n_layers):
        x = np.tanh(x @ params[f"W{i}"] + params[f"b{i}"])
    return np.sum(x)


def activations_by_layer(params, x):
    acts = {"a0": x}
    for i in range(3):
        acts[f"a{i + 1}"] = np.tanh(acts[f"a{i}"] @ params[f"W{i + 1}"] + params["b%d" % (i + 1)])
    return np.sum(acts["a3"] ** 2) + 0.1 * np.sum(acts["a1"]), acts


def test_layers_named_by_their_number():
    params = {}
    for i in range(3):
        params[f"W{i}"] = rng.normal(size=(3, 3))
        params[f"b{i}"] = rng.normal(size=3)
    check_model(named_layers, params, rng.normal(size=(2, 3)))
    params = {"W1": rng.normal(size=(4, 5)), "b1": rng.normal(size=5),
              "W2": rng.normal(size=(5, 5)), "b2": rng.normal(size=5),
              "W3": rng.normal(size=(5, 3)), "b3": rng.normal(size=3)}
    check_model(numbered_layers, params, rng.normal(size=(6, 4)))
    # activations kept in a dict by the layer's number (d[f"a{i}"] = ...: was refused)
    x = rng.normal(size=(2, 4))
    g, acts = ad.grad(activations_by_layer, has_aux=True)(params, x)
    assert sorted(acts) == ["a0", "a1", "a2", "a3"]
    assert_close(acts["a3"], activations_by_layer(params, x)[1]["a3"], 0, 0)
    assert_leaves_close(g, leaf_gradients(lambda p, x: activations_by_layer(p, x)[0], params, x))
    # the number of layers left to its default, or given: the code is made for each value
    x = rng.normal(size=(2, 4))
    first = {k: v for k, v in params.items() if k != "W1"}
    first["W0"], first["b0"] = rng.normal(size=(4, 5)), rng.normal(size=5)
    first["W1"], first["W2"] = rng.normal(size=(5, 5)), rng.normal(size=(5, 5))
    first["b2"] = rng.normal(size=5)
    check_model(layers_counted_by_an_argument, first, x)
    check_model(layers_counted_by_an_argument, first, x, 2)
    check_model(layers_counted_by_an_argument, first, x, np.int64(1))


# -- dropout masks drawn the way the course notes draw them ----------------------------------

def dropout_net(params, X, p=0.5):
    np.random.seed(0)   # (a fixed mask, so that finite differences see one function)
    H1 = np.maximum(0, X @ params["W1"] + params["b1"])
    U1 = (np.random.rand(*H1.shape) < p) / p
    H1 *= U1
    H2 = np.tanh(H1 @ params["W2"])
    U2 = np.random.randn(H2.shape[0], H2.shape[1]) > 0
    return np.sum((H2 * U2) ** 2)


def test_dropout_masks_drawn_for_the_shape_of_an_activation():
    # (np.random.rand(*H1.shape) was refused: the analysis of changes in place took the
    # shape, and its items, for the array)
    params = {"W1": rng.normal(size=(4, 6)), "b1": rng.normal(size=6),
              "W2": rng.normal(size=(6, 3))}
    check_model(dropout_net, params, rng.normal(size=(5, 4)))


# -- a penalty on the weights only, chosen by the parameters' names --------------------------

def weights_only_penalty(params, X, lam=0.1):
    h = np.tanh(X @ params["W1"] + params["b1"])
    loss = np.mean((h @ params["W2"] + params["b2"]) ** 2)
    for name, w in params.items():
        if name.startswith("W"):
            loss += 0.5 * lam * np.sum(w ** 2)
    return loss


def no_bias_penalty(params):
    total = 0.0
    for name in sorted(params):
        if not name.startswith("b"):
            total = total + np.sum(params[name] ** 2)
    return total + sum(np.sum(params[k]) for k in params.keys() if k.endswith("2"))


def decay_of_weights(params, X, y, weight_decay=1e-2):
    logits = np.tanh(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]
    logp = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    nll = -np.mean(logp[np.arange(len(y)), y])
    return nll + weight_decay * sum(np.sum(w ** 2) for name, w in params.items()
                                    if name.startswith("W") and name != "b")


def walked_then_rebound(params):
    n = 0
    for k in params:               # the keys
        n = n + 1
    params = [params["w"] * 2, params["w"] * 3]
    s = 0.0
    for k in params:               # the same names, now walking values
        s = s + 2.0 * np.sum(k)
    return s / n


def test_a_penalty_chosen_by_the_parameters_names():
    # (a dict's keys, walked by a loop over it, were taken for values being differentiated:
    # name.startswith("W") was refused as a method of one)
    params = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4),
              "W2": rng.normal(size=(4, 2)), "b2": rng.normal(size=2)}
    got = check_model(weights_only_penalty, params, rng.normal(size=(5, 3)))
    assert not np.allclose(got["W1"], ad.grad(weights_only_penalty)(params, rng.normal(
        size=(5, 3)), 0.0)["W1"])   # (the penalty is there)
    check_model(no_bias_penalty, params)
    check_model(decay_of_weights, params, rng.normal(size=(5, 3)), np.array([0, 1, 1, 0, 1]))
    # keys are constants only where the name is the dict everywhere
    got = ad.grad(walked_then_rebound)({"w": np.array([1.0, 2.0])})
    assert_close(got["w"], np.array([10.0, 10.0]), 1e-12, 0)


# -- a loss returning the cache or the metrics it filled, with has_aux ------------------------

def loss_and_cache(W, X, y):
    cache = {}
    h = np.tanh(X @ W)
    cache["h"] = h
    cache["X"] = X
    cache["n"] = X.shape[0]
    scores = h - np.max(h, axis=1, keepdims=True)
    logp = scores - np.log(np.sum(np.exp(scores), axis=1, keepdims=True))
    loss = -np.mean(logp[np.arange(len(y)), y])
    metrics = {"accuracy": np.mean(np.argmax(h, axis=1) == y), "loss": loss}
    return loss, (cache, metrics)


def test_a_loss_returning_the_dicts_it_filled_as_aux():
    # (a dict the function made and filled was refused as aux: it is a structure)
    W, X, y = rng.normal(size=(3, 4)), rng.normal(size=(6, 3)), rng.integers(0, 4, 6)
    (value, (cache, metrics)), g = ad.value_and_grad(loss_and_cache, has_aux=True)(W, X, y)
    want_value, (want_cache, want_metrics) = loss_and_cache(W, X, y)
    assert value == want_value and metrics == want_metrics
    assert cache.keys() == want_cache.keys() and cache["n"] == 6
    assert_close(cache["h"], want_cache["h"], 0, 0)
    assert_close(g, numerical_grad(lambda W: loss_and_cache(W, X, y)[0], (W,), 0))
    assert_close(g, autograd.grad(lambda W: with_autograd_numpy(
        globals(), loss_and_cache, W, X, y)[0])(W), 1e-10, 1e-12)


# -- a small CNN whose convolutions read windows of their input -------------------------------

def conv2d(x, K, b):
    # x (N, C, H, W), K (F, C, kh, kw): a valid convolution by a view of the windows
    windows = np.lib.stride_tricks.sliding_window_view(x, K.shape[2:], axis=(2, 3))
    return np.einsum("nchwij,fcij->nfhw", windows, K) + b[None, :, None, None]


def max_pool(x, size=2):
    windows = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(2, 3))
    return windows[:, :, ::size, ::size].max(axis=(-2, -1))


def cnn_loss(params, x, y):
    h = np.maximum(0, conv2d(x, params["K1"], params["b1"]))
    h = max_pool(h)
    h = np.tanh(conv2d(h, params["K2"], params["b2"]))
    logits = h.reshape(h.shape[0], -1) @ params["W"]
    logits = logits - logits.max(axis=1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return -np.mean(logp[np.arange(len(y)), y])


def test_a_cnn_of_sliding_windows():
    # (np.lib.stride_tricks.sliding_window_view of a value being differentiated had no rule:
    # the second convolution reads windows of the first one's output)
    params = {"K1": rng.normal(size=(3, 2, 2, 2)), "b1": rng.normal(size=3),
              "K2": rng.normal(size=(2, 3, 2, 2)) * 0.5, "b2": rng.normal(size=2),
              "W": rng.normal(size=(8, 3))}
    x, y = rng.normal(size=(2, 2, 7, 7)), np.array([0, 2])
    got = ad.grad(cnn_loss)(params, x, y)
    assert_leaves_close(got, leaf_gradients(cnn_loss, params, x, y))
    assert_close(ad.grad(cnn_loss, wrt=1)(params, x, y), numerical_grad(cnn_loss, (params, x, y), 1))


# -- optional entries read with dict.get -------------------------------------------------------

def optional_bias(params, x):
    h = x @ params["W"] + params.get("b", 0.0)
    return np.sum(np.tanh(h) * params.get("scale", 1.0))


def batchnorm_train(gamma, beta, x, bn_param):
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    mu, var = x.mean(axis=0), x.var(axis=0)
    out = gamma * (x - mu) / np.sqrt(var + eps) + beta
    running_mean = momentum * bn_param.get("running_mean", np.zeros(x.shape[1])) \
        + (1 - momentum) * mu
    return np.sum(out ** 3), running_mean


def test_optional_entries_read_with_get():
    # (d.get(key, default) of a dict was refused as a method of a value being differentiated:
    # a dict's keys are known, so it is the item or the default)
    x = rng.normal(size=(4, 3))
    with_bias = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    check_model(optional_bias, with_bias, x)
    scaled = {"W": with_bias["W"], "scale": 2.0}
    got = check_model(optional_bias, scaled, x)
    assert set(got) == {"W", "scale"}
    gamma, beta = rng.normal(size=3), rng.normal(size=3)
    (value, running), g = ad.value_and_grad(batchnorm_train, wrt=(0, 1), has_aux=True)(
        gamma, beta, x, {"momentum": 0.8})
    assert_close(running, 0.2 * x.mean(axis=0), 1e-12, 0)
    for i, arg in enumerate((gamma, beta)):
        assert_close(g[i], numerical_grad(lambda *a: batchnorm_train(*a)[0],
                                          (gamma, beta, x, {"momentum": 0.8}), i))


# -- parameters nested by module, as haiku and flax name them ---------------------------------

def nested_modules_loss(params, x, y):
    h = np.tanh(x @ params["linear"]["w"] + params["linear"]["b"])
    out = h @ params["linear_1"]["w"] + params["linear_1"]["b"]
    l2 = sum(np.sum(p ** 2) for module in params.values() for name, p in module.items()
             if name == "w")
    n = sum(1 for module in params.values() for p in module.values())
    return np.mean((out - y) ** 2) + 1e-2 * l2 / n


def test_a_penalty_over_parameters_nested_by_module():
    # (a comprehension with two for clauses over a structure was refused)
    params = {"linear": {"w": rng.normal(size=(3, 4)), "b": rng.normal(size=4)},
              "linear_1": {"w": rng.normal(size=(4, 2)), "b": rng.normal(size=2)}}
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    got = ad.grad(nested_modules_loss)(params, x, y)
    for module in params:
        for name in params[module]:
            def along(v, module=module, name=name):
                changed = {m: dict(p) for m, p in params.items()}
                changed[module][name] = v
                return nested_modules_loss(changed, x, y)
            assert_close(got[module][name], numerical_grad(along, (params[module][name],), 0))
    want = with_autograd_numpy(globals(), autograd.grad(nested_modules_loss), params, x, y)
    for module in params:
        for name in params[module]:
            assert_close(got[module][name], want[module][name], 1e-10, 1e-12)


# -- a loss that quiets NumPy's warnings where a probability may be zero -----------------------

def masked_cross_entropy(W, X, Y):
    logits = X @ W
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = p / p.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", under="ignore"):
        logp = np.log(p)
    return -np.sum(Y * logp) / X.shape[0]


def test_a_loss_quieting_numpys_warnings():
    # (with np.errstate(...) was refused as a with statement)
    W, X = rng.normal(size=(3, 4)), rng.normal(size=(5, 3))
    Y = np.eye(4)[rng.integers(0, 4, 5)]
    got = ad.grad(masked_cross_entropy)(W, X, Y)
    assert_close(got, numerical_grad(masked_cross_entropy, (W, X, Y), 0))
    assert_close(got, with_autograd_numpy(globals(), autograd.grad(masked_cross_entropy), W, X, Y),
                 1e-10, 1e-12)


# -- a mean over segments (graph pooling), counted with np.add.at ------------------------------

def segment_mean_pool(W, X, seg, n_graphs=3):
    H = np.tanh(X @ W)
    sums = np.zeros((n_graphs, H.shape[1]))
    np.add.at(sums, seg, H)
    counts = np.zeros(n_graphs)
    np.add.at(counts, seg, 1)
    pooled = sums / np.maximum(counts, 1)[:, None]
    return np.sum(pooled ** 2)


def test_a_mean_over_segments_counted_with_add_at():
    # (np.add.at(counts, seg, 1) on constants was refused: the analysis of changes in place
    # took ufunc.at for a method that may change all its arguments, seg among them)
    W, X = rng.normal(size=(3, 2)), rng.normal(size=(6, 3))
    seg = np.array([0, 1, 1, 2, 0, 0])
    got = ad.grad(segment_mean_pool)(W, X, seg)
    assert_close(got, numerical_grad(segment_mean_pool, (W, X, seg), 0))
    assert_close(ad.grad(segment_mean_pool, wrt=1)(W, X, seg),
                 numerical_grad(segment_mean_pool, (W, X, seg), 1))
    assert np.array_equal(seg, [0, 1, 1, 2, 0, 0])


# -- loops over layers counted by an int known at the call ------------------------------------

N_LAYERS = 2


def mlp_of_n_layers(layers, x, n_layers=3):
    h = x
    for i in range(n_layers):
        W, b = layers[i]
        h = np.tanh(W @ h + b)
    return np.sum(h ** 2)


def mlp_of_module_depth(layers, x):
    h = x
    for i in range(N_LAYERS):
        W, b = layers[i]
        h = np.tanh(W @ h + b)
    return np.sum(h ** 2)


class DeepModel:
    """Holds its depth; the parameters are passed."""

    def __init__(self, n_layers):
        self.n_layers = n_layers

    def loss(self, layers, x):
        h = x
        for i in range(self.n_layers - 1):
            W, b = layers[i]
            h = np.tanh(W @ h + b)
        W, b = layers[self.n_layers - 1]
        return np.sum((W @ h + b) ** 2)


def square_layers(n):
    return [(rng.normal(size=(4, 4)), rng.normal(size=4)) for _ in range(n)]


def test_layers_counted_by_a_default_argument_and_by_the_call():
    layers, x = square_layers(4), rng.normal(size=4)
    g = ad.grad(mlp_of_n_layers)
    for given in ((), (2,), (4,), (3,), (2,)):   # each value its own code, none stale
        got = check_model(mlp_of_n_layers, layers, x, *given)
        used = given[0] if given else 3
        assert all(np.all(W == 0) and np.all(b == 0) for W, b in got[used:])
        assert_leaves_close(g(layers, x, *given), got, 0, 0)
    assert_leaves_close(g(layers, x, n_layers=2), check_model(mlp_of_n_layers, layers, x, 2),
                        0, 0)
    with pytest.raises(ad.TransformError, match=r"argument 'n_layers' is 2\.0 at this call"):
        g(layers, x, 2.0)


def test_layers_counted_by_a_module_level_int_read_at_each_call():
    global N_LAYERS
    layers, x = square_layers(4), rng.normal(size=4)
    g = ad.grad(mlp_of_module_depth)
    try:
        for depth in (2, 3, 1, 2):   # changed after the gradient was made: never stale
            N_LAYERS = depth
            got = g(layers, x)
            assert_leaves_close(got, check_model(mlp_of_module_depth, layers, x), 0, 0)
            assert all(np.all(W == 0) for W, _ in got[depth:])
            assert not np.all(got[depth - 1][0] == 0)
    finally:
        N_LAYERS = 2


def test_layers_counted_by_an_attribute_of_the_model():
    layers, x = square_layers(4), rng.normal(size=4)
    model = DeepModel(3)
    g = ad.grad(model.loss)
    for depth in (3, 2, 4):   # the same object, its depth changed between calls
        model.n_layers = depth
        got = g(layers, x)
        assert_leaves_close(got, leaf_gradients(model.loss, layers, x))
        assert_leaves_close(got, with_autograd_numpy(globals(), autograd.grad(model.loss),
                                                     layers, x), 1e-10, 1e-12)
        assert all(np.all(W == 0) for W, _ in got[depth:])


# -- per-layer values made by tuple(...), list(map(...)) and [*map(...)] ------------------------

def norms_by_tuple(layers):
    norms = tuple(np.sum(W ** 2) + np.sum(b ** 2) for W, b in layers)
    return norms[0] + 2.0 * norms[1] * norms[-1]


def norms_by_list_comprehension(layers):
    norms = list([np.sum(np.tanh(W)) for W, _ in layers])
    return norms[0] * norms[1] + norms[2]


def penalty_by_map(params):
    sizes = list(map(np.linalg.norm, params.values()))
    return sizes[0] * sizes[1] + sum(sizes)


def layer_norm(layer):
    W, b = layer
    return np.sum(W ** 2) + np.sum(b)


def helper_mapped_over_layers(layers):
    parts = [*map(layer_norm, layers)]
    return parts[0] * parts[1] - parts[2]


def sines_by_tuple_of_map(params):
    waves = tuple(map(np.sin, params.values()))
    return np.sum(waves[0] * waves[1])


def test_values_per_layer_made_by_tuple_and_map():
    layers = [(rng.normal(size=(3, 3)), rng.normal(size=3)) for _ in range(3)]
    params = {"a": rng.normal(size=4), "b": rng.normal(size=4)}
    for f in (norms_by_tuple, norms_by_list_comprehension, helper_mapped_over_layers):
        check_model(f, layers)
    for f in (penalty_by_map, sines_by_tuple_of_map):
        check_model(f, params)


# -- layers zipped with their activations -----------------------------------------------------

def relu(z):
    return np.maximum(z, 0.0)


ACTIVATIONS = [np.tanh, relu, np.sin]


def mlp_zipped_with_module_activations(layers, x):
    h = x
    for (W, b), act in zip(layers, ACTIVATIONS):
        h = act(W @ h + b)
    return np.sum(h ** 2)


def mlp_zipped_with_local_activations(layers, x):
    acts = (np.tanh, np.sin)
    h = x
    for i, ((W, b), act) in enumerate(zip(layers, acts)):
        h = act(W @ h + b) * (i + 1)
    return np.sum(h)


def mlp_activation_first(layers, x):
    h = x
    for act, layer in zip(ACTIVATIONS, layers):
        h = act(layer[0] @ h + layer[1])
    return np.sum(h)


def test_layers_zipped_with_a_list_of_activations():
    x = rng.normal(size=4)
    for n in (3, 2, 4):   # zip stops at the shorter of the two
        layers = square_layers(n)
        check_model(mlp_zipped_with_module_activations, layers, x)
        check_model(mlp_activation_first, layers, x)
        got = check_model(mlp_zipped_with_local_activations, layers, x)
        assert all(np.all(W == 0) for W, _ in got[2:])
    assert np.all(check_model(mlp_zipped_with_module_activations, square_layers(4), x)[3][0]
                  == 0)


def forward_layers(layers, x, n_layers=2):
    h = x
    for i in range(n_layers):
        W, b = layers[i]
        h = np.tanh(W @ h + b)
    return h


def loss_through_a_forward_helper(layers, x, depth=3):
    return np.sum(forward_layers(layers, x, depth) ** 2)


def loss_through_a_helpers_default(layers, x):
    return np.sum(forward_layers(layers, x) ** 2) + np.sum(forward_layers(layers, x, 1))


def test_the_number_of_layers_passed_to_a_forward_helper():
    layers, x = square_layers(4), rng.normal(size=4)
    for depth in (3, 1, 4):
        got = check_model(loss_through_a_forward_helper, layers, x, depth)
        assert all(np.all(W == 0) for W, _ in got[depth:])
    got = check_model(loss_through_a_helpers_default, layers, x)
    assert all(np.all(W == 0) for W, _ in got[2:])


# -- float32 parameters, a loss accumulated in float64, numbers kept for a log ---------------

LOG = __import__("logging").getLogger("adcompile.tests.training")


def mixed_precision_loss(params, X, y):
    # float32 weights and data; the loss is summed in float64 (dtype=), and logged as Python
    # numbers (.item()), as a training loop does every few steps
    h = np.tanh(X @ params["W1"] + params["b1"])
    logits = h @ params["W2"] + params["b2"]
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    nll = -np.sum(log_probs[np.arange(len(y)), y], dtype=np.float64) / len(y)
    penalty = 1e-3 * sum(np.sum(w ** 2, dtype=np.float64) for w in params.values())
    LOG.debug("nll %.4f, penalty %.6f, largest logit %.3f", nll.item(), penalty.item(),
              logits.max().item())
    return nll + penalty


def test_float32_parameters_with_a_loss_summed_in_float64_and_logged():
    wide = {"W1": rng.normal(size=(4, 5)), "b1": rng.normal(size=5),
            "W2": rng.normal(size=(5, 3)), "b2": rng.normal(size=3)}
    X, y = rng.normal(size=(6, 4)), rng.integers(0, 3, 6)
    got = ad.grad(mixed_precision_loss)(wide, X, y)
    assert_leaves_close(got, leaf_gradients(mixed_precision_loss, wide, X, y))
    # (no autograd twin: its boxes have no .item(); test_reference.py checks .item() and
    # dtype= against autograd separately)
    narrow = {k: v.astype(np.float32) for k, v in wide.items()}
    value, small = ad.value_and_grad(mixed_precision_loss)(narrow, X.astype(np.float32), y)
    assert np.asarray(value).dtype == np.float64
    for k in wide:
        assert small[k].dtype == np.float32
        assert_close(small[k], got[k], 1e-3, 1e-4, f"float32 leaf {k!r}")
