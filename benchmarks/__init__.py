"""Benchmarks: workloads.py lists them, run.py times them (python benchmarks/run.py)."""
