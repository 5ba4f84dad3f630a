"""Benchmark of the trained TransformerLens models of cases/trained/ (issue 22, Speed): per
case (a committed trained model at one number format, against its reference) and length,
the load time, the lowering time (both sides into the miter), the CNF size, the solve
time (CaDiCaL 1.9.5), the exhaustive enumeration time (both sides' batch evaluators over
every string) and the ratio of the SAT path (lowering + CNF + solve) to the enumeration.

Targets (issue 22): every length where enumeration is still possible decided in under
60 s, and the SAT path reaching at least 4 lengths beyond the last length where
enumeration is cheaper, within 10 minutes in all. Enumeration of a length is skipped
(and shown as "-") once the previous length's time, doubled, would pass --enum-timeout.

Run: python bench/trained.py [--cases a.yaml,b.yaml] [--lengths 1:8,13] [--max-n N] [--timeout S]
     [--enum-timeout S] [--budget S]
"""

from __future__ import annotations

import argparse
import glob
import os
import time

from rich.console import Console
from rich.table import Table
from tcverify import api
from tcverify.errors import UserError
from tcverify.proving import exhaustive

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = sorted(glob.glob(os.path.join(ROOT, "cases", "trained", "*.yaml")))


def sat_path(case, n: int, timeout: float) -> dict:
    start = time.monotonic()
    try:
        miter = api.miter(case, n)
    except UserError as exc:  # a construct the SAT lowering does not support yet
        return {"lower_s": 0.0, "clauses": 0, "solve_s": 0.0, "sat_s": float("inf"), "status": "no lowering",
                "why": str(exc)}
    lowered = time.monotonic() - start
    cnf = api.miter_cnf(miter)
    answer = api.solve(cnf.clauses, deadline=time.monotonic() + timeout)
    return {"lower_s": lowered, "clauses": len(cnf.clauses), "solve_s": answer.time_s,
            "sat_s": time.monotonic() - start, "status": answer.status}


def sat_path_skipped() -> dict:
    return {"lower_s": 0.0, "clauses": 0, "solve_s": 0.0, "sat_s": float("inf"), "status": "no lowering"}


def enumeration(case, n: int, timeout: float) -> dict:
    start = time.monotonic()
    status, _ = exhaustive.enumerate_length(case, n, time.monotonic() + timeout)
    return {"enum_s": time.monotonic() - start, "enum_status": status}


def parse_lengths(text: str) -> list:
    """"1:8,13" -> [1, ..., 8, 13]."""
    out = []
    for part in text.split(","):
        low, _, high = part.partition(":")
        out += list(range(int(low), int(high or low) + 1))
    return sorted(set(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES), help="case files, comma separated")
    parser.add_argument("--max-n", type=int, default=None, help="longest length (default: the case's)")
    parser.add_argument("--lengths", default=None, help="lengths to measure, e.g. 1:8,13 (default: the case's)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per solve")
    parser.add_argument("--enum-timeout", type=float, default=60.0, help="seconds per enumeration")
    parser.add_argument("--budget", type=float, default=600.0, help="seconds per case in all")
    args = parser.parse_args()
    console = Console(width=170)
    table = Table(title="Trained TransformerLens models (adder style, cadical195; times in seconds)")
    for column in ("case", "n", "load", "lower", "clauses", "solve", "SAT", "SAT path", "enum", "enum result",
                   "SAT/enum"):
        table.add_column(column, justify="left" if column in ("case", "SAT", "enum result") else "right")
    for path in args.cases.split(","):
        name = os.path.splitext(os.path.basename(path))[0]
        start = time.monotonic()
        case = api.load(path, warn=lambda message: None)
        loaded = time.monotonic() - start
        began, last_enum, sat_ok = time.monotonic(), 0.0, True
        lengths = parse_lengths(args.lengths) if args.lengths else case.lengths
        lengths = [n for n in lengths if args.max_n is None or n <= args.max_n]
        for n in lengths:
            left = args.budget - (time.monotonic() - began)
            if left <= 0:
                table.add_row(name, str(n), "", "", "", "", "budget spent", "", "", "", "")
                break
            m = sat_path(case, n, min(args.timeout, left)) if sat_ok else sat_path_skipped()
            if m["status"] == "no lowering" and sat_ok:
                console.print(f"{name}: {m['why']}")
                sat_ok = False
            if last_enum * 2 <= args.enum_timeout:
                e = enumeration(case, n, args.enum_timeout)
                last_enum = e["enum_s"]
                enum_s, enum_status = f"{e['enum_s']:.3f}", e["enum_status"]
                ratio = f"{m['sat_s'] / max(e['enum_s'], 1e-3):.2f}"
            else:
                enum_s, enum_status, ratio = "-", "skipped", ""
            table.add_row(name, str(n), f"{loaded:.2f}", f"{m['lower_s']:.2f}", str(m["clauses"]),
                          f"{m['solve_s']:.2f}", m["status"], f"{m['sat_s']:.2f}", enum_s, enum_status, ratio)
            console.print(f"{name} n={n}: lower {m['lower_s']:.2f} s, {m['clauses']} clauses, "
                          f"solve {m['solve_s']:.2f} s {m['status']}; enumeration {enum_s} s {enum_status}")
        table.add_row("", "", "", "", "", "", "", "", "", "", "", end_section=True)
    console.print(table)


if __name__ == "__main__":
    main()
