"""Inlining a rule template at one use of its primitive.

``instantiate`` substitutes the use's names into the template, decides the
template's compile-time ``if`` tests, renames its local temporaries and
returns the statements to emit plus, for each active input, the expression
that input's adjoint receives.
"""

import ast
import copy

from .errors import TransformError

UNKNOWN = object()


class Instance:
    def __init__(self):
        self.statements = []
        self.contributions = []   # (input index, expression)


def instantiate(rule, output, output_bar, inputs, statics, wanted, ndim_of, namer, aliases):
    """Inline ``rule`` for ``output = prim(*inputs, **statics)``.

    wanted: indices of the inputs whose adjoints are needed.
    ndim_of: expression -> known ndim or None.
    aliases: runtime name -> the name it has in the generated code.
    """
    inst = Instance()
    params = {rule.output: ast.Name(id=output, ctx=ast.Load()),
              f"{rule.output}_bar": ast.Name(id=output_bar, ctx=ast.Load())}
    for name, e in zip(rule.inputs, inputs):
        params[name] = e
    params.update(statics)
    index = {name: i for i, name in enumerate(rule.inputs)}
    # inputs that cannot broadcast another one up: known scalars, and repeats of the same name
    scalar_inputs = {i for i, e in enumerate(inputs) if ndim_of(e) == 0}
    local_names = {}

    def subst(tree):
        tree = _drop_unbroadcast(copy.deepcopy(tree), index, scalar_inputs, inputs)
        return _Substitute(params, local_names, aliases).visit(tree)

    def run(body):
        for stmt in body:
            if isinstance(stmt, ast.Pass):
                continue
            if isinstance(stmt, ast.If):
                decided = _decide(stmt.test, params, index, inputs, ndim_of, rule)
                run(stmt.body if decided is True else stmt.orelse)
            elif isinstance(stmt, ast.AugAssign):
                i = index[stmt.target.id[:-len("_bar")]]
                if i in wanted:
                    inst.contributions.append((i, subst(stmt.value)))
            elif isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
                value = subst(stmt.value)
                for t in stmt.targets:
                    local_names[t.id] = namer.fresh(f"{output}_{t.id}")
                targets = [ast.Name(id=local_names[t.id], ctx=ast.Store()) for t in stmt.targets]
                inst.statements.append(ast.Assign(targets=targets, value=value, lineno=0))
            else:
                raise TransformError(f"rule {rule.describe()}: unsupported template statement "
                                     f"{ast.unparse(stmt)!r}")

    run(rule.body)
    return inst


class _Substitute(ast.NodeTransformer):
    def __init__(self, params, local_names, aliases):
        self.params = params
        self.local_names = local_names
        self.aliases = aliases

    def visit_Name(self, node):
        if node.id in self.params:
            return copy.deepcopy(self.params[node.id])
        if node.id in self.local_names:
            return ast.Name(id=self.local_names[node.id], ctx=node.ctx)
        if node.id in self.aliases:
            return ast.Name(id=self.aliases[node.id], ctx=node.ctx)
        return node


def _drop_unbroadcast(tree, index, scalar_inputs, inputs):
    """``unbroadcast(E, x)`` is ``E`` when every other input is a scalar or is ``x`` itself."""

    class Drop(ast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            if (isinstance(node.func, ast.Name) and node.func.id == "unbroadcast"
                    and len(node.args) == 2 and isinstance(node.args[1], ast.Name)
                    and node.args[1].id in index):
                mine = index[node.args[1].id]
                same = {i for i, e in enumerate(inputs) if ast.dump(e) == ast.dump(inputs[mine])}
                others = set(range(len(index))) - same
                if others <= scalar_inputs:
                    return node.args[0]
            return node

    return Drop().visit(tree)


def _decide(test, params, index, inputs, ndim_of, rule):
    """Evaluate a template ``if`` test at compile time: True, False or UNKNOWN."""

    def value(e):
        if isinstance(e, ast.Constant):
            return e.value
        if isinstance(e, ast.Name):
            bound = params.get(e.id)
            if isinstance(bound, ast.Constant):
                return bound.value
            return UNKNOWN
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "ndim":
            n = ndim_of(inputs[index[e.args[0].id]])
            return UNKNOWN if n is None else n
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Not):
            v = value(e.operand)
            return UNKNOWN if v is UNKNOWN else (not v)
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
