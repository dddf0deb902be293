"""The returned value of the function being normalized: its operands (a tuple's items, a
conditional or a just-made object's call as a statement first), with ``has_aux`` the
aux computed as written (a structure the function filled as the display of its values),
and the classes of a returned structure named for the generated code. Part of
``normalize.Normalizer``."""

import ast
import collections
import copy
import dataclasses

from .. import ir
from ..ir.trees import Node, rebuild_values
from .syntax import LEAF


class Returns:
    """Part of ``normalize.Normalizer``: the operands of the returned value."""

    def _name_classes(self, tree):
        """Give the NamedTuple, dataclass and OrderedDict classes in the returned structure
        ``tree`` a name in the generated code (``extra_globals``), which rebuilds them by
        calling it."""
        if not isinstance(tree, Node):
            return
        named = {id(obj) for obj in self.out.extra_globals.values()}
        if (tree.kind in ("namedtuple", "dataclass") or tree.type is collections.OrderedDict) \
                and id(tree.type) not in named:
            name = tree.type.__name__   # (its own name where the module's globals have it)
            if name in self.scope.locals or self.scope.src.resolve(name, None) is not tree.type:
                name = self.namer.fresh(name)
            self.out.extra_globals[name] = tree.type
        for child in tree.children:
            self._name_classes(child)

    def _outputs(self, ret):
        """(operands of the returned values, whether a tuple is returned); with ``has_aux``
        those of the value, then the name of the aux, last."""
        if not self.request.has_aux:
            return self._returned(ret.value, ret)
        value = ret.value
        if not isinstance(value, ast.Tuple) or len(value.elts) != 2 \
                or any(isinstance(e, ast.Starred) for e in value.elts):
            raise self.scope.src.error(
                ret, f"with has_aux=True, {self.scope.src.name}() must end with 'return "
                     f"value, aux' (a pair: the value to differentiate, then the auxiliary "
                     f"data returned as it is), not 'return {ast.unparse(value)}'; return "
                     f"the pair, or drop has_aux")
        outputs, tuple_output = self._returned(value.elts[0], ret)
        return outputs + [self._aux(value.elts[1])], tuple_output

    def _aux(self, aux):
        """The auxiliary data ``aux`` (any expression: a dict, a string, values being
        differentiated) computed as written into a new name, never differentiated."""
        name = self.namer.fresh("aux")
        aux = _Displays(self).visit(copy.deepcopy(aux))
        self.out.body.append(ir.Keep(ir.assign(name, self.rename(aux)), [name],
                                     pure=self.is_pure(aux)))
        return ir.load(name)

    def _returned(self, value, ret):
        """(operands of the returned ``value``, whether it is a tuple)."""
        if isinstance(value, (ast.Tuple, ast.List)):
            return [self.operand(e) for e in value.elts], True
        made = self._calls_made_object(ast.Expr(value=value))
        if isinstance(value, ast.IfExp) and self.varies(value) or made:
            # return a if c else b: out = a if c else b (an if statement); return out.
            # return Layer(W, b)(x): out = ... (a statement, whose call is resolved)
            name = self.namer.fresh("out")
            assign = ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=value,
                                lineno=ret.lineno, col_offset=ret.col_offset)
            if made:
                self.statement(assign)
            else:
                self.assignment(assign)
            return [ir.load(self.scope.env[name])], False
        if self.varies(value) and not isinstance(value, ast.Name):
            target = self.namer.fresh("out")
            self.emit_value(target, value)
            return [ir.load(target)], False
        return [self.operand(value)], False


class _Displays(ast.NodeTransformer):
    """The aux of ``return loss, cache``: each name bound to a structure the function made
    (``cache = {}``, ``cache["h"] = h``) as the display of its values, which are variables
    (a NamedTuple or dataclass as a call of its class); an object stays refused."""

    def __init__(self, normalizer):
        self.n = normalizer

    def visit_Name(self, node):
        tree = self.n.scope.trees.get(node.id)
        if tree is not None and self.n.varies(node):   # (else the object as it is)
            refuse_unrebuilt_mapping(self.n.scope.src, tree, node)
        if tree is None or not _displayable(tree) \
                or not all(leaf.name for leaf in tree.leaves()):
            return node
        self.n._name_classes(tree)
        classes = {id(obj): name for name, obj in self.n.out.extra_globals.items()}
        values = iter([self.n.leaf_reference(ast.Name(id=LEAF + leaf.name, ctx=ast.Load()))
                       for leaf in tree.leaves()])
        return ast.copy_location(rebuild_values(tree, values, classes), node)


def unrebuilt_mapping(tree):
    """The class of a mapping in the structure ``tree`` that generated code does not make
    again of its values (a ``defaultdict``: its ``default_factory``; a subclass of dict or
    ``OrderedDict``: the object's attributes), or None."""
    if not isinstance(tree, Node):
        return None
    if tree.kind == "dict" and tree.type not in (None, collections.OrderedDict):
        return tree.type
    return next((k for k in map(unrebuilt_mapping, tree.children) if k is not None), None)


def refuse_unrebuilt_mapping(src, tree, node):
    """The TransformError at ``node``, which returns the structure ``tree`` of values being
    differentiated, where it holds a mapping ``unrebuilt_mapping`` finds; else nothing."""
    kind = unrebuilt_mapping(tree)
    if kind is not None:
        raise src.error(node, f"returns a {kind.__qualname__} of values being differentiated: "
                              f"adcompile returns a new structure of the values, and does not "
                              f"make one of this class (a defaultdict's default_factory, a "
                              f"subclass's attributes); return a dict or an OrderedDict of "
                              f"them (dict(p))")


def _displayable(tree):
    """Whether ``rebuild_values`` makes a structure of ``tree``'s own kinds."""
    if not isinstance(tree, Node):
        return True
    if tree.kind == "dataclass":
        fields = {f.name for f in dataclasses.fields(tree.type) if f.init}
        if set(tree.keys) != fields:
            return False
    elif tree.kind not in ("dict", "list", "tuple", "namedtuple") \
            or tree.kind == "dict" and tree.type not in (None, collections.OrderedDict):
        return False   # (a defaultdict, a subclass of dict: unrebuilt_mapping)
    return all(_displayable(c) for c in tree.children)
