"""Benchmark of the hard arithmetic miters of issue 10: total time with and
without SAT sweeping (and with and without word-level rewriting, when
`api.decide` has `rewrite`), the solver's conflicts and the nodes merged.

- majority F=6: MAJORITY by one uniform head (cases/majority/
  majority-uniform-head-f4.yaml at frac_bits = 6, exact up to n = 128) against
  the built-in majority, every n in 1..64 (target: 30 s in all); with --long
  also F=7 for every n in 1..128 (target: 5 min).
- dyck1 F=4: Dyck-1 by counting (cases/dyck/dyck1-counting-f3.yaml at
  frac_bits = 4) against the built-in dyck1, outputs every, one length per row.
- compiled n: `tcverify compile` of the majority-f4 transformer at length n
  (threshold style) against that transformer (cases/compiled/), one length per
  row (target: n = 32 under 1 s).

Every configuration of a row runs under the same time limit (--timeout, per
case), so the script ends; a row that runs out reports how far it proved.

Run: python bench/hard_miters.py [--timeout 60] [--long] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

from rich.console import Console
from rich.table import Table
from tcverify import api
from tcverify.kinds.circuit.load import parse_netlist
from tcverify.core.models import Circuit
from tcverify.exporters.netlist import to_netlist

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAJORITY = os.path.join(ROOT, "cases", "majority", "majority-uniform-head-f4.yaml")
DYCK = os.path.join(ROOT, "cases", "dyck", "dyck1-counting-f3.yaml")


def load(path: str, *settings: str):
    return api.load(path, overrides=tuple(api.parse_override(s) for s in settings), warn=lambda message: None)


def majority_case(frac_bits: int, max_n: int):
    return load(MAJORITY, f"left.number_format.frac_bits={frac_bits}", f"lengths={{min: 1, max: {max_n}}}")


def dyck_case(n: int):
    return load(DYCK, "left.number_format.frac_bits=4", f"lengths=[{n}]")


def compiled_case(n: int):
    """The majority-f4 transformer (left) against its compiled netlist (right)."""
    source = load(MAJORITY, f"lengths=[{n}]")
    circuit, outputs = api.compile(source, "left", n)
    netlist = to_netlist(circuit, outputs)
    right = Circuit("netlist", "<compiled>", lambda length: parse_netlist(netlist, "<compiled>", source.alphabet, length, source.outputs))
    return dataclasses.replace(source, name=f"compiled-{n}", right=right)


def configurations() -> list:
    """(label, `api.decide` keyword arguments): sweeping on/off, rewriting on/off."""
    configs = []
    for rewrite in (True, False):
        for sweep in (True, False):
            label = ("sweep" if sweep else "no-sweep") + (" rewrite" if rewrite else " no-rewrite")
            configs.append((label, {"sweep": sweep, "rewrite": rewrite}))
    return configs


def run(case, options: dict, timeout: float) -> dict:
    start = time.monotonic()
    result = api.decide(case, timeout=timeout, **options)
    done = [r for r in result.per_length if r.status != "unknown"]
    return {"time_s": time.monotonic() - start, "verdict": result.verdict,
            "proved_to": max((r.n for r in done if r.status == "equivalent"), default=0),
            "conflicts": sum(r.conflicts for r in result.per_length),
            "merged": sum(r.merged for r in result.per_length),
            "sweep_s": sum(r.sweep_s for r in result.per_length)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per case and configuration")
    parser.add_argument("--long", action="store_true", help="also MAJORITY at F=7 for every n <= 128 (5 min limit)")
    parser.add_argument("--markdown", default=None, help="also write the table as Markdown to this file")
    args = parser.parse_args()
    rows = [("majority F=6, n=1..64", lambda: majority_case(6, 64), args.timeout)]
    if args.long:
        rows.append(("majority F=7, n=1..128", lambda: majority_case(7, 128), max(args.timeout, 300.0)))
    rows += [(f"dyck1 F=4, n={n}", lambda n=n: dyck_case(n), args.timeout) for n in (8, 12, 16, 20, 24)]
    rows += [(f"compiled, n={n}", lambda n=n: compiled_case(n), args.timeout) for n in (8, 16, 24, 32)]
    configs = configurations()
    columns = ["case"] + [f"{label} {what}" for label, _ in configs for what in ("s", "result", "conflicts", "merged")]
    table = Table(title=f"hard miters (cadical195, limit {args.timeout:.0f} s per case and configuration)")
    for column in columns:
        table.add_column(column, justify="left" if column == "case" else "right")
    lines = []
    console = Console()
    for name, build, timeout in rows:
        cells = [name]
        for _, options in configs:
            m = run(build(), options, timeout)  # a fresh load: no configuration inherits another's caches
            result = m["verdict"] if m["verdict"] != "unknown" else f"unknown (to n={m['proved_to']})"
            cells += [f"{m['time_s']:.2f}", result, str(m["conflicts"]), str(m["merged"])]
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
        console.print(" | ".join(cells))
    console.print(table)
    if args.markdown:
        with open(args.markdown, "w") as out:
            out.write("| " + " | ".join(columns) + " |\n| " + " | ".join("---" for _ in columns) + " |\n")
            out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
