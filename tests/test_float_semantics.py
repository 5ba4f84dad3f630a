"""The exact semantics of float formats (spec 2.1) and layer norm (spec 3.3) against
independent references written from the spec's words: R as rounding into the set
of the format's values (enumerated), the square root and e^delta decided with
Fractions and high-precision decimals, layer norm in Fractions; and the edge cases
(ties, saturation, subnormals, softmax underflow, roots at exact midpoints, s = 0,
floor against truncate on negatives)."""

import bisect
import math
import random
from decimal import Decimal, localcontext
from fractions import Fraction as Fr

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from random_models import random_float_format
from tcverify.core.models import LayerNorm, Transformer, Readout
from tcverify.core.number_format import FloatFormat, NumberFormat, paper_float, round_sqrt_div
from tcverify.kinds.transformer.batch import Runner
from tcverify.kinds.transformer.evaluate import layer_norm
from tcverify.semantics.activations import softmax_k, softmax_x_float

MODES = ("nearest_even", "floor", "truncate")


# -- references ----------------------------------------------------------------------


def values_of(fmt: FloatFormat) -> list:
    """Every value of the format, sorted: +-m * 2^e (spec 2.1's definition)."""
    found = {Fr(0)}
    for e in range(fmt.exponent_min, fmt.exponent_max + 1):
        for m in range(1, 1 << fmt.significand_bits):
            found |= {Fr(m) * Fr(2) ** e, -Fr(m) * Fr(2) ** e}
    return sorted(found)


def spacing_exponent(fmt: FloatFormat, x: Fr) -> int:
    """e(x) = max(exponent_min, floor(log2 |x|) - P + 1), by comparisons."""
    x, L = abs(x), 0
    while Fr(2) ** L > x:
        L -= 1
    while Fr(2) ** (L + 1) <= x:
        L += 1
    return max(fmt.exponent_min, L - fmt.significand_bits + 1)


def reference_R(fmt: FloatFormat, values: list, x: Fr) -> Fr:
    """R(x): clamp to [-MAX, MAX] (saturation), then the neighbour in the set of
    values that the rounding mode picks; a tie goes to the even multiple of 2^e(x)."""
    top = values[-1]
    x = min(max(x, -top), top)
    i = bisect.bisect_left(values, x)
    above = values[i]
    below = above if above == x else values[i - 1]
    if below == above:
        return x
    if fmt.rounding == "floor" or fmt.rounding == "truncate" and x > 0:
        return below
    if fmt.rounding == "truncate":
        return above
    if x - below != above - x:
        return below if x - below < above - x else above
    unit = Fr(2) ** spacing_exponent(fmt, x)
    return below if (below / unit) % 2 == 0 else above


FORMATS = [FloatFormat(p, low, high, mode) for p, low, high in ((1, -3, 2), (2, -2, 1), (3, -4, 2), (4, -3, 0))
           for mode in MODES] + [paper_float(6), paper_float(8, "floor")]


@pytest.mark.parametrize("fmt", FORMATS, ids=str)
def test_R_against_the_set_of_values(fmt):
    values = values_of(fmt)
    assert fmt.kmax == values[-1] * fmt.scale and all(fmt.is_value(v * fmt.scale) for v in values)
    step = Fr(1, 4 * fmt.scale)  # a quarter of the finest spacing
    # each value, its midpoints with its neighbours and the points a quarter spacing around them, past MAX
    xs = [v + t for v in values + [values[-1] + 1, -values[-1] - 1] for t in (-step, 0, step)]
    xs += [(a + b) / 2 + t for a, b in zip(values, values[1:]) for t in (-step, 0, step)]
    rng = random.Random(3)
    xs += [Fr(rng.randint(-10 ** 6, 10 ** 6), rng.randint(1, 10 ** 4)) for _ in range(300)]
    for x in xs:
        want = reference_R(fmt, values, x)
        assert fmt.value(fmt.R(x)) == want, (fmt, x)
        k = fmt.round_k(x.numerator * fmt.scale, x.denominator)
        assert fmt.value(k) == want
    # the numpy path: int64 and object arrays give the same indices
    nums = np.array([x.numerator * fmt.scale for x in xs[:200]], dtype=np.int64)
    dens = np.array([x.denominator for x in xs[:200]], dtype=np.int64)
    want = [fmt.round_k(int(n), int(d)) for n, d in zip(nums, dens)]
    assert fmt.round_k(nums, dens).tolist() == want
    assert fmt.round_k(nums.astype(object), dens.astype(object)).tolist() == want


def test_float_edge_cases():
    e4m3 = FloatFormat(4, -9, 5)  # values up to 15 * 32 = 480
    R = lambda fmt, x: fmt.value(fmt.R(Fr(x)))  # noqa: E731
    assert R(e4m3, 1000) == 480 and R(e4m3, -1000) == -480  # saturation
    assert R(e4m3, 481) == 480  # rounds up to 512 = 2^P * 2^5, the next binade: saturated
    assert R(e4m3, Fr(1, 2 ** 9)) == Fr(1, 512) and R(e4m3, Fr(1, 2 ** 10)) == 0  # smallest subnormal; a tie to 0
    assert R(e4m3, Fr(3, 2 ** 10)) == Fr(2, 512)  # 1.5 spacings: the tie goes to the even k = 2
    assert R(e4m3, Fr(17, 16)) == 1 and R(e4m3, Fr(19, 16)) == Fr(5, 4)  # ties at spacing 1/8: even k
    assert R(e4m3, Fr(31, 2)) == 16  # 15.5 between 15 and 16 (k = 15 odd): up, into the next binade
    p8 = paper_float(8)
    assert p8 == FloatFormat(3, -8, 7, "truncate") and p8.kmax == 7 << 15
    assert R(p8, Fr(-11, 8)) == Fr(-5, 4) and R(paper_float(8, "floor"), Fr(-11, 8)) == Fr(-3, 2)
    assert R(p8, Fr(11, 8)) == R(paper_float(8, "floor"), Fr(11, 8)) == Fr(5, 4)
    assert R(p8, Fr(-1, 1000)) == 0 and R(paper_float(8, "floor"), Fr(-1, 1000)) == Fr(-1, 256)
    assert p8.S(p8.R(Fr(7, 4)) + p8.R(Fr(1, 8))) == p8.R(Fr(15, 8))  # S is R: 15/8 needs 4 bits, truncated to 7/4
    assert p8.value(p8.S(p8.R(Fr(7, 4)) + p8.R(Fr(1, 8)))) == Fr(7, 4)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 6), st.integers(-8, 0), st.integers(0, 6), st.sampled_from(MODES),
       st.integers(-10 ** 9, 10 ** 9), st.integers(1, 10 ** 6))
def test_R_properties(bits, low, span, mode, num, den):
    """R gives a value of the format, is idempotent and monotone, and is odd for the
    symmetric modes (nearest_even, truncate)."""
    fmt = FloatFormat(bits, low, max(low + span, 1 - bits), mode)
    k = fmt.round_k(num, den)
    assert fmt.is_value(k) and fmt.round_k(k) == k
    assert fmt.round_k(num + 1, den) >= k
    if mode != "floor":
        assert fmt.round_k(-num, den) == -k
    else:
        assert fmt.round_k(-num, den) <= -k


# -- square roots --------------------------------------------------------------------


def reference_sqrt(fmt, a: int, b: int, negative: bool) -> Fr:
    """R(+-sqrt(a) / b * 2^-F): the format's R of each candidate interval decided by
    squaring (sqrt(a)/b >= t iff a >= (t b)^2 for t >= 0), bisection over the grid."""
    y2 = Fr(a, b * b)  # (y * 2^F)^2
    root = math.isqrt(a) // b
    if Fr(root) ** 2 == y2:  # a perfect square: R of the exact value
        return fmt.value(fmt.round_k(-root if negative else root))
    # irrational or a non-square rational: find m/2^40 brackets with the same R
    scale = 1 << 40
    low = math.isqrt(a * scale * scale // (b * b))  # floor(y * 2^F * 2^40)
    ends = [Fr(low, scale), Fr(low + 1, scale)]
    if negative:
        ends = [-e for e in ends]
    got = {fmt.round_k(e.numerator, e.denominator) for e in ends}
    assert len(got) == 1, "too close to a boundary for the reference"
    return fmt.value(got.pop())


@pytest.mark.parametrize("fmt", [NumberFormat(4, 3, m) for m in MODES] + FORMATS[:6], ids=str)
def test_sqrt_against_a_reference_and_at_exact_midpoints(fmt):
    rng = random.Random(11)
    for _ in range(400):
        a, b, negative = rng.randrange(0, 4000), rng.randrange(1, 9), rng.random() < 0.5
        try:
            want = reference_sqrt(fmt, a, b, negative)
        except AssertionError:
            continue
        assert fmt.value(fmt.sqrt_k(a, b, negative)) == want, (a, b, negative)
    # exact midpoints: sqrt(a) / b = q + 1/2 exactly (a = (2q + 1)^2, b = 2); nearest_even picks the even q
    for q in range(0, 7):
        a, b = (2 * q + 1) ** 2, 2
        exact = Fr(2 * q + 1, 2)
        assert fmt.value(fmt.sqrt_k(a, b)) == fmt.value(fmt.round_k(exact.numerator, exact.denominator))
    if not fmt.is_float and fmt.rounding == "nearest_even":
        assert [fmt.sqrt_k((2 * q + 1) ** 2, 2) for q in range(4)] == [0, 2, 2, 4]


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2 ** 58), st.integers(1, 2 ** 12), st.sampled_from(MODES), st.booleans())
def test_round_sqrt_div_int64_and_object_paths_agree(a, b, mode, negative):
    want = round_sqrt_div(a, b, mode, negative)
    assert round_sqrt_div(np.array([a], dtype=np.int64), b, mode, negative)[0] == want
    assert round_sqrt_div(np.array([a], dtype=object), b, mode, negative)[0] == want
    root = Fr(math.isqrt(a * 10 ** 40), 10 ** 20) / b  # sqrt(a)/b to 20 digits, below
    assert abs(want - (-root if negative else root)) <= Fr(1, 2) + Fr(1, 10 ** 19) or mode != "nearest_even"
    assert abs(want - (-root if negative else root)) < 1 + Fr(1, 10 ** 19)


# -- softmax weights -----------------------------------------------------------------


def reference_exp(fmt: FloatFormat, delta_k: int) -> Fr:
    """R(e^delta) from 200 digits (e^delta is irrational for delta != 0: never a boundary)."""
    if delta_k == 0:
        return fmt.R(1)
    with localcontext() as ctx:
        ctx.prec = 200
        scaled = Fr((Decimal(delta_k) / Decimal(1 << fmt.frac_bits)).exp() * (1 << fmt.frac_bits))
    a, b = scaled * (1 - Fr(1, 10 ** 150)), scaled * (1 + Fr(1, 10 ** 150))
    k = {fmt.round_k(x.numerator, x.denominator) for x in (a, b)}
    assert len(k) == 1
    return k.pop()


@pytest.mark.parametrize("fmt", [FloatFormat(4, -9, 5, m) for m in MODES] + [paper_float(8), paper_float(10),
                                                                            FloatFormat(1, -2, 0)], ids=str)
def test_softmax_weights_in_a_float_format(fmt):
    F = fmt.frac_bits
    assert softmax_x_float(0, fmt) == fmt.scale  # X(0) = R(1) = 1
    ks = list(range(-(F + 3) << F, 1, max(1, (F + 3 << F) // 500)))
    got = [softmax_x_float(k, fmt) for k in ks]
    for k, x in zip(ks, got):
        assert x == reference_exp(fmt, k), k
        assert fmt.is_value(x) and softmax_k(k, fmt, F) == x
    assert got == sorted(got)  # monotone in delta
    assert got[0] == 0  # underflow: e^delta below half the smallest spacing
    # the shortcut's threshold: just above -(F + 1) the reference still decides (and may be nonzero)
    assert softmax_x_float(-(F + 1) << F, fmt) == reference_exp(fmt, -(F + 1) << F)


def test_softmax_weight_of_a_fixed_format_is_unchanged():
    fmt = NumberFormat(4, 4)
    assert softmax_k(-16, fmt, 6) == round(math.exp(-1) * 64)


# -- layer norm ----------------------------------------------------------------------


def model_with(fmt, pfmt, d):
    return Transformer("<ln>", fmt, pfmt, d, {}, (), Readout("threshold", ((0,) * d,), (0,)))


def reference_layer_norm(fmt, pfmt, norm: LayerNorm, x: list) -> list:
    """Spec 3.3 in Fractions: mu, v and s by the format's R; the root by the reference."""
    R = lambda value: fmt.value(fmt.R(value))  # noqa: E731
    xs = [fmt.value(k) for k in x]
    gamma, beta = [pfmt.value(k) for k in norm.gamma], [pfmt.value(k) for k in norm.beta]
    mu = R(sum(xs) / len(xs))
    c = [v - mu for v in xs]
    var = R(sum(ci * ci for ci in c) / len(xs))
    radicand = (var + pfmt.value(norm.epsilon)) * fmt.scale ** 2  # (s 2^F)^2
    s = reference_sqrt(fmt, radicand.numerator * radicand.denominator, radicand.denominator, False)
    if s == 0:
        return [fmt.R(b) for b in beta]
    return [fmt.R(g * ci / s + b) for g, b, ci in zip(gamma, beta, c)]


@pytest.mark.parametrize("seed", range(6))
def test_layer_norm_against_a_fraction_reference_and_the_batch_evaluator(seed):
    rng = random.Random(seed)
    fmt = random_float_format(rng) if seed % 2 else NumberFormat(rng.randint(2, 4), rng.randint(1, 4), rng.choice(MODES))
    pfmt = rng.choice((fmt, random_float_format(rng), NumberFormat(3, rng.randint(0, 5), rng.choice(MODES))))
    d = rng.randint(1, 4)
    model = model_with(fmt, pfmt, d)
    runner = Runner(model, 1)
    checked = 0
    for _ in range(150):
        span = min(pfmt.kmax, 2 * pfmt.scale)
        norm = LayerNorm(tuple(pfmt.round_k(rng.randint(-span, span)) for _ in range(d)),
                         tuple(pfmt.round_k(rng.randint(-span, span)) for _ in range(d)),
                         pfmt.round_k(rng.randint(0, span)) if rng.random() < 0.5 else 0)
        x = [fmt.round_k(rng.randint(fmt.kmin, fmt.kmax)) for _ in range(d)]
        y, _ = layer_norm(model, norm, x)
        try:
            assert y == reference_layer_norm(fmt, pfmt, norm, x), (x, norm)
            checked += 1
        except AssertionError as exc:
            if "too close" not in str(exc):
                raise
        batch = runner.layer_norm(norm, np.array([[x]], dtype=runner.norm_dtype))
        assert batch[0, 0].tolist() == y
    assert checked > 100


def test_layer_norm_edge_cases():
    fmt = NumberFormat(4, 4, "nearest_even")
    one = fmt.scale
    model = model_with(fmt, fmt, 2)
    # s = 0: equal inputs and epsilon 0 give v = 0, so y = R(beta)
    y, (mu, v, s) = layer_norm(model, LayerNorm((one, one), (one // 2, -one), 0), [3 * one, 3 * one])
    assert (mu, v, s) == (3 * one, 0, 0) and y == [one // 2, -one]
    # s = 0 also when v + epsilon > 0 rounds to 0: sqrt(1/1024) = 1/32 is below half of 1/16
    model8 = model_with(fmt, NumberFormat(4, 10), 2)
    y, (_, _, s) = layer_norm(model8, LayerNorm((1024, 1024), (0, 512), 1), [one, one])
    assert s == 0 and y == [0, 8]
    # v = 1/4 - the root of a perfect square is exact: x = (1/2, -1/2), mu = 0, v = 1/4, s = 1/2, y = +-1
    y, (mu, v, s) = layer_norm(model, LayerNorm((one, one), (0, 0), 0), [one // 2, -one // 2])
    assert (mu, v, s) == (0, one // 4, one // 2) and y == [one, -one]
    # a root at an exact midpoint: v + eps = (2q+1)^2 / 4 on the 2^-F grid squared
    fine = NumberFormat(6, 0, "nearest_even")  # F = 0: the grid is the integers
    coarse = model_with(fine, NumberFormat(6, 2), 2)
    for q in range(4):
        eps = (2 * q + 1) ** 2  # epsilon = (2q+1)^2 / 4 on the 2^-2 grid; x = (0, 0): v = 0
        _, (_, _, s) = layer_norm(coarse, LayerNorm((4, 4), (0, 0), eps), [0, 0])
        assert s == q + (q % 2)  # sqrt = q + 1/2 exactly: ties to even
    floor = model_with(NumberFormat(6, 0, "floor"), NumberFormat(6, 2), 2)
    assert [layer_norm(floor, LayerNorm((4, 4), (0, 0), (2 * q + 1) ** 2), [0, 0])[1][2] for q in range(4)] == [0, 1, 2, 3]
    # floor against truncate on a negative output: x = (-1, 1) gives c = (-1, 1), s = 1 and
    # y_0 = -1 + beta = -11/8 = -1.011b, which 3 significant bits truncate to -5/4 and floor to -3/2
    for mode, want in (("truncate", Fr(-5, 4)), ("floor", Fr(-3, 2))):
        f = paper_float(8, mode)
        y, (_, _, s) = layer_norm(model_with(f, f, 2), LayerNorm((f.R(1),) * 2, (f.R(Fr(-3, 8)),) * 2, 0),
                                  [f.R(-1), f.R(1)])
        assert f.value(s) == 1 and [f.value(k) for k in y] == [want, Fr(5, 8)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 62), min_size=1, max_size=20), st.integers(-3, 3), st.integers(1, 12),
       st.integers(1, 2 ** 20), st.sampled_from(MODES))
def test_round_k_on_arrays_near_powers_of_two(exponents, offset, bits, den, mode):
    """The array path (bit lengths from float64 exponents, corrected) equals the scalar
    one on int64 numerators next to powers of two, where float64 rounds up."""
    fmt = FloatFormat(bits, -70, 10, mode)
    nums = [max(0, min((1 << e) + offset, 2 ** 62)) * (-1) ** i for i, e in enumerate(exponents)]
    want = [fmt.round_k(n, den) for n in nums]
    assert fmt.round_k(np.array(nums, dtype=np.int64), den).tolist() == want
    assert fmt.round_k(np.array(nums, dtype=object), np.array([den] * len(nums), dtype=object)).tolist() == want
