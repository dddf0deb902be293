"""Generated code as ``ad.show`` returns it: a ``str`` that notebooks display as code."""

import html
import re


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
