"""lowering/arithmetic/ with float formats (spec 2.1): rounding of an exact sum, of a
quotient by a constant and by a word, against the exact `FloatFormat.round_k` on every
input of small widths, in both styles and every rounding mode; formats with
subnormals, ties, saturation at MAX, and exponent ranges wider than the operands."""

import pytest
from test_arithmetic import Bench, exact
from tcverify.core.number_format import FloatFormat, paper_float
from tcverify.lowering.arithmetic import adder, threshold

STYLES = ("adder", "threshold")
ROUNDINGS = ("nearest_even", "floor", "truncate")


def formats(rounding):
    """Subnormals only (P=3 over the operand range), one binade step each, saturating at a
    small MAX, and paper_float 6."""
    return [FloatFormat(3, 0, 4, rounding), FloatFormat(1, -1, 3, rounding), FloatFormat(2, -2, 1, rounding),
            FloatFormat(2, 0, 2, rounding), paper_float(6, rounding)]


@pytest.fixture(params=["runs", "binades"])
def threshold_path(request, monkeypatch):
    """The two constructions of a float rounding by a constant: one thermometer per value of
    the format (the default on these small ranges; the adder style's division by a constant
    too) or per binade (forced by a huge value count; the adder's restoring division)."""
    if request.param == "binades":
        monkeypatch.setattr(threshold, "count_values", lambda *args: 1 << 60)
        monkeypatch.setattr(adder, "count_values", lambda *args: 1 << 60)
    return request.param


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_float_round_linear(style, rounding, threshold_path):
    b = Bench(10, style)
    a, bb, u = b.signed(4), b.signed(3), b.unsigned(3)
    av, bv, uv = b.value(a), b.value(bb), b.value(u)
    terms = [(1, a, bb), (-3, u), (2, a)]
    value = av * bv - 3 * uv + 2 * av - 3
    built, wanted = [], []
    for fmt in formats(rounding):
        for shift in range(4):
            built.append(b.ar.round_linear(terms, -3, shift, fmt))
            wanted.append((exact([value], lambda v: fmt.round_k(v, 1 << shift)), fmt, shift))
    for word, (want, fmt, shift) in zip(built, wanted):
        assert (b.value(word) == want).all(), (fmt, shift)
        assert fmt.kmin <= word.lo and word.hi <= fmt.kmax


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_float_div_round_const(style, rounding, threshold_path):
    b = Bench(7, style)
    num = b.signed(7)
    words = [num, b.ar.linear([(3, num)], 200)]
    numerators = b.values(words)
    built, wanted = [], []
    for fmt in formats(rounding):
        for word, nv in zip(words, numerators):
            for d in (1, 2, 3, 5, 6, 8, 12, 100):
                built.append(b.ar.div_round_const(word, d, fmt))
                wanted.append((exact([nv], lambda n: fmt.round_k(n, d)), fmt, d))
    for got, (want, fmt, d) in zip(b.values(built), wanted):
        assert (got == want).all(), (fmt, d)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_float_round_exact(style, rounding):
    """R of a value already in the format builds no rounding (`_round_exact`): a rounded word
    times 2^shift, and a small form all of whose sums are values; near misses (another term,
    a non-power coefficient, a sum that is not a value, a doubling past MAX) round as usual."""
    b = Bench(8, style)
    a, bit, other = b.signed(5), b.unsigned(1), b.signed(2)
    for fmt in formats(rounding):
        r = b.ar.round_linear([(1, a)], 0, 0, fmt)
        for shift in range(3):
            size = len(b.circuit.gates)
            assert b.ar.round_linear([(1 << shift, r)], 0, shift, fmt) is r
            assert len(b.circuit.gates) == size
        small = [fmt.round_k(k) for k in (-5, 3, 6)]
        cases = [([(2, r)], 0, 0), ([(1, r), (1, other)], 0, 0), ([(2, r)], 0, 1), ([(1, r)], 1, 0),
                 ([(small[1] - small[0], bit)], small[0], 0), ([(4 * (small[2] - small[0]), bit)], 4 * small[0], 2),
                 ([(5, bit)], 1, 0), ([(3, bit), (6, other)], 1, 1)]
        values = b.values([a, r, bit, other])
        wants = [exact([values[1]], lambda v: fmt.round_k(2 * v)), exact([values[1], values[3]], lambda v, o: fmt.round_k(v + o)),
                 values[1], exact([values[1]], lambda v: fmt.round_k(v + 1)),
                 exact([values[2]], lambda x: fmt.round_k((small[1] - small[0]) * x + small[0])),
                 exact([values[2]], lambda x: fmt.round_k((small[2] - small[0]) * x + small[0])),
                 exact([values[2]], lambda x: fmt.round_k(5 * x + 1)),
                 exact([values[2], values[3]], lambda x, o: fmt.round_k(3 * x + 6 * o + 1, 2))]
        built = [b.ar.round_linear(terms, const, shift, fmt) for terms, const, shift in cases]
        for word, want, case in zip(b.values(built), wants, cases):
            assert (word == want).all(), (fmt, case)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_float_div_round_const_binade_edges(style, rounding, threshold_path):
    """A quotient by a constant over an 11-bit numerator in a format of 2 significant bits
    and exponents -3..5: every binade boundary, every tie between neighbouring values, the
    subnormals and saturation at MAX = 3 * 2^8 are hit, by both constructions."""
    b = Bench(11, style)
    num = b.signed(11)
    fmt = FloatFormat(2, -3, 5, rounding)
    nv = b.value(num)
    built, wanted = [], []
    for d in (1, 3, 4, 5, 7):
        built.append(b.ar.div_round_const(num, d, fmt))
        wanted.append(exact([nv], lambda n: fmt.round_k(n, d)))
    for got, want, d in zip(b.values(built), wanted, (1, 3, 4, 5, 7)):
        assert (got == want).all(), d


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_float_round_exact_edges(style, rounding):
    """`_round_exact` on small forms at the format's edges: sums at +-MAX (values, kept),
    one past MAX (saturates), a tie between two values, the smallest subnormal."""
    b = Bench(2, style)
    x, y = b.unsigned(1), b.unsigned(1)
    fmt = FloatFormat(2, -2, 2, rounding)  # values k * 2^-2: 0..3, then 2..3 << s; MAX = 3 << 4 = 48
    spacing = 1 << 4
    cases = [([(2 * fmt.kmax, x)], fmt.kmin), ([(spacing, x), (fmt.kmax, y)], 0), ([(5, x), (1, y)], 4),
             ([(1, x)], 0), ([(fmt.kmax, x), (-1, y)], 1)]
    values = b.values([x, y])
    built = [b.ar.round_linear(terms, const, 0, fmt) for terms, const in cases]
    for word, (terms, const) in zip(b.values(built), cases):
        want = exact(values, lambda u, v: fmt.round_k(const + sum(c * z for (c, _), z in zip(terms, (u, v)))))
        assert (word == want).all(), (terms, const)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_float_div_round(style, rounding):
    """Every numerator of a signed 6-bit word over every denominator in [1, 8]: exact ties
    (odd / 2, ...) in every binade of the small formats."""
    b = Bench(9, style)
    num, d = b.signed(6), b.unsigned(3)
    den = b.ar.linear([(1, d)], 1)
    nv, dv = b.value(num), b.value(den)
    for fmt in formats(rounding):
        want = exact([nv, dv], fmt.round_k)
        word = b.ar.div_round(num, den, fmt, -32, 31)
        assert (b.value(word) == want).all(), fmt


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_float_div_round_convex_combination(style, rounding):
    """sum e_i v_i / sum e_i (softmax, average): the caller's range [min v, max v] bounds
    the exact quotient and the word's width."""
    b = Bench(10, style)
    v1, v2 = b.signed(3), b.signed(3)
    e1, e2 = (b.ar.linear([(1, b.unsigned(2))], 1) for _ in range(2))
    num = b.ar.linear([(1, e1, v1), (1, e2, v2)])
    den = b.ar.linear([(1, e1), (1, e2)])
    fmt = FloatFormat(1, -1, 1, rounding)
    word = b.ar.div_round(num, den, fmt, -4, 3)
    assert fmt.round_k(-4) <= word.lo and word.hi <= fmt.round_k(3)
    assert (b.value(word) == exact([b.value(num), b.value(den)], fmt.round_k)).all()


def _depth(circuit, node, memo):
    if node not in memo:
        gate = circuit.gates[node]
        memo[node] = 0 if not gate.inputs else 1 + max(_depth(circuit, x, memo) for x in gate.inputs)
    return memo[node]


@pytest.mark.parametrize("path", ["runs", "binades"])
def test_threshold_float_rounding_has_constant_depth(path, monkeypatch):
    """The depth of R(sum / 4) does not grow with the number of terms (once every binade is
    reachable; fewer terms fold some away)."""
    from tcverify.core.ir import GateCircuit
    from tcverify.lowering.arithmetic import Arithmetic, Word

    if path == "binades":
        monkeypatch.setattr(threshold, "count_values", lambda *args: 1 << 60)

    def depth(terms):
        circuit = GateCircuit(terms * 3, ("0", "1"))
        ar = Arithmetic(circuit, "threshold")
        words = [Word(tuple(circuit.input(3 * i + j, "1") for j in range(3)), -4, 3) for i in range(terms)]
        word = ar.round_linear([(1, w) for w in words], 0, 2, FloatFormat(2, -2, 3))
        memo = {}
        return max(_depth(circuit, n, memo) for n in word.bits)

    assert depth(8) == depth(16) == depth(32) <= 6


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_sqrt_round(style, rounding):
    """R(sqrt(a) / 2^k) for every a of an 8-bit word (and one offset by a constant), k = 0..3,
    fixed and float formats: exact squares, exact midpoints (4a = (2q + 1)^2 4^k), saturation."""
    from tcverify.core.number_format import NumberFormat

    b = Bench(8, style)
    a = b.unsigned(8)
    words = [a, b.ar.linear([(4, a)], 9)]
    values = b.values(words)
    built, wanted = [], []
    for fmt in formats(rounding)[:3] + [NumberFormat(4, 1, rounding), NumberFormat(3, 0, rounding)]:
        for word, av in zip(words, values):
            for k in range(4):
                built.append(b.ar.sqrt_round(word, k, fmt))
                wanted.append((exact([av], lambda x: fmt.sqrt_k(x, 1 << k)), fmt, k))
    for got, (want, fmt, k) in zip(b.values(built), wanted):
        assert (got == want).all(), (fmt, k)
