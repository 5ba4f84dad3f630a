"""The values of the transformer lowering and their exact integer algebra over one
GateCircuit (spec sections 2-3): every scalar (a grid index) is one of three kinds.

- a `Table`: the value as a function of the symbols at a few input positions
  (`deps`), computed concretely with the same exact arithmetic as `evaluate.py`.
  Before attention mixes positions everything is a table of one position (h_p,
  Q_p, K_q, V_q) or of two (the first block's scores s_pq); positions that see
  only a few symbols (bos, the first positions under a causal mask) stay tables
  through every block, and constants are tables of no position.
- a `Word` of `lowering/arithmetic/`, sized by the proven range of its value.
- a `Linear` (with `rewrite`, issue 10 item 1): g(L) for an exact sum L of weighted
  word bits and a chain g of monotone steps (roundings R after constant scalings
  and divisions by constants, relu, step), not yet built. A comparison of it with a
  constant is one threshold gate [L >= L*], L* found by exact bisection; it is
  built as a word (adder tree, then the steps) only where a word is needed.
- a `Counted` (with `counts`, issue 21): a function of one small-range canonical linear
  form, tabulated over its range and computed pointwise; comparisons and words read one
  shared unary sum per form (`counts.py`).

An operation on tables whose joint dependencies have at most `table_limit`
symbol combinations is computed concretely; otherwise the tables become words
(a `select` over the one-hot inputs, or weighted selector bits inside a sum)
and the operation is built by `Arithmetic`. Soundness relies on the inputs
being one-hot (exactly one symbol per position), which every miter asserts.
See docs/lowering.md.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Optional, Union

from .arithmetic import Arithmetic, Word, activation_pieces, naf_digits, width_of
from . import counts
from .counts import Counted
from ..semantics.activations import activation_k
from ..core.number_format import NumberFormat, round_div
from ..core.ir import GateCircuit


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


@dataclass(frozen=True, eq=False)
class Step:
    """One monotone map of the integers (nondecreasing or nonincreasing on the range it
    is applied to); `build` is the same map on a built word, `affine` = (c, b, shift)
    when the map is R((c * x + b) / 2^shift)."""

    fn: Callable[[int], int]
    build: Callable[[Word], Word]
    affine: Optional[tuple] = None
    two_valued: bool = False  # the map takes at most two values (a step function)


@dataclass(frozen=True, eq=False)
class Linear:
    """g(L) with L = const + sum coef * word exactly (L in [base_lo, base_hi]) and g the
    composition of `steps`; the value lies in [lo, hi] and g is nondecreasing iff
    `increasing`. See the module docstring."""

    terms: tuple  # ((coef, Word), ...): L over one-bit selector words where it can be
    const: int
    grouping: Callable[[], tuple]  # () -> `adder`, called once, when a word of L is first needed
    base_lo: int
    base_hi: int
    steps: tuple
    lo: int
    hi: int
    increasing: bool
    two_valued: bool = False  # a step takes at most two values, so g does too

    def apply(self, x: int) -> int:
        for step in self.steps:
            x = step.fn(x)
        return x

    @functools.cached_property
    def adder(self) -> tuple:
        """(terms, const): L over fewer, wider words, for the adder tree. Built on demand:
        a Linear only ever compared with constants (threshold gates over `terms`) never
        needs it (issue 21: most of the lowering time of count-style models)."""
        return self.grouping()


Value = Union[Table, Word, Linear, Counted]
LEVEL_LIMIT = 64  # distinct values up to which a maximum over tables is built as a one-hot


def _least(pred, lo: int, hi: int) -> int:
    """The least x in [lo, hi] with pred(x), for pred monotone (False then True); hi if none."""
    while lo < hi:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def value_key(v) -> tuple:
    """A hashable key equal for equal values (a table's deps and values, a word's bits; a
    Linear by identity, holding it so that its id is not reused)."""
    if isinstance(v, Table):
        return ("table", v.deps, tuple(sorted(v.values.items())))
    if isinstance(v, Word):
        return ("word", v.bits, v.lo, v.hi)
    if isinstance(v, Counted):
        return ("count", v.form, v.values)
    return ("linear", v)


class Values:
    """Values over one GateCircuit in one number format; see the module docstring."""

    def __init__(self, fmt: NumberFormat, circuit: GateCircuit, style: str, table_limit: int, rewrite: bool,
                 counted: bool = False):
        self.fmt = fmt
        self.circuit = circuit
        self.arith = Arithmetic(circuit, style)
        self.style = style
        self.alphabet = circuit.alphabet
        self.table_limit = table_limit
        self.levels = {}  # word -> {value: node}: one-hot of a maximum over tables (see `maximum`)
        self.rewrite = rewrite
        self.built = {}  # Linear -> its word (see `as_word`)
        self.counted = counted and rewrite and style == "adder"  # count forms (a counter is deep: not for `compile`)
        self.sums = counts.sums_of(circuit)

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
        """fn on tables when they are jointly small, pointwise on count forms, else build(*words)."""
        done = self._pointwise(values, fn)
        if done is not None:
            return done
        deps = self._joint(values)
        if deps is not None:
            return self._tabulate(deps, values, fn)
        return build(*(self.as_word(v) for v in values))

    def _selector(self, deps, combo) -> int:
        return self.circuit.and_(*(self.circuit.input(d, a) for d, a in zip(deps, combo)))

    @staticmethod
    def _common(table: Table) -> int:
        return Counter(table.values.values()).most_common(1)[0][0]

    def as_word(self, v: Value) -> Word:
        """A word of the value: for a table, a select over its symbol combinations (the most
        common value as the default, exact because the inputs are one-hot)."""
        if isinstance(v, Word):
            return v
        if isinstance(v, Linear):
            return self._build(v)
        if isinstance(v, Counted):
            return self.sums.word(v)
        default = self._common(v)
        return self.arith.select([(self._selector(v.deps, c), k) for c, k in v.values.items() if k != default], default)

    def as_node(self, v: Value) -> int:
        """The IR node of a 0/1 value."""
        if isinstance(v, Word):
            assert 0 <= v.lo and v.hi <= 1
            return v.bits[0]
        if isinstance(v, Linear):
            return self._at_least_linear(v, 1)
        if isinstance(v, Counted):
            return self.sums.predicate(v, lambda k: k >= 1)
        ones = [self._selector(v.deps, c) for c, k in v.values.items() if k]
        return self.circuit.or_(*ones)

    def from_node(self, node: int) -> Value:
        """The 0/1 value of an IR node (a constant table for a constant node)."""
        value = self.circuit.const_value(node)
        return self.const(value) if value is not None else self.arith.bit_word(node)

    @staticmethod
    def bounds(v: Value):
        if isinstance(v, (Word, Linear, Counted)):
            return v.lo, v.hi
        return min(v.values.values()), max(v.values.values())

    # -- linear forms (rewrite) ------------------------------------------------

    def _pure(self, terms, const: int) -> Optional[Value]:
        """The exact sum of value terms (coef, v) + const as a Linear without steps: over
        selector bits per table (for threshold gates) and over tables summed in groups (for
        the adder tree, `Linear.adder`, on demand); None if a term is a product of words."""
        bits, bits_const = self._terms(terms, const, grouped=False)
        if any(len(t) != 2 for t in bits):  # products are found before the grouping: the same in both
            return None
        lo = bits_const + sum(min(c * w.lo, c * w.hi) for c, w in bits)
        hi = bits_const + sum(max(c * w.lo, c * w.hi) for c, w in bits)
        if lo == hi:
            return self.const(lo)

        def grouping():
            words, words_const = self._terms(terms, const)
            return tuple(words), words_const

        return Linear(tuple(bits), bits_const, grouping, lo, hi, (), lo, hi, True)

    def _then(self, v: Linear, step: Step) -> Value:
        """step(v) for a step proven monotone on [v.lo, v.hi]."""
        a, b = step.fn(v.lo), step.fn(v.hi)
        if a == b:
            return self.const(a)
        return dataclasses.replace(v, steps=v.steps + (step,), lo=min(a, b), hi=max(a, b),
                                   increasing=v.increasing == (a < b), two_valued=v.two_valued or step.two_valued)

    def _in_format(self, lo: int, hi: int) -> bool:
        """Whether S is monotone on [lo, hi]: saturation always is, wrap only without overflow."""
        return self.fmt.overflow == "saturate" or (self.fmt.kmin <= lo and hi <= self.fmt.kmax)

    def _round_step(self, v: Linear, c: int, b: int, den: int) -> Optional[Value]:
        """R((c * v + b) / den) as a further step, or None where wrap could overflow."""
        fmt = self.fmt
        ends = [round_div(c * x + b, den, fmt.rounding) for x in (v.lo, v.hi)]
        if not self._in_format(min(ends), max(ends)):
            return None
        if den & (den - 1) == 0:
            shift = den.bit_length() - 1
            step = Step(lambda x: fmt.round_k(c * x + b, den),
                        lambda w: self.arith.round_linear([(c, w)], b, shift, fmt), (c, b, shift))
        else:
            assert c == 1 and b == 0
            step = Step(lambda x: fmt.round_k(x, den), lambda w: self._divide_constant(w, den))
        return self._then(v, step)

    def _build(self, v: Linear) -> Word:
        """The word of g(L), built once per Linear: for a value of two levels a select of one
        threshold gate; else the adder tree of L (with a first rounding step folded into it),
        then the remaining steps."""
        if v not in self.built and (v.hi - v.lo == 1 or v.two_valued):
            self.built[v] = self.arith.select([(self._at_least_linear(v, v.hi), v.hi)], v.lo)
        if v not in self.built:
            steps = v.steps
            if steps and steps[0].affine is not None:
                c, b, shift = steps[0].affine
                terms, const = v.adder
                word = self.arith.round_linear([(c * k, w) for k, w in terms], c * const + b, shift, self.fmt)
                steps = steps[1:]
            else:
                word = self.arith.linear(*v.adder)
            for step in steps:
                word = self.as_word(step.build(word))
            self.built[v] = word
        return self.built[v]

    def _at_least_linear(self, v: Linear, c: int) -> int:
        """Node [g(L) >= c]: g is monotone, so this is [L >= L*] (nondecreasing g) or
        NOT [L >= L*] (nonincreasing g): one threshold gate over the words' bits."""
        if v.lo >= c:
            return self.circuit.true
        if v.hi < c:
            return self.circuit.false
        if v.increasing:
            bound = _least(lambda x: v.apply(x) >= c, v.base_lo, v.base_hi + 1)
        else:
            bound = _least(lambda x: v.apply(x) < c, v.base_lo, v.base_hi + 1)
        nodes, weights = [], []
        for coef, w in v.terms:
            for j, bit in enumerate(w.bits):
                nodes.append(bit)
                weights.append(-(coef << j) if j == len(w.bits) - 1 else coef << j)
        ge = self.circuit.threshold(nodes, weights, bound - v.const)
        return ge if v.increasing else self.circuit.not_(ge)

    def _one_linear(self, terms, const: int):
        """(coef, Linear, const) when `terms` are one Linear term plus constants, or pure
        Linears, words and tables around at least one pure Linear (summed into one);
        else None."""
        if not self.rewrite or any(len(t) != 2 for t in terms):
            return None
        rest = []
        for coef, v in terms:
            if isinstance(v, Table) and v.constant is not None:
                const += coef * v.constant
            elif coef:
                rest.append((coef, v))
        stepped = [t for t in rest if isinstance(t[1], Linear) and t[1].steps]
        if len(rest) == 1 and stepped:
            return rest[0][0], rest[0][1], const
        if stepped or not any(isinstance(v, Linear) for _, v in rest):
            return None
        v = self._pure(rest, const)
        return (1, v, 0) if isinstance(v, Linear) else None

    # -- sums ----------------------------------------------------------------

    def _expand(self, coef: int, table: Table):
        """coef * table as Arithmetic terms and a constant: weighted selector bits (value minus
        the most common one) when that takes fewer adder inputs than a selected word."""
        if table.constant is not None:
            return [], coef * table.constant
        default = self._common(table)
        direct = sum(naf_digits(coef * (k - default)) for k in table.values.values())
        lo, hi = self.bounds(table)
        zeros = 0
        if self.style == "adder":  # low bits 0 in every value are constant bits of a select: no adder inputs
            shared = functools.reduce(math.gcd, table.values.values())
            zeros = (shared & -shared).bit_length() - 1
        if direct <= width_of(lo >> zeros, hi >> zeros) * naf_digits(coef):
            terms = [(coef * (k - default), self.arith.bit_word(self._selector(table.deps, c)))
                     for c, k in table.values.items() if k != default]
            return terms, coef * default
        return [(coef, self.as_word(table))], 0

    def _terms(self, terms, const: int, grouped: bool = True):
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
                words.append((coef, self.as_word(factors[0]), self.as_word(factors[1])))
        groups = []  # [(deps, [(coef, table)])]: tables summed concretely
        for coef, v in linear:
            if isinstance(v, Linear) and not v.steps:
                inner, inner_const = v.adder if grouped else (v.terms, v.const)
                words += [(coef * k, w) for k, w in inner]
                const += coef * inner_const
                continue
            if isinstance(v, (Word, Linear, Counted)):
                words.append((coef, self.as_word(v)))
                continue
            for i, (deps, members) in enumerate(groups if grouped else []):
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
        return self._tabulate(deps, values, _term_total(terms, const, finish))

    def linear(self, terms, const: int = 0) -> Value:
        """The exact integer sum of coef * v (or coef * a * b) + const."""
        done = self._concrete(terms, const, lambda s: s)
        if done is None:
            done = self._count_sum(terms, const, lambda s: s)
        if done is not None:
            return done
        if self.rewrite:
            v = self._pure(terms, const)
            if v is not None:
                return v
        words, const = self._terms(terms, const)
        return self.arith.linear(words, const)

    def round_linear(self, terms, const: int, shift: int) -> Value:
        """R of the number format applied to (sum + const) / 2^shift."""
        fmt = self.fmt
        done = self._concrete(terms, const, lambda s: fmt.round_k(s, 1 << shift))
        if done is None:
            done = self._count_sum(terms, const, lambda s: fmt.round_k(s, 1 << shift))
        if done is not None:
            return done
        one = self._one_linear(terms, const)
        if one is not None:
            coef, v, offset = one
            rounded = self._round_step(v, coef, offset, 1 << shift)
            if rounded is not None:
                return rounded
        words, const = self._terms(terms, const)
        return self.arith.round_linear(words, const, shift, fmt)

    def at_least_one(self, terms, const: int) -> int:
        """Node: 1 iff the exact sum + const >= 1."""
        done = self._concrete(terms, const, lambda s: int(s >= 1))
        if done is None:
            done = self._count_sum(terms, const, lambda s: int(s >= 1))
        if done is not None:
            return self.as_node(done)
        one = self._one_linear(terms, const)
        if one is not None:
            coef, v, offset = one
            scaled = self._then(v, Step(lambda x: coef * x + offset, lambda w: self.arith.linear([(coef, w)], offset)))
            if isinstance(scaled, Table):
                return self.circuit.const(scaled.constant >= 1)
            return self._at_least_linear(scaled, 1)
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
                ge = [c.true] + [c.or_(*(self.as_node(self._tabulate(t.deps, [t], lambda k, v=v: int(k >= v))) for t in values))
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
        return self._apply([a, b], lambda x, y: int(x == y), lambda x, y: self.from_node(self.arith.equal(x, y)))

    def or_(self, a: Value, b: Value) -> Value:
        """a or b, for 0/1 values."""
        return self._apply([a, b], lambda x, y: x | y, lambda x, y: self.from_node(self.circuit.or_(self.as_node(x), self.as_node(y))))

    def and_not(self, a: Value, b: Value) -> Value:
        """a and not b, for 0/1 values."""
        c = self.circuit
        return self._apply([a, b], lambda x, y: x & (1 - y), lambda x, y: self.from_node(c.and_(self.as_node(x), c.not_(self.as_node(y)))))

    def lookup(self, v: Value, f, pieces=None) -> Value:
        """f(v); on a word, from f's runs on the monotone `pieces` (see lowering/arithmetic/runs.py)."""
        return self._apply([v], f, lambda w: self.arith.lookup(w, f, pieces))

    def divide(self, num: Value, den: Value, den_lo: int, lo: int, hi: int) -> Value:
        """R(num / den) (grid units), with den >= den_lo >= 1 and the result in [lo, hi]."""
        fmt = self.fmt
        if isinstance(den, Table) and den.constant is not None:
            if isinstance(num, Linear):
                rounded = self._round_step(num, 1, 0, den.constant)
                if rounded is not None:
                    return rounded
            return self._divide_constant(num, den.constant)

        def build(n, d):
            return self.arith.div_round(n, Word(d.bits, max(d.lo, den_lo), d.hi), fmt, lo, hi)

        return self._apply([num, den], lambda n, d: fmt.round_k(n, d), build)

    def _divide_constant(self, num: Value, d: int) -> Value:
        """R(num / d) for a constant d >= 1."""
        fmt = self.fmt
        return self._apply([num], lambda k: fmt.round_k(k, d), lambda w: self.arith.div_round_const(w, d, fmt))

    def nonnegative(self, v: Value) -> Value:
        """v with its proven range cut at 0, for a value the caller knows is >= 0 (a sum of
        squares, whose interval arithmetic over the products' corners dips below 0)."""
        if isinstance(v, Word) and v.lo < 0:
            return self.arith.restrict(v, 0, v.hi)
        if isinstance(v, Linear) and not v.steps and v.lo < 0:
            return dataclasses.replace(v, lo=0, base_lo=0)
        if isinstance(v, Counted) and v.lo < 0:
            return self._counted(v.form, tuple(None if k is None else max(k, 0) for k in v.values))
        return v

    def root(self, terms, const: int, k: int) -> Value:
        """R(sqrt(a) / 2^k), exactly rounded, for the exact sum a = sum + const, which the
        caller guarantees >= 0 (layer norm, spec 3.3): `Arithmetic.sqrt_round`."""
        fmt = self.fmt
        done = self._concrete(terms, const, lambda a: fmt.sqrt_k(a, 1 << k))
        if done is None:
            done = self._count_sum(terms, const, lambda a: fmt.sqrt_k(a, 1 << k))
        if done is not None:
            return done
        return self.arith.sqrt_round(self.nonnegative(self.as_word(self.linear(terms, const))), k, fmt)

    def choose(self, selectors, values) -> Value:
        """The value whose 0/1 selector is 1 (exactly one is)."""
        everything = list(selectors) + list(values)
        m = len(selectors)
        done = self._pointwise(everything, lambda *ks: sum(s * v for s, v in zip(ks[:m], ks[m:])))
        if done is not None:
            return done
        deps = self._joint(everything)
        if deps is not None:
            return self._tabulate(deps, everything, lambda *ks: sum(s * v for s, v in zip(ks[:m], ks[m:])))
        return self.arith.choose([(self.as_node(s), self.as_word(v)) for s, v in zip(selectors, values)])

    def activation(self, name: str, v: Value) -> Value:
        if isinstance(v, Counted):
            fmt = self.fmt
            return self._pointwise([v], lambda k: activation_k(name, k, fmt))
        if isinstance(v, Linear) and (name == "step" or (name in ("relu", "identity") and self._in_format(v.lo, v.hi))):
            fmt = self.fmt  # monotone: step has one breakpoint; relu and identity are S(max(k, 0)), S(k)
            return self._then(v, Step(lambda k: activation_k(name, k, fmt), lambda w: self.activation(name, w),
                                      two_valued=name == "step"))
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
        return self.lookup(v, lambda k: activation_k(name, k, fmt), activation_pieces(name, fmt))

    # -- count forms (issue 21; counts.py) ---------------------------------------

    def _counted(self, form, values) -> Value:
        """A Counted, or the constant table when it takes one value."""
        distinct = {k for k in values if k is not None}
        assert distinct, "a count form's value defined nowhere"
        if len(distinct) == 1:
            return self.const(distinct.pop())
        return Counted(form, values)

    def _pointwise(self, values, fn) -> Optional[Value]:
        """fn at every point of the one count form of the values (Counted over one form and
        constants), else None."""
        if not self.counted or not any(isinstance(v, Counted) for v in values):
            return None
        done = counts.pointwise(values, fn)
        return None if done is None else self._counted(*done)

    def _count_sum(self, terms, const: int, finish) -> Optional[Value]:
        """finish(exact sum of the terms + const) as a function of one count form: pointwise
        when the terms' values are Counted over one form and constants; else when the sum
        is a small-range linear form of bits (canonical, counts.py); else None."""
        if not self.counted:
            return None
        terms = [term for term in terms if term[0]]
        done = self._concrete(terms, const, finish)  # the terms with a coefficient are tables
        if done is not None:
            return done
        values = [v for term in terms for v in term[1:]]
        done = self._pointwise(values, _term_total(terms, const, finish))
        if done is not None or any(isinstance(v, Linear) and v.steps for v in values):
            return done  # a stepped Linear stays one (`_one_linear`): not built as a word here
        linear = self._pure(terms, const)
        if not isinstance(linear, Linear):
            return None
        bits = [(w_coef << j if j < len(w.bits) - 1 else -(w_coef << j), bit)
                for w_coef, w in linear.terms for j, bit in enumerate(w.bits)]
        found = counts.canonical(self.circuit, bits, linear.const)
        if found is None:
            return None
        form, a, b = found
        return self._counted(form, counts.tabulate(form, lambda t: finish(a * t + b)))


def _term_total(terms, const: int, finish) -> Callable:
    """finish(const + sum of c * k (a term of one value) or c * k * k' (of two)) as a
    function of the terms' values in order: what a tabulation evaluates per point."""
    coefs, arity = [term[0] for term in terms], [len(term) - 1 for term in terms]

    def total(*ks):
        s, i = const, 0
        for c, r in zip(coefs, arity):
            s += c * (ks[i] if r == 1 else ks[i] * ks[i + 1])
            i += r
        return finish(s)

    return total
