"""Benchmark of the transformer lowering on miters (CaDiCaL 1.9.5): gates, CNF
variables and clauses, lowering time and solve time per length.

- majority n: one average-attention head (cases/majority, every score ties) at
  frac_bits = ceil(log2 n) + 1, where it computes MAJORITY, against the builtin
  threshold gate; UNSAT at every n.
- every conformance case with a transformer side, at each of its lengths.

Run: python bench/transformers.py [--max-n 32] [--timeout SECONDS] [--skip-conformance]
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import time

from rich.console import Console
from rich.table import Table
from tcverify import api
from tcverify.core.models import Transformer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAJORITY = os.path.join(ROOT, "cases", "majority", "majority-uniform-head-f4.yaml")
CONFORMANCE = os.path.join(os.path.dirname(ROOT), "shared", "conformance")


def majority_case(n: int):
    """The majority case with the transformer's frac_bits set to ceil(log2 n) + 1."""
    case = api.load(MAJORITY, warn=lambda message: None)
    left = case.left
    fmt = dataclasses.replace(left.number_format, frac_bits=math.ceil(math.log2(n)) + 1)
    left = dataclasses.replace(left, number_format=fmt, param_format=fmt)
    return dataclasses.replace(case, left=left, lengths=(n,))


def measure(case, n: int, timeout: float) -> dict:
    start = time.monotonic()
    miter = api.miter(case, n)
    cnf = api.miter_cnf(miter)
    built = time.monotonic() - start
    result = api.solve(cnf.clauses, deadline=time.monotonic() + timeout)
    return {"gates": len(miter.circuit.gates), "vars": cnf.nvars, "clauses": len(cnf.clauses),
            "build_s": built, "solve_s": result.time_s, "status": result.status}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-n", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--skip-conformance", action="store_true")
    args = parser.parse_args()
    console = Console()
    table = Table(title="transformer miters (adder style, cadical195)")
    for column in ("case", "n", "F", "gates", "vars", "clauses", "build s", "solve s", "result"):
        table.add_column(column, justify="left" if column in ("case", "result") else "right")

    def row(name, n, frac_bits, m):
        table.add_row(name, str(n), str(frac_bits), str(m["gates"]), str(m["vars"]), str(m["clauses"]),
                      f"{m['build_s']:.2f}", f"{m['solve_s']:.2f}", m["status"])

    for n in [1, 2, 4, 8, 12, 16, 20, 24, 28, 32]:
        if n <= args.max_n:
            case = majority_case(n)
            row("majority", n, case.left.number_format.frac_bits, measure(case, n, args.timeout))
    if not args.skip_conformance and os.path.isdir(CONFORMANCE):
        for name in sorted(os.listdir(CONFORMANCE)):
            path = os.path.join(CONFORMANCE, name, name + ".yaml")
            if not os.path.isfile(path):
                continue
            case = api.load(path, warn=lambda message: None)
            models = [m for m in (case.left, case.right) if isinstance(m, Transformer)]
            if not models:
                continue
            for n in case.lengths:
                row(name, n, models[0].number_format.frac_bits, measure(case, n, args.timeout))
    console.print(table)


if __name__ == "__main__":
    main()
