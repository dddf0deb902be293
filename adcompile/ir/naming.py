"""The one naming scheme of generated code.

User names are kept. A variable assigned again gets a numbered version
(``h``, ``h_2``, ``h_3``); expression temporaries are ``t1, t2, ...``; the
adjoint of ``v`` is ``v_bar``. A name is never handed out twice and never
collides with a name the user's function mentions.
"""

import ast
import keyword

from .walks import walk_tree


def names_in(tree):
    """Every identifier that appears in ``tree``."""
    found = set()
    for node in walk_tree(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found.add(node.name)
    return found


def fresh_name(base, taken):
    """``base`` if it is not in the set ``taken`` (and is a name), else ``base_2``,
    ``base_3``, ... (``kw_2``, ... for a base that is no name); added to ``taken``."""
    name, n = base, 1
    while name in taken or not name.isidentifier():
        n += 1
        name = f"{base}_{n}" if base.isidentifier() else f"kw_{n}"
    taken.add(name)
    return name


class Namer:
    """Hands out fresh names that collide with nothing taken before."""

    def __init__(self, taken=()):
        self.taken = set(taken)
        self.temps = set()         # names handed out by temp(): the compiler's, not the user's
        self.bar_of = {}           # adjoint variable -> the variable it is the adjoint of
        self.made = set()          # names handed out by fresh()
        self._counters = {}

    def copy(self):
        """A namer that hands out what this one would, from now on independently."""
        new = Namer.__new__(Namer)
        new.taken, new.temps, new.made = set(self.taken), set(self.temps), set(self.made)
        new.bar_of, new._counters = dict(self.bar_of), dict(self._counters)
        return new

    def take(self, name):
        self.taken.add(name)
        return name

    def fresh(self, base):
        """``base`` if free (and not a Python keyword: ``as``, the steps of ``a``), else
        ``base_2``, ``base_3``, ..."""
        if base not in self.taken and not keyword.iskeyword(base):
            self.made.add(base)
            return self.take(base)
        n = self._counters.get(base, 1)
        while True:
            n += 1
            candidate = f"{base}_{n}"
            if candidate not in self.taken:
                self._counters[base] = n
                self.made.add(candidate)
                return self.take(candidate)

    def temp(self, prefix="t"):
        """The next numbered temporary: ``t1``, ``t2``, ..."""
        n = self._counters.get(("temp", prefix), 0)
        while True:
            n += 1
            candidate = f"{prefix}{n}"
            # not t6 beside an unrelated t6_bar (in a gradient differentiated again): the
            # adjoint of t6 is called t6_bar
            if not {candidate, f"{candidate}_bar", f"{candidate}_dot"} & self.taken:
                self._counters[("temp", prefix)] = n
                if prefix == "t":
                    self.temps.add(candidate)
                return self.take(candidate)

    def version(self, name):
        """A new name for another assignment to the user variable ``name``."""
        return self.fresh(name)

    def bar(self, name):
        """The adjoint variable of ``name``."""
        bar = self.fresh(f"{name}_bar")
        self.bar_of[bar] = name
        return bar
