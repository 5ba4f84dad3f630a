"""Counterexamples a person can act on (issue 20 item 3): among the strings of
the shortest separating length, a simple one (a constant or two-block string,
else the solver's witness with as few symbol changes as local search finds),
replayed on both exact evaluators, with both sides named by kind, their
outputs grouped per read position (categorical outputs decoded to class
labels) and the first differing position marked."""

from __future__ import annotations

import time
from typing import Optional

import numpy as np

from ..core.models import Case
from ..errors import InternalError
from ..kinds import UNDEFINED, kind_of, run, run_batch

SIMPLIFY_S = 2.0  # the most time spent looking for a simpler string of the same length
CANDIDATES_PER_CALL = 4096  # strings per batch-evaluator call


def changes(word) -> int:
    """How many adjacent positions hold different symbols."""
    return sum(a != b for a, b in zip(word, word[1:]))


def _separates(case: Case, words: list) -> list:
    """The words (index lists) on which the batch evaluators (exact integers) disagree."""
    found = []
    for first in range(0, len(words), CANDIDATES_PER_CALL):
        chunk = np.array(words[first:first + CANDIDATES_PER_CALL], dtype=np.int64).reshape(-1, len(words[0]))
        left = run_batch(case.left, chunk, case.alphabet, case.outputs)
        right = run_batch(case.right, chunk, case.alphabet, case.outputs)
        compared = (left != UNDEFINED) & (right != UNDEFINED)  # an undefined bit is not compared
        found += [words[first + i] for i in np.flatnonzero(((left != right) & compared).any(axis=1))]
    return found


def differ(left: list, right: list) -> bool:
    """Do two exact evaluations' bits differ at a bit both define (None: undefined, not compared)?"""
    return any(a is not None and b is not None and a != b for a, b in zip(left, right))


def _differs(case: Case, word: list) -> bool:
    """Both exact evaluators on `word` (symbol indices): do the models' outputs differ?"""
    symbols = [case.alphabet[s] for s in word]
    return differ(run(case.left, symbols, case.alphabet, case.outputs), run(case.right, symbols, case.alphabet, case.outputs))


def block_strings(k: int, n: int) -> list:
    """Constant strings, then two-block strings a^i b^(n-i), as symbol indices."""
    words = [[a] * n for a in range(k)]
    words += [[a] * i + [b] * (n - i) for i in range(1, n) for a in range(k) for b in range(k) if a != b]
    return words


def _merges(word: list) -> list:
    """Every string that removes one symbol change of `word` by overwriting one
    whole run with the symbol of its left or right neighbour run."""
    runs, start = [], 0
    for i in range(1, len(word) + 1):
        if i == len(word) or word[i] != word[start]:
            runs.append((start, i))
            start = i
    out = []
    for r, (a, b) in enumerate(runs):
        for neighbour in (r - 1, r + 1):
            if 0 <= neighbour < len(runs):
                symbol = word[runs[neighbour][0]]
                out.append(word[:a] + [symbol] * (b - a) + word[b:])
    return out


def simplest(case: Case, word: list, deadline: Optional[float] = None) -> list:
    """A string of len(word) separating the models with as few symbol changes as
    found: the first constant or two-block string that separates them, else
    `word` after greedy run merging. Every string taken is confirmed by both
    exact evaluators; `word` itself is returned when nothing simpler is found
    within SIMPLIFY_S (or the deadline)."""
    n, index = len(word), {a: s for s, a in enumerate(case.alphabet)}
    current = [index[a] for a in word]
    if n < 2 or changes(current) <= 1:
        return list(word)
    stop = time.monotonic() + SIMPLIFY_S
    if deadline is not None:
        stop = min(stop, deadline)
    for candidate in _separates(case, block_strings(len(case.alphabet), n)):
        if _differs(case, candidate):
            return [case.alphabet[s] for s in candidate]
    while time.monotonic() < stop and changes(current) > 1:
        better = sorted(_separates(case, _merges(current)), key=lambda w: (changes(w), w))
        better = next((w for w in better if _differs(case, w)), None)
        if better is None:
            break
        current = better
    return [case.alphabet[s] for s in current]


def per_position(bits: list, n: int, outputs: str, classes) -> list:
    """The output bits grouped per read position; a group of one bit per class
    decoded to the label of its class (one-hot)."""
    positions = n if outputs == "every" and n else 1
    size = len(bits) // positions if positions and len(bits) % positions == 0 else 1
    groups = [bits[i:i + size] for i in range(0, len(bits), size)]
    groups = ["undefined" if None in g else g for g in groups]  # not compared
    if classes and size == len(classes):
        return [g if g == "undefined" else classes[g.index(1)] if g.count(1) == 1 else g for g in groups]
    return [g[0] if size == 1 and g != "undefined" else g for g in groups]


def replay(case: Case, word: list) -> dict:
    """Both models' bits on `word` by the exact evaluators, which must differ,
    explained: the kinds, the outputs per read position and the first differing one."""
    left = run(case.left, word, case.alphabet, case.outputs)
    right = run(case.right, word, case.alphabet, case.outputs)
    if not differ(left, right):
        raise InternalError(f"{case.path}: counterexample {','.join(word)!r} does not replay: "
                            f"both models give {left} (a bug in tcverify's lowering or encoding)")
    explained = {}
    for side, bits in (("left", left), ("right", right)):
        model = getattr(case, side)
        kind = kind_of(model)
        explained[f"{side}_kind"] = kind.describe(model)
        explained[f"{side}_outputs"] = per_position(bits, len(word), case.outputs, kind.classes(model))
        if kind.values is not None:  # what it read: a decoded class, a RASP program's value
            explained[f"{side}_values"] = kind.values(model, word, case.alphabet, case.outputs)
    undefined = sum(a is None or b is None for a, b in zip(left, right))
    if undefined:  # undefined bits (None) are not compared
        explained["not_compared"] = undefined
    first = next(i for i, (a, b) in enumerate(zip(explained["left_outputs"], explained["right_outputs"]))
                 if a != b and "undefined" not in (a, b))
    return {"input": list(word), "length": len(word), "left": left, "right": right, **explained,
            "outputs": case.outputs, "first_difference": first}
