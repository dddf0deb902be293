"""Clean-ups on generated code, one module each:

- ``simplify``: algebraic simplification of expressions (``simplify``) and sums of terms
  (``total``);
- ``prune``: dead-code removal in the forward sweep (``prune_forward``) and the backward
  sweep (``prune_backward``);
- ``fuse``: single-use temporaries put back into the expressions that read them
  (``fuse``, ``fuse_blocks``; not those of statements with effects, ``with_effects``);
- ``products``: the backward sweep's products rewritten to save passes over arrays
  (``fuse_products``, ``reuse_dead_arrays``);
- ``shape_reads``: adjoints that read a forward value only for its shape and precision
  read the values it is computed from elementwise (``free_shape_reads``);
- ``factor``: a factor two products of a sum share taken out of it
  (``factor_products``);
- ``in_place``: elementwise products and sums written into an adjoint array nothing reads
  afterwards (``update_in_place``);
- ``dots``: products of vectors and matrices of known dimensions written ``a.dot(b)``
  (``dot_products``);
- ``local_functions``: the ``math`` functions loops call read once into local names
  (``local_math_functions``);
- ``copies``: copies ``a = b`` merged into the names they copy (``merge_copies``);
- ``renumber``: the remaining temporaries numbered t1, t2, ... (``renumber_temps``);
- ``fission``: loop fission, the per-step work of a reversed loop done for all steps at
  once (``split_reversed``), with ``hoist``: the same for a forward loop's inputs
  (``hoist_inputs``), ``batch``: what an expression of one step is for all steps, and
  ``loops``: what the two read off a loop's code.
"""

from .copies import merge_copies
from .dots import dot_products
from .factor import factor_products
from .fuse import fuse, fuse_blocks, with_effects
from .products import fuse_products, reuse_dead_arrays
from .prune import prune_backward, prune_forward
from .in_place import update_in_place
from .local_functions import local_math_functions
from .renumber import numbered, renumber_temps
from .shape_reads import free_shape_reads
from .simplify import simplify, total

__all__ = ["dot_products", "factor_products", "free_shape_reads", "fuse", "fuse_blocks",
           "fuse_products", "local_math_functions", "merge_copies", "numbered",
           "prune_backward", "prune_forward", "renumber_temps", "reuse_dead_arrays",
           "simplify", "total", "update_in_place", "with_effects"]
