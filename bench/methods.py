"""Benchmark of `--method auto` (issue 21): per case and length, the time of
`prove` with `--method exhaustive`, with `--method sat` and with `--method auto`
(each one whole length: sampling pass, enumeration or lowering, encoding,
solving; auto's own time, its lowering and any SAT attempt before an enumeration
included), the method `auto` chose and the ratio of auto's time to the faster
method's (target: at most 2; times under NOISE_S count as NOISE_S). Also the
estimates auto compares (`exhaustive.enumeration_seconds` from the measured cost
per string; the lowering's time plus `exhaustive.sat_seconds` of the lowered
miter), so the constants can be checked: the median measured/estimated ratios
are printed at the end.

Run: python bench/methods.py [--max-strings 65536] [--timeout 300] [cases or folders...]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time

import numpy as np
from rich.console import Console
from rich.table import Table
from tcverify import api
from tcverify.commands.discovery import case_files
from tcverify.proving import exhaustive
from tcverify.proving.miter import build_miter
from tcverify.proving.pipeline import sample_disagreement

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOISE_S = 0.1  # times below this are compared as this (the ratio of two noises says nothing)


def timed(case, n: int, method: str, timeout: float) -> tuple:
    """(seconds, result) of proving length n alone with `method`."""
    start = time.monotonic()
    result = api.decide(dataclasses.replace(case, lengths=(n,)), method=method, timeout=timeout)
    return time.monotonic() - start, result


def measure(case, n: int, timeout: float) -> dict:
    enumeration, result = timed(case, n, "exhaustive", timeout)
    sat, _ = timed(case, n, "sat", timeout)
    auto_s, auto = timed(case, n, "auto", timeout)
    start = time.monotonic()
    _, count = sample_disagreement(case, n, np.random.default_rng([0, n]))
    per_string = (time.monotonic() - start) / count
    start = time.monotonic()
    miter = build_miter(case, n)
    sat_estimate = time.monotonic() - start + exhaustive.sat_seconds(miter)
    return dict(verdict=result.verdict, enumeration=enumeration, sat=sat, auto_s=auto_s, auto=auto.per_length[-1].method,
                enumeration_estimate=exhaustive.enumeration_seconds(case, n, per_string),
                sat_estimate=sat_estimate, planned=api.length_method(case, n))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="*", default=[os.path.join(ROOT, "cases")])
    parser.add_argument("--max-strings", type=int, default=1 << 16)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    table = Table(title="--method auto: chosen method against the faster one (s)")
    for column in ("case", "n", "strings", "exhaustive", "enum est.", "sat", "sat est.", "auto", "auto s", "ratio"):
        table.add_column(column, justify="right")
    enum_ratio, sat_ratio, worst, rows = [], [], [], 0
    totals = {"auto": 0.0, "exhaustive": 0.0, "sat": 0.0}
    for path in case_files(args.paths):
        case = api.load(path, warn=lambda message: None)
        for n in case.lengths:
            if exhaustive.string_count(case, n) > args.max_strings:
                break
            m = measure(case, n, args.timeout)
            chosen = m["auto_s"]
            ratio = max(chosen, NOISE_S) / max(min(m["enumeration"], m["sat"]), NOISE_S)
            rows += 1
            worst.append((ratio, case.name, n))
            totals["auto"] += chosen
            totals["exhaustive"] += m["enumeration"]
            totals["sat"] += m["sat"]
            if m["planned"] == "auto":  # lengths decided by the estimates (not small enough to enumerate outright)
                enum_ratio.append(m["enumeration"] / m["enumeration_estimate"])
                sat_ratio.append(m["sat"] / m["sat_estimate"])
            cells = (case.name, str(n), str(exhaustive.string_count(case, n)), f"{m['enumeration']:.3f}",
                     f"{m['enumeration_estimate']:.3f}", f"{m['sat']:.3f}", f"{m['sat_estimate']:.3f}",
                     m["auto"], f"{chosen:.3f}", f"{ratio:.2f}")
            table.add_row(*cells)
            print("| " + " | ".join(cells) + " |", flush=True)  # as measured, for long runs
            if m["verdict"] != "equivalent":
                break
    Console(width=160).print(table)
    worst.sort(reverse=True)
    print(f"{rows} lengths; auto is within 2x of the faster method on {sum(r <= 2 for r, _, _ in worst)}; "
          f"worst {worst[0][0]:.2f} ({worst[0][1]} n={worst[0][2]})" if worst else "no lengths")
    print("total time of auto {auto:.2f} s, every length exhaustive {exhaustive:.2f} s, "
          "every length by SAT {sat:.2f} s".format(**totals))
    if enum_ratio:
        print(f"lengths decided by the estimates: {len(enum_ratio)}; measured/estimated enumeration median "
              f"{statistics.median(enum_ratio):.2f}, SAT median {statistics.median(sat_ratio):.2f}")


if __name__ == "__main__":
    main()
