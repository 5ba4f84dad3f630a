"""Exact evaluator of DFAs (spec 5): prefix acceptance."""

from __future__ import annotations

from ...core.models import Dfa

def run_dfa(model: Dfa, word, outputs: str) -> list:
    """Prefix acceptance; a missing transition goes to an implicit rejecting sink (None)."""
    state, bits = model.start, []
    for symbol in word:
        state = model.delta.get(state, {}).get(symbol) if state is not None else None
        bits.append(int(state in model.accept))
    if outputs == "every":
        return bits
    return [int(state in model.accept)]


def run(model: Dfa, word, alphabet, outputs: str) -> list:
    """The output bits of one string."""
    return run_dfa(model, list(word), outputs)
