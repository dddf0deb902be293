"""Text made of values being differentiated (``message = f"loss {loss:.3f}"``).

An f-string or a ``%`` formatting of a value that varies makes a string that could be
read back as the number (``float(f"{x}")`` is ``x``), and no rule differentiates through
text. Such a string may be printed, logged, warned, raised or asserted with, formatted
into more text, compared, or given to a function no gradient flows through (``len``);
its assignment is then kept as written. Any other read of a name holding it is refused
where it is read (``text_names`` and ``refuse_text_reads``, asked once per function by
normalize.py; ``is_text`` tells the assignments kept).
"""

import ast

from .. import ir

#: why text of a value being differentiated is refused, and what to write instead
TEXT_HINT = ("; its text could be read back as the number (float(f'{x}') is x), which "
             "adcompile would not differentiate: print or log it directly, or format "
             "ad.stop_gradient(x)")


def is_text(e):
    """Whether ``e`` formats text: an f-string, or ``"..." % values``."""
    return isinstance(e, ast.JoinedStr) or isinstance(e, ast.BinOp) \
        and isinstance(e.op, ast.Mod) and (isinstance(e.left, ast.JoinedStr) or isinstance(
            e.left, ast.Constant) and isinstance(e.left.value, (str, bytes)))


def text_names(fn, varies):
    """The user names ``fn`` assigns text of a value that varies (``varies(e)``), by a
    statement ``name = text`` (nested functions included)."""
    return {node.targets[0].id for node in ir.walk_tree(fn)
            if isinstance(node, ast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name) and is_text(node.value)
            and varies(node.value)}


def refuse_text_reads(fn, texts, error, inert):
    """Raise ``error(node, message)`` at the first read of a name of ``texts`` other than
    in a call ``inert(call)`` says is for its effect only or gives no gradient (print,
    logging, len), a comparison, a ``raise``, an ``assert``'s message, or text assigned to
    a name of ``texts``."""
    if not texts:
        return

    def visit(node, allowed):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) \
                and node.id in texts and not allowed:
            raise error(node, f"{node.id!r} holds text made of a value being differentiated, "
                              f"read here other than by print, logging or len()" + TEXT_HINT)
        if isinstance(node, ast.Call) and inert(node) \
                or isinstance(node, (ast.Raise, ast.Compare)):
            allowed = True
        if isinstance(node, ast.Assert):
            visit(node.test, allowed)
            if node.msg is not None:
                visit(node.msg, True)
            return
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id in texts \
                and is_text(node.value):
            allowed = True
        for child in ast.iter_child_nodes(node):
            visit(child, allowed)

    for stmt in fn.body:
        visit(stmt, False)
