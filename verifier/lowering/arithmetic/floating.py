"""Small exact helpers for rounding to a float format (spec 2.1) on the grid-index
datapath: binade shifts, the format's values in a range, and where R steps up to a
value. Every float value is a grid index k on 2^exponent_min; in binade shift s
(|x| in [2^(P+s-1), 2^(P+s)) grid units, s = 0 below 2^P) R(x) = round(x / 2^s) * 2^s
before saturation, so the words never hold more than the grid index itself."""

from __future__ import annotations

from fractions import Fraction

from ...core.number_format import FloatFormat


def top_shift(fmt: FloatFormat) -> int:
    """The binade shift of the largest binade (exponent_max): MAX = (2^P - 1) << top."""
    return fmt.exponent_max - fmt.exponent_min


def binade_shift(magnitude: int, P: int) -> int:
    """s with x in binade shift s for an integer magnitude |x| = `magnitude` >= 0 (grid units):
    0 below 2^P, else floor(log2 |x|) - P + 1. For x in [q, q + 1) with q >= 0, shift(x) =
    shift(q): the binade boundaries are integers."""
    return 0 if magnitude < 1 << P else magnitude.bit_length() - P


def shift_range(fmt: FloatFormat, lo: int, hi: int) -> tuple:
    """(s0, s1): the binade shifts of every x in [lo, hi + 1) (lo, hi integers), s1 capped at
    top + 1 (past the largest binade everything saturates)."""
    P, cap = fmt.significand_bits, top_shift(fmt) + 1
    s1 = binade_shift(max(abs(lo), abs(hi)), P)
    if lo > 0:
        s0 = binade_shift(lo, P)
    elif hi < -1:
        s0 = binade_shift(-hi - 1, P)
    else:
        s0 = 0
    return min(s0, cap), min(s1, cap)


def count_values(fmt: FloatFormat, lo: int, hi: int) -> int:
    """How many values of the format lie in [lo, hi] (grid indices)."""
    return max(0, _count_up_to(fmt, hi) - _count_up_to(fmt, lo - 1))


def _count_up_to(fmt: FloatFormat, h: int) -> int:
    """Values of the format <= h (the values are symmetric around 0)."""
    positive = _count_nonnegative(fmt, fmt.kmax)
    if h >= 0:
        return positive - 1 + _count_nonnegative(fmt, h)
    return positive - _count_nonnegative(fmt, -h - 1)


def _count_nonnegative(fmt: FloatFormat, h: int) -> int:
    """Values of the format in [0, h], h >= 0."""
    P = fmt.significand_bits
    h = min(h, fmt.kmax)
    total = min(h, (1 << P) - 1) + 1
    for s in range(1, top_shift(fmt) + 1):
        first = 1 << (P - 1 + s)
        if h < first:
            break
        total += min(h >> s, (1 << P) - 1) - (1 << (P - 1)) + 1
    return total


def values_in(fmt: FloatFormat, lo: int, hi: int) -> list:
    """The values of the format in [lo, hi] (grid indices), ascending."""
    P = fmt.significand_bits
    reach = max(abs(lo), abs(hi))
    positive = list(range(0, min(1 << P, reach + 1)))
    for s in range(1, top_shift(fmt) + 1):
        if 1 << (P - 1 + s) > reach:
            break
        positive += [m << s for m in range(1 << (P - 1), 1 << P)]
    return sorted({k for k in positive + [-k for k in positive] if lo <= k <= hi})


def step_to(fmt: FloatFormat, u: int, v: int) -> tuple:
    """(b, closed): R(x) >= v iff x >= b (closed) or x > b (open), for neighbouring values u < v
    of the format and any rational x. R is constant on the open intervals between u, (u+v)/2
    and v, so sampling their quarter points decides where, and how, it steps."""
    half = Fraction(u + v, 2)
    if fmt.round_k(3 * u + v, 4) >= v:
        return Fraction(u), False
    if fmt.round_k(u + v, 2) >= v:
        return half, True
    if fmt.round_k(u + 3 * v, 4) >= v:
        return half, False
    return Fraction(v), True
