"""Flatten a function into the normalized form of ``ir``: one primitive per statement.

Active expressions (those that depend on a differentiated parameter) are
split so that each assignment applies one primitive to names; every
assignment gets a name of its own (a variable assigned again becomes
``h_2``); inactive expressions stay as the user wrote them. Anything that
cannot be differentiated correctly is rejected here, with the user's
file:line:col.

``Normalizer.enter`` runs the passes on a function's AST before its
statements (``desugar.desugar``, then functions of their own modules: the order is in
frontend/__init__.py). The traversal, statement by statement, is assembled
from parts, one module each (statements, assignments, control, loops, lists,
expressions, calls, rewritten_calls, inline, dependence, validate, ...); they
share the records of state.py: ``self.request`` (what is differentiated),
``self.scope`` (the function being normalized), ``self.out`` (what is built) and
``self.inlining``.
"""

import ast
import types

from .. import ir
from ..ir.naming import Namer, names_in
from ..errors import TransformError
from ..ir.trees import unpack
from ..rules import REGISTRY
from ..analysis.points_to import writes_into_arguments
from .assignments import Assignments
from .calls import Calls
from .changes import Changes
from .closures import Closure
from .complex_refusals import refuse_complex
from .control import ControlFlow
from .dependence import Dependence, varied_user_names, view_groups
from .dict_updates import DictUpdates
from .dtypes import FloatingTypes
from .effects import is_pure
from .expressions import Expressions
from .desugar import desugar
from .functions import Functions, function_table
from .inline import Inline
from .iteration import Iteration
from .list_facts import appended_lists, appended_tuples, check_nested_changes, fixed_lists
from .list_items import ListItems
from .lists import Lists
from .loop_variables import LoopVariables
from .loop_views import LoopViews
from .loops import Loops
from .source import NO_KEY, held_item, item_key
from .state import Inlining, Output, Request, Scope
from .super_calls import resolve_super_calls
from .static_choices import StaticChoices
from .static_ints import StaticInts
from .statements import Statements
from .texts import refuse_text_reads, text_names
from .item_desugar import spellings
from .items import Items
from .reflection import attributes_by_name
from .refusals import refuse_unsupported
from .returns import Returns, refuse_unrebuilt_mapping
from .rewritten_calls import RewrittenCalls
from .row_loops import RowChecks
from .row_views import RowViews
from .tree_binding import TreeBinding
from .tree_values import TreeValues
from .trees import Trees
from .tuple_lists import TupleLists
from .unroll import Unrolling
from .validate import Validation
from .views import Views


class Normalizer(Statements, Assignments, Items, ControlFlow, Loops, Iteration, Lists,
                 Expressions, Calls, RewrittenCalls, Inline, Trees, TreeValues, TreeBinding,
                 Changes, DictUpdates, Unrolling, Functions, Dependence, Validation, Views,
                 LoopViews, LoopVariables, TupleLists, ListItems, Returns, StaticInts,
                 StaticChoices, FloatingTypes, RowChecks, RowViews):
    """Normalizes one function (and the callees it inlines) for the parameters ``wrt``;
    ``trees`` gives the structure (ir/trees.py) of each parameter that is one, ``statics``
    the ints a call gave (static_ints.py)."""

    def __init__(self, source, wrt, registry=REGISTRY, trees=None, has_aux=False,
                 statics=None):
        self.registry = registry
        self.namer = Namer(names_in(source.node) | {"out_bar"})
        self.request = Request.of(source, wrt, trees, has_aux, statics, self.namer.fresh)
        self.inlining = Inlining.of(source)
        self.inlining.parts = {id(n) for tree in self.request.trees.values()
                               for n in tree.nodes()}
        self.out = Output(varied_ssa=set(self.request.wrt))
        self.scope = None

    def enter(self, source, env, varied_params, callers=(), trees=None, choices=None):
        """Make ``source`` the function being normalized, in a new ``Scope``: ``env`` maps
        its parameters to generated names, ``varied_params`` are those being differentiated,
        ``callers`` the call sites that inline it (none for the differentiated function),
        ``trees`` the structures its parameters are bound to, ``choices`` ({parameter:
        constant}, {parameter: need}) the values a call gives that choose functions
        (static_choices.py). ``env`` gives a parameter given a function its
        ``closures.Closure``.
        Runs the passes on its user AST, in the order below (frontend/__init__.py says
        what each does), and returns the ``def`` they leave."""
        known, given = choices or ({}, {})
        if source is not self.inlining.root:   # (the settings it reads: static_choices.py)
            known = {**known, **self.read_values(source, given)}
        fn, nested = desugar(source, callers, structures=set(trees or {}), choices=known)
        root = source is self.inlining.root
        if root:  # names the lowering added (result, returned) are taken too
            self.namer.taken |= names_in(fn)
            self.out.extra_globals.update(source.imports)   # (local_imports.py)
        plain = {p: n for p, n in env.items() if not isinstance(n, Closure)}
        stored = ir.assigns([fn])   # (the names the function assigns)
        scope = self.scope = Scope(source, next(self.inlining.numbers), plain,
                                   set(source.params) | stored,
                                   callers=tuple(callers), trees=dict(trees or {}))
        scope.structured = bool(scope.trees)
        scope.choices = {p: need for p, need in given.items() if p not in stored}
        if root:
            self.fix_params(fn)   # (the parameters a call may give a choice: static_choices.py)
        self.out.spellings.update({(scope.number, n): text for n, text in spellings(fn).items()})
        scope.fixed_trees = set(scope.trees) - stored
        scope.assigned_once = ir.assigned_once(fn) - set(source.params)
        scope.functions = function_table(fn, nested, env, scope, self.namer,
                                         self.out.extra_globals)
        attributes_by_name(fn, self.callee)
        scope.tuple_appends = appended_tuples(fn)
        scope.list_appends = appended_lists(fn)
        scope.fixed_lists = fixed_lists(fn, source.params)
        if not root:
            self.map_free_names(fn)
        scope.varied = varied_user_names(fn, set(varied_params), self.varies, self.callee)
        scope.texts = text_names(fn, self.varies)
        refuse_text_reads(fn, scope.texts, source.error, self._is_inert_call)
        # (a loop carries the names in them: not a parameter of an inlined function that
        # it never assigns, which is the caller's name)
        unassigned = set() if root else set(source.params) - stored
        scope.view_groups = {n: g - unassigned for n, g in view_groups(fn, self.callee).items()}
        resolve_super_calls(fn, source, scope, self.runtime_name)   # (super().f(x))
        try:
            refuse_unsupported(fn, source.error, self.callee,
                               comprehensions=not scope.structured)
        except TransformError as error:   # (getattr(np, act): act may be given: see there)
            self.add_choice_needs(error, fn, getattr(error, "decided_by", None))
            raise
        refuse_complex(fn, source.error, self.callee, self.varies)
        self.check_calls(fn)
        return fn

    def _is_inert_call(self, call):
        """Whether ``call`` is made for its effect only (print, logging) or gives a value no
        gradient flows through (len, int)."""
        called = self.callee(call.func)
        return called.kind == "object" and (self.registry.is_inert(called.what)
                                            or self.registry.is_nondifferentiable(called.what))

    def is_pure(self, tree):
        """Whether the user's expression ``tree`` only computes a value (see effects.py):
        a statement keeping it may be dropped when nothing reads what it assigns."""
        return is_pure(tree, self.callee)

    def function(self):
        """Normalize the differentiated function: its passes (``enter``), then its
        statements one by one, the returned value last; returns the ``ir.NormalFunction``."""
        source = self.inlining.root
        # (an argument not differentiated that is a structure is also the object itself,
        # for what reads it as a whole)
        request = self.request
        known, functions = self.root_choices()   # (static_choices.py)
        fn = self.enter(source, {p: Closure(functions[p]) if p in functions else p
                                 for p in source.params
                                 if p not in request.trees or p not in request.user_wrt},
                        set(request.user_wrt), trees=request.trees, choices=(known, {}))
        self.out.origin.update({p: (0, p) for p in request.params})
        for p, node in request.trees.items():   # a leaf is what the user reads it as
            self.out.origin.update({leaf: (0, ast.unparse(expr))
                                    for leaf, expr in unpack(p, node)})
        statements = list(fn.body)
        if not statements or not isinstance(statements[-1], ast.Return):
            raise source.error(fn, f"function {fn.name!r} must end with a return statement "
                                   f"returning the value to differentiate")
        self.statements(statements[:-1])
        ret = self.resolve_statement(statements[-1])
        mark = len(self.out.body)
        normal = self._function(ret)
        for s in ir.walk(normal.body[mark:]):   # statements made for the returned expression
            if isinstance(s, ir.Keep) and s.origin is None:
                s.origin = (self.scope.src, ret)
        return normal

    def _function(self, ret):
        """The normalized function, ``ret`` (the final return) normalized last."""
        if ret.value is None:
            raise self.scope.src.error(ret, "return without a value: nothing to differentiate")
        output_tree = self.tree_value(ret.value) \
            if not self.request.has_aux and self.might_be_tree(ret.value) else None
        if output_tree is not None:   # a structure: its leaves are the outputs
            refuse_unrebuilt_mapping(self.scope.src, output_tree, ret)
            outputs, tuple_output = [ir.load(leaf.name) for leaf in output_tree.leaves()], True
            self._name_classes(output_tree)
        else:
            outputs, tuple_output = self._outputs(ret)
        for out in outputs:
            if isinstance(out, ast.Name) and out.id in self.out.lists:
                raise self.scope.src.error(ret, "returning a list of values being differentiated "
                                                "is not supported; return a tuple of them")
        if self.out.holders:
            check_nested_changes(self.out.body, self.out.lists, self.scope.src)
        request = self.request
        fn = ir.NormalFunction(self.scope.src, list(request.params), request.wrt,
                               self.out.body, outputs, tuple_output, self.namer,
                               has_aux=request.has_aux)
        fn.trees = request.trees
        fn.choices = self.root_choices()[0]
        fn.user_wrt = list(request.user_wrt)
        fn.output_tree = output_tree
        fn.extra_globals = self.out.extra_globals
        _capture_called_globals(self.out.body, self.inlining.root, fn.extra_globals,
                                self.namer)
        fn.lists = self.out.lists
        fn.holders = self.out.holders
        fn.writes_into_leaves = writes_into_arguments(fn, self.out.written_leaves)
        fn.rebindings = self.out.rebindings
        fn.maybe_undefined = self.out.maybe_undefined
        fn.origin = self.out.origin
        fn.spellings = self.out.spellings
        return fn


def _capture_called_globals(body, root, extra, namer):
    """Bind in ``extra`` (captured when the code is compiled) each global or closure name
    a primitive of ``body`` calls (``act(x)``, ``act = np.tanh`` in the module) to the
    function it names now: the backward sweep applies that function's rule, so the
    forward sweep must call that function, whatever the name is bound to later. A call
    of an item (``ACTS[0](x)``, ``[np.tanh, act][1](x)``) calls its function under a name
    of its own, captured so too."""
    for s in ir.walk(body):
        call = s.expr if isinstance(s, ir.Op) and isinstance(s.expr, ast.Call) else None
        if call is not None and isinstance(call.func, ast.Subscript):
            call.func = _item_called(call.func, root, extra, namer)
        func = call.func if call is not None else None
        if not isinstance(func, ast.Name) or func.id in extra:
            continue
        if func.id in root.globals or func.id in root.closure:
            obj = root.resolve(func.id, None)
            if obj is not None and not isinstance(obj, types.ModuleType):
                extra[func.id] = obj


def _item_called(func, root, extra, namer):
    """What calls the function the item ``func`` (``seq[k]``, k an int; ``d[k]``, k a key
    of a dict) is now: the display's element itself, or a fresh name bound in ``extra`` to
    the item of a global sequence or dict; ``func`` where it is neither."""
    k = item_key(func.slice)
    seq = func.value
    if k is NO_KEY:
        return func
    if isinstance(seq, (ast.Tuple, ast.List)):
        return ir.copy_tree(seq.elts[k]) if type(k) is int and -len(seq.elts) <= k < len(
            seq.elts) else func
    held = extra.get(seq.id, root.resolve(seq.id, None)) if isinstance(seq, ast.Name) \
        else None
    item = held_item(held, k)
    if item is NO_KEY:
        return func
    name = getattr(item, "__name__", "function")
    name = namer.fresh(name if name.isidentifier() else "function")
    extra[name] = item
    return ir.load(name)
