"""The functions every evaluator and the lowering share (spec 2.1, 3.3 and 7): the
softmax weight X(delta) (fixed point and float formats) and the activations on
grid indices, as exact tables so
that the exact evaluator, the batch evaluator and the SAT lowering agree.
"""

from __future__ import annotations

import functools
import math
from decimal import Decimal, localcontext
from fractions import Fraction

from ..core.number_format import FloatFormat, NumberFormat

GELU_NEW_C = math.sqrt(2.0 / math.pi)  # gelu_new, GPT-2's tanh form of gelu (TransformerLens's act_fn)


@functools.lru_cache(maxsize=None)
def softmax_x(delta_k: int, frac_bits: int, exp_frac_bits: int) -> int:
    """Grid index (on the 2^-exp_frac_bits grid) of X(delta) = e^delta rounded to
    nearest, ties to even, for delta = delta_k * 2^-frac_bits <= 0 (spec 3.3).

    e^delta is irrational for rational delta != 0, so a tie cannot occur; the value
    is computed with `decimal` at growing precision until the rounding is certain."""
    if delta_k > 0:
        raise ValueError("softmax_x needs delta <= 0")
    if delta_k == 0:
        return 1 << exp_frac_bits
    # e^delta * 2^E < 1/2 once delta < -(E + 2), since 2/e < 1 and e^-2 < 1/2
    if delta_k < -(exp_frac_bits + 2) << frac_bits:
        return 0
    digits = 60
    while True:
        with localcontext() as ctx:
            ctx.prec = digits + 10
            scaled = (Decimal(delta_k) / Decimal(1 << frac_bits)).exp() * (1 << exp_frac_bits)
            low = int(scaled.to_integral_value(rounding="ROUND_FLOOR"))
            rest = scaled - low
            margin = Decimal(10) ** (-digits + 3) * max(Decimal(1), scaled)
            if abs(rest - Decimal("0.5")) > margin:
                return low + (rest > Decimal("0.5"))
        digits *= 2


@functools.lru_cache(maxsize=None)
def softmax_x_float(delta_k: int, fmt: FloatFormat) -> int:
    """Grid index (on the format's own 2^-F grid) of X(delta) = R(e^delta) in the
    float format `fmt`, by its rounding mode (spec 2.1), for delta = delta_k * 2^-F <= 0.

    e^delta is irrational for delta != 0, so it is never a boundary of R (a value
    of the format or a midpoint): an interval around it, narrowed with `decimal`
    until R (monotone) gives both ends the same value, decides R exactly."""
    if delta_k > 0:
        raise ValueError("softmax_x_float needs delta <= 0")
    F = fmt.frac_bits
    if delta_k == 0:
        return fmt.R(1)
    # e^delta < 2^-(F+1), half the smallest spacing, once delta < -(F + 1): R gives 0 in every mode
    if delta_k < -(F + 1) << F:
        return 0
    digits = 40
    while True:
        with localcontext() as ctx:
            ctx.prec = digits
            delta = Decimal(delta_k) / Decimal(1 << F)
            scaled = Fraction(delta.exp() * (1 << F))  # e^delta * 2^F, each step correctly rounded
        # three roundings of relative error 10^(1-digits) each, the first one scaled by |delta|
        slack = Fraction(int(-delta) + 4, 10 ** (digits - 2))
        low, high = scaled * (1 - slack), scaled * (1 + slack)
        k = fmt.round_k(low.numerator, low.denominator)
        if k == fmt.round_k(high.numerator, high.denominator):
            return k
        digits *= 2


def softmax_k(delta_k: int, fmt, exp_frac_bits: int) -> int:
    """X(delta) for a softmax head (spec 3.3 and 2.1) on its 2^-exp_frac_bits grid:
    e^delta to nearest on that grid for fixed point, the float format's own R(e^delta)
    for a float one (where exp_frac_bits is its F)."""
    if fmt.is_float:
        return softmax_x_float(delta_k, fmt)
    return softmax_x(delta_k, fmt.frac_bits, exp_frac_bits)


def _sigmoid(x: float) -> float:
    """The spec's float64 sigmoid (section 7): the two formulas by sign of x."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    t = math.exp(x)
    return t / (1.0 + t)


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


_FLOAT_ACTIVATIONS = {
    "sigmoid": _sigmoid,
    "tanh": math.tanh,
    "gelu": lambda x: 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0))),
    "gelu_new": lambda x: 0.5 * x * (1.0 + math.tanh(GELU_NEW_C * (x + 0.044715 * (x * x * x)))),
    "exp": _exp,
}


@functools.lru_cache(maxsize=None)
def activation_k(name: str, k: int, fmt: NumberFormat) -> int:
    """Grid index of act(x) for x = k * 2^-F (spec 3.3 and 7): relu, identity and
    step exactly (then R), the others as R of the float64 result's exact value; a
    float64 overflow to +-inf becomes the format's largest or smallest value."""
    if name == "relu":
        return fmt.R(Fraction(max(k, 0), fmt.scale))
    if name == "identity":
        return fmt.R(Fraction(k, fmt.scale))
    if name == "step":
        return fmt.R(1 if k > 0 else 0)
    y = _FLOAT_ACTIVATIONS[name](float(Fraction(k, fmt.scale)))
    if math.isinf(y):
        return fmt.kmax if y > 0 else fmt.kmin
    return fmt.R(Fraction(y))
