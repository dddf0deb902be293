"""A copy of a function rewritten for the values that choose what it calls (the values of
static_choices.py: a parameter's, an option's of ``**opts``, a setting's of config_reads.py):
each read of one as that constant, each ``if`` and ``a if test else b`` then decided as the
branch taken, and ``**opts`` passed on as the keywords given. Run first among the syntax
passes (desugar.py)."""

import ast
import copy

from ..ir import assigns, walk_tree
from .comprehension_items import UNDECIDED, decide
from .config_reads import Path, mutated, path_of
from .passed_options import Keywords, Spread
from .references import placed
from .source import NO_KEY
from .static_choices import CHOICE_TYPES, MISSING, only_read, option_read


def fix_choices(fn, known):
    """In ``fn`` (a copy of a def), each read of a parameter or module-level name in
    ``known`` (name -> string, bool, None or int; or an option's ``(opts, key)``, a
    setting's ``Path``) that ``fn`` never assigns (nor changes the object of) as that
    constant, and each ``if`` and ``a if test else b`` then decided as the branch taken;
    each ``**opts`` passed on as the keywords of the options given (a ``Keywords`` key:
    passed_options.py)."""
    stored = assigns([fn]) | {n.id for n in walk_tree(fn) if isinstance(n, ast.Name)
                              and not isinstance(n.ctx, ast.Load)}
    declared = {name for n in walk_tree(fn) if isinstance(n, (ast.Global, ast.Nonlocal))
                for name in n.names}
    spreads = {k.name: v for k, v in known.items() if isinstance(k, Keywords)
               and k.name not in stored and k.name not in declared}
    if spreads:
        fn.body = [Spread(spreads).visit(s) for s in fn.body]
    known = {k: v for k, v in known.items() if not isinstance(k, Keywords)}
    values = {p: v for p, v in known.items()
              if _base(p) not in stored and _base(p) not in declared
              and (isinstance(p, str) or isinstance(p, Path) and not mutated(fn, p.base)
                   or isinstance(p, tuple) and only_read(fn, p[0]))}
    if not values:
        return
    fn.body = [_Substitute(values).visit(s) for s in fn.body]
    for _ in range(2):   # (a constant assigned once may decide an if, and that another)
        fn.body = _folded(fn.body) or [placed(ast.Pass(), fn)]
        _propagate(fn, declared)


def _propagate(fn, declared):
    """Each read, after it, of a local ``fn`` assigns once, at the top of its body, a
    constant (``part1 = "sin"``, as nesting.py splits ``ACTS["tanh" if kind is None else
    kind]``) as that constant."""
    stores = {}
    for n in walk_tree(fn):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            stores[n.id] = stores.get(n.id, 0) + 1
    params = {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)}
    for at, s in enumerate(fn.body):
        if isinstance(s, ast.Assign) and len(s.targets) == 1 \
                and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Constant) \
                and type(s.value.value) in CHOICE_TYPES and stores[s.targets[0].id] == 1 \
                and s.targets[0].id not in params and s.targets[0].id not in declared:
            known = {s.targets[0].id: s.value.value}
            fn.body[at + 1:] = [_Substitute(known).visit(t) for t in fn.body[at + 1:]]


class _Substitute(ast.NodeTransformer):
    """Each read of a name in ``values`` as its value (not in a nested function or lambda
    that takes a parameter of that name); ``if`` expressions decided then as their branch."""

    def __init__(self, values):
        self.values = values

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and node.id in self.values:
            return placed(ast.Constant(self.values[node.id]), node)
        return node

    def _setting(self, node):
        """The constant a path read (``cfg.act``, ``CONFIG["act"]``) is, else None."""
        path = path_of(node) if isinstance(getattr(node, "ctx", ast.Load()), ast.Load) \
            else None
        key = Path(*path) if path is not None and path[1] else None
        if key is None or key not in self.values:
            return None
        return placed(ast.Constant(self.values[key]), node)

    def visit_Attribute(self, node):   # cfg.act
        found = self._setting(node)
        return found if found is not None else self.generic_visit(node)

    def visit_Call(self, node):   # opts.get("kind", "tanh")
        found = self._setting(node)   # (CONFIG.get("act", "tanh"))
        if found is not None:
            return found
        self.generic_visit(node)
        key = option_read(node)
        value = self.values.get(key, NO_KEY) if key is not None else NO_KEY
        if value is NO_KEY or not isinstance(node.func, ast.Attribute):
            return node
        if value is MISSING:
            return node.args[1] if len(node.args) == 2 else placed(ast.Constant(None), node)
        return placed(ast.Constant(value), node)

    def visit_Subscript(self, node):   # opts["kind"] (not given: a KeyError, as Python's)
        found = self._setting(node)   # (CONFIG["act"])
        if found is not None:
            return found
        self.generic_visit(node)
        value = self.values.get(option_read(node) or (), MISSING)
        return node if value is MISSING else placed(ast.Constant(value), node)

    def visit_Compare(self, node):   # "kind" in opts
        self.generic_visit(node)
        key = option_read(node)
        value = self.values.get(key, NO_KEY) if key is not None else NO_KEY
        if value is NO_KEY:
            return node
        given = value is not MISSING
        return placed(ast.Constant(given if isinstance(node.ops[0], ast.In) else not given),
                      node)

    def _scoped(self, node):
        args = node.args
        own = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs
               + [a for a in (args.vararg, args.kwarg) if a is not None]}
        outer = self.values
        self.values = {k: v for k, v in outer.items() if _base(k) not in own}
        try:
            return self.generic_visit(node)
        finally:
            self.values = outer

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _scoped

    def visit_IfExp(self, node):
        self.generic_visit(node)
        taken = _decided(node.test)
        if taken is UNDECIDED:
            return node
        return node.body if taken else node.orelse


def _folded(block):
    """The statements of ``block`` with each ``if`` whose test is decided as the branch it
    takes (in the blocks inside them too); a branch taken that ends with a jump (``return``,
    ``raise``, ``break``, ``continue``) ends the block."""
    found = []
    for s in block:
        if found and isinstance(found[-1], _JUMPS) and found[-1] not in block:
            break   # (the rest is never reached now)
        for field, value in ast.iter_fields(s):
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                setattr(s, field, _folded(value) or ([placed(ast.Pass(), s)]
                                                     if field == "body" else []))
            elif field == "handlers":
                for handler in value:
                    handler.body = _folded(handler.body) or [placed(ast.Pass(), handler)]
        taken = _decided(s.test) if isinstance(s, ast.If) else UNDECIDED
        if taken is UNDECIDED:
            found.append(s)
        else:
            found.extend(s.body if taken else s.orelse)
    return found


_JUMPS = (ast.Return, ast.Raise, ast.Break, ast.Continue)


def _decided(test):
    """The truth of ``test`` when it reads constants only (see comprehension_items.decide;
    ``v is None``, ``v is not True``: an identity with None, True or False too), else
    UNDECIDED."""
    test = _Identities().visit(copy.deepcopy(test))
    value = decide(test)
    return value if value is UNDECIDED else bool(value)


class _Identities(ast.NodeTransformer):
    """``a is b`` and ``a is not b`` of constants one of which is None, True or False, as
    their truth (those are the only objects of their values)."""

    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) != 1 or not isinstance(node.ops[0], (ast.Is, ast.IsNot)):
            return node
        a, b = node.left, node.comparators[0]
        if not (isinstance(a, ast.Constant) and isinstance(b, ast.Constant)) or not any(
                v is None or type(v) is bool for v in (a.value, b.value)):
            return node
        same = a.value is b.value
        return ast.Constant(same if isinstance(node.ops[0], ast.Is) else not same)


def _base(key):
    """The parameter a key of the values ``fix_choices`` is given names (an option's:
    ``(opts, "kind")``, a setting's: its Path's base)."""
    return key if isinstance(key, str) else key.base if isinstance(key, Path) else key[0]
