"""The one exception users see: TransformError, pointing at the user's source."""

import linecache


class TransformError(ValueError):
    """Raised while transforming a function that adcompile cannot differentiate correctly.

    The message names the construct and shows ``file:line:col`` and the
    offending source line with a caret under the column; then, for a refusal
    inside a helper that was inlined, one ``called from file:line:col`` line per
    call that led there (innermost first), and a ``hint:`` line suggesting a fix
    where there is one.
    """

    def __init__(self, message, filename=None, lineno=None, col=None, line=None, hint=None,
                 callers=()):
        self.reason = message
        self.filename = filename
        self.lineno = lineno
        self.col = col
        if line is None and filename and lineno:
            line = linecache.getline(filename, lineno).rstrip("\n")
        self.line = line
        self.hint = hint
        self.callers = tuple(callers)   # (filename, lineno, col, function), innermost first
        super().__init__(self._format())

    def _format(self):
        text = self.reason
        if self.filename and self.lineno:
            where = f"{self.filename}:{self.lineno}:{(self.col or 0) + 1}"
            text = f"{where}: {self.reason}"
            if self.line:
                text += f"\n    {self.line}"
                if self.col is not None:
                    text += "\n    " + " " * self.col + "^"
        for filename, lineno, col, function in self.callers:
            code = linecache.getline(filename, lineno).strip() if filename and lineno else ""
            text += f"\n  called from {filename}:{lineno}:{(col or 0) + 1}"
            text += f" in {function}" if function else ""
            text += f": {code}" if code else ""
        if self.hint:
            text += f"\nhint: {self.hint}"
        return text
