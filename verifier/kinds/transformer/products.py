"""Exact integer matrix products for the batch evaluator (issue 21, item 4): `a @ b`
on integer arrays (int64 or Python ints) through float64 BLAS, exact by bounds.

A float64 holds every integer of magnitude <= 2^53, so a product whose partial
sums are all bounded by 2^53 is exact in float64 whatever order BLAS adds in.
The bound comes from the data: max|a| times the largest column sum of |b|.
Above it, `a` (and `b` if its own column sums are too large) is cut into limbs of
s bits (a = sum a_i 2^(s i), low limbs in [0, 2^s)), every limb product is again
below 2^53, and the limb products are combined by shifts: in int64 when the sum
of their bounds fits, else as Python ints, one per result entry (never one per
multiply-add).
"""

from __future__ import annotations

import numpy as np

from ...core.number_format import INT64_SAFE

FLOAT_EXACT = float(2 ** 53)  # every integer of magnitude up to this is a float64
_MARGIN = 1 + 2.0 ** -30  # covers the float rounding of the bounds themselves (sums of < 2^20 terms)


def magnitude(a: np.ndarray) -> int:
    """max |a| as a Python int (0 for an empty array)."""
    if a.size == 0:
        return 0
    return int(max(a.max(), -a.min()))


def narrow(a: np.ndarray) -> np.ndarray:
    """`a` as int64 when every entry is below INT64_SAFE in magnitude, else as Python ints."""
    if a.dtype == np.int64:
        return a
    if a.dtype == object and magnitude(a) >= INT64_SAFE:
        return a
    return a.astype(np.int64)


def add(x: np.ndarray, y: np.ndarray, bound=None) -> np.ndarray:
    """x + y exactly: int64 when both bounds leave room, else Python ints. `bound`,
    when known, bounds |x| + |y| and saves measuring the magnitudes."""
    if x.dtype == object or y.dtype == object:
        return x.astype(object) + y.astype(object)
    if (magnitude(x) + magnitude(y) if bound is None else bound) >= INT64_SAFE:
        return x.astype(object) + y.astype(object)
    return x + y


def _column_bound(b: np.ndarray) -> float:
    """An upper bound of sum_k |b[..., k, m]| over every column m (float, rounded up)."""
    if b.size == 0:
        return 0.0
    return float(np.abs(b.astype(np.float64)).sum(axis=-2).max()) * _MARGIN


def _limbs(a: np.ndarray, bits: int, count: int) -> list:
    """a = sum_i limbs[i] * 2^(bits i): low limbs in [0, 2^bits), the top one signed."""
    mask, out = (1 << bits) - 1, []
    for _ in range(count - 1):
        out.append((a & mask).astype(np.float64))
        a = a >> bits
    out.append(a.astype(np.float64))
    return out


def _limb_count(m: int, bits: int) -> int:
    """Limbs of `bits` bits that hold magnitudes up to m (top limb |.| <= 2^bits)."""
    return max(1, -(-m.bit_length() // bits))


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact a @ b (numpy matmul broadcasting) of integer arrays; int64 when the result
    provably fits below INT64_SAFE, else Python ints."""
    ma = magnitude(a)
    column = _column_bound(b)
    if ma * column < FLOAT_EXACT:
        return (a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)
    k = max(1, a.shape[-1])
    if column * 2.0 ** 8 < FLOAT_EXACT:
        # b's columns are small: cut a alone so that 2^bits * column < 2^53
        bits_b, b_parts = 0, [b.astype(np.float64)]
        bits_a = int(np.floor(np.log2(FLOAT_EXACT / column)))
    else:
        # both wide: limbs of s bits on both sides, k * 2^s * 2^s <= 2^53
        bits_a = bits_b = (53 - k.bit_length()) // 2
        b_parts = _limbs(b, bits_b, _limb_count(magnitude(b), bits_b))
    a_parts = _limbs(a, bits_a, _limb_count(ma, bits_a))
    terms = [(ai, bj, bits_a * i + bits_b * j) for j, bj in enumerate(b_parts) for i, ai in enumerate(a_parts)]
    # every partial sum of the shifted limb products is below the sum of their bounds
    wide = sum(float(np.abs(ai).max(initial=0)) * _column_bound(bj) * 2.0 ** shift
               for ai, bj, shift in terms) >= INT64_SAFE
    total = None
    for ai, bj, shift in terms:
        part = (ai @ bj).astype(np.int64)
        part = part.astype(object) << shift if wide else part << shift
        total = part if total is None else total + part
    return narrow(total) if wide else total
