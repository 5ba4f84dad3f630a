"""A transformer at one length into the gate IR, bit-exact with spec section 3: the
walk over embedding, attention heads (one method per head type), MLPs and readout,
on the values of `values.py` (tables, words, linear forms; see docs/lowering.md).

A position's vector is a list of values, or, while all of them are jointly small
tables, one `Folded` array (`lowering/folding.py`) on which affine maps, MLPs,
layer norms, scores and residual sums are the batch evaluator's exact numpy
arithmetic (`batch.Runner`); a head whose visible scores are all constants
(scores of positions alone, as Tracr's) computes its weights as integers
(`_attend_constant`)."""

from __future__ import annotations

import functools
import itertools
import math
from typing import Optional

import numpy as np

from ...core.models import Attention, LayerNorm, Transformer
from ...lowering import folding
from ...lowering.arithmetic import SOFTMAX_X_PIECES
from ...lowering.folding import Folded
from . import sequence
from .norm_bound import quotient_range, ratio_bound
from .batch import Runner, embedding_rows
from .products import add, magnitude, matmul, narrow
from ...core.number_format import INT64_SAFE
from ...semantics.activations import softmax_k
from ...core.ir import GateCircuit
from ...lowering.values import Table, Value, Values, Word, value_key


class _Lowerer(Values):
    """The transformer walk over `Values`."""

    def __init__(self, model: Transformer, circuit: GateCircuit, style: str, table_limit: int, rewrite: bool,
                 counts: bool = True, fold: bool = True):
        super().__init__(model.number_format, circuit, style, table_limit, rewrite, counts)
        self.model = model
        self.fold = fold
        self.run = Runner(model, circuit.length)
        self.unfolded = {}  # id(Folded) -> (it, its Tables): see `values`

    # -- folded vectors ----------------------------------------------------------

    def folded(self, x) -> Optional[Folded]:
        """x as one Folded vector: x itself, or its values when they are jointly small
        tables (and folding is on); else None."""
        if isinstance(x, Folded) or not self.fold:
            return x if isinstance(x, Folded) else None
        return folding.fold(x, self.alphabet, self.table_limit)

    def values(self, x) -> list:
        """x as a list of values (a Folded vector as its Tables, unfolded once)."""
        if not isinstance(x, Folded):
            return x
        if id(x) not in self.unfolded:
            self.unfolded[id(x)] = (x, folding.unfold(x, self.alphabet))  # x kept alive with its id
        return self.unfolded[id(x)][1]

    def _jointly(self, vectors) -> Optional[tuple]:
        """(deps, Folded vectors) when every vector folds and their union is small, else None."""
        folded = [self.folded(x) for x in vectors]
        if any(f is None for f in folded):
            return None
        deps = folding.union([f.deps for f in folded], self.alphabet, self.table_limit)
        return None if deps is None else (deps, folded)

    def _refold(self, deps, array) -> Folded:
        return folding.trimmed(deps, narrow(array), self.alphabet)

    def positionwise(self, h, rows, generic) -> list:
        """A map of every position's vector: `rows` (row-wise on integer arrays) on all the
        folded positions at once (their arrays stacked, one call, then split), `generic` on
        each of the others."""
        folded = [self.folded(x) for x in h]
        out = [None] * len(h)
        stacked = [p for p, f in enumerate(folded) if f is not None]
        if stacked:
            arrays = [folded[p].array for p in stacked]
            result = narrow(rows(np.concatenate(arrays)))
            for p, part in zip(stacked, np.split(result, np.cumsum([len(a) for a in arrays])[:-1])):
                out[p] = self._refold(folded[p].deps, part)
        return [v if v is not None else generic(x) for v, x in zip(out, h)]

    def linear_map(self, h, matrix, bias) -> list:
        """R(W x + b) at every position: the batch evaluator's affine map on folded vectors,
        else per row."""
        return self.positionwise(h, lambda a: self.run.affine(a, matrix, bias), lambda x: self.matvec(matrix, bias, x))

    # -- the walk ------------------------------------------------------------------

    def affine(self, coefs, bias: int) -> Value:
        """R(sum c * x + bias) for parameters c, bias (param-grid indices) and values x: the
        exact sum on the 2^-(P+F) grid, rounded by 2^P, less the powers of two all share.
        Terms with c = 0 are left out (they add nothing)."""
        P = self.model.param_format.frac_bits
        const = bias << self.fmt.frac_bits
        coefs = [(c, v) for c, v in coefs if c]
        shared = functools.reduce(math.gcd, [c for c, _ in coefs], const)
        g = P if shared == 0 else min(P, (shared & -shared).bit_length() - 1)
        return self.round_linear([(c >> g, v) for c, v in coefs], const >> g, P - g)

    def embedding(self, n: int, lay) -> list:
        """h_p per position: tables of the symbol at p (constants at bos/eos), folded."""
        model = self.model
        tokens = tuple(self.alphabet) + tuple(t for t in (model.bos, model.eos) if t is not None)
        rows = embedding_rows(model, tokens, sequence.positional_rows(model, n))
        A = len(self.alphabet)
        h = []
        for p in range(lay.N):
            i = p - lay.offset
            if 0 <= i < n:
                h.append(self._refold((i,), rows[p, :A]))
            else:
                k = A if p < lay.offset else len(tokens) - 1  # bos, else eos
                h.append(self._refold((), rows[p, k:k + 1]))
        if not self.fold:
            h = [self.values(x) for x in h]
        return h

    def matvec(self, matrix, bias, x) -> list:
        """R(W x + b) per row of a vector of mixed values: the rows that read jointly small
        tables only by numpy (grouped by the positions they read), the others by `affine`."""
        out = [None] * len(matrix)
        rows = [[j for j, c in enumerate(row) if c] for row in matrix]
        for deps, members in self._groups([[x[j] for j in cols] for cols in rows]).items():
            cols = sorted(set().union(*(rows[i] for i in members)))
            folded = folding.fold([x[j] for j in cols], self.alphabet, self.table_limit)
            sub = tuple(tuple(matrix[i][j] for j in cols) for i in members)
            result = self.run.affine(folding.expand(folded, deps, self.alphabet), sub, tuple(bias[i] for i in members))
            for i, table in zip(members, folding.unfold(Folded(deps, narrow(result)), self.alphabet)):
                out[i] = table
        return [v if v is not None else self.affine(list(zip(row, x)), b) for v, row, b in zip(out, matrix, bias)]

    def _groups(self, items) -> dict:
        """{deps: [i]}: the items (lists of values) that are all tables with a small joint
        union `deps`, by that union (when folding is on)."""
        groups = {}
        for i, values in enumerate(items):
            if self.fold and all(isinstance(v, Table) for v in values):
                deps = self._union([v.deps for v in values])
                if deps is not None:
                    groups.setdefault(deps, []).append(i)
        return groups

    def head(self, head, h, used) -> list:
        """a_p for every position p in the value dims `used` (a list of values, or a Folded
        vector, each). Under mask none every position sees the same keys, so positions with
        the same query vector share one result; a query that is a small table of symbols is
        split into its constant vectors when fewer distinct vectors occur than there are
        positions (issue 9 item 5)."""
        N = len(h)
        if not used:
            return [[] for _ in range(N)]
        wv, bv = tuple(head.wv[j] for j in used), tuple(head.bv[j] for j in used)
        Q = self.linear_map(h, head.wq, head.bq)
        K = self.linear_map(h, head.wk, head.bk)
        V = self.linear_map(h, wv, bv)
        constant = [k.array for k in K if isinstance(k, Folded) and not k.deps]
        keys = np.concatenate(constant) if len(constant) == N else None  # [N, d_k]: every key a constant
        if head.mask == "causal":
            return [self._attend(head, Q[p], K[:p + 1], V[:p + 1], None if keys is None else keys[:p + 1])
                    for p in range(N)]
        shared = {}

        def attend(query):
            key = self._vector_key(query)
            if key not in shared:
                shared[key] = self._attend(head, query, K, V, keys)
            return shared[key]

        splits = [self._split(query) for query in Q]
        if all(split is not None for split in splits):
            distinct = {self._vector_key(vector) for split in splits for _, vector in split[1]}
            if len(distinct) < N:
                return [self._choose_split(deps, cases, attend) for deps, cases in splits]
        return [attend(query) for query in Q]

    @staticmethod
    def _vector_key(x) -> tuple:
        """A hashable key equal for equal vectors (folded or not)."""
        if isinstance(x, Folded):
            return ("folded", x.deps, tuple(x.array.ravel().tolist()))
        return tuple(value_key(v) for v in x)

    def _split(self, query):
        """(deps, [(combo, constant vector)]) for a query of jointly small tables, else None."""
        if isinstance(query, Folded):
            if not query.deps:
                return None
            combos = itertools.product(self.alphabet, repeat=len(query.deps))
            return query.deps, [(combo, Folded((), query.array[c:c + 1])) for c, combo in enumerate(combos)]
        deps = self._joint(query)
        if deps is None or not deps:
            return None
        cases = [(combo, [self.const(v.values[tuple(combo[deps.index(d)] for d in v.deps)]) for v in query])
                 for combo in itertools.product(self.alphabet, repeat=len(deps))]
        return deps, cases

    def _choose_split(self, deps, cases, attend) -> list:
        """The head's output selected by the symbols at `deps` (one-hot: one combo holds)."""
        results = [self.values(attend(vector)) for _, vector in cases]
        selectors = [self.from_node(self._selector(deps, combo)) for combo, _ in cases]
        return [self.choose(selectors, [r[j] for r in results]) for j in range(len(results[0]))]

    def score(self, query, key) -> Value:
        """R(Q . K) (on the 2^-2F grid, rounded by 2^F): numpy on folded vectors that are
        jointly small, else `round_linear` over the products."""
        joint = self._jointly([query, key])
        if joint is not None:
            deps, (q, k) = joint
            a, b = folding.expand(q, deps, self.alphabet), folding.expand(k, deps, self.alphabet)
            if magnitude(a) * magnitude(b) * max(a.shape[1], 1) >= INT64_SAFE:
                a, b = a.astype(object), b.astype(object)
            total = (a * b).sum(axis=1, keepdims=True)
            return folding.unfold(self._refold(deps, self.fmt.round_k(total, 1 << self.fmt.frac_bits)), self.alphabet)[0]
        query, key = self.values(query), self.values(key)
        return self.round_linear([(1, a, b) for a, b in zip(query, key)], 0, self.fmt.frac_bits)

    def _attend(self, head, query, keys, values, constant_keys=None) -> list:
        """The head's output for one query vector over the visible keys and values
        (`constant_keys`: the keys as one array, when every one is a constant)."""
        if constant_keys is not None and isinstance(query, Folded) and not query.deps:
            s = self.fmt.round_k(matmul(query.array, constant_keys.T), 1 << self.fmt.frac_bits)
            return self._attend_constant(head, s[0].tolist(), values)
        s = [self.score(query, k) for k in keys]
        if all(isinstance(v, Table) and v.constant is not None for v in s):
            return self._attend_constant(head, [v.constant for v in s], values)
        values = [self.values(v) for v in values]
        if len({value_key(v) for v in s}) == 1:  # every score ties: every position is a maximum
            m, best = s[0], [self.const(1)] * len(s)
        else:
            m = self.maximum(s)
            best = None
        dv = len(values[0])
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

    def _attend_constant(self, head, s, values):
        """The head's output when every visible score is a constant (scores of positions
        alone): the weights X(s_q - m), the maxima and the count are integers, and the
        output is R(sum w_q V_q / sum w_q) over the keys of nonzero weight (spec 3.3), the
        V of the first (last) maximum for a hard head."""
        m = max(s)
        if head.type == "hard":
            q = s.index(m) if head.tie == "leftmost" else len(s) - 1 - s[::-1].index(m)
            return values[q]
        if head.type == "softmax":
            weights = [softmax_k(k - m, self.fmt, head.exp_frac_bits) for k in s]
        else:
            weights = [int(k == m) for k in s]
        den = sum(weights)
        picked = [(w, v) for w, v in zip(weights, values) if w]
        joint = self._jointly([v for _, v in picked])
        if joint is not None:
            deps, folded = joint
            total = np.zeros((len(self.alphabet) ** len(deps), folded[0].array.shape[1]), dtype=np.int64)
            bound = sum(w * magnitude(f.array) for (w, _), f in zip(picked, folded))
            if bound >= INT64_SAFE:
                total = total.astype(object)
            for (w, _), f in zip(picked, folded):
                part = folding.expand(f, deps, self.alphabet)
                total = total + w * (part.astype(object) if total.dtype == object else part)  # no int64 product past the bound
            return self._refold(deps, self.fmt.round_k(total, den))
        columns = list(zip(*(self.values(v) for _, v in picked)))
        return [self.divide(self.linear([(w, v) for (w, _), v in zip(picked, column)]), self.const(den), den, None, None)
                for column in columns]

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
        """o_p = R(sum over heads wo a + bo); only the value dims whose column of wo is not
        zero are lowered (the others never reach o)."""
        used = [[j for j in range(len(head.wv)) if any(row[j] for row in head.wo)] for head in block.heads]
        heads = [self.head(head, h, u) for head, u in zip(block.heads, used)]
        wo = tuple(tuple(head.wo[i][j] for head, u in zip(block.heads, used) for j in u) for i in range(len(block.bo)))
        a = [self._joined([a_h[p] for a_h in heads], lambda *parts: [v for part in parts for v in part])
             for p in range(len(h))]
        return self.positionwise(a, lambda rows: self.run.affine(rows, wo, block.bo), lambda x: self.matvec(wo, block.bo, x))

    def _joined(self, vectors, generic):
        """The vectors side by side as one Folded vector over their joint positions when they
        fold jointly, else generic(*their values)."""
        joint = self._jointly(vectors)
        if joint is None:
            return generic(*(self.values(x) for x in vectors))
        deps, folded = joint
        return Folded(deps, np.concatenate([folding.expand(f, deps, self.alphabet) for f in folded], axis=1))

    def mlp(self, block, h) -> list:
        def generic(x):
            u = [self.activation(block.activation, z) for z in self.matvec(block.w1, block.b1, x)]
            return self.matvec(block.w2, block.b2, u)

        return self.positionwise(h, lambda a: self.run.mlp_rows(block, a), generic)

    def norm(self, norm: LayerNorm, h) -> list:
        """Layer norm at every position: the batch evaluator's on folded vectors, else `layer_norm`."""
        return self.positionwise(h, lambda a: self.run.layer_norm(norm, a), lambda x: self.layer_norm(norm, x))

    def residual(self, h, out) -> list:
        """S(h + o) at every position, each sum R(a + b) with one rounding by 1 (spec 3): by
        numpy on the positions where both fold jointly, else `_residual`."""
        d = self.model.d_model
        pairs = [self._joined([x, o], lambda x, o: (x, o)) for x, o in zip(h, out)]
        return self.positionwise(pairs, lambda ab: self.fmt.round_k(add(ab[:, :d], ab[:, d:]), 1),
                                 lambda pair: self._residual(*pair))

    def _residual(self, x: list, o: list) -> list:
        """S(x + o) of two vectors of values: a dim that adds the constant 0 is kept, the dims
        whose two tables are jointly small by numpy (grouped by the positions they read), the
        others by `round_linear`."""
        out = [a if self._plus_zero(a, b) else None for a, b in zip(x, o)]
        rest = [j for j, v in enumerate(out) if v is None]
        for deps, found in self._groups([[x[j], o[j]] for j in rest]).items():
            members = [rest[k] for k in found]
            a = folding.expand(folding.fold([x[j] for j in members], self.alphabet, self.table_limit), deps, self.alphabet)
            b = folding.expand(folding.fold([o[j] for j in members], self.alphabet, self.table_limit), deps, self.alphabet)
            for j, table in zip(members, folding.unfold(Folded(deps, narrow(self.fmt.round_k(add(a, b), 1))), self.alphabet)):
                out[j] = table
        return [v if v is not None else self.round_linear([(1, a), (1, b)], 0, 0) for v, a, b in zip(out, x, o)]

    def _plus_zero(self, a: Value, b: Value) -> bool:
        """Whether R(a + b) is a itself: b is the constant 0 and a lies in the fixed-point
        format's range (so neither R nor S changes it)."""
        if self.fmt.is_float or not (isinstance(b, Table) and b.constant == 0):
            return False
        lo, hi = self.bounds(a)
        return self.fmt.kmin <= lo and hi <= self.fmt.kmax

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

        def positive(w, b, strict=True):  # w . h + b > 0 (or >= 0), terms of weight 0 left out
            return self.at_least_one([(c, v) for c, v in zip(w, x) if c], (b << F) + (0 if strict else 1))

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
                      table_limit: Optional[int] = None, rewrite: bool = True, counts: bool = True,
                      fold: bool = True) -> list:
    """IR nodes of the output bits (spec 3) at length `circuit.length`. Values of at most
    `table_limit` symbol combinations are computed concretely (default: max(16, |alphabet|^2),
    enough for the first block's score tables; 1 keeps only constants concrete). `rewrite`
    keeps sums as `Linear` forms (see the module docstring); `counts` (with `rewrite`, in the
    adder style) keeps functions of one small-range linear form as count forms
    (`lowering/counts.py`); `fold` computes vectors of jointly small tables as arrays (off:
    table by table, to compare)."""
    n = circuit.length
    lay = sequence.layout(model, n, outputs)
    if table_limit is None:
        table_limit = max(16, len(circuit.alphabet) ** 2)
    low = _Lowerer(model, circuit, style, table_limit, rewrite, counts, fold)
    h = low.embedding(n, lay)
    for block in model.blocks:
        if isinstance(block, LayerNorm):
            h = low.norm(block, h)
            continue
        y = h if block.norm is None else low.norm(block.norm, h)
        out = low.attention(block, y) if isinstance(block, Attention) else low.mlp(block, y)
        h = low.residual(h, out) if block.residual else out
    return [bit for p in lay.read for bit in low.readout(low.values(h[p]))]
