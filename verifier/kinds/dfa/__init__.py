"""The DFA kind (spec 5): `load.py`, `evaluate.py`, `batch.py`, `lower.py`."""

from __future__ import annotations

from ...core.models import Dfa
from ..kind import ModelKind
from . import batch, evaluate, lower
from .load import load_dfa

KIND = ModelKind(
    key="dfa", model_type=Dfa,
    load=lambda body, path, prefix, alphabet, outputs, warn: load_dfa(body, path, prefix, alphabet),
    run=evaluate.run, run_batch=batch.run_batch, lower=lower.lower, describe=lambda model: "dfa")
