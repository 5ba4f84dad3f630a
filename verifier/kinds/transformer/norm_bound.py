"""A sound bound on layer norm's normalised values c_i / s (spec 3.3), through the
format's exact roundings of the variance and the root, for the lowering's dividers
y_i = R((gamma_i c_i + beta_i s) / s): their quotient width follows from it instead
of from interval bounds of the numerator and the denominator.

Grid indices as in `evaluate.layer_norm`: c_i on 2^-F, the sum of squares
Q = sum c_j^2 on 2^-2F, v = R(Q / (d 2^F)), s = R(sqrt(v 2^F + epsilon 2^(2F-P))).
Since c_i^2 <= Q, |c_i| / s <= isqrt(Qmax(v)) / s(v), where Qmax(v) is the largest Q
that rounds to at most v and s(v) is a function of v. The bound is the maximum of
that ratio over the variances v the format can give: exactly for the first
`ENUMERATED_VARIANCES` values of v, and beyond them (wide formats only) analytically,
with rho = 2^(1-P) the largest relative spacing of a float format (0 in fixed point):

- Qmax(v) < d 2^F next(v) <= d 2^F (v (1 + rho) + 1) (next(v): the next value above v);
- s > t - max(1, rho t) >= t (1 - rho) - 1 for t = sqrt(v 2^F + ...) >= a = sqrt(v 2^F),
  or s = MAX where t saturates;
- so r^2 < d (a^2 (1 + rho) + 2^F) / (a (1 - rho) - 1)^2, which decreases in a wherever
  a (1 - rho) > 1 (its derivative's numerator is -a (1 + rho) - (1 - rho) 2^F), and is
  largest at the first v not enumerated; where s saturates, r^2 < Qmax(v) / MAX^2.
"""

from __future__ import annotations

import functools
from fractions import Fraction
from math import isqrt
from typing import Optional

from ...lowering.arithmetic.floating import binade_shift

ENUMERATED_VARIANCES = 256


def root_k(fmt, param_frac_bits: int, v: int, epsilon: int) -> int:
    """s = R(sqrt(v + epsilon)) as `evaluate.layer_norm` computes it."""
    F, P = fmt.frac_bits, param_frac_bits
    return fmt.sqrt_k(((v << (F + P)) + (epsilon << 2 * F)) << P, 1 << P)


def _next_value(fmt, v: int) -> int:
    """The next value of the format above v >= 0 (fixed point: v + 1)."""
    return v + (1 << binade_shift(v, fmt.significand_bits)) if fmt.is_float else v + 1


def _largest_rounding_to(fmt, den: int, v: int, hi: int) -> int:
    """The largest Q in [0, hi] with fmt.round_k(Q, den) <= v (R is monotone): bisection."""
    a, b = 0, hi
    while a < b:
        mid = (a + b + 1) // 2
        if fmt.round_k(mid, den) <= v:
            a = mid
        else:
            b = mid - 1
    return a


@functools.lru_cache(maxsize=256)
def ratio_bound(fmt, param_frac_bits: int, d: int, epsilon: int, squares_hi: int) -> Optional[Fraction]:
    """B^2 with c_i^2 <= B^2 s^2 for every c_i of a layer norm whose root s is nonzero, given
    the sum of squares Q = sum c_j^2 <= squares_hi (see the module docstring); None where no
    finite bound follows (a float format with one significand bit past the enumeration)."""
    F = fmt.frac_bits
    den = d << F
    vhi = fmt.round_k(squares_hi, den)
    best = Fraction(0)

    def exact(v, qmax):
        s = root_k(fmt, param_frac_bits, v, epsilon)
        return Fraction(isqrt(qmax) ** 2, s * s) if s > 0 else Fraction(0)

    v = 0
    for _ in range(ENUMERATED_VARIANCES):
        if v > vhi:
            return best
        best = max(best, exact(v, squares_hi if v == vhi else _largest_rounding_to(fmt, den, v, squares_hi)))
        v = _next_value(fmt, v)
    if v > vhi:
        return best
    if vhi == fmt.kmax:  # a saturated variance: any Q up to squares_hi
        best = max(best, exact(vhi, squares_hi))
        vhi = fmt.kmax - 1  # the unsaturated variances lie below it
        if v > vhi:
            return best
    rho = Fraction(2, 1 << fmt.significand_bits) if fmt.is_float else Fraction(0)
    a = isqrt(v << F)
    if a * (1 - rho) <= 1:
        return None
    unsaturated = d * (a * a * (1 + rho) + (1 << F)) / (a * (1 - rho) - 1) ** 2
    saturated = Fraction(den * (vhi * (1 + rho) + 1), fmt.kmax ** 2)
    return max(best, unsaturated, saturated)


def quotient_range(bound: Optional[Fraction], gamma: int, beta: int, frac_bits: int, param_frac_bits: int):
    """(lo, hi) around gamma (c / s) 2^(F-P) + beta 2^(F-P), the exact y_i in grid units, for
    |c / s|^2 <= bound; None without a bound."""
    if bound is None:
        return None
    scale = Fraction(2) ** (frac_bits - param_frac_bits)
    reach = gamma * gamma * scale * scale * bound
    n = -(-reach.numerator // reach.denominator)
    m = isqrt(n)
    m += m * m < n
    center = beta * scale
    return center.numerator // center.denominator - m, -(-center.numerator // center.denominator) + m
