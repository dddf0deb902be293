"""The one registry of adjoint rules.

A rule is a small Python function written in the lectures' bar notation::

    @adjoint(np.tanh)
    def tanh(y, x):
        x_bar += y_bar * (1 - y * y)

Its first parameter names the primitive's result, the following ones its
inputs (positional, in call order), and parameters with defaults are static
keyword arguments (``axis``, ``keepdims``). The body is never called: the
compiler reads its source and inlines it, substituting the real names, so
the generated code reads like a hand derivation.

Template rules:
- ``v_bar += E`` adds ``E`` to the adjoint of input ``v``; it is dropped when
  ``v`` is not active.
- Other assignments define local temporaries (renamed fresh on inlining).
- ``if`` tests on static facts (``ndim(x) == 2``, ``axis is None``,
  ``keepdims``) are decided at compile time. A test that cannot be decided
  counts as false, so each branch must be correct whenever its own test
  holds, and the final ``else`` must be correct always: a refusal that
  depends on a static (``method=``, ``dtype=``) sits in the ``else``, so that
  one given by a name (``method=m``, ``dtype=int``) is refused
  (tests/test_rules.py checks every rule).
- ``unbroadcast(E, v)`` is dropped when the other inputs are known scalars, or
  when the primitive broadcasts (see ``broadcasts``) and every input is known
  to have no axis of length 1, none having more dimensions than ``v``.

Forward mode (``ad.jvp``) needs a tangent for each primitive, written the
same way with ``y_dot += E`` lines, one per input, each reading exactly one
input's ``v_dot`` (the line is dropped when ``v`` is not active); a use the
adjoint refuses is refused in forward mode too, before its tangent is read::

    @tangent(np.matmul)
    def matmul(z, x, y):
        z_dot += x_dot @ y
        z_dot += x @ y_dot

Most primitives need none: an ``elementwise`` rule's tangent is its adjoint
read the other way (``x_bar += y_bar * D`` gives ``y_dot += x_dot * D``), and
a rule registered with ``linear=True`` (linear in its one differentiable input,
the other inputs being indices, shapes or axes) has the primitive itself as
tangent.

A rule's ``shape`` names how its result's shape follows from its inputs'
(``"elementwise"``, ``"reduce"``, ...); the rule holds the kind, an object of
``shapes.py`` that the analyses ask. A template several primitives share (the
matrix product's, for ``@``, ``np.matmul`` and ``np.dot``) is registered for
each of them with ``adjoint_from``. Statements several rules begin with (the
standardized ``z = (x - loc) / scale`` of scipy.stats' densities) are a prelude,
written once and named in each rule: ``z, s = standardized(x, loc, scale)``
(``preludes.py``).

Rule groups live beside this file: ``python.py`` (operators and builtins),
``math.py``, ``numpy.py``, ``linalg.py``, and ``generated.py`` (the helpers
generated code calls, so that it can be differentiated again).
"""

import ast
import copy
import importlib
import inspect
import operator
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import TransformError
from ..ir import names_mentioned
from .preludes import expand_preludes
from .shapes import ELEMENTWISE, SHAPES, UNKNOWN, ResultShape, result_shape  # noqa: F401
from ..ir.parsing import parse

#: primitives, besides NumPy's ufuncs, whose result has the broadcast shape of their inputs
_BROADCASTING = (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
                 operator.neg, operator.mod, abs, np.where, np.clip, ".clip()")


def broadcasts(rule):
    """Whether every primitive of ``rule`` gives the broadcast shape of its inputs, as
    NumPy's ufuncs and the arithmetic operators do (``shape="elementwise"``, the default
    of user rules too, promises only the number of dimensions)."""
    # (asked at every use of every primitive: remembered for the rule's keys)
    keys = tuple(rule.keys)
    made = rule.__dict__.get("_broadcasts")
    if made is not None and len(made[0]) == len(keys) and all(
            a is b for a, b in zip(made[0], keys)):
        return made[1]
    found = bool(keys) and all(   # (by identity: a key may be any object)
        isinstance(k, np.ufunc) and k.signature is None
        or any(k is b or isinstance(k, str) and k == b for b in _BROADCASTING)
        for k in keys)
    rule.__dict__["_broadcasts"] = (keys, found)
    return found


#: primitives whose result has the common precision (``np.result_type``) of their inputs
#: for floating and complex inputs: not ``abs`` (complex in, real out) nor ``ldexp``
_KEEP_PRECISION = (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
                   operator.neg, np.add, np.subtract, np.multiply, np.divide, np.power,
                   np.negative, np.positive, np.exp, np.exp2, np.expm1, np.log, np.log2,
                   np.log10, np.log1p, np.sqrt, np.square, np.cbrt, np.reciprocal, np.sin,
                   np.cos, np.tan, np.arcsin, np.arccos, np.arctan, np.sinh, np.cosh, np.tanh,
                   np.arcsinh, np.arccosh, np.arctanh, np.logaddexp, np.logaddexp2,
                   np.maximum, np.minimum, np.fmax, np.fmin, np.arctan2, np.hypot, np.where)


def keeps_precision(rule):
    """Whether every primitive of ``rule`` broadcasts its inputs and gives its result their
    common precision (``np.result_type`` of the inputs), so that an array filled in that
    precision at the shape of an input of the result's shape stands for the result."""
    return broadcasts(rule) and all(any(k is b for b in _KEEP_PRECISION) for k in rule.keys)


@dataclass(eq=False)
class Rule:
    """One primitive's adjoint template."""

    name: str
    output: str
    inputs: list
    statics: dict            # static parameter name -> default expression (ast)
    body: list               # template statements (ast)
    shape: ResultShape = ELEMENTWISE   # how the result's shape follows from the inputs'
    keys: list = field(default_factory=list)
    linear: bool = False     # linear in its one differentiable input: tangent = the primitive
    sequences: tuple = ()    # inputs that take a list of arrays (np.concatenate's first)
    optional: tuple = ()     # trailing inputs a call may leave out: they are None then
    tangent: list = None     # ``y_dot += E`` template statements (ast), when written out
    refusal: str = ""        # why the rule refuses to differentiate (see refused)
    constant: tuple = ()     # inputs with no adjoint line whose derivative is zero (a shape,
                             # a condition, an index): an active value may be given to them
    floating: tuple = ()     # statics that, given, must name a real floating type (np.sum's
                             # dtype=: an integer type would truncate each entry)
    spellings: dict = field(default_factory=dict)   # other keyword -> its input or static
                             # (np.clip's min= for a_min, as NumPy 2 and x.clip() spell it)
    source: str = ""
    filename: str = ""
    lineno: int = 0

    def __post_init__(self):
        self.shape = result_shape(self.shape)   # a kind's name is accepted too

    @property
    def differentiable_inputs(self):
        """Inputs that have a ``v_bar += ...`` line somewhere in the template (all inputs of a
        rule that refuses: differentiating any of them must reach the refusal)."""
        if self.refusal:
            return list(self.inputs)
        # (asked for every primitive of every transformation: remembered for this body)
        made = self.__dict__.get("_differentiable")
        if made is None or made[0] is not self.body or made[1] != tuple(self.inputs):
            bars = set()
            for node in ast.walk(ast.Module(body=self.body, type_ignores=[])):
                if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                    bars.add(node.target.id)
            made = (self.body, tuple(self.inputs),
                    [v for v in self.inputs if f"{v}_bar" in bars])
            self.__dict__["_differentiable"] = made
        return list(made[2])

    def describe(self):
        return f"{self.name} ({self.filename}:{self.lineno})"

    @property
    def module(self):
        """The rule module of adcompile that declares the rule (``"numpy"``; ``"scipy"`` for
        those of rules/scipy/), or None for a user's rule."""
        path = Path(self.filename).resolve()
        here = Path(__file__).resolve().parent
        if path.parent == here:
            return path.stem
        return "scipy" if path.parent == here / "scipy" else None


#: rule modules for a library adcompile does not import itself, by the library: loaded the
#: first time the registry is asked about a function once the user's code has imported the
#: library (``Registry.load_optional``), so that ``import adcompile`` does not import SciPy
_OPTIONAL_RULES = {"scipy": "scipy"}


class Registry:
    """Rules and non-differentiable functions, looked up by what the user calls."""

    def __init__(self):
        self.added = []          # the rules added so far, in order (see ``rules``)
        self.optional = {}       # library -> its rule module, not loaded yet
        self.by_object = {}      # id(function object) -> (object, Rule)
        self.by_method = {}      # method name -> Rule   (x.sum(...))
        self.by_attribute = {}   # attribute name -> Rule (x.T)
        self.nondiff_objects = {}
        self.nondiff_attributes = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes"}
        self.nondiff_methods = {"argmax", "argmin", "argsort", "nonzero", "any", "all", "round"}
        self.inert_objects = {}   # functions whose calls have no value to differentiate (print)
        # x.transpose(1, 0), x.item(1, 2): several positional arguments as one tuple
        self.varargs_methods = {"transpose": "axes", "reshape": "shape", "item": "index"}

    @property
    def rules(self):
        """Every rule, in the order added, SciPy's too where SciPy is installed (reading
        this imports it; looking up one function's rule does not)."""
        self.load_optional(installed=True)
        return self.added

    @rules.setter
    def rules(self, rules):
        self.added = rules

    def load_optional(self, installed=False):
        """Load the rule modules of ``optional`` whose library the user's code has imported
        (``installed``: whose library is installed at all). A module is loaded before the
        registry answers about any function of its library, and before a user's rule is
        added (which then replaces the built-in one of its function)."""
        for library in [lib for lib in self.optional if installed or lib in sys.modules]:
            module = self.optional.pop(library)
            try:
                importlib.import_module(f"{__name__}.{module}")
            except ImportError:   # the library is not installed (or is hidden)
                pass

    def add(self, rule, objects=(), methods=(), attributes=()):
        self.load_optional()
        for obj in objects:
            self.by_object[_object_key(obj)] = (obj, rule)
            rule.keys.append(obj)
        for name in methods:
            self.by_method[name] = rule
            rule.keys.append(f".{name}()")
        for name in attributes:
            self.by_attribute[name] = rule
            rule.keys.append(f".{name}")
        self.added.append(rule)

    def rule_for(self, obj):
        self.load_optional()
        entry = self.by_object.get(_object_key(obj))
        if entry is None:
            return self._twin_rule(obj) if inspect.ismethod(obj) else None
        same = entry[0] is obj or (inspect.ismethod(obj) or inspect.isbuiltin(obj)) \
            and entry[0] == obj
        return entry[1] if same else None

    def _twin_rule(self, method):
        """The rule of a method bound to another object of the class of one a rule is for,
        made with the same parameters (the ``dist`` of a frozen scipy.stats distribution,
        ``scipy.stats.norm(0, 1).dist``, is a new ``norm_gen`` like ``scipy.stats.norm``)."""
        owner = method.__self__
        twins = getattr(owner, "_updated_ctor_param", None)
        if twins is None:
            return None
        for registered, rule in self.by_object.values():
            if inspect.ismethod(registered) and type(registered.__self__) is type(owner) \
                    and registered.__func__ is method.__func__ \
                    and registered.__self__._updated_ctor_param() == twins():
                return rule
        return None

    def is_nondifferentiable(self, obj):
        self.load_optional()
        entry = self.nondiff_objects.get(id(obj))
        return entry is not None and entry is obj

    def is_inert(self, obj):
        """Whether ``obj`` is called for its effect only: a function registered with
        ``inert``, or a method bound to an object whose function is (``log.info``)."""
        self.load_optional()
        if inspect.ismethod(obj):
            obj = obj.__func__
        entry = self.inert_objects.get(id(obj))
        return entry is not None and entry is obj


def _object_key(obj):
    """The registry's key for a function object: its identity, or for a method bound to an
    object (``scipy.stats.norm.logpdf``, made anew at each attribute access) the identities of
    the object and the function."""
    if inspect.ismethod(obj):
        return id(obj.__self__), id(obj.__func__)
    if isinstance(getattr(obj, "__self__", None), np.ufunc) and inspect.isbuiltin(obj):
        return id(obj.__self__), obj.__name__   # (np.maximum.accumulate, made anew too)
    return id(obj)


REGISTRY = Registry()


def parse_rule(func, shape=ELEMENTWISE, check=True):
    """Read a template function's source into a Rule whose result has the ``shape`` given
    (a ``ResultShape`` or its name)."""
    try:
        lines, lineno = inspect.getsourcelines(func)
    except (OSError, TypeError) as exc:
        raise TransformError(f"cannot read the source of rule {func.__name__!r}: {exc}") from None
    text = textwrap.dedent("".join(lines))
    node = parse(text).body[0]
    assert isinstance(node, ast.FunctionDef)
    args = node.args
    names = [a.arg for a in args.args]
    n_static = len(args.defaults)
    positional = names[: len(names) - n_static]
    if not positional:
        raise TransformError(f"rule {func.__name__!r} needs a parameter for the primitive's result")
    statics = dict(zip(names[len(names) - n_static:], args.defaults))
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        statics[a.arg] = d if d is not None else ast.Constant(None)
    body = [s for s in node.body
            if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    body = expand_preludes(body, getattr(func, "__globals__", {}))
    rule = Rule(name=func.__name__, output=positional[0], inputs=positional[1:],
                statics=statics, body=body, shape=shape, source=text,
                filename=inspect.getsourcefile(func) or "?", lineno=lineno)
    if check:
        _check_template(rule)
    return rule


def _check_template(rule):
    allowed = {f"{v}_bar" for v in rule.inputs}
    for node in ast.walk(ast.Module(body=rule.body, type_ignores=[])):
        if isinstance(node, ast.AugAssign):
            if not (isinstance(node.target, ast.Name) and node.target.id in allowed
                    and isinstance(node.op, ast.Add)):
                raise TransformError(
                    f"rule {rule.name!r}: only 'input_bar += expression' may use +=; "
                    f"inputs are {rule.inputs}")


def adjoint(*objects, methods=(), attributes=(), shape="elementwise", linear=False,
            sequence=None, optional=(), constant=(), floating=(), spellings=None,
            registry=None):
    """Register the decorated template as the adjoint rule of ``objects``.

    ``shape`` names the kind of the result's shape (see ``shapes.SHAPES``).

    Default deny: an input without a ``v_bar += ...`` line may receive a value being
    differentiated only when it is declared ``constant`` (the primitive's derivative in it
    is zero, or the rule reads only its shape); otherwise such a call is refused.

    ``sequence`` names an input that takes a list of arrays (``np.concatenate(xs)``): in the
    template ``xs`` is that list and ``xs_bar += E`` gives E, a list, one piece per item.
    ``optional`` names trailing inputs a call may leave out (``np.einsum(spec, a)`` has no
    second operand): the template sees ``None`` for them and tests ``if b is None``.
    ``floating`` names statics (``dtype``) that a call may give only as a real floating type
    written in the code (``np.float64``, ``float``, ``"float32"``): the frontend refuses
    any other (frontend/dtypes.py). ``spellings`` maps other keywords the primitives take
    to the input or static each stands for (``{"min": "a_min"}``)."""
    shape = result_shape(shape)

    def register(func):
        rule = parse_rule(func, shape)
        rule.floating = tuple(floating)
        wrong = [s for s in rule.floating if s not in rule.statics]
        if wrong:
            raise ValueError(f"rule {rule.name!r}: floating names statics, not {wrong}")
        rule.spellings = dict(spellings or {})
        wrong = [s for s in rule.spellings.values() if s not in rule.inputs + list(rule.statics)]
        if wrong:
            raise ValueError(f"rule {rule.name!r}: spellings name inputs or statics, not {wrong}")
        _register(rule, objects, methods, attributes, linear, sequence, optional, constant,
                  registry)
        return func

    return register


def adjoint_from(template, *objects, name, helpers=None, methods=(), attributes=(),
                 shape="elementwise", linear=False, sequence=None, optional=(), constant=(),
                 registry=None):
    """Register ``template``, a template function shared by several primitives (the matrix
    product's, for ``@``, ``np.matmul`` and ``np.dot``), as the adjoint rule of ``objects``.

    The rule is called ``name`` and is placed where this call is (its file and line, as
    for a decorated rule); ``helpers`` maps the names of the runtime helpers the template
    calls to the ones this primitive needs (``{"product_bar_left": "dot_bar_left"}``). The
    other options are ``adjoint``'s."""
    caller = inspect.currentframe().f_back
    rule = parse_rule(template, result_shape(shape))
    rule.name, rule.filename, rule.lineno = name, caller.f_code.co_filename, caller.f_lineno
    rule.body = _renamed(rule.body, helpers or {}, name)
    _register(rule, objects, methods, attributes, linear, sequence, optional, constant,
              registry)
    return rule


def _renamed(body, names, rule_name):
    """The template statements ``body`` with each name of ``names`` replaced by its value."""
    body = copy.deepcopy(body)
    seen = set()
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.Name) and node.id in names:
            seen.add(node.id)
            node.id = names[node.id]
    if set(names) - seen:
        raise ValueError(f"rule {rule_name!r}: its template does not read "
                         f"{sorted(set(names) - seen)}")
    return body


def _register(rule, objects, methods, attributes, linear, sequence, optional, constant,
              registry):
    """Set ``rule``'s options (see ``adjoint``), check them, and add it to the registry."""
    rule.linear = linear
    rule.sequences = (sequence,) if sequence else ()
    if list(optional) != rule.inputs[len(rule.inputs) - len(optional):]:
        raise ValueError(f"rule {rule.name!r}: optional inputs must be its last ones")
    rule.optional = tuple(optional)
    rule.constant = tuple(constant)
    wrong = [v for v in constant if v not in rule.inputs or v in rule.differentiable_inputs]
    if wrong:
        raise ValueError(f"rule {rule.name!r}: constant inputs must be inputs without an "
                         f"adjoint line, not {wrong}")
    (registry or REGISTRY).add(rule, objects, methods, attributes)


def tangent(*objects, method=None, rule=None, registry=None):
    """Attach the decorated ``y_dot += E`` template to the rule registered for ``objects[0]``
    (or for the array method ``method``, or to ``rule`` itself, a rule without keys)."""
    reg = registry or REGISTRY
    given = rule

    def register(func):
        rule = given if given is not None else \
            reg.by_method.get(method) if method else reg.rule_for(objects[0])
        if rule is None:
            raise TransformError(f"tangent {func.__name__!r}: register its adjoint rule first")
        form = parse_rule(func, rule.shape, check=False)
        if [form.output, *form.inputs] != [rule.output, *rule.inputs]:
            raise TransformError(f"tangent {func.__name__!r}: parameters must match the adjoint "
                                 f"rule's {[rule.output, *rule.inputs]}")
        _check_tangent(rule, form.body)
        rule.tangent = form.body
        return func

    return register


def _check_tangent(rule, body):
    dots = {f"{v}_dot" for v in rule.inputs}
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.AugAssign):
            read = names_mentioned([node.value]) & dots
            if not (isinstance(node.target, ast.Name) and node.target.id == f"{rule.output}_dot"
                    and isinstance(node.op, ast.Add) and len(read) == 1):
                raise TransformError(
                    f"tangent of {rule.name!r}: each line must be '{rule.output}_dot += E' "
                    f"with E reading exactly one of {sorted(dots)}")


def refused(*objects, reason, inputs=None, name=None, registry=None):
    """Register for each of ``objects`` (functions of inputs, then statics with defaults) a rule
    that refuses to differentiate it: a TransformError with ``reason``, in reverse and forward
    mode. For helpers whose derivative adcompile does not have (a third derivative), where a
    zero gradient would be wrong. ``inputs`` names the parameters that may hold values being
    differentiated where some have defaults (those may be left out, as ``optional``);
    ``name`` the rule's name (the function's by default)."""
    reg = registry or REGISTRY
    caller = inspect.currentframe().f_back
    refuse = parse(f"unsupported({reason!r})").body
    for obj in objects:
        params = list(inspect.signature(obj).parameters.values())
        names = list(inputs) if inputs is not None else \
            [p.name for p in params if p.default is p.empty]
        rule = Rule(name=name or obj.__name__, output="y", inputs=names,
                    statics={p.name: ast.Constant(p.default) for p in params
                             if p.default is not p.empty and p.name not in names},
                    body=refuse, shape=UNKNOWN, tangent=refuse, refusal=reason,
                    source=f"unsupported({reason!r})", filename=caller.f_code.co_filename,
                    lineno=caller.f_lineno if inputs is not None
                    else inspect.getsourcelines(obj)[1])
        rule.optional = tuple(p.name for p in params
                              if p.name in names and p.default is not p.empty)
        reg.add(rule, [obj])


def nondifferentiable(*objects, registry=None):
    """Functions whose result is piecewise constant (zero gradient) or not a number."""
    reg = registry or REGISTRY
    for obj in objects:
        reg.nondiff_objects[id(obj)] = obj


def inert(*objects, registry=None):
    """Functions called for their effect only (``print``): kept in the forward sweep."""
    reg = registry or REGISTRY
    for obj in objects:
        reg.inert_objects[id(obj)] = obj


def load_builtin_rules():
    """Import the rule modules (which registers their rules); SciPy's when it is first
    needed (``Registry.load_optional``)."""
    from . import arrays, generated, linalg, math, numpy, python, statistics  # noqa: F401
    REGISTRY.optional.update(_OPTIONAL_RULES)


load_builtin_rules()
