"""Transforms: the passes of pipeline.py for one function and one ``wrt``, cached.

A ``Transform`` parses and checks the function once, then generates and
compiles code on demand for each form ("vjp": value and gradients, "grad":
gradients only) and each specialisation (the number of dimensions of each
argument, when the call reveals it).
"""

import ast
import contextlib
import gc
import threading
import weakref

from . import ir, pipeline
from .analysis.ndims import infer_ndims
from .backend.compile import compile_function
from .backend.emit import forward_def, function_def, to_source, without_calls
from .backend.helpers import runtime_aliases
from .errors import TransformError
from .frontend.generated_source import GeneratedSource
from .frontend.source import FunctionSource
from .frontend.nested_gradients import DERIVED
from .frontend.structure_use import copied_parameters, method_call, structure_use
from .runtime import stop_gradient
from .ir.derived_lines import derived_spans
from .ir.parsing import parse


#: the attribute ad.checkpoint gives a function: the steps between two checkpoints
CHECKPOINT = "_adcompile_checkpoint"


def resolve_wrt(source, wrt):
    """``wrt`` (index, name or tuple of them) as a list of parameter names, and whether it was a tuple."""
    as_tuple = isinstance(wrt, (tuple, list))
    items = list(wrt) if as_tuple else [wrt]
    if not items:
        raise ValueError("wrt must name at least one parameter")
    names = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise ValueError(f"wrt entries are parameter indices or names, got {item!r}")
        if isinstance(item, int):
            positional = source.positional_params
            if not -len(positional) <= item < len(positional):
                raise ValueError(f"wrt={item} is out of range: {source.name}() has "
                                 f"{len(positional)} positional parameters {positional}"
                                 f"{_wrapper_hint(source)}")
            item = positional[item]
        elif item in source.variadic_params:
            raise ValueError(f"wrt={item!r} names the variadic parameter {item!r} of "
                             f"{source.name}(): its values are not differentiated; give the "
                             f"value to differentiate a parameter of its own")
        elif item not in source.params:
            raise ValueError(f"wrt={item!r} is not a parameter of {source.name}(); its "
                             f"parameters are {source.params}{_wrapper_hint(source)}")
        if item in names:
            raise ValueError(f"wrt names parameter {item!r} twice")
        names.append(item)
    return names, as_tuple


def _wrapper_hint(source):
    """What to do where ``source`` is a decorator's wrapper (``functools.wraps``) taking
    ``*args``, which does more than forward them (callables.forwarded), else ""."""
    func = getattr(source, "_func", lambda: None)()
    wrapped = getattr(func, "__wrapped__", None)
    if wrapped is None or not source.variadic_params:
        return ""
    name = getattr(wrapped, "__name__", "f")
    return (f"; {source.name}() is the wrapper a decorator made of {name}() (its "
            f"__wrapped__), and it does more than return {name}(*args, **kwargs): adcompile "
            f"differentiates the code that runs, the wrapper's. Give the wrapper the "
            f"parameters it is called with (def {source.name}(x, ...)), or differentiate "
            f"the function it wraps, ad.grad({name}.__wrapped__), if what the wrapper adds "
            f"may be left out")


@contextlib.contextmanager
def without_cycle_collection():
    """No cyclic garbage collection while the passes run (then as before). The passes make
    and keep hundreds of thousands of AST nodes; the collector would walk them all again
    and again (a fifth of the transformation of a 5,000-statement function, more the
    larger it is). Reference counting still frees what is dropped; the cycles made meanwhile
    are collected after. (Only the call that turned collection off turns it on again: a
    transformation running in another thread meanwhile leaves it as it found it.)"""
    enabled = gc.isenabled()
    if enabled:
        gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Transform:
    """Reverse-mode code for ``func`` with respect to ``wrt``; with ``has_aux``, ``func``
    returns ``value, aux`` and the code returns aux as computed, next to the value.
    ``statics``: the ints a call gives loops over structures (frontend/static_ints.py), and
    the values that choose the functions it calls (frontend/static_choices.py).
    ``inner_key``: for a gradient adcompile made (``func``), the argument kinds its code to
    differentiate is specialised to (see for_key); () for its general code."""

    def __init__(self, func, wrt=0, trees=None, has_aux=False, statics=None, inner_key=()):
        # the structure of each parameter that is one, for a call that passes one (see
        # ir/trees.py): its leaves are then parameters of their own
        self.trees = dict(trees or {})
        self.statics = dict(statics or {})
        self.static_needs = ()   # with deferred: the values a call must give (see specialised)
        self.deferred = None
        self.structured_by = None   # with deferred: the parameters whose structure it needs
        self.has_aux = has_aux
        inner = getattr(func, "_adcompile", None)
        self._inner, self._by_key = None, {}   # (see for_key)
        # the steps between two checkpoints of its loops, for a function ad.checkpoint marked
        self.checkpoint = getattr(func, CHECKPOINT, None) if inner is None else None
        if inner is not None:   # a gradient adcompile made: differentiate its code
            made = inner[0].specialised(self.trees, self.statics) \
                if self.trees or self.statics else inner[0]
            if made.deferred is not None:   # (its code, too, needs a structure or values)
                self.source, self.deferred = made.source, made.deferred
                self.structured_by, self.static_needs = made.structured_by, made.static_needs
            else:
                self.source = made.differentiable_source(inner[1], inner_key)
                if not inner_key and not self.trees:
                    self._inner = made
        else:
            with without_cycle_collection():   # (a nested def made a function: its def)
                self.source = getattr(func, DERIVED, None) or FunctionSource(func)
        self.wrt, self.wrt_tuple = resolve_wrt(self.source, wrt)
        self._lock = threading.Lock()
        self._func, self._wrt_given = weakref.ref(func), wrt
        self._specialised = {}
        self.variants = {"vjp": {}, "grad": {}, "jvp": {}, "grad2": {}}
        # checked_gradients.py's: {(kind, key): function,
        #                          ("code", kind, key): (text, aliases, extra)}
        self.checked_variants = {}
        self.texts = {}
        self.derived = {}   # (form, key) -> ir.derived_lines.derived_spans of its text
        self.callables = {}   # what its callables share, by kind (shared.py)
        # normalized once, now, so that most errors surface where the function is
        # defined (code is generated on first use: see generated.py)
        if not self._normalize(has_aux):
            self.tuple_output = False
            return
        self.positional = tuple(p for q in self.source.positional_params
                                for p in self._leaves(q))
        # (the names of the runtime helpers are taken in the normalized function's namer)
        self.aliases = runtime_aliases(self.source, self.normal.namer,
                                       self.normal.extra_globals, self._variables())
        self.tuple_output = self.normal.tuple_output
        # (no code is generated here: a callable generates the code for a call's arguments
        # at the first such call, its general code when .source is first read; that is
        # where the errors of the passes after normalize surface)

    def _variables(self):
        """The names the normalized function assigns, and its parameters: those that may
        have adjoints."""
        return set(self.normal.params).union(*(ir.defined_names(s) for s in self.normal.body))

    def _normalize(self, has_aux):
        """``self.normal``, the normalized function; False where what it means is known only
        once a call passes a structure (``self.deferred``, the error to raise for a call
        that does not): a function that reads its argument as a structure (params["W"],
        p.W), calls a method of another argument or that argument itself (self.f(x),
        self(x), an object of the user's class: see specialised), or passes it to a
        gradient of a function that does (inline.py)."""
        use = None if self.trees else structure_use(self.source, self.wrt)
        try:
            if self.deferred is not None:
                raise self.deferred
            if use is not None and use[1]:
                raise self.source.error(use[0], _structure_needed(use[0]))
            with without_cycle_collection():
                self.normal = pipeline.normalize(self.source, self.wrt, self.trees,
                                                 has_aux=has_aux, statics=self.statics)
        except TransformError as exc:
            called = None if use is not None or self.trees else method_call(
                self.source, set(self.source.params) - set(self.wrt))
            if called is not None:   # (the object whose methods it calls: self.f(x), self(x))
                self.structured_by = [called[1]]
            if getattr(exc, "static_needs", None):   # (values a call gives: dispatch.py)
                self.deferred, self.static_needs = exc, tuple(exc.static_needs)
                return False
            waits = getattr(exc, "needs_structure", False) and not self.trees
            # (an argument not differentiated read as a structure that it copies, which a
            # call may pass: state = dict(state), body = copy.copy(body), then changed)
            others = [] if use is not None or self.trees else [
                p for p in sorted(copied_parameters(self.source.node) - set(self.wrt))
                if (structure_use(self.source, {p}) or (None, False))[1]]
            if others:
                self.structured_by = others
            elif use is None and exc is not self.deferred and called is None and not waits:
                raise
            self.deferred = exc
            return False
        return True

    def returns_number(self, key):
        """Whether the function's value is known to be 0-d when called with arguments of
        ndims ``key`` (a gradient then need not compute the value to check that it is)."""
        self._require_normal()
        fn = self.normal
        _, ndim_of = infer_ndims(fn, self.target(key, "grad").param_ndims)
        return not fn.tuple_output and not fn.has_aux and len(fn.outputs) == 1 \
            and ndim_of(fn.outputs[0]) == 0

    def _require_normal(self):
        if self.deferred is not None:
            raise self.deferred

    def specialised(self, trees, statics=None):
        """This function's Transform for a call whose differentiated arguments ``trees``
        (parameter -> ``ir.trees.Node``) are structures, and that gives the values
        ``statics`` (descriptor -> int, or a choice: see frontend/static_ints.py,
        static_choices.py) (cached; by type and value: True is not 1)."""
        key = (tuple(sorted(trees.items(), key=lambda item: item[0])),
               tuple(sorted(((need, type(value), value) for need, value in
                             (statics or {}).items()), key=repr)))
        found = self._specialised.get(key)
        if found is None:
            with self._lock:
                found = self._specialised.get(key)
                if found is None:
                    found = self._specialised[key] = Transform(self._func(), self._wrt_given,
                                                               trees, self.has_aux, statics)
        return found

    def for_key(self, key):
        """The transform whose code serves argument kinds ``key``: this one, but for a
        gradient adcompile made, differentiated again (a Hessian) for arguments of known
        kinds, the transform of that gradient's code specialised to them (cached). The
        general code checks, when it runs, what only the kinds show (a name that may be a
        view of an array changed in place: it refuses any array there); the specialised
        code knows. Where the specialised code cannot be differentiated, the general one,
        as before. (Not for structures: their leaves are parameters of their own.)"""
        if self._inner is None or not key:
            return self
        found = self._by_key.get(key)
        if found is None:
            with self._lock:
                found = self._by_key.get(key)
                if found is None:
                    try:
                        found = Transform(self._func(), self._wrt_given, None, self.has_aux,
                                          self.statics, inner_key=key)
                    except TransformError:
                        found = self
                    self._by_key[key] = found
        return found

    def _leaves(self, param):
        """The names of the leaves of a structured parameter, else [param]."""
        fn = self.normal
        return [leaf.name for leaf in fn.trees[param].leaves()] if param in fn.trees \
            else [param]

    def target(self, key, form, aliases=None):
        return pipeline.Target(form, key, self.positional, aliases, self.checkpoint)

    def stage(self, key, form, stage):
        """The code of ``form`` for ``key`` after pass ``stage``, as text (see pipeline)."""
        if self.for_key(key) is not self:
            return self.for_key(key).stage(key, form, stage)
        self._require_normal()
        return pipeline.run(self.normal, self.target(key, form, self.aliases), stop_after=stage)

    def generate(self, key, form):
        """Generated source text for ``form`` specialised to argument ndims ``key``:
        (text, name, aliases, extra)."""
        if self.for_key(key) is not self:
            return self.for_key(key).generate(key, form)
        self._require_normal()
        cache_key = (form, key)
        made = self.texts.get(cache_key)
        if made is None:
            with without_cycle_collection():
                made = self._generate(key, form)
        if not isinstance(made[0], str):   # (a def made for generate_def, not unparsed)
            text = to_source(made[0])
            if form == "grad2":   # (code to differentiate again: for its messages)
                self.derived[cache_key] = derived_spans(made[0], parse(text).body[0],
                                                        self.source.place)
            made = (text, *made[1:])
        self.texts[cache_key] = made
        return made

    def generate_def(self, key, form):
        """``generate``'s (def node, name, aliases, extra); the node is kept for ``generate``
        (no one may change it). The text is made only when ``generate`` asks for it (a
        callable compiles text that it makes from the node: unparsing it here too took a
        twentieth of gmm's transformation)."""
        if self.for_key(key) is not self:
            return self.for_key(key).generate_def(key, form)
        self._require_normal()
        cache_key = (form, key)
        made = self.texts.get(cache_key)
        if made is None:
            with without_cycle_collection():
                made = self.texts[cache_key] = self._generate(key, form)
        if isinstance(made[0], str):
            return (parse(made[0]).body[0], *made[1:])
        return made

    def _generate(self, key, form):
        """``generate``'s ``def`` node, name, aliases and extra globals, made (not cached)."""
        fn = self.normal
        aliases = self.aliases
        code = pipeline.run(fn, self.target(key, form, aliases))
        name = f"{'grad' if form == 'grad2' else form}_{self.source.name}"
        wrt = ", ".join(self.wrt)
        if form == "jvp":
            doc = (f"The value of {self.source.name} and its derivative along tangents "
                   f"{', '.join(code.param_dots)} of {wrt} (generated by adcompile).")
            node = forward_def(code, name, doc, self.wrt_tuple)
            self.tangent_names = code.param_dots
        else:
            what = "value and gradient" if form == "vjp" else "gradient"
            doc = f"The {what} of {self.source.name} with respect to {wrt} (generated by adcompile)."
            node = function_def(code, name, "vjp" if form == "vjp" else "grad", doc,
                                self.wrt_tuple)
        if form != "grad2":   # (code differentiated again keeps them: see rename)
            node = without_calls(node, {n for n, obj in code.fn.extra_globals.items()
                                        if obj is stop_gradient})
        # (the names user rules read are added while the code is made, on a copy of fn)
        return node, name, aliases, code.fn.extra_globals

    def differentiable_source(self, form, key=()):
        """This transform's gradient code as a source to differentiate again (``form``: what
        the wrapper being differentiated returns; only gradients can be), specialised to
        argument kinds ``key`` (() for the general code)."""
        if form != "grad":
            raise TransformError(f"differentiating the {form} of {self.source.name}() is not "
                                 f"supported; differentiate its ad.grad")
        if self.has_aux:
            raise TransformError(f"differentiating ad.grad({self.source.name}, has_aux=True) "
                                 f"is not supported (it returns the gradient and the aux); "
                                 f"differentiate ad.grad of a function that returns the value "
                                 f"alone")
        text = self.generate(key, "grad2")[0]
        compiled = self.compiled(key, "grad2")
        kinds = f" for {key}" if key else ""
        spans = self.for_key(key).derived.get(("grad2", key), [])
        return GeneratedSource(text, compiled, f"<adcompile grad_{self.source.name}{kinds}>",
                               spans)

    def compiled(self, key, form):
        """The compiled function for ``form`` and argument ndims ``key`` (cached)."""
        if self.for_key(key) is not self:
            return self.for_key(key).compiled(key, form)
        fn = self.variants[form].get(key)
        if fn is None:
            with self._lock:
                fn = self.variants[form].get(key)
                if fn is None:
                    text, name, aliases, extra = self.generate(key, form)
                    with without_cycle_collection():   # (ast.parse of the text, compile)
                        fn = compile_function(text, name, self.source, aliases, extra)
                    fn.source = text
                    fn.trees = self.normal.trees   # (for jvp: the leaves' tangents)
                    fn.tangent_names = getattr(self, "tangent_names", None)
                    self.variants[form][key] = fn
        return fn


def _structure_needed(node):
    """Why the use ``node`` of an argument needs a structure passed for it."""
    why = f"{ast.unparse(node)} reads an argument as a structure"
    if isinstance(node, ast.Attribute):   # (a typo's likelier than an object: say both)
        why = (f"{ast.unparse(node)}: a NumPy array has no attribute {node.attr!r}, so "
               f"{ast.unparse(node.value)} is read as a structure")
    return (f"{why} (a dict, list, tuple, NamedTuple, dataclass or object of arrays): pass "
            f"one (ad.show and ad.build take example args=)")
