"""Batch evaluator of DFAs: prefix acceptance by table lookup."""

from __future__ import annotations

import numpy as np

from ...core.models import Dfa

def _dfa(model: Dfa, words, alphabet, outputs):
    """Prefix acceptance by table lookup; state index len(states) is the rejecting sink."""
    states = sorted(set(model.delta) | {model.start})
    index = {q: j for j, q in enumerate(states)}
    sink = len(states)
    table = np.full((sink + 1, len(alphabet)), sink, dtype=np.int64)
    for q, moves in model.delta.items():
        for s, a in enumerate(alphabet):
            if a in moves:
                table[index[q], s] = index[moves[a]]
    accepting = np.array([q in model.accept for q in states] + [False])
    state = np.full(words.shape[0], index[model.start], dtype=np.int64)
    bits = []
    for i in range(words.shape[1]):
        state = table[state, words[:, i]]
        bits.append(accepting[state])
    if outputs == "every":
        return np.stack(bits, axis=1) if bits else np.zeros((words.shape[0], 0), dtype=bool)
    return accepting[state][:, None]


def run_batch(model: Dfa, words: np.ndarray, alphabet, outputs: str) -> np.ndarray:
    """Output bits [B, bits] (bool) on the strings `words` [B, n] (symbol indices)."""
    return _dfa(model, words, tuple(alphabet), outputs)
