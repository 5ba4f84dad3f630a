"""Benchmark of the threshold-gate encodings on miters the solver must prove
(UNSAT): variables, clauses, encoding time and solve time (CaDiCaL 1.9.5).

- majority n: the unit gate `sum x >= n/2 + 1` against Batcher's sorting
  network built from and/or gates (its middle output); one row per cardinality
  encoding.
- majority-adder n: the same gate against a tree of ripple-carry adders
  counting the ones (full adders: xor and a 3-input majority, as
  `lowering/arithmetic/` builds them) compared with the constant; this side
  shares no structure with any of the encodings.
- compare k: `a >= b` on two k-bit words as one weighted gate
  (weights 2^j and -2^j) against ripple comparator logic; one row per PB encoding.
- weighted n: `sum w_i x_i >= T` (weights 1..5) against a sorting network over
  the inputs repeated w_i times; one row per PB encoding.

Run: python bench/encodings.py [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import random
import time

from pysat.formula import IDPool
from rich.console import Console
from rich.table import Table
from tcverify.encodings.cardinality import batcher_comparators
from tcverify.encodings.cnf import CARDINALITY_ENCODINGS, PB_ENCODINGS, EncodingOptions, encode
from tcverify.core.ir import GateCircuit
from tcverify.proving.solver import solve


def sorting_network_output(circuit, wires, k):
    """Output k (0-based) of Batcher's network sorting `wires` in decreasing order."""
    size = 1
    while size < len(wires):
        size *= 2
    wires = list(wires) + [circuit.false] * (size - len(wires))
    for i, j in batcher_comparators(size):
        wires[i], wires[j] = circuit.or_(wires[i], wires[j]), circuit.and_(wires[i], wires[j])
    return wires[k]


def majority_miter(n):
    circuit = GateCircuit(n, "01")
    xs = [circuit.input(i, "1") for i in range(n)]
    gate = circuit.threshold(xs, [1] * n, n // 2 + 1)
    return circuit, gate, sorting_network_output(circuit, xs, n // 2)


def adder_count(circuit, xs):
    """The bits (least significant first) of the number of true xs, by a
    balanced tree of ripple-carry adders."""
    words = [[x] for x in xs]
    while len(words) > 1:
        merged = []
        for a, b in zip(words[::2], words[1::2]):
            carry, out = circuit.false, []
            for j in range(max(len(a), len(b))):
                u = a[j] if j < len(a) else circuit.false
                v = b[j] if j < len(b) else circuit.false
                out.append(circuit.xor(u, v, carry))
                carry = circuit.threshold([u, v, carry], [1, 1, 1], 2)
            merged.append(out + [carry])
        words = merged + ([words[-1]] if len(words) % 2 else [])
    return words[0]


def majority_adder_miter(n):
    circuit = GateCircuit(n, "01")
    xs = [circuit.input(i, "1") for i in range(n)]
    gate = circuit.threshold(xs, [1] * n, n // 2 + 1)
    geq = circuit.true  # count >= n//2+1, compared from the least significant bit up
    for j, bit in enumerate(adder_count(circuit, xs)):
        geq = circuit.and_(bit, geq) if (n // 2 + 1) >> j & 1 else circuit.or_(bit, geq)
    return circuit, gate, geq


def compare_miter(k):
    circuit = GateCircuit(2 * k, "01")
    a = [circuit.input(i, "1") for i in range(k)]
    b = [circuit.input(k + i, "1") for i in range(k)]
    gate = circuit.threshold(a + b, [2**j for j in range(k)] + [-(2**j) for j in range(k)], 0)
    geq = circuit.true
    for j in range(k):
        same = circuit.not_(circuit.xor(a[j], b[j]))
        geq = circuit.or_(circuit.and_(a[j], circuit.not_(b[j])), circuit.and_(same, geq))
    return circuit, gate, geq


def weighted_miter(n):
    rng = random.Random(n)
    circuit = GateCircuit(n, "01")
    xs = [circuit.input(i, "1") for i in range(n)]
    weights = [rng.randint(1, 5) for _ in xs]
    t = sum(weights) // 2 + 1
    gate = circuit.threshold(xs, weights, t)
    repeated = [x for x, w in zip(xs, weights) for _ in range(w)]
    return circuit, gate, sorting_network_output(circuit, repeated, t - 1)


def measure(circuit, left, right, options, timeout):
    start = time.monotonic()
    pool = IDPool()
    diff = circuit.xor(left, right)
    encoding = encode(circuit, [diff], pool, options)
    encoded = time.monotonic() - start
    answer = solve(encoding.clauses + [[encoding.lit(diff)]], deadline=time.monotonic() + timeout)
    assert answer.status != "sat", "the miter is satisfiable: an encoding is wrong"
    return pool.top, len(encoding.clauses), encoded, answer


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    table = Table(title="threshold-gate encodings on UNSAT miters (cadical195)")
    for column in ("benchmark", "encoding", "variables", "clauses", "encode (s)", "solve (s)"):
        table.add_column(column, justify="left" if column in ("benchmark", "encoding") else "right")
    rows = [(f"majority n={n}", majority_miter(n), [(c, EncodingOptions(cardinality=c)) for c in CARDINALITY_ENCODINGS])
            for n in (8, 16, 32, 64, 96)]
    rows += [(f"majority-adder n={n}", majority_adder_miter(n), [(c, EncodingOptions(cardinality=c)) for c in CARDINALITY_ENCODINGS])
             for n in (16, 32, 48, 64)]
    rows += [(f"compare k={k}", compare_miter(k), [(p, EncodingOptions(pb=p)) for p in PB_ENCODINGS]) for k in (8, 12, 16)]
    rows += [(f"weighted n={n}", weighted_miter(n), [(p, EncodingOptions(pb=p)) for p in PB_ENCODINGS]) for n in (12, 20)]
    console = Console(width=110)
    for name, (circuit, left, right), variants in rows:
        for label, options in variants:
            variables, clauses, encoded, answer = measure(circuit, left, right, options, args.timeout)
            solved = f"{answer.time_s:.3f}" if answer.status == "unsat" else f">{args.timeout:.0f} (unknown)"
            table.add_row(name, label, str(variables), str(clauses), f"{encoded:.3f}", solved)
        table.add_section()
    console.print(table)


if __name__ == "__main__":
    main()
