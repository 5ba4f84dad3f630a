"""Words and linear forms: the values `Arithmetic` builds on (grid indices k of
spec section 2 as two's complement tuples of IR nodes), with the small integer
helpers both styles share."""

from __future__ import annotations

from dataclasses import dataclass

from ...core.number_format import NumberFormat, round_div


def width_of(lo: int, hi: int) -> int:
    """The smallest two's complement width holding every integer of [lo, hi]."""
    w = 1
    while lo < -(1 << (w - 1)) or hi > (1 << (w - 1)) - 1:
        w += 1
    return w


@dataclass(frozen=True)
class Word:
    bits: tuple  # IR nodes, least significant first, two's complement
    lo: int  # proven lower bound of the integer
    hi: int  # proven upper bound

    def __post_init__(self):
        assert len(self.bits) >= 1 and self.lo <= self.hi, (self.bits, self.lo, self.hi)

    @property
    def width(self) -> int:
        return width_of(self.lo, self.hi)

    def bit(self, j: int) -> int:
        """Bit j of the (sign-extended) representation."""
        return self.bits[min(j, len(self.bits) - 1)]


class LinearForm:
    """`const + sum weights[node] * node` over non-constant 0/1 IR nodes, with a proven
    range [lo, hi] (never wider than `bit_range`). `Arithmetic.form` builds one from
    terms over words; `Arithmetic.ge(form, v)` is the thermometer [form >= v], one
    threshold gate."""

    __slots__ = ("const", "weights", "lo", "hi")

    def __init__(self, const=0, weights=None, lo=None, hi=None):
        self.const = const
        self.weights = dict(weights or {})
        self.lo, self.hi = lo, hi

    def bit_range(self):
        """The range the form can take over all 0/1 values of its nodes."""
        return (self.const + sum(w for w in self.weights.values() if w < 0),
                self.const + sum(w for w in self.weights.values() if w > 0))

    def residue(self, m: int) -> "LinearForm":
        """A form congruent to this one modulo m, with symmetric residues (smallest range)."""
        weights = {}
        for node, w in self.weights.items():
            r = w % m
            if 2 * r > m:
                r -= m
            if r:
                weights[node] = r
        form = LinearForm(self.const % m, weights)
        form.lo, form.hi = form.bit_range()
        return form


def naf(value: int, width: int):
    """(position, +-1) digits of the non-adjacent form of `value` taken modulo 2^width
    (Reitwiesner 1960): no two nonzero digits are adjacent, so a weight costs the fewest
    adder inputs."""
    m = 1 << width
    r = value % m
    if 2 * r >= m:
        r -= m
    j = 0
    while r and j < width:
        if r & 1:
            d = 2 - (r % 4)
            yield j, d
            r -= d
        r >>= 1
        j += 1


def naf_digits(k: int) -> int:
    """The number of nonzero digits of the non-adjacent form of k (adder inputs needed
    to add k * bit)."""
    return sum(1 for _ in naf(k, abs(k).bit_length() + 1))


def bit_weights(a: Word):
    """(node, weight) of each bit of a two's complement word (the sign bit weighs -2^(w-1))."""
    w = len(a.bits)
    for j, node in enumerate(a.bits):
        yield node, (-(1 << j) if j == w - 1 else 1 << j)


def overflow_range(lo: int, hi: int, fmt: NumberFormat):
    """The range of fmt.overflow_k over [lo, hi] (the hull, for wrap)."""
    if fmt.kmin <= lo and hi <= fmt.kmax:
        return lo, hi
    if fmt.overflow == "saturate":
        return fmt.overflow_k(lo), fmt.overflow_k(hi)
    a, b = fmt.overflow_k(lo), fmt.overflow_k(hi)
    if hi - lo < (1 << fmt.width) and a <= b:
        return a, b
    return fmt.kmin, fmt.kmax


def least_rounding_to(v: int, den: int, mode: str, lo: int, hi: int) -> int:
    """The least L in [lo, hi + 1] with round_div(L, den, mode) >= v (rounding is monotone):
    bisection, O(log(hi - lo)) roundings."""
    a, b = lo, hi + 1
    while a < b:
        mid = (a + b) // 2
        if round_div(mid, den, mode) >= v:
            b = mid
        else:
            a = mid + 1
    return a
