"""Whether the source read from a file is the code that is running.

A module's file can be edited after it was imported (a notebook, a long session
while the user edits code). The text at the function's lines is then not what
runs, and differentiating it would give the gradient of code that does not run.
So the file is compiled again, from its text as the import did (every name in
the scope it has in the running code), and the code object at the function's
first line is compared with the running function's: instructions, their
arguments (constants, names, jump targets) and positions, and every nested code
object the same way. Default values written as literals are compared with the
function's defaults (they are not in its code); a list, dict or set written as a
default by its type only (calls may have changed the object since). The code of
``assert`` statements is left out: pytest rewrites them in the test modules it imports.
"""

import ast
import dis
import threading
import types

#: instructions that set up a frame's cells and the like
_PROLOGUE = {"RESUME", "COPY_FREE_VARS", "MAKE_CELL", "NOP", "CACHE", "EXTENDED_ARG"}

#: how a name is loaded, stored or deleted is compared as a load, store or delete
_SCOPED = {}
for _how in ("FAST", "DEREF", "GLOBAL", "NAME", "CLASSDEREF", "CLOSURE"):
    for _what in ("LOAD", "STORE", "DELETE"):
        _SCOPED[f"{_what}_{_how}"] = _what

_JUMPS = set(dis.hasjrel) | set(dis.hasjabs)

#: the last files compiled: filename -> (text, code object); a file's functions are read
#: one after another (a function and its helpers)
_compiled = {}
_compiled_lock = threading.Lock()
_KEEP = 8


def is_running_code(node, func, text, col_shift=0, defaults=True):
    """Whether ``node``, the ``def`` or ``lambda`` of ``func`` read from its file (whose
    text is ``text``; ``node``'s lines as in the file, its columns ``col_shift`` to the
    left), compiles to the code ``func`` runs (and, with ``defaults``, its literal
    defaults are ``func``'s)."""
    code = func.__code__
    compiled = _compile(code.co_filename, text)
    if compiled is None:
        return False
    candidates = [c for c in _code_objects(compiled)
                  if c.co_name == code.co_name and c.co_firstlineno == code.co_firstlineno]
    if isinstance(node, ast.Lambda):   # several lambdas can share a line: this one's code
        span = _span(node, col_shift)
        candidates = [c for c in candidates if all(
            _inside(where, span) for _, where in _placed(c)
            if (where[0], where[1]) != (where[2], where[3]))]   # (RESUME's has no width)
    if any(c == code for c in candidates):   # (the same byte code, constants, names, lines)
        return not defaults or same_defaults(node.args, func)
    skip = _rewritten(node, col_shift)
    mine = _fingerprint(code, skip)
    if any(_fingerprint(c, skip) == mine for c in candidates):
        return not defaults or same_defaults(node.args, func)
    return False


def _compile(filename, text):
    """The code of the file ``text`` (None if it does not compile). Compiled from the text,
    as the import did, so that every name has the scope it has in the running code."""
    with _compiled_lock:
        known = _compiled.get(filename)
        if known is not None and known[0] == text:
            return known[1]
    try:
        code = compile(text, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        code = None
    with _compiled_lock:
        while len(_compiled) >= _KEEP:
            _compiled.pop(next(iter(_compiled)))
        _compiled[filename] = (text, code)
    return code


def _code_objects(code):
    """``code`` and every code object in it, at any depth."""
    stack = [code]
    while stack:
        c = stack.pop()
        yield c
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))


def same_defaults(args, func):
    """Whether the literal default values in ``args`` (a def's) are ``func``'s."""
    given = func.__defaults__ or ()
    keywords = func.__kwdefaults__ or {}
    if len(args.defaults) != len(given) or \
            {a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None} \
            != set(keywords):
        return False
    pairs = list(zip(args.defaults, given)) + [
        (d, keywords[a.arg]) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
    for expr, value in pairs:
        try:
            written = ast.literal_eval(expr)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue   # an expression (a global's name, np.ones(3)): not known here
        if isinstance(written, (list, dict, set)):
            # one object made when the def ran, which calls may have changed since
            # (cache={}): what it holds now says nothing of the file
            if type(value) is not type(written):
                return False
        elif _constant(written, ()) != _constant(value, ()):
            return False
    return True


def _fingerprint(code, skip):
    """What a code object does, leaving out how its names' scopes are implemented and the
    code of the statements at the places ``skip`` lists (``_rewritten``)."""
    listed = [(ins, where) for ins, where in _placed(code) if ins.opname not in _PROLOGUE
              and not any(_inside(where, span) for span in skip)]
    # jumps by instruction, not byte offset (the caches of an instruction can differ)
    index = {ins.offset: i for i, (ins, _) in enumerate(listed)}
    return (code.co_name, code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount,
            code.co_firstlineno, tuple(
                (_SCOPED.get(ins.opname, ins.opname),
                 index.get(ins.argval, "out") if ins.opcode in _JUMPS
                 else _argument(ins, code, skip),
                 where) for ins, where in listed))


def _placed(code):
    """Each instruction of ``code`` with its (line, column, end line, end column); the
    columns None where Python does not record them."""
    line = None
    for ins in dis.get_instructions(code):
        if hasattr(ins, "line_number"):   # Python 3.13
            line = ins.line_number
        elif ins.starts_line:
            line = ins.starts_line
        positions = getattr(ins, "positions", None)
        if positions is None or positions.lineno is None:
            yield ins, (line, None, line, None)
        else:
            yield ins, (positions.lineno, positions.col_offset, positions.end_lineno,
                        positions.end_col_offset)


def _inside(place, span):
    line, col, end_line, end_col = place
    first, first_col, last, last_col = span
    if line is None or not first <= line <= end_line <= last:
        return False
    if col is None:
        return True
    return (line, col) >= (first, first_col) and (end_line, end_col) <= (last, last_col)


def _span(node, col_shift):
    """(line, column, end line, end column) of ``node`` in the file."""
    return node.lineno, node.col_offset + col_shift, node.end_lineno, \
        node.end_col_offset + col_shift


def _rewritten(node, col_shift):
    """The places in ``node`` of the statements an import hook may have rewritten:
    ``assert`` (pytest rewrites them in test modules to explain a failure)."""
    return [_span(n, col_shift) for n in ast.walk(node) if isinstance(n, ast.Assert)]


def _argument(ins, code, skip):
    if ins.opname == "MAKE_FUNCTION":   # its flags tell whether it has a closure
        return None
    if ins.opname == "KW_NAMES":   # (Python 3.11's dis does not show its names)
        return _constant(code.co_consts[ins.arg], skip)
    if _SCOPED.get(ins.opname) in ("LOAD", "STORE", "DELETE"):
        return ins.argval
    return _constant(ins.argval, skip)


def _constant(value, skip):
    if isinstance(value, types.CodeType):
        return _fingerprint(value, skip)
    if isinstance(value, (tuple, frozenset)):
        return type(value).__name__, tuple(_constant(v, skip) for v in value)
    return type(value).__name__, repr(value)
