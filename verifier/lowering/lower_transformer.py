"""A transformer at one length into the gate IR, bit-exact with spec section 3.

Every scalar (a grid index) is carried as one of two kinds of value:

- a `Table`: the value as a function of the symbols at a few input positions
  (`deps`), computed concretely with the same exact arithmetic as `evaluate.py`.
  Before attention mixes positions everything is a table of one position (h_p,
  Q_p, K_q, V_q) or of two (the first block's scores s_pq); positions that see
  only a few symbols (bos, the first positions under a causal mask) stay tables
  through every block, and constants are tables of no position.
- a `Word` of `encodings/fixedpoint.py`, sized by the proven range of its value.

An operation on tables whose joint dependencies have at most `table_limit`
symbol combinations is computed concretely; otherwise the tables become words
(a `select` over the one-hot inputs, or weighted selector bits inside a sum)
and the operation is built by `Arithmetic`. Soundness relies on the inputs
being one-hot (exactly one symbol per position), which every miter asserts.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections import Counter
from dataclasses import dataclass
from typing import Optional, Union

from ..casefile.models import Attention, Transformer
from ..encodings.fixedpoint import Arithmetic, Word, width_of
from ..semantics import sequence
from ..semantics.evaluate import activation_k, softmax_x
from .ir import GateCircuit


@dataclass(frozen=True)
class Table:
    """An integer as a function of the symbols at input positions `deps` (sorted):
    `values[combo]` for each tuple of symbols aligned with `deps`."""

    deps: tuple
    values: dict

    @property
    def constant(self):
        """The value if it depends on no symbol, else None."""
        return self.values[()] if not self.deps else None


Value = Union[Table, Word]
LEVEL_LIMIT = 64  # distinct values up to which a maximum over tables is built as a one-hot


def _naf_digits(k: int) -> int:
    """Nonzero digits of the non-adjacent form of k (adders needed to add k * bit)."""
    k = abs(k)
    count = 0
    while k:
        if k & 1:
            k -= 2 - (k % 4)
            count += 1
        k >>= 1
    return count


class _Lowerer:
    """Values over one GateCircuit; see the module docstring."""

    def __init__(self, model: Transformer, circuit: GateCircuit, style: str, table_limit: int):
        self.model = model
        self.fmt = model.number_format
        self.circuit = circuit
        self.arith = Arithmetic(circuit, style)
        self.style = style
        self.alphabet = circuit.alphabet
        self.table_limit = table_limit
        self.levels = {}  # word -> {value: node}: one-hot of a maximum over tables (see `maximum`)

    # -- tables ------------------------------------------------------------

    def const(self, k: int) -> Table:
        return Table((), {(): k})

    def _union(self, deps_list):
        """The sorted union of some deps if it has at most `table_limit` combinations, else None."""
        deps = tuple(sorted(set().union(*deps_list)))
        return deps if len(self.alphabet) ** len(deps) <= self.table_limit else None

    def _joint(self, values):
        """The union of the values' deps if all are tables and it is small enough, else None."""
        if not all(isinstance(v, Table) for v in values):
            return None
        return self._union([v.deps for v in values])

    def _tabulate(self, deps, values, fn) -> Table:
        """The table of fn(*ints) over every combination of symbols at `deps`, with the
        positions it turns out not to depend on dropped."""
        where = [[deps.index(d) for d in v.deps] for v in values]
        out = {}
        for combo in itertools.product(self.alphabet, repeat=len(deps)):
            out[combo] = fn(*(v.values[tuple(combo[i] for i in idx)] for v, idx in zip(values, where)))
        return self._reduce(Table(deps, out))

    def _reduce(self, table: Table) -> Table:
        """The table without the positions its value does not depend on."""
        deps, out = table.deps, table.values
        for d in reversed(range(len(deps))):
            if all(out[c] == out[c[:d] + (a,) + c[d + 1:]] for c in out for a in self.alphabet):
                out = {c[:d] + c[d + 1:]: k for c, k in out.items()}
                deps = deps[:d] + deps[d + 1:]
        return Table(deps, out)

    def _apply(self, values, fn, build):
        """fn on tables when they are jointly small, else build(*words)."""
        deps = self._joint(values)
        if deps is not None:
            return self._tabulate(deps, values, fn)
        return build(*(self.word(v) for v in values))

    def _selector(self, deps, combo) -> int:
        return self.circuit.and_(*(self.circuit.input(d, a) for d, a in zip(deps, combo)))

    @staticmethod
    def _common(table: Table) -> int:
        return Counter(table.values.values()).most_common(1)[0][0]

    def word(self, v: Value) -> Word:
        """A word of the value: for a table, a select over its symbol combinations (the most
        common value as the default, exact because the inputs are one-hot)."""
        if isinstance(v, Word):
            return v
        default = self._common(v)
        return self.arith.select([(self._selector(v.deps, c), k) for c, k in v.values.items() if k != default], default)

    def node(self, v: Value) -> int:
        """The IR node of a 0/1 value."""
        if isinstance(v, Word):
            assert 0 <= v.lo and v.hi <= 1
            return v.bits[0]
        ones = [self._selector(v.deps, c) for c, k in v.values.items() if k]
        return self.circuit.or_(*ones)

    def bit(self, node: int) -> Value:
        value = self.circuit.const_value(node)
        return self.const(value) if value is not None else self.arith.bit_word(node)

    @staticmethod
    def bounds(v: Value):
        if isinstance(v, Word):
            return v.lo, v.hi
        return min(v.values.values()), max(v.values.values())

    # -- sums ----------------------------------------------------------------

    def _expand(self, coef: int, table: Table):
        """coef * table as Arithmetic terms and a constant: weighted selector bits (value minus
        the most common one) when that takes fewer adder inputs than a selected word."""
        if table.constant is not None:
            return [], coef * table.constant
        default = self._common(table)
        direct = sum(_naf_digits(coef * (k - default)) for k in table.values.values())
        if direct <= width_of(*self.bounds(table)) * _naf_digits(coef):
            terms = [(coef * (k - default), self.arith.bit_word(self._selector(table.deps, c)))
                     for c, k in table.values.items() if k != default]
            return terms, coef * default
        return [(coef, self.word(table))], 0

    def _terms(self, terms, const: int):
        """Integer terms (coef, v) / (coef, a, b) over values as Arithmetic terms and a constant:
        products with a constant factor become linear, jointly small products tabulate, tables
        that are jointly small are summed concretely first."""
        linear, words = [], []
        for term in terms:
            coef, *factors = term
            if coef == 0:
                continue
            if len(factors) == 2:
                a, b = factors
                if isinstance(a, Table) and a.constant is not None:
                    coef, factors = coef * a.constant, [b]
                elif isinstance(b, Table) and b.constant is not None:
                    coef, factors = coef * b.constant, [a]
                elif self._joint([a, b]) is not None:
                    factors = [self._tabulate(self._joint([a, b]), [a, b], lambda x, y: x * y)]
            if len(factors) == 1:
                linear.append((coef, factors[0]))
            else:
                words.append((coef, self.word(factors[0]), self.word(factors[1])))
        groups = []  # [(deps, [(coef, table)])]: tables summed concretely
        for coef, v in linear:
            if isinstance(v, Word):
                words.append((coef, v))
                continue
            for i, (deps, members) in enumerate(groups):
                joint = self._union([deps, v.deps])
                if joint is not None:
                    groups[i] = (joint, members + [(coef, v)])
                    break
            else:
                groups.append((v.deps, [(coef, v)]))
        for deps, members in groups:
            tables = [v for _, v in members]
            total = self._tabulate(deps, tables, lambda *ks: sum(c * k for (c, _), k in zip(members, ks)))
            more, k = self._expand(1, total)
            words += more
            const += k
        return words, const

    def _concrete(self, terms, const, finish):
        """finish(exact sum) tabulated if every value in the terms is jointly small, else None."""
        values = [v for term in terms for v in term[1:]]
        deps = self._joint(values)
        if deps is None:
            return None
        coefs = [term[0] for term in terms]
        arity = [len(term) - 1 for term in terms]

        def total(*ks):
            s, i = const, 0
            for c, r in zip(coefs, arity):
                s += c * (ks[i] if r == 1 else ks[i] * ks[i + 1])
                i += r
            return finish(s)

        return self._tabulate(deps, values, total)

    def linear(self, terms, const: int = 0) -> Value:
        """The exact integer sum of coef * v (or coef * a * b) + const."""
        done = self._concrete(terms, const, lambda s: s)
        if done is not None:
            return done
        words, const = self._terms(terms, const)
        return self.arith.linear(words, const)

    def round_linear(self, terms, const: int, shift: int) -> Value:
        """R of the number format applied to (sum + const) / 2^shift."""
        fmt = self.fmt
        done = self._concrete(terms, const, lambda s: fmt.round_k(s, 1 << shift))
        if done is not None:
            return done
        words, const = self._terms(terms, const)
        return self.arith.round_linear(words, const, shift, fmt)

    def affine(self, coefs, bias: int) -> Value:
        """R(sum c * x + bias) for parameters c, bias (param-grid indices) and values x: the
        exact sum on the 2^-(P+F) grid, rounded by 2^P, less the powers of two all share."""
        P = self.model.param_format.frac_bits
        const = bias << self.fmt.frac_bits
        shared = functools.reduce(math.gcd, [c for c, _ in coefs], const)
        g = P if shared == 0 else min(P, (shared & -shared).bit_length() - 1)
        return self.round_linear([(c >> g, v) for c, v in coefs], const >> g, P - g)

    def at_least_one(self, terms, const: int) -> int:
        """Node: 1 iff the exact sum + const >= 1."""
        done = self._concrete(terms, const, lambda s: int(s >= 1))
        if done is not None:
            return self.node(done)
        words, const = self._terms(terms, const)
        return self.arith.at_least(words, const - 1)

    # -- other operations ----------------------------------------------------

    def maximum(self, values) -> Value:
        """Tables with few distinct values (the first block's scores): [max >= v] is an OR of
        table bits, so the maximum is a select over the one-hot [max = v], kept in `levels`
        for `with_level`; no comparator is built."""
        if self._joint(values) is None and all(isinstance(v, Table) for v in values):
            levels = sorted(set().union(*(v.values.values() for v in values)))
            if len(levels) <= LEVEL_LIMIT:
                c = self.circuit
                ge = [c.true] + [c.or_(*(self.node(self._tabulate(t.deps, [t], lambda k, v=v: int(k >= v))) for t in values))
                                 for v in levels[1:]] + [c.false]
                eq = {v: c.and_(ge[i], c.not_(ge[i + 1])) for i, v in enumerate(levels)}
                m = self.arith.select([(eq[v], v) for v in levels[1:]], levels[0])
                self.levels.setdefault(m, eq)
                return m
        return self._apply(values, lambda *ks: max(ks), lambda *words: self.arith.maximum(list(words)))

    def with_level(self, t: Table, m: Word, fn) -> Word:
        """fn(t, m) for a maximum m built by `maximum` (a select over [m = v] and t's symbols:
        exactly one pair holds)."""
        pairs = [(self.circuit.and_(eq, self._selector(t.deps, combo)), fn(k, v))
                 for v, eq in self.levels[m].items() for combo, k in t.values.items()]
        default = Counter(k for _, k in pairs).most_common(1)[0][0]
        return self.arith.select([(node, k) for node, k in pairs if k != default], default)

    def equal(self, a: Value, b: Value) -> Value:
        if isinstance(a, Table) and isinstance(b, Word) and b in self.levels:
            return self.with_level(a, b, lambda x, y: int(x == y))
        return self._apply([a, b], lambda x, y: int(x == y), lambda x, y: self.bit(self.arith.equal(x, y)))

    def or_(self, a: Value, b: Value) -> Value:
        """a or b, for 0/1 values."""
        return self._apply([a, b], lambda x, y: x | y, lambda x, y: self.bit(self.circuit.or_(self.node(x), self.node(y))))

    def and_not(self, a: Value, b: Value) -> Value:
        """a and not b, for 0/1 values."""
        c = self.circuit
        return self._apply([a, b], lambda x, y: x & (1 - y), lambda x, y: self.bit(c.and_(self.node(x), c.not_(self.node(y)))))

    def lookup(self, v: Value, f) -> Value:
        return self._apply([v], f, lambda w: self.arith.lookup(w, f))

    def divide(self, num: Value, den: Value, den_lo: int, lo: int, hi: int) -> Value:
        """R(num / den) (grid units), with den >= den_lo >= 1 and the result in [lo, hi]."""
        fmt = self.fmt
        if isinstance(den, Table) and den.constant is not None:
            d = den.constant
            return self.lookup(num, lambda k: fmt.round_k(k, d))

        def build(n, d):
            return self.arith.div_round(n, Word(d.bits, max(d.lo, den_lo), d.hi), fmt, lo, hi)

        return self._apply([num, den], lambda n, d: fmt.round_k(n, d), build)

    def choose(self, selectors, values) -> Value:
        """The value whose 0/1 selector is 1 (exactly one is)."""
        everything = list(selectors) + list(values)
        deps = self._joint(everything)
        if deps is not None:
            m = len(selectors)
            return self._tabulate(deps, everything, lambda *ks: sum(s * v for s, v in zip(ks[:m], ks[m:])))
        return self.arith.choose([(self.node(s), self.word(v)) for s, v in zip(selectors, values)])

    def activation(self, name: str, v: Value) -> Value:
        if isinstance(v, Word) and name == "identity":  # R(k) = k: the pre-activation is in range
            return v
        if isinstance(v, Word) and name == "relu":
            if v.lo >= 0:
                return v
            if v.hi <= 0:
                return self.const(0)
            c = self.circuit
            sign = v.bits[-1]
            return Word(tuple(c.and_(b, c.not_(sign)) for b in v.bits), 0, v.hi)
        fmt = self.fmt
        return self.lookup(v, lambda k: activation_k(name, k, fmt))

    # -- the transformer -----------------------------------------------------

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
        """a_p for every position p (a list of d_v values each)."""
        F = self.fmt.frac_bits
        N = len(h)
        Q = [self.matvec(head.wq, head.bq, x) for x in h]
        K = [self.matvec(head.wk, head.bk, x) for x in h]
        V = [self.matvec(head.wv, head.bv, x) for x in h]
        dv = len(head.wv)
        out = []
        for p in range(N):
            seen = list(range(p + 1)) if head.mask == "causal" else list(range(N))
            s = {q: self.round_linear([(1, a, b) for a, b in zip(Q[p], K[q])], 0, F) for q in seen}
            m = self.maximum([s[q] for q in seen])
            vranges = [[self.bounds(V[q][j]) for q in seen] for j in range(dv)]
            lo = [min(r[0] for r in vr) for vr in vranges]
            hi = [max(r[1] for r in vr) for vr in vranges]
            if head.type == "softmax":
                Fe = head.exp_frac_bits
                def x(d):
                    return softmax_x(min(d, 0), F, Fe)

                e = {q: self.with_level(s[q], m, lambda k, v: x(k - v)) if isinstance(s[q], Table) and isinstance(m, Word) and m in self.levels
                     else self.lookup(self.linear([(1, s[q]), (-1, m)]), x) for q in seen}
                den = self.linear([(1, e[q]) for q in seen])
                a = [self.divide(self.linear([(1, e[q], V[q][j]) for q in seen]), den, 1 << Fe, lo[j], hi[j]) for j in range(dv)]
            elif head.type == "hard":
                order = seen if head.tie == "leftmost" else seen[::-1]
                earlier = self.const(0)
                sel, previous = [], []
                for q in order:
                    best = self.equal(s[q], m)
                    sel.append(self.and_not(best, earlier))
                    previous.append(best)
                    if self.style == "threshold":  # one flat OR: constant depth (compile)
                        earlier = self.bit(self.circuit.or_(*(self.node(b) for b in previous)))
                    else:  # a running OR: fewest gates (SAT)
                        earlier = self.or_(earlier, best)
                a = [self.choose(sel, [V[q][j] for q in order]) for j in range(dv)]
            else:
                best = {q: self.equal(s[q], m) for q in seen}
                count = self.linear([(1, best[q]) for q in seen])
                a = [self.divide(self.linear([(1, best[q], V[q][j]) for q in seen]), count, 1, lo[j], hi[j]) for j in range(dv)]
            out.append(a)
        return out

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
                      table_limit: Optional[int] = None) -> list:
    """IR nodes of the output bits (spec 3) at length `circuit.length`. Values of at most
    `table_limit` symbol combinations are computed concretely (default: max(16, |alphabet|^2),
    enough for the first block's score tables; 1 keeps only constants concrete)."""
    n = circuit.length
    lay = sequence.layout(model, n, outputs)
    if table_limit is None:
        table_limit = max(16, len(circuit.alphabet) ** 2)
    low = _Lowerer(model, circuit, style, table_limit)
    h = low.embedding(n, lay)
    for block in model.blocks:
        out = low.attention(block, h) if isinstance(block, Attention) else low.mlp(block, h)
        if block.residual:
            h = [[low.round_linear([(1, a), (1, b)], 0, 0) for a, b in zip(x, o)] for x, o in zip(h, out)]
        else:
            h = out
    return [bit for p in lay.read for bit in low.readout(h[p])]
