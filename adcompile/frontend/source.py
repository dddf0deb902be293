"""A function's source as an AST with the user's file positions, and its names resolved.

Everything later stages need to know about the user's function lives here:
the parsed ``def`` (read from its file by source_file.py; decorators removed,
line and column numbers as in the file), the parameters, how a free name
resolves (closure, globals, builtins), so that ``np.exp`` can be recognised as
``numpy.exp`` whatever the module was imported as, and where a node is in the
user's files (``error``, ``PLACE``). Code adcompile generated, read back to be
differentiated again, is a ``generated_source.GeneratedSource``.
"""

import ast
import builtins
import inspect
import linecache
import os
import weakref
from dataclasses import dataclass

from ..errors import TransformError
from .local_imports import imported_names
from .nesting import split_nesting
from .source_file import mangle_private_names, read_def
from ..ir.parsing import parse

_MISSING = object()
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # adcompile/


@dataclass(frozen=True)
class Callee:
    """What the function of a call (or a name) refers to: ``kind`` "object" with ``what`` the
    object for a resolvable function, "method" with the method's name for ``value.name``,
    "unknown" with a description for anything else (a local variable: it could be eval)."""

    kind: str
    what: object

    def is_(self, obj):
        """Whether this resolves to the object ``obj``."""
        return self.kind == "object" and self.what is obj


def int_constant(node):
    """The int ``node`` spells (``3``, ``-1``), else None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = int_constant(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


#: what ``item_key`` gives for an index that spells no key
NO_KEY = object()


def item_key(node):
    """The key the index ``node`` spells: an int (``3``, ``-1``), a str, a bool or None;
    else NO_KEY."""
    k = int_constant(node)
    if k is not None:
        return k
    if isinstance(node, ast.Constant) and type(node.value) in (str, bool, type(None)):
        return node.value
    return NO_KEY


def held_item(held, key):
    """The item of the tuple, list or dict ``held`` under ``key`` (an int, or a dict's
    key), else NO_KEY."""
    if type(held) in (tuple, list) and type(key) is int and -len(held) <= key < len(held):
        return held[key]
    if type(held) is dict and key in held and type(next(k for k in held if k == key)) \
            is type(key):   # (held[1] is not held[True])
        return held[key]
    return NO_KEY


_API = "adcompile.api"   # (the module of ad.grad: see FunctionSource.made_gradient)

#: the Callee of an expression that is not a call
NOT_A_CALL = Callee(None, None)


class FunctionSource:
    """The parsed source of one Python function."""

    generated = False   # code adcompile wrote (see generated_source.py)

    def __init__(self, func):
        name = getattr(func, "__qualname__", repr(func))
        if not inspect.isfunction(func):
            raise TransformError(
                f"cannot read the source of {name!r}: adcompile differentiates Python "
                f"functions defined in a file (got {type(func).__name__}); functions without "
                f"Python source cannot be differentiated yet")
        # the function itself is held weakly: adcompile's cache keys on it, and a value
        # that held it strongly would keep it (and its generated code) alive forever
        self._func = weakref.ref(func)
        self.globals = func.__globals__
        self.filename = func.__code__.co_filename
        if hasattr(func, "__wrapped__") and os.path.abspath(self.filename).startswith(
                _PACKAGE + os.sep):
            raise TransformError(
                f"{name!r} is a function adcompile made (a gradient or another transformed "
                f"function), not one with Python source of its own; it cannot be "
                f"differentiated (higher derivatives of it are not supported)")
        node, self.indent = read_def(func, self.filename, name)
        if isinstance(node, ast.AsyncFunctionDef):
            raise self.error(node, "an async function cannot be differentiated")
        node.decorator_list = []
        mangle_private_names(node, func)
        self.node = split_nesting(node, self.error)   # (before any pass walks it recursively)
        self.name = node.name
        self.closure = {}
        if func.__closure__:
            for var, cell in zip(func.__code__.co_freevars, func.__closure__):
                self.closure[var] = cell
        self.params = self._params(node.args)

    def _params(self, args):
        """The parameters' names: positional, keyword-only, then *args and **kwargs."""
        return [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs] + [
            a.arg for a in (args.vararg, args.kwarg) if a is not None]

    @property
    def variadic_params(self):
        """The names of the *args and **kwargs parameters (holding what is left over)."""
        args = self.node.args
        return [a.arg for a in (args.vararg, args.kwarg) if a is not None]

    @property
    def func(self):
        """The function (None once it has been garbage collected)."""
        return self._func()

    @property
    def positional_params(self):
        args = self.node.args
        return [a.arg for a in args.posonlyargs + args.args]

    @property
    def imports(self):
        """{name: object} the imports at the top of the function's body bind, and those of
        the functions around it (local_imports.py): locals that always hold that object."""
        found = self.__dict__.get("_imports")
        if found is None:
            found = dict(self.__dict__.get("_outer_imports", {}))
            found.update(imported_names(self.node, self.error))
            self.__dict__["_imports"] = found
        return found

    def resolve(self, name, default=_MISSING):
        """The object a free name of the function refers to (or a name an import at the
        top of its body binds: local_imports.py)."""
        imported = self.imports.get(name, _MISSING)
        if imported is not _MISSING:
            return imported
        cell = self.closure.get(name)
        if cell is not None:
            try:
                return cell.cell_contents
            except ValueError:
                pass
        value = self.globals.get(name, _MISSING)
        if value is _MISSING:
            value = getattr(builtins, name, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise KeyError(name)
            return default
        return value

    @property
    def definitions(self):
        """The names the function's own nested defs and classes bind: local in all of it,
        whatever the module binds to the same names."""
        found = self.__dict__.get("_definitions")
        if found is None:
            found = self.__dict__["_definitions"] = frozenset(_definitions(self.node))
        return found

    def callee(self, func, local_names):
        """The ``Callee`` expression ``func`` refers to, ``local_names`` being the function's
        parameters and the names it assigns (never resolved: they hold anything, as do the
        names its nested defs bind)."""
        if isinstance(func, ast.Name):
            if func.id in local_names or func.id in self.definitions:
                return Callee("unknown", func.id)
            obj = self.resolve(func.id, None)
            return Callee("object", obj) if obj is not None else Callee("unknown", func.id)
        if isinstance(func, ast.Attribute):
            chain = []
            base = func
            while isinstance(base, ast.Attribute):
                chain.append(base.attr)
                base = base.value
            if isinstance(base, ast.Name) and base.id not in local_names \
                    and base.id not in self.definitions:
                obj = self.resolve(base.id, None)
                for attr in reversed(chain):
                    if obj is None:
                        break
                    obj = getattr(obj, attr, None)
                if obj is not None:
                    return Callee("object", obj)
                return Callee("unknown", ast.unparse(func))
            return Callee("method", func.attr)
        if isinstance(func, ast.Subscript) and item_key(func.slice) is not NO_KEY:
            # ACTS[0], (np.sin, np.cos)[-1], ACTS["tanh"]
            return self._item_callee(func, local_names)
        if isinstance(func, ast.Call):   # ad.grad(f)(x)
            made = self.made_gradient(func, local_names)
            if made is not None:
                return Callee("object", made)
        return Callee("unknown", ast.unparse(func))

    def _item_callee(self, func, local_names):
        """The ``Callee`` of ``seq[k]``: the k-th of the functions a display or a tuple or
        list the source names (not a local) holds, or the function such a dict holds under
        the key ``k``."""
        seq, k = func.value, item_key(func.slice)
        if isinstance(seq, (ast.Tuple, ast.List)):
            if type(k) is int and -len(seq.elts) <= k < len(seq.elts) \
                    and not isinstance(seq.elts[k], ast.Starred):
                return self.callee(seq.elts[k], local_names)
        else:
            held = self.callee(seq, local_names) if isinstance(seq, (ast.Name, ast.Attribute)) \
                else None
            item = held_item(held.what, k) if held is not None and held.kind == "object" \
                else NO_KEY
            if item is not NO_KEY:
                return Callee("object", item)
        return Callee("unknown", ast.unparse(func))

    def made_gradient(self, call, local_names):
        """``ad.grad(f, wrt=...)`` for the call ``call`` of adcompile's ``grad`` whose
        arguments are a function the source names (not a local) and literal options, made
        when transforming (once per source and call text); else None."""
        grad = self.callee(call.func, local_names)
        if not is_adcompile_grad(grad):
            return None
        if len(call.args) != 1 or not isinstance(call.args[0], ast.Name):
            return None
        function = self.callee(call.args[0], local_names)
        try:
            options = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
        except ValueError:
            return None
        if function.kind != "object" or None in options or not inspect.isfunction(function.what):
            return None
        made = self.__dict__.setdefault("_made", {})
        key = (ast.unparse(call), function.what)
        if key not in made:
            try:
                made[key] = grad.what(function.what, **options)
            except TransformError:
                raise
            except (TypeError, ValueError) as error:   # (options ad.grad refuses)
                raise self.error(call, f"{ast.unparse(call)}: {error}") from None
        return made[key]

    def error(self, node, message, hint=None):
        """A TransformError pointing at ``node`` in the user's file, and through the calls
        that led there when ``node`` is in a function that was inlined (``mark_place``);
        ``hint`` suggests a fix."""
        filename, lineno, col, callers = self.place(node)
        return TransformError(message, filename, lineno, col, hint=hint, callers=callers)

    def where(self, node):
        """``file:line:col: text`` of ``node`` (``written``), as a check made when the code
        runs names the user's statement (the place as ``error`` gives it)."""
        return f"{self.error(node, '').where}: {self.written(node)}"

    def place(self, node):
        """Where ``node`` is, a node of this function or of one inlined into it: (file, line,
        column, the calls that led there)."""
        filename, indent, callers = getattr(node, PLACE, None) or (self.filename, self.indent, ())
        lineno = getattr(node, "lineno", None)
        col = getattr(node, "col_offset", None)
        if col is not None:
            col += indent
        return filename, lineno, col, tuple(callers)

    def written(self, node):
        """The user's text of ``node``, a node of this function or of one inlined into it:
        as ``ast.unparse`` gives it where that holds no name adcompile made (``$t1``, for
        a part computed first), else as the user's file has it at the node's place (on
        one line)."""
        text = ast.unparse(node).strip()
        if "$" not in text:
            return text
        return _text_at(node, *(getattr(node, PLACE, None) or (self.filename, self.indent))[:2]) \
            or text

    def call_site(self, call, callers):
        """The chain of call sites for a function inlined at ``call``, a node of this function,
        which itself was reached through ``callers``: innermost first, each (file, line,
        column, function name)."""
        filename, indent, _ = getattr(call, PLACE, None) or (self.filename, self.indent, ())
        col = getattr(call, "col_offset", None)
        return ((filename, getattr(call, "lineno", None),
                 None if col is None else col + indent, self.name),) + tuple(callers)



#: the attribute the nodes of an inlined function's AST carry: (file, indent, callers), with
#: ``callers`` the call sites that led to it (see ``FunctionSource.call_site``), so that an
#: error at any of its nodes, in any later pass, names its file and how it was reached
PLACE = "_adcompile_place"


def own_signature(func):
    """The signature of ``func``'s own ``def``, whose source adcompile reads (read_def):
    ``inspect.signature`` alone follows ``__wrapped__`` to the function a decorator
    (functools.wraps) wrapped, whose parameters and defaults may differ. (A callable
    adcompile made, or a nested function's stand-in, has the signature it declares.)"""
    return inspect.signature(func, follow_wrapped=not inspect.isfunction(func))


def mark_place(tree, source, callers, unmarked_only=False):
    """Mark every positioned node of ``tree``, a copy of ``source``'s AST inlined through the
    call sites ``callers``, with its ``PLACE`` (``unmarked_only``: those that have none)."""
    place = (source.filename, source.indent, tuple(callers))
    for node in ast.walk(tree):
        if hasattr(node, "lineno") and not (unmarked_only and hasattr(node, PLACE)):
            setattr(node, PLACE, place)


def _text_at(node, filename, indent):
    """The text of the file ``filename`` from ``node``'s start to its end (its columns
    counted after ``indent``), its lines joined into one; None where its place is not
    known or the text there is not Python."""
    first, last = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
    start, end = getattr(node, "col_offset", None), getattr(node, "end_col_offset", None)
    if None in (first, last, start, end):
        return None
    lines = [linecache.getline(filename, n).rstrip("\n") for n in range(first, last + 1)]
    lines[-1] = lines[-1][:end + indent]
    lines[0] = lines[0][start + indent:]
    text = " ".join(line.strip() for line in lines)
    for candidate in (text, f"({text})"):   # (a statement, or an expression)
        try:
            parse(candidate)
            return text
        except SyntaxError:
            pass
    return None


def _definitions(node):
    """The names the defs and classes in the body of the def ``node`` bind in its scope
    (not those of the scopes they open)."""
    todo = list(node.body)
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield n.name
        elif not isinstance(n, ast.Lambda):
            todo.extend(ast.iter_child_nodes(n))


def is_adcompile_grad(callee):
    """Whether the ``Callee`` ``callee`` is adcompile's ``grad``."""
    return callee.kind == "object" and getattr(callee.what, "__module__", None) == _API \
        and getattr(callee.what, "__name__", None) == "grad"


class DerivedSource(FunctionSource):
    """A function made of part of another's source (``base``): a nested def or lambda, or
    a function rewritten for one call (*args bound); its names resolve as ``base``'s."""

    def __init__(self, base, node):
        self._func = base._func
        self.generated = base.generated
        self.globals, self.closure = base.globals, base.closure
        self._outer_imports = base.imports
        self.filename, self.indent = base.filename, base.indent
        self.node = node
        self.name = node.name
        self.params = self._params(node.args)
