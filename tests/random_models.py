"""Random small transformers for differential tests (batch vs exact, lowering vs
exact). Every parameter is a grid index on its param_format grid, as the loader gives."""

from __future__ import annotations

import random

from tcverify.core.models import Attention, Head, Mlp, Positional, Readout, Transformer
from tcverify.core.number_format import OVERFLOW_MODES, ROUNDING_MODES, NumberFormat

HEAD_TYPES = ("softmax", "hard", "average")
ACTIVATIONS = ("relu", "identity", "step", "sigmoid", "tanh", "gelu", "gelu_new", "exp")


def random_format(rng: random.Random, int_bits=(2, 4), frac_bits=(0, 3)) -> NumberFormat:
    return NumberFormat(rng.randint(*int_bits), rng.randint(*frac_bits), rng.choice(ROUNDING_MODES), rng.choice(OVERFLOW_MODES))


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
) -> Transformer:
    """A random transformer over `alphabet`. Unset options are drawn at random:
    `d_model` 1-3, 1-3 blocks (attention with 1-2 heads of `head_types`, or an mlp
    with one of `activations`), `bos`/`eos` each present or not (pass a token or
    False to force), `positional` "none" or "table" (rows for strings up to
    `max_length`), formats from `random_format` (param grid coarser or finer).
    `classes` (a number) gives an argmax readout over that many classes, with a random
    accepted set or (half the time) one bit per class; else a threshold readout. With
    probability `tied_scores` a head has W_Q = b_Q = 0, so that all its scores tie."""
    fmt = number_format or random_format(rng)
    pfmt = param_format or (fmt if rng.random() < 0.5 else random_format(rng))
    d = d_model or rng.randint(1, 3)
    if bos is None:
        bos = "<s>" if rng.random() < 0.5 else False
    if eos is None:
        eos = "</s>" if rng.random() < 0.3 else False
    bos, eos = bos or None, eos or None
    span = min(pfmt.kmax, 3 << pfmt.frac_bits)  # parameters in about [-3, 3]

    def value():
        return rng.randint(max(pfmt.kmin, -span), span)

    def vector(n):
        return tuple(value() for _ in range(n))

    def matrix(rows, cols):
        return tuple(vector(cols) for _ in range(rows))

    def bias(n):
        return vector(n) if rng.random() < 0.5 else (0,) * n

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
                                  exp_frac_bits=rng.randint(0, 4) if kind == "softmax" else None))
            blocks.append(Attention(tuple(heads), bias(d), residual))
        else:
            hidden = rng.randint(1, 3)
            blocks.append(Mlp(matrix(hidden, d), bias(hidden), rng.choice(activations), matrix(d, hidden), bias(d), residual))
    if classes:
        accept = tuple(sorted(rng.sample(range(classes), rng.randint(1, classes)))) if rng.random() < 0.5 else None
        readout = Readout("argmax", matrix(classes, d), bias(classes), accept, tuple(str(c) for c in range(classes)))
    else:
        readout = Readout("threshold", (vector(d),), (value(),))
    return Transformer("<random>", fmt, pfmt, d, embedding, tuple(blocks), readout, pos, bos, eos)
