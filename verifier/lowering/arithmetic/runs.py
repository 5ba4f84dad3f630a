"""Runs of a function of a word: the distinct output levels and the breakpoints
between them, `[(start, value), ...]` with starts ascending from the range's lower
end and neighbouring values different. f(q) = value of the last run with start <= q.

A word g(q) is built from the runs alone (`Arithmetic.lookup`): each bit changes
only at a breakpoint, so the cost follows the number of levels, never the width of
the range. The runs of a function are found by exact bisection on pieces where the
caller declares it monotone: on a monotone piece, f(a) == f(b) proves f constant on
[a, b], so O(levels * log(range)) evaluations find every breakpoint.

A piece is `(first, last, direction)`: f is non-decreasing (+1) or non-increasing
(-1) on the integers [first, last], or 0: nothing is known and f is evaluated on
every integer of the piece; None is an unbounded end. The pieces are given
in order and must cover the range asked for. `EVERY_VALUE` instead of pieces says
that f has none: it is evaluated on every integer of the range. Where the spec's functions are
monotone (`activation_pieces`): relu, identity, step, sigmoid, tanh and exp are
non-decreasing; gelu and gelu_new decrease down to their minimum (x* = -0.7518,
-0.7525) and increase after it, split at the grid point below x*; the softmax weight X(delta) of a
non-positive difference, and rounding and saturation, are non-decreasing. Wrapping
overflow is not monotone: under `overflow: wrap`, relu, identity and gelu(_new) are
monotone only on inputs inside the format (outside, pieces of direction 0), and
a function that can leave the format's range on any input (exp; step, sigmoid
and tanh at int_bits 1) is EVERY_VALUE.

The float64 activations are monotone as computed on every format tested
exhaustively (tests/test_arithmetic.py reads every grid value of a 16-bit and
two 12-bit formats); beyond those, monotonicity of the rounded float64 result
is an assumption of the construction, and each bisection step checks
f(a) <= f(mid) <= f(b) (for +1) on the way.
"""

from __future__ import annotations

import math
from typing import Callable, Optional

from ...core.number_format import NumberFormat

Piece = tuple  # (first: Optional[int], last: Optional[int], direction: +1 | -1)
NON_DECREASING: tuple = ((None, None, 1),)
NON_INCREASING: tuple = ((None, None, -1),)
SOFTMAX_X_PIECES = NON_DECREASING  # X(min(d, 0)) is non-decreasing in d
EVERY_VALUE = "every value"  # instead of pieces: f has no known monotone pieces, evaluate it everywhere
ENUMERATION_LIMIT = 1 << 16  # values of f computed one by one when no pieces are declared

_NON_DECREASING_ACTIVATIONS = ("identity", "relu", "step", "sigmoid", "tanh", "exp")


def runs(f: Callable[[int], int], lo: int, hi: int, pieces) -> list:
    """The runs of f on [lo, hi], found by bisection on each declared monotone piece."""
    out = []
    for a, b, direction in _clip(pieces, lo, hi):
        if direction == 0:
            _append_runs(out, enumerated_runs(f, a, b, None))
            continue
        fa = int(f(a))
        _append_runs(out, [(a, fa)])
        _bisect(f, a, fa, b, int(f(b)), direction, out)
    return out


def _append_runs(out: list, more: list) -> None:
    """out followed by the runs `more` of the next integers, equal neighbours merged."""
    for start, value in more:
        if not out or out[-1][1] != value:
            out.append((start, value))


def enumerated_runs(f: Callable[[int], int], lo: int, hi: int, limit: Optional[int] = ENUMERATION_LIMIT) -> list:
    """The runs of any f on [lo, hi], evaluating f on every integer (at most `limit` of them
    unless limit is None)."""
    assert limit is None or hi - lo < limit, (
        f"a lookup over {hi - lo + 1} values needs the monotone pieces of its function (pieces=...)")
    out = []
    for q in range(lo, hi + 1):
        value = int(f(q))
        if not out or out[-1][1] != value:
            out.append((q, value))
    return out


def map_runs(runs_, g: Callable[[int], int]) -> list:
    """The runs of g(f) from the runs of f (g applied to each level, equal neighbours merged)."""
    out = []
    for start, value in runs_:
        value = g(value)
        if not out or out[-1][1] != value:
            out.append((start, value))
    return out


def activation_pieces(name: str, fmt: NumberFormat):
    """The monotone pieces of `activation_k(name, ., fmt)` on all integers (see the module
    docstring for wrapping overflow)."""
    if name not in _NON_DECREASING_ACTIVATIONS + ("gelu", "gelu_new"):
        raise ValueError(f"unknown activation {name!r}")
    wrap = fmt.overflow == "wrap"
    if wrap and (name == "exp" or (name in ("step", "sigmoid", "tanh") and fmt.kmax < fmt.scale)):
        return EVERY_VALUE
    if name in ("gelu", "gelu_new"):
        split = math.floor((gelu_argmin() if name == "gelu" else gelu_new_argmin()) * fmt.scale)
        pieces = ((None, split, -1), (split + 1, None, 1))
    else:
        pieces = NON_DECREASING
    if wrap and name in ("relu", "identity", "gelu", "gelu_new"):  # monotone on the format's inputs only
        inside = tuple((max(fmt.kmin, a if a is not None else fmt.kmin), min(fmt.kmax, b if b is not None else fmt.kmax), d)
                       for a, b, d in pieces)
        return ((None, fmt.kmin - 1, 0),) + inside + ((fmt.kmax + 1, None, 0),)
    return pieces


def gelu_argmin() -> float:
    """x* with gelu'(x*) = Phi(x*) + x* phi(x*) = 0 (about -0.75179), by bisection on the sign
    of the derivative in [-1, -1/2], where it goes from negative to positive."""
    a, b = -1.0, -0.5
    while b - a > 1e-15:
        m = (a + b) / 2
        slope = 0.5 * (1.0 + math.erf(m / math.sqrt(2.0))) + m * math.exp(-m * m / 2) / math.sqrt(2 * math.pi)
        a, b = (a, m) if slope > 0 else (m, b)
    return a


def gelu_new_argmin() -> float:
    """x* where gelu_new (0.5 x (1 + tanh(u)), u = c (x + 0.044715 x^3), c = sqrt(2/pi)) has its
    minimum (about -0.75246): bisection on the sign of its derivative
    0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) c (1 + 3 * 0.044715 x^2) in [-1, -1/2]."""
    c = math.sqrt(2.0 / math.pi)
    a, b = -1.0, -0.5
    while b - a > 1e-15:
        m = (a + b) / 2
        t = math.tanh(c * (m + 0.044715 * m ** 3))
        slope = 0.5 * (1.0 + t) + 0.5 * m * (1.0 - t * t) * c * (1.0 + 3 * 0.044715 * m * m)
        a, b = (a, m) if slope > 0 else (m, b)
    return a


def _clip(pieces, lo: int, hi: int) -> list:
    """The pieces restricted to [lo, hi]; they must cover it, in order."""
    clipped, expect = [], lo
    for first, last, direction in pieces:
        assert direction in (1, -1, 0), f"a piece's direction is +1, -1 or 0, not {direction!r}"
        a = lo if first is None else max(first, lo)
        b = hi if last is None else min(last, hi)
        if a > b:
            continue
        assert a == expect, f"the monotone pieces leave [{expect}, {a - 1}] uncovered"
        clipped.append((a, b, direction))
        expect = b + 1
    assert expect == hi + 1, f"the monotone pieces leave [{expect}, {hi}] uncovered"
    return clipped


def _bisect(f, a: int, fa: int, b: int, fb: int, direction: int, out: list) -> None:
    """Append the runs starting in (a, b], f monotone on [a, b] and out ending with f(a)."""
    if fa == fb:
        return
    assert (fb - fa) * direction > 0, f"f is not monotone ({direction:+d}) on [{a}, {b}]: f({a})={fa}, f({b})={fb}"
    if b == a + 1:
        out.append((b, fb))
        return
    mid = (a + b) // 2
    fm = int(f(mid))
    _bisect(f, a, fa, mid, fm, direction, out)
    _bisect(f, mid, fm, b, fb, direction, out)
