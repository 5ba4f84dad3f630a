"""A transformer at one length into the gate IR, bit-exact with spec section 3: the
walk over embedding, attention heads (one method per head type), MLPs and readout,
on the values of `values.py` (tables, words, linear forms; see docs/lowering.md)."""

from __future__ import annotations

import functools
import itertools
import math
from typing import Optional

from ...core.models import Attention, LayerNorm, Transformer
from ...lowering.arithmetic import SOFTMAX_X_PIECES
from . import sequence
from .norm_bound import quotient_range, ratio_bound
from ...semantics.activations import softmax_k
from ...core.ir import GateCircuit
from ...lowering.values import Table, Value, Values, Word, value_key


class _Lowerer(Values):
    """The transformer walk over `Values`."""

    def __init__(self, model: Transformer, circuit: GateCircuit, style: str, table_limit: int, rewrite: bool):
        super().__init__(model.number_format, circuit, style, table_limit, rewrite)
        self.model = model

    def affine(self, coefs, bias: int) -> Value:
        """R(sum c * x + bias) for parameters c, bias (param-grid indices) and values x: the
        exact sum on the 2^-(P+F) grid, rounded by 2^P, less the powers of two all share."""
        P = self.model.param_format.frac_bits
        const = bias << self.fmt.frac_bits
        shared = functools.reduce(math.gcd, [c for c, _ in coefs], const)
        g = P if shared == 0 else min(P, (shared & -shared).bit_length() - 1)
        return self.round_linear([(c >> g, v) for c, v in coefs], const >> g, P - g)

    def embedding(self, n: int, lay) -> list:
        """h_p per position: tables of the symbol at p (constants at bos/eos)."""
        model = self.model
        rows = sequence.positional_rows(model, n)
        h = []
        for p in range(lay.N):
            i = p - lay.offset
            if 0 <= i < n:
                per = {a: sequence.embed(model, a, rows[p]) for a in self.alphabet}
                h.append([self._reduce(Table((i,), {(a,): per[a][d] for a in self.alphabet})) for d in range(model.d_model)])
            else:
                token = model.bos if p < lay.offset else model.eos
                h.append([self.const(k) for k in sequence.embed(model, token, rows[p])])
        return h

    def matvec(self, matrix, bias, x) -> list:
        return [self.affine(list(zip(row, x)), b) for row, b in zip(matrix, bias)]

    def head(self, head, h) -> list:
        """a_p for every position p (a list of d_v values each). Under mask none every position
        sees the same keys, so positions with the same query vector share one result; a query
        that is a small table of symbols is split into its constant vectors when fewer distinct
        vectors occur than there are positions (issue 9 item 5)."""
        N = len(h)
        Q = [self.matvec(head.wq, head.bq, x) for x in h]
        K = [self.matvec(head.wk, head.bk, x) for x in h]
        V = [self.matvec(head.wv, head.bv, x) for x in h]
        if head.mask == "causal":
            return [self._attend(head, Q[p], K[:p + 1], V[:p + 1]) for p in range(N)]
        shared = {}

        def attend(query):
            key = tuple(value_key(v) for v in query)
            if key not in shared:
                shared[key] = self._attend(head, query, K, V)
            return shared[key]

        splits = [self._split(query) for query in Q]
        if all(split is not None for split in splits):
            distinct = {tuple(value_key(v) for v in vector) for split in splits for _, vector in split[1]}
            if len(distinct) < N:
                return [self._choose_split(deps, cases, attend) for deps, cases in splits]
        return [attend(query) for query in Q]

    def _split(self, query):
        """(deps, [(combo, constant vector)]) for a query of jointly small tables, else None."""
        deps = self._joint(query)
        if deps is None or not deps:
            return None
        cases = [(combo, [self.const(v.values[tuple(combo[deps.index(d)] for d in v.deps)]) for v in query])
                 for combo in itertools.product(self.alphabet, repeat=len(deps))]
        return deps, cases

    def _choose_split(self, deps, cases, attend) -> list:
        """The head's output selected by the symbols at `deps` (one-hot: one combo holds)."""
        results = [attend(vector) for _, vector in cases]
        selectors = [self.from_node(self._selector(deps, combo)) for combo, _ in cases]
        return [self.choose(selectors, [r[j] for r in results]) for j in range(len(results[0]))]

    def _attend(self, head, query, keys, values) -> list:
        """The head's output for one query vector over the visible keys and values."""
        F = self.fmt.frac_bits
        s = [self.round_linear([(1, a, b) for a, b in zip(query, k)], 0, F) for k in keys]
        if len({value_key(v) for v in s}) == 1:  # every score ties: every position is a maximum
            m, best = s[0], [self.const(1)] * len(s)
        else:
            m = self.maximum(s)
            best = None
        dv = len(head.wv)
        ranges = [[self.bounds(v[j]) for v in values] for j in range(dv)]
        lo = [min(r[0] for r in rs) for rs in ranges]
        hi = [max(r[1] for r in rs) for rs in ranges]
        if head.type == "softmax":
            return self._softmax(head, s, m, best, values, lo, hi)
        best = best or [self.equal(v, m) for v in s]
        if head.type == "hard":
            return self._hard(head, best, values)
        return self._average(best, values, lo, hi)

    def _softmax(self, head, s, m, best, values, lo, hi) -> list:
        """R(sum X(s_q - m) V_q / sum X(s_q - m)) (spec 3.3)."""
        fmt, Fe = self.fmt, head.exp_frac_bits

        def x(d):
            return softmax_k(min(d, 0), fmt, Fe)

        if best is not None:
            e = [self.const(x(0))] * len(s)
        else:
            e = [self.with_level(v, m, lambda k, t: x(k - t)) if isinstance(v, Table) and isinstance(m, Word) and m in self.levels
                 else self.lookup(self.linear([(1, v), (-1, m)]), x, SOFTMAX_X_PIECES) for v in s]
        den = self.linear([(1, w) for w in e])
        return [self.divide(self.linear([(1, w, v[j]) for w, v in zip(e, values)]), den, x(0), lo[j], hi[j])
                for j in range(len(lo))]

    def _hard(self, head, best, values) -> list:
        """V of the leftmost (or rightmost) maximum."""
        order = list(range(len(best))) if head.tie == "leftmost" else list(reversed(range(len(best))))
        earlier = self.const(0)
        sel, previous = [], []
        for q in order:
            sel.append(self.and_not(best[q], earlier))
            previous.append(best[q])
            if self.style == "threshold":  # one flat OR: constant depth (compile)
                earlier = self.from_node(self.circuit.or_(*(self.as_node(b) for b in previous)))
            else:  # a running OR: fewest gates (SAT)
                earlier = self.or_(earlier, best[q])
        return [self.choose(sel, [values[q][j] for q in order]) for j in range(len(values[0]))]

    def _average(self, best, values, lo, hi) -> list:
        """R(sum over the maxima of V / their count); the count is a constant when every
        score ties (issue 10 item 2)."""
        count = self.linear([(1, b) for b in best])
        return [self.divide(self.linear([(1, b, v[j]) for b, v in zip(best, values)]), count, 1, lo[j], hi[j])
                for j in range(len(lo))]

    def attention(self, block: Attention, h) -> list:
        heads = [self.head(head, h) for head in block.heads]
        out = []
        for p in range(len(h)):
            row = []
            for i, bo in enumerate(block.bo):
                coefs = [(w, a) for head, a_h in zip(block.heads, heads) for w, a in zip(head.wo[i], a_h[p])]
                row.append(self.affine(coefs, bo))
            out.append(row)
        return out

    def mlp(self, block, h) -> list:
        out = []
        for x in h:
            u = [self.activation(block.activation, z) for z in self.matvec(block.w1, block.b1, x)]
            out.append(self.matvec(block.w2, block.b2, u))
        return out

    def layer_norm(self, norm: LayerNorm, x) -> list:
        """y at one position (spec 3.3), as the exact evaluator computes it: mu = R(sum x / d),
        c = x - mu exact, v = R(sum c^2 / d) (c^2 on 2^-2F), s = R(sqrt(v + epsilon)) exactly
        rounded (`Values.root`), y_i = R((gamma_i c_i + beta_i s) 2^F / (s 2^P)), or R(beta_i)
        where s = 0 (a word s + [s = 0] keeps the divider's denominator positive). `_normalize`
        builds the divisions."""
        F, P = self.fmt.frac_bits, self.model.param_format.frac_bits
        d = len(x)
        mu = self.divide(self.linear([(1, xi) for xi in x]), self.const(d), 1, None, None)
        c = [self.linear([(1, xi), (-1, mu)]) for xi in x]
        squares = self.nonnegative(self.linear([(1, ci, ci) for ci in c]))
        v = self.divide(squares, self.const(d << F), 1, None, None)
        j = max(0, P - 2 * F + 1) // 2 * 2  # s 2^F = sqrt((v 2^F + eps 2^(2F-P)) 2^j) / 2^(j/2), j even
        s = self.root([(1 << (F + j), v)], norm.epsilon << (2 * F - P + j), j // 2)
        bound = ratio_bound(self.fmt, P, d, norm.epsilon, self.bounds(squares)[1])
        zero = self.equal(s, self.const(0))
        return [self._normalize(g, b, ci, s, zero, bound) for g, b, ci in zip(norm.gamma, norm.beta, c)]

    def _normalize(self, g: int, b: int, c: Value, s: Value, zero: Value, bound) -> Value:
        """y = R((g c + b s) 2^F / (s 2^P)) for s > 0, else R(b) (spec 3.3). gamma = 0 gives
        R(b) either way; the common power of two of numerator and denominator is divided out
        (exact: the quotient is unchanged), and the quotient's range is the interval one cut
        by `norm_bound` (|c / s| bounded through the roundings of v and s)."""
        F, P = self.fmt.frac_bits, self.model.param_format.frac_bits
        constant = self.const(self.fmt.round_k(b << F, 1 << P))
        if g == 0:
            return constant
        shift = min(P, F + ((g | b) & -(g | b)).bit_length() - 1)
        den = self.linear([(1 << (P - shift), s), (1 << (P - shift), zero)])
        dlo, dhi = max(self.bounds(den)[0], 1 << (P - shift)), self.bounds(den)[1]  # s and [s = 0] exclude each other
        num = self.linear([((g << F) >> shift, c), ((b << F) >> shift, s)])
        nlo, nhi = self.bounds(num)
        lo, hi = min(nlo // dlo, nlo // dhi), max(-(-nhi // dlo), -(-nhi // dhi))
        tight = quotient_range(bound, g, b, F, P)
        if tight is not None:
            lo, hi = max(lo, tight[0]), min(hi, tight[1])
        return self.choose([zero, self.linear([(-1, zero)], 1)], [constant, self.divide(num, den, 1 << (P - shift), lo, hi)])

    def readout(self, x) -> list:
        """Nodes of the output bits at one position (models.Readout), exact. Threshold:
        w . h + b > 0. Argmax: class c wins iff o_c > o_j for j < c and o_c >= o_j for
        j > c (the first maximum), each a comparison of the exact form o_c - o_j with 0."""
        readout = self.model.readout
        F = self.fmt.frac_bits

        def positive(w, b, strict=True):  # w . h + b > 0 (or >= 0)
            return self.at_least_one(list(zip(w, x)), (b << F) + (0 if strict else 1))

        if readout.kind == "threshold":
            return [positive(readout.weights[0], readout.bias[0])]
        c = self.circuit
        rows = list(zip(readout.weights, readout.bias))
        wins = [c.and_(*(positive([a - b for a, b in zip(w, w_j)], bias - b_j, strict=j < i)
                         for j, (w_j, b_j) in enumerate(rows) if j != i))
                for i, (w, bias) in enumerate(rows)]
        if readout.accept is not None:
            return [c.or_(*(wins[i] for i in readout.accept))]
        return wins


def lower_transformer(model: Transformer, circuit: GateCircuit, outputs: str, style: str = "adder",
                      table_limit: Optional[int] = None, rewrite: bool = True) -> list:
    """IR nodes of the output bits (spec 3) at length `circuit.length`. Values of at most
    `table_limit` symbol combinations are computed concretely (default: max(16, |alphabet|^2),
    enough for the first block's score tables; 1 keeps only constants concrete). `rewrite`
    keeps sums as `Linear` forms (see the module docstring)."""
    n = circuit.length
    lay = sequence.layout(model, n, outputs)
    if table_limit is None:
        table_limit = max(16, len(circuit.alphabet) ** 2)
    low = _Lowerer(model, circuit, style, table_limit, rewrite)
    h = low.embedding(n, lay)
    for block in model.blocks:
        if isinstance(block, LayerNorm):
            h = [low.layer_norm(block, x) for x in h]
            continue
        y = h if block.norm is None else [low.layer_norm(block.norm, x) for x in h]
        out = low.attention(block, y) if isinstance(block, Attention) else low.mlp(block, y)
        if block.residual:
            h = [[low.round_linear([(1, a), (1, b)], 0, 0) for a, b in zip(x, o)] for x, o in zip(h, out)]
        else:
            h = out
    return [bit for p in lay.read for bit in low.readout(h[p])]
