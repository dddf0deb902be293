"""Strings, bools, None, ints and functions a call gives that choose the function called.

``act = ACTS[kind]``, ``if kind == "tanh": f = np.tanh``, ``act(x)`` with ``act=np.tanh``
a parameter: which function is called depends on a value the call gives for a parameter
that is not differentiated. Where normalizing refuses such a call (validate.py: a
function held in a variable), the parameters whose values would decide it become needs
(static_ints.py's mechanism, descriptor ``("choice", name)``): each call reads the value
again (dispatch.py), and the code is made, and cached, for that value; another value
makes or picks other code.

With the value given, the copy of the function is rewritten before its other syntax
passes (``choice_folding.fix_choices``): each read of the parameter is the value, a constant, and each
``if`` (and ``a if test else b``) whose test is then decided keeps only the branch
taken; a function given is the function itself (functions.function_table, as for a
helper's parameter given one). A helper called with such a value, or a string, bool or
None constant, for a parameter it never assigns has it too (``argument_choices``).

The options the differentiated function's ``**opts`` holds are such values too, where it
only reads them (``opts.get("kind", "tanh")``, ``opts["kind"]``, ``"kind" in opts``):
descriptor ``("choice", "opts", "kind")``, a str, bool, None or int, or ``MISSING`` where
the call does not give the option. So are settings read from module-level names, config
objects and dicts (config_reads.py: descriptor ``("read", where, name, steps)``), and an int
constant given to a helper's parameter that chooses its function (``FUNCS[i]``). Part of
``normalize.Normalizer``.
"""

import ast
import inspect

from ..ir import walk_tree
from ..ir.trees import is_function
from .config_reads import (UNREADABLE, Path, beyond, extend, follow, mutated, path_of,
                           read_paths, spelled)
from .passed_options import Keywords

#: the types of values a call may give for a choice, besides functions: exact types only
#: (a subclass of str, an np.bool_ or an np.int64 would read otherwise, as a constant)
CHOICE_TYPES = (str, bool, type(None), int)


def is_choice_value(value, option=False):
    """Whether a call may give ``value`` for a choice (``option``: for an option of
    ``**opts``): the code is specialised on it."""
    if option:
        return type(value) in CHOICE_TYPES or value is MISSING
    return type(value) in CHOICE_TYPES or is_function(value)


class _Missing:
    """What a call gives for an option of ``**opts`` it does not give."""

    def __repr__(self):
        return "<not given>"


MISSING = _Missing()


class StaticChoices:
    """Part of ``normalize.Normalizer``: the values a call gives that choose functions."""

    def root_choices(self):
        """({parameter: constant}, {parameter: function}) the call gave the differentiated
        function (``self.request.statics``)."""
        given = {need[1] if len(need) == 2 else need[1:]: value
                 for need, value in self.request.statics.items() if need[0] == "choice"}
        functions = {p: v for p, v in given.items() if is_function(v)}
        known = {p: v for p, v in given.items() if p not in functions}
        known.update(self.read_values(self.inlining.root, {}))
        known.update({Keywords(need[1]): value for need, value in
                      self.request.statics.items() if need[0] == "keys"})
        return known, functions

    def add_spread_needs(self, error, value, call):
        """Add to the TransformError ``error`` (a refusal of ``**value`` in ``call``) the
        need of the names of the options the call gives, where ``value`` is the
        differentiated function's ``**opts``: the code made for them passes each as a
        keyword. (Given, and one of them a keyword of ``call`` too: Python's TypeError.)"""
        need = ("keys", self._options_name())
        if not (isinstance(value, ast.Name) and value.id == need[1]):
            return
        twice = set(self.request.statics.get(need, ())) & {k.arg for k in call.keywords}
        if twice:
            raise TypeError(f"{ast.unparse(call.func)}() got multiple values for keyword "
                            f"argument {min(twice)!r}")
        if need not in self.request.statics:
            error.static_needs = list(getattr(error, "static_needs", ())) + [need]

    def read_values(self, source, given):
        """{key of choice_folding.fix_choices: value} of the settings the call gave (``("read", ...)``
        needs) that ``source``'s function reads: by the names of the module-level or
        closure names it reads, and through its parameters in ``given`` (parameter -> the
        need of what the caller passed)."""
        known = {}
        for need, value in self.request.statics.items():
            if need[0] != "read":
                continue
            where, name, steps = need[1:]
            if where == "param" and source is self.inlining.root \
                    or where != "param" and name not in source.params \
                    and self._where(source, name) == where:
                known[_key(name, steps)] = value
            for param, base in given.items():
                more = beyond(base, need)
                if more is not None:
                    known[_key(param, more)] = value
        return known

    def _where(self, src, name):
        """``"free"`` when the function of ``src`` reads ``name`` as the differentiated
        function would (a module-level or closure name of it), else None."""
        root = self.inlining.root
        if name in src.imports or name in root.imports or name in src.definitions:
            return None
        same = src is root or src.globals is root.globals and (
            src.closure is root.closure or name not in src.closure and name not in root.closure)
        return "free" if same and (name in root.closure or name in root.globals) else None

    def add_choice_needs(self, error, fn, decided_by):
        """Add to the TransformError ``error`` (a refusal in ``fn``) the needs of the values
        that decide ``decided_by`` (an expression, or None), which a call gives: the code
        made for them may do without what was refused (dispatch.py reads them)."""
        needs = self.choice_needs(fn, decided_by) if decided_by is not None else []
        if needs:
            error.static_needs = list(getattr(error, "static_needs", ())) + needs

    def choice_needs(self, fn, func):
        """The needs (not given yet) of the values that decide what ``func``, the function
        of a call in ``fn`` (the function being normalized, desugared), is: the parameters
        it reads, directly or through the locals it reads, their values and the tests of
        the branches and loops that assign them."""
        sources, options = _sources(fn), self._options(fn)
        todo, seen, found = [func], set(), []

        def add(need):
            if need is not None and need not in self.request.statics and need not in found:
                found.append(need)
        while todo:
            e = todo.pop()
            for key in _option_keys(e, options):
                add(("choice", options, key))
            for name, steps in read_paths(e):
                need = self._path_need(fn, name, steps) if steps and name != options \
                    and name not in sources else None
                if need is not None:
                    add(need)
                elif name not in seen:
                    seen.add(name)
                    add(self._choice_need(name))
                    todo.extend(sources.get(name, ()))
        return found

    def _path_need(self, fn, name, steps):
        """The need of the setting ``fn`` reads at ``name`` and ``steps`` (config_reads.py),
        or None: ``name`` a parameter given a value by the call, or a module-level or
        closure name holding, now, a str, bool, None or int there; never changed by
        ``fn``."""
        need = extend(self._base_need(name), steps)
        if need is None or mutated(fn, name):
            return None
        return need if self._may_choose(need) else None

    def _base_need(self, name):
        """The need of what ``name`` holds (whatever its type) when a call of the
        differentiated function gives it (see _choice_need), or it is a module-level or
        closure name of it; else None."""
        if self.scope.src is self.inlining.root and name in self.request.given_objects:
            return ("choice", name)   # (a structure's only through its settings: extend)
        if name in self.scope.choices:
            return self.scope.choices[name]
        if name in self.scope.locals or self._where(self.scope.src, name) is None:
            return None
        return ("read", "free", name, ())

    def _options(self, fn):
        """The name of the ``**opts`` parameter of the differentiated function ``fn`` when
        ``fn`` is it (desugared) and only reads the options (see the module's docstring),
        else None."""
        kwarg = fn.args.kwarg if self.scope.src is self.inlining.root else None
        return kwarg.arg if kwarg is not None and only_read(fn, kwarg.arg) else None

    def _choice_need(self, name):
        """The descriptor of the value a call of the differentiated function gives for the
        name ``name`` of the current function, or None."""
        need = self._base_need(name)
        if need is not None and need[0] == "choice" and len(need) == 2 \
                and need[1] in self.request.trees:
            return None   # (a structure: its settings may choose, see _path_need)
        return need if need is not None and self._may_choose(need) else None

    def _may_choose(self, need):
        """Whether the value ``need`` stands for may choose a function: a module-level
        setting holding, now, a str, bool, None or int; any other (a call gives it)."""
        if need[0] != "read" or need[1] == "param":
            return True
        value = follow(self.inlining.root.resolve(need[2], UNREADABLE), need[3])
        return type(value) in CHOICE_TYPES

    def argument_choices(self, func, call):
        """({parameter: value known now}, {parameter: need}) for inlining ``call`` of the
        helper ``func``: a string, bool or None constant (or default) given for a
        parameter, or a name whose value a call of the differentiated function gives."""
        try:
            bound = inspect.signature(func).bind(*call.args, **{k.arg: k.value
                                                                 for k in call.keywords})
        except (TypeError, ValueError):
            return {}, {}
        bound.apply_defaults()
        known, given = {}, {}
        source = self.inlining.sources.get(func)
        choosing = _choosing(source.node) if source is not None else set()
        for param, argument in bound.arguments.items():
            if isinstance(argument, ast.Constant):
                argument = argument.value
            elif isinstance(argument, (ast.Name, ast.Attribute, ast.Subscript)):
                need = self._argument_need(argument)
                if need is not None:
                    given[param] = need
                continue
            if type(argument) in (str, bool, type(None)) \
                    or type(argument) is int and param in choosing:
                known[param] = argument
        return known, given

    def _argument_need(self, argument):
        """The need of what the expression ``argument`` given to a helper holds, when a
        call of the differentiated function gives it (a parameter, an option of its
        ``**opts``, a setting of a module-level name: config_reads.py), else None."""
        option = option_read(argument)
        if option is not None and option[0] == self._options_name():
            return ("choice",) + option
        path = path_of(argument)
        if path is None or path[0] in self.scope.defined:
            return None
        return extend(self._base_need(path[0]), path[1])

    def _options_name(self):
        """The name of the differentiated function's ``**opts``, in it; else None."""
        kwarg = self.scope.src.node.args.kwarg if self.scope.src is self.inlining.root \
            else None
        return None if kwarg is None else kwarg.arg


def _key(name, steps):
    """The key of ``choice_folding.fix_choices`` for the path ``name``, ``steps``."""
    return Path(name, steps) if steps else name


def _choosing(fn):
    """The names ``fn`` (a def) may choose a function it calls by: read in the function
    of a call that is an item (``FUNCS[i](x)``) or a local name, or in what that local is
    given (and the tests around), or in ``getattr``'s name."""
    sources = _sources(fn)
    todo = [n.func for n in walk_tree(fn) if isinstance(n, ast.Call)
            and (isinstance(n.func, ast.Subscript)
                 or isinstance(n.func, ast.Name) and n.func.id in sources)]
    todo += [n.args[1] for n in walk_tree(fn) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Name) and n.func.id == "getattr" and len(n.args) > 1]
    found = set()
    while todo:
        for name in _names(todo.pop()):
            if name not in found:
                found.add(name)
                todo.extend(sources.get(name, ()))
    return found


def choice_names(needs):
    """How the user spells the values the needs ``needs`` stand for (parameters, options,
    settings: ``kind``, ``**opts['kind']``, ``CONFIG['act']``; ``**opts`` for the names of
    the options given), those that choose functions."""
    found = []
    for need in needs:
        if need[0] == "choice":
            found.append(need[1] if len(need) == 2 else f"**{need[1]}[{need[2]!r}]")
        elif need[0] == "read":
            found.append(spelled(need[2], need[3]))
        elif need[0] == "keys":
            found.append(f"**{need[1]}")
    return found


def option_read(node):
    """``(opts, "kind")`` for ``opts.get("kind"[, default])``, ``opts["kind"]`` (read) or
    ``"kind" in opts`` / ``not in``, ``opts`` a name; else None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "get" and isinstance(node.func.value, ast.Name) \
            and 1 <= len(node.args) <= 2 and not node.keywords:
        base, key = node.func.value, node.args[0]
    elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) \
            and isinstance(node.value, ast.Name):
        base, key = node.value, node.slice
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 \
            and isinstance(node.ops[0], (ast.In, ast.NotIn)) \
            and isinstance(node.comparators[0], ast.Name):
        base, key = node.comparators[0], node.left
    else:
        return None
    if isinstance(key, ast.Constant) and type(key.value) is str:
        return base.id, key.value
    return None


def only_read(fn, name):
    """Whether each read of ``name`` in ``fn`` reads an option with a constant key (see
    option_read), and nothing assigns it."""
    read = {(n.func.value if isinstance(n, ast.Call) else n.value if isinstance(
        n, ast.Subscript) else n.comparators[0]) for n in walk_tree(fn)
        if (option_read(n) or (None,))[0] == name}
    return all(n in read for n in walk_tree(fn) if isinstance(n, ast.Name)
               and n.id == name)


def _option_keys(e, options):
    """The keys of the options of ``**options`` that ``e`` reads."""
    if options is None:
        return []
    return [read[1] for n in walk_tree(e) for read in [option_read(n)]
            if read is not None and read[0] == options]


def _names(e):
    """The names ``e`` reads."""
    return [n.id for n in walk_tree(e)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]


def _sources(fn):
    """{name: the expressions its value may depend on}: for each statement of ``fn`` that
    assigns the name, the statement's own expressions (its value, its targets' indices, the
    sequence a loop walks) and the tests of the ``if`` and ``while`` statements and the
    sequences of the loops around it."""
    found = {}

    def visit(block, around):
        for s in block:
            own = [e for _, v in ast.iter_fields(s) for e in (v if isinstance(v, list) else [v])
                   if isinstance(e, ast.expr)]
            for n in walk_tree(own):
                if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
                    found.setdefault(n.id, []).extend(own + around)
            inner = around + [getattr(s, "test", None) or getattr(s, "iter", None)] \
                if isinstance(s, (ast.If, ast.While, ast.For)) else around
            for _, value in ast.iter_fields(s):
                if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                    visit(value, inner)
                elif isinstance(value, list) and value \
                        and isinstance(value[0], ast.excepthandler):
                    for handler in value:
                        visit(handler.body, inner)

    visit(fn.body, [])
    return found
