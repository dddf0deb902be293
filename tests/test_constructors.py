"""NamedTuples and dataclasses made inside the differentiated function (``State(h, c)``,
``Layer(W, b)``), and objects called as functions (``layer(x)``: the class's
``__call__``): structures whose fields are the arguments. Classes whose constructor is
their author's stay refused (default deny)."""

from dataclasses import InitVar, dataclass, field
from typing import NamedTuple

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from conftest import assert_close, assert_grad, numerical_grad

import adcompile as ad

rng = np.random.default_rng(5)


@dataclass
class Layer:
    W: np.ndarray
    b: np.ndarray
    scale: float = 1.0

    def __call__(self, x):
        return np.tanh(x @ self.W + self.b) * self.scale


@dataclass(frozen=True)
class Net:
    first: Layer
    second: Layer

    def __call__(self, x):
        return self.second(self.first(x))


class State(NamedTuple):
    h: float
    c: float = 1.0


def built_net(W1, b1, W2, b2, x):
    net = Net(Layer(W1, b1), Layer(W2, b2, scale=0.5))
    return np.sum(net(x) ** 2)


def carried_state(x, n):
    s = State(0.0)
    for i in range(n):
        s = State(np.tanh(s.h * x + s.c), c=s.c * 0.9 + x)
    return s.h + s[1]


def returned_state(x):
    return State(x * 2.0, np.sin(x))


def net_loss(net, x):
    return np.sum(net(x) ** 2)


def built_net_autograd(W1, b1, W2, b2, x):
    h = anp.tanh(x @ W1 + b1)
    return anp.sum((anp.tanh(h @ W2 + b2) * 0.5) ** 2)


def test_made_inside_and_called():
    W1, b1 = rng.normal(size=(3, 2)), rng.normal(size=2)
    W2, b2 = rng.normal(size=(2, 2)), rng.normal(size=2)
    x = rng.normal(size=(4, 3))
    assert_grad(built_net, W1, b1, W2, b2, x, wrt=(0, 1, 2, 3), keywords=False)
    for got, expected in zip(ad.grad(built_net, wrt=(0, 1, 2, 3))(W1, b1, W2, b2, x),
                             autograd.grad(built_net_autograd, (0, 1, 2, 3))(W1, b1, W2, b2, x)):
        assert_close(got, expected, 1e-12, 1e-12)


class Dense:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def __call__(self, h):
        return np.tanh(h @ self.W + self.b)

    def forward(self, h):
        return np.tanh(h @ self.W + self.b) * 2.0


def called_where_made(W, b, x):
    return np.sum(Dense(W, b)(x))            # (a silent zero gradient before)


def method_called_where_made(W, b, x):
    return np.sum(Dense(W, b).forward(x) ** 2) + np.sum(Dense(W, b)(x))


def test_an_object_called_where_it_is_made():
    W, b, x = rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(4, 3))
    for f in (called_where_made, method_called_where_made):
        assert_grad(f, W, b, x, wrt=(0, 1), keywords=False)

    def as_autograd(W, b, x):
        h = anp.tanh(x @ W + b)
        return anp.sum((2.0 * h) ** 2) + anp.sum(h)

    for got, expected in zip(ad.grad(method_called_where_made, wrt=(0, 1))(W, b, x),
                             autograd.grad(as_autograd, (0, 1))(W, b, x)):
        assert_close(got, expected, 1e-12, 1e-12)


class Rectified(Dense):
    """Dense's __init__, inherited; its own activation."""

    def __call__(self, h):
        return np.maximum(h @ self.W + self.b, 0.0) ** 2


class Interned(Dense):
    def __new__(cls, W, b):   # (could return anything: not a plain constructor)
        return super().__new__(cls)


def subclass_called(W, b, x):
    layer = Rectified(W, b)
    return np.sum(layer(x)) + np.sum(Rectified(W, b).forward(x))


def interned_called(W, b, x):
    layer = Interned(W, b)
    return np.sum(layer(x))


def test_a_subclass_with_its_parents_init():
    W, b, x = rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(4, 3))
    assert_grad(subclass_called, W, b, x, wrt=(0, 1), keywords=False)
    with pytest.raises(ad.TransformError):
        ad.grad(interned_called, wrt=(0, 1))(W, b, x)


def returns_a_closure(W):
    def apply(x):
        return np.sum(np.tanh(x @ W))
    return apply


def calls_the_closure_returned(W, x):
    return returns_a_closure(W)(x) + 0.0     # (a silent zero gradient before)


def test_a_function_returned_by_a_call_on_differentiated_values_is_refused():
    W, x = rng.normal(size=(3, 2)), rng.normal(size=(4, 3))
    with pytest.raises(ad.TransformError, match=r"function returns_a_closure\(W\) returns"):
        ad.grad(calls_the_closure_returned)(W, x)


@dataclass
class Linear:
    w: np.ndarray
    b: float

    @classmethod
    def from_params(cls, p):
        return cls(p["w"], p["b"])

    @classmethod
    def scaled(cls, p, k):
        return cls.from_params({"w": p["w"] * k, "b": p["b"]})

    def __call__(self, X):
        return X @ self.w + self.b

    def penalised(self, X, lam):
        return np.sum(self(X) ** 2) + lam * np.sum(self.w ** 2)


class Factory:
    def __init__(self, k):
        self.k = k

    def build(self, p):
        return Linear(p["w"] * self.k, p["b"])


FACTORY = Factory(0.5)
XL = rng.normal(size=(5, 3))


def by_a_class_method(p):
    model = Linear.from_params(p)
    return np.sum(model(XL) ** 2)


def by_nested_class_methods(p):
    model = Linear.scaled(p, 2.0)
    return np.sum(np.tanh(model(XL)))


def make(cls, p):
    return cls(p["w"], p["b"])


def by_a_class_given_to_a_helper(p):
    model = make(Linear, p)
    return np.sum(model(XL) ** 2)


def by_a_module_level_factory(p):
    model = FACTORY.build(p)
    return np.sum(model(XL) ** 2)


def linear_autograd(w, b, k=1.0):
    return anp.sum((XL @ (w * k) + b) ** 2)


@pytest.mark.parametrize("f, k", [(by_a_class_method, 1.0), (by_a_class_given_to_a_helper, 1.0),
                                  (by_a_module_level_factory, 0.5)])
def test_an_object_made_by_a_class_method_or_a_helper(f, k):
    # (a class method was refused as a call without a rule; a class given to a helper that
    # calls it, as a function held in a variable)
    p = {"w": rng.normal(size=3), "b": 0.3}
    ad.check_grad(f, p)
    g = ad.grad(f)(p)
    assert type(g) is dict and list(g) == ["w", "b"] and isinstance(g["b"], float)
    assert_close(g["w"], autograd.grad(linear_autograd, 0)(p["w"], p["b"], k), 1e-12, 1e-12)
    assert_close(g["b"], autograd.grad(linear_autograd, 1)(p["w"], p["b"], k), 1e-12, 1e-12)


def test_class_methods_calling_class_methods():
    ad.check_grad(by_nested_class_methods, {"w": rng.normal(size=3), "b": -0.2})


def chained_class_method(p):
    return Linear.from_params(p).penalised(XL, 0.1)


def chained_factory_method(p):
    total = FACTORY.build(p).penalised(XL, 0.2)
    return total


def chained_inside_a_larger_expression(p):
    return 1.0 + Linear.from_params(p).penalised(XL, 0.1)


def penalised_autograd(w, b, lam):
    return anp.sum((XL @ w + b) ** 2) + lam * anp.sum(w ** 2)


def test_a_method_called_on_what_a_class_method_makes_in_one_expression():
    # (the object is named by a statement before: ridge = Linear.from_params(p))
    p = {"w": rng.normal(size=3), "b": -0.4}
    for f, k, lam in ((chained_class_method, 1.0, 0.1), (chained_factory_method, 0.5, 0.2)):
        ad.check_grad(f, p)
        g = ad.grad(f)(p)
        assert_close(g["w"], autograd.grad(penalised_autograd, 0)(p["w"] * k, p["b"], lam) * k,
                     1e-12, 1e-12)
    with pytest.raises(ad.TransformError, match="method .penalised"):
        ad.grad(chained_inside_a_larger_expression)(p)


def test_a_named_tuple_a_loop_carries():
    for n in (0, 1, 4):
        assert_grad(carried_state, 0.5, n)
    # its fields are the loop's variables: no structure left in the generated code
    assert "State" not in ad.show(carried_state)


def test_a_named_tuple_returned_by_a_vjp():
    value, gradient = ad.vjp(returned_state)(0.7, State(1.0, 2.0))
    assert isinstance(value, State) and value == State(1.4, np.sin(0.7))
    assert_close(gradient, 2.0 + 2.0 * np.cos(0.7))


def test_an_object_argument_called_as_a_function():
    net = Net(Layer(rng.normal(size=(3, 2)), rng.normal(size=2)),
              Layer(rng.normal(size=(2, 2)), rng.normal(size=2), 0.5))
    x = rng.normal(size=(4, 3))
    g = ad.grad(net_loss)(net, x)
    assert isinstance(g, Net) and isinstance(g.first, Layer)
    ad.check_grad(net_loss, net, x)
    assert_close(g.first.W, numerical_grad(
        lambda W: net_loss(Net(Layer(W, net.first.b), net.second), x), (net.first.W,), 0))


class Regressor:
    """A model whose loss calls the model itself (``self(x)``, its ``__call__``)."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def __call__(self, x):
        return np.tanh(self.W @ x + self.b)

    def loss(self, x, y):
        return np.sum((self(x) - y) ** 2)


def applied(f, x):
    return np.sum(f(x) ** 2)


def test_an_object_not_differentiated_called_as_a_function():
    # self(x) in a method differentiated in x, self bound or passed: its class's __call__
    # once a call shows the object; a function passed there is called as that function,
    # the code made for each function given (frontend/static_choices.py)
    model = Regressor(rng.normal(size=(2, 3)), rng.normal(size=2))
    x, y = rng.normal(size=3), rng.normal(size=2)
    want = numerical_grad(lambda x: model.loss(x, y), (x,), 0)
    assert_close(ad.grad(model.loss)(x, y), want, 1e-7, 1e-9)
    assert_close(ad.grad(Regressor.loss, wrt=1)(model, x, y), want, 1e-7, 1e-9)
    ad.check_grad(model.loss, x, y)
    assert "depends on the structure of self" in ad.grad(model.loss).source
    assert_close(ad.grad(applied, wrt=1)(model, x),
                 numerical_grad(lambda x: applied(model, x), (x,), 0), 1e-7, 1e-9)
    assert_close(ad.grad(applied, wrt=1)(np.sin, x), 2 * np.sin(x) * np.cos(x), 1e-12, 1e-14)
    assert_close(ad.grad(applied, wrt=1)(np.tanh, x), 2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
                 1e-12, 1e-14)
    with pytest.raises(ad.TransformError, match=r"argument 'f' is 3\.0 at this call"):
        ad.grad(applied, wrt=1)(3.0, x)


class Model:
    """A plain class: its __init__ only stores its parameters and arithmetic of them."""

    def __init__(self, W, b, scale=2.0):
        self.W = W
        self.b = b
        self.half = scale * 0.5

    def __call__(self, x):
        return np.tanh(x @ self.W + self.b) * self.half

    def penalty(self):
        return np.sum(self.W ** 2)


def plain_model(W, b, x):
    model = Model(W, b, scale=3.0)
    return np.sum(model(x) ** 2) + 0.1 * model.penalty()


def test_a_plain_object_made_inside():
    W, b, x = rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(4, 3))
    assert_grad(plain_model, W, b, x, wrt=(0, 1), keywords=False)


class Converts:
    def __init__(self, w):
        self.w = np.asarray(w)      # calls something: not only storing


class Counts:
    count = 0

    def __init__(self, w):
        Counts.count += 1           # does something else
        self.w = w


class Guarded:
    def __init__(self, w):
        self.w = w

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value * 2.0)


class WithProperty:
    def __init__(self, w):
        self.w = w

    @property
    def w(self):
        return self._w

    @w.setter
    def w(self, value):
        self._w = -value


def guarded_made(w):
    return np.sum(Guarded(w).w)


def property_made(w):
    return np.sum(WithProperty(w).w)


def converts_made(w):
    return np.sum(Converts(w).w)


def counts_made(w):
    return np.sum(Counts(w).w)


class ReadsTwice:
    def __init__(self, w):
        self.w = w
        self.square = w * w


def made_from_an_expression(w):
    # (arithmetic for a parameter the __init__ reads twice would be computed twice)
    return np.sum(ReadsTwice(w * 2.0).square)


@dataclass
class Normalized:
    w: np.ndarray

    def __post_init__(self):
        self.w = self.w / np.sum(self.w)


@dataclass
class OwnInit:
    w: np.ndarray

    def __init__(self, w):
        self.w = 2.0 * w


@dataclass
class WithFactory:
    w: np.ndarray
    extra: list = field(default_factory=list)


@dataclass
class NotInInit:
    w: np.ndarray
    n: int = field(init=False, default=3)


@dataclass
class WithInitVar:
    w: np.ndarray
    k: InitVar[float] = 2.0     # a parameter the object does not keep


def init_var_made(w):
    return np.sum(WithInitVar(w).w)


def post_init_made(w):
    return np.sum(Normalized(w).w)


def own_init_made(w):
    made = OwnInit(w)     # its __init__ only stores arithmetic of w: a plain object
    return np.sum(made.w * w)


def factory_made(w):
    return np.sum(WithFactory(w).w)


def not_in_init_made(w):
    return np.sum(NotInInit(w).w)


def test_a_dataclass_with_its_own_init_that_only_stores():
    w = np.array([1.0, 2.0])
    assert_grad(own_init_made, w)
    assert_close(ad.grad(own_init_made)(w), 4.0 * w)


@pytest.mark.parametrize("f", [post_init_made, factory_made, not_in_init_made, init_var_made,
                               converts_made, counts_made, made_from_an_expression,
                               guarded_made, property_made])
def test_a_constructor_of_its_author_is_refused(f):
    with pytest.raises(ad.TransformError, match="no adjoint rule") as info:
        ad.grad(f)(np.array([1.0, 2.0]))
    assert "test_constructors.py:" in str(info.value)


class Pair:
    """Stores its parameters in one tuple assignment, as much code does."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def __call__(self, x):
        return np.tanh(x @ self.W + self.b)


def pair_from_items(params, x):
    layer = Pair(params["W"], params["b"])   # (items of a structure as the arguments)
    return np.sum(layer(x) ** 2)


def pair_from_arithmetic(W, b, x):
    model = Model(W * 0.5, b)
    return np.sum(Pair(2.0 * W, b - 1.0)(x) ** 2) + np.sum(model.W)


def test_tuple_stores_items_and_arithmetic_as_arguments():
    W, b, x = rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(4, 3))
    params = {"W": W, "b": b}
    got = ad.grad(pair_from_items)(params, x)
    want = autograd.grad(lambda p: anp.sum(anp.tanh(x @ p["W"] + p["b"]) ** 2))(params)
    for k in params:
        assert_close(got[k], want[k], 1e-10, 1e-12)
    assert_grad(pair_from_arithmetic, W, b, x, wrt=(0, 1), keywords=False)
    want = autograd.grad(lambda W, b: anp.sum(anp.tanh(x @ (2.0 * W) + (b - 1.0)) ** 2)
                         + anp.sum(W * 0.5), (0, 1))(W, b)
    for g, e in zip(ad.grad(pair_from_arithmetic, wrt=(0, 1))(W, b, x), want):
        assert_close(g, e, 1e-10, 1e-12)
