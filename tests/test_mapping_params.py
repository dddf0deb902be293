"""Parameters in an ``OrderedDict``, a ``defaultdict`` or a subclass of dict: read as the
dicts they are, their gradients in their own kind (an ``OrderedDict`` in, an ``OrderedDict``
out), checked by central finite differences and autograd (of the same dict); a subclass
whose class has code of its own (``__getitem__``, ...) refused, naming the argument."""

import collections
import copy
import inspect
import sys
import warnings

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import adcompile as ad
from adcompile.backend.jit import NumbaFallbackWarning

from test_build import run_isolated
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


# ---------------------------------------------------------------------------
# ad.build and backend="numba" with mappings of parameters
# ---------------------------------------------------------------------------

MAPPINGS_MODULE = '''
import collections

import numpy as np


def mlp(params, x):
    h = np.tanh(x @ params["W1"] + params["b1"])
    return np.sum((h @ params["W2"]) ** 2)


def ordered_walk(params, x):
    total = 0.0
    for i, (key, value) in enumerate(params.items()):
        total = total + np.sum(value[..., 0] * x[: value.shape[0]]) * (i + 1)
    if isinstance(params, collections.OrderedDict):
        total = total * 3.0
    return total
'''

#: the arguments, made the same way in this process and in the one without adcompile
MAKE_ARGUMENTS = '''
import collections
import numpy as np
rng = np.random.default_rng(5)
items = [("W1", rng.normal(size=(3, 4))), ("b1", rng.normal(size=4)),
         ("W2", rng.normal(size=(4, 2)))]
x, v = rng.normal(size=(5, 3)), rng.normal(size=4)
kinds = {"OrderedDict": collections.OrderedDict(items),
         "reversed": collections.OrderedDict(reversed(items)),
         "defaultdict": collections.defaultdict(float, items)}
'''


@pytest.fixture
def mappings_module(tmp_path, monkeypatch):
    (tmp_path / "mapping_funcs.py").write_text(MAPPINGS_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import mapping_funcs
    yield mapping_funcs
    sys.modules.pop("mapping_funcs", None)


def _arguments():
    found = {}
    exec(MAKE_ARGUMENTS, found)
    return found


@pytest.mark.parametrize("kind", ["OrderedDict", "reversed", "defaultdict"])
def test_a_built_module_gives_the_gradient_of_a_mapping_in_its_class(kind, tmp_path,
                                                                       mappings_module):
    """Built with args= of an OrderedDict (in either order) or a defaultdict, the module
    (run where adcompile cannot be imported) gives ad.grad's gradient, in the argument's
    class and order."""
    made = _arguments()
    params, x, v = made["kinds"][kind], made["x"], made["v"]
    ad.build(mappings_module.mlp, tmp_path / "g_mlp.py", args=(params, x))
    ad.build(mappings_module.ordered_walk, tmp_path / "g_walk.py", args=(params, v))
    result = run_isolated(MAKE_ARGUMENTS + f'''
import g_mlp, g_walk
params = kinds[{kind!r}]
for g in (g_mlp.grad_mlp(params, x), g_walk.grad_ordered_walk(params, v)):
    print(repr((type(g).__name__, getattr(g, "default_factory", None) is float,
                [(k, g[k].tolist()) for k in g])))
''', tmp_path)
    assert result.returncode == 0, result.stderr
    for line, f, arg in zip(result.stdout.strip().splitlines(), (
            mappings_module.mlp, mappings_module.ordered_walk), (x, v)):
        name, factory, got = eval(line)
        expected = ad.grad(f)(params, arg)
        assert name == type(params).__name__ and factory == isinstance(params, defaultdict)
        assert [k for k, _ in got] == list(params)
        for k, g in got:
            np.testing.assert_allclose(g, expected[k], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("given", ["dict", "reversed", "fewer"])
def test_a_module_built_for_an_ordered_dict_refuses_another_layout(given, tmp_path,
                                                                   mappings_module):
    """Its code knows the class (isinstance) and walks the keys in the example's order:
    given a dict, or an OrderedDict in another order, it would be the gradient of another
    function (it was); it is a TypeError naming the argument and what differs."""
    made = _arguments()
    params, v = made["kinds"]["OrderedDict"], made["v"]
    out = ad.build(mappings_module.ordered_walk, tmp_path / "g_walk2.py", args=(params, v))
    namespace = {}
    exec(compile(out.read_text(), str(out), "exec"), namespace)
    other = {"dict": dict(params), "reversed": made["kinds"]["reversed"],
             "fewer": OrderedDict(list(params.items())[:2])}[given]
    differs = {"dict": "of class dict", "reversed": r"with the keys \['W2', 'b1', 'W1'\]",
               "fewer": r"with the keys \['W1', 'b1'\]"}[given]
    with pytest.raises(TypeError, match=r"grad_ordered_walk\(\) was built \(ad\.build with "
                                        r"args=\) for params of class OrderedDict with the "
                                        rf"keys \['W1', 'b1', 'W2'\], and here it is {differs}"):
        namespace["grad_ordered_walk"](other, v)
    got = namespace["grad_ordered_walk"](OrderedDict(params), v)
    assert_tree_close(got, ad.grad(mappings_module.ordered_walk)(params, v))


@pytest.mark.parametrize("params", mappings(), ids=lambda p: type(p).__name__)
def test_numba_backend_gives_the_gradient_of_a_mapping_in_its_class(params):
    """backend="numba" with a mapping argument: numba takes no dict, and the gradient runs as
    Python (saying so, once), in the argument's class and order."""
    x, v = rng.normal(size=(5, 3)), rng.normal(size=4)
    for f, arg in ((mlp, x), (walked, v)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NumbaFallbackWarning)
            g = ad.grad(f, backend="numba")(params, arg)
        assert_same_structure(g, params)
        assert list(g) == list(params)
        assert_tree_close(g, ad.grad(f)(params, arg))
        if isinstance(params, defaultdict):
            assert g.default_factory is params.default_factory


def test_a_dict_subclass_once_copied_is_still_read_as_a_dict():
    """copy.copy (and pickle) of an object record ``__slotnames__`` on its class (copyreg):
    that is no code of the user's, and the subclass was refused after it."""
    class Copied(dict):
        pass

    params, x = Copied(items()), rng.normal(size=(5, 3))
    copy.copy(params)
    assert "__slotnames__" in vars(Copied)
    g = ad.grad(mlp)(params, x)
    assert type(g) is Copied
    assert_tree_close(g, autograd.grad(mlp_autograd)(dict(params), x))


# ---------------------------------------------------------------------------
# an OrderedDict returned, type(p), OrderedDict(p), p.move_to_end(k)
# ---------------------------------------------------------------------------

def loss_and_params(params, x):
    return mlp(params, x), params


def the_params(params, x):
    return params


def params_and_loss(params, x):
    return {"params": params, "loss": mlp(params, x)}


@pytest.mark.parametrize("params", [OrderedDict(items()), OrderedDict(reversed(items())),
                                    dict(items())], ids=["ordered", "reversed", "dict"])
def test_a_returned_ordered_dict_of_parameters_keeps_its_class_and_order(params):
    """As aux (has_aux), as the value (vjp, jvp) and inside it: an OrderedDict in Python
    is one here (as aux it was refused; as the value it came back a dict)."""
    x = rng.normal(size=(5, 3))
    (value, aux), g = ad.value_and_grad(loss_and_params, has_aux=True)(params, x)
    assert type(aux) is type(params) and list(aux) == list(params)
    assert all(aux[k] is params[k] or np.array_equal(aux[k], params[k]) for k in params)
    assert_tree_close(g, ad.grad(mlp)(params, x))
    bar = type(params)((k, rng.normal(size=v.shape)) for k, v in params.items())
    out, g = ad.vjp(the_params)(params, x, bar)
    assert type(out) is type(params) and list(out) == list(params)
    assert_tree_close(g, bar)
    out, tangent = ad.jvp(the_params)(params, x, bar)
    assert type(out) is type(params) and type(tangent) is type(params)
    assert list(tangent) == list(params)
    whole = {"params": bar, "loss": 1.0}
    out, g = ad.vjp(params_and_loss)(params, x, whole)
    assert type(out["params"]) is type(params) and list(out["params"]) == list(params)
    expected = ad.grad(mlp)(params, x)
    assert_tree_close(g, type(params)((k, bar[k] + expected[k]) for k in params))


@pytest.mark.parametrize("params", [defaultdict(float, items()), Params(items())],
                         ids=lambda p: type(p).__name__)
@pytest.mark.parametrize("f", [loss_and_params, the_params, params_and_loss])
def test_a_returned_mapping_of_another_class_is_refused_at_the_line(params, f):
    """A defaultdict (its default_factory) or a subclass (its attributes) is not made
    again of the values: refused, naming the class and the line (the value came back a
    plain dict)."""
    x = rng.normal(size=(5, 3))
    line = inspect.getsourcelines(f)[1] + 1
    with pytest.raises(ad.TransformError, match=rf"test_mapping_params\.py:{line}:\d+: "
                                                rf"returns a {type(params).__name__} of values "
                                                r"being differentiated.*return a dict or an "
                                                r"OrderedDict of them"):
        if f is loss_and_params:
            ad.grad(f, has_aux=True)(params, x)
        else:
            ad.vjp(f)(params, x, params)


def by_class(params, x):
    total = mlp(params, x)
    if type(params) is OrderedDict:
        total = total * 2.0
    if type(params).__name__ == "Params":
        total = total * 3.0
    return total


def by_class_autograd(params, x, kind):
    total = mlp_autograd(params, x)
    return total * (2.0 if kind is OrderedDict else 3.0 if kind is Params else 1.0)


@pytest.mark.parametrize("params", [dict(items()), OrderedDict(items()), Params(items())],
                         ids=lambda p: type(p).__name__)
def test_the_type_of_a_mapping_is_its_class(params):
    """type(params) is the argument's class, known when the code is made (refused as a
    use of a dict of values being differentiated before)."""
    x = rng.normal(size=(5, 3))
    g = ad.grad(by_class)(params, x)
    assert_tree_close(g, autograd.grad(by_class_autograd)(dict(params), x, type(params)))
    ad.check_grad(by_class, params, x)


def copied_in_order(params, x):
    mine = collections.OrderedDict(params)
    mine["b1"] = mine["b1"] * 2.0
    total = 0.0
    for i, (key, value) in enumerate(mine.items()):
        total = total + np.sum(value[..., 0] * x[: value.shape[0]]) * (i + 1)
    return total * (3.0 if isinstance(mine, OrderedDict) else 1.0) + np.sum(params["b1"])


@pytest.mark.parametrize("params", [dict(items()), OrderedDict(reversed(items()))],
                         ids=["dict", "reversed"])
def test_an_ordered_dict_made_of_a_mapping(params):
    """OrderedDict(params): a copy in params' order, of that class (refused before: a call
    without a rule)."""
    x = rng.normal(size=4)
    ad.check_grad(copied_in_order, params, x)


def moved_to_the_end(params, x):
    params.move_to_end("W1")
    return mlp(params, x)


def reordered(params, x):
    mine = OrderedDict({k: params[k] for k in ["W2", "b1", "W1"]})
    total = 0.0
    for i, value in enumerate(mine.values()):
        total = total + np.sum(value ** 2) * (i + 1)
    return total + mlp(params, x)


def test_move_to_end_is_refused_saying_what_to_write():
    """It changes the order of the caller's dict in place: refused at the line, saying how
    to make one in that order, which is differentiated."""
    params, x = OrderedDict(items()), rng.normal(size=(5, 3))
    line = inspect.getsourcelines(moved_to_the_end)[1] + 1
    with pytest.raises(ad.TransformError, match=rf"test_mapping_params\.py:{line}:5: "
                                                r"params\.move_to_end\('W1'\) changes the "
                                                r"order .*\{k: params\[k\] for k in keys\}"):
        ad.grad(moved_to_the_end)(params, x)
    ad.check_grad(reordered, params, x)
