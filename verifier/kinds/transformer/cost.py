"""What a transformer costs to lower, for the size guard: an upper estimate of the
gates of its lowering (`--method auto` reads the real lowered size, `exhaustive.sat_seconds`)."""

from __future__ import annotations

from ...casefile.limits import MAX_MITER_GATES
from ...core.models import Attention, LayerNorm, Transformer
from ...errors import UserError


def estimate_gates(model: Transformer, n: int) -> int:
    """An upper estimate of the gates that lowering `model` at length n builds,
    for w-bit words: about w^2 gates per product (adders of partial products) —
    per position for every nonzero constant weight, and per pair of positions
    for the scores and weighted values of every head."""
    N = n + (model.bos is not None) + (model.eos is not None)
    fmt = model.number_format
    w = fmt.width + 1  # a float word is its grid index too (docs/lowering.md, floats), at most this wide
    constants, pairs = _nonzero(model.readout.weights), 0
    for block in model.blocks:
        if isinstance(block, Attention):
            for head in block.heads:
                constants += sum(map(_nonzero, (head.wq, head.wk, head.wv, head.wo)))
                pairs += len(head.wq) + len(head.wv)
        elif isinstance(block, LayerNorm):
            constants += 2 * model.d_model
        else:
            constants += _nonzero(block.w1) + _nonzero(block.w2)
    return w * w * (N * (constants + model.d_model * len(model.blocks)) + N * N * pairs)


def _nonzero(values) -> int:
    if values and isinstance(values[0], tuple):
        return sum(map(_nonzero, values))
    return sum(1 for x in values if x != 0)


def size_check(model: Transformer, n: int, path, side) -> None:
    """The transformer at length n must stay under MAX_MITER_GATES."""
    gates = estimate_gates(model, n)
    if gates > MAX_MITER_GATES:
        raise UserError(f"at length {n} the transformer would lower to about {gates:.1e} gates, more than "
                        f"the {MAX_MITER_GATES:.0e} tcverify builds (fewer lengths, d_model or bits)", path, side)
