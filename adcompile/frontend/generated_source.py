"""Code adcompile generated (a gradient), read back as a source to differentiate again."""

import ast
import linecache
import weakref

from ..ir.naming import names_in
from .nesting import split_nesting
from .source import FunctionSource
from ..errors import derive_lines
from ..ir.derived_lines import derived_spans, mark_spans
from ..ir.parsing import parse


class GeneratedSource(FunctionSource):
    """Code adcompile generated (a gradient), read back to be differentiated again.

    ``compiled`` is the generated function: its closure holds the runtime helpers and what
    the original function's code refers to, so names resolve as they do when it runs.

    What is differentiated is ``ad.grad(f)``, which has exactly ``f``'s parameters: the
    code's seed parameter ``out_bar`` (keyword-only) becomes a local ``out_bar_inner = 1.0``,
    leaving ``out_bar`` to the new code's seed."""

    generated = True

    def __init__(self, text, compiled, filename, spans=()):
        tree = parse(text)
        node = tree.body[0]
        mark_spans(node, spans)   # (the user's statements its lines are derivatives of)
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
        marked, node = node, parse(self.text).body[0]   # positions of the text errors will show
        derive_lines(filename, derived_spans(marked, node, lambda place: place))
        self._func = weakref.ref(compiled)
        self.globals = compiled.__globals__
        self.indent = 0
        # (a rule's conditional term inside a sum, x_bar = (z_bar * (x / z) if z != 0 else
        # 0.0) + ..., differentiated as the if statement it is, as in the user's code)
        self.node = split_nesting(node, self.error)
        self.name = node.name
        self.closure = dict(zip(compiled.__code__.co_freevars, compiled.__closure__ or ()))
        self.params = self._params(node.args)

