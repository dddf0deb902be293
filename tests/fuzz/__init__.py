"""A random-program fuzzer for adcompile's control flow, calls and lists.

``generator`` writes seeded random programs, ``check`` compares adcompile's
gradients with finite differences, ``reduce`` shrinks a failing program.
``python -m tests.fuzz --count 10000`` is the long run; tests/test_fuzz.py
checks a fixed range of seeds on every test run.
"""
