"""The model kinds, registered in one place.

A kind is one room, `kinds/<kind>/`: `load.py` (the case-file mapping into a
`core.models` dataclass), `evaluate.py` (the exact reference semantics),
`batch.py` (many strings at once, exact, numpy) and `lower.py` (into the gate
IR at one length), plus the few facts the pipeline asks of every model
(`ModelKind`). Adding a kind is a new room and one line in `KINDS`; nothing
outside the room names it (docs/architecture.md has the recipe).
"""

from __future__ import annotations

import numpy as np

from ..core.ir import GateCircuit
from . import circuit, dfa, rasp, transformer
from .kind import UNDEFINED, ModelKind

__all__ = ["KINDS", "KEYS", "ModelKind", "UNDEFINED", "kind_of", "kind_named", "run", "run_batch", "lower_model",
           "lower_model_care"]


KINDS = (transformer.KIND, circuit.KIND, dfa.KIND, rasp.KIND)
KEYS = tuple(kind.key for kind in KINDS)


def kind_of(model) -> ModelKind:
    """The registered kind of a loaded model."""
    for kind in KINDS:
        if isinstance(model, kind.model_type):
            return kind
    raise TypeError(f"not a model: {model!r}")


def kind_named(key: str) -> ModelKind:
    return next(kind for kind in KINDS if kind.key == key)


def run(model, word, alphabet, outputs: str) -> list:
    """The output bits (1 for `last`, n for `every`, times the classes) of any model on one string
    (None: undefined, not compared)."""
    return kind_of(model).run(model, list(word), alphabet, outputs)


def run_batch(model, words: np.ndarray, alphabet, outputs: str) -> np.ndarray:
    """Output bits [B, bits] (uint8; `UNDEFINED` where a bit is not compared) of `model`
    on the strings `words` [B, n] (symbol indices into `alphabet`)."""
    words = np.asarray(words, dtype=np.int64)
    if words.ndim != 2:
        raise ValueError("words must be a [B, n] array of symbol indices")
    return np.asarray(kind_of(model).run_batch(model, words, tuple(alphabet), outputs)).astype(np.uint8)


def lower_model(model, circuit: GateCircuit, outputs: str, style: str = "adder", rewrite: bool = True,
                counts: bool = True) -> list:
    """IR nodes of the model's output bits at length `circuit.length`; `rewrite`: keep
    a transformer's linear forms linear (see `kinds/transformer/lower.py`); `counts`: values
    of one small-range linear form as count forms, comparisons on its shared sum
    (`lowering/counts.py`)."""
    return kind_of(model).lower(model, circuit, outputs, style, rewrite, counts)


def lower_model_care(model, circuit: GateCircuit, outputs: str, style: str = "adder", rewrite: bool = True,
                     counts: bool = True):
    """(output bit nodes, undefined nodes): a bit whose undefined node is 1 is not compared."""
    kind = kind_of(model)
    if kind.lower_care is not None:
        return kind.lower_care(model, circuit, outputs, style, rewrite, counts)
    bits = kind.lower(model, circuit, outputs, style, rewrite, counts)
    return bits, [circuit.false] * len(bits)
