"""Exhaustive proofs (issue 9 item 6): every string of a length checked by the
batch evaluator, in chunks, and the estimate `--method auto` decides by.

The batch evaluator computes on exact integers for every model kind (each
kind's `batch.py`: transformer grid indices in int64, products in float64 or
limbs where a bound from the data shows them exact, Python ints only for values
beyond int64; netlists and DFAs on booleans), so when both models agree on
every string of length n the models are equivalent at n: a proof by enumeration, reported as `method: exhaustive`.
"""

from __future__ import annotations

import time
from typing import Optional

import numpy as np

from ..errors import UserError
from ..kinds import UNDEFINED, run_batch

EXHAUSTIVE_MAX_STRINGS = 1 << 24  # the most strings of one length `--method exhaustive` enumerates
CHUNK_STRINGS = 4096  # strings per batch-evaluator call, so memory stays bounded
# `--method auto`: enumeration costs what the batch evaluators were measured to
# take per string (pipeline.auto_length: the real path, float64, limbs or Python
# ints); once the miter is lowered, encoding and solving it cost about
# SAT_S_PER_GATE seconds per gate of its circuit (measured on easy miters: a low
# estimate, which is the safe side, see `pipeline.auto_length`). Checked on the
# example library and the Tracr models by bench/methods.py.
SAT_S_PER_GATE = 1e-4


def string_count(case, n: int) -> int:
    return len(case.alphabet) ** n


def enumeration_seconds(case, n: int, seconds_per_string: float) -> float:
    """The estimated time to check every string of length n on both models, from the
    measured seconds per string."""
    return string_count(case, n) * seconds_per_string


def sat_seconds(miter) -> float:
    """The estimated time to encode and solve a lowered miter, from its real size (the
    gates of its circuit); 0 for a miter that is constant."""
    if miter.circuit.const_value(miter.diff) is not None:
        return 0.0
    return len(miter.circuit.gates) * SAT_S_PER_GATE


def check_enumerable(case, n: int):
    """A UserError when length n has too many strings to enumerate."""
    if string_count(case, n) > EXHAUSTIVE_MAX_STRINGS:
        raise UserError(f"length {n} has {len(case.alphabet)}^{n} strings, more than the "
                        f"{EXHAUSTIVE_MAX_STRINGS} an exhaustive proof enumerates", case.path, "method")


def word_chunks(alphabet_size: int, n: int, chunk: int = CHUNK_STRINGS):
    """Every string of length n as symbol-index arrays [B, n], in lexicographic
    order, at most `chunk` strings at a time."""
    total = alphabet_size ** n
    for first in range(0, total, chunk):
        yield words_at(alphabet_size, n, first, min(chunk, total - first))


def words_at(alphabet_size: int, n: int, first: int, count: int) -> np.ndarray:
    """The strings of length n numbered first .. first + count - 1 in lexicographic
    order, as symbol indices [count, n]."""
    powers = alphabet_size ** np.arange(n - 1, -1, -1, dtype=np.int64)
    index = np.arange(first, first + count, dtype=np.int64)
    return (index[:, None] // powers) % alphabet_size


def first_disagreement(case, words: np.ndarray) -> Optional[list]:
    """The first of `words` on which the two models' batch outputs differ, as symbols
    (an output bit either model leaves undefined is not compared)."""
    return compare(case, words)[0]


def compare(case, words: np.ndarray):
    """(the first of `words` on which the models differ, as symbols, or None; per output
    bit, whether some string left it undefined, i.e. not compared)."""
    left = run_batch(case.left, words, case.alphabet, case.outputs)
    right = run_batch(case.right, words, case.alphabet, case.outputs)
    compared = (left != UNDEFINED) & (right != UNDEFINED)
    differ = np.flatnonzero(((left != right) & compared).any(axis=1))
    undefined = ~compared.all(axis=0)
    if differ.size == 0:
        return None, undefined
    return [case.alphabet[s] for s in words[differ[0]]], undefined


def enumerate_length(case, n: int, deadline: Optional[float] = None, undefined: Optional[list] = None):
    """("equivalent", None), ("counterexample", word) with the first separating
    string in lexicographic order, or ("unknown", None) past the deadline. When given
    the list `undefined`, it receives the number of output bits left undefined (not
    compared) on some string checked."""
    check_enumerable(case, n)
    seen = None
    try:
        for words in word_chunks(len(case.alphabet), n):
            if deadline is not None and time.monotonic() >= deadline:
                return "unknown", None
            word, chunk = compare(case, words)
            seen = chunk if seen is None else seen | chunk
            if word is not None:
                return "counterexample", word
        return "equivalent", None
    finally:
        if undefined is not None and seen is not None:
            undefined.append(int(seen.sum()))
