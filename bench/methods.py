"""Benchmark of `--method auto`'s estimate against the measured times: per case of
the library and length, the exhaustive enumeration time and the SAT path's time
(lowering, encoding, solving), each beside its estimate, and the method auto
picks, and the miter's real gates (after structural hashing). The two
constants of the estimate (`exhaustive.ENUMERATION_S_PER_OP`,
`exhaustive.SAT_S_PER_GATE`) are chosen so that the total time of auto's
choices is small against enumerating or solving every length; the script
prints those three totals and the medians of the measured/estimated ratios.

Run: python bench/methods.py [--max-strings 65536] [cases or folders...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from rich.console import Console
from rich.table import Table
from tcverify.commands.discovery import case_files
from tcverify import api
from tcverify.proving import exhaustive

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def measure(case, n: int) -> dict:
    start = time.monotonic()
    status, _ = exhaustive.enumerate_length(case, n)
    enumeration = time.monotonic() - start
    start = time.monotonic()
    miter = api.miter(case, n)
    gates = len(miter.circuit.cone([miter.diff]))
    if miter.circuit.const_value(miter.diff) is None:
        api.solve(api.miter_cnf(miter).clauses)
    sat = time.monotonic() - start
    return dict(status=status, enumeration=enumeration, enumeration_estimate=exhaustive.enumeration_seconds(case, n),
                sat=sat, gates=gates, sat_estimate=exhaustive.sat_seconds(case, n),
                auto=api.length_method(case, n))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="*", default=[os.path.join(ROOT, "cases")])
    parser.add_argument("--max-strings", type=int, default=1 << 16)
    args = parser.parse_args()
    table = Table(title="--method auto: estimates against measured times (s)")
    for column in ("case", "n", "strings", "enum", "enum est.", "gates", "sat", "sat est.", "auto", "faster"):
        table.add_column(column, justify="right")
    per_op, per_gate, agree, rows = [], [], 0, 0
    totals = {"auto": 0.0, "exhaustive": 0.0, "sat": 0.0}
    for path in case_files(args.paths):
        case = api.load(path, warn=lambda message: None)
        for n in case.lengths:
            if exhaustive.string_count(case, n) > args.max_strings:
                break
            m = measure(case, n)
            faster = "exhaustive" if m["enumeration"] <= m["sat"] else "sat"
            rows += 1
            totals["auto"] += m["enumeration"] if m["auto"] == "exhaustive" else m["sat"]
            totals["exhaustive"] += m["enumeration"]
            totals["sat"] += m["sat"]
            agree += faster == m["auto"]
            if m["enumeration_estimate"] > 0:
                per_op.append(m["enumeration"] / m["enumeration_estimate"] * exhaustive.ENUMERATION_S_PER_OP)
            if m["sat_estimate"] > 0:
                per_gate.append(m["sat"] / m["sat_estimate"] * exhaustive.SAT_S_PER_GATE)
            table.add_row(case.name, str(n), str(exhaustive.string_count(case, n)), f"{m['enumeration']:.4f}",
                          f"{m['enumeration_estimate']:.4f}", str(m["gates"]), f"{m['sat']:.4f}",
                          f"{m['sat_estimate']:.4f}", m["auto"], faster)
            if m["status"] == "counterexample":
                break
    Console(width=160).print(table)
    print(f"auto picked the faster method on {agree} of {rows} lengths")
    print("total time of auto's choices {auto:.2f} s, every length exhaustive {exhaustive:.2f} s, "
          "every length by SAT {sat:.2f} s".format(**totals))
    print(f"measured seconds per evaluator operation: median {statistics.median(per_op):.2e}")
    print(f"measured seconds per estimated miter gate (SAT path): median {statistics.median(per_gate):.2e}")


if __name__ == "__main__":
    main()
