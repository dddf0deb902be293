"""The pipeline: source -> normalize -> reverse -> emit, for one function and one ``wrt``.

A ``Transform`` parses and checks the function once, then generates and
compiles code on demand for each form ("vjp": value and gradients, "grad":
gradients only) and each specialisation (the number of dimensions of each
argument, when the call reveals it).
"""

import ast
import threading

from . import ir
from .aliasing import changed_arguments, check_rebindings
from .analysis import infer_ndims, infer_numbers
from .emit import compile_function, forward_def, function_def, runtime_aliases, to_source
from .forward import forward
from .frontend import normalize
from .reverse import reverse
from .errors import TransformError
from .frontend.source import FunctionSource, GeneratedSource


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
                                 f"{len(positional)} positional parameters {positional}")
            item = positional[item]
        elif item not in source.params:
            raise ValueError(f"wrt={item!r} is not a parameter of {source.name}(); its "
                             f"parameters are {source.params}")
        if item in names:
            raise ValueError(f"wrt names parameter {item!r} twice")
        names.append(item)
    return names, as_tuple


class Transform:
    """Reverse-mode code for ``func`` with respect to ``wrt``."""

    def __init__(self, func, wrt=0):
        inner = getattr(func, "_adcompile", None)
        if inner is not None:   # a gradient adcompile made: differentiate its code
            self.source = inner[0].differentiable_source(inner[1])
        else:
            self.source = FunctionSource(func)  # holds func weakly (see api._cache)
        self.wrt, self.wrt_tuple = resolve_wrt(self.source, wrt)
        self._lock = threading.Lock()
        self.variants = {"vjp": {}, "grad": {}, "jvp": {}, "grad2": {}}
        self.texts = {}
        # transform once now, so that errors surface where the function is defined
        self.tuple_output = normalize(self.source, self.wrt).tuple_output
        self.generate((), "vjp")

    def returns_number(self, key):
        """Whether the function's value is known to be 0-d when called with arguments of
        ndims ``key`` (a gradient then need not compute the value to check that it is)."""
        fn = normalize(self.source, self.wrt)
        _, ndim_of = infer_ndims(fn, self.param_ndims(key))
        return not fn.tuple_output and len(fn.outputs) == 1 and ndim_of(fn.outputs[0]) == 0

    def check_rebindings(self, fn, key, aliases):
        """Refuse, or check when the code runs, each ``x op= e`` that is exact only for a
        number ``x`` (see aliasing.check_rebindings), for the argument types of ``key``."""
        if not fn.rebindings:
            return
        positional = self.source.positional_params
        # (a 0-d array has no dimension: arithmetic on it gives NumPy scalars)
        _, ndim_of = infer_ndims(fn, {p: 0 if n == (None, False) else d for (p, d), n in zip(
            self.param_ndims(key).items(), key)})
        is_number = infer_numbers(fn, {p: n == 0 for p, n in zip(positional, key)}, ndim_of)
        arrays = {p for p, n in zip(positional, key) if isinstance(n, tuple)}

        def guard(name, message):
            check = ir.call(aliases["require_immutable"], ir.load(name), ast.Constant(message))
            return ir.Keep(ast.Expr(check), [], pure=False)

        check_rebindings(fn, is_number, ndim_of, guard, arrays)

    def param_ndims(self, key):
        """Parameter -> ndim (None: unknown) for a specialisation key (see api._ndims)."""
        positional = self.source.positional_params
        return {p: n[0] if isinstance(n, tuple) else n for p, n in zip(positional, key)}

    def param_full(self, key):
        """Parameter -> whether it is known to have no axis of length 1 (numbers have none)."""
        positional = self.source.positional_params
        return {p: n == 0 or isinstance(n, tuple) and n[1] for p, n in zip(positional, key)}

    def generate(self, key, form):
        """Generated source text for ``form`` specialised to argument ndims ``key``."""
        cache_key = (form, key)
        text = self.texts.get(cache_key)
        if text is None:
            fn = normalize(self.source, self.wrt)
            aliases = runtime_aliases(self.source, fn.namer)
            changed = changed_arguments(fn)
            self.check_rebindings(fn, key, aliases)
            for p in reversed(changed):   # p = private_copy(p) first
                fn.body.insert(0, ir.Keep(ir.assign(p, ir.call(aliases["private_copy"],
                                                               ir.load(p))), [p], pure=False))
            name = f"{'grad' if form == 'grad2' else form}_{self.source.name}"
            wrt = ", ".join(self.wrt)
            if form == "jvp":
                tangent = forward(fn, self.param_ndims(key), aliases, self.param_full(key))
                doc = (f"The value of {self.source.name} and its derivative along tangents "
                       f"{', '.join(tangent.param_dots)} of {wrt} (generated by adcompile).")
                node = forward_def(tangent, name, doc, self.wrt_tuple)
                self.tangent_names = tangent.param_dots
            else:
                adjoint = reverse(fn, self.param_ndims(key), aliases, return_value=form == "vjp",
                                  differentiable=form == "grad2",
                                  param_full=self.param_full(key))
                what = "value and gradient" if form == "vjp" else "gradient"
                doc = f"The {what} of {self.source.name} with respect to {wrt} (generated by adcompile)."
                node = function_def(adjoint, name, "vjp" if form == "vjp" else "grad", doc,
                                    self.wrt_tuple)
            text = (to_source(node), name, aliases, fn.extra_globals)
            self.texts[cache_key] = text
        return text

    def differentiable_source(self, form):
        """This transform's gradient code as a source to differentiate again (``form``: what
        the wrapper being differentiated returns; only gradients can be)."""
        if form != "grad":
            raise TransformError(f"differentiating the {form} of {self.source.name}() is not "
                                 f"supported; differentiate its ad.grad")
        text = self.generate((), "grad2")[0]
        compiled = self.compiled((), "grad2")
        return GeneratedSource(text, compiled, f"<adcompile grad_{self.source.name}>")

    def compiled(self, key, form):
        """The compiled function for ``form`` and argument ndims ``key`` (cached)."""
        fn = self.variants[form].get(key)
        if fn is None:
            with self._lock:
                fn = self.variants[form].get(key)
                if fn is None:
                    text, name, aliases, extra = self.generate(key, form)
                    fn = compile_function(text, name, self.source, aliases, extra)
                    fn.source = text
                    self.variants[form][key] = fn
        return fn
