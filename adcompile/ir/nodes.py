"""The statements of the normalized form (dataclasses) and the normalized function."""

import ast
from dataclasses import dataclass, field

#: the attribute of an assignment adcompile split from the user's statement (``y[0], y[1] =
#: y[1], y[0]``, assigned one target at a time): that statement, for messages
SPLIT_FROM = "_adcompile_split_from"
#: the attribute of a user's ``new["W"][i] = v`` changing an array a structure holds: what
#: the user wrote for that array (``new['W']``), for messages
WRITTEN_ARRAY = "_adcompile_written_array"
#: the attribute of a statement a pass of desugar wrote out for the user's (``xs.reverse()``
#: as a loop of item swaps): that statement, for messages
WRITTEN_OUT = "_adcompile_written_out"


@dataclass(eq=False)
class Op:
    """``target = expr``, where ``expr`` applies ``rule``'s primitive once."""

    target: str
    expr: ast.expr                 # the forward expression, operands already flattened
    rule: object                   # rules.Rule
    inputs: list                   # one ast.expr per rule input (Name or inactive expression)
    statics: dict                  # static parameter -> ast.expr
    node: ast.AST                  # the user's node, for error positions

    @property
    def input_names(self):
        return [e.id for e in self.inputs if isinstance(e, ast.Name)]


@dataclass(eq=False)
class Keep:
    """A statement run as written in the forward sweep (inactive values, print, assert)."""

    stmt: ast.stmt
    defines: list = field(default_factory=list)
    pure: bool = True              # may be dropped when nothing reads what it defines
    origin: tuple = None           # (source, the user's statement), for errors


@dataclass(eq=False)
class NormalFunction:
    source: object                 # source.FunctionSource
    params: list                   # user parameter names, in order
    wrt: list                      # names of the parameters differentiated
    body: list                     # Op | Keep
    outputs: list                  # ast.expr per returned value (Name or inactive expression)
    tuple_output: bool
    namer: object
    ndims: dict = field(default_factory=dict)    # name -> known ndim
    active: set = field(default_factory=set)
    rebindings: list = field(default_factory=list)   # Rebinding, one per ``x op= e``
    origin: dict = field(default_factory=dict)   # generated name -> the user's variable
    # (scope, user name) -> what the user wrote there, for a name adcompile gave the value of
    # an expression read first (``y[0], y[1] = y[1], y[0]``: _value1 is y[1]); (None, a
    # generated name) -> the user's expression it holds (``q['u']``, ``layers[k][0]``): for
    # messages (ir/spelling.py)
    spellings: dict = field(default_factory=dict)
    trees: dict = field(default_factory=dict)    # parameter -> its structure (ir/trees.py)
    # whether the code changes an array of a structure in place, which another argument's
    # array may share (dispatch.refuse_shared_leaves)
    writes_into_leaves: bool = False
    choices: dict = field(default_factory=dict)  # parameter -> the constant a call gave it
    #                                              (frontend/static_choices.py)
    user_wrt: list = None          # the parameters differentiated (``wrt``: their leaves)
    output_tree: object = None     # the structure returned (its leaves: ``outputs``), if any
    has_aux: bool = False          # the last output is auxiliary data: returned, not
                                   # differentiated (``value_outputs`` are the others)

    @property
    def value_outputs(self):
        """The outputs that are the value (all but the auxiliary data)."""
        return self.outputs[:-1] if self.has_aux else self.outputs


@dataclass(eq=False)
class Rebinding:
    """``x op= e`` on a name, compiled as ``statement``, ``new = old op e``: a new value,
    where Python changes an array in place (analysis/rebinding_checks.py decides when the
    two are the same). The names are read from the statement: later passes may rename them."""

    statement: object              # the Op or Keep that computes the new value
    origin: tuple                  # (source, the user's statement)
    refresh: list = field(default_factory=list)   # Refresh: the other names of the array
    together: tuple = ()           # groups of updates whose refreshes are kept or undone together
    undone: bool = False           # its refreshes are to be undone (frontend/loop_views.py)
    # for xs[i] op= v on a list: the ListSet storing the new item, after a check when the code
    # runs that no other item of xs shares the array (runtime.require_sole_item), so that
    # xs read afterwards sees what Python's does
    holder: object = None

    @property
    def held_in(self):
        """The name of the list whose item is updated (see ``holder``), or None."""
        return self.holder.target if self.holder is not None else None

    @property
    def old(self):
        s = self.statement
        value = s.expr if isinstance(s, Op) else s.stmt.value
        # x_2 = x op e, or x_2 = with_item(x, index, v) for x[index] = v
        return value.args[0].id if isinstance(value, ast.Call) else value.left.id

    @property
    def new(self):
        s = self.statement
        return s.target if isinstance(s, Op) else s.defines[0]


@dataclass(eq=False)
class Refresh:
    """After an update Python makes in place, ``statement`` (a copy Op) gives another
    variable naming the same array (or a view of it) its new value, computed by the
    Ops ``made`` (shared by the refreshes of one update) from names that Python shares
    memory with only if each of ``arrays`` is an array (see frontend/views.py), and each
    of ``vectors`` one of one dimension; else it is to read ``old``, the variable's value
    before the update."""

    statement: object
    old: str
    arrays: set
    made: list
    vectors: set = field(default_factory=set)   # those of them that must be 1-d (views.py)


@dataclass(eq=False)
class If:
    """``if test: body else: orelse``; ``test`` is a name or an inactive expression."""

    test: ast.expr
    body: list
    orelse: list
    node: ast.AST
    before: set = field(default_factory=set)   # names that have values before the if


@dataclass(eq=False)
class Loop:
    """A ``for`` loop over ``range(...)`` (``index``/``iterable``) or a ``while`` loop (``test``).

    ``counter`` names the iteration count kept for the reverse sweep (``while`` loops and
    loops with ``break``); a ``for`` loop without break is reversed with ``reversed(range)``.
    """

    kind: str                      # "for" | "while"
    body: list
    node: ast.AST
    index: str = None
    iterable: ast.expr = None
    test: ast.expr = None
    counter: str = None
    carried: dict = field(default_factory=dict)   # user name -> loop name
    existing: set = field(default_factory=set)    # loop names defined before the loop


@dataclass(eq=False)
class Jump:
    """``break`` or ``continue`` (``kind``)."""

    kind: str
    node: ast.AST


@dataclass(eq=False)
class Carry:
    """``target = source`` where ``target`` is a loop's name for a variable the loop assigns:
    copied at each iteration's exit so the next iteration (or the code after the loop)
    sees the latest value."""

    target: str
    source: str
    node: ast.AST = None


@dataclass(eq=False)
class ListNew:
    """``name = [e1, e2, ...]`` (or a tuple) holding values being differentiated."""

    target: str
    elements: list
    node: ast.AST
    is_tuple: bool = False


@dataclass(eq=False)
class ListAppend:
    """``name.append(value)``."""

    target: str
    value: ast.expr
    node: ast.AST


@dataclass(eq=False)
class ListGet:
    """``target = name[index]`` on a list of values being differentiated, or with ``pop``,
    ``target = name.pop()`` (index -1), which also removes the item."""

    target: str
    source: str
    index: ast.expr
    node: ast.AST
    pop: bool = False


@dataclass(eq=False)
class ListSet:
    """``name[index] = value`` on a list of values being differentiated, in place (the list
    keeps its length). ``old`` names the item it replaces (read just before by a ListGet):
    the reverse gives ``value`` the item's adjoint and makes the adjoint of the item before
    a zero of ``old``'s shape."""

    target: str
    index: ast.expr
    value: ast.expr
    old: str
    node: ast.AST


@dataclass(eq=False)
class ListAdd:
    """``name[index] = name[index] + value``: a value added to an item of a list, in place
    (the list keeps its length; the item is replaced by a new value). Generated gradient
    code adds an item's adjoint into a list's adjoint list this way; it is linear, so its
    reverse reads the item's adjoint (``value_bar = name_bar[index]``) and its tangent adds
    ``value_dot`` to the tangent list's item."""

    target: str
    index: ast.expr
    value: ast.expr
    node: ast.AST
