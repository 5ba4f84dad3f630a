"""lowering/arithmetic/: every primitive against exact integer arithmetic on all
inputs (operands of free IR bits), in both styles, every rounding and overflow mode;
proven ranges contain every value; the threshold style has constant depth."""

import functools
import itertools
import random

import numpy as np
import pytest
from tcverify.lowering.arithmetic import ENUMERATION_LIMIT, EVERY_VALUE, NON_DECREASING, SOFTMAX_X_PIECES, AdderArithmetic, Arithmetic, ThresholdArithmetic, Word, activation_pieces, naf, naf_digits, runs, width_of
from tcverify.core.ir import GateCircuit
from tcverify.semantics.activations import activation_k, softmax_x
from tcverify.core.number_format import NumberFormat, round_div

STYLES = ("adder", "threshold")
ROUNDINGS = ("nearest_even", "floor", "truncate")
OVERFLOWS = ("saturate", "wrap")


class Bench:
    """A GateCircuit whose inputs x[i]['1'] are free bits, evaluated on all 2^n assignments."""

    def __init__(self, n, style):
        self.circuit = GateCircuit(n, ("0", "1"))
        self.ar = Arithmetic(self.circuit, style)
        self.free = [self.circuit.input(i, "1") for i in range(n)]
        self.used = 0
        assignments = (np.arange(1 << n)[:, None] >> np.arange(n)[None, :]) & 1
        self.onehot = np.stack([1 - assignments, assignments], axis=2)

    def signed(self, w):
        bits = tuple(self.free[self.used:self.used + w])
        self.used += w
        return Word(bits, -(1 << (w - 1)), (1 << (w - 1)) - 1)

    def unsigned(self, w):
        bits = tuple(self.free[self.used:self.used + w]) + (self.circuit.false,)
        self.used += w
        return Word(bits, 0, (1 << w) - 1)

    def nodes(self, nodes):
        return self.circuit.evaluate(self.onehot, list(nodes)).astype(int)

    def value(self, word):
        """The integer of `word` on every assignment; checks it lies in the proven range and
        that the word has exactly the width of its range."""
        return self.values([word])[0]

    def values(self, words):
        """`value` of several words, evaluating the circuit once."""
        bits = self.circuit.evaluate(self.onehot, [node for word in words for node in word.bits]).astype(object)
        out, at = [], 0
        for word in words:
            w = len(word.bits)
            got = sum(bits[:, at + j] * (1 << j) for j in range(w - 1)) - bits[:, at + w - 1] * (1 << (w - 1))
            at += w
            assert w == width_of(word.lo, word.hi)
            assert word.lo <= min(got) and max(got) <= word.hi, (word.lo, word.hi, min(got), max(got))
            out.append(np.array(got, dtype=object))
        return out


def exact(values, f):
    return np.array([f(*args) for args in zip(*values)], dtype=object)


# -- const, select, choose --------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_const(style):
    b = Bench(1, style)
    for k in range(-9, 10):
        word = b.ar.const(k)
        assert (b.value(word) == k).all()
        assert all(b.circuit.const_value(node) is not None for node in word.bits)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("default", [0, -3, 5, -8, 9])
def test_select_over_one_hot_symbols(style, default):
    alphabet = ("a", "b", "c", "d")
    circuit = GateCircuit(2, alphabet)
    ar = Arithmetic(circuit, style)
    table = {"a": -5, "b": 3, "c": 6}  # 'd' selects nothing: the default
    first = ar.select([(circuit.input(0, s), k) for s, k in table.items()], default)
    pair = ar.select([(circuit.and_(circuit.input(0, s), circuit.input(1, t)), 10 * k + len(t))
                      for s, k in table.items() for t in alphabet[:2]], default)
    words = list(itertools.product(range(4), repeat=2))
    onehot = np.zeros((len(words), 2, 4), dtype=int)
    for row, word in enumerate(words):
        for i, s in enumerate(word):
            onehot[row, i, s] = 1
    for built, want in [(first, [table.get(alphabet[w[0]], default) for w in words]),
                        (pair, [10 * table[alphabet[w[0]]] + len(alphabet[w[1]])
                                if alphabet[w[0]] in table and w[1] < 2 else default for w in words])]:
        bits = circuit.evaluate(onehot, list(built.bits)).astype(int)
        n = len(built.bits)
        got = [sum(int(r[j]) << j for j in range(n - 1)) - (int(r[n - 1]) << (n - 1)) for r in bits]
        assert got == want
        assert built.lo == min(want) and built.hi == max(want) and n == built.width


@pytest.mark.parametrize("style", STYLES)
def test_choose(style):
    b = Bench(8, style)
    x, y = b.signed(3), b.unsigned(3)
    s, t = b.free[6], b.free[7]
    c = b.circuit
    # selectors: s&t, s&~t, neither when ~s
    word = b.ar.choose([(c.and_(s, t), x), (c.and_(s, c.not_(t)), y)])
    xv, yv, sv, tv = b.value(x), b.value(y), b.nodes([s])[:, 0], b.nodes([t])[:, 0]
    want = exact([xv, yv, sv, tv], lambda xv, yv, sv, tv: (xv if tv else yv) if sv else 0)
    assert (b.value(word) == want).all()
    assert (word.lo, word.hi) == (-4, 7)
    # exactly one selector: 0 is not in the range
    word = b.ar.choose([(s, b.ar.linear([(1, y)], 2)), (c.not_(s), b.ar.linear([(1, y)], 3))])
    assert (b.value(word) == exact([yv, sv], lambda yv, sv: yv + (2 if sv else 3))).all()
    assert (word.lo, word.hi) == (2, 10)
    # one possible selector: 0 when it is off
    word = b.ar.choose([(c.and_(s, t), b.ar.linear([(1, y)], 2))])
    assert (b.value(word) == exact([yv, sv, tv], lambda yv, sv, tv: yv + 2 if sv and tv else 0)).all()
    assert (word.lo, word.hi) == (0, 9)


def test_naf_digits():
    """Non-adjacent form modulo 2^w: the digits reconstruct the value and no two are adjacent
    (15 is 16 - 1: two digits, so two bits in the compressor tree instead of four)."""
    assert sorted(naf(15, 8)) == [(0, -1), (4, 1)]
    for w in (1, 3, 6):
        for v in range(-70, 70):
            digits = list(naf(v, w))
            assert sum(d << j for j, d in digits) % (1 << w) == v % (1 << w)
            positions = [j for j, _ in digits]
            assert all(j < w for j in positions) and all(b - a >= 2 for a, b in zip(positions, positions[1:]))


def test_naf_digit_count():
    """naf_digits counts the nonzero digits of k's non-adjacent form, the same for -k."""
    assert [naf_digits(k) for k in (0, 1, 2, 3, 7, 15, 21, -15, 1 << 40)] == [0, 1, 1, 2, 2, 2, 3, 2, 1]
    for k in range(-300, 300):
        digits = list(naf(k, abs(k).bit_length() + 1))
        assert sum(d << j for j, d in digits) == k and naf_digits(k) == len(digits)


def test_factory_builds_one_class_per_style():
    circuit = GateCircuit(1, ("0", "1"))
    assert type(Arithmetic(circuit, "adder")) is AdderArithmetic
    assert type(Arithmetic(circuit)) is AdderArithmetic
    assert type(Arithmetic(circuit, "threshold")) is ThresholdArithmetic
    assert type(ThresholdArithmetic(circuit)) is ThresholdArithmetic
    with pytest.raises(ValueError):
        Arithmetic(circuit, "ripple")


# -- linear, at_least, equal ---------------------------------------------------------


LINEAR_CASES = [
    # (terms builder, exact function, const)
    ("signed sum", lambda a, b, u: [(3, a), (-5, b), (1, u)], lambda a, b, u: 3 * a - 5 * b + u, 0),
    ("negative coefficients", lambda a, b, u: [(-7, a), (-1, u), (-4, b)], lambda a, b, u: -7 * a - u - 4 * b, 11),
    ("signed products", lambda a, b, u: [(1, a, b), (-3, b, u), (2, a)], lambda a, b, u: a * b - 3 * b * u + 2 * a, -6),
    ("square", lambda a, b, u: [(1, a, a), (-1, u, u)], lambda a, b, u: a * a - u * u, 0),
    ("one word", lambda a, b, u: [(1, a)], lambda a, b, u: a, 0),
    ("repeated word", lambda a, b, u: [(2, a), (-2, a), (1, b)], lambda a, b, u: b, 1),
]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("name,terms,f,const", LINEAR_CASES, ids=[c[0] for c in LINEAR_CASES])
def test_linear_and_at_least(style, name, terms, f, const):
    b = Bench(11, style)
    a, bb, u = b.signed(4), b.signed(3), b.unsigned(4)
    av, bv, uv = b.value(a), b.value(bb), b.value(u)
    want = exact([av, bv, uv], f) + const
    word = b.ar.linear(terms(a, bb, u), const)
    assert (b.value(word) == want).all()
    for shift in (-3, 0, 5, -int(want.max()), -int(want.min())):
        got = b.nodes([b.ar.at_least(terms(a, bb, u), const + shift)])[:, 0]
        assert (got == (want + shift >= 0)).all()


@pytest.mark.parametrize("style", STYLES)
def test_at_least_single_word(style):
    b = Bench(5, style)
    a = b.signed(5)
    av = b.value(a)
    for coef in (1, 3, -1, -4):
        for const in range(-20, 21, 3):
            got = b.nodes([b.ar.at_least([(coef, a)], const)])[:, 0]
            assert (got == (coef * av + const >= 0)).all(), (coef, const)


@pytest.mark.parametrize("style", STYLES)
def test_equal(style):
    b = Bench(8, style)
    a, u = b.signed(4), b.unsigned(4)
    av, uv = b.value(a), b.value(u)
    shifted = b.ar.linear([(1, u)], -6)  # [-6, 9], a different width from a
    cases = [(a, u, av == uv), (a, shifted, av == uv - 6), (shifted, b.ar.const(2), uv - 6 == 2),
             (a, b.ar.const(12), av == 12)]
    for x, y, want in cases:
        assert (b.nodes([b.ar.equal(x, y)])[:, 0] == want).all()


# -- round_linear -------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("overflow", OVERFLOWS)
@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_round_linear(style, rounding, overflow):
    b = Bench(10, style)
    a, bb, u = b.signed(4), b.signed(3), b.unsigned(3)
    av, bv, uv = b.value(a), b.value(bb), b.value(u)
    terms = [(1, a, bb), (-3, u), (2, a)]
    value = av * bv - 3 * uv + 2 * av - 3
    for fmt_bits in [(3, 0), (2, 2), (6, 0)]:  # overflowing and not
        fmt = NumberFormat(*fmt_bits, rounding, overflow)
        for shift in range(4):
            word = b.ar.round_linear(terms, -3, shift, fmt)
            want = exact([value], lambda v: fmt.round_k(v, 1 << shift))
            assert (b.value(word) == want).all(), (fmt, shift)
            assert fmt.kmin <= word.lo and word.hi <= fmt.kmax


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_round_linear_ranges_are_tight(style, rounding):
    """A result that provably fits gets the narrowest width: [0, 7] / 2^shift."""
    b = Bench(3, style)
    u = b.unsigned(3)
    for overflow in OVERFLOWS:
        fmt = NumberFormat(8, 0, rounding, overflow)
        for shift in range(4):
            word = b.ar.round_linear([(1, u)], 0, shift, fmt)
            assert (word.lo, word.hi) == (0, round_div(7, 1 << shift, rounding))
            assert (b.value(word) == exact([b.value(u)], lambda v: round_div(v, 1 << shift, rounding))).all()


# -- div_round ----------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("overflow", OVERFLOWS)
@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_div_round(style, rounding, overflow):
    b = Bench(8, style)
    num, d = b.signed(5), b.unsigned(3)
    den = b.ar.linear([(1, d)], 1)  # every den in [1, 8]; with odd num: exact ties at even den
    nv, dv = b.value(num), b.value(den)
    for fmt_bits in [(3, 0), (6, 0)]:
        fmt = NumberFormat(*fmt_bits, rounding, overflow)
        want = exact([nv, dv], fmt.round_k)
        for lo, hi in [(-16, 16), (-40, 40)]:
            word = b.ar.div_round(num, den, fmt, lo, hi)
            assert (b.value(word) == want).all(), (fmt, lo, hi)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_div_round_convex_combination(style, rounding):
    """sum e_i v_i / sum e_i with e_i >= 1 lies in [min v, max v]: the caller's range."""
    b = Bench(10, style)
    v1, v2 = b.signed(3), b.signed(3)
    e1, e2 = (b.ar.linear([(1, b.unsigned(2))], 1) for _ in range(2))
    num = b.ar.linear([(1, e1, v1), (1, e2, v2)])
    den = b.ar.linear([(1, e1), (1, e2)])
    fmt = NumberFormat(3, 0, rounding, "saturate")
    word = b.ar.div_round(num, den, fmt, -4, 3)
    assert (word.lo, word.hi) == (-4, 3)
    assert (b.value(word) == exact([b.value(num), b.value(den)], fmt.round_k)).all()


@pytest.mark.parametrize("style", STYLES)
def test_div_round_needs_positive_den(style):
    b = Bench(6, style)
    num, den = b.signed(3), b.unsigned(3)
    with pytest.raises(AssertionError):
        b.ar.div_round(num, den, NumberFormat(4, 0), -4, 4)


# -- maximum, lookup ----------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_maximum(style):
    b = Bench(12, style)
    words = [b.signed(3), b.unsigned(3), b.signed(3), b.unsigned(2)]
    words[3] = b.ar.linear([(1, words[3])], -2)  # [-2, 1]
    values = [b.value(w) for w in words]
    for count in (1, 2, 3, 4):
        word = b.ar.maximum(words[:count])
        assert (b.value(word) == exact(values[:count], lambda *v: max(v))).all()
    dominated = b.ar.maximum([b.ar.linear([(1, words[1])], 10), words[0]])  # decided by the ranges
    assert (b.value(dominated) == values[1] + 10).all()


def exp_table(frac):
    """The softmax X table: e^(d / 2^frac) on the 2^-frac grid, nearest even, for d <= 0."""
    import math
    from fractions import Fraction
    fmt = NumberFormat(2, frac)
    return lambda d: fmt.R(Fraction(math.exp(d / (1 << frac)))) if d <= 0 else 1 << frac


LOOKUPS = [
    ("relu", lambda v: max(0, v)),
    ("step", lambda v: 1 if v > 0 else 0),
    ("clipped", lambda v: max(-3, min(5, 2 * v + 1))),
    ("exp", exp_table(3)),
    ("parity", lambda v: v % 2),
    ("constant", lambda v: 4),
]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("name,f", LOOKUPS, ids=[n for n, _ in LOOKUPS])
def test_lookup(style, name, f):
    b = Bench(7, style)
    a = b.signed(6)
    shifted = b.ar.linear([(1, b.unsigned(1))], -9)  # a narrow word [-9, -8]
    for word in (a, shifted, b.ar.linear([(1, a)], -20)):
        got = b.ar.lookup(word, f)
        assert (b.value(got) == exact([b.value(word)], f)).all()


@pytest.mark.parametrize("style", STYLES)
def test_loose_declared_range(style):
    """A word may declare a range wider than its bits hold; results stay exact."""
    b = Bench(3, style)
    a = b.signed(3)
    loose = Word(a.bits, -9, 9)
    av = b.value(a)
    got = b.ar.lookup(loose, lambda v: min(max(v, -6), 6) * 2)
    assert (b.value(got) == 2 * av).all()
    for p in range(-10, 11):
        assert (b.nodes([b.ar.at_least([(1, loose)], -p)])[:, 0] == (av >= p)).all()
        assert (b.nodes([b.ar.at_least([(-2, loose)], p)])[:, 0] == (p - 2 * av >= 0)).all()


@pytest.mark.parametrize("style", STYLES)
def test_lookup_cost_follows_breakpoints(style):
    """A step over a 12-bit word costs one comparison, not the size of the range."""
    b = Bench(12, style)
    a = b.signed(12)
    step = b.ar.lookup(a, lambda v: 1 if v > 100 else 0)
    cone = [n for n in b.circuit.cone(step.bits) if b.circuit.gates[n].op not in ("input", "const")]
    assert len(cone) <= (1 if style == "threshold" else 24)
    assert (b.value(step) == (b.value(a) > 100)).all()


# -- composition (both styles agree with exact arithmetic) ---------------------------


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("seed", range(3))
def test_random_compositions(style, seed):
    """Chains of operations on intermediate words, whose proven ranges are narrower than their
    representations could be; each result is checked against exact arithmetic."""
    rng = random.Random(seed)
    b = Bench(9, style)
    words = [b.signed(3), b.unsigned(3), b.signed(3)]
    values = [b.value(w) for w in words]
    for _ in range(6):
        fmt = NumberFormat(rng.randint(2, 4), rng.randint(0, 2), rng.choice(ROUNDINGS), rng.choice(OVERFLOWS))
        op = rng.choice(["linear", "round", "max", "lookup", "div"])
        i, j = rng.sample(range(len(words)), 2)
        x, y, xv, yv = words[i], words[j], values[i], values[j]
        ci, cj, k = rng.randint(-3, 3), rng.randint(-3, 3), rng.randint(-5, 5)
        if op == "linear":
            word, want = b.ar.linear([(ci, x), (cj, x, y)], k), ci * xv + cj * xv * yv + k
        elif op == "round":
            shift = rng.randint(0, 3)
            word = b.ar.round_linear([(ci, x), (cj, x, y)], k, shift, fmt)
            want = exact([ci * xv + cj * xv * yv + k], lambda v: fmt.round_k(v, 1 << shift))
        elif op == "max":
            word, want = b.ar.maximum([x, y]), exact([xv, yv], lambda p, q: max(p, q))
        elif op == "lookup":
            word, want = b.ar.lookup(x, lambda v: (v * v) // 3 - 2), exact([xv], lambda v: (v * v) // 3 - 2)
        else:
            den = b.ar.linear([(1, b.ar.maximum([y, b.ar.const(0)]))], 1)
            corners = [round_div(n, d, fmt.rounding) for n in (x.lo, x.hi) for d in (den.lo, den.hi)]
            word = b.ar.div_round(x, den, fmt, min(corners), max(corners))
            want = exact([xv, np.maximum(yv, 0) + 1], fmt.round_k)
        got = b.value(word)
        assert (got == want).all(), (op, fmt)
        if word.hi - word.lo <= 300:
            words.append(word)
            values.append(got)


# -- constant depth (threshold style) ------------------------------------------------


def depth_of(circuit, word_or_node):
    nodes = word_or_node.bits if isinstance(word_or_node, Word) else [word_or_node]
    depths = circuit.depths()
    return max(depths[n] for n in nodes)


def build(op, terms_count, width, fmt=None):
    n = 2 * terms_count * width + 2
    circuit = GateCircuit(n, ("0", "1"))
    ar = Arithmetic(circuit, "threshold")
    free = [circuit.input(i, "1") for i in range(n)]
    words = [Word(tuple(free[k * width:(k + 1) * width]), -(1 << (width - 1)), (1 << (width - 1)) - 1)
             for k in range(2 * terms_count)]
    pairs = [(3 - 2 * (k % 3), words[2 * k], words[2 * k + 1]) for k in range(terms_count)]
    singles = [(k - 2, words[k]) for k in range(terms_count)]
    if op == "linear":
        result = ar.linear(singles, 5)
    elif op == "linear products":
        result = ar.linear(pairs, -1)
    elif op == "round_linear":
        result = ar.round_linear(pairs + singles, 3, 2, fmt)
    elif op == "at_least":
        result = ar.at_least(pairs, 1)
    elif op == "maximum":
        result = ar.maximum(words[:terms_count])
    elif op == "equal":
        result = ar.equal(ar.linear(singles), ar.linear(pairs))
    elif op == "choose":
        result = ar.choose([(circuit.and_(free[-1], free[k]), words[k]) for k in range(terms_count)])
    elif op == "div_round":
        den = Word(tuple(free[-2:]) + (circuit.false,), 1, 3)
        result = ar.div_round(ar.linear(singles), den, fmt, -64 * terms_count, 64 * terms_count)
    elif op == "lookup":
        result = ar.lookup(ar.linear(singles), lambda v: max(0, v) // 3)
    else:
        raise AssertionError(op)
    return depth_of(circuit, result)


@pytest.mark.parametrize("op", ["linear", "linear products", "at_least", "maximum", "equal", "choose"])
def test_threshold_depth_is_constant(op):
    assert build(op, 3, 3) == build(op, 16, 3) == build(op, 3, 6)  # 3 words: the maximum of 2 needs no AND


@pytest.mark.parametrize("fmt", [NumberFormat(3, 1, r, o) for r in ROUNDINGS for o in OVERFLOWS]
                         + [NumberFormat(9, 0, r, "wrap") for r in ROUNDINGS], ids=str)
@pytest.mark.parametrize("op", ["round_linear", "div_round", "lookup"])
def test_threshold_depth_is_constant_with_rounding(op, fmt):
    # the lookup/div_round operand is itself a sum of 2 or 6 terms (depth 2)
    small, large = (2, 6) if op != "round_linear" else (2, 16)
    assert build(op, small, 3, fmt) == build(op, large, 3, fmt)
    assert build(op, small, 3, fmt) <= 6


# -- CNF of the words -------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_cnf_agrees_with_evaluation(style):
    from tcverify.encodings import cnf
    from pysat.formula import IDPool
    from pysat.solvers import Solver

    b = Bench(9, style)
    a, u, s = b.signed(3), b.unsigned(3), b.signed(3)
    fmt = NumberFormat(3, 1, "nearest_even", "saturate")
    words = [b.ar.round_linear([(2, a, u), (-1, s)], 1, 2, fmt),
             b.ar.div_round(b.ar.linear([(1, a, s)]), b.ar.linear([(1, u)], 1), fmt, -16, 16),
             b.ar.lookup(b.ar.maximum([a, s]), lambda v: v * v),
             b.ar.div_round_const(b.ar.linear([(1, a, u), (1, s)]), 3, fmt),
             b.ar.lookup(b.ar.linear([(2, a), (-1, s)]), functools.partial(activation_k, "gelu", fmt=fmt),
                         activation_pieces("gelu", fmt))]
    roots = [n for w in words for n in w.bits if b.circuit.const_value(n) is None] + b.free
    encoding = cnf.encode(b.circuit, roots, IDPool(), cnf.EncodingOptions())
    expected = [b.value(w) for w in words]
    rng = random.Random(1)
    for row in rng.sample(range(1 << 9), 24):
        assumptions = [encoding.lit(x) if (row >> i) & 1 else -encoding.lit(x) for i, x in enumerate(b.free)]
        with Solver(name="cadical195", bootstrap_with=encoding.clauses) as solver:
            assert solver.solve(assumptions=assumptions)
            model = set(solver.get_model())
        for word, want in zip(words, expected):
            bits = [b.circuit.const_value(n) if b.circuit.const_value(n) is not None else int(encoding.lit(n) in model)
                    for n in word.bits]
            w = len(bits)
            value = sum(bit << j for j, bit in enumerate(bits[:-1])) - (bits[-1] << (w - 1))
            assert value == want[row]


# -- division by a constant -----------------------------------------------------------


DIVISORS = (1, 2, 3, 4, 5, 7, 8, 12, 16, 100, 255)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("overflow", OVERFLOWS)
@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_div_round_const(style, rounding, overflow):
    """Every numerator of a signed 7-bit word and of a positive shifted one (ties at every
    even divisor), divisors 1, powers of two, odd and large, a format that overflows and one
    that does not, with and without the caller's quotient range."""
    b = Bench(7, style)
    num = b.signed(7)
    words = [num, b.ar.linear([(3, num)], 200)]  # [-64, 63] and [8, 389]
    numerators = b.values(words)
    built, wanted = [], []
    for fmt_bits in [(3, 0), (9, 0)]:
        fmt = NumberFormat(*fmt_bits, rounding, overflow)
        for word, nv in zip(words, numerators):
            for d in DIVISORS:
                want = exact([nv], lambda n: fmt.round_k(n, d))
                qlo, qhi = round_div(word.lo, d, rounding), round_div(word.hi, d, rounding)
                built += [b.ar.div_round_const(word, d, fmt), b.ar.div_round_const(word, d, fmt, qlo - 3, qhi + 3)]
                wanted += [(want, fmt, d)] * 2
    for got, (want, fmt, d) in zip(b.values(built), wanted):
        assert (got == want).all(), (fmt, d)


def test_div_round_const_by_a_power_of_two_is_a_shift():
    b = Bench(8, "adder")
    num = b.signed(8)
    fmt = NumberFormat(8, 0)
    shifted = b.ar.div_round_const(num, 4, fmt)
    assert shifted == b.ar.round_linear([(1, num)], 0, 2, fmt)


def sample(circuit, free, rows):
    """One-hot inputs of the given assignments (integers over the free bits)."""
    assignments = (np.array(rows, dtype=object)[:, None] >> np.arange(len(free))[None, :]) & 1
    assignments = assignments.astype(int)
    return np.stack([1 - assignments, assignments], axis=2)


def sampled_value(circuit, onehot, word):
    bits = circuit.evaluate(onehot, list(word.bits)).astype(object)
    w = len(word.bits)
    return sum(bits[:, j] * (1 << j) for j in range(w - 1)) - bits[:, w - 1] * (1 << (w - 1))


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("d", [3, 7, 1000])
def test_div_round_const_cost_grows_with_bits(style, d):
    """A 24-bit numerator divided by a constant: no gate per value of the numerator (2^24),
    and the result is exact on sampled numerators including the extremes."""
    n = 24
    circuit = GateCircuit(n, ("0", "1"))
    ar = Arithmetic(circuit, style)
    free = [circuit.input(i, "1") for i in range(n)]
    num = Word(tuple(free), -(1 << (n - 1)), (1 << (n - 1)) - 1)
    fmt = NumberFormat(16, 0, "nearest_even", "saturate")  # the quotient overflows 16 bits for d < 128
    quotient = ar.div_round_const(num, d, fmt)
    cone = [g for g in circuit.cone(quotient.bits) if circuit.gates[g].op not in ("input", "const")]
    bound = 40 * n * n
    assert len(cone) <= bound, (len(cone), bound)
    rng = random.Random(d)
    rows = [0, (1 << n) - 1, 1 << (n - 1), (1 << (n - 1)) - 1] + [rng.getrandbits(n) for _ in range(200)]
    values = [r - (1 << n) if r >> (n - 1) else r for r in rows]
    got = sampled_value(circuit, sample(circuit, free, rows), quotient)
    assert list(got) == [fmt.round_k(v, d) for v in values]


# -- lookups from runs ------------------------------------------------------------------


ACTIVATIONS = ("identity", "relu", "step", "sigmoid", "tanh", "gelu", "gelu_new", "exp")


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("fmt", [NumberFormat(3, 3, r, o) for r in ROUNDINGS for o in OVERFLOWS]
                         + [NumberFormat(1, 5, "nearest_even", "wrap"), NumberFormat(2, 4, "floor", "saturate")], ids=str)
def test_lookup_of_every_activation_by_runs(style, fmt):
    """Each activation on every grid value of a small format and on a word twice as wide
    (inputs outside the format, where wrapping breaks monotonicity), its runs found by
    bisection on `activation_pieces`."""
    b = Bench(fmt.width + 1, style)
    a = b.signed(fmt.width)
    wide = b.ar.linear([(1, a), (1 << (fmt.width - 1), b.unsigned(1))])
    words = [a, wide]
    built, wanted = [], []
    for word, av in zip(words, b.values(words)):
        for name in ACTIVATIONS:
            f = functools.partial(activation_k, name, fmt=fmt)
            built.append(b.ar.lookup(word, lambda k: f(k), activation_pieces(name, fmt)))
            wanted.append((exact([av], f), name, word.lo, word.hi))
    for got, (want, *where) in zip(b.values(built), wanted):
        assert (got == want).all(), where


def test_activation_pieces_declare_monotone_functions():
    """Where pieces are declared, the activation is monotone that way on every grid value of
    a 16-bit and two 12-bit formats (the float64 activations as computed, rounded), and
    gelu's split is its minimum on the grid; exp under wrap has no pieces."""
    assert activation_pieces("relu", NumberFormat(2, 2, "floor", "wrap")) == ((None, -9, 0), (-8, 7, 1), (8, None, 0))
    for fmt, names in [(NumberFormat(8, 8), ("sigmoid", "tanh", "gelu", "gelu_new")),
                       (NumberFormat(3, 9, "floor"), ("sigmoid", "tanh", "gelu", "gelu_new", "exp", "step")),
                       (NumberFormat(5, 7, "truncate", "wrap"), ("sigmoid", "tanh", "gelu", "gelu_new", "exp", "step"))]:
        grid = range(fmt.kmin, fmt.kmax + 1)
        for name in names:
            pieces = activation_pieces(name, fmt)
            if pieces == EVERY_VALUE:
                assert name == "exp" and fmt.overflow == "wrap"
                continue
            values = {k: activation_k(name, k, fmt) for k in grid}
            for first, last, direction in pieces:
                if direction == 0:
                    continue
                ks = [k for k in grid if (first is None or k >= first) and (last is None or k <= last)]
                assert all(direction * (values[q] - values[p]) >= 0 for p, q in zip(ks, ks[1:])), (name, fmt)
            if name in ("gelu", "gelu_new"):
                split = next(last for _, last, direction in pieces if direction == -1)
                assert values[split] == min(values.values()) or values[split + 1] == min(values.values())


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("frac,exp_frac", [(3, 2), (3, 5), (0, 4)])
def test_lookup_softmax_x_by_runs(style, frac, exp_frac):
    """X(min(d, 0)) of softmax on every difference of a 7-bit word, positive ones included."""
    b = Bench(7, style)
    d = b.signed(7)

    def x(k):
        return softmax_x(min(k, 0), frac, exp_frac)

    got = b.ar.lookup(d, x, SOFTMAX_X_PIECES)
    assert (b.value(got) == exact([b.value(d)], x)).all()


@pytest.mark.parametrize("style", STYLES)
def test_lookup_by_runs_calls_f_per_level_not_per_value(style):
    """Sigmoid and X on a 24-bit word: f is evaluated O(levels * width) times, not 2^24, and
    the lookup is exact on sampled values including the extremes."""
    n = 24
    circuit = GateCircuit(n, ("0", "1"))
    ar = Arithmetic(circuit, style)
    free = [circuit.input(i, "1") for i in range(n)]
    word = Word(tuple(free), -(1 << (n - 1)), (1 << (n - 1)) - 1)
    fmt = NumberFormat(8, 16)
    rng = random.Random(5)
    rows = [0, (1 << n) - 1, 1 << (n - 1), (1 << (n - 1)) - 1] + [rng.getrandbits(n) for _ in range(100)]
    values = [r - (1 << n) if r >> (n - 1) else r for r in rows]
    onehot = sample(circuit, free, rows)
    fmt_x = NumberFormat(2, 6)  # X on a 2^-6 grid from 16 fractional bits: 65 levels
    for f, pieces in [(lambda k: activation_k("sigmoid", k, NumberFormat(2, 6)), activation_pieces("sigmoid", fmt)),
                      (lambda k: softmax_x(min(k, 0), 16, fmt_x.frac_bits), SOFTMAX_X_PIECES)]:
        calls = []

        def counted(k):
            calls.append(k)
            return f(k)

        got = ar.lookup(word, counted, pieces)
        levels = len(runs(f, word.lo, word.hi, pieces))
        assert levels <= 65 and len(calls) <= 2 * levels * (n + 1), (levels, len(calls))
        assert list(sampled_value(circuit, onehot, got)) == [f(v) for v in values]


def test_lookup_needs_declared_pieces_on_a_large_range():
    b = Bench(1, "adder")
    wide = Word((b.free[0],) * 17, -(1 << 16), (1 << 16) - 1)
    assert wide.hi - wide.lo >= ENUMERATION_LIMIT
    with pytest.raises(AssertionError, match="monotone pieces"):
        b.ar.lookup(wide, lambda v: v % 3)
    b.ar.lookup(wide, lambda v: min(max(v, 0), 9), NON_DECREASING)
    assert len(b.ar.lookup(wide, lambda v: v % 3, EVERY_VALUE).bits) == 3  # asked for: every value


@pytest.mark.parametrize("pieces", [NON_DECREASING, ((None, 0, 1), (2, None, 1))],
                         ids=["wrong direction", "gap"])
def test_lookup_rejects_wrong_pieces(pieces):
    b = Bench(6, "adder")
    a = b.signed(6)
    with pytest.raises(AssertionError):
        b.ar.lookup(a, lambda v: -v, pieces)


def test_runs_of_a_non_monotone_function_by_pieces():
    """A function monotone on declared pieces (down then up, like gelu; anything on a piece of
    direction 0): runs by bisection equal the runs read off every value."""
    def f(v):
        return abs(v - 5) // 3 if v < 30 else v % 4

    found = runs(f, -40, 40, ((None, 5, -1), (6, 29, 1), (30, None, 0)))
    values = [f(v) for v in range(-40, 41)]
    want = [(v, values[v + 40]) for v in range(-40, 41) if v == -40 or values[v + 40] != values[v + 39]]
    assert found == want
