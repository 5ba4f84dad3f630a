"""The RASP kind (issue 17): a Tracr export's program.json as a model.

`program.py` reads the program (the graph, every function a table, each node's
domain); `load.py` the case-file mapping `rasp: {program: FOLDER, readout}`;
`evaluate.py` the exact semantics (`rasp.evaluate` on exact rationals, with
undefined values); `batch.py` the same on many strings (numpy); `lower.py` the
gate IR (one-hot values, with an undefined bit per output bit: not compared).
"""

from __future__ import annotations

from fractions import Fraction

from ...core.models import Rasp
from ..kind import ModelKind
from . import batch, evaluate, lower
from .load import check_length, load_rasp
from .program import show


def classes(model: Rasp):
    return model.labels if model.readout == "classes" else None


def values(model: Rasp, word, alphabet, outputs: str) -> list:
    """The program's value at each read position ("undefined" where it is)."""
    read = evaluate.trace_values(model, word)[model.program.output]
    text = lambda v: "undefined" if v is None else v if isinstance(v, str) else show(v) if isinstance(v, Fraction) else str(v)  # noqa: E731
    return [text(v) for v in (read if outputs == "every" else read[-1:])]


KIND = ModelKind(
    key="rasp", model_type=Rasp, load=load_rasp, run=evaluate.run, run_batch=batch.run_batch,
    lower=lower.lower, lower_care=lower.lower_care, describe=lambda model: "rasp",
    check_length=check_length, classes=classes, values=values)
