"""`ModelKind`: the record a kind's room fills in and `kinds/__init__.py` registers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional


@dataclass(frozen=True)
class ModelKind:
    """What the pipeline needs of one kind of model.

    - `key`: the case-file key (`transformer:`, `circuit:`, ...); `model_type` the dataclass.
    - `load(body, path, prefix, alphabet, outputs, warn)` -> model.
    - `run(model, word, alphabet, outputs)` -> bits (exact); `run_batch(model, words, alphabet,
      outputs)` -> bool array [B, bits]; `lower(model, circuit, outputs, style, rewrite, counts)` -> IR nodes.
    - A model may leave output bits *undefined* (not compared, docs/case-format.md): `run` gives
      None for such a bit, `run_batch` `UNDEFINED`, and `lower_care(model, circuit, outputs,
      style, rewrite, counts)` -> (bits, undefined nodes) says where; a kind without it is defined everywhere.
    - `check_length(model, n, outputs)`: raise `UserError` if the model is not defined at length n.
    - `classes(model)`: class labels when one bit per class is read, else None.
    - `size_check(model, n, path, side)`: raise `UserError` when lowering at n would be too large.
    - `describe(model)`: a short name for messages; `trace(model, word, alphabet, outputs)`:
      the intermediate values for `simulate`, or None.
    """

    key: str
    model_type: type
    load: Callable
    run: Callable
    run_batch: Callable
    lower: Callable
    describe: Callable
    check_length: Callable = lambda model, n, outputs: None
    classes: Callable = lambda model: None
    size_check: Callable = lambda model, n, path, side: None
    trace: Optional[Callable] = None
    lower_care: Optional[Callable] = None
    values: Optional[Callable] = None  # (model, word, alphabet, outputs) -> the value read at each
    # read position, as text (a decoded class, a program's value), shown beside a counterexample


UNDEFINED = 2  # `run_batch`'s value of an undefined output bit
