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
import textwrap

from .errors import TransformError

_MISSING = object()


class FunctionSource:
    """The parsed source of one Python function."""

    def __init__(self, func):
        self.func = func
        name = getattr(func, "__qualname__", repr(func))
        if not inspect.isfunction(func):
            raise TransformError(
                f"cannot read the source of {name!r}: adcompile differentiates Python "
                f"functions defined in a file (got {type(func).__name__}); functions without "
                f"Python source cannot be differentiated yet")
        if func.__name__ == "<lambda>":
            raise TransformError(
                f"cannot differentiate a lambda ({func.__code__.co_filename}:"
                f"{func.__code__.co_firstlineno}): define it with def")
        self.filename = func.__code__.co_filename
        try:
            lines, firstline = inspect.getsourcelines(func)
        except (OSError, TypeError) as exc:
            raise TransformError(
                f"cannot read the source of {name!r} ({exc}); functions typed at an "
                f"interactive prompt or built with exec have no source file") from None
        first = lines[0]
        self.indent = len(first) - len(first.lstrip())
        text = textwrap.dedent("".join(lines))
        tree = ast.parse(text)
        ast.increment_lineno(tree, firstline - 1)
        node = tree.body[0]
        if isinstance(node, ast.AsyncFunctionDef):
            raise self.error(node, "an async function cannot be differentiated")
        assert isinstance(node, ast.FunctionDef), ast.dump(node)[:80]
        node.decorator_list = []
        self.node = node
        self.name = node.name
        self.closure = {}
        if func.__closure__:
            for var, cell in zip(func.__code__.co_freevars, func.__closure__):
                self.closure[var] = cell
        self.params = self._params(node.args)

    def _params(self, args):
        if args.vararg or args.kwarg:
            bad = args.vararg or args.kwarg
            raise self.error(bad, "variadic parameters (*args, **kwargs) are not supported")
        return [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]

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
        value = self.func.__globals__.get(name, _MISSING)
        if value is _MISSING:
            value = getattr(builtins, name, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise KeyError(name)
            return default
        return value

    def error(self, node, message):
        """A TransformError pointing at ``node`` in the user's file."""
        lineno = getattr(node, "lineno", None)
        col = getattr(node, "col_offset", None)
        if col is not None:
            col += self.indent
        return TransformError(message, self.filename, lineno, col)
