"""The normalized form every later stage works on.

A function body becomes a list of statements, each either an ``Op`` (one
primitive applied to names and inactive expressions, with its adjoint rule)
or a ``Keep`` (a statement copied verbatim into the forward sweep, with
nothing to differentiate). Every ``Op`` target is assigned exactly once.
"""

from .blocks import always_jumps, children, insert_before, segments, walk
from .build import add_to_item, assign, call, load, method_call, set_item, store, store_all
from .copying import copy_function, copy_tree, same_tree
from .defuse import (WRITING_FUNCTIONS, WRITING_METHODS, assigned_once, assigns, base_of,
                     changed_in_place, defined_names, live_before, names_mentioned,
                     names_read, names_used, own_assigns, own_reads, reads,
                     reads_outside_own_loops, rename, scope_stores)
from .flows import closure
from .transformer import Transformer
from .walks import child_nodes, walk_statements, walk_tree
from .spelling import spell, user_name
from .nodes import (Carry, If, Jump, Keep, ListAdd, ListAppend, ListGet, ListNew, ListSet,
                    Loop, NormalFunction, Op, Rebinding, Refresh, SPLIT_FROM, WRITTEN_ARRAY,
                    WRITTEN_OUT)

__all__ = ["Carry", "If", "Jump", "Keep", "ListAdd", "ListAppend", "ListGet", "ListNew", "ListSet",
           "Loop", "NormalFunction", "Op", "Rebinding", "Refresh", "SPLIT_FROM", "Transformer",
           "WRITING_FUNCTIONS", "WRITTEN_ARRAY", "WRITTEN_OUT", "WRITING_METHODS", "add_to_item",
           "always_jumps", "assign", "assigned_once", "assigns", "base_of", "call",
           "changed_in_place", "child_nodes", "children", "closure", "copy_function", "copy_tree",
           "defined_names", "insert_before", "live_before", "load", "method_call",
           "names_mentioned", "names_read", "names_used", "own_assigns", "own_reads", "reads",
           "reads_outside_own_loops", "rename", "same_tree", "scope_stores", "segments",
           "set_item", "spell", "store", "store_all", "user_name", "walk", "walk_statements",
           "walk_tree"]
