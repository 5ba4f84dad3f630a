"""Size guards: what a case may ask for, checked before any work starts, so an
absurd case (a typo like `lengths: 1000000000`) is a one-line UserError naming
the key instead of a hang. The spec sets no limits; these are tcverify's
(README, "Limits"; docs/case-format.md).

- `MAX_LENGTH`: the longest input length (`prove/validate --max-length` raise it).
- `MAX_WORD_BITS`: int_bits + frac_bits of a number format, significand_bits of a
  float format, and exp_frac_bits.
- `MAX_FLOAT_GRID_BITS`: the bits of a float format's grid index (P + exponent_max
  - exponent_min + 1: every value as a multiple of 2^exponent_min, the exact
  evaluators' datapath); paper_float up to 24 and FP64's range fit.
- `MAX_PARAMETERS`: parameters per model, counted while reading, a matrix before
  any of its rows is converted (YAML aliases can repeat a row a million times in
  a few bytes).
- `MAX_NETLIST_GATES`: gates of one netlist (a file, a builder's result).
- `MAX_MITER_GATES`: an upper estimate of the IR gates of a transformer's miter
  at one length (each kind's `size_check`), for absurd cases only (d_model 64,
  8 blocks at n = 1000: about 1e12). The estimate (w^2 per product) knows nothing
  of the lowering's folding, rewriting and count forms, which build Tracr's
  Shuffle-Dyck-1 (len 32) at n = 32, estimated 5.5e8, in about 11k clauses: the
  cap sits far above what real models are estimated at.
"""

from __future__ import annotations

from ..errors import UserError
from ..core.models import Case

MAX_LENGTH = 1000
MAX_WORD_BITS = 64
MAX_FLOAT_GRID_BITS = 4200
MAX_PARAMETERS = 1_000_000
MAX_NETLIST_GATES = 5_000_000
MAX_MITER_GATES = 10 ** 10


def check_length_cap(case: Case, max_length: int = MAX_LENGTH) -> None:
    longest = max(case.lengths)
    if longest > max_length:
        raise UserError(f"the length {longest} is above the cap of {max_length} "
                        "(`--max-length` raises it; see README, Limits)", case.path, "lengths")


def check_word_bits(bits: int, path, key) -> int:
    if bits > MAX_WORD_BITS:
        raise UserError(f"{bits} bits are more than the {MAX_WORD_BITS} tcverify supports", path, key)
    return bits


def check_float_grid(bits: int, path, key) -> int:
    if bits > MAX_FLOAT_GRID_BITS:
        raise UserError(f"the float format spans {bits} bits from its smallest to its largest value, more than "
                        f"the {MAX_FLOAT_GRID_BITS} tcverify supports (a narrower exponent range)", path, key)
    return bits


def count_parameters(count: int, path, key) -> int:
    """`count` parameters read so far in one model (raises past MAX_PARAMETERS)."""
    if count > MAX_PARAMETERS:
        raise UserError(f"the model has more than {MAX_PARAMETERS:,} parameters", path, key)
    return count


def check_netlist_size(gates: int, source, key) -> None:
    if gates > MAX_NETLIST_GATES:
        raise UserError(f"{gates:,} gates are more than the {MAX_NETLIST_GATES:,} of one netlist", source, key)
