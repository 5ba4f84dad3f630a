"""The adder style (for SAT, fewest clauses): linear forms through a column
compressor tree, comparisons by sign or lexicographic chains, rounding by shift and
increment, division by non-restoring long division. No operation depends on the size of
a word's range: costs are polynomial in the widths (see the package docstring)."""

from __future__ import annotations

from collections import deque

from ...core.number_format import NumberFormat, isqrt, round_div
from .base import Arithmetic
from .floating import count_values, shift_range
from .runs import NON_DECREASING, runs
from .words import LinearForm, Word, naf, overflow_range, width_of


class AdderArithmetic(Arithmetic):
    style = "adder"

    def _materialize(self, form: LinearForm, lo: int, hi: int) -> Word:
        if lo == hi:
            return self.const(lo)
        return Word(tuple(self._compress(form, width_of(lo, hi))), lo, hi)

    def _compress(self, form: LinearForm, w: int) -> list:
        """The low w bits of the form: a column compressor tree (Wallace/Dadda) of full adders
        (xor + 2-of-3 threshold) and half adders, carries out of column w-1 dropped; negative
        weights as complemented bits plus a constant, by non-adjacent-form digits."""
        c = self.circuit
        cols = [deque() for _ in range(w)]
        const = form.const
        for node, weight in form.weights.items():
            for j, d in naf(weight, w):
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

    def _step_bit(self, base: int, changes: list) -> int:
        """An OR of runs ge(start) AND NOT ge(end)."""
        c = self.circuit
        runs_ = []
        start = c.true if base else None
        for node, d in changes:
            if d > 0:
                start = node
            else:
                runs_.append(c.and_(start, c.not_(node)))
                start = None
        if start is not None:
            runs_.append(start)
        return c.or_(*runs_)

    # -- comparisons ----------------------------------------------------------

    def at_least(self, terms, const: int = 0) -> int:
        """Node: 1 iff the exact sum + const >= 0: a lexicographic chain against a constant for
        one word, else the sign of the materialised sum."""
        form = self.form(terms, const)
        if form.lo >= 0:
            return self.circuit.true
        if form.hi < 0:
            return self.circuit.false
        if len(terms) == 1 and len(terms[0]) == 2:  # coef * a + const >= 0 against a constant
            coef, a = terms[0]
            if coef > 0:
                return self._ge_word(a, -(const // coef))
            return self.circuit.not_(self._ge_word(a, const // -coef + 1))
        return self.circuit.not_(self._materialize(form, form.lo, form.hi).bits[-1])

    def _ge_word(self, a: Word, p: int) -> int:
        """[a >= p]: the lexicographic chain over a's bits with the sign bit inverted (O(width)
        two-input gates)."""
        c = self.circuit
        if p <= a.lo:
            return c.true
        if p > a.hi:
            return c.false
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
        """An AND of bitwise XNORs."""
        c = self.circuit
        if a.hi < b.lo or b.hi < a.lo:
            return c.false
        w = max(len(a.bits), len(b.bits))
        return c.and_(*(c.not_(c.xor(a.bit(j), b.bit(j))) for j in range(w)))

    def maximum(self, words: list[Word]) -> Word:
        """A tournament of compare-and-select."""
        assert words
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

    # -- rounding and division ---------------------------------------------------

    def round_linear(self, terms, const: int, shift: int, fmt: NumberFormat) -> Word:
        """fmt.round_k(L, 2**shift) for the exact linear value L: the sum, a rounded shift,
        then the overflow."""
        assert shift >= 0
        form = self.form(terms, const)
        den = 1 << shift
        if fmt.is_float:
            exact = self._round_exact(form, terms, shift, fmt)
            if exact is not None:
                return exact
            return self._round_parts(*self._shift_parts(self._materialize(form, form.lo, form.hi), shift), fmt,
                                     fmt.round_k(form.lo, den), fmt.round_k(form.hi, den))
        qlo, qhi = round_div(form.lo, den, fmt.rounding), round_div(form.hi, den, fmt.rounding)
        value = self._materialize(form, form.lo, form.hi)
        return self._overflow(self._round_shift(value, shift, fmt.rounding, qlo, qhi), fmt)

    def _shift_parts(self, value: Word, shift: int, sticky=None):
        """(value + e) / 2^shift as (q, frac) for an e in [0, 1) with [e > 0] = `sticky` (no e
        if None): q = value >> shift and frac = ([f > 0], [f > 1/2], [f = 1/2]) of the dropped
        fraction f (see `_round_parts`); for shift 0 the caller gives frac itself."""
        c = self.circuit
        q = self._word([value.bit(j) for j in range(shift, max(len(value.bits), shift + 1))],
                       value.lo >> shift, value.hi >> shift)
        if shift == 0:
            return q, (c.false, c.false, c.false)
        top = value.bit(shift - 1)
        rest = c.or_(*(value.bit(j) for j in range(shift - 1)), *([sticky] if sticky is not None else []))
        return q, (c.or_(top, rest), c.and_(top, rest), c.and_(top, c.not_(rest)))

    def sqrt_round(self, a: Word, k: int, fmt) -> Word:
        """fmt.sqrt_k(a, 2^k) = R(sqrt(a) / 2^k) for a word a >= 0, exactly rounded (ties at
        exact midpoints): restoring square root, one bit of r = isqrt(a) per step (a trial
        subtraction of (2r + 2^i) 2^i from the remainder a - r^2, O(w) full adders), then
        `_round_parts` with the remainder's flags: O(w^2) in all."""
        assert a.lo >= 0, "sqrt_round needs a >= 0"
        c = self.circuit
        rlo, rhi = fmt.sqrt_k(a.lo, 1 << k), fmt.sqrt_k(a.hi, 1 << k)
        if rlo == rhi:
            return self.const(rlo)
        top = isqrt(a.hi)
        m = top.bit_length()
        rbits = [c.false] * (m + 1)
        rest = a
        for i in reversed(range(m)):
            root = Word(tuple(rbits), 0, top)  # the bits above i so far
            trial = self.linear([(1, rest), (-(2 << i), root)], -(1 << (2 * i)))
            rbits[i] = c.not_(trial.bits[-1])
            bound = min(a.hi, 2 * (top << i) + (1 << (2 * i)) - 1)
            rest = self._mux(rbits[i], trial, rest, 0, max(0, min(bound, max(trial.hi, rest.hi))))
        root = self._word(rbits, isqrt(a.lo), top)
        nonzero = c.or_(*rest.bits)
        if k == 0:  # sqrt(a) - r > 1/2 iff a >= r^2 + r + 1; never exactly 1/2
            q, frac = root, (nonzero, self.at_least([(1, rest), (-1, root)], -1), c.false)
        else:
            q, frac = self._shift_parts(root, k, nonzero)
        return self._round_parts(q, frac, fmt, rlo, rhi)

    def _round_parts(self, q: Word, frac: tuple, fmt, rlo: int, rhi: int) -> Word:
        """R(x) (then saturation) of x = q + f, 0 <= f < 1, given the word q = floor(x) and
        frac = ([f > 0], [f > 1/2], [f = 1/2]), with R(x) known to lie in [rlo, rhi]. Fixed
        point: q plus the rounding increment, then the overflow. Float (`_float_round`): in
        binade shift s, q_s = (q >> s) + increment from bit s - 1 of q, a sticky OR of the bits
        below and of [f > 0], and bit s; an O(P) incrementer per binade, O(w) OR chains in all."""
        c = self.circuit
        nonzero, above, half = frac
        sign = q.bits[-1]
        mode = fmt.rounding
        if not fmt.is_float:
            up = {"floor": c.false, "truncate": c.and_(sign, nonzero),
                  "nearest_even": c.or_(above, c.and_(half, q.bit(0)))}[mode]
            return self._overflow(self._linear_in([(1, q), (1, self.bit_word(up))], 0, q.lo, q.hi + 1), fmt)
        P = fmt.significand_bits
        sticky = [nonzero]  # sticky[j]: f > 0 or a bit of q below j
        for j in range(len(q.bits)):
            sticky.append(c.or_(sticky[-1], q.bits[j]))

        def below(j):
            return sticky[min(j, len(sticky) - 1)]

        def quotient(s):
            if s == 0:
                up = {"floor": c.false, "truncate": c.and_(sign, nonzero),
                      "nearest_even": c.or_(above, c.and_(half, q.bit(0)))}[mode]
            else:
                guard = q.bit(s - 1)
                up = {"floor": c.false, "truncate": c.and_(sign, c.or_(guard, below(s - 1))),
                      "nearest_even": c.and_(guard, c.or_(below(s - 1), q.bit(s)))}[mode]
            bits, carry = [], up  # (q >> s) + up modulo 2^(P+2): a ripple incrementer
            for j in range(P + 2):
                bits.append(c.xor(q.bit(s + j), carry))
                carry = c.and_(q.bit(s + j), carry)
            return Word(tuple(bits), -(1 << P), 1 << P)

        # leading-one detection, shared by every binade: for q >= 0, q >= 2^m iff a bit of q at m
        # or above is 1; for q < 0, r = ~q = -q - 1 >= 0 and x <= -2^m iff r >= 2^m, or
        # r = 2^m - 1 (q's bits below m all 0) and f = 0
        w = len(q.bits)
        upper, upper_r, lower = [c.false] * w, [c.false] * w, [c.false]
        for m in reversed(range(w - 1)):
            upper[m] = c.or_(q.bits[m], upper[m + 1])
            upper_r[m] = c.or_(c.not_(q.bits[m]), upper_r[m + 1])
        for m in range(w - 1):
            lower.append(c.or_(lower[-1], q.bits[m]))

        def pos(t):  # x >= B iff q >= B (B an integer)
            return c.and_(c.not_(sign), upper[min(P + t, w - 1)])

        def neg(t):
            m = P + t
            exact = c.and_(c.not_(nonzero), c.not_(lower[m])) if m <= w - 1 else c.false
            return c.and_(sign, c.or_(upper_r[min(m, w - 1)], exact))

        rlo, rhi = max(rlo, fmt.round_k(q.lo)), min(rhi, fmt.round_k(q.hi + 1))
        return self._float_round(fmt, shift_range(fmt, q.lo, q.hi), pos, neg, quotient, rlo, rhi)

    def _round_shift(self, value: Word, shift: int, mode: str, qlo: int, qhi: int) -> Word:
        """round(value / 2^shift) = (value >> shift) + increment, the increment from the dropped
        bits (and the sign, or the kept lowest bit for ties to even)."""
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
        form = self.form(terms, const)
        lo, hi = max(lo, form.lo), min(hi, form.hi)
        return self._materialize(form, lo, hi)

    def _overflow(self, q: Word, fmt: NumberFormat) -> Word:
        """fmt.overflow_k on a word: the low bits (wrap) or a clamp by two comparisons (saturate)."""
        rlo, rhi = overflow_range(q.lo, q.hi, fmt)
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
        """fmt.round_k(num, den) for den >= 1, the rounded quotient guaranteed in [lo, hi]:
        long division (`_long_divide`), then the overflow."""
        assert den.lo >= 1, "div_round needs a positive denominator"
        if fmt.is_float:
            return self._float_divide(num, den, fmt, lo, hi)
        mode = fmt.rounding
        corners = [round_div(n, d, mode) for n in (num.lo, num.hi) for d in (den.lo, den.hi)]
        qlo, qhi = max(lo, min(corners)), min(hi, max(corners))
        assert qlo <= qhi, "the quotient range given is inconsistent with the operands"
        return self._overflow(self._divide(num, den, mode, qlo, qhi), fmt)

    def _float_divide(self, num: Word, den: Word, fmt, lo: int, hi: int) -> Word:
        """R(num / den) of a float format, the exact quotient guaranteed in [lo, hi]: long
        division into floor(num / den) and the remainder r; the fraction's flags [2r > den] and
        [2r = den] from the one word 2r - den (its sign and its zero test), then `_round_parts`."""
        corners = [n // d for n in (num.lo, num.hi) for d in (den.lo, den.hi)]
        qlo, qhi = max(lo, min(corners)), min(hi, max(corners))
        assert qlo <= qhi, "the quotient range given is inconsistent with the operands"
        quotient, rest = self._long_divide(num, den, qlo, qhi)
        q = self._linear_in([(1, quotient)], qlo, qlo, qhi)
        c = self.circuit
        twice = self._linear_in([(2, rest), (-1, den)], 0, -den.hi, den.hi - 2)  # 0 <= r < den
        half = c.not_(c.or_(*twice.bits))
        above = c.and_(c.not_(twice.bits[-1]), c.not_(half))
        frac = (c.or_(*rest.bits), above, half)
        return self._round_parts(q, frac, fmt, fmt.round_k(qlo), fmt.round_k(hi))

    def _div_round_const(self, num: Word, d: int, fmt: NumberFormat, qlo: int, qhi: int) -> Word:
        """A power of two is a rounded shift (`round_linear`); any other d is long division
        by the constant word d (`_long_divide`: d's constant bits XOR a step's sign are that
        sign or its negation, so each step adds no XOR gates)."""
        if d & (d - 1) == 0:
            return self.round_linear([(1, num)], 0, d.bit_length() - 1, fmt)
        if fmt.is_float and count_values(fmt, qlo, qhi) <= width_of(num.lo, num.hi) * width_of(qlo, qhi):
            found = runs(lambda k: min(max(fmt.round_k(k, d), qlo), qhi), num.lo, num.hi, NON_DECREASING)
            return self._format_word(self._from_runs(found, lambda v: self._ge_word(num, v)), fmt)
        if fmt.is_float:
            word = self._float_divide(num, self.const(d), fmt, num.lo // d, -(-num.hi // d))
            return self._format_word(self._word(word.bits, max(word.lo, qlo), min(word.hi, qhi)), fmt)
        return self._overflow(self._divide(num, self.const(d), fmt.rounding, qlo, qhi), fmt)

    def _long_divide(self, num: Word, den: Word, base: int, qhi: int):
        """(Q, r) with num = (base + Q) * den + r, 0 <= r < den, for floor(num / den) in
        [base, qhi]: non-restoring long division of num - base * den. Step i adds
        -+2^i den to the partial remainder by its sign (den's bits XOR the sign, plus the
        carry-in), so no remainder is restored by a mux; its partial remainders are
        restoring division's trial differences, so quotient bit i is [r_i >= 0] as
        there. One final correction adds den where r_0 < 0."""
        c = self.circuit
        m = (qhi - base).bit_length()
        rest = self._linear_in([(1, num), (-base, den)], 0, 0, (qhi - base + 1) * den.hi - 1)
        qbits = [c.false] * m
        subtract = c.true
        for i in reversed(range(m)):  # r_i = r_(i+1) - 2^i den if r_(i+1) >= 0 else + 2^i den
            flipped = Word(tuple(c.xor(b, subtract) for b in den.bits), -den.hi - 1, den.hi)  # den, or -den - 1
            rest = self._linear_in([(1, rest), (1 << i, flipped), (1 << i, self.bit_word(subtract))], 0,
                                   -(den.hi << i), (den.hi << i) - 1)
            qbits[i] = subtract = c.not_(rest.bits[-1])
        if m:
            low = Word(tuple(c.and_(b, c.not_(subtract)) for b in den.bits), 0, den.hi)
            rest = self._linear_in([(1, rest), (1, low)], 0, 0, den.hi - 1)
        return self._word(qbits + [c.false], 0, qhi - base), rest

    def _divide(self, num: Word, den: Word, mode: str, qlo: int, qhi: int) -> Word:
        """Long division (`_long_divide`) of N = num - base*den >= 0 (base = qlo - 1, or qlo for floor) into
        quotient bits, then the rounding increment from the remainder."""
        c = self.circuit
        base = qlo if mode == "floor" else qlo - 1
        quotient, rest = self._long_divide(num, den, base, qhi)
        if mode == "floor":
            up = c.false
        elif mode == "truncate":
            up = c.and_(num.bits[-1], c.or_(*rest.bits))
        else:  # 2r > den, or 2r == den and the floor quotient is odd
            odd = c.xor(quotient.bits[0], c.const(base & 1))
            up = self.at_least([(2, rest), (-1, den), (1, self.bit_word(odd))], -1)
        return self._linear_in([(1, quotient), (1, self.bit_word(up))], base, qlo, qhi)
