"""Parameters onto the param grid: R of the `param_format` (spec 2) giving integer
grid indices, for exact YAML numbers one at a time and for float arrays (npz,
Tracr exports) vectorised, with the statistics of the rounding warning.

A float's exact binary value is m * 2^e with an integer mantissa m (|m| < 2^53,
from `np.frexp`), so x * 2^P = m * 2^(e - 53 + P) and R is one `round_k` of
integers: no float arithmetic touches a value. The same holds for a float
param_format (spec 2.1), whose R is `round_k` of the same quotient.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Optional

import numpy as np

from ..errors import UserError
from ..core.models import Format
from ..core.number_format import INT64_SAFE
from . import validate as check

_MAX_SHIFT = 60  # |m| < 2^53, so m / 2^60 and m / 2^s (s >= 60) round alike in every mode


def float_grid(values: np.ndarray, fmt: Format):
    """(grid indices of R(x), mask of the x that are exactly values of the format)
    for a float array; the indices are int64 when the format fits, else Python ints."""
    a = np.asarray(values, dtype=np.float64)
    mantissa, exponent = np.frexp(a)
    m = (mantissa * float(1 << 53)).astype(np.int64)
    shift = exponent.astype(np.int64) - 53 + fmt.frac_bits
    shift[m == 0] = 0
    if (shift > 0).any() or 1 << fmt.width > INT64_SAFE:  # integers beyond int64: Python ints
        m, shift = m.astype(object), shift.astype(object)
        num = np.where(shift > 0, m * (2 ** np.maximum(shift, 0)), m)
    else:
        num = m
    down = np.minimum(np.maximum(-shift, 0), _MAX_SHIFT)
    den = (2 ** down) if num.dtype == object else np.left_shift(np.int64(1), down)
    k = fmt.round_k(num, den)  # x * 2^F = num / den
    return k, (num % den == 0) & (k == num // den)


def decimal(x: Fraction) -> str:
    """A number for a message: a short decimal (6 significant digits)."""
    return f"{float(x):.6g}"


def int_bits_holding(fmt: NumberFormat, x: Fraction) -> int:
    """The smallest int_bits (sign bit included) at fmt's frac_bits whose range holds x."""
    bits = fmt.int_bits
    while not -(1 << (bits - 1)) <= x <= Fraction((1 << (bits + fmt.frac_bits - 1)) - 1, 1 << fmt.frac_bits):
        bits += 1
    return bits


class ParamRounder:
    """R of one model's param format on its parameters; counts what was rounded
    and what was beyond the format's range (saturated or wrapped by S).
    With `strict`, a parameter off the grid is a `UserError` naming its key."""

    def __init__(self, fmt: Format, strict: bool, path: str):
        self.fmt, self.strict, self.path = fmt, strict, path
        self.rounded = 0
        self.largest: tuple = (Fraction(0), None)
        self.beyond = 0  # parameters outside [value(kmin), value(kmax)]
        self.widest: tuple = (Fraction(0), None, Fraction(0), Fraction(0))  # (|x|, key, x, R(x)) of the largest beyond

    def _in_range(self, exact: Fraction) -> bool:
        return self.fmt.value(self.fmt.kmin) <= exact <= self.fmt.value(self.fmt.kmax)

    def _note(self, exact: Fraction, k: int, key: str, count: int = 1, beyond: int = None):
        rounded = self.fmt.value(k)
        if self.strict:
            raise UserError(f"the parameter {check.show(exact)} is not exactly representable in the param_format "
                            f"({self.fmt.describe()}); the nearest value R gives is {check.show(rounded)}", self.path, key)
        self.rounded += count
        if abs(rounded - exact) > self.largest[0] or self.largest[1] is None:
            self.largest = (abs(rounded - exact), key)
        outside = (0 if self._in_range(exact) else 1) if beyond is None else beyond
        self.beyond += outside
        if outside and not self._in_range(exact) and (abs(exact) > self.widest[0] or self.widest[1] is None):
            self.widest = (abs(exact), key, exact, rounded)

    def scalar(self, exact: Fraction, key: str) -> int:
        """The grid index of R(exact)."""
        k = self.fmt.R(exact)
        if self.fmt.value(k) != exact:
            self._note(exact, k, key)
        return k

    def floats(self, values: np.ndarray, key: str) -> np.ndarray:
        """Grid indices of R(x) for a float array (exact binary values); element
        (i, j) is named `key[i][j]` in messages."""
        values = np.asarray(values, dtype=np.float64)
        k, exact = float_grid(values, self.fmt)
        off = ~exact.astype(bool)
        if off.any():
            change = np.where(off, np.abs(k.astype(np.float64) / self.fmt.scale - values), -1.0)
            where = np.unravel_index(int(np.argmax(change)), values.shape) if values.ndim else ()
            if self.strict:
                where = tuple(int(i) for i in np.argwhere(off)[0]) if values.ndim else ()
            name = key + "".join(f"[{int(i)}]" for i in where)
            low, high = float(self.fmt.value(self.fmt.kmin)), float(self.fmt.value(self.fmt.kmax))
            outside = (values < low) | (values > high)
            self._note(Fraction(float(values[where])), int(k[where]), name, int(off.sum()), int(outside.sum()))
            if outside.any():  # the widest one beyond the range, for the message
                far = np.unravel_index(int(np.argmax(np.where(outside, np.abs(values), -1.0))), values.shape) if values.ndim else ()
                self._note_beyond(Fraction(float(values[far])), int(k[far]), key + "".join(f"[{int(i)}]" for i in far))
        return k

    def _note_beyond(self, exact: Fraction, k: int, key: str):
        if abs(exact) > self.widest[0] or self.widest[1] is None:
            self.widest = (abs(exact), key, exact, self.fmt.value(k))

    def irrational(self, k: int, exact_text: str, change: Fraction, key: str):
        """Record a rounding whose exact value has no Fraction (e.g. w / sqrt(d))."""
        if self.strict:
            raise UserError(f"the parameter {exact_text} is irrational, so not exactly representable in the "
                            f"param_format ({self.fmt.describe()})", self.path, key)
        self.rounded += 1
        if change > self.largest[0] or self.largest[1] is None:
            self.largest = (change, key)

    def warning(self, what: str) -> Optional[str]:
        """The one-line warning for the model `what` (named by the caller: the case
        file is the reader's context), or None if every parameter was on the grid.
        Numbers are decimals; a value beyond the range is said to be saturated
        (or wrapped), with the int_bits that would hold the largest one."""
        if not self.rounded:
            return None
        change, where = self.largest
        text = (f"{what}: {self.rounded} parameter(s) are not on the param_format grid ({self.fmt.describe()}) "
                f"and were rounded; the largest change is {decimal(change)} (at {where})")
        if self.beyond:
            _, key, exact, became = self.widest
            action = "wrapped" if getattr(self.fmt, "overflow", "saturate") == "wrap" else "saturated"
            text += (f"; {self.beyond} of them are beyond the format's range and were {action}: {key} = "
                     f"{decimal(exact)} became {decimal(became)}")
            if not self.fmt.is_float:
                text += f" (int_bits: {int_bits_holding(self.fmt, exact)} would hold it)"
        return text
