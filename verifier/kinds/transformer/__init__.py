"""The transformer kind (spec 3): `load.py` (inline or model-file mappings),
`tracr.py` (Tracr exports), `transformerlens.py` (TransformerLens exports),
`sequence.py` (the token layout), `evaluate.py`, `batch.py`, `lower.py`, `cost.py`."""

from __future__ import annotations

from ...core.models import Transformer
from ..kind import ModelKind
from . import batch, cost, evaluate, lower, sequence
from .load import TransformerLoader
from .tracr import load_tracr
from .transformerlens import load_transformerlens


def load(body, path, prefix, alphabet, outputs, warn) -> Transformer:
    """A `transformer:` mapping: a Tracr export (`{tracr: FOLDER}`), a TransformerLens export
    (`{transformerlens: FOLDER}`) or spec 3's mapping."""
    if "tracr" in body:
        return load_tracr(body, path, prefix, alphabet, outputs, warn)
    if "transformerlens" in body:
        return load_transformerlens(body, path, prefix, alphabet, outputs, warn)
    return TransformerLoader(path, prefix, alphabet, warn).load(body)


def check_length(model: Transformer, n: int, outputs: str) -> None:
    """The layout and the positional rows exist at length n (UserError otherwise)."""
    sequence.layout(model, n, outputs)
    sequence.positional_rows(model, n)


def classes(model: Transformer):
    return model.readout.labels if model.readout.bits > 1 else None


def values(model: Transformer, word, alphabet, outputs: str) -> list:
    """The decoded class (the first maximum, as jnp.argmax) or the readout value y per read position."""
    readout = model.readout
    logits = evaluate.trace(model, word, alphabet, outputs)["logits"]
    if readout.kind != "argmax":
        return [str(row[0]) for row in logits]
    return [readout.labels[row.index(max(row))] if readout.labels else str(row.index(max(row))) for row in logits]


KIND = ModelKind(
    key="transformer", model_type=Transformer, load=load, run=evaluate.run, run_batch=batch.run_batch,
    lower=lambda model, circuit, outputs, style, rewrite, counts: lower.lower_transformer(
        model, circuit, outputs, style, rewrite=rewrite, counts=counts),
    describe=lambda model: "transformer", check_length=check_length, classes=classes,
    size_check=cost.size_check, trace=evaluate.trace, values=values)
