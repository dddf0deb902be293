"""The one exception users see: TransformError, pointing at the user's source."""

import linecache


class TransformError(ValueError):
    """Raised while transforming a function that adcompile cannot differentiate correctly.

    The message names the construct and shows ``file:line:col`` and the
    offending source line with a caret under the column.
    """

    def __init__(self, message, filename=None, lineno=None, col=None, line=None):
        self.reason = message
        self.filename = filename
        self.lineno = lineno
        self.col = col
        if line is None and filename and lineno:
            line = linecache.getline(filename, lineno).rstrip("\n")
        self.line = line
        super().__init__(self._format())

    def _format(self):
        if not self.filename or not self.lineno:
            return self.reason
        where = f"{self.filename}:{self.lineno}:{(self.col or 0) + 1}"
        text = f"{where}: {self.reason}"
        if self.line:
            text += f"\n    {self.line}"
            if self.col is not None:
                text += "\n    " + " " * self.col + "^"
        return text
