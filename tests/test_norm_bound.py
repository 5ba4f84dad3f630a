"""The layer-norm quotient bound (kinds/transformer/norm_bound.py) against the exact
evaluator: |c_i / s| within it for every input drawn (exhaustively for tiny formats),
with the enumeration alone and with the analytic tail, and the quotient range holding
the exact y_i before its rounding."""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import pytest

from random_models import random_float_format
from tcverify.core.models import LayerNorm, Readout, Transformer
from tcverify.core.number_format import FloatFormat, NumberFormat
from tcverify.kinds.transformer import norm_bound
from tcverify.kinds.transformer.evaluate import layer_norm

MODES = ("floor", "truncate", "nearest_even")


def formats(seed):
    rng = random.Random(seed)
    if seed % 2:
        fmt = random_float_format(rng, significand_bits=(1, 4), exponent_min=(-5, 0), top=3)
    else:
        fmt = NumberFormat(rng.randint(2, 4), rng.randint(0, 4), rng.choice(MODES))
    pfmt = rng.choice((fmt, NumberFormat(3, rng.randint(0, 6), rng.choice(MODES)), random_float_format(rng)))
    return rng, fmt, pfmt


def inputs(rng, fmt, d):
    """Every vector of the format's values for tiny formats, else random and structured ones:
    equal components (variance 0), one nonzero component, the extremes (saturation)."""
    values = sorted({fmt.round_k(k) for k in range(fmt.kmin, fmt.kmax + 1)}) if fmt.kmax < 64 else None
    if values is not None and len(values) ** d <= 4096:
        yield from itertools.product(values, repeat=d)
        return
    pick = (lambda: rng.choice(values)) if values else (lambda: fmt.round_k(rng.randint(fmt.kmin, fmt.kmax)))
    for _ in range(1500):
        yield tuple(pick() for _ in range(d))
    for k in (pick() for _ in range(20)):
        yield (k,) * d
        yield (k,) + (0,) * (d - 1)
    yield (fmt.kmax,) * (d - 1) + (fmt.kmin,)


def check(fmt, pfmt, d, epsilon, rng):
    model = Transformer("<ln>", fmt, pfmt, d, {}, (), Readout("threshold", ((0,) * d,), (0,)))
    squares_hi = d * (fmt.kmax - fmt.kmin) ** 2
    bound = norm_bound.ratio_bound.__wrapped__(fmt, pfmt.frac_bits, d, epsilon, squares_hi)
    assert bound is not None
    gamma = tuple(pfmt.round_k(rng.randint(-2 * pfmt.scale, 2 * pfmt.scale)) for _ in range(d))
    beta = tuple(pfmt.round_k(rng.randint(-2 * pfmt.scale, 2 * pfmt.scale)) for _ in range(d))
    F, P = fmt.frac_bits, pfmt.frac_bits
    worst = Fraction(0)
    for x in inputs(rng, fmt, d):
        _, (mu, v, s) = layer_norm(model, LayerNorm(gamma, beta, epsilon), list(x))
        if s == 0:
            continue
        for i, xi in enumerate(x):
            c = xi - mu
            worst = max(worst, Fraction(c * c, s * s))
            assert c * c <= bound * s * s, (x, mu, v, s, bound)
            lo, hi = norm_bound.quotient_range(bound, gamma[i], beta[i], F, P)
            exact = Fraction(gamma[i] * c + beta[i] * s, s) * Fraction(2) ** (F - P)
            assert lo <= exact <= hi, (x, i, lo, exact, hi)
    return bound, worst


@pytest.mark.parametrize("seed", range(16))
def test_the_bound_holds_on_every_input(seed):
    rng, fmt, pfmt = formats(seed)
    for d in (1, 2, 3, 4):
        epsilon = pfmt.round_k(rng.randint(0, pfmt.scale)) if rng.random() < 0.5 else 0
        check(fmt, pfmt, d, epsilon, rng)


@pytest.mark.parametrize("seed", range(8))
def test_the_analytic_tail_holds(seed, monkeypatch):
    """Two enumerated variances only: the analytic bound covers the rest (where it exists:
    a float format needs 2 significand bits)."""
    monkeypatch.setattr(norm_bound, "ENUMERATED_VARIANCES", 2)
    rng = random.Random(500 + seed)
    fmt = (NumberFormat(rng.randint(3, 5), rng.randint(2, 5), rng.choice(MODES)) if seed % 2 else
           FloatFormat(rng.randint(2, 4), rng.randint(-6, -3), rng.randint(1, 3), rng.choice(MODES)))
    pfmt = NumberFormat(3, rng.randint(0, 6), rng.choice(MODES))
    d, epsilon = rng.randint(2, 4), pfmt.round_k(rng.randint(0, pfmt.scale))
    tail, _ = check(fmt, pfmt, d, epsilon, rng)
    monkeypatch.setattr(norm_bound, "ENUMERATED_VARIANCES", 10 ** 6)
    every, _ = check(fmt, pfmt, d, epsilon, rng)
    assert every <= tail  # the tail bounds the maximum over the variances it covers from above


def test_the_bound_is_near_sqrt_d_in_fixed_point():
    """With a variance of many grid steps the roundings barely move the bound from d:
    c_i^2 <= sum c^2 = d v, up to the roundings (I = 12, F = 8, |x| <= 8, epsilon 1/4). A
    saturated variance (|x| up to 2^11) bounds nothing near d."""
    fmt = NumberFormat(12, 8, "nearest_even")
    assert 8 <= norm_bound.ratio_bound.__wrapped__(fmt, 8, 8, 64, 8 * (16 << 8) ** 2) < Fraction(82, 10)
    assert norm_bound.ratio_bound.__wrapped__(fmt, 8, 8, 64, 8 * (fmt.kmax - fmt.kmin) ** 2) > 1000
