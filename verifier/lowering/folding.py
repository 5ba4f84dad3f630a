"""Vectors of tables folded into one integer array (issue 21): what `values.py`
computes table by table, for a whole vector at once.

A `Folded` vector is, at one position, d values that are all functions of the
symbols at the same few input positions `deps`: row c of `array` holds the d
values when those symbols are the c-th combination (product order over the
alphabet, as `Values._tabulate` enumerates them). Every value that depends on
positions alone (Tracr's select-all attention: constant scores, weights and
counts) is a Folded vector of no position, one row. Arithmetic on it is numpy
on exact integers (the caller's, e.g. the batch evaluator's, spec sections 2-3),
and `unfold` gives back exactly the `Table`s that the table-by-table path
builds (the same positions kept, the same values, in the same order)."""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..core.number_format import INT64_SAFE
from .values import Table


@dataclass(frozen=True, eq=False)
class Folded:
    """d values over the symbols at `deps`: `array` [|alphabet|^len(deps), d]
    (int64 where every entry fits, else Python ints)."""

    deps: tuple
    array: np.ndarray


@functools.lru_cache(maxsize=None)
def _combos(alphabet: tuple, k: int) -> tuple:
    return tuple(itertools.product(alphabet, repeat=k))


def integers(values) -> np.ndarray:
    """A (nested) list of Python ints as an int64 array, or an object array beyond int64."""
    try:
        array = np.array(values, dtype=np.int64)
    except OverflowError:
        return np.array(values, dtype=object)
    if array.size and max(int(array.max()), -int(array.min())) >= INT64_SAFE:
        return np.array(values, dtype=object)
    return array


def union(deps_list, alphabet, limit: int) -> Optional[tuple]:
    """The sorted union of some deps if it has at most `limit` symbol combinations, else None
    (the rule of `Values._union`)."""
    deps = tuple(sorted(set().union(*deps_list)))
    return deps if len(alphabet) ** len(deps) <= limit else None


def fold(tables, alphabet: tuple, limit: int) -> Optional[Folded]:
    """The Tables as one Folded vector over the union of their deps, or None if one is not a
    Table or the union has more than `limit` combinations."""
    if not all(isinstance(t, Table) for t in tables):
        return None
    deps = union([t.deps for t in tables], alphabet, limit)
    if deps is None:
        return None
    combos = _combos(alphabet, len(deps))
    columns = []
    for t in tables:
        if not t.deps:
            columns.append([t.values[()]] * len(combos))
        elif t.deps == deps:
            columns.append([t.values[c] for c in combos])
        else:
            where = [deps.index(d) for d in t.deps]
            columns.append([t.values[tuple(c[i] for i in where)] for c in combos])
    return Folded(deps, integers(columns).reshape(len(tables), len(combos)).T.copy())


def expand(v: Folded, deps: tuple, alphabet: tuple) -> np.ndarray:
    """v's array over the combinations of `deps` (a superset of v.deps)."""
    if v.deps == deps:
        return v.array
    A, d = len(alphabet), v.array.shape[1]
    shape = [1] * len(deps) + [d]
    for p in v.deps:  # both sorted: v's axes keep their order among deps' axes
        shape[deps.index(p)] = A
    cube = v.array.reshape(shape)
    return np.broadcast_to(cube, (A,) * len(deps) + (d,)).reshape(A ** len(deps), d)


def trimmed(deps: tuple, array: np.ndarray, alphabet: tuple) -> Folded:
    """The Folded vector of `array` over `deps` without the positions no value depends on."""
    if not deps:
        return Folded(deps, array)
    A, d = len(alphabet), array.shape[1]
    cube = array.reshape((A,) * len(deps) + (d,))
    keep = [(cube != cube.take([0], axis=a)).any() for a in range(len(deps))]
    if all(keep):
        return Folded(deps, array)
    sub = cube[tuple(slice(None) if k else 0 for k in keep)]
    return Folded(tuple(p for p, k in zip(deps, keep) if k), sub.reshape(-1, d))


def unfold(v: Folded, alphabet: tuple) -> list:
    """The d Tables of v, each without the positions it does not depend on (what
    `Values._reduce` leaves), its values in product order."""
    A, k, d = len(alphabet), len(v.deps), v.array.shape[1]
    if k == 0:
        return [Table((), {(): value}) for value in v.array[0].tolist()]
    cube = v.array.reshape((A,) * k + (d,))
    depends = np.stack([(cube != cube.take([0], axis=a)).reshape(-1, d).any(axis=0) for a in range(k)])  # [k, d]
    out = [None] * d
    for pattern in {tuple(column) for column in depends.T.tolist()}:
        columns = np.flatnonzero((depends.T == pattern).all(axis=1))
        kept = tuple(p for p, keep in zip(v.deps, pattern) if keep)
        sub = cube[tuple(slice(None) if keep else 0 for keep in pattern)].reshape(A ** len(kept), d)
        combos = _combos(alphabet, len(kept))
        for j, values in zip(columns.tolist(), sub[:, columns].T.tolist()):
            out[j] = Table(kept, dict(zip(combos, values)))
    return out
