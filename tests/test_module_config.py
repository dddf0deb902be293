"""Functions chosen by settings kept at module level or in config objects: a module-level
string (``ACTS[ACT](x)``), an item of a module-level dict of settings
(``CONFIG["act"]``), an attribute of a config object (a module-level one, a parameter's
default, an argument not differentiated), the same read in a helper, and an int (a
module-level one or a literal) given to a helper that picks a function by it
(frontend/config_reads.py, static_choices.py). The code is made for the value a call
reads, read again at every call: a setting changed between two calls gives the gradient
of the function as it is then. Every gradient against central differences, and autograd
where it runs the function."""

import types
from dataclasses import dataclass
from typing import NamedTuple

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from conftest import assert_close, assert_grad, numerical_grad, with_autograd_numpy

import adcompile as ad

rng = np.random.default_rng(17)


def relu_squared(z):
    return np.maximum(z, 0.0) ** 2


ACTS = {"tanh": np.tanh, "relu": relu_squared, "sin": np.sin}
ACT = "tanh"
CONFIG = {"act": "sin", "depth": 2, "model": {"head": "tanh"}}
FUNCS = [np.sin, np.tanh, np.cos]
IDX = 1
DEPTH = 3
SQUASH = True


class Settings:
    act = "relu"


@dataclass
class Config:
    act: str = "sin"
    depth: int = 2


CFG = Config("tanh", 2)
SETTINGS = types.SimpleNamespace(act="sin", final="tanh")
settings_module = types.ModuleType("settings_module")
settings_module.ACT = "tanh"


def data():
    return rng.normal(size=3) * 0.5, rng.normal(size=(4, 3))


def by_autograd(f, w, x, *rest):
    """autograd's gradient of ``f`` in w, np and ACTS autograd's while it runs."""
    saved = ACTS.copy()
    ACTS.update({"tanh": anp.tanh, "relu": lambda z: anp.maximum(z, 0.0) ** 2,
                 "sin": anp.sin})
    try:
        return with_autograd_numpy(globals(), autograd.grad(f), w, x, *rest)
    finally:
        ACTS.update(saved)


def check(f, g, w, x, *rest):
    """``g(w, x, *rest)`` (a callable made once, called again) is the gradient of ``f``
    as its settings are now: finite differences and autograd."""
    got = assert_grad(f, w, x, *rest)
    assert_close(g(w, x, *rest), got, 0, 0)
    assert_close(got, by_autograd(f, w, x, *rest), 1e-10, 1e-12)
    return got


def by_a_module_string(w, x):
    return np.sum(ACTS[ACT](x @ w) ** 2)


def by_a_dict_of_settings(w, x):
    y = x @ w
    for _ in range(CONFIG["depth"]):
        y = ACTS[CONFIG["act"]](y)
    return np.sum(y * x[:, 0])


def by_a_nested_setting(w, x):
    return np.sum(ACTS[CONFIG["model"]["head"]](x @ w))


def by_a_string_of_a_module(w, x):
    return np.sum(ACTS[settings_module.ACT](x @ w))


def by_an_if_on_a_setting(w, x):
    if CONFIG["act"] == "tanh":
        f = np.tanh
    else:
        f = np.sin
    g = np.tanh if SQUASH else np.sin
    return np.sum(f(x @ w) * g(x @ w))


def test_a_module_level_string():
    global ACT
    w, x = data()
    g = ad.grad(by_a_module_string)
    try:
        seen = []
        for act in ("tanh", "sin", "relu", "tanh"):
            ACT = act
            seen.append(check(by_a_module_string, g, w, x))
        assert not np.allclose(seen[0], seen[1])
        assert_close(seen[0], seen[3], 0, 0)
    finally:
        ACT = "tanh"


def test_a_module_level_dict_of_settings():
    w, x = data()
    g = ad.grad(by_a_dict_of_settings)
    saved = dict(CONFIG)
    try:
        seen = []
        for act, depth in (("sin", 2), ("tanh", 2), ("tanh", 3), ("relu", 1), ("sin", 2)):
            CONFIG["act"], CONFIG["depth"] = act, depth
            seen.append(check(by_a_dict_of_settings, g, w, x))
        assert not np.allclose(seen[0], seen[1]) and not np.allclose(seen[1], seen[2])
        assert_close(seen[0], seen[4], 0, 0)
        CONFIG["model"]["head"] = "sin"
        check(by_a_nested_setting, ad.grad(by_a_nested_setting), w, x)
    finally:
        CONFIG.clear()
        CONFIG.update(saved)
        CONFIG["model"]["head"] = "tanh"


def test_a_string_of_a_module_and_an_if_on_settings():
    global SQUASH
    w, x = data()
    g, h = ad.grad(by_a_string_of_a_module), ad.grad(by_an_if_on_a_setting)
    try:
        for act, squash in (("tanh", True), ("sin", False), ("tanh", False)):
            settings_module.ACT, CONFIG["act"], SQUASH = act, act, squash
            check(by_a_string_of_a_module, g, w, x)
            check(by_an_if_on_a_setting, h, w, x)
    finally:
        settings_module.ACT, CONFIG["act"], SQUASH = "tanh", "sin", True


def by_a_default_config(w, x, cfg=Settings()):
    return np.sum(ACTS[cfg.act](x @ w + 0.3))


def by_a_config_given(w, x, cfg):
    y = x @ w
    for _ in range(cfg.depth):
        y = ACTS[cfg.act](y)
    return np.sum(y)


def by_a_module_config(w, x):
    return np.sum(ACTS[CFG.act](x @ w) * ACTS[SETTINGS.final](x @ w))


def test_a_config_object():
    w, x = data()
    g = ad.grad(by_a_default_config)
    check(by_a_default_config, g, w, x)
    default = by_a_default_config.__defaults__[0]
    try:
        default.act = "sin"   # (an attribute of the default object, set on the object)
        check(by_a_default_config, g, w, x)
    finally:
        del default.act
    check(by_a_default_config, g, w, x, types.SimpleNamespace(act="tanh"))
    g = ad.grad(by_a_config_given)
    for cfg in (Config("sin", 2), Config("tanh", 1), Config("relu", 3), Config("sin", 2),
                types.SimpleNamespace(act="tanh", depth=2)):
        check(by_a_config_given, g, w, x, cfg)
    cfg = Config("sin", 2)
    first = g(w, x, cfg)
    cfg.act = "tanh"   # (the same object, changed)
    assert not np.allclose(g(w, x, cfg), first)
    check(by_a_config_given, g, w, x, cfg)


def test_a_module_level_config_object():
    w, x = data()
    g = ad.grad(by_a_module_config)
    try:
        for act, final in (("tanh", "tanh"), ("sin", "tanh"), ("sin", "relu")):
            CFG.act, SETTINGS.final = act, final
            check(by_a_module_config, g, w, x)
    finally:
        CFG.act, SETTINGS.final = "tanh", "tanh"


def layer(z, cfg):
    return ACTS[cfg.act](z)


def head(z):
    return ACTS[ACT](z) + ACTS[CONFIG["act"]](z)


def by_helpers(w, x, cfg=CFG):
    return np.sum(layer(x @ w, cfg) * head(x @ w) + layer(x @ w, SETTINGS))


def test_settings_read_in_helpers():
    global ACT
    w, x = data()
    g = ad.grad(by_helpers)
    try:
        for act, config_act, cfg_act in (("tanh", "sin", "tanh"), ("sin", "sin", "relu"),
                                         ("sin", "tanh", "sin")):
            ACT, CONFIG["act"], CFG.act, SETTINGS.act = act, config_act, cfg_act, act
            check(by_helpers, g, w, x)
            check(by_helpers, g, w, x, Config(config_act, 1))
    finally:
        ACT, CONFIG["act"], CFG.act, SETTINGS.act = "tanh", "sin", "tanh", "sin"


def pick(z, i):
    return FUNCS[i](z)


def repeat(z, n):
    for _ in range(n):
        z = np.sin(z)
    return z


def by_a_module_int(w, x):
    return np.sum(FUNCS[IDX](x @ w) + pick(x @ w, IDX) * pick(x @ w, 2)
                  + repeat(x @ w, DEPTH))


def test_an_int_constant_given_to_a_helper():
    global IDX, DEPTH
    w, x = data()
    g = ad.grad(by_a_module_int)
    try:
        for idx, depth in ((1, 3), (0, 3), (2, 1), (1, 3)):
            IDX, DEPTH = idx, depth
            got = assert_grad(by_a_module_int, w, x)
            assert_close(g(w, x), got, 0, 0)
            want = with_autograd_numpy(globals(), lambda *a: _with_autograd_funcs(*a), w, x)
            assert_close(got, want, 1e-10, 1e-12)
    finally:
        IDX, DEPTH = 1, 3


def _with_autograd_funcs(w, x):
    saved = list(FUNCS)
    FUNCS[:] = [anp.sin, anp.tanh, anp.cos]
    try:
        return autograd.grad(by_a_module_int)(w, x)
    finally:
        FUNCS[:] = saved


def test_forward_mode_and_second_order_read_the_settings_again():
    global ACT
    w, x = data()
    h = ad.hessian(by_a_module_string)
    try:
        for act in ("tanh", "sin"):
            ACT = act
            g = ad.grad(by_a_module_string)
            fd = np.array([numerical_grad(lambda w: g(w, x)[i], (w,), 0)
                           for i in range(len(w))])
            assert_close(h(w, x), fd, 1e-6, 1e-8)
            v = rng.normal(size=3)
            want = float(numerical_grad(lambda t: by_a_module_string(w + t * v, x),
                                        (0.0,), 0))
            assert ad.jvp(by_a_module_string)(w, x, v)[1] == pytest.approx(want, rel=1e-6)
    finally:
        ACT = "tanh"


def test_show_is_the_code_for_the_settings_now():
    global ACT
    w, x = data()
    try:
        ACT = "sin"
        assert "cos(" in ad.show(by_a_module_string, args=(w, x))
        ACT = "tanh"
        assert "cos(" not in ad.show(by_a_module_string, args=(w, x))
    finally:
        ACT = "tanh"
    assert "ACT" in ad.grad(by_a_module_string).source


def changes_its_setting(w, x):
    CONFIG["act"] = "tanh"
    return np.sum(ACTS[CONFIG["act"]](x @ w))


def aliases_its_settings(w, x):
    settings = CONFIG
    settings.update(act="tanh")
    return np.sum(ACTS[CONFIG["act"]](x @ w))


class WithProperty:
    @property
    def act(self):
        return "tanh"


def by_a_property(w, x, cfg=WithProperty()):
    return np.sum(ACTS[cfg.act](x @ w))


def test_what_stays_refused():
    w, x = data()
    # a function that changes the settings it reads: the value read when the call starts
    # would not be the one it reads
    for f in (changes_its_setting, aliases_its_settings):
        with pytest.raises(ad.TransformError, match="a function held in a variable"):
            ad.grad(f)(w, x)
    # a setting of another type at a call: refused then, naming it
    g = ad.grad(by_a_dict_of_settings)
    try:
        CONFIG["act"] = np.str_("sin")
        with pytest.raises(ad.TransformError, match=r"the setting CONFIG\['act'\] is "
                                                    r"np\.str_\('sin'\)|"
                                                    r"the setting CONFIG\['act'\] is 'sin'"):
            g(w, x)
        del CONFIG["act"]
        with pytest.raises(ad.TransformError, match=r"CONFIG\['act'\] is not readable"):
            g(w, x)
    finally:
        CONFIG["act"] = "sin"
    assert_close(g(w, x), numerical_grad(by_a_dict_of_settings, (w, x), 0))
    # a property is not run when the code is made
    with pytest.raises(ad.TransformError, match=r"argument cfg.act is not readable"):
        ad.grad(by_a_property)(w, x)
    with pytest.raises(ad.TransformError, match=r"argument cfg.act is 3.5 at this call"):
        ad.grad(by_a_config_given)(w, x, types.SimpleNamespace(act=3.5, depth=1))


def test_build_refuses_a_function_chosen_by_a_setting(tmp_path):
    for f in (by_a_module_string, by_a_dict_of_settings, by_a_default_config):
        with pytest.raises(ad.TransformError, match=r"build of .*depends on the value of "
                                                    r"(ACT|CONFIG\['act'\]|cfg.act), and"):
            ad.build(f, tmp_path / "built.py")
    assert not (tmp_path / "built.py").exists()


def dense(z, act="tanh", scale=1.0):
    return ACTS[act](z) * scale


def by_options_passed_on(w, x, **opts):
    return np.sum(dense(x @ w, **opts) ** 2)


def by_options_and_a_keyword(w, x, **opts):
    return np.sum(dense(x @ w, scale=2.0, **opts))


def test_options_passed_on_to_a_helper():
    w, x = data()
    g = ad.grad(by_options_passed_on)
    seen = []
    for opts in ({"act": "sin"}, {"act": "tanh", "scale": 0.5}, {}, {"scale": 3.0},
                 {"act": "relu", "scale": 2.0}, {"act": "sin"}):
        got = assert_grad(by_options_passed_on, w, x, kwargs=opts, keywords=False)
        assert_close(g(w, x, **opts), got, 0, 0)
        want = by_autograd(lambda w, x: by_options_passed_on(w, x, **opts), w, x)
        assert_close(got, want, 1e-10, 1e-12)
        seen.append(got)
    assert not np.allclose(seen[0], seen[1]) and not np.allclose(seen[2], seen[3])
    assert_close(seen[0], seen[5], 0, 0)
    # an option the helper does not take, or given twice: Python's TypeError, or a refusal
    with pytest.raises(ad.TransformError, match="unexpected keyword argument 'width'"):
        g(w, x, width=3)
    assert "depends on the value of **opts" in g.source
    h = ad.grad(by_options_and_a_keyword)
    assert_close(h(w, x, act="sin"), numerical_grad(
        lambda w, x: by_options_and_a_keyword(w, x, act="sin"), (w, x), 0))
    with pytest.raises(TypeError, match="dense.. got multiple values for keyword argument "
                                        "'scale'"):
        h(w, x, scale=3.0)


class Activations:
    def __init__(self):
        self.hidden = np.tanh


MODEL_CONFIG = Activations()


def by_a_function_of_a_config_object(w, x):
    return np.sum(MODEL_CONFIG.hidden(x @ w) * x[:, 1])


def test_a_function_a_module_level_config_object_holds():
    # the code calls the function the attribute held when it was made: another function
    # there makes the callable stale, and a new one differentiates the function now
    w, x = data()
    g = ad.grad(by_a_function_of_a_config_object)
    assert_close(g(w, x), by_autograd(by_a_function_of_a_config_object, w, x), 1e-10, 1e-12)
    try:
        MODEL_CONFIG.hidden = np.sin
        with pytest.raises(ad.StaleGradient, match="MODEL_CONFIG"):
            g(w, x)
        got = assert_grad(by_a_function_of_a_config_object, w, x)
        MODEL_CONFIG.hidden = anp.sin
        want = with_autograd_numpy(globals(), autograd.grad(by_a_function_of_a_config_object),
                                   w, x)
        assert_close(got, want, 1e-10, 1e-12)
    finally:
        MODEL_CONFIG.hidden = np.tanh
    assert_close(g(w, x), numerical_grad(by_a_function_of_a_config_object, (w, x), 0))


def switch_to_sin():
    CONFIG["act"] = "sin"


def switches_its_setting(w, x):
    y = ACTS[CONFIG["act"]](x @ w)
    switch_to_sin()
    return np.sum(y * ACTS[CONFIG["act"]](x @ w))


def test_a_setting_changed_while_the_gradient_runs():
    # the code reads the setting as it was when the call began: one a helper changes during
    # the call is found after it, never a gradient of another function returned
    w, x = data()
    g = ad.grad(switches_its_setting)
    try:
        CONFIG["act"] = "tanh"
        with pytest.raises(ad.StaleGradient, match=r"CONFIG\['act'\] was 'tanh' when the "
                                                   r"call .* began, and is 'sin' at its end"):
            g(w, x)
        assert_close(g(w, x), by_autograd(switches_its_setting, w, x), 1e-10, 1e-12)
    finally:
        CONFIG["act"] = "sin"


def reads_the_module_act(z):
    return ACTS[ACT](z)


def shadows_the_setting(w, x, ACT="sin"):   # noqa: N803 (the module's name, on purpose)
    return np.sum(ACTS[ACT](x @ w) * reads_the_module_act(x @ w))


def test_a_parameter_named_as_a_setting_a_helper_reads():
    global ACT
    w, x = data()
    g = ad.grad(shadows_the_setting)
    try:
        for module_act, act in (("tanh", "sin"), ("sin", "tanh"), ("relu", "relu")):
            ACT = module_act
            check(shadows_the_setting, g, w, x, act)
    finally:
        ACT = "tanh"


class Hyper(NamedTuple):
    act: str
    width: int


class Defaults:
    act = "sin"


def by_a_named_tuple_and_a_class(w, x, hp=Hyper("tanh", 3)):
    return np.sum(ACTS[hp.act](x @ w) * ACTS[Defaults.act](x @ w))


def test_a_named_tuple_and_a_class_attribute():
    w, x = data()
    g = ad.grad(by_a_named_tuple_and_a_class)
    try:
        for hp, act in ((Hyper("tanh", 3), "sin"), (Hyper("sin", 1), "tanh"),
                        (Hyper("tanh", 3), "relu")):
            Defaults.act = act
            check(by_a_named_tuple_and_a_class, g, w, x, hp)
    finally:
        Defaults.act = "sin"


def by_a_dict_given(w, x, config):
    return np.sum(ACTS[config.get("hidden", "sin")](x @ w) * x[:, 2])


def test_settings_got_with_a_default():
    w, x = data()
    g = ad.grad(by_a_dict_given)
    for config in ({}, {"hidden": "tanh"}, {"hidden": "relu", "out": "sin"}, {}):
        check(by_a_dict_given, g, w, x, config)
    h = ad.grad(by_a_module_dict_got)
    try:
        for out in (None, "sin", "relu", None):
            CONFIG.pop("out", None)
            if out is not None:
                CONFIG["out"] = out
            check(by_a_module_dict_got, h, w, x)
    finally:
        CONFIG.pop("out", None)


def by_a_module_dict_got(w, x):
    return np.sum(ACTS[CONFIG.get("out", "tanh")](x @ w) ** 2)
