"""Benchmark of `lowering/arithmetic`: division by a constant and table lookups on
16- and 24-bit words, built from runs / arithmetic (this tree) against the baseline
that tabulated the function over the word's whole range (`lowering/arithmetic/`
at commit BASELINE, loaded from git into a temporary module).

Per row: calls of the function f (the baseline calls it once per integer of the
range), IR gates in the result's cone, CNF clauses of that cone (adder style) and
build time. The baseline at 24 bits would evaluate f 2^24 times and hold lists of
that length; it is run only with --baseline-24.

Run: python bench/fixedpoint.py [--baseline-24]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time

from pysat.formula import IDPool
from rich.console import Console
from rich.table import Table
from tcverify.encodings import cnf
from tcverify.lowering import arithmetic as fixedpoint
from tcverify.lowering.arithmetic import SOFTMAX_X_PIECES, Word, activation_pieces
from tcverify.core.ir import GateCircuit
from tcverify.semantics.activations import activation_k, softmax_x
from tcverify.core.number_format import NumberFormat

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINE = "d3f0c4c"  # the last commit with lowering/arithmetic/ as one module


def baseline_module():
    """lowering/arithmetic/ at BASELINE, imported as a module of tcverify.encodings."""
    source = subprocess.run(["git", "-C", ROOT, "show", f"{BASELINE}:lowering/arithmetic/"],
                            capture_output=True, text=True, check=True).stdout
    path = os.path.join(tempfile.mkdtemp(), "baseline_fixedpoint.py")
    with open(path, "w") as out:
        out.write(source)
    spec = importlib.util.spec_from_file_location("tcverify.encodings.baseline_fixedpoint", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def workloads(width: int):
    """(name, build(arith, word, counted f)) for one input width; the functions are those the
    transformer lowering calls (round_k of a division, activation_k, softmax_x)."""
    fmt = NumberFormat(width - 8, 8)  # 8 fractional bits: 256 levels per unit
    out = []
    for d in (7, 100):
        def f(k, d=d):
            return fmt.round_k(k, d)
        out.append((f"round(k / {d})", f, lambda ar, a, g, d=d: ar.div_round_const(a, d, fmt),
                    lambda ar, a, g: ar.lookup(a, g)))
    for name in ("sigmoid", "tanh"):
        def f(k, name=name):
            return activation_k(name, k, fmt)
        pieces = activation_pieces(name, fmt)
        out.append((f"{name} I={fmt.int_bits} F=8", f, lambda ar, a, g, pieces=pieces: ar.lookup(a, g, pieces),
                    lambda ar, a, g: ar.lookup(a, g)))

    def x(k):
        return softmax_x(min(k, 0), width - 8, 8)

    out.append((f"X(d) F={width - 8} Fe=8", x, lambda ar, a, g: ar.lookup(a, g, SOFTMAX_X_PIECES),
                lambda ar, a, g: ar.lookup(a, g)))
    return out


def measure(module, style: str, width: int, f, build) -> dict:
    circuit = GateCircuit(width, ("0", "1"))
    ar = module.Arithmetic(circuit, style)
    word = Word(tuple(circuit.input(i, "1") for i in range(width)), -(1 << (width - 1)), (1 << (width - 1)) - 1)
    calls = [0]

    def counted(k):
        calls[0] += 1
        return f(k)

    start = time.perf_counter()
    result = build(ar, word, counted)
    built = time.perf_counter() - start
    roots = [n for n in result.bits if circuit.const_value(n) is None]
    cone = [n for n in circuit.cone(roots) if circuit.gates[n].op not in ("input", "const")]
    clauses = len(cnf.encode(circuit, roots, IDPool(), cnf.EncodingOptions()).clauses) if style == "adder" else None
    return {"calls": calls[0], "gates": len(cone), "clauses": clauses, "build_s": built}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-24", action="store_true", help="also build the baseline at 24 bits")
    args = parser.parse_args()
    baseline = baseline_module()
    console = Console(width=200)
    table = Table(title="fixedpoint: runs and arithmetic vs tabulating the range (baseline)")
    for column in ("function", "bits", "style", "f calls", "gates", "clauses", "build s",
                   "baseline f calls", "baseline gates", "baseline build s", "build ratio"):
        table.add_column(column, justify="left" if column in ("function", "style") else "right")
    for width in (16, 24):
        for name, f, new, old in workloads(width):
            for style in ("adder", "threshold"):
                row = measure(fixedpoint, style, width, f, new)
                if width < 24 or args.baseline_24:
                    base = measure(baseline, style, width, f, old)
                    base_cells = [str(base["calls"]), str(base["gates"]), f"{base['build_s']:.2f}",
                                  f"{base['build_s'] / row['build_s']:.0f}x"]
                else:
                    base_cells = [f"{1 << width} (range)", "not run", "not run", ""]
                table.add_row(name, str(width), style, str(row["calls"]), str(row["gates"]),
                              "" if row["clauses"] is None else str(row["clauses"]), f"{row['build_s']:.2f}", *base_cells)
    console.print(table)


if __name__ == "__main__":
    main()
