"""A function's source as an AST with the user's file positions, and its names resolved.

Everything later stages need to know about the user's function lives here:
the parsed ``def`` (decorators removed, line and column numbers as in the
file), the parameters, and how a free name resolves (closure, globals,
builtins), so that ``np.exp`` can be recognised as ``numpy.exp`` whatever the
module was imported as.
"""

import ast
import builtins
import inspect
import os
import sys
import textwrap
import weakref
from dataclasses import dataclass

from ..errors import TransformError
from .freshness import is_running_code
from .nesting import split_nesting

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


#: the Callee of an expression that is not a call
NOT_A_CALL = Callee(None, None)


class FunctionSource:
    """The parsed source of one Python function."""

    generated = False   # code adcompile wrote (see GeneratedSource)

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
        try:
            # the function's own source: not inspect.getsourcelines, which follows
            # __wrapped__ to the source of the function a decorator wrapped
            all_lines, start = inspect.findsource(func)
        except (OSError, TypeError) as exc:
            raise TransformError(
                f"cannot read the source of {name!r} ({exc}); functions typed at an "
                f"interactive prompt or built with exec have no source file") from None
        node = (self._lambda if func.__name__ == "<lambda>" else self._def)(
            all_lines, start, func)
        if node is None:
            line = func.__code__.co_firstlineno
            now = all_lines[line - 1].strip() if line <= len(all_lines) else "nothing"
            raise TransformError(
                f"the source of {name!r} in {self.filename} is not the code that runs: the "
                f"file was changed after it was imported (line {line} now reads {now!r}); "
                f"import it again (importlib.reload(module), or restart the kernel) to "
                f"differentiate the new code (an import hook that rewrites functions' code "
                f"makes them look changed too)", self.filename, line)
        if isinstance(node, ast.AsyncFunctionDef):
            raise self.error(node, "an async function cannot be differentiated")
        node.decorator_list = []
        _mangle_private_names(node, func)
        self.node = split_nesting(node, self.error)   # (before any pass walks it recursively)
        self.name = node.name
        self.closure = {}
        if func.__closure__:
            for var, cell in zip(func.__code__.co_freevars, func.__closure__):
                self.closure[var] = cell
        self.params = self._params(node.args)

    def _def(self, all_lines, start, func):
        """The ``def`` of ``func`` read from its file's lines (from its first line, ``start``),
        or None if the file holds other code there now."""
        tree = self._parse_block(all_lines, start)
        node = tree.body[0] if tree is not None and tree.body else None
        if not self._matches(node, func) \
                or not is_running_code(node, func, "".join(all_lines), self.indent):
            return None
        return node

    def _lambda(self, all_lines, start, func):
        """The ``lambda`` of ``func`` read from its file's lines (its statement from line
        ``start``), as a ``def`` named after the variable it is assigned to (``tanh =
        lambda z: ...``), or None if the file holds other code at its line now."""
        tree = self._parse_block(all_lines, start)
        if tree is None:   # (a lambda inside a longer expression: the whole file)
            tree = self._parse_block(all_lines, 0, whole=True)
        if tree is None:
            return None
        names = {id(n.value): n.targets[0].id for n in ast.walk(tree)
                 if isinstance(n, ast.Assign) and len(n.targets) == 1
                 and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.Lambda)}
        line = func.__code__.co_firstlineno
        text = "".join(all_lines)
        lambdas = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda) and n.lineno == line]
        if len(lambdas) > 1 and sys.version_info < (3, 11):   # (no columns in the code)
            raise TransformError(
                f"{len(lambdas)} lambdas on line {line} of {self.filename}: before Python "
                f"3.11 adcompile cannot tell which one runs; put them on lines of their own",
                self.filename, line)
        for n in lambdas:
            if is_running_code(n, func, text, self.indent):
                return as_def(names.get(id(n), "lambda_"), n)
        return None

    def _parse_block(self, all_lines, start, whole=False):
        """The AST of the block of the file's lines from ``start`` (or of the ``whole``
        file), dedented (``self.indent`` columns), with the file's line numbers; None if it
        does not parse."""
        lines = all_lines[start:] if whole else inspect.getblock(all_lines[start:])
        first = lines[0] if lines else ""
        self.indent = 0 if whole else len(first) - len(first.lstrip())
        try:   # (the newlines first: the file's line numbers, without a walk to add them)
            tree = ast.parse("\n" * start + textwrap.dedent("".join(lines)))
        except SyntaxError:
            return None
        except RecursionError:   # (Python compiled it under a higher limit)
            raise TransformError(
                f"the source at line {start + 1} of {self.filename} nests too deep for "
                f"Python's parser under the recursion limit now set "
                f"({sys.getrecursionlimit()}); raise it (sys.setrecursionlimit) as for "
                f"importing it", self.filename, start + 1) from None
        return tree

    @staticmethod
    def _matches(node, func):
        """Whether ``node`` is the ``def`` of ``func`` (same name and parameters), and not
        what a file edited after the import now holds at its line."""
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        code = func.__code__
        args = node.args
        names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
        for extra in (args.vararg, args.kwarg):
            if extra is not None:
                names.append(extra.arg)
        count = code.co_argcount + code.co_kwonlyargcount + bool(code.co_flags & inspect.CO_VARARGS) \
            + bool(code.co_flags & inspect.CO_VARKEYWORDS)
        return node.name == code.co_name and names == list(code.co_varnames[:count])

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

    def resolve(self, name, default=_MISSING):
        """The object a free name of the function refers to."""
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

    def callee(self, func, local_names):
        """The ``Callee`` expression ``func`` refers to, ``local_names`` being the function's
        parameters and the names it assigns (never resolved: they hold anything)."""
        if isinstance(func, ast.Name):
            if func.id in local_names:
                return Callee("unknown", func.id)
            obj = self.resolve(func.id, None)
            return Callee("object", obj) if obj is not None else Callee("unknown", func.id)
        if isinstance(func, ast.Attribute):
            chain = []
            base = func
            while isinstance(base, ast.Attribute):
                chain.append(base.attr)
                base = base.value
            if isinstance(base, ast.Name) and base.id not in local_names:
                obj = self.resolve(base.id, None)
                for attr in reversed(chain):
                    if obj is None:
                        break
                    obj = getattr(obj, attr, None)
                if obj is not None:
                    return Callee("object", obj)
                return Callee("unknown", ast.unparse(func))
            return Callee("method", func.attr)
        return Callee("unknown", ast.unparse(func))

    def error(self, node, message, hint=None):
        """A TransformError pointing at ``node`` in the user's file, and through the calls
        that led there when ``node`` is in a function that was inlined (``mark_place``);
        ``hint`` suggests a fix."""
        filename, indent, callers = getattr(node, PLACE, None) or (self.filename, self.indent, ())
        lineno = getattr(node, "lineno", None)
        col = getattr(node, "col_offset", None)
        if col is not None:
            col += indent
        return TransformError(message, filename, lineno, col, hint=hint, callers=callers)

    def call_site(self, call, callers):
        """The chain of call sites for a function inlined at ``call``, a node of this function,
        which itself was reached through ``callers``: innermost first, each (file, line,
        column, function name)."""
        filename, indent, _ = getattr(call, PLACE, None) or (self.filename, self.indent, ())
        col = getattr(call, "col_offset", None)
        return ((filename, getattr(call, "lineno", None),
                 None if col is None else col + indent, self.name),) + tuple(callers)


def _mangle_private_names(node, func):
    """Write ``self.__x`` in a method of ``class C`` as Python runs it, ``self._C__x``: the
    generated code is not in the class, where Python would mangle the name itself."""
    owner = func.__qualname__.split(".")[:-1]
    prefix = "_" + owner[-1].lstrip("_") if owner and owner[-1] != "<locals>" else "_"
    if prefix == "_":
        return

    def mangled(name):
        private = name.startswith("__") and not name.endswith("__") and "." not in name
        return prefix + name if private else name

    for n in ast.walk(node):
        if isinstance(n, ast.Attribute):
            n.attr = mangled(n.attr)
        elif isinstance(n, ast.Name):
            n.id = mangled(n.id)
        elif isinstance(n, ast.arg):
            n.arg = mangled(n.arg)


def as_def(name, lam):
    """The def node of ``lam``, a lambda, named ``name``: ``def name(args): return body``."""
    node = ast.FunctionDef(name=name, args=lam.args, body=[
        ast.copy_location(ast.Return(value=lam.body), lam.body)], decorator_list=[],
        returns=None, type_comment=None)
    if "type_params" in ast.FunctionDef._fields:
        node.type_params = []
    return ast.copy_location(node, lam)


#: the attribute the nodes of an inlined function's AST carry: (file, indent, callers), with
#: ``callers`` the call sites that led to it (see ``FunctionSource.call_site``), so that an
#: error at any of its nodes, in any later pass, names its file and how it was reached
PLACE = "_adcompile_place"


def mark_place(tree, source, callers):
    """Mark every positioned node of ``tree``, a copy of ``source``'s AST inlined through the
    call sites ``callers``, with its ``PLACE``."""
    place = (source.filename, source.indent, tuple(callers))
    for node in ast.walk(tree):
        if hasattr(node, "lineno"):
            setattr(node, PLACE, place)


class DerivedSource(FunctionSource):
    """A function made of part of another's source (``base``): a nested def or lambda, or
    a function rewritten for one call (*args bound); its names resolve as ``base``'s."""

    def __init__(self, base, node):
        self._func = base._func
        self.generated = base.generated
        self.globals, self.closure = base.globals, base.closure
        self.filename, self.indent = base.filename, base.indent
        self.node = node
        self.name = node.name
        self.params = self._params(node.args)


class GeneratedSource(FunctionSource):
    """Code adcompile generated (a gradient), read back to be differentiated again.

    ``compiled`` is the generated function: its closure holds the runtime helpers and what
    the original function's code refers to, so names resolve as they do when it runs.

    What is differentiated is ``ad.grad(f)``, which has exactly ``f``'s parameters: the
    code's seed parameter ``out_bar`` (keyword-only) becomes a local ``out_bar_inner = 1.0``,
    leaving ``out_bar`` to the new code's seed."""

    generated = True

    def __init__(self, text, compiled, filename):
        import linecache

        from ..ir.naming import names_in
        tree = ast.parse(text)
        node = tree.body[0]
        inner = "out_bar_inner"
        taken = names_in(node)
        while inner in taken:
            inner += "_"
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and n.id == "out_bar":
                n.id = inner
        args = node.args
        seed = [i for i, a in enumerate(args.kwonlyargs) if a.arg == "out_bar"]
        for i in reversed(seed):
            del args.kwonlyargs[i], args.kw_defaults[i]
        docstring = int(bool(node.body) and isinstance(node.body[0], ast.Expr)
                        and isinstance(node.body[0].value, ast.Constant))
        node.body.insert(docstring, ast.Assign(targets=[ast.Name(id=inner, ctx=ast.Store())],
                                               value=ast.Constant(1.0)))
        ast.fix_missing_locations(node)
        self.text = ast.unparse(node) + "\n"
        self.filename = filename
        linecache.cache[filename] = (len(self.text), None, self.text.splitlines(True), filename)
        node = ast.parse(self.text).body[0]   # positions of the text errors will show
        self._func = weakref.ref(compiled)
        self.globals = compiled.__globals__
        self.indent = 0
        self.node = node
        self.name = node.name
        self.closure = dict(zip(compiled.__code__.co_freevars, compiled.__closure__ or ()))
        self.params = self._params(node.args)
