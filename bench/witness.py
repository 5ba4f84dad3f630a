"""Benchmark of the simpler counterexample (`proving/witness.py`) on the example
library: every case that has a counterexample decided twice here, one after the
other, with the witness as found and with the simplification; per case the
times, their ratio and the symbol changes of each witness. Prints a Markdown
table.

Run: python bench/witness.py [cases or folders...]
"""

from __future__ import annotations

import argparse
import os
import time

from tcverify import api
from tcverify.commands.discovery import case_files
from tcverify.proving import pipeline, witness

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(path: str, simplify: bool):
    chosen = pipeline.simplest
    pipeline.simplest = chosen if simplify else (lambda case, word, deadline=None: word)
    try:
        start = time.monotonic()
        result = api.decide_path(path)
        return result, time.monotonic() - start
    finally:
        pipeline.simplest = chosen


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="*", default=[os.path.join(ROOT, "cases")])
    args = parser.parse_args()
    print("times in seconds; changes: adjacent positions holding different symbols\n")
    print("| case | length | as found | simplified | ratio | changes as found | changes simplified |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    total = [0.0, 0.0]
    for path in case_files(args.paths):
        found, found_s = timed(path, simplify=False)
        if found.counterexample is None:
            continue
        simple, simple_s = timed(path, simplify=True)
        assert simple.counterexample["length"] == found.counterexample["length"], path
        total[0] += found_s
        total[1] += simple_s
        print(f"| {simple.name} | {simple.counterexample['length']} | {found_s:.2f} | {simple_s:.2f} | "
              f"{simple_s / found_s:.2f} | {witness.changes(found.counterexample['input'])} | "
              f"{witness.changes(simple.counterexample['input'])} |")
    print(f"| **total** | | {total[0]:.2f} | {total[1]:.2f} | {total[1] / total[0]:.2f} | | |")


if __name__ == "__main__":
    main()
