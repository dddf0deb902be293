"""What the passes need to know about a normalized function, each in a module of its own.

- activity.py: the *active* names (varied and useful), which get adjoints.
- ndims.py, numbers.py: the number of dimensions of a value where it is known, and which
  values are numbers; shapes.py: which values have no axis of length 1 (*full*) and their
  symbolic shapes, to tell where nothing was broadcast. propagation.py is their common
  engine, callees.py tells what a call's function expression names.
- aliasing.py: which names may share memory, and the in-place changes that makes unsafe.
- complex_values.py: values that may turn out complex when the code runs;
  integer_writes.py: values being differentiated written into arrays of integers.
"""
