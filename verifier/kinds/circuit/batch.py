"""Batch evaluator of circuits: netlists on many strings at once (built-ins through
their netlists, so this also checks the built-in netlists against the direct
evaluator)."""

from __future__ import annotations

import numpy as np

from ...core.models import Circuit, Netlist
from ...core.number_format import INT64_SAFE

def run_netlist_batch(netlist: Netlist, words: np.ndarray) -> np.ndarray:
    """Bits [B, outputs] (bool) of a validated netlist on symbol-index strings."""
    B = words.shape[0]
    values = {}
    for i in range(netlist.length):
        for s, a in enumerate(netlist.alphabet):
            values[f"x[{i}][{a}]"] = words[:, i] == s
    for gate in netlist.gates:
        out = _NETLIST_BATCH[gate.op](gate, [values[name] for name in gate.inputs], B)
        values[gate.id] = np.asarray(out, dtype=bool)
    if not netlist.outputs:
        return np.zeros((B, 0), dtype=bool)
    return np.stack([values[name] for name in netlist.outputs], axis=1)


def _threshold_batch(gate, ins, B):
    dtype = np.int64 if sum(abs(w) for w in gate.weights) + abs(gate.t) < INT64_SAFE else object
    total = np.zeros(B, dtype=dtype)
    for w, v in zip(gate.weights, ins):
        total = total + v.astype(dtype) * w
    return total >= gate.t


# netlist op -> (gate, input bit arrays [B], B) -> bit array [B]
_NETLIST_BATCH = {
    "const": lambda gate, ins, B: np.full(B, bool(gate.value)),
    "not": lambda gate, ins, B: ~ins[0],
    "and": lambda gate, ins, B: np.logical_and.reduce(ins) if ins else np.ones(B, dtype=bool),
    "or": lambda gate, ins, B: np.logical_or.reduce(ins) if ins else np.zeros(B, dtype=bool),
    "xor": lambda gate, ins, B: np.logical_xor.reduce(ins) if ins else np.zeros(B, dtype=bool),
    "majority": lambda gate, ins, B: 2 * sum((v.astype(np.int64) for v in ins), np.zeros(B, dtype=np.int64)) > len(ins),
    "threshold": _threshold_batch,
}


def run_batch(model: Circuit, words: np.ndarray, alphabet, outputs: str) -> np.ndarray:
    """Output bits [B, bits] (bool) on the strings `words` [B, n] (symbol indices)."""
    return run_netlist_batch(model.netlist(words.shape[1]), words)
