"""Batch evaluator of circuits: netlists on many strings at once (built-ins through
their netlists, so this also checks the built-in netlists against the direct
evaluator)."""

from __future__ import annotations

import numpy as np

from ...core.models import Circuit, Netlist
from ...core.number_format import INT64_SAFE
from ...core.walker import NetlistWalker


def run_netlist_batch(netlist: Netlist, words: np.ndarray) -> np.ndarray:
    """Bits [B, outputs] (bool) of a validated netlist on symbol-index strings."""
    B = words.shape[0]
    values = {}
    for i in range(netlist.length):
        for s, a in enumerate(netlist.alphabet):
            values[f"x[{i}][{a}]"] = words[:, i] == s
    _BatchGate(B).walk(netlist, values)
    if not netlist.outputs:
        return np.zeros((B, 0), dtype=bool)
    return np.stack([values[name] for name in netlist.outputs], axis=1)


class _BatchGate(NetlistWalker):
    """Each netlist gate's bits on B strings at once (bool arrays [B])."""

    def __init__(self, B: int):
        self.B = B

    def walk_const(self, gate, ins):
        return np.full(self.B, bool(gate.value))

    def walk_not(self, gate, ins):
        return ~ins[0]

    def walk_and(self, gate, ins):
        return np.logical_and.reduce(ins) if ins else np.ones(self.B, dtype=bool)

    def walk_or(self, gate, ins):
        return np.logical_or.reduce(ins) if ins else np.zeros(self.B, dtype=bool)

    def walk_xor(self, gate, ins):
        return np.logical_xor.reduce(ins) if ins else np.zeros(self.B, dtype=bool)

    def walk_majority(self, gate, ins):
        return 2 * sum((v.astype(np.int64) for v in ins), np.zeros(self.B, dtype=np.int64)) > len(ins)

    def walk_threshold(self, gate, ins):
        dtype = np.int64 if sum(abs(w) for w in gate.weights) + abs(gate.t) < INT64_SAFE else object
        total = np.zeros(self.B, dtype=dtype)
        for w, v in zip(gate.weights, ins):
            total = total + v.astype(dtype) * w
        return np.asarray(total >= gate.t, dtype=bool)


def run_batch(model: Circuit, words: np.ndarray, alphabet, outputs: str) -> np.ndarray:
    """Output bits [B, bits] (bool) on the strings `words` [B, n] (symbol indices)."""
    return run_netlist_batch(model.netlist(words.shape[1]), words)
