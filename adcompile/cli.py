"""The command line: ``adcompile show``, ``build``, ``graph`` and ``demo``.

Exit status 0 on success, 1 on a user error (a one-paragraph message, no
traceback), 2 on bad usage. ``adcompile --version`` prints the version;
``adcompile build ... -o -`` writes the module to standard output; ``adcompile
graph FILE.py:f -o f.svg`` draws the computation (``.dot``/``.mmd``: text, no Graphviz
needed; ``-o -`` or no ``-o``: DOT text on standard output).
"""

import argparse
import importlib
import importlib.util
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from .errors import TransformError
from .version import __version__


class UserError(Exception):
    """An error in what the user asked for, reported as one paragraph and exit status 1."""


def load_function(spec):
    """The function named by ``FILE.py:FUNC`` or ``package.module:FUNC``."""
    if ":" not in spec:
        raise UserError(f"expected FILE.py:FUNCTION or package.module:FUNCTION, got {spec!r}")
    where, _, name = spec.rpartition(":")
    if where.endswith(".py") or os.sep in where or "/" in where:
        path = Path(where)
        if not path.is_file():
            raise UserError(f"no such file: {where}")
        module = _import_file(path)
    else:
        if os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        try:
            module = importlib.import_module(where)
        except ImportError as exc:
            raise UserError(f"cannot import module {where!r}: {exc}") from None
        except SystemExit as exc:
            raise _exited(where, exc) from None
        except Exception as exc:  # the user's module failed while importing
            raise UserError(f"importing {where} failed: {type(exc).__name__}: {exc}") from None
    func = module
    for part in name.split("."):
        if not hasattr(func, part):
            raise UserError(f"{where} has no function named {name!r}")
        func = getattr(func, part)
    func = getattr(func, "__wrapped__", func)
    if not callable(func):
        raise UserError(f"{where}:{name} is a {type(func).__name__}, not a function")
    return func


def _import_file(path):
    path = path.resolve()
    # not "adcompile...": functions of modules named so are taken for adcompile's own
    name = f"_user_module_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        where = ":".join(str(p) for p in (exc.filename or path, exc.lineno, exc.offset) if p)
        text = (exc.text or "").strip("\n\x00").rstrip()
        raise UserError(f"{where}: syntax error: {exc.msg}" + (f"\n    {text}" if text else "")) \
            from None
    except SystemExit as exc:
        raise _exited(path, exc) from None
    except Exception as exc:  # the user's module failed while importing
        raise UserError(f"importing {path} failed: {type(exc).__name__}: {exc}") from None
    finally:
        sys.path.remove(str(path.parent))
    return module


def _exited(where, exc):
    """The error for a module that called sys.exit while it was imported."""
    return UserError(f"importing {where} failed: it called sys.exit({exc.code!r}) (exit status "
                     f"{exc.code!r}); put the code that runs it as a script under "
                     f"if __name__ == \"__main__\":")


def parse_wrt(text):
    if text is None:
        return 0
    items = [int(p) if p.strip().lstrip("-").isdigit() else p.strip() for p in text.split(",")]
    return tuple(items) if len(items) > 1 else items[0]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (by default ``sys.argv[1:]``); return the exit
    status (argparse exits by itself, with 2, on bad usage, and with 0 for --version)."""
    parser = argparse.ArgumentParser(
        prog="adcompile",
        description="Reverse-mode automatic differentiation by source transformation.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("show", help="print the generated gradient code of a function")
    show.add_argument("function", help="FILE.py:FUNC or package.module:FUNC")
    show.add_argument("--wrt", help="parameters to differentiate, by name or index (e.g. x,y)")
    show.add_argument("--mode", choices=("reverse", "forward"), default="reverse")
    build = commands.add_parser("build", help="write gradients into a standalone module")
    build.add_argument("functions", nargs="+", help="FILE.py:FUNC or package.module:FUNC")
    build.add_argument("-o", "--output", required=True,
                       help="the module file to write ('-': standard output)")
    build.add_argument("--wrt", help="parameters to differentiate, by name or index (e.g. x,y)")
    build.add_argument("--force", action="store_true",
                       help="overwrite OUTPUT even if adcompile did not write it")
    _add_graph_command(commands)
    commands.add_parser("demo", help="differentiate the lecture example and print the code")
    args = parser.parse_args(argv)
    try:
        return run(args)
    except (UserError, TransformError, ValueError, NotImplementedError, OSError) as exc:
        message = str(exc)
        print(f"adcompile: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:   # Ctrl-C: a Unix tool's quiet exit, 128 + SIGINT
        print("adcompile: interrupted", file=sys.stderr)
        return 130


def run(args):
    from . import api
    if args.command == "demo":
        from .demo import main as demo
        demo()
        return 0
    wrt = parse_wrt(args.wrt)
    if args.command == "graph":
        return draw(args, wrt)
    if args.command == "show":
        func = load_function(args.function)
        print(api.show(func, wrt=wrt, mode=args.mode), end="")
        return 0
    funcs = [load_function(spec) for spec in args.functions]
    if args.output == "-":
        # the module as text, for a pipe or a redirection into the current folder
        sys.stdout.write(api.build_source(funcs, wrt=wrt, directory=os.getcwd()))
        return 0
    path = api.build(funcs, args.output, wrt=wrt, force=args.force)
    names = ", ".join(f"grad_{f.__name__}" for f in funcs)
    print(textwrap.fill(f"wrote {path} ({names})", 100))
    return 0


def _add_graph_command(commands):
    graph = commands.add_parser(
        "graph", help="draw the computation and its adjoints (SVG with Graphviz, else DOT text)")
    graph.add_argument("function", help="FILE.py:FUNC or package.module:FUNC")
    graph.add_argument("-o", "--output", default="-",
                       help="the file to write: .svg (needs Graphviz), .dot/.gv (DOT text) or "
                            ".mmd (Mermaid); '-' (the default): DOT text on standard output")
    graph.add_argument("--wrt", help="parameters to differentiate, by name or index (e.g. x,y)")
    graph.add_argument("--force", action="store_true",
                       help="overwrite OUTPUT even if adcompile did not write it")


def draw(args, wrt):
    """``adcompile graph``: write the picture; without Graphviz, an SVG asked for is written
    as DOT text beside it (``f.dot`` for ``f.svg``), with a note on how to draw it."""
    from . import api
    from .backend.graph import GraphvizMissing
    picture = api.graph(load_function(args.function), wrt=wrt)
    if args.output == "-":
        sys.stdout.write(picture.dot())
        return 0
    try:
        path = picture.save(args.output, force=args.force)
    except GraphvizMissing as exc:
        path = picture.save(Path(args.output).with_suffix(".dot"), force=args.force)
        print(f"adcompile: {exc}: wrote {path} (DOT text) instead; draw it with "
              f"`dot -Tsvg {path} -o {args.output}`", file=sys.stderr)
        return 0
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
