"""Berkeley ABC's `&cec` against `tcverify prove` on the example library, side by
side in one run: for every case, tcverify decides its lengths shortest first
(once as `prove` does, with the sampling pass, and once SAT only); then each of
those lengths' miters is exported with `tcverify aiger` (in process) and
checked by `abc -c "&r miter.aig; &cec -m"` (`-m`: the network is a
single-output miter, proved when its output is constant 0). Verdicts must
agree length by length.

Times are CPU seconds (user + system; wall-clock time is meaningless on a
shared, loaded machine) summed over the case's lengths: tcverify's include
loading, lowering, CNF and solving; "export" is lowering to AIGER and writing
the file; "abc" is the ABC process (start, reading the file and `&cec`).
The ratio is (export + abc) / tcverify SAT-only.

Skips (exit 0, saying so) when neither `berkeley-abc` (Debian:
`apt-get install berkeley-abc`) nor `abc` is on PATH.

Run: python bench/abc_compare.py [CASES...] [--timeout SECONDS] [--markdown docs/bench/abc.md]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

from rich.console import Console
from rich.table import Table
from tcverify import api
from tcverify.commands.discovery import case_files

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLUMNS = ("case", "lengths", "tcverify", "prove s", "SAT-only s", "export s", "abc s", "abc &cec", "agree", "(export+abc)/SAT")


def abc_binary():
    return shutil.which("berkeley-abc") or shutil.which("abc")


def abc_cec(abc: str, aig_path: str, timeout: float):
    """(verdict, CPU seconds of the ABC process): equivalent, counterexample or undecided."""
    start = children_cpu()
    try:
        run = subprocess.run([abc, "-c", f"&r {aig_path}; &cec -m -T {int(timeout)}"],
                             capture_output=True, text=True, timeout=timeout + 30)
        out = run.stdout
    except subprocess.TimeoutExpired:
        out = ""
    elapsed = children_cpu() - start
    if re.search(r"Networks are equivalent", out):
        return "equivalent", elapsed
    if re.search(r"NOT EQUIVALENT", out):
        return "counterexample", elapsed
    return "undecided", elapsed


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_prove(path: str, **options):
    """(CaseResult, CPU seconds)."""
    start = time.process_time()
    result = api.decide_path(path, **options)
    return result, time.process_time() - start


def compare_case(abc: str, path: str, timeout: float, workdir: str) -> list:
    default, default_s = timed_prove(path, timeout=timeout)
    sat_only, sat_s = timed_prove(path, timeout=timeout, sample=False)
    export_s = abc_s = 0.0
    abc_verdict, agree = "equivalent", True
    for outcome in sat_only.per_length:
        if outcome.status == "unknown":
            break
        start = time.process_time()
        aig_path = os.path.join(workdir, "miter.aig")
        with open(aig_path, "wb") as handle:
            handle.write(api.aiger_model(api.load(path), outcome.n).to_bytes())
        export_s += time.process_time() - start
        verdict, seconds = abc_cec(abc, aig_path, timeout)
        abc_s += seconds
        agree &= verdict == outcome.status
        if verdict != "equivalent":
            abc_verdict = f"{verdict} at {outcome.n}"
            break
    lengths = [r.n for r in sat_only.per_length]
    span = f"{lengths[0]}..{lengths[-1]}" if len(lengths) > 2 else ",".join(map(str, lengths))
    verdict = sat_only.verdict + (f" at {sat_only.counterexample['length']}" if sat_only.counterexample else "")
    ratio = (export_s + abc_s) / sat_s if sat_s > 0 else float("nan")
    return [os.path.relpath(path, ROOT), span, verdict, f"{default_s:.2f}", f"{sat_s:.2f}",
            f"{export_s:.2f}", f"{abc_s:.2f}", abc_verdict, "yes" if agree and default.verdict == sat_only.verdict else "NO",
            f"{ratio:.2f}"]


def markdown(rows, note: str) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return note + "\n\n" + "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", default=[os.path.join(ROOT, "cases")])
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per case (tcverify) and per length (ABC)")
    parser.add_argument("--markdown", default=None, help="also write the table as Markdown to this file")
    args = parser.parse_args()
    abc = abc_binary()
    if abc is None:
        print("bench/abc_compare.py: skipped: neither berkeley-abc nor abc is on PATH "
              "(Debian: apt-get install berkeley-abc)")
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for path in case_files(args.cases):
            rows.append(compare_case(abc, path, args.timeout, workdir))
            print(" | ".join(rows[-1]), file=sys.stderr)
    table = Table(title=f"ABC &cec ({abc}) vs tcverify prove")
    for column in COLUMNS:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    Console().print(table)
    total = [sum(float(row[k]) for row in rows) for k in (3, 4, 5, 6)]
    print(f"totals: prove {total[0]:.2f} s, SAT-only {total[1]:.2f} s, export {total[2]:.2f} s, abc {total[3]:.2f} s; "
          f"(export+abc)/SAT-only {(total[2] + total[3]) / total[1]:.2f}")
    if args.markdown:
        os.makedirs(os.path.dirname(args.markdown) or ".", exist_ok=True)
        with open(args.markdown, "w") as handle:
            handle.write(markdown(rows, f"Totals: prove {total[0]:.2f} s, SAT-only {total[1]:.2f} s, "
                                        f"export {total[2]:.2f} s, abc {total[3]:.2f} s."))
    return 0 if all(row[8] == "yes" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
