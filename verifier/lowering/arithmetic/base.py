"""The operations both styles share: words from constants and selectors, linear
forms, thermometers, words from runs, lookups, and the dispatch of division by a
constant. `Arithmetic(circuit, style)` builds the subclass of that style."""

from __future__ import annotations

from typing import Callable, Optional

from ...core.ir import GateCircuit
from ...core.number_format import NumberFormat, round_div
from .floating import top_shift
from .runs import ENUMERATION_LIMIT, EVERY_VALUE, enumerated_runs, runs
from .words import LinearForm, Word, bit_weights, width_of

EXACT_NODES = 6  # `_round_exact` enumerates the sums of forms with at most this many nodes


class Arithmetic:
    """Builds words in `circuit`. `Arithmetic(circuit, "adder")` and
    `Arithmetic(circuit, "threshold")` return an `AdderArithmetic` or a
    `ThresholdArithmetic` (see the package docstring for what each costs)."""

    style: str = ""
    _by_style: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        Arithmetic._by_style[cls.style] = cls

    def __new__(cls, circuit: GateCircuit, style: str = "adder"):
        if cls is Arithmetic:
            if style not in Arithmetic._by_style:
                raise ValueError(f"unknown arithmetic style {style!r}")
            cls = Arithmetic._by_style[style]
        return super().__new__(cls)

    def __init__(self, circuit: GateCircuit, style: Optional[str] = None):
        assert style in (None, self.style), (style, self.style)
        self.circuit = circuit
        self._on_format = {}  # bits of a word -> the float format all its values belong to

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

    def restrict(self, word: Word, lo: int, hi: int) -> Word:
        """The word with its range cut to [lo, hi], which the caller proves holds its value."""
        return self._word(word.bits, max(lo, word.lo), min(hi, word.hi))

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
        return self._word(self._and_or_bits(live, width_of(lo, hi)), lo, hi)

    def _and_or_bits(self, live, width: int) -> list:
        """Bit j = OR over (node, word) of node AND word bit j, for j < width."""
        c = self.circuit
        return [c.or_(*(c.and_(node, word.bit(j)) for node, word in live)) for j in range(width)]

    # -- linear forms -------------------------------------------------------

    def form(self, terms, const: int = 0) -> LinearForm:
        """The exact linear form of `sum coef * a (* b) + const` over the bits of words
        (a product of two words as AND gates of bit pairs with signed weights, Baugh-Wooley;
        a square as its bits and each pair once, doubled), its range by interval arithmetic intersected with the range its bits allow."""
        c = self.circuit
        form = LinearForm(const)
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
                for node, w in bit_weights(a):
                    add(node, coef * w)
                corners = [coef * a.lo, coef * a.hi]
            elif term[1] == term[2]:  # a square: a_j a_j = a_j, and each pair j < k twice
                a = term[1]
                bits = list(bit_weights(a))
                for j, (na, wa) in enumerate(bits):
                    add(na, coef * wa * wa)
                    for nb, wb in bits[j + 1:]:
                        add(c.and_(na, nb), 2 * coef * wa * wb)
                least = 0 if a.lo <= 0 <= a.hi else min(a.lo * a.lo, a.hi * a.hi)
                corners = [coef * least, coef * max(a.lo * a.lo, a.hi * a.hi)]
            else:
                a, b = term[1], term[2]
                for na, wa in bit_weights(a):
                    for nb, wb in bit_weights(b):
                        add(c.and_(na, nb), coef * wa * wb)
                corners = [coef * x * y for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
            lo += min(corners)
            hi += max(corners)
        form.weights = {node: w for node, w in form.weights.items() if w}
        blo, bhi = form.bit_range()
        form.lo, form.hi = max(lo, blo), min(hi, bhi)
        assert form.lo <= form.hi, "empty range: the operands' ranges are inconsistent"
        return form

    def combine(self, parts, const: int = 0) -> LinearForm:
        """sum scale * form + const, for (scale, form) pairs."""
        form = LinearForm(const)
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

    def ge(self, form: LinearForm, v: int) -> int:
        """The thermometer [form >= v]: one threshold gate (decided by the range when it can be)."""
        if v <= form.lo:
            return self.circuit.true
        if v > form.hi:
            return self.circuit.false
        nodes = list(form.weights)
        return self.circuit.threshold(nodes, [form.weights[n] for n in nodes], v - form.const)

    # -- words from runs ------------------------------------------------------

    def _from_runs(self, runs_: list, ge: Callable[[int], int]) -> Word:
        """The word g(q) from the runs of g (see `runs.py`), given thermometer nodes
        ge(v) = [q >= v]. Each bit is a step function of q changing only at breakpoints;
        `_step_bit` realises it in the style's way."""
        values = [v for _, v in runs_]
        rlo, rhi = min(values), max(values)
        if rlo == rhi:
            return self.const(rlo)
        cache = {}

        def t(v):
            if v not in cache:
                cache[v] = ge(v)
            return cache[v]

        bits = []
        for j in range(width_of(rlo, rhi)):
            base = (runs_[0][1] >> j) & 1
            changes = [(t(start), 1 if (value >> j) & 1 else -1)
                       for (start, value), (_, before) in zip(runs_[1:], runs_) if ((value ^ before) >> j) & 1]
            bits.append(self._step_bit(base, changes))
        return Word(tuple(bits), rlo, rhi)

    def _step_bit(self, base: int, changes: list) -> int:
        """A 0/1 step function: `base` below the first change, then +1/-1 at each
        (thermometer, direction) of `changes` in order."""
        raise NotImplementedError

    # -- public operations ----------------------------------------------------

    def linear(self, terms, const: int = 0) -> Word:
        """The exact integer sum coef * a (+ coef * a * b) + const."""
        form = self.form(terms, const)
        return self._materialize(form, form.lo, form.hi)

    def _materialize(self, form: LinearForm, lo: int, hi: int) -> Word:
        """The word of the form's value, proven to lie in [lo, hi]."""
        raise NotImplementedError

    def lookup(self, a: Word, f: Callable[[int], int], pieces=None) -> Word:
        """f(a) for a position-local function, from the runs of f on [a.lo, a.hi]: one
        thermometer of a per breakpoint (Merrill & Sabharwal 2023, Lemma 1). With `pieces`
        (see `runs.py`; e.g. `activation_pieces`) the runs are found by bisection, f
        evaluated O(levels * log range) times; without, f is evaluated on every integer of
        the range, which must be small (ENUMERATION_LIMIT), or any size for EVERY_VALUE."""
        if pieces is None or pieces == EVERY_VALUE:
            found = enumerated_runs(f, a.lo, a.hi, ENUMERATION_LIMIT if pieces is None else None)
        else:
            found = runs(f, a.lo, a.hi, pieces)
        return self._from_runs(found, lambda v: self._ge_word(a, v))

    def _ge_word(self, a: Word, p: int) -> int:
        """[a >= p] for a constant p."""
        raise NotImplementedError

    def div_round_const(self, num: Word, d: int, fmt: NumberFormat, lo: Optional[int] = None,
                        hi: Optional[int] = None) -> Word:
        """fmt.round_k(num, d) for a constant d >= 1, the rounded quotient guaranteed (by the
        caller, optionally) in [lo, hi]: the style's `_div_round_const`."""
        assert d >= 1, "div_round_const needs a positive divisor"
        if fmt.is_float:
            qlo, qhi = fmt.round_k(num.lo, d), fmt.round_k(num.hi, d)
        else:
            qlo, qhi = round_div(num.lo, d, fmt.rounding), round_div(num.hi, d, fmt.rounding)
        qlo, qhi = max(qlo, qlo if lo is None else lo), min(qhi, qhi if hi is None else hi)
        assert qlo <= qhi, "the quotient range given is inconsistent with the operand"
        return self._div_round_const(num, d, fmt, qlo, qhi)

    def _div_round_const(self, num: Word, d: int, fmt: NumberFormat, qlo: int, qhi: int) -> Word:
        raise NotImplementedError

    # -- rounding to a float format (spec 2.1) ----------------------------------

    def _format_word(self, word: Word, fmt) -> Word:
        """`word`, noted as holding only values of the float format fmt (a result of R)."""
        self._on_format[word.bits] = fmt
        return word

    def _round_exact(self, form: LinearForm, terms, shift: int, fmt) -> Optional[Word]:
        """R(L / 2^shift) when no value needs rounding (None when that is not proven): L is
        2^shift times a word noted by `_format_word` (R(v) = v for a value v of the format,
        spec 2.1), or L has at most EXACT_NODES nodes and each of its sums, divided by
        2^shift, is a value of the format. The word of L / 2^shift, no rounding built."""
        for term in terms:
            if len(term) == 2 and term[0] == 1 << shift and self._on_format.get(term[1].bits) == fmt:
                mine = self.form([term])
                if mine.const == form.const and mine.weights == form.weights:
                    return term[1]
        if len(form.weights) > EXACT_NODES:
            return None
        sums = {form.const}
        for w in form.weights.values():
            sums |= {x + w for x in sums}
        den = 1 << shift
        if any(x % den or not fmt.is_value(x // den) for x in sums):
            return None
        if all(w % den == 0 for w in form.weights.values()) and form.const % den == 0:
            scaled = LinearForm(form.const // den, {node: w // den for node, w in form.weights.items()})
            lo, hi = scaled.bit_range()
            scaled.lo, scaled.hi = max(lo, form.lo // den), min(hi, form.hi // den)
            return self._format_word(self._materialize(scaled, scaled.lo, scaled.hi), fmt)
        return None

    def _float_round(self, fmt, shifts: tuple, pos: Callable[[int], int], neg: Callable[[int], int],
                     quotient: Callable[[int], Word], rlo: int, rhi: int) -> Word:
        """R(x) of a float format by leading-one detection, shift, round and saturate: x's
        binade shift s (`floating.py`) selects q_s = round(x / 2^s) shifted left by s. In its
        binade |q_s| <= 2^P, so the low P + 2 bits of q_s (`quotient(s)`, two's complement)
        are all it takes; in the top binade q_s = +-2^P saturates, and past it everything
        does. `pos(t)`, `neg(t)` are the nodes [x >= 2^(P+t)], [x <= -2^(P+t)] (grid units);
        `shifts` = (s0, s1) the binade shifts x can have. O(binades * P) gates besides the
        style's quotients; constant depth when theirs is."""
        if rlo == rhi:
            return self.const(rlo)
        c = self.circuit
        P, top = fmt.significand_bits, top_shift(fmt)
        s0, s1 = shifts
        regions, over, under = [], c.false, c.false
        for s in range(s0, min(s1, top) + 1):
            if s == 0:
                inside = c.and_(c.not_(pos(0)), c.not_(neg(0)))
            else:
                inside = c.or_(c.and_(pos(s - 1), c.not_(pos(s))), c.and_(neg(s - 1), c.not_(neg(s))))
            if c.const_value(inside) == 0:
                continue
            q = quotient(s)
            bits = [q.bit(j) for j in range(P + 2)]
            if s == top:  # +-2^P << top is past MAX
                up = c.and_(inside, bits[P], c.not_(bits[P + 1]))
                down = c.and_(inside, bits[P], bits[P + 1], *(c.not_(b) for b in bits[:P]))
                over, under = c.or_(over, up), c.or_(under, down)
                inside = c.and_(inside, c.not_(up), c.not_(down))
            regions.append((inside, s, bits))
        if s1 > top:
            over, under = c.or_(over, pos(top)), c.or_(under, neg(top))
        # exactly one of the regions, over and under holds: bit j is an OR of the region's bit
        # j - s (or its sign above s + P + 1) and the saturated constants' bits
        terms, extend = {}, []
        for inside, s, bits in regions:
            for i, bit in enumerate(bits):
                terms.setdefault(s + i, []).append(c.and_(inside, bit))
            extend.append((s + P + 2, c.and_(inside, bits[P + 1])))
        out = []
        for j in range(width_of(rlo, rhi)):
            ors = terms.get(j, []) + [node for start, node in extend if start <= j]
            ors += [over] * ((fmt.kmax >> j) & 1) + [under] * ((fmt.kmin >> j) & 1)
            out.append(c.or_(*ors))
        return self._format_word(self._word(out, rlo, rhi), fmt)
