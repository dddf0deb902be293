"""Example 6: a window classifier for named-entity recognition ("is this word a location?").

    python examples/window_classifier.py     # add --small for fewer epochs

The model of the NER lecture: a word is classified from the window of five
words around it (itself and two on each side). Their word vectors, rows of an
embedding matrix E, are concatenated into x (5d numbers), and

    z = W x + b,    h = f(z) = tanh(z),    s = u^T h,    P(location) = sigma(s).

Training minimises the logistic loss log(1 + exp(-t s)) (t = +1 for a location,
-1 otherwise) over the windows of a small hand-written corpus by SGD, updating
W, b, u *and the word vectors*: adcompile differentiates through the indexing
E[window], scattering x_bar back into the rows of E the window used (adding
twice if a word occurs twice).

The gradients of the score are checked against the lecture's closed forms

    ds/db = delta = u o f'(z),    ds/dW = delta x^T,    ds/dx = W^T delta.

On held-out sentences the classifier finds every location, including three
cities that never occur in training (their word vectors are still the random
initial ones): the context words decide.
"""

import argparse

import numpy as np
from _common import heading, side_by_side

import adcompile as ad


def score(W, b, u, E, window):
    x = E[window].ravel()          # the five word vectors, concatenated
    z = W @ x + b
    h = np.tanh(z)
    return u @ h


def loss(W, b, u, E, window, t):
    s = score(W, b, u, E, window)
    return np.log(1 + np.exp(-t * s))


# Locations are in brackets.
TRAIN = """
i flew to [paris] last week
she lives in [london] with her sister
the museums in [paris] are amazing
we drove from [berlin] to [prague]
he was born in [tokyo] in winter
they moved to [madrid] after the war
the train to [vienna] was late
my brother works in [boston]
the weather in [london] is rainy
our office in [berlin] is closing
she studied in [rome] for a year
the flight from [cairo] landed early
he visited [lima] and [quito]
i love the food in [tokyo]
they live near [oslo]
we met in [vienna] last summer
the conference is in [boston] this year
she took a bus to [madrid]
he is from [cairo]
the streets of [rome] are busy
i flew the plane last week
she lives with her sister
the museums are amazing
we drove the car to work
he was born in winter
they moved the table after the war
the train was late
my brother works in a bank
the weather is rainy
our office is closing
she studied for a year
the flight landed early
he visited his mother and her sister
i love the food
they live near the river
we met in the park last summer
the conference is this year
she took a bus to work
he is from the bank
the streets are busy
"""

TEST = """
she flew to [rome] last summer
my sister lives in [tokyo]
we moved to [london] after the war
the food in [madrid] is amazing
he works in [prague]
they drove to work
she was born in [oslo]
the bus from [boston] was late
i met my brother in the park
we love the museums
the office in [lima] is closing
he studied in a bank
we flew to [seoul] last week
she lives in [nairobi] with her brother
the museums in [kyoto] are busy
"""

PAD_LEFT, PAD_RIGHT = "<s>", "</s>"


def parse(corpus):
    """Sentences as lists of (word, is_location)."""
    sentences = []
    for line in corpus.strip().splitlines():
        sentences.append([(w.strip("[]"), w.startswith("[")) for w in line.split()])
    return sentences


def windows(sentences, index):
    """Every word's window of five word indices, and its label t in {+1, -1}."""
    rows, labels, words = [], [], []
    for sentence in sentences:
        ids = [index[PAD_LEFT]] * 2 + [index[w] for w, _ in sentence] + [index[PAD_RIGHT]] * 2
        for k, (word, is_location) in enumerate(sentence):
            rows.append(ids[k:k + 5])
            labels.append(1.0 if is_location else -1.0)
            words.append(word)
    return np.array(rows), np.array(labels), words


def closed_forms(W, b, u, E, window):
    """The lecture's gradients of the score s, computed by hand."""
    x = E[window].ravel()
    z = W @ x + b
    delta = u * (1 - np.tanh(z) ** 2)            # u o f'(z), f = tanh
    x_bar = W.T @ delta
    E_bar = np.zeros_like(E)
    np.add.at(E_bar, window, x_bar.reshape(len(window), -1))
    return {"b": delta, "W": np.outer(delta, x), "u": np.tanh(z), "E": E_bar}


DERIVATION = """
s_bar = 1 (out_bar)

x = the rows E[window],
    concatenated
z = W x + b

h = f(z),  s = u^T h
h_bar = s_bar u
z_bar = h_bar o f'(z) = u o f'(z) = delta
(the same delta for W x and b)
x_bar = W^T delta
(x_bar, one row per word)
W_bar = delta x^T
b_bar = delta
u_bar = s_bar h
E_bar[window] += rows of x_bar
"""


def train(Xw, T, params, epochs, lr, rng):
    dloss = ad.grad(loss, wrt=("W", "b", "u", "E"))
    W, b, u, E = params
    for _ in range(epochs):
        for i in rng.permutation(len(T)):
            W_bar, b_bar, u_bar, E_bar = dloss(W, b, u, E, Xw[i], T[i])
            W, b, u, E = W - lr * W_bar, b - lr * b_bar, u - lr * u_bar, E - lr * E_bar
    return W, b, u, E


def predict(params, Xw):
    W, b, u, E = params
    x = E[Xw].reshape(len(Xw), -1)
    return np.tanh(x @ W.T + b) @ u            # the scores s, one per window


def main(small=False):
    train_sentences, test_sentences = parse(TRAIN), parse(TEST)
    vocabulary = sorted({w for s in train_sentences + test_sentences for w, _ in s})
    vocabulary = [PAD_LEFT, PAD_RIGHT] + vocabulary
    index = {w: i for i, w in enumerate(vocabulary)}
    X_train, T_train, _ = windows(train_sentences, index)
    X_test, T_test, test_words = windows(test_sentences, index)

    rng = np.random.default_rng(0)
    d, hidden = 8, 12
    params = (rng.normal(scale=0.3, size=(hidden, 5 * d)), np.zeros(hidden),
              rng.normal(scale=0.3, size=hidden), rng.normal(scale=0.3, size=(len(vocabulary), d)))

    heading("The generated gradient of the window score s = u^T tanh(W x + b)")
    code = ad.show(score, wrt=("W", "b", "u", "E"), args=params + (X_train[0],))
    side_by_side(DERIVATION, code, titles=("lecture", "generated by adcompile"))

    # the generated gradients against the closed forms, on a window with a repeated word
    window = np.array([index["the"], index["train"], index["to"], index["the"], index["war"]])
    grads = ad.grad(score, wrt=("W", "b", "u", "E"))(*params, window)
    expected = closed_forms(*params, window)
    for name, g in zip(("W", "b", "u", "E"), grads):
        np.testing.assert_allclose(g, expected[name], rtol=1e-12, atol=1e-14)
    print("\nds/db = u o f'(z), ds/dW = delta x^T, ds/du = h and ds/dE (W^T delta scattered into")
    print("the window's rows; 'the' occurs twice and gets both) equal the closed forms")
    ad.check_grad(loss, *params, window, 1.0, wrt=("W", "b", "u", "E"))
    print("central finite differences agree on the loss")

    heading("Training on the corpus, word vectors included")
    print(f"{len(train_sentences)} sentences, {len(T_train)} windows "
          f"({int(np.sum(T_train > 0))} locations); vocabulary of {len(vocabulary)} words, d = {d}")
    E_before = params[3].copy()
    epochs = 40 if small else 80
    params = train(X_train, T_train, params, epochs, lr=0.05, rng=rng)
    train_accuracy = np.mean(np.sign(predict(params, X_train)) == T_train)
    print(f"after {epochs} epochs: training accuracy {train_accuracy:.1%}")
    moved = np.linalg.norm(params[3] - E_before, axis=1)
    print(f"word vectors moved by {np.median(moved):.2f} (median over the vocabulary; "
          f"'paris' by {moved[index['paris']]:.2f})")
    unseen = sorted({w for s in test_sentences for w, _ in s}
                    - {w for s in train_sentences for w, _ in s})
    assert np.all(moved[[index[w] for w in unseen]] == 0)
    assert np.all(moved[[index[w] for w in ("paris", "in", "to", "the")]] > 0)

    heading("Held-out sentences")
    s = predict(params, X_test)
    probability = 1 / (1 + np.exp(-s))
    k = 0
    for sentence in test_sentences:
        marked = []
        for word, _ in sentence:
            marked.append(f"[{word} {probability[k]:.2f}]" if probability[k] > 0.5 else word)
            k += 1
        print("  " + " ".join(marked))
    predicted = s > 0
    truth = T_test > 0
    precision = np.sum(predicted & truth) / max(np.sum(predicted), 1)
    recall = np.sum(predicted & truth) / np.sum(truth)
    print(f"test windows {len(T_test)}: accuracy {np.mean(predicted == truth):.1%}, "
          f"location precision {precision:.0%}, recall {recall:.0%}")
    print(f"never in the training sentences, so their vectors are the random initial ones: "
          f"{', '.join(unseen)}; the context decides")
    found = {w for w, p in zip(test_words, probability) if p > 0.5}
    assert {"seoul", "nairobi", "kyoto"} <= found, found
    assert train_accuracy == 1.0, train_accuracy
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)
    return precision, recall


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="fewer epochs")
    main(parser.parse_args().small)
