"""The cost of bounding the work in worker processes (`proving/schedule.py`) on
the example library: the same cases decided three ways in one run, one
worker each so the work is the same —

- in-process: `api.decide_path` per case in this process (no time limit can hold);
- per case: one unit per case in one worker process (`prove` without --jobs);
- per length: one unit per length in one worker process (`prove --jobs N`).

The ways alternate for `--rounds` rounds; the table gives each way's total
wall time and its ratio to in-process. On a loaded machine, compare ratios only.

Run: python bench/schedule_overhead.py [--rounds 2] [--skip NAME ...] [CASES...]
"""

from __future__ import annotations

import argparse
import os
import time

from rich.console import Console
from rich.table import Table
from tcverify import api
from tcverify.commands.discovery import case_files
from tcverify.proving.pool import LocalBackend
from tcverify.proving.schedule import Scheduler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def in_process(paths):
    return [api.decide_path(path) for path in paths]


def scheduled(per_length):
    def run(paths):
        return list(Scheduler(paths, LocalBackend(api.unit_runner(), 1), per_length).results())
    return run


WAYS = {"in-process": in_process, "per case": scheduled(False), "per length": scheduled(True)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cases", nargs="*", default=[os.path.join(ROOT, "cases")])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--skip", nargs="*", default=[], help="Leave out case files whose name contains one of these.")
    args = parser.parse_args()
    paths = [p for p in case_files(args.cases) if not any(s in os.path.basename(p) for s in args.skip)]
    totals = {way: 0.0 for way in WAYS}
    verdicts = {}
    for _ in range(args.rounds):
        for way, run in WAYS.items():
            start = time.perf_counter()
            results = run(paths)
            totals[way] += time.perf_counter() - start
            verdicts.setdefault(way, [(r.verdict, r.lengths) for r in results])
    assert len({tuple(map(str, v)) for v in verdicts.values()}) == 1, "the ways disagree"
    units = sum(len(lengths) for _, lengths in verdicts["in-process"])
    table = Table(title=f"{len(paths)} cases, {units} lengths decided, {args.rounds} rounds")
    for column in ("way", "wall time (s)", "ratio to in-process"):
        table.add_column(column, justify="right")
    for way, total in totals.items():
        table.add_row(way, f"{total:.2f}", f"{total / totals['in-process']:.3f}")
    Console().print(table)


if __name__ == "__main__":
    main()
