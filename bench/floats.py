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
- products: products of two words (`product_model`: prefix means, then a hard head's
  query-key dot products) in FP16 against I=8 F=8, lowering time and gates.

Every ratio is float / fixed (or with norm / without) measured in this one run.
Run: python bench/floats.py [--lengths 4,8,12,16] [--float paper_float:8] [--fixed 4.4] [--timeout S]
     [--product-formats "float:11,-24,5;8.8"] [--skip miters,norm,products]
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


def standard_block_model(fmt, norm: bool, activation: str = "gelu_new") -> Transformer:
    """A block of TransformerLens's default shape at d_model 8: two causal softmax heads of
    d_head 4 whose scores are products of query and key words of the tokens, then an MLP
    of d_mlp = 4 d_model = 32 (`activation`: gelu_new, as in GPT-2-style models and
    tools/train_transformer.py); each sub-block pre-normed when `norm` (spec 3.3)."""
    d, d_head, d_mlp, R = 8, 4, 32, fmt.R
    weight = lambda i, j, mod: R(((i * 3 + j * 5) % mod - mod // 2) / 4)  # noqa: E731
    ln = LayerNorm(tuple(R(1) for _ in range(d)), tuple(R(0) for _ in range(d)), R(0.25))

    def head(h):
        rows = lambda k: tuple(tuple(weight(k * d_head + i + 16 * h, j, 7) for j in range(d))  # noqa: E731
                               for i in range(d_head))
        wo = tuple(tuple(weight(i, j + d_head * h, 5) for j in range(d_head)) for i in range(d))
        return Head("softmax", "causal", rows(0), rows(1), rows(2), wo, (0,) * d_head, (0,) * d_head,
                    (0,) * d_head, exp_frac_bits=fmt.frac_bits)

    blocks = (Attention((head(0), head(1)), (0,) * d, True, ln if norm else None),
              Mlp(tuple(tuple(weight(i, j, 7) for j in range(d)) for i in range(d_mlp)), (0,) * d_mlp, activation,
                  tuple(tuple(weight(i, j, 5) for j in range(d_mlp)) for i in range(d)), (0,) * d, True,
                  ln if norm else None))
    embedding = {"0": tuple(R((j % 3 - 1) / 2) for j in range(d)), "1": tuple(R(((j + 1) % 3 - 1) / 2) for j in range(d))}
    return Transformer("<standard block>", fmt, fmt, d, embedding, blocks,
                       Readout("threshold", ((R(1),) + (0,) * (d - 1),), (0,)), Positional(), None, None)


def measure(case, n: int, timeout: float, rewrite: bool = True) -> dict:
    """Gates, clauses, lowering and solving time and the result. Each time is the least of
    several runs, as many as fit in a quarter of a second (3 to 20; one run if it takes
    over a second): single runs of milliseconds are mostly noise on a loaded machine."""
    builds, solves = [], []
    while len(builds) < 3 or (sum(builds) + sum(solves) < 0.25 and len(builds) < 20):
        start = time.monotonic()
        miter = api.miter(case, n, rewrite=rewrite)
        cnf = api.miter_cnf(miter)
        builds.append(time.monotonic() - start)
        result = api.solve(cnf.clauses, deadline=time.monotonic() + timeout)
        solves.append(result.time_s)
        if builds[-1] + solves[-1] > 1.0:
            break
    return {"gates": len(miter.circuit.gates), "clauses": len(cnf.clauses), "build": min(builds),
            "solve": min(solves), "status": result.status}


def product_model(fmt) -> Transformer:
    """d_model 4: a causal average head with constant scores (the prefix means of V x: words
    with every bit live, R of a quotient by the position's count), then a causal hard head
    whose scores are dot products of 4-dimensional query and key words built from those
    means (4 products of two words per pair of positions)."""
    d, R = 4, fmt.R
    rows = [[R(((i * 5 + j * 3) % 7 - 3) / 4) for j in range(d)] for i in range(3 * d)]
    zero = tuple((0,) * d for _ in range(d))
    identity = tuple(tuple(R(1) if i == j else 0 for j in range(d)) for i in range(d))
    mean = Head("average", "causal", zero, zero, tuple(map(tuple, rows[2 * d:])), identity, (0,) * d, (0,) * d, (0,) * d)
    hard = Head("hard", "causal", tuple(map(tuple, rows[:d])), tuple(map(tuple, rows[d:2 * d])), identity, identity,
                (0,) * d, (0,) * d, (0,) * d)
    embedding = {"0": tuple(R((j % 3 - 1) / 2) for j in range(d)), "1": tuple(R(((j + 1) % 3 - 1) / 4) for j in range(d))}
    return Transformer("<products>", fmt, fmt, d, embedding, (Attention((mean,), (0,) * d), Attention((hard,), (0,) * d)),
                       Readout("threshold", ((R(1),) + (0,) * (d - 1),), (0,)), Positional(), None, None)


def lowering(model: Transformer, n: int, repeat: int = 3) -> tuple:
    """(least lowering time of `repeat`, gates) of the model at length n, every value a word."""
    best = float("inf")
    for _ in range(repeat):
        circuit = GateCircuit(n, ("0", "1"))
        start = time.monotonic()
        lower_transformer(model, circuit, "last", table_limit=1)
        best = min(best, time.monotonic() - start)
    return best, len(circuit.gates)


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
    parser.add_argument("--product-formats", default="float:11,-24,5;8.8",
                        help="the product block's float and fixed formats (FP16 against I=8 F=8)")
    parser.add_argument("--skip", default="", help="comma-separated parts to leave out: miters, norm, products")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    lengths = [int(x) for x in args.lengths.split(",")]
    flt, fix = parse_format(args.float), parse_format(args.fixed)
    base = api.load(MAJORITY, warn=lambda message: None)
    cases = [("majority", lambda fmt: dataclasses.replace(base, left=in_format(base.left, fmt)), True),
             ("majority --no-rewrite", lambda fmt: dataclasses.replace(base, left=in_format(base.left, fmt)), False),
             ("softmax", lambda fmt: dataclasses.replace(base, left=softmax_model(fmt)), True)]
    if "miters" not in skip:
        miters(cases, lengths, flt, fix, args.timeout)
    if "norm" not in skip:
        norms(lengths, flt, fix)
    if "products" not in skip:
        products(lengths, *(parse_format(x) for x in args.product_formats.split(";")))


def miters(cases, lengths, flt, fix, timeout):
    rows = []
    for name, make, rewrite in cases:
        for n in lengths:
            a = measure(dataclasses.replace(make(flt), lengths=(n,)), n, timeout, rewrite)
            b = measure(dataclasses.replace(make(fix), lengths=(n,)), n, timeout, rewrite)
            ratio = (a["build"] + a["solve"]) / max(b["build"] + b["solve"], 1e-3)
            rows.append((name, n, f"{a['gates']} / {b['gates']}", f"{a['clauses']} / {b['clauses']}",
                         f"{a['build']:.3f} / {b['build']:.3f}", f"{a['solve']:.3f} / {b['solve']:.3f}",
                         f"{ratio:.2f}", f"{a['status']} / {b['status']}"))
    print(f"float {flt.describe()} (fl) against fixed {fix.describe()} (fx), miter against majority, adder style, cadical195\n")
    print(markdown(("case", "n", "gates fl / fx", "clauses fl / fx", "lower s fl / fx", "solve s fl / fx",
                    "(lower + solve) ratio", "result fl / fx"), rows))


def norms(lengths, flt, fix):
    rows = []
    for fmt in (flt, fix):
        for n in lengths[:2]:
            plain, normed = lowering(norm_model(fmt, False), n)[0], lowering(norm_model(fmt, True), n)[0]
            rows.append((fmt.describe(), n, f"{plain:.2f}", f"{normed:.2f}", f"{normed / plain:.2f}"))
    print("\nlayer norm at d_model 8: lowering time of the model with `norm:` on both blocks against without\n")
    print(markdown(("format", "n", "without s", "with s", "ratio"), rows))


def products(lengths, flt, fix):
    rows = []
    for n in lengths[:2]:
        (a, ga), (b, gb) = lowering(product_model(flt), n), lowering(product_model(fix), n)
        rows.append((n, f"{ga} / {gb}", f"{a:.2f} / {b:.2f}", f"{a / b:.2f}"))
    print(f"\nproducts of two words: {flt.describe()} (fl) against {fix.describe()} (fx), lowering of `product_model`\n")
    print(markdown(("n", "gates fl / fx", "lower s fl / fx", "ratio"), rows))


if __name__ == "__main__":
    main()
