"""The gate ops, defined once: those of a netlist (spec 4.1) and those of the
gate IR (`core/ir.py`), and how they relate.

Both have `threshold` (1 iff sum w_k in_k >= t), `and`, `or`, `not`, `xor` and
`const`. A netlist's `majority` of m inputs (1 iff more than half are 1) is the
IR's threshold gate with unit weights and t = floor(m/2) + 1
(`majority_threshold`); the IR's `input` is a netlist's wire `x[i][a]`.

Every pass that interprets gates (the evaluators, the lowering, the CNF
encoding, sweeping, the exporters) is a walker (`core/walker.py`, as pySMT's
walkers): a class with one method per op of its kind, checked when the class
is created.
"""

from __future__ import annotations

from typing import Literal, get_args

NetlistOp = Literal["threshold", "majority", "and", "or", "not", "xor", "const"]
IrOp = Literal["input", "const", "not", "and", "or", "xor", "threshold"]

NETLIST_OPS: tuple = get_args(NetlistOp)
IR_OPS: tuple = get_args(IrOp)
SOURCE_OPS = ("input", "const")  # the IR ops with no inputs


def majority_threshold(fan_in: int) -> int:
    """The t of `majority` as a threshold gate: sum >= floor(m/2) + 1 iff 2 sum > m."""
    return fan_in // 2 + 1
