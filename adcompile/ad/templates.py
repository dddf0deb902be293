"""Inlining a rule template at one use of its primitive.

``instantiate`` substitutes the use's names into the template, decides the
template's compile-time ``if`` tests, renames its local temporaries and
returns the statements to emit plus, for each active input, the expression
that input's adjoint receives.
"""

import ast

from ..errors import TransformError
from ..ir import copy_tree, same_tree
from ..analysis.shapes import indexed_shape
from ..optimize.simplify import number, number_node, simplify
from ..rules import broadcasts

UNKNOWN = object()


class Instance:
    """What inlining a template gives: statements to emit, and each input's contribution."""

    def __init__(self):
        self.statements = []
        self.contributions = []   # (input index, expression)


def instantiate(rule, output, output_bar, inputs, statics, wanted, ndim_of, namer, aliases,
                dots=None, extra=None, full_of=None, shape_of=None, refused_at=None):
    """Inline ``rule`` for ``output = prim(*inputs, **statics)``.

    wanted: indices of the inputs whose adjoints are needed.
    ndim_of: expression -> known ndim or None.
    full_of: expression -> True when it is known to have no axis of length 1.
    shape_of: expression -> its symbolic shape (analysis.infer_shapes), None if unknown.
    aliases: runtime name -> the name it has in the generated code.
    refused_at: reason -> the text of the refusal at this use (the user's file:line:col and
    line), for the checks made when the code runs of the refusals not decided now.
    dots: for a tangent (``rule.tangent`` or one derived from the adjoint), input index ->
    the expression of that input's tangent; ``output_bar`` is then unused and each
    contribution is a term of the output's tangent.
    extra: generated name -> object, where the other names a user's rule reads are added.
    """
    body, where = _template(rule, dots)
    params = _params(rule, output, output_bar, inputs, statics, dots)
    inliner = _Inliner(rule, output, inputs, params, wanted, dots, ndim_of, namer)
    inliner.refused_at, inliner.aliases, inliner.shape_of = refused_at, aliases, shape_of
    resolve = _user_names(where, namer, extra) if where is not None else None
    inliner.substitute = _substitution(rule, inputs, ndim_of, full_of, params,
                                       inliner.local_names, aliases, resolve, shape_of)
    if dots is not None and rule.tangent is not None:
        # a tangent written out refuses what the adjoint refuses (np.quantile's method=; one
        # derived from the adjoint has its refusals)
        inliner.check_refusals(rule.body)
    inliner.run(body)
    return inliner.inst


def _template(rule, dots):
    """The template statements to inline (the adjoint's, or for a tangent its own or the one
    derived from the adjoint) and the globals of a user's template (None for built-ins)."""
    if dots is None:
        return rule.body, getattr(rule, "user_globals", None)
    if rule.tangent is None:
        return derived_tangent(rule), getattr(rule, "user_globals", None)
    where = getattr(rule, "tangent_globals", None) or getattr(rule, "user_globals", None)
    return rule.tangent, where


def _params(rule, output, output_bar, inputs, statics, dots):
    """Template name -> the expression it stands for at this use: the result, its bar, the
    inputs, the inputs' tangents and the statics."""
    params = {rule.output: ast.Name(id=output, ctx=ast.Load()),
              f"{rule.output}_bar": ast.Name(id=output_bar, ctx=ast.Load())}
    for name, e in zip(rule.inputs, inputs):
        params[name] = e
    for i, e in (dots or {}).items():
        params[f"{rule.inputs[i]}_dot"] = e
    params.update(statics)
    return params


def _substitution(rule, inputs, ndim_of, full_of, params, local_names, aliases, resolve,
                  shape_of=None):
    """``substitute(tree)``: a template expression at this use, with the ``unbroadcast``
    calls that can have nothing to do dropped and the names replaced."""
    index = {name: i for i, name in enumerate(rule.inputs)}
    # inputs that cannot broadcast another one up: known scalars (but not a constant input of
    # a primitive that does not broadcast, which may be a shape: np.full(3, a)), and repeats
    # of the same name
    shaping = () if broadcasts(rule) else getattr(rule, "constant", ())
    scalar_inputs = {i for i, e in enumerate(inputs)
                     if ndim_of(e) == 0 and rule.inputs[i] not in shaping}
    # the ndims of the inputs known to have no axis of length 1 (None for the others): the
    # result of a broadcasting primitive of such inputs has the shape of the one of most
    # dimensions
    full_ndims = [ndim_of(e) if full_of(e) else None for e in inputs] \
        if full_of is not None and broadcasts(rule) else []
    # the inputs nothing was broadcast into, by their symbolic shapes
    exact = _exact_inputs(rule, inputs, shape_of) if shape_of is not None else set()

    dropped = _unbroadcast_dropped(index, scalar_inputs, inputs, full_ndims, exact)

    def substitute(tree):
        return _Substitute(params, local_names, aliases, resolve, index, dropped).visit(tree)

    return substitute


class _Inliner:
    """Runs a template's statements at one use: decides its ``if`` tests, collects the
    contributions of the wanted inputs and renames its temporaries."""

    def __init__(self, rule, output, inputs, params, wanted, dots, ndim_of, namer):
        self.rule, self.output, self.inputs, self.params = rule, output, inputs, params
        self.wanted, self.dots, self.ndim_of, self.namer = wanted, dots, ndim_of, namer
        self.index = {name: i for i, name in enumerate(rule.inputs)}
        self.local_names = {}       # template temporary -> its fresh name
        self.substitute = None      # template expression -> the expression at this use
        self.refused_at, self.aliases = None, {}   # (see instantiate)
        self.shape_of = None        # expression -> its symbolic shape, or None (instantiate)
        self.inst = Instance()

    def run(self, body):
        """Inline the statements of ``body``."""
        for stmt in body:
            if isinstance(stmt, ast.Pass):
                continue
            if isinstance(stmt, ast.If):
                decided = self.decide(stmt.test)
                if decided is UNKNOWN and _refusal_in(stmt.body) is not None:
                    self._refused_when_run(stmt.test, _refusal_in(stmt.body))
                self.run(stmt.body if decided is True else stmt.orelse)
            elif isinstance(stmt, ast.AugAssign):
                self._contribution(stmt)
            elif isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name)
                                                      for t in stmt.targets):
                self._temporary(stmt)
            elif _is_refusal(stmt):
                # unsupported("message"): a use the rule cannot differentiate is refused
                raise TransformError(stmt.value.args[0].value)
            else:
                raise TransformError(f"rule {self.rule.describe()}: unsupported template "
                                     f"statement {ast.unparse(stmt)!r}")

    def _refused_when_run(self, test, reason):
        """``if test: unsupported(reason)`` where ``test`` is known only when the code runs
        (an input's ndim, a keyword given a variable): ``require_supported(accepted,
        message)`` there, ``accepted`` the negation of what ``test`` leaves undecided, the
        message the refusal of code made for known values (the code goes on as for a test
        that is false)."""
        left = _undecided(test, self.decide)
        accepted = self.substitute(_RunTimeNdim().visit(_negated(copy_tree(left))))
        message = self.refused_at(reason) if self.refused_at is not None else reason
        check = ast.Call(func=ast.Name(id=self.aliases.get("require_supported",
                                                           "require_supported"),
                                       ctx=ast.Load()),
                         args=[accepted, ast.Constant(message)], keywords=[])
        self.inst.statements.append(ast.Expr(value=check, lineno=0))

    def decide(self, test):
        """The template ``if`` test ``test`` at this use: True, False or UNKNOWN."""
        return _decide(test, self.params, self.index, self.inputs, self.ndim_of, self.rule,
                       self.shape_of)

    def branch(self, stmt):
        """The statements of the template ``if`` ``stmt`` taken at this use. A test not
        decided when transforming (an ndim known only when the code runs, a static given
        as an expression: ``dtype=int``, ``method=m``) takes the else branch (a refusal in
        the first branch is then checked when the code runs: ``run``)."""
        decided = self.decide(stmt.test)
        return stmt.body if decided is True else stmt.orelse

    def check_refusals(self, body):
        """Raise the refusal the template statements ``body`` reach at this use, if any."""
        for stmt in body:
            if isinstance(stmt, ast.If):
                self.check_refusals(self.branch(stmt))
            elif _is_refusal(stmt):
                raise TransformError(stmt.value.args[0].value)

    def _contribution(self, stmt):
        """``v_bar += E`` (or ``y_dot += E`` reading ``v_dot``): E for input v, if wanted."""
        if self.dots is not None:
            read = {n.id[:-len("_dot")] for n in ast.walk(stmt.value)
                    if isinstance(n, ast.Name) and n.id.endswith("_dot")
                    and n.id[:-len("_dot")] in self.index}
            (i,) = [self.index[v] for v in read]
            needed = i in self.dots
        else:
            i = self.index[stmt.target.id[:-len("_bar")]]
            needed = i in self.wanted
        if needed:
            self.inst.contributions.append((i, self.substitute(stmt.value)))

    def _temporary(self, stmt):
        """``t = E``: a template temporary, emitted under a fresh name; one that is a number
        or another name at this use (``s = 1.0`` where scale is left out, ``s = scale``) is
        not emitted: its uses read that number or name."""
        value = simplify(self.substitute(stmt.value))
        if len(stmt.targets) == 1 and (isinstance(value, ast.Name)
                                       or number(value) is not None):
            self.params[stmt.targets[0].id] = value
            self.local_names.pop(stmt.targets[0].id, None)
            return
        for t in stmt.targets:
            self.params.pop(t.id, None)   # (a temporary assigned again)
            self.local_names[t.id] = self.namer.fresh(f"{self.output}_{t.id}")
        targets = [ast.Name(id=self.local_names[t.id], ctx=ast.Store()) for t in stmt.targets]
        self.inst.statements.append(ast.Assign(targets=targets, value=value, lineno=0))


def _is_refusal(stmt):
    """Whether ``stmt`` is a template's ``unsupported("message")``."""
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name) and stmt.value.func.id == "unsupported")


def _refusal_in(body):
    """The reason of the refusal that ``body`` (a template ``if``'s) is, or None."""
    stmts = [s for s in body if not isinstance(s, ast.Pass)]
    if stmts and all(_is_refusal(s) for s in stmts):
        return stmts[0].value.args[0].value
    return None


def _undecided(test, decide):
    """The part of the template test ``test`` that ``decide`` (a test -> True, False or
    UNKNOWN) leaves undecided: ``ndim(a) != 2 or ndim(b) < 1`` where a is known to be a
    matrix is ``ndim(b) < 1``; True or False where it decides all."""
    if isinstance(test, ast.BoolOp):
        absorbing = isinstance(test.op, ast.Or)   # (True in an or, False in an and)
        left = []
        for value in test.values:
            part = _undecided(value, decide)
            if part is absorbing:
                return absorbing
            if part is not (not absorbing):
                left.append(part)
        if not left:
            return not absorbing
        return left[0] if len(left) == 1 else ast.BoolOp(op=test.op, values=left)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        part = _undecided(test.operand, decide)
        return (not part) if isinstance(part, bool) else ast.UnaryOp(op=ast.Not(), operand=part)
    found = decide(test)
    return test if found is UNKNOWN else found


_INVERSE = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.GtE, ast.GtE: ast.Lt,
            ast.Gt: ast.LtE, ast.LtE: ast.Gt, ast.Is: ast.IsNot, ast.IsNot: ast.Is}


def _negated(test):
    """``not test``, written with the opposite comparisons (``ndim(a) < 2``: ``ndim(a) >=
    2``; an ``or``: an ``and`` of the negated parts)."""
    if isinstance(test, ast.BoolOp):
        op = ast.And() if isinstance(test.op, ast.Or) else ast.Or()
        return ast.BoolOp(op=op, values=[_negated(v) for v in test.values])
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return test.operand
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        return ast.Compare(left=test.left, ops=[_INVERSE[type(test.ops[0])]()],
                           comparators=test.comparators)
    return ast.UnaryOp(op=ast.Not(), operand=test)


class _RunTimeNdim(ast.NodeTransformer):
    """A template test's ``ndim(x)`` and ``known_length(x, axis)`` as the code that runs
    computes them: ``np.ndim(x)``, ``np.shape(x)[axis]``."""

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "ndim":
            node.func = ast.Attribute(value=ast.Name(id="np", ctx=ast.Load()), attr="ndim",
                                      ctx=ast.Load())
        elif isinstance(node.func, ast.Name) and node.func.id == "known_length":
            shape = ast.Call(func=ast.Attribute(value=ast.Name(id="np", ctx=ast.Load()),
                                                attr="shape", ctx=ast.Load()),
                             args=[node.args[0]], keywords=[])
            return ast.Subscript(value=shape, slice=node.args[1], ctx=ast.Load())
        return node


def _named(key):
    """How a user writes the primitive ``key`` (a rule key: an object, or a method's name)."""
    if isinstance(key, str):
        return key
    module = getattr(key, "__module__", None) or ""
    name = getattr(key, "__qualname__", None) or getattr(key, "__name__", None) or repr(key)
    if "<locals>" in name:   # a function defined in a function: called by its own name
        name = key.__name__
    if module == "numpy" or module.startswith("numpy.") or type(key).__module__ == "numpy":
        return f"np.{getattr(key, '__name__', name)}"
    if module == "math":
        return f"math.{name}"
    return name


def missing_tangent(rule):
    """The refusal of forward mode through ``rule``, which has no tangent, with how to give it
    one: ``@f.tangent`` for a function marked ``ad.primitive``, else ``ad.tangent_rule(f)``."""
    key = rule.keys[0] if rule.keys else None
    name = _named(key) if key is not None else rule.name
    how = f"ad.tangent_rule({name})"
    if getattr(key, "_adcompile_primitive", False):
        how = f"@{name}.tangent (or {how})"
    return (f"the adjoint rule of {name} ({rule.filename}:{rule.lineno}) has no tangent, and "
            f"none can be read off an adjoint of result shape {rule.shape.name!r} (only "
            f"'elementwise' and 'scalar' ones): write one with {how}, with one "
            f"'{rule.output}_dot += ...' line per input")


def derived_tangent(rule):
    """The tangent of an elementwise rule, read off its adjoint.

    An elementwise primitive's Jacobian is diagonal after broadcasting, so each adjoint line
    ``x_bar += unbroadcast(y_bar * D, x)`` is the tangent line ``y_dot += rebroadcast(x_dot
    * D, y)`` (``rebroadcast`` is dropped with ``unbroadcast`` where nothing is broadcast)."""
    if not rule.shape.tangent_from_adjoint:
        raise TransformError(missing_tangent(rule))
    bar = f"{rule.output}_bar"

    class Flip(ast.NodeTransformer):
        def __init__(self, v):
            self.v = v

        def visit_Name(self, node):
            return ast.Name(id=f"{self.v}_dot", ctx=node.ctx) if node.id == bar else node

        def visit_Call(self, node):
            self.generic_visit(node)
            if isinstance(node.func, ast.Name) and node.func.id == "unbroadcast":
                node.func.id = "rebroadcast"
                node.args = [node.args[0], ast.Name(id=rule.output, ctx=ast.Load()), node.args[1]]
            return node

    def flip(body):
        out = []
        for stmt in body:
            stmt = copy_tree(stmt)
            if isinstance(stmt, ast.If):
                stmt.body, stmt.orelse = flip(stmt.body), flip(stmt.orelse)
            elif isinstance(stmt, ast.AugAssign):
                v = stmt.target.id[:-len("_bar")]
                stmt = ast.AugAssign(target=ast.Name(id=f"{rule.output}_dot", ctx=ast.Store()),
                                     op=ast.Add(), value=Flip(v).visit(stmt.value))
            out.append(stmt)
        return out

    return flip(rule.body)


def _user_names(where, namer, extra):
    """For a user's rule: the generated-code name of a free name of its template, which
    ``where`` (the globals of the rule's module) defines; added to ``extra``."""
    import builtins

    def resolve(name):
        if name not in where:
            if hasattr(builtins, name):
                return name
            raise TransformError(f"a rule template reads {name!r}, which its module does not "
                                 f"define")
        obj = where[name]
        for known, value in extra.items():
            if value is obj:
                return known
        fresh = namer.fresh(name)
        extra[fresh] = obj
        return fresh

    return resolve


class _Substitute:
    """A template expression at one use, made as a copy of the template's (which is left as
    it is): its ``unbroadcast`` calls that can have nothing to do dropped (``dropped(name)``,
    decided on the template's names), the names replaced. (One walk: what copying the
    template and then rewriting the copy, as ``ir.copy_tree`` and ``ir.Transformer`` do,
    makes.)"""

    def __init__(self, params, local_names, aliases, resolve=None, index=(),
                 dropped=lambda name: False):
        self.params = params
        self.local_names = local_names
        self.aliases = aliases
        self.resolve = resolve
        self.index, self.dropped = index, dropped

    def visit(self, node):
        cls = node.__class__
        if cls is ast.Name:
            return self.visit_Name(node)
        if cls is ast.Call and node.func.__class__ is ast.Name:
            func, args = node.func, node.args
            if func.id == "unbroadcast" and len(args) == 2 \
                    and isinstance(args[1], ast.Name) and args[1].id in self.index:
                if self.dropped(args[1].id):
                    return self.visit(args[0])
            elif func.id == "rebroadcast" and len(args) == 3:
                if self.dropped(args[2].id):
                    return self.visit(args[0])
                return self._copy(node, args[:2])
        if cls is ast.Call and _is_np_negative(node):
            made = self._copy(node)
            value = number(made.args[0])   # (np.roll's -shift of a constant shift: -1)
            return made if value is None else number_node(-value)
        if isinstance(node, ast.expr_context):
            return node
        return self._copy(node)

    def _copy(self, node, args=None):
        """A copy of ``node`` with its children visited in the order of its fields (as
        ``ir.Transformer`` visits them); ``args``: a call's, instead of its own."""
        node_type, own = ast.AST, node.__dict__
        children = {}
        for key in node._fields:
            value = args if key == "args" and args is not None else own.get(key, node)
            if value.__class__ is list:
                children[key] = [self.visit(v) if isinstance(v, node_type) else v
                                 for v in value]
            elif isinstance(value, node_type):
                children[key] = self.visit(value)
            elif value is not node:   # (a field the node lacks stays absent)
                children[key] = value
        made = node.__class__.__new__(node.__class__)
        for key, value in own.items():   # (positions, and anything else, copied as is)
            made.__dict__[key] = children[key] if key in children else value \
                if isinstance(value, (int, float, str)) or value is None else copy_tree(value)
        return made

    def visit_Name(self, node):
        if node.id in self.params:
            return copy_tree(self.params[node.id])
        if node.id in self.local_names:
            return ast.Name(id=self.local_names[node.id], ctx=node.ctx)
        if node.id in self.aliases:
            return ast.Name(id=self.aliases[node.id], ctx=node.ctx)
        if self.resolve is not None and node.id != "ndim":
            return ast.Name(id=self.resolve(node.id), ctx=node.ctx)
        made = ast.Name.__new__(ast.Name)
        made.__dict__.update(node.__dict__)
        return made


def _is_np_negative(node):
    """Whether the template call ``node`` is ``np.negative(e)``."""
    func = node.func
    return func.__class__ is ast.Attribute and func.attr == "negative" \
        and isinstance(func.value, ast.Name) and func.value.id == "np" \
        and len(node.args) == 1 and not node.keywords


def _exact_inputs(rule, inputs, shape_of):
    """The indices of the inputs whose adjoint needs no ``unbroadcast``, by their symbolic
    shapes: of a broadcasting primitive, an input of a known shape every other input has
    too (or a number); of ``x[index] = v`` (with_item), ``v`` of the shape ``x[index]``
    has."""
    if broadcasts(rule):
        shapes = [shape_of(e) for e in inputs]
        return {i for i, s in enumerate(shapes)
                if s is not None and all(t in ((), s) for t in shapes)}
    if rule.name == "with_item":
        x, index, v = inputs
        written = indexed_shape(shape_of, x, index)
        return {2} if written is not None and written == shape_of(v) else set()
    return set()


def _unbroadcast_dropped(index, scalar_inputs, inputs, full_ndims, exact=()):
    """``dropped(name)``: whether ``unbroadcast(E, x)`` for the template's input ``name`` is
    ``E``: when every other input is a scalar or is ``x`` itself, when all inputs are full
    (``full_ndims``) and none has more dimensions than ``x``, or when x's symbolic shape
    shows that nothing was broadcast into it (``exact``). (Decided once per name.)"""
    decided = {}

    def nothing_broadcast_into(name):
        mine = index[name]
        same = {i for i, e in enumerate(inputs) if same_tree(e, inputs[mine])}
        # a one-input rule's unbroadcast is against a static shape (np.broadcast_to): kept
        if len(index) <= 1:
            return False
        others = set(range(len(index))) - same
        full = dict(enumerate(full_ndims))
        n = full.get(mine)
        return others <= scalar_inputs or n is not None and all(
            full.get(i) is not None and full[i] <= n for i in others) or mine in exact

    def dropped(name):
        found = decided.get(name)
        if found is None:
            found = decided[name] = nothing_broadcast_into(name)
        return found

    return dropped


def _shape_fact(call, value, x, ndim_of, shape_of):
    """A template test's ``ndim(x)`` or ``known_length(x, axis)`` (the length of that axis of
    ``x``) where the code is made knowing it (an array of constant lengths: ``np.zeros(2)``,
    ``np.array([a, b])``), else UNKNOWN: a refusal such a test guards is then checked when
    the code runs (``_RunTimeNdim``), at the user's line."""
    if call.func.id == "ndim":
        n = ndim_of(x)
        return UNKNOWN if n is None else n
    axis = value(call.args[1])
    shape = shape_of(x) if shape_of is not None else None
    if shape is None or type(axis) is not int or not -len(shape) <= axis < len(shape):
        return UNKNOWN
    return shape[axis] if type(shape[axis]) is int else UNKNOWN


def _decide(test, params, index, inputs, ndim_of, rule, shape_of=None):
    """Evaluate a template ``if`` test at compile time: True, False or UNKNOWN."""

    def value(e):
        if isinstance(e, ast.Constant):
            return e.value
        if isinstance(e, ast.Name):
            bound = params.get(e.id)
            if isinstance(bound, ast.Constant):
                return bound.value
            if (isinstance(bound, ast.UnaryOp) and isinstance(bound.op, ast.USub)
                    and isinstance(bound.operand, ast.Constant)
                    and type(bound.operand.value) in (int, float)):
                return -bound.operand.value   # a negative number: x ** -2
            return UNKNOWN
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) \
                and e.func.id in ("ndim", "known_length"):
            return _shape_fact(e, value, inputs[index[e.args[0].id]], ndim_of, shape_of)
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Not):
            v = value(e.operand)
            return UNKNOWN if v is UNKNOWN else (not v)
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub) \
                and isinstance(e.operand, ast.Constant) and type(e.operand.value) in (int, float):
            return -e.operand.value   # a negative number written in the test: axis == -1
        if isinstance(e, ast.BoolOp):
            vals = [value(v) for v in e.values]
            if isinstance(e.op, ast.And):
                if any(v is not UNKNOWN and not v for v in vals):
                    return False
                return UNKNOWN if UNKNOWN in vals else True
            if any(v is not UNKNOWN and v for v in vals):
                return True
            return UNKNOWN if UNKNOWN in vals else False
        if isinstance(e, ast.Compare) and len(e.ops) == 1:
            a, b = value(e.left), value(e.comparators[0])
            if a is UNKNOWN or b is UNKNOWN:
                return UNKNOWN
            op = e.ops[0]
            return {ast.Eq: lambda: a == b, ast.NotEq: lambda: a != b, ast.Is: lambda: a is b,
                    ast.IsNot: lambda: a is not b, ast.Lt: lambda: a < b,
                    ast.Gt: lambda: a > b, ast.LtE: lambda: a <= b,
                    ast.GtE: lambda: a >= b}[type(op)]()
        raise TransformError(f"rule {rule.describe()}: cannot decide {ast.unparse(test)!r} at "
                             f"compile time")

    result = value(test)
    return result if result is UNKNOWN else bool(result)
