"""Size guards: what a case may ask for, checked before any work starts, so an
absurd case (a typo like `lengths: 1000000000`) is a one-line UserError naming
the key instead of a hang. The spec sets no limits; these are tcverify's
(README, "Limits"; docs/case-format.md).

- `MAX_LENGTH`: the longest input length (`prove/validate --max-length` raise it).
- `MAX_WORD_BITS`: int_bits + frac_bits of a number format, and exp_frac_bits.
- `MAX_PARAMETERS`: parameters per model, counted while reading, a matrix before
  any of its rows is converted (YAML aliases can repeat a row a million times in
  a few bytes).
- `MAX_NETLIST_GATES`: gates of one netlist (a file, a builder's result).
- `MAX_MITER_GATES`: an upper estimate of the IR gates of a transformer's miter
  at one length (`estimate_gates`); far above what lowers in an hour.
"""

from __future__ import annotations

from ..errors import UserError
from .models import Attention, Case, Transformer

MAX_LENGTH = 1000
MAX_WORD_BITS = 64
MAX_PARAMETERS = 1_000_000
MAX_NETLIST_GATES = 5_000_000
MAX_MITER_GATES = 5 * 10 ** 8


def check_length_cap(case: Case, max_length: int = MAX_LENGTH) -> None:
    longest = max(case.lengths)
    if longest > max_length:
        raise UserError(f"the length {longest} is above the cap of {max_length} "
                        "(`--max-length` raises it; see README, Limits)", case.path, "lengths")


def check_word_bits(bits: int, path, key) -> int:
    if bits > MAX_WORD_BITS:
        raise UserError(f"{bits} bits are more than the {MAX_WORD_BITS} tcverify supports", path, key)
    return bits


def count_parameters(count: int, path, key) -> int:
    """`count` parameters read so far in one model (raises past MAX_PARAMETERS)."""
    if count > MAX_PARAMETERS:
        raise UserError(f"the model has more than {MAX_PARAMETERS:,} parameters", path, key)
    return count


def check_netlist_size(gates: int, source, key) -> None:
    if gates > MAX_NETLIST_GATES:
        raise UserError(f"{gates:,} gates are more than the {MAX_NETLIST_GATES:,} of one netlist", source, key)


def estimate_gates(model: Transformer, n: int) -> int:
    """An upper estimate of the gates that lowering `model` at length n builds,
    for w-bit words: about w^2 gates per product (adders of partial products) —
    per position for every nonzero constant weight, and per pair of positions
    for the scores and weighted values of every head."""
    N = n + (model.bos is not None) + (model.eos is not None)
    w = model.number_format.int_bits + model.number_format.frac_bits + 1
    constants, pairs = _nonzero(model.readout.weights), 0
    for block in model.blocks:
        if isinstance(block, Attention):
            for head in block.heads:
                constants += sum(map(_nonzero, (head.wq, head.wk, head.wv, head.wo)))
                pairs += len(head.wq) + len(head.wv)
        else:
            constants += _nonzero(block.w1) + _nonzero(block.w2)
    return w * w * (N * (constants + model.d_model * len(model.blocks)) + N * N * pairs)


def _nonzero(values) -> int:
    if values and isinstance(values[0], tuple):
        return sum(map(_nonzero, values))
    return sum(1 for x in values if x != 0)


def check_miter_size(case: Case) -> None:
    """The transformers of `case` at its longest length must stay under MAX_MITER_GATES."""
    n = max(case.lengths)
    for side in ("left", "right"):
        model = getattr(case, side)
        if isinstance(model, Transformer):
            gates = estimate_gates(model, n)
            if gates > MAX_MITER_GATES:
                raise UserError(f"at length {n} the transformer would lower to about {gates:.1e} gates, more than "
                                f"the {MAX_MITER_GATES:.0e} tcverify builds (fewer lengths, d_model or bits)",
                                case.path, side)


def check_size(case: Case, max_length: int = MAX_LENGTH) -> None:
    """Every guard that needs the whole case (the others apply while loading)."""
    check_length_cap(case, max_length)
    check_miter_size(case)
