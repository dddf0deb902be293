"""Parameters in an ``OrderedDict``, a ``defaultdict`` or a subclass of dict: read as the
dicts they are, their gradients in their own kind (an ``OrderedDict`` in, an ``OrderedDict``
out), checked by central finite differences and autograd (of the same dict); a subclass
whose class has code of its own (``__getitem__``, ...) refused, naming the argument."""

import collections
import copy

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import adcompile as ad

from test_structures import assert_same_structure, assert_tree_close

rng = np.random.default_rng(12)
OrderedDict, defaultdict = collections.OrderedDict, collections.defaultdict


class Params(dict):
    """A dict subclass that only names its purpose."""


class Doubling(dict):
    def __getitem__(self, key):
        return dict.__getitem__(self, key) * 2


class Tagged(dict):
    def describe(self):
        return "tagged"


def mlp(params, x):
    h = np.tanh(x @ params["W1"] + params["b1"])
    return np.sum((h @ params["W2"]) ** 2)


def mlp_autograd(params, x):
    h = anp.tanh(x @ params["W1"] + params["b1"])
    return anp.sum((h @ params["W2"]) ** 2)


def items():
    return [("W1", rng.normal(size=(3, 4))), ("b1", rng.normal(size=4)),
            ("W2", rng.normal(size=(4, 2)))]


def mappings():
    params = Params(items())
    params.note = "kept"
    return [OrderedDict(items()), OrderedDict(reversed(items())),
            defaultdict(lambda: np.zeros(4), items()), params]


@pytest.mark.parametrize("params", mappings(), ids=lambda p: type(p).__name__)
def test_a_mapping_of_parameters_is_differentiated_as_a_dict(params):
    x = rng.normal(size=(5, 3))
    g = ad.grad(mlp)(params, x)
    assert_same_structure(g, params)
    assert list(g) == list(params)
    ad.check_grad(mlp, params, x)
    assert_tree_close(g, autograd.grad(mlp_autograd)(dict(params), x))
    if isinstance(params, defaultdict):
        assert g.default_factory is params.default_factory
    if isinstance(params, Params):
        assert g.note == "kept"


@pytest.mark.parametrize("params", mappings(), ids=lambda p: type(p).__name__)
def test_a_mapping_read_by_key_and_not_differentiated(params):
    x = rng.normal(size=(5, 3))
    g = ad.grad(mlp, wrt=1)(params, x)
    assert_tree_close(g, autograd.grad(mlp_autograd, 1)(dict(params), x))


def walked(params, x):
    total = 0.0
    for key, value in params.items():
        total = total + np.sum(value[..., 0] * x[: value.shape[0]]) * len(key)
    if isinstance(params, OrderedDict):
        total = total * 3.0
    return total


def walked_autograd(params, x, ordered):
    total = 0.0
    for key, value in params.items():
        total = total + anp.sum(value[..., 0] * x[: value.shape[0]]) * len(key)
    return total * 3.0 if ordered else total


@pytest.mark.parametrize("params", [dict(items()), OrderedDict(items()), Params(items())],
                         ids=lambda p: type(p).__name__)
def test_isinstance_and_walks_of_a_mapping_are_its_own(params):
    x = rng.normal(size=4)
    g = ad.grad(walked)(params, x)
    assert_same_structure(g, params)
    expected = autograd.grad(walked_autograd)(dict(params), x, isinstance(params, OrderedDict))
    assert_tree_close(g, expected)
    ad.check_grad(walked, params, x)


def copied(params, x):
    mine = params.copy()
    mine["b1"] = mine["b1"] * 2.0
    ordered = 1.0 if isinstance(mine, OrderedDict) else 5.0
    other = copy.copy(params)
    plain = 7.0 if isinstance(other, (OrderedDict, Params)) else 1.0
    return (np.sum(mine["b1"] * x) + np.sum(other["b1"] ** 2)) * ordered * plain


@pytest.mark.parametrize("params", [OrderedDict(items()), Params(items()),
                                    defaultdict(float, items())],
                         ids=lambda p: type(p).__name__)
def test_a_copy_of_a_mapping_has_the_class_python_gives_it(params):
    x = rng.normal(size=4)
    g = ad.grad(copied)(params, x)
    ad.check_grad(copied, params, x)
    ordered = 1.0 if isinstance(params.copy(), OrderedDict) else 5.0
    plain = 7.0 if isinstance(copy.copy(params), (OrderedDict, Params)) else 1.0
    np.testing.assert_allclose(g["b1"], (2.0 * x + 2.0 * params["b1"]) * ordered * plain,
                               rtol=1e-12)


def test_a_mapping_nested_in_a_list_keeps_its_kind():
    layers = [OrderedDict(items()), OrderedDict(items())]
    x = rng.normal(size=(5, 3))

    def loss(layers, x):
        return mlp(layers[0], x) + mlp(layers[1], x) * 0.5

    g = ad.grad(loss)(layers, x)
    assert_same_structure(g, layers)
    ad.check_grad(loss, layers, x)


@pytest.mark.parametrize("kind, named", [(Doubling, "__getitem__"), (Tagged, "describe")])
def test_a_dict_subclass_with_code_of_its_own_is_refused(kind, named):
    params, x = kind(items()), rng.normal(size=(5, 3))
    with pytest.raises(TypeError, match=rf"argument 'params' of mlp\(\): a {kind.__name__} "
                                        rf"\(a dict whose class defines {named}"):
        ad.grad(mlp)(params, x)


def test_a_dict_subclass_with_its_own_getitem_runs_it_where_not_differentiated():
    params, x = Doubling(items()), rng.normal(size=(5, 3))
    twice = {k: v * 2 for k, v in params.items()}
    assert_tree_close(ad.grad(mlp, wrt=1)(params, x),
                      autograd.grad(mlp_autograd, 1)(twice, x))
