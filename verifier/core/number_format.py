"""The number formats of the spec: fixed point (section 2, `NumberFormat`) and the
paper's p-precision floats (section 2.1, `FloatFormat`; Merrill & Sabharwal,
Appendix A). One rounding R per operation, exact arithmetic in between.

Both are grids: a fixed-point value is k * 2^-F; every float value, subnormals
included, is a multiple of 2^exponent_min, so it too is k * 2^-F with
F = -exponent_min (a format must represent 1, so F >= 0). Values are carried as
the integer k ("grid index") wherever the scale is known, for both kinds of
format; they differ only in which k exist (`kmin`..`kmax`, and for floats only
k with at most `significand_bits` significant bits) and in R, S. `round_div` is
the one rounding primitive, shared by the exact evaluator (Python ints) and the
batch evaluator (numpy integer arrays).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, get_args

import numpy as np

Rounding = Literal["nearest_even", "floor", "truncate"]
Overflow = Literal["saturate", "wrap"]
ROUNDING_MODES: tuple = get_args(Rounding)
OVERFLOW_MODES: tuple = get_args(Overflow)
INT64_SAFE = 2**62  # integer sums below this in magnitude fit int64 (numpy, Pindakaas' coefficients)


def round_div(num, den, mode):
    """`num / den` rounded to an integer by `mode`; `den > 0`. Exact for ints and numpy int arrays."""
    integers = type(num) is int or (isinstance(num, np.ndarray) and num.dtype.kind == "i")
    if integers and isinstance(den, int) and den & (den - 1) == 0:  # a power of two: shifts (fast on numpy arrays)
        shift = den.bit_length() - 1
        quotient, rest = num >> shift, num & (den - 1)
    else:
        quotient = num // den
        rest = num - quotient * den
    if mode == "floor":
        return quotient
    if mode == "truncate":
        return quotient + ((num < 0) & (rest != 0))
    if mode == "nearest_even":
        twice = 2 * rest
        return quotient + ((twice > den) | ((twice == den) & ((quotient & 1) == 1)))
    raise ValueError(f"unknown rounding mode {mode!r}")


def isqrt(a):
    """floor(sqrt(a)) for an int or a numpy integer array a >= 0, exact. int64 arrays
    stay int64 (a float64 estimate, then corrected by at most one either way)."""
    if not isinstance(a, np.ndarray):
        return math.isqrt(a)
    if a.dtype == object:
        return np.frompyfunc(math.isqrt, 1, 1)(a).astype(object)
    root = np.floor(np.sqrt(a.astype(np.float64))).astype(np.int64)
    root = root - (root * root > a)
    return root + ((root + 1) * (root + 1) <= a)


def round_sqrt_div(a, b, mode, negative=False):
    """(-1 if `negative`) * sqrt(a) / b rounded to an integer by `mode`; a >= 0, b > 0
    integers (or numpy integer arrays). Exact: the comparisons with the candidates
    and the midpoints are between integers (spec 3.3: the root is never
    approximated; a tie is an exact midpoint, 4a = ((2q + 1) b)^2)."""
    q = isqrt(a) // b  # floor(sqrt(a) / b)
    if mode == "nearest_even":
        twice = (2 * q + 1) * b
        four_a = 4 * a
        up = (four_a > twice * twice) | ((four_a == twice * twice) & (q % 2 == 1))
        rounded = q + up
    elif mode == "floor" and negative:  # the magnitude rounded up
        rounded = q + (a > (q * b) * (q * b))
    elif mode in ("floor", "truncate"):
        rounded = q
    else:
        raise ValueError(f"unknown rounding mode {mode!r}")
    return -rounded if negative else rounded


@dataclass(frozen=True)
class NumberFormat:
    """Fixed point: `int_bits` counts the sign bit; `frac_bits` may be 0."""

    is_float = False

    int_bits: int
    frac_bits: int
    rounding: Rounding = "nearest_even"
    overflow: Overflow = "saturate"

    @property
    def width(self) -> int:
        return self.int_bits + self.frac_bits

    @functools.cached_property  # computed once: overflow_k runs once per rounded value
    def kmin(self) -> int:
        return -(1 << (self.width - 1))

    @functools.cached_property
    def kmax(self) -> int:
        return (1 << (self.width - 1)) - 1

    @property
    def scale(self) -> int:
        """2^F: a value x sits at grid index x * scale."""
        return 1 << self.frac_bits

    def S(self, k):
        """S (spec 2) on a grid index: the overflow step alone."""
        return self.overflow_k(k)

    def overflow_k(self, k):
        """S on a grid index: clamp (`saturate`) or reduce modulo 2^(I+F) (`wrap`)."""
        if self.overflow == "saturate":
            if isinstance(k, np.ndarray):
                return np.clip(k, self.kmin, self.kmax)
            return min(max(k, self.kmin), self.kmax)
        return (k - self.kmin) % (1 << self.width) + self.kmin

    def round_k(self, num, den=1):
        """Grid index of R(x) where x * 2^F = num / den (den > 0): round, then overflow.
        Works on Python ints and on numpy integer arrays."""
        return self.overflow_k(round_div(num, den, self.rounding))

    def R(self, x) -> int:
        """Grid index of R(x) for an exact rational x (Fraction, int or decimal-exact value)."""
        x = Fraction(x) * self.scale
        return self.overflow_k(round_div(x.numerator, x.denominator, self.rounding))

    def sqrt_k(self, a, b=1, negative=False):
        """Grid index of R(+-y) where y * 2^F = sqrt(a) / b (a >= 0, b > 0 integers or
        numpy integer arrays): the exactly rounded square root (layer norm, spec 3.3)."""
        return self.overflow_k(round_sqrt_div(a, b, self.rounding, negative))

    def value(self, k) -> Fraction:
        return Fraction(k, self.scale)

    def describe(self) -> str:
        return f"I={self.int_bits} F={self.frac_bits} {self.rounding} {self.overflow}"


def _bit_length(q: np.ndarray) -> np.ndarray:
    """int.bit_length of every entry of a non-negative integer array, as int64: for
    int64 from float64's exponent (which can only round up to the next power of two,
    so one correction), for Python ints exactly."""
    if q.dtype == object:
        return np.frompyfunc(int.bit_length, 1, 1)(q).astype(np.int64)
    length = np.frexp(q.astype(np.float64))[1].astype(np.int64)
    return length - ((length > 0) & ((q >> np.maximum(length - 1, 0)) == 0))


def _binade_shift(magnitude, den, significand_bits: int):
    """s = max(0, floor(log2(magnitude / den)) - P + 1) for magnitude >= 0, den > 0:
    the spacing of the binade that holds magnitude / den, as a power of two of the
    grid. Exact for ints and numpy integer arrays: floor(log2(m / den)) is
    bit_length(m // den) - 1 for m >= den (den an integer)."""
    if isinstance(magnitude, np.ndarray) or isinstance(den, np.ndarray):
        wide = object in (getattr(magnitude, "dtype", None), getattr(den, "dtype", None))
        q = np.asarray(magnitude // den, dtype=object if wide else np.int64)
        shift = np.maximum(_bit_length(q) - significand_bits, 0)
        return shift.astype(object) if wide else shift
    if magnitude < den << significand_bits:
        return 0
    return (magnitude // den).bit_length() - significand_bits


@dataclass(frozen=True)
class FloatFormat:
    """p-precision floats (spec 2.1): +-m * 2^e with 0 <= m <= 2^P - 1 (P =
    `significand_bits`, the sign apart), exponent_min <= e <= exponent_max,
    subnormals below 2^(P-1) * 2^exponent_min, saturation at MAX = (2^P - 1) *
    2^exponent_max. Grid indices are on 2^exponent_min (`frac_bits`)."""

    significand_bits: int
    exponent_min: int
    exponent_max: int
    rounding: Rounding = "nearest_even"
    overflow: Overflow = "saturate"  # floats saturate; `wrap` is a load error
    is_float = True

    @property
    def frac_bits(self) -> int:
        """F: grid indices are on the 2^-F grid, F = -exponent_min."""
        return -self.exponent_min

    @functools.cached_property
    def kmax(self) -> int:
        """Grid index of MAX."""
        return ((1 << self.significand_bits) - 1) << (self.exponent_max - self.exponent_min)

    @functools.cached_property
    def kmin(self) -> int:
        return -self.kmax

    @property
    def width(self) -> int:
        """Bits of a two's-complement grid index of any value of the format."""
        return self.kmax.bit_length() + 1

    @property
    def scale(self) -> int:
        return 1 << self.frac_bits

    def round_k(self, num, den=1):
        """Grid index of R(x) where x * 2^F = num / den (den > 0): round num / den to
        P significant bits (at least the grid's spacing) by `rounding`, then
        saturate at +-MAX. Works on Python ints and on numpy integer arrays."""
        shift = _binade_shift(abs(num), den, self.significand_bits)
        if isinstance(shift, np.ndarray):
            k = round_div(num, den << shift, self.rounding) << shift
            return np.clip(k, self.kmin, self.kmax)
        k = round_div(num, den << shift, self.rounding) << shift
        return min(max(k, self.kmin), self.kmax)

    def sqrt_k(self, a, b=1, negative=False):
        """Grid index of R(+-y) where y * 2^F = sqrt(a) / b (a >= 0, b > 0 integers or
        numpy integer arrays): the exactly rounded square root (layer norm, spec 3.3).
        The binade of y is that of isqrt(a) / b (equal from 1 up, and below 2^(P-1)
        both have spacing 1), so the shift is `_binade_shift`'s."""
        shift = _binade_shift(isqrt(a), b, self.significand_bits)
        k = round_sqrt_div(a, b << shift, self.rounding, negative) << shift
        return self.overflow_k(k)

    def S(self, k):
        """S is R for floats (spec 2.1): a sum of two floats is not a float in general."""
        return self.round_k(k)

    def overflow_k(self, k):
        """Saturation alone, for a grid index that is already a value of the format."""
        if isinstance(k, np.ndarray):
            return np.clip(k, self.kmin, self.kmax)
        return min(max(k, self.kmin), self.kmax)

    def R(self, x) -> int:
        """Grid index of R(x) for an exact rational x."""
        x = Fraction(x) * self.scale
        return self.round_k(x.numerator, x.denominator)

    def value(self, k) -> Fraction:
        return Fraction(k, self.scale)

    def is_value(self, k: int) -> bool:
        """Whether grid index k is a value of the format (P significant bits, in range)."""
        return self.kmin <= k <= self.kmax and self.round_k(k) == k

    def describe(self) -> str:
        return (f"float P={self.significand_bits} e={self.exponent_min}..{self.exponent_max} "
                f"{self.rounding} saturate")


def paper_float(p: int, rounding: Rounding = "truncate") -> FloatFormat:
    """Appendix A's p-precision float (spec 2.1): p/2 mantissa bits of which one is
    the sign, a p/2-bit two's-complement exponent, truncation by default."""
    half = p // 2
    return FloatFormat(half - 1, -(1 << (half - 1)), (1 << (half - 1)) - 1, rounding)


def binary_text(value) -> str:
    """A value (a Fraction, or its text) as a float reads it, `m*2^e` with m odd
    (every grid value is dyadic), or "0"; `simulate` shows float models' values so."""
    value = Fraction(value)
    den = value.denominator
    if value == 0 or den & (den - 1):  # 0, or not dyadic: the exact fraction only
        return str(value)
    m, e = value.numerator, -(den.bit_length() - 1)
    while m % 2 == 0:
        m //= 2
        e += 1
    return f"{m}*2^{e}"
