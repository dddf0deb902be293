"""The tables of programs of the later probes (test_hostile_probes_11.py, _12.py, _13.py): each
program an entry ``(group, f, args, wrt, by_autograd)``, those expected to be refused named
(``f``'s name, or ``name/wrt`` for one choice of ``wrt``) in REFUSED, or in REFUSED_WHEN_RUN
for the checks made when the code runs; the rest checked by probe 10's ``check_program``."""

import warnings
from dataclasses import dataclass

import numpy as np
import pytest

import adcompile as ad


@dataclass
class ProbeTable:
    """A probe's entries, split into the programs differentiated and those refused."""

    entries: list
    refused: set
    refused_when_run: set

    @classmethod
    def of(cls, groups, refused, refused_when_run):
        """The table of ``groups`` ({group: [(f, args, wrt, by_autograd), ...]})."""
        return cls([(group, *entry) for group, entries in groups.items() for entry in entries],
                   refused, refused_when_run)

    def is_refused(self, f, wrt):
        return bool({f.__name__, f"{f.__name__}/{wrt}"} & (self.refused | self.refused_when_run))

    @property
    def programs(self):
        return [e for e in self.entries if not self.is_refused(e[1], e[3])]

    @property
    def refusals(self):
        return [e for e in self.entries if self.is_refused(e[1], e[3])]

    @property
    def by_name(self):
        """Program name -> (f, args, wrt, by_autograd), of the programs differentiated."""
        return {e[1].__name__: e[1:] for e in self.programs}

    def check_listed(self, at_least=200):
        """Every name listed as refused is one of the table's programs."""
        names = {e[1].__name__ for e in self.entries} | {
            f"{e[1].__name__}/{e[3]}" for e in self.entries}
        assert self.refused <= names and self.refused_when_run <= names
        assert len(self.entries) >= at_least

    def check_numba(self, name):
        """The numba backend compiles the program ``name`` (a fallback to Python fails) and
        gives the plain code's gradient."""
        pytest.importorskip("numba")
        from adcompile.backend.jit import NumbaFallbackWarning
        f, args, wrt, _ = self.by_name[name]
        with warnings.catch_warnings():
            warnings.simplefilter("error", NumbaFallbackWarning)
            got = ad.grad(f, wrt=wrt, backend="numba")(*args)
        want = ad.grad(f, wrt=wrt)(*args)
        for g, w in zip(got if isinstance(wrt, tuple) else (got,),
                        want if isinstance(wrt, tuple) else (want,)):
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12,
                                       err_msg=f"{name} with numba")

    def check_refused(self, f, args, wrt, filename):
        """A TransformError at a line of the probe's file ``filename`` (a TypeError naming
        the line, for those checked when the code runs)."""
        expected = TypeError if f.__name__ in self.refused_when_run else ad.TransformError
        with pytest.raises(expected) as info:
            ad.grad(f, wrt=wrt)(*args)
        assert f"{filename.rsplit('/', 1)[-1]}:" in str(info.value).splitlines()[0]


def entry_ids(entries):
    """Test ids ``group-name-wrt``, numbered where one repeats."""
    seen, ids = {}, []
    for group, f, _, wrt, *_ in entries:
        name = f"{group}-{f.__name__}-{wrt}"
        seen[name] = seen.get(name, 0) + 1
        ids.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return ids
