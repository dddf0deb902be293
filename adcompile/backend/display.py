"""Generated code as ``ad.show`` returns it: a ``str`` that notebooks display as code,
alone or beside the original source (``ad.show(f, side_by_side=True)``)."""

import html
import inspect
import itertools
import re
import textwrap


class Code(str):
    """Python source text, as a ``str`` (equal to the plain string, printable, usable
    wherever a string is), which Jupyter displays as code rather than as an escaped
    one-line string: ``_repr_html_`` gives a ``<pre>`` block (syntax-highlighted when
    Pygments is installed), ``_repr_markdown_`` a fenced ``python`` block, and IPython's
    plain-text display prints the code as it is. ``repr()`` stays the string's repr."""

    __slots__ = ()

    def _repr_html_(self):
        try:
            from pygments import highlight
            from pygments.formatters import HtmlFormatter
            from pygments.lexers import PythonLexer
        except ImportError:
            return f'<pre class="adcompile-code"><code>{html.escape(str(self))}</code></pre>'
        # inline styles: the notebook needs no style sheet for them
        return highlight(str(self), PythonLexer(), HtmlFormatter(noclasses=True, nowrap=False,
                                                                  cssclass="adcompile-code"))

    def _repr_markdown_(self):
        # a fence longer than any run of backticks in the code (a string may hold some)
        longest = max((len(run) for run in re.findall(r"`+", self)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"{fence}python\n{self.rstrip(chr(10))}\n{fence}\n"

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))


def original_source(func):
    """The source of the function ``ad.show(func)`` differentiates, as text: the user's
    function (``func`` or, for a callable adcompile made, the one it was made from), or
    the generated code of a gradient that is differentiated again."""
    base = getattr(func, "__wrapped__", func)
    if hasattr(base, "_adcompile"):   # ad.grad(ad.grad(f)): the code of ad.grad(f)
        return str(base.source)
    try:
        return textwrap.dedent(inspect.getsource(base))
    except (OSError, TypeError):
        return f"# the source of {getattr(base, '__name__', base)!r} is not available\n"


class SideBySide(str):
    """The original source and the generated code side by side: as a ``str``, two columns
    of plain text (the original padded to its longest line, then `` │ `` and the generated
    line); in a notebook (``_repr_html_``) a two-column table of highlighted code
    (``Code``'s HTML: Pygments when installed, else an escaped ``<pre>``). ``.original``
    and ``.generated`` hold the two texts."""

    def __new__(cls, original, generated, titles=("original", "generated")):
        self = super().__new__(cls, _two_columns(original, generated, titles))
        self.original, self.generated = Code(original), Code(generated)
        self.titles = titles
        return self

    def _repr_html_(self):
        heads = "".join(f'<th style="text-align:left">{html.escape(t)}</th>' for t in self.titles)
        cells = "".join(f'<td style="vertical-align:top;padding:0 1em 0 0">{c._repr_html_()}</td>'
                        for c in (self.original, self.generated))
        return (f'<table class="adcompile-side-by-side"><thead><tr>{heads}</tr></thead>'
                f"<tbody><tr>{cells}</tr></tbody></table>")

    def _repr_markdown_(self):
        return "".join(f"**{t}**\n\n{c._repr_markdown_()}\n"
                       for t, c in zip(self.titles, (self.original, self.generated)))

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))


def _two_columns(left, right, titles):
    """``left`` and ``right`` as two columns of text, under their titles."""
    lefts = [titles[0], ""] + left.expandtabs().rstrip("\n").split("\n")
    rights = [titles[1], ""] + right.rstrip("\n").split("\n")
    width = max(len(line) for line in lefts)
    rows = itertools.zip_longest(lefts, rights, fillvalue="")
    return "".join(f"{a.ljust(width)} │ {b}".rstrip() + "\n" for a, b in rows)
