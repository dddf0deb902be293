"""The state normalization shares between its parts, as named records.

What is asked, and three lifetimes of what the walk keeps:

- ``Request``: what is differentiated, fixed before the walk starts (the
  parameters, which of them, their structures, the ints a call gives).
- ``Scope``: the function whose statements are being normalized, either the
  differentiated one or a callee being inlined into it. ``Normalizer.enter``
  makes a new one for each; inlining swaps it in and puts the caller's back.
- ``Output``: what normalization builds, across the function and every
  callee inlined into it; it becomes the ``ir.NormalFunction``.
- ``Inlining``: what inlining needs to remember across calls (the functions
  being inlined, their parsed sources, which free names were kept).
"""

import itertools
from dataclasses import dataclass, field

from ..ir import assigns
from ..ir.trees import name_leaves
from .item_desugar import AT_HELPERS


@dataclass
class Request:
    """What is differentiated. A parameter given a structure is its leaves, each a
    parameter of the generated code of its own (named by ``name_leaves``); the
    differentiable leaves of a structure being differentiated are differentiated."""

    user_wrt: list              # the user's parameters being differentiated
    trees: dict                 # parameter -> the structure it is given (ir/trees.py)
    params: list                # the generated code's parameters: structures as their leaves
    wrt: list                   # those being differentiated
    has_aux: bool               # the function returns (value, aux) (returns.py)
    statics: dict               # the ints a call gives, by descriptor (static_ints.py)
    fixed_params: set = field(default_factory=set)  # parameters a call may give such an int
    #                                                 (StaticInts.fix_params)
    given_objects: set = field(default_factory=set)  # and those given structures (settings:
    #                                                  config_reads.py)

    @classmethod
    def of(cls, source, wrt, trees, has_aux, statics, fresh):
        """The request to differentiate ``source`` for ``wrt``, ``trees`` the structures of
        its parameters given one, ``fresh`` naming their leaves."""
        trees = {p: name_leaves(node, p, fresh) for p, node in (trees or {}).items()}

        def leaves(p):
            return trees[p].leaves() if p in trees else [_Param(p)]
        return cls(list(wrt), trees, [leaf.name for p in source.params for leaf in leaves(p)],
                   [leaf.name for p in wrt for leaf in leaves(p) if leaf.differentiable],
                   has_aux, dict(statics or {}))


class _Param:
    """A parameter that is not a structure, as the one leaf of itself."""

    differentiable = True

    def __init__(self, name):
        self.name = name


@dataclass
class Scope:
    """The function being normalized (the differentiated one, or an inlined callee)."""

    src: object                 # its FunctionSource
    number: int                 # 0 for the differentiated function, then one per inlined call
    env: dict                   # user name -> the generated name of its current value
    locals: set                 # the user names it assigns, and its parameters
    defined: set = field(default_factory=set)       # user names assigned so far
    free_map: dict = field(default_factory=dict)    # free user name -> fresh generated name
    varied: set = field(default_factory=set)        # user names that may depend on wrt
    texts: set = field(default_factory=set)         # user names given text made of those
    loops: list = field(default_factory=list)       # enclosing loops' carried names
    loop_trees: list = field(default_factory=list)  # and the structures they carry
    terminated: bool = False                        # the current block ended with a jump
    tuple_appends: dict = field(default_factory=dict)   # list name -> k of k-tuples appended
    made_objects: set = field(default_factory=set)  # names given a NamedTuple or dataclass
    item_names: set = field(default_factory=set)    # names bound to items of its structures
    list_appends: dict = field(default_factory=dict)    # lists of lists -> levels of lists in
    #                                                     their items (1: lists of values)
    fixed_lists: set = field(default_factory=set)   # names of lists kept as structures
    callers: tuple = ()         # the call sites that inlined it, innermost first (see source.py)
    trees: dict = field(default_factory=dict)       # user name -> the structure it names
    constants: dict = field(default_factory=dict)   # user name -> value known now (trees.py)
    given_ints: dict = field(default_factory=dict)  # parameter -> the int a call gives it
    #                                                 (static_ints.py: its descriptor)
    choices: dict = field(default_factory=dict)     # parameter -> the need of the value a
    #                                                 call gives it (static_choices.py)
    assigned_once: set = field(default_factory=set)  # names one statement assigns, no parameter
    # placeholder name -> function it calls (np.add.at's helper: items.py)
    known: dict = field(default_factory=lambda: dict(AT_HELPERS))
    fixed_trees: set = field(default_factory=set)   # names of structures never reassigned
    spelled: dict = field(default_factory=dict)     # placeholder name -> what the user wrote
    own_trees: dict = field(default_factory=dict)   # id -> structure made here (changeable)
    structured: bool = False    # it is given structures: its statements are resolved first
    functions: dict = field(default_factory=dict)   # name -> function it holds (functions.py)
    view_groups: dict = field(default_factory=dict)  # name -> the names it may be a view of,
    #                                                 or that may be views of it (views.py)
    named_as: dict = field(default_factory=dict)   # parameter -> the caller's variable it
    #                                               is, whose names its versions take
    #                                               (Inline.in_place_call)
    walked: set = field(default_factory=set)   # variables of the normalizer's own naming
    #                                            the arrays loops walk (loop_views.py)


@dataclass
class Output:
    """What normalization builds: statements and facts about generated names."""

    body: list = field(default_factory=list)        # the block statements go to now
    enclosing: list = field(default_factory=list)   # the blocks around it, outermost first
    loop_depth: int = 0     # loops around the current statement, across inlined calls
    varied_ssa: set = field(default_factory=set)    # generated names being differentiated
    lists: set = field(default_factory=set)         # generated names of lists of such values
    sequences: set = field(default_factory=set)     # names of lists or tuples a rule gave
    holders: dict = field(default_factory=dict)     # those of them holding lists (rows.append(
    #                                                 row)) -> levels of lists in their items
    structs: dict = field(default_factory=dict)     # name of a list of tuples -> lists.Struct
    extra_globals: dict = field(default_factory=dict)   # fresh name -> object a callee reads
    maybe_undefined: set = field(default_factory=set)   # names with no value on some path
    rebindings: list = field(default_factory=list)  # ir.Rebinding for each x op= e on a name
    copies: dict = field(default_factory=dict)      # an inlined callee's first version of
    #                                                 a parameter it assigns -> the caller's
    #                                                 name it copies (Inline._bind_parameters)
    ints: set = field(default_factory=set)          # generated names of ints: range loops'
    #                                                 variables (items.Items.chained_write)
    origin: dict = field(default_factory=dict)      # generated name -> (scope, user name)
    spellings: dict = field(default_factory=dict)   # (scope, name) -> what the user wrote
    #                                                 (item_desugar.spellings; ir.spell)
    written_leaves: set = field(default_factory=set)   # the arrays of structures changed in
    #                                  place (changes.write_into_leaf: calls check what they pass)


@dataclass
class Inlining:
    """What inlining calls to the user's functions remembers from call to call."""

    root: object                # the FunctionSource of the differentiated function
    root_locals: set            # the names it assigns, and its parameters
    stack: list = field(default_factory=list)       # calls being inlined (no recursion; see
    #                                                 functions.recursion_key)
    sources: dict = field(default_factory=dict)     # inlined function -> its FunctionSource
    kept_free: set = field(default_factory=set)     # callees' free names kept as they are
    numbers: itertools.count = field(default_factory=itertools.count)   # scope numbers
    parts: set = field(default_factory=set)   # ids of the Nodes of the arguments' structures
    #                                           (functions.recursion_key)
    finished: tuple = None   # the last call inlined: (the function, its parameters' names
    #                          given, its Scope at its end) (Inline.in_place_call)
    naming: tuple = None     # (function, Scope.named_as) for the next call of it inlined
    fresh_parameters: dict = field(default_factory=dict)   # a name made for a callee's
    #                                 parameter -> the parameter (its origin, once entered)

    @classmethod
    def of(cls, source):
        """The record for differentiating ``source``."""
        return cls(source, set(source.params) | assigns([source.node]))
