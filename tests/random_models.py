"""Random small transformers for differential tests (batch vs exact, lowering vs
exact). Every parameter is a grid index on its param_format grid, as the loader gives
(for a float param_format, a value of that format)."""

from __future__ import annotations

import dataclasses
import random

from tcverify.core.models import Attention, Head, LayerNorm, Mlp, Positional, Readout, Transformer
from tcverify.core.number_format import OVERFLOW_MODES, ROUNDING_MODES, FloatFormat, NumberFormat

HEAD_TYPES = ("softmax", "hard", "average")
ACTIVATIONS = ("relu", "identity", "step", "sigmoid", "tanh", "gelu", "gelu_new", "exp")


def random_format(rng: random.Random, int_bits=(2, 4), frac_bits=(0, 3)) -> NumberFormat:
    return NumberFormat(rng.randint(*int_bits), rng.randint(*frac_bits), rng.choice(ROUNDING_MODES), rng.choice(OVERFLOW_MODES))


def random_float_format(rng: random.Random, significand_bits=(1, 4), exponent_min=(-6, 0), top=3) -> FloatFormat:
    """A small float format (spec 2.1) that represents 1: exponent_max in
    [max(exponent_min, 1 - P), top]."""
    bits = rng.randint(*significand_bits)
    low = rng.randint(*exponent_min)
    return FloatFormat(bits, low, rng.randint(max(low, 1 - bits), max(top, low, 1 - bits)), rng.choice(ROUNDING_MODES))


def random_transformer(
    rng: random.Random,
    alphabet,
    *,
    d_model=None,
    n_blocks=None,
    head_types=HEAD_TYPES,
    masks=("causal", "none"),
    activations=ACTIVATIONS,
    bos=None,
    eos=None,
    positional=None,
    max_length=8,
    number_format=None,
    param_format=None,
    tied_scores=0.0,
    classes=None,
    layer_norms=0.0,
) -> Transformer:
    """A random transformer over `alphabet`. Unset options are drawn at random:
    `d_model` 1-3, 1-3 blocks (attention with 1-2 heads of `head_types`, or an mlp
    with one of `activations`), `bos`/`eos` each present or not (pass a token or
    False to force), `positional` "none" or "table" (rows for strings up to
    `max_length`), formats from `random_format` (param grid coarser or finer).
    `classes` (a number) gives an argmax readout over that many classes, with a random
    accepted set or (half the time) one bit per class; else a threshold readout. With
    probability `tied_scores` a head has W_Q = b_Q = 0, so that all its scores tie.
    With probability `layer_norms` a block is a layer norm of its own, and with the
    same probability an attention or mlp block has a pre-norm (`norm`)."""
    fmt = number_format or random_format(rng)
    if layer_norms and fmt.overflow == "wrap":  # layer norm needs saturation (a load error otherwise)
        fmt = dataclasses.replace(fmt, overflow="saturate")
    pfmt = param_format or (fmt if rng.random() < 0.5 else random_format(rng))
    d = d_model or rng.randint(1, 3)
    if bos is None:
        bos = "<s>" if rng.random() < 0.5 else False
    if eos is None:
        eos = "</s>" if rng.random() < 0.3 else False
    bos, eos = bos or None, eos or None
    span = min(pfmt.kmax, 3 << pfmt.frac_bits)  # parameters in about [-3, 3]

    def value():
        return pfmt.round_k(rng.randint(max(pfmt.kmin, -span), span))  # a value of a float format too

    def layer_norm():
        return LayerNorm(vector(d), bias(d), abs(value()) if rng.random() < 0.5 else 0)

    def vector(n):
        return tuple(value() for _ in range(n))

    def matrix(rows, cols):
        return tuple(vector(cols) for _ in range(rows))

    def bias(n):
        return vector(n) if rng.random() < 0.5 else (0,) * n

    def softmax_bits():  # a float format's weights are on its own grid (spec 2.1)
        return fmt.frac_bits if fmt.is_float else rng.randint(0, 4)

    tokens = list(alphabet) + [t for t in (bos, eos) if t is not None]
    embedding = {t: vector(d) for t in dict.fromkeys(tokens)}
    kind = positional or rng.choice(("none", "table"))
    if kind == "table":
        pos = Positional("table", table=matrix(max_length + 2, d))
    else:
        pos = Positional()
    blocks = []
    for _ in range(n_blocks or rng.randint(1, 3)):
        residual = rng.random() < 0.8
        if layer_norms and rng.random() < layer_norms:
            blocks.append(layer_norm())
            continue
        norm = layer_norm() if layer_norms and rng.random() < layer_norms else None
        if rng.random() < 0.6:
            heads = []
            for _ in range(rng.randint(1, 2)):
                kind = rng.choice(head_types)
                dk, dv = rng.randint(1, 2), rng.randint(1, 2)
                tied = tied_scores > 0 and rng.random() < tied_scores
                wq = ((0,) * d,) * dk if tied else matrix(dk, d)
                bq = (0,) * dk if tied else bias(dk)
                heads.append(Head(kind, rng.choice(masks), wq, matrix(dk, d), matrix(dv, d), matrix(d, dv),
                                  bq, bias(dk), bias(dv),
                                  tie=rng.choice(("leftmost", "rightmost")) if kind == "hard" else "leftmost",
                                  exp_frac_bits=softmax_bits() if kind == "softmax" else None))
            blocks.append(Attention(tuple(heads), bias(d), residual, norm))
        else:
            hidden = rng.randint(1, 3)
            blocks.append(Mlp(matrix(hidden, d), bias(hidden), rng.choice(activations), matrix(d, hidden), bias(d),
                              residual, norm))
    if classes:
        accept = tuple(sorted(rng.sample(range(classes), rng.randint(1, classes)))) if rng.random() < 0.5 else None
        readout = Readout("argmax", matrix(classes, d), bias(classes), accept, tuple(str(c) for c in range(classes)))
    else:
        readout = Readout("threshold", (vector(d),), (value(),))
    return Transformer("<random>", fmt, pfmt, d, embedding, tuple(blocks), readout, pos, bos, eos)


def position_only_transformer(rng: random.Random, alphabet, head_type: str, mask: str, *, max_length=12,
                              number_format=None) -> Transformer:
    """A Tracr-like model whose heads' scores depend on positions alone (issue 21): dims
    (token, two positional dims, output); two attention blocks whose Q and K read only the
    positional dims (so every score is a constant per (query, key)), the first one's V the
    token dim, the second one's V the output dim the first wrote; each head has a second
    value dim whose column of wo is zero; an MLP on the output dim between them; a
    threshold readout of the output dim."""
    fmt = number_format or random_format(rng, int_bits=(4, 6), frac_bits=(2, 5))
    pfmt = fmt
    span = 3 << pfmt.frac_bits

    def value(scale=1):
        return pfmt.round_k(rng.randint(-span * scale, span * scale))

    def positional_reader(rows):  # reads dims 1 and 2 only
        return tuple((0, value(2), value(2), 0) for _ in range(rows))

    def head(reads: int):
        wv = (tuple(value() if c == reads else 0 for c in range(4)), tuple(value() for _ in range(4)))
        wo = ((0, 0), (0, 0), (0, 0), (value() or 1 << pfmt.frac_bits, 0))  # the second value dim is unused
        return Head(head_type, mask, positional_reader(2), positional_reader(2), wv, wo,
                    (value(), 0), (0, value()), (value(), value()),
                    tie=rng.choice(("leftmost", "rightmost")) if head_type == "hard" else "leftmost",
                    exp_frac_bits=rng.randint(0, 4) if head_type == "softmax" else None)

    embedding = {a: (value(), 0, 0, 0) for a in alphabet}
    embedding["<s>"] = (0, 0, 0, 0)
    one = 1 << pfmt.frac_bits  # positional dims of 0 and 1 only: many scores tie, many weights are nonzero
    pos = Positional("table", table=tuple((0, rng.choice((0, one)), rng.choice((0, one)), 0) for _ in range(max_length + 1)))
    mlp = Mlp(((0, 0, 0, value()),), (value(),), rng.choice(("relu", "step")), ((0,), (0,), (0,), (value(),)), (0,) * 4)
    blocks = (Attention((head(0),), (0,) * 4), mlp, Attention((head(3),), (0,) * 4))
    readout = Readout("threshold", ((0, 0, 0, 1 << pfmt.frac_bits),), (value(),))
    return Transformer("<position-only>", fmt, pfmt, 4, embedding, blocks, readout, pos, "<s>", None)
