"""Memory a compiled gradient takes, and that it is given back when its function goes.

    python benchmarks/compiled_memory.py            # 500 functions
    python benchmarks/compiled_memory.py --count 2000

Writes a module of ``--count`` distinct small functions (``np.sum(np.sin(x) * k + x**2)``)
to a temporary directory, imports it, makes and calls the gradient of each, and reports
the memory traced by tracemalloc per compiled function (above what the import took);
then drops the module and the gradients, collects, and reports what is left per function.
"""

import argparse
import gc
import importlib
import os
import sys
import tempfile
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import adcompile as ad  # noqa: E402


def measure(count):
    """(KiB per compiled function while alive, KiB per function left after dropping)."""
    directory = tempfile.mkdtemp()
    name = "compiled_memory_functions"
    with open(os.path.join(directory, f"{name}.py"), "w") as fh:
        fh.write("import numpy as np\n\n")
        for i in range(count):
            fh.write(f"def f{i}(x):\n    return np.sum(np.sin(x) * {i + 1}.0 + x ** 2)\n\n")
    sys.path.insert(0, directory)
    x = np.ones(3)
    ad.grad(lambda v: np.sum(np.sin(v) * 2.0 + v ** 2))(x)   # rules and caches that stay
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    module = importlib.import_module(name)
    imported = tracemalloc.get_traced_memory()[0]
    grads = [ad.grad(getattr(module, f"f{i}")) for i in range(count)]
    for g in grads:
        g(x)
    gc.collect()
    alive = tracemalloc.get_traced_memory()[0]
    del grads, g, module
    del sys.modules[name]
    gc.collect()
    left = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    sys.path.remove(directory)
    return (alive - imported) / count / 1024, (left - base) / count / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    count = parser.parse_args().count
    alive, left = measure(count)
    print(f"{count} compiled gradients: {alive:.1f} KiB each while their functions live, "
          f"{left:.2f} KiB each left after the module and the gradients are dropped")


if __name__ == "__main__":
    main()
