"""The threshold style (for `tcverify compile`): every operation has constant depth,
independent of the number of terms and of the width (Merrill & Sabharwal 2023; Siu,
Roychowdhury & Kailath, "Discrete Neural Computation"). Thermometers [L >= v] of a
linear form are single threshold gates; a step function of L is an alternating sum
of thermometers (one more gate)."""

from __future__ import annotations

from fractions import Fraction

from ...core.number_format import NumberFormat, round_div
from .base import Arithmetic
from .floating import count_values, shift_range, step_to, values_in
from .runs import NON_DECREASING, map_runs, runs
from .words import LinearForm, Word, least_rounding_to, overflow_range, width_of


class ThresholdArithmetic(Arithmetic):
    style = "threshold"

    def _materialize(self, form: LinearForm, lo: int, hi: int) -> Word:
        """Bit j is [value mod 2^(j+1) >= 2^j]: `_mod_indicator`."""
        if lo == hi:
            return self.const(lo)
        bits = [self._mod_indicator(form, lo, hi, 1 << (j + 1), [(1 << j, 1 << (j + 1))])
                for j in range(width_of(lo, hi))]
        return Word(tuple(bits), lo, hi)

    def _mod_indicator(self, form: LinearForm, lo: int, hi: int, m: int, intervals, forced=()) -> int:
        """1 iff (value mod m) lies in the union of the disjoint [a, b) in `intervals`
        (0 <= a <= b <= m), for a value in [lo, hi]; a `forced` (node, +2 or -2) pair turns the
        result on or off when its node is 1. An alternating sum of thermometers, over the value
        itself or over its residue form mod m, whichever has fewer steps (the block-save idea
        of Siu, Roychowdhury & Kailath for iterated addition)."""
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
        nodes, weights = [node for node, _ in forced], [w for _, w in forced]
        for first, d, count in plan:
            for k in range(count):
                nodes.append(self.ge(form, first + k * m))
                weights.append(d)
        return self.circuit.threshold(nodes, weights, 1 - inside(lo))

    def _step_bit(self, base: int, changes: list) -> int:
        """One threshold gate over the thermometers at the steps, alternating signs."""
        return self.circuit.threshold([node for node, _ in changes], [d for _, d in changes], 1 - base)

    # -- comparisons ----------------------------------------------------------

    def at_least(self, terms, const: int = 0) -> int:
        """Node: 1 iff the exact sum + const >= 0: one threshold gate."""
        return self.ge(self.form(terms, const), 0)

    def _ge_word(self, a: Word, p: int) -> int:
        return self.ge(self.form([(1, a)]), p)

    def equal(self, a: Word, b: Word) -> int:
        """[a >= b] AND [b >= a]."""
        if a.hi < b.lo or b.hi < a.lo:
            return self.circuit.false
        return self.circuit.and_(self.at_least([(1, a), (-1, b)]), self.at_least([(1, b), (-1, a)]))

    def maximum(self, words: list[Word]) -> Word:
        """The word that is the first maximum, selected: its selector is an AND of one
        comparison gate per other word (> before it, >= after it), then AND-OR per bit;
        O(n^2) comparisons, depth 3."""
        assert words
        lo, hi = max(a.lo for a in words), max(a.hi for a in words)
        words = [a for a in words if a.hi >= lo]  # the others are never the maximum
        c = self.circuit
        live = []
        for i, a in enumerate(words):
            wins = [self.at_least([(1, a), (-1, b)], -1 if j < i else 0) for j, b in enumerate(words) if j != i]
            live.append((c.and_(*wins), a))
        return self._word(self._and_or_bits(live, width_of(lo, hi)), lo, hi)

    # -- rounding and division ---------------------------------------------------

    def round_linear(self, terms, const: int, shift: int, fmt: NumberFormat) -> Word:
        """fmt.round_k(L, 2**shift) for the exact linear value L: `_round_div_form`."""
        assert shift >= 0
        if fmt.is_float:
            form = self.form(terms, const)
            exact = self._round_exact(form, terms, shift, fmt)
            return exact if exact is not None else self._float_round_form(form, 1 << shift, fmt)
        return self._round_div_form(self.form(terms, const), 1 << shift, fmt)

    def _float_round_form(self, form: LinearForm, d: int, fmt, rlo=None, rhi=None) -> Word:
        """R(L / d) of a float format for the linear form L and a constant d >= 1, also
        guaranteed (by the caller) in [rlo, rhi]. With at most w_L * w_result values of the
        format in the range: one thermometer of L per value (its runs, by bisection; depth
        2). Else `_float_round`: per binade shift s the low P + 2 bits of round(L / (d 2^s))
        by `_round_div_form` modulo 2^(P+2), binades by thermometers of L (depth 6)."""
        lo, hi = fmt.round_k(form.lo, d), fmt.round_k(form.hi, d)
        rlo, rhi = max(lo, lo if rlo is None else rlo), min(hi, hi if rhi is None else rhi)
        if rlo == rhi:
            return self.const(rlo)
        if count_values(fmt, rlo, rhi) <= width_of(form.lo, form.hi) * width_of(rlo, rhi):
            found = runs(lambda L: min(max(fmt.round_k(L, d), rlo), rhi), form.lo, form.hi, NON_DECREASING)
            return self._format_word(self._from_runs(found, lambda v: self.ge(form, v)), fmt)
        P = fmt.significand_bits
        low_bits = NumberFormat(P + 2, 0, fmt.rounding, "wrap")
        c = self.circuit
        return self._float_round(fmt, shift_range(fmt, form.lo // d, form.hi // d),
                                 lambda t: self.ge(form, d << (P + t)),
                                 lambda t: c.not_(self.ge(form, 1 - (d << (P + t)))),
                                 lambda s: self._round_div_form(form, d << s, low_bits), rlo, rhi)

    def _round_div_form(self, form: LinearForm, d: int, fmt: NumberFormat, qlo=None, qhi=None) -> Word:
        """fmt.round_k(L, d) for the linear form L and a constant d >= 1, the rounded quotient
        also guaranteed (by the caller) in [qlo, qhi]. Q = floor(L'' / d) with L'' = L + d *
        [round up] (nearest_even: a function of L mod 2d) or L + (d - 1) * [L < 0] (truncate);
        bit j of Q is [L'' mod d 2^(j+1) >= d 2^j], a mod indicator of L''. Wrap keeps the low
        bits; saturation forces each bit by the two thermometers [Q > kmax] and [Q < kmin]
        inside the same gate. O(width) thermometers per bit, whatever d and the range."""
        mode = fmt.rounding
        lo, hi = round_div(form.lo, d, mode), round_div(form.hi, d, mode)
        qlo, qhi = max(lo, lo if qlo is None else qlo), min(hi, hi if qhi is None else qhi)
        rlo, rhi = overflow_range(qlo, qhi, fmt)
        if rlo == rhi:
            return self.const(rlo)
        c = self.circuit
        if d == 1 or mode == "floor":
            bias, scale = c.false, 0
        elif mode == "nearest_even":  # up iff 2r > d, or 2r == d and floor(L / d) is odd
            bias, scale = self._mod_indicator(form, form.lo, form.hi, 2 * d,
                                              [(d // 2 + 1, d), (d + (d + 1) // 2, 2 * d)]), d
        else:
            bias, scale = c.not_(self.ge(form, 0)), d - 1
        shifted = self.combine([(1, form), (scale, self.form([(1, self.bit_word(bias))]))])
        lo2, hi2 = max(shifted.lo, qlo * d), min(shifted.hi, qhi * d + d - 1)
        w = width_of(rlo, rhi)
        forced = [(), ()]  # for the value bits, for the sign bit
        if fmt.overflow == "saturate" and (rlo, rhi) != (qlo, qhi):  # then w == fmt.width
            over = self.ge(form, least_rounding_to(fmt.kmax + 1, d, mode, form.lo, form.hi))
            under = c.not_(self.ge(form, least_rounding_to(fmt.kmin, d, mode, form.lo, form.hi)))
            forced = [((over, 2), (under, -2)), ((under, 2), (over, -2))]  # kmax = 01..1, kmin = 10..0
        bits = [self._mod_indicator(shifted, lo2, hi2, d << (j + 1), [(d << j, d << (j + 1))], forced[j == w - 1])
                for j in range(w)]
        return Word(tuple(bits), rlo, rhi)

    def div_round(self, num: Word, den: Word, fmt: NumberFormat, lo: int, hi: int) -> Word:
        """fmt.round_k(num, den) for den >= 1, the rounded quotient guaranteed in [lo, hi]: one
        comparison A*num - B*den >= c per quotient level (the levels are inherent in constant
        depth), the word built from their runs."""
        assert den.lo >= 1, "div_round needs a positive denominator"
        if fmt.is_float:
            return self._float_div_round(num, den, fmt, lo, hi)
        mode = fmt.rounding
        corners = [round_div(n, d, mode) for n in (num.lo, num.hi) for d in (den.lo, den.hi)]
        qlo, qhi = max(lo, min(corners)), min(hi, max(corners))
        assert qlo <= qhi, "the quotient range given is inconsistent with the operands"
        fn, fd = self.form([(1, num)]), self.form([(1, den)])

        def ge(k):  # [round(num / den) >= k]
            if mode == "floor" or (mode == "truncate" and k >= 1):
                return self.ge(self.combine([(1, fn), (-k, fd)]), 0)
            if mode == "truncate":
                return self.ge(self.combine([(1, fn), (1 - k, fd)], -1), 0)
            return self.ge(self.combine([(2, fn), (1 - 2 * k, fd)], -(k & 1)), 0)

        return self._from_runs(_quotient_runs(qlo, qhi, fmt), ge)

    def sqrt_round(self, a: Word, k: int, fmt) -> Word:
        """fmt.sqrt_k(a, 2^k) = R(sqrt(a) / 2^k) for a word a >= 0: monotone in a, so one
        thermometer of a per value of the result (its runs, by bisection; depth 2 over a)."""
        assert a.lo >= 0, "sqrt_round needs a >= 0"
        return self.lookup(a, lambda x: fmt.sqrt_k(x, 1 << k), NON_DECREASING)

    def _float_div_round(self, num: Word, den: Word, fmt, lo: int, hi: int) -> Word:
        """R(num / den) of a float format, the exact quotient guaranteed in [lo, hi]: one
        comparison num * b_den - b_num * den >= 0 (or >= 1) per value v of the format in the
        range, where R steps up to v at b (`floating.step_to`); the word from their runs."""
        corners = [Fraction(n, d) for n in (num.lo, num.hi) for d in (den.lo, den.hi)]
        xlo, xhi = max(Fraction(lo), min(corners)), min(Fraction(hi), max(corners))
        assert xlo <= xhi, "the quotient range given is inconsistent with the operands"
        levels = values_in(fmt, fmt.round_k(xlo.numerator, xlo.denominator), fmt.round_k(xhi.numerator, xhi.denominator))
        fn, fd = self.form([(1, num)]), self.form([(1, den)])
        previous = dict(zip(levels[1:], levels))

        def ge(v):  # [R(num / den) >= v]
            b, closed = step_to(fmt, previous[v], v)
            return self.ge(self.combine([(b.denominator, fn), (-b.numerator, fd)]), 0 if closed else 1)

        return self._format_word(self._from_runs([(v, v) for v in levels], ge), fmt)

    def _div_round_const(self, num: Word, d: int, fmt: NumberFormat, qlo: int, qhi: int) -> Word:
        """With at most w_num * w_quotient levels, one thermometer of num per level (depth 2 over
        num), its breakpoints found by bisection; with more, `_round_div_form` (O(width)
        thermometers per bit, depth 4 over num)."""
        if fmt.is_float:
            return self._float_round_form(self.form([(1, num)]), d, fmt, qlo, qhi)
        rlo, rhi = overflow_range(qlo, qhi, fmt)
        levels = (rhi - rlo if fmt.overflow == "saturate" else qhi - qlo) + 1
        if levels > width_of(num.lo, num.hi) * width_of(rlo, rhi):
            return self._round_div_form(self.form([(1, num)]), d, fmt, qlo, qhi)
        mode = fmt.rounding
        quotient = runs(lambda n: min(max(round_div(n, d, mode), qlo), qhi), num.lo, num.hi, NON_DECREASING)
        return self._from_runs(map_runs(quotient, fmt.overflow_k), lambda v: self._ge_word(num, v))


def _quotient_runs(qlo: int, qhi: int, fmt: NumberFormat) -> list:
    """The runs of fmt.overflow_k over the quotients [qlo, qhi], as thermometer levels of the
    quotient: each integer of the format's range between them starts a run."""
    if fmt.overflow == "wrap":
        return [(q, fmt.overflow_k(q)) for q in range(qlo, qhi + 1)]
    first, last = max(qlo, fmt.kmin), min(qhi, fmt.kmax)
    return [(qlo, fmt.overflow_k(qlo))] + [(q, q) for q in range(first + 1, last + 1)]
