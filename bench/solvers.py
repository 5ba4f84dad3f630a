"""Benchmark of the SAT solver on the hard rows of issue 21: python-sat's CaDiCaL
1.9.5 (`cadical195`, the default) against CaDiCaL 3.0.0 (`cadical300`: in-solver
equivalence sweeping, congruence closure, backbones), each with and without
tcverify's own SAT sweeping (docs/sweeping.md), per case and length by the SAT
path alone (`--method sat`), in one run; plus one `--certify` run per solver on
the first row (the DRUP proof checked inside tcverify).

Run: python bench/solvers.py [--timeout 120] [--rows NAME:n,...] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

from rich.console import Console
from rich.table import Table
from tcverify.casefile.overrides import parse_override
from tcverify.kinds.case import load_case
from tcverify import api

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = {
    "frac-prevs32-every": ("bench/cases/frac-prevs32-every.yaml", ()),
    "frac-prevs32-last": ("bench/cases/frac-prevs32-last.yaml", ()),
    "majority-f6": ("cases/majority/majority-uniform-head-f4.yaml", ("left.number_format.frac_bits=6",)),
    "shuffle-dyck1-len24": ("bench/cases/shuffle-dyck1-len24.yaml", ()),
}
ROWS = "frac-prevs32-every:22,frac-prevs32-every:26,frac-prevs32-last:28,frac-prevs32-last:32,majority-f6:64,shuffle-dyck1-len24:18"
CONFIGS = [("cadical195", True), ("cadical195", False), ("cadical300", True), ("cadical300", False)]


def load(name: str):
    path, settings = CASES[name]
    return load_case(os.path.join(ROOT, path), overrides=tuple(parse_override(s) for s in settings), warn=lambda message: None)


def run(case, n: int, timeout: float, **options) -> tuple:
    start = time.monotonic()
    result = api.decide(dataclasses.replace(case, lengths=(n,)), method="sat", timeout=timeout, **options)
    outcome = result.per_length[-1]
    return time.monotonic() - start, outcome


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per row and configuration")
    parser.add_argument("--rows", default=ROWS)
    parser.add_argument("--markdown", default=None)
    args = parser.parse_args()
    table = Table(title="SAT path by solver, with and without tcverify's sweeping (s, conflicts)")
    table.add_column("case")
    table.add_column("n", justify="right")
    for solver, sweep in CONFIGS:
        table.add_column(f"{solver}{'' if sweep else ' no-sweep'}", justify="right")
    rows = []
    for item in args.rows.split(","):
        name, n = item.split(":")
        case = load(name)
        cells = []
        for solver, sweep in CONFIGS:
            seconds, outcome = run(case, int(n), args.timeout, solver=solver, sweep=sweep)
            text = f"{seconds:.1f} ({outcome.conflicts})" if outcome.status != "unknown" else f">{args.timeout:.0f}"
            cells.append(text if outcome.status in ("equivalent", "unknown") else f"{text} {outcome.status}")
        table.add_row(name, n, *cells)
        rows.append((name, n, cells))
        print(name, n, cells, flush=True)
    Console(width=160).print(table)
    name, n = args.rows.split(",")[0].split(":")
    for solver in ("cadical195", "cadical300"):
        seconds, outcome = run(load(name), int(n), args.timeout, solver=solver, certify=True)
        print(f"--certify with {solver} on {name} n={n}: {outcome.status}, certified {outcome.certified}, "
              f"{outcome.proof_lemmas} lemmas checked, {seconds:.1f} s")
    if args.markdown:
        with open(args.markdown, "w") as out:
            out.write("| case | n | " + " | ".join(f"{s}{'' if w else ' no-sweep'}" for s, w in CONFIGS) + " |\n")
            out.write("|---|---:|" + "---:|" * len(CONFIGS) + "\n")
            for name, n, cells in rows:
                out.write(f"| {name} | {n} | " + " | ".join(cells) + " |\n")


if __name__ == "__main__":
    main()
