"""Benchmark of `prove --certify` against plain `prove` on the example library,
both run here one after the other: per case the time of each, their ratio, the
lengths certified by a checked proof, the proofs' lemmas and the check time.
Prints a Markdown table (docs/bench/certify.md).

Run: python bench/certify.py [--method auto|sat] [cases or folders...]
"""

from __future__ import annotations

import argparse
import os
import time

from tcverify import api
from tcverify.commands.discovery import case_files

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(path: str, **options):
    start = time.monotonic()
    result = api.decide_path(path, **options)
    return result, time.monotonic() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="*", default=[os.path.join(ROOT, "cases")])
    parser.add_argument("--method", default="auto", choices=("auto", "sat"))
    args = parser.parse_args()
    print(f"`--method {args.method}`; times in seconds\n")
    print("| case | verdict | prove | --certify | ratio | lengths by checked proof | lemmas (total) | lemmas (largest) | check |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    totals = [0.0, 0.0, 0, 0, 0.0]
    for path in case_files(args.paths):
        plain, plain_s = timed(path, method=args.method)
        checked, checked_s = timed(path, method=args.method, certify=True)
        assert plain.verdict == checked.verdict, path
        proofs = [o for o in checked.per_length if o.proof_lemmas]
        lemmas = sum(o.proof_lemmas for o in proofs)
        check_s = sum(o.check_time_s for o in proofs)
        largest = max((o.proof_lemmas for o in proofs), default=0)
        print(f"| {checked.name} | {checked.verdict} | {plain_s:.2f} | {checked_s:.2f} | {checked_s / plain_s:.2f} | "
              f"{len(proofs)} | {lemmas} | {largest} | {check_s:.2f} |")
        for k, value in enumerate((plain_s, checked_s, len(proofs), lemmas, check_s)):
            totals[k] += value
    plain_s, checked_s, proofs, lemmas, check_s = totals
    print(f"| **total** | | {plain_s:.2f} | {checked_s:.2f} | {checked_s / plain_s:.2f} | {proofs} | {lemmas} | | {check_s:.2f} |")


if __name__ == "__main__":
    main()
