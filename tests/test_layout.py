"""The package layout shows the stages, and imports point only downwards.

Each package (and top-level module) of adcompile has a layer; a module may import
from its own package and from lower layers, never from a higher one. So the order
of the stages can be read off the imports, and there is no import cycle between
packages.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent / "adcompile"

#: bottom to top; a name is a package or a top-level module of adcompile
LAYERS = [
    {"errors", "version"},
    {"ir"},                          # the normalized form, its def-use helpers, naming
    {"runtime"},                     # the helpers generated code calls
    {"rules"},                       # one registry of primitives and their adjoints
    {"analysis"},                    # activity, ndims, aliasing
    {"frontend"},                    # source -> normalized IR
    {"optimize"},                    # clean-ups on generated code, loop fission
    {"ad"},                          # reverse and forward mode, the tape
    {"backend"},                     # emit, compile, standalone modules
    {"dump"},                        # the code between passes as text
    {"pipeline"},                    # the passes in order
    {"compiler", "checking", "primitives", "callables", "fastpath", "generated"},
    {"cache", "arguments", "checked_gradients", "numba_forms"},   # what api's callables use
    {"dispatch"},                    # the code for a call's kinds of arguments
    {"shared"},                      # what a transform's callables of one kind share
    {"api"},
    {"jacobians"},                   # made of vjp and jvp
    {"demo", "__init__"},
    {"cli"},
    {"__main__"},
]
LAYER = {name: i for i, names in enumerate(LAYERS) for name in names}


def _unit(path):
    """The package or top-level module a file belongs to."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return parts[0]


def _imported_units(path):
    """The packages and top-level modules of adcompile that ``path`` imports."""
    package = path.relative_to(ROOT).parent.parts
    if path.name == "__init__.py" and package:
        package = package   # (an __init__ is its package)
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(package)[:len(package) - (node.level - 1)] if node.level > 1 \
                else list(package)
            target = base + (node.module.split(".") if node.module else [])
            if target:
                found.add(target[0])
            else:   # from . import x at the top: x is a unit itself
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module \
                and node.module.split(".")[0] == "adcompile":
            parts = node.module.split(".")[1:]
            found.update([parts[0]] if parts else [a.name for a in node.names])
    return found


FILES = sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_unit_has_a_layer():
    units = {_unit(p) for p in FILES}
    assert units <= set(LAYER), f"no layer for {sorted(units - set(LAYER))}"


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_imports_point_downwards(path):
    unit = _unit(path)
    upward = {u for u in _imported_units(path) if u != unit and LAYER.get(u, -1) >= LAYER[unit]}
    assert not upward, f"{path.relative_to(ROOT)} ({unit}) imports {sorted(upward)}, " \
                       f"which are not below it"



#: the project's layout limits (lines from the first decorator to the end)
MAX_CLASS_LINES = 400
MAX_FUNCTION_LINES = 60


def _too_long(text, where):
    """``where:line name (n lines ...)`` for each class over MAX_CLASS_LINES and each
    function (method, nested function) over MAX_FUNCTION_LINES in the source ``text``."""
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            limit = MAX_CLASS_LINES
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            limit = MAX_FUNCTION_LINES
        else:
            continue
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        lines = node.end_lineno - first + 1
        if lines > limit:
            found.append(f"{where}:{node.lineno} {node.name} ({lines} lines, at most {limit})")
    return found


def test_no_class_or_function_is_too_long():
    found = [entry for path in sorted(ROOT.rglob("*.py"))
             for entry in _too_long(path.read_text(), path.relative_to(ROOT.parent))]
    assert not found, "split these:\n" + "\n".join(found)


def test_the_length_check_names_what_is_too_long():
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    methods = "\n".join(f"    def m{i}(self):\n        return {i}\n" for i in range(134))
    text = f"def long():\n{body}\n\ndef short():\n    return 1\n\nclass Big:\n{methods}"
    found = _too_long(text, "probe.py")
    assert [entry.split(" (")[0] for entry in found] == ["probe.py:1 long", "probe.py:66 Big"], found
    assert "61 lines" in found[0] and "402 lines" in found[1], found


def _calls_of_ast_parse(text):
    """The lines of ``text`` that call ``ast.parse`` itself."""
    return [node.lineno for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "parse" and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "ast"]


def test_one_place_parses():
    """Every module parses through ir/parsing.py, which parses in one thread at a time
    (CPython 3.11's parser fails when two threads parse at once)."""
    found = [f"{path.relative_to(ROOT.parent)}:{line}" for path in sorted(ROOT.rglob("*.py"))
             if path.name != "parsing.py" for line in _calls_of_ast_parse(path.read_text())]
    assert not found, "call ir.parsing.parse instead:\n" + "\n".join(found)
    assert _calls_of_ast_parse("import ast\ntree = ast.parse('x')\n") == [2]
