"""``python -m benchmarks`` (from the repository's root): run.py's runner, with its
options (``--help``); ``--write-readme`` also puts the tables into README.md."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from options import limit_threads, make_parser  # noqa: E402 (imports no library)

if __name__ == "__main__":
    options = make_parser().parse_args()
    limit_threads(options.threads)   # before run.py imports NumPy and the peers
    import run
    run.main(options)
