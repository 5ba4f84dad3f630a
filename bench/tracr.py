"""Benchmark of the Tracr models of ../shared/tracr (issue 9, Speed): per model,
number format and length, the load time, the lowering time (both sides into the
miter), the CNF size, the solve time (CaDiCaL 1.9.5), the exhaustive enumeration
time (both sides' batch evaluators over every string) and the ratio of the SAT
path (lowering + CNF + solve) to the enumeration; plus the d_model-4 softmax
model with `outputs: every`, `mask: none` (bench/cases/softmax-every-none-d4.yaml)
with and without linear-form rewriting.

Each model is compared with a reference: Shuffle-Dyck-1 with the built-in
`dyck1` (outputs last), detect_pattern(aba) with a DFA (outputs every), and
the other three with the same export read with rounding `floor` (outputs every,
class for class, or `y > 1/2` for the numerical frac_prevs).

A second table (issue 17, `--rasp`; `--rasp-only` for it alone): per export of
cases/tracr/rasp/ (a Tracr model with its RASP program), at the precision of its
case in cases/tracr/ where the weights compute the program, and per length, the
lowering time and CNF clauses of each side on its own (the transformer; the
program, `rasp:`, with its undefined bits), their ratio, and the time the whole
case takes through `api.decide` (method auto).

Run: python bench/tracr.py [--formats 8:8,8:16] [--max-n 8] [--timeout S] [--models a,b] [--profile]
     python bench/tracr.py --rasp-only [--rasp-models a,b]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import tempfile
import time

from rich.console import Console
from rich.table import Table
from pysat.formula import IDPool
from tcverify import api, kinds
from tcverify.core.ir import GateCircuit
from tcverify.encodings.cnf import encode
from tcverify.proving import exhaustive

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRACR = os.path.join(os.path.dirname(ROOT), "shared", "tracr")
EVERY_NONE = os.path.join(ROOT, "bench", "cases", "softmax-every-none-d4.yaml")
RASP_CASES = os.path.join(ROOT, "cases", "tracr")
# export of cases/tracr/rasp/ -> its case in cases/tracr/ where the weights compute the program
RASP_MODELS = {
    "sort_unique_abc_len5": "rasp-sort-unique-f4.yaml",
    "reverse_abc_len5": "rasp-reverse-f5.yaml",
    "hist_abc_len5": "rasp-hist-f5.yaml",
    "pair_balance_len6": "rasp-pair-balance-f3.yaml",
    "frac_prevs_causal_len6": "rasp-frac-prevs-causal-f3.yaml",
    "count_less_freq2_abc_len5": "rasp-count-less-freq-f5.yaml",
    "detect_pattern_ab_abc_len5": "rasp-detect-pattern-ab-f4.yaml",
    "shuffle_dyck2_len6": "rasp-shuffle-dyck2-f6.yaml",
}


def side_cost(model, alphabet, outputs: str, n: int, repeat: int = 3) -> tuple:
    """(seconds, the best of `repeat` lowerings; clauses) of one model lowered alone at
    length n and its cone encoded as CNF."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        circuit = GateCircuit(n, alphabet)
        bits, undefined = kinds.lower_model_care(model, circuit, outputs)
        best = min(best, time.perf_counter() - start)
    encoding = encode(circuit, list(bits) + list(undefined), IDPool())
    return best, len(encoding.clauses)


def rasp_table(names) -> Table:
    table = Table(title="Tracr models against their RASP programs: each side lowered alone (seconds)")
    for column in ("export", "case", "n", "transformer lower", "clauses", "program lower", "clauses",
                   "program/transformer time", "case decided in"):
        table.add_column(column, justify="left" if column in ("export", "case") else "right")
    for name in names:
        path = os.path.join(RASP_CASES, RASP_MODELS[name])
        case = api.load(path, warn=lambda message: None)
        start = time.monotonic()
        result = api.decide(case)
        decided = time.monotonic() - start
        total_t = total_p = 0.0
        for n in case.lengths:
            t_s, t_clauses = side_cost(case.left, case.alphabet, case.outputs, n)
            p_s, p_clauses = side_cost(case.right, case.alphabet, case.outputs, n)
            total_t, total_p = total_t + t_s, total_p + p_s
            table.add_row(name, os.path.basename(path), str(n), f"{t_s:.3f}", str(t_clauses), f"{p_s:.3f}",
                          str(p_clauses), f"{p_s / max(t_s, 1e-6):.1%}", "")
        table.add_row(name, os.path.basename(path), "all", f"{total_t:.3f}", "", f"{total_p:.3f}", "",
                      f"{total_p / max(total_t, 1e-6):.1%}", f"{decided:.2f} ({result.verdict})", end_section=True)
    return table

DFA_ABA = """  dfa:
    start: s0
    accept: [s3]
    delta:
      s0: {a: s1, b: s0}
      s1: {a: s1, b: s2}
      s2: {a: s3, b: s0}
      s3: {a: s1, b: s2}"""

# model -> (alphabet, outputs, readout, right side or None for the same export rounded by floor)
MODELS = {
    "shuffle_dyck1_len8": ('["(", ")"]', "last", "{accept: [true]}", '  circuit: {builtin: dyck1, open: "(", close: ")"}'),
    "detect_pattern_aba_len8": ("[a, b]", "every", "{accept: [true]}", DFA_ABA),
    "frac_prevs_x_len8": ("[x, y]", "every", "{threshold: 0.5}", None),
    "length_len8": ("[a, b]", "every", "classes", None),
    "hist_len8": ("[a, b]", "every", "classes", None),
}


def case_text(name: str, int_bits: int, frac_bits: int, max_n: int) -> str:
    alphabet, outputs, readout, right = MODELS[name]

    def side(rounding):
        return (f"  transformer:\n    tracr: {os.path.join(TRACR, name)}\n"
                f"    number_format: {{int_bits: {int_bits}, frac_bits: {frac_bits}, rounding: {rounding}}}\n"
                f"    readout: {readout}")

    return (f"tcverify: 1\nalphabet: {alphabet}\nlengths: {{min: 1, max: {max_n}}}\noutputs: {outputs}\n"
            f"left:\n{side('nearest_even')}\nright:\n{right or side('floor')}\n")


def measure(case, n: int, timeout: float, rewrite: bool = True) -> dict:
    start = time.monotonic()
    miter = api.miter(case, n, rewrite=rewrite)
    lowered = time.monotonic() - start
    cnf = api.miter_cnf(miter)
    answer = api.solve(cnf.clauses, deadline=time.monotonic() + timeout)
    sat_path = time.monotonic() - start
    start = time.monotonic()
    status, _ = exhaustive.enumerate_length(case, n, time.monotonic() + timeout)
    enumerated = time.monotonic() - start
    return {"lower_s": lowered, "clauses": len(cnf.clauses), "solve_s": answer.time_s, "sat_s": sat_path,
            "status": answer.status, "enum_s": enumerated, "enum_status": status}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", default="8:8,8:16", help="I:F pairs, comma separated")
    parser.add_argument("--max-n", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per solve and per enumeration")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--profile", action="store_true", help="cProfile of the lowering, top functions per model")
    parser.add_argument("--rasp", action="store_true", help="also the table of the models against their RASP programs")
    parser.add_argument("--rasp-only", action="store_true", help="only that table")
    parser.add_argument("--rasp-models", default=",".join(RASP_MODELS))
    args = parser.parse_args()
    console = Console(width=160)
    if args.rasp or args.rasp_only:
        console.print(rasp_table(args.rasp_models.split(",")))
        if args.rasp_only:
            return
    table = Table(title="Tracr models (adder style, cadical195; times in seconds)")
    for column in ("model", "I:F", "n", "load", "lower", "clauses", "solve", "result", "SAT path", "enum", "SAT/enum"):
        table.add_column(column, justify="left" if column in ("model", "result") else "right")
    profiler = cProfile.Profile() if args.profile else None
    with tempfile.TemporaryDirectory() as folder:
        for name in args.models.split(","):
            for fmt in args.formats.split(","):
                int_bits, frac_bits = (int(x) for x in fmt.split(":"))
                path = os.path.join(folder, f"{name}-{int_bits}-{frac_bits}.yaml")
                with open(path, "w") as handle:
                    handle.write(case_text(name, int_bits, frac_bits, args.max_n))
                start = time.monotonic()
                case = api.load(path, warn=lambda message: None)
                loaded = time.monotonic() - start
                total_sat = total_enum = 0.0
                for n in range(1, args.max_n + 1):
                    if profiler:
                        profiler.enable()
                    m = measure(case, n, args.timeout)
                    if profiler:
                        profiler.disable()
                    total_sat += m["sat_s"]
                    total_enum += m["enum_s"]
                    table.add_row(name, fmt, str(n), f"{loaded:.2f}", f"{m['lower_s']:.2f}", str(m["clauses"]),
                                  f"{m['solve_s']:.2f}", m["status"], f"{m['sat_s']:.2f}", f"{m['enum_s']:.3f}",
                                  f"{m['sat_s'] / max(m['enum_s'], 1e-3):.1f}")
                table.add_row(name, fmt, "all", f"{loaded:.2f}", "", "", "", "", f"{total_sat:.2f}", f"{total_enum:.3f}",
                              f"{total_sat / max(total_enum, 1e-3):.1f}", end_section=True)
        case = api.load(EVERY_NONE, warn=lambda message: None)
        for rewrite in (True, False):
            m = measure(case, 16, args.timeout, rewrite)
            table.add_row("every/none d4" + ("" if rewrite else " --no-rewrite"), "4:4", "16", "", f"{m['lower_s']:.2f}",
                          str(m["clauses"]), f"{m['solve_s']:.2f}", m["status"], f"{m['sat_s']:.2f}",
                          f"{m['enum_s']:.3f}", f"{m['sat_s'] / max(m['enum_s'], 1e-3):.1f}")
    console.print(table)
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
