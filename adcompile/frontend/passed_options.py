"""``**opts`` of the differentiated function passed on in a call (``layer(x, **opts)``):
once a call's options are known (static_choices.py's need ``("keys", opts)``, the names
of the options it gives), the code made for them passes each as a keyword of its own,
``layer(x, act=opts["act"])``, which then reads as any option does."""

import ast
from dataclasses import dataclass

from .references import placed


@dataclass(frozen=True)
class Keywords:
    """The key of ``fix_choices`` for the names of the options a call gives ``**name``."""

    name: str


class Spread(ast.NodeTransformer):
    """Each ``**opts`` passed on in a call (``layer(x, **opts)``) as a keyword for each
    option the call gives, ``layer(x, act=opts["act"])`` (where the call names none of them
    itself: Python's TypeError is left to say so)."""

    def __init__(self, spreads):
        self.spreads = spreads

    def visit_Call(self, node):
        self.generic_visit(node)
        explicit = {k.arg for k in node.keywords if k.arg is not None}
        keywords = []
        for k in node.keywords:
            names = self.spreads.get(k.value.id) if k.arg is None \
                and isinstance(k.value, ast.Name) else None
            if names is None or explicit & set(names):
                keywords.append(k)
                continue
            keywords += [placed(ast.keyword(arg=name, value=placed(ast.Subscript(
                placed(ast.Name(k.value.id, ast.Load()), k.value),
                placed(ast.Constant(name), k.value), ast.Load()), k.value)), k)
                for name in names]
        node.keywords = keywords
        return node
