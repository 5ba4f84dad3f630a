"""Exact integer arithmetic on words of IR bits (the fixed-point numbers of spec
section 2, carried as grid indices k).

A `Word` is a tuple of IR nodes in two's complement, least significant first,
with a proven integer range `[lo, hi]`. Every result's range is derived by exact
interval arithmetic (intersected with the range its bits allow) and the result
is given exactly `width_of(lo, hi)` bits, so narrow values cost few clauses. A
range relies on the caller's guarantees (one-hot selectors, `div_round`'s
quotient range); under them it is never wrong.

Every operation first flattens its operands into one *linear form*
`const + sum w_i x_i` over IR bits (products of two words become AND gates of
bit pairs, Baugh-Wooley style with signed weights). Two styles then realise it:

- `"adder"` (for SAT, fewest clauses): a column compressor tree of full and half
  adders (Wallace/Dadda; a full adder is `xor` + a 2-of-3 `threshold`) over the
  weighted bits, negative weights via complemented bits plus a constant
  (non-adjacent-form digits), computed modulo 2^width; comparisons as
  subtract-and-sign (or an O(width) lexicographic chain against a constant);
  rounding as shift plus a rounding increment; restoring long division.
- `"threshold"` (for `compile`): constant depth, independent of the number of
  terms and of the width. Thermometer gates `[L >= v]` are single threshold
  gates over the form; any function of L that is a step function is an
  alternating sum of thermometers (one more threshold gate). Bit j of an
  iterated sum uses the residue form `L mod 2^(j+1)` when that has fewer steps
  (the block-save idea of Siu, Roychowdhury & Kailath, "Discrete Neural
  Computation", ch. on iterated addition). Rounding and saturation are monotone,
  so their thermometers are thresholds of L at shifted boundaries; lookups are
  position-local functions as depth-2 circuits (Merrill & Sabharwal 2023,
  Lemma 1).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Callable

from ..lowering.ir import GateCircuit
from ..semantics.number_format import NumberFormat, round_div

STYLES = ("adder", "threshold")


def width_of(lo: int, hi: int) -> int:
    """The smallest two's complement width holding every integer of [lo, hi]."""
    w = 1
    while lo < -(1 << (w - 1)) or hi > (1 << (w - 1)) - 1:
        w += 1
    return w


@dataclass(frozen=True)
class Word:
    bits: tuple  # IR nodes, least significant first, two's complement
    lo: int  # proven lower bound of the integer
    hi: int  # proven upper bound

    def __post_init__(self):
        assert len(self.bits) >= 1 and self.lo <= self.hi, (self.bits, self.lo, self.hi)

    @property
    def width(self) -> int:
        return width_of(self.lo, self.hi)

    def bit(self, j: int) -> int:
        """Bit j of the (sign-extended) representation."""
        return self.bits[min(j, len(self.bits) - 1)]


class _Form:
    """`const + sum weights[node] * node` over non-constant IR nodes, with a proven range."""

    __slots__ = ("const", "weights", "lo", "hi")

    def __init__(self, const=0, weights=None, lo=None, hi=None):
        self.const = const
        self.weights = dict(weights or {})
        self.lo, self.hi = lo, hi

    def bit_range(self):
        return (self.const + sum(w for w in self.weights.values() if w < 0),
                self.const + sum(w for w in self.weights.values() if w > 0))

    def residue(self, m: int) -> "_Form":
        """A form congruent to this one modulo m, with symmetric residues (smallest range)."""
        weights = {}
        for node, w in self.weights.items():
            r = w % m
            if 2 * r > m:
                r -= m
            if r:
                weights[node] = r
        form = _Form(self.const % m, weights)
        form.lo, form.hi = form.bit_range()
        return form


def _naf(value: int, width: int):
    """(position, +-1) digits of the non-adjacent form of `value` taken modulo 2^width."""
    m = 1 << width
    r = value % m
    if 2 * r >= m:
        r -= m
    j = 0
    while r and j < width:
        if r & 1:
            d = 2 - (r % 4)
            yield j, d
            r -= d
        r >>= 1
        j += 1


class Arithmetic:
    """Builds words in `circuit`; see the module docstring for the two styles."""

    def __init__(self, circuit: GateCircuit, style: str = "adder"):
        if style not in STYLES:
            raise ValueError(f"unknown arithmetic style {style!r}")
        self.circuit = circuit
        self.style = style

    # -- words --------------------------------------------------------------

    def const(self, k: int) -> Word:
        return Word(tuple(self.circuit.const((k >> j) & 1) for j in range(width_of(k, k))), k, k)

    def bit_word(self, node: int) -> Word:
        """The 0/1 value of one node as a word."""
        value = self.circuit.const_value(node)
        if value is not None:
            return self.const(value)
        return Word((node, self.circuit.false), 0, 1)

    def _word(self, bits, lo: int, hi: int) -> Word:
        """A word from any representation `bits` (of at least its width, or sign-extendable)
        of a value proven to lie in [lo, hi]."""
        assert lo <= hi, (lo, hi)
        if lo == hi:
            return self.const(lo)
        w = width_of(lo, hi)
        bits = tuple(bits)
        bits = bits + (bits[-1],) * (w - len(bits))
        return Word(bits[:w], lo, hi)

    def select(self, choices: list[tuple[int, int]], default: int = 0) -> Word:
        """k of the one selector that is 1 (the caller guarantees at most one), else `default`:
        an OR of selectors per bit."""
        c = self.circuit
        live = [(node, k) for node, k in choices if c.const_value(node) != 0]
        none = c.not_(c.or_(*(node for node, _ in live)))
        values = [k for _, k in live] + ([default] if c.const_value(none) != 0 else [])
        lo, hi = min(values), max(values)
        bits = []
        for j in range(width_of(lo, hi)):
            ors = [node for node, k in live if (k >> j) & 1]
            if (default >> j) & 1:
                ors.append(none)
            bits.append(c.or_(*ors))
        return self._word(bits, lo, hi)

    def choose(self, choices: list[tuple[int, Word]]) -> Word:
        """sum of [node] * word (the caller guarantees at most one node is 1; 0 if none):
        AND-OR per bit."""
        c = self.circuit
        live = [(node, word) for node, word in choices if c.const_value(node) != 0]
        none = c.not_(c.or_(*(node for node, _ in live)))
        los = [word.lo for _, word in live] + ([0] if c.const_value(none) != 0 else [])
        his = [word.hi for _, word in live] + ([0] if c.const_value(none) != 0 else [])
        lo, hi = min(los), max(his)
        bits = [c.or_(*(c.and_(node, word.bit(j)) for node, word in live)) for j in range(width_of(lo, hi))]
        return self._word(bits, lo, hi)

    # -- linear forms -------------------------------------------------------

    def _form(self, terms, const: int = 0) -> _Form:
        """The exact linear form of `sum coef * a (* b) + const`, its range by interval arithmetic."""
        c = self.circuit
        form = _Form(const)
        lo = hi = const

        def add(node, w):
            value = c.const_value(node)
            if value is not None:
                form.const += w * value
                return
            gate = c.gates[node]
            if gate.op == "not":
                form.const += w
                node, w = gate.inputs[0], -w
            form.weights[node] = form.weights.get(node, 0) + w

        for term in terms:
            coef = term[0]
            if coef == 0:
                continue
            if len(term) == 2:
                a = term[1]
                for node, w in _bit_weights(a):
                    add(node, coef * w)
                corners = [coef * a.lo, coef * a.hi]
            else:
                a, b = term[1], term[2]
                for na, wa in _bit_weights(a):
                    for nb, wb in _bit_weights(b):
                        add(c.and_(na, nb), coef * wa * wb)
                corners = [coef * x * y for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
            lo += min(corners)
            hi += max(corners)
        form.weights = {node: w for node, w in form.weights.items() if w}
        blo, bhi = form.bit_range()
        form.lo, form.hi = max(lo, blo), min(hi, bhi)
        assert form.lo <= form.hi, "empty range: the operands' ranges are inconsistent"
        return form

    def _combine(self, parts, const: int = 0) -> _Form:
        """sum scale * form + const, for (scale, form) pairs."""
        form = _Form(const)
        lo = hi = const
        for scale, part in parts:
            form.const += scale * part.const
            for node, w in part.weights.items():
                form.weights[node] = form.weights.get(node, 0) + scale * w
            lo += min(scale * part.lo, scale * part.hi)
            hi += max(scale * part.lo, scale * part.hi)
        form.weights = {node: w for node, w in form.weights.items() if w}
        blo, bhi = form.bit_range()
        form.lo, form.hi = max(lo, blo), min(hi, bhi)
        return form

    def _ge(self, form: _Form, v: int) -> int:
        """Thermometer gate [form >= v]: one threshold gate (decided by the range when it can be)."""
        if v <= form.lo:
            return self.circuit.true
        if v > form.hi:
            return self.circuit.false
        nodes = list(form.weights)
        return self.circuit.threshold(nodes, [form.weights[n] for n in nodes], v - form.const)

    def _materialize(self, form: _Form, lo: int, hi: int) -> Word:
        """The word of the form's value, proven to lie in [lo, hi]."""
        if lo == hi:
            return self.const(lo)
        w = width_of(lo, hi)
        if self.style == "adder":
            bits = self._compress(form, w)
        else:
            bits = [self._mod_indicator(form, lo, hi, 1 << (j + 1), [(1 << j, 1 << (j + 1))]) for j in range(w)]
        return Word(tuple(bits), lo, hi)

    def _compress(self, form: _Form, w: int) -> list:
        """The low w bits of the form: a column compressor tree (Wallace/Dadda) of full adders
        (xor + 2-of-3 threshold) and half adders, carries out of column w-1 dropped."""
        c = self.circuit
        cols = [deque() for _ in range(w)]
        const = form.const
        for node, weight in form.weights.items():
            for j, d in _naf(weight, w):
                if d > 0:
                    cols[j].append(node)
                else:
                    cols[j].append(c.not_(node))
                    const -= 1 << j
        for j in range(w):
            if (const >> j) & 1:
                cols[j].appendleft(c.true)
        bits = []
        for j in range(w):
            col = cols[j]
            while len(col) > 1:
                if j == w - 1:
                    group = [col.popleft() for _ in range(min(3, len(col)))]
                    col.append(c.xor(*group))
                elif len(col) >= 3:
                    a, b, d = col.popleft(), col.popleft(), col.popleft()
                    col.append(c.xor(a, b, d))
                    cols[j + 1].append(self._majority(a, b, d))
                else:
                    a, b = col.popleft(), col.popleft()
                    col.append(c.xor(a, b))
                    cols[j + 1].append(c.and_(a, b))
            bits.append(col[0] if col else c.false)
        return bits

    def _majority(self, a: int, b: int, d: int) -> int:
        """The carry of a full adder: a 2-of-3 threshold gate, or an OR/AND when one input is
        constant (the IR folds constants into thresholds but would keep negated inputs as
        signed weights, not as an OR)."""
        c = self.circuit
        for x, y, z in ((a, b, d), (b, a, d), (d, a, b)):
            value = c.const_value(x)
            if value is not None:
                return c.or_(y, z) if value else c.and_(y, z)
        return c.threshold([a, b, d], [1, 1, 1], 2)

    def _mod_indicator(self, form: _Form, lo: int, hi: int, m: int, intervals) -> int:
        """Threshold style: 1 iff (value mod m) lies in the union of the disjoint [a, b) in
        `intervals` (0 <= a <= b <= m), for a value in [lo, hi]. An alternating sum of
        thermometers, over the value itself or over its residue form mod m, whichever
        has fewer steps."""
        jumps = {}
        for a, b in intervals:
            if a < b:
                jumps[a % m] = jumps.get(a % m, 0) + 1
                jumps[b % m] = jumps.get(b % m, 0) - 1
        jumps = {r: d for r, d in jumps.items() if d}

        def inside(v):
            return any(a <= v % m < b for a, b in intervals)

        def firsts(start, stop):  # first point > start of each jump residue, and the count up to stop
            out = []
            for r, d in jumps.items():
                first = start + 1 + (r - start - 1) % m
                if first <= stop:
                    out.append((first, d, (stop - first) // m + 1))
            return out

        residue = form.residue(m)
        plan_direct = firsts(lo, hi)
        plan_residue = firsts(residue.lo, residue.hi)
        if sum(n for *_, n in plan_residue) < sum(n for *_, n in plan_direct):
            form, lo, hi, plan = residue, residue.lo, residue.hi, plan_residue
        else:
            plan = plan_direct
        nodes, weights = [], []
        for first, d, count in plan:
            for k in range(count):
                nodes.append(self._ge(form, first + k * m))
                weights.append(d)
        return self.circuit.threshold(nodes, weights, 1 - inside(lo))

    def _from_thermometer(self, lo: int, hi: int, ge: Callable[[int], int], g: Callable[[int], int]) -> Word:
        """The word g(q) for q in [lo, hi], given thermometer nodes ge(v) = [q >= v].
        Each bit is a step function of q: in the threshold style one threshold gate over the
        thermometers at its steps (alternating signs); in the adder style an OR of runs
        ge(start) AND NOT ge(end)."""
        c = self.circuit
        values = [g(q) for q in range(lo, hi + 1)]
        rlo, rhi = min(values), max(values)
        if rlo == rhi:
            return self.const(rlo)
        steps = [q for q in range(lo + 1, hi + 1) if values[q - lo] != values[q - lo - 1]]
        cache = {}

        def t(v):
            if v not in cache:
                cache[v] = ge(v)
            return cache[v]

        bits = []
        for j in range(width_of(rlo, rhi)):
            base = (values[0] >> j) & 1
            changes = [(q, 1 if (values[q - lo] >> j) & 1 else -1) for q in steps
                       if ((values[q - lo] ^ values[q - lo - 1]) >> j) & 1]
            if self.style == "threshold":
                bits.append(c.threshold([t(q) for q, _ in changes], [d for _, d in changes], 1 - base))
                continue
            runs = []
            start = c.true if base else None
            for q, d in changes:
                if d > 0:
                    start = t(q)
                else:
                    runs.append(c.and_(start, c.not_(t(q))))
                    start = None
            if start is not None:
                runs.append(start)
            bits.append(c.or_(*runs))
        return Word(tuple(bits), rlo, rhi)

    # -- public operations ----------------------------------------------------

    def linear(self, terms, const: int = 0) -> Word:
        """The exact integer sum coef * a (+ coef * a * b) + const."""
        form = self._form(terms, const)
        return self._materialize(form, form.lo, form.hi)

    def at_least(self, terms, const: int = 0) -> int:
        """Node: 1 iff the exact sum + const >= 0."""
        form = self._form(terms, const)
        if form.lo >= 0:
            return self.circuit.true
        if form.hi < 0:
            return self.circuit.false
        if self.style == "threshold":
            return self._ge(form, 0)
        if len(terms) == 1 and len(terms[0]) == 2:  # coef * a + const >= 0 against a constant
            coef, a = terms[0]
            if coef > 0:
                return self._ge_word(a, -(const // coef))
            return self.circuit.not_(self._ge_word(a, const // -coef + 1))
        return self.circuit.not_(self._materialize(form, form.lo, form.hi).bits[-1])

    def _ge_word(self, a: Word, p: int) -> int:
        """[a >= p] for a constant p. Adder: the lexicographic chain over a's bits with the sign
        bit inverted (O(width) two-input gates); threshold: one threshold gate."""
        c = self.circuit
        if p <= a.lo:
            return c.true
        if p > a.hi:
            return c.false
        if self.style == "threshold":
            return self._ge(self._form([(1, a)]), p)
        w = len(a.bits)
        if p > (1 << (w - 1)) - 1:  # beyond what the bits can hold
            return c.false
        if p <= -(1 << (w - 1)):
            return c.true
        p_unsigned = p + (1 << (w - 1))  # compare a + 2^(w-1), whose bits are a's with the sign flipped
        g = c.true
        for j in range(w):
            x = c.not_(a.bits[j]) if j == w - 1 else a.bits[j]
            g = c.and_(x, g) if (p_unsigned >> j) & 1 else c.or_(x, g)
        return g

    def equal(self, a: Word, b: Word) -> int:
        c = self.circuit
        if a.hi < b.lo or b.hi < a.lo:
            return c.false
        if self.style == "threshold":
            return c.and_(self.at_least([(1, a), (-1, b)]), self.at_least([(1, b), (-1, a)]))
        w = max(len(a.bits), len(b.bits))
        return c.and_(*(c.not_(c.xor(a.bit(j), b.bit(j))) for j in range(w)))

    def maximum(self, words: list[Word]) -> Word:
        """Adder: a tournament of compare-and-select; threshold: [max >= v] = OR_i [a_i >= v]."""
        assert words
        if self.style == "threshold":
            lo, hi = max(a.lo for a in words), max(a.hi for a in words)
            return self._from_thermometer(lo, hi, lambda v: self.circuit.or_(*(self._ge_word(a, v) for a in words)),
                                          lambda q: q)
        words = list(words)
        while len(words) > 1:
            paired = []
            for a, b in zip(words[::2], words[1::2]):
                if a.lo >= b.hi:
                    paired.append(a)
                elif b.lo >= a.hi:
                    paired.append(b)
                else:
                    first = self.at_least([(1, a), (-1, b)])
                    paired.append(self._mux(first, a, b, max(a.lo, b.lo), max(a.hi, b.hi)))
            if len(words) % 2:
                paired.append(words[-1])
            words = paired
        return words[0]

    def _mux(self, select: int, if_one: Word, if_zero: Word, lo: int, hi: int) -> Word:
        """if_one if select else if_zero, a value proven to lie in [lo, hi]."""
        c = self.circuit
        bits = [c.mux(select, if_one.bit(j), if_zero.bit(j)) for j in range(width_of(lo, hi))]
        return self._word(bits, lo, hi)

    def lookup(self, a: Word, f: Callable[[int], int]) -> Word:
        """f(a) for a position-local function: thermometers of a at f's breakpoints only
        (Merrill & Sabharwal 2023, Lemma 1). f is evaluated on every integer of [a.lo, a.hi]."""
        return self._from_thermometer(a.lo, a.hi, lambda v: self._ge_word(a, v), lambda q: int(f(q)))

    # -- rounding -------------------------------------------------------------

    def round_linear(self, terms, const: int, shift: int, fmt: NumberFormat) -> Word:
        """fmt.round_k(L, 2**shift) for the exact linear value L."""
        assert shift >= 0
        form = self._form(terms, const)
        den = 1 << shift
        qlo, qhi = round_div(form.lo, den, fmt.rounding), round_div(form.hi, den, fmt.rounding)
        if self.style == "adder":
            value = self._materialize(form, form.lo, form.hi)
            return self._overflow(self._round_shift(value, shift, fmt.rounding, qlo, qhi), fmt)
        rlo, rhi = _overflow_range(qlo, qhi, fmt)
        if rlo == rhi:
            return self.const(rlo)
        if fmt.overflow == "saturate" and (rlo, rhi) != (qlo, qhi):
            # saturation is monotone: [R(L) >= v] = [L >= least L that rounds to >= v]
            def ge(v):
                return self._ge(form, _least_rounding_to(v, den, fmt.rounding, form.lo, form.hi))
            return self._from_thermometer(rlo, rhi, ge, lambda q: q)
        # Q = floor(L'' / 2^shift) with L'' = L + 2^shift * [round up] (nearest_even: a periodic
        # function of L) or L + (2^shift - 1) * [L < 0] (truncate); wrap keeps the low bits of Q.
        c = self.circuit
        if shift == 0 or fmt.rounding == "floor":
            bias, scale = c.false, 0
        elif fmt.rounding == "nearest_even":
            half = den // 2
            bias, scale = self._mod_indicator(form, form.lo, form.hi, 2 * den,
                                              [(half + 1, den), (den + half, 2 * den)]), den
        else:
            bias, scale = c.not_(self._ge(form, 0)), den - 1
        shifted = self._combine([(1, form), (scale, self._form([(1, self.bit_word(bias))]))])
        lo2, hi2 = max(shifted.lo, qlo * den), min(shifted.hi, qhi * den + den - 1)
        bits = [self._mod_indicator(shifted, lo2, hi2, 1 << (j + shift + 1), [(1 << (j + shift), 1 << (j + shift + 1))])
                for j in range(width_of(rlo, rhi))]
        return Word(tuple(bits), rlo, rhi)

    def _round_shift(self, value: Word, shift: int, mode: str, qlo: int, qhi: int) -> Word:
        """Adder style: round(value / 2^shift) = (value >> shift) + increment, the increment from
        the dropped bits (and the sign, or the kept lowest bit for ties to even)."""
        if shift == 0:
            return value
        c = self.circuit
        floor_word = self._word([value.bit(j) for j in range(shift, max(len(value.bits), shift + 1))],
                                value.lo >> shift, value.hi >> shift)
        if mode == "floor":
            return floor_word
        dropped = [value.bit(j) for j in range(shift)]
        if mode == "truncate":
            up = c.and_(value.bits[-1], c.or_(*dropped))
        else:
            up = c.and_(dropped[-1], c.or_(*dropped[:-1], value.bit(shift)))
        return self._linear_in([(1, floor_word), (1, self.bit_word(up))], 0, qlo, qhi)

    def _linear_in(self, terms, const: int, lo: int, hi: int) -> Word:
        """linear() for a value also proven (by the caller) to lie in [lo, hi]."""
        form = self._form(terms, const)
        lo, hi = max(lo, form.lo), min(hi, form.hi)
        return self._materialize(form, lo, hi)

    def _overflow(self, q: Word, fmt: NumberFormat) -> Word:
        """fmt.overflow_k on a word: the low bits (wrap) or a clamp by two comparisons (saturate)."""
        rlo, rhi = _overflow_range(q.lo, q.hi, fmt)
        if (rlo, rhi) == (q.lo, q.hi):
            return q
        if fmt.overflow == "wrap":
            return self._word([q.bit(j) for j in range(fmt.width)], rlo, rhi)
        c = self.circuit
        over = self._ge_word(q, fmt.kmax + 1)
        under = c.not_(self._ge_word(q, fmt.kmin))
        # a clamp reaches kmin or kmax, so the result has fmt.width bits: kmax's are 0111..,
        # kmin's 1000..
        bits = [c.or_(c.and_(q.bit(j), c.not_(under)), over) for j in range(fmt.width - 1)]
        bits.append(c.or_(c.and_(q.bit(fmt.width - 1), c.not_(over)), under))
        return self._word(bits, rlo, rhi)

    def div_round(self, num: Word, den: Word, fmt: NumberFormat, lo: int, hi: int) -> Word:
        """fmt.round_k(num, den) for den >= 1, the rounded quotient guaranteed in [lo, hi].
        Adder: restoring long division; threshold: one comparison A*num - B*den >= c per
        candidate quotient."""
        assert den.lo >= 1, "div_round needs a positive denominator"
        mode = fmt.rounding
        corners = [round_div(n, d, mode) for n in (num.lo, num.hi) for d in (den.lo, den.hi)]
        qlo, qhi = max(lo, min(corners)), min(hi, max(corners))
        assert qlo <= qhi, "the quotient range given is inconsistent with the operands"
        if self.style == "threshold":
            fn, fd = self._form([(1, num)]), self._form([(1, den)])

            def ge(k):  # [round(num / den) >= k]
                if mode == "floor" or (mode == "truncate" and k >= 1):
                    return self._ge(self._combine([(1, fn), (-k, fd)]), 0)
                if mode == "truncate":
                    return self._ge(self._combine([(1, fn), (1 - k, fd)], -1), 0)
                return self._ge(self._combine([(2, fn), (1 - 2 * k, fd)], -(k & 1)), 0)

            return self._from_thermometer(qlo, qhi, ge, fmt.overflow_k)
        return self._overflow(self._divide(num, den, mode, qlo, qhi), fmt)

    def _divide(self, num: Word, den: Word, mode: str, qlo: int, qhi: int) -> Word:
        """Adder style: restoring division of N = num - base*den >= 0 (base = qlo - 1, or qlo for
        floor) into quotient bits, then the rounding increment from the remainder."""
        c = self.circuit
        base = qlo if mode == "floor" else qlo - 1
        m = (qhi - base).bit_length()
        rest = self._linear_in([(1, num), (-base, den)], 0, 0, (qhi - base + 1) * den.hi - 1)
        qbits = [c.false] * m
        for i in reversed(range(m)):
            trial = self.linear([(1, rest), (-(1 << i), den)])
            qbits[i] = c.not_(trial.bits[-1])
            rest = self._mux(qbits[i], trial, rest, max(min(trial.lo, rest.lo), 0),
                             min(max(trial.hi, rest.hi), (1 << i) * den.hi - 1))
        quotient = self._word(qbits + [c.false], 0, qhi - base)
        if mode == "floor":
            up = c.false
        elif mode == "truncate":
            up = c.and_(num.bits[-1], c.or_(*rest.bits))
        else:  # 2r > den, or 2r == den and the floor quotient is odd
            odd = c.xor(quotient.bits[0], c.const(base & 1))
            up = self.at_least([(2, rest), (-1, den), (1, self.bit_word(odd))], -1)
        return self._linear_in([(1, quotient), (1, self.bit_word(up))], base, qlo, qhi)


def _bit_weights(a: Word):
    w = len(a.bits)
    for j, node in enumerate(a.bits):
        yield node, (-(1 << j) if j == w - 1 else 1 << j)


def _overflow_range(lo: int, hi: int, fmt: NumberFormat):
    """The range of fmt.overflow_k over [lo, hi] (the hull, for wrap)."""
    if fmt.kmin <= lo and hi <= fmt.kmax:
        return lo, hi
    if fmt.overflow == "saturate":
        return fmt.overflow_k(lo), fmt.overflow_k(hi)
    a, b = fmt.overflow_k(lo), fmt.overflow_k(hi)
    if hi - lo < (1 << fmt.width) and a <= b:
        return a, b
    return fmt.kmin, fmt.kmax


def _least_rounding_to(v: int, den: int, mode: str, lo: int, hi: int) -> int:
    """The least L in [lo, hi + 1] with round_div(L, den, mode) >= v (rounding is monotone)."""
    a, b = lo, hi + 1
    while a < b:
        mid = (a + b) // 2
        if round_div(mid, den, mode) >= v:
            b = mid
        else:
            a = mid + 1
    return a
