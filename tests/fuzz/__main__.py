"""The long fuzz run: ``python -m tests.fuzz --count 10000 --start 0 [--jobs N]``.

Checks the programs of seeds start .. start+count-1, prints a summary line
(programs checked, ok, rejected, invalid, wrong, crash, suspect) and, for each
failure, its seed, its kinds, what was wrong and the line-reduced program.
``--exclude alias,pairs`` generates no program of those kinds (the classic
kind, numbers only, is ``--exclude all``); ``--only structures`` checks the
programs of that kind only (the first ``--count`` seeds from ``--start`` whose
program has it). Exit status 1 if any program gave
a wrong result, crashed or is suspect. ``--backend numba`` also compares the gradients
made with that backend with the plain ones (numba_check.py).
"""

import argparse
import collections
import os
import re
import sys
import time

from .check import FAILURES, by_kind, check_seed, format_failure, run, summary
from .generator import FEATURES, features_for


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="number of programs (default 1000)")
    parser.add_argument("--start", type=int, default=0, help="first seed (default 0)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="worker processes (default: the number of CPUs)")
    parser.add_argument("--no-reduce", action="store_true", help="do not reduce failing programs")
    parser.add_argument("--reasons", action="store_true",
                        help="also list the reasons for rejected and invalid programs, most common "
                             "first (names masked, with a few seeds of each), and the outcomes by "
                             "program kind")
    parser.add_argument("--exclude", default="", metavar="KINDS",
                        help=f"comma-separated program kinds not to generate, of {', '.join(FEATURES)} "
                             f"(or 'all': the classic programs only)")
    parser.add_argument("--only", metavar="KIND", choices=FEATURES,
                        help="check only programs of this kind: the first COUNT seeds from START "
                             "whose program has it")
    parser.add_argument("--float-0d", action="store_true",
                        help="compare the call with 0-d arrays with the differences taken on floats "
                             "(as before; blind to 0-d arguments changed in place through an alias)")
    parser.add_argument("--late-refusals-are-crashes", action="store_true",
                        help="count adcompile's call-time TypeError for an in-place change "
                             "(runtime.require_immutable: where the arguments' types do not show "
                             "that a value is a number, the generated code checks it; "
                             "runtime.require_sole_item: no other item of a list is the array "
                             "changed) as a crash, "
                             "not as the refusal it is")
    parser.add_argument("--backend", choices=("numba",),
                        help="also differentiate each program checked OK with this backend and "
                             "compare its results with the plain code's (numba: slow, a few "
                             "seconds a program to compile; use --count 100-300)")
    parser.add_argument("--show", type=int, metavar="SEED",
                        help="print the program of SEED and its outcome, and exit")
    args = parser.parse_args(argv)
    exclude = FEATURES if args.exclude == "all" else tuple(k for k in args.exclude.split(",") if k)
    leniency = {"zero_d": not args.float_0d, "late_refusals": not args.late_refusals_are_crashes}
    if args.backend:
        leniency["backend"] = args.backend
    unknown = set(exclude) - set(FEATURES)
    if unknown:
        parser.error(f"unknown kinds {', '.join(sorted(unknown))}; the kinds are {', '.join(FEATURES)}")

    if args.show is not None:
        program, outcome = check_seed(args.show, exclude, **leniency)
        print(f"# kinds: {', '.join(sorted(program.features)) or 'classic'}")
        print(program.source)
        print("argument sets:", *program.argsets, sep="\n    ")
        print(f"{outcome.status}: {outcome.detail}")
        return 0

    seeds = range(args.start, args.start + args.count)
    if args.only:
        seeds = _seeds_of(args.only, args.start, args.count, exclude)
    started = time.time()
    done = [0]

    def progress(result):
        done[0] += 1
        seed, outcome, minimal = result
        if outcome.status in FAILURES:
            print(format_failure(seed, outcome, minimal), flush=True)
        if done[0] % 500 == 0:
            print(f"... {done[0]} / {args.count} ({time.time() - started:.0f} s)",
                  file=sys.stderr, flush=True)

    results = run(seeds, jobs=args.jobs, reduce=not args.no_reduce, progress=progress, exclude=exclude,
                  **leniency)
    span = f"{seeds[0]}..{seeds[-1]}" if len(seeds) else "none"
    print(f"{summary(results)} (seeds {span}, "
          f"{time.time() - started:.0f} s)")
    failures = [(s, o) for s, o, _ in results if o.status in FAILURES]
    if failures:
        print("failing seeds:", " ".join(f"{s} ({o.status})" for s, o in failures))
    if args.reasons:
        reasons = collections.defaultdict(list)
        for seed, o, _ in results:
            if o.status in ("rejected", "invalid"):
                reasons[o.status, _reason(o.detail)].append(seed)
        for (status, why), seeds_of in sorted(reasons.items(), key=lambda kv: -len(kv[1])):
            print(f"{len(seeds_of):6d}  {status}: {why}  (seeds {' '.join(map(str, seeds_of[:4]))}"
                  f"{' ...' if len(seeds_of) > 4 else ''})")
        print("by kind:", *by_kind(results), sep="\n    ")
    return 1 if failures else 0


def _seeds_of(kind, start, count, exclude):
    """The first ``count`` seeds from ``start`` whose program has ``kind``."""
    seeds, seed = [], start
    while len(seeds) < count:
        if kind in features_for(seed, exclude):
            seeds.append(seed)
        seed += 1
    return seeds


def _reason(detail):
    """A refusal's message without its place and with the names it quotes masked (so the
    same reason groups together), shortened."""
    why = re.sub(r"^(at call time \(\w+\): )?\S*:\d+:\d+: ", r"\1", detail).split("\n")[0]
    return re.sub(r"'[^']*'", "'_'", why)[:100]


if __name__ == "__main__":
    sys.exit(main())
