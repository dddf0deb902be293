"""A module holding state that tests/test_changed_arguments.py changes through its name."""

import numpy as np

LEVELS = np.array([1.0, 2.0])


class Holder:
    pass


HOLDER = Holder()
HOLDER.levels = LEVELS
