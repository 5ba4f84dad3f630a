"""Fixed-point numbers of the spec (section 2): values k * 2^-F, k a two's-complement
integer of I+F bits, one rounding R per operation, exact arithmetic in between.

Values are carried as the integer k ("grid index") wherever the scale is known;
`round_div` is the one rounding primitive, shared by the exact evaluator (Python
ints) and the batch evaluator (numpy integer arrays).
"""

from __future__ import annotations

import functools
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
    quotient = num // den
    rest = num - quotient * den
    if mode == "floor":
        return quotient
    if mode == "truncate":
        return quotient + ((num < 0) & (rest != 0))
    if mode == "nearest_even":
        twice = 2 * rest
        return quotient + ((twice > den) | ((twice == den) & (quotient % 2 == 1)))
    raise ValueError(f"unknown rounding mode {mode!r}")


@dataclass(frozen=True)
class NumberFormat:
    """`int_bits` counts the sign bit; `frac_bits` may be 0."""

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

    def value(self, k) -> Fraction:
        return Fraction(k, self.scale)

    def describe(self) -> str:
        return f"I={self.int_bits} F={self.frac_bits} {self.rounding} {self.overflow}"
