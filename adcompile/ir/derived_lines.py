"""Which user statement a piece of generated code is the derivative of, for messages.

Code adcompile generated can be differentiated again (``ad.grad(ad.grad(f))``); a
refusal there (a rule with no second derivative) is found in the generated code,
whose lines the user never wrote. The reverse pass marks the statements it makes
for a primitive, and the adjoint terms it adds up, with the user's node of that
primitive (``mark_derived``); when the code is written as text, ``derived_spans``
turns the marks into spans of the text, by which a message shows the user's line
(errors.derived_from).
"""

import ast

#: the attribute a generated statement or term carries: the user's node it derives from
DERIVATIVE_OF = "_adcompile_derivative_of"


def mark_derived(nodes, node):
    """Mark each of ``nodes`` (statements, expressions) not marked yet as a derivative of the
    user's ``node``."""
    for s in nodes:
        if getattr(s, DERIVATIVE_OF, None) is None:
            setattr(s, DERIVATIVE_OF, node)


def derived_spans(marked, text_tree, place):
    """The span (first line, its column, last line, its column) and ``place(node)`` of each
    node of ``text_tree`` (a tree parsed from the text ``marked`` was unparsed to, so of
    the same shape) whose node in ``marked`` is marked with the user's ``node``. Empty
    where the trees differ in shape."""
    spans = []
    for made, parsed in zip(ast.walk(marked), ast.walk(text_tree)):
        if type(made) is not type(parsed):
            return []
        node = getattr(made, DERIVATIVE_OF, None)
        if node is not None and hasattr(parsed, "end_lineno"):
            spans.append((parsed.lineno, parsed.col_offset, parsed.end_lineno,
                          parsed.end_col_offset, place(node)))
    return spans


def mark_spans(tree, spans):
    """Mark each node of ``tree`` (parsed from a text) whose place in the text is the span
    of one of ``spans`` (``derived_spans`` of that text) as a derivative of its place."""
    places = {span[:4]: span[4] for span in spans}
    for n in ast.walk(tree) if places else ():
        place = places.get((n.lineno, n.col_offset, n.end_lineno, n.end_col_offset)) \
            if hasattr(n, "end_lineno") else None
        if place is not None:
            mark_derived([n], place)
