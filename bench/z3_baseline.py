"""The peer a user would write instead of tcverify (issue 21): a z3 bit-vector
encoding of the same exact semantics (spec 2-5), one query per length on a fresh
`Solver()`, reported side by side with `tcverify prove` on the same case.

The encoding is what a careful user writes by hand: every value a bit-vector
sized from its interval bounds (computed alongside), sums and products of
words, constants folded in Python (so what depends on positions alone costs
nothing), R as an arithmetic shift or a signed division with the rounding mode's
correction, S as saturation (or wrap), softmax weights X(delta) as an if-chain
over the differences the bounds allow, argmax as comparisons; built-in circuits
and netlists gate by gate, DFAs as a state word. z3's own simplifier and
bit-blaster do the rest. Where z3 does not finish a length in the time-out, the
row says so.

Needs `z3-solver` (pip install -e ".[bench]").

Run: python bench/z3_baseline.py [--timeout 600] [--lengths 1:20] [cases...]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

import z3
from rich.console import Console
from rich.table import Table
from tcverify.core.models import Attention, Circuit, Dfa, Transformer
from tcverify.kinds.case import load_case
from tcverify.kinds.transformer import sequence
from tcverify import api
from tcverify.semantics.activations import activation_k, softmax_x

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CASES = ["frac-prevs32-last.yaml", "frac-prevs32-every.yaml", "detect-abc-len16.yaml",
                 "shuffle-dyck2-len8.yaml", "shuffle-dyck1-len24.yaml"]
TABLE_LIMIT = 1 << 16  # an if-chain longer than this is not written: the length is reported as "too large"


class TooLarge(Exception):
    pass


def bits(lo: int, hi: int) -> int:
    """The width of a two's complement word holding every integer in [lo, hi]."""
    return max(max(lo, -lo - 1, hi, -hi - 1).bit_length() + 1, 1)


@dataclasses.dataclass(frozen=True)
class Word:
    """A bit-vector `expr` whose value lies in [lo, hi]; `expr` is None for a constant (lo == hi)."""

    expr: object
    lo: int
    hi: int

    @property
    def const(self):
        return self.lo if self.expr is None else None

    def at(self, width: int):
        if self.expr is None:
            return z3.BitVecVal(self.lo, width)
        size = self.expr.size()
        if width > size:
            return z3.SignExt(width - size, self.expr)
        return z3.Extract(width - 1, 0, self.expr) if width < size else self.expr  # the value fits [lo, hi]


def const(value: int) -> Word:
    return Word(None, value, value)


def word(expr, lo: int, hi: int) -> Word:
    return const(lo) if lo == hi else Word(expr, lo, hi)


def add(a: Word, b: Word) -> Word:
    if a.const is not None and b.const is not None:
        return const(a.lo + b.lo)
    if a.const == 0:
        return b
    if b.const == 0:
        return a
    lo, hi = a.lo + b.lo, a.hi + b.hi
    w = bits(lo, hi)
    return word(a.at(w) + b.at(w), lo, hi)


def neg(a: Word) -> Word:
    if a.const is not None:
        return const(-a.lo)
    w = bits(-a.hi, -a.lo)
    return word(-a.at(w), -a.hi, -a.lo)


def mul(a: Word, b: Word) -> Word:
    if a.const is not None and b.const is not None:
        return const(a.lo * b.lo)
    if a.const == 0 or b.const == 0:
        return const(0)
    corners = [x * y for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
    lo, hi = min(corners), max(corners)
    w = bits(lo, hi)
    return word(a.at(w) * b.at(w), lo, hi)


def total(terms) -> Word:
    """A balanced sum of words."""
    terms = [t for t in terms if t.const != 0] or [const(0)]
    while len(terms) > 1:
        terms = [add(terms[i], terms[i + 1]) if i + 1 < len(terms) else terms[i] for i in range(0, len(terms), 2)]
    return terms[0]


def ite(cond, a: Word, b: Word) -> Word:
    if isinstance(cond, bool):
        return a if cond else b
    if a.const is not None and a.const == b.const:
        return a
    lo, hi = min(a.lo, b.lo), max(a.hi, b.hi)
    w = bits(lo, hi)
    return word(z3.If(cond, a.at(w), b.at(w)), lo, hi)


def compare(a: Word, b: Word, op: str):
    """a > b, a >= b or a == b as a z3 Bool (or a Python bool for constants)."""
    if a.const is not None and b.const is not None:
        return {">": a.lo > b.lo, ">=": a.lo >= b.lo, "==": a.lo == b.lo}[op]
    w = max(bits(a.lo, a.hi), bits(b.lo, b.hi))
    x, y = a.at(w), b.at(w)
    return {">": x > y, ">=": x >= y, "==": x == y}[op]


def select(symbol, rows) -> Word:
    """The word rows[a] where the input symbol is a."""
    out = rows[-1]
    for a in range(len(rows) - 2, -1, -1):
        out = ite(symbol == a, rows[a], out)
    return out


def overflow(fmt, a: Word) -> Word:
    """S: saturate (or wrap) to the format's grid indices."""
    if fmt.kmin <= a.lo and a.hi <= fmt.kmax:
        return a
    if a.const is not None:
        return const(fmt.S(a.lo))
    if fmt.overflow == "wrap":
        return word(z3.Extract(fmt.width - 1, 0, a.at(bits(a.lo, a.hi))), fmt.kmin, fmt.kmax)
    low = Word(a.expr, max(a.lo, fmt.kmin), min(a.hi, fmt.kmax))
    out = a
    if a.hi > fmt.kmax:
        out = ite(compare(a, const(fmt.kmax), ">"), const(fmt.kmax), low)
        low = out
    if a.lo < fmt.kmin:
        out = ite(compare(const(fmt.kmin), a, ">"), const(fmt.kmin), low)
    return word(out.expr, max(a.lo, fmt.kmin), min(a.hi, fmt.kmax))


def round_shift(fmt, a: Word, shift: int) -> Word:
    """R(a / 2^shift) then S (spec 2): an arithmetic shift plus the rounding's correction."""
    if a.const is not None or shift == 0:
        return const(fmt.round_k(a.lo, 1 << shift)) if a.const is not None else overflow(fmt, a)
    w = bits(a.lo, a.hi) + 1
    x = a.at(w)
    q = x >> shift
    rest = x & ((1 << shift) - 1)
    half = 1 << (shift - 1)
    if fmt.rounding == "floor":
        up = z3.BoolVal(False)
    elif fmt.rounding == "truncate":
        up = z3.And(x < 0, rest != 0)
    else:
        up = z3.Or(z3.UGT(rest, half), z3.And(rest == half, z3.Extract(0, 0, q) == 1))
    lo, hi = a.lo >> shift, -((-a.hi) >> shift)
    return overflow(fmt, word(q + z3.If(up, z3.BitVecVal(1, w), z3.BitVecVal(0, w)), lo, hi))


def round_div(fmt, a: Word, d: Word) -> Word:
    """R(a / d) then S for a word d >= 1: floor division from z3's truncating one, then the correction."""
    if d.const is not None and d.const & (d.const - 1) == 0:
        return round_shift(fmt, a, d.const.bit_length() - 1)
    w = max(bits(a.lo, a.hi), bits(d.lo, d.hi)) + 2
    x, y = a.at(w), d.at(w)
    q0, r0 = x / y, z3.SRem(x, y)
    negative = r0 < 0
    q = z3.If(negative, q0 - 1, q0)
    r = z3.If(negative, r0 + y, r0)
    if fmt.rounding == "floor":
        up = z3.BoolVal(False)
    elif fmt.rounding == "truncate":
        up = z3.And(x < 0, r != 0)
    else:
        up = z3.Or(2 * r > y, z3.And(2 * r == y, z3.Extract(0, 0, q) == 1))
    m = max(-a.lo, a.hi) // max(d.lo, 1) + 1
    return overflow(fmt, word(q + z3.If(up, z3.BitVecVal(1, w), z3.BitVecVal(0, w)), -m, m))


def table(values: dict, x: Word, default: int) -> Word:
    """The word values[x] (an if-chain over x's range; `default` outside the keys)."""
    if x.const is not None:
        return const(values.get(x.const, default))
    keys = [k for k in range(x.lo, x.hi + 1) if values.get(k, default) != default]
    if len(keys) > TABLE_LIMIT:
        raise TooLarge(f"a table of {len(keys)} entries")
    out = const(default)
    for k in keys:
        out = ite(compare(x, const(k), "=="), const(values[k]), out)
    return out


class TransformerEncoder:
    """spec 3 in bit-vectors, one length at a time."""

    def __init__(self, model: Transformer):
        self.model, self.fmt = model, model.number_format
        self.F, self.P = self.fmt.frac_bits, model.param_format.frac_bits

    def affine(self, matrix, bias, x) -> list:
        return [round_shift(self.fmt, total([mul(const(w), v) for w, v in zip(row, x) if w] + [const(b << self.F)]), self.P)
                for row, b in zip(matrix, bias)]

    def head(self, head, h) -> list:
        fmt, N = self.fmt, len(h)
        Q = [self.affine(head.wq, head.bq, x) for x in h]
        K = [self.affine(head.wk, head.bk, x) for x in h]
        V = [self.affine(head.wv, head.bv, x) for x in h]
        out = []
        for p in range(N):
            seen = range(p + 1) if head.mask == "causal" else range(N)
            s = {q: round_shift(fmt, total([mul(a, b) for a, b in zip(Q[p], K[q])]), self.F) for q in seen}
            m = s[seen[0]]
            for q in seen[1:]:
                m = ite(compare(s[q], m, ">"), s[q], m)
            if head.type == "softmax":
                E = head.exp_frac_bits
                cut = -((E + 2) << self.F)
                e = {}
                for q in seen:
                    delta = add(s[q], neg(m))
                    delta = word(delta.expr, delta.lo, 0) if delta.expr is not None else delta  # m is the maximum
                    weights = {d: softmax_x(d, self.F, E) for d in range(max(delta.lo, cut), 1)}
                    e[q] = table(weights, delta, 0)
                den = total(list(e.values()))
                den = Word(den.expr, max(den.lo, 1), den.hi) if den.expr is not None else den
                out.append([round_div(fmt, total([mul(e[q], V[q][j]) for q in seen]), den) for j in range(len(head.wv))])
            elif head.type == "average":
                best = {q: ite(compare(s[q], m, "=="), const(1), const(0)) for q in seen}
                count = total(list(best.values()))
                count = Word(count.expr, max(count.lo, 1), count.hi) if count.expr is not None else count
                out.append([round_div(fmt, total([mul(best[q], V[q][j]) for q in seen]), count) for j in range(len(head.wv))])
            else:
                order = list(seen) if head.tie == "leftmost" else list(seen)[::-1]
                a = V[order[-1]]
                for q in order[-2::-1]:
                    hit = compare(s[q], m, "==")
                    a = [ite(hit, v, w) for v, w in zip(V[q], a)]
                out.append(a)
        return out

    def attention(self, block: Attention, h) -> list:
        heads = [self.head(head, h) for head in block.heads]
        out = []
        for p in range(len(h)):
            terms = [[const(b << self.F)] for b in block.bo]
            for head, a in zip(block.heads, heads):
                for i, row in enumerate(head.wo):
                    terms[i] += [mul(const(w), v) for w, v in zip(row, a[p]) if w]
            out.append([round_shift(self.fmt, total(t), self.P) for t in terms])
        return out

    def mlp(self, block, h) -> list:
        out = []
        for x in h:
            z = self.affine(block.w1, block.b1, x)
            if block.activation == "relu":
                u = [v if v.lo >= 0 else ite(compare(v, const(0), ">"), Word(v.expr, 0, max(v.hi, 0)), const(0)) for v in z]
            else:
                u = [table({k: activation_k(block.activation, k, self.fmt) for k in range(v.lo, v.hi + 1)}, v, 0) for v in z]
            out.append(self.affine(block.w2, block.b2, u))
        return out

    def outputs(self, symbols, alphabet, outputs: str) -> list:
        model, n = self.model, len(symbols)
        lay = sequence.layout(model, n, outputs)
        rows = sequence.positional_rows(model, n)
        h = []
        for p in range(lay.N):
            i = p - lay.offset
            if 0 <= i < n:
                table_rows = [sequence.embed(model, a, rows[p]) for a in alphabet]
                h.append([select(symbols[i], [const(r[d]) for r in table_rows]) for d in range(model.d_model)])
            else:
                token = model.bos if p == 0 and model.bos is not None else model.eos
                h.append([const(v) for v in sequence.embed(model, token, rows[p])])
        for block in model.blocks:
            out = self.attention(block, h) if isinstance(block, Attention) else self.mlp(block, h)
            h = [[overflow(self.fmt, add(a, b)) for a, b in zip(x, o)] for x, o in zip(h, out)] if block.residual else out
        readout, bits_out = model.readout, []
        for p in lay.read:
            scores = [total([mul(const(w), v) for w, v in zip(row, h[p]) if w] + [const(b << self.F)])
                      for row, b in zip(readout.weights, readout.bias)]
            if readout.kind == "threshold":
                bits_out.append(compare(scores[0], const(0), ">"))
                continue
            wins = [z3.And([compare(scores[c], scores[j], ">" if j < c else ">=") for j in range(len(scores)) if j != c] or [True])
                    for c in range(len(scores))]
            if readout.accept is not None:
                bits_out.append(z3.Or([wins[c] for c in readout.accept]))
            else:
                bits_out.extend(wins)
        return bits_out


def netlist_outputs(netlist, symbols, alphabet) -> list:
    values = {f"x[{i}][{a}]": symbols[i] == k for i in range(len(symbols)) for k, a in enumerate(alphabet)}
    for gate in netlist.gates:
        ins = [values[name] for name in gate.inputs]
        if gate.op in ("threshold", "majority"):
            weights = gate.weights if gate.op == "threshold" else (1,) * len(ins)
            terms = [ite(x, const(w), const(0)) for x, w in zip(ins, weights)]
            s = total(terms)
            values[gate.id] = compare(s, const(gate.t), ">=") if gate.op == "threshold" else compare(add(s, s), const(len(ins)), ">")
        elif gate.op == "and":
            values[gate.id] = z3.And(ins)
        elif gate.op == "or":
            values[gate.id] = z3.Or(ins)
        elif gate.op == "not":
            values[gate.id] = z3.Not(ins[0])
        elif gate.op == "xor":
            values[gate.id] = z3.Xor(ins[0], ins[1]) if len(ins) == 2 else z3.Sum([z3.If(x, 1, 0) for x in ins]) % 2 == 1
        else:
            values[gate.id] = z3.BoolVal(bool(gate.value))
    return [values[name] for name in netlist.outputs]


def dfa_outputs(dfa: Dfa, symbols, alphabet, outputs: str) -> list:
    states = sorted(dfa.delta.keys() | {dfa.start} | {t for row in dfa.delta.values() for t in row.values()})
    index = {s: i for i, s in enumerate(states)}
    sink = len(states)
    width = bits(0, sink)
    state, out = z3.BitVecVal(index[dfa.start], width), []
    for i, symbol in enumerate(symbols):
        nxt = z3.BitVecVal(sink, width)
        for s in states:
            for k, a in enumerate(alphabet):
                target = dfa.delta.get(s, {}).get(a)
                if target is not None:
                    nxt = z3.If(z3.And(state == index[s], symbol == k), z3.BitVecVal(index[target], width), nxt)
        state = nxt
        if outputs == "every" or i == len(symbols) - 1:
            out.append(z3.Or([state == index[s] for s in dfa.accept]) if dfa.accept else z3.BoolVal(False))
    return out


def model_outputs(model, symbols, alphabet, outputs: str) -> list:
    if isinstance(model, Transformer):
        return TransformerEncoder(model).outputs(symbols, alphabet, outputs)
    if isinstance(model, Dfa):
        return dfa_outputs(model, symbols, alphabet, outputs)
    assert isinstance(model, Circuit)
    return netlist_outputs(model.netlist(len(symbols)), symbols, alphabet)


def z3_length(case, n: int, timeout: float) -> tuple:
    """(status, seconds) of one length: "equivalent", "counterexample", "timeout" or "too large"."""
    start = time.monotonic()
    solver = z3.Solver()
    k = len(case.alphabet)
    width = bits(0, max(k - 1, 1))
    symbols = [z3.BitVec(f"w{i}", width) for i in range(n)]
    try:
        for s in symbols:
            solver.add(z3.ULT(s, k))
        left = model_outputs(case.left, symbols, case.alphabet, case.outputs)
        right = model_outputs(case.right, symbols, case.alphabet, case.outputs)
    except TooLarge:
        return "too large", time.monotonic() - start
    solver.add(z3.Or([z3.Xor(z3.BoolVal(a) if isinstance(a, bool) else a, z3.BoolVal(b) if isinstance(b, bool) else b)
                      for a, b in zip(left, right)]))
    left_s = timeout - (time.monotonic() - start)
    if left_s <= 0:
        return "timeout", time.monotonic() - start
    solver.set("timeout", int(left_s * 1000))
    answer = solver.check()
    status = "equivalent" if answer == z3.unsat else "counterexample" if answer == z3.sat else "timeout"
    return status, time.monotonic() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cases", nargs="*", default=[os.path.join(ROOT, "bench", "cases", c) for c in DEFAULT_CASES])
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per case for each tool")
    parser.add_argument("--lengths", default=None, help="MIN:MAX instead of the case's lengths")
    args = parser.parse_args()
    table_out = Table(title="tcverify prove against a z3 bit-vector script, every length in order (s)")
    for column in ("case", "lengths", "tcverify", "verdict", "z3", "z3 verdict", "z3 / tcverify"):
        table_out.add_column(column, justify="right")
    for path in args.cases:
        case = load_case(path, warn=lambda message: None)
        if args.lengths:
            low, high = map(int, args.lengths.split(":"))
            case = dataclasses.replace(case, lengths=tuple(range(low, high + 1)))
        start = time.monotonic()
        result = api.decide(case, timeout=args.timeout)
        ours = time.monotonic() - start
        done = [o.n for o in result.per_length if o.status != "unknown"]
        theirs, verdict, reached = 0.0, "equivalent", []
        for n in case.lengths:
            status, seconds = z3_length(case, n, args.timeout - theirs)
            theirs += seconds
            if status != "equivalent":
                verdict = f"{status} at n={n}"
                break
            reached.append(n)
        span = f"{min(case.lengths)}..{max(case.lengths)}"
        ours_text = f"{ours:.1f}" + ("" if result.verdict != "unknown" or not done else f" (to n={max(done)})")
        theirs_text = f"{theirs:.1f}" + ("" if verdict == "equivalent" or not reached else f" (to n={max(reached)})")
        table_out.add_row(case.name, span, ours_text, result.verdict, theirs_text, verdict,
                          f"{theirs / ours:.2f}" + ("+" if verdict.startswith(("timeout", "too large")) else ""))
        print(f"{case.name}: tcverify {ours_text} s {result.verdict}; z3 {theirs_text} s {verdict}", flush=True)
    Console(width=160).print(table_out)


if __name__ == "__main__":
    main()
