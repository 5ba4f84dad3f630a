"""The circuit kind (spec 4): netlist files, Python builders and built-in
families (`load.py`, `builtins.py`), `evaluate.py`, `batch.py`, `lower.py`."""

from __future__ import annotations

from ...core.models import Circuit
from ..kind import ModelKind
from . import batch, evaluate, lower
from .load import load_circuit


def describe(model: Circuit) -> str:
    return f"circuit (builtin {model.family})" if model.kind == "builtin" else f"circuit ({model.kind})"


KIND = ModelKind(
    key="circuit", model_type=Circuit,
    load=lambda body, path, prefix, alphabet, outputs, warn: load_circuit(body, path, prefix, alphabet, outputs),
    run=evaluate.run, run_batch=batch.run_batch, lower=lower.lower, describe=describe,
    check_length=lambda model, n, outputs: model.netlist(n))
