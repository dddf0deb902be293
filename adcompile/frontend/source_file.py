"""A function's ``def`` read from its file, as the code that runs.

``read_def`` finds the function's lines in its file (its own source, not that
of a function a decorator wrapped), parses them with the file's line numbers,
and checks that they compile to the code the function runs (freshness.py): a
file edited after the import is refused rather than differentiated. A lambda
is read as a ``def`` named after the variable it is assigned to. A method's
private names are written as Python mangles them (``self._C__x``).
"""

import ast
import inspect
import sys
import textwrap

from ..errors import TransformError
from .freshness import is_running_code, same_defaults
from ..ir.parsing import parse


def read_def(func, filename, name):
    """(the ``def`` of ``func``, a function of the file ``filename`` called ``name`` in
    messages, with the file's line numbers; the columns it was dedented by). Raises
    ``TransformError`` when the file has no source for it or holds other code there now."""
    try:
        # the function's own source: not inspect.getsourcelines, which follows
        # __wrapped__ to the source of the function a decorator wrapped
        all_lines, start = inspect.findsource(func)
    except (OSError, TypeError) as exc:
        raise TransformError(
            f"cannot read the source of {name!r} ({exc}); functions typed at an "
            f"interactive prompt or built with exec have no source file") from None
    node, indent = (_lambda if func.__name__ == "<lambda>" else _def)(
        all_lines, start, func, filename)
    if node is None:
        line = func.__code__.co_firstlineno
        now = all_lines[line - 1].strip() if line <= len(all_lines) else "nothing"
        raise TransformError(
            f"the source of {name!r} in {filename} is not the code that runs: the "
            f"file was changed after it was imported (line {line} now reads {now!r}); "
            f"import it again (importlib.reload(module), or restart the kernel) to "
            f"differentiate the new code (an import hook that rewrites functions' code "
            f"makes them look changed too)", filename, line)
    return node, indent


def _def(all_lines, start, func, filename):
    """(the ``def`` of ``func`` read from its file's lines (from its first line, ``start``),
    or None if the file holds other code there now; its indent)."""
    tree, indent = _parse_block(all_lines, start, filename)
    node = tree.body[0] if tree is not None and tree.body else None
    if not _matches(node, func) \
            or not is_running_code(node, func, "".join(all_lines), indent, defaults=False):
        return None, indent
    if not same_defaults(node.args, func):
        raise TransformError(f"the defaults of {func.__name__}() are not those its def "
                             f"in {filename} writes: the file was changed after it was "
                             f"imported (import it again: importlib.reload(module)), or "
                             f"its __defaults__ or __kwdefaults__ were assigned (adcompile "
                             f"reads defaults from the source: pass such values as "
                             f"arguments)", filename, node.lineno, node.col_offset)
    return node, indent


def _lambda(all_lines, start, func, filename):
    """(the ``lambda`` of ``func`` read from its file's lines (its statement from line
    ``start``), as a ``def`` named after the variable it is assigned to (``tanh =
    lambda z: ...``), or None if the file holds other code at its line now; its indent)."""
    tree, indent = _parse_block(all_lines, start, filename)
    if tree is None:   # (a lambda inside a longer expression: the whole file)
        tree, indent = _parse_block(all_lines, 0, filename, whole=True)
    if tree is None:
        return None, indent
    names = {n.value: n.targets[0].id for n in ast.walk(tree)
             if isinstance(n, ast.Assign) and len(n.targets) == 1
             and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.Lambda)}
    line = func.__code__.co_firstlineno
    text = "".join(all_lines)
    lambdas = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda) and n.lineno == line]
    if len(lambdas) > 1 and sys.version_info < (3, 11):   # (no columns in the code)
        raise TransformError(
            f"{len(lambdas)} lambdas on line {line} of {filename}: before Python "
            f"3.11 adcompile cannot tell which one runs; put them on lines of their own",
            filename, line)
    for n in lambdas:
        if is_running_code(n, func, text, indent):
            return as_def(names.get(n, "lambda_"), n), indent
    return None, indent


def _parse_block(all_lines, start, filename, whole=False):
    """(the AST of the block of the file's lines from ``start`` (or of the ``whole`` file),
    dedented, with the file's line numbers, or None if it does not parse; the columns it
    was dedented by)."""
    lines = all_lines[start:] if whole else inspect.getblock(all_lines[start:])
    first = lines[0] if lines else ""
    indent = 0 if whole else len(first) - len(first.lstrip())
    try:   # (the newlines first: the file's line numbers, without a walk to add them)
        tree = parse("\n" * start + textwrap.dedent("".join(lines)))
    except SyntaxError:
        return None, indent
    except RecursionError:   # (Python compiled it under a higher limit)
        raise TransformError(
            f"the source at line {start + 1} of {filename} nests too deep for "
            f"Python's parser under the recursion limit now set "
            f"({sys.getrecursionlimit()}); raise it (sys.setrecursionlimit) as for "
            f"importing it", filename, start + 1) from None
    return tree, indent


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


def mangle_private_names(node, func):
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
