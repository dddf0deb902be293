"""A module holding state that tests/test_changed_arguments.py changes through its name."""

import numpy as np

LEVELS = np.array([1.0, 2.0])


class Holder:
    pass


HOLDER = Holder()
HOLDER.levels = LEVELS

LAYERS = [LEVELS, np.array([3.0, 4.0])]   # (LEVELS itself, and an array of its own)
TABLE = {"levels": LEVELS}
REVERSED = LEVELS[::-1]   # (a view of LEVELS)
MODELS = [HOLDER]
