"""What the passes need to know about a normalized function, each in a module of its own.

- activity.py: the *active* names (varied and useful), which get adjoints.
- ndims.py, numbers.py: the number of dimensions of a value where it is known, and which
  values are numbers; shapes.py: which values have no axis of length 1 (*full*) and their
  symbolic shapes, to tell where nothing was broadcast. propagation.py is their common
  engine, callees.py tells what a call's function expression names.
- liveness.py: which user variables are read later, on the lowered AST (for normalization).
- points_to.py: which names may share memory, and the two hazards of in-place changes;
  call_effects.py: what a call not inlined may change or return; program_order.py: whether
  a statement may run after another; mutations.py: what a statement changes in place and
  the changes refused; rebindings.py, refreshes.py and rebinding_checks.py: ``x op= e``
  compiled as a new value, made exact or refused.
- complex_values.py: values that may turn out complex when the code runs;
  integer_writes.py: values being differentiated written into arrays of integers.
"""
