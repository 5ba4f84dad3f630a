"""Benchmark of count forms (issue 21, `lowering/counts.py`) on the long Shuffle-Dyck
cases: per length, the lowering (seconds), the miter's CNF (clauses) and the SAT solve
(seconds, conflicts), with count forms on and off (`counts=False`, the lowering as before)
in one run, each length in a child process killed at the time limit; then `prove` of the
whole case (every length, `--method auto`, count forms on) against the issue's targets
(len 24: every n <= 24 in 120 s; len 32: every n <= 32 in 600 s).

Run: python bench/long_dyck.py [--timeout 120] [--from 12] [--cases len24,len32] [--off-until 19]
     [--markdown FILE]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time

from tcverify import api
from tcverify.kinds.case import load_case
from tcverify.proving.miter import build_miter, miter_cnf
from tcverify.proving.solver import solve

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = {
    "len24": ("bench/cases/shuffle-dyck1-len24.yaml", 120.0),
    "len32": ("bench/cases/shuffle-dyck1-len32.yaml", 600.0),
}


def load(name: str):
    return load_case(os.path.join(ROOT, CASES[name][0]), warn=lambda message: None)


def _length(name: str, n: int, counts: bool, timeout: float, out):
    start = time.monotonic()
    miter = build_miter(load(name), n, counts=counts)
    lowered = time.monotonic()
    cnf = miter_cnf(miter)
    encoded = time.monotonic()
    result = solve(cnf.clauses, deadline=start + timeout)
    out.put((lowered - start, len(cnf.clauses), encoded - lowered, time.monotonic() - encoded, result.status,
             result.conflicts))


def one_length(name: str, n: int, counts: bool, timeout: float):
    """(lower s, clauses, encode s, solve s, status, conflicts), or None past the time limit."""
    out = multiprocessing.Queue()
    child = multiprocessing.Process(target=_length, args=(name, n, counts, timeout, out))
    child.start()
    child.join(timeout + 5)
    if child.is_alive():
        child.terminate()
        child.join()
        return None
    return out.get() if not out.empty() else None


def _prove(name: str, timeout: float, out):
    start = time.monotonic()
    result = api.decide(load(name), timeout=timeout)
    out.put((time.monotonic() - start, result.verdict,
             [(r.n, r.status, r.method, round(r.time_s, 1)) for r in result.per_length]))


def prove_all(name: str, timeout: float):
    out = multiprocessing.Queue()
    child = multiprocessing.Process(target=_prove, args=(name, timeout, out))
    child.start()
    child.join(timeout + 30)
    if child.is_alive():
        child.terminate()
        child.join()
        return None
    return out.get() if not out.empty() else None


def cell(found) -> str:
    if found is None:
        return "> limit"
    lower, clauses, _, solved, status, conflicts = found
    return f"{lower:.1f} / {clauses:,} / {solved:.1f} ({conflicts:,}){'' if status == 'unsat' else ' ' + status}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per length and configuration")
    parser.add_argument("--from", dest="first", type=int, default=12)
    parser.add_argument("--cases", default="len24,len32")
    parser.add_argument("--off-until", type=int, default=19, help="the longest length run with count forms off")
    parser.add_argument("--no-prove", action="store_true", help="skip the whole-case prove runs")
    parser.add_argument("--markdown", default=None)
    args = parser.parse_args()
    lines = ["| case | n | counts on: lower s / clauses / solve s (conflicts) | counts off |", "|---|---:|---|---|"]
    for name in args.cases.split(","):
        last = load(name).lengths[-1]
        off_failed = False
        for n in range(args.first, last + 1):
            on = one_length(name, n, True, args.timeout)
            off_text = "not run"
            if n <= args.off_until and not off_failed:
                off = one_length(name, n, False, args.timeout)
                off_failed, off_text = off is None, cell(off)
            row = f"| {name} | {n} | {cell(on)} | {off_text} |"
            lines.append(row)
            print(row, flush=True)
            if on is None:
                break
    if not args.no_prove:
        lines += ["", "| case | prove, every length (auto, counts on) | target | per length (n, method, s) |", "|---|---:|---:|---|"]
        for name in args.cases.split(","):
            target = CASES[name][1]
            found = prove_all(name, target)
            if found is None:
                row = f"| {name} | > {target:.0f} (killed) | {target:.0f} | |"
            else:
                seconds, verdict, per = found
                per_text = ", ".join(f"{n}: {method} {s}" for n, status, method, s in per if n >= args.first)
                row = f"| {name} | {seconds:.1f} ({verdict}) | {target:.0f} | {per_text} |"
            lines.append(row)
            print(row, flush=True)
    if args.markdown:
        with open(args.markdown, "w") as out:
            out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
