"""The one exception users see: TransformError, pointing at the user's source (and its
kind StaleGradient)."""

import linecache
import re
import sys
import sysconfig
from pathlib import Path


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
        self.inside = ()   # the places in an installed library's code, see _at_the_users_call
        self.derived = ()   # the place in generated code, see _at_the_derived_line
        self._at_the_derived_line()
        self._at_the_users_call()
        super().__init__(self._format())

    def _at_the_derived_line(self):
        """A refusal in code adcompile generated (a gradient differentiated again) is shown
        at the user's line the generated code there is the derivative of, where that is
        known (``derived_from``, through each generated code between), with the generated
        line below it."""
        user = derived_from(self.filename, self.lineno, self.col)
        if user is None:
            return
        self.derived = ((self.filename, self.lineno, self.col, None),) + self.callers
        deeper = user
        while deeper is not None:   # (a third derivative: the second's code, then the user's)
            user, deeper = deeper, derived_from(*deeper[:3])
        self.filename, self.lineno, self.col, self.callers = user
        self.line = linecache.getline(self.filename, self.lineno).rstrip("\n") \
            if self.lineno else None

    def _at_the_users_call(self):
        """A refusal inside an installed library's code (scipy's, sklearn's: a function
        adcompile inlined, and whose code the user cannot change) is shown at the user's
        line that called into the library, with the library's places below it, and the
        hint to give the function called there a rule."""
        if not self.callers or not in_a_library(self.filename):
            return
        places = [(self.filename, self.lineno, self.col, None)] + list(self.callers)
        at = next((i for i, p in enumerate(places) if not in_a_library(p[0])), None)
        if at is None:
            return
        filename, lineno, col, _ = places[at]
        called = _called_at(filename, lineno, col)
        name = called or "the library function"
        # (adcompile inlines a library's function only where it has no rule)
        self.reason = (f"{name}() has no adjoint rule, and adcompile cannot differentiate "
                       f"its code: {self.reason} (in its code)")
        self.inside = tuple(places[:at])
        self.filename, self.lineno, self.col = filename, lineno, col
        self.line = linecache.getline(filename, lineno).rstrip("\n") if lineno else None
        self.callers = tuple(places[at + 1:])
        if called:
            self.hint = (f"give {called} a rule with ad.adjoint_rule({called}) or "
                         f"ad.primitive (README: 'Your own primitives')")

    @property
    def where(self):
        """``file:line:col`` of the refused construct (the column counted from 1), as the
        message shows it and as run-time checks in generated code name it."""
        return f"{self.filename}:{self.lineno}:{(self.col or 0) + 1}"

    def _format(self):
        text = self.reason
        if self.filename and self.lineno:
            text = f"{self.where}: {self.reason}"
            if self.line:
                text += f"\n    {self.line}"
                if self.col is not None:
                    text += "\n    " + " " * self.col + "^"
        derived = self.derived[:1], self.derived[1:]   # (the generated line, its callers)
        for label, places in (("inside", self.inside), ("called from", self.callers),
                              ("in the generated code at", derived[0]),
                              ("called from", derived[1])):
            for filename, lineno, col, function in places:
                code = linecache.getline(filename, lineno).strip() if filename and lineno \
                    else ""
                text += f"\n  {label} {filename}:{lineno}:{(col or 0) + 1}"
                text += f" in {function}" if function else ""
                text += f": {code}" if code else ""
        if self.hint:
            text += f"\nhint: {self.hint}"
        return text


#: generated file name -> [(line, column, end line, end column, the user's place)]: the
#: pieces of code adcompile generated to be differentiated again that are derivatives of
#: a user's statement, at (filename, lineno, col, callers) (ir/derived_lines.py)
_DERIVED = {}


def derive_lines(filename, spans):
    """Record the ``spans`` of generated file ``filename`` (ir.derived_lines.derived_spans)."""
    _DERIVED[filename] = list(spans)


def derived_from(filename, lineno, col):
    """The user's place (filename, lineno, col, callers) that the code at ``lineno``,
    ``col`` of generated file ``filename`` is the derivative of (the innermost piece there
    that is one), or None."""
    found, at = None, (lineno, col or 0)
    for *span, place in _DERIVED.get(filename, ()) if lineno else ():
        if (span[0], span[1]) <= at <= (span[2], span[3]) \
                and (found is None or (span[0], span[1]) >= (found[0][0], found[0][1])):
            found = (span, place)
    return None if found is None else found[1]


def _library_roots():
    """The directories installed packages and the standard library live in."""
    paths = sysconfig.get_paths()
    roots = {paths.get(k) for k in ("purelib", "platlib", "stdlib", "platstdlib")}
    roots |= {p for p in sys.path if p.endswith(("site-packages", "dist-packages"))}
    return tuple(str(Path(r).resolve()) for r in roots if r)


_LIBRARY_ROOTS = _library_roots()
_ADCOMPILE = str(Path(__file__).resolve().parent)


def in_a_library(filename):
    """Whether ``filename`` is a file of an installed package or the standard library."""
    if not filename or filename.startswith("<"):
        return False
    path = str(Path(filename).resolve())
    if path.startswith(_ADCOMPILE):
        return False
    return "site-packages" in path or "dist-packages" in path \
        or any(path.startswith(root + "/") for root in _LIBRARY_ROOTS)


def _called_at(filename, lineno, col):
    """The dotted name written at ``col`` of line ``lineno`` (the function of a call there,
    ``scipy.optimize.rosen``), or None."""
    line = linecache.getline(filename, lineno) if filename and lineno else ""
    found = re.match(r"[A-Za-z_][\w.]*", line[col or 0:])
    return found.group(0).rstrip(".") if found else None


class StaleGradient(TransformError):
    """A callable adcompile made is called after a function, class, or list or dict of
    functions that its function reads by name was rebound or changed (a helper redefined
    in a notebook, ``act = np.sin``, ``ACTS["tanh"] = f``): its code is the derivative of
    the function as it was. It points at the user's line reading the name; ``ad.grad(f)``
    again makes the code for the function as it is."""
