"""Our own versions of the models in autograd's examples directory, written the way their
users write them, each gradient checked against autograd running the very same code and
against central finite differences in float64.

autograd's examples are models people actually differentiate: a classifier whose
parameters are a list of (W, b) pairs, recurrent nets over a dict of weights read by
nested functions, a convnet whose weights live in one flat vector cut up by a parser
object, Gaussian processes made by a factory of closures, an HMM's forward algorithm,
variational objectives with reparameterised samples (the noise is drawn once and
passed in, so that finite differences see one function), a fluid simulation with
``np.roll`` and bilinear interpolation at ``floor``-ed integer indices, Newton's
method from nested gradients, and higher derivatives of ``sin`` and ``tanh``. The code
here is ours (small sizes, so that each test is quick); what it computes and how it
holds its parameters follow the examples. autograd runs the module's functions with
``np`` and the SciPy names below swapped for autograd's (``run_autograd``).
"""

from functools import partial

import autograd
import autograd.numpy as anp
import autograd.scipy.special as aspecial
import autograd.scipy.stats as astats
import numpy as np
import pytest
from conftest import assert_close, numerical_grad
from scipy.special import gammaln, logsumexp
from scipy.stats import multivariate_normal as mvn
from scipy.stats import norm
from scipy.stats import t as student_t

import adcompile as ad

#: the module's names autograd needs replaced to trace the code as written
AUTOGRAD_NAMES = {"np": anp, "logsumexp": aspecial.logsumexp, "gammaln": aspecial.gammaln,
                  "mvn": astats.multivariate_normal, "norm": astats.norm,
                  "student_t": astats.t}


def run_autograd(g, *args):
    """``g(*args)`` with the SciPy and NumPy names of this module (and NumPy functions
    given as defaults) replaced by autograd's."""
    namespace = globals()
    saved = {name: namespace[name] for name in AUTOGRAD_NAMES}
    defaults = {}
    for value in list(namespace.values()):
        if callable(value) and getattr(value, "__defaults__", None):
            defaults[value] = value.__defaults__
            value.__defaults__ = tuple(getattr(anp, d.__name__) if isinstance(d, np.ufunc)
                                       else d for d in value.__defaults__)
    namespace.update(AUTOGRAD_NAMES)
    try:
        return g(*args)
    finally:
        namespace.update(saved)
        for value, kept in defaults.items():
            value.__defaults__ = kept


# -- structures of parameters: leaves, replaced one at a time --------------------------------

def leaves(tree, path=()):
    """(path, leaf) for each number or array of a dict / list / tuple structure."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from leaves(value, path + (key,))
    elif isinstance(tree, (list, tuple)):
        for i, value in enumerate(tree):
            yield from leaves(value, path + (i,))
    else:
        yield path, tree


def replaced(tree, path, leaf):
    """A copy of ``tree`` with the leaf at ``path`` replaced."""
    if not path:
        return leaf
    head, rest = path[0], path[1:]
    if isinstance(tree, dict):
        return {**tree, head: replaced(tree[head], rest, leaf)}
    items = list(tree)
    items[head] = replaced(items[head], rest, leaf)
    return type(tree)(items)


def finite_differences(f, args, where):
    """Central differences of scalar ``f(*args)`` for each leaf of ``args[where]``."""
    def at(leaf, path):
        return f(*args[:where], replaced(args[where], path, leaf), *args[where + 1:])
    return {path: numerical_grad(lambda v, p=path: at(v, p), (leaf,), 0)
            for path, leaf in leaves(args[where])}


def assert_same_tree(got, want, rtol, atol, what):
    got_leaves, want_leaves = dict(leaves(got)), dict(leaves(want))
    assert got_leaves.keys() == want_leaves.keys(), f"{what}: structure {got!r}"
    for path, value in want_leaves.items():
        assert np.shape(got_leaves[path]) == np.shape(value), f"{what} at {path}"
        assert_close(got_leaves[path], value, rtol, atol, f"{what} at {path}")


def check_model(f, *args, wrt=0, rtol=1e-5, atol=1e-7):
    """adcompile's gradient of ``f`` in ``args[wrt]`` (an int or a tuple of them) equals
    autograd's (to 1e-9) and central finite differences; returns it."""
    got = ad.grad(f, wrt=wrt)(*args)
    want = run_autograd(autograd.grad(f, wrt), *args)
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    gots = got if isinstance(wrt, tuple) else (got,)
    wants = want if isinstance(wrt, tuple) else (want,)
    for where, g, w in zip(positions, gots, wants):
        assert_same_tree(g, w, 1e-9, 1e-11, f"{f.__name__}: against autograd, argument {where}")
        numerical = finite_differences(f, args, where)
        for path, value in leaves(g):
            assert_close(value, numerical[path], rtol, atol,
                         f"{f.__name__}: against finite differences at {where}{path}")
    return got


rng = np.random.default_rng(7)


def layers_of(sizes, scale=0.5):
    return [(scale * rng.normal(size=(m, n)), scale * rng.normal(size=n))
            for m, n in zip(sizes[:-1], sizes[1:])]


def one_hot(labels, classes):
    return (np.asarray(labels)[:, None] == np.arange(classes)[None, :]).astype(float)


# -- neural_net: a classifier over a list of (W, b) pairs, with an L2 prior -------------------

def class_log_probabilities(params, inputs):
    for W, b in params:
        outputs = np.dot(inputs, W) + b
        inputs = np.tanh(outputs)
    return outputs - logsumexp(outputs, axis=1, keepdims=True)


def squared_weights(params):
    flat = np.concatenate([np.ravel(a) for layer in params for a in layer])
    return np.dot(flat, flat)


def log_posterior(params, inputs, targets, l2):
    log_prior = -l2 * squared_weights(params)
    log_lik = np.sum(class_log_probabilities(params, inputs) * targets)
    return log_prior + log_lik


IMAGES = rng.normal(size=(8, 4))
LABELS = one_hot([0, 2, 1, 1, 0, 2, 2, 1], 3)
BATCH = 3


def batch_of(step):
    first = (step % 2) * BATCH
    return slice(first, first + BATCH)


def minibatch_objective(params, step):
    rows = batch_of(step)
    return -log_posterior(params, IMAGES[rows], LABELS[rows], 0.1)


def test_neural_net_classifier_on_a_minibatch():
    params = layers_of([4, 5, 3])
    check_model(minibatch_objective, params, 0)
    check_model(minibatch_objective, params, 1)
    check_model(log_posterior, params, IMAGES, LABELS, 0.1)


# -- neural_net_regression: the nonlinearity a default argument, a Gaussian prior ------------

def regression_outputs(params, inputs, nonlinearity=np.tanh):
    for W, b in params:
        outputs = np.dot(inputs, W) + b
        inputs = nonlinearity(outputs)
    return outputs


def gaussian_log_prior(params, scale):
    flat = np.concatenate([np.ravel(a) for layer in params for a in layer])
    return np.sum(norm.logpdf(flat, 0, scale))


def regression_log_likelihood(params, inputs, targets, noise=0.1):
    return np.sum(norm.logpdf(regression_outputs(params, inputs), targets, noise))


def regression_objective(params, inputs, targets):
    return -regression_log_likelihood(params, inputs, targets) - gaussian_log_prior(params, 3.0)


def test_neural_net_regression():
    x = np.linspace(-1.5, 1.5, 6)[:, None]
    y = np.cos(2 * x) / 2
    check_model(regression_objective, layers_of([1, 4, 4, 1]), x, y, rtol=1e-4)


# -- logistic_regression: data in module globals, boolean targets ----------------------------

DESIGN = np.array([[0.5, 1.1, 0.8], [0.9, -1.1, 0.2], [0.5, 0.1, -1.3], [0.7, -2.5, 1.4]])
OUTCOMES = np.array([True, True, False, True])


def squashed(z):
    return 0.5 * (np.tanh(z) + 1)


def predicted_probabilities(weights, inputs):
    return squashed(np.dot(inputs, weights))


def logistic_loss(weights):
    preds = predicted_probabilities(weights, DESIGN)
    likelihoods = preds * OUTCOMES + (1 - preds) * (1 - OUTCOMES)
    return -np.sum(np.log(likelihoods))


def test_logistic_regression_with_boolean_targets():
    check_model(logistic_loss, np.array([0.1, -0.2, 0.3]))
    weights = np.zeros(3)
    step = ad.grad(logistic_loss)
    for _ in range(20):
        weights -= step(weights) * 0.05
    assert logistic_loss(weights) < logistic_loss(np.zeros(3))


# -- rnn and lstm: a dict of weights read by nested functions, a list of outputs -------------

def sigmoid(x):
    return 0.5 * (np.tanh(x) + 1.0)


def affine_of_concatenation(weights, *parts):
    stacked = np.hstack(parts + (np.ones((parts[0].shape[0], 1)),))
    return np.dot(stacked, weights)


def rnn_log_probabilities(params, inputs):
    def step(x, hiddens):
        return np.tanh(affine_of_concatenation(params["change"], x, hiddens))

    def read_out(hiddens):
        output = affine_of_concatenation(params["predict"], hiddens)
        return output - logsumexp(output, axis=1, keepdims=True)

    sequences = inputs.shape[1]
    hiddens = np.repeat(params["init hiddens"], sequences, axis=0)
    outputs = [read_out(hiddens)]
    for x in inputs:
        hiddens = step(x, hiddens)
        outputs.append(read_out(hiddens))
    return outputs


def rnn_log_likelihood(params, inputs, targets):
    log_probs = rnn_log_probabilities(params, inputs)
    total = 0.0
    steps, examples, _ = inputs.shape
    for t in range(steps):
        total += np.sum(log_probs[t] * targets[t])
    return total / (steps * examples)


def lstm_log_probabilities(params, inputs):
    def step(x, hiddens, cells):
        change = np.tanh(affine_of_concatenation(params["change"], x, hiddens))
        forget = sigmoid(affine_of_concatenation(params["forget"], x, hiddens))
        ingate = sigmoid(affine_of_concatenation(params["ingate"], x, hiddens))
        outgate = sigmoid(affine_of_concatenation(params["outgate"], x, hiddens))
        cells = cells * forget + ingate * change
        hiddens = outgate * np.tanh(cells)
        return hiddens, cells

    def read_out(hiddens):
        output = affine_of_concatenation(params["predict"], hiddens)
        return output - logsumexp(output, axis=1, keepdims=True)

    sequences = inputs.shape[1]
    hiddens = np.repeat(params["init hiddens"], sequences, axis=0)
    cells = np.repeat(params["init cells"], sequences, axis=0)
    outputs = [read_out(hiddens)]
    for x in inputs:
        hiddens, cells = step(x, hiddens, cells)
        outputs.append(read_out(hiddens))
    return outputs


def lstm_log_likelihood(params, inputs, targets):
    log_probs = lstm_log_probabilities(params, inputs)
    total = 0.0
    steps, examples, _ = inputs.shape
    for t in range(steps):
        total += np.sum(log_probs[t] * targets[t])
    return total / (steps * examples)


def character_sequences(steps=3, sequences=2, alphabet=3):
    codes = rng.integers(0, alphabet, size=(steps, sequences))
    return np.array([one_hot(row, alphabet) for row in codes])


def test_rnn_character_model():
    state, alphabet = 3, 3
    params = {"init hiddens": 0.5 * rng.normal(size=(1, state)),
              "change": 0.5 * rng.normal(size=(alphabet + state + 1, state)),
              "predict": 0.5 * rng.normal(size=(state + 1, alphabet))}
    data = character_sequences(alphabet=alphabet)
    check_model(rnn_log_likelihood, params, data, data)


def test_lstm_character_model():
    state, alphabet = 2, 3
    gate = (alphabet + state + 1, state)
    params = {"init cells": 0.5 * rng.normal(size=(1, state)),
              "init hiddens": 0.5 * rng.normal(size=(1, state)),
              "change": 0.5 * rng.normal(size=gate), "forget": 0.5 * rng.normal(size=gate),
              "ingate": 0.5 * rng.normal(size=gate), "outgate": 0.5 * rng.normal(size=gate),
              "predict": 0.5 * rng.normal(size=(state + 1, alphabet))}
    data = character_sequences(alphabet=alphabet)
    check_model(lstm_log_likelihood, params, data, data)


# -- convnet: one flat weight vector cut up by parser objects, layers as objects -------------

class VectorLayout:
    """Where each named block of weights sits in one flat vector, and its shape."""

    def __init__(self):
        self.blocks = {}
        self.size = 0

    def add(self, name, shape):
        start = self.size
        self.size += int(np.prod(shape))
        self.blocks[name] = (slice(start, self.size), shape)

    def take(self, vect, name):
        where, shape = self.blocks[name]
        return np.reshape(vect[where], shape)


class Convolution:
    def __init__(self, kernel_shape, filters):
        self.kernel_shape = kernel_shape
        self.filters = filters

    def build(self, input_shape):
        self.layout = VectorLayout()
        self.layout.add("kernels", (input_shape[0], self.filters) + self.kernel_shape)
        self.layout.add("biases", (1, self.filters, 1, 1))
        rows = input_shape[1] - self.kernel_shape[0] + 1
        cols = input_shape[2] - self.kernel_shape[1] + 1
        return self.layout.size, (self.filters, rows, cols)

    def forward(self, images, vect):
        kernels = self.layout.take(vect, "kernels")
        biases = self.layout.take(vect, "biases")
        kh, kw = self.kernel_shape
        rows = images.shape[2] - kh + 1
        cols = images.shape[3] - kw + 1
        out = np.zeros((images.shape[0], self.filters, rows, cols))
        for i in range(kh):
            for j in range(kw):
                window = images[:, :, i:i + rows, j:j + cols]
                tap = kernels[:, :, kh - 1 - i, kw - 1 - j]      # convolution flips the kernel
                out = out + np.einsum("nchw,cf->nfhw", window, tap)
        return out + biases


class MaxPool:
    def __init__(self, pool):
        self.pool = pool

    def build(self, input_shape):
        return 0, (input_shape[0], input_shape[1] // self.pool, input_shape[2] // self.pool)

    def forward(self, images, vect):
        n, c, h, w = images.shape
        p = self.pool
        blocks = images.reshape((n, c, h // p, p, w // p, p))
        return np.max(np.max(blocks, axis=3), axis=4)


class Dense:
    def __init__(self, size):
        self.size = size

    def build(self, input_shape):
        self.layout = VectorLayout()
        self.layout.add("weights", (int(np.prod(input_shape)), self.size))
        self.layout.add("biases", (self.size,))
        return self.layout.size, (self.size,)

    def forward(self, inputs, vect):
        weights = self.layout.take(vect, "weights")
        biases = self.layout.take(vect, "biases")
        if inputs.ndim > 2:
            inputs = inputs.reshape((inputs.shape[0], -1))
        return self.activation(np.dot(inputs, weights) + biases)


class TanhDense(Dense):
    def activation(self, z):
        return np.tanh(z)


class SoftmaxDense(Dense):
    def activation(self, z):
        top = np.max(z)
        return z - (top + np.log(np.sum(np.exp(z - top), axis=1, keepdims=True)))


def build_network(input_shape, layers):
    layout = VectorLayout()
    shape = input_shape
    for layer in layers:
        count, shape = layer.build(shape)
        layout.add(layer, (count,))
    return layout


CONV_LAYERS = [Convolution((2, 2), 2), MaxPool(2), TanhDense(4), SoftmaxDense(3)]
CONV_LAYOUT = build_network((1, 5, 5), CONV_LAYERS)


def convnet_predictions(vect, images):
    units = images
    for layer in CONV_LAYERS:
        units = layer.forward(units, CONV_LAYOUT.take(vect, layer))
    return units


def convnet_loss(vect, images, targets, l2=0.1):
    log_prior = -l2 * np.dot(vect, vect)
    log_lik = np.sum(convnet_predictions(vect, images) * targets)
    return -log_prior - log_lik


def test_convnet_of_layer_objects_walked_by_a_loop_is_refused():
    # (a method called on the loop's variable: which class's code runs is known only when
    # the loop runs; the layers' own weights are read by self.layout.take(...), a method
    # of another object of the user's)
    images = rng.normal(size=(2, 1, 5, 5))
    vect = 0.5 * rng.normal(size=CONV_LAYOUT.size)
    with pytest.raises(ad.TransformError, match="method call layer.forward"):
        ad.grad(convnet_loss)(vect, images, one_hot([2, 0], 3))


# the same network written with functions, its weights cut from the flat vector by one
# module-level parser

NET_LAYOUT = VectorLayout()
NET_LAYOUT.add("conv kernels", (1, 2, 2, 2))
NET_LAYOUT.add("conv biases", (1, 2, 1, 1))
NET_LAYOUT.add("hidden weights", (8, 4))
NET_LAYOUT.add("hidden biases", (4,))
NET_LAYOUT.add("output weights", (4, 3))
NET_LAYOUT.add("output biases", (3,))


def convolved(images, kernels, biases):
    """'valid' convolution of each image's channels with each filter, summed over channels."""
    channels, filters, kh, kw = kernels.shape
    rows, cols = images.shape[2] - kh + 1, images.shape[3] - kw + 1
    maps = []
    for f in range(filters):
        total = 0.0
        for i in range(kh):
            for j in range(kw):
                window = images[:, :, i:i + rows, j:j + cols]
                total = total + np.tensordot(window, kernels[:, f, kh - 1 - i, kw - 1 - j],
                                             axes=([1], [0]))
        maps.append(total)
    return np.stack(maps, axis=1) + biases


def convolved_in_place(images, kernels, biases):
    """The same, into an array of zeros updated in place (autograd cannot run it)."""
    channels, filters, kh, kw = kernels.shape
    rows, cols = images.shape[2] - kh + 1, images.shape[3] - kw + 1
    out = np.zeros((images.shape[0], filters, rows, cols))
    for f in range(filters):
        for i in range(kh):
            for j in range(kw):
                window = images[:, :, i:i + rows, j:j + cols]
                out[:, f] += np.tensordot(window, kernels[:, f, kh - 1 - i, kw - 1 - j],
                                          axes=([1], [0]))
    return out + biases


def convolution_energy(kernels, images, biases):
    return np.sum(np.tanh(convolved(images, kernels, biases)) ** 2)


def convolution_energy_in_place(kernels, images, biases):
    return np.sum(np.tanh(convolved_in_place(images, kernels, biases)) ** 2)


def max_pooled(images, pool):
    n, c, h, w = images.shape
    blocks = images.reshape((n, c, h // pool, pool, w // pool, pool))
    return np.max(np.max(blocks, axis=3), axis=4)


def log_softmax_rows(z):
    top = np.max(z)
    return z - (top + np.log(np.sum(np.exp(z - top), axis=1, keepdims=True)))


def functional_convnet_loss(vect, images, targets, l2=0.1):
    conv = convolved(images, NET_LAYOUT.take(vect, "conv kernels"),
                     NET_LAYOUT.take(vect, "conv biases"))
    pooled = max_pooled(conv, 2)
    flat = pooled.reshape((pooled.shape[0], -1))
    hidden = np.tanh(np.dot(flat, NET_LAYOUT.take(vect, "hidden weights"))
                     + NET_LAYOUT.take(vect, "hidden biases"))
    scores = np.dot(hidden, NET_LAYOUT.take(vect, "output weights")) \
        + NET_LAYOUT.take(vect, "output biases")
    log_lik = np.sum(log_softmax_rows(scores) * targets)
    return l2 * np.dot(vect, vect) - log_lik


def test_convnet_with_a_flat_weight_vector():
    images = rng.normal(size=(2, 1, 5, 5))
    vect = 0.5 * rng.normal(size=NET_LAYOUT.size)
    check_model(functional_convnet_loss, vect, images, one_hot([2, 0], 3))
    kernels, biases = rng.normal(size=(2, 3, 2, 2)), rng.normal(size=(1, 3, 1, 1))
    images = rng.normal(size=(2, 2, 4, 5))
    want = check_model(convolution_energy, kernels, images, biases)
    got = ad.grad(convolution_energy_in_place)(kernels, images, biases)
    assert_close(got, want, 1e-12, 1e-14)


# -- gaussian_process, deep_gaussian_process, gplvm: closures made by a factory -------------

def make_gp(covariance, kernel_params):
    """(number of parameters, predict, log marginal likelihood) of GP regression with
    ``covariance(kernel_params, x, x')``, a constant mean and observation noise."""

    def unpack(params):
        return params[0], params[2:], np.exp(params[1]) + 1e-4

    def predict(params, x, y, xstar):
        mean, kernel, noise = unpack(params)
        cross = covariance(kernel, x, xstar)
        gram = covariance(kernel, x, x) + noise * np.eye(len(y))
        weights = np.linalg.solve(gram, cross).T
        return mean + np.dot(weights, y - mean), covariance(kernel, xstar, xstar) - weights @ cross

    def log_marginal_likelihood(params, x, y):
        mean, kernel, noise = unpack(params)
        gram = covariance(kernel, x, x) + noise * np.eye(len(y))
        return mvn.logpdf(y, mean * np.ones(len(y)), gram)

    return kernel_params + 2, predict, log_marginal_likelihood


def squared_exponential(kernel, x, xp):
    scale = np.exp(kernel[0])
    lengths = np.exp(kernel[1:])
    diffs = np.expand_dims(x / lengths, 1) - np.expand_dims(xp / lengths, 0)
    return scale * np.exp(-0.5 * np.sum(diffs ** 2, axis=2))


GP_SIZE, gp_predict, gp_log_marginal = make_gp(squared_exponential, 2)
GP_X = np.linspace(-1.0, 1.0, 5)[:, None]
GP_Y = np.sin(2 * GP_X[:, 0]) + 0.1 * np.array([0.3, -0.5, 0.2, 0.8, -0.1])


def gp_objective(params):
    return -gp_log_marginal(params, GP_X, GP_Y)


def gp_predicted_mean(params, xstar):
    mean, cov = gp_predict(params, GP_X, GP_Y, xstar)
    return np.sum(mean ** 2) + np.trace(cov)


def test_gaussian_process_marginal_likelihood_and_prediction():
    params = np.array([0.1, -1.0, 0.2, -0.3])
    check_model(gp_objective, params)
    check_model(gp_predicted_mean, params, np.array([[0.3], [-0.6]]))


DEEP_SIZE_1, deep_predict_1, deep_log_marginal_1 = make_gp(squared_exponential, 2)
DEEP_SIZE_2, deep_predict_2, deep_log_marginal_2 = make_gp(squared_exponential, 2)


def unpack_deep(all_params):
    first = all_params[:DEEP_SIZE_1]
    second = all_params[DEEP_SIZE_1:DEEP_SIZE_1 + DEEP_SIZE_2]
    hiddens = all_params[DEEP_SIZE_1 + DEEP_SIZE_2:]
    return first, second, hiddens


def deep_gp_objective(all_params):
    first, second, hiddens = unpack_deep(all_params)
    return -(deep_log_marginal_1(first, GP_X, hiddens)
             + deep_log_marginal_2(second, np.atleast_2d(hiddens).T, GP_Y))


def test_deep_gaussian_process():
    params = np.concatenate([[0.0, -1.0, 0.1, 0.2], [0.1, -1.2, 0.0, -0.1],
                             0.5 * rng.normal(size=len(GP_Y))])
    check_model(deep_gp_objective, params, rtol=1e-4)


LVM_DATA = rng.normal(size=(5, 2))
LVM_LATENT = 2
LVM_GP_SIZE, _, lvm_log_marginal = make_gp(squared_exponential, LVM_LATENT + 1)


def unpack_lvm(params):
    total = LVM_DATA.shape[1] * LVM_GP_SIZE
    gp_params = np.reshape(params[:total], (LVM_DATA.shape[1], LVM_GP_SIZE))
    latents = np.reshape(params[total:], (LVM_DATA.shape[0], LVM_LATENT))
    return gp_params, latents


def gplvm_objective(params):
    gp_params, latents = unpack_lvm(params)
    likelihood = sum([lvm_log_marginal(gp_params[i], latents, LVM_DATA[:, i])
                      for i in range(LVM_DATA.shape[1])])
    return -likelihood - np.sum(norm.logpdf(latents))


def test_gplvm():
    params = 0.3 * rng.normal(size=LVM_DATA.shape[1] * LVM_GP_SIZE + LVM_DATA.size)
    check_model(gplvm_objective, params, rtol=1e-4)


# -- gmm: a dict of parameters, components walked by zip(*...) -------------------------------

def log_normalized(x):
    return x - logsumexp(x)


def gmm_parts(params):
    return log_normalized(params["log proportions"]), params["means"], params["lower triangles"]


def gmm_log_likelihood(params, data):
    per_cluster = []
    for log_proportion, mean, root in zip(*gmm_parts(params)):
        cov = np.dot(root.T, root)
        per_cluster.append(log_proportion + mvn.logpdf(data, mean, cov))
    return np.sum(logsumexp(np.vstack(per_cluster), axis=0))


def test_gaussian_mixture():
    params = {"log proportions": 0.3 * rng.normal(size=2),
              "means": rng.normal(size=(2, 2)),
              "lower triangles": np.zeros((2, 2, 2)) + np.eye(2) + 0.2 * rng.normal(size=(2, 2, 2))}
    check_model(gmm_log_likelihood, params, rng.normal(size=(6, 2)))


# -- hmm_em: the forward algorithm; its gradient is the E step's expected counts -------------

def hmm_log_partition(natural_params, observations):
    log_pi, log_A, log_B = natural_params
    log_alpha = log_pi
    for y in observations:
        log_alpha = logsumexp(log_alpha[:, None] + log_A, axis=0) + log_B[:, y]
    return logsumexp(log_alpha)


def hmm_log_partition_of_sequences(natural_params, sequences):
    return sum(hmm_log_partition(natural_params, s) for s in sequences)


def hmm_log_partition_mapped(natural_params, sequences):
    return sum(map(partial(hmm_log_partition, natural_params), sequences))


def normalized_rows(a):
    return a / a.sum(-1, keepdims=True)


def test_hmm_forward_algorithm_and_em_statistics():
    params = [normalized_rows(rng.uniform(0.2, 1.0, size=3)),
              normalized_rows(rng.uniform(0.2, 1.0, size=(3, 3))),
              normalized_rows(rng.uniform(0.2, 1.0, size=(3, 4)))]
    natural = list(map(np.log, params))
    observations = np.array([0, 3, 1, 1, 2])
    check_model(hmm_log_partition, natural, observations)
    sequences = [observations, np.array([2, 2, 0])]
    check_model(hmm_log_partition_of_sequences, natural, sequences)
    check_model(hmm_log_partition_mapped, natural, sequences)   # (partial was refused)
    value, counts = ad.value_and_grad(hmm_log_partition)(natural, observations)
    assert_close(value, hmm_log_partition(natural, observations), 1e-12, 0)
    assert_close(np.sum(counts[0]), 1.0, 1e-10, 0)           # the initial state's posterior
    assert_close(np.sum(counts[2]), len(observations), 1e-10, 0)


# -- ica: a Student-t likelihood of a linear mixing ------------------------------------------

ICA_OBSERVED, ICA_LATENT = 3, 2


def ica_weights(flat):
    return np.reshape(flat, (ICA_OBSERVED, ICA_LATENT))


def ica_log_likelihood(flat, latents, noise, observed):
    preds = np.dot(ica_weights(flat), latents).T
    return np.sum(student_t.logpdf(preds, 2.4, observed, noise))


def test_independent_component_analysis():
    latents = rng.normal(size=(ICA_LATENT, 5))
    observed = rng.normal(size=(5, ICA_OBSERVED))
    check_model(ica_log_likelihood, rng.normal(size=ICA_OBSERVED * ICA_LATENT), latents, 0.5,
                observed)


# -- rkhs: a function held as coefficients of kernels at points, a dict -----------------------

def kernel(a, b):
    return np.exp(-((a - b) ** 2))


def evaluate_expansion(alphas, x):
    return sum([a * kernel(x, centre) for centre, a in alphas.items()], 0.0)


def rkhs_log_probability(alphas, xs, ys):
    return -sum((evaluate_expansion(alphas, x) - y) ** 2 for x, y in zip(xs, ys))


def test_rkhs_coefficients_in_a_dict():
    alphas = {0.0: 0.4, 1.5: -0.2, 3.0: 0.7}
    check_model(rkhs_log_probability, alphas, range(5), [1, 2, 3, 2, 1])


# -- negative_binomial_maxlike: gammaln, Newton's method from nested gradients ---------------

COUNTS = np.array([3.0, 0.0, 7.0, 2.0, 11.0, 4.0, 1.0, 6.0])


def negative_binomial_log_likelihood(r, p, x):
    return gammaln(r + x) - gammaln(r) - gammaln(x + 1) + x * np.log(p) + r * np.log(1 - p)


def total_log_likelihood(r, p):
    return np.sum(negative_binomial_log_likelihood(r, p, COUNTS))


def best_p(r):
    return np.sum(COUNTS) / np.sum(r + COUNTS)


def profile_score(r):
    return ad.grad(total_log_likelihood)(r, best_p(r))


def test_negative_binomial_maximum_likelihood():
    check_model(total_log_likelihood, 2.5, 0.4)
    check_model(total_log_likelihood, 2.5, 0.4, wrt=1)
    score = profile_score(2.5)
    assert_close(score, numerical_grad(lambda r: total_log_likelihood(r, best_p(2.5)), (2.5,), 0),
                 1e-6, 1e-8)
    slope = ad.grad(profile_score)(2.5)
    assert_close(slope, numerical_grad(profile_score, (2.5,), 0), 1e-5, 1e-7)


# -- black_box_svi: a factory of the objective, reparameterised samples ----------------------

def banana_log_density(z):
    first, second = z[:, 0], z[:, 1]
    return norm.logpdf(first, 0, 1.35) + norm.logpdf(second, 0, np.exp(first))


def make_svi_objective(log_density, dims):
    def split(params):
        return params[:dims], params[dims:]

    def entropy(log_std):
        return 0.5 * dims * (1.0 + np.log(2 * np.pi)) + np.sum(log_std)

    def negative_elbo(params, noise):
        mean, log_std = split(params)
        samples = noise * np.exp(log_std) + mean
        return -(entropy(log_std) + np.mean(log_density(samples)))

    return negative_elbo


svi_objective = make_svi_objective(banana_log_density, 2)


def test_black_box_variational_inference():
    params = np.array([-0.5, 0.3, -1.0, -0.7])
    check_model(svi_objective, params, rng.normal(size=(6, 2)))


# -- mixture_variational_inference: components walked over the rows of a matrix --------------

def diagonal_gaussian_log_density(x, mu, log_std):
    return np.sum(norm.logpdf(x, mu, np.exp(log_std)), axis=-1)


def gaussian_halves(params):
    half = np.shape(params)[0] // 2
    return params[:half], params[half:]


def component_log_density(params, x):
    mean, log_std = gaussian_halves(params)
    return diagonal_gaussian_log_density(x, mean, log_std)


def component_samples(params, noise):
    mean, log_std = gaussian_halves(params)
    return noise * np.exp(log_std) + mean


MIXTURE_K = 2


def mixture_parts(mixture_params):
    log_weights = log_normalized(mixture_params[:MIXTURE_K])
    return log_weights, np.reshape(mixture_params[MIXTURE_K:], (MIXTURE_K, -1))


def mixture_log_density(mixture_params, x):
    log_weights, components = mixture_parts(mixture_params)
    per_component = np.vstack([component_log_density(c, x) for c in components]).T
    return logsumexp(per_component + log_weights, axis=1, keepdims=False)


def mixture_elbo(mixture_params, noise):
    samples_per = noise.shape[1]

    def lower_bound(params, eps):
        samples = component_samples(params, eps)
        log_qs = np.reshape(mixture_log_density(mixture_params, samples), (samples_per, -1))
        log_ps = np.reshape(banana_log_density(samples), (samples_per, -1))
        return np.mean(log_ps - log_qs)

    log_weights, components = mixture_parts(mixture_params)
    bounds = np.stack([lower_bound(c, eps) for c, eps in zip(components, noise)])
    return np.sum(bounds * np.exp(log_weights))


def test_mixture_variational_inference():
    params = np.concatenate([[0.2, -0.1], [-0.5, 0.4, -0.8, -0.6], [0.6, -0.2, -0.9, -0.4]])
    check_model(mixture_elbo, params, rng.normal(size=(MIXTURE_K, 4, 2)))


# -- variational_autoencoder: two lists of layers, batch normalisation, relu -----------------

def relu(x):
    return np.maximum(0, x)


def batch_normalized(activations):
    centre = np.mean(activations, axis=0, keepdims=True)
    return (activations - centre) / (np.std(activations, axis=0, keepdims=True) + 1)


def network_outputs(params, inputs):
    for W, b in params[:-1]:
        inputs = relu(batch_normalized(np.dot(inputs, W) + b))
    last_W, last_b = params[-1]
    return np.dot(inputs, last_W) + last_b


def gaussian_parameters(params, inputs):
    outputs = network_outputs(params, inputs)
    half = np.shape(outputs)[-1] // 2
    return outputs[:, :half], outputs[:, half:]


def bernoulli_log_density(targets, logits):
    return np.sum(-np.logaddexp(0, -logits * targets), axis=-1)


def vae_lower_bound(generator, recognizer, data, noise):
    q_means, q_log_stds = gaussian_parameters(recognizer, data)
    latents = noise * np.exp(q_log_stds) + q_means
    q_latents = diagonal_gaussian_log_density(latents, q_means, q_log_stds)
    p_latents = diagonal_gaussian_log_density(latents, 0, 0)
    likelihood = bernoulli_log_density(data, network_outputs(generator, latents))
    return np.mean(p_latents + likelihood - q_latents)


def test_variational_autoencoder():
    data = np.where(rng.uniform(size=(4, 3)) > 0.5, 1.0, -1.0)
    generator = layers_of([2, 3, 3])
    recognizer = layers_of([3, 3, 4])
    check_model(vae_lower_bound, generator, recognizer, data, rng.normal(size=(4, 2)),
                wrt=(0, 1), rtol=1e-4)


# -- bayesian_neural_net: layers cut from a matrix of weight samples by a generator ----------

BNN_SHAPES = [(1, 3), (3, 1)]


def unpack_layers(weights):
    samples = len(weights)
    for m, n in BNN_SHAPES:
        yield (weights[:, :m * n].reshape((samples, m, n)),
               weights[:, m * n:m * n + n].reshape((samples, 1, n)))
        weights = weights[:, (m + 1) * n:]


def bnn_predictions(weights, inputs):
    inputs = np.expand_dims(inputs, 0)
    for W, b in unpack_layers(weights):
        outputs = np.einsum("mnd,mdo->mno", inputs, W) + b
        inputs = np.tanh(outputs)
    return outputs


def bnn_log_probability(weights, inputs, targets):
    log_prior = -0.1 * np.sum(weights ** 2, axis=1)
    preds = bnn_predictions(weights, inputs)
    log_lik = -np.sum((preds - targets) ** 2, axis=1)[:, 0] / 0.01
    return log_prior + log_lik


BNN_WEIGHTS = sum((m + 1) * n for m, n in BNN_SHAPES)
BNN_X = np.linspace(-1, 1, 4)[:, None]
BNN_Y = np.cos(3 * BNN_X)


def bnn_negative_elbo(params, noise):
    mean, log_std = params[:BNN_WEIGHTS], params[BNN_WEIGHTS:]
    samples = noise * np.exp(log_std) + mean
    entropy = 0.5 * BNN_WEIGHTS * (1.0 + np.log(2 * np.pi)) + np.sum(log_std)
    return -(entropy + np.mean(bnn_log_probability(samples, BNN_X, BNN_Y)))


def test_bayesian_neural_net():
    params = np.concatenate([0.5 * rng.normal(size=BNN_WEIGHTS), -1 + 0.1 * rng.normal(size=BNN_WEIGHTS)])
    check_model(bnn_negative_elbo, params, rng.normal(size=(3, BNN_WEIGHTS)), rtol=1e-4)


# -- ode_net: a network as the right-hand side of an ODE, Euler and RK4 steps ----------------

def relu_network(inputs, params):
    for W, b in params:
        outputs = np.dot(inputs, W) + b
        inputs = np.maximum(0, outputs)
    return outputs


def rk4_trajectory(params, y0, times):
    states = [y0]
    y = y0
    for t0, t1 in zip(times[:-1], times[1:]):
        h = t1 - t0
        k1 = relu_network(y, params)
        k2 = relu_network(y + h / 2 * k1, params)
        k3 = relu_network(y + h / 2 * k2, params)
        k4 = relu_network(y + h * k3, params)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        states.append(y)
    return np.stack(states)


def euler_trajectory(params, y0, times):
    y = y0
    path = [y]
    for i in range(len(times) - 1):
        y = y + (times[i + 1] - times[i]) * relu_network(y, params)
        path.append(y)
    return np.array(path)


def ode_l1_loss(params, y0, times, targets):
    return np.mean(np.abs(rk4_trajectory(params, y0, times) - targets))


def ode_l2_loss(params, y0, times, targets):
    return np.mean((euler_trajectory(params, y0, times) - targets) ** 2)


def test_ode_net():
    params = layers_of([2, 4, 2])
    times = np.linspace(0.0, 0.6, 4)
    y0 = np.array([1.0, 0.5])
    targets = np.stack([np.array([np.cos(t), -np.sin(t)]) + 0.3 for t in times])
    check_model(ode_l1_loss, params, y0, times, targets)
    check_model(ode_l2_loss, params, y0, times, targets)


# -- fluidsim: advection by bilinear interpolation, projection by Jacobi iterations ----------

def project(vx, vy, iterations=6):
    """Make the velocity field nearly divergence free."""
    p = np.zeros(vx.shape)
    h = 1.0 / vx.shape[0]
    div = -0.5 * h * (np.roll(vx, -1, axis=0) - np.roll(vx, 1, axis=0)
                      + np.roll(vy, -1, axis=1) - np.roll(vy, 1, axis=1))
    for _ in range(iterations):
        p = (div + np.roll(p, 1, axis=0) + np.roll(p, -1, axis=0)
             + np.roll(p, 1, axis=1) + np.roll(p, -1, axis=1)) / 4.0
    vx -= 0.5 * (np.roll(p, -1, axis=0) - np.roll(p, 1, axis=0)) / h
    vy -= 0.5 * (np.roll(p, -1, axis=1) - np.roll(p, 1, axis=1)) / h
    return vx, vy


def advect(f, vx, vy):
    """Carry the field f along the velocities, reading it back by bilinear interpolation."""
    rows, cols = f.shape
    cell_ys, cell_xs = np.meshgrid(np.arange(rows), np.arange(cols))
    xs = (cell_xs - vx).ravel()
    ys = (cell_ys - vy).ravel()
    left = np.floor(xs).astype(int)
    top = np.floor(ys).astype(int)
    right_weight = xs - left
    bottom_weight = ys - top
    left = np.mod(left, rows)
    right = np.mod(left + 1, rows)
    top = np.mod(top, cols)
    bottom = np.mod(top + 1, cols)
    flat = ((1 - right_weight) * ((1 - bottom_weight) * f[left, top] + bottom_weight * f[left, bottom])
            + right_weight * ((1 - bottom_weight) * f[right, top] + bottom_weight * f[right, bottom]))
    return np.reshape(flat, (rows, cols))


def simulate(vx, vy, smoke, steps):
    for _ in range(steps):
        vx_moved = advect(vx, vx, vy)
        vy_moved = advect(vy, vx, vy)
        vx, vy = project(vx_moved, vy_moved)
        smoke = advect(smoke, vx, vy)
    return smoke


FLUID_SHAPE = (5, 5)
FLUID_SMOKE = rng.uniform(size=FLUID_SHAPE)
FLUID_TARGET = rng.uniform(size=FLUID_SHAPE)


def fluid_objective(params):
    size = FLUID_SHAPE[0] * FLUID_SHAPE[1]
    vx = np.reshape(params[:size], FLUID_SHAPE)
    vy = np.reshape(params[size:], FLUID_SHAPE)
    smoke = simulate(vx, vy, FLUID_SMOKE, 2)
    return np.mean((FLUID_TARGET - smoke) ** 2)


def test_fluid_simulation():
    # velocities well inside cells, so that no floor() lands on an integer under the steps
    params = 0.2 + 0.05 * rng.uniform(size=2 * FLUID_SHAPE[0] * FLUID_SHAPE[1])
    check_model(fluid_objective, params, rtol=1e-4, atol=1e-6)


# -- fixed_points: iterations to convergence, made by a function returning a lambda ----------

def newton_sqrt_step(a):
    return lambda x: 0.5 * (x + a / x)


def descent_sqrt_step(a):
    return lambda x: x - 0.05 * (x ** 2 - a)


def iterated_sqrt(a, guess=10.0):
    step = newton_sqrt_step(a)
    x, previous = step(guess), guess
    while np.abs(x - previous) > 1e-10:
        x, previous = step(x), x
    return x


def slow_sqrt(a, guess=2.0):
    step = descent_sqrt_step(a)
    x = guess
    for _ in range(200):
        new = step(x)
        if np.abs(new - x) < 1e-12:
            break
        x = new
    return x


def test_fixed_points():
    # (a function made by a function, step = newton_sqrt_step(a), was refused as a function
    # held in a variable)
    check_model(iterated_sqrt, 2.0)
    assert_close(ad.grad(iterated_sqrt)(2.0), 0.5 / np.sqrt(2.0), 1e-9, 0)
    assert_close(ad.grad(ad.grad(iterated_sqrt))(2.0), -0.25 * 2.0 ** -1.5, 1e-6, 0)
    check_model(slow_sqrt, 2.0)


STEP_SCALE = 0.5


def damped_step(a, damping=1.0):
    def step(x):
        """One damped Newton step towards the square root of a."""
        return x - damping * STEP_SCALE * (x - a / x)
    return step


def sqrt_by_a_def_factory(a, b):
    first = damped_step(a)
    second = damped_step(b * 2.0, damping=0.5)
    x, y = 1.0, 1.0
    for _ in range(6):
        x, y = first(x), second(y)
    b = 7.0   # (the function made holds the argument the call was given)
    return x * y + second(b)


def factory_result_assigned_again(a):
    step = newton_sqrt_step(a)
    x = step(1.0)
    step = newton_sqrt_step(x)
    return step(1.0)


def factory_reading_a_global_the_caller_shadows(a):
    STEP_SCALE = 3.0
    step = damped_step(a)
    return step(1.0) * STEP_SCALE


def test_functions_made_by_a_function():
    check_model(sqrt_by_a_def_factory, 2.0, 1.5, wrt=(0, 1))
    with pytest.raises(ad.TransformError, match="step.. is defined twice"):
        ad.grad(factory_result_assigned_again)(2.0)
    with pytest.raises(ad.TransformError, match="used as a value here"):
        ad.grad(factory_reading_a_global_the_caller_shadows)(2.0)


# -- sinusoid and tanh: higher derivatives -----------------------------------------------------

def sine(x):
    return np.sin(x)


def taylor_sine(x):
    term = x
    total = term
    for i in range(1000):
        term = -term * x ** 2 / ((2 * i + 3) * (2 * i + 2))
        total = total + term
        if np.abs(term) < 0.2:
            break
    return total


def exp_tanh(x):
    return (1.0 - np.exp(-2 * x)) / (1.0 + np.exp(-(2 * x)))


@pytest.mark.parametrize("f, third_too", [(sine, True), (exp_tanh, True),
                                           (taylor_sine, False)])
def test_higher_derivatives(f, third_too):
    # (the third derivative of the Taylor loop takes adcompile over a second to make)
    first, second = ad.grad(f), ad.grad(ad.grad(f))
    for x in (-2.3, 1.7):
        assert_close(first(x), run_autograd(autograd.grad(f), x), 1e-10, 1e-12)
        assert_close(second(x), run_autograd(autograd.grad(autograd.grad(f)), x), 1e-10, 1e-12)
        assert_close(second(x), numerical_grad(first, (x,), 0), 1e-6, 1e-8)
        assert_close(ad.hessian(f)(np.array(x)), second(x), 1e-10, 1e-12)
        if third_too:
            third = ad.grad(ad.grad(ad.grad(f)))
            assert_close(third(x), run_autograd(
                autograd.grad(autograd.grad(autograd.grad(f))), x), 1e-9, 1e-11)
            assert_close(third(x), numerical_grad(second, (x,), 0), 1e-5, 1e-7)


def test_elementwise_derivatives_of_tanh():
    xs = np.linspace(-2.0, 2.0, 5)
    slopes = ad.vjp(exp_tanh)(xs, np.ones_like(xs))[1]
    assert_close(slopes, 1 - np.tanh(xs) ** 2, 1e-10, 1e-12)
    assert_close(slopes, run_autograd(autograd.elementwise_grad(exp_tanh), xs), 1e-10, 1e-12)
    curvature = np.array([ad.grad(ad.grad(exp_tanh))(x) for x in xs])
    assert_close(curvature, run_autograd(autograd.elementwise_grad(
        autograd.elementwise_grad(exp_tanh)), xs), 1e-9, 1e-11)


# -- rosenbrock --------------------------------------------------------------------------------

def rosenbrock(x):
    return 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2


def test_rosenbrock():
    check_model(rosenbrock, np.array([-0.4, 0.7]))
    value, gradient = ad.value_and_grad(rosenbrock)(np.array([1.0, 1.0]))
    assert value == 0.0 and np.all(gradient == 0.0)
    hessian = ad.hessian(rosenbrock)(np.array([-0.4, 0.7]))
    assert_close(hessian, run_autograd(autograd.hessian(rosenbrock), np.array([-0.4, 0.7])),
                 1e-10, 1e-10)


# -- a method of an object that is not an array, with NumPy's name ---------------------------
# (convnet's layers read their weights with ``self.layout.take(vect, name)``: a method of an
# object of the user's called ``take``. adcompile differentiated it with the rule of NumPy's
# ``x.take(indices)``, whose indices get no gradient: a zero gradient, with no error; one
# called ``dot`` crashed in NumPy's adjoint. Now such a call is checked when the code runs.)

class Doubler:
    def take(self, v):
        return 2.0 * v

    def dot(self, v):
        return 3.0 * v


class Holder:
    def __init__(self):
        self.inner = Doubler()

    def run(self, v):
        return self.inner.dot(v)

    def run_take(self, v):
        return self.inner.take(v)


HOLDER = Holder()


def make_doubler():
    return Doubler()


def method_of_a_local_object(v):
    d = make_doubler()
    return np.sum(d.take(v))


def method_of_an_attribute(v):
    return np.sum(HOLDER.run(v))


def method_of_an_attribute_named_take(v):
    return np.sum(HOLDER.run_take(v) ** 2)


def method_of_an_object_argument(v, d):
    return np.sum(d.take(v) * d.dot(v))


def method_of_a_constant_array(v, A):
    return np.sum(A.T.dot(v) ** 2) + np.sum(A[0].take(np.array([1, 0])) * v[:2])


@pytest.mark.parametrize("f", [method_of_a_local_object, method_of_an_attribute,
                               method_of_an_attribute_named_take])
def test_a_numpy_method_name_on_another_object_is_checked_when_the_code_runs(f):
    v = np.array([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=r"test_peer_examples\.py:\d+:\d+: .* is differentiated "
                                        r"with the rule of NumPy's method of that name, but it is "
                                        r"called on a Doubler, not a NumPy array"):
        ad.grad(f)(v)


def test_methods_of_arrays_and_of_objects_passed_in_still_differentiated():
    v = np.array([1.0, 2.0, 3.0])
    got = ad.grad(method_of_an_object_argument)(v, Doubler())
    assert_close(got, numerical_grad(method_of_an_object_argument, (v, Doubler()), 0))
    assert_close(got, 12.0 * v, 1e-12, 0)
    A = rng.normal(size=(3, 2))
    check_model(method_of_a_constant_array, v, A)
    # (where the arguments show A to be an array, the check is dropped: drop_array_checks)
    assert "require_array" not in ad.show(method_of_a_constant_array, args=(v, A))
    assert "require_array(A.T, " in ad.show(method_of_a_constant_array)


# -- idioms of the examples that were refused --------------------------------------------------

def activated(x, w, activation=np.tanh):
    return activation(w * x)


def relu_activated(x, w, activation=relu):
    return activation(w * x)


def defaults_that_are_functions(w, x):
    return np.sum(activated(x, w)) + np.sum(relu_activated(x, w)) \
        + np.sum(activated(x, w, np.sin))


def with_a_column_of_ones(weights, *parts):
    return np.dot(np.hstack(parts + (np.ones((parts[0].shape[0], 1)),)), weights)


def with_a_leading_column(weights, *parts):
    return np.dot(np.hstack((np.ones((parts[0].shape[0], 1)),) + parts), weights)


def extra_arguments_joined_to_a_tuple(w, a, b):
    return np.sum(with_a_column_of_ones(w, a, b) ** 2) + np.sum(with_a_leading_column(w, b, a))


def test_a_function_as_a_default_argument():
    # (was refused: "called without activation=, whose default is not a literal")
    w, x = np.array([0.3, -0.5, 0.8]), np.array([1.0, 2.0, -3.0])
    got = check_model(defaults_that_are_functions, w, x)
    assert_close(got, x / np.cosh(w * x) ** 2 + (w * x > 0) * x + x * np.cos(w * x), 1e-12, 0)


def test_extra_arguments_joined_to_a_tuple():
    # (``parts + (ones,)`` of *parts was refused as a primitive applied to a whole list)
    a, b = rng.normal(size=(3, 2)), rng.normal(size=(3, 1))
    check_model(extra_arguments_joined_to_a_tuple, rng.normal(size=(4, 2)), a, b)
    check_model(extra_arguments_joined_to_a_tuple, rng.normal(size=(4, 2)), a, b, wrt=(1, 2))


def three_parts(x):
    return x[0] * x, np.sin(x), x[1:].sum() + x


def walked_by_a_starred_zip(x, M):
    total = 0.0
    for a, b, c in zip(*three_parts(x)):
        total = total + a * b - c ** 2
    for first, second in zip(*M):      # the columns of a matrix with two rows
        total = total + first * second * x[0]
    for (p, q), r in zip(*[[(x[0], x[1]), (x[2], x[0])], [x[1], 3.0]]):
        total = total + p * q * r
    return total


def starred_zip_of_the_wrong_length(x):
    total = 0.0
    for a, b in zip(*three_parts(x)):
        total = total + a * b
    return total


def test_a_loop_over_a_starred_zip():
    # (gmm's ``for log_proportion, mean, cov_sqrt in zip(*unpack(params))``: was refused)
    x = np.array([0.4, -1.3, 0.7])
    check_model(walked_by_a_starred_zip, x, rng.normal(size=(2, 4)))
    with pytest.raises(ValueError):
        starred_zip_of_the_wrong_length(x)
    with pytest.raises(ValueError):
        ad.grad(starred_zip_of_the_wrong_length)(x)


# -- a, b = value of another length: Python raises ValueError ---------------------------------
# (adcompile read value[0] and value[1] and returned a gradient, for an array, a helper's
# tuple or a constant with three items)

def unpacked_array(x):
    a, b = x
    return a * b


def unpacked_helper_result(x):
    a, b = three_parts(x)
    return np.sum(a * b)


def unpacked_constant(x):
    lo, hi = np.array([0.5, 1.5, 2.5])
    return x[0] * lo + x[1] * hi


@pytest.mark.parametrize("f", [unpacked_array, unpacked_helper_result, unpacked_constant])
def test_unpacking_a_value_of_another_length_raises_as_python_does(f):
    x = np.array([0.4, -1.3, 0.7])
    with pytest.raises(ValueError, match="too many values to unpack"):
        f(x)
    with pytest.raises(ValueError, match=r"too many values to unpack \(expected 2\)"):
        ad.grad(f)(x)
    with pytest.raises(ValueError, match=r"not enough values to unpack \(expected 2, got 1\)"):
        ad.grad(unpacked_array)(np.array([0.4]))
    check_model(unpacked_array, np.array([0.4, -1.3]))


def unpacked_fixed_results(x):
    K = np.outer(x, x) + np.diag([1.0, 2.0, 3.5])   # (distinct eigenvalues)
    sign, logdet = np.linalg.slogdet(K)
    w, V = np.linalg.eigh(K)
    a, b, c = np.split(x, 3)
    first, rest = np.split(x, [1])
    return logdet + np.sum(w * V[0]) + np.sum(a * b * c) + first[0] * np.sum(rest)


def test_unpacking_numpy_results_of_a_fixed_length_is_not_checked():
    # (slogdet, eigh, np.split with a count or a list of indices always give that many
    # items: no require_length line in the generated code)
    x = np.array([0.4, -1.3, 0.7])
    check_model(unpacked_fixed_results, x)
    assert "require_length" not in ad.show(unpacked_fixed_results, args=(x,))
    assert "require_length" in ad.show(unpacked_array, args=(x,))


# -- loops over a generator of the user's (bayesian_neural_net's unpack_layers) --------------

GENERATOR_SHAPES = [(2, 3), (3, 1)]
SCALE = 2.0


def layer_pieces(w, scale=1.5):
    start = 0
    for m, n in GENERATOR_SHAPES:
        yield w[start:start + m * n].reshape(m, n) * scale, w[start + m * n:start + m * n + n]
        start = start + m * n + n


def net_of_generated_layers(w, x):
    for W, b in layer_pieces(w, scale=SCALE):
        x = np.tanh(x @ W + b)
    total = 0.0
    for W, b in layer_pieces(w):
        total = total + np.sum(W) * np.sum(b)
    return np.sum(x ** 2) + total


def signed_squares(x, n):
    i = 0
    while i < n:
        if i % 2 == 0:
            yield x[i] * x[i]
        else:
            yield -x[i]
        i += 1
    yield x[0] * 10.0


def weighted_by_position(x):
    s = 0.0
    k = 0
    for v in signed_squares(x, len(x) - 1):
        s = s + v * (k + 1)
        k += 1
    return s


def generator_left_by_break(x):
    s = 0.0
    for v in signed_squares(x, 3):
        if v > 100:
            break
        s = s + v
    return s


def scaled_rows(x):
    for row in x:
        yield row * SCALE


def caller_with_a_local_named_like_a_global(x):
    SCALE = 3.0
    s = 0.0
    for r in scaled_rows(x):
        s = s + np.sum(r) * SCALE
    return s


def test_loops_over_a_generator():
    # (yield was refused wherever it was)
    w = np.linspace(-1.0, 1.0, 13)
    check_model(net_of_generated_layers, w, np.array([[0.3, -0.5], [0.1, 0.9]]))
    check_model(weighted_by_position, np.array([0.5, -1.2, 0.7, 2.0]))


@pytest.mark.parametrize("f", [generator_left_by_break, caller_with_a_local_named_like_a_global])
def test_loops_over_a_generator_that_cannot_be_written_out_stay_refused(f):
    with pytest.raises(ad.TransformError, match="yield cannot be differentiated"):
        ad.grad(f)(np.array([0.5, -1.2, 0.7, 2.0]))


# -- map(functools.partial(f, a), xs): hmm_em's sum over sequences ---------------------------

def power_term(a, x, power=2):
    return a * x ** power


def summed_over_a_partial(a, xs):
    return sum(map(partial(power_term, a, power=3), xs))


def walked_over_a_partial(a, xs):
    total = 0.0
    for v in map(partial(power_term, a), xs):
        total = total + v
    return total


def partial_of_a_name_the_loop_changes(a, xs):
    total = 0.0
    b = a
    for v in map(partial(power_term, b), xs):   # (the partial holds the first b)
        total = total + v
        b = b * 2.0
    return total


def test_a_map_of_a_partial():
    xs = [0.5, -1.0, 2.0]
    assert_close(check_model(summed_over_a_partial, 1.3, xs), 7.125, 1e-12, 0)
    assert_close(check_model(walked_over_a_partial, 1.3, xs), 5.25, 1e-12, 0)
    with pytest.raises(ad.TransformError, match="partial"):
        ad.grad(partial_of_a_name_the_loop_changes)(1.3, xs)


# -- generative_adversarial_net: a minimax objective of two lists of layers -----------------

def log_sigmoid(x):
    return x - np.logaddexp(0, x)


def gan_network(params, inputs):
    first_W, first_b = params[0]
    inputs = relu(np.dot(inputs, first_W) + first_b)
    for W, b in params[1:-1]:
        inputs = relu(batch_normalized(np.dot(inputs, W) + b))
    last_W, last_b = params[-1]
    return np.dot(inputs, last_W) + last_b


def gan_objective(generator, discriminator, real, noise):
    fake = squashed(gan_network(generator, noise))
    return np.mean(log_sigmoid(gan_network(discriminator, real))) \
        - np.mean(log_sigmoid(gan_network(discriminator, fake)))


def test_generative_adversarial_net():
    # (every unit of a batch-normalised layer active for some input: where a relu is zero
    # for the whole batch, the std's derivative at 0 is autograd's nan)
    generator = [(W, b + 1.0) for W, b in layers_of([2, 3, 3, 3])]
    discriminator = [(W, b + 1.0) for W, b in layers_of([3, 3, 2, 1])]
    real, noise = rng.uniform(size=(4, 3)), rng.uniform(size=(4, 2))
    check_model(gan_objective, generator, discriminator, real, noise, wrt=(0, 1), rtol=1e-4)


# -- bayesian_optimization: the acquisition function in the query point ---------------------

def expected_new_max(mean, std, best):
    return best - (mean - best) * norm.cdf(mean, best, std) + std * norm.pdf(mean, best, std)


def acquisition(xstar, params):
    mean, cov = gp_predict(params, GP_X, GP_Y, xstar)
    return -np.sum(expected_new_max(mean, np.sqrt(np.diag(cov)), np.max(GP_Y)))


def test_bayesian_optimization_acquisition():
    params = np.array([0.1, -1.0, 0.2, -0.3])
    check_model(acquisition, np.array([[0.35], [-0.45]]), params)
    value, slope = ad.value_and_grad(lambda x: -acquisition(x, params))(np.array([[0.35]]))
    assert_close(value, -acquisition(np.array([[0.35]]), params), 1e-12, 0)
    assert_close(slope, -ad.grad(acquisition)(np.array([[0.35]]), params), 1e-12, 0)
