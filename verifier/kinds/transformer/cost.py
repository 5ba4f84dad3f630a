"""What a transformer costs, for `--method auto` and the size guards: the
arithmetic of one exact evaluation and an upper estimate of its lowering."""

from __future__ import annotations

from ...casefile.limits import MAX_MITER_GATES
from ...core.models import Attention, LayerNorm, Transformer
from ...errors import UserError
from . import sequence


def work_per_string(model: Transformer, n: int, outputs: str) -> int:
    """Arithmetic operations of one evaluation at length n: multiply-adds of the
    affine maps, attention scores and weighted sums over all positions."""
    N = sequence.layout(model, n, outputs).N
    d = model.d_model
    per_position = d
    for block in model.blocks:
        if isinstance(block, LayerNorm) or block.norm is not None:
            per_position += 4 * d  # mean, squares, the root, the scaled outputs
        if isinstance(block, LayerNorm):
            continue
        if isinstance(block, Attention):
            for head in block.heads:
                dq, dv = len(head.wq), len(head.wv)
                per_position += d * (2 * dq + dv) + N * (dq + dv) + dv * d
        else:
            per_position += 2 * d * len(block.w1)
    return N * per_position


def gates_estimate(model: Transformer, n: int, outputs: str) -> int:
    """About the gates the model lowers to at length n: each multiply-add is about
    one gate per bit of its words."""
    return work_per_string(model, n, outputs) * model.number_format.width


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
