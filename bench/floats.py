"""Benchmark of the float lowering (issue 18): the same transformer in a float format
and in the fixed-point format of the same total width, per length, lowered into a
miter against the built-in majority and solved (CaDiCaL 1.9.5); and the cost of
layer norm at d_model 8 on one block's lowering.

- majority: cases/majority/majority-uniform-head-f4.yaml (one uniform average head),
  with and without the linear-form rewriting (without, the head's sum and division are
  built as words).
- softmax: one causal softmax head whose scores are the product of the two symbols'
  +-1 codes (same symbol e^0, other e^-2), read at the last position; against majority.
- layer norm: an average head and a relu MLP at d_model 8 over 6 positions, each block
  with and without `norm:` (pre-norm), lowering time of the whole model.

Every ratio is float / fixed (or with norm / without) measured in this one run.
Run: python bench/floats.py [--lengths 4,8,12,16] [--float paper_float:8] [--fixed 4.4] [--timeout S]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

from tcverify import api
from tcverify.core.ir import GateCircuit
from tcverify.core.models import Attention, Head, LayerNorm, Mlp, Positional, Readout, Transformer
from tcverify.core.number_format import FloatFormat, NumberFormat, paper_float
from tcverify.kinds.transformer.lower import lower_transformer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAJORITY = os.path.join(ROOT, "cases", "majority", "majority-uniform-head-f4.yaml")


def in_format(model: Transformer, fmt) -> Transformer:
    """The model with both formats set to fmt, its parameters re-gridded (exact here: every
    parameter of these models is a small dyadic value of both formats)."""
    old = model.param_format.frac_bits

    def move(k):
        return fmt.R(model.param_format.value(k)) if not isinstance(k, tuple) else tuple(move(x) for x in k)

    def block(b):
        if isinstance(b, Attention):
            heads = tuple(dataclasses.replace(h, wq=move(h.wq), wk=move(h.wk), wv=move(h.wv), wo=move(h.wo),
                                              bq=move(h.bq), bk=move(h.bk), bv=move(h.bv),
                                              exp_frac_bits=fmt.frac_bits if h.type == "softmax" else None)
                          for h in b.heads)
            return dataclasses.replace(b, heads=heads, bo=move(b.bo))
        return dataclasses.replace(b, w1=move(b.w1), b1=move(b.b1), w2=move(b.w2), b2=move(b.b2))

    assert old >= 0
    readout = dataclasses.replace(model.readout, weights=move(model.readout.weights), bias=move(model.readout.bias))
    return dataclasses.replace(model, number_format=fmt, param_format=fmt,
                               embedding={t: move(v) for t, v in model.embedding.items()},
                               blocks=tuple(block(b) for b in model.blocks), readout=readout)


def softmax_model(fmt) -> Transformer:
    one = fmt.R(1)
    head = Head("softmax", "causal", ((one, 0),), ((one, 0),), ((one, 0),), ((0,), (one,)), (0,), (0,), (0,),
                exp_frac_bits=fmt.frac_bits)
    return Transformer("<softmax>", fmt, fmt, 2, {"0": (-one, 0), "1": (one, 0)}, (Attention((head,), (0, 0)),),
                       Readout("threshold", ((0, one),), (0,)), Positional(), None, None)


def norm_model(fmt, norm: bool) -> Transformer:
    """d_model 8: an average head (causal, scores from dimension 0) and a relu MLP, each
    pre-normed when `norm`."""
    d, R = 8, fmt.R
    rows = [[R(((i * 3 + j * 5) % 7 - 3) / 4) for j in range(d)] for i in range(d)]
    ln = LayerNorm(tuple(R(1) for _ in range(d)), tuple(R(0) for _ in range(d)), R(0.25))
    head = Head("average", "causal", (tuple(rows[0]),), (tuple(rows[1]),), tuple(map(tuple, rows[:2])),
                tuple((R(1) if i == 0 else 0, R(1) if i == 1 else 0) for i in range(d)), (0,), (0,), (0, 0))
    blocks = (Attention((head,), (0,) * d, True, ln if norm else None),
              Mlp(tuple(map(tuple, rows[2:6])), (0,) * 4, "relu", tuple((R(0.5),) * 4 for _ in range(d)), (0,) * d, True,
                  ln if norm else None))
    embedding = {"0": tuple(R((j % 3 - 1) / 2) for j in range(d)), "1": tuple(R(((j + 1) % 3 - 1) / 2) for j in range(d))}
    return Transformer("<norm>", fmt, fmt, d, embedding, blocks, Readout("threshold", ((R(1),) + (0,) * (d - 1),), (0,)),
                       Positional(), None, None)


def measure(case, n: int, timeout: float, rewrite: bool = True) -> dict:
    start = time.monotonic()
    miter = api.miter(case, n, rewrite=rewrite)
    cnf = api.miter_cnf(miter)
    built = time.monotonic() - start
    result = api.solve(cnf.clauses, deadline=time.monotonic() + timeout)
    return {"gates": len(miter.circuit.gates), "clauses": len(cnf.clauses), "build": built,
            "solve": result.time_s, "status": result.status}


def lowering_time(model: Transformer, n: int, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.monotonic()
        lower_transformer(model, GateCircuit(n, ("0", "1")), "last", table_limit=1)
        best = min(best, time.monotonic() - start)
    return best


def parse_format(text: str):
    if text.startswith("paper_float:"):
        return paper_float(int(text.split(":")[1]))
    if text.startswith("float:"):
        P, lo, hi = (int(x) for x in text.split(":")[1].split(","))
        return FloatFormat(P, lo, hi, "nearest_even")
    i, f = (int(x) for x in text.split("."))
    return NumberFormat(i, f)


def markdown(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(map(str, row)) + " |" for row in rows])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", default="4,8,12,16")
    parser.add_argument("--float", default="paper_float:8")
    parser.add_argument("--fixed", default="4.4")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    lengths = [int(x) for x in args.lengths.split(",")]
    flt, fix = parse_format(args.float), parse_format(args.fixed)
    base = api.load(MAJORITY, warn=lambda message: None)
    cases = [("majority", lambda fmt: dataclasses.replace(base, left=in_format(base.left, fmt)), True),
             ("majority --no-rewrite", lambda fmt: dataclasses.replace(base, left=in_format(base.left, fmt)), False),
             ("softmax", lambda fmt: dataclasses.replace(base, left=softmax_model(fmt)), True)]
    rows = []
    for name, make, rewrite in cases:
        for n in lengths:
            a = measure(dataclasses.replace(make(flt), lengths=(n,)), n, args.timeout, rewrite)
            b = measure(dataclasses.replace(make(fix), lengths=(n,)), n, args.timeout, rewrite)
            ratio = (a["build"] + a["solve"]) / max(b["build"] + b["solve"], 1e-3)
            rows.append((name, n, f"{a['gates']} / {b['gates']}", f"{a['clauses']} / {b['clauses']}",
                         f"{a['build']:.3f} / {b['build']:.3f}", f"{a['solve']:.3f} / {b['solve']:.3f}",
                         f"{ratio:.2f}", f"{a['status']} / {b['status']}"))
    print(f"float {flt.describe()} (fl) against fixed {fix.describe()} (fx), miter against majority, adder style, cadical195\n")
    print(markdown(("case", "n", "gates fl / fx", "clauses fl / fx", "lower s fl / fx", "solve s fl / fx",
                    "(lower + solve) ratio", "result fl / fx"), rows))
    rows = []
    for fmt in (flt, fix):
        for n in lengths[:2]:
            plain, normed = lowering_time(norm_model(fmt, False), n), lowering_time(norm_model(fmt, True), n)
            rows.append((fmt.describe(), n, f"{plain:.2f}", f"{normed:.2f}", f"{normed / plain:.2f}"))
    print("\nlayer norm at d_model 8: lowering time of the model with `norm:` on both blocks against without\n")
    print(markdown(("format", "n", "without s", "with s", "ratio"), rows))


if __name__ == "__main__":
    main()
